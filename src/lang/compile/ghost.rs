//! Which ghost state the checked properties depend on. Ghost state exists only to judge
//! properties; a ghost variable no checked property reads (directly, or through the ghost
//! state and conditions its value is computed from) would only split worlds that the checked
//! properties cannot tell apart. The lowering drops its assignments.
//!
//! The analysis is by name and conservative: a name read anywhere in a value or a condition
//! a ghost assignment depends on keeps that name live, whatever it names (a local, a field, a
//! variable of any kind); shadowing is ignored. Dropping a live ghost variable would be a bug;
//! keeping a dead one only costs states.

use std::collections::{BTreeMap, BTreeSet};

use super::super::ast::{Block, Expr, ExprKind, File, FnBody, ItemKind, Stmt, StmtKind};

/// The names the checked properties depend on (`checks`: property names).
pub fn live_names(file: &File, checks: &[String]) -> BTreeSet<String> {
    let mut g = Graph::default();
    for item in &file.items {
        match &item.kind {
            ItemKind::Fn(f) => g.function(&f.name.text, &f.body),
            ItemKind::Actor(a) => {
                for f in &a.fns {
                    g.function(&f.name.text, &f.body);
                }
                g.block(&a.body, &BTreeSet::new());
            }
            ItemKind::Invariant { name, expr, .. } | ItemKind::Reachable { name, expr }
                if checks.contains(&name.text) =>
            {
                reads(expr, &mut g.roots);
            }
            ItemKind::Liveness {
                name,
                bindings,
                when,
                by,
            } if checks.contains(&name.text) => {
                reads(when, &mut g.roots);
                reads(by, &mut g.roots);
                for b in bindings {
                    if let super::super::ast::Binding::Range { from, to, .. } = b {
                        reads(from, &mut g.roots);
                        reads(to, &mut g.roots);
                    }
                }
            }
            _ => {}
        }
    }
    g.closure()
}

#[derive(Default)]
struct Graph {
    /// For each written name, the names its values and controlling conditions read.
    deps: BTreeMap<String, BTreeSet<String>>,
    /// Names the properties read.
    roots: BTreeSet<String>,
    /// Names each function's body reads (a call reads them).
    fn_reads: BTreeMap<String, BTreeSet<String>>,
}

impl Graph {
    fn function(&mut self, name: &str, body: &FnBody) {
        let mut r = BTreeSet::new();
        match body {
            FnBody::Expr(e) => reads(e, &mut r),
            FnBody::Block(b) => {
                self.block(b, &BTreeSet::new());
                block_reads(b, &mut r);
            }
        }
        self.fn_reads.insert(name.to_string(), r);
    }

    fn block(&mut self, b: &Block, ctrl: &BTreeSet<String>) {
        for s in &b.stmts {
            self.stmt(s, ctrl);
        }
    }

    fn write(&mut self, names: BTreeSet<String>, from: BTreeSet<String>) {
        for n in names {
            self.deps.entry(n).or_default().extend(from.iter().cloned());
        }
    }

    fn stmt(&mut self, s: &Stmt, ctrl: &BTreeSet<String>) {
        use StmtKind as S;
        let with = |e: &Expr| {
            let mut c = ctrl.clone();
            reads(e, &mut c);
            c
        };
        // A list's or a map's changing method writes its receiver from its arguments.
        for e in own_exprs(s) {
            let mut found = Vec::new();
            mutations(e, &mut found);
            for (recv, args) in found {
                let mut from = with(recv);
                for a in args {
                    reads(a, &mut from);
                }
                let mut names = BTreeSet::new();
                written(recv, &mut names);
                self.write(names, from);
            }
        }
        match &s.kind {
            S::Let { name, value, .. } => {
                self.write(BTreeSet::from([name.text.clone()]), with(value));
            }
            S::Var { name, init, .. } => {
                let from = init.as_ref().map_or_else(|| ctrl.clone(), with);
                self.write(BTreeSet::from([name.text.clone()]), from);
            }
            S::Assign { place, value, .. } => {
                let mut from = with(value);
                reads(place, &mut from);
                let mut names = BTreeSet::new();
                written(place, &mut names);
                self.write(names, from);
            }
            S::If { cond, then, els } => {
                let c = with(cond);
                self.block(then, &c);
                if let Some(e) = els {
                    self.block(e, &c);
                }
            }
            S::While { cond, body } => self.block(body, &with(cond)),
            S::For {
                from,
                to,
                body,
                var,
            } => {
                let mut c = with(from);
                reads(to, &mut c);
                self.write(BTreeSet::from([var.text.clone()]), c.clone());
                self.block(body, &c);
            }
            S::ForEach {
                first,
                var,
                over,
                body,
                ..
            } => {
                let c = with(over);
                let mut names = BTreeSet::from([var.text.clone()]);
                names.extend(first.iter().map(|f| f.text.clone()));
                self.write(names, c.clone());
                self.block(body, &c);
            }
            S::Match { scrutinee, arms } => {
                let c = with(scrutinee);
                for a in arms {
                    self.block(&a.body, &c);
                }
            }
            S::Loop(b)
            | S::ForActors { body: b, .. }
            | S::Ghost(b)
            | S::Block(b)
            | S::Part { body: b, .. } => self.block(b, ctrl),
            S::Try {
                body,
                catch,
                finally,
            } => {
                self.block(body, ctrl);
                if let Some((_, c)) = catch {
                    self.block(c, ctrl);
                }
                if let Some(f) = finally {
                    self.block(f, ctrl);
                }
            }
            _ => {}
        }
    }

