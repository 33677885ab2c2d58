//! Exhaustive search: depth-first over every choice the model leaves open (same-instant
//! orderings, declared alternatives, optional faults, letting time pass), with visited-state
//! deduplication by fingerprint.
//!
//! Verdict semantics, chosen so the verdict does not depend on the search order: the verdict
//! names the property that comes first in the model's list among all properties violated by
//! any world reachable from the initial one. A world that violates a property is reported and
//! still expanded, looking only for properties earlier in the list (an earlier-listed property
//! that breaks later on the same path is found, not hidden); a world that violates the
//! first-listed property ends the search. If a budget runs out before the space is exhausted
//! and a violation was found, the violation is reported (it is real, and its schedule replays).
//!
//! **Threads and shards.** A breadth-first prefix (deduplicated) is expanded until its
//! frontier has enough worlds to share out; the frontier is then split: among shards by index
//! (frontier world j goes to shard j mod N, so N machines cover R between them), and among
//! threads dynamically, with one visited set shared by the threads. The set of worlds in R does
//! not depend on who visits what, so a `holds` verdict and its state count are identical for
//! any thread count. When threads find a violation, the sequential search is re-run to report
//! the same state count and counterexample as one thread would.
//!
//! **Sleep sets** ([`super::sleep`]): with `cfg.sleep_sets`, each level carries a sleep set
//! and asleep moves are neither applied nor explored; every world is still visited. Any
//! violation ends the reduced search, and the search is re-run without sleep sets (unless the
//! violation is the first-listed property's: see [`check_exhaustive`]). Threads share the
//! sleep records through the shared visited set, and a donated subtree carries its sleep set.
//! Shards explore without sleep sets: each shard's search is cut at the other shards' frontier
//! worlds, and the argument that sleep sets miss no world assumes one search (or threads
//! sharing one visited set) that eventually explores every move it did not leave asleep.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, AtomicUsize, Ordering};
use std::sync::Mutex;

use crate::explore::concurrent::Concurrent;
use crate::explore::level::{expand, make_kids, Expanded, Level};
use crate::explore::sleep::Visit;
use crate::explore::visited::{Recent, Seen, Shared, SharedSet, Visited};
use crate::explore::{Config, Limit, Report, Strategy, Verdict};

use crate::model::Model;
use crate::narrate::Silent;
use crate::schedule::{Choice, Schedule};

/// Shared progress and stop signals.
struct Signals<'a> {
    /// The best (lowest) property index found so far by anyone; `u8::MAX` for none.
    best: &'a AtomicU8,
    states: &'a AtomicU64,
    stop: &'a AtomicBool,
    /// New worlds this thread found, over all its subtrees: the budgets are checked every
    /// 0x1000 of them, so a thread whose donated subtrees are all small still checks them.
    found: std::cell::Cell<u64>,
}

/// A subtree to explore: a world, its path from the initial world and its sleep set.
struct Task<S, Mv> {
    state: S,
    path: Vec<Choice>,
    /// The world's sleep set, as moves (empty without sleep sets).
    sleep: Vec<Mv>,
    /// Not visited yet (a sibling donated by a busy thread): the search judges, counts and
    /// records it first. The initial world and the frontier worlds are visited by the caller.
    fresh: bool,
}

/// Work shared by threads: subtrees donated by busy threads to idle ones.
struct Pool<T> {
    queue: Mutex<Vec<T>>,
    ready: std::sync::Condvar,
    idle: AtomicUsize,
    threads: usize,
}

impl<T> Pool<T> {
    /// Next subtree to explore, or `None` when every thread is idle and nothing is queued.
    fn take(&self) -> Option<T> {
        let mut q = self.queue.lock().expect("pool");
        loop {
            if let Some(item) = q.pop() {
                return Some(item);
            }
            let idle = self.idle.fetch_add(1, Ordering::SeqCst) + 1;
            if idle == self.threads {
                self.ready.notify_all();
                return None;
            }
            q = self.ready.wait(q).expect("pool");
            if self.idle.load(Ordering::SeqCst) == self.threads && q.is_empty() {
                return None;
            }
            self.idle.fetch_sub(1, Ordering::SeqCst);
        }
    }

