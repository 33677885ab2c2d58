//! The environment moves both filesystem protocols share (the restart lock and eve's prewarm
//! lock): hosts with hostnames and clock skew, kill -9 and pause at an instant
//! or at a named point of the protocol, kills and pauses "at any step" bounded by a `[faults]`
//! budget, pid reuse, and one-shot syscall faults. The scenario side (TOML types and their
//! validation into located [`ScenarioError`]s) and the run side (the scheduled events and
//! their effect on `sim::world`) live together so the two models cannot drift apart.
//!
//! A room of its own beside the models: any model written on `sim::world` (a file system and a
//! process table) uses it rather than rebuilding hosts, kills, pauses and syscall faults.

use serde::Deserialize;
use toml::Spanned;

use arrayvec::ArrayVec;
use lockstep_sim::faults::FaultLog;
use lockstep_sim::world::{kill9, Errno, Fault, Fs, HostId, Hostname, Op, PathId, Pid, Procs, Uid};
use lockstep_sim::{Narrator, Property, Time, NEVER};

use crate::scenario::{at, ScenarioError, Source};

/// Most actors a scenario of either protocol may have (the world keeps them inline).
pub const MAX_ACTORS: usize = 6;
/// Times are kept below this horizon (about 24 days of virtual time).
pub use crate::scenario::{times, TIME_MAX};

// ---- scenario side --------------------------------------------------------------------------

/// One `[[params.host]]`: a kernel with its own pid namespace and clock.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct HostFile {
    pub name: Spanned<String>,
    /// What `os.hostname()` returns there (default: the host's `name`). Two hosts may share a
    /// hostname: containers in distinct pid namespaces (eve D1-e / D7).
    pub hostname: Option<Spanned<String>>,
    /// Its clock reads the scenario clock plus this many milliseconds (may be negative).
    pub skew_ms: Option<Spanned<i64>>,
}

/// `[faults]`: environment moves the explorer may take at any step, within a budget, and
/// one-shot syscall faults.
#[derive(Deserialize, Debug, Default)]
#[serde(deny_unknown_fields)]
pub struct FaultsFile {
    /// At most this many kill -9s "at any step" in one run (default 0).
    pub kills_max: Option<Spanned<i64>>,
    /// Who may be killed at any step (default: every actor).
    pub kill: Option<Vec<Spanned<String>>>,
    /// At most this many pauses "at any step" in one run (default 0).
    pub pauses_max: Option<Spanned<i64>>,
    /// How long such a pause lasts.
    pub pause_ms: Option<Spanned<i64>>,
    /// Who may be paused at any step (default: every actor).
    pub pause: Option<Vec<Spanned<String>>>,
    /// Syscall faults: the next `op` on `path` fails with `errno` (the next `times` of them).
    #[serde(default)]
    pub syscall: Vec<Spanned<SyscallFile>>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct SyscallFile {
    pub op: Spanned<String>,
    pub path: Spanned<String>,
    pub errno: Spanned<String>,
    /// When the fault is armed (default 0: before anything runs; later: at that instant, in
    /// any order with the other moves of that instant).
    pub at_ms: Option<Spanned<i64>>,
    /// How many calls in a row fail (default 1; 1 to 255): a retry loop's bound is reached
    /// only by more failures than a scenario has fault entries.
    pub times: Option<Spanned<i64>>,
}

/// The environment fields every `[[actor]]` of both protocols has. Each protocol's actor type
/// repeats them (serde cannot combine `flatten` with `deny_unknown_fields`) and hands them here.
pub struct ActorEnvFile<'a> {
    pub host: &'a Option<Spanned<String>>,
    pub pid: &'a Option<Spanned<i64>>,
    pub uid: &'a Option<Spanned<i64>>,
    pub crash_at_ms: &'a Option<Spanned<i64>>,
    pub crash_at: &'a Option<Spanned<String>>,
    pub pause_at_ms: &'a Option<Spanned<i64>>,
    pub pause_at: &'a Option<Spanned<String>>,
    pub pause_ms: &'a Option<Spanned<i64>>,
    pub pid_reused_at_ms: &'a Option<Spanned<i64>>,
    pub pid_reused_uid: &'a Option<Spanned<i64>>,
}

#[derive(Clone, Debug)]
pub struct HostSpec {
    pub name: String,
    /// Index into the scenario's distinct hostnames.
    pub hostname: u8,
    pub hostname_text: String,
    pub skew_ms: i64,
}

/// A validated actor environment.
#[derive(Clone, Debug)]
pub struct ActorEnv {
    pub host: u8,
    pub pid: u32,
    pub uid: u16,
    pub crash_at_ms: Option<u64>,
    /// Index into the protocol's point names.
    pub crash_at: Option<u8>,
    pub pause_at_ms: Option<u64>,
    pub pause_at: Option<u8>,
    pub pause_ms: u64,
    pub reuse_at_ms: Option<u64>,
    pub reuse_uid: u16,
}

#[derive(Clone, Debug)]
pub struct SyscallSpec {
    pub at_ms: u64,
    pub op: Op,
    /// The protocol's name for the path ("L", "M", "lock", ...), resolved by the model.
    pub path: String,
    pub errno: Errno,
    /// How many calls in a row fail.
    pub times: u8,
}

