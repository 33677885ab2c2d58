//! Tokens of the protocol language, with byte spans.
//!
//! Statements end at a newline when the line could end there (after a name, a literal, a
//! closing bracket, `return`, `break` or `continue`), as in Go: so a line ending in an operator
//! continues on the next. Inside parentheses and square brackets newlines are spaces. `///`
//! comments are kept apart as documentation of the item that follows them.

use std::ops::Range;

use super::diag::Diag;

pub type Span = Range<usize>;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Tok {
    Ident(String),
    Int(i64),
    /// A duration literal, in milliseconds (`50ms`, `15s`, `10min`, `2h`).
    Dur(i64),
    /// A symbol literal (`'ok'`).
    Sym(String),
    /// A string literal (`"..."`): messages only.
    Str(String),
    LParen,
    RParen,
    LBrace,
    RBrace,
    LBracket,
    RBracket,
    Comma,
    Colon,
    Semi,
    Dot,
    DotDot,
    Assign,
    PlusAssign,
    MinusAssign,
    EqEq,
    NotEq,
    Lt,
    Le,
    Gt,
    Ge,
    Plus,
    Minus,
    Star,
    Slash,
    Percent,
    Bang,
    AndAnd,
    OrOr,
    Arrow,
    FatArrow,
    Question,
    Pipe,
    Eof,
}

impl Tok {
    /// How a token is named in "expected ..., found ..." messages.
    pub fn describe(&self) -> String {
        match self {
            Tok::Ident(s) => format!("`{s}`"),
            Tok::Int(v) => format!("the number {v}"),
            Tok::Dur(_) => "a duration".to_string(),
            Tok::Sym(s) => format!("the symbol '{s}'"),
            Tok::Str(_) => "a string".to_string(),
            Tok::Semi => "the end of the line".to_string(),
            Tok::Eof => "the end of the file".to_string(),
            other => format!("`{}`", other.text()),
        }
    }

    pub fn text(&self) -> &'static str {
        match self {
            Tok::LParen => "(",
            Tok::RParen => ")",
            Tok::LBrace => "{",
            Tok::RBrace => "}",
            Tok::LBracket => "[",
            Tok::RBracket => "]",
            Tok::Comma => ",",
            Tok::Colon => ":",
            Tok::Semi => ";",
            Tok::Dot => ".",
            Tok::DotDot => "..",
            Tok::Assign => "=",
            Tok::PlusAssign => "+=",
            Tok::MinusAssign => "-=",
            Tok::EqEq => "==",
            Tok::NotEq => "!=",
            Tok::Lt => "<",
            Tok::Le => "<=",
            Tok::Gt => ">",
            Tok::Ge => ">=",
            Tok::Plus => "+",
            Tok::Minus => "-",
            Tok::Star => "*",
            Tok::Slash => "/",
            Tok::Percent => "%",
            Tok::Bang => "!",
            Tok::AndAnd => "&&",
            Tok::OrOr => "||",
            Tok::Arrow => "->",
            Tok::FatArrow => "=>",
            Tok::Question => "?",
            Tok::Pipe => "|",
            _ => "",
        }
    }

    /// Whether a statement may end right after this token (a newline then ends it).
    fn ends_line(&self) -> bool {
        matches!(
            self,
            Tok::Ident(_)
                | Tok::Int(_)
                | Tok::Dur(_)
                | Tok::Sym(_)
                | Tok::Str(_)
                | Tok::RParen
                | Tok::RBracket
                | Tok::RBrace
                | Tok::Bang
                | Tok::Question
        )
    }
}

/// The tokens of a file, its `///` documentation comments (offset of the comment, text) and
/// its `// lockstep: allow(...)` directives.
pub struct Lexed {
    pub toks: Vec<(Tok, Span)>,
    pub docs: Vec<(usize, String)>,
    pub allows: Vec<Allow>,
}

