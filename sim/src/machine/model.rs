//! The machine as a kernel [`Model`]: moves, timers, faults, properties and fingerprints of a
//! program's actors.

use std::sync::Arc;

use crate::actor::Lifecycle;
use crate::fingerprint::{fingerprint_words, mix};
use crate::model::{Model, PropIdx, Property, PropertyKind, Time};
use crate::narrate::Narrator;

use super::exec::{self, Ctx};
use super::layout::*;
use super::op::Op;
use super::program::{Form, ParamValue, Program, NEVER};
use super::render;

/// The machine's world: every slot, flat (see [`super::layout`]), plus a cache of each actor
/// block's hash for the fingerprint (not part of the world's identity: equality and hashing
/// look at the slots only).
#[derive(Debug)]
pub struct World {
    pub slots: Vec<i64>,
    /// Salted hash of each actor's block, valid unless the actor's bit is in `dirty`.
    hashes: Vec<u64>,
    dirty: u64,
}

impl PartialEq for World {
    fn eq(&self, other: &Self) -> bool {
        self.slots == other.slots
    }
}

impl Eq for World {}

impl std::hash::Hash for World {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.slots.hash(state);
    }
}

impl Clone for World {
    fn clone(&self) -> Self {
        World {
            slots: self.slots.clone(),
            hashes: self.hashes.clone(),
            dirty: self.dirty,
        }
    }
    /// Reuses the buffers: the explorer refills successors in place (worlds of one machine
    /// all have one length, so this is two copies and no allocation).
    fn clone_from(&mut self, src: &Self) {
        if self.slots.len() == src.slots.len() && self.hashes.len() == src.hashes.len() {
            self.slots.copy_from_slice(&src.slots);
            self.hashes.copy_from_slice(&src.hashes);
        } else {
            self.slots.clone_from(&src.slots);
            self.hashes.clone_from(&src.hashes);
        }
        self.dirty = src.dirty;
    }
}

impl World {
    pub(super) fn touch(&mut self, a: usize) {
        self.dirty |= 1 << a;
    }
    fn touch_all(&mut self) {
        self.dirty = u64::MAX;
    }
}

/// A move: one step of an actor, the choice of an actor's open parameter, or a cancellation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Move {
    Step(u8),
    /// The actor's pending open parameter takes alternative `.1`.
    Choose(u8, u8),
    Cancel(u8),
    /// SIGSTOP: the process's next step waits for the pause to end (`platform node`).
    Pause(u8),
    /// The platform aborts the actor where it waits: its kind's `abort when` condition holds
    /// (see [`super::program::Kind::abort_when`]).
    Abort(u8),
}

/// The property every machine checks after the scenario's own: no runtime error (an index out
/// of range, `none` unwrapped, an overflow) happened. It comes last so that a scenario's
/// verdict keeps naming its first violated invariant; a `holds` still means no runtime error
/// anywhere in the explored space.
pub const RUNTIME_ERROR: Property = Property {
    id: "runtime-error",
    kind: PropertyKind::Safety,
    summary: "no step of the protocol hits a runtime error (index out of range, `none` unwrapped, overflow, division by zero)",
};

/// A program as a model.
pub struct Machine {
    pub(super) program: Arc<Program>,
    pub(super) bases: Vec<u32>,
    len: usize,
    shared_end: usize,
    props: Vec<Property>,
    /// Per actor: the salt of its block hash (its symmetry class's, or its position's).
    salts: Vec<u64>,
    symmetric: bool,
    windowed: u64,
    scripted_cancels: bool,
    deadlines: bool,
    coverage: super::coverage::Coverage,
    /// The scenario's scheduled faults, and which fired (see [`super::scheduled`]).
    scheduled: super::scheduled::Scheduled,
    /// Whether a step can fire a scheduled fault (steps need not be watched otherwise).
    watched: bool,
    /// Where the actors' blocks end (the tail follows), and the tail's slots.
    blocks_end: usize,
    pauses_slot: Option<usize>,
    reached_slot: usize,
    /// Whether any actor has a scripted pause (moves need not look otherwise).
    scripted_pauses: bool,
}

/// Salt of position or class `i`.
fn salt(i: usize) -> u64 {
    mix(0x243f_6a88_85a3_08d3 ^ (i as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15))
}

