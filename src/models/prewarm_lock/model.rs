//! Eve's sandbox template prewarm lock (protocols.md §4) as an explicit state machine over
//! `sim::world`: one model for D-V0, D-V1, D-V2, lockstep's proposed V3 and a canary.
//!
//! **V3** (`v3-verified-reclaim`, not a historical version: the fix proposed in
//! `reports/findings.md` for V2's three-reclaimer bug) changes four steps of V2 and nothing
//! else: owner.json is opened with `'wx'` (EEXIST, like ENOENT, is a lost claim); the re-check
//! under the intent is `stat`, `readFile`, `stat`, and judges only when both stats give the
//! same inode and mtime; after the tombstone rename a `stat` of the tombstone must give that
//! inode and mtime, or the directory is renamed back; and a claimer that finds an intent after
//! its `mkdir` removes its claim with `rmdir`. Identity by (inode, mtime) can be fooled only by
//! a directory that reuses the inode number and is created in the very millisecond of the
//! judged one's last change; the model's inode numbers are reused like a real file system's.
//!
//! **Granularity.** Every filesystem call is its own step: `mkdir -p`, `mkdir`, `stat`,
//! `readFile`, `readdir`, `rename`, each syscall of a `writeFile` (the world's `WriteFile`:
//! open-and-truncate, write, close) and of an `rm -rf` (the world's `RmRf`: lstat, rmdir,
//! readdir, unlink, ... re-resolving the path every time, which is what makes it blind).
//! `process.kill(pid, 0)`, `os.hostname()`, JSON parsing and the clock comparisons are
//! synchronous and belong to the step whose result they use (the liveness probe runs in the
//! step that read `owner.json`). `Date.now()` is the acting process's host clock; mtimes are
//! stamped by the host that makes the call.
//!
//! **The intents' inspection order is open.** V2's `waitForRecoveryIntents` inspects the
//! listed intents with `Promise.all`, and their names are `intent-<uuid>`, so the order in
//! which the calls land is no process's to choose. Here each intent's inspection (its `stat`,
//! its `readFile`, and its removal when it is reaped) runs to its end before the next one
//! starts, and which listed intent comes next is open: the search takes every order (a
//! choice, `Point::IntentsPick`, with one alternative per intent left). The calls of two
//! inspections of one process never interleave with each other here; the other processes'
//! calls interleave with all of them. Because no process is favoured by its name, identical
//! processes are interchangeable, which is what the symmetry reduction rests on.
//!
//! **Simplifications, on purpose.** V2's
//! recovery heartbeat (`utimes` every 30 s) is not modeled: an intent is held across running
//! code only (no sleep inside a reclaim or a release except the busy-rename retries, at most
//! 1.27 s), and a paused process fires no timers, so a 30 s interval never fires before the
//! intent is released. Tombstones and released intents get one name per actor (the code adds a
//! random UUID): an actor removes its tombstone before it can make another.
//!
//! **Ghost state** (only for judging invariants): who created the lock directory as it stands
//! and when; per process whether it is waiting, prewarming, and whether a legitimate reclaim
//! superseded it; flags for a release that damaged another's lock, a reclaim that damaged a
//! live same-host holder's lock, a lost claim thrown, and a timeout thrown on an orphan.

use std::task::Poll;

use lockstep_sim::world::{
    shown, Content, Ctx, Errno, HostId, Op, PathId, Paths, Pid, ProcId, ProcState, RmRf, WriteFile,
};
use lockstep_sim::{Model, Narrator, PropIdx, Property, Time, NEVER};

use super::invariants::Inv;
use super::spec::{self, Role, Spec};
use super::version::{Version, BUSY_RETRY_MS};

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
use crate::models::env::{self, ActorEnvState, EnvCtx, EnvMove, EnvPlan, EnvState, ENV_ACTOR};
use crate::models::process::{self, ProcessWorld, S_ARRIVE};
use crate::models::symmetry::Classes;

const S_PREWARM: usize = 1;
/// The choice "which listed intent next" (see `Point::IntentsPick`): not a slot of the actor's open
/// values, a choice its program point makes.
const PICK_SLOT: u8 = 2;

const F_FOREIGN_RELEASE: u8 = 1;
const F_LIVE_RECLAIMED: u8 = 2;
const F_LOST_CLAIM: u8 = 4;
const F_ORPHAN_TIMEOUT: u8 = 8;
const F_EARLY_TIMEOUT: u8 = 16;
const F_STRAY_THROW: u8 = 32;

/// Reclaim outcomes (`actor.rc`).
const RC_NONE: u8 = 0;
const RC_DEAD: u8 = 1;
const RC_STALE: u8 = 2;
const RC_ERROR: u8 = 3;

pub struct PrewarmLockModel {
    /// Set for a reachability search (see `crate::reach`): the model checks nothing but
    /// "target never reached", so a violation is a witness. A point index, or
    /// [`crate::reach::THROWS`] for "some actor throws".
    pub(crate) reach_target: Option<u8>,
    pub(super) spec: Spec,
    pub(super) version: Version,
    pub(super) checks: Vec<Inv>,
    pub(super) props: Vec<Property>,
    stale: u64,
    paths: Paths,
    parent: PathId,
    lock: PathId,
    owner: PathId,
    recovery: PathId,
    /// Each process's tombstone, recovery intent and released intent, with their owner files.
    own: PerProcess,
    /// Each process's pid as the scenario gives it (what an owner record's pid word holds).
    pids: Vec<u64>,
    /// Scheduled events, syscall faults and process identities (shared with the other
    /// file-lock model, see `EnvPlan`).
    env: EnvPlan,
    /// The classes of interchangeable waiters when symmetry reduction is on (none yet: see
    /// [`PrewarmLockModel::classes`]).
    pub(crate) symmetry: Option<Classes>,
}

/// Where `waitForRecoveryIntents` was called from (what `true` and `false` lead to).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Site {
    /// The top of `acquireLock`'s loop: `true` → continue, `false` → `mkdir(lock)`.
    AcqTop,
    /// After undoing a claim that met an intent: either way, continue.
    PostClaim,
    /// The top of `waitForLockRelease`'s loop: `true` → continue, `false` → `stat(lock)`.
    WaitTop,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Purpose {
    Reclaim,
    Release,
}

/// What follows a `removeRecoveryIntent`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum AfterIntent {
    /// Reaping another's intent inside `waitForRecoveryIntents`: inspect the rest.
    Next(Site, u8),
    /// Releasing its own intent after a reclaim (the result is in `actor.rc`).
    AfterReclaim,
    AfterRelease,
    /// Its own intent's owner.json could not be written: rethrow.
    CreateFailed,
}

/// What follows a `removeLockDirectory` (tombstone rename + rm -rf) of its own lock.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum AfterLockDir {
    Release,
    Undo,
    WriteFailed,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
