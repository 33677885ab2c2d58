//! `lockstep replay TRACE`: a saved counterexample, re-executed.

use lockstep_sim::Schedule;

use crate::cli::common::{scenario_error, usage_error};
use crate::cli::{EXIT_MISMATCH, EXIT_OK};
use crate::models;
use crate::report::counterexample_block;
use crate::scenario::Source;
use crate::trace::{Trace, TRACE_FORMAT};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// A trace file written by `lockstep run --trace`.
    pub trace: String,
}

pub fn run(a: Args) -> u8 {
    let text = match std::fs::read_to_string(&a.trace) {
        Ok(t) => t,
        Err(e) => return usage_error(&format!("cannot read the trace `{}`: {e}", a.trace)),
    };
    let t: Trace = match serde_json::from_str(&text) {
        Ok(t) => t,
        Err(e) => {
            return usage_error(&format!(
                "{}:{}:{}: not a lockstep trace: {e}",
                a.trace,
                e.line(),
                e.column()
            ))
        }
    };
    if t.format != TRACE_FORMAT {
        return usage_error(&format!(
            "{}: trace format `{}`; this lockstep reads `{TRACE_FORMAT}`",
            a.trace, t.format
        ));
    }
    let src = match Source::read(&t.scenario) {
        Ok(s) => s,
        Err(e) => return scenario_error(&e),
    };
    if src.hash() != t.scenario_hash {
        return usage_error(&format!(
            "{}: the scenario `{}` changed since this trace was written (hash {} ≠ {}); re-run `lockstep run` to get a new trace",
            a.trace,
            t.scenario,
            src.hash(),
            t.scenario_hash
        ));
    }
    let loaded = match models::load_as(&src, t.interpreted) {
        Ok(l) => l,
        Err(e) => return scenario_error(&e),
    };
    if loaded.meta().protocol_hash != t.protocol_hash {
        return usage_error(&format!(
            "{}: the protocol file of `{}` changed since this trace was written; re-run `lockstep run` to get a new trace",
            a.trace, t.scenario
        ));
    }
    let Some(variant) = loaded.variants().iter().find(|v| v.name == t.variant) else {
        return usage_error(&format!("{}: unknown variant `{}`", a.trace, t.variant));
    };
    let schedule: Schedule = match t.schedule.parse() {
        Ok(s) => s,
        Err(e) => return usage_error(&format!("{}: {e}", a.trace)),
    };
    let plan = loaded.meta().plan.clone();
    match loaded.replay(variant.name, &schedule, &plan) {
        Ok(r) => {
            print!("{}", counterexample_block(loaded.meta(), variant.name, &r));
            // The trace file records the verdict as text.
            if r.verdict.to_string() != t.verdict {
                eprintln!(
                    "the replay's verdict {} differs from the recorded {}",
                    r.verdict, t.verdict
                );
                return EXIT_MISMATCH;
            }
            EXIT_OK
        }
        Err(e) => usage_error(&format!("{}: {e}", a.trace)),
    }
}
