//! Scenario errors: every user mistake gets the file, the line and column, what is wrong and
//! what to do, rendered like a compiler diagnostic.

use std::fmt;
use std::ops::Range;

use codespan_reporting::diagnostic::{Diagnostic, Label};
use codespan_reporting::files::SimpleFile;
use codespan_reporting::term::{self, termcolor::NoColor};

#[derive(Debug, Clone)]
pub struct ScenarioError {
    pub path: String,
    /// The source text, kept so the error can point into it (shared: errors are passed around
    /// by value).
    pub text: std::sync::Arc<str>,
    pub span: Option<Range<usize>>,
    pub message: String,
    pub help: Option<String>,
    /// A second location, often in another file (the protocol file a scenario names).
    pub also: Option<Box<ScenarioError>>,
}

impl ScenarioError {
    pub fn new(
        path: &str,
        text: &str,
        span: Option<Range<usize>>,
        message: impl Into<String>,
    ) -> Self {
        ScenarioError {
            path: path.to_string(),
            text: std::sync::Arc::from(text),
            span,
            message: message.into(),
            help: None,
            also: None,
        }
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// An error about a file that could not be read at all.
    pub fn unreadable(path: &str, why: impl fmt::Display) -> Self {
        ScenarioError::new(
            path,
            "",
            None,
            format!("cannot read the scenario file: {why}"),
        )
    }

    /// `path:line:col` of the error (1-based), or just the path.
    pub fn location(&self) -> String {
        match &self.span {
            Some(span) => {
                let (line, col) = line_col(&self.text, span.start);
                format!("{}:{line}:{col}", self.path)
            }
            None => self.path.clone(),
        }
    }

    /// The full diagnostic, as printed by the command line (no colour, deterministic).
    pub fn render(&self) -> String {
        let mut out = format!("error: {}: {}\n", self.location(), self.message);
        if let Some(span) = &self.span {
            let file = SimpleFile::new(&self.path, &self.text);
            let mut d = Diagnostic::error().with_labels(vec![Label::primary((), span.clone())]);
            if let Some(h) = &self.help {
                d = d.with_notes(vec![format!("help: {h}")]);
            }
            let mut buf = NoColor::new(Vec::new());
            let cfg = term::Config::default();
            if term::emit(&mut buf, &cfg, &file, &d).is_ok() {
                // Drop codespan's own header line: ours above carries file:line:col.
                let body = String::from_utf8_lossy(buf.get_ref()).to_string();
                let body: Vec<&str> = body.lines().skip(1).collect();
                out.push_str(&body.join("\n"));
                out.push('\n');
            }
        } else if let Some(h) = &self.help {
            out.push_str(&format!("  = help: {h}\n"));
        }
        if let Some(also) = &self.also {
            let inner = also.render();
            out.push_str(&inner.replacen("error: ", "note: ", 1));
        }
        out
    }
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.location(), self.message)
    }
}

impl std::error::Error for ScenarioError {}

/// 1-based line and column of byte offset `at` in `text`.
pub fn line_col(text: &str, at: usize) -> (usize, usize) {
    let at = at.min(text.len());
    let before = &text[..at];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

/// Converts a TOML/serde error into a located scenario error with advice.
pub fn from_toml(path: &str, text: &str, e: &toml_edit::de::Error) -> ScenarioError {
    let mut msg = e.message().trim().to_string();
    if msg.is_empty() {
        // The TOML parser gives no message for some errors, such as a file that ends after `=`
        // (found by the scenario fuzzer): say what is wrong at the place it points to.
        msg = "incomplete TOML here: a value (a number, a \"string\", [a list] or { a table }) is missing or unfinished".to_string();
    }
    let help = if msg.starts_with("unknown field") {
        Some("remove the key or fix its spelling; `lockstep list --params` names every key, and `lockstep new` writes an annotated scenario")
    } else if msg.starts_with("missing field") {
        Some("add the missing key; `lockstep new` writes an annotated scenario with every required key")
    } else if msg.starts_with("invalid type") || msg.starts_with("invalid value") {
        Some("times are whole milliseconds (non-negative integers); names and verdicts are strings")
    } else {
        None
    };
    let mut err = ScenarioError::new(path, text, e.span(), msg);
    if let Some(h) = help {
        err = err.help(h);
    }
    err
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_are_one_based() {
        let t = "a = 1\nbb = 2\n";
        assert_eq!(line_col(t, 0), (1, 1));
        assert_eq!(line_col(t, 6), (2, 1));
        assert_eq!(line_col(t, 8), (2, 3));
    }
}
