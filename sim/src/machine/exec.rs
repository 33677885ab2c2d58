//! The instruction loop: one step of one actor (from its program counter to its next await
//! point), and the read-only evaluation of conditions and properties.

use crate::actor::Lifecycle;
use crate::narrate::Narrator;

use super::collection;
use super::layout::*;
use super::op::{Op, NO_HANDLER};
use super::os::DEPTH;
use super::program::{sym, Program, NEVER};

/// The operand stack of one step or one evaluation. The lowering bounds every expression's
/// depth by [`STACK`] ([`super::verify`] checks it), so it never grows.
pub(super) struct Stack {
    pub(super) buf: Box<[i64; STACK]>,
    pub(super) sp: usize,
}

/// Operand stack depth the lowering may use.
pub const STACK: usize = 64;

thread_local! {
    /// One operand stack per thread, reused: a fresh zeroed array per step or evaluation
    /// cost a memset of the whole array on every explored world.
    static SPARE: std::cell::Cell<Option<Box<[i64; STACK]>>> = const { std::cell::Cell::new(None) };
}

impl Stack {
    #[inline(always)]
    pub(super) fn new() -> Self {
        let buf = SPARE
            .with(|s| s.take())
            .unwrap_or_else(|| Box::new([0; STACK]));
        Stack { buf, sp: 0 }
    }

    /// Gives the array back for the next step or evaluation on this thread.
    #[inline(always)]
    fn recycle(self) {
        SPARE.with(|s| s.set(Some(self.buf)));
    }

    #[inline(always)]
    pub(super) fn push(&mut self, v: i64) {
        self.buf[self.sp] = v;
        self.sp += 1;
    }
    #[inline(always)]
    pub(super) fn pop(&mut self) -> i64 {
        self.sp -= 1;
        self.buf[self.sp]
    }
}

/// A runtime error: the message index.
pub(super) struct Fault(pub u32);

/// What an instruction asks of the loop after the pure part ran it.
enum Flow {
    Next,
    /// A conditional branch that did not jump (coverage records it).
    Fell,
    Jump(u32),
    /// Not a pure instruction: the caller handles it.
    Impure,
}

/// The context of a step or an evaluation: the code, the actors and, for actor code, the
/// running one.
pub(super) struct Ctx<'a> {
    pub ops: &'a [Op],
    pub actors: &'a [super::program::Instance],
    pub bases: &'a [u32],
    /// The running (or waiting) actor: its index and block base.
    pub actor: Option<(usize, usize)>,
    /// Where the running actor's block ends, and where the actors' blocks begin: a store
    /// between the two that is not in the actor's own block changes another actor.
    pub block_end: usize,
    pub shared_end: usize,
    /// Where steps record the code they execute (see [`super::coverage`]).
    pub coverage: Option<&'a super::coverage::Coverage>,
    /// The file system, for properties that look at it (`exists`).
    pub os: Option<&'a super::os::Os>,
    /// The running actor's host clock skew (0 for properties), read by every `now()`.
    pub skew: i64,
    /// The world slot a reachability search sets (see [`super::Program::reached_slot`]).
    pub reached: usize,
    /// Properties judged at a run's end (what `ended()` reads).
    pub ended: bool,
}

impl Ctx<'_> {
    #[inline(always)]
    fn base(&self) -> usize {
        self.actor.map_or(0, |a| a.1)
    }

    /// The current value of parameter `p` of the running actor.
    fn param(&self, w: &[i64], p: u32) -> i64 {
        let (a, base) = self.actor.expect("parameters are read by actor code");
        let inst = &self.actors[a];
        match &inst.params[p as usize] {
            super::program::ParamValue::Fixed(v) => *v,
            super::program::ParamValue::Open(alts) => {
                let slot = inst.choice[p as usize].expect("an open parameter has a choice slot");
                let i = w[base + B_HEADER + slot as usize];
                alts[usize::try_from(i).expect("a parameter is resolved before it is read")]
            }
        }
    }

    /// The running actor's process (a property's context has none: no skew).
    #[inline(always)]
    pub(super) fn process(&self) -> super::program::Process {
        self.actor
            .map_or_else(Default::default, |(a, _)| self.actors[a].process)
    }

    /// Where the running actor's parameter `p` is chosen, if it is open.
    fn open_slot(&self, p: u32) -> Option<usize> {
        let (a, base) = self.actor?;
        let inst = &self.actors[a];
        match inst.params[p as usize] {
            super::program::ParamValue::Open(_) => {
                inst.choice[p as usize].map(|s| base + B_HEADER + s as usize)
            }
            super::program::ParamValue::Fixed(_) => None,
        }
    }
}

