//! Fuzzing the protocol language's front end and machine: protocol files mutated at the text
//! and token level go through parse, check, lowering and a short exploration. No input may
//! panic; every error must point inside the file it names.
//!
//! `cargo test` runs [`QUICK`] inputs; the ignored `fuzz_protocol_files_million` runs a
//! million (`cargo test --release --test gate -- --ignored fuzz_protocol_files_million`,
//! about 6.5 minutes on one core of the 2-core machine); `.ci/run` runs 100,000 more
//! (`fuzz_protocol_files_ci`). Inputs that ever broke these properties
//! are kept under `tests/fuzz/` and replayed by every run: a step looping without an await (it
//! hung the checker), a quantifier's variable named like its list (it recursed forever).

use std::sync::Arc;

use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed, TestRunner};

use crate::support;
use support::mutate::{apply, fuzz_chunks, mutation, panic_message};

use lockstep::lang;
use lockstep_sim::machine::Machine;

/// Inputs per `cargo test` run.
const QUICK: u32 = 3_000;

/// Snippets the mutations insert: the language's tokens and fragments that reach its corners.
const SNIPPETS: &[&str] = &[
    "{",
    "}",
    "(",
    ")",
    "[",
    "]",
    ";",
    "\n",
    ",",
    ":",
    ".",
    "..",
    "!",
    "?",
    "|",
    "=",
    "==",
    "!=",
    "+",
    "-",
    "*",
    "/",
    "%",
    "&&",
    "||",
    "->",
    "=>",
    "'ok'",
    "'fail'",
    "none",
    "true",
    "self",
    "0",
    "1",
    "-1",
    "10ms",
    "15s",
    "2h",
    "99999999999999999999",
    "9223372036854775807",
    "\"",
    "'",
    "/*",
    "*/",
    "//",
    "///",
    "await yield()",
    "await sleep(1ms)",
    "await until true",
    "await work(5ms, 'hang')",
    "await work(1ms, 'throw-sync')",
    "ghost { }",
    "let x = 1",
    "x!",
    "r.live",
    "count(r: Request | true)",
    "all(l in 0..3 | true)",
    "if true {",
    "fn f() {",
    "fn g(x: int) -> int = x / 0",
    "mark m",
    "anchor()",
    "throw 'e'",
    "try { } finally { }",
    "match 1 { 1 => { } }",
    "loop { }",
    "while true { await yield() }",
    "for i in 0..2 { }",
    "return",
    "break",
    "[1, 2][5]",
    "none!",
    "variant v9 from v1 { }",
    "canary variant c from v1",
    "param p: int = 1",
    "shared s: [int; 3]",
    "const K = K",
    "type T = { a: T }",
    "assume false",
    "invariant i: false",
    "liveness l: when true by 0ms",
    "{ a: 1 }",
    "[0; 2000]",
    "int",
    "dur",
    "sym",
    "bool",
    "actor",
    "x: int?",
    "list[int; 3]",
    "map[sym, int; 2]",
    "list[int; 0]",
    "map[int, int?; 1]",
    ".push(1)",
    ".pop()",
    ".pop_front()",
    ".len()",
    ".clear()",
    ".put(1, 2)",
    ".get(1)",
    ".remove(1)",
    ".has('a')",
    ".contains(0)",
    "for x in xs { }",
    "for k, v in m { }",
    "all(x in xs | x > 0)",
    "count(k, v in m | v > 0)",
    "xs[0]",
    "m['a']",
    "m[1] = 2",
    "[]",
    "[1, 2, 3]",
];

/// Small files beside the shipped ones, so that many mutants get past the parser.
const SMALL: &[&str] = &[
    "protocol p\nplatform workerd\nshared n: int\nactor A() {\n    let c = n\n    await yield()\n    n = c + 1\n}\ninvariant ok: n <= 2\nvariant v1\n",
    "protocol q\nplatform workerd\nparam d: dur = 5ms\nshared s: { a: int, b: dur? }\nghost g: int\nactor W(t: dur = 1ms) {\n    try {\n        await work(t, 'fail')\n    } catch e {\n        s.a += 1\n    } finally {\n        ghost { g += 1 }\n    }\n    if s.b == none { s.b = now() + d }\n}\ninvariant small: g <= 3 && s.a <= 3\nliveness lv: for r: W when r.live && !r.done by 100ms\nvariant v1\nvariant v0 from v1 { const X = 1 }\n",
    "protocol c\nplatform node\nshared q: list[int; 3]\nshared m: map[sym, int; 2]\nactor A(i: int = 1) {\n    q.push(i)\n    await yield()\n    m['a'] = i\n    for k, v in m { m[k] = v + 1 }\n    let x = q.pop_front()\n    if x != none && m.has('a') { q.push(x! + m['a']) }\n    await sleep(1ms)\n    q.remove(i)\n}\ninvariant bound: all(x in q | x < 100) && count(k, v in m | v > 0) <= 2\nvariant v1\n",
    "protocol r\nplatform node\nshared xs: [int; 4]\nactor A(i: int = 0) {\n    for k in 0..4 {\n        xs[k] = xs[(k + i) % 4] + 1\n        await sleep(1ms)\n    }\n    match xs[0] { 0 => { return } _ => { throw 'odd' } }\n}\ninvariant bound: all(k in 0..4 | xs[k] < 100)\nvariant v1\n",
];

