//! Name resolution, type checking and lowering, in one pass: a variant of a protocol file and
//! a scenario's values in, a [`Program`] for the kernel's machine out.
//!
//! **Why one pass.** The checks and the code follow the same walk of the tree, so they cannot
//! disagree. Checking a file on its own ([`super::check`]) runs the same pass with every
//! parameter at its default and one actor of each kind.
//!
//! **What the lowering decides** (docs/language.md says it for users):
//! - Functions are inlined at each call; a function may appear at most [`RECURSION_MAX`]
//!   times in one chain of calls, deeper is a runtime error. A function with an expression
//!   body (`fn f(x) = ...`) is pure and substituted by name; one with a block is a procedure,
//!   called as a statement.
//! - Constants, parameters and expressions over them are folded; an `if` on a constant
//!   compiles only the branch taken (both are checked).
//! - An actor parameter a scenario leaves open is resolved at the start of the statement that
//!   reads it: the explorer chooses it there, and the statement runs with the value.
//! - Locals are zeroed when their scope ends (on every path out), so two worlds that differ
//!   only in dead values are one world.

mod code;
mod collections;
mod decl;
mod expr;
pub mod ghost;
mod os;
mod props;
mod stmt;

use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;
use std::sync::Arc;

use lockstep_sim::machine::layout::BUILTIN_MESSAGES;
use lockstep_sim::machine::{sym, Instance, Kind, Op, Origin, Platform, Program, Slot};

use super::ast::{self, Expr, File};
use super::diag::{Diag, Result};
use super::lexer::Span;
use super::types::Ty;

pub use decl::{
    assume_prefix as decl_assume_prefix, scenario_key, ActorParamDecl, KindDecl, ParamDecl,
    ASSUME_PREFIX, VALUE_PREFIX,
};

/// How deep calls (inlined) and definitions (constants, types) may nest: every pass over
/// them recurses, and no file may exhaust the stack.
pub const DEPTH_MAX: usize = 64;

/// How many times one function may appear in one chain of calls (recursion is unrolled).
pub const RECURSION_MAX: usize = 3;
/// Most instructions a program may have (inlining can multiply code).
pub const OPS_MAX: usize = 200_000;

/// A scenario value of a parameter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scalar {
    Int(i64),
    Bool(bool),
    Sym(String),
    /// A `list[T; N]` parameter's value: the scenario's array, in order.
    List(Vec<Scalar>),
}

/// A scenario's value of one actor parameter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ParamSpec {
    Fixed(Scalar),
    /// Left open: chosen the first time the actor reads it.
    Open(Vec<Scalar>),
}

/// One actor of a scenario, as the lowering needs it.
#[derive(Clone, Debug, Default)]
pub struct ActorSpec {
    pub name: String,
    pub kind: String,
    /// By the parameter's name in the file; a missing one takes its default.
    pub params: BTreeMap<String, ParamSpec>,
    pub arrive: Vec<i64>,
    pub cancel_at: Option<i64>,
    pub cancel_window: Option<(i64, i64)>,
    pub cancel_marks: Vec<String>,
    /// The process it is (`platform node`): pid, host index, uid, host clock skew.
    pub process: lockstep_sim::machine::Process,
    /// A scripted pause (`platform node`): at an instant or at marks, for `pause_ms`.
    pub pause_at: Option<i64>,
    pub pause_marks: Vec<String>,
    pub pause_ms: i64,
    /// May be paused at any await point (within `[faults] pauses_max`).
    pub pausable: bool,
}

/// What a scenario binds: parameter values, actors, the properties to check.
#[derive(Clone, Debug, Default)]
pub struct Instantiation {
    pub params: BTreeMap<String, Scalar>,
    pub actors: Vec<ActorSpec>,
    /// Invariant and liveness names, in the scenario's `[check]` order.
    pub checks: Vec<String>,
    pub cancels_max: i64,
    /// Optional pauses in one run, and their length.
    pub pauses_max: i64,
    pub pause_ms: i64,
    /// How many calls each of the scenario's syscall faults fails (its counter's initial
    /// value; the binding resolves what each names after lowering).
    pub syscall_faults: Vec<i64>,
    /// The scenario names a variant of the file's module: `await NAME(key)` calls into it
    /// (without one, such a call is a runtime error that says what to add).
    pub nested: bool,
    /// Every mark of the file, in order ([`crate::lang::Protocol::lower`] fills it): each
    /// variant numbers the marks alike, so a scenario's fault at a mark only another variant
    /// passes keeps its bit, never fires here, and is reported as never fired.
    pub marks: Vec<String>,
}

