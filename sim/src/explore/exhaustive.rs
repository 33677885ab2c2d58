//! Exhaustive search: depth-first over every choice the model leaves open (same-instant
//! orderings, declared alternatives, optional faults, letting time pass), with visited-state
//! deduplication by fingerprint.
//!
//! Verdict semantics, chosen so the verdict does not depend on the search order: the explored
//! space R is every world reachable from the initial one through worlds that violate nothing
//! (a violating world is reported, not expanded). The verdict names the property that comes
//! first in the model's list among all properties violated anywhere in R. The search therefore
//! keeps going after a violation, looking only for properties earlier in the list, and stops
//! early only when it has found the first one. If a budget runs out before R is exhausted and a
//! violation was found, the violation is reported (it is real, and its schedule replays).

use crate::explore::{Config, Limit, Report, Strategy, Verdict};
use crate::fingerprint::FingerprintSet;
use crate::model::Model;
use crate::narrate::Silent;
use crate::schedule::{Choice, Schedule};

struct Level<S, Mv> {
    state: S,
    moves: Vec<Mv>,
    /// Number of choices: moves, plus one for "advance" when time may pass.
    choices: usize,
    next: usize,
    wake: u64,
}

/// Explores every schedule of `model` up to the budgets in `cfg`.
pub fn check_exhaustive<M: Model>(model: &M, cfg: &Config) -> Report {
    let nprops = model.properties().len() as u8;
    // A violation of the first-listed property is the verdict wherever it is found, so a
    // short random probe that finds one ends the search at once (deterministically: the probe
    // has a fixed seed). A later-listed violation still needs the whole space searched.
    let probed = super::random::probe(model, cfg);
    if let (Verdict::Violated { property: 0 }, Some(cx)) = (probed.verdict, &probed.counterexample) {
        let mut r = finish(Verdict::Violated { property: 0 }, 0, probed.steps, probed.schedules, Some(cx.clone()));
        r.found_by_probe = true;
        r.failing_run = probed.failing_run;
        return r;
    }
    let mut visited = FingerprintSet::default();
    let mut states = 0u64;
    let mut steps = 0u64;
    let mut leaves = 0u64;
    let mut best: Option<(u8, Schedule)> = None;
    let mut limit: Option<Limit> = None;
    let mut path: Vec<Choice> = Vec::new();

    let root = model.initial();
    visited.insert(model.fingerprint(&root));
    states += 1;
    if let Some(p) = model.violated(&root, nprops, false) {
        return finish(
            Verdict::Violated { property: p },
            states,
            0,
            1,
            Some(Schedule::default()),
        );
    }

    let mut levels: Vec<Level<M::State, M::Move>> = Vec::new();
    let mut depth = 0usize;
    push_level(model, &mut levels, 0, root);
    match expand(model, &mut levels[0], nprops) {
        Expanded::Ended(v) => {
            leaves += 1;
            if let Some(p) = v {
                return finish(
                    Verdict::Violated { property: p },
                    states,
                    0,
                    1,
                    Some(Schedule::default()),
                );
            }
        }
        Expanded::Open => {}
    }

    'search: loop {
        let lvl = &mut levels[depth];
        if lvl.next >= lvl.choices {
            if depth == 0 {
                break;
            }
            depth -= 1;
            path.pop();
            continue;
        }
        let i = lvl.next;
        lvl.next += 1;
        let choice = if i < lvl.moves.len() {
            Choice::Move(i as u32)
        } else {
            Choice::Advance
        };
        if depth + 1 >= levels.len() {
            let s = levels[depth].state.clone();
            push_level(model, &mut levels, depth + 1, s);
        } else {
            let (lo, hi) = levels.split_at_mut(depth + 1);
            hi[0].state.clone_from(&lo[depth].state);
        }
        let (lo, hi) = levels.split_at_mut(depth + 1);
        let parent = &lo[depth];
        let child = &mut hi[0];
        match choice {
            Choice::Move(k) => {
                model.apply(&mut child.state, parent.moves[k as usize], &mut Silent);
                steps += 1;
            }
            Choice::Advance => {
                if parent.wake > cfg.time_ms_max {
                    limit.get_or_insert(Limit::Horizon);
                    continue;
                }
                model.advance(&mut child.state, parent.wake);
            }
        }
        let fp = model.fingerprint(&child.state);
        if !visited.insert(fp) {
            continue;
        }
        states += 1;
        if states > cfg.states_max {
            limit.get_or_insert(Limit::States);
            break 'search;
        }
        let bound = best.as_ref().map_or(nprops, |b| b.0);
        if let Some(p) = model.violated(&child.state, bound, false) {
            path.push(choice);
            best = Some((p, Schedule(path.clone())));
            path.pop();
            leaves += 1;
            if p == 0 {
                break 'search;
            }
            continue;
        }
        match expand(model, child, bound) {
            Expanded::Ended(v) => {
                leaves += 1;
                if let Some(p) = v {
                    path.push(choice);
                    best = Some((p, Schedule(path.clone())));
                    path.pop();
                    if p == 0 {
                        break 'search;
                    }
                }
            }
            Expanded::Open => {
                if depth as u64 + 1 >= cfg.steps_max {
                    limit.get_or_insert(Limit::Steps);
                    continue;
                }
                path.push(choice);
                depth += 1;
            }
        }
    }
    let verdict = match (&best, limit) {
        (Some((p, _)), _) => Verdict::Violated { property: *p },
        (None, Some(l)) => Verdict::Inconclusive(l),
        (None, None) => Verdict::Holds,
    };
    finish(verdict, states, steps, leaves, best.map(|b| b.1))
}

enum Expanded {
    /// The world has no move and no timer: the run ends here (with an at-end violation?).
    Ended(Option<u8>),
    Open,
}

fn push_level<M: Model>(
    _model: &M,
    levels: &mut Vec<Level<M::State, M::Move>>,
    at: usize,
    state: M::State,
) {
    debug_assert_eq!(levels.len(), at);
    levels.push(Level {
        state,
        moves: Vec::new(),
        choices: 0,
        next: 0,
        wake: 0,
    });
}

fn expand<M: Model>(model: &M, lvl: &mut Level<M::State, M::Move>, bound: u8) -> Expanded {
    lvl.moves.clear();
    lvl.next = 0;
    let urgent = model.moves(&lvl.state, &mut lvl.moves);
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
    Expanded::Open
}

fn finish(
    verdict: Verdict,
    states: u64,
    steps: u64,
    schedules: u64,
    cx: Option<Schedule>,
) -> Report {
    let counterexample = match verdict {
        Verdict::Violated { .. } => cx,
        _ => None,
    };
    Report {
        strategy: Strategy::Exhaustive,
        verdict,
        states,
        schedules,
        steps,
        counterexample,
        failing_run: None,
        found_by_probe: false,
    }
}