#[derive(Clone, Debug, Default)]
pub struct EnvSpec {
    pub hosts: Vec<HostSpec>,
    pub kills_max: u8,
    /// Bit a: actor a may be killed at any step.
    pub kill_mask: u8,
    pub pauses_max: u8,
    pub pause_ms: u64,
    pub pause_mask: u8,
    pub syscalls: Vec<SyscallSpec>,
}

/// A non-negative number of milliseconds within the horizon, or a located error.
pub fn ms(src: &Source, v: &Spanned<i64>, what: &str, min: u64) -> Result<u64, ScenarioError> {
    let x = *v.get_ref();
    if x < 0 {
        return Err(at(
            src,
            v,
            format!("`{what}` = {x} is impossible: a time or duration cannot be negative"),
        )
        .help(format!(
            "give `{what}` in whole milliseconds, at least {min}"
        )));
    }
    let x = x as u64;
    if x < min || x > TIME_MAX {
        return Err(at(
            src,
            v,
            format!("`{what}` = {x} is impossible: it must be between {min} and {TIME_MAX}"),
        ));
    }
    Ok(x)
}

pub fn opt_ms(
    src: &Source,
    v: &Option<Spanned<i64>>,
    what: &str,
    min: u64,
) -> Result<Option<u64>, ScenarioError> {
    v.as_ref().map(|v| ms(src, v, what, min)).transpose()
}

/// Validates `[[params.host]]` (none given: one host called `local`).
pub fn hosts(src: &Source, files: &[Spanned<HostFile>]) -> Result<Vec<HostSpec>, ScenarioError> {
    if files.is_empty() {
        return Ok(vec![HostSpec {
            name: "local".into(),
            hostname: 0,
            hostname_text: "local".into(),
            skew_ms: 0,
        }]);
    }
    if files.len() > 4 {
        return Err(at(src, &files[4], "at most 4 hosts are supported"));
    }
    let mut out: Vec<HostSpec> = Vec::new();
    let mut names: Vec<String> = Vec::new();
    for h in files {
        let h = h.get_ref();
        let name = h.name.get_ref().trim().to_string();
        if name.is_empty() {
            return Err(at(src, &h.name, "a host needs a non-empty name"));
        }
        if out.iter().any(|x| x.name == name) {
            return Err(at(src, &h.name, format!("two hosts are named `{name}`")));
        }
        let text = h
            .hostname
            .as_ref()
            .map_or(name.clone(), |s| s.get_ref().trim().to_string());
        let idx = match names.iter().position(|n| *n == text) {
            Some(i) => i,
            None => {
                names.push(text.clone());
                names.len() - 1
            }
        };
        let skew_ms = match &h.skew_ms {
            None => 0,
            Some(s) if s.get_ref().unsigned_abs() > 7 * 24 * 3600 * 1000 => {
                return Err(at(src, s, "a clock skew beyond a week is not supported"))
            }
            Some(s) => *s.get_ref(),
        };
        out.push(HostSpec {
            name,
            hostname: idx as u8,
            hostname_text: text,
            skew_ms,
        });
    }
    Ok(out)
}

/// Validates one actor's environment fields. `points` are the protocol's named points;
/// `pid_default` is the pid the actor gets when the file names none.
pub fn actor_env(
    src: &Source,
    f: ActorEnvFile<'_>,
    hosts: &[HostSpec],
    points: &[(&str, &str)],
    arrive_min: u64,
    pid_default: u32,
) -> Result<ActorEnv, ScenarioError> {
    let host = host_index(src, f.host, hosts)?;
    let pid = process_id(src, f.pid, pid_default)?;
    let crash_at_ms = after_arrival(src, f.crash_at_ms, "crash_at_ms", arrive_min)?;
    let pause_at_ms = after_arrival(src, f.pause_at_ms, "pause_at_ms", arrive_min)?;
    let pause_at = point(src, f.pause_at, "pause_at", points)?;
    let pause_ms = opt_ms(src, f.pause_ms, "pause_ms", 1)?;
    if (pause_at_ms.is_some() || pause_at.is_some()) && pause_ms.is_none() {
        let span = f.pause_at_ms.as_ref().map(|s| s.span());
        let span = span.or(f.pause_at.as_ref().map(|s| s.span()));
        return Err(src
            .error(span, "a pause needs a duration")
            .help("add `pause_ms` to the actor"));
    }
    let reuse_at_ms = pid_reuse(src, &f, crash_at_ms, arrive_min)?;
    Ok(ActorEnv {
        host,
        pid,
        uid: user_id(src, f.uid, "uid")?,
        crash_at_ms,
        crash_at: point(src, f.crash_at, "crash_at", points)?,
        pause_at_ms,
        pause_at,
        pause_ms: pause_ms.unwrap_or(0),
        reuse_at_ms,
        reuse_uid: user_id(src, f.pid_reused_uid, "pid_reused_uid")?,
    })
}

