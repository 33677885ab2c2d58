//! # The simulated OS: filesystem, processes, hosts
//!
//! Building blocks a protocol model embeds in its world state and calls one system call per
//! step. No protocol logic lives here.

pub mod path;
pub mod proc;

use std::fmt;

pub use path::{NameId, PathId, Paths};
pub use proc::{HostId, Hostname, Pid, ProcId, ProcState, Procs, Uid};

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