    fn wants_work(&self) -> bool {
        self.idle.load(Ordering::Relaxed) > 0
    }

    fn give(&self, item: T) {
        self.queue.lock().expect("pool").push(item);
        self.ready.notify_one();
    }
}

struct DfsResult {
    best: Option<(u8, Vec<Choice>)>,
    states: u64,
    steps: u64,
    leaves: u64,
    limit: Option<Limit>,
}

impl DfsResult {
    /// Records a violation of `p` at `path` when it beats `bound` (what anyone has found).
    /// Returns true when the search must stop: the first-listed property ends every search,
    /// and any violation ends a search with sleep sets (it is re-run without them).
    fn found(
        &mut self,
        sig: &Signals<'_>,
        p: u8,
        path: &[Choice],
        bound: u8,
        sleepy: bool,
    ) -> bool {
        if p >= bound {
            return false;
        }
        self.best = Some((p, path.to_vec()));
        sig.best.fetch_min(p, Ordering::Relaxed);
        if p == 0 || sleepy {
            sig.stop.store(true, Ordering::Relaxed);
            return true;
        }
        false
    }
}

/// Depth-first search from `task`'s world, whose path from the initial world is `task.path`.
/// `sleepy`: with sleep sets.
#[allow(clippy::too_many_arguments)]
fn dfs<M: Model, V: Visited>(
    model: &M,
    task: Task<M::State, M::Move>,
    cfg: &Config,
    sleepy: bool,
    visited: &mut V,
    recent: &mut Recent,
    sig: &Signals<'_>,
    pool: Option<&Pool<Task<M::State, M::Move>>>,
) -> DfsResult {
    let nprops = model.properties().len() as u8;
    let mut r = DfsResult {
        best: None,
        states: 0,
        steps: 0,
        leaves: 0,
        limit: None,
    };
    let prefix = task.path.len();
    let mut path: Vec<Choice> = task.path;
    let fresh = task.fresh;
    let mut levels: Vec<Level<M::State, M::Move>> = vec![Level::new(Box::new(task.state))];
    // The sleep set of the child about to be entered (scratch, reused).
    let mut sleep: Vec<M::Move> = task.sleep;
    let bound = |r: &DfsResult| -> u8 {
        let mine = r.best.as_ref().map_or(nprops, |b| b.0);
        mine.min(sig.best.load(Ordering::Relaxed)).min(nprops)
    };
    {
        // The root: judged and visited by the caller, unless donated.
        let root = &mut levels[0];
        let violation = if fresh {
            model.violated(&root.state, nprops, false)
        } else {
            None
        };
        let expanded = (violation != Some(0))
            .then(|| expand(model, root, nprops, cfg, visited, &sleep, sleepy));
        let visit = if fresh {
            let z = if matches!(expanded, Some(Expanded::Open)) {
                root.sleep
            } else {
                0
            };
            let fp = model.fingerprint(&root.state);
            root.fingerprint = fp;
            visited.visit(fp, z, || crate::fingerprint::fingerprint(&root.state))
        } else {
            root.fingerprint = model.fingerprint(&root.state);
            Visit::New
        };
        root.now = model.now(&root.state);
        root.segment = 0;
        if !enter(model, root, visit, expanded.as_ref(), cfg, visited, &mut r) {
            return r;
        }
        if visit == Visit::New {
            r.states += u64::from(fresh);
            let b = bound(&r);
            if let Some(p) = violation
                && (r.found(sig, p, &path, b, sleepy) || p == 0)
            {
                r.leaves += 1;
                return r;
            }
            if let Some(Expanded::Ended(v)) = expanded {
                r.leaves += 1;
                if let Some(p) = v {
                    r.found(sig, p, &path, b, sleepy);
                }
                return r;
            }
        }
    }
    let mut depth = 0usize;
    loop {
        let lvl = &mut levels[depth];
        if lvl.next >= lvl.choices {
            if depth == 0 {
                break;
            }
            depth -= 1;
            path.pop();
            continue;
        }
        let i = lvl.next;
        lvl.next += 1;
        if !lvl.takes(i) {
            continue;
        }
        let choice = lvl.choice(i);
        lvl.child_sleep(model, sleepy, i, &mut sleep);
        if depth + 1 >= levels.len() {
            let s = levels[depth].state.clone();
            levels.push(Level::new(s));
        }
        let (lo, hi) = levels.split_at_mut(depth + 1);
        let parent = &mut lo[depth];
        let child = &mut hi[0];
        let Some((kid, fp)) = parent.kids[i].as_mut() else {
            r.limit.get_or_insert(Limit::Horizon);
            continue;
        };
        let fp = *fp;
        if !sleepy && recent.holds(fp) {
            // Visited a moment ago (see `Recent`): not worth its expansion.
            let now = model.now(kid);
            if closes_cycle(model, &lo[..=depth], now, fp) {
                r.limit.get_or_insert(Limit::TimeStalls);
            }
            continue;
        }
        // The successor's own work (judging it, listing its moves, making and fingerprinting its
        // successors) is done *before* its visited-set lookup, which it does not depend on. The
        // lookup is then a cache hit: its slot was prefetched when the successor was made, and
        // that work hides the memory latency, which otherwise dominates once the set outgrows
        // the caches. A successor that turns out visited wastes that work (about one in ten on
        // the benchmarks); nothing of it is counted or kept.
        std::mem::swap(&mut child.state, kid);
        let violation = model.violated(&child.state, nprops, false);
        // A violating world is expanded too (earlier-listed properties may break after it),
        // unless it violates the first-listed property, which ends the search.
        let expanded = (violation != Some(0))
            .then(|| expand(model, child, nprops, cfg, visited, &sleep, sleepy));
        let z = if matches!(expanded, Some(Expanded::Open)) {
            child.sleep
        } else {
            0
        };
        let visit = visited.visit(fp, z, || crate::fingerprint::fingerprint(&child.state));
        if !sleepy {
            recent.note(fp);
        }
        child.fingerprint = fp;
        child.now = model.now(&child.state);
        child.segment = if child.now == parent.now {
            parent.segment
        } else {
            depth + 1
        };
        if visit != Visit::New && closes_cycle(model, &lo[..=depth], child.now, fp) {
            r.limit.get_or_insert(Limit::TimeStalls);
        }
        if !enter(model, child, visit, expanded.as_ref(), cfg, visited, &mut r) {
            continue;
        }
        if visit == Visit::New {
            r.states += 1;
            sig.found.set(sig.found.get() + 1);
            if sig.found.get() & 0xfff == 0
                && let Some(limit) = spent(cfg, sig)
            {
                if let Some(l) = limit {
                    r.limit.get_or_insert(l);
                }
                break;
            }
            let b = bound(&r);
            if b == 0 {
                break;
            }
            // Every property is judged: a violation of one earlier than any found so far is
            // recorded, and the world is still explored for earlier-listed ones (see the
            // module docs).
            if let Some(p) = violation {
                path.push(choice);
                let stop = r.found(sig, p, &path, b, sleepy);
                path.pop();
                if stop {
                    r.leaves += 1;
                    break;
                }
            }
            if let Some(Expanded::Ended(v)) = expanded {
                r.leaves += 1;
                if let Some(p) = v {
                    path.push(choice);
                    let stop = r.found(sig, p, &path, b, sleepy);
                    path.pop();
                    if stop {
                        break;
                    }
                }
                continue;
            }
        }
        if path.len() as u64 + 1 >= cfg.steps_max {
            r.limit.get_or_insert(Limit::Steps);
            continue;
        }
        path.push(choice);
        depth += 1;
        // An idle thread is waiting: hand it the shallowest subtree this thread has not
        // started yet (the largest piece of work on its stack).
        if let Some(p) = pool.filter(|p| p.wants_work()) {
            share(model, &mut levels, depth, &path, prefix, sleepy, &mut r, p);
        }
    }
    r
}

