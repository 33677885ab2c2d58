//! The visited set threads share when they search without sleep sets: one open-addressing
//! table of fingerprint keys that threads insert into by compare-and-swap, with no lock on the
//! way, and that all of them grow together.
//!
//! Why not a mutex per stripe ([`super::visited::Shared`], which sleep sets still use for their
//! records): every visit then takes and releases a lock, two atomic read-modify-writes that
//! order all memory around them, so the slot's load waits for the lock instead of overlapping
//! with the work before it. On reclaim-4 without reductions, one thread on the striped set ran
//! about 20% slower than on a private set; on this table it runs about as fast.
//!
//! **Inserting.** A key's place is the first empty slot of its probe sequence, and a filled
//! slot never changes, so two threads inserting one key race for the same slot: one
//! compare-and-swap wins (the world is new to it), the other finds the key (visited). Each key
//! is new to exactly one thread, and the number of keys is exact.
//!
//! **Growing.** Nobody may insert into a table while its keys are copied to the next one. A
//! thread that finds the table full announces a growth (`growing`, a flag every visit reads:
//! one load of a line that changes only when the table grows) and parks; every thread that
//! holds the table parks at its next visit. When all have, they copy the old table's keys to
//! the new one together, chunk by chunk, and go on with the new table. Copying is the whole
//! cost of a growth, so sharing it keeps two threads from taking turns: with one thread
//! copying while the other waits, the growths of a 796,203-state search took 13 ms of its
//! 80 ms. A thread holds the table (is a *member*) for one subtree at a time and only parks in
//! a visit, and a thread that lets go of the table while others wait counts as parked, so a
//! growth always starts.
//!
//! **Keeping the table from filling up.** Threads take *credits* (insertions they may make)
//! from a shared count in chunks, so the count is touched once per chunk rather than once per
//! new world, and it never exceeds the table's load limit: no table is fuller than a private
//! one would be. Unused credits go back when a thread lets go of the table or parks, so once
//! every thread has, the count is the number of keys.
//!
//! **Checked.** The protocol is written against a small facade ([`sync`]) so that loom and
//! shuttle run this very code on tables of a few slots (`checked_tests`): a mistake in it is a
//! key new to two threads, a wrong count or a thread parked forever in one rare interleaving,
//! which tests on real threads would seldom meet.

mod sync;

use crate::fingerprint::{key, load_limit};

use super::sleep::Visit;
use super::visited::{SharedSet, Visited};
use sync::{Arc, AtomicBool, AtomicUsize, Condvar, Mutex, MutexGuard, Ordering, Slots, CHECKED};

/// Slots of a fresh table: 2 MiB, one huge page (four times the private set's first table:
/// threads are for large searches, and a growth stops every thread, so they start large).
const INITIAL_SLOTS: usize = 1 << 18;

/// Slots copied per claim when a table grows (two under a checker, so that the few slots of a
/// test's table are copied by more than one thread).
const COPY_CHUNK: usize = if CHECKED { 2 } else { 1 << 13 };

/// A value on a cache line of its own (the flag every visit reads must not share a line with
/// the counts threads write).
#[repr(align(64))]
struct Line<T>(T);

/// A visited set for threads searching without sleep sets.
pub(super) struct Concurrent {
    /// A growth is waiting for members to park, or under way.
    growing: Line<AtomicBool>,
    /// Keys inserted plus credits handed out and not yet used or returned.
    reserved: Line<AtomicUsize>,
    gate: Mutex<Gate>,
    /// Signalled when every member has parked and when a growth is over.
    turned: Condvar,
    threads: usize,
}

/// Who holds the table, and the growth in progress.
struct Gate {
    table: Arc<Table>,
    /// Threads holding the table.
    members: usize,
    /// Members parked for the growth in progress.
    parked: usize,
    /// Parked members done copying.
    copied: usize,
    /// Keys copied so far into `next`.
    keys: usize,
    /// The table being filled, once a growth is announced.
    next: Option<Arc<Table>>,
    /// Every member has parked: copying may begin.
    copying: bool,
    /// Growths so far.
    generation: u64,
}

/// One generation of the table.
struct Table {
    slots: Slots,
    mask: usize,
    /// Keys at which the table is full ([`load_limit`]).
    limit: usize,
    /// Credits a thread takes at a time.
    chunk: usize,
    /// The next chunk of slots to copy, when this table is being replaced.
    cursor: AtomicUsize,
}

impl Table {
    fn new(slots: usize, threads: usize) -> Self {
        let limit = load_limit(slots);
        Table {
            slots: sync::zeroed_slots(slots),
            mask: slots - 1,
            limit,
            // Small enough that credits left unused when the table grows (at most a chunk per
            // thread) change little; large enough that the shared count is rarely touched.
            chunk: (limit / (32 * threads)).clamp(1, 4096),
            cursor: AtomicUsize::new(0),
        }
    }