    /// Every name the roots depend on, through assignments and function bodies.
    fn closure(self) -> BTreeSet<String> {
        let mut live: BTreeSet<String> = BTreeSet::new();
        let mut todo: Vec<String> = self.roots.iter().cloned().collect();
        while let Some(n) = todo.pop() {
            if !live.insert(n.clone()) {
                continue;
            }
            if let Some(d) = self.deps.get(&n) {
                todo.extend(d.iter().filter(|x| !live.contains(*x)).cloned());
            }
            if let Some(d) = self.fn_reads.get(&n) {
                todo.extend(d.iter().filter(|x| !live.contains(*x)).cloned());
            }
        }
        live
    }
}

/// Names an assignment target may write: its root and every field on the way.
pub fn written_names(e: &Expr, out: &mut BTreeSet<String>) {
    written(e, out)
}

fn written(e: &Expr, out: &mut BTreeSet<String>) {
    match &e.kind {
        ExprKind::Name(n) => {
            out.insert(n.clone());
        }
        ExprKind::Field(b, f) => {
            out.insert(f.text.clone());
            written(b, out);
        }
        ExprKind::Index(b, _) | ExprKind::Unwrap(b) => written(b, out),
        _ => {}
    }
}

/// Every name the statements read (in values, conditions and the places they index).
pub fn stmts_read(stmts: &[Stmt], out: &mut BTreeSet<String>) {
    for s in stmts {
        stmt_reads(s, out);
    }
}

fn block_reads(b: &Block, out: &mut BTreeSet<String>) {
    for s in &b.stmts {
        stmt_reads(s, out);
    }
}

fn stmt_reads(s: &Stmt, out: &mut BTreeSet<String>) {
    use StmtKind as S;
    match &s.kind {
        S::Let { value, .. } | S::Throw(value) | S::Expr(value) => reads(value, out),
        S::Var { init: Some(v), .. } | S::Return(Some(v)) => reads(v, out),
        S::Assign { place, value, .. } => {
            reads(place, out);
            reads(value, out);
        }
        S::If { cond, then, els } => {
            reads(cond, out);
            block_reads(then, out);
            if let Some(e) = els {
                block_reads(e, out);
            }
        }
        S::While { cond, body } => {
            reads(cond, out);
            block_reads(body, out);
        }
        S::For { from, to, body, .. } => {
            reads(from, out);
            reads(to, out);
            block_reads(body, out);
        }
        S::ForEach { over, body, .. } => {
            reads(over, out);
            block_reads(body, out);
        }
        S::Match { scrutinee, arms } => {
            reads(scrutinee, out);
            for a in arms {
                block_reads(&a.body, out);
            }
        }
        S::Loop(b)
        | S::ForActors { body: b, .. }
        | S::Ghost(b)
        | S::Block(b)
        | S::Part { body: b, .. } => block_reads(b, out),
        S::Try {
            body,
            catch,
            finally,
        } => {
            block_reads(body, out);
            if let Some((_, c)) = catch {
                block_reads(c, out);
            }
            if let Some(f) = finally {
                block_reads(f, out);
            }
        }
        _ => {}
    }
}

