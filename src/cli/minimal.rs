//! `run`'s scenario reduction (see [`crate::reduce`]): which actors and faults a violation
//! does not need, found by exploring the scenario without each of them.

use crate::engine::Outcome;
use crate::models;
use crate::protocol::LoadedScenario;
use crate::reduce::{candidates, reduce, without, Removal};
use crate::scenario::{Plan, Source};

/// Searches larger than this are not reduced: every candidate is one more search of about
/// the same size (a state count, not a clock, so the choice is the same on every machine).
pub const STATES_MAX: u64 = 1_000_000;

/// The scenario without what the violation does not need.
pub struct Reduced {
    /// Every removal, those the command line gave first.
    pub removals: Vec<Removal>,
    pub source: Source,
    pub loaded: Box<dyn LoadedScenario>,
    pub outcome: Outcome,
}

/// The file's text, with the command line's removals (`original` is the file as written).
pub fn apply(original: &Source, removals: &[Removal]) -> Result<Source, String> {
    Ok(Source::new(
        original.path.clone(),
        without(&original.text, removals)?,
    ))
}

/// The protocol's fault names, as `lockstep list` shows them.
fn fault_names(protocol: &str) -> Vec<&'static str> {
    let faults = match models::find(protocol) {
        Some(p) => p.faults(),
        None => crate::lang::binding::FAULTS,
    };
    faults.iter().map(|f| f.name).collect()
}

/// The steps of an outcome's counterexample, as a reader sees them.
fn timeline(o: &Outcome) -> Vec<lockstep_sim::Row> {
    o.counterexample
        .as_ref()
        .map(|c| c.rows.clone())
        .unwrap_or_default()
}

/// Explores the scenario without each actor and fault key in turn (one greedy pass) and
/// keeps each removal after which `variant` still gives `outcome`'s verdict. `None` when the
/// violation needs everything the file has.
pub fn reduce_scenario(
    original: &Source,
    given: &[Removal],
    interpreted: bool,
    variant: &str,
    plan: &Plan,
    outcome: &Outcome,
) -> Option<Reduced> {
    let applied = apply(original, given).ok()?;
    let whole = models::load_as(&applied, interpreted).ok()?;
    let protocol = whole.meta().protocol;
    let pids = whole.process_ids();
    let load = |removals: &[Removal]| -> Option<(Source, Box<dyn LoadedScenario>)> {
        let all: Vec<Removal> = given.iter().chain(removals).cloned().collect();
        let src = apply(original, &all).ok()?;
        let loaded = models::load_as(&src, interpreted).ok()?;
        // Removing an actor moves the default pids of those after it: not a reduction.
        let renumbered = loaded.process_ids().iter().any(|p| !pids.contains(p));
        (!renumbered).then_some((src, loaded))
    };
    let explore = |removals: &[Removal]| -> Option<(Source, Box<dyn LoadedScenario>, Outcome)> {
        let (src, loaded) = load(removals)?;
        let o = loaded.explore_plan(variant, plan).ok()?;
        (o.verdict == outcome.verdict).then_some((src, loaded, o))
    };
    // The timeline so far: a removal that leaves it as it was (a key set to its default, a
    // fault that never fired) changes nothing a reader sees, and is not reported.
    let shown = std::cell::RefCell::new(timeline(outcome));
    let kept = reduce(
        &candidates(&applied.text, &fault_names(protocol)),
        |removals| match explore(removals) {
            Some((_, _, o)) if timeline(&o) != *shown.borrow() => {
                *shown.borrow_mut() = timeline(&o);
                true
            }
            _ => false,
        },
    );
    if kept.is_empty() {
        return None;
    }
    let (source, loaded, outcome) = explore(&kept)?;
    Some(Reduced {
        removals: given.iter().cloned().chain(kept).collect(),
        source,
        loaded,
        outcome,
    })
}
