//! `lockstep run FILE [--variant V] [--strategy S] [--seed N] [--schedule S] [--trace OUT]`
//!
//! Stdout carries only deterministic output (verdicts, timelines, replay commands), so a
//! replay of the same trace prints the same bytes; exploration statistics go to stderr.

use lockstep_sim::{Schedule, Strategy};

use crate::cli::common::{check_bridged, expected_for, scenario_error, usage_error, Overrides};
use crate::cli::minimal;
use crate::cli::{EXIT_INTERNAL, EXIT_MISMATCH, EXIT_OK};
use crate::models;
use crate::report::{counterexample_block, ResultRow};
use crate::scenario::Source;
use crate::trace::{write_trace, Trace};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The scenario file.
    pub file: String,
    /// Run only this variant (default: every variant the file expects something of).
    #[arg(long)]
    pub variant: Option<String>,
    /// Re-execute this schedule (as printed in a replay command) instead of exploring.
    #[arg(long)]
    pub schedule: Option<String>,
    /// With `--schedule`: the schedule is a witness of this reachability target (as a
    /// witness's replay command prints it), replayed on the model its search ran.
    #[arg(long, value_name = "TARGET", requires = "schedule")]
    pub reach: Option<String>,
    /// Print one example run of each variant (a seeded random schedule, `--seed`), labelled
    /// as an example: a picture of a variant that holds.
    #[arg(long, conflicts_with_all = ["schedule", "trace", "regression"])]
    pub example: bool,
    /// Save the counterexample's trace to this file (needs a single variant).
    #[arg(long)]
    pub trace: Option<String>,
    /// Draw the counterexample's timeline as a standalone SVG swimlane picture, the drawing
    /// `report --html` shows (needs a single variant).
    #[arg(long, value_name = "OUT")]
    pub svg: Option<String>,
    /// Write the (shrunk) counterexample as a regression scenario that replays it, under this
    /// folder (needs a single variant).
    #[arg(long, value_name = "DIR", num_args = 0..=1, default_missing_value = "scenarios/regressions")]
    pub regression: Option<String>,
    /// Remove an actor (`NAME`), one of its keys (`NAME.KEY`), or a `[faults]` or `[params]`
    /// key (`faults.KEY`, `params.KEY`) before loading the file: what the replay command of a
    /// reduced counterexample names. Repeatable. (A trace records the file as written, so
    /// `--trace` keeps it whole.)
    #[arg(long, value_name = "REMOVAL", conflicts_with = "trace")]
    pub without: Vec<String>,
    /// Show the counterexample of the file as written, without looking for the actors and
    /// faults the violation does not need.
    #[arg(long)]
    pub no_reduce: bool,
    #[command(flatten)]
    pub overrides: Overrides,
}

