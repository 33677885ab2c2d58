//! Lists and maps: their methods, their elements and entries as places, `for` over them,
//! quantifiers over them (the parser's `#at` and `#live`), and list literals.
//!
//! A list or a map is one variable of fixed size (see [`Ty::List`], [`Ty::Map`]): every access
//! goes through its address on the operand stack and the machine's collection instructions,
//! which keep unused elements zero and map entries in key order, so equal contents are equal
//! worlds.

use lockstep_sim::machine::{Cmp, Op};

use super::super::ast::{Block, Expr, Name};
use super::super::diag::{Diag, Result};
use super::super::lexer::Span;
use super::super::types::Ty;
use super::expr::{Addr, Place};
use super::ghost::MUTATING;
use super::{Bind, Compiler, Frame};

/// The longest list an `any order` loop takes: the indices it has taken are one slot's bits.
const ANY_ORDER_MAX: usize = 63;

/// The methods, for messages.
const LIST_METHODS: &str =
    "len, is_empty, is_full, contains, first, last, push, pop, pop_front, remove, clear";
const MAP_METHODS: &str = "len, is_empty, is_full, has, get, put, remove, clear";

impl<'f> Compiler<'f> {
    /// `recv.name(args)`: a method of a list or a map. Leaves its result on the stack.
    pub(super) fn method(
        &mut self,
        recv: &'f Expr,
        name: &'f Name,
        args: &'f [Expr],
        span: &Span,
    ) -> Result<Ty> {
        let changes = MUTATING.contains(&name.text.as_str());
        let p = self.collection(recv, changes, span)?;
        let m = name.text.as_str();
        let arity = match m {
            "len" | "is_empty" | "is_full" | "first" | "last" | "pop" | "pop_front" | "clear" => 0,
            "put" => 2,
            _ => 1,
        };
        let known = match p.ty {
            Ty::List(..) => LIST_METHODS,
            _ => MAP_METHODS,
        };
        if !known.split(", ").any(|k| k == m) {
            return Err(
                Diag::new(name.span.clone(), format!("{} has no method `{m}`", p.ty))
                    .help(format!("its methods are: {known}")),
            );
        }
        if args.len() != arity {
            return Err(Diag::new(
                span.clone(),
                format!("`{m}` takes {arity} argument(s), not {}", args.len()),
            ));
        }
        let p = self.onto_stack(p, span)?;
        match &p.ty {
            Ty::List(elem, cap) => self.list_method(m, args, &elem.clone(), *cap, span),
            Ty::Map(key, value, cap) => {
                self.map_method(m, args, &key.clone(), &value.clone(), *cap, span)
            }
            _ => unreachable!("checked by `collection`"),
        }
    }

    /// The list or map `recv` names, checked for reading (and for changing, if `changes`).
    fn collection(&mut self, recv: &'f Expr, changes: bool, span: &Span) -> Result<Place> {
        let Some(p) = self.place(recv)? else {
            return Err(Diag::new(
                recv.span.clone(),
                "methods belong to list and map variables, and this is not a variable",
            ));
        };
        if !matches!(p.ty, Ty::List(..) | Ty::Map(..)) {
            return Err(Diag::new(
                recv.span.clone(),
                format!("{} has no methods: lists and maps do", p.ty),
            ));
        }
        if !changes {
            self.check_read(&p, span)?;
            return Ok(p);
        }
        if self.code.is_none() || self.read_only > 0 {
            return Err(Diag::new(
                span.clone(),
                "this changes a list or a map: only statements of actor code may",
            )
            .help("properties, `await until` conditions and expression functions only read"));
        }
        let p = self.target_place(p, span)?;
        if let Some((key, _)) = &p.var {
            self.usage.dyn_written.insert(key.clone());
        }
        Ok(p)
    }

