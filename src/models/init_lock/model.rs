//! The init lock as an explicit state machine (protocols.md §1.3), one model for every
//! version.
//!
//! **Granularity.** Each step is the synchronous code between two awaits of one request, as
//! JavaScript runs it: the cache check, the claim check and the claim are one step (S-check-cache
//! and S-claim-check are synchronous together); the timeout check and the decision to sleep are
//! in that same pass; every `await sleep(poll)` and the `await initPromise` are the await
//! points. Init's own I/O is one await of `init_ms` (a nested runtime init is its own work,
//! then the db lock, then the end of init). When init settles, the publish (inside init), the
//! owner's `finally` and its return are one step: nothing that touches the lock can run
//! between them. The microtasks that follow a claim (init starting one microtask later in V3+,
//! `after()` registering `waitUntil` one microtask after that) run inside the claim step unless
//! the actor is cancelled in that window (`cancel_before_anchor`), which is the one case where
//! their order matters; then each is its own step at the same instant.
//!
//! **Ghost state** (what the protocol does not record, kept only to judge invariants): a
//! per-singleton claim counter independent of the protocol's own generation, who holds the
//! latest claim and whether its own owner released it, how many inits started, the highest
//! published claim, how many runtimes run their cron scheduler (every successful runtime init
//! starts one; V4's init that may not publish stops it: S-A6), whether a caller got another
//! request's init failure (V0's shared db promise: S-A7), and per caller whether a legitimate
//! reclaim superseded its claim. Each is kept only when a checked invariant reads it, so it
//! splits no worlds otherwise.

use lockstep_sim::arrival;
use lockstep_sim::{Lifecycle, Model, Narrator, PropIdx, Property, Time};

use super::invariants::Inv;
use super::spec::{Outcome, Spec, MAX_ACTORS};
use super::version::{LockKind, Version};

mod callers;
mod independence;

use callers::Callers;

const NONE: u32 = u32::MAX;
const UNRESOLVED: u8 = u8::MAX;

/// Choice slots per actor: arrival, init duration (outer, inner), outcome (outer, inner).
const SLOTS: usize = 5;
const S_ARRIVE: usize = 0;
const S_INIT: usize = 1;
const S_OUT: usize = 3;

/// Lock constants of one level, resolved for a variant.
#[derive(Clone, Copy, Debug)]
pub struct LockConf {
    pub kind: LockKind,
    /// `None` for V0: never reclaimed.
    pub deadline: Option<u64>,
    pub poll: u64,
    pub max_wait: Option<u64>,
    pub wait_bound: u64,
    pub legit_init: Option<u64>,
}

pub struct InitLockModel {
    pub(super) spec: Spec,
    pub(super) version: Version,
    pub(super) anchor: bool,
    pub(super) levels: usize,
    pub(super) conf: [LockConf; 2],
    pub(super) checks: Vec<Inv>,
    pub(super) props: Vec<Property>,
    /// Per actor and level: the outcome is chosen when init starts, not when it settles.
    pub(super) early_outcome: Vec<[bool; 2]>,
    /// Per actor, the salt of its class of interchangeable actors (identical specifications):
    /// [`SALTS`] at the class's first member. Symmetry reduction salts a caller's block hash by
    /// it.
    pub(super) class_salts: [u64; MAX_ACTORS],
    /// Whether any actor can be cancelled by its specification (`cancel_at_ms` or a cancel
    /// before the anchor), and whether bounded-wait and abandoned-reclaim are checked: facts
    /// of the scenario that the per-world functions would otherwise look up per caller.
    pub(super) scripted_cancels: bool,
    /// The actors with a cancellation window (`cancel = ...`), as a bit mask: only they can
    /// take an optional cancellation, so the per-world scans for one visit only them.
    pub(super) windowed: u8,
    pub(super) watch_bounded_wait: bool,
    pub(super) watch_abandoned: bool,
    pub(super) symmetric: bool,
    /// Ghost fields kept only when an invariant reads them, so they do not split states.
    pub(super) ghost_legit: bool,
    pub(super) ghost_waited: bool,
    pub(super) ghost_published: bool,
    pub(super) ghost_crons: bool,
    pub(super) ghost_init_start: bool,
    /// The scripted cancellations (`cancel_at_ms`, `cancel_before_anchor`), bit per actor:
    /// which took effect in some explored schedule.
    pub(super) faults: lockstep_sim::faults::FaultLog,
}

/// The protocol's lock cell plus its cache (one per singleton per module copy).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Cell {
    /// `ownerStartedAt` (V0: the flag / the shared promise is set).
    owner: u32,
    /// `generation` (V3+; counted but unused by earlier versions).
    generation: u16,
    /// The cached value, as the ghost claim number of whoever published it (0: empty).
    cache: u8,
    /// V0 db: the request whose `dbInitPromise` is shared (actor + 1; 0: none).
    shared: u8,
}

/// Ghost state of one singleton (all module copies together).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct Res {
    /// Claims made so far; the latest claim is number `claims`.
    claims: u8,
    cur_actor: u8,
    cur_at: u32,
    /// The latest claim was released by its own owner.
    cur_released: bool,
    /// Someone found the latest claim held and had to wait.
    waited: bool,
    inits: u8,
    published: u8,
    /// Runtimes whose cron scheduler runs (S-A6): every runtime init that succeeds starts
    /// one; V4's init that may not publish stops its own.
    crons: u8,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
enum Point {
    #[default]
    NotArrived,
    /// In `await sleep(poll)`; the next pass runs at `wake`.
    Sleeping,
    /// Canary only: decided to claim, awaits before claiming.
    SplitClaim,
    /// V3+: claimed; `init` starts one microtask later.
    InitPending,
    /// Inside the claim step, waiting for the explorer to pick this init's open duration or
    /// outcome; resolved before any other move, so nothing can interleave.
    StartPending,
    /// Init started; `after()`'s `waitUntil` registration is one microtask away.
    AnchorPending,
    /// In `await initPromise`: init's I/O ends at `wake` (`NONE`: it hangs).
    InInit,
    /// V0 db: awaiting another request's `dbInitPromise`.
    AwaitShared(u8),
    Done,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
struct Frame {
    wait_start: u32,
    init_start: u32,
    /// `myClaim` (the protocol's generation at the claim).
    my_gen: u16,
    /// Ghost claim number.
    ghost: u8,
    waiting: bool,
    in_init: bool,
    superseded: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Caller {
    choices: [u8; SLOTS],
    pc: Point,
    level: u8,
    life: Lifecycle,
    wake: u32,
    anchored: bool,
    cancelled: bool,
    frames: [Frame; 2],
}

/// Events whose violation is judged when they happen.
const F_BAD_PUBLISH: u8 = 1;
const F_PREMATURE: u8 = 2;
const F_ANCHOR_SKIPPED: u8 = 4;
const F_EARLY_TIMEOUT: u8 = 8;
const F_FOREIGN_ERROR: u8 = 16;

/// Not `Copy`: the explorer copies a world into a reused successor per explored move, and
/// [`World::clone_from`] copies only the callers the scenario has (about half of the world's
/// bytes at 4 callers), where a `Copy` world is copied whole.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct World {
    now: u32,
    cells: [Cell; 4],
    res: [Res; 2],
    callers: Callers,
    /// Optional cancellations taken so far (against `[faults] cancels_max`).
    cancels: u8,
    flags: u8,
    /// Who raised each flag (actor), for the explanation.
    flag_actor: u8,
}

impl Clone for World {
    fn clone(&self) -> Self {
        let mut w = World {
            now: self.now,
            cells: self.cells,
            res: self.res,
            callers: Callers::default(),
            cancels: self.cancels,
            flags: self.flags,
            flag_actor: self.flag_actor,
        };
        w.callers.copy_from(&self.callers);
        w
    }

