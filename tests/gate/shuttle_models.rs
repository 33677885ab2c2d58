//! The init-lock models run by shuttle through the bridge (`src/bridge`), against the kernel.
//!
//! Run: `cargo test --test gate -- --nocapture shuttle_models::` (plain `cargo test`; about 15 s).
//!
//! For every scenario and variant below, the kernel's exhaustive verdict is the reference:
//!
//! - where the kernel finds a violation, shuttle's random scheduler (seed [`RANDOM_SEED`]) and
//!   its PCT scheduler (seed [`PCT_SEED`], depth [`PCT_DEPTH`]) must each find a violation of
//!   the same property within [`FIND_RUNS`] executions, and the schedule shuttle ran must replay
//!   on the kernel with the same verdict;
//! - where the kernel says `holds`, both must report `holds` after [`HOLDS_RUNS`] executions
//!   ([`SWEEP_HOLDS_RUNS`] for the wider sweep of the other scenarios).
//!
//! The seeds are fixed, so every run explores the same executions and prints the same numbers
//! (`SHUTTLE_RANDOM_SEED` would override them: the bridge refuses to run while it is set).
//! The printed table gives, per row, the executions each scheduler needed to find the violation.

use crate::support;

use std::time::Instant;

use lockstep::bridge::{
    BridgeError, Bridged, Layout, ShuttleConfig, ShuttleScheduler, DEFAULT_PCT_DEPTH,
};
use lockstep_sim::Verdict;

/// Seed of shuttle's random scheduler.
const RANDOM_SEED: u64 = 0x4_0001;
/// Seed of shuttle's PCT scheduler.
const PCT_SEED: u64 = 0x4_0002;
/// PCT bug depth, the command line's default. Every violation below needs at most one
/// priority change: the canary's split claim is found with depth 2 as well, at execution 68.
const PCT_DEPTH: usize = DEFAULT_PCT_DEPTH;
/// Budget for finding a violation the kernel finds.
const FIND_RUNS: u64 = 1_000;
/// Executions per scheduler where the kernel says `holds`, for the four scenarios of issue 4.
const HOLDS_RUNS: u64 = 1_000;
/// Executions per scheduler where the kernel says `holds`, for the wider sweep.
const SWEEP_HOLDS_RUNS: u64 = 200;

/// The four scenarios issue 4 names.
const NAMED: &[&str] = &[
    "scenarios/init-lock/cancel.toml",
    "scenarios/init-lock/clobber.toml",
    "scenarios/init-lock/slow-owner.toml",
    "scenarios/init-lock/multi-breaker.toml",
];

use support::{bridge_plan as plan, kernel_cfg, load};

fn shuttle(
    b: &dyn Bridged,
    scheduler: ShuttleScheduler,
    runs: u64,
) -> lockstep::bridge::BridgeReport {
    let seed = match scheduler {
        ShuttleScheduler::Random => RANDOM_SEED,
        ShuttleScheduler::Pct { .. } => PCT_SEED,
    };
    b.shuttle(&ShuttleConfig {
        scheduler,
        seed,
        runs,
        count_distinct: false,
        stop: None,
    })
    .unwrap()
}

