//! One protocol inside another: a host program whose actors call into instances of a guest
//! program (a protocol file's `module`), each instance a world of its own.
//!
//! **Why.** The isolate's module state holds the init lock: every isolate generation has its
//! own lock, fresh when the generation is created, and a request calls into its generation's
//! lock and waits for the call to return. The guest is its own program (its own file, variant,
//! parameters and invariants), so nothing of it is copied into the host's file. The guest
//! worlds live beside the host's world through the kernel's composition
//! ([`crate::compose::Nest`]), exactly as the Rust isolate model nests the Rust init lock.
//!
//! **Semantics.** A host actor that executes [`Op::Enter`] with key `k` waits
//! ([`ST_GUEST`]); in the same move it is admitted into instance `k` (opened, dormant, at its
//! first call) as the guest actor of the same index, whose first step runs inside the host's.
//! Guest moves are moves of the composition. When the guest actor returns (a value or an
//! error), the host actor goes on in the same move; when it is gone without returning, the host
//! actor ends. A cancellation of a waiting host actor is the guest's (an anchored call keeps
//! running and keeps the host actor alive, detached); an abort of it kills the guest actor.
//! An instance is never closed: once no call can run in it, it has no move and no timer.

use crate::compose::{Guest, Nest, Nested, Origin, Progress, PropertyMap, Slots};
use crate::model::{Model, PropIdx, Property, Time};
use crate::narrate::Narrator;
use crate::Lifecycle;

use super::layout::*;
use super::model::{Machine, Move, World};

impl Guest for Machine {
    fn dormant(&self) -> World {
        self.initial()
    }

    fn admit<N: Narrator>(&self, s: &mut World, actor: u8, n: &mut N) {
        self.apply(s, Move::Step(actor), n);
    }

    fn cancel<N: Narrator>(&self, s: &mut World, actor: u8, n: &mut N) {
        self.cancel_now(s, usize::from(actor), n);
    }

    fn kill(&self, s: &mut World, actor: u8) {
        self.end_dropped(s, usize::from(actor));
    }

    fn progress(&self, s: &World, actor: u8) -> Progress {
        let b = self.block(usize::from(actor));
        match s.slots[b + B_STATUS] {
            ST_DONE | ST_FAILED => Progress::Returned,
            _ if !self.lifecycle(&s.slots, usize::from(actor)).runs() => Progress::Gone,
            _ => Progress::Running,
        }
    }
}

/// A host program and the guest program its actors call into.
pub struct Composite {
    host: Machine,
    nest: Nest<Machine>,
    map: PropertyMap,
    props: Vec<Property>,
}

/// The host's world and one guest world per instance called so far.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct CompositeWorld {
    pub host: World,
    pub guests: Slots<World>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CompositeMove {
    Host(Move),
    Guest(Nested<Move>),
}

impl Composite {
    /// `order`: the checked properties in the scenario's order, each the host's or the guest's
    /// (by its index in that program's own list, which ends with its runtime-error property).
    pub fn new(host: Machine, guest: Machine, order: &[Origin]) -> Composite {
        let (map, props) = PropertyMap::merge(order, host.properties(), guest.properties());
        Composite {
            host,
            nest: Nest::new(guest),
            map,
            props,
        }
    }

    pub fn host(&self) -> &Machine {
        &self.host
    }

    /// Admits the host actors that just called in, and goes on with those whose call
    /// returned (or ends those whose call is gone), until nothing changes.
    fn settle<N: Narrator>(&self, s: &mut CompositeWorld, n: &mut N) {
        let actors = self.host.program().actors.len();
        let mut changed = true;
        while changed {
            changed = false;
            for a in 0..actors {
                changed |= self.settle_actor(s, a, n);
            }
        }
    }