enum Point {
    #[default]
    NotArrived,
    MakeParent,
    Claim,
    OwnerWrite(WriteFile),
    ListAfterClaim,
    WaiterStat,
    LockStat,
    OwnerRead(Time),
    RemoveStale(RmRf),
    IntentsList(Site),
    /// Two or more listed intents still to inspect (a mask of their actors): which comes next
    /// is open (`Promise.all`), so the actor's next move picks one ([`Move::Choose`] with
    /// [`PICK_SLOT`]) before it calls anything.
    IntentsPick(Site, u8),
    IntentStat(Site, u8, u8),
    IntentRead(Site, u8, u8, Time),
    IntentsRelist(Site),
    IntentRelease(u8, AfterIntent, u8),
    ReleasedRemove(AfterIntent, RmRf),
    IntentParent(Purpose),
    IntentMkdir(Purpose),
    IntentWrite(Purpose, WriteFile),
    RecheckStat,
    RecheckRead(Time),
    /// V3: the re-check stats the lock, reads its owner, and stats it again: the owner read
    /// belongs to the directory judged only if the two stats agree.
    RecheckStatFirst,
    RecheckReadFirst,
    RecheckStatAfter(Liveness),
    ReclaimRename(u8, u8),
    /// V3: reads the tombstone's owner.json to see whether it moved the generation it judged
    /// (the reason, and the ghost owner of the lock it moved).
    ReclaimVerify(u8, u8),
    /// V3: puts a wrongly moved lock back under the lock name.
    ReclaimRestore(u8),
    /// V3: a claimer that finds a recovery intent after its mkdir removes its claim with
    /// `rmdir`, which refuses a directory that already holds someone's owner file.
    UndoRmdir,
    ReclaimRemove(u8, RmRf),
    ReleaseRead,
    LockDirRename(AfterLockDir, u8),
    /// V3's release, after its rename: reads the tombstone's owner.json and removes the
    /// directory only if it holds the releaser's own token (S-D3); the ghost owner of what it
    /// moved.
    ReleaseVerify(u8),
    /// V3's release puts a directory that is not its own lock back under the lock name.
    ReleaseRestore(u8),
    LockDirRemove(AfterLockDir, RmRf),
    RemoveToRelease(RmRf),
    Prewarming,
    Done,
    Threw,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Liveness {
    Alive,
    Dead,
    Foreign,
    Unknown,
}

impl Liveness {
    fn name(self) -> &'static str {
        match self {
            Liveness::Alive => "alive",
            Liveness::Dead => "dead",
            Liveness::Foreign => "foreign",
            Liveness::Unknown => "unknown",
        }
    }
}

crate::models::process::process_actor! {
    pub struct Actor<PrewarmLockModel, Point, Point::NotArrived,> {
        /// `startedAt`: `Date.now()` at arrival, on its own host clock.
        started: Time,
        /// Virtual arrival time.
        arrived: Time,
        /// The reason it judged before taking an intent (the canary acts on it), and the outcome.
        judged: u8,
        rc: u8,
        /// V3: the identity (inode, mtime) of the lock directory its re-check judged: the same
        /// before and after it read the owner, and the tombstone it renames must still have it (a
        /// directory's mtime moves when an entry is created in it; a newer directory has a newer
        /// one, and another inode unless the number is reused).
        judged_ino: u8,
        judged_mtime: Time,
        /// Has slept in its wait loop at least once (later rounds are routine in timelines).
        waited: bool,
        // ghost
        waiting: bool,
        in_cs: bool,
        superseded: bool,
        /// From its successful mkdir(lock) until its release begins (or it throws): the lock
        /// directory it created is in use, not being given up.
        holding: bool,
        /// When the lock directory it holds was created (virtual time): its own mkdir, or the
        /// creator's of a directory its exclusive owner write took.
        born: Time,
    }
}

crate::models::process::process_world! {
    pub struct World<Actor, 24> {
        /// Ghost: actor + 1 whose lock the directory standing at `lock` is (0: none): whose
        /// mkdir created it, or, with V3's exclusive owner write, whose `'wx'` open created its
        /// owner file there (S-D3 speaks of the token the lock holds: a claimer whose
        /// directory was moved away can take a fresh one this way, and its creator then loses
        /// its claim with EEXIST).
        lock_owner: u8,
    }
}

pub use crate::models::process::Move;

/// Each process's own paths, in actor order: its tombstone, its recovery intent and the
/// released name of an intent, with the owner files inside them.
struct PerProcess {
    tomb: Vec<PathId>,
    intent: Vec<PathId>,
    intent_owner: Vec<PathId>,
    released: Vec<PathId>,
    /// `owner.json` under each actor's tombstone and released intent (what `rm -rf` walks).
    tomb_owner: Vec<PathId>,
    released_owner: Vec<PathId>,
}

impl PerProcess {
    fn new(paths: &mut Paths, spec: &Spec) -> Self {
        let mut own = PerProcess {
            tomb: Vec::new(),
            intent: Vec::new(),
            intent_owner: Vec::new(),
            released: Vec::new(),
            tomb_owner: Vec::new(),
            released_owner: Vec::new(),
        };
        for a in &spec.actors {
            let t = paths.intern(&format!("cache/locks/tpl.lock.tombstone-{}", a.name));
            own.tomb_owner.push(paths.join(t, "owner.json"));
            own.tomb.push(t);
            let io = paths.intern(&format!(
                "cache/locks/tpl.lock.recovery/intent-{}/owner.json",
                a.name
            ));
            own.intent.push(paths.parent(io).expect("intent dir"));
            own.intent_owner.push(io);
            let r = paths.intern(&format!(
                "cache/locks/tpl.lock.recovery.released-{}",
                a.name
            ));
            own.released_owner.push(paths.join(r, "owner.json"));
            own.released.push(r);
        }
        own
    }
}

impl PrewarmLockModel {
    pub fn new(spec: Spec, version: Version, checks: Vec<Inv>, props: Vec<Property>) -> Self {
        let mut paths = Paths::new();
        let owner = paths.intern("cache/locks/tpl.lock/owner.json");
        let lock = paths.parent(owner).expect("lock dir");
        let parent = paths.parent(lock).expect("parent dir");
        let recovery = paths.intern("cache/locks/tpl.lock.recovery");
        let own = PerProcess::new(&mut paths, &spec);
        let stale = spec.stale.unwrap_or(version.stale_ms());
        let mut named: Vec<(String, PathId)> = [
            ("parent", parent),
            ("lock", lock),
            ("owner.json", owner),
            ("recovery", recovery),
        ]
        .iter()
        .map(|(n, p)| (n.to_string(), *p))
        .collect();
        for (a, actor) in spec.actors.iter().enumerate() {
            named.push((format!("tombstone-{}", actor.name), own.tomb[a]));
            named.push((format!("intent-{}", actor.name), own.intent[a]));
            named.push((format!("released-{}", actor.name), own.released[a]));
        }
        let actors = spec.actors.iter().map(|a| (a.name.as_str(), &a.env));
        let env = EnvPlan::new(actors, &spec.env, spec::POINTS, &|n| {
            env::path_named(n, &named)
        });
        let pids = spec.actors.iter().map(|a| u64::from(a.env.pid)).collect();
        PrewarmLockModel {
            reach_target: None,
            spec,
            version,
            checks,
            props,
            stale,
            paths,
            parent,
            lock,
            owner,
            recovery,
            own,
            pids,
            env,
            symmetry: None,
        }
    }

