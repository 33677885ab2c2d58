//! Recursive-descent parser: tokens to [`ast::File`]. Every error says what was expected,
//! what was found, and what to write instead.

use super::ast::*;
use super::diag::{Diag, Result};
use super::lexer::{lex, Span, Tok};

/// Words that cannot name a variable, a function or a type.
pub const KEYWORDS: &[&str] = &[
    "protocol",
    "platform",
    "const",
    "param",
    "assume",
    "type",
    "shared",
    "ghost",
    "fn",
    "actor",
    "invariant",
    "liveness",
    "variant",
    "canary",
    "from",
    "alias",
    "let",
    "var",
    "if",
    "else",
    "while",
    "loop",
    "for",
    "in",
    "break",
    "continue",
    "return",
    "throw",
    "try",
    "catch",
    "finally",
    "match",
    "mark",
    "await",
    "until",
    "when",
    "by",
    "true",
    "false",
    "none",
    "self",
    "int",
    "dur",
    "bool",
    "sym",
];

pub fn parse(text: &str) -> Result<File> {
    let lexed = lex(text)?;
    let mut p = Parser {
        toks: lexed.toks,
        docs: lexed.docs,
        allows: lexed.allows,
        at: 0,
        doc_from: 0,
        no_record: false,
        no_in: false,
        hidden: 0,
        depth: 0,
        line_starts: std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect(),
    };
    p.file()
}

struct Parser {
    toks: Vec<(Tok, Span)>,
    docs: Vec<(usize, String)>,
    allows: Vec<super::lexer::Allow>,
    at: usize,
    /// Documentation comments before this offset belong to earlier items.
    doc_from: usize,
    /// Inside a condition, where `{` starts the block, not a record.
    no_record: bool,
    /// In a parameter's default, where `in [...]` lists the allowed values.
    no_in: bool,
    /// Byte offsets where lines start.
    line_starts: Vec<usize>,
    /// Names made for quantifiers over lists and maps so far (`#i0`, `#i1`, ...).
    hidden: usize,
    /// How deep the tree being parsed is (blocks, parentheses, operators): bounded, so that no
    /// input can exhaust the stack of the passes that walk the tree.
    depth: u32,
}

/// The deepest a file's tree may nest (blocks, parentheses, types, and the operators of one
/// expression chain count one level each).
pub const NESTING_MAX: u32 = 128;

/// Words that start a declaration: met inside a block, they mean the block was never closed.
const DECLARATIONS: &[&str] = &[
    "module",
    "invariant",
    "liveness",
    "variant",
    "canary",
    "actor",
    "shared",
    "param",
    "const",
    "type",
    "protocol",
    "alias",
];

fn describe_expected(what: &str, found: &Tok) -> String {
    format!("expected {what}, found {}", found.describe())
}

impl Parser {
    fn tok(&self) -> &Tok {
        &self.toks[self.at].0
    }
    fn span(&self) -> Span {
        self.toks[self.at].1.clone()
    }
    fn peek(&self, k: usize) -> &Tok {
        let i = (self.at + k).min(self.toks.len() - 1);
        &self.toks[i].0
    }
    fn bump(&mut self) -> (Tok, Span) {
        let t = self.toks[self.at].clone();
        if self.at + 1 < self.toks.len() {
            self.at += 1;
        }
        t
    }
    fn prev_end(&self) -> usize {
        if self.at == 0 {
            0
        } else {
            self.toks[self.at - 1].1.end
        }
    }
    fn is(&self, t: &Tok) -> bool {
        self.tok() == t
    }
    fn is_kw(&self, kw: &str) -> bool {
        matches!(self.tok(), Tok::Ident(s) if s == kw)
    }
    fn eat(&mut self, t: &Tok) -> bool {
        if self.is(t) {
            self.bump();
            true
        } else {
            false
        }
    }
    fn eat_kw(&mut self, kw: &str) -> bool {
        if self.is_kw(kw) {
            self.bump();
            true
        } else {
            false
        }
    }
    fn skip_semis(&mut self) {
        while self.is(&Tok::Semi) {
            self.bump();
        }
    }

    /// A declaration word (or the end of the file) inside a block: a block never closed, or a
    /// part labelled with a declaration word (`liveness: { ... }`).
    fn declaration_inside(&self, open: Span) -> Diag {
        match self.tok() {
            Tok::Ident(word) if self.peek(1) == &Tok::Colon => Diag::new(
                self.span(),
                format!("`{word}` is a keyword and cannot be a part's label"),
            )
            .help("give the part another name: a label names a part variants may override"),
            _ => self.unclosed(open),
        }
    }

    /// A block opened at `open` and never closed: a declaration (or the end of the file)
    /// came first.
    fn unclosed(&self, open: Span) -> Diag {
        let what = match self.tok() {
            Tok::Eof => "the end of the file".to_string(),
            t => format!(
                "the declaration {} (line {})",
                t.describe(),
                self.line_at(self.span().start)
            ),
        };
        Diag::new(open, "this block is never closed")
            .help(format!("close it with `}}` before {what}"))
    }

    /// The 1-based line of a byte offset (for help texts that mention another place).
    fn line_at(&self, offset: usize) -> usize {
        self.line_starts.partition_point(|&s| s <= offset)
    }

    fn error(&self, what: &str) -> Diag {
        Diag::new(self.span(), describe_expected(what, self.tok()))
    }

    fn expect(&mut self, t: &Tok, help: &str) -> Result<Span> {
        if self.is(t) {
            Ok(self.bump().1)
        } else {
            Err(self
                .error(&format!("`{}`", t.text()))
                .help(help.to_string()))
        }
    }

    fn expect_kw(&mut self, kw: &str, help: &str) -> Result<Span> {
        if self.is_kw(kw) {
            Ok(self.bump().1)
        } else {
            Err(self.error(&format!("`{kw}`")).help(help.to_string()))
        }
    }

    /// An identifier that is not a keyword.
    fn ident(&mut self, what: &str) -> Result<Name> {
        match self.tok().clone() {
            Tok::Ident(s) if !KEYWORDS.contains(&s.as_str()) => {
                let span = self.bump().1;
                Ok(Name { text: s, span })
            }
            Tok::Ident(s) => Err(Diag::new(
                self.span(),
                format!("`{s}` is a keyword and cannot be {what}"),
            )
            .help("choose another name")),
            _ => Err(self.error(what)),
        }
    }

