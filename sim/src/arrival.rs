//! An open arrival instant (`arrive_ms = [a, b, ...]`, candidates ascending), encoded the same
//! way by every model, the Rust models and the actor machine alike, so that one scenario has
//! one state space whatever runs it.
//!
//! The actor holds the index of its next candidate, and its timer is that candidate's instant.
//! At a candidate that is not the last, arriving is optional: the actor may step now, or let
//! the clock move on, and then its next candidate is the first at or after the new instant. At
//! the last candidate arriving is urgent. Each candidate is a branch taken where it matters:
//! nothing is chosen up front, no world differs only by an instant not yet reached, and a
//! model needs no choice move for arrivals.

/// Whether arriving at candidate `next` may be declined (a later candidate remains).
pub fn optional<T>(next: usize, candidates: &[T]) -> bool {
    next + 1 < candidates.len()
}

/// The candidate after `next`: the instant the clock must stop at while an actor may still
/// decline to arrive now (its next timer), or `None` at the last candidate.
pub fn after<T: Copy>(next: usize, candidates: &[T]) -> Option<T> {
    candidates.get(next + 1).copied()
}

/// The next candidate once the clock has moved to `to` past candidate `next`: the first at or
/// after `to`. The last candidate is urgent, so the clock never passes it before the actor
/// arrives.
pub fn skip<T: Copy + PartialOrd>(next: usize, candidates: &[T], to: T) -> usize {
    let mut i = next;
    while i + 1 < candidates.len() && candidates[i] < to {
        i += 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn candidates_are_optional_until_the_last() {
        let c = [10u64, 20, 30];
        assert!(optional(0, &c) && optional(1, &c) && !optional(2, &c));
        assert_eq!((after(0, &c), after(2, &c)), (Some(20), None));
    }

    #[test]
    fn the_clock_skips_to_the_first_candidate_not_yet_passed() {
        let c = [10i64, 20, 30];
        assert_eq!(skip(0, &c, 15), 1);
        assert_eq!(skip(0, &c, 20), 1);
        assert_eq!(skip(0, &c, 25), 2);
        assert_eq!(skip(1, &c, 30), 2);
        // Never past the last, which is urgent.
        assert_eq!(skip(0, &c, 99), 2);
    }
}
