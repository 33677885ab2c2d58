//! The glue between a concrete model and the protocol-agnostic rest of lockstep: run the
//! strategy a plan names, and turn a counterexample into a recorded timeline.

use lockstep_sim::{
    check_exhaustive, check_pct, check_random, check_scripted, replay, Model, Report, Row, Schedule, Strategy,
    Verdict,
};

use crate::scenario::Plan;

/// A counterexample with everything a reader needs.
#[derive(Clone, Debug)]
pub struct Replayed {
    pub verdict: String,
    pub schedule: Schedule,
    pub rows: Vec<Row>,
    pub explanation: Option<String>,
    pub final_state: String,
}

/// What exploring one (scenario, variant) found.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// `holds`, `violated:<id>` or `inconclusive:<reason>`.
    pub verdict: String,
    pub report: Report,
    pub counterexample: Option<Replayed>,
}

/// The verdict in the scenario's words.
pub fn verdict_text<M: Model>(model: &M, v: Verdict) -> String {
    match v {
        Verdict::Holds => "holds".to_string(),
        Verdict::Violated { property } => {
            format!("violated:{}", model.properties()[property as usize].id)
        }
        Verdict::Inconclusive(l) => format!("inconclusive:{}", l.reason()),
    }
}

/// Explores `model` with the plan's strategy; a violation is replayed into a timeline.
pub fn explore<M: Model>(model: &M, plan: &Plan) -> Outcome {
    let report = match plan.strategy {
        Strategy::Scripted | Strategy::Replay => check_scripted(model, &plan.config),
        Strategy::Exhaustive => check_exhaustive(model, &plan.config),
        Strategy::Random => check_random(model, &plan.config),
        Strategy::Pct => check_pct(model, &plan.config),
    };
    let verdict = verdict_text(model, report.verdict);
    let counterexample = report.counterexample.as_ref().map(|s| {
        let r =
            replay_model(model, s, plan).expect("a counterexample must replay on its own model");
        debug_assert_eq!(r.verdict, verdict, "replay disagrees with the explorer");
        r
    });
    Outcome {
        verdict,
        report,
        counterexample,
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
        verdict: verdict_text(model, r.verdict),
        schedule: schedule.clone(),
        rows: r.rows,
        explanation: r.explanation,
        final_state: r.final_state,
    })
}
