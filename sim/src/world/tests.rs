//! POSIX behaviour of every call, and the protocol races each granularity exists for.

use std::task::Poll;

use super::*;
use crate::fingerprint::fingerprint;

const P1: ProcId = ProcId(0);
const P2: ProcId = ProcId(1);

/// The paths both protocols use, interned once.
#[derive(Clone, Copy)]
struct Names {
    home: PathId,
    l: PathId,
    m: PathId,
    rl: PathId,
    tmp: PathId,
    cache: PathId,
    lock: PathId,
    owner: PathId,
    tomb: PathId,
    tomb_owner: PathId,
    stray: PathId,
    /// Under a directory no test creates.
    nowhere: PathId,
}

fn names() -> (Paths, Names) {
    let mut p = Paths::new();
    let n = Names {
        home: p.intern("home"),
        l: p.intern("home/restart.lock"),
        m: p.intern("home/restart.lock.mutex"),
        rl: p.intern("home/restart.lock.mutex.reclaim"),
        tmp: p.intern("home/restart.lock.t2"),
        cache: p.intern("cache"),
        lock: p.intern("cache/x.lock"),
        owner: p.intern("cache/x.lock/owner.json"),
        tomb: p.intern("cache/x.lock.tombstone-1"),
        tomb_owner: p.intern("cache/x.lock.tombstone-1/owner.json"),
        stray: p.intern("cache/x.lock/stray"),
        nowhere: p.intern("cache/nowhere/x"),
    };
    (p, n)
}

/// A filesystem with `home/` and `cache/` made at t=0.
fn world() -> (Paths, Names, Fs<16>) {
    let (p, n) = names();
    let mut fs = Fs::new();
    fs.mkdir_p(Ctx::setup(&p, 0), n.home).unwrap();
    fs.mkdir_p(Ctx::setup(&p, 0), n.cache).unwrap();
    (p, n, fs)
}

fn at(paths: &Paths, proc: ProcId, now: u64) -> Ctx<'_> {
    Ctx::new(paths, proc, now)
}

fn words(fs: &Fs<16>, paths: &Paths, p: PathId) -> Option<Vec<Word>> {
    fs.peek_content(paths, p).map(|c| c.words().to_vec())
}

// ---- open, write, close ----------------------------------------------------------------------

#[test]
fn open_wx_creates_an_empty_file_then_says_eexist() {
    let (p, n, mut fs) = world();
    let fd = fs.open(at(&p, P1, 5), n.m, OpenMode::CreateExcl).unwrap();
    // The mutex exists, empty, before its owner writes the token: why V3 judges M by mtime.
    let st = fs.peek(&p, n.m).unwrap();
    assert_eq!((st.kind, st.size, st.mtime), (Kind::File, 0, 5));
    assert_eq!(
        fs.open(at(&p, P2, 6), n.m, OpenMode::CreateExcl),
        Err(Errno::EEXIST)
    );
    // EEXIST for a directory too.
    assert_eq!(
        fs.open(at(&p, P2, 6), n.home, OpenMode::CreateExcl),
        Err(Errno::EEXIST)
    );
    fs.write(at(&p, P1, 7), fd, &[100, 7, 1]).unwrap();
    fs.close(at(&p, P1, 8), fd).unwrap();
    assert_eq!(words(&fs, &p, n.m), Some(vec![100, 7, 1]));
    assert_eq!(
        fs.peek(&p, n.m).unwrap().mtime,
        7,
        "close does not touch mtime"
    );
}

#[test]
fn open_needs_an_existing_parent_directory() {
    let (p, n, mut fs) = world();
    let cx = at(&p, P1, 1);
    assert_eq!(
        fs.open(cx, n.owner, OpenMode::CreateExcl),
        Err(Errno::ENOENT)
    );
    fs.put_file(cx, n.l, &Content::new(&[1])).unwrap();
    let mut p2 = p.clone();
    let under_file = p2.intern("home/restart.lock/x");
    assert_eq!(
        fs.open(at(&p2, P1, 1), under_file, OpenMode::Truncate),
        Err(Errno::ENOTDIR)
    );
}

#[test]
fn open_w_truncates_in_the_same_step_and_restamps() {
    let (p, n, mut fs) = world();
    fs.put_file(at(&p, P1, 1), n.l, &Content::new(&[4242, 1, 9]))
        .unwrap();
    let ino = fs.peek(&p, n.l).unwrap().ino;
    let fd = fs.open(at(&p, P2, 50), n.l, OpenMode::Truncate).unwrap();
    let st = fs.peek(&p, n.l).unwrap();
    assert_eq!(
        (st.size, st.mtime, st.ino),
        (0, 50, ino),
        "same inode, now empty"
    );
    fs.close(at(&p, P2, 50), fd).unwrap();
    assert_eq!(
        fs.open(at(&p, P2, 50), n.home, OpenMode::Truncate),
        Err(Errno::EISDIR)
    );
}

