//! The operating system a `platform node` program runs on: a file system and a process table
//! kept in the world's own slots, one system call per step.
//!
//! **Why in the slots, not the typed [`crate::world`].** A machine world is one flat vector,
//! so that a successor is one copy, a fingerprint one pass and equality a slice compare. The
//! file system here keeps that: a fixed region of the shared slots, in a canonical order
//! (directory entries sorted, the smallest free inode number first), so two histories that
//! reach the same files are the same world. Names are values, not interned strings, so a
//! protocol can build a name from a number it learns at run time (`intent.<pid>`) without a
//! table that grows while the explorer runs.
//!
//! ```text
//! region: [ entry 0 .. entry E-1 | inode 1 .. inode I ]
//! entry:  [ parent inode | name | inode ]          (parent 0: unused; used ones sorted, first)
//! inode:  [ kind | mtime | length | opens | word 0 .. word W-1 ]   (kind 0: free)
//! ```
//!
//! Inode 1 is the root directory. A directory's mtime moves when an entry is added to it or
//! removed from it, as on Linux. A file's inode lives while a name or an open descriptor
//! refers to it; a freed number is reused, smallest first.
//!
//! **Names and paths.** A name is one slot: its stem (an index into the program's name table,
//! from 1) in the high 32 bits, and `n + 1` in the low bits for a numbered name (`intent.` and
//! 7 make `intent.7`), 0 for a plain one. A path is [`DEPTH`] names from the root, unused
//! components 0.
//!
//! **Processes.** Every actor of a node program is a process: its pid, host and uid come from
//! the scenario. `kill(pid, 0)` answers ESRCH when no live process of the caller's host has
//! that pid (one that has not started, has returned, failed or was killed is not live), EPERM
//! when the live one belongs to another uid, and ok otherwise.

use super::layout::*;
use super::program::Instance;
use crate::actor::Lifecycle;

/// Components of a path.
pub const DEPTH: usize = 6;
/// Directory entries (names) the file system holds.
pub const ENTRIES: usize = 16;
/// Inodes: the root and one per entry.
pub const INODES: usize = ENTRIES + 1;
/// Words of a file's content.
pub const WORDS: usize = 6;
/// Slots of one entry and of one inode.
pub const ENTRY: usize = 3;
pub const INODE: usize = 4 + WORDS;
/// Slots of the whole region.
pub const REGION: usize = ENTRIES * ENTRY + INODES * INODE;
/// The root directory's inode.
pub const ROOT: i64 = 1;

const KIND_FILE: i64 = 1;
const KIND_DIR: i64 = 2;

/// The errors a call can answer, in the order of [`Os::errnos`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Errno {
    EEXIST,
    ENOENT,
    ENOTEMPTY,
    ENOTDIR,
    EISDIR,
    EINVAL,
    ENOSPC,
    ESRCH,
    EPERM,
    EBUSY,
    EIO,
    EACCES,
    EBADF,
}

impl Errno {
    /// Every errno, in index order.
    pub const ALL: [Errno; 13] = [
        Errno::EEXIST,
        Errno::ENOENT,
        Errno::ENOTEMPTY,
        Errno::ENOTDIR,
        Errno::EISDIR,
        Errno::EINVAL,
        Errno::ENOSPC,
        Errno::ESRCH,
        Errno::EPERM,
        Errno::EBUSY,
        Errno::EIO,
        Errno::EACCES,
        Errno::EBADF,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Errno::EEXIST => "EEXIST",
            Errno::ENOENT => "ENOENT",
            Errno::ENOTEMPTY => "ENOTEMPTY",
            Errno::ENOTDIR => "ENOTDIR",
            Errno::EISDIR => "EISDIR",
            Errno::EINVAL => "EINVAL",
            Errno::ENOSPC => "ENOSPC",
            Errno::ESRCH => "ESRCH",
            Errno::EPERM => "EPERM",
            Errno::EBUSY => "EBUSY",
            Errno::EIO => "EIO",
            Errno::EACCES => "EACCES",
            Errno::EBADF => "EBADF",
        }
    }

    /// The errno a name gives, if it is one.
    pub fn parse(name: &str) -> Option<Errno> {
        Errno::ALL.into_iter().find(|e| e.name() == name)
    }
}

