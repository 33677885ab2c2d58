//! Composition: one model running inside another.
//!
//! **The problem.** Some protocols live inside another protocol's state. A lock kept in a
//! module's state lives exactly as long as the isolate that loaded the module: a fresh isolate
//! starts with a fresh lock, an aborted one takes its lock (and everyone waiting on it) down
//! with it. Modelling that by copying the inner protocol into the outer model would give two
//! copies to keep in step; instead the outer (*host*) model holds one world of the inner
//! (*guest*) model per *generation* (an isolate, a process incarnation: whatever the host
//! calls a fresh start) and delegates to those worlds everything the kernel asks of a model.
//!
//! **The contract.** The guest stays an ordinary [`Model`] that also runs on its own. To run
//! inside a host it implements [`Guest`]: its actors do not arrive on their own timers but
//! when the host admits them, and the host can cancel them (their client went away: the
//! guest's own cancellation semantics apply) or kill them (the generation they ran in is gone).
//! The host keeps a [`Slots`] value in its state (hashable, so composed worlds deduplicate)
//! and calls the [`Nest`] functions from its own [`Model`] methods:
//!
//! | host method      | delegates to                                                      |
//! |------------------|-------------------------------------------------------------------|
//! | `moves`          | [`Nest::moves`]: every slot's urgent moves, then optional ones    |
//! | `next_wake`      | [`Nest::next_wake`]: the earliest timer of any slot               |
//! | `advance`        | [`Nest::advance`]: every slot's clock moves with the host's       |
//! | `apply`          | [`Nest::apply`] for a [`Nested`] move                             |
//! | `violated`       | [`PropertyMap::first_violated`] over the host's own check and [`Nest::violated`] |
//! | a fresh generation | [`Nest::open`]: the guest's [`Guest::dormant`] world, clock set to now |
//! | a freed generation | [`Nest::close`]                                                  |
//!
//! Guest actor `i` is host actor `i` (the host builds its guest with one guest actor per host
//! actor, admitting only those that use the guest), so a guest move's actor is the host's.
//!
//! ```
//! use lockstep_sim::compose::{Idle, Nest, Slots};
//! let nest = Nest::new(Idle);
//! let mut w: Slots<()> = Slots::default();
//! nest.open(&mut w, 1, 0);            // generation 1 gets a fresh guest world
//! nest.open(&mut w, 2, 50);           // generation 2, created at t = 50
//! assert_eq!(w.keys().collect::<Vec<_>>(), vec![1, 2]);
//! nest.close(&mut w, 1);              // generation 1 freed
//! assert_eq!(nest.next_wake(&w), None);
//! ```

use crate::model::{Model, PropIdx, Property, Time};
use crate::narrate::Narrator;

/// What a model must add to run inside a host: actors that the host starts and stops.
pub trait Guest: Model {
    /// The world in which no actor has been admitted yet: nothing can move and no timer is
    /// pending (so a slot nobody uses never holds time back nor ends a run early).
    fn dormant(&self) -> Self::State;

    /// Starts `actor` at the current instant. Its first synchronous step runs inside the
    /// host's step (the host's code calls into the guest), narrated to `n`.
    fn admit<N: Narrator>(&self, s: &mut Self::State, actor: u8, n: &mut N);

    /// The actor's client went away: the guest's own cancellation semantics apply (an
    /// anchored continuation may keep running; see [`crate::Lifecycle`]).
    fn cancel<N: Narrator>(&self, s: &mut Self::State, actor: u8, n: &mut N);

    /// The host tore the actor down (the generation it ran in was aborted): none of its code
    /// runs again, anchored or not, and it no longer counts as waiting or working.
    fn kill(&self, s: &mut Self::State, actor: u8);

    /// Where `actor` stands: still running (or not admitted), returned from the call the
    /// host made, or gone without returning (dropped or killed).
    fn progress(&self, s: &Self::State, actor: u8) -> Progress;
}

