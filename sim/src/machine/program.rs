//! What a lowered protocol hands the machine: code, the world's layout, the actors a scenario
//! runs, and the properties to judge. Nothing here names a protocol: a program is data.

use crate::model::Property;

use super::op::Op;

/// A time that never comes (a timer that is not set), in slot units.
pub const NEVER: i64 = i64::MAX;

/// Symbols the machine itself interprets: the outcomes of a modelled unit of work and the
/// error a failed one throws. A program's symbol table starts with these, in this order.
pub mod sym {
    pub const OK: i64 = 0;
    pub const FAIL: i64 = 1;
    pub const HANG: i64 = 2;
    pub const THROW_SYNC: i64 = 3;
    pub const CANCELLED: i64 = 4;
    pub const FAILED: i64 = 5;
    /// The fixed symbols' names, in id order.
    pub const NAMES: [&str; 6] = ["ok", "fail", "hang", "throw-sync", "cancelled", "failed"];
}

/// How a slot's value reads in a timeline.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SlotKind {
    Int,
    /// Milliseconds.
    Dur,
    Bool,
    Sym,
    /// An actor index.
    Actor,
    /// The tag of an option (1: some); shown through the payload it guards.
    Tag,
    /// A file name (see [`super::os`]).
    Name,
    /// The first component of a path: shown as the whole path (its other components are
    /// `Name` slots that are not shown).
    Path,
}

/// One slot of a layout: its name in the protocol's terms (`cells[0].owner`).
#[derive(Clone, Debug)]
pub struct Slot {
    pub name: String,
    pub kind: SlotKind,
    /// The offset (in the same layout) of the tag of the option this slot is the payload of.
    pub tag: Option<u32>,
    /// Ghost state: kept for judging properties, never read by the protocol's logic.
    pub ghost: bool,
    /// Shown in timelines (shared state and actor variables; not a function's temporaries).
    pub shown: bool,
}

/// A try-with-finally's completion code while a dropped task's destructors run through it
/// (`platform tokio`): its end goes on to the next enclosing `finally` instead of resuming.
pub const DROPPED: i64 = -1;

/// What the runtime does to `finally` when the environment acts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Platform {
    /// Cloudflare workerd: a cancelled request's continuation is dropped at its await point
    /// and no `finally` runs, unless its work was anchored (`waitUntil`).
    Workerd,
    /// Node.js processes: requests are not cancelled; a kill runs nothing.
    Node,
    /// Rust's tokio: a cancelled task's future is dropped at its await point, and dropping
    /// runs its destructors: every `finally` enclosing that point runs at once, innermost
    /// first, as the drop guards they model (a `finally` cannot await here, as a `Drop` cannot),
    /// and nothing else of the task runs, unless its work was spawned (`anchor()`).
    Tokio,
}

/// One kind of actor the protocol declares.
#[derive(Clone, Debug)]
pub struct Kind {
    pub name: String,
    /// First instruction of the actor's body.
    pub entry: u32,
    /// Parameter names (the scenario's keys), in declaration order, and how their values read.
    pub params: Vec<String>,
    pub param_kinds: Vec<SlotKind>,
    /// Choice slots in each actor's block: one per parameter some actor of the kind leaves
    /// open (see [`Instance::choice`]).
    pub choices: u32,
    /// The kind's slots after the header and the parameters' choice slots.
    pub locals: Vec<Slot>,
    /// `abort when COND`: the code of a condition (ends with [`super::op::Op::End`]) under
    /// which the platform aborts an actor of this kind that stands at an await point, as
    /// workerd aborts every IoContext subscribed to a rejected abort promise: an urgent move
    /// of its own ([`super::model::Move::Abort`]) that drops the continuation (no `finally`,
    /// anchored work included) and ends the actor failed.
    pub abort_when: Option<u32>,
}

/// A scenario's value of one actor parameter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ParamValue {
    Fixed(i64),
    /// Left open: chosen by the explorer the first time the actor reads it.
    Open(Vec<i64>),
}

