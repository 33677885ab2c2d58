//! Variants: every historical version of a protocol as a small override of a named base, so
//! the file reads as the diffs the versions were. A variant may replace a `const`, a `param`'s
//! default, a `fn`, or a labelled part (`publish: { ... }`).

use std::collections::BTreeMap;

use super::ast::{Block, File, FnBody, Item, ItemKind, Name, Stmt, StmtKind};
use super::diag::{Diag, Result};

/// A variant as declared.
#[derive(Clone, Debug)]
pub struct VariantDecl {
    pub name: String,
    pub base: Option<String>,
    pub canary: bool,
    pub summary: String,
    pub span: std::ops::Range<usize>,
}

/// The file's variants, in declaration order, with their bases checked.
pub fn variants(file: &File) -> Result<Vec<VariantDecl>> {
    let mut out: Vec<VariantDecl> = Vec::new();
    for item in &file.items {
        let ItemKind::Variant {
            name, base, canary, ..
        } = &item.kind
        else {
            continue;
        };
        if out.iter().any(|v| v.name == name.text) {
            return Err(Diag::new(
                name.span.clone(),
                format!("variant `{}` is declared twice", name.text),
            ));
        }
        out.push(VariantDecl {
            name: name.text.clone(),
            base: base.as_ref().map(|b| b.text.clone()),
            canary: *canary,
            summary: item.doc.clone(),
            span: name.span.clone(),
        });
    }
    if out.is_empty() {
        return Err(Diag::new(
            file.name.span.clone(),
            "the protocol declares no variant",
        )
        .help("name the version the file describes: `variant v1` (older versions: `variant v0 from v1 { ... }`)"));
    }
    for item in &file.items {
        if let ItemKind::Variant {
            base: Some(b),
            name,
            ..
        } = &item.kind
            && !out.iter().any(|v| v.name == b.text)
        {
            return Err(Diag::new(
                b.span.clone(),
                format!(
                    "variant `{}` derives from `{}`, which is not declared",
                    name.text, b.text
                ),
            )
            .help(format!(
                "the variants are: {}",
                out.iter()
                    .map(|v| v.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
    }
    for v in &out {
        chain(file, &v.name)?;
    }
    Ok(out)
}

/// The variant's overrides from the root down to it.
fn chain<'a>(file: &'a File, name: &str) -> Result<Vec<&'a Item>> {
    let mut chain: Vec<&Item> = Vec::new();
    let mut cur = name.to_string();
    loop {
        let item = file
            .items
            .iter()
            .find(|i| matches!(&i.kind, ItemKind::Variant { name, .. } if name.text == cur))
            .expect("declared");
        if chain.iter().any(|c| std::ptr::eq(*c, item)) {
            let ItemKind::Variant { name, .. } = &item.kind else {
                unreachable!()
            };
            return Err(Diag::new(
                name.span.clone(),
                format!("variant `{}` derives from itself", name.text),
            ));
        }
        chain.push(item);
        let ItemKind::Variant { base, .. } = &item.kind else {
            unreachable!()
        };
        match base {
            Some(b) => cur = b.text.clone(),
            None => break,
        }
    }
    chain.reverse();
    Ok(chain)
}

/// The file as variant `name` runs it: every override on its chain applied, root first.
pub fn apply(file: &File, name: &str) -> Result<File> {
    check_labels(file)?;
    let mut out = file.clone();
    for item in chain(file, name)? {
        let ItemKind::Variant { overrides, .. } = &item.kind else {
            unreachable!()
        };
        for o in overrides {
            override_one(&mut out, o)?;
        }
    }
    Ok(out)
}

fn override_one(file: &mut File, o: &Item) -> Result<()> {
    match &o.kind {
        ItemKind::Const { name, .. } => {
            let slot = file.items.iter_mut().find(
                |i| matches!(&i.kind, ItemKind::Const { name: n, .. } if n.text == name.text),
            );
            match slot {
                Some(i) => {
                    i.kind = o.kind.clone();
                    Ok(())
                }
                None => Err(missing(name, "constant")),
            }
        }
        ItemKind::ParamDefault { name, value } => {
            for i in &mut file.items {
                if let ItemKind::Param {
                    name: n, default, ..
                } = &mut i.kind
                    && n.text == name.text
                {
                    *default = Some(value.clone());
                    return Ok(());
                }
            }
            Err(missing(name, "parameter"))
        }
        ItemKind::Fn(f) => {
            for i in &mut file.items {
                match &mut i.kind {
                    ItemKind::Fn(g) if g.name.text == f.name.text => {
                        *g = f.clone();
                        return Ok(());
                    }
                    ItemKind::Actor(a) => {
                        if let Some(g) = a.fns.iter_mut().find(|g| g.name.text == f.name.text) {
                            *g = f.clone();
                            return Ok(());
                        }
                    }
                    _ => {}
                }
            }
            Err(missing(&f.name, "function"))
        }
        ItemKind::Part { label, body } => {
            let mut done = false;
            for i in &mut file.items {
                match &mut i.kind {
                    ItemKind::Fn(g) => replace_in_fn(&mut g.body, label, body, &mut done),
                    ItemKind::Actor(a) => {
                        replace_in_block(&mut a.body, label, body, &mut done);
                        for g in &mut a.fns {
                            replace_in_fn(&mut g.body, label, body, &mut done);
                        }
                    }
                    _ => {}
                }
            }
            if done {
                Ok(())
            } else {
                Err(missing(label, "labelled part"))
            }
        }
        _ => Err(Diag::new(
            o.span.clone(),
            "a variant overrides `const`s, `param` defaults, `fn`s and labelled parts only",
        )
        .help("declare shared state, types and properties once, outside the variants")),
    }
}

fn missing(name: &Name, what: &str) -> Diag {
    Diag::new(
        name.span.clone(),
        format!(
            "the variant overrides {what} `{}`, which the file does not have",
            name.text
        ),
    )
    .help("a variant replaces something the base declares; check the spelling")
}

fn replace_in_fn(body: &mut FnBody, label: &Name, with: &Block, done: &mut bool) {
    if let FnBody::Block(b) = body {
        replace_in_block(b, label, with, done);
    }
}

fn replace_in_block(b: &mut Block, label: &Name, with: &Block, done: &mut bool) {
    for s in &mut b.stmts {
        replace_in_stmt(s, label, with, done);
    }
}

fn replace_in_stmt(s: &mut Stmt, label: &Name, with: &Block, done: &mut bool) {
    use StmtKind as S;
    match &mut s.kind {
        S::Part { label: l, body } => {
            if l.text == label.text {
                *body = with.clone();
                *done = true;
            } else {
                replace_in_block(body, label, with, done);
            }
        }
        S::If { then, els, .. } => {
            replace_in_block(then, label, with, done);
            if let Some(e) = els {
                replace_in_block(e, label, with, done);
            }
        }
        S::While { body, .. }
        | S::Loop(body)
        | S::For { body, .. }
        | S::ForEach { body, .. }
        | S::ForActors { body, .. }
        | S::Ghost(body)
        | S::Block(body) => replace_in_block(body, label, with, done),
        S::Try {
            body,
            catch,
            finally,
        } => {
            replace_in_block(body, label, with, done);
            if let Some((_, c)) = catch {
                replace_in_block(c, label, with, done);
            }
            if let Some(f) = finally {
                replace_in_block(f, label, with, done);
            }
        }
        S::Match { arms, .. } => {
            for a in arms {
                replace_in_block(&mut a.body, label, with, done);
            }
        }
        _ => {}
    }
}

/// Labels of parts are unique in a file (a variant names exactly one).
fn check_labels(file: &File) -> Result<()> {
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let mut dup: Option<Name> = None;
    let mut visit = |b: &Block| collect_labels(b, &mut seen, &mut dup);
    for i in &file.items {
        match &i.kind {
            ItemKind::Fn(f) => {
                if let FnBody::Block(b) = &f.body {
                    visit(b);
                }
            }
            ItemKind::Actor(a) => {
                visit(&a.body);
                for f in &a.fns {
                    if let FnBody::Block(b) = &f.body {
                        visit(b);
                    }
                }
            }
            _ => {}
        }
    }
    match dup {
        Some(n) => Err(Diag::new(
            n.span.clone(),
            format!("part `{}` is labelled twice", n.text),
        )
        .help("labels name one part each, so a variant replaces exactly one")),
        None => Ok(()),
    }
}

fn collect_labels(b: &Block, seen: &mut BTreeMap<String, usize>, dup: &mut Option<Name>) {
    for s in &b.stmts {
        use StmtKind as S;
        match &s.kind {
            S::Part { label, body } => {
                if seen.insert(label.text.clone(), label.span.start).is_some() && dup.is_none() {
                    *dup = Some(label.clone());
                }
                collect_labels(body, seen, dup);
            }
            S::If { then, els, .. } => {
                collect_labels(then, seen, dup);
                if let Some(e) = els {
                    collect_labels(e, seen, dup);
                }
            }
            S::While { body, .. }
            | S::Loop(body)
            | S::For { body, .. }
            | S::ForEach { body, .. }
            | S::ForActors { body, .. }
            | S::Ghost(body)
            | S::Block(body) => collect_labels(body, seen, dup),
            S::Try {
                body,
                catch,
                finally,
            } => {
                collect_labels(body, seen, dup);
                if let Some((_, c)) = catch {
                    collect_labels(c, seen, dup);
                }
                if let Some(f) = finally {
                    collect_labels(f, seen, dup);
                }
            }
            S::Match { arms, .. } => {
                for a in arms {
                    collect_labels(&a.body, seen, dup);
                }
            }
            _ => {}
        }
    }
}
