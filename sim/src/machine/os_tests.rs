//! The file system's calls on a bare region: POSIX answers, canonical order, inode reuse.

use super::*;

/// A world that is only the region, and the paths of a test by their names.
struct Fixture {
    os: Os,
    w: Vec<i64>,
}

fn fixture() -> Fixture {
    let os = Os {
        base: 0,
        errnos: [0; 13],
        names: ["run", "a", "b", "c", "lock."].map(String::from).to_vec(),
        faults: Vec::new(),
        fault_base: 0,
        fd_base: 0,
        kill_times: false,
    };
    Fixture { os, w: initial() }
}

/// A path from stems 1.. (`&[1, 2]` is /run/a).
fn path(stems: &[usize]) -> [i64; DEPTH] {
    let mut p = [0; DEPTH];
    for (i, &s) in stems.iter().enumerate() {
        p[i] = make_name(s, None).unwrap();
    }
    p
}

#[test]
fn mkdir_needs_its_parent_and_fails_on_an_existing_name() {
    let mut f = fixture();
    assert_eq!(f.os.mkdir(&mut f.w, &path(&[1, 2]), 0), Err(Errno::ENOENT));
    f.os.mkdir(&mut f.w, &path(&[1]), 5).unwrap();
    assert_eq!(f.os.mkdir(&mut f.w, &path(&[1]), 6), Err(Errno::EEXIST));
    f.os.mkdir_all(&mut f.w, &path(&[1, 2, 3]), 7).unwrap();
    assert_eq!(
        f.os.show(&f.w),
        "/run/ (mtime 7)  /run/a/ (mtime 7)  /run/a/b/ (mtime 7)"
    );
}

#[test]
fn rmdir_refuses_a_directory_with_entries() {
    let mut f = fixture();
    f.os.mkdir_all(&mut f.w, &path(&[1, 2]), 0).unwrap();
    assert_eq!(f.os.rmdir(&mut f.w, &path(&[1]), 1), Err(Errno::ENOTEMPTY));
    f.os.rmdir(&mut f.w, &path(&[1, 2]), 1).unwrap();
    f.os.rmdir(&mut f.w, &path(&[1]), 1).unwrap();
    let mut expect = initial();
    expect[ENTRIES * ENTRY + 1] = 1;
    assert_eq!(
        f.w, expect,
        "an emptied file system is the initial one, the root stamped"
    );
}

#[test]
fn a_write_goes_to_the_inode_opened_even_after_an_unlink() {
    let mut f = fixture();
    f.os.mkdir(&mut f.w, &path(&[1]), 0).unwrap();
    let ino = f.os.open(&mut f.w, &path(&[1, 2]), true, 1).unwrap();
    assert_eq!(
        f.os.open(&mut f.w, &path(&[1, 2]), true, 1),
        Err(Errno::EEXIST)
    );
    let mut out = [0; WORDS + 1];
    f.os.read(&f.w, &path(&[1, 2]), &mut out).unwrap();
    assert_eq!(
        out[0], 0,
        "a reader sees the empty file between open and write"
    );
    f.os.unlink(&mut f.w, &path(&[1, 2]), 2).unwrap();
    let mut content = [0; WORDS + 1];
    content[..2].copy_from_slice(&[1, 42]);
    f.os.write(&mut f.w, ino, &content, 3);
    assert_eq!(f.os.stat(&f.w, &path(&[1, 2])), Err(Errno::ENOENT));
    let mut expect = initial();
    fixture().os.mkdir(&mut expect, &path(&[1]), 0).unwrap();
    expect[ENTRIES * ENTRY + INODE + 1] = 2;
    assert_eq!(
        f.w, expect,
        "the orphaned inode is freed when the write closes it"
    );
}

