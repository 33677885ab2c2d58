//! What exploring a (scenario, variant) found, and what its `[expect]` asks for, as one type:
//! the engine produces it, the scenario parses it, and every report compares and prints it
//! without reading text back.

/// A verdict in the scenario's words. It prints as a scenario writes it (`holds`,
/// `violated:<invariant>`, `inconclusive:<reason>`; `reached:<target>` for a reachability
/// search's witness, which no `[expect]` names).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Verdict {
    /// No explored world violates a checked invariant.
    Holds,
    /// The first-listed checked invariant some explored world violates (its id).
    Violated(&'static str),
    /// A reachability search reached its target (the target's id): the timeline is a witness.
    Reached(&'static str),
    /// The search ended before deciding (a budget, an interrupt, a replay that no longer
    /// applies): never a pass.
    Inconclusive(String),
}

impl Verdict {
    pub fn is_holds(&self) -> bool {
        matches!(self, Verdict::Holds)
    }

    pub fn is_violated(&self) -> bool {
        matches!(self, Verdict::Violated(_))
    }

    pub fn is_inconclusive(&self) -> bool {
        matches!(self, Verdict::Inconclusive(_))
    }

    /// The violated invariant's id, if any.
    pub fn violated(&self) -> Option<&'static str> {
        match self {
            Verdict::Violated(id) => Some(id),
            _ => None,
        }
    }
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Padded as a whole, so tables can align it with `{:<width$}`.
        match self {
            Verdict::Holds => f.pad("holds"),
            Verdict::Violated(p) => f.pad(&format!("violated:{p}")),
            Verdict::Reached(t) => f.pad(&format!("reached:{t}")),
            Verdict::Inconclusive(r) => f.pad(&format!("inconclusive:{r}")),
        }
    }
}

/// A verdict as [`Display`](std::fmt::Display) prints it (`holds`, `violated:ID`,
/// `reached:ID`, `inconclusive:REASON`): what `check --json` writes and `merge` reads back.
impl std::str::FromStr for Verdict {
    type Err = String;

    fn from_str(text: &str) -> Result<Verdict, String> {
        let named = |rest: &str| (!rest.is_empty()).then(|| lockstep_sim::intern(rest));
        let parsed = match text.split_once(':') {
            None if text == "holds" => Some(Verdict::Holds),
            Some(("violated", id)) => named(id).map(Verdict::Violated),
            Some(("reached", id)) => named(id).map(Verdict::Reached),
            Some(("inconclusive", why)) if !why.is_empty() => {
                Some(Verdict::Inconclusive(why.to_string()))
            }
            _ => None,
        };
        parsed.ok_or_else(|| format!("`{text}` is not a verdict"))
    }
}

/// In JSON, a verdict is the string a scenario would write.
impl serde::Serialize for Verdict {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::Verdict;

    #[test]
    fn verdicts_print_as_scenarios_write_them() {
        assert_eq!(Verdict::Holds.to_string(), "holds");
        assert_eq!(
            Verdict::Violated("max-active").to_string(),
            "violated:max-active"
        );
        assert_eq!(Verdict::Reached("throws").to_string(), "reached:throws");
        let budget = Verdict::Inconclusive("states-max".into());
        assert_eq!(budget.to_string(), "inconclusive:states-max");
        assert!(budget.is_inconclusive() && !budget.is_holds() && !budget.is_violated());
        assert_eq!(format!("{:<8}|", Verdict::Holds), "holds   |");
    }

    #[test]
    fn verdicts_read_back_as_they_print() {
        for v in [
            Verdict::Holds,
            Verdict::Violated("max-active"),
            Verdict::Reached("throws"),
            Verdict::Inconclusive("states-max".into()),
        ] {
            assert_eq!(v.to_string().parse::<Verdict>(), Ok(v));
        }
        for bad in [
            "",
            "hold",
            "violated:",
            "reached",
            "inconclusive:",
            "passed:x",
        ] {
            assert!(bad.parse::<Verdict>().is_err(), "{bad}");
        }
    }
}
