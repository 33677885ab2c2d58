//! The checked scenarios: three callers of one [`InitLock`], run on any [`Spawn`] platform.
//!
//! Each scenario is the smallest shape of one counterexample from the emdash history (protocol
//! spec §1.5), scaled down to a few virtual milliseconds so loom can explore it exhaustively:
//! `deadline_ms = 2`, `poll_ms = 1`, `max_wait_ms = 4` (`> deadline`, relation R3), a slow owner
//! whose init takes 3 ms (`> deadline`) and quick owners whose init takes 1 ms.
//!
//! An actor's behaviour is what its init does *if* it becomes an owner; which actor claims
//! first, who reclaims and who waits is decided by the schedule, so one scenario covers every
//! arrival order. Actor 0 runs on the calling thread, actors 1 and 2 on spawned threads: three
//! threads in all.
//!
//! | scenario | actor 0 | actors 1, 2 | historical bug it reproduces |
//! |---|---|---|---|
//! | [`Scenario::slow_failing_owner`] | init 3 ms, then fails | init 1 ms, value | V1-d clobber race (`max-active`) |
//! | [`Scenario::slow_owner`] | init 3 ms, value | init 1 ms, value | V3-a publication clobber (`gated-publish`) |
//! | [`Scenario::abandoning_owner`] | abandons its claim | init 1 ms, value | recovery from a killed owner (V0's bug) |
//!
//! ```
//! use lockstep::locks::scenarios::{self, Scenario};
//! use lockstep::locks::{Invariant, StdPlatform, Version};
//!
//! // On real threads this samples one schedule; the loom and shuttle tests explore them all.
//! let outcome = scenarios::run(&Scenario::slow_owner(), Version::V4GatedPublish,
//!                              &Invariant::ALL, StdPlatform::new());
//! outcome.assert_holds();
//! ```

use std::sync::{Arc, Mutex, PoisonError};

use super::checker::{Coverage, Invariant, InvariantChecker, Violation};
use super::init_lock::{InitLock, InitLockError, Snapshot};
use super::observer::Observer;
use super::platform::{Join, Platform, Spawn};
use super::{Config, Version};

/// What an actor's init does if the actor becomes an owner.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ending {
    /// Sleep `init_ms`, then return the actor's label as the value.
    Value,
    /// Sleep `init_ms`, then fail with the actor's label as the error.
    Error,
    /// Sleep `init_ms`, then [abandon](super::Claim::abandon) the claim (cancelled or killed).
    Abandon,
}

/// One caller of the lock.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Actor {
    /// Names the actor and is the value (or error) its init produces.
    pub label: &'static str,
    /// How long its init sleeps on the platform's clock.
    pub init_ms: u64,
    /// How its init ends.
    pub ending: Ending,
}

/// Three actors sharing one lock with one configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Scenario {
    /// Stable name, used in test names and messages.
    pub name: &'static str,
    /// The lock's timing parameters.
    pub config: Config,
    /// Actor 0 runs on the calling thread, 1 and 2 on spawned threads.
    pub actors: [Actor; 3],
}

/// The configuration shared by the checked scenarios: deadline 2, poll 1, max wait 4.
pub fn checked_config() -> Config {
    Config::new(2, 1, 4).expect("poll_ms is not zero")
}

const SLOW_MS: u64 = 3;
const QUICK_MS: u64 = 1;

fn quick(label: &'static str) -> Actor {
    Actor {
        label,
        init_ms: QUICK_MS,
        ending: Ending::Value,
    }
}

impl Scenario {
    /// V1-d: a slow owner that *fails* past the deadline (success would fill the cache and hide
    /// the race), a reclaimer, and a third caller that can arrive in the clobber window.
    pub fn slow_failing_owner() -> Self {
        Self {
            name: "slow-failing-owner",
            config: checked_config(),
            actors: [
                Actor {
                    label: "slow-owner",
                    init_ms: SLOW_MS,
                    ending: Ending::Error,
                },
                quick("reclaimer"),
                quick("third"),
            ],
        }
    }