/// A variable in the world: where it is, its type, whether it is ghost state.
#[derive(Clone, Debug)]
struct Var {
    off: usize,
    ty: Ty,
    ghost: bool,
    key: VarKey,
    /// Never written (found by the first pass): not in the world; reads are this value.
    constant: Option<Rc<Vec<i64>>>,
    /// Only read and written at positions known when compiling (the first pass): only the
    /// slots some code writes are in the world. Per slot of the variable: its place in its
    /// space (shared state, or the actor's block), or `None` for a slot that keeps its
    /// initial value.
    sparse: Option<Sparse>,
}

/// The layout of a sparse variable.
#[derive(Clone, Debug)]
pub(super) struct Sparse {
    pub map: Rc<Vec<Option<u32>>>,
    pub init: Rc<Vec<i64>>,
}

/// A variable, for recording which of its slots the code writes.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum VarKey {
    Shared(String),
    Actor(u16, String),
}

/// Where a sparse variable's slots go.
#[derive(Clone, Copy)]
pub(super) enum SparseOut {
    Shared,
    Kind(u16),
}

/// What the first lowering pass learns about the state: which slots are ever written, and
/// which variables are indexed by values known only at run time.
#[derive(Clone, Debug, Default)]
pub struct Usage {
    /// Whether the code makes a system call (the file system stays in the world).
    os: bool,
    written: BTreeSet<(VarKey, u32)>,
    dyn_written: BTreeSet<VarKey>,
    dynamic: BTreeSet<VarKey>,
}

impl Usage {
    /// A variable no code writes and no code indexes at run time: a constant.
    fn constant(&self, key: &VarKey) -> bool {
        !self.dynamic.contains(key)
            && !self.dyn_written.contains(key)
            && self
                .written
                .range((key.clone(), 0)..=(key.clone(), u32::MAX))
                .next()
                .is_none()
    }

    /// Slots `off..off + n` of a variable that no code writes.
    fn unwritten(&self, key: &VarKey, off: u32, n: usize) -> bool {
        !self.dyn_written.contains(key)
            && (off..off + n as u32).all(|i| !self.written.contains(&(key.clone(), i)))
    }
}

/// What a name in a scope stands for.
#[derive(Clone, Debug)]
enum Bind<'f> {
    /// A local: slot `off` of the running actor's block.
    Local { off: u32, ty: Ty, ghost: bool },
    /// A value known when compiling (a quantifier's variable, a folded constant).
    Value { ty: Ty, vals: Vec<i64> },
    /// A `let` no later code reads: it has no slot, and assignments to it are dropped.
    Dead,
    /// A pure function's argument: the caller's expression, resolved in the caller's scopes.
    Subst {
        expr: &'f Expr,
        /// The caller's scope when it called: the argument's names resolve there.
        scope: Option<usize>,
        ghost: bool,
        owner: Option<u16>,
    },
}

struct Scope<'f> {
    names: Vec<(String, Bind<'f>)>,
    /// The scope whose names are visible from this one (`None` for a function body: only
    /// globals).
    parent: Option<usize>,
    /// The current scope when this one was pushed (restored when it is popped).
    prev: Option<usize>,
    /// The running actor's next free local when the scope began.
    local_mark: u32,
}

/// A compile-time value's type and slots.
#[derive(Clone, Debug)]
struct Val {
    ty: Ty,
    vals: Vec<i64>,
}

/// A label to jump to, and the instructions waiting for its address.
#[derive(Default)]
struct Label {
    target: Option<u32>,
    patches: Vec<usize>,
}

/// What encloses the code being compiled, innermost last.
#[derive(Clone, Debug)]
enum Frame {
    Loop {
        brk: usize,
        cont: usize,
        mark: u32,
    },
    /// An inlined procedure (or the actor's body): where `return` goes.
    Body {
        exit: usize,
        ret: Option<(u32, Ty)>,
        mark: u32,
        actor_body: bool,
        /// The caller discards the result: `return e` evaluates `e` and drops it.
        discard: bool,
    },
    Try {
        /// Where a throw in the region goes (a catch, or the finally's landing pad), if any.
        handler: Option<(usize, u32)>,
        /// The try-with-finally's completion slot and finally entry, while in its body or
        /// catch; jumps out go through the finally.
        finally: Option<(u32, usize)>,
        mark: u32,
        /// Jumps out that went through the finally, by completion code (2, 3, ...).
        pending: Rc<std::cell::RefCell<Vec<Jump>>>,
    },
    Ghost,
}

/// Where a jump out of a region goes.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Jump {
    Break(usize),
    Continue(usize),
    /// Return from the body frame at this depth of the frame stack.
    Return(usize),
}

/// What a call of a procedure or a system call does with its result (statements and the
/// system calls both call; neither owns the other).
#[derive(Clone, Debug)]
enum Want {
    /// Leave it on the stack.
    Value,
    /// Drop it: no slot is kept for it.
    Discard,
    /// Write it into this slot (a caller's own result: `return f(...)`).
    Into(u32, Ty),
}

