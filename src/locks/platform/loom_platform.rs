use std::sync::{Arc, PoisonError};

use loom::sync::atomic::AtomicU64;
use loom::sync::Mutex;

use super::{Join, Platform, PlatformMutex, Spawn};

super::virtual_clock_impl!(AtomicU64);

/// Loom's threads and mutex, with the [virtual clock](super#the-virtual-clock-of-the-checked-platforms).
///
/// Only under `--features loom`. Create one inside each `loom::model` closure; clones share the clock.
/// The clock is a loom atomic, so loom's DPOR sees every read and advance of time as an event
/// that can be reordered against the lock's critical sections.
#[derive(Clone, Debug)]
pub struct LoomPlatform {
    // A std `Arc`: its reference count is not part of the protocol, and a loom `Arc` would only
    // add branches for loom to explore.
    clock: Arc<AtomicU64>,
}

impl LoomPlatform {
    /// A platform whose virtual clock reads 0. Call it inside the loom model.
    pub fn new() -> Self {
        Self {
            clock: Arc::new(AtomicU64::new(0)),
        }
    }
}

impl Default for LoomPlatform {
    fn default() -> Self {
        Self::new()
    }
}

impl Platform for LoomPlatform {
    type Mutex<T: Send> = LoomMutex<T>;

    fn now_ms(&self) -> u64 {
        virtual_now(&self.clock)
    }

    fn sleep_ms(&self, ms: u64) {
        virtual_sleep(&self.clock, ms);
    }
}

/// [`loom::sync::Mutex`] behind [`PlatformMutex`].
#[derive(Debug)]
pub struct LoomMutex<T>(Mutex<T>);

impl<T> PlatformMutex<T> for LoomMutex<T> {
    fn new(value: T) -> Self {
        Self(Mutex::new(value))
    }

    fn with<R>(&self, f: impl FnOnce(&mut T) -> R) -> R {
        f(&mut self.0.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

impl Spawn for LoomPlatform {
    type Handle = loom::thread::JoinHandle<()>;

    fn spawn(&self, f: impl FnOnce() + Send + 'static) -> Self::Handle {
        loom::thread::spawn(f)
    }
}

impl Join for loom::thread::JoinHandle<()> {
    fn join(self) {
        if let Err(panic) = loom::thread::JoinHandle::join(self) {
            std::panic::resume_unwind(panic);
        }
    }
}