#[test]
fn descriptors_belong_to_their_process_and_are_numbered_lowest_free() {
    let (p, n, mut fs) = world();
    let a = fs.open(at(&p, P1, 1), n.l, OpenMode::CreateExcl).unwrap();
    let b = fs.open(at(&p, P1, 1), n.m, OpenMode::CreateExcl).unwrap();
    let c = fs.open(at(&p, P2, 1), n.rl, OpenMode::CreateExcl).unwrap();
    assert_eq!((a, b, c), (Fd(3), Fd(4), Fd(3)));
    assert_eq!(fs.write(at(&p, P2, 2), b, &[1]), Err(Errno::EBADF));
    fs.close(at(&p, P1, 2), a).unwrap();
    assert_eq!(fs.close(at(&p, P1, 2), a), Err(Errno::EBADF));
    assert_eq!(
        fs.open(at(&p, P1, 3), n.tmp, OpenMode::CreateExcl),
        Ok(Fd(3))
    );
}

/// F3-x1: P1 creates the mutex, P2 reaps it as "corrupt" and creates its own, P1 writes its
/// token through its handle into the unlinked inode and believes it holds the mutex.
#[test]
fn a_write_through_a_handle_lands_in_the_unlinked_inode() {
    let (p, n, mut fs) = world();
    let fd1 = fs.open(at(&p, P1, 10), n.m, OpenMode::CreateExcl).unwrap();
    let (ino1, linked) = fs.fd_inode(P1, fd1).unwrap();
    assert!(linked);
    assert_eq!(fs.read_file(at(&p, P2, 11), n.m), Ok(Content::default()));
    fs.unlink(at(&p, P2, 11), n.m).unwrap();
    let fd2 = fs.open(at(&p, P2, 12), n.m, OpenMode::CreateExcl).unwrap();
    assert_eq!(fs.fd_inode(P1, fd1), Some((ino1, false)));
    let ino2 = fs.peek(&p, n.m).unwrap().ino;
    assert_ne!(ino2, ino1, "a new generation is a new inode");

    fs.write(at(&p, P1, 13), fd1, &[100, 13, 1]).unwrap();
    fs.write(at(&p, P2, 13), fd2, &[200, 13, 2]).unwrap();
    assert_eq!(words(&fs, &p, n.m), Some(vec![200, 13, 2]));
    assert_eq!(fs.fd_content(P1, fd1).unwrap().words(), &[100, 13, 1]);
    assert_eq!(
        fs.inode_count(),
        5,
        "root, home, cache, the new M and the orphaned one"
    );
    fs.close(at(&p, P1, 14), fd1).unwrap();
    assert_eq!(
        fs.inode_count(),
        4,
        "closing the last handle frees the orphan"
    );
    assert!(fs
        .show(&p)
        .to_string()
        .contains("restart.lock.mutex=[200, 13, 2]"));
}

#[test]
fn freed_inode_numbers_are_reused_smallest_first() {
    let (p, n, mut fs) = world();
    let cx = at(&p, P1, 1);
    fs.put_file(cx, n.l, &Content::new(&[1])).unwrap();
    let first = fs.peek(&p, n.l).unwrap().ino;
    fs.unlink(cx, n.l).unwrap();
    fs.put_file(cx, n.l, &Content::new(&[2])).unwrap();
    // ABA: a new generation under the same name with the same inode number.
    assert_eq!(fs.peek(&p, n.l).unwrap().ino, first);
}

/// The inode table is indexed by number: a number freed below a live one is a free slot that
/// the next creation takes, and once every inode above the root's directories is gone the
/// table is as if they had never been (a free slot left behind would split equal worlds).
#[test]
fn freed_inode_slots_are_taken_first_and_leave_no_trace() {
    let (p, n, base) = world();
    let cx = at(&p, P1, 7);
    let mut a = base.clone();
    a.put_file(cx, n.l, &Content::new(&[1])).unwrap();
    a.put_file(cx, n.m, &Content::new(&[2])).unwrap();
    let (l, m) = (a.peek(&p, n.l).unwrap().ino, a.peek(&p, n.m).unwrap().ino);
    a.unlink(cx, n.l).unwrap();
    assert_eq!(a.inode_count(), base.inode_count() + 1);
    a.put_file(cx, n.rl, &Content::new(&[3])).unwrap();
    assert_eq!(
        a.peek(&p, n.rl).unwrap().ino,
        l,
        "the free slot below M's is taken first"
    );
    assert_eq!(a.peek(&p, n.m).unwrap().ino, m);
    a.unlink(cx, n.rl).unwrap();
    a.unlink(cx, n.m).unwrap();
    // The same files and mtimes, reached with one creation instead of three.
    let mut b = base;
    b.put_file(cx, n.tmp, &Content::new(&[4])).unwrap();
    b.unlink(cx, n.tmp).unwrap();
    assert_eq!(a, b);
    assert_eq!(fingerprint(&a), fingerprint(&b));
}

