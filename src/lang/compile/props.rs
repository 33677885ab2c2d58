//! The scenario's properties: invariants (a condition on every world) and bounded liveness
//! (obligations with deadlines on the virtual clock).

use lockstep_sim::machine::{Form, Op, Prop, NEVER};
use lockstep_sim::{intern, Property, PropertyKind};

use super::super::ast::{Item, ItemKind};
use super::super::diag::{Diag, Result};
use super::super::types::Ty;
use super::Compiler;

impl<'f> Compiler<'f> {
    /// Compiles each property the scenario checks, in its order.
    pub(super) fn compile_props(&mut self) -> Result<Vec<Prop>> {
        let mut out = Vec::new();
        let checks = self.inst.checks.clone();
        for name in &checks {
            let Some(item) = self.file.items.iter().find(|i| prop_name(i) == Some(name)) else {
                return Err(Diag::new(
                    self.file.name.span.clone(),
                    format!("the file declares no invariant or liveness property `{name}`"),
                ));
            };
            out.push(self.prop(item)?);
        }
        Ok(out)
    }

    fn prop(&mut self, item: &'f Item) -> Result<Prop> {
        let code = self.here();
        let saved = (std::mem::replace(&mut self.ghost, true), self.code.take());
        self.owners.push(None);
        let r = self.prop_code(item);
        self.owners.pop();
        self.ghost = saved.0;
        self.code = saved.1;
        let (name, form, source) = r?;
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
                    Form::Deadline => PropertyKind::BoundedLiveness,
                },
                summary,
            },
            form,
            code,
            source,
        })
    }

    fn prop_code(&mut self, item: &'f Item) -> Result<(String, Form, String)> {
        match &item.kind {
            ItemKind::Invariant { name, expr } => {
                let t = self.expr(expr, None)?;
                self.want_bool(&t, &expr.span, "an invariant")?;
                self.emit(Op::End, &expr.span);
                let source = self.text[expr.span.clone()].to_string();
                Ok((name.text.clone(), Form::Safety, one_line(&source)))
            }
            ItemKind::Liveness {
                name,
                bindings,
                when,
                by,
            } => {
                self.emit(Op::Const(NEVER), &item.span);
                for combo in self.unroll(bindings)? {
                    self.with_bindings(combo, |c| {
                        let open = c.label();
                        let t = c.expr(when, None)?;
                        c.want_bool(&t, &when.span, "a liveness property's `when`")?;
                        c.emit_to(Op::JumpIfFalse(0), open, &when.span);
                        let d = c.expr(by, Some(&Ty::Dur))?;
                        if d != Ty::Dur {
                            return Err(Diag::new(
                                by.span.clone(),
                                format!("a liveness property's `by` is a time (dur), not {d}"),
                            ));
                        }
                        c.emit(Op::Min, &by.span);
                        c.place_label(open);
                        Ok(())
                    })?;
                }
                self.emit(Op::End, &item.span);
                let source = format!(
                    "when {} by {}",
                    &self.text[when.span.clone()],
                    &self.text[by.span.clone()]
                );
                Ok((name.text.clone(), Form::Deadline, one_line(&source)))
            }
            _ => unreachable!("a property item"),
        }
    }
}

/// The name of a property item.
pub fn prop_name(item: &Item) -> Option<&String> {
    match &item.kind {
        ItemKind::Invariant { name, .. } | ItemKind::Liveness { name, .. } => Some(&name.text),
        _ => None,
    }
}

/// Source text on one line, runs of white space as one space.
fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}
