//! The fleet restart lock (protocols.md §3) as an explicit state machine over `sim::world`,
//! one model for V1, V2, V3, the rejected designs F3-x1 and F3-x2, and a canary.
//!
//! **Granularity.** Every filesystem call is its own step, because in Node each is its own
//! syscall and its own `await`: `mkdir -p`, `open(…,'wx')`, a write or a close through a handle,
//! `readFile`, `stat`, `rename`, `unlink`. `writeFile(path)` (V2's temp, V3's overwrite of `L`)
//! is the `sim::world::WriteFile` step machine: open-and-truncate, write, close, so a reader in
//! between sees an empty file. What runs between two awaits (parsing the content, comparing
//! clocks, choosing what to do) belongs to the step whose result it uses. `Date.now()` is the
//! acting process's host clock; mtimes are stamped by the host that makes the call.
//!
//! **Sleeps.** `sleepFn(POLL)` and the mutex's `setTimeout(20)` are timers. The mutex loop's
//! `continue` after a reap is immediate (same instant, another step). The one pass that
//! neither sleeps nor changes anything (M stale, RL held by a live reclaimer) would spin at one
//! instant forever (residual 4), stopping the virtual clock; it is charged `spin_ms` (default
//! 1 ms, about what its four syscalls cost) and counted for `bounded-spin`.
//!
//! **Ghost state** (what the protocol does not record, kept only to judge invariants): who
//! created each of `L`, `M` and `RL` as they stand; per process whether it believes it holds
//! the mutex, whether it is restarting, when the content it wrote was stamped (a lock created
//! empty by `open('wx')` counts from its creation until its content is written), and whether a
//! legitimate takeover (holder older than STALE, or a taker that waited MAX_WAIT) superseded
//! it; how many times in a row it retried the mutex without sleeping; and a flag for a release
//! that removed somebody else's file.

use std::task::Poll;

use lockstep_sim::world::{
    shown, Content, Ctx, Errno, Fd, Op, OpenMode, PathId, Paths, ProcId, ProcState, WriteFile,
};
use lockstep_sim::{Model, Narrator, PropIdx, Property, Time, NEVER};

use super::invariants::Inv;
use super::spec::{self, Spec};
use super::version::{MutexKind, Version};
use crate::models::env::{self, ActorEnvState, EnvCtx, EnvPlan, EnvState, ENV_ACTOR};
use crate::models::process::{self, ProcessWorld, S_ARRIVE};
use crate::models::symmetry::Classes;

mod steps;
mod symmetry;

/// One step of one actor, as its handler sees it: the acting process, its host's clock and the
/// filesystem context built from them; what the handler reports back: whether the step did
/// anything a timeline must show (`notable`: otherwise a waiter's repeated poll folds into a
/// "routine polls" line), and whether it went straight on into the next step, which did its own
/// accounting (`continued`).
struct Turn<'a> {
    process: ProcId,
    host_now: Time,
    context: Ctx<'a>,
    notable: bool,
    continued: bool,
}

const S_RESTART: usize = 1;

/// A release removed a file (L or M) its own acquire did not create.
const F_FOREIGN_RELEASE: u8 = 1;
/// A break destroyed a lock its breaker would have found fresh (S-C2).
const F_FRESH_BROKEN: u8 = 2;

pub struct RestartLockModel {
    /// Set for a reachability search (see `crate::reach`): the model checks nothing but
    /// "target never reached", so a violation is a witness. A point index, or
    /// [`crate::reach::THROWS`] for "some actor throws".
    pub(crate) reach_target: Option<u8>,
    pub(super) spec: Spec,
    pub(super) version: Version,
    pub(super) checks: Vec<Inv>,
    pub(super) props: Vec<Property>,
    paths: Paths,
    dir: PathId,
    l: PathId,
    m: PathId,
    rl: PathId,
    tmp: Vec<PathId>,
    aside: Vec<PathId>,
    /// Scheduled events, syscall faults and process identities (shared with the other
    /// file-lock model, see `EnvPlan`).
    env: EnvPlan,
    /// The classes of interchangeable contenders when symmetry reduction is on (see
    /// `crate::models::symmetry`).
    pub(crate) symmetry: Option<Classes>,
    /// Each contender's pid as the scenario gives it (word 0 of a lock file).
    pids: Vec<u64>,
}

/// Where an actor's continuation is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
enum Point {
    #[default]
    NotArrived,
    // V1, V2: claim L directly.
    Open,
    Write(Fd),
    Close(Fd),
    ReadL,
    BreakUnlink,
    Temp(WriteFile),
    RenameTemp,
    UnlinkTemp,
    ReadBack,
    // V3, F3-x1, F3-x2: the registry mutex.
    MOpen,
    MWrite(Fd),
    MClose(Fd),
    MCloseFailed(Fd),
    MUnlinkFailed,
    MStat,
    MRead,
    MUnlinkStale,
    RlOpen,
    RlStat,
    RlUnlinkStale,
    RlStatM(Fd),
    RlUnlinkM(Fd),
    RlClose(Fd),
    RlUnlink,
    AsideRename,
    AsideStat(u8),
    AsideUnlink,
    AsideRestore(u8),
    // Under the mutex (or, for the canary, under nothing).
    ReadUnder,
    WriteUnder(WriteFile),
    MRelRead,
    MRelUnlink,
    // The restart and `release()`.
    Restarting,
    RelRead,
    RelUnlink,
    Done,
    Threw,
}