#[test]
fn worlds_reached_in_different_orders_are_equal() {
    let (p, n, base) = world();
    let mut a = base.clone();
    let mut b = base;
    a.mkdir(at(&p, P1, 3), n.lock).unwrap();
    a.put_file(at(&p, P1, 3), n.l, &Content::new(&[1])).unwrap();
    b.put_file(at(&p, P1, 3), n.l, &Content::new(&[1])).unwrap();
    b.mkdir(at(&p, P1, 3), n.lock).unwrap();
    // Inode numbers differ (creation order), so these are different worlds...
    assert_ne!(a, b);
    // ...but the same history in the same order always gives the same world and hash.
    let mut c = a.clone();
    c.unlink(at(&p, P1, 3), n.l).unwrap();
    a.unlink(at(&p, P1, 3), n.l).unwrap();
    assert_eq!(a, c);
    assert_eq!(fingerprint(&a), fingerprint(&c));
}

// ---- mkdir, mkdir -p -------------------------------------------------------------------------

#[test]
fn mkdir_is_an_atomic_claim() {
    let (p, n, mut fs) = world();
    assert_eq!(fs.mkdir(at(&p, P1, 1), n.lock), Ok(()));
    assert_eq!(fs.mkdir(at(&p, P2, 1), n.lock), Err(Errno::EEXIST));
    assert_eq!(fs.mkdir(at(&p, P2, 1), n.tomb_owner), Err(Errno::ENOENT));
    fs.put_file(at(&p, P1, 1), n.l, &Content::new(&[1]))
        .unwrap();
    assert_eq!(fs.mkdir(at(&p, P2, 1), n.l), Err(Errno::EEXIST));
    let mut p2 = p.clone();
    let under_file = p2.intern("home/restart.lock/x");
    assert_eq!(fs.mkdir(at(&p2, P2, 1), under_file), Err(Errno::ENOTDIR));
    assert_eq!(fs.mkdir(at(&p, P2, 1), PathId::ROOT), Err(Errno::EEXIST));
}

#[test]
fn mkdir_p_creates_ancestors_and_accepts_existing_directories() {
    let (p, n) = names();
    let mut fs: Fs<16> = Fs::new();
    fs.mkdir_p(at(&p, P1, 4), n.tomb_owner).unwrap();
    for d in [n.cache, n.tomb, n.tomb_owner] {
        let st = fs.peek(&p, d).unwrap();
        assert!(st.is_dir());
        assert_eq!(st.mtime, 4);
    }
    assert_eq!(fs.mkdir_p(at(&p, P1, 9), n.tomb_owner), Ok(()));
    assert_eq!(
        fs.peek(&p, n.tomb).unwrap().mtime,
        4,
        "nothing created, nothing bumped"
    );

    fs.mkdir_p(at(&p, P1, 9), n.home).unwrap();
    fs.put_file(at(&p, P1, 9), n.l, &Content::new(&[1]))
        .unwrap();
    assert_eq!(fs.mkdir_p(at(&p, P1, 9), n.l), Err(Errno::EEXIST));
    let mut p2 = p.clone();
    let deep = p2.intern("home/restart.lock/a/b");
    assert_eq!(fs.mkdir_p(at(&p2, P1, 9), deep), Err(Errno::ENOTDIR));
}

/// Eve: the lock directory's mtime is set by `mkdir` and bumped by creating owner.json, and
/// never again by writes to owner.json.
#[test]
fn creating_an_entry_bumps_its_directory_mtime_but_writing_it_does_not() {
    let (p, n, mut fs) = world();
    fs.mkdir(at(&p, P1, 100), n.lock).unwrap();
    assert_eq!(fs.peek(&p, n.cache).unwrap().mtime, 100);
    let fd = fs
        .open(at(&p, P1, 102), n.owner, OpenMode::Truncate)
        .unwrap();
    assert_eq!(fs.peek(&p, n.lock).unwrap().mtime, 102);
    fs.write(at(&p, P1, 105), fd, &[100, 7]).unwrap();
    fs.close(at(&p, P1, 105), fd).unwrap();
    assert_eq!(fs.peek(&p, n.lock).unwrap().mtime, 102);
    assert_eq!(fs.peek(&p, n.owner).unwrap().mtime, 105);
    fs.unlink(at(&p, P1, 110), n.owner).unwrap();
    assert_eq!(fs.peek(&p, n.lock).unwrap().mtime, 110);
}

// ---- rename ----------------------------------------------------------------------------------

/// Restart lock V2's `breakAndOwn`: `rename(L.<token>, L)` replaces the stale lock with no
/// instant at which `L` is missing.
#[test]
fn rename_replaces_the_target_in_one_step() {
    let (p, n, mut fs) = world();
    fs.put_file(at(&p, P1, 1), n.l, &Content::new(&[4242, 1, 9]))
        .unwrap();
    fs.put_file(at(&p, P2, 5), n.tmp, &Content::new(&[200, 5, 2]))
        .unwrap();
    let tmp_ino = fs.peek(&p, n.tmp).unwrap().ino;
    let inodes = fs.inode_count();
    fs.rename(at(&p, P2, 6), n.tmp, n.l).unwrap();
    let st = fs.peek(&p, n.l).unwrap();
    assert_eq!(st.ino, tmp_ino);
    assert_eq!(st.mtime, 5, "rename keeps the moved file's mtime");
    assert_eq!(words(&fs, &p, n.l), Some(vec![200, 5, 2]));
    assert!(!fs.exists(&p, n.tmp));
    assert_eq!(fs.inode_count(), inodes - 1, "the replaced inode is freed");
    assert_eq!(fs.peek(&p, n.home).unwrap().mtime, 6);
    assert_eq!(fs.rename(at(&p, P2, 7), n.tmp, n.l), Err(Errno::ENOENT));
}

