//! One level of the exhaustive depth-first search: a world, its moves, the successors it
//! explores, and its sleep set ([`super::sleep`]).

use crate::explore::sleep::{bit, child_sleep, mask_of};
use crate::explore::visited::Visited;
use crate::explore::Config;
use crate::model::Model;
use crate::narrate::Silent;
use crate::schedule::Choice;

pub(super) struct Level<S, Mv> {
    /// Boxed, like the successors in `kids`: entering a successor swaps two pointers instead of
    /// moving two worlds (each hundreds of bytes) through memory.
    pub(super) state: Box<S>,
    pub(super) moves: Vec<Mv>,
    /// Number of choices: moves, plus one for "advance" when time may pass.
    pub(super) choices: usize,
    pub(super) next: usize,
    wake: u64,
    /// The successor of each choice with its fingerprint (`None`: beyond the horizon). All are
    /// made at once so their visited-set slots can be prefetched together: the set is far larger
    /// than the caches, and a miss per successor otherwise dominates the search.
    pub(super) kids: Vec<Option<(Box<S>, u64)>>,
    /// Sleep set: moves (indices into `moves`, below 32) not explored from this world.
    pub(super) sleep: u32,
    /// Moves explored from this level so far: with `sleep`, the candidates for the sleep sets
    /// of the children explored after them.
    done: u32,
    /// A revisited world re-explored under the revisit rule: only these moves are taken.
    pub(super) only: Option<u32>,
    /// The world's fingerprint, its instant, and the depth at which the path's run of worlds at
    /// that instant begins: for finding a run that comes back to a world on its path.
    pub(super) fingerprint: u64,
    pub(super) now: u64,
    pub(super) segment: usize,
}

impl<S, Mv> Level<S, Mv> {
    pub(super) fn new(state: Box<S>) -> Self {
        Level {
            state,
            moves: Vec::new(),
            choices: 0,
            next: 0,
            wake: 0,
            kids: Vec::new(),
            sleep: 0,
            done: 0,
            only: None,
            fingerprint: 0,
            now: 0,
            segment: 0,
        }
    }

    /// Whether choice `i` is explored from this level.
    #[inline]
    pub(super) fn takes(&self, i: usize) -> bool {
        match self.only {
            Some(o) => o & bit(i) != 0,
            None => self.sleep & bit(i) == 0,
        }
    }

    /// Moves (not "advance") this level explores: the transitions it costs.
    pub(super) fn taken_moves(&self) -> u64 {
        let n = self.moves.len();
        match self.only {
            // Without a sleep set (every search without sleep sets), all of them.
            None if self.sleep == 0 => n as u64,
            _ => (0..n).filter(|&i| self.takes(i)).count() as u64,
        }
    }

    /// The choice at index `i`.
    pub(super) fn choice(&self, i: usize) -> Choice {
        if i < self.moves.len() {
            Choice::Move(i as u32)
        } else {
            Choice::Advance
        }
    }

    /// Fills `out` with the sleep set of the child through choice `i` and marks `i` explored.
    /// Inlined: without sleep sets it is a clear and a test, once per explored move.
    #[inline]
    pub(super) fn child_sleep<M: Model<State = S, Move = Mv>>(
        &mut self,
        model: &M,
        sleepy: bool,
        i: usize,
        out: &mut Vec<Mv>,
    ) {
        out.clear();
        if sleepy && i < self.moves.len() {
            child_sleep(
                model,
                &self.state,
                &self.moves,
                self.sleep | self.done,
                i,
                out,
            );
            self.done |= bit(i);
        }
    }
}

pub(super) enum Expanded {
    /// The world has no move and no timer: the run ends here (with an at-end violation?).
    Ended(Option<u8>),
    Open,
}