/// `host`: the actor's host as an index into `hosts` (default: the first), listing them if unknown.
fn host_index(
    src: &Source,
    host: &Option<Spanned<String>>,
    hosts: &[HostSpec],
) -> Result<u8, ScenarioError> {
    match host {
        None => Ok(0),
        Some(h) => match hosts.iter().position(|x| x.name == *h.get_ref()) {
            Some(i) => Ok(i as u8),
            None => {
                let known: Vec<&str> = hosts.iter().map(|x| x.name.as_str()).collect();
                Err(
                    at(src, h, format!("unknown host `{}`", h.get_ref())).help(format!(
                        "declare it as a `[[params.host]]`; the hosts are: {}",
                        known.join(", ")
                    )),
                )
            }
        },
    }
}

/// `pid`: the actor's process id (absent: `pid_default`), within the range Linux allows.
fn process_id(
    src: &Source,
    pid: &Option<Spanned<i64>>,
    pid_default: u32,
) -> Result<u32, ScenarioError> {
    match pid {
        None => Ok(pid_default),
        Some(p) if *p.get_ref() <= 0 || *p.get_ref() > 4_194_304 => Err(at(
            src,
            p,
            format!("`pid` = {} is not a pid (1 to 4194304)", p.get_ref()),
        )),
        Some(p) => Ok(*p.get_ref() as u32),
    }
}

/// `uid` and `pid_reused_uid`: a user id (absent: the ordinary user), which owns the process.
fn user_id(src: &Source, v: &Option<Spanned<i64>>, what: &str) -> Result<u16, ScenarioError> {
    match v {
        None => Ok(Uid::USER.0),
        Some(u) if *u.get_ref() < 0 || *u.get_ref() > 65_535 => Err(at(
            src,
            u,
            format!("`{what}` = {} is not a user id (0 to 65535)", u.get_ref()),
        )),
        Some(u) => Ok(*u.get_ref() as u16),
    }
}