/// Where a guest actor stands, as far as its host cares.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Progress {
    /// Not admitted yet, or some of its code may still run.
    Running,
    /// It returned (a value or an error) to the host's code that called it.
    Returned,
    /// Nothing of it will run again and it never returned: dropped or killed.
    Gone,
}

impl Progress {
    pub fn finished(self) -> bool {
        self != Progress::Running
    }
}

/// The host's name for a slot: its generation number.
pub type SlotKey = u8;

/// One guest world per live generation, ordered by key. Part of the host's state.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Slots<S> {
    slots: Vec<(SlotKey, S)>,
}

impl<S> Default for Slots<S> {
    fn default() -> Self {
        Slots { slots: Vec::new() }
    }
}

impl<S> Slots<S> {
    fn find(&self, key: SlotKey) -> Result<usize, usize> {
        self.slots.binary_search_by_key(&key, |(k, _)| *k)
    }

    pub fn get(&self, key: SlotKey) -> Option<&S> {
        self.find(key).ok().map(|i| &self.slots[i].1)
    }

    pub fn get_mut(&mut self, key: SlotKey) -> Option<&mut S> {
        self.find(key).ok().map(|i| &mut self.slots[i].1)
    }

    pub fn contains(&self, key: SlotKey) -> bool {
        self.find(key).is_ok()
    }

    /// Keys in ascending order.
    pub fn keys(&self) -> impl Iterator<Item = SlotKey> + '_ {
        self.slots.iter().map(|(k, _)| *k)
    }

    /// Slots in ascending key order.
    pub fn iter(&self) -> impl Iterator<Item = (SlotKey, &S)> {
        self.slots.iter().map(|(k, s)| (*k, s))
    }

    pub fn len(&self) -> usize {
        self.slots.len()
    }

    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }
}

/// A guest move, tagged with the slot it happens in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Nested<Mv> {
    pub slot: SlotKey,
    pub mv: Mv,
}

/// A guest model and the delegation functions a host calls from its own [`Model`] methods.
pub struct Nest<G> {
    guest: G,
}

impl<G: Guest> Nest<G> {
    pub fn new(guest: G) -> Self {
        Nest { guest }
    }

    pub fn guest(&self) -> &G {
        &self.guest
    }

    /// A fresh guest world for generation `key`, created at `now`: the guest's dormant world
    /// with its clock moved to `now`. An existing slot with that key is replaced (a reset).
    pub fn open(&self, w: &mut Slots<G::State>, key: SlotKey, now: Time) {
        let mut s = self.guest.dormant();
        if now > self.guest.now(&s) {
            self.guest.advance(&mut s, now);
        }
        match w.find(key) {
            Ok(i) => w.slots[i].1 = s,
            Err(i) => w.slots.insert(i, (key, s)),
        }
    }

    /// Drops generation `key`'s world (the generation was freed). Returns whether it existed.
    pub fn close(&self, w: &mut Slots<G::State>, key: SlotKey) -> bool {
        match w.find(key) {
            Ok(i) => {
                w.slots.remove(i);
                true
            }
            Err(_) => false,
        }
    }

    /// Admits `actor` into generation `key`'s world. Panics if the slot is not open: a host
    /// that admits into a freed generation has a bug.
    pub fn admit<N: Narrator>(&self, w: &mut Slots<G::State>, key: SlotKey, actor: u8, n: &mut N) {
        let s = w.get_mut(key).expect("admit into an open slot");
        self.guest.admit(s, actor, n);
    }

    /// Cancels `actor` in generation `key` (no effect if the slot is gone).
    pub fn cancel<N: Narrator>(&self, w: &mut Slots<G::State>, key: SlotKey, actor: u8, n: &mut N) {
        if let Some(s) = w.get_mut(key) {
            self.guest.cancel(s, actor, n);
        }
    }

    /// Kills `actor` in generation `key` (no effect if the slot is gone).
    pub fn kill(&self, w: &mut Slots<G::State>, key: SlotKey, actor: u8) {
        if let Some(s) = w.get_mut(key) {
            self.guest.kill(s, actor);
        }
    }

