//! The verdict order: the first-listed property violated by any reachable world, even when a
//! later-listed one breaks earlier on the same path. One actor takes three steps; after step 1
//! the world violates "late" (listed second), after step 3 also "early" (listed first). Every
//! explorer, the replay and the shrinker must report "early".

use crate::model::{Model, PropIdx, Property, PropertyKind, Time};
use crate::narrate::Narrator;
use crate::{check_exhaustive, check_pct, check_random, check_scripted, replay, Config, Verdict};

struct Chain;

const PROPS: &[Property] = &[
    Property {
        id: "early",
        kind: PropertyKind::Safety,
        summary: "the actor never takes its third step",
    },
    Property {
        id: "late",
        kind: PropertyKind::Safety,
        summary: "the actor never takes its first step",
    },
];

impl Model for Chain {
    type State = u8;
    type Move = u8;

    fn initial(&self) -> u8 {
        0
    }
    fn now(&self, _: &u8) -> Time {
        0
    }
    fn moves(&self, s: &u8, out: &mut Vec<u8>) -> usize {
        if *s < 3 {
            out.push(0);
        }
        out.len()
    }
    fn next_wake(&self, _: &u8) -> Option<Time> {
        None
    }
    fn advance(&self, _: &mut u8, _: Time) {}
    fn apply<N: Narrator>(&self, s: &mut u8, _: u8, n: &mut N) {
        *s += 1;
        n.say(format_args!("step {s}"));
    }
    fn actor_of(&self, _: u8) -> u8 {
        0
    }
    fn properties(&self) -> &[Property] {
        PROPS
    }
    fn violated(&self, s: &u8, limit: PropIdx, _: bool) -> Option<PropIdx> {
        [*s >= 3, *s >= 1]
            .iter()
            .take(usize::from(limit))
            .position(|&v| v)
            .map(|i| i as PropIdx)
    }
    fn move_label(&self, _: &u8, _: u8) -> String {
        "step".to_string()
    }
    fn actor_name(&self, _: u8) -> String {
        "A".to_string()
    }
    fn render_state(&self, s: &u8) -> String {
        format!("steps={s}")
    }
    fn explain(&self, _: &u8, _: PropIdx) -> String {
        String::new()
    }
}

const EARLY: Verdict = Verdict::Violated { property: 0 };

#[test]
fn an_earlier_listed_violation_later_on_the_path_is_the_verdict() {
    let cfg = Config::default().with_probe_runs(0);
    for threads in [1, 2] {
        let ex = check_exhaustive(&Chain, &cfg.clone().with_threads(threads));
        assert_eq!(ex.verdict, EARLY, "exhaustive, {threads} thread(s)");
        let cx = ex.counterexample.expect("a counterexample");
        assert_eq!(cx.moves(), 3, "the schedule reaches the third step");
        let r = replay(&Chain, &cx, &cfg).unwrap();
        assert_eq!(r.verdict, EARLY);
        assert_eq!(r.rows.len(), 3, "the timeline ends at the violating step");
    }
    assert_eq!(check_exhaustive(&Chain, &Config::default()).verdict, EARLY);
    assert_eq!(check_scripted(&Chain, &cfg).verdict, EARLY);
    let runs = cfg.clone().with_runs(5).with_seed(1);
    assert_eq!(check_random(&Chain, &runs).verdict, EARLY);
    assert_eq!(check_pct(&Chain, &runs).verdict, EARLY);
}