crate::models::process::process_actor! {
    pub struct Actor<RestartLockModel, Point, Point::NotArrived,> {
        arrived: Time,
        /// `Date.now() + MAX_WAIT` at arrival, on its own host clock.
        deadline: Time,
        /// The mutex is being taken for `release()` (not for an acquire pass).
        rel: bool,
        /// V3 family: this pass owns the lock (decided under the mutex).
        owned: bool,
        /// A write under the mutex failed: rethrow once the mutex is released.
        failing: bool,
        /// Has slept in its wait loop at least once (its later rounds are routine in timelines).
        waited: bool,
        // ghost
        in_cs: bool,
        superseded: bool,
        in_mutex: bool,
        /// Virtual time its lock content was stamped.
        stamp_at: Time,
        /// Retries of the mutex in a row without sleeping.
        spins: u32,
    }
}

crate::models::process::process_world! {
    pub struct World<Actor, 16> {
        /// Ghost: actor + 1 whose acquire created the current L / M / RL (0: none).
        owner_l: u8,
        owner_m: u8,
        owner_rl: u8,
    }
}

pub use crate::models::process::Move;

impl RestartLockModel {
    pub fn new(spec: Spec, version: Version, checks: Vec<Inv>, props: Vec<Property>) -> Self {
        let mut paths = Paths::new();
        let l = paths.intern("home/fleet/restart.lock");
        let dir = paths.parent(l).expect("L has a directory");
        let m = paths.intern("home/fleet/restart.lock.mutex");
        let rl = paths.intern("home/fleet/restart.lock.mutex.reclaim");
        // The names a scenario's `[faults]` give the paths (validated at load).
        let mut named = vec![
            ("dir".to_string(), dir),
            ("L".into(), l),
            ("M".into(), m),
            ("RL".into(), rl),
        ];
        let (mut tmp, mut aside) = (Vec::new(), Vec::new());
        for a in &spec.actors {
            tmp.push(paths.intern(&format!("home/fleet/restart.lock.{}", a.name)));
            aside.push(paths.intern(&format!("home/fleet/restart.lock.mutex.aside-{}", a.name)));
            named.push((format!("L.{}", a.name), tmp[tmp.len() - 1]));
            named.push((format!("M.aside-{}", a.name), aside[aside.len() - 1]));
        }
        let actors = spec.actors.iter().map(|a| (a.name.as_str(), &a.env));
        let env = EnvPlan::new(actors, &spec.env, spec::POINTS, &|n| {
            env::path_named(n, &named)
        });
        let pids = spec.actors.iter().map(|a| u64::from(a.env.pid)).collect();
        RestartLockModel {
            reach_target: None,
            spec,
            version,
            checks,
            props,
            paths,
            dir,
            l,
            m,
            rl,
            tmp,
            aside,
            env,
            symmetry: None,
            pids,
        }
    }

    /// The classes of interchangeable contenders: the same arrival and restart alternatives
    /// and an interchangeable environment (see `env::interchangeable`).
    pub fn classes(&self) -> Option<Classes> {
        let envs: Vec<_> = self.spec.actors.iter().map(|a| a.env.clone()).collect();
        let keys: Vec<_> = (self.spec.actors.iter().enumerate())
            .map(|(a, actor)| {
                let own = [
                    format!("L.{}", actor.name),
                    format!("M.aside-{}", actor.name),
                ];
                let env = env::interchangeable(&envs, &self.spec.env, a, &own)?;
                Some((actor.arrive.clone(), actor.restart.clone(), env))
            })
            .collect();
        Classes::of(&keys)
    }

    fn short(&self, p: PathId) -> String {
        if p == self.l {
            return "L".into();
        }
        if p == self.m {
            return "M".into();
        }
        if p == self.rl {
            return "RL".into();
        }
        if p == self.dir {
            return "dirname(L)".into();
        }
        for (i, a) in self.spec.actors.iter().enumerate() {
            if p == self.tmp[i] {
                return format!("L.{}", a.name);
            }
            if p == self.aside[i] {
                return format!("M.aside-{}", a.name);
            }
        }
        self.paths.display(p).to_string()
    }

    fn name(&self, a: usize) -> &str {
        &self.spec.actors[a].name
    }

    fn tok_name(&self, w: u64) -> String {
        match w {
            0 => "?".into(),
            w if (w as usize) <= self.spec.actors.len() => self.name(w as usize - 1).to_string(),
            w => format!("#{w}"),
        }
    }

    fn restart_ms(&self, s: &World, a: usize) -> u64 {
        self.spec.actors[a].restart[usize::from(s.actors[a].choices[S_RESTART])]
    }

    fn host_now(&self, s: &World, a: usize) -> Time {
        s.procs.now_of(ProcId(a as u8), s.now)
    }

    /// `formatRestartLockContent(token)`: `pid\nDate.now()\ntoken\n`.
    fn content(&self, s: &World, a: usize) -> Content {
        Content::new(&[
            u64::from(s.procs.pid(ProcId(a as u8)).0),
            self.host_now(s, a),
            a as u64 + 1,
        ])
    }