    /// Where `actor` stands in generation `key` ([`Progress::Gone`] if the slot is gone).
    pub fn progress(&self, w: &Slots<G::State>, key: SlotKey, actor: u8) -> Progress {
        w.get(key)
            .map_or(Progress::Gone, |s| self.guest.progress(s, actor))
    }

    /// Appends every slot's urgent moves to `urgent` and its optional ones to `optional`, slots
    /// in key order and each slot's moves in the guest's own order.
    pub fn moves(
        &self,
        w: &Slots<G::State>,
        urgent: &mut Vec<Nested<G::Move>>,
        optional: &mut Vec<Nested<G::Move>>,
    ) {
        let mut buf = Vec::new();
        for (key, s) in w.iter() {
            buf.clear();
            let u = self.guest.moves(s, &mut buf);
            for (i, &mv) in buf.iter().enumerate() {
                let m = Nested { slot: key, mv };
                if i < u {
                    urgent.push(m);
                } else {
                    optional.push(m);
                }
            }
        }
    }

    /// The earliest pending timer of any slot.
    pub fn next_wake(&self, w: &Slots<G::State>) -> Option<Time> {
        w.iter().filter_map(|(_, s)| self.guest.next_wake(s)).min()
    }

    /// Moves every slot's clock to `to`. Call only when [`Nest::moves`] reported no urgent
    /// move (the host's own contract guarantees it when it lists the slots' moves as its own).
    pub fn advance(&self, w: &mut Slots<G::State>, to: Time) {
        for (_, s) in &mut w.slots {
            if to > self.guest.now(s) {
                self.guest.advance(s, to);
            }
        }
    }

    /// Applies a guest move in its slot.
    pub fn apply<N: Narrator>(&self, w: &mut Slots<G::State>, m: Nested<G::Move>, n: &mut N) {
        let s = w.get_mut(m.slot).expect("a nested move names an open slot");
        self.guest.apply(s, m.mv, n);
    }

    pub fn actor_of(&self, m: Nested<G::Move>) -> u8 {
        self.guest.actor_of(m.mv)
    }

    pub fn move_label(&self, w: &Slots<G::State>, m: Nested<G::Move>) -> String {
        match w.get(m.slot) {
            Some(s) => self.guest.move_label(s, m.mv),
            None => "?".to_string(),
        }
    }

    /// The first guest property (the guest's index), among its first `limit`, that some slot
    /// violates, and the first slot (by key) that violates it.
    pub fn violated(
        &self,
        w: &Slots<G::State>,
        limit: PropIdx,
        at_end: bool,
    ) -> Option<(SlotKey, PropIdx)> {
        let mut best: Option<(SlotKey, PropIdx)> = None;
        for (key, s) in w.iter() {
            let lim = best.map_or(limit, |(_, p)| p);
            if lim == 0 {
                break;
            }
            if let Some(p) = self.guest.violated(s, lim, at_end) {
                best = Some((key, p));
            }
        }
        best
    }

    /// The guest's explanation of property `p` in the first slot that violates it.
    pub fn explain(
        &self,
        w: &Slots<G::State>,
        p: PropIdx,
        at_end: bool,
    ) -> Option<(SlotKey, String)> {
        w.iter()
            .find(|(_, s)| self.guest.violated(s, p + 1, at_end) == Some(p))
            .map(|(k, s)| (k, self.guest.explain(s, p)))
    }
}

/// Where one property of a composed model comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    /// The host's own property with this index (in the host's own order).
    Host(PropIdx),
    /// The guest's property with this index (in the guest's own order).
    Guest(PropIdx),
}

/// A composed property list: host and guest properties interleaved in the scenario's order.
/// Each model keeps its own properties in the same relative order, so "the first violated
/// property" of the composition is the earlier of the host's first and the guest's first.
#[derive(Clone, Debug, Default)]
pub struct PropertyMap {
    origins: Vec<Origin>,
}

