//! [`InitLock`]: the reclaimable init lock itself.

use std::cell::Cell;
use std::fmt;

use super::observer::{Event, InitOutcome, Observer};
use super::platform::{Platform, PlatformMutex, StdPlatform};
use super::{Config, Version};

/// Why [`InitLock::get_or_init`] returned no value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InitLockError<E> {
    /// This caller waited more than `max_wait_ms` without finding a value or a claimable lock.
    TimedOut {
        /// How long it had waited, on the platform's clock, at the step that gave up.
        waited_ms: u64,
    },
    /// This caller owned the claim and its own init failed. Waiters never see another caller's
    /// init error: they keep polling, and the next one retries.
    Init(E),
    /// This caller owned the claim and [abandoned](Claim::abandon) it: nothing was published and
    /// the claim was not released, so it stays held until it is older than the deadline.
    Abandoned,
}

impl<E: fmt::Display> fmt::Display for InitLockError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TimedOut { waited_ms } => {
                write!(
                    f,
                    "init lock: timed out after {waited_ms} ms waiting for another owner"
                )
            }
            Self::Init(e) => write!(f, "init lock: initialisation failed: {e}"),
            Self::Abandoned => f.write_str("init lock: the owner abandoned its claim"),
        }
    }
}

impl<E: std::error::Error + 'static> std::error::Error for InitLockError<E> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Init(e) => Some(e),
            _ => None,
        }
    }
}

/// The lock's state, all behind one platform mutex.
struct State<T> {
    /// The published value (emdash's `holder.instance`).
    cache: Option<T>,
    /// When the current claim was made, or `None` when the lock is free.
    owner_started_at_ms: Option<u64>,
    /// Number of claims ever made; the current claim is the one whose number equals it.
    generation: u64,
    /// Generation of the owner whose value is in `cache`.
    published_generation: Option<u64>,
}

/// A point-in-time copy of the lock's state, for diagnostics and tests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Snapshot {
    /// When the current claim was made, or `None` when the lock is free.
    pub owner_started_at_ms: Option<u64>,
    /// The generation counter: the number of claims made so far.
    pub generation: u64,
    /// The generation whose value is published, if any.
    pub published_generation: Option<u64>,
}

/// A reclaimable "initialise once, everyone else waits" lock with a cached value slot.
///
/// The synchronous, thread-based analogue of emdash's `initWithLock` (see the
/// [module docs](super) for the protocol, its history, and the granularity of its steps).
///
/// - `T` is the cached value. Waiters receive a clone, so use something cheap to clone such as
///   an `Arc`. The clone runs inside the lock's critical section.
/// - `P` is the [`Platform`]: mutex and clock. [`StdPlatform`] for real use.
/// - `O` is an [`Observer`] of the lock's state transitions; `()` (the default) ignores them.
///
/// ```
/// use lockstep::locks::{Config, InitLock, InitLockError};
///
/// let lock: InitLock<u32> = InitLock::new(Config::with_deadline_ms(1_000));
/// let first = lock.get_or_init(|_claim| Ok::<_, std::io::Error>(7));
/// assert_eq!(first.unwrap(), 7);
/// // Published: later callers get the cached value and their init never runs.
/// let second = lock.get_or_init(|_claim| -> Result<u32, std::io::Error> { unreachable!() });
/// assert_eq!(second.unwrap(), 7);
///
/// // An owner that abandons its claim publishes nothing and leaves the claim held.
/// let lock: InitLock<u32> = InitLock::new(Config::with_deadline_ms(1_000));
/// let gone = lock.get_or_init(|claim| {
///     claim.abandon();
///     Ok::<_, std::io::Error>(1)
/// });
/// assert!(matches!(gone, Err(InitLockError::Abandoned)));
/// assert!(lock.snapshot().owner_started_at_ms.is_some());
/// ```
pub struct InitLock<T: Send, P: Platform = StdPlatform, O: Observer = ()> {
    state: P::Mutex<State<T>>,
    config: Config,
    version: Version,
    platform: P,
    observer: O,
}

impl<T: Clone + Send> InitLock<T> {
    /// The final design ([`Version::V4GatedPublish`]) on real threads and real time.
    pub fn new(config: Config) -> Self {
        Self::with_platform(config, StdPlatform::new())
    }
}

impl<T: Clone + Send, P: Platform> InitLock<T, P> {
    /// The final design ([`Version::V4GatedPublish`]) on the given platform.
    pub fn with_platform(config: Config, platform: P) -> Self {
        Self {
            state: P::Mutex::new(State {
                cache: None,
                owner_started_at_ms: None,
                generation: 0,
                published_generation: None,
            }),
            config,
            version: Version::V4GatedPublish,
            platform,
            observer: (),
        }
    }
}

impl<T: Clone + Send, P: Platform, O: Observer> InitLock<T, P, O> {
    /// The same lock behaving as a historical `version` (for reproducing old bugs).
    pub fn with_version(mut self, version: Version) -> Self {
        self.version = version;
        self
    }