/// The actor code being compiled.
struct Code {
    kind: u16,
    next_local: u32,
    max_local: u32,
    frames: Vec<Frame>,
}

pub struct Compiler<'f> {
    file: &'f File,
    text: &'f str,
    inst: &'f Instantiation,
    platform: Platform,
    types: BTreeMap<String, &'f ast::Type>,
    type_cache: BTreeMap<String, Ty>,
    consts: BTreeMap<String, &'f ast::Item>,
    const_vals: BTreeMap<String, Val>,
    params: BTreeMap<String, ParamDecl<'f>>,
    param_vals: BTreeMap<String, Val>,
    evaluating: BTreeSet<String>,
    shared: BTreeMap<String, Var>,
    shared_slots: Vec<Slot>,
    shared_init: Vec<i64>,
    shared_ty: Vec<(String, Ty)>,
    fns: BTreeMap<String, (&'f ast::FnDef, Option<u16>)>,
    kinds: Vec<KindDecl<'f>>,
    instances_of: Vec<Vec<usize>>,
    syms: Vec<String>,
    marks: Vec<String>,
    messages: Vec<String>,
    ops: Vec<Op>,
    origins: Vec<Origin>,
    /// Platform tokio: each instruction's innermost enclosing `finally` (completion slot,
    /// entry label), in step with `ops` (see [`Program::drops`]).
    drops: Vec<Option<(u32, usize)>>,
    line_starts: Vec<usize>,
    labels: Vec<Label>,
    /// Every unresolved jump emitted, in order (instruction, label): truncation undoes the
    /// tail of it instead of scanning every label.
    pending: Vec<(usize, usize)>,
    actor_fixups: Vec<(usize, usize, u32)>,
    scopes: Vec<Scope<'f>>,
    /// The scope names are looked up from (a pure function's argument switches to its
    /// caller's).
    cur: Option<usize>,
    code: Option<Code>,
    ghost: bool,
    can_await: bool,
    /// Folding: names of state are refused.
    const_only: bool,
    inline_counts: BTreeMap<String, usize>,
    /// Whose variables and parameters the code being compiled sees (the actor kind of the body
    /// or function it is in; `None` in global functions, constants and properties).
    owners: Vec<Option<u16>>,
    /// Lowering to check the file alone (defaults): assumptions tied to a property are skipped.
    pub checking_file: bool,
    /// Names the checked properties depend on (`None`: all): assignments to other ghost
    /// variables are dropped (see [`ghost`]).
    live: Option<BTreeSet<String>>,
    /// What this pass sees the code write.
    usage: Usage,
    /// What the first pass saw (second pass only).
    prior: Option<Usage>,
    /// Inside code compiled only to be checked (a branch a constant condition never takes):
    /// it may touch state the first pass found constant.
    discarding: u32,
    /// Uses of each mark, by name, for unreached-code reports and fault checks.
    mark_spans: BTreeMap<String, Span>,
    /// Inside code that may only read (an `await until` condition, an expression function):
    /// a list's or a map's changing methods are refused.
    read_only: u32,
    /// The code of the actor kind being compiled's `abort when` condition, once compiled.
    abort_when: Option<u32>,
    /// The file's `module` names (`await NAME(key)` calls into one).
    modules: Vec<String>,
    /// Name stems of paths and names (index 0 is stem 1).
    names: Vec<String>,
    /// The file system's place, when the program has one.
    os: Option<lockstep_sim::machine::os::Os>,
}

/// Marker message of a name that is state where a constant was needed.
const NOT_CONST: &str = "\u{0}not-constant";

fn not_const(e: &Diag) -> bool {
    e.message == NOT_CONST
}

