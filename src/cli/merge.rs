//! `lockstep merge SHARD.json ...`: combines the `check --json` outputs of `--shard I/N`
//! runs into the verdicts one unsharded run would give.
//!
//! Per (scenario, variant): violated if any shard found a violation, naming the property that
//! comes first in the scenario's `[check]` list among those found (the same rule as an
//! unsharded search); otherwise inconclusive if any shard ran out of budget; otherwise holds.
//! State counts add up (shards overlap in the breadth-first prefix they all visit).

use serde_json::Value;

use crate::cli::common::usage_error;
use crate::cli::{EXIT_MISMATCH, EXIT_OK};
use crate::models;
use crate::scenario::Source;

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
    verdicts: Vec<String>,
    expected: String,
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
                        expected: r["expected"].as_str().unwrap_or("").to_string(),
                        states: 0,
                        schedules: 0,
                        replay: None,
                    });
                    merged.len() - 1
                }
            };
            let m = &mut merged[i];
            m.verdicts
                .push(r["verdict"].as_str().unwrap_or("").to_string());
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
        let rank = |v: &str| -> usize {
            let id = v.trim_start_matches("violated:");
            order.iter().position(|o| o == id).unwrap_or(usize::MAX)
        };
        let verdict = if let Some(v) = m
            .verdicts
            .iter()
            .filter(|v| v.starts_with("violated:"))
            .min_by_key(|v| rank(v))
        {
            v.clone()
        } else if let Some(v) = m.verdicts.iter().find(|v| v.starts_with("inconclusive:")) {
            v.clone()
        } else {
            "holds".to_string()
        };
        let ok = verdict == m.expected;
        all_ok &= ok;
        out.push(serde_json::json!({
            "scenario": m.scenario,
            "variant": m.variant,
            "verdict": verdict,
            "expected": m.expected,
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
