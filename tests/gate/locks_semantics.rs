//! The init lock's step semantics, pinned on a hand-driven clock (one thread, no scheduler).
//!
//! The loom and shuttle tests explore interleavings; these pin the arithmetic the spec fixes:
//! strict `>` for the deadline and the max wait, the claim check before the timeout check, what
//! an abandoned, failed or panicking owner leaves behind, and the gated publication, which a
//! single thread can reach because init runs outside the lock and may itself call the lock.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use lockstep::locks::platform::StdMutex;
use lockstep::locks::{Config, ConfigError, InitLock, InitLockError, Platform, Snapshot, Version};

/// A clock that moves only when someone sleeps: the virtual clock, without a checker.
#[derive(Clone, Default)]
struct ManualClock(Arc<AtomicU64>);

impl Platform for ManualClock {
    type Mutex<T: Send> = StdMutex<T>;

    fn now_ms(&self) -> u64 {
        self.0.load(Ordering::SeqCst)
    }

    fn sleep_ms(&self, ms: u64) {
        self.0.fetch_add(ms, Ordering::SeqCst);
    }
}

type Lock = InitLock<&'static str, ManualClock>;

fn lock(deadline_ms: u64, poll_ms: u64, max_wait_ms: u64) -> Lock {
    let config = Config::new(deadline_ms, poll_ms, max_wait_ms).unwrap();
    InitLock::with_platform(config, ManualClock::default())
}

fn abandon(lock: &Lock) {
    let result = lock.get_or_init(|claim| {
        claim.abandon();
        Ok::<_, ()>("never published")
    });
    assert_eq!(result, Err(InitLockError::Abandoned));
}

/// Returns the value and the (generation, claimed_at) of the claim that produced it.
fn claim_value(
    lock: &Lock,
    value: &'static str,
) -> (Result<&'static str, InitLockError<()>>, (u64, u64)) {
    let mut seen = (0, 0);
    let result = lock.get_or_init(|claim| {
        seen = (claim.generation(), claim.claimed_at_ms());
        Ok(value)
    });
    (result, seen)
}

#[test]
fn a_claim_exactly_deadline_old_is_not_reclaimed() {
    let lock = lock(10, 5, 100);
    abandon(&lock); // claimed at t=0, never released
                    // Passes at t=0, 5, 10 (age 10 is not > 10) wait; the pass at t=15 reclaims.
    let (result, (generation, claimed_at)) = claim_value(&lock, "reclaimer");
    assert_eq!(result, Ok("reclaimer"));
    assert_eq!((generation, claimed_at), (2, 15));
}

#[test]
fn the_claim_check_comes_before_the_timeout_check() {
    let lock = lock(10, 5, 10);
    abandon(&lock);
    // At t=15 both hold: age 15 > deadline 10 and waited 15 > max wait 10. The waiter reclaims.
    let (result, (_, claimed_at)) = claim_value(&lock, "reclaimer");
    assert_eq!((result, claimed_at), (Ok("reclaimer"), 15));
}

#[test]
fn a_waiter_gives_up_strictly_after_max_wait() {
    let lock = lock(100, 5, 10);
    abandon(&lock);
    // Waited 10 at t=10 is not > 10; at t=15 it is.
    let (result, _) = claim_value(&lock, "unused");
    assert_eq!(result, Err(InitLockError::TimedOut { waited_ms: 15 }));
}

#[test]
fn an_abandoned_claim_is_neither_published_nor_released() {
    let lock = lock(10, 5, 100);
    abandon(&lock);
    let snapshot = lock.snapshot();
    assert_eq!(
        snapshot,
        Snapshot {
            owner_started_at_ms: Some(0),
            generation: 1,
            published_generation: None
        }
    );
    assert_eq!(lock.get(), None);
}

#[test]
fn a_failed_owner_releases_and_the_next_caller_retries_at_once() {
    let lock = lock(10, 5, 100);
    assert_eq!(
        lock.get_or_init(|_| Err::<&str, _>("boom")),
        Err(InitLockError::Init("boom"))
    );
    assert_eq!(lock.snapshot().owner_started_at_ms, None);
    let (result, (generation, claimed_at)) = claim_value(&lock, "second");
    assert_eq!((result, generation, claimed_at), (Ok("second"), 2, 0));
}