impl<'f> Compiler<'f> {
    pub fn new(file: &'f File, text: &'f str, inst: &'f Instantiation) -> Result<Compiler<'f>> {
        Compiler::new_with(file, text, inst, None)
    }

    fn new_with(
        file: &'f File,
        text: &'f str,
        inst: &'f Instantiation,
        prior: Option<Usage>,
    ) -> Result<Compiler<'f>> {
        let platform = match file.platform.text.as_str() {
            "workerd" => Platform::Workerd,
            "node" => Platform::Node,
            "tokio" => Platform::Tokio,
            other => {
                return Err(Diag::new(
                    file.platform.span.clone(),
                    format!("unknown platform `{other}`"),
                )
                .help("the platforms are `workerd` (cancel drops the continuation; finally runs only for anchored work), `node` (processes; no cancellation) and `tokio` (cancel drops the future; its finally blocks run as drop guards)"))
            }
        };
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        let mut c = Compiler {
            file,
            text,
            inst,
            platform,
            types: BTreeMap::new(),
            type_cache: BTreeMap::new(),
            consts: BTreeMap::new(),
            const_vals: BTreeMap::new(),
            params: BTreeMap::new(),
            param_vals: BTreeMap::new(),
            evaluating: BTreeSet::new(),
            shared: BTreeMap::new(),
            shared_slots: Vec::new(),
            shared_init: Vec::new(),
            shared_ty: Vec::new(),
            fns: BTreeMap::new(),
            kinds: Vec::new(),
            instances_of: Vec::new(),
            syms: sym::NAMES.iter().map(|s| s.to_string()).collect(),
            marks: inst.marks.clone(),
            messages: BUILTIN_MESSAGES.iter().map(|s| s.to_string()).collect(),
            ops: Vec::new(),
            origins: Vec::new(),
            drops: Vec::new(),
            line_starts,
            labels: Vec::new(),
            pending: Vec::new(),
            actor_fixups: Vec::new(),
            scopes: Vec::new(),
            cur: None,
            code: None,
            ghost: false,
            can_await: false,
            const_only: false,
            inline_counts: BTreeMap::new(),
            owners: Vec::new(),
            checking_file: false,
            live: None,
            usage: Usage::default(),
            prior,
            discarding: 0,
            mark_spans: BTreeMap::new(),
            read_only: 0,
            abort_when: None,
            modules: file
                .items
                .iter()
                .filter_map(|i| match &i.kind {
                    ast::ItemKind::Module { name, .. } => Some(name.text.clone()),
                    _ => None,
                })
                .collect(),
            names: Vec::new(),
            os: None,
        };
        c.declare()?;
        Ok(c)
    }

    /// Lowers the file (already a single variant) for the instantiation.
    pub fn program(self, path: &str) -> Result<Program> {
        Ok(self.program_and_usage(path)?.0)
    }

    fn program_and_usage(mut self, path: &str) -> Result<(Program, Usage)> {
        if !self.checking_file {
            self.live = Some(ghost::live_names(self.file, &self.inst.checks));
        }
        self.bind_instances()?;
        self.declare_shared()?;
        self.declare_os();
        self.check_assumptions()?;
        let mut kinds = Vec::new();
        for k in 0..self.kinds.len() {
            kinds.push(self.compile_kind(k as u16)?);
        }
        let (props, check_all) = self.compile_props()?;
        if self.ops.len() > OPS_MAX {
            return Err(Diag::new(
                self.file.name.span.clone(),
                format!(
                    "the protocol lowers to {} instructions, more than the {OPS_MAX} supported",
                    self.ops.len()
                ),
            )
            .help("functions are inlined at every call: call large functions from fewer places"));
        }
        let actors = self.instances(&kinds)?;
        self.fix_actor_addresses(&kinds, &actors);
        // Processes differ by pid and files name them: no two are interchangeable.
        let symmetric = !self.kinds.iter().any(|k| k.has_actor_slots()) && self.os.is_none();
        let actor_refs = self.actor_ref_slots();
        let usage = std::mem::take(&mut self.usage);
        let drops = self
            .drops
            .iter()
            .map(|d| {
                d.map(|(comp, entry)| {
                    (
                        comp,
                        self.labels[entry]
                            .target
                            .expect("a finally's entry is placed"),
                    )
                })
            })
            .collect();
        let mut program = Program {
            check_all,
            drops,
            ops: self.ops,
            origins: self.origins,
            shared: self.shared_slots,
            shared_init: self.shared_init,
            kinds,
            actors,
            props,
            syms: self.syms,
            marks: self.marks,
            messages: self.messages,
            platform: self.platform,
            cancels_max: self.inst.cancels_max,
            pauses_max: self.inst.pauses_max,
            pause_ms: self.inst.pause_ms,
            actor_refs,
            symmetric,
            path: path.to_string(),
            os: self.os.take().map(|mut os| {
                os.names = std::mem::take(&mut self.names);
                os
            }),
            reach: None,
        };
        lockstep_sim::machine::fuse::fuse(&mut program);
        if let Err((why, pc)) =
            lockstep_sim::machine::verify::max_depth(&program, lockstep_sim::machine::exec::STACK)
        {
            // At the code that needs the slots (its line and column), else at the protocol.
            let span = program
                .origins
                .get(pc)
                .and_then(|o| offset_of(&self.line_starts, self.text, *o))
                .map_or(self.file.name.span.clone(), |at| at..at + 1);
            return Err(Diag::new(span, why)
                .help("split large expressions (whole arrays and records compared at once) into smaller ones"));
        }
        Ok((program, usage))
    }

    fn origin(&self, span: &Span) -> Origin {
        let line = match self.line_starts.binary_search(&span.start) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        let col = self.text[self.line_starts[line]..span.start.min(self.text.len())]
            .chars()
            .count();
        Origin {
            line: line as u32 + 1,
            col: col as u32 + 1,
        }
    }