    /// A declaration name: an identifier, or words joined by `-` with no spaces
    /// (`max-inits`, `v1-reclaim`).
    fn name(&mut self, what: &str) -> Result<Name> {
        let start = self.span();
        let mut text = match self.tok().clone() {
            Tok::Ident(s) => {
                self.bump();
                s
            }
            Tok::Int(v) => {
                self.bump();
                v.to_string()
            }
            _ => return Err(self.error(what)),
        };
        let mut end = start.end;
        while self.is(&Tok::Minus) && self.span().start == end {
            let next = self.toks[self.at + 1].clone();
            if next.1.start != self.span().end {
                break;
            }
            let word = match next.0 {
                Tok::Ident(s) => s,
                Tok::Int(v) => v.to_string(),
                _ => break,
            };
            self.bump();
            self.bump();
            text.push('-');
            text.push_str(&word);
            end = next.1.end;
        }
        Ok(Name {
            text,
            span: start.start..end,
        })
    }

    /// The `///` comments between the previous item and `at`.
    fn doc_before(&mut self, at: usize) -> String {
        let lines: Vec<&str> = self
            .docs
            .iter()
            .filter(|(o, _)| *o >= self.doc_from && *o < at)
            .map(|(_, t)| t.as_str())
            .collect();
        self.doc_from = at;
        lines.join(" ")
    }

    fn file(&mut self) -> Result<File> {
        self.skip_semis();
        let start = self.span().start;
        let doc = self.doc_before(start);
        self.expect_kw(
            "protocol",
            "a protocol file starts with `protocol NAME`, e.g. `protocol init-lock`",
        )?;
        let name = self.name("the protocol's name")?;
        self.skip_semis();
        self.expect_kw(
            "platform",
            "the second line says which runtime the code runs on: `platform workerd` or `platform node`",
        )?;
        let platform = self.ident("a platform name")?;
        self.end_of_item()?;
        let mut items = Vec::new();
        loop {
            self.skip_semis();
            if self.is(&Tok::Eof) {
                break;
            }
            items.push(self.item(false)?);
        }
        Ok(File {
            name,
            platform,
            doc,
            items,
            allows: std::mem::take(&mut self.allows),
        })
    }

    fn end_of_item(&mut self) -> Result<()> {
        if self.is(&Tok::Semi) || self.is(&Tok::Eof) || self.is(&Tok::RBrace) {
            self.skip_semis();
            Ok(())
        } else if self.is(&Tok::Assign) {
            Err(self
                .error("the end of the line")
                .help("a comparison is `==`: a declaration's expression does not assign"))
        } else {
            Err(self.error("the end of the line"))
        }
    }

    fn item(&mut self, in_variant: bool) -> Result<Item> {
        let start = self.span().start;
        let doc = self.doc_before(start);
        let kind = self.item_kind(in_variant)?;
        let span = start..self.prev_end();
        // Comments inside the item (an actor's variables, a variant's overrides) are its own,
        // not the next item's.
        self.doc_from = self.doc_from.max(span.end);
        self.end_of_item()?;
        Ok(Item { kind, span, doc })
    }

    fn item_kind(&mut self, in_variant: bool) -> Result<ItemKind> {
        let Tok::Ident(word) = self.tok().clone() else {
            return Err(self.error("a declaration (`const`, `param`, `shared`, `ghost`, `fn`, `actor`, `invariant`, `liveness`, `variant`, ...)"));
        };
        match word.as_str() {
            "const" => {
                self.bump();
                let name = self.ident("a constant's name")?;
                let ty = if self.eat(&Tok::Colon) {
                    Some(self.ty()?)
                } else {
                    None
                };
                self.expect(&Tok::Assign, "a constant needs a value: `const NAME = 15s`")?;
                let value = self.expr()?;
                Ok(ItemKind::Const { name, ty, value })
            }
            "param" => self.param(in_variant),
            "fault" if !in_variant && matches!(self.peek(1), Tok::Ident(w) if w == "param") => {
                self.fault_param()
            }
            "assume" => {
                self.bump();
                let cond = self.expr()?;
                let only_for = if self.eat_kw("for") {
                    Some(self.name("a property's name")?)
                } else {
                    None
                };
                let message = self.message()?;
                Ok(ItemKind::Assume {
                    cond,
                    message,
                    only_for,
                })
            }
            "type" => {
                self.bump();
                let name = self.ident("a type's name")?;
                self.expect(&Tok::Assign, "write `type NAME = { field: int, ... }`")?;
                let ty = self.ty()?;
                Ok(ItemKind::Type { name, ty })
            }
            "shared" | "ghost" => {
                self.bump();
                let name = self.ident("a variable's name")?;
                self.expect(&Tok::Colon, "a shared variable needs a type: `shared x: int`")?;
                let ty = self.ty()?;
                let init = if self.eat(&Tok::Assign) {
                    Some(self.expr()?)
                } else {
                    None
                };
                Ok(ItemKind::Shared {
                    ghost: word == "ghost",
                    name,
                    ty,
                    init,
                })
            }
            "fn" => Ok(ItemKind::Fn(self.fn_def()?)),
            "actor" if !in_variant => Ok(ItemKind::Actor(self.actor()?)),
            "invariant" if !in_variant => {
                self.bump();
                let name = self.name("the invariant's name")?;
                let at_end = matches!(self.tok(), Tok::Ident(w) if w == "at");
                if at_end {
                    self.bump();
                    match self.tok().clone() {
                        Tok::Ident(w) if w == "end" => {
                            self.bump();
                        }
                        _ => {
                            return Err(self
                                .error("`end`")
                                .help("`invariant NAME at end: expression` is judged when a run ends"))
                        }
                    }
                }
                self.expect(&Tok::Colon, "write `invariant NAME: expression`")?;
                let expr = self.expr()?;
                Ok(ItemKind::Invariant { name, expr, at_end })
            }
            "reachable" if !in_variant => {
                self.bump();
                let name = self.name("the reachability target's name")?;
                self.expect(
                    &Tok::Colon,
                    "write `reachable NAME: expression` (a world the search must be able to reach)",
                )?;
                let expr = self.expr()?;
                Ok(ItemKind::Reachable { name, expr })
            }
            "liveness" if !in_variant => self.liveness(),
            "canary" | "variant" if !in_variant => self.variant(),
            "alias" if !in_variant && matches!(self.peek(1), Tok::Ident(w) if w == "path") => {
                self.bump();
                self.bump();
                // A name with a dot (`owner.json`) is written in quotes.
                let name = match self.tok().clone() {
                    Tok::Str(text) => {
                        let span = self.span();
                        self.bump();
                        Name { text, span }
                    }
                    _ => self.name("the path's name")?,
                };
                self.expect(&Tok::Assign, "write `alias path NAME = \"dir/file\"`")?;
                let Tok::Str(path) = self.tok().clone() else {
                    return Err(self.error("a path in quotes").help("write `alias path NAME = \"dir/file\"`"));
                };
                self.bump();
                Ok(ItemKind::PathAlias { name, path })
            }
            "module" if !in_variant => self.module(),
            "alias" if !in_variant => {
                self.bump();
                let key = self.ident("a scenario key")?;
                self.expect(&Tok::Assign, "write `alias KEY = cancel at MARK`")?;
                self.expect_kw("cancel", "write `alias KEY = cancel at MARK`")?;
                self.expect_kw("at", "write `alias KEY = cancel at MARK`")?;
                let mark = self.name("a mark's name")?;
                Ok(ItemKind::Alias { key, mark })
            }
            _ if in_variant && self.peek(1) == &Tok::Colon => {
                let label = self.ident("a part's label")?;
                self.bump();
                let body = self.block()?;
                Ok(ItemKind::Part { label, body })
            }
            _ => Err(Diag::new(
                self.span(),
                format!(
                    "expected a declaration, found {}",
                    self.tok().describe()
                ),
            )
            .help(if in_variant {
                "a variant overrides `const`s, `param` defaults, `fn`s and labelled parts (`label: { ... }`)"
            } else {
                "declarations start with const, param, fault param, assume, type, shared, ghost, module, fn, actor, invariant, liveness, reachable, variant, canary variant or alias path"
            })),
        }
    }

