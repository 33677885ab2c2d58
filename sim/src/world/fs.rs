//! The simulated filesystem: one kernel-atomic call per method, POSIX error for POSIX error.
//!
//! **Shape.** A real inode tree, not a map from path to content: directory entries
//! `(dir inode, name) -> inode`, and inodes holding kind, mtime and content. That is what makes
//! the races of §3 and §4 come out right without special cases:
//! - an open file descriptor points at an *inode*, so writing through it after another process
//!   unlinked the name lands in an invisible inode (the restart lock's F3-x1: P1 writes its
//!   token into the mutex that P2 already reaped, and believes it holds it);
//! - `rename` moves one directory entry, so renaming eve's lock directory to a tombstone
//!   carries its `owner.json` along in the same step, and replacing `L` with `L.<token>`
//!   (restart lock V2's `breakAndOwn`) leaves no instant at which `L` is missing;
//! - a name removed and created again gets a new inode, which is how a `stat` can tell two lock
//!   generations apart, and inode numbers are reused smallest-first once nothing refers to
//!   them, as real filesystems do (so "same inode number" is evidence, not proof: ABA).
//!
//! **Granularity.** Every method is exactly one system call, hence one step of one actor: in
//! Node each is its own `await`, and another process can act between any two of them. What is
//! *several* calls in Node (`writeFile`, `rm -rf`) is a helper state machine in
//! [`super::steps`] driven one call per step. `mkdir -p` and `readFile` are modeled as one
//! step each; their docs say why.
//!
//! **Time.** Every call that changes an mtime takes it from [`Ctx::now`]: the clock of the host
//! that made the call (a local filesystem), or of a file server if the model says so (a network
//! mount, D8). Readers compare it against their own host's clock, so skew shifts staleness.
//!
//! **Faults.** [`Fs::inject`] queues "fail the next `op` on `path` with `errno`". The fault is
//! consumed by the first matching call, which then has no effect at all. That is enough for
//! ENOSPC on a write, EBUSY on a Windows rename (eve's `renameWithTransientBusyRetry`), or a
//! non-ENOENT `stat` error that the restart lock treats as "live".
//!
//! **Capacity.** `N` bounds inodes (and so directory entries). Running out is a harness bug and
//! panics with the limit's name; it is never turned into an ENOSPC the protocol would see.

use std::fmt;
use std::hash::{Hash, Hasher};

use arrayvec::ArrayVec;

use crate::inline::InlineVec;

use super::path::{NameId, PathId, Paths};
use super::proc::{shown, ProcId, HOST_EPOCH};
use super::Errno;
use crate::model::Time;

/// A renaming of interchangeable actors' names, processes, paths and file contents (see
/// [`Fs::relabeled`]). Each map must be a bijection that leaves everything not an actor's alone.
pub trait Relabel {
    fn name(&self, n: NameId) -> NameId;
    fn process(&self, p: ProcId) -> ProcId;
    fn path(&self, p: PathId) -> PathId;
    fn content(&self, c: &Content) -> Content;
}

/// One word of file content. A model decides what each word means: the restart lock's
/// `pid\nepochMs\ntoken\n` is `[pid, epoch_ms, token]`, eve's owner.json
/// `{createdAt, pid, hostname, token}` is four words.
pub type Word = u64;

/// Most words a file can hold.
pub const CONTENT_WORDS: usize = 4;
/// Most open file descriptors across all processes.
pub const MAX_FDS: usize = 8;
/// Most pending injected faults.
pub const MAX_FAULTS: usize = 4;
/// Most entries a `readdir` can return (and so a directory can hold when walked by `rm -rf`).
pub const DIR_ENTRIES_MAX: usize = 8;

/// The content of a file: up to [`CONTENT_WORDS`] words. A file that is shorter than its
/// format expects is what a crash or a reader sees mid-`writeFile`: the model's parser treats
/// it the way the protocol's parser treats truncated text (eve: unparsable JSON, so `unknown`;
/// restart lock: a missing token line).
///
/// `Copy`, as are the inodes and entries that hold it: the explorer clones a world per move, and
/// a table of `Copy` items clones with one copy and no per-item loop.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Content(InlineVec<Word, CONTENT_WORDS>);

impl Content {
    /// Panics if `words` is longer than [`CONTENT_WORDS`] (a harness bug).
    pub fn new(words: &[Word]) -> Self {
        assert!(
            words.len() <= CONTENT_WORDS,
            "content longer than CONTENT_WORDS ({CONTENT_WORDS})"
        );
        Content(words.iter().copied().collect())
    }

