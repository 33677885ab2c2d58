//! Protocol `restart-lock`: the "fleet" restart lock (seed 002, protocols.md §3), V1 to V3 and
//! the two designs the seed's commit message rejects, as variants of one model written on the
//! simulated filesystem and process table of `sim::world`.

use crate::models::env;
mod invariants;
mod model;
mod spec;
mod version;

use lockstep_sim::Property;

use crate::models::loaded::{Builds, Loaded};
use crate::protocol::{FaultInfo, LoadedScenario, ProtocolInfo, VariantInfo};
use crate::scenario::{self, ScenarioError, Source};

pub use model::{Move, RestartLockModel, World};
pub use spec::{Spec, POINTS};
pub use version::Version;

pub struct RestartLock;

pub static PROTOCOL: RestartLock = RestartLock;

const VARIANTS: &[VariantInfo] = &version::VARIANTS;

const FAULTS: &[FaultInfo] = &[
    FaultInfo { name: "crash_at_ms / crash_at", summary: "[[actor]]: kill -9 at an instant, or right after the step that reaches a named point (mutex-created, mutex-held, reclaim-lock-held, restarting, temp-written, mutex-token-read, lock-token-read)" },
    FaultInfo { name: "pause_at_ms / pause_at + pause_ms", summary: "[[actor]]: SIGSTOP at an instant or a named point, SIGCONT pause_ms later (alive all along)" },
    FaultInfo { name: "kills_max / pauses_max", summary: "[faults]: kill (or pause for pause_ms) any listed actor at any step, at most this many times per run" },
    FaultInfo { name: "syscall", summary: "[faults]: the next op (open, write, close, rename, unlink, stat, readFile, ...) on a path (dir, L, M, RL, L.<actor>, M.aside-<actor>) fails with ENOENT, EBUSY, ENOSPC, EIO, EACCES or EPERM, armed at at_ms; `times = N`: the next N such calls fail" },
    FaultInfo { name: "host / skew_ms", summary: "[[params.host]] and [[actor]] host: processes on hosts whose clocks are skewed (mtimes are stamped by the calling host)" },
    FaultInfo { name: "pid_reused_at_ms", summary: "[[actor]]: a dead actor's pid goes to an unrelated live process (the restart lock never checks pids)" },
];

impl ProtocolInfo for RestartLock {
    fn id(&self) -> &'static str {
        "restart-lock"
    }
    fn summary(&self) -> &'static str {
        "the fleet restart lock (acquireRestartLock): a cross-process lock file with stale and max-wait takeover, serialized by a registry mutex in V3"
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
        env::reach_targets(spec::POINTS)
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
        let file: spec::RestartLockFile = scenario::parse(src)?;
        let meta = scenario::validate_meta(src, &file, &self.catalogue())?;
        let spec = spec::validate(src, &file)?;
        Ok(Box::new(Loaded::<RestartLock> { meta, spec }))
    }
}

/// Builds the model of `spec` for one version, checking `checked` (in order).
pub fn build(spec: &Spec, version: Version, checked: &[Property]) -> RestartLockModel {
    let checks = checked
        .iter()
        .map(|p| invariants::by_id(p.id).expect("validated invariant"))
        .collect();
    RestartLockModel::new(spec.clone(), version, checks, checked.to_vec())
}

impl Builds for RestartLock {
    type Spec = Spec;
    type Model = RestartLockModel;
    fn model(spec: &Spec, variant: &str, checked: &[Property]) -> RestartLockModel {
        let version = Version::from_name(variant).expect("variant validated at load");
        build(spec, version, checked)
    }
    fn reach_model(spec: &Spec, variant: &str, target: Property) -> RestartLockModel {
        let version = Version::from_name(variant).expect("variant validated at load");
        let index = crate::models::env::reach_index(spec::POINTS, target.id);
        RestartLockModel::for_reach(spec.clone(), version, target, index)
    }
}