    #[inline]
    fn clone_from(&mut self, src: &Self) {
        let World {
            now,
            cells,
            res,
            callers,
            cancels,
            flags,
            flag_actor,
        } = src;
        self.now = *now;
        self.cells = *cells;
        self.res = *res;
        self.callers.copy_from(callers);
        self.cancels = *cancels;
        self.flags = *flags;
        self.flag_actor = *flag_actor;
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Move {
    /// Resolve an open value of an actor: slot, alternative index.
    Choose(u8, u8, u8),
    Step(u8),
    Cancel(u8),
}

fn t32(t: u64) -> u32 {
    t.min(u64::from(NONE - 1)) as u32
}

impl InitLockModel {
    /// The moves after the urgent ones: cancellations "at any await point" within the
    /// scenario's budget, and the arrivals an actor may still decline (`optional`: there are
    /// some).
    fn optional_moves(&self, s: &World, optional: bool, out: &mut Vec<Move>) {
        // Optional cancellations "at any await point" (inside the actor's window).
        if u64::from(s.cancels) < self.spec.cancels_max {
            let mut windowed = self.windowed;
            while windowed != 0 {
                let a = windowed.trailing_zeros() as usize;
                windowed &= windowed - 1;
                if self.may_cancel(s, a, &s.callers[a]) && !out.contains(&Move::Cancel(a as u8)) {
                    out.push(Move::Cancel(a as u8));
                }
            }
        }
        if optional {
            for (a, c) in s.callers.iter().enumerate() {
                if c.pc == Point::NotArrived
                    && c.wake <= s.now
                    && arrival::optional(
                        usize::from(c.choices[S_ARRIVE]),
                        &self.spec.actors[a].arrive,
                    )
                {
                    out.push(Move::Step(a as u8));
                }
            }
        }
    }

    fn cell_of(&self, a: usize, level: usize) -> usize {
        let copy = if self.spec.duplicated && !self.version.global_singletons() {
            usize::from(self.spec.actors[a].copy)
        } else {
            0
        };
        level * 2 + copy
    }

    fn outcome(&self, s: &World, a: usize, level: usize) -> Outcome {
        self.spec.actors[a].outcome[level][usize::from(s.callers[a].choices[S_OUT + level])]
    }

    fn outcome_opt(&self, s: &World, a: usize, level: usize) -> Option<Outcome> {
        let i = s.callers[a].choices[S_OUT + level];
        (i != UNRESOLVED).then(|| self.spec.actors[a].outcome[level][usize::from(i)])
    }

    fn init_ms(&self, s: &World, a: usize, level: usize) -> u64 {
        self.spec.actors[a].init_ms[level][usize::from(s.callers[a].choices[S_INIT + level])]
    }

    fn name(&self, a: usize) -> &str {
        &self.spec.actors[a].name
    }

    fn alternatives(&self, a: usize, slot: usize) -> usize {
        let sp = &self.spec.actors[a];
        match slot {
            S_ARRIVE => sp.arrive.len(),
            1 | 2 => sp.init_ms[slot - S_INIT].len(),
            _ => sp.outcome[slot - S_OUT].len(),
        }
    }

    /// Whether the actor is cancelled in the microtask window after its claim.
    fn splits_microtasks(&self, a: usize) -> bool {
        self.spec.actors[a].cancel_before_anchor
    }

    /// The request enters `initWithLock` on `level`: `waitStart = now`, then the first pass.
    fn enter<N: Narrator>(&self, s: &mut World, a: usize, level: usize, n: &mut N) {
        let now = s.now;
        let c = &mut s.callers[a];
        c.level = level as u8;
        c.frames[level] = Frame {
            wait_start: now,
            waiting: true,
            ..Frame::default()
        };
        if self.levels == 2 {
            n.say(format_args!(
                "calls the {} lock",
                self.conf[level].kind.name()
            ));
        }
        self.pass(s, a, level, n);
    }

    /// One synchronous pass of the wait loop: cache check, claim check (and claim), timeout
    /// check, then `await sleep(poll)`.
    fn pass<N: Narrator>(&self, s: &mut World, a: usize, level: usize, n: &mut N) {
        let ci = self.cell_of(a, level);
        let conf = self.conf[level];
        let now = s.now;
        let cell = s.cells[ci];
        if cell.cache != 0 {
            n.say(format_args!(
                "cache holds claim #{}'s value: returns it",
                cell.cache
            ));
            self.finish_call(s, a, level, true, n);
            return;
        }
        if self.version == Version::V0Flag && conf.kind == LockKind::Db {
            self.pass_v0_db(s, a, level, n);
            return;
        }
        let free = cell.owner == NONE;
        let stale = match conf.deadline {
            Some(d) if !free => u64::from(now - cell.owner) > d,
            _ => false,
        };
        if free || stale {
            self.take_lock(s, a, level, free, n);
            return;
        }
        // L-A2 is owed for a claim a waiter found when it started (protocols.md §1.4 R3:
        // claimTime <= waitStart, so max wait > deadline lets it reclaim); a claim made after
        // the waiter started may outlive the waiter's own max wait by design.
        let r = &s.res[level];
        let found = s.callers[a].frames[level].wait_start >= r.cur_at;
        if self.ghost_waited && r.claims > 0 && !r.cur_released && found {
            s.res[level].waited = true;
        }
        if self.times_out(s, a, level, n) {
            return;
        }
        let c = &mut s.callers[a];
        if N::ON {
            match conf.deadline {
                Some(d) => n.say(format_args!(
                    "claim from {} is {} ms old ≤ {}: sleeps {}",
                    cell.owner,
                    now - cell.owner,
                    d,
                    conf.poll
                )),
                None => n.say(format_args!("flag set: sleeps {}", conf.poll)),
            }
            n.routine();
        }
        c.pc = Point::Sleeping;
        c.wake = t32(u64::from(now) + conf.poll);
    }

    /// V0's db lock: `return dbInitPromise` when another request set it, else set it and own
    /// the init.
    fn pass_v0_db<N: Narrator>(&self, s: &mut World, a: usize, level: usize, n: &mut N) {
        let ci = self.cell_of(a, level);
        let shared = s.cells[ci].shared;
        if shared != 0 {
            let owner = shared - 1;
            n.say(format_args!(
                "dbInitPromise set by {}: awaits it (another request's promise)",
                self.name(owner as usize)
            ));
            if self.ghost_waited {
                s.res[level].waited = true;
            }
            let c = &mut s.callers[a];
            c.pc = Point::AwaitShared(owner);
            c.wake = NONE;
            return;
        }
        s.cells[ci].shared = a as u8 + 1;
        n.say(format_args!("dbInitPromise unset: sets it"));
        self.claim(s, a, level, n);
    }

    /// The lock is free or stale: claim it (the canary first awaits, splitting the check
    /// from the claim).
    fn take_lock<N: Narrator>(&self, s: &mut World, a: usize, level: usize, free: bool, n: &mut N) {
        let now = s.now;
        if N::ON {
            let owner = s.cells[self.cell_of(a, level)].owner;
            if free {
                n.say(format_args!("cache empty; lock free"));
            } else {
                n.say(format_args!(
                    "cache empty; claim from {} is {} ms old > deadline {}",
                    owner,
                    now - owner,
                    self.conf[level].deadline.unwrap_or(0)
                ));
            }
        }
        if self.version.split_claim() {
            n.say(format_args!("awaits before claiming (canary)"));
            let c = &mut s.callers[a];
            c.pc = Point::SplitClaim;
            c.wake = now;
            return;
        }
        self.claim(s, a, level, n);
    }

    /// The wait loop's timeout check (V1+): true when the caller throws `timed out`.
    fn times_out<N: Narrator>(&self, s: &mut World, a: usize, level: usize, n: &mut N) -> bool {
        let now = s.now;
        let waited = now - s.callers[a].frames[level].wait_start;
        let Some(mw) = self.conf[level].max_wait else {
            return false;
        };
        if u64::from(waited) <= mw {
            return false;
        }
        n.say(format_args!(
            "waited {waited} ms > max wait {mw}: throws `timed out`"
        ));
        // The caller's error, judged on its own terms (S-timeout is strict): it must come
        // after more than max wait, whatever the check above compares.
        if u64::from(now - s.callers[a].frames[level].wait_start) <= mw
            && self.checks.contains(&Inv::TimeoutNotEarly)
            && s.flags & F_EARLY_TIMEOUT == 0
        {
            s.flags |= F_EARLY_TIMEOUT;
            s.flag_actor = a as u8;
        }
        self.finish_call(s, a, level, false, n);
        true
    }

    /// Claims the lock: `generation += 1; myClaim = generation; ownerStartedAt = now`.
    fn claim<N: Narrator>(&self, s: &mut World, a: usize, level: usize, n: &mut N) {
        let ci = self.cell_of(a, level);
        let now = s.now;
        let cell = &mut s.cells[ci];
        cell.generation = cell.generation.wrapping_add(1);
        cell.owner = now;
        let my_gen = cell.generation;
        // Ghost: is this claim legitimate (the previous one released by its owner or older
        // than the deadline)? Only a legitimate claim supersedes the running owners.
        let legit = self.supersede(s, a, level);
        let r = &mut s.res[level];
        r.claims = r.claims.saturating_add(1);
        if self.ghost_legit || self.ghost_waited {
            r.cur_actor = a as u8;
            r.cur_at = now;
            r.cur_released = false;
            r.waited = false;
        }
        let ghost = r.claims;
        let f = &mut s.callers[a].frames[level];
        f.my_gen = my_gen;
        f.ghost = ghost;
        f.waiting = false;
        f.in_init = true;
        f.superseded = false;
        if self.ghost_init_start {
            f.init_start = now;
        }
        if N::ON {
            self.say_claim(level, my_gen, now, legit, n);
        }
        if self.version.deferred_init() && self.splits_microtasks(a) {
            let c = &mut s.callers[a];
            c.pc = Point::InitPending;
            c.wake = now;
            return;
        }
        self.start_init(s, a, level, n);
    }

    /// Ghost: whether a claim by `a` now is legitimate (the previous one was released by its
    /// owner, or is older than the deadline and on the same lock); only a legitimate claim
    /// supersedes the running
    /// owners, and superseding a live owner younger than `legit_init_ms` is premature.
    fn supersede(&self, s: &mut World, a: usize, level: usize) -> bool {
        let now = s.now;
        let conf = self.conf[level];
        let r = s.res[level];
        // A claim on another module copy's lock (a duplicated module) takes over nothing: it
        // is legitimate only once the latest claim was released, never by that claim's age.
        let same_lock = self.cell_of(usize::from(r.cur_actor), level) == self.cell_of(a, level);
        let legit = !self.ghost_legit
            || r.claims == 0
            || r.cur_released
            || same_lock && conf.deadline.is_some_and(|d| u64::from(now - r.cur_at) > d);
        if !(legit && self.ghost_legit) {
            return legit;
        }
        for b in 0..s.callers.len() {
            let f = s.callers[b].frames[level];
            if b == a || !f.in_init || f.superseded {
                continue;
            }
            if s.callers[b].life.runs()
                && conf
                    .legit_init
                    .is_some_and(|l| u64::from(now - f.init_start) <= l)
                && self.checks.contains(&Inv::NoPrematureReclaim)
                && s.flags & F_PREMATURE == 0
            {
                s.flags |= F_PREMATURE;
                s.flag_actor = b as u8;
            }
            s.callers[b].frames[level].superseded = true;
        }
        legit
    }

    /// The claim in each version's own terms: V0 sets its flag (or db promise), V1/V2 record
    /// `ownerStartedAt`, V3+ also take a claim generation.
    fn say_claim<N: Narrator>(&self, level: usize, my_gen: u16, now: u32, legit: bool, n: &mut N) {
        let young = if legit {
            ""
        } else {
            " (while the previous claim is live and young)"
        };
        if !self.version.reclaims() {
            if self.conf[level].kind == LockKind::Runtime {
                n.say(format_args!("claims: sets the runtime flag{young}"));
            } else {
                n.say(format_args!("claims{young}"));
            }
        } else if self.version.gated_release() {
            n.say(format_args!(
                "claims: generation {my_gen}, ownerStartedAt = {now}{young}"
            ));
        } else {
            n.say(format_args!("claims: ownerStartedAt = {now}{young}"));
        }
    }

    /// Init starts (V0-V2: called synchronously in the claim step; V3+: one microtask later).
    fn start_init<N: Narrator>(&self, s: &mut World, a: usize, level: usize, n: &mut N) {
        if self.needed_at_start(s, a, level).is_some() {
            let c = &mut s.callers[a];
            c.pc = Point::StartPending;
            c.wake = s.now;
            return;
        }
        let r = &mut s.res[level];
        r.inits = r.inits.saturating_add(1);
        let k = r.inits;
        let out = self.outcome_opt(s, a, level);
        if out == Some(Outcome::ThrowSync) && !self.version.deferred_init() {
            // `const initPromise = init()` throws before `anchor` is reached; `finally` runs.
            n.say(format_args!("init #{k} throws synchronously"));
            if self.anchor
                && self.checks.contains(&Inv::AnchorAttached)
                && s.flags & F_ANCHOR_SKIPPED == 0
            {
                n.say(format_args!("anchor never called"));
                s.flags |= F_ANCHOR_SKIPPED;
                s.flag_actor = a as u8;
            }
            self.settle(s, a, level, false, n);
            return;
        }
        let ms = match out {
            Some(Outcome::Hang) | Some(Outcome::ThrowSync) => 0,
            _ => self.init_ms(s, a, level),
        };
        if N::ON {
            match out {
                Some(Outcome::Hang) => n.say(format_args!("init #{k} starts (never settles)")),
                Some(Outcome::ThrowSync) => n.say(format_args!(
                    "init #{k} starts and throws: the promise rejects"
                )),
                _ if self.levels == 2 && level == 0 => {
                    n.say(format_args!("init #{k} starts ({ms} ms, then the db lock)"))
                }
                None => n.say(format_args!("init #{k} starts ({ms} ms)")),
                Some(o) => n.say(format_args!("init #{k} starts ({ms} ms, {})", o.name())),
            }
        }
        let now = u64::from(s.now);
        let c = &mut s.callers[a];
        c.pc = Point::InInit;
        c.wake = match out {
            Some(Outcome::Hang) => NONE,
            _ => t32(now + ms),
        };
        if self.anchor {
            if self.splits_microtasks(a) {
                // `after()` registers `waitUntil` one microtask from now.
                c.pc = Point::AnchorPending;
                c.wake = s.now;
                return;
            }
            c.anchored = true;
            n.say(format_args!("anchored (waitUntil)"));
        }
    }

    /// The open value (slot) this caller's init needs before it can start, if any. Durations
    /// are chosen when an init starts and outcomes when it settles, so callers that never own
    /// the lock never branch on them; an outcome that changes how init starts (hang,
    /// throw-sync) or a nested runtime init's outcome is chosen at the start.
    fn needed_at_start(&self, s: &World, a: usize, level: usize) -> Option<usize> {
        let c = &s.callers[a];
        let (out_slot, dur_slot) = (S_OUT + level, S_INIT + level);
        if c.choices[out_slot] == UNRESOLVED && self.early_outcome[a][level] {
            return Some(out_slot);
        }
        let out = self.outcome_opt(s, a, level);
        let timed = !matches!(out, Some(Outcome::Hang) | Some(Outcome::ThrowSync));
        (timed && c.choices[dur_slot] == UNRESOLVED).then_some(dur_slot)
    }

    /// The init's I/O is over (or its nested call returned): publish, `finally`, return.
    fn init_done<N: Narrator>(&self, s: &mut World, a: usize, level: usize, n: &mut N) {
        let out = self.outcome(s, a, level);
        if self.levels == 2 && level == 0 {
            if out == Outcome::ThrowSync {
                // V3+'s `Promise.resolve().then(init)`: the runtime init's body throws before
                // its first await, so getDatabase is never called.
                self.settle(s, a, level, false, n);
                return;
            }
            // The runtime init's own work is done; it now calls getDatabase.
            self.enter(s, a, 1, n);
            return;
        }
        if out == Outcome::Cancelled {
            self.tear_down(s, a, n);
            return;
        }
        self.settle(s, a, level, out == Outcome::Ok, n);
    }

    /// `outcome = "cancelled"`: the request is torn down when its init would settle: no
    /// publish, no `finally` (the claim stays).
    fn tear_down<N: Narrator>(&self, s: &mut World, a: usize, n: &mut N) {
        n.say(format_args!(
            "request torn down mid-init: no publish, no finally"
        ));
        let c = &mut s.callers[a];
        c.cancelled = true;
        c.life = Lifecycle::Dropped;
        c.wake = NONE;
        for f in &mut c.frames {
            f.waiting = false;
        }
    }

    /// Init settled with `ok`: publish (inside init), then the owner's `finally`, then return
    /// to the caller.
    fn settle<N: Narrator>(&self, s: &mut World, a: usize, level: usize, ok: bool, n: &mut N) {
        let ci = self.cell_of(a, level);
        if ok {
            self.publish(s, a, level, n);
        } else {
            n.say(format_args!("init fails"));
        }
        self.release(s, a, level, n);
        if self.version == Version::V0Flag && self.conf[level].kind == LockKind::Db {
            self.settle_shared(s, a, ci, ok, n);
        }
        s.callers[a].frames[level].in_init = false;
        self.finish_call(s, a, level, ok, n);
    }

    /// Inside init, on success: publish (V4: only while isCurrentClaim()).
    fn publish<N: Narrator>(&self, s: &mut World, a: usize, level: usize, n: &mut N) {
        let ci = self.cell_of(a, level);
        let f = s.callers[a].frames[level];
        let runtime = self.conf[level].kind == LockKind::Runtime;
        if runtime && self.ghost_crons {
            // The runtime init started its cron scheduler.
            s.res[level].crons = s.res[level].crons.saturating_add(1);
        }
        {
            if self.version.gated_publish() && s.cells[ci].generation != f.my_gen {
                if runtime && self.ghost_crons {
                    s.res[level].crons -= 1;
                }
                n.say(format_args!(
                    "init ok but isCurrentClaim() is false (generation {} ≠ {}): does not publish{}",
                    s.cells[ci].generation,
                    f.my_gen,
                    if runtime { ", stops its cron" } else { "" }
                ));
            } else {
                let r = s.res[level];
                if (f.ghost != r.claims || f.ghost < r.published)
                    && self.checks.contains(&Inv::GatedPublish)
                    && s.flags & F_BAD_PUBLISH == 0
                {
                    s.flags |= F_BAD_PUBLISH;
                    s.flag_actor = a as u8;
                }
                if self.ghost_published {
                    s.res[level].published = f.ghost;
                }
                s.cells[ci].cache = f.ghost;
                n.say(format_args!(
                    "init ok: publishes claim #{}'s value",
                    f.ghost
                ));
            }
        }
    }

    /// The owner's `finally`: `ownerStartedAt = null` (V3+: only if generation === myClaim).
    fn release<N: Narrator>(&self, s: &mut World, a: usize, level: usize, n: &mut N) {
        let ci = self.cell_of(a, level);
        let f = s.callers[a].frames[level];
        let cell = &mut s.cells[ci];
        if self.version.gated_release() && cell.generation != f.my_gen {
            n.say(format_args!(
                "finally: generation {} ≠ myClaim {}: leaves the lock alone",
                cell.generation, f.my_gen
            ));
        } else {
            if N::ON {
                if cell.generation != f.my_gen {
                    n.say(format_args!(
                        "finally: ownerStartedAt = null (clears a claim that is not its own)"
                    ));
                } else {
                    n.say(format_args!("finally: ownerStartedAt = null"));
                }
            }
            cell.owner = NONE;
            if f.ghost == s.res[level].claims && (self.ghost_legit || self.ghost_waited) {
                s.res[level].cur_released = true;
            }
        }
    }

    /// V0's db promise settles: everyone awaiting this request's promise gets its result.
    fn settle_shared<N: Narrator>(&self, s: &mut World, a: usize, ci: usize, ok: bool, n: &mut N) {
        {
            s.cells[ci].shared = 0;
            // Everyone awaiting this request's promise gets its result.
            for b in 0..s.callers.len() {
                if s.callers[b].pc == Point::AwaitShared(a as u8) && s.callers[b].life.runs() {
                    let lb = usize::from(s.callers[b].level);
                    if !ok && self.checks.contains(&Inv::OwnError) && s.flags & F_FOREIGN_ERROR == 0
                    {
                        s.flags |= F_FOREIGN_ERROR;
                        s.flag_actor = b as u8;
                    }
                    n.say(format_args!(
                        "{} {}",
                        self.name(b),
                        if ok {
                            "gets the shared value"
                        } else {
                            "gets the rejection"
                        }
                    ));
                    self.finish_call(s, b, lb, ok, n);
                }
            }
        }
    }

    /// `initWithLock` on `level` returns (a value) or throws.
    fn finish_call<N: Narrator>(&self, s: &mut World, a: usize, level: usize, ok: bool, n: &mut N) {
        let c = &mut s.callers[a];
        c.frames[level].waiting = false;
        c.frames[level].in_init = false;
        if level == 1 {
            // Back in the runtime init, which now ends (getDatabase threw or returned).
            c.level = 0;
            let out0 = self.outcome(s, a, 0);
            if !ok {
                n.say(format_args!("getDatabase threw: the runtime init fails"));
            }
            if out0 == Outcome::Cancelled {
                // The runtime init would settle now: the request is torn down instead.
                self.tear_down(s, a, n);
                return;
            }
            self.settle(s, a, 0, ok && out0 == Outcome::Ok, n);
            return;
        }
        c.pc = Point::Done;
        c.wake = NONE;
        n.say(format_args!(
            "{}",
            if ok {
                "returns a value"
            } else {
                "returns an error"
            }
        ));
    }

    fn cancel<N: Narrator>(&self, s: &mut World, a: usize, n: &mut N) {
        let c = &mut s.callers[a];
        c.cancelled = true;
        c.life = Lifecycle::cancelled(c.anchored);
        if c.life == Lifecycle::Detached {
            n.say(format_args!(
                "request cancelled; its anchored init keeps running"
            ));
            return;
        }
        n.say(format_args!(
            "request cancelled: continuation dropped, finally never runs"
        ));
        c.wake = NONE;
        for f in &mut c.frames {
            f.waiting = false;
        }
    }

    /// The actor may be cancelled now by an optional move: it has a window containing now and
    /// sits at an await point.
    fn may_cancel(&self, s: &World, a: usize, c: &Caller) -> bool {
        let Some((from, to)) = self.spec.actors[a].cancel_window else {
            return false;
        };
        let now = u64::from(s.now);
        !c.cancelled
            && c.life == Lifecycle::Live
            && (from..=to).contains(&now)
            && !matches!(c.pc, Point::NotArrived | Point::Done | Point::StartPending)
    }

    #[inline]
    fn cancel_due(&self, s: &World, a: usize) -> bool {
        if !self.scripted_cancels {
            return false;
        }
        let c = &s.callers[a];
        if c.cancelled || matches!(c.pc, Point::NotArrived | Point::Done) {
            return false;
        }
        let sp = &self.spec.actors[a];
        if sp.cancel_at.is_some_and(|t| u64::from(s.now) >= t) {
            return true;
        }
        sp.cancel_before_anchor
            && match c.pc {
                Point::AnchorPending => true,
                // Without an anchor, "before the anchor lands" is simply: once init started.
                Point::InInit => !self.anchor && c.frames[usize::from(c.level)].in_init,
                _ => false,
            }
    }

    /// When a bounded-wait or abandoned-reclaim bound passes, the clock must stop there so the
    /// violation is reported at that instant. A bound already passed is no instant to stop at:
    /// a path that goes on after a later-listed property broke (to decide the earlier-listed
    /// ones) would otherwise stop the clock there for good, and never reach the instant at which
    /// an earlier-listed bound breaks.
    fn watchdogs(&self, s: &World) -> u32 {
        let mut t = NONE;
        let mut stop_at = |at: u32| {
            if at > s.now {
                t = t.min(at);
            }
        };
        for c in s.callers.iter() {
            if !self.watch_bounded_wait || !c.life.runs() {
                continue;
            }
            for (l, f) in c.frames.iter().enumerate().take(self.levels) {
                if f.waiting {
                    stop_at(t32(u64::from(f.wait_start) + self.wait_bound(c, l) + 1));
                }
            }
        }
        if self.watch_abandoned {
            for l in 0..self.levels {
                if let Some(at) = self.abandon_deadline(s, l) {
                    stop_at(t32(at + 1));
                }
            }
        }
        t
    }

    /// The instant by which an abandoned claim on `level` must have been reclaimed, if the
    /// current claim is abandoned and someone is waiting for it. V0 has no deadline and never
    /// reclaims: its bound is the platform's wall limit, past which no waiter can still be
    /// waiting for a recovery (protocols.md §1.5 V0-a violates L-A2).
    fn abandon_deadline(&self, s: &World, l: usize) -> Option<u64> {
        let r = s.res[l];
        let d = self.conf[l].deadline.unwrap_or(self.spec.wall);
        if r.claims == 0 || r.cur_released || !r.waited {
            return None;
        }
        let owner = &s.callers[usize::from(r.cur_actor)];
        if owner.life.runs() || !owner.frames[l].in_init {
            return None;
        }
        Some(u64::from(r.cur_at) + d + self.conf[l].poll)
    }

    /// Callers inside an unsuperseded init on level `l`. Summed without short-circuits: it
    /// runs on every explored world, and a branch per caller and field mispredicts.
    fn active(&self, s: &World, l: usize) -> usize {
        s.callers
            .iter()
            .map(|c| {
                let f = &c.frames[l];
                usize::from(c.life.runs() & f.in_init & !f.superseded)
            })
            .sum()
    }

    /// Whether the world satisfies `inv`. Not inlined into [`Model::violated`]'s loop over the
    /// scenario's invariants: inlined, the compiler hoisted the loads and comparisons of
    /// *every* invariant out of the loop, so each judgement (one per explored world) paid for
    /// all seven. The three that scan callers or levels are functions of their own, so this
    /// one stays small (few registers to save per call).
    #[inline(never)]
    fn check(&self, s: &World, inv: Inv) -> bool {
        match inv {
            Inv::MaxInits => {
                (0..self.levels).all(|l| u64::from(s.res[l].inits) <= self.spec.max_inits)
            }
            Inv::MaxActive => self.max_active_holds(s),
            Inv::GatedPublish => s.flags & F_BAD_PUBLISH == 0,
            Inv::BoundedWait => self.bounded_wait_holds(s),
            Inv::NoPrematureReclaim => s.flags & F_PREMATURE == 0,
            Inv::AbandonedReclaimed => self.abandoned_reclaimed_holds(s),
            Inv::AnchorAttached => s.flags & F_ANCHOR_SKIPPED == 0,
            Inv::TimeoutNotEarly => s.flags & F_EARLY_TIMEOUT == 0,
            Inv::OneCron => (0..self.levels).all(|l| s.res[l].crons <= 1),
            Inv::OwnError => s.flags & F_FOREIGN_ERROR == 0,
        }
    }

    #[inline(never)]
    fn max_active_holds(&self, s: &World) -> bool {
        (0..self.levels).all(|l| self.active(s, l) <= 1)
    }

    #[inline(never)]
    fn bounded_wait_holds(&self, s: &World) -> bool {
        s.callers.iter().all(|c| {
            !c.life.runs()
                || c.frames.iter().enumerate().take(self.levels).all(|(l, f)| {
                    !f.waiting
                        || u64::from(s.now) <= u64::from(f.wait_start) + self.wait_bound(c, l)
                })
        })
    }

    /// How long caller `c` may wait on level `l`: max wait + poll (V0: the wall limit), and no
    /// time at all while it awaits another request's promise (V0's `return dbInitPromise`):
    /// L-A1's "no waiter ever awaits another request's promise", broken once the clock moves
    /// while it does (the promise's I/O belongs to the other request, and workerd flags it).
    fn wait_bound(&self, c: &Caller, l: usize) -> u64 {
        if matches!(c.pc, Point::AwaitShared(_)) && l == usize::from(c.level) {
            0
        } else {
            self.conf[l].wait_bound
        }
    }

    #[inline(never)]
    fn abandoned_reclaimed_holds(&self, s: &World) -> bool {
        (0..self.levels).all(|l| {
            self.abandon_deadline(s, l)
                .is_none_or(|t| u64::from(s.now) <= t)
        })
    }

    fn lvl_name(&self, l: usize) -> &'static str {
        if self.levels == 2 {
            self.conf[l].kind.name()
        } else {
            "the"
        }
    }
}

impl InitLockModel {
    /// The fingerprint with `K` words per caller (3 with one lock level, 5 with two).
    ///
    /// The world is an exact encoding in two parts: the shared words (clock, the cells of the
    /// lock levels there are, ghost state) and one salted hash per caller block
    /// ([`InitLockModel::block_hash`], cached in the world between moves: see [`Callers`]).
    /// Caller blocks are combined by a wrapping sum of their salted hashes.
    ///
    /// **Symmetry reduction without sorting.** Under symmetry a caller's salt is its class of
    /// interchangeable actors (identical specifications), not its position, so the sum is the
    /// same for every order of a class's members: it hashes the *multiset* of each class's
    /// blocks. The shared state's references to actors (the flag raiser, each singleton's
    /// latest claimant) are hashed as the salted block hash of the caller they name rather than
    /// as an index, so the shared words name no position either. The encoding is exact up to
    /// permuting a class: two worlds get one fingerprint (up to a hash collision) exactly when
    /// a permutation of interchangeable actors maps one to the other. Worlds that name actors
    /// elsewhere (V0's shared db promise, and the callers awaiting it) are hashed by position,
    /// from fresh positionally salted block hashes: still sound, just not reduced. Without
    /// symmetry every salt is positional.
    ///
    /// A collision of the sum (two different multisets with equal sums of 64-bit block hashes,
    /// each with a full avalanche finish) is as likely as any fingerprint collision, about
    /// 2⁻⁶⁴ per pair (see `lockstep_sim::fingerprint`), and costs the same: a skipped world,
    /// never an invented violation. Nothing here sorts or allocates (its scratch arrays live on
    /// the stack): it runs once per successor of every explored world. `FRESH`: every cached hash is known to be valid
    /// (just refreshed), so none is tested for staleness.
    fn fingerprint_k<const K: usize, const FRESH: bool>(&self, s: &World) -> u64 {
        let n = s.callers.len();
        let salts = self.block_salts();
        let reposition = self.symmetric
            && self.version == Version::V0Flag
            && (s.cells.iter().any(|c| c.shared != 0)
                || s.callers
                    .iter()
                    .any(|c| matches!(c.pc, Point::AwaitShared(_))));
        let mut block = [0u64; MAX_ACTORS];
        let mut sum = 0u64;
        for (a, c) in s.callers.iter().enumerate() {
            let h = if reposition {
                self.block_hash::<K>(SALTS[a], c)
            } else {
                let h = if FRESH {
                    s.callers.hash(a)
                } else {
                    s.callers
                        .cached_hash(a)
                        .unwrap_or_else(|| self.block_hash::<K>(salts[a], c))
                };
                debug_assert_eq!(
                    h,
                    self.block_hash::<K>(salts[a], c),
                    "stale hash of caller {a}"
                );
                h
            };
            block[a] = h;
            sum = sum.wrapping_add(h);
        }
        // An actor reference: the salted block hash of the caller it names, or the value itself.
        let named = |actor: u8| -> u64 {
            let i = usize::from(actor);
            if i < n {
                block[i]
            } else {
                u64::from(actor)
            }
        };
        // K says how many lock levels there are (see `fingerprint`), so every length below is a
        // constant of each instantiation and the hash is unrolled. A level has two cells (one
        // per module copy); the cells of absent levels never change and are left out.
        let levels = if K == 5 { 2 } else { 1 };
        let mut w = [0u64; 2 + 4 + 2 * 2 + 1];
        w[0] = u64::from(s.now) | u64::from(s.flags) << 32 | u64::from(s.cancels) << 40;
        w[1] = named(s.flag_actor);
        for (x, c) in w[2..2 + 2 * levels].iter_mut().zip(&s.cells) {
            *x = u64::from(c.owner)
                | u64::from(c.generation) << 32
                | u64::from(c.cache) << 48
                | u64::from(c.shared) << 56;
        }
        let base = 2 + 2 * levels;
        for (l, r) in s.res[..levels].iter().enumerate() {
            w[base + 2 * l] = u64::from(r.cur_at)
                | u64::from(r.claims) << 32
                | u64::from(r.inits) << 40
                | u64::from(r.published) << 48
                | u64::from(r.cur_released) << 56
                | u64::from(r.waited) << 57;
            w[base + 2 * l + 1] = named(r.cur_actor);
        }
        let len = base + 2 * levels;
        w[len] = sum;
        lockstep_sim::fingerprint::fingerprint_words(&w[..=len])
    }