    /// Inserts `k`, known to be absent, while the table is being filled by a growth (by the
    /// copying threads only, so the race is only for empty slots).
    #[inline]
    fn put(&self, k: u64) {
        let mut i = k as usize & self.mask;
        loop {
            let slot = &self.slots[i];
            if slot.load(Ordering::Relaxed) == 0
                && slot
                    .compare_exchange(0, k, Ordering::Relaxed, Ordering::Relaxed)
                    .is_ok()
            {
                return;
            }
            i = (i + 1) & self.mask;
        }
    }

    /// Copies chunks of this table's keys into `next` until none is left; returns how many
    /// keys this thread copied.
    fn copy_into(&self, next: &Table) -> usize {
        let mut n = 0;
        loop {
            let c = self.cursor.fetch_add(1, Ordering::Relaxed);
            let Some(chunk) = self.slots.chunks(COPY_CHUNK).nth(c) else {
                return n;
            };
            for s in chunk {
                let k = s.load(Ordering::Relaxed);
                if k != 0 {
                    next.put(k);
                    n += 1;
                }
            }
        }
    }
}

impl SharedSet for Concurrent {
    type Member<'a> = Member<'a>;
    fn member(&self) -> Member<'_> {
        Concurrent::member(self)
    }
    fn len(&self) -> u64 {
        Concurrent::len(self)
    }
}

impl Concurrent {
    /// A set for `threads` threads.
    pub(super) fn new(threads: usize) -> Self {
        Self::with_slots(threads, INITIAL_SLOTS)
    }

    /// A set for `threads` threads whose first table has `slots` slots (a power of two): the
    /// checkers' tests start tiny, so that a few keys make the table grow.
    fn with_slots(threads: usize, slots: usize) -> Self {
        debug_assert!(slots.is_power_of_two());
        let threads = threads.max(1);
        Concurrent {
            growing: Line(AtomicBool::new(false)),
            reserved: Line(AtomicUsize::new(0)),
            gate: Mutex::new(Gate {
                table: Arc::new(Table::new(slots, threads)),
                members: 0,
                parked: 0,
                copied: 0,
                keys: 0,
                next: None,
                copying: false,
                generation: 0,
            }),
            turned: Condvar::new(),
            threads,
        }
    }

    fn gate(&self) -> MutexGuard<'_, Gate> {
        self.gate.lock().expect("visited-set gate")
    }

    /// A thread's hold on the table, for one subtree. The thread parks only inside a visit,
    /// so it must drop the member before it waits for anything another thread's visit may be
    /// waiting for (such as work to do).
    pub(super) fn member(&self) -> Member<'_> {
        let mut g = self.gate();
        // Joining during a growth would make it wait for one more member.
        while g.next.is_some() {
            g = self.turned.wait(g).expect("visited-set gate");
        }
        g.members += 1;
        Member {
            set: self,
            table: Arc::clone(&g.table),
            generation: g.generation,
            credits: 0,
        }
    }

    /// The number of keys (exact once no member is left).
    pub(super) fn len(&self) -> u64 {
        self.reserved.0.load(Ordering::Acquire) as u64
    }

    /// Counts one more member parked or gone; starts the copying if that was the last one.
    fn arrived(&self, g: &mut Gate) {
        if g.next.is_some() && !g.copying && g.parked == g.members {
            g.copying = true;
            self.turned.notify_all();
        }
    }
}

/// One thread's hold on a [`Concurrent`] set.
pub(super) struct Member<'a> {
    set: &'a Concurrent,
    table: Arc<Table>,
    /// The growths this member's table has been through.
    generation: u64,
    /// Insertions this thread may still make without asking the shared count.
    credits: usize,
}