    /// The classes of interchangeable processes: the same role, arrival, prewarm and hostname
    /// alternatives and an interchangeable environment (see `env::interchangeable`). They are
    /// interchangeable because nothing in the protocol orders them by name: the recovery
    /// intents are inspected in any order (`Point::IntentsPick`).
    pub fn classes(&self) -> Option<Classes> {
        let envs: Vec<_> = self.spec.actors.iter().map(|a| a.env.clone()).collect();
        let keys: Vec<_> = (self.spec.actors.iter().enumerate())
            .map(|(a, actor)| {
                let own =
                    ["tombstone-", "intent-", "released-"].map(|p| format!("{p}{}", actor.name));
                let env = env::interchangeable(&envs, &self.spec.env, a, &own)?;
                let role = actor.role == Role::Wait;
                let alternatives = (actor.arrive.clone(), actor.prewarm.clone());
                Some((role, alternatives, actor.records_hostname, env))
            })
            .collect();
        Classes::of(&keys)
    }

    fn name(&self, a: usize) -> &str {
        &self.spec.actors[a].name
    }

    fn who_name(&self, o: u8) -> String {
        if o == 0 {
            "nobody".into()
        } else {
            self.name(usize::from(o) - 1).to_string()
        }
    }

    fn prewarm_ms(&self, s: &World, a: usize) -> u64 {
        self.spec.actors[a].prewarm[usize::from(s.actors[a].choices[S_PREWARM])]
    }

    fn proc(a: usize) -> ProcId {
        ProcId(a as u8)
    }

    fn host_now(&self, s: &World, a: usize) -> Time {
        s.procs.now_of(Self::proc(a), s.now)
    }

    fn alive(&self, s: &World, a: usize) -> bool {
        s.procs.is_alive(Self::proc(a))
    }

    fn hostname_word(&self, s: &World, a: usize) -> u64 {
        u64::from(s.procs.hostname_of(Self::proc(a)).0) + 1
    }

    /// The owner.json (or intent owner.json) this version writes:
    /// `{createdAt, pid[, hostname][, token]}` as words; a missing hostname is 0.
    fn owner_content(&self, s: &World, a: usize, intent: bool) -> Content {
        let host = if self.spec.actors[a].records_hostname || intent {
            self.hostname_word(s, a)
        } else {
            0
        };
        let words = [
            self.host_now(s, a),
            u64::from(s.procs.pid(Self::proc(a)).0),
            host,
            a as u64 + 1,
        ];
        let n = if intent {
            4
        } else {
            self.version.owner_words()
        };
        Content::new(&words[..n])
    }

    fn show_owner(&self, c: &Content) -> String {
        let w = c.words();
        if w.is_empty() {
            return "[]".into();
        }
        let mut parts = Vec::new();
        if let Some(p) = w.get(1) {
            parts.push(format!("pid {p}"));
        }
        match w.get(2) {
            Some(0) => parts.push("no hostname".into()),
            Some(h) => {
                let h = (*h - 1) as usize;
                let text = self
                    .spec
                    .env
                    .hosts
                    .iter()
                    .find(|x| usize::from(x.hostname) == h)
                    .map_or("?", |x| x.hostname_text.as_str());
                parts.push(format!("host {text}"));
            }
            None => {}
        }
        if let Some(t) = w.get(3) {
            parts.push(format!("tok {}", self.who_name(*t as u8)));
        }
        format!("[{}]", parts.join(", "))
    }

    /// The version's liveness verdict on an owner record, as process `a` computes it
    /// (`getPrewarmLockHolderLiveness` in V1, `resolvePrewarmLockOwnerLiveness` in V2).
    fn liveness(&self, s: &World, a: usize, c: Option<&Content>) -> Liveness {
        let Some(c) = c else {
            return Liveness::Unknown;
        };
        let (Some(pid), Some(host)) = (c.get(1), c.get(2)) else {
            return Liveness::Unknown;
        };
        if host == 0 {
            return Liveness::Unknown;
        }
        if host != self.hostname_word(s, a) {
            return if self.version.intents() {
                Liveness::Foreign
            } else {
                Liveness::Unknown
            };
        }
        if pid == 0 {
            return Liveness::Unknown;
        }
        match s.procs.kill0(Self::proc(a), Pid(pid as u32)) {
            Ok(()) => Liveness::Alive,
            Err(Errno::ESRCH) => Liveness::Dead,
            Err(Errno::EPERM) => Liveness::Alive,
            Err(_) if self.version.intents() => Liveness::Unknown,
            Err(_) => Liveness::Alive,
        }
    }

    /// The reclaim reason (`RC_*`) for a lock of this liveness and age, in a version that
    /// probes the owner (V1 on; V0 judges the mtime alone, in `on_stat`).
    fn reason(&self, l: Liveness, age: i64) -> u8 {
        debug_assert!(self.version.probes(), "V0 has no liveness to weigh");
        let stale = age > self.stale as i64;
        match l {
            Liveness::Dead => RC_DEAD,
            Liveness::Alive => RC_NONE,
            Liveness::Unknown if stale => RC_STALE,
            Liveness::Foreign if stale && self.version.intents() => RC_STALE,
            _ => RC_NONE,
        }
    }

    // ---- protocol helpers ---------------------------------------------------------------------

    fn sleep(&self, s: &mut World, a: usize, ms: u64, pc: Point) {
        let now = s.now;
        s.actors[a].pc = pc;
        s.actors[a].wake = now + ms;
        s.actors[a].waited = true;
    }

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

    /// Where `waitForExistingLock` returns to.
    fn cont(&self, a: usize) -> Point {
        match self.spec.actors[a].role {
            Role::Prewarm => Point::MakeParent,
            Role::Wait if self.version.intents() => Point::IntentsList(Site::WaitTop),
            Role::Wait => Point::WaiterStat,
        }
    }

    fn throw<N: Narrator>(&self, s: &mut World, a: usize, why: &str, n: &mut N) {
        if self.checks.contains(&Inv::OnlyTimeoutsThrow) && s.flags & F_STRAY_THROW == 0 {
            s.flags |= F_STRAY_THROW;
            s.flag_actor = a as u8;
        }
        self.stop_with(s, a, why, n);
    }

    /// The actor's call ends with an error (a timeout's, or through [`Self::throw`] any other).
    fn stop_with<N: Narrator>(&self, s: &mut World, a: usize, why: &str, n: &mut N) {
        let x = &mut s.actors[a];
        x.pc = Point::Threw;
        x.waiting = false;
        x.in_cs = false;
        x.holding = false;
        n.say(format_args!("throws: {why}"));
    }

