//! Which of a scenario's scheduled faults fired in some explored schedule.
//!
//! A scenario can name a crash, pause or cancellation point, or a syscall fault, that a variant
//! never reaches: the actor just lives, and a `holds` may say nothing about the fault it was
//! written for. A model keeps one [`FaultLog`] beside its specification (not in the world: it
//! is what the whole exploration did, not what one world is) and marks a fault when it takes
//! effect; the explorers share the model between threads, so the marks are relaxed atomic bit
//! sets, written only the first time (one load per firing afterwards). The set of worlds a
//! complete exhaustive search visits does not depend on threads or order, so neither does the
//! set of faults that fired in it.

use std::sync::atomic::{AtomicU64, Ordering};

/// Most scheduled faults a log tracks (one bit each).
pub const FAULTS_MAX: usize = 64;

/// A model's scheduled faults, by bit, and which of them fired.
#[derive(Debug, Default)]
pub struct FaultLog {
    /// Bit `i`'s fault as a scenario reader would name it; `None` for an unused bit.
    names: Vec<Option<String>>,
    fired: AtomicU64,
}

impl FaultLog {
    /// A log of the faults `names` declares (bit `i` is `names[i]`; at most [`FAULTS_MAX`]).
    pub fn new(names: Vec<Option<String>>) -> FaultLog {
        assert!(
            names.len() <= FAULTS_MAX,
            "more than {FAULTS_MAX} fault bits"
        );
        FaultLog {
            names,
            fired: AtomicU64::new(0),
        }
    }

    /// Fault `bit` took effect in the schedule being explored.
    #[inline]
    pub fn fire(&self, bit: usize) {
        let b = 1u64 << bit;
        if self.fired.load(Ordering::Relaxed) & b == 0 {
            self.fired.fetch_or(b, Ordering::Relaxed);
        }
    }

    /// The declared faults that fired in no schedule explored so far, in bit order.
    pub fn unfired(&self) -> Vec<String> {
        let fired = self.fired.load(Ordering::Relaxed);
        self.names
            .iter()
            .enumerate()
            .filter(|(i, _)| fired & (1 << i) == 0)
            .filter_map(|(_, n)| n.clone())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unfired_lists_declared_faults_that_never_fired() {
        let log = FaultLog::new(vec![Some("a".into()), None, Some("c".into())]);
        assert_eq!(log.unfired(), vec!["a".to_string(), "c".to_string()]);
        log.fire(2);
        log.fire(1);
        assert_eq!(log.unfired(), vec!["a".to_string()]);
        log.fire(0);
        assert!(log.unfired().is_empty());
    }
}
