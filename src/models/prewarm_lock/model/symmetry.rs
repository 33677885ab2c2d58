//! Symmetry reduction for the prewarm lock (see `crate::models::symmetry`). What names a
//! process in a world: its position, its process row, its pid (word 1 of an owner record
//! `{createdAt, pid, hostname, token}`), its token (word 3: position + 1), its paths
//! (`tombstone-<name>`, `intent-<name>`, `released-<name>`, each with its `owner.json`), the
//! intents a program point names or still has to inspect (a position, or a mask of them), the
//! ghost owner of the lock directory (position + 1, also carried by a reclaimer that moved a
//! lock to its tombstone), and the actor that raised a damage flag.
//!
//! Renaming is sound only because the model names nobody by order: `readdir`'s listing of the
//! recovery root becomes a mask, and the intents in it are inspected in any order
//! (`Point::IntentsPick`), so a renamed world is a world the renamed processes reach.

use lockstep_sim::fingerprint::fingerprint;
use lockstep_sim::world::{Content, NameId, PathId, ProcId, Relabel};

use super::{Actor, AfterIntent, Point, PrewarmLockModel, World};
use crate::models::symmetry::{Classes, Order};

/// A renaming of the processes (see [`Order`]).
struct Renaming<'m> {
    model: &'m PrewarmLockModel,
    order: Order,
}

