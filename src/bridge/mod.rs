//! # The bridge: a kernel [`Model`] run by loom and by shuttle
//!
//! **The problem.** The kernel's explorers ([`lockstep_sim::check_exhaustive`] and friends) walk
//! a model's state graph themselves. Loom and shuttle are independent checkers of *threaded*
//! code. Running the same protocol logic under all three, and requiring the same verdicts, is a
//! check of each of them: a disagreement is a bug in the kernel, in the model's step functions
//! or in this bridge.
//!
//! **How a model becomes threads.** The bridge runs the model's own step functions
//! ([`Model::moves`], [`Model::apply`], [`Model::advance`], [`Model::violated`]) unchanged,
//! over one world behind the checker's mutex:
//!
//! - Every move belongs to a **lane** (a [`Lanes`] map supplied per protocol): one lane per
//!   actor for its own steps, and, with [`Layout::Separate`], one *environment* lane per actor
//!   that the environment can act on (a cancellation at an instant). Each lane is one loom (or
//!   shuttle) thread; the lane of the first actor runs on the checker's main thread, so a
//!   scenario with n lanes needs n threads (loom allows [`LOOM_MAX_LANES`]).
//! - A lane thread takes the mutex, looks up the one move of its lane that is enabled, applies
//!   it, checks the properties, releases the mutex, and tries again. Which thread gets the mutex
//!   next is the checker's choice, so the checker orders the moves, exactly the choice the kernel
//!   makes among the moves enabled at an instant. A lane with no enabled move blocks on its own
//!   condition variable and is woken by the move that enables one of its moves: threads never
//!   spin, so loom's state space stays finite.
//! - **The virtual clock** is part of the world. After every move the thread that made it
//!   settles the world as the kernel does: if no urgent move is enabled anywhere (every actor
//!   waits on a timer), it lets time jump to [`Model::next_wake`] and checks the properties again,
//!   until some move is enabled or the run ends. Time never passes while a move is enabled.
//! - **Properties** are checked after every move and every clock jump, with the model's own
//!   [`Model::violated`]; the execution ends at the first violating world (the first violated
//!   property in the scenario's order) or when nothing can happen any more (then the at-end
//!   properties are judged).
//! - **What the checker chose is recorded as a kernel schedule**: the index of each applied
//!   move in the model's enabled list, and `t` for each clock jump. So a violation found by
//!   loom or shuttle replays with [`lockstep_sim::replay`] and prints a kernel timeline.
//!
//! **Verdicts** follow the kernel's: the first property in the scenario's order that any
//! execution violated (the search stops early only once the first property is violated), else
//! `inconclusive` if a budget ran out, else `holds`. Loom's verdict is exhaustive within its
//! preemption bound; shuttle's is evidence from N sampled executions, not proof.
//!
//! **Out of scope, refused with an error rather than approximated:**
//! - open value choices (ranges and alternatives: `arrive_ms = [0, 10]`): the kernel branches on
//!   them, threads cannot (the protocol's adapter refuses such scenarios up front);
//! - optional moves (a move the kernel may also decline): an execution that meets one ends with
//!   an error;
//! - two moves of one lane enabled at once: a lane is one thread and cannot choose between its
//!   own moves. With [`Layout::Separate`] this cannot happen for the init lock; with
//!   [`Layout::Merged`] (environment moves run on the actor's own thread, to save threads) an
//!   execution that meets it ends with an error, so a verdict under `Merged` also proves that
//!   merging lost nothing.
//!
//! **Running it.** `lockstep run FILE --strategy shuttle` (or `shuttle-pct`, with `--seed` and
//! `--runs`); `tests/gate/shuttle_models.rs` under plain `cargo test`; `tests/gate/loom_models.rs` under
//! `cargo test --features loom --test loom -- --test-threads=1 loom_models::`.
//!
//! A protocol plugs in by building a [`Bridge`] from its model (the init lock's adapter is
//! `models/init_lock/bridge.rs`), so this module knows no protocol.

mod runtime;

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