    /// The same lock reporting its transitions to `observer`.
    pub fn with_observer<O2: Observer>(self, observer: O2) -> InitLock<T, P, O2> {
        InitLock {
            state: self.state,
            config: self.config,
            version: self.version,
            platform: self.platform,
            observer,
        }
    }

    /// The timing parameters.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Which version of the protocol this lock runs.
    pub fn version(&self) -> Version {
        self.version
    }

    /// The platform (mutex and clock) the lock runs on.
    pub fn platform(&self) -> &P {
        &self.platform
    }

    /// The observer the lock reports to.
    pub fn observer(&self) -> &O {
        &self.observer
    }

    /// The published value, if any, without waiting or claiming.
    pub fn get(&self) -> Option<T> {
        self.state.with(|s| s.cache.clone())
    }

    /// A copy of the lock's state.
    pub fn snapshot(&self) -> Snapshot {
        self.state.with(|s| Snapshot {
            owner_started_at_ms: s.owner_started_at_ms,
            generation: s.generation,
            published_generation: s.published_generation,
        })
    }

    /// Return the published value, or become the owner and run `init`, or wait for the owner.
    ///
    /// Each pass of the loop is one critical section (emdash steps S-check-cache, S-claim-check
    /// and S-timeout, in that order):
    ///
    /// 1. a published value is returned;
    /// 2. if the lock is free, or `now - owner_started_at > deadline_ms`, this caller claims it
    ///    (`generation += 1`, `owner_started_at = now`) and becomes the owner;
    /// 3. else, if `now - wait_start > max_wait_ms`, it gives up with
    ///    [`InitLockError::TimedOut`]; the claim check comes first, so a waiter that is due to
    ///    reclaim does;
    /// 4. else it sleeps `poll_ms` on the platform's clock and loops.
    ///
    /// The owner runs `init` outside the lock, with a [`Claim`] handle. If `init` returns a
    /// value, the owner publishes it (in the final design only while its claim is still
    /// current) and then, in a separate step, releases the claim (in V3 and V4 only if it is
    /// still current). The owner always gets its own value back, published or not, as in
    /// emdash. If `init` fails the owner releases and gets [`InitLockError::Init`]; if it panics
    /// the release runs while unwinding (the `finally`); if it [abandons](Claim::abandon) the
    /// claim, neither publication nor release happens.
    ///
    /// A waiter never runs or waits on another caller's `init`: it only polls the shared state,
    /// so a caller that disappears cannot hang the others for longer than the deadline.
    pub fn get_or_init<E>(
        &self,
        init: impl FnOnce(&Claim<'_, T, P, O>) -> Result<T, E>,
    ) -> Result<T, InitLockError<E>> {
        let mut wait_start_ms = None;
        loop {
            let step = self.state.with(|s| {
                let now_ms = self.platform.now_ms();
                let wait_start_ms = *wait_start_ms.get_or_insert(now_ms);
                if let Some(value) = &s.cache {
                    self.observer.event(&Event::CacheHit { now_ms });
                    return Step::Cached(value.clone());
                }
                let claimable = match s.owner_started_at_ms {
                    None => true,
                    Some(started) => now_ms.saturating_sub(started) > self.config.deadline_ms(),
                };
                if claimable {
                    let previous_started_at_ms = s.owner_started_at_ms;
                    s.generation += 1;
                    s.owner_started_at_ms = Some(now_ms);
                    self.observer.event(&Event::Claimed {
                        generation: s.generation,
                        now_ms,
                        previous_started_at_ms,
                    });
                    return Step::Claimed {
                        generation: s.generation,
                        now_ms,
                    };
                }
                let waited_ms = now_ms.saturating_sub(wait_start_ms);
                if waited_ms > self.config.max_wait_ms() {
                    self.observer.event(&Event::TimedOut { now_ms, waited_ms });
                    return Step::TimedOut { waited_ms };
                }
                Step::Wait
            });
            match step {
                Step::Cached(value) => return Ok(value),
                Step::TimedOut { waited_ms } => return Err(InitLockError::TimedOut { waited_ms }),
                Step::Claimed { generation, now_ms } => return self.own(generation, now_ms, init),
                Step::Wait => self.platform.sleep_ms(self.config.poll_ms()),
            }
        }
    }

    /// The owner path: run init, publish, release. Never loops.
    fn own<E>(
        &self,
        generation: u64,
        claimed_at_ms: u64,
        init: impl FnOnce(&Claim<'_, T, P, O>) -> Result<T, E>,
    ) -> Result<T, InitLockError<E>> {
        let claim = Claim {
            lock: self,
            generation,
            claimed_at_ms,
            abandoned: Cell::new(false),
        };
        // Releases (gated per version) if `init` panics: the `finally` of the original.
        let mut finally = ReleaseOnUnwind {
            lock: self,
            generation,
            armed: true,
        };
        let result = init(&claim);
        finally.armed = false;
        if claim.abandoned.get() {
            // A cancelled or killed owner: its continuation never runs, so neither the
            // publication nor the release does. The value (if any) is dropped unseen.
            return Err(InitLockError::Abandoned);
        }
        match result {
            Ok(value) => {
                self.publish(generation, &value);
                self.release(generation, None);
                Ok(value)
            }
            Err(error) => {
                self.release(generation, Some(InitOutcome::Error));
                Err(InitLockError::Init(error))
            }
        }
    }

    /// One critical section: the end of init's last synchronous segment in emdash, where the
    /// call site writes the cache (gated on `isCurrentClaim()` from V4 on).
    fn publish(&self, generation: u64, value: &T) {
        self.state.with(|s| {
            self.observer.event(&Event::InitEnded {
                generation,
                outcome: InitOutcome::Value,
            });
            let current_generation = s.generation;
            if self.version.gates_publish() && current_generation != generation {
                self.observer.event(&Event::PublishSkipped {
                    generation,
                    current_generation,
                });
                return;
            }
            s.cache = Some(value.clone());
            s.published_generation = Some(generation);
            self.observer.event(&Event::Published {
                generation,
                current_generation,
            });
        });
    }

    /// One critical section: emdash's `finally`, which runs after `await initPromise`, i.e. at
    /// least one microtask after the publication. Gated on the generation from V3 on.
    fn release(&self, generation: u64, ended: Option<InitOutcome>) {
        self.state.with(|s| {
            if let Some(outcome) = ended {
                self.observer.event(&Event::InitEnded {
                    generation,
                    outcome,
                });
            }
            let current_generation = s.generation;
            let cleared = !self.version.gates_release() || current_generation == generation;
            if cleared {
                s.owner_started_at_ms = None;
            }
            self.observer.event(&Event::Released {
                generation,
                current_generation,
                cleared,
            });
        });
    }
}

impl<T: Send, P: Platform, O: Observer> fmt::Debug for InitLock<T, P, O> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InitLock")
            .field("config", &self.config)
            .field("version", &self.version)
            .finish_non_exhaustive()
    }
}