    fn list_method(
        &mut self,
        m: &str,
        args: &'f [Expr],
        elem: &Ty,
        cap: usize,
        span: &Span,
    ) -> Result<Ty> {
        let size = elem.size();
        Ok(match m {
            "len" | "is_empty" | "is_full" => self.length_test(m, cap, span),
            "contains" | "remove" => {
                if m == "remove" {
                    self.emit(Op::Dup, span);
                }
                self.value_for(&args[0], elem, "the element")?;
                self.emit(
                    Op::Find {
                        size: size as u32,
                        cap: cap as u32,
                    },
                    span,
                );
                if m == "remove" {
                    self.emit(
                        Op::RemoveAt {
                            size: size as u32,
                            cap: cap as u32,
                        },
                        span,
                    );
                } else {
                    self.emit(Op::Const(-1), span);
                    self.emit(Op::Ne, span);
                }
                Ty::Bool
            }
            "first" | "last" => {
                self.element_address(m == "last", size, span);
                self.optional_at(size, span);
                Ty::Option(elem.clone().into())
            }
            "push" => {
                self.value_for(&args[0], elem, "the element")?;
                let fail = self.message(span, &format!("`push` on a full list (capacity {cap})"));
                let (size, cap) = (narrow(size, span)?, narrow(cap, span)?);
                self.emit(Op::Push { size, cap, fail }, span);
                Ty::Unit
            }
            "pop" | "pop_front" => {
                let (size, cap) = (size as u32, narrow(cap, span)?);
                let front = m == "pop_front";
                self.emit(Op::Take { size, cap, front }, span);
                Ty::Option(elem.clone().into())
            }
            _ => {
                self.emit(
                    Op::ZeroAt(Ty::List(elem.clone().into(), cap).size() as u32),
                    span,
                );
                Ty::Unit
            }
        })
    }

    fn map_method(
        &mut self,
        m: &str,
        args: &'f [Expr],
        key: &Ty,
        value: &Ty,
        cap: usize,
        span: &Span,
    ) -> Result<Ty> {
        let (ks, vs) = (narrow(key.size(), span)?, narrow(value.size(), span)?);
        Ok(match m {
            "len" | "is_empty" | "is_full" => self.length_test(m, cap, span),
            "has" | "get" => {
                self.value_for(&args[0], key, "the key")?;
                self.emit(
                    Op::MapSlot {
                        key: ks,
                        value: vs,
                        cap: cap as u32,
                    },
                    span,
                );
                if m == "has" {
                    self.emit(Op::Const(-1), span);
                    self.emit(Op::Ne, span);
                    Ty::Bool
                } else {
                    self.optional_at(value.size(), span);
                    Ty::Option(value.clone().into())
                }
            }
            "put" => {
                self.value_for(&args[0], key, "the key")?;
                self.value_for(&args[1], value, "the value")?;
                self.emit_put(ks, vs, cap, span)?;
                Ty::Unit
            }
            "remove" => {
                self.value_for(&args[0], key, "the key")?;
                self.emit(
                    Op::Delete {
                        key: ks,
                        value: vs,
                        cap: cap as u32,
                    },
                    span,
                );
                Ty::Bool
            }
            _ => {
                let size = 1 + (key.size() + value.size()) * cap;
                self.emit(Op::ZeroAt(size as u32), span);
                Ty::Unit
            }
        })
    }

    fn emit_put(&mut self, key: u16, value: u16, cap: usize, span: &Span) -> Result<()> {
        let fail = self.message(span, &format!("a new key in a full map (capacity {cap})"));
        let cap = narrow(cap, span)?;
        self.emit(
            Op::Put {
                key,
                value,
                cap,
                fail,
            },
            span,
        );
        Ok(())
    }

    /// `len()`, `is_empty()`, `is_full()` of the collection whose address is on the stack.
    fn length_test(&mut self, m: &str, cap: usize, span: &Span) -> Ty {
        self.emit(Op::LoadAt(1), span);
        match m {
            "len" => return Ty::Int,
            "is_empty" => self.emit(Op::Const(0), span),
            _ => self.emit(Op::Const(cap as i64), span),
        };
        self.emit(Op::Eq, span);
        Ty::Bool
    }