impl Machine {
    /// A machine for `program`. `symmetry`: merge worlds that differ by permuting
    /// interchangeable actors (same kind, same scenario values), when the program allows it.
    pub fn new(program: Arc<Program>, symmetry: bool) -> Machine {
        let mut bases = Vec::new();
        let shared_end = W_HEADER + program.shared.len();
        let mut at = shared_end;
        for inst in &program.actors {
            bases.push(at as u32);
            let kind = &program.kinds[usize::from(inst.kind)];
            at += B_HEADER + kind.choices as usize + kind.locals.len();
        }
        let blocks_end = at;
        let at = at
            + usize::from(program.pauses_slot().is_some())
            + usize::from(program.reached_slot().is_some());
        let classes: Vec<usize> = program
            .actors
            .iter()
            .enumerate()
            .map(|(i, a)| {
                program
                    .actors
                    .iter()
                    .position(|b| {
                        b.kind == a.kind
                            && b.params == a.params
                            && b.arrive == a.arrive
                            && b.cancel_at == a.cancel_at
                            && b.cancel_window == a.cancel_window
                            && b.cancel_marks == a.cancel_marks
                            && b.process == a.process
                            && b.pause_at == a.pause_at
                            && b.pause_marks == a.pause_marks
                            && b.pause_ms == a.pause_ms
                            && b.pausable == a.pausable
                    })
                    .unwrap_or(i)
            })
            .collect();
        let symmetric =
            symmetry && program.symmetric && classes.iter().enumerate().any(|(i, &c)| c != i);
        let salts = (0..program.actors.len())
            .map(|i| salt(if symmetric { classes[i] } else { i }))
            .collect();
        let mut props: Vec<Property> = program.props.iter().map(|p| p.property).collect();
        props.push(RUNTIME_ERROR);
        let windowed = program
            .actors
            .iter()
            .enumerate()
            .filter(|(_, a)| a.cancel_window.is_some())
            .fold(0u64, |m, (i, _)| m | 1 << i);
        let scripted_cancels = program
            .actors
            .iter()
            .any(|a| a.cancel_at.is_some() || a.cancel_marks != 0);
        let deadlines = program.props.iter().any(|p| p.form == Form::Deadline);
        let scheduled = super::scheduled::Scheduled::of(&program);
        let watched = scheduled.watch_steps(&program);
        let pauses_slot = program.pauses_slot();
        let reached_slot = program.reached_slot().unwrap_or(0);
        let scripted_pauses = program.actors.iter().any(|a| a.pause_at.is_some());
        Machine {
            blocks_end,
            pauses_slot,
            reached_slot,
            scripted_pauses,
            scheduled,
            watched,
            bases,
            len: at,
            shared_end,
            props,
            salts,
            symmetric,
            windowed,
            scripted_cancels,
            deadlines,
            coverage: super::coverage::Coverage::new(program.ops.len()),
            program,
        }
    }

    pub fn program(&self) -> &Program {
        &self.program
    }

    /// The code the runs so far executed.
    pub fn coverage(&self) -> &super::coverage::Coverage {
        &self.coverage
    }