/// One system call. Its operands are on the stack (paths as [`DEPTH`] slots); it pushes its
/// results and then the errno's symbol (0: it succeeded, and the results are valid).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Call {
    /// `mkdir(path)`.
    Mkdir,
    /// `mkdir(path, { recursive: true })`: every missing directory on the way, in one call.
    MkdirAll,
    Rmdir,
    Unlink,
    /// `rename(from, to)`.
    Rename,
    /// `stat(path)`: pushes `{ ino, mtime, size, dir }`.
    Stat,
    /// `readFile(path)`: pushes the content as a list of [`WORDS`] ints.
    Read,
    /// `readdir(path)`: pushes the names as a list of [`ENTRIES`] names, in order.
    Readdir,
    /// `open(path, 'w')` (`exclusive`: `'wx'`, O_CREAT|O_EXCL): creates or truncates the file,
    /// and keeps it open in the actor's descriptor slot.
    Open {
        exclusive: bool,
    },
    /// Writes the list on the stack through the open descriptor and closes it.
    Write,
    /// Closes the open descriptor without writing.
    Close,
    /// `utimes(path, mtime)`.
    Utimes,
    /// `kill(pid, 0)`.
    Kill,
}

impl Call {
    pub fn name(self) -> &'static str {
        match self {
            Call::Mkdir => "mkdir",
            Call::MkdirAll => "mkdir -p",
            Call::Rmdir => "rmdir",
            Call::Unlink => "unlink",
            Call::Rename => "rename",
            Call::Stat => "stat",
            Call::Read => "readFile",
            Call::Readdir => "readdir",
            Call::Open { exclusive: false } => "open 'w'",
            Call::Open { exclusive: true } => "open 'wx'",
            Call::Write => "write+close",
            Call::Close => "close",
            Call::Utimes => "utimes",
            Call::Kill => "kill(pid, 0)",
        }
    }
}

/// How many slots a call pops and pushes (its results and the errno).
pub fn effect(call: Call) -> (usize, usize) {
    match call {
        Call::Mkdir | Call::MkdirAll | Call::Rmdir | Call::Unlink | Call::Open { .. } => (DEPTH, 1),
        Call::Rename => (2 * DEPTH, 1),
        Call::Stat => (DEPTH, 5),
        Call::Read => (DEPTH, WORDS + 2),
        Call::Readdir => (DEPTH, ENTRIES + 2),
        Call::Write => (WORDS + 1, 1),
        Call::Close => (0, 1),
        Call::Utimes => (DEPTH + 1, 1),
        Call::Kill => (1, 1),
    }
}

/// Where a program's operating system lives, and the symbols its errnos throw.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Os {
    /// First slot of the region in the world.
    pub base: u32,
    /// The symbol of each errno, in [`Errno::ALL`] order.
    pub errnos: [i64; 13],
    /// Name stems, by index (stem `i` is `names[i - 1]`).
    pub names: Vec<String>,
    /// The scenario's injected syscall faults; fault `i` counts its remaining failures in
    /// world slot `fault_base + i`.
    pub faults: Vec<SysFault>,
    pub fault_base: u32,
    /// Each process's open file (its inode, 0: none), from this slot on, one per actor: what a
    /// `writeFile` holds between its open and its write, and a kill closes.
    pub fd_base: u32,
    /// A kill records its instant in the killed process's wake slot (`r.killed_at`), so worlds
    /// that differ only in when a process died stay apart; set only when a property reads it.
    pub kill_times: bool,
}

/// A syscall fault the scenario injects: the next `times` calls of `op` on `path` (after
/// `at`) fail with `errno` without taking effect. A `Write` fault is armed when the file is
/// opened, so the write of that open fails.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SysFault {
    pub op: FaultOp,
    pub path: [i64; DEPTH],
    pub errno: Errno,
    pub at: i64,
    /// The fault as the scenario writes it (`rename run/app.pid: EBUSY`), for reports.
    pub shown: String,
}

/// The calls a fault can name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultOp {
    Mkdir,
    Rmdir,
    Unlink,
    Rename,
    Stat,
    Read,
    Readdir,
    Open,
    Write,
    Utimes,
}

