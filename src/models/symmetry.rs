//! Symmetry reduction for the file-lock models: actors that the scenario declares alike (the
//! same timings, host, uid and fault settings, no fault of their own) are interchangeable, so
//! the exhaustive explorer may treat worlds that differ only by which of them is which as one.
//! A model fingerprints a world after putting each class of interchangeable actors in a
//! canonical order: the members are sorted by a key computed from what each one sees of the
//! world with its own names replaced by its class's (so the key says nothing of who it is), and
//! every name of the world (positions, processes, pids, tokens, per-actor paths, ghost owners)
//! is renamed to match. Ties keep the members' order, which can only leave two symmetric worlds
//! apart (less reduction), never merge two different ones: the fingerprint is always that of a
//! world the renaming makes from this one.

use arrayvec::ArrayVec;
use lockstep_sim::world::{Content, CONTENT_WORDS};

use crate::models::env::MAX_ACTORS;

/// The classes of interchangeable actors of a scenario that have at least two members.
#[derive(Clone, Debug)]
pub struct Classes {
    /// Each class's members, ascending.
    classes: Vec<Vec<usize>>,
}

impl Classes {
    /// The classes of actors with equal keys (`None`: an actor interchangeable with nobody),
    /// or `None` when no two actors are interchangeable (nothing to reduce).
    pub fn of<K: PartialEq>(keys: &[Option<K>]) -> Option<Classes> {
        let mut classes: Vec<Vec<usize>> = Vec::new();
        for (a, key) in keys.iter().enumerate() {
            let Some(key) = key else { continue };
            match classes
                .iter_mut()
                .find(|c| keys[c[0]].as_ref() == Some(key))
            {
                Some(class) => class.push(a),
                None => classes.push(vec![a]),
            }
        }
        classes.retain(|c| c.len() > 1);
        (!classes.is_empty()).then_some(Classes { classes })
    }

    /// The class representative of `a` (its class's first member), or `a` itself.
    pub fn representative(&self, a: usize) -> usize {
        self.classes
            .iter()
            .find(|c| c.contains(&a))
            .map_or(a, |c| c[0])
    }

    /// The canonical renaming of `n` actors: `order[a]` is the position actor `a` takes. Each
    /// class's members, sorted by `key` (ties by position), take the class's positions in
    /// ascending order; every other actor keeps its own.
    pub fn canonical_order(&self, n: usize, key: impl Fn(usize) -> u64) -> [u8; MAX_ACTORS] {
        let mut order = [0u8; MAX_ACTORS];
        for (a, slot) in order.iter_mut().enumerate().take(n) {
            *slot = a as u8;
        }
        for class in &self.classes {
            let mut keyed: arrayvec::ArrayVec<(u64, usize), MAX_ACTORS> =
                class.iter().map(|&a| (key(a), a)).collect();
            keyed.sort_unstable();
            for (&(_, a), &position) in keyed.iter().zip(class) {
                order[a] = position as u8;
            }
        }
        order
    }

    /// Every renaming that keeps each actor in its class (the identity included): what a
    /// test needs to name a world's whole orbit.
    #[cfg(test)]
    pub fn renamings(&self, n: usize) -> Vec<Order> {
        let mut all = vec![Classes::swap(n, 0, 0)];
        for class in &self.classes {
            let mut next = Vec::new();
            for order in &all {
                for permutation in permutations(class) {
                    let mut renamed = *order;
                    for (&a, &b) in class.iter().zip(&permutation) {
                        renamed[a] = b as u8;
                    }
                    next.push(renamed);
                }
            }
            all = next;
        }
        all.into_iter().map(|order| Order::new(order, n)).collect()
    }

    /// The canonical renaming of `n` actors in a world, each class's members sorted by `key`
    /// (see [`Classes::canonical_order`]).
    pub fn order(&self, n: usize, key: impl Fn(usize) -> u64) -> Order {
        Order::new(self.canonical_order(n, key), n)
    }

    /// The renaming that exchanges `a` with `b` (and keeps everyone else).
    pub fn swap(n: usize, a: usize, b: usize) -> [u8; MAX_ACTORS] {
        let mut order = [0u8; MAX_ACTORS];
        for (i, slot) in order.iter_mut().enumerate().take(n) {
            *slot = i as u8;
        }
        order.swap(a, b);
        order
    }
}

/// A renaming of a model's actors: `order[a]` is the position actor `a` takes (an actor past
/// `n`, the environment, keeps its own). What the two file-lock models' renamings share: actor
/// positions, ghost owners (position + 1), sets of actors, and the pid and token words of a
/// lock file's content.
#[derive(Clone, Copy, Debug)]
pub struct Order {
    order: [u8; MAX_ACTORS],
    n: usize,
}

impl Order {
    pub fn new(order: [u8; MAX_ACTORS], n: usize) -> Order {
        Order { order, n }
    }

    /// Whether it renames nobody (the world is in canonical order already).
    pub fn is_identity(&self) -> bool {
        (0..self.n).all(|a| self.actor(a) == a)
    }

    pub fn actor(&self, a: usize) -> usize {
        if a < self.n {
            usize::from(self.order[a])
        } else {
            a
        }
    }

    /// A ghost owner (position + 1, 0 for none).
    pub fn owner(&self, o: u8) -> u8 {
        match o {
            0 => 0,
            o => self.actor(usize::from(o - 1)) as u8 + 1,
        }
    }