/// `crash_at` and `pause_at`: one of the protocol's named points, as an index into `points`.
fn point(
    src: &Source,
    v: &Option<Spanned<String>>,
    what: &str,
    points: &[(&str, &str)],
) -> Result<Option<u8>, ScenarioError> {
    match v {
        None => Ok(None),
        Some(p) => match points.iter().position(|(n, _)| *n == p.get_ref()) {
            Some(i) => Ok(Some(i as u8)),
            None => Err(
                at(src, p, format!("`{what}`: unknown point `{}`", p.get_ref())).help(format!(
                    "the points of this protocol are: {}",
                    points
                        .iter()
                        .map(|(n, _)| *n)
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
            ),
        },
    }
}

/// An instant the environment acts on the process, which it can only do once it has started.
fn after_arrival(
    src: &Source,
    v: &Option<Spanned<i64>>,
    what: &str,
    arrive_min: u64,
) -> Result<Option<u64>, ScenarioError> {
    let t = opt_ms(src, v, what, 0)?;
    if let (Some(t), Some(s)) = (t, v)
        && t < arrive_min
    {
        return Err(at(
            src,
            s,
            format!("`{what}` = {t} comes before the actor can arrive ({arrive_min} ms)"),
        )
        .help("a process can only be acted on once it has started"));
    }
    Ok(t)
}

/// `pid_reused_at_ms`: the kernel can only hand the pid on once the actor has died.
fn pid_reuse(
    src: &Source,
    f: &ActorEnvFile<'_>,
    crash_at_ms: Option<u64>,
    arrive_min: u64,
) -> Result<Option<u64>, ScenarioError> {
    let reuse_at_ms = opt_ms(src, f.pid_reused_at_ms, "pid_reused_at_ms", 0)?;
    if let (Some(t), Some(s)) = (reuse_at_ms, f.pid_reused_at_ms) {
        let dies = crash_at_ms.or(if f.crash_at.is_some() {
            Some(arrive_min)
        } else {
            None
        });
        match dies {
            None => {
                return Err(at(src, s, "only a dead process's pid can be reused")
                    .help("give the actor a `crash_at_ms` or a `crash_at` point"))
            }
            Some(d) if t < d => {
                return Err(at(
                    src,
                    s,
                    format!("`pid_reused_at_ms` = {t} comes before the actor can die ({d} ms)"),
                ))
            }
            _ => {}
        }
    }
    Ok(reuse_at_ms)
}

/// Validates `[faults]` into the environment of a scenario run on `hosts`. `actors` are the
/// actor names in file order; `path_ok` says whether a path name is one the protocol knows (and
/// if not, what the names are).
pub fn faults(
    src: &Source,
    f: Option<&FaultsFile>,
    hosts: Vec<HostSpec>,
    actors: &[String],
    path_ok: &dyn Fn(&str) -> Result<(), String>,
) -> Result<EnvSpec, ScenarioError> {
    let Some(f) = f else {
        return Ok(EnvSpec {
            hosts,
            ..EnvSpec::default()
        });
    };
    let kills_max = budget(src, &f.kills_max, "kills_max")?;
    let kill_mask = actor_mask(src, &f.kill, "kill", actors)?;
    let pauses_max = budget(src, &f.pauses_max, "pauses_max")?;
    let pause_mask = actor_mask(src, &f.pause, "pause", actors)?;
    let pause_ms = opt_ms(src, &f.pause_ms, "pause_ms", 1)?;
    if pauses_max > 0 && pause_ms.is_none() {
        return Err(src
            .error(
                f.pauses_max.as_ref().map(|s| s.span()),
                "pauses at any step need a duration",
            )
            .help("add `pause_ms` to [faults]"));
    }
    if f.syscall.len() > 4 {
        return Err(at(
            src,
            &f.syscall[4],
            "at most 4 syscall faults are supported",
        ));
    }
    let mut sys = Vec::new();
    for s in &f.syscall {
        sys.push(syscall(src, s.get_ref(), path_ok)?);
    }
    Ok(EnvSpec {
        hosts,
        kills_max,
        kill_mask,
        pauses_max,
        pause_ms: pause_ms.unwrap_or(0),
        pause_mask,
        syscalls: sys,
    })
}

/// `kills_max` and `pauses_max`: a small budget per run, as each fault multiplies the space.
fn budget(src: &Source, v: &Option<Spanned<i64>>, what: &str) -> Result<u8, ScenarioError> {
    match v {
        None => Ok(0),
        Some(k) if *k.get_ref() < 0 || *k.get_ref() > 3 => Err(at(
            src,
            k,
            format!("`{what}` = {} is outside 0 to 3", k.get_ref()),
        )
        .help("each extra fault multiplies the explored space; 1 or 2 is usually enough")),
        Some(k) => Ok(*k.get_ref() as u8),
    }
}

/// `kill` and `pause`: the actors a fault at any step may hit, as a bit mask (absent: all).
fn actor_mask(
    src: &Source,
    v: &Option<Vec<Spanned<String>>>,
    what: &str,
    actors: &[String],
) -> Result<u8, ScenarioError> {
    let Some(names) = v else {
        return Ok(((1u16 << actors.len()) - 1) as u8);
    };
    let mut m = 0u8;
    for n in names {
        match actors.iter().position(|a| a == n.get_ref()) {
            Some(i) => m |= 1 << i,
            None => {
                return Err(at(
                    src,
                    n,
                    format!("`{what}` names `{}`, which is not an actor", n.get_ref()),
                )
                .help(format!("the actors are: {}", actors.join(", "))))
            }
        }
    }
    Ok(m)
}

/// One `[[faults.syscall]]`: which call on which of the protocol's paths fails, how and when.
fn syscall(
    src: &Source,
    s: &SyscallFile,
    path_ok: &dyn Fn(&str) -> Result<(), String>,
) -> Result<SyscallSpec, ScenarioError> {
    let op = syscall_op(src, &s.op)?;
    let errno = syscall_errno(src, &s.errno)?;
    path_ok(s.path.get_ref()).map_err(|known| {
        at(src, &s.path, format!("unknown path `{}`", s.path.get_ref()))
            .help(format!("the paths of this protocol are: {known}"))
    })?;
    Ok(SyscallSpec {
        at_ms: opt_ms(src, &s.at_ms, "at_ms", 0)?.unwrap_or(0),
        op,
        path: s.path.get_ref().clone(),
        errno,
        times: syscall_times(src, &s.times)?,
    })
}

/// `times`: how many calls in a row fail, 1 to 255 (default 1).
fn syscall_times(src: &Source, times: &Option<Spanned<i64>>) -> Result<u8, ScenarioError> {
    match times {
        None => Ok(1),
        Some(t) => u8::try_from(*t.get_ref())
            .ok()
            .filter(|&n| n >= 1)
            .ok_or_else(|| {
                at(src, t, format!("`times` = {} is not 1 to 255", t.get_ref()))
                    .help("the number of calls in a row that fail; leave it out for one")
            }),
    }
}

/// `op`: the system call that fails, by its Node.js name.
fn syscall_op(src: &Source, op: &Spanned<String>) -> Result<Op, ScenarioError> {
    match op.get_ref().as_str() {
        "open" => Ok(Op::Open),
        "write" => Ok(Op::Write),
        "close" => Ok(Op::Close),
        "mkdir" => Ok(Op::Mkdir),
        "rename" => Ok(Op::Rename),
        "unlink" => Ok(Op::Unlink),
        "rmdir" => Ok(Op::Rmdir),
        "stat" => Ok(Op::Stat),
        "readFile" => Ok(Op::ReadFile),
        "readdir" => Ok(Op::Readdir),
        other => Err(at(src, op, format!("unknown syscall `{other}`")).help(
            "use open, write, close, mkdir, rename, unlink, rmdir, stat, readFile or readdir",
        )),
    }
}

/// `errno`: how the call fails, among the errors the model knows.
fn syscall_errno(src: &Source, errno: &Spanned<String>) -> Result<Errno, ScenarioError> {
    match errno.get_ref().as_str() {
        "ENOENT" => Ok(Errno::ENOENT),
        "EBUSY" => Ok(Errno::EBUSY),
        "ENOSPC" => Ok(Errno::ENOSPC),
        "EIO" => Ok(Errno::EIO),
        "EACCES" => Ok(Errno::EACCES),
        "EPERM" => Ok(Errno::EPERM),
        other => Err(at(src, errno, format!("unsupported errno `{other}`"))
            .help("use ENOENT, EBUSY, ENOSPC, EIO, EACCES or EPERM")),
    }
}

// ---- run side -------------------------------------------------------------------------------

/// A scheduled environment event (fixed by the scenario, fired once at its instant).
#[derive(Clone, Copy, Debug)]
pub enum Event {
    Kill(u8),
    Pause(u8),
    ReusePid(u8),
    /// Index into the scenario's syscall faults.
    Inject(u8),
}

/// An environment move.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EnvMove {
    /// Scheduled event i is due.
    Event(u8),
    /// A paused actor's pause is over.
    Resume(u8),
    /// Optional: kill -9 of the actor now (within `kills_max`).
    Kill(u8),
    /// Optional: pause the actor now for `pause_ms` (within `pauses_max`).
    Pause(u8),
}

/// What the environment did to one actor, kept in the world.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ActorEnvState {
    /// When a pause ends (`NEVER` if not paused).
    pub resume_at: Time,
    /// When the process died (`NEVER` if alive).
    pub died_at: Time,
    /// It was paused at some point (bounded-wait does not judge a waiter the environment stopped).
    pub paused_ever: bool,
    /// Its `crash_at` / `pause_at` point has been reached.
    pub point_done: bool,
}

