//! Processes and hosts: who is alive, what `kill(pid, 0)` says about it, and what time it is
//! where.
//!
//! **Identity.** A process has two names. [`ProcId`] is the harness's: one per process ever
//! started, never reused, what a model keeps in its actor state and what owns descriptors in
//! [`super::Fs`]. [`Pid`] is the kernel's: what a lock file records and what `kill` takes, and it
//! *is* reused. The gap between the two is the point: eve's liveness probe asks about a pid, and
//! after the owner died and its pid went to an unrelated process the probe says `alive`
//! forever (D1-d).
//!
//! **Hosts.** A [`HostId`] is one kernel: one pid namespace and one clock. Its [`Hostname`] is
//! what `os.hostname()` returns there, and two hosts may share one (containers with the same
//! hostname, or `--uts=host`, in distinct pid namespaces: D1-e). `kill` only ever looks in the
//! caller's own namespace, so a live holder on the other host reads as ESRCH, "dead".
//!
//! **Clocks.** The model owns the one virtual clock (`now`). Each host reads it with a declared
//! skew, `host_now = HOST_EPOCH + now + skew`, which stamps the mtimes that host writes and is
//! what its `Date.now()` returns. The epoch ([`HOST_EPOCH`], about 35 years) makes every
//! negative skew exact even at `now = 0`: a host whose clock is behind reads a time *before*
//! the run began, as a real one would, and the ages and deadlines computed from its readings
//! (differences, in which the epoch cancels) are what they would be. Shown to people, a host
//! time is [`shown`]: relative to the run's start, negative for a clock behind. An mtime written on one host and aged on another therefore moves the
//! staleness windows of both protocols (restart lock residual 7, eve D1-f/D8). Skew can be
//! changed mid-run ([`Procs::set_skew`]) to model a clock step.
//!
//! **States.** Running, paused (SIGSTOP, a suspended laptop, a long GC: not dead, `kill(pid, 0)`
//! still succeeds, it resumes where it stopped: C9), dead (kill -9 or exit: no cleanup, files
//! stay). A dead process is reaped at once: zombies are not modeled.

use crate::inline::InlineVec;

use super::Errno;
use crate::model::Time;

/// What every host clock adds to the virtual clock before its skew (2^40 ms, about 35
/// years): a skew is bounded by a week, so no reading is ever clamped.
pub const HOST_EPOCH: Time = 1 << 40;

/// A host time (a `Date.now()` reading, an mtime, a stamp in a file) as the run's own clock
/// would say it: milliseconds from the run's start on that host, negative for a host behind.
pub fn shown(t: Time) -> i64 {
    t as i64 - HOST_EPOCH as i64
}

/// Most hosts in a world.
pub const MAX_HOSTS: usize = 4;
/// Most processes ever started in a world (dead ones keep their row).
pub const MAX_PROCS: usize = 12;

/// The harness's name for a process: its row in the table, never reused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct ProcId(pub u8);

impl ProcId {
    /// The caller of setup calls that build an initial world (see `Ctx::setup`). Not a row.
    pub const SETUP: ProcId = ProcId(u8::MAX);
}

/// The kernel's name for a process, unique only among the live processes of one host.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Pid(pub u32);

/// One kernel: a pid namespace and a clock.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct HostId(pub u8);

/// What `os.hostname()` returns, interned by the model (a small int, so it fits in a file's
/// content word).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Hostname(pub u8);

/// A user id. `kill` to a process of another user fails with EPERM unless the sender is root.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Uid(pub u16);