#[test]
fn rename_replaces_a_file_and_an_empty_directory_only() {
    let mut f = fixture();
    f.os.mkdir(&mut f.w, &path(&[1]), 0).unwrap();
    f.os.open(&mut f.w, &path(&[1, 2]), false, 0)
        .map(|i| f.os.close(&mut f.w, i))
        .unwrap();
    f.os.open(&mut f.w, &path(&[1, 3]), false, 0)
        .map(|i| f.os.close(&mut f.w, i))
        .unwrap();
    f.os.mkdir(&mut f.w, &path(&[1, 4]), 0).unwrap();
    assert_eq!(
        f.os.rename(&mut f.w, &path(&[1, 2]), &path(&[1, 4]), 1),
        Err(Errno::EISDIR)
    );
    assert_eq!(
        f.os.rename(&mut f.w, &path(&[1, 4]), &path(&[1, 2]), 1),
        Err(Errno::ENOTDIR)
    );
    assert_eq!(
        f.os.rename(&mut f.w, &path(&[1]), &path(&[1, 4, 5]), 1),
        Err(Errno::EINVAL)
    );
    let moved = f.os.stat(&f.w, &path(&[1, 2])).unwrap()[0];
    f.os.rename(&mut f.w, &path(&[1, 2]), &path(&[1, 3]), 2)
        .unwrap();
    assert_eq!(
        f.os.stat(&f.w, &path(&[1, 3])).unwrap()[0],
        moved,
        "the name now holds the moved inode"
    );
    assert_eq!(f.os.stat(&f.w, &path(&[1, 2])), Err(Errno::ENOENT));
    f.os.mkdir(&mut f.w, &path(&[1, 4, 5]), 3).unwrap();
    f.os.mkdir(&mut f.w, &path(&[2]), 3).unwrap();
    assert_eq!(
        f.os.rename(&mut f.w, &path(&[2]), &path(&[1, 4]), 4),
        Err(Errno::ENOTEMPTY)
    );
    f.os.rename(&mut f.w, &path(&[1, 4]), &path(&[2]), 4)
        .unwrap();
    assert!(
        f.os.stat(&f.w, &path(&[2, 5])).unwrap()[3] == 1,
        "a directory moves with its entries"
    );
}

#[test]
fn readdir_lists_names_in_order_and_numbers_sort_within_a_stem() {
    let mut f = fixture();
    f.os.mkdir(&mut f.w, &path(&[1]), 0).unwrap();
    for n in [10, 2, 7] {
        let mut p = path(&[1]);
        p[1] = make_name(5, Some(n)).unwrap();
        f.os.mkdir(&mut f.w, &p, 0).unwrap();
    }
    let mut out = [0; ENTRIES + 1];
    f.os.readdir(&f.w, &path(&[1]), &mut out).unwrap();
    let names: Vec<String> = out[1..=out[0] as usize]
        .iter()
        .map(|&n| f.os.show_name(n))
        .collect();
    assert_eq!(names, ["lock.2", "lock.7", "lock.10"]);
    assert_eq!(split_name(out[3]), (5, Some(10)));
}

#[test]
fn a_full_table_answers_enospc_and_changes_nothing() {
    let mut f = fixture();
    for n in 0..ENTRIES as i64 {
        let mut p = path(&[]);
        p[0] = make_name(5, Some(n)).unwrap();
        f.os.mkdir(&mut f.w, &p, 0).unwrap();
    }
    let before = f.w.clone();
    assert_eq!(f.os.mkdir(&mut f.w, &path(&[1]), 1), Err(Errno::ENOSPC));
    assert_eq!(f.w, before);
}

#[test]
fn freed_inode_numbers_are_reused_smallest_first() {
    let mut f = fixture();
    f.os.mkdir(&mut f.w, &path(&[1]), 0).unwrap();
    f.os.mkdir(&mut f.w, &path(&[2]), 0).unwrap();
    let first = f.os.stat(&f.w, &path(&[1])).unwrap()[0];
    f.os.rmdir(&mut f.w, &path(&[1]), 1).unwrap();
    f.os.mkdir(&mut f.w, &path(&[3]), 2).unwrap();
    assert_eq!(f.os.stat(&f.w, &path(&[3])).unwrap()[0], first);
}

#[test]
fn directory_mtime_moves_with_its_entries() {
    let mut f = fixture();
    f.os.mkdir(&mut f.w, &path(&[1]), 0).unwrap();
    f.os.mkdir(&mut f.w, &path(&[1, 2]), 9).unwrap();
    assert_eq!(f.os.stat(&f.w, &path(&[1])).unwrap()[1], 9);
    f.os.utimes(&mut f.w, &path(&[1]), -500).unwrap();
    assert_eq!(
        f.os.stat(&f.w, &path(&[1])).unwrap()[1],
        -500,
        "times are signed"
    );
}
