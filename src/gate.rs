//! Checking scenario and protocol files from a Rust `#[test]`: the verdicts `lockstep check`
//! gives, as a value, and an assertion that fails with the timeline of every verdict that
//! missed its expectation.
//!
//! ```no_run
//! #[test]
//! fn our_locks_meet_their_expectations() {
//!     lockstep::gate::assert_paths(&["protocols", "scenarios"]);
//! }
//! ```
//!
//! Paths are files or folders, relative to the working directory (a test's is its package's
//! root). Every protocol file (`*.lstep`) found is checked on its own, and every scenario file
//! (`*.toml`) is explored as its `[explore]` says.

use crate::cli::common::{collect_files, collect_protocols, explore_all, protocol_errors};
use crate::cli::Overrides;
use crate::models;
use crate::report::{counterexample_block, table};
use crate::scenario::Source;

/// What checking some paths found.
#[derive(Clone, Debug, Default)]
pub struct Checked {
    /// The results table `lockstep check` prints.
    pub table: String,
    /// (scenario, variant) pairs explored.
    pub results: usize,
    /// Each verdict that missed its expectation: what was expected, and the timeline.
    pub mismatches: Vec<String>,
    /// Files that could not be read, parsed or checked, rendered with file:line:col.
    pub errors: Vec<String>,
}

impl Checked {
    /// Every file loaded and every verdict met its expectation.
    pub fn ok(&self) -> bool {
        self.mismatches.is_empty() && self.errors.is_empty()
    }
}

/// Checks every scenario and protocol file under `paths`, as `lockstep check` does.
pub fn check_paths<P: AsRef<str>>(paths: &[P]) -> Checked {
    let paths: Vec<String> = paths.iter().map(|p| p.as_ref().to_string()).collect();
    let mut out = Checked::default();
    let (scenarios, protocols) = match (collect_files(&paths), collect_protocols(&paths)) {
        (Ok(s), Ok(p)) => (s, p),
        (Err(e), _) | (_, Err(e)) => {
            out.errors.push(format!("error: {e}\n"));
            return out;
        }
    };
    if scenarios.is_empty() && protocols.is_empty() {
        out.errors.push(
            "error: no scenario files (*.toml) or protocol files (*.lstep) under the given paths\n"
                .to_string(),
        );
    }
    out.errors.extend(protocol_errors(&protocols));
    let mut loaded = Vec::new();
    for f in &scenarios {
        match Source::read(f).and_then(|src| models::load(&src)) {
            Ok(l) if l.meta().no_expect.is_some() => {
                out.errors
                    .push(l.meta().no_expect.as_ref().expect("checked").render());
            }
            Ok(l) => loaded.push(l),
            Err(e) => out.errors.push(e.render()),
        }
    }
    // One pair at a time: a test harness already runs tests side by side.
    let rows = explore_all(&loaded, &Overrides::default(), false, 1);
    out.table = table(&rows);
    out.results = rows.len();
    for r in rows.iter().filter(|r| !r.ok()) {
        let mut text = if r.outcome.verdict == r.expected {
            format!("{}\n", crate::report::unfired_note(r))
        } else {
            format!(
                "{} [{}]: expected {}, got {}\n",
                r.meta.path, r.variant, r.expected, r.outcome.verdict
            )
        };
        if let Some(c) = &r.outcome.counterexample {
            text.push_str(&counterexample_block(r.meta, r.variant, c));
        }
        out.mismatches.push(text);
    }
    out
}

/// Checks every scenario and protocol file under `paths` and panics, with every file error and
/// the timeline of every verdict that missed its expectation, unless all is as expected.
pub fn assert_paths<P: AsRef<str>>(paths: &[P]) {
    let c = check_paths(paths);
    if c.ok() {
        return;
    }
    let mut msg = String::new();
    for e in &c.errors {
        msg.push_str(e);
    }
    for m in &c.mismatches {
        msg.push_str(m);
        msg.push('\n');
    }
    msg.push_str(&c.table);
    panic!(
        "{} file error(s), {} of {} verdict(s) missed their expectation\n{msg}",
        c.errors.len(),
        c.mismatches.len(),
        c.results
    );
}
