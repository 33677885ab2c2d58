//! Statements: assignments, control flow, exceptions, awaits, calls of procedures.

use std::cell::RefCell;
use std::collections::BTreeSet;
use std::rc::Rc;

use lockstep_sim::machine::program::DROPPED;
use lockstep_sim::machine::{sym, Op, Platform, NO_HANDLER};

use super::super::ast::{AssignOp, Await, Block, Expr, ExprKind, FnBody, Name, Stmt, StmtKind};
use super::super::diag::{Diag, Result};
use super::super::lexer::Span;
use super::super::types::Ty;
use super::{Bind, Compiler, Frame, Jump, Want, RECURSION_MAX};

impl<'f> Compiler<'f> {
    pub(super) fn block_stmts(&mut self, b: &'f Block) -> Result<()> {
        for (i, s) in b.stmts.iter().enumerate() {
            if let StmtKind::Let { name, ty, value } = &s.kind {
                let rest = &b.stmts[i + 1..];
                if !read_in(rest, &name.text) {
                    self.dead_let(name, ty.as_ref(), value, &s.span)?;
                    continue;
                }
                if !assigned_in(rest, &name.text) && self.const_let(name, ty.as_ref(), value)? {
                    continue;
                }
            }
            self.stmt(s)?;
        }
        Ok(())
    }

    /// A `let` nothing reads: its value is still computed when that has an effect (a
    /// procedure, an await, a list's change) or may fail at run time (an index, an unwrap, a
    /// division, a map's key), only checked otherwise, and the name gets no slot.
    fn dead_let(
        &mut self,
        name: &'f Name,
        ty: Option<&'f super::super::ast::Type>,
        value: &'f Expr,
        span: &Span,
    ) -> Result<()> {
        if let Some(t) = ty {
            self.ty(t)?;
        }
        match &value.kind {
            ExprKind::Await(a) => match &**a {
                Await::Call(f, args) => {
                    self.call_proc(f, args, true, span, Want::Discard)?;
                }
                _ => {
                    return Err(Diag::new(value.span.clone(), "this await has no value"));
                }
            },
            ExprKind::Call(f, args) if self.is_proc(&f.text) => {
                self.call_proc(f, args, false, span, Want::Discard)?;
            }
            _ if Self::changes_collections(value) || may_fail(value) => {
                self.discarded(value, span)?
            }
            _ => {
                let start = self.ops.len();
                let labels = self.labels.len();
                let r = self.expr(value, None);
                self.truncate(start, labels);
                r?;
            }
        }
        self.bind(&name.text, Bind::Dead);
        Ok(())
    }

    /// Binds a `let` whose value is a constant (and which is never assigned) as that value, so
    /// the code after it is specialised. Returns whether it did.
    fn const_let(
        &mut self,
        name: &'f Name,
        ty: Option<&'f super::super::ast::Type>,
        value: &'f Expr,
    ) -> Result<bool> {
        if matches!(value.kind, ExprKind::Await(_))
            || matches!(&value.kind, ExprKind::Call(f, _) if self.is_proc(&f.text))
        {
            return Ok(false);
        }
        let want = match ty {
            Some(t) => Some(self.ty(t)?),
            None => None,
        };
        let Some(v) = self.try_const(value, want.as_ref())? else {
            return Ok(false);
        };
        let v = match &want {
            Some(w) => self.coerce(v, w, &value.span)?,
            None => v,
        };
        if v.ty == Ty::NoneLit || v.ty == Ty::Unit {
            return Ok(false);
        }
        self.bind(
            &name.text,
            Bind::Value {
                ty: v.ty,
                vals: v.vals,
            },
        );
        Ok(true)
    }

    /// A block in its own scope.
    pub(super) fn scoped(&mut self, b: &'f Block) -> Result<()> {
        self.push_scope(false);
        self.block_stmts(b)?;
        self.pop_scope(&b.span);
        Ok(())
    }

    /// Compiles `f` (the expressions a statement evaluates first) after resolving the actor
    /// parameters it reads: an open parameter is chosen at the start of the statement, where
    /// the operand stack is empty.
    pub(super) fn resolving<T>(
        &mut self,
        span: &Span,
        mut f: impl FnMut(&mut Self) -> Result<T>,
    ) -> Result<T> {
        if self.code.is_none() {
            return f(self);
        }
        let start = self.ops.len();
        let labels = self.labels.len();
        let next_local = self.next_local();
        let max_local = self.code.as_ref().map(|c| c.max_local);
        let scopes = self.scopes.len();
        let cur = self.cur;
        let r = f(self);
        let read: BTreeSet<u32> = self.ops[start..]
            .iter()
            .filter_map(|op| match op {
                Op::Param(p) => Some(*p),
                _ => None,
            })
            .collect();
        self.truncate(start, labels);
        self.scopes.truncate(scopes);
        self.cur = cur;
        if let Some(c) = self.code.as_mut() {
            c.next_local = next_local;
            c.max_local = max_local.unwrap_or(c.max_local);
        }
        r?;
        for p in read {
            self.emit(Op::Resolve(p), span);
        }
        f(self)
    }

    /// Whether a ghost statement writes nothing the checked properties depend on (so it is
    /// left out; see [`super::ghost`]).
    fn dead_ghost(&self, s: &Stmt) -> bool {
        let Some(live) = &self.live else {
            return false;
        };
        let ghost_stmt = self.ghost || matches!(s.kind, StmtKind::Ghost(_));
        ghost_stmt && !writes_any(s, live)
    }