    /// Interns a symbol.
    fn sym(&mut self, s: &str) -> i64 {
        match self.syms.iter().position(|x| x == s) {
            Some(i) => i as i64,
            None => {
                self.syms.push(s.to_string());
                (self.syms.len() - 1) as i64
            }
        }
    }

    fn mark_id(&mut self, name: &str) -> u32 {
        match self.marks.iter().position(|x| x == name) {
            Some(i) => i as u32,
            None => {
                self.marks.push(name.to_string());
                (self.marks.len() - 1) as u32
            }
        }
    }

    /// A runtime error message for code at `span` (the report locates the instruction).
    fn message(&mut self, span: &Span, text: &str) -> u32 {
        let _ = span;
        if let Some(i) = self.messages.iter().position(|m| m == text) {
            return i as u32;
        }
        self.messages.push(text.to_string());
        (self.messages.len() - 1) as u32
    }

    /// Resolves a type written in the file.
    fn ty(&mut self, t: &'f ast::Type) -> Result<Ty> {
        use ast::TypeKind as K;
        Ok(match &t.kind {
            K::Int => Ty::Int,
            K::Dur => Ty::Dur,
            K::Bool => Ty::Bool,
            K::Sym => Ty::Sym,
            K::Actor => Ty::Actor(None),
            K::Named(n) => {
                if let Some(k) = self.kinds.iter().position(|k| &k.name == n) {
                    return Ok(Ty::Actor(Some(k as u16)));
                }
                if !self.types.contains_key(n) && (n == "path" || n == "name") {
                    return Ok(if n == "path" { Ty::Path } else { Ty::Name });
                }
                if let Some(t) = self.type_cache.get(n) {
                    return Ok(t.clone());
                }
                let Some(&def) = self.types.get(n) else {
                    return Err(Diag::new(t.span.clone(), format!("unknown type `{n}`"))
                        .help("the types are int, dur, bool, sym, actor, an actor kind, or a `type` the file declares"));
                };
                if !self.evaluating.insert(format!("type {n}")) {
                    return Err(Diag::new(
                        t.span.clone(),
                        format!("type `{n}` contains itself"),
                    ));
                }
                if self.evaluating.len() > DEPTH_MAX {
                    return Err(Diag::new(
                        t.span.clone(),
                        format!("constants and types defined through more than {DEPTH_MAX} others"),
                    )
                    .help("define some of them directly"));
                }
                let r = self.ty(def)?;
                self.evaluating.remove(&format!("type {n}"));
                self.type_cache.insert(n.clone(), r.clone());
                r
            }
            K::Record(fields) => {
                let mut v: Vec<(String, Ty)> = Vec::new();
                for (n, ft) in fields {
                    if v.iter().any(|(x, _)| x == &n.text) {
                        return Err(Diag::new(
                            n.span.clone(),
                            format!("field `{}` is declared twice", n.text),
                        ));
                    }
                    v.push((n.text.clone(), self.ty(ft)?));
                }
                Ty::Record(Rc::new(v))
            }
            K::Array(elem, len) => {
                let e = self.ty(elem)?;
                let n = self.const_int(len, "an array's length")?;
                if !(1..=1024).contains(&n) {
                    return Err(Diag::new(
                        len.span.clone(),
                        format!("an array of {n} elements: lengths are 1 to 1024"),
                    ));
                }
                Ty::Array(Rc::new(e), n as usize)
            }
            K::List(elem, cap) => {
                let e = self.element_ty(elem, "a list's elements")?;
                let n = self.capacity(cap)?;
                Ty::List(Rc::new(e), n)
            }
            K::Map(key, value, cap) => {
                let k = self.element_ty(key, "a map's keys")?;
                let v = self.element_ty(value, "a map's values")?;
                let n = self.capacity(cap)?;
                Ty::Map(Rc::new(k), Rc::new(v), n)
            }
            K::Option(inner) => {
                let i = self.ty(inner)?;
                if matches!(i, Ty::Option(_)) {
                    return Err(
                        Diag::new(t.span.clone(), "an option of an option").help("write `T?` once")
                    );
                }
                Ty::Option(Rc::new(i))
            }
        })
    }

    /// The type of a list's elements or a map's keys or values: not an option (the methods
    /// return options), not a list or a map.
    fn element_ty(&mut self, t: &'f ast::Type, what: &str) -> Result<Ty> {
        let e = self.ty(t)?;
        if matches!(e, Ty::Option(_) | Ty::List(..) | Ty::Map(..)) {
            return Err(Diag::new(
                t.span.clone(),
                format!("{what} cannot be {}: they are plain values or records", e),
            )
            .help(
                "`pop`, `first` and `get` return options; use a record with a flag, or a symbol",
            ));
        }
        Ok(e)
    }

