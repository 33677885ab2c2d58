//! Symmetry reduction for the restart lock (see `crate::models::symmetry`). What names a
//! contender in a world: its position, its process row, its pid (word 0 of a lock file's
//! `pid\nDate.now()\ntoken\n`), its token (word 2: position + 1), its temp file `L.<name>` and
//! aside file `M.aside-<name>`, the ghost owners of L, M and RL (position + 1, also carried by a
//! contender that moved M aside), and the actor that raised a damage flag.

use lockstep_sim::fingerprint::fingerprint;
use lockstep_sim::world::{Content, NameId, PathId, ProcId, Relabel};

use super::{Actor, Point, RestartLockModel, World};
use crate::models::symmetry::{Classes, Order};

/// A renaming of the contenders (see [`Order`]).
struct Renaming<'m> {
    model: &'m RestartLockModel,
    order: Order,
}

impl Renaming<'_> {
    fn actors(&self) -> usize {
        self.model.spec.actors.len()
    }

    fn actor(&self, a: usize) -> usize {
        self.order.actor(a)
    }

    fn owner(&self, o: u8) -> u8 {
        self.order.owner(o)
    }

    fn point(&self, pc: &Point) -> Point {
        match pc {
            Point::Temp(w) => Point::Temp(w.relabeled(self)),
            Point::WriteUnder(w) => Point::WriteUnder(w.relabeled(self)),
            Point::AsideStat(o) => Point::AsideStat(self.owner(*o)),
            Point::AsideRestore(o) => Point::AsideRestore(self.owner(*o)),
            other => *other,
        }
    }

    fn actor_state(&self, actor: &Actor) -> Actor {
        Actor {
            pc: self.point(&actor.pc),
            ..*actor
        }
    }

    fn world(&self, s: &World) -> World {
        let mut actors = s.actors;
        for (a, actor) in s.actors.iter().enumerate() {
            actors[self.actor(a)] = self.actor_state(actor);
        }
        World {
            now: s.now,
            fs: s.fs.relabeled(self),
            procs: s.procs.relabeled(&|p| self.process(p)),
            env: s.env,
            actors,
            owner_l: self.owner(s.owner_l),
            owner_m: self.owner(s.owner_m),
            owner_rl: self.owner(s.owner_rl),
            flags: s.flags,
            // Meaningful only once a flag is raised.
            flag_actor: if s.flags == 0 {
                s.flag_actor
            } else {
                self.actor(usize::from(s.flag_actor)) as u8
            },
            reached: s.reached,
        }
    }
}

impl Relabel for Renaming<'_> {
    fn name(&self, name: NameId) -> NameId {
        let m = self.model;
        for a in 0..self.actors() {
            let b = self.actor(a);
            if m.paths.name(m.tmp[a]) == name {
                return m.paths.name(m.tmp[b]);
            }
            if m.paths.name(m.aside[a]) == name {
                return m.paths.name(m.aside[b]);
            }
        }
        name
    }

    fn process(&self, p: ProcId) -> ProcId {
        ProcId(self.actor(usize::from(p.0)) as u8)
    }

    fn path(&self, p: PathId) -> PathId {
        let m = self.model;
        for a in 0..self.actors() {
            if m.tmp[a] == p {
                return m.tmp[self.actor(a)];
            }
            if m.aside[a] == p {
                return m.aside[self.actor(a)];
            }
        }
        p
    }

    fn content(&self, c: &Content) -> Content {
        // `pid\nDate.now()\ntoken\n`.
        self.order.content(c, &self.model.pids, (0, 2))
    }
}

impl RestartLockModel {
    /// The fingerprint of `s` with each class of interchangeable contenders in canonical order.
    pub(super) fn symmetric_fingerprint(&self, s: &World, classes: &Classes) -> u64 {
        let order = classes.order(self.spec.actors.len(), |a| self.member_key(s, a, classes));
        if order.is_identity() {
            // Already in canonical order: the renamed world would be `s` itself.
            return fingerprint(s);
        }
        fingerprint(&Renaming { model: self, order }.world(s))
    }

    /// What contender `a` is in `s`, with its names replaced by its class representative's:
    /// its own state (program point, writes in flight), its process's state, and whether it is
    /// the ghost owner of L, M or RL. The files are left out: looking them up cost more than
    /// the search saved, and the orbit test below finds every class member told apart without
    /// them on the catalogue's spaces; two members this key cannot tell apart keep their
    /// order, which costs reduction, never soundness.
    fn member_key(&self, s: &World, a: usize, classes: &Classes) -> u64 {
        let n = self.spec.actors.len();
        let as_representative = Renaming {
            model: self,
            order: Order::new(Classes::swap(n, a, classes.representative(a)), n),
        };
        let me = a as u8 + 1;
        fingerprint(&(
            as_representative.actor_state(&s.actors[a]),
            s.procs.state(ProcId(a as u8)),
            (s.owner_l == me, s.owner_m == me, s.owner_rl == me),
            s.flags != 0 && usize::from(s.flag_actor) == a,
        ))
    }
}

#[cfg(test)]
mod tests {
    use lockstep_sim::{check_exhaustive, Config, Verdict};

    use super::super::RestartLockModel;
    use crate::models::restart_lock::{build, spec, Version};
    use crate::models::symmetry::orbits::Orbits;
    use crate::scenario::{self, Source};

    fn model(path: &str, version: Version) -> RestartLockModel {
        let src = Source::read(path).expect("scenario");
        let file: spec::RestartLockFile = scenario::parse(&src).expect("parses");
        let spec = spec::validate(&src, &file).expect("valid");
        let checked = crate::models::load(&src)
            .expect("loads")
            .meta()
            .invariants
            .clone();
        build(&spec, version, &checked)
    }

    /// The reduced search visits exactly one world per orbit of the unreduced search's worlds:
    /// the renaming is canonical (no orbit split in two) and the contenders really are
    /// interchangeable (every orbit is reached from the representatives explored). Exact
    /// counts, over whole spaces: variants that hold their scenario's invariants.
    #[test]
    fn the_reduced_search_visits_one_world_per_orbit() {
        const HOLDING: [(&str, Version); 4] = [
            ("multi-breaker-3", Version::V3RegistryMutex),
            ("multi-breaker-2", Version::V3RegistryMutex),
            ("reclaim-recheck", Version::V3RegistryMutex),
            ("reclaim-recheck", Version::X2RenameRestore),
        ];
        for (name, version) in HOLDING {
            let path = &format!("scenarios/restart-lock/{name}.toml");
            let plain = model(path, version);
            let classes = plain.classes().expect("interchangeable contenders");
            let canonical = |s: &_| plain.symmetric_fingerprint(s, &classes);
            let orbits = Orbits::new(&plain, &canonical);
            let full = check_exhaustive(&orbits, &Config::default());
            let mut reduced_model = model(path, version);
            reduced_model.symmetry = Some(classes.clone());
            let reduced = check_exhaustive(&reduced_model, &Config::default());
            assert_eq!(full.verdict, Verdict::Holds, "{path}");
            assert_eq!(reduced.verdict, Verdict::Holds, "{path}");
            let orbit_count = orbits.count();
            assert!(reduced.states < full.states, "{path}: nothing reduced");
            assert_eq!(
                reduced.states, orbit_count,
                "{path}: {} worlds",
                full.states
            );
        }
    }
}
