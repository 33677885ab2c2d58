//! The `Model` plumbing the two file-lock models (the restart lock and the prewarm lock) share:
//! which moves a world offers (an open choice first; then due events, pause ends and actor
//! steps; then the optional kills and pauses), when the clock next has something to do, how a
//! choice or an environment move is applied, and whose move it is. A model hands its actors
//! over through [`ProcessActor`] and keeps its steps, labels and invariants to itself.

use lockstep_sim::world::{Fs, ProcId, Procs};
use lockstep_sim::{arrival, Narrator, Time, NEVER};

use super::env::{ActorEnvState, EnvCtx, EnvMove, EnvPlan, EnvSpec, EnvState};

/// An open choice not resolved yet (an actor's `choices` slot).
pub const UNRESOLVED: u8 = u8::MAX;
/// The slot of the arrival instant (`arrive_ms = [a, b]`): the index of the next candidate.
pub const S_ARRIVE: usize = 0;

/// A move of a file-lock model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Move {
    /// Actor, choice slot, alternative.
    Choose(u8, u8, u8),
    Step(u8),
    Env(EnvMove),
}

/// What the shared plumbing reads and sets of one actor of a file-lock model.
pub trait ProcessActor: AsMut<ActorEnvState> {
    /// Its open choices (arrival instant, then the model's own), [`UNRESOLVED`] until chosen.
    fn choices(&self) -> &[u8; 2];
    fn choices_mut(&mut self) -> &mut [u8; 2];
    /// When it next runs (`NEVER` until its arrival is chosen).
    fn wake(&self) -> Time;
    fn set_wake(&mut self, at: Time);
    fn env_state(&self) -> &ActorEnvState;
    /// It has arrived and not finished: the environment may kill or pause it.
    fn started(&self) -> bool;
    fn finished(&self) -> bool;
}

/// The parts of a world the plumbing reads.
pub struct View<'a, A> {
    pub now: Time,
    pub env: &'a EnvState,
    pub procs: &'a Procs,
    pub actors: &'a [A],
}

/// What the plumbing asks a model about its actors' open values.
pub trait OpenValues {
    /// The number of values of actor `a`'s open choice `slot` (never the arrival slot).
    fn alternatives(&self, a: usize, slot: usize) -> usize;
    /// Actor `a`'s candidate arrival instants, ascending: an open arrival is optional at each
    /// but the last ([`lockstep_sim::arrival`]).
    fn arrivals(&self, a: usize) -> &[Time];
}

/// Whether `x` has not arrived yet, and may decline to arrive now (see
/// [`lockstep_sim::arrival`]): its step is then optional.
fn may_decline<A: ProcessActor>(x: &A, arrive: &[Time]) -> bool {
    !x.started() && !x.finished() && arrival::optional(usize::from(x.choices()[S_ARRIVE]), arrive)
}

/// The moves of a world; returns how many are urgent (the rest are the optional arrivals,
/// kills and pauses).
pub fn moves<A: ProcessActor>(
    plan: &EnvPlan,
    spec: &EnvSpec,
    w: &View<'_, A>,
    open: &impl OpenValues,
    out: &mut Vec<Move>,
) -> usize {
    for (a, x) in w.actors.iter().enumerate() {
        if let Some(slot) = x.choices().iter().position(|&c| c == UNRESOLVED) {
            for i in 0..open.alternatives(a, slot) {
                out.push(Move::Choose(a as u8, slot as u8, i as u8));
            }
            return out.len();
        }
    }
    for (i, (t, _)) in plan.events.iter().enumerate() {
        if w.env.fired & (1 << i) == 0 && *t <= w.now {
            out.push(Move::Env(EnvMove::Event(i as u8)));
        }
    }
    for (a, x) in w.actors.iter().enumerate() {
        if x.env_state().resume_at <= w.now {
            out.push(Move::Env(EnvMove::Resume(a as u8)));
        }
    }
    // Actors that may decline to arrive now: their steps come after the urgent ones.
    let mut optional = 0u64;
    for (a, x) in w.actors.iter().enumerate() {
        if x.wake() <= w.now && !x.finished() && w.procs.runs(ProcId(a as u8)) {
            if may_decline(x, open.arrivals(a)) {
                optional |= 1 << a;
            } else {
                out.push(Move::Step(a as u8));
            }
        }
    }
    let urgent = out.len();
    while optional != 0 {
        out.push(Move::Step(optional.trailing_zeros() as u8));
        optional &= optional - 1;
    }
    if w.env.kills < spec.kills_max {
        for (a, x) in w.actors.iter().enumerate() {
            if spec.kill_mask & (1 << a) != 0 && x.started() && w.procs.is_alive(ProcId(a as u8)) {
                out.push(Move::Env(EnvMove::Kill(a as u8)));
            }
        }
    }
    if w.env.pauses < spec.pauses_max {
        for (a, x) in w.actors.iter().enumerate() {
            if spec.pause_mask & (1 << a) != 0 && x.started() && w.procs.runs(ProcId(a as u8)) {
                out.push(Move::Env(EnvMove::Pause(a as u8)));
            }
        }
    }
    urgent
}

