//! Protocol `isolate`: workerd's `abortIsolate()` (seed 001, protocols.md §2), the abort-all
//! plus lazy-recreate protocol, every version as a variant of one model. A scenario's module
//! state may hold emdash's init lock (`init_lock` in `[params]`): the init-lock model then runs
//! inside every isolate generation through the kernel's composition (`lockstep_sim::compose`),
//! fresh in each new generation.

mod invariants;
mod model;
mod spec;
mod version;

use std::sync::OnceLock;

use lockstep_sim::compose::{Guest, Idle, Nest, Origin, PropertyMap};
use lockstep_sim::{Property, Schedule};

use crate::engine::{self, Outcome, Replayed};
use crate::models::init_lock;
use crate::protocol::{FaultInfo, LoadedScenario, ProtocolInfo, VariantInfo};
use crate::scenario::{self, Meta, Plan, ScenarioError, Source};

pub use invariants::Inv;
pub use model::{IsolateModel, Move, World};
pub use spec::{Factory, Kind, Spec};
pub use version::{Reset, Version};

pub struct Isolate;

pub static PROTOCOL: Isolate = Isolate;

const VARIANTS: &[VariantInfo] = &version::VARIANTS;

const FAULTS: &[FaultInfo] = &[
    FaultInfo { name: "factory", summary: "how the worker factory behaves when startRequest calls it: ok, throws-once, throws-twice, throws-N (the first N calls throw), throws-always" },
    FaultInfo { name: "cancel_at_ms", summary: "the client goes away at an instant: the request's continuation is dropped (anchored init work keeps its IoContext)" },
    FaultInfo { name: "abort_after_ms", summary: "the handler calls abortIsolate() (w1: resetWorker()) this long after it starts" },
    FaultInfo { name: "split_abort", summary: "finer granularity than workerd: abortIsolate()'s rejection and its epoch reset are two steps (W-V2-d)" },
];

impl ProtocolInfo for Isolate {
    fn id(&self) -> &'static str {
        "isolate"
    }
    fn summary(&self) -> &'static str {
        "workerd's abortIsolate(): isolate generations, the abort epoch in-flight requests subscribe to, lazy recreation by a factory that may throw; module state may hold the init lock"
    }
    fn variants(&self) -> &'static [VariantInfo] {
        VARIANTS
    }
    /// The isolate's own invariants, then the init lock's (checkable when the module state
    /// holds one).
    fn invariants(&self) -> &'static [Property] {
        static P: OnceLock<Vec<Property>> = OnceLock::new();
        P.get_or_init(|| {
            let nested = init_lock::PROTOCOL.invariants().iter().map(|p| Property {
                // Built once per process: the summaries of a static list.
                summary: Box::leak(
                    format!(
                        "[the init lock in module state, judged in every generation] {}",
                        p.summary
                    )
                    .into_boxed_str(),
                ),
                ..*p
            });
            invariants::props().iter().copied().chain(nested).collect()
        })
    }
    fn faults(&self) -> &'static [FaultInfo] {
        FAULTS
    }
    fn reachable(&self) -> Vec<Property> {
        model::REACHABLE
            .iter()
            .map(|(id, summary)| crate::reach::property(id, summary))
            .collect()
    }
    fn keys(&self) -> [&'static [&'static str]; 3] {
        scenario::sections_of::<spec::Params, spec::ActorFile, spec::Faults>()
    }
    fn schema(&self) -> [serde_json::Value; 3] {
        scenario::schema::sections_schema::<spec::Params, spec::ActorFile, spec::Faults>()
    }
    fn load(&self, src: &Source) -> Result<Box<dyn LoadedScenario>, ScenarioError> {
        let (meta, spec) = parse_scenario(src)?;
        Ok(Box::new(Loaded { meta, spec }))
    }
}

