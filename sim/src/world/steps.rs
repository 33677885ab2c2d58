//! Node `fs` calls that are several system calls: `writeFile` and `rm -rf`, as state machines
//! a model keeps in its actor state and drives one system call per step.
//!
//! Each `step` performs exactly one [`Fs`] call and returns `Poll::Pending` until the Node call
//! would settle, then `Poll::Ready` with what the promise resolves or rejects with. Between two
//! steps any other actor may move, and a crash simply drops the machine: whatever the calls so
//! far did stays on disk (an empty or partial file, a half-removed tree), and the process's
//! descriptors are closed by `world::kill9`. `next_op` names the call the next step makes, for
//! timelines ("W2 rm: rmdir /cache/x.lock").

use std::task::Poll;

use crate::inline::InlineVec;

use super::fs::{Content, Ctx, Fd, Fs, Listing, Op, OpenMode};
use super::path::PathId;
use super::Errno;

/// `fs.promises.writeFile(path, content)`: `open(path, 'w')` (create or truncate, one
/// syscall), `write` (one syscall for a small buffer, or one per chunk if the model asks), then
/// `close`. Each is a step, so:
/// - a reader between `open` and the first `write` sees an empty file (the restart lock V3
///   overwrites `L` this way; eve's owner.json is created this way);
/// - a crash after `open` leaves an empty file (eve D1-h: a lock directory with an empty or
///   missing owner, classified `unknown`), after a chunk a partial one;
/// - `open` fails with ENOENT when the directory vanished since the caller's `mkdir` (eve D1-b:
///   a reclaimer's `rm -rf` landed between W1's `mkdir(lock)` and its owner.json write).
///
/// As in Node, a failed write still closes the descriptor before the call rejects, with the
/// write's error.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct WriteFile {
    path: PathId,
    content: Content,
    /// Words per `write` syscall.
    chunk: u8,
    /// Opened with `'wx'` (O_CREAT|O_EXCL): EEXIST if the file exists, instead of `'w'`.
    exclusive: bool,
    at: WriteAt,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum WriteAt {
    Open,
    Write { fd: Fd, done: u8 },
    Close { fd: Fd, result: Result<(), Errno> },
    Finished,
}

impl WriteFile {
    /// Writes `content` with one `write` syscall: what Node does for a buffer this small.
    pub fn new(path: PathId, content: Content) -> Self {
        WriteFile {
            path,
            chunk: content.len().max(1) as u8,
            content,
            exclusive: false,
            at: WriteAt::Open,
        }
    }

    /// Opens with `'wx'`: the write creates the file or fails with EEXIST, so a writer can
    /// never overwrite a file someone else created.
    pub fn exclusive(mut self) -> Self {
        self.exclusive = true;
        self
    }

    /// Splits the data into `write` syscalls of `words` words each, so readers and crashes can
    /// also see each prefix (a torn write; one word per field is the finest a model can ask).
    pub fn in_chunks(mut self, words: u8) -> Self {
        assert!(words > 0, "chunks of zero words");
        self.chunk = words;
        self
    }

    /// This write with its path and content renamed (symmetry reduction; see
    /// [`super::Fs::relabeled`]).
    pub fn relabeled(&self, map: &dyn super::fs::Relabel) -> Self {
        WriteFile {
            path: map.path(self.path),
            content: map.content(&self.content),
            ..*self
        }
    }

    pub fn path(&self) -> PathId {
        self.path
    }

    /// The descriptor it holds open, if any.
    pub fn fd(&self) -> Option<Fd> {
        match self.at {
            WriteAt::Write { fd, .. } | WriteAt::Close { fd, .. } => Some(fd),
            WriteAt::Open | WriteAt::Finished => None,
        }
    }

    /// The call the next step makes, `None` once finished.
    pub fn next_op(&self) -> Option<Op> {
        match self.at {
            WriteAt::Open => Some(Op::Open),
            WriteAt::Write { .. } => Some(Op::Write),
            WriteAt::Close { .. } => Some(Op::Close),
            WriteAt::Finished => None,
        }
    }

