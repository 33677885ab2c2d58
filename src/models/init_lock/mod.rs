//! Protocol `init-lock`: emdash's reclaimable isolate init lock (seed 000, protocols.md §1),
//! every historical version as a variant of one model.

mod bridge;
mod invariants;
mod model;
mod spec;
mod version;

use lockstep_sim::oneof::OneOf;
use lockstep_sim::{Property, Schedule};

use crate::engine::{self, Outcome, Replayed};
use crate::protocol::{FaultInfo, LoadedScenario, ProtocolInfo, VariantInfo};
use crate::scenario::{self, Meta, Plan, ScenarioError, Source};

pub use model::{InitLockModel, Move, World};
pub use spec::{ActorSpec, Outcome as InitOutcome, Overrides, Spec};
pub use version::{LockKind, Version, PLATFORM_WALL_MS};

use model::LockConf;

pub struct InitLock;

pub static PROTOCOL: InitLock = InitLock;

const VARIANTS: &[VariantInfo] = &version::VARIANTS;

const FAULTS: &[FaultInfo] = &[
    FaultInfo { name: "cancel_at_ms", summary: "cancel the request at an instant: its continuation is dropped and its finally never runs, unless its init is anchored" },
    FaultInfo { name: "cancel_before_anchor", summary: "cancel the request in the after() microtask window, after init starts and before waitUntil lands" },
    FaultInfo { name: "outcome", summary: "how init ends: ok, fail, hang (never settles), throw-sync, cancelled (torn down when it would settle: no publish, no finally; an anchored init outliving the waitUntil grace)" },
    FaultInfo { name: "duplicated_module", summary: "the bundler duplicated the module: one lock per copy unless singletons live on globalThis" },
];

impl ProtocolInfo for InitLock {
    fn id(&self) -> &'static str {
        "init-lock"
    }
    fn summary(&self) -> &'static str {
        "emdash's reclaimable isolate init lock (initWithLock): cancelled owners, reclaim after a deadline, generation-gated release and publish"
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
    fn keys(&self) -> [&'static [&'static str]; 3] {
        scenario::sections_of::<spec::Params, spec::ActorFile, spec::Faults>()
    }
    fn schema(&self) -> [serde_json::Value; 3] {
        scenario::schema::sections_schema::<spec::Params, spec::ActorFile, spec::Faults>()
    }
    fn load(&self, src: &Source) -> Result<Box<dyn LoadedScenario>, ScenarioError> {
        let file: spec::InitLockFile = scenario::parse(src)?;
        let meta = scenario::validate_meta(src, &file, &self.catalogue())?;
        let checks: Vec<&str> = meta.invariants.iter().map(|p| p.id).collect();
        let spec = spec::validate(src, &file, &checks)?;
        Ok(Box::new(Loaded { meta, spec }))
    }
}

#[derive(Clone)]
struct Loaded {
    meta: Meta,
    spec: Spec,
}

impl Loaded {
    fn model(&self, variant: &str, plan: &Plan) -> InitLockModel {
        self.model_of(&self.spec, variant, plan)
    }

    fn model_of(&self, spec: &Spec, variant: &str, plan: &Plan) -> InitLockModel {
        let version = Version::from_name(variant).expect("variant validated at load");
        let mut m = build(spec, version, &self.meta.invariants);
        m.symmetric &= plan.config.symmetry;
        m
    }

    /// A scenario that leaves its structure open (`nested` or `duplicated_module` as
    /// `[false, true]`): one model per structure, the first move chooses.
    fn open_structure(&self, variant: &str, plan: &Plan) -> Option<OneOf<InitLockModel>> {
        if self.spec.structures.len() < 2 {
            return None;
        }
        let alts = self
            .spec
            .structures
            .iter()
            .map(|&(nested, duplicated)| {
                let spec = Spec {
                    nested,
                    duplicated,
                    ..self.spec.clone()
                };
                let label = format!("nested = {nested}, duplicated_module = {duplicated}");
                (label, self.model_of(&spec, variant, plan))
            })
            .collect();
        Some(OneOf::new(alts).expect("every structure checks the scenario's invariants"))
    }
}

/// Builds the model of `spec` for one version, checking `checked` (in order).
pub fn build(spec: &Spec, version: Version, checked: &[Property]) -> InitLockModel {
    let checks: Vec<invariants::Inv> = checked
        .iter()
        .map(|p| invariants::by_id(p.id).expect("validated invariant"))
        .collect();
    let mut spec = spec.clone();
    for a in &mut spec.actors {
        a.arrive.sort_unstable();
        a.arrive.dedup();
    }
    let (class_salts, symmetric) = symmetry_classes(&spec);
    let has = |i: invariants::Inv| checks.contains(&i);
    use invariants::Inv;
    let scripted_cancels = spec
        .actors
        .iter()
        .any(|a| a.cancel_at.is_some() || a.cancel_before_anchor);
    let windowed = spec
        .actors
        .iter()
        .enumerate()
        .filter(|(_, a)| a.cancel_window.is_some())
        .fold(0u8, |m, (i, _)| m | 1 << i);
    InitLockModel {
        faults: fault_log(&spec),
        anchor: spec.anchor.unwrap_or(version.anchors()) && version.anchors(),
        ghost_legit: has(Inv::MaxActive) || has(Inv::NoPrematureReclaim),
        ghost_waited: has(Inv::AbandonedReclaimed),
        ghost_published: has(Inv::GatedPublish),
        ghost_crons: has(Inv::OneCron),
        ghost_init_start: has(Inv::NoPrematureReclaim),
        levels: if spec.nested { 2 } else { 1 },
        conf: lock_confs(&spec, version),
        early_outcome: early_outcomes(&spec),
        watch_bounded_wait: has(Inv::BoundedWait),
        watch_abandoned: has(Inv::AbandonedReclaimed),
        spec,
        version,
        checks,
        props: checked.to_vec(),
        class_salts,
        symmetric,
        scripted_cancels,
        windowed,
    }
}

