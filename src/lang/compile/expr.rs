//! Expressions: type checking and code that pushes their value; places (what can be read or
//! assigned): variables, fields, elements, another actor's variables.

use std::rc::Rc;

use lockstep_sim::machine::layout::{
    B_FLAGS, B_LIFE, B_STATUS, B_WAKE, F_CANCELLED, ST_DONE, ST_FAILED, ST_NEW, W_HEADER,
};
use lockstep_sim::machine::Op;

use super::super::ast::{BinOp, Binding, Expr, ExprKind, FnBody, Name, Quant, UnOp};
use super::super::diag::{Diag, Result};
use super::super::lexer::Span;
use super::super::types::Ty;
use super::{not_const, Bind, Compiler, Scope, Val, Var, NOT_CONST, RECURSION_MAX};

/// Where a place's slots are.
#[derive(Clone, Debug)]
pub(super) enum Addr {
    /// World slot (shared state).
    Shared(usize),
    /// Slot of the running actor's block.
    Local(u32),
    /// Slot of actor `.0`'s block (known when compiling).
    Actor(usize, u32),
    /// The address is on the operand stack.
    Stack,
    /// A constant: state no code writes (the second pass's view), these slots.
    Const(Rc<Vec<i64>>),
    /// Part of a sparse variable (see [`super::Sparse`]): slot `off` of it onwards.
    Sparse {
        space: Space,
        layout: super::Sparse,
        off: usize,
    },
}

/// Where a sparse variable lives.
#[derive(Clone, Copy, Debug)]
pub(super) enum Space {
    Shared,
    /// The running actor's block.
    Own,
    Actor(usize),
}

/// What a quantifier's variable stands for in one combination.
#[derive(Clone, Debug)]
pub(super) enum Bound<'f> {
    Value(Val),
    /// An element of a list or a map (the parser's `#at(...)`), resolved where it is bound.
    Subst(&'f Expr),
}

/// A readable (and perhaps assignable) location.
#[derive(Clone, Debug)]
pub(super) struct Place {
    pub addr: Addr,
    pub ty: Ty,
    pub ghost: bool,
    /// Another actor's variable: only ghost code may touch it.
    pub foreign: bool,
    /// A local or an actor's own variable or shared state: may be assigned.
    pub name: String,
    /// The variable the place is part of, and its offset in it (for recording writes).
    pub var: Option<(super::VarKey, u32)>,
}

/// The place of a whole variable at `addr` (or its constant value, if it has one).
fn var_place(v: Var, addr: Addr, name: &str, foreign: bool) -> Place {
    Place {
        addr: match (&v.constant, &v.sparse) {
            (Some(c), _) => Addr::Const(c.clone()),
            (None, Some(layout)) => Addr::Sparse {
                space: match addr {
                    Addr::Shared(_) => Space::Shared,
                    Addr::Actor(a, _) => Space::Actor(a),
                    _ => Space::Own,
                },
                layout: layout.clone(),
                off: 0,
            },
            (None, None) => addr,
        },
        ty: v.ty,
        ghost: v.ghost,
        foreign,
        name: name.to_string(),
        var: Some((v.key, 0)),
    }
}

/// Fields every actor value has, read from its block's header.
const ACTOR_FIELDS: [&str; 8] = [
    "live",
    "done",
    "failed",
    "cancelled",
    "arrived",
    "paused",
    "killed",
    "killed_at",
];

impl<'f> Compiler<'f> {
    pub(super) fn refuse_state(&self, span: &Span) -> Result<()> {
        if self.const_only {
            return Err(Diag::new(span.clone(), NOT_CONST));
        }
        Ok(())
    }

    fn ghost_read(&self, name: &str, span: &Span) -> Result<()> {
        if self.ghost {
            return Ok(());
        }
        Err(Diag::new(
            span.clone(),
            format!("`{name}` is ghost state: the protocol's own code cannot read it"),
        )
        .help("read ghost state in invariants, liveness properties and `ghost { ... }` blocks"))
    }

    /// The innermost scopes' binding of `name`, respecting function barriers.
    fn lookup(&self, name: &str) -> Option<(usize, Bind<'f>)> {
        let mut at = self.cur;
        while let Some(i) = at {
            let s: &Scope<'f> = &self.scopes[i];
            if let Some((_, b)) = s.names.iter().rev().find(|(n, _)| n == name) {
                return Some((i, b.clone()));
            }
            at = s.parent;
        }
        None
    }

