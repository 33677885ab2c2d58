//! # lockstep-sim: the protocol-agnostic kernel of lockstep
//!
//! **The problem.** Lock protocols that must survive a cancelled request, a killed process or a
//! merely slow owner fail in interleavings that tests rarely hit: the owner's `finally` never
//! runs, two reclaimers judge the same stale lock at the same instant, a superseded owner wakes
//! up and releases its successor's claim. This crate runs such protocols as explicit state
//! machines on a virtual clock, so every interleaving is a value that can be enumerated,
//! sampled, replayed and shrunk.
//!
//! **The contract.** A protocol implements [`Model`]: its initial world, the moves enabled at
//! the current instant (in a deterministic order, urgent ones first), how a move changes the
//! world, and which named properties a world violates. The kernel owns everything else: when
//! the virtual clock may jump (only when no urgent move is left), the explorers, budgets,
//! fingerprints, schedules and replay. A run is a pure function of (model, schedule).
//!
//! ```
//! use lockstep_sim::{check_exhaustive, Config, Verdict};
//! # use lockstep_sim::doc_example::Counter;
//! let model = Counter::new(2);          // two actors incrementing a shared cell non-atomically
//! let report = check_exhaustive(&model, &Config::default());
//! assert!(matches!(report.verdict, Verdict::Violated { .. }));
//! let schedule = report.counterexample.unwrap(); // replayable: `lockstep_sim::replay`
//! assert!(lockstep_sim::replay(&model, &schedule, &Config::default()).is_ok());
//! ```
//!
//! **Debugging a failure.** Every violation carries its [`Schedule`]: the list of choices that
//! reached it. Re-executing it with [`replay`] and a [`Recorder`] gives the timeline row by row;
//! the schedule's text form (`0.0.1*3.`...) is what the command line prints in its replay
//! command.

pub mod actor;
pub mod arrival;
pub mod compose;
pub mod doc_example;
pub mod explore;
pub mod faults;
pub mod fingerprint;
mod huge;
pub mod inline;
pub mod intern;
pub mod machine;
pub mod model;
pub mod narrate;
pub mod oneof;
pub mod rng;
pub mod schedule;
pub mod world;

pub use actor::{ActorId, Lifecycle};
pub use explore::{
    check_exhaustive, check_independence, check_pct, check_random, check_scripted, replay, shrink,
    visited_bytes, Config, Limit, ReplayError, Report, Shrunk, Strategy, TieBreak, Verdict,
};
pub use intern::intern;
pub use model::{Model, PropIdx, Property, PropertyKind, Time, NEVER};
pub use narrate::{Narrator, Recorder, Row, Silent};
pub use schedule::Schedule;