use lockstep_sim::fingerprint::{fingerprint, FingerprintSet};
use lockstep_sim::schedule::Choice;
use lockstep_sim::{Config, Limit, Model, PropIdx, Report, Schedule, Silent, Time, Verdict};

use crate::engine::{self, Outcome, Replayed};
use crate::scenario::{BridgeStrategy, Plan};

/// Most lanes loom can run: its thread limit (the main thread runs the first lane).
pub const LOOM_MAX_LANES: usize = 5;

/// Most lanes the bridge runs at all (lanes are kept in a 64-bit mask).
pub const MAX_LANES: usize = 64;

/// Which thread each move runs on. Implemented per protocol (see [`init_lock`]).
pub trait Lanes<M: Model>: Send + Sync + 'static {
    /// Number of lanes (threads).
    fn count(&self) -> usize;
    /// The lane a move belongs to, `< count()`.
    fn lane_of(&self, m: M::Move) -> usize;
    /// A name for a lane ("A", "A env").
    fn name(&self, lane: usize) -> String;
}

/// Where environment moves run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Layout {
    /// One environment thread per actor the environment acts on: every ordering of an
    /// environment move against the actor's own steps is the checker's to choose.
    #[default]
    Separate,
    /// Environment moves run on the actor's own thread (one thread fewer per such actor). Sound
    /// only while an actor's step and an environment move on it are never enabled at once; an
    /// execution where they are ends with [`BridgeError::Conflict`].
    Merged,
}

/// Why a scenario cannot go through the bridge, or why an execution could not be mapped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BridgeError {
    /// The protocol has no lane map.
    NoBridge { protocol: String },
    /// The scenario leaves a value open (a range or alternatives).
    OpenChoice(String),
    /// More lanes than the checker has threads.
    TooManyLanes {
        lanes: usize,
        max: usize,
        names: Vec<String>,
    },
    /// Two moves of one lane were enabled at once.
    Conflict(String),
    /// A move the kernel may decline was enabled.
    OptionalMove(String),
    /// `SHUTTLE_RANDOM_SEED` is set: shuttle would use it instead of the seed asked for.
    SeedOverride,
}

impl fmt::Display for BridgeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BridgeError::NoBridge { protocol } => write!(
                f,
                "protocol `{protocol}` has no loom/shuttle bridge; use a kernel strategy (scripted, exhaustive, random, pct)"
            ),
            BridgeError::OpenChoice(why) => write!(
                f,
                "{why}: the loom/shuttle bridge runs only scenarios without open value choices (ranges or alternatives); fix the value or use a kernel strategy (exhaustive, random, pct)"
            ),
            BridgeError::TooManyLanes { lanes, max, names } => write!(
                f,
                "the scenario needs {lanes} threads ({}) but the checker allows {max}",
                names.join(", ")
            ),
            BridgeError::Conflict(why) => write!(f, "the bridge cannot order two moves of one thread: {why}"),
            BridgeError::OptionalMove(why) => write!(f, "the bridge does not support optional moves: {why}"),
            BridgeError::SeedOverride => write!(
                f,
                "SHUTTLE_RANDOM_SEED is set, and shuttle would use it instead of the seed given; unset it and pass --seed"
            ),
        }
    }
}

impl std::error::Error for BridgeError {}

/// How one execution ended.
#[derive(Clone, Debug, PartialEq, Eq)]
enum End {
    Holds,
    Violated(PropIdx),
    Limit(Limit),
    Error(BridgeError),
}

/// The model and its lane map, shared by every thread of every execution.
struct Core<M: Model, L> {
    model: M,
    lanes: L,
    nprops: PropIdx,
    steps_max: u64,
    time_ms_max: Time,
}

/// The world behind the checker's mutex: the model's state plus the bridge's bookkeeping.
struct World<M: Model> {
    state: M::State,
    /// The kernel schedule of this execution so far.
    schedule: Vec<Choice>,
    steps: u64,
    end: Option<End>,
    /// The moves enabled now (the model's list, in its order).
    moves: Vec<M::Move>,
    /// Per lane: the index in `moves` of its enabled move.
    pending: Vec<Option<u32>>,
    /// Lanes blocked on their condition variable.
    waiting: u64,
    /// The earliest-listed violation so far and the schedule length that reached it: a run
    /// goes on past a later-listed one, as the kernel's explorers do.
    found: Option<(PropIdx, usize)>,
}