/// Parses and validates an isolate scenario file into its common frame and its [`Spec`]
/// (for building models in code: [`build`], [`build_with_init_lock`]).
pub fn parse_scenario(src: &Source) -> Result<(Meta, Spec), ScenarioError> {
    {
        let file: spec::IsolateFile = scenario::parse(src)?;
        let meta = scenario::validate_meta(src, &file, &PROTOCOL.catalogue())?;
        let guest_checks: Vec<&str> = meta
            .invariants
            .iter()
            .filter(|p| invariants::by_id(p.id).is_none())
            .map(|p| p.id)
            .collect();
        let span = guest_checks.first().and_then(|id| {
            file.check
                .get_ref()
                .invariants
                .iter()
                .find(|s| s.get_ref() == id)
                .map(|s| s.span())
        });
        let spec = spec::validate(src, &file, &guest_checks, span)?;
        Ok((meta, spec))
    }
}

#[derive(Clone)]
struct Loaded {
    meta: Meta,
    spec: Spec,
}

/// The order of a scenario's checked invariants, as the isolate's own and the init lock's.
fn origins(checked: &[Property]) -> (Vec<Origin>, Vec<Inv>, Vec<Property>) {
    let mut order = Vec::new();
    let mut own = Vec::new();
    let mut guest = Vec::new();
    for p in checked {
        match invariants::by_id(p.id) {
            Some(i) => {
                order.push(Origin::Host(own.len() as u8));
                own.push(i);
            }
            None => {
                order.push(Origin::Guest(guest.len() as u8));
                guest.push(*p);
            }
        }
    }
    (order, own, guest)
}

fn assemble<G: Guest>(
    spec: &Spec,
    version: Version,
    checked: &[Property],
    guest: G,
    guest_props: &[Property],
) -> IsolateModel<G> {
    let (order, own, _) = origins(checked);
    let own_props: Vec<Property> = own
        .iter()
        .map(|i| {
            invariants::ALL
                .iter()
                .find(|(x, _)| x == i)
                .expect("known")
                .1
        })
        .collect();
    let (map, props) = PropertyMap::merge(&order, &own_props, guest_props);
    IsolateModel {
        spec: spec.clone(),
        version,
        reset: version.reset(spec.dynamic),
        checks: own,
        map,
        props,
        nest: Nest::new(guest),
        reach_target: None,
        classes: None,
        faults: lockstep_sim::faults::FaultLog::new(
            spec.actors
                .iter()
                .map(|a| {
                    a.cancel_at
                        .map(|t| format!("cancel_at_ms = {t} ({})", a.name))
                })
                .collect(),
        ),
    }
}

/// The isolate model of `spec` for one version, checking `checked` (in order): a plain
/// isolate. Panics if `spec` holds an init lock (use [`build_with_init_lock`]).
pub fn build(spec: &Spec, version: Version, checked: &[Property]) -> IsolateModel<Idle> {
    assert!(
        spec.init_lock.is_none(),
        "the module state holds an init lock"
    );
    let mut m = assemble(spec, version, checked, Idle, &[]);
    m.classes = request_classes(spec);
    m
}

/// The salt of each request's class of interchangeable requests (the first request like
/// it), or `None` when every request is alone in its class. Interchangeable: the same kind,
/// arrival, work and abort alternatives, and whether it calls the init lock; a request with a
/// scripted cancellation is never merged (its fault is reported per request).
fn request_classes(spec: &Spec) -> Option<[u64; spec::MAX_ACTORS]> {
    let alike = |a: &spec::ActorSpec, b: &spec::ActorSpec| {
        a.cancel_at.is_none()
            && b.cancel_at.is_none()
            && a.kind == b.kind
            && a.arrive == b.arrive
            && a.work == b.work
            && a.abort_after == b.abort_after
            && a.init == b.init
    };
    let mut salts = [0u64; spec::MAX_ACTORS];
    let mut merged = false;
    for (i, a) in spec.actors.iter().enumerate() {
        let class = spec.actors[..i]
            .iter()
            .position(|b| alike(a, b))
            .unwrap_or(i);
        merged |= class != i;
        salts[i] = lockstep_sim::fingerprint::mix(0x5851_f42d_4c95_7f2d ^ class as u64);
    }
    merged.then_some(salts)
}

