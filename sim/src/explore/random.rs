//! Random schedules. Run i draws every choice from the child stream `fork(seed, i)`, so run i
//! is reproducible on its own (and a shard can run any subset of runs).
//!
//! - **random**: urgent moves uniformly; an optional move (a fault "at any point", an arrival
//!   that may also come later) with probability 1/4 when one is enabled; otherwise the clock
//!   advances.
//! - **pct** (probabilistic concurrency testing, Burckhardt et al.): every actor gets a random
//!   distinct priority; the highest-priority actor with an urgent move runs; at `depth - 1`
//!   random change points the running actor drops below every initial priority. A bug of depth
//!   d is found with probability at least 1/(n·k^(d-1)) per run (n actors, k steps).

use crate::explore::run::{run_one, Chooser, Options, RunEnd};
use crate::explore::{Config, Limit, Report, Strategy, Verdict};
use crate::model::Model;
use crate::narrate::Silent;
use crate::rng::Prng;
use crate::schedule::{Choice, Schedule};

/// Probability (numerator over 4) of taking an optional move when one is enabled.
const OPTIONAL_IN_4: u64 = 1;

struct Uniform(Prng);

impl<M: Model> Chooser<M> for Uniform {
    fn choose(&mut self, _: &M, _: &M::State, o: &Options<'_, M::Move>) -> Option<Choice> {
        let optional = o.moves.len() - o.urgent;
        if optional > 0 && (o.urgent == 0 && !o.can_advance || self.0.chance(OPTIONAL_IN_4, 4)) {
            return Some(Choice::Move(
                (o.urgent as u64 + self.0.below(optional as u64)) as u32,
            ));
        }
        if o.urgent > 0 {
            return Some(Choice::Move(self.0.below(o.urgent as u64) as u32));
        }
        o.can_advance.then_some(Choice::Advance)
    }
}

/// PCT over actors: priorities, change points, and the step counter.
struct Pct {
    rng: Prng,
    /// Priority per actor (higher runs first); assigned lazily as actors first appear.
    prio: [u64; 256],
    assigned: [bool; 256],
    change_points: Vec<u64>,
    steps: u64,
    depth: u64,
}

impl Pct {
    fn new(mut rng: Prng, depth: u64, horizon: u64) -> Self {
        let change_points = (1..depth).map(|_| 1 + rng.below(horizon.max(1))).collect();
        Pct {
            rng,
            prio: [0; 256],
            assigned: [false; 256],
            change_points,
            steps: 0,
            depth,
        }
    }

    fn priority(&mut self, actor: u8) -> u64 {
        let a = usize::from(actor);
        if !self.assigned[a] {
            // Initial priorities live above `depth`, so lowered ones (1..depth) rank below.
            self.prio[a] = self.depth + 1 + self.rng.below(1 << 40);
            self.assigned[a] = true;
        }
        self.prio[a]
    }
}

impl<M: Model> Chooser<M> for Pct {
    fn choose(&mut self, model: &M, _: &M::State, o: &Options<'_, M::Move>) -> Option<Choice> {
        let optional = o.moves.len() - o.urgent;
        if optional > 0 && (o.urgent == 0 && !o.can_advance || self.rng.chance(OPTIONAL_IN_4, 4)) {
            return Some(Choice::Move(
                (o.urgent as u64 + self.rng.below(optional as u64)) as u32,
            ));
        }
        if o.urgent == 0 {
            return o.can_advance.then_some(Choice::Advance);
        }
        // The highest-priority actor's urgent moves; among them (value alternatives), uniform.
        let mut best = 0u64;
        for m in &o.moves[..o.urgent] {
            best = best.max(self.priority(model.actor_of(*m)));
        }
        let mine: Vec<u32> = (0..o.urgent as u32)
            .filter(|&i| self.prio[usize::from(model.actor_of(o.moves[i as usize]))] == best)
            .collect();
        let pick = mine[self.rng.below(mine.len() as u64) as usize];
        let actor = model.actor_of(o.moves[pick as usize]);
        self.steps += 1;
        if let Some(k) = self.change_points.iter().position(|&c| c == self.steps) {
            self.prio[usize::from(actor)] = 1 + k as u64;
        }
        Some(Choice::Move(pick))
    }
}

