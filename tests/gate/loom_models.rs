//! The init-lock models run by loom through the bridge (`src/bridge`): loom's verdict must be
//! the kernel's exhaustive verdict, for every variant each scenario names.
//!
//! Run (release, one test at a time; about a minute after the ~4 min first build):
//!
//! ```text
//! cargo test --features loom --test loom -- --test-threads=1 --nocapture loom_models::
//! ```
//!
//! and the side-by-side benchmark alone:
//!
//! ```text
//! cargo test --features loom --test loom -- --ignored --nocapture side_by_side
//! ```
//!
//! # What loom explores, and the preemption bounds
//!
//! The bridge runs one loom thread per lane (an actor's steps, or the environment's moves on
//! it) and keeps every loom choice a choice between moves: a lane runs only while it has a move
//! enabled. So an unbounded loom search runs each *schedule* (sequence of moves) exactly once,
//! and the tests below check that number against [`count_schedules`], the kernel's search tree
//! without state deduplication. The kernel deduplicates states, loom cannot: where several
//! actors act at the same instant in interchangeable orders, loom's count is exponential in the
//! number of such instants. A **preemption** here is loom handing the next move to another lane
//! while the lane that just moved still has one enabled (a lane that has nothing left to do
//! blocks, and the switch away from it is free). Loom's bound `b` explores every schedule with
//! at most `b` preemptions (at bound 0, only the schedule loom runs first).
//!
//! - `clobber`, `slow-owner`: **no bound**. At most three requests, rarely at the same
//!   instant: loom runs every schedule (1 to 2 of them) and agrees with the kernel.
//! - `cancel`: **bound 2**. The two waiters poll on the same 50 ms grid (they arrive at 1 000
//!   and 3 000 ms), so every instant from 3 s until one of them is served is a two-way tie: for
//!   v1 some 240 tied instants, 2^240 schedules, all of which the kernel merges into 1 463
//!   states. The verdicts themselves need bound 0: V0's bounded-wait violation is in every
//!   schedule (loom's first execution has it) and the holds verdicts hold in every schedule
//!   within the bound. Bound 2 (about 30 000 executions for v1, 6 s) is the deepest that keeps
//!   this test short; bound 3 would be about ten times more.
//! - `multi-breaker`: loom allows 5 threads including the main one, which runs the first lane.
//!   The scenario has six lanes (A, A's cancellation, four waiters), so it runs as two reduced
//!   copies, written out below:
//!   - [`MULTI_BREAKER_3`]: the same timeline with **three waiters**, each lane on its own
//!     thread (A, three waiters, A's cancellation = 5 threads), **bound 1**: the waiters poll
//!     together at 5, 15, …, 105 ms, and every such instant multiplies the schedules (67 572
//!     executions at bound 1, 1.5 million at bound 2, about 7 s and 160 s per variant).
//!   - [`MULTI_BREAKER_4_LATE`]: **all four waiters**, arriving at 95 ms instead of 5 ms (so they
//!     still poll once, then all reach the deadline together at 105 ms), with A's cancellation
//!     on A's own thread ([`Layout::Merged`]: 5 threads). Merging is sound here because A's
//!     steps and its cancellation are never enabled at once; the bridge would end the
//!     execution with an error if they were, so a verdict under `Merged` also proves that.
//!     **Bound 1** (see the printed counts).
//!
//!   The original four-waiter timeline is beyond loom: 6 tied polling instants of four waiters
//!   did not finish in 20 minutes at bound 1. `side_by_side` shows the kernel and shuttle on it.
//!
//! Every violation loom finds is replayed on the kernel and must give the same verdict.

#![cfg(feature = "loom")]

use crate::support;

use std::time::{Duration, Instant};

use lockstep::bridge::{
    BridgeReport, Bridged, Layout, LoomConfig, ShuttleConfig, ShuttleScheduler, LOOM_MAX_LANES,
};
use lockstep::protocol::LoadedScenario;
use lockstep::scenario::Source;
use lockstep_sim::{Config, Report, Verdict};

/// `multi-breaker.toml` with three waiters instead of four (W4 removed), so that every lane
/// has its own thread.
const MULTI_BREAKER_3: &str = r#"
name = "multi-breaker-3"
description = "multi-breaker.toml with three waiters (loom's thread limit)"
protocol = "init-lock"

