//! Shrinking a counterexample: fewer moves, fewer faults, earlier times, smaller choices.
//!
//! First choice: the *shortest* counterexample. A 0-1 breadth-first search (letting time pass
//! costs nothing, every move costs one) over the deduplicated state space finds a world
//! violating the same property with the fewest moves; among equally short ones, the first in
//! the model's move order. It is bounded by `shrink_states_max`; past that, delta debugging:
//!
//! A schedule is re-executed *leniently*: a choice that no longer fits (after an earlier one
//! was deleted) is replaced by the scripted default (the first urgent move, else let time
//! pass), and when the list runs out the run continues the same way. Delta debugging then
//! deletes chunks of choices (halves, quarters, ... single choices), lowers move indices
//! (smaller indices are earlier alternatives: smaller times and durations for ranges), and
//! replaces moves by letting time pass, keeping a candidate only if it violates the same
//! property and is strictly smaller by (faults, moves, end time, choices, indices). Strictly
//! smaller means the loop ends; a budget of runs bounds it. The result is the *actual* schedule
//! of the best run, so it replays strictly.
//!
//! Both phases obey the caller's stop flag (a wall-clock budget, an interrupt): the search
//! gives up and delta debugging keeps the best schedule so far. The search also gives up
//! before its worlds and their parent links would outgrow `cfg.memory_max`.

use crate::explore::run::{run_one, Chooser, Options, RunEnd};
use crate::explore::Config;
use crate::model::{Model, PropIdx, Time};
use crate::narrate::Silent;
use crate::schedule::{Choice, Schedule};

/// What shrinking achieved.
#[derive(Clone, Debug)]
pub struct Shrunk {
    pub schedule: Schedule,
    pub original_moves: usize,
    pub moves: usize,
    /// Candidate executions tried.
    pub runs: u64,
}

struct Lenient<'a> {
    choices: &'a [Choice],
    at: usize,
    faults: usize,
}

impl<M: Model> Chooser<M> for Lenient<'_> {
    fn choose(&mut self, model: &M, _: &M::State, o: &Options<'_, M::Move>) -> Option<Choice> {
        let wanted = self.choices.get(self.at).copied();
        if wanted.is_some() {
            self.at += 1;
        }
        let c = match wanted {
            Some(Choice::Move(i)) if (i as usize) < o.moves.len() => Choice::Move(i),
            Some(Choice::Advance) if o.can_advance => Choice::Advance,
            _ if o.urgent > 0 => Choice::Move(0),
            _ if o.can_advance => Choice::Advance,
            _ => return None,
        };
        if let Choice::Move(i) = c
            && model.is_fault(o.moves[i as usize])
        {
            self.faults += 1;
        }
        Some(c)
    }
}

type Key = (usize, usize, Time, usize, Vec<u32>);

fn key(faults: usize, s: &Schedule, end: Time) -> Key {
    let idx =
        s.0.iter()
            .map(|c| match c {
                Choice::Move(i) => *i,
                Choice::Advance => 0,
            })
            .collect();
    (faults, s.moves(), end, s.len(), idx)
}

/// Runs `choices` leniently; `Some((actual schedule, key))` if it violates `property`.
fn attempt<M: Model>(
    model: &M,
    choices: &[Choice],
    property: PropIdx,
    cfg: &Config,
) -> Option<(Schedule, Key)> {
    let mut ch = Lenient {
        choices,
        at: 0,
        faults: 0,
    };
    let r = run_one(model, &mut ch, cfg, &mut Silent);
    match r.end {
        RunEnd::Violated(p) if p == property => {
            let k = key(ch.faults, &r.schedule, r.end_time);
            Some((r.schedule, k))
        }
        _ => None,
    }
}

/// Shrinks `cx`, a schedule violating `property`: the shortest counterexample if the search
/// for it stays within `cfg.shrink_states_max` states, else delta debugging within
/// `cfg.shrink_runs_max` executions.
pub fn shrink<M: Model>(model: &M, cx: &Schedule, property: PropIdx, cfg: &Config) -> Shrunk {
    if let Some((s, states)) = shortest(model, property, cfg, cx.moves())
        && s.moves() <= cx.moves()
    {
        return Shrunk {
            moves: s.moves(),
            schedule: s,
            original_moves: cx.moves(),
            runs: states,
        };
    }
    delta_debug(model, cx, property, cfg)
}