    fn stmt(&mut self, s: &'f Stmt) -> Result<()> {
        let span = &s.span;
        if self.dead_ghost(s) {
            return Ok(());
        }
        match &s.kind {
            StmtKind::Let { name, ty, value } => self.let_stmt(name, ty.as_ref(), value, span),
            StmtKind::Var { init, name, .. } => {
                let top = self.frames().len() == 1 && self.scopes.len() == 1;
                if !top {
                    return Err(Diag::new(
                        span.clone(),
                        "`var` and `ghost` declare an actor's variables: only at the top of its body",
                    )
                    .help("use `let` for a local"));
                }
                match init {
                    Some(e) => self.init_var(name, e, span),
                    None => Ok(()),
                }
            }
            StmtKind::AbortWhen(cond) => self.abort_when(cond, span),
            StmtKind::Assign { place, op, value } => self.assign(place, *op, value, span),
            StmtKind::If { cond, then, els } => self.if_stmt(cond, then, els.as_ref(), span),
            StmtKind::While { cond, body } => self.while_stmt(Some(cond), body, span),
            StmtKind::Loop(body) => self.while_stmt(None, body, span),
            StmtKind::For {
                var,
                from,
                to,
                body,
            } => self.for_stmt(var, from, to, body, span),
            StmtKind::ForEach {
                first,
                var,
                over,
                body,
                any_order: false,
            } => self.for_each(first.as_ref(), var, over, body, span),
            StmtKind::ForEach {
                first,
                var,
                over,
                body,
                any_order: true,
            } => self.for_any_order(first.as_ref(), var, over, body, span),
            StmtKind::ForActors { var, kind, body } => {
                if !self.ghost {
                    return Err(Diag::new(
                        span.clone(),
                        "`for r: Kind` visits other actors: only ghost code may",
                    )
                    .help("put it in a `ghost { ... }` block"));
                }
                let binding = [super::super::ast::Binding::Actors {
                    var: var.clone(),
                    kind: kind.clone(),
                }];
                let combos = self.unroll_owned(&binding)?;
                for c in combos {
                    self.with_bindings(c, |s| s.scoped(body))?;
                }
                Ok(())
            }
            StmtKind::Break | StmtKind::Continue => {
                let Some(i) = self.innermost_loop() else {
                    return Err(Diag::new(
                        span.clone(),
                        "`break` and `continue` belong inside a loop",
                    ));
                };
                let j = if matches!(s.kind, StmtKind::Break) {
                    Jump::Break(i)
                } else {
                    Jump::Continue(i)
                };
                self.jump(j, span)
            }
            StmtKind::Return(value) => self.return_stmt(value.as_ref(), span),
            StmtKind::Throw(value) => {
                self.no_ghost(span, "throw")?;
                self.resolving(span, |c| {
                    let t = c.expr(value, None)?;
                    if t != Ty::Sym {
                        return Err(Diag::new(
                            value.span.clone(),
                            format!("`throw` takes a symbol ('timed-out'), not {t}"),
                        ));
                    }
                    Ok(())
                })?;
                self.throw_value(span)
            }
            StmtKind::Try {
                body,
                catch,
                finally,
            } => self.try_stmt(body, catch.as_ref(), finally.as_ref(), span),
            StmtKind::Match { scrutinee, arms } => self.match_stmt(scrutinee, arms, span),
            StmtKind::Mark(name) => {
                self.no_ghost(span, "mark")?;
                if self.code.is_none() {
                    return Err(Diag::new(span.clone(), "a mark belongs in actor code"));
                }
                let id = self.mark_id(&name.text);
                if id >= 64 {
                    return Err(Diag::new(span.clone(), "at most 64 marks per protocol"));
                }
                self.mark_spans
                    .entry(name.text.clone())
                    .or_insert_with(|| name.span.clone());
                self.emit(Op::Mark(id), span);
                Ok(())
            }
            StmtKind::Ghost(b) => {
                let saved = (
                    std::mem::replace(&mut self.ghost, true),
                    std::mem::replace(&mut self.can_await, false),
                );
                self.push_frame(Frame::Ghost);
                let r = self.scoped(b);
                self.pop_frame();
                self.ghost = saved.0;
                self.can_await = saved.1;
                r
            }
            StmtKind::Part { body, .. } | StmtKind::Block(body) => self.scoped(body),
            // Checked when a scenario is loaded (see `check_actor_assumptions`).
            StmtKind::Assume { .. } => Ok(()),
            StmtKind::Expr(e) => self.expr_stmt(e, span),
        }
    }

    fn unroll_owned(
        &mut self,
        b: &[super::super::ast::Binding],
    ) -> Result<Vec<Vec<(String, super::expr::Bound<'f>)>>> {
        // The bindings live in the tree; a `for r: Kind` statement's binding is built here, so
        // unroll it without borrowing it for 'f.
        let super::super::ast::Binding::Actors { var, kind } = &b[0] else {
            unreachable!("a for over actors")
        };
        let Some(k) = self.kinds.iter().position(|x| x.name == kind.text) else {
            return Err(Diag::new(
                kind.span.clone(),
                format!("unknown actor kind `{}`", kind.text),
            ));
        };
        Ok(self.instances_of[k]
            .iter()
            .map(|&i| {
                vec![(
                    var.text.clone(),
                    super::expr::Bound::Value(super::Val {
                        ty: Ty::Actor(Some(k as u16)),
                        vals: vec![i as i64],
                    }),
                )]
            })
            .collect())
    }

    fn no_ghost(&self, span: &Span, what: &str) -> Result<()> {
        if self.ghost {
            return Err(Diag::new(
                span.clone(),
                format!("`{what}` in ghost code: ghost code only records what happened"),
            ));
        }
        Ok(())
    }

    fn let_stmt(
        &mut self,
        name: &'f Name,
        ty: Option<&'f super::super::ast::Type>,
        value: &'f Expr,
        span: &Span,
    ) -> Result<()> {
        let want = match ty {
            Some(t) => Some(self.ty(t)?),
            None => None,
        };
        let got = self.value_stmt(value, want.as_ref(), span)?;
        let t = match &want {
            Some(w) => {
                self.convert(&got, w, &value.span, &format!("`{}`", name.text))?;
                w.clone()
            }
            None => {
                if got == Ty::NoneLit || got == Ty::Unit {
                    return Err(Diag::new(
                        value.span.clone(),
                        format!("`{}` needs a type: this value has none", name.text),
                    )
                    .help("write `let x: dur? = none`"));
                }
                got
            }
        };
        let off = self.alloc(t.size().max(1), span)?;
        self.store_local(off, t.size(), span);
        self.bind(
            &name.text,
            Bind::Local {
                off,
                ty: t,
                ghost: self.ghost,
            },
        );
        Ok(())
    }

    /// The value of a `let`'s or an assignment's right side: an expression, an await, or the
    /// result of a procedure. Leaves it on the stack.
    fn value_stmt(&mut self, value: &'f Expr, want: Option<&Ty>, span: &Span) -> Result<Ty> {
        match &value.kind {
            ExprKind::Await(a) => {
                let Await::Call(f, args) = &**a else {
                    return Err(
                        Diag::new(value.span.clone(), "this await has no value").help(
                            "only `await f(...)` of a function that returns something has a value",
                        ),
                    );
                };
                self.call_proc(f, args, true, span, Want::Value)
            }
            ExprKind::Call(f, args) if self.is_proc(&f.text) => {
                self.call_proc(f, args, false, span, Want::Value)
            }
            _ => self.resolving(span, |c| c.expr(value, want)),
        }
    }

    /// A procedure, or `kill`: Node's `process.kill(pid, 0)` is a synchronous call.
    fn is_proc(&self, name: &str) -> bool {
        match self.fns.get(name) {
            Some((d, _)) => matches!(d.body, FnBody::Block(_)),
            None => name == "kill",
        }
    }

    fn assign(
        &mut self,
        place: &'f Expr,
        op: AssignOp,
        value: &'f Expr,
        span: &Span,
    ) -> Result<()> {
        self.assign_to(place, op, value, span)
    }

