use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use super::{Join, Platform, PlatformMutex, Spawn};

/// Real threads, `std::sync::Mutex`, and real monotonic time (`Instant`).
///
/// This is the platform users run. `now_ms` counts milliseconds since the platform value was
/// created; clones share the origin. It is never used by a checker: nothing checked reads the
/// wall clock.
#[derive(Clone, Copy, Debug)]
pub struct StdPlatform {
    origin: Instant,
}

impl StdPlatform {
    /// A platform whose clock starts now.
    pub fn new() -> Self {
        Self {
            origin: Instant::now(),
        }
    }
}

impl Default for StdPlatform {
    fn default() -> Self {
        Self::new()
    }
}

impl Platform for StdPlatform {
    type Mutex<T: Send> = StdMutex<T>;

    fn now_ms(&self) -> u64 {
        u64::try_from(self.origin.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    fn sleep_ms(&self, ms: u64) {
        std::thread::sleep(Duration::from_millis(ms));
    }
}

/// [`std::sync::Mutex`] behind [`PlatformMutex`].
#[derive(Debug)]
pub struct StdMutex<T>(Mutex<T>);

impl<T> PlatformMutex<T> for StdMutex<T> {
    fn new(value: T) -> Self {
        Self(Mutex::new(value))
    }

    fn with<R>(&self, f: impl FnOnce(&mut T) -> R) -> R {
        f(&mut self.0.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

impl Spawn for StdPlatform {
    type Handle = std::thread::JoinHandle<()>;

    fn spawn(&self, f: impl FnOnce() + Send + 'static) -> Self::Handle {
        std::thread::spawn(f)
    }
}

impl Join for std::thread::JoinHandle<()> {
    fn join(self) {
        if let Err(panic) = std::thread::JoinHandle::join(self) {
            std::panic::resume_unwind(panic);
        }
    }
}