/// What one pass of the wait loop decided, inside the critical section.
enum Step<T> {
    Cached(T),
    Claimed { generation: u64, now_ms: u64 },
    TimedOut { waited_ms: u64 },
    Wait,
}

/// Runs the release step if init unwinds.
struct ReleaseOnUnwind<'a, T: Clone + Send, P: Platform, O: Observer> {
    lock: &'a InitLock<T, P, O>,
    generation: u64,
    armed: bool,
}

impl<T: Clone + Send, P: Platform, O: Observer> Drop for ReleaseOnUnwind<'_, T, P, O> {
    fn drop(&mut self) {
        if self.armed {
            self.lock
                .release(self.generation, Some(InitOutcome::Panicked));
        }
    }
}

/// The owner's handle on its claim, passed to `init`.
///
/// emdash's `isCurrentClaim` plus the two things a Rust owner needs that JavaScript gave for
/// free: the platform's clock (to sleep or measure on the same time base as the lock) and a way
/// to model being cancelled.
pub struct Claim<'a, T: Clone + Send, P: Platform, O: Observer> {
    lock: &'a InitLock<T, P, O>,
    generation: u64,
    claimed_at_ms: u64,
    abandoned: Cell<bool>,
}

impl<T: Clone + Send, P: Platform, O: Observer> Claim<'_, T, P, O> {
    /// Whether this claim is still the lock's current claim (no one has reclaimed since).
    ///
    /// One short critical section. Use it to skip work or stop side resources (emdash's
    /// superseded runtime stops its cron scheduler). The lock gates publication on the same
    /// test in the final design, so init does not need to.
    pub fn is_current_claim(&self) -> bool {
        self.lock.state.with(|s| s.generation == self.generation)
    }

    /// This claim's generation (1 for the first claim ever made on the lock).
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// When this claim was made, on the platform's clock.
    pub fn claimed_at_ms(&self) -> u64 {
        self.claimed_at_ms
    }

    /// The platform the lock runs on, for sleeping or reading time on the lock's clock.
    pub fn platform(&self) -> &P {
        &self.lock.platform
    }

    /// Abandon the claim without cleanup, modelling an owner that is cancelled or killed.
    ///
    /// Once `init` returns (with anything), [`InitLock::get_or_init`] drops its result and
    /// returns [`InitLockError::Abandoned`]: no publication, no release. The claim stays held
    /// and is reclaimed by the first waiter that finds it older than the deadline.
    pub fn abandon(&self) {
        self.abandoned.set(true);
    }
}

impl<T: Clone + Send, P: Platform, O: Observer> fmt::Debug for Claim<'_, T, P, O> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Claim")
            .field("generation", &self.generation)
            .field("claimed_at_ms", &self.claimed_at_ms)
            .field("abandoned", &self.abandoned.get())
            .finish()
    }
}