    /// Performs the next system call.
    pub fn step<const N: usize>(&mut self, fs: &mut Fs<N>, cx: Ctx<'_>) -> Poll<Result<(), Errno>> {
        match self.at {
            WriteAt::Open => match fs.open(
                cx,
                self.path,
                if self.exclusive {
                    OpenMode::CreateExcl
                } else {
                    OpenMode::Truncate
                },
            ) {
                Err(e) => {
                    self.at = WriteAt::Finished;
                    Poll::Ready(Err(e))
                }
                Ok(fd) => {
                    self.at = if self.content.is_empty() {
                        WriteAt::Close { fd, result: Ok(()) }
                    } else {
                        WriteAt::Write { fd, done: 0 }
                    };
                    Poll::Pending
                }
            },
            WriteAt::Write { fd, done } => {
                let words = self.content.words();
                let end = (done as usize + self.chunk as usize).min(words.len());
                self.at = match fs.write(cx, fd, &words[done as usize..end]) {
                    Ok(()) if end == words.len() => WriteAt::Close { fd, result: Ok(()) },
                    Ok(()) => WriteAt::Write {
                        fd,
                        done: end as u8,
                    },
                    Err(e) => WriteAt::Close { fd, result: Err(e) },
                };
                Poll::Pending
            }
            WriteAt::Close { fd, result } => {
                let closed = fs.close(cx, fd);
                self.at = WriteAt::Finished;
                // Node (`handleFdClose`): the write's error wins over the close's.
                Poll::Ready(result.and(closed))
            }
            WriteAt::Finished => panic!("WriteFile stepped after it settled"),
        }
    }
}

/// Deepest directory nesting `rm -rf` walks.
pub const RM_DEPTH: usize = 4;

/// `fs.promises.rm(path, {recursive: true, force: true})`, the walk Node's rimraf does, one
/// system call per step. It is eve's release and reclaim, and it is *blind*: every call
/// re-resolves the path, so a walk that judged one lock generation removes whatever directory
/// holds the name by the time each call lands (D1-a/D3: W2's `rm -rf` deletes W1's fresh lock).
///
/// Per path: `lstat`; a file is `unlink`ed; a directory is `rmdir`ed, and if that says
/// ENOTEMPTY, `readdir`, remove each child the same way, then `rmdir` once more. ENOENT at any
/// point means "already gone" and counts as success. Quirks kept from Node (non-Windows):
/// an `lstat` error other than ENOENT falls through to `unlink`; `unlink` failing with EISDIR
/// or EPERM falls back to `rmdir`; `rmdir` saying ENOTDIR after `lstat` saw a directory (it was
/// replaced by a file meanwhile) ends the walk successfully, leaving the file. `maxRetries` is
/// Node's default 0, so a final `rmdir` that hits ENOTEMPTY (someone created an entry after
/// the `readdir`) rejects with ENOTEMPTY. Node's top-level validation `lstat` is left out: it
/// is a read whose only effect is the same early ENOENT exit as the walk's own first `lstat`.
///
/// Node removes the children of one directory concurrently; this walk removes them one after
/// the other, in name order. For the lock directories of both protocols (one `owner.json`)
/// that is the same thing. A failing child fails the walk at once.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RmRf {
    stack: InlineVec<Frame, RM_DEPTH>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
struct Frame {
    path: PathId,
    at: RmAt,
    /// The `unlink` error that sent a file path to `rmdir` (returned if `rmdir` says ENOTDIR).
    orig: Option<Errno>,
    /// Children still to remove, last first.
    left: Listing,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
enum RmAt {
    #[default]
    Lstat,
    Unlink,
    Rmdir,
    Readdir,
    /// The `rmdir` after the children are gone.
    RmdirLast,
}

enum Then {
    Pending,
    PushChild,
    Finish(Result<(), Errno>),
}

impl RmRf {
    pub fn new(path: PathId) -> Self {
        let mut stack = InlineVec::new();
        stack.push(Frame::new(path));
        RmRf { stack }
    }

