//! Unreached code: the protocol lines and branch sides no schedule of a complete exhaustive
//! search executed (see `lockstep_sim::machine::coverage`). Reported only for a `holds`: a
//! search that stopped at a violation explored part of the space, and which part depends on
//! the search order.

use std::collections::BTreeSet;

use lockstep_sim::machine::coverage::branch_target;
use lockstep_sim::machine::verify;
use lockstep_sim::machine::{Machine, Op};

use crate::engine::Unreached;

/// What the machines' runs left unexecuted, as lines of `text` (one machine per structure of
/// the scenario; a line reached under any structure is reached).
pub fn unreached<'m>(
    machines: impl Iterator<Item = &'m Machine>,
    file: &str,
    text: &str,
) -> Unreached {
    let source: Vec<&str> = text.lines().collect();
    let mut present: BTreeSet<u32> = BTreeSet::new();
    let mut reached: BTreeSet<u32> = BTreeSet::new();
    let mut possible: BTreeSet<(u32, u32)> = BTreeSet::new();
    let mut taken: BTreeSet<(u32, u32)> = BTreeSet::new();
    for m in machines {
        let p = m.program();
        let code = actor_code(m);
        let executed = m.coverage().executed(p);
        let line = |pc: usize| p.origins[pc].line;
        for pc in 0..p.ops.len() {
            if !code[pc] {
                continue;
            }
            if !structural(p.ops[pc], pc, &source, line(pc)) {
                present.insert(line(pc));
            }
            if executed[pc] {
                reached.insert(line(pc));
            }
            // Each side of an executed branch that leaves its line: possible, and taken or not.
            if let Some(t) = branch_target(p.ops[pc]).filter(|_| executed[pc]) {
                for (side, jumped) in [(t, true), (pc + 1, false)] {
                    if line(side) == line(pc) || !code.get(side).copied().unwrap_or(false) {
                        continue;
                    }
                    possible.insert((line(pc), line(side)));
                    if m.coverage().took(pc, jumped) {
                        taken.insert((line(pc), line(side)));
                    }
                }
            }
        }
    }
    let lines: Vec<u32> = present.difference(&reached).copied().collect();
    let branches: Vec<(u32, u32)> = possible
        .difference(&taken)
        .filter(|(_, to)| reached.contains(to))
        .copied()
        .collect();
    Unreached {
        file: file.to_string(),
        text: lines
            .iter()
            .map(|l| {
                source
                    .get(*l as usize - 1)
                    .map_or("", |s| s.trim())
                    .to_string()
            })
            .collect(),
        lines,
        branches,
    }
}

/// Whether an instruction is bookkeeping of a block opened on its line (`loop {`, `actor P() {`):
/// a loop's jump back, or the implicit end of an actor's body. Such a line ran when its block
/// did; that the loop never went round again, or the body always left early, is not a line of
/// code no schedule ran.
fn structural(op: Op, pc: usize, source: &[&str], line: u32) -> bool {
    let opens_block = source
        .get((line as usize).wrapping_sub(1))
        .is_some_and(|s| s.trim_end().ends_with('{'));
    opens_block
        && match op {
            Op::Jump(t) => t as usize <= pc,
            Op::Finish(_) | Op::End => true,
            _ => false,
        }
}

/// The instructions of the actors' code that a step can reach (not properties, not the
/// conditions of `await until`, not code no path leads to).
fn actor_code(m: &Machine) -> Vec<bool> {
    let p = m.program();
    let n = p.ops.len();
    let mut out = vec![false; n];
    let mut todo: Vec<usize> = p.kinds.iter().map(|k| k.entry as usize).collect();
    while let Some(pc) = todo.pop() {
        if pc >= n || out[pc] {
            continue;
        }
        out[pc] = true;
        let op = p.ops[pc];
        match op {
            Op::Throw { handler, .. } if handler != lockstep_sim::machine::NO_HANDLER => {
                todo.push(handler as usize)
            }
            Op::Throw { .. } | Op::Finish(_) | Op::Fail(_) | Op::End => {}
            Op::Jump(t) => todo.push(t as usize),
            _ => {
                if let Some(t) = branch_target(op) {
                    todo.push(t);
                }
                todo.push(pc + 1);
            }
        }
    }
    let _ = verify::max_depth;
    out
}