    /// A list's or a map's capacity.
    fn capacity(&mut self, cap: &'f Expr) -> Result<usize> {
        let n = self.const_int(cap, "a capacity")?;
        if !(1..=256).contains(&n) {
            return Err(Diag::new(
                cap.span.clone(),
                format!("a capacity of {n}: lists and maps hold 1 to 256 elements"),
            )
            .help("every element is part of every explored state: keep capacities small"));
        }
        Ok(n as usize)
    }

    /// An integer known when compiling.
    fn const_int(&mut self, e: &'f Expr, what: &str) -> Result<i64> {
        let v = self.const_value(e, what)?;
        match v.ty {
            Ty::Int => Ok(v.vals[0]),
            other => Err(Diag::new(
                e.span.clone(),
                format!("{what} must be an integer, not {other}"),
            )),
        }
    }

    /// The value of an expression over constants and parameters.
    fn const_value(&mut self, e: &'f Expr, what: &str) -> Result<Val> {
        match self.fold(e, None, true)? {
            Some(v) => Ok(v),
            None => Err(Diag::new(
                e.span.clone(),
                format!("{what} must be known before the run: it may use constants and parameters, not state"),
            )),
        }
    }

    /// [`Self::const_value`] where the value's type is known (`[]` for a list parameter).
    fn typed_const(&mut self, e: &'f Expr, ty: &Ty, what: &str) -> Result<Val> {
        match self.fold(e, Some(ty), true)? {
            Some(v) => Ok(v),
            None => self.const_value(e, what),
        }
    }

    /// Folds `e` if it depends on no state and evaluates without error: its value, or `None`
    /// (an error is left for the run to meet, if it ever does).
    fn try_const(&mut self, e: &'f Expr, expect: Option<&Ty>) -> Result<Option<Val>> {
        self.fold(e, expect, false)
    }

    /// Folds `e`; `strict`: an evaluation error is the file's error (a constant that fails).
    fn fold(&mut self, e: &'f Expr, expect: Option<&Ty>, strict: bool) -> Result<Option<Val>> {
        let start = self.ops.len();
        let saved = std::mem::replace(&mut self.const_only, true);
        let labels = self.labels.len();
        let r = self.expr(e, expect);
        self.const_only = saved;
        let ty = match r {
            Ok(t) => t,
            Err(d) if not_const(&d) => {
                self.truncate(start, labels);
                return Ok(None);
            }
            Err(d) => {
                self.truncate(start, labels);
                return Err(d);
            }
        };
        self.emit(Op::End, &e.span);
        let mut ops = self.ops[start..].to_vec();
        // Jump targets are absolute: rebase them for a standalone run.
        for op in &mut ops {
            match op {
                Op::Jump(t) | Op::JumpIfFalse(t) | Op::JumpIfTrue(t) => *t -= start as u32,
                _ => {}
            }
        }
        self.truncate(start, labels);
        let n = ty.size();
        match lockstep_sim::machine::exec::eval_const(&ops, n) {
            Ok(vals) => Ok(Some(Val { ty, vals })),
            Err(_) if !strict => Ok(None),
            Err(code) => {
                let msg = self
                    .messages
                    .get(code as usize)
                    .cloned()
                    .unwrap_or_default();
                Err(Diag::new(
                    e.span.clone(),
                    format!("this expression fails before the run: {msg}"),
                ))
            }
        }
    }

    fn truncate(&mut self, ops: usize, labels: usize) {
        self.ops.truncate(ops);
        self.origins.truncate(ops);
        self.drops.truncate(ops);
        self.labels.truncate(labels);
        // Fixups are made as their instruction is emitted, so in instruction order.
        while self
            .actor_fixups
            .last()
            .is_some_and(|(op, _, _)| *op >= ops)
        {
            self.actor_fixups.pop();
        }
        // Only the patches made since `ops` go: they are the log's tail (a label placed since
        // has none left to remove).
        while let Some(&(at, label)) = self.pending.last().filter(|(at, _)| *at >= ops) {
            self.pending.pop();
            if let Some(l) = self.labels.get_mut(label)
                && let Some(i) = l.patches.iter().rposition(|&p| p == at)
            {
                l.patches.remove(i);
            }
        }
    }

    /// Refuses a call nested deeper than [`DEPTH_MAX`] calls.
    fn check_call_depth(&self, span: &Span) -> Result<()> {
        let depth: usize = self.inline_counts.values().sum();
        if depth >= DEPTH_MAX {
            return Err(Diag::new(
                span.clone(),
                format!("calls nest more than {DEPTH_MAX} deep"),
            )
            .help("functions calling functions are inlined: flatten the chain"));
        }
        Ok(())
    }

