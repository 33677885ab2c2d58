//! Schedules: the list of choices a run made, which is all a replay needs.
//!
//! Text form (what the command line prints and reads back): choices separated by `.`, a move
//! as its index in the model's enabled-move list, `t` for "let time pass to the next timer",
//! and `x*n` for `n` repetitions of `x`. Example: `0.t*3.1.0`. The form never depends on an
//! RNG, so a schedule found by a random run replays even if the generator changes.

use std::fmt;
use std::str::FromStr;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
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
        let mut i = 0;
        let mut first = true;
        while i < self.0.len() {
            let c = self.0[i];
            let mut n = 1;
            while i + n < self.0.len() && self.0[i + n] == c {
                n += 1;
            }
            if !first {
                f.write_str(".")?;
            }
            first = false;
            match c {
                Choice::Move(k) => write!(f, "{k}")?,
                Choice::Advance => f.write_str("t")?,
            }
            if n > 1 {
                write!(f, "*{n}")?;
            }
            i += n;
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
        if s.is_empty() {
            return Ok(Schedule(out));
        }
        for tok in s.split('.') {
            let (head, count) = match tok.split_once('*') {
                Some((h, n)) => {
                    let n: usize = n
                        .parse()
                        .map_err(|_| ParseScheduleError(format!("bad repeat count in `{tok}`")))?;
                    (h, n)
                }
                None => (tok, 1),
            };
            let c = if head == "t" {
                Choice::Advance
            } else {
                Choice::Move(head.parse().map_err(|_| {
                    ParseScheduleError(format!("`{tok}` is neither `t` nor a move index"))
                })?)
            };
            out.extend(std::iter::repeat_n(c, count));
        }
        Ok(Schedule(out))
    }
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
    fn rejects_garbage() {
        assert!("0.x".parse::<Schedule>().is_err());
        assert!("0*q".parse::<Schedule>().is_err());
    }
}
