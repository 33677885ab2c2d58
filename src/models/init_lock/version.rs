//! The historical versions of emdash's init lock (protocols.md §1.5) and what differs between
//! them. A version is a handful of switches over one model, never a copy of it.

use crate::catalogue::VariantInfo;

/// Which lock a scenario's outer level models: the two call sites differ in their constants
/// (V2+) and, before the fix, in their whole mechanism (V0: a boolean flag for the runtime, a
/// shared promise for the database).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LockKind {
    Runtime,
    Db,
}

impl LockKind {
    pub fn name(self) -> &'static str {
        match self {
            LockKind::Runtime => "runtime",
            LockKind::Db => "db",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Version {
    /// Pre-fix: module `runtimeInitializing` flag (waiters poll 50 ms with no bound) and a
    /// shared `dbInitPromise` that waiters await across requests.
    V0Flag,
    /// `188c2f310`: reclaim after a 15 s deadline, fixed 30 s max wait, unconditional release,
    /// no anchor, module-scoped locks.
    V1Reclaim,
    /// `85bc8b4ca`: derived deadlines (db 30 s, runtime 45 s), max wait = deadline + 15 s,
    /// `anchor` via `after()`, singletons on `globalThis`. Still ungated release.
    V2Anchored,
    /// `90711fddf`: claim generation; release only if `generation === myClaim`;
    /// `Promise.resolve().then(init)` so a synchronous throw still gets anchored.
    V3GenRelease,
    /// `6f8ab6d89` (merged): init receives `isCurrentClaim` and publishes only while current.
    V4GatedPublish,
    /// Canary: V4 with an `await` between the staleness check and the claim. Must fail
    /// `max-active`; if it ever passes, the harness has gone blind.
    CanarySplitClaim,
}

/// The platform's wall limit: a hung request is killed (524) at about 100 s.
pub const PLATFORM_WALL_MS: u64 = 100_000;
/// `DEFAULT_DEADLINE_MS`, all versions.
pub const DEFAULT_DEADLINE_MS: u64 = 15_000;
/// `DEFAULT_POLL_MS`, all versions (V0's waiter loop also sleeps 50 ms).
pub const DEFAULT_POLL_MS: u64 = 50;
/// V1's fixed `DEFAULT_MAX_WAIT_MS`.
pub const V1_MAX_WAIT_MS: u64 = 30_000;
/// V2+: `maxWaitMs = deadlineMs + MAX_WAIT_HEADROOM_MS` by default.
pub const MAX_WAIT_HEADROOM_MS: u64 = 15_000;
/// `MIGRATION_RACE_WAIT_MS` (migrations/runner.ts).
pub const MIGRATION_RACE_WAIT_MS: u64 = 10_000;
/// V2+: `DB_INIT_DEADLINE_MS = MIGRATION_RACE_WAIT_MS + 20 000`.
pub const DB_INIT_DEADLINE_MS: u64 = MIGRATION_RACE_WAIT_MS + 20_000;
/// V2+: `RUNTIME_INIT_DEADLINE_MS = DB_INIT_DEADLINE_MS + 15 000`.
pub const RUNTIME_INIT_DEADLINE_MS: u64 = DB_INIT_DEADLINE_MS + 15_000;

impl Version {
    /// The version's entry in the protocol's catalogue (`lockstep list`, `[expect]` keys): its
    /// name, what it is, and whether it is a canary. The one place a version is described.
    pub const fn info(self) -> VariantInfo {
        match self {
            Version::V0Flag => VariantInfo { name: "v0-flag", summary: "pre-fix: runtime flag / shared db promise, no reclaim, no bound", canary: false },
            Version::V1Reclaim => VariantInfo { name: "v1-reclaim", summary: "188c2f310: reclaim after 15 s, fixed 30 s max wait, ungated release, no anchor, module-scoped", canary: false },
            Version::V2Anchored => VariantInfo { name: "v2-anchored", summary: "85bc8b4ca: derived deadlines, max wait = deadline + 15 s, after() anchor, globalThis singletons", canary: false },
            Version::V3GenRelease => VariantInfo { name: "v3-gen-release", summary: "90711fddf: claim generation, generation-gated release, Promise.resolve().then(init)", canary: false },
            Version::V4GatedPublish => VariantInfo { name: "v4-gated-publish", summary: "6f8ab6d89 (merged): publish only while isCurrentClaim()", canary: false },
            Version::CanarySplitClaim => VariantInfo { name: "canary-split-claim", summary: "canary: v4 with an await between the staleness check and the claim; must violate max-active", canary: true },
        }
    }

    pub const fn name(self) -> &'static str {
        self.info().name
    }

    pub fn from_name(n: &str) -> Option<Version> {
        ALL.into_iter().find(|v| v.name() == n)
    }

    /// V0 has no deadline, no max wait: a stuck flag is never reclaimed.
    pub fn reclaims(self) -> bool {
        self >= Version::V1Reclaim
    }
    /// V2+ call sites pass `anchor = p => after(() => p)`.
    pub fn anchors(self) -> bool {
        self >= Version::V2Anchored
    }
    /// V2+ keep `{lock, cache}` on `globalThis` under `Symbol.for`: duplicated module copies
    /// share one lock. V0/V1 are module-scoped: each copy has its own.
    pub fn global_singletons(self) -> bool {
        self >= Version::V2Anchored
    }
    /// V3+: release only if `lock.generation === myClaim`.
    pub fn gated_release(self) -> bool {
        self >= Version::V3GenRelease
    }
    /// V3+: `Promise.resolve().then(() => init(...))`: init starts one microtask after the
    /// claim, and a synchronous throw becomes a rejection (so the anchor still attaches).
    pub fn deferred_init(self) -> bool {
        self >= Version::V3GenRelease
    }
    /// V4: publish only while `isCurrentClaim()`.
    pub fn gated_publish(self) -> bool {
        self >= Version::V4GatedPublish
    }
    pub fn split_claim(self) -> bool {
        self == Version::CanarySplitClaim
    }

    /// The call site's deadline when the scenario does not set one.
    pub fn default_deadline(self, kind: LockKind) -> u64 {
        if self >= Version::V2Anchored {
            match kind {
                LockKind::Db => DB_INIT_DEADLINE_MS,
                LockKind::Runtime => RUNTIME_INIT_DEADLINE_MS,
            }
        } else {
            DEFAULT_DEADLINE_MS
        }
    }

    /// The max wait when the scenario does not set one: V1's fixed 30 s, V2+'s derived one.
    pub fn default_max_wait(self, deadline: u64) -> u64 {
        if self >= Version::V2Anchored {
            deadline + MAX_WAIT_HEADROOM_MS
        } else {
            V1_MAX_WAIT_MS
        }
    }
}

/// Every version, oldest first (the catalogue's order).
pub const ALL: [Version; 6] = [
    Version::V0Flag,
    Version::V1Reclaim,
    Version::V2Anchored,
    Version::V3GenRelease,
    Version::V4GatedPublish,
    Version::CanarySplitClaim,
];

/// The catalogue's variants, one per version in `ALL`'s order, each described once in
/// [`Version::info`].
pub const VARIANTS: [VariantInfo; 6] = crate::variants_of!(ALL, 6);
