//! A counterexample as a swimlane picture (inline SVG): a lane per actor and one for the shared
//! state, one column per step (routine polls folded into one column, drawn as a break), the
//! time of each step on the axis, a bar wherever an actor is inside the protected section (two
//! overlapping bars are two owners at once), and the step that broke the invariant ringed.
//!
//! Readers think in lanes (request A, request B, the lock) and want the overlap at a glance;
//! the text timeline stays the reference and sits beside the picture (in `<desc>` for screen
//! readers, and under the picture in the HTML report). Columns are steps, not milliseconds:
//! a 30-minute wait and a microtask would otherwise share a pixel. The bytes are a pure
//! function of the timeline (no clock, no path), hatching and shapes carry every distinction
//! colour does, so it prints in greyscale, and there is no script.

use crate::verdict::Verdict;
use std::fmt::Write;

use lockstep_sim::Row;

use crate::engine::Replayed;

use super::timeline::fold_end;

const LEFT: usize = 112;
const COLUMN: usize = 76;
const TOP: usize = 76;
const LANE: usize = 46;
const LEGEND: usize = 64;
/// The shared state's lane.
const STATE_LANE: &str = "shared state";

/// One column: a step, or a fold of routine steps.
struct Column<'a> {
    first: &'a Row,
    last: &'a Row,
    /// Routine steps folded into this column (0 for a single step).
    folded: usize,
}

fn columns(rows: &[Row]) -> Vec<Column<'_>> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < rows.len() {
        match fold_end(rows, i) {
            Some(j) => {
                out.push(Column {
                    first: &rows[i],
                    last: &rows[j],
                    folded: j - i + 1,
                });
                i = j + 1;
            }
            None => {
                out.push(Column {
                    first: &rows[i],
                    last: &rows[i],
                    folded: 0,
                });
                i += 1;
            }
        }
    }
    out
}

/// The actors' lanes, in the order they first appear (acting or in the section).
fn lanes(rows: &[Row]) -> Vec<&str> {
    let mut out: Vec<&str> = Vec::new();
    for r in rows {
        for name in std::iter::once(&r.actor).chain(&r.section) {
            if !out.contains(&name.as_str()) {
                out.push(name);
            }
        }
    }
    out
}

/// Escapes text for XML.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            _ => out.push(c),
        }
    }
    out
}

/// At most `n` characters of `s`, with an ellipsis when cut.
fn clip(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

/// A time for the axis: milliseconds up to 10 s, then seconds, minutes.
fn short_time(ms: u64) -> String {
    match ms {
        0..=9_999 => format!("{ms} ms"),
        10_000..=599_999 => format!("{:.1} s", ms as f64 / 1000.0),
        _ => format!("{:.1} min", ms as f64 / 60_000.0),
    }
}

/// What the swimlane is of.
pub struct Picture<'a> {
    /// Unique within a page (the SVG's element ids start with it).
    pub id: &'a str,
    /// "clobber · v1-reclaim"
    pub title: &'a str,
    pub replayed: &'a Replayed,
    /// The picture's `<desc>`: the full text timeline for a standalone picture, or a pointer to
    /// the text beside it on a page.
    pub text: &'a str,
}

/// The swimlane as an `<svg>` element.
pub fn swimlane(p: &Picture<'_>) -> String {
    let cols = columns(&p.replayed.rows);
    let mut names = lanes(&p.replayed.rows);
    names.push(STATE_LANE);
    // Wide enough for the legend however few the steps.
    let width = (LEFT + cols.len().max(1) * COLUMN + 24).max(1000);
    let height = TOP + names.len() * LANE + LEGEND;
    let mut out = String::new();
    let _ = writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="swimlane" id="{id}" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" aria-labelledby="{id}-title {id}-desc" font-family="system-ui, sans-serif" font-size="11">"#,
        id = p.id
    );
    let _ = writeln!(
        out,
        r#"<title id="{}-title">{}: {}</title><desc id="{}-desc">{}</desc>"#,
        p.id,
        escape(p.title),
        escape(&p.replayed.verdict.to_string()),
        p.id,
        escape(p.text)
    );
    defs(&mut out, p.id);
    lane_backgrounds(&mut out, &names, width);
    axis(&mut out, &cols);
    bars(&mut out, &cols, &names, p.id);
    marks(&mut out, &cols, &names, &p.replayed.verdict);
    legend(&mut out, height - LEGEND + 14, p.id);
    out.push_str("</svg>\n");
    out
}