    fn assumption(&mut self) -> Result<(Expr, Option<String>)> {
        let cond = self.expr()?;
        Ok((cond, self.message()?))
    }

    /// A parameter's default value (before an optional `in [...]`).
    fn default_value(&mut self) -> Result<Expr> {
        let saved = std::mem::replace(&mut self.no_in, true);
        let e = self.expr();
        self.no_in = saved;
        e
    }

    /// `: "message"` after an assumption, if any.
    fn message(&mut self) -> Result<Option<String>> {
        let message = if self.eat(&Tok::Colon) {
            match self.bump() {
                (Tok::Str(s), _) => Some(s),
                _ => {
                    self.at -= 1;
                    return Err(self.error("a message in double quotes").help(
                        "write `assume poll > 0ms: \"the poll interval must be positive\"`",
                    ));
                }
            }
        } else {
            None
        };
        Ok(message)
    }

    fn param(&mut self, in_variant: bool) -> Result<ItemKind> {
        self.bump();
        let name = self.ident("a parameter's name")?;
        if in_variant {
            self.expect(
                &Tok::Assign,
                "a variant sets a parameter's default: `param NAME = value`",
            )?;
            let value = self.expr()?;
            return Ok(ItemKind::ParamDefault { name, value });
        }
        self.expect(
            &Tok::Colon,
            "a parameter needs a type: `param poll: dur = 50ms`",
        )?;
        let ty = self.ty()?;
        let default = if self.eat(&Tok::Assign) {
            Some(self.default_value()?)
        } else {
            None
        };
        let allowed = if self.eat_kw("in") {
            Some(self.list_of_exprs()?)
        } else {
            None
        };
        Ok(ItemKind::Param {
            name,
            ty,
            default,
            allowed,
            fault: false,
        })
    }

    /// `fault param NAME: T = default in [...]`: a parameter the scenario sets under
    /// `[faults]`.
    fn fault_param(&mut self) -> Result<ItemKind> {
        self.bump();
        let mut item = self.param(false)?;
        if let ItemKind::Param { fault, .. } = &mut item {
            *fault = true;
        }
        Ok(item)
    }

    /// `module NAME = "file.lstep" keys "prefix_"`.
    fn module(&mut self) -> Result<ItemKind> {
        self.bump();
        let name = self.ident("the module's name")?;
        let help = "write `module lock = \"other.lstep\" keys \"lock_\"`";
        self.expect(&Tok::Assign, help)?;
        let Tok::Str(file) = self.tok().clone() else {
            return Err(self.error("a protocol file's path in quotes").help(help));
        };
        let path = Name {
            text: file,
            span: self.span(),
        };
        self.bump();
        self.expect_kw("keys", help)?;
        let Tok::Str(prefix) = self.tok().clone() else {
            return Err(self
                .error("the prefix of its scenario keys, in quotes")
                .help(help));
        };
        self.bump();
        Ok(ItemKind::Module { name, path, prefix })
    }

    fn list_of_exprs(&mut self) -> Result<Vec<Expr>> {
        self.expect(&Tok::LBracket, "write a list of values: `[a, b]`")?;
        let mut v = Vec::new();
        while !self.is(&Tok::RBracket) {
            v.push(self.expr()?);
            if !self.eat(&Tok::Comma) {
                break;
            }
        }
        self.expect(&Tok::RBracket, "close the list with `]`")?;
        Ok(v)
    }

    fn liveness(&mut self) -> Result<ItemKind> {
        self.bump();
        let name = self.name("the property's name")?;
        self.expect(
            &Tok::Colon,
            "write `liveness NAME: for r: Kind when CONDITION by DEADLINE`",
        )?;
        self.skip_semis();
        let bindings = if self.eat_kw("for") {
            self.bindings()?
        } else {
            Vec::new()
        };
        self.skip_semis();
        self.expect_kw(
            "when",
            "a liveness property says when an obligation is open: `when r.waiting by r.since + 5s`",
        )?;
        let when = self.expr()?;
        self.skip_semis();
        self.expect_kw(
            "by",
            "a liveness property says by when the obligation must be met: `by r.since + 5s`",
        )?;
        let by = self.expr()?;
        Ok(ItemKind::Liveness {
            name,
            bindings,
            when,
            by,
        })
    }

    fn bindings(&mut self) -> Result<Vec<Binding>> {
        let mut v = Vec::new();
        loop {
            let mut var = self.ident("a variable")?;
            let mut first = None;
            if self.is(&Tok::Comma) && matches!(self.peek(1), Tok::Ident(_)) {
                self.bump();
                first = Some(std::mem::replace(&mut var, self.ident("a variable")?));
                if !self.is_kw("in") {
                    return Err(self
                        .error("`in`")
                        .help("two names bind an index and an element, or a key and a value: `i, x in xs`, `k, v in m`"));
                }
            }
            if first.is_none() && self.eat(&Tok::Colon) {
                let kind = self.ident("an actor kind")?;
                v.push(Binding::Actors { var, kind });
            } else if self.eat_kw("in") {
                let from = self.add()?;
                if first.is_none() && self.eat(&Tok::DotDot) {
                    let to = self.add()?;
                    v.push(Binding::Range { var, from, to });
                } else {
                    v.push(self.each(first, var, from));
                }
            } else {
                return Err(self
                    .error("`:` or `in`")
                    .help("bind an actor (`r: Request`), a range (`l in 0..2`), or the elements of a list or map (`x in xs`, `k, v in m`)"));
            }
            if !self.eat(&Tok::Comma) {
                return Ok(v);
            }
        }
    }