    /// `isRestartLockContentStale`: an unparsable stamp is stale; otherwise older than STALE.
    /// The seed cuts the comparator off; `>=` is assumed, as in the mtime check beside it.
    /// Ghost, for `one-breaker`: L exists and actor `a`, at this step, would judge it fresh
    /// (its content's stamp younger than STALE on `a`'s clock) without having waited MAX_WAIT.
    /// Read before the break's call; `broke_fresh` records it once the call succeeded.
    fn fresh_to(&self, s: &World, a: usize, host_now: Time) -> bool {
        self.checks.contains(&Inv::OneBreaker)
            && host_now < s.actors[a].deadline
            && s.fs
                .peek_content(&self.paths, self.l)
                .is_some_and(|c| !self.content_stale(c, host_now))
    }

    fn broke_fresh(&self, s: &mut World, a: usize) {
        if s.flags & F_FRESH_BROKEN == 0 {
            s.flags |= F_FRESH_BROKEN;
            s.flag_actor = a as u8;
        }
    }

    fn content_stale(&self, c: &Content, now: Time) -> bool {
        match c.get(1) {
            None => true,
            Some(ts) => now as i64 - ts as i64 >= self.spec.stale as i64,
        }
    }

    fn show_content(&self, c: &Content) -> String {
        let w = c.words();
        let mut parts = Vec::new();
        if let Some(p) = w.first() {
            parts.push(format!("pid {p}"));
        }
        if let Some(t) = w.get(1) {
            parts.push(format!("ts {}", shown(*t)));
        }
        if let Some(k) = w.get(2) {
            parts.push(format!("tok {}", self.tok_name(*k)));
        }
        format!("[{}]", parts.join(", "))
    }

    fn say_unlinked<N: Narrator>(&self, owner: u8, what: &str, n: &mut N) {
        if owner == 0 {
            n.say(format_args!("removed"));
        } else {
            n.say(format_args!(
                "removed {}'s {what}",
                self.name(usize::from(owner) - 1)
            ));
        }
    }

    /// What the next call of a `writeFile` does, for timelines.
    fn say_write<N: Narrator>(&self, wf: &WriteFile, n: &mut N) {
        if N::ON {
            match wf.next_op() {
                Some(Op::Open) => n.say(format_args!("open 'w' (creates or truncates)")),
                Some(Op::Write) => n.say(format_args!("writes its content")),
                Some(Op::Close) => n.say(format_args!("closes")),
                _ => {}
            }
        }
    }

    fn alive(&self, s: &World, a: usize) -> bool {
        s.procs.is_alive(ProcId(a as u8))
    }

    fn finished(pc: &Point) -> bool {
        matches!(pc, Point::Done | Point::Threw)
    }

    // ---- the protocol ------------------------------------------------------------------------

    fn sleep(&self, s: &mut World, a: usize, ms: u64, pc: Point) {
        let now = s.now;
        let act = &mut s.actors[a];
        act.pc = pc;
        act.wake = now + ms;
    }

    /// `await sleepFn(POLL)`, then the top of the loop: the wake-up and the loop's first call
    /// are one step.
    fn sleep_poll(&self, s: &mut World, a: usize) {
        self.loop_top(s, a);
        let now = s.now;
        s.actors[a].wake = now + self.spec.poll;
    }

    /// The top of `acquireRestartLock`'s loop.
    fn loop_top(&self, s: &mut World, a: usize) {
        let act = &mut s.actors[a];
        act.rel = false;
        act.owned = false;
        act.failing = false;
        act.pc = match self.version.mutex() {
            MutexKind::None if self.version.serialized() => Point::ReadUnder,
            MutexKind::None => Point::Open,
            _ => Point::MOpen,
        };
    }

    /// A mutex loop `continue` without a sleep.
    fn respin(&self, s: &mut World, a: usize) {
        let act = &mut s.actors[a];
        act.spins += 1;
        act.pc = Point::MOpen;
    }

    /// Crash or pause the actor if the scenario says so at this point.
    fn reach<N: Narrator>(&self, s: &mut World, a: usize, point: u8, n: &mut N) {
        if self.reach_target == Some(point) {
            s.reached = true;
        }
        let mut cx = EnvCtx {
            now: s.now,
            procs: &mut s.procs,
            fs: &mut s.fs,
            env: &mut s.env,
        };
        let st = &mut s.actors[a].env;
        self.env.at_point(&mut cx, st, a, point, spec::POINTS, n);
    }

    fn mutex_acquired<N: Narrator>(&self, s: &mut World, a: usize, n: &mut N) {
        let act = &mut s.actors[a];
        act.in_mutex = true;
        act.spins = 0;
        act.pc = if act.rel {
            Point::RelRead
        } else {
            Point::ReadUnder
        };
        n.say(format_args!("holds the registry mutex"));
        self.reach(s, a, spec::P_MUTEX_HELD, n);
    }

    /// `finally releaseMutex()` (V3 family), or straight on for the canary.
    fn release_mutex<N: Narrator>(&self, s: &mut World, a: usize, n: &mut N) {
        if self.version.mutex() == MutexKind::None {
            self.after_mutex(s, a, n);
        } else {
            s.actors[a].pc = Point::MRelRead;
        }
    }