pub fn run(a: Args) -> u8 {
    if let Err(e) = a.overrides.validate() {
        return usage_error(&e);
    }
    let original = match Source::read(&a.file) {
        Ok(s) => s,
        Err(e) => return scenario_error(&e),
    };
    let src = match minimal::apply(&original, &a.without) {
        Ok(s) => s,
        Err(e) => return usage_error(&format!("{}: {e}", a.file)),
    };
    let loaded = match models::load_as(&src, a.overrides.interpreted) {
        Ok(l) => l,
        Err(e) => return scenario_error(&e),
    };
    let meta = loaded.meta();
    let variants: Vec<&'static str> = match &a.variant {
        Some(v) => match loaded.variants().iter().find(|x| x.name == v) {
            Some(x) => vec![x.name],
            None => {
                let names: Vec<&str> = loaded.variants().iter().map(|x| x.name).collect();
                return usage_error(&format!(
                    "unknown variant `{v}`: {}",
                    crate::scenario::variant_help(meta.protocol, &names, v)
                ));
            }
        },
        // A file that expects nothing yet: explore every variant (and print the expectations
        // to paste below).
        None if meta.expect.is_empty() => loaded.variants().iter().map(|x| x.name).collect(),
        None => meta.expect.iter().map(|(v, _)| *v).collect(),
    };
    let mut found: Vec<(&'static str, crate::verdict::Verdict)> = Vec::new();
    if (a.trace.is_some() || a.schedule.is_some() || a.regression.is_some() || a.svg.is_some())
        && variants.len() != 1
    {
        return usage_error(
            "--trace, --schedule, --regression and --svg need exactly one variant: add --variant",
        );
    }
    let mut plan = a.overrides.apply(&meta.plan);
    if plan.config.stop.is_none() {
        plan.config.stop = Some(crate::interrupt::flag());
    }
    if a.example {
        plan.strategy = Strategy::Random;
        plan.config.runs = 1;
        plan.config.example = true;
    }
    if a.schedule.is_none()
        && let Err(e) = check_bridged(&[loaded.as_ref()], &a.overrides)
    {
        return usage_error(&e);
    }
    crate::cli::common::print_lints(
        std::slice::from_ref(&src),
        a.overrides.interpreted,
        &variants,
    );
    let mut code = EXIT_OK;
    for variant in variants {
        let expected = expected_for(loaded.as_ref(), variant);
        if let Some(text) = &a.schedule {
            match replay_schedule(&a, loaded.as_ref(), variant, &plan, text) {
                Ok(EXIT_OK) => {}
                Ok(mismatch) => code = mismatch,
                Err(usage) => return usage,
            }
            continue;
        }
        let t = std::time::Instant::now();
        let outcome = match loaded.explore_plan(variant, &plan) {
            Ok(o) => o,
            Err(e) => return usage_error(&format!("{}: {e}", meta.path)),
        };
        let elapsed = t.elapsed().as_millis() as u64;
        found.push((variant, outcome.verdict.clone()));
        let reduced = (!a.no_reduce && a.trace.is_none() && !a.example)
            .then(|| reduce_for_run(&original, &a, variant, &plan, &outcome))
            .flatten();
        // Each invariant's own status is the file's (as written), not the reduced scenario's.
        let as_written = (loaded.as_ref(), outcome.clone());
        // The reduction is the violation's alone: reachability witnesses, unreached code and
        // unfired faults stay the file's as written (a target may need the actor it removed).
        let written_meta = with_removals(loaded.meta(), &a.without);
        let (outcome, loaded, src) = match &reduced {
            Some(r) => {
                let mut o = r.outcome.clone();
                o.reached.clone_from(&as_written.1.reached);
                o.unreached.clone_from(&as_written.1.unreached);
                o.unfired.clone_from(&as_written.1.unfired);
                (o, r.loaded.as_ref(), &r.source)
            }
            None => (outcome, loaded.as_ref(), &src),
        };
        let shown = with_removals(
            loaded.meta(),
            reduced.as_ref().map_or(&a.without, |r| &r.removals),
        );
        let meta = &shown;
        match &outcome.counterexample {
            Some(c) => print!("{}", counterexample_block(meta, variant, c)),
            None => println!("{} [{}]: {}", meta.path, variant, outcome.verdict),
        }
        if let Some(u) = &outcome.unreached {
            print!("{}", crate::report::unreached_block(u));
        }
        for x in &outcome.reached {
            match &x.status {
                crate::reach::ReachStatus::Reached(c) => {
                    print!("{}", counterexample_block(&written_meta, variant, c))
                }
                _ => println!(
                    "{} [{}]: reachability target `{}`: {}",
                    written_meta.path,
                    variant,
                    x.target,
                    x.word()
                ),
            }
        }
        if !outcome.unfired.is_empty() {
            let severity = if meta.unfired_is_error {
                "error"
            } else {
                "note"
            };
            println!(
                "  {severity}: scheduled faults that fired in no explored schedule: {}",
                outcome.unfired.join("; ")
            );
        }
        let row = expected.clone().map(|e| ResultRow {
            meta,
            variant,
            expected: e,
            outcome: outcome.clone(),
            elapsed_ms: elapsed,
            invariants: Vec::new(),
        });
        let backing = match &row {
            Some(r) => r.backing(),
            None => outcome.strategy_name().to_string(),
        };
        let judged = match &row {
            Some(r) if r.ok() => format!("as expected ({})", r.expected),
            Some(r)
                if r.outcome.verdict == r.expected
                    && r.outcome.reached.iter().any(|x| !x.reached()) =>
            {
                code = EXIT_MISMATCH;
                "FAILED: a reachability target was not reached".to_string()
            }
            Some(r) if r.unfired_fails() => {
                code = EXIT_MISMATCH;
                "FAILED: scheduled faults did not fire ([check] unfired_faults = \"error\")"
                    .to_string()
            }
            Some(r) => {
                code = EXIT_MISMATCH;
                format!("EXPECTED {}", r.expected)
            }
            None => "no expectation in the file".to_string(),
        };
        let shrunk = match outcome
            .counterexample
            .as_ref()
            .and_then(|c| c.original_moves.map(|o| (o, c)))
        {
            Some((o, c)) if o == c.schedule.moves() => {
                format!("; counterexample already minimal ({o} moves)")
            }
            Some((o, c)) => format!(
                "; counterexample shrunk from {o} to {} moves",
                c.schedule.moves()
            ),
            None => String::new(),
        };
        let extra = match (outcome.report.strategy, outcome.report.failing_run) {
            (Strategy::Random, Some(i)) => {
                format!(", failing run {i} of seed {}", plan.config.seed)
            }
            _ => String::new(),
        };
        eprintln!("  [{variant}] {judged}: backed by {backing}{extra}{shrunk}; {elapsed} ms");
        if !a.example {
            let each = crate::each_invariant::statuses(as_written.0, variant, &plan, &as_written.1);
            if !each.is_empty() {
                let line: Vec<String> = each
                    .iter()
                    .map(|x| format!("{} {}", x.invariant, x.long()))
                    .collect();
                eprintln!(
                    "  [{variant}] each invariant on its own ({}): {}",
                    outcome.strategy_name(),
                    line.join(" · ")
                );
            }
        }
        if !outcome.parameters.is_empty() {
            let ps: Vec<String> = outcome
                .parameters
                .iter()
                .map(|(k, v)| format!("{k} = {v}"))
                .collect();
            eprintln!("  [{variant}] ran with {}", ps.join(", "));
        }
        if let (Some(dir), Some(c)) = (&a.regression, &outcome.counterexample) {
            let regression = Regression {
                dir,
                src,
                meta,
                variant,
                found: c,
            };
            match write_regression(&regression) {
                Ok(path) => {
                    eprintln!("  regression written to {path}; `lockstep check {path}` replays it")
                }
                Err(e) => {
                    eprintln!("error: cannot write the regression under `{dir}`: {e}");
                    return EXIT_INTERNAL;
                }
            }
        }
        if let Some(out) = &a.svg {
            match &outcome.counterexample {
                Some(c) => {
                    if let Err(e) = write_svg(out, meta, variant, c) {
                        eprintln!("error: cannot write `{out}`: {e}");
                        return EXIT_INTERNAL;
                    }
                    eprintln!("  swimlanes written to {out}");
                }
                None => eprintln!("  no counterexample: no picture written"),
            }
        }
        if let Some(out) = &a.trace {
            match &outcome.counterexample {
                Some(c) => {
                    let t = Trace::new(meta, variant, c, src);
                    if let Err(e) = write_trace(out, &t) {
                        eprintln!("error: cannot write the trace `{out}`: {e}");
                        return EXIT_INTERNAL;
                    }
                    eprintln!(
                        "  trace written to {out}; `lockstep replay {out}` prints the same output"
                    );
                }
                None => eprintln!("  no counterexample: no trace written"),
            }
        }
    }
    if meta.expect.is_empty() && a.schedule.is_none() {
        print!("{}", expect_block(&found));
    }
    code
}