/// The isolate model whose module state holds `spec`'s init lock, run as a guest in every
/// generation. Panics if `spec` has no init lock.
pub fn build_with_init_lock(
    spec: &Spec,
    version: Version,
    checked: &[Property],
) -> IsolateModel<init_lock::InitLockModel> {
    let il = spec
        .init_lock
        .as_ref()
        .expect("an init lock in the module state");
    let (_, _, guest_props) = origins(checked);
    let inner = init_lock::build(&il.spec, il.version, &guest_props);
    assemble(spec, version, checked, inner, &guest_props)
}

impl Loaded {
    fn version(variant: &str) -> Version {
        Version::from_name(variant).expect("variant validated at load")
    }

    /// The plain isolate's model, with symmetry reduction unless the plan turns it off.
    fn plain(&self, v: Version, checked: &[Property], plan: &Plan) -> IsolateModel<Idle> {
        let mut m = build(&self.spec, v, checked);
        if !plan.config.symmetry {
            m.classes = None;
        }
        m
    }
}

impl Loaded {
    /// Searches for each of the scenario's reachability targets (see `crate::reach`).
    fn reach(&self, v: Version, plan: &Plan) -> Vec<crate::reach::Reach> {
        self.meta
            .reachable
            .iter()
            .map(|&t| {
                if self.spec.init_lock.is_some() {
                    let m = aimed(build_with_init_lock(&self.spec, v, &[]), t);
                    crate::reach::search(&m, t.id, plan)
                } else {
                    let m = aimed(self.plain(v, &[], plan), t);
                    crate::reach::search(&m, t.id, plan)
                }
            })
            .collect()
    }

    /// Replays a witness of target `t` on the model its search ran (see [`Loaded::reach`]).
    fn replay_reach(
        &self,
        v: Version,
        t: Property,
        schedule: &Schedule,
        plan: &Plan,
    ) -> Result<Replayed, String> {
        let replayed = if self.spec.init_lock.is_some() {
            let m = aimed(build_with_init_lock(&self.spec, v, &[]), t);
            engine::replay_model(&m, schedule, plan)
        } else {
            let m = aimed(self.plain(v, &[], plan), t);
            engine::replay_model(&m, schedule, plan)
        };
        replayed.map(|r| crate::reach::as_witness(r, t.id))
    }
}

/// `m` made to check only "target `t` is never reached" (a validated target of
/// [`model::REACHABLE`]): a violation is a witness.
fn aimed<G: Guest>(mut m: IsolateModel<G>, t: Property) -> IsolateModel<G> {
    let index = model::REACHABLE
        .iter()
        .position(|(id, _)| *id == t.id)
        .expect("a validated target");
    m.reach_target = Some(index as u8);
    m.props = vec![t];
    m
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
        let v = Self::version(variant);
        let mut o = if self.spec.init_lock.is_some() {
            engine::explore(
                &build_with_init_lock(&self.spec, v, &self.meta.invariants),
                plan,
            )
        } else {
            engine::explore(&self.plain(v, &self.meta.invariants, plan), plan)
        };
        o.reached = self.reach(v, plan);
        o
    }
    fn replay(&self, variant: &str, schedule: &Schedule, plan: &Plan) -> Result<Replayed, String> {
        let v = Self::version(variant);
        if self.spec.init_lock.is_some() {
            engine::replay_model(
                &build_with_init_lock(&self.spec, v, &self.meta.invariants),
                schedule,
                plan,
            )
        } else {
            engine::replay_model(&build(&self.spec, v, &self.meta.invariants), schedule, plan)
        }
    }
    fn replay_witness(
        &self,
        variant: &str,
        target: Property,
        schedule: &Schedule,
        plan: &Plan,
    ) -> Result<Replayed, String> {
        self.replay_reach(Self::version(variant), target, schedule, plan)
    }
}
