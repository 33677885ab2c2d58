//! What the lints need to know about a variant's names: which roots are shared protocol state
//! (not ghost), which names are constants (and, for dead branches, their boolean values), and
//! which functions have bodies to walk.

use std::collections::{BTreeMap, BTreeSet};

use crate::lang::ast::{BinOp, Expr, ExprKind, File, FnBody, FnDef, ItemKind, UnOp};

/// The names of one variant's file, classified.
pub struct Names<'f> {
    /// Shared state the protocol's logic reads and writes (ghost state is excluded: only the
    /// checks read it).
    pub shared: BTreeSet<&'f str>,
    /// Names that are never a claim's token: constants, parameters, actor parameters.
    pub fixed: BTreeSet<&'f str>,
    consts: BTreeMap<&'f str, &'f Expr>,
    /// Functions with a block body, by name (an actor's own functions first).
    fns: BTreeMap<&'f str, &'f FnDef>,
    /// Functions with an expression body: pure, but they may read shared state.
    pure: BTreeMap<&'f str, &'f Expr>,
}

impl<'f> Names<'f> {
    pub fn of(file: &'f File) -> Names<'f> {
        let mut n = Names {
            shared: BTreeSet::new(),
            fixed: BTreeSet::new(),
            consts: BTreeMap::new(),
            fns: BTreeMap::new(),
            pure: BTreeMap::new(),
        };
        for item in &file.items {
            match &item.kind {
                ItemKind::Shared {
                    ghost: false, name, ..
                } => {
                    n.shared.insert(&name.text);
                }
                ItemKind::Const { name, value, .. } => {
                    n.fixed.insert(&name.text);
                    n.consts.insert(&name.text, value);
                }
                ItemKind::Param { name, .. } => {
                    n.fixed.insert(&name.text);
                }
                ItemKind::Fn(f) => n.function(f),
                ItemKind::Actor(a) => {
                    for p in &a.params {
                        n.fixed.insert(&p.name.text);
                    }
                    for f in &a.fns {
                        n.function(f);
                    }
                }
                _ => {}
            }
        }
        n
    }

    fn function(&mut self, f: &'f FnDef) {
        match &f.body {
            FnBody::Block(_) => {
                self.fns.insert(&f.name.text, f);
            }
            FnBody::Expr(e) => {
                self.pure.insert(&f.name.text, e);
            }
        }
    }

    /// The value a constant is declared with.
    pub fn const_expr(&self, name: &str) -> Option<&'f Expr> {
        self.consts.get(name).copied()
    }

