//! Schedules: the list of choices a run made, which is all a replay needs.
//!
//! Text form (what the command line prints and reads back): choices separated by `.`, a move
//! as its index in the model's enabled-move list, `t` for "let time pass to the next timer",
//! `x*n` for `n` repetitions of `x`, and `(...)` to group. Example: `(0.t)*14.1.0`. The form never depends on an
//! RNG, so a schedule found by a random run replays even if the generator changes.

use std::fmt;
use std::str::FromStr;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Choice {
    /// Take the enabled move with this index.
    Move(u32),
    /// Let the clock jump to the next timer.
    Advance,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Schedule(pub Vec<Choice>);

impl Schedule {
    pub fn len(&self) -> usize {
        self.0.len()
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    /// Number of moves (choices other than letting time pass).
    pub fn moves(&self) -> usize {
        self.0
            .iter()
            .filter(|c| matches!(c, Choice::Move(_)))
            .count()
    }
}

impl fmt::Display for Schedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = &self.0;
        let mut i = 0;
        let mut first = true;
        while i < c.len() {
            // Greedy: the period (up to 8 choices) whose repetitions cover the most from here.
            let (mut best_p, mut best_n) = (1, 1);
            for p in 1..=8.min(c.len() - i) {
                let mut n = 1;
                while i + (n + 1) * p <= c.len() && c[i + n * p..i + (n + 1) * p] == c[i..i + p] {
                    n += 1;
                }
                if n > 1 && p * n > best_p * best_n {
                    (best_p, best_n) = (p, n);
                }
            }
            if !first {
                f.write_str(".")?;
            }
            first = false;
            if best_p > 1 {
                f.write_str("(")?;
            }
            for (k, ch) in c[i..i + best_p].iter().enumerate() {
                if k > 0 {
                    f.write_str(".")?;
                }
                match ch {
                    Choice::Move(m) => write!(f, "{m}")?,
                    Choice::Advance => f.write_str("t")?,
                }
            }
            if best_p > 1 {
                f.write_str(")")?;
            }
            if best_n > 1 {
                write!(f, "*{best_n}")?;
            }
            i += best_p * best_n;
        }
        Ok(())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseScheduleError(pub String);

impl fmt::Display for ParseScheduleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "malformed schedule: {}", self.0)
    }
}

impl std::error::Error for ParseScheduleError {}

impl FromStr for Schedule {
    type Err = ParseScheduleError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut out = Vec::new();
        let s = s.trim();
        if !s.is_empty() {
            parse_seq(s, &mut out)?;
        }
        Ok(Schedule(out))
    }
}

/// Parses `item(.item)*` where an item is `t`, a move index, or `(seq)`, each optionally
/// followed by `*count`.
fn parse_seq(s: &str, out: &mut Vec<Choice>) -> Result<(), ParseScheduleError> {
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let (item, next): (Vec<Choice>, usize) = if bytes[i] == b'(' {
            let mut depth = 0;
            let mut j = i;
            loop {
                match bytes.get(j) {
                    Some(b'(') => depth += 1,
                    Some(b')') => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    Some(_) => {}
                    None => return Err(ParseScheduleError("unbalanced `(`".into())),
                }
                j += 1;
            }
            let mut inner = Vec::new();
            parse_seq(&s[i + 1..j], &mut inner)?;
            (inner, j + 1)
        } else {
            let j = s[i..].find(['.', '*']).map_or(s.len(), |k| i + k);
            let tok = &s[i..j];
            let c = if tok == "t" {
                Choice::Advance
            } else {
                Choice::Move(tok.parse().map_err(|_| {
                    ParseScheduleError(format!("`{tok}` is neither `t` nor a move index"))
                })?)
            };
            (vec![c], j)
        };
        let mut j = next;
        let mut count = 1usize;
        if bytes.get(j) == Some(&b'*') {
            let k = s[j + 1..].find('.').map_or(s.len(), |k| j + 1 + k);
            count = s[j + 1..k]
                .parse()
                .map_err(|_| ParseScheduleError(format!("bad repeat count `{}`", &s[j + 1..k])))?;
            j = k;
        }
        for _ in 0..count {
            out.extend_from_slice(&item);
        }
        match bytes.get(j) {
            None => break,
            Some(b'.') if j + 1 < bytes.len() => i = j + 1,
            _ => {
                return Err(ParseScheduleError(format!(
                    "unexpected text at `{}`",
                    &s[j..]
                )))
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_form_round_trips() {
        let s = Schedule(vec![
            Choice::Move(0),
            Choice::Advance,
            Choice::Advance,
            Choice::Move(12),
            Choice::Move(0),
            Choice::Move(0),
        ]);
        assert_eq!(s.to_string(), "0.t*2.12.0*2");
        assert_eq!(s.to_string().parse::<Schedule>().unwrap(), s);
    }

    #[test]
    fn repeated_groups_fold() {
        let mut v = Vec::new();
        for _ in 0..5 {
            v.extend([Choice::Move(0), Choice::Advance]);
        }
        v.push(Choice::Move(3));
        let s = Schedule(v);
        assert_eq!(s.to_string(), "(0.t)*5.3");
        assert_eq!(s.to_string().parse::<Schedule>().unwrap(), s);
        assert_eq!("((0.t)*2.1)*2".parse::<Schedule>().unwrap().len(), 10);
    }

    #[test]
    fn rejects_garbage() {
        assert!("0.x".parse::<Schedule>().is_err());
        assert!("0*q".parse::<Schedule>().is_err());
        assert!("(0.t".parse::<Schedule>().is_err());
        assert!("0..1".parse::<Schedule>().is_err());
    }
}
