//! The diamond check: a model's independence declarations, tested on its reachable worlds.
//!
//! Sleep sets trust [`Model::independent`]: a pair declared independent that does not commute
//! can hide reachable worlds, and nothing in a `holds` verdict would show it. This check makes
//! the declarations testable: in every world it reaches, every pair of enabled moves declared
//! independent must form a diamond.

use crate::explore::Config;
use crate::fingerprint::{fingerprint, FingerprintSet};
use crate::model::Model;
use crate::narrate::Silent;
use crate::rng::Prng;

/// Visits up to `max_states` worlds of `model` (from the initial world through every move and
/// clock jump within `cfg.time_ms_max`, violating worlds included; the next world is drawn at
/// random from the frontier with `cfg.seed`, so a sample of a large space reaches late instants
/// as well as early ones), and in each, for
/// every pair of enabled moves `a`, `b` that the model declares independent, checks the
/// contract of [`Model::independent`]: the declaration is symmetric, `a` and `b` belong to
/// different actors, `b` is still enabled after `a` and `a` after `b`, and both orders give
/// equal worlds. Returns the number of independent pairs checked, or a description of the
/// first world and pair that break the contract.
///
/// Worlds are told apart by their plain fingerprint (no symmetry canonicalization), so
/// permuted copies are checked too.
pub fn check_independence<M: Model>(
    model: &M,
    cfg: &Config,
    max_states: u64,
) -> Result<u64, String> {
    let mut seen = FingerprintSet::default();
    let mut rng = Prng::fork(cfg.seed, 0x0d1a_6014d);
    let mut frontier = Vec::new();
    let root = model.initial();
    seen.insert(fingerprint(&root));
    frontier.push(root);
    let mut visited = 0u64;
    let mut pairs = 0u64;
    let (mut moves, mut after) = (Vec::new(), Vec::new());
    while !frontier.is_empty() {
        let s = frontier.swap_remove(rng.below(frontier.len() as u64) as usize);
        visited += 1;
        if visited > max_states {
            break;
        }
        moves.clear();
        let urgent = model.moves(&s, &mut moves);
        for i in 0..moves.len() {
            for j in i + 1..moves.len() {
                let (a, b) = (moves[i], moves[j]);
                let ab = model.independent(&s, a, b);
                let ba = model.independent(&s, b, a);
                let at = |why: String| -> String {
                    format!(
                        "world #{visited} (now {}, {}), moves {a:?} ({}) and {b:?} ({}): {why}\n\
                         world: {s:?}",
                        model.now(&s),
                        model.render_state(&s),
                        model.move_label(&s, a),
                        model.move_label(&s, b),
                    )
                };
                if ab != ba {
                    return Err(at(format!(
                        "declared independent in one order only ({ab} / {ba})"
                    )));
                }
                if !ab {
                    continue;
                }
                pairs += 1;
                if model.actor_of(a) == model.actor_of(b) {
                    return Err(at("two moves of one actor declared independent".into()));
                }
                let mut sa = s.clone();
                model.apply(&mut sa, a, &mut Silent);
                let mut sb = s.clone();
                model.apply(&mut sb, b, &mut Silent);
                after.clear();
                model.moves(&sa, &mut after);
                if !after.contains(&b) {
                    return Err(at(format!("{b:?} is not enabled after {a:?}")));
                }
                after.clear();
                model.moves(&sb, &mut after);
                if !after.contains(&a) {
                    return Err(at(format!("{a:?} is not enabled after {b:?}")));
                }
                model.apply(&mut sa, b, &mut Silent);
                model.apply(&mut sb, a, &mut Silent);
                if sa != sb {
                    return Err(at(format!(
                        "the two orders reach different worlds:\n  a then b: {sa:?}\n  \
                         b then a: {sb:?}"
                    )));
                }
            }
        }
        let mut succ: Vec<M::State> = moves
            .iter()
            .map(|&m| {
                let mut c = s.clone();
                model.apply(&mut c, m, &mut Silent);
                c
            })
            .collect();
        if urgent == 0
            && let Some(to) = model.next_wake(&s).filter(|&t| t <= cfg.time_ms_max)
        {
            let mut c = s.clone();
            model.advance(&mut c, to);
            succ.push(c);
        }
        for c in succ {
            if seen.insert(fingerprint(&c)) {
                frontier.push(c);
            }
        }
    }
    Ok(pairs)
}
