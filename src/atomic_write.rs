//! Files lockstep writes (reports, JUnit, traces, regressions, scaffolds) appear whole or not
//! at all: written beside their final name and renamed over it, so an interrupted run (Ctrl-C,
//! a killed CI job) never leaves a half-written report for a reader or a later run to trust.

use std::path::Path;

/// Writes `bytes` to `path` atomically (a temporary file in the same folder, then a rename).
pub fn write<P: AsRef<Path>, B: AsRef<[u8]>>(path: P, bytes: B) -> std::io::Result<()> {
    let path = path.as_ref();
    let name = path
        .file_name()
        .map_or_else(|| "out".into(), |n| n.to_string_lossy().to_string());
    let tmp = path.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}