    /// `throwIfLockWaitTimedOut` / V0-V1's timeout check, then sleep: true if it threw.
    fn timed_out<N: Narrator>(&self, s: &mut World, a: usize, host_now: Time, n: &mut N) -> bool {
        let elapsed = host_now as i64 - s.actors[a].started as i64;
        if elapsed <= self.spec.timeout as i64 {
            return false;
        }
        // The waiter's error judged on its own terms (the seed's check is strict): it must come
        // after more than the timeout on its host's clock, whatever the check above compares.
        if host_now as i64 - s.actors[a].started as i64 <= self.spec.timeout as i64
            && s.flags & F_EARLY_TIMEOUT == 0
        {
            s.flags |= F_EARLY_TIMEOUT;
            s.flag_actor = a as u8;
        }
        // Ghost: is what it gives up on an orphan?
        let orphan_lock = s.fs.exists(&self.paths, self.lock)
            && s.lock_owner != 0
            && !self.alive(s, usize::from(s.lock_owner) - 1);
        // Some intent stands, and every one that stands is a dead process's.
        let mut standing =
            (0..s.actors.len()).filter(|&i| s.fs.exists(&self.paths, self.own.intent[i]));
        let orphan_intents =
            standing.clone().next().is_some() && standing.all(|i| !self.alive(s, i));
        if (orphan_lock || orphan_intents) && s.flags & F_ORPHAN_TIMEOUT == 0 {
            s.flags |= F_ORPHAN_TIMEOUT;
            s.flag_actor = a as u8;
        }
        // The message is built only for a timeline: the search's steps allocate nothing here.
        let why = if N::ON {
            format!(
                "timed out after {} ms (waited {elapsed} ms){}",
                self.spec.timeout,
                if orphan_lock || orphan_intents {
                    "; the lock it waits for belongs to a dead process"
                } else {
                    ""
                }
            )
        } else {
            String::new()
        };
        self.stop_with(s, a, &why, n);
        true
    }

    fn timeout_or_sleep<N: Narrator>(&self, s: &mut World, a: usize, host_now: Time, n: &mut N) {
        if !self.timed_out(s, a, host_now, n) {
            n.say(format_args!("sleeps {}", self.spec.poll));
            let next = self.cont(a);
            self.sleep(s, a, self.spec.poll, next);
        }
    }

    /// Ghost: reclaimer `a` took away holder `h`'s lock. The takeover is legitimate by design
    /// (the holder is superseded, and `max-active` no longer counts it) when `a` could not
    /// verify `h` (this version does not probe, `h` recorded no hostname, or another one than
    /// `a`'s) and the lock was older than the stale age. Judged by the reclaimer at the
    /// takeover, not by whoever enters next: that one may be on the holder's own host.
    fn take_over<N: Narrator>(&self, s: &mut World, a: usize, h: usize, n: &mut N) {
        let y = &s.actors[h];
        if h == a || !self.alive(s, h) || !y.in_cs || y.superseded {
            return;
        }
        let age = s.now - y.born;
        let verifiable = self.version.probes()
            && self.spec.actors[h].records_hostname
            && self.hostname_word(s, h) == self.hostname_word(s, a);
        if !verifiable && age > self.stale {
            s.actors[h].superseded = true;
            n.say(format_args!(
                "supersedes {} by design (unverifiable to this version, {age} ms old > {})",
                self.name(h),
                self.stale
            ));
        }
    }

    fn enter_cs<N: Narrator>(&self, s: &mut World, a: usize, n: &mut N) {
        let now = s.now;
        let ms = self.prewarm_ms(s, a);
        let x = &mut s.actors[a];
        x.in_cs = true;
        x.superseded = false;
        x.waiting = false;
        x.pc = Point::Prewarming;
        x.wake = now + ms;
        n.say(format_args!("acquired: prewarms for {ms} ms"));
        self.reach(s, a, spec::P_PREWARMING, n);
    }

    /// Ghost: a step of `a` removed or damaged the lock generation created by `was` (actor + 1).
    fn damaged<N: Narrator>(&self, s: &mut World, a: usize, was: u8, release: bool, n: &mut N) {
        if was == 0 {
            return;
        }
        let h = usize::from(was) - 1;
        if !release {
            self.take_over(s, a, h, n);
        }
        if release {
            if h != a {
                if s.flags & F_FOREIGN_RELEASE == 0 {
                    s.flags |= F_FOREIGN_RELEASE;
                    s.flag_actor = a as u8;
                }
                n.say(format_args!("that is {}'s lock, not its own", self.name(h)));
            }
        } else if h != a
            && self.alive(s, h)
            && s.actors[h].holding
            && s.procs.host(Self::proc(h)) == s.procs.host(Self::proc(a))
        {
            if s.flags & F_LIVE_RECLAIMED == 0 {
                s.flags |= F_LIVE_RECLAIMED;
                s.flag_actor = a as u8;
            }
            n.say(format_args!(
                "that is {}'s lock, and {} is alive on this host",
                self.name(h),
                self.name(h)
            ));
        }
    }

    /// Steps an `rm -rf` of `lock` (V0/V1's reclaim and release), watching what it removes.
    fn step_rm_lock<N: Narrator>(
        &self,
        s: &mut World,
        a: usize,
        cx: Ctx<'_>,
        rm: &mut RmRf,
        release: bool,
        n: &mut N,
    ) -> Poll<Result<(), Errno>> {
        let had_lock = s.fs.exists(&self.paths, self.lock);
        let had_owner = s.fs.exists(&self.paths, self.owner);
        let was = s.lock_owner;
        let r = self.rm_step(s, cx, rm, n);
        let gone_lock = had_lock && !s.fs.exists(&self.paths, self.lock);
        let gone_owner = had_owner && !s.fs.exists(&self.paths, self.owner);
        if gone_lock || gone_owner {
            self.damaged(s, a, was, release, n);
        }
        if gone_lock {
            s.lock_owner = 0;
        }
        r
    }

    fn short(&self, p: PathId) -> String {
        if p == self.lock {
            return "lock".into();
        }
        if p == self.owner {
            return "lock/owner.json".into();
        }
        if p == self.parent {
            return "parent".into();
        }
        if p == self.recovery {
            return "lock.recovery".into();
        }
        for (i, a) in self.spec.actors.iter().enumerate() {
            if p == self.own.tomb[i] {
                return format!("tombstone-{}", a.name);
            }
            if p == self.own.intent[i] {
                return format!("intent-{}", a.name);
            }
            if p == self.own.intent_owner[i] {
                return format!("intent-{}/owner.json", a.name);
            }
            if p == self.own.released[i] {
                return format!("released-{}", a.name);
            }
            if self.paths.parent(p) == Some(self.own.tomb[i]) {
                return format!("tombstone-{}/owner.json", a.name);
            }
            if self.paths.parent(p) == Some(self.own.released[i]) {
                return format!("released-{}/owner.json", a.name);
            }
        }
        self.paths.display(p).to_string()
    }

    /// Steps an `rm -rf` and says what its call did.
    fn rm_step<N: Narrator>(
        &self,
        s: &mut World,
        cx: Ctx<'_>,
        rm: &mut RmRf,
        n: &mut N,
    ) -> Poll<Result<(), Errno>> {
        let next = rm.next_op();
        let r = rm.step(&mut s.fs, cx);
        if N::ON
            && let Some((op, p)) = next
        {
            let exists = s.fs.exists(&self.paths, p);
            n.say(format_args!(
                "{}",
                match (op, exists) {
                    (Op::Stat, true) => "exists",
                    (Op::Stat, false) => "ENOENT: already gone",
                    (Op::Rmdir | Op::Unlink, false) => "removed",
                    (Op::Rmdir, true) => "ENOTEMPTY",
                    (Op::Readdir, _) => "lists its entries",
                    _ => "ok",
                }
            ));
        }
        r
    }

