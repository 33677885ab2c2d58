//! Budgets hold in every phase: the random probe, the exhaustive search (one thread and
//! several), and both phases of the shrinker stop at the caller's stop flag; the search stops
//! at the memory budget before its visited set outgrows it, whatever the thread count. The model is a grid walk large enough that no test finishes it by luck:
//! two counters, each move raises one, and the far corner may violate "corner".

use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use crate::model::{Model, PropIdx, Property, PropertyKind, Time};
use crate::narrate::Narrator;
use crate::schedule::{Choice, Schedule};
use crate::{check_exhaustive, check_random, shrink, visited_bytes, Config, Limit, Verdict};

/// Side of the large grid: (SIDE + 1)^2 worlds, about four million.
const SIDE: u16 = 2000;

/// A grid of the given side, and whether its far corner violates "corner" (every walk ends
/// there, so a search that must run out of budget needs it not to).
struct Grid(u16, bool);

const PROPS: &[Property] = &[Property {
    id: "corner",
    kind: PropertyKind::Safety,
    summary: "the walk never reaches the far corner",
}];

impl Model for Grid {
    type State = (u16, u16);
    type Move = u8;

    fn initial(&self) -> (u16, u16) {
        (0, 0)
    }
    fn now(&self, _: &(u16, u16)) -> Time {
        0
    }
    fn moves(&self, s: &(u16, u16), out: &mut Vec<u8>) -> usize {
        if s.0 < self.0 {
            out.push(0);
        }
        if s.1 < self.0 {
            out.push(1);
        }
        out.len()
    }
    fn next_wake(&self, _: &(u16, u16)) -> Option<Time> {
        None
    }
    fn advance(&self, _: &mut (u16, u16), _: Time) {}
    fn apply<N: Narrator>(&self, s: &mut (u16, u16), m: u8, _: &mut N) {
        if m == 0 {
            s.0 += 1;
        } else {
            s.1 += 1;
        }
    }
    fn actor_of(&self, m: u8) -> u8 {
        m
    }
    fn properties(&self) -> &[Property] {
        PROPS
    }
    fn violated(&self, s: &(u16, u16), limit: PropIdx, _: bool) -> Option<PropIdx> {
        (limit > 0 && self.1 && *s == (self.0, self.0)).then_some(0)
    }
    fn move_label(&self, _: &(u16, u16), m: u8) -> String {
        format!("raise {m}")
    }
    fn actor_name(&self, m: u8) -> String {
        format!("counter {m}")
    }
    fn render_state(&self, s: &(u16, u16)) -> String {
        format!("{s:?}")
    }
    fn explain(&self, _: &(u16, u16), _: PropIdx) -> String {
        String::new()
    }
}

fn raised() -> Config {
    Config {
        stop: Some(Arc::new(AtomicBool::new(true))),
        ..Config::default()
    }
}

/// The walk to the corner: every raise of the first counter, then every raise of the second.
fn corner_walk(side: u16) -> Schedule {
    let mut moves = vec![Choice::Move(0); usize::from(side)];
    moves.extend(std::iter::repeat_n(Choice::Move(0), usize::from(side)));
    Schedule(moves)
}

#[test]
fn a_raised_stop_ends_the_probe_and_the_search_of_any_thread_count() {
    for threads in [1, 2] {
        let r = check_exhaustive(&Grid(SIDE, false), &raised().with_threads(threads));
        assert_eq!(
            r.verdict,
            Verdict::Inconclusive(Limit::Stopped),
            "{threads}"
        );
        assert!(r.states <= 0x2000 * threads, "{} states", r.states);
    }
    let r = check_random(
        &Grid(SIDE, false),
        &raised().with_runs(1_000_000).with_steps_max(10),
    );
    assert_eq!(r.verdict, Verdict::Inconclusive(Limit::Stopped));
    assert_eq!(r.schedules, 1, "the first run ends the search");
}

