//! The walk behind the lints: each actor's code in execution order, through the functions it
//! calls, tracking what the step that is running has judged since its last await.
//!
//! The state that flows ([`Flow`]) is per step: which shared roots a condition read since the
//! last await (`fresh`), which it compared with a token (`tokened`), and whether the request's
//! work is anchored. The regions a statement sits in are a stack: the `finally` of a claim, the
//! body of a claim (a `try` whose `finally` writes shared state), and the `if`s that judged a
//! shared root. A write of shared state is judged against them. Branches that end in `throw`,
//! `return`, `break` or `continue` do not flow on, so a guard (`if lease!.token != mine {
//! throw ... }`) checks the write after it. Branches whose condition is a constant (`if ANCHORS
//! && anchor`, with `ANCHORS = false` in a variant) are dead and not walked.

use std::ops::Range;

use std::collections::BTreeMap;

use super::files::{self, Files, Verdict};
use super::names::{each_child, Names};
use super::{Finding, Rule};
use crate::lang::ast::{Await, Block, Expr, ExprKind, Stmt, StmtKind};
use crate::lang::compile::ghost::MUTATING;

type Span = Range<usize>;

/// What the running step has judged since its last await.
#[derive(Clone, Default)]
struct Flow<'f> {
    fresh: Vec<&'f str>,
    tokened: Vec<&'f str>,
    anchored: bool,
    /// A sleep, a wait for a condition or a unit of work since the loop's pass began.
    waited: bool,
}

impl Flow<'_> {
    /// The flow after two branches: judged only if judged on both, anchored if either
    /// anchored (a lint is a hint: it stays quiet where one path anchors).
    fn merge(mut self, other: Self) -> Self {
        self.fresh.retain(|r| other.fresh.contains(r));
        self.tokened.retain(|r| other.tokened.contains(r));
        self.anchored |= other.anchored;
        self.waited &= other.waited;
        self
    }

    /// After an `if` both of whose branches go on, what its condition judged gates nothing
    /// that follows: only what was judged before it stays.
    fn forget_since(&mut self, before: &Self) {
        self.fresh.retain(|r| before.fresh.contains(r));
        self.tokened.retain(|r| before.tokened.contains(r));
    }
}

/// A claim's body being walked.
struct Claim {
    depth: usize,
    awaited: Option<Span>,
    unanchored: Option<Span>,
}

/// A claim's `finally` being walked.
struct Finally {
    depth: usize,
    unanchored: Option<Span>,
    reported: bool,
}

/// An `if` that judged a shared root.
struct Judged<'f> {
    root: &'f str,
    depth: usize,
    at: Span,
    awaited: Option<Span>,
}

/// Where the walk is: the regions whose rules a write is judged by.
#[derive(Clone, Copy, Default)]
struct Region {
    claim: Option<usize>,
    finally: Option<usize>,
}

pub struct Walker<'f> {
    names: &'f Names<'f>,
    workerd: bool,
    pub out: Vec<Finding>,
    calls: Vec<Span>,
    walking: Vec<&'f str>,
    claims: Vec<Claim>,
    finals: Vec<Finally>,
    judged: Vec<Judged<'f>>,
    region: Region,
    /// What the process did to fixed paths, and the path each function parameter names.
    files: Files,
    frames: Vec<BTreeMap<String, Option<String>>>,
    /// Per frame, the parameters passed on from a parameter of the caller (`p` from `q`): a
    /// path found through them is reported where it entered as a fixed path.
    origins: Vec<BTreeMap<String, String>>,
}