    pub fn words(&self) -> &[Word] {
        &self.0
    }

    pub fn get(&self, i: usize) -> Option<Word> {
        self.0.get(i).copied()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Writes `words` at word offset `pos`, extending the file (a gap reads as zeros, like a
    /// hole in a sparse file).
    fn write_at(&mut self, pos: usize, words: &[Word]) {
        let end = pos + words.len();
        assert!(
            end <= CONTENT_WORDS,
            "write past CONTENT_WORDS ({CONTENT_WORDS})"
        );
        while self.0.len() < end {
            self.0.push(0);
        }
        self.0[pos..end].copy_from_slice(words);
    }
}

impl fmt::Debug for Content {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.0.iter()).finish()
    }
}

/// An inode number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Ino(pub u8);

impl Ino {
    pub const ROOT: Ino = Ino(0);
}

/// A file descriptor, local to its process (lowest free number first, as POSIX requires).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Fd(pub u8);

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Kind {
    #[default]
    File,
    Dir,
}

/// What `stat` returns.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Stat {
    pub kind: Kind,
    pub ino: Ino,
    /// Stamped by the clock of the host that last changed the entry (see [`Ctx::now`]).
    pub mtime: Time,
    /// In words.
    pub size: u8,
}

impl Stat {
    pub fn is_dir(&self) -> bool {
        self.kind == Kind::Dir
    }

    /// `Date.now() - stat.mtimeMs` as JavaScript computes it: signed, because an mtime stamped
    /// by a host whose clock runs ahead lies in the reader's future.
    pub fn age_at(&self, now: Time) -> i64 {
        now as i64 - self.mtime as i64
    }
}

/// The kind of a call, for fault injection and for naming a helper's next step.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Op {
    Open,
    Write,
    Close,
    Mkdir,
    MkdirP,
    Rename,
    Unlink,
    Rmdir,
    Stat,
    ReadFile,
    Readdir,
    Utimes,
}

impl Op {
    pub fn name(self) -> &'static str {
        match self {
            Op::Open => "open",
            Op::Write => "write",
            Op::Close => "close",
            Op::Mkdir => "mkdir",
            Op::MkdirP => "mkdir -p",
            Op::Rename => "rename",
            Op::Unlink => "unlink",
            Op::Rmdir => "rmdir",
            Op::Stat => "stat",
            Op::ReadFile => "readFile",
            Op::Readdir => "readdir",
            Op::Utimes => "utimes",
        }
    }
}

/// "Fail the next `times` calls of `op` on `path` with `errno`." For `rename` the path is the
/// source; for `write` and `close` it is the path the descriptor was opened with. `times` is
/// what is left: each failing call takes one, and the fault is gone at 0 (a retry loop's bound
/// needs more failures in a row than there are fault slots).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Fault {
    pub op: Op,
    pub path: PathId,
    pub errno: Errno,
    pub times: u8,
}

impl Fault {
    /// Whether two faults are the same call's failure (whatever is left of them).
    pub fn same_call(&self, other: &Fault) -> bool {
        (self.op, self.path, self.errno) == (other.op, other.path, other.errno)
    }
}

/// How `open` creates. Only the two modes the protocols use exist.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OpenMode {
    /// Node's `'wx'`: `O_WRONLY|O_CREAT|O_EXCL`. EEXIST if the name exists, whatever it is.
    /// The restart lock's claim of `L` (V1, V2), of its mutex `M` and reclaim lock `RL` (V3).
    CreateExcl,
    /// Node's `'w'`: `O_WRONLY|O_CREAT|O_TRUNC`, what `writeFile` opens with. Creating and
    /// truncating happen in the one `open` syscall, so there is no separate truncate step: a
    /// reader sees either the old content or an empty file, never a gap between the two.
    Truncate,
}

/// Who is calling and when: every call takes one. `now` is the caller's host clock
/// (`Procs::now_of`), which stamps mtimes; `proc` owns any descriptor the call opens.
#[derive(Clone, Copy)]
pub struct Ctx<'a> {
    pub paths: &'a Paths,
    pub proc: ProcId,
    pub now: Time,
}

impl<'a> Ctx<'a> {
    pub fn new(paths: &'a Paths, proc: ProcId, now: Time) -> Self {
        Ctx { paths, proc, now }
    }