    fn variant(&mut self) -> Result<ItemKind> {
        let canary = self.eat_kw("canary");
        self.expect_kw("variant", "write `canary variant NAME from BASE { ... }`")?;
        let name = self.name("the variant's name")?;
        let base = if self.eat_kw("from") {
            Some(self.name("the base variant's name")?)
        } else {
            None
        };
        let mut overrides = Vec::new();
        if self.eat(&Tok::LBrace) {
            loop {
                self.skip_semis();
                if self.is(&Tok::RBrace) {
                    self.bump();
                    break;
                }
                if self.is(&Tok::Eof) {
                    return Err(self.error("`}`").help("close the variant with `}`"));
                }
                overrides.push(self.item(true)?);
            }
        }
        Ok(ItemKind::Variant {
            name,
            base,
            canary,
            overrides,
        })
    }

    fn fn_def(&mut self) -> Result<FnDef> {
        let start = self.expect_kw("fn", "a function starts with `fn`")?.start;
        let name = self.ident("a function's name")?;
        self.expect(&Tok::LParen, "write `fn name(x: int) { ... }`")?;
        let mut params = Vec::new();
        while !self.is(&Tok::RParen) {
            let p = self.ident("a parameter's name")?;
            self.expect(&Tok::Colon, "a parameter needs a type: `x: int`")?;
            let t = self.ty()?;
            params.push((p, t));
            if !self.eat(&Tok::Comma) {
                break;
            }
        }
        self.expect(&Tok::RParen, "close the parameters with `)`")?;
        let ret = if self.eat(&Tok::Arrow) {
            Some(self.ty()?)
        } else {
            None
        };
        let body = if self.eat(&Tok::Assign) {
            FnBody::Expr(self.expr()?)
        } else {
            FnBody::Block(self.block()?)
        };
        Ok(FnDef {
            name,
            params,
            ret,
            body,
            span: start..self.prev_end(),
        })
    }

    fn actor(&mut self) -> Result<ActorDef> {
        self.bump();
        let name = self.ident("the actor kind's name")?;
        self.expect(
            &Tok::LParen,
            "write `actor Request(init: dur, ...) { ... }`",
        )?;
        let mut params = Vec::new();
        while !self.is(&Tok::RParen) {
            let doc = self.doc_before(self.span().start);
            let p = self.ident("a parameter's name")?;
            self.expect(&Tok::Colon, "an actor parameter needs a type: `init: dur`")?;
            let ty = self.ty()?;
            let default = if self.eat(&Tok::Assign) {
                Some(self.default_value()?)
            } else {
                None
            };
            let allowed = if self.eat_kw("in") {
                Some(self.list_of_exprs()?)
            } else {
                None
            };
            params.push(ActorParam {
                name: p,
                ty,
                default,
                allowed,
                doc,
            });
            if !self.eat(&Tok::Comma) {
                break;
            }
        }
        self.expect(&Tok::RParen, "close the parameters with `)`")?;
        // The body, with its functions taken out.
        let open = self.expect(&Tok::LBrace, "an actor's body is a block `{ ... }`")?;
        let mut stmts = Vec::new();
        let mut fns = Vec::new();
        loop {
            self.skip_semis();
            if self.is(&Tok::RBrace) {
                break;
            }
            if self.is(&Tok::Eof) || DECLARATIONS.iter().any(|d| self.is_kw(d)) {
                return Err(self.declaration_inside(open.clone()));
            }
            if self.is_kw("fn") {
                fns.push(self.fn_def()?);
            } else {
                stmts.push(self.stmt()?);
            }
        }
        let close = self.bump().1;
        Ok(ActorDef {
            name,
            params,
            body: Block {
                stmts,
                span: open.start..close.end,
            },
            fns,
        })
    }

    fn ty(&mut self) -> Result<Type> {
        self.deeper()?;
        let t = self.ty_inner();
        self.depth -= 1;
        t
    }

    fn ty_inner(&mut self) -> Result<Type> {
        let start = self.span().start;
        let mut t = match self.tok().clone() {
            Tok::LBrace => {
                self.bump();
                let mut fields = Vec::new();
                loop {
                    self.skip_semis();
                    if self.is(&Tok::RBrace) {
                        break;
                    }
                    let f = self.ident("a field's name")?;
                    self.expect(&Tok::Colon, "a field needs a type: `owner: dur?`")?;
                    let ft = self.ty()?;
                    fields.push((f, ft));
                    self.skip_semis();
                    if !self.eat(&Tok::Comma) {
                        self.skip_semis();
                        break;
                    }
                }
                self.expect(&Tok::RBrace, "close the record type with `}`")?;
                TypeKind::Record(fields)
            }
            Tok::LBracket => {
                self.bump();
                let elem = self.ty()?;
                self.expect(&Tok::Semi, "an array type is `[type; length]`")?;
                let len = self.expr()?;
                self.expect(&Tok::RBracket, "close the array type with `]`")?;
                TypeKind::Array(Box::new(elem), Box::new(len))
            }
            Tok::Ident(s) if (s == "list" || s == "map") && self.peek(1) == &Tok::LBracket => {
                self.bump();
                self.bump();
                let first = self.ty()?;
                let t = if s == "map" {
                    self.expect(&Tok::Comma, "a map type is `map[key type, value type; capacity]`")?;
                    let value = self.ty()?;
                    self.expect(&Tok::Semi, "a map type is `map[key type, value type; capacity]`")?;
                    let cap = self.expr()?;
                    TypeKind::Map(Box::new(first), Box::new(value), Box::new(cap))
                } else {
                    self.expect(&Tok::Semi, "a list type is `list[type; capacity]`")?;
                    let cap = self.expr()?;
                    TypeKind::List(Box::new(first), Box::new(cap))
                };
                self.expect(&Tok::RBracket, "close the type with `]`")?;
                t
            }
            Tok::Ident(s) => {
                self.bump();
                match s.as_str() {
                    "int" => TypeKind::Int,
                    "dur" => TypeKind::Dur,
                    "bool" => TypeKind::Bool,
                    "sym" => TypeKind::Sym,
                    "actor" => TypeKind::Actor,
                    _ => TypeKind::Named(s),
                }
            }
            _ => {
                return Err(self
                    .error("a type")
                    .help("types are int, dur, bool, sym, actor, a record `{ f: int }`, an array `[int; 2]`, a list `list[int; 4]`, a map `map[sym, int; 4]`, or an option `T?`"))
            }
        };
        while self.is(&Tok::Question) {
            self.bump();
            t = TypeKind::Option(Box::new(Type {
                kind: t,
                span: start..self.prev_end(),
            }));
        }
        Ok(Type {
            kind: t,
            span: start..self.prev_end(),
        })
    }

