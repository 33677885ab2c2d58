//! The prewarm lock's named invariants (protocols.md §4.5), as scenario files name them. Ids
//! shared with the restart lock mean the same thing there.

use crate::models::invariant_table::invariants;

invariants! {
    MaxActive: Safety "max-active" =>
        "at most one prewarm runs under a lock no legitimate reclaim superseded (S-D1); a reclaim is legitimate, by design, only of a holder this version cannot verify (V0: any; V1: no same-host hostname; V2: unknown or foreign) whose lock is older than the version's stale age",
    TokenGatedRelease: Safety "token-gated-release" =>
        "a release removes (or damages) only its own lock generation: one its acquire created, or (V3) whose owner file its exclusive write created (S-D3: the lock holds its token)",
    LiveOwnerRespected: Safety "live-owner-respected" =>
        "a reclaim never removes a lock whose holder is alive on the reclaimer's own host, whatever its age (S-D4)",
    DeadOwnerReclaimed: BoundedLiveness "dead-owner-reclaimed" =>
        "a lock whose holder died on the same host as a waiting, never-paused process is gone within one poll of the later of the death and the waiter's arrival, plus the reclaim's own steps (L-D1)",
    NoTimeoutOnOrphan: Safety "no-timeout-on-orphan" =>
        "no waiter gives up with a timeout while the lock it waits for is held by a dead process (L-D2, for every lock generation, not only the one present at the waiter's start)",
    LostClaimRetried: Safety "lost-claim-retried" =>
        "an acquirer whose lock directory vanished between its mkdir and its owner.json write retries instead of throwing (L-D3)",
    BoundedWait: BoundedLiveness "bounded-wait" =>
        "every never-paused waiter or acquirer stops waiting (acquires, returns or throws) within `wait_bound_ms` of its arrival (default timeout + poll: 15 min 250 ms)",
    NoLeftovers: AtEnd "no-leftovers" =>
        "when the run ends no lock or intent of a live process and no tombstone or released intent of anyone remains; a lock or intent whose creator was killed may stay, the next waiter reclaims it (S-D5)",
    OnlyTimeoutsThrow: Safety "only-timeouts-throw" =>
        "no process throws anything but a waiter's timeout: an error of a race between processes (a lock that vanished between two calls, a claim another process moved) never reaches the caller; scenarios that inject syscall faults, which are meant to reach it, leave it out",
    TimeoutNotEarly: Safety "timeout-not-early" =>
        "a waiter gives up only once more than LOCK_TIMEOUT_MS has passed on its host's clock since it started: the check is strict, `elapsed > 15 min`",
}