impl FaultOp {
    pub const NAMES: [(&'static str, FaultOp); 10] = [
        ("mkdir", FaultOp::Mkdir),
        ("rmdir", FaultOp::Rmdir),
        ("unlink", FaultOp::Unlink),
        ("rename", FaultOp::Rename),
        ("stat", FaultOp::Stat),
        ("readFile", FaultOp::Read),
        ("readdir", FaultOp::Readdir),
        ("open", FaultOp::Open),
        ("write", FaultOp::Write),
        ("utimes", FaultOp::Utimes),
    ];

    /// Whether a fault on this op applies to `call`.
    pub fn covers(self, call: Call) -> bool {
        matches!(
            (self, call),
            (FaultOp::Mkdir, Call::Mkdir | Call::MkdirAll)
                | (FaultOp::Rmdir, Call::Rmdir)
                | (FaultOp::Unlink, Call::Unlink)
                | (FaultOp::Rename, Call::Rename)
                | (FaultOp::Stat, Call::Stat)
                | (FaultOp::Read, Call::Read)
                | (FaultOp::Readdir, Call::Readdir)
                | (FaultOp::Open, Call::Open { .. })
                | (FaultOp::Utimes, Call::Utimes)
        )
    }
}

impl Os {
    /// The first armed fault on `op` for `path` (a rename's either path), taken: its count
    /// goes down by one. `None`: the call runs.
    pub fn take_fault(
        &self,
        w: &mut [i64],
        call: Call,
        write: bool,
        paths: &[&[i64]],
    ) -> Option<Errno> {
        let now = w[W_NOW];
        let (i, f) = self.faults.iter().enumerate().find(|(i, f)| {
            let left = w[self.fault_base as usize + i];
            let op = if write {
                f.op == FaultOp::Write
            } else {
                f.op.covers(call)
            };
            op && left > 0 && now >= f.at && paths.iter().any(|p| *p == f.path)
        })?;
        w[self.fault_base as usize + i] -= 1;
        Some(f.errno)
    }

    /// Parses a path as the scenario writes it (`run/app.lock.3`) into the program's names: a
    /// component is a stem the file names, or such a stem followed by a number.
    pub fn parse_path(&self, text: &str) -> Result<[i64; DEPTH], String> {
        let parts: Vec<&str> = text.split('/').filter(|p| !p.is_empty()).collect();
        if parts.len() > DEPTH {
            return Err(format!(
                "a path of {} components: at most {DEPTH}",
                parts.len()
            ));
        }
        let mut out = [0; DEPTH];
        for (i, part) in parts.iter().enumerate() {
            out[i] = self.parse_name(part).ok_or_else(|| {
                format!("the protocol file never names `{part}` (nor a numbered name of it)")
            })?;
        }
        Ok(out)
    }

    fn parse_name(&self, part: &str) -> Option<i64> {
        if let Some(i) = self.names.iter().position(|n| n == part) {
            return make_name(i + 1, None);
        }
        let digits = part.len() - part.trim_end_matches(|c: char| c.is_ascii_digit()).len();
        let (stem, number) = part.split_at(part.len() - digits);
        let i = self.names.iter().position(|n| n == stem)?;
        make_name(i + 1, Some(number.parse().ok()?))
    }
}

/// The initial slots of the region: the root directory only.
pub fn initial() -> Vec<i64> {
    let mut r = vec![0; REGION];
    r[ENTRIES * ENTRY] = KIND_DIR;
    r
}

/// A name's stem index and number (`None`: a plain name).
pub fn split_name(name: i64) -> (usize, Option<i64>) {
    let low = name & 0xffff_ffff;
    ((name >> 32) as usize, (low != 0).then(|| low - 1))
}

/// A name from a stem index and an optional number (`None` when the number does not fit).
pub fn make_name(stem: usize, number: Option<i64>) -> Option<i64> {
    let low = match number {
        None => 0,
        Some(n) if (0..0xffff_fffe).contains(&n) => n + 1,
        Some(_) => return None,
    };
    Some(((stem as i64) << 32) | low)
}

impl Os {
    /// The slot of actor `a`'s open file.
    pub fn fd_slot(&self, a: usize) -> usize {
        self.fd_base as usize + a
    }