/// One actor of the scenario.
#[derive(Clone, Debug)]
pub struct Instance {
    pub name: String,
    pub kind: u16,
    pub params: Vec<ParamValue>,
    /// Per parameter: its choice slot in the block (after the header), if it may be open.
    pub choice: Vec<Option<u32>>,
    /// Candidate arrival instants, ascending, without repeats (one: it arrives then).
    pub arrive: Vec<i64>,
    /// Cancelled at this instant (at its next await point).
    pub cancel_at: Option<i64>,
    /// May be cancelled at any await point inside this window (inclusive), within the
    /// scenario's cancellation budget.
    pub cancel_window: Option<(i64, i64)>,
    /// Cancelled when it reaches one of these marks (bit `i`: mark `i`).
    pub cancel_marks: u64,
    /// The process it is (`platform node`; zeros elsewhere).
    pub process: Process,
    /// Paused (SIGSTOP) for `pause_ms` at its first await at or after this instant, or when it
    /// reaches one of these marks.
    pub pause_at: Option<i64>,
    pub pause_marks: u64,
    pub pause_ms: i64,
    /// May be paused at any await point, within the program's pause budget.
    pub pausable: bool,
}

/// An actor's process: what `pid()`, `host()`, `kill(pid, 0)` and its clock see.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Process {
    pub pid: i64,
    /// The host's index in the scenario (processes of one host share a pid namespace).
    pub host: i64,
    pub uid: i64,
    /// The host clock's offset from the virtual clock, in ms (signed: a host may run behind).
    pub skew: i64,
    /// What `hostname()` answers: an index into the scenario's distinct hostnames (two hosts
    /// may share one: containers in distinct pid namespaces).
    pub hostname: i64,
    /// Once this process is dead, from this instant its pid belongs to an unrelated live
    /// process of uid `reuse_uid` (`None`: never reused).
    pub reuse_at: Option<i64>,
    pub reuse_uid: i64,
}

/// When a property is judged, and how its code answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Form {
    /// The code pushes a boolean: whether the world satisfies the property.
    Safety,
    /// The code pushes the earliest deadline among the obligations that are open in the world
    /// (`NEVER` when none is); the property is violated once the clock passes it, and the
    /// clock stops there so the violation is seen at that instant.
    Deadline,
    /// Like `Safety`, judged only when a run has ended (nothing can move any more).
    AtEnd,
}

/// A property as the machine judges it.
#[derive(Clone, Debug)]
pub struct Prop {
    pub property: Property,
    pub form: Form,
    /// First instruction of its code (ends with [`Op::End`]).
    pub code: u32,
    /// The property as the file writes it, for explanations.
    pub source: String,
    /// A bounded liveness property's obligations one by one, in its bindings' order: which
    /// binding is overdue is what an explanation names (the judging code above only keeps the
    /// earliest deadline). Empty for the other forms.
    pub obligations: Vec<Obligation>,
}

/// One combination of a liveness property's bindings (`r = C, l = 0`) and the code that pushes
/// its deadline while it is open, `NEVER` while it is not.
#[derive(Clone, Debug)]
pub struct Obligation {
    pub binding: String,
    pub code: u32,
}

/// Where an instruction came from, for timelines and runtime errors.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Origin {
    pub line: u32,
    pub col: u32,
}

