//! The operating system as the language's standard library (`platform node`): path and name
//! values, `pid()` and `host()`, and the awaited system calls, each one step of its own.
//!
//! A call is lowered as an await point followed by the call: the actor yields, and when it
//! next runs the call happens atomically, its operands evaluated then. An error comes back as
//! the errno's symbol (`'EEXIST'`) and is thrown, so `catch e` and `match e` handle the ones a
//! protocol expects and any other one propagates, as in Node. `writeFile` is two calls (open,
//! then write and close), so a reader can see the empty file between them and a kill can
//! leave it empty.

use std::rc::Rc;

use lockstep_sim::machine::os::{self, Call, Errno, DEPTH, ENTRIES, REGION, WORDS};
use lockstep_sim::machine::{Op, Platform, Slot, SlotKind};

use super::{Compiler, Diag, Result, Span, Ty, Want};
use crate::lang::ast::{Expr, ExprKind, Name};

/// The system calls a protocol can await, with their argument counts.
pub const CALLS: &[(&str, usize)] = &[
    ("mkdir", 1),
    ("mkdirp", 1),
    ("rmdir", 1),
    ("unlink", 1),
    ("rename", 2),
    ("stat", 1),
    ("readFile", 1),
    ("readdir", 1),
    ("writeFile", 2),
    ("writeFile", 3),
    ("utimes", 2),
    ("kill", 2),
    ("open", 1),
    ("open", 2),
    ("write", 1),
    ("close", 0),
];

/// Whether `name` is a system call (a file's own function of that name takes precedence).
pub fn is_call(name: &str) -> bool {
    CALLS.iter().any(|(n, _)| *n == name)
}

/// The record `stat` answers.
pub fn stat_ty() -> Ty {
    Ty::Record(Rc::new(vec![
        ("ino".to_string(), Ty::Int),
        ("mtime".to_string(), Ty::Dur),
        ("size".to_string(), Ty::Int),
        ("dir".to_string(), Ty::Bool),
    ]))
}

/// A file's content as `readFile` answers it and `writeFile` takes it.
pub fn content_ty() -> Ty {
    Ty::List(Rc::new(Ty::Int), WORDS)
}

impl<'f> Compiler<'f> {
    /// Reserves the file system's region in the shared state (node programs that make system
    /// calls; the first pass reserves it for every node program and learns whether it is used).
    pub(super) fn declare_os(&mut self) {
        let used = self.prior.as_ref().is_none_or(|u| u.os);
        if self.platform != Platform::Node || !used {
            return;
        }
        let off = self.shared_init.len();
        self.shared_init.extend(os::initial());
        self.shared_slots.extend((0..REGION).map(|_| Slot {
            name: "#files".to_string(),
            kind: SlotKind::Int,
            tag: None,
            ghost: false,
            shown: false,
        }));
        let errnos = Errno::ALL.map(|e| self.sym(e.name()));
        let faults_at = self.shared_init.len();
        let counts = self.inst.syscall_faults.clone();
        self.shared_init.extend(&counts);
        self.shared_slots.extend(counts.iter().map(|_| Slot {
            name: "#faults".to_string(),
            kind: SlotKind::Int,
            tag: None,
            ghost: false,
            shown: false,
        }));
        let fds_at = self.shared_init.len();
        let processes = self.inst.actors.len();
        self.shared_init.extend(std::iter::repeat_n(0, processes));
        self.shared_slots.extend((0..processes).map(|_| Slot {
            name: "#fds".to_string(),
            kind: SlotKind::Int,
            tag: None,
            ghost: false,
            shown: false,
        }));
        let header = lockstep_sim::machine::layout::W_HEADER;
        self.os = Some(os::Os {
            base: (header + off) as u32,
            errnos,
            names: Vec::new(),
            faults: Vec::new(),
            fault_base: (header + faults_at) as u32,
            fd_base: (header + fds_at) as u32,
            kill_times: false,
        });
    }

    /// Interns a name's stem (index 1 up).
    fn stem(&mut self, text: &str) -> usize {
        match self.names.iter().position(|x| x == text) {
            Some(i) => i + 1,
            None => {
                self.names.push(text.to_string());
                self.names.len()
            }
        }
    }

