//! One execution of a bridged model on a checker's threads, written once for both checkers.
//!
//! Loom and shuttle mirror `std`'s `Mutex`, `Condvar` and `thread::spawn`, so the execution is
//! a macro instantiated per checker rather than a trait with guard types.

use std::sync::{Arc, Mutex as StdMutex};

use super::{BridgeError, BridgeReport, Core, Lanes, ShuttleConfig, ShuttleScheduler, Tally};
use lockstep_sim::Model;

macro_rules! execution_on {
    ($tool:ident) => {
        use std::sync::{Arc, PoisonError};

        use $tool::sync::{Condvar, Mutex};

        use crate::bridge::{Core, Lanes, Next, Run, World};
        use lockstep_sim::Model;

        struct Threads<M: Model> {
            world: Mutex<World<M>>,
            /// One condition variable per lane, so a move wakes exactly the lanes it enabled.
            wake: Vec<Condvar>,
        }

        /// One execution: lane 0 on the calling thread, every other lane on its own thread.
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
            let threads = Arc::new(Threads {
                world: Mutex::new(world),
                wake: (0..n).map(|_| Condvar::new()).collect(),
            });
            let handles: Vec<_> = (1..n)
                .map(|lane| {
                    let core = Arc::clone(core);
                    let threads = Arc::clone(&threads);
                    $tool::thread::spawn(move || lane_loop(&core, &threads, lane))
                })
                .collect();
            lane_loop(core, &threads, 0);
            for h in handles {
                if let Err(p) = h.join() {
                    std::panic::resume_unwind(p);
                }
            }
            let threads = Arc::try_unwrap(threads)
                .unwrap_or_else(|_| unreachable!("every lane thread has been joined"));
            let world = threads
                .world
                .into_inner()
                .unwrap_or_else(PoisonError::into_inner);
            Core::<M, L>::finish(world)
        }

        fn lane_loop<M, L>(core: &Core<M, L>, threads: &Threads<M>, lane: usize)
        where
            M: Model,
            L: Lanes<M>,
        {
            let lock = || threads.world.lock().unwrap_or_else(PoisonError::into_inner);
            let mut w = lock();
            loop {
                match core.next(&mut w, lane) {
                    Next::Stop => return,
                    Next::Wait => {
                        w = threads.wake[lane]
                            .wait(w)
                            .unwrap_or_else(PoisonError::into_inner);
                    }
                    Next::Moved(mut wake) => {
                        while wake != 0 {
                            let l = wake.trailing_zeros() as usize;
                            wake &= wake - 1;
                            threads.wake[l].notify_one();
                        }
                        // Releasing and retaking the mutex is where the checker may hand the
                        // next move to another lane.
                        drop(w);
                        w = lock();
                    }
                }
            }
        }
    };
}

pub(crate) mod on_shuttle {
    execution_on!(shuttle);
}

#[cfg(loom)]
pub(crate) mod on_loom {
    execution_on!(loom);
}

/// Ends a shuttle test early: shuttle asks the scheduler before each execution.
struct Stoppable<S> {
    /// `None` once stopped.
    inner: Option<S>,
    stop: Arc<std::sync::atomic::AtomicBool>,
}

impl<S: shuttle::scheduler::Scheduler> shuttle::scheduler::Scheduler for Stoppable<S> {
    fn new_execution(&mut self) -> Option<shuttle::scheduler::Schedule> {
        if self.stop.load(std::sync::atomic::Ordering::SeqCst) {
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
    let tally = Arc::new(StdMutex::new(Tally::default()));
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
    let tool = match cfg.scheduler {
        ShuttleScheduler::Random => {
            let inner = RandomScheduler::new_from_seed(cfg.seed, runs);
            shuttle::Runner::new(
                Stoppable {
                    inner: Some(inner),
                    stop,
                },
                config,
            )
            .run(f);
            "shuttle"
        }
        ShuttleScheduler::Pct { depth } => {
            let inner = PctScheduler::new_from_seed(cfg.seed, depth, runs);
            shuttle::Runner::new(
                Stoppable {
                    inner: Some(inner),
                    stop,
                },
                config,
            )
            .run(f);
            "shuttle-pct"
        }
    };
    super::take(&tally).report(tool)
}

/// Unwinds out of `loom::model::Builder::check` once the verdict is settled. Raised with
/// `resume_unwind`, so no panic hook prints it.
#[cfg(loom)]
struct StopLoom;

#[cfg(loom)]
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
    let tally = Arc::new(StdMutex::new(Tally::default()));
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
    if let Err(payload) = catch_unwind(AssertUnwindSafe(|| builder.check(f))) {
        if !payload.is::<StopLoom>() {
            resume_unwind(payload);
        }
    }
    super::take(&tally).report("loom")
}
