//! The versions of the fleet restart lock (protocols.md §3.4) and the two designs the seed's
//! commit message rejects, as switches over one model.

use crate::catalogue::VariantInfo;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Version {
    /// V1, reconstructed from the seed's comments: claim with `open(L,'wx')`; a stale or
    /// timed-out lock is broken with a blind `unlink(L)` and re-created with `'wx'` (the most
    /// charitable reading: an overwriting re-create is strictly worse); release is an untokened
    /// `unlink(L)`.
    V1UnlinkRecreate,
    /// V2 (the diff's removed lines): break by writing `L.<token>` and `rename`-ing it over `L`,
    /// then reading the token back; release is `readToken(L) === token`, then `unlink(L)`.
    V2RenameReadback,
    /// V3, `786762587d`: every transition under the registry mutex `M` (mtime-stale), a stale
    /// `M` reaped under the reclaim lock `RL`.
    V3RegistryMutex,
    /// F3-x1: V3 with the mutex judged stale by its *content* (an empty, just-created mutex
    /// reads as corrupt) and reaped with a plain `unlink(M)`.
    X1ContentStaleMutex,
    /// F3-x2: V3 with a "content-blind rename-and-restore" reclaim instead of `RL`: a mutex
    /// judged stale is renamed aside, re-checked, and renamed back if it turns out fresh.
    X2RenameRestore,
    /// Canary: V3 without the registry mutex (transitions are not serialized). Must violate
    /// `max-active` on the multi-breaker scenario; if it ever holds, the harness went blind.
    CanaryNoMutex,
}

pub const ALL: [Version; 6] = [
    Version::V1UnlinkRecreate,
    Version::V2RenameReadback,
    Version::V3RegistryMutex,
    Version::X1ContentStaleMutex,
    Version::X2RenameRestore,
    Version::CanaryNoMutex,
];

/// `RESTART_MUTEX_RETRY_MS`: the only constant the seed gives.
pub const MUTEX_RETRY_MS: u64 = 20;

/// How the registry mutex treats `open(M,'wx')` saying EEXIST.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MutexKind {
    /// No registry mutex (V1, V2 and the canary).
    None,
    /// `stat(M)` by mtime; a stale one is reaped under `RL` (V3).
    ReclaimLock,
    /// `readFile(M)` by content; a stale or empty one is unlinked (F3-x1).
    Content,
    /// `stat(M)` by mtime; a stale one is renamed aside and restored if fresh (F3-x2).
    RenameRestore,
}

impl Version {
    /// The version's entry in the protocol's catalogue (`lockstep list`, `[expect]` keys): its
    /// name, what it is, and whether it is a canary. The one place a version is described.
    pub const fn info(self) -> VariantInfo {
        match self {
            Version::V1UnlinkRecreate => VariantInfo { name: "v1-unlink-recreate", summary: "V1 (reconstructed): open('wx') claim; a stale or timed-out lock is unlinked blind and re-created; untokened release", canary: false },
            Version::V2RenameReadback => VariantInfo { name: "v2-rename-readback", summary: "V2: break by writing L.<token> and renaming it over L, then reading the token back; release reads the token, then unlinks", canary: false },
            Version::V3RegistryMutex => VariantInfo { name: "v3-registry-mutex", summary: "786762587d: every transition under the registry mutex M (mtime-stale), a stale M reaped under the reclaim lock RL", canary: false },
            Version::X1ContentStaleMutex => VariantInfo { name: "x1-content-stale-mutex", summary: "rejected F3-x1: V3 with the mutex judged stale by its content, so an empty just-created mutex is reaped", canary: false },
            Version::X2RenameRestore => VariantInfo { name: "x2-rename-restore", summary: "rejected F3-x2: V3 with a rename-aside-and-restore reclaim of a stale mutex instead of RL", canary: false },
            Version::CanaryNoMutex => VariantInfo { name: "canary-no-mutex", summary: "canary: V3 without the registry mutex; must violate max-active when breakers race", canary: true },
        }
    }

    pub const fn name(self) -> &'static str {
        self.info().name
    }

    pub fn from_name(n: &str) -> Option<Version> {
        ALL.into_iter().find(|v| v.name() == n)
    }

    /// V3 and its alternatives (and the canary) take and overwrite `L` by `readFile` +
    /// `writeFile` under the mutex; V1 and V2 claim it with `open(L,'wx')`.
    pub fn serialized(self) -> bool {
        self >= Version::V3RegistryMutex
    }

    pub fn mutex(self) -> MutexKind {
        match self {
            Version::V1UnlinkRecreate | Version::V2RenameReadback | Version::CanaryNoMutex => {
                MutexKind::None
            }
            Version::V3RegistryMutex => MutexKind::ReclaimLock,
            Version::X1ContentStaleMutex => MutexKind::Content,
            Version::X2RenameRestore => MutexKind::RenameRestore,
        }
    }

    /// The release checks the token before unlinking (V2 on; V1 unlinks blindly).
    pub fn tokened_release(self) -> bool {
        self >= Version::V2RenameReadback
    }
}

/// The catalogue's variants, one per version in `ALL`'s order, each described once in
/// [`Version::info`].
pub const VARIANTS: [VariantInfo; 6] = crate::variants_of!(ALL, 6);
