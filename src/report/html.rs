//! The report reviewers look at: one self-contained HTML page (`reports/index.html`) with the
//! verdict matrix per protocol, what backs each verdict, the exploration figures, and a
//! swimlane picture (see [`super::svg`]) of every counterexample beside its text timeline.
//!
//! Inline CSS and SVG only: no script, no font or stylesheet fetched from anywhere, so the page
//! opens from disk, works offline and prints. Its bytes are a pure function of the results
//! (no wall-clock time, no absolute path): elapsed times, which differ between runs, are left
//! out; states, transitions and schedules, which do not, are in.

use std::fmt::Write;

use super::results::{file_stem, ResultRow};
use super::svg::{escape, swimlane, Picture};
use super::timeline::counterexample_block;

const STYLE: &str = r#"
body { font: 15px/1.45 system-ui, sans-serif; color: #1d1d1d; margin: 2rem auto; max-width: 1180px; padding: 0 1rem; }
h1 { font-size: 1.6rem; margin-bottom: .2rem; }
h2 { border-bottom: 2px solid #333; padding-bottom: .2rem; margin-top: 2.4rem; }
h3 { margin: 2rem 0 .3rem; }
p.lead { color: #444; max-width: 60rem; }
table { border-collapse: collapse; margin: .8rem 0 1.2rem; font-size: 13.5px; }
th code { white-space: nowrap; font-size: 12px; }
th, td { border: 1px solid #c8c8c8; padding: .35rem .55rem; vertical-align: top; text-align: left; }
th { background: #eeeeee; }
td.ok { background: #eef7ee; }
td.fail { background: #fbe9eb; border: 2px solid #b00020; }
.verdict { font-weight: 600; font-family: ui-monospace, monospace; }
.backing, .expected { display: block; color: #555; font-size: 12px; }
.expected { color: #b00020; font-weight: 600; }
a { color: #0b57a4; }
figure { margin: .6rem 0 1rem; overflow-x: auto; border: 1px solid #d4d4d4; padding: .4rem; background: #fff; }
figure svg { display: block; }
figcaption { font-size: 13px; color: #444; margin-top: .3rem; }
pre { background: #f6f6f6; padding: .7rem; overflow-x: auto; font-size: 12.5px; line-height: 1.35; }
code { font-family: ui-monospace, monospace; font-size: 12.5px; }
.why { font-style: italic; }
.figures td:nth-child(n+4) { text-align: right; font-variant-numeric: tabular-nums; }
@media print {
  body { margin: 0; max-width: none; font-size: 11pt; }
  figure, table, pre { break-inside: avoid; }
  a { color: inherit; text-decoration: none; }
  details { display: block; }
  details > pre { display: block; }
}
"#;

/// The id of a result's counterexample section.
fn anchor(r: &ResultRow<'_>) -> String {
    let raw = format!("cx-{}--{}", file_stem(r.meta), r.variant);
    raw.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect()
}

/// The whole page.
pub fn page(rows: &[ResultRow<'_>]) -> String {
    let mut out = String::new();
    let bad = rows.iter().filter(|r| !r.ok()).count();
    let _ = write!(
        out,
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>lockstep report</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<h1>lockstep report</h1>\n<p class=\"lead\">{} results, {} as expected, {} not. Each cell is the verdict of one (scenario, variant) and what backs it. A <em>holds</em> backed by an exhaustive search is a proof over the scenario's bounded space; one backed by scripted or random runs is evidence from those runs, not a proof. Every counterexample below is drawn as swimlanes (a lane per actor and one for the shared state, a column per step) beside its text timeline and the command that replays it.</p>\n",
        rows.len(),
        rows.len() - bad,
        bad
    );
    for protocol in protocols(rows) {
        let mine: Vec<&ResultRow<'_>> = rows
            .iter()
            .filter(|r| r.meta.protocol == protocol)
            .collect();
        let _ = writeln!(out, "<h2 id=\"protocol-{0}\">{0}</h2>", escape(protocol));
        matrix(&mut out, &mine);
        figures(&mut out, &mine);
    }
    let cxs: Vec<&ResultRow<'_>> = rows
        .iter()
        .filter(|r| r.outcome.counterexample.is_some())
        .collect();
    if !cxs.is_empty() {
        out.push_str("<h2 id=\"counterexamples\">Counterexamples</h2>\n");
    }
    for r in cxs {
        counterexample(&mut out, r);
    }
    out.push_str("</body>\n</html>\n");
    out
}

fn protocols<'a>(rows: &[ResultRow<'a>]) -> Vec<&'a str> {
    let mut out: Vec<&str> = Vec::new();
    for r in rows {
        if !out.contains(&r.meta.protocol) {
            out.push(r.meta.protocol);
        }
    }
    out
}

/// Scenario × variant: the verdict, its backing, and a link to its counterexample.
fn matrix(out: &mut String, rows: &[&ResultRow<'_>]) {
    let mut variants: Vec<&str> = Vec::new();
    let mut scenarios: Vec<&str> = Vec::new();
    for r in rows {
        if !variants.contains(&r.variant) {
            variants.push(r.variant);
        }
        if !scenarios.contains(&r.meta.path.as_str()) {
            scenarios.push(&r.meta.path);
        }
    }
    if let Some(p) = crate::models::find(rows[0].meta.protocol) {
        variants.sort_by_key(|v| p.variants().iter().position(|x| x.name == *v));
    }
    out.push_str("<table class=\"matrix\">\n<tr><th>scenario</th>");
    for v in &variants {
        let _ = write!(out, "<th>{}</th>", escape(v));
    }
    out.push_str("</tr>\n");
    for s in scenarios {
        let _ = write!(out, "<tr><th><code>{}</code></th>", escape(s));
        for v in &variants {
            match rows.iter().find(|r| r.meta.path == s && r.variant == *v) {
                Some(r) => cell(out, r),
                None => out.push_str("<td></td>"),
            }
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</table>\n");
}

fn cell(out: &mut String, r: &ResultRow<'_>) {
    let class = if r.ok() { "ok" } else { "fail" };
    let verdict = if r.outcome.counterexample.is_some() {
        format!(
            "<a href=\"#{}\">{}</a>",
            anchor(r),
            escape(&r.outcome.verdict.to_string())
        )
    } else {
        escape(&r.outcome.verdict.to_string())
    };
    let expected = if r.ok() {
        String::new()
    } else {
        format!(
            "<span class=\"expected\">expected {}</span>",
            escape(&r.expected.to_string())
        )
    };
    let _ = write!(
        out,
        "<td class=\"{class}\"><span class=\"verdict\">{verdict}</span><span class=\"backing\">{}</span>{expected}</td>",
        escape(&r.backing())
    );
}

/// The exploration figures per result: strategy, states, transitions, schedules.
fn figures(out: &mut String, rows: &[&ResultRow<'_>]) {
    out.push_str("<details><summary>Exploration figures</summary>\n<table class=\"figures\">\n<tr><th>scenario</th><th>variant</th><th>strategy</th><th>states</th><th>transitions</th><th>schedules</th><th>counterexample moves</th></tr>\n");
    for r in rows {
        let rep = &r.outcome.report;
        let moves = r
            .outcome
            .counterexample
            .as_ref()
            .map_or(String::new(), |c| c.schedule.moves().to_string());
        let _ = writeln!(
            out,
            "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{moves}</td></tr>",
            escape(&r.meta.path),
            escape(r.variant),
            r.outcome.strategy_name(),
            super::thousands(rep.states),
            super::thousands(rep.steps),
            super::thousands(rep.schedules),
        );
    }
    out.push_str("</table>\n</details>\n");
    for r in rows {
        if let Some(u) = r.outcome.unreached.as_ref().filter(|u| !u.lines.is_empty()) {
            let lines: Vec<String> = u
                .lines
                .iter()
                .zip(
                    u.text
                        .iter()
                        .map(String::as_str)
                        .chain(std::iter::repeat("")),
                )
                .map(|(l, t)| format!("<li>line {l}: <code>{}</code></li>", escape(t)))
                .collect();
            let _ = writeln!(
                out,
                "<p><code>{}</code> [{}] holds, but no explored schedule ran these lines of <code>{}</code> (the verdict says nothing about them):</p>\n<ul>{}</ul>",
                escape(&r.meta.path),
                escape(r.variant),
                escape(&u.file),
                lines.join("")
            );
        }
    }
}

/// One counterexample: the swimlanes, and the text timeline with its replay command (a
/// protocol file's steps name their source lines).
fn counterexample(out: &mut String, r: &ResultRow<'_>) {
    let Some(c) = &r.outcome.counterexample else {
        return;
    };
    let id = anchor(r);
    let title = format!("{} · {}", r.meta.name, r.variant);
    let text = counterexample_block(r.meta, r.variant, c);
    let _ = writeln!(
        out,
        "<section class=\"counterexample\">\n<h3 id=\"{id}\">{} <span class=\"verdict\">{}</span></h3>",
        escape(&title),
        escape(&c.verdict.to_string())
    );
    if let Some(why) = &c.explanation {
        let _ = writeln!(out, "<p class=\"why\">{}</p>", escape(why));
    }
    let svg = swimlane(&Picture {
        id: &format!("{id}-svg"),
        title: &title,
        replayed: c,
        text: "Swimlanes: a lane per actor and one for the shared state, a column per step. The same timeline as text follows the picture.",
    });
    let _ = writeln!(
        out,
        "<figure>\n{svg}<figcaption><code>{}</code>: {} moves. Hover a step for what it did and the state after it.</figcaption>\n</figure>",
        escape(&r.meta.path),
        c.schedule.moves()
    );
    let _ = writeln!(
        out,
        "<details><summary>The timeline as text</summary>\n<pre>{}</pre>\n</details>",
        escape(&text)
    );
    out.push_str("</section>\n");
}