    /// A name as text.
    pub fn show_name(&self, name: i64) -> String {
        let (stem, number) = split_name(name);
        let stem = stem
            .checked_sub(1)
            .and_then(|i| self.names.get(i))
            .map_or("?", String::as_str);
        match number {
            Some(n) => format!("{stem}{n}"),
            None => stem.to_string(),
        }
    }

    /// A path as text.
    pub fn show_path(&self, path: &[i64]) -> String {
        let parts: Vec<String> = path
            .iter()
            .take_while(|&&c| c != 0)
            .map(|&c| self.show_name(c))
            .collect();
        format!("/{}", parts.join("/"))
    }

    fn entry(&self, i: usize) -> usize {
        self.base as usize + i * ENTRY
    }

    fn inode(&self, ino: i64) -> usize {
        self.base as usize + ENTRIES * ENTRY + (ino as usize - 1) * INODE
    }

    /// The entry index and inode of `name` in directory `dir`.
    fn lookup(&self, w: &[i64], dir: i64, name: i64) -> Option<(usize, i64)> {
        (0..ENTRIES)
            .map(|i| (i, self.entry(i)))
            .take_while(|&(_, at)| w[at] != 0)
            .find(|&(_, at)| w[at] == dir && w[at + 1] == name)
            .map(|(i, at)| (i, w[at + 2]))
    }

    fn is_dir(&self, w: &[i64], ino: i64) -> bool {
        w[self.inode(ino)] == KIND_DIR
    }

    /// The inode a path names.
    pub fn resolve(&self, w: &[i64], path: &[i64]) -> Result<i64, Errno> {
        let mut ino = ROOT;
        for &c in path.iter().take_while(|&&c| c != 0) {
            if !self.is_dir(w, ino) {
                return Err(Errno::ENOTDIR);
            }
            ino = self.lookup(w, ino, c).ok_or(Errno::ENOENT)?.1;
        }
        Ok(ino)
    }

    /// The directory that holds a path's last component, and that component.
    fn parent(&self, w: &[i64], path: &[i64]) -> Result<(i64, i64), Errno> {
        let len = path.iter().take_while(|&&c| c != 0).count();
        if len == 0 {
            return Err(Errno::EINVAL);
        }
        let dir = self.resolve(w, &path[..len - 1])?;
        if !self.is_dir(w, dir) {
            return Err(Errno::ENOTDIR);
        }
        Ok((dir, path[len - 1]))
    }

    fn used_entries(&self, w: &[i64]) -> usize {
        (0..ENTRIES).take_while(|&i| w[self.entry(i)] != 0).count()
    }

    /// Adds `name -> ino` to `dir`, in order; stamps the directory.
    fn link(&self, w: &mut [i64], dir: i64, name: i64, ino: i64, now: i64) -> Result<(), Errno> {
        let used = self.used_entries(w);
        if used == ENTRIES {
            return Err(Errno::ENOSPC);
        }
        let at = (0..used)
            .find(|&i| {
                let e = self.entry(i);
                (w[e], w[e + 1]) > (dir, name)
            })
            .unwrap_or(used);
        let (from, to) = (self.entry(at), self.entry(used));
        w.copy_within(from..to, from + ENTRY);
        w[from..from + ENTRY].copy_from_slice(&[dir, name, ino]);
        w[self.inode(dir) + 1] = now;
        Ok(())
    }

    /// Removes entry `i`; stamps its directory; frees its inode when nothing refers to it.
    fn unlink_entry(&self, w: &mut [i64], i: usize, now: i64) {
        let at = self.entry(i);
        let (dir, ino) = (w[at], w[at + 2]);
        let end = self.entry(self.used_entries(w));
        w.copy_within(at + ENTRY..end, at);
        w[end - ENTRY..end].fill(0);
        w[self.inode(dir) + 1] = now;
        self.release(w, ino);
    }

    /// Frees an inode no name and no descriptor refers to.
    pub fn release(&self, w: &mut [i64], ino: i64) {
        let named = (0..ENTRIES)
            .map(|i| self.entry(i))
            .take_while(|&at| w[at] != 0)
            .any(|at| w[at + 2] == ino);
        let at = self.inode(ino);
        if !named && w[at + 3] == 0 {
            w[at..at + INODE].fill(0);
        }
    }