/// Which runs a random exploration makes: all of `0..runs`, or the ones of one shard.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RunSet {
    pub shard: u64,
    pub shards: u64,
}

impl Default for RunSet {
    fn default() -> Self {
        RunSet {
            shard: 0,
            shards: 1,
        }
    }
}

fn sample<M: Model>(
    model: &M,
    cfg: &Config,
    strategy: Strategy,
    seed: u64,
    runs: u64,
    set: RunSet,
) -> Report {
    let mut best: Option<(u8, u64, Schedule)> = None;
    let mut limit: Option<Limit> = None;
    let mut steps = 0;
    let mut done = 0;
    // PCT needs an estimate of the run length k: the longest run seen so far (at least 16).
    let mut horizon = 16;
    // With `cfg.example`: the first run's schedule, shown when nothing is violated.
    let mut example: Option<Schedule> = None;
    for i in (set.shard..runs).step_by(set.shards.max(1) as usize) {
        let rng = Prng::fork(seed, i);
        let r = if strategy == Strategy::Pct {
            run_one(
                model,
                &mut Pct::new(rng, cfg.pct_depth, horizon),
                cfg,
                &mut Silent,
            )
        } else {
            run_one(model, &mut Uniform(rng), cfg, &mut Silent)
        };
        done += 1;
        steps += r.steps;
        if let Some(p) = &cfg.progress {
            p.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        horizon = horizon.max(r.steps);
        if cfg
            .stop
            .as_ref()
            .is_some_and(|s| s.load(std::sync::atomic::Ordering::Relaxed))
        {
            limit.get_or_insert(Limit::Stopped);
            break;
        }
        if cfg.example && example.is_none() {
            example = Some(r.schedule.clone());
        }
        match r.end {
            RunEnd::Violated(p) if best.as_ref().is_none_or(|b| p < b.0) => {
                best = Some((p, i, r.schedule));
                if p == 0 {
                    break;
                }
            }
            RunEnd::Limit(l) if limit.is_none() => limit = Some(l),
            _ => {}
        }
    }
    let (verdict, cx, run) = match (best, limit) {
        (Some((p, i, s)), _) => (Verdict::Violated { property: p }, Some(s), Some(i)),
        (None, Some(l)) => (Verdict::Inconclusive(l), example, None),
        (None, None) => (Verdict::Holds, example, None),
    };
    Report {
        strategy,
        verdict,
        states: 0,
        schedules: done,
        steps,
        counterexample: cx,
        failing_run: run,
        found_by_probe: false,
    }
}

/// `cfg.runs` random runs. The verdict names the first property in the model's list that any
/// run violated (so it does not depend on which run found what first); the counterexample is
/// the first run, in run order, that violated it.
pub fn check_random<M: Model>(model: &M, cfg: &Config) -> Report {
    sample(
        model,
        cfg,
        Strategy::Random,
        cfg.seed,
        cfg.runs,
        RunSet {
            shard: cfg.shard,
            shards: cfg.shards,
        },
    )
}

/// `cfg.runs` PCT runs of depth `cfg.pct_depth`.
pub fn check_pct<M: Model>(model: &M, cfg: &Config) -> Report {
    sample(
        model,
        cfg,
        Strategy::Pct,
        cfg.seed,
        cfg.runs,
        RunSet {
            shard: cfg.shard,
            shards: cfg.shards,
        },
    )
}

/// A short random probe with a fixed seed, used by the exhaustive explorer before its search:
/// a shallow bug is then found in microseconds instead of after a depth-first detour.
pub(crate) fn probe<M: Model>(model: &M, cfg: &Config) -> Report {
    // A probe is a cheap first look: its runs are short (a run cut off here proves nothing
    // and costs nothing; the search that follows has the real budget).
    let mut short = cfg.clone();
    short.steps_max = cfg.steps_max.min(PROBE_STEPS_MAX);
    short.progress = None;
    let set = RunSet::default();
    sample(
        model,
        &short,
        Strategy::Random,
        PROBE_SEED,
        cfg.probe_runs,
        set,
    )
}

const PROBE_STEPS_MAX: u64 = 20_000;

const PROBE_SEED: u64 = 0x10c4_57e9;