    /// For building an initial world (fixtures such as a stale lock left at `t = -30 s`):
    /// calls made as [`ProcId::SETUP`].
    pub fn setup(paths: &'a Paths, now: Time) -> Self {
        Ctx {
            paths,
            proc: ProcId::SETUP,
            now,
        }
    }
}

/// A slot of the inode table, which is indexed by inode number (see [`Fs::inode_index`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
struct Inode {
    /// In use. A free slot (between used ones: the table ends at its last used slot) is all
    /// default, so equal file systems have equal tables.
    live: bool,
    ino: Ino,
    kind: Kind,
    /// Whether a directory entry names it (no hard links, so at most one does). An unlinked
    /// inode lives on while a descriptor points at it.
    linked: bool,
    mtime: Time,
    content: Content,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
struct Dentry {
    dir: Ino,
    name: NameId,
    ino: Ino,
}

// The file system is hashed for every explored world: each inode and entry packs its small
// fields into one word, instead of one hasher round per field. Every field is hashed, so equal
// values hash equal.
impl Hash for Inode {
    fn hash<H: Hasher>(&self, h: &mut H) {
        let kind = match self.kind {
            Kind::File => 0u64,
            Kind::Dir => 1,
        };
        h.write_u64(
            u64::from(self.live)
                | u64::from(self.ino.0) << 8
                | kind << 16
                | u64::from(self.linked) << 24,
        );
        h.write_u64(self.mtime);
        self.content.hash(h);
    }
}

impl Hash for Dentry {
    fn hash<H: Hasher>(&self, h: &mut H) {
        h.write_u32(u32::from_le_bytes([self.dir.0, self.name.0, self.ino.0, 0]));
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
struct OpenFile {
    proc: ProcId,
    fd: Fd,
    ino: Ino,
    /// Write position, in words.
    pos: u8,
    /// The path it was opened with (faults on `write`/`close` match it).
    path: PathId,
}

/// The names `readdir` returns, as paths under the directory read, in name-interning order.
pub type Listing = InlineVec<PathId, DIR_ENTRIES_MAX>;

/// The filesystem. Every table is kept in one canonical order (inodes by number, entries by
/// directory and name, descriptors by process and number) so that two histories reaching the
/// same files give equal (and equally hashed) worlds. Every part is `Copy` but the pending
/// faults: the explorer clones a world per move, and a copy has no per-item loop.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Fs<const N: usize = 16> {
    /// Indexed by inode number, the root directory first; ends at the highest number in use.
    inodes: InlineVec<Inode, N>,
    /// Sorted by `(dir, name)`.
    dentries: InlineVec<Dentry, N>,
    /// Sorted by `(proc, fd)`.
    fds: InlineVec<OpenFile, MAX_FDS>,
    /// In injection order: the first match fires.
    faults: ArrayVec<Fault, MAX_FAULTS>,
}

impl<const N: usize> Default for Fs<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> Fs<N> {
    /// An empty filesystem: just `/`, with mtime at the run's start ([`HOST_EPOCH`]).
    pub fn new() -> Self {
        let mut inodes = InlineVec::new();
        inodes.push(Inode {
            live: true,
            ino: Ino::ROOT,
            kind: Kind::Dir,
            linked: true,
            mtime: HOST_EPOCH,
            content: Content::default(),
        });
        Fs {
            inodes,
            dentries: InlineVec::new(),
            fds: InlineVec::new(),
            faults: ArrayVec::new(),
        }
    }

    // ---- symmetry ------------------------------------------------------------------------

    /// This file system with interchangeable actors' names, processes, paths and contents
    /// renamed by `map`: for a model's symmetry reduction, which fingerprints a world with its
    /// interchangeable actors put in a canonical order. Inode numbers and mtimes stay; every
    /// table is sorted again, so two renamings that reach the same files give equal copies.
    pub fn relabeled(&self, map: &dyn Relabel) -> Self {
        let mut copy = self.clone();
        for inode in copy.inodes.iter_mut().filter(|n| n.live) {
            inode.content = map.content(&inode.content);
        }
        for d in &mut copy.dentries {
            d.name = map.name(d.name);
        }
        copy.dentries.sort_unstable_by_key(|d| (d.dir, d.name));
        for f in &mut copy.fds {
            f.proc = map.process(f.proc);
            f.path = map.path(f.path);
        }
        copy.fds.sort_unstable_by_key(|f| (f.proc, f.fd));
        for f in &mut copy.faults {
            f.path = map.path(f.path);
        }
        copy
    }

    // ---- kernel-atomic calls -------------------------------------------------------------

