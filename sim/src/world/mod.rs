//! # The simulated OS: filesystem, processes, hosts
//!
//! Building blocks a protocol model embeds in its world state and calls one system call per
//! step. No protocol logic lives here.

pub mod fs;
pub mod path;
pub mod proc;
pub mod steps;

use std::fmt;

pub use fs::{
    Content, Ctx, Fault, Fd, Fs, Ino, Kind, Listing, Op, OpenMode, Stat, Word, CONTENT_WORDS,
};
pub use path::{NameId, PathId, Paths};
pub use proc::{HostId, Hostname, Pid, ProcId, ProcState, Procs, Uid};
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