    fn block(&mut self) -> Result<Block> {
        self.deeper()?;
        let b = self.block_inner();
        self.depth -= 1;
        b
    }

    fn block_inner(&mut self) -> Result<Block> {
        let help = if self.is(&Tok::Assign) {
            "a comparison is `==` (`=` assigns); a block starts with `{`"
        } else {
            "a block starts with `{`"
        };
        let open = self.expect(&Tok::LBrace, help)?;
        let saved = std::mem::replace(&mut self.no_record, false);
        let mut stmts = Vec::new();
        loop {
            self.skip_semis();
            if self.is(&Tok::RBrace) {
                break;
            }
            if self.is(&Tok::Eof) || DECLARATIONS.iter().any(|d| self.is_kw(d)) {
                return Err(self.declaration_inside(open.clone()));
            }
            stmts.push(self.stmt()?);
        }
        let close = self.bump().1;
        self.no_record = saved;
        Ok(Block {
            stmts,
            span: open.start..close.end,
        })
    }

    fn end_of_stmt(&mut self) -> Result<()> {
        if self.is(&Tok::Semi) {
            self.bump();
            Ok(())
        } else if self.is(&Tok::RBrace) || self.is(&Tok::Eof) {
            Ok(())
        } else {
            Err(self
                .error("the end of the statement")
                .help("put each statement on its own line, or separate them with `;`"))
        }
    }

    fn stmt(&mut self) -> Result<Stmt> {
        let start = self.span().start;
        let kind = self.stmt_kind()?;
        let span = start..self.prev_end();
        self.end_of_stmt()?;
        Ok(Stmt { kind, span })
    }

    fn cond(&mut self) -> Result<Expr> {
        let saved = std::mem::replace(&mut self.no_record, true);
        let e = self.expr();
        self.no_record = saved;
        e
    }

    fn stmt_kind(&mut self) -> Result<StmtKind> {
        if let Tok::Ident(w) = self.tok().clone() {
            match w.as_str() {
                "let" => {
                    self.bump();
                    let name = self.ident("a variable's name")?;
                    let ty = if self.eat(&Tok::Colon) {
                        Some(self.ty()?)
                    } else {
                        None
                    };
                    self.expect(&Tok::Assign, "write `let x = value`")?;
                    let value = self.expr()?;
                    return Ok(StmtKind::Let { name, ty, value });
                }
                "var" => return self.var(false),
                "abort" if matches!(self.peek(1), Tok::Ident(w) if w == "when") => {
                    self.bump();
                    self.bump();
                    return Ok(StmtKind::AbortWhen(self.expr()?));
                }
                "ghost" if self.peek(1) == &Tok::LBrace => {
                    self.bump();
                    return Ok(StmtKind::Ghost(self.block()?));
                }
                "ghost" => return self.var(true),
                "if" => return self.if_stmt(),
                "while" => {
                    self.bump();
                    let cond = self.cond()?;
                    let body = self.block()?;
                    return Ok(StmtKind::While { cond, body });
                }
                "loop" => {
                    self.bump();
                    return Ok(StmtKind::Loop(self.block()?));
                }
                "for" => return self.for_stmt(),
                "break" => {
                    self.bump();
                    return Ok(StmtKind::Break);
                }
                "continue" => {
                    self.bump();
                    return Ok(StmtKind::Continue);
                }
                "return" => {
                    self.bump();
                    if self.is(&Tok::Semi) || self.is(&Tok::RBrace) {
                        return Ok(StmtKind::Return(None));
                    }
                    return Ok(StmtKind::Return(Some(self.expr()?)));
                }
                "throw" => {
                    self.bump();
                    return Ok(StmtKind::Throw(self.expr()?));
                }
                "try" => return self.try_stmt(),
                "match" => return self.match_stmt(),
                "mark" => {
                    self.bump();
                    return Ok(StmtKind::Mark(self.name("a mark's name")?));
                }
                "assume" => {
                    self.bump();
                    let (cond, message) = self.assumption()?;
                    return Ok(StmtKind::Assume { cond, message });
                }
                _ if self.peek(1) == &Tok::Colon && self.peek(2) == &Tok::LBrace => {
                    let label = self.ident("a part's label")?;
                    self.bump();
                    let body = self.block()?;
                    return Ok(StmtKind::Part { label, body });
                }
                _ => {}
            }
        }
        if self.is(&Tok::LBrace) {
            return Ok(StmtKind::Block(self.block()?));
        }
        let e = self.expr()?;
        let op = match self.tok() {
            Tok::Assign => AssignOp::Set,
            Tok::PlusAssign => AssignOp::Add,
            Tok::MinusAssign => AssignOp::Sub,
            _ => return Ok(StmtKind::Expr(e)),
        };
        self.bump();
        let value = self.expr()?;
        Ok(StmtKind::Assign {
            place: e,
            op,
            value,
        })
    }

    fn var(&mut self, ghost: bool) -> Result<StmtKind> {
        self.bump();
        let name = self.ident("a variable's name")?;
        self.expect(
            &Tok::Colon,
            "an actor variable needs a type: `var since: dur`",
        )?;
        let ty = self.ty()?;
        let init = if self.eat(&Tok::Assign) {
            Some(self.expr()?)
        } else {
            None
        };
        Ok(StmtKind::Var {
            ghost,
            name,
            ty,
            init,
        })
    }

    fn if_stmt(&mut self) -> Result<StmtKind> {
        self.bump();
        let cond = self.cond()?;
        let then = self.block()?;
        let els = self.else_part()?;
        Ok(StmtKind::If { cond, then, els })
    }

