//! Narration: how a model describes its steps when, and only when, a timeline is wanted.
//!
//! The explorers apply millions of moves with [`Silent`], whose methods are empty and inline
//! away; only a replay for a human uses [`Recorder`]. Models therefore write
//! `n.say(format_args!(...))` freely: nothing is formatted on the hot path.

use std::fmt::{self, Write};

use crate::model::Time;

pub trait Narrator {
    /// Whether anything said is kept (lets a model skip building an expensive description).
    const ON: bool;
    /// Appends to the description of the current step.
    fn say(&mut self, args: fmt::Arguments<'_>);
    /// Marks the current step as routine (a poll that found nothing): timelines fold runs of
    /// routine steps into one line.
    fn routine(&mut self);
}

/// Keeps nothing.
pub struct Silent;

impl Narrator for Silent {
    const ON: bool = false;
    #[inline(always)]
    fn say(&mut self, _args: fmt::Arguments<'_>) {}
    #[inline(always)]
    fn routine(&mut self) {}
}

/// One step of a recorded timeline.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    pub time: Time,
    pub actor: String,
    pub label: String,
    pub text: String,
    /// Shared state after the step.
    pub state: String,
    pub routine: bool,
    /// The actors inside the protected section after the step ([`crate::Model::in_section`]).
    pub section: Vec<String>,
}

/// Records every step of a replay as a [`Row`].
#[derive(Default)]
pub struct Recorder {
    pub rows: Vec<Row>,
    current: String,
    routine: bool,
}

impl Recorder {
    pub(crate) fn begin(&mut self) {
        self.current.clear();
        self.routine = false;
    }

    pub(crate) fn finish(
        &mut self,
        time: Time,
        actor: String,
        label: String,
        state: String,
        section: Vec<String>,
    ) {
        self.rows.push(Row {
            time,
            actor,
            label,
            text: std::mem::take(&mut self.current),
            state,
            routine: self.routine,
            section,
        });
    }
}

impl Narrator for Recorder {
    const ON: bool = true;
    fn say(&mut self, args: fmt::Arguments<'_>) {
        if !self.current.is_empty() {
            self.current.push_str("; ");
        }
        let _ = self.current.write_fmt(args);
    }
    fn routine(&mut self) {
        self.routine = true;
    }
}
