//! The scenario's properties: invariants (a condition on every world) and bounded liveness
//! (obligations with deadlines on the virtual clock).

use lockstep_sim::machine::{Form, Obligation, Op, Prop, NEVER};
use lockstep_sim::{intern, Property, PropertyKind};

use super::super::ast::{Binding, Expr, Item, ItemKind};
use super::super::diag::{Diag, Result};
use super::super::types::Ty;
use super::expr::Bound;
use super::Compiler;

impl<'f> Compiler<'f> {
    /// Compiles each property the scenario checks, in its order, and the code that judges
    /// them all at once (its entry).
    pub(super) fn compile_props(&mut self) -> Result<(Vec<Prop>, Option<u32>)> {
        let mut out = Vec::new();
        let mut items = Vec::new();
        let checks = self.inst.checks.clone();
        for name in &checks {
            let Some(item) = self.file.items.iter().find(|i| prop_name(i) == Some(name)) else {
                return Err(Diag::new(
                    self.file.name.span.clone(),
                    format!("the file declares no invariant or liveness property `{name}`"),
                ));
            };
            out.push(self.prop(item)?);
            items.push(item);
        }
        // A property judged only at the end cannot join the one-pass code, which every world
        // runs: each is judged on its own then.
        let at_end = items
            .iter()
            .any(|i| matches!(i.kind, ItemKind::Invariant { at_end: true, .. }));
        if items.is_empty() || at_end {
            return Ok((out, None));
        }
        let entry = self.here();
        self.in_property(|c| c.check_all(&items))?;
        Ok((out, Some(entry)))
    }

    /// Every property in turn; ends with the index of the first violated one, or -1.
    fn check_all(&mut self, items: &[&'f Item]) -> Result<()> {
        let mut bad = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let l = self.label();
            bad.push((i, l));
            if let ItemKind::Invariant { expr, .. } = &item.kind {
                self.branch(expr, false, l, "an invariant")?;
                continue;
            }
            let form = self.prop_value(item)?;
            match form {
                Form::Safety | Form::AtEnd => self.emit_to(Op::JumpIfFalse(0), l, &item.span),
                Form::Deadline => {
                    // Violated once the clock passes the deadline: deadline < now.
                    self.emit(Op::Now, &item.span);
                    self.emit(Op::Lt, &item.span);
                    self.emit_to(Op::JumpIfTrue(0), l, &item.span);
                }
            }
        }
        let span = &items[0].span;
        self.emit(Op::Const(-1), span);
        self.emit(Op::End, span);
        for (i, l) in bad {
            self.place_label(l);
            self.emit(Op::Const(i as i64), span);
            self.emit(Op::End, span);
        }
        Ok(())
    }

    fn prop(&mut self, item: &'f Item) -> Result<Prop> {
        let code = self.here();
        let (name, form, source) = self.in_property(|c| c.prop_code(item))?;
        let obligations = match &item.kind {
            ItemKind::Liveness {
                bindings, when, by, ..
            } => self.obligations(bindings, when, by)?,
            _ => Vec::new(),
        };
        let summary = if item.doc.is_empty() {
            intern(&source)
        } else {
            intern(&item.doc)
        };
        Ok(Prop {
            property: Property {
                id: intern(&name),
                kind: match form {
                    Form::Safety => PropertyKind::Safety,
                    Form::AtEnd => PropertyKind::AtEnd,
                    Form::Deadline => PropertyKind::BoundedLiveness,
                },
                summary,
            },
            form,
            code,
            source,
            obligations,
        })
    }

    /// A liveness property's obligations one by one (for explanations, off the hot path): per
    /// combination of its bindings, code that pushes the deadline while it is open.
    fn obligations(
        &mut self,
        bindings: &'f [Binding],
        when: &'f Expr,
        by: &'f Expr,
    ) -> Result<Vec<Obligation>> {
        self.in_property(|c| {
            let combos = c.unroll(bindings)?;
            let mut out = Vec::new();
            for combo in combos {
                let binding = c.name_bindings(&combo);
                let code = c.here();
                c.with_bindings(combo, |c| {
                    let closed = c.label();
                    c.open_deadline(bindings, when, by, closed)?;
                    c.emit(Op::End, &by.span);
                    c.place_label(closed);
                    c.emit(Op::Const(NEVER), &by.span);
                    c.emit(Op::End, &by.span);
                    Ok(())
                })?;
                out.push(Obligation { binding, code });
            }
            Ok(out)
        })
    }

    /// Runs `f` in a property's context: ghost code (it may read every actor's variables),
    /// outside any actor's code and frame; the context is restored whatever `f` returns.
    fn in_property<T>(&mut self, f: impl FnOnce(&mut Self) -> Result<T>) -> Result<T> {
        let saved = (std::mem::replace(&mut self.ghost, true), self.code.take());
        self.owners.push(None);
        let r = f(self);
        self.owners.pop();
        self.ghost = saved.0;
        self.code = saved.1;
        r
    }