    /// A string literal: a path (`"run/app.lock"`, from the root), or a name where one is
    /// expected.
    pub(super) fn string_literal(
        &mut self,
        text: &str,
        span: &Span,
        expect: Option<&Ty>,
    ) -> Result<Ty> {
        self.need_node(span, "a path")?;
        let parts: Vec<&str> = text.split('/').filter(|p| !p.is_empty()).collect();
        if parts.iter().any(|p| matches!(*p, "." | "..")) {
            // The simulated file system has no `.` or `..` entries: as plain names they would
            // make `mkdir("run/..")` succeed where POSIX answers EEXIST.
            return Err(
                Diag::new(span.clone(), "`.` and `..` are not names here").help(
                    "write the path without them: paths are from the root, as in \"run/app.lock\"",
                ),
            );
        }
        if expect == Some(&Ty::Name) {
            if parts.len() != 1 || text.contains('/') {
                return Err(Diag::new(span.clone(), "a name has no `/`")
                    .help("a name is one component of a path: \"owner.json\""));
            }
            let name = os::make_name(self.stem(parts[0]), None).expect("a plain name");
            self.emit(Op::Const(name), span);
            return Ok(Ty::Name);
        }
        if parts.len() > DEPTH {
            return Err(Diag::new(
                span.clone(),
                format!(
                    "a path of {} components: at most {DEPTH} are supported",
                    parts.len()
                ),
            ));
        }
        for i in 0..DEPTH {
            let c = parts.get(i).map_or(0, |p| {
                os::make_name(self.stem(p), None).expect("a plain name")
            });
            self.emit(Op::Const(c), span);
        }
        Ok(Ty::Path)
    }

    /// `path / name`.
    pub(super) fn join(&mut self, l: &'f Expr, r: &'f Expr, span: &Span) -> Result<Ty> {
        self.value_for(l, &Ty::Path, "the left of `/` on paths")?;
        self.value_for(r, &Ty::Name, "a path's next component")?;
        let fail = self.message(span, &format!("a path deeper than {DEPTH} components"));
        self.emit(Op::Join { fail }, span);
        Ok(Ty::Path)
    }

    /// The built-in functions of the OS: `pid()`, `host()`, `name("stem", n)`, `number(n)`;
    /// `None` when `n` is none of them.
    pub(super) fn os_builtin(
        &mut self,
        n: &str,
        args: &'f [Expr],
        span: &Span,
    ) -> Result<Option<Ty>> {
        let arity = match n {
            "pid" | "host" | "hostname" | "real_now" | "ended" => 0,
            "name" => 2,
            "number" | "exists" => 1,
            _ => return Ok(None),
        };
        if n == "ended" && (!self.ghost || self.code.is_some()) {
            return Err(Diag::new(
                span.clone(),
                "`ended()` is for properties: it says whether the run has ended",
            )
            .help("use it in an `invariant`: `invariant NAME: ... || !ended()` also judges the end of a run"));
        }
        if matches!(n, "real_now" | "exists") && !self.ghost {
            return Err(Diag::new(
                span.clone(),
                format!("`{n}` is for ghost code and properties"),
            )
            .help(if n == "exists" {
                "a process learns whether a file exists with a call: `await stat(p)`"
            } else {
                "a process reads its host's clock: `now()`"
            }));
        }
        if args.len() != arity {
            return Err(Diag::new(
                span.clone(),
                format!("`{n}` takes {arity} argument(s)"),
            ));
        }
        if n != "ended" {
            self.need_node(span, &format!("`{n}()`"))?;
        }
        match n {
            "real_now" => {
                self.emit(Op::RealNow, span);
                Ok(Some(Ty::Dur))
            }
            "ended" => {
                self.emit(Op::Ended, span);
                Ok(Some(Ty::Bool))
            }
            "exists" => {
                self.value_for(&args[0], &Ty::Path, "`exists`'s argument")?;
                self.emit(Op::Exists, span);
                Ok(Some(Ty::Bool))
            }
            "pid" | "host" | "hostname" => {
                self.refuse_state(span)?;
                self.emit(
                    match n {
                        "pid" => Op::Pid,
                        "host" => Op::Host,
                        _ => Op::Hostname,
                    },
                    span,
                );
                Ok(Some(Ty::Int))
            }
            _ => self.name_builtin(n, args, span).map(Some),
        }
    }