/// Eve's reclaim: `rename(lock -> lock.tombstone-…)` moves the directory and its owner.json in
/// one step; a second reclaimer's rename then finds nothing (ENOENT: someone else reclaimed).
#[test]
fn rename_moves_a_directory_with_its_entries() {
    let (p, n, mut fs) = world();
    fs.mkdir(at(&p, P1, 1), n.lock).unwrap();
    fs.put_file(at(&p, P1, 2), n.owner, &Content::new(&[2, 100]))
        .unwrap();
    fs.rename(at(&p, P2, 9), n.lock, n.tomb).unwrap();
    assert!(!fs.exists(&p, n.lock) && !fs.exists(&p, n.owner));
    assert_eq!(words(&fs, &p, n.tomb_owner), Some(vec![2, 100]));
    assert_eq!(
        fs.peek(&p, n.tomb).unwrap().mtime,
        2,
        "its own mtime is kept"
    );
    assert_eq!(fs.rename(at(&p, P1, 9), n.lock, n.tomb), Err(Errno::ENOENT));
    assert_eq!(
        fs.mkdir(at(&p, P1, 10), n.lock),
        Ok(()),
        "the name is free again"
    );
}

#[test]
fn rename_refuses_what_posix_refuses() {
    let (p, n, mut fs) = world();
    let cx = at(&p, P1, 1);
    fs.mkdir(cx, n.lock).unwrap();
    fs.put_file(cx, n.owner, &Content::new(&[1])).unwrap();
    fs.put_file(cx, n.l, &Content::new(&[1])).unwrap();
    fs.mkdir(cx, n.tomb).unwrap();
    assert_eq!(fs.rename(cx, n.l, n.tomb), Err(Errno::EISDIR));
    assert_eq!(fs.rename(cx, n.lock, n.l), Err(Errno::ENOTDIR));
    assert_eq!(fs.rename(cx, n.tomb, n.lock), Err(Errno::ENOTEMPTY));
    assert_eq!(fs.rename(cx, n.lock, n.stray), Err(Errno::EINVAL));
    assert_eq!(fs.rename(cx, n.m, n.rl), Err(Errno::ENOENT));
    assert_eq!(fs.rename(cx, n.l, n.nowhere), Err(Errno::ENOENT));
    assert_eq!(fs.rename(cx, PathId::ROOT, n.m), Err(Errno::EBUSY));
    assert_eq!(fs.rename(cx, n.l, n.l), Ok(()));
    // A directory may replace an empty directory.
    assert_eq!(fs.rename(cx, n.lock, n.tomb), Ok(()));
    assert_eq!(words(&fs, &p, n.tomb_owner), Some(vec![1]));
}

// ---- unlink, rmdir, stat, readFile, readdir, utimes -------------------------------------------

#[test]
fn unlink_and_rmdir_errors() {
    let (p, n, mut fs) = world();
    let cx = at(&p, P1, 3);
    assert_eq!(fs.unlink(cx, n.l), Err(Errno::ENOENT));
    assert_eq!(fs.unlink(cx, n.home), Err(Errno::EISDIR));
    assert_eq!(fs.rmdir(cx, n.lock), Err(Errno::ENOENT));
    fs.mkdir(cx, n.lock).unwrap();
    fs.put_file(cx, n.owner, &Content::new(&[1])).unwrap();
    assert_eq!(fs.rmdir(cx, n.lock), Err(Errno::ENOTEMPTY));
    assert_eq!(fs.rmdir(cx, n.owner), Err(Errno::ENOTDIR));
    assert_eq!(fs.rmdir(cx, PathId::ROOT), Err(Errno::EBUSY));
    assert_eq!(fs.unlink(cx, n.owner), Ok(()));
    assert_eq!(fs.rmdir(cx, n.lock), Ok(()));
    assert!(!fs.exists(&p, n.lock));
}

