//! The generic actor machine: a protocol lowered to instructions, run as a kernel
//! [`crate::Model`].
//!
//! **Why a machine in the kernel.** A protocol file (lockstep's protocol language) must be
//! checked with every explorer, the shrinker, replay, threads and shards, exactly like a model
//! written in Rust, and with no compile step. The language's front end lowers a file to a
//! [`Program`]: instructions for a small stack machine, the layout of the shared state and of
//! each actor, the scenario's actors, and the properties to judge. The [`Machine`] runs it.
//! Nothing here knows a protocol.
//!
//! **Semantics.**
//! - An actor's step runs its instructions from its program counter to its next await point
//!   (`sleep`, `yield`, `until`, `work`): code between two awaits is atomic.
//! - The world is a flat vector of slots ([`layout`]); between steps an actor's whole state is
//!   its block (program counter, status, wake time, lifecycle, flags, choice slots, locals),
//!   so worlds compare, hash and copy as plain slices.
//! - Time moves only when no actor can move now: the kernel jumps to [`crate::Model::next_wake`],
//!   the earliest wake time, arrival, scheduled cancellation or property deadline.
//! - An actor parameter the scenario leaves open is chosen the first time the actor reads it:
//!   the step stops at that instruction and the explorer's choice continues it, with nothing
//!   interleaved (properties are judged between steps, not inside one).
//! - Faults are the platform's: a cancellation drops the continuation of an actor at its await
//!   point unless its work was anchored; nothing runs `finally` then.

mod collection;
pub mod coverage;
pub mod exec;
pub mod fuse;
pub mod layout;
mod model;
pub mod nest;
pub mod op;
pub mod os;
pub mod program;
mod render;
mod scheduled;
mod syscall;
pub mod verify;

pub use model::{Machine, Move, World, RUNTIME_ERROR};
pub use nest::{Composite, CompositeMove, CompositeWorld};
pub use op::{Cmp, Op, NO_HANDLER};
pub use program::{
    sym, Form, Instance, Kind, Obligation, Origin, ParamValue, Platform, Process, Program, Prop,
    Reach, Slot, SlotKind, NEVER,
};
