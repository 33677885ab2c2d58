//! The restart lock's named invariants (protocols.md §3.5), as scenario files name them. Ids
//! shared with the prewarm lock mean the same thing there.

use lockstep_sim::{Property, PropertyKind};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Inv {
    MaxActive,
    MaxRunning,
    MutexExclusion,
    TokenGatedRelease,
    NoLeftovers,
    BoundedWait,
    BoundedSpin,
}

pub const ALL: &[(Inv, Property)] = &[
    (
        Inv::MaxActive,
        Property {
            id: "max-active",
            kind: PropertyKind::Safety,
            summary: "at most one process restarts under a lock no legitimate takeover superseded (S-C1); a takeover is legitimate, by design, only when the holder's timestamp is older than STALE or the taker has waited MAX_WAIT",
        },
    ),
    (
        Inv::MaxRunning,
        Property {
            id: "max-running",
            kind: PropertyKind::Safety,
            summary: "at most `running_max` (default 1) live processes restart at once, legitimate takeovers included: shows what the by-design takeovers cost (C8 cascade, C12)",
        },
    ),
    (
        Inv::MutexExclusion,
        Property {
            id: "mutex-exclusion",
            kind: PropertyKind::Safety,
            summary: "at most one live process believes it holds the registry mutex (S-C4), pauses included",
        },
    ),
    (
        Inv::TokenGatedRelease,
        Property {
            id: "token-gated-release",
            kind: PropertyKind::Safety,
            summary: "a release (of L, or of the mutex M) removes only the file its own acquire created (S-C3)",
        },
    ),
    (
        Inv::NoLeftovers,
        Property {
            id: "no-leftovers",
            kind: PropertyKind::AtEnd,
            summary: "when the run ends no L, M or RL of a live process and no temp or aside file of anyone remains; a lock whose holder was killed may stay, the next acquire reclaims it (S-C5)",
        },
    ),
    (
        Inv::BoundedWait,
        Property {
            id: "bounded-wait",
            kind: PropertyKind::BoundedLiveness,
            summary: "every contender that is never paused returns from acquireRestartLock within `wait_bound_ms` of its arrival (default MAX_WAIT + POLL + 20 ms per contender: L-C1's waiter bound)",
        },
    ),
    (
        Inv::BoundedSpin,
        Property {
            id: "bounded-spin",
            kind: PropertyKind::Safety,
            summary: "no contender retries the registry mutex more than `spin_max` (default 10) times in a row without sleeping (residual 4)",
        },
    ),
];

pub fn props() -> &'static [Property] {
    static P: std::sync::OnceLock<Vec<Property>> = std::sync::OnceLock::new();
    P.get_or_init(|| ALL.iter().map(|(_, p)| *p).collect())
}

pub fn by_id(id: &str) -> Option<Inv> {
    ALL.iter().find(|(_, p)| p.id == id).map(|(i, _)| *i)
}
