//! The results of `check`: a table for people, JSON for machines, and the `reports/` folder.

use std::fmt::Write;
use std::path::Path;

use serde::Serialize;

use crate::engine::Outcome;
use crate::report::timeline::{counterexample_block, replay_command};
use crate::scenario::Meta;
use crate::verdict::Verdict;

/// One (scenario, variant) result.
pub struct ResultRow<'a> {
    pub meta: &'a Meta,
    pub variant: &'static str,
    pub expected: Verdict,
    pub outcome: Outcome,
    pub elapsed_ms: u64,
    /// Each checked invariant's own status (`check --each-invariant`; empty otherwise).
    pub invariants: Vec<crate::each_invariant::Status>,
}

impl ResultRow<'_> {
    pub fn ok(&self) -> bool {
        self.outcome.verdict == self.expected
            && !self.unfired_fails()
            && self.outcome.reached.iter().all(|r| r.reached())
    }

    /// The scenario declared unfired faults an error, and some did not fire.
    pub fn unfired_fails(&self) -> bool {
        self.meta.unfired_is_error && !self.outcome.unfired.is_empty()
    }

    /// "exhaustive, 1,234 states" / "random, 10,000 runs" / "scripted": what backs the
    /// verdict, and how many reachability targets were reached.
    pub fn backing(&self) -> String {
        let reached = &self.outcome.reached;
        if reached.is_empty() {
            return self.backing_verdict();
        }
        format!(
            "{}; reached {} of {} targets",
            self.backing_verdict(),
            reached.iter().filter(|r| r.reached()).count(),
            reached.len()
        )
    }

    fn backing_verdict(&self) -> String {
        let r = &self.outcome.report;
        if let Some(b) = self.outcome.bridge {
            return format!("{}, {}", b.name(), runs(r.schedules));
        }
        match r.strategy {
            lockstep_sim::Strategy::Exhaustive if r.found_by_probe => {
                format!("exhaustive, found by its probe in {}", runs(r.schedules))
            }
            lockstep_sim::Strategy::Exhaustive => {
                let unreached = match &self.outcome.unreached {
                    Some(u) if !u.lines.is_empty() => format!(
                        ", {} line{} unreached",
                        u.lines.len(),
                        if u.lines.len() == 1 { "" } else { "s" }
                    ),
                    _ => String::new(),
                };
                format!("exhaustive, {} states{unreached}", thousands(r.states))
            }
            lockstep_sim::Strategy::Random => format!("random, {}", runs(r.schedules)),
            lockstep_sim::Strategy::Pct => format!("pct, {}", runs(r.schedules)),
            s => s.name().to_string(),
        }
    }
}

/// "1 run", "10,000 runs".
fn runs(n: u64) -> String {
    if n == 1 {
        "1 run".to_string()
    } else {
        format!("{} runs", thousands(n))
    }
}

/// The scheduled faults of a result that fired in no explored schedule, one line:
/// `note:` by default, `error:` when the scenario declared them an error.
pub fn unfired_note(r: &ResultRow<'_>) -> String {
    format!(
        "{}: {} [{}]: fired in no explored schedule: {}",
        if r.unfired_fails() { "error" } else { "note" },
        r.meta.path,
        r.variant,
        r.outcome.unfired.join("; ")
    )
}

/// The unreached code of an outcome, as `run` prints it under a `holds`.
pub fn unreached_block(u: &crate::engine::Unreached) -> String {
    let mut out = String::new();
    if u.lines.is_empty() && u.branches.is_empty() {
        return out;
    }
    out.push_str(&format!(
        "  unreached in {} (no explored schedule ran it; a `holds` says nothing about it):
",
        u.file
    ));
    for (line, text) in u.lines.iter().zip(&u.text) {
        out.push_str(&format!(
            "    line {line:>4}  {text}
"
        ));
    }
    for (from, to) in &u.branches {
        out.push_str(&format!(
            "    branch at line {from}: never went on to line {to}
"
        ));
    }
    out
}

