//! Lints for this bug class: where a lock design has the shape of a known bug, said before
//! any search. A lint is a hint: it never changes a verdict, and `lockstep lint` exits 0 on
//! findings unless asked to deny them.
//!
//! Each variant of a file is walked on its own ([`walk`]): its overrides applied and its
//! constant branches (`if ANCHORS && anchor` with `ANCHORS = false`) dead. A finding at the
//! same place in several variants is one finding that names them all.
//!
//! | id | shape | bugs of the catalogue it describes |
//! |----|-------|------------------------------------|
//! | `ungated-release` | a `finally` writes shared state without comparing the releaser's token or generation in that step | the clobber: init-lock v1-v2, the restart lock's unlink, prewarm v1's release |
//! | `ungated-claim-write` | inside a claim, shared state written after an await with no check of it in that step | the late publish: init-lock v1-v3 (A6) |
//! | `judge-then-act` | a condition judges shared state, an await, then a write of it with no re-check | a check and a claim split by an await (C1, D3) |
//! | `finally-without-anchor` | workerd: cleanup in `finally` of a claim whose body awaits before anything anchors it | a cancelled owner's claim stays held (A0) |
//! | `poll-without-sleep` | a loop that polls shared state with no sleep, wait or work in it | a busy wait that starves the owner |
//!
//! A finding the author has judged safe is silenced in the file, beside it: `// lockstep:
//! allow(judge-then-act) why` after the code or on the line above. An allow that silences
//! nothing in any variant is itself reported (`unused-allow`), so allows do not outlive the
//! code they were written for; a name that is no lint is an error when the file loads.
//!
//! An `assume` that fails for the file's own defaults is not a lint but an error: loading a
//! file lowers every variant with its defaults and stops there (exit 2). An `assume ... for
//! PROPERTY` is the property's opt-in, not a mistake, and is left alone.

mod files;
mod names;
mod walk;

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;

use codespan_reporting::diagnostic::{Diagnostic, Label};
use codespan_reporting::files::SimpleFile;
use codespan_reporting::term::{self, termcolor::NoColor};

use super::ast::{File, ItemKind};
use super::Protocol;
use crate::scenario::line_col;

/// A lint's kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Rule {
    UngatedRelease,
    UngatedClaimWrite,
    JudgeThenAct,
    FinallyWithoutAnchor,
    PollWithoutSleep,
    /// A `// lockstep: allow(...)` that silences nothing.
    UnusedAllow,
}

impl Rule {
    pub const ALL: [Rule; 6] = [
        Rule::UngatedRelease,
        Rule::UngatedClaimWrite,
        Rule::JudgeThenAct,
        Rule::FinallyWithoutAnchor,
        Rule::PollWithoutSleep,
        Rule::UnusedAllow,
    ];

    /// The lints a `// lockstep: allow(...)` may name: the design lints.
    pub const ALLOWABLE: [Rule; 5] = [
        Rule::UngatedRelease,
        Rule::UngatedClaimWrite,
        Rule::JudgeThenAct,
        Rule::FinallyWithoutAnchor,
        Rule::PollWithoutSleep,
    ];

