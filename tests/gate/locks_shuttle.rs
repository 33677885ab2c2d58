//! Randomised checks of the init lock under shuttle: the same scenarios as `tests/gate/loom_locks.rs`,
//! under plain `cargo test`.
//!
//! Run: `cargo test --test gate -- locks_shuttle::`
//!
//! - Schedulers: shuttle's random scheduler and PCT, both seeded with the fixed seeds below, so
//!   every run explores the same schedules. (Shuttle lets `SHUTTLE_RANDOM_SEED` override a
//!   seed; leave it unset, or these tests explore something else than what they state.)
//! - The final design must hold for [`HOLDS_ITERATIONS`] random and [`HOLDS_ITERATIONS`] PCT
//!   executions of each scenario.
//! - Each historical version's violation must be found within [`FIND_ITERATIONS`] executions by
//!   both schedulers.
//! - The round-trip tests run a violation test in a child process, take the failing schedule
//!   shuttle printed, replay it with `shuttle::replay`, and require the same violation message.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::process::Command;
use std::sync::{Arc, Mutex, PoisonError};

use lockstep::locks::scenarios::{self, Scenario};
use lockstep::locks::{Coverage, Invariant, ShuttlePlatform, Version};
use shuttle::scheduler::{PctScheduler, RandomScheduler};
use shuttle::Runner;

/// Seed of the random scheduler.
const RANDOM_SEED: u64 = 0x1405_0001;
/// Seed of the PCT scheduler.
const PCT_SEED: u64 = 0x1405_0002;
/// PCT bug depth: PCT runs the highest-priority runnable thread and reorders threads only at
/// its depth - 1 priority change points. The V1-d clobber needs two preemptions under loom
/// (free switches at blocking points included), but under strict priorities it needs three
/// change points: the slow owner must drop below the reclaimer after its sleep, the reclaimer
/// below the slow owner mid-init, and the third caller must then outrank the reclaimer. Depth 3
/// found nothing in 20 000 executions for six seeds; depth 4 finds it.
const PCT_DEPTH: usize = 4;
/// Executions per scheduler and scenario for the final design.
const HOLDS_ITERATIONS: usize = 50_000;
/// Execution budget per scheduler for finding a historical violation.
const FIND_ITERATIONS: usize = 5_000;

/// Executions run and what they exercised, summed over a search.
#[derive(Debug, Default)]
struct Tally {
    executions: usize,
    coverage: Coverage,
}

/// One execution of `scenario`: panics with `invariant violated: <id>: ...` on a violation.
fn execution(
    scenario: Scenario,
    version: Version,
    checked: &'static [Invariant],
    tally: Arc<Mutex<Tally>>,
) -> impl Fn() + Send + Sync + 'static {
    move || {
        let outcome = scenarios::run(&scenario, version, checked, ShuttlePlatform::new());
        {
            let mut tally = tally.lock().unwrap_or_else(PoisonError::into_inner);
            tally.executions += 1;
            tally.coverage.reclaims += outcome.coverage.reclaims;
            tally.coverage.superseded_releases += outcome.coverage.superseded_releases;
            tally.coverage.skipped_publications += outcome.coverage.skipped_publications;
        }
        outcome.assert_holds();
    }
}

fn take(tally: &Mutex<Tally>) -> Tally {
    std::mem::take(&mut *tally.lock().unwrap_or_else(PoisonError::into_inner))
}

#[derive(Clone, Copy, Debug)]
enum Strategy {
    Random,
    Pct,
}

/// `shuttle::check_random` / `shuttle::check_pct`, but with our fixed seeds.
fn check(strategy: Strategy, iterations: usize, f: impl Fn() + Send + Sync + 'static) {
    match strategy {
        Strategy::Random => {
            let scheduler = RandomScheduler::new_from_seed(RANDOM_SEED, iterations);
            Runner::new(scheduler, shuttle::Config::new()).run(f);
        }
        Strategy::Pct => {
            let scheduler = PctScheduler::new_from_seed(PCT_SEED, PCT_DEPTH, iterations);
            Runner::new(scheduler, shuttle::Config::new()).run(f);
        }
    }
}

