//! `lockstep bench [--json]`: fixed workloads, measured side by side in one run.
//!
//! Wall-clock time is measured here and only here; it never reaches a verdict, a trace or a
//! report. Each timing is the best of `--repeat` runs (default 3), so a busy machine shows
//! less than it would otherwise, never more. Figures worth comparing are ratios taken in the
//! same run (symmetry on/off, one thread/two).

use std::time::Instant;

use serde::Serialize;

use crate::cli::common::usage_error;
use crate::cli::{EXIT_MISMATCH, EXIT_OK};
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
    /// Runs per measurement (the best is kept).
    #[arg(long, default_value_t = 3)]
    pub repeat: u32,
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
    seconds: f64,
    per_second: f64,
    /// For a two-thread row: the one-thread row's time over this row's (measured in the same
    /// rounds, see [`measure_interleaved`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    speedup: Option<f64>,
}

impl Row {
    /// A measured row; `count` is what the per-second figure counts (none for a time to
    /// verdict).
    fn of(
        workload: &str,
        variant: &str,
        mode: &str,
        o: &Outcome,
        secs: f64,
        count: Option<u64>,
    ) -> Row {
        Row {
            workload: workload.to_string(),
            variant: variant.to_string(),
            mode: mode.to_string(),
            verdict: o.verdict.clone(),
            states: o.report.states,
            transitions: o.report.steps,
            runs: o.report.schedules,
            seconds: secs,
            per_second: count.map_or(0.0, |c| c as f64 / secs.max(1e-9)),
            speedup: None,
        }
    }
}

fn load(path: &str) -> Result<Box<dyn LoadedScenario>, String> {
    let src = Source::read(path).map_err(|e| e.to_string())?;
    models::load(&src).map_err(|e| e.to_string())
}

/// Measures several plans on one workload round-robin (each plan once per round, best of
/// `repeat` rounds each), so that rows meant to be compared (one thread and two, a reduction
/// on and off) are measured in the same minutes: on a shared machine a slow phase then slows
/// all of them, instead of the ratio between two rows measured a minute apart.
fn measure_interleaved(
    l: &dyn LoadedScenario,
    variant: &str,
    plans: &[&Plan],
    repeat: u32,
) -> Vec<(Outcome, f64)> {
    let mut best = vec![f64::MAX; plans.len()];
    let mut outs: Vec<Option<Outcome>> = plans.iter().map(|_| None).collect();
    for _ in 0..repeat.max(1) {
        for (i, plan) in plans.iter().enumerate() {
            let t = Instant::now();
            let o = l.explore(variant, plan);
            best[i] = best[i].min(t.elapsed().as_secs_f64());
            outs[i] = Some(o);
        }
    }
    outs.into_iter()
        .zip(best)
        .map(|(o, b)| (o.expect("at least one run"), b))
        .collect()
}

/// One plan, best of `repeat` runs.
fn measure(l: &dyn LoadedScenario, variant: &str, plan: &Plan, repeat: u32) -> (Outcome, f64) {
    measure_interleaved(l, variant, &[plan], repeat)
        .pop()
        .expect("one plan, one measurement")
}

pub fn run(a: Args) -> u8 {
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
        let measured = measure_interleaved(l.as_ref(), "v4-gated-publish", &plans, a.repeat);
        for ((mode, plan), (o, secs)) in modes.iter().zip(measured) {
            ok &= o.verdict == "holds";
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
                secs,
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
            let (o, secs) = measure(l.as_ref(), "v1-reclaim", &p, a.repeat);
            ok &= o.verdict.starts_with("violated:");
            rows.push(Row::of(&path, "v1-reclaim", mode, &o, secs, None));
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
        p.config.sleep_sets = sleep_sets;
        let (o, secs) = measure(l.as_ref(), "v4-gated-publish", &p, a.repeat);
        ok &= o.verdict == "holds";
        rows.push(Row::of(
            path,
            "v4-gated-publish",
            mode,
            &o,
            secs,
            Some(o.report.states),
        ));
    }
    // Every buggy variant of every init-lock scenario, as the file explores it.
    let files = crate::cli::collect_files(&["scenarios/init-lock".to_string()]).unwrap_or_default();
    for f in files {
        let Ok(l) = load(&f) else { continue };
        for (variant, expected) in l.meta().expect.clone() {
            if !expected.to_string().starts_with("violated:") {
                continue;
            }
            let plan = l.meta().plan.clone();
            if !selected(&a, &f, "time to verdict") {
                continue;
            }
            let (o, secs) = measure(l.as_ref(), variant, &plan, a.repeat);
            ok &= o.verdict == expected.to_string();
            rows.push(Row::of(
                &f,
                variant,
                &format!("time to verdict ({})", plan.strategy.name()),
                &o,
                secs,
                None,
            ));
        }
    }
    speedups(&mut rows);
    if a.json {
        println!("{}", serde_json::to_string_pretty(&rows).expect("json"));
    } else {
        println!(
            "| workload | variant | mode | verdict | states | transitions | runs | time | per second | speed-up |"
        );
        println!("|---|---|---|---|---:|---:|---:|---:|---:|---:|");
        for r in &rows {
            let per = if r.per_second > 0.0 {
                thousands(r.per_second as u64)
            } else {
                "-".into()
            };
            let speedup = r.speedup.map_or("-".into(), |x| format!("{x:.2}x"));
            println!(
                "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                r.workload,
                r.variant,
                r.mode,
                r.verdict,
                thousands(r.states),
                thousands(r.transitions),
                thousands(r.runs),
                fmt_secs(r.seconds),
                per,
                speedup
            );
        }
    }
    if ok {
        EXIT_OK
    } else {
        EXIT_MISMATCH
    }
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