    /// `name("stem", n)` and `number(n)`.
    fn name_builtin(&mut self, n: &str, args: &'f [Expr], span: &Span) -> Result<Ty> {
        if n == "number" {
            self.value_for(&args[0], &Ty::Name, "`number`'s argument")?;
            self.emit(Op::Const(1 << 32), span);
            self.emit(Op::Rem, span);
            self.emit(Op::AddConst(-1), span);
            return Ok(Ty::Int);
        }
        let ExprKind::Str(stem) = &args[0].kind else {
            return Err(Diag::new(args[0].span.clone(), "a name's stem is a string")
                .help("write `name(\"intent.\", pid())`"));
        };
        let stem = self.stem(stem) as u32;
        self.value_for(&args[1], &Ty::Int, "a name's number")?;
        let fail = self.message(span, "a name's number is negative or too large");
        self.emit(Op::Numbered { stem, fail }, span);
        Ok(Ty::Name)
    }

    pub(super) fn need_node(&self, span: &Span, what: &str) -> Result<()> {
        if self.platform == Platform::Node {
            return Ok(());
        }
        Err(
            Diag::new(span.clone(), format!("{what} belongs to `platform node`"))
                .help("files, processes and hosts are the node platform's: write `platform node`"),
        )
    }

    /// `await CALL(args)`: the await point, the call, and its errno thrown when it failed.
    /// `awaited` is false only for `kill(pid, 0)`, which Node runs synchronously: no await
    /// point, the call is part of the current step.
    pub(super) fn os_call(
        &mut self,
        f: &'f Name,
        args: &'f [Expr],
        want: Want,
        awaited: bool,
        span: &Span,
    ) -> Result<Ty> {
        let name = f.text.as_str();
        if !CALLS.contains(&(name, args.len())) {
            let counts: Vec<String> = CALLS
                .iter()
                .filter(|(n, _)| *n == name)
                .map(|(_, k)| k.to_string())
                .collect();
            return Err(Diag::new(
                span.clone(),
                format!(
                    "`{name}` takes {} argument(s), not {}",
                    counts.join(" or "),
                    args.len()
                ),
            ));
        }
        self.need_node(span, &format!("`{name}`"))?;
        if self.os.is_none() {
            return Err(Diag::new(
                span.clone(),
                "system calls need the file system, which this lowering left out",
            )
            .help("this is a bug in lockstep: please report it"));
        }
        if (awaited && !self.can_await) || self.ghost {
            return Err(Diag::new(
                span.clone(),
                "`await` only in actor code and the functions it awaits",
            ));
        }
        self.usage.os = true;
        let result = match name {
            "writeFile" => self.write_file(args, span)?,
            "open" => {
                let exclusive = self.flag(args.get(1))?;
                self.open_call(&args[0], exclusive, span)?
            }
            "write" => self.write_call(&args[0], span)?,
            "close" => {
                self.emit(Op::Yield, span);
                self.emit(Op::Sys(Call::Close), span);
                self.errno_check(0, span)?;
                Ty::Unit
            }
            _ => self.one_call(name, args, awaited, span)?,
        };
        match want {
            Want::Value => {}
            Want::Discard => {
                if result.size() > 0 {
                    self.emit(Op::Pop(result.size() as u32), span);
                }
            }
            Want::Into(off, _) => self.store_local(off, result.size(), span),
        }
        Ok(result)
    }

