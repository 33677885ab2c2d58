//! # lockstep
//!
//! A deterministic concurrency simulation harness for lock protocols that must survive
//! cancelled requests, killed processes and slow owners. Protocol models live in
//! [`models`]; scenario files are parsed by [`scenario`]; [`engine`] runs them on the
//! `lockstep-sim` kernel; [`report`] renders verdicts and counterexamples; [`cli`] is the
//! command line; [`gate`] checks scenario and protocol files from a user's own `#[test]`;
//! [`lang`] is the protocol language. [`locks`] is a verified reference implementation of the reclaimable init
//! lock that users can run, and that loom and shuttle check; [`bridge`] runs the models themselves
//! under loom and shuttle.

pub mod atomic_write;
pub mod bridge;
pub mod catalogue;
pub mod cli;
pub mod each_invariant;
pub mod engine;
pub mod gate;
pub mod interrupt;
pub mod lang;
pub mod locks;
pub mod models;
pub mod protocol;
pub mod reach;
pub mod reduce;
pub mod report;
pub mod scenario;
pub mod trace;
pub mod verdict;

pub use lockstep_sim as sim;
