//! workerd's isolate reset (`abortIsolate()`, protocols.md §2) as an explicit state machine,
//! one model for every version.
//!
//! **What is modelled.** One `Server::WorkerService`: the current `worker` (an isolate
//! *generation*, numbered from 1), `isolateAbortRequested` (the flag), the abort epoch (the
//! `abortAllPromise` that every IoContext subscribes to when it is created, numbered from 1,
//! with the set of rejected epochs), and the worker factory whose outcome is a scenario choice
//! (`ok`, `throws-once`, `throws-twice`, `throws-N`, `throws-always`, chosen at its first call
//! when the scenario lists several). Each generation has its own module state: a counter that every handler
//! increments (the PR's test counter), and, when the scenario says so, a whole init lock
//! (`init_lock` in `[params]`) run as a guest model through `lockstep_sim::compose`, one world per
//! generation, opened fresh when the generation is created and dropped when it is freed.
//! Requests are the actors: HTTP requests, WebSockets and Durable Object calls, the last two
//! long-lived (they keep their generation referenced for as long as they stay open).
//!
//! **Granularity** (protocols.md §2.3, one step each):
//! - *B-start* (`arrive`): `startRequest`, synchronous: if the flag is set, the factory runs
//!   and (W-V2) the flag is cleared only after it returns; then the request is bound to the
//!   current generation and its IoContext subscribes to the current epoch. A throwing factory
//!   fails the request inside this step. The old worker is freed in this step if nothing else
//!   references it.
//! - *B-js* (`handler`): the handler's first synchronous segment, on a later turn of the same
//!   instant: it increments the module counter, then either awaits its I/O (`work_ms`), or
//!   calls the module's init lock (whose own steps are the init lock's, see its model), or
//!   reaches its `abortIsolate()` call after `abort_after_ms`.
//! - *B-abort* (`calls abortIsolate()`): one synchronous step: flag = true, reject epoch `e`,
//!   start epoch `e+1`, abort the caller's own context, terminate its JS. With
//!   `split_abort = true` (finer than workerd, W-V2-d) the rejection and the start of the next
//!   epoch are two steps with a window between them.
//! - *B-deliver* (`abort delivered`): each IoContext subscribed to a rejected epoch aborts on a
//!   later event-loop turn of the same instant, one step per context. Urgent: time does not
//!   pass before every rejection has been delivered.
//! - *B-free*: a generation is freed in the step that drops its last reference (the service's
//!   `worker` pointer or a request bound to it), not as a step of its own.
//! - The response of a request is one step at `work_ms` after its handler started; a request
//!   that calls the init lock responds in the step in which the lock returns to it.
//! - The client going away (`cancel_at_ms`) is one step: the request's continuation is dropped
//!   (an anchored init-lock call keeps its IoContext, and so its generation, alive until the
//!   anchored work ends). It cannot land inside a synchronous step.
//!
//! **Per version** (see [`Version`]): W-V0 has no such function (the call throws a
//! `TypeError`); W-V1 condemns (flag only, the caller and every old request keep running);
//! W-V2 aborts all; `w2-reset-flag-first` clears the flag before the factory; W-V3 kills the
//! process for a static worker (every request fails, later arrivals are refused) and drops a
//! dynamic worker from the loader's map (the next call builds a fresh isolate, outstanding
//! calls keep the old one). W-V1/W-V2 give a dynamic worker no factory: the call throws an
//! `Error` and nothing else happens.
//!
//! **Values the sources do not give, and what the model takes:** the abort reason (a fixed
//! `"abortIsolate() was called."`); how long the factory takes (zero: it runs inside
//! `startRequest`, W-V2-c is latency, not ordering); whether a handler catches the `Error` or
//! `TypeError` (it does not: the request fails); that a request which fails to start (the
//! factory threw, or the process is gone) never counts as running on any generation; that
//! W-V1 had W-V2's factory, flag handling and static-only support (the seed shows only the
//! final PR code; the stale comments say only that the caller kept running); that nothing
//! restarts a dead workerd process (a supervisor is outside the model); that a request whose
//! init-lock call returns responds successfully whatever the call returned (the composition
//! reports that the guest returned, not with what: an init-lock timeout counts as a response).
//! Which abort a rule means: `abortIsolate()` aborts the service's *current* worker (W-V2's
//! epoch is per service, so it is the worker the rejected epoch's contexts were bound to), the
//! W-V3 dynamic callback forgets the *caller's* isolate, and a W-V1 condemn counts as a reset
//! for `fresh-generation` and `recovers` but aborts nothing, so `aborted-fail` ignores it.
//!
//! **Ghost state** (not in the protocol, kept to judge invariants): the instant each
//! generation was aborted, the number of aborts (or condemns) and the generation current at
//! the latest one, per request the abort count at its start, whether a request that started
//! after the latest abort has succeeded on a newer generation, which features each generation
//! lost to the factory, and a flag per safety violation with the request that raised it.
//! Fields that cannot matter any more are kept canonical so they do not split states: a freed
//! generation's fields are zeroed, the factory's call count stops once no later call can
//! behave differently (at 2 for `throws-once`, at N + 1 for `throws-N`), and the `recovers` bookkeeping is kept only when a scenario checks it.

use arrayvec::ArrayVec;

use lockstep_sim::arrival;
use lockstep_sim::compose::{Guest, Nest, Nested, Progress, PropertyMap, Slots};
use lockstep_sim::{Model, Narrator, PropIdx, Property, Time};

use super::invariants::Inv;
use super::spec::{Factory, Kind, Spec, FEATURES, LOST_BY_FACTORY, MAX_ACTORS, MAX_GENERATIONS};
use super::version::{Reset, Version};

const NONE: u32 = u32::MAX;
const UNRESOLVED: u8 = u8::MAX;
/// The reason every aborted request fails with (the PR's default message).
const REASON: &str = "abortIsolate() was called.";

/// Choice slots per request: arrival candidate, `work_ms`, `abort_after_ms`.
const S_ARRIVE: usize = 0;
const S_WORK: usize = 1;
const S_ABORT: usize = 2;