/// Each lock level's constants: the scenario's values, or the version's defaults (derived
/// deadlines and max wait from V2 on; no deadline and no max wait before V1).
fn lock_confs(spec: &Spec, version: Version) -> [LockConf; 2] {
    let kinds = if spec.nested {
        [LockKind::Runtime, LockKind::Db]
    } else {
        [spec.kind, spec.kind]
    };
    [0, 1].map(|l| {
        let o = spec.levels[l];
        let kind = kinds[l];
        if !version.reclaims() {
            return LockConf {
                kind,
                deadline: None,
                poll: o.poll.unwrap_or(version::DEFAULT_POLL_MS),
                max_wait: None,
                wait_bound: spec.wait_bound.unwrap_or(spec.wall),
                legit_init: o.legit_init,
            };
        }
        let deadline = o.deadline.unwrap_or_else(|| version.default_deadline(kind));
        let poll = o.poll.unwrap_or(version::DEFAULT_POLL_MS);
        let max_wait = o
            .max_wait
            .unwrap_or_else(|| version.default_max_wait(deadline));
        LockConf {
            kind,
            deadline: Some(deadline),
            poll,
            max_wait: Some(max_wait),
            wait_bound: spec.wait_bound.unwrap_or(max_wait + poll),
            legit_init: o.legit_init,
        }
    })
}

/// Per actor and level: whether its outcome is chosen when its init starts (a hang or a
/// synchronous throw decides what happens next at once; a nested runtime init always) rather
/// than when it settles.
fn early_outcomes(spec: &Spec) -> Vec<[bool; 2]> {
    spec.actors
        .iter()
        .map(|a| {
            [0, 1].map(|l| {
                (spec.nested && l == 0)
                    || a.outcome[l]
                        .iter()
                        .any(|o| matches!(o, InitOutcome::Hang | InitOutcome::ThrowSync))
            })
        })
        .collect()
}

/// Each actor's symmetry class (the first actor that behaves like it) as the salt of its
/// block hash, and whether any two actors share a class.
fn symmetry_classes(spec: &Spec) -> ([u64; spec::MAX_ACTORS], bool) {
    let class: Vec<u8> = spec
        .actors
        .iter()
        .map(|a| {
            spec.actors
                .iter()
                .position(|b| b.same_behaviour(a))
                .expect("an actor is like itself") as u8
        })
        .collect();
    let symmetric = class.iter().enumerate().any(|(i, &c)| usize::from(c) != i);
    let mut class_salts = [0u64; spec::MAX_ACTORS];
    for (salt, &c) in class_salts.iter_mut().zip(&class) {
        *salt = model::SALTS[usize::from(c)];
    }
    (class_salts, symmetric)
}

/// The scheduled faults, for the report of those that never fired.
fn fault_log(spec: &Spec) -> lockstep_sim::faults::FaultLog {
    lockstep_sim::faults::FaultLog::new(
        spec.actors
            .iter()
            .map(|a| match (a.cancel_at, a.cancel_before_anchor) {
                (Some(t), _) => Some(format!("cancel_at_ms = {t} ({})", a.name)),
                (None, true) => Some(format!("cancel_before_anchor ({})", a.name)),
                (None, false) => None,
            })
            .collect(),
    )
}

impl LoadedScenario for Loaded {
    fn meta(&self) -> &Meta {
        &self.meta
    }
    fn restricted(&self, invariants: &[Property]) -> Option<Box<dyn LoadedScenario>> {
        let meta = self.meta.restricted(invariants);
        Some(Box::new(Loaded {
            meta,
            ..self.clone()
        }))
    }
    fn explore(&self, variant: &str, plan: &Plan) -> Outcome {
        match self.open_structure(variant, plan) {
            Some(m) => engine::explore(&m, plan),
            None => engine::explore(&self.model(variant, plan), plan),
        }
    }
    fn replay(&self, variant: &str, schedule: &Schedule, plan: &Plan) -> Result<Replayed, String> {
        match self.open_structure(variant, plan) {
            Some(m) => engine::replay_model(&m, schedule, plan),
            None => engine::replay_model(&self.model(variant, plan), schedule, plan),
        }
    }
    fn check_independence(
        &self,
        variant: &str,
        plan: &Plan,
        max_states: u64,
    ) -> Result<u64, String> {
        lockstep_sim::check_independence(&self.model(variant, plan), &plan.config, max_states)
    }
    fn bridge(
        &self,
        variant: &str,
        layout: crate::bridge::Layout,
        plan: &Plan,
    ) -> Result<Box<dyn crate::bridge::Bridged>, crate::bridge::BridgeError> {
        if self.spec.structures.len() > 1 {
            return Err(crate::bridge::BridgeError::OpenChoice(
                "`nested` or `duplicated_module` is left open".into(),
            ));
        }
        let model = self.model(variant, plan);
        let b = bridge::bridge(&self.spec, model, layout, &plan.config)?;
        Ok(Box::new(b))
    }
}
