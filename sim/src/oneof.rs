//! One model out of several, chosen by the first move: a scenario that leaves its *structure*
//! open ("nested locks or not", "one module copy or two") is explored as every alternative.
//!
//! **Why a model and not a loop over models.** Looping outside the kernel would give one
//! verdict per alternative and leave the combination to the caller; the trace would not say
//! which structure it ran. As a model, the choice is an ordinary move: exhaustive search covers
//! every alternative in one search (with one visited set and one state count), random and PCT
//! runs draw it like any other choice, a counterexample's schedule starts with it, shrinking
//! may change it, and the timeline's first row says which alternative the run took.
//!
//! The alternatives must check the same properties in the same order (the verdict names the
//! first violated property of the list, whichever alternative violates it).

use crate::model::{Model, PropIdx, Property, Time};
use crate::narrate::Narrator;

thread_local! {
    /// [`OneOf::moves`]' buffer for the chosen model's moves (type-erased: the model type is a
    /// parameter, a thread-local cannot be).
    static SCRATCH: std::cell::RefCell<Option<Box<dyn std::any::Any>>> =
        const { std::cell::RefCell::new(None) };
}

/// The actor of the structure choice in timelines ("scenario").
pub const SCENARIO_ACTOR: u8 = u8::MAX;

/// Several alternatives of one model type, each with a label for timelines.
pub struct OneOf<M: Model> {
    alts: Vec<(String, M)>,
}

/// A world of [`OneOf`]: which alternative runs (`None` before the first move) and its world.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Picked<S> {
    pub which: Option<u8>,
    pub world: S,
}

/// A move of [`OneOf`]: the structure choice, or a move of the chosen alternative.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OneOfMove<Mv> {
    Pick(u8),
    In(Mv),
}

impl<M: Model> OneOf<M> {
    /// The alternatives' models, in order.
    pub fn models(&self) -> impl Iterator<Item = &M> {
        self.alts.iter().map(|(_, m)| m)
    }

    /// `alts` must be non-empty, at most 255, and check the same properties in the same order.
    pub fn new(alts: Vec<(String, M)>) -> Result<Self, String> {
        if alts.is_empty() || alts.len() > 255 {
            return Err(format!("{} alternatives: need 1 to 255", alts.len()));
        }
        let ids = |m: &M| m.properties().iter().map(|p| p.id).collect::<Vec<_>>();
        let first = ids(&alts[0].1);
        if let Some((label, _)) = alts.iter().find(|(_, m)| ids(m) != first) {
            return Err(format!(
                "alternative `{label}` checks other properties than `{}`",
                alts[0].0
            ));
        }
        Ok(OneOf { alts })
    }

    /// The chosen alternative's model (the first one before the choice: it names actors and
    /// properties the same way as every other).
    fn model(&self, s: &Picked<M::State>) -> &M {
        &self.alts[usize::from(s.which.unwrap_or(0))].1
    }
}

