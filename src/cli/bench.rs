//! `lockstep bench [--json]`: fixed workloads, measured side by side in one run.
//!
//! Wall-clock time is measured here and only here; it never reaches a verdict, a trace or a
//! report. Figures worth comparing are ratios taken in the same run (symmetry on/off, one
//! thread/two).
//!
//! **The estimator.** Each row is run at least `--repeat` times *and* until its runs add up to
//! `--min-time` seconds (at most [`MAX_RUNS`] runs), and reports the best time and the median.
//! Why both: on a shared VM other tenants only ever add time to a run, so the best of many runs
//! is the estimate of what the code itself costs, and it needs *many* runs of a 2 ms search (a
//! fixed count of five left the best of a short row at the mercy of a busy minute: reclaim-3
//! measured 2.7 ms in one table and 1.9 ms in the next). The median says how much a typical run
//! paid on the same machine in the same minutes. Every run of a row must give the same verdict,
//! state, transition and run counts (the explorers are deterministic); a run that does not is a
//! harness bug, and the command fails with exit 3.

use std::time::Instant;

use serde::Serialize;

use crate::cli::common::usage_error;
use crate::cli::{EXIT_INTERNAL, EXIT_MISMATCH, EXIT_OK};
use crate::engine::Outcome;
use crate::models;
use crate::protocol::LoadedScenario;
use crate::report::thousands;
use crate::scenario::{Plan, Source};
use lockstep_sim::Strategy;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Print the measurements as JSON.
    #[arg(long)]
    pub json: bool,
    /// Fewest runs per measurement (the best time and the median are reported).
    #[arg(long, default_value_t = 3)]
    pub repeat: u32,
    /// Keep running a measurement until its runs add up to this many seconds (and at least
    /// `--repeat` runs): a short search needs many runs for its best time to mean anything.
    #[arg(long, default_value_t = 0.5, value_name = "SECONDS")]
    pub min_time: f64,
    /// Skip the slowest workload (reclaim-5 without symmetry reduction).
    #[arg(long)]
    pub quick: bool,
    /// Only the rows whose workload and mode contain this text (e.g. `reclaim-4`).
    #[arg(long)]
    pub only: Option<String>,
}

#[derive(Serialize)]
struct Row {
    workload: String,
    variant: String,
    mode: String,
    verdict: String,
    states: u64,
    /// Moves applied (successors generated) by the search: per state, what a reduction saves.
    transitions: u64,
    runs: u64,
    /// The best time of the measured runs.
    seconds: f64,
    /// The median time of the measured runs.
    median_seconds: f64,
    /// How many times the row was run.
    timed_runs: u32,
    /// `count` (states or runs) over the best time.
    per_second: f64,
    /// For a two-thread row: the one-thread row's time over this row's (measured in the same
    /// rounds, see [`measure_interleaved`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    speedup: Option<f64>,
    /// For a protocol-file row: its states per second over the Rust model's, measured in the
    /// same rounds.
    #[serde(skip_serializing_if = "Option::is_none")]
    vs_rust: Option<f64>,
}

impl Row {
    /// A measured row; `count` is what the per-second figure counts (none for a time to
    /// verdict).
    fn of(
        workload: &str,
        variant: &str,
        mode: &str,
        o: &Outcome,
        t: &Timing,
        count: Option<u64>,
    ) -> Row {
        Row {
            workload: workload.to_string(),
            variant: variant.to_string(),
            mode: mode.to_string(),
            verdict: o.verdict.to_string(),
            states: o.report.states,
            transitions: o.report.steps,
            runs: o.report.schedules,
            seconds: t.best,
            median_seconds: t.median,
            timed_runs: t.runs,
            per_second: count.map_or(0.0, |c| c as f64 / t.best.max(1e-9)),
            speedup: None,
            vs_rust: None,
        }
    }
}

fn load(path: &str) -> Result<Box<dyn LoadedScenario>, String> {
    load_as(path, false)
}

