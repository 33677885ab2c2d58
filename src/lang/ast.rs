//! The syntax tree of a protocol file, as parsed (names unresolved, types unchecked).

use super::lexer::Span;

/// A name with its span. Kebab names (`max-inits`) are names of declarations only.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Name {
    pub text: String,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct File {
    pub name: Name,
    pub platform: Name,
    pub doc: String,
    pub items: Vec<Item>,
    /// The file's `// lockstep: allow(...)` directives.
    pub allows: Vec<super::lexer::Allow>,
}

#[derive(Clone, Debug)]
pub struct Item {
    pub kind: ItemKind,
    pub span: Span,
    /// `///` comments before the item.
    pub doc: String,
}

#[derive(Clone, Debug)]
pub enum ItemKind {
    Const {
        name: Name,
        ty: Option<Type>,
        value: Expr,
    },
    Param {
        name: Name,
        ty: Type,
        default: Option<Expr>,
        /// `in [a, b]`: the values a scenario may give.
        allowed: Option<Vec<Expr>>,
        /// `fault param`: the scenario sets it under `[faults]` (how the environment behaves,
        /// such as a factory that throws), not under `[params]`.
        fault: bool,
    },
    /// A param default set by a variant: `param max_wait = 30s`.
    ParamDefault {
        name: Name,
        value: Expr,
    },
    Assume {
        cond: Expr,
        message: Option<String>,
        /// `assume COND for PROPERTY`: only when the scenario checks that property.
        only_for: Option<Name>,
    },
    Type {
        name: Name,
        ty: Type,
    },
    Shared {
        ghost: bool,
        name: Name,
        ty: Type,
        init: Option<Expr>,
    },
    Fn(FnDef),
    Actor(ActorDef),
    Invariant {
        name: Name,
        expr: Expr,
        /// `invariant NAME at end: ...`: judged only when a run has ended.
        at_end: bool,
    },
    /// `reachable NAME: expression`: a "sometimes" property. It is never checked as an
    /// invariant; a scenario's `[check] reachable` searches for a world where it holds, and
    /// the verdict is a witness timeline (or "never", over a complete search).
    Reachable {
        name: Name,
        expr: Expr,
    },
    Liveness {
        name: Name,
        bindings: Vec<Binding>,
        when: Expr,
        by: Expr,
    },
    Variant {
        name: Name,
        base: Option<Name>,
        canary: bool,
        overrides: Vec<Item>,
    },
    /// A labelled part replaced by a variant: `publish: { ... }`.
    Part {
        label: Name,
        body: Block,
    },
    /// `alias KEY = cancel at MARK`: a scenario actor key that cancels the actor at a mark.
    Alias {
        key: Name,
        mark: Name,
    },
    /// `alias path NAME = "a/b"`: a name a scenario's syscall faults may use for a path.
    PathAlias {
        name: Name,
        path: String,
    },
    /// `module NAME = "file.lstep" keys "prefix_"`: another protocol, one instance per key the
    /// actors call into (`await NAME(key)`); the scenario names its variant under `NAME` and
    /// gives its parameters and its actors' keys with the prefix.
    Module {
        name: Name,
        path: Name,
        prefix: String,
    },
}