[params]
deadline_ms = 100
poll_ms = 10
max_wait_ms = 2000

[[actor]]
name = "A"
arrive_ms = 0
init_ms = 500
cancel_before_anchor = true

[[actor]]
name = "W1"
arrive_ms = 5
init_ms = 50

[[actor]]
name = "W2"
arrive_ms = 5
init_ms = 50

[[actor]]
name = "W3"
arrive_ms = 5
init_ms = 50

[check]
invariants = ["max-active", "max-inits", "bounded-wait"]

[explore]
strategy = "exhaustive"

[expect]
v1-reclaim = "holds"
v2-anchored = "holds"
v3-gen-release = "holds"
v4-gated-publish = "holds"
"#;

/// `multi-breaker.toml` with its four waiters arriving at 95 ms instead of 5 ms: they poll at
/// 95 (the claim is 95 ms old, not stale), then all reach the deadline together at 105 ms.
const MULTI_BREAKER_4_LATE: &str = r#"
name = "multi-breaker-4-late"
description = "multi-breaker.toml with the four waiters arriving at 95 ms"
protocol = "init-lock"

[params]
deadline_ms = 100
poll_ms = 10
max_wait_ms = 2000

[[actor]]
name = "A"
arrive_ms = 0
init_ms = 500
cancel_before_anchor = true

[[actor]]
name = "W1"
arrive_ms = 95
init_ms = 50

[[actor]]
name = "W2"
arrive_ms = 95
init_ms = 50

[[actor]]
name = "W3"
arrive_ms = 95
init_ms = 50

[[actor]]
name = "W4"
arrive_ms = 95
init_ms = 50

[check]
invariants = ["max-active", "max-inits", "bounded-wait"]

[explore]
strategy = "exhaustive"

[expect]
v1-reclaim = "holds"
v2-anchored = "holds"
v3-gen-release = "holds"
v4-gated-publish = "holds"
"#;

/// Loom's branch budget per execution: V0 in `cancel` polls for 100 s of virtual time, some
/// 4 000 moves of a few branches each.
const MAX_BRANCHES: usize = 200_000;

/// Most schedules `lockstep::bridge::count_schedules` enumerates before giving up.
const COUNT_CAP: u64 = 10_000_000;

/// Most schedules the side-by-side benchmark counts.
const SIDE_BY_SIDE_COUNT_CAP: u64 = 1_000_000;

/// Shuttle executions per row of the side-by-side benchmark.
const SHUTTLE_RUNS: u64 = 1_000;

use support::{bridge_plan as plan, kernel_cfg, load as load_file};

fn load_text(name: &str, text: &str) -> Box<dyn LoadedScenario> {
    let src = Source::new(
        format!("tests/gate/loom_models.rs#{name}"),
        text.to_string(),
    );
    lockstep::models::load(&src).unwrap_or_else(|e| panic!("{}", e.render()))
}

fn loom(b: &dyn Bridged, bound: Option<usize>, stop_early: bool) -> (BridgeReport, Duration) {
    let t = Instant::now();
    let r = b
        .loom(&LoomConfig {
            preemption_bound: bound,
            max_branches: MAX_BRANCHES,
            stop_early,
            count_distinct: true,
        })
        .unwrap_or_else(|e| panic!("loom: {e}"));
    (r, t.elapsed())
}

fn kernel(b: &dyn Bridged) -> (Report, Duration) {
    let t = Instant::now();
    let r = b.kernel_exhaustive(&kernel_cfg());
    (r, t.elapsed())
}

fn bound_name(bound: Option<usize>) -> String {
    bound.map_or("none".to_string(), |b| b.to_string())
}