    /// Replaces the list address on the stack by the address of its first or last element,
    /// or -1 when it is empty.
    fn element_address(&mut self, last: bool, size: usize, span: &Span) {
        let empty = self.label();
        let join = self.label();
        self.emit(Op::Dup, span);
        self.emit(Op::LoadAt(1), span);
        if last {
            self.emit(Op::Dup, span);
        }
        self.emit_to(Op::JumpIfFalse(0), empty, span);
        if last {
            // address + 1 + (len - 1) * size
            self.emit(Op::AddConst(-1), span);
            self.emit(Op::Const(size as i64), span);
            self.emit(Op::Mul, span);
            self.emit(Op::Add, span);
        }
        self.emit(Op::AddConst(1), span);
        self.emit_to(Op::Jump(0), join, span);
        self.place_label(empty);
        self.emit(Op::Pop(if last { 2 } else { 1 }), span);
        self.emit(Op::Const(-1), span);
        self.place_label(join);
    }

    /// Replaces an address (or -1) on the stack by the `size` slots there as an option.
    fn optional_at(&mut self, size: usize, span: &Span) {
        let none = self.label();
        let join = self.label();
        self.emit(Op::Dup, span);
        self.emit_to(
            Op::JumpIfTop {
                value: -1,
                cmp: Cmp::Eq,
                target: 0,
            },
            none,
            span,
        );
        self.emit(Op::LoadAt(size as u32), span);
        self.emit(Op::Const(1), span);
        self.emit_to(Op::Jump(0), join, span);
        self.place_label(none);
        self.emit(Op::Pop(1), span);
        for _ in 0..=size {
            self.emit(Op::Const(0), span);
        }
        self.place_label(join);
    }

    /// `xs[i]` and `m[k]` as places: an element below the length, a key the map holds.
    pub(super) fn element_place(
        &mut self,
        p: Place,
        index: &'f Expr,
        span: &Span,
    ) -> Result<Place> {
        let p = self.onto_stack(p, span)?;
        match p.ty.clone() {
            Ty::List(elem, _) => {
                let it = self.expr(index, None)?;
                if it != Ty::Int {
                    return Err(Diag::new(
                        index.span.clone(),
                        format!("a list's index is an int, not {it}"),
                    ));
                }
                let fail = self.message(span, "a list index outside its length");
                let stride = elem.size() as u32;
                self.emit(Op::Elem { stride, fail }, span);
                Ok(Place {
                    ty: (*elem).clone(),
                    ..p
                })
            }
            Ty::Map(key, value, cap) => {
                self.value_for(index, &key, "the key")?;
                let (ks, vs) = (narrow(key.size(), span)?, narrow(value.size(), span)?);
                self.emit(
                    Op::MapSlot {
                        key: ks,
                        value: vs,
                        cap: cap as u32,
                    },
                    span,
                );
                let found = self.label();
                self.emit(Op::Dup, span);
                self.emit_to(
                    Op::JumpIfTop {
                        value: -1,
                        cmp: Cmp::Ne,
                        target: 0,
                    },
                    found,
                    span,
                );
                let fail = self.message(span, "a key the map does not hold (use `get` or `has`)");
                self.emit(Op::Fail(fail), span);
                self.place_label(found);
                Ok(Place {
                    ty: (*value).clone(),
                    ..p
                })
            }
            _ => unreachable!("only lists and maps"),
        }
    }

    /// `m[k] = v`: a map's assignment inserts the key when it is new.
    pub(super) fn map_assign(
        &mut self,
        p: Place,
        index: &'f Expr,
        value: &'f Expr,
        span: &Span,
    ) -> Result<()> {
        let Ty::Map(key, val, cap) = p.ty.clone() else {
            unreachable!("a map")
        };
        let p = self.target_place(p, span)?;
        if let Some((k, _)) = &p.var {
            self.usage.dyn_written.insert(k.clone());
        }
        self.onto_stack(p, span)?;
        self.value_for(index, &key, "the key")?;
        self.value_for(value, &val, "the value")?;
        let (ks, vs) = (narrow(key.size(), span)?, narrow(val.size(), span)?);
        self.emit_put(ks, vs, cap, span)
    }

