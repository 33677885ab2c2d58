//! The regression gate, one test binary: every scenario file's expectations, pinned timelines
//! and state counts, determinism, replay round trips, canaries and bad input here; the other
//! suites as modules below. One binary rather than one per file: each integration binary links
//! the whole crate again, which was most of a fresh clone's `cargo test`.
//!
//! `cargo test` runs everything not `#[ignore]`d, in well under a minute. The stated long set,
//! which `.ci/run` runs on the same build, is `cargo test --test gate -- --ignored --skip
//! million`: the fuzzers' CI sizes (100,000 protocol files, 50,000 scenario files), the mutation
//! campaign, a second in-process run of the catalogue compared byte for byte with the first,
//! the sleep-set sweep over every scenario and the diamond check of the init lock's
//! independence declarations, the shuttle sweep over every bridgeable scenario (the named ones
//! included), the exhaustive explorer against every scripted violation, the prewarm-lock
//! file's agreement with its Rust model, and a second whole-catalogue check through the binary
//! (one pair at a time) compared byte for byte with the first. The fuzzers' stated millions
//! are run on purpose (`--ignored million`). The loom modules (`loom_locks.rs`,
//! `loom_models.rs`) are the `loom` test binary's (`tests/loom/main.rs`), built only with
//! `--features loom`.

mod explore;
mod fs_locks;
mod fuzz_protocols;
mod fuzz_scenarios;
mod isolate;
mod layers;
mod lints;
mod locks_semantics;
mod locks_shuttle;
mod mutants;
mod proptest_init_lock;
mod report_html;
mod schema;
mod shuttle_models;
mod sleep_sets;
mod support;

use lockstep::engine::Outcome;
use lockstep::report::counterexample_block;
use lockstep::scenario::{Source, Verdict};

use support::{all_scenarios, check_catalogue, lockstep, run_all, shared_run, tempdir};

#[test]
fn every_scenario_meets_its_expectations() {
    let mut failures = Vec::new();
    let rows = shared_run();
    for (meta, variant, out) in rows {
        let expected = &meta.expect.iter().find(|(v, _)| v == variant).unwrap().1;
        if out.verdict != *expected {
            failures.push(format!(
                "{} [{}]: got {}, expected {}",
                meta.path, variant, out.verdict, expected
            ));
        }
    }
    let n = rows.len();
    assert!(
        n >= 40,
        "only {n} (scenario, variant) pairs: did the scenarios folder go missing?"
    );
    assert!(
        failures.is_empty(),
        "verdicts differ:\n{}",
        failures.join("\n")
    );
}

/// The folders the gate checks through the binary as well: the binary's plumbing (JSON, exit
/// code, replay commands) on the fast folders (the canaries are of every protocol). The whole
/// catalogue goes through the binary in the main job (`lockstep check scenarios`) and,
/// compared pair by pair with the in-process run, in the long set.
const THROUGH_THE_BINARY: &[&str] = &[
    "scenarios/canary",
    "scenarios/init-lock",
    "scenarios/isolate",
    "scenarios/regressions",
];