    fn assign_to(
        &mut self,
        target: &'f Expr,
        op: AssignOp,
        value: &'f Expr,
        span: &Span,
    ) -> Result<()> {
        // An assignment to a `let` nothing reads: only the value's effects remain.
        if let ExprKind::Name(n) = &target.kind
            && matches!(self.lookup_bind(n), Some(Bind::Dead))
        {
            return match self.proc_call(value) {
                Some((f, args, awaited)) => {
                    self.call_proc(f, args, awaited, span, Want::Discard)?;
                    Ok(())
                }
                None if Self::changes_collections(value) || may_fail(value) => {
                    self.discarded(value, span)
                }
                None => self.check_only(value, None),
            };
        }
        let is_value_stmt = matches!(&value.kind, ExprKind::Await(_))
            || matches!(&value.kind, ExprKind::Call(f, _) if self.is_proc(&f.text));
        if is_value_stmt {
            if op != AssignOp::Set {
                return Err(Diag::new(
                    span.clone(),
                    "`+=` and `-=` take an expression, not an await or a procedure call",
                ));
            }
            // The value first (it may await), then the place.
            let got = self.value_stmt(value, None, span)?;
            let tmp = self.alloc(got.size().max(1), span)?;
            self.store_local(tmp, got.size(), span);
            let r = self.resolving(span, |c| {
                let p = c.target(target)?;
                c.load_local(tmp, got.size(), span);
                c.convert(&got, &p.ty, &value.span, &format!("`{}`", p.name))?;
                c.store(&p, span)?;
                Ok(())
            });
            self.emit(
                Op::Clear {
                    off: tmp,
                    n: got.size().max(1) as u32,
                },
                span,
            );
            if let Some(c) = self.code.as_mut() {
                c.next_local -= got.size().max(1) as u32;
            }
            return r;
        }
        if op == AssignOp::Set
            && let ExprKind::Index(base, key) = &target.kind
            && self.is_map(base)?
        {
            return self.resolving(span, |c| {
                let Some(p) = c.place(base)? else {
                    unreachable!("a map variable")
                };
                let ghost_before = c.ghost;
                c.ghost |= p.ghost;
                let r = c.map_assign(p, key, value, span);
                c.ghost = ghost_before;
                r
            });
        }
        self.resolving(span, |c| {
            let ghost_before = c.ghost;
            let p = c.target(target)?;
            // An assignment to ghost state is ghost code: its value may read ghost state.
            if p.ghost {
                c.ghost = true;
            }
            let r = (|| {
                match op {
                    AssignOp::Set => c.value_for(value, &p.ty, &format!("`{}`", p.name))?,
                    AssignOp::Add | AssignOp::Sub => {
                        if !matches!(p.ty, Ty::Int | Ty::Dur) {
                            return Err(Diag::new(
                                span.clone(),
                                format!(
                                    "`+=` and `-=` need an int or a dur, and `{}` is {}",
                                    p.name, p.ty
                                ),
                            ));
                        }
                        c.reload(&p, span)?;
                        let t = c.expr(value, Some(&p.ty))?;
                        if t != p.ty {
                            return Err(Diag::new(
                                value.span.clone(),
                                format!("`{}` is {}, and this is {t}", p.name, p.ty),
                            ));
                        }
                        c.emit(
                            if op == AssignOp::Add {
                                Op::Add
                            } else {
                                Op::Sub
                            },
                            span,
                        );
                    }
                }
                c.store(&p, span)?;
                Ok(())
            })();
            c.ghost = ghost_before;
            r
        })
    }

    /// The place an assignment writes, with its permissions checked.
    /// Whether `e` names a map variable (no code is kept).
    fn is_map(&mut self, e: &'f Expr) -> Result<bool> {
        let start = self.ops.len();
        let labels = self.labels.len();
        let r = self.place(e);
        self.truncate(start, labels);
        Ok(matches!(r?, Some(p) if matches!(p.ty, Ty::Map(..))))
    }

    fn target(&mut self, target: &'f Expr) -> Result<super::expr::Place> {
        let span = &target.span;
        let Some(p) = self.place(target)? else {
            // A name that is not declared at all says so (with the closest declared name),
            // rather than that it is fixed.
            self.check_only(target, None)?;
            return Err(Diag::new(span.clone(), "this cannot be assigned").help(
                "assign a variable, a field or an element: parameters and constants are fixed",
            ));
        };
        self.check_writable(&p, span)?;
        Ok(p)
    }

    /// Whether the code being compiled may change `p`.
    pub(super) fn check_writable(&self, p: &super::expr::Place, span: &Span) -> Result<()> {
        if self.ghost && !p.ghost {
            return Err(Diag::new(
                span.clone(),
                format!(
                    "ghost code cannot change `{}`, which is the protocol's state",
                    p.name
                ),
            )
            .help("ghost code only records what happened, in ghost variables"));
        }
        if p.foreign && !p.ghost {
            return Err(Diag::new(
                span.clone(),
                "an actor cannot change another actor's variables",
            )
            .help("only ghost code may record things in another actor's ghost variables"));
        }
        Ok(())
    }

    /// A `var` or `ghost` declaration's initial value.
    fn init_var(&mut self, name: &'f Name, init: &'f Expr, span: &Span) -> Result<()> {
        self.resolving(span, |c| {
            let Some(p) = c.place_of_var(&name.text, &name.span)? else {
                unreachable!("declared with the kind")
            };
            let saved = c.ghost;
            c.ghost = p.ghost;
            let r = c.value_for(init, &p.ty, &format!("`{}`", name.text));
            c.ghost = saved;
            r?;
            c.store(&p, span)?;
            Ok(())
        })
    }

    /// Pushes a place's current value again (for `+=`): a dynamic address is duplicated.
    fn reload(&mut self, p: &super::expr::Place, span: &Span) -> Result<()> {
        if let super::expr::Addr::Stack = p.addr {
            self.emit(Op::Dup, span);
        }
        self.load(p, span)
    }

    fn expr_stmt(&mut self, e: &'f Expr, span: &Span) -> Result<()> {
        match &e.kind {
            ExprKind::Await(a) => self.await_stmt(a, span),
            ExprKind::Call(f, args) if f.text == "anchor" => {
                self.no_ghost(span, "anchor")?;
                if !args.is_empty() {
                    return Err(Diag::new(span.clone(), "`anchor()` takes no argument"));
                }
                if self.platform == Platform::Node {
                    return Err(Diag::new(
                        span.clone(),
                        "`anchor()` is workerd's waitUntil (or tokio's spawn): this platform has no cancellation to anchor against",
                    ));
                }
                if self.code.is_none() {
                    return Err(Diag::new(span.clone(), "`anchor()` belongs in actor code"));
                }
                self.emit(Op::Anchor, span);
                Ok(())
            }
            ExprKind::Call(f, args) if self.is_proc(&f.text) => {
                self.call_proc(f, args, false, span, Want::Discard)?;
                Ok(())
            }
            // A step written without its `await`: say which, not "this value is not used".
            ExprKind::Call(f, _)
                if !self.fns.contains_key(f.text.as_str())
                    && (super::os::is_call(&f.text)
                        || matches!(f.text.as_str(), "sleep" | "work" | "yield")) =>
            {
                let what = if super::os::is_call(&f.text) {
                    "a system call"
                } else {
                    "a wait"
                };
                Err(Diag::new(
                    span.clone(),
                    format!("`{}` is {what}: a step of its own", f.text),
                )
                .help(format!("write `await {}(...)`", f.text)))
            }
            ExprKind::Method(_, m, _) if super::ghost::MUTATING.contains(&m.text.as_str()) => {
                self.discarded(e, span)
            }
            ExprKind::Method(..) => {
                self.check_only(e, None)?;
                Err(Diag::new(span.clone(), "this value is not used")
                    .help("only `push`, `pop`, `pop_front`, `remove`, `clear` and `put` change a list or a map"))
            }
            _ => Err(Diag::new(span.clone(), "this value is not used")
                .help("a statement assigns, calls a procedure, or awaits")),
        }
    }