    /// V3-a: a slow owner that *succeeds* past the deadline, after a reclaimer has published.
    pub fn slow_owner() -> Self {
        Self {
            name: "slow-owner",
            config: checked_config(),
            actors: [
                Actor {
                    label: "slow-owner",
                    init_ms: SLOW_MS,
                    ending: Ending::Value,
                },
                quick("reclaimer"),
                quick("third"),
            ],
        }
    }

    /// An owner that abandons its claim (no publication, no release), and two callers that
    /// must get past it by reclaiming after the deadline.
    pub fn abandoning_owner() -> Self {
        Self {
            name: "abandoning-owner",
            config: checked_config(),
            actors: [
                Actor {
                    label: "abandoner",
                    init_ms: QUICK_MS,
                    ending: Ending::Abandon,
                },
                quick("reclaimer"),
                quick("third"),
            ],
        }
    }

    /// Every scenario, in a fixed order.
    pub fn all() -> [Scenario; 3] {
        [
            Self::slow_failing_owner(),
            Self::slow_owner(),
            Self::abandoning_owner(),
        ]
    }
}

/// What one actor's `get_or_init` returned.
pub type ActorResult = Result<&'static str, InitLockError<&'static str>>;

/// The result of one execution of a scenario.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// Each actor's result, in actor order.
    pub results: [ActorResult; 3],
    /// The first invariant violation the checker recorded.
    pub violation: Option<Violation>,
    /// What this execution exercised.
    pub coverage: Coverage,
    /// The lock's state after every actor returned.
    pub snapshot: Snapshot,
    /// The published value at the end.
    pub published: Option<&'static str>,
}

impl Outcome {
    /// Panic with the violation, if any (`invariant violated: <id>: ...` plus the event log).
    #[track_caller]
    pub fn assert_holds(&self) {
        if let Some(violation) = &self.violation {
            panic!("{violation}");
        }
    }
}

/// Run `scenario` once on `platform`, with the lock behaving as `version` and the `checked`
/// invariants observed. Call it inside a `loom::model` / shuttle closure to explore schedules.
pub fn run<P>(scenario: &Scenario, version: Version, checked: &[Invariant], platform: P) -> Outcome
where
    P: Spawn + Clone + Send + 'static,
    InitLock<&'static str, P, Arc<InvariantChecker>>: Send + Sync,
{
    let checker = Arc::new(InvariantChecker::new(&scenario.config, checked));
    let lock = Arc::new(
        InitLock::with_platform(scenario.config, platform.clone())
            .with_version(version)
            .with_observer(Arc::clone(&checker)),
    );
    // Written once per actor at its end and read after the joins, so never contended.
    let results: Arc<Mutex<[Option<ActorResult>; 3]>> = Arc::new(Mutex::new([None, None, None]));

    let handles: Vec<P::Handle> = (1..3)
        .map(|i| {
            let (lock, results, actor) =
                (Arc::clone(&lock), Arc::clone(&results), scenario.actors[i]);
            platform.spawn(move || {
                let result = act(&lock, actor);
                results.lock().unwrap_or_else(PoisonError::into_inner)[i] = Some(result);
            })
        })
        .collect();
    let first = act(&lock, scenario.actors[0]);
    for handle in handles {
        handle.join();
    }

    let mut slots = results.lock().unwrap_or_else(PoisonError::into_inner);
    slots[0] = Some(first);
    let results = slots.clone().map(|r| r.expect("every actor was joined"));
    Outcome {
        results,
        violation: checker.violation(),
        coverage: checker.coverage(),
        snapshot: lock.snapshot(),
        published: lock.get(),
    }
}

/// One actor's call.
fn act<P: Platform, O: Observer>(lock: &InitLock<&'static str, P, O>, actor: Actor) -> ActorResult {
    lock.get_or_init(|claim| {
        if actor.init_ms > 0 {
            claim.platform().sleep_ms(actor.init_ms);
        }
        match actor.ending {
            Ending::Value => Ok(actor.label),
            Ending::Error => Err(actor.label),
            Ending::Abandon => {
                claim.abandon();
                Err(actor.label)
            }
        }
    })
}