#[test]
fn the_cli_check_agrees_and_exits_zero() {
    let mut args = vec!["check"];
    args.extend(THROUGH_THE_BINARY);
    args.push("--json");
    let out = lockstep(&args);
    assert_eq!(out.code, 0, "stderr: {}", out.stderr);
    let results = json_results(&out);
    assert!(!results.is_empty());
    for r in &results {
        for key in [
            "scenario",
            "name",
            "protocol",
            "variant",
            "strategy",
            "verdict",
            "expected",
            "ok",
            "states",
            "schedules",
            "elapsed_ms",
            "replay",
        ] {
            assert!(r.get(key).is_some(), "result lacks `{key}`: {r}");
        }
        assert_eq!(r["ok"], true, "{r}");
        let violated = r["verdict"].as_str().unwrap().starts_with("violated:");
        assert_eq!(r["replay"].is_string(), violated, "{r}");
    }
    let rows: Vec<_> = shared_run()
        .iter()
        .filter(|(meta, _, _)| {
            THROUGH_THE_BINARY
                .iter()
                .any(|d| meta.path.starts_with(&format!("{d}/")))
        })
        .collect();
    agrees_pair_by_pair(&rows, &results);
    // The exact verdicts of the four named scenarios and the canary.
    let verdict = |scenario: &str, variant: &str| -> String {
        results
            .iter()
            .find(|r| r["scenario"] == scenario && r["variant"] == variant)
            .unwrap_or_else(|| panic!("no result for {scenario} [{variant}]"))["verdict"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let c = "scenarios/init-lock/cancel.toml";
    assert_eq!(verdict(c, "v0-flag"), "violated:bounded-wait");
    for v in [
        "v1-reclaim",
        "v2-anchored",
        "v3-gen-release",
        "v4-gated-publish",
    ] {
        assert_eq!(verdict(c, v), "holds");
        assert_eq!(
            verdict("scenarios/init-lock/multi-breaker.toml", v),
            "holds"
        );
    }
    let c = "scenarios/init-lock/clobber.toml";
    assert_eq!(verdict(c, "v1-reclaim"), "violated:max-inits");
    assert_eq!(verdict(c, "v2-anchored"), "violated:max-inits");
    assert_eq!(verdict(c, "v3-gen-release"), "holds");
    assert_eq!(verdict(c, "v4-gated-publish"), "holds");
    let c = "scenarios/init-lock/slow-owner.toml";
    for v in ["v1-reclaim", "v2-anchored", "v3-gen-release"] {
        assert_eq!(verdict(c, v), "violated:gated-publish");
    }
    assert_eq!(verdict(c, "v4-gated-publish"), "holds");
    assert_eq!(
        verdict("scenarios/canary/split-claim.toml", "canary-split-claim"),
        "violated:max-active"
    );
}

#[test]
fn canaries_exist_and_fail() {
    let mut canaries = 0;
    for l in all_scenarios() {
        let meta = l.meta();
        let proto = lockstep::models::find(meta.protocol).unwrap();
        for (variant, expected) in &meta.expect {
            let info = proto
                .variants()
                .iter()
                .find(|v| v.name == *variant)
                .unwrap();
            if info.canary {
                canaries += 1;
                assert!(
                    matches!(expected, Verdict::Violated(_)),
                    "{}: canary {variant} must be expected to fail",
                    meta.path
                );
                let out = &shared_run()
                    .iter()
                    .find(|(m, v, _)| m.path == meta.path && v == variant)
                    .expect("the shared run covers every expectation")
                    .2;
                assert!(
                    out.verdict.is_violated(),
                    "canary {variant} passed in {}",
                    meta.path
                );
            }
        }
    }
    assert!(
        canaries >= 1,
        "no canary scenario: the harness could pass silently"
    );
}

/// The timelines of every counterexample and the state counts of every exhaustive run are
/// pinned: an explorer or model regression shows as a snapshot diff.
#[test]
fn counterexamples_and_state_counts_are_pinned() {
    let rows = shared_run();
    let mut counts = String::new();
    for (meta, variant, out) in rows {
        counts.push_str(&format!(
            "{} [{}]: {} ({}, {} states, {} schedules)\n",
            meta.path,
            variant,
            out.verdict,
            out.report.strategy.name(),
            out.report.states,
            out.report.schedules
        ));
    }
    insta::assert_snapshot!("state_counts", counts);
    for (meta, variant, out) in rows {
        if let Some(c) = &out.counterexample {
            let name = format!(
                "timeline__{}__{}",
                meta.path
                    .trim_start_matches("scenarios/")
                    .trim_end_matches(".toml")
                    .replace('/', "__"),
                variant
            );
            insta::assert_snapshot!(name, counterexample_block(meta, variant, c));
        }
    }
}

/// Two in-process runs of the whole catalogue give the same bytes (timelines included). In the
/// long set: every `cargo test` already compares the binary's run with the in-process one, pair
/// by pair (`the_cli_check_agrees_and_exits_zero`).
#[test]
#[ignore = "long set: .ci/run runs it (cargo test --test gate -- --ignored --skip million --skip by_hand)"]
fn everything_twice_gives_identical_output() {
    let render = |rows: &[(lockstep::scenario::Meta, &'static str, Outcome)]| -> String {
        let mut s = String::new();
        for (meta, variant, out) in rows {
            s.push_str(&format!(
                "{} {} {} {} {} {}\n",
                meta.path,
                variant,
                out.verdict,
                out.report.states,
                out.report.schedules,
                out.report.steps
            ));
            if let Some(c) = &out.counterexample {
                s.push_str(&counterexample_block(meta, variant, c));
            }
        }
        s
    };
    let a = render(shared_run());
    let b = render(&run_all());
    assert_eq!(a, b, "two runs of the same scenarios differ");
}

/// The `results` of a `check --json`.
fn json_results(out: &support::Output) -> Vec<serde_json::Value> {
    let doc: serde_json::Value = serde_json::from_str(&out.stdout).expect("check --json is JSON");
    doc["results"].as_array().expect("results array").clone()
}

/// Determinism across processes: the binary (its own hash seeds, its own threads, pairs run
/// side by side) gives, pair by pair, the verdicts and counts of the in-process run.
fn agrees_pair_by_pair(
    rows: &[&(lockstep::scenario::Meta, &'static str, Outcome)],
    results: &[serde_json::Value],
) {
    assert_eq!(rows.len(), results.len());
    for ((meta, variant, outcome), r) in rows.iter().map(|r| (&r.0, &r.1, &r.2)).zip(results) {
        let pair = format!("{} [{variant}]", meta.path);
        assert_eq!(r["scenario"], meta.path.as_str(), "{pair}");
        assert_eq!(r["variant"], *variant, "{pair}");
        assert_eq!(r["verdict"], outcome.verdict.to_string(), "{pair}");
        assert_eq!(r["states"], outcome.report.states, "{pair}");
        assert_eq!(r["schedules"], outcome.report.schedules, "{pair}");
    }
}

/// The whole catalogue through the binary, pair by pair as the in-process run found it, and
/// byte for byte (elapsed times aside) whatever the number of jobs: one check runs as many
/// pairs at once as the machine has cores, the other one at a time. The longest test of the
/// gate, so it is in the long set; the gate checks the fast folders through the binary every
/// time (`THROUGH_THE_BINARY`), and the main job the whole catalogue.
#[test]
#[ignore = "long set: .ci/run runs it (cargo test --test gate -- --ignored --skip million --skip by_hand)"]
fn everything_twice_through_the_binary_gives_identical_bytes() {
    let strip = |s: &str| -> String {
        s.lines()
            .filter(|l| !l.contains("\"elapsed_ms\""))
            .collect::<Vec<_>>()
            .join("\n")
    };
    let x = check_catalogue(&["--json"]);
    assert_eq!(x.code, 0, "stderr: {}", x.stderr);
    let rows: Vec<_> = shared_run().iter().collect();
    agrees_pair_by_pair(&rows, &json_results(&x));
    let y = check_catalogue(&["--json", "--jobs", "1"]);
    assert_eq!(strip(&x.stdout), strip(&y.stdout));
}

/// The first counterexample of every (protocol, variant): its printed replay command
/// reproduces the same bytes. The long set replays every one of them.
#[test]
fn replay_commands_reproduce_the_counterexample() {
    let mut seen = std::collections::BTreeSet::new();
    replay_each(|meta, variant| seen.insert((meta.protocol.to_string(), variant.to_string())));
}

/// Every counterexample's printed replay command reproduces the same bytes (about two hundred
/// runs of the binary).
#[test]
#[ignore = "long set: .ci/run runs it (cargo test --test gate -- --ignored --skip million --skip by_hand)"]
fn every_replay_command_reproduces_its_counterexample() {
    replay_each(|_, _| true);
}

/// Runs the printed replay command of each counterexample of the shared run that `pick`
/// chooses, and compares what it prints with the counterexample.
fn replay_each(mut pick: impl FnMut(&lockstep::scenario::Meta, &str) -> bool) {
    for (meta, variant, out) in shared_run() {
        let Some(c) = &out.counterexample else {
            continue;
        };
        if !pick(meta, variant) {
            continue;
        }
        let block = counterexample_block(meta, variant, c);
        let cmd = block
            .lines()
            .find_map(|l| l.trim().strip_prefix("replay: lockstep "))
            .expect("a replay command");
        let args = shell_words(cmd);
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        let r = lockstep(&refs);
        assert_eq!(
            r.stdout, block,
            "replaying {} [{}] printed something else",
            meta.path, variant
        );
    }
}

#[test]
fn run_trace_then_replay_prints_the_same_bytes() {
    let dir = tempdir();
    let trace = format!("{dir}/clobber-v1.trace");
    let run = lockstep(&[
        "run",
        "scenarios/init-lock/clobber.toml",
        "--variant",
        "v1-reclaim",
        "--trace",
        &trace,
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let replay = lockstep(&["replay", &trace]);
    assert_eq!(replay.code, 0, "{}", replay.stderr);
    assert_eq!(run.stdout, replay.stdout);
    // The story the issue asks for: C claims while B's claim is younger than the deadline.
    assert!(
        run.stdout
            .contains("claim from 0 is 320 ms old > deadline 300"),
        "{}",
        run.stdout
    );
    assert!(run
        .stdout
        .contains("finally: ownerStartedAt = null (clears a claim that is not its own)"));
    let c_claim = run
        .stdout
        .lines()
        .find(|l| l.contains("  C  ") && l.contains("claims: ownerStartedAt = 440"))
        .expect("C claims");
    assert!(c_claim.trim_start().starts_with("440"), "{c_claim}");
    assert!(c_claim.contains("while the previous claim is live and young"));
}

#[test]
fn a_trace_of_an_edited_scenario_is_refused() {
    let dir = tempdir();
    let scen = format!("{dir}/clobber.toml");
    std::fs::copy("scenarios/init-lock/clobber.toml", &scen).unwrap();
    let trace = format!("{dir}/t.trace");
    let run = lockstep(&["run", &scen, "--variant", "v1-reclaim", "--trace", &trace]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let mut text = std::fs::read_to_string(&scen).unwrap();
    text.push_str("\n# edited\n");
    std::fs::write(&scen, text).unwrap();
    let r = lockstep(&["replay", &trace]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("changed since this trace was written"),
        "{}",
        r.stderr
    );
}

/// Every scripted violation is also found by the exhaustive explorer (it explores a superset).
#[test]
#[ignore = "long set: .ci/run runs it (cargo test --test gate -- --ignored --skip million --skip by_hand)"]
fn exhaustive_finds_whatever_the_script_finds() {
    for l in all_scenarios() {
        let meta = l.meta();
        for (variant, _) in &meta.expect {
            let mut scripted = meta.plan.clone();
            scripted.strategy = lockstep_sim::Strategy::Scripted;
            let s = l.explore(variant, &scripted);
            if !s.verdict.is_violated() {
                continue;
            }
            let mut ex = meta.plan.clone();
            ex.strategy = lockstep_sim::Strategy::Exhaustive;
            let e = l.explore(variant, &ex);
            assert!(
                e.verdict.is_violated(),
                "{} [{variant}]: scripted finds {}, exhaustive {}",
                meta.path,
                s.verdict,
                e.verdict
            );
        }
    }
}

/// Malformed scenarios: a clear error with file:line:col, exit code 2, never a panic.
#[test]
fn bad_scenarios_get_located_errors_and_exit_2() {
    let mut all = String::new();
    let mut files: Vec<_> = std::fs::read_dir("tests/bad")
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    assert!(files.len() >= 8);
    for f in files {
        let path = f.to_string_lossy().to_string();
        let out = lockstep(&["check", &path]);
        assert_eq!(
            out.code, 2,
            "{path}: exit {} (stderr: {})",
            out.code, out.stderr
        );
        assert!(!out.stderr.contains("panicked"), "{path}: {}", out.stderr);
        let first = out.stderr.lines().next().unwrap_or("");
        assert!(
            first.starts_with(&format!("error: {path}:")),
            "{path}: the first line must locate the error: {first}"
        );
        // Loading through the library gives the same located message.
        let err = Source::read(&path)
            .and_then(|s| lockstep::models::load(&s))
            .err()
            .expect("an error");
        assert!(out.stderr.contains(&err.location()));
        all.push_str(&out.stderr);
        all.push('\n');
    }
    insta::assert_snapshot!("bad_scenario_errors", all);
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(lockstep(&["check", "no/such/path"]).code, 2);
    assert_eq!(
        lockstep(&["check", "scenarios", "--strategy", "bogus"]).code,
        2
    );
    assert_eq!(
        lockstep(&["run", "scenarios/init-lock/clobber.toml", "--variant", "v9"]).code,
        2
    );
    assert_eq!(lockstep(&["frobnicate"]).code, 2);
    let no_jobs = lockstep(&["check", "scenarios/init-lock/clobber.toml", "--jobs", "0"]);
    assert_eq!(no_jobs.code, 2, "{}", no_jobs.stderr);
    assert!(no_jobs.stderr.contains("--jobs takes a positive number"));
    let bad = lockstep(&[
        "run",
        "scenarios/init-lock/clobber.toml",
        "--variant",
        "v1-reclaim",
        "--schedule",
        "0.9.9",
    ]);
    assert_eq!(bad.code, 2, "{}", bad.stderr);
    assert!(bad.stderr.contains("does not fit"), "{}", bad.stderr);
}

#[test]
fn a_wrong_expectation_exits_1() {
    let dir = tempdir();
    let scen = format!("{dir}/wrong.toml");
    let text = std::fs::read_to_string("scenarios/init-lock/clobber.toml")
        .unwrap()
        .replace(
            "v3-gen-release = \"holds\"",
            "v3-gen-release = \"violated:max-inits\"",
        );
    std::fs::write(&scen, text).unwrap();
    let out = lockstep(&["check", &scen]);
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert!(out.stdout.contains("FAIL"));
}

/// `check --fail-fast` stops at the first unexpected result, still exits 1, and says how many
/// results it gave of how many; without a mismatch it gives them all.
#[test]
fn fail_fast_stops_at_the_first_unexpected_result() {
    let out = lockstep(&[
        "check",
        "--fail-fast",
        "tests/mismatch/wrong-expectation.toml",
        "scenarios/init-lock/clobber.toml",
    ]);
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert!(
        out.stdout.contains("1 results: 0 as expected, 1 not"),
        "{}",
        out.stdout
    );
    assert!(
        out.stderr.contains("--fail-fast): 1 of 5 results"),
        "{}",
        out.stderr
    );
    // Pairs run side by side: the rows still end at the first unexpected one in file order,
    // after every pair before it, whatever the number of jobs.
    for jobs in ["1", "4"] {
        let out = lockstep(&[
            "check",
            "--fail-fast",
            "--jobs",
            jobs,
            "scenarios/init-lock/clobber.toml",
            "tests/mismatch/wrong-expectation.toml",
        ]);
        assert_eq!(out.code, 1, "{}", out.stdout);
        assert!(
            out.stdout.contains("5 results: 4 as expected, 1 not"),
            "--jobs {jobs}: {}",
            out.stdout
        );
    }
    let all = lockstep(&["check", "--fail-fast", "scenarios/init-lock/clobber.toml"]);
    assert_eq!(all.code, 0, "{}", all.stdout);
    assert!(!all.stderr.contains("fail-fast"), "{}", all.stderr);
}

/// A scheduled fault that fires in no explored schedule is reported beside the verdict, and
/// fails the result where the scenario declares it an error (V1 never holds the mutex that
/// the crash point names).
#[test]
fn unfired_faults_are_reported_and_can_fail_a_result() {
    let out = lockstep(&["check", "tests/unfired/unfired-crash.toml"]);
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert!(out.stdout.contains(
        "error: tests/unfired/unfired-crash.toml [v1-unlink-recreate]: fired in no explored schedule: crash_at = \"mutex-held\" (P1)"
    ));
    assert!(
        !out.stdout.contains("[v3-registry-mutex]: fired"),
        "V3's crash point fires"
    );
    let json = lockstep(&["check", "tests/unfired/unfired-crash.toml", "--json"]);
    let doc: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    let results = doc["results"].as_array().unwrap();
    assert_eq!(
        results[0]["unfired_faults"][0],
        "crash_at = \"mutex-held\" (P1)"
    );
    assert_eq!(results[0]["ok"], false);
    assert!(results[1].get("unfired_faults").is_none());
    // By default an unfired fault is a note, not a failure.
    let dir = tempdir();
    let scen = format!("{dir}/note.toml");
    let text = std::fs::read_to_string("tests/unfired/unfired-crash.toml")
        .unwrap()
        .replace("unfired_faults = \"error\"\n", "");
    std::fs::write(&scen, text).unwrap();
    let out = lockstep(&["check", &scen]);
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert!(out.stdout.contains("note: "));
    // The protocol file names the same unfired crash point as the Rust model.
    let file = lockstep(&["check", "tests/unfired/unfired-crash.toml", "--interpreted"]);
    assert_eq!(file.code, 1, "{}", file.stdout);
    assert!(file
        .stdout
        .contains("[v1-unlink-recreate]: fired in no explored schedule: P1: kill_at = mutex-held"));
    assert!(!file.stdout.contains("[v3-registry-mutex]: fired"));
    // A protocol file's own scheduled faults: a kill after the end, a pause where a kill lands
    // first, and a syscall fault on a path one variant never names.
    let faults = lockstep(&["check", "tests/unfired/file-faults.toml", "--json"]);
    let doc: serde_json::Value = serde_json::from_str(&faults.stdout).unwrap();
    for r in doc["results"].as_array().unwrap() {
        assert_eq!(
            r["unfired_faults"],
            serde_json::json!([
                "A: kill_at_ms = 100000",
                "B: pause_at = holding",
                "syscall rename run/app.pid: EBUSY"
            ]),
            "{r}"
        );
    }
}

/// A variant that holds has a picture: `run --example` prints one seeded schedule of it,
/// labelled as an example (not a counterexample), and its replay command prints it again.
#[test]
fn an_example_run_of_a_holding_variant() {
    let args = [
        "run",
        "scenarios/init-lock/clobber.toml",
        "--variant",
        "v4-gated-publish",
        "--example",
    ];
    let out = lockstep(&args);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("[v4-gated-publish]: holds"));
    assert!(out.stdout.contains("example run: "), "{}", out.stdout);
    assert!(!out.stdout.contains("counterexample"), "{}", out.stdout);
    assert_eq!(lockstep(&args).stdout, out.stdout, "seeded: the same bytes");
    let cmd = out
        .stdout
        .lines()
        .find_map(|l| l.trim().strip_prefix("replay: lockstep "))
        .expect("a replay command");
    let again = lockstep(
        &shell_words(cmd)
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
    );
    assert_eq!(again.stdout, out.stdout);
}

/// Reachability targets: a reached one has a witness timeline (the fewest moves found), one no
/// world reaches fails the result although every invariant holds.
#[test]
fn reachability_targets_have_witnesses_or_fail() {
    let out = lockstep(&["check", "tests/reach/never-throws.toml", "--json"]);
    assert_eq!(out.code, 1, "{}", out.stdout);
    let doc: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let r = &doc["results"][0];
    assert_eq!(r["verdict"], "holds");
    assert_eq!(r["ok"], false);
    assert_eq!(r["reachable"][0]["target"], "tombstoned");
    assert_eq!(r["reachable"][0]["status"], "reached");
    assert_eq!(r["reachable"][0]["witness_moves"], 21);
    assert_eq!(r["reachable"][1]["status"], "never");
    let run = lockstep(&["run", "tests/reach/never-throws.toml"]);
    assert_eq!(run.code, 1);
    assert!(run
        .stdout
        .contains("[v2-intents]: reached:tombstoned\n  witness: 21 moves"));
    assert!(run.stdout.contains("reachability target `throws`: never"));
    assert!(run
        .stdout
        .contains("rename(lock, tombstone-W1): lock moved to tombstone-W1"));
    // A protocol file's targets are its marks and `throws`; a killed run never reaches them.
    let file = lockstep(&["check", "tests/reach/file-never-holds.toml", "--json"]);
    assert_eq!(file.code, 1, "{}{}", file.stdout, file.stderr);
    let doc: serde_json::Value = serde_json::from_str(&file.stdout).unwrap();
    for r in doc["results"].as_array().unwrap() {
        assert_eq!(r["verdict"], "holds");
        assert_eq!(r["ok"], false);
        assert_eq!(r["reachable"][0]["target"], "holding");
        assert_eq!(r["reachable"][0]["status"], "reached");
        assert_eq!(r["reachable"][1]["target"], "throws");
        assert_eq!(r["reachable"][1]["status"], "never");
    }
    let witness = lockstep(&["run", "examples/pidfile-lock/scenarios/stale-takeover.toml"]);
    assert!(
        witness
            .stdout
            .contains("[v2-generations]: reached:holding\n  witness: 6 moves"),
        "{}",
        witness.stdout
    );
}

/// A scenario that expects nothing yet can be explored: `run` gives every variant's verdict
/// and an `[expect]` block to paste; `check` refuses it (exit 2) and says so.
#[test]
fn a_scenario_without_expectations_is_explored_by_run_and_refused_by_check() {
    let dir = tempdir();
    let scen = format!("{dir}/mine.toml");
    let text = std::fs::read_to_string("scenarios/init-lock/clobber.toml").unwrap();
    let cut = text.find("[expect]").unwrap();
    std::fs::write(&scen, &text[..cut]).unwrap();
    let out = lockstep(&["run", &scen]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let block = out
        .stdout
        .split("[expect]\n")
        .nth(1)
        .expect("an [expect] block");
    for line in [
        "v1-reclaim = \"violated:max-inits\"",
        "v4-gated-publish = \"holds\"",
    ] {
        assert!(block.contains(line), "{block}");
    }
    // Pasted back, the block is what `check` then confirms.
    std::fs::write(&scen, format!("{}[expect]\n{block}", &text[..cut])).unwrap();
    assert_eq!(lockstep(&["check", &scen]).code, 0);
    std::fs::write(&scen, &text[..cut]).unwrap();
    let refused = lockstep(&["check", &scen]);
    assert_eq!(refused.code, 2);
    assert!(refused.stderr.contains("expects nothing of any variant"));
    assert!(refused
        .stderr
        .contains("prints an `[expect]` block to paste"));
}

/// Completions and the man page come from the same definitions as `--help`.
#[test]
fn completions_and_man_page_are_generated() {
    for shell in ["bash", "zsh", "fish"] {
        let out = lockstep(&["completions", shell]);
        assert_eq!(out.code, 0, "{}", out.stderr);
        assert!(out.stdout.contains("wall-time-max"), "{shell}");
    }
    let man = lockstep(&["man"]);
    assert_eq!(man.code, 0);
    assert!(man.stdout.contains(".TH lockstep 1"));
    assert_eq!(lockstep(&["completions", "tcsh"]).code, 2);
}

/// `lockstep new` writes, for every protocol, a scenario that runs as written and ends with an
/// `[expect]` block to paste; it never overwrites a file.
#[test]
fn every_protocol_has_a_runnable_scaffold() {
    let dir = tempdir();
    for p in lockstep::models::protocols() {
        let file = format!("{dir}/{}.toml", p.id());
        let out = lockstep(&["new", p.id(), &file]);
        assert_eq!(out.code, 0, "{}", out.stderr);
        let run = lockstep(&["run", &file]);
        assert_eq!(run.code, 0, "{}: {}", p.id(), run.stderr);
        assert!(run.stdout.contains("\n[expect]\n"), "{}", run.stdout);
        assert_eq!(
            lockstep(&["new", p.id(), &file]).code,
            2,
            "refuses to overwrite"
        );
    }
    assert_eq!(
        lockstep(&["new", "no-such-lock", &format!("{dir}/x.toml")]).code,
        2
    );
    // A protocol file: the scenario names it by a path relative to itself, and runs.
    for protocol in [
        "protocols/init-lock.lstep",
        "examples/migration-lease/migration-lease.lstep",
    ] {
        let file = format!("{dir}/from-file.toml");
        let _ = std::fs::remove_file(&file);
        let out = lockstep(&["new", protocol, &file]);
        assert_eq!(out.code, 0, "{}", out.stderr);
        let text = std::fs::read_to_string(&file).unwrap();
        assert!(text.contains(&format!("/{protocol}\"")), "{text}");
        let run = lockstep(&["run", &file]);
        assert_eq!(run.code, 0, "{protocol}: {}", run.stderr);
        assert!(run.stdout.contains("\n[expect]\n"), "{}", run.stdout);
    }
    assert_eq!(
        lockstep(&[
            "new",
            "tests/bad/protocols/typo.lstep",
            &format!("{dir}/y.toml")
        ])
        .code,
        2
    );
}

/// `run` and `--json` say what ran: each version's own defaults where the file left a
/// parameter out (V1's fixed 30 s max wait, V2's deadline + 15 s).
#[test]
fn the_effective_parameters_are_reported_per_variant() {
    let out = lockstep(&["run", "scenarios/init-lock/max-wait-too-short.toml"]);
    assert!(out
        .stderr
        .contains("[v1-reclaim] ran with deadline_ms = 60000, poll_ms = 50, max_wait_ms = 30000"));
    assert!(out
        .stderr
        .contains("[v2-anchored] ran with deadline_ms = 60000, poll_ms = 50, max_wait_ms = 75000"));
    let json = lockstep(&[
        "check",
        "scenarios/init-lock/max-wait-too-short.toml",
        "--json",
    ]);
    let doc: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(doc["results"][0]["parameters"]["max_wait_ms"], "30000");
    assert_eq!(doc["results"][1]["parameters"]["max_wait_ms"], "75000");
}

/// Ctrl-C (SIGINT) or SIGTERM stops the searches still running (`inconclusive:interrupted`,
/// never a pass), prints the results so far and exits 130, and the JUnit file it
/// was asked for is whole (written to a temporary file, then renamed: nothing else is left
/// in the folder; JSON goes to stdout whole). The deep scenario runs for tens of seconds; the signal comes after one.
#[cfg(unix)]
#[test]
fn an_interrupted_check_prints_what_it_has_and_exits_130() {
    for signal in ["-INT", "-TERM"] {
        let dir = tempdir();
        let junit = format!("{dir}/out.xml");
        let child = std::process::Command::new(env!("CARGO_BIN_EXE_lockstep"))
            .args([
                "check",
                "scenarios/deep",
                "--json",
                "--junit",
                &junit,
                "--jobs",
                "1",
            ])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_secs(1));
        let sent = std::process::Command::new("kill")
            .args([signal, &child.id().to_string()])
            .status()
            .unwrap();
        assert!(sent.success());
        let out = child.wait_with_output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(130), "{signal}: {stdout}\n{stderr}");
        assert!(stderr.contains("interrupted"), "{stderr}");
        let doc: serde_json::Value = serde_json::from_str(&stdout).unwrap();
        let results = doc["results"].as_array().unwrap();
        assert!(
            results
                .iter()
                .any(|r| r["verdict"] == "inconclusive:interrupted"),
            "{doc}"
        );
        let xml = std::fs::read_to_string(&junit).unwrap();
        assert!(xml.trim_end().ends_with("</testsuites>"), "{xml}");
        let mut left: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
            .collect();
        left.sort();
        assert_eq!(left, ["out.xml"], "no temporary file is left");
    }
}

/// A wall-clock budget stops the search (`inconclusive:wall-time-max`, never a pass) and
/// the run ends; the result fails its expectation.
#[test]
fn a_wall_clock_budget_ends_a_long_search_inconclusive() {
    let out = lockstep(&[
        "check",
        "scenarios/deep/prewarm-three-reclaimers.toml",
        "--wall-time-max",
        "1",
    ]);
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains("inconclusive:wall-time-max"),
        "{}",
        out.stdout
    );
}

/// A memory budget ends an exhaustive search `inconclusive:memory` before its visited set
/// outgrows the budget, saying how many states it visited; a bad size in a file is a located
/// error.
#[test]
fn a_memory_budget_ends_a_search_inconclusive() {
    let out = lockstep(&[
        "run",
        "scenarios/bench/reclaim-5.toml",
        "--variant",
        "v4-gated-publish",
        "--no-symmetry",
        "--memory-max",
        "50MB",
    ]);
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("inconclusive:memory"), "{}", out.stdout);
    assert!(out.stderr.contains("1,044,481 states"), "{}", out.stderr);
    let bad = lockstep(&["check", "tests/bad/bad-memory.toml"]);
    assert_eq!(bad.code, 2);
    assert!(
        bad.stderr.contains("tests/bad/bad-memory.toml:") && bad.stderr.contains("memory_max"),
        "{}",
        bad.stderr
    );
}

/// `run` leaves out the actors and faults a violation does not need: the shown counterexample
/// has no cancellation, its replay command names the removal and prints the same bytes, and
/// `--no-reduce` shows the file as written.
#[test]
fn run_drops_the_actors_and_faults_a_violation_does_not_need() {
    let file = "tests/reduce/needless-waiter.toml";
    let out = lockstep(&["run", file, "--variant", "v1-reclaim"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("reduced: the violation does not need D "),
        "{}",
        out.stderr
    );
    let steps_of_d = out
        .stdout
        .lines()
        .filter(|l| l.split_whitespace().nth(1) == Some("D"))
        .count();
    assert!(
        !out.stdout.contains("cancel") && steps_of_d == 0,
        "{}",
        out.stdout
    );
    let replay = out
        .stdout
        .lines()
        .find_map(|l| l.trim().strip_prefix("replay: lockstep "))
        .expect("a replay command")
        .to_string();
    assert!(replay.contains("--without D"), "{replay}");
    let schedule = replay
        .split("--schedule ")
        .nth(1)
        .unwrap()
        .trim_matches('\'');
    let again = lockstep(&[
        "run",
        file,
        "--variant",
        "v1-reclaim",
        "--without",
        "D",
        "--schedule",
        schedule,
    ]);
    assert_eq!(again.stdout, out.stdout);
    let full = lockstep(&["run", file, "--variant", "v1-reclaim", "--no-reduce"]);
    assert!(full.stdout.contains("cancel"), "{}", full.stdout);
    let bad = lockstep(&["run", file, "--without", "E"]);
    assert_eq!(bad.code, 2);
    assert!(bad.stderr.contains("--without `E`"), "{}", bad.stderr);
}

/// `run` gives each checked invariant's own status beside the verdict, which names only the
/// first-listed one violated.
#[test]
fn run_reports_each_invariants_own_status() {
    let out = lockstep(&[
        "run",
        "scenarios/prewarm-lock/verdict-order.toml",
        "--variant",
        "v1-pid-liveness",
    ]);
    assert!(out.stdout.contains("violated:token-gated-release"));
    assert!(
        out.stderr.contains(
            "each invariant on its own (exhaustive): token-gated-release violated (25 moves) · max-active violated ("
        ),
        "{}",
        out.stderr
    );
    let v0 = lockstep(&[
        "run",
        "scenarios/prewarm-lock/verdict-order.toml",
        "--variant",
        "v0-mtime-only",
    ]);
    assert!(
        v0.stderr.contains(
            "each invariant on its own (exhaustive): token-gated-release holds · max-active holds"
        ),
        "{}",
        v0.stderr
    );
}

/// `run`'s "each invariant on its own" is the file's as written, as `check --each-invariant`
/// gives it, not the reduced scenario's: the reduction of v2's max-active violation drops the
/// caller whose reclaim breaks max-inits (a user's protocol file, tests/run-each).
#[test]
fn run_gives_each_invariants_status_of_the_file_as_written() {
    let file = "tests/run-each/slow-owner.toml";
    let run = lockstep(&["run", file, "--variant", "v2-generation"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains("reduced: the violation does not need"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("max-inits violated"), "{}", run.stderr);
    let check = lockstep(&["check", file, "--each-invariant"]);
    assert!(
        check
            .stdout
            .contains("[✗max-active ✗max-inits ✓gated-publish ✓bounded-wait]"),
        "{}",
        check.stdout
    );
}

/// An invariant whose own search meets a runtime error first is undecided, not violated: the
/// waiter's loop with no await fails at run time once it polls, before anything can break
/// max-active (the table's `?`, and the reason in JSON).
#[test]
fn an_invariant_a_runtime_error_preempts_is_undecided() {
    let file = "tests/run-each/busy-loop.toml";
    let table = lockstep(&["check", file, "--each-invariant"]);
    assert_eq!(table.code, 0, "{}", table.stdout);
    assert!(
        table
            .stdout
            .contains("[?max-active ?max-inits ?gated-publish ✗bounded-wait]"),
        "{}",
        table.stdout
    );
    let json = lockstep(&["check", file, "--each-invariant", "--json"]);
    assert!(
        json.stdout
            .contains("\"status\": \"undecided (violated:runtime-error first)\""),
        "{}",
        json.stdout
    );
}

/// `check --each-invariant` gives every checked invariant's own status beside the verdict, in
/// the table and in JSON: v2 of the prewarm lock breaks max-active but not the first-listed
/// token-gated-release, v1 breaks both.
#[test]
fn check_gives_each_invariants_status_on_request() {
    let file = "scenarios/prewarm-lock/verdict-order.toml";
    let table = lockstep(&["check", file, "--each-invariant"]);
    assert_eq!(table.code, 0, "{}", table.stderr);
    assert!(
        table.stdout.contains("[✓token-gated-release ✗max-active]")
            && table.stdout.contains("[✗token-gated-release ✗max-active]"),
        "{}",
        table.stdout
    );
    let json = lockstep(&["check", file, "--each-invariant", "--json"]);
    let doc: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    let v2 = doc["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["variant"] == "v2-intents")
        .unwrap();
    assert_eq!(v2["invariants"][0]["invariant"], "token-gated-release");
    assert_eq!(v2["invariants"][0]["status"], "holds");
    assert_eq!(v2["invariants"][1]["status"], "violated");
    assert!(v2["invariants"][1]["moves"].as_u64().unwrap() > 0);
    let plain = lockstep(&["check", file, "--json"]);
    assert!(!plain.stdout.contains("\"invariants\""), "off by default");
}

/// `--each-invariant` on protocol files: each invariant's own search runs on the file (its
/// program judging that invariant alone), and every status agrees with the Rust model's.
#[test]
fn each_invariants_status_on_the_protocol_file_agrees_with_the_rust_model() {
    let files = [
        "scenarios/prewarm-lock/verdict-order.toml",
        "scenarios/init-lock/clobber.toml",
        "scenarios/restart-lock/double-crash.toml",
    ];
    let statuses = |interpreted: bool| {
        let mut args = vec!["check", "--each-invariant", "--json"];
        args.extend(files);
        if interpreted {
            args.push("--interpreted");
        }
        let out = lockstep(&args);
        assert_eq!(out.code, 0, "{}", out.stderr);
        let doc: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
        let mut rows: Vec<String> = doc["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                // Counterexample lengths differ between the two granularities: statuses only.
                let statuses: Vec<String> = r["invariants"]
                    .as_array()
                    .expect("statuses")
                    .iter()
                    .map(|i| format!("{}={}", i["invariant"], i["status"]))
                    .collect();
                format!("{} {} {}", r["name"], r["variant"], statuses.join(" "))
            })
            .collect();
        rows.sort();
        rows
    };
    let file = statuses(true);
    assert!(
        file.iter().filter(|r| r.contains("violated")).count() >= 4,
        "{file:#?}"
    );
    assert_eq!(file, statuses(false));
}

/// The isolate's targets: W2 recreates the worker after an abort (a witness), W0 has no
/// abortIsolate() and never does (the result fails).
#[test]
fn isolate_reachability_targets() {
    let dir = tempdir();
    let scen = format!("{dir}/reach.toml");
    let text = std::fs::read_to_string("scenarios/isolate/recreate-once.toml").unwrap();
    let cut = text.find("[expect]").unwrap();
    let text = text[..cut].replace(
        "\n[explore]",
        "reachable = [\"recreated\", \"request-fails\"]\n\n[explore]",
    ) + "[expect]\nw0-none = \"holds\"\nw2-abort-all = \"holds\"\n";
    std::fs::write(&scen, text).unwrap();
    let out = lockstep(&["check", &scen, "--json"]);
    assert_eq!(out.code, 1, "{}", out.stdout);
    let doc: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let w0 = &doc["results"][0]["reachable"];
    assert_eq!(w0[0]["status"], "never", "{w0}");
    let w2 = &doc["results"][1]["reachable"];
    assert_eq!(w2[0]["status"], "reached", "{w2}");
    assert_eq!(w2[1]["status"], "reached", "{w2}");
}

/// `list --params` lists every key the loader accepts (from its own types) and each
/// variant's defaults.
#[test]
fn list_params_shows_every_key_and_the_defaults_per_variant() {
    let out = lockstep(&["list", "--params"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    for line in [
        "  [[actor]] keys: name, arrive_ms, init_ms, outcome,",
        "    v1-reclaim: deadline_ms = 15000, poll_ms = 50, max_wait_ms = 30000,",
        "    v2-anchored: deadline_ms = 45000, poll_ms = 50, max_wait_ms = 60000,",
        "    v0-mtime-only: poll_ms = 250, timeout_ms = 900000, stale_ms = 1800000,",
        "  [faults] keys: factory",
    ] {
        assert!(out.stdout.contains(line), "missing {line:?}");
    }
}

#[test]
fn list_shows_every_protocol_variant_and_invariant() {
    let out = lockstep(&["list"]);
    assert_eq!(out.code, 0);
    for p in lockstep::models::protocols() {
        assert!(out.stdout.contains(p.id()));
        for v in p.variants() {
            assert!(out.stdout.contains(v.name));
        }
        for i in p.invariants() {
            assert!(out.stdout.contains(i.id));
        }
    }
}

#[test]
fn report_writes_a_summary_and_timelines() {
    let dir = tempdir();
    let out = lockstep(&["report", "scenarios/init-lock/clobber.toml", "--out", &dir]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let summary = std::fs::read_to_string(format!("{dir}/summary.md")).unwrap();
    assert!(summary.contains("violated:max-inits"));
    let cx = std::fs::read_to_string(format!(
        "{dir}/counterexamples/init-lock--clobber--v1-reclaim.txt"
    ))
    .unwrap();
    assert!(cx.contains("replay: lockstep run"));
}

/// Splits a command line printed by lockstep (words, single-quoted words).
fn shell_words(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut any = false;
    for c in s.chars() {
        match c {
            '\'' => {
                quoted = !quoted;
                any = true;
            }
            ' ' if !quoted => {
                if any || !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
                any = false;
            }
            _ => cur.push(c),
        }
    }
    if any || !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Runs every (scenario, variant) of `paths` against the shipped protocol file and against the
/// Rust model: the two verdicts agree, the same number of scheduled faults fire in neither, and
/// the file meets the expectation. Returns the table of state counts (Rust model / protocol
/// file), printed with `cargo test -- --nocapture`; where they differ, the protocol file's
/// header comment says why (granularity, never a verdict).
fn agreement(paths: &[&str], pairs_min: usize) -> String {
    let root = env!("CARGO_MANIFEST_DIR");
    std::env::set_current_dir(root).unwrap();
    let paths: Vec<String> = paths.iter().map(|p| p.to_string()).collect();
    let files = lockstep::cli::collect_files(&paths).unwrap();
    let mut table =
        String::from("scenario [variant]: verdict; states (Rust model / protocol file)\n");
    let mut failures = Vec::new();
    let mut n = 0;
    for f in &files {
        let src = Source::read(f).unwrap();
        let rust =
            lockstep::models::load_as(&src, false).unwrap_or_else(|e| panic!("{}", e.render()));
        let file =
            lockstep::models::load_as(&src, true).unwrap_or_else(|e| panic!("{}", e.render()));
        assert!(file.meta().interpreted);
        for (variant, expected) in &rust.meta().expect {
            let plan = &rust.meta().plan;
            // The Rust model's outcome is the gate's shared run of the catalogue (the same
            // plan), explored once for every test that reads it.
            let shared = shared_run()
                .iter()
                .find(|(m, v, _)| m.path == *f && v == variant)
                .map(|row| &row.2);
            let own;
            let r = match shared {
                Some(r) => r,
                None => {
                    own = rust.explore(variant, plan);
                    &own
                }
            };
            let i = file.explore(variant, plan);
            n += 1;
            if r.verdict != i.verdict {
                failures.push(format!(
                    "{f} [{variant}]: Rust model {}, protocol file {}",
                    r.verdict, i.verdict
                ));
            }
            if i.verdict != *expected {
                failures.push(format!(
                    "{f} [{variant}]: protocol file {}, expected {expected}",
                    i.verdict
                ));
            }
            // The same scheduled faults fire in neither (their texts name them differently).
            if r.unfired.len() != i.unfired.len() {
                failures.push(format!(
                    "{f} [{variant}]: unfired faults: Rust model {:?}, protocol file {:?}",
                    r.unfired, i.unfired
                ));
            }
            table.push_str(&format!(
                "{f} [{variant}]: {}; {} / {}\n",
                i.verdict, r.report.states, i.report.states
            ));
        }
    }
    eprintln!("{table}");
    assert!(n >= pairs_min, "only {n} pairs compared");
    assert!(
        failures.is_empty(),
        "disagreements:\n{}",
        failures.join("\n")
    );
    table
}

/// The init lock's named scenarios (the four, and the open ones beside them), a
/// benchmark and the canary against `protocols/init-lock.lstep`. The whole folder is the long
/// set's `every_init_lock_scenario_agrees_on_the_file` (and `.ci/run`'s interpreted check).
#[test]
fn the_init_lock_file_agrees_with_the_rust_model() {
    let table = agreement(
        &[
            "scenarios/init-lock/cancel.toml",
            "scenarios/init-lock/clobber.toml",
            "scenarios/init-lock/multi-breaker.toml",
            "scenarios/init-lock/multi-breaker-open.toml",
            "scenarios/init-lock/slow-owner.toml",
            "scenarios/init-lock/slow-owner-open.toml",
            "scenarios/bench/reclaim-4.toml",
            "scenarios/canary/split-claim.toml",
        ],
        29,
    );
    // Symmetry reduction applies to protocol files: the four interchangeable callers of
    // reclaim-4 fold to the same order of states as the Rust model's (152,742 against
    // 844,486 without it).
    assert!(
        table.contains("scenarios/bench/reclaim-4.toml [v4-gated-publish]: holds; 143519 / 152742"),
        "{table}"
    );
}

/// Every init-lock scenario and every benchmark against the file.
#[test]
#[ignore = "long set: .ci/run runs it (cargo test --test gate -- --ignored --skip million --skip by_hand)"]
fn every_init_lock_scenario_agrees_on_the_file() {
    agreement(
        &[
            "scenarios/init-lock",
            "scenarios/bench",
            "scenarios/canary/split-claim.toml",
        ],
        70,
    );
}

/// A sample of the restart lock's scenarios (both mutex designs, a crash, a pause, clock skew,
/// a failed write, a cascade of stale takeovers) and the canary against
/// `protocols/restart-lock.lstep`. The whole folder is the long set's
/// `every_restart_lock_scenario_agrees_on_the_file` (and `.ci/run`'s interpreted check).
#[test]
fn the_restart_lock_file_agrees_with_the_rust_model() {
    agreement(
        &[
            "scenarios/restart-lock/clock-skew.toml",
            "scenarios/restart-lock/double-crash.toml",
            "scenarios/restart-lock/mutex-designs.toml",
            "scenarios/restart-lock/paused-holder.toml",
            "scenarios/restart-lock/release-toctou.toml",
            "scenarios/restart-lock/stale-cascade.toml",
            "scenarios/restart-lock/write-failure.toml",
            "scenarios/canary/restart-no-mutex.toml",
        ],
        14,
    );
}

/// Every restart-lock scenario against the file.
#[test]
#[ignore = "long set: .ci/run runs it (cargo test --test gate -- --ignored --skip million --skip by_hand)"]
fn every_restart_lock_scenario_agrees_on_the_file() {
    agreement(
        &[
            "scenarios/restart-lock",
            "scenarios/canary/restart-no-mutex.toml",
        ],
        61,
    );
}

/// The prewarm lock's scenarios and canary against `protocols/prewarm-lock.lstep`. Its
/// scenarios poll for fifteen minutes of virtual time (17 s for the hundred pairs), so it is in
/// the long set; `.ci/run`'s interpreted check meets the same expectations. The deep
/// three-reclaimer scenario (1.8 M states from the file, 0.9 M from the model, both
/// `violated:max-active` on v2; both inspect intents in any order, and the model also merges
/// renamings of interchangeable processes and takes private steps alone, which the file does
/// not) is checked by hand: `lockstep check scenarios/deep --interpreted` (50 s, 8 GB).
#[test]
#[ignore = "long set: .ci/run runs it (cargo test --test gate -- --ignored --skip million --skip by_hand)"]
fn the_prewarm_lock_file_agrees_with_the_rust_model() {
    agreement(
        &[
            "scenarios/prewarm-lock",
            "scenarios/canary/prewarm-no-recheck.toml",
        ],
        109,
    );
}

/// The isolate's scenarios and canary against `protocols/isolate.lstep`, including those whose
/// module state holds the init lock (`protocols/init-lock.lstep` as the file's module).
#[test]
fn the_isolate_file_agrees_with_the_rust_model() {
    let table = agreement(
        &[
            "scenarios/isolate",
            "scenarios/canary/isolate-reset-before-reject.toml",
        ],
        64,
    );
    // The nested init lock: the same state count as the Rust composition where the two
    // granularities agree.
    assert!(
        table.contains(
            "scenarios/isolate/poisoned-init-recovery.toml [w2-abort-all]: holds; 1180 / 1180"
        ),
        "{table}"
    );
}

/// A regression written under `--interpreted` numbers the protocol file's moves: it says
/// `protocol_file = true`, and `check` replays it on the file with or without `--interpreted`
/// (a Rust-recorded regression is the one that `--interpreted` searches instead).
#[test]
fn a_regression_found_on_the_file_replays_on_the_file() {
    let dir = crate::support::tempdir();
    let run = lockstep(&[
        "run",
        "scenarios/init-lock/clobber.toml",
        "--variant",
        "v1-reclaim",
        "--interpreted",
        "--regression",
        &dir,
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let path = format!("{dir}/clobber--v1-reclaim.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("protocol_file = true"), "{text}");
    assert!(text.contains("--regression --interpreted`"), "{text}");
    for extra in [None, Some("--interpreted")] {
        let mut args = vec!["check", path.as_str()];
        args.extend(extra);
        let out = lockstep(&args);
        assert_eq!(out.code, 0, "{args:?}: {}{}", out.stdout, out.stderr);
        assert!(
            out.stdout.contains("violated:max-inits  ok    replay"),
            "{}",
            out.stdout
        );
        assert!(
            !out.stderr.contains("note: --interpreted"),
            "{}",
            out.stderr
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The regression writer edits the scenario as TOML, not as lines: `[ explore ]` with a
/// comment and an `[expect]` written as dotted keys are replaced whole (a line-based writer
/// kept both and wrote a file that did not load), and the user's comments stay.
#[test]
fn a_regression_replaces_explore_and_expect_however_written() {
    let dir = crate::support::tempdir();
    let original = std::fs::read_to_string("scenarios/init-lock/clobber.toml").unwrap();
    let (body, _) = original
        .split_once("[expect]")
        .expect("clobber.toml ends with [expect]");
    // Root-level dotted keys go before the first table.
    let text = format!(
        "expect.v1-reclaim = \"violated:max-inits\"\nexpect.v2-anchored = \"holds\"\n{}",
        body.replace("[explore]", "[ explore ]  # how to search")
    );
    let scenario = format!("{dir}/odd.toml");
    std::fs::write(&scenario, &text).unwrap();
    let run = lockstep(&[
        "run",
        &scenario,
        "--variant",
        "v1-reclaim",
        "--regression",
        &dir,
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let written = std::fs::read_to_string(format!("{dir}/clobber--v1-reclaim.toml")).unwrap();
    assert!(!written.contains("how to search"), "{written}");
    assert!(!written.contains("v2-anchored"), "{written}");
    assert!(
        written.contains("A slow owner fails after a waiter reclaimed"),
        "{written}"
    );
    let out = lockstep(&["check", &format!("{dir}/clobber--v1-reclaim.toml")]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains("violated:max-inits  ok    replay"),
        "{}",
        out.stdout
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A scenario of a protocol file names the file relative to itself: its regression, written
/// to another folder, names the same file relative to that folder, and loads.
#[test]
fn a_regression_of_a_protocol_file_scenario_finds_its_protocol_file() {
    let dir = crate::support::tempdir();
    let out_dir = format!("{dir}/deeper/regressions");
    let run = lockstep(&[
        "run",
        "examples/pidfile-lock/scenarios/stale-takeover.toml",
        "--variant",
        "v1-unlink-stale",
        "--regression",
        &out_dir,
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let path = format!("{out_dir}/stale-takeover--v1-unlink-stale.toml");
    let written = std::fs::read_to_string(&path).unwrap();
    assert!(
        !written.contains("protocol = \"../pidfile-lock.lstep\""),
        "{written}"
    );
    assert!(written.contains("pidfile-lock.lstep\""), "{written}");
    let out = lockstep(&["check", &path]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `--interpreted` over a whole catalogue: a regression's replayed schedule (recorded on the
/// Rust model) is searched for on the file instead, said once with its count, and the verdicts
/// still meet their expectations; every protocol has its file now, so no other note appears.
#[test]
fn interpreted_checks_say_what_ran_on_the_rust_model() {
    let out = lockstep(&[
        "check",
        "scenarios/isolate/poisoned-init-recovery.toml",
        "scenarios/isolate/recreate-once.toml",
        "scenarios/regressions",
        "scenarios/init-lock/clobber.toml",
        "--interpreted",
    ]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert_eq!(
        out.stderr.matches("note: --interpreted").count(),
        1,
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains(
        "note: --interpreted: 1 scenario file(s): a regression's schedule numbers the Rust model's moves: its verdicts were searched for exhaustively on the file instead"
    ), "{}", out.stderr);
}

/// A protocol file's liveness violation names the overdue obligation: its bindings (an actor
/// by name, an index, an element by position) and its deadline, not only the property's text.
#[test]
fn a_liveness_violation_names_the_overdue_binding() {
    // The catalogue's counterexample, replayed (a search would add per-invariant searches).
    let run = lockstep(&[
        "run",
        "scenarios/init-lock/cancel.toml",
        "--variant",
        "v0-flag",
        "--interpreted",
        "--without",
        "B",
        "--schedule",
        "(0.t)*2003",
    ]);
    assert!(
        run.stdout.contains("by r.wait_start[l] + (if r.awaits_other[l] { 0ms } else { wait_bound_of(l) })` for r = C, l = 0 fell due at 103000 ms and is still open at 103001 ms"),
        "{}",
        run.stdout
    );
    let run = lockstep(&["run", "tests/lang/liveness-why.toml", "--no-reduce"]);
    assert!(
        run.stdout.contains(
            "`when true by t` for t = element 1 fell due at 150 ms and is still open at 151 ms"
        ),
        "{}",
        run.stdout
    );
}

/// A runtime error in a property's own code is explained by the property, its expression and
/// the error's place in it (it was once blamed on the first actor, at an unrelated line).
#[test]
fn a_runtime_error_in_a_property_names_the_property() {
    let run = lockstep(&["run", "tests/lang/property-error.toml"]);
    assert!(
        run.stdout.contains(
            "why: property `expires-positive` (`lease!.expires > 0ms`) ran into a runtime error at tests/lang/property-error.lstep:16:29: `!` unwrapped `none`"
        ),
        "{}",
        run.stdout
    );
}

/// `run` reduces a violation's scenario to what the violation needs, but searches reachability
/// targets in the file as written: a target may need the actor the reduction left out.
#[test]
fn run_searches_reachability_targets_in_the_file_as_written() {
    let run = lockstep(&["run", "tests/lang/reach-after-reduce.toml"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains("the violation does not need B"),
        "{}",
        run.stderr
    );
    assert!(
        run.stdout.contains("[v1]: reached:two-served"),
        "{}",
        run.stdout
    );
}

/// A reachability witness's replay command (`--reach TARGET --schedule S`) prints the witness
/// again, byte for byte, on a Rust model and on a protocol file, though the witness may break
/// the scenario's invariants on the way (the protocol file's does).
#[test]
fn a_witness_replay_command_prints_the_witness_again() {
    for (file, variant) in [
        ("scenarios/prewarm-lock/dead-intent.toml", "v0-mtime-only"),
        ("tests/lang/reach-after-reduce.toml", "v1"),
    ] {
        let run = lockstep(&["run", file, "--variant", variant]);
        let line = run
            .stdout
            .lines()
            .find(|l| l.contains("replay: lockstep run") && l.contains(" --reach "))
            .unwrap_or_else(|| panic!("no witness in {file}: {}", run.stdout));
        let command = line.trim().trim_start_matches("replay: lockstep ");
        let args: Vec<String> = command
            .split_whitespace()
            .map(|w| w.trim_matches('\'').to_string())
            .collect();
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let again = lockstep(&args);
        assert_eq!(again.code, 0, "{command}: {}", again.stderr);
        assert!(again.stdout.contains(": reached:"), "{}", again.stdout);
        assert!(
            run.stdout.contains(&again.stdout),
            "{command} printed:\n{}\nnot a block of:\n{}",
            again.stdout,
            run.stdout
        );
    }
}

/// A step's changes are what a reader sees: the element a `pop_front` leaves behind (cleared,
/// past the list's length) is not printed as `queue[1] = 0`.
#[test]
fn a_timeline_does_not_print_elements_past_a_lists_length() {
    let run = lockstep(&["run", "tests/lang/pop-front.toml", "--example"]);
    assert!(
        run.stdout.contains("yields; queue.len = 1, queue[0] = 8\n"),
        "{}",
        run.stdout
    );
}

/// A loop with no await is a runtime error: found as soon as it comes back to a state it was
/// in (a busy-wait whose flag nothing in the step changes), and otherwise after 100,000 turns
/// (a state that keeps cycling with a period the repeat check does not sample).
#[test]
fn an_endless_loop_is_a_runtime_error_either_way() {
    let repeats = lockstep(&["run", "tests/lang/endless.toml"]);
    assert!(
        repeats.stdout.contains(
            "endless.lstep:11:5: a step's loop came back to a state it had already been in"
        ),
        "{}",
        repeats.stdout
    );
    let cycles = lockstep(&["run", "tests/lang/endless-cycle.toml"]);
    assert!(
        cycles
            .stdout
            .contains("endless-cycle.lstep:11:5: a step went round its loops 100000 times"),
        "{}",
        cycles.stdout
    );
}

/// A second `open` while the process holds a file open is a runtime error at that `open` (it
/// used to close the first descriptor silently).
#[test]
fn a_second_open_is_a_runtime_error_at_its_line() {
    let run = lockstep(&["run", "tests/lang/second-open.toml"]);
    assert!(
        run.stdout.contains(
            "runtime error at tests/lang/second-open.lstep:12:5: a second `open` while the process"
        ),
        "{}",
        run.stdout
    );
}

/// A counterexample's reduction never renumbers a process: leaving out an actor would move the
/// default pids of those after it (once, C was shown doing what only B's pid does). The step's
/// label is the line it ran (11, the marking), not the sleep it resumed from (10).
#[test]
fn a_reduction_keeps_every_process_id() {
    let run = lockstep(&["run", "tests/lang/reduce-keeps-pids.toml"]);
    assert!(run.stderr.contains("does not need C"), "{}", run.stderr);
    assert!(
        run.stdout
            .contains("B      line 11: returns; marked_by = 1001"),
        "{}",
        run.stdout
    );
}

/// Unreached code names the lines no schedule ran, and only those: a loop that never repeats
/// and an actor body that always throws before its end leave their opening lines run.
#[test]
fn unreached_code_is_the_code_no_schedule_ran() {
    let run = lockstep(&["run", "tests/lang/unreached.toml"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let listed: Vec<&str> = run
        .stdout
        .lines()
        .filter(|l| l.trim_start().starts_with("line "))
        .collect();
    assert_eq!(
        listed,
        ["    line   13  await sleep(10ms)"],
        "{}",
        run.stdout
    );
}

/// Protocol-file scenarios give the same bytes twice, and a counterexample's replay command
/// (which names `--interpreted` when the run did) prints it again.
#[test]
fn protocol_file_runs_are_deterministic_and_replay() {
    let strip = |s: &str| -> String {
        s.lines()
            .filter(|l| !l.contains("\"elapsed_ms\""))
            .collect::<Vec<_>>()
            .join("\n")
    };
    let x = lockstep(&["check", "examples", "--json"]);
    let y = lockstep(&["check", "examples", "--json"]);
    assert_eq!(x.code, 0, "{}", x.stderr);
    assert_eq!(strip(&x.stdout), strip(&y.stdout));
    for args in [
        vec![
            "run",
            "examples/migration-lease/scenarios/slow-migration.toml",
            "--variant",
            "v1-single-lease",
        ],
        vec![
            "run",
            "scenarios/init-lock/clobber.toml",
            "--variant",
            "v1-reclaim",
            "--interpreted",
        ],
    ] {
        let a = lockstep(&args);
        let b = lockstep(&args);
        assert_eq!(a.stdout, b.stdout, "{args:?} differs between two runs");
        let cmd = a
            .stdout
            .lines()
            .find_map(|l| l.trim().strip_prefix("replay: lockstep "))
            .unwrap_or_else(|| panic!("{args:?}: no replay command in {}", a.stdout));
        let words = shell_words(cmd);
        let refs: Vec<&str> = words.iter().map(String::as_str).collect();
        let r = lockstep(&refs);
        assert_eq!(
            r.stdout, a.stdout,
            "{args:?}: the replay printed something else"
        );
    }
    // The interpreted clobber is the same story as the Rust model's: the same schedule.
    let rust = lockstep(&[
        "run",
        "scenarios/init-lock/clobber.toml",
        "--variant",
        "v1-reclaim",
    ]);
    let file = lockstep(&[
        "run",
        "scenarios/init-lock/clobber.toml",
        "--variant",
        "v1-reclaim",
        "--interpreted",
    ]);
    let schedule = |s: &str| {
        s.lines()
            .find_map(|l| l.split("--schedule ").nth(1))
            .map(|x| x.split(' ').next().unwrap_or("").to_string())
    };
    assert_eq!(schedule(&rust.stdout), schedule(&file.stdout));
}

/// Protocol files with mistakes, and scenarios that misname what a protocol file declares:
/// each error gives file:line:col (in the protocol file, or in the scenario with a note in the
/// protocol file), what is wrong and what to do, and exit 2; never a panic.
#[test]
fn bad_protocol_files_get_located_errors_and_exit_2() {
    let mut all = String::new();
    let mut files: Vec<_> = std::fs::read_dir("tests/bad/protocols")
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    assert!(files.len() >= 12);
    for f in files {
        let path = f.to_string_lossy().to_string();
        let out = lockstep(&["check", &path]);
        assert_eq!(out.code, 2, "{path}: exit {} ({})", out.code, out.stderr);
        assert!(!out.stderr.contains("panicked"), "{path}: {}", out.stderr);
        let first = out.stderr.lines().next().unwrap_or("");
        let located = first.starts_with("error: tests/bad/protocols/")
            && first
                .split(':')
                .nth(2)
                .is_some_and(|l| l.parse::<u32>().is_ok());
        assert!(
            located,
            "{path}: the first line must locate the error: {first}"
        );
        all.push_str(&out.stderr);
        all.push('\n');
    }
    insta::assert_snapshot!("bad_protocol_errors", all);
}

/// `lockstep check examples` is part of the gate: the example protocols meet their
/// expectations (a buggy version caught, the fix holding, a residual shown).
#[test]
fn the_examples_meet_their_expectations() {
    let out = lockstep(&["check", "examples"]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("violated:no-double-migration"));
    assert!(out.stdout.contains("holds"));
    // The file-system example: the unlinking taker's two holders, the numbered claims holding
    // under every kill, and the residual both share (an empty claim whose writer died).
    for (scenario, variant, verdict) in [
        (
            "stale-takeover",
            "v1-unlink-stale",
            "violated:single-holder",
        ),
        ("stale-takeover", "v2-generations", "holds"),
        ("kill-anywhere", "v1-unlink-stale", "violated:single-holder"),
        ("kill-anywhere", "v2-generations", "holds"),
        (
            "orphaned-empty-claim",
            "v2-generations",
            "violated:no-timeout",
        ),
    ] {
        let row = out
            .stdout
            .lines()
            .find(|l| l.contains(&format!("/{scenario}.toml")) && l.contains(variant))
            .unwrap_or_else(|| panic!("{scenario} {variant}: no row\n{}", out.stdout));
        assert!(
            row.split_whitespace().nth(2) == Some(verdict),
            "{scenario} {variant}: {row}"
        );
    }
}

/// The language's own semantics scenarios (lists, maps, runtime errors), through the library
/// gate a user's `#[test]` calls.
#[test]
fn language_scenarios_meet_their_expectations() {
    lockstep::gate::assert_paths(&["tests/lang"]);
}

/// The library gate fails on a verdict that misses its expectation, and says why with the
/// timeline; a file with an error is an error, not a pass.
#[test]
fn the_library_gate_reports_mismatches_with_timelines() {
    let c = lockstep::gate::check_paths(&["tests/mismatch"]);
    assert!(!c.ok());
    assert_eq!(c.results, 1);
    assert_eq!(c.mismatches.len(), 1, "{:?}", c.mismatches);
    let m = &c.mismatches[0];
    assert!(
        m.contains("expected holds, got violated:canary-sees-contents"),
        "{m}"
    );
    assert!(m.contains("time(ms)") && m.contains("replay:"), "{m}");
    let bad = lockstep::gate::check_paths(&["tests/bad/protocols/typo.lstep"]);
    assert!(!bad.ok() && bad.errors.len() == 1, "{:?}", bad.errors);
    assert!(bad.errors[0].contains("typo.lstep:"), "{}", bad.errors[0]);
    let panicked = std::panic::catch_unwind(|| lockstep::gate::assert_paths(&["tests/mismatch"]));
    assert!(panicked.is_err());
}

/// Files nested past the language's limits (parentheses, operators, blocks, unary signs,
/// chains of functions, of constants and of types) get a located error and exit 2, never a
/// crash of the checker's stack.
#[test]
fn deeply_nested_protocol_files_are_errors_not_crashes() {
    let head = "protocol p\nplatform node\nshared n: int\n";
    let n = 5000;
    let files = [
        format!(
            "{head}actor A() {{ n = {}1{} }}\nvariant v1\n",
            "(".repeat(n),
            ")".repeat(n)
        ),
        format!(
            "{head}actor A() {{ n = 1{} }}\nvariant v1\n",
            " + 1".repeat(n)
        ),
        format!(
            "{head}actor A() {{ {}n = 1{} }}\nvariant v1\n",
            "if true { ".repeat(n),
            " }".repeat(n)
        ),
        format!("{head}actor A() {{ n = {}1 }}\nvariant v1\n", "-".repeat(n)),
        format!(
            "{head}{}\nfn f{n}(x: int) -> int = x\nactor A() {{ n = f0(n) }}\nvariant v1\n",
            (0..n)
                .map(|i| format!("fn f{i}(x: int) -> int = f{}(x) + 1", i + 1))
                .collect::<Vec<_>>()
                .join("\n")
        ),
        format!(
            "{head}{}\nconst C{n} = 1\nactor A() {{ n = C0 }}\nvariant v1\n",
            (0..n)
                .map(|i| format!("const C{i} = C{} + 1", i + 1))
                .collect::<Vec<_>>()
                .join("\n")
        ),
    ];
    let dir = std::path::PathBuf::from(crate::support::tempdir());
    std::fs::create_dir_all(&dir).unwrap();
    for (i, text) in files.iter().enumerate() {
        let path = dir.join(format!("deep-{i}.lstep"));
        std::fs::write(&path, text).unwrap();
        let out = lockstep(&["check", path.to_str().unwrap()]);
        assert_eq!(out.code, 2, "file {i}: {}{}", out.stdout, out.stderr);
        assert!(
            out.stderr.contains("levels deep") || out.stderr.contains("more than 64"),
            "file {i}: {}",
            out.stderr
        );
    }
    std::fs::remove_dir_all(&dir).ok();
}

/// A closed stdout ends every command quietly with exit 0 (`lockstep list | head -1`), the way
/// `rg` does: no "internal error", no exit 3. The pipe's reading end is closed before the
/// command starts, so its first write fails every time.
#[test]
fn a_closed_stdout_ends_quietly() {
    for args in [
        &["list"][..],
        &["list", "protocols/init-lock.lstep"],
        &["check", "tests/lang"],
        &["run", "tests/lang/collections.toml"],
    ] {
        let (reader, writer) = std::io::pipe().expect("a pipe");
        drop(reader);
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_lockstep"))
            .args(args)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .stdout(writer)
            .stderr(std::process::Stdio::piped())
            .output()
            .expect("lockstep runs");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {stderr}");
        assert!(!stderr.contains("internal error"), "{args:?}: {stderr}");
    }
}