    /// Evaluates `e` for its effects (a list's or a map's change) and drops its value.
    fn discarded(&mut self, e: &'f Expr, span: &Span) -> Result<()> {
        self.resolving(span, |c| {
            let t = c.expr(e, None)?;
            if t.size() > 0 {
                c.emit(Op::Pop(t.size() as u32), span);
            }
            Ok(())
        })
    }

    /// Whether `e` changes a list or a map.
    fn changes_collections(e: &Expr) -> bool {
        let mut found = Vec::new();
        super::ghost::mutations(e, &mut found);
        !found.is_empty()
    }

    fn await_stmt(&mut self, a: &'f Await, span: &Span) -> Result<()> {
        if let Await::Call(f, args) = a
            && self.modules.contains(&f.text)
        {
            return self.enter_module(f, args, span);
        }
        if let Await::Call(f, args) = a {
            self.call_proc(f, args, true, span, Want::Discard)?;
            return Ok(());
        }
        if !self.can_await {
            return Err(Diag::new(
                span.clone(),
                if self.ghost {
                    "no `await` in ghost code"
                } else {
                    "`await` only in actor code and the functions it awaits"
                },
            ));
        }
        match a {
            Await::Sleep(d) => {
                self.resolving(span, |c| c.value_for(d, &Ty::Dur, "a sleep's duration"))?;
                self.emit(Op::Sleep, span);
                Ok(())
            }
            Await::Yield => {
                self.emit(Op::Yield, span);
                Ok(())
            }
            Await::Until(cond) => {
                let check = self.label();
                let after = self.label();
                // The condition is evaluated by the explorer on every world: its code sits out
                // of line, after a jump the resumed actor takes.
                self.resolving(span, |c| {
                    let start = c.ops.len();
                    let labels = c.labels.len();
                    let saved = std::mem::replace(&mut c.can_await, false);
                    c.read_only += 1;
                    let t = c.expr(cond, None);
                    c.read_only -= 1;
                    c.can_await = saved;
                    c.truncate(start, labels);
                    c.want_bool(&t?, &cond.span, "`await until`'s condition")
                })?;
                self.emit_to(Op::Until(0), check, span);
                self.emit_to(Op::Jump(0), after, span);
                self.place_label(check);
                let saved = std::mem::replace(&mut self.can_await, false);
                self.read_only += 1;
                let r = self.expr(cond, None);
                self.read_only -= 1;
                self.can_await = saved;
                r?;
                self.emit(Op::End, span);
                self.place_label(after);
                Ok(())
            }
            Await::Work(d, o) => self.work(d, o, span),
            Await::Call(..) => unreachable!("handled above"),
        }
    }

    /// `await NAME(key)`: a call into instance `key` of module `NAME`; the actor waits there
    /// until the call returns.
    fn enter_module(&mut self, f: &'f Name, args: &'f [Expr], span: &Span) -> Result<()> {
        if !self.can_await || self.ghost {
            return Err(Diag::new(
                span.clone(),
                "a module is called from actor code",
            ));
        }
        let [key] = args else {
            return Err(Diag::new(
                f.span.clone(),
                format!(
                    "`await {}(key)` takes one argument: the instance (an int from 0 to 255)",
                    f.text
                ),
            ));
        };
        if !self.inst.nested {
            let m = self.message(
                span,
                &format!(
                    "a call into module `{0}`, and the scenario names no variant of it: add `{0} = \"<variant>\"` to [params]",
                    f.text
                ),
            );
            self.emit(Op::Fail(m), span);
        }
        self.value_for(key, &Ty::Int, "a module instance")?;
        self.emit(Op::Enter, span);
        Ok(())
    }

    /// `abort when COND`: the condition's code sits out of line (the explorer judges it for
    /// every actor of the kind that waits); the actor's own path jumps over it.
    fn abort_when(&mut self, cond: &'f Expr, span: &Span) -> Result<()> {
        if self.platform == Platform::Tokio {
            return Err(Diag::new(
                span.clone(),
                "`abort when` is workerd's: the platform aborting a request's IoContext, with no finally",
            )
            .help("on `platform tokio` an abort is a cancel (`JoinHandle::abort`): give the task `cancel_at`, `cancel_at_ms` or `cancel = \"any\"` in the scenario, and its drop guards run"));
        }
        let top = self.frames().len() == 1 && self.scopes.len() == 1;
        if !top {
            return Err(Diag::new(
                span.clone(),
                "`abort when` belongs at the top of an actor's body, after its variables",
            ));
        }
        if self.abort_when.is_some() {
            return Err(
                Diag::new(span.clone(), "an actor kind has one `abort when`")
                    .help("join the conditions with `||`"),
            );
        }
        let after = self.label();
        self.emit_to(Op::Jump(0), after, span);
        let start = self.here();
        let saved = std::mem::replace(&mut self.can_await, false);
        self.read_only += 1;
        let r = self.expr(cond, None);
        self.read_only -= 1;
        self.can_await = saved;
        self.want_bool(&r?, &cond.span, "`abort when`'s condition")?;
        if self.ops[start as usize..]
            .iter()
            .any(|op| matches!(op, Op::Param(_) | Op::Resolve(_)))
        {
            return Err(Diag::new(
                cond.span.clone(),
                "`abort when` cannot read the actor's parameters: a scenario may leave them open",
            )
            .help("copy the parameter into a `var` and read that"));
        }
        self.emit(Op::End, span);
        self.place_label(after);
        self.abort_when = Some(start);
        Ok(())
    }

    /// `await work(d, outcome)`: `ok` resumes after `d`; `fail` throws 'failed' after `d`;
    /// `hang` never resumes; `throw-sync` throws 'failed' at once, before any await;
    /// `cancelled` tears the actor down after `d` (no finally runs).
    fn work(&mut self, d: &'f Expr, o: &'f Expr, span: &Span) -> Result<()> {
        self.push_scope(false);
        let t = self.alloc(1, span)?;
        self.resolving(span, |c| {
            c.value_for(o, &Ty::Sym, "a work's outcome")?;
            c.store_local(t, 1, span);
            c.value_for(d, &Ty::Dur, "a work's duration")?;
            c.emit(Op::Pop(1), span);
            Ok(())
        })?;
        let started = self.label();
        self.emit(Op::LoadLocal(t), span);
        self.emit(Op::Const(sym::THROW_SYNC), span);
        self.emit(Op::Eq, span);
        self.emit_to(Op::JumpIfFalse(0), started, span);
        self.emit(Op::Const(sym::FAILED), span);
        self.throw_value(span)?;
        self.place_label(started);
        self.expr(d, Some(&Ty::Dur))?;
        self.emit(Op::LoadLocal(t), span);
        self.emit(Op::Work, span);
        let not_fail = self.label();
        self.emit(Op::LoadLocal(t), span);
        self.emit(Op::Const(sym::FAIL), span);
        self.emit(Op::Eq, span);
        self.emit_to(Op::JumpIfFalse(0), not_fail, span);
        self.emit(Op::Const(sym::FAILED), span);
        self.throw_value(span)?;
        self.place_label(not_fail);
        let not_cancelled = self.label();
        self.emit(Op::LoadLocal(t), span);
        self.emit(Op::Const(sym::CANCELLED), span);
        self.emit(Op::Eq, span);
        self.emit_to(Op::JumpIfFalse(0), not_cancelled, span);
        self.emit_drop(span);
        self.place_label(not_cancelled);
        let ok = self.label();
        self.emit(Op::LoadLocal(t), span);
        self.emit(Op::Const(sym::OK), span);
        self.emit(Op::Eq, span);
        self.emit_to(Op::JumpIfTrue(0), ok, span);
        let bad = self.message(
            span,
            "a work outcome is 'ok', 'fail', 'hang', 'throw-sync' or 'cancelled'",
        );
        self.emit(Op::Fail(bad), span);
        self.place_label(ok);
        self.pop_scope(span);
        Ok(())
    }