/// The operating system's pure instructions (`platform node`), out of line: the common
/// instructions' loop stays as tight as it was.
#[cold]
#[inline(never)]
fn os_pure(op: Op, st: &mut Stack, w: &[i64], cx: &Ctx<'_>) -> Result<Flow, Fault> {
    match op {
        Op::Pid => st.push(cx.process().pid),
        Op::RealNow => st.push(w[W_NOW]),
        Op::Ended => st.push(i64::from(cx.ended)),
        Op::Exists => {
            let at = st.sp - DEPTH;
            let found = cx
                .os
                .is_some_and(|os| os.resolve(w, &st.buf[at..st.sp]).is_ok());
            st.sp = at;
            st.push(i64::from(found));
        }
        Op::Host => st.push(cx.process().host),
        Op::Hostname => st.push(cx.process().hostname),
        Op::Join { fail } => {
            let name = st.pop();
            let path = &mut st.buf[st.sp - DEPTH..st.sp];
            let Some(free) = path.iter().position(|&c| c == 0) else {
                return Err(Fault(fail));
            };
            path[free] = name;
        }
        Op::Numbered { stem, fail } => {
            let n = st.pop();
            let name = super::os::make_name(stem as usize, Some(n)).ok_or(Fault(fail))?;
            st.push(name);
        }
        _ => unreachable!("{op:?} is not an operating-system instruction"),
    }
    Ok(Flow::Next)
}