impl<M: Model> Model for OneOf<M>
where
    M::Move: 'static,
{
    type State = Picked<M::State>;
    type Move = OneOfMove<M::Move>;

    fn initial(&self) -> Self::State {
        Picked {
            which: None,
            world: self.alts[0].1.initial(),
        }
    }

    fn now(&self, s: &Self::State) -> Time {
        match s.which {
            None => 0,
            Some(_) => self.model(s).now(&s.world),
        }
    }

    fn moves(&self, s: &Self::State, out: &mut Vec<Self::Move>) -> usize {
        if s.which.is_none() {
            out.extend((0..self.alts.len()).map(|i| OneOfMove::Pick(i as u8)));
            return out.len();
        }
        // The inner model lists into a buffer of its own move type, reused per thread so the
        // explorers' inner loop allocates nothing here after the first call.
        let mut inner: Vec<M::Move> = SCRATCH
            .with(|c| c.borrow_mut().take())
            .and_then(|b| b.downcast::<Vec<M::Move>>().ok())
            .map_or_else(Vec::new, |b| *b);
        inner.clear();
        let urgent = self.model(s).moves(&s.world, &mut inner);
        out.extend(inner.iter().copied().map(OneOfMove::In));
        SCRATCH.with(|c| *c.borrow_mut() = Some(Box::new(inner)));
        urgent
    }

    fn next_wake(&self, s: &Self::State) -> Option<Time> {
        s.which.and_then(|_| self.model(s).next_wake(&s.world))
    }

    fn advance(&self, s: &mut Self::State, to: Time) {
        let m = &self.alts[usize::from(s.which.expect("time passes after the choice"))].1;
        m.advance(&mut s.world, to);
    }

    fn apply<N: Narrator>(&self, s: &mut Self::State, m: Self::Move, n: &mut N) {
        match m {
            OneOfMove::Pick(i) => {
                let (label, alt) = &self.alts[usize::from(i)];
                s.which = Some(i);
                s.world = alt.initial();
                n.say(format_args!("{label}"));
            }
            OneOfMove::In(mv) => {
                let alt = &self.alts[usize::from(s.which.expect("chosen"))].1;
                alt.apply(&mut s.world, mv, n);
            }
        }
    }

    fn independent(&self, s: &Self::State, a: Self::Move, b: Self::Move) -> bool {
        match (a, b) {
            (OneOfMove::In(a), OneOfMove::In(b)) if s.which.is_some() => {
                self.model(s).independent(&s.world, a, b)
            }
            _ => false,
        }
    }

    fn is_fault(&self, m: Self::Move) -> bool {
        match m {
            OneOfMove::Pick(_) => false,
            OneOfMove::In(mv) => self.alts[0].1.is_fault(mv),
        }
    }

    fn actor_of(&self, m: Self::Move) -> u8 {
        match m {
            OneOfMove::Pick(_) => SCENARIO_ACTOR,
            OneOfMove::In(mv) => self.alts[0].1.actor_of(mv),
        }
    }

    fn properties(&self) -> &[Property] {
        self.alts[0].1.properties()
    }

    fn parameters(&self) -> Vec<(&'static str, String)> {
        self.alts[0].1.parameters()
    }

    /// A fault fired if it fired under any of the alternatives (they share the scenario).
    fn unfired_faults(&self) -> Vec<String> {
        let mut out = self.alts[0].1.unfired_faults();
        for (_, m) in &self.alts[1..] {
            let theirs = m.unfired_faults();
            out.retain(|f| theirs.contains(f));
        }
        out
    }

    fn violated(&self, s: &Self::State, limit: PropIdx, at_end: bool) -> Option<PropIdx> {
        s.which
            .and_then(|_| self.model(s).violated(&s.world, limit, at_end))
    }

    fn move_label(&self, s: &Self::State, m: Self::Move) -> String {
        match m {
            OneOfMove::Pick(_) => "structure".into(),
            OneOfMove::In(mv) => self.model(s).move_label(&s.world, mv),
        }
    }

    fn actor_name(&self, actor: u8) -> String {
        if actor == SCENARIO_ACTOR {
            "scenario".into()
        } else {
            self.alts[0].1.actor_name(actor)
        }
    }

    fn render_state(&self, s: &Self::State) -> String {
        match s.which {
            None => String::new(),
            Some(_) => self.model(s).render_state(&s.world),
        }
    }

    fn explain(&self, s: &Self::State, p: PropIdx) -> String {
        self.model(s).explain(&s.world, p)
    }

    fn fingerprint(&self, s: &Self::State) -> u64 {
        match s.which {
            None => 1,
            Some(i) => crate::fingerprint::fingerprint_words(&[
                u64::from(i) + 1,
                self.model(s).fingerprint(&s.world),
            ]),
        }
    }

    fn fingerprint_successor(&self, s: &mut Self::State) -> u64 {
        match s.which {
            None => 1,
            Some(i) => {
                let inner = self.alts[usize::from(i)]
                    .1
                    .fingerprint_successor(&mut s.world);
                crate::fingerprint::fingerprint_words(&[u64::from(i) + 1, inner])
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doc_example::Counter;
    use crate::{check_exhaustive, replay, Config, Verdict};

    #[test]
    fn a_violation_in_any_alternative_is_found_and_replays() {
        // One actor alone cannot lose an update; two can.
        let m = OneOf::new(vec![
            ("one actor".into(), Counter::new(1)),
            ("two actors".into(), Counter::new(2)),
        ])
        .unwrap();
        let r = check_exhaustive(&m, &Config::default().with_probe_runs(0));
        assert!(matches!(r.verdict, Verdict::Violated { .. }));
        let cx = r.counterexample.unwrap();
        assert_eq!(cx.0[0], crate::schedule::Choice::Move(1), "{cx}");
        assert!(replay(&m, &cx, &Config::default()).is_ok());
        let safe = OneOf::new(vec![("one actor".into(), Counter::new(1))]).unwrap();
        let r = check_exhaustive(&safe, &Config::default());
        assert_eq!(r.verdict, Verdict::Holds);
    }
}
