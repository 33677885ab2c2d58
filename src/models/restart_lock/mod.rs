//! Protocol `restart-lock`: the "fleet" restart lock (seed 002, protocols.md §3), V1 to V3 and
//! the two designs the seed's commit message rejects, as variants of one model written on the
//! simulated filesystem and process table of `sim::world`.

mod invariants;
mod model;
mod spec;
mod version;

use crate::protocol::{FaultInfo, VariantInfo};

pub use model::{Move, RestartLockModel, World};
pub use spec::{Spec, POINTS};
pub use version::Version;

pub struct RestartLock;

pub static PROTOCOL: RestartLock = RestartLock;

const VARIANTS: &[VariantInfo] = &version::VARIANTS;

const FAULTS: &[FaultInfo] = &[
    FaultInfo { name: "crash_at_ms / crash_at", summary: "[[actor]]: kill -9 at an instant, or right after the step that reaches a named point (mutex-created, mutex-held, reclaim-lock-held, restarting, temp-written, mutex-token-read, lock-token-read)" },
    FaultInfo { name: "pause_at_ms / pause_at + pause_ms", summary: "[[actor]]: SIGSTOP at an instant or a named point, SIGCONT pause_ms later (alive all along)" },
    FaultInfo { name: "kills_max / pauses_max", summary: "[faults]: kill (or pause for pause_ms) any listed actor at any step, at most this many times per run" },
    FaultInfo { name: "syscall", summary: "[faults]: the next op (open, write, close, rename, unlink, stat, readFile, ...) on a path (dir, L, M, RL, L.<actor>, M.aside-<actor>) fails with ENOENT, EBUSY, ENOSPC, EIO, EACCES or EPERM, armed at at_ms; `times = N`: the next N such calls fail" },
    FaultInfo { name: "host / skew_ms", summary: "[[params.host]] and [[actor]] host: processes on hosts whose clocks are skewed (mtimes are stamped by the calling host)" },
    FaultInfo { name: "pid_reused_at_ms", summary: "[[actor]]: a dead actor's pid goes to an unrelated live process (the restart lock never checks pids)" },
];

crate::models::loaded::file_lock_protocol!(
    RestartLock,
    "restart-lock",
    "the fleet restart lock (acquireRestartLock): a cross-process lock file with stale and max-wait takeover, serialized by a registry mutex in V3",
    spec::RestartLockFile,
    RestartLockModel
);