/// Runs the pure instructions: loads, arithmetic, comparisons, jumps.
#[inline(always)]
fn pure(op: Op, st: &mut Stack, w: &[i64], cx: &Ctx<'_>) -> Result<Flow, Fault> {
    match op {
        Op::Const(v) => st.push(v),
        Op::Pop(k) => st.sp -= k as usize,
        Op::Slice { size, off, len } => {
            let base = st.sp - size as usize;
            let from = base + off as usize;
            st.buf.copy_within(from..from + len as usize, base);
            st.sp = base + len as usize;
        }
        Op::Dup => {
            let v = st.buf[st.sp - 1];
            st.push(v);
        }
        Op::Load(addr) => st.push(w[addr as usize]),
        Op::LoadLocal(off) => st.push(w[cx.base() + off as usize]),
        Op::AddrLocal(off) => st.push((cx.base() + off as usize) as i64),
        Op::AddrActor(off) => {
            let x = st.pop();
            let Some(&b) = usize::try_from(x).ok().and_then(|x| cx.bases.get(x)) else {
                return Err(Fault(E_NOT_ACTOR));
            };
            st.push(i64::from(b) + i64::from(off));
        }
        Op::Index { stride, len } => {
            let i = st.pop();
            let addr = st.pop();
            if i < 0 || i >= i64::from(len) {
                return Err(Fault(E_INDEX));
            }
            st.push(addr + i * i64::from(stride));
        }
        Op::Elem { stride, fail } => {
            let i = st.pop();
            let at = st.pop();
            if i < 0 || i >= w[at as usize] {
                return Err(Fault(fail));
            }
            st.push(at + 1 + i * i64::from(stride));
        }
        Op::Find { size, cap } => {
            let k = size as usize;
            let top = st.sp - k;
            let at = st.buf[top - 1] as usize;
            let i = collection::find(w, at, k, cap as usize, &st.buf[top..st.sp]);
            st.sp = top - 1;
            st.push(i.map_or(-1, |i| i as i64));
        }
        Op::MapSlot { key, value, cap } => {
            let top = st.sp - usize::from(key);
            let at = st.buf[top - 1] as usize;
            let slot = collection::map_slot(w, at, &st.buf[top..st.sp], value.into(), cap as usize);
            st.sp = top - 1;
            st.push(slot.map_or(-1, |s| s as i64));
        }
        Op::LoadAt(k) => {
            let addr = st.pop() as usize;
            for j in 0..k as usize {
                st.push(w[addr + j]);
            }
        }
        Op::Add => arith(st, i64::checked_add)?,
        Op::Sub => arith(st, i64::checked_sub)?,
        Op::Mul => arith(st, i64::checked_mul)?,
        Op::Div | Op::Rem => {
            let b = st.pop();
            let a = st.pop();
            if b == 0 {
                return Err(Fault(E_DIVIDE));
            }
            let r = if op == Op::Div {
                a.checked_div(b)
            } else {
                a.checked_rem(b)
            };
            st.push(r.ok_or(Fault(E_OVERFLOW))?);
        }
        Op::Neg => {
            let a = st.pop();
            st.push(a.checked_neg().ok_or(Fault(E_OVERFLOW))?);
        }
        Op::Min => {
            let b = st.pop();
            let a = st.pop();
            st.push(a.min(b));
        }
        Op::Max => {
            let b = st.pop();
            let a = st.pop();
            st.push(a.max(b));
        }
        Op::Eq => cmp(st, |a, b| a == b),
        Op::Ne => cmp(st, |a, b| a != b),
        Op::Lt => cmp(st, |a, b| a < b),
        Op::Le => cmp(st, |a, b| a <= b),
        Op::Gt => cmp(st, |a, b| a > b),
        Op::Ge => cmp(st, |a, b| a >= b),
        Op::EqN(k) => {
            let k = k as usize;
            let top = st.sp;
            let eq = st.buf[top - 2 * k..top - k] == st.buf[top - k..top];
            st.sp -= 2 * k;
            st.push(i64::from(eq));
        }
        Op::Not => {
            let a = st.pop();
            st.push(i64::from(a == 0));
        }
        Op::Jump(t) => return Ok(Flow::Jump(t)),
        Op::JumpIfFalse(t) => {
            if st.pop() == 0 {
                return Ok(Flow::Jump(t));
            }
            return Ok(Flow::Fell);
        }
        Op::JumpIfTrue(t) => {
            if st.pop() != 0 {
                return Ok(Flow::Jump(t));
            }
            return Ok(Flow::Fell);
        }
        Op::IsNone(k) => {
            let tag = st.pop();
            st.sp -= k as usize;
            st.push(i64::from(tag == 0));
        }
        Op::Unwrap { fail } => {
            if st.pop() == 0 {
                return Err(Fault(fail));
            }
        }
        Op::Now => st.push(w[W_NOW].saturating_add(cx.skew)),
        Op::Pid
        | Op::RealNow
        | Op::Ended
        | Op::Exists
        | Op::Host
        | Op::Hostname
        | Op::Join { .. }
        | Op::Numbered { .. } => return os_pure(op, st, w, cx),
        Op::SelfActor => st.push(cx.actor.map_or(-1, |a| a.0 as i64)),
        Op::Param(p) => st.push(cx.param(w, p)),
        Op::Fail(code) => return Err(Fault(code)),
        Op::JumpIfSlot {
            addr,
            value,
            cmp,
            target,
        } => {
            if cmp.test(w[addr as usize], i64::from(value)) {
                return Ok(Flow::Jump(target));
            }
            return Ok(Flow::Fell);
        }
        Op::JumpIfLocal {
            off,
            value,
            cmp,
            target,
        } => {
            if cmp.test(w[cx.base() + off as usize], i64::from(value)) {
                return Ok(Flow::Jump(target));
            }
            return Ok(Flow::Fell);
        }
        Op::AddConst(c) => {
            let a = st.pop();
            st.push(a.checked_add(c).ok_or(Fault(E_OVERFLOW))?);
        }
        Op::JumpIfTop { value, cmp, target } => {
            if cmp.test(st.pop(), i64::from(value)) {
                return Ok(Flow::Jump(target));
            }
            return Ok(Flow::Fell);
        }
        Op::TestSlot { addr, value, cmp } => {
            st.push(i64::from(cmp.test(w[addr as usize], i64::from(value))));
        }
        _ => return Ok(Flow::Impure),
    }
    Ok(Flow::Next)
}

