//! Each checked invariant's own status. A verdict names only the first-listed invariant a
//! reachable world violates, so a reader cannot tell from it whether a later-listed one breaks
//! too. Each invariant is explored on its own (the scenario restricted to it, the same plan and
//! budgets): it holds, is violated (with its counterexample's length), or is not decided
//! within the budget.

use crate::engine::Outcome;
use crate::protocol::LoadedScenario;
use crate::scenario::Plan;

/// One invariant's status.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Status {
    pub invariant: &'static str,
    /// `holds`, `violated`, `inconclusive:<budget>`, or `undecided (violated:runtime-error
    /// first)` when its own search met an always-checked property first.
    pub status: String,
    /// The moves of its own counterexample, when violated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub moves: Option<usize>,
}

impl Status {
    /// `holds`, `violated (19 moves)`, `inconclusive:states-max`.
    pub fn long(&self) -> String {
        match self.moves {
            Some(m) => format!("{} ({m} moves)", self.status),
            None => self.status.clone(),
        }
    }

    /// The table's compact form: `✓` holds, `✗` violated, `?` undecided.
    pub fn mark(&self) -> &'static str {
        match self.status.as_str() {
            "holds" => "✓",
            "violated" => "✗",
            _ => "?",
        }
    }
}

/// Every checked invariant's status for `variant`, when the scenario checks several (one needs
/// no second opinion). The search that gave `main` answers for its own verdict's invariant; a
/// complete `holds` answers for all of them.
pub fn statuses(
    loaded: &dyn LoadedScenario,
    variant: &str,
    plan: &Plan,
    main: &Outcome,
) -> Vec<Status> {
    let invariants = &loaded.meta().invariants;
    if invariants.len() < 2 {
        return Vec::new();
    }
    let mut out = Vec::new();
    for inv in invariants {
        let restricted;
        let own = if main.verdict.is_holds() || main.verdict.violated() == Some(inv.id) {
            main
        } else {
            match loaded.restricted(std::slice::from_ref(inv)) {
                Some(r) => {
                    restricted = r.explore(variant, plan);
                    &restricted
                }
                None => return Vec::new(),
            }
        };
        // Violated is this invariant's own violation only: a search of it that meets another
        // always-checked property first (a runtime error) has not decided it.
        let violated = own.verdict.violated() == Some(inv.id);
        out.push(Status {
            invariant: inv.id,
            status: if violated {
                "violated".to_string()
            } else if own.verdict.is_violated() {
                format!("undecided ({} first)", own.verdict)
            } else {
                own.verdict.to_string()
            },
            moves: own
                .counterexample
                .as_ref()
                .filter(|_| violated)
                .map(|c| c.schedule.moves()),
        });
    }
    out
}
