//! Actor vocabulary shared by every model: identities and what cancellation, crashes and
//! anchoring do to an actor's continuation.

/// An actor's index in its scenario (file order).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ActorId(pub u8);

/// What is left of an actor's continuation after the environment acted on it.
///
/// The semantics every model follows:
/// - **Cancel** (a request whose client went away): at an await point the continuation is
///   dropped. No `finally` runs, nothing the actor would have done later happens.
/// - **Cancel of anchored work** (`waitUntil`/`after()`): the request is gone but the anchored
///   promise keeps the context alive, so the work and its `finally` still run to completion.
/// - **Crash** (kill -9 of a process): like a drop, and every process-owned resource that is
///   not a file stays behind; files stay too.
/// - **Pause** (SIGSTOP, suspend, GC): the actor stops moving until resumed, then continues
///   exactly where it was. It is not dead, and liveness probes still say so.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub enum Lifecycle {
    /// Running normally.
    #[default]
    Live,
    /// Cancelled, but anchored work continues (its `finally` will run).
    Detached,
    /// Cancelled at an await point: the continuation is gone, `finally` never runs.
    Dropped,
    /// The process was killed.
    Killed,
    /// Paused until the given time (or until a resume move).
    Paused,
}

impl Lifecycle {
    /// Whether the actor's continuation still runs.
    pub fn runs(self) -> bool {
        matches!(self, Lifecycle::Live | Lifecycle::Detached)
    }

    /// The effect of a cancellation on a continuation that is (or is not) anchored.
    pub fn cancelled(anchored: bool) -> Lifecycle {
        if anchored {
            Lifecycle::Detached
        } else {
            Lifecycle::Dropped
        }
    }
}
