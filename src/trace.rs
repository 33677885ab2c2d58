//! A saved counterexample (`lockstep run --trace`, read back by `lockstep replay`): the file
//! format, apart from the commands that write and read it.

use serde::{Deserialize, Serialize};

use crate::engine::Replayed;
use crate::scenario::{Meta, Source};

/// The format a trace file declares; a reader refuses any other.
pub const TRACE_FORMAT: &str = "lockstep-trace/1";

/// A saved counterexample: the scenario it belongs to (path and a hash of its bytes), the
/// variant, and the schedule of choices. The verdict is recorded to be checked, not trusted.
#[derive(Serialize, Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct Trace {
    pub format: String,
    pub scenario: String,
    pub scenario_hash: String,
    pub variant: String,
    pub verdict: String,
    pub schedule: String,
    /// Run against the built-in protocol's shipped file (`--interpreted`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub interpreted: bool,
    /// A hash of the protocol file, when the scenario runs one: a replay against an edited
    /// protocol is refused like one against an edited scenario.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol_hash: Option<String>,
}

impl Trace {
    pub fn new(meta: &Meta, variant: &str, r: &Replayed, src: &Source) -> Trace {
        Trace {
            format: TRACE_FORMAT.to_string(),
            scenario: meta.path.clone(),
            scenario_hash: src.hash(),
            variant: variant.to_string(),
            verdict: r.verdict.to_string(),
            schedule: r.schedule.to_string(),
            interpreted: meta.interpreted,
            protocol_hash: meta.protocol_hash.clone(),
        }
    }
}

pub fn write_trace(path: &str, t: &Trace) -> std::io::Result<()> {
    crate::atomic_write::write(
        path,
        serde_json::to_string_pretty(t).expect("trace serializes") + "\n",
    )
}