#[test]
fn a_raised_stop_ends_both_phases_of_the_shrinker() {
    let cx = corner_walk(SIDE);
    let s = shrink(&Grid(SIDE, true), &cx, 0, &raised());
    assert_eq!(s.runs, 1, "only the counterexample itself was executed");
    assert_eq!(s.schedule.moves(), cx.moves(), "kept as it was");
}

#[test]
fn the_memory_budget_stops_the_search_before_its_table_outgrows_it_on_any_thread_count() {
    let budget = 20_000_000;
    let cfg = Config::default().with_probe_runs(0).with_memory_max(budget);
    let one = check_exhaustive(&Grid(SIDE, false), &cfg);
    assert_eq!(one.verdict, Verdict::Inconclusive(Limit::Memory));
    assert!(visited_bytes(one.states) <= budget, "{} states", one.states);
    assert!(visited_bytes(one.states + 0x3000) > budget, "stopped early");
    let two = check_exhaustive(&Grid(SIDE, false), &cfg.clone().with_threads(2));
    assert_eq!(two.verdict, Verdict::Inconclusive(Limit::Memory));
    assert!(visited_bytes(two.states) <= budget, "{} states", two.states);
}

#[test]
fn the_shrinkers_search_gives_way_to_delta_debugging_at_the_memory_budget() {
    // 90,601 worlds: the search visits them all within its state budget, but its queue and
    // parent links need about 9 MB.
    let grid = Grid(300, true);
    let cx = corner_walk(300);
    let free = shrink(&grid, &cx, 0, &Config::default());
    let tight = shrink(&grid, &cx, 0, &Config::default().with_memory_max(1 << 20));
    assert_eq!(free.schedule.moves(), 600);
    assert!(
        free.runs > 90_000,
        "the search visited every world: {}",
        free.runs
    );
    assert_eq!(tight.schedule.moves(), 600, "still a counterexample");
    assert!(
        tight.runs < 10_000,
        "delta debugging's runs: {}",
        tight.runs
    );
}

/// A timer that fires every millisecond and enables nothing: time passes, no move is ever made.
struct Ticker;

impl Model for Ticker {
    type State = Time;
    type Move = u8;

    fn initial(&self) -> Time {
        0
    }
    fn now(&self, s: &Time) -> Time {
        *s
    }
    fn moves(&self, _: &Time, _: &mut Vec<u8>) -> usize {
        0
    }
    fn next_wake(&self, s: &Time) -> Option<Time> {
        Some(s + 1)
    }
    fn advance(&self, s: &mut Time, to: Time) {
        *s = to;
    }
    fn apply<N: Narrator>(&self, _: &mut Time, _: u8, _: &mut N) {}
    fn actor_of(&self, m: u8) -> u8 {
        m
    }
    fn properties(&self) -> &[Property] {
        PROPS
    }
    fn violated(&self, _: &Time, _: PropIdx, _: bool) -> Option<PropIdx> {
        None
    }
    fn move_label(&self, _: &Time, m: u8) -> String {
        m.to_string()
    }
    fn actor_name(&self, a: u8) -> String {
        a.to_string()
    }
    fn render_state(&self, s: &Time) -> String {
        s.to_string()
    }
    fn explain(&self, _: &Time, _: PropIdx) -> String {
        String::new()
    }
}

/// A run whose clock keeps advancing with nothing to do ends at the step budget, not at the
/// horizon: under the default seven-day horizon its schedule would be 600 million advances
/// long (a model with such a timer ran a random probe out of memory). Here the horizon is
/// 10,000 ms, so a run that counted only moves would end there instead.
#[test]
fn clock_advances_count_against_the_step_budget() {
    let cfg = Config::default()
        .with_runs(1)
        .with_steps_max(1000)
        .with_time_ms_max(10_000);
    let r = check_random(&Ticker, &cfg);
    assert_eq!(r.verdict, Verdict::Inconclusive(Limit::Steps));
}