    /// The salt of each caller's block hash: its class of interchangeable actors under symmetry
    /// reduction, its position otherwise.
    #[inline]
    fn block_salts(&self) -> &[u64; MAX_ACTORS] {
        if self.symmetric {
            &self.class_salts
        } else {
            &SALTS
        }
    }

    /// The hash of one caller's block under `salt`, cached in the world between moves
    /// ([`Callers`]) with the salt of [`InitLockModel::block_salts`]. It leaves out the
    /// references the shared state makes to the caller, which
    /// [`InitLockModel::fingerprint_k`] mixes in.
    #[inline]
    fn block_hash<const K: usize>(&self, salt: u64, c: &Caller) -> u64 {
        lockstep_sim::fingerprint::fingerprint_block(salt, &self.pack_caller::<K>(c))
    }

    /// Refreshes the cached hashes of the callers a move changed.
    #[inline]
    fn refresh_hashes<const K: usize>(&self, s: &mut World) {
        let salts = self.block_salts();
        let mut stale = s.callers.stale();
        while stale != 0 {
            let a = stale.trailing_zeros() as usize;
            stale &= stale - 1;
            let h = self.block_hash::<K>(salts[a], &s.callers[a]);
            s.callers.set_hash(a, h);
        }
    }

    /// One caller as `K` words: choices, program counter and flags; wake time and frame 0;
    /// frame 1 when there are two lock levels.
    #[inline]
    fn pack_caller<const K: usize>(&self, c: &Caller) -> [u64; K] {
        let (pc, arg) = Self::pc_code(c.pc);
        let mut w0 = 0u64;
        for (i, &x) in c.choices.iter().enumerate() {
            w0 |= u64::from(x) << (8 * i);
        }
        w0 |= pc << 40
            | arg << 44
            | u64::from(c.level) << 52
            | (c.life as u64) << 53
            | u64::from(c.anchored) << 56
            | u64::from(c.cancelled) << 57;
        let (f0a, f0b) = Self::pack_frame(&c.frames[0]);
        let mut out = [0u64; K];
        out[0] = w0;
        out[1] = u64::from(c.wake) | f0a << 32;
        out[2] = f0a >> 32 | f0b << 32;
        if K == 5 {
            let (f1a, f1b) = Self::pack_frame(&c.frames[1]);
            out[3] = f1a;
            out[4] = f1b;
        }
        out
    }
}

/// Salts of the caller block hashes: index an actor's position, or under symmetry reduction
/// its class's first member (so a class's members share one salt).
pub(super) const SALTS: [u64; MAX_ACTORS] = [
    0x243f_6a88_85a3_08d3,
    0x1319_8a2e_0370_7344,
    0xa409_3822_299f_31d0,
    0x082e_fa98_ec4e_6c89,
    0x4528_21e6_38d0_1377,
    0xbe54_66cf_34e9_0c6c,
    0xc0ac_29b7_c97c_50dd,
    0x3f84_d5b5_b547_0917,
];

impl InitLockModel {
    fn pc_code(pc: Point) -> (u64, u64) {
        match pc {
            Point::NotArrived => (0, 0),
            Point::Sleeping => (1, 0),
            Point::SplitClaim => (2, 0),
            Point::InitPending => (3, 0),
            Point::StartPending => (4, 0),
            Point::AnchorPending => (5, 0),
            Point::InInit => (6, 0),
            Point::AwaitShared(x) => (7, u64::from(x)),
            Point::Done => (8, 0),
        }
    }