pub struct IsolateModel<G: Guest> {
    pub(super) spec: Spec,
    pub(super) version: Version,
    pub(super) reset: Reset,
    /// The isolate's own checked invariants, in the scenario's order.
    pub(super) checks: Vec<Inv>,
    pub(super) map: PropertyMap,
    pub(super) props: Vec<Property>,
    pub(super) nest: Nest<G>,
    /// The scripted client cancellations (`cancel_at_ms`), bit per request: which took effect
    /// in some explored schedule.
    pub(super) faults: lockstep_sim::faults::FaultLog,
    /// Set for a reachability search (see `crate::reach`): an index into [`REACHABLE`]; the
    /// model then checks only "never reached".
    pub(super) reach_target: Option<u8>,
    /// Symmetry reduction between interchangeable requests (see [`IsolateModel::symmetric`]):
    /// each request's salt is its class's, so the fingerprint hashes the multiset of each
    /// class's requests. `None`: every request is its own class (positional), as when the
    /// module state holds an init lock, whose per-request state would need permuting too.
    pub(super) classes: Option<[u64; MAX_ACTORS]>,
}

/// The isolate's reachability targets, judged on the world as it stands.
pub const REACHABLE: &[(&str, &str)] = &[
    (
        "recreated",
        "the worker was recreated: a generation after the first exists",
    ),
    (
        "request-fails",
        "some request ends failed (an abort delivered, a factory throw, a refused start)",
    ),
];

