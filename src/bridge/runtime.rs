//! One execution of a bridged model on a checker's threads, written once for both checkers.
//!
//! Loom and shuttle mirror `std`'s `Mutex`, `Condvar` and `thread::spawn`, so the execution is
//! a macro instantiated per checker rather than a trait with guard types.

use std::sync::{Arc, Mutex as StdMutex};

use super::{BridgeError, BridgeReport, Core, Lanes, ShuttleConfig, ShuttleScheduler, Tally};
use lockstep_sim::Model;

macro_rules! execution_on {
    ($tool:ident, quiet: $quiet:expr, explore: $explore:expr) => {
        use std::sync::atomic::{AtomicBool, Ordering};
        use std::sync::{Arc, PoisonError};

        use $tool::sync::{Mutex, MutexGuard};
        use $tool::thread::Thread;

        use crate::bridge::{Core, Lanes, Next, Run, World};
        use lockstep_sim::Model;

        /// What the lane threads share: the world and each lane's thread handle, behind the
        /// checker's mutex.
        struct Inner<M: Model> {
            world: World<M>,
            threads: Vec<Option<Thread>>,
        }

        struct Shared<M: Model> {
            inner: Mutex<Inner<M>>,
            /// The checker has been told not to branch (start-up and shut-down). A plain
            /// atomic, invisible to the checker: it runs one thread at a time, and this flag
            /// only changes inside critical sections.
            quiet: AtomicBool,
        }

        fn lock<M: Model>(s: &Shared<M>) -> MutexGuard<'_, Inner<M>> {
            s.inner.lock().unwrap_or_else(PoisonError::into_inner)
        }

        fn hush<M: Model>(s: &Shared<M>) {
            if !s.quiet.swap(true, Ordering::Relaxed) {
                $quiet();
            }
        }

        fn unhush<M: Model>(s: &Shared<M>) {
            if s.quiet.swap(false, Ordering::Relaxed) {
                $explore();
            }
        }

        /// One execution: lane 0 on the calling thread, every other lane on its own thread.
        ///
        /// A lane with nothing to do parks; a move unparks the lanes it enabled (while holding
        /// the mutex, so the unpark is not a choice). So the only points where two threads can
        /// run are where lanes that each have an enabled move are runnable: every choice the
        /// checker makes is a choice between moves. Start-up (spawning and parking every lane)
        /// and shut-down (every lane leaving) contain no move, and a woken lane's taking of the
        /// mutex only carries out the choice made when it was scheduled; under loom all three
        /// are marked as not to be explored, so they add no executions.
        pub(crate) fn execution<M, L>(core: &Arc<Core<M, L>>) -> Run
        where
            M: Model + Send + Sync + 'static,
            M::State: Send,
            M::Move: Send,
            L: Lanes<M>,
        {
            let world = core.start();
            if world.end.is_some() {
                return Core::<M, L>::finish(world);
            }
            let n = core.lanes.count();
            let shared = Arc::new(Shared {
                inner: Mutex::new(Inner {
                    world,
                    threads: vec![None; n],
                }),
                quiet: AtomicBool::new(false),
            });
            hush(&shared);
            lock(&shared).threads[0] = Some($tool::thread::current());
            let mut handles = Vec::with_capacity(n);
            for lane in 1..n {
                let core = Arc::clone(core);
                let s = Arc::clone(&shared);
                handles.push($tool::thread::spawn(move || {
                    let mut g = lock(&s);
                    g.threads[lane] = Some($tool::thread::current());
                    g.world.waiting |= 1 << lane;
                    unpark(&g, 1);
                    let g = park_until_woken(&s, lane, g);
                    lane_loop(&core, &s, lane, g);
                }));
                // Wait until the new lane has parked.
                let mut g = lock(&shared);
                while g.threads[lane].is_none() {
                    drop(g);
                    $tool::thread::park();
                    g = lock(&shared);
                }
            }
            {
                let mut g = lock(&shared);
                unhush(&shared);
                let wake = Core::<M, L>::enabled_waiting(&mut g.world);
                let first = Core::<M, L>::resume(&mut g.world, 0, wake);
                if let Some(g) = follow(&shared, 0, g, first) {
                    lane_loop(core, &shared, 0, g);
                }
            }
            for h in handles {
                if let Err(p) = h.join() {
                    std::panic::resume_unwind(p);
                }
            }
            let shared = Arc::try_unwrap(shared)
                .unwrap_or_else(|_| unreachable!("every lane thread has been joined"));
            let inner = shared
                .inner
                .into_inner()
                .unwrap_or_else(PoisonError::into_inner);
            Core::<M, L>::finish(inner.world)
        }

        fn unpark<M: Model>(g: &Inner<M>, mut lanes: u64) {
            while lanes != 0 {
                let l = lanes.trailing_zeros() as usize;
                lanes &= lanes - 1;
                g.threads[l]
                    .as_ref()
                    .expect("a lane registers before it can be woken")
                    .unpark();
            }
        }

        /// Parks until another lane clears this lane's waiting bit (a stale unpark only
        /// makes it look again).
        fn park_until_woken<'a, M: Model>(
            s: &'a Shared<M>,
            lane: usize,
            mut g: MutexGuard<'a, Inner<M>>,
        ) -> MutexGuard<'a, Inner<M>> {
            while g.world.waiting & (1 << lane) != 0 {
                drop(g);
                $tool::thread::park();
                // The checker chose this lane when it let it run; taking the mutex is not a
                // second choice (the mutex is free: every critical section is free of
                // scheduling points), so it is not explored again.
                if s.quiet.load(Ordering::Relaxed) {
                    g = lock(s);
                } else {
                    hush(s);
                    g = lock(s);
                    unhush(s);
                }
            }
            g
        }

        /// Carries out `next` for `lane`; `None` when the lane leaves.
        fn follow<'a, M: Model>(
            s: &'a Shared<M>,
            lane: usize,
            g: MutexGuard<'a, Inner<M>>,
            next: Next,
        ) -> Option<MutexGuard<'a, Inner<M>>> {
            match next {
                Next::Stop(wake) => {
                    hush(s);
                    unpark(&g, wake);
                    None
                }
                Next::Wait(wake) => {
                    unpark(&g, wake);
                    Some(park_until_woken(s, lane, g))
                }
                Next::Again(wake) => {
                    unpark(&g, wake);
                    // Releasing and retaking the mutex is where the checker may hand the
                    // next move to a woken lane.
                    drop(g);
                    Some(lock(s))
                }
            }
        }

        fn lane_loop<'a, M, L>(
            core: &Core<M, L>,
            s: &'a Shared<M>,
            lane: usize,
            mut g: MutexGuard<'a, Inner<M>>,
        ) where
            M: Model,
            L: Lanes<M>,
        {
            loop {
                let next = core.next(&mut g.world, lane);
                match follow(s, lane, g, next) {
                    Some(again) => g = again,
                    None => return,
                }
            }
        }
    };
}

