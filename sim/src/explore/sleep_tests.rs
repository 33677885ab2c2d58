//! Sleep sets on toy models: every state still visited, fewer transitions, the revisit rule,
//! symmetric copies, threads, and the diamond check catching a wrong declaration.

use crate::model::{Model, PropIdx, Property, PropertyKind, Time};
use crate::narrate::Narrator;
use crate::{check_exhaustive, check_independence, Config, Report, Verdict};

const NONE: &[Property] = &[Property {
    id: "nothing",
    kind: PropertyKind::Safety,
    summary: "never violated",
}];

/// `n` actors, each incrementing its own counter up to `k`: every pair of moves commutes.
/// `declare`: whether the model says so. `symmetric`: permuted counters share a fingerprint.
/// `pairs`: a state-dependent table instead (see `revisit_rule_re_explores_what_the_first_visit_left_asleep`).
struct Counters {
    n: u8,
    k: u8,
    declare: bool,
    symmetric: bool,
    pairs: bool,
}

impl Counters {
    fn new(n: u8, k: u8) -> Self {
        Counters {
            n,
            k,
            declare: true,
            symmetric: false,
            pairs: false,
        }
    }
}

impl Model for Counters {
    type State = Vec<u8>;
    type Move = u8;
    fn initial(&self) -> Vec<u8> {
        vec![0; usize::from(self.n)]
    }
    fn now(&self, _: &Vec<u8>) -> Time {
        0
    }
    fn moves(&self, s: &Vec<u8>, out: &mut Vec<u8>) -> usize {
        out.extend((0..self.n).filter(|&a| s[usize::from(a)] < self.k));
        out.len()
    }
    fn next_wake(&self, _: &Vec<u8>) -> Option<Time> {
        None
    }
    fn advance(&self, _: &mut Vec<u8>, _: Time) {}
    fn apply<N: Narrator>(&self, s: &mut Vec<u8>, a: u8, _: &mut N) {
        s[usize::from(a)] += 1;
    }
    fn independent(&self, s: &Vec<u8>, a: u8, b: u8) -> bool {
        if self.pairs {
            // Three actors; every pair commutes, but only some are declared so, depending on
            // the world: A–B while C has not moved, A–C once B has, B–C never.
            return match (a.min(b), a.max(b)) {
                (0, 1) => s[2] == 0,
                (0, 2) => s[1] == 1,
                _ => false,
            };
        }
        self.declare && a != b
    }
    fn actor_of(&self, m: u8) -> u8 {
        m
    }
    fn properties(&self) -> &[Property] {
        NONE
    }
    fn violated(&self, _: &Vec<u8>, _: PropIdx, _: bool) -> Option<PropIdx> {
        None
    }
    fn move_label(&self, _: &Vec<u8>, m: u8) -> String {
        format!("{m} step")
    }
    fn actor_name(&self, a: u8) -> String {
        a.to_string()
    }
    fn render_state(&self, s: &Vec<u8>) -> String {
        format!("{s:?}")
    }
    fn explain(&self, _: &Vec<u8>, _: PropIdx) -> String {
        String::new()
    }
    fn fingerprint(&self, s: &Vec<u8>) -> u64 {
        if self.symmetric {
            let mut c = s.clone();
            c.sort_unstable();
            crate::fingerprint::fingerprint(&c)
        } else {
            crate::fingerprint::fingerprint(s)
        }
    }
}

fn run<M: Model>(m: &M, sleep: bool, threads: u64) -> Report {
    let cfg = Config::default()
        .with_probe_runs(0)
        .with_sleep_sets(sleep)
        .with_threads(threads);
    let r = check_exhaustive(m, &cfg);
    assert_eq!(r.verdict, Verdict::Holds);
    r
}

#[test]
fn independent_counters_visit_every_state_with_far_fewer_transitions() {
    let m = Counters::new(4, 3);
    assert!(check_independence(&m, &Config::default(), 10_000).unwrap() > 0);
    let full = run(&m, false, 1);
    let reduced = run(&m, true, 1);
    assert_eq!(full.states, 4u64.pow(4));
    assert_eq!(reduced.states, full.states);
    assert_eq!(reduced.schedules, full.schedules);
    // Every world but the initial one is entered through exactly one transition; the full
    // search applies every enabled move of every world (n·k·(k+1)^(n-1)).
    assert_eq!(full.steps, 4 * 3 * 4u64.pow(3));
    assert_eq!(reduced.steps, reduced.states - 1);
    // Threads share the sleep records: same states.
    for _ in 0..4 {
        let t = run(&m, true, 2);
        assert_eq!(t.states, full.states);
        assert_eq!(t.schedules, full.schedules);
    }
}