#[test]
fn a_panicking_owner_releases_while_unwinding() {
    let lock = lock(10, 5, 100);
    let panicked = catch_unwind(AssertUnwindSafe(|| {
        let _ = lock.get_or_init(|_| -> Result<&str, ()> { panic!("init exploded") });
    }));
    assert!(panicked.is_err());
    assert_eq!(lock.snapshot().owner_started_at_ms, None);
    assert_eq!(claim_value(&lock, "after").0, Ok("after"));
}

/// V3-a on one thread: the slow owner's init sleeps past the deadline, then (still inside its
/// init) a second caller reclaims, publishes and releases; then the slow owner returns.
fn publication_clobber(version: Version) -> (Lock, Result<&'static str, InitLockError<()>>) {
    let lock = lock(10, 5, 100).with_version(version);
    let slow = lock.get_or_init(|claim| {
        claim.platform().sleep_ms(20);
        let (reclaimer, (generation, _)) = claim_value(&lock, "reclaimer");
        assert_eq!((reclaimer, generation), (Ok("reclaimer"), 2));
        assert!(!claim.is_current_claim());
        Ok("slow-owner")
    });
    (lock, slow)
}

#[test]
fn v4_a_superseded_owner_keeps_its_value_but_does_not_publish() {
    let (lock, slow) = publication_clobber(Version::V4GatedPublish);
    assert_eq!(slow, Ok("slow-owner"));
    assert_eq!(lock.get(), Some("reclaimer"));
    assert_eq!(lock.snapshot().published_generation, Some(2));
}

#[test]
fn v3_a_superseded_owner_clobbers_the_published_value() {
    let (lock, slow) = publication_clobber(Version::V3GenRelease);
    assert_eq!(slow, Ok("slow-owner"));
    assert_eq!(lock.get(), Some("slow-owner"));
    assert_eq!(lock.snapshot().published_generation, Some(1));
}

#[test]
fn release_is_gated_from_v3_on() {
    // A superseded owner whose init fails while the reclaimer's claim is held: V1's release
    // clears the reclaimer's claim (the clobber of V1-d), V3's leaves it alone.
    for (version, cleared) in [(Version::V1Reclaim, true), (Version::V3GenRelease, false)] {
        let lock = lock(10, 5, 100).with_version(version);
        let slow = lock.get_or_init(|claim| {
            claim.platform().sleep_ms(20);
            // The reclaimer claims and abandons: its claim stays held.
            abandon(&lock);
            Err::<&str, _>(())
        });
        assert_eq!(slow, Err(InitLockError::Init(())));
        let held = lock.snapshot().owner_started_at_ms.is_some();
        assert_eq!(held, !cleared, "{version}");
    }
}

#[test]
fn config_refuses_a_zero_poll_and_derives_max_wait() {
    assert_eq!(Config::new(10, 0, 100), Err(ConfigError::ZeroPoll));
    let derived = Config::with_deadline_ms(30_000);
    assert_eq!((derived.poll_ms(), derived.max_wait_ms()), (50, 45_000));
    let defaults = Config::default();
    assert_eq!(
        (
            defaults.deadline_ms(),
            defaults.poll_ms(),
            defaults.max_wait_ms()
        ),
        (15_000, 50, 30_000)
    );
}

#[test]
fn errors_read_well() {
    let timed_out: InitLockError<std::io::Error> = InitLockError::TimedOut { waited_ms: 45_001 };
    assert_eq!(
        timed_out.to_string(),
        "init lock: timed out after 45001 ms waiting for another owner"
    );
    let failed = InitLockError::Init(std::io::Error::other("migrations failed"));
    assert_eq!(
        failed.to_string(),
        "init lock: initialisation failed: migrations failed"
    );
    assert!(std::error::Error::source(&failed).is_some());
    assert_eq!(
        ConfigError::ZeroPoll.to_string(),
        "poll_ms must be at least 1"
    );
}