/// What a lane does after taking the mutex. Each carries the lanes to wake first.
///
/// The protocol keeps the checker's choices to real ones: a lane runs only while it has an
/// enabled move, so every point where two threads could take the mutex is a choice between two
/// moves. A lane that has nothing left parks without retaking the mutex.
enum Next {
    /// The run is over: wake every waiting lane (to leave), then leave.
    Stop(u64),
    /// Nothing (more) to do here: wake these lanes, then block until woken.
    Wait(u64),
    /// A move was made and this lane has another: wake these lanes, release the mutex (the
    /// checker may give it to a woken lane) and take it again.
    Again(u64),
}

/// One finished execution.
struct Run {
    end: End,
    schedule: Schedule,
    steps: u64,
}

impl<M: Model, L: Lanes<M>> Core<M, L> {
    fn start(&self) -> World<M> {
        let n = self.lanes.count();
        let mut w = World {
            state: self.model.initial(),
            schedule: Vec::new(),
            steps: 0,
            end: None,
            moves: Vec::new(),
            pending: vec![None; n],
            waiting: 0,
            found: None,
        };
        self.settle(&mut w);
        w
    }

    /// After a move (or at the start): check the properties, let time pass while nothing is
    /// urgent, and assign the enabled moves to their lanes.
    fn settle(&self, w: &mut World<M>) {
        for p in w.pending.iter_mut() {
            *p = None;
        }
        loop {
            let limit = w.found.map_or(self.nprops, |f| f.0);
            if let Some(p) = self.model.violated(&w.state, limit, false) {
                w.found = Some((p, w.schedule.len()));
                if p == 0 {
                    w.end = Some(End::Violated(p));
                    return;
                }
            }
            let limit = w.found.map_or(self.nprops, |f| f.0);
            w.moves.clear();
            let urgent = self.model.moves(&w.state, &mut w.moves);
            if w.moves.len() > urgent {
                let m = w.moves[urgent];
                w.end = Some(End::Error(BridgeError::OptionalMove(format!(
                    "`{}` of {} at {} ms",
                    self.model.move_label(&w.state, m),
                    self.model.actor_name(self.model.actor_of(m)),
                    self.model.now(&w.state)
                ))));
                return;
            }
            if urgent > 0 {
                break;
            }
            match self.model.next_wake(&w.state) {
                None => {
                    w.end = Some(match self.model.violated(&w.state, limit, true) {
                        Some(p) => End::Violated(p),
                        None => End::Holds,
                    });
                    return;
                }
                Some(to) if to > self.time_ms_max => {
                    w.end = Some(End::Limit(Limit::Horizon));
                    return;
                }
                Some(to) => {
                    self.model.advance(&mut w.state, to);
                    w.schedule.push(Choice::Advance);
                }
            }
        }
        if w.steps >= self.steps_max {
            w.end = Some(End::Limit(Limit::Steps));
            return;
        }
        for (i, &m) in w.moves.iter().enumerate() {
            let lane = self.lanes.lane_of(m);
            if let Some(j) = w.pending[lane] {
                let other = w.moves[j as usize];
                w.end = Some(End::Error(BridgeError::Conflict(format!(
                    "at {} ms, `{}` and `{}` are both enabled on thread {}",
                    self.model.now(&w.state),
                    self.label(&w.state, other),
                    self.label(&w.state, m),
                    self.lanes.name(lane)
                ))));
                return;
            }
            w.pending[lane] = Some(i as u32);
        }
    }

    fn label(&self, s: &M::State, m: M::Move) -> String {
        format!(
            "{} {}",
            self.model.actor_name(self.model.actor_of(m)),
            self.model.move_label(s, m)
        )
    }