#[inline(always)]
fn arith(st: &mut Stack, f: fn(i64, i64) -> Option<i64>) -> Result<(), Fault> {
    let b = st.pop();
    let a = st.pop();
    st.push(f(a, b).ok_or(Fault(E_OVERFLOW))?);
    Ok(())
}

#[inline(always)]
fn cmp(st: &mut Stack, f: fn(i64, i64) -> bool) {
    let b = st.pop();
    let a = st.pop();
    st.push(i64::from(f(a, b)));
}

/// Evaluates read-only code (a condition or a property) from `pc` to its `End`.
pub(super) fn eval(cx: &Ctx<'_>, w: &[i64], pc: usize) -> Result<i64, (Fault, usize)> {
    let mut st = Stack::new();
    let r = eval_on(&mut st, cx, w, pc);
    st.recycle();
    r
}

fn eval_on(st: &mut Stack, cx: &Ctx<'_>, w: &[i64], mut pc: usize) -> Result<i64, (Fault, usize)> {
    loop {
        // The instructions properties are mostly made of, dispatched directly (no result
        // plumbing per instruction): properties are judged on every explored world.
        match cx.ops[pc] {
            Op::JumpIfSlot {
                addr,
                value,
                cmp,
                target,
            } => {
                pc = if cmp.test(w[addr as usize], i64::from(value)) {
                    target as usize
                } else {
                    pc + 1
                };
                continue;
            }
            Op::AddConst(c) => {
                let a = st.pop();
                match a.checked_add(c) {
                    Some(v) => st.push(v),
                    None => return Err((Fault(E_OVERFLOW), pc)),
                }
                pc += 1;
                continue;
            }
            Op::Const(v) => {
                st.push(v);
                pc += 1;
                continue;
            }
            Op::JumpIfTop { value, cmp, target } => {
                pc = if cmp.test(st.pop(), i64::from(value)) {
                    target as usize
                } else {
                    pc + 1
                };
                continue;
            }
            Op::Jump(t) => {
                pc = t as usize;
                continue;
            }
            Op::End => return Ok(st.pop()),
            _ => {}
        }
        let op = cx.ops[pc];
        match pure(op, st, w, cx) {
            Ok(Flow::Next | Flow::Fell) => pc += 1,
            Ok(Flow::Jump(t)) => pc = t as usize,
            Ok(Flow::Impure) if op == Op::End => return Ok(st.pop()),
            Ok(Flow::Impure) => unreachable!("the lowering puts no {op:?} in read-only code"),
            Err(f) => return Err((f, pc)),
        }
    }
}

/// Evaluates code that reads no state (a constant expression folded by a compiler), ending in
/// `End` with a value of `n` slots on the stack. `Err`: the runtime error's message index.
pub fn eval_const(ops: &[Op], n: usize) -> Result<Vec<i64>, u32> {
    let cx = Ctx {
        ops,
        actors: &[],
        bases: &[],
        actor: None,
        block_end: 0,
        shared_end: 0,
        coverage: None,
        os: None,
        skew: 0,
        reached: 0,
        ended: false,
    };
    let w = [0i64; W_HEADER];
    let mut st = Stack::new();
    let mut pc = 0;
    loop {
        let op = ops[pc];
        match pure(op, &mut st, &w, &cx) {
            Ok(Flow::Next | Flow::Fell) => pc += 1,
            Ok(Flow::Jump(t)) => pc = t as usize,
            Ok(Flow::Impure) if op == Op::End => return Ok(st.buf[st.sp - n..st.sp].to_vec()),
            Ok(Flow::Impure) => unreachable!("constant code holds no {op:?}"),
            Err(Fault(code)) => return Err(code),
        }
    }
}