/// A lowered protocol bound to one scenario and variant.
#[derive(Clone, Debug)]
pub struct Program {
    pub ops: Vec<Op>,
    /// The source position of each instruction.
    pub origins: Vec<Origin>,
    /// The shared (and ghost) state's layout and initial values.
    pub shared: Vec<Slot>,
    pub shared_init: Vec<i64>,
    pub kinds: Vec<Kind>,
    pub actors: Vec<Instance>,
    /// The scenario's properties, in its `[check]` order.
    pub props: Vec<Prop>,
    /// Code that judges every property in one pass: it ends with the index of the first
    /// violated one, or -1 (`None` when there is no property).
    pub check_all: Option<u32>,
    pub syms: Vec<String>,
    pub marks: Vec<String>,
    /// Messages of runtime errors ([`Op::Fail`], [`Op::Unwrap`]).
    pub messages: Vec<String>,
    pub platform: Platform,
    /// Optional cancellations allowed in one run (`[faults] cancels_max`).
    pub cancels_max: i64,
    /// Optional pauses allowed in one run, and how long each lasts (`[faults] pauses_max`,
    /// `pause_ms`).
    pub pauses_max: i64,
    pub pause_ms: i64,
    /// Shared slots that hold actor indices, each with its option tag slot if any: symmetry
    /// hashes them as the block of the actor they name.
    pub actor_refs: Vec<(u32, Option<u32>)>,
    /// Whether actors of one kind with identical scenario values are interchangeable
    /// (symmetry reduction may merge worlds that differ by permuting them). False when an
    /// actor's own slots can name another actor.
    pub symmetric: bool,
    /// The protocol file, for locations in messages (`path`).
    pub path: String,
    /// The file system and process table, when the program makes system calls.
    pub os: Option<super::os::Os>,
    /// A reachability search's target: passing this mark, or (`Throws`) an actor ending with
    /// an uncaught throw, sets the world's reached slot (see [`Program::reached_slot`]).
    pub reach: Option<Reach>,
    /// Platform tokio: for each instruction, the innermost `finally` enclosing it, as its
    /// completion slot (an offset in the actor's block) and its first instruction: where a
    /// cancellation of an actor standing there goes (empty on the other platforms).
    pub drops: Vec<Option<(u32, u32)>>,
}

/// What a reachability search looks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reach {
    Mark(u32),
    Throws,
}

impl Program {
    /// Where the actors' blocks end in the world (the tail begins).
    pub fn blocks_end(&self) -> usize {
        let mut at = super::layout::W_HEADER + self.shared.len();
        for inst in &self.actors {
            let kind = &self.kinds[usize::from(inst.kind)];
            at += super::layout::B_HEADER + kind.choices as usize + kind.locals.len();
        }
        at
    }

    /// The tail slot counting optional pauses (when the program allows them).
    pub fn pauses_slot(&self) -> Option<usize> {
        (self.pauses_max > 0).then(|| self.blocks_end())
    }

    /// The tail slot a reachability search sets when its target is reached.
    pub fn reached_slot(&self) -> Option<usize> {
        self.reach
            .map(|_| self.blocks_end() + usize::from(self.pauses_max > 0))
    }

    /// This program searching for `target`: its only property is "`target` is never reached"
    /// (a violation is a witness).
    /// The same program judging only the properties named `ids`, in that order (ids it does
    /// not judge are left out): one invariant's own search (`check --each-invariant`).
    pub fn restricted(&self, ids: &[&str]) -> Program {
        let mut p = self.clone();
        p.props = ids
            .iter()
            .filter_map(|id| self.props.iter().find(|q| q.property.id == *id).cloned())
            .collect();
        p.check_all = None;
        p
    }

    pub fn reaching(&self, target: Reach, property: crate::model::Property) -> Program {
        let mut p = self.clone();
        p.reach = Some(target);
        let code = p.ops.len() as u32;
        let slot = p.reached_slot().expect("a reachability search") as u32;
        for op in [
            super::op::Op::Load(slot),
            super::op::Op::Not,
            super::op::Op::End,
        ] {
            p.ops.push(op);
            p.origins.push(Origin::default());
        }
        p.props = vec![Prop {
            property,
            form: Form::Safety,
            code,
            source: format!("never {}", property.id),
            obligations: Vec::new(),
        }];
        p.check_all = None;
        p
    }
}

impl Program {
    /// The location `file:line:col` of instruction `pc`.
    pub fn location(&self, pc: usize) -> String {
        let o = self.origins.get(pc).copied().unwrap_or_default();
        format!("{}:{}:{}", self.path, o.line, o.col)
    }
}