    fn pack_frame(f: &Frame) -> (u64, u64) {
        let bits = u64::from(f.waiting) | u64::from(f.in_init) << 1 | u64::from(f.superseded) << 2;
        (
            u64::from(f.wait_start) | u64::from(f.init_start) << 32,
            u64::from(f.my_gen) | u64::from(f.ghost) << 16 | bits << 24,
        )
    }
}

impl Model for InitLockModel {
    type State = World;
    type Move = Move;

    fn initial(&self) -> World {
        let mut callers = Callers::default();
        for (a, sp) in self.spec.actors.iter().enumerate() {
            let mut choices = [0u8; SLOTS];
            for (slot, c) in choices.iter_mut().enumerate().skip(1) {
                if self.alternatives(a, slot) > 1 {
                    *c = UNRESOLVED;
                }
            }
            // Arrival: `choices[S_ARRIVE]` is the next candidate instant (sorted ascending).
            callers.push(Caller {
                choices,
                pc: Point::NotArrived,
                level: 0,
                life: Lifecycle::Live,
                wake: t32(sp.arrive[0]),
                anchored: false,
                cancelled: false,
                frames: [Frame::default(); 2],
            });
        }
        World {
            now: 0,
            cells: [Cell {
                owner: NONE,
                generation: 0,
                cache: 0,
                shared: 0,
            }; 4],
            res: [Res::default(); 2],
            callers,
            flags: 0,
            flag_actor: 0,
            cancels: 0,
        }
    }