    /// This removal with its paths renamed (symmetry reduction; see
    /// [`super::Fs::relabeled`]). The children still to remove keep their order.
    pub fn relabeled(&self, map: &dyn super::fs::Relabel) -> Self {
        let mut copy = *self;
        for frame in &mut copy.stack {
            frame.path = map.path(frame.path);
            for child in &mut frame.left {
                *child = map.path(*child);
            }
        }
        copy
    }

    /// The call the next step makes and its path, `None` once finished.
    pub fn next_op(&self) -> Option<(Op, PathId)> {
        let top = self.stack.last()?;
        let op = match top.at {
            RmAt::Lstat => Op::Stat,
            RmAt::Unlink => Op::Unlink,
            RmAt::Rmdir | RmAt::RmdirLast => Op::Rmdir,
            RmAt::Readdir => Op::Readdir,
        };
        Some((op, top.path))
    }

    /// Performs the next system call.
    pub fn step<const N: usize>(&mut self, fs: &mut Fs<N>, cx: Ctx<'_>) -> Poll<Result<(), Errno>> {
        let top = self
            .stack
            .last_mut()
            .expect("RmRf stepped after it settled");
        let path = top.path;
        let then = match top.at {
            RmAt::Lstat => match fs.stat(cx, path) {
                Ok(st) if st.is_dir() => {
                    top.at = RmAt::Rmdir;
                    Then::Pending
                }
                Err(Errno::ENOENT) => Then::Finish(Ok(())),
                // A file, or an lstat error other than ENOENT: Node tries the unlink.
                _ => {
                    top.at = RmAt::Unlink;
                    Then::Pending
                }
            },
            RmAt::Unlink => match fs.unlink(cx, path) {
                Err(e @ (Errno::EISDIR | Errno::EPERM)) => {
                    top.at = RmAt::Rmdir;
                    top.orig = Some(e);
                    Then::Pending
                }
                r => Then::Finish(r),
            },
            RmAt::Rmdir => match fs.rmdir(cx, path) {
                Err(Errno::ENOTEMPTY | Errno::EEXIST | Errno::EPERM) => {
                    top.at = RmAt::Readdir;
                    Then::Pending
                }
                Err(Errno::ENOTDIR) => Then::Finish(top.orig.map_or(Ok(()), Err)),
                r => Then::Finish(r),
            },
            RmAt::Readdir => match fs.readdir(cx, path) {
                Ok(mut names) => {
                    names.reverse();
                    top.left = names;
                    top.at = RmAt::RmdirLast;
                    Then::PushChild
                }
                Err(e) => Then::Finish(Err(e)),
            },
            RmAt::RmdirLast => Then::Finish(fs.rmdir(cx, path)),
        };
        match then {
            Then::Pending => Poll::Pending,
            Then::PushChild => {
                self.push_next_child();
                Poll::Pending
            }
            Then::Finish(r) => self.finish(r),
        }
    }

    /// The frame on top settled with `r`.
    fn finish(&mut self, r: Result<(), Errno>) -> Poll<Result<(), Errno>> {
        // Node's per-path wrapper: ENOENT means someone else already removed it.
        let r = match r {
            Err(Errno::ENOENT) => Ok(()),
            r => r,
        };
        self.stack.pop();
        if self.stack.is_empty() {
            return Poll::Ready(r);
        }
        match r {
            Err(e) => self.finish(Err(e)),
            Ok(()) => {
                self.push_next_child();
                Poll::Pending
            }
        }
    }

    /// Starts on the top frame's next child, if any (otherwise its next step is the last
    /// `rmdir`).
    fn push_next_child(&mut self) {
        let top = self.stack.last_mut().expect("a parent frame");
        if let Some(child) = top.left.pop() {
            self.stack
                .try_push(Frame::new(child))
                .unwrap_or_else(|_| panic!("rm -rf deeper than RM_DEPTH ({RM_DEPTH})"));
        }
    }
}

impl Frame {
    fn new(path: PathId) -> Self {
        Frame {
            path,
            at: RmAt::Lstat,
            orig: None,
            left: Listing::new(),
        }
    }
}
