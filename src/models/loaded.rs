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
    /// The model of `variant` checking `checked`, in order.
    fn model(spec: &Self::Spec, variant: &str, checked: &[Property]) -> Self::Model;
    /// The model of a reachability search for `target` on `variant`.
    fn reach_model(spec: &Self::Spec, variant: &str, target: Property) -> Self::Model;
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
    fn model(&self, variant: &str) -> B::Model {
        B::model(&self.spec, variant, &self.meta.invariants)
    }

    /// Searches for each of the scenario's reachability targets on `variant`.
    fn reach(&self, variant: &str, plan: &Plan) -> Vec<crate::reach::Reach> {
        self.meta
            .reachable
            .iter()
            .map(|t| crate::reach::search(&B::reach_model(&self.spec, variant, *t), t.id, plan))
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
        let mut o = engine::explore(&self.model(variant), plan);
        o.reached = self.reach(variant, plan);
        o
    }
    fn replay(&self, variant: &str, schedule: &Schedule, plan: &Plan) -> Result<Replayed, String> {
        engine::replay_model(&self.model(variant), schedule, plan)
    }
}
