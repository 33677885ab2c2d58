//! The versions of workerd's isolate reset (protocols.md §2.5) and what differs between them.
//! A version is a handful of switches over one model, never a copy of it.

use crate::catalogue::VariantInfo;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Version {
    /// W-V0, before the PR: `cloudflare:workers` has no such function, so a handler that calls
    /// it throws a `TypeError` and nothing else happens. Poisoned module state lasts as long
    /// as the process. The "no abort" baseline of the composed scenarios.
    W0None,
    /// W-V1, the PR's first design (`resetWorker()`): condemn. The flag is set and the calling
    /// request keeps running on the old isolate; later requests go to a fresh one. Nothing is
    /// aborted, so old generations live as long as their longest request.
    W1Condemn,
    /// W-V2, `3f64ddb4d` (`abortIsolate()`, abort-all): flag = true, reject the abort epoch,
    /// start the next epoch, abort the caller, terminate its JS. Every context subscribed to
    /// the rejected epoch aborts on a later event-loop turn. `startRequest` recreates the worker
    /// lazily and clears the flag only after the factory returns.
    W2AbortAll,
    /// W-V2 with the reviewer's "reset the flag regardless" (W-V2-a): the flag is cleared before
    /// the factory runs, so a throwing factory leaves `worker` pointing at the aborted isolate
    /// and the next request runs there.
    W2ResetFlagFirst,
    /// W-V3, PR #6382 = `f75a8ae1c` (shipped in workerd): a static worker aborts the process
    /// (`KJ_FAIL_REQUIRE` in a `noexcept` function: `std::terminate`); a dynamic worker is
    /// dropped from the loader's map (the next call builds a fresh isolate) and its
    /// outstanding calls keep running (the TODO in the code).
    W3Shipped,
    /// Canary: W-V2 with `resetAbortAllPromise()` moved before the rejection, so the rejection
    /// hits the fresh epoch nobody on the old isolate subscribed to. Must violate
    /// `aborted-fail`; if it ever passes, the harness has gone blind.
    CanaryResetBeforeReject,
}

pub const ALL: &[Version] = &[
    Version::W0None,
    Version::W1Condemn,
    Version::W2AbortAll,
    Version::W2ResetFlagFirst,
    Version::W3Shipped,
    Version::CanaryResetBeforeReject,
];

/// What the handler's call does, by version and worker kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reset {
    /// No such function: `TypeError`, the request fails, nothing else.
    Missing,
    /// `abortIsolate()` without a worker factory (a dynamic worker in W-V2): a catchable
    /// `Error` ("not supported for this worker configuration"); the request fails.
    Unsupported,
    /// W-V1: set the flag; the caller keeps running.
    Condemn,
    /// W-V2 (and its variants): abort every context of the epoch.
    AbortAll,
    /// W-V3, static worker: the whole process dies.
    AbortProcess,
    /// W-V3, dynamic worker: forget the isolate; outstanding calls continue.
    DropFromLoader,
}

impl Version {
    /// The version's entry in the protocol's catalogue (`lockstep list`, `[expect]` keys): its
    /// name, what it is, and whether it is a canary. The one place a version is described.
    pub const fn info(self) -> VariantInfo {
        match self {
            Version::W0None => VariantInfo { name: "w0-none", summary: "before the PR: no abortIsolate() (a TypeError); poisoned module state lasts as long as the process", canary: false },
            Version::W1Condemn => VariantInfo { name: "w1-condemn", summary: "the PR's first design, resetWorker(): condemn; the caller and all in-flight requests keep running, later requests get a fresh isolate", canary: false },
            Version::W2AbortAll => VariantInfo { name: "w2-abort-all", summary: "3f64ddb4d: abortIsolate() rejects the abort epoch so every in-flight request aborts; lazy recreation, flag cleared after the factory returns", canary: false },
            Version::W2ResetFlagFirst => VariantInfo { name: "w2-reset-flag-first", summary: "w2 with the reviewer's suggestion: clear the flag even when the factory throws", canary: false },
            Version::W3Shipped => VariantInfo { name: "w3-shipped", summary: "f75a8ae1c (merged): a static worker aborts the process; a dynamic worker is dropped from the loader's map, its outstanding calls keep running", canary: false },
            Version::CanaryResetBeforeReject => VariantInfo { name: "canary-reset-before-reject", summary: "canary: w2 with the epoch reset before the rejection, so in-flight requests are never aborted; must violate aborted-fail", canary: true },
        }
    }

    pub const fn name(self) -> &'static str {
        self.info().name
    }

    pub fn from_name(n: &str) -> Option<Version> {
        ALL.iter().copied().find(|v| v.name() == n)
    }

    /// What the handler's reset call does on a static or dynamic worker.
    pub fn reset(self, dynamic: bool) -> Reset {
        match self {
            Version::W0None => Reset::Missing,
            // The PR's factory exists only for static ES-modules workers (protocols.md §2.2);
            // W-V1 is assumed to share that limitation [derived: same factory code].
            Version::W1Condemn if dynamic => Reset::Unsupported,
            Version::W1Condemn => Reset::Condemn,
            Version::W2AbortAll | Version::W2ResetFlagFirst | Version::CanaryResetBeforeReject
                if dynamic =>
            {
                Reset::Unsupported
            }
            Version::W2AbortAll | Version::W2ResetFlagFirst | Version::CanaryResetBeforeReject => {
                Reset::AbortAll
            }
            Version::W3Shipped if dynamic => Reset::DropFromLoader,
            Version::W3Shipped => Reset::AbortProcess,
        }
    }

    /// `startRequest` clears the flag before calling the factory (the reviewer's suggestion).
    pub fn flag_cleared_first(self) -> bool {
        self == Version::W2ResetFlagFirst
    }

    /// The epoch is reset before it is rejected (the canary's bug).
    pub fn reset_before_reject(self) -> bool {
        self == Version::CanaryResetBeforeReject
    }

    /// The recreated worker comes from the PR's `OwnedWorkerSource` factory, which drops the
    /// Python memory snapshot, capnp schemas and CommonJS named exports and skips
    /// `preloadPython()` / `validateHandlers()` (W-V2-b). W-V1 is assumed to use the same
    /// factory [derived]. W-V3's dynamic loader rebuilds from the loader's own source.
    pub fn lossy_factory(self) -> bool {
        matches!(
            self,
            Version::W1Condemn
                | Version::W2AbortAll
                | Version::W2ResetFlagFirst
                | Version::CanaryResetBeforeReject
        )
    }
}

/// The catalogue's variants, one per version in `ALL`'s order, each described once in
/// [`Version::info`].
pub const VARIANTS: [VariantInfo; 6] = crate::variants_of!(ALL, 6);
