//! The visited set the exhaustive explorer's threads share: fingerprint sets in stripes, each
//! behind its own mutex, chosen by a fingerprint's top bits (so two threads rarely want the
//! same stripe at once).
//!
//! Why not one lock-free table: the set must grow without a bound known in advance, and a
//! stripe's mutex is uncontended almost always. What the threads do need is what the
//! sequential search has: a *prefetch* of a fingerprint's slot issued when a successor is
//! made, long before its insert, so the memory latency of a table far larger than the caches
//! overlaps with useful work. A prefetch must not take the lock, so each stripe also
//! publishes where its slots are (pointer and mask, updated under the lock when the stripe
//! grows). A thread may read a pointer that a concurrent growth has just retired: a prefetch
//! is only a hint to the CPU, it reads nothing into the program and cannot fault, and the
//! address is formed with `wrapping_add`, so a stale pointer costs at most a useless prefetch.

use std::sync::atomic::{AtomicPtr, AtomicUsize, Ordering};
use std::sync::Mutex;

use crate::fingerprint::FingerprintSet;

/// Stripes: enough that two threads rarely collide, few enough that each grows in big steps.
const STRIPES: usize = 64;

/// One stripe, on its own cache line so two threads' locks never share one.
#[repr(align(64))]
struct Stripe {
    set: Mutex<FingerprintSet>,
    slots: AtomicPtr<u64>,
    mask: AtomicUsize,
}

/// A set of non-zero fingerprints shared by threads.
pub struct StripedSet {
    stripes: Box<[Stripe]>,
}

impl Default for StripedSet {
    fn default() -> Self {
        let stripes = (0..STRIPES)
            .map(|_| {
                let set = FingerprintSet::with_capacity(1 << 10);
                Stripe {
                    slots: AtomicPtr::new(set.slots_ptr().cast_mut()),
                    mask: AtomicUsize::new(set.mask()),
                    set: Mutex::new(set),
                }
            })
            .collect();
        StripedSet { stripes }
    }
}

impl StripedSet {
    #[inline]
    fn stripe(&self, fp: u64) -> &Stripe {
        &self.stripes[(fp >> 58) as usize % STRIPES]
    }

    /// Inserts `fp`; returns false if it was already present.
    #[inline]
    pub fn insert(&self, fp: u64) -> bool {
        let st = self.stripe(fp);
        let mut set = st.set.lock().expect("stripe");
        let before = set.slots_ptr();
        let new = set.insert(fp);
        if set.slots_ptr() != before {
            st.slots
                .store(set.slots_ptr().cast_mut(), Ordering::Release);
            st.mask.store(set.mask(), Ordering::Release);
        }
        new
    }

    /// Asks the CPU to bring `fp`'s slot into the cache; takes no lock (see the module docs).
    #[inline]
    pub fn prefetch(&self, fp: u64) {
        let st = self.stripe(fp);
        let base = st.slots.load(Ordering::Acquire);
        let i = (fp as usize) & st.mask.load(Ordering::Acquire);
        crate::fingerprint::prefetch_addr(base.wrapping_add(i));
    }

    /// Fingerprints stored.
    pub fn len(&self) -> u64 {
        self.stripes
            .iter()
            .map(|s| s.set.lock().expect("stripe").len() as u64)
            .sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn threads_agree_on_membership() {
        let set = StripedSet::default();
        let fresh = AtomicUsize::new(0);
        std::thread::scope(|s| {
            for _ in 0..2 {
                s.spawn(|| {
                    for i in 1..50_000u64 {
                        let fp = crate::fingerprint::fingerprint(&i);
                        set.prefetch(fp);
                        if set.insert(fp) {
                            fresh.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                });
            }
        });
        assert_eq!(fresh.load(Ordering::Relaxed), 49_999);
        assert_eq!(set.len(), 49_999);
    }
}