fn defs(out: &mut String, id: &str) {
    let _ = writeln!(
        out,
        r##"<defs><pattern id="{id}-hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="#9ec5e8"/><line x1="0" y1="0" x2="0" y2="6" stroke="#1f5f99" stroke-width="2"/></pattern></defs>"##
    );
}

fn lane_y(i: usize) -> usize {
    TOP + i * LANE + LANE / 2
}

fn column_x(i: usize) -> usize {
    LEFT + i * COLUMN + COLUMN / 2
}

fn lane_backgrounds(out: &mut String, names: &[&str], width: usize) {
    for (i, name) in names.iter().enumerate() {
        let y = TOP + i * LANE;
        let fill = if i % 2 == 0 { "#f4f4f4" } else { "#ffffff" };
        let _ = writeln!(
            out,
            r##"<g class="lane" data-lane="{n}"><rect x="0" y="{y}" width="{width}" height="{LANE}" fill="{fill}"/><text x="8" y="{ty}" font-weight="600">{n}</text><line x1="{LEFT}" y1="{cy}" x2="{x2}" y2="{cy}" stroke="#bbbbbb" stroke-dasharray="2 3"/></g>"##,
            n = escape(name),
            ty = y + LANE / 2 + 4,
            cy = lane_y(i),
            x2 = width - 12,
        );
    }
}