    /// A set of actors, a bit per position.
    pub fn mask(&self, mask: u8) -> u8 {
        (0..self.n)
            .filter(|&a| mask & (1 << a) != 0)
            .fold(0, |m, a| m | 1 << self.actor(a))
    }

    /// A lock file's words with the pid word (`pid_at`: a pid of `pids`, actor by actor) and
    /// the token word (`token_at`: position + 1) renamed.
    pub fn content(
        &self,
        c: &Content,
        pids: &[u64],
        (pid_at, token_at): (usize, usize),
    ) -> Content {
        let mut words: ArrayVec<u64, CONTENT_WORDS> = c.words().iter().copied().collect();
        if let Some(pid) = words.get_mut(pid_at)
            && let Some(a) = pids.iter().position(|p| p == pid)
        {
            *pid = pids[self.actor(a)];
        }
        if let Some(token) = words.get_mut(token_at)
            && (1..=self.n as u64).contains(token)
        {
            *token = self.actor(*token as usize - 1) as u64 + 1;
        }
        Content::new(&words)
    }
}

/// Every ordering of `items`.
#[cfg(test)]
fn permutations(items: &[usize]) -> Vec<Vec<usize>> {
    if items.len() <= 1 {
        return vec![items.to_vec()];
    }
    let mut all = Vec::new();
    for (i, &first) in items.iter().enumerate() {
        let mut rest = items.to_vec();
        rest.remove(i);
        for mut tail in permutations(&rest) {
            tail.insert(0, first);
            all.push(tail);
        }
    }
    all
}

/// The unreduced search, recording the canonical fingerprint of every world it makes: the
/// orbits of the reachable worlds under a model's renamings. A reduced search that is right
/// visits exactly one world per orbit (see the models' symmetry tests).
#[cfg(test)]
pub(crate) mod orbits {
    use std::collections::BTreeSet;
    use std::sync::Mutex;

    use lockstep_sim::{Model, Narrator, PropIdx, Property, Time};

    /// `inner` explored (deduplicated on its own fingerprint); `canonical` names a world's orbit.
    pub struct Orbits<'m, M: Model> {
        pub inner: &'m M,
        pub canonical: &'m (dyn Fn(&M::State) -> u64 + Sync),
        pub seen: Mutex<BTreeSet<u64>>,
    }

    impl<'m, M: Model> Orbits<'m, M> {
        pub fn new(inner: &'m M, canonical: &'m (dyn Fn(&M::State) -> u64 + Sync)) -> Self {
            Orbits {
                inner,
                canonical,
                seen: Mutex::new(BTreeSet::new()),
            }
        }

        /// How many orbits the search met.
        pub fn count(&self) -> u64 {
            self.seen.lock().unwrap().len() as u64
        }
    }

    impl<M: Model> Model for Orbits<'_, M> {
        type State = M::State;
        type Move = M::Move;
        fn fingerprint(&self, s: &M::State) -> u64 {
            self.seen.lock().unwrap().insert((self.canonical)(s));
            self.inner.fingerprint(s)
        }
        fn private_step(&self, s: &M::State, moves: &[M::Move]) -> Option<usize> {
            self.inner.private_step(s, moves)
        }
        fn initial(&self) -> M::State {
            self.inner.initial()
        }
        fn now(&self, s: &M::State) -> Time {
            self.inner.now(s)
        }
        fn moves(&self, s: &M::State, out: &mut Vec<M::Move>) -> usize {
            self.inner.moves(s, out)
        }
        fn next_wake(&self, s: &M::State) -> Option<Time> {
            self.inner.next_wake(s)
        }
        fn advance(&self, s: &mut M::State, to: Time) {
            self.inner.advance(s, to)
        }
        fn apply<N: Narrator>(&self, s: &mut M::State, m: M::Move, n: &mut N) {
            self.inner.apply(s, m, n)
        }
        fn actor_of(&self, m: M::Move) -> u8 {
            self.inner.actor_of(m)
        }
        fn properties(&self) -> &[Property] {
            self.inner.properties()
        }
        fn violated(&self, s: &M::State, limit: PropIdx, at_end: bool) -> Option<PropIdx> {
            self.inner.violated(s, limit, at_end)
        }
        fn move_label(&self, s: &M::State, m: M::Move) -> String {
            self.inner.move_label(s, m)
        }
        fn actor_name(&self, a: u8) -> String {
            self.inner.actor_name(a)
        }
        fn render_state(&self, s: &M::State) -> String {
            self.inner.render_state(s)
        }
        fn explain(&self, s: &M::State, p: PropIdx) -> String {
            self.inner.explain(s, p)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_group_equal_keys_and_drop_singletons() {
        let keys = [Some(1), None, Some(1), Some(2), Some(1)];
        let c = Classes::of(&keys).expect("a class");
        assert_eq!(c.classes, vec![vec![0, 2, 4]]);
        assert_eq!(c.representative(4), 0);
        assert_eq!(c.representative(3), 3);
        assert!(Classes::of(&[Some(1), Some(2), None]).is_none());
    }

    #[test]
    fn the_canonical_order_sorts_members_by_key_into_the_class_positions() {
        let c = Classes::of(&[Some(0), Some(9), Some(0), Some(0)]).unwrap();
        let keys = [30, 0, 10, 20];
        let order = c.canonical_order(4, |a| keys[a]);
        // Actor 2 (key 10) takes position 0, actor 3 (20) position 2, actor 0 (30) position 3.
        assert_eq!(&order[..4], &[3, 1, 0, 2]);
    }
}
