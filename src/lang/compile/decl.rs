//! Declarations: what the file names at the top level, actor kinds and their variables, the
//! scenario's actors bound to them, and assumptions.

use std::collections::BTreeMap;

use lockstep_sim::machine::layout::B_HEADER;
use lockstep_sim::machine::{Instance, Kind, Op, ParamValue, Slot, SlotKind};

use super::super::ast::{self, Expr, ItemKind, StmtKind};
use super::super::diag::{Diag, Result};
use super::super::lexer::Span;
use super::super::types::Ty;
use super::{ActorSpec, Bind, Code, Compiler, Frame, ParamSpec, Scalar, Val, Var};

/// A protocol parameter (`param`), set from a scenario's `[params]`.
#[derive(Clone, Debug)]
pub struct ParamDecl<'f> {
    pub name: String,
    pub ty: &'f ast::Type,
    pub default: Option<&'f Expr>,
    pub allowed: Option<&'f [Expr]>,
    pub span: Span,
}

/// A parameter of an actor kind, set from an `[[actor]]` entry.
#[derive(Clone, Debug)]
pub struct ActorParamDecl<'f> {
    pub name: String,
    pub ty: Ty,
    pub default: Option<&'f Expr>,
    pub allowed: Option<&'f [Expr]>,
    pub span: Span,
}

/// An actor kind.
pub struct KindDecl<'f> {
    pub name: String,
    pub def: &'f ast::ActorDef,
    pub params: Vec<ActorParamDecl<'f>>,
    pub(super) vars: BTreeMap<String, Var>,
    pub(super) var_slots: Vec<Slot>,
    pub(super) var_tys: Vec<Ty>,
    /// Per parameter: its choice slot, when some actor of the scenario leaves it open.
    pub(super) choice: Vec<Option<u32>>,
}

impl KindDecl<'_> {
    /// Slots before the actor's variables: header and the choice slots.
    pub(super) fn vars_base(&self) -> usize {
        B_HEADER + self.choices()
    }

    pub(super) fn choices(&self) -> usize {
        self.choice.iter().filter(|c| c.is_some()).count()
    }
    pub(super) fn locals_base(&self) -> usize {
        self.vars_base() + self.var_slots.len()
    }
    pub(super) fn has_actor_slots(&self) -> bool {
        self.var_tys.iter().any(Ty::has_actor) || self.params.iter().any(|p| p.ty.has_actor())
    }
}

/// The scenario key of a parameter: a duration is given in milliseconds, as `NAME_ms`.
pub fn scenario_key(name: &str, ty: &Ty) -> String {
    if *ty == Ty::Dur || *ty == Ty::Option(std::rc::Rc::new(Ty::Dur)) {
        format!("{name}_ms")
    } else {
        name.to_string()
    }
}