impl PropertyMap {
    /// `origins` in composed order. The host indices must be 0, 1, 2, ... in order, and so
    /// must the guest indices (each model lists its checked properties in the composed order).
    pub fn new(origins: Vec<Origin>) -> Self {
        let (mut h, mut g) = (0, 0);
        for o in &origins {
            match *o {
                Origin::Host(i) => {
                    assert_eq!(i, h, "host properties out of order");
                    h += 1;
                }
                Origin::Guest(i) => {
                    assert_eq!(i, g, "guest properties out of order");
                    g += 1;
                }
            }
        }
        PropertyMap { origins }
    }

    /// Builds the map and the composed property list from the host's and the guest's lists
    /// and the order in which they are wanted.
    pub fn merge(order: &[Origin], host: &[Property], guest: &[Property]) -> (Self, Vec<Property>) {
        let props = order
            .iter()
            .map(|o| match *o {
                Origin::Host(i) => host[usize::from(i)],
                Origin::Guest(i) => guest[usize::from(i)],
            })
            .collect();
        (PropertyMap::new(order.to_vec()), props)
    }

    pub fn len(&self) -> usize {
        self.origins.len()
    }

    pub fn is_empty(&self) -> bool {
        self.origins.is_empty()
    }

    pub fn origin(&self, p: PropIdx) -> Origin {
        self.origins[usize::from(p)]
    }

    /// How many host and how many guest properties are among the first `limit`.
    pub fn split(&self, limit: PropIdx) -> (PropIdx, PropIdx) {
        let (mut h, mut g) = (0, 0);
        for o in self.origins.iter().take(usize::from(limit)) {
            match o {
                Origin::Host(_) => h += 1,
                Origin::Guest(_) => g += 1,
            }
        }
        (h, g)
    }

    fn position(&self, o: Origin) -> PropIdx {
        self.origins
            .iter()
            .position(|&x| x == o)
            .expect("a mapped property") as PropIdx
    }

    /// The first composed property, among the first `limit`, that is violated. `host(l)` must
    /// return the first host property violated among the host's first `l` (as
    /// [`Model::violated`] does), and `guest(l)` the same for the guest; each is called only
    /// when some of its properties are in range.
    pub fn first_violated(
        &self,
        limit: PropIdx,
        host: impl FnOnce(PropIdx) -> Option<PropIdx>,
        guest: impl FnOnce(PropIdx) -> Option<PropIdx>,
    ) -> Option<PropIdx> {
        let (h, g) = self.split(limit);
        let a = if h > 0 {
            host(h).map(|i| self.position(Origin::Host(i)))
        } else {
            None
        };
        // Only guest properties listed before the host's violation can still come first.
        let g = match a {
            Some(p) => self.split(p).1,
            None => g,
        };
        let b = if g > 0 {
            guest(g).map(|i| self.position(Origin::Guest(i)))
        } else {
            None
        };
        match (a, b) {
            (Some(x), Some(y)) => Some(x.min(y)),
            (x, y) => x.or(y),
        }
    }
}

/// A guest with no actors and no properties, for hosts with nothing nested in a scenario.
#[derive(Clone, Copy, Debug, Default)]
pub struct Idle;

impl Model for Idle {
    type State = ();
    type Move = ();

    fn initial(&self) {}
    fn now(&self, _: &()) -> Time {
        0
    }
    fn moves(&self, _: &(), _: &mut Vec<()>) -> usize {
        0
    }
    fn next_wake(&self, _: &()) -> Option<Time> {
        None
    }
    fn advance(&self, _: &mut (), _: Time) {}
    fn apply<N: Narrator>(&self, _: &mut (), _: (), _: &mut N) {}
    fn actor_of(&self, _: ()) -> u8 {
        0
    }
    fn properties(&self) -> &[Property] {
        &[]
    }
    fn violated(&self, _: &(), _: PropIdx, _: bool) -> Option<PropIdx> {
        None
    }
    fn move_label(&self, _: &(), _: ()) -> String {
        String::new()
    }
    fn actor_name(&self, a: u8) -> String {
        a.to_string()
    }
    fn render_state(&self, _: &()) -> String {
        String::new()
    }
    fn explain(&self, _: &(), _: PropIdx) -> String {
        String::new()
    }
}

