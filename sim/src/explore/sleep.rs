//! Sleep sets with state caching: the partial-order reduction of the exhaustive search.
//!
//! **What it prunes.** Two moves the model declares independent ([`Model::independent`])
//! reach the same world in either order, so once the search has explored `t` from a world, a
//! sibling explored after it need not explore `t` again as long as only moves independent of
//! `t` have been taken since: `t` sleeps. The child through move `t_j` gets the sleep set
//! `{ t in Z ∪ {t_1..t_{j-1}} : independent(s, t, t_j) }` (Z: the parent's sleep set,
//! `t_1..t_{j-1}`: the moves explored from the parent before `t_j`); the child through
//! "advance" (time passing, dependent with everything) gets the empty set. Asleep moves are not
//! even applied: that is the saving. Every reachable world is still visited (sleep sets prune
//! transitions, not states), so a `holds` verdict and its state count do not change.
//!
//! **State caching** (Godefroid 1996, the sleep-set and state-caching section): skipping a
//! visited world outright is unsound with sleep sets, because its first visit may have left
//! asleep a move that this visit needs. So a world first explored with a non-empty sleep set Z
//! keeps Z (a mask over its move list; moves beyond index 31 never sleep). A revisit with sleep
//! set Z' does nothing when Z ⊆ Z'; otherwise it explores the moves of Z \ Z' (their children's
//! sleep sets computed as usual from the base Z ∩ Z') and stores Z ∩ Z'. A world first explored
//! with an empty sleep set (most of them) stores nothing, and its revisits cost nothing more
//! than before: the visited set's entry carries a flag bit saying whether a record exists
//! ([`crate::fingerprint::FingerprintSet::insert_flagged`]).
//!
//! **Symmetry.** A model may give one fingerprint to permuted copies of a world, and a mask's
//! indices then name other actors' moves. A record therefore also keeps a second, plain
//! fingerprint of the world it was made for ([`crate::fingerprint::fingerprint`] of its
//! `Hash`: no canonicalization). A revisit by a different copy, with a non-empty record,
//! re-explores that copy with an empty sleep set and stores Z = ∅: sound (a world explored with
//! an empty sleep set covers everything reachable from it, and a permuted copy reaches the
//! permuted worlds, which have the same fingerprints) and bounded (each world at most once
//! more). A world re-explored this way is not counted again.
//!
//! **Violations.** The explorer does not expand a violating world, and the diamond that lets a
//! move sleep may run through one; so with sleep sets a violation may be met through another
//! path, or another property's violation may be met first. Any violation therefore ends the
//! reduced search at once, and the exhaustive explorer re-runs the search without sleep sets
//! (see `check_exhaustive`): verdicts, state counts and counterexamples are the unreduced
//! search's, only the transitions of a `holds` proof shrink.

use crate::model::Model;

/// Moves at indices from this one on never sleep (masks are `u32`).
pub(super) const MASK_BITS: usize = 32;

/// Bit `i` of a mask, or 0 beyond [`MASK_BITS`].
#[inline]
pub(super) fn bit(i: usize) -> u32 {
    if i < MASK_BITS {
        1 << i
    } else {
        0
    }
}

/// The sleep set of the child through `moves[j]` of world `s`, as moves: those of `candidates`
/// (a mask over `moves`: the parent's sleep set and the moves it explored before `j`) that are
/// independent of `moves[j]`.
pub(super) fn child_sleep<M: Model>(
    model: &M,
    s: &M::State,
    moves: &[M::Move],
    candidates: u32,
    j: usize,
    out: &mut Vec<M::Move>,
) {
    out.clear();
    let t = moves[j];
    let mut bits = candidates & !bit(j);
    while bits != 0 {
        let k = bits.trailing_zeros() as usize;
        bits &= bits - 1;
        if model.independent(s, moves[k], t) {
            out.push(moves[k]);
        }
    }
}

/// A sleep set given as moves (of the parent), as a mask over the child's own move list.
/// The contract makes every such move enabled in the child; one at index 32 or beyond is
/// dropped (explored after all: always sound).
pub(super) fn mask_of<Mv: PartialEq + std::fmt::Debug>(sleep: &[Mv], moves: &[Mv]) -> u32 {
    let mut m = 0;
    for x in sleep {
        match moves.iter().position(|y| y == x) {
            Some(i) => m |= bit(i),
            None => debug_assert!(
                false,
                "{x:?} was declared independent of the move just taken, but is no longer \
                 enabled (Model::independent's contract); run check_independence"
            ),
        }
    }
    m
}

/// What a visit of a world asks of the search.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Visit {
    /// First visit: count, judge and explore it (with its sleep set).
    New,
    /// Visited before, and that exploration covers this one: nothing to do.
    Covered,
    /// The same world was explored before with sleep set Z, and this visit's sleep set Z'
    /// lacks some of it: explore only the moves `only` = Z \ Z', from the base sleep set
    /// `sleep` = Z ∩ Z'.
    Only { only: u32, sleep: u32 },
    /// A permuted copy of a world explored with a non-empty sleep set: explore every choice,
    /// with an empty sleep set.
    All,
}

#[derive(Clone, Copy, Default)]
struct Record {
    /// A [`crate::fingerprint::key`]; 0: empty slot.
    key: u64,
    /// Plain fingerprint of the world the mask was made for.
    ident: u64,
    /// Moves of that world not explored from it yet (its sleep sets' intersection).
    mask: u32,
}

/// Sleep records: key → (plain fingerprint, mask), open addressing. Consulted only on the
/// revisit of a flagged world, never iterated.
pub(super) struct Records {
    slots: Vec<Record>,
    len: usize,
}

impl Default for Records {
    fn default() -> Self {
        Records {
            slots: vec![Record::default(); 64],
            len: 0,
        }
    }
}

impl Records {
    fn slot(&self, key: u64) -> usize {
        let mask = self.slots.len() - 1;
        let mut i = (key as usize) & mask;
        while self.slots[i].key != 0 && self.slots[i].key != key {
            i = (i + 1) & mask;
        }
        i
    }

    /// Stores the record of a world first explored with sleep set `mask` (non-empty).
    pub(super) fn insert(&mut self, key: u64, ident: u64, mask: u32) {
        if (self.len + 1) * 2 > self.slots.len() {
            let bigger = vec![Record::default(); self.slots.len() * 2];
            let old = std::mem::replace(&mut self.slots, bigger);
            for r in old.into_iter().filter(|r| r.key != 0) {
                let i = self.slot(r.key);
                self.slots[i] = r;
            }
        }
        let i = self.slot(key);
        if self.slots[i].key == 0 {
            self.len += 1;
        }
        self.slots[i] = Record { key, ident, mask };
    }

    /// The revisit rule for a flagged world (its record exists), visited now with sleep set
    /// `sleep`, `ident` being the plain fingerprint of the world at hand. Updates the record;
    /// returns what to explore and whether the record is now empty (the flag can go).
    pub(super) fn revisit(&mut self, key: u64, sleep: u32, ident: u64) -> (Visit, bool) {
        let i = self.slot(key);
        let r = &mut self.slots[i];
        assert!(r.key == key, "a flagged world has a sleep record");
        let visit = if r.ident != ident {
            r.mask = 0;
            Visit::All
        } else if r.mask & !sleep == 0 {
            Visit::Covered
        } else {
            let only = r.mask & !sleep;
            r.mask &= sleep;
            Visit::Only {
                only,
                sleep: r.mask,
            }
        };
        (visit, r.mask == 0)
    }
}
