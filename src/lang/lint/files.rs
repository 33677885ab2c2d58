//! The lints on files (`platform node`): judge-then-act on a fixed path, and a release of a
//! claimed path that compares no token.
//!
//! A system call is its own step, so a read of a path and a later destructive call on it are
//! always split by an await: the destructive call acts on what the read judged. The remedies
//! are a unique name per generation (created exclusively), or a claim on *another* path held
//! across both calls (a mutex). So only **fixed** paths (constants, literals and joins of them,
//! seen through the arguments of the functions the walk enters) are judged, and a destructive
//! call is quiet while the process holds an exclusive claim on another path.
//!
//! | call | what the walk records |
//! |---|---|
//! | `readFile(P)`, `stat(P)` | P was read (and, by `readFile`, if P is claimed, its token was looked at) |
//! | `mkdir(P)`, `open(P, 'wx')`, `writeFile(P, c, 'wx')`, `rename(_, P)` | P is claimed |
//! | `unlink(P)`, `rmdir(P)`, `rename(P, _)`, `open(P)`, `writeFile(P, c)` | destructive on P |

use std::collections::BTreeMap;
use std::ops::Range;

type Span = Range<usize>;

use super::names::Names;
use crate::lang::ast::{BinOp, Expr, ExprKind};

/// What the walk has seen the process do to fixed paths.
#[derive(Clone, Default)]
pub struct Files {
    /// Paths read so far, and where.
    read: Vec<(String, Span)>,
    /// Paths the process claimed and has not removed, each with whether it read the path
    /// since claiming it.
    held: Vec<(String, bool)>,
    /// Every claim call the walk has seen, in order (a `try` looks at the ones of its body).
    attempted: Vec<String>,
}

/// A snapshot of what the walk knows at a point: restored where a `catch` begins, and after
/// a `try` whose catch does not go on.
pub struct Held {
    held: Vec<(String, bool)>,
    read: Vec<(String, Span)>,
}

/// What a destructive call on a fixed path is, if it is a finding.
pub enum Verdict {
    /// Decided on an earlier read of the same path (there), with no other claim held.
    JudgeThenAct(Span),
    /// The removal of the process's own claim with no look at its token.
    UngatedRelease,
}

impl Files {
    /// A call made: records it, and judges a destructive one.
    pub fn call(
        &mut self,
        name: &str,
        keys: &[Option<String>],
        exclusive: bool,
        at: &Span,
    ) -> Option<(String, Verdict)> {
        let first = keys.first().cloned().flatten();
        match (name, first) {
            ("readFile" | "stat", Some(p)) => {
                self.read.retain(|r| r.0 != p);
                self.read.push((p.clone(), at.clone()));
                // Only the content holds a token: a `stat` (an `rm -rf`'s first call) tells
                // the releaser nothing about whose the path is.
                // A directory claim's token is in a file inside it (`lock/owner.json`).
                if name == "readFile" {
                    let inside =
                        |h: &str| p == h || p.strip_prefix(h).is_some_and(|r| r.starts_with('/'));
                    for h in self.held.iter_mut().filter(|h| inside(&h.0)) {
                        h.1 = true;
                    }
                }
                None
            }
            ("mkdir", Some(p)) => {
                self.claim(p);
                None
            }
            ("open" | "writeFile", Some(p)) if exclusive => {
                self.claim(p);
                None
            }
            ("open" | "writeFile", Some(p)) => self.destructive(&p, false),
            ("unlink" | "rmdir", Some(p)) => {
                let v = self.destructive(&p, true);
                self.held.retain(|h| h.0 != p);
                v
            }
            ("rename", from) => {
                let to = keys.get(1).cloned().flatten();
                let v = from.as_ref().and_then(|p| self.destructive(p, true));
                let v = v.or_else(|| to.as_ref().and_then(|p| self.destructive(p, false)));
                if let Some(p) = &from {
                    self.held.retain(|h| &h.0 != p);
                }
                if let Some(p) = to {
                    self.claim(p);
                }
                v
            }
            _ => None,
        }
    }

    /// A claim of `p`: what was read of `p` before it was another generation's, so only the
    /// release rule judges what this process does to `p` from now on.
    fn claim(&mut self, p: String) {
        self.held.retain(|h| h.0 != p);
        self.read.retain(|r| r.0 != p);
        self.attempted.push(p.clone());
        self.held.push((p, false));
    }

    fn destructive(&self, p: &str, removal: bool) -> Option<(String, Verdict)> {
        if self.held.iter().any(|h| h.0 != p) {
            return None;
        }
        let own = self.held.iter().find(|h| h.0 == p);
        let read = self.read.iter().find(|r| r.0 == p);
        match (own, read) {
            (Some((_, false)), _) if removal => Some((p.to_string(), Verdict::UngatedRelease)),
            (_, Some((_, at))) => Some((p.to_string(), Verdict::JudgeThenAct(at.clone()))),
            _ => None,
        }
    }

    /// The claims held and the paths read when a `try` began: a `catch` runs where its
    /// body's call failed.
    pub fn held_before(&self) -> Held {
        Held {
            held: self.held.clone(),
            read: self.read.clone(),
        }
    }

    pub fn restore_held(&mut self, held: Held) {
        self.held = held.held;
        self.read = held.read;
    }

    /// After an `if` whose two branches both go on: a claim either branch holds may be held,
    /// so both are kept (a claim held on both keeps its look at the token only if both
    /// looked); a path either branch read may have been judged.
    pub fn merge_branches(&mut self, then: Held, els: Held) {
        let mut held = then.held;
        for (path, looked) in els.held {
            match held.iter_mut().find(|h| h.0 == path) {
                Some(h) => h.1 &= looked,
                None => held.push((path, looked)),
            }
        }
        let mut read = then.read;
        for (path, at) in els.read {
            if !read.iter().any(|r| r.0 == path) {
                read.push((path, at));
            }
        }
        self.held = held;
        self.read = read;
    }

    /// How many claim calls the walk has seen: a `try` notes it before its body.
    pub fn claims_seen(&self) -> usize {
        self.attempted.len()
    }

    /// In a `catch`: a claim call of the body failed, so the paths it tried to claim are not
    /// the process's (it would not claim what it holds), whatever a path-insensitive walk of
    /// an earlier loop turn left held.
    pub fn drop_attempted_since(&mut self, seen: usize) {
        let tried: Vec<String> = self.attempted[seen..].to_vec();
        self.held.retain(|h| !tried.contains(&h.0));
    }
}

/// The fixed path an expression names, seen through the bindings of the functions the walk is
/// in; `None` when a part of it is computed (a numbered name, a variable).
pub fn key(
    e: &Expr,
    names: &Names<'_>,
    frame: &BTreeMap<String, Option<String>>,
) -> Option<String> {
    key_within(e, names, frame, 0)
}

fn key_within(
    e: &Expr,
    names: &Names<'_>,
    frame: &BTreeMap<String, Option<String>>,
    depth: usize,
) -> Option<String> {
    if depth > 16 {
        return None;
    }
    match &e.kind {
        ExprKind::Str(s) => Some(s.trim_matches('/').to_string()),
        ExprKind::Name(n) => match frame.get(n) {
            Some(k) => k.clone(),
            None => names
                .const_expr(n)
                .and_then(|v| key_within(v, names, &BTreeMap::new(), depth + 1)),
        },
        ExprKind::Binary(BinOp::Div, a, b) => {
            let a = key_within(a, names, frame, depth + 1)?;
            let b = key_within(b, names, frame, depth + 1)?;
            Some(format!("{a}/{b}"))
        }
        _ => None,
    }
}
