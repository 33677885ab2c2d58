//! Random schedules: run i draws every choice from the child stream `fork(seed, i)`.

use crate::explore::run::{run_one, Chooser, Options, RunEnd};
use crate::explore::{Config, Limit, Report, Strategy, Verdict};
use crate::model::Model;
use crate::narrate::Silent;
use crate::rng::Prng;
use crate::schedule::Choice;

struct Uniform(Prng);

impl<M: Model> Chooser<M> for Uniform {
    fn choose(&mut self, _: &M, _: &M::State, o: &Options<'_, M::Move>) -> Option<Choice> {
        let n = o.moves.len() as u64 + u64::from(o.can_advance);
        if n == 0 {
            return None;
        }
        let k = self.0.below(n);
        Some(if k as usize == o.moves.len() {
            Choice::Advance
        } else {
            Choice::Move(k as u32)
        })
    }
}

/// `cfg.runs` random runs. The verdict names the first property in the model's list that any
/// run violated (so it does not depend on which run found what first); the counterexample is
/// the first run, in run order, that violated it.
pub fn check_random<M: Model>(model: &M, cfg: &Config) -> Report {
    let mut best: Option<(u8, u64, crate::Schedule)> = None;
    let mut limit: Option<Limit> = None;
    let mut steps = 0;
    let mut runs = 0;
    for i in 0..cfg.runs {
        let mut ch = Uniform(Prng::fork(cfg.seed, i));
        let r = run_one(model, &mut ch, cfg, &mut Silent);
        runs += 1;
        steps += r.steps;
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
        (None, Some(l)) => (Verdict::Inconclusive(l), None, None),
        (None, None) => (Verdict::Holds, None, None),
    };
    Report {
        strategy: Strategy::Random,
        verdict,
        states: 0,
        schedules: runs,
        steps,
        counterexample: cx,
        failing_run: run,
    }
}