    /// `listRecoveryIntentPaths`: the intents in the recovery root (ENOENT: none); another
    /// error is thrown.
    fn list_intents(&self, s: &mut World, cx: Ctx<'_>) -> Result<u8, Errno> {
        match s.fs.readdir(cx, self.recovery) {
            Ok(l) => Ok(self.intents_listed(&l)),
            Err(Errno::ENOENT) => Ok(0),
            Err(e) => Err(e),
        }
    }

    fn intents_listed(&self, listing: &[PathId]) -> u8 {
        let mut m = 0u8;
        for (i, &p) in self.own.intent.iter().enumerate() {
            if listing.contains(&p) {
                m |= 1 << i;
            }
        }
        m
    }

    fn site_false(site: Site) -> Point {
        match site {
            Site::AcqTop => Point::Claim,
            Site::PostClaim => Point::MakeParent,
            Site::WaitTop => Point::WaiterStat,
        }
    }

    fn site_true(site: Site) -> Point {
        match site {
            Site::AcqTop | Site::PostClaim => Point::MakeParent,
            Site::WaitTop => Point::IntentsList(Site::WaitTop),
        }
    }

    fn next_intent(site: Site, mask: u8) -> Point {
        match mask.count_ones() {
            0 => Point::IntentsRelist(site),
            1 => Point::IntentStat(site, mask, mask.trailing_zeros() as u8),
            _ => Point::IntentsPick(site, mask),
        }
    }

    /// Whether actor `a`'s next step is private (`Model::private_step`): a call of an
    /// `rm -rf` of its own tombstone or released intent (names no other process uses: only `a`
    /// renames into them, nobody lists their parent) that reads and leaves the removal
    /// pending: the `lstat` of a path that exists, an `rmdir` that fails with ENOTEMPTY, a
    /// `readdir`. The `unlink` and the `rmdir` that succeed are not private: a freed inode
    /// number is the next one any process's `mkdir` or `open` gets.
    fn is_private(&self, s: &World, a: usize) -> bool {
        let (Point::ReclaimRemove(_, rm)
        | Point::LockDirRemove(_, rm)
        | Point::ReleasedRemove(_, rm)) = &s.actors[a].pc
        else {
            return false;
        };
        let Some((op, path)) = rm.next_op() else {
            return false;
        };
        let own = [
            self.own.tomb[a],
            self.own.tomb_owner[a],
            self.own.released[a],
            self.own.released_owner[a],
        ];
        own.contains(&path)
            && match op {
                Op::Stat => s.fs.exists(&self.paths, path),
                Op::Rmdir => s.fs.has_entries(&self.paths, path),
                Op::Readdir => true,
                _ => false,
            }
    }

    /// The actor whose inspection order is open now, with the intents left to inspect.
    fn picking(s: &World) -> Option<(usize, u8)> {
        s.actors.iter().enumerate().find_map(|(a, x)| match x.pc {
            Point::IntentsPick(_, mask) => Some((a, mask)),
            _ => None,
        })
    }

    /// The `k`th intent (in actor order) of `mask`.
    fn nth_intent(mask: u8, k: u8) -> u8 {
        let mut rest = mask;
        for _ in 0..k {
            rest &= rest - 1;
        }
        rest.trailing_zeros() as u8
    }

    /// After its own intent (or another's, when reaping) is gone.
    fn ri_done<N: Narrator>(
        &self,
        s: &mut World,
        a: usize,
        then: AfterIntent,
        host_now: Time,
        n: &mut N,
    ) {
        match then {
            AfterIntent::Next(site, mask) => s.actors[a].pc = Self::next_intent(site, mask),
            AfterIntent::AfterReclaim => match s.actors[a].rc {
                RC_DEAD | RC_STALE => {
                    n.say(format_args!(
                        "{}",
                        if s.actors[a].rc == RC_DEAD {
                            "removed a lock held by a dead process"
                        } else {
                            "removed a stale lock"
                        }
                    ));
                    s.actors[a].pc = self.cont(a);
                }
                RC_ERROR => self.throw(s, a, "the reclaim failed", n),
                _ => self.timeout_or_sleep(s, a, host_now, n),
            },
            AfterIntent::AfterRelease => {
                s.actors[a].pc = Point::Done;
                n.say(format_args!("released"));
            }
            AfterIntent::CreateFailed => {
                self.throw(s, a, "could not record its recovery intent", n)
            }
        }
    }

    fn rl_done<N: Narrator>(&self, s: &mut World, a: usize, then: AfterLockDir, n: &mut N) {
        match then {
            AfterLockDir::Release => {
                s.actors[a].pc = Point::IntentRelease(a as u8, AfterIntent::AfterRelease, 0)
            }
            AfterLockDir::Undo => s.actors[a].pc = Point::IntentsList(Site::PostClaim),
            AfterLockDir::WriteFailed => self.throw(s, a, "could not write owner.json", n),
        }
    }

    /// Writing owner.json after a claim: by path with `'w'` (V0-V2), or `'wx'` (V3), which
    /// cannot write into a directory whose owner file another process already created.
    fn owner_write(&self, s: &World, a: usize) -> WriteFile {
        let wf = WriteFile::new(self.owner, self.owner_content(s, a, false));
        if self.version.verified() {
            wf.exclusive()
        } else {
            wf
        }
    }

    fn transient(e: Errno) -> bool {
        matches!(e, Errno::EBUSY | Errno::EPERM | Errno::EACCES)
    }

