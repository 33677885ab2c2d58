//! Which moves of the init-lock model commute: the footprint of each move, read off `apply`.
//!
//! Two moves of different actors are independent when neither writes anything the other
//! reads or writes, and neither can disable the other. The world's parts, and who touches
//! them:
//!
//! - **A caller's own record** (`callers[a]`): written by its own moves. Another caller's move
//!   touches it only in a claim (a legitimate claim reads every running owner's `life` and
//!   frame and marks it superseded) and in V0's db settle (it finishes everyone awaiting its
//!   promise).
//! - **Lock state**: the cells (`owner`, `gen`, `cache`, `shared`), the ghost records (`res`:
//!   claim counter, latest claimant, `cur_released`, `waited`, inits, published) and the event
//!   `flags`/`flag_actor`. Claims, init starts and settles that publish or release write it, in
//!   an order that stays visible (ghost claim numbers, `owner` stamps, `flag_actor`), so a
//!   writer conflicts with every reader and writer. Polls only read it, apart from
//!   `waited = true`: the same value whoever writes it, read by no poll, and written otherwise
//!   only by claims (which conflict with polls anyway), so polls commute with each other.
//! - **`cancels`**, the `[faults] cancels_max` budget: an optional cancellation spends it and
//!   can disable every other optional cancellation, so two of them are dependent. A due
//!   cancellation does not spend it.
//! - **Enabledness**: a caller's moves depend on its own record, the clock and the budget,
//!   except that a caller in `StartPending` (an init waiting for its open value) disables
//!   everyone else's moves. Only claims and init starts lead there.
//!
//! The footprints that follow from `apply`:
//!
//! | move | own | lock state | others / enabledness | budget |
//! |---|---|---|---|---|
//! | `waitUntil` microtask, due cancellation | yes | - | - | - |
//! | optional cancellation | yes | - | - | yes |
//! | pass that sleeps, awaits V0's db promise, or (outer level) returns the cache or times out; the canary's decision to claim | yes | read | - | - |
//! | inner-level pass that returns or times out (it settles the outer init) | yes | write | - | - |
//! | settle (a step, or the outcome choice that settles) that neither publishes nor releases: a superseded owner in V3+ that fails or is gated | yes | read (`gen`) | - | - |
//! | settle torn down mid-init (`cancelled` outcome) | yes | - | - | - |
//! | any other settle | yes | write | - | - |
//! | claim (a pass that claims, the canary's claim step, V0's db promise set), init start, a value choice that starts an init, the runtime init's step to the db lock, V0's db settle | yes | write | yes | - |
//!
//! The typical independent pairs: callers polling a held lock at the same instant, a
//! cancellation or a `waitUntil` microtask beside anything but a claim, superseded owners
//! settling beside each other and beside polls.

use lockstep_sim::Model;

use super::{InitLockModel, LockKind, Move, Outcome, Point, Version, World, S_OUT};

/// What a move touches besides its own caller's record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Foot {
    /// Reads lock state (cells, ghost records, flags).
    reads: bool,
    /// Writes lock state.
    writes: bool,
    /// Reads or writes other callers' records, or may disable their moves.
    others: bool,
    /// Spends the optional-cancellation budget.
    budget: bool,
}

const OWN: Foot = Foot {
    reads: false,
    writes: false,
    others: false,
    budget: false,
};
const READ: Foot = Foot { reads: true, ..OWN };
const WRITE: Foot = Foot {
    reads: true,
    writes: true,
    ..OWN
};
const ALL: Foot = Foot {
    others: true,
    ..WRITE
};
const BUDGET: Foot = Foot {
    budget: true,
    ..OWN
};

impl InitLockModel {
    /// Whether `a` and `b` (both enabled in `s`) commute; see the module docs.
    pub(super) fn commute(&self, s: &World, a: Move, b: Move) -> bool {
        if self.actor_of(a) == self.actor_of(b) {
            return false;
        }
        let (x, y) = (self.foot(s, a), self.foot(s, b));
        let clash = x.others
            || y.others
            || (x.budget && y.budget)
            || (x.writes && (y.reads || y.writes))
            || (y.writes && (x.reads || x.writes));
        !clash
    }

    fn foot(&self, s: &World, m: Move) -> Foot {
        match m {
            Move::Cancel(a) if self.cancel_due(s, usize::from(a)) => OWN,
            Move::Cancel(_) => BUDGET,
            Move::Choose(a, slot, i) => {
                let a = usize::from(a);
                let c = &s.callers[a];
                let level = usize::from(c.level);
                match c.pc {
                    // The outcome chosen as the init settles.
                    Point::InInit if usize::from(slot) == S_OUT + level => {
                        let out = self.spec.actors[a].outcome[level][usize::from(i)];
                        self.settle_foot(s, a, level, out)
                    }
                    // A value the init needs to start: the start follows.
                    _ => ALL,
                }
            }
            Move::Step(a) => {
                let a = usize::from(a);
                let c = &s.callers[a];
                let level = usize::from(c.level);
                match c.pc {
                    Point::AnchorPending => OWN,
                    // Arrival: `enter` writes the own frame (waiting since now), then a pass.
                    Point::NotArrived => self.pass_foot(s, a, 0),
                    Point::Sleeping => self.pass_foot(s, a, level),
                    // The runtime init's own work is done: it calls the db lock.
                    Point::InInit if self.levels == 2 && level == 0 => ALL,
                    Point::InInit => self.settle_foot(s, a, level, self.outcome(s, a, level)),
                    _ => ALL,
                }
            }
        }
    }

    /// One pass of the wait loop on `level`, following `pass`'s branches.
    fn pass_foot(&self, s: &World, a: usize, level: usize) -> Foot {
        let cell = s.cells[self.cell_of(a, level)];
        let conf = self.conf[level];
        // Returning or throwing on the inner level ends the outer init: a settle.
        let ends = if level == 0 { READ } else { WRITE };
        if cell.cache != 0 {
            return ends;
        }
        if self.version == Version::V0Flag && conf.kind == LockKind::Db {
            // Awaiting another request's promise; setting it is a claim.
            return if cell.shared != 0 { READ } else { ALL };
        }
        let free = cell.owner == super::NONE;
        let stale = match conf.deadline {
            Some(d) if !free => u64::from(s.now - cell.owner) > d,
            _ => false,
        };
        if free || stale {
            // The canary's split claim only decides, then awaits; a claim proper is shared.
            return if self.version.split_claim() {
                READ
            } else {
                ALL
            };
        }
        let waited = s.now - s.callers[a].frames[level].wait_start;
        if level == 1 && conf.max_wait.is_some_and(|mw| u64::from(waited) > mw) {
            return ends;
        }
        READ
    }

    /// `init_done` on `level` (one level, or the inner one) with outcome `out`: `settle`'s
    /// branches.
    fn settle_foot(&self, s: &World, a: usize, level: usize, out: Outcome) -> Foot {
        if out == Outcome::Cancelled {
            return OWN;
        }
        if self.version == Version::V0Flag && self.conf[level].kind == LockKind::Db {
            return ALL;
        }
        let mine = s.callers[a].frames[level].my_gen;
        let current = s.cells[self.cell_of(a, level)].generation == mine;
        let publishes = out == Outcome::Ok && (current || !self.version.gated_publish());
        let releases = current || !self.version.gated_release();
        // The inner level's return settles the outer init too.
        if publishes || releases || level == 1 {
            WRITE
        } else {
            READ
        }
    }
}