    /// The value a declared constant has.
    fn const_of(&mut self, name: &str, span: &Span) -> Result<Val> {
        if let Some(v) = self.const_vals.get(name) {
            return Ok(v.clone());
        }
        let item = self.consts[name];
        let ast::ItemKind::Const { ty, value, .. } = &item.kind else {
            unreachable!("consts holds constants")
        };
        if !self.evaluating.insert(name.to_string()) {
            return Err(Diag::new(
                span.clone(),
                format!("constant `{name}` is defined in terms of itself"),
            ));
        }
        if self.evaluating.len() > DEPTH_MAX {
            return Err(Diag::new(
                span.clone(),
                format!("constants and types defined through more than {DEPTH_MAX} others"),
            )
            .help("define some of them directly"));
        }
        let want = match ty {
            Some(t) => Some(self.ty(t)?),
            None => None,
        };
        let saved = self.enter_globals();
        let v = self.const_value(value, &format!("constant `{name}`"));
        self.leave_globals(saved);
        let mut v = v?;
        self.evaluating.remove(name);
        if let Some(w) = want {
            v = self.coerce(v, &w, &value.span)?;
        }
        self.const_vals.insert(name.to_string(), v.clone());
        Ok(v)
    }

    /// Converts a folded value to the type a declaration says (wrapping into an option).
    fn coerce(&self, v: Val, want: &Ty, span: &Span) -> Result<Val> {
        if &v.ty == want {
            return Ok(v);
        }
        match want {
            Ty::Option(inner) if v.ty == Ty::NoneLit => Ok(Val {
                ty: want.clone(),
                vals: vec![0; inner.size() + 1],
            }),
            Ty::Option(inner) if inner.accepts(&v.ty) => {
                let mut vals = v.vals;
                vals.push(1);
                Ok(Val {
                    ty: want.clone(),
                    vals,
                })
            }
            _ if want.accepts(&v.ty) => Ok(Val {
                ty: want.clone(),
                vals: v.vals,
            }),
            _ => {
                let d = Diag::new(span.clone(), format!("expected {want}, found {}", v.ty));
                Err(if *want == Ty::Dur && v.ty == Ty::Int {
                    d.help("a duration has a unit: write `300ms`, `15s`, `10min` or `2h`")
                } else {
                    d
                })
            }
        }
    }

    /// Constants, parameters and their defaults are evaluated where only globals are visible.
    fn enter_globals(&mut self) -> (Option<usize>, bool, Option<Code>) {
        self.owners.push(None);
        (
            self.cur.take(),
            std::mem::replace(&mut self.ghost, false),
            self.code.take(),
        )
    }

    fn leave_globals(&mut self, saved: (Option<usize>, bool, Option<Code>)) {
        self.owners.pop();
        self.cur = saved.0;
        self.ghost = saved.1;
        self.code = saved.2;
    }

    /// Shared and ghost variables, laid out in declaration order.
    fn declare_shared(&mut self) -> Result<()> {
        let file = self.file;
        for item in &file.items {
            let ast::ItemKind::Shared {
                ghost,
                name,
                ty,
                init,
            } = &item.kind
            else {
                continue;
            };
            let t = self.ty(ty)?;
            let key = VarKey::Shared(name.text.clone());
            let off = self.shared_init.len();
            let init_vals = match init {
                None => vec![0; t.size()],
                Some(e) => {
                    let saved = self.enter_globals();
                    // Typed by the declaration: a record literal, `[]` or a shorter list.
                    let v = self.typed_const(e, &t, "a shared variable's initial value");
                    self.leave_globals(saved);
                    let v = self.coerce(v?, &t, &e.span)?;
                    v.vals
                }
            };
            if self.prior.as_ref().is_some_and(|u| u.constant(&key)) {
                self.shared.insert(
                    name.text.clone(),
                    Var {
                        off: 0,
                        ty: t,
                        ghost: *ghost,
                        key,
                        constant: Some(Rc::new(init_vals)),
                        sparse: None,
                    },
                );
                continue;
            }
            if let Some(sparse) =
                self.sparse_layout(&key, &t, &name.text, *ghost, &init_vals, SparseOut::Shared)
            {
                self.shared.insert(
                    name.text.clone(),
                    Var {
                        off: 0,
                        ty: t,
                        ghost: *ghost,
                        key,
                        constant: None,
                        sparse: Some(sparse),
                    },
                );
                continue;
            }
            self.shared_init.extend(init_vals);
            let base = self.shared_slots.len();
            t.slots(&name.text, *ghost, true, 0, &mut self.shared_slots);
            debug_assert_eq!(base + t.size(), self.shared_slots.len());
            self.shared_ty.push((name.text.clone(), t.clone()));
            self.shared.insert(
                name.text.clone(),
                Var {
                    off,
                    ty: t,
                    ghost: *ghost,
                    key,
                    constant: None,
                    sparse: None,
                },
            );
        }
        Ok(())
    }