    fn now(&self, s: &World) -> Time {
        u64::from(s.now)
    }

    fn moves(&self, s: &World, out: &mut Vec<Move>) -> usize {
        // A choice inside a step (an init's open duration) is made before anything else.
        if let Some(a) = s.callers.iter().position(|c| c.pc == Point::StartPending) {
            let level = usize::from(s.callers[a].level);
            let slot = self.needed_at_start(s, a, level).expect("pending choice");
            for i in 0..self.alternatives(a, slot) {
                out.push(Move::Choose(a as u8, slot as u8, i as u8));
            }
            return out.len();
        }
        let mut optional = false;
        for (a, c) in s.callers.iter().enumerate() {
            let cancel = self.scripted_cancels && self.cancel_due(s, a);
            if cancel {
                out.push(Move::Cancel(a as u8));
            }
            // A cancellation in the after() window lands before the registration microtask.
            let held = cancel && c.pc == Point::AnchorPending;
            if held || !c.life.runs() || c.wake > s.now {
                continue;
            }
            match c.pc {
                Point::Done | Point::AwaitShared(_) | Point::StartPending => {}
                Point::NotArrived => {
                    // Not the last candidate instant: arriving now is optional.
                    let (next, arrive) = (
                        usize::from(c.choices[S_ARRIVE]),
                        &self.spec.actors[a].arrive,
                    );
                    if arrival::optional(next, arrive) {
                        optional = true;
                    } else {
                        out.push(Move::Step(a as u8));
                    }
                }
                Point::InInit
                    if c.choices[S_OUT + usize::from(c.level)] == UNRESOLVED
                        && !(self.levels == 2 && c.level == 0) =>
                {
                    // The settle step, with its outcome chosen now.
                    let slot = S_OUT + usize::from(c.level);
                    for i in 0..self.alternatives(a, slot) {
                        out.push(Move::Choose(a as u8, slot as u8, i as u8));
                    }
                }
                _ => out.push(Move::Step(a as u8)),
            }
        }
        let urgent = out.len();
        self.optional_moves(s, optional, out);
        urgent
    }