/// The next instant an actor wakes (or, declining to arrive now, its next candidate arrival),
/// a pause ends or a scheduled event is due (`NEVER`: none); a model adds its own deadlines (a
/// bounded-liveness property's).
pub fn next_wake<A: ProcessActor>(plan: &EnvPlan, w: &View<'_, A>, open: &impl OpenValues) -> Time {
    let mut t = NEVER;
    for (a, x) in w.actors.iter().enumerate() {
        if x.wake() > w.now && !x.finished() && w.procs.is_alive(ProcId(a as u8)) {
            t = t.min(x.wake());
        } else if may_decline(x, open.arrivals(a)) {
            let next = usize::from(x.choices()[S_ARRIVE]);
            t = t.min(arrival::after(next, open.arrivals(a)).unwrap_or(NEVER));
        }
        if x.env_state().resume_at > w.now {
            t = t.min(x.env_state().resume_at);
        }
    }
    for (i, (at, _)) in plan.events.iter().enumerate() {
        if w.env.fired & (1 << i) == 0 && *at > w.now {
            t = t.min(*at);
        }
    }
    t
}

/// Moves the clock to `to`: actors that let an optional arrival instant pass move on to their
/// next candidate.
pub fn advance<A: ProcessActor>(actors: &mut [A], to: Time, open: &impl OpenValues) {
    for (a, x) in actors.iter_mut().enumerate() {
        if !x.started() && !x.finished() && x.wake() < to {
            let arrive = open.arrivals(a);
            let next = arrival::skip(usize::from(x.choices()[S_ARRIVE]), arrive, to);
            x.choices_mut()[S_ARRIVE] = next as u8;
            x.set_wake(arrive[next]);
        }
    }
}

/// The next instant a bounded-wait deadline passes (`arrived + bound + 1` of every waiter, by
/// the instants `waiters_arrived` gives), or `t` if it comes first.
pub fn wait_deadline(
    t: Time,
    now: Time,
    bound: Time,
    waiters_arrived: impl Iterator<Item = Time>,
) -> Time {
    waiters_arrived
        .map(|arrived| arrived + bound + 1)
        .filter(|&due| due > now)
        .fold(t, Time::min)
}

/// The parts of a world an environment move changes.
pub struct EnvParts<'a, A, const N: usize> {
    pub now: Time,
    pub fs: &'a mut Fs<N>,
    pub procs: &'a mut Procs,
    pub env: &'a mut EnvState,
    pub actors: &'a mut [A],
}

/// A file-lock model's world, as the shared plumbing changes it.
pub trait ProcessWorld<const N: usize> {
    type Actor: ProcessActor;
    fn view(&self) -> View<'_, Self::Actor>;
    fn parts(&mut self) -> EnvParts<'_, Self::Actor, N>;
}

/// Applies a move: a choice, a step of the model's own (`step`, with the syscall faults it
/// consumed noted), or an environment move.
pub fn apply<S: ProcessWorld<N>, const N: usize, W: Narrator>(
    plan: &EnvPlan,
    s: &mut S,
    m: Move,
    step: impl FnOnce(&mut S, usize, &mut W),
    n: &mut W,
) {
    match m {
        Move::Choose(a, slot, i) => {
            s.parts().actors[usize::from(a)].choices_mut()[usize::from(slot)] = i;
        }
        Move::Step(a) => {
            let before = EnvPlan::pending(s.parts().fs);
            step(s, usize::from(a), n);
            plan.note_consumed(&before, s.parts().fs.pending_faults());
        }
        Move::Env(e) => apply_env(plan, s.parts(), e, n),
    }
}

pub fn apply_env<A: ProcessActor, const N: usize, W: Narrator>(
    plan: &EnvPlan,
    w: EnvParts<'_, A, N>,
    e: EnvMove,
    n: &mut W,
) {
    let mut cx = EnvCtx {
        now: w.now,
        procs: w.procs,
        fs: w.fs,
        env: w.env,
    };
    plan.apply(&mut cx, w.actors, e, n)
}

/// The actor a move belongs to.
pub fn actor_of(plan: &EnvPlan, m: Move) -> u8 {
    match m {
        Move::Choose(a, _, _) | Move::Step(a) => a,
        Move::Env(e) => plan.actor_of(e),
    }
}

/// The initial open choices of actor `a` (the arrival slot holds the index of its next
/// candidate instant, so it starts at 0 and is never an open choice), and when it wakes: at
/// its first candidate arrival instant.
pub fn initial_choices(open: &impl OpenValues, a: usize) -> ([u8; 2], Time) {
    let mut choices = [0u8; 2];
    for (slot, c) in choices.iter_mut().enumerate() {
        if slot != S_ARRIVE && open.alternatives(a, slot) > 1 {
            *c = UNRESOLVED;
        }
    }
    (choices, open.arrivals(a)[0])
}