    fn else_part(&mut self) -> Result<Option<Block>> {
        // `else` may start the next line.
        let save = self.at;
        self.skip_semis();
        if !self.eat_kw("else") {
            self.at = save;
            return Ok(None);
        }
        if self.is_kw("if") {
            let start = self.span().start;
            let kind = self.if_stmt()?;
            let span = start..self.prev_end();
            return Ok(Some(Block {
                stmts: vec![Stmt {
                    kind,
                    span: span.clone(),
                }],
                span,
            }));
        }
        Ok(Some(self.block()?))
    }

    /// A binding over a list's elements or a map's entries (see [`Binding::Each`]).
    fn each(&mut self, first: Option<Name>, var: Name, over: Expr) -> Binding {
        let span = over.span.clone();
        let index = Name {
            text: format!("#i{}", self.hidden),
            span: span.clone(),
        };
        let alias = Name {
            text: format!("#l{}", self.hidden),
            span: span.clone(),
        };
        self.hidden += 1;
        let name = |text: &str| Name {
            text: text.to_string(),
            span: span.clone(),
        };
        let elem = Expr {
            kind: ExprKind::Call(
                name("#at"),
                vec![
                    over.clone(),
                    Expr {
                        kind: ExprKind::Name(index.text.clone()),
                        span: span.clone(),
                    },
                ],
            ),
            span: span.clone(),
        };
        let field = |f: &str| Expr {
            kind: ExprKind::Field(Box::new(elem.clone()), name(f)),
            span: span.clone(),
        };
        let hidden = |n: &Name| Expr {
            kind: ExprKind::Name(n.text.clone()),
            span: span.clone(),
        };
        let live = Expr {
            kind: ExprKind::Call(name("#live"), vec![hidden(&alias), hidden(&index)]),
            span: span.clone(),
        };
        Binding::Each(Box::new(Each {
            first,
            var,
            over,
            index,
            alias,
            live,
            key: field("key"),
            value: field("value"),
            elem,
        }))
    }

    fn for_stmt(&mut self) -> Result<StmtKind> {
        self.bump();
        let mut var = self.ident("a loop variable")?;
        let mut first = None;
        if self.eat(&Tok::Comma) {
            first = Some(std::mem::replace(&mut var, self.ident("a loop variable")?));
        }
        if first.is_none() && self.eat(&Tok::Colon) {
            let kind = self.ident("an actor kind")?;
            let body = self.block()?;
            return Ok(StmtKind::ForActors { var, kind, body });
        }
        self.expect_kw(
            "in",
            "write `for i in 0..n { ... }`, `for x in xs { ... }`, `for k, v in m { ... }` or `for r: Request { ... }`",
        )?;
        let any_order = self.is_kw("any") && matches!(self.peek(1), Tok::Ident(s) if s == "order");
        if any_order {
            self.bump();
            self.bump();
        }
        let saved = std::mem::replace(&mut self.no_record, true);
        let from = self.add()?;
        if any_order || first.is_some() || !self.is(&Tok::DotDot) {
            self.no_record = saved;
            let body = self.block()?;
            return Ok(StmtKind::ForEach {
                first,
                var,
                over: from,
                body,
                any_order,
            });
        }
        self.expect(&Tok::DotDot, "a range is `from..to` (to excluded)")?;
        let to = self.add()?;
        self.no_record = saved;
        let body = self.block()?;
        Ok(StmtKind::For {
            var,
            from,
            to,
            body,
        })
    }

    fn try_stmt(&mut self) -> Result<StmtKind> {
        let try_span = self.bump().1;
        let body = self.block()?;
        let save = self.at;
        self.skip_semis();
        let catch = if self.eat_kw("catch") {
            let var = if self.is(&Tok::LBrace) {
                None
            } else {
                Some(self.ident("the caught value's name")?)
            };
            Some((var, self.block()?))
        } else {
            self.at = save;
            None
        };
        let save = self.at;
        self.skip_semis();
        let finally = if self.eat_kw("finally") {
            Some(self.block()?)
        } else {
            self.at = save;
            None
        };
        if catch.is_none() && finally.is_none() {
            return Err(
                Diag::new(try_span, "a `try` needs a `catch` or a `finally`")
                    .help("add `catch e { ... }` or `finally { ... }` after the block"),
            );
        }
        Ok(StmtKind::Try {
            body,
            catch,
            finally,
        })
    }

    fn match_stmt(&mut self) -> Result<StmtKind> {
        self.bump();
        let scrutinee = self.cond()?;
        self.expect(
            &Tok::LBrace,
            "write `match value { 'a' => { ... } _ => { ... } }`",
        )?;
        let mut arms = Vec::new();
        loop {
            self.skip_semis();
            if self.eat(&Tok::RBrace) {
                break;
            }
            let start = self.span().start;
            let mut patterns = Vec::new();
            loop {
                if self.is_kw("_") || matches!(self.tok(), Tok::Ident(s) if s == "_") {
                    self.bump();
                    patterns.push(None);
                } else {
                    patterns.push(Some(self.unary()?));
                }
                if !self.eat(&Tok::Pipe) {
                    break;
                }
            }
            self.expect(&Tok::FatArrow, "an arm is `pattern => { ... }`")?;
            let body = if self.is(&Tok::LBrace) {
                self.block()?
            } else {
                let s0 = self.span().start;
                let kind = self.stmt_kind()?;
                let span = s0..self.prev_end();
                Block {
                    stmts: vec![Stmt {
                        kind,
                        span: span.clone(),
                    }],
                    span,
                }
            };
            self.eat(&Tok::Comma);
            arms.push(Arm {
                patterns,
                body,
                span: start..self.prev_end(),
            });
        }
        Ok(StmtKind::Match { scrutinee, arms })
    }

    // ---- expressions ----

    pub fn expr(&mut self) -> Result<Expr> {
        self.deeper()?;
        let e = self.or();
        self.depth -= 1;
        e
    }

    /// One level deeper in the tree (see [`NESTING_MAX`]); the caller undoes it.
    fn deeper(&mut self) -> Result<()> {
        self.depth += 1;
        if self.depth > NESTING_MAX {
            return Err(Diag::new(
                self.span(),
                format!("this nests more than {NESTING_MAX} levels deep"),
            )
            .help("split the expression or the block: name a part with `let` or a function"));
        }
        Ok(())
    }

    fn binary(
        &mut self,
        next: fn(&mut Parser) -> Result<Expr>,
        ops: &[(Tok, BinOp)],
    ) -> Result<Expr> {
        let mut e = next(self)?;
        let mut levels = 0;
        loop {
            let Some((_, op)) = ops.iter().find(|(t, _)| self.is(t)) else {
                self.depth -= levels;
                return Ok(e);
            };
            let op = *op;
            self.deeper()?;
            levels += 1;
            self.bump();
            let r = next(self)?;
            let span = e.span.start..r.span.end;
            e = Expr {
                kind: ExprKind::Binary(op, Box::new(e), Box::new(r)),
                span,
            };
        }
    }

