//! Sleep sets, the exhaustive search's partial-order reduction: the init-lock model's
//! independence declarations form diamonds, and the reduction changes no verdict, no state
//! count and no counterexample of any scenario, only the transitions.

use crate::support;

use lockstep_sim::Strategy;
use support::all_scenarios;

/// Worlds per (scenario, variant) the diamond check visits: every world of the small
/// scenarios, a random-first sample of the large ones.
const DIAMOND_STATES: u64 = 200_000;

#[test]
#[ignore = "long set: .ci/run runs it (cargo test --test gate -- --ignored --skip million --skip by_hand)"]
fn init_lock_independence_declarations_form_diamonds() {
    let mut pairs = 0;
    let mut checked = 0;
    for l in all_scenarios() {
        let meta = l.meta();
        if meta.protocol != "init-lock" {
            continue;
        }
        for (variant, _) in &meta.expect {
            for symmetry in [true, false] {
                let mut plan = meta.plan.clone();
                plan.config.symmetry = symmetry;
                match l.check_independence(variant, &plan, DIAMOND_STATES) {
                    Ok(n) => pairs += n,
                    Err(e) => panic!("{} [{variant}]: {e}", meta.path),
                }
                checked += 1;
            }
        }
    }
    assert!(checked >= 40, "only {checked} init-lock variants");
    // Not vacuous: the model does declare independent pairs.
    assert!(pairs > 100_000, "only {pairs} independent pairs checked");
}

/// For every scenario file and every variant it expects something of, the exhaustive search
/// with and without sleep sets, with and without symmetry reduction: same verdict, same state
/// and terminal-world counts, same counterexample (as found, before shrinking), and no more
/// transitions with sleep sets. The random probe is off, so the search itself decides.
#[test]
#[ignore = "long set: .ci/run runs it (cargo test --test gate -- --ignored --skip million --skip by_hand)"]
fn sleep_sets_change_no_verdict_and_no_state_count() {
    let mut fewer = 0;
    let mut compared = 0;
    for l in all_scenarios() {
        let meta = l.meta();
        for (variant, _) in &meta.expect {
            for symmetry in [true, false] {
                // 16 million states: too slow for the test suite without symmetry.
                if !symmetry && meta.path.ends_with("bench/reclaim-5.toml") {
                    continue;
                }
                let mut plan = meta.plan.clone();
                plan.strategy = Strategy::Exhaustive;
                plan.bridge = None;
                plan.config.symmetry = symmetry;
                plan.config.probe_runs = 0;
                plan.config.shrink_runs_max = 0;
                // Sleep sets take the place of private steps (the prewarm lock's): like for
                // like, the search without sleep sets takes none either.
                plan.config.private_steps = false;
                let mut full = plan.clone();
                full.config.sleep_sets = false;
                plan.config.sleep_sets = true;
                let (with, without) = (l.explore(variant, &plan), l.explore(variant, &full));
                let at = format!("{} [{variant}] symmetry={symmetry}", meta.path);
                assert_eq!(with.verdict, without.verdict, "{at}");
                assert_eq!(with.report.states, without.report.states, "{at}");
                assert_eq!(with.report.schedules, without.report.schedules, "{at}");
                assert_eq!(
                    with.report.counterexample, without.report.counterexample,
                    "{at}"
                );
                assert!(
                    with.report.steps <= without.report.steps,
                    "{at}: {} transitions with sleep sets, {} without",
                    with.report.steps,
                    without.report.steps
                );
                compared += 1;
                fewer += usize::from(with.report.steps < without.report.steps);
            }
        }
    }
    assert!(compared >= 100, "only {compared} comparisons");
    assert!(
        fewer >= 10,
        "sleep sets saved transitions in only {fewer} searches"
    );
}