/// Every how many backward jumps a step compares its state with the one it kept.
const REPEAT_CHECK: u32 = 1024;

/// A step's state at one of its backward jumps (the jump, the world, the operand stack). The
/// code between awaits is deterministic, so a step that reaches the same jump in the same
/// state again will do so for ever: an endless loop found after a few thousand turns instead
/// of [`LOOPS_MAX`] (a busy-wait on a flag only another actor could change is the common
/// case). A loop whose period does not divide [`REPEAT_CHECK`] still ends at `LOOPS_MAX`.
/// Kept only by steps that loop that long, so the allocation is off the hot path.
#[derive(Default)]
struct Repeats {
    kept: Option<(usize, Vec<i64>, Vec<i64>)>,
}

impl Repeats {
    /// Whether the state at jump `pc` is the one kept; keeps it otherwise.
    #[cold]
    fn seen(&mut self, pc: usize, w: &[i64], st: &Stack) -> bool {
        let stack = &st.buf[..st.sp];
        if let Some((at, world, operands)) = &self.kept
            && *at == pc
            && world.as_slice() == w
            && operands.as_slice() == stack
        {
            return true;
        }
        self.kept = Some((pc, w.to_vec(), stack.to_vec()));
        false
    }
}

/// Actor `at` (its index and block) ran into runtime error `code` at `pc`: narrated, and
/// recorded in the world ([`fault`]).
#[cold]
fn runtime_error<N: Narrator>(
    program: &Program,
    w: &mut [i64],
    code: u32,
    pc: usize,
    at: (usize, usize),
    n: &mut N,
) {
    if N::ON {
        n.say(format_args!(
            "runtime error at {}: {}",
            program.location(pc),
            program.messages[code as usize]
        ));
    }
    fault(w, code, pc, at.0, at.1);
}

/// Records a runtime error in the world: the actor stops, and the `runtime-error` property is
/// violated.
pub(super) fn fault(w: &mut [i64], code: u32, pc: usize, actor: usize, base: usize) {
    if w[W_ERROR] == 0 {
        w[W_ERROR] = i64::from(code) + 1;
        w[W_ERROR_PC] = pc as i64;
        w[W_ERROR_ACTOR] = actor as i64;
    }
    w[base + B_STATUS] = ST_FAILED;
    w[base + B_WAKE] = NEVER;
}

/// Runs actor `a` from its program counter to its next await point (or its end). Returns
/// whether the step wrote into another actor's block (ghost code recording in other actors).
pub(super) fn step<N: Narrator>(program: &Program, cx: &Ctx<'_>, w: &mut [i64], n: &mut N) -> bool {
    let mut st = Stack::new();
    let mut foreign = false;
    step_on(&mut st, program, cx, w, n, &mut foreign);
    st.recycle();
    foreign
}

