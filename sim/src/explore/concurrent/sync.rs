//! The synchronisation the concurrent visited set is written against, so that one source is
//! what searches run (on `std`) and what the checkers explore (loom or shuttle), as
//! `lockstep::locks::platform` does for the reference lock.
//!
//! Plain re-exports: a normal build names exactly the `std` types it named before, so the
//! table's hot path compiles to the same code. The checkers' types replace them only in this
//! crate's own unit tests (`cfg(test)`) under `--features loom` or the `shuttle` feature. A crate
//! that depends on this one (the root crate's loom build included) always gets `std`: loom's
//! and shuttle's primitives panic outside a model execution, and searches with threads create
//! the set outside any. For the same reason, only the checked tests (named `loom_…` and
//! `shuttle_…`) may run in such a test build: the other unit tests that search with threads
//! would create the set outside an execution.
//!
//! The slots differ too: the checkers' atomics are objects with state of their own, which
//! cannot live in the zeroed huge-page memory of [`ZeroedSlots`](crate::huge::ZeroedSlots), so
//! under a checker a table's slots are a boxed slice of them.

#[cfg(all(test, feature = "loom"))]
pub(super) use loom::{
    sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering},
    sync::{Arc, Condvar, Mutex, MutexGuard},
    thread,
};

#[cfg(all(test, feature = "shuttle", not(feature = "loom")))]
pub(super) use shuttle::{
    sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering},
    sync::{Arc, Condvar, Mutex, MutexGuard},
    thread,
};

#[cfg(not(all(test, any(feature = "loom", feature = "shuttle"))))]
pub(super) use std::sync::{
    atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering},
    Arc, Condvar, Mutex, MutexGuard,
};

/// The set runs under a checker (whose tests' tables have a few slots, so growths copy in small
/// chunks, for several threads to share a copy).
pub(super) const CHECKED: bool = cfg!(all(test, any(feature = "loom", feature = "shuttle")));

/// A table's slots, all zero.
#[cfg(not(all(test, any(feature = "loom", feature = "shuttle"))))]
pub(super) type Slots = crate::huge::ZeroedSlots<AtomicU64>;

/// A table's slots, all zero.
#[cfg(all(test, any(feature = "loom", feature = "shuttle")))]
pub(super) type Slots = Box<[AtomicU64]>;

#[cfg(not(all(test, any(feature = "loom", feature = "shuttle"))))]
pub(super) fn zeroed_slots(len: usize) -> Slots {
    crate::huge::ZeroedSlots::new(len)
}

#[cfg(all(test, any(feature = "loom", feature = "shuttle")))]
pub(super) fn zeroed_slots(len: usize) -> Slots {
    (0..len).map(|_| AtomicU64::new(0)).collect()
}