    /// One step of actor `a`: exactly one filesystem call (or a timer firing into one).
    fn step<N: Narrator>(&self, s: &mut World, a: usize, n: &mut N) {
        let me = Self::proc(a);
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
            Point::MakeParent => self.on_make_parent(s, a, &mut t, n),
            Point::Claim => self.on_claim(s, a, &mut t, n),
            Point::OwnerWrite(wf) => self.on_owner_write(s, a, &mut t, n, wf),
            Point::ListAfterClaim => self.on_list_after_claim(s, a, &mut t, n),
            Point::WaiterStat => self.on_waiter_stat(s, a, &mut t, n),
            Point::LockStat => self.on_lock_stat(s, a, &mut t, n),
            Point::OwnerRead(mtime) => self.on_owner_read(s, a, &mut t, n, mtime),
            Point::RemoveStale(rm) => self.on_remove_stale(s, a, &mut t, n, rm),
            Point::IntentsList(site) => self.on_intents_list(s, a, &mut t, n, site),
            Point::IntentsPick(..) => {
                unreachable!("an open inspection order is a choice, not a step")
            }
            Point::IntentStat(site, mask, i) => {
                self.on_intent_stat(s, a, &mut t, n, (site, mask, i))
            }
            Point::IntentRead(site, rest, i, mtime) => {
                self.on_intent_read(s, a, &mut t, n, (site, rest, i, mtime))
            }
            Point::IntentsRelist(site) => self.on_intents_relist(s, a, &mut t, n, site),
            Point::IntentRelease(i, then, attempt) => {
                self.on_intent_release(s, a, &mut t, n, (i, then, attempt))
            }
            Point::ReleasedRemove(then, rm) => self.on_released_remove(s, a, &mut t, n, then, rm),
            Point::IntentParent(p) => self.on_intent_parent(s, a, &mut t, n, p),
            Point::IntentMkdir(p) => self.on_intent_mkdir(s, a, &mut t, n, p),
            Point::IntentWrite(p, wf) => self.on_intent_write(s, a, &mut t, n, p, wf),
            Point::RecheckStat => self.on_recheck_stat(s, a, &mut t, n),
            Point::RecheckRead(mtime) => self.on_recheck_read(s, a, &mut t, n, mtime),
            Point::RecheckStatFirst => self.on_recheck_stat_first(s, a, &mut t, n),
            Point::RecheckReadFirst => self.on_recheck_read_first(s, a, &mut t, n),
            Point::RecheckStatAfter(l) => self.on_recheck_stat_after(s, a, &mut t, n, l),
            Point::ReclaimVerify(r, was) => self.on_reclaim_verify(s, a, &mut t, n, r, was),
            Point::UndoRmdir => self.on_undo_rmdir(s, a, &mut t, n),
            Point::ReclaimRestore(was) => self.on_reclaim_restore(s, a, &mut t, n, was),
            Point::ReclaimRename(r, attempt) => self.on_reclaim_rename(s, a, &mut t, n, r, attempt),
            Point::ReclaimRemove(r, rm) => self.on_reclaim_remove(s, a, &mut t, n, r, rm),
            Point::ReleaseRead => self.on_release_read(s, a, &mut t, n),
            Point::LockDirRename(then, attempt) => {
                self.on_lock_dir_rename(s, a, &mut t, n, then, attempt)
            }
            Point::ReleaseVerify(was) => self.on_release_verify(s, a, &mut t, n, was),
            Point::ReleaseRestore(was) => self.on_release_restore(s, a, &mut t, n, was),
            Point::LockDirRemove(then, rm) => self.on_lock_dir_remove(s, a, &mut t, n, then, rm),
            Point::RemoveToRelease(rm) => self.on_remove_to_release(s, a, &mut t, n, rm),
            Point::Prewarming => self.on_prewarming(s, a, &mut t, n),
            Point::Done | Point::Threw => unreachable!("a finished actor takes no step"),
        }
        if routine && !t.notable && !t.continued {
            n.routine();
        }
    }

    /// V3's re-check, second call: the lock's age from a `stat` made after reading its owner,
    /// so a directory whose owner file is not written yet (a claim in progress) is judged by
    /// its own, young, mtime.
    fn recheck_age<N: Narrator>(
        &self,
        s: &mut World,
        a: usize,
        cx: Ctx<'_>,
        host_now: Time,
        l: Liveness,
        n: &mut N,
    ) {
        match s.fs.stat(cx, self.lock) {
            Ok(st) => {
                let age = st.age_at(host_now);
                let same =
                    st.ino.0 == s.actors[a].judged_ino && st.mtime == s.actors[a].judged_mtime;
                let r = if same { self.reason(l, age) } else { RC_NONE };
                if same {
                    n.say(format_args!("re-check under the intent: {age} ms old"));
                } else {
                    n.say(format_args!("the lock changed while it read the owner"));
                }
                self.act_on_recheck(s, a, r, n);
            }
            Err(e) => self.nothing_to_reclaim(s, a, e, n),
        }
    }

    /// The re-check found no lock to judge: the reclaim ends (`ENOENT`: someone else took it
    /// away; anything else: an error), and the intent is released.
    fn nothing_to_reclaim<N: Narrator>(&self, s: &mut World, a: usize, e: Errno, n: &mut N) {
        n.say(format_args!("{e}: nothing to reclaim"));
        s.actors[a].rc = if e == Errno::ENOENT {
            RC_NONE
        } else {
            RC_ERROR
        };
        s.actors[a].pc = Point::IntentRelease(a as u8, AfterIntent::AfterReclaim, 0);
    }

    /// The re-check's verdict `r`: move the lock to the tombstone, or end the reclaim.
    fn act_on_recheck<N: Narrator>(&self, s: &mut World, a: usize, r: u8, n: &mut N) {
        if r == RC_NONE {
            n.say(format_args!("not reclaimable any more"));
            s.actors[a].rc = RC_NONE;
            s.actors[a].pc = Point::IntentRelease(a as u8, AfterIntent::AfterReclaim, 0);
        } else {
            s.actors[a].pc = Point::ReclaimRename(r, 0);
        }
    }

    /// V3, after the rename: the tombstone must be the directory the re-check judged (the
    /// same mtime); otherwise it is another generation, and goes back.
    fn verify_tombstone<N: Narrator>(
        &self,
        s: &mut World,
        a: usize,
        cx: Ctx<'_>,
        r: u8,
        was: u8,
        n: &mut N,
    ) {
        let x = &s.actors[a];
        let same =
            s.fs.stat(cx, self.own.tomb[a])
                .is_ok_and(|st| st.ino.0 == x.judged_ino && st.mtime == x.judged_mtime);
        if same {
            n.say(format_args!("the tombstone is the directory it judged"));
            self.damaged(s, a, was, false, n);
            s.actors[a].pc = Point::ReclaimRemove(r, RmRf::new(self.own.tomb[a]));
            self.reach(s, a, spec::P_TOMBSTONED, n);
        } else {
            n.say(format_args!("the tombstone is another generation"));
            s.actors[a].pc = Point::ReclaimRestore(was);
        }
    }

    /// `createRecoveryIntent` failed: a reclaim rethrows (the waiter throws), a release swallows it.
    fn ci_failed<N: Narrator>(&self, s: &mut World, a: usize, p: Purpose, e: Errno, n: &mut N) {
        match p {
            Purpose::Reclaim => self.throw(s, a, e.code(), n),
            Purpose::Release => {
                s.actors[a].pc = Point::Done;
                n.say(format_args!("{e}: the release fails silently"));
            }
        }
    }

    // ---- invariants --------------------------------------------------------------------------

    fn active(&self, s: &World) -> usize {
        (0..s.actors.len())
            .filter(|&a| s.actors[a].in_cs && !s.actors[a].superseded && self.alive(s, a))
            .count()
    }

    fn judged_waiting(&self, s: &World, a: usize) -> bool {
        let x = &s.actors[a];
        x.waiting && self.alive(s, a) && !x.env.paused_ever
    }

    /// When the current lock, if its holder is dead, must be gone by (L-D1).
    fn reclaim_due(&self, s: &World) -> Option<Time> {
        if s.lock_owner == 0 || !s.fs.exists(&self.paths, self.lock) {
            return None;
        }
        let h = usize::from(s.lock_owner) - 1;
        if self.alive(s, h) {
            return None;
        }
        let died = s.actors[h].env.died_at;
        let host: HostId = s.procs.host(Self::proc(h));
        (0..s.actors.len())
            .filter(|&w| w != h && self.judged_waiting(s, w) && s.procs.host(Self::proc(w)) == host)
            .map(|w| died.max(s.actors[w].arrived) + self.spec.poll)
            .min()
    }

    fn wait_over(&self, s: &World) -> Option<usize> {
        (0..s.actors.len()).find(|&a| {
            self.judged_waiting(s, a) && s.now > s.actors[a].arrived + self.spec.wait_bound
        })
    }

    fn leftovers(&self, s: &World) -> Vec<String> {
        let mut out = Vec::new();
        if s.fs.exists(&self.paths, self.lock)
            && (s.lock_owner == 0 || self.alive(s, usize::from(s.lock_owner) - 1))
        {
            out.push("lock".to_string());
        }
        for i in 0..s.actors.len() {
            if s.fs.exists(&self.paths, self.own.intent[i]) && self.alive(s, i) {
                out.push(self.short(self.own.intent[i]));
            }
            for p in [self.own.tomb[i], self.own.released[i]] {
                if s.fs.exists(&self.paths, p) {
                    out.push(self.short(p));
                }
            }
        }
        out
    }

    fn check(&self, s: &World, inv: Inv, at_end: bool) -> bool {
        match inv {
            Inv::MaxActive => self.active(s) <= 1,
            Inv::TokenGatedRelease => s.flags & F_FOREIGN_RELEASE == 0,
            Inv::LiveOwnerRespected => s.flags & F_LIVE_RECLAIMED == 0,
            Inv::DeadOwnerReclaimed => self.reclaim_due(s).is_none_or(|t| s.now <= t),
            Inv::NoTimeoutOnOrphan => s.flags & F_ORPHAN_TIMEOUT == 0,
            Inv::TimeoutNotEarly => s.flags & F_EARLY_TIMEOUT == 0,
            Inv::OnlyTimeoutsThrow => s.flags & F_STRAY_THROW == 0,
            Inv::LostClaimRetried => s.flags & F_LOST_CLAIM == 0,
            Inv::BoundedWait => self.wait_over(s).is_none(),
            Inv::NoLeftovers => !at_end || self.leftovers(s).is_empty(),
        }
    }

    fn finished(pc: &Point) -> bool {
        matches!(pc, Point::Done | Point::Threw)
    }
}

