//! Superinstructions: a peephole pass over a program that fuses the most frequent sequences
//! (a slot loaded and compared with a constant, then a branch; a constant added) into one
//! instruction each. An interpreter pays per instruction dispatched, and properties are
//! judged on every explored world: fused, an actor's clause of `count(r: K | r.live &&
//! r.x && !r.y)` is four instructions instead of ten.
//!
//! A sequence is fused only when no jump lands inside it; every target is remapped.

use std::collections::BTreeSet;

use super::op::{Cmp, Op, NO_HANDLER};
use super::program::{Origin, Program};

/// Every instruction some control transfer can land on.
fn targets(p: &Program) -> BTreeSet<usize> {
    let mut t = BTreeSet::new();
    for k in &p.kinds {
        t.insert(k.entry as usize);
        t.extend(k.abort_when.map(|c| c as usize));
    }
    for q in &p.props {
        t.insert(q.code as usize);
        t.extend(q.obligations.iter().map(|o| o.code as usize));
    }
    if let Some(c) = p.check_all {
        t.insert(c as usize);
    }
    // Where a dropped task's destructors start (`platform tokio`).
    t.extend(p.drops.iter().flatten().map(|&(_, entry)| entry as usize));
    for op in &p.ops {
        match *op {
            Op::Jump(x) | Op::JumpIfFalse(x) | Op::JumpIfTrue(x) | Op::Until(x) => {
                t.insert(x as usize);
            }
            // Lowerings may emit fused branches themselves.
            Op::JumpIfTop { target, .. }
            | Op::JumpIfSlot { target, .. }
            | Op::JumpIfLocal { target, .. } => {
                t.insert(target as usize);
            }
            Op::Throw { handler, .. } if handler != NO_HANDLER => {
                t.insert(handler as usize);
            }
            _ => {}
        }
    }
    t
}

fn cmp_of(op: Op) -> Option<Cmp> {
    match op {
        Op::Eq => Some(Cmp::Eq),
        Op::Ne => Some(Cmp::Ne),
        Op::Lt => Some(Cmp::Lt),
        Op::Le => Some(Cmp::Le),
        Op::Gt => Some(Cmp::Gt),
        Op::Ge => Some(Cmp::Ge),
        _ => None,
    }
}

/// A branch on a loaded slot: (slot kind, slot, value, comparison that jumps, target, length).
fn slot_branch(ops: &[Op]) -> Option<(Op, usize)> {
    let (load, rest) = ops.split_first()?;
    let local = match load {
        Op::Load(_) => false,
        Op::LoadLocal(_) => true,
        _ => return None,
    };
    let slot = match *load {
        Op::Load(a) | Op::LoadLocal(a) => a,
        _ => unreachable!(),
    };
    // `Load; Const c; cmp; JumpIf*` or `Load; JumpIf*` (against 0).
    let (value, cmp, jump, len) = match rest {
        [Op::Const(c), c2, j, ..] if cmp_of(*c2).is_some() && i32::try_from(*c).is_ok() => {
            (*c as i32, cmp_of(*c2)?, *j, 4)
        }
        [j, ..] => (0, Cmp::Ne, *j, 2),
        [] => return None,
    };
    let (cmp, target) = match jump {
        Op::JumpIfTrue(t) => (cmp, t),
        Op::JumpIfFalse(t) => (cmp.negate(), t),
        _ => return None,
    };
    let fused = if local {
        Op::JumpIfLocal {
            off: slot,
            value,
            cmp,
            target,
        }
    } else {
        Op::JumpIfSlot {
            addr: slot,
            value,
            cmp,
            target,
        }
    };
    Some((fused, len))
}

