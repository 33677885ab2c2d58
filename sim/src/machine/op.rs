//! The machine's instruction set: a small stack machine over the world's slots.
//!
//! Every value is one or more `i64` slots (a record or an array is its fields in order, an
//! option is its payload followed by a tag slot, 1 for "some"). An address is a slot index into
//! the world. Expressions push and pop an operand stack that lives only inside one step: it is
//! empty at every await, so an actor's whole state between steps is its block of slots.

/// One instruction. `u32` operands keep it 16 bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// Push a constant.
    Const(i64),
    /// Drop `n` slots.
    Pop(u32),
    /// The top `size` slots are one value (a record): keep its `len` slots from `off` on and
    /// drop the rest (a field of a value no variable holds).
    Slice {
        size: u16,
        off: u16,
        len: u16,
    },
    /// Duplicate the top slot.
    Dup,
    /// Push world slot `addr` / pop into it.
    Load(u32),
    Store(u32),
    /// Push / pop slot `off` of the running actor's block.
    LoadLocal(u32),
    StoreLocal(u32),
    /// Push the address of slot `off` of the running actor's block.
    AddrLocal(u32),
    /// Pop an actor index, push the address of slot `off` of that actor's block.
    AddrActor(u32),
    /// Pop an index and an address: push `addr + index * stride`; an index outside `0..len` is
    /// a runtime error.
    Index {
        stride: u32,
        len: u32,
    },
    /// Pop an address, push the `n` slots there.
    LoadAt(u32),
    /// Pop `n` slots and then an address, and store the slots there.
    StoreAt(u32),
    /// Checked arithmetic on the two top slots (overflow and division by zero are runtime
    /// errors).
    Add,
    Sub,
    Mul,
    Div,
    Rem,
    Neg,
    Min,
    Max,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    /// Pop two values of `n` slots each; push whether they are equal.
    EqN(u32),
    Not,
    Jump(u32),
    JumpIfFalse(u32),
    JumpIfTrue(u32),
    /// Pop an option of payload size `n`; push whether it is `none`.
    IsNone(u32),
    /// Pop the tag of an option whose payload is below it; `none` is a runtime error (message
    /// `fail`).
    Unwrap {
        fail: u32,
    },
    /// Push the running actor's clock (its host's `now()`: the virtual clock plus the host's
    /// skew).
    Now,
    /// Push the virtual clock itself (ghost code and properties: no process reads it).
    RealNow,
    /// Push whether the run has ended (nothing can move any more): 1 only while a property is
    /// judged at a run's end, 0 in every other evaluation.
    Ended,
    /// Pop a path; push whether it names a file or directory (ghost code and properties).
    Exists,
    /// Push the running actor's pid / host index / hostname index (`platform node`).
    Pid,
    Host,
    Hostname,
    /// A system call (see [`super::os`]): pops its operands, pushes its results and then the
    /// errno's symbol (0 when it succeeded).
    Sys(super::os::Call),
    /// Pop a name and a path: push the path with the name appended (a full path is runtime
    /// error `fail`).
    Join {
        fail: u32,
    },
    /// Pop a number and push a name: stem `stem` numbered so (a negative number is runtime
    /// error `fail`).
    Numbered {
        stem: u32,
        fail: u32,
    },
    /// Push the running actor's index.
    SelfActor,
    /// Push the running actor's parameter `p` (resolved: a `Resolve` ran before it).
    Param(u32),
    /// If the running actor's parameter `p` is still open, stop here for the explorer to
    /// choose it (nothing can interleave before the step continues).
    Resolve(u32),
    /// A `for x in any order xs` turn: one index below the length in local `len` that the set
    /// in local `taken` (a bit per index) does not hold yet goes into local `out` and into the
    /// set. With two or more left, which one is open: stop here for the explorer to choose
    /// (nothing can interleave before the step continues); with one, take it.
    PickBit {
        taken: u32,
        len: u32,
        out: u32,
    },
    /// Pop a duration: the actor sleeps that long (an await point).
    Sleep,
    /// An await point at the current instant.
    Yield,
    /// An await point: the actor continues when the condition code at `cond` is true.
    Until(u32),
    /// Pop an outcome and a duration: the modelled unit of work runs (an await point). `ok`
    /// resumes after the duration, `hang` never resumes; `fail` and `cancelled` resume and are
    /// judged by the code that follows (see the lowering of `work`).
    Work,
    /// The actor is torn down where it stands: no `finally` runs (a `cancelled` work outcome).
    TearDown,
    /// Pop a key: the actor calls into instance `key` of the protocol its program nests (a
    /// module), and waits there (an await point) until that call returns (see
    /// [`super::nest::Nested`]).
    Enter,
    /// Passes a named program point; stops here when the scenario cancels the actor at it.
    Mark(u32),
    /// The actor's continuation is anchored (`waitUntil`): a cancellation no longer drops it.
    Anchor,
    /// Pop a value into slot `slot` of the actor's block and jump to `handler` (a `catch` or
    /// `finally`); `handler == NO_HANDLER`: the actor ends with that error.
    Throw {
        handler: u32,
        slot: u32,
    },
    /// The actor's code ends: `ok` (it returned) or not (an uncaught throw).
    Finish(bool),
    /// A runtime error, with message `code` (an index into the program's messages).
    Fail(u32),
    /// Zero `n` slots of the actor's block from `off` (locals whose scope ended).
    Clear {
        off: u32,
        n: u32,
    },
    /// Ends a condition or property: the top slot is its value.
    End,
    // ---- bounded lists and maps ----
    // A list of capacity `cap` is a length slot followed by `cap` elements of `size` slots;
    // elements past the length are all zeros, so equal lists have equal slots. A map is a list
    // of (key, value) entries kept sorted by key, so equal maps have equal slots too.
    /// Pop an index and a list's address: push the address of that element; an index outside
    /// `0..len` is a runtime error (message `fail`).
    Elem {
        stride: u32,
        fail: u32,
    },
    /// Pop `size` slots and a list's address: push the index of the first equal element, or -1.
    Find {
        size: u32,
        cap: u32,
    },
    /// Pop a key of `key` slots and a map's address: push the address of its value, or -1.
    MapSlot {
        key: u16,
        value: u16,
        cap: u32,
    },
    /// Pop `size` slots and a list's address: append them (a full list is runtime error
    /// `fail`).
    Push {
        size: u16,
        cap: u16,
        fail: u32,
    },
    /// Pop a list's address: remove its first (`front`) or last element and push it as an
    /// option (`none` when the list is empty).
    Take {
        size: u32,
        cap: u16,
        front: bool,
    },
    /// Pop an index and a list's address: remove that element (later ones move down) and push
    /// whether there was one (-1: none, nothing changes).
    RemoveAt {
        size: u32,
        cap: u32,
    },
    /// Pop a value, a key and a map's address: set the key's value, inserting it in key order
    /// (a full map is runtime error `fail`).
    Put {
        key: u16,
        value: u16,
        cap: u16,
        fail: u32,
    },
    /// Pop a key and a map's address: remove the key; push whether it was there.
    Delete {
        key: u16,
        value: u16,
        cap: u32,
    },
    /// Pop an address: zero `n` slots there.
    ZeroAt(u32),
    // ---- superinstructions (made by [`super::fuse`]) ----
    /// Jump to `target` when world slot `addr` compares `cmp` with `value` (`Load; Const;
    /// compare; JumpIf*`, and `Load; JumpIf*` against 0).
    JumpIfSlot {
        addr: u32,
        value: i32,
        cmp: Cmp,
        target: u32,
    },
    /// The same for a slot of the running actor's block.
    JumpIfLocal {
        off: u32,
        value: i32,
        cmp: Cmp,
        target: u32,
    },
    /// Pop the top slot and jump to `target` when it compares `cmp` with `value` (`Const;
    /// compare; JumpIf*` on a computed value).
    JumpIfTop {
        value: i32,
        cmp: Cmp,
        target: u32,
    },
    /// Add a constant to the top slot (`Const; Add`).
    AddConst(i64),
    /// Push whether world slot `addr` compares `cmp` with `value`.
    TestSlot {
        addr: u32,
        value: i32,
        cmp: Cmp,
    },
}