/// The final design holds for `HOLDS_ITERATIONS` executions of `strategy`; returns what they
/// exercised.
fn holds(strategy: Strategy, scenario: Scenario) -> Coverage {
    let tally = Arc::new(Mutex::new(Tally::default()));
    let f = execution(
        scenario,
        Version::V4GatedPublish,
        &Invariant::ALL,
        Arc::clone(&tally),
    );
    check(strategy, HOLDS_ITERATIONS, f);
    let tally = take(&tally);
    println!(
        "shuttle {strategy:?}: {} under v4-gated-publish holds for {} executions, {:?}",
        scenario.name, tally.executions, tally.coverage
    );
    assert_eq!(tally.executions, HOLDS_ITERATIONS);
    tally.coverage
}

/// `strategy` finds a violation of `invariant` within `FIND_ITERATIONS`; the panic is passed on
/// (these tests are `should_panic`, so shuttle's printed schedule is their visible output).
fn finds(strategy: Strategy, scenario: Scenario, version: Version, invariant: Invariant) {
    let checked: &'static [Invariant] = match invariant {
        Invariant::MaxActive => &[Invariant::MaxActive],
        Invariant::GatedPublish => &[Invariant::GatedPublish],
    };
    let tally = Arc::new(Mutex::new(Tally::default()));
    let f = execution(scenario, version, checked, Arc::clone(&tally));
    let result = catch_unwind(AssertUnwindSafe(|| check(strategy, FIND_ITERATIONS, f)));
    let n = take(&tally).executions;
    match result {
        Ok(()) => panic!(
            "shuttle {strategy:?} ran {n} executions of {} under {version} without a {invariant} violation",
            scenario.name
        ),
        Err(payload) => {
            eprintln!("shuttle {strategy:?}: {} under {version}: violation found at execution {n}", scenario.name);
            std::panic::resume_unwind(payload);
        }
    }
}

// --- the final design holds ------------------------------------------------------------

#[test]
fn v4_slow_failing_owner_holds_random() {
    let seen = holds(Strategy::Random, Scenario::slow_failing_owner());
    assert!(
        seen.reclaims > 0 && seen.superseded_releases > 0,
        "vacuous: {seen:?}"
    );
}

#[test]
fn v4_slow_failing_owner_holds_pct() {
    let seen = holds(Strategy::Pct, Scenario::slow_failing_owner());
    assert!(
        seen.reclaims > 0 && seen.superseded_releases > 0,
        "vacuous: {seen:?}"
    );
}

#[test]
fn v4_slow_owner_holds_random() {
    let seen = holds(Strategy::Random, Scenario::slow_owner());
    assert!(
        seen.reclaims > 0 && seen.skipped_publications > 0,
        "vacuous: {seen:?}"
    );
}

#[test]
fn v4_slow_owner_holds_pct() {
    let seen = holds(Strategy::Pct, Scenario::slow_owner());
    assert!(
        seen.reclaims > 0 && seen.skipped_publications > 0,
        "vacuous: {seen:?}"
    );
}

#[test]
fn v4_abandoning_owner_holds_random() {
    let seen = holds(Strategy::Random, Scenario::abandoning_owner());
    assert!(seen.reclaims > 0, "vacuous: {seen:?}");
}

#[test]
fn v4_abandoning_owner_holds_pct() {
    let seen = holds(Strategy::Pct, Scenario::abandoning_owner());
    assert!(seen.reclaims > 0, "vacuous: {seen:?}");
}

// --- the historical versions fail ------------------------------------------------------

#[test]
#[should_panic(expected = "invariant violated: max-active:")]
fn v1_clobber_race_found_random() {
    finds(
        Strategy::Random,
        Scenario::slow_failing_owner(),
        Version::V1Reclaim,
        Invariant::MaxActive,
    );
}

