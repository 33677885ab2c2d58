//! Which moves of the init-lock model commute: the footprint of each move, read off `apply`.
//!
//! Two moves of different actors are independent when neither writes anything the other
//! reads or writes. The world's parts, and who touches them:
//!
//! - **A caller's own record** (`callers[a]`): written by its own moves. Other callers write it
//!   only from shared-state paths: a legitimate claim marks the running owners superseded (and
//!   reads their `life`), and V0's db settle finishes everyone awaiting its promise.
//! - **Lock cells** (`owner`, `gen`, `cache`, `shared`) and the **ghost records** (`res`:
//!   claim counter, latest claimant, inits, published) and the event **flags**: written by
//!   claims, init starts and settles. Their order is visible (ghost claim numbers, `owner`
//!   stamps, `flag_actor`), so any two such moves are dependent.
//! - **`cancels`**, the `[faults] cancels_max` budget: an optional cancellation spends it and
//!   can disable every other optional cancellation, so two of them are dependent.
//! - **Enabledness**: a caller's moves depend on its own record and the clock, except that a
//!   caller in `StartPending` (an init waiting for its open value) disables everyone else's
//!   moves. Only shared-state paths (claims, init starts, settles) lead there.
//!
//! Hence four footprints, and only `Shared` conflicts with everything:
//!
//! - `Own`: the `waitUntil` microtask of an anchored init (own `anchored`, `pc`, `wake`), and a
//!   cancellation that is due (own record only; due ones do not spend the budget).
//! - `Poll`: a pass of the wait loop that ends in the caller's own record: it finds the lock
//!   held and sleeps, or (outer level) returns the cached value or times out, or awaits V0's
//!   shared db promise, or (canary) decides to claim after an await. It reads one cell and its
//!   singleton's ghost record, and writes at most `waited = true` there: the same value
//!   whoever writes it, and no poll reads it, so polls commute with each other.
//! - `Budget`: an optional cancellation: own record plus `cancels`.
//! - `Shared`: a claim, an init start, a settle, a value choice (which goes on to start or
//!   settle an init), an inner-level pass that returns or times out (it settles the outer
//!   init), and anything else.
//!
//! The typical independent pairs are thus callers polling a held lock at the same instant, a
//! poll beside another caller's `waitUntil` microtask, and cancellations beside polls.

use lockstep_sim::Model;

use super::{InitLockModel, LockKind, Mv, Pc, Version, World};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Foot {
    Own,
    Poll,
    Budget,
    Shared,
}

impl InitLockModel {
    /// Whether `a` and `b` (both enabled in `s`) commute; see the module docs.
    pub(super) fn commute(&self, s: &World, a: Mv, b: Mv) -> bool {
        if self.actor_of(a) == self.actor_of(b) {
            return false;
        }
        match (self.foot(s, a), self.foot(s, b)) {
            (Foot::Shared, _) | (_, Foot::Shared) | (Foot::Budget, Foot::Budget) => false,
            _ => true,
        }
    }

    fn foot(&self, s: &World, m: Mv) -> Foot {
        match m {
            Mv::Choose(..) => Foot::Shared,
            Mv::Cancel(a) if self.cancel_due(s, usize::from(a)) => Foot::Own,
            Mv::Cancel(_) => Foot::Budget,
            Mv::Step(a) => {
                let a = usize::from(a);
                let c = &s.callers[a];
                match c.pc {
                    Pc::AnchorPending => Foot::Own,
                    // Arrival: `enter` writes the own frame (waiting since now), then a pass.
                    Pc::NotArrived => self.pass_foot(s, a, 0),
                    Pc::Sleeping => self.pass_foot(s, a, usize::from(c.level)),
                    _ => Foot::Shared,
                }
            }
        }
    }

    /// The footprint of one pass of the wait loop on `level`, following `pass`'s branches.
    fn pass_foot(&self, s: &World, a: usize, level: usize) -> Foot {
        let cell = s.cells[self.cell_of(a, level)];
        let conf = self.conf[level];
        // Returning or throwing on the inner level ends the outer init: a settle.
        let ends = if level == 0 { Foot::Poll } else { Foot::Shared };
        if cell.cache != 0 {
            return ends;
        }
        if self.version == Version::V0Flag && conf.kind == LockKind::Db {
            // Awaiting another request's promise; setting it is a claim.
            return if cell.shared != 0 {
                Foot::Poll
            } else {
                Foot::Shared
            };
        }
        let free = cell.owner == super::NONE;
        let stale = match conf.deadline {
            Some(d) if !free => u64::from(s.now - cell.owner) > d,
            _ => false,
        };
        if free || stale {
            // The canary's split claim only decides, then awaits; a claim proper is shared.
            return if self.version.split_claim() {
                Foot::Poll
            } else {
                Foot::Shared
            };
        }
        let waited = s.now - s.callers[a].frames[level].wait_start;
        if level == 1 && conf.max_wait.is_some_and(|mw| u64::from(waited) > mw) {
            return ends;
        }
        Foot::Poll
    }
}
