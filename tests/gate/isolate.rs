//! The isolate protocol (workerd's `abortIsolate()`): every scenario's expectations, the
//! stories its timelines tell, the init lock running inside it through the kernel's
//! composition, and bad input.

use crate::support;

use std::fmt;

use lockstep::models::isolate::{self, build, build_with_init_lock, parse_scenario, Version};
use lockstep::protocol::LoadedScenario;
use lockstep::scenario::{Source, Verdict};
use lockstep_sim::{Model, Narrator};

use support::lockstep;

fn isolate_files() -> Vec<String> {
    std::env::set_current_dir(env!("CARGO_MANIFEST_DIR")).unwrap();
    let mut files = lockstep::cli::collect_files(&[
        "scenarios/isolate".to_string(),
        "scenarios/canary".to_string(),
    ])
    .unwrap();
    files.retain(|f| {
        f.starts_with("scenarios/isolate/") || f.starts_with("scenarios/canary/isolate-")
    });
    files
}

fn load(path: &str) -> Box<dyn LoadedScenario> {
    let src = Source::read(path).unwrap();
    lockstep::models::load(&src).unwrap_or_else(|e| panic!("{}", e.render()))
}

#[test]
fn every_isolate_scenario_meets_its_expectations() {
    let files = isolate_files();
    assert!(
        files.len() >= 11,
        "scenarios/isolate went missing? {files:?}"
    );
    let mut failures = Vec::new();
    let mut table = String::new();
    for f in &files {
        let l = load(f);
        let meta = l.meta();
        assert_eq!(meta.protocol, "isolate", "{f}");
        for (variant, expected) in &meta.expect {
            let out = l.explore(variant, &meta.plan);
            table.push_str(&format!(
                "{f} [{variant}]: {} ({} states)\n",
                out.verdict, out.report.states
            ));
            if out.verdict != *expected {
                failures.push(format!(
                    "{f} [{variant}]: got {}, expected {expected}",
                    out.verdict
                ));
            }
            // A counterexample replays to the same verdict, and the timeline shows the
            // isolate's generations and epochs.
            if let Some(c) = &out.counterexample {
                assert_eq!(c.verdict, out.verdict);
                let last = &c.rows.last().expect("a counterexample has rows").state;
                assert!(
                    last.contains("live:")
                        && (last.contains("epoch=") || last == "process gone | live: none"),
                    "{f} [{variant}]: {last}"
                );
            }
        }
    }
    assert!(
        failures.is_empty(),
        "verdicts differ:\n{}",
        failures.join("\n")
    );
    // Every non-canary variant appears somewhere, and every isolate invariant is checked.
    for v in lockstep::models::find("isolate").unwrap().variants() {
        assert!(
            table.contains(&format!("[{}]", v.name)),
            "no scenario runs {}",
            v.name
        );
    }
    let _ = isolate::Factory::Ok;
}

/// The expectations the issue names, exactly.
#[test]
fn the_named_scenarios_expect_what_the_issue_says() {
    let cases = [
        (
            "scenarios/isolate/websocket-churn.toml",
            "w1-condemn",
            "violated:bounded-generations",
        ),
        (
            "scenarios/isolate/websocket-churn.toml",
            "w2-abort-all",
            "holds",
        ),
        (
            "scenarios/isolate/factory-throws-once.toml",
            "w2-abort-all",
            "holds",
        ),
        (
            "scenarios/isolate/factory-throws-once.toml",
            "w2-reset-flag-first",
            "violated:fresh-generation",
        ),
        (
            "scenarios/isolate/dynamic-outstanding.toml",
            "w3-shipped",
            "violated:aborted-fail",
        ),
        (
            "scenarios/isolate/dynamic-outstanding.toml",
            "w2-abort-all",
            "holds",
        ),
        (
            "scenarios/isolate/poisoned-init-recovery.toml",
            "w2-abort-all",
            "holds",
        ),
        (
            "scenarios/isolate/poisoned-init-recovery.toml",
            "w0-none",
            "violated:bounded-wait",
        ),
    ];
    for (f, variant, want) in cases {
        let l = load(f);
        let meta = l.meta();
        let (_, e) = meta
            .expect
            .iter()
            .find(|(v, _)| *v == variant)
            .unwrap_or_else(|| panic!("{f} has no expectation for {variant}"));
        assert_eq!(e.to_string(), want, "{f} [{variant}]");
        assert_eq!(
            meta.plan.strategy,
            lockstep_sim::Strategy::Exhaustive,
            "{f}"
        );
        assert_eq!(
            l.explore(variant, &meta.plan).verdict.to_string(),
            want,
            "{f} [{variant}]"
        );
    }
    let checked =
        |f: &str| -> Vec<&'static str> { load(f).meta().invariants.iter().map(|p| p.id).collect() };
    assert!(checked("scenarios/isolate/websocket-churn.toml").contains(&"bounded-generations"));
    let c = checked("scenarios/isolate/factory-throws-once.toml");
    assert!(c.contains(&"fresh-generation") && c.contains(&"recovers"));
    assert!(checked("scenarios/isolate/dynamic-outstanding.toml").contains(&"aborted-fail"));
}