/// Whether a world at instant `now` with fingerprint `fp`, a successor of the last world of
/// `path` (through the move its level took last), is one of the path's own worlds by a *fair*
/// cycle: the run can go round it forever, and every actor with a step of its own at every
/// world of the cycle takes one in it. An unfair cycle (one actor spinning while another that
/// could step never does) is not a stall: a fair scheduler runs the other. The clock never goes
/// back, so only the path's worlds at that instant are looked at (and only for a world already
/// visited: a new one cannot be on the path).
fn closes_cycle<M: Model>(
    model: &M,
    path: &[Level<M::State, M::Move>],
    now: crate::Time,
    fp: u64,
) -> bool {
    let Some(last) = path.last().filter(|l| l.now == now) else {
        return false;
    };
    let from = last.segment;
    let Some(start) = path[from..]
        .iter()
        .rposition(|l| l.fingerprint == fp)
        .map(|i| from + i)
    else {
        return false;
    };
    let bit = |m: &M::Move| 1u64 << (model.actor_of(*m) & 63);
    let mut moved = 0u64;
    let mut always = u64::MAX;
    for l in &path[start..] {
        if let Some(m) = l.moves.get(l.next.wrapping_sub(1)) {
            moved |= bit(m);
        }
        // Faults (a cancel, a kill, a pause) are the environment's to choose, not owed.
        always &= l
            .moves
            .iter()
            .filter(|m| !model.is_fault(**m))
            .fold(0, |acc, m| acc | bit(m));
    }
    always & !moved == 0
}

