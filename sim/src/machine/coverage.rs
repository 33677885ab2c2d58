//! Which code the explored schedules executed, so that a `holds` over a scenario that never
//! reaches a protocol's recovery path is visible as such (Spin's "unreached in proctype").
//!
//! The machine records where each step starts (and where a handler or a mark's continuation
//! takes over), and which sides of each conditional branch it took; everything else follows
//! from the code: a straight run is executed to its end once entered, an unconditional jump
//! goes on at its target. That is one relaxed load per step start and per conditional branch,
//! and a read-modify-write only the first time: cheap enough to be always on. The set of worlds
//! an exhaustive search that completes visits does not depend on threads or order, so neither
//! does the coverage of one.

use std::sync::atomic::{AtomicU64, Ordering};

use super::op::Op;
use super::program::Program;

/// Bit sets over a program's instructions.
#[derive(Debug)]
pub struct Coverage {
    /// Straight runs entered, by their first instruction.
    entered: Vec<AtomicU64>,
    /// Branches that jumped, and branches that fell through, by instruction.
    jumped: Vec<AtomicU64>,
    fell: Vec<AtomicU64>,
}

fn set(bits: &[AtomicU64], i: usize) {
    let w = &bits[i / 64];
    let b = 1u64 << (i % 64);
    if w.load(Ordering::Relaxed) & b == 0 {
        w.fetch_or(b, Ordering::Relaxed);
    }
}

fn get(bits: &[AtomicU64], i: usize) -> bool {
    bits[i / 64].load(Ordering::Relaxed) & (1u64 << (i % 64)) != 0
}

impl Coverage {
    pub fn new(ops: usize) -> Coverage {
        let words = ops / 64 + 1;
        let zeros = || (0..words).map(|_| AtomicU64::new(0)).collect();
        Coverage {
            entered: zeros(),
            jumped: zeros(),
            fell: zeros(),
        }
    }

    #[inline]
    pub fn enter(&self, pc: usize) {
        set(&self.entered, pc);
    }

    /// A conditional branch at `pc` jumped (`true`) or fell through.
    #[inline]
    pub fn branch(&self, pc: usize, jumped: bool) {
        set(if jumped { &self.jumped } else { &self.fell }, pc);
    }

    /// Every instruction some explored step executed: from each recorded entry, each straight
    /// run to its end, an unconditional jump's target, and the sides of branches taken.
    pub fn executed(&self, program: &Program) -> Vec<bool> {
        let n = program.ops.len();
        let mut out = vec![false; n];
        let mut todo: Vec<usize> = (0..n).filter(|&pc| get(&self.entered, pc)).collect();
        while let Some(start) = todo.pop() {
            let mut pc = start;
            while pc < n && !out[pc] {
                out[pc] = true;
                let op = program.ops[pc];
                if let Op::Jump(t) = op {
                    todo.push(t as usize);
                    break;
                }
                if let Some(t) = branch_target(op) {
                    if get(&self.jumped, pc) {
                        todo.push(t);
                    }
                    if get(&self.fell, pc) {
                        todo.push(pc + 1);
                    }
                    break;
                }
                if ends_run(op) {
                    break;
                }
                pc += 1;
            }
        }
        out
    }

    /// Whether the branch at `pc` jumped (`true`), or fell through (`false`), in some step.
    pub fn took(&self, pc: usize, jumped: bool) -> bool {
        get(if jumped { &self.jumped } else { &self.fell }, pc)
    }

    /// Branches (instruction, jumped side) that one side of was never taken.
    pub fn one_sided(&self, program: &Program, executed: &[bool]) -> Vec<(usize, bool)> {
        let mut out = Vec::new();
        for (pc, op) in program.ops.iter().enumerate() {
            if !executed[pc] || !is_branch(*op) {
                continue;
            }
            match (get(&self.jumped, pc), get(&self.fell, pc)) {
                (true, false) => out.push((pc, false)),
                (false, true) => out.push((pc, true)),
                _ => {}
            }
        }
        out
    }
}

/// Whether control may leave a straight run after `op`.
fn ends_run(op: Op) -> bool {
    is_branch(op)
        || matches!(
            op,
            Op::Jump(_)
                | Op::Throw { .. }
                | Op::Finish(_)
                | Op::Fail(_)
                | Op::End
                | Op::Sleep
                | Op::Yield
                | Op::Work
                | Op::Until(_)
                | Op::TearDown
                | Op::Enter
                | Op::Mark(_)
                | Op::Resolve(_)
                | Op::PickBit { .. }
        )
}

pub(super) fn is_branch(op: Op) -> bool {
    matches!(
        op,
        Op::JumpIfFalse(_)
            | Op::JumpIfTrue(_)
            | Op::JumpIfSlot { .. }
            | Op::JumpIfLocal { .. }
            | Op::JumpIfTop { .. }
    )
}

/// Where the branch at `pc` goes when it jumps.
pub fn branch_target(op: Op) -> Option<usize> {
    match op {
        Op::JumpIfFalse(t) | Op::JumpIfTrue(t) => Some(t as usize),
        Op::JumpIfSlot { target, .. }
        | Op::JumpIfLocal { target, .. }
        | Op::JumpIfTop { target, .. } => Some(target as usize),
        _ => None,
    }
}