/// Loads a workload for its Rust model or (`interpreted`) for its shipped protocol file.
fn load_as(path: &str, interpreted: bool) -> Result<Box<dyn LoadedScenario>, String> {
    let src = Source::read(path).map_err(|e| e.to_string())?;
    models::load_as(&src, interpreted).map_err(|e| e.to_string())
}

/// How long to keep measuring a row (see the module docs).
#[derive(Clone, Copy)]
struct Budget {
    repeat: u32,
    min_secs: f64,
}

/// Most runs of one row, however short (a 20 µs search reaches `--min-time` only after
/// thousands).
const MAX_RUNS: usize = 2000;

impl Budget {
    fn done(&self, times: &[f64]) -> bool {
        let n = times.len();
        n >= self.repeat.max(1) as usize
            && (times.iter().sum::<f64>() >= self.min_secs || n >= MAX_RUNS)
    }
}

/// The measured runs of one row.
struct Timing {
    best: f64,
    median: f64,
    runs: u32,
}

impl Timing {
    fn of(mut times: Vec<f64>) -> Timing {
        times.sort_by(f64::total_cmp);
        Timing {
            best: times[0],
            median: times[times.len() / 2],
            runs: times.len() as u32,
        }
    }
}

/// What every run of a row must repeat exactly (the explorers are deterministic).
fn signature(o: &Outcome) -> (String, u64, u64, u64) {
    (
        o.verdict.to_string(),
        o.report.states,
        o.report.steps,
        o.report.schedules,
    )
}

/// Measures several plans on one workload round-robin (each plan once per round until its
/// [`Budget`] is spent), so that rows meant to be compared (one thread and two, a reduction on
/// and off) are measured in the same minutes: on a shared machine a slow phase then slows all
/// of them, instead of the ratio between two rows measured a minute apart. `Err` names a plan
/// whose runs disagreed.
fn measure_interleaved(
    l: &dyn LoadedScenario,
    variant: &str,
    plans: &[&Plan],
    budget: Budget,
) -> Result<Vec<(Outcome, Timing)>, String> {
    let runs: Vec<(&dyn LoadedScenario, &Plan)> = plans.iter().map(|p| (l, *p)).collect();
    measure_pairs(&runs, variant, budget)
}

/// [`measure_interleaved`] over (scenario, plan) pairs: the same workload loaded for its Rust
/// model and for its protocol file, compared in the same rounds.
fn measure_pairs(
    runs: &[(&dyn LoadedScenario, &Plan)],
    variant: &str,
    budget: Budget,
) -> Result<Vec<(Outcome, Timing)>, String> {
    let plans: Vec<&Plan> = runs.iter().map(|(_, p)| *p).collect();
    let mut times: Vec<Vec<f64>> = plans.iter().map(|_| Vec::new()).collect();
    let mut outs: Vec<Option<Outcome>> = plans.iter().map(|_| None).collect();
    loop {
        let mut ran = false;
        for (i, plan) in plans.iter().enumerate() {
            if budget.done(&times[i]) {
                continue;
            }
            ran = true;
            let t = Instant::now();
            let o = runs[i].0.explore(variant, plan);
            times[i].push(t.elapsed().as_secs_f64());
            if let Some(first) = &outs[i]
                && signature(first) != signature(&o)
            {
                return Err(format!(
                    "{variant}: two runs of one benchmark disagree: {:?} then {:?}",
                    signature(first),
                    signature(&o)
                ));
            }
            outs[i] = Some(o);
        }
        if !ran {
            break;
        }
    }
    Ok(outs
        .into_iter()
        .zip(times)
        .map(|(o, t)| (o.expect("at least one run"), Timing::of(t)))
        .collect())
}

/// One plan, measured until its budget is spent.
fn measure(
    l: &dyn LoadedScenario,
    variant: &str,
    plan: &Plan,
    budget: Budget,
) -> Result<(Outcome, Timing), String> {
    Ok(measure_interleaved(l, variant, &[plan], budget)?
        .pop()
        .expect("one plan, one measurement"))
}

