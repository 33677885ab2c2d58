//! Fuzzing the scenario loader and what runs behind it: the shipped scenario files, mutated at
//! the text level (the protocol fuzzer's edits) and at the TOML level (a value replaced by one
//! from a list of troublemakers: zero, negative, huge, wrong types, billion-value ranges), are
//! loaded and explored with tiny budgets. No input may panic (an exit 3), every error must
//! point inside the file it names, and no exploration may run past its budgets: the states it
//! reports stay within the budget's granularity, and a wall-clock watchdog that would stop a
//! run that hangs is never needed.
//!
//! `cargo test` runs [`QUICK`] inputs; the ignored `fuzz_scenario_files_million` runs a
//! million (`cargo test --release --test gate -- --ignored
//! fuzz_scenario_files_million`); `.ci/run` runs `fuzz_scenario_files_ci`. Inputs that ever
//! broke these properties are kept under `tests/bad/` (they must fail to load with a located
//! error) and checked by the gate.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed, TestRunner};

use lockstep::models;
use lockstep::scenario::{ScenarioError, Source};

use crate::support;
use support::mutate::{apply, fuzz_chunks, mutation, panic_message, Mutation};

/// Inputs per `cargo test` run.
const QUICK: u32 = 2_000;

/// What the text mutations insert: TOML's own tokens and the scenario format's words.
const SNIPPETS: &[&str] = &[
    "[",
    "]",
    "[[",
    "]]",
    "{",
    "}",
    "=",
    ",",
    "\"",
    "'",
    "#",
    "\n",
    ".",
    "-",
    "+",
    "0",
    "-1",
    "1e9",
    "nan",
    "inf",
    "true",
    "99999999999999999999",
    "9223372036854775807",
    "[[actor]]",
    "[params]",
    "[faults]",
    "[check]",
    "[explore]",
    "[expect]",
    "name = \"X\"",
    "arrive_ms = 0",
    "arrive_ms = [0, 5]",
    "cancel_at_ms = 1",
    "strategy = \"exhaustive\"",
    "strategy = \"random\"",
    "strategy = \"pct\"",
    "strategy = \"replay\"",
    "schedule = \"0*3\"",
    "runs = 0",
    "states_max = 1",
    "memory_max = \"1KB\"",
    "memory_max = \"x\"",
    "invariants = []",
    "v1-reclaim = \"holds\"",
    "protocol = \"init-lock\"",
    "protocol = \"nope\"",
    "{ from = 0, to = 1000000000, step = 1 }",
    "{ from = 5, to = 0, step = 1 }",
];

/// Values the TOML-level mutation puts in place of an existing one.
const VALUES: &[&str] = &[
    "0",
    "-1",
    "1",
    "1e300",
    "9223372036854775807",
    "-9223372036854775808",
    "1.5",
    "\"\"",
    "\"x\"",
    "true",
    "[]",
    "[0, 1, 2]",
    "[\"a\", \"a\"]",
    "{}",
    "{ from = 0, to = 1000000000, step = 1 }",
    "{ from = 0, to = 9223372036854775807, step = 1 }",
    "{ from = 0, to = 10, step = 0 }",
    "{ from = 10, to = 0, step = 1 }",
    "[{ from = 0, to = 100, step = 1 }, { from = 0, to = 100, step = 1 }]",
    "1979-05-27",
];

/// The budgets every exploration gets. The exhaustive search checks its state budget every
/// 0x1000 new states per thread, so that is the reported count's slack.
const STATES_MAX: u64 = 300;
const STATES_SLACK: u64 = 0x2000;

/// The shipped scenario files and examples (paths kept, so protocol files resolve).
fn seeds() -> Vec<Source> {
    let root = env!("CARGO_MANIFEST_DIR");
    let mut files = Vec::new();
    for dir in [
        "scenarios",
        "proofs",
        "examples",
        "tests/unfired",
        "tests/reach",
    ] {
        collect(&std::path::Path::new(root).join(dir), &mut files);
    }
    files.sort();
    files
        .into_iter()
        .map(|p| Source::read(&p.to_string_lossy()).expect("a shipped scenario"))
        .collect()
}