    pub fn id(self) -> &'static str {
        match self {
            Rule::UngatedRelease => "ungated-release",
            Rule::UngatedClaimWrite => "ungated-claim-write",
            Rule::JudgeThenAct => "judge-then-act",
            Rule::FinallyWithoutAnchor => "finally-without-anchor",
            Rule::PollWithoutSleep => "poll-without-sleep",
            Rule::UnusedAllow => "unused-allow",
        }
    }

    /// The kind of interleaving that would show the bug.
    fn note(self) -> &'static str {
        match self {
            Rule::UngatedRelease => "the clobber: the owner's claim is taken over (its deadline passes, or it is judged dead), the new owner claims, then the first owner's finally runs and releases the new owner's claim",
            Rule::UngatedClaimWrite => "the late write: while this owner awaits, its claim is taken over; when it resumes, its write lands over the new owner's state",
            Rule::JudgeThenAct => "check, await, act: another actor changes the state at the await, and this actor acts on what it judged before it",
            Rule::FinallyWithoutAnchor => "the cancelled owner: the request is cancelled at that await and its finally never runs; its claim stays held until a waiter may reclaim it (every waiter pays the full deadline), or forever when nothing reclaims",
            Rule::PollWithoutSleep => "the busy wait: the loop runs again at the same instant, so virtual time cannot pass for the owner it waits for",
            Rule::UnusedAllow => "the lint it names does not fire on that line in any variant: the code changed, or the allow is on the wrong line",
        }
    }

    /// The interleaving and the usual fix for a finding on a file.
    fn file_note_help(self) -> (&'static str, &'static str) {
        match self {
            Rule::JudgeThenAct => (
                "judge, then act on a fixed name: another process replaces the file between the read and this call (it breaks the same stale lock and claims it), and this call destroys the newer file",
                "act only on a generation you alone name (unique names created with 'wx' or mkdir), rename the file to a private name and re-check it there, or hold a claim on another path (a mutex) across both calls",
            ),
            _ => (
                "the late release: this process paused or ran long, its claim was judged stale and taken over, and its release now removes the new owner's file",
                "read the file and compare your own token before removing it, under a claim that keeps others out, or claim under a unique name",
            ),
        }
    }

    /// The usual fix.
    fn help(self) -> &'static str {
        match self {
            Rule::UngatedRelease => "keep the claim's token or generation (`let mine = ...`) and release only while it is still yours: `if lock.gen == mine { ... }`",
            Rule::UngatedClaimWrite => "check the claim in the same step as the write: `if lock.gen == mine { ... }`, or throw when it was lost",
            Rule::JudgeThenAct => "re-check the state after the await, in the step that writes it, or make the check and the write one step",
            Rule::FinallyWithoutAnchor => "anchor the work before its first await (`anchor()`, workerd's waitUntil), or give the claim a deadline after which a waiter may reclaim it",
            Rule::PollWithoutSleep => "wait between polls: `await sleep(poll)`, or `await until <condition>`",
            Rule::UnusedAllow => "remove the allow, or put it after the code the finding names or on the line above it",
        }
    }
}

/// One finding of one variant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    pub rule: Rule,
    /// Where it is reported: the statement or call of the region's own code.
    pub site: Range<usize>,
    /// The write itself (inside a called function when the site is a call).
    pub write: Range<usize>,
    /// The shared root written or polled.
    pub root: String,
    /// The await the write follows (or where a cancel drops the `finally`).
    pub awaited: Option<Range<usize>>,
    /// The condition that judged the root.
    pub judged: Option<Range<usize>>,
    /// On a file (`root` is its path), not on shared state.
    pub file: bool,
}

/// A finding and the variants it holds for, in declaration order.
#[derive(Clone, Debug)]
pub struct Lint {
    pub finding: Finding,
    pub variants: Vec<String>,
}

/// The findings of one variant's file.
pub fn findings(file: &File) -> Vec<Finding> {
    let names = names::Names::of(file);
    let mut walker = walk::Walker::new(&names, file.platform.text == "workerd");
    for item in &file.items {
        if let ItemKind::Actor(a) = &item.kind {
            walker.actor(&a.body);
        }
    }
    walker.out
}

/// Every lint of a protocol file, over all its variants, in source order: the findings no
/// `// lockstep: allow(...)` silences, and the allows that silence nothing.
pub fn lint(p: &Protocol) -> Vec<Lint> {
    let mut merged: BTreeMap<(usize, usize, Rule), Lint> = BTreeMap::new();
    let allows = &p.ast.allows;
    let mut used: BTreeSet<(usize, usize)> = BTreeSet::new();
    for v in &p.variants {
        for f in findings(p.file_of(&v.name)) {
            let line = line_col(&p.text, f.site.start).0;
            let silenced = allows.iter().enumerate().find_map(|(i, a)| {
                let k = a.rules.iter().position(|(id, _)| *id == f.rule.id());
                k.filter(|_| a.line == line).map(|k| (i, k))
            });
            if let Some(which) = silenced {
                used.insert(which);
                continue;
            }
            let key = (f.site.start, f.site.end, f.rule);
            merged
                .entry(key)
                .or_insert_with(|| Lint {
                    finding: f,
                    variants: Vec::new(),
                })
                .variants
                .push(v.name.clone());
        }
    }
    for (i, a) in allows.iter().enumerate() {
        for (k, (id, span)) in a.rules.iter().enumerate() {
            if !used.contains(&(i, k)) {
                let finding = Finding {
                    rule: Rule::UnusedAllow,
                    site: span.clone(),
                    write: span.clone(),
                    root: id.clone(),
                    awaited: None,
                    judged: None,
                    file: false,
                };
                let key = (span.start, span.end, Rule::UnusedAllow);
                merged.insert(
                    key,
                    Lint {
                        finding,
                        variants: Vec::new(),
                    },
                );
            }
        }
    }
    merged.into_values().collect()
}