fn step_on<N: Narrator>(
    st: &mut Stack,
    program: &Program,
    cx: &Ctx<'_>,
    w: &mut [i64],
    n: &mut N,
    foreign: &mut bool,
) {
    let (a, base) = cx.actor.expect("a step belongs to an actor");
    let mut pc = w[base + B_PC] as usize;
    let mut loops = 0u32;
    let mut repeats = Repeats::default();
    let other = |addr: usize| addr >= cx.shared_end && (addr < base || addr >= cx.block_end);
    if let Some(c) = cx.coverage {
        c.enter(pc);
    }
    loop {
        let op = program.ops[pc];
        match pure(op, st, w, cx) {
            Ok(Flow::Next) => {
                pc += 1;
                continue;
            }
            Ok(Flow::Fell) => {
                if let Some(c) = cx.coverage {
                    c.branch(pc, false);
                }
                pc += 1;
                continue;
            }
            Ok(Flow::Jump(t)) => {
                if let Some(c) = cx.coverage.filter(|_| !matches!(op, Op::Jump(_))) {
                    c.branch(pc, true);
                }
                if t as usize <= pc {
                    loops += 1;
                    let endless = if loops > LOOPS_MAX {
                        Some(E_ENDLESS)
                    } else if loops.is_multiple_of(REPEAT_CHECK) && repeats.seen(pc, w, st) {
                        Some(E_REPEATS)
                    } else {
                        None
                    };
                    if let Some(code) = endless {
                        runtime_error(program, w, code, pc, (a, base), n);
                        return;
                    }
                }
                pc = t as usize;
                continue;
            }
            Ok(Flow::Impure) => {}
            Err(Fault(code)) => {
                runtime_error(program, w, code, pc, (a, base), n);
                return;
            }
        }
        let now = w[W_NOW];
        match op {
            Op::Store(addr) => {
                *foreign |= other(addr as usize);
                w[addr as usize] = st.pop();
            }
            Op::StoreLocal(off) => w[base + off as usize] = st.pop(),
            Op::StoreAt(k) => {
                let k = k as usize;
                let from = st.sp - k;
                let addr = st.buf[from - 1] as usize;
                *foreign |= other(addr);
                w[addr..addr + k].copy_from_slice(&st.buf[from..st.sp]);
                st.sp = from - 1;
            }
            Op::Clear { off, n: k } => {
                let at = base + off as usize;
                w[at..at + k as usize].fill(0);
            }
            Op::Push { .. }
            | Op::Take { .. }
            | Op::RemoveAt { .. }
            | Op::Put { .. }
            | Op::Delete { .. }
            | Op::ZeroAt(_) => {
                if let Err(Fault(code)) = collection_op(op, st, w, foreign, &other) {
                    runtime_error(program, w, code, pc, (a, base), n);
                    return;
                }
            }
            Op::PickBit { taken, len, out } => {
                if left_to_pick(w, base, taken, len).count_ones() > 1 {
                    w[base + B_PC] = pc as i64;
                    w[base + B_STATUS] = ST_CHOICE;
                    return;
                }
                take_bit(w, base, (taken, len, out), 0);
                if let Some(c) = cx.coverage {
                    c.enter(pc + 1);
                }
            }
            Op::Resolve(p) => {
                if cx.open_slot(p).is_some_and(|at| w[at] == UNCHOSEN) {
                    w[base + B_PC] = pc as i64;
                    w[base + B_STATUS] = ST_CHOICE;
                    return;
                }
                if let Some(c) = cx.coverage {
                    c.enter(pc + 1);
                }
            }
            Op::Sleep | Op::Yield | Op::Work => {
                let wake = match op {
                    Op::Yield => now,
                    Op::Work if st.buf[st.sp - 1] == sym::HANG => NEVER,
                    _ => {
                        if op == Op::Work {
                            st.sp -= 1;
                        }
                        let d = st.pop();
                        if d < 0 {
                            fault(w, E_NEGATIVE_WAIT, pc, a, base);
                            return;
                        }
                        now.saturating_add(d)
                    }
                };
                if N::ON {
                    say_wait(program, n, op, now, wake);
                }
                suspend(w, base, pc + 1, ST_READY, wake);
                return;
            }
            Op::Until(_) => {
                suspend(w, base, pc, ST_UNTIL, NEVER);
                return;
            }
            Op::Enter => {
                let key = st.pop();
                if !(0..=255).contains(&key) {
                    fault(w, E_INDEX, pc, a, base);
                    return;
                }
                if N::ON {
                    n.say(format_args!("calls into module instance {key}"));
                }
                suspend(w, base, pc + 1, ST_GUEST, key);
                return;
            }
            Op::TearDown => {
                if N::ON {
                    n.say(format_args!(
                        "{}",
                        if program.platform == super::program::Platform::Tokio {
                            "dropped: nothing more of it runs"
                        } else {
                            "torn down where it stands: no finally runs"
                        }
                    ));
                }
                w[base + B_LIFE] = Lifecycle::Dropped as i64;
                w[base + B_FLAGS] |= F_CANCELLED;
                suspend(w, base, pc + 1, ST_READY, NEVER);
                return;
            }
            Op::Mark(m) => {
                if N::ON {
                    n.say(format_args!("mark {}", program.marks[m as usize]));
                }
                if program.reach == Some(super::program::Reach::Mark(m)) {
                    w[cx.reached] = 1;
                }
                let targeted = program.actors[a].cancel_marks & (1u64 << m) != 0;
                if targeted && w[base + B_FLAGS] & F_CANCELLED == 0 {
                    w[base + B_FLAGS] |= F_AT_MARK;
                    suspend(w, base, pc + 1, ST_READY, now);
                    return;
                }
                if program.actors[a].pause_marks & (1u64 << m) != 0
                    && pause_at_mark(program, w, a, base, pc, n)
                {
                    return;
                }
                if let Some(c) = cx.coverage {
                    c.enter(pc + 1);
                }
            }
            Op::Sys(call) => {
                let os = program
                    .os
                    .as_ref()
                    .expect("system calls only in a program with an OS");
                let clock = now.saturating_add(cx.process().skew);
                if let Err(code) = super::syscall::run(os, cx, st, w, call, clock, n) {
                    runtime_error(program, w, code, pc, (a, base), n);
                    return;
                }
            }
            Op::Anchor => {
                if N::ON && w[base + B_FLAGS] & F_ANCHORED == 0 {
                    n.say(format_args!("anchored (waitUntil)"));
                }
                w[base + B_FLAGS] |= F_ANCHORED;
            }
            Op::Throw { handler, slot } => {
                let v = st.pop();
                if handler == NO_HANDLER {
                    if program.reach == Some(super::program::Reach::Throws) {
                        w[cx.reached] = 1;
                    }
                    if N::ON {
                        n.say(format_args!(
                            "throws '{}': uncaught, ends with an error",
                            sym_name(program, v)
                        ));
                    }
                    finish(w, base, pc, false);
                    return;
                }
                if N::ON {
                    n.say(format_args!("throws '{}'", sym_name(program, v)));
                }
                w[base + slot as usize] = v;
                pc = handler as usize;
                if let Some(c) = cx.coverage {
                    c.enter(pc);
                }
                continue;
            }
            Op::Finish(ok) => {
                if N::ON {
                    n.say(format_args!("{}", if ok { "returns" } else { "ends" }));
                }
                finish(w, base, pc, ok);
                return;
            }
            other => unreachable!("{other:?} is not actor code"),
        }
        pc += 1;
    }
}