/// Loom's verdict on every variant of `l` is the kernel's (and the file's expectation).
fn agree(l: &dyn LoadedScenario, layout: Layout, bound: Option<usize>) {
    let meta = l.meta();
    println!(
        "{:<28} {:<18} {:<24} {:>7}   {:<24} {:>10} {:>5} {:>9}",
        "scenario", "variant", "kernel", "states", "loom", "executions", "bound", "time"
    );
    for (variant, expected) in &meta.expect {
        let b = l
            .bridge(variant, layout, &plan())
            .unwrap_or_else(|e| panic!("{} [{variant}]: {e}", meta.name));
        let (k, _) = kernel(b.as_ref());
        let want = b.verdict_of(k.verdict);
        let (r, took) = loom(b.as_ref(), bound, true);
        let got = b.verdict_of(r.verdict);
        println!(
            "{:<28} {:<18} {:<24} {:>7}   {:<24} {:>10} {:>5} {:>7}ms",
            meta.name,
            variant,
            want,
            k.states,
            got,
            r.executions,
            bound_name(bound),
            took.as_millis()
        );
        assert_eq!(
            got, want,
            "{} [{variant}]: loom disagrees with the kernel",
            meta.name
        );
        assert_eq!(want, *expected, "{} [{variant}]", meta.name);
        // Every loom execution ran a different schedule.
        assert_eq!(r.distinct_schedules, Some(r.executions));
        if let Some(cx) = &r.counterexample {
            let replayed = b.replay(cx, &meta.plan).unwrap();
            assert_eq!(
                replayed.verdict, want,
                "kernel replay of loom's schedule {cx}"
            );
        }
        // Unbounded and run to the end, loom ran exactly the kernel's schedules.
        if bound.is_none() && !r.stopped_early {
            let all = b.count_schedules(&Config::default(), COUNT_CAP);
            assert_eq!(Some(r.executions), all, "{} [{variant}]", meta.name);
        }
    }
}

#[test]
fn clobber_agrees() {
    agree(
        load_file("scenarios/init-lock/clobber.toml").as_ref(),
        Layout::Separate,
        None,
    );
}

#[test]
fn slow_owner_agrees() {
    agree(
        load_file("scenarios/init-lock/slow-owner.toml").as_ref(),
        Layout::Separate,
        None,
    );
}

#[test]
fn cancel_agrees() {
    agree(
        load_file("scenarios/init-lock/cancel.toml").as_ref(),
        Layout::Separate,
        Some(2),
    );
}

#[test]
fn multi_breaker_three_waiters_agrees() {
    agree(
        load_text("multi-breaker-3", MULTI_BREAKER_3).as_ref(),
        Layout::Separate,
        Some(1),
    );
}

#[test]
fn multi_breaker_four_late_waiters_agrees() {
    agree(
        load_text("multi-breaker-4-late", MULTI_BREAKER_4_LATE).as_ref(),
        Layout::Merged,
        Some(1),
    );
}

/// Merging a cancellation into its actor's thread is refused where the two can be enabled at
/// once: V1 has no anchor, so a `cancel_before_anchor` cancellation is due as soon as init
/// starts; with an init of 0 ms, init's end is due at the same instant.
#[test]
fn merged_layout_reports_a_conflict() {
    let text = MULTI_BREAKER_3.replace("init_ms = 500", "init_ms = 0");
    let l = load_text("multi-breaker-3-instant-init", &text);
    let b = l.bridge("v1-reclaim", Layout::Merged, &plan()).unwrap();
    let e = b
        .loom(&LoomConfig {
            preemption_bound: Some(1),
            max_branches: MAX_BRANCHES,
            stop_early: true,
            count_distinct: false,
        })
        .expect_err("a conflict");
    assert!(
        e.to_string().contains("are both enabled on thread A"),
        "{e}"
    );
    // Separate lanes run it (A's cancellation gets a thread of its own: 5 threads).
    let b = l.bridge("v1-reclaim", Layout::Separate, &plan()).unwrap();
    let (r, _) = loom(b.as_ref(), Some(0), true);
    let (k, _) = kernel(b.as_ref());
    assert_eq!(r.verdict, k.verdict);
}