/// Checks the budgets after this thread found another 0x1000 new worlds. `Some` ends the
/// subtree: with the limit this thread ran into, which also stops every other thread (one
/// search, one budget), or with none when the search was already stopped (another thread's
/// limit, or the first-listed property found).
fn spent(cfg: &Config, sig: &Signals<'_>) -> Option<Option<Limit>> {
    let total = sig.states.fetch_add(0x1000, Ordering::Relaxed) + 0x1000;
    if let Some(p) = &cfg.progress {
        p.fetch_add(0x1000, Ordering::Relaxed);
    }
    // The memory budget is checked before the table would grow past it: the next chunk of keys
    // of every thread (each counts its own up to a chunk before it adds them here), and a chunk
    // more for the worlds counted outside chunks (the initial world, a threaded frontier).
    let next = total + 0x1000 * (cfg.threads.max(1) + 1);
    let limit = if total > cfg.states_max {
        Some(Limit::States)
    } else if super::visited_bytes(next) > cfg.memory_max {
        Some(Limit::Memory)
    } else if cfg.stopped() && sig.best.load(Ordering::Relaxed) != 0 {
        Some(Limit::Stopped)
    } else {
        None
    };
    if limit.is_some() {
        sig.stop.store(true, Ordering::Relaxed);
        return Some(limit);
    }
    sig.stop.load(Ordering::Relaxed).then_some(None)
}

/// Settles what a visit asks of an expanded level: whether to explore it, and with which moves.
/// A new world keeps the expansion made with its own sleep set; a revisit under the revisit
/// rule ([`super::sleep`]) is re-explored (not counted again), and a covered one is skipped.
fn enter<M: Model, V: Visited>(
    model: &M,
    lvl: &mut Level<M::State, M::Move>,
    visit: Visit,
    expanded: Option<&Expanded>,
    cfg: &Config,
    visited: &V,
    r: &mut DfsResult,
) -> bool {
    let open = matches!(expanded, Some(Expanded::Open));
    match visit {
        Visit::Covered => false,
        Visit::New => {
            if open {
                r.steps += lvl.taken_moves();
            }
            true
        }
        // Records exist only for worlds that were expanded, so a revisit is open too.
        Visit::Only { only, sleep } if open => {
            // The expansion with this visit's sleep set made these children already.
            lvl.only = Some(only);
            lvl.sleep = sleep;
            r.steps += lvl.taken_moves();
            true
        }
        Visit::All if open => {
            lvl.sleep = 0;
            // Only sleep sets record revisits, and they keep their worlds (`keep`).
            make_kids(model, lvl, cfg, visited, true);
            r.steps += lvl.taken_moves();
            true
        }
        Visit::Only { .. } | Visit::All => false,
    }
}

