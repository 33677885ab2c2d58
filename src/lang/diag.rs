//! Errors in a protocol file: a span, what is wrong, and what to do. Rendered like scenario
//! errors (file:line:col, the source line, a help note), and never a panic.

use std::ops::Range;

use crate::scenario::ScenarioError;

/// An error at a span of a protocol file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diag {
    pub span: Range<usize>,
    pub message: String,
    pub help: Option<String>,
}

impl Diag {
    pub fn new(span: Range<usize>, message: impl Into<String>) -> Diag {
        Diag {
            span,
            message: message.into(),
            help: None,
        }
    }

    pub fn help(mut self, help: impl Into<String>) -> Diag {
        self.help = Some(help.into());
        self
    }

    /// The error as a located, renderable error of the file at `path` with text `text`.
    pub fn located(&self, path: &str, text: &str) -> ScenarioError {
        let end = self.span.end.min(text.len());
        let start = self.span.start.min(end);
        let mut e = ScenarioError::new(path, text, Some(start..end), self.message.clone());
        if let Some(h) = &self.help {
            e = e.help(h.clone());
        }
        e
    }
}

pub type Result<T> = std::result::Result<T, Diag>;
