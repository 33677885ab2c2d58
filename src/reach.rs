//! Reachability targets (stateright's "sometimes" properties): `[check] reachable` names
//! places a scenario must take the protocol to, such as a reclaim's tombstone or a waiter's
//! timeout throw. Each is searched for on its own, as the invariant "never reached" under the
//! scenario's exploration: a violation of it is a *witness*, shrunk to the fewest moves and
//! shown as a timeline; a complete exhaustive search that finds none proves the target
//! unreachable in the bounded space. A declared target that is never reached fails the
//! result: a `holds` over a scenario that never exercises the path it was written for says
//! nothing about that path.

use crate::verdict::Verdict;
use lockstep_sim::{Model, Property, PropertyKind, Strategy};

use crate::engine;
use crate::scenario::Plan;

/// The target "some actor throws" (its error reaches the caller: a timeout, an unexpected
/// errno), beside a protocol's named points.
pub const THROWS: u8 = u8::MAX;

pub use crate::engine::{Reach, ReachStatus};

/// The property a reachability search checks: "`target` is never reached".
pub fn property(target: &'static str, summary: &'static str) -> Property {
    Property {
        id: target,
        kind: PropertyKind::Safety,
        summary,
    }
}

/// A replayed schedule of a reachability model, labelled as the witness it is (see
/// [`search`]): its violation of "never `target`" is the target reached.
pub fn as_witness(mut r: crate::engine::Replayed, target: &'static str) -> crate::engine::Replayed {
    if r.verdict == Verdict::Violated(target) {
        r.verdict = Verdict::Reached(target);
        r.explanation = None;
    }
    r
}

/// Searches `model` (built to check only "never `target`") as `plan` says.
pub fn search<M: Model>(model: &M, target: &'static str, plan: &Plan) -> Reach {
    let o = engine::explore(model, plan);
    let status = match o.counterexample {
        // A runtime error is not the target: it stays "not found", with the verdict.
        Some(mut c) if o.verdict == Verdict::Violated(target) => {
            c.verdict = Verdict::Reached(target);
            c.explanation = None;
            ReachStatus::Reached(Box::new(c))
        }
        _ if o.verdict.is_holds() && o.report.strategy == Strategy::Exhaustive => {
            ReachStatus::Never
        }
        _ if o.verdict.is_holds() => ReachStatus::NotFound(format!("{} runs", o.report.schedules)),
        _ => ReachStatus::NotFound(o.verdict.to_string()),
    };
    Reach { target, status }
}