    /// Once the mutex is released: return from `release()`, rethrow, take the lock, or sleep.
    fn after_mutex<N: Narrator>(&self, s: &mut World, a: usize, n: &mut N) {
        let act = &s.actors[a];
        if act.rel {
            s.actors[a].pc = Point::Done;
            n.say(format_args!("release() returns"));
        } else if act.failing {
            s.actors[a].pc = Point::Threw;
            n.say(format_args!("acquireRestartLock throws"));
        } else if act.owned {
            self.enter_cs(s, a, n);
        } else {
            s.actors[a].waited = true;
            s.actors[a].spins = 0;
            self.sleep_poll(s, a);
            n.say(format_args!("sleeps {}", self.spec.poll));
        }
    }

    /// `acquireRestartLock` returns: the restart begins. Ghost: a takeover supersedes the
    /// current holders only if it is legitimate by design.
    fn enter_cs<N: Narrator>(&self, s: &mut World, a: usize, n: &mut N) {
        let now = s.now;
        let waited = now - s.actors[a].arrived;
        for b in 0..s.actors.len() {
            if b == a || !self.alive(s, b) {
                continue;
            }
            let y = &s.actors[b];
            if y.in_cs && !y.superseded {
                let age = now - y.stamp_at;
                if age >= self.spec.stale || waited >= self.spec.max_wait {
                    s.actors[b].superseded = true;
                    if N::ON {
                        n.say(format_args!(
                            "takes over from {} by design ({})",
                            self.name(b),
                            if age >= self.spec.stale {
                                format!("its lock is {age} ms old ≥ stale {}", self.spec.stale)
                            } else {
                                format!("waited {waited} ms ≥ max wait {}", self.spec.max_wait)
                            }
                        ));
                    }
                }
            }
        }
        let ms = self.restart_ms(s, a);
        let act = &mut s.actors[a];
        act.in_cs = true;
        act.superseded = false;
        act.spins = 0;
        act.pc = Point::Restarting;
        act.wake = now + ms;
        n.say(format_args!("acquired: restarts for {ms} ms"));
        self.reach(s, a, spec::P_RESTARTING, n);
    }

    fn start_release<N: Narrator>(&self, s: &mut World, a: usize, n: &mut N) {
        let act = &mut s.actors[a];
        act.in_cs = false;
        act.rel = true;
        n.say(format_args!("restart done; release()"));
        act.pc = if !self.version.tokened_release() {
            Point::RelUnlink
        } else if self.version.mutex() == MutexKind::None {
            Point::RelRead
        } else {
            Point::MOpen
        };
    }

    fn throw<N: Narrator>(&self, s: &mut World, a: usize, e: Errno, n: &mut N) {
        s.actors[a].pc = Point::Threw;
        n.say(format_args!(
            "{e}: {} throws",
            if s.actors[a].rel {
                "release()"
            } else {
                "acquireRestartLock"
            }
        ));
    }

    fn unlinked<N: Narrator>(&self, s: &mut World, a: usize, p: PathId, release: bool, n: &mut N) {
        let owner = if p == self.l {
            &mut s.owner_l
        } else if p == self.m {
            &mut s.owner_m
        } else if p == self.rl {
            &mut s.owner_rl
        } else {
            return;
        };
        let was = *owner;
        *owner = 0;
        if release && was != a as u8 + 1 {
            if s.flags & F_FOREIGN_RELEASE == 0 {
                s.flags |= F_FOREIGN_RELEASE;
                s.flag_actor = a as u8;
            }
            if N::ON {
                let whose = if was == 0 {
                    "nobody's".to_string()
                } else {
                    format!("{}'s", self.name(usize::from(was) - 1))
                };
                n.say(format_args!("that was {whose} file, not its own"));
            }
        }
    }

