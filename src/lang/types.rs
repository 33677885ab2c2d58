//! Types of the protocol language and their slot layouts.
//!
//! Every value is a fixed number of `i64` slots: scalars one, a record its fields in order, an
//! array its elements in order, an option its payload followed by a tag (1: some). The zero
//! value of every slot is the default of its type (0, 0ms, false, the first symbol, `none`),
//! so a fresh world is all zeros.

use std::fmt;
use std::rc::Rc;

use lockstep_sim::machine::{Slot, SlotKind};

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ty {
    Int,
    Dur,
    Bool,
    Sym,
    /// An actor; of one kind when the kind is known (`Request`), of any kind otherwise.
    Actor(Option<u16>),
    Record(Rc<Vec<(String, Ty)>>),
    Array(Rc<Ty>, usize),
    /// Up to `.1` elements: a length slot, then the elements (see the machine's collections).
    List(Rc<Ty>, usize),
    /// Up to `.2` entries `{ key, value }`, kept in key order: a length slot, then the entries.
    Map(Rc<Ty>, Rc<Ty>, usize),
    Option(Rc<Ty>),
    /// The type of `none` before the context says which option it is.
    NoneLit,
    /// What a statement-like call returns when it returns nothing.
    Unit,
    /// A file name (`platform node`): one slot.
    Name,
    /// A path from the root: [`lockstep_sim::machine::os::DEPTH`] names.
    Path,
}

impl Ty {
    /// Slots a value of this type takes.
    pub fn size(&self) -> usize {
        match self {
            Ty::Int | Ty::Dur | Ty::Bool | Ty::Sym | Ty::Actor(_) | Ty::Name => 1,
            Ty::Path => lockstep_sim::machine::os::DEPTH,
            Ty::Record(fields) => fields.iter().map(|(_, t)| t.size()).sum(),
            Ty::Array(t, n) => t.size() * n,
            Ty::List(t, n) => 1 + t.size() * n,
            Ty::Map(k, v, n) => 1 + (k.size() + v.size()) * n,
            Ty::Option(t) => t.size() + 1,
            Ty::NoneLit | Ty::Unit => 0,
        }
    }

    pub fn is_scalar(&self) -> bool {
        self.size() == 1 && !matches!(self, Ty::Record(_) | Ty::Array(..))
    }

    /// A list's element type and capacity, or a map's entry type (`{ key, value }`) and
    /// capacity: the two share a layout.
    pub fn elements(&self) -> Option<(Ty, usize)> {
        match self {
            Ty::List(t, n) => Some(((**t).clone(), *n)),
            Ty::Map(k, v, n) => Some((entry(k, v), *n)),
            _ => None,
        }
    }

    /// Whether a value of type `from` may be stored where `self` is expected (an option takes
    /// `none` and a value of its payload type; an actor of any kind takes one of a kind).
    pub fn accepts(&self, from: &Ty) -> bool {
        if self == from {
            return true;
        }
        match (self, from) {
            (Ty::Option(_), Ty::NoneLit) => true,
            (Ty::Option(t), f) => t.accepts(f) && !matches!(f, Ty::Option(_)),
            (Ty::Actor(None), Ty::Actor(_)) => true,
            _ => false,
        }
    }

    /// Whether a slot of this layout can hold an actor index (symmetry must know).
    pub fn has_actor(&self) -> bool {
        match self {
            Ty::Actor(_) => true,
            Ty::Record(f) => f.iter().any(|(_, t)| t.has_actor()),
            Ty::Array(t, _) | Ty::List(t, _) | Ty::Option(t) => t.has_actor(),
            Ty::Map(k, v, _) => k.has_actor() || v.has_actor(),
            _ => false,
        }
    }

    /// The offset and type of field `name` of a record.
    pub fn field(&self, name: &str) -> Option<(usize, Ty)> {
        let Ty::Record(fields) = self else {
            return None;
        };
        let mut off = 0;
        for (n, t) in fields.iter() {
            if n == name {
                return Some((off, t.clone()));
            }
            off += t.size();
        }
        None
    }