impl<'f> Walker<'f> {
    pub fn new(names: &'f Names<'f>, workerd: bool) -> Walker<'f> {
        Walker {
            names,
            workerd,
            out: Vec::new(),
            calls: Vec::new(),
            walking: Vec::new(),
            claims: Vec::new(),
            finals: Vec::new(),
            judged: Vec::new(),
            region: Region::default(),
            files: Files::default(),
            frames: Vec::new(),
            origins: Vec::new(),
        }
    }

    /// Walks an actor's body from its start.
    pub fn actor(&mut self, body: &'f Block) {
        self.files = Files::default();
        self.frames.clear();
        let mut flow = Flow::default();
        self.block(body, &mut flow);
    }

    /// Walks a block; false when it cannot fall through (it ends in a jump).
    fn block(&mut self, b: &'f Block, flow: &mut Flow<'f>) -> bool {
        for s in &b.stmts {
            if !self.stmt(s, flow) {
                return false;
            }
        }
        true
    }

    fn stmt(&mut self, s: &'f Stmt, flow: &mut Flow<'f>) -> bool {
        match &s.kind {
            StmtKind::Let { value, .. } => self.expr(value, flow),
            StmtKind::Expr(e) => self.expr(e, flow),
            StmtKind::Throw(e) | StmtKind::Return(Some(e)) => {
                self.expr(e, flow);
                return false;
            }
            StmtKind::Return(None) | StmtKind::Break | StmtKind::Continue => return false,
            StmtKind::Assign { place, value, .. } => {
                self.expr(value, flow);
                self.place(place, flow);
                if let Some(root) = self.names.shared_root(place) {
                    self.write(root, s.span.clone(), flow);
                }
            }
            StmtKind::If { cond, then, els } => return self.branch(cond, then, els.as_ref(), flow),
            StmtKind::While { cond, body } => self.repeat(s, Some(cond), body, flow),
            StmtKind::Loop(body) => self.repeat(s, None, body, flow),
            StmtKind::For { from, to, body, .. } => {
                self.expr(from, flow);
                self.expr(to, flow);
                self.block(body, flow);
            }
            StmtKind::ForEach { over, body, .. } => {
                self.expr(over, flow);
                self.block(body, flow);
            }
            StmtKind::Try {
                body,
                catch,
                finally,
            } => return self.attempt(body, catch.as_ref().map(|c| &c.1), finally.as_ref(), flow),
            StmtKind::Match { scrutinee, arms } => {
                self.condition(scrutinee, flow);
                let entry = flow.clone();
                let mut out: Option<Flow> = None;
                for arm in arms {
                    let mut f = entry.clone();
                    if self.block(&arm.body, &mut f) {
                        out = Some(match out {
                            Some(o) => o.merge(f),
                            None => f,
                        });
                    }
                }
                *flow = out.unwrap_or(entry);
            }
            StmtKind::Part { body, .. } | StmtKind::Block(body) => return self.block(body, flow),
            StmtKind::Ghost(_)
            | StmtKind::ForActors { .. }
            | StmtKind::Mark(_)
            | StmtKind::Assume { .. }
            | StmtKind::AbortWhen(_)
            | StmtKind::Var { .. } => {}
        }
        true
    }

    /// The index expressions of a place are evaluated (they may call functions).
    fn place(&mut self, place: &'f Expr, flow: &mut Flow<'f>) {
        match &place.kind {
            ExprKind::Index(e, i) => {
                self.place(e, flow);
                self.expr(i, flow);
            }
            ExprKind::Field(e, _) | ExprKind::Unwrap(e) => self.place(e, flow),
            _ => {}
        }
    }

    /// A condition is evaluated: the roots it reads are judged afresh in this step.
    fn condition(&mut self, cond: &'f Expr, flow: &mut Flow<'f>) {
        self.expr(cond, flow);
        let mut read = Vec::new();
        self.names.reads(cond, &mut read);
        for r in read {
            if !flow.fresh.contains(&r) {
                flow.fresh.push(r);
            }
        }
        let mut compared = Vec::new();
        self.names.token_compared(cond, &mut compared);
        for r in compared {
            if !flow.tokened.contains(&r) {
                flow.tokened.push(r);
            }
        }
    }

    fn branch(
        &mut self,
        cond: &'f Expr,
        then: &'f Block,
        els: Option<&'f Block>,
        flow: &mut Flow<'f>,
    ) -> bool {
        match self.names.constant(cond) {
            Some(true) => return self.block(then, flow),
            Some(false) => return els.is_none_or(|e| self.block(e, flow)),
            None => {}
        }
        let before = flow.clone();
        self.condition(cond, flow);
        let mut roots = Vec::new();
        self.names.reads(cond, &mut roots);
        let mark = self.judged.len();
        for root in roots {
            self.judged.push(Judged {
                root,
                depth: self.calls.len(),
                at: cond.span.clone(),
                awaited: None,
            });
        }
        // Each branch starts from what the process holds and has read before the `if`; only
        // a branch that goes on carries what it did past it (a claim made in a branch that
        // returns is not held after the `if`).
        let files_before = self.files.held_before();
        let mut first = flow.clone();
        let then_falls = self.block(then, &mut first);
        let files_then = self.files.held_before();
        self.files.restore_held(files_before);
        for j in &mut self.judged[mark..] {
            j.awaited = None;
        }
        let mut second = flow.clone();
        let else_falls = els.is_none_or(|e| self.block(e, &mut second));
        self.judged.truncate(mark);
        *flow = match (then_falls, else_falls) {
            (true, true) => {
                let files_else = self.files.held_before();
                self.files.merge_branches(files_then, files_else);
                let mut both = first.merge(second);
                both.forget_since(&before);
                both
            }
            (true, false) => {
                self.files.restore_held(files_then);
                first
            }
            (false, true) => second,
            (false, false) => return false,
        };
        true
    }

    /// A `loop` or `while`: walked twice, so that what the end of one pass leaves (an await)
    /// reaches the start of the next.
    fn repeat(
        &mut self,
        s: &'f Stmt,
        cond: Option<&'f Expr>,
        body: &'f Block,
        flow: &mut Flow<'f>,
    ) {
        let mut polled = Vec::new();
        let mut busy = false;
        for _ in 0..2 {
            if let Some(c) = cond {
                self.condition(c, flow);
                self.names.reads(c, &mut polled);
            }
            let mut f = flow.clone();
            f.waited = false;
            if self.block(body, &mut f) {
                busy |= !f.waited;
                *flow = f;
            }
        }
        collect_condition_reads(self.names, body, &mut polled);
        if busy && !polled.is_empty() {
            self.poll_without_sleep(s, polled[0]);
        }
    }

    fn attempt(
        &mut self,
        body: &'f Block,
        catch: Option<&'f Block>,
        finally: Option<&'f Block>,
        flow: &mut Flow<'f>,
    ) -> bool {
        let claim = finally.is_some_and(|f| self.writes_shared(f, 0));
        let saved = self.region;
        if claim {
            self.claims.push(Claim {
                depth: self.calls.len(),
                awaited: None,
                unanchored: None,
            });
            self.region = Region {
                claim: Some(self.claims.len() - 1),
                finally: None,
            };
        }
        let held = self.files.held_before();
        let seen = self.files.claims_seen();
        let mut falls = self.block(body, flow);
        let done = if claim { self.claims.pop() } else { None };
        self.region = saved;
        if let Some(c) = catch {
            // The catch runs where a call of the body failed: with the claims held before it.
            let after_body = self.files.held_before();
            let body_falls = falls;
            self.files.restore_held(held);
            self.files.drop_attempted_since(seen);
            let catch_falls = self.block(c, flow);
            falls |= catch_falls;
            // Code after the `try` (and a function's callers, when both branches return) see
            // the body's claims, unless only the catch goes on.
            if body_falls || !catch_falls {
                self.files.restore_held(after_body);
            }
        }
        if let Some(f) = finally {
            self.finals.push(Finally {
                depth: self.calls.len(),
                unanchored: done.and_then(|c| c.unanchored),
                reported: false,
            });
            self.region = Region {
                claim: None,
                finally: Some(self.finals.len() - 1),
            };
            let mut after = flow.clone();
            falls &= self.block(f, &mut after);
            *flow = after;
            self.finals.pop();
            self.region = saved;
        }
        falls
    }

    fn expr(&mut self, e: &'f Expr, flow: &mut Flow<'f>) {
        match &e.kind {
            ExprKind::Await(a) => self.awaited(a, e, flow),
            ExprKind::Call(name, args) => {
                for a in args {
                    self.expr(a, flow);
                }
                if name.text == "anchor" {
                    flow.anchored = true;
                }
                self.call(&name.text, args, &e.span, flow);
            }
            ExprKind::Method(recv, name, args) => {
                for a in args {
                    self.expr(a, flow);
                }
                self.expr(recv, flow);
                if MUTATING.contains(&name.text.as_str())
                    && let Some(root) = self.names.shared_root(recv)
                {
                    self.write(root, e.span.clone(), flow);
                }
            }
            ExprKind::If(c, a, b) => {
                self.condition(c, flow);
                self.expr(a, flow);
                self.expr(b, flow);
            }
            ExprKind::Quant(..) => {}
            _ => each_child(e, |c| self.expr(c, flow)),
        }
    }

    fn awaited(&mut self, a: &'f Await, e: &'f Expr, flow: &mut Flow<'f>) {
        match a {
            Await::Sleep(d) => {
                self.expr(d, flow);
                self.suspend(&e.span, true, flow);
            }
            Await::Work(d, o) => {
                self.expr(d, flow);
                self.expr(o, flow);
                self.suspend(&e.span, true, flow);
            }
            Await::Yield => self.suspend(&e.span, false, flow),
            Await::Until(c) => {
                self.suspend(&e.span, true, flow);
                self.condition(c, flow);
            }
            Await::Call(name, args) => {
                for x in args {
                    self.expr(x, flow);
                }
                let system = self.names.function_named(&name.text).is_none()
                    && crate::lang::compile::is_system_call(&name.text);
                if system {
                    self.suspend(&e.span, false, flow);
                    self.syscall(&name.text, args, &e.span);
                } else {
                    self.call(&name.text, args, &e.span, flow);
                }
            }
        }
    }

    /// An await point: another actor may run; what this step judged is stale.
    fn suspend(&mut self, at: &Span, waits: bool, flow: &mut Flow<'f>) {
        flow.waited |= waits;
        flow.fresh.clear();
        flow.tokened.clear();
        for j in &mut self.judged {
            j.awaited.get_or_insert_with(|| at.clone());
        }
        for c in &mut self.claims {
            c.awaited.get_or_insert_with(|| at.clone());
            if !flow.anchored {
                c.unanchored.get_or_insert_with(|| at.clone());
            }
        }
    }

    /// A system call on fixed paths: recorded, and judged when it destroys one.
    fn syscall(&mut self, name: &str, args: &'f [Expr], at: &Span) {
        let frame = self.frames.last().cloned().unwrap_or_default();
        let keys: Vec<Option<String>> = args
            .iter()
            .map(|a| files::key(a, self.names, &frame))
            .collect();
        let exclusive = args
            .last()
            .is_some_and(|a| matches!(&a.kind, ExprKind::Sym(s) if s == "wx"));
        let Some((path, verdict)) = self.files.call(name, &keys, exclusive, at) else {
            return;
        };
        // A path a function receives is reported where it was first passed as a fixed path.
        let site = match args.first().map(|a| &a.kind) {
            Some(ExprKind::Name(n)) if frame.contains_key(n) => self.entry_site(n),
            _ => at.clone(),
        };
        let (rule, judged) = match verdict {
            Verdict::JudgeThenAct(read) => (Rule::JudgeThenAct, Some(read)),
            Verdict::UngatedRelease => (Rule::UngatedRelease, None),
        };
        self.record(Finding {
            rule,
            site,
            write: at.clone(),
            root: path,
            awaited: None,
            judged,
            file: true,
        });
    }

    /// The call where parameter `name` of the innermost function entered as a fixed path,
    /// following it out through the parameters it was passed on from.
    fn entry_site(&self, name: &str) -> Span {
        let mut depth = self.calls.len();
        let mut name = name.to_string();
        while depth > 1 {
            match self.origins[depth - 1].get(&name) {
                Some(up) => {
                    name = up.clone();
                    depth -= 1;
                }
                None => break,
            }
        }
        self.calls[depth - 1].clone()
    }

    /// A call of a function with a body: walked in place (the first call of a recursion only).
    fn call(&mut self, name: &str, args: &'f [Expr], at: &Span, flow: &mut Flow<'f>) {
        let Some(f) = self.names.function_named(name) else {
            return;
        };
        let crate::lang::ast::FnBody::Block(body) = &f.body else {
            return;
        };
        if self.walking.contains(&f.name.text.as_str()) {
            return;
        }
        let caller = self.frames.last().cloned().unwrap_or_default();
        let frame = f
            .params
            .iter()
            .zip(args)
            .map(|((p, _), a)| (p.text.clone(), files::key(a, self.names, &caller)))
            .collect();
        let origin = f
            .params
            .iter()
            .zip(args)
            .filter_map(|((p, _), a)| match &a.kind {
                ExprKind::Name(n) if caller.contains_key(n) => Some((p.text.clone(), n.clone())),
                _ => None,
            })
            .collect();
        self.frames.push(frame);
        self.origins.push(origin);
        self.walking.push(&f.name.text);
        self.calls.push(at.clone());
        self.block(body, flow);
        self.calls.pop();
        self.walking.pop();
        self.origins.pop();
        self.frames.pop();
    }

    /// Where to report a write made `depth` calls deep: the call made at that depth, or the
    /// write itself.
    fn site(&self, depth: usize, write: &Span) -> Span {
        self.calls
            .get(depth)
            .cloned()
            .unwrap_or_else(|| write.clone())
    }

    /// Whether a block writes shared state (through the functions it calls, too).
    fn writes_shared(&self, b: &'f Block, depth: usize) -> bool {
        let mut found = false;
        visit_stmts(b, &mut |s| {
            found = found || self.stmt_writes(s, depth);
        });
        found
    }

    fn stmt_writes(&self, s: &'f Stmt, depth: usize) -> bool {
        if depth > 8 {
            return false;
        }
        let mut found = match &s.kind {
            StmtKind::Assign { place, .. } => self.names.shared_root(place).is_some(),
            _ => false,
        };
        visit_exprs(s, &mut |e| {
            found = found
                || match &e.kind {
                    ExprKind::Call(n, _) => self.callee_writes(&n.text, depth),
                    ExprKind::Await(a) => match a.as_ref() {
                        Await::Call(n, _) => self.callee_writes(&n.text, depth),
                        _ => false,
                    },
                    ExprKind::Method(recv, m, _) => {
                        MUTATING.contains(&m.text.as_str())
                            && self.names.shared_root(recv).is_some()
                    }
                    _ => false,
                };
        });
        found
    }

    fn callee_writes(&self, name: &str, depth: usize) -> bool {
        match self.names.function_named(name).map(|f| &f.body) {
            Some(crate::lang::ast::FnBody::Block(b)) => self.writes_shared(b, depth + 1),
            _ => false,
        }
    }

    /// A write of shared root `root` at `at`, judged by the regions it is in.
    fn write(&mut self, root: &'f str, at: Span, flow: &Flow<'f>) {
        if let Some(i) = self.region.finally {
            self.write_in_finally(i, root, at, flow);
            return;
        }
        if let Some(i) = self.region.claim {
            let claim = &self.claims[i];
            if let Some(awaited) = claim.awaited.clone()
                && !flow.fresh.contains(&root)
                && flow.tokened.is_empty()
            {
                let site = self.site(claim.depth, &at);
                self.found(Rule::UngatedClaimWrite, site, at, root, Some(awaited), None);
            }
            return;
        }
        let stale = self
            .judged
            .iter()
            .find(|j| j.root == root && j.awaited.is_some() && !flow.fresh.contains(&root));
        if let Some(j) = stale {
            let (site, judged, awaited) =
                (self.site(j.depth, &at), j.at.clone(), j.awaited.clone());
            self.found(Rule::JudgeThenAct, site, at, root, awaited, Some(judged));
        }
    }

    fn write_in_finally(&mut self, i: usize, root: &'f str, at: Span, flow: &Flow<'f>) {
        let site = self.site(self.finals[i].depth, &at);
        if flow.tokened.is_empty() {
            self.found(
                Rule::UngatedRelease,
                site.clone(),
                at.clone(),
                root,
                None,
                None,
            );
        }
        let f = &mut self.finals[i];
        if self.workerd
            && !f.reported
            && let Some(cancel) = f.unanchored.clone()
        {
            f.reported = true;
            self.found(
                Rule::FinallyWithoutAnchor,
                site,
                at,
                root,
                Some(cancel),
                None,
            );
        }
    }

    fn poll_without_sleep(&mut self, s: &'f Stmt, root: &'f str) {
        let keyword = match &s.kind {
            StmtKind::While { .. } => "while".len(),
            _ => "loop".len(),
        };
        let at = s.span.start..s.span.start + keyword;
        self.found(Rule::PollWithoutSleep, at.clone(), at, root, None, None);
    }

    fn found(
        &mut self,
        rule: Rule,
        site: Span,
        write: Span,
        root: &str,
        awaited: Option<Span>,
        judged: Option<Span>,
    ) {
        let f = Finding {
            rule,
            site,
            write,
            root: root.to_string(),
            awaited,
            judged,
            file: false,
        };
        self.record(f);
    }

    fn record(&mut self, f: Finding) {
        if !self
            .out
            .iter()
            .any(|o| o.rule == f.rule && o.site == f.site)
        {
            self.out.push(f);
        }
    }
}