    fn or(&mut self) -> Result<Expr> {
        self.binary(Parser::and, &[(Tok::OrOr, BinOp::Or)])
    }

    fn and(&mut self) -> Result<Expr> {
        self.binary(Parser::compare, &[(Tok::AndAnd, BinOp::And)])
    }

    fn compare(&mut self) -> Result<Expr> {
        let e = self.add()?;
        if self.is_kw("in") && !self.no_in {
            self.bump();
            let list = self.list_of_exprs()?;
            let span = e.span.start..self.prev_end();
            return Ok(Expr {
                kind: ExprKind::In(Box::new(e), list),
                span,
            });
        }
        let op = match self.tok() {
            Tok::EqEq => BinOp::Eq,
            Tok::NotEq => BinOp::Ne,
            Tok::Lt => BinOp::Lt,
            Tok::Le => BinOp::Le,
            Tok::Gt => BinOp::Gt,
            Tok::Ge => BinOp::Ge,
            _ => return Ok(e),
        };
        self.bump();
        let r = self.add()?;
        let span = e.span.start..r.span.end;
        if matches!(
            self.tok(),
            Tok::EqEq | Tok::NotEq | Tok::Lt | Tok::Le | Tok::Gt | Tok::Ge
        ) {
            return Err(self
                .error("the end of the comparison")
                .help("comparisons do not chain: write `a < b && b < c`"));
        }
        Ok(Expr {
            kind: ExprKind::Binary(op, Box::new(e), Box::new(r)),
            span,
        })
    }

    fn add(&mut self) -> Result<Expr> {
        self.binary(
            Parser::mul,
            &[(Tok::Plus, BinOp::Add), (Tok::Minus, BinOp::Sub)],
        )
    }

    fn mul(&mut self) -> Result<Expr> {
        self.binary(
            Parser::unary,
            &[
                (Tok::Star, BinOp::Mul),
                (Tok::Slash, BinOp::Div),
                (Tok::Percent, BinOp::Rem),
            ],
        )
    }

    fn unary(&mut self) -> Result<Expr> {
        let start = self.span().start;
        let op = match self.tok() {
            Tok::Bang => UnOp::Not,
            Tok::Minus => UnOp::Neg,
            _ => return self.postfix(),
        };
        self.bump();
        self.deeper()?;
        let e = self.unary()?;
        self.depth -= 1;
        let span = start..e.span.end;
        Ok(Expr {
            kind: ExprKind::Unary(op, Box::new(e)),
            span,
        })
    }

    fn postfix(&mut self) -> Result<Expr> {
        let mut e = self.primary()?;
        loop {
            match self.tok() {
                Tok::Dot => {
                    self.bump();
                    let f = self.ident("a field's name")?;
                    if self.is(&Tok::LParen) {
                        let args = self.args()?;
                        let span = e.span.start..self.prev_end();
                        e = Expr {
                            kind: ExprKind::Method(Box::new(e), f, args),
                            span,
                        };
                        continue;
                    }
                    let span = e.span.start..f.span.end;
                    e = Expr {
                        kind: ExprKind::Field(Box::new(e), f),
                        span,
                    };
                }
                Tok::LBracket => {
                    self.bump();
                    let saved = std::mem::replace(&mut self.no_record, false);
                    let i = self.expr()?;
                    self.no_record = saved;
                    self.expect(&Tok::RBracket, "close the index with `]`")?;
                    let span = e.span.start..self.prev_end();
                    e = Expr {
                        kind: ExprKind::Index(Box::new(e), Box::new(i)),
                        span,
                    };
                }
                Tok::Bang => {
                    self.bump();
                    let span = e.span.start..self.prev_end();
                    e = Expr {
                        kind: ExprKind::Unwrap(Box::new(e)),
                        span,
                    };
                }
                _ => return Ok(e),
            }
        }
    }

    fn args(&mut self) -> Result<Vec<Expr>> {
        self.expect(&Tok::LParen, "arguments are in parentheses")?;
        let saved = std::mem::replace(&mut self.no_record, false);
        let mut args = Vec::new();
        while !self.is(&Tok::RParen) {
            args.push(self.expr()?);
            if !self.eat(&Tok::Comma) {
                break;
            }
        }
        self.no_record = saved;
        self.expect(&Tok::RParen, "close the arguments with `)`")?;
        Ok(args)
    }

    fn primary(&mut self) -> Result<Expr> {
        let (tok, span) = (self.tok().clone(), self.span());
        let simple = |kind| Expr {
            kind,
            span: span.clone(),
        };
        match tok {
            Tok::Int(v) => {
                self.bump();
                Ok(simple(ExprKind::Int(v)))
            }
            Tok::Dur(v) => {
                self.bump();
                Ok(simple(ExprKind::Dur(v)))
            }
            Tok::Sym(s) => {
                self.bump();
                Ok(simple(ExprKind::Sym(s)))
            }
            Tok::LParen => {
                self.bump();
                let saved = std::mem::replace(&mut self.no_record, false);
                let saved_in = std::mem::replace(&mut self.no_in, false);
                let e = self.expr()?;
                self.no_record = saved;
                self.no_in = saved_in;
                self.expect(&Tok::RParen, "close the parenthesis with `)`")?;
                // The parentheses belong to the expression: a property's text, shown in its
                // explanations, is cut from this span.
                Ok(Expr {
                    span: span.start..self.prev_end(),
                    ..e
                })
            }
            Tok::LBracket => self.array(),
            Tok::LBrace if !self.no_record => self.record(),
            Tok::Ident(w) => self.word(w, span),
            Tok::Str(s) => {
                self.bump();
                Ok(simple(ExprKind::Str(s)))
            }
            other => Err(Diag::new(
                span,
                format!("expected an expression, found {}", other.describe()),
            )),
        }
    }

