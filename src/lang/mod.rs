//! The protocol language: a user's lock, described in one small file (`*.lstep`), checked
//! with every explorer of the kernel and no compile step.
//!
//! The pipeline: [`lexer`] and [`parser`] to a syntax tree ([`ast`]); [`variant`] applies a
//! variant's overrides; [`compile`] resolves names, checks types and lowers the variant, bound
//! to a scenario's values, to a [`lockstep_sim::machine::Program`]; the kernel's
//! [`lockstep_sim::machine::Machine`] runs it. [`registry`] opens a file once (with the
//! module it names), [`binding`] loads a scenario of it, [`module`] divides a scenario's keys
//! between a file and its module. docs/language.md is the reference.

pub mod ast;
pub mod binding;
pub mod compile;
pub mod diag;
pub mod lexer;
pub mod lint;
pub mod module;
pub mod parser;
pub mod registry;
pub mod types;
pub mod unreached;
pub mod variant;

use std::collections::BTreeMap;
use std::sync::Arc;

use lockstep_sim::machine::Program;

use ast::{File, ItemKind};
use compile::{ActorSpec, Instantiation, ParamSpec, Scalar};
pub use diag::Diag;
use types::Ty;
pub use variant::VariantDecl;

use crate::scenario::ScenarioError;

/// The extension of protocol files.
pub const EXTENSION: &str = "lstep";

/// A protocol parameter, as `list --params` and scenario validation see it.
#[derive(Clone, Debug)]
pub struct ParamInfo {
    pub name: String,
    /// The scenario's key (`deadline_ms` for a `dur` named `deadline`).
    pub key: String,
    pub ty: String,
    pub default: Option<String>,
    pub doc: String,
    pub span: std::ops::Range<usize>,
    /// Set under the scenario's `[faults]` (`fault param`), not `[params]`.
    pub fault: bool,
}

/// An actor kind.
#[derive(Clone, Debug)]
pub struct KindInfo {
    pub name: String,
    pub params: Vec<ParamInfo>,
}

/// A named property of the file.
#[derive(Clone, Debug)]
pub struct PropInfo {
    pub name: String,
    pub liveness: bool,
    pub summary: String,
    pub span: std::ops::Range<usize>,
}

/// A protocol file, parsed and checked (every variant lowers with its defaults).
#[derive(Clone, Debug)]
pub struct Protocol {
    pub path: String,
    pub text: String,
    pub ast: Arc<File>,
    pub name: String,
    pub doc: String,
    pub platform: String,
    pub variants: Vec<VariantDecl>,
    pub props: Vec<PropInfo>,
    /// `reachable NAME: expression` declarations: reachability targets a scenario may name
    /// (besides marks and `throws`), never checked as invariants.
    pub reachables: Vec<PropInfo>,
    pub params: Vec<ParamInfo>,
    pub kinds: Vec<KindInfo>,
    pub marks: Vec<String>,
    /// `alias KEY = cancel at MARK`: scenario actor keys that cancel at a mark.
    pub aliases: Vec<(String, String)>,
    /// Each variant's tree, overrides applied.
    files: BTreeMap<String, Arc<File>>,
}

/// Parses and checks a protocol file: every variant is lowered once with every parameter at
/// its default and one actor of each kind, so a file that loads has no name, type or await
/// error in any variant.
pub fn load(path: &str, text: &str) -> Result<Protocol, ScenarioError> {
    let located = |d: Diag| d.located(path, text);
    let ast = parser::parse(text).map_err(located)?;
    errno_spelling(text).map_err(located)?;
    lint::check_allows(&ast).map_err(located)?;
    let variants = variant::variants(&ast).map_err(located)?;
    let mut files = BTreeMap::new();
    for v in &variants {
        files.insert(
            v.name.clone(),
            Arc::new(variant::apply(&ast, &v.name).map_err(located)?),
        );
    }
    let mut p = Protocol {
        path: path.to_string(),
        text: text.to_string(),
        name: ast.name.text.clone(),
        doc: ast.doc.clone(),
        platform: ast.platform.text.clone(),
        variants,
        props: props_of(&ast),
        reachables: reachables_of(&ast, text),
        params: Vec::new(),
        kinds: Vec::new(),
        marks: Vec::new(),
        aliases: aliases_of(&ast),
        files,
        ast: Arc::new(ast),
    };
    p.describe().map_err(located)?;
    alias_marks(&p).map_err(located)?;
    for v in &p.variants {
        let f = &p.files[&v.name];
        let inst = check_instantiation(f, &p);
        compile::check(f, text, path, &inst).map_err(|d| strip(d).located(path, text))?;
    }
    Ok(p)
}