/// Hands one not-yet-started sibling from the shallowest level that has one to an idle thread,
/// with its sleep set. The receiving thread visits it (counts, judges, records).
#[allow(clippy::too_many_arguments)]
fn share<M: Model>(
    model: &M,
    levels: &mut [Level<M::State, M::Move>],
    depth: usize,
    path: &[Choice],
    prefix: usize,
    sleepy: bool,
    r: &mut DfsResult,
    pool: &Pool<Task<M::State, M::Move>>,
) {
    for d in 0..depth {
        let lvl = &mut levels[d];
        while lvl.next < lvl.choices {
            let i = lvl.next;
            lvl.next += 1;
            if !lvl.takes(i) {
                continue;
            }
            let mut sleep = Vec::new();
            lvl.child_sleep(model, sleepy, i, &mut sleep);
            let Some((kid, _)) = lvl.kids[i].take() else {
                r.limit.get_or_insert(Limit::Horizon);
                continue;
            };
            let mut p: Vec<Choice> = path[..prefix + d].to_vec();
            p.push(lvl.choice(i));
            pool.give(Task {
                state: *kid,
                path: p,
                sleep,
                fresh: true,
            });
            return;
        }
    }
}

/// Explores every schedule of `model` up to the budgets in `cfg`, with `cfg.threads` threads,
/// only the part of the space that belongs to shard `cfg.shard` of `cfg.shards`.
///
/// With `cfg.sleep_sets`, a search that meets a violation of any property but the first-listed
/// one is re-run without sleep sets, and that run is reported: the reduced search stops at the
/// first violation it meets, which need not be the one the full search reports. A violation of
/// the first-listed property is the verdict either way.
pub fn check_exhaustive<M: Model>(model: &M, cfg: &Config) -> Report {
    // A violation of the first-listed property is the verdict wherever it is found, so a
    // short random probe that finds one ends the search at once (deterministically: the probe
    // has a fixed seed). A later-listed violation still needs the whole space searched.
    let probed = super::random::probe(model, cfg);
    if let (Verdict::Violated { property: 0 }, Some(cx)) = (probed.verdict, &probed.counterexample)
    {
        let mut r = finish(
            Verdict::Violated { property: 0 },
            0,
            probed.steps,
            probed.schedules,
            Some(cx.clone()),
        );
        r.found_by_probe = true;
        r.failing_run = probed.failing_run;
        return r;
    }
    if cfg.threads <= 1 && cfg.shards <= 1 {
        return sequential(model, cfg);
    }
    let r = split(model, cfg);
    if cfg.shards <= 1 && matches!(r.verdict, Verdict::Violated { .. }) {
        // Which thread reached the violation first is timing; the sequential search is not.
        return sequential(model, cfg);
    }
    r
}

/// The sequential search; with sleep sets, re-run without them when the reduced search's
/// answer may differ from the full search's (see [`check_exhaustive`]; a `steps-max` cut too,
/// since which worlds a depth bound cuts depends on the paths taken).
fn sequential<M: Model>(model: &M, cfg: &Config) -> Report {
    if !cfg.sleep_sets {
        return sequential_once(model, cfg, false);
    }
    let r = sequential_once(model, cfg, true);
    let rerun = match r.verdict {
        Verdict::Violated { property } => property > 0,
        Verdict::Inconclusive(l) => l == Limit::Steps,
        Verdict::Holds => false,
    };
    if rerun {
        return sequential_once(model, cfg, false);
    }
    r
}

