//! A protocol file's `module`: another protocol the file's actors call into, one instance per
//! key (the isolate's module state holds the init lock, one per generation), and how a
//! scenario's keys divide between the two.
//!
//! The scenario names the guest's variant under the module's name (`init_lock = "v0-flag"`),
//! and gives the guest's parameters and its actors' keys with the module's prefix
//! (`init_deadline_ms`, `init_outcome`); a guest key that already starts with the prefix is
//! given as it is (`init_ms` for the init lock's `init`). Everything else is the host's.

use std::sync::Arc;

use lockstep_sim::compose::Origin;
use lockstep_sim::machine::Program;
use toml::Spanned;

use super::registry::Module;
use super::Protocol;
use crate::scenario::keyed::Table;
use crate::scenario::{at, ScenarioError, Source};

/// A scenario's keys, divided: the guest's variant, parameters and actor keys (under their
/// own names), and what is left for the host.
pub struct Split {
    pub variant: Option<Spanned<String>>,
    pub host_params: Table,
    pub guest_params: Table,
    pub host_actors: Vec<Spanned<Table>>,
    pub guest_actors: Vec<Spanned<Table>>,
}

impl Module {
    /// The guest's own name for a scenario key, if the key is the guest's.
    fn guest_key<'a>(&self, key: &'a str, declared: impl Fn(&str) -> bool) -> Option<&'a str> {
        match key.strip_prefix(self.prefix.as_str()) {
            Some(rest) if declared(rest) => Some(rest),
            Some(_) if declared(key) => Some(key),
            _ => None,
        }
    }

    pub fn split(
        &self,
        src: &Source,
        params: Option<&Table>,
        actors: &[Spanned<Table>],
        host: &Protocol,
    ) -> Result<Split, ScenarioError> {
        let g = &self.guest.protocol;
        let mut out = Split {
            variant: None,
            host_params: Table::new(),
            guest_params: Table::new(),
            host_actors: Vec::new(),
            guest_actors: Vec::new(),
        };
        for (k, v) in params.into_iter().flatten() {
            if k.get_ref() == &self.name {
                let toml::Value::String(name) = v.get_ref() else {
                    return Err(at(
                        src,
                        v,
                        format!("`{}` names a variant of the module, in quotes", self.name),
                    ));
                };
                out.variant = Some(Spanned::new(v.span(), name.clone()));
            } else if let Some(own) =
                self.guest_key(k.get_ref(), |x| g.params.iter().any(|d| d.key == x))
            {
                out.guest_params
                    .insert(Spanned::new(k.span(), own.to_string()), v.clone());
            } else {
                out.host_params.insert(k.clone(), v.clone());
            }
        }
        let guest_kind = &g.kinds[0];
        for entry in actors {
            let (mut mine, mut theirs) = (Table::new(), Table::new());
            for (k, v) in entry.get_ref() {
                let key = k.get_ref().as_str();
                let host_has = host
                    .kinds
                    .iter()
                    .any(|kd| kd.params.iter().any(|d| d.key == key));
                let own = self.guest_key(key, |x| guest_kind.params.iter().any(|d| d.key == x));
                match own {
                    _ if key == "name" => {
                        mine.insert(k.clone(), v.clone());
                        theirs.insert(k.clone(), v.clone());
                    }
                    Some(own) if !host_has => {
                        theirs.insert(Spanned::new(k.span(), own.to_string()), v.clone());
                    }
                    _ => {
                        mine.insert(k.clone(), v.clone());
                    }
                }
            }
            out.host_actors.push(Spanned::new(entry.span(), mine));
            out.guest_actors.push(Spanned::new(entry.span(), theirs));
        }
        Ok(out)
    }

    /// The checked properties in the scenario's order, each the host's or the guest's, then
    /// each program's runtime error; and the ids each program checks.
    pub fn order(&self, checks: &[String]) -> (Vec<Origin>, Vec<String>, Vec<String>) {
        let g = &self.guest.protocol;
        let (mut order, mut host, mut guest) = (Vec::new(), Vec::new(), Vec::new());
        for id in checks {
            if g.props.iter().any(|p| &p.name == id) {
                order.push(Origin::Guest(guest.len() as u8));
                guest.push(id.clone());
            } else {
                order.push(Origin::Host(host.len() as u8));
                host.push(id.clone());
            }
        }
        order.push(Origin::Host(host.len() as u8));
        order.push(Origin::Guest(guest.len() as u8));
        (order, host, guest)
    }
}

/// What a scenario of a file with a module runs: the guest program (one per scenario: its
/// variant and parameters are the scenario's) and the order of the checked properties.
pub struct Nesting {
    pub guest: Arc<Program>,
    pub order: Vec<Origin>,
}