/// Checks every variant of `path` as the module docs say; returns the table rows.
fn agree(path: &str, holds_runs: u64) -> Vec<String> {
    let l = load(path);
    let mut rows = Vec::new();
    for (variant, _) in &l.meta().expect {
        let b = l
            .bridge(variant, Layout::Separate, &plan())
            .unwrap_or_else(|e| panic!("{path} [{variant}]: {e}"));
        let kernel = b.kernel_exhaustive(&kernel_cfg());
        let want = b.verdict_of(kernel.verdict);
        let runs = match kernel.verdict {
            Verdict::Holds => holds_runs,
            _ => FIND_RUNS,
        };
        let mut row = format!(
            "{:<44} {:<18} {:<31} {:>6}",
            path.trim_start_matches("scenarios/"),
            variant,
            want,
            kernel.states
        );
        for scheduler in [
            ShuttleScheduler::Random,
            ShuttleScheduler::Pct { depth: PCT_DEPTH },
        ] {
            let t = Instant::now();
            let got = shuttle(b.as_ref(), scheduler, runs);
            let ms = t.elapsed().as_millis();
            assert_eq!(
                b.verdict_of(got.verdict),
                want,
                "{path} [{variant}]: {scheduler:?} after {} executions disagrees with the kernel",
                got.executions
            );
            match got.failing_run {
                Some(i) => {
                    let cx = got.counterexample.as_ref().unwrap();
                    let replayed = b.replay(cx, &l.meta().plan).unwrap();
                    assert_eq!(
                        replayed.verdict, want,
                        "{path} [{variant}]: the kernel replays shuttle's schedule {cx} differently"
                    );
                    row += &format!("   found at {:>4} ({ms:>4} ms)", i + 1);
                }
                None => {
                    assert_eq!(got.executions, runs);
                    row += &format!("   holds {:>6} ({ms:>4} ms)", got.executions);
                }
            }
        }
        rows.push(row);
    }
    rows
}

fn header() -> String {
    format!(
        "{:<44} {:<18} {:<31} {:>6}   {:<22}   {:<22}",
        "scenario", "variant", "kernel exhaustive", "states", "shuttle random", "shuttle PCT"
    )
}

#[test]
#[ignore = "long set: .ci/run runs it (cargo test --test gate -- --ignored --skip million --skip by_hand)"]
fn named_scenarios_agree_with_the_kernel() {
    let mut out = vec![header()];
    for path in NAMED {
        out.extend(agree(path, HOLDS_RUNS));
    }
    println!("{}", out.join("\n"));
}

/// Every other scenario of the repository the bridge accepts. Those that leave values open
/// (the benchmark workloads, explore-reclaim) are refused (see `open_choices_are_refused`);
/// the other protocols (isolate,
/// restart lock, prewarm lock) have no lane map yet.
#[test]
#[ignore = "long set: .ci/run runs it (cargo test --test gate -- --ignored --skip million --skip by_hand)"]
fn every_bridgeable_scenario_agrees_with_the_kernel() {
    let files =
        lockstep::cli::collect_files(&[format!("{}/scenarios", env!("CARGO_MANIFEST_DIR"))])
            .unwrap();
    let mut out = vec![header()];
    let mut refused = Vec::new();
    let mut no_bridge = Vec::new();
    for f in files {
        let rel = f
            .strip_prefix(concat!(env!("CARGO_MANIFEST_DIR"), "/"))
            .unwrap()
            .to_string();
        if NAMED.contains(&rel.as_str()) {
            continue;
        }
        let l = load(&rel);
        let variant = l.meta().expect[0].0;
        match l.bridge(variant, Layout::Separate, &plan()) {
            Err(BridgeError::OpenChoice(_)) => refused.push(rel),
            Err(BridgeError::NoBridge { .. }) => no_bridge.push(rel),
            Err(e) => panic!("{rel}: {e}"),
            Ok(_) => out.extend(agree(&rel, SWEEP_HOLDS_RUNS)),
        }
    }
    println!(
        "{}\nrefused (open value choices): {}\nno bridge (other protocols): {} files",
        out.join("\n"),
        refused.join(", "),
        no_bridge.len()
    );
    assert!(out.len() > 20, "the sweep ran almost nothing");
}

#[test]
fn open_choices_are_refused() {
    let l = load("scenarios/bench/reclaim-3.toml");
    let e = l
        .bridge("v1-reclaim", Layout::Separate, &plan())
        .err()
        .expect("refused");
    assert!(matches!(e, BridgeError::OpenChoice(_)), "{e}");
    let text = e.to_string();
    assert!(
        text.contains("leaves `") && text.contains("alternatives"),
        "{text}"
    );
}