    /// `open(path, mode)`: one syscall, returns a write descriptor owned by `cx.proc`.
    /// Errors: EEXIST (`CreateExcl` and the name exists), EISDIR (`Truncate` on a directory),
    /// ENOENT / ENOTDIR (a missing or non-directory parent).
    pub fn open(&mut self, cx: Ctx<'_>, p: PathId, mode: OpenMode) -> Result<Fd, Errno> {
        self.fault(Op::Open, p)?;
        let dir = self.parent_dir(cx.paths, p)?;
        let name = cx.paths.name(p);
        let ino = match (self.entry(dir, name), mode) {
            (Some(_), OpenMode::CreateExcl) => return Err(Errno::EEXIST),
            (Some(i), OpenMode::Truncate) => {
                let ino = self.dentries[i].ino;
                let node = self.inode_mut(ino);
                if node.kind == Kind::Dir {
                    return Err(Errno::EISDIR);
                }
                node.content = Content::default();
                node.mtime = cx.now;
                ino
            }
            (None, _) => self.create(dir, name, Kind::File, cx.now),
        };
        Ok(self.alloc_fd(cx.proc, ino, p))
    }

    /// `write(fd, words)` at the descriptor's position, which then advances. Works on an inode
    /// whose name was unlinked meanwhile: the write succeeds and nobody can see it (F3-x1).
    /// Errors: EBADF (not a descriptor of `cx.proc`).
    pub fn write(&mut self, cx: Ctx<'_>, fd: Fd, words: &[Word]) -> Result<(), Errno> {
        let i = self.fd_index(cx.proc, fd)?;
        let of = self.fds[i];
        self.fault(Op::Write, of.path)?;
        let node = self.inode_mut(of.ino);
        node.content.write_at(of.pos as usize, words);
        node.mtime = cx.now;
        self.fds[i].pos += words.len() as u8;
        Ok(())
    }

    /// `close(fd)`. Like Linux, the descriptor is released even when close reports an error
    /// (an injected fault), so a retry would get EBADF.
    pub fn close(&mut self, cx: Ctx<'_>, fd: Fd) -> Result<(), Errno> {
        let i = self.fd_index(cx.proc, fd)?;
        let of = self.fds.remove(i);
        self.gc(of.ino);
        self.fault(Op::Close, of.path)
    }

    /// `mkdir(path)`: the eve lock's atomic claim. Errors: EEXIST (the name exists, file or
    /// directory), ENOENT / ENOTDIR (parent).
    pub fn mkdir(&mut self, cx: Ctx<'_>, p: PathId) -> Result<(), Errno> {
        self.fault(Op::Mkdir, p)?;
        if p == PathId::ROOT {
            return Err(Errno::EEXIST);
        }
        let dir = self.parent_dir(cx.paths, p)?;
        let name = cx.paths.name(p);
        if self.entry(dir, name).is_some() {
            return Err(Errno::EEXIST);
        }
        self.create(dir, name, Kind::Dir, cx.now);
        Ok(())
    }

    /// `mkdir(path, {recursive: true})`, one step. In Node it is one `await`: the promise
    /// settles once, after native code has made every component's `mkdir`, so no JavaScript of
    /// the calling process runs in between. Another process could interleave between those
    /// `mkdir`s, but in both protocols it only creates parents that nobody removes (eve's
    /// `template-locks/<backend>`, the restart lock's `dirname(L)`), so splitting it would only
    /// add states. Existing directories are fine. Errors: EEXIST (the path itself is a file),
    /// ENOTDIR (a proper ancestor is a file).
    pub fn mkdir_p(&mut self, cx: Ctx<'_>, p: PathId) -> Result<(), Errno> {
        self.fault(Op::MkdirP, p)?;
        self.mkdir_p_at(cx, p, true).map(|_| ())
    }

    /// Ensures `q` is a directory, creating missing ancestors first. A file in the way is
    /// EEXIST when it is the path asked for (`last`), ENOTDIR when it is an ancestor.
    fn mkdir_p_at(&mut self, cx: Ctx<'_>, q: PathId, last: bool) -> Result<Ino, Errno> {
        let Some(parent) = cx.paths.parent(q) else {
            return Ok(Ino::ROOT);
        };
        let dir = self.mkdir_p_at(cx, parent, false)?;
        let name = cx.paths.name(q);
        match self.entry(dir, name) {
            None => Ok(self.create(dir, name, Kind::Dir, cx.now)),
            Some(i) => {
                let ino = self.dentries[i].ino;
                match self.inode(ino).kind {
                    Kind::Dir => Ok(ino),
                    Kind::File if last => Err(Errno::EEXIST),
                    Kind::File => Err(Errno::ENOTDIR),
                }
            }
        }
    }

