//! What every protocol model offers the rest of lockstep: its catalogue (variants,
//! invariants, fault moves) and a loader that turns a scenario file into something that can be
//! explored and replayed. The command line and the reports only ever see these traits.

use lockstep_sim::{Property, Schedule};

use crate::bridge::{BridgeError, Bridged, Layout};
use crate::engine::{Outcome, Replayed};
use crate::scenario::{Meta, Plan, ScenarioError, Source};

pub use crate::catalogue::{Catalogue, FaultInfo, VariantInfo};

pub trait ProtocolInfo: Sync {
    fn id(&self) -> &'static str;
    fn summary(&self) -> &'static str;
    fn variants(&self) -> &'static [VariantInfo];
    fn invariants(&self) -> &'static [Property];
    fn faults(&self) -> &'static [FaultInfo];
    /// Properties every scenario checks without listing them (a protocol file's
    /// `runtime-error`): an expectation may name them.
    fn always_checked(&self) -> &'static [Property] {
        &[]
    }
    /// The keys a scenario's `[params]`, `[[actor]]` and `[faults]` accept (from the loader's
    /// own types, see `crate::scenario::fields_of`).
    fn keys(&self) -> [&'static [&'static str]; 3] {
        [&[], &[], &[]]
    }
    /// JSON Schemas of `[params]`, one `[[actor]]` and `[faults]` (see
    /// `crate::scenario::schema`); by default tables of the [`keys`](Self::keys), any value.
    fn schema(&self) -> [serde_json::Value; 3] {
        self.keys().map(|keys| {
            let properties: serde_json::Map<String, serde_json::Value> = keys
                .iter()
                .map(|k| (k.to_string(), serde_json::json!({})))
                .collect();
            serde_json::json!({"type": "object", "properties": properties, "additionalProperties": false})
        })
    }
    /// The targets a scenario may name in `[check] reachable` (see `crate::reach`).
    fn reachable(&self) -> Vec<Property> {
        Vec::new()
    }
    /// Parses and validates a scenario file of this protocol.
    fn load(&self, src: &Source) -> Result<Box<dyn LoadedScenario>, ScenarioError>;
    /// The catalogue a scenario of this protocol is validated against.
    fn catalogue(&self) -> Catalogue {
        Catalogue {
            id: self.id(),
            variants: self.variants(),
            invariants: self.invariants(),
            always_checked: self.always_checked(),
            reachable: self.reachable(),
        }
    }
}

/// A validated scenario, ready to run against any of its protocol's variants.
pub trait LoadedScenario: Send + Sync {
    fn meta(&self) -> &Meta;
    /// Marks the scenario as run against a built-in protocol's shipped file.
    fn set_interpreted(&mut self) {}
    /// Replaces a replayed schedule (recorded on another model) by an exhaustive search for
    /// the same verdicts; whether the scenario could do so.
    fn search_instead_of_replay(&mut self) -> bool {
        false
    }
    /// Records the hash of the protocol file the scenario runs.
    fn set_protocol_hash(&mut self, _hash: String) {}
    /// The variants of the scenario's protocol.
    fn variants(&self) -> &'static [VariantInfo] {
        self.meta().variants
    }
    /// Explores `variant` as `plan` says. `variant` is one of the protocol's variant names.
    fn explore(&self, variant: &str, plan: &Plan) -> Outcome;
    /// The same scenario checking only `invariants` (a subset of its own, in order), for each
    /// invariant's own status; `None` where the scenario cannot be restricted.
    fn restricted(&self, _invariants: &[Property]) -> Option<Box<dyn LoadedScenario>> {
        None
    }
    /// Re-executes a schedule on `variant` and records its timeline.
    fn replay(&self, variant: &str, schedule: &Schedule, plan: &Plan) -> Result<Replayed, String>;

    /// Each process's name and pid, for protocols whose actors are processes: a reduction of
    /// a counterexample that would change one (default pids follow the actors' positions) is
    /// not taken, since the timeline would show pids the scenario never gives.
    fn process_ids(&self) -> Vec<(String, i64)> {
        Vec::new()
    }

    /// Re-executes a reachability witness (`run --reach TARGET --schedule S`): the schedule on
    /// `variant` with "never `target`" as its only property, as the search that found it ran,
    /// so the replay prints the witness again.
    fn replay_witness(
        &self,
        _variant: &str,
        _target: Property,
        _schedule: &Schedule,
        _plan: &Plan,
    ) -> Result<Replayed, String> {
        Err("this protocol has no reachability targets".into())
    }

    /// Checks `variant`'s independence declarations (the moves sleep sets may reorder) on up to
    /// `max_states` worlds: see `lockstep_sim::check_independence`. Returns the number of
    /// independent pairs checked; protocols that declare none have nothing to check.
    fn check_independence(
        &self,
        _variant: &str,
        _plan: &Plan,
        _max_states: u64,
    ) -> Result<u64, String> {
        Ok(0)
    }

    /// `variant` as a loom/shuttle [bridge](crate::bridge), if the protocol has a lane map and
    /// the scenario fits (no open value choices). `plan.config` gives the per-execution budgets.
    fn bridge(
        &self,
        _variant: &str,
        _layout: Layout,
        _plan: &Plan,
    ) -> Result<Box<dyn Bridged>, BridgeError> {
        Err(BridgeError::NoBridge {
            protocol: self.meta().protocol.to_string(),
        })
    }

    /// Explores `variant` as `plan` says: with a kernel explorer, or with shuttle through the
    /// bridge when the plan names `shuttle` or `shuttle-pct`. An error means the scenario
    /// cannot go through the bridge (a usage error).
    fn explore_plan(&self, variant: &str, plan: &Plan) -> Result<Outcome, BridgeError> {
        match plan.bridge {
            None => Ok(self.explore(variant, plan)),
            Some(strategy) => {
                let b = self.bridge(variant, Layout::Separate, plan)?;
                crate::bridge::explore(b.as_ref(), strategy, plan)
            }
        }
    }
}
