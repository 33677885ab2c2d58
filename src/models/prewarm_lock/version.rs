//! The versions of eve's sandbox template prewarm lock (protocols.md §4.4) as switches over one
//! model, with each version's constants (§4.3).

use crate::catalogue::VariantInfo;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Version {
    /// D-V0, `f44e16a3`: `mkdir` claim, `owner.json {createdAt, pid}`, a waiter `rm -rf`s a lock
    /// whose mtime is older than 30 min; release is an unconditional `rm -rf`.
    V0MtimeOnly,
    /// D-V1, PR #441 (`683e98ae`): `owner.json` gains `hostname`; same-host owners are probed
    /// with `kill(pid, 0)`: dead is reclaimed at once, alive never by age, unknown after 10 min.
    /// Still a blind `rm -rf` for reclaim and release.
    V1PidLiveness,
    /// D-V2, the maintainer rewrite (`ec51628b` + `ad8a80a6`): four-valued liveness, reclaim
    /// under a unique recovery intent with a re-check, tombstone renames, a token-gated release,
    /// and a lost claim retried.
    V2Intents,
    /// lockstep's proposed fix of V2's three-reclaimer bug (reports/findings.md): owner.json
    /// written with `'wx'` (EEXIST is a lost claim), the re-check under the intent reads the
    /// owner first and takes the age from a `stat` after it, and a reclaimer reads the
    /// tombstone it renamed and puts it back when it is not the generation it judged.
    V3VerifiedReclaim,
    /// Canary: V2 without the re-check under the intent (the reclaimer acts on what it judged
    /// before its intent existed). Must violate `max-active` when two waiters reclaim at once.
    CanaryNoRecheck,
}

pub const ALL: [Version; 5] = [
    Version::V0MtimeOnly,
    Version::V1PidLiveness,
    Version::V2Intents,
    Version::V3VerifiedReclaim,
    Version::CanaryNoRecheck,
];

/// `LOCK_POLL_MS`, every version.
pub const POLL_MS: u64 = 250;
/// `LOCK_TIMEOUT_MS`, every version: a waiter throws once `elapsed > 15 min`.
pub const TIMEOUT_MS: u64 = 15 * 60 * 1000;
/// V0's `STALE_LOCK_MS`.
pub const V0_STALE_MS: u64 = 30 * 60 * 1000;
/// V1's `STALE_LOCK_MS` (unknown liveness only) and V2's `UNKNOWN_OWNER_STALE_MS` (unknown or
/// foreign).
pub const V1_STALE_MS: u64 = 10 * 60 * 1000;
/// `renameWithTransientBusyRetry`'s delays before each retry of an EBUSY/EPERM/EACCES rename.
pub const BUSY_RETRY_MS: [u64; 7] = [10, 20, 40, 80, 160, 320, 640];

impl Version {
    /// The version's entry in the protocol's catalogue (`lockstep list`, `[expect]` keys): its
    /// name, what it is, and whether it is a canary. The one place a version is described.
    pub const fn info(self) -> VariantInfo {
        match self {
            Version::V0MtimeOnly => VariantInfo { name: "v0-mtime-only", summary: "f44e16a3: mkdir claim, owner.json {createdAt, pid}; a lock older than 30 min is rm -rf'd; unconditional rm -rf release", canary: false },
            Version::V1PidLiveness => VariantInfo { name: "v1-pid-liveness", summary: "PR #441: + hostname; a same-host owner is probed with kill(pid, 0): dead is reclaimed at once, alive never, unknown after 10 min; blind rm -rf", canary: false },
            Version::V2Intents => VariantInfo { name: "v2-intents", summary: "maintainer rewrite: four-valued liveness, reclaim under a unique recovery intent with a re-check, tombstone renames, token-gated release, lost claims retried", canary: false },
            Version::V3VerifiedReclaim => VariantInfo { name: "v3-verified-reclaim", summary: "lockstep's proposed fix of v2's three-reclaimer bug: owner.json written 'wx' (EEXIST is a lost claim), the re-check under the intent is stat, readFile, stat and judges only one (inode, mtime) identity, a reclaimer puts back a tombstone that is not the generation it judged, a release removes its tombstone only if it holds its own token (else puts it back), and a claim that meets an intent is undone with rmdir", canary: false },
            Version::CanaryNoRecheck => VariantInfo { name: "canary-no-recheck", summary: "canary: v2 acting on the judgment made before its intent existed; must violate max-active when two waiters reclaim", canary: true },
        }
    }

    pub const fn name(self) -> &'static str {
        self.info().name
    }

    pub fn from_name(n: &str) -> Option<Version> {
        ALL.into_iter().find(|v| v.name() == n)
    }

    /// The mtime age after which a lock this version cannot verify is reclaimed.
    pub fn stale_ms(self) -> u64 {
        match self {
            Version::V0MtimeOnly => V0_STALE_MS,
            _ => V1_STALE_MS,
        }
    }

    /// V1 on: probe the owner's pid when its hostname is ours.
    pub fn probes(self) -> bool {
        self >= Version::V1PidLiveness
    }

    /// V2 and its canary: intents, tombstones, tokens.
    pub fn intents(self) -> bool {
        self >= Version::V2Intents
    }

    /// The proposed fix: exclusive owner writes, read-then-stat re-check, verified tombstones.
    pub fn verified(self) -> bool {
        self == Version::V3VerifiedReclaim
    }

    /// What `owner.json` records: createdAt, pid (V0); + hostname (V1); + token (V2).
    pub fn owner_words(self) -> usize {
        match self {
            Version::V0MtimeOnly => 2,
            Version::V1PidLiveness => 3,
            _ => 4,
        }
    }
}

/// The catalogue's variants, one per version in `ALL`'s order, each described once in
/// [`Version::info`].
pub const VARIANTS: [VariantInfo; 5] = crate::variants_of!(ALL, 5);