/// `--schedule` (with `--reach`, a witness): replays one schedule on `variant` and prints its
/// block. `Ok`: the exit code (a mismatch when the verdict is not the expected one, or the
/// witness does not reach its target); `Err`: a usage error's.
fn replay_schedule(
    a: &Args,
    loaded: &dyn crate::protocol::LoadedScenario,
    variant: &str,
    plan: &crate::scenario::Plan,
    text: &str,
) -> Result<u8, u8> {
    let schedule: Schedule = text
        .parse()
        .map_err(|e: <Schedule as std::str::FromStr>::Err| usage_error(&e.to_string()))?;
    let meta = loaded.meta();
    let replayed = match &a.reach {
        Some(name) => match meta.reachable.iter().find(|t| t.id == name) {
            Some(&target) => loaded.replay_witness(variant, target, &schedule, plan),
            None => {
                let names: Vec<&str> = meta.reachable.iter().map(|t| t.id).collect();
                Err(format!(
                    "--reach `{name}`: the scenario's [check] reachable names no such target; it names: {}",
                    names.join(", ")
                ))
            }
        },
        None => loaded.replay(variant, &schedule, plan),
    };
    let r = replayed.map_err(|e| usage_error(&e))?;
    print!(
        "{}",
        counterexample_block(&with_removals(meta, &a.without), variant, &r)
    );
    let as_expected = match &a.reach {
        Some(_) => matches!(r.verdict, crate::verdict::Verdict::Reached(_)),
        None => expected_for(loaded, variant).is_none_or(|e| e == r.verdict),
    };
    Ok(if as_expected { EXIT_OK } else { EXIT_MISMATCH })
}

