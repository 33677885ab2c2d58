//! A counterexample as a reader wants it: virtual time, actor, what the step did, and the lock
//! fields after it, with whole rounds of routine polls folded into one line.

use crate::verdict::Verdict;
use std::fmt::Write;

use lockstep_sim::Row;

use crate::engine::Replayed;
use crate::scenario::Meta;

/// Quotes an argument for a POSIX shell only when it needs it.
pub fn shell_quote(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=*@+,".contains(c))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

/// The command that re-executes a counterexample.
pub fn replay_command(meta: &Meta, variant: &str, r: &Replayed) -> String {
    let without: String = meta
        .without
        .iter()
        .map(|w| format!(" --without {}", shell_quote(w)))
        .collect();
    // A witness replays on its search's model ("never TARGET"), not on the scenario's
    // invariants, which it may break on the way.
    let reach = match r.verdict {
        Verdict::Reached(target) => format!(" --reach {}", shell_quote(target)),
        _ => String::new(),
    };
    format!(
        "lockstep run {} --variant {}{without}{reach} --schedule {}{}",
        shell_quote(&meta.path),
        shell_quote(variant),
        shell_quote(&r.schedule.to_string()),
        if meta.interpreted {
            " --interpreted"
        } else {
            ""
        }
    )
}

/// The verdict, its explanation, the timeline and the replay command: exactly what `run`
/// prints for a violation and what `replay` prints again, byte for byte.
pub fn counterexample_block(meta: &Meta, variant: &str, r: &Replayed) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{} [{}]: {}", meta.path, variant, r.verdict);
    if let Some(e) = &r.explanation {
        let _ = writeln!(out, "  why: {e}");
    }
    // How much shrinking removed is reported beside the block (stderr, JSON), not in it: a
    // replay of this schedule must print these bytes again.
    if matches!(r.verdict, Verdict::Reached(_)) {
        let _ = writeln!(
            out,
            "  witness: {} moves ({} choices), the fewest found that reach it",
            r.schedule.moves(),
            r.schedule.len()
        );
    } else if r.verdict.is_violated() {
        let _ = writeln!(
            out,
            "  counterexample: {} moves ({} choices)",
            r.schedule.moves(),
            r.schedule.len()
        );
    } else {
        // A schedule that violates nothing (`run --example`, or a `--schedule` of a variant
        // that holds) is one run among many, not evidence of a bug.
        let _ = writeln!(
            out,
            "  example run: {} moves ({} choices); it violates nothing, and it is one schedule among many",
            r.schedule.moves(),
            r.schedule.len()
        );
    }
    let _ = writeln!(out);
    let width = r
        .rows
        .iter()
        .map(|row| row.actor.len())
        .max()
        .unwrap_or(1)
        .max(5);
    let _ = writeln!(out, "  {:>8}  {:<width$}  step", "time(ms)", "actor");
    let mut i = 0;
    while i < r.rows.len() {
        let row = &r.rows[i];
        if let Some(j) = fold_end(&r.rows, i) {
            fold(&mut out, &r.rows[i..=j], width);
            i = j + 1;
            continue;
        }
        let _ = writeln!(
            out,
            "  {:>8}  {:<width$}  {}: {}",
            row.time, row.actor, row.label, row.text
        );
        let _ = writeln!(out, "  {:>8}  {:<width$}    └ {}", "", "", row.state);
        i += 1;
    }
    let _ = writeln!(out);
    let _ = writeln!(out, "  replay: {}", replay_command(meta, variant, r));
    out
}

/// Where a fold starting at row `i` ends, if one does. A fold covers routine rows (polls that
/// found nothing) and ends at the last of them after which the world reads exactly as it did
/// before the first: whole rounds of a wait loop, however many steps a round takes, and never
/// a step that changed what a reader sees (a claim, a takeover, a throw) even when its model
/// called it routine. At least two rows, or none.
pub fn fold_end(rows: &[Row], i: usize) -> Option<usize> {
    let before = &rows[i.checked_sub(1)?].state;
    let run = rows[i..].iter().take_while(|r| r.routine).count();
    (2..=run)
        .rev()
        .map(|len| i + len - 1)
        .find(|&j| rows[j].state == *before)
}

/// Every fold a timeline of `rows` prints, as row ranges.
pub fn folds(rows: &[Row]) -> Vec<std::ops::RangeInclusive<usize>> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < rows.len() {
        match fold_end(rows, i) {
            Some(j) => {
                out.push(i..=j);
                i = j + 1;
            }
            None => i += 1,
        }
    }
    out
}

fn fold(out: &mut String, rows: &[Row], width: usize) {
    let mut actors: Vec<&str> = Vec::new();
    for r in rows {
        if !actors.contains(&r.actor.as_str()) {
            actors.push(&r.actor);
        }
    }
    let first = rows[0].time;
    let last = &rows[rows.len() - 1];
    let _ = writeln!(
        out,
        "  {:>8}  {:<width$}  {} routine polls until {} (last: {})",
        first,
        actors.join(","),
        rows.len(),
        last.time,
        last.text
    );
    let _ = writeln!(out, "  {:>8}  {:<width$}    └ {}", "", "", last.state);
}
