//! Bounded lists and maps in a world's slots.
//!
//! A list of capacity `cap` is a length slot followed by `cap` elements of `size` slots. Every
//! element past the length is all zeros, and a map is a list of (key, value) entries kept in
//! ascending key order (slot by slot), so two lists or maps with the same contents have the
//! same slots: the world's encoding stays exact, and equal worlds hash equal.

use std::cmp::Ordering;

/// The length stored at `at`, clamped to the capacity (a world's slots are only ever written
/// by these functions, but a bad length must not index outside the list).
#[inline]
fn len(w: &[i64], at: usize, cap: usize) -> usize {
    usize::try_from(w[at]).map_or(0, |n| n.min(cap))
}

/// The index of the first element of the list at `at` equal to `value`.
pub fn find(w: &[i64], at: usize, size: usize, cap: usize, value: &[i64]) -> Option<usize> {
    let n = len(w, at, cap);
    (0..n).find(|&i| {
        let e = at + 1 + i * size;
        w[e..e + size] == *value
    })
}

/// Appends `value`; `false` when the list is full.
pub fn push(w: &mut [i64], at: usize, size: usize, cap: usize, value: &[i64]) -> bool {
    let n = len(w, at, cap);
    if n == cap {
        return false;
    }
    let e = at + 1 + n * size;
    w[e..e + size].copy_from_slice(value);
    w[at] = n as i64 + 1;
    true
}

/// Removes element `i` (later elements move down, the vacated last one is zeroed) and copies
/// it into `out`, if given; `false` when there is no element `i`.
pub fn remove(
    w: &mut [i64],
    at: usize,
    size: usize,
    cap: usize,
    i: i64,
    out: Option<&mut [i64]>,
) -> bool {
    let n = len(w, at, cap);
    let Some(i) = usize::try_from(i).ok().filter(|&i| i < n) else {
        return false;
    };
    let first = at + 1;
    let e = first + i * size;
    if let Some(out) = out {
        out.copy_from_slice(&w[e..e + size]);
    }
    w.copy_within(e + size..first + n * size, e);
    w[first + (n - 1) * size..first + n * size].fill(0);
    w[at] = n as i64 - 1;
    true
}

/// Where the entry with `key` is in the map at `at` (`Ok`), or where it would go (`Err`).
fn search(w: &[i64], at: usize, key: &[i64], value: usize, cap: usize) -> Result<usize, usize> {
    let n = len(w, at, cap);
    let stride = key.len() + value;
    let mut lo = 0;
    let mut hi = n;
    while lo < hi {
        let mid = (lo + hi) / 2;
        let e = at + 1 + mid * stride;
        match w[e..e + key.len()].cmp(key) {
            Ordering::Less => lo = mid + 1,
            Ordering::Greater => hi = mid,
            Ordering::Equal => return Ok(mid),
        }
    }
    Err(lo)
}

/// The slot of the value of `key` in the map at `at`, if the key is there.
pub fn map_slot(w: &[i64], at: usize, key: &[i64], value: usize, cap: usize) -> Option<usize> {
    let i = search(w, at, key, value, cap).ok()?;
    Some(at + 1 + i * (key.len() + value) + key.len())
}

/// Sets `key`'s value, inserting the entry in key order; `false` when the key is new and the
/// map is full.
pub fn put(w: &mut [i64], at: usize, key: &[i64], value: &[i64], cap: usize) -> bool {
    let stride = key.len() + value.len();
    let first = at + 1;
    match search(w, at, key, value.len(), cap) {
        Ok(i) => {
            let v = first + i * stride + key.len();
            w[v..v + value.len()].copy_from_slice(value);
            true
        }
        Err(i) => {
            let n = len(w, at, cap);
            if n == cap {
                return false;
            }
            let e = first + i * stride;
            w.copy_within(e..first + n * stride, e + stride);
            w[e..e + key.len()].copy_from_slice(key);
            w[e + key.len()..e + stride].copy_from_slice(value);
            w[at] = n as i64 + 1;
            true
        }
    }
}

/// Removes `key`'s entry; `false` when it is not there.
pub fn delete(w: &mut [i64], at: usize, key: &[i64], value: usize, cap: usize) -> bool {
    let stride = key.len() + value;
    let Ok(i) = search(w, at, key, value, cap) else {
        return false;
    };
    let n = len(w, at, cap);
    let first = at + 1;
    let e = first + i * stride;
    w.copy_within(e + stride..first + n * stride, e);
    w[first + (n - 1) * stride..first + n * stride].fill(0);
    w[at] = n as i64 - 1;
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_list_keeps_its_unused_elements_zero() {
        let mut w = vec![0i64; 1 + 3 * 2];
        assert!(push(&mut w, 0, 2, 3, &[1, 2]));
        assert!(push(&mut w, 0, 2, 3, &[3, 4]));
        assert!(push(&mut w, 0, 2, 3, &[5, 6]));
        assert!(!push(&mut w, 0, 2, 3, &[7, 8]));
        assert_eq!(find(&w, 0, 2, 3, &[3, 4]), Some(1));
        let mut out = [0; 2];
        assert!(remove(&mut w, 0, 2, 3, 0, Some(&mut out)));
        assert_eq!(out, [1, 2]);
        assert_eq!(w, vec![2, 3, 4, 5, 6, 0, 0]);
        assert!(!remove(&mut w, 0, 2, 3, 2, None));
        assert!(!remove(&mut w, 0, 2, 3, -1, None));
    }

    #[test]
    fn a_map_is_its_entries_in_key_order_whatever_the_order_of_insertion() {
        let mut a = vec![0i64; 1 + 3 * 2];
        let mut b = a.clone();
        for k in [3, 1, 2] {
            assert!(put(&mut a, 0, &[k], &[k * 10], 3));
        }
        for k in [2, 3, 1] {
            assert!(put(&mut b, 0, &[k], &[k * 10], 3));
        }
        assert_eq!(a, b);
        assert_eq!(a, vec![3, 1, 10, 2, 20, 3, 30]);
        assert!(!put(&mut a, 0, &[4], &[0], 3));
        assert!(put(&mut a, 0, &[2], &[7], 3));
        assert_eq!(map_slot(&a, 0, &[2], 1, 3), Some(4));
        assert!(delete(&mut a, 0, &[1], 1, 3));
        assert!(!delete(&mut a, 0, &[1], 1, 3));
        assert_eq!(a, vec![2, 2, 7, 3, 30, 0, 0]);
        assert_eq!(map_slot(&a, 0, &[1], 1, 3), None);
    }
}