impl Member<'_> {
    fn return_credits(&mut self) {
        if self.credits != 0 {
            self.set
                .reserved
                .0
                .fetch_sub(self.credits, Ordering::AcqRel);
            self.credits = 0;
        }
    }

    /// Takes a chunk of credits, growing the table when it has none left.
    #[cold]
    fn reserve(&mut self) {
        loop {
            let chunk = self.table.chunk;
            let before = self.set.reserved.0.fetch_add(chunk, Ordering::AcqRel);
            if before + chunk <= self.table.limit {
                self.credits = chunk;
                return;
            }
            self.set.reserved.0.fetch_sub(chunk, Ordering::AcqRel);
            let mut g = self.set.gate();
            if g.next.is_none() {
                // Announce a growth (or join the one another thread announced meanwhile).
                g.next = Some(Arc::new(Table::new(
                    self.table.slots.len() * 2,
                    self.set.threads,
                )));
                self.set.growing.0.store(true, Ordering::Relaxed);
            }
            self.park(g);
        }
    }

    /// Parks for the growth in progress, helps copy, and takes the new table.
    #[cold]
    fn park(&mut self, mut g: MutexGuard<'_, Gate>) {
        let set = self.set;
        // No growth can end while a member has not parked for it.
        debug_assert!(g.next.is_some() && g.generation == self.generation);
        self.return_credits();
        g.parked += 1;
        set.arrived(&mut g);
        while !g.copying {
            g = set.turned.wait(g).expect("visited-set gate");
        }
        let next = Arc::clone(g.next.as_ref().expect("a growth in progress"));
        drop(g);
        let n = self.table.copy_into(&next);
        let mut g = set.gate();
        g.keys += n;
        g.copied += 1;
        if g.copied == g.parked {
            // The last to finish installs the new table.
            g.table = next;
            g.next = None;
            g.copying = false;
            g.generation += 1;
            set.reserved.0.store(g.keys, Ordering::Release);
            (g.parked, g.copied, g.keys) = (0, 0, 0);
            set.growing.0.store(false, Ordering::Relaxed);
            set.turned.notify_all();
        } else {
            let generation = g.generation;
            while g.generation == generation {
                g = set.turned.wait(g).expect("visited-set gate");
            }
        }
        self.table = Arc::clone(&g.table);
        self.generation = g.generation;
    }
}

impl Drop for Member<'_> {
    fn drop(&mut self) {
        self.return_credits();
        let mut g = self.set.gate();
        g.members -= 1;
        self.set.arrived(&mut g);
    }
}

impl Visited for Member<'_> {
    /// Sleep sets are not supported (`sleep` must be 0): their records need a lock anyway.
    #[inline]
    fn visit(&mut self, fp: u64, sleep: u32, _ident: impl FnOnce() -> u64) -> Visit {
        debug_assert_eq!(sleep, 0, "the concurrent set keeps no sleep records");
        if self.set.growing.0.load(Ordering::Relaxed) {
            self.park(self.set.gate());
        }
        if self.credits == 0 {
            self.reserve();
        }
        let k = key(fp);
        let t = &*self.table;
        let mut i = k as usize & t.mask;
        loop {
            let slot = &t.slots[i];
            let v = slot.load(Ordering::Relaxed);
            if v == k {
                return Visit::Covered;
            }
            if v == 0 {
                match slot.compare_exchange(0, k, Ordering::Relaxed, Ordering::Relaxed) {
                    Ok(_) => {
                        self.credits -= 1;
                        return Visit::New;
                    }
                    Err(c) if c == k => return Visit::Covered,
                    Err(_) => {}
                }
            }
            i = (i + 1) & t.mask;
        }
    }

    #[inline]
    fn prefetch(&self, fp: u64) {
        let t = &*self.table;
        let i = key(fp) as usize & t.mask;
        crate::fingerprint::prefetch_addr(t.slots.as_ptr().wrapping_add(i).cast::<u64>());
    }
}

/// The protocol under loom and shuttle; their build swaps the facade, so only these run there.
#[cfg(all(test, any(feature = "loom", feature = "shuttle")))]
mod checked_tests;

#[cfg(all(test, not(feature = "loom"), not(feature = "shuttle")))]
mod tests {
    use super::*;
    use crate::fingerprint::fingerprint;

    #[test]
    fn each_key_is_new_once_across_growths() {
        let set = Concurrent::new(1);
        let mut m = set.member();
        for i in 1..300_000u64 {
            assert_eq!(m.visit(fingerprint(&i), 0, || 0), Visit::New);
        }
        for i in 1..300_000u64 {
            assert_eq!(m.visit(fingerprint(&i), 0, || 0), Visit::Covered);
        }
        drop(m);
        assert_eq!(set.len(), 299_999);
    }

    #[test]
    fn threads_racing_on_the_same_keys_see_each_new_once() {
        let set = Concurrent::new(4);
        let news = AtomicUsize::new(0);
        std::thread::scope(|s| {
            for t in 0..4u64 {
                let (set, news) = (&set, &news);
                s.spawn(move || {
                    // Overlapping ranges, in different orders, through several growths, with
                    // members coming and going (as threads do between subtrees).
                    for part in 0..4u64 {
                        let mut m = set.member();
                        for j in part * 50_000..(part + 1) * 50_000 {
                            let i = if t % 2 == 0 { j } else { 199_999 - j };
                            if m.visit(fingerprint(&(i + t * 50_000)), 0, || 0) == Visit::New {
                                news.fetch_add(1, Ordering::Relaxed);
                            }
                        }
                    }
                });
            }
        });
        assert_eq!(news.load(Ordering::Relaxed), 350_000);
        assert_eq!(set.len(), 350_000);
    }
}