    /// The parser's `#at(over, i)` (element or entry `i` of a quantifier's list or map) as a
    /// place: `i` is a compile-time index below the capacity, guarded by `#live`.
    pub(super) fn at_place(&mut self, args: &'f [Expr], span: &Span) -> Result<Place> {
        let p = self.quantified(&args[0])?;
        let i = self.const_int(&args[1], "an index")? as usize;
        let (elem, _) = p.ty.elements().expect("a list or a map");
        let off = 1 + i * elem.size();
        Ok(self.offset_place(p, off, elem, span))
    }

    /// The parser's `#live(over, i)`: whether element `i` is below the length.
    pub(super) fn live_test(&mut self, args: &'f [Expr], span: &Span) -> Result<Ty> {
        let p = self.quantified(&args[0])?;
        let i = self.const_int(&args[1], "an index")?;
        let len = self.offset_place(p, 0, Ty::Int, span);
        self.load(&len, span)?;
        self.emit(Op::Const(i), span);
        self.emit(Op::Gt, span);
        Ok(Ty::Bool)
    }

    /// A quantifier's list or map.
    fn quantified(&mut self, over: &'f Expr) -> Result<Place> {
        let Some(p) = self.place(over)? else {
            return Err(Diag::new(
                over.span.clone(),
                "`in` goes over a list or a map variable here, and this is not a variable",
            ));
        };
        if p.ty.elements().is_none() {
            return Err(Diag::new(
                over.span.clone(),
                format!("`in` goes over a list or a map here, and this is {}", p.ty),
            )
            .help(
                "write a range (`i in 0..n`), actors (`r: Request`), or a list or map variable",
            ));
        }
        self.check_read(&p, &over.span)?;
        Ok(p)
    }

    /// The capacity of a quantifier's list or map (its code is not kept).
    pub(super) fn capacity_of(&mut self, over: &'f Expr) -> Result<(Ty, usize)> {
        let start = self.ops.len();
        let labels = self.labels.len();
        let r = self.quantified(over);
        self.truncate(start, labels);
        let p = r?;
        let (_, cap) = p.ty.elements().expect("checked");
        Ok((p.ty, cap))
    }

    /// `for x in xs`, `for i, x in xs`, `for k in m`, `for k, v in m`: each element (entry) in
    /// turn, copied into the loop's locals when its turn comes; the length is read again
    /// before every turn, so the loop sees changes the body makes.
    pub(super) fn for_each(
        &mut self,
        first: Option<&'f Name>,
        var: &'f Name,
        over: &'f Expr,
        body: &'f Block,
        span: &Span,
    ) -> Result<()> {
        let (ty, _) = self.capacity_of(over)?;
        let (elem, _) = ty.elements().expect("a list or a map");
        let map = matches!(ty, Ty::Map(..));
        self.push_scope(false);
        let i = self.alloc(1, span)?;
        let entry = self.alloc(elem.size(), span)?;
        let ghost = self.ghost;
        match (map, first) {
            (false, f) => {
                self.bind(
                    &var.text,
                    Bind::Local {
                        off: entry,
                        ty: elem.clone(),
                        ghost,
                    },
                );
                if let Some(f) = f {
                    self.bind(
                        &f.text,
                        Bind::Local {
                            off: i,
                            ty: Ty::Int,
                            ghost,
                        },
                    );
                }
            }
            (true, f) => {
                let (k, v) = match &ty {
                    Ty::Map(k, v, _) => ((**k).clone(), (**v).clone()),
                    _ => unreachable!("a map"),
                };
                let value_off = entry + k.size() as u32;
                match f {
                    Some(f) => {
                        self.bind(
                            &f.text,
                            Bind::Local {
                                off: entry,
                                ty: k,
                                ghost,
                            },
                        );
                        self.bind(
                            &var.text,
                            Bind::Local {
                                off: value_off,
                                ty: v,
                                ghost,
                            },
                        );
                    }
                    None => self.bind(
                        &var.text,
                        Bind::Local {
                            off: entry,
                            ty: k,
                            ghost,
                        },
                    ),
                }
            }
        }
        let head = self.label();
        let cont = self.label();
        let brk = self.label();
        self.place_label(head);
        self.for_each_fetch(over, i, entry, elem.size(), brk, span)?;
        self.counted_turn(body, i, (head, cont, brk), span)
    }