    /// Inlines a procedure call; leaves its result (if any) on the stack.
    fn call_proc(
        &mut self,
        f: &'f Name,
        args: &'f [Expr],
        awaited: bool,
        span: &Span,
        want: Want,
    ) -> Result<Ty> {
        let name = f.text.as_str();
        if !self.fns.contains_key(name) && super::os::is_call(name) {
            if !awaited && name == "kill" {
                // `process.kill(pid, 0)` is synchronous in Node: part of the current step.
                return self.os_call(f, args, want, false, span);
            }
            if !awaited {
                return Err(Diag::new(
                    span.clone(),
                    format!("`{name}` is a system call: a step of its own"),
                )
                .help(format!("write `await {name}(...)`")));
            }
            return self.os_call(f, args, want, true, span);
        }
        let Some(&(def, owner)) = self.fns.get(name) else {
            return Err(Diag::new(
                f.span.clone(),
                format!("unknown function `{name}`"),
            ));
        };
        let FnBody::Block(body) = &def.body else {
            return Err(Diag::new(
                span.clone(),
                format!("`{name}` is an expression function: it never awaits"),
            )
            .help(format!("drop the `await`: `{name}(...)` is a plain value")));
        };
        if self.code.is_none() {
            return Err(Diag::new(
                span.clone(),
                format!("`{name}` is a procedure: only actor code calls it"),
            ));
        }
        self.check_owner(owner, name, span)?;
        if self.ghost {
            return Err(Diag::new(
                span.clone(),
                "ghost code calls only expression functions",
            ));
        }
        let awaits = block_awaits(body);
        if awaits && !awaited {
            return Err(Diag::new(
                span.clone(),
                format!("`{name}` awaits: call it with `await {name}(...)`"),
            )
            .help("every interleaving point is visible where it happens"));
        }
        if awaited && !self.can_await {
            return Err(Diag::new(
                span.clone(),
                "`await` only in actor code and the functions it awaits",
            ));
        }
        if def.params.len() != args.len() {
            return Err(Diag::new(
                span.clone(),
                format!(
                    "`{name}` takes {} argument(s), not {}",
                    def.params.len(),
                    args.len()
                ),
            ));
        }
        let ret = match &def.ret {
            Some(t) => Some(self.ty(t)?),
            None => None,
        };
        self.check_call_depth(span)?;
        let count = self.inline_counts.get(name).copied().unwrap_or(0);
        if count >= RECURSION_MAX {
            let m = self.message(
                span,
                &format!("`{name}` recursed deeper than {RECURSION_MAX} calls"),
            );
            self.emit(Op::Fail(m), span);
            if let (Some(t), Want::Value) = (&ret, &want) {
                for _ in 0..t.size() {
                    self.emit(Op::Const(0), span);
                }
            }
            return Ok(ret.unwrap_or(Ty::Unit));
        }
        // The result slot, then the arguments (evaluated in the caller's scope).
        let ret_slot = match (&ret, &want) {
            (Some(t), Want::Value) => Some((self.alloc(t.size().max(1), span)?, t.clone())),
            (Some(_), Want::Into(off, t)) => Some((*off, t.clone())),
            _ => None,
        };
        let discard = ret.is_some() && matches!(want, Want::Discard);
        let caller = self.cur;
        self.push_scope(true);
        let mut params = Vec::new();
        let mut consts = Vec::new();
        for ((p, pt), a) in def.params.iter().zip(args) {
            let want = self.ty(pt)?;
            // A constant argument is bound as a value: the body is specialised for it.
            let folded = self.in_scope(caller, |c| c.try_const(a, Some(&want)));
            if let Some(v) = folded? {
                let v = self.coerce(v, &want, &a.span)?;
                consts.push((p.text.clone(), v));
                continue;
            }
            // A caller's local the body never assigns is shared, not copied.
            if let ExprKind::Name(n) = &a.kind {
                let alias = self.in_scope(caller, |c| c.lookup_local(n));
                if let Some((off, ty)) = alias
                    && ty == want
                    && !assigned_in(&body.stmts, &p.text)
                {
                    params.push((p.text.clone(), off, want));
                    continue;
                }
            }
            self.resolving(span, |c| {
                // Arguments see the caller's names.
                c.in_scope(caller, |c| {
                    c.value_for(a, &want, &format!("argument `{}`", p.text))
                })
            })?;
            let off = self.alloc(want.size().max(1), span)?;
            self.store_local(off, want.size(), span);
            params.push((p.text.clone(), off, want));
        }
        for (p, off, ty) in params {
            self.bind(
                &p,
                Bind::Local {
                    off,
                    ty,
                    ghost: false,
                },
            );
        }
        for (p, v) in consts {
            self.bind(
                &p,
                Bind::Value {
                    ty: v.ty,
                    vals: v.vals,
                },
            );
        }
        *self.inline_counts.entry(name.to_string()).or_insert(0) += 1;
        self.owners.push(owner);
        let exit = self.label();
        let mark = self.next_local();
        self.push_frame(Frame::Body {
            exit,
            ret: ret_slot.clone(),
            mark,
            actor_body: false,
            discard,
        });
        let r = self.block_stmts(body);
        self.pop_frame();
        self.owners.pop();
        *self.inline_counts.get_mut(name).expect("counted") -= 1;
        r?;
        if ret.is_some() {
            let m = self.message(
                &def.name.span,
                &format!("`{name}` ended without returning a value"),
            );
            self.emit(Op::Fail(m), span);
        }
        self.place_label(exit);
        self.pop_scope(span);
        if !matches!(want, Want::Value) {
            return Ok(Ty::Unit);
        }
        match ret_slot {
            Some((off, t)) => {
                self.load_local(off, t.size(), span);
                self.emit(
                    Op::Clear {
                        off,
                        n: t.size().max(1) as u32,
                    },
                    span,
                );
                if let Some(c) = self.code.as_mut() {
                    c.next_local -= t.size().max(1) as u32;
                }
                Ok(t)
            }
            None => Ok(Ty::Unit),
        }
    }

