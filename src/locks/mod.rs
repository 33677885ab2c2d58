//! A verified reference implementation of the reclaimable init lock (protocol spec §1, emdash's
//! `initWithLock`), in synchronous, thread-based Rust.
//!
//! # The problem
//!
//! Many callers need one expensive value (a database handle after migrations, a runtime). The
//! first caller builds it; the rest must wait and reuse it. The classic guard (a flag or a
//! shared future cleared in a `finally`) poisons everything when the owner disappears without
//! its cleanup: a cancelled request, a killed process. emdash saw this as every request in an
//! isolate hanging to the 100 s platform limit. The fix is a *reclaimable* lock:
//!
//! - the lock records when the current owner claimed it (`owner_started_at`) and a claim counter
//!   (`generation`);
//! - waiters never wait on the owner's work: they **poll** the shared state every `poll_ms`;
//! - a claim older than `deadline_ms` (strictly) is presumed dead and **reclaimed** by the next
//!   waiter that polls;
//! - a waiter gives up with an error once it has waited more than `max_wait_ms` (strictly; the
//!   claim check comes first in each pass, so a waiter due to reclaim reclaims);
//! - an owner that comes back after being superseded must neither **release** nor **publish**
//!   over its successor: both are gated on `generation == my_claim`.
//!
//! # Guarding your own initialisation
//!
//! ```
//! use std::sync::atomic::{AtomicUsize, Ordering};
//! use std::sync::{Arc, LazyLock};
//!
//! use lockstep::locks::{Config, InitLock, InitLockError};
//!
//! struct Database { migrated: bool }
//!
//! static INITS: AtomicUsize = AtomicUsize::new(0);
//! // Deadline: longer than the slowest legitimate init (R2). Max wait: deadline + 15 s (R3).
//! static DB: LazyLock<InitLock<Arc<Database>>> =
//!     LazyLock::new(|| InitLock::new(Config::with_deadline_ms(30_000)));
//!
//! fn database() -> Result<Arc<Database>, InitLockError<String>> {
//!     DB.get_or_init(|claim| {
//!         INITS.fetch_add(1, Ordering::SeqCst);
//!         // The expensive part: connect, run migrations, start background jobs...
//!         let db = Arc::new(Database { migrated: true });
//!         if !claim.is_current_claim() {
//!             // We were too slow and someone reclaimed: our value will not be published.
//!             // Stop any side resources we started (emdash stops its cron scheduler).
//!         }
//!         Ok(db)
//!     })
//! }
//!
//! let callers: Vec<_> = (0..4).map(|_| std::thread::spawn(database)).collect();
//! let dbs: Vec<Arc<Database>> = callers.into_iter().map(|t| t.join().unwrap().unwrap()).collect();
//! assert!(dbs.iter().all(|db| db.migrated && Arc::ptr_eq(db, &dbs[0])));
//! assert_eq!(INITS.load(Ordering::SeqCst), 1);
//! ```
//!
//! An owner that is cancelled is modelled by [`Claim::abandon`]: nothing is published or
//! released, and the next waiter reclaims once the claim is older than the deadline.
//!
//! # Versions
//!
//! [`Version`] switches the two gates to reproduce each historical version of emdash#1405
//! (timing defaults are not part of it: pass them in [`Config`]):
//!
//! | [`Version`] | release in `finally` | publication | known bug |
//! |---|---|---|---|
//! | [`Version::V1Reclaim`] (`188c2f310`; V2 behaves the same here) | ungated | ungated | V1-d clobber race: `max-active` |
//! | [`Version::V3GenRelease`] (`90711fddf`) | gated | ungated | V3-a publication clobber: `gated-publish` |
//! | [`Version::V4GatedPublish`] (`6f8ab6d89`, merged) | gated | gated | none known |
//!
//! The generation counter is kept in every version: in V1 it is ghost bookkeeping that the
//! protocol does not consult, so that claims have identities the [`InvariantChecker`] can name.
//!
//! # Granularity: what stands for the JavaScript microtasks
//!
//! In JavaScript everything between two `await`s is atomic. Here every such synchronous segment
//! is **one critical section of the platform mutex**, and the places where JavaScript yields
//! (an `await`, a `.then` that defers to the next microtask) are the gaps between critical
//! sections, where any other thread may run:
//!
//! | emdash (V4) | here |
//! |---|---|
//! | S-check-cache, S-claim-check + claim, S-timeout (one sync step) | one critical section per pass of the wait loop |
//! | `await sleep(pollMs)` | `Platform::sleep_ms(poll_ms)` between passes |
//! | `Promise.resolve().then(() => init(...))`: init starts a microtask after the claim | the claim's critical section ends before `init` is called |
//! | `isCurrentClaim()` | [`Claim::is_current_claim`], one critical section |
//! | the call site's gated cache write at the end of init | the publish step, one critical section |
//! | `finally` after `await initPromise`, a microtask later | the release step, a separate critical section |
//! | request cancelled at an await (unanchored) | [`Claim::abandon`]: neither of the last two steps runs |
//!
//! Not modelled: the `anchor`/`waitUntil` hand-off (a thread is not torn down when its caller
//! goes away, so there is nothing to anchor) and the cache keyed by several db keys (one lock,
//! one slot). The value slot is part of the lock, so "publish" is the lock's own step rather
//! than a write by the caller's init; the owner still returns its own value either way.
//!
//! # Checked, not only tested
//!
//! The same source runs on three [platforms](platform): [`StdPlatform`] (what users run),
//! [`ShuttlePlatform`] (always compiled; random and PCT schedules under plain `cargo test`) and
//! `LoomPlatform` (under `--features loom`; exhaustive within a preemption bound). The checked
//! platforms share a [virtual clock](platform#the-virtual-clock-of-the-checked-platforms) that
//! sleeping advances, so time is deterministic yet the deadline races stay reachable. The
//! [scenarios] reproduce each historical counterexample with three threads, and the
//! [`InvariantChecker`] observes `max-active` and `gated-publish` from inside the lock's critical
//! sections:
//!
//! ```text
//! cargo test --features loom --test loom -- loom_locks::
//! cargo test --test gate -- locks_shuttle::
//! ```
//!
//! A violation panics with `invariant violated: <id>: <what happened>` followed by the lock's
//! event log. Under shuttle the panic also prints the failing schedule; pass that string to
//! `shuttle::replay` with the same scenario closure to re-run exactly that execution.