#[test]
#[should_panic(expected = "invariant violated: max-active:")]
fn v1_clobber_race_found_pct() {
    finds(
        Strategy::Pct,
        Scenario::slow_failing_owner(),
        Version::V1Reclaim,
        Invariant::MaxActive,
    );
}

#[test]
#[should_panic(expected = "invariant violated: gated-publish:")]
fn v3_publication_clobber_found_random() {
    finds(
        Strategy::Random,
        Scenario::slow_owner(),
        Version::V3GenRelease,
        Invariant::GatedPublish,
    );
}

#[test]
#[should_panic(expected = "invariant violated: gated-publish:")]
fn v3_publication_clobber_found_pct() {
    finds(
        Strategy::Pct,
        Scenario::slow_owner(),
        Version::V3GenRelease,
        Invariant::GatedPublish,
    );
}

// --- print, parse, replay --------------------------------------------------------------

/// The text between shuttle's `failing schedule:` banner quotes.
fn printed_schedule(stderr: &str) -> Option<&str> {
    let start = stderr.find("failing schedule:\n\"\n")? + "failing schedule:\n\"\n".len();
    let len = stderr[start..].find("\n\"")?;
    Some(stderr[start..start + len].trim())
}

/// Run one test of this binary in a child process and return its stderr.
fn run_child(test: &str) -> String {
    let exe = std::env::current_exe().expect("test binary path");
    // The test's full name inside the gate binary: its module path without the crate.
    let module = module_path!().split_once("::").map_or("", |(_, m)| m);
    let test = format!("{module}::{test}");
    let output = Command::new(exe)
        .args([test.as_str(), "--exact", "--nocapture", "--test-threads=1"])
        .env_remove("SHUTTLE_RANDOM_SEED")
        .env("RUST_BACKTRACE", "0")
        .output()
        .expect("run the child test");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(
        output.status.success(),
        "child test {test} failed:\n{stderr}"
    );
    stderr
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "<non-string panic>".to_string())
}

/// Fail in a child, parse the printed schedule, replay it here, compare the violation.
fn round_trip(child_test: &str, scenario: Scenario, version: Version, invariant: Invariant) {
    let stderr = run_child(child_test);
    let schedule = printed_schedule(&stderr)
        .unwrap_or_else(|| panic!("no failing schedule in the output of {child_test}:\n{stderr}"))
        .to_string();
    println!("{child_test}: shuttle printed the failing schedule {schedule:?}");

    // Fixed seeds: a second run prints the same schedule.
    let again = run_child(child_test);
    assert_eq!(
        printed_schedule(&again),
        Some(schedule.as_str()),
        "the seeded search is not deterministic"
    );

    let checked: &'static [Invariant] = match invariant {
        Invariant::MaxActive => &[Invariant::MaxActive],
        Invariant::GatedPublish => &[Invariant::GatedPublish],
    };
    let replay = || {
        let f = execution(scenario, version, checked, Arc::default());
        let payload = catch_unwind(AssertUnwindSafe(|| shuttle::replay(f, &schedule)))
            .expect_err("replaying the printed schedule did not fail");
        panic_message(payload.as_ref())
    };
    let replayed = replay();
    assert!(
        replayed.starts_with(&format!("invariant violated: {}:", invariant.id())),
        "replay failed differently: {replayed}"
    );
    // The replay reproduces the original violation exactly, event log included.
    assert!(
        stderr.contains(&replayed),
        "replayed violation differs from the original:\n{replayed}\n---\n{stderr}"
    );
    assert_eq!(replay(), replayed, "two replays of one schedule differ");
    println!("{child_test}: replayed:\n{replayed}");
}

#[test]
fn v1_clobber_race_schedule_round_trip() {
    round_trip(
        "v1_clobber_race_found_random",
        Scenario::slow_failing_owner(),
        Version::V1Reclaim,
        Invariant::MaxActive,
    );
}

#[test]
fn v3_publication_clobber_schedule_round_trip() {
    round_trip(
        "v3_publication_clobber_found_pct",
        Scenario::slow_owner(),
        Version::V3GenRelease,
        Invariant::GatedPublish,
    );
}