    /// A counted loop's body and the end of its turn: `counter` goes up by one and control
    /// goes back to `head`; `break` leaves to `brk`, `continue` to `cont`. Closes the loop's
    /// scope.
    fn counted_turn(
        &mut self,
        body: &'f Block,
        counter: u32,
        (head, cont, brk): (usize, usize, usize),
        span: &Span,
    ) -> Result<()> {
        let mark = self.next_local();
        self.push_frame(Frame::Loop { brk, cont, mark });
        let r = self.scoped(body);
        self.pop_frame();
        r?;
        self.place_label(cont);
        self.emit(Op::LoadLocal(counter), span);
        self.emit(Op::AddConst(1), span);
        self.emit(Op::StoreLocal(counter), span);
        self.emit_to(Op::Jump(0), head, span);
        self.place_label(brk);
        self.pop_scope(span);
        Ok(())
    }

    /// `for x in any order xs`, `for i, x in any order xs`: the list is copied when the loop
    /// starts, and each turn takes one of the indices not taken yet, whichever the explorer
    /// chooses (`Op::PickBit`: a choice only while two or more are left), into the loop's
    /// locals. What `Promise.all` over a list does to the order in which the calls land.
    pub(super) fn for_any_order(
        &mut self,
        first: Option<&'f Name>,
        var: &'f Name,
        over: &'f Expr,
        body: &'f Block,
        span: &Span,
    ) -> Result<()> {
        let (ty, cap) = self.capacity_of(over)?;
        let Ty::List(elem, _) = &ty else {
            return Err(
                Diag::new(span.clone(), "`any order` takes a list, not a map")
                    .help("loop over a list (`for x in any order xs`), or over the map in order"),
            );
        };
        if cap > ANY_ORDER_MAX {
            // The indices taken are a bit set in one slot.
            return Err(Diag::new(
                span.clone(),
                format!("`any order` takes a list of at most {ANY_ORDER_MAX} elements, not {cap}"),
            )
            .help(format!(
                "declare the list with a capacity of {ANY_ORDER_MAX} or less"
            )));
        }
        if self.ghost {
            return Err(Diag::new(
                span.clone(),
                "an `any order` loop chooses, and ghost code runs without choices",
            )
            .help("loop in order (`for x in xs`) in ghost code"));
        }
        let (elem, size) = ((**elem).clone(), elem.size());
        self.push_scope(false);
        let copy = self.alloc(ty.size(), span)?;
        let taken = self.alloc(1, span)?;
        let turn = self.alloc(1, span)?;
        let i = self.alloc(1, span)?;
        let entry = self.alloc(size, span)?;
        let ghost = self.ghost;
        self.bind(
            &var.text,
            Bind::Local {
                off: entry,
                ty: elem,
                ghost,
            },
        );
        if let Some(f) = first {
            self.bind(
                &f.text,
                Bind::Local {
                    off: i,
                    ty: Ty::Int,
                    ghost,
                },
            );
        }
        self.resolving(span, |c| {
            let p = c.quantified(over)?;
            c.onto_stack(p, span)?;
            c.emit(Op::LoadAt(ty.size() as u32), span);
            c.store_local(copy, ty.size(), span);
            Ok(())
        })?;
        for local in [taken, turn] {
            self.emit(Op::Const(0), span);
            self.emit(Op::StoreLocal(local), span);
        }
        let (head, cont, brk, more) = (self.label(), self.label(), self.label(), self.label());
        self.place_label(head);
        self.emit(Op::LoadLocal(copy), span);
        self.emit(Op::LoadLocal(turn), span);
        self.emit(Op::Gt, span);
        self.emit_to(Op::JumpIfTrue(0), more, span);
        self.emit_to(Op::Jump(0), brk, span);
        self.place_label(more);
        self.emit(
            Op::PickBit {
                taken,
                len: copy,
                out: i,
            },
            span,
        );
        self.emit(Op::AddrLocal(copy), span);
        self.copy_element(i, entry, size, span);
        self.counted_turn(body, turn, (head, cont, brk), span)
    }

