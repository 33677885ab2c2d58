//! Private steps (`Model::private_step`) on a toy model: fewer worlds, the same verdicts, and
//! a counterexample whose schedule (indices into the full move lists) replays.

use crate::model::{Model, PropIdx, Property, PropertyKind, Time};
use crate::narrate::Narrator;
use crate::{check_exhaustive, replay, Config, Verdict};

const BOTH_DONE_FIRST: &[Property] = &[Property {
    id: "order",
    kind: PropertyKind::Safety,
    summary: "actor 1 never writes the shared cell before actor 0",
}];

/// Two actors, each making `k` private steps (its own counter) and then one write to a shared
/// cell; the property breaks when actor 1 writes first. World: `[count0, count1, cell]`, the
/// cell holding who wrote first (0: nobody yet).
struct Writers {
    k: u8,
    declare: bool,
}

impl Model for Writers {
    type State = [u8; 3];
    type Move = u8;
    fn initial(&self) -> [u8; 3] {
        [0; 3]
    }
    fn now(&self, _: &[u8; 3]) -> Time {
        0
    }
    fn moves(&self, s: &[u8; 3], out: &mut Vec<u8>) -> usize {
        out.extend((0..2u8).filter(|&a| s[usize::from(a)] <= self.k));
        out.len()
    }
    fn next_wake(&self, _: &[u8; 3]) -> Option<Time> {
        None
    }
    fn advance(&self, _: &mut [u8; 3], _: Time) {}
    fn apply<N: Narrator>(&self, s: &mut [u8; 3], a: u8, _: &mut N) {
        let own = usize::from(a);
        if s[own] == self.k && s[2] == 0 {
            s[2] = a + 1;
        }
        s[own] += 1;
    }
    fn private_step(&self, s: &[u8; 3], moves: &[u8]) -> Option<usize> {
        let private = |a: u8| s[usize::from(a)] < self.k;
        self.declare
            .then(|| moves.iter().position(|&a| private(a)))
            .flatten()
    }
    fn actor_of(&self, m: u8) -> u8 {
        m
    }
    fn properties(&self) -> &[Property] {
        BOTH_DONE_FIRST
    }
    fn violated(&self, s: &[u8; 3], _: PropIdx, _: bool) -> Option<PropIdx> {
        (s[2] == 2).then_some(0)
    }
    fn move_label(&self, _: &[u8; 3], m: u8) -> String {
        format!("{m} step")
    }
    fn actor_name(&self, a: u8) -> String {
        a.to_string()
    }
    fn render_state(&self, s: &[u8; 3]) -> String {
        format!("{s:?}")
    }
    fn explain(&self, _: &[u8; 3], _: PropIdx) -> String {
        "actor 1 wrote first".into()
    }
}

#[test]
fn private_steps_visit_fewer_worlds_and_find_the_same_violation() {
    let mut cfg = Config::default().with_probe_runs(0);
    cfg.shrink_runs_max = 0;
    let full = check_exhaustive(
        &Writers {
            k: 6,
            declare: false,
        },
        &cfg,
    );
    let reduced_model = Writers {
        k: 6,
        declare: true,
    };
    let reduced = check_exhaustive(&reduced_model, &cfg);
    assert_eq!(full.verdict, Verdict::Violated { property: 0 });
    assert_eq!(reduced.verdict, Verdict::Violated { property: 0 });
    assert!(
        reduced.states < full.states,
        "{} vs {}",
        reduced.states,
        full.states
    );
    let schedule = reduced.counterexample.expect("a counterexample");
    let run = replay(&reduced_model, &schedule, &cfg).expect("the schedule replays");
    assert_eq!(run.verdict, Verdict::Violated { property: 0 });
    // Off, the same model explores every interleaving again.
    let off = check_exhaustive(&reduced_model, &cfg.clone().with_private_steps(false));
    assert_eq!(off.states, full.states);
}