    /// `r = C, l = 0`: a combination of bindings as a timeline names it (an element of a list
    /// or a map by its position).
    fn name_bindings(&self, combo: &[(String, Bound<'f>)]) -> String {
        let mut parts = Vec::new();
        let mut position = None;
        for (name, bound) in combo {
            match bound {
                Bound::Value(v) if name.starts_with("#i") => position = v.vals.first().copied(),
                Bound::Value(v) => match (&v.ty, v.vals.first()) {
                    (Ty::Actor(_), Some(&i)) => {
                        let actor = usize::try_from(i)
                            .ok()
                            .and_then(|i| self.inst.actors.get(i));
                        parts.push(format!(
                            "{name} = {}",
                            actor.map_or("?", |a| a.name.as_str())
                        ));
                    }
                    (_, Some(value)) => parts.push(format!("{name} = {value}")),
                    _ => {}
                },
                Bound::Subst(_) if name.starts_with('#') => {}
                Bound::Subst(_) => {
                    if let Some(k) = position {
                        parts.push(format!("{name} = element {k}"));
                    }
                }
            }
        }
        parts.join(", ")
    }

    /// Jumps to `closed` unless the obligation of the current bindings is open; else pushes
    /// its deadline.
    fn open_deadline(
        &mut self,
        bindings: &'f [Binding],
        when: &'f Expr,
        by: &'f Expr,
        closed: usize,
    ) -> Result<()> {
        // An element binding counts only below the list's length.
        for b in bindings {
            if let Binding::Each(each) = b {
                self.branch(&each.live, false, closed, "an element's guard")?;
            }
        }
        self.branch(when, false, closed, "a liveness property's `when`")?;
        let d = self.expr(by, Some(&Ty::Dur))?;
        if d != Ty::Dur {
            return Err(Diag::new(
                by.span.clone(),
                format!("a liveness property's `by` is a time (dur), not {d}"),
            ));
        }
        Ok(())
    }

    fn prop_code(&mut self, item: &'f Item) -> Result<(String, Form, String)> {
        let form = self.prop_value(item)?;
        self.emit(Op::End, &item.span);
        match &item.kind {
            ItemKind::Invariant { name, expr, .. } => {
                let source = self.text[expr.span.clone()].to_string();
                Ok((name.text.clone(), form, one_line(&source)))
            }
            ItemKind::Reachable { name, expr } => {
                let source = format!("never {}", &self.text[expr.span.clone()]);
                Ok((name.text.clone(), form, one_line(&source)))
            }
            ItemKind::Liveness { name, when, by, .. } => {
                let source = format!(
                    "when {} by {}",
                    &self.text[when.span.clone()],
                    &self.text[by.span.clone()]
                );
                Ok((name.text.clone(), form, one_line(&source)))
            }
            _ => unreachable!("a property item"),
        }
    }

    /// Pushes a property's value: a safety property's truth, a deadline property's earliest
    /// open deadline.
    fn prop_value(&mut self, item: &'f Item) -> Result<Form> {
        match &item.kind {
            ItemKind::Invariant { expr, at_end, .. } => {
                let t = self.expr(expr, None)?;
                self.want_bool(&t, &expr.span, "an invariant")?;
                Ok(if *at_end { Form::AtEnd } else { Form::Safety })
            }
            // Searched for as "never EXPR": a violation is a witness.
            ItemKind::Reachable { expr, .. } => {
                let t = self.expr(expr, None)?;
                self.want_bool(&t, &expr.span, "a reachability target")?;
                self.emit(Op::Not, &expr.span);
                Ok(Form::Safety)
            }
            ItemKind::Liveness {
                bindings, when, by, ..
            } => {
                self.emit(Op::Const(NEVER), &item.span);
                for combo in self.unroll(bindings)? {
                    self.with_bindings(combo, |c| {
                        let open = c.label();
                        c.open_deadline(bindings, when, by, open)?;
                        c.emit(Op::Min, &by.span);
                        c.place_label(open);
                        Ok(())
                    })?;
                }
                Ok(Form::Deadline)
            }
            _ => unreachable!("a property item"),
        }
    }
}

/// The name of a property item.
pub fn prop_name(item: &Item) -> Option<&String> {
    match &item.kind {
        ItemKind::Invariant { name, .. }
        | ItemKind::Liveness { name, .. }
        | ItemKind::Reachable { name, .. } => Some(&name.text),
        _ => None,
    }
}

/// Source text on one line, runs of white space as one space.
fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}