#[test]
fn stat_read_file_readdir_and_utimes() {
    let (p, n, mut fs) = world();
    assert_eq!(fs.stat(at(&p, P1, 1), n.lock), Err(Errno::ENOENT));
    fs.mkdir(at(&p, P1, 1), n.lock).unwrap();
    fs.put_file(at(&p, P1, 2), n.owner, &Content::new(&[2, 100, 0, 7]))
        .unwrap();
    let st = fs.stat(at(&p, P2, 9), n.owner).unwrap();
    assert_eq!((st.kind, st.mtime, st.size), (Kind::File, 2, 4));
    assert_eq!(st.age_at(9), 7);
    assert_eq!(
        st.age_at(0),
        -2,
        "an mtime in the reader's future has a negative age"
    );
    assert!(fs.stat(at(&p, P2, 9), n.lock).unwrap().is_dir());

    assert_eq!(
        fs.read_file(at(&p, P2, 9), n.owner).unwrap().words(),
        &[2, 100, 0, 7]
    );
    assert_eq!(fs.read_file(at(&p, P2, 9), n.lock), Err(Errno::EISDIR));
    assert_eq!(fs.read_file(at(&p, P2, 9), n.l), Err(Errno::ENOENT));

    fs.put_file(at(&p, P1, 3), n.stray, &Content::new(&[]))
        .unwrap();
    let list = fs.readdir(at(&p, P2, 9), n.lock).unwrap();
    assert_eq!(&*list, &[n.owner, n.stray]);
    assert_eq!(fs.readdir(at(&p, P2, 9), n.owner), Err(Errno::ENOTDIR));
    assert_eq!(fs.readdir(at(&p, P2, 9), n.tomb), Err(Errno::ENOENT));

    // Eve's intent heartbeat / a test backdating a lock by 20 minutes.
    fs.utimes(at(&p, P1, 5), n.lock, 0).unwrap();
    assert_eq!(fs.peek(&p, n.lock).unwrap().mtime, 0);
    assert_eq!(fs.utimes(at(&p, P1, 5), n.tomb, 5), Err(Errno::ENOENT));
}

// ---- faults ----------------------------------------------------------------------------------

/// A fault with `times = 3` fails three calls in a row, counts down in the world (so worlds
/// that differ in what is left are different worlds), and is gone after the third.
#[test]
fn a_fault_fails_its_call_times_in_a_row_then_is_gone() {
    let (p, n, mut fs) = world();
    fs.mkdir(at(&p, P1, 1), n.lock).unwrap();
    fs.inject(Fault {
        op: Op::Rename,
        path: n.lock,
        errno: Errno::EBUSY,
        times: 3,
    });
    for left in [2, 1] {
        assert_eq!(fs.rename(at(&p, P2, 2), n.lock, n.tomb), Err(Errno::EBUSY));
        assert_eq!(fs.pending_faults()[0].times, left);
    }
    assert_eq!(fs.rename(at(&p, P2, 3), n.lock, n.tomb), Err(Errno::EBUSY));
    assert!(fs.pending_faults().is_empty());
    assert!(fs.exists(&p, n.lock));
    assert_eq!(fs.rename(at(&p, P2, 4), n.lock, n.tomb), Ok(()));
}

#[test]
fn an_injected_fault_fires_once_on_its_call_and_path_and_does_nothing_else() {
    let (p, n, mut fs) = world();
    fs.put_file(at(&p, P1, 1), n.m, &Content::new(&[1]))
        .unwrap();
    fs.inject(Fault {
        op: Op::Stat,
        path: n.m,
        errno: Errno::EBUSY,
        times: 1,
    });
    fs.inject(Fault {
        op: Op::Rename,
        path: n.lock,
        errno: Errno::EBUSY,
        times: 1,
    });
    // Other calls, other paths: untouched.
    assert!(fs.read_file(at(&p, P2, 2), n.m).is_ok());
    assert!(fs.stat(at(&p, P2, 2), n.home).is_ok());
    // A non-ENOENT stat error: V3 treats the mutex as live.
    assert_eq!(fs.stat(at(&p, P2, 2), n.m), Err(Errno::EBUSY));
    assert!(fs.stat(at(&p, P2, 2), n.m).is_ok());
    // Eve's busy rename: fails, moves nothing, then succeeds on retry.
    fs.mkdir(at(&p, P1, 3), n.lock).unwrap();
    assert_eq!(fs.rename(at(&p, P2, 4), n.lock, n.tomb), Err(Errno::EBUSY));
    assert!(fs.exists(&p, n.lock));
    assert_eq!(fs.rename(at(&p, P2, 4), n.lock, n.tomb), Ok(()));
    assert!(fs.pending_faults().is_empty());
    // Even a call that would fail anyway reports the injected errno.
    fs.inject(Fault {
        op: Op::Open,
        path: n.rl,
        errno: Errno::ENOSPC,
        times: 1,
    });
    assert_eq!(
        fs.open(at(&p, P2, 5), n.rl, OpenMode::CreateExcl),
        Err(Errno::ENOSPC)
    );
    assert!(!fs.exists(&p, n.rl));
}

#[test]
fn a_failing_close_still_releases_the_descriptor() {
    let (p, n, mut fs) = world();
    let fd = fs.open(at(&p, P1, 1), n.rl, OpenMode::CreateExcl).unwrap();
    fs.inject(Fault {
        op: Op::Close,
        path: n.rl,
        errno: Errno::EIO,
        times: 1,
    });
    assert_eq!(fs.close(at(&p, P1, 2), fd), Err(Errno::EIO));
    assert_eq!(fs.open_fds(P1), 0);
    assert_eq!(fs.close(at(&p, P1, 2), fd), Err(Errno::EBADF));
}

// ---- writeFile -------------------------------------------------------------------------------