    /// One step of actor `a`: exactly one filesystem call (or a timer firing).
    fn step<N: Narrator>(&self, s: &mut World, a: usize, n: &mut N) {
        let me = ProcId(a as u8);
        let host_now = self.host_now(s, a);
        let cx = Ctx::new(&self.paths, me, host_now);
        let pc = std::mem::replace(&mut s.actors[a].pc, Point::Threw);
        let routine = s.actors[a].waited;
        let mut t = Turn {
            process: me,
            host_now,
            context: cx,
            notable: false,
            continued: false,
        };
        match pc {
            Point::NotArrived => self.on_not_arrived(s, a, &mut t, n),
            Point::Open => self.on_open(s, a, &mut t, n),
            Point::Write(fd) => self.on_write(s, a, &mut t, n, fd),
            Point::Close(fd) => self.on_close(s, a, &mut t, n, fd),
            Point::ReadL => self.on_read_l(s, a, &mut t, n),
            Point::BreakUnlink => self.on_break_unlink(s, a, &mut t, n),
            Point::Temp(wf) => self.on_temp(s, a, &mut t, n, wf),
            Point::RenameTemp => self.on_rename_temp(s, a, &mut t, n),
            Point::UnlinkTemp => self.on_unlink_temp(s, a, &mut t, n),
            Point::ReadBack => self.on_read_back(s, a, &mut t, n),
            Point::MOpen => self.on_m_open(s, a, &mut t, n),
            Point::MWrite(fd) => self.on_m_write(s, a, &mut t, n, fd),
            Point::MClose(fd) => self.on_m_close(s, a, &mut t, n, fd),
            Point::MCloseFailed(fd) => self.on_m_close_failed(s, a, &mut t, n, fd),
            Point::MUnlinkFailed => self.on_m_unlink_failed(s, a, &mut t, n),
            Point::MStat => self.on_m_stat(s, a, &mut t, n),
            Point::MRead => self.on_m_read(s, a, &mut t, n),
            Point::MUnlinkStale => self.on_unlink_stale(s, a, &mut t, n, false),
            Point::RlOpen => self.on_rl_open(s, a, &mut t, n),
            Point::RlStat => self.on_rl_stat(s, a, &mut t, n),
            Point::RlUnlinkStale => self.on_unlink_stale(s, a, &mut t, n, true),
            Point::RlStatM(fd) => self.on_rl_stat_m(s, a, &mut t, n, fd),
            Point::RlUnlinkM(fd) => self.on_rl_unlink_m(s, a, &mut t, n, fd),
            Point::RlClose(fd) => self.on_rl_close(s, a, &mut t, n, fd),
            Point::RlUnlink => self.on_rl_unlink(s, a, &mut t, n),
            Point::AsideRename => self.on_aside_rename(s, a, &mut t, n),
            Point::AsideStat(o) => self.on_aside_stat(s, a, &mut t, n, o),
            Point::AsideUnlink => self.on_aside_unlink(s, a, &mut t, n),
            Point::AsideRestore(o) => self.on_aside_restore(s, a, &mut t, n, o),
            Point::ReadUnder => self.on_read_under(s, a, &mut t, n),
            Point::WriteUnder(wf) => self.on_write_under(s, a, &mut t, n, wf),
            Point::MRelRead => self.on_m_rel_read(s, a, &mut t, n),
            Point::MRelUnlink => self.on_m_rel_unlink(s, a, &mut t, n),
            Point::Restarting => self.on_restarting(s, a, &mut t, n),
            Point::RelRead => self.on_rel_read(s, a, &mut t, n),
            Point::RelUnlink => self.on_rel_unlink(s, a, &mut t, n),
            Point::Done | Point::Threw => unreachable!("a finished actor takes no step"),
        }
        if routine && !t.notable && !t.continued {
            n.routine();
        }
    }

    // ---- invariants --------------------------------------------------------------------------

    fn active(&self, s: &World) -> usize {
        (0..s.actors.len())
            .filter(|&a| {
                let x = &s.actors[a];
                x.in_cs && !x.superseded && self.alive(s, a)
            })
            .count()
    }

    fn running(&self, s: &World) -> usize {
        (0..s.actors.len())
            .filter(|&a| s.actors[a].in_cs && self.alive(s, a))
            .count()
    }

    fn mutex_holders(&self, s: &World) -> usize {
        (0..s.actors.len())
            .filter(|&a| s.actors[a].in_mutex && self.alive(s, a))
            .count()
    }

    /// An acquire still in progress that `bounded-wait` judges.
    fn waiting(&self, s: &World, a: usize) -> bool {
        let x = &s.actors[a];
        !matches!(x.pc, Point::NotArrived | Point::Done | Point::Threw)
            && !x.rel
            && !x.in_cs
            && self.alive(s, a)
            && !x.env.paused_ever
    }

    fn wait_over(&self, s: &World) -> Option<usize> {
        (0..s.actors.len())
            .find(|&a| self.waiting(s, a) && s.now > s.actors[a].arrived + self.spec.wait_bound)
    }

    /// `crashed-lock-taken-over`: when L's holder was killed and a judged waiter shares its
    /// host (so its clock reads the stamp as the holder wrote it), the instant by which L must
    /// be taken over: the later of the stamp's staleness and the waiter's arrival, plus one
    /// poll and one mutex retry per contender. `None` when nothing is due.
    fn takeover_due(&self, s: &World) -> Option<Time> {
        if s.owner_l == 0 || !s.fs.exists(&self.paths, self.l) {
            return None;
        }
        let holder = usize::from(s.owner_l) - 1;
        if self.alive(s, holder) {
            return None;
        }
        let stale_at = s.actors[holder].stamp_at + self.spec.stale;
        let slack = self.spec.poll + self.spec.mutex_retry * s.actors.len() as u64;
        self.earliest_due(s, holder, stale_at, slack)
    }

    /// `crashed-mutex-reaped`: when M's holder was killed and a judged waiter shares its host,
    /// the instant by which M must be gone: the later of M's mtime + STALE (as that host's
    /// clock reads the mtime) and the waiter's arrival, plus one mutex retry per contender.
    fn reap_due(&self, s: &World) -> Option<Time> {
        if s.owner_m == 0 {
            return None;
        }
        let holder = usize::from(s.owner_m) - 1;
        if self.alive(s, holder) {
            return None;
        }
        let stat = s.fs.peek(&self.paths, self.m)?;
        let age = self.host_now(s, holder).saturating_sub(stat.mtime);
        let stale_at = (s.now + self.spec.stale).saturating_sub(age);
        self.earliest_due(
            s,
            holder,
            stale_at,
            self.spec.mutex_retry * s.actors.len() as u64,
        )
    }