impl Op {
    /// Whether an actor can stand waiting after this instruction (an `until`: at it): an
    /// await, a call into a nested module, or a mark a scenario stops it at.
    pub fn suspends(self) -> bool {
        matches!(
            self,
            Op::Sleep | Op::Yield | Op::Work | Op::Until(_) | Op::Enter | Op::Mark(_)
        )
    }
}

/// `Throw`'s handler when no `try` encloses the throw.
pub const NO_HANDLER: u32 = u32::MAX;

#[cfg(test)]
mod tests {
    #[test]
    fn an_op_is_sixteen_bytes() {
        assert!(std::mem::size_of::<super::Op>() <= 16);
    }
}

/// A comparison of fused instructions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cmp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl Cmp {
    /// Whether `a` compares so with `b`. Branch-free: the ordering of `a` and `b` (0 less,
    /// 1 equal, 2 greater) selects a bit of the comparison's mask.
    #[inline(always)]
    pub fn test(self, a: i64, b: i64) -> bool {
        let order = u32::from(a >= b) + u32::from(a > b);
        (self.mask() >> order) & 1 != 0
    }

    /// Bit i is set when the comparison holds for ordering i (0 less, 1 equal, 2 greater).
    #[inline(always)]
    fn mask(self) -> u32 {
        match self {
            Cmp::Eq => 0b010,
            Cmp::Ne => 0b101,
            Cmp::Lt => 0b001,
            Cmp::Le => 0b011,
            Cmp::Gt => 0b100,
            Cmp::Ge => 0b110,
        }
    }

    /// The comparison that is true exactly when this one is false.
    pub fn negate(self) -> Cmp {
        match self {
            Cmp::Eq => Cmp::Ne,
            Cmp::Ne => Cmp::Eq,
            Cmp::Lt => Cmp::Ge,
            Cmp::Le => Cmp::Gt,
            Cmp::Gt => Cmp::Le,
            Cmp::Ge => Cmp::Lt,
        }
    }
}