    /// What `n` is bound to in the current scopes, if anything.
    pub(super) fn lookup_bind(&self, n: &str) -> Option<Bind<'f>> {
        self.lookup(n).map(|(_, b)| b)
    }

    /// The slot and type of a local (in the current scopes) named `n`, if `n` is one.
    pub(super) fn lookup_local(&self, n: &str) -> Option<(u32, Ty)> {
        match self.lookup(n)? {
            (
                _,
                Bind::Local {
                    off,
                    ty,
                    ghost: false,
                },
            ) => Some((off, ty)),
            _ => None,
        }
    }

    /// The actor kind whose variables and parameters the code being compiled sees.
    pub(super) fn owner(&self) -> Option<u16> {
        self.owners.last().copied().flatten()
    }

    /// Compiles `e`, leaving its value on the stack; returns its type. `expect` guides `none`,
    /// records and arrays. Code that turns out to read no state is folded to its value.
    pub(super) fn expr(&mut self, e: &'f Expr, expect: Option<&Ty>) -> Result<Ty> {
        let start = self.ops.len();
        let labels = self.labels.len();
        let t = self.expr_inner(e, expect)?;
        self.fold_tail(start, labels, t.size());
        Ok(t)
    }

    /// The constant values of the code emitted since `start`, if it is nothing but constants.
    pub(super) fn folded(&self, start: usize) -> Option<Vec<i64>> {
        self.ops[start..]
            .iter()
            .map(|op| match op {
                Op::Const(v) => Some(*v),
                _ => None,
            })
            .collect()
    }

    /// Replaces the code emitted since `start` (a value of `n` slots) by its value when it reads
    /// no state and cannot fail.
    fn fold_tail(&mut self, start: usize, labels: usize, n: usize) {
        let code = &self.ops[start..];
        if code.is_empty() || code.iter().all(|op| matches!(op, Op::Const(_))) {
            return;
        }
        let pure = code.iter().all(|op| {
            matches!(
                op,
                Op::Const(_)
                    | Op::Pop(_)
                    | Op::Slice { .. }
                    | Op::Dup
                    | Op::Add
                    | Op::Sub
                    | Op::Mul
                    | Op::Div
                    | Op::Rem
                    | Op::Neg
                    | Op::Min
                    | Op::Max
                    | Op::Eq
                    | Op::Ne
                    | Op::Lt
                    | Op::Le
                    | Op::Gt
                    | Op::Ge
                    | Op::EqN(_)
                    | Op::Not
                    | Op::Jump(_)
                    | Op::JumpIfFalse(_)
                    | Op::JumpIfTrue(_)
                    | Op::IsNone(_)
                    | Op::Unwrap { .. }
            )
        });
        // Jumps must stay inside the code being folded.
        let end = self.ops.len() as u32;
        let inside = code.iter().all(|op| match op {
            Op::Jump(t) | Op::JumpIfFalse(t) | Op::JumpIfTrue(t) => {
                *t >= start as u32
                    && *t <= end
                    && self.labels[labels..].iter().all(|l| l.patches.is_empty())
            }
            _ => true,
        });
        if !pure || !inside {
            return;
        }
        let mut ops: Vec<Op> = code.to_vec();
        for op in &mut ops {
            match op {
                Op::Jump(t) | Op::JumpIfFalse(t) | Op::JumpIfTrue(t) => *t -= start as u32,
                _ => {}
            }
        }
        ops.push(Op::End);
        if let Ok(vals) = lockstep_sim::machine::exec::eval_const(&ops, n) {
            let origin = self.origins[start];
            self.truncate(start, labels);
            for v in vals {
                self.ops.push(Op::Const(v));
                self.origins.push(origin);
                if self.platform == lockstep_sim::machine::Platform::Tokio {
                    let enclosing = self.innermost_finally();
                    self.drops.push(enclosing);
                }
            }
        }
    }

    /// Whether the code emitted since `start` is just an unconditional jump to `target`.
    pub(super) fn always_jumps(&self, start: usize, target: usize) -> bool {
        self.ops.len() == start + 1
            && matches!(self.ops[start], Op::Jump(_))
            && self.labels[target].patches.last() == Some(&start)
    }

    /// `l op r` (`&&` or `||`) as a jump to `fls` when it is false.
    fn branch_pair(&mut self, op: BinOp, l: &'f Expr, r: &'f Expr, fls: usize) -> Result<()> {
        let what = "each side of `&&` and `||`";
        if op == BinOp::And {
            self.branch(l, false, fls, what)?;
            self.branch(r, false, fls, what)
        } else {
            let tru = self.label();
            self.branch(l, true, tru, what)?;
            self.branch(r, false, fls, what)?;
            self.place_label(tru);
            Ok(())
        }
    }

    /// Compiles a condition as a jump to `target` when its value is `when` (falling through
    /// otherwise): `&&`, `||` and `!` become jumps instead of values.
    pub(super) fn branch(
        &mut self,
        e: &'f Expr,
        when: bool,
        target: usize,
        what: &str,
    ) -> Result<()> {
        let span = &e.span;
        match &e.kind {
            ExprKind::Binary(op @ (BinOp::And | BinOp::Or), l, r) => {
                // `a && b` jumps on false if either is false, on true if both are; dually `||`.
                let all = *op == BinOp::And;
                if when != all {
                    let start = self.ops.len();
                    let labels = self.labels.len();
                    self.branch(l, when, target, what)?;
                    if self.always_jumps(start, target) {
                        // `l` decides: `r` is never evaluated.
                        return self.check_only(r, None);
                    }
                    let mid = self.ops.len();
                    self.branch(r, when, target, what)?;
                    if self.always_jumps(mid, target) {
                        // `r` decides whatever `l` is (both are pure): just jump.
                        self.truncate(start, labels);
                        self.emit_to(Op::Jump(0), target, span);
                    }
                    Ok(())
                } else {
                    let skip = self.label();
                    self.branch(l, !when, skip, what)?;
                    self.branch(r, when, target, what)?;
                    self.place_label(skip);
                    Ok(())
                }
            }
            ExprKind::Unary(UnOp::Not, x) => self.branch(x, !when, target, what),
            ExprKind::Quant(q @ (Quant::All | Quant::Any), bindings, body) => {
                // `all` jumps on false as soon as one combination is false; on true only when
                // every one is true (dually `any`).
                let all = *q == Quant::All;
                let combos = self.unroll(bindings)?;
                if when != all {
                    for c in combos {
                        self.with_bindings(c, |s| s.branch(body, when, target, what))?;
                    }
                } else {
                    let skip = self.label();
                    for c in combos {
                        self.with_bindings(c, |s| s.branch(body, !when, skip, what))?;
                    }
                    self.emit_to(Op::Jump(0), target, span);
                    self.place_label(skip);
                }
                Ok(())
            }
            _ => {
                let start = self.ops.len();
                let labels = self.labels.len();
                let t = self.expr(e, None)?;
                self.want_bool(&t, span, what)?;
                if let Some(v) = self.folded(start) {
                    self.truncate(start, labels);
                    if (v[0] != 0) == when {
                        self.emit_to(Op::Jump(0), target, span);
                    }
                    return Ok(());
                }
                let jump = if when {
                    Op::JumpIfTrue(0)
                } else {
                    Op::JumpIfFalse(0)
                };
                self.emit_to(jump, target, span);
                Ok(())
            }
        }
    }

    fn expr_inner(&mut self, e: &'f Expr, expect: Option<&Ty>) -> Result<Ty> {
        let span = &e.span;
        match &e.kind {
            ExprKind::Int(v) => {
                self.emit(Op::Const(*v), span);
                Ok(Ty::Int)
            }
            ExprKind::Dur(v) => {
                self.emit(Op::Const(*v), span);
                Ok(Ty::Dur)
            }
            ExprKind::Bool(b) => {
                self.emit(Op::Const(i64::from(*b)), span);
                Ok(Ty::Bool)
            }
            ExprKind::Sym(s) => {
                let id = self.sym(s);
                self.emit(Op::Const(id), span);
                Ok(Ty::Sym)
            }
            ExprKind::Str(s) => self.string_literal(s, span, expect),
            ExprKind::None => match expect {
                Some(Ty::Option(t)) => {
                    for _ in 0..=t.size() {
                        self.emit(Op::Const(0), span);
                    }
                    Ok(Ty::Option(t.clone()))
                }
                _ => Ok(Ty::NoneLit),
            },
            ExprKind::SelfActor => {
                self.refuse_state(span)?;
                let Some(k) = self.owner() else {
                    return Err(Diag::new(span.clone(), "`self` is only defined in actor code"));
                };
                self.emit(Op::SelfActor, span);
                Ok(Ty::Actor(Some(k)))
            }
            ExprKind::Name(n) => self.name_value(n, span, expect),
            ExprKind::Field(..) | ExprKind::Index(..) => {
                if let Some(v) = self.actor_header(e)? {
                    return Ok(v);
                }
                match self.place(e)? {
                    Some(p) => {
                        self.check_read(&p, span)?;
                        self.load(&p, span)?;
                        Ok(p.ty)
                    }
                    None if matches!(e.kind, ExprKind::Field(..)) => self.field_of_value(e),
                    None => Err(Diag::new(
                        span.clone(),
                        "only a variable's fields and elements can be read this way",
                    )
                    .help("store the value in a variable first")),
                }
            }
            ExprKind::Unwrap(inner) => {
                let t = self.expr(inner, None)?;
                let Ty::Option(payload) = t else {
                    return Err(Diag::new(
                        span.clone(),
                        format!("`!` unwraps an option, and this is {t}"),
                    ));
                };
                let fail = self.message(span, "`!` unwrapped `none`");
                self.emit(Op::Unwrap { fail }, span);
                Ok((*payload).clone())
            }
            ExprKind::Call(name, args) => self.call_expr(name, args, span, expect),
            ExprKind::Method(recv, name, args) => self.method(recv, name, args, span),
            ExprKind::Unary(op, inner) => {
                let t = self.expr(inner, None)?;
                match (op, &t) {
                    (UnOp::Not, Ty::Bool) => {
                        self.emit(Op::Not, span);
                        Ok(Ty::Bool)
                    }
                    (UnOp::Neg, Ty::Int | Ty::Dur) => {
                        self.emit(Op::Neg, span);
                        Ok(t)
                    }
                    (UnOp::Not, _) => Err(Diag::new(
                        span.clone(),
                        format!("`!` negates a bool, and this is {t}"),
                    )),
                    (UnOp::Neg, _) => Err(Diag::new(
                        span.clone(),
                        format!("`-` negates an int or a dur, and this is {t}"),
                    )),
                }
            }
            ExprKind::Binary(op, l, r) => self.binary(*op, l, r, span),
            ExprKind::In(x, list) => {
                if list.is_empty() {
                    return Err(Diag::new(span.clone(), "`in []` is never true"));
                }
                let end = self.label();
                for (i, item) in list.iter().enumerate() {
                    self.equality(x, item, span, false)?;
                    if i + 1 < list.len() {
                        self.emit(Op::Dup, span);
                        self.emit_to(Op::JumpIfTrue(0), end, span);
                        self.emit(Op::Pop(1), span);
                    }
                }
                self.place_label(end);
                Ok(Ty::Bool)
            }
            ExprKind::Record(fields) => self.record(fields, span, expect),
            ExprKind::Array(items) => self.array(items, span, expect),
            ExprKind::Repeat(v, n) => {
                let count = self.const_int(n, "a repetition count")?;
                if !(1..=1024).contains(&count) {
                    return Err(Diag::new(n.span.clone(), "repeat 1 to 1024 times"));
                }
                let want = match expect {
                    Some(Ty::Array(t, _)) => Some((**t).clone()),
                    _ => None,
                };
                let mut t = Ty::Unit;
                for _ in 0..count {
                    t = self.expr(v, want.as_ref())?;
                }
                Ok(Ty::Array(Rc::new(t), count as usize))
            }
            ExprKind::If(c, a, b) => {
                if let Some(v) = self.try_const(c, None)? {
                    self.want_bool(&v.ty, &c.span, "an `if` condition")?;
                    let (taken, other) = if v.vals[0] != 0 { (a, b) } else { (b, a) };
                    self.check_only(other, expect)?;
                    return self.expr(taken, expect);
                }
                let ct = self.expr(c, None)?;
                self.want_bool(&ct, &c.span, "an `if` condition")?;
                let els = self.label();
                let end = self.label();
                self.emit_to(Op::JumpIfFalse(0), els, span);
                let ta = self.expr(a, expect)?;
                self.emit_to(Op::Jump(0), end, span);
                self.place_label(els);
                let tb = self.expr(b, expect.or(Some(&ta)))?;
                self.place_label(end);
                if ta.accepts(&tb) || (ta == Ty::NoneLit && matches!(tb, Ty::Option(_))) {
                    Ok(if ta == Ty::NoneLit { tb } else { ta })
                } else {
                    Err(Diag::new(
                        span.clone(),
                        format!("the branches differ: {ta} and {tb}"),
                    ))
                }
            }
            ExprKind::Quant(q, bindings, body) => self.quantifier(*q, bindings, body, span),
            ExprKind::Await(_) => Err(Diag::new(
                span.clone(),
                "`await` must be a whole statement (`await f()`, `let x = await f()`, `x = await f()`, `return await f()`)",
            )
            .help("an await is where other actors run: it cannot sit inside an expression")),
        }
    }

    /// Type-checks `e` without keeping its code (a branch a constant condition never takes).
    pub(super) fn check_only(&mut self, e: &'f Expr, expect: Option<&Ty>) -> Result<()> {
        let start = self.ops.len();
        let labels = self.labels.len();
        let usage = self.usage.clone();
        self.discarding += 1;
        let max_local = self.code.as_ref().map(|c| c.max_local);
        let r = self.expr(e, expect);
        self.discarding -= 1;
        self.truncate(start, labels);
        self.usage = usage;
        if let (Some(c), Some(m)) = (self.code.as_mut(), max_local) {
            c.max_local = m;
        }
        match r {
            Err(d) if !not_const(&d) => Err(d),
            _ => Ok(()),
        }
    }

    pub(super) fn want_bool(&self, t: &Ty, span: &Span, what: &str) -> Result<()> {
        if *t == Ty::Bool {
            Ok(())
        } else {
            Err(Diag::new(
                span.clone(),
                format!("{what} must be a bool, not {t}"),
            ))
        }
    }

    fn name_value(&mut self, n: &str, span: &Span, expect: Option<&Ty>) -> Result<Ty> {
        if let Some((_, b)) = self.lookup(n) {
            return match b {
                Bind::Dead => Err(Diag::new(
                    span.clone(),
                    format!("internal: `{n}` was judged unread (please report this)"),
                )),
                Bind::Local { off, ty, ghost } => {
                    self.refuse_state(span)?;
                    if ghost {
                        self.ghost_read(n, span)?;
                    }
                    self.load_local(off, ty.size(), span);
                    Ok(ty)
                }
                Bind::Value { ty, vals } => {
                    for v in vals {
                        self.emit(Op::Const(v), span);
                    }
                    Ok(ty)
                }
                Bind::Subst {
                    expr,
                    scope,
                    ghost,
                    owner,
                } => {
                    let saved = std::mem::replace(&mut self.ghost, ghost);
                    self.owners.push(owner);
                    let r = self.in_scope(scope, |c| c.expr(expr, expect));
                    self.owners.pop();
                    self.ghost = saved;
                    r
                }
            };
        }
        if let Some(p) = self.var_place(n, span)? {
            self.check_read(&p, span)?;
            self.load(&p, span)?;
            return Ok(p.ty);
        }
        if let Some(k) = self.owner()
            && let Some(i) = self.kinds[usize::from(k)]
                .params
                .iter()
                .position(|p| p.name == n)
        {
            self.refuse_state(span)?;
            let ty = self.kinds[usize::from(k)].params[i].ty.clone();
            self.emit(Op::Param(i as u32), span);
            return Ok(ty);
        }
        if self.consts.contains_key(n) {
            let v = self.const_of(n, span)?;
            return Ok(self.push_val(v, span));
        }
        if self.params.contains_key(n) {
            let v = self.param_of(n, span)?;
            return Ok(self.push_val(v, span));
        }
        if self.fns.contains_key(n) {
            return Err(Diag::new(span.clone(), format!("`{n}` is a function"))
                .help(format!("call it: `{n}(...)`")));
        }
        Err(self.unknown_name(n, span))
    }

    fn unknown_name(&self, n: &str, span: &Span) -> Diag {
        let mut known: Vec<&str> = self.shared.keys().map(String::as_str).collect();
        known.extend(self.consts.keys().map(String::as_str));
        known.extend(self.params.keys().map(String::as_str));
        if let Some(k) = self.owner() {
            let kd = &self.kinds[usize::from(k)];
            known.extend(kd.vars.keys().map(String::as_str));
            known.extend(kd.params.iter().map(|p| p.name.as_str()));
        }
        for s in &self.scopes {
            known.extend(s.names.iter().map(|(n, _)| n.as_str()));
        }
        let close = known
            .iter()
            // A swap of two letters counts once (`mien` is one step from `mine`).
            .filter(|k| strsim::damerau_levenshtein(k, n) <= 2)
            .min_by_key(|k| strsim::damerau_levenshtein(k, n));
        let d = Diag::new(span.clone(), format!("unknown name `{n}`"));
        match close {
            Some(c) => d.help(format!("did you mean `{c}`?")),
            None => d.help("declare it (`let`, `var`, `shared`, `const`, `param`) before using it"),
        }
    }

    fn push_val(&mut self, v: Val, span: &Span) -> Ty {
        for x in &v.vals {
            self.emit(Op::Const(*x), span);
        }
        v.ty
    }

    pub(super) fn place_of_var(&mut self, n: &str, span: &Span) -> Result<Option<Place>> {
        self.var_place(n, span)
    }

    /// A variable that is state: the actor's own variable, or shared state.
    fn var_place(&mut self, n: &str, span: &Span) -> Result<Option<Place>> {
        let _ = span;
        if let Some(k) = self.owner()
            && let Some(v) = self.kinds[usize::from(k)].vars.get(n).cloned()
        {
            let addr = Addr::Local(v.off as u32);
            return Ok(Some(var_place(v, addr, n, false)));
        }
        if let Some(v) = self.shared.get(n).cloned() {
            let addr = Addr::Shared(W_HEADER + v.off);
            return Ok(Some(var_place(v, addr, n, false)));
        }
        Ok(None)
    }

    pub(super) fn check_read(&self, p: &Place, span: &Span) -> Result<()> {
        if p.ghost {
            self.ghost_read(&p.name, span)?;
        }
        if p.foreign && !self.ghost {
            return Err(Diag::new(
                span.clone(),
                "another actor's variables can only be read by ghost code and properties",
            )
            .help("the protocol's own code sees only shared state and its own variables"));
        }
        Ok(())
    }

    /// A field of a record no variable holds (`q.first()!.who`, a function's result): the
    /// record is computed onto the stack and only the field's slots are kept.
    fn field_of_value(&mut self, e: &'f Expr) -> Result<Ty> {
        let ExprKind::Field(base, f) = &e.kind else {
            unreachable!("called for a field")
        };
        let t = self.expr(base, None)?;
        let Some((off, ty)) = t.field(&f.text) else {
            return Err(self.no_field(&t, &f.text, &f.span));
        };
        self.emit(
            Op::Slice {
                size: t.size() as u16,
                off: off as u16,
                len: ty.size() as u16,
            },
            &e.span,
        );
        Ok(ty)
    }

    /// The place `e` denotes, if it is one. Emits the code that computes a dynamic address.
    pub(super) fn place(&mut self, e: &'f Expr) -> Result<Option<Place>> {
        let span = &e.span;
        match &e.kind {
            ExprKind::Name(n) => {
                if let Some((_, b)) = self.lookup(n) {
                    return match b {
                        Bind::Dead => Ok(None),
                        Bind::Local { off, ty, ghost } => {
                            self.refuse_state(span)?;
                            Ok(Some(Place {
                                addr: Addr::Local(off),
                                ty,
                                ghost,
                                foreign: false,
                                name: n.clone(),
                                var: None,
                            }))
                        }
                        Bind::Subst {
                            expr,
                            scope,
                            ghost,
                            owner,
                        } => {
                            let saved = std::mem::replace(&mut self.ghost, ghost);
                            self.owners.push(owner);
                            let r = self.in_scope(scope, |c| c.place(expr));
                            self.owners.pop();
                            self.ghost = saved;
                            r
                        }
                        Bind::Value { .. } => Ok(None),
                    };
                }
                self.var_place(n, span)
            }
            ExprKind::Field(base, f) => {
                if let Some(p) = self.place(base)? {
                    if let Ty::Actor(k) = p.ty {
                        self.check_read(&p, span)?;
                        self.load(&p, span)?;
                        return self.actor_var(None, k, f, span).map(Some);
                    }
                    let Some((off, ty)) = p.ty.field(&f.text) else {
                        return Err(self.no_field(&p.ty, &f.text, &f.span));
                    };
                    return Ok(Some(self.offset(p, off, ty, span)));
                }
                if let Some(v) = self.try_const(base, None)?
                    && let Ty::Actor(k) = v.ty
                {
                    return self
                        .actor_var(Some(v.vals[0] as usize), k, f, span)
                        .map(Some);
                }
                let (start, labels) = (self.ops.len(), self.labels.len());
                let t = self.expr(base, None)?;
                if let Ty::Actor(k) = t {
                    return self.actor_var(None, k, f, span).map(Some);
                }
                // A value no variable holds: no place (see `field_of_value`).
                self.truncate(start, labels);
                Ok(None)
            }
            ExprKind::Unwrap(inner) => {
                let start = self.ops.len();
                let labels = self.labels.len();
                let Some(p) = self.place(inner)? else {
                    return Ok(None);
                };
                let Ty::Option(payload) = p.ty.clone() else {
                    self.truncate(start, labels);
                    return Ok(None);
                };
                if matches!(*payload, Ty::Actor(_)) {
                    // An actor is a value: `r!.x` reads through it (see `Field`).
                    self.truncate(start, labels);
                    return Ok(None);
                }
                self.check_read(&p, span)?;
                let fail = self.message(span, "`!` unwrapped `none`");
                let size = payload.size();
                if let Addr::Stack = p.addr {
                    self.emit(Op::Dup, span);
                }
                let tag = self.offset(p.clone(), size, Ty::Bool, span);
                self.load(&tag, span)?;
                self.emit(Op::Unwrap { fail }, span);
                Ok(Some(Place {
                    ty: (*payload).clone(),
                    ..p
                }))
            }
            ExprKind::Index(base, index) => {
                let Some(p) = self.place(base)? else {
                    return Err(Diag::new(span.clone(), "only a variable can be indexed")
                        .help("store the array in a variable first"));
                };
                if matches!(p.ty, Ty::List(..) | Ty::Map(..)) {
                    return self.element_place(p, index, span).map(Some);
                }
                let Ty::Array(elem, len) = p.ty.clone() else {
                    return Err(Diag::new(
                        base.span.clone(),
                        format!(
                            "only arrays, lists and maps can be indexed, and this is {}",
                            p.ty
                        ),
                    ));
                };
                let elem = (*elem).clone();
                let stride = elem.size();
                if let Some(v) = self.try_const(index, None)? {
                    if v.ty != Ty::Int {
                        return Err(Diag::new(
                            index.span.clone(),
                            format!("an index is an int, not {}", v.ty),
                        ));
                    }
                    let i = v.vals[0];
                    if i < 0 || i as usize >= len {
                        return Err(Diag::new(
                            index.span.clone(),
                            format!("index {i} is outside 0..{len}"),
                        ));
                    }
                    return Ok(Some(self.offset(p, i as usize * stride, elem, span)));
                }
                let p = self.onto_stack(p, span)?;
                let it = self.expr(index, None)?;
                if it != Ty::Int {
                    return Err(Diag::new(
                        index.span.clone(),
                        format!("an index is an int, not {it}"),
                    ));
                }
                self.emit(
                    Op::Index {
                        stride: stride as u32,
                        len: len as u32,
                    },
                    span,
                );
                Ok(Some(Place { ty: elem, ..p }))
            }
            ExprKind::Call(f, args) if f.text == "#at" => self.at_place(args, span).map(Some),
            _ => Ok(None),
        }
    }

    fn no_field(&self, t: &Ty, f: &str, span: &Span) -> Diag {
        match t {
            Ty::Record(fields) => Diag::new(span.clone(), format!("no field `{f}`")).help(format!(
                "the fields are: {}",
                fields
                    .iter()
                    .map(|(n, _)| n.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
            _ => Diag::new(span.clone(), format!("`.{f}` of {t}, which has no fields")),
        }
    }

    /// A variable of an actor value (`r.waiting`): the actor is known (`actor`) or its index is
    /// on the stack.
    fn actor_var(
        &mut self,
        actor: Option<usize>,
        kind: Option<u16>,
        f: &super::super::ast::Name,
        span: &Span,
    ) -> Result<Place> {
        let kind = match (kind, actor) {
            (Some(k), _) => k,
            (None, Some(a)) => {
                let kname = &self.inst.actors[a].kind;
                self.kinds.iter().position(|k| &k.name == kname).expect("bound") as u16
            }
            (None, None) => {
                return Err(Diag::new(
                    span.clone(),
                    format!("`.{}` of an actor of unknown kind", f.text),
                )
                .help("declare the variable with the kind as its type (`owner: Request?`) to read its variables"))
            }
        };
        let Some(v) = self.kinds[usize::from(kind)].vars.get(&f.text).cloned() else {
            let kd = &self.kinds[usize::from(kind)];
            return Err(Diag::new(
                f.span.clone(),
                format!("actor kind `{}` has no variable `{}`", kd.name, f.text),
            )
            .help(format!(
                "its variables are: {}; every actor also has {}",
                kd.vars.keys().cloned().collect::<Vec<_>>().join(", "),
                ACTOR_FIELDS.join(", ")
            )));
        };
        let addr = match (actor, &v.constant) {
            (None, Some(_)) => {
                // A constant variable: the actor whose it is does not matter.
                self.emit(Op::Pop(1), span);
                Addr::Stack
            }
            (Some(a), _) => Addr::Actor(a, v.off as u32),
            (None, None) => {
                self.refuse_state(span)?;
                self.emit(Op::AddrActor(v.off as u32), span);
                if let Some(u) = self.usage_mut() {
                    u.dynamic.insert(v.key.clone());
                }
                Addr::Stack
            }
        };
        Ok(var_place(v, addr, &f.text, true))
    }

    /// `r.live`, `r.done`, ...: read from the actor's header. `None` when `e` is not one.
    fn actor_header(&mut self, e: &'f Expr) -> Result<Option<Ty>> {
        let ExprKind::Field(base, f) = &e.kind else {
            return Ok(None);
        };
        if !ACTOR_FIELDS.contains(&f.text.as_str()) {
            return Ok(None);
        }
        let span = &e.span;
        let start = self.ops.len();
        let labels = self.labels.len();
        let t = match self.try_const(base, None)? {
            Some(v) => v.ty,
            None => {
                let t = self.expr(base, None);
                self.truncate(start, labels);
                t?
            }
        };
        if !matches!(t, Ty::Actor(_)) {
            return Ok(None);
        }
        self.refuse_state(span)?;
        let known = self.try_const(base, None)?;
        if f.text == "killed_at" {
            return self.killed_at(base, known.map(|v| v.vals[0] as usize), span);
        }
        self.header_slot(base, known.as_ref().map(|v| v.vals[0] as usize), f, span)?;
        Ok(Some(Ty::Bool))
    }

    /// One boolean of an actor's header (`r.live`, `r.done`, ...), its actor `known` or
    /// computed by `base`.
    fn header_slot(
        &mut self,
        base: &'f Expr,
        known: Option<usize>,
        f: &Name,
        span: &Span,
    ) -> Result<()> {
        if known.is_none() {
            self.expr(base, None)?;
        }
        let (slot, test): (usize, &[Op]) = match f.text.as_str() {
            "live" => (B_LIFE, &[Op::Const(2), Op::Lt]),
            "done" => (B_STATUS, &[Op::Const(ST_DONE), Op::Ge]),
            "failed" => (B_STATUS, &[Op::Const(ST_FAILED), Op::Eq]),
            "arrived" => (B_STATUS, &[Op::Const(ST_NEW), Op::Ne]),
            "killed" => (
                B_FLAGS,
                &[Op::Const(F_CANCELLED), Op::Div, Op::Const(2), Op::Rem],
            ),
            // flags / F_STOPPED % 2: paused at least once.
            "paused" => (
                B_FLAGS,
                &[
                    Op::Const(lockstep_sim::machine::layout::F_STOPPED),
                    Op::Div,
                    Op::Const(2),
                    Op::Rem,
                ],
            ),
            // flags / F_CANCELLED % 2: the cancelled bit (killed, on `platform node`).
            _ => (
                B_FLAGS,
                &[Op::Const(F_CANCELLED), Op::Div, Op::Const(2), Op::Rem],
            ),
        };
        self.load_header(known, slot, span);
        for op in test {
            self.emit(*op, span);
        }
        Ok(())
    }

    /// Loads header slot `slot` of the actor `known`, or of the actor on the stack.
    fn load_header(&mut self, known: Option<usize>, slot: usize, span: &Span) {
        match known {
            Some(actor) => {
                let at = self.emit(Op::Load(0), span);
                self.actor_fixups.push((at, actor, slot as u32));
            }
            None => {
                self.emit(Op::AddrActor(slot as u32), span);
                self.emit(Op::LoadAt(1), span);
            }
        }
    }

    /// `r.killed_at` (`platform node`): the instant the process was killed, `0ms` when it was
    /// not. A killed process's wake slot keeps that instant (the program asks the machine to
    /// record it), times its killed bit.
    fn killed_at(
        &mut self,
        base: &'f Expr,
        known: Option<usize>,
        span: &Span,
    ) -> Result<Option<Ty>> {
        self.need_node(span, "`killed_at`")?;
        if let Some(os) = self.os.as_mut() {
            os.kill_times = true;
        }
        if known.is_none() {
            self.expr(base, None)?;
        }
        self.load_header(known, B_WAKE, span);
        let killed = Name {
            text: "killed".to_string(),
            span: span.clone(),
        };
        self.header_slot(base, known, &killed, span)?;
        self.emit(Op::Mul, span);
        Ok(Some(Ty::Dur))
    }

    /// `p` shifted by `off` slots, as type `ty`.
    pub(super) fn offset(&mut self, p: Place, off: usize, ty: Ty, span: &Span) -> Place {
        let n = ty.size();
        let addr = match p.addr {
            Addr::Shared(a) => Addr::Shared(a + off),
            Addr::Local(o) => Addr::Local(o + off as u32),
            Addr::Actor(a, o) => Addr::Actor(a, o + off as u32),
            Addr::Const(v) => Addr::Const(Rc::new(v[off..off + n].to_vec())),
            Addr::Sparse {
                space,
                layout,
                off: o,
            } => Addr::Sparse {
                space,
                layout,
                off: o + off,
            },
            Addr::Stack => {
                if off > 0 {
                    self.emit(Op::Const(off as i64), span);
                    self.emit(Op::Add, span);
                }
                Addr::Stack
            }
        };
        let var = p.var.map(|(k, o)| (k, o + off as u32));
        Place { addr, ty, var, ..p }
    }

    /// Makes a place's address dynamic (on the stack).
    pub(super) fn onto_stack(&mut self, p: Place, span: &Span) -> Result<Place> {
        self.refuse_state(span)?;
        if let (Some((k, _)), Some(u)) = (&p.var, self.usage_mut()) {
            u.dynamic.insert(k.clone());
        }
        match &p.addr {
            Addr::Shared(a) => {
                self.emit(Op::Const(*a as i64), span);
            }
            Addr::Local(o) => {
                self.emit(Op::AddrLocal(*o), span);
            }
            Addr::Actor(a, o) => {
                let at = self.emit(Op::Const(0), span);
                self.actor_fixups.push((at, *a, *o));
            }
            Addr::Stack => {}
            Addr::Const(_) | Addr::Sparse { .. } if self.discarding > 0 => {
                self.emit(Op::Const(0), span);
            }
            Addr::Const(_) | Addr::Sparse { .. } => {
                return Err(Diag::new(
                    span.clone(),
                    "internal: a constant indexed at run time (please report this)",
                ))
            }
        }
        Ok(Place {
            addr: Addr::Stack,
            ..p
        })
    }

    fn load_slot(&mut self, space: Space, a: u32, span: &Span) {
        match space {
            Space::Shared => {
                self.emit(Op::Load(W_HEADER as u32 + a), span);
            }
            Space::Own => {
                self.emit(Op::LoadLocal(a), span);
            }
            Space::Actor(actor) => {
                let at = self.emit(Op::Load(0), span);
                self.actor_fixups.push((at, actor, a));
            }
        }
    }

    fn store_slot(&mut self, space: Space, a: u32, span: &Span) {
        match space {
            Space::Shared => {
                self.emit(Op::Store(W_HEADER as u32 + a), span);
            }
            Space::Own => {
                self.emit(Op::StoreLocal(a), span);
            }
            Space::Actor(actor) => {
                let at = self.emit(Op::Store(0), span);
                self.actor_fixups.push((at, actor, a));
            }
        }
    }

    /// The usage record of this pass.
    pub(super) fn usage_mut(&mut self) -> Option<&mut super::Usage> {
        Some(&mut self.usage)
    }

    /// The initial value of slots no code writes, if `p` is all of them (second pass).
    fn unwritten(&self, p: &Place) -> Option<Vec<i64>> {
        let prior = self.prior.as_ref()?;
        let (key, off) = p.var.as_ref()?;
        let n = p.ty.size();
        if !prior.unwritten(key, *off, n) {
            return None;
        }
        match (&p.addr, key) {
            (Addr::Shared(a), _) => Some(self.shared_init[a - W_HEADER..a - W_HEADER + n].to_vec()),
            (Addr::Local(_) | Addr::Actor(..), super::VarKey::Actor(..)) => Some(vec![0; n]),
            _ => None,
        }
    }

    /// Pushes a place's value.
    pub(super) fn load(&mut self, p: &Place, span: &Span) -> Result<()> {
        let n = p.ty.size();
        if let Addr::Const(v) = &p.addr {
            for x in v.iter() {
                self.emit(Op::Const(*x), span);
            }
            return Ok(());
        }
        if let Addr::Sparse { space, layout, off } = &p.addr {
            let slots = &layout.map[*off..off + n];
            if slots.iter().any(Option::is_some) {
                self.refuse_state(span)?;
            }
            for (i, slot) in slots.iter().enumerate() {
                match slot {
                    None => {
                        self.emit(Op::Const(layout.init[off + i]), span);
                    }
                    Some(a) => self.load_slot(*space, *a, span),
                }
            }
            return Ok(());
        }
        if let Some(v) = self.unwritten(p) {
            for x in v {
                self.emit(Op::Const(x), span);
            }
            return Ok(());
        }
        self.refuse_state(span)?;
        match p.addr {
            Addr::Const(_) | Addr::Sparse { .. } => unreachable!("handled above"),
            Addr::Shared(a) => {
                for i in 0..n {
                    self.emit(Op::Load((a + i) as u32), span);
                }
            }
            Addr::Local(o) => self.load_local(o, n, span),
            Addr::Actor(a, o) => {
                for i in 0..n as u32 {
                    let at = self.emit(Op::Load(0), span);
                    self.actor_fixups.push((at, a, o + i));
                }
            }
            Addr::Stack => {
                self.emit(Op::LoadAt(n as u32), span);
            }
        }
        Ok(())
    }

    /// Stores the value on the stack into a place (whose address, if dynamic, is below it).
    pub(super) fn store(&mut self, p: &Place, span: &Span) -> Result<()> {
        let n = p.ty.size();
        if let Some((key, off)) = &p.var {
            if let Addr::Stack = p.addr {
                self.usage.dyn_written.insert(key.clone());
            } else {
                for i in 0..n as u32 {
                    self.usage.written.insert((key.clone(), off + i));
                }
            }
        }
        if let Addr::Sparse { space, layout, off } = &p.addr {
            for i in (0..n).rev() {
                match layout.map[off + i] {
                    Some(a) => self.store_slot(*space, a, span),
                    None if self.discarding > 0 => {
                        self.emit(Op::Pop(1), span);
                    }
                    None => return Err(Diag::new(
                        span.clone(),
                        "internal: a slot assigned in the second pass only (please report this)",
                    )),
                }
            }
            return Ok(());
        }
        match p.addr {
            Addr::Sparse { .. } => unreachable!("handled above"),
            Addr::Const(_) if self.discarding > 0 => {
                // Code that is only checked, never kept.
                self.emit(Op::Pop(n as u32), span);
            }
            Addr::Const(_) => {
                return Err(Diag::new(
                    span.clone(),
                    "internal: a constant assigned in the second pass (please report this)",
                ))
            }
            Addr::Shared(a) => {
                for i in (0..n).rev() {
                    self.emit(Op::Store((a + i) as u32), span);
                }
            }
            Addr::Local(o) => self.store_local(o, n, span),
            Addr::Actor(a, o) => {
                for i in (0..n as u32).rev() {
                    let at = self.emit(Op::Store(0), span);
                    self.actor_fixups.push((at, a, o + i));
                }
            }
            Addr::Stack => {
                self.emit(Op::StoreAt(n as u32), span);
            }
        }
        Ok(())
    }

    /// Compiles `value` for a slot of type `want`, wrapping a payload into an option.
    pub(super) fn value_for(&mut self, value: &'f Expr, want: &Ty, what: &str) -> Result<()> {
        let got = self.expr(value, Some(want))?;
        self.convert(&got, want, &value.span, what)
    }

    /// Converts the value just pushed (of type `got`) to `want`.
    pub(super) fn convert(&mut self, got: &Ty, want: &Ty, span: &Span, what: &str) -> Result<()> {
        if got == want {
            return Ok(());
        }
        match (want, got) {
            (Ty::Option(inner), Ty::NoneLit) => {
                for _ in 0..=inner.size() {
                    self.emit(Op::Const(0), span);
                }
                Ok(())
            }
            (Ty::Option(inner), g) if inner.accepts(g) && !matches!(g, Ty::Option(_)) => {
                self.emit(Op::Const(1), span);
                Ok(())
            }
            (Ty::Actor(None), Ty::Actor(_)) => Ok(()),
            (Ty::Dur, Ty::Int) => Err(Diag::new(
                span.clone(),
                format!("{what} is a duration, and this is a plain int"),
            )
            .help("write a unit: `300ms`, `15s`")),
            (Ty::Int, Ty::Dur) => Err(Diag::new(
                span.clone(),
                format!("{what} is an int, and this is a duration"),
            )
            .help("divide by a duration to count (`d / 1ms`)")),
            _ => Err(Diag::new(
                span.clone(),
                format!("{what} is {want}, and this is {got}"),
            )),
        }
    }

    fn record(
        &mut self,
        fields: &'f [(super::super::ast::Name, Expr)],
        span: &Span,
        expect: Option<&Ty>,
    ) -> Result<Ty> {
        let want = match expect {
            Some(Ty::Record(f)) => f.clone(),
            Some(Ty::Option(t)) if matches!(**t, Ty::Record(_)) => {
                let Ty::Record(f) = &**t else { unreachable!() };
                f.clone()
            }
            _ => {
                return Err(Diag::new(span.clone(), "a record here needs a known type")
                    .help("assign it to a variable of a record type"))
            }
        };
        for (n, _) in fields {
            if !want.iter().any(|(f, _)| f == &n.text) {
                return Err(self.no_field(&Ty::Record(want.clone()), &n.text, &n.span));
            }
        }
        for (f, ft) in want.iter() {
            match fields.iter().find(|(n, _)| &n.text == f) {
                Some((_, v)) => self.value_for(v, ft, &format!("field `{f}`"))?,
                None => {
                    return Err(Diag::new(span.clone(), format!("field `{f}` is missing"))
                        .help("a record literal gives every field"))
                }
            }
        }
        Ok(Ty::Record(want))
    }

    fn array(&mut self, items: &'f [Expr], span: &Span, expect: Option<&Ty>) -> Result<Ty> {
        if let Some(want @ (Ty::List(..) | Ty::Map(..))) = expect {
            return self.collection_literal(items, want, span);
        }
        let elem = match expect {
            Some(Ty::Array(t, n)) => {
                if *n != items.len() {
                    return Err(Diag::new(
                        span.clone(),
                        format!("{} elements where {n} are expected", items.len()),
                    ));
                }
                Some((**t).clone())
            }
            _ => None,
        };
        let Some(first) = items.first() else {
            return Err(Diag::new(span.clone(), "an empty array has no type"));
        };
        let t0 = match &elem {
            Some(t) => {
                self.value_for(first, t, "an element")?;
                t.clone()
            }
            None => self.expr(first, None)?,
        };
        for it in &items[1..] {
            self.value_for(it, &t0, "an element")?;
        }
        Ok(Ty::Array(Rc::new(t0), items.len()))
    }

    fn binary(&mut self, op: BinOp, l: &'f Expr, r: &'f Expr, span: &Span) -> Result<Ty> {
        match op {
            BinOp::And | BinOp::Or => {
                let fls = self.label();
                let end = self.label();
                self.branch_pair(op, l, r, fls)?;
                self.emit(Op::Const(1), span);
                self.emit_to(Op::Jump(0), end, span);
                self.place_label(fls);
                self.emit(Op::Const(0), span);
                self.place_label(end);
                Ok(Ty::Bool)
            }
            BinOp::Eq | BinOp::Ne => {
                self.equality(l, r, span, op == BinOp::Ne)?;
                Ok(Ty::Bool)
            }
            BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => {
                let lt = self.expr(l, None)?;
                let rt = self.expr(r, Some(&lt))?;
                if lt != rt || !matches!(lt, Ty::Int | Ty::Dur) {
                    return Err(mismatch(op, &lt, &rt, span));
                }
                self.emit(
                    match op {
                        BinOp::Lt => Op::Lt,
                        BinOp::Le => Op::Le,
                        BinOp::Gt => Op::Gt,
                        _ => Op::Ge,
                    },
                    span,
                );
                Ok(Ty::Bool)
            }
            BinOp::Div if matches!(l.kind, ExprKind::Str(_)) => self.join(l, r, span),
            _ => {
                let lt = self.expr(l, None)?;
                if op == BinOp::Div && lt == Ty::Path {
                    self.value_for(r, &Ty::Name, "a path's next component")?;
                    let fail = self.message(span, "a path deeper than its components allow");
                    self.emit(Op::Join { fail }, span);
                    return Ok(Ty::Path);
                }
                let rt = self.expr(r, None)?;
                let t = arith(op, &lt, &rt).ok_or_else(|| mismatch(op, &lt, &rt, span))?;
                self.emit(
                    match op {
                        BinOp::Add => Op::Add,
                        BinOp::Sub => Op::Sub,
                        BinOp::Mul => Op::Mul,
                        BinOp::Div => Op::Div,
                        _ => Op::Rem,
                    },
                    span,
                );
                Ok(t)
            }
        }
    }

    /// Pushes whether `l == r` (or `!=`).
    fn equality(&mut self, l: &'f Expr, r: &'f Expr, span: &Span, negate: bool) -> Result<()> {
        let none_side = match (&l.kind, &r.kind) {
            (_, ExprKind::None) => Some(l),
            (ExprKind::None, _) => Some(r),
            _ => None,
        };
        if let Some(side) = none_side {
            // An option that is a variable: read its tag only.
            let start = self.ops.len();
            let labels = self.labels.len();
            if let Some(p) = self.place(side)?
                && let Ty::Option(inner) = p.ty.clone()
            {
                self.check_read(&p, span)?;
                let tag = self.offset(p, inner.size(), Ty::Bool, span);
                self.load(&tag, span)?;
                self.emit(Op::Const(0), span);
                self.emit(if negate { Op::Ne } else { Op::Eq }, span);
                return Ok(());
            }
            self.truncate(start, labels);
            let t = self.expr(side, None)?;
            let Ty::Option(inner) = &t else {
                return Err(Diag::new(
                    span.clone(),
                    format!("only an option can be `none`, and this is {t}"),
                ));
            };
            self.emit(Op::IsNone(inner.size() as u32), span);
            if negate {
                self.emit(Op::Not, span);
            }
            return Ok(());
        }
        let lt = self.expr(l, None)?;
        let rt = self.expr(r, Some(&lt))?;
        let n = if lt.accepts(&rt) && lt != rt {
            // An option against its payload: wrap the payload.
            if let Ty::Option(_) = lt {
                self.emit(Op::Const(1), span);
            }
            lt.size()
        } else if rt.accepts(&lt) && lt != rt {
            return Err(Diag::new(
                span.clone(),
                format!("compare the option on the left: {rt} == {lt} reads better as the value on the right"),
            )
            .help("swap the two sides"));
        } else if lt == rt || (matches!(lt, Ty::Actor(_)) && matches!(rt, Ty::Actor(_))) {
            lt.size()
        } else {
            return Err(Diag::new(
                span.clone(),
                format!("{lt} and {rt} cannot be compared"),
            ));
        };
        if n == 1 {
            self.emit(if negate { Op::Ne } else { Op::Eq }, span);
        } else {
            self.emit(Op::EqN(n as u32), span);
            if negate {
                self.emit(Op::Not, span);
            }
        }
        Ok(())
    }

    fn quantifier(
        &mut self,
        q: Quant,
        bindings: &'f [Binding],
        body: &'f Expr,
        span: &Span,
    ) -> Result<Ty> {
        let combos = self.unroll(bindings)?;
        match q {
            Quant::Count => {
                self.emit(Op::Const(0), span);
                for c in combos {
                    let start = self.ops.len();
                    let labels = self.labels.len();
                    let skip = self.label();
                    self.with_bindings(c, |s| s.branch(body, false, skip, "a count's condition"))?;
                    if self.always_jumps(start, skip) {
                        // Never counted.
                        self.truncate(start, labels);
                        continue;
                    }
                    self.emit(Op::Const(1), span);
                    self.emit(Op::Add, span);
                    self.place_label(skip);
                }
                Ok(Ty::Int)
            }
            Quant::All | Quant::Any => {
                let all = q == Quant::All;
                let decided = self.label();
                let end = self.label();
                for c in combos {
                    self.with_bindings(c, |s| {
                        s.branch(body, !all, decided, "a quantifier's condition")
                    })?;
                }
                self.emit(Op::Const(i64::from(all)), span);
                self.emit_to(Op::Jump(0), end, span);
                self.place_label(decided);
                self.emit(Op::Const(i64::from(!all)), span);
                self.place_label(end);
                Ok(Ty::Bool)
            }
        }
    }

    /// Every combination of the bindings' values (actors of a kind, integers of a range, the
    /// slots of a list or a map up to its capacity).
    pub(super) fn unroll(
        &mut self,
        bindings: &'f [Binding],
    ) -> Result<Vec<Vec<(String, Bound<'f>)>>> {
        let mut combos: Vec<Vec<(String, Bound<'f>)>> = vec![Vec::new()];
        for b in bindings {
            if let Binding::Each(each) = b {
                let super::super::ast::Each {
                    first,
                    var,
                    over,
                    index,
                    alias,
                    elem,
                    key,
                    value,
                    ..
                } = &**each;
                let (ty, cap) = self.capacity_of(over)?;
                let map = matches!(ty, Ty::Map(..));
                let mut next = Vec::new();
                for c in &combos {
                    for i in 0..cap {
                        let int = Val {
                            ty: Ty::Int,
                            vals: vec![i as i64],
                        };
                        let mut c2 = c.clone();
                        c2.push((index.text.clone(), Bound::Value(int.clone())));
                        c2.push((alias.text.clone(), Bound::Subst(over)));
                        let (one, two) = if map { (key, value) } else { (elem, elem) };
                        match first {
                            None => c2.push((var.text.clone(), Bound::Subst(one))),
                            Some(f) => {
                                let f0 = if map {
                                    Bound::Subst(key)
                                } else {
                                    Bound::Value(int)
                                };
                                c2.push((f.text.clone(), f0));
                                c2.push((var.text.clone(), Bound::Subst(two)));
                            }
                        }
                        next.push(c2);
                    }
                }
                combos = next;
                continue;
            }
            let (var, values): (&str, Vec<Val>) = match b {
                Binding::Each(_) => unreachable!("handled above"),
                Binding::Actors { var, kind } => {
                    let Some(k) = self.kinds.iter().position(|x| x.name == kind.text) else {
                        return Err(Diag::new(
                            kind.span.clone(),
                            format!("unknown actor kind `{}`", kind.text),
                        ));
                    };
                    let vals = self.instances_of[k]
                        .iter()
                        .map(|&i| Val {
                            ty: Ty::Actor(Some(k as u16)),
                            vals: vec![i as i64],
                        })
                        .collect();
                    (&var.text, vals)
                }
                Binding::Range { var, from, to } => {
                    let a = self.const_int(from, "a range's start")?;
                    let z = self.const_int(to, "a range's end")?;
                    if z - a > 1024 {
                        return Err(Diag::new(
                            to.span.clone(),
                            "a quantifier's range spans at most 1024 values",
                        ));
                    }
                    let vals = (a..z)
                        .map(|i| Val {
                            ty: Ty::Int,
                            vals: vec![i],
                        })
                        .collect();
                    (&var.text, vals)
                }
            };
            let mut next = Vec::new();
            for c in &combos {
                for v in &values {
                    let mut c2 = c.clone();
                    c2.push((var.to_string(), Bound::Value(v.clone())));
                    next.push(c2);
                }
            }
            combos = next;
            if combos.len() > 100_000 {
                return Err(Diag::new(
                    super::super::lexer::Span::default(),
                    "a quantifier over more than 100000 combinations",
                ));
            }
        }
        Ok(combos)
    }

    pub(super) fn with_bindings<T>(
        &mut self,
        combo: Vec<(String, Bound<'f>)>,
        f: impl FnOnce(&mut Self) -> Result<T>,
    ) -> Result<T> {
        self.push_scope(false);
        let mut scopes = 1;
        // The names an element binding introduces resolve their list in the scope where its
        // hidden index was bound, so `all(q in q | ...)` reads the outer `q`; later bindings
        // see them.
        let mut subst_scope = None;
        for (n, b) in combo {
            let bind = match b {
                Bound::Value(v) => {
                    subst_scope = None;
                    Bind::Value {
                        ty: v.ty,
                        vals: v.vals,
                    }
                }
                Bound::Subst(expr) => {
                    let scope = match subst_scope {
                        Some(s) => s,
                        None => {
                            let s = self.cur;
                            self.push_scope(false);
                            scopes += 1;
                            subst_scope = Some(s);
                            s
                        }
                    };
                    Bind::Subst {
                        expr,
                        scope,
                        ghost: self.ghost,
                        owner: self.owner(),
                    }
                }
            };
            self.bind(&n, bind);
        }
        let r = f(self);
        for _ in 0..scopes {
            self.drop_scope();
        }
        r
    }

    fn call_expr(
        &mut self,
        name: &'f super::super::ast::Name,
        args: &'f [Expr],
        span: &Span,
        expect: Option<&Ty>,
    ) -> Result<Ty> {
        let n = name.text.as_str();
        match (n, args.len()) {
            ("#live", 2) => return self.live_test(args, span),
            ("#at", 2) => {
                let p = self.at_place(args, span)?;
                self.load(&p, span)?;
                return Ok(p.ty);
            }
            ("now", 0) => {
                self.refuse_state(span)?;
                self.emit(Op::Now, span);
                return Ok(Ty::Dur);
            }
            ("min" | "max", 2) => {
                let a = self.expr(&args[0], expect)?;
                let b = self.expr(&args[1], Some(&a))?;
                if a != b || !matches!(a, Ty::Int | Ty::Dur) {
                    return Err(Diag::new(
                        span.clone(),
                        format!("`{n}` takes two ints or two durs, not {a} and {b}"),
                    ));
                }
                self.emit(if n == "min" { Op::Min } else { Op::Max }, span);
                return Ok(a);
            }
            ("now" | "min" | "max", _) => {
                return Err(Diag::new(
                    span.clone(),
                    format!("`{n}` takes {} argument(s)", if n == "now" { 0 } else { 2 }),
                ))
            }
            ("anchor" | "sleep" | "work" | "yield", _) => return Err(Diag::new(
                span.clone(),
                format!("`{n}` is a statement, not a value"),
            )
            .help(match n {
                "anchor" => "write `anchor()` on its own line",
                _ => {
                    "write `await sleep(d)`, `await work(d, o)` or `await yield()` on its own line"
                }
            })),
            _ => {}
        }
        if !self.fns.contains_key(n) {
            if let Some(t) = self.os_builtin(n, args, span)? {
                return Ok(t);
            }
            if super::os::is_call(n) {
                return Err(Diag::new(
                    span.clone(),
                    format!("`{n}` is a system call: a step of its own"),
                )
                .help(format!(
                    "write `await {n}(...)` as a statement, or `let x = await {n}(...)`"
                )));
            }
        }
        let Some(&(def, owner)) = self.fns.get(n) else {
            return Err(Diag::new(name.span.clone(), format!("unknown function `{n}`"))
                .help("the built-in functions are now(), min(a, b), max(a, b); statements add anchor() and the awaits"));
        };
        let FnBody::Expr(body) = &def.body else {
            return Err(Diag::new(
                span.clone(),
                format!("`{n}` has a block body: call it as a statement"),
            )
            .help(format!(
                "write `let x = {n}(...)` or `{n}(...)` on its own line, or give it an expression body: `fn {n}(...) = ...`"
            )));
        };
        self.check_owner(owner, n, span)?;
        if def.params.len() != args.len() {
            return Err(Diag::new(
                span.clone(),
                format!(
                    "`{n}` takes {} argument(s), not {}",
                    def.params.len(),
                    args.len()
                ),
            ));
        }
        let count = self.inline_counts.get(n).copied().unwrap_or(0);
        if count >= RECURSION_MAX {
            return Err(Diag::new(
                span.clone(),
                format!("`{n}` calls itself more than {RECURSION_MAX} deep"),
            )
            .help("an expression function cannot recurse: bound the recursion by hand"));
        }
        self.check_call_depth(span)?;
        // Check each argument against its parameter (compiled and discarded: the body reads it
        // by name).
        let mut binds = Vec::new();
        for ((p, pt), a) in def.params.iter().zip(args) {
            let want = self.ty(pt)?;
            let start = self.ops.len();
            let labels = self.labels.len();
            let r = self.value_for(a, &want, &format!("argument `{}`", p.text));
            self.truncate(start, labels);
            match r {
                Err(e) if not_const(&e) => {}
                other => other?,
            }
            binds.push((p.text.clone(), a));
        }
        let scope = self.cur;
        let caller_owner = self.owner();
        self.push_scope(true);
        for (p, a) in binds {
            self.bind(
                &p,
                Bind::Subst {
                    expr: a,
                    scope,
                    ghost: self.ghost,
                    owner: caller_owner,
                },
            );
        }
        *self.inline_counts.entry(n.to_string()).or_insert(0) += 1;
        self.owners.push(owner);
        let want = match &def.ret {
            Some(t) => Some(self.ty(t)?),
            None => None,
        };
        self.read_only += 1;
        let r = self.expr(body, want.as_ref().or(expect));
        self.read_only -= 1;
        self.owners.pop();
        *self.inline_counts.get_mut(n).expect("counted") -= 1;
        self.drop_scope();
        let got = r?;
        match want {
            Some(w) => {
                self.convert(&got, &w, &body.span, &format!("`{n}`'s result"))?;
                Ok(w)
            }
            None => Ok(got),
        }
    }

    /// A function declared inside an actor is only for that actor's code.
    pub(super) fn check_owner(&self, owner: Option<u16>, n: &str, span: &Span) -> Result<()> {
        if let Some(k) = owner
            && self.owner() != Some(k)
        {
            return Err(Diag::new(
                span.clone(),
                format!(
                    "`{n}` belongs to actor `{}` and is only called from its code",
                    self.kinds[usize::from(k)].name
                ),
            ));
        }
        Ok(())
    }
}

/// The result type of arithmetic on `l` and `r`, if it is allowed.
fn arith(op: BinOp, l: &Ty, r: &Ty) -> Option<Ty> {
    use Ty::{Dur, Int};
    match (op, l, r) {
        (_, Int, Int) => Some(Int),
        (BinOp::Add | BinOp::Sub | BinOp::Rem, Dur, Dur) => Some(Dur),
        (BinOp::Div, Dur, Dur) => Some(Int),
        (BinOp::Mul, Dur, Int) | (BinOp::Mul, Int, Dur) | (BinOp::Div, Dur, Int) => Some(Dur),
        _ => None,
    }
}

fn mismatch(op: BinOp, l: &Ty, r: &Ty, span: &Span) -> Diag {
    let sym = match op {
        BinOp::Add => "+",
        BinOp::Sub => "-",
        BinOp::Mul => "*",
        BinOp::Div => "/",
        BinOp::Rem => "%",
        BinOp::Lt => "<",
        BinOp::Le => "<=",
        BinOp::Gt => ">",
        BinOp::Ge => ">=",
        _ => "?",
    };
    let d = Diag::new(span.clone(), format!("`{l} {sym} {r}` is not allowed"));
    if matches!((l, r), (Ty::Dur, Ty::Int) | (Ty::Int, Ty::Dur)) {
        d.help(
            "durations and plain ints do not mix: write a unit (`5ms`), or multiply (`poll * 3`)",
        )
    } else if matches!(l, Ty::Option(_)) || matches!(r, Ty::Option(_)) {
        d.help("an option must be unwrapped with `!` (or compared with `none`) first")
    } else {
        d.help("arithmetic is on ints and durations, comparisons on two of the same")
    }
}