/// Calls `f` on every statement of a block, nested ones included (not ghost code).
fn visit_stmts<'f>(b: &'f Block, f: &mut impl FnMut(&'f Stmt)) {
    for s in &b.stmts {
        f(s);
        match &s.kind {
            StmtKind::If { then, els, .. } => {
                visit_stmts(then, f);
                if let Some(e) = els {
                    visit_stmts(e, f);
                }
            }
            StmtKind::While { body, .. }
            | StmtKind::Loop(body)
            | StmtKind::For { body, .. }
            | StmtKind::ForEach { body, .. }
            | StmtKind::Part { body, .. }
            | StmtKind::Block(body) => visit_stmts(body, f),
            StmtKind::Try {
                body,
                catch,
                finally,
            } => {
                visit_stmts(body, f);
                if let Some((_, c)) = catch {
                    visit_stmts(c, f);
                }
                if let Some(x) = finally {
                    visit_stmts(x, f);
                }
            }
            StmtKind::Match { arms, .. } => arms.iter().for_each(|a| visit_stmts(&a.body, f)),
            _ => {}
        }
    }
}

/// Calls `f` on every expression of one statement (not of its nested blocks).
fn visit_exprs<'f>(s: &'f Stmt, f: &mut impl FnMut(&'f Expr)) {
    fn all<'f>(e: &'f Expr, f: &mut impl FnMut(&'f Expr)) {
        f(e);
        if let ExprKind::Await(a) = &e.kind {
            match a.as_ref() {
                Await::Sleep(x) | Await::Until(x) => all(x, f),
                Await::Work(x, y) => {
                    all(x, f);
                    all(y, f);
                }
                Await::Call(_, xs) => xs.iter().for_each(|x| all(x, f)),
                Await::Yield => {}
            }
        }
        each_child(e, |c| all(c, f));
    }
    match &s.kind {
        StmtKind::Let { value: e, .. }
        | StmtKind::Expr(e)
        | StmtKind::Throw(e)
        | StmtKind::Return(Some(e)) => all(e, f),
        StmtKind::Assign { place, value, .. } => {
            all(place, f);
            all(value, f);
        }
        StmtKind::If { cond: e, .. } | StmtKind::While { cond: e, .. } => all(e, f),
        StmtKind::Match { scrutinee, .. } => all(scrutinee, f),
        _ => {}
    }
}

/// The shared roots read by the conditions of a loop's body (what the loop polls).
fn collect_condition_reads<'f>(names: &Names<'f>, body: &'f Block, out: &mut Vec<&'f str>) {
    visit_stmts(body, &mut |s| match &s.kind {
        StmtKind::If { cond, .. } | StmtKind::While { cond, .. } => names.reads(cond, out),
        _ => {}
    });
}