/// A directive naming something that is not a lint: the file's error (a misspelt allow would
/// otherwise silence nothing and look as if it did).
pub fn check_allows(file: &File) -> Result<(), super::Diag> {
    for a in &file.allows {
        for (id, span) in &a.rules {
            if !Rule::ALLOWABLE.iter().any(|r| r.id() == id) {
                let ids: Vec<&str> = Rule::ALLOWABLE.iter().map(|r| r.id()).collect();
                return Err(
                    super::Diag::new(span.clone(), format!("`{id}` is not a lint"))
                        .help(format!("the lints an allow may name: {}", ids.join(", "))),
                );
            }
        }
    }
    Ok(())
}

impl Lint {
    /// `path:line:col` of the finding.
    pub fn location(&self, p: &Protocol) -> String {
        let (line, col) = line_col(&p.text, self.finding.site.start);
        format!("{}:{line}:{col}", p.path)
    }

    /// What is wrong, in one sentence.
    pub fn message(&self, p: &Protocol) -> String {
        let f = &self.finding;
        let root = &f.root;
        let line =
            |s: &Option<Range<usize>>| s.as_ref().map_or(0, |s| line_col(&p.text, s.start).0);
        match (f.rule, f.file) {
            (Rule::UngatedRelease, true) => format!("the process removes its claim `{root}` without first reading whose it is: after a takeover it removes the new owner's"),
            (Rule::JudgeThenAct, true) => format!("`{root}` is read on line {}, and this call acts on it in a later step, with no claim on another path held in between", line(&f.judged)),
            _ => self.shared_message(p),
        }
    }

    fn shared_message(&self, p: &Protocol) -> String {
        let f = &self.finding;
        let root = &f.root;
        let line =
            |s: &Option<Range<usize>>| s.as_ref().map_or(0, |s| line_col(&p.text, s.start).0);
        match f.rule {
            Rule::UngatedRelease => format!("a `finally` writes shared `{root}` without first comparing the releaser's own token or generation"),
            Rule::UngatedClaimWrite => format!("shared `{root}` is written inside a claim after the await on line {}, and this step checks neither the claim's token nor `{root}`", line(&f.awaited)),
            Rule::JudgeThenAct => format!("`{root}` is judged on line {}, then the await on line {} runs, then `{root}` is written with no re-check", line(&f.judged), line(&f.awaited)),
            Rule::FinallyWithoutAnchor => format!("cleanup in `finally` is skipped when the request is cancelled at the await on line {}: on workerd a cancel drops the continuation, and nothing anchors this work", line(&f.awaited)),
            Rule::PollWithoutSleep => format!("this loop polls shared `{root}` with no sleep, wait or work in it"),
            Rule::UnusedAllow => {
                let line = self.finding.site.start;
                let at = p.ast.allows.iter().find(|a| a.span.contains(&line)).map_or(0, |a| a.line);
                format!("this allows `{root}` on line {at}, and no variant's `{root}` finding is there")
            }
        }
    }

    /// The one-line form `check` and `run` print before exploring.
    pub fn summary(&self, p: &Protocol) -> String {
        let variants = if self.variants.is_empty() {
            String::new()
        } else {
            format!(" ({})", self.variants.join(", "))
        };
        format!(
            "warning[{}]: {}: {}{variants}",
            self.finding.rule.id(),
            self.location(p),
            self.message(p),
        )
    }

    /// The full diagnostic: the source line, the write, a note naming the interleaving and a
    /// help line with the usual fix.
    pub fn render(&self, p: &Protocol) -> String {
        let f = &self.finding;
        let mut out = format!(
            "warning[{}]: {}: {}\n",
            f.rule.id(),
            self.location(p),
            self.message(p)
        );
        let file = SimpleFile::new(&p.path, &p.text);
        let mut labels = vec![Label::primary((), f.site.clone())];
        if f.write != f.site {
            let what = if f.file { "the call" } else { "the write" };
            labels.push(Label::secondary((), f.write.clone()).with_message(what));
        }
        let (note, help) = if f.file {
            f.rule.file_note_help()
        } else {
            (f.rule.note(), f.rule.help())
        };
        let mut notes = Vec::new();
        if !self.variants.is_empty() {
            notes.push(format!("variants: {}", self.variants.join(", ")));
        }
        notes.push(format!("note: {note}"));
        notes.push(format!("help: {help}"));
        let d = Diagnostic::warning().with_labels(labels).with_notes(notes);
        let mut buf = NoColor::new(Vec::new());
        if term::emit(&mut buf, &term::Config::default(), &file, &d).is_ok() {
            let body = String::from_utf8_lossy(buf.get_ref()).to_string();
            for l in body.lines().skip(1) {
                out.push_str(l);
                out.push('\n');
            }
        }
        out
    }
}