impl process::OpenValues for PrewarmLockModel {
    /// The number of values of actor `a`'s open choice `slot` (its prewarm duration: arrivals
    /// are not chosen, see [`Self::arrivals`]).
    fn alternatives(&self, a: usize, slot: usize) -> usize {
        debug_assert_ne!(slot, S_ARRIVE);
        self.spec.actors[a].prewarm.len()
    }

    /// Actor `a`'s candidate arrival instants, ascending: an open arrival is optional at each
    /// but the last (`lockstep_sim::arrival`).
    fn arrivals(&self, a: usize) -> &[Time] {
        &self.spec.actors[a].arrive
    }
}

impl Model for PrewarmLockModel {
    type State = World;
    type Move = Move;

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
                started: 0,
                arrived: 0,
                judged: RC_NONE,
                rc: RC_NONE,
                judged_ino: 0,
                judged_mtime: 0,
                waited: false,
                waiting: false,
                in_cs: false,
                superseded: false,
                holding: false,
                born: 0,
            });
        }
        World {
            now: 0,
            fs: env::initial_fs(&self.spec.env, &self.env.faults),
            procs,
            env: EnvState::default(),
            actors,
            lock_owner: 0,
            flags: 0,
            flag_actor: 0,
            reached: false,
        }
    }

    fn now(&self, s: &World) -> Time {
        s.now
    }

    fn fingerprint(&self, s: &World) -> u64 {
        match &self.symmetry {
            Some(classes) => self.symmetric_fingerprint(s, classes),
            None => lockstep_sim::fingerprint::fingerprint(s),
        }
    }

    /// The first step of `moves` that is private (see [`PrewarmLockModel::is_private`]), when
    /// no scheduled event is due and no injected fault is pending (a fault on its own path
    /// would make the step fail, and what follows a failure is not private). A kill or a pause
    /// of its process may be enabled: the search then kills or pauses it after its private
    /// steps, which no other process and no property can tell from before them (the prewarm
    /// lock's properties read ghost state and files, never a program point).
    fn private_step(&self, s: &World, moves: &[Move]) -> Option<usize> {
        if !s.fs.pending_faults().is_empty() {
            return None;
        }
        let preempts = |m: &Move, a: u8| match m {
            Move::Env(EnvMove::Event(_)) => true,
            // A paused process takes no step; this only keeps the rule whole.
            Move::Env(EnvMove::Resume(b)) => *b == a,
            _ => false,
        };
        moves.iter().position(|m| match *m {
            Move::Step(a) => {
                self.is_private(s, usize::from(a)) && !moves.iter().any(|m| preempts(m, a))
            }
            _ => false,
        })
    }

    fn moves(&self, s: &World, out: &mut Vec<Move>) -> usize {
        // An open inspection order is resolved at once, like an open value: the choice reads
        // nothing and nobody can observe it, so taking it before any other move loses nothing.
        if let Some((a, mask)) = Self::picking(s) {
            for k in 0..mask.count_ones() {
                out.push(Move::Choose(a as u8, PICK_SLOT, k as u8));
            }
            return out.len();
        }
        process::moves(&self.env, &self.spec.env, &s.view(), self, out)
    }

    fn next_wake(&self, s: &World) -> Option<Time> {
        let mut t = process::next_wake(&self.env, &s.view(), self);
        if self.checks.contains(&Inv::BoundedWait) {
            let waiters = (0..s.actors.len()).filter(|&a| self.judged_waiting(s, a));
            let arrived = waiters.map(|a| s.actors[a].arrived);
            t = process::wait_deadline(t, s.now, self.spec.wait_bound, arrived);
        }
        if self.checks.contains(&Inv::DeadOwnerReclaimed)
            && let Some(due) = self.reclaim_due(s)
            && due + 1 > s.now
        {
            t = t.min(due + 1);
        }
        (t != NEVER).then_some(t)
    }

    fn advance(&self, s: &mut World, to: Time) {
        s.now = to;
        process::advance(&mut s.actors, to, self);
    }

    fn apply<N: Narrator>(&self, s: &mut World, m: Move, n: &mut N) {
        if let Move::Choose(a, PICK_SLOT, k) = m {
            let x = &mut s.actors[usize::from(a)];
            let Point::IntentsPick(site, mask) = x.pc else {
                unreachable!("a pick is offered only to an actor that is picking")
            };
            let i = Self::nth_intent(mask, k);
            x.pc = Point::IntentStat(site, mask, i);
            n.say(format_args!(
                "inspects intent-{} next (Promise.all: any order)",
                self.name(usize::from(i))
            ));
            return;
        }
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
        vec![
            ("poll_ms", self.spec.poll.to_string()),
            ("timeout_ms", self.spec.timeout.to_string()),
            ("stale_ms", self.stale.to_string()),
            ("wait_bound_ms", self.spec.wait_bound.to_string()),
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
            Move::Choose(a, PICK_SLOT, k) => match s.actors[usize::from(a)].pc {
                Point::IntentsPick(_, mask) => format!(
                    "pick intent-{}",
                    self.name(usize::from(Self::nth_intent(mask, k)))
                ),
                _ => "pick".into(),
            },
            Move::Choose(a, slot, i) => {
                // The only open value: the arrival slot is never one (see `process`).
                debug_assert_ne!(usize::from(slot), S_ARRIVE);
                let sp = &self.spec.actors[usize::from(a)];
                format!("choose prewarm_ms = {}", sp.prewarm[usize::from(i)])
            }
            Move::Env(e) => self.env.label(e).into(),
            Move::Step(a) => self.step_label(s, usize::from(a)),
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
        let dir = |d: PathId, owner: PathId| -> Option<String> {
            s.fs.peek(&self.paths, d)?;
            Some(match s.fs.peek_content(&self.paths, owner) {
                Some(c) => self.show_owner(c),
                None => "(no owner.json)".into(),
            })
        };
        out.push_str(&format!(
            "lock={}",
            dir(self.lock, self.owner).unwrap_or_else(|| "-".into())
        ));
        for i in 0..s.actors.len() {
            if let Some(d) = dir(self.own.intent[i], self.own.intent_owner[i]) {
                out.push_str(&format!(" intent-{}={d}", self.name(i)));
            }
            if s.fs.exists(&self.paths, self.own.tomb[i]) {
                out.push_str(&format!(" tombstone-{}", self.name(i)));
            }
            if s.fs.exists(&self.paths, self.own.released[i]) {
                out.push_str(&format!(" released-{}", self.name(i)));
            }
        }
        out.push_str(" |");
        for (a, x) in s.actors.iter().enumerate() {
            if matches!(x.pc, Point::NotArrived) && self.alive(s, a) {
                continue;
            }
            let pid = s.procs.pid(Self::proc(a)).0;
            let st = match s.procs.state(Self::proc(a)) {
                ProcState::Dead => {
                    let reused = s
                        .procs
                        .find(s.procs.host(Self::proc(a)), Pid(pid))
                        .is_some();
                    if reused {
                        "dead (pid reused)".to_string()
                    } else {
                        "dead".to_string()
                    }
                }
                ProcState::Paused => "paused".to_string(),
                ProcState::Running => match &x.pc {
                    Point::Done => "done".into(),
                    Point::Threw => "threw".into(),
                    _ if x.in_cs && x.superseded => "prewarming (superseded)".into(),
                    _ if x.in_cs => "prewarming".into(),
                    _ if x.waiting => "waiting".into(),
                    _ => "releasing".into(),
                },
            };
            out.push_str(&format!(" {}({pid}):{st}", self.name(a)));
        }
        out
    }

    fn explain(&self, s: &World, p: PropIdx) -> String {
        if self.reach_target.is_some() {
            return String::new();
        }
        let flagged = self.name(usize::from(s.flag_actor)).to_string();
        match self.checks[usize::from(p)] {
            Inv::MaxActive => {
                let v: Vec<&str> = (0..s.actors.len())
                    .filter(|&a| s.actors[a].in_cs && !s.actors[a].superseded && self.alive(s, a))
                    .map(|a| self.name(a))
                    .collect();
                format!(
                    "{} prewarm at once; no reclaim between them was legitimate by design",
                    v.join(" and ")
                )
            }
            Inv::TokenGatedRelease => {
                format!("{flagged}'s release removed a lock its own acquire did not create")
            }
            Inv::LiveOwnerRespected => format!(
                "{flagged} reclaimed a lock whose holder is alive on the same host"
            ),
            Inv::DeadOwnerReclaimed => {
                let h = usize::from(s.lock_owner).saturating_sub(1);
                format!(
                    "{}'s lock (its holder died at {}) is still there at {}, past the bound of {}",
                    self.name(h),
                    s.actors[h].env.died_at,
                    s.now,
                    self.reclaim_due(s).unwrap_or(0)
                )
            }
            Inv::NoTimeoutOnOrphan => format!(
                "{flagged} gave up with a timeout while the lock it waited for belonged to a dead process"
            ),
            Inv::LostClaimRetried => {
                format!("{flagged} threw when its lock directory vanished before its owner.json write")
            }
            Inv::TimeoutNotEarly => {
                format!("{flagged} gave up before more than the timeout had passed on its clock")
            }
            Inv::OnlyTimeoutsThrow => {
                format!("{flagged} threw an error that is not its timeout")
            }
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
            Inv::NoLeftovers => format!(
                "the run ended with {} left behind",
                self.leftovers(s).join(", ")
            ),
        }
    }
}