    fn if_stmt(
        &mut self,
        cond: &'f Expr,
        then: &'f Block,
        els: Option<&'f Block>,
        span: &Span,
    ) -> Result<()> {
        if let Some(v) = self.try_const(cond, None)? {
            self.want_bool(&v.ty, &cond.span, "an `if` condition")?;
            // Only the branch taken is kept; the other is still checked.
            let (taken, other) = if v.vals[0] != 0 {
                (Some(then), els)
            } else {
                (els, Some(then))
            };
            if let Some(o) = other {
                let start = self.ops.len();
                let labels = self.labels.len();
                let saved = self.next_local();
                let usage = self.usage.clone();
                self.discarding += 1;
                let max_local = self.code.as_ref().map(|c| c.max_local);
                let r = self.scoped(o);
                self.discarding -= 1;
                self.truncate(start, labels);
                self.usage = usage;
                if let (Some(c), Some(m)) = (self.code.as_mut(), max_local) {
                    c.max_local = m;
                }
                if let Some(c) = self.code.as_mut() {
                    c.next_local = saved;
                }
                r?;
            }
            if let Some(t) = taken {
                self.scoped(t)?;
            }
            return Ok(());
        }
        let else_label = self.label();
        let end = self.label();
        self.resolving(span, |c| {
            c.branch(cond, false, else_label, "an `if` condition")
        })?;
        self.scoped(then)?;
        if let Some(e) = els {
            self.emit_to(Op::Jump(0), end, span);
            self.place_label(else_label);
            self.scoped(e)?;
        } else {
            self.place_label(else_label);
        }
        self.place_label(end);
        Ok(())
    }

    fn while_stmt(&mut self, cond: Option<&'f Expr>, body: &'f Block, span: &Span) -> Result<()> {
        let head = self.label();
        let brk = self.label();
        self.place_label(head);
        if let Some(c) = cond {
            self.resolving(span, |s| s.branch(c, false, brk, "a `while` condition"))?;
        }
        let mark = self.next_local();
        self.push_frame(Frame::Loop {
            brk,
            cont: head,
            mark,
        });
        let r = self.scoped(body);
        self.pop_frame();
        r?;
        self.emit_to(Op::Jump(0), head, span);
        self.place_label(brk);
        Ok(())
    }

    fn for_stmt(
        &mut self,
        var: &'f Name,
        from: &'f Expr,
        to: &'f Expr,
        body: &'f Block,
        span: &Span,
    ) -> Result<()> {
        self.push_scope(false);
        let i = self.alloc(1, span)?;
        let hi = self.alloc(1, span)?;
        self.resolving(span, |c| {
            let a = c.expr(from, None)?;
            let b = c.expr(to, None)?;
            if a != Ty::Int || b != Ty::Int {
                return Err(Diag::new(span.clone(), "a `for` range is over ints"));
            }
            Ok(())
        })?;
        self.emit(Op::StoreLocal(hi), span);
        self.emit(Op::StoreLocal(i), span);
        self.bind(
            &var.text,
            Bind::Local {
                off: i,
                ty: Ty::Int,
                ghost: self.ghost,
            },
        );
        let head = self.label();
        let cont = self.label();
        let brk = self.label();
        self.place_label(head);
        self.emit(Op::LoadLocal(i), span);
        self.emit(Op::LoadLocal(hi), span);
        self.emit(Op::Lt, span);
        self.emit_to(Op::JumpIfFalse(0), brk, span);
        let mark = self.next_local();
        self.push_frame(Frame::Loop { brk, cont, mark });
        let r = self.scoped(body);
        self.pop_frame();
        r?;
        self.place_label(cont);
        self.emit(Op::LoadLocal(i), span);
        self.emit(Op::Const(1), span);
        self.emit(Op::Add, span);
        self.emit(Op::StoreLocal(i), span);
        self.emit_to(Op::Jump(0), head, span);
        self.place_label(brk);
        self.pop_scope(span);
        Ok(())
    }

    /// The frame index of the innermost loop inside the innermost function body.
    fn innermost_loop(&self) -> Option<usize> {
        for (i, f) in self.frames().iter().enumerate().rev() {
            match f {
                Frame::Loop { .. } => return Some(i),
                Frame::Body { .. } => return None,
                _ => {}
            }
        }
        None
    }

    fn innermost_body(&self) -> Option<usize> {
        self.frames()
            .iter()
            .rposition(|f| matches!(f, Frame::Body { .. }))
    }

    fn return_stmt(&mut self, value: Option<&'f Expr>, span: &Span) -> Result<()> {
        self.no_ghost(span, "return")?;
        let Some(i) = self.innermost_body() else {
            return Err(Diag::new(span.clone(), "`return` outside a function"));
        };
        let Frame::Body {
            ret,
            actor_body,
            discard,
            ..
        } = self.frames()[i].clone()
        else {
            unreachable!("a body frame")
        };
        match (value, ret) {
            (Some(v), Some((off, t))) => {
                if let Some((f, args, awaited)) = self.proc_call(v)
                    && self.ret_type(&f.text)?.as_ref() == Some(&t)
                {
                    // `return f(...)`: f writes our result slot itself.
                    self.call_proc(f, args, awaited, span, Want::Into(off, t))?;
                    return self.jump(Jump::Return(i), span);
                }
                let got = self.value_stmt(v, Some(&t), span)?;
                self.convert(&got, &t, &v.span, "the result")?;
                self.store_local(off, t.size(), span);
            }
            (None, None) => {}
            (Some(v), None) if discard => {
                if let Some((f, args, awaited)) = self.proc_call(v) {
                    self.call_proc(f, args, awaited, span, Want::Discard)?;
                } else {
                    let got = self.value_stmt(v, None, span)?;
                    if got.size() > 0 {
                        self.emit(Op::Pop(got.size() as u32), span);
                    }
                }
            }
            (Some(v), None) => {
                return Err(Diag::new(
                    v.span.clone(),
                    if actor_body {
                        "an actor's body returns no value"
                    } else {
                        "this function declares no result type"
                    },
                )
                .help("declare one: `fn f(...) -> bool { ... }`"))
            }
            (None, Some((_, t))) => {
                return Err(Diag::new(
                    span.clone(),
                    format!("this function returns {t}: say which"),
                ))
            }
        }
        self.jump(Jump::Return(i), span)
    }

    /// `v` as a procedure call (`f(...)` or `await f(...)`): the name, the arguments, whether
    /// awaited.
    fn proc_call(&self, v: &'f Expr) -> Option<(&'f Name, &'f [Expr], bool)> {
        match &v.kind {
            ExprKind::Call(f, args) if self.is_proc(&f.text) => Some((f, args, false)),
            ExprKind::Await(a) => match &**a {
                Await::Call(f, args) if self.is_proc(&f.text) => Some((f, args, true)),
                _ => None,
            },
            _ => None,
        }
    }

    fn ret_type(&mut self, name: &str) -> Result<Option<Ty>> {
        let Some(&(def, _)) = self.fns.get(name) else {
            return Ok(None);
        };
        match &def.ret {
            Some(t) => Ok(Some(self.ty(t)?)),
            None => Ok(None),
        }
    }

