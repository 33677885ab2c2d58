//! Where things live in a machine world: one flat vector of `i64` slots.
//!
//! ```text
//! [ now | cancels | error | error pc | error actor | shared slots ... | actor 0 block | actor 1 block | ... | tail ]
//! actor block: [ pc | status | wake | life | flags | arrival | one choice slot per parameter | locals ... ]
//! tail: [ pauses taken, when the program allows pauses | reached, in a reachability search ]
//!
//! The tail holds what only some programs need, so that the others' worlds stay as small.
//! ```
//!
//! One vector, so a successor is one copy into a reused buffer, a fingerprint is one pass over
//! words, and equality is slice equality: the encoding is exact.

/// World header.
pub const W_NOW: usize = 0;
/// Optional cancellations taken so far.
pub const W_CANCELS: usize = 1;
/// A runtime error: its message index + 1 (0: none), the instruction and the actor.
pub const W_ERROR: usize = 2;
pub const W_ERROR_PC: usize = 3;
pub const W_ERROR_ACTOR: usize = 4;
pub const W_HEADER: usize = 5;

/// Actor block header.
pub const B_PC: usize = 0;
pub const B_STATUS: usize = 1;
pub const B_WAKE: usize = 2;
pub const B_LIFE: usize = 3;
pub const B_FLAGS: usize = 4;
/// Index of the actor's next candidate arrival instant.
pub const B_ARRIVE: usize = 5;
pub const B_HEADER: usize = 6;

/// Not arrived yet.
pub const ST_NEW: i64 = 0;
/// At an await point; runs when the clock reaches its wake time.
pub const ST_READY: i64 = 1;
/// At an `await until`: runs when its condition holds (`pc` is the `Until`).
pub const ST_UNTIL: i64 = 2;
/// Inside a step, waiting for the explorer to choose an open parameter (`pc` is the
/// `Resolve`); nothing else may move before it.
pub const ST_CHOICE: i64 = 3;
/// Returned (this and [`ST_FAILED`] are the highest statuses: `r.done` is `status >= ST_DONE`).
pub const ST_DONE: i64 = 5;
/// Ended by an uncaught throw.
pub const ST_FAILED: i64 = 6;
/// Inside a call into a nested protocol (`Op::Enter`): its wake slot holds the instance key;
/// the host resumes it when the call returns.
pub const ST_GUEST: i64 = 4;

/// Flags.
pub const F_ANCHORED: i64 = 1;
pub const F_CANCELLED: i64 = 2;
/// Stopped at a mark the scenario cancels it at: the cancellation lands before it goes on.
pub const F_AT_MARK: i64 = 4;
/// Its scripted pause (`pause_at_ms`) happened.
pub const F_PAUSED: i64 = 8;
/// It was paused at least once (`r.paused`).
pub const F_STOPPED: i64 = 16;
/// Its call into a nested protocol has been admitted there.
pub const F_ADMITTED: i64 = 32;

/// A choice slot whose value is not chosen yet.
pub const UNCHOSEN: i64 = -1;

/// Runtime errors the machine itself detects (message indices every program starts with).
pub const E_OVERFLOW: u32 = 0;
pub const E_DIVIDE: u32 = 1;
pub const E_INDEX: u32 = 2;
pub const E_NEGATIVE_WAIT: u32 = 3;
pub const E_NOT_ACTOR: u32 = 4;
pub const E_ENDLESS: u32 = 5;
pub const E_REPEATS: u32 = 6;
pub const E_SECOND_OPEN: u32 = 7;
/// Their messages, in index order.
pub const BUILTIN_MESSAGES: [&str; 8] = [
    "arithmetic overflow",
    "division by zero",
    "index out of range",
    "a negative duration to wait",
    "not an actor",
    "a step went round its loops 100000 times without reaching an await (an endless loop?)",
    "a step's loop came back to a state it had already been in, with no await in it: an endless loop",
    "a second `open` while the process still holds a file open (one at a time: `write` or `close` the first)",
];

/// Backward jumps one step may take: a loop with no await in it would otherwise never end.
pub const LOOPS_MAX: u32 = 100_000;
