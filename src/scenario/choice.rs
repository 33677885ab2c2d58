//! Values a scenario may leave open: a fixed value, a set of alternatives, or a range with a
//! step. The explorers choose; every choice is recorded in the schedule.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, IntoDeserializer, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};

/// `init_ms = 50`, `init_ms = [50, 400]` or `init_ms = { from = 0, to = 600, step = 10 }`.
#[derive(Clone, Debug, PartialEq, Eq)]
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
                // Counted before anything is made: loading a file costs time and memory
                // bounded by the file, not by the numbers in it.
                let count = ((r.to - r.from) / r.step).saturating_add(1);
                if count > MAX_ALTERNATIVES as u64 {
                    return Err(too_many(count));
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
        return Err(too_many(v.len() as u64));
    }
    Ok(v)
}

fn too_many(count: u64) -> String {
    format!("{count} alternatives; at most {MAX_ALTERNATIVES} are allowed (use a larger step)")
}

/// What a scenario author may write for an open value of type `Self`.
pub trait ChoiceItem {
    const EXPECTING: &'static str;
}

impl ChoiceItem for u64 {
    const EXPECTING: &'static str =
        "a whole number of milliseconds, a list of them, or a range `{ from = 0, to = 600, step = 10 }`";
}

impl ChoiceItem for String {
    const EXPECTING: &'static str = "a name, or a list of names to choose from";
}

impl<'de, T: Deserialize<'de> + ChoiceItem> Deserialize<'de> for Choice<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de> + ChoiceItem> Visitor<'de> for V<T> {
            type Value = Choice<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(T::EXPECTING)
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                T::deserialize(v.into_deserializer()).map(Choice::Fixed)
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                T::deserialize(v.into_deserializer()).map(Choice::Fixed)
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                T::deserialize(v.into_deserializer()).map(Choice::Fixed)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut v = Vec::new();
                while let Some(x) = seq.next_element()? {
                    v.push(x);
                }
                Ok(Choice::OneOf(v))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                RangeSpec::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(Choice::Range)
            }
        }
        d.deserialize_any(V(PhantomData))
    }
}

/// The latest instant (and longest duration) a scenario may name, in ms: the models store
/// times in 32 bits, with headroom for sums.
pub const TIME_MAX: u64 = u32::MAX as u64 / 2;

/// An instant or duration key that may be one value, a list or a range of milliseconds, each
/// within [`TIME_MAX`].
pub fn times(
    src: &super::Source,
    c: &toml::Spanned<Choice<u64>>,
    what: &str,
) -> Result<Vec<u64>, super::ScenarioError> {
    let v = c
        .get_ref()
        .values()
        .map_err(|why| super::at(src, c, format!("`{what}`: {why}")))?;
    if let Some(bad) = v.iter().find(|&&x| x > TIME_MAX) {
        return Err(super::at(
            src,
            c,
            format!("`{what}` = {bad} is beyond the supported horizon ({TIME_MAX} ms)"),
        ));
    }
    Ok(v)
}

/// `arrive_ms`: candidate arrival instants as [`times`] reads them, ascending and without
/// repeats, the order the lazy arrival encoding walks (`lockstep_sim::arrival`); the protocol
/// files' binding reads them the same way.
pub fn instants(
    src: &super::Source,
    c: &toml::Spanned<Choice<u64>>,
    what: &str,
) -> Result<Vec<u64>, super::ScenarioError> {
    let mut v = times(src, c, what)?;
    v.sort_unstable();
    v.dedup();
    Ok(v)
}

/// An optional time of `[params]`, at least `min` and within [`TIME_MAX`].
pub fn optional_time(
    src: &super::Source,
    v: &Option<toml::Spanned<u64>>,
    what: &str,
    min: u64,
) -> Result<Option<u64>, super::ScenarioError> {
    match v {
        None => Ok(None),
        Some(s) if *s.get_ref() < min || *s.get_ref() > TIME_MAX => Err(super::at(
            src,
            s,
            format!(
                "`{what}` = {} is impossible: it must be between {min} and {TIME_MAX}",
                s.get_ref()
            ),
        )),
        Some(s) => Ok(Some(*s.get_ref())),
    }
}