fn run<F: FnMut() -> Poll<Result<(), Errno>>>(mut step: F) -> (Result<(), Errno>, usize) {
    for n in 1..100 {
        if let Poll::Ready(r) = step() {
            return (r, n);
        }
    }
    panic!("did not settle");
}

/// A reader between the steps of `writeFile` sees the old content, then an empty file, then
/// each prefix; a crash leaves what was written so far.
#[test]
fn write_file_exposes_empty_and_partial_content_between_its_steps() {
    let (p, n, mut fs) = world();
    fs.put_file(at(&p, P1, 1), n.l, &Content::new(&[4242, 1, 9]))
        .unwrap();
    let mut wf = WriteFile::new(n.l, Content::new(&[200, 50, 2])).in_chunks(1);
    let mut seen = vec![];
    let mut ops = vec![];
    loop {
        ops.push(wf.next_op().unwrap());
        let r = wf.step(&mut fs, at(&p, P2, 50));
        seen.push(fs.read_file(at(&p, P1, 50), n.l).unwrap().words().to_vec());
        if let Poll::Ready(r) = r {
            assert_eq!(r, Ok(()));
            break;
        }
    }
    use Op::*;
    assert_eq!(ops, vec![Open, Write, Write, Write, Close]);
    assert_eq!(
        seen,
        vec![
            vec![],
            vec![200],
            vec![200, 50],
            vec![200, 50, 2],
            vec![200, 50, 2]
        ]
    );
    assert_eq!(wf.next_op(), None);
    assert_eq!(fs.open_fds(P2), 0);
}

#[test]
fn write_file_is_open_write_close_by_default() {
    let (p, n, mut fs) = world();
    let mut wf = WriteFile::new(n.l, Content::new(&[1, 2, 3]));
    let (r, steps) = run(|| wf.step(&mut fs, at(&p, P1, 1)));
    assert_eq!((r, steps), (Ok(()), 3));
    let mut empty = WriteFile::new(n.m, Content::default());
    let (r, steps) = run(|| empty.step(&mut fs, at(&p, P1, 1)));
    assert_eq!((r, steps), (Ok(()), 2), "nothing to write: open, close");
    assert_eq!(fs.peek(&p, n.m).unwrap().size, 0);
}

/// Eve D1-h: killed between `mkdir(lock)` and the owner.json write. The lock directory and an
/// empty owner.json stay; the kernel closes the descriptor.
#[test]
fn a_crash_mid_write_file_leaves_the_file_as_far_as_it_got() {
    let (p, n, mut fs) = world();
    let mut procs = Procs::new();
    let h = procs.add_host(Hostname(0), 0);
    let w1 = procs.spawn(h, Pid(100), Uid::USER);
    fs.mkdir(at(&p, w1, 1), n.lock).unwrap();
    let mut wf = WriteFile::new(n.owner, Content::new(&[1, 100]));
    assert!(wf.step(&mut fs, at(&p, w1, 2)).is_pending());
    assert!(wf.fd().is_some());
    kill9(&mut procs, &mut fs, w1);
    assert_eq!(words(&fs, &p, n.owner), Some(vec![]));
    assert_eq!(fs.open_fds(w1), 0);
    assert!(!procs.is_alive(w1));
}

/// Eve D1-b: a reclaimer's `rm -rf` lands between W1's `mkdir(lock)` and its owner.json write,
/// so the write rejects with ENOENT (a lost claim).
#[test]
fn write_file_rejects_with_enoent_when_the_directory_vanished() {
    let (p, n, mut fs) = world();
    fs.mkdir(at(&p, P1, 1), n.lock).unwrap();
    let mut rm = RmRf::new(n.lock);
    let (r, _) = run(|| rm.step(&mut fs, at(&p, P2, 1)));
    assert_eq!(r, Ok(()));
    let mut wf = WriteFile::new(n.owner, Content::new(&[1, 100]));
    assert_eq!(
        wf.step(&mut fs, at(&p, P1, 2)),
        Poll::Ready(Err(Errno::ENOENT))
    );
    assert_eq!(wf.next_op(), None);
}

#[test]
fn write_file_closes_then_rejects_when_a_write_fails() {
    let (p, n, mut fs) = world();
    fs.inject(Fault {
        op: Op::Write,
        path: n.l,
        errno: Errno::ENOSPC,
        times: 1,
    });
    let mut wf = WriteFile::new(n.l, Content::new(&[1, 2, 3]));
    let mut ops = vec![];
    let (r, _) = run(|| {
        ops.push(wf.next_op().unwrap());
        wf.step(&mut fs, at(&p, P1, 1))
    });
    assert_eq!(r, Err(Errno::ENOSPC));
    assert_eq!(ops, vec![Op::Open, Op::Write, Op::Close]);
    assert_eq!(fs.open_fds(P1), 0);
    assert_eq!(
        words(&fs, &p, n.l),
        Some(vec![]),
        "created, truncated, never written"
    );
}

// ---- rm -rf ----------------------------------------------------------------------------------

fn lock_with_owner(fs: &mut Fs<16>, p: &Paths, n: &Names, pid: Word, t: u64) {
    fs.mkdir(at(p, P1, t), n.lock).unwrap();
    fs.put_file(at(p, P1, t), n.owner, &Content::new(&[t, pid]))
        .unwrap();
}