/// `// lockstep: allow(judge-then-act, ...) why`: the lints named are not reported on the line
/// the directive is on (after code) or on the next line of code (a directive on a line of its
/// own). Which names are lints is checked when the file loads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Allow {
    /// The directive, from `//` to the end of its line.
    pub span: Span,
    /// The names in the parentheses, with their spans.
    pub rules: Vec<(String, Span)>,
    /// The 1-based line whose findings it allows.
    pub line: usize,
}

/// What a directive comment starts with.
const DIRECTIVE: &str = "lockstep:";

/// Milliseconds per unit of a duration literal.
fn unit_ms(unit: &str) -> Option<i64> {
    match unit {
        "ms" => Some(1),
        "s" => Some(1_000),
        "min" => Some(60_000),
        "h" => Some(3_600_000),
        _ => None,
    }
}

pub fn lex(text: &str) -> Result<Lexed, Diag> {
    let mut lx = Lexer {
        text,
        bytes: text.as_bytes(),
        at: 0,
        toks: Vec::new(),
        docs: Vec::new(),
        allows: Vec::new(),
        depth: Vec::new(),
    };
    lx.run()?;
    lx.aim_allows();
    Ok(Lexed {
        toks: lx.toks,
        docs: lx.docs,
        allows: lx.allows,
    })
}

struct Lexer<'a> {
    text: &'a str,
    bytes: &'a [u8],
    at: usize,
    toks: Vec<(Tok, Span)>,
    docs: Vec<(usize, String)>,
    allows: Vec<Allow>,
    /// Open brackets: `true` for `(` and `[` (newlines inside are spaces), `false` for `{`.
    depth: Vec<bool>,
}

