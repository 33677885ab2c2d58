//! # The simulated OS: filesystem, processes, hosts
//!
//! Building blocks a protocol model embeds in its world state and calls **one system call per
//! step**, so that every interleaving of two processes' calls is a schedule the explorers can
//! reach. No protocol logic lives here; the restart lock (§3) and the eve prewarm lock (§4) are
//! written on top of it.
//!
//! | module | job |
//! |--------|-----|
//! | [`path`] | interning path names once per scenario, outside the hashed world |
//! | [`fs`] | the kernel-atomic calls: `open` (`'wx'`/`'w'`), `write`/`close` on a descriptor, `mkdir`, `mkdir -p`, `rename`, `unlink`, `rmdir`, `stat`, `readFile`, `readdir`, `utimes`; injected faults |
//! | [`steps`] | the Node calls that are several syscalls: `writeFile`, `rm -rf` |
//! | [`proc`] | processes (pid reuse, pause, kill -9, `kill(pid, 0)`), hosts (pid namespaces, hostnames, clock skew) |
//!
//! Everything in the state is `Clone + Hash + Eq + Debug`, allocation-free and kept in a
//! canonical order (sorted tables, smallest-free inode and descriptor numbers), so two
//! histories that reach the same files and processes are the same world to the exhaustive
//! explorer.
//!
//! ## Embedding
//!
//! 1. **Intern paths up front**, in the model (not the state): `paths.intern("home/L")`. Every
//!    path a run can reach, including the children of a directory under any name it may be
//!    renamed to.
//! 2. **Put [`Fs`] and [`Procs`] in the world** beside the actors. Build the initial world with
//!    ordinary calls made through [`Ctx::setup`] (a pre-existing stale lock is written with
//!    [`Fs::put_file`] and backdated with [`Fs::utimes`]).
//! 3. **One call per step.** In `apply`, build a [`Ctx`] for the acting process (its host's
//!    clock stamps mtimes) and make exactly one call; keep multi-call operations
//!    ([`WriteFile`], [`RmRf`]) in the actor's state and `step` them once per move.
//! 4. **Environment moves** are calls too: [`kill9`] (the process dies, its descriptors close,
//!    its files stay), [`Procs::pause`] / [`Procs::resume`], [`Procs::reuse_pid`],
//!    [`Procs::set_skew`], [`Fs::inject`] (the next `op` on `path` fails with an errno).
//!
//! ## Example
//!
//! ```
//! use std::task::Poll;
//! use lockstep_sim::world::{
//!     kill9, Content, Ctx, Errno, Fs, Hostname, PathId, Paths, Pid, ProcId, Procs, Uid,
//!     WriteFile,
//! };
//!
//! /// Fixed for a scenario: outside the hashed world.
//! struct Model { paths: Paths, lock: PathId, owner: PathId }
//!
//! #[derive(Clone, Debug, PartialEq, Eq, Hash)]
//! struct World { now: u64, fs: Fs<8>, procs: Procs, actors: [Actor; 2] }
//!
//! #[derive(Clone, Debug, PartialEq, Eq, Hash)]
//! struct Actor { proc: ProcId, pc: Pc }
//!
//! #[derive(Clone, Debug, PartialEq, Eq, Hash)]
//! enum Pc { Claim, Record(WriteFile), Owner, Waiting }
//!
//! impl Model {
//!     fn new() -> Self {
//!         let mut paths = Paths::new();
//!         let owner = paths.intern("cache/x.lock/owner.json");
//!         let lock = paths.parent(owner).unwrap();
//!         Model { paths, lock, owner }
//!     }
//!
//!     fn initial(&self) -> World {
//!         let mut procs = Procs::new();
//!         let host = procs.add_host(Hostname(0), 0);
//!         let a = procs.spawn(host, Pid(100), Uid::USER);
//!         let b = procs.spawn(host, Pid(200), Uid::USER);
//!         let mut fs = Fs::new();
//!         let cache = self.paths.parent(self.lock).unwrap();
//!         fs.mkdir_p(Ctx::setup(&self.paths, 0), cache).unwrap();
//!         let actors = [a, b].map(|proc| Actor { proc, pc: Pc::Claim });
//!         World { now: 0, fs, procs, actors }
//!     }
//!
//!     /// One move of actor `i`: exactly one filesystem call (eve's claim, then its owner.json).
//!     fn step(&self, w: &mut World, i: usize) {
//!         let me = w.actors[i].proc;
//!         let cx = Ctx::new(&self.paths, me, w.procs.now_of(me, w.now));
//!         let pid = w.procs.pid(me).0 as u64;
//!         let pc = &mut w.actors[i].pc;
//!         *pc = match std::mem::replace(pc, Pc::Waiting) {
//!             Pc::Claim => match w.fs.mkdir(cx, self.lock) {
//!                 Ok(()) => Pc::Record(WriteFile::new(self.owner, Content::new(&[cx.now, pid]))),
//!                 Err(Errno::EEXIST) => Pc::Waiting,
//!                 Err(e) => panic!("{e}"),
//!             },
//!             Pc::Record(mut wf) => match wf.step(&mut w.fs, cx) {
//!                 Poll::Pending => Pc::Record(wf),
//!                 Poll::Ready(Ok(())) => Pc::Owner,
//!                 Poll::Ready(Err(_)) => Pc::Claim, // a lost claim (D1-b): retry
//!             },
//!             done => done,
//!         };
//!     }
//! }
//!
//! let m = Model::new();
//! let mut w = m.initial();
//! m.step(&mut w, 0); // A: mkdir(lock) -> Ok
//! m.step(&mut w, 1); // B: mkdir(lock) -> EEXIST
//! m.step(&mut w, 0); // A: open(owner.json, 'w'): the file exists, empty
//! assert_eq!(w.fs.peek_content(&m.paths, m.owner).map(|c| c.len()), Some(0));
//! // Environment move: A is killed before its write. No cleanup: the empty owner.json stays
//! // (eve D1-h), and A's descriptor is closed by the kernel.
//! let a = w.actors[0].proc;
//! kill9(&mut w.procs, &mut w.fs, a);
//! assert!(w.fs.exists(&m.paths, m.owner));
//! assert_eq!(w.fs.open_fds(a), 0);
//! assert_eq!(w.procs.kill0(w.actors[1].proc, Pid(100)), Err(Errno::ESRCH));
//! ```
//!
//! ## Left out, on purpose
//!
//! Symlinks and hard links (neither protocol makes one); permissions on files (only `kill`'s
//! EPERM is modeled); atime and ctime; zombies (a killed process is reaped at once); torn
//! writes *inside* a word (the finest split is one word per write); Node's `rm` retries
//! (`maxRetries` 0, the default) and its concurrent removal of siblings; hierarchical pid
//! namespaces (each host is one flat namespace).