pub(crate) mod on_shuttle {
    execution_on!(shuttle, quiet: || {}, explore: || {});
}

#[cfg(feature = "loom")]
pub(crate) mod on_loom {
    execution_on!(loom, quiet: loom::stop_exploring, explore: loom::explore);
}

/// Ends a shuttle test early: shuttle asks the scheduler before each execution.
struct Stoppable<S> {
    /// `None` once stopped.
    inner: Option<S>,
    stop: Arc<std::sync::atomic::AtomicBool>,
    /// A stop from outside the bridge (a wall-clock budget).
    external: Option<Arc<std::sync::atomic::AtomicBool>>,
}

impl<S: shuttle::scheduler::Scheduler> shuttle::scheduler::Scheduler for Stoppable<S> {
    fn new_execution(&mut self) -> Option<shuttle::scheduler::Schedule> {
        let external = self
            .external
            .as_ref()
            .is_some_and(|s| s.load(std::sync::atomic::Ordering::Relaxed));
        if external || self.stop.load(std::sync::atomic::Ordering::SeqCst) {
            // Shuttle's random scheduler prints "failing seed" when it is dropped before its
            // last iteration (it assumes a panic). Nothing failed here: the verdict is settled
            // and the bridge prints its own replay command. Forgetting it leaks a few words.
            std::mem::forget(self.inner.take());
            return None;
        }
        self.inner.as_mut()?.new_execution()
    }
    fn next_task(
        &mut self,
        runnable: &[&shuttle::scheduler::Task],
        current: Option<shuttle::scheduler::TaskId>,
        is_yielding: bool,
    ) -> Option<shuttle::scheduler::TaskId> {
        self.inner
            .as_mut()?
            .next_task(runnable, current, is_yielding)
    }
    fn next_u64(&mut self) -> u64 {
        self.inner.as_mut().map_or(0, |s| s.next_u64())
    }
}

