//! Values a scenario may leave open: a fixed value, a set of alternatives, or a range with a
//! step. The explorers choose; every choice is recorded in the schedule.

use serde::Deserialize;

/// `init_ms = 50`, `init_ms = [50, 400]` or `init_ms = { from = 0, to = 600, step = 10 }`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum Choice<T> {
    Fixed(T),
    OneOf(Vec<T>),
    Range(RangeSpec),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RangeSpec {
    pub from: u64,
    pub to: u64,
    #[serde(default = "one")]
    pub step: u64,
}

fn one() -> u64 {
    1
}

/// Most alternatives one open value may have (choice indices are stored in a byte).
pub const MAX_ALTERNATIVES: usize = 250;

impl Choice<u64> {
    /// Every value, in ascending order for ranges and file order for lists.
    pub fn values(&self) -> Result<Vec<u64>, String> {
        let v = match self {
            Choice::Fixed(v) => vec![*v],
            Choice::OneOf(v) => v.clone(),
            Choice::Range(r) => {
                if r.step == 0 {
                    return Err("a range's `step` must be at least 1".into());
                }
                if r.from > r.to {
                    return Err(format!(
                        "a range must have `from` ≤ `to` (got {} > {})",
                        r.from, r.to
                    ));
                }
                (r.from..=r.to).step_by(r.step as usize).collect()
            }
        };
        check_len(v)
    }
}

impl<T: Clone> Choice<T> {
    /// Every value of a non-numeric choice (ranges are only for numbers).
    pub fn items(&self) -> Result<Vec<T>, String> {
        let v = match self {
            Choice::Fixed(v) => vec![v.clone()],
            Choice::OneOf(v) => v.clone(),
            Choice::Range(_) => {
                return Err("a range only makes sense for a number of milliseconds".into())
            }
        };
        check_len(v)
    }
}

fn check_len<T>(v: Vec<T>) -> Result<Vec<T>, String> {
    if v.is_empty() {
        return Err("an empty list leaves nothing to choose".into());
    }
    if v.len() > MAX_ALTERNATIVES {
        return Err(format!(
            "{} alternatives; at most {MAX_ALTERNATIVES} are allowed (use a larger step)",
            v.len()
        ));
    }
    Ok(v)
}
