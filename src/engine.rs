//! The glue between a concrete model and the protocol-agnostic rest of lockstep: run the
//! strategy a plan names, shrink what it finds, and turn a counterexample into a recorded
//! timeline.

use lockstep_sim::{
    check_exhaustive, check_pct, check_random, check_scripted, replay, shrink, Limit, Model,
    Report, Row, Schedule, Strategy, Verdict as Found,
};

use crate::scenario::Plan;
use crate::verdict::Verdict;

/// A counterexample with everything a reader needs.
#[derive(Clone, Debug)]
pub struct Replayed {
    pub verdict: Verdict,
    pub schedule: Schedule,
    pub rows: Vec<Row>,
    pub explanation: Option<String>,
    pub final_state: String,
    /// Moves of the counterexample as the explorer found it, before shrinking.
    pub original_moves: Option<usize>,
}

/// What exploring one (scenario, variant) found.
#[derive(Clone, Debug)]
pub struct Outcome {
    pub verdict: Verdict,
    pub report: Report,
    pub counterexample: Option<Replayed>,
    /// Set when shuttle, not a kernel explorer, backs the verdict (`report.strategy` is then
    /// `Random`, and `report.schedules` counts shuttle's executions).
    pub bridge: Option<crate::scenario::BridgeStrategy>,
    /// For a protocol file's exhaustive `holds`: the code no explored schedule executed.
    pub unreached: Option<Unreached>,
    /// The scenario's scheduled faults that took effect in no explored schedule (a `holds`
    /// says nothing about them), as the model names them.
    pub unfired: Vec<String>,
    /// The scenario's `[check] reachable` targets and what their searches found.
    pub reached: Vec<Reach>,
    /// The parameters the variant ran with (see `Model::parameters`).
    pub parameters: Vec<(&'static str, String)>,
}

/// What the search for one reachability target found (see `crate::reach`, which searches;
/// the type lives here because an [`Outcome`] carries it).
#[derive(Clone, Debug)]
pub enum ReachStatus {
    /// A witness: the fewest-moves schedule found that reaches the target (verdict
    /// `reached:<target>`).
    Reached(Box<Replayed>),
    /// A complete exhaustive search reached it in no world.
    Never,
    /// The search did not find it and did not prove it unreachable: a random or PCT run set,
    /// or a budget ran out (the kernel verdict, e.g. `inconclusive:states`).
    NotFound(String),
}

/// One declared target and what its search found.
#[derive(Clone, Debug)]
pub struct Reach {
    pub target: &'static str,
    pub status: ReachStatus,
}

impl Reach {
    pub fn reached(&self) -> bool {
        matches!(self.status, ReachStatus::Reached(_))
    }

    /// `reached`, `never` or the reason it was not found, as results print it.
    pub fn word(&self) -> String {
        match &self.status {
            ReachStatus::Reached(_) => "reached".to_string(),
            ReachStatus::Never => "never".to_string(),
            ReachStatus::NotFound(why) => format!("not found ({why})"),
        }
    }
}

/// The parts of a protocol file a complete exhaustive search never executed: a `holds` over
/// a scenario that never reaches a recovery path proves nothing about that path.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Unreached {
    /// The protocol file.
    pub file: String,
    /// Lines with code no explored step executed, ascending.
    pub lines: Vec<u32>,
    /// Branches one side of which no explored step took: (the branch's line, the line the
    /// side not taken goes to).
    pub branches: Vec<(u32, u32)>,
    /// Each unreached line's source, trimmed (for timelines and reports).
    #[serde(skip)]
    pub text: Vec<String>,
}

impl Outcome {
    /// The strategy's name as results print it (`shuttle` rather than the kernel's `random`).
    pub fn strategy_name(&self) -> &'static str {
        match self.bridge {
            Some(b) => b.name(),
            None => self.report.strategy.name(),
        }
    }
}