    /// What lane `lane` does holding the mutex.
    fn next(&self, w: &mut World<M>, lane: usize) -> Next {
        if w.end.is_some() {
            return Next::Stop(Self::all_waiting(w));
        }
        let Some(i) = w.pending[lane] else {
            w.waiting |= 1 << lane;
            return Next::Wait(0);
        };
        let m = w.moves[i as usize];
        self.model.apply(&mut w.state, m, &mut Silent);
        w.steps += 1;
        w.schedule.push(Choice::Move(i));
        self.settle(w);
        if w.end.is_some() {
            return Next::Stop(Self::all_waiting(w));
        }
        let wake = Self::enabled_waiting(w);
        Self::resume(w, lane, wake)
    }

    /// `lane` goes on after waking `wake`: again if it has an enabled move, else it waits.
    fn resume(w: &mut World<M>, lane: usize, wake: u64) -> Next {
        if w.pending[lane].is_some() {
            Next::Again(wake)
        } else {
            w.waiting |= 1 << lane;
            Next::Wait(wake)
        }
    }

    /// The waiting lanes that have an enabled move, no longer marked waiting (to be woken).
    fn enabled_waiting(w: &mut World<M>) -> u64 {
        let enabled = w
            .pending
            .iter()
            .enumerate()
            .filter(|(_, p)| p.is_some())
            .fold(0u64, |acc, (l, _)| acc | 1 << l);
        let wake = w.waiting & enabled;
        w.waiting &= !wake;
        wake
    }

    /// Every waiting lane, no longer marked waiting (to be woken and leave).
    fn all_waiting(w: &mut World<M>) -> u64 {
        std::mem::take(&mut w.waiting)
    }

    fn finish(mut w: World<M>) -> Run {
        let end = match (w.end.expect("an execution ends with an outcome"), w.found) {
            (End::Error(e), _) => End::Error(e),
            (End::Violated(p), _) => End::Violated(p),
            (_, Some((p, len))) => {
                w.schedule.truncate(len);
                End::Violated(p)
            }
            (end, None) => end,
        };
        Run {
            end,
            schedule: Schedule(w.schedule),
            steps: w.steps,
        }
    }
}

/// What a loom or shuttle exploration found.
#[derive(Clone, Debug)]
pub struct BridgeReport {
    /// "loom", "shuttle" or "shuttle-pct".
    pub tool: &'static str,
    pub verdict: Verdict,
    /// Executions run.
    pub executions: u64,
    /// Moves applied in all executions.
    pub steps: u64,
    /// The kernel schedule of the first execution that violated the verdict's property.
    pub counterexample: Option<Schedule>,
    /// That execution's index (0-based), so `failing_run + 1` executions found it.
    pub failing_run: Option<u64>,
    /// Whether the search stopped early (the first property was violated).
    pub stopped_early: bool,
    /// How many of the executions applied distinct sequences of moves (when asked for): loom
    /// may run one kernel schedule several times when threads that have no move interleave
    /// differently.
    pub distinct_schedules: Option<u64>,
}

/// Accumulates executions into a verdict with the kernel's semantics.
#[derive(Default)]
struct Tally {
    executions: u64,
    steps: u64,
    best: Option<(PropIdx, u64, Schedule)>,
    limit: Option<Limit>,
    error: Option<BridgeError>,
    stopped_early: bool,
    /// Fingerprints of the distinct kernel schedules seen, when asked for.
    distinct: Option<FingerprintSet>,
    distinct_count: u64,
}

impl Tally {
    fn new(count_distinct: bool) -> Tally {
        Tally {
            distinct: count_distinct.then(FingerprintSet::default),
            ..Tally::default()
        }
    }

