//! Protocol `prewarm-lock`: eve's sandbox template prewarm lock (seed 003, protocols.md §4):
//! the original, PR #441 and the maintainer rewrite as variants of one model written on the
//! simulated filesystem and process table of `sim::world`.

mod invariants;
mod model;
mod spec;
mod version;

use lockstep_sim::Property;

use crate::models::loaded::{Builds, Loaded};
use crate::protocol::{FaultInfo, LoadedScenario, ProtocolInfo, VariantInfo};
use crate::scenario::{self, ScenarioError, Source};

pub use model::{Move, PrewarmLockModel, World};
pub use spec::{Spec, POINTS};
pub use version::Version;

pub struct PrewarmLock;

pub static PROTOCOL: PrewarmLock = PrewarmLock;

const VARIANTS: &[VariantInfo] = &version::VARIANTS;

const FAULTS: &[FaultInfo] = &[
    FaultInfo { name: "crash_at_ms / crash_at", summary: "[[actor]]: kill -9 at an instant, or right after the step that reaches a named point (claimed, prewarming, reclaim-judged, intent-created, tombstoned)" },
    FaultInfo { name: "pause_at_ms / pause_at + pause_ms", summary: "[[actor]]: SIGSTOP at an instant or a named point, SIGCONT pause_ms later (kill(pid, 0) still succeeds)" },
    FaultInfo { name: "kills_max / pauses_max", summary: "[faults]: kill (or pause for pause_ms) any listed actor at any step, at most this many times per run" },
    FaultInfo { name: "pid_reused_at_ms", summary: "[[actor]]: once the actor is dead, its pid goes to an unrelated live process (uid pid_reused_uid)" },
    FaultInfo { name: "host / hostname / skew_ms", summary: "[[params.host]]: hosts with their own pid namespace, hostname (two may share one) and clock skew; each host stamps the mtimes it writes" },
    FaultInfo { name: "records_hostname", summary: "[[actor]]: false writes owner.json without a hostname (a holder from before PR #441)" },
    FaultInfo { name: "syscall", summary: "[faults]: the next op on a path (parent, lock, owner.json, recovery, tombstone-<a>, intent-<a>, released-<a>) fails with ENOENT, EBUSY, ENOSPC, EIO, EACCES or EPERM, armed at at_ms; `times = N`: the next N such calls fail" },
];

impl ProtocolInfo for PrewarmLock {
    fn id(&self) -> &'static str {
        "prewarm-lock"
    }
    fn summary(&self) -> &'static str {
        "eve's sandbox template prewarm lock: an mkdir lock with owner.json, pid liveness, and (maintainer rewrite) recovery intents and tombstones"
    }
    fn variants(&self) -> &'static [VariantInfo] {
        VARIANTS
    }
    fn invariants(&self) -> &'static [Property] {
        invariants::props()
    }
    fn faults(&self) -> &'static [FaultInfo] {
        FAULTS
    }
    fn reachable(&self) -> Vec<Property> {
        crate::models::env::reach_targets(spec::POINTS)
    }
    fn keys(&self) -> [&'static [&'static str]; 3] {
        scenario::sections_of::<spec::Params, spec::ActorFile, crate::models::env::FaultsFile>()
    }
    fn schema(&self) -> [serde_json::Value; 3] {
        scenario::schema::sections_schema::<
            spec::Params,
            spec::ActorFile,
            crate::models::env::FaultsFile,
        >()
    }
    fn load(&self, src: &Source) -> Result<Box<dyn LoadedScenario>, ScenarioError> {
        let file: spec::PrewarmLockFile = scenario::parse(src)?;
        let meta = scenario::validate_meta(src, &file, &self.catalogue())?;
        let spec = spec::validate(src, &file)?;
        Ok(Box::new(Loaded::<PrewarmLock> { meta, spec }))
    }
}

/// Builds the model of `spec` for one version, checking `checked` (in order).
pub fn build(spec: &Spec, version: Version, checked: &[Property]) -> PrewarmLockModel {
    let checks = checked
        .iter()
        .map(|p| invariants::by_id(p.id).expect("validated invariant"))
        .collect();
    PrewarmLockModel::new(spec.clone(), version, checks, checked.to_vec())
}

impl Builds for PrewarmLock {
    type Spec = Spec;
    type Model = PrewarmLockModel;
    fn model(spec: &Spec, variant: &str, checked: &[Property]) -> PrewarmLockModel {
        let version = Version::from_name(variant).expect("variant validated at load");
        build(spec, version, checked)
    }
    fn reach_model(spec: &Spec, variant: &str, target: Property) -> PrewarmLockModel {
        let version = Version::from_name(variant).expect("variant validated at load");
        let index = crate::models::env::reach_index(spec::POINTS, target.id);
        PrewarmLockModel::for_reach(spec.clone(), version, target, index)
    }
}