/// Runs `f` under shuttle with `inner` deciding the schedules, stoppable from inside (the
/// verdict is settled) and from outside (a wall-clock budget).
fn run_stoppable<S, F>(
    inner: S,
    stop: Arc<std::sync::atomic::AtomicBool>,
    external: Option<Arc<std::sync::atomic::AtomicBool>>,
    config: shuttle::Config,
    f: F,
) where
    S: shuttle::scheduler::Scheduler + 'static,
    F: Fn() + Send + Sync + 'static,
{
    shuttle::Runner::new(
        Stoppable {
            inner: Some(inner),
            stop,
            external,
        },
        config,
    )
    .run(f);
}

pub(super) fn shuttle_check<M, L>(
    core: &Arc<Core<M, L>>,
    cfg: &ShuttleConfig,
) -> Result<BridgeReport, BridgeError>
where
    M: Model + Send + Sync + 'static,
    M::State: Send,
    M::Move: Send,
    L: Lanes<M>,
{
    use shuttle::scheduler::{PctScheduler, RandomScheduler};
    if std::env::var_os("SHUTTLE_RANDOM_SEED").is_some() {
        return Err(BridgeError::SeedOverride);
    }
    let tally = Arc::new(StdMutex::new(Tally::new(cfg.count_distinct)));
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let f = {
        let core = Arc::clone(core);
        let tally = Arc::clone(&tally);
        let stop = Arc::clone(&stop);
        move || {
            let run = on_shuttle::execution(&core);
            let mut t = tally
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if t.record(run) {
                t.stopped_early = true;
                stop.store(true, std::sync::atomic::Ordering::SeqCst);
            }
        }
    };
    let runs = usize::try_from(cfg.runs).unwrap_or(usize::MAX);
    let mut config = shuttle::Config::new();
    config.silence_warnings = true;
    // Shuttle installs a process-wide panic hook the first time it runs and never removes it;
    // it would then report every later panic of the process (the command line's internal-error
    // hook, loom's own unwinding in a test binary) as a failed shuttle task. Keep the caller's.
    let caller_hook = Arc::new(std::panic::take_hook());
    let hook = Arc::clone(&caller_hook);
    std::panic::set_hook(Box::new(move |info| hook(info)));
    let external = cfg.stop.clone();
    let tool = match cfg.scheduler {
        ShuttleScheduler::Random => {
            let inner = RandomScheduler::new_from_seed(cfg.seed, runs);
            run_stoppable(inner, stop, external, config, f);
            "shuttle"
        }
        ShuttleScheduler::Pct { depth } => {
            let inner = PctScheduler::new_from_seed(cfg.seed, depth, runs);
            run_stoppable(inner, stop, external, config, f);
            "shuttle-pct"
        }
    };
    std::panic::set_hook(Box::new(move |info| caller_hook(info)));
    let mut t = super::take(&tally);
    if t.executions < cfg.runs && !t.stopped_early {
        // Stopped from outside before the last execution.
        t.limit.get_or_insert(lockstep_sim::Limit::Stopped);
    }
    t.report(tool)
}

/// Unwinds out of `loom::model::Builder::check` once the verdict is settled. Raised with
/// `resume_unwind`, so no panic hook prints it.
#[cfg(feature = "loom")]
struct StopLoom;

#[cfg(feature = "loom")]
pub(super) fn loom_check<M, L>(
    core: &Arc<Core<M, L>>,
    cfg: &super::LoomConfig,
) -> Result<BridgeReport, BridgeError>
where
    M: Model + Send + Sync + 'static,
    M::State: Send,
    M::Move: Send,
    L: Lanes<M>,
{
    use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
    let tally = Arc::new(StdMutex::new(Tally::new(cfg.count_distinct)));
    let mut builder = loom::model::Builder::new();
    // Everything explicit: nothing read from LOOM_* variables changes what a verdict means.
    builder.preemption_bound = cfg.preemption_bound;
    builder.max_branches = cfg.max_branches;
    builder.max_duration = None;
    builder.max_permutations = None;
    builder.checkpoint_file = None;
    builder.max_threads = loom::MAX_THREADS;
    let f = {
        let core = Arc::clone(core);
        let tally = Arc::clone(&tally);
        let stop_early = cfg.stop_early;
        move || {
            let run = on_loom::execution(&core);
            let mut t = tally
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let settled = t.record(run);
            let stop = t.error.is_some() || (settled && stop_early);
            t.stopped_early |= stop;
            drop(t);
            if stop {
                resume_unwind(Box::new(StopLoom));
            }
        }
    };
    if let Err(payload) = catch_unwind(AssertUnwindSafe(|| builder.check(f)))
        && !payload.is::<StopLoom>()
    {
        resume_unwind(payload);
    }
    super::take(&tally).report("loom")
}