    /// Records one execution; true when the search should stop (an error, or the first
    /// property violated: nothing can beat it).
    fn record(&mut self, run: Run) -> bool {
        let i = self.executions;
        self.executions += 1;
        self.steps += run.steps;
        if let Some(set) = &mut self.distinct
            && set.insert(fingerprint(&run.schedule))
        {
            self.distinct_count += 1;
        }
        match run.end {
            End::Holds => false,
            End::Violated(p) => {
                if self.best.as_ref().is_none_or(|b| p < b.0) {
                    self.best = Some((p, i, run.schedule));
                }
                p == 0
            }
            End::Limit(l) => {
                self.limit.get_or_insert(l);
                false
            }
            End::Error(e) => {
                self.error.get_or_insert(e);
                true
            }
        }
    }

    fn report(self, tool: &'static str) -> Result<BridgeReport, BridgeError> {
        if let Some(e) = self.error {
            return Err(e);
        }
        let (verdict, counterexample, failing_run) = match (self.best, self.limit) {
            (Some((p, i, s)), _) => (Verdict::Violated { property: p }, Some(s), Some(i)),
            (None, Some(l)) => (Verdict::Inconclusive(l), None, None),
            (None, None) => (Verdict::Holds, None, None),
        };
        Ok(BridgeReport {
            tool,
            verdict,
            executions: self.executions,
            steps: self.steps,
            counterexample,
            failing_run,
            stopped_early: self.stopped_early,
            distinct_schedules: self.distinct.is_some().then_some(self.distinct_count),
        })
    }
}

fn take(t: &Mutex<Tally>) -> Tally {
    std::mem::take(&mut *t.lock().unwrap_or_else(PoisonError::into_inner))
}

/// Shuttle's schedulers, as the bridge offers them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShuttleScheduler {
    /// A uniformly random runnable thread at every scheduling point.
    Random,
    /// Probabilistic concurrency testing with this bug depth.
    Pct { depth: usize },
}

/// The PCT depth the bridge tests use; `--strategy shuttle-pct` takes `--pct-depth` (default 3,
/// as for the kernel's PCT).
pub const DEFAULT_PCT_DEPTH: usize = 3;

/// A shuttle search: scheduler, seed and number of executions.
#[derive(Clone, Debug)]
pub struct ShuttleConfig {
    pub scheduler: ShuttleScheduler,
    pub seed: u64,
    pub runs: u64,
    /// Count the distinct kernel schedules among the executions.
    pub count_distinct: bool,
    /// Set from outside (a wall-clock budget) to stop before the next execution; the verdict is
    /// then `inconclusive:wall-time-max` (or `interrupted`) unless a violation was found.
    pub stop: Option<Arc<std::sync::atomic::AtomicBool>>,
}

/// A loom search.
#[derive(Clone, Copy, Debug)]
pub struct LoomConfig {
    /// Loom's preemption bound (`None`: every interleaving).
    pub preemption_bound: Option<usize>,
    /// Loom's branch budget per execution (every mutex or condition-variable operation is a
    /// branch).
    pub max_branches: usize,
    /// Stop at the first execution that violates the first property (the kernel does the
    /// same). Off, loom explores everything, for counting.
    pub stop_early: bool,
    /// Count the distinct kernel schedules among the executions.
    pub count_distinct: bool,
}

impl Default for LoomConfig {
    fn default() -> Self {
        LoomConfig {
            preemption_bound: Some(2),
            max_branches: 100_000,
            stop_early: true,
            count_distinct: false,
        }
    }
}

/// A kernel model with its lane map, ready for loom and shuttle.
pub struct Bridge<M: Model, L> {
    core: Arc<Core<M, L>>,
}