    #[inline]
    fn ctx(&self, actor: Option<usize>) -> Ctx<'_> {
        Ctx {
            ops: &self.program.ops,
            actors: &self.program.actors,
            bases: &self.bases,
            actor: actor.map(|a| (a, self.bases[a] as usize)),
            block_end: actor.map_or(0, |a| self.block_end(a)),
            shared_end: self.shared_end,
            coverage: actor.map(|_| &self.coverage),
            os: self.program.os.as_ref(),
            skew: actor.map_or(0, |a| self.program.actors[a].process.skew),
            reached: self.reached_slot,
            ended: false,
        }
    }

    fn block_end(&self, a: usize) -> usize {
        if a + 1 < self.bases.len() {
            self.base(a + 1)
        } else {
            self.blocks_end
        }
    }

    #[inline]
    fn base(&self, a: usize) -> usize {
        self.bases[a] as usize
    }

    fn life(&self, w: &[i64], a: usize) -> Lifecycle {
        match w[self.base(a) + B_LIFE] {
            0 => Lifecycle::Live,
            1 => Lifecycle::Detached,
            2 => Lifecycle::Dropped,
            3 => Lifecycle::Killed,
            _ => Lifecycle::Paused,
        }
    }

    /// The actor waiting for the explorer to choose one of its open parameters, if any.
    fn choosing(&self, w: &[i64]) -> Option<usize> {
        (0..self.bases.len()).find(|&a| w[self.base(a) + B_STATUS] == ST_CHOICE)
    }

    /// The parameter a choosing actor waits for.
    fn pending_param(&self, w: &[i64], a: usize) -> usize {
        match self.program.ops[w[self.base(a) + B_PC] as usize] {
            Op::Resolve(p) => p as usize,
            op => unreachable!("a choosing actor stands at a Resolve, not {op:?}"),
        }
    }

    /// The `any order` loop turn a choosing actor stands at (its locals).
    fn picking(&self, w: &[i64], a: usize) -> Option<(u32, u32, u32)> {
        match self.program.ops[w[self.base(a) + B_PC] as usize] {
            Op::PickBit { taken, len, out } if w[self.base(a) + B_STATUS] == ST_CHOICE => {
                Some((taken, len, out))
            }
            _ => None,
        }
    }

    /// How many ways a choosing actor can go on: its open parameter's values, or the indices
    /// left to an `any order` loop's turn.
    fn choice_count(&self, w: &[i64], a: usize) -> usize {
        let b = self.base(a);
        match self.program.ops[w[b + B_PC] as usize] {
            Op::PickBit { taken, len, .. } => {
                exec::left_to_pick(w, b, taken, len).count_ones() as usize
            }
            _ => self.alternatives(a, self.pending_param(w, a)).len(),
        }
    }

    fn alternatives(&self, a: usize, p: usize) -> &[i64] {
        match &self.program.actors[a].params[p] {
            ParamValue::Open(v) => v,
            ParamValue::Fixed(_) => &[],
        }
    }

    /// The actor inside a step, waiting for the explorer to choose an open parameter.
    pub(super) fn choosing_actor(&self, w: &[i64]) -> Option<usize> {
        self.choosing(w)
    }

    pub(super) fn lifecycle(&self, w: &[i64], a: usize) -> Lifecycle {
        self.life(w, a)
    }

    /// The actor's client went away (a nested call's cancellation, see [`super::nest`]).
    pub(super) fn cancel_now<N: Narrator>(&self, s: &mut World, a: usize, n: &mut N) {
        s.touch(a);
        if self.cancel(&mut s.slots, a, n) {
            self.run(s, a, n);
        }
    }

    /// The actor ends where it stands without returning: none of its code runs again.
    pub(super) fn end_dropped(&self, s: &mut World, a: usize) {
        s.touch(a);
        let b = self.base(a);
        s.slots[b + B_LIFE] = Lifecycle::Dropped as i64;
        s.slots[b + B_FLAGS] |= F_CANCELLED;
        s.slots[b + B_WAKE] = NEVER;
    }

    /// The actor's call into a nested protocol returned: it goes on from there, in this move.
    pub(super) fn resume<N: Narrator>(&self, s: &mut World, a: usize, n: &mut N) {
        s.touch(a);
        let b = self.base(a);
        s.slots[b + B_STATUS] = ST_READY;
        s.slots[b + B_WAKE] = s.slots[W_NOW];
        self.run(s, a, n);
    }

    /// Whether a scripted cancellation of `a` is due now.
    fn cancel_due(&self, w: &[i64], a: usize) -> bool {
        let b = self.base(a);
        let flags = w[b + B_FLAGS];
        if flags & F_CANCELLED != 0 || !matches!(w[b + B_STATUS], ST_READY | ST_UNTIL | ST_GUEST) {
            return false;
        }
        flags & F_AT_MARK != 0
            || self.program.actors[a]
                .cancel_at
                .is_some_and(|t| w[W_NOW] >= t)
    }

    /// A process (`platform node`) whose step reached the mark its `kill_at` names is killed
    /// in that step: no other process moves, and no property is judged, while it stands there
    /// alive, as a pause at a mark and as the Rust models' kill at a named point. (A workerd
    /// cancel at a mark is a move of its own, which other requests may precede, as the
    /// init-lock model's cancellation window.)
    fn kill_at_mark<N: Narrator>(&self, w: &mut World, a: usize, n: &mut N) {
        if !self.scripted_cancels || self.program.platform != super::program::Platform::Node {
            return;
        }
        if w.slots[self.base(a) + B_FLAGS] & F_AT_MARK != 0 && self.cancel_due(&w.slots, a) {
            if let Some(bit) = self.scheduled.actors[a].mark {
                self.scheduled.log.fire(bit);
            }
            self.cancel(&mut w.slots, a, n);
        }
    }

    /// Whether `a`'s scripted pause (`pause_at_ms`) is due: the instant has come and the
    /// process is at an ordinary await point (running or sleeping).
    fn pause_due(&self, w: &[i64], a: usize) -> bool {
        let b = self.base(a);
        self.program.actors[a]
            .pause_at
            .is_some_and(|t| w[W_NOW] >= t)
            && w[b + B_FLAGS] & F_PAUSED == 0
            && w[b + B_STATUS] == ST_READY
            && self.life(w, a).runs()
    }

    /// Whether `a` may be paused at its next step (inside the pause budget).
    fn may_pause(&self, w: &[i64], a: usize) -> bool {
        self.program.actors[a].pausable && self.about_to_run(w, a)
    }

    /// A live process that would take a step now, from an ordinary await point.
    fn about_to_run(&self, w: &[i64], a: usize) -> bool {
        let b = self.base(a);
        w[b + B_STATUS] == ST_READY && w[b + B_WAKE] <= w[W_NOW] && self.life(w, a).runs()
    }

    /// SIGSTOP until `now + pause_ms`: its next step waits; it stays alive (`kill(pid, 0)`
    /// still answers ok).
    fn pause<N: Narrator>(&self, w: &mut [i64], a: usize, n: &mut N) {
        let b = self.base(a);
        w[b + B_FLAGS] |= F_STOPPED;
        let ms = if self.pause_due(w, a) {
            w[b + B_FLAGS] |= F_PAUSED;
            if let Some(bit) = self.scheduled.actors[a].pause {
                self.scheduled.log.fire(bit);
            }
            self.program.actors[a].pause_ms
        } else {
            w[self.pauses_slot.expect("optional pauses")] += 1;
            self.program.pause_ms
        };
        // A sleep that ends after the pause is not lengthened by it.
        w[b + B_WAKE] = w[b + B_WAKE].max(w[W_NOW].saturating_add(ms));
        n.say(format_args!(
            "SIGSTOP for {ms} ms (alive: kill(pid, 0) still succeeds), then SIGCONT"
        ));
    }

    /// Whether `a` may take an optional cancellation now (inside its window, at an await).
    fn may_cancel(&self, w: &[i64], a: usize) -> bool {
        let Some((from, to)) = self.program.actors[a].cancel_window else {
            return false;
        };
        let b = self.base(a);
        w[b + B_FLAGS] & F_CANCELLED == 0
            && w[b + B_LIFE] == Lifecycle::Live as i64
            && (from..=to).contains(&w[W_NOW])
            && matches!(w[b + B_STATUS], ST_READY | ST_UNTIL | ST_GUEST)
    }

    /// Whether the platform aborts `a` now: it stands at an await point, its continuation
    /// still runs, and its kind's `abort when` condition holds (an error in the condition
    /// counts as "aborts", so the move reports it).
    fn abort_due(&self, w: &[i64], a: usize) -> bool {
        let kind = &self.program.kinds[usize::from(self.program.actors[a].kind)];
        let Some(cond) = kind.abort_when else {
            return false;
        };
        let b = self.base(a);
        matches!(w[b + B_STATUS], ST_READY | ST_UNTIL | ST_GUEST)
            && self.life(w, a).runs()
            && exec::eval(&self.ctx(Some(a)), w, cond as usize).map_or(true, |v| v != 0)
    }

    /// The abort lands: the continuation is dropped where it waits (no `finally`, anchored
    /// work too) and the actor ends failed.
    fn abort<N: Narrator>(&self, w: &mut [i64], a: usize, n: &mut N) {
        let b = self.base(a);
        let kind = &self.program.kinds[usize::from(self.program.actors[a].kind)];
        let cond = kind.abort_when.expect("an abort condition");
        if let Err((f, at)) = exec::eval(&self.ctx(Some(a)), w, cond as usize) {
            exec::fault(w, f.0, at, a, b);
            return;
        }
        w[b + B_STATUS] = ST_FAILED;
        w[b + B_WAKE] = NEVER;
        w[b + B_FLAGS] &= !F_AT_MARK;
        n.say(format_args!(
            "aborted where it waits: the continuation is dropped, no finally runs; it fails"
        ));
    }

    /// Whether `a`'s `await until` condition holds (an error in it counts as "runs", so the
    /// step reports it).
    fn until_holds(&self, w: &[i64], a: usize) -> bool {
        let Op::Until(cond) = self.program.ops[w[self.base(a) + B_PC] as usize] else {
            unreachable!("an actor in ST_UNTIL stands at an Until");
        };
        exec::eval(&self.ctx(Some(a)), w, cond as usize).map_or(true, |v| v != 0)
    }

    /// The earliest deadline of a deadline property among its open obligations.
    /// The first property whose own code hits a runtime error in world `w` (judged as during a
    /// run, then as at its end): its index, the message and the instruction. Such an error is
    /// the protocol's runtime error too, but no actor's step made it.
    pub(super) fn property_fault(&self, w: &[i64]) -> Option<(usize, u32, usize)> {
        [false, true].into_iter().find_map(|ended| {
            let cx = Ctx {
                ended,
                ..self.ctx(None)
            };
            self.program.props.iter().enumerate().find_map(|(i, p)| {
                let judged = ended || p.form != Form::AtEnd;
                match exec::eval(&cx, w, p.code as usize) {
                    Err((exec::Fault(code), pc)) if judged => Some((i, code, pc)),
                    _ => None,
                }
            })
        })
    }

    pub(super) fn deadline(&self, w: &[i64], code: u32) -> Result<i64, ()> {
        exec::eval(&self.ctx(None), w, code as usize).map_err(|_| ())
    }

    /// Cancels actor `a`; returns whether it has code to run at once (a tokio task's drop
    /// guards), which the caller runs in the same move.
    fn cancel<N: Narrator>(&self, w: &mut [i64], a: usize, n: &mut N) -> bool {
        let b = self.base(a);
        w[b + B_FLAGS] = (w[b + B_FLAGS] | F_CANCELLED) & !F_AT_MARK;
        if w[b + B_FLAGS] & F_ANCHORED != 0 {
            w[b + B_LIFE] = Lifecycle::Detached as i64;
            n.say(format_args!(
                "request cancelled; its anchored work keeps running"
            ));
        } else if self.program.platform == super::program::Platform::Tokio {
            return self.drop_task(w, a, n);
        } else if self.program.platform == super::program::Platform::Node {
            w[b + B_LIFE] = Lifecycle::Killed as i64;
            w[b + B_WAKE] = NEVER;
            if let Some(os) = &self.program.os {
                if os.kill_times {
                    // A killed process never wakes: its wake slot keeps when it died.
                    w[b + B_WAKE] = w[W_NOW];
                }
                let fd = std::mem::take(&mut w[os.fd_slot(a)]);
                if fd != 0 {
                    os.close(w, fd & 0xffff_ffff);
                }
            }
            n.say(format_args!(
                "process killed (kill -9): nothing more runs, its descriptors close, its files stay"
            ));
        } else {
            w[b + B_LIFE] = Lifecycle::Dropped as i64;
            w[b + B_WAKE] = NEVER;
            n.say(format_args!(
                "request cancelled: continuation dropped, no finally runs"
            ));
        }
        false
    }

    /// A tokio task's future is dropped where it waits: its destructors run at once, so it
    /// goes into the innermost `finally` around the await it stands at (the completion
    /// [`super::program::DROPPED`] carries the drop outwards from there); with none, nothing
    /// more of it runs. Returns whether it has a `finally` to run.
    fn drop_task<N: Narrator>(&self, w: &mut [i64], a: usize, n: &mut N) -> bool {
        let b = self.base(a);
        let resume = w[b + B_PC] as usize;
        // The await it stands at: an `until` keeps its own address, every other await the
        // next one's.
        let at = if w[b + B_STATUS] == ST_UNTIL {
            Some(resume)
        } else {
            resume.checked_sub(1)
        };
        let guard = at
            .filter(|&pc| self.program.ops[pc].suspends())
            .and_then(|pc| self.program.drops.get(pc).copied().flatten());
        let Some((comp, entry)) = guard else {
            w[b + B_LIFE] = Lifecycle::Dropped as i64;
            w[b + B_WAKE] = NEVER;
            n.say(format_args!(
                "task cancelled: its future is dropped, and no finally encloses the await it stood at"
            ));
            return false;
        };
        w[b + comp as usize] = super::program::DROPPED;
        w[b + B_PC] = i64::from(entry);
        w[b + B_STATUS] = ST_READY;
        w[b + B_WAKE] = w[W_NOW];
        n.say(format_args!(
            "task cancelled: its future is dropped, and its finally blocks run now as drop guards"
        ));
        true
    }

    fn run<N: Narrator>(&self, w: &mut World, a: usize, n: &mut N) {
        if self.watched {
            // Only scenarios that schedule step faults pay for the look.
            let b = self.base(a);
            let before = self.scheduled.before_step(&self.program, &w.slots, b);
            self.run_watched(w, a, n);
            self.scheduled
                .after_step(&self.program, before, &w.slots, b, a);
        } else {
            self.run_watched(w, a, n);
        }
        self.kill_at_mark(w, a, n);
    }

    fn run_watched<N: Narrator>(&self, w: &mut World, a: usize, n: &mut N) {
        let foreign = if N::ON {
            let before = w.slots.clone();
            let f = exec::step(&self.program, &self.ctx(Some(a)), &mut w.slots, n);
            render::narrate_changes(self, &before, &w.slots, a, n);
            f
        } else {
            exec::step(&self.program, &self.ctx(Some(a)), &mut w.slots, n)
        };
        if foreign {
            w.touch_all();
        }
    }

    /// The salted hash of actor `a`'s block.
    #[inline]
    fn block_hash(&self, w: &[i64], a: usize) -> u64 {
        let words = as_words(&w[self.base(a)..self.block_end(a)]);
        mix(fingerprint_words(words) ^ self.salts[a])
    }

    /// Combines the shared part and the blocks' hashes (summed: under symmetry the salts are
    /// per class, so the sum does not depend on the order of interchangeable actors).
    fn combine(&self, w: &[i64], blocks: &[u64]) -> u64 {
        let mut sum = 0u64;
        for h in blocks {
            sum = sum.wrapping_add(*h);
        }
        let shared = self.shared_hash(w, blocks);
        match w[self.blocks_end..] {
            [] => fingerprint_words(&[shared, sum]),
            [a] => fingerprint_words(&[shared, sum, a as u64]),
            [a, b, ..] => fingerprint_words(&[shared, sum, a as u64, b as u64]),
        }
    }

    /// The words the fingerprint hashes for the header and shared state; under symmetry, an
    /// actor reference is replaced by the salted hash of the block it names.
    fn shared_hash(&self, w: &[i64], blocks: &[u64]) -> u64 {
        let words = as_words(&w[..self.shared_end]);
        if !self.symmetric || self.program.actor_refs.is_empty() {
            return fingerprint_words(words);
        }
        let substitute = |s: &mut [u64]| {
            for &(slot, tag) in &self.program.actor_refs {
                let at = W_HEADER + slot as usize;
                let set = tag.is_none_or(|t| w[W_HEADER + t as usize] != 0);
                if set && let Some(h) = usize::try_from(w[at]).ok().and_then(|i| blocks.get(i)) {
                    s[at] = *h;
                }
            }
        };
        // Small shared states (the usual) are copied on the stack, larger ones into a buffer
        // kept per thread.
        let mut small = [0u64; 24];
        if words.len() <= small.len() {
            let s = &mut small[..words.len()];
            s.copy_from_slice(words);
            substitute(s);
            return fingerprint_words(s);
        }
        SCRATCH.with(|s| {
            let mut s = s.borrow_mut();
            s.clear();
            s.extend_from_slice(words);
            substitute(&mut s);
            fingerprint_words(&s)
        })
    }
}

