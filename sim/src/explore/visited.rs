//! Where the exhaustive explorer records visited worlds: a private set, or one shared by
//! threads (stripes behind mutexes). Both apply the sleep-set revisit rule ([`super::sleep`])
//! atomically with the membership test, so two threads revisiting one world cannot both skip
//! what one of them had to explore.

use std::sync::Mutex;

use crate::fingerprint::{key, FingerprintSet};

use super::sleep::{Records, Visit};

/// Visited worlds (by fingerprint) and their sleep records.
pub(super) trait Visited {
    /// Records a visit of the world with fingerprint `fp`, explored (if new) with sleep set
    /// `sleep` (a mask over its moves; 0 when sleep sets are off or the world is not expanded).
    /// `ident` gives the world's plain fingerprint; it is called only when a record is made or
    /// consulted.
    fn visit(&mut self, fp: u64, sleep: u32, ident: impl FnOnce() -> u64) -> Visit;
    /// A hint that `fp` will be visited soon.
    fn prefetch(&self, _fp: u64) {}
}

/// A private visited set.
#[derive(Default)]
pub(super) struct Seen {
    set: FingerprintSet,
    records: Records,
}

impl Seen {
    pub(super) fn len(&self) -> u64 {
        self.set.len() as u64
    }
}

impl Visited for Seen {
    #[inline]
    fn visit(&mut self, fp: u64, sleep: u32, ident: impl FnOnce() -> u64) -> Visit {
        let k = key(fp);
        match self.set.insert_flagged(k, sleep != 0) {
            None => {
                if sleep != 0 {
                    self.records.insert(k, ident(), sleep);
                }
                Visit::New
            }
            Some(false) => Visit::Covered,
            Some(true) => {
                let (v, empty) = self.records.revisit(k, sleep, ident());
                if empty {
                    // Nothing left asleep: later revisits need no lookup.
                    self.set.set_flag(k, false);
                }
                v
            }
        }
    }
    #[inline]
    fn prefetch(&self, fp: u64) {
        self.set.prefetch(key(fp))
    }
}

/// A visited set shared by threads: stripes of private sets behind mutexes.
pub(super) struct Shared {
    stripes: Vec<Mutex<Seen>>,
}

const STRIPES: usize = 64;

impl Shared {
    pub(super) fn new() -> Self {
        Shared {
            stripes: (0..STRIPES).map(|_| Mutex::new(Seen::default())).collect(),
        }
    }
    pub(super) fn len(&self) -> u64 {
        self.stripes
            .iter()
            .map(|s| s.lock().expect("stripe").len())
            .sum()
    }
}

impl Visited for &Shared {
    #[inline]
    fn visit(&mut self, fp: u64, sleep: u32, ident: impl FnOnce() -> u64) -> Visit {
        // Bits 57..62 of the key (bit 63 is the flag, never part of a key).
        self.stripes[(key(fp) >> 57) as usize % STRIPES]
            .lock()
            .expect("stripe")
            .visit(fp, sleep, ident)
    }
}