    /// One host actor's call into the guest; whether anything changed.
    fn settle_actor<N: Narrator>(&self, s: &mut CompositeWorld, a: usize, n: &mut N) -> bool {
        let b = self.host.block(a);
        if s.host.slots[b + B_STATUS] != ST_GUEST || !self.host.lifecycle(&s.host.slots, a).runs() {
            return false;
        }
        let key = s.host.slots[b + B_WAKE] as u8;
        let a8 = a as u8;
        if s.host.slots[b + B_FLAGS] & F_ADMITTED == 0 {
            if !s.guests.contains(key) {
                self.nest.open(&mut s.guests, key, self.host.now(&s.host));
            }
            s.host.slots[b + B_FLAGS] |= F_ADMITTED;
            s.host.touch(a);
            self.nest.admit(&mut s.guests, key, a8, n);
        }
        match self.nest.progress(&s.guests, key, a8) {
            Progress::Running => false,
            Progress::Returned => {
                n.say(format_args!("the call into module instance {key} returns"));
                s.host.slots[b + B_FLAGS] &= !F_ADMITTED;
                self.host.resume(&mut s.host, a, n);
                true
            }
            Progress::Gone => {
                n.say(format_args!("the call into module instance {key} is gone"));
                s.host.slots[b + B_FLAGS] &= !F_ADMITTED;
                self.host.end_dropped(&mut s.host, a);
                true
            }
        }
    }

    /// A cancellation or an abort of a host actor waiting in a call: the guest's own
    /// cancellation (an anchored call keeps the host actor alive, detached) or a kill.
    fn environment<N: Narrator>(&self, s: &mut CompositeWorld, m: Move, key: i64, n: &mut N) {
        let a = usize::from(self.host.actor_of(m));
        let b = self.host.block(a);
        match m {
            Move::Cancel(_) => {
                self.nest.cancel(&mut s.guests, key as u8, a as u8, n);
                if self.nest.progress(&s.guests, key as u8, a as u8) == Progress::Running {
                    s.host.slots[b + B_LIFE] = Lifecycle::Detached as i64;
                    s.host.slots[b + B_WAKE] = key;
                    s.host.touch(a);
                    n.say(format_args!("its call into the module runs on (anchored)"));
                }
            }
            Move::Abort(_) => self.nest.kill(&mut s.guests, key as u8, a as u8),
            _ => {}
        }
    }

    /// Whether some guest instance stands inside a step (an open value being chosen).
    fn guest_choosing(&self, s: &CompositeWorld) -> Option<u8> {
        s.guests
            .iter()
            .find(|(_, w)| self.nest.guest().choosing_actor(&w.slots).is_some())
            .map(|(k, _)| k)
    }
}

/// The host's and the guests' moves of one world, before they are tagged.
#[derive(Default)]
struct Buffers {
    host: Vec<Move>,
    urgent: Vec<Nested<Move>>,
    optional: Vec<Nested<Move>>,
}

impl Buffers {
    fn clear(&mut self) {
        self.host.clear();
        self.urgent.clear();
        self.optional.clear();
    }
}

thread_local! {
    static BUFFERS: std::cell::RefCell<Buffers> = std::cell::RefCell::new(Buffers::default());
}

impl Composite {
    /// [`Model::moves`] with its buffers: urgent host moves, urgent guest moves, then the
    /// optional ones; inside a step (an open value being chosen) only that step's choices.
    fn moves_into(
        &self,
        s: &CompositeWorld,
        out: &mut Vec<CompositeMove>,
        b: &mut Buffers,
    ) -> usize {
        if let Some(key) = self.guest_choosing(s) {
            let w = s.guests.get(key).expect("a listed instance");
            let u = self.nest.guest().moves(w, &mut b.host);
            out.extend(
                b.host
                    .iter()
                    .map(|&mv| CompositeMove::Guest(Nested { slot: key, mv })),
            );
            return u;
        }
        let u = self.host.moves(&s.host, &mut b.host);
        if self.host.choosing_actor(&s.host.slots).is_some() {
            out.extend(b.host.iter().map(|&m| CompositeMove::Host(m)));
            return u;
        }
        self.nest.moves(&s.guests, &mut b.urgent, &mut b.optional);
        out.extend(b.host[..u].iter().map(|&m| CompositeMove::Host(m)));
        out.extend(b.urgent.iter().map(|&m| CompositeMove::Guest(m)));
        let count = out.len();
        out.extend(b.host[u..].iter().map(|&m| CompositeMove::Host(m)));
        out.extend(b.optional.iter().map(|&m| CompositeMove::Guest(m)));
        count
    }
}

