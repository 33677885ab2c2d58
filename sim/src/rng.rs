//! The one source of randomness: a portable, integer-only PRNG over ChaCha8 with labelled
//! child streams. Never `thread_rng`, never floats: a seed printed today must replay on any
//! machine tomorrow.

use rand_chacha::ChaCha8Rng;
use rand_core::{RngCore, SeedableRng};

pub struct Prng {
    inner: ChaCha8Rng,
}

impl Prng {
    pub fn new(seed: u64) -> Self {
        Prng {
            inner: ChaCha8Rng::seed_from_u64(seed),
        }
    }

    /// A child stream whose sequence depends only on this stream's seed and `label`, not on how
    /// many numbers were drawn from the parent.
    pub fn fork(seed: u64, label: u64) -> Self {
        let mut s = ChaCha8Rng::seed_from_u64(seed);
        s.set_stream(label);
        Prng { inner: s }
    }

    pub fn next_u64(&mut self) -> u64 {
        self.inner.next_u64()
    }

    /// Uniform in `0..n` (n > 0), without modulo bias.
    pub fn below(&mut self, n: u64) -> u64 {
        assert!(n > 0, "Prng::below(0)");
        let zone = u64::MAX - (u64::MAX % n);
        loop {
            let v = self.next_u64();
            if v < zone {
                return v % n;
            }
        }
    }

    /// True with probability `num/den`.
    pub fn chance(&mut self, num: u64, den: u64) -> bool {
        self.below(den) < num
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_stream() {
        let a: Vec<u64> = (0..8)
            .map({
                let mut r = Prng::new(7);
                move |_| r.below(100)
            })
            .collect();
        let b: Vec<u64> = (0..8)
            .map({
                let mut r = Prng::new(7);
                move |_| r.below(100)
            })
            .collect();
        assert_eq!(a, b);
        assert_ne!(Prng::fork(7, 1).next_u64(), Prng::fork(7, 2).next_u64());
    }
}