#[test]
fn rm_rf_walks_a_lock_directory_one_call_per_step() {
    let (p, n, mut fs) = world();
    lock_with_owner(&mut fs, &p, &n, 100, 1);
    let mut rm = RmRf::new(n.lock);
    let mut ops = vec![];
    let (r, _) = run(|| {
        ops.push(rm.next_op().unwrap());
        rm.step(&mut fs, at(&p, P2, 5))
    });
    assert_eq!(r, Ok(()));
    use Op::*;
    assert_eq!(
        ops,
        vec![
            (Stat, n.lock),
            (Rmdir, n.lock),
            (Readdir, n.lock),
            (Stat, n.owner),
            (Unlink, n.owner),
            (Rmdir, n.lock)
        ]
    );
    assert!(!fs.exists(&p, n.lock));
    assert_eq!(fs.inode_count(), 3);
    assert_eq!(rm.next_op(), None);
}

#[test]
fn rm_rf_of_a_file_or_of_nothing() {
    let (p, n, mut fs) = world();
    fs.put_file(at(&p, P1, 1), n.l, &Content::new(&[1]))
        .unwrap();
    let mut rm = RmRf::new(n.l);
    assert_eq!(run(|| rm.step(&mut fs, at(&p, P1, 2))), (Ok(()), 2));
    let mut rm = RmRf::new(n.l);
    assert_eq!(
        run(|| rm.step(&mut fs, at(&p, P1, 2))),
        (Ok(()), 1),
        "force: a missing path is success"
    );
    // A two-level tree.
    let (p, n) = names();
    let mut fs: Fs<16> = Fs::new();
    fs.mkdir_p(at(&p, P1, 1), n.tomb).unwrap();
    fs.put_file(at(&p, P1, 1), n.tomb_owner, &Content::new(&[1]))
        .unwrap();
    let mut rm = RmRf::new(n.cache);
    assert_eq!(run(|| rm.step(&mut fs, at(&p, P1, 2))).0, Ok(()));
    assert_eq!(fs.inode_count(), 1, "only the root is left");
}

/// The walk interleaved with a concurrent creator: an entry made after the `readdir` makes the
/// final `rmdir` fail with ENOTEMPTY (Node's default `maxRetries: 0`), and the new entry stays.
#[test]
fn rm_rf_fails_with_enotempty_when_an_entry_appears_behind_the_walk() {
    let (p, n, mut fs) = world();
    lock_with_owner(&mut fs, &p, &n, 100, 1);
    let mut rm = RmRf::new(n.lock);
    for _ in 0..5 {
        assert!(rm.step(&mut fs, at(&p, P2, 5)).is_pending()); // ... through unlink(owner.json)
    }
    assert_eq!(rm.next_op(), Some((Op::Rmdir, n.lock)));
    fs.mkdir(at(&p, P1, 6), n.stray).unwrap();
    assert_eq!(
        rm.step(&mut fs, at(&p, P2, 6)),
        Poll::Ready(Err(Errno::ENOTEMPTY))
    );
    assert!(fs.exists(&p, n.stray));
}

/// Eve D1-a/D3: W2 judged the dead owner's lock L0, but by the time its walk runs, W1 has
/// removed L0 and claimed a fresh lock. The walk is blind: it removes W1's lock.
#[test]
fn rm_rf_is_blind_and_removes_a_generation_created_after_the_judgment() {
    let (p, n, mut fs) = world();
    lock_with_owner(&mut fs, &p, &n, 100, 1);
    let mut w2 = RmRf::new(n.lock);
    assert!(w2.step(&mut fs, at(&p, P2, 2)).is_pending()); // lstat: a directory
                                                           // W1 reclaims and claims in between.
    let mut w1 = RmRf::new(n.lock);
    assert_eq!(run(|| w1.step(&mut fs, at(&p, P1, 2))).0, Ok(()));
    fs.mkdir(at(&p, P1, 3), n.lock).unwrap();
    fs.put_file(at(&p, P1, 3), n.owner, &Content::new(&[3, 200]))
        .unwrap();
    assert_eq!(run(|| w2.step(&mut fs, at(&p, P2, 4))).0, Ok(()));
    assert!(!fs.exists(&p, n.lock), "W1's fresh lock is gone");
}

#[test]
fn rm_rf_succeeds_when_someone_else_removes_the_tree_mid_walk() {
    let (p, n, mut fs) = world();
    lock_with_owner(&mut fs, &p, &n, 100, 1);
    let mut a = RmRf::new(n.lock);
    for _ in 0..3 {
        assert!(a.step(&mut fs, at(&p, P1, 2)).is_pending()); // lstat, rmdir, readdir
    }
    let mut b = RmRf::new(n.lock);
    assert_eq!(run(|| b.step(&mut fs, at(&p, P2, 2))).0, Ok(()));
    // a: lstat(owner.json) ENOENT -> done; rmdir(lock) ENOENT -> done.
    assert_eq!(run(|| a.step(&mut fs, at(&p, P1, 3))), (Ok(()), 2));
}

