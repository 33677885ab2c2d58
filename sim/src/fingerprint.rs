//! Visited-state storage for the exhaustive explorer.
//!
//! States are stored as 64-bit fingerprints (FxHash of the world's `Hash`) in an
//! open-addressing table. Membership only: nothing ever iterates the table, so its layout cannot
//! leak into a verdict or a trace. A fingerprint collision would make the explorer treat a new
//! state as visited and skip its subtree; with n states the chance of any collision is about
//! n²/2⁶⁵ (about 10⁻⁵ at 16 million states). The cost of a collision is a missed state, never a
//! false violation: every reported counterexample is re-executed from its schedule.
//!
//! **Keys with a flag bit.** The exhaustive explorer stores [`key`]s: the fingerprint with its
//! top bit cleared, that bit being a per-entry flag ([`FingerprintSet::insert_flagged`]; the
//! sleep-set search marks the worlds it keeps a sleep record for, so the common revisit of an
//! unmarked world costs no second lookup). Keys have 63 bits, which doubles the collision
//! estimate above: about n²/2⁶⁴, 1.4·10⁻⁵ at 16 million states.

use std::hash::{Hash, Hasher};

use crate::huge::ZeroedSlots;

/// Fingerprint of a value: FxHash (pinned version) of its `Hash` impl, never 0.
#[inline]
pub fn fingerprint<T: Hash + ?Sized>(v: &T) -> u64 {
    let mut h = rustc_hash::FxHasher::default();
    v.hash(&mut h);
    // FxHash's last multiply leaves weak low bits; mix so the table index is well spread.
    let mut x = h.finish();
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
    x ^= x >> 33;
    x.max(1)
}

/// The flag bit of an entry stored with [`FingerprintSet::insert_flagged`].
pub const FLAG: u64 = 1 << 63;

/// The key the explorer stores for fingerprint `fp`: its low 63 bits, never 0.
#[inline]
pub fn key(fp: u64) -> u64 {
    (fp & !FLAG).max(1)
}

/// Tables of up to this many slots (4 MiB) fill to three quarters, larger ones to one half.
const DENSE_SLOTS: usize = 1 << 19;

/// How many keys a table of `slots` slots may hold. A table of up to 4 MiB fills to three
/// quarters: its probes are mostly one cache line (which the explorer prefetched) and cheap,
/// while growing it later means half as many fresh pages to fault in and zero, and half as
/// much rehashing, which for a short search on a VM costs more than the longer probes
/// (reclaim-4 with symmetry, 143,519 states: about 10% faster than at one half). A larger
/// table fills to one half: there the probes' cache misses dominate (reclaim-5 without
/// reductions, 16 million states: 3% slower at three quarters).
#[inline]
pub(crate) fn load_limit(slots: usize) -> usize {
    if slots <= DENSE_SLOTS {
        slots / 4 * 3
    } else {
        slots / 2
    }
}

/// A set of non-zero `u64` fingerprints.
pub struct FingerprintSet {
    slots: ZeroedSlots<u64>,
    len: usize,
    mask: usize,
}

impl Default for FingerprintSet {
    fn default() -> Self {
        // 512 KiB: small searches never grow (growing rehashes and faults in fresh pages).
        Self::with_capacity(1 << 15)
    }
}

impl FingerprintSet {
    pub fn with_capacity(n: usize) -> Self {
        let cap = (n * 2).next_power_of_two().max(16);
        FingerprintSet {
            slots: ZeroedSlots::new(cap),
            len: 0,
            mask: cap - 1,
        }
    }