pub fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[derive(Serialize)]
struct JsonRow<'a> {
    scenario: &'a str,
    name: &'a str,
    protocol: &'a str,
    variant: &'a str,
    strategy: &'a str,
    verdict: &'a Verdict,
    expected: &'a Verdict,
    ok: bool,
    states: u64,
    schedules: u64,
    elapsed_ms: u64,
    replay: Option<String>,
    counterexample_moves: Option<usize>,
    /// Moves of the counterexample as the explorer first found it, before shrinking.
    found_moves: Option<usize>,
    /// For a protocol file's exhaustive `holds`: the lines and branch sides no explored
    /// schedule executed (absent otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    unreached: Option<&'a crate::engine::Unreached>,
    /// The scheduled faults that took effect in no explored schedule (absent when all did).
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    unfired_faults: &'a [String],
    /// The `[check] reachable` targets: `reached` (with the witness's moves), `never`, or
    /// `not found (...)` (absent when the scenario names none).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    reachable: Vec<JsonReach>,
    /// The parameters the variant ran with, each version's own defaults filled in.
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    parameters: std::collections::BTreeMap<&'static str, &'a str>,
    /// Each checked invariant's own status, in `[check]` order (`--each-invariant`).
    #[serde(skip_serializing_if = "<[crate::each_invariant::Status]>::is_empty")]
    invariants: &'a [crate::each_invariant::Status],
}

#[derive(Serialize)]
struct JsonReach {
    target: &'static str,
    status: String,
    witness_moves: Option<usize>,
}

#[derive(Serialize)]
struct JsonDoc<'a> {
    ok: bool,
    results: Vec<JsonRow<'a>>,
}