impl<M, L> Bridge<M, L>
where
    M: Model + Send + Sync + 'static,
    M::State: Send,
    M::Move: Send,
    L: Lanes<M>,
{
    /// Wraps `model`. `cfg` supplies the per-execution budgets (`steps_max`, `time_ms_max`).
    pub fn new(model: M, lanes: L, cfg: &Config) -> Result<Self, BridgeError> {
        let n = lanes.count();
        if n == 0 || n > MAX_LANES {
            return Err(BridgeError::TooManyLanes {
                lanes: n,
                max: MAX_LANES,
                names: (0..n).map(|l| lanes.name(l)).collect(),
            });
        }
        let nprops = model.properties().len() as PropIdx;
        Ok(Bridge {
            core: Arc::new(Core {
                model,
                lanes,
                nprops,
                steps_max: cfg.steps_max,
                time_ms_max: cfg.time_ms_max,
            }),
        })
    }

    pub fn model(&self) -> &M {
        &self.core.model
    }

    /// Runs shuttle with `cfg`.
    pub fn shuttle(&self, cfg: &ShuttleConfig) -> Result<BridgeReport, BridgeError> {
        runtime::shuttle_check(&self.core, cfg)
    }

    /// Runs loom with `cfg`.
    #[cfg(feature = "loom")]
    pub fn loom(&self, cfg: &LoomConfig) -> Result<BridgeReport, BridgeError> {
        let n = self.core.lanes.count();
        if n > LOOM_MAX_LANES {
            return Err(BridgeError::TooManyLanes {
                lanes: n,
                max: LOOM_MAX_LANES,
                names: self.lane_names(),
            });
        }
        runtime::loom_check(&self.core, cfg)
    }

    pub fn lane_names(&self) -> Vec<String> {
        (0..self.core.lanes.count())
            .map(|l| self.core.lanes.name(l))
            .collect()
    }
}

/// A bridged scenario variant, as the command line and the tests see it (object safe).
pub trait Bridged: Send + Sync {
    /// The threads, by lane.
    fn lanes(&self) -> Vec<String>;
    /// The kernel's exhaustive explorer on the same model.
    fn kernel_exhaustive(&self, cfg: &Config) -> Report;
    /// [`count_schedules`] of the model.
    fn count_schedules(&self, cfg: &Config, cap: u64) -> Option<u64>;
    /// Shuttle.
    fn shuttle(&self, cfg: &ShuttleConfig) -> Result<BridgeReport, BridgeError>;
    /// Loom.
    #[cfg(feature = "loom")]
    fn loom(&self, cfg: &LoomConfig) -> Result<BridgeReport, BridgeError>;
    /// Replays a kernel schedule (one the bridge recorded) with the kernel.
    fn replay(&self, schedule: &Schedule, plan: &Plan) -> Result<Replayed, String>;
    /// The kernel's shrinker on a violating schedule: the shortest schedule it finds that
    /// violates `property`, and the moves of the original.
    fn shrink(
        &self,
        schedule: &Schedule,
        property: lockstep_sim::PropIdx,
        cfg: &Config,
    ) -> (Schedule, usize);
    /// A verdict in the scenario's words.
    fn verdict_of(&self, v: Verdict) -> crate::verdict::Verdict;
}

impl<M, L> Bridged for Bridge<M, L>
where
    M: Model + Send + Sync + 'static,
    M::State: Send,
    M::Move: Send,
    L: Lanes<M>,
{
    fn lanes(&self) -> Vec<String> {
        self.lane_names()
    }
    fn kernel_exhaustive(&self, cfg: &Config) -> Report {
        lockstep_sim::check_exhaustive(&self.core.model, cfg)
    }
    fn count_schedules(&self, cfg: &Config, cap: u64) -> Option<u64> {
        count_schedules(&self.core.model, cfg, cap)
    }
    fn shuttle(&self, cfg: &ShuttleConfig) -> Result<BridgeReport, BridgeError> {
        Bridge::shuttle(self, cfg)
    }
    #[cfg(feature = "loom")]
    fn loom(&self, cfg: &LoomConfig) -> Result<BridgeReport, BridgeError> {
        Bridge::loom(self, cfg)
    }
    fn replay(&self, schedule: &Schedule, plan: &Plan) -> Result<Replayed, String> {
        engine::replay_model(&self.core.model, schedule, plan)
    }
    fn shrink(
        &self,
        schedule: &Schedule,
        property: lockstep_sim::PropIdx,
        cfg: &Config,
    ) -> (Schedule, usize) {
        let s = lockstep_sim::shrink(&self.core.model, schedule, property, cfg);
        (s.schedule, s.original_moves)
    }
    fn verdict_of(&self, v: Verdict) -> crate::verdict::Verdict {
        engine::verdict_of(&self.core.model, v)
    }
}