fn seeds() -> Vec<String> {
    let root = env!("CARGO_MANIFEST_DIR");
    let mut out: Vec<String> = SMALL.iter().map(|s| s.to_string()).collect();
    for f in [
        "protocols/init-lock.lstep",
        "examples/migration-lease/migration-lease.lstep",
        "examples/pidfile-lock/pidfile-lock.lstep",
        "tests/bad/protocols/good.lstep",
        "tests/bad/protocols/typo.lstep",
    ] {
        out.push(std::fs::read_to_string(format!("{root}/{f}")).expect("seed"));
    }
    out
}

/// What every input must satisfy: no panic, errors located inside the file, and a file that
/// loads lowers and explores (briefly) without panicking.
fn check_input(text: &str) -> Result<(), String> {
    let run = std::panic::catch_unwind(|| examine(text));
    match run {
        Ok(r) => r,
        Err(p) => Err(format!("panicked: {}", panic_message(p.as_ref()))),
    }
}

fn examine(text: &str) -> Result<(), String> {
    match lang::load("fuzz.lstep", text) {
        Err(e) => {
            if let Some(span) = &e.span
                && (span.end > text.len() || span.start > span.end)
            {
                return Err(format!(
                    "span {span:?} outside a file of {} bytes",
                    text.len()
                ));
            }
            if e.message.trim().is_empty() || e.render().is_empty() {
                return Err("an error without a message".to_string());
            }
            Ok(())
        }
        Ok(p) => {
            for v in &p.variants {
                let inst = lang::check_instantiation_for(&p);
                let program = match p.lower(&v.name, &inst) {
                    Ok(prog) => prog,
                    Err(d) if d.span.end <= text.len() => continue,
                    Err(d) => return Err(format!("lowering error outside the file: {d:?}")),
                };
                explore_briefly(program);
            }
            Ok(())
        }
    }
}

/// A few random runs and a small exhaustive search, with tight budgets.
fn explore_briefly(program: Arc<lockstep_sim::machine::Program>) {
    let m = Machine::new(program, true);
    let cfg = lockstep_sim::Config::default()
        .with_steps_max(300)
        .with_runs(3)
        .with_states_max(300)
        .with_time_ms_max(10_000)
        .with_probe_runs(2);
    let _ = lockstep_sim::check_random(&m, &cfg);
    let _ = lockstep_sim::check_exhaustive(&m, &cfg);
}

/// Runs `cases` generated inputs from a fixed seed (a failure reproduces with the same seed),
/// on a thread with the stack the command line gives lowering (`src/main.rs`).
fn fuzz(cases: u32, seed: u64) {
    let run = std::thread::Builder::new()
        .stack_size(256 << 20)
        .spawn(move || fuzz_here(cases, seed))
        .expect("a fuzzing thread");
    if let Err(p) = run.join() {
        std::panic::resume_unwind(p);
    }
}

fn fuzz_here(cases: u32, seed: u64) {
    let seeds = seeds();
    for f in regression_inputs() {
        check_input(&f).unwrap_or_else(|e| panic!("regression input: {e}"));
    }
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        rng_seed: RngSeed::Fixed(seed),
        ..Config::default()
    });
    let strategy = (
        0..seeds.len(),
        prop::collection::vec(mutation(SNIPPETS.len()), 1..5),
    );
    runner
        .run(&strategy, |(seed, muts)| {
            let mut text = seeds[seed].clone();
            for m in &muts {
                text = apply(&text, m, SNIPPETS);
            }
            check_input(&text).map_err(|e| TestCaseError::fail(format!("{e}\n--- input:\n{text}")))
        })
        .unwrap();
}

/// Inputs that once broke the properties (kept as regressions).
fn regression_inputs() -> Vec<String> {
    let dir = format!("{}/tests/fuzz", env!("CARGO_MANIFEST_DIR"));
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    files.sort();
    files
        .into_iter()
        .filter(|p| p.extension().is_some_and(|x| x == "lstep"))
        .map(|p| std::fs::read_to_string(p).expect("regression input"))
        .collect()
}

#[test]
fn fuzz_protocol_files() {
    fuzz(QUICK, 1);
}

/// The stated million, in 20 chunks of 50,000 from seeds 1 to 20 (progress on stderr with
/// `--nocapture`): about 6.5 minutes in release on one core.
#[test]
#[ignore = "the stated million: run on purpose, not in CI"]
fn fuzz_protocol_files_million() {
    fuzz_chunks(1..=20, fuzz);
}

/// What `.ci/run` runs: 100,000 inputs from seeds the million does not use (about 40 s).
#[test]
#[ignore = "long set: .ci/run runs it (cargo test --test gate -- --ignored --skip million --skip by_hand)"]
fn fuzz_protocol_files_ci() {
    fuzz_chunks(21..=22, fuzz);
}