    /// The named slots of a value of this type stored under `name`, appended to `out`, with
    /// option tags pointing at offsets relative to `base` (where `out` began for this layout).
    pub fn slots(&self, name: &str, ghost: bool, shown: bool, base: usize, out: &mut Vec<Slot>) {
        let scalar = |kind| Slot {
            name: name.to_string(),
            kind,
            tag: None,
            ghost,
            shown,
        };
        match self {
            Ty::Int => out.push(scalar(SlotKind::Int)),
            Ty::Dur => out.push(scalar(SlotKind::Dur)),
            Ty::Bool => out.push(scalar(SlotKind::Bool)),
            Ty::Sym => out.push(scalar(SlotKind::Sym)),
            Ty::Actor(_) => out.push(scalar(SlotKind::Actor)),
            Ty::Record(fields) => {
                for (f, t) in fields.iter() {
                    t.slots(&format!("{name}.{f}"), ghost, shown, base, out);
                }
            }
            Ty::Array(t, n) => {
                for i in 0..*n {
                    t.slots(&format!("{name}[{i}]"), ghost, shown, base, out);
                }
            }
            Ty::List(..) | Ty::Map(..) => {
                out.push(Slot {
                    name: format!("{name}.len"),
                    kind: SlotKind::Int,
                    tag: None,
                    ghost,
                    shown,
                });
                let (elem, n) = self.elements().expect("a list or a map");
                for i in 0..n {
                    elem.slots(&format!("{name}[{i}]"), ghost, shown, base, out);
                }
            }
            Ty::Option(t) => {
                let first = out.len();
                t.slots(name, ghost, shown, base, out);
                let tag = (out.len() - base) as u32;
                for s in &mut out[first..] {
                    if s.tag.is_none() {
                        s.tag = Some(tag);
                    }
                }
                out.push(Slot {
                    name: format!("{name}?"),
                    kind: SlotKind::Tag,
                    tag: None,
                    ghost,
                    shown,
                });
            }
            Ty::Name => out.push(scalar(SlotKind::Name)),
            Ty::Path => {
                out.push(scalar(SlotKind::Path));
                for i in 1..lockstep_sim::machine::os::DEPTH {
                    out.push(Slot {
                        name: format!("{name}#{i}"),
                        kind: SlotKind::Name,
                        tag: None,
                        ghost,
                        shown: false,
                    });
                }
            }
            Ty::NoneLit | Ty::Unit => {}
        }
    }

    /// The kind of a scalar's slot (for timelines).
    pub fn slot_kind(&self) -> SlotKind {
        match self {
            Ty::Dur => SlotKind::Dur,
            Ty::Bool => SlotKind::Bool,
            Ty::Sym => SlotKind::Sym,
            Ty::Actor(_) => SlotKind::Actor,
            Ty::Name => SlotKind::Name,
            _ => SlotKind::Int,
        }
    }
}

impl fmt::Display for Ty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ty::Int => f.write_str("int"),
            Ty::Dur => f.write_str("dur"),
            Ty::Bool => f.write_str("bool"),
            Ty::Sym => f.write_str("sym"),
            Ty::Actor(_) => f.write_str("actor"),
            Ty::Record(fields) => {
                f.write_str("{ ")?;
                for (i, (n, t)) in fields.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{n}: {t}")?;
                }
                f.write_str(" }")
            }
            Ty::Array(t, n) => write!(f, "[{t}; {n}]"),
            Ty::List(t, n) => write!(f, "list[{t}; {n}]"),
            Ty::Map(k, v, n) => write!(f, "map[{k}, {v}; {n}]"),
            Ty::Option(t) => write!(f, "{t}?"),
            Ty::NoneLit => f.write_str("none"),
            Ty::Unit => f.write_str("nothing"),
            Ty::Name => f.write_str("name"),
            Ty::Path => f.write_str("path"),
        }
    }
}

/// The type of a map's entries.
pub fn entry(key: &Rc<Ty>, value: &Rc<Ty>) -> Ty {
    Ty::Record(Rc::new(vec![
        ("key".to_string(), (**key).clone()),
        ("value".to_string(), (**value).clone()),
    ]))
}
