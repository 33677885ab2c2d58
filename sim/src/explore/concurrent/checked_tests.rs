//! The insert, park and grow protocol under the checkers: threads insert overlapping keys into a
//! table of a few slots that must grow while they do, and every execution must report each key
//! new to exactly one thread, count the keys exactly, lose none in a copy, and end (a thread
//! parked for a growth that never comes is a deadlock, which both checkers report).
//!
//! Loom (`--features loom`) explores every schedule of two and three threads within a preemption
//! bound; shuttle (the `shuttle` feature) samples random and PCT schedules of four threads that
//! come and go over hundreds of keys and several growths. Run them alone (see [`super::sync`]):
//!
//! ```text
//! cargo test -p lockstep-sim --features loom --lib loom_ -- --test-threads=1
//! cargo test -p lockstep-sim --release --features shuttle --lib shuttle_
//! ```

use std::collections::{BTreeMap, BTreeSet};

use super::sync::{thread, Arc};
use super::{key, load_limit, Concurrent, Visit, Visited};

/// What each thread does: its batches of fingerprints, each visited under one membership (as a
/// thread holds the table for one subtree at a time).
type Plan = Vec<Vec<Vec<u64>>>;

/// Runs `plan` on a set whose first table has `slots` slots, the first thread's part on the
/// calling thread, and checks the outcome (see the module docs).
fn run(slots: usize, plan: Plan) {
    let set = Arc::new(Concurrent::with_slots(plan.len(), slots));
    let mut parts = plan.clone().into_iter();
    let mine = parts.next().expect("at least one thread");
    let others: Vec<_> = parts
        .map(|batches| {
            let set = Arc::clone(&set);
            thread::spawn(move || visit_all(&set, batches))
        })
        .collect();
    let mut news = visit_all(&set, mine);
    for t in others {
        news.extend(t.join().expect("a visiting thread"));
    }
    let keys: BTreeSet<u64> = plan.iter().flatten().flatten().map(|&fp| key(fp)).collect();
    let mut times: BTreeMap<u64, usize> = keys.iter().map(|&k| (k, 0)).collect();
    for k in news {
        *times.get_mut(&k).expect("a key of the plan") += 1;
    }
    times.retain(|_, n| *n != 1);
    assert!(
        times.is_empty(),
        "keys new to other than one thread (key: times): {times:?}"
    );
    assert_eq!(set.len(), keys.len() as u64, "the count is exact");
    let mut m = set.member();
    for &k in &keys {
        assert_eq!(m.visit(k, 0, || 0), Visit::Covered, "key {k} was lost");
    }
    drop(m);
    assert_eq!(set.len(), keys.len() as u64);
    let generation = set.gate().generation;
    assert!(
        generation >= growths(slots, keys.len()),
        "the table grew {generation} times for {} keys",
        keys.len()
    );
}

/// Visits `batches` in order, one membership each; returns the keys that were new.
fn visit_all(set: &Concurrent, batches: Vec<Vec<u64>>) -> Vec<u64> {
    let mut news = Vec::new();
    for batch in batches {
        let mut m = set.member();
        for fp in batch {
            if m.visit(fp, 0, || 0) == Visit::New {
                news.push(key(fp));
            }
        }
    }
    news
}

/// The fewest growths a table of `slots` slots needs to hold `keys` keys.
fn growths(mut slots: usize, keys: usize) -> u64 {
    let mut n = 0;
    while load_limit(slots) < keys {
        slots *= 2;
        n += 1;
    }
    n
}

#[cfg(feature = "loom")]
mod on_loom {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    use super::{run, Plan};

    /// Explores every schedule of `plan` with at most `bound` preemptions (a preemption is a
    /// switch away from a thread that could have gone on; switching when one blocks on the gate
    /// or finishes is free), from a table of 4 slots (3 keys). The bounds are set here, and
    /// loom's caps from the environment cleared, so a pass means "every schedule within the
    /// bound". A protocol that lets a copy start before every member has parked fails within one
    /// preemption.
    fn check(bound: usize, plan: Plan) {
        let mut builder = loom::model::Builder::new();
        builder.preemption_bound = Some(bound);
        builder.max_duration = None;
        builder.max_permutations = None;
        builder.checkpoint_file = None;
        let executions = Arc::new(AtomicUsize::new(0));
        let count = Arc::clone(&executions);
        builder.check(move || {
            count.fetch_add(1, Ordering::Relaxed);
            run(4, plan.clone());
        });
        let executions = executions.load(Ordering::Relaxed);
        println!("loom: bound {bound}: {executions} executions");
    }

    /// Two threads, four keys (two shared, three in one probe cluster of the 4-slot table,
    /// which holds three): the table grows once, and its copy is two chunks either thread may
    /// take. Bound 6: about 650,000 executions, 20 s in release (unbounded does not end in 10
    /// minutes).
    #[test]
    fn loom_two_threads_insert_overlapping_keys_through_a_growth() {
        check(6, vec![vec![vec![1, 5, 2]], vec![vec![5, 9, 1]]]);
    }

    /// Three threads, four keys, three of them shared by two threads: the table grows once.
    /// Bound 3: about 63,000 executions, 3 s in release; each further preemption multiplies the
    /// work by about 30 (bound 4: 1.9 million executions, 85 s).
    #[test]
    fn loom_three_threads_insert_overlapping_keys_through_a_growth() {
        check(
            3,
            vec![vec![vec![1, 5]], vec![vec![5, 9]], vec![vec![9, 1, 13]]],
        );
    }
}

#[cfg(all(feature = "shuttle", not(feature = "loom")))]
mod on_shuttle {
    use shuttle::scheduler::{PctScheduler, RandomScheduler};
    use shuttle::Runner;

    use super::{run, Plan};
    use crate::fingerprint::fingerprint;

    /// Executions per scheduler.
    const ITERATIONS: usize = 5000;

    /// Fixed seeds, so that every run explores the same schedules (unless `SHUTTLE_RANDOM_SEED`
    /// overrides them).
    const RANDOM_SEED: u64 = 0x7ab1_e001;
    const PCT_SEED: u64 = 0x7ab1_e002;

    /// PCT's bug depth: the ordering constraints between threads a schedule is built to hit.
    const PCT_DEPTH: usize = 3;

    /// Four threads over 350 keys, 200 each, overlapping their neighbours' by 150 and in
    /// opposite orders, each in four memberships of 50 visits: from 8 slots, the table grows
    /// at least six times, with members leaving and joining between growths.
    fn plan() -> Plan {
        (0..4u64)
            .map(|t| {
                let mut fps: Vec<u64> = (t * 50..t * 50 + 200).map(|i| fingerprint(&i)).collect();
                if t % 2 == 1 {
                    fps.reverse();
                }
                fps.chunks(50).map(<[u64]>::to_vec).collect()
            })
            .collect()
    }

    #[test]
    fn shuttle_random_schedules_of_four_threads_through_growths() {
        let plan = plan();
        let scheduler = RandomScheduler::new_from_seed(RANDOM_SEED, ITERATIONS);
        Runner::new(scheduler, shuttle::Config::new()).run(move || run(8, plan.clone()));
    }

    #[test]
    fn shuttle_pct_schedules_of_four_threads_through_growths() {
        let plan = plan();
        let scheduler = PctScheduler::new_from_seed(PCT_SEED, PCT_DEPTH, ITERATIONS);
        Runner::new(scheduler, shuttle::Config::new()).run(move || run(8, plan.clone()));
    }
}
