//! Exploration at scale: open scenarios found by every strategy, shrunk counterexamples,
//! thread- and shard-independence, CI outputs.

use crate::support;

use support::lockstep;

const OPEN: &str = "scenarios/init-lock/explore-reclaim.toml";

fn verdicts(json: &str) -> Vec<(String, String, String, u64)> {
    let doc: serde_json::Value = serde_json::from_str(json).expect("JSON");
    doc["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["scenario"].as_str().unwrap().to_string(),
                r["variant"].as_str().unwrap().to_string(),
                r["verdict"].as_str().unwrap().to_string(),
                r["states"].as_u64().unwrap(),
            )
        })
        .collect()
}

fn expected_open() -> Vec<(&'static str, &'static str)> {
    vec![
        ("v1-reclaim", "violated:max-active"),
        ("v2-anchored", "violated:max-active"),
        ("v3-gen-release", "violated:gated-publish"),
        ("v4-gated-publish", "holds"),
    ]
}

#[test]
fn every_strategy_finds_what_nobody_scripted() {
    for args in [
        vec!["check", OPEN, "--json", "--strategy", "exhaustive"],
        vec![
            "check",
            OPEN,
            "--json",
            "--strategy",
            "random",
            "--seed",
            "1",
            "--runs",
            "20000",
        ],
    ] {
        let out = lockstep(&args);
        assert_eq!(out.code, 0, "{args:?}: {}", out.stdout);
        let got = verdicts(&out.stdout);
        for (variant, verdict) in expected_open() {
            assert!(
                got.iter().any(|(_, v, d, _)| v == variant && d == verdict),
                "{args:?}: {variant} should be {verdict}: {got:?}"
            );
        }
    }
    // PCT reaches the clobber race too.
    let out = lockstep(&[
        "run",
        OPEN,
        "--variant",
        "v1-reclaim",
        "--strategy",
        "pct",
        "--seed",
        "1",
        "--runs",
        "20000",
    ]);
    assert!(out.stdout.contains("violated:max-active"), "{}", out.stdout);
}