    /// The two crashed-file bounds' deadline: over the judged waiters on the dead `holder`'s
    /// host (a waiter is alive, so never the holder), the earliest of the later of `stale_at`
    /// and its arrival, plus `slack`; `None` when no such waiter is there.
    fn earliest_due(&self, s: &World, holder: usize, stale_at: Time, slack: Time) -> Option<Time> {
        let host = s.procs.host(ProcId(holder as u8));
        (0..s.actors.len())
            .filter(|&w| self.waiting(s, w) && s.procs.host(ProcId(w as u8)) == host)
            .map(|w| stale_at.max(s.actors[w].arrived) + slack)
            .min()
    }

    /// Why `crashed-lock-taken-over` or `crashed-mutex-reaped` broke: whose file outlived its
    /// bound, and the bound.
    fn explain_crashed(&self, s: &World, inv: Inv) -> String {
        if inv == Inv::CrashedLockTakenOver {
            let holder = usize::from(s.owner_l).saturating_sub(1);
            return format!(
                "{}'s lock (stamped at {}, its holder killed at {}) is still there at {}, past the takeover bound of {}",
                self.name(holder),
                s.actors[holder].stamp_at,
                s.actors[holder].env.died_at,
                s.now,
                self.takeover_due(s).unwrap_or(0)
            );
        }
        let holder = usize::from(s.owner_m).saturating_sub(1);
        format!(
            "{}'s registry mutex (its holder killed at {}) is still there at {}, past the reaping bound of {}",
            self.name(holder),
            s.actors[holder].env.died_at,
            s.now,
            self.reap_due(s).unwrap_or(0)
        )
    }

    fn leftovers(&self, s: &World) -> Vec<String> {
        let mut out = Vec::new();
        let dead = |o: u8| o != 0 && !self.alive(s, usize::from(o) - 1);
        for (p, o) in [
            (self.l, s.owner_l),
            (self.m, s.owner_m),
            (self.rl, s.owner_rl),
        ] {
            if s.fs.exists(&self.paths, p) && !dead(o) {
                out.push(self.short(p));
            }
        }
        for &p in self.tmp.iter().chain(self.aside.iter()) {
            if s.fs.exists(&self.paths, p) {
                out.push(self.short(p));
            }
        }
        out
    }

    fn check(&self, s: &World, inv: Inv, at_end: bool) -> bool {
        match inv {
            Inv::MaxActive => self.active(s) <= 1,
            Inv::MaxRunning => self.running(s) <= usize::from(self.spec.running_max),
            Inv::MutexExclusion => self.mutex_holders(s) <= 1,
            Inv::TokenGatedRelease => s.flags & F_FOREIGN_RELEASE == 0,
            Inv::OneBreaker => s.flags & F_FRESH_BROKEN == 0,
            Inv::NoLeftovers => !at_end || self.leftovers(s).is_empty(),
            Inv::BoundedWait => self.wait_over(s).is_none(),
            Inv::CrashedLockTakenOver => self.takeover_due(s).is_none_or(|due| s.now <= due),
            Inv::CrashedMutexReaped => self.reap_due(s).is_none_or(|due| s.now <= due),
            Inv::BoundedSpin => s
                .actors
                .iter()
                .enumerate()
                .all(|(a, x)| x.spins <= self.spec.spin_max || !self.alive(s, a)),
        }
    }

    fn who(&self, s: &World, f: impl Fn(usize, &Actor) -> bool) -> String {
        let v: Vec<&str> = s
            .actors
            .iter()
            .enumerate()
            .filter(|(a, x)| f(*a, x))
            .map(|(a, _)| self.name(a))
            .collect();
        v.join(" and ")
    }

    fn env_actor_state(&self, s: &World, a: usize) -> &'static str {
        match s.procs.state(ProcId(a as u8)) {
            ProcState::Dead => "dead",
            ProcState::Paused => "paused",
            ProcState::Running => "",
        }
    }
}

impl process::OpenValues for RestartLockModel {
    /// The number of values of actor `a`'s open choice `slot` (its restart duration: arrivals
    /// are not chosen, see [`Self::arrivals`]).
    fn alternatives(&self, a: usize, slot: usize) -> usize {
        debug_assert_ne!(slot, S_ARRIVE);
        self.spec.actors[a].restart.len()
    }

    /// Actor `a`'s candidate arrival instants, ascending: an open arrival is optional at each
    /// but the last (`lockstep_sim::arrival`).
    fn arrivals(&self, a: usize) -> &[Time] {
        &self.spec.actors[a].arrive
    }
}

impl Model for RestartLockModel {
    type State = World;
    type Move = Move;

    fn fingerprint(&self, s: &World) -> u64 {
        match &self.symmetry {
            Some(classes) => self.symmetric_fingerprint(s, classes),
            None => lockstep_sim::fingerprint::fingerprint(s),
        }
    }

    fn initial(&self) -> World {
        let envs: Vec<_> = self.spec.actors.iter().map(|a| a.env.clone()).collect();
        let procs = env::procs(&self.spec.env, &envs);
        let mut actors = lockstep_sim::inline::InlineVec::new();
        for a in 0..self.spec.actors.len() {
            let (choices, wake) = process::initial_choices(self, a);
            actors.push(Actor {
                choices,
                pc: Point::NotArrived,
                wake,
                env: ActorEnvState::default(),
                arrived: 0,
                deadline: 0,
                rel: false,
                owned: false,
                failing: false,
                waited: false,
                in_cs: false,
                superseded: false,
                in_mutex: false,
                stamp_at: 0,
                spins: 0,
            });
        }
        World {
            now: 0,
            fs: env::initial_fs(&self.spec.env, &self.env.faults),
            procs,
            env: EnvState::default(),
            actors,
            owner_l: 0,
            owner_m: 0,
            owner_rl: 0,
            flags: 0,
            flag_actor: 0,
            reached: false,
        }
    }