    /// One call: its await point, operands, the call and the errno check. Leaves the result.
    fn one_call(&mut self, name: &str, args: &'f [Expr], awaited: bool, span: &Span) -> Result<Ty> {
        let (call, result) = match name {
            "mkdir" => (Call::Mkdir, Ty::Unit),
            "mkdirp" => (Call::MkdirAll, Ty::Unit),
            "rmdir" => (Call::Rmdir, Ty::Unit),
            "unlink" => (Call::Unlink, Ty::Unit),
            "rename" => (Call::Rename, Ty::Unit),
            "stat" => (Call::Stat, stat_ty()),
            "readFile" => (Call::Read, content_ty()),
            "readdir" => (Call::Readdir, Ty::List(Rc::new(Ty::Name), ENTRIES)),
            "utimes" => (Call::Utimes, Ty::Unit),
            _ => (Call::Kill, Ty::Unit),
        };
        if awaited {
            self.emit(Op::Yield, span);
        }
        self.resolving(span, |c| {
            if call == Call::Kill {
                c.value_for(&args[0], &Ty::Int, "the pid to signal")?;
                let zero = c.const_int(&args[1], "the signal")?;
                if zero != 0 {
                    return Err(Diag::new(args[1].span.clone(), "only signal 0 is modelled")
                        .help("`kill(pid, 0)` asks whether the process lives; a kill -9 is the scenario's `kill_at_ms`"));
                }
                return Ok(());
            }
            c.value_for(&args[0], &Ty::Path, "a path")?;
            match call {
                Call::Rename => c.value_for(&args[1], &Ty::Path, "a path"),
                Call::Utimes => c.value_for(&args[1], &Ty::Dur, "an mtime"),
                _ => Ok(()),
            }
        })?;
        self.emit(Op::Sys(call), span);
        self.errno_check(result.size(), span)?;
        Ok(result)
    }

    /// `writeFile(path, content)` and `writeFile(path, content, 'wx')`: open (creating or
    /// truncating, or exclusively), then write and close, each its own step.
    fn write_file(&mut self, args: &'f [Expr], span: &Span) -> Result<Ty> {
        let exclusive = self.flag(args.get(2))?;
        self.open_call(&args[0], exclusive, span)?;
        self.write_call(&args[1], span)
    }

    /// An open's flag: 'w' (the default) or 'wx'.
    fn flag(&self, arg: Option<&'f Expr>) -> Result<bool> {
        match arg.map(|a| (a, &a.kind)) {
            None => Ok(false),
            Some((_, ExprKind::Sym(s))) if s == "wx" => Ok(true),
            Some((_, ExprKind::Sym(s))) if s == "w" => Ok(false),
            Some((a, _)) => Err(Diag::new(a.span.clone(), "an open's flag is 'w' or 'wx'")
                .help("'wx' is O_CREAT|O_EXCL: it fails with EEXIST when the file exists")),
        }
    }

    /// `open(path, flag)`: the process holds the file open until its `write`.
    fn open_call(&mut self, path: &'f Expr, exclusive: bool, span: &Span) -> Result<Ty> {
        self.emit(Op::Yield, span);
        self.resolving(span, |c| c.value_for(path, &Ty::Path, "a path"))?;
        self.emit(Op::Sys(Call::Open { exclusive }), span);
        self.errno_check(0, span)?;
        Ok(Ty::Unit)
    }

    /// `write(content)`: writes through the file the process opened, and closes it.
    fn write_call(&mut self, content: &'f Expr, span: &Span) -> Result<Ty> {
        self.emit(Op::Yield, span);
        self.resolving(span, |c| {
            c.value_for(content, &content_ty(), "a file's content")
        })?;
        self.emit(Op::Sys(Call::Write), span);
        self.errno_check(0, span)?;
        Ok(Ty::Unit)
    }

    /// After a call: the errno on top of `results` slots. 0 goes on; any other is thrown.
    fn errno_check(&mut self, results: usize, span: &Span) -> Result<()> {
        let ok = self.label();
        self.emit(Op::Dup, span);
        self.emit_to(Op::JumpIfFalse(0), ok, span);
        if results > 0 {
            self.push_scope(false);
            let t = self.alloc(1, span)?;
            self.store_local(t, 1, span);
            self.emit(Op::Pop(results as u32), span);
            self.emit(Op::LoadLocal(t), span);
            self.pop_scope(span);
        }
        self.throw_value(span)?;
        self.place_label(ok);
        self.emit(Op::Pop(1), span);
        Ok(())
    }
}