#[test]
fn the_shrunk_clobber_is_no_longer_than_the_hand_written_one() {
    let out = lockstep(&["run", OPEN, "--variant", "v1-reclaim"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let moves = |s: &str| -> usize {
        let line = s.lines().find(|l| l.contains("counterexample:")).unwrap();
        line.split_whitespace().nth(1).unwrap().parse().unwrap()
    };
    let scripted = lockstep(&[
        "run",
        "scenarios/init-lock/clobber.toml",
        "--variant",
        "v1-reclaim",
    ]);
    assert!(
        moves(&out.stdout) <= moves(&scripted.stdout),
        "{}",
        out.stdout
    );
    assert!(out.stderr.contains("shrunk from"), "{}", out.stderr);
    // At most three actors appear, and the replay command prints the same bytes.
    let cmd = out
        .stdout
        .lines()
        .find_map(|l| l.trim().strip_prefix("replay: lockstep "))
        .unwrap();
    let words: Vec<String> = cmd
        .split(' ')
        .map(|w| w.trim_matches('\'').to_string())
        .collect();
    let refs: Vec<&str> = words.iter().map(String::as_str).collect();
    let again = lockstep(&refs);
    assert_eq!(again.stdout, out.stdout);
}

/// Same verdicts, state counts and counterexamples with one, two or three threads (three on a
/// two-core machine: threads preempted in the middle of a growth of the shared table).
#[test]
fn thread_count_changes_nothing_but_speed() {
    let strip = |s: &str| -> String {
        s.lines()
            .filter(|l| !l.contains("elapsed_ms"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    for path in [OPEN, "scenarios/bench/reclaim-4.toml"] {
        let one = lockstep(&["check", path, "--json", "--threads", "1"]);
        assert_eq!(one.code, 0);
        for threads in ["2", "3"] {
            let more = lockstep(&["check", path, "--json", "--threads", threads]);
            assert_eq!(strip(&one.stdout), strip(&more.stdout), "{path} x{threads}");
        }
        // Sleep sets change neither, with one thread or two.
        for threads in ["1", "2"] {
            let reduced = lockstep(&[
                "check",
                path,
                "--json",
                "--threads",
                threads,
                "--sleep-sets",
            ]);
            assert_eq!(
                strip(&one.stdout),
                strip(&reduced.stdout),
                "{path} --sleep-sets x{threads}"
            );
        }
    }
}

/// Two shards, merged, give the unsharded verdicts.
#[test]
fn shards_merge_into_the_unsharded_verdicts() {
    let dir = std::path::PathBuf::from(crate::support::tempdir());
    std::fs::create_dir_all(&dir).unwrap();
    let mut files = Vec::new();
    for i in 1..=2 {
        let out = lockstep(&[
            "check",
            OPEN,
            "scenarios/bench/reclaim-4.toml",
            "--json",
            "--shard",
            &format!("{i}/2"),
        ]);
        let f = dir.join(format!("shard{i}.json"));
        std::fs::write(&f, &out.stdout).unwrap();
        files.push(f.to_string_lossy().to_string());
    }
    let merged = lockstep(&["merge", &files[0], &files[1], "--json"]);
    assert_eq!(merged.code, 0, "{}", merged.stdout);
    let whole = lockstep(&["check", OPEN, "scenarios/bench/reclaim-4.toml", "--json"]);
    let w = verdicts(&whole.stdout);
    let m = verdicts(&merged.stdout);
    for (s, v, d, _) in &w {
        assert!(
            m.iter()
                .any(|(s2, v2, d2, _)| s2 == s && v2 == v && d2 == d),
            "{s} {v}: {d} vs {m:?}"
        );
    }
    // Random runs split by index never overlap: the shards' run counts add up.
    let r1 = lockstep(&[
        "check",
        OPEN,
        "--json",
        "--strategy",
        "random",
        "--runs",
        "1000",
        "--shard",
        "1/2",
    ]);
    let r2 = lockstep(&[
        "check",
        OPEN,
        "--json",
        "--strategy",
        "random",
        "--runs",
        "1000",
        "--shard",
        "2/2",
    ]);
    let runs = |s: &str| -> u64 {
        let doc: serde_json::Value = serde_json::from_str(s).unwrap();
        doc["results"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["variant"] == "v4-gated-publish")
            .map(|r| r["schedules"].as_u64().unwrap())
            .sum()
    };
    assert_eq!(runs(&r1.stdout) + runs(&r2.stdout), 1000);
}

#[test]
fn junit_and_budgets() {
    let dir = std::path::PathBuf::from(crate::support::tempdir());
    std::fs::create_dir_all(&dir).unwrap();
    let f = dir.join("r.xml");
    let out = lockstep(&[
        "check",
        "scenarios/init-lock/clobber.toml",
        "--junit",
        f.to_str().unwrap(),
    ]);
    assert_eq!(out.code, 0);
    let xml = std::fs::read_to_string(&f).unwrap();
    assert_eq!(xml.matches("<testcase").count(), 4, "{xml}");
    assert!(!xml.contains("<failure"));
    // A budget too small for a proof is inconclusive, never a pass: exit 1 against `holds`.
    let out = lockstep(&["check", OPEN, "--states-max", "1000"]);
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert!(
        out.stdout.contains("inconclusive:states-max"),
        "{}",
        out.stdout
    );
}

/// `bench` measures a workload's one- and two-thread rows together and reports the speed-up
/// on the two-thread row only; both rows count the same states.
#[test]
fn bench_reports_the_two_thread_speedup() {
    let out = lockstep(&[
        "bench",
        "--only",
        "reclaim-3.toml exhaustive, symmetry,",
        "--repeat",
        "3",
        "--min-time",
        "0",
        "--json",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let rows: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let rows = rows.as_array().unwrap();
    let mode = |r: &serde_json::Value| r["mode"].as_str().unwrap().to_string();
    let one = rows
        .iter()
        .find(|r| mode(r).ends_with("symmetry, 1 thread"))
        .unwrap();
    let two = rows
        .iter()
        .find(|r| mode(r).ends_with("symmetry, 2 threads"))
        .unwrap();
    assert!(one.get("speedup").is_none());
    assert!(two["speedup"].as_f64().unwrap() > 0.0);
    assert_eq!(one["states"], two["states"]);
    // Each row reports its best and median time over the runs it made (at least --repeat).
    for r in [one, two] {
        assert!(r["timed_runs"].as_u64().unwrap() >= 3);
        assert!(r["seconds"].as_f64().unwrap() <= r["median_seconds"].as_f64().unwrap());
    }
}

/// An impossible `--min-time` is refused with a usage error, not run with a silent default.
#[test]
fn bench_refuses_a_negative_min_time() {
    let out = lockstep(&["bench", "--min-time=-1", "--only", "nothing"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("--min-time"), "{}", out.stderr);
}