/// A symbol spelled like an errno (`'E'` and capitals) that no system call answers and no
/// `throw` of the file produces is a misspelling: `if e != 'EEXSIT' { throw e }` would let
/// every EEXIST through as an uncaught error, and the search would judge that protocol instead
/// of the one meant.
fn errno_spelling(text: &str) -> Result<(), Diag> {
    use lexer::Tok;
    let toks = lexer::lex(text)?.toks;
    let errno_shaped = |s: &str| {
        s.len() >= 3
            && s.starts_with('E')
            && s.bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
    };
    let known = |s: &str| {
        lockstep_sim::world::Errno::ALL
            .iter()
            .any(|e| e.code() == s)
    };
    let thrown = |s: &str| {
        toks.windows(2).any(|w| {
            matches!((&w[0].0, &w[1].0), (Tok::Ident(t), Tok::Sym(x)) if t == "throw" && x == s)
        })
    };
    for (tok, span) in &toks {
        let Tok::Sym(s) = tok else { continue };
        if errno_shaped(s) && !known(s) && !thrown(s) {
            let codes: Vec<&str> = lockstep_sim::world::Errno::ALL
                .iter()
                .map(|e| e.code())
                .collect();
            return Err(Diag::new(
                span.clone(),
                format!("`'{s}'` is spelled like an errno, but no system call answers it and no `throw` in this file makes it"),
            )
            .help(format!(
                "the errnos are {}; a symbol of your own spelled like one must be thrown somewhere in the file (`throw '{s}'`)",
                codes.join(", ")
            )));
        }
    }
    Ok(())
}

/// Messages of assumption failures carry a marker for scenario errors; a file checked on its
/// own reports them plainly.
fn strip(mut d: Diag) -> Diag {
    if let Some(m) = d.message.strip_prefix(compile::decl_assume_prefix()) {
        d.message = m.to_string();
    }
    if let Some(m) = d.message.strip_prefix(compile::VALUE_PREFIX) {
        d.message = m.rsplit('\u{1f}').next().unwrap_or(m).to_string();
    }
    d
}

fn props_of(ast: &File) -> Vec<PropInfo> {
    ast.items
        .iter()
        .filter_map(|i| match &i.kind {
            ItemKind::Invariant { name, .. } => Some((name, false, i)),
            ItemKind::Liveness { name, .. } => Some((name, true, i)),
            _ => None,
        })
        .map(|(name, liveness, i)| PropInfo {
            name: name.text.clone(),
            liveness,
            summary: i.doc.clone(),
            span: name.span.clone(),
        })
        .collect()
}

fn reachables_of(ast: &File, text: &str) -> Vec<PropInfo> {
    ast.items
        .iter()
        .filter_map(|i| match &i.kind {
            ItemKind::Reachable { name, expr } => Some(PropInfo {
                name: name.text.clone(),
                liveness: false,
                summary: if i.doc.is_empty() {
                    let source: Vec<&str> = text[expr.span.clone()].split_whitespace().collect();
                    format!("some world satisfies `{}`", source.join(" "))
                } else {
                    i.doc.clone()
                },
                span: name.span.clone(),
            }),
            _ => None,
        })
        .collect()
}

/// The file's names for paths (`alias path L = "home/restart.lock"`).
pub fn path_aliases(ast: &File) -> Vec<(String, String)> {
    ast.items
        .iter()
        .filter_map(|i| match &i.kind {
            ItemKind::PathAlias { name, path } => Some((name.text.clone(), path.clone())),
            _ => None,
        })
        .collect()
}

/// An `alias KEY = cancel at MARK` names a mark of the file: a misspelt one would make the
/// scenario key a cancellation that can never fire.
fn alias_marks(p: &Protocol) -> Result<(), Diag> {
    for item in &p.ast.items {
        let ItemKind::Alias { key, mark } = &item.kind else {
            continue;
        };
        if !p.marks.contains(&mark.text) {
            let marks = if p.marks.is_empty() {
                "the file has none (`mark NAME` in the code declares one)".to_string()
            } else {
                format!("its marks are: {}", p.marks.join(", "))
            };
            return Err(Diag::new(
                mark.span.clone(),
                format!(
                    "`{}` cancels at mark `{}`, which the file does not have",
                    key.text, mark.text
                ),
            )
            .help(marks));
        }
    }
    Ok(())
}

fn aliases_of(ast: &File) -> Vec<(String, String)> {
    ast.items
        .iter()
        .filter_map(|i| match &i.kind {
            ItemKind::Alias { key, mark } => Some((key.text.clone(), mark.text.clone())),
            _ => None,
        })
        .collect()
}

/// What checking a file alone binds, for callers outside the crate (the fuzzer).
pub fn check_instantiation_for(p: &Protocol) -> Instantiation {
    check_instantiation(&p.ast, p)
}