/// Collects what a model says about each step.
#[derive(Default)]
struct Text(String);

impl Narrator for Text {
    const ON: bool = true;
    fn say(&mut self, args: fmt::Arguments<'_>) {
        if !self.0.is_empty() {
            self.0.push_str("; ");
        }
        self.0.push_str(&args.to_string());
    }
    fn routine(&mut self) {}
}

/// The scenario's own timeline (first urgent move, else let time pass), one line per move:
/// `time actor label: text | state`. Also returns the verdict index at the end, if any.
fn script<M: Model>(m: &M) -> (Vec<String>, Option<u8>) {
    let mut s = m.initial();
    let mut rows = Vec::new();
    let mut moves = Vec::new();
    let n = m.properties().len() as u8;
    for _ in 0..100_000 {
        if let Some(p) = m.violated(&s, n, false) {
            return (rows, Some(p));
        }
        moves.clear();
        let urgent = m.moves(&s, &mut moves);
        if urgent > 0 {
            let mv = moves[0];
            let (t, label) = (m.now(&s), m.move_label(&s, mv));
            let mut text = Text::default();
            m.apply(&mut s, mv, &mut text);
            rows.push(format!(
                "{t} {} {label}: {} | {}",
                m.actor_name(m.actor_of(mv)),
                text.0,
                m.render_state(&s)
            ));
        } else if let Some(t) = m.next_wake(&s) {
            m.advance(&mut s, t);
        } else {
            return (rows, m.violated(&s, n, true));
        }
    }
    panic!("the script did not end");
}

fn spec_of(path: &str) -> (lockstep::scenario::Meta, isolate::Spec) {
    let src = Source::read(path).unwrap();
    parse_scenario(&src).unwrap_or_else(|e| panic!("{}", e.render()))
}

fn find<'a>(rows: &'a [String], needle: &str) -> &'a str {
    rows.iter()
        .find(|r| r.contains(needle))
        .unwrap_or_else(|| panic!("no step says `{needle}`:\n{}", rows.join("\n")))
}

/// The PR's tests as a timeline: the counter counts 1, 2; the abort fails its own request and
/// closes the WebSocket; the next request counts 1 on generation 2.
#[test]
fn the_prs_test_story_under_abort_all() {
    let (meta, spec) = spec_of("scenarios/isolate/abort-all.toml");
    let m = build(&spec, Version::W2AbortAll, &meta.invariants);
    let (rows, verdict) = script(&m);
    assert_eq!(verdict, None, "{}", rows.join("\n"));
    assert!(find(&rows, "0 R1 handler").contains("module counter = 1"));
    assert!(find(&rows, "10 R2 handler").contains("module counter = 2"));
    let abort = find(&rows, "R3 calls abortIsolate()");
    assert!(
        abort.contains("flag = true; epoch 1 rejected; epoch 2 begins"),
        "{abort}"
    );
    assert!(abort.contains("rejected={1}"), "{abort}");
    let ws = find(&rows, "WS abort delivered");
    assert!(ws.contains("the WebSocket is closed"), "{ws}");
    let r4 = find(&rows, "R4 arrive");
    assert!(r4.contains("factory() builds generation 2"), "{r4}");
    assert!(r4.contains("generation 1 freed"), "{r4}");
    assert!(find(&rows, "R4 handler").contains("generation 2: module counter = 1"));
}