impl Model for Composite {
    type State = CompositeWorld;
    type Move = CompositeMove;

    fn initial(&self) -> CompositeWorld {
        CompositeWorld {
            host: self.host.initial(),
            guests: Slots::default(),
        }
    }

    fn now(&self, s: &CompositeWorld) -> Time {
        self.host.now(&s.host)
    }

    fn moves(&self, s: &CompositeWorld, out: &mut Vec<CompositeMove>) -> usize {
        // The explorers call this once per world: the buffers are reused, not allocated.
        BUFFERS.with(|b| {
            let b = &mut *b.borrow_mut();
            b.clear();
            self.moves_into(s, out, b)
        })
    }

    fn next_wake(&self, s: &CompositeWorld) -> Option<Time> {
        match (self.host.next_wake(&s.host), self.nest.next_wake(&s.guests)) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    fn advance(&self, s: &mut CompositeWorld, to: Time) {
        self.host.advance(&mut s.host, to);
        self.nest.advance(&mut s.guests, to);
    }

    fn apply<N: Narrator>(&self, s: &mut CompositeWorld, m: CompositeMove, n: &mut N) {
        match m {
            CompositeMove::Host(mv) => {
                let b = self.host.block(usize::from(self.host.actor_of(mv)));
                let waiting = s.host.slots[b + B_STATUS] == ST_GUEST;
                let key = s.host.slots[b + B_WAKE];
                self.host.apply(&mut s.host, mv, n);
                if waiting {
                    self.environment(s, mv, key, n);
                }
            }
            CompositeMove::Guest(nm) => self.nest.apply(&mut s.guests, nm, n),
        }
        self.settle(s, n);
    }

    fn is_fault(&self, m: CompositeMove) -> bool {
        matches!(m, CompositeMove::Host(mv) if self.host.is_fault(mv))
    }

    fn actor_of(&self, m: CompositeMove) -> u8 {
        match m {
            CompositeMove::Host(mv) => self.host.actor_of(mv),
            CompositeMove::Guest(nm) => self.nest.actor_of(nm),
        }
    }

    fn properties(&self) -> &[Property] {
        &self.props
    }

    fn violated(&self, s: &CompositeWorld, limit: PropIdx, at_end: bool) -> Option<PropIdx> {
        self.map.first_violated(
            limit,
            |l| self.host.violated(&s.host, l, at_end),
            |l| self.nest.violated(&s.guests, l, at_end).map(|(_, p)| p),
        )
    }

    fn move_label(&self, s: &CompositeWorld, m: CompositeMove) -> String {
        match m {
            CompositeMove::Host(mv) => self.host.move_label(&s.host, mv),
            CompositeMove::Guest(nm) => {
                format!(
                    "{} [module {}]",
                    self.nest.move_label(&s.guests, nm),
                    nm.slot
                )
            }
        }
    }

    fn actor_name(&self, actor: u8) -> String {
        self.host.actor_name(actor)
    }

    fn render_state(&self, s: &CompositeWorld) -> String {
        let mut out = self.host.render_state(&s.host);
        for (key, w) in s.guests.iter() {
            let inner = self.nest.guest().render_state(w);
            if !inner.is_empty() {
                out.push_str(&format!(" | module {key}: {inner}"));
            }
        }
        out
    }

    fn explain(&self, s: &CompositeWorld, p: PropIdx) -> String {
        match self.map.origin(p) {
            Origin::Host(i) => self.host.explain(&s.host, i),
            Origin::Guest(i) => match self.nest.explain(&s.guests, i, true) {
                Some((key, why)) => format!("in module instance {key}: {why}"),
                None => String::new(),
            },
        }
    }

    fn unfired_faults(&self) -> Vec<String> {
        self.host.unfired_faults()
    }

    fn parameters(&self) -> Vec<(&'static str, String)> {
        self.host.parameters()
    }
}