/// `check --json`: `{"ok": …, "results": [ … ]}`.
pub fn json_results(rows: &[ResultRow<'_>]) -> String {
    let results = rows
        .iter()
        .map(|r| JsonRow {
            scenario: &r.meta.path,
            name: &r.meta.name,
            protocol: r.meta.protocol,
            variant: r.variant,
            strategy: r.outcome.strategy_name(),
            verdict: &r.outcome.verdict,
            expected: &r.expected,
            ok: r.ok(),
            states: r.outcome.report.states,
            schedules: r.outcome.report.schedules,
            elapsed_ms: r.elapsed_ms,
            replay: r
                .outcome
                .counterexample
                .as_ref()
                .map(|c| replay_command(r.meta, r.variant, c)),
            counterexample_moves: r
                .outcome
                .counterexample
                .as_ref()
                .map(|c| c.schedule.moves()),
            found_moves: r
                .outcome
                .counterexample
                .as_ref()
                .and_then(|c| c.original_moves),
            unreached: r.outcome.unreached.as_ref(),
            unfired_faults: &r.outcome.unfired,
            invariants: &r.invariants,
            reachable: r
                .outcome
                .reached
                .iter()
                .map(|x| JsonReach {
                    target: x.target,
                    status: x.word(),
                    witness_moves: match &x.status {
                        crate::reach::ReachStatus::Reached(c) => Some(c.schedule.moves()),
                        _ => None,
                    },
                })
                .collect(),
            parameters: r
                .outcome
                .parameters
                .iter()
                .map(|(k, v)| (*k, v.as_str()))
                .collect(),
        })
        .collect();
    let doc = JsonDoc {
        ok: rows.iter().all(|r| r.ok()),
        results,
    };
    serde_json::to_string_pretty(&doc).expect("results serialize") + "\n"
}

/// The human table of `check`.
pub fn table(rows: &[ResultRow<'_>]) -> String {
    let mut out = String::new();
    let w_s = rows
        .iter()
        .map(|r| r.meta.path.len())
        .max()
        .unwrap_or(8)
        .max(8);
    let w_v = rows
        .iter()
        .map(|r| r.variant.len())
        .max()
        .unwrap_or(7)
        .max(7);
    let w_r = rows
        .iter()
        .map(|r| r.outcome.verdict.to_string().len())
        .max()
        .unwrap_or(7)
        .max(7);
    let _ = writeln!(
        out,
        "{:<w_s$}  {:<w_v$}  {:<w_r$}  {:<4}  backed by",
        "scenario", "variant", "verdict", "ok"
    );
    for r in rows {
        let mark = if r.ok() { "ok" } else { "FAIL" };
        let _ = write!(
            out,
            "{:<w_s$}  {:<w_v$}  {:<w_r$}  {:<4}  {}",
            r.meta.path,
            r.variant,
            r.outcome.verdict,
            mark,
            r.backing()
        );
        if !r.invariants.is_empty() {
            let marks: Vec<String> = r
                .invariants
                .iter()
                .map(|x| format!("{}{}", x.mark(), x.invariant))
                .collect();
            let _ = write!(out, "  [{}]", marks.join(" "));
        }
        if r.outcome.verdict != r.expected {
            let _ = write!(out, "  (expected {})", r.expected);
        } else if r.unfired_fails() {
            let _ = write!(out, "  (a scheduled fault never fired)");
        } else if !r.ok() {
            let _ = write!(out, "  (a reachability target was not reached)");
        }
        out.push('\n');
    }
    for r in rows.iter().filter(|r| !r.outcome.unfired.is_empty()) {
        let _ = writeln!(out, "{}", unfired_note(r));
    }
    for r in rows {
        for x in r.outcome.reached.iter().filter(|x| !x.reached()) {
            let _ = writeln!(
                out,
                "error: {} [{}]: reachability target `{}` {}",
                r.meta.path,
                r.variant,
                x.target,
                match &x.status {
                    crate::reach::ReachStatus::Never =>
                        "is reached by no world of the explored space".to_string(),
                    _ => format!("was not reached: {}", x.word()),
                }
            );
        }
    }
    let bad = rows.iter().filter(|r| !r.ok()).count();
    let _ = writeln!(
        out,
        "\n{} results: {} as expected, {} not",
        rows.len(),
        rows.len() - bad,
        bad
    );
    out
}

pub(super) fn file_stem(meta: &Meta) -> String {
    meta.path
        .trim_start_matches("./")
        .trim_start_matches("scenarios/")
        .trim_end_matches(".toml")
        .replace(['/', '\\'], "--")
}

/// Writes `summary.md` (scenario × variant → verdict) and one timeline per counterexample
/// under `dir`. Deterministic names and contents: re-running replaces, never accumulates.
pub fn write_reports(rows: &[ResultRow<'_>], dir: &Path) -> std::io::Result<Vec<String>> {
    let cx_dir = dir.join("counterexamples");
    if cx_dir.exists() {
        std::fs::remove_dir_all(&cx_dir)?;
    }
    std::fs::create_dir_all(&cx_dir)?;
    let mut written = Vec::new();

    let mut variants: Vec<&'static str> = Vec::new();
    for r in rows {
        if !variants.contains(&r.variant) {
            variants.push(r.variant);
        }
    }
    let mut md = String::new();
    let _ = writeln!(md, "# lockstep report\n");
    let _ = writeln!(
        md,
        "Generated by `lockstep report`. Each cell is the verdict for (scenario, variant), what backs it, and whether it matches the scenario's expectation. \
A `holds` backed by an exhaustive search is a proof over the scenario's bounded space; one backed by a scripted or random run is evidence from the runs made, not a proof.\n"
    );
    let mut by_protocol: Vec<&str> = Vec::new();
    for r in rows {
        if !by_protocol.contains(&r.meta.protocol) {
            by_protocol.push(r.meta.protocol);
        }
    }
    for proto in by_protocol {
        let mut pv: Vec<&str> = variants
            .iter()
            .copied()
            .filter(|v| {
                rows.iter()
                    .any(|r| r.meta.protocol == proto && r.variant == *v)
            })
            .collect();
        // Columns in the protocol's own variant order (history order, canaries last).
        if let Some(p) = crate::models::find(proto) {
            pv.sort_by_key(|v| p.variants().iter().position(|x| x.name == *v));
        }
        let _ = writeln!(md, "## {proto}\n");
        let _ = write!(md, "| scenario |");
        for v in &pv {
            let _ = write!(md, " {v} |");
        }
        let _ = write!(md, "\n|---|");
        for _ in &pv {
            let _ = write!(md, "---|");
        }
        md.push('\n');
        let mut seen: Vec<&str> = Vec::new();
        for r in rows.iter().filter(|r| r.meta.protocol == proto) {
            if seen.contains(&r.meta.path.as_str()) {
                continue;
            }
            seen.push(&r.meta.path);
            let _ = write!(md, "| `{}` |", r.meta.path);
            for v in &pv {
                match rows
                    .iter()
                    .find(|x| x.meta.path == r.meta.path && x.variant == *v)
                {
                    Some(x) => {
                        let link = if x.outcome.counterexample.is_some() {
                            format!(
                                " [timeline](counterexamples/{}--{}.txt)",
                                file_stem(x.meta),
                                v
                            )
                        } else {
                            String::new()
                        };
                        let each: String = x
                            .invariants
                            .iter()
                            .map(|i| format!(" {}{}", i.mark(), i.invariant))
                            .collect();
                        let _ = write!(
                            md,
                            " {} ({}){}{}{} |",
                            x.outcome.verdict,
                            x.backing(),
                            if x.ok() { "" } else { " **UNEXPECTED**" },
                            each,
                            link
                        );
                    }
                    None => md.push_str(" |"),
                }
            }
            md.push('\n');
        }
        md.push('\n');
    }
    let unfired: Vec<&ResultRow<'_>> = rows
        .iter()
        .filter(|r| !r.outcome.unfired.is_empty())
        .collect();
    if !unfired.is_empty() {
        md.push_str("## Scheduled faults that never fired\n\n");
        md.push_str(
            "A verdict says nothing about a fault that took effect in no explored schedule.\n\n",
        );
        for r in unfired {
            let _ = writeln!(
                md,
                "- `{}` [{}]: {}",
                r.meta.path,
                r.variant,
                r.outcome.unfired.join("; ")
            );
        }
        md.push('\n');
    }
    crate::atomic_write::write(dir.join("summary.md"), &md)?;
    written.push(dir.join("summary.md").display().to_string());
    for r in rows {
        if let Some(c) = &r.outcome.counterexample {
            let name = format!("{}--{}.txt", file_stem(r.meta), r.variant);
            let path = cx_dir.join(&name);
            crate::atomic_write::write(&path, counterexample_block(r.meta, r.variant, c))?;
            written.push(path.display().to_string());
        }
    }
    Ok(written)
}

/// `check --junit FILE`: one test suite per scenario file, one test case per variant; a verdict
/// that differs from its expectation is a failure carrying the counterexample.
pub fn junit(rows: &[ResultRow<'_>]) -> String {
    use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};
    let mut report = Report::new("lockstep");
    let mut suites: Vec<TestSuite> = Vec::new();
    for r in rows {
        if suites.last().is_none_or(|s| s.name.as_str() != r.meta.path) {
            suites.push(TestSuite::new(r.meta.path.clone()));
        }
        let status = if r.ok() {
            TestCaseStatus::success()
        } else {
            let mut st = TestCaseStatus::non_success(NonSuccessKind::Failure);
            st.set_message(if r.unfired_fails() {
                unfired_note(r)
            } else if r.outcome.verdict == r.expected {
                let missed: Vec<&str> = r
                    .outcome
                    .reached
                    .iter()
                    .filter(|x| !x.reached())
                    .map(|x| x.target)
                    .collect();
                format!("reachability targets not reached: {}", missed.join(", "))
            } else {
                format!("verdict {}, expected {}", r.outcome.verdict, r.expected)
            });
            st
        };
        let mut case = TestCase::new(r.variant, status);
        case.set_classname(r.meta.path.clone());
        case.set_time(std::time::Duration::from_millis(r.elapsed_ms));
        let mut out = format!("{} ({})\n", r.outcome.verdict, r.backing());
        if !r.outcome.unfired.is_empty() {
            out.push_str(&unfired_note(r));
            out.push('\n');
        }
        if let Some(c) = &r.outcome.counterexample {
            out.push_str(&counterexample_block(r.meta, r.variant, c));
        }
        case.set_system_out(out);
        suites.last_mut().expect("a suite").add_test_case(case);
    }
    report.add_test_suites(suites);
    report.to_string().expect("JUnit serializes")
}
