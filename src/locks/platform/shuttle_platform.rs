use std::sync::{Arc, PoisonError};

use shuttle::sync::atomic::AtomicU64;
use shuttle::sync::Mutex;

use super::{Join, Platform, PlatformMutex, Spawn};

super::virtual_clock_impl!(AtomicU64);

/// Shuttle's threads and mutex, with the [virtual clock](super#the-virtual-clock-of-the-checked-platforms).
///
/// Create one inside each shuttle test closure (each execution needs its own clock starting at
/// 0); clones share the clock. Always compiled, so shuttle tests run under plain `cargo test`.
#[derive(Clone, Debug)]
pub struct ShuttlePlatform {
    clock: Arc<AtomicU64>,
}

impl ShuttlePlatform {
    /// A platform whose virtual clock reads 0. Call it inside the shuttle execution.
    pub fn new() -> Self {
        Self {
            clock: Arc::new(AtomicU64::new(0)),
        }
    }
}

impl Default for ShuttlePlatform {
    fn default() -> Self {
        Self::new()
    }
}

impl Platform for ShuttlePlatform {
    type Mutex<T: Send> = ShuttleMutex<T>;

    fn now_ms(&self) -> u64 {
        virtual_now(&self.clock)
    }

    fn sleep_ms(&self, ms: u64) {
        virtual_sleep(&self.clock, ms);
    }
}

/// [`shuttle::sync::Mutex`] behind [`PlatformMutex`].
#[derive(Debug)]
pub struct ShuttleMutex<T>(Mutex<T>);

impl<T> PlatformMutex<T> for ShuttleMutex<T> {
    fn new(value: T) -> Self {
        Self(Mutex::new(value))
    }

    fn with<R>(&self, f: impl FnOnce(&mut T) -> R) -> R {
        f(&mut self.0.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

impl Spawn for ShuttlePlatform {
    type Handle = shuttle::thread::JoinHandle<()>;

    fn spawn(&self, f: impl FnOnce() + Send + 'static) -> Self::Handle {
        shuttle::thread::spawn(f)
    }
}

impl Join for shuttle::thread::JoinHandle<()> {
    fn join(self) {
        if let Err(panic) = shuttle::thread::JoinHandle::join(self) {
            std::panic::resume_unwind(panic);
        }
    }
}