/// One isolate generation and its module state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Gen {
    live: bool,
    /// The module-level counter every handler increments (the PR's tests return it).
    counter: u8,
    /// Ghost: when `abortIsolate()` aborted this generation (`NONE`: never).
    aborted_at: u32,
    /// Ghost: the service's abort epoch when `abortIsolate()` was called on this generation:
    /// every request of the generation subscribed to it or an earlier one must fail (S-B1).
    aborted_epoch: u8,
    /// The configuration features this generation has (bits of [`FEATURES`]).
    features: u8,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum End {
    Ok,
    Failed,
    Cancelled,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Point {
    NotArrived,
    /// `startRequest` ran; the handler runs on a later turn of this instant.
    Started,
    /// The handler awaits its I/O until `wake` (`NONE`: open to the end). `true`: its
    /// `abortIsolate()` call is still ahead (at `wake`).
    Running(bool),
    /// `split_abort`: between the two halves of `abortIsolate()`.
    Aborting,
    /// Awaiting the module's init lock.
    InInit,
    /// The client went away while an anchored init runs: the IoContext stays alive.
    Detached,
    Done(End),
}

impl Point {
    /// The request's IoContext exists: it references its generation and can be aborted.
    fn holds_context(self) -> bool {
        matches!(
            self,
            Point::Started | Point::Running(_) | Point::Aborting | Point::InInit | Point::Detached
        )
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Req {
    pc: Point,
    /// Bound generation (0: none).
    generation: u8,
    /// Subscribed abort epoch.
    epoch: u8,
    wake: u32,
    choices: [u8; 3],
    /// Ghost: aborts (or condemns) that happened before its start.
    abort_seq: u8,
    cancelled: bool,
}

/// Safety violations, raised when they happen.
const F_ABORTED_OK: u8 = 1;
const F_STALE: u8 = 2;
const F_CONFIG: u8 = 4;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct World<GS> {
    now: u32,
    /// The service's current worker (0: none: dropped from the loader, or the process died).
    worker: u8,
    /// `isolateAbortRequested` (W-V3 dynamic: the loader has no entry for the name).
    flag: bool,
    epoch: u8,
    /// Rejected epochs, bit `e`.
    rejected: u32,
    process_dead: bool,
    factory: u8,
    factory_calls: u8,
    gens: ArrayVec<Gen, MAX_GENERATIONS>,
    reqs: ArrayVec<Req, MAX_ACTORS>,
    /// Each live generation's module-state guest (the init lock), keyed by generation.
    nest: Slots<GS>,
    // Ghost.
    aborts: u8,
    abort_gen: u8,
    abort_at: u32,
    recovered: bool,
    arrived_after: bool,
    flags: u8,
    who: [u8; 3],
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Move<GM> {
    /// B-start of a request; the factory alternative if this start makes its first call.
    Start(u8, u8),
    /// The handler's first segment, with its `work_ms` and `abort_after_ms` alternatives.
    Js(u8, u8, u8),
    /// The handler's timer: its abort call, the second half of a split abort, or its response.
    Step(u8),
    /// The rejection of its epoch reaches this request's IoContext.
    Deliver(u8),
    Cancel(u8),
    /// A step of the init lock in some generation's module state.
    Lock(Nested<GM>),
}

fn t32(t: u64) -> u32 {
    t.min(u64::from(NONE - 1)) as u32
}

fn bit(e: u8) -> u32 {
    1u32 << (e % 32)
}

impl<G: Guest> IsolateModel<G> {
    fn name(&self, a: usize) -> &str {
        &self.spec.actors[a].name
    }

    fn has(&self, i: Inv) -> bool {
        self.checks.contains(&i)
    }

    fn raise<GS>(&self, s: &mut World<GS>, f: u8, a: usize) {
        if s.flags & f == 0 {
            s.flags |= f;
            s.who[f.trailing_zeros() as usize] = a as u8;
        }
    }

    fn work_alts(&self, a: usize) -> usize {
        self.spec.actors[a].work.as_ref().map_or(1, Vec::len)
    }

    fn abort_alts(&self, a: usize) -> usize {
        self.spec.actors[a].abort_after.as_ref().map_or(1, Vec::len)
    }

    /// Whether `startRequest` would call the factory with its outcome still open.
    fn start_needs_pick<GS>(&self, s: &World<GS>) -> bool {
        !s.process_dead && s.flag && s.factory == UNRESOLVED
    }

    /// L-B1's premise, "the factory eventually succeeds", judged at the end of a run: the
    /// factory is not broken for good, and the run gave it its chance. Either a call has
    /// succeeded (every later one succeeds too), or no later request would call it: the
    /// process is dead, or the flag is clear. A run that ends while a `throws-N` factory has
    /// thrown on every call so far, its flag still set, proves nothing either way: the next
    /// request would recreate.
    fn factory_premise<GS>(&self, s: &World<GS>) -> bool {
        let stuck = s.process_dead || !s.flag;
        if s.factory == UNRESOLVED {
            return stuck;
        }
        let f = self.spec.factory[usize::from(s.factory)];
        let succeeded = s.factory_calls > 0 && !f.throws(s.factory_calls);
        f != Factory::ThrowsAlways && (succeeded || stuck)
    }

    /// S-B3's breach: the flag is still set although the current worker is a generation
    /// created after the last abort (generations are numbered in creation order).
    fn flag_outlived_recreation<GS>(s: &World<GS>) -> bool {
        s.aborts > 0 && s.flag && s.worker > s.abort_gen
    }

    fn cancel_due<GS>(&self, s: &World<GS>, a: usize) -> bool {
        let r = &s.reqs[a];
        !r.cancelled
            && matches!(r.pc, Point::Started | Point::Running(_) | Point::InInit)
            && self.spec.actors[a]
                .cancel_at
                .is_some_and(|t| u64::from(s.now) >= t)
    }

    fn deliverable<GS>(&self, s: &World<GS>, a: usize) -> bool {
        let r = &s.reqs[a];
        r.pc.holds_context() && r.pc != Point::Aborting && s.rejected & bit(r.epoch) != 0
    }

    /// B-start.
    fn start<N: Narrator>(&self, s: &mut World<G::State>, a: usize, pick: u8, n: &mut N) {
        if self.has(Inv::Recovers) && s.aborts > 0 {
            s.arrived_after = true;
        }
        if s.process_dead {
            n.say(format_args!(
                "the workerd process is gone: the request is refused"
            ));
            s.reqs[a].pc = Point::Done(End::Failed);
            return;
        }
        if s.flag && !self.recreate(s, a, pick, n) {
            return;
        }
        let g = s.worker;
        let e = s.epoch;
        let r = &mut s.reqs[a];
        r.generation = g;
        r.epoch = e;
        r.abort_seq = s.aborts;
        r.pc = Point::Started;
        r.wake = s.now;
        n.say(format_args!(
            "bound to generation {g}, IoContext subscribed to epoch {e}"
        ));
        if s.aborts > 0
            && (g <= s.abort_gen || s.rejected & bit(e) != 0)
            && self.has(Inv::FreshGeneration)
        {
            self.raise(s, F_STALE, a);
        }
        self.collect(s, n);
    }

    /// `startRequest` with the recreate flag set: the factory (or the loader) builds the next
    /// generation and the flag clears, or the factory throws and the request fails (false).
    fn recreate<N: Narrator>(
        &self,
        s: &mut World<G::State>,
        a: usize,
        pick: u8,
        n: &mut N,
    ) -> bool {
        if s.factory == UNRESOLVED {
            s.factory = pick;
        }
        let f = self.spec.factory[usize::from(s.factory)];
        // Calls past the last one that can throw all behave alike: count no further.
        s.factory_calls = (s.factory_calls + 1).min(f.calls_that_matter());
        let cleared = self.version.flag_cleared_first();
        if cleared {
            s.flag = false;
        }
        if f.throws(s.factory_calls) {
            if N::ON {
                self.say_factory_throws(s, f, cleared, n);
            }
            s.reqs[a].pc = Point::Done(End::Failed);
            return false;
        }
        let g = s.gens.len() as u8 + 1;
        let lossy = self.version.lossy_factory();
        s.gens.push(Gen {
            live: true,
            counter: 0,
            aborted_at: NONE,
            aborted_epoch: 0,
            features: if lossy {
                self.spec.features & !LOST_BY_FACTORY
            } else {
                self.spec.features
            },
        });
        let old = s.worker;
        s.worker = g;
        s.flag = false;
        self.nest.open(&mut s.nest, g, u64::from(s.now));
        if N::ON {
            if self.spec.dynamic {
                n.say(format_args!(
                    "the loader has no isolate under this name: it builds generation {g}, fresh module state"
                ));
            } else {
                n.say(format_args!(
                    "startRequest: flag set: factory() builds generation {g}, fresh module state; flag = false"
                ));
            }
            if old != 0 && s.gens[usize::from(old) - 1].live {
                n.say(format_args!("the service lets go of generation {old}"));
            }
        }
        true
    }

    /// The factory (or the loader's build) throws: the request fails; the flag is cleared
    /// already (W3-a's order) or stays set.
    fn say_factory_throws<N: Narrator>(
        &self,
        s: &World<G::State>,
        f: Factory,
        cleared: bool,
        n: &mut N,
    ) {
        let what = if self.spec.dynamic {
            "the loader's build"
        } else {
            "factory()"
        };
        let after = if cleared {
            match s.worker {
                0 => "flag already cleared".to_string(),
                g => format!("flag already cleared: worker is still generation {g}"),
            }
        } else {
            "flag stays set".to_string()
        };
        n.say(format_args!(
            "startRequest: {what} throws ({}): the request fails; {after}",
            f.name()
        ));
    }

    /// B-js: the handler's first segment.
    fn js<N: Narrator>(&self, s: &mut World<G::State>, a: usize, w: u8, ab: u8, n: &mut N) {
        let g = s.reqs[a].generation;
        let generation = &mut s.gens[usize::from(g) - 1];
        generation.counter = generation.counter.saturating_add(1);
        let counter = generation.counter;
        let missing = self.spec.features & !generation.features;
        n.say(format_args!(
            "handler runs on generation {g}: module counter = {counter}"
        ));
        if missing != 0 && self.has(Inv::SameConfig) {
            self.raise(s, F_CONFIG, a);
        }
        let sp = &self.spec.actors[a];
        if sp.init {
            n.say(format_args!("calls getRuntime() (the module's init lock)"));
            s.reqs[a].pc = Point::InInit;
            s.reqs[a].wake = NONE;
            self.nest.admit(&mut s.nest, g, a as u8, n);
            self.settle_inits(s, g, n);
            return;
        }
        let r = &mut s.reqs[a];
        r.choices[S_WORK] = w;
        r.choices[S_ABORT] = ab;
        let now = u64::from(s.now);
        match (&sp.abort_after, &sp.work) {
            (Some(abs), _) => {
                let t = abs[usize::from(ab)];
                r.pc = Point::Running(true);
                r.wake = t32(now + t);
                if N::ON && t > 0 {
                    n.say(format_args!("will call abortIsolate() at {}", now + t));
                }
            }
            (None, Some(works)) => {
                r.pc = Point::Running(false);
                r.wake = t32(now + works[usize::from(w)]);
            }
            (None, None) => {
                r.pc = Point::Running(false);
                r.wake = NONE;
                n.say(format_args!("stays open"));
            }
        }
    }

    /// The handler's `abortIsolate()` call (W-V1: `resetWorker()`).
    fn abort_call<N: Narrator>(&self, s: &mut World<G::State>, a: usize, n: &mut N) {
        match self.reset {
            Reset::Missing => {
                n.say(format_args!(
                    "abortIsolate is not a function: TypeError; the handler throws, the request fails"
                ));
                self.end(s, a, End::Failed, n);
            }
            Reset::Unsupported => {
                n.say(format_args!(
                    "throws Error: not supported for this worker configuration (no factory); the request fails"
                ));
                self.end(s, a, End::Failed, n);
            }
            Reset::Condemn => {
                s.flag = true;
                let g = s.worker;
                self.note_abort(s, g);
                n.say(format_args!(
                    "generation {g} condemned (flag = true); this request keeps running"
                ));
                let sp = &self.spec.actors[a];
                let r = &mut s.reqs[a];
                let ab = sp.abort_after.as_ref().expect("an abort call")
                    [usize::from(r.choices[S_ABORT])];
                r.pc = Point::Running(false);
                r.wake = match &sp.work {
                    Some(w) => t32(u64::from(s.now) - ab + w[usize::from(r.choices[S_WORK])]),
                    None => NONE,
                };
            }
            Reset::AbortAll => {
                s.flag = true;
                let g = s.worker;
                self.note_abort(s, g);
                self.mark_aborted(s, g);
                n.say(format_args!("flag = true"));
                self.abort_half(s, true, n);
                if self.spec.split_abort {
                    s.reqs[a].pc = Point::Aborting;
                    s.reqs[a].wake = s.now;
                    return;
                }
                self.abort_half(s, false, n);
                self.abort_own(s, a, n);
            }
            Reset::AbortProcess => self.abort_process(s, a, n),
            Reset::DropFromLoader => self.drop_from_loader(s, a, n),
        }
    }

    /// A static worker's abort (no factory): the whole workerd process dies with every request
    /// and generation in it.
    fn abort_process<N: Narrator>(&self, s: &mut World<G::State>, a: usize, n: &mut N) {
        let g = s.worker;
        self.note_abort(s, g);
        n.say(format_args!(
            "static worker: KJ_FAIL_REQUIRE in a noexcept function, std::terminate: the workerd process dies"
        ));
        s.process_dead = true;
        s.worker = 0;
        s.flag = false;
        for b in 0..s.reqs.len() {
            if s.reqs[b].pc.holds_context() {
                if N::ON && b != a {
                    n.say(format_args!("{} dies with it", self.name(b)));
                }
                s.reqs[b].pc = Point::Done(End::Failed);
            }
        }
        for i in 0..s.gens.len() {
            if s.gens[i].live {
                self.mark_aborted(s, i as u8 + 1);
            }
        }
        self.collect(s, n);
    }

    /// A dynamic worker's abort: the loader forgets the caller's own isolate, if its map still
    /// names it; outstanding calls are not aborted.
    fn drop_from_loader<N: Narrator>(&self, s: &mut World<G::State>, a: usize, n: &mut N) {
        // The one-shot callback forgets the caller's own isolate, if the loader's map
        // still names it.
        let g = s.reqs[a].generation;
        self.note_abort(s, g);
        self.mark_aborted(s, g);
        if s.worker == g {
            s.flag = true;
            s.worker = 0;
            n.say(format_args!(
                "dynamic worker: the loader drops generation {g} from its map (outstanding calls are not aborted)"
            ));
        } else {
            n.say(format_args!(
                "dynamic worker: the loader's map no longer names generation {g}"
            ));
        }
        n.say(format_args!("terminateExecutionNow: the request fails"));
        self.end(s, a, End::Failed, n);
    }

    /// One half of `WorkerService::abortIsolate`: `true` the rejection of the current epoch,
    /// `false` the start of the next (the canary does them the other way round).
    fn abort_half<N: Narrator>(&self, s: &mut World<G::State>, first: bool, n: &mut N) {
        if first != self.version.reset_before_reject() {
            s.rejected |= bit(s.epoch);
            n.say(format_args!("epoch {} rejected", s.epoch));
        } else {
            s.epoch = s.epoch.saturating_add(1);
            n.say(format_args!("epoch {} begins", s.epoch));
        }
    }

    /// `abort(...)` the caller's own context and `terminateExecutionNow()`.
    fn abort_own<N: Narrator>(&self, s: &mut World<G::State>, a: usize, n: &mut N) {
        n.say(format_args!(
            "own context aborted, terminateExecutionNow: the request fails"
        ));
        self.end(s, a, End::Failed, n);
    }

    /// Ghost: generation `g` was aborted now (its first abort is the one that counts).
    fn mark_aborted<GS>(&self, s: &mut World<GS>, g: u8) {
        let generation = &mut s.gens[usize::from(g) - 1];
        if generation.aborted_at == NONE {
            generation.aborted_at = s.now;
            generation.aborted_epoch = s.epoch;
        }
    }

    fn note_abort<GS>(&self, s: &mut World<GS>, g: u8) {
        s.aborts = s.aborts.saturating_add(1);
        s.abort_gen = g;
        if self.has(Inv::Recovers) {
            s.abort_at = s.now;
            s.recovered = false;
            s.arrived_after = false;
        }
    }

    /// The request's IoContext is gone (or it responded); its generation may be freed.
    fn end<N: Narrator>(&self, s: &mut World<G::State>, a: usize, how: End, n: &mut N) {
        let r = s.reqs[a];
        if matches!(r.pc, Point::InInit | Point::Detached)
            && self.nest.progress(&s.nest, r.generation, a as u8) == Progress::Running
        {
            self.nest.kill(&mut s.nest, r.generation, a as u8);
        }
        if how == End::Ok {
            let g = usize::from(r.generation) - 1;
            let at = s.gens[g].aborted_at;
            if at != NONE && at < s.now && self.has(Inv::AbortedFail) {
                self.raise(s, F_ABORTED_OK, a);
            }
            if r.abort_seq == s.aborts
                && s.aborts > 0
                && r.generation > s.abort_gen
                && self.has(Inv::Recovers)
            {
                s.recovered = true;
            }
        }
        let req = &mut s.reqs[a];
        req.pc = Point::Done(how);
        req.wake = NONE;
        self.collect(s, n);
    }

    /// The handler responds.
    fn respond<N: Narrator>(&self, s: &mut World<G::State>, a: usize, n: &mut N) {
        if N::ON {
            let r = s.reqs[a];
            let g = &s.gens[usize::from(r.generation) - 1];
            let what = match self.spec.actors[a].kind {
                Kind::Http => "200 OK",
                Kind::WebSocket => "the WebSocket closes normally",
                Kind::DurableObject => "the Durable Object call returns",
            };
            if g.aborted_at != NONE {
                n.say(format_args!(
                    "{what} from generation {}, aborted at {}",
                    r.generation, g.aborted_at
                ));
            } else {
                n.say(format_args!("{what}"));
            }
        }
        self.end(s, a, End::Ok, n);
    }

    /// After a step of generation `g`'s init lock: every request whose call returned responds,
    /// every request whose caller is gone ends.
    fn settle_inits<N: Narrator>(&self, s: &mut World<G::State>, g: u8, n: &mut N) {
        for b in 0..s.reqs.len() {
            let r = s.reqs[b];
            if r.generation != g || !matches!(r.pc, Point::InInit | Point::Detached) {
                continue;
            }
            match self.nest.progress(&s.nest, g, b as u8) {
                Progress::Running => {}
                Progress::Returned if r.pc == Point::InInit => {
                    n.say(format_args!("{}: getRuntime() returned", self.name(b)));
                    self.respond(s, b, n);
                }
                _ => {
                    n.say(format_args!("{}'s IoContext ends", self.name(b)));
                    self.end(s, b, End::Cancelled, n);
                }
            }
        }
    }

    /// Frees every generation nothing references any more.
    fn collect<N: Narrator>(&self, s: &mut World<G::State>, n: &mut N) {
        for i in 0..s.gens.len() {
            if !s.gens[i].live {
                continue;
            }
            let g = i as u8 + 1;
            let held = s.worker == g
                || s.reqs
                    .iter()
                    .any(|r| r.generation == g && r.pc.holds_context());
            if held {
                continue;
            }
            s.gens[i] = Gen {
                live: false,
                counter: 0,
                aborted_at: NONE,
                aborted_epoch: 0,
                features: 0,
            };
            self.nest.close(&mut s.nest, g);
            n.say(format_args!(
                "generation {g} freed (last reference dropped)"
            ));
        }
    }

    fn live(&self, s: &World<G::State>) -> usize {
        s.gens.iter().filter(|g| g.live).count()
    }

    fn host_check(&self, s: &World<G::State>, inv: Inv, at_end: bool) -> bool {
        match inv {
            Inv::AbortedFail => {
                s.flags & F_ABORTED_OK == 0 && self.open_after_abort(s, at_end).is_none()
            }
            Inv::FreshGeneration => s.flags & F_STALE == 0,
            Inv::BoundedGenerations => self.live(s) <= usize::from(self.spec.max_generations),
            Inv::Recovers => {
                !at_end
                    || s.aborts == 0
                    || !s.arrived_after
                    || s.recovered
                    || !self.factory_premise(s)
            }
            Inv::SameConfig => s.flags & F_CONFIG == 0,
            Inv::FlagCleared => !Self::flag_outlived_recreation(s),
        }
    }

    /// The other half of S-B1: a request subscribed, when `abortIsolate()` was called on its
    /// generation, to that epoch or an earlier one, whose IoContext is still open once the
    /// abort's instant has passed (or the run has ended). Deliveries are urgent: a protocol
    /// that rejects the right epoch has aborted every such context before the clock moves.
    /// A long-lived request (a WebSocket open to the end) never completes, so without this
    /// half a protocol that never aborts it would pass.
    fn open_after_abort(&self, s: &World<G::State>, at_end: bool) -> Option<usize> {
        s.reqs.iter().position(|r| {
            r.generation != 0 && r.pc.holds_context() && {
                let g = &s.gens[usize::from(r.generation) - 1];
                g.aborted_at != NONE
                    && (g.aborted_at < s.now || at_end)
                    && r.epoch <= g.aborted_epoch
            }
        })
    }

    fn host_violated(&self, s: &World<G::State>, limit: PropIdx, at_end: bool) -> Option<PropIdx> {
        self.checks
            .iter()
            .take(usize::from(limit))
            .position(|&inv| !self.host_check(s, inv, at_end))
            .map(|i| i as PropIdx)
    }

    /// `aborted-fail`: a request still open on an aborted generation, or one that succeeded
    /// on it.
    fn explain_aborted_fail(&self, s: &World<G::State>) -> String {
        if s.flags & F_ABORTED_OK == 0 {
            let a = self.open_after_abort(s, true).unwrap_or_default();
            let r = s.reqs[a];
            let g = &s.gens[usize::from(r.generation) - 1];
            return format!(
                "{} is still open on generation {}, which abortIsolate() aborted at {} ms while its IoContext was subscribed to epoch {}: the abort never reached it",
                self.name(a),
                r.generation,
                g.aborted_at,
                r.epoch
            );
        }
        let a = usize::from(s.who[0]);
        format!(
            "{} completed successfully on generation {}, which abortIsolate() had aborted earlier",
            self.name(a),
            s.reqs[a].generation
        )
    }

    fn host_explain(&self, s: &World<G::State>, inv: Inv) -> String {
        let who = |f: u8| {
            self.name(usize::from(s.who[f.trailing_zeros() as usize]))
                .to_string()
        };
        match inv {
            Inv::AbortedFail => self.explain_aborted_fail(s),
            Inv::FreshGeneration => {
                let a = usize::from(s.who[1]);
                let r = s.reqs[a];
                if r.generation <= s.abort_gen {
                    format!(
                        "{} started after generation {} was reset, and ran on generation {}",
                        who(F_STALE),
                        s.abort_gen,
                        r.generation
                    )
                } else {
                    format!(
                        "{} started after the abort on fresh generation {}, but its IoContext subscribed to the already rejected epoch {}",
                        who(F_STALE),
                        r.generation,
                        r.epoch
                    )
                }
            }
            Inv::BoundedGenerations => {
                let live: Vec<String> = s
                    .gens
                    .iter()
                    .enumerate()
                    .filter(|(_, g)| g.live)
                    .map(|(i, _)| (i + 1).to_string())
                    .collect();
                format!(
                    "{} generations alive at once ({}); the scenario allows {}",
                    live.len(),
                    live.join(", "),
                    self.spec.max_generations
                )
            }
            Inv::Recovers => format!(
                "after the reset of generation {} at {}, requests kept arriving and none succeeded on a newer generation",
                s.abort_gen, s.abort_at
            ),
            Inv::FlagCleared => format!(
                "generation {} was recreated after the abort of generation {}, but isolateAbortRequested is still set: the next request recreates the worker again",
                s.worker, s.abort_gen
            ),
            Inv::SameConfig => self.explain_same_config(s),
        }
    }
}

impl<G: Guest> IsolateModel<G> {
    /// `same-config`: which features the recreated generation lost.
    fn explain_same_config(&self, s: &World<G::State>) -> String {
        let a = usize::from(s.who[2]);
        let g = s.gens[usize::from(s.reqs[a].generation) - 1];
        let lost: Vec<&str> = FEATURES
            .iter()
            .enumerate()
            .filter(|(i, _)| self.spec.features & !g.features & (1 << i) != 0)
            .map(|(_, (_, what))| *what)
            .collect();
        format!(
            "{} ran on generation {}, recreated without: {}",
            self.name(usize::from(s.who[F_CONFIG.trailing_zeros() as usize])),
            s.reqs[a].generation,
            lost.join(", ")
        )
    }
}

impl<G: Guest> IsolateModel<G> {
    /// The fingerprint under symmetry: the shared state (everything but the requests and
    /// `who`, which only names the flag raisers for explanations) and a wrapping sum of each
    /// request's hash salted with its class. The sum is the same for every order of a class's
    /// members, so worlds that differ by permuting interchangeable requests (same kind, same
    /// timing alternatives, no scripted cancellation) get one fingerprint; nothing else in the
    /// world names a request by position. Requests with a scripted cancellation are their own
    /// class, so the report of faults that never fired stays per request.
    fn symmetric(&self, s: &World<G::State>, salts: &[u64; MAX_ACTORS]) -> u64 {
        use lockstep_sim::fingerprint::{fingerprint, mix};
        let shared = fingerprint(&(
            (s.now, s.worker, s.flag, s.epoch, s.rejected, s.process_dead),
            (s.factory, s.factory_calls, &s.gens, &s.nest),
            (
                s.aborts,
                s.abort_gen,
                s.abort_at,
                s.recovered,
                s.arrived_after,
                s.flags,
            ),
        ));
        let requests = s.reqs.iter().zip(salts).fold(0u64, |sum, (r, salt)| {
            sum.wrapping_add(mix(salt ^ fingerprint(r)))
        });
        mix(shared ^ requests.rotate_left(23)).max(1)
    }
}

impl<G: Guest> Model for IsolateModel<G> {
    type State = World<G::State>;
    type Move = Move<G::Move>;

    fn initial(&self) -> Self::State {
        let mut reqs = ArrayVec::new();
        for (a, sp) in self.spec.actors.iter().enumerate() {
            let mut choices = [0u8; 3];
            if self.work_alts(a) > 1 {
                choices[S_WORK] = UNRESOLVED;
            }
            if self.abort_alts(a) > 1 {
                choices[S_ABORT] = UNRESOLVED;
            }
            reqs.push(Req {
                pc: Point::NotArrived,
                generation: 0,
                epoch: 0,
                wake: t32(sp.arrive[0]),
                choices,
                abort_seq: 0,
                cancelled: false,
            });
        }
        let mut gens = ArrayVec::new();
        gens.push(Gen {
            live: true,
            counter: 0,
            aborted_at: NONE,
            aborted_epoch: 0,
            features: self.spec.features,
        });
        let mut nest = Slots::default();
        self.nest.open(&mut nest, 1, 0);
        World {
            now: 0,
            worker: 1,
            flag: false,
            epoch: 1,
            rejected: 0,
            process_dead: false,
            factory: if self.spec.factory.len() > 1 {
                UNRESOLVED
            } else {
                0
            },
            factory_calls: 0,
            gens,
            reqs,
            nest,
            aborts: 0,
            abort_gen: 0,
            abort_at: 0,
            recovered: false,
            arrived_after: false,
            flags: 0,
            who: [0; 3],
        }
    }

    fn now(&self, s: &Self::State) -> Time {
        u64::from(s.now)
    }

    fn moves(&self, s: &Self::State, out: &mut Vec<Self::Move>) -> usize {
        let mut optional = false;
        for (a, r) in s.reqs.iter().enumerate() {
            let a8 = a as u8;
            if self.cancel_due(s, a) {
                out.push(Move::Cancel(a8));
            }
            if self.deliverable(s, a) {
                out.push(Move::Deliver(a8));
            }
            match r.pc {
                Point::NotArrived if r.wake <= s.now => {
                    let next = usize::from(r.choices[S_ARRIVE]);
                    if arrival::optional(next, &self.spec.actors[a].arrive) {
                        optional = true;
                    } else if self.start_needs_pick(s) {
                        for i in 0..self.spec.factory.len() {
                            out.push(Move::Start(a8, i as u8));
                        }
                    } else {
                        out.push(Move::Start(a8, 0));
                    }
                }
                Point::Started => {
                    for w in 0..self.work_alts(a) {
                        for ab in 0..self.abort_alts(a) {
                            out.push(Move::Js(a8, w as u8, ab as u8));
                        }
                    }
                }
                Point::Running(_) | Point::Aborting if r.wake <= s.now => out.push(Move::Step(a8)),
                _ => {}
            }
        }
        let mut urgent_in = Vec::new();
        let mut optional_in = Vec::new();
        self.nest.moves(&s.nest, &mut urgent_in, &mut optional_in);
        out.extend(urgent_in.into_iter().map(Move::Lock));
        let urgent = out.len();
        if optional {
            for (a, r) in s.reqs.iter().enumerate() {
                if r.pc == Point::NotArrived
                    && r.wake <= s.now
                    && arrival::optional(
                        usize::from(r.choices[S_ARRIVE]),
                        &self.spec.actors[a].arrive,
                    )
                {
                    if self.start_needs_pick(s) {
                        for i in 0..self.spec.factory.len() {
                            out.push(Move::Start(a as u8, i as u8));
                        }
                    } else {
                        out.push(Move::Start(a as u8, 0));
                    }
                }
            }
        }
        out.extend(optional_in.into_iter().map(Move::Lock));
        urgent
    }

    fn next_wake(&self, s: &Self::State) -> Option<Time> {
        let mut t = NONE;
        for (a, r) in s.reqs.iter().enumerate() {
            if matches!(r.pc, Point::NotArrived | Point::Running(_)) && r.wake > s.now {
                t = t.min(r.wake);
            }
            if r.pc == Point::NotArrived && r.wake <= s.now {
                // Arriving now is optional: the next candidate instant is a timer, so the
                // clock cannot jump past it.
                if let Some(next) = arrival::after(
                    usize::from(r.choices[S_ARRIVE]),
                    &self.spec.actors[a].arrive,
                ) {
                    t = t.min(t32(next));
                }
            }
            if !r.cancelled
                && !matches!(r.pc, Point::Done(_))
                && let Some(at) = self.spec.actors[a].cancel_at
            {
                let at = t32(at);
                if at > s.now {
                    t = t.min(at);
                }
            }
        }
        let inner = self.nest.next_wake(&s.nest).map_or(NONE, t32);
        let t = t.min(inner);
        (t != NONE).then_some(u64::from(t))
    }

    fn advance(&self, s: &mut Self::State, to: Time) {
        s.now = t32(to);
        for (a, r) in s.reqs.iter_mut().enumerate() {
            if r.pc == Point::NotArrived && r.wake < s.now {
                let arrive = &self.spec.actors[a].arrive;
                let i = arrival::skip(usize::from(r.choices[S_ARRIVE]), arrive, to);
                r.choices[S_ARRIVE] = i as u8;
                r.wake = t32(arrive[i]);
            }
        }
        self.nest.advance(&mut s.nest, to);
    }

    fn apply<N: Narrator>(&self, s: &mut Self::State, m: Self::Move, n: &mut N) {
        match m {
            Move::Start(a, pick) => self.start(s, usize::from(a), pick, n),
            Move::Js(a, w, ab) => self.js(s, usize::from(a), w, ab, n),
            Move::Step(a) => {
                let a = usize::from(a);
                match s.reqs[a].pc {
                    Point::Running(true) => self.abort_call(s, a, n),
                    Point::Aborting => {
                        self.abort_half(s, false, n);
                        self.abort_own(s, a, n);
                    }
                    Point::Running(false) => self.respond(s, a, n),
                    pc => unreachable!("step in {pc:?}"),
                }
            }
            Move::Deliver(a) => {
                let a = usize::from(a);
                if N::ON {
                    let r = s.reqs[a];
                    let what = match self.spec.actors[a].kind {
                        Kind::Http => "the request fails",
                        Kind::WebSocket => "the WebSocket is closed",
                        Kind::DurableObject => {
                            "the Durable Object call fails, its in-memory state is lost"
                        }
                    };
                    n.say(format_args!(
                        "epoch {}'s rejection reaches its IoContext: {what} with `{REASON}`",
                        r.epoch
                    ));
                }
                self.end(s, a, End::Failed, n);
            }
            Move::Cancel(a) => {
                let a = usize::from(a);
                self.faults.fire(a);
                s.reqs[a].cancelled = true;
                let r = s.reqs[a];
                if r.pc == Point::InInit {
                    n.say(format_args!("client went away"));
                    self.nest.cancel(&mut s.nest, r.generation, a as u8, n);
                    if self.nest.progress(&s.nest, r.generation, a as u8) == Progress::Running {
                        s.reqs[a].pc = Point::Detached;
                        n.say(format_args!(
                            "the IoContext stays alive for the anchored init"
                        ));
                        return;
                    }
                    self.end(s, a, End::Cancelled, n);
                } else {
                    n.say(format_args!(
                        "client went away: the request's continuation is dropped"
                    ));
                    self.end(s, a, End::Cancelled, n);
                }
            }
            Move::Lock(m) => {
                self.nest.apply(&mut s.nest, m, n);
                self.settle_inits(s, m.slot, n);
            }
        }
    }

    fn actor_of(&self, m: Self::Move) -> u8 {
        match m {
            Move::Start(a, _)
            | Move::Js(a, _, _)
            | Move::Step(a)
            | Move::Deliver(a)
            | Move::Cancel(a) => a,
            Move::Lock(m) => self.nest.actor_of(m),
        }
    }

    fn properties(&self) -> &[Property] {
        &self.props
    }

    fn fingerprint(&self, s: &Self::State) -> u64 {
        match &self.classes {
            Some(salts) => self.symmetric(s, salts),
            None => lockstep_sim::fingerprint::fingerprint(s),
        }
    }

    fn unfired_faults(&self) -> Vec<String> {
        self.faults.unfired()
    }

    fn parameters(&self) -> Vec<(&'static str, String)> {
        let factory: Vec<String> = self.spec.factory.iter().map(|f| f.name()).collect();
        vec![
            ("max_generations", self.spec.max_generations.to_string()),
            // The scenario's own key and words (`[params] worker`), not the model's field.
            (
                "worker",
                if self.spec.dynamic {
                    "dynamic"
                } else {
                    "static"
                }
                .to_string(),
            ),
            ("split_abort", self.spec.split_abort.to_string()),
            ("factory", factory.join(" | ")),
        ]
    }

    fn violated(&self, s: &Self::State, limit: PropIdx, at_end: bool) -> Option<PropIdx> {
        if let Some(t) = self.reach_target {
            let hit = match t {
                0 => s.gens.len() > 1,
                _ => s.reqs.iter().any(|r| r.pc == Point::Done(End::Failed)),
            };
            return (limit > 0 && hit).then_some(0);
        }
        self.map.first_violated(
            limit,
            |l| self.host_violated(s, l, at_end),
            |l| self.nest.violated(&s.nest, l, at_end).map(|(_, p)| p),
        )
    }

    fn move_label(&self, s: &Self::State, m: Self::Move) -> String {
        match m {
            Move::Start(_, pick) => {
                if self.start_needs_pick(s) {
                    format!(
                        "arrive, factory {}",
                        self.spec.factory[usize::from(pick)].name()
                    )
                } else {
                    "arrive".to_string()
                }
            }
            Move::Js(a, w, ab) => {
                let sp = &self.spec.actors[usize::from(a)];
                let mut l = "handler".to_string();
                if let Some(ws) = sp.work.as_ref().filter(|v| v.len() > 1) {
                    l.push_str(&format!(", work_ms = {}", ws[usize::from(w)]));
                }
                if let Some(abs) = sp.abort_after.as_ref().filter(|v| v.len() > 1) {
                    l.push_str(&format!(", abort_after_ms = {}", abs[usize::from(ab)]));
                }
                l
            }
            Move::Step(a) => match s.reqs[usize::from(a)].pc {
                Point::Running(true) if self.reset == Reset::Condemn => "calls resetWorker()",
                Point::Running(true) => "calls abortIsolate()",
                Point::Aborting => "abortIsolate(), second half",
                _ => "responds",
            }
            .to_string(),
            Move::Deliver(_) => "abort delivered".to_string(),
            Move::Cancel(_) => "cancel".to_string(),
            Move::Lock(m) => format!("{} [gen {}]", self.nest.move_label(&s.nest, m), m.slot),
        }
    }

    fn actor_name(&self, a: u8) -> String {
        self.name(usize::from(a)).to_string()
    }

    fn render_state(&self, s: &Self::State) -> String {
        let mut out = String::new();
        if s.process_dead {
            out.push_str("process gone");
        } else {
            match (self.spec.dynamic, s.worker) {
                (true, 0) => out.push_str("loader=empty"),
                (true, g) => out.push_str(&format!("loader=g{g}")),
                (false, 0) => out.push_str("worker=none"),
                (false, g) => out.push_str(&format!("worker=g{g} flag={}", s.flag)),
            }
            out.push_str(&format!(" epoch={}", s.epoch));
            if s.rejected != 0 {
                let r: Vec<String> = (0..32u8)
                    .filter(|&e| s.rejected & bit(e) != 0)
                    .map(|e| e.to_string())
                    .collect();
                out.push_str(&format!(" rejected={{{}}}", r.join(",")));
            }
        }
        let live: Vec<String> = s
            .gens
            .iter()
            .enumerate()
            .filter(|(_, g)| g.live)
            .map(|(i, g)| {
                let key = i as u8 + 1;
                let reqs: Vec<&str> = s
                    .reqs
                    .iter()
                    .enumerate()
                    .filter(|(_, r)| r.generation == key && r.pc.holds_context())
                    .map(|(a, _)| self.name(a))
                    .collect();
                let mut t = format!("g{key}[counter={}", g.counter);
                if g.aborted_at != NONE {
                    t.push_str(&format!(" aborted@{}", g.aborted_at));
                }
                if !reqs.is_empty() {
                    t.push_str(&format!(" reqs={}", reqs.join(",")));
                }
                if let Some(inner) = s.nest.get(key) {
                    let r = self.nest.guest().render_state(inner);
                    if !r.is_empty() {
                        t.push_str(&format!(" lock: {r}"));
                    }
                }
                t.push(']');
                t
            })
            .collect();
        if live.is_empty() {
            out.push_str(" | live: none");
        } else {
            out.push_str(&format!(" | live: {}", live.join(" ")));
        }
        out
    }

    fn explain(&self, s: &Self::State, p: PropIdx) -> String {
        if self.reach_target.is_some() {
            return String::new();
        }
        match self.map.origin(p) {
            lockstep_sim::compose::Origin::Host(i) => {
                self.host_explain(s, self.checks[usize::from(i)])
            }
            lockstep_sim::compose::Origin::Guest(i) => match self.nest.explain(&s.nest, i, true) {
                Some((g, why)) => format!("in generation {g}'s init lock: {why}"),
                None => String::new(),
            },
        }
    }
}