impl Uid {
    pub const ROOT: Uid = Uid(0);
    /// The user every protocol process runs as unless a scenario says otherwise.
    pub const USER: Uid = Uid(1000);
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum ProcState {
    #[default]
    Running,
    Paused,
    Dead,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
struct Host {
    name: Hostname,
    skew_ms: i64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
struct Proc {
    host: HostId,
    pid: Pid,
    uid: Uid,
    state: ProcState,
}

/// The process table and the hosts: `Copy`, so a world clones it with one copy.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Procs {
    hosts: InlineVec<Host, MAX_HOSTS>,
    /// Index = `ProcId`.
    procs: InlineVec<Proc, MAX_PROCS>,
}

impl Procs {
    pub fn new() -> Self {
        Self::default()
    }

    // ---- hosts and clocks ----------------------------------------------------------------

    /// Adds a host (a pid namespace with its own clock) called `name`, whose clock reads
    /// `now + skew_ms`.
    pub fn add_host(&mut self, name: Hostname, skew_ms: i64) -> HostId {
        let id = HostId(self.hosts.len() as u8);
        self.hosts
            .try_push(Host { name, skew_ms })
            .unwrap_or_else(|_| panic!("more than MAX_HOSTS ({MAX_HOSTS}) hosts"));
        id
    }

    pub fn hostname(&self, host: HostId) -> Hostname {
        self.hosts[host.0 as usize].name
    }

    pub fn skew(&self, host: HostId) -> i64 {
        self.hosts[host.0 as usize].skew_ms
    }

    /// An environment move: the host's clock is stepped (NTP, a VM resumed with a stale clock).
    pub fn set_skew(&mut self, host: HostId, skew_ms: i64) {
        self.hosts[host.0 as usize].skew_ms = skew_ms;
    }

    /// The host's `Date.now()` at virtual time `now`: `HOST_EPOCH + now + skew`, exact for
    /// every skew a scenario may give (at most a week either way).
    pub fn host_now(&self, host: HostId, now: Time) -> Time {
        (HOST_EPOCH + now).saturating_add_signed(self.skew(host))
    }

    /// `Date.now()` as process `p` reads it.
    pub fn now_of(&self, p: ProcId, now: Time) -> Time {
        self.host_now(self.host(p), now)
    }

    // ---- the process table ---------------------------------------------------------------

    /// Starts a process with an explicit pid (scenarios name pids, e.g. the restart lock's
    /// fixture owner 4242). Panics if a live process of that host already has the pid: the
    /// kernel would never hand it out (a harness bug).
    pub fn spawn(&mut self, host: HostId, pid: Pid, uid: Uid) -> ProcId {
        assert!((host.0 as usize) < self.hosts.len(), "no host {host:?}");
        assert!(pid.0 > 0, "pids are positive");
        if let Some(p) = self.find(host, pid) {
            panic!("pid {} is in use on {host:?} by {p:?}", pid.0);
        }
        let id = ProcId(self.procs.len() as u8);
        self.procs
            .try_push(Proc {
                host,
                pid,
                uid,
                state: ProcState::Running,
            })
            .unwrap_or_else(|_| panic!("more than MAX_PROCS ({MAX_PROCS}) processes"));
        id
    }

    /// A pid no process of `host` has ever had (one past the largest): what a kernel hands out
    /// before it wraps around.
    pub fn fresh_pid(&self, host: HostId) -> Pid {
        let max = self
            .procs
            .iter()
            .filter(|p| p.host == host)
            .map(|p| p.pid.0)
            .max()
            .unwrap_or(999);
        Pid(max + 1)
    }

    /// PID reuse: the kernel hands the pid of `dead` to a new, unrelated process on the same
    /// host (after wrap-around). Panics if `dead` is not dead.
    pub fn reuse_pid(&mut self, dead: ProcId, uid: Uid) -> ProcId {
        let old = self.procs[dead.0 as usize];
        assert_eq!(old.state, ProcState::Dead, "pid reuse of a live process");
        self.spawn(old.host, old.pid, uid)
    }

    /// kill -9: no cleanup runs, files stay. Its descriptors close too: use `world::kill9`,
    /// which also calls [`super::Fs::close_all`].
    pub fn kill9(&mut self, p: ProcId) {
        self.row_mut(p).state = ProcState::Dead;
    }

    /// SIGSTOP (or a suspend): the process stops but stays alive.
    pub fn pause(&mut self, p: ProcId) {
        let row = self.row_mut(p);
        assert_eq!(
            row.state,
            ProcState::Running,
            "pause of a {:?} process",
            row.state
        );
        row.state = ProcState::Paused;
    }

    /// SIGCONT: a paused process continues where it stopped.
    pub fn resume(&mut self, p: ProcId) {
        let row = self.row_mut(p);
        assert_eq!(
            row.state,
            ProcState::Paused,
            "resume of a {:?} process",
            row.state
        );
        row.state = ProcState::Running;
    }

    pub fn state(&self, p: ProcId) -> ProcState {
        self.row(p).state
    }

    /// Whether its actors may take steps.
    pub fn runs(&self, p: ProcId) -> bool {
        self.state(p) == ProcState::Running
    }

    /// Running or paused.
    pub fn is_alive(&self, p: ProcId) -> bool {
        self.state(p) != ProcState::Dead
    }

    pub fn pid(&self, p: ProcId) -> Pid {
        self.row(p).pid
    }

    pub fn host(&self, p: ProcId) -> HostId {
        self.row(p).host
    }

    pub fn uid(&self, p: ProcId) -> Uid {
        self.row(p).uid
    }

    /// `os.hostname()` in process `p`.
    pub fn hostname_of(&self, p: ProcId) -> Hostname {
        self.hostname(self.host(p))
    }

    /// The live (running or paused) process of `host` with `pid`.
    pub fn find(&self, host: HostId, pid: Pid) -> Option<ProcId> {
        self.procs
            .iter()
            .position(|r| r.host == host && r.pid == pid && r.state != ProcState::Dead)
            .map(|i| ProcId(i as u8))
    }

    /// `process.kill(pid, 0)` called by `caller`, as the kernel answers it: Ok if a live
    /// process with that pid exists *in the caller's pid namespace* (paused counts as live),
    /// ESRCH if none does, EPERM if it exists but belongs to another user and the caller is not
    /// root. Pid 0 means the caller's own process group, which always exists. This is eve's
    /// liveness probe: both PR #441 and the maintainer version read Ok and EPERM as alive and
    /// ESRCH as dead. Its residuals come from the probe being truthful about the wrong process
    /// (pid reuse, D1-d) or in the wrong namespace (D1-e).
    pub fn kill0(&self, caller: ProcId, pid: Pid) -> Result<(), Errno> {
        let me = self.row(caller);
        debug_assert!(me.state != ProcState::Dead, "a dead process makes no calls");
        if pid.0 == 0 {
            return Ok(());
        }
        let target = self.find(me.host, pid).ok_or(Errno::ESRCH)?;
        let them = self.row(target);
        if me.uid != Uid::ROOT && me.uid != them.uid {
            return Err(Errno::EPERM);
        }
        Ok(())
    }

    /// Processes ever started (dead ones included).
    pub fn len(&self) -> usize {
        self.procs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.procs.is_empty()
    }

    /// This table with the processes renamed by `process` (a bijection over rows, for symmetry
    /// reduction; see [`super::Fs::relabeled`]): row `process(p)` gets the state and uid of
    /// row `p`, and keeps its own host and pid, since a pid belongs to its actor's position.
    /// Only rows of one host may be exchanged.
    pub fn relabeled(&self, process: &dyn Fn(ProcId) -> ProcId) -> Procs {
        let mut copy = *self;
        for (i, row) in self.procs.iter().enumerate() {
            let to = copy.row_mut(process(ProcId(i as u8)));
            debug_assert_eq!(to.host, row.host, "a renaming across hosts");
            to.state = row.state;
            to.uid = row.uid;
        }
        copy
    }

    fn row(&self, p: ProcId) -> &Proc {
        self.procs
            .get(p.0 as usize)
            .unwrap_or_else(|| panic!("no process {p:?}"))
    }

    fn row_mut(&mut self, p: ProcId) -> &mut Proc {
        self.procs
            .get_mut(p.0 as usize)
            .unwrap_or_else(|| panic!("no process {p:?}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one_host() -> (Procs, HostId) {
        let mut procs = Procs::new();
        let h = procs.add_host(Hostname(1), 0);
        (procs, h)
    }

    #[test]
    fn kill0_answers_ok_for_running_and_paused_and_esrch_for_dead() {
        let (mut procs, h) = one_host();
        let waiter = procs.spawn(h, Pid(10), Uid::USER);
        let owner = procs.spawn(h, Pid(4242), Uid::USER);
        assert_eq!(procs.kill0(waiter, Pid(4242)), Ok(()));
        procs.pause(owner);
        assert!(!procs.runs(owner) && procs.is_alive(owner));
        assert_eq!(
            procs.kill0(waiter, Pid(4242)),
            Ok(()),
            "stopped is not dead"
        );
        procs.resume(owner);
        assert_eq!(procs.state(owner), ProcState::Running);
        procs.kill9(owner);
        assert_eq!(procs.kill0(waiter, Pid(4242)), Err(Errno::ESRCH));
        assert_eq!(procs.kill0(waiter, Pid(777)), Err(Errno::ESRCH));
        assert_eq!(
            procs.kill0(waiter, Pid(0)),
            Ok(()),
            "pid 0 is the caller's group"
        );
    }

    #[test]
    fn kill0_says_eperm_for_another_users_process_unless_the_caller_is_root() {
        let (mut procs, h) = one_host();
        let waiter = procs.spawn(h, Pid(10), Uid::USER);
        let root = procs.spawn(h, Pid(11), Uid::ROOT);
        let _other = procs.spawn(h, Pid(4242), Uid(2000));
        assert_eq!(procs.kill0(waiter, Pid(4242)), Err(Errno::EPERM));
        assert_eq!(procs.kill0(root, Pid(4242)), Ok(()));
        assert_eq!(procs.kill0(root, Pid(10)), Ok(()));
    }

    /// Eve D1-d: the owner dies, its pid goes to an unrelated process of another user, and the
    /// probe says "alive" (EPERM, which eve reads as alive) for as long as that process lives.
    #[test]
    fn pid_reuse_makes_a_dead_owner_look_alive() {
        let (mut procs, h) = one_host();
        let waiter = procs.spawn(h, Pid(10), Uid::USER);
        let owner = procs.spawn(h, Pid(4242), Uid::USER);
        procs.kill9(owner);
        assert_eq!(procs.kill0(waiter, Pid(4242)), Err(Errno::ESRCH));
        let stranger = procs.reuse_pid(owner, Uid(2000));
        assert_ne!(stranger, owner);
        assert_eq!(procs.pid(stranger), Pid(4242));
        assert_eq!(procs.kill0(waiter, Pid(4242)), Err(Errno::EPERM));
        procs.kill9(stranger);
        let same_user = procs.reuse_pid(stranger, Uid::USER);
        assert_eq!(procs.kill0(waiter, Pid(4242)), Ok(()));
        assert_eq!(procs.find(h, Pid(4242)), Some(same_user));
        assert_eq!(procs.len(), 4, "dead rows stay; ProcIds are never reused");
    }

    #[test]
    #[should_panic(expected = "pid 4242 is in use")]
    fn a_live_pid_is_never_handed_out_twice_on_one_host() {
        let (mut procs, h) = one_host();
        procs.spawn(h, Pid(4242), Uid::USER);
        procs.spawn(h, Pid(4242), Uid::USER);
    }

    /// Eve D1-e: two containers with the same hostname in distinct pid namespaces. The owner's
    /// hostname matches, so its pid is probed, in the wrong namespace: a live holder reads as dead,
    /// and an unrelated local process with the same pid reads as the holder.
    #[test]
    fn pid_namespaces_with_one_hostname_probe_the_wrong_process() {
        let mut procs = Procs::new();
        let a = procs.add_host(Hostname(1), 0);
        let b = procs.add_host(Hostname(1), 0);
        assert_eq!(procs.hostname(a), procs.hostname(b));
        let holder = procs.spawn(a, Pid(50), Uid::USER);
        let waiter = procs.spawn(b, Pid(60), Uid::USER);
        assert_eq!(procs.hostname_of(holder), procs.hostname_of(waiter));
        assert_eq!(
            procs.kill0(waiter, Pid(50)),
            Err(Errno::ESRCH),
            "false dead"
        );
        let _local = procs.spawn(b, Pid(50), Uid::USER); // same pid, other namespace: allowed
        assert_eq!(procs.kill0(waiter, Pid(50)), Ok(()), "false alive");
        assert_eq!(procs.fresh_pid(a), Pid(51));
        assert_eq!(procs.fresh_pid(b), Pid(61));
    }

    #[test]
    fn host_clocks_read_now_plus_skew_and_can_be_stepped() {
        let mut procs = Procs::new();
        let exact = procs.add_host(Hostname(1), 0);
        let fast = procs.add_host(Hostname(2), 5_000);
        let slow = procs.add_host(Hostname(3), -2_000);
        let p = procs.spawn(fast, Pid(10), Uid::USER);
        let at = |t| shown(t);
        assert_eq!(at(procs.host_now(exact, 10_000)), 10_000);
        assert_eq!(at(procs.now_of(p, 10_000)), 15_000);
        assert_eq!(at(procs.host_now(slow, 10_000)), 8_000);
        assert_eq!(
            at(procs.host_now(slow, 1_000)),
            -1_000,
            "a clock behind reads before the run's start, exactly"
        );
        assert_eq!(at(procs.host_now(slow, 0)), -2_000);
        procs.set_skew(fast, -1);
        assert_eq!(at(procs.now_of(p, 10_000)), 9_999);
    }

    #[test]
    fn a_paused_process_can_be_killed_and_stays_dead() {
        let (mut procs, h) = one_host();
        let p = procs.spawn(h, Pid(10), Uid::USER);
        procs.pause(p);
        assert_eq!(procs.state(p), ProcState::Paused);
        procs.kill9(p);
        assert_eq!(procs.state(p), ProcState::Dead);
        assert!(!procs.runs(p) && !procs.is_alive(p));
        assert_eq!(procs.find(h, Pid(10)), None);
    }
}
