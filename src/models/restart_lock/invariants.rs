//! The restart lock's named invariants (protocols.md §3.5), as scenario files name them. Ids
//! shared with the prewarm lock mean the same thing there.

use crate::models::invariant_table::invariants;

invariants! {
    MaxActive: Safety "max-active" =>
        "at most one process restarts under a lock no legitimate takeover superseded (S-C1); a takeover is legitimate, by design, only when the holder's timestamp is older than STALE or the taker has waited MAX_WAIT",
    MaxRunning: Safety "max-running" =>
        "at most `running_max` (default 1) live processes restart at once, legitimate takeovers included: shows what the by-design takeovers cost (C8 cascade, C12)",
    MutexExclusion: Safety "mutex-exclusion" =>
        "at most one live process believes it holds the registry mutex (S-C4), pauses included",
    TokenGatedRelease: Safety "token-gated-release" =>
        "a release (of L, or of the mutex M) removes only the file its own acquire created (S-C3)",
    OneBreaker: Safety "one-breaker" =>
        "a break (V1's unlink, V2's rename over L, V3's overwrite) takes over only a lock that is stale to its breaker, or once the breaker has waited MAX_WAIT: so exactly one breaker takes over a stale instance, and every other one sees the winner's fresh lock and waits (S-C2)",
    NoLeftovers: AtEnd "no-leftovers" =>
        "when the run ends no L, M or RL of a live process and no temp or aside file of anyone remains; a lock whose holder was killed may stay, the next acquire reclaims it (S-C5)",
    BoundedWait: BoundedLiveness "bounded-wait" =>
        "every contender that is never paused returns from acquireRestartLock within `wait_bound_ms` of its arrival (default MAX_WAIT + POLL + MUTEX_RETRY per contender: L-C1's waiter bound)",
    CrashedLockTakenOver: BoundedLiveness "crashed-lock-taken-over" =>
        "a lock whose holder was killed is taken over (replaced or removed) by the later of its stamp + STALE and a never-paused waiter's arrival on the holder's host, plus POLL and MUTEX_RETRY per contender (L-C1's takeover bound, mutex delays included)",
    CrashedMutexReaped: BoundedLiveness "crashed-mutex-reaped" =>
        "a mutex whose holder was killed, empty or tokened, is reaped by the later of its mtime + STALE and a never-paused waiter's arrival on the holder's host, plus MUTEX_RETRY per contender (L-C2)",
    BoundedSpin: Safety "bounded-spin" =>
        "no contender retries the registry mutex more than `spin_max` (default 10) times in a row without sleeping (residual 4)",
}
