//! Where the exhaustive explorer records visited worlds: a private set, or one shared by
//! threads. Threads without sleep sets share a lock-free table ([`super::concurrent`]); with
//! sleep sets, stripes behind mutexes (this module's [`Shared`]). The private set and the
//! striped one apply the sleep-set revisit rule ([`super::sleep`]) atomically with the
//! membership test, so two threads revisiting one world cannot both skip what one of them had
//! to explore.

use std::sync::atomic::{AtomicPtr, AtomicUsize, Ordering};
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

/// A visited set the threads of one search share.
pub(super) trait SharedSet: Sync {
    /// One thread's access to the set.
    type Member<'a>: Visited
    where
        Self: 'a;
    /// A thread's access, held for one subtree (see [`super::concurrent::Concurrent::member`]).
    fn member(&self) -> Self::Member<'_>;
    /// Distinct worlds visited (exact once no member is left).
    fn len(&self) -> u64;
}

/// A private visited set.
pub(super) struct Seen {
    set: FingerprintSet,
    records: Records,
}

impl Seen {
    /// The sequential search's set: it starts at 2 MiB, one huge page (see `crate::huge`), like
    /// the threads' table. Growing rehashes every key, and starting at 512 KiB, reclaim-4 with
    /// symmetry (143,519 states) grew twice and took 11% longer (alternating runs); a 20,461-state
    /// search pays one huge-page fault instead of 128 small ones and was no slower.
    pub(super) fn search() -> Self {
        Seen {
            set: FingerprintSet::with_capacity(1 << 17),
            records: Records::default(),
        }
    }

    /// A small set: one of the shared set's 64 stripes (the private set's default size would
    /// make a threaded search fault in 32 MiB before its first world).
    fn stripe() -> Self {
        Seen {
            set: FingerprintSet::with_capacity(1 << 10),
            records: Records::default(),
        }
    }

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

/// A visited set shared by threads: stripes of private sets, each behind its own mutex,
/// chosen by a key's top bits (so two threads rarely want the same stripe at once).
///
/// Threads need what the sequential search has: a *prefetch* of a successor's slot issued when
/// it is made, long before its visit, so the latency of a table far larger than the caches
/// overlaps with useful work. A prefetch must not take the lock, so each stripe also publishes
/// where its slots are (pointer and mask, updated under the lock when the stripe grows). A
/// thread may read a pointer that a concurrent growth has just retired: a prefetch is only a
/// hint to the CPU, it reads nothing into the program and cannot fault, and the address is
/// formed with `wrapping_add`, so a stale pointer costs at most a useless prefetch.
pub(super) struct Shared {
    stripes: Box<[Stripe]>,
}

/// One stripe, on its own cache line so two threads' locks never share one.
#[repr(align(64))]
struct Stripe {
    seen: Mutex<Seen>,
    slots: AtomicPtr<u64>,
    mask: AtomicUsize,
}

const STRIPES: usize = 64;

impl Shared {
    pub(super) fn new() -> Self {
        Shared {
            stripes: (0..STRIPES)
                .map(|_| {
                    let seen = Seen::stripe();
                    Stripe {
                        slots: AtomicPtr::new(seen.set.slots_ptr().cast_mut()),
                        mask: AtomicUsize::new(seen.set.mask()),
                        seen: Mutex::new(seen),
                    }
                })
                .collect(),
        }
    }
    pub(super) fn len(&self) -> u64 {
        self.stripes
            .iter()
            .map(|s| s.seen.lock().expect("stripe").len())
            .sum()
    }
    #[inline]
    fn stripe(&self, fp: u64) -> &Stripe {
        // Bits 57..62 of the key (bit 63 is the flag, never part of a key).
        &self.stripes[(key(fp) >> 57) as usize % STRIPES]
    }
}

impl SharedSet for Shared {
    type Member<'a> = &'a Shared;
    fn member(&self) -> &Shared {
        self
    }
    fn len(&self) -> u64 {
        Shared::len(self)
    }
}

impl Visited for &Shared {
    #[inline]
    fn visit(&mut self, fp: u64, sleep: u32, ident: impl FnOnce() -> u64) -> Visit {
        let st = self.stripe(fp);
        let mut seen = st.seen.lock().expect("stripe");
        let before = seen.set.slots_ptr();
        let v = seen.visit(fp, sleep, ident);
        if seen.set.slots_ptr() != before {
            st.slots
                .store(seen.set.slots_ptr().cast_mut(), Ordering::Release);
            st.mask.store(seen.set.mask(), Ordering::Release);
        }
        v
    }
    /// Takes no lock (see [`Shared`]).
    #[inline]
    fn prefetch(&self, fp: u64) {
        let st = self.stripe(fp);
        let base = st.slots.load(Ordering::Acquire);
        let i = (key(fp) as usize) & st.mask.load(Ordering::Acquire);
        crate::fingerprint::prefetch_addr(base.wrapping_add(i));
    }
}

/// A small direct-mapped memory of fingerprints the visited set already holds, private to one
/// thread and small enough to stay in its core's caches (64 KiB: measured against 16 KiB, 256 KiB
/// and 1 MiB on the benchmark workloads).
///
/// Why: the search makes and expands a successor *before* its visited-set lookup (to hide that
/// lookup's memory latency), so a successor that turns out visited wastes its expansion. About
/// three in ten successors are such duplicates on the benchmark workloads, and most of them are
/// worlds reached a moment ago by another order of the same moves. A hit here proves the world
/// is visited (only fingerprints the set holds are ever stored), so the successor is dropped at
/// once; a miss (a slot overwritten since, or a world visited long ago) only means asking the
/// set, as before. Nothing about which worlds are visited, counted or reported changes. Used
/// only without sleep sets, whose revisits may have work left to do.
pub(super) struct Recent {
    slots: Box<[u64]>,
}

const RECENT: usize = 1 << 13;

impl Recent {
    pub(super) fn new() -> Self {
        Recent {
            slots: vec![0; RECENT].into_boxed_slice(),
        }
    }

    #[inline]
    fn slot(fp: u64) -> usize {
        // Bits the visited table does not index by, so the two do not collide together.
        (fp >> 40) as usize & (RECENT - 1)
    }

    /// `fp` is certainly in the visited set.
    #[inline]
    pub(super) fn holds(&self, fp: u64) -> bool {
        self.slots[Self::slot(fp)] == fp
    }

    /// Remembers that the visited set holds `fp`.
    #[inline]
    pub(super) fn note(&mut self, fp: u64) {
        self.slots[Self::slot(fp)] = fp;
    }
}
