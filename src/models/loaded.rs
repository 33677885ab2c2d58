//! A loaded scenario of a file-lock protocol (the restart lock, the prewarm lock): its meta and
//! validated spec, explored per variant with its reachability targets searched beside, and
//! replayed. The protocol says how a variant's model is built ([`Builds`]).

use lockstep_sim::{Model, Property, Schedule};

use crate::engine::{self, Outcome, Replayed};
use crate::protocol::LoadedScenario;
use crate::scenario::{Meta, Plan};

/// How a protocol builds its model of a loaded spec.
pub trait Builds: 'static {
    type Spec: Clone + Send + Sync + 'static;
    type Model: Model;
    /// The model of `variant` checking `checked`, in order, with symmetry reduction between
    /// interchangeable actors when `symmetry` is on.
    fn model(spec: &Self::Spec, variant: &str, checked: &[Property], symmetry: bool)
        -> Self::Model;
    /// Each actor's name and pid (see [`LoadedScenario::process_ids`]).
    fn process_ids(spec: &Self::Spec) -> Vec<(String, i64)>;
    /// The model of a reachability search for `target` on `variant`.
    fn reach_model(
        spec: &Self::Spec,
        variant: &str,
        target: Property,
        symmetry: bool,
    ) -> Self::Model;
}

pub struct Loaded<B: Builds> {
    pub meta: Meta,
    pub spec: B::Spec,
}

impl<B: Builds> Clone for Loaded<B> {
    fn clone(&self) -> Self {
        Loaded {
            meta: self.meta.clone(),
            spec: self.spec.clone(),
        }
    }
}

impl<B: Builds> Loaded<B> {
    fn model(&self, variant: &str, plan: &Plan) -> B::Model {
        B::model(
            &self.spec,
            variant,
            &self.meta.invariants,
            plan.config.symmetry,
        )
    }

    /// Searches for each of the scenario's reachability targets on `variant`.
    fn reach(&self, variant: &str, plan: &Plan) -> Vec<crate::reach::Reach> {
        self.meta
            .reachable
            .iter()
            .map(|t| {
                let model = B::reach_model(&self.spec, variant, *t, plan.config.symmetry);
                crate::reach::search(&model, t.id, plan)
            })
            .collect()
    }
}

impl<B: Builds> LoadedScenario for Loaded<B> {
    fn meta(&self) -> &Meta {
        &self.meta
    }
    fn restricted(&self, invariants: &[Property]) -> Option<Box<dyn LoadedScenario>> {
        let meta = self.meta.restricted(invariants);
        Some(Box::new(Loaded::<B> {
            meta,
            spec: self.spec.clone(),
        }))
    }
    fn explore(&self, variant: &str, plan: &Plan) -> Outcome {
        let mut o = engine::explore(&self.model(variant, plan), plan);
        o.reached = self.reach(variant, plan);
        o
    }
    fn replay(&self, variant: &str, schedule: &Schedule, plan: &Plan) -> Result<Replayed, String> {
        engine::replay_model(&self.model(variant, plan), schedule, plan)
    }
    fn process_ids(&self) -> Vec<(String, i64)> {
        B::process_ids(&self.spec)
    }
    fn replay_witness(
        &self,
        variant: &str,
        target: Property,
        schedule: &Schedule,
        plan: &Plan,
    ) -> Result<Replayed, String> {
        let model = B::reach_model(&self.spec, variant, target, plan.config.symmetry);
        engine::replay_model(&model, schedule, plan).map(|r| crate::reach::as_witness(r, target.id))
    }
}

/// A file-lock protocol's catalogue entry ([`crate::protocol::ProtocolInfo`]) and its builder
/// ([`Builds`]), which differ between the restart lock and the prewarm lock only by their
/// names, types and tables. Used inside the protocol's module, next to its `spec`, `version`
/// and `invariants` modules and its `VARIANTS` and `FAULTS` tables.
macro_rules! file_lock_protocol {
    ($protocol:ident, $id:literal, $summary:literal, $file:ty, $model:ident) => {
        impl $crate::protocol::ProtocolInfo for $protocol {
            fn id(&self) -> &'static str {
                $id
            }
            fn summary(&self) -> &'static str {
                $summary
            }
            fn variants(&self) -> &'static [$crate::protocol::VariantInfo] {
                VARIANTS
            }
            fn invariants(&self) -> &'static [lockstep_sim::Property] {
                invariants::props()
            }
            fn faults(&self) -> &'static [$crate::protocol::FaultInfo] {
                FAULTS
            }
            fn reachable(&self) -> Vec<lockstep_sim::Property> {
                $crate::models::env::reach_targets(spec::POINTS)
            }
            fn keys(&self) -> [&'static [&'static str]; 3] {
                $crate::scenario::sections_of::<
                    spec::Params,
                    spec::ActorFile,
                    $crate::models::env::FaultsFile,
                >()
            }
            fn schema(&self) -> [serde_json::Value; 3] {
                $crate::scenario::schema::sections_schema::<
                    spec::Params,
                    spec::ActorFile,
                    $crate::models::env::FaultsFile,
                >()
            }
            fn load(
                &self,
                src: &$crate::scenario::Source,
            ) -> Result<Box<dyn $crate::protocol::LoadedScenario>, $crate::scenario::ScenarioError>
            {
                let file: $file = $crate::scenario::parse(src)?;
                let meta = $crate::scenario::validate_meta(src, &file, &self.catalogue())?;
                let spec = spec::validate(src, &file)?;
                Ok(Box::new($crate::models::loaded::Loaded::<$protocol> {
                    meta,
                    spec,
                }))
            }
        }

        /// Builds the model of `spec` for one version, checking `checked` (in order).
        pub fn build(
            spec: &spec::Spec,
            version: version::Version,
            checked: &[lockstep_sim::Property],
        ) -> $model {
            let checks = checked
                .iter()
                .map(|p| invariants::by_id(p.id).expect("validated invariant"))
                .collect();
            $model::new(spec.clone(), version, checks, checked.to_vec())
        }

        impl $crate::models::loaded::Builds for $protocol {
            type Spec = spec::Spec;
            type Model = $model;
            fn model(
                spec: &spec::Spec,
                variant: &str,
                checked: &[lockstep_sim::Property],
                symmetry: bool,
            ) -> $model {
                let version =
                    version::Version::from_name(variant).expect("variant validated at load");
                let mut model = build(spec, version, checked);
                model.symmetry = if symmetry { model.classes() } else { None };
                model
            }
            fn process_ids(spec: &spec::Spec) -> Vec<(String, i64)> {
                spec.actors
                    .iter()
                    .map(|a| (a.name.clone(), i64::from(a.env.pid)))
                    .collect()
            }
            fn reach_model(
                spec: &spec::Spec,
                variant: &str,
                target: lockstep_sim::Property,
                symmetry: bool,
            ) -> $model {
                let version =
                    version::Version::from_name(variant).expect("variant validated at load");
                let index = $crate::models::env::reach_index(spec::POINTS, target.id);
                // The model checks only "target never reached", so a violation is a witness.
                let mut model = $model::new(spec.clone(), version, Vec::new(), vec![target]);
                model.reach_target = Some(index);
                model.symmetry = if symmetry { model.classes() } else { None };
                model
            }
        }
    };
}
pub(crate) use file_lock_protocol;