/// The cross-seed story: the abort fails the waiter stuck on generation 1's poisoned flag,
/// and the next request initialises on generation 2's fresh lock.
#[test]
fn abort_all_recovers_a_poisoned_init_lock() {
    let (meta, spec) = spec_of("scenarios/isolate/poisoned-init-recovery.toml");
    let m = build_with_init_lock(&spec, Version::W2AbortAll, &meta.invariants);
    let (rows, verdict) = script(&m);
    assert_eq!(verdict, None, "{}", rows.join("\n"));
    let cancel = find(&rows, "2000 R1 cancel");
    assert!(cancel.contains("finally never runs"), "{cancel}");
    assert!(cancel.contains("lock: flag=true"), "{cancel}");
    let r2 = find(&rows, "30000 R2 abort delivered");
    assert!(r2.contains("the request fails"), "{r2}");
    let r4 = find(&rows, "31000 R4 handler");
    assert!(r4.contains("generation 2"), "{r4}");
    // A fresh lock: generation 2's module state starts with the flag unset.
    assert!(
        r4.contains("lock free; claims: sets the runtime flag"),
        "{r4}"
    );
    let done = find(&rows, "36000 R4 init settles [gen 2]");
    assert!(done.contains("getRuntime() returned; 200 OK"), "{done}");

    // Without an abort (W-V0: no such function), R2 and R4 poll generation 1's stuck flag.
    let m = build_with_init_lock(&spec, Version::W0None, &meta.invariants);
    let (rows, verdict) = script(&m);
    assert_eq!(verdict, Some(0), "bounded-wait");
    assert!(find(&rows, "R3 calls abortIsolate()").contains("TypeError"));
    assert!(!rows.iter().any(|r| r.contains("generation 2")));
}

/// The init lock run inside an isolate is the init lock: with no abort, one generation's
/// lock gives the verdicts the init lock gives alone, variant by variant (A0's cancellation).
#[test]
fn the_nested_init_lock_agrees_with_the_init_lock_alone() {
    let alone = load("scenarios/init-lock/cancel.toml");
    let checks = r#"["bounded-wait", "max-inits", "gated-publish"]"#;
    for v in [
        "v0-flag",
        "v1-reclaim",
        "v2-anchored",
        "v3-gen-release",
        "v4-gated-publish",
    ] {
        let text = format!(
            r#"
protocol = "isolate"
[params]
init_lock = "{v}"
[[actor]]
name = "A"
arrive_ms = 0
init = true
init_ms = 5000
cancel_at_ms = 2000
[[actor]]
name = "B"
arrive_ms = 1000
init = true
init_ms = 5000
[[actor]]
name = "C"
arrive_ms = 3000
init = true
init_ms = 5000
[check]
invariants = {checks}
[explore]
strategy = "exhaustive"
[expect]
w2-abort-all = "holds"
"#
        );
        let src = Source::new(format!("nested-{v}.toml"), text);
        let nested = lockstep::models::load(&src).unwrap_or_else(|e| panic!("{}", e.render()));
        let a = alone.explore(v, &alone.meta().plan);
        let b = nested.explore("w2-abort-all", &nested.meta().plan);
        assert_eq!(
            a.verdict, b.verdict,
            "init lock {v}: alone vs inside an isolate"
        );
        if let Some(c) = &b.counterexample {
            assert!(
                c.explanation
                    .as_deref()
                    .unwrap_or("")
                    .starts_with("in generation 1's init lock:"),
                "{:?}",
                c.explanation
            );
        }
    }
}

/// Each generation gets its own lock: a second generation's guest world starts dormant and
/// is dropped when the generation is freed.
#[test]
fn a_fresh_generation_gets_a_fresh_guest_and_a_freed_one_loses_it() {
    let (meta, spec) = spec_of("scenarios/isolate/poisoned-init-recovery.toml");
    let m = build_with_init_lock(&spec, Version::W2AbortAll, &meta.invariants);
    let (rows, _) = script(&m);
    let r4 = find(&rows, "31000 R4 arrive");
    // Generation 1 is freed when R4's startRequest builds generation 2: one lock left.
    assert!(r4.contains("generation 1 freed"), "{r4}");
    assert_eq!(r4.matches("lock:").count(), 1, "{r4}");
    assert!(
        r4.contains("g2[counter=0 reqs=R4 lock: flag=false cache=- inits=0"),
        "{r4}"
    );
}