/// The kernel's verdict in the scenario's words.
pub fn verdict_of<M: Model>(model: &M, v: Found) -> Verdict {
    match v {
        Found::Holds => Verdict::Holds,
        Found::Violated { property } => Verdict::Violated(model.properties()[property as usize].id),
        Found::Inconclusive(Limit::Stopped) if crate::interrupt::raised() => {
            Verdict::Inconclusive("interrupted".into())
        }
        // The kernel's only other stop is the caller's wall-clock budget.
        Found::Inconclusive(Limit::Stopped) => Verdict::Inconclusive("wall-time-max".into()),
        Found::Inconclusive(l) => Verdict::Inconclusive(l.reason().into()),
    }
}

/// Explores `model` with the plan's strategy; a violation found by a search is shrunk, then
/// replayed into a timeline. A scripted run or a replayed schedule is the author's story and
/// is shown as written.
pub fn explore<M: Model>(model: &M, plan: &Plan) -> Outcome {
    let report = match plan.strategy {
        Strategy::Scripted => check_scripted(model, &plan.config),
        Strategy::Replay => return replay_plan(model, plan),
        Strategy::Exhaustive => check_exhaustive(model, &plan.config),
        Strategy::Random => check_random(model, &plan.config),
        Strategy::Pct => check_pct(model, &plan.config),
    };
    // Which faults fired is the set of worlds visited: fixed for a complete search and for a
    // single thread, but threads that stop at a violation visit a timing-dependent part of
    // the space, so that case reports none rather than a set that could change between runs.
    let racy = plan.strategy == Strategy::Exhaustive
        && plan.config.threads > 1
        && matches!(report.verdict, Found::Violated { .. });
    let unfired = if racy {
        Vec::new()
    } else {
        model.unfired_faults()
    };
    let parameters = model.parameters();
    let verdict = verdict_of(model, report.verdict);
    let counterexample = report.counterexample.as_ref().map(|found| {
        let (schedule, original) = match report.verdict {
            Found::Violated { property }
                if plan.strategy != Strategy::Scripted && plan.config.shrink_runs_max > 0 =>
            {
                let s = shrink(model, found, property, &plan.config);
                (s.schedule, Some(s.original_moves))
            }
            _ => (found.clone(), None),
        };
        let mut r = replay_model(model, &schedule, plan)
            .expect("a counterexample must replay on its own model");
        if matches!(report.verdict, Found::Violated { .. }) {
            assert_eq!(r.verdict, verdict, "replay disagrees with the explorer");
        }
        r.original_moves = original;
        r
    });
    Outcome {
        verdict,
        report,
        counterexample,
        bridge: None,
        unreached: None,
        unfired,
        reached: Vec::new(),
        parameters,
    }
}

/// A scenario whose `[explore]` pins a schedule (a regression written out from a shrunk
/// counterexample): the verdict is the replay's.
fn replay_plan<M: Model>(model: &M, plan: &Plan) -> Outcome {
    let schedule = plan.schedule.clone().unwrap_or_default();
    let replayed = replay_model(model, &schedule, plan);
    let (verdict, counterexample) = match replayed {
        Ok(r) => (r.verdict.clone(), r.verdict.is_violated().then_some(r)),
        Err(e) => (
            Verdict::Inconclusive(format!("replay-mismatch ({e})")),
            None,
        ),
    };
    Outcome {
        verdict,
        report: Report {
            strategy: Strategy::Replay,
            verdict: Found::Holds,
            states: 0,
            schedules: 1,
            steps: schedule.moves() as u64,
            counterexample: None,
            failing_run: None,
            found_by_probe: false,
        },
        counterexample,
        bridge: None,
        unreached: None,
        unfired: Vec::new(),
        reached: Vec::new(),
        parameters: Vec::new(),
    }
}

/// Replays `schedule` on `model`.
pub fn replay_model<M: Model>(
    model: &M,
    schedule: &Schedule,
    plan: &Plan,
) -> Result<Replayed, String> {
    let r = replay(model, schedule, &plan.config).map_err(|e| e.to_string())?;
    Ok(Replayed {
        verdict: verdict_of(model, r.verdict),
        schedule: schedule.clone(),
        rows: r.rows,
        explanation: r.explanation,
        final_state: r.final_state,
        original_moves: None,
    })
}