impl Renaming<'_> {
    fn actor(&self, a: usize) -> usize {
        self.order.actor(a)
    }

    /// An actor position as a program point keeps it.
    fn index(&self, i: u8) -> u8 {
        self.actor(usize::from(i)) as u8
    }

    fn mask(&self, mask: u8) -> u8 {
        self.order.mask(mask)
    }

    fn owner(&self, o: u8) -> u8 {
        self.order.owner(o)
    }

    fn after_intent(&self, then: AfterIntent) -> AfterIntent {
        match then {
            AfterIntent::Next(site, mask) => AfterIntent::Next(site, self.mask(mask)),
            other => other,
        }
    }

    fn point(&self, pc: &Point) -> Point {
        match pc {
            Point::OwnerWrite(w) => Point::OwnerWrite(w.relabeled(self)),
            Point::IntentWrite(p, w) => Point::IntentWrite(*p, w.relabeled(self)),
            Point::RemoveStale(rm) => Point::RemoveStale(rm.relabeled(self)),
            Point::RemoveToRelease(rm) => Point::RemoveToRelease(rm.relabeled(self)),
            Point::ReclaimRemove(r, rm) => Point::ReclaimRemove(*r, rm.relabeled(self)),
            Point::LockDirRemove(then, rm) => Point::LockDirRemove(*then, rm.relabeled(self)),
            Point::ReleasedRemove(then, rm) => {
                Point::ReleasedRemove(self.after_intent(*then), rm.relabeled(self))
            }
            Point::IntentRelease(i, then, attempt) => {
                Point::IntentRelease(self.index(*i), self.after_intent(*then), *attempt)
            }
            Point::IntentsPick(site, mask) => Point::IntentsPick(*site, self.mask(*mask)),
            Point::IntentStat(site, mask, i) => {
                Point::IntentStat(*site, self.mask(*mask), self.index(*i))
            }
            Point::IntentRead(site, rest, i, mtime) => {
                Point::IntentRead(*site, self.mask(*rest), self.index(*i), *mtime)
            }
            Point::ReclaimVerify(r, was) => Point::ReclaimVerify(*r, self.owner(*was)),
            Point::ReclaimRestore(was) => Point::ReclaimRestore(self.owner(*was)),
            Point::ReleaseVerify(was) => Point::ReleaseVerify(self.owner(*was)),
            Point::ReleaseRestore(was) => Point::ReleaseRestore(self.owner(*was)),
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
        // Position p is taken by the actor the renaming sends there.
        let mut from = [0usize; crate::models::env::MAX_ACTORS];
        for a in 0..s.actors.len() {
            from[self.actor(a)] = a;
        }
        let actors = (from.iter().take(s.actors.len()))
            .map(|&a| self.actor_state(&s.actors[a]))
            .collect();
        World {
            now: s.now,
            fs: s.fs.relabeled(self),
            procs: s.procs.relabeled(&|p| self.process(p)),
            env: s.env,
            actors,
            lock_owner: self.owner(s.lock_owner),
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

    /// The per-actor paths, each with its owner of the renamed actor `a` takes the place of.
    fn own_paths(&self, a: usize) -> [PathId; 6] {
        let m = self.model;
        [
            m.own.tomb[a],
            m.own.tomb_owner[a],
            m.own.intent[a],
            m.own.intent_owner[a],
            m.own.released[a],
            m.own.released_owner[a],
        ]
    }
}

impl Relabel for Renaming<'_> {
    fn name(&self, name: NameId) -> NameId {
        let m = self.model;
        for a in 0..m.spec.actors.len() {
            let b = self.actor(a);
            for (from, to) in [
                (&m.own.tomb, &m.own.tomb),
                (&m.own.intent, &m.own.intent),
                (&m.own.released, &m.own.released),
            ] {
                if m.paths.name(from[a]) == name {
                    return m.paths.name(to[b]);
                }
            }
        }
        name
    }

    fn process(&self, p: ProcId) -> ProcId {
        ProcId(self.actor(usize::from(p.0)) as u8)
    }

    fn path(&self, p: PathId) -> PathId {
        for a in 0..self.model.spec.actors.len() {
            if let Some(k) = self.own_paths(a).iter().position(|&x| x == p) {
                return self.own_paths(self.actor(a))[k];
            }
        }
        p
    }

    fn content(&self, c: &Content) -> Content {
        // `{createdAt, pid, hostname, token}`.
        self.order.content(c, &self.model.pids, (1, 3))
    }
}

impl PrewarmLockModel {
    /// The fingerprint of `s` with each class of interchangeable processes in canonical order.
    pub(super) fn symmetric_fingerprint(&self, s: &World, classes: &Classes) -> u64 {
        let order = classes.order(self.spec.actors.len(), |a| self.member_key(s, a));
        if order.is_identity() {
            // Already in canonical order: the renamed world would be `s` itself.
            return fingerprint(s);
        }
        fingerprint(&Renaming { model: self, order }.world(s))
    }

    /// What process `a` is in `s`, in terms that name nobody: the kind of its program point
    /// (with the call of a write or removal in flight), every other field of its state, its
    /// process's state, and whether it is the ghost owner of the lock or raised a flag. The
    /// names a program point carries (intents, paths) and the files are left out: reading
    /// them cost more than the search saved. Two members this key cannot tell apart keep their
    /// order, which costs reduction, never soundness.
    fn member_key(&self, s: &World, a: usize) -> u64 {
        let x = &s.actors[a];
        let call = match &x.pc {
            Point::OwnerWrite(w) | Point::IntentWrite(_, w) => w.next_op(),
            Point::RemoveStale(rm)
            | Point::RemoveToRelease(rm)
            | Point::ReclaimRemove(_, rm)
            | Point::LockDirRemove(_, rm)
            | Point::ReleasedRemove(_, rm) => rm.next_op().map(|(op, _)| op),
            _ => None,
        };
        fingerprint(&(
            (
                std::mem::discriminant(&x.pc),
                call,
                x.choices,
                x.wake,
                x.env,
            ),
            (
                x.started,
                x.arrived,
                x.judged,
                x.rc,
                x.judged_ino,
                x.judged_mtime,
            ),
            (
                x.waited,
                x.waiting,
                x.in_cs,
                x.superseded,
                x.holding,
                x.born,
            ),
            s.procs.state(ProcId(a as u8)),
            s.lock_owner == a as u8 + 1,
            s.flags != 0 && usize::from(s.flag_actor) == a,
        ))
    }
}

#[cfg(test)]
mod tests {
    use lockstep_sim::fingerprint::fingerprint;
    use lockstep_sim::{check_exhaustive, Config, Model, Silent, Verdict};

    use super::super::PrewarmLockModel;
    use super::Renaming;
    use crate::models::prewarm_lock::{build, spec, Version};
    use crate::models::symmetry::orbits::Orbits;
    use crate::models::symmetry::{Classes, Order};
    use crate::scenario::{self, Source};

    fn model(src: &Source, version: Version) -> PrewarmLockModel {
        let file: spec::PrewarmLockFile = scenario::parse(src).expect("parses");
        let spec = spec::validate(src, &file).expect("valid");
        let checked = crate::models::load(src)
            .expect("loads")
            .meta()
            .invariants
            .clone();
        build(&spec, version, &checked)
    }

    /// The reduced search meets exactly the orbits the unreduced search meets, over whole
    /// spaces of two reclaimers: an orbit is named by the least fingerprint of its renamings.
    /// (The canonical order may split an orbit, since its key leaves the files out, so the
    /// reduced search can visit an orbit twice: that costs reduction, never soundness.)
    #[test]
    fn the_reduced_search_meets_every_orbit() {
        const HOLDING: [(&str, Version); 4] = [
            ("two-reclaimers", Version::V2Intents),
            ("two-reclaimers", Version::V3VerifiedReclaim),
            ("claim-under-intent", Version::V3VerifiedReclaim),
            ("lost-claim", Version::V3VerifiedReclaim),
        ];
        for (name, version) in HOLDING {
            let src = Source::read(&format!("scenarios/prewarm-lock/{name}.toml")).expect("reads");
            let plain = model(&src, version);
            let classes = plain.classes().expect("interchangeable reclaimers");
            let renamings = classes.renamings(plain.spec.actors.len());
            let orbit = |s: &_| {
                (renamings.iter())
                    .map(|&order| {
                        fingerprint(
                            &Renaming {
                                model: &plain,
                                order,
                            }
                            .world(s),
                        )
                    })
                    .min()
                    .expect("the identity")
            };
            let full_orbits = Orbits::new(&plain, &orbit);
            let full = check_exhaustive(&full_orbits, &Config::default());
            let mut reduced_model = model(&src, version);
            reduced_model.symmetry = Some(classes.clone());
            let reduced_orbits = Orbits::new(&reduced_model, &orbit);
            let reduced = check_exhaustive(&reduced_orbits, &Config::default());
            assert_eq!(full.verdict, Verdict::Holds, "{name}");
            assert_eq!(reduced.verdict, Verdict::Holds, "{name}");
            assert!(reduced.states < full.states, "{name}: nothing reduced");
            let (met, all) = (
                reduced_orbits.seen.into_inner(),
                full_orbits.seen.into_inner(),
            );
            assert_eq!(met.unwrap(), all.unwrap(), "{name}: the orbits met");
        }
    }

    /// Three waiters reclaiming at one instant, the space where the intents' inspection order
    /// is open: along random runs, renaming a world and then taking every move gives the same
    /// worlds as taking every move and then renaming them, for every exchange of two waiters.
    /// That is what makes merging a world with its renamings sound.
    #[test]
    fn renaming_commutes_with_every_move_of_three_waiters() {
        let text = std::fs::read_to_string("tests/models/prewarm-three-waiters.toml")
            .expect("the fixture");
        let src = Source::new("prewarm-three-waiters.toml", text);
        let plain = model(&src, Version::V3VerifiedReclaim);
        let n = plain.spec.actors.len();
        let mut rng = lockstep_sim::rng::Prng::fork(7, 0);
        let (mut picks, mut checked) = (0, 0);
        for _ in 0..40 {
            let mut s = plain.initial();
            for _ in 0..400 {
                for (a, b) in [(1, 2), (1, 3), (2, 3)] {
                    let swap = Renaming {
                        model: &plain,
                        order: Order::new(Classes::swap(n, a, b), n),
                    };
                    let renamed_then_moved = successors(&plain, &swap.world(&s));
                    let moved: Vec<_> = successors_worlds(&plain, &s);
                    let mut moved_then_renamed: Vec<u64> =
                        moved.iter().map(|w| fingerprint(&swap.world(w))).collect();
                    moved_then_renamed.sort_unstable();
                    assert_eq!(renamed_then_moved, moved_then_renamed, "{s:?}");
                    checked += 1;
                }
                let mut moves = Vec::new();
                plain.moves(&s, &mut moves);
                if moves
                    .iter()
                    .any(|m| matches!(m, super::super::Move::Choose(..)))
                {
                    picks += 1;
                }
                if moves.is_empty() {
                    match plain.next_wake(&s) {
                        Some(to) => plain.advance(&mut s, to),
                        None => break,
                    }
                    continue;
                }
                let m = moves[rng.below(moves.len() as u64) as usize];
                plain.apply(&mut s, m, &mut Silent);
            }
        }
        assert!(picks > 0, "no run met an open inspection order");
        assert!(checked > 1000);
    }

    /// The private-step reduction visits every world the full search visits in which no
    /// process stands before a private step (`Model::private_step`), and no other: exact sets
    /// of fingerprints over whole spaces, the reduced one smaller.
    #[test]
    fn private_steps_keep_every_world_between_them() {
        const SPACES: [(&str, Version); 6] = [
            ("two-reclaimers", Version::V2Intents),
            ("two-reclaimers-paused", Version::V3VerifiedReclaim),
            ("two-reclaimers", Version::V3VerifiedReclaim),
            ("claim-under-intent", Version::V3VerifiedReclaim),
            ("orphan-timeout", Version::V3VerifiedReclaim),
            ("lost-claim", Version::V3VerifiedReclaim),
        ];
        for (name, version) in SPACES {
            let src = Source::read(&format!("scenarios/prewarm-lock/{name}.toml")).expect("reads");
            let plain = model(&src, version);
            let n = plain.spec.actors.len();
            let between = |s: &_| {
                let private = (0..n).any(|a| plain.is_private(s, a));
                if private {
                    0
                } else {
                    fingerprint(s)
                }
            };
            let full_worlds = Orbits::new(&plain, &between);
            let mut full_config = Config::default();
            full_config.private_steps = false;
            let full = check_exhaustive(&full_worlds, &full_config);
            let reduced_worlds = Orbits::new(&plain, &between);
            let reduced = check_exhaustive(&reduced_worlds, &Config::default());
            assert_eq!(full.verdict, reduced.verdict, "{name}");
            assert!(reduced.states < full.states, "{name}: nothing reduced");
            let (met, all) = (
                reduced_worlds.seen.into_inner(),
                full_worlds.seen.into_inner(),
            );
            assert_eq!(
                met.unwrap(),
                all.unwrap(),
                "{name} {version:?}: the worlds between"
            );
        }
    }

    fn successors_worlds(m: &PrewarmLockModel, s: &super::World) -> Vec<super::World> {
        let mut moves = Vec::new();
        m.moves(s, &mut moves);
        moves
            .into_iter()
            .map(|mv| {
                let mut next = s.clone();
                m.apply(&mut next, mv, &mut Silent);
                next
            })
            .collect()
    }

    fn successors(m: &PrewarmLockModel, s: &super::World) -> Vec<u64> {
        let mut all: Vec<u64> = successors_worlds(m, s).iter().map(fingerprint).collect();
        all.sort_unstable();
        all
    }
}