#[test]
fn exploring_twice_gives_the_same_counts() {
    for f in isolate_files() {
        let l = load(&f);
        for (variant, _) in &l.meta().expect {
            let a = l.explore(variant, &l.meta().plan);
            let b = l.explore(variant, &l.meta().plan);
            assert_eq!(
                (
                    a.verdict,
                    a.report.states,
                    a.report.schedules,
                    a.report.steps
                ),
                (
                    b.verdict,
                    b.report.states,
                    b.report.schedules,
                    b.report.steps
                ),
                "{f} [{variant}]"
            );
        }
    }
}

#[test]
fn canary_variants_fail_their_scenario() {
    let l = load("scenarios/canary/isolate-reset-before-reject.toml");
    let meta = l.meta();
    let canary = lockstep::models::find("isolate")
        .unwrap()
        .variants()
        .iter()
        .find(|v| v.canary)
        .unwrap();
    let (_, e) = meta.expect.iter().find(|(v, _)| *v == canary.name).unwrap();
    assert!(matches!(e, Verdict::Violated("aborted-fail")));
    assert_eq!(
        l.explore(canary.name, &meta.plan).verdict,
        Verdict::Violated("aborted-fail")
    );
}

#[test]
fn list_shows_the_isolate_protocol() {
    let out = lockstep(&["list"]);
    assert_eq!(out.code, 0);
    let at = out.stdout.find("isolate: ").expect("isolate listed");
    let section = &out.stdout[at..];
    for v in [
        "w0-none",
        "w1-condemn",
        "w2-abort-all",
        "w2-reset-flag-first",
        "w3-shipped",
        "canary-reset-before-reject [canary]",
    ] {
        assert!(section.contains(v), "{v}");
    }
    for i in [
        "aborted-fail",
        "fresh-generation",
        "bounded-generations",
        "recovers",
        "same-config",
        "bounded-wait",
    ] {
        assert!(section.contains(i), "{i}");
    }
}

/// Malformed isolate scenarios: a located error, never a panic.
#[test]
fn bad_isolate_input_gets_located_errors() {
    const HEAD: &str = "protocol = \"isolate\"\n";
    const TAIL: &str =
        "[check]\ninvariants = [\"fresh-generation\"]\n[expect]\nw2-abort-all = \"holds\"\n";
    let actor = "[[actor]]\nname = \"R\"\narrive_ms = 0\n";
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "unknown-kind",
            format!("{HEAD}[[actor]]\nname = \"R\"\nkind = \"smtp\"\narrive_ms = 0\n{TAIL}"),
            "unknown request kind `smtp`",
        ),
        (
            "unknown-factory",
            format!("{HEAD}[faults]\nfactory = [\"ok\", \"explodes\"]\n{actor}{TAIL}"),
            "unknown factory outcome `explodes`",
        ),
        (
            "unknown-worker",
            format!("{HEAD}[params]\nworker = \"durable\"\n{actor}{TAIL}"),
            "unknown worker kind `durable`",
        ),
        (
            "abort-after-response",
            format!("{HEAD}[[actor]]\nname = \"R\"\narrive_ms = 0\nwork_ms = 5\nabort_after_ms = 10\n{TAIL}"),
            "comes after the handler has responded",
        ),
        (
            "init-without-lock",
            format!("{HEAD}[[actor]]\nname = \"R\"\narrive_ms = 0\ninit = true\n{TAIL}"),
            "the module state holds none",
        ),
        (
            "init-invariant-without-lock",
            format!("{HEAD}{actor}[check]\ninvariants = [\"fresh-generation\", \"bounded-wait\"]\n[expect]\nw2-abort-all = \"holds\"\n"),
            "`bounded-wait` is an invariant of the init lock",
        ),
        (
            "unknown-init-lock-variant",
            format!("{HEAD}[params]\ninit_lock = \"v9\"\n{actor}{TAIL}"),
            "unknown init-lock variant `v9`",
        ),
        (
            "stray-init-key",
            format!("{HEAD}[params]\ninit_poll_ms = 50\n{actor}{TAIL}"),
            "`init_poll_ms` configures the init lock in module state",
        ),
        (
            "zero-generations",
            format!("{HEAD}[params]\nmax_generations = 0\n{actor}{TAIL}"),
            "`max_generations` = 0",
        ),
        (
            "unknown-feature",
            format!("{HEAD}[params]\nfeatures = [\"python\", \"cobol\"]\n{actor}{TAIL}"),
            "unknown feature `cobol`",
        ),
        (
            "init-ms-without-init",
            format!("{HEAD}[[actor]]\nname = \"R\"\narrive_ms = 0\ninit_ms = 5\n{TAIL}"),
            "`init_ms` only applies to a request that calls the init lock",
        ),
        (
            "unknown-key",
            format!("{HEAD}[[actor]]\nname = \"R\"\narrive_ms = 0\nabort_at_ms = 5\n{TAIL}"),
            "unknown field `abort_at_ms`",
        ),
        (
            "unknown-variant",
            format!("{HEAD}{actor}[check]\ninvariants = [\"recovers\"]\n[expect]\nw2-abort = \"holds\"\n"),
            "unknown variant `w2-abort` of protocol `isolate`",
        ),
    ];
    let mut all = String::new();
    for (name, text, want) in cases {
        let src = Source::new(format!("bad/{name}.toml"), text);
        let err = match lockstep::models::load(&src) {
            Ok(_) => panic!("{name}: loaded"),
            Err(e) => e,
        };
        let rendered = err.render();
        assert!(err.message.contains(want), "{name}: {rendered}");
        assert!(
            err.location().starts_with(&format!("bad/{name}.toml:")),
            "{name}: no line:col in {}",
            err.location()
        );
        all.push_str(&rendered);
        all.push('\n');
    }
    insta::assert_snapshot!("isolate_bad_input", all);
}