impl Default for ActorEnvState {
    fn default() -> Self {
        ActorEnvState {
            resume_at: NEVER,
            died_at: NEVER,
            paused_ever: false,
            point_done: false,
        }
    }
}

/// The environment's part of a world.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct EnvState {
    /// Bit i: scheduled event i has fired.
    pub fired: u32,
    pub kills: u8,
    pub pauses: u8,
}

/// The scheduled events of a scenario, in a fixed order.
pub fn schedule(actors: &[ActorEnv], spec: &EnvSpec) -> Vec<(Time, Event)> {
    let mut ev = Vec::new();
    for (i, a) in actors.iter().enumerate() {
        if let Some(t) = a.crash_at_ms {
            ev.push((t, Event::Kill(i as u8)));
        }
        if let Some(t) = a.pause_at_ms {
            ev.push((t, Event::Pause(i as u8)));
        }
        if let Some(t) = a.reuse_at_ms {
            ev.push((t, Event::ReusePid(i as u8)));
        }
    }
    // Faults armed at 0 are in place before anything runs (see `initial_fs`).
    for (i, s) in spec.syscalls.iter().enumerate() {
        if s.at_ms > 0 {
            ev.push((s.at_ms, Event::Inject(i as u8)));
        }
    }
    assert!(ev.len() <= 32, "more than 32 scheduled events");
    ev
}

/// The initial filesystem: empty, with the faults armed at t = 0 already queued (in file order).
pub fn initial_fs<const N: usize>(spec: &EnvSpec, faults: &[(Fault, String)]) -> Fs<N> {
    let mut fs = Fs::new();
    for (s, (f, _)) in spec.syscalls.iter().zip(faults) {
        if s.at_ms == 0 {
            fs.inject(*f);
        }
    }
    fs
}

/// Builds the process table: one host per `[[params.host]]`, one process per actor (`ProcId`
/// = actor index).
pub fn procs(spec: &EnvSpec, actors: &[ActorEnv]) -> Procs {
    let mut procs = Procs::new();
    for h in &spec.hosts {
        procs.add_host(Hostname(h.hostname), h.skew_ms);
    }
    for a in actors {
        procs.spawn(HostId(a.host), Pid(a.pid), Uid(a.uid));
    }
    procs
}

/// The parts of a world an environment move touches.
pub struct EnvCtx<'a, const N: usize> {
    pub now: Time,
    pub procs: &'a mut Procs,
    pub fs: &'a mut Fs<N>,
    pub env: &'a mut EnvState,
}

/// Kills actor `a`'s process now (no cleanup; its descriptors close). False when it was
/// already dead (the kill took no effect).
pub fn kill<const N: usize, W: Narrator>(
    cx: &mut EnvCtx<'_, N>,
    st: &mut ActorEnvState,
    a: u8,
    n: &mut W,
) -> bool {
    let p = lockstep_sim::world::ProcId(a);
    if !cx.procs.is_alive(p) {
        return false;
    }
    kill9(cx.procs, cx.fs, p);
    st.died_at = cx.now;
    st.resume_at = NEVER;
    n.say(format_args!(
        "kill -9 (pid {}): no finally, its files stay",
        cx.procs.pid(p).0
    ));
    true
}

/// Pauses actor `a` (SIGSTOP) until `now + ms`. False when it was not running (dead or
/// already paused: the pause took no effect).
pub fn pause<const N: usize, W: Narrator>(
    cx: &mut EnvCtx<'_, N>,
    st: &mut ActorEnvState,
    a: u8,
    ms: u64,
    n: &mut W,
) -> bool {
    let p = lockstep_sim::world::ProcId(a);
    if !cx.procs.runs(p) {
        return false;
    }
    cx.procs.pause(p);
    st.resume_at = cx.now + ms;
    st.paused_ever = true;
    n.say(format_args!(
        "SIGSTOP for {ms} ms (alive: kill(pid, 0) still succeeds)"
    ));
    true
}