    /// `rename(from, to)`: one step that atomically replaces `to` if it exists. Used for the
    /// restart lock V2's `rename(L.<token>, L)` and for eve's tombstone and intent renames,
    /// which move whole directories (their entries move with them).
    /// Errors: ENOENT (`from` or a parent missing), ENOTDIR (a parent is a file, or a directory
    /// onto a file), EISDIR (a file onto a directory), ENOTEMPTY (a directory onto a non-empty
    /// one), EINVAL (a directory into its own subtree), EBUSY (the root).
    pub fn rename(&mut self, cx: Ctx<'_>, from: PathId, to: PathId) -> Result<(), Errno> {
        self.fault(Op::Rename, from)?;
        if from == PathId::ROOT || to == PathId::ROOT {
            return Err(Errno::EBUSY);
        }
        let src_dir = self.parent_dir(cx.paths, from)?;
        let dst_dir = self.parent_dir(cx.paths, to)?;
        let src_i = self
            .entry(src_dir, cx.paths.name(from))
            .ok_or(Errno::ENOENT)?;
        let src = self.dentries[src_i].ino;
        let src_kind = self.inode(src).kind;
        if from == to {
            return Ok(());
        }
        if src_kind == Kind::Dir && cx.paths.is_prefix(from, to) {
            return Err(Errno::EINVAL);
        }
        let to_name = cx.paths.name(to);
        if let Some(dst_i) = self.entry(dst_dir, to_name) {
            let dst = self.dentries[dst_i].ino;
            match (src_kind, self.inode(dst).kind) {
                (Kind::File, Kind::Dir) => return Err(Errno::EISDIR),
                (Kind::Dir, Kind::File) => return Err(Errno::ENOTDIR),
                (Kind::Dir, Kind::Dir) if self.has_children(dst) => return Err(Errno::ENOTEMPTY),
                _ => {}
            }
            self.drop_entry(dst_i);
        }
        let i = self
            .entry(src_dir, cx.paths.name(from))
            .expect("source entry");
        self.dentries.remove(i);
        self.insert_dentry(Dentry {
            dir: dst_dir,
            name: to_name,
            ino: src,
        });
        self.inode_mut(src_dir).mtime = cx.now;
        self.inode_mut(dst_dir).mtime = cx.now;
        Ok(())
    }

    /// `unlink(path)`: the restart lock's releases and its blind `unlink(RL)` (C10). Errors:
    /// ENOENT, EISDIR (a directory, as Linux says), ENOTDIR (parent).
    pub fn unlink(&mut self, cx: Ctx<'_>, p: PathId) -> Result<(), Errno> {
        self.fault(Op::Unlink, p)?;
        if p == PathId::ROOT {
            return Err(Errno::EISDIR);
        }
        let dir = self.parent_dir(cx.paths, p)?;
        let i = self.entry(dir, cx.paths.name(p)).ok_or(Errno::ENOENT)?;
        if self.inode(self.dentries[i].ino).kind == Kind::Dir {
            return Err(Errno::EISDIR);
        }
        self.drop_entry(i);
        self.inode_mut(dir).mtime = cx.now;
        Ok(())
    }

    /// `rmdir(path)`: one step of `rm -rf`. Errors: ENOENT, ENOTDIR (a file, or a parent),
    /// ENOTEMPTY, EBUSY (the root).
    pub fn rmdir(&mut self, cx: Ctx<'_>, p: PathId) -> Result<(), Errno> {
        self.fault(Op::Rmdir, p)?;
        if p == PathId::ROOT {
            return Err(Errno::EBUSY);
        }
        let dir = self.parent_dir(cx.paths, p)?;
        let i = self.entry(dir, cx.paths.name(p)).ok_or(Errno::ENOENT)?;
        let ino = self.dentries[i].ino;
        if self.inode(ino).kind != Kind::Dir {
            return Err(Errno::ENOTDIR);
        }
        if self.has_children(ino) {
            return Err(Errno::ENOTEMPTY);
        }
        self.drop_entry(i);
        self.inode_mut(dir).mtime = cx.now;
        Ok(())
    }

