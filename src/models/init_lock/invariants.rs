//! The init lock's named invariants (protocols.md §1.6), as scenario files name them.

use lockstep_sim::{Property, PropertyKind};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Inv {
    MaxInits,
    MaxActive,
    GatedPublish,
    BoundedWait,
    NoPrematureReclaim,
    AbandonedReclaimed,
    AnchorAttached,
    TimeoutNotEarly,
}

pub const ALL: &[(Inv, Property)] = &[
    (
        Inv::MaxInits,
        Property {
            id: "max-inits",
            kind: PropertyKind::Safety,
            summary: "at most `max_inits` (default 2) init calls start per singleton (S-A3's clobber bound)",
        },
    ),
    (
        Inv::MaxActive,
        Property {
            id: "max-active",
            kind: PropertyKind::Safety,
            summary: "at most one caller at a time runs init under a claim no legitimate reclaim superseded; a reclaim is legitimate only once the previous claim is older than the deadline or was released by its own owner (S-A2, S-A3)",
        },
    ),
    (
        Inv::GatedPublish,
        Property {
            id: "gated-publish",
            kind: PropertyKind::Safety,
            summary: "only the current claim publishes, and the published claim never goes back (S-A5)",
        },
    ),
    (
        Inv::BoundedWait,
        Property {
            id: "bounded-wait",
            kind: PropertyKind::BoundedLiveness,
            summary: "every caller stops waiting (claims, gets a value or an error) within max wait + poll of its arrival at the lock; V0: within the platform's 100 s wall limit (L-A1)",
        },
    ),
    (
        Inv::NoPrematureReclaim,
        Property {
            id: "no-premature-reclaim",
            kind: PropertyKind::Safety,
            summary: "no claim supersedes a live owner whose init has run no longer than `legit_init_ms` (S-A4, relations R1/R2)",
        },
    ),
    (
        Inv::AbandonedReclaimed,
        Property {
            id: "abandoned-reclaimed",
            kind: PropertyKind::BoundedLiveness,
            summary: "a claim whose owner was cancelled unanchored, while someone waits for it, is reclaimed by claim time + deadline + poll (L-A2, relation R3)",
        },
    ),
    (
        Inv::AnchorAttached,
        Property {
            id: "anchor-attached",
            kind: PropertyKind::Safety,
            summary: "every init promise is handed to the anchor, even when init throws synchronously (V2-b)",
        },
    ),
    (
        Inv::TimeoutNotEarly,
        Property {
            id: "timeout-not-early",
            kind: PropertyKind::Safety,
            summary: "a caller gives up (`timed out`) only once more than max wait has passed since it started waiting: the check is strict, `now - waitStart > maxWaitMs` (S-timeout)",
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
