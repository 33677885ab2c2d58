//! Events the lock reports from inside its critical sections; see [`Observer`].

/// One state transition of the lock, reported under its mutex.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// A caller found a published value and returned it.
    CacheHit {
        /// Clock reading in this step.
        now_ms: u64,
    },
    /// A caller claimed the lock: `generation` is its claim, `now_ms` its `owner_started_at`.
    Claimed {
        /// The new claim's generation (the counter after the increment).
        generation: u64,
        /// Clock reading in this step, stored as `owner_started_at`.
        now_ms: u64,
        /// `owner_started_at` just before the claim: `None` if the lock was free, else the age
        /// was past the deadline (a reclaim).
        previous_started_at_ms: Option<u64>,
    },
    /// A caller gave up waiting (`now - wait_start > max_wait_ms`).
    TimedOut {
        /// Clock reading in this step.
        now_ms: u64,
        /// `now - wait_start`.
        waited_ms: u64,
    },
    /// The owner of `generation` came back from its init (first step after it returned).
    InitEnded {
        /// The owner's claim.
        generation: u64,
        /// How init ended.
        outcome: InitOutcome,
    },
    /// The owner of `generation` wrote its value into the cache.
    Published {
        /// The publishing owner's claim.
        generation: u64,
        /// The lock's generation counter at that moment (the current claim).
        current_generation: u64,
    },
    /// The owner of `generation` did not publish because it is no longer the current claim.
    PublishSkipped {
        /// The superseded owner's claim.
        generation: u64,
        /// The lock's generation counter at that moment.
        current_generation: u64,
    },
    /// The owner of `generation` ran its release step (the `finally`).
    Released {
        /// The releasing owner's claim.
        generation: u64,
        /// The lock's generation counter at that moment.
        current_generation: u64,
        /// Whether `owner_started_at` was set to `None` by this step.
        cleared: bool,
    },
}

/// How an owner's init ended. An abandoned init never reports: to the lock, a killed owner is
/// indistinguishable from one that hangs forever.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InitOutcome {
    /// Init returned a value.
    Value,
    /// Init returned an error.
    Error,
    /// Init panicked; the release step runs while unwinding (the `finally`).
    Panicked,
}

/// Receives the lock's [`Event`]s, under the lock's mutex.
///
/// An observer sees every state transition of an [`InitLock`](super::InitLock) *atomically with
/// it*: [`Observer::event`] is called while the lock's mutex is held, in the same critical
/// section that made the change. That is what lets a checker keep ghost state (what the spec says
/// the lock *should* be) next to the real state without a window between them; the
/// [`InvariantChecker`](super::InvariantChecker) is such an observer. The default observer, `()`,
/// does nothing and costs nothing.
///
/// An observer must not call back into the lock (the mutex is held) and should not block.
pub trait Observer {
    /// Called once per event, inside the critical section that caused it.
    fn event(&self, event: &Event);
}

/// The no-op observer.
impl Observer for () {
    fn event(&self, _event: &Event) {}
}

impl<O: Observer + ?Sized> Observer for std::sync::Arc<O> {
    fn event(&self, event: &Event) {
        (**self).event(event);
    }
}

impl<O: Observer + ?Sized> Observer for &O {
    fn event(&self, event: &Event) {
        (**self).event(event);
    }
}
