//! The prewarm lock's named invariants (protocols.md §4.5), as scenario files name them. Ids
//! shared with the restart lock mean the same thing there.

use lockstep_sim::{Property, PropertyKind};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Inv {
    MaxActive,
    TokenGatedRelease,
    LiveOwnerRespected,
    DeadOwnerReclaimed,
    NoTimeoutOnOrphan,
    LostClaimRetried,
    BoundedWait,
    NoLeftovers,
    TimeoutNotEarly,
}

pub const ALL: &[(Inv, Property)] = &[
    (
        Inv::MaxActive,
        Property {
            id: "max-active",
            kind: PropertyKind::Safety,
            summary: "at most one prewarm runs under a lock no legitimate reclaim superseded (S-D1); a reclaim is legitimate, by design, only of a holder this version cannot verify (V0: any; V1: no same-host hostname; V2: unknown or foreign) whose lock is older than the version's stale age",
        },
    ),
    (
        Inv::TokenGatedRelease,
        Property {
            id: "token-gated-release",
            kind: PropertyKind::Safety,
            summary: "a release removes (or damages) only the lock generation its own acquire created (S-D3)",
        },
    ),
    (
        Inv::LiveOwnerRespected,
        Property {
            id: "live-owner-respected",
            kind: PropertyKind::Safety,
            summary: "a reclaim never removes a lock whose holder is alive on the reclaimer's own host, whatever its age (S-D4)",
        },
    ),
    (
        Inv::DeadOwnerReclaimed,
        Property {
            id: "dead-owner-reclaimed",
            kind: PropertyKind::BoundedLiveness,
            summary: "a lock whose holder died on the same host as a waiting, never-paused process is gone within one poll of the later of the death and the waiter's arrival, plus the reclaim's own steps (L-D1)",
        },
    ),
    (
        Inv::NoTimeoutOnOrphan,
        Property {
            id: "no-timeout-on-orphan",
            kind: PropertyKind::Safety,
            summary: "no waiter gives up with a timeout while the lock it waits for is held by a dead process (L-D2, for every lock generation, not only the one present at the waiter's start)",
        },
    ),
    (
        Inv::LostClaimRetried,
        Property {
            id: "lost-claim-retried",
            kind: PropertyKind::Safety,
            summary: "an acquirer whose lock directory vanished between its mkdir and its owner.json write retries instead of throwing (L-D3)",
        },
    ),
    (
        Inv::BoundedWait,
        Property {
            id: "bounded-wait",
            kind: PropertyKind::BoundedLiveness,
            summary: "every never-paused waiter or acquirer stops waiting (acquires, returns or throws) within `wait_bound_ms` of its arrival (default timeout + poll: 15 min 250 ms)",
        },
    ),
    (
        Inv::NoLeftovers,
        Property {
            id: "no-leftovers",
            kind: PropertyKind::AtEnd,
            summary: "when the run ends no lock or intent of a live process and no tombstone or released intent of anyone remains; a lock or intent whose creator was killed may stay, the next waiter reclaims it (S-D5)",
        },
    ),
    (
        Inv::TimeoutNotEarly,
        Property {
            id: "timeout-not-early",
            kind: PropertyKind::Safety,
            summary: "a waiter gives up only once more than LOCK_TIMEOUT_MS has passed on its host's clock since it started: the check is strict, `elapsed > 15 min`",
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