pub mod fs;
pub mod path;
pub mod proc;
pub mod steps;

use std::fmt;

pub use fs::{
    Content, Ctx, Fault, Fd, Fs, Ino, Kind, Listing, Op, OpenMode, Relabel, Stat, Word,
    CONTENT_WORDS, MAX_FAULTS,
};
pub use path::{NameId, PathId, Paths};
pub use proc::{shown, HostId, Hostname, Pid, ProcId, ProcState, Procs, Uid, HOST_EPOCH};
pub use steps::{RmRf, WriteFile};

/// A POSIX error number, named as Node's `err.code` names it.
#[allow(clippy::upper_case_acronyms)] // the POSIX names, so matches read like the protocols' code
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Errno {
    EEXIST,
    ENOENT,
    ENOTDIR,
    EISDIR,
    ENOTEMPTY,
    EINVAL,
    EBADF,
    EBUSY,
    ENOSPC,
    EIO,
    EACCES,
    EPERM,
    ESRCH,
}

impl Errno {
    /// Every errno a system call of the world answers.
    pub const ALL: [Errno; 13] = [
        Errno::EEXIST,
        Errno::ENOENT,
        Errno::ENOTDIR,
        Errno::EISDIR,
        Errno::ENOTEMPTY,
        Errno::EINVAL,
        Errno::EBADF,
        Errno::EBUSY,
        Errno::ENOSPC,
        Errno::EIO,
        Errno::EACCES,
        Errno::EPERM,
        Errno::ESRCH,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Errno::EEXIST => "EEXIST",
            Errno::ENOENT => "ENOENT",
            Errno::ENOTDIR => "ENOTDIR",
            Errno::EISDIR => "EISDIR",
            Errno::ENOTEMPTY => "ENOTEMPTY",
            Errno::EINVAL => "EINVAL",
            Errno::EBADF => "EBADF",
            Errno::EBUSY => "EBUSY",
            Errno::ENOSPC => "ENOSPC",
            Errno::EIO => "EIO",
            Errno::EACCES => "EACCES",
            Errno::EPERM => "EPERM",
            Errno::ESRCH => "ESRCH",
        }
    }
}

impl fmt::Display for Errno {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// kill -9 of `p`: it stops for good, no `finally` runs, its files stay, and the kernel closes
/// its descriptors (an unlinked inode it alone held open is freed). The one call to use when a
/// world has both an [`Fs`] and a [`Procs`].
pub fn kill9<const N: usize>(procs: &mut Procs, fs: &mut Fs<N>, p: ProcId) {
    procs.kill9(p);
    fs.close_all(p);
}

#[cfg(test)]
mod tests;