pub fn resume<const N: usize, W: Narrator>(
    cx: &mut EnvCtx<'_, N>,
    st: &mut ActorEnvState,
    a: u8,
    n: &mut W,
) {
    let p = lockstep_sim::world::ProcId(a);
    st.resume_at = NEVER;
    if cx.procs.state(p) == lockstep_sim::world::ProcState::Paused {
        cx.procs.resume(p);
        n.say(format_args!("SIGCONT: continues where it stopped"));
    }
}

/// Fires scheduled event `ev` (the model applies `Kill`/`Pause` itself, with its actor state).
pub fn fire_simple<const N: usize, W: Narrator>(
    cx: &mut EnvCtx<'_, N>,
    ev: Event,
    actors: &[ActorEnv],
    faults: &[(Fault, String)],
    n: &mut W,
) -> bool {
    match ev {
        Event::ReusePid(a) => {
            let p = lockstep_sim::world::ProcId(a);
            if cx.procs.is_alive(p) {
                n.say(format_args!(
                    "pid {} is still in use: not reused",
                    cx.procs.pid(p).0
                ));
                return false;
            }
            let host = cx.procs.host(p);
            if cx.procs.find(host, cx.procs.pid(p)).is_some() {
                return false;
            }
            cx.procs.reuse_pid(p, Uid(actors[a as usize].reuse_uid));
            n.say(format_args!(
                "the kernel hands pid {} to an unrelated live process (uid {})",
                cx.procs.pid(p).0,
                actors[a as usize].reuse_uid
            ));
            true
        }
        Event::Inject(i) => {
            let (f, name) = &faults[i as usize];
            cx.fs.inject(*f);
            if f.times == 1 {
                n.say(format_args!(
                    "armed: the next {} on {name} fails with {}",
                    f.op.name(),
                    f.errno
                ));
            } else {
                n.say(format_args!(
                    "armed: the next {} calls of {} on {name} fail with {}",
                    f.times,
                    f.op.name(),
                    f.errno
                ));
            }
            // Arming is not firing: the fault fires when a call consumes it.
            false
        }
        Event::Kill(_) | Event::Pause(_) => unreachable!("applied by the model"),
    }
}

/// Resolves the scenario's syscall faults against the model's path names.
pub fn resolve_faults(spec: &EnvSpec, path: &dyn Fn(&str) -> PathId) -> Vec<(Fault, String)> {
    spec.syscalls
        .iter()
        .map(|s| {
            (
                Fault {
                    op: s.op,
                    path: path(&s.path),
                    errno: s.errno,
                    times: s.times,
                },
                s.path.clone(),
            )
        })
        .collect()
}

// ---- the environment part of a file-lock model ---------------------------------------------

/// The actor of an injected syscall fault in timelines ("env").
pub const ENV_ACTOR: u8 = u8::MAX;

/// What makes actor `a`'s environment interchangeable with another's (see
/// `crate::models::symmetry`): its host, uid and fault settings, or `None` when it is alone:
/// a fault scheduled for it (a crash, a pause, a pid reuse, a syscall fault on one of its
/// `own_paths`, the names a scenario gives its paths) or a pid another actor has too (a file's
/// pid word would not say whose it is).
pub fn interchangeable(
    actors: &[ActorEnv],
    spec: &EnvSpec,
    a: usize,
    own_paths: &[String],
) -> Option<(u8, u16, u64, bool, bool)> {
    let env = &actors[a];
    let scheduled = env.crash_at_ms.is_some()
        || env.crash_at.is_some()
        || env.pause_at_ms.is_some()
        || env.pause_at.is_some()
        || env.reuse_at_ms.is_some();
    let shared_pid = actors
        .iter()
        .enumerate()
        .any(|(b, other)| b != a && other.pid == env.pid);
    let own_fault = spec.syscalls.iter().any(|f| own_paths.contains(&f.path));
    if scheduled || shared_pid || own_fault {
        return None;
    }
    let bit = 1u8 << a;
    Some((
        env.host,
        env.uid,
        env.pause_ms,
        spec.kill_mask & bit != 0,
        spec.pause_mask & bit != 0,
    ))
}

/// The path a scenario's `[faults]` entry names (validated at load), in a model's table of the
/// names its paths go by.
pub fn path_named(name: &str, named: &[(String, PathId)]) -> PathId {
    named
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, p)| *p)
        .expect("path names are validated")
}

/// What the environment knows of a file-lock scenario, fixed when its model is built: the
/// scheduled events, the syscall faults, each actor's process identity, and how long an
/// optional pause lasts. The restart-lock and prewarm-lock models hold one and hand their
/// environment moves to it, so both apply, attribute and label them alike.
pub struct EnvPlan {
    pub events: Vec<(Time, Event)>,
    pub faults: Vec<(Fault, String)>,
    /// Per actor, as the scenario declares it (host, pid, uid, pause length, pid reuse).
    pub actors: Vec<ActorEnv>,
    /// How long an optional pause (`EnvMove::Pause`) lasts.
    pub pause_ms: Time,
    /// Which scheduled faults took effect in some explored schedule (see [`EnvPlan::arm_log`]).
    pub log: FaultLog,
}