    fn next_wake(&self, s: &World) -> Option<Time> {
        let mut t = self.watchdogs(s);
        for (a, c) in s.callers.iter().enumerate() {
            if c.life.runs() && c.wake > s.now {
                t = t.min(c.wake);
            } else if c.pc == Point::NotArrived {
                // Declining to arrive now: the next candidate instant is the next event.
                if let Some(next) = arrival::after(
                    usize::from(c.choices[S_ARRIVE]),
                    &self.spec.actors[a].arrive,
                ) {
                    t = t.min(t32(next));
                }
            }
            if self.windowed & 1 << a != 0
                && !c.cancelled
                && u64::from(s.cancels) < self.spec.cancels_max
            {
                // A cancellation window opening is an instant worth stopping at.
                if let Some((from, _)) = self.spec.actors[a].cancel_window {
                    let from = t32(from);
                    if from > s.now {
                        t = t.min(from);
                    }
                }
            }
            if self.scripted_cancels
                && !c.cancelled
                && let Some(at) = self.spec.actors[a].cancel_at
            {
                let at = t32(at);
                if at > s.now {
                    t = t.min(at);
                }
            }
        }
        (t != NONE).then_some(u64::from(t))
    }

    fn fingerprint(&self, s: &World) -> u64 {
        if self.levels == 2 {
            self.fingerprint_k::<5, false>(s)
        } else {
            self.fingerprint_k::<3, false>(s)
        }
    }

