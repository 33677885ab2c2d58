//! The process's interrupt: Ctrl-C (SIGINT) or SIGTERM. Searches still running, and every one
//! started after it, stop (the kernel only sees its plan's stop flag) and are reported
//! `inconclusive:interrupted`, never a pass, so `check` still prints the results it has.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

/// The flag the signal handler raises.
pub fn flag() -> Arc<AtomicBool> {
    static FLAG: OnceLock<Arc<AtomicBool>> = OnceLock::new();
    FLAG.get_or_init(Default::default).clone()
}

/// Whether the process was interrupted.
pub fn raised() -> bool {
    flag().load(Ordering::Relaxed)
}

/// Installs the handler for SIGINT and SIGTERM (once; a second signal still only stops).
pub fn catch() {
    let flag = flag();
    let _ = ctrlc::set_handler(move || flag.store(true, Ordering::Relaxed));
}