mod fuzz {
    use super::*;
    use proptest::prelude::*;

    #[derive(Debug, Clone)]
    struct ActorGen {
        kind: u8,
        arrive: Vec<u64>,
        work: Option<u64>,
        abort_after: Option<u64>,
        cancel: Option<u64>,
        init: bool,
        init_ms: u64,
    }

    fn actor() -> impl Strategy<Value = ActorGen> {
        (
            0u8..3,
            prop::collection::btree_set(0u64..8, 1..3),
            prop::option::of(0u64..6),
            prop::option::of(0u64..4),
            prop::option::of(0u64..8),
            any::<bool>(),
            0u64..4,
        )
            .prop_map(|(kind, arrive, work, abort_after, cancel, init, init_ms)| {
                ActorGen {
                    kind,
                    arrive: arrive.into_iter().map(|t| t * 5).collect(),
                    work: work.map(|w| w * 5),
                    abort_after: abort_after.map(|a| a * 5),
                    cancel: cancel.map(|c| c * 5),
                    init,
                    init_ms: init_ms * 100,
                }
            })
    }

    fn text(
        dynamic: bool,
        split: bool,
        factory: &[&str],
        init_lock: Option<&str>,
        actors: &[ActorGen],
        inv: &[&str],
    ) -> String {
        let mut t = String::from("protocol = \"isolate\"\n[params]\n");
        if dynamic {
            t.push_str("worker = \"dynamic\"\n");
        }
        if split {
            t.push_str("split_abort = true\n");
        }
        t.push_str("features = [\"python\", \"env\"]\n");
        if let Some(v) = init_lock {
            t.push_str(&format!(
                "init_lock = \"{v}\"\ninit_deadline_ms = 300\ninit_poll_ms = 100\ninit_max_wait_ms = 600\ninit_platform_wall_ms = 1000\n"
            ));
        }
        t.push_str(&format!("[faults]\nfactory = {factory:?}\n"));
        for (i, a) in actors.iter().enumerate() {
            t.push_str(&format!(
                "[[actor]]\nname = \"R{i}\"\nkind = \"{}\"\narrive_ms = {:?}\n",
                ["http", "websocket", "durable-object"][usize::from(a.kind)],
                a.arrive
            ));
            let init = a.init && init_lock.is_some();
            if init {
                t.push_str(&format!("init = true\ninit_ms = {}\n", a.init_ms));
            } else {
                // The handler must still run when it calls abortIsolate() (an HTTP request
                // without work_ms responds at once).
                let work = match (a.work, a.abort_after) {
                    (Some(w), Some(ab)) => Some(w.max(ab)),
                    (None, Some(ab)) if a.kind == 0 => Some(ab),
                    (w, _) => w,
                };
                if let Some(w) = work {
                    t.push_str(&format!("work_ms = {w}\n"));
                }
                if let Some(ab) = a.abort_after {
                    t.push_str(&format!("abort_after_ms = {ab}\n"));
                }
            }
            if let Some(c) = a.cancel {
                t.push_str(&format!("cancel_at_ms = {}\n", c.max(a.arrive[0])));
            }
        }
        t.push_str(&format!(
            "[check]\ninvariants = {inv:?}\n[explore]\nstrategy = \"exhaustive\"\nstates_max = 5000\n[expect]\n"
        ));
        for v in lockstep::models::find("isolate").unwrap().variants() {
            t.push_str(&format!("{} = \"holds\"\n", v.name));
        }
        t
    }