    /// A jump out of the current code: through every enclosing `finally` on the way.
    fn jump(&mut self, j: Jump, span: &Span) -> Result<()> {
        let frames = self.frames().to_vec();
        for (i, f) in frames.iter().enumerate().rev() {
            match f {
                Frame::Try {
                    finally: Some((comp, entry)),
                    pending,
                    mark,
                    ..
                } => {
                    let code = {
                        let mut p = pending.borrow_mut();
                        match p.iter().position(|x| x == &j) {
                            Some(k) => k,
                            None => {
                                p.push(j.clone());
                                p.len() - 1
                            }
                        }
                    } + 2;
                    self.clear_since(*mark, span);
                    self.emit(Op::Const(code as i64), span);
                    self.emit(Op::StoreLocal(*comp), span);
                    self.emit_to(Op::Jump(0), *entry, span);
                    return Ok(());
                }
                Frame::Loop { brk, cont, mark } => {
                    let target = match &j {
                        Jump::Break(t) if *t == i => Some(*brk),
                        Jump::Continue(t) if *t == i => Some(*cont),
                        _ => None,
                    };
                    if let Some(l) = target {
                        self.clear_since(*mark, span);
                        self.emit_to(Op::Jump(0), l, span);
                        return Ok(());
                    }
                }
                Frame::Body { exit, mark, .. } => {
                    if j == Jump::Return(i) {
                        self.clear_since(*mark, span);
                        self.emit_to(Op::Jump(0), *exit, span);
                        return Ok(());
                    }
                }
                Frame::Ghost => {
                    return Err(Diag::new(
                        span.clone(),
                        "`break`, `continue` and `return` cannot leave a ghost block",
                    ))
                }
                Frame::Try { .. } => {}
            }
        }
        unreachable!("a jump's target encloses it")
    }

    /// Throws the symbol on the stack to the innermost handler.
    pub(super) fn throw_value(&mut self, span: &Span) -> Result<()> {
        let frames = self.frames().to_vec();
        for f in frames.iter().rev() {
            match f {
                Frame::Try {
                    handler: Some((label, slot)),
                    mark,
                    ..
                } => {
                    self.clear_since(*mark, span);
                    self.emit_to(
                        Op::Throw {
                            handler: 0,
                            slot: *slot,
                        },
                        *label,
                        span,
                    );
                    return Ok(());
                }
                Frame::Ghost => {
                    return Err(Diag::new(span.clone(), "no `throw` in ghost code"));
                }
                Frame::Body {
                    actor_body: true,
                    mark,
                    ..
                } => {
                    self.clear_since(*mark, span);
                    self.emit(
                        Op::Throw {
                            handler: NO_HANDLER,
                            slot: 0,
                        },
                        span,
                    );
                    return Ok(());
                }
                _ => {}
            }
        }
        Err(Diag::new(span.clone(), "a throw outside actor code"))
    }

    fn try_stmt(
        &mut self,
        body: &'f Block,
        catch: Option<&'f (Option<Name>, Block)>,
        finally: Option<&'f Block>,
        span: &Span,
    ) -> Result<()> {
        self.no_ghost(span, "try")?;
        if self.code.is_none() {
            return Err(Diag::new(span.clone(), "`try` belongs in actor code"));
        }
        if let Some(fb) = finally.filter(|fb| self.platform == Platform::Tokio && block_awaits(fb))
        {
            return Err(Diag::new(
                fb.span.clone(),
                "on `platform tokio` a `finally` is a drop guard: it runs when the task's future is dropped, and a `Drop` cannot await",
            )
            .help("do the cleanup without awaiting (a flag, a shared write), or spawn it: `anchor()` before the work keeps the task running past a cancel"));
        }
        self.push_scope(false);
        let exc = self.alloc(1, span)?;
        let comp = if finally.is_some() {
            self.alloc(1, span)?
        } else {
            0
        };
        let mark = self.next_local();
        let after = self.label();
        let catch_label = self.label();
        let pad = self.label();
        let entry = self.label();
        let pending = Rc::new(RefCell::new(Vec::new()));
        let fin = finally.map(|_| (comp, entry));
        let fin_handler = finally.map(|_| (pad, exc));
        // The body.
        self.push_frame(Frame::Try {
            handler: if catch.is_some() {
                Some((catch_label, exc))
            } else {
                fin_handler
            },
            finally: fin,
            mark,
            pending: pending.clone(),
        });
        let r = self.scoped(body);
        self.pop_frame();
        r?;
        self.leave_region(finally.is_some(), comp, entry, after, span);
        // The catch.
        if let Some((var, cb)) = catch {
            self.place_label(catch_label);
            self.push_frame(Frame::Try {
                handler: fin_handler,
                finally: fin,
                mark,
                pending: pending.clone(),
            });
            self.push_scope(false);
            if let Some(v) = var {
                self.bind(
                    &v.text,
                    Bind::Local {
                        off: exc,
                        ty: Ty::Sym,
                        ghost: false,
                    },
                );
            }
            let r = self.block_stmts(cb);
            self.pop_scope(&cb.span);
            self.pop_frame();
            r?;
            self.leave_region(finally.is_some(), comp, entry, after, span);
        }
        // The finally, then where its completion says to go.
        if let Some(fb) = finally {
            self.place_label(pad);
            self.emit(Op::Const(1), span);
            self.emit(Op::StoreLocal(comp), span);
            self.place_label(entry);
            self.scoped(fb)?;
            if self.platform == Platform::Tokio {
                // A drop (completion -1) goes on to the next enclosing finally, or ends there.
                let not_dropped = self.label();
                self.emit(Op::LoadLocal(comp), span);
                self.emit(Op::Const(DROPPED), span);
                self.emit(Op::Eq, span);
                self.emit_to(Op::JumpIfFalse(0), not_dropped, span);
                self.emit_drop(span);
                self.place_label(not_dropped);
            }
            let not_thrown = self.label();
            self.emit(Op::LoadLocal(comp), span);
            self.emit(Op::Const(1), span);
            self.emit(Op::Eq, span);
            self.emit_to(Op::JumpIfFalse(0), not_thrown, span);
            self.emit(Op::LoadLocal(exc), span);
            self.throw_value(span)?;
            self.place_label(not_thrown);
            let jumps = pending.borrow().clone();
            for (k, j) in jumps.into_iter().enumerate() {
                let next = self.label();
                self.emit(Op::LoadLocal(comp), span);
                self.emit(Op::Const(k as i64 + 2), span);
                self.emit(Op::Eq, span);
                self.emit_to(Op::JumpIfFalse(0), next, span);
                self.jump(j, span)?;
                self.place_label(next);
            }
        }
        self.place_label(after);
        self.pop_scope(span);
        Ok(())
    }

    /// The actor's continuation is dropped here. On `platform tokio` dropping a future runs
    /// its destructors: into the innermost enclosing `finally` with the completion
    /// [`DROPPED`], whose end goes on outwards (see `try_stmt`); with none left, or on the
    /// other platforms, the actor is torn down where it stands.
    fn emit_drop(&mut self, span: &Span) {
        match self.innermost_finally() {
            Some((comp, entry)) if self.platform == Platform::Tokio => {
                self.emit(Op::Const(DROPPED), span);
                self.emit(Op::StoreLocal(comp), span);
                self.emit_to(Op::Jump(0), entry, span);
            }
            _ => {
                self.emit(Op::TearDown, span);
            }
        }
    }

    /// The normal end of a try's body or catch: into the finally, or past the statement.
    fn leave_region(&mut self, finally: bool, comp: u32, entry: usize, after: usize, span: &Span) {
        if finally {
            self.emit(Op::Const(0), span);
            self.emit(Op::StoreLocal(comp), span);
            self.emit_to(Op::Jump(0), entry, span);
        } else {
            self.emit_to(Op::Jump(0), after, span);
        }
    }