/// The instructions that change a list or a map (see [`collection`]).
fn collection_op(
    op: Op,
    st: &mut Stack,
    w: &mut [i64],
    foreign: &mut bool,
    other: &impl Fn(usize) -> bool,
) -> Result<(), Fault> {
    match op {
        Op::Push { size, cap, fail } => {
            let top = st.sp - usize::from(size);
            let at = st.buf[top - 1] as usize;
            *foreign |= other(at);
            let ok = collection::push(w, at, size.into(), cap.into(), &st.buf[top..st.sp]);
            st.sp = top - 1;
            if !ok {
                return Err(Fault(fail));
            }
        }
        Op::Take { size, cap, front } => {
            let at = st.pop() as usize;
            *foreign |= other(at);
            let k = size as usize;
            let i = if front { 0 } else { w[at] - 1 };
            let out = st.sp;
            let got = collection::remove(w, at, k, cap.into(), i, Some(&mut st.buf[out..out + k]));
            if !got {
                st.buf[out..out + k].fill(0);
            }
            st.sp += k;
            st.push(i64::from(got));
        }
        Op::RemoveAt { size, cap } => {
            let i = st.pop();
            let at = st.pop() as usize;
            *foreign |= other(at);
            let got = collection::remove(w, at, size as usize, cap as usize, i, None);
            st.push(i64::from(got));
        }
        Op::Put {
            key,
            value,
            cap,
            fail,
        } => {
            let (k, v) = (usize::from(key), usize::from(value));
            let top = st.sp - k - v;
            let at = st.buf[top - 1] as usize;
            *foreign |= other(at);
            let (key, val) = st.buf[top..st.sp].split_at(k);
            let ok = collection::put(w, at, key, val, cap.into());
            st.sp = top - 1;
            if !ok {
                return Err(Fault(fail));
            }
        }
        Op::Delete { key, value, cap } => {
            let top = st.sp - usize::from(key);
            let at = st.buf[top - 1] as usize;
            *foreign |= other(at);
            let got = collection::delete(w, at, &st.buf[top..st.sp], value.into(), cap as usize);
            st.sp = top - 1;
            st.push(i64::from(got));
        }
        Op::ZeroAt(n) => {
            let at = st.pop() as usize;
            *foreign |= other(at);
            w[at..at + n as usize].fill(0);
        }
        _ => unreachable!("{op:?} is not a collection instruction"),
    }
    Ok(())
}