impl<'f> Compiler<'f> {
    pub(super) fn declare(&mut self) -> Result<()> {
        let file = self.file;
        let mut seen: BTreeMap<String, Span> = BTreeMap::new();
        let mut unique = |name: &ast::Name, what: &str| -> Result<()> {
            if let Some(prev) = seen.get(&name.text) {
                let o = prev.start;
                return Err(Diag::new(
                    name.span.clone(),
                    format!("`{}` is already declared", name.text),
                )
                .help(format!(
                    "{what} names must be unique (the first is at byte {o}); rename one"
                )));
            }
            seen.insert(name.text.clone(), name.span.clone());
            Ok(())
        };
        for item in &file.items {
            match &item.kind {
                ItemKind::Type { name, ty } => {
                    unique(name, "type")?;
                    self.types.insert(name.text.clone(), ty);
                }
                ItemKind::Const { name, .. } => {
                    unique(name, "constant")?;
                    self.consts.insert(name.text.clone(), item);
                }
                ItemKind::Param {
                    name,
                    ty,
                    default,
                    allowed,
                    ..
                } => {
                    unique(name, "parameter")?;
                    self.params.insert(
                        name.text.clone(),
                        ParamDecl {
                            name: name.text.clone(),
                            ty,
                            default: default.as_ref(),
                            allowed: allowed.as_deref(),
                            span: name.span.clone(),
                        },
                    );
                }
                ItemKind::Shared { name, .. } => unique(name, "variable")?,
                ItemKind::Fn(f) => {
                    unique(&f.name, "function")?;
                    self.fns.insert(f.name.text.clone(), (f, None));
                }
                ItemKind::Actor(a) => {
                    unique(&a.name, "actor kind")?;
                    let k = self.kinds.len() as u16;
                    for f in &a.fns {
                        unique(&f.name, "function")?;
                        self.fns.insert(f.name.text.clone(), (f, Some(k)));
                    }
                    self.kinds.push(KindDecl {
                        name: a.name.text.clone(),
                        def: a,
                        params: Vec::new(),
                        vars: BTreeMap::new(),
                        var_slots: Vec::new(),
                        var_tys: Vec::new(),
                        choice: Vec::new(),
                    });
                }
                ItemKind::Invariant { name, .. }
                | ItemKind::Liveness { name, .. }
                | ItemKind::Reachable { name, .. } => unique(name, "property")?,
                _ => {}
            }
        }
        if self.kinds.is_empty() {
            return Err(
                Diag::new(file.name.span.clone(), "the protocol declares no actor")
                    .help("declare at least one: `actor Request(init: dur) { ... }`"),
            );
        }
        for k in 0..self.kinds.len() {
            self.declare_kind(k)?;
        }
        Ok(())
    }