    fn match_stmt(
        &mut self,
        scrutinee: &'f Expr,
        arms: &'f [super::super::ast::Arm],
        span: &Span,
    ) -> Result<()> {
        self.push_scope(false);
        let t = self.resolving(span, |c| c.expr(scrutinee, None))?;
        if t.size() == 0 {
            return Err(Diag::new(scrutinee.span.clone(), "nothing to match on"));
        }
        let n = t.size();
        let tmp = self.alloc(n, span)?;
        self.store_local(tmp, n, span);
        let end = self.label();
        let mut labels = Vec::new();
        let mut wildcard = false;
        for arm in arms {
            let l = self.label();
            labels.push(l);
            for p in &arm.patterns {
                match p {
                    None => {
                        wildcard = true;
                        self.emit_to(Op::Jump(0), l, &arm.span);
                    }
                    Some(pe) => {
                        let v = self.const_value(pe, "a pattern")?;
                        if matches!(pe.kind, ExprKind::None) {
                            let Ty::Option(inner) = &t else {
                                return Err(Diag::new(
                                    pe.span.clone(),
                                    format!("`none` cannot match {t}"),
                                ));
                            };
                            self.load_local(tmp, n, &pe.span);
                            self.emit(Op::IsNone(inner.size() as u32), &pe.span);
                        } else {
                            let v = self.coerce(v, &t, &pe.span)?;
                            self.load_local(tmp, n, &pe.span);
                            for x in &v.vals {
                                self.emit(Op::Const(*x), &pe.span);
                            }
                            self.emit(if n == 1 { Op::Eq } else { Op::EqN(n as u32) }, &pe.span);
                        }
                        self.emit_to(Op::JumpIfTrue(0), l, &arm.span);
                    }
                }
            }
        }
        if !wildcard {
            let m = self.message(span, "no arm of the `match` matched");
            self.emit(Op::Fail(m), span);
        }
        for (arm, l) in arms.iter().zip(labels) {
            self.place_label(l);
            self.scoped(&arm.body)?;
            self.emit_to(Op::Jump(0), end, &arm.span);
        }
        self.place_label(end);
        self.pop_scope(span);
        Ok(())
    }
}

/// Whether a statement writes (assigns, or declares) any of `live`.
fn writes_any(s: &Stmt, live: &std::collections::BTreeSet<String>) -> bool {
    use StmtKind as S;
    let block = |b: &Block| b.stmts.iter().any(|s| writes_any(s, live));
    let mut changed = std::collections::BTreeSet::new();
    for e in super::ghost::own_exprs(s) {
        super::ghost::mutated_names(e, &mut changed);
    }
    if changed.iter().any(|n| live.contains(n)) {
        return true;
    }
    match &s.kind {
        S::Let { name, .. } | S::Var { name, .. } => live.contains(&name.text),
        S::Assign { place, .. } => {
            let mut names = std::collections::BTreeSet::new();
            super::ghost::written_names(place, &mut names);
            names.iter().any(|n| live.contains(n))
        }
        S::If { then, els, .. } => block(then) || els.as_ref().is_some_and(block),
        S::While { body, .. }
        | S::Loop(body)
        | S::For { body, .. }
        | S::ForEach { body, .. }
        | S::ForActors { body, .. }
        | S::Ghost(body)
        | S::Block(body)
        | S::Part { body, .. } => block(body),
        S::Try {
            body,
            catch,
            finally,
        } => {
            block(body)
                || catch.as_ref().is_some_and(|(_, b)| block(b))
                || finally.as_ref().is_some_and(block)
        }
        S::Match { arms, .. } => arms.iter().any(|a| block(&a.body)),
        // Anything else (a call, a throw) is not ghost code's business: keep it.
        _ => true,
    }
}

/// Whether `name` is read anywhere in `stmts` (shadowing is ignored: a conservative yes).
fn read_in(stmts: &[Stmt], name: &str) -> bool {
    let mut names = std::collections::BTreeSet::new();
    super::ghost::stmts_read(stmts, &mut names);
    names.contains(name)
}

/// Whether `name` is assigned anywhere in `stmts` (shadowing is ignored: a conservative yes).
fn assigned_in(stmts: &[Stmt], name: &str) -> bool {
    fn root(e: &Expr) -> Option<&str> {
        match &e.kind {
            ExprKind::Name(n) => Some(n),
            ExprKind::Field(b, _) | ExprKind::Index(b, _) => root(b),
            _ => None,
        }
    }
    fn in_block(b: &Block, name: &str) -> bool {
        assigned_in(&b.stmts, name)
    }
    stmts.iter().any(|s| {
        use StmtKind as S;
        let mut changed = std::collections::BTreeSet::new();
        for e in super::ghost::own_exprs(s) {
            super::ghost::mutated_names(e, &mut changed);
        }
        if changed.contains(name) {
            return true;
        }
        match &s.kind {
            S::Assign { place, .. } => root(place) == Some(name),
            S::If { then, els, .. } => {
                in_block(then, name) || els.as_ref().is_some_and(|e| in_block(e, name))
            }
            S::While { body, .. }
            | S::Loop(body)
            | S::For { body, .. }
            | S::ForEach { body, .. }
            | S::ForActors { body, .. }
            | S::Ghost(body)
            | S::Block(body)
            | S::Part { body, .. } => in_block(body, name),
            S::Try {
                body,
                catch,
                finally,
            } => {
                in_block(body, name)
                    || catch.as_ref().is_some_and(|(_, b)| in_block(b, name))
                    || finally.as_ref().is_some_and(|b| in_block(b, name))
            }
            S::Match { arms, .. } => arms.iter().any(|a| in_block(&a.body, name)),
            _ => false,
        }
    })
}

/// Whether a block awaits anywhere (so calling it is an await).
pub fn block_awaits(b: &Block) -> bool {
    b.stmts.iter().any(stmt_awaits)
}

fn stmt_awaits(s: &Stmt) -> bool {
    use StmtKind as S;
    let e = |x: &Expr| matches!(x.kind, ExprKind::Await(_));
    match &s.kind {
        S::Let { value, .. } => e(value),
        S::Assign { value, .. } => e(value),
        S::Return(Some(v)) => e(v),
        S::Expr(x) => e(x),
        S::If { then, els, .. } => block_awaits(then) || els.as_ref().is_some_and(block_awaits),
        S::While { body, .. } | S::Loop(body) | S::For { body, .. } | S::ForEach { body, .. } => {
            block_awaits(body)
        }
        S::Try {
            body,
            catch,
            finally,
        } => {
            block_awaits(body)
                || catch.as_ref().is_some_and(|(_, b)| block_awaits(b))
                || finally.as_ref().is_some_and(block_awaits)
        }
        S::Match { arms, .. } => arms.iter().any(|a| block_awaits(&a.body)),
        S::Part { body, .. } | S::Block(body) => block_awaits(body),
        _ => false,
    }
}

/// Whether evaluating `e` may be a runtime error other than an overflow: an index, an
/// unwrap, a division, a function's body, a list's or a map's element.
fn may_fail(e: &Expr) -> bool {
    use super::super::ast::BinOp;
    let mut found = false;
    super::ghost::visit_exprs(e, &mut |x| {
        found |= match &x.kind {
            ExprKind::Index(..) | ExprKind::Unwrap(_) | ExprKind::Method(..) => true,
            ExprKind::Binary(BinOp::Div | BinOp::Rem, ..) => true,
            ExprKind::Call(f, _) => !matches!(f.text.as_str(), "now" | "min" | "max"),
            _ => false,
        };
    });
    found
}