    fn fingerprint_successor(&self, s: &mut World) -> u64 {
        if self.levels == 2 {
            self.refresh_hashes::<5>(s);
            self.fingerprint_k::<5, true>(s)
        } else {
            self.refresh_hashes::<3>(s);
            self.fingerprint_k::<3, true>(s)
        }
    }

    fn advance(&self, s: &mut World, to: Time) {
        s.now = t32(to);
        // Callers that let an optional arrival instant pass move on to their next candidate.
        // Indexed, not `iter_mut`: only the callers changed here lose their cached block hash.
        for a in 0..s.callers.len() {
            let c = &s.callers[a];
            if c.pc == Point::NotArrived && c.wake < s.now {
                let arrive = &self.spec.actors[a].arrive;
                let i = arrival::skip(usize::from(c.choices[S_ARRIVE]), arrive, to);
                let c = &mut s.callers[a];
                c.choices[S_ARRIVE] = i as u8;
                c.wake = t32(arrive[i]);
            }
        }
    }

    fn apply<N: Narrator>(&self, s: &mut World, m: Move, n: &mut N) {
        match m {
            Move::Choose(a, slot, i) => {
                let (a, slot) = (usize::from(a), usize::from(slot));
                s.callers[a].choices[slot] = i;
                let level = usize::from(s.callers[a].level);
                if N::ON {
                    let sp = &self.spec.actors[a];
                    let i = usize::from(i);
                    match slot {
                        1 | 2 => n.say(format_args!(
                            "chooses init_ms = {}",
                            sp.init_ms[slot - S_INIT][i]
                        )),
                        _ => n.say(format_args!(
                            "chooses outcome = {}",
                            sp.outcome[slot - S_OUT][i].name()
                        )),
                    }
                }
                match s.callers[a].pc {
                    Point::StartPending => self.start_init(s, a, level, n),
                    Point::InInit => self.init_done(s, a, level, n),
                    pc => unreachable!("choice in {pc:?}"),
                }
            }
            Move::Cancel(a) => {
                if self.cancel_due(s, usize::from(a)) {
                    self.faults.fire(usize::from(a));
                } else {
                    s.cancels += 1;
                }
                self.cancel(s, usize::from(a), n)
            }
            Move::Step(a) => {
                let a = usize::from(a);
                let c = s.callers[a];
                let level = usize::from(c.level);
                match c.pc {
                    Point::NotArrived => self.enter(s, a, 0, n),
                    Point::Sleeping => self.pass(s, a, level, n),
                    Point::SplitClaim => self.claim(s, a, level, n),
                    Point::InitPending => self.start_init(s, a, level, n),
                    Point::AnchorPending => {
                        s.callers[a].anchored = true;
                        s.callers[a].pc = Point::InInit;
                        let out = self.outcome_opt(s, a, level);
                        s.callers[a].wake = match out {
                            Some(Outcome::Hang) => NONE,
                            Some(Outcome::ThrowSync) => s.now,
                            _ => t32(u64::from(s.now) + self.init_ms(s, a, level)),
                        };
                        n.say(format_args!("waitUntil registered: anchored"));
                    }
                    Point::InInit => self.init_done(s, a, level, n),
                    Point::AwaitShared(_) | Point::Done | Point::StartPending => {
                        unreachable!("not runnable")
                    }
                }
            }
        }
    }

    /// From each move's footprint: see `model/independence.rs`.
    fn independent(&self, s: &World, a: Move, b: Move) -> bool {
        self.commute(s, a, b)
    }

    fn is_fault(&self, m: Move) -> bool {
        matches!(m, Move::Cancel(_))
    }

    fn actor_of(&self, m: Move) -> u8 {
        match m {
            Move::Choose(a, _, _) | Move::Step(a) | Move::Cancel(a) => a,
        }
    }

    fn properties(&self) -> &[Property] {
        &self.props
    }

    fn unfired_faults(&self) -> Vec<String> {
        self.faults.unfired()
    }

    fn parameters(&self) -> Vec<(&'static str, String)> {
        let ms = |v: Option<u64>| v.map_or("none".to_string(), |v| v.to_string());
        let mut out = Vec::new();
        for (l, c) in self.conf.iter().enumerate().take(self.levels) {
            let keys = if l == 0 {
                [
                    "deadline_ms",
                    "poll_ms",
                    "max_wait_ms",
                    "wait_bound_ms",
                    "legit_init_ms",
                ]
            } else {
                [
                    "inner_deadline_ms",
                    "inner_poll_ms",
                    "inner_max_wait_ms",
                    "inner_wait_bound_ms",
                    "inner_legit_init_ms",
                ]
            };
            out.push((keys[0], ms(c.deadline)));
            out.push((keys[1], c.poll.to_string()));
            out.push((keys[2], ms(c.max_wait)));
            out.push((keys[3], c.wait_bound.to_string()));
            out.push((keys[4], ms(c.legit_init)));
        }
        out.push(("max_inits", self.spec.max_inits.to_string()));
        out.push(("anchor", self.anchor.to_string()));
        out
    }

    fn violated(&self, s: &World, limit: PropIdx, _at_end: bool) -> Option<PropIdx> {
        self.checks
            .iter()
            .take(usize::from(limit))
            .position(|&inv| !self.check(s, inv))
            .map(|i| i as PropIdx)
    }

    fn move_label(&self, s: &World, m: Move) -> String {
        match m {
            Move::Choose(a, _, _) if s.callers[usize::from(a)].pc == Point::InInit => {
                "init settles".to_string()
            }
            Move::Choose(a, slot, i) => {
                let (a, slot, i) = (usize::from(a), usize::from(slot), usize::from(i));
                let sp = &self.spec.actors[a];
                match slot {
                    1 => format!("choose init_ms = {}", sp.init_ms[0][i]),
                    2 => format!("choose inner_init_ms = {}", sp.init_ms[1][i]),
                    3 => format!("choose outcome = {}", sp.outcome[0][i].name()),
                    _ => format!("choose inner_outcome = {}", sp.outcome[1][i].name()),
                }
            }
            Move::Cancel(_) => "cancel".to_string(),
            Move::Step(a) => match s.callers[usize::from(a)].pc {
                Point::NotArrived => "arrive",
                Point::Sleeping => "poll",
                Point::SplitClaim => "claim",
                Point::InitPending => "µtask: init",
                Point::AnchorPending => "µtask: waitUntil",
                Point::InInit => "init settles",
                Point::AwaitShared(_) | Point::Done | Point::StartPending => "?",
            }
            .to_string(),
        }
    }

    fn actor_name(&self, a: u8) -> String {
        self.name(usize::from(a)).to_string()
    }