    /// `stat(path)` (also `lstat`: there are no symlinks): the mtime checks of the restart
    /// lock's `isPathStale(M)` and eve's `waitForExistingLock`. Errors: ENOENT, ENOTDIR.
    pub fn stat(&mut self, cx: Ctx<'_>, p: PathId) -> Result<Stat, Errno> {
        self.fault(Op::Stat, p)?;
        let ino = self.lookup(cx.paths, p)?;
        Ok(self.stat_of(ino))
    }

    /// `readFile(path)` of a whole small file, one step. Node does open, fstat, read, close;
    /// what matters between them is a concurrent writer, and the writer's own steps
    /// ([`super::steps::WriteFile`]) already expose its empty and partial states. The one
    /// behaviour this gives up: a reader that opened a name just before it was replaced could
    /// still read later writes made through another handle to the old inode (F3-x1's orphan).
    /// No protocol decision in §3 or §4 reads through such a window. Errors: ENOENT, EISDIR,
    /// ENOTDIR.
    pub fn read_file(&mut self, cx: Ctx<'_>, p: PathId) -> Result<Content, Errno> {
        self.fault(Op::ReadFile, p)?;
        let node = self.inode(self.lookup(cx.paths, p)?);
        match node.kind {
            Kind::Dir => Err(Errno::EISDIR),
            Kind::File => Ok(node.content),
        }
    }

    /// `readdir(path)`: the names in a directory as paths under `p`, in name-interning order.
    /// Errors: ENOENT, ENOTDIR.
    pub fn readdir(&mut self, cx: Ctx<'_>, p: PathId) -> Result<Listing, Errno> {
        self.fault(Op::Readdir, p)?;
        let ino = self.lookup(cx.paths, p)?;
        if self.inode(ino).kind != Kind::Dir {
            return Err(Errno::ENOTDIR);
        }
        let mut out = Listing::new();
        for d in self.dentries.iter().filter(|d| d.dir == ino) {
            out.try_push(cx.paths.expect_child(p, d.name))
                .unwrap_or_else(|_| panic!("directory larger than DIR_ENTRIES_MAX"));
        }
        Ok(out)
    }

    /// `utimes(path, mtime, mtime)`: eve's intent heartbeat, and tests that backdate a lock.
    /// Errors: ENOENT, ENOTDIR.
    pub fn utimes(&mut self, cx: Ctx<'_>, p: PathId, mtime: Time) -> Result<(), Errno> {
        self.fault(Op::Utimes, p)?;
        let ino = self.lookup(cx.paths, p)?;
        self.inode_mut(ino).mtime = mtime;
        Ok(())
    }

    /// Setup only, not a step: creates or replaces the file `p` with `content` at `cx.now`,
    /// as a test fixture's `writeFileSync` leaves it (the restart lock's stale owner
    /// `4242\n<ts>\nstale-owner-token\n`). Backdate it with [`Fs::utimes`].
    pub fn put_file(&mut self, cx: Ctx<'_>, p: PathId, content: &Content) -> Result<(), Errno> {
        let fd = self.open(cx, p, OpenMode::Truncate)?;
        self.write(cx, fd, content.words())?;
        self.close(cx, fd)
    }

    /// Closes every descriptor of a process: what the kernel does when it dies (kill -9 or
    /// exit). Not a call a process makes; see `world::kill9`.
    pub fn close_all(&mut self, proc: ProcId) {
        while let Some(i) = self.fds.iter().position(|f| f.proc == proc) {
            let of = self.fds.remove(i);
            self.gc(of.ino);
        }
    }

    // ---- faults --------------------------------------------------------------------------

    /// Queues a fault: the next `fault.op` on `fault.path` fails with `fault.errno` and does
    /// nothing else.
    pub fn inject(&mut self, fault: Fault) {
        self.faults
            .try_push(fault)
            .unwrap_or_else(|_| panic!("more than MAX_FAULTS ({MAX_FAULTS}) pending faults"));
    }

    /// Faults not yet consumed.
    pub fn pending_faults(&self) -> &[Fault] {
        &self.faults
    }

    // ---- observation (not calls: no fault fires, no step is taken) -----------------------

    /// What `stat` would say, for invariants and timelines.
    pub fn peek(&self, paths: &Paths, p: PathId) -> Option<Stat> {
        self.lookup(paths, p).ok().map(|i| self.stat_of(i))
    }

    pub fn exists(&self, paths: &Paths, p: PathId) -> bool {
        self.lookup(paths, p).is_ok()
    }