    fn now(&self, s: &World) -> Time {
        s.now
    }

    fn moves(&self, s: &World, out: &mut Vec<Move>) -> usize {
        process::moves(&self.env, &self.spec.env, &s.view(), self, out)
    }

    fn next_wake(&self, s: &World) -> Option<Time> {
        let mut t = process::next_wake(&self.env, &s.view(), self);
        if self.checks.contains(&Inv::BoundedWait) {
            let waiters = (0..s.actors.len()).filter(|&a| self.waiting(s, a));
            let arrived = waiters.map(|a| s.actors[a].arrived);
            t = process::wait_deadline(t, s.now, self.spec.wait_bound, arrived);
        }
        for (inv, due) in [
            (
                Inv::CrashedLockTakenOver,
                Self::takeover_due as fn(&Self, &World) -> _,
            ),
            (Inv::CrashedMutexReaped, Self::reap_due),
        ] {
            if let Some(due) = self.checks.contains(&inv).then(|| due(self, s)).flatten()
                && due + 1 > s.now
            {
                t = t.min(due + 1);
            }
        }
        (t != NEVER).then_some(t)
    }

    fn advance(&self, s: &mut World, to: Time) {
        s.now = to;
        process::advance(&mut s.actors, to, self);
    }

    fn apply<N: Narrator>(&self, s: &mut World, m: Move, n: &mut N) {
        process::apply(&self.env, s, m, |s, a, n| self.step(s, a, n), n);
    }

    fn actor_of(&self, m: Move) -> u8 {
        process::actor_of(&self.env, m)
    }

    fn properties(&self) -> &[Property] {
        &self.props
    }

    fn unfired_faults(&self) -> Vec<String> {
        self.env.log.unfired()
    }

    fn parameters(&self) -> Vec<(&'static str, String)> {
        let sp = &self.spec;
        vec![
            ("stale_ms", sp.stale.to_string()),
            ("max_wait_ms", sp.max_wait.to_string()),
            ("poll_ms", sp.poll.to_string()),
            ("mutex_retry_ms", sp.mutex_retry.to_string()),
            ("spin_ms", sp.spin.to_string()),
            ("spin_max", sp.spin_max.to_string()),
            ("wait_bound_ms", sp.wait_bound.to_string()),
            ("running_max", sp.running_max.to_string()),
        ]
    }

    fn violated(&self, s: &World, limit: PropIdx, at_end: bool) -> Option<PropIdx> {
        process::first_violated(
            self.reach_target,
            s.reached,
            || s.actors.iter().any(|x| matches!(x.pc, Point::Threw)),
            &self.checks,
            limit,
            |inv| self.check(s, inv, at_end),
        )
    }

    fn move_label(&self, s: &World, m: Move) -> String {
        match m {
            Move::Choose(a, slot, i) => {
                // The only open choice: the arrival slot is never one (see `process`).
                debug_assert_ne!(usize::from(slot), S_ARRIVE);
                let sp = &self.spec.actors[usize::from(a)];
                format!("choose restart_ms = {}", sp.restart[usize::from(i)])
            }
            Move::Env(e) => self.env.label(e).into(),
            Move::Step(a) => {
                let a = usize::from(a);
                let x = &s.actors[a];
                match &x.pc {
                    Point::NotArrived => "arrive: mkdir -p dirname(L)".into(),
                    Point::Open => "open(L,'wx')".into(),
                    Point::Write(_) => "handle.writeFile(L)".into(),
                    Point::Close(_) => "handle.close(L)".into(),
                    Point::ReadL => "readFile(L)".into(),
                    Point::BreakUnlink => "unlink(L)".into(),
                    Point::Temp(wf) => format!(
                        "writeFile(L.{}): {}",
                        self.name(a),
                        wf.next_op().map_or("?", |o| o.name())
                    ),
                    Point::RenameTemp => format!("rename(L.{}, L)", self.name(a)),
                    Point::UnlinkTemp => format!("unlink(L.{})", self.name(a)),
                    Point::ReadBack => "readFile(L): read back".into(),
                    Point::MOpen => "open(M,'wx')".into(),
                    Point::MWrite(_) => "handle.writeFile(M)".into(),
                    Point::MClose(_) | Point::MCloseFailed(_) => "handle.close(M)".into(),
                    Point::MUnlinkFailed | Point::MUnlinkStale | Point::MRelUnlink => {
                        "unlink(M)".into()
                    }
                    Point::RlUnlinkM(_) => "unlink(M)".into(),
                    Point::MStat | Point::RlStatM(_) => "stat(M)".into(),
                    Point::MRead | Point::MRelRead => "readFile(M)".into(),
                    Point::RlOpen => "open(RL,'wx')".into(),
                    Point::RlStat => "stat(RL)".into(),
                    Point::RlUnlinkStale | Point::RlUnlink => "unlink(RL)".into(),
                    Point::RlClose(_) => "handle.close(RL)".into(),
                    Point::AsideRename => format!("rename(M, M.aside-{})", self.name(a)),
                    Point::AsideStat(_) => format!("stat(M.aside-{})", self.name(a)),
                    Point::AsideUnlink => format!("unlink(M.aside-{})", self.name(a)),
                    Point::AsideRestore(_) => format!("rename(M.aside-{}, M)", self.name(a)),
                    Point::ReadUnder => "readFile(L)".into(),
                    Point::WriteUnder(wf) => {
                        format!("writeFile(L): {}", wf.next_op().map_or("?", |o| o.name()))
                    }
                    Point::Restarting => "restart ends; release".into(),
                    Point::RelRead => "release: readFile(L)".into(),
                    Point::RelUnlink => "release: unlink(L)".into(),
                    Point::Done | Point::Threw => "?".into(),
                }
            }
        }
    }

