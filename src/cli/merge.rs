//! `lockstep merge SHARD.json ...`: combines the `check --json` outputs of `--shard I/N`
//! runs into the verdicts one unsharded run would give.
//!
//! Per (scenario, variant): violated if any shard found a violation, naming the property that
//! comes first in the scenario's `[check]` list among those found (the same rule as an
//! unsharded search); otherwise reached if any shard reached the target; otherwise
//! inconclusive if any shard ran out of budget; otherwise holds. Verdicts are read back into
//! the engine's type, never compared as text.
//! State counts add up (shards overlap in the breadth-first prefix they all visit).

use serde_json::Value;

use crate::cli::common::usage_error;
use crate::cli::{EXIT_MISMATCH, EXIT_OK};
use crate::models;
use crate::scenario::Source;
use crate::verdict::Verdict;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The JSON outputs of `lockstep check --json --shard I/N`, one per shard.
    #[arg(required = true)]
    pub files: Vec<String>,
    /// Print the merged results as JSON.
    #[arg(long)]
    pub json: bool,
}

struct Merged {
    scenario: String,
    variant: String,
    verdicts: Vec<Verdict>,
    expected: Verdict,
    states: u64,
    schedules: u64,
    replay: Option<String>,
}

pub fn run(a: Args) -> u8 {
    let mut merged: Vec<Merged> = Vec::new();
    for f in &a.files {
        let doc: Value = match std::fs::read_to_string(f)
            .map_err(|e| e.to_string())
            .and_then(|t| serde_json::from_str(&t).map_err(|e| e.to_string()))
        {
            Ok(d) => d,
            Err(e) => {
                return usage_error(&format!(
                    "{f}: not the JSON of `lockstep check --json`: {e}"
                ))
            }
        };
        let Some(results) = doc["results"].as_array() else {
            return usage_error(&format!("{f}: no `results` array"));
        };
        for r in results {
            let (scenario, variant) = (
                r["scenario"].as_str().unwrap_or(""),
                r["variant"].as_str().unwrap_or(""),
            );
            let i = match merged
                .iter()
                .position(|m| m.scenario == scenario && m.variant == variant)
            {
                Some(i) => i,
                None => {
                    merged.push(Merged {
                        scenario: scenario.to_string(),
                        variant: variant.to_string(),
                        verdicts: Vec::new(),
                        expected: match verdict_of(f, &r["expected"]) {
                            Ok(v) => v,
                            Err(e) => return usage_error(&e),
                        },
                        states: 0,
                        schedules: 0,
                        replay: None,
                    });
                    merged.len() - 1
                }
            };
            let m = &mut merged[i];
            match verdict_of(f, &r["verdict"]) {
                Ok(v) => m.verdicts.push(v),
                Err(e) => return usage_error(&e),
            }
            m.states += r["states"].as_u64().unwrap_or(0);
            m.schedules += r["schedules"].as_u64().unwrap_or(0);
            if m.replay.is_none() {
                m.replay = r["replay"].as_str().map(str::to_string);
            }
        }
    }
    let mut out = Vec::new();
    let mut all_ok = true;
    for m in &merged {
        // The scenario's own order decides which violation names the merged verdict.
        let order: Vec<String> = Source::read(&m.scenario)
            .ok()
            .and_then(|s| models::load(&s).ok())
            .map(|l| {
                l.meta()
                    .invariants
                    .iter()
                    .map(|p| p.id.to_string())
                    .collect()
            })
            .unwrap_or_default();
        let verdict = merged_verdict(&m.verdicts, &order);
        let ok = verdict == m.expected;
        all_ok &= ok;
        out.push(serde_json::json!({
            "scenario": m.scenario,
            "variant": m.variant,
            "verdict": verdict.to_string(),
            "expected": m.expected.to_string(),
            "ok": ok,
            "states": m.states,
            "schedules": m.schedules,
            "shards": m.verdicts.len(),
            "replay": m.replay,
        }));
    }
    if a.json {
        let doc = serde_json::json!({ "ok": all_ok, "results": out });
        println!("{}", serde_json::to_string_pretty(&doc).expect("json"));
    } else {
        for r in &out {
            println!(
                "{}  {}  {}  {}  ({} shards, {} states)",
                r["scenario"].as_str().unwrap_or(""),
                r["variant"].as_str().unwrap_or(""),
                r["verdict"].as_str().unwrap_or(""),
                if r["ok"] == true { "ok" } else { "FAIL" },
                r["shards"],
                r["states"]
            );
        }
    }
    if all_ok {
        EXIT_OK
    } else {
        EXIT_MISMATCH
    }
}

/// A shard's verdict (or expectation) field, read back into the engine's type.
fn verdict_of(file: &str, field: &Value) -> Result<Verdict, String> {
    field
        .as_str()
        .ok_or_else(|| "no verdict".to_string())
        .and_then(str::parse)
        .map_err(|e| format!("{file}: not the JSON of `lockstep check --json`: {e}"))
}

/// One unsharded search's verdict from its shards' (`order`: the scenario's `[check]` list).
fn merged_verdict(verdicts: &[Verdict], order: &[String]) -> Verdict {
    let rank = |id: &str| order.iter().position(|o| o == id).unwrap_or(usize::MAX);
    let first_violated = verdicts
        .iter()
        .filter_map(Verdict::violated)
        .min_by_key(|id| rank(id));
    if let Some(id) = first_violated {
        return Verdict::Violated(id);
    }
    let reached = verdicts.iter().find(|v| matches!(v, Verdict::Reached(_)));
    let inconclusive = verdicts.iter().find(|v| v.is_inconclusive());
    reached.or(inconclusive).cloned().unwrap_or(Verdict::Holds)
}

#[cfg(test)]
mod tests {
    use super::merged_verdict;
    use crate::verdict::Verdict;

    #[test]
    fn shards_merge_as_one_search_would() {
        let order = ["max-active".to_string(), "bounded-wait".to_string()];
        let budget = Verdict::Inconclusive("states-max".into());
        let merge = |v: &[Verdict]| merged_verdict(v, &order);
        // The violation listed first in `[check]` names the verdict, whichever shard found it.
        assert_eq!(
            merge(&[
                Verdict::Violated("bounded-wait"),
                budget.clone(),
                Verdict::Violated("max-active")
            ]),
            Verdict::Violated("max-active")
        );
        // A target one shard reached is reached; a budget one shard ran out of is no pass.
        assert_eq!(
            merge(&[budget.clone(), Verdict::Reached("throws")]),
            Verdict::Reached("throws")
        );
        assert_eq!(merge(&[Verdict::Holds, budget.clone()]), budget);
        assert_eq!(merge(&[Verdict::Holds, Verdict::Holds]), Verdict::Holds);
    }
}
