//! The model contract: what a protocol must tell the kernel.

use std::fmt::Debug;
use std::hash::Hash;

use crate::narrate::Narrator;

/// Virtual time in milliseconds since the start of the scenario. Integer-only on purpose:
/// strict and non-strict comparisons of the protocols (`now - t > deadline`) must mean exactly
/// what they mean in the original code.
pub type Time = u64;

/// A time that never comes: a timer that is not set.
pub const NEVER: Time = Time::MAX;

/// Index of a property in the model's checked list (the scenario's order).
pub type PropIdx = u8;

/// When a property is judged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PropertyKind {
    /// Checked after every move (including clock jumps).
    Safety,
    /// A bounded-liveness property expressed on the virtual clock ("every waiter stops waiting
    /// within its bound"): also checked after every move, so a hang is reported at the instant
    /// the bound passes, with the trace, instead of as a stuck process.
    BoundedLiveness,
    /// Checked only when the run has ended (no move left and no timer pending).
    AtEnd,
}

/// A named property, as listed by `lockstep list` and named in verdicts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Property {
    pub id: &'static str,
    pub kind: PropertyKind,
    pub summary: &'static str,
}

/// A protocol (one variant, one scenario) as an explicit state machine.
///
/// Ordering contract: [`Model::moves`] lists the moves enabled in a world in an order that
/// depends only on the world (never on addresses or hash iteration), urgent moves first.
/// Time may pass only when no urgent move is enabled; then the kernel jumps the clock to
/// [`Model::next_wake`]. A model does no I/O, reads no clock and draws no random numbers: every
/// open choice (an arrival time, an outcome, a cancellation) is a move.
pub trait Model: Sync {
    /// The world. `Hash + Eq` so the exhaustive explorer can deduplicate it; keep it small and
    /// free of heap allocation where possible, it is cloned on every explored move. `Send` so
    /// threads can share the search.
    type State: Clone + Eq + Hash + Debug + Send + Sync;
    /// One atomic step of one actor, or an environment move.
    type Move: Copy + Eq + Debug + Send + Sync;

    fn initial(&self) -> Self::State;

    fn now(&self, s: &Self::State) -> Time;

    /// Fills `out` (cleared by the caller) with the moves enabled now and returns how many of
    /// them, at the front of `out`, are urgent (time may not pass before one is taken).
    fn moves(&self, s: &Self::State, out: &mut Vec<Self::Move>) -> usize;

    /// The earliest pending timer strictly after `now`, if any.
    fn next_wake(&self, s: &Self::State) -> Option<Time>;

    /// Moves the clock to `to` (> now). Called only when no urgent move is enabled.
    fn advance(&self, s: &mut Self::State, to: Time);

    /// Applies one move. `n` receives a human description when a timeline is being recorded;
    /// with [`crate::Silent`] it costs nothing.
    fn apply<N: Narrator>(&self, s: &mut Self::State, m: Self::Move, n: &mut N);

    /// Whether a move is an environment fault (a cancellation, a kill): shrinking prefers
    /// counterexamples with fewer of them.
    fn is_fault(&self, _m: Self::Move) -> bool {
        false
    }

    /// The actor a move belongs to (for PCT priorities, symmetry and timelines).
    fn actor_of(&self, m: Self::Move) -> u8;

    /// The properties this model checks, in the scenario's order.
    fn properties(&self) -> &[Property];

    /// The first property, among the first `limit` of [`Model::properties`], that `s`
    /// violates. `at_end` is true when the run has ended, so [`PropertyKind::AtEnd`] properties
    /// are judged too.
    fn violated(&self, s: &Self::State, limit: PropIdx, at_end: bool) -> Option<PropIdx>;

    /// Short label of a move for traces and timelines ("B step", "A cancel").
    fn move_label(&self, s: &Self::State, m: Self::Move) -> String;

    /// Name of an actor, for timelines.
    fn actor_name(&self, actor: u8) -> String;

    /// The shared state worth showing after each step of a timeline ("owner=320 gen=2").
    fn render_state(&self, s: &Self::State) -> String;

    /// The actors inside the section the lock protects in `s` (running init, restarting,
    /// prewarming, a protocol file's `work`), a bit per actor, for the bars of a report's
    /// swimlanes: two owners at once are two overlapping bars. Only replays for a reader call
    /// it. Default: none.
    fn in_section(&self, _s: &Self::State) -> u64 {
        0
    }