impl Lexer<'_> {
    fn run(&mut self) -> Result<(), Diag> {
        while self.at < self.bytes.len() {
            let c = self.bytes[self.at];
            match c {
                b'\n' => {
                    self.newline();
                    self.at += 1;
                }
                b' ' | b'\t' | b'\r' => self.at += 1,
                b'/' if self.peek(1) == Some(b'/') => self.comment()?,
                b'/' if self.peek(1) == Some(b'*') => self.block_comment()?,
                b'0'..=b'9' => self.number()?,
                b'\'' => self.quoted(b'\'')?,
                b'"' => self.quoted(b'"')?,
                c if c.is_ascii_alphabetic() || c == b'_' => self.ident(),
                _ => self.punct()?,
            }
        }
        self.newline();
        let end = self.bytes.len();
        self.toks.push((Tok::Eof, end..end));
        Ok(())
    }

    fn peek(&self, k: usize) -> Option<u8> {
        self.bytes.get(self.at + k).copied()
    }

    fn newline(&mut self) {
        let in_brackets = self.depth.last().copied().unwrap_or(false);
        if in_brackets {
            return;
        }
        if let Some((t, _)) = self.toks.last()
            && t.ends_line()
        {
            self.toks.push((Tok::Semi, self.at..self.at));
        }
    }

    fn comment(&mut self) -> Result<(), Diag> {
        let start = self.at;
        let end = self.text[start..]
            .find('\n')
            .map_or(self.bytes.len(), |i| start + i);
        let body = &self.text[start..end];
        if let Some(doc) = body.strip_prefix("///") {
            if !doc.starts_with('/') {
                self.docs.push((start, doc.trim().to_string()));
            }
        } else if body[2..].trim_start().starts_with(DIRECTIVE) {
            self.directive(start, end)?;
        }
        self.at = end;
        Ok(())
    }

    /// `// lockstep: allow(a, b) why`, from `start` to the end of its line.
    fn directive(&mut self, start: usize, end: usize) -> Result<(), Diag> {
        let body = &self.text[start..end];
        let shape = || {
            Diag::new(start..end, "a `// lockstep:` comment is a directive, and this one is not one lockstep knows")
                .help("write `// lockstep: allow(judge-then-act) why it is safe here`, with one or more lint ids; any other comment must not start with `lockstep:`")
        };
        let after = body.find(DIRECTIVE).expect("the caller found it") + DIRECTIVE.len();
        let rest = body[after..].trim_start();
        let open = start + body.len() - rest.len();
        let Some(inner) = rest.strip_prefix("allow(") else {
            return Err(shape());
        };
        let Some(close) = inner.find(')') else {
            return Err(shape());
        };
        let mut rules = Vec::new();
        let mut at = open + "allow(".len();
        for part in inner[..close].split(',') {
            let name = part.trim();
            let from = at + (part.len() - part.trim_start().len());
            if name.is_empty() || !name.bytes().all(|b| b.is_ascii_lowercase() || b == b'-') {
                return Err(shape());
            }
            rules.push((name.to_string(), from..from + name.len()));
            at += part.len() + 1;
        }
        let line = self.text[..start].matches('\n').count() + 1;
        let own_line = self.text[..start]
            .rsplit('\n')
            .next()
            .is_some_and(|before| before.trim().is_empty());
        // A directive on a line of its own is aimed at the next line of code once every token
        // is known (`aim_allows`); one after code at its own line.
        let line = if own_line { 0 } else { line };
        self.allows.push(Allow {
            span: start..end,
            rules,
            line,
        });
        Ok(())
    }

    /// Aims each directive on a line of its own at the line of the first token after it.
    fn aim_allows(&mut self) {
        for allow in &mut self.allows {
            if allow.line != 0 {
                continue;
            }
            let next = self.toks.iter().find(|(t, span)| {
                span.start > allow.span.end && !matches!(t, Tok::Semi | Tok::Eof)
            });
            allow.line = next.map_or(usize::MAX, |(_, span)| {
                self.text[..span.start].matches('\n').count() + 1
            });
        }
    }

    fn block_comment(&mut self) -> Result<(), Diag> {
        let start = self.at;
        match self.text[start + 2..].find("*/") {
            Some(i) => {
                self.at = start + 2 + i + 2;
                Ok(())
            }
            None => Err(Diag::new(start..start + 2, "this comment is never closed")
                .help("end it with `*/`")),
        }
    }

    fn number(&mut self) -> Result<(), Diag> {
        let start = self.at;
        while self.at < self.bytes.len()
            && (self.bytes[self.at].is_ascii_digit() || self.bytes[self.at] == b'_')
        {
            self.at += 1;
        }
        let digits: String = self.text[start..self.at]
            .chars()
            .filter(|&c| c != '_')
            .collect();
        let value: i64 = digits.parse().map_err(|_| {
            Diag::new(start..self.at, "this number is too large")
                .help("numbers are 64-bit integers")
        })?;
        let unit_start = self.at;
        while self.at < self.bytes.len() && self.bytes[self.at].is_ascii_alphabetic() {
            self.at += 1;
        }
        if unit_start == self.at {
            self.toks.push((Tok::Int(value), start..self.at));
            return Ok(());
        }
        let unit = &self.text[unit_start..self.at];
        let Some(ms) = unit_ms(unit) else {
            return Err(Diag::new(
                unit_start..self.at,
                format!("unknown duration unit `{unit}`"),
            )
            .help("durations are written `50ms`, `15s`, `10min` or `2h`"));
        };
        let v = value.checked_mul(ms).ok_or_else(|| {
            Diag::new(start..self.at, "this duration is too large")
                .help("durations are 64-bit counts of milliseconds")
        })?;
        self.toks.push((Tok::Dur(v), start..self.at));
        Ok(())
    }

    fn quoted(&mut self, q: u8) -> Result<(), Diag> {
        let start = self.at;
        self.at += 1;
        let body_start = self.at;
        while self.at < self.bytes.len() && self.bytes[self.at] != q && self.bytes[self.at] != b'\n'
        {
            self.at += 1;
        }
        if self.at >= self.bytes.len() || self.bytes[self.at] != q {
            let what = if q == b'\'' { "symbol" } else { "string" };
            return Err(Diag::new(
                start..self.at,
                format!("this {what} is not closed on its line"),
            )
            .help(format!("close it with {}", q as char)));
        }
        let body = self.text[body_start..self.at].to_string();
        self.at += 1;
        if q == b'\'' {
            if body.is_empty()
                || !body
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            {
                return Err(Diag::new(
                    start..self.at,
                    format!("'{body}' is not a symbol"),
                )
                .help("a symbol is letters, digits, `-` and `_` in single quotes, e.g. 'timed-out'"));
            }
            self.toks.push((Tok::Sym(body), start..self.at));
        } else {
            self.toks.push((Tok::Str(body), start..self.at));
        }
        Ok(())
    }

    fn ident(&mut self) {
        let start = self.at;
        while self.at < self.bytes.len()
            && (self.bytes[self.at].is_ascii_alphanumeric() || self.bytes[self.at] == b'_')
        {
            self.at += 1;
        }
        self.toks.push((
            Tok::Ident(self.text[start..self.at].to_string()),
            start..self.at,
        ));
    }

    fn punct(&mut self) -> Result<(), Diag> {
        let start = self.at;
        let two = |a: u8, b: u8| self.bytes[self.at] == a && self.peek(1) == Some(b);
        let (tok, len) = if two(b'.', b'.') {
            (Tok::DotDot, 2)
        } else if two(b'=', b'=') {
            (Tok::EqEq, 2)
        } else if two(b'!', b'=') {
            (Tok::NotEq, 2)
        } else if two(b'<', b'=') {
            (Tok::Le, 2)
        } else if two(b'>', b'=') {
            (Tok::Ge, 2)
        } else if two(b'+', b'=') {
            (Tok::PlusAssign, 2)
        } else if two(b'-', b'=') {
            (Tok::MinusAssign, 2)
        } else if two(b'&', b'&') {
            (Tok::AndAnd, 2)
        } else if two(b'|', b'|') {
            (Tok::OrOr, 2)
        } else if two(b'-', b'>') {
            (Tok::Arrow, 2)
        } else if two(b'=', b'>') {
            (Tok::FatArrow, 2)
        } else {
            let t = match self.bytes[self.at] {
                b'(' => Tok::LParen,
                b')' => Tok::RParen,
                b'{' => Tok::LBrace,
                b'}' => Tok::RBrace,
                b'[' => Tok::LBracket,
                b']' => Tok::RBracket,
                b',' => Tok::Comma,
                b':' => Tok::Colon,
                b';' => Tok::Semi,
                b'.' => Tok::Dot,
                b'=' => Tok::Assign,
                b'<' => Tok::Lt,
                b'>' => Tok::Gt,
                b'+' => Tok::Plus,
                b'-' => Tok::Minus,
                b'*' => Tok::Star,
                b'/' => Tok::Slash,
                b'%' => Tok::Percent,
                b'!' => Tok::Bang,
                b'?' => Tok::Question,
                b'|' => Tok::Pipe,
                _ => {
                    let ch = self.text[start..].chars().next().unwrap_or('?');
                    return Err(Diag::new(
                        start..start + ch.len_utf8(),
                        format!("unexpected character `{ch}`"),
                    )
                    .help("see docs/language.md for what a protocol file may contain"));
                }
            };
            (t, 1)
        };
        match tok {
            Tok::LParen | Tok::LBracket => self.depth.push(true),
            Tok::LBrace => self.depth.push(false),
            Tok::RParen | Tok::RBracket | Tok::RBrace => {
                if tok == Tok::RBrace {
                    // A statement may end just before a closing brace.
                    self.newline();
                }
                self.depth.pop();
            }
            _ => {}
        }
        self.at += len;
        self.toks.push((tok, start..self.at));
        Ok(())
    }
}
