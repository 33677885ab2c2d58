//! Exhaustive (within a preemption bound) checks of the init lock under loom.
//!
//! Run: `cargo test --features loom --test loom -- loom_locks::`
//!
//! Each test explores every interleaving of one [scenario](lockstep::locks::scenarios) (three
//! threads on a virtual clock) with a bounded number of preemptions. The bounds are set here, not
//! read from `LOOM_MAX_PREEMPTIONS`, and the duration/permutation caps loom reads from the
//! environment are cleared, so a passing run always means "all schedules within the bound".
//!
//! Preemption bounds (a preemption is a switch away from a thread that could have gone on;
//! switching when a thread blocks on the mutex, joins or finishes is free):
//!
//! - [`COUNTEREXAMPLE_BOUND`] = 2 is what the historical counterexamples need, and the tests
//!   below show it is the least: the V1-d clobber race needs two preemptions (the reclaimer cuts
//!   into the slow owner after the owner's sleep, then the slow owner cuts back into the
//!   reclaimer's init so that its ungated release lands before the reclaimer publishes; the
//!   third caller then gets the processor for free when the slow owner blocks joining the
//!   others) and is not found with one; the V3-a
//!   publication clobber needs one and is not found with none.
//! - [`PROOF_BOUND`] = 5 is what the final-design proofs use: every schedule with at most five
//!   preemptions, 110k–150k executions and under 10 s per scenario in release on this 2-core
//!   machine. Each further preemption multiplies the work by about 6–7 (bound 6: ~45 s and
//!   ~790k executions for one scenario run alone), so 5 is the deepest that keeps every test
//!   well under a minute when the test binary runs them two at a time.
#![cfg(feature = "loom")]

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Mutex, PoisonError};

use lockstep::locks::scenarios::{self, Scenario};
use lockstep::locks::{Coverage, Invariant, LoomPlatform, Version};

/// The least bound that finds every historical counterexample (see the module docs).
const COUNTEREXAMPLE_BOUND: usize = 2;

/// The bound the final-design proofs explore to (see the module docs).
const PROOF_BOUND: usize = 5;

/// How many executions one `explore` ran, and what they exercised (summed).
#[derive(Debug, Default)]
struct Exploration {
    executions: u64,
    coverage: Coverage,
}

fn builder(bound: usize) -> loom::model::Builder {
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound = Some(bound);
    builder.max_duration = None;
    builder.max_permutations = None;
    builder.checkpoint_file = None;
    builder
}

/// Explore every schedule of `scenario` with at most `bound` preemptions; panics on the first
/// violation.
fn explore(
    bound: usize,
    scenario: Scenario,
    version: Version,
    checked: &[Invariant],
) -> Exploration {
    let checked = checked.to_vec();
    let total = Arc::new(Mutex::new(Exploration::default()));
    let sink = Arc::clone(&total);
    builder(bound).check(move || {
        let outcome = scenarios::run(&scenario, version, &checked, LoomPlatform::new());
        {
            let mut total = sink.lock().unwrap_or_else(PoisonError::into_inner);
            total.executions += 1;
            total.coverage.reclaims += outcome.coverage.reclaims;
            total.coverage.superseded_releases += outcome.coverage.superseded_releases;
            total.coverage.skipped_publications += outcome.coverage.skipped_publications;
        }
        outcome.assert_holds();
    });
    let exploration = std::mem::take(&mut *total.lock().unwrap_or_else(PoisonError::into_inner));
    println!(
        "loom: {} under {version}, bound {bound}: {} executions, {:?}",
        scenario.name, exploration.executions, exploration.coverage
    );
    exploration
}

/// Assert that loom finds a violation of `invariant` within `bound` (and only checks that one).
fn expect_violation(bound: usize, scenario: Scenario, version: Version, invariant: Invariant) {
    let found = catch_unwind(AssertUnwindSafe(|| {
        explore(bound, scenario, version, &[invariant])
    }));
    let payload = match found {
        Ok(exploration) => panic!(
            "loom explored {} executions of {} under {version} and found no {invariant} violation",
            exploration.executions, scenario.name
        ),
        Err(payload) => payload,
    };
    let message = payload
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| payload.downcast_ref::<&str>().copied())
        .unwrap_or("<non-string panic>");
    let expected = format!("invariant violated: {}:", invariant.id());
    assert!(
        message.starts_with(&expected),
        "expected `{expected}`, got: {message}"
    );
    println!(
        "loom found the expected violation in {} under {version}, bound {bound}:\n{message}",
        scenario.name
    );
}

// --- the final design holds ------------------------------------------------------------

#[test]
fn v4_slow_failing_owner_holds() {
    let run = explore(
        PROOF_BOUND,
        Scenario::slow_failing_owner(),
        Version::V4GatedPublish,
        &Invariant::ALL,
    );
    // Not vacuous: some schedules reclaimed from the live slow owner, whose release was gated.
    assert!(
        run.coverage.reclaims > 0 && run.coverage.superseded_releases > 0,
        "{run:?}"
    );
}

#[test]
fn v4_slow_owner_holds() {
    let run = explore(
        PROOF_BOUND,
        Scenario::slow_owner(),
        Version::V4GatedPublish,
        &Invariant::ALL,
    );
    // Not vacuous: some schedules refused the superseded slow owner's publication.
    assert!(
        run.coverage.reclaims > 0 && run.coverage.skipped_publications > 0,
        "{run:?}"
    );
}

#[test]
fn v4_abandoning_owner_holds() {
    let run = explore(
        PROOF_BOUND,
        Scenario::abandoning_owner(),
        Version::V4GatedPublish,
        &Invariant::ALL,
    );
    // Not vacuous: some schedules reclaimed the abandoned claim.
    assert!(run.coverage.reclaims > 0, "{run:?}");
}

// --- the historical versions fail, each on its own invariant ---------------------------

#[test]
fn v1_clobber_race_violates_max_active() {
    expect_violation(
        COUNTEREXAMPLE_BOUND,
        Scenario::slow_failing_owner(),
        Version::V1Reclaim,
        Invariant::MaxActive,
    );
}

#[test]
fn v1_clobber_race_needs_two_preemptions() {
    let run = explore(
        COUNTEREXAMPLE_BOUND - 1,
        Scenario::slow_failing_owner(),
        Version::V1Reclaim,
        &[Invariant::MaxActive],
    );
    assert!(run.executions > 1, "{run:?}");
}

#[test]
fn v3_gated_release_fixes_the_clobber_race() {
    let run = explore(
        PROOF_BOUND,
        Scenario::slow_failing_owner(),
        Version::V3GenRelease,
        &[Invariant::MaxActive],
    );
    assert!(run.coverage.superseded_releases > 0, "{run:?}");
}

#[test]
fn v3_publication_clobber_violates_gated_publish() {
    expect_violation(
        COUNTEREXAMPLE_BOUND,
        Scenario::slow_owner(),
        Version::V3GenRelease,
        Invariant::GatedPublish,
    );
}

#[test]
fn v3_publication_clobber_needs_one_preemption() {
    expect_violation(
        1,
        Scenario::slow_owner(),
        Version::V3GenRelease,
        Invariant::GatedPublish,
    );
    let run = explore(
        0,
        Scenario::slow_owner(),
        Version::V3GenRelease,
        &[Invariant::GatedPublish],
    );
    assert_eq!(run.executions, 1, "{run:?}");
}

#[test]
fn v1_publication_clobber_violates_gated_publish() {
    expect_violation(
        COUNTEREXAMPLE_BOUND,
        Scenario::slow_owner(),
        Version::V1Reclaim,
        Invariant::GatedPublish,
    );
}
