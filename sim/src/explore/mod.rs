//! Explorers: who makes the choices a model leaves open.
//!
//! All explorers drive the same step loop ([`run`]) or the same successor function
//! ([`exhaustive`]), so a schedule found by one replays under any other. A strategy is a
//! [`Chooser`]: a narrow trait, so a new strategy is a new value, not a new runner.

#[cfg(test)]
mod budget_tests;
mod concurrent;
mod exhaustive;
mod independence;
mod level;
#[cfg(test)]
mod order_tests;
#[cfg(test)]
mod private_tests;
mod random;
mod run;
mod shrink;
mod sleep;
#[cfg(test)]
mod sleep_tests;
mod visited;

use std::fmt;

pub use exhaustive::check_exhaustive;
pub use independence::check_independence;
pub use random::{check_pct, check_random, RunSet};
pub use run::{check_scripted, replay, Chooser, Options, ReplayError, ReplayRun};
pub use shrink::{shrink, Shrunk};

use crate::model::{PropIdx, Time};
use crate::schedule::Schedule;

/// How ties between moves enabled at the same instant are broken in a scripted run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum TieBreak {
    /// The urgent move listed first (models list moves in actor file order).
    #[default]
    ActorOrder,
    /// The urgent move listed last.
    ReverseActorOrder,
}

/// Which explorer backs a verdict.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Strategy {
    Scripted,
    Exhaustive,
    Random,
    Pct,
    Replay,
}

impl Strategy {
    pub fn name(self) -> &'static str {
        match self {
            Strategy::Scripted => "scripted",
            Strategy::Exhaustive => "exhaustive",
            Strategy::Random => "random",
            Strategy::Pct => "pct",
            Strategy::Replay => "replay",
        }
    }
}

/// Budgets and knobs for every explorer. Limits end in their unit; hitting one is the outcome
/// [`Verdict::Inconclusive`], never a pass.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Config {
    /// Moves in one run (one path of the exhaustive search). Default 1,000,000. A run of the
    /// scripted, random and PCT explorers may also advance the clock at most this many times.
    pub steps_max: u64,
    /// The virtual clock may not pass this. Default 7 days of virtual time.
    pub time_ms_max: Time,
    /// Distinct states the exhaustive explorer may visit. Default 50,000,000.
    pub states_max: u64,
    /// Bytes the exhaustive explorer's visited set may take, counted deterministically from
    /// its key count (see [`visited_bytes`]), so the same search stops at the same state on
    /// every machine: a search that would outgrow it ends `inconclusive:memory` instead of
    /// being killed. The shrinker's breadth-first search falls back to delta debugging at it.
    /// Default unlimited (the command line sets one from the machine).
    pub memory_max: u64,
    /// Runs of the random explorer. Default 1,000.
    pub runs: u64,
    /// Seed of the random explorer (run i uses the child stream `fork(seed, i)`). Default 0.
    pub seed: u64,
    /// Tie-break rule of the scripted explorer.
    pub tie_break: TieBreak,
    /// PCT's bug depth d (d - 1 priority change points). Default 3.
    pub pct_depth: u64,
    /// Random runs the exhaustive explorer makes (fixed seed) before its search, so a shallow
    /// bug is reported at once. 0 disables the probe. Default 64.
    pub probe_runs: u64,
    /// Let models reduce interchangeable actors (symmetry reduction). Default true.
    pub symmetry: bool,
    /// Take a model's private steps alone ([`crate::Model::private_step`], a partial-order
    /// reduction that visits fewer worlds) in the exhaustive search without sleep sets.
    /// Default true.
    pub private_steps: bool,
    /// Sleep sets in the exhaustive search (a partial-order reduction over the moves the model
    /// declares independent, [`crate::Model::independent`]): fewer transitions, the same
    /// verdicts, state counts and counterexamples. Default **false**: on this project's models
    /// the state graphs are nearly trees (about 1.1 transitions per state), so the transitions
    /// saved (13-28% on the benchmarks, 1% on explore-reclaim) cost more in sleep records,
    /// second fingerprints and revisit re-explorations than they save (`lockstep bench` shows
    /// both side by side). Always off when `shards > 1`. They take the place of
    /// [`Config::private_steps`]: with sleep sets, no step is taken alone, and the counts are
    /// those of a search without private steps.
    pub sleep_sets: bool,
    /// Executions the shrinker may try on a counterexample. 0 disables shrinking.
    /// Default 4,000.
    pub shrink_runs_max: u64,
    /// States the shortest-counterexample search may visit before the shrinker falls back to
    /// delta debugging. Default 2,000,000.
    pub shrink_states_max: u64,
    /// Threads of the exhaustive explorer. Verdicts, state counts and counterexamples do not
    /// depend on it. Default 1.
    pub threads: u64,
    /// This run explores shard `shard` (0-based) of `shards`: random runs i with
    /// i mod shards = shard, or the exhaustive frontier's worlds likewise. Default 0 of 1.
    pub shard: u64,
    pub shards: u64,
    /// Set from outside (a wall-clock budget kept by the caller) to stop a search; the kernel
    /// itself never reads a clock. A stopped search is `inconclusive:stopped`.
    pub stop: Option<std::sync::Arc<std::sync::atomic::AtomicBool>>,
    /// Incremented with distinct states (exhaustive) or runs (random, PCT) as a search goes,
    /// for a progress display kept by the caller.
    pub progress: Option<std::sync::Arc<std::sync::atomic::AtomicU64>>,
    /// The random and PCT explorers report the schedule of their first run even when no run
    /// violates anything (as the report's `counterexample`, under a `holds`): an example run
    /// of a variant that holds. Default false.
    pub example: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            steps_max: 1_000_000,
            time_ms_max: 7 * 24 * 3600 * 1000,
            states_max: 50_000_000,
            memory_max: u64::MAX,
            runs: 1_000,
            seed: 0,
            tie_break: TieBreak::ActorOrder,
            pct_depth: 3,
            probe_runs: 64,
            symmetry: true,
            private_steps: true,
            sleep_sets: false,
            shrink_runs_max: 4_000,
            shrink_states_max: 2_000_000,
            threads: 1,
            shard: 0,
            shards: 1,
            stop: None,
            progress: None,
            example: false,
        }
    }
}