impl Guest for Idle {
    fn dormant(&self) {}
    fn admit<N: Narrator>(&self, _: &mut (), _: u8, _: &mut N) {}
    fn cancel<N: Narrator>(&self, _: &mut (), _: u8, _: &mut N) {}
    fn kill(&self, _: &mut (), _: u8) {}
    fn progress(&self, _: &(), _: u8) -> Progress {
        Progress::Gone
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::PropertyKind;
    use crate::{check_exhaustive, replay, Config, Silent, Verdict};

    /// A guest whose admitted actors nap for a while and then finish.
    struct Nap {
        naps: Vec<Time>,
        props: Vec<Property>,
    }

    const ALONE: Property = Property {
        id: "alone",
        kind: PropertyKind::Safety,
        summary: "at most one actor naps at a time",
    };
    const RESTED: Property = Property {
        id: "rested",
        kind: PropertyKind::AtEnd,
        summary: "every admitted actor wakes up",
    };

    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    enum St {
        Dormant,
        Napping(Time),
        Done,
        Killed,
    }

    #[derive(Clone, Debug, PartialEq, Eq, Hash)]
    struct NapWorld {
        now: Time,
        st: Vec<St>,
    }

    impl Model for Nap {
        type State = NapWorld;
        type Move = u8;
        fn initial(&self) -> NapWorld {
            NapWorld {
                now: 0,
                st: vec![St::Dormant; self.naps.len()],
            }
        }
        fn now(&self, s: &NapWorld) -> Time {
            s.now
        }
        fn moves(&self, s: &NapWorld, out: &mut Vec<u8>) -> usize {
            for (a, st) in s.st.iter().enumerate() {
                if matches!(st, St::Napping(t) if *t <= s.now) {
                    out.push(a as u8);
                }
            }
            out.len()
        }
        fn next_wake(&self, s: &NapWorld) -> Option<Time> {
            s.st.iter()
                .filter_map(|st| match st {
                    St::Napping(t) if *t > s.now => Some(*t),
                    _ => None,
                })
                .min()
        }
        fn advance(&self, s: &mut NapWorld, to: Time) {
            assert!(to > s.now);
            s.now = to;
        }
        fn apply<N: Narrator>(&self, s: &mut NapWorld, a: u8, n: &mut N) {
            s.st[usize::from(a)] = St::Done;
            n.say(format_args!("wakes up"));
        }
        fn actor_of(&self, a: u8) -> u8 {
            a
        }
        fn properties(&self) -> &[Property] {
            &self.props
        }
        fn violated(&self, s: &NapWorld, limit: PropIdx, at_end: bool) -> Option<PropIdx> {
            self.props
                .iter()
                .take(usize::from(limit))
                .position(|p| match p.id {
                    "alone" => s.st.iter().filter(|x| matches!(x, St::Napping(_))).count() > 1,
                    _ => at_end && s.st.iter().any(|x| matches!(x, St::Napping(_))),
                })
                .map(|i| i as PropIdx)
        }
        fn move_label(&self, _: &NapWorld, _: u8) -> String {
            "wake".into()
        }
        fn actor_name(&self, a: u8) -> String {
            a.to_string()
        }
        fn render_state(&self, s: &NapWorld) -> String {
            format!("{:?}", s.st)
        }
        fn explain(&self, _: &NapWorld, p: PropIdx) -> String {
            self.props[usize::from(p)].id.to_string()
        }
    }

    impl Guest for Nap {
        fn dormant(&self) -> NapWorld {
            self.initial()
        }
        fn admit<N: Narrator>(&self, s: &mut NapWorld, a: u8, n: &mut N) {
            s.st[usize::from(a)] = St::Napping(s.now + self.naps[usize::from(a)]);
            n.say(format_args!("naps"));
        }
        fn cancel<N: Narrator>(&self, s: &mut NapWorld, a: u8, _: &mut N) {
            self.kill(s, a);
        }
        fn kill(&self, s: &mut NapWorld, a: u8) {
            if matches!(s.st[usize::from(a)], St::Napping(_)) {
                s.st[usize::from(a)] = St::Killed;
            }
        }
        fn progress(&self, s: &NapWorld, a: u8) -> Progress {
            match s.st[usize::from(a)] {
                St::Done => Progress::Returned,
                St::Killed => Progress::Gone,
                _ => Progress::Running,
            }
        }
    }

    fn nap(naps: &[Time]) -> Nap {
        Nap {
            naps: naps.to_vec(),
            props: vec![ALONE, RESTED],
        }
    }

    #[test]
    fn open_syncs_the_clock_and_a_reopened_slot_is_dormant_again() {
        let nest = Nest::new(nap(&[10, 20]));
        let mut w = Slots::default();
        nest.open(&mut w, 1, 30);
        assert_eq!(w.get(1).unwrap().now, 30);
        nest.admit(&mut w, 1, 0, &mut Silent);
        assert_eq!(nest.progress(&w, 1, 0), Progress::Running);
        assert_eq!(nest.next_wake(&w), Some(40));
        // A reset: the same key, a fresh world.
        nest.open(&mut w, 1, 35);
        assert_eq!(
            w.get(1).unwrap(),
            &NapWorld {
                now: 35,
                st: vec![St::Dormant; 2]
            }
        );
        assert_eq!(nest.next_wake(&w), None);
        assert!(nest.close(&mut w, 1));
        assert!(!nest.close(&mut w, 1));
        assert!(w.is_empty());
        // A closed slot's actors are gone as far as the host is concerned.
        assert_eq!(nest.progress(&w, 1, 0), Progress::Gone);
    }

    #[test]
    fn slots_are_isolated_and_share_the_clock() {
        let nest = Nest::new(nap(&[10, 25]));
        let mut w = Slots::default();
        nest.open(&mut w, 2, 0);
        nest.open(&mut w, 1, 0);
        assert_eq!(
            w.keys().collect::<Vec<_>>(),
            vec![1, 2],
            "kept in key order"
        );
        nest.admit(&mut w, 1, 0, &mut Silent);
        nest.admit(&mut w, 2, 1, &mut Silent);
        assert_eq!(
            w.get(1).unwrap().st[1],
            St::Dormant,
            "actor 1 lives in slot 2 only"
        );
        assert_eq!(nest.next_wake(&w), Some(10));
        let (mut urgent, mut optional) = (Vec::new(), Vec::new());
        nest.moves(&w, &mut urgent, &mut optional);
        assert!(urgent.is_empty() && optional.is_empty());
        nest.advance(&mut w, 10);
        assert!(w.iter().all(|(_, s)| s.now == 10));
        nest.moves(&w, &mut urgent, &mut optional);
        assert_eq!(urgent, vec![Nested { slot: 1, mv: 0 }]);
        nest.apply(&mut w, urgent[0], &mut Silent);
        assert_eq!(nest.progress(&w, 1, 0), Progress::Returned);
        assert_eq!(nest.next_wake(&w), Some(25));
        nest.kill(&mut w, 2, 1);
        assert_eq!(nest.progress(&w, 2, 1), Progress::Gone);
        assert!(Progress::Gone.finished() && !Progress::Running.finished());
        assert_eq!(nest.next_wake(&w), None);
    }

    #[test]
    fn guest_violations_name_the_first_property_and_slot() {
        let nest = Nest::new(nap(&[10, 10]));
        let mut w = Slots::default();
        nest.open(&mut w, 1, 0);
        nest.open(&mut w, 3, 0);
        nest.admit(&mut w, 3, 0, &mut Silent);
        nest.admit(&mut w, 3, 1, &mut Silent);
        assert_eq!(nest.violated(&w, 2, false), Some((3, 0)));
        assert_eq!(nest.violated(&w, 0, false), None);
        assert_eq!(nest.explain(&w, 0, false), Some((3, "alone".to_string())));
        nest.kill(&mut w, 3, 1);
        assert_eq!(nest.violated(&w, 2, false), None);
        assert_eq!(
            nest.violated(&w, 2, true),
            Some((3, 1)),
            "rested is judged at the end"
        );
    }

    #[test]
    fn the_property_map_picks_the_first_in_composed_order() {
        use Origin::{Guest as G, Host as H};
        let m = PropertyMap::new(vec![H(0), G(0), H(1), G(1)]);
        assert_eq!(m.split(4), (2, 2));
        assert_eq!(m.split(1), (1, 0));
        assert_eq!(m.first_violated(4, |_| Some(1), |_| Some(0)), Some(1));
        assert_eq!(m.first_violated(4, |_| Some(0), |_| Some(0)), Some(0));
        assert_eq!(m.first_violated(4, |_| None, |_| Some(1)), Some(3));
        // Limits reach each side as that side's own count.
        assert_eq!(
            m.first_violated(
                3,
                |l| {
                    assert_eq!(l, 2);
                    None
                },
                |l| {
                    assert_eq!(l, 1);
                    None
                }
            ),
            None
        );
        // The guest is not asked about properties that come after the host's violation.
        assert_eq!(
            m.first_violated(4, |_| Some(0), |_| panic!("not needed")),
            Some(0)
        );
    }

    #[test]
    #[should_panic(expected = "guest properties out of order")]
    fn the_property_map_refuses_a_reordered_side() {
        PropertyMap::new(vec![Origin::Guest(1), Origin::Guest(0)]);
    }

    /// A host service whose requests each nap in the guest of the current generation; a reset
    /// at `reset_at` kills the current generation's nappers and starts a fresh generation.
    struct Service {
        arrive: Vec<Time>,
        reset_at: Option<Time>,
        nest: Nest<Nap>,
        map: PropertyMap,
        props: Vec<Property>,
    }

    #[derive(Clone, Debug, PartialEq, Eq, Hash)]
    struct SvcWorld {
        now: Time,
        generation: u8,
        arrived: Vec<bool>,
        reset_done: bool,
        slots: Slots<NapWorld>,
    }

    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    enum SvcMove {
        Arrive(u8),
        Reset,
        In(Nested<u8>),
    }

    const SINGLE: Property = Property {
        id: "single",
        kind: PropertyKind::Safety,
        summary: "at most one generation",
    };

    impl Service {
        fn new(arrive: &[Time], naps: &[Time], reset_at: Option<Time>) -> Self {
            let order = [Origin::Guest(0), Origin::Host(0)];
            let (map, props) = PropertyMap::merge(&order, &[SINGLE], &[ALONE]);
            Service {
                arrive: arrive.to_vec(),
                reset_at,
                nest: Nest::new(Nap {
                    naps: naps.to_vec(),
                    props: vec![ALONE],
                }),
                map,
                props,
            }
        }
    }

    impl Model for Service {
        type State = SvcWorld;
        type Move = SvcMove;
        fn initial(&self) -> SvcWorld {
            let mut slots = Slots::default();
            self.nest.open(&mut slots, 1, 0);
            SvcWorld {
                now: 0,
                generation: 1,
                arrived: vec![false; self.arrive.len()],
                reset_done: false,
                slots,
            }
        }
        fn now(&self, s: &SvcWorld) -> Time {
            s.now
        }
        fn moves(&self, s: &SvcWorld, out: &mut Vec<SvcMove>) -> usize {
            for (a, &t) in self.arrive.iter().enumerate() {
                if !s.arrived[a] && t <= s.now {
                    out.push(SvcMove::Arrive(a as u8));
                }
            }
            if !s.reset_done && self.reset_at.is_some_and(|t| t <= s.now) {
                out.push(SvcMove::Reset);
            }
            let (mut u, mut o) = (Vec::new(), Vec::new());
            self.nest.moves(&s.slots, &mut u, &mut o);
            out.extend(u.into_iter().map(SvcMove::In));
            let urgent = out.len();
            out.extend(o.into_iter().map(SvcMove::In));
            urgent
        }
        fn next_wake(&self, s: &SvcWorld) -> Option<Time> {
            let own = self
                .arrive
                .iter()
                .enumerate()
                .filter(|(a, t)| !s.arrived[*a] && **t > s.now)
                .map(|(_, &t)| t)
                .chain(self.reset_at.filter(|&t| !s.reset_done && t > s.now))
                .min();
            own.into_iter().chain(self.nest.next_wake(&s.slots)).min()
        }
        fn advance(&self, s: &mut SvcWorld, to: Time) {
            s.now = to;
            self.nest.advance(&mut s.slots, to);
        }
        fn apply<N: Narrator>(&self, s: &mut SvcWorld, m: SvcMove, n: &mut N) {
            match m {
                SvcMove::Arrive(a) => {
                    s.arrived[usize::from(a)] = true;
                    self.nest.admit(&mut s.slots, s.generation, a, n);
                }
                SvcMove::Reset => {
                    s.reset_done = true;
                    for a in 0..self.arrive.len() as u8 {
                        self.nest.kill(&mut s.slots, s.generation, a);
                    }
                    self.nest.close(&mut s.slots, s.generation);
                    s.generation += 1;
                    self.nest.open(&mut s.slots, s.generation, s.now);
                }
                SvcMove::In(m) => self.nest.apply(&mut s.slots, m, n),
            }
        }
        fn actor_of(&self, m: SvcMove) -> u8 {
            match m {
                SvcMove::Arrive(a) => a,
                SvcMove::Reset => 0,
                SvcMove::In(m) => self.nest.actor_of(m),
            }
        }
        fn properties(&self) -> &[Property] {
            &self.props
        }
        fn violated(&self, s: &SvcWorld, limit: PropIdx, at_end: bool) -> Option<PropIdx> {
            self.map.first_violated(
                limit,
                |_| (s.slots.len() > 1).then_some(0),
                |l| self.nest.violated(&s.slots, l, at_end).map(|(_, p)| p),
            )
        }
        fn move_label(&self, s: &SvcWorld, m: SvcMove) -> String {
            match m {
                SvcMove::In(m) => format!("{} (gen {})", self.nest.move_label(&s.slots, m), m.slot),
                other => format!("{other:?}"),
            }
        }
        fn actor_name(&self, a: u8) -> String {
            a.to_string()
        }
        fn render_state(&self, s: &SvcWorld) -> String {
            format!("gen={}", s.generation)
        }
        fn explain(&self, _: &SvcWorld, p: PropIdx) -> String {
            self.props[usize::from(p)].id.to_string()
        }
    }

    #[test]
    fn a_composed_model_explores_and_replays() {
        let cfg = Config::default();
        // Two overlapping naps in one generation: the guest's `alone` fails.
        let m = Service::new(&[0, 5], &[10, 10], None);
        let r = check_exhaustive(&m, &cfg);
        assert_eq!(r.verdict, Verdict::Violated { property: 0 });
        let cx = replay(&m, &r.counterexample.unwrap(), &cfg).unwrap();
        assert_eq!(cx.verdict, Verdict::Violated { property: 0 });
        assert!(cx.rows.iter().any(|row| row.text == "naps"));
        // A reset between them puts the second nap in a fresh generation: the first napper
        // died with its generation, the fresh world has only the second.
        let m = Service::new(&[0, 5], &[10, 10], Some(3));
        let r = check_exhaustive(&m, &cfg);
        assert_eq!(r.verdict, Verdict::Holds);
        assert!(r.states > 3);
        // The reset racing the second arrival at the same instant: if the second request lands
        // before the reset, it naps next to the first in the old generation.
        let m = Service::new(&[0, 5], &[10, 10], Some(5));
        let r = check_exhaustive(&m, &cfg);
        assert_eq!(r.verdict, Verdict::Violated { property: 0 });
        let cx = replay(&m, &r.counterexample.unwrap(), &cfg).unwrap();
        let labels: Vec<&str> = cx.rows.iter().map(|r| r.label.as_str()).collect();
        assert_eq!(labels, ["Arrive(0)", "Arrive(1)"]);
    }
}
