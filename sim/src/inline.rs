//! A fixed-capacity vector that is `Copy`: worlds are cloned on every explored move, and a
//! `Copy` world clones with one `memcpy` and no allocation.

use std::hash::{Hash, Hasher};
use std::ops::{Deref, DerefMut};

#[derive(Clone, Copy, Debug)]
pub struct InlineVec<T: Copy + Default, const N: usize> {
    len: u8,
    items: [T; N],
}

impl<T: Copy + Default, const N: usize> Default for InlineVec<T, N> {
    fn default() -> Self {
        InlineVec {
            len: 0,
            items: [T::default(); N],
        }
    }
}

impl<T: Copy + Default, const N: usize> InlineVec<T, N> {
    pub fn new() -> Self {
        Self::default()
    }

    /// Makes `self` equal to `src` by copying its `len` items only, not the whole capacity:
    /// the explorer copies a world per explored move, and most worlds use a few of the slots.
    /// The items past `len` are left as they were, which nothing can observe.
    #[inline]
    pub fn copy_from(&mut self, src: &Self) {
        let n = usize::from(src.len);
        self.items[..n].copy_from_slice(&src.items[..n]);
        self.len = src.len;
    }

    /// Appends `v`. Exceeding the capacity is a harness bug (models validate sizes first).
    pub fn push(&mut self, v: T) {
        assert!(usize::from(self.len) < N, "InlineVec capacity {N} exceeded");
        self.items[usize::from(self.len)] = v;
        self.len += 1;
    }

    /// Appends `v`; `Err(v)` when full.
    pub fn try_push(&mut self, v: T) -> Result<(), T> {
        let len = usize::from(self.len);
        self.try_insert(len, v)
    }

    /// Removes and returns the last item.
    pub fn pop(&mut self) -> Option<T> {
        let len = usize::from(self.len);
        (len > 0).then(|| self.remove(len - 1))
    }

    /// Inserts `v` at `at`, shifting the items after it; `Err(v)` when full.
    pub fn try_insert(&mut self, at: usize, v: T) -> Result<(), T> {
        let len = usize::from(self.len);
        if len == N {
            return Err(v);
        }
        assert!(at <= len, "insert at {at} past the length {len}");
        self.items.copy_within(at..len, at + 1);
        self.items[at] = v;
        self.len += 1;
        Ok(())
    }

    /// Removes and returns the item at `at`, shifting the items after it.
    pub fn remove(&mut self, at: usize) -> T {
        let len = usize::from(self.len);
        assert!(at < len, "remove at {at} past the length {len}");
        let v = self.items[at];
        self.items.copy_within(at + 1..len, at);
        // The freed slot goes back to the default, as in a fresh vector (nothing reads it).
        self.items[len - 1] = T::default();
        self.len -= 1;
        v
    }
}

impl<T: Copy + Default, const N: usize> Deref for InlineVec<T, N> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        &self.items[..usize::from(self.len)]
    }
}

impl<T: Copy + Default, const N: usize> DerefMut for InlineVec<T, N> {
    fn deref_mut(&mut self) -> &mut [T] {
        &mut self.items[..usize::from(self.len)]
    }
}

impl<T: Copy + Default + PartialEq, const N: usize> PartialEq for InlineVec<T, N> {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}

impl<T: Copy + Default + Eq, const N: usize> Eq for InlineVec<T, N> {}

impl<T: Copy + Default + Hash, const N: usize> Hash for InlineVec<T, N> {
    fn hash<H: Hasher>(&self, h: &mut H) {
        (**self).hash(h)
    }
}

impl<'a, T: Copy + Default, const N: usize> IntoIterator for &'a InlineVec<T, N> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl<'a, T: Copy + Default, const N: usize> IntoIterator for &'a mut InlineVec<T, N> {
    type Item = &'a mut T;
    type IntoIter = std::slice::IterMut<'a, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter_mut()
    }
}

impl<T: Copy + Default, const N: usize> FromIterator<T> for InlineVec<T, N> {
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Self {
        let mut v = Self::new();
        for x in iter {
            v.push(x);
        }
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn behaves_like_a_small_vec() {
        let mut v: InlineVec<u8, 4> = [1, 2].into_iter().collect();
        v.push(3);
        assert_eq!(&*v, &[1, 2, 3]);
        v[0] = 9;
        let w = v;
        assert_eq!(w, v);
        assert_eq!(w.len(), 3);
        let mut x: InlineVec<u8, 4> = [7, 7, 7, 7].into_iter().collect();
        x.copy_from(&[5].into_iter().collect());
        assert_eq!(&*x, &[5]);
        x.copy_from(&w);
        assert_eq!(x, w);
        let mut y: InlineVec<u8, 3> = [1, 3].into_iter().collect();
        assert_eq!(y.try_insert(1, 2), Ok(()));
        assert_eq!(&*y, &[1, 2, 3]);
        assert_eq!(y.try_insert(0, 0), Err(0));
        assert_eq!(y.remove(0), 1);
        assert_eq!(&*y, &[2, 3]);
        assert_eq!(y.remove(1), 3);
        assert_eq!(&*y, &[2]);
    }
}
