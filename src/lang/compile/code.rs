//! Emitting instructions: labels and their patches, scopes and locals, frames.

use lockstep_sim::machine::Op;

use super::super::diag::{Diag, Result};
use super::super::lexer::Span;
use super::{Bind, Compiler, Frame, Label, Scope};

/// Locals an actor may use (its block grows with them).
pub const LOCALS_MAX: u32 = 4096;

impl<'f> Compiler<'f> {
    pub(super) fn emit(&mut self, op: Op, span: &Span) -> usize {
        let o = self.origin(span);
        self.ops.push(op);
        self.origins.push(o);
        if self.platform == lockstep_sim::machine::Platform::Tokio {
            let enclosing = self.innermost_finally();
            self.drops.push(enclosing);
        }
        self.ops.len() - 1
    }

    /// The innermost `finally` around the code being emitted (its completion slot and entry
    /// label), through inlined calls: where dropping a task standing here goes first.
    pub(super) fn innermost_finally(&self) -> Option<(u32, usize)> {
        for f in self.frames().iter().rev() {
            match f {
                Frame::Try {
                    finally: Some(fin), ..
                } => return Some(*fin),
                Frame::Body {
                    actor_body: true, ..
                } => return None,
                _ => {}
            }
        }
        None
    }

    pub(super) fn here(&self) -> u32 {
        self.ops.len() as u32
    }

    pub(super) fn label(&mut self) -> usize {
        self.labels.push(Label::default());
        self.labels.len() - 1
    }

    /// Emits a jump-like instruction to `label` (patched when the label is placed).
    pub(super) fn emit_to(&mut self, op: Op, label: usize, span: &Span) {
        let at = self.emit(op, span);
        match self.labels[label].target {
            Some(t) => self.ops[at] = with_target(op, t),
            None => {
                self.labels[label].patches.push(at);
                self.pending.push((at, label));
            }
        }
    }

    pub(super) fn place_label(&mut self, label: usize) {
        let t = self.here();
        self.labels[label].target = Some(t);
        for at in std::mem::take(&mut self.labels[label].patches) {
            self.ops[at] = with_target(self.ops[at], t);
        }
    }

    /// Opens a scope; a `barrier` (a function body) sees only globals.
    pub(super) fn push_scope(&mut self, barrier: bool) {
        let local_mark = self.code.as_ref().map_or(0, |c| c.next_local);
        self.scopes.push(Scope {
            names: Vec::new(),
            parent: if barrier { None } else { self.cur },
            prev: self.cur,
            local_mark,
        });
        self.cur = Some(self.scopes.len() - 1);
    }

    /// Closes a scope without touching its locals (a scope of compile-time values).
    pub(super) fn drop_scope(&mut self) {
        let s = self.scopes.pop().expect("a scope to pop");
        self.cur = s.prev;
    }

    /// Ends a scope: its locals are zeroed and freed.
    pub(super) fn pop_scope(&mut self, span: &Span) {
        let s = self.scopes.pop().expect("a scope to pop");
        self.cur = s.prev;
        self.release_locals(s.local_mark, span);
    }

    /// Runs `f` with names resolved from `scope` (an argument, in its caller's scope).
    pub(super) fn in_scope<T>(
        &mut self,
        scope: Option<usize>,
        f: impl FnOnce(&mut Self) -> T,
    ) -> T {
        let saved = std::mem::replace(&mut self.cur, scope);
        let r = f(self);
        self.cur = saved;
        r
    }

    /// Zeroes and frees the locals allocated since `mark`.
    fn release_locals(&mut self, mark: u32, span: &Span) {
        let Some(code) = self.code.as_ref() else {
            return;
        };
        let n = code.next_local - mark;
        if n > 0 {
            let base = self.kinds[usize::from(code.kind)].locals_base() as u32;
            self.emit(
                Op::Clear {
                    off: base + mark,
                    n,
                },
                span,
            );
            self.code.as_mut().expect("code").next_local = mark;
        }
    }

    /// Zeroes (without freeing) the locals allocated since `mark`: a jump out of their scopes.
    pub(super) fn clear_since(&mut self, mark: u32, span: &Span) {
        let Some(code) = self.code.as_ref() else {
            return;
        };
        let n = code.next_local.saturating_sub(mark);
        if n > 0 {
            let base = self.kinds[usize::from(code.kind)].locals_base() as u32;
            self.emit(
                Op::Clear {
                    off: base + mark,
                    n,
                },
                span,
            );
        }
    }

    pub(super) fn next_local(&self) -> u32 {
        self.code.as_ref().map_or(0, |c| c.next_local)
    }

    /// Allocates `n` local slots; returns their offset in the actor's block.
    pub(super) fn alloc(&mut self, n: usize, span: &Span) -> Result<u32> {
        let base = match &self.code {
            Some(c) => self.kinds[usize::from(c.kind)].locals_base() as u32,
            None => {
                return Err(Diag::new(
                    span.clone(),
                    "this needs a local variable, and only actor code has them",
                ))
            }
        };
        let code = self.code.as_mut().expect("code");
        let at = code.next_local;
        code.next_local += n as u32;
        code.max_local = code.max_local.max(code.next_local);
        if code.next_local > LOCALS_MAX {
            return Err(Diag::new(
                span.clone(),
                format!("an actor may use at most {LOCALS_MAX} local slots"),
            ));
        }
        Ok(base + at)
    }

    /// Declares a local in the innermost scope.
    pub(super) fn bind(&mut self, name: &str, b: Bind<'f>) {
        let i = self.cur.expect("a scope");
        self.scopes[i].names.push((name.to_string(), b));
    }

    pub(super) fn push_frame(&mut self, f: Frame) {
        self.code.as_mut().expect("code").frames.push(f);
    }

    pub(super) fn pop_frame(&mut self) -> Frame {
        self.code
            .as_mut()
            .expect("code")
            .frames
            .pop()
            .expect("a frame")
    }

    pub(super) fn frames(&self) -> &[Frame] {
        self.code.as_ref().map_or(&[], |c| &c.frames)
    }

    /// Stores the `n` slots on top of the stack into the running actor's slots at `off`.
    pub(super) fn store_local(&mut self, off: u32, n: usize, span: &Span) {
        for i in (0..n as u32).rev() {
            self.emit(Op::StoreLocal(off + i), span);
        }
    }

    pub(super) fn load_local(&mut self, off: u32, n: usize, span: &Span) {
        for i in 0..n as u32 {
            self.emit(Op::LoadLocal(off + i), span);
        }
    }
}

fn with_target(op: Op, t: u32) -> Op {
    match op {
        Op::Jump(_) => Op::Jump(t),
        Op::JumpIfFalse(_) => Op::JumpIfFalse(t),
        Op::JumpIfTrue(_) => Op::JumpIfTrue(t),
        Op::Throw { slot, .. } => Op::Throw { handler: t, slot },
        Op::Until(_) => Op::Until(t),
        Op::JumpIfTop { value, cmp, .. } => Op::JumpIfTop {
            value,
            cmp,
            target: t,
        },
        other => unreachable!("{other:?} does not jump"),
    }
}
