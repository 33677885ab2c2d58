//! Reducing a scenario to what a violation needs: the fewest actors and faults, before the
//! fewest moves.
//!
//! The shrinker ([`lockstep_sim::shrink`]) makes a counterexample's *schedule* minimal, but a
//! scenario's actors and scheduled faults are not choices of the schedule: a cancellation at
//! 900 ms happens in every run of the file. A reader who sees it in the timeline takes it for a
//! cause. So `run` also tries the scenario without each actor, and without each fault key of
//! an actor, of `[faults]` and of `[params]`, one at a time in file order, keeping every
//! removal after which the same variant still violates the same invariant (one greedy pass:
//! each removal is explored once, so the cost is one exploration per candidate). What is left
//! is named by `--without` flags, which apply the same removals when a replay command runs.
//!
//! Removals are made on the TOML document (`toml_edit`), so what is left is the user's file
//! minus whole keys and whole `[[actor]]` tables; a removal after which the file no longer
//! loads (an actor another key refers to) is simply not kept.

use toml_edit::{DocumentMut, Item};

/// A removal: `NAME` (an actor), `NAME.KEY` (a key of that actor), `faults.KEY` or
/// `params.KEY`.
pub type Removal = String;

/// The file's text without `removals`; an error names a removal that matches nothing.
pub fn without(text: &str, removals: &[Removal]) -> Result<String, String> {
    if removals.is_empty() {
        return Ok(text.to_string());
    }
    let mut doc: DocumentMut = text.parse().map_err(|e| format!("{e}"))?;
    for r in removals {
        if !remove(&mut doc, r) {
            return Err(format!(
                "--without `{r}`: the file has no actor, actor key, [faults] key or [params] key so named; write NAME, NAME.KEY, faults.KEY or params.KEY"
            ));
        }
    }
    Ok(doc.to_string())
}

fn remove(doc: &mut DocumentMut, removal: &str) -> bool {
    let (owner, key) = match removal.split_once('.') {
        Some((o, k)) => (o, Some(k)),
        None => (removal, None),
    };
    if let (Some(table @ ("faults" | "params")), Some(k)) = (Some(owner), key) {
        return doc
            .get_mut(table)
            .and_then(Item::as_table_like_mut)
            .is_some_and(|t| t.remove(k).is_some());
    }
    let Some(actors) = doc.get_mut("actor").and_then(Item::as_array_of_tables_mut) else {
        return false;
    };
    let Some(i) = actors
        .iter()
        .position(|t| t.get("name").and_then(Item::as_str) == Some(owner))
    else {
        return false;
    };
    match key {
        None => {
            actors.remove(i);
            true
        }
        Some(k) => actors
            .get_mut(i)
            .is_some_and(|t| k != "name" && t.remove(k).is_some()),
    }
}

/// The removals worth trying, in file order: each actor (when there are several), each fault
/// key of an actor, of `[faults]` and of `[params]`. `faults` are the protocol's fault names
/// (as `lockstep list` shows them: `crash_at_ms / crash_at` names two keys).
pub fn candidates(text: &str, faults: &[&str]) -> Vec<Removal> {
    let Ok(doc) = text.parse::<DocumentMut>() else {
        return Vec::new();
    };
    let is_fault = |k: &str| {
        faults.iter().any(|f| {
            f.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .any(|w| w == k)
        })
    };
    let mut out = Vec::new();
    if let Some(actors) = doc.get("actor").and_then(Item::as_array_of_tables) {
        let names: Vec<&str> = actors
            .iter()
            .filter_map(|t| t.get("name").and_then(Item::as_str))
            .collect();
        if names.len() > 1 {
            out.extend(names.iter().map(|n| n.to_string()));
        }
        for (t, name) in actors.iter().zip(&names) {
            out.extend(
                t.iter()
                    .filter(|(k, _)| is_fault(k))
                    .map(|(k, _)| format!("{name}.{k}")),
            );
        }
    }
    for table in ["faults", "params"] {
        if let Some(t) = doc.get(table).and_then(Item::as_table_like) {
            out.extend(
                t.iter()
                    .filter(|(k, _)| table == "faults" || is_fault(k))
                    .map(|(k, _)| format!("{table}.{k}")),
            );
        }
    }
    out
}

/// One greedy pass over `candidates`: a removal is kept when `still_violates` holds for the
/// removals kept so far plus it. A key of an actor already removed is skipped.
pub fn reduce(
    candidates: &[Removal],
    mut still_violates: impl FnMut(&[Removal]) -> bool,
) -> Vec<Removal> {
    let mut kept: Vec<Removal> = Vec::new();
    for c in candidates {
        let gone = c
            .split_once('.')
            .is_some_and(|(owner, _)| kept.iter().any(|k| k == owner));
        if gone {
            continue;
        }
        kept.push(c.clone());
        if !still_violates(&kept) {
            kept.pop();
        }
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "protocol = \"init-lock\"\n[params]\nduplicated_module = true\npoll_ms = 5\n\n[[actor]]\nname = \"A\"\narrive_ms = 0\n\n[[actor]]\nname = \"C\"\narrive_ms = 1\ncancel_at_ms = 900 # the user's note\n\n[faults]\ncancels_max = 1\n";

    #[test]
    fn candidates_are_actors_and_fault_keys_in_file_order() {
        let c = candidates(FILE, &["cancel_at_ms", "duplicated_module"]);
        assert_eq!(
            c,
            [
                "A",
                "C",
                "C.cancel_at_ms",
                "faults.cancels_max",
                "params.duplicated_module"
            ]
        );
    }

    #[test]
    fn removals_drop_whole_keys_and_tables_and_keep_the_rest() {
        let t = without(
            FILE,
            &["C.cancel_at_ms".into(), "params.duplicated_module".into()],
        )
        .unwrap();
        assert!(!t.contains("cancel_at_ms") && !t.contains("duplicated_module"));
        assert!(t.contains("poll_ms = 5") && t.contains("name = \"C\""));
        let t = without(FILE, &["A".into()]).unwrap();
        assert!(!t.contains("name = \"A\"") && t.contains("name = \"C\""));
        assert!(without(FILE, &["B".into()]).is_err());
        assert!(without(FILE, &["A.name".into()]).is_err());
    }

    #[test]
    fn the_pass_keeps_what_the_violation_does_not_need() {
        // The violation needs actor A and C's cancel, nothing else.
        let needs = |kept: &[Removal]| {
            !kept
                .iter()
                .any(|k| k == "A" || k == "C" || k == "C.cancel_at_ms")
        };
        let kept = reduce(
            &candidates(FILE, &["cancel_at_ms", "duplicated_module"]),
            needs,
        );
        assert_eq!(kept, ["faults.cancels_max", "params.duplicated_module"]);
    }
}