/// `lockstep run --strategy shuttle`: a violation prints a kernel timeline and a kernel replay
/// command, and that command prints the same block again.
#[test]
fn cli_shuttle_counterexample_replays_on_the_kernel() {
    let out = support::lockstep(&[
        "run",
        "scenarios/init-lock/clobber.toml",
        "--variant",
        "v1-reclaim",
        "--strategy",
        "shuttle",
        "--seed",
        "7",
        "--runs",
        "50",
    ]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stderr
            .contains("backed by shuttle, 1 run, failing run 0 of seed 7"),
        "{}",
        out.stderr
    );
    let cmd = out
        .stdout
        .lines()
        .find_map(|l| l.trim().strip_prefix("replay: "))
        .unwrap_or_else(|| panic!("no replay command in:\n{}", out.stdout))
        .to_string();
    let schedule = cmd
        .split("--schedule ")
        .nth(1)
        .unwrap()
        .trim_matches('\'')
        .to_string();
    let again = support::lockstep(&[
        "run",
        "scenarios/init-lock/clobber.toml",
        "--variant",
        "v1-reclaim",
        "--schedule",
        &schedule,
    ]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert_eq!(
        again.stdout, out.stdout,
        "the kernel replay prints a different block"
    );

    // The PCT scheduler and `check` go through the same path.
    let check = support::lockstep(&[
        "check",
        "scenarios/init-lock/slow-owner.toml",
        "--strategy",
        "shuttle-pct",
        "--runs",
        "100",
        "--json",
    ]);
    assert_eq!(check.code, 0, "{}", check.stderr);
    assert!(
        check.stdout.contains("\"strategy\": \"shuttle-pct\""),
        "{}",
        check.stdout
    );
}

#[test]
fn cli_refuses_what_the_bridge_cannot_run() {
    let out = support::lockstep(&[
        "check",
        "scenarios/bench/reclaim-3.toml",
        "--strategy",
        "shuttle",
    ]);
    assert_eq!(out.code, 2, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stderr
            .contains("error: scenarios/bench/reclaim-3.toml: actor `")
            && out.stderr.contains("without open value choices"),
        "{}",
        out.stderr
    );
    let bad = support::lockstep(&["check", "scenarios", "--strategy", "shuttle-dfs"]);
    assert_eq!(bad.code, 2);
    assert!(
        bad.stderr.contains("shuttle, shuttle-pct"),
        "{}",
        bad.stderr
    );

    let seeded = std::process::Command::new(env!("CARGO_BIN_EXE_lockstep"))
        .args([
            "run",
            "scenarios/init-lock/clobber.toml",
            "--strategy",
            "shuttle",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("SHUTTLE_RANDOM_SEED", "3")
        .output()
        .unwrap();
    assert_eq!(seeded.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&seeded.stderr).contains("SHUTTLE_RANDOM_SEED is set"));
}

/// A protocol without a lane map is a usage error (exit 2), before anything runs.
#[test]
fn a_protocol_without_a_bridge_is_a_usage_error() {
    let out = support::lockstep(&[
        "run",
        "scenarios/isolate/abort-all.toml",
        "--strategy",
        "shuttle",
    ]);
    assert_eq!(out.code, 2, "{}{}", out.stdout, out.stderr);
    assert_eq!(out.stdout, "");
    assert_eq!(
        out.stderr,
        "error: scenarios/isolate/abort-all.toml: protocol `isolate` has no loom/shuttle bridge; use a kernel strategy (scripted, exhaustive, random, pct)\n"
    );
}

/// The same seed gives the same executions: the counterexample and the counts repeat.
#[test]
fn seeded_runs_repeat() {
    let l = load("scenarios/canary/split-claim.toml");
    let b = l
        .bridge("canary-split-claim", Layout::Separate, &plan())
        .unwrap();
    let pct = ShuttleScheduler::Pct { depth: PCT_DEPTH };
    let first = shuttle(b.as_ref(), pct, FIND_RUNS);
    let second = shuttle(b.as_ref(), pct, FIND_RUNS);
    assert_eq!(first.failing_run, second.failing_run);
    assert_eq!(first.counterexample, second.counterexample);
    assert_eq!(first.steps, second.steps);
}
