//! A check of a program's instructions before it runs: every path keeps the operand stack
//! balanced, within [`super::exec::STACK`] slots, and empty at every await point (where a step
//! ends and the stack is dropped). A lowering that broke this would corrupt worlds silently;
//! this makes it an error instead.

use super::op::{Op, NO_HANDLER};
use super::program::{Form, Program};

/// How many slots `op` pops and pushes.
fn effect(op: Op) -> (usize, usize) {
    match op {
        Op::Const(_) | Op::Load(_) | Op::LoadLocal(_) | Op::AddrLocal(_) => (0, 1),
        Op::Now
        | Op::SelfActor
        | Op::Param(_)
        | Op::Pid
        | Op::Host
        | Op::Hostname
        | Op::RealNow
        | Op::Ended => (0, 1),
        Op::Exists => (super::os::DEPTH, 1),
        Op::Sys(call) => super::os::effect(call),
        Op::Join { .. } => (super::os::DEPTH + 1, super::os::DEPTH),
        Op::Numbered { .. } => (1, 1),
        Op::Pop(k) => (k as usize, 0),
        Op::Slice { size, len, .. } => (size as usize, len as usize),
        Op::Dup => (1, 2),
        Op::Store(_) | Op::StoreLocal(_) | Op::Sleep | Op::Unwrap { .. } => (1, 0),
        Op::AddrActor(_) | Op::Neg | Op::Not => (1, 1),
        Op::Index { .. } => (2, 1),
        Op::LoadAt(k) => (1, k as usize),
        Op::StoreAt(k) => (k as usize + 1, 0),
        Op::Add
        | Op::Sub
        | Op::Mul
        | Op::Div
        | Op::Rem
        | Op::Min
        | Op::Max
        | Op::Eq
        | Op::Ne
        | Op::Lt
        | Op::Le
        | Op::Gt
        | Op::Ge => (2, 1),
        Op::EqN(k) => (2 * k as usize, 1),
        Op::IsNone(k) => (k as usize + 1, 1),
        Op::JumpIfFalse(_) | Op::JumpIfTrue(_) | Op::Throw { .. } | Op::End | Op::Enter => (1, 0),
        Op::Work => (2, 0),
        Op::JumpIfSlot { .. } | Op::JumpIfLocal { .. } => (0, 0),
        Op::AddConst(_) => (1, 1),
        Op::JumpIfTop { .. } => (1, 0),
        Op::TestSlot { .. } => (0, 1),
        Op::Jump(_)
        | Op::Resolve(_)
        | Op::PickBit { .. }
        | Op::Yield
        | Op::Until(_)
        | Op::TearDown
        | Op::Mark(_)
        | Op::Anchor
        | Op::Finish(_)
        | Op::Fail(_)
        | Op::Clear { .. } => (0, 0),
        Op::Elem { .. } => (2, 1),
        Op::Find { size, .. } => (size as usize + 1, 1),
        Op::MapSlot { key, .. } => (key as usize + 1, 1),
        Op::Push { size, .. } => (usize::from(size) + 1, 0),
        Op::Take { size, .. } => (1, size as usize + 1),
        Op::RemoveAt { .. } => (2, 1),
        Op::Put { key, value, .. } => (key as usize + value as usize + 1, 0),
        Op::Delete { key, .. } => (key as usize + 1, 1),
        Op::ZeroAt(_) => (1, 0),
    }
}

/// Where control goes after `op` at `pc`.
fn successors(op: Op, pc: usize) -> Vec<usize> {
    match op {
        Op::Jump(t) => vec![t as usize],
        Op::JumpIfFalse(t) | Op::JumpIfTrue(t) => vec![pc + 1, t as usize],
        Op::JumpIfSlot { target, .. }
        | Op::JumpIfLocal { target, .. }
        | Op::JumpIfTop { target, .. } => vec![pc + 1, target as usize],
        Op::Throw { handler, .. } if handler != NO_HANDLER => vec![handler as usize],
        Op::Throw { .. } | Op::Finish(_) | Op::Fail(_) | Op::End => vec![],
        _ => vec![pc + 1],
    }
}

/// The deepest the operand stack gets, or what is wrong and the instruction it is wrong at.
pub fn max_depth(program: &Program, limit: usize) -> Result<usize, (String, usize)> {
    let ops = &program.ops;
    let mut depth: Vec<Option<usize>> = vec![None; ops.len() + 1];
    let mut todo: Vec<(usize, usize)> = Vec::new();
    for k in &program.kinds {
        todo.push((k.entry as usize, 0));
        if let Some(c) = k.abort_when {
            todo.push((c as usize, 0));
        }
    }
    for p in &program.props {
        let _ = Form::Safety;
        todo.push((p.code as usize, 0));
        todo.extend(p.obligations.iter().map(|o| (o.code as usize, 0)));
    }
    if let Some(c) = program.check_all {
        todo.push((c as usize, 0));
    }
    for op in ops {
        if let Op::Until(c) = op {
            todo.push((*c as usize, 0));
        }
    }
    let mut max = 0;
    while let Some((pc, d)) = todo.pop() {
        if pc >= ops.len() {
            return Err((
                format!("control runs past the end of the code (to {pc})"),
                pc,
            ));
        }
        match depth[pc] {
            Some(e) if e == d => continue,
            Some(e) => {
                return Err((
                    format!("instruction {pc} is reached with {e} and {d} slots"),
                    pc,
                ))
            }
            None => depth[pc] = Some(d),
        }
        let op = ops[pc];
        if matches!(
            op,
            Op::Resolve(_) | Op::PickBit { .. } | Op::Yield | Op::Until(_) | Op::Mark(_)
        ) && d != 0
        {
            return Err((
                format!("instruction {pc} ({op:?}) may end a step with {d} slots left"),
                pc,
            ));
        }
        let (pop, push) = effect(op);
        if pop > d {
            return Err((
                format!("instruction {pc} ({op:?}) pops {pop} of {d} slots"),
                pc,
            ));
        }
        let after = d - pop + push;
        max = max.max(after);
        if after > limit {
            return Err((
                format!(
                    "an expression needs {after} operand slots, more than the {limit} supported"
                ),
                pc,
            ));
        }
        if matches!(op, Op::Sleep | Op::Work | Op::Enter) && after != 0 {
            return Err((
                format!("instruction {pc} ({op:?}) ends a step with {after} slots left"),
                pc,
            ));
        }
        for s in successors(op, pc) {
            todo.push((s, after));
        }
    }
    Ok(max)
}