/// Fault-log bits: scheduled event `i` is bit `i` (fewer than 32), syscall fault `k` of the
/// scenario is bit `BIT_SYSCALL + k` (it fires when a call consumes it), and actor `a`'s
/// `crash_at` / `pause_at` point is bit `BIT_POINT + a`.
const BIT_SYSCALL: usize = 32;
const BIT_POINT: usize = 48;

impl EnvPlan {
    /// The plan of a scenario whose actors are `actors` (name, environment): its scheduled
    /// events, its syscall faults on the paths `path_by_name` resolves, and the log that names
    /// them (`points`: the protocol's named points).
    pub fn new<'a>(
        actors: impl Iterator<Item = (&'a str, &'a ActorEnv)>,
        spec: &EnvSpec,
        points: &[(&str, &str)],
        path_by_name: &dyn Fn(&str) -> PathId,
    ) -> EnvPlan {
        let (names, envs): (Vec<String>, Vec<ActorEnv>) =
            actors.map(|(n, e)| (n.to_string(), e.clone())).unzip();
        let mut plan = EnvPlan {
            events: schedule(&envs, spec),
            faults: resolve_faults(spec, path_by_name),
            actors: envs,
            pause_ms: spec.pause_ms,
            log: Default::default(),
        };
        plan.arm_log(spec, &names, points);
        plan
    }

    /// Crashes or pauses actor `a` (its environment state `st`) if the scenario says so at the
    /// named point `point` (`points`: the protocol's), once per run.
    pub fn at_point<const N: usize, W: Narrator>(
        &self,
        cx: &mut EnvCtx<'_, N>,
        st: &mut ActorEnvState,
        a: usize,
        point: u8,
        points: &[(&str, &str)],
        n: &mut W,
    ) {
        let sp = &self.actors[a];
        if st.point_done {
            return;
        }
        if sp.crash_at == Some(point) {
            st.point_done = true;
            n.say(format_args!("[{}]", points[usize::from(point)].0));
            if kill(cx, st, a as u8, n) {
                self.point_fired(a);
            }
        } else if sp.pause_at == Some(point) {
            st.point_done = true;
            n.say(format_args!("[{}]", points[usize::from(point)].0));
            if pause(cx, st, a as u8, sp.pause_ms, n) {
                self.point_fired(a);
            }
        }
    }

    /// Applies an environment move; `states` are the actors' environment states in the world.
    pub fn apply<const N: usize, W: Narrator>(
        &self,
        cx: &mut EnvCtx<'_, N>,
        states: &mut [impl AsMut<ActorEnvState>],
        e: EnvMove,
        n: &mut W,
    ) {
        match e {
            EnvMove::Event(i) => {
                cx.env.fired |= 1 << i;
                let took = match self.events[usize::from(i)].1 {
                    Event::Kill(a) => kill(cx, states[usize::from(a)].as_mut(), a, n),
                    Event::Pause(a) => {
                        let ms = self.actors[usize::from(a)].pause_ms;
                        pause(cx, states[usize::from(a)].as_mut(), a, ms, n)
                    }
                    ev => fire_simple(cx, ev, &self.actors, &self.faults, n),
                };
                if took {
                    self.log.fire(usize::from(i));
                }
            }
            EnvMove::Resume(a) => resume(cx, states[usize::from(a)].as_mut(), a, n),
            EnvMove::Kill(a) => {
                cx.env.kills += 1;
                kill(cx, states[usize::from(a)].as_mut(), a, n);
            }
            EnvMove::Pause(a) => {
                cx.env.pauses += 1;
                pause(cx, states[usize::from(a)].as_mut(), a, self.pause_ms, n);
            }
        }
    }

    /// Names the scenario's scheduled faults in the log: the timed kills, pauses and pid
    /// reuses, the syscall faults and the per-actor crash or pause points (`points` are the
    /// protocol's point names, `names` the actors').
    pub fn arm_log(&mut self, spec: &EnvSpec, names: &[String], points: &[(&str, &str)]) {
        let mut bits: Vec<Option<String>> = vec![None; BIT_POINT + self.actors.len()];
        for (i, (t, ev)) in self.events.iter().enumerate() {
            bits[i] = match *ev {
                Event::Kill(a) => Some(format!("crash_at_ms = {t} ({})", names[usize::from(a)])),
                Event::Pause(a) => Some(format!("pause_at_ms = {t} ({})", names[usize::from(a)])),
                Event::ReusePid(a) => Some(format!(
                    "pid_reused_at_ms = {t} ({})",
                    names[usize::from(a)]
                )),
                Event::Inject(_) => None,
            };
        }
        for (k, sc) in spec
            .syscalls
            .iter()
            .enumerate()
            .take(BIT_POINT - BIT_SYSCALL)
        {
            let times = if sc.times == 1 {
                String::new()
            } else {
                format!(" {} times", sc.times)
            };
            bits[BIT_SYSCALL + k] = Some(format!(
                "syscall fault: {} {} fails with {}{times} (armed at {} ms)",
                sc.op.name(),
                sc.path,
                sc.errno,
                sc.at_ms
            ));
        }
        for (a, actor) in self.actors.iter().enumerate() {
            let (key, point) = match (actor.crash_at, actor.pause_at) {
                (Some(p), _) => ("crash_at", p),
                (None, Some(p)) => ("pause_at", p),
                (None, None) => continue,
            };
            bits[BIT_POINT + a] = Some(format!(
                "{key} = \"{}\" ({})",
                points[usize::from(point)].0,
                names[a]
            ));
        }
        self.log = FaultLog::new(bits);
    }

    /// Actor `a`'s crash or pause point took effect.
    pub fn point_fired(&self, a: usize) {
        self.log.fire(BIT_POINT + a);
    }

    /// The syscall faults pending before a step (nothing is copied when none is: the usual
    /// case, on the explorers' hot path), for [`EnvPlan::note_consumed`] after it.
    pub fn pending<const N: usize>(
        fs: &Fs<N>,
    ) -> ArrayVec<Fault, { lockstep_sim::world::MAX_FAULTS }> {
        fs.pending_faults().iter().copied().collect()
    }

    /// Marks the syscall faults a step consumed: those with fewer failing calls left after it
    /// than before. Two faults of the same call are told apart by count only, so if one of them
    /// fires both are marked.
    pub fn note_consumed(&self, before: &[Fault], after: &[Fault]) {
        if before == after {
            return;
        }
        let left = |list: &[Fault], f: &Fault| -> u32 {
            list.iter()
                .filter(|g| g.same_call(f))
                .map(|g| u32::from(g.times))
                .sum()
        };
        for f in before {
            if left(after, f) < left(before, f) {
                for (k, (g, _)) in self.faults.iter().enumerate() {
                    if g.same_call(f) && BIT_SYSCALL + k < BIT_POINT {
                        self.log.fire(BIT_SYSCALL + k);
                    }
                }
            }
        }
    }

    /// The actor an environment move acts on (`ENV_ACTOR` for an injected syscall fault).
    pub fn actor_of(&self, e: EnvMove) -> u8 {
        match e {
            EnvMove::Resume(a) | EnvMove::Kill(a) | EnvMove::Pause(a) => a,
            EnvMove::Event(i) => match self.events[usize::from(i)].1 {
                Event::Kill(a) | Event::Pause(a) | Event::ReusePid(a) => a,
                Event::Inject(_) => ENV_ACTOR,
            },
        }
    }

    /// A timeline's label for an environment move.
    pub fn label(&self, e: EnvMove) -> &'static str {
        match e {
            EnvMove::Event(i) => match self.events[usize::from(i)].1 {
                Event::Kill(_) => "crash",
                Event::Pause(_) => "pause",
                Event::ReusePid(_) => "pid reuse",
                Event::Inject(_) => "fault",
            },
            EnvMove::Resume(_) => "resume",
            EnvMove::Kill(_) => "crash",
            EnvMove::Pause(_) => "pause",
        }
    }
}