/// What checking a file alone binds: defaults, one actor of each kind, every property.
fn check_instantiation(file: &File, p: &Protocol) -> Instantiation {
    let _ = file;
    Instantiation {
        params: BTreeMap::new(),
        actors: p
            .kinds
            .iter()
            .enumerate()
            .map(|(i, k)| ActorSpec {
                name: k.name.clone(),
                kind: k.name.clone(),
                params: k
                    .params
                    .iter()
                    .filter(|q| q.default.is_none())
                    .map(|q| (q.name.clone(), ParamSpec::Fixed(zero_of(&q.ty))))
                    .collect(),
                arrive: vec![0],
                cancel_at: None,
                cancel_window: None,
                cancel_marks: Vec::new(),
                process: if p.ast.platform.text == "node" {
                    binding::default_process(i)
                } else {
                    Default::default()
                },
                ..Default::default()
            })
            .collect(),
        checks: p.props.iter().map(|q| q.name.clone()).collect(),
        cancels_max: 0,
        pauses_max: 0,
        pause_ms: 0,
        syscall_faults: Vec::new(),
        nested: true,
        marks: Vec::new(),
    }
}

fn zero_of(ty: &str) -> Scalar {
    match ty {
        "bool" => Scalar::Bool(false),
        "sym" => Scalar::Sym("ok".to_string()),
        _ => Scalar::Int(0),
    }
}

impl Protocol {
    /// Fills parameters and kinds from the first variant's declarations, and marks from every
    /// variant's (a mark a variant's override adds is a mark of the file: a scenario may name
    /// it, and a variant that never passes it reports the fault as never fired).
    fn describe(&mut self) -> Result<(), Diag> {
        let first = self.variants[0].name.clone();
        let file = self.files[&first].clone();
        let inst = Instantiation::default();
        let c = compile::Compiler::new(&file, &self.text, &inst)?;
        let (params, kinds) = c.describe()?;
        self.params = params;
        self.kinds = kinds;
        self.marks.clear();
        for v in &self.variants {
            for m in marks_of(&self.files[&v.name]) {
                if !self.marks.contains(&m) {
                    self.marks.push(m);
                }
            }
        }
        Ok(())
    }

    /// Lowers variant `variant` bound to a scenario's values.
    pub fn lower(&self, variant: &str, inst: &Instantiation) -> Result<Arc<Program>, Diag> {
        let f = &self.files[variant];
        let inst = Instantiation {
            marks: self.marks.clone(),
            ..inst.clone()
        };
        compile::lower(f, &self.text, &self.path, &inst)
    }

    /// Variant `variant`'s tree, its overrides applied (a variant the file declares).
    pub fn file_of(&self, variant: &str) -> &File {
        &self.files[variant]
    }

    pub fn variant(&self, name: &str) -> Option<&VariantDecl> {
        self.variants.iter().find(|v| v.name == name)
    }

    /// The parameters of variant `variant` with their defaults in that variant.
    pub fn params_of(&self, variant: &str) -> Result<Vec<ParamInfo>, Diag> {
        let file = self.files[variant].clone();
        let inst = Instantiation::default();
        let c = compile::Compiler::new(&file, &self.text, &inst)?;
        Ok(c.describe()?.0)
    }
}

fn marks_of(file: &File) -> Vec<String> {
    let mut out = Vec::new();
    fn walk(b: &ast::Block, out: &mut Vec<String>) {
        for s in &b.stmts {
            use ast::StmtKind as S;
            match &s.kind {
                S::Mark(n) if !out.contains(&n.text) => out.push(n.text.clone()),
                S::If { then, els, .. } => {
                    walk(then, out);
                    if let Some(e) = els {
                        walk(e, out);
                    }
                }
                S::While { body, .. }
                | S::Loop(body)
                | S::For { body, .. }
                | S::ForEach { body, .. }
                | S::ForActors { body, .. }
                | S::Ghost(body)
                | S::Block(body)
                | S::Part { body, .. } => walk(body, out),
                S::Try {
                    body,
                    catch,
                    finally,
                } => {
                    walk(body, out);
                    if let Some((_, c)) = catch {
                        walk(c, out);
                    }
                    if let Some(f) = finally {
                        walk(f, out);
                    }
                }
                S::Match { arms, .. } => {
                    for a in arms {
                        walk(&a.body, out);
                    }
                }
                _ => {}
            }
        }
    }
    for i in &file.items {
        match &i.kind {
            ItemKind::Fn(f) => {
                if let ast::FnBody::Block(b) = &f.body {
                    walk(b, &mut out);
                }
            }
            ItemKind::Actor(a) => {
                walk(&a.body, &mut out);
                for f in &a.fns {
                    if let ast::FnBody::Block(b) = &f.body {
                        walk(b, &mut out);
                    }
                }
            }
            _ => {}
        }
    }
    out
}

/// A type's name as `list --params` shows it.
pub fn type_name(t: &Ty) -> String {
    t.to_string()
}