pub fn run(a: Args) -> u8 {
    if !(a.min_time.is_finite() && a.min_time >= 0.0) {
        return usage_error(&format!(
            "--min-time {} is not a number of seconds: give one of 0 or more (e.g. `--min-time 0.5`)",
            a.min_time
        ));
    }
    let budget = Budget {
        repeat: a.repeat,
        min_secs: a.min_time,
    };
    let mut rows: Vec<Row> = Vec::new();
    let mut ok = true;
    for n in [3, 4, 5] {
        let path = format!("scenarios/bench/reclaim-{n}.toml");
        let l = match load(&path) {
            Ok(l) => l,
            Err(e) => return usage_error(&e),
        };
        let base = l.meta().plan.clone();
        let mut modes: Vec<(&str, Plan)> = Vec::new();
        let mut p = base.clone();
        p.strategy = Strategy::Exhaustive;
        p.config.probe_runs = 0;
        p.config.sleep_sets = false;
        p.config.symmetry = true;
        // The default configuration first (symmetry, no sleep sets), then each reduction on
        // its own, then none: the `states` column shows what symmetry saves, `transitions`
        // what sleep sets save (states do not change).
        modes.push(("exhaustive, symmetry, 1 thread", p.clone()));
        let mut p2 = p.clone();
        p2.config.threads = 2;
        modes.push(("exhaustive, symmetry, 2 threads", p2));
        let mut p3 = p.clone();
        p3.config.sleep_sets = true;
        modes.push(("exhaustive, symmetry + sleep sets, 1 thread", p3));
        if !(a.quick && n == 5) {
            let mut p4 = p.clone();
            p4.config.symmetry = false;
            p4.config.private_steps = false;
            modes.push(("exhaustive, no reduction, 1 thread", p4.clone()));
            p4.config.threads = 2;
            modes.push(("exhaustive, no reduction, 2 threads", p4.clone()));
            p4.config.threads = 1;
            p4.config.sleep_sets = true;
            modes.push(("exhaustive, sleep sets, no symmetry, 1 thread", p4));
        }
        let mut r = base.clone();
        r.strategy = Strategy::Random;
        r.config.runs = 10_000;
        r.config.seed = 1;
        modes.push(("random, 10,000 runs", r));
        modes.retain(|(mode, _)| selected(&a, &path, mode));
        let plans: Vec<&Plan> = modes.iter().map(|(_, p)| p).collect();
        let measured = match measure_interleaved(l.as_ref(), "v4-gated-publish", &plans, budget) {
            Ok(m) => m,
            Err(e) => return nondeterministic(&path, &e),
        };
        for ((mode, plan), (o, t)) in modes.iter().zip(measured) {
            ok &= o.verdict.is_holds();
            let count = if plan.strategy == Strategy::Exhaustive {
                o.report.states
            } else {
                o.report.schedules
            };
            rows.push(Row::of(
                &path,
                "v4-gated-publish",
                mode,
                &o,
                &t,
                Some(count),
            ));
        }
        // Time to the first violation of the buggy variant, as `check` runs it (probe, search,
        // shrinking and the timeline included) and the search alone.
        for (mode, probe, shrink) in [
            (
                "first violation, as checked (probe, search, shrink)",
                true,
                true,
            ),
            ("first violation, probe and search, no shrink", true, false),
            ("first violation, depth-first search only", false, false),
        ] {
            if !selected(&a, &path, mode) {
                continue;
            }
            let mut p = base.clone();
            p.strategy = Strategy::Exhaustive;
            if !probe {
                p.config.probe_runs = 0;
            }
            if !shrink {
                p.config.shrink_runs_max = 0;
            }
            let (o, t) = match measure(l.as_ref(), "v1-reclaim", &p, budget) {
                Ok(m) => m,
                Err(e) => return nondeterministic(&path, &e),
            };
            ok &= o.verdict.is_violated();
            rows.push(Row::of(&path, "v1-reclaim", mode, &o, &t, None));
        }
    }
    // The Rust models against their protocol files, round-robin: distinct states per second.
    for (path, variant) in [
        ("scenarios/bench/reclaim-3.toml", "v4-gated-publish"),
        ("scenarios/bench/reclaim-4.toml", "v4-gated-publish"),
        ("scenarios/bench/reclaim-5.toml", "v4-gated-publish"),
        (
            "scenarios/restart-lock/multi-breaker-3.toml",
            "v3-registry-mutex",
        ),
        ("scenarios/prewarm-lock/two-reclaimers.toml", "v2-intents"),
    ] {
        if let Err(code) = rust_vs_file(&a, path, variant, budget, &mut rows, &mut ok) {
            return code;
        }
    }
    // The open init-lock scenario's proof, with each reduction on and off.
    let path = "scenarios/init-lock/explore-reclaim.toml";
    let l = match load(path) {
        Ok(l) => l,
        Err(e) => return usage_error(&e),
    };
    let mut p = l.meta().plan.clone();
    p.strategy = Strategy::Exhaustive;
    p.config.probe_runs = 0;
    for (mode, symmetry, sleep_sets) in [
        ("exhaustive, symmetry, 1 thread", true, false),
        ("exhaustive, symmetry + sleep sets, 1 thread", true, true),
        ("exhaustive, no reduction, 1 thread", false, false),
        ("exhaustive, sleep sets, no symmetry, 1 thread", false, true),
    ] {
        if !selected(&a, path, mode) {
            continue;
        }
        p.config.symmetry = symmetry;
        p.config.private_steps = symmetry;
        p.config.sleep_sets = sleep_sets;
        let (o, t) = match measure(l.as_ref(), "v4-gated-publish", &p, budget) {
            Ok(m) => m,
            Err(e) => return nondeterministic(path, &e),
        };
        ok &= o.verdict.is_holds();
        rows.push(Row::of(
            path,
            "v4-gated-publish",
            mode,
            &o,
            &t,
            Some(o.report.states),
        ));
    }
    // Every buggy variant of every init-lock scenario, as the file explores it.
    let files = crate::cli::collect_files(&["scenarios/init-lock".to_string()]).unwrap_or_default();
    for f in files {
        let Ok(l) = load(&f) else { continue };
        for (variant, expected) in l.meta().expect.clone() {
            if !expected.is_violated() {
                continue;
            }
            let plan = l.meta().plan.clone();
            if !selected(&a, &f, "time to verdict") {
                continue;
            }
            let (o, t) = match measure(l.as_ref(), variant, &plan, budget) {
                Ok(m) => m,
                Err(e) => return nondeterministic(&f, &e),
            };
            ok &= o.verdict == expected;
            rows.push(Row::of(
                &f,
                variant,
                &format!("time to verdict ({})", plan.strategy.name()),
                &o,
                &t,
                None,
            ));
        }
    }
    speedups(&mut rows);
    if a.json {
        println!("{}", serde_json::to_string_pretty(&rows).expect("json"));
    } else {
        println!(
            "| workload | variant | mode | verdict | states | transitions | runs | time | median | per second | speed-up | vs Rust |"
        );
        println!("|---|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        for r in &rows {
            let per = if r.per_second > 0.0 {
                thousands(r.per_second as u64)
            } else {
                "-".into()
            };
            let speedup = r.speedup.map_or("-".into(), |x| format!("{x:.2}x"));
            let vs = r.vs_rust.map_or("-".into(), |x| format!("{x:.2}x"));
            println!(
                "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                r.workload,
                r.variant,
                r.mode,
                r.verdict,
                thousands(r.states),
                thousands(r.transitions),
                thousands(r.runs),
                fmt_secs(r.seconds),
                fmt_secs(r.median_seconds),
                per,
                speedup,
                vs
            );
        }
    }
    if ok {
        EXIT_OK
    } else {
        EXIT_MISMATCH
    }
}

