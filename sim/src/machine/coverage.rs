//! Which code the explored schedules executed, so that a `holds` over a scenario that never
//! reaches a protocol's recovery path is visible as such (Spin's "unreached in proctype").
//!
//! The machine marks the first instruction of every straight run of code a step enters (the
//! step's start, a jump's target, the instruction after a branch not taken, a handler), and
//! each side of every branch it takes. Marking is one relaxed load per jump, and a
//! read-modify-write only the first time: cheap enough to be always on. The set of worlds an
//! exhaustive search that completes visits does not depend on threads or order, so neither
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

    /// A branch at `pc` jumped (`true`) or fell through.
    #[inline]
    pub fn branch(&self, pc: usize, jumped: bool) {
        set(if jumped { &self.jumped } else { &self.fell }, pc);
        if !jumped {
            set(&self.entered, pc + 1);
        }
    }

    /// Every instruction some explored step executed: each entered run, to its end.
    pub fn executed(&self, program: &Program) -> Vec<bool> {
        let n = program.ops.len();
        let mut out = vec![false; n];
        for start in 0..n {
            if !get(&self.entered, start) {
                continue;
            }
            let mut pc = start;
            while pc < n && !out[pc] {
                out[pc] = true;
                if ends_run(program.ops[pc]) {
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
                | Op::Mark(_)
                | Op::Resolve(_)
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