/// Lists the moves of `lvl`'s world and makes the successors it explores: every choice but
/// the moves of `sleep` (its sleep set, as moves of its parent). `keep`: see [`make_kids`].
pub(super) fn expand<M: Model, V: Visited>(
    model: &M,
    lvl: &mut Level<M::State, M::Move>,
    bound: u8,
    cfg: &Config,
    visited: &V,
    sleep: &[M::Move],
    keep: bool,
) -> Expanded {
    lvl.moves.clear();
    lvl.next = 0;
    lvl.done = 0;
    lvl.only = None;
    lvl.sleep = 0;
    let urgent = model.moves(&lvl.state, &mut lvl.moves);
    if urgent > 0 && !keep && cfg.private_steps {
        // A private step is taken alone (`Model::private_step`); without sleep sets `only`
        // is otherwise unused, and it keeps the move's index for the schedule.
        if let Some(i) = model
            .private_step(&lvl.state, &lvl.moves)
            .filter(|&i| i < 32)
        {
            lvl.only = Some(bit(i));
        }
    }
    let wake = if urgent == 0 {
        model.next_wake(&lvl.state)
    } else {
        None
    };
    lvl.wake = wake.unwrap_or(0);
    lvl.choices = lvl.moves.len() + usize::from(wake.is_some());
    if urgent == 0 && wake.is_none() {
        // The run may end here (declining any optional move): judge the end-of-run properties.
        let v = model.violated(&lvl.state, bound, true);
        if lvl.moves.is_empty() || v.is_some() {
            lvl.choices = 0;
            return Expanded::Ended(v);
        }
    }
    if !sleep.is_empty() {
        lvl.sleep = mask_of(sleep, &lvl.moves);
    }
    make_kids(model, lvl, cfg, visited, keep);
    Expanded::Open
}

/// Makes (and fingerprints, and prefetches the visited-set slot of) the successor of every
/// choice `lvl` takes. All at once, so the prefetches overlap: the set is far larger than the
/// caches, and a miss per successor otherwise dominates the search.
///
/// `keep`: the level's own world is read again after this (sleep sets compute their children's
/// sleep sets from it, and a revisit may make the successors again). Without sleep sets nothing
/// reads it: the last successor is then made from the world itself, in place, instead of from
/// a copy. Most worlds of the benchmarks have a single successor, so most copies go, and the
/// level keeps a box whose contents are stale until the search next enters that depth (which
/// overwrites them).
pub(super) fn make_kids<M: Model, V: Visited>(
    model: &M,
    lvl: &mut Level<M::State, M::Move>,
    cfg: &Config,
    visited: &V,
    keep: bool,
) {
    // Grown, never shrunk: the boxed worlds past `choices` are kept for the next expansion to
    // reuse (entries of choices not taken are never read).
    if lvl.kids.len() < lvl.choices {
        lvl.kids.resize_with(lvl.choices, || None);
    }
    let (advance, past) = (lvl.moves.len(), lvl.wake > cfg.time_ms_max);
    let beyond = |i: usize| i == advance && past;
    let last = if keep {
        None
    } else {
        (0..lvl.choices).rev().find(|&i| lvl.takes(i) && !beyond(i))
    };
    for i in 0..lvl.choices {
        if !lvl.takes(i) {
            continue;
        }
        if beyond(i) {
            lvl.kids[i] = None;
            continue;
        }
        let mut kid = match lvl.kids[i].take() {
            Some((k, _)) if last == Some(i) => std::mem::replace(&mut lvl.state, k),
            Some((mut k, _)) => {
                k.clone_from(&lvl.state);
                k
            }
            None => lvl.state.clone(),
        };
        if i < lvl.moves.len() {
            model.apply(&mut kid, lvl.moves[i], &mut Silent);
        } else {
            model.advance(&mut kid, lvl.wake);
        }
        lvl.kids[i] = Some((kid, 0));
    }
    // Fingerprinted in a second pass: one fingerprint is a chain of dependent multiplies, and
    // back to back the chains of several successors overlap in the CPU, where each successor's
    // copy and move would otherwise sit between them.
    for i in 0..lvl.choices {
        if !lvl.takes(i) {
            continue;
        }
        if let Some((kid, fp)) = lvl.kids[i].as_mut() {
            *fp = model.fingerprint_successor(kid);
            visited.prefetch(*fp);
        }
    }
}