    /// Whether one more entry would overload the table ([`load_limit`]).
    #[inline]
    fn full(&self) -> bool {
        self.len >= load_limit(self.slots.len())
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Inserts `fp`; returns false if it was already present.
    #[inline]
    pub fn insert(&mut self, fp: u64) -> bool {
        debug_assert!(fp != 0);
        if self.full() {
            self.grow();
        }
        let mut i = (fp as usize) & self.mask;
        loop {
            let v = self.slots[i];
            if v == 0 {
                self.slots[i] = fp;
                self.len += 1;
                return true;
            }
            if v == fp {
                return false;
            }
            i = (i + 1) & self.mask;
        }
    }

    /// Inserts `key` (a [`key`]: top bit clear) with its flag. Returns `None` when it is new,
    /// and the flag it was stored with when it was already present (the flag is then left as
    /// it was: see [`FingerprintSet::set_flag`]). Do not mix with [`FingerprintSet::insert`] in
    /// one set.
    #[inline]
    pub fn insert_flagged(&mut self, key: u64, flag: bool) -> Option<bool> {
        debug_assert!(key != 0 && key & FLAG == 0);
        if self.full() {
            self.grow();
        }
        let mut i = (key as usize) & self.mask;
        loop {
            let v = self.slots[i];
            if v == 0 {
                self.slots[i] = key | if flag { FLAG } else { 0 };
                self.len += 1;
                return None;
            }
            if v & !FLAG == key {
                return Some(v & FLAG != 0);
            }
            i = (i + 1) & self.mask;
        }
    }

    /// Sets the flag of `key`, which must be present (stored with
    /// [`FingerprintSet::insert_flagged`]).
    pub fn set_flag(&mut self, key: u64, flag: bool) {
        let mut i = (key as usize) & self.mask;
        loop {
            let v = self.slots[i];
            assert!(v != 0, "set_flag on an absent key");
            if v & !FLAG == key {
                self.slots[i] = key | if flag { FLAG } else { 0 };
                return;
            }
            i = (i + 1) & self.mask;
        }
    }

    /// Asks the CPU to bring `fp`'s slot into the cache (a hint; no effect on the contents).
    #[inline]
    pub fn prefetch(&self, fp: u64) {
        let i = (fp as usize) & self.mask;
        prefetch_addr(self.slots.as_ptr().wrapping_add(i));
    }

    /// Where the slots are (for the threads' striped set's lock-free prefetch).
    pub(crate) fn slots_ptr(&self) -> *const u64 {
        self.slots.as_ptr()
    }

    pub(crate) fn mask(&self) -> usize {
        self.mask
    }

    pub fn contains(&self, fp: u64) -> bool {
        let mut i = (fp as usize) & self.mask;
        loop {
            let v = self.slots[i];
            if v == 0 {
                return false;
            }
            if v == fp {
                return true;
            }
            i = (i + 1) & self.mask;
        }
    }

    fn grow(&mut self) {
        let cap = self.slots.len() * 2;
        let mut old = std::mem::replace(&mut self.slots, ZeroedSlots::new(cap));
        // Compact the occupied slots to the front without a branch per slot: at half load,
        // "is this slot empty?" is a coin toss the CPU mispredicts every other time.
        let mut n = 0;
        for i in 0..old.len() {
            let v = old[i];
            old[n] = v;
            n += usize::from(v != 0);
        }
        self.mask = cap - 1;
        self.len = 0;
        // Reinserted in batches whose slots are prefetched first: the new table is far larger
        // than the caches and each key lands in a random line, so one key at a time would pay
        // one memory latency after another.
        const BATCH: usize = 16;
        for batch in old[..n].chunks(BATCH) {
            for &fp in batch {
                self.prefetch(fp);
            }
            for &fp in batch {
                self.insert(fp);
            }
        }
    }
}

/// Asks the CPU to bring the cache line at `p` closer. A hint: it reads nothing into the
/// program and cannot fault, whatever `p` is, so a stale or out-of-range address is harmless.
#[inline]
pub(crate) fn prefetch_addr(p: *const u64) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: PREFETCHT0 is architecturally a hint that never faults and has no effect on
    // program state, for any address.
    unsafe {
        std::arch::x86_64::_mm_prefetch(p as *const i8, std::arch::x86_64::_MM_HINT_T0);
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

/// Fingerprint of a compact encoding: four independent multiply-rotate lanes over the words
/// (word j feeds lane j mod 4), then the lanes are folded and finally mixed. Four lanes rather
/// than one chain: each round's multiply waits on the previous one in its lane only, so the
/// CPU overlaps the lanes and a 20-word world hashes in about a quarter of the latency. Models
/// that pack their world into words use this (much faster than a derived `Hash`).
#[inline]
pub fn fingerprint_words(words: &[u64]) -> u64 {
    const K: u64 = 0xff51_afd7_ed55_8ccd;
    let mut lanes: [u64; 4] = [
        0x9e37_79b9_7f4a_7c15 ^ words.len() as u64,
        0xc2b2_ae3d_27d4_eb4f,
        0x1656_67b1_9e37_79f9,
        0x27d4_eb2f_1656_67c5,
    ];
    let mut chunks = words.chunks_exact(4);
    for c in &mut chunks {
        for (l, &w) in lanes.iter_mut().zip(c) {
            *l = (*l ^ w).wrapping_mul(K).rotate_left(29);
        }
    }
    for (l, &w) in lanes.iter_mut().zip(chunks.remainder()) {
        *l = (*l ^ w).wrapping_mul(K).rotate_left(29);
    }
    let mut h = lanes[0];
    for &l in &lanes[1..] {
        h = (h ^ l).wrapping_mul(K).rotate_left(31);
    }
    h ^= h >> 32;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^= h >> 29;
    h.max(1)
}

/// Hash of one small block of words under a salt, for fingerprints that combine blocks by a
/// wrapping sum (a multiset hash: the sum does not depend on the blocks' order, which is how a
/// model hashes interchangeable actors without sorting them). The salt enters after the words,
/// just before the finish: salted at the start, two salts would relate the blocks whose first
/// words differ by exactly the salts' XOR. The finish is a full 64-bit avalanche, so sums of
/// distinct multisets collide as rarely as independent random values.
#[inline]
pub fn fingerprint_block(salt: u64, words: &[u64]) -> u64 {
    const K: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut h = 0;
    for &w in words {
        h = (h ^ w).wrapping_mul(K).rotate_left(27);
    }
    mix(h ^ salt)
}

/// A bijective 64-bit finisher with full avalanche (MurmurHash3's `fmix64`): every input bit
/// changes each output bit with probability about one half.
#[inline]
pub fn mix(mut h: u64) -> u64 {
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^ (h >> 33)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn insert_and_grow() {
        let mut s = FingerprintSet::with_capacity(4);
        for i in 1..10_000u64 {
            assert!(s.insert(fingerprint(&i)));
        }
        for i in 1..10_000u64 {
            assert!(!s.insert(fingerprint(&i)));
            assert!(s.contains(fingerprint(&i)));
        }
        assert_eq!(s.len(), 9_999);
    }

    #[test]
    fn flagged_keys() {
        let mut s = FingerprintSet::with_capacity(4);
        for i in 1..5_000u64 {
            assert_eq!(s.insert_flagged(key(fingerprint(&i)), i % 3 == 0), None);
        }
        for i in 1..5_000u64 {
            let k = key(fingerprint(&i));
            assert_eq!(s.insert_flagged(k, false), Some(i % 3 == 0));
            s.set_flag(k, i % 2 == 0);
        }
        for i in 1..5_000u64 {
            assert_eq!(
                s.insert_flagged(key(fingerprint(&i)), true),
                Some(i % 2 == 0)
            );
        }
        assert_eq!(s.len(), 4_999);
        assert_eq!(key(FLAG), 1);
    }

    #[test]
    fn word_fingerprints_separate_position_and_length() {
        let a = fingerprint_words(&[1, 2, 3, 4, 5]);
        assert_ne!(a, fingerprint_words(&[2, 1, 3, 4, 5]));
        assert_ne!(a, fingerprint_words(&[1, 2, 3, 4, 5, 0]));
        assert_ne!(a, fingerprint_words(&[5, 2, 3, 4, 1]));
        // No collision among a few hundred thousand near-identical small worlds.
        let mut s = FingerprintSet::default();
        for x in 0..64u64 {
            for y in 0..64u64 {
                for z in 0..64u64 {
                    assert!(s.insert(fingerprint_words(&[x, 0, y, 7, 0, z, 1])));
                }
            }
        }
    }
}