fn collect(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).expect("a folder").flatten() {
        let p = e.path();
        if p.is_dir() {
            collect(&p, out);
        } else if p.extension().is_some_and(|x| x == "toml") {
            out.push(p);
        }
    }
}

/// Replaces the `at`-th value of the document (in document order) by `VALUES[value]`; a file
/// that is not TOML is left as it is (the text mutations cover it).
fn replace_value(text: &str, at: usize, value: usize) -> String {
    let Ok(mut doc) = text.parse::<toml_edit::DocumentMut>() else {
        return text.to_string();
    };
    let mut seen = 0;
    let target = at % count_values(doc.as_item()).max(1);
    let replacement: toml_edit::Item = format!("v = {}", VALUES[value])
        .parse::<toml_edit::DocumentMut>()
        .expect("a valid value")["v"]
        .clone();
    visit_values(doc.as_item_mut(), &mut |item| {
        if seen == target {
            *item = replacement.clone();
        }
        seen += 1;
    });
    doc.to_string()
}

fn count_values(item: &toml_edit::Item) -> usize {
    match item {
        toml_edit::Item::Table(t) => t.iter().map(|(_, v)| count_values(v)).sum(),
        toml_edit::Item::ArrayOfTables(a) => a
            .iter()
            .map(|t| t.iter().map(|(_, v)| count_values(v)).sum::<usize>())
            .sum(),
        toml_edit::Item::Value(_) => 1,
        toml_edit::Item::None => 0,
    }
}

fn visit_values(item: &mut toml_edit::Item, f: &mut dyn FnMut(&mut toml_edit::Item)) {
    match item {
        toml_edit::Item::Table(t) => t.iter_mut().for_each(|(_, v)| visit_values(v, f)),
        toml_edit::Item::ArrayOfTables(a) => a
            .iter_mut()
            .for_each(|t| t.iter_mut().for_each(|(_, v)| visit_values(v, f))),
        toml_edit::Item::Value(_) => f(item),
        toml_edit::Item::None => {}
    }
}

/// One input's edits: text mutations, or a TOML value replaced.
#[derive(Clone, Debug)]
enum Edit {
    Text(Mutation),
    Value { at: usize, value: usize },
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        mutation(SNIPPETS.len()).prop_map(Edit::Text),
        (any::<usize>(), 0..VALUES.len()).prop_map(|(at, value)| Edit::Value { at, value }),
    ]
}

/// What every input must satisfy (see the module docs).
fn check_input(src: &Source, variants: usize) -> Result<(), String> {
    match std::panic::catch_unwind(|| examine(src, variants)) {
        Ok(r) => r,
        Err(p) => Err(format!("panicked: {}", panic_message(p.as_ref()))),
    }
}

fn located(e: &ScenarioError, src: &Source) -> Result<(), String> {
    if e.message.trim().is_empty() {
        return Err("an error without a message".to_string());
    }
    if e.path == src.path
        && let Some(span) = &e.span
        && (span.end > src.text.len() || span.start > span.end)
    {
        return Err(format!(
            "span {span:?} outside a file of {} bytes",
            src.text.len()
        ));
    }
    Ok(())
}