    /// Whether `p` is a directory with at least one entry (an `rmdir` of it would fail with
    /// ENOTEMPTY).
    pub fn has_entries(&self, paths: &Paths, p: PathId) -> bool {
        self.lookup(paths, p)
            .is_ok_and(|ino| self.dentries.iter().any(|d| d.dir == ino))
    }

    /// A file's content, for invariants and timelines.
    pub fn peek_content(&self, paths: &Paths, p: PathId) -> Option<&Content> {
        let node = self.inode(self.lookup(paths, p).ok()?);
        (node.kind == Kind::File).then_some(&node.content)
    }

    /// The content of the inode behind a descriptor (linked or not).
    pub fn fd_content(&self, proc: ProcId, fd: Fd) -> Option<&Content> {
        let i = self.fd_index(proc, fd).ok()?;
        Some(&self.inode(self.fds[i].ino).content)
    }

    /// The inode behind a descriptor, and whether a name still points at it.
    pub fn fd_inode(&self, proc: ProcId, fd: Fd) -> Option<(Ino, bool)> {
        let i = self.fd_index(proc, fd).ok()?;
        let ino = self.fds[i].ino;
        Some((ino, self.inode(ino).linked))
    }

    /// Open descriptors of a process.
    pub fn open_fds(&self, proc: ProcId) -> usize {
        self.fds.iter().filter(|f| f.proc == proc).count()
    }

    /// Inodes in use, root included (linked ones plus unlinked ones kept by a descriptor).
    pub fn inode_count(&self) -> usize {
        self.inodes.iter().filter(|n| n.live).count()
    }

    /// A one-line listing for timelines: `/cache/ /cache/L=[4242, 0, 7]@10 (unlinked #3=[..])`.
    pub fn show<'a>(&'a self, paths: &'a Paths) -> impl fmt::Display + 'a {
        Listed { fs: self, paths }
    }

    // ---- internals -----------------------------------------------------------------------

    fn fault(&mut self, op: Op, path: PathId) -> Result<(), Errno> {
        match self
            .faults
            .iter()
            .position(|f| f.op == op && f.path == path)
        {
            Some(i) => {
                let f = &mut self.faults[i];
                let errno = f.errno;
                f.times = f.times.saturating_sub(1);
                if f.times == 0 {
                    self.faults.remove(i);
                }
                Err(errno)
            }
            None => Ok(()),
        }
    }

    /// The table is indexed by inode number (numbers are the smallest free ones, so they stay
    /// below the capacity): a look-up is one index, not a search.
    fn inode_index(&self, ino: Ino) -> usize {
        let i = usize::from(ino.0);
        assert!(
            self.inodes.get(i).is_some_and(|n| n.live),
            "no inode {ino:?}"
        );
        i
    }

    fn inode(&self, ino: Ino) -> &Inode {
        &self.inodes[self.inode_index(ino)]
    }

    fn inode_mut(&mut self, ino: Ino) -> &mut Inode {
        let i = self.inode_index(ino);
        &mut self.inodes[i]
    }

    fn stat_of(&self, ino: Ino) -> Stat {
        let n = self.inode(ino);
        Stat {
            kind: n.kind,
            ino,
            mtime: n.mtime,
            size: n.content.len() as u8,
        }
    }

    /// Index of the entry `name` in directory `dir`.
    ///
    /// A scan, not a binary search: a table holds a few entries (at most the capacity), and
    /// comparing one packed key per entry is cheaper than a search's comparisons of pairs.
    fn entry(&self, dir: Ino, name: NameId) -> Option<usize> {
        let key = |d: &Dentry| u16::from_be_bytes([d.dir.0, d.name.0]);
        let wanted = u16::from_be_bytes([dir.0, name.0]);
        self.dentries.iter().position(|d| key(d) == wanted)
    }

    fn has_children(&self, dir: Ino) -> bool {
        self.dentries.iter().any(|d| d.dir == dir)
    }

    /// Resolves a path to an inode. ENOENT for a missing component, ENOTDIR when a component
    /// before the last is a file.
    fn lookup(&self, paths: &Paths, p: PathId) -> Result<Ino, Errno> {
        match paths.parent(p) {
            None => Ok(Ino::ROOT),
            Some(parent) => {
                let dir = self.lookup(paths, parent)?;
                if self.inode(dir).kind != Kind::Dir {
                    return Err(Errno::ENOTDIR);
                }
                let i = self.entry(dir, paths.name(p)).ok_or(Errno::ENOENT)?;
                Ok(self.dentries[i].ino)
            }
        }
    }