/// How many distinct schedules the bridge can produce for `model`: every ordering of the moves
/// enabled at each instant, time jumping whenever nothing is urgent, each schedule ending at
/// its first violating world or when nothing can happen any more. This is the kernel's search
/// tree without deduplication of states, the number an unbounded loom exploration must match
/// (one execution per schedule). `None` if there are more than `cap`, or an optional move.
pub fn count_schedules<M: Model>(model: &M, cfg: &Config, cap: u64) -> Option<u64> {
    fn walk<M: Model>(
        model: &M,
        mut s: M::State,
        cfg: &Config,
        nprops: PropIdx,
        count: &mut u64,
        cap: u64,
    ) -> Option<()> {
        let mut moves = Vec::new();
        loop {
            if model.violated(&s, nprops, false).is_some() {
                break;
            }
            moves.clear();
            let urgent = model.moves(&s, &mut moves);
            if moves.len() > urgent {
                return None;
            }
            if urgent > 0 {
                for &m in &moves {
                    let mut child = s.clone();
                    model.apply(&mut child, m, &mut Silent);
                    walk(model, child, cfg, nprops, count, cap)?;
                }
                return Some(());
            }
            match model.next_wake(&s) {
                Some(to) if to <= cfg.time_ms_max => model.advance(&mut s, to),
                _ => break,
            }
        }
        *count += 1;
        (*count <= cap).then_some(())
    }
    let mut count = 0;
    let nprops = model.properties().len() as PropIdx;
    walk(model, model.initial(), cfg, nprops, &mut count, cap)?;
    Some(count)
}

/// Explores a [bridged](self) scenario variant with shuttle. A violation's schedule
/// (the moves the bridge applied, `t` for clock jumps) is replayed with the kernel, so it
/// prints a kernel timeline and replay command like any other counterexample.
pub fn explore(
    bridged: &dyn Bridged,
    strategy: BridgeStrategy,
    plan: &Plan,
) -> Result<Outcome, BridgeError> {
    let scheduler = match strategy {
        BridgeStrategy::Shuttle => ShuttleScheduler::Random,
        BridgeStrategy::ShuttlePct => ShuttleScheduler::Pct {
            depth: usize::try_from(plan.config.pct_depth).unwrap_or(usize::MAX),
        },
    };
    let found = bridged.shuttle(&ShuttleConfig {
        scheduler,
        seed: plan.config.seed,
        runs: plan.config.runs,
        count_distinct: false,
        stop: plan.config.stop.clone(),
    })?;
    let verdict = bridged.verdict_of(found.verdict);
    let counterexample = found.counterexample.as_ref().map(|s| {
        let r = bridged
            .replay(s, plan)
            .expect("a schedule the bridge recorded must replay on the kernel");
        assert_eq!(
            r.verdict, verdict,
            "the kernel's replay of the bridge's schedule {s} disagrees with the bridge"
        );
        // Shrunk like a kernel search's counterexample, then replayed again.
        match found.verdict {
            Verdict::Violated { property } if plan.config.shrink_runs_max > 0 => {
                let (shrunk, original) = bridged.shrink(s, property, &plan.config);
                let mut r = bridged
                    .replay(&shrunk, plan)
                    .expect("a shrunk schedule must replay on the kernel");
                assert_eq!(r.verdict, verdict, "shrinking changed the verdict");
                r.original_moves = Some(original);
                r
            }
            _ => r,
        }
    });
    Ok(Outcome {
        verdict,
        report: Report {
            strategy: lockstep_sim::Strategy::Random,
            verdict: found.verdict,
            states: 0,
            schedules: found.executions,
            steps: found.steps,
            counterexample: found.counterexample,
            failing_run: found.failing_run,
            found_by_probe: false,
        },
        counterexample,
        bridge: Some(strategy),
        unreached: None,
        unfired: Vec::new(),
        reached: Vec::new(),
        parameters: Vec::new(),
    })
}