/// Loads the input and explores up to `variants` of its variants with tiny budgets.
fn examine(src: &Source, variants: usize) -> Result<(), String> {
    let loaded = match models::load(src) {
        Err(e) => return located(&e, src),
        Ok(l) => l,
    };
    LOADED.fetch_add(1, Ordering::Relaxed);
    let meta = loaded.meta();
    let names: Vec<&str> = if meta.expect.is_empty() {
        loaded.variants().iter().map(|v| v.name).collect()
    } else {
        meta.expect.iter().map(|(v, _)| *v).collect()
    };
    for variant in names.into_iter().take(variants) {
        let mut plan = meta.plan.clone();
        let watchdog = Watchdog::start(&mut plan, 20);
        plan.config.states_max = plan.config.states_max.min(STATES_MAX);
        plan.config.runs = plan.config.runs.min(3);
        plan.config.steps_max = plan.config.steps_max.min(2_000);
        plan.config.probe_runs = plan.config.probe_runs.min(2);
        plan.config.shrink_runs_max = plan.config.shrink_runs_max.min(20);
        plan.config.shrink_states_max = plan.config.shrink_states_max.min(STATES_MAX);
        plan.config.memory_max = plan.config.memory_max.min(64 << 20);
        plan.config.threads = 1;
        let outcome = match loaded.explore_plan(variant, &plan) {
            Ok(o) => o,
            // The bridge refuses what it cannot run, as `check` does before anything runs.
            Err(_) => continue,
        };
        if watchdog.fired() {
            return Err(format!("{variant}: ran past the 20 s watchdog"));
        }
        if outcome.report.states > STATES_MAX + STATES_SLACK {
            return Err(format!(
                "{variant}: {} states past a budget of {STATES_MAX}",
                outcome.report.states
            ));
        }
    }
    Ok(())
}

/// Inputs that loaded (and were explored), for the closing line of a run.
static LOADED: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Raises the plan's stop flag after `secs` seconds, unless dropped first.
struct Watchdog {
    flag: Arc<AtomicBool>,
    done: Arc<AtomicBool>,
}

impl Watchdog {
    fn start(plan: &mut lockstep::scenario::Plan, secs: u64) -> Watchdog {
        let flag = Arc::new(AtomicBool::new(false));
        let done = Arc::new(AtomicBool::new(false));
        plan.config.stop = Some(flag.clone());
        let (f, d) = (flag.clone(), done.clone());
        std::thread::spawn(move || {
            for _ in 0..secs * 10 {
                std::thread::sleep(std::time::Duration::from_millis(100));
                if d.load(Ordering::Relaxed) {
                    return;
                }
            }
            f.store(true, Ordering::Relaxed);
        });
        Watchdog { flag, done }
    }

    fn fired(&self) -> bool {
        self.flag.load(Ordering::Relaxed)
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        self.done.store(true, Ordering::Relaxed);
    }
}

/// Runs `cases` generated inputs from a fixed seed (a failure reproduces with the same seed).
fn fuzz(cases: u32, seed: u64) {
    let seeds = seeds();
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        rng_seed: RngSeed::Fixed(seed),
        ..Config::default()
    });
    let strategy = (
        0..seeds.len(),
        prop::collection::vec(edit(), 1..4),
        1usize..3,
    );
    runner
        .run(&strategy, |(seed, edits, variants)| {
            let mut text = seeds[seed].text.clone();
            for e in &edits {
                text = match e {
                    Edit::Text(m) => apply(&text, m, SNIPPETS),
                    Edit::Value { at, value } => replace_value(&text, *at, *value),
                };
            }
            let src = Source::new(seeds[seed].path.clone(), text);
            check_input(&src, variants)
                .map_err(|e| TestCaseError::fail(format!("{e}\n--- {}:\n{}", src.path, src.text)))
        })
        .unwrap();
    eprintln!(
        "{cases} inputs from seed {seed}: {} loaded and explored so far in this process",
        LOADED.load(Ordering::Relaxed)
    );
}

#[test]
fn fuzz_scenario_files() {
    fuzz(QUICK, 1);
}

/// The shipped files themselves pass, with every variant.
#[test]
fn shipped_scenarios_pass_the_fuzzers_checks() {
    for src in seeds() {
        check_input(&src, usize::MAX).unwrap_or_else(|e| panic!("{}: {e}", src.path));
    }
}

/// The stated million, in 20 chunks of 50,000 from seeds 1 to 20 (progress on stderr with
/// `--nocapture`).
#[test]
#[ignore = "the stated million: run on purpose, not in CI"]
fn fuzz_scenario_files_million() {
    fuzz_chunks(1..=20, fuzz);
}

/// What `.ci/run` runs: 50,000 inputs from a seed the million does not use.
#[test]
#[ignore = "long set: .ci/run runs it (cargo test --test gate -- --ignored --skip million --skip by_hand)"]
fn fuzz_scenario_files_ci() {
    fuzz_chunks(21..=21, fuzz);
}
