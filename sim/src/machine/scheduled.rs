//! Which of a scenario's scheduled faults fired: the machine's [`crate::faults::FaultLog`].
//!
//! A scheduled fault is one the scenario places: an actor's cancellation or kill at an instant
//! or at a mark, its pause at an instant or at a mark, and an injected syscall fault. Each gets
//! a bit, named the way the scenario writes it (`B: kill_at = holding`); a fault that fired in
//! no explored schedule is reported with the result, so a `holds` that never met the fault it
//! was written for says so. Optional faults (`kill = "any"`, `pauses_max`) are the explorer's
//! choice, not scheduled, and are not listed.

use crate::faults::{FaultLog, FAULTS_MAX};

use super::layout::*;
use super::program::{Platform, Program};

/// The bits of one actor's scheduled faults.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct ActorBits {
    /// Its cancellation or kill at an instant.
    pub at: Option<usize>,
    /// Its cancellation or kill at a mark (one bit for the actor's marks).
    pub mark: Option<usize>,
    /// Its scripted pause (at an instant or a mark).
    pub pause: Option<usize>,
}

/// A program's scheduled faults: their log and where each actor's and each syscall fault's bit
/// is.
#[derive(Debug)]
pub(super) struct Scheduled {
    pub log: FaultLog,
    pub actors: Vec<ActorBits>,
    /// The bit of syscall fault `i`.
    pub syscalls: Vec<Option<usize>>,
}

impl Scheduled {
    pub fn of(program: &Program) -> Scheduled {
        let (kill, marked) = match program.platform {
            Platform::Node => ("kill_at_ms", "kill_at"),
            Platform::Workerd | Platform::Tokio => ("cancel_at_ms", "cancel_at"),
        };
        let mut names: Vec<Option<String>> = Vec::new();
        let mut take = |name: String| {
            (names.len() < FAULTS_MAX).then(|| {
                names.push(Some(name));
                names.len() - 1
            })
        };
        let mut actors = Vec::new();
        for inst in &program.actors {
            let mut bits = ActorBits::default();
            if let Some(t) = inst.cancel_at {
                bits.at = take(format!("{}: {kill} = {t}", inst.name));
            }
            if inst.cancel_marks != 0 {
                bits.mark = take(format!(
                    "{}: {marked} = {}",
                    inst.name,
                    marks(program, inst.cancel_marks)
                ));
            }
            if inst.pause_at.is_some() || inst.pause_marks != 0 {
                let when = match inst.pause_at {
                    Some(t) => format!("pause_at_ms = {t}"),
                    None => format!("pause_at = {}", marks(program, inst.pause_marks)),
                };
                bits.pause = take(format!("{}: {when}", inst.name));
            }
            actors.push(bits);
        }
        let syscalls = program
            .os
            .as_ref()
            .map(|os| {
                os.faults
                    .iter()
                    .map(|f| take(format!("syscall {}", f.shown)))
                    .collect()
            })
            .unwrap_or_default();
        Scheduled {
            log: FaultLog::new(names),
            actors,
            syscalls,
        }
    }

    /// Whether a step can fire a scheduled fault (a pause at a mark, a syscall fault): only
    /// then are steps watched. Cancellations, kills and pauses at an instant are moves of
    /// their own and fire there.
    pub fn watch_steps(&self, program: &Program) -> bool {
        self.syscalls.iter().any(Option::is_some)
            || program
                .actors
                .iter()
                .zip(&self.actors)
                .any(|(inst, bits)| inst.pause_marks != 0 && bits.pause.is_some())
    }

    /// What a step's watch compares: the actor's flags and the syscall faults' counters.
    /// No allocation: a fault has a bit, so there are at most [`FAULTS_MAX`] counters to keep.
    pub fn before_step(&self, program: &Program, w: &[i64], base: usize) -> Before {
        let mut counters = [0; FAULTS_MAX];
        if let Some(os) = &program.os {
            let at = os.fault_base as usize;
            let n = self.syscalls.len().min(FAULTS_MAX);
            counters[..n].copy_from_slice(&w[at..at + n]);
        }
        Before {
            flags: w[base + B_FLAGS],
            counters,
        }
    }

    /// After a step of actor `a`: a scripted pause at a mark, or a syscall fault, fired.
    pub fn after_step(
        &self,
        program: &Program,
        before: Before,
        after: &[i64],
        base: usize,
        a: usize,
    ) {
        let Before { flags, counters } = before;
        if let Some(bit) = self.actors[a].pause
            && flags & F_PAUSED == 0
            && after[base + B_FLAGS] & F_PAUSED != 0
        {
            self.log.fire(bit);
        }
        if let Some(os) = &program.os {
            // Only the first FAULTS_MAX faults have bits (and kept counters).
            for (i, bit) in self.syscalls.iter().enumerate().take(FAULTS_MAX) {
                let at = os.fault_base as usize + i;
                if let (Some(bit), true) = (bit, after[at] < counters[i]) {
                    self.log.fire(*bit);
                }
            }
        }
    }
}

/// What a watched step is compared with: the actor's flags and the syscall faults' counters.
pub(super) struct Before {
    flags: i64,
    counters: [i64; FAULTS_MAX],
}

/// The marks of a bit set, by name.
fn marks(program: &Program, bits: u64) -> String {
    (0..64)
        .filter(|i| bits & (1u64 << i) != 0)
        .filter_map(|i| program.marks.get(i))
        .cloned()
        .collect::<Vec<_>>()
        .join(" / ")
}