    fn actor_name(&self, a: u8) -> String {
        if a == ENV_ACTOR {
            "env".into()
        } else {
            self.name(usize::from(a)).to_string()
        }
    }

    /// The live processes inside the protected section (restarting, prewarming), superseded or not:
    /// two overlapping bars are two owners at once.
    fn in_section(&self, s: &World) -> u64 {
        s.actors
            .iter()
            .enumerate()
            .filter(|(a, x)| x.in_cs && *a < 64 && self.alive(s, *a))
            .fold(0, |m, (a, _)| m | 1 << a)
    }

    fn render_state(&self, s: &World) -> String {
        let mut out = String::new();
        let show = |p: PathId| -> String {
            match s.fs.peek_content(&self.paths, p) {
                Some(c) => self.show_content(c),
                None => "-".into(),
            }
        };
        out.push_str(&format!("L={}", show(self.l)));
        if self.version.mutex() != MutexKind::None {
            out.push_str(&format!(" M={}", show(self.m)));
        }
        if self.version.mutex() == MutexKind::ReclaimLock {
            out.push_str(&format!(" RL={}", show(self.rl)));
        }
        for &p in self.tmp.iter().chain(self.aside.iter()) {
            if s.fs.exists(&self.paths, p) {
                out.push_str(&format!(" {}={}", self.short(p), show(p)));
            }
        }
        out.push_str(" |");
        for (a, x) in s.actors.iter().enumerate() {
            if matches!(x.pc, Point::NotArrived) && self.alive(s, a) {
                continue;
            }
            let mut st = self.env_actor_state(s, a).to_string();
            if st.is_empty() {
                st = match &x.pc {
                    Point::Done => "done".into(),
                    Point::Threw => "threw".into(),
                    _ if x.in_cs && x.superseded => "restarting (superseded)".into(),
                    _ if x.in_cs => "restarting".into(),
                    _ if x.in_mutex => "holds M".into(),
                    _ if x.rel => "releasing".into(),
                    _ => "waiting".into(),
                };
            } else if x.in_cs {
                st = format!("{st} in restart");
            } else if x.in_mutex {
                st = format!("{st} holding M");
            }
            let pid = s.procs.pid(ProcId(a as u8)).0;
            out.push_str(&format!(" {}({pid}):{}", self.name(a), st));
        }
        out
    }

    fn explain(&self, s: &World, p: PropIdx) -> String {
        if self.reach_target.is_some() {
            return String::new();
        }
        let inv = self.checks[usize::from(p)];
        match inv {
            Inv::MaxActive => format!(
                "{} restart at once; no takeover between them was legitimate (holder older than stale {} ms, or the taker waiting {} ms)",
                self.who(s, |a, x| x.in_cs && !x.superseded && self.alive(s, a)),
                self.spec.stale,
                self.spec.max_wait
            ),
            Inv::MaxRunning => format!(
                "{} restart at once (more than {})",
                self.who(s, |a, x| x.in_cs && self.alive(s, a)),
                self.spec.running_max
            ),
            Inv::MutexExclusion => format!(
                "{} both believe they hold the registry mutex",
                self.who(s, |a, x| x.in_mutex && self.alive(s, a))
            ),
            Inv::TokenGatedRelease => format!(
                "{}'s release removed a file its own acquire did not create",
                self.name(usize::from(s.flag_actor))
            ),
            Inv::OneBreaker => format!(
                "{} broke a lock that was fresh to it, before its own max wait of {} ms: another breaker had taken the stale one over",
                self.name(usize::from(s.flag_actor)),
                self.spec.max_wait
            ),
            Inv::NoLeftovers => format!(
                "the run ended with {} left behind",
                self.leftovers(s).join(", ")
            ),
            Inv::BoundedWait => match self.wait_over(s) {
                Some(a) => format!(
                    "{} has waited {} ms (since {}), beyond its bound of {} ms",
                    self.name(a),
                    s.now - s.actors[a].arrived,
                    s.actors[a].arrived,
                    self.spec.wait_bound
                ),
                None => String::new(),
            },
            Inv::CrashedLockTakenOver | Inv::CrashedMutexReaped => self.explain_crashed(s, inv),
            Inv::BoundedSpin => format!(
                "{} retried the registry mutex more than {} times in a row without sleeping",
                self.who(s, |a, x| x.spins > self.spec.spin_max && self.alive(s, a)),
                self.spec.spin_max
            ),
        }
    }
}