/// The reduced scenario of a violation (see [`minimal`]), announced on stderr; none for a
/// search too large to repeat once per candidate (said so) or one that needs everything.
fn reduce_for_run(
    original: &Source,
    a: &Args,
    variant: &'static str,
    plan: &crate::scenario::Plan,
    outcome: &crate::engine::Outcome,
) -> Option<minimal::Reduced> {
    if !outcome.verdict.is_violated() {
        return None;
    }
    if outcome.report.states > minimal::STATES_MAX {
        eprintln!(
            "  [{variant}] not reduced: each actor and fault left out is one more search of about {} states (--no-reduce hides this note)",
            outcome.report.states
        );
        return None;
    }
    let r = minimal::reduce_scenario(
        original,
        &a.without,
        a.overrides.interpreted,
        variant,
        plan,
        outcome,
    )?;
    let dropped = &r.removals[a.without.len()..];
    eprintln!(
        "  [{variant}] reduced: the violation does not need {} (the rest still gives {}); the timeline is of the reduced scenario, and --no-reduce shows the file as written",
        dropped.join(", "),
        r.outcome.verdict
    );
    Some(r)
}

/// The counterexample as a standalone SVG document (the report's drawing).
fn write_svg(
    out: &str,
    meta: &crate::scenario::Meta,
    variant: &str,
    c: &crate::engine::Replayed,
) -> std::io::Result<()> {
    let title = format!("{} · {variant}", meta.name);
    let svg = crate::report::svg::swimlane(&crate::report::svg::Picture {
        id: "timeline",
        title: &title,
        replayed: c,
        text: &counterexample_block(meta, variant, c),
    });
    crate::atomic_write::write(
        out,
        format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{svg}"),
    )
}

fn with_removals(meta: &crate::scenario::Meta, removals: &[String]) -> crate::scenario::Meta {
    let mut m = meta.clone();
    m.without = removals.to_vec();
    m
}