/// Every name an expression reads: variables, fields, and the functions it calls.
pub fn reads(e: &Expr, out: &mut BTreeSet<String>) {
    match &e.kind {
        ExprKind::Name(n) => {
            out.insert(n.clone());
        }
        ExprKind::Field(b, f) => {
            out.insert(f.text.clone());
            reads(b, out);
        }
        ExprKind::Index(a, b) | ExprKind::Binary(_, a, b) | ExprKind::Repeat(a, b) => {
            reads(a, out);
            reads(b, out);
        }
        ExprKind::Unwrap(a) | ExprKind::Unary(_, a) => reads(a, out),
        ExprKind::Call(f, args) => {
            out.insert(f.text.clone());
            for a in args {
                reads(a, out);
            }
        }
        ExprKind::Method(recv, _, args) => {
            reads(recv, out);
            for a in args {
                reads(a, out);
            }
        }
        ExprKind::Record(fields) => {
            for (_, v) in fields {
                reads(v, out);
            }
        }
        ExprKind::Array(items) => {
            for v in items {
                reads(v, out);
            }
        }
        ExprKind::If(c, a, b) => {
            reads(c, out);
            reads(a, out);
            reads(b, out);
        }
        ExprKind::Quant(_, bindings, body) => {
            for b in bindings {
                match b {
                    super::super::ast::Binding::Range { from, to, .. } => {
                        reads(from, out);
                        reads(to, out);
                    }
                    super::super::ast::Binding::Each(each) => reads(&each.over, out),
                    super::super::ast::Binding::Actors { .. } => {}
                }
            }
            reads(body, out);
        }
        ExprKind::In(x, list) => {
            reads(x, out);
            for v in list {
                reads(v, out);
            }
        }
        ExprKind::Await(a) => match &**a {
            super::super::ast::Await::Sleep(d) | super::super::ast::Await::Until(d) => {
                reads(d, out)
            }
            super::super::ast::Await::Work(d, o) => {
                reads(d, out);
                reads(o, out);
            }
            super::super::ast::Await::Call(f, args) => {
                out.insert(f.text.clone());
                for x in args {
                    reads(x, out);
                }
            }
            super::super::ast::Await::Yield => {}
        },
        _ => {}
    }
}

/// The methods that change the list or map they are called on.
pub const MUTATING: &[&str] = &["push", "pop", "pop_front", "remove", "clear", "put"];

/// The calls of changing methods inside `e`: their receivers and arguments.
pub fn mutations<'e>(e: &'e Expr, out: &mut Vec<(&'e Expr, &'e [Expr])>) {
    visit(e, &mut |x| {
        if let ExprKind::Method(recv, m, args) = &x.kind
            && MUTATING.contains(&m.text.as_str())
        {
            out.push((recv, args));
        }
    });
}

/// Names whose lists or maps a changing method call inside `e` may change.
pub fn mutated_names(e: &Expr, out: &mut BTreeSet<String>) {
    let mut found = Vec::new();
    mutations(e, &mut found);
    for (recv, _) in found {
        written(recv, out);
    }
}

/// The expressions a statement holds itself (not those of the blocks inside it).
pub fn own_exprs(s: &Stmt) -> Vec<&Expr> {
    use StmtKind as S;
    match &s.kind {
        S::Let { value, .. } | S::Throw(value) | S::Expr(value) => vec![value],
        S::Var { init: Some(v), .. } | S::Return(Some(v)) => vec![v],
        S::Assign { place, value, .. } => vec![place, value],
        S::If { cond, .. } | S::While { cond, .. } => vec![cond],
        S::For { from, to, .. } => vec![from, to],
        S::ForEach { over, .. } => vec![over],
        S::Match { scrutinee, .. } => vec![scrutinee],
        _ => Vec::new(),
    }
}

/// Calls `f` on `e` and every expression inside it.
pub fn visit_exprs<'e>(e: &'e Expr, f: &mut impl FnMut(&'e Expr)) {
    visit(e, f)
}

fn visit<'e>(e: &'e Expr, f: &mut impl FnMut(&'e Expr)) {
    f(e);
    match &e.kind {
        ExprKind::Field(b, _) | ExprKind::Unwrap(b) | ExprKind::Unary(_, b) => visit(b, f),
        ExprKind::Index(a, b) | ExprKind::Binary(_, a, b) | ExprKind::Repeat(a, b) => {
            visit(a, f);
            visit(b, f);
        }
        ExprKind::Call(_, args) | ExprKind::Array(args) => args.iter().for_each(|a| visit(a, f)),
        ExprKind::Method(recv, _, args) => {
            visit(recv, f);
            args.iter().for_each(|a| visit(a, f));
        }
        ExprKind::Record(fields) => fields.iter().for_each(|(_, v)| visit(v, f)),
        ExprKind::If(c, a, b) => {
            visit(c, f);
            visit(a, f);
            visit(b, f);
        }
        ExprKind::Quant(_, _, body) => visit(body, f),
        ExprKind::In(x, list) => {
            visit(x, f);
            list.iter().for_each(|v| visit(v, f));
        }
        ExprKind::Await(a) => match &**a {
            super::super::ast::Await::Sleep(d) | super::super::ast::Await::Until(d) => visit(d, f),
            super::super::ast::Await::Work(d, o) => {
                visit(d, f);
                visit(o, f);
            }
            super::super::ast::Await::Call(_, args) => args.iter().for_each(|a| visit(a, f)),
            super::super::ast::Await::Yield => {}
        },
        _ => {}
    }
}