#[derive(Clone, Debug)]
pub struct FnDef {
    pub name: Name,
    pub params: Vec<(Name, Type)>,
    pub ret: Option<Type>,
    pub body: FnBody,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub enum FnBody {
    /// `fn f(x: int) -> int = x + 1`: a pure function, usable in any expression.
    Expr(Expr),
    Block(Block),
}

#[derive(Clone, Debug)]
pub struct ActorDef {
    pub name: Name,
    pub params: Vec<ActorParam>,
    pub body: Block,
    /// Functions declared inside the actor: they see its variables.
    pub fns: Vec<FnDef>,
}

#[derive(Clone, Debug)]
pub struct ActorParam {
    pub name: Name,
    pub ty: Type,
    pub default: Option<Expr>,
    /// `in [a, b]`: the values a scenario may give.
    pub allowed: Option<Vec<Expr>>,
    pub doc: String,
}

#[derive(Clone, Debug)]
pub struct Type {
    pub kind: TypeKind,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub enum TypeKind {
    Int,
    Dur,
    Bool,
    Sym,
    Actor,
    Named(String),
    Record(Vec<(Name, Type)>),
    Array(Box<Type>, Box<Expr>),
    /// `list[T; N]`: up to N elements.
    List(Box<Type>, Box<Expr>),
    /// `map[K, V; N]`: up to N entries.
    Map(Box<Type>, Box<Type>, Box<Expr>),
    Option(Box<Type>),
}

#[derive(Clone, Debug)]
pub struct Block {
    pub stmts: Vec<Stmt>,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct Stmt {
    pub kind: StmtKind,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AssignOp {
    Set,
    Add,
    Sub,
}

#[derive(Clone, Debug)]
pub enum StmtKind {
    Let {
        name: Name,
        ty: Option<Type>,
        value: Expr,
    },
    /// An actor variable (`var` / `ghost` at the top of an actor body).
    Var {
        ghost: bool,
        name: Name,
        ty: Type,
        init: Option<Expr>,
    },
    Assign {
        place: Expr,
        op: AssignOp,
        value: Expr,
    },
    If {
        cond: Expr,
        then: Block,
        els: Option<Block>,
    },
    While {
        cond: Expr,
        body: Block,
    },
    Loop(Block),
    For {
        var: Name,
        from: Expr,
        to: Expr,
        body: Block,
    },
    /// `for x in xs { ... }`, `for i, x in xs`, `for k, v in m`: the elements of a list or
    /// the entries of a map, in order (a copy of each, taken as its turn comes).
    /// `for x in any order xs`: the elements of the list as it stands when the loop starts,
    /// each once, in every order the explorer can choose.
    ForEach {
        /// The index (list) or key (map) when two names are bound.
        first: Option<Name>,
        var: Name,
        over: Expr,
        body: Block,
        any_order: bool,
    },
    /// `for r: Request { ... }`: every actor of a kind (ghost code only).
    ForActors {
        var: Name,
        kind: Name,
        body: Block,
    },
    Break,
    Continue,
    Return(Option<Expr>),
    Throw(Expr),
    Try {
        body: Block,
        catch: Option<(Option<Name>, Block)>,
        finally: Option<Block>,
    },
    Match {
        scrutinee: Expr,
        arms: Vec<Arm>,
    },
    Mark(Name),
    /// `abort when COND` at the top of an actor body: the platform aborts the actor where it
    /// waits once the condition holds (workerd's abort of every IoContext subscribed to a
    /// rejected abort promise).
    AbortWhen(Expr),
    Ghost(Block),
    Part {
        label: Name,
        body: Block,
    },
    Block(Block),
    /// An assumption about an actor's parameters, checked when a scenario is loaded.
    Assume {
        cond: Expr,
        message: Option<String>,
    },
    Expr(Expr),
}

#[derive(Clone, Debug)]
pub struct Arm {
    /// Alternatives; `None` is the wildcard `_`.
    pub patterns: Vec<Option<Expr>>,
    pub body: Block,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Rem,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    And,
    Or,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnOp {
    Not,
    Neg,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Quant {
    All,
    Any,
    Count,
}

#[derive(Clone, Debug)]
pub enum Binding {
    /// `r: Request`
    Actors { var: Name, kind: Name },
    /// `l in 0..2`
    Range { var: Name, from: Expr, to: Expr },
    /// `x in xs`, `i, x in xs`, `k in m`, `k, v in m`: a range over the capacity (`index`, a
    /// name no file can spell) with `var` and `first` standing for the element, its index, or
    /// the entry's key and value; the parser guards the quantifier's body with the length.
    Each(Box<Each>),
}

/// A binding over a list's elements or a map's entries (see [`Binding::Each`]).
#[derive(Clone, Debug)]
pub struct Each {
    pub first: Option<Name>,
    pub var: Name,
    pub over: Expr,
    pub index: Name,
    /// A hidden name for `over`, bound where the index is: the guard the parser puts in the
    /// body reads the list through it, so a variable named like the list cannot shadow it.
    pub alias: Name,
    /// `#live(alias, index)`: whether the index is below the length.
    pub live: Expr,
    /// `#at(over, index)`: the element, or the map entry `{ key, value }`.
    pub elem: Expr,
    /// `elem.key` and `elem.value`, for a map.
    pub key: Expr,
    pub value: Expr,
}

#[derive(Clone, Debug)]
pub enum Await {
    Sleep(Expr),
    Work(Expr, Expr),
    Yield,
    Until(Expr),
    /// `await f(args)`: a call of an async function.
    Call(Name, Vec<Expr>),
}

#[derive(Clone, Debug)]
pub enum ExprKind {
    Int(i64),
    Dur(i64),
    Bool(bool),
    None,
    Sym(String),
    /// A string: a path (`"run/app.lock"`) or, where one is expected, a name.
    Str(String),
    Name(String),
    SelfActor,
    Field(Box<Expr>, Name),
    Index(Box<Expr>, Box<Expr>),
    Unwrap(Box<Expr>),
    Call(Name, Vec<Expr>),
    /// `xs.push(x)`: a list's or a map's operation.
    Method(Box<Expr>, Name, Vec<Expr>),
    Unary(UnOp, Box<Expr>),
    Binary(BinOp, Box<Expr>, Box<Expr>),
    Record(Vec<(Name, Expr)>),
    Array(Vec<Expr>),
    /// `[value; count]`
    Repeat(Box<Expr>, Box<Expr>),
    If(Box<Expr>, Box<Expr>, Box<Expr>),
    Quant(Quant, Vec<Binding>, Box<Expr>),
    /// `a in [b, c]`: equal to one of them.
    In(Box<Expr>, Vec<Expr>),
    Await(Box<Await>),
}