/// A file-lock protocol's reachability targets: its named points (reached when some actor
/// gets there) and "throws" (see `crate::reach`).
pub fn reach_targets(points: &'static [(&'static str, &'static str)]) -> Vec<Property> {
    let mut v: Vec<Property> = points
        .iter()
        .map(|(id, summary)| crate::reach::property(id, summary))
        .collect();
    v.push(crate::reach::property(
        "throws",
        "some actor throws: a timeout or an unexpected errno reaches its caller",
    ));
    v
}

/// The model's index of reachability target `id`: a point's index, or `reach::THROWS`.
pub fn reach_index(points: &[(&str, &str)], id: &str) -> u8 {
    points
        .iter()
        .position(|(p, _)| *p == id)
        .map_or(crate::reach::THROWS, |i| i as u8)
}

/// Two actors cannot be one process: no earlier actor may share this one's host and pid
/// (`span`: the actor's `pid`, or its name when the pid is the default).
pub fn distinct_process<'a>(
    src: &Source,
    span: std::ops::Range<usize>,
    name: &str,
    env: &ActorEnv,
    mut earlier: impl Iterator<Item = (&'a str, &'a ActorEnv)>,
) -> Result<(), ScenarioError> {
    match earlier.find(|(_, x)| x.host == env.host && x.pid == env.pid) {
        Some((other, _)) => Err(src.error(
            Some(span),
            format!("`{name}` and `{other}` have the same pid on the same host"),
        )),
        None => Ok(()),
    }
}

/// `[faults]`, whose syscall faults may only name the paths (`known`) the protocol and its
/// actors (`names`) use.
pub fn environment(
    src: &Source,
    file: Option<&FaultsFile>,
    hosts: Vec<HostSpec>,
    names: &[String],
    known: &[String],
) -> Result<EnvSpec, ScenarioError> {
    let path_ok = |p: &str| -> Result<(), String> {
        if known.iter().any(|k| k == p) {
            Ok(())
        } else {
            Err(known.join(", "))
        }
    };
    faults(src, file, hosts, names, &path_ok)
}