/// A scripted pause at a mark: the first time the actor passes it, its next step waits
/// `pause_ms` (true: the step ends here).
#[cold]
fn pause_at_mark<N: Narrator>(
    program: &Program,
    w: &mut [i64],
    a: usize,
    base: usize,
    pc: usize,
    n: &mut N,
) -> bool {
    if w[base + B_FLAGS] & F_PAUSED != 0 {
        return false;
    }
    w[base + B_FLAGS] |= F_PAUSED | F_STOPPED;
    let ms = program.actors[a].pause_ms;
    if N::ON {
        n.say(format_args!(
            "SIGSTOP for {ms} ms (alive: kill(pid, 0) still succeeds), then SIGCONT"
        ));
    }
    suspend(w, base, pc + 1, ST_READY, w[W_NOW].saturating_add(ms));
    true
}

fn suspend(w: &mut [i64], base: usize, pc: usize, status: i64, wake: i64) {
    w[base + B_PC] = pc as i64;
    w[base + B_STATUS] = status;
    w[base + B_WAKE] = wake;
}

fn finish(w: &mut [i64], base: usize, pc: usize, ok: bool) {
    suspend(w, base, pc, if ok { ST_DONE } else { ST_FAILED }, NEVER);
}

fn sym_name(program: &Program, v: i64) -> &str {
    usize::try_from(v)
        .ok()
        .and_then(|i| program.syms.get(i))
        .map_or("?", String::as_str)
}

fn say_wait<N: Narrator>(program: &Program, n: &mut N, op: Op, now: i64, wake: i64) {
    let _ = program;
    match op {
        Op::Yield => n.say(format_args!("yields")),
        Op::Sleep => n.say(format_args!("sleeps {} ms (until {wake})", wake - now)),
        _ if wake == NEVER => n.say(format_args!("work starts (never settles)")),
        _ => n.say(format_args!(
            "work starts ({} ms, until {wake})",
            wake - now
        )),
    }
}

/// The indices an `any order` loop has still to take (see [`Op::PickBit`]).
pub(super) fn left_to_pick(w: &[i64], base: usize, taken: u32, len: u32) -> i64 {
    let n = w[base + len as usize].clamp(0, 63);
    ((1i64 << n) - 1) & !w[base + taken as usize]
}

/// Takes the `k`th (ascending) of the indices an `any order` loop has still to take into
/// local `out` and marks it taken (see [`Op::PickBit`]). With none left it takes nothing.
pub(super) fn take_bit(w: &mut [i64], base: usize, (taken, len, out): (u32, u32, u32), k: usize) {
    let mut left = left_to_pick(w, base, taken, len);
    for _ in 0..k {
        left &= left - 1;
    }
    if left == 0 {
        return;
    }
    let bit = left.trailing_zeros();
    w[base + taken as usize] |= 1i64 << bit;
    w[base + out as usize] = i64::from(bit);
}