    /// An actor kind's parameters and its variables (the `var` and `ghost` declarations at the
    /// top of its body).
    fn declare_kind(&mut self, k: usize) -> Result<()> {
        let def = self.kinds[k].def;
        let mut params: Vec<ActorParamDecl<'f>> = Vec::new();
        for p in &def.params {
            if params.iter().any(|q| q.name == p.name.text) {
                return Err(Diag::new(
                    p.name.span.clone(),
                    format!("parameter `{}` is declared twice", p.name.text),
                ));
            }
            let ty = self.ty(&p.ty)?;
            if !matches!(ty, Ty::Int | Ty::Dur | Ty::Bool | Ty::Sym) {
                return Err(Diag::new(
                    p.ty.span.clone(),
                    format!("an actor parameter is int, dur, bool or sym, not {ty}"),
                )
                .help("a scenario gives each actor parameter one value (or a list of them)"));
            }
            params.push(ActorParamDecl {
                name: p.name.text.clone(),
                ty,
                default: p.default.as_ref(),
                allowed: p.allowed.as_deref(),
                span: p.name.span.clone(),
            });
        }
        // A choice slot for each parameter some actor of this kind leaves open.
        let mut next = 0u32;
        let choice = params
            .iter()
            .map(|p| {
                let open = self.inst.actors.iter().any(|a| {
                    a.kind == self.kinds[k].name
                        && matches!(a.params.get(&p.name), Some(ParamSpec::Open(v)) if v.len() > 1)
                });
                open.then(|| {
                    next += 1;
                    next - 1
                })
            })
            .collect();
        self.kinds[k].params = params;
        self.kinds[k].choice = choice;
        for s in &def.body.stmts {
            let StmtKind::Var {
                ghost, name, ty, ..
            } = &s.kind
            else {
                continue;
            };
            let t = self.ty(ty)?;
            let key = super::VarKey::Actor(k as u16, name.text.clone());
            let constant = self.prior.as_ref().is_some_and(|u| u.constant(&key));
            let kd = &mut self.kinds[k];
            if kd.vars.contains_key(&name.text) || kd.params.iter().any(|p| p.name == name.text) {
                return Err(Diag::new(
                    name.span.clone(),
                    format!("`{}` is already declared in this actor", name.text),
                ));
            }
            if constant {
                kd.vars.insert(
                    name.text.clone(),
                    Var {
                        off: 0,
                        ghost: *ghost,
                        key,
                        constant: Some(std::rc::Rc::new(vec![0; t.size()])),
                        ty: t,
                        sparse: None,
                    },
                );
                continue;
            }
            let zeros = vec![0; t.size()];
            if let Some(sparse) = self.sparse_layout(
                &key,
                &t,
                &name.text,
                *ghost,
                &zeros,
                super::SparseOut::Kind(k as u16),
            ) {
                let kd = &mut self.kinds[k];
                kd.var_tys.push(t.clone());
                kd.vars.insert(
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
            let kd = &mut self.kinds[k];
            let off = kd.vars_base() + kd.var_slots.len();
            let base = kd.var_slots.len();
            t.slots(&name.text, *ghost, true, 0, &mut kd.var_slots);
            debug_assert_eq!(base + t.size(), kd.var_slots.len());
            kd.var_tys.push(t.clone());
            kd.vars.insert(
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

    /// The value of protocol parameter `name`: the scenario's, or the default.
    pub(super) fn param_of(&mut self, name: &str, span: &Span) -> Result<Val> {
        if let Some(v) = self.param_vals.get(name) {
            return Ok(v.clone());
        }
        let decl = self.params[name].clone();
        if !self.evaluating.insert(name.to_string()) {
            return Err(Diag::new(
                span.clone(),
                format!("parameter `{name}`'s default depends on itself"),
            ));
        }
        let ty = self.ty(decl.ty)?;
        let v = match self.inst.params.get(name) {
            Some(s) => {
                let s = s.clone();
                self.scalar(&s, &ty, &decl.span)?
            }
            None => match decl.default {
                Some(e) => {
                    let saved = self.enter_globals();
                    let v = self.typed_const(e, &ty, &format!("parameter `{name}`'s default"));
                    self.leave_globals(saved);
                    self.coerce(v?, &ty, &e.span)?
                }
                None if matches!(ty, Ty::Option(_)) => Val {
                    vals: vec![0; ty.size()],
                    ty: ty.clone(),
                },
                None => {
                    return Err(Diag::new(
                        decl.span.clone(),
                        format!(
                            "parameter `{name}` has no default and the scenario does not set it"
                        ),
                    )
                    .help(format!(
                        "set `{}` in the scenario's [params], or give the parameter a default",
                        scenario_key(name, &ty)
                    )))
                }
            },
        };
        if let Some(allowed) = decl.allowed {
            let saved = self.enter_globals();
            let mut ok = false;
            let mut seen = Vec::new();
            for a in allowed {
                let av = self.const_value(a, "an allowed value")?;
                let av = self.coerce(av, &ty, &a.span)?;
                seen.push(av.vals.clone());
                ok |= av.vals == v.vals;
            }
            self.leave_globals(saved);
            if !ok {
                let listed: Vec<&str> =
                    allowed.iter().map(|a| &self.text[a.span.clone()]).collect();
                return Err(Diag::new(
                    decl.span.clone(),
                    not_allowed(
                        "",
                        &scenario_key(name, &ty),
                        format!("parameter `{name}` has a value the file does not allow"),
                    ),
                )
                .help(format!("the file allows: {}", listed.join(", "))));
            }
        }
        self.evaluating.remove(name);
        self.param_vals.insert(name.to_string(), v.clone());
        Ok(v)
    }

    /// A scenario scalar as a value of type `ty`.
    pub(super) fn scalar(&mut self, s: &Scalar, ty: &Ty, span: &Span) -> Result<Val> {
        if let (Scalar::List(items), Ty::List(elem, cap)) = (s, ty) {
            return self.list_scalar(items, elem, *cap, ty, span);
        }
        let inner = match ty {
            Ty::Option(t) => (**t).clone(),
            t => t.clone(),
        };
        let v = match (s, &inner) {
            (Scalar::Int(v), Ty::Int | Ty::Dur) => *v,
            (Scalar::Bool(b), Ty::Bool) => i64::from(*b),
            (Scalar::Sym(x), Ty::Sym) => self.sym(x),
            _ => {
                return Err(Diag::new(
                    span.clone(),
                    format!(
                        "the scenario gives {} where the file wants {ty}",
                        s.describe()
                    ),
                ))
            }
        };
        let mut vals = vec![v];
        if matches!(ty, Ty::Option(_)) {
            vals.push(1);
        }
        Ok(Val {
            ty: ty.clone(),
            vals,
        })
    }

    /// A scenario's array as the value of a `list[T; N]` parameter: its length, its
    /// elements, zeros past them.
    fn list_scalar(
        &mut self,
        items: &[Scalar],
        elem: &Ty,
        cap: usize,
        ty: &Ty,
        span: &Span,
    ) -> Result<Val> {
        if items.len() > cap {
            return Err(Diag::new(
                span.clone(),
                format!(
                    "the scenario gives {} elements; the file's {ty} holds at most {cap}",
                    items.len()
                ),
            ));
        }
        let mut vals = vec![items.len() as i64];
        for it in items {
            vals.extend(self.scalar(it, elem, span)?.vals);
        }
        vals.resize(ty.size(), 0);
        Ok(Val {
            ty: ty.clone(),
            vals,
        })
    }

    pub(super) fn bind_instances(&mut self) -> Result<()> {
        self.instances_of = vec![Vec::new(); self.kinds.len()];
        for (i, a) in self.inst.actors.iter().enumerate() {
            let Some(k) = self.kinds.iter().position(|k| k.name == a.kind) else {
                return Err(Diag::new(
                    self.file.name.span.clone(),
                    format!("the scenario's actor `{}` is of kind `{}`, which the file does not declare", a.name, a.kind),
                ));
            };
            self.instances_of[k].push(i);
        }
        if self.inst.actors.len() > 64 {
            return Err(Diag::new(
                self.file.name.span.clone(),
                "at most 64 actors are supported",
            ));
        }
        Ok(())
    }

    /// The file's top-level `assume`s, with the parameters bound.
    pub(super) fn check_assumptions(&mut self) -> Result<()> {
        let file = self.file;
        for item in &file.items {
            let ItemKind::Assume {
                cond,
                message,
                only_for,
            } = &item.kind
            else {
                continue;
            };
            if let Some(p) = only_for
                && (!self.inst.checks.contains(&p.text) || self.checking_file)
            {
                continue;
            }
            let saved = self.enter_globals();
            let v = self.const_value(cond, "an assumption");
            self.leave_globals(saved);
            let v = v?;
            if v.ty != Ty::Bool {
                return Err(Diag::new(
                    cond.span.clone(),
                    format!("an assumption is a condition (bool), not {}", v.ty),
                ));
            }
            if v.vals[0] == 0 {
                return Err(self.assumption_failed(cond, message.as_deref(), None));
            }
        }
        Ok(())
    }

    fn assumption_failed(&self, cond: &Expr, message: Option<&str>, actor: Option<&str>) -> Diag {
        let text = &self.text[cond.span.clone()];
        let who = actor.map_or(String::new(), |a| format!(" for actor `{a}`"));
        let mut d = Diag::new(
            cond.span.clone(),
            format!("assumption `{text}` does not hold{who}"),
        );
        if let Some(m) = message {
            d = d.help(m.to_string());
        } else {
            d = d.help("change the scenario's values so that the assumption holds");
        }
        d.message = format!("{}{}", ASSUME_PREFIX, d.message);
        d
    }

    /// The scenario's actors as the machine's instances.
    pub(super) fn instances(&mut self, kinds: &[Kind]) -> Result<Vec<Instance>> {
        let mut out = Vec::new();
        let specs = self.inst.actors.clone();
        for spec in &specs {
            let k = self
                .kinds
                .iter()
                .position(|k| k.name == spec.kind)
                .expect("bound");
            let mut params = Vec::new();
            for p in self.kinds[k].params.clone() {
                params.push(self.actor_param(spec, &p)?);
            }
            self.check_actor_assumptions(k, spec, &params)?;
            let cancel_marks = self.mark_bits(&spec.cancel_marks);
            let pause_marks = self.mark_bits(&spec.pause_marks);
            out.push(Instance {
                name: spec.name.clone(),
                kind: k as u16,
                choice: self.kinds[k].choice.clone(),
                params,
                arrive: spec.arrive.clone(),
                cancel_at: spec.cancel_at,
                cancel_window: spec.cancel_window,
                cancel_marks,
                process: spec.process,
                pause_at: spec.pause_at,
                pause_marks,
                pause_ms: spec.pause_ms,
                pausable: spec.pausable,
            });
        }
        let _ = kinds;
        Ok(out)
    }

    /// The bits of the marks a scenario names for an actor's faults. The scenario's binding has
    /// refused a mark no variant has; a mark only another variant passes (one its override
    /// adds) gets no bit here, so its fault never fires in this variant and is reported so.
    fn mark_bits(&self, marks: &[String]) -> u64 {
        let mut bits = 0u64;
        for m in marks {
            if let Some(id) = self.marks.iter().position(|x| x == m) {
                bits |= 1 << id;
            }
        }
        bits
    }

    fn actor_param(&mut self, spec: &ActorSpec, p: &ActorParamDecl<'f>) -> Result<ParamValue> {
        let v = self.actor_param_value(spec, p)?;
        if let Some(allowed) = p.allowed {
            let saved = self.enter_globals();
            let mut ok_values = Vec::new();
            for a in allowed {
                let av = self.const_value(a, "an allowed value");
                let av = av.and_then(|av| self.coerce(av, &p.ty, &a.span));
                match av {
                    Ok(av) => ok_values.push(av.vals[0]),
                    Err(e) => {
                        self.leave_globals(saved);
                        return Err(e);
                    }
                }
            }
            self.leave_globals(saved);
            let vals = match &v {
                ParamValue::Fixed(x) => vec![*x],
                ParamValue::Open(xs) => xs.clone(),
            };
            if let Some(bad) = vals.iter().find(|x| !ok_values.contains(x)) {
                let shown = match p.ty {
                    Ty::Sym => format!("'{}'", self.syms[*bad as usize]),
                    _ => bad.to_string(),
                };
                let key = scenario_key(&p.name, &p.ty);
                let listed: Vec<&str> =
                    allowed.iter().map(|a| &self.text[a.span.clone()]).collect();
                return Err(Diag::new(
                    p.span.clone(),
                    not_allowed(
                        &spec.name,
                        &key,
                        format!(
                            "actor `{}` gives `{key}` the value {shown}, which the file does not allow",
                            spec.name
                        ),
                    ),
                )
                .help(format!("the file allows: {}", listed.join(", "))));
            }
        }
        Ok(v)
    }

    fn actor_param_value(
        &mut self,
        spec: &ActorSpec,
        p: &ActorParamDecl<'f>,
    ) -> Result<ParamValue> {
        match spec.params.get(&p.name) {
            Some(ParamSpec::Fixed(s)) => {
                Ok(ParamValue::Fixed(self.scalar(s, &p.ty, &p.span)?.vals[0]))
            }
            Some(ParamSpec::Open(alts)) => {
                let mut v = Vec::new();
                for s in alts {
                    v.push(self.scalar(s, &p.ty, &p.span)?.vals[0]);
                }
                Ok(if v.len() == 1 {
                    ParamValue::Fixed(v[0])
                } else {
                    ParamValue::Open(v)
                })
            }
            None => match p.default {
                Some(e) => {
                    let saved = self.enter_globals();
                    let v = self.const_value(e, "an actor parameter's default");
                    self.leave_globals(saved);
                    let v = self.coerce(v?, &p.ty, &e.span)?;
                    Ok(ParamValue::Fixed(v.vals[0]))
                }
                None => Err(Diag::new(
                    p.span.clone(),
                    format!(
                        "actor `{}` does not set `{}`, which has no default",
                        spec.name,
                        scenario_key(&p.name, &p.ty)
                    ),
                )),
            },
        }
    }

    /// The `assume`s at the top of an actor's body, for each combination of its parameters'
    /// values (at most [`ASSUME_COMBINATIONS`]; beyond, each alternative with the others at
    /// their first).
    fn check_actor_assumptions(
        &mut self,
        k: usize,
        spec: &ActorSpec,
        params: &[ParamValue],
    ) -> Result<()> {
        let def = self.kinds[k].def;
        let assumes: Vec<(&'f Expr, Option<&'f String>)> = def
            .body
            .stmts
            .iter()
            .filter_map(|s| match &s.kind {
                StmtKind::Assume { cond, message } => Some((cond, message.as_ref())),
                _ => None,
            })
            .collect();
        if assumes.is_empty() {
            return Ok(());
        }
        let alts: Vec<Vec<i64>> = params
            .iter()
            .map(|p| match p {
                ParamValue::Fixed(v) => vec![*v],
                ParamValue::Open(v) => v.clone(),
            })
            .collect();
        let total: usize = alts.iter().map(Vec::len).product();
        let combos: Vec<Vec<i64>> = if total <= ASSUME_COMBINATIONS {
            let mut out = vec![Vec::new()];
            for a in &alts {
                out = out
                    .into_iter()
                    .flat_map(|prefix| {
                        a.iter().map(move |v| {
                            let mut p = prefix.clone();
                            p.push(*v);
                            p
                        })
                    })
                    .collect();
            }
            out
        } else {
            let first: Vec<i64> = alts.iter().map(|a| a[0]).collect();
            let mut out = vec![first.clone()];
            for (i, a) in alts.iter().enumerate() {
                for v in &a[1..] {
                    let mut c = first.clone();
                    c[i] = *v;
                    out.push(c);
                }
            }
            out
        };
        let names: Vec<(String, Ty)> = self.kinds[k]
            .params
            .iter()
            .map(|p| (p.name.clone(), p.ty.clone()))
            .collect();
        for combo in combos {
            let saved = self.enter_globals();
            self.push_scope(true);
            self.scopes.last_mut().expect("pushed").names = names
                .iter()
                .zip(&combo)
                .map(|((n, t), v)| {
                    (
                        n.clone(),
                        Bind::Value {
                            ty: t.clone(),
                            vals: vec![*v],
                        },
                    )
                })
                .collect();
            let mut result = Ok(());
            for (cond, message) in &assumes {
                match self.const_value(cond, "an actor's assumption") {
                    Ok(v) if v.ty != Ty::Bool => {
                        result = Err(Diag::new(
                            cond.span.clone(),
                            format!("an assumption is a condition (bool), not {}", v.ty),
                        ));
                    }
                    Ok(v) if v.vals[0] == 0 => {
                        result = Err(self.assumption_failed(
                            cond,
                            message.map(String::as_str),
                            Some(&spec.name),
                        ));
                    }
                    Ok(_) => continue,
                    Err(e) => result = Err(e),
                }
                break;
            }
            self.drop_scope();
            self.leave_globals(saved);
            result?;
        }
        Ok(())
    }

    /// Compiles an actor kind's body.
    pub(super) fn compile_kind(&mut self, k: u16) -> Result<Kind> {
        let def = self.kinds[usize::from(k)].def;
        let entry = self.ops.len() as u32;
        self.code = Some(Code {
            kind: k,
            next_local: 0,
            max_local: 0,
            frames: Vec::new(),
        });
        self.can_await = true;
        self.ghost = false;
        let exit = self.label();
        self.push_frame(Frame::Body {
            exit,
            ret: None,
            mark: 0,
            actor_body: true,
            discard: false,
        });
        self.push_scope(true);
        self.owners.push(Some(k));
        let r = self.block_stmts(&def.body);
        self.owners.pop();
        r?;
        self.pop_scope(&def.body.span);
        self.pop_frame();
        self.place_label(exit);
        self.emit(Op::Finish(true), &def.body.span);
        self.can_await = false;
        let code = self.code.take().expect("compiling a kind");
        let abort_when = self.abort_when.take();
        let kd = &self.kinds[usize::from(k)];
        let mut locals = kd.var_slots.clone();
        for _ in 0..code.max_local {
            locals.push(Slot {
                name: "%local".to_string(),
                kind: SlotKind::Int,
                tag: None,
                ghost: false,
                shown: false,
            });
        }
        Ok(Kind {
            name: kd.name.clone(),
            entry,
            params: kd
                .params
                .iter()
                .map(|p| scenario_key(&p.name, &p.ty))
                .collect(),
            param_kinds: kd.params.iter().map(|p| p.ty.slot_kind()).collect(),
            choices: kd.choices() as u32,
            locals,
            abort_when,
        })
    }
}

/// Prefix of an assumption's failure message (the scenario loader points at both files).
pub const ASSUME_PREFIX: &str = "\u{1}";
/// Prefix of a scenario value outside a parameter's `in [...]` list, followed by the actor
/// (empty for `[params]`), the scenario key and the message, separated by `\u{1f}`: the
/// scenario loader points at the scenario's key and at the file's declaration.
pub const VALUE_PREFIX: &str = "\u{2}";

/// The message of a scenario value the file does not allow, for [`VALUE_PREFIX`].
fn not_allowed(actor: &str, key: &str, message: String) -> String {
    format!("{VALUE_PREFIX}{actor}\u{1f}{key}\u{1f}{message}")
}
/// Combinations of an actor's open parameters an `assume` is checked for, exhaustively.
pub const ASSUME_COMBINATIONS: usize = 4096;

impl<'f> Compiler<'f> {
    /// The parameters (in file order) and actor kinds, with their defaults as this variant
    /// has them.
    pub fn describe(
        mut self,
    ) -> Result<(Vec<super::super::ParamInfo>, Vec<super::super::KindInfo>)> {
        let file = self.file;
        let mut params = Vec::new();
        for item in &file.items {
            let ItemKind::Param {
                name, ty, fault, ..
            } = &item.kind
            else {
                continue;
            };
            let t = self.ty(ty)?;
            let default = match self.param_of(&name.text, &name.span) {
                Ok(v) => Some(render_val(&self, &v)),
                Err(_) => None,
            };
            params.push(super::super::ParamInfo {
                name: name.text.clone(),
                key: scenario_key(&name.text, &t),
                ty: t.to_string(),
                default,
                doc: item.doc.clone(),
                span: name.span.clone(),
                fault: *fault,
            });
        }
        let mut kinds = Vec::new();
        for k in 0..self.kinds.len() {
            let def = self.kinds[k].def;
            let mut ps = Vec::new();
            for (i, p) in self.kinds[k].params.clone().into_iter().enumerate() {
                let default = match p.default {
                    Some(e) => {
                        let saved = self.enter_globals();
                        let v = self.const_value(e, "an actor parameter's default");
                        self.leave_globals(saved);
                        let v = v.and_then(|v| self.coerce(v, &p.ty, &e.span))?;
                        Some(render_val(&self, &v))
                    }
                    None => None,
                };
                ps.push(super::super::ParamInfo {
                    key: scenario_key(&p.name, &p.ty),
                    ty: p.ty.to_string(),
                    default,
                    doc: def.params[i].doc.clone(),
                    span: p.span.clone(),
                    name: p.name,
                    fault: false,
                });
            }
            kinds.push(super::super::KindInfo {
                name: self.kinds[k].name.clone(),
                params: ps,
            });
        }
        Ok((params, kinds))
    }
}

/// A folded value as a scenario would write it (durations in milliseconds).
fn render_val(c: &Compiler<'_>, v: &Val) -> String {
    match &v.ty {
        Ty::Option(_) if v.vals.last() == Some(&0) => "none".to_string(),
        Ty::Option(t) => render_val(
            c,
            &Val {
                ty: (**t).clone(),
                vals: v.vals[..v.vals.len() - 1].to_vec(),
            },
        ),
        Ty::Bool => (v.vals[0] != 0).to_string(),
        Ty::Sym => format!(
            "\"{}\"",
            c.syms.get(v.vals[0] as usize).map_or("?", String::as_str)
        ),
        Ty::Int | Ty::Dur => v.vals[0].to_string(),
        other => format!("({other})"),
    }
}

/// The marker of an assumption's failure (see [`ASSUME_PREFIX`]).
pub fn assume_prefix() -> &'static str {
    ASSUME_PREFIX
}