impl PrewarmLockModel {
    /// The label of actor `a`'s next step: the call its program point makes.
    fn step_label(&self, s: &World, a: usize) -> String {
        let me = self.name(a);
        let rm = |rm: &RmRf| {
            rm.next_op().map_or("?".to_string(), |(op, p)| {
                format!("{} {}", op.name(), self.short(p))
            })
        };
        match &s.actors[a].pc {
            Point::NotArrived => match self.spec.actors[a].role {
                Role::Prewarm => "arrive (prewarm): mkdir -p parent".into(),
                Role::Wait if self.version.intents() => {
                    "arrive (wait): readdir(lock.recovery)".into()
                }
                Role::Wait => "arrive (wait): stat(lock)".into(),
            },
            Point::MakeParent => "mkdir -p parent".into(),
            Point::Claim => "mkdir(lock)".into(),
            Point::OwnerWrite(wf) => format!(
                "writeFile(owner.json): {}",
                wf.next_op().map_or("?", |o| o.name())
            ),
            Point::ListAfterClaim => "readdir(lock.recovery)".into(),
            Point::WaiterStat
            | Point::LockStat
            | Point::RecheckStat
            | Point::RecheckStatAfter(_) => "stat(lock)".into(),
            Point::RecheckReadFirst => "readFile(owner.json)".into(),
            Point::RecheckStatFirst => "stat(lock)".into(),
            Point::ReclaimVerify(_, _) => format!("stat(tombstone-{me})"),
            Point::UndoRmdir => "rmdir(lock)".into(),
            Point::ReclaimRestore(_) | Point::ReleaseRestore(_) => {
                format!("rename(tombstone-{me}, lock)")
            }
            Point::ReleaseVerify(_) => format!("readFile(tombstone-{me}/owner.json)"),
            Point::OwnerRead(_) | Point::RecheckRead(_) | Point::ReleaseRead => {
                "readFile(owner.json)".into()
            }
            Point::RemoveStale(r) => format!("rm -rf lock: {}", rm(r)),
            Point::RemoveToRelease(r) => format!("release: rm -rf lock: {}", rm(r)),
            Point::IntentsList(_) | Point::IntentsRelist(_) => "readdir(lock.recovery)".into(),
            Point::IntentsPick(..) => "pick an intent".into(),
            Point::IntentStat(_, _, i) => {
                format!("stat(intent-{})", self.name(usize::from(*i)))
            }
            Point::IntentRead(_, _, i, _) => {
                format!("readFile(intent-{}/owner.json)", self.name(usize::from(*i)))
            }
            Point::IntentRelease(i, _, _) => format!(
                "rename(intent-{}, released-{me})",
                self.name(usize::from(*i))
            ),
            Point::ReleasedRemove(_, r)
            | Point::ReclaimRemove(_, r)
            | Point::LockDirRemove(_, r) => {
                format!("rm -rf: {}", rm(r))
            }
            Point::IntentParent(_) => "mkdir -p lock.recovery".into(),
            Point::IntentMkdir(_) => format!("mkdir(intent-{me})"),
            Point::IntentWrite(_, wf) => format!(
                "writeFile(intent-{me}/owner.json): {}",
                wf.next_op().map_or("?", |o| o.name())
            ),
            Point::ReclaimRename(_, _) | Point::LockDirRename(_, _) => {
                format!("rename(lock, tombstone-{me})")
            }
            Point::Prewarming => "prewarm ends; release".into(),
            Point::Done | Point::Threw => "?".into(),
        }
    }
}