/// The fused instruction starting at `ops[0]` and how many instructions it replaces.
fn fuse_at(ops: &[Op]) -> Option<(Op, usize)> {
    if let Some(f) = slot_branch(ops) {
        return Some(f);
    }
    match ops {
        [Op::Const(c), Op::Add, ..] => Some((Op::AddConst(*c), 2)),
        [Op::Const(c), c2, j @ (Op::JumpIfFalse(_) | Op::JumpIfTrue(_)), ..]
            if cmp_of(*c2).is_some() && i32::try_from(*c).is_ok() =>
        {
            let cmp = cmp_of(*c2)?;
            let (cmp, target) = match *j {
                Op::JumpIfTrue(t) => (cmp, t),
                Op::JumpIfFalse(t) => (cmp.negate(), t),
                _ => unreachable!(),
            };
            Some((
                Op::JumpIfTop {
                    value: *c as i32,
                    cmp,
                    target,
                },
                3,
            ))
        }
        [Op::Load(a), Op::Const(c), c2, ..]
            if cmp_of(*c2).is_some() && i32::try_from(*c).is_ok() =>
        {
            Some((
                Op::TestSlot {
                    addr: *a,
                    value: *c as i32,
                    cmp: cmp_of(*c2)?,
                },
                3,
            ))
        }
        _ => None,
    }
}

/// Fuses `p`'s instructions in place.
pub fn fuse(p: &mut Program) {
    let targets = targets(p);
    let n = p.ops.len();
    let mut ops: Vec<Op> = Vec::with_capacity(n);
    let mut origins: Vec<Origin> = Vec::with_capacity(n);
    let mut map: Vec<u32> = vec![0; n + 1];
    let mut i = 0;
    while i < n {
        map[i] = ops.len() as u32;
        let fused =
            fuse_at(&p.ops[i..]).filter(|(_, len)| (i + 1..i + len).all(|j| !targets.contains(&j)));
        match fused {
            Some((op, len)) => {
                map[i + 1..i + len].fill(ops.len() as u32);
                ops.push(op);
                // The last instruction's place: a branch's line is its condition's, not the
                // line of a constant folded into it.
                origins.push(p.origins[i + len - 1]);
                i += len;
            }
            None => {
                ops.push(p.ops[i]);
                origins.push(p.origins[i]);
                i += 1;
            }
        }
    }
    map[n] = ops.len() as u32;
    let remap = |t: u32| map[t as usize];
    for op in &mut ops {
        *op = match *op {
            Op::Jump(t) => Op::Jump(remap(t)),
            Op::JumpIfFalse(t) => Op::JumpIfFalse(remap(t)),
            Op::JumpIfTrue(t) => Op::JumpIfTrue(remap(t)),
            Op::Until(t) => Op::Until(remap(t)),
            Op::Throw { handler, slot } if handler != NO_HANDLER => Op::Throw {
                handler: remap(handler),
                slot,
            },
            Op::JumpIfSlot {
                addr,
                value,
                cmp,
                target,
            } => Op::JumpIfSlot {
                addr,
                value,
                cmp,
                target: remap(target),
            },
            Op::JumpIfLocal {
                off,
                value,
                cmp,
                target,
            } => Op::JumpIfLocal {
                off,
                value,
                cmp,
                target: remap(target),
            },
            Op::JumpIfTop { value, cmp, target } => Op::JumpIfTop {
                value,
                cmp,
                target: remap(target),
            },
            other => other,
        };
    }
    for k in &mut p.kinds {
        k.entry = remap(k.entry);
        k.abort_when = k.abort_when.map(remap);
    }
    for q in &mut p.props {
        q.code = remap(q.code);
        for o in &mut q.obligations {
            o.code = remap(o.code);
        }
    }
    p.check_all = p.check_all.map(remap);
    if !p.drops.is_empty() {
        // An await is never fused, so each keeps its own place; a fused group keeps its
        // first instruction's.
        let mut drops = vec![None; ops.len()];
        for (i, d) in p.drops.iter().enumerate().rev() {
            drops[map[i] as usize] = d.map(|(comp, entry)| (comp, remap(entry)));
        }
        p.drops = drops;
    }
    p.ops = ops;
    p.origins = origins;
}
