//! The callers of a world, with a cache of each caller's block hash for the fingerprint.
//!
//! Why a cache: the explorer fingerprints every successor it makes, and a move changes one
//! caller's record (rarely two), so rehashing every caller's block is mostly wasted work. Each
//! caller's block hash is kept next to it and marked stale by any mutable access to the caller
//! ([`IndexMut`], [`Callers::iter_mut`]): there is no other way to change a caller, so a cached
//! hash can never describe an old record. The cache is not part of the world: equality and
//! `Hash` see the callers only. Debug builds (the test suite) check every cached hash against a
//! fresh one on every fingerprint.

use std::hash::{Hash, Hasher};
use std::ops::{Deref, Index, IndexMut};

use lockstep_sim::inline::InlineVec;

use super::super::spec::MAX_ACTORS;
use super::Caller;

#[derive(Clone, Copy, Debug, Default)]
pub struct Callers {
    v: InlineVec<Caller, MAX_ACTORS>,
    /// Per caller, the hash of its block (see `InitLockModel::block_hash`), valid where
    /// `stale` has no bit.
    hashes: [u64; MAX_ACTORS],
    stale: u8,
}

impl Callers {
    pub fn push(&mut self, c: Caller) {
        self.stale |= 1 << self.v.len();
        self.v.push(c);
    }

    /// Makes `self` equal to `src`, cache included, copying only the callers it has (see
    /// [`InlineVec::copy_from`]).
    #[inline]
    pub fn copy_from(&mut self, src: &Self) {
        self.v.copy_from(&src.v);
        let n = src.v.len();
        self.hashes[..n].copy_from_slice(&src.hashes[..n]);
        self.stale = src.stale;
    }

    /// Every caller, mutably: all their cached hashes become stale.
    pub fn iter_mut(&mut self) -> std::slice::IterMut<'_, Caller> {
        self.stale = u8::MAX;
        self.v.iter_mut()
    }

    /// Caller `a`'s cached block hash, unless a mutable access made it stale.
    #[inline]
    pub fn cached_hash(&self, a: usize) -> Option<u64> {
        (self.stale & (1 << a) == 0).then(|| self.hashes[a])
    }

    /// Caller `a`'s cached block hash, which the caller knows to be valid (no mutable access
    /// since it was set: checked in debug builds).
    #[inline]
    pub fn hash(&self, a: usize) -> u64 {
        debug_assert!(self.stale & (1 << a) == 0, "hash of caller {a} is stale");
        self.hashes[a]
    }

    /// The callers whose cached hash is stale, as a bit mask.
    #[inline]
    pub fn stale(&self) -> u8 {
        self.stale & ((1u16 << self.v.len()) - 1) as u8
    }

    /// Records caller `a`'s block hash, computed from its current record.
    #[inline]
    pub fn set_hash(&mut self, a: usize, h: u64) {
        self.hashes[a] = h;
        self.stale &= !(1 << a);
    }
}

impl Deref for Callers {
    type Target = [Caller];
    #[inline]
    fn deref(&self) -> &[Caller] {
        &self.v
    }
}

impl Index<usize> for Callers {
    type Output = Caller;
    #[inline]
    fn index(&self, a: usize) -> &Caller {
        &self.v[a]
    }
}

impl IndexMut<usize> for Callers {
    #[inline]
    fn index_mut(&mut self, a: usize) -> &mut Caller {
        self.stale |= 1 << a;
        &mut self.v[a]
    }
}

impl PartialEq for Callers {
    fn eq(&self, other: &Self) -> bool {
        self.v == other.v
    }
}

impl Eq for Callers {}

impl Hash for Callers {
    fn hash<H: Hasher>(&self, h: &mut H) {
        self.v.hash(h)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mutable_access_makes_a_hash_stale() {
        let mut c = Callers::default();
        c.push(Caller::default());
        c.push(Caller::default());
        assert_eq!(c.cached_hash(0), None);
        c.set_hash(0, 7);
        c.set_hash(1, 8);
        assert_eq!(c.cached_hash(0), Some(7));
        let _ = &c[0];
        assert_eq!(c.cached_hash(0), Some(7));
        c[1].wake = 3;
        assert_eq!((c.cached_hash(0), c.cached_hash(1)), (Some(7), None));
        c.iter_mut().for_each(|_| ());
        assert_eq!(c.cached_hash(0), None);
        // The cache is not part of the world.
        let mut d = c;
        d.set_hash(0, 99);
        assert_eq!(c, d);
        // A copy takes the cache with it.
        let mut e = Callers::default();
        e.copy_from(&d);
        assert_eq!((e.cached_hash(0), e.cached_hash(1)), (Some(99), None));
        assert_eq!(e, d);
    }
}