    /// The function `name` with a block body, if the file has one.
    pub fn function_named(&self, name: &str) -> Option<&'f FnDef> {
        self.fns.get(name).copied()
    }

    /// The value of a condition made only of boolean constants, `!`, `&&` and `||`: `None`
    /// when it depends on anything else (a parameter, state, a call).
    pub fn constant(&self, e: &Expr) -> Option<bool> {
        self.constant_within(e, 0)
    }

    fn constant_within(&self, e: &Expr, depth: usize) -> Option<bool> {
        if depth > 16 {
            return None;
        }
        match &e.kind {
            ExprKind::Bool(b) => Some(*b),
            ExprKind::Name(n) => self
                .consts
                .get(n.as_str())
                .and_then(|v| self.constant_within(v, depth + 1)),
            ExprKind::Unary(UnOp::Not, x) => self.constant_within(x, depth + 1).map(|b| !b),
            ExprKind::Binary(op @ (BinOp::Eq | BinOp::Ne), a, b) => {
                let a = self.scalar(a, depth + 1)?;
                let b = self.scalar(b, depth + 1)?;
                Some((a == b) == (*op == BinOp::Eq))
            }
            ExprKind::Binary(op @ (BinOp::And | BinOp::Or), a, b) => {
                let a = self.constant_within(a, depth + 1);
                let b = self.constant_within(b, depth + 1);
                let short = *op == BinOp::Or;
                match (a, b) {
                    (Some(x), _) | (_, Some(x)) if x == short => Some(short),
                    (Some(x), Some(_)) => Some(x),
                    _ => None,
                }
            }
            _ => None,
        }
    }

    /// A constant symbol, integer or boolean (`MUTEX` with `const MUTEX = 'none'`).
    fn scalar(&self, e: &Expr, depth: usize) -> Option<String> {
        if depth > 16 {
            return None;
        }
        match &e.kind {
            ExprKind::Sym(s) => Some(format!("'{s}")),
            ExprKind::Int(i) => Some(i.to_string()),
            ExprKind::Bool(b) => Some(b.to_string()),
            ExprKind::Name(n) => self
                .consts
                .get(n.as_str())
                .and_then(|v| self.scalar(v, depth + 1)),
            _ => None,
        }
    }

    /// The shared roots an expression reads, directly or through a pure function it calls.
    pub fn reads(&self, e: &'f Expr, out: &mut Vec<&'f str>) {
        self.reads_within(e, out, 0);
    }

    fn reads_within(&self, e: &'f Expr, out: &mut Vec<&'f str>, depth: usize) {
        if depth > 16 {
            return;
        }
        match &e.kind {
            ExprKind::Name(n) => {
                if let Some(root) = self.shared.get(n.as_str())
                    && !out.contains(root)
                {
                    out.push(root);
                }
            }
            ExprKind::Call(name, args) => {
                if let Some(body) = self.pure.get(name.text.as_str()) {
                    self.reads_within(body, out, depth + 1);
                }
                for a in args {
                    self.reads_within(a, out, depth + 1);
                }
            }
            _ => each_child(e, |c| self.reads_within(c, out, depth + 1)),
        }
    }

    /// Whether an expression reads a claim's token: a local variable, a function's argument,
    /// an actor variable, or `self`.
    pub fn has_token(&self, e: &Expr) -> bool {
        match &e.kind {
            ExprKind::SelfActor => true,
            ExprKind::Name(n) => {
                !self.shared.contains(n.as_str())
                    && !self.fixed.contains(n.as_str())
                    && !self.pure.contains_key(n.as_str())
            }
            ExprKind::Call(..) => false,
            _ => {
                let mut found = false;
                each_child(e, |c| found = found || self.has_token(c));
                found
            }
        }
    }

    /// The shared roots that a condition compares (`==` or `!=`) with a token.
    pub fn token_compared(&self, e: &'f Expr, out: &mut Vec<&'f str>) {
        match &e.kind {
            ExprKind::Binary(BinOp::Eq | BinOp::Ne, a, b) => {
                for (state, token) in [(a, b), (b, a)] {
                    if self.has_token(token) {
                        self.reads(state, out);
                    }
                }
            }
            ExprKind::Binary(BinOp::And | BinOp::Or, a, b) => {
                self.token_compared(a, out);
                self.token_compared(b, out);
            }
            ExprKind::Unary(UnOp::Not, x) => self.token_compared(x, out),
            _ => {}
        }
    }

    /// The shared root a place (`cells[c].owner`) writes, if it is shared state.
    pub fn shared_root(&self, place: &'f Expr) -> Option<&'f str> {
        match &place.kind {
            ExprKind::Name(n) => self.shared.get(n.as_str()).copied(),
            ExprKind::Field(e, _) | ExprKind::Index(e, _) | ExprKind::Unwrap(e) => {
                self.shared_root(e)
            }
            _ => None,
        }
    }
}

/// Calls `f` on each direct sub-expression of `e` (not inside awaits' own arguments, which
/// the walk visits itself, and not inside quantifiers, which only ghost checks use).
pub fn each_child<'f>(e: &'f Expr, mut f: impl FnMut(&'f Expr)) {
    match &e.kind {
        ExprKind::Field(x, _) | ExprKind::Unwrap(x) | ExprKind::Unary(_, x) => f(x),
        ExprKind::Index(a, b) | ExprKind::Binary(_, a, b) | ExprKind::Repeat(a, b) => {
            f(a);
            f(b);
        }
        ExprKind::Call(_, args) => args.iter().for_each(f),
        ExprKind::Method(recv, _, args) => {
            f(recv);
            args.iter().for_each(f);
        }
        ExprKind::Record(fields) => fields.iter().for_each(|(_, x)| f(x)),
        ExprKind::Array(xs) => xs.iter().for_each(f),
        ExprKind::If(c, a, b) => {
            f(c);
            f(a);
            f(b);
        }
        ExprKind::In(x, xs) => {
            f(x);
            xs.iter().for_each(f);
        }
        _ => {}
    }
}