    fn word(&mut self, w: String, span: Span) -> Result<Expr> {
        let simple = |kind| Expr {
            kind,
            span: span.clone(),
        };
        match w.as_str() {
            "true" | "false" => {
                self.bump();
                Ok(simple(ExprKind::Bool(w == "true")))
            }
            "none" => {
                self.bump();
                Ok(simple(ExprKind::None))
            }
            "self" => {
                self.bump();
                Ok(simple(ExprKind::SelfActor))
            }
            "if" => {
                self.bump();
                let c = self.cond()?;
                let a = self.braced_expr()?;
                self.skip_semis();
                self.expect_kw("else", "an `if` expression needs an `else`")?;
                let b = if self.is_kw("if") {
                    self.primary()?
                } else {
                    self.braced_expr()?
                };
                let span = span.start..self.prev_end();
                Ok(Expr {
                    kind: ExprKind::If(Box::new(c), Box::new(a), Box::new(b)),
                    span,
                })
            }
            "await" => self.await_expr(span),
            "all" | "any" | "count" if self.peek(1) == &Tok::LParen => {
                self.bump();
                self.bump();
                let q = match w.as_str() {
                    "all" => Quant::All,
                    "any" => Quant::Any,
                    _ => Quant::Count,
                };
                let saved = std::mem::replace(&mut self.no_record, false);
                let bindings = self.bindings()?;
                self.expect(
                    &Tok::Pipe,
                    "after the bindings comes `|` and the condition: `count(r: Request | r.active)`",
                )?;
                let body = guard_elements(q, &bindings, self.expr()?);
                self.no_record = saved;
                self.expect(&Tok::RParen, "close with `)`")?;
                let span = span.start..self.prev_end();
                Ok(Expr {
                    kind: ExprKind::Quant(q, bindings, Box::new(body)),
                    span,
                })
            }
            _ if KEYWORDS.contains(&w.as_str()) => Err(Diag::new(
                span,
                format!("expected an expression, found the keyword `{w}`"),
            )),
            _ => {
                let name = self.ident("a name")?;
                if self.is(&Tok::LParen) {
                    let args = self.args()?;
                    let span = span.start..self.prev_end();
                    return Ok(Expr {
                        kind: ExprKind::Call(name, args),
                        span,
                    });
                }
                Ok(Expr {
                    kind: ExprKind::Name(name.text),
                    span: name.span,
                })
            }
        }
    }

    fn braced_expr(&mut self) -> Result<Expr> {
        self.expect(
            &Tok::LBrace,
            "an `if` expression is `if c { a } else { b }`",
        )?;
        let saved = std::mem::replace(&mut self.no_record, false);
        self.skip_semis();
        let e = self.expr()?;
        self.skip_semis();
        self.no_record = saved;
        self.expect(&Tok::RBrace, "close with `}`")?;
        Ok(e)
    }

    fn await_expr(&mut self, span: Span) -> Result<Expr> {
        self.bump();
        let what = match self.tok().clone() {
            Tok::Ident(w) if w == "until" => {
                self.bump();
                Await::Until(self.expr()?)
            }
            Tok::Ident(w) => {
                let name = self.ident("what to await")?;
                let args = self.args()?;
                match (w.as_str(), args.len()) {
                    ("sleep", 1) => Await::Sleep(args.into_iter().next().expect("one")),
                    ("work", 2) => {
                        let mut it = args.into_iter();
                        Await::Work(it.next().expect("two"), it.next().expect("two"))
                    }
                    ("yield", 0) => Await::Yield,
                    ("sleep", _) | ("work", _) | ("yield", _) => {
                        return Err(Diag::new(
                            name.span,
                            format!("`{w}` takes {} argument(s)", match w.as_str() {
                                "sleep" => 1,
                                "work" => 2,
                                _ => 0,
                            }),
                        )
                        .help("await sleep(d), await work(duration, outcome), await yield()"))
                    }
                    _ => Await::Call(name, args),
                }
            }
            _ => {
                return Err(self.error("what to await").help(
                    "write `await sleep(d)`, `await work(d, outcome)`, `await yield()`, `await until condition` or `await f(...)`",
                ))
            }
        };
        let span = span.start..self.prev_end();
        Ok(Expr {
            kind: ExprKind::Await(Box::new(what)),
            span,
        })
    }

    fn array(&mut self) -> Result<Expr> {
        let start = self.bump().1.start;
        let saved = std::mem::replace(&mut self.no_record, false);
        if self.eat(&Tok::RBracket) {
            self.no_record = saved;
            return Ok(Expr {
                kind: ExprKind::Array(Vec::new()),
                span: start..self.prev_end(),
            });
        }
        let first = self.expr()?;
        if self.eat(&Tok::Semi) {
            let count = self.expr()?;
            self.no_record = saved;
            self.expect(&Tok::RBracket, "close with `]`")?;
            return Ok(Expr {
                kind: ExprKind::Repeat(Box::new(first), Box::new(count)),
                span: start..self.prev_end(),
            });
        }
        let mut items = vec![first];
        while self.eat(&Tok::Comma) {
            if self.is(&Tok::RBracket) {
                break;
            }
            items.push(self.expr()?);
        }
        self.no_record = saved;
        self.expect(&Tok::RBracket, "close the array with `]`")?;
        Ok(Expr {
            kind: ExprKind::Array(items),
            span: start..self.prev_end(),
        })
    }

    fn record(&mut self) -> Result<Expr> {
        let start = self.bump().1.start;
        let saved = std::mem::replace(&mut self.no_record, false);
        let mut fields = Vec::new();
        loop {
            self.skip_semis();
            if self.is(&Tok::RBrace) {
                break;
            }
            let f = self.ident("a field's name")?;
            self.expect(&Tok::Colon, "a record is `{ field: value, ... }`")?;
            let v = self.expr()?;
            fields.push((f, v));
            self.skip_semis();
            if !self.eat(&Tok::Comma) {
                self.skip_semis();
                break;
            }
        }
        self.no_record = saved;
        self.expect(&Tok::RBrace, "close the record with `}`")?;
        Ok(Expr {
            kind: ExprKind::Record(fields),
            span: start..self.prev_end(),
        })
    }
}

/// A quantifier's body over list elements or map entries, guarded so that only the slots
/// below the length count: `all` holds past it, `any` and `count` see nothing there.
fn guard_elements(q: Quant, bindings: &[Binding], body: Expr) -> Expr {
    let mut out = body;
    for b in bindings.iter().rev() {
        let Binding::Each(each) = b else {
            continue;
        };
        let live = each.live.clone();
        let span = live.span.clone();
        let kind = if q == Quant::All {
            let dead = Expr {
                kind: ExprKind::Unary(UnOp::Not, Box::new(live)),
                span: span.clone(),
            };
            ExprKind::Binary(BinOp::Or, Box::new(dead), Box::new(out))
        } else {
            ExprKind::Binary(BinOp::And, Box::new(live), Box::new(out))
        };
        out = Expr { kind, span };
    }
    out
}