fn sequential_once<M: Model>(model: &M, cfg: &Config, sleepy: bool) -> Report {
    let nprops = model.properties().len() as u8;
    let root = model.initial();
    let at_root = model.violated(&root, nprops, false);
    if at_root == Some(0) {
        return finish(
            Verdict::Violated { property: 0 },
            1,
            0,
            1,
            Some(Schedule::default()),
        );
    }
    let mut visited = Seen::search();
    visited.visit(model.fingerprint(&root), 0, || 0);
    let (best, states, stop) = (
        AtomicU8::new(at_root.unwrap_or(u8::MAX)),
        AtomicU64::new(0),
        AtomicBool::new(false),
    );
    let sig = Signals {
        best: &best,
        states: &states,
        stop: &stop,
        found: std::cell::Cell::new(0),
    };
    let task = Task {
        state: root,
        path: Vec::new(),
        sleep: Vec::new(),
        fresh: false,
    };
    let r = dfs(
        model,
        task,
        cfg,
        sleepy,
        &mut visited,
        &mut Recent::new(),
        &sig,
        None,
    );
    let best = match (r.best, at_root) {
        (Some(b), _) => Some(b),
        (None, Some(p)) => Some((p, Vec::new())),
        (None, None) => None,
    };
    report(best, r.limit, 1 + r.states, r.steps, r.leaves)
}

fn report(
    best: Option<(u8, Vec<Choice>)>,
    limit: Option<Limit>,
    states: u64,
    steps: u64,
    leaves: u64,
) -> Report {
    let verdict = match (&best, limit) {
        (Some((p, _)), _) => Verdict::Violated { property: *p },
        (None, Some(l)) => Verdict::Inconclusive(l),
        (None, None) => Verdict::Holds,
    };
    finish(verdict, states, steps, leaves, best.map(|b| Schedule(b.1)))
}

/// The breadth-first prefix and the split of its frontier among shards and threads.
fn split<M: Model>(model: &M, cfg: &Config) -> Report {
    // See the module docs: shards explore without sleep sets.
    let sleepy = cfg.sleep_sets && cfg.shards <= 1;
    if sleepy {
        split_with(model, cfg, sleepy, &Shared::new())
    } else {
        split_with(
            model,
            cfg,
            sleepy,
            &Concurrent::new(cfg.threads.max(1) as usize),
        )
    }
}