mod checker;
mod init_lock;
mod observer;
pub mod platform;
pub mod scenarios;

use std::fmt;

pub use checker::{Coverage, Invariant, InvariantChecker, Violation};
pub use init_lock::{Claim, InitLock, InitLockError, Snapshot};
pub use observer::{Event, InitOutcome, Observer};
#[cfg(feature = "loom")]
pub use platform::LoomPlatform;
pub use platform::{Platform, PlatformMutex, ShuttlePlatform, StdPlatform};

/// Which historical version of emdash's `initWithLock` the lock behaves as.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Version {
    /// `188c2f310`: the first reclaimable lock. The owner's `finally` clears `owner_started_at`
    /// unconditionally, and its value is published unconditionally.
    V1Reclaim,
    /// `90711fddf`: the release is gated on `generation == my_claim`; publication is not.
    V3GenRelease,
    /// `6f8ab6d89` (merged as `bdabff7e4`): release and publication are both gated.
    #[default]
    V4GatedPublish,
}

impl Version {
    /// Every version, oldest first.
    pub const ALL: [Version; 3] = [
        Version::V1Reclaim,
        Version::V3GenRelease,
        Version::V4GatedPublish,
    ];

    /// The stable id used in messages and scenario files.
    pub fn id(self) -> &'static str {
        match self {
            Version::V1Reclaim => "v1-reclaim",
            Version::V3GenRelease => "v3-gen-release",
            Version::V4GatedPublish => "v4-gated-publish",
        }
    }

    /// Whether the release step clears the lock only for the current claim.
    pub fn gates_release(self) -> bool {
        !matches!(self, Version::V1Reclaim)
    }

    /// Whether the publish step writes the cache only for the current claim.
    pub fn gates_publish(self) -> bool {
        matches!(self, Version::V4GatedPublish)
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// The lock's timing parameters, in milliseconds of the platform's clock.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Config {
    deadline_ms: u64,
    poll_ms: u64,
    max_wait_ms: u64,
}

/// A [`Config`] that cannot work.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConfigError {
    /// `poll_ms` is 0: waiters would spin, and on a virtual clock time would never pass.
    ZeroPoll,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::ZeroPoll => f.write_str("poll_ms must be at least 1"),
        }
    }
}

impl std::error::Error for ConfigError {}

impl Config {
    /// emdash's `DEFAULT_DEADLINE_MS`.
    pub const DEFAULT_DEADLINE_MS: u64 = 15_000;
    /// emdash's `DEFAULT_POLL_MS`.
    pub const DEFAULT_POLL_MS: u64 = 50;
    /// emdash's `MAX_WAIT_HEADROOM_MS` (V2 on): the default max wait is deadline + this.
    pub const MAX_WAIT_HEADROOM_MS: u64 = 15_000;

    /// Explicit parameters. No relation between them is enforced, so the historical mistakes
    /// (V1-b: `max_wait_ms <= deadline_ms`) can be reproduced; only `poll_ms = 0` is refused.
    pub fn new(deadline_ms: u64, poll_ms: u64, max_wait_ms: u64) -> Result<Self, ConfigError> {
        if poll_ms == 0 {
            return Err(ConfigError::ZeroPoll);
        }
        Ok(Self {
            deadline_ms,
            poll_ms,
            max_wait_ms,
        })
    }

    /// The V2+ derivation: poll 50 ms, `max_wait_ms = deadline_ms + 15 000` (relation R3: a
    /// waiter always lives long enough to reclaim the claim it found).
    pub fn with_deadline_ms(deadline_ms: u64) -> Self {
        Self {
            deadline_ms,
            poll_ms: Self::DEFAULT_POLL_MS,
            max_wait_ms: deadline_ms.saturating_add(Self::MAX_WAIT_HEADROOM_MS),
        }
    }

    /// A claim older than this (strictly) may be reclaimed.
    pub fn deadline_ms(&self) -> u64 {
        self.deadline_ms
    }

    /// How long a waiter sleeps between passes.
    pub fn poll_ms(&self) -> u64 {
        self.poll_ms
    }

    /// A waiter that has waited longer than this (strictly) gives up.
    pub fn max_wait_ms(&self) -> u64 {
        self.max_wait_ms
    }
}

impl Default for Config {
    /// emdash's defaults: deadline 15 s, poll 50 ms, max wait 30 s.
    fn default() -> Self {
        Self::with_deadline_ms(Self::DEFAULT_DEADLINE_MS)
    }
}