/// The `[expect]` block a file that expects nothing yet can paste: what each variant gave.
/// An `inconclusive` verdict is written commented out: it needs a bigger budget, not pinning.
fn expect_block(found: &[(&'static str, crate::verdict::Verdict)]) -> String {
    let mut out = String::from(
        "\n# The scenario expects nothing yet. What each variant gave, to paste into it:\n[expect]\n",
    );
    for (variant, verdict) in found {
        if verdict.is_inconclusive() {
            out.push_str(&format!(
                "# {variant} = \"{verdict}\"   (raise the budget before pinning this)\n"
            ));
        } else {
            out.push_str(&format!("{variant} = \"{verdict}\"\n"));
        }
    }
    out
}

/// Writes `<dir>/<name>--<variant>.toml`: the scenario as it is, with its `[explore]` and
/// `[expect]` replaced by a replay of the counterexample's schedule and its verdict, so the
/// counterexample is checked by `lockstep check` (and `cargo test`) from then on. The edit is
/// made on the TOML document (`toml_edit`): the user's comments and layout stay, and any way of
/// writing the two tables (`[ explore ]`, dotted keys, inline tables) is replaced whole.
fn write_regression(r: &Regression<'_>) -> std::io::Result<String> {
    let Regression {
        dir,
        meta,
        variant,
        found: c,
        ..
    } = *r;
    std::fs::create_dir_all(dir)?;
    let text = format!(
        "# Regression written by `lockstep run {} --variant {variant} --regression{}`:\n\
         # the shrunk counterexample ({} moves), replayed as it was found.\n{}",
        meta.path,
        if meta.interpreted {
            " --interpreted"
        } else {
            ""
        },
        c.schedule.moves(),
        regression_document(r)?
    );
    let path = format!(
        "{}/{}--{}.toml",
        dir.trim_end_matches('/'),
        meta.name,
        variant
    );
    crate::atomic_write::write(&path, text)?;
    Ok(path)
}

/// A relative protocol-file path of `src`, as seen from folder `dir` (which exists): the
/// shortest relative path between the two folders' real locations, or the file's real absolute
/// path when they share nothing below the root. `None`: a built-in protocol, or an absolute path, which
/// needs no change.
fn protocol_from(src: &Source, protocol: &str, dir: &str) -> Option<String> {
    let rel = std::path::Path::new(protocol);
    if !crate::models::names_file(protocol) || rel.is_absolute() {
        return None;
    }
    let scenario_dir = std::path::Path::new(&src.path)
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    let target = std::fs::canonicalize(scenario_dir.join(rel)).ok()?;
    let base = std::fs::canonicalize(dir).ok()?;
    let common = target
        .components()
        .zip(base.components())
        .take_while(|(a, b)| a == b)
        .count();
    // Sharing only the root: the absolute path reads better than a walk up to it.
    if common <= 1 {
        return Some(target.to_string_lossy().into_owned());
    }
    let mut out = std::path::PathBuf::new();
    for _ in base.components().skip(common) {
        out.push("..");
    }
    for part in target.components().skip(common) {
        out.push(part);
    }
    Some(out.to_string_lossy().replace('\\', "/"))
}

/// A counterexample to pin as a regression file in `dir`.
struct Regression<'a> {
    dir: &'a str,
    src: &'a Source,
    meta: &'a crate::scenario::Meta,
    variant: &'a str,
    found: &'a crate::engine::Replayed,
}

/// The scenario's document renamed `<name>--<variant>`, its `[explore]` a replay of the
/// counterexample and its `[expect]` the verdict it gave.
fn regression_document(r: &Regression<'_>) -> std::io::Result<String> {
    let Regression {
        dir,
        src,
        meta,
        variant,
        found: c,
    } = *r;
    use toml_edit::{value, DocumentMut, Item, Table};
    // The file loaded, so it parses.
    let mut doc: DocumentMut = src
        .text
        .parse()
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, format!("{e}")))?;
    doc.remove("explore");
    doc.remove("expect");
    doc["name"] = value(format!("{}--{}", meta.name, variant));
    // A replay runs one schedule: it pins the violation, and searches for no witness.
    if let Some(check) = doc.get_mut("check").and_then(Item::as_table_like_mut) {
        check.remove("reachable");
    }
    // A protocol file is named relative to the scenario: name it relative to the regression.
    if let Some(protocol) = doc.get("protocol").and_then(Item::as_str)
        && let Some(moved) = protocol_from(src, protocol, dir)
    {
        doc["protocol"] = value(moved);
    }
    let mut explore = Table::new();
    explore["strategy"] = value("replay");
    explore["schedule"] = value(c.schedule.to_string());
    // The schedule numbers the moves of the model it was found on.
    if meta.interpreted {
        explore["protocol_file"] = value(true);
    }
    let mut expect = Table::new();
    expect[variant] = value(c.verdict.to_string());
    doc.insert("explore", Item::Table(explore));
    doc.insert("expect", Item::Table(expect));
    Ok(doc.to_string())
}