    proptest! {
        // A fixed seed: the same cases every run (no "loop until it fails").
        #![proptest_config(ProptestConfig {
            cases: 128,
            failure_persistence: None,
            rng_seed: proptest::test_runner::RngSeed::Fixed(6),
            ..ProptestConfig::default()
        })]

        /// Any well-formed scenario explores on every variant without a panic, and every
        /// counterexample replays to its verdict with a timeline (checked inside the engine).
        #[test]
        fn random_scenarios_explore_and_replay(
            dynamic in any::<bool>(),
            split in any::<bool>(),
            factory in prop::sample::subsequence(vec!["ok", "throws-once", "throws-always"], 1..3),
            init_lock in prop::option::of(prop::sample::select(vec!["v0-flag", "v1-reclaim", "v4-gated-publish"])),
            actors in prop::collection::vec(actor(), 1..5),
            own in prop::sample::select(vec!["aborted-fail", "fresh-generation", "bounded-generations", "recovers", "same-config"]),
            nested in prop::sample::select(vec!["bounded-wait", "max-inits", "max-active"]),
            pick_nested in any::<bool>(),
        ) {
            // One invariant per case: with several, the exhaustive explorer may report an
            // earlier-listed violation through a world that violates a later-listed one, which
            // replay then stops at (a kernel issue, see `a_counterexample_through_a_violating_world`).
            let inv = if pick_nested && init_lock.is_some() { nested } else { own };
            let src = Source::new("fuzz.toml", text(dynamic, split, &factory, init_lock, &actors, &[inv]));
            let l = lockstep::models::load(&src).unwrap_or_else(|e| panic!("{}\n{}", e.render(), src.text));
            let meta = l.meta().clone();
            for (variant, _) in &meta.expect {
                // A bounded search per case: this checks robustness, not verdicts.
                let mut plan = meta.plan.clone();
                plan.config = plan.config.with_states_max(20_000).with_steps_max(20_000);
                plan.config.shrink_states_max = 20_000;
                let out = l.explore(variant, &plan);
                if let Some(c) = &out.counterexample {
                    prop_assert_eq!(&c.verdict, &out.verdict);
                    let again = l.replay(variant, &c.schedule, &plan).unwrap();
                    prop_assert_eq!(&again.rows, &c.rows);
                }
                let mut random = meta.plan.clone();
                random.strategy = lockstep_sim::Strategy::Random;
                random.config = random.config.with_runs(20).with_steps_max(5000);
                let _ = l.explore(variant, &random);
            }
        }
    }
}

/// The verdict order through a violating world: w2-reset-flag-first runs R1 on the aborted
/// generation (fresh-generation, listed second) and R1 then completes there (aborted-fail,
/// listed first). The verdict is the first-listed invariant any reachable world violates, so
/// it is aborted-fail, and its counterexample (which passes through the fresh-generation
/// violation) replays to the same verdict. (Once the explorer and the replay disagreed here:
/// the search looked past a later-listed violation and the replay stopped at it.)
#[test]
fn a_counterexample_through_a_violating_world() {
    let text = r#"
protocol = "isolate"
[faults]
factory = "throws-always"
[[actor]]
name = "R0"
arrive_ms = 0
abort_after_ms = 0
work_ms = 0
[[actor]]
name = "R1"
arrive_ms = 25
[[actor]]
name = "R2"
arrive_ms = 25
[check]
invariants = ["aborted-fail", "fresh-generation"]
[explore]
strategy = "exhaustive"
[expect]
w2-reset-flag-first = "violated:aborted-fail"
"#;
    let src = Source::new("kernel-issue.toml", text);
    let l = lockstep::models::load(&src).unwrap();
    let out = l.explore("w2-reset-flag-first", &l.meta().plan);
    assert_eq!(out.verdict, Verdict::Violated("aborted-fail"));
    let c = out.counterexample.expect("a counterexample");
    let again = l
        .replay("w2-reset-flag-first", &c.schedule, &l.meta().plan)
        .expect("the counterexample replays");
    assert_eq!(again.verdict, Verdict::Violated("aborted-fail"));
}