#[test]
fn undeclared_independence_reduces_nothing() {
    let m = Counters {
        declare: false,
        ..Counters::new(3, 2)
    };
    assert_eq!(check_independence(&m, &Config::default(), 10_000), Ok(0));
    let (full, reduced) = (run(&m, false, 1), run(&m, true, 1));
    assert_eq!((reduced.states, reduced.steps), (full.states, full.steps));
}

/// Regression test for the revisit rule (Z ⊄ Z'). With the state-dependent table of
/// `Counters::pairs` and the moves taken in actor order, world [0,1,1] is first reached
/// through B then C with A asleep ({A}: A–B independent at the root, A–C once B has moved), and
/// later through C then B with an empty sleep set (A–C dependent at the root, A–B dependent
/// once C has moved). The second visit must explore A from it: 11 transitions, where skipping
/// the visited world outright would make 10 (and the full search makes 12).
#[test]
fn revisit_rule_re_explores_what_the_first_visit_left_asleep() {
    let m = Counters {
        pairs: true,
        ..Counters::new(3, 1)
    };
    assert!(check_independence(&m, &Config::default(), 100).unwrap() > 0);
    let full = run(&m, false, 1);
    let reduced = run(&m, true, 1);
    assert_eq!((full.states, full.steps), (8, 12));
    assert_eq!((reduced.states, reduced.steps), (8, 11));
}

/// With symmetry, a revisit may be a permuted copy whose move indices name other actors: it is
/// re-explored with an empty sleep set, and every class of worlds is still reached. On these
/// fully symmetric toys that costs more than it saves (every interleaving of identical actors
/// is already one class): each world is re-expanded at most once, so at most twice the
/// transitions of the search without sleep sets.
#[test]
fn symmetric_copies_are_re_explored_not_trusted() {
    for (n, k) in [(3, 3), (4, 2), (5, 2)] {
        let m = Counters {
            symmetric: true,
            ..Counters::new(n, k)
        };
        let full = run(&m, false, 1);
        let reduced = run(&m, true, 1);
        // Multisets of n counters in 0..=k.
        let classes = (1..=u64::from(n)).fold(1, |c, i| c * (u64::from(k) + i) / i);
        assert_eq!(full.states, classes);
        assert_eq!(reduced.states, full.states, "n={n} k={k}");
        assert!(reduced.steps <= 2 * full.steps, "n={n} k={k}");
        assert_eq!(run(&m, true, 2).states, full.states);
    }
}

/// Two actors write one cell; declaring them independent is wrong, and the diamond check says
/// where. (The sleep-set search would trust it and miss a world: why the check exists.)
struct Clobber;

impl Model for Clobber {
    /// (cell, A done, B done)
    type State = (u8, bool, bool);
    type Move = u8;
    fn initial(&self) -> Self::State {
        (0, false, false)
    }
    fn now(&self, _: &Self::State) -> Time {
        0
    }
    fn moves(&self, s: &Self::State, out: &mut Vec<u8>) -> usize {
        if !s.1 {
            out.push(0);
        }
        if !s.2 {
            out.push(1);
        }
        out.len()
    }
    fn next_wake(&self, _: &Self::State) -> Option<Time> {
        None
    }
    fn advance(&self, _: &mut Self::State, _: Time) {}
    fn apply<N: Narrator>(&self, s: &mut Self::State, a: u8, _: &mut N) {
        s.0 = a + 1;
        if a == 0 {
            s.1 = true;
        } else {
            s.2 = true;
        }
    }
    fn independent(&self, _: &Self::State, a: u8, b: u8) -> bool {
        a != b
    }
    fn actor_of(&self, m: u8) -> u8 {
        m
    }
    fn properties(&self) -> &[Property] {
        NONE
    }
    fn violated(&self, _: &Self::State, _: PropIdx, _: bool) -> Option<PropIdx> {
        None
    }
    fn move_label(&self, _: &Self::State, m: u8) -> String {
        format!("writes {}", m + 1)
    }
    fn actor_name(&self, a: u8) -> String {
        a.to_string()
    }
    fn render_state(&self, s: &Self::State) -> String {
        format!("cell={}", s.0)
    }
    fn explain(&self, _: &Self::State, _: PropIdx) -> String {
        String::new()
    }
}

#[test]
fn the_diamond_check_catches_conflicting_writes_declared_independent() {
    let err = check_independence(&Clobber, &Config::default(), 100).unwrap_err();
    assert!(err.contains("world #1"), "{err}");
    assert!(err.contains("different worlds"), "{err}");
    assert!(
        err.contains("writes 1") && err.contains("writes 2"),
        "{err}"
    );
    // What trusting it would cost: the world where A wrote last is never reached.
    assert_eq!(run(&Clobber, false, 1).states, 5);
    assert_eq!(run(&Clobber, true, 1).states, 4);
}