/// One workload on its Rust model and on its shipped protocol file, with and without
/// symmetry reduction, measured in the same rounds; each protocol-file row carries its rate
/// over the Rust model's.
fn rust_vs_file(
    a: &Args,
    path: &str,
    variant: &'static str,
    budget: Budget,
    rows: &mut Vec<Row>,
    ok: &mut bool,
) -> Result<(), u8> {
    let rust = load(path).map_err(|e| usage_error(&e))?;
    let file = load_as(path, true).map_err(|e| usage_error(&e))?;
    let mut p = rust.meta().plan.clone();
    p.strategy = Strategy::Exhaustive;
    p.config.probe_runs = 0;
    p.config.sleep_sets = false;
    let mut nosym = p.clone();
    nosym.config.symmetry = false;
    nosym.config.private_steps = false;
    let mut modes: Vec<(&str, &dyn LoadedScenario, &Plan)> = vec![
        ("Rust model, symmetry, 1 thread", rust.as_ref(), &p),
        ("protocol file, symmetry, 1 thread", file.as_ref(), &p),
    ];
    if !(a.quick && path.contains("reclaim-5")) {
        modes.push(("Rust model, no reduction, 1 thread", rust.as_ref(), &nosym));
        modes.push((
            "protocol file, no reduction, 1 thread",
            file.as_ref(),
            &nosym,
        ));
    }
    modes.retain(|(mode, _, _)| selected(a, path, mode));
    let pairs: Vec<(&dyn LoadedScenario, &Plan)> = modes.iter().map(|(_, l, p)| (*l, *p)).collect();
    let measured =
        measure_pairs(&pairs, variant, budget).map_err(|e| nondeterministic(path, &e))?;
    let first = rows.len();
    for ((mode, _, _), (o, t)) in modes.iter().zip(measured) {
        *ok &= o.verdict.is_holds();
        rows.push(Row::of(path, variant, mode, &o, &t, Some(o.report.states)));
    }
    for i in first..rows.len() {
        let Some(rest) = rows[i].mode.strip_prefix("protocol file") else {
            continue;
        };
        let twin = format!("Rust model{rest}");
        if let Some(r) = rows[first..].iter().find(|r| r.mode == twin) {
            rows[i].vs_rust = Some(rows[i].per_second / r.per_second.max(1e-9));
        }
    }
    Ok(())
}