    /// The callers running init, at any level, superseded or not: a superseded owner's init
    /// still runs beside its successor's (the state line's `active` leaves it out, as
    /// `max-active` does), and a reader sees both bars.
    fn in_section(&self, s: &World) -> u64 {
        let mut mask = 0;
        for (a, c) in s.callers.iter().enumerate() {
            let running = (0..self.levels).any(|l| c.life.runs() && c.frames[l].in_init);
            if running && a < 64 {
                mask |= 1 << a;
            }
        }
        mask
    }

    fn render_state(&self, s: &World) -> String {
        let mut out = String::new();
        for l in 0..self.levels {
            if self.levels == 2 {
                out.push_str(self.conf[l].kind.name());
                out.push_str(": ");
            }
            let copies = if self.spec.duplicated && !self.version.global_singletons() {
                2
            } else {
                1
            };
            for copy in 0..copies {
                let cell = s.cells[l * 2 + copy];
                if copies == 2 {
                    out.push_str(&format!("copy{} ", copy + 1));
                }
                let owner = if cell.owner == NONE {
                    "null".to_string()
                } else {
                    cell.owner.to_string()
                };
                if self.version == Version::V0Flag {
                    out.push_str(&format!("flag={} ", cell.owner != NONE));
                } else if self.version.gated_release() {
                    out.push_str(&format!("owner={owner} gen={} ", cell.generation));
                } else {
                    // V1/V2 have no generation: show only what the protocol has.
                    out.push_str(&format!("owner={owner} "));
                }
                out.push_str(&format!(
                    "cache={} ",
                    if cell.cache == 0 {
                        "-".to_string()
                    } else {
                        format!("#{}", cell.cache)
                    }
                ));
            }
            let active: Vec<&str> = s
                .callers
                .iter()
                .enumerate()
                .filter(|(_, c)| c.life.runs() && c.frames[l].in_init && !c.frames[l].superseded)
                .map(|(a, _)| self.name(a))
                .collect();
            out.push_str(&format!(
                "inits={} active=[{}]",
                s.res[l].inits,
                active.join(",")
            ));
            if l + 1 < self.levels {
                out.push_str(" | ");
            }
        }
        out
    }

    fn explain(&self, s: &World, p: PropIdx) -> String {
        let inv = self.checks[usize::from(p)];
        let flagged = self.name(usize::from(s.flag_actor));
        match inv {
            Inv::MaxInits => {
                let l = (0..self.levels)
                    .find(|&l| u64::from(s.res[l].inits) > self.spec.max_inits)
                    .unwrap_or(0);
                format!(
                    "{} init calls started on {} lock; the scenario allows at most {}",
                    s.res[l].inits,
                    self.lvl_name(l),
                    self.spec.max_inits
                )
            }
            Inv::MaxActive => self.explain_max_active(s),
            Inv::GatedPublish => {
                format!("{flagged} published from a claim that is no longer the current one")
            }
            Inv::BoundedWait => self.explain_bounded_wait(s),
            Inv::NoPrematureReclaim => {
                format!("{flagged}'s live init was reclaimed within its legitimate duration")
            }
            Inv::AbandonedReclaimed => {
                let l = (0..self.levels)
                    .find(|&l| {
                        self.abandon_deadline(s, l)
                            .is_some_and(|t| u64::from(s.now) > t)
                    })
                    .unwrap_or(0);
                let r = s.res[l];
                let bound = if self.conf[l].deadline.is_some() {
                    "claim + deadline + poll"
                } else {
                    "claim + the platform's wall limit + poll: this version never reclaims"
                };
                format!(
                    "the claim {} abandoned at {} was not reclaimed by {} ({bound})",
                    self.name(usize::from(r.cur_actor)),
                    r.cur_at,
                    self.abandon_deadline(s, l).unwrap_or(0)
                )
            }
            Inv::AnchorAttached => {
                format!("{flagged}'s init threw before its promise was handed to the anchor")
            }
            Inv::TimeoutNotEarly => {
                format!("{flagged} gave up before more than its max wait had passed")
            }
            Inv::OwnError => {
                format!("{flagged} got another request's init failure: the shared promise it awaited rejected")
            }
            Inv::OneCron => {
                let l = (0..self.levels).find(|&l| s.res[l].crons > 1).unwrap_or(0);
                format!(
                    "{} runtimes run their cron scheduler: a runtime whose value another publish replaced never stopped its cron",
                    s.res[l].crons
                )
            }
        }
    }
}

impl InitLockModel {
    /// `max-active`: who runs init at once, on which lock.
    fn explain_max_active(&self, s: &World) -> String {
        let l = (0..self.levels)
            .find(|&l| self.active(s, l) > 1)
            .unwrap_or(0);
        let who: Vec<&str> = s
            .callers
            .iter()
            .enumerate()
            .filter(|(_, c)| c.life.runs() && c.frames[l].in_init && !c.frames[l].superseded)
            .map(|(a, _)| self.name(a))
            .collect();
        format!(
            "{} run init at once on {} lock under claims no legitimate reclaim superseded",
            who.join(" and "),
            self.lvl_name(l)
        )
    }

    /// `bounded-wait`: the last caller (in actor order) waiting beyond its bound.
    fn explain_bounded_wait(&self, s: &World) -> String {
        let mut who = String::new();
        for (a, c) in s.callers.iter().enumerate() {
            for (l, f) in c.frames.iter().enumerate().take(self.levels) {
                let bound = self.wait_bound(c, l);
                if c.life.runs() && f.waiting && u64::from(s.now) > u64::from(f.wait_start) + bound
                {
                    who = match c.pc {
                        Point::AwaitShared(owner) if bound == 0 => format!(
                            "{} awaits {}'s dbInitPromise, another request's promise (since {} ms): no waiter may await another request's promise",
                            self.name(a),
                            self.name(usize::from(owner)),
                            f.wait_start
                        ),
                        _ => format!(
                            "{} has waited {} ms (since {}), beyond its bound of {} ms",
                            self.name(a),
                            s.now - f.wait_start,
                            f.wait_start,
                            bound
                        ),
                    };
                }
            }
        }
        who
    }
}

/// The init lock as a guest of another model (`lockstep_sim::compose`): the lock and cache of
/// one module instance, whose callers arrive when the host's requests call `initWithLock`.
/// Nothing here runs for a stand-alone init-lock scenario.
impl lockstep_sim::compose::Guest for InitLockModel {
    /// Every caller waits for admission: paused, with no timer (their scenario arrival
    /// instants are ignored).
    fn dormant(&self) -> World {
        let mut w = self.initial();
        for c in w.callers.iter_mut() {
            c.life = Lifecycle::Paused;
            c.wake = NONE;
        }
        w
    }

    /// The caller enters `initWithLock` now: its arrival step runs at once.
    fn admit<N: Narrator>(&self, s: &mut World, a: u8, n: &mut N) {
        let c = &mut s.callers[usize::from(a)];
        debug_assert!(c.pc == Point::NotArrived && c.life == Lifecycle::Paused);
        c.life = Lifecycle::Live;
        c.wake = s.now;
        self.apply(s, Move::Step(a), n);
    }

    fn cancel<N: Narrator>(&self, s: &mut World, a: u8, n: &mut N) {
        let a = usize::from(a);
        if !s.callers[a].cancelled && s.callers[a].pc != Point::Done {
            self.cancel(s, a, n);
        }
    }

    fn kill(&self, s: &mut World, a: u8) {
        let c = &mut s.callers[usize::from(a)];
        if c.pc == Point::Done {
            return;
        }
        c.life = Lifecycle::Killed;
        c.cancelled = true;
        c.wake = NONE;
        for f in &mut c.frames {
            f.waiting = false;
        }
    }

    fn progress(&self, s: &World, a: u8) -> lockstep_sim::compose::Progress {
        use lockstep_sim::compose::Progress;
        let c = &s.callers[usize::from(a)];
        if c.pc == Point::Done {
            Progress::Returned
        } else if matches!(c.life, Lifecycle::Dropped | Lifecycle::Killed) {
            Progress::Gone
        } else {
            Progress::Running
        }
    }
}