/// The side-by-side benchmark: the kernel's exhaustive search, loom and shuttle on the same
/// model, with states or executions, time and ratios. About 80 s, so not part of the gate:
///
/// ```text
/// cargo test --features loom --test loom -- --ignored --nocapture side_by_side
/// ```
///
/// Columns: the kernel's verdict, distinct states and the number of schedules (its search tree
/// without deduplication, what unbounded loom would have to run) and time (mean of 20 runs);
/// loom's executions, bound, time and time per execution; shuttle's random scheduler: runs,
/// distinct schedules among them, time; then loom's and shuttle's time over the kernel's.
#[test]
#[ignore = "benchmark (about 80 s): run with --ignored --nocapture"]
fn side_by_side() {
    println!(
        "\n{:<22} {:<17} {:<22} | {:>7} {:>9} {:>9} | {:>9} {:>5} {:>10} {:>9} | {:>11} {:>9} {:>9} | {:>9} {:>9}",
        "scenario",
        "variant",
        "verdict",
        "k.states",
        "k.scheds",
        "k.time",
        "loom.exec",
        "bound",
        "loom.time",
        "per exec",
        "shuttle",
        "covered",
        "sh.time",
        "loom/k",
        "shuttle/k"
    );
    let rows: Vec<(Box<dyn LoadedScenario>, Layout, Option<usize>)> = vec![
        (
            load_file("scenarios/init-lock/clobber.toml"),
            Layout::Separate,
            None,
        ),
        (
            load_file("scenarios/init-lock/multi-breaker.toml"),
            Layout::Separate,
            None,
        ),
        (
            load_text("multi-breaker-3", MULTI_BREAKER_3),
            Layout::Separate,
            Some(1),
        ),
        (
            load_text("multi-breaker-4-late", MULTI_BREAKER_4_LATE),
            Layout::Merged,
            Some(1),
        ),
    ];
    for (l, layout, bound) in &rows {
        let meta = l.meta();
        for (variant, _) in &meta.expect {
            let b = l.bridge(variant, *layout, &plan()).unwrap();
            // The kernel is fast: time it over several runs.
            let reps = 20u32;
            let t = Instant::now();
            let mut k = kernel(b.as_ref()).0;
            for _ in 1..reps {
                k = kernel(b.as_ref()).0;
            }
            let ktime = t.elapsed() / reps;
            let scheds = b.count_schedules(&Config::default(), SIDE_BY_SIDE_COUNT_CAP);
            // Each tool runs as it does for a verdict: it stops at a violation of the first
            // property, else explores everything (loom: within its bound; shuttle: its runs).
            // Loom is not run where the lanes do not fit in its threads.
            let loomed =
                (b.lanes().len() <= LOOM_MAX_LANES).then(|| loom(b.as_ref(), *bound, true));
            // Shuttle's random scheduler, and how many distinct schedules its executions hit.
            let runs = SHUTTLE_RUNS;
            let t = Instant::now();
            let sh = b
                .shuttle(&ShuttleConfig {
                    scheduler: ShuttleScheduler::Random,
                    seed: 1,
                    runs,
                    count_distinct: true,
                    stop: None,
                })
                .unwrap();
            let stime = t.elapsed();
            let us = |d: Duration| {
                let us = d.as_secs_f64() * 1e6;
                if us < 10_000.0 {
                    format!("{us:.0}µs")
                } else {
                    format!("{:.0}ms", us / 1e3)
                }
            };
            let (lexec, lbound, ltime, lper, lratio) = match &loomed {
                Some((r, d)) => (
                    r.executions.to_string(),
                    bound_name(*bound),
                    us(*d),
                    format!("{:.0}µs", d.as_secs_f64() * 1e6 / r.executions as f64),
                    format!("{:.0}x", d.as_secs_f64() / ktime.as_secs_f64()),
                ),
                None => (
                    "-".into(),
                    "-".into(),
                    "6 lanes".into(),
                    "-".into(),
                    "-".into(),
                ),
            };
            println!(
                "{:<22} {:<17} {:<22} | {:>7} {:>9} {:>9} | {:>9} {:>5} {:>10} {:>9} | {:>11} {:>9} {:>9} | {:>9} {:>9}",
                meta.name,
                variant,
                b.verdict_of(k.verdict),
                k.states,
                scheds.map_or(">1e6".to_string(), |n| n.to_string()),
                us(ktime),
                lexec,
                lbound,
                ltime,
                lper,
                format!("{} runs", sh.executions),
                sh.distinct_schedules.unwrap_or(0),
                us(stime),
                lratio,
                format!("{:.0}x", stime.as_secs_f64() / ktime.as_secs_f64()),
            );
            if let Some((r, _)) = &loomed {
                assert_eq!(r.verdict, k.verdict, "{} [{variant}]", meta.name);
            }
            if matches!(k.verdict, Verdict::Holds) {
                assert_eq!(sh.verdict, Verdict::Holds, "{} [{variant}]", meta.name);
            }
        }
    }
}