/// A benchmark whose runs disagreed: the explorers are meant to be deterministic, so this is a
/// harness bug (exit 3, like any internal error), not a verdict that missed its expectation.
fn nondeterministic(workload: &str, e: &str) -> u8 {
    eprintln!("error: {workload}: {e}");
    EXIT_INTERNAL
}

/// Fills in each two-thread row's speed-up over the one-thread row of the same workload,
/// variant and reductions.
fn speedups(rows: &mut [Row]) {
    for i in 0..rows.len() {
        let Some(base) = rows[i].mode.strip_suffix("2 threads") else {
            continue;
        };
        let one = format!("{base}1 thread");
        let r = &rows[i];
        if let Some(o) = rows
            .iter()
            .find(|o| o.workload == r.workload && o.variant == r.variant && o.mode == one)
        {
            rows[i].speedup = Some(o.seconds / r.seconds.max(1e-9));
        }
    }
}

/// `--only`: does the row of this workload and mode run?
fn selected(a: &Args, workload: &str, mode: &str) -> bool {
    a.only.as_deref().is_none_or(|o| {
        workload.contains(o) || mode.contains(o) || format!("{workload} {mode}").contains(o)
    })
}

fn fmt_secs(s: f64) -> String {
    if s < 1e-3 {
        format!("{:.0} µs", s * 1e6)
    } else if s < 1.0 {
        format!("{:.1} ms", s * 1e3)
    } else {
        format!("{s:.2} s")
    }
}