/// [`split`] with the visited set `shared` (whose per-thread members hold it for a subtree at a
/// time: none is kept while a thread waits for work).
fn split_with<M: Model, S: SharedSet>(model: &M, cfg: &Config, sleepy: bool, shared: &S) -> Report {
    let nprops = model.properties().len() as u8;
    // Shards need a deterministic frontier to divide; threads share work dynamically, so an
    // unsharded search starts from the root alone.
    let want = if cfg.shards > 1 {
        64 * cfg.shards as usize
    } else {
        1
    };
    let root = model.initial();
    let mut visited = shared.member();
    visited.visit(model.fingerprint(&root), 0, || 0);
    let mut best: Option<(u8, Vec<Choice>)> = model
        .violated(&root, nprops, false)
        .map(|p| (p, Vec::new()));
    let mut frontier: Vec<(M::State, Vec<Choice>)> = if best.as_ref().is_some_and(|b| b.0 == 0) {
        Vec::new()
    } else {
        vec![(root, Vec::new())]
    };
    let mut prefix_states = 1u64;
    let mut limit = None;
    let mut leaves = 0u64;
    let mut moves = Vec::new();
    // Expand level by level while the frontier is small (and at most 64 levels).
    for _ in 0..64 {
        if frontier.is_empty() || frontier.len() >= want {
            break;
        }
        let mut next = Vec::new();
        for (s, path) in frontier {
            if let Some((p, _)) = &best
                && *p == 0
            {
                break;
            }
            let b = best.as_ref().map_or(nprops, |x| x.0);
            moves.clear();
            let urgent = model.moves(&s, &mut moves);
            let wake = if urgent == 0 {
                model.next_wake(&s)
            } else {
                None
            };
            if urgent == 0 && wake.is_none() {
                if let Some(p) = model.violated(&s, nprops, true) {
                    if p < b {
                        best = Some((p, path.clone()));
                    }
                    leaves += 1;
                    continue;
                }
                if moves.is_empty() {
                    leaves += 1;
                    continue;
                }
            }
            let mut children = Vec::new();
            for (i, m) in moves.iter().enumerate() {
                let mut c = s.clone();
                model.apply(&mut c, *m, &mut Silent);
                children.push((c, Choice::Move(i as u32)));
            }
            if let Some(to) = wake {
                if to > cfg.time_ms_max {
                    limit.get_or_insert(Limit::Horizon);
                } else {
                    let mut c = s.clone();
                    model.advance(&mut c, to);
                    children.push((c, Choice::Advance));
                }
            }
            for (c, choice) in children {
                if visited.visit(model.fingerprint(&c), 0, || 0) != Visit::New {
                    continue;
                }
                prefix_states += 1;
                let mut p2 = path.clone();
                p2.push(choice);
                let b = best.as_ref().map_or(nprops, |x| x.0);
                if let Some(p) = model.violated(&c, nprops, false) {
                    if p < b {
                        best = Some((p, p2.clone()));
                    }
                    if p == 0 {
                        leaves += 1;
                        continue;
                    }
                }
                next.push((c, p2));
            }
        }
        frontier = next;
    }
    drop(visited);
    let mine: Vec<Task<M::State, M::Move>> = frontier
        .into_iter()
        .enumerate()
        .filter(|(j, _)| (*j as u64) % cfg.shards.max(1) == cfg.shard)
        .map(|(_, (state, path))| Task {
            state,
            path,
            sleep: Vec::new(),
            fresh: false,
        })
        .collect();
    let best_idx = AtomicU8::new(best.as_ref().map_or(u8::MAX, |b| b.0));
    let states = AtomicU64::new(prefix_states);
    let stop = AtomicBool::new(best.as_ref().is_some_and(|b| b.0 == 0));
    let threads = cfg.threads.max(1) as usize;
    let pool = Pool {
        queue: Mutex::new(mine.into_iter().rev().collect()),
        ready: std::sync::Condvar::new(),
        idle: AtomicUsize::new(0),
        threads,
    };
    let results: Mutex<Vec<DfsResult>> = Mutex::new(Vec::new());
    let worker = || {
        let sig = Signals {
            best: &best_idx,
            states: &states,
            stop: &stop,
            found: std::cell::Cell::new(0),
        };
        let mut recent = Recent::new();
        while let Some(task) = pool.take() {
            if stop.load(Ordering::Relaxed) {
                continue;
            }
            let mut v = shared.member();
            let r = dfs(
                model,
                task,
                cfg,
                sleepy,
                &mut v,
                &mut recent,
                &sig,
                Some(&pool),
            );
            drop(v);
            results.lock().expect("results").push(r);
        }
    };
    // This thread is one of the workers: one spawn fewer, and it starts at once, while a
    // spawned thread was seen to start up to 2 ms late (placed on the busy core).
    std::thread::scope(|scope| {
        for _ in 1..threads {
            scope.spawn(worker);
        }
        worker();
    });
    let results = results.into_inner().expect("results");
    let mut steps = 0;
    for r in results {
        steps += r.steps;
        leaves += r.leaves;
        if let Some(l) = r.limit {
            limit.get_or_insert(l);
        }
        if let Some((p, path)) = r.best
            && best
                .as_ref()
                .is_none_or(|b| p < b.0 || (p == b.0 && path < b.1))
        {
            best = Some((p, path));
        }
    }
    // Every world this shard visited, prefix included (a sharded count includes the prefix and
    // the other shards' frontier worlds, which every shard visits).
    report(best, limit, shared.len(), steps, leaves)
}

fn finish(
    verdict: Verdict,
    states: u64,
    steps: u64,
    schedules: u64,
    cx: Option<Schedule>,
) -> Report {
    let counterexample = match verdict {
        Verdict::Violated { .. } => cx,
        _ => None,
    };
    Report {
        strategy: Strategy::Exhaustive,
        verdict,
        states,
        schedules,
        steps,
        counterexample,
        failing_run: None,
        found_by_probe: false,
    }
}