/// The time of each column on the axis (when it changed), and a break over each fold.
fn axis(out: &mut String, cols: &[Column<'_>]) {
    let _ = writeln!(
        out,
        r##"<text x="8" y="{ly}" fill="#555555">virtual time</text><line x1="{LEFT}" y1="{y}" x2="{x2}" y2="{y}" stroke="#555555"/>"##,
        y = TOP - 10,
        ly = TOP - 20,
        x2 = LEFT + cols.len() * COLUMN,
    );
    let mut shown: Option<u64> = None;
    for (i, c) in cols.iter().enumerate() {
        let x = column_x(i);
        if c.folded > 0 {
            // A break: the folded polls' span of time.
            let _ = writeln!(
                out,
                r##"<g class="break"><path d="M{a} {y1} l6 -8 l6 16 l6 -8" fill="none" stroke="#555555" stroke-width="1.5"/><text x="{x}" y="{ty}" text-anchor="middle" fill="#555555">{}–{}</text></g>"##,
                short_time(c.first.time),
                short_time(c.last.time),
                a = x - 9,
                y1 = TOP - 10,
                ty = TOP - 38,
            );
            shown = Some(c.last.time);
        } else if shown != Some(c.first.time) {
            let _ = writeln!(
                out,
                r##"<text x="{x}" y="{y}" text-anchor="middle" fill="#333333">{}</text><line x1="{x}" y1="{a}" x2="{x}" y2="{b}" stroke="#555555"/>"##,
                short_time(c.first.time),
                y = TOP - 24,
                a = TOP - 14,
                b = TOP - 6,
            );
            shown = Some(c.first.time);
        }
    }
}

/// A bar wherever an actor is inside the protected section, from the step that put it there
/// to the step after it left.
fn bars(out: &mut String, cols: &[Column<'_>], names: &[&str], id: &str) {
    for (lane, name) in names.iter().enumerate() {
        let mut start: Option<usize> = None;
        for i in 0..=cols.len() {
            let inside = cols
                .get(i)
                .is_some_and(|c| c.last.section.iter().any(|s| s == name));
            match (inside, start) {
                (true, None) => start = Some(i),
                (false, Some(s)) => {
                    let x = column_x(s);
                    let end = if i == cols.len() {
                        column_x(i - 1) + COLUMN / 2
                    } else {
                        column_x(i)
                    };
                    let _ = writeln!(
                        out,
                        r##"<rect class="section" data-lane="{n}" x="{x}" y="{y}" width="{w}" height="14" rx="3" fill="url(#{id}-hatch)" stroke="#1f5f99"><title>{n} inside the protected section</title></rect>"##,
                        n = escape(name),
                        y = lane_y(lane) - 7,
                        w = end - x,
                    );
                    start = None;
                }
                _ => {}
            }
        }
    }
}

/// A mark per column on its actor's lane, a diamond on the shared-state lane where the state
/// changed, and a ring around the violating step.
fn marks(out: &mut String, cols: &[Column<'_>], names: &[&str], verdict: &Verdict) {
    let state_lane = names.len() - 1;
    let lane_of = |a: &str| names.iter().position(|n| *n == a).unwrap_or(state_lane);
    let mut state: Option<&str> = None;
    let violated = verdict.violated();
    for (i, c) in cols.iter().enumerate() {
        let (x, y) = (column_x(i), lane_y(lane_of(&c.first.actor)));
        let title = if c.folded > 0 {
            format!(
                "{}–{} ms · {} · {} routine polls (last: {}: {})\nstate after: {}",
                c.first.time,
                c.last.time,
                c.first.actor,
                c.folded,
                c.last.label,
                c.last.text,
                c.last.state
            )
        } else {
            format!(
                "{} ms · {} · {}: {}\nstate after: {}",
                c.first.time, c.first.actor, c.first.label, c.first.text, c.first.state
            )
        };
        let shape = if c.folded > 0 {
            format!(
                r##"<rect x="{}" y="{}" width="28" height="14" rx="7" fill="#ffffff" stroke="#333333" stroke-dasharray="3 2"/><text x="{x}" y="{}" text-anchor="middle" font-size="9">×{}</text>"##,
                x - 14,
                y - 7,
                y + 3,
                c.folded
            )
        } else {
            format!(r##"<circle cx="{x}" cy="{y}" r="6" fill="#222222"/>"##)
        };
        let label = if c.folded > 0 {
            "polls"
        } else {
            c.first.label.as_str()
        };
        let _ = writeln!(
            out,
            r##"<g class="mark" data-lane="{a}" tabindex="0"><title>{t}</title>{shape}<text x="{x}" y="{ly}" text-anchor="middle" font-size="9.5" fill="#333333">{l}</text></g>"##,
            a = escape(&c.first.actor),
            t = escape(&title),
            ly = y + 19,
            l = escape(&clip(label, 13)),
        );
        if state != Some(c.last.state.as_str()) {
            state = Some(&c.last.state);
            let sy = lane_y(state_lane);
            let _ = writeln!(
                out,
                r##"<g class="state"><title>{} ms: {}</title><path d="M{x} {a} l6 6 l-6 6 l-6 -6 z" fill="#ffffff" stroke="#333333"/></g>"##,
                c.last.time,
                escape(&c.last.state),
                a = sy - 6,
            );
        }
        if i + 1 == cols.len()
            && let Some(inv) = violated
        {
            let _ = writeln!(
                out,
                r##"<g class="violation"><line x1="{x}" y1="{TOP}" x2="{x}" y2="{b}" stroke="#b00020" stroke-width="1.5" stroke-dasharray="5 3"/><circle cx="{x}" cy="{y}" r="11" fill="none" stroke="#b00020" stroke-width="3"/><text x="{tx}" y="{ty}" text-anchor="end" fill="#b00020" font-weight="700">✗ {inv}</text></g>"##,
                b = lane_y(state_lane) + LANE / 2,
                tx = x + COLUMN / 2 - 2,
                ty = TOP - 56,
                inv = escape(inv),
            );
        }
    }
}

fn legend(out: &mut String, y: usize, id: &str) {
    let _ = writeln!(
        out,
        r##"<g class="legend" font-size="10.5" fill="#333333"><circle cx="{a}" cy="{y}" r="5" fill="#222222"/><text x="{at}" y="{ty}">a step (hover: what it did, the state after)</text><rect x="{b}" y="{by}" width="30" height="12" rx="3" fill="url(#{id}-hatch)" stroke="#1f5f99"/><text x="{bt}" y="{ty}">inside the protected section</text><rect x="{c}" y="{by}" width="26" height="12" rx="6" fill="#ffffff" stroke="#333333" stroke-dasharray="3 2"/><text x="{ct}" y="{ty}">routine polls, folded (a break in time)</text><path d="M{d} {dy} l6 6 l-6 6 l-6 -6 z" fill="#ffffff" stroke="#333333"/><text x="{dt}" y="{ty}">shared state changed</text><circle cx="{e}" cy="{y}" r="8" fill="none" stroke="#b00020" stroke-width="3"/><text x="{et}" y="{ty}">the violating step</text></g>"##,
        a = 16,
        at = 26,
        b = 262,
        bt = 298,
        c = 462,
        ct = 494,
        d = 718,
        dt = 730,
        e = 872,
        et = 886,
        by = y - 6,
        dy = y - 6,
        ty = y + 4,
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axis_times_read_in_the_unit_that_fits() {
        assert_eq!(short_time(320), "320 ms");
        assert_eq!(short_time(45_000), "45.0 s");
        assert_eq!(short_time(1_800_000), "30.0 min");
    }

    #[test]
    fn text_is_escaped_and_clipped() {
        assert_eq!(escape("a<b & \"c\">"), "a&lt;b &amp; &quot;c&quot;&gt;");
        assert_eq!(clip("claims the lock", 8), "claims …");
        assert_eq!(clip("poll", 8), "poll");
    }
}