impl Config {
    pub fn with_steps_max(mut self, v: u64) -> Self {
        self.steps_max = v;
        self
    }
    pub fn with_time_ms_max(mut self, v: Time) -> Self {
        self.time_ms_max = v;
        self
    }
    pub fn with_states_max(mut self, v: u64) -> Self {
        self.states_max = v;
        self
    }
    pub fn with_memory_max(mut self, v: u64) -> Self {
        self.memory_max = v;
        self
    }
    /// Whether the caller has raised the stop flag (a wall-clock budget, an interrupt).
    pub fn stopped(&self) -> bool {
        self.stop
            .as_ref()
            .is_some_and(|s| s.load(std::sync::atomic::Ordering::Relaxed))
    }
    pub fn with_runs(mut self, v: u64) -> Self {
        self.runs = v;
        self
    }
    pub fn with_seed(mut self, v: u64) -> Self {
        self.seed = v;
        self
    }
    pub fn with_tie_break(mut self, v: TieBreak) -> Self {
        self.tie_break = v;
        self
    }
    pub fn with_probe_runs(mut self, v: u64) -> Self {
        self.probe_runs = v;
        self
    }
    pub fn with_pct_depth(mut self, v: u64) -> Self {
        self.pct_depth = v;
        self
    }
    pub fn with_symmetry(mut self, v: bool) -> Self {
        self.symmetry = v;
        self
    }
    pub fn with_private_steps(mut self, v: bool) -> Self {
        self.private_steps = v;
        self
    }
    pub fn with_sleep_sets(mut self, v: bool) -> Self {
        self.sleep_sets = v;
        self
    }
    pub fn with_threads(mut self, v: u64) -> Self {
        self.threads = v;
        self
    }
}

/// The budget that ran out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Limit {
    Steps,
    Horizon,
    States,
    /// A scripted run reached a choice the scenario leaves open.
    OpenChoice,
    /// Stopped from outside (a wall-clock budget, an interrupt).
    Stopped,
    /// The visited set would outgrow [`Config::memory_max`].
    Memory,
    /// A run can step forever at one instant (a cycle of moves that never lets the clock
    /// advance, as a loop that only yields): the later part of the scenario, and every
    /// deadline after that instant, is never reached, so no verdict over the space is sound.
    /// Found where the depth-first search comes back to a world on its own path (see
    /// `exhaustive::closes_cycle`): a reported stall is real; a fair cycle the search never
    /// closes in one piece, or one that crosses two threads' or shards' paths, goes unseen.
    TimeStalls,
}

impl Limit {
    pub fn reason(self) -> &'static str {
        match self {
            Limit::Steps => "steps-max",
            Limit::Horizon => "time-max",
            Limit::States => "states-max",
            Limit::OpenChoice => "open-choice",
            Limit::Stopped => "stopped",
            Limit::Memory => "memory",
            Limit::TimeStalls => "time-stalls",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Verdict {
    /// No checked property was violated anywhere the explorer looked, and no budget ran out.
    Holds,
    /// Property `property` (index into the model's list) is violated.
    Violated { property: PropIdx },
    /// A budget ran out before a verdict could be reached.
    Inconclusive(Limit),
}

/// The bytes a visited set holding `keys` keys has needed at its peak: its table (a power of
/// two of 8-byte slots, at least the first table's 2^18, grown when [`load_limit`] keys are
/// reached) plus the half-size table it was copied from in its last growth. Sleep records and
/// the search's own path come on top; they are small beside the table.
///
/// [`load_limit`]: crate::fingerprint::load_limit
pub fn visited_bytes(keys: u64) -> u64 {
    let mut slots: u64 = 1 << 18;
    while (crate::fingerprint::load_limit(slots as usize) as u64) < keys {
        slots *= 2;
    }
    slots * 8 + slots * 4
}

/// What an exploration found.
#[derive(Clone, Debug)]
pub struct Report {
    pub strategy: Strategy,
    pub verdict: Verdict,
    /// Distinct states visited (exhaustive only; 0 where not counted).
    pub states: u64,
    /// Executions: runs for scripted/random, completed paths for exhaustive.
    pub schedules: u64,
    /// Moves applied in all.
    pub steps: u64,
    /// The schedule that reaches the violation.
    pub counterexample: Option<Schedule>,
    /// Index of the random run that found the counterexample.
    pub failing_run: Option<u64>,
    /// The exhaustive explorer's random probe found a violation of the first-listed property,
    /// which is then the verdict without a search.
    pub found_by_probe: bool,
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Verdict::Holds => f.write_str("holds"),
            Verdict::Violated { property } => write!(f, "violated:#{property}"),
            Verdict::Inconclusive(l) => write!(f, "inconclusive:{}", l.reason()),
        }
    }
}
