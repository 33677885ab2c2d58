//! The init lock's named invariants (protocols.md §1.6), as scenario files name them.

use crate::models::invariant_table::invariants;

invariants! {
    MaxInits: Safety "max-inits" =>
        "at most `max_inits` (default 2) init calls start per singleton (S-A3's clobber bound)",
    MaxActive: Safety "max-active" =>
        "at most one caller at a time runs init under a claim no legitimate reclaim superseded; a reclaim is legitimate only once the previous claim is older than the deadline or was released by its own owner (S-A2, S-A3)",
    GatedPublish: Safety "gated-publish" =>
        "only the current claim publishes, and the published claim never goes back (S-A5)",
    BoundedWait: BoundedLiveness "bounded-wait" =>
        "every caller stops waiting (claims, gets a value or an error) within max wait + poll of its arrival at the lock; V0: within the platform's 100 s wall limit; and no caller awaits another request's promise (V0 db's `return dbInitPromise`) once the clock moves (L-A1)",
    NoPrematureReclaim: Safety "no-premature-reclaim" =>
        "no claim supersedes a live owner whose init has run no longer than `legit_init_ms` (S-A4, relations R1/R2)",
    AbandonedReclaimed: BoundedLiveness "abandoned-reclaimed" =>
        "a claim whose owner was cancelled unanchored, while someone who found it when they started waits for it, is reclaimed by claim time + deadline + poll; V0, which never reclaims: by claim time + the platform's wall limit + poll (L-A2, relation R3)",
    AnchorAttached: Safety "anchor-attached" =>
        "every init promise is handed to the anchor, even when init throws synchronously (V2-b)",
    OwnError: Safety "own-error" =>
        "every caller gets a value or an error of its own: a timeout or its own init's failure, never another request's init failure (V0 db's `return dbInitPromise` rejects every request that awaits it) (S-A7)",
    OneCron: Safety "one-cron" =>
        "at most one runtime of a singleton runs its cron scheduler, the published one: a runtime init that may not publish (V4: isCurrentClaim() is false) stops its cron, and one whose value another publish replaced leaves it running (S-A6)",
    TimeoutNotEarly: Safety "timeout-not-early" =>
        "a caller gives up (`timed out`) only once more than max wait has passed since it started waiting: the check is strict, `now - waitStart > maxWaitMs` (S-timeout)",
}
