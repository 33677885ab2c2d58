//! The isolate's named invariants (protocols.md §2.6), as scenario files name them. A
//! scenario whose module state holds an init lock may also check the init lock's own
//! invariants: they are judged in every generation's copy of the lock.

use crate::models::invariant_table::invariants;

invariants! {
    AbortedFail: Safety "aborted-fail" =>
        "once an abortIsolate() has had its event-loop turn, no request of the aborted generation completes successfully (S-B1); a request that finishes at the very instant of the abort, before the rejection reaches it, is not a violation",
    FreshGeneration: Safety "fresh-generation" =>
        "a request whose startRequest runs after an abort (or a condemn) runs on a newer generation, with fresh module state, and the earlier abort never reaches it (S-B2, and the W-V2-d boundary)",
    BoundedGenerations: Safety "bounded-generations" =>
        "at most `max_generations` (default 2) isolate generations are alive at once; an old one lives until its last request lets go of it (S-B4)",
    Recovers: AtEnd "recovers" =>
        "unless the factory throws always, some request that starts after the last abort succeeds on a newer generation by the end of the run, provided one starts at all and the run gave the factory its chance: a call succeeded, or no later request would call it (the process is dead, or the flag is clear) (L-B1)",
    SameConfig: Safety "same-config" =>
        "every request runs on a generation with the original worker's configuration: Python snapshot, CommonJS named exports, capnp schemas (S-B5)",
    FlagCleared: Safety "flag-cleared" =>
        "isolateAbortRequested is set only between an abort and the next successful recreation: once a generation newer than the aborted one is the current worker, the flag is clear, so later requests share it instead of recreating again (S-B3)",
}