    /// A `for` turn's start: leave when the index reached the length, else copy the element.
    fn for_each_fetch(
        &mut self,
        over: &'f Expr,
        i: u32,
        entry: u32,
        size: usize,
        brk: usize,
        span: &Span,
    ) -> Result<()> {
        self.resolving(span, |c| {
            let p = c.quantified(over)?;
            let p = c.onto_stack(p, span)?;
            let _ = p;
            c.emit(Op::Dup, span);
            c.emit(Op::LoadAt(1), span);
            c.emit(Op::LoadLocal(i), span);
            c.emit(Op::Gt, span);
            let more = c.label();
            c.emit_to(Op::JumpIfTrue(0), more, span);
            c.emit(Op::Pop(1), span);
            c.emit_to(Op::Jump(0), brk, span);
            c.place_label(more);
            c.copy_element(i, entry, size, span);
            Ok(())
        })
    }

    /// With a list's address on the stack, copies its element at the index in local `i`
    /// (`size` slots) into the locals at `entry`.
    fn copy_element(&mut self, i: u32, entry: u32, size: usize, span: &Span) {
        self.emit(Op::LoadLocal(i), span);
        let fail = self.message(span, "a list index outside its length");
        self.emit(
            Op::Elem {
                stride: size as u32,
                fail,
            },
            span,
        );
        self.emit(Op::LoadAt(size as u32), span);
        self.store_local(entry, size, span);
    }

    /// `[a, b]` or `[]` where a list (or, empty, a map) is expected.
    pub(super) fn collection_literal(
        &mut self,
        items: &'f [Expr],
        want: &Ty,
        span: &Span,
    ) -> Result<Ty> {
        let (elem, cap) = want.elements().expect("a list or a map");
        if matches!(want, Ty::Map(..)) && !items.is_empty() {
            return Err(
                Diag::new(span.clone(), "a map literal can only be empty: `[]`")
                    .help("fill a map with `m.put(k, v)` or `m[k] = v`"),
            );
        }
        if items.len() > cap {
            return Err(Diag::new(
                span.clone(),
                format!("{} elements in a list of capacity {cap}", items.len()),
            ));
        }
        self.emit(Op::Const(items.len() as i64), span);
        for it in items {
            self.value_for(it, &elem, "an element")?;
        }
        for _ in 0..(cap - items.len()) * elem.size() {
            self.emit(Op::Const(0), span);
        }
        Ok(want.clone())
    }

    /// `p` shifted by `off` slots, as type `ty` (see `offset`).
    fn offset_place(&mut self, p: Place, off: usize, ty: Ty, span: &Span) -> Place {
        self.offset(p, off, ty, span)
    }

    /// Checks that `p` may be changed here (see `target`).
    fn target_place(&mut self, p: Place, span: &Span) -> Result<Place> {
        if matches!(p.addr, Addr::Const(_)) && self.discarding == 0 {
            return Err(Diag::new(
                span.clone(),
                "internal: a constant list changed in the second pass (please report this)",
            ));
        }
        self.check_writable(&p, span)?;
        Ok(p)
    }
}

/// A size or capacity as an instruction operand.
fn narrow(n: usize, span: &Span) -> Result<u16> {
    u16::try_from(n).map_err(|_| {
        Diag::new(
            span.clone(),
            format!("an element of {n} slots is too large for a list or a map"),
        )
    })
}