    /// The directory that holds (or would hold) `p`.
    fn parent_dir(&self, paths: &Paths, p: PathId) -> Result<Ino, Errno> {
        let parent = paths.parent(p).expect("the root has no parent");
        let dir = self.lookup(paths, parent)?;
        if self.inode(dir).kind != Kind::Dir {
            return Err(Errno::ENOTDIR);
        }
        Ok(dir)
    }

    /// Creates an inode and links it as `dir/name`; bumps the directory's mtime (the eve lock
    /// directory's mtime moves when `owner.json` is created in it).
    fn create(&mut self, dir: Ino, name: NameId, kind: Kind, now: Time) -> Ino {
        // Smallest free number: real filesystems reuse freed inodes, and it keeps equal
        // histories equal instead of drifting with a counter.
        let at = (1..self.inodes.len())
            .find(|&i| !self.inodes[i].live)
            .unwrap_or(self.inodes.len());
        let ino = Ino(at as u8);
        let inode = Inode {
            live: true,
            ino,
            kind,
            linked: true,
            mtime: now,
            content: Content::default(),
        };
        if at < self.inodes.len() {
            self.inodes[at] = inode;
        } else {
            self.inodes
                .try_push(inode)
                .unwrap_or_else(|_| panic!("more than {N} inodes: raise the Fs capacity"));
        }
        self.insert_dentry(Dentry { dir, name, ino });
        self.inode_mut(dir).mtime = now;
        ino
    }

    fn insert_dentry(&mut self, d: Dentry) {
        let at = self
            .dentries
            .partition_point(|e| (e.dir, e.name) < (d.dir, d.name));
        self.dentries
            .try_insert(at, d)
            .unwrap_or_else(|_| panic!("more than {N} directory entries: raise the Fs capacity"));
    }

    /// Removes the entry at `i`; its inode goes when no descriptor holds it.
    fn drop_entry(&mut self, i: usize) {
        let d = self.dentries.remove(i);
        self.inode_mut(d.ino).linked = false;
        self.gc(d.ino);
    }

    fn gc(&mut self, ino: Ino) {
        let i = self.inode_index(ino);
        if !self.inodes[i].linked && !self.fds.iter().any(|f| f.ino == ino) {
            self.inodes[i] = Inode::default();
            while self.inodes.last().is_some_and(|n| !n.live) {
                self.inodes.pop();
            }
        }
    }

    fn fd_index(&self, proc: ProcId, fd: Fd) -> Result<usize, Errno> {
        self.fds
            .binary_search_by_key(&(proc, fd), |f| (f.proc, f.fd))
            .map_err(|_| Errno::EBADF)
    }

    fn alloc_fd(&mut self, proc: ProcId, ino: Ino, path: PathId) -> Fd {
        let mut fd = Fd(3); // 0-2 are stdio
        while self.fd_index(proc, fd).is_ok() {
            fd = Fd(fd.0 + 1);
        }
        let at = self.fds.partition_point(|f| (f.proc, f.fd) < (proc, fd));
        self.fds
            .try_insert(
                at,
                OpenFile {
                    proc,
                    fd,
                    ino,
                    pos: 0,
                    path,
                },
            )
            .unwrap_or_else(|_| panic!("more than MAX_FDS ({MAX_FDS}) open descriptors"));
        fd
    }
}

struct Listed<'a, const N: usize> {
    fs: &'a Fs<N>,
    paths: &'a Paths,
}

impl<const N: usize> Listed<'_, N> {
    fn walk(&self, f: &mut fmt::Formatter<'_>, dir: Ino, prefix: &mut String) -> fmt::Result {
        for d in self.fs.dentries.iter().filter(|d| d.dir == dir) {
            let len = prefix.len();
            prefix.push('/');
            prefix.push_str(self.paths.name_str(d.name));
            let n = self.fs.inode(d.ino);
            match n.kind {
                Kind::Dir => {
                    write!(f, " {prefix}/@{}", shown(n.mtime))?;
                    self.walk(f, d.ino, prefix)?;
                }
                Kind::File => write!(f, " {prefix}={:?}@{}", n.content, shown(n.mtime))?,
            }
            prefix.truncate(len);
        }
        Ok(())
    }
}

impl<const N: usize> fmt::Display for Listed<'_, N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("fs:")?;
        self.walk(f, Ino::ROOT, &mut String::new())?;
        for n in self.fs.inodes.iter().filter(|n| n.live && !n.linked) {
            write!(f, " (unlinked #{}={:?})", n.ino.0, n.content)?;
        }
        Ok(())
    }
}