    /// The sparse layout of a variable the first pass saw accessed only at constant
    /// positions: its written slots are appended to `out`'s layout; `None` for a variable
    /// that must stay whole.
    pub(super) fn sparse_layout(
        &mut self,
        key: &VarKey,
        ty: &Ty,
        name: &str,
        ghost: bool,
        init: &[i64],
        out: SparseOut,
    ) -> Option<Sparse> {
        let prior = self.prior.as_ref()?;
        if prior.dynamic.contains(key) || prior.dyn_written.contains(key) {
            return None;
        }
        let mut all = Vec::new();
        ty.slots(name, ghost, true, 0, &mut all);
        let written: Vec<bool> = (0..all.len() as u32)
            .map(|i| prior.written.contains(&(key.clone(), i)))
            .collect();
        let (slots, start) = match out {
            SparseOut::Shared => (&mut self.shared_slots, 0usize),
            SparseOut::Kind(k) => {
                let kd = &mut self.kinds[usize::from(k)];
                let start = kd.vars_base();
                (&mut kd.var_slots, start)
            }
        };
        let mut map: Vec<Option<u32>> = vec![None; all.len()];
        for (i, w) in written.iter().enumerate() {
            if *w {
                map[i] = Some(
                    (start + slots.len() + map[..i].iter().filter(|m| m.is_some()).count()) as u32,
                );
            }
        }
        let first = slots.len();
        for (i, slot) in all.iter().enumerate() {
            if map[i].is_some() {
                let mut s = slot.clone();
                s.tag = slot
                    .tag
                    .and_then(|t| map[t as usize])
                    .map(|t| t - start as u32);
                slots.push(s);
                if let SparseOut::Shared = out {
                    self.shared_init.push(init[i]);
                }
            }
        }
        debug_assert!(slots.len() >= first);
        Some(Sparse {
            map: Rc::new(map),
            init: Rc::new(init.to_vec()),
        })
    }

    /// Shared slots that hold actor indices (with their option tags).
    fn actor_ref_slots(&self) -> Vec<(u32, Option<u32>)> {
        self.shared_slots
            .iter()
            .enumerate()
            .filter(|(_, s)| s.kind == lockstep_sim::machine::SlotKind::Actor)
            .map(|(i, s)| (i as u32, s.tag))
            .collect()
    }

    /// Patches the addresses of other actors' variables (known once every kind's size is).
    fn fix_actor_addresses(&mut self, kinds: &[Kind], actors: &[Instance]) {
        let mut bases = Vec::new();
        let mut at = lockstep_sim::machine::layout::W_HEADER + self.shared_slots.len();
        for a in actors {
            bases.push(at);
            let k = &kinds[usize::from(a.kind)];
            at += lockstep_sim::machine::layout::B_HEADER + k.choices as usize + k.locals.len();
        }
        for &(op, actor, off) in &self.actor_fixups {
            let addr = (bases[actor] + off as usize) as u32;
            self.ops[op] = match self.ops[op] {
                Op::Load(_) => Op::Load(addr),
                Op::Store(_) => Op::Store(addr),
                Op::Const(_) => Op::Const(i64::from(addr)),
                other => other,
            };
        }
    }
}

impl Scalar {
    pub fn describe(&self) -> String {
        match self {
            Scalar::Int(v) => v.to_string(),
            Scalar::Bool(b) => b.to_string(),
            Scalar::Sym(s) => format!("'{s}'"),
            Scalar::List(items) => format!(
                "[{}]",
                items
                    .iter()
                    .map(Scalar::describe)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }
}

/// Lowers `file` (one variant) for `inst`, in two passes: the first learns which state the
/// code writes; the second makes the rest constants (folded, and left out of the world).
/// Whether `name` is one of the operating system's calls (`platform node`).
pub fn is_system_call(name: &str) -> bool {
    os::is_call(name)
}

pub fn lower(file: &File, text: &str, path: &str, inst: &Instantiation) -> Result<Arc<Program>> {
    let first = Compiler::new(file, text, inst)?;
    let (_, usage) = first.program_and_usage(path)?;
    let mut second = Compiler::new_with(file, text, inst, Some(usage))?;
    second.checking_file = false;
    Ok(Arc::new(second.program(path)?))
}

/// Lowers `file` with its defaults, to check it alone (assumptions about one property skipped).
pub fn check(file: &File, text: &str, path: &str, inst: &Instantiation) -> Result<Arc<Program>> {
    let mut c = Compiler::new(file, text, inst)?;
    c.checking_file = true;
    Ok(Arc::new(c.program(path)?))
}

/// The byte offset of a line and column in `text` (the inverse of a compiler's `origin`);
/// `None` for code with no place in the file.
fn offset_of(line_starts: &[usize], text: &str, o: Origin) -> Option<usize> {
    let start = *line_starts.get((o.line as usize).checked_sub(1)?)?;
    let column = (o.col as usize).checked_sub(1)?;
    let offset = text[start..]
        .char_indices()
        .nth(column)
        .map_or(text.len(), |(i, _)| start + i);
    Some(offset)
}