    /// A sentence explaining why `s` violates property `p` (for the verdict line).
    fn explain(&self, s: &Self::State, p: PropIdx) -> String;

    /// Whether moves `a` and `b` of world `s` commute, so the exhaustive explorer may skip one
    /// of their two orders (sleep sets, a partial-order reduction). The default, `false`
    /// (everything dependent), means no reduction.
    ///
    /// Contract, for `a` and `b` both enabled in `s` and declared independent:
    /// - applying `a` leaves `b` enabled, and applying `b` leaves `a` enabled;
    /// - `a` then `b` gives a world equal (`Eq`) to `b` then `a`;
    /// - a move value denotes the same transition in the successor world (`Step(actor)`: that
    ///   actor's next atomic step), which is what the two orders above apply;
    /// - the answer is symmetric in `a` and `b`, and two moves of one actor are dependent.
    ///
    /// Letting time pass is not a move: it is dependent with everything. Declaring a pair
    /// dependent is always sound (it only costs transitions); a wrong "independent" can hide
    /// states, which is why `check_independence` (the diamond check) exists for tests.
    fn independent(&self, _s: &Self::State, _a: Self::Move, _b: Self::Move) -> bool {
        false
    }

    /// A move of `s` the exhaustive search may take *alone*, without the other moves of `s`:
    /// the index in `moves` (the moves of `s`, as [`Model::moves`] lists them) of a **private
    /// step**, or `None` (the default: every move is explored). A partial-order reduction that
    /// visits fewer worlds (a persistent set of one move), sound when the model keeps this
    /// contract for the move `m` it names, of actor `p`:
    /// - `m` is urgent (time cannot pass before it), and no move of `s` is a scheduled event;
    ///   a kill or a pause of `p` may be enabled: killing or pausing `p` just before `m` and
    ///   just after it are the same to everyone else and to every property (`m` is invisible
    ///   to them), so the search kills or pauses `p` after its private steps only;
    /// - from `s`, no sequence of other moves can make such a move enabled, or change anything
    ///   `m` reads, or read anything `m` writes: `m` touches only what is `p`'s alone (its own
    ///   program point, files no other actor ever names);
    /// - `m` changes nothing a property judges, no ghost state, no mark;
    /// - a run of private steps cannot come back to a world (each advances `p`), so no move is
    ///   put off forever.
    ///
    /// Every world in which no actor stands before a private step is then still visited, and
    /// every verdict stays the same; worlds in which one does are visited only as the search
    /// needs them. Ignored with sleep sets.
    ///
    /// "Before `m`" and "after `m`" differ only in `p`'s own program point, so a property that
    /// reads an actor's program point beyond what its ghost state says must not be judged
    /// with this reduction on.
    fn private_step(&self, _s: &Self::State, _moves: &[Self::Move]) -> Option<usize> {
        None
    }

    /// The parameters this model runs with, as a scenario would write them, each version's own
    /// defaults filled in (`max_wait_ms` of a version that derives it from the deadline):
    /// what `run` and `--json` report as having run.
    fn parameters(&self) -> Vec<(&'static str, String)> {
        Vec::new()
    }

    /// The faults the scenario scheduled (crash, pause and cancellation points, syscall
    /// faults) that took effect in no schedule explored with this model so far (see
    /// [`crate::faults`]). A model without scheduled faults has none.
    fn unfired_faults(&self) -> Vec<String> {
        Vec::new()
    }

    /// The fingerprint the exhaustive explorer deduplicates on: equal for worlds it may treat
    /// as one. The default hashes the whole world. A model may override it to hash a compact
    /// encoding (faster) and to map symmetric worlds (interchangeable actors in another order)
    /// to one fingerprint (symmetry reduction). Must be a pure function of the world, never 0.
    fn fingerprint(&self, s: &Self::State) -> u64 {
        crate::fingerprint::fingerprint(s)
    }

    /// [`Model::fingerprint`] of a successor the explorer has just made (by [`Model::apply`]
    /// or [`Model::advance`]) and owns: a model that keeps caches inside its world (hashes of
    /// the parts a move did not change) may refresh them here. Must return exactly what
    /// `fingerprint` returns for the same world.
    fn fingerprint_successor(&self, s: &mut Self::State) -> u64 {
        self.fingerprint(s)
    }
}