/// A Node quirk kept: the directory `lstat` saw is replaced by a file before `rmdir`, which
/// says ENOTDIR; rimraf then reports success and leaves the file.
#[test]
fn rm_rf_reports_success_when_a_directory_turned_into_a_file() {
    let (p, n, mut fs) = world();
    fs.mkdir(at(&p, P1, 1), n.tomb).unwrap();
    let mut rm = RmRf::new(n.tomb);
    assert!(rm.step(&mut fs, at(&p, P2, 2)).is_pending());
    fs.rmdir(at(&p, P1, 2), n.tomb).unwrap();
    fs.put_file(at(&p, P1, 2), n.tomb, &Content::new(&[1]))
        .unwrap();
    assert_eq!(rm.step(&mut fs, at(&p, P2, 3)), Poll::Ready(Ok(())));
    assert!(fs.exists(&p, n.tomb));
}

#[test]
fn rm_rf_surfaces_a_non_enoent_error() {
    let (p, n, mut fs) = world();
    lock_with_owner(&mut fs, &p, &n, 100, 1);
    fs.inject(Fault {
        op: Op::Unlink,
        path: n.owner,
        errno: Errno::EBUSY,
        times: 1,
    });
    let mut rm = RmRf::new(n.lock);
    let (r, steps) = run(|| rm.step(&mut fs, at(&p, P2, 2)));
    assert_eq!(
        (r, steps),
        (Err(Errno::EBUSY), 5),
        "a child's failure fails the walk"
    );
    assert!(fs.exists(&p, n.owner));
}

// ---- processes, hosts, clocks ----------------------------------------------------------------

/// Restart lock residual 7 / eve D8: the mtime comes from the writer's clock and the age from
/// the reader's, so skew moves the staleness window.
#[test]
fn a_skewed_host_stamps_mtimes_that_age_differently_elsewhere() {
    let (p, n, mut fs) = world();
    let mut procs = Procs::new();
    let fast = procs.add_host(Hostname(1), 5_000);
    let exact = procs.add_host(Hostname(2), 0);
    let slow = procs.add_host(Hostname(3), -2_000);
    let writer = procs.spawn(fast, Pid(10), Uid::USER);
    let reader = procs.spawn(exact, Pid(10), Uid::USER);
    let late = procs.spawn(slow, Pid(10), Uid::USER);

    let now = 10_000;
    assert_eq!(shown(procs.now_of(writer, now)), 15_000);
    assert_eq!(shown(procs.now_of(late, now)), 8_000);
    fs.open(
        Ctx::new(&p, writer, procs.now_of(writer, now)),
        n.m,
        OpenMode::CreateExcl,
    )
    .unwrap();
    let later = now + 1_000;
    let st = fs
        .stat(Ctx::new(&p, reader, procs.now_of(reader, later)), n.m)
        .unwrap();
    assert_eq!(shown(st.mtime), 15_000);
    assert_eq!(
        st.age_at(procs.now_of(reader, later)),
        -4_000,
        "looks fresh for 5 s longer"
    );
    assert_eq!(st.age_at(procs.now_of(late, later)), -6_000);
}

#[test]
fn kill9_closes_the_descriptors_and_frees_an_inode_only_it_held() {
    let (p, n, mut fs) = world();
    let mut procs = Procs::new();
    let h = procs.add_host(Hostname(0), 0);
    let p1 = procs.spawn(h, Pid(100), Uid::USER);
    let p2 = procs.spawn(h, Pid(200), Uid::USER);
    let fd = fs.open(at(&p, p1, 1), n.m, OpenMode::CreateExcl).unwrap();
    fs.unlink(at(&p, p2, 2), n.m).unwrap();
    assert_eq!(fs.fd_inode(p1, fd).map(|(_, linked)| linked), Some(false));
    let before = fs.inode_count();
    kill9(&mut procs, &mut fs, p1);
    assert_eq!(fs.inode_count(), before - 1);
    assert_eq!(fs.open_fds(p1), 0);
    assert_eq!(procs.state(p1), ProcState::Dead);
}

#[test]
fn errno_names_match_node_codes() {
    assert_eq!(Errno::EEXIST.to_string(), "EEXIST");
    assert_eq!(Errno::ENOTEMPTY.code(), "ENOTEMPTY");
    assert_eq!(Op::MkdirP.name(), "mkdir -p");
}

/// The explorer clones the world on every move: these stay inline and small. Upper bounds,
/// not exact sizes, so a compiler's layout change does not break it but a `String` or a
/// doubled table does.
#[test]
fn world_state_stays_small_and_inline() {
    use std::mem::size_of;
    assert!(
        size_of::<Fs<8>>() <= 600,
        "Fs<8> is {} bytes",
        size_of::<Fs<8>>()
    );
    assert!(size_of::<Fs<16>>() <= 1100);
    assert!(size_of::<Procs>() <= 200);
    assert!(size_of::<WriteFile>() <= 64);
    assert!(size_of::<RmRf>() <= 80);
}
