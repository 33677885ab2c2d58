//! Protocol `prewarm-lock`: eve's sandbox template prewarm lock (seed 003, protocols.md §4):
//! the original, PR #441 and the maintainer rewrite as variants of one model written on the
//! simulated filesystem and process table of `sim::world`.

mod invariants;
mod model;
mod spec;
mod version;

use crate::protocol::{FaultInfo, VariantInfo};

pub use model::{Move, PrewarmLockModel, World};
pub use spec::{Spec, POINTS};
pub use version::Version;

pub struct PrewarmLock;

pub static PROTOCOL: PrewarmLock = PrewarmLock;

const VARIANTS: &[VariantInfo] = &version::VARIANTS;

const FAULTS: &[FaultInfo] = &[
    FaultInfo { name: "crash_at_ms / crash_at", summary: "[[actor]]: kill -9 at an instant, or right after the step that reaches a named point (claimed, prewarming, reclaim-judged, intent-created, tombstoned)" },
    FaultInfo { name: "pause_at_ms / pause_at + pause_ms", summary: "[[actor]]: SIGSTOP at an instant or a named point, SIGCONT pause_ms later (kill(pid, 0) still succeeds)" },
    FaultInfo { name: "kills_max / pauses_max", summary: "[faults]: kill (or pause for pause_ms) any listed actor at any step, at most this many times per run" },
    FaultInfo { name: "pid_reused_at_ms", summary: "[[actor]]: once the actor is dead, its pid goes to an unrelated live process (uid pid_reused_uid)" },
    FaultInfo { name: "host / hostname / skew_ms", summary: "[[params.host]]: hosts with their own pid namespace, hostname (two may share one) and clock skew; each host stamps the mtimes it writes" },
    FaultInfo { name: "records_hostname", summary: "[[actor]]: false writes owner.json without a hostname (a holder from before PR #441)" },
    FaultInfo { name: "syscall", summary: "[faults]: the next op on a path (parent, lock, owner.json, recovery, tombstone-<a>, intent-<a>, released-<a>) fails with ENOENT, EBUSY, ENOSPC, EIO, EACCES or EPERM, armed at at_ms; `times = N`: the next N such calls fail" },
];

crate::models::loaded::file_lock_protocol!(
    PrewarmLock,
    "prewarm-lock",
    "eve's sandbox template prewarm lock: an mkdir lock with owner.json, pid liveness, and (maintainer rewrite) recovery intents and tombstones",
    spec::PrewarmLockFile,
    PrewarmLockModel
);