/// Symmetry between interchangeable requests: the same verdicts as the positional search, in
/// a fraction of its states (four interchangeable requests: 16,260 states positionally).
/// A request with a scripted cancellation is never merged, so every catalogue scenario's
/// count is unchanged (the gate pins them).
#[test]
fn interchangeable_requests_are_one_state_under_symmetry() {
    let file = "scenarios/isolate/interchangeable-requests.toml";
    let on = lockstep(&["check", "--json", file]);
    let off = lockstep(&["check", "--json", "--no-symmetry", file]);
    assert_eq!(on.code, 0, "{}", on.stderr);
    assert_eq!(off.code, 0, "{}", off.stderr);
    let rows = |o: &support::Output| -> Vec<(String, String, u64)> {
        let v: serde_json::Value = serde_json::from_str(&o.stdout).expect("JSON");
        v["results"]
            .as_array()
            .expect("results")
            .iter()
            .map(|r| {
                (
                    r["variant"].as_str().unwrap_or_default().to_string(),
                    r["verdict"].as_str().unwrap_or_default().to_string(),
                    r["states"].as_u64().unwrap_or(0),
                )
            })
            .collect()
    };
    let (on, off) = (rows(&on), rows(&off));
    assert_eq!(on.len(), 6);
    for (a, b) in on.iter().zip(&off) {
        assert_eq!((&a.0, &a.1), (&b.0, &b.1), "symmetry changes no verdict");
        if a.1 == "holds" {
            assert!(
                a.2 * 8 < b.2,
                "{}: {} states with symmetry, {} without",
                a.0,
                a.2,
                b.2
            );
        }
    }
    let w0 = on.iter().find(|r| r.0 == "w0-none").expect("w0-none");
    let w0_off = off.iter().find(|r| r.0 == "w0-none").expect("w0-none");
    assert_eq!((w0.2, w0_off.2), (1_412, 16_260));
}

/// The isolate file's reachability targets mean what the Rust model's do: `recreated` (a
/// mark) and `request-fails` (a `reachable` declaration: some request ends failed) are reached,
/// never reached or not found alike, variant by variant, on scenarios with aborts, factory
/// throws and a static process abort. (Scenarios whose module state holds the init lock are
/// not searched for targets on the file yet: `check` says so.)
#[test]
fn the_isolate_files_reachability_targets_agree_with_the_rust_model() {
    let dir = support::tempdir();
    let mut paths = Vec::new();
    for name in [
        "recreate-once",
        "abort-all",
        "factory-throws-once",
        "factory-throws-always",
        "reject-reset-window",
        "static-process-abort",
    ] {
        let text = std::fs::read_to_string(format!("scenarios/isolate/{name}.toml")).unwrap();
        let (head, expect) = text.split_once("[expect]").unwrap();
        let head = head.replace(
            "[check]\n",
            "[check]\nreachable = [\"recreated\", \"request-fails\"]\n",
        );
        let variants: String = expect
            .lines()
            .filter_map(|l| l.split_once(" = "))
            .map(|(v, _)| format!("{v} = \"holds\"\n"))
            .collect();
        let path = format!("{dir}/{name}.toml");
        std::fs::write(&path, format!("{head}[expect]\n{variants}")).unwrap();
        paths.push(path);
    }
    let statuses = |interpreted: bool| -> Vec<String> {
        let mut args = vec!["check", "--json"];
        args.extend(paths.iter().map(String::as_str));
        if interpreted {
            args.push("--interpreted");
        }
        let out = lockstep(&args);
        let doc: serde_json::Value = serde_json::from_str(&out.stdout).expect(&out.stderr);
        doc["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                let reached: Vec<String> = r["reachable"]
                    .as_array()
                    .expect("targets")
                    .iter()
                    .map(|t| format!("{}={}", t["target"], t["status"]))
                    .collect();
                format!("{} {} {}", r["name"], r["variant"], reached.join(" "))
            })
            .collect()
    };
    let file = statuses(true);
    assert_eq!(file.len(), 24, "{file:#?}");
    assert!(
        file.iter()
            .any(|r| r.contains("\"request-fails\"=\"never\"")),
        "w1-condemn never fails a request: {file:#?}"
    );
    let mut file_sorted = file.clone();
    file_sorted.sort();
    let mut rust = statuses(false);
    rust.sort();
    assert_eq!(file_sorted, rust);
    std::fs::remove_dir_all(&dir).unwrap();
}
