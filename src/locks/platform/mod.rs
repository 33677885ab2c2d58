//! The facade the lock is written against: a mutex and a clock.
//!
//! [`InitLock`](super::InitLock) never names `std::sync`, `loom` or `shuttle` directly. It asks its
//! [`Platform`] for a mutex type and for the time, so one source file is what a user runs (on
//! [`StdPlatform`], real threads and real time) and what the checkers explore (on
//! [`ShuttlePlatform`] and, under `--features loom`, `LoomPlatform`, both with a [virtual
//! clock](#the-virtual-clock-of-the-checked-platforms)).
//!
//! The facade is deliberately small:
//!
//! - [`Platform::Mutex`]: the only synchronisation the lock uses. Every atomic step of the
//!   protocol (see the [module docs](super#granularity-what-stands-for-the-javascript-microtasks))
//!   is one critical section, so the lock needs no separate atomics; the checked platforms use
//!   their own atomics inside the clock.
//! - [`Platform::now_ms`] and [`Platform::sleep_ms`]: the injectable clock. The lock reads the
//!   time only inside a critical section and sleeps only between them.
//!
//! [`Spawn`] is a second, optional trait that the [scenarios](super::scenarios) need to start
//! actor threads; the lock itself never spawns.
//!
//! # The virtual clock of the checked platforms
//!
//! Loom and shuttle have no notion of time, and a real clock inside a model would make every run
//! different. [`ShuttlePlatform`] and `LoomPlatform` therefore share one *logical* clock per model
//! execution: a single atomic counter of milliseconds that starts at 0.
//!
//! - `now_ms()` reads it with a read-modify-write (`fetch_add(0)`), so every read sees the latest
//!   value in the counter's modification order: the clock is linearizable and never goes back,
//!   on any thread, even under loom's weak-memory exploration.
//! - `sleep_ms(d)` advances it by `d` (`fetch_add(d)`) and returns at once. It does not block.
//!
//! So time passes only when some thread sleeps, and by exactly what it sleeps. A thread that
//! sleeps `d` sees at least `d` pass before its next read, which is the one thing a real clock
//! promises a sleeper; it may see more, because other threads' sleeps were scheduled in between.
//! That extra is how a *slow* or *paused* thread is represented: the checker simply does not
//! schedule it while others' sleeps move the clock. Time stays deterministic (it is a function of
//! the schedule alone) and meaningful (ages and waits are sums of real sleep durations).
//!
//! Why this still exposes the races of the emdash history (protocol spec §1.5). The clobber race
//! V1-d needs three ingredients, and each is a scheduling choice the checker makes:
//!
//! 1. **an owner slow past the deadline**: either its init sleeps longer than `deadline_ms`, or it
//!    is not scheduled while a waiter's polls advance the clock past the deadline;
//! 2. **a reclaimer**: a waiter whose poll, after that, sees `now - owner_started_at > deadline_ms`;
//! 3. **a third caller in the clobber window**: a thread scheduled between the stale owner's
//!    ungated release and the reclaimer's publication.
//!
//! The publication clobber V3-a is the same first two ingredients followed by the stale owner's
//! publication landing after the reclaimer's. Because the clock never blocks, a waiter's poll
//! loop is bounded by virtual time (`max_wait_ms / poll_ms` passes at most), which keeps loom's
//! exhaustive search finite without `yield_now` heuristics.

mod shuttle_platform;
mod std_platform;

#[cfg(feature = "loom")]
mod loom_platform;

#[cfg(feature = "loom")]
pub use loom_platform::{LoomMutex, LoomPlatform};
pub use shuttle_platform::{ShuttleMutex, ShuttlePlatform};
pub use std_platform::{StdMutex, StdPlatform};

/// Mutex and clock for an [`InitLock`](super::InitLock).
///
/// Implement it to run the lock on another runtime or to inject a clock. The contract:
///
/// - `now_ms` is monotonic (never decreases, as seen from any thread). It need not be wall time.
/// - `sleep_ms(d)` lets at least `d` ms pass on this platform's clock before it returns, as seen
///   by the sleeping thread's next `now_ms`. A virtual clock may return immediately after
///   advancing itself.
pub trait Platform {
    /// The mutex protecting the lock's state. Each critical section is one atomic protocol step.
    type Mutex<T: Send>: PlatformMutex<T>;

    /// Milliseconds on this platform's clock. Monotonic; the origin is arbitrary.
    fn now_ms(&self) -> u64;

    /// Let `ms` milliseconds pass on this platform's clock. A scheduling point on checked platforms.
    fn sleep_ms(&self, ms: u64);
}

/// A mutex as the lock uses it: a closure runs with exclusive access to the value.
///
/// Poisoning is ignored: the lock's state is updated only in short critical sections that do not
/// call user code, so a panic elsewhere never leaves it half-written.
pub trait PlatformMutex<T> {
    /// A new mutex holding `value`.
    fn new(value: T) -> Self;

    /// Run `f` with exclusive access to the value.
    fn with<R>(&self, f: impl FnOnce(&mut T) -> R) -> R;
}

/// Starting threads, for the checked [scenarios](super::scenarios). The lock never spawns.
pub trait Spawn: Platform {
    /// A handle that waits for the thread.
    type Handle: Join;

    /// Start `f` on a new thread of this platform.
    fn spawn(&self, f: impl FnOnce() + Send + 'static) -> Self::Handle;
}

/// Waiting for a thread started with [`Spawn::spawn`].
pub trait Join {
    /// Wait for the thread to finish; a panic in it is resumed on the caller.
    fn join(self);
}

/// The shared logical clock used by the checked platforms, written once over any atomic `u64`.
macro_rules! virtual_clock_impl {
    ($atomic:ty) => {
        // SeqCst: shuttle models only SeqCst (and warns about anything weaker); under loom a
        // read-modify-write reads the latest value whatever the ordering.
        /// Read the clock. A read-modify-write, so it always sees the latest value.
        fn virtual_now(clock: &$atomic) -> u64 {
            clock.fetch_add(0, std::sync::atomic::Ordering::SeqCst)
        }

        /// Advance the clock by `ms`. Never blocks.
        fn virtual_sleep(clock: &$atomic, ms: u64) {
            clock.fetch_add(ms, std::sync::atomic::Ordering::SeqCst);
        }
    };
}
pub(crate) use virtual_clock_impl;