/// Declares a model's actor type with the fields every file-lock actor has (`choices`, the
/// open values of its slots; `pc`, its program point; `wake`, when its next step is enabled;
/// `env`, its fault bookkeeping), followed by the model's own, and implements [`ProcessActor`]
/// and `AsMut<ActorEnvState>` for it: it has started once its `pc` is past `$not_arrived` (the
/// pattern is followed by a comma, as a macro pattern must be), and finished when
/// `$model::finished(&pc)` says so.
macro_rules! process_actor {
    (
        $(#[$meta:meta])*
        $vis:vis struct $actor:ident<$model:ty, $point:ty, $not_arrived:pat,> {
            $($(#[$field_meta:meta])* $field:ident: $type:ty,)*
        }
    ) => {
        $(#[$meta])*
        // `Copy`, so a world's actors clone with one copy; `Default` only fills the world's
        // unused actor slots, which nothing reads.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
        $vis struct $actor {
            choices: [u8; 2],
            pc: $point,
            /// The next step is enabled from this instant (timers).
            wake: lockstep_sim::Time,
            env: $crate::models::env::ActorEnvState,
            $($(#[$field_meta])* $field: $type,)*
        }

        impl AsMut<$crate::models::env::ActorEnvState> for $actor {
            fn as_mut(&mut self) -> &mut $crate::models::env::ActorEnvState {
                &mut self.env
            }
        }

        impl $crate::models::process::ProcessActor for $actor {
            fn choices(&self) -> &[u8; 2] {
                &self.choices
            }
            fn choices_mut(&mut self) -> &mut [u8; 2] {
                &mut self.choices
            }
            fn wake(&self) -> lockstep_sim::Time {
                self.wake
            }
            fn set_wake(&mut self, at: lockstep_sim::Time) {
                self.wake = at;
            }
            fn env_state(&self) -> &$crate::models::env::ActorEnvState {
                &self.env
            }
            fn started(&self) -> bool {
                !matches!(self.pc, $not_arrived) && !<$model>::finished(&self.pc)
            }
            fn finished(&self) -> bool {
                <$model>::finished(&self.pc)
            }
        }
    };
}
pub(crate) use process_actor;

/// Declares a model's world type: the clock, a file system of `$n` entries, the process table,
/// the fault bookkeeping and the actors, then the model's own ghost fields, then the fields
/// every file-lock world's invariants use (`flags`, the damage flags raised so far, and
/// `flag_actor`, who raised the last one) and `reached`; and implements [`ProcessWorld`] for it.
macro_rules! process_world {
    (
        $(#[$meta:meta])*
        $vis:vis struct $world:ident<$actor:ty, $n:literal> {
            $($(#[$field_meta:meta])* $field:ident: $type:ty,)*
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash)]
        $vis struct $world {
            now: lockstep_sim::Time,
            fs: lockstep_sim::world::Fs<$n>,
            procs: lockstep_sim::world::Procs,
            env: $crate::models::env::EnvState,
            actors: lockstep_sim::inline::InlineVec<$actor, { $crate::models::env::MAX_ACTORS }>,
            $($(#[$field_meta])* $field: $type,)*
            flags: u8,
            flag_actor: u8,
            /// Ghost, kept only by a reachability search (`reach_target`): the target was
            /// reached.
            reached: bool,
        }

        impl $crate::models::process::ProcessWorld<$n> for $world {
            type Actor = $actor;
            fn view(&self) -> $crate::models::process::View<'_, $actor> {
                $crate::models::process::View {
                    now: self.now,
                    env: &self.env,
                    procs: &self.procs,
                    actors: &self.actors,
                }
            }
            fn parts(&mut self) -> $crate::models::process::EnvParts<'_, $actor, $n> {
                $crate::models::process::EnvParts {
                    now: self.now,
                    fs: &mut self.fs,
                    procs: &mut self.procs,
                    env: &mut self.env,
                    actors: &mut self.actors,
                }
            }
        }
    };
}
pub(crate) use process_world;

/// A file-lock model's [`lockstep_sim::Model::violated`]. Under a reachability search for
/// `reach_target` (a point index, or [`crate::reach::THROWS`]: `threw` says whether some actor
/// threw), only "never reached" is checked, so a violation is a witness; otherwise the first of
/// the first `limit` checks that `holds` rejects.
pub fn first_violated<I: Copy>(
    reach_target: Option<u8>,
    reached: bool,
    threw: impl Fn() -> bool,
    checks: &[I],
    limit: lockstep_sim::PropIdx,
    holds: impl Fn(I) -> bool,
) -> Option<lockstep_sim::PropIdx> {
    if let Some(target) = reach_target {
        let hit = if target == crate::reach::THROWS {
            threw()
        } else {
            reached
        };
        return (limit > 0 && hit).then_some(0);
    }
    checks
        .iter()
        .take(usize::from(limit))
        .position(|&check| !holds(check))
        .map(|i| i as lockstep_sim::PropIdx)
}