thread_local! {
    static SCRATCH: std::cell::RefCell<Vec<u64>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// The world's slots as the words the fingerprint functions take.
fn as_words(w: &[i64]) -> &[u64] {
    // SAFETY: i64 and u64 have the same size, alignment and validity (every bit pattern).
    unsafe { std::slice::from_raw_parts(w.as_ptr().cast::<u64>(), w.len()) }
}

impl Model for Machine {
    type State = World;
    type Move = Move;

    fn initial(&self) -> World {
        let mut w = vec![0i64; self.len];
        w[W_HEADER..self.shared_end].copy_from_slice(&self.program.shared_init);
        for (a, inst) in self.program.actors.iter().enumerate() {
            let b = self.base(a);
            let kind = &self.program.kinds[usize::from(inst.kind)];
            w[b + B_PC] = i64::from(kind.entry);
            w[b + B_STATUS] = ST_NEW;
            w[b + B_WAKE] = inst.arrive[0];
            for (p, v) in inst.params.iter().enumerate() {
                if let (ParamValue::Open(_), Some(slot)) = (v, inst.choice[p]) {
                    w[b + B_HEADER + slot as usize] = UNCHOSEN;
                }
            }
        }
        World {
            hashes: vec![0; self.bases.len()],
            dirty: u64::MAX,
            slots: w,
        }
    }

    fn now(&self, s: &World) -> Time {
        s.slots[W_NOW].max(0) as Time
    }

    fn moves(&self, s: &World, out: &mut Vec<Move>) -> usize {
        let w = &s.slots[..];
        if let Some(a) = self.choosing(w) {
            for i in 0..self.choice_count(w, a) {
                out.push(Move::Choose(a as u8, i as u8));
            }
            return out.len();
        }
        let now = w[W_NOW];
        let mut optional = false;
        for a in 0..self.bases.len() {
            let b = self.base(a);
            let cancel = self.scripted_cancels && self.cancel_due(w, a);
            if cancel {
                out.push(Move::Cancel(a as u8));
            } else if self.scripted_pauses && self.pause_due(w, a) {
                out.push(Move::Pause(a as u8));
                continue;
            }
            // A cancellation at a mark lands before the actor goes on.
            let held = cancel && w[b + B_FLAGS] & F_AT_MARK != 0;
            if held || !self.life(w, a).runs() {
                continue;
            }
            if self.abort_due(w, a) {
                out.push(Move::Abort(a as u8));
            }
            match w[b + B_STATUS] {
                ST_NEW if w[b + B_WAKE] <= now => {
                    let arrive = &self.program.actors[a].arrive;
                    if crate::arrival::optional(w[b + B_ARRIVE] as usize, arrive) {
                        optional = true;
                    } else {
                        out.push(Move::Step(a as u8));
                    }
                }
                ST_READY if w[b + B_WAKE] <= now => out.push(Move::Step(a as u8)),
                ST_UNTIL if self.until_holds(w, a) => out.push(Move::Step(a as u8)),
                _ => {}
            }
        }
        let urgent = out.len();
        if w[W_CANCELS] < self.program.cancels_max {
            let mut windowed = self.windowed;
            while windowed != 0 {
                let a = windowed.trailing_zeros() as usize;
                windowed &= windowed - 1;
                if self.may_cancel(w, a) && !out.contains(&Move::Cancel(a as u8)) {
                    out.push(Move::Cancel(a as u8));
                }
            }
        }
        if self
            .pauses_slot
            .is_some_and(|at| w[at] < self.program.pauses_max)
        {
            for a in 0..self.bases.len() {
                if self.may_pause(w, a) && !out.contains(&Move::Pause(a as u8)) {
                    out.push(Move::Pause(a as u8));
                }
            }
        }
        if optional {
            for a in 0..self.bases.len() {
                let b = self.base(a);
                let arrive = &self.program.actors[a].arrive;
                if w[b + B_STATUS] == ST_NEW
                    && self.life(w, a).runs()
                    && w[b + B_WAKE] <= now
                    && crate::arrival::optional(w[b + B_ARRIVE] as usize, arrive)
                {
                    out.push(Move::Step(a as u8));
                }
            }
        }
        urgent
    }

    fn next_wake(&self, s: &World) -> Option<Time> {
        let w = &s.slots[..];
        let now = w[W_NOW];
        let mut t = NEVER;
        let budget = w[W_CANCELS] < self.program.cancels_max;
        for a in 0..self.bases.len() {
            let b = self.base(a);
            let inst = &self.program.actors[a];
            let wake = w[b + B_WAKE];
            let status = w[b + B_STATUS];
            if self.life(w, a).runs() && wake > now && matches!(status, ST_NEW | ST_READY) {
                t = t.min(wake);
            } else if status == ST_NEW
                && let Some(next) = crate::arrival::after(w[b + B_ARRIVE] as usize, &inst.arrive)
            {
                t = t.min(next);
            }
            let cancelled = w[b + B_FLAGS] & F_CANCELLED != 0;
            if cancelled {
                continue;
            }
            if let (true, Some((from, _))) = (budget, inst.cancel_window)
                && from > now
            {
                t = t.min(from);
            }
            if let Some(at) = inst.cancel_at.filter(|&at| at > now) {
                t = t.min(at);
            }
            if let Some(at) = inst.pause_at.filter(|&at| at > now) {
                t = t.min(at);
            }
        }
        if self.deadlines {
            for p in self
                .program
                .props
                .iter()
                .filter(|p| p.form == Form::Deadline)
            {
                if let Ok(d) = self.deadline(w, p.code)
                    && d != NEVER
                    && d.saturating_add(1) > now
                {
                    t = t.min(d + 1);
                }
            }
        }
        (t != NEVER).then_some(t.max(0) as Time)
    }

    fn advance(&self, s: &mut World, to: Time) {
        let to = to as i64;
        s.slots[W_NOW] = to;
        for a in 0..self.bases.len() {
            let b = self.base(a);
            if s.slots[b + B_STATUS] == ST_NEW && s.slots[b + B_WAKE] < to {
                s.touch(a);
                let w = &mut s.slots;
                let arrive = &self.program.actors[a].arrive;
                let i = crate::arrival::skip(w[b + B_ARRIVE] as usize, arrive, to);
                w[b + B_ARRIVE] = i as i64;
                w[b + B_WAKE] = arrive[i];
            }
        }
    }

    fn apply<N: Narrator>(&self, s: &mut World, m: Move, n: &mut N) {
        s.touch(usize::from(self.actor_of(m)));
        match m {
            Move::Choose(a, i) if self.picking(&s.slots, usize::from(a)).is_some() => {
                let a = usize::from(a);
                let (taken, len, out) = self.picking(&s.slots, a).expect("checked");
                let b = self.base(a);
                exec::take_bit(&mut s.slots, b, (taken, len, out), usize::from(i));
                s.slots[b + B_PC] += 1;
                s.slots[b + B_STATUS] = ST_READY;
                if N::ON {
                    render::say_pick(self, a, s.slots[b + out as usize], n);
                }
                self.run(s, a, n);
            }
            Move::Choose(a, i) => {
                let a = usize::from(a);
                let p = self.pending_param(&s.slots, a);
                let b = self.base(a);
                let slot = self.program.actors[a].choice[p].expect("an open parameter");
                s.slots[b + B_HEADER + slot as usize] = i64::from(i);
                s.slots[b + B_STATUS] = ST_READY;
                if N::ON {
                    render::say_choice(self, a, p, usize::from(i), n);
                }
                self.run(s, a, n);
            }
            Move::Cancel(a) => {
                let a = usize::from(a);
                if self.cancel_due(&s.slots, a) {
                    let bits = self.scheduled.actors[a];
                    let at_mark = s.slots[self.base(a) + B_FLAGS] & F_AT_MARK != 0;
                    if let Some(bit) = if at_mark { bits.mark } else { bits.at } {
                        self.scheduled.log.fire(bit);
                    }
                } else {
                    s.slots[W_CANCELS] += 1;
                }
                if self.cancel(&mut s.slots, a, n) {
                    self.run(s, a, n);
                }
            }
            Move::Pause(a) => self.pause(&mut s.slots, usize::from(a), n),
            Move::Abort(a) => self.abort(&mut s.slots, usize::from(a), n),
            Move::Step(a) => {
                let a = usize::from(a);
                let b = self.base(a);
                match s.slots[b + B_STATUS] {
                    ST_NEW => {
                        s.slots[b + B_STATUS] = ST_READY;
                        n.say(format_args!("arrives"));
                    }
                    ST_UNTIL => {
                        let pc = s.slots[b + B_PC] as usize;
                        let Op::Until(cond) = self.program.ops[pc] else {
                            unreachable!("until")
                        };
                        if let Err((f, at)) =
                            exec::eval(&self.ctx(Some(a)), &s.slots, cond as usize)
                        {
                            exec::fault(&mut s.slots, f.0, at, a, b);
                            return;
                        }
                        s.slots[b + B_PC] = pc as i64 + 1;
                        s.slots[b + B_STATUS] = ST_READY;
                    }
                    _ => {}
                }
                s.slots[b + B_FLAGS] &= !F_AT_MARK;
                self.run(s, a, n);
            }
        }
    }

    fn is_fault(&self, m: Move) -> bool {
        matches!(m, Move::Cancel(_) | Move::Pause(_))
    }

    fn actor_of(&self, m: Move) -> u8 {
        match m {
            Move::Step(a)
            | Move::Choose(a, _)
            | Move::Cancel(a)
            | Move::Pause(a)
            | Move::Abort(a) => a,
        }
    }

    fn properties(&self) -> &[Property] {
        &self.props
    }

    fn unfired_faults(&self) -> Vec<String> {
        self.scheduled.log.unfired()
    }

    fn violated(&self, s: &World, limit: PropIdx, at_end: bool) -> Option<PropIdx> {
        let w = &s.slots[..];
        if limit == 0 {
            return None;
        }
        if self.choosing(w).is_some() {
            // Inside a step: properties are judged between atomic steps.
            return None;
        }
        let now = w[W_NOW];
        let error = self.program.props.len();
        let cx = Ctx {
            ended: at_end,
            ..self.ctx(None)
        };
        if let Some(all) = self.program.check_all {
            return match exec::eval(&cx, w, all as usize) {
                Err(_) => (error < usize::from(limit)).then_some(error as PropIdx),
                Ok(-1) => {
                    (w[W_ERROR] != 0 && error < usize::from(limit)).then_some(error as PropIdx)
                }
                Ok(i) => (i < i64::from(limit)).then_some(i as PropIdx),
            };
        }
        for (i, p) in self.program.props.iter().enumerate() {
            if i >= usize::from(limit) {
                return None;
            }
            if p.form == Form::AtEnd && !at_end {
                continue;
            }
            let bad = match exec::eval(&cx, w, p.code as usize) {
                // An error inside a property is the protocol's runtime error.
                Err(_) => return (error < usize::from(limit)).then_some(error as PropIdx),
                Ok(v) => match p.form {
                    Form::Safety | Form::AtEnd => v == 0,
                    Form::Deadline => now > v,
                },
            };
            if bad {
                return Some(i as PropIdx);
            }
        }
        (w[W_ERROR] != 0 && error < usize::from(limit)).then_some(error as PropIdx)
    }

    fn move_label(&self, s: &World, m: Move) -> String {
        render::move_label(self, &s.slots, m)
    }

    fn actor_name(&self, actor: u8) -> String {
        self.program
            .actors
            .get(usize::from(actor))
            .map_or_else(|| "scenario".to_string(), |a| a.name.clone())
    }

    fn render_state(&self, s: &World) -> String {
        render::state(self, &s.slots)
    }

    /// The live actors suspended in an `await work(...)`: a protocol file's protected work.
    fn in_section(&self, s: &World) -> u64 {
        let w = &s.slots[..];
        (0..self.bases.len().min(64))
            .filter(|&a| {
                let b = self.base(a);
                let pc = w[b + B_PC] as usize;
                w[b + B_STATUS] == ST_READY
                    && self.life(w, a).runs()
                    && pc > 0
                    && matches!(self.program.ops.get(pc - 1), Some(Op::Work))
            })
            .fold(0, |m, a| m | 1 << a)
    }

    fn explain(&self, s: &World, p: PropIdx) -> String {
        render::explain(self, &s.slots, p)
    }

    fn fingerprint(&self, s: &World) -> u64 {
        let w = &s.slots[..];
        let mut blocks = [0u64; 64];
        let n = self.bases.len();
        for (a, slot) in blocks.iter_mut().enumerate().take(n) {
            *slot = self.block_hash(w, a);
        }
        self.combine(w, &blocks[..n])
    }

    /// Rehashes only the blocks a move changed (the rest are cached in the world).
    fn fingerprint_successor(&self, s: &mut World) -> u64 {
        let n = self.bases.len();
        let mut dirty = s.dirty & if n >= 64 { u64::MAX } else { (1u64 << n) - 1 };
        while dirty != 0 {
            let a = dirty.trailing_zeros() as usize;
            dirty &= dirty - 1;
            s.hashes[a] = self.block_hash(&s.slots, a);
        }
        s.dirty = 0;
        debug_assert_eq!(self.combine(&s.slots, &s.hashes), self.fingerprint(s));
        self.combine(&s.slots, &s.hashes)
    }
}

impl Machine {
    /// Slots of the world.
    pub fn world_len(&self) -> usize {
        self.len
    }
    pub(super) fn block(&self, a: usize) -> usize {
        self.base(a)
    }
}