/// 0-1 BFS for the fewest-moves path to a world violating `property` (and nothing listed
/// before it). `None` if the budget runs out first or no such path has at most `moves_max`
/// moves.
fn shortest<M: Model>(
    model: &M,
    property: PropIdx,
    cfg: &Config,
    moves_max: usize,
) -> Option<(Schedule, u64)> {
    use std::collections::{BTreeMap, VecDeque};
    let nprops = model.properties().len() as u8;
    // fingerprint -> (parent fingerprint, choice); the root's parent is 0.
    let mut parent: BTreeMap<u64, (u64, Choice)> = BTreeMap::new();
    let mut settled = crate::fingerprint::FingerprintSet::default();
    let mut queue: VecDeque<(M::State, u64, u64, usize)> = VecDeque::new();
    let root = model.initial();
    let root_fp = model.fingerprint(&root);
    parent.insert(root_fp, (0, Choice::Advance));
    queue.push_back((root, root_fp, 0, 0));
    let mut moves = Vec::new();
    let mut states = 0u64;
    // A queued world, its parent link and its settled key (a B-tree entry's share of a node
    // is about twice its 24 bytes).
    let per_world = (std::mem::size_of::<(M::State, u64, u64, usize)>() + 48 + 16) as u64;
    while let Some((s, fp, _, cost)) = queue.pop_front() {
        if !settled.insert(fp) {
            continue;
        }
        states += 1;
        if states > cfg.shrink_states_max || cost > moves_max {
            return None;
        }
        if states & 0x3ff == 0
            && (cfg.stopped() || (states + queue.len() as u64) * per_world > cfg.memory_max)
        {
            return None;
        }
        // A world that violates a later-listed property lies on the way, not at a dead end:
        // the explorers look past it for earlier ones (see `super::exhaustive`).
        if model.violated(&s, property + 1, false) == Some(property) {
            return Some((path_to(&parent, fp), states));
        }
        moves.clear();
        let urgent = model.moves(&s, &mut moves);
        let wake = if urgent == 0 {
            model.next_wake(&s)
        } else {
            None
        };
        if moves.is_empty() && wake.is_none() {
            if model.violated(&s, nprops, true) == Some(property) {
                return Some((path_to(&parent, fp), states));
            }
            continue;
        }
        if let Some(to) = wake.filter(|&t| t <= cfg.time_ms_max) {
            let mut c = s.clone();
            model.advance(&mut c, to);
            let cfp = model.fingerprint(&c);
            if !settled.contains(cfp) {
                parent.entry(cfp).or_insert((fp, Choice::Advance));
                // Weight 0: to the front, ahead of every costlier world.
                queue.push_front((c, cfp, fp, cost));
            }
        }
        for (i, m) in moves.iter().enumerate() {
            let mut c = s.clone();
            model.apply(&mut c, *m, &mut Silent);
            let cfp = model.fingerprint(&c);
            if !settled.contains(cfp) {
                parent.entry(cfp).or_insert((fp, Choice::Move(i as u32)));
                queue.push_back((c, cfp, fp, cost + 1));
            }
        }
    }
    None
}

fn path_to(parent: &std::collections::BTreeMap<u64, (u64, Choice)>, mut fp: u64) -> Schedule {
    let mut out = Vec::new();
    while let Some(&(p, c)) = parent.get(&fp) {
        if p == 0 {
            break;
        }
        out.push(c);
        fp = p;
    }
    out.reverse();
    Schedule(out)
}

fn delta_debug<M: Model>(model: &M, cx: &Schedule, property: PropIdx, cfg: &Config) -> Shrunk {
    let original_moves = cx.moves();
    let mut runs = 1u64;
    let Some((mut best, mut best_key)) = attempt(model, &cx.0, property, cfg) else {
        // Should not happen (the schedule came from this model); keep it as it is.
        return Shrunk {
            schedule: cx.clone(),
            original_moves,
            moves: original_moves,
            runs,
        };
    };
    let budget = cfg.shrink_runs_max;
    let mut improved = true;
    while improved && runs < budget && !cfg.stopped() {
        improved = false;
        // 1. Delete chunks, largest first.
        let mut size = (best.len() / 2).max(1);
        loop {
            let mut start = 0;
            while start < best.len() && runs < budget && !cfg.stopped() {
                let end = (start + size).min(best.len());
                let mut cand = best.0[..start].to_vec();
                cand.extend_from_slice(&best.0[end..]);
                runs += 1;
                match attempt(model, &cand, property, cfg) {
                    Some((s, k)) if k < best_key => {
                        best = s;
                        best_key = k;
                        improved = true;
                    }
                    _ => start += size,
                }
            }
            if size == 1 || runs >= budget {
                break;
            }
            size /= 2;
        }
        // 2. Lower each move index; 3. let time pass instead of a move.
        let mut i = 0;
        while i < best.len() && runs < budget && !cfg.stopped() {
            if let Choice::Move(k) = best.0[i] {
                let mut tries: Vec<Choice> = Vec::new();
                if k > 0 {
                    tries.push(Choice::Move(0));
                    if k > 1 {
                        tries.push(Choice::Move(k - 1));
                    }
                }
                tries.push(Choice::Advance);
                for t in tries {
                    let mut cand = best.0.clone();
                    cand[i] = t;
                    runs += 1;
                    if let Some((s, key)) = attempt(model, &cand, property, cfg)
                        && key < best_key
                    {
                        best = s;
                        best_key = key;
                        improved = true;
                        break;
                    }
                }
            }
            i += 1;
        }
    }
    let moves = best.moves();
    Shrunk {
        schedule: best,
        original_moves,
        moves,
        runs,
    }
}