    fn allocate(&self, w: &mut [i64], kind: i64, now: i64) -> Result<i64, Errno> {
        let ino = (2..=INODES as i64)
            .find(|&i| w[self.inode(i)] == 0)
            .ok_or(Errno::ENOSPC)?;
        let at = self.inode(ino);
        w[at] = kind;
        w[at + 1] = now;
        Ok(ino)
    }

    fn has_children(&self, w: &[i64], dir: i64) -> bool {
        (0..ENTRIES)
            .map(|i| self.entry(i))
            .take_while(|&at| w[at] != 0)
            .any(|at| w[at] == dir)
    }

    pub fn mkdir(&self, w: &mut [i64], path: &[i64], now: i64) -> Result<(), Errno> {
        let (dir, name) = self.parent(w, path)?;
        if self.lookup(w, dir, name).is_some() {
            return Err(Errno::EEXIST);
        }
        let ino = self.allocate(w, KIND_DIR, now)?;
        self.link(w, dir, name, ino, now).inspect_err(|_| {
            let at = self.inode(ino);
            w[at..at + INODE].fill(0);
        })
    }

    /// `mkdir -p`: creates each missing directory; an existing file on the way is ENOTDIR
    /// (Node says EEXIST for the last component when it is a file).
    pub fn mkdir_all(&self, w: &mut [i64], path: &[i64], now: i64) -> Result<(), Errno> {
        let len = path.iter().take_while(|&&c| c != 0).count();
        for end in 1..=len {
            match self.resolve(w, &path[..end]) {
                Ok(ino) if self.is_dir(w, ino) => continue,
                Ok(_) if end == len => return Err(Errno::EEXIST),
                Ok(_) => return Err(Errno::ENOTDIR),
                Err(Errno::ENOENT) => self.mkdir(w, &path[..end], now)?,
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    pub fn rmdir(&self, w: &mut [i64], path: &[i64], now: i64) -> Result<(), Errno> {
        let (dir, name) = self.parent(w, path)?;
        let (i, ino) = self.lookup(w, dir, name).ok_or(Errno::ENOENT)?;
        if !self.is_dir(w, ino) {
            return Err(Errno::ENOTDIR);
        }
        if self.has_children(w, ino) {
            return Err(Errno::ENOTEMPTY);
        }
        self.unlink_entry(w, i, now);
        Ok(())
    }

    pub fn unlink(&self, w: &mut [i64], path: &[i64], now: i64) -> Result<(), Errno> {
        let (dir, name) = self.parent(w, path)?;
        let (i, ino) = self.lookup(w, dir, name).ok_or(Errno::ENOENT)?;
        if self.is_dir(w, ino) {
            return Err(Errno::EISDIR);
        }
        self.unlink_entry(w, i, now);
        Ok(())
    }

    /// POSIX `rename`: replaces a file, or an empty directory with a directory; a directory
    /// cannot move under itself.
    pub fn rename(&self, w: &mut [i64], from: &[i64], to: &[i64], now: i64) -> Result<(), Errno> {
        let (from_dir, from_name) = self.parent(w, from)?;
        let (_, ino) = self.lookup(w, from_dir, from_name).ok_or(Errno::ENOENT)?;
        let (to_dir, to_name) = self.parent(w, to)?;
        if self.is_dir(w, ino) && self.is_under(w, to_dir, ino) {
            return Err(Errno::EINVAL);
        }
        if let Some((j, target)) = self.lookup(w, to_dir, to_name) {
            if target == ino {
                return Ok(());
            }
            match (self.is_dir(w, ino), self.is_dir(w, target)) {
                (true, false) => return Err(Errno::ENOTDIR),
                (false, true) => return Err(Errno::EISDIR),
                (true, true) if self.has_children(w, target) => return Err(Errno::ENOTEMPTY),
                _ => {}
            }
            self.unlink_entry(w, j, now);
        }
        let (i, _) = self.lookup(w, from_dir, from_name).expect("still there");
        let at = self.entry(i);
        let end = self.entry(self.used_entries(w));
        w.copy_within(at + ENTRY..end, at);
        w[end - ENTRY..end].fill(0);
        w[self.inode(from_dir) + 1] = now;
        self.link(w, to_dir, to_name, ino, now)
    }

    /// Whether directory `dir` is `ancestor` or lies under it.
    fn is_under(&self, w: &[i64], mut dir: i64, ancestor: i64) -> bool {
        loop {
            if dir == ancestor {
                return true;
            }
            let parent = (0..ENTRIES)
                .map(|i| self.entry(i))
                .take_while(|&at| w[at] != 0)
                .find(|&at| w[at + 2] == dir)
                .map(|at| w[at]);
            match parent {
                Some(p) => dir = p,
                None => return false,
            }
        }
    }

    /// `{ ino, mtime, size, dir }`.
    pub fn stat(&self, w: &[i64], path: &[i64]) -> Result<[i64; 4], Errno> {
        let ino = self.resolve(w, path)?;
        let at = self.inode(ino);
        Ok([ino, w[at + 1], w[at + 2], i64::from(w[at] == KIND_DIR)])
    }

    /// The content: its length, then [`WORDS`] words.
    pub fn read(&self, w: &[i64], path: &[i64], out: &mut [i64]) -> Result<(), Errno> {
        let ino = self.resolve(w, path)?;
        if self.is_dir(w, ino) {
            return Err(Errno::EISDIR);
        }
        let at = self.inode(ino);
        out[0] = w[at + 2];
        out[1..=WORDS].copy_from_slice(&w[at + 4..at + 4 + WORDS]);
        Ok(())
    }

    /// The names in a directory: their count, then [`ENTRIES`] names in Node's order (libuv's
    /// scandir sorts by name): by the stem's text, then a stem's numbered names by number. The
    /// table keeps a directory's entries by name index, which is the order the file first
    /// mentions each stem: sorting by the text keeps the listing independent of how the file
    /// is written.
    pub fn readdir(&self, w: &[i64], path: &[i64], out: &mut [i64]) -> Result<(), Errno> {
        let dir = self.resolve(w, path)?;
        if !self.is_dir(w, dir) {
            return Err(Errno::ENOTDIR);
        }
        out.fill(0);
        let mut n = 0;
        for at in (0..ENTRIES).map(|i| self.entry(i)) {
            if w[at] == dir {
                n += 1;
                out[n] = w[at + 1];
            }
        }
        out[0] = n as i64;
        // Insertion sort: at most ENTRIES names, already sorted within each stem.
        for i in 2..=n {
            let mut j = i;
            while j > 1 && self.listed_before(out[j], out[j - 1]) {
                out.swap(j, j - 1);
                j -= 1;
            }
        }
        Ok(())
    }

    /// Whether `a` comes before `b` in a listing: by stem text, then by number (a plain name
    /// before the numbered ones of its stem).
    fn listed_before(&self, a: i64, b: i64) -> bool {
        let ((stem_a, number_a), (stem_b, number_b)) = (split_name(a), split_name(b));
        let text = |stem: usize| {
            stem.checked_sub(1)
                .and_then(|i| self.names.get(i))
                .map_or("", String::as_str)
        };
        (text(stem_a), number_a) < (text(stem_b), number_b)
    }

    /// Opens a file for writing (creating it, or truncating it unless `exclusive`); returns
    /// its inode, which the caller holds open.
    pub fn open(
        &self,
        w: &mut [i64],
        path: &[i64],
        exclusive: bool,
        now: i64,
    ) -> Result<i64, Errno> {
        let (dir, name) = self.parent(w, path)?;
        let ino = match self.lookup(w, dir, name) {
            Some(_) if exclusive => return Err(Errno::EEXIST),
            Some((_, ino)) if self.is_dir(w, ino) => return Err(Errno::EISDIR),
            Some((_, ino)) => {
                let at = self.inode(ino);
                w[at + 1] = now;
                w[at + 2] = 0;
                w[at + 4..at + 4 + WORDS].fill(0);
                ino
            }
            None => {
                let ino = self.allocate(w, KIND_FILE, now)?;
                self.link(w, dir, name, ino, now).inspect_err(|_| {
                    let at = self.inode(ino);
                    w[at..at + INODE].fill(0);
                })?;
                ino
            }
        };
        w[self.inode(ino) + 3] += 1;
        Ok(ino)
    }

    /// Writes `content` (a length, then words) through an open descriptor on `ino`, and
    /// closes it.
    pub fn write(&self, w: &mut [i64], ino: i64, content: &[i64], now: i64) {
        let at = self.inode(ino);
        let len = content[0].clamp(0, WORDS as i64);
        w[at + 1] = now;
        w[at + 2] = len;
        w[at + 4..at + 4 + WORDS].copy_from_slice(&content[1..=WORDS]);
        self.close(w, ino);
    }

    /// Closes a descriptor on `ino` (a write's, or a killed process's).
    pub fn close(&self, w: &mut [i64], ino: i64) {
        let at = self.inode(ino);
        w[at + 3] -= 1;
        self.release(w, ino);
    }

    pub fn utimes(&self, w: &mut [i64], path: &[i64], mtime: i64) -> Result<(), Errno> {
        let ino = self.resolve(w, path)?;
        w[self.inode(ino) + 1] = mtime;
        Ok(())
    }

    /// The region as text: every name with its kind, mtime and content.
    pub fn show(&self, w: &[i64]) -> String {
        let mut out = Vec::new();
        self.show_dir(w, ROOT, "", &mut out);
        if out.is_empty() {
            "(empty)".to_string()
        } else {
            out.join("  ")
        }
    }

    fn show_dir(&self, w: &[i64], dir: i64, prefix: &str, out: &mut Vec<String>) {
        let children: Vec<(i64, i64)> = (0..ENTRIES)
            .map(|i| self.entry(i))
            .take_while(|&at| w[at] != 0)
            .filter(|&at| w[at] == dir)
            .map(|at| (w[at + 1], w[at + 2]))
            .collect();
        for (name, ino) in children {
            let path = format!("{prefix}/{}", self.show_name(name));
            let at = self.inode(ino);
            if self.is_dir(w, ino) {
                out.push(format!("{path}/ (mtime {})", w[at + 1]));
                self.show_dir(w, ino, &path, out);
            } else {
                let len = w[at + 2].clamp(0, WORDS as i64) as usize;
                let words: Vec<String> =
                    w[at + 4..at + 4 + len].iter().map(i64::to_string).collect();
                out.push(format!(
                    "{path} [{}] (mtime {})",
                    words.join(", "),
                    w[at + 1]
                ));
            }
        }
    }
}

/// Whether actor `b`'s process has started (and so has had a pid to hand on).
fn started(w: &[i64], base: usize) -> bool {
    w[base + B_STATUS] != ST_NEW
}

/// Whether actor `b` is a live process: it has started and neither ended nor been killed.
fn live(w: &[i64], base: usize) -> bool {
    let status = w[base + B_STATUS];
    let life = w[base + B_LIFE];
    status != ST_NEW
        && status != ST_DONE
        && status != ST_FAILED
        && (life == Lifecycle::Live as i64 || life == Lifecycle::Detached as i64)
}

/// `kill(pid, 0)` from actor `caller`.
pub fn kill0(
    w: &[i64],
    actors: &[Instance],
    bases: &[u32],
    caller: usize,
    pid: i64,
) -> Result<(), Errno> {
    if pid == 0 || pid == -1 {
        // The caller's own process group, or every process it may signal: either includes
        // the caller itself, so the probe succeeds (Node's `process.kill(0, 0)` returns true).
        // A pidfile that reads 0 does not look dead. Other groups are not modelled.
        return Ok(());
    }
    let me = &actors[caller];
    let mut denied = false;
    for (b, inst) in actors.iter().enumerate() {
        if inst.process.host != me.process.host || inst.process.pid != pid {
            continue;
        }
        let uid = if live(w, bases[b] as usize) {
            inst.process.uid
        } else if started(w, bases[b] as usize)
            && inst.process.reuse_at.is_some_and(|t| w[W_NOW] >= t)
        {
            // The pid now names an unrelated process.
            inst.process.reuse_uid
        } else {
            continue;
        };
        if uid == me.process.uid || me.process.uid == 0 {
            return Ok(());
        }
        denied = true;
    }
    if denied {
        Err(Errno::EPERM)
    } else {
        Err(Errno::ESRCH)
    }
}

#[cfg(test)]
#[path = "os_tests.rs"]
mod tests;
