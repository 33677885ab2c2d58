//! The restart-lock part of a scenario file: `[params]`, `[[actor]]` and `[faults]`, and their
//! validation into a [`Spec`] the model is built from.

use serde::Deserialize;
use toml::Spanned;

use super::version::MUTEX_RETRY_MS;
use crate::models::env::{self, ActorEnv, EnvSpec, FaultsFile, HostFile, HostSpec, MAX_ACTORS};
use crate::models::process_keys::{process_actor_file, process_env, process_name, Place};
use crate::scenario::{at, Choice, File, ScenarioError, Source};

/// `[params]`. Every time is in milliseconds. The seed gives none of STALE, MAX_WAIT and POLL
/// (protocols.md §3.3), so they are parameters; the defaults are the harness's suggested
/// values, not the seed's.
#[derive(Deserialize, Default, Debug)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// `RESTART_LOCK_STALE_MS` (default 30 000): content staleness of L, mtime staleness of M
    /// and RL.
    pub stale_ms: Option<Spanned<i64>>,
    /// `RESTART_LOCK_MAX_WAIT_MS` (default 60 000): each acquirer's own deadline.
    pub max_wait_ms: Option<Spanned<i64>>,
    /// `RESTART_LOCK_POLL_INTERVAL_MS` (default 100).
    pub poll_ms: Option<Spanned<i64>>,
    /// `RESTART_MUTEX_RETRY_MS` (20 in the seed; overriding it is allowed but unusual).
    pub mutex_retry_ms: Option<Spanned<i64>>,
    /// What one pass of the registry-mutex loop that neither sleeps nor changes anything costs
    /// (default 1 ms: four syscalls). Without it a contender spinning on a live reclaim lock
    /// would stop the virtual clock (residual 4).
    pub spin_ms: Option<Spanned<i64>>,
    /// `bounded-spin`: how many retries in a row without a sleep are tolerated (default 10).
    pub spin_max: Option<Spanned<i64>>,
    /// `bounded-wait`: the bound on an acquire (default MAX_WAIT + POLL + MUTEX_RETRY, 20 ms by
    /// default, per actor: each contender ahead may hold the mutex for a retry).
    pub wait_bound_ms: Option<Spanned<i64>>,
    /// `max-running`: how many live restarts may overlap (default 1).
    pub running_max: Option<Spanned<i64>>,
    /// The hosts (default: one, `local`).
    #[serde(default)]
    pub host: Vec<Spanned<HostFile>>,
}

process_actor_file! {
    /// One `[[actor]]`: a process that calls `acquireRestartLock`, restarts, and calls
    /// `release()`.
    pub struct ActorFile {
        /// How long its restart (the critical section) runs (default 0: the seed's tests).
        pub restart_ms: Option<Spanned<Choice<u64>>>,
    }
}

pub type RestartLockFile = File<Params, ActorFile, FaultsFile>;

/// Named points of the protocol where a scenario can crash or pause an actor.
pub const POINTS: &[(&str, &str)] = &[
    (
        "mutex-created",
        "open(M,'wx') succeeded; the token is not written yet (M is empty)",
    ),
    (
        "mutex-held",
        "acquireRestartMutex returned: M holds the token",
    ),
    (
        "reclaim-lock-held",
        "open(RL,'wx') succeeded, before anything is reaped",
    ),
    (
        "restarting",
        "acquireRestartLock returned: inside the restart",
    ),
    (
        "temp-written",
        "V2: L.<token> is written, before the rename over L",
    ),
    (
        "mutex-token-read",
        "releaseMutex read its own token from M, before unlink(M)",
    ),
    (
        "lock-token-read",
        "release() read its own token from L, before unlink(L)",
    ),
];

pub const P_MUTEX_CREATED: u8 = 0;
pub const P_MUTEX_HELD: u8 = 1;
pub const P_RECLAIM_HELD: u8 = 2;
pub const P_RESTARTING: u8 = 3;
pub const P_TEMP_WRITTEN: u8 = 4;
pub const P_MUTEX_TOKEN_READ: u8 = 5;
pub const P_LOCK_TOKEN_READ: u8 = 6;

#[derive(Clone, Debug)]
pub struct ActorSpec {
    pub name: String,
    pub arrive: Vec<u64>,
    pub restart: Vec<u64>,
    pub env: ActorEnv,
}

#[derive(Clone, Debug)]
pub struct Spec {
    pub stale: u64,
    pub max_wait: u64,
    pub poll: u64,
    pub mutex_retry: u64,
    pub spin: u64,
    pub spin_max: u32,
    pub wait_bound: u64,
    pub running_max: u8,
    pub env: EnvSpec,
    pub actors: Vec<ActorSpec>,
}

/// The names a `[faults] syscall` entry may use for a path.
pub fn path_names(actors: &[String]) -> Vec<String> {
    let mut v: Vec<String> = ["dir", "L", "M", "RL"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    for a in actors {
        v.push(format!("L.{a}"));
        v.push(format!("M.aside-{a}"));
    }
    v
}

/// Validates a restart-lock scenario section by section, in the order its errors are reported.
pub fn validate(src: &Source, f: &RestartLockFile) -> Result<Spec, ScenarioError> {
    let default_params = Params::default();
    let p = f.params.as_ref().unwrap_or(&default_params);
    let stale = number(src, &p.stale_ms, "stale_ms", 1, 30_000)?;
    let max_wait = number(src, &p.max_wait_ms, "max_wait_ms", 0, 60_000)?;
    let poll = number(src, &p.poll_ms, "poll_ms", 1, 100)?;
    let mutex_retry = number(src, &p.mutex_retry_ms, "mutex_retry_ms", 1, MUTEX_RETRY_MS)?;
    let spin = number(src, &p.spin_ms, "spin_ms", 1, 1)?;
    let spin_max = spin_max(src, p)?;
    let running_max = running_max(src, p)?;
    let hosts = env::hosts(src, &p.host)?;

    actor_count(src, f)?;
    let mut actors: Vec<ActorSpec> = Vec::new();
    for (i, a) in f.actor.iter().enumerate() {
        let process = actor(src, i, a.get_ref(), &hosts, &actors)?;
        actors.push(process);
    }
    let names: Vec<String> = actors.iter().map(|a| a.name.clone()).collect();
    let known = path_names(&names);
    let env = env::environment(src, f.faults.as_ref(), hosts, &names, &known)?;
    let wait_bound = number(
        src,
        &p.wait_bound_ms,
        "wait_bound_ms",
        1,
        max_wait + poll + mutex_retry * actors.len() as u64,
    )?;
    Ok(Spec {
        stale,
        max_wait,
        poll,
        mutex_retry,
        spin,
        spin_max,
        wait_bound,
        running_max,
        env,
        actors,
    })
}

/// An optional number of [params], checked as a time (`min` to the horizon), else `default`.
fn number(
    src: &Source,
    v: &Option<Spanned<i64>>,
    what: &str,
    min: u64,
    default: u64,
) -> Result<u64, ScenarioError> {
    env::opt_ms(src, v, what, min).map(|x| x.unwrap_or(default))
}

/// `spin_max`: the `bounded-spin` tolerance (default 10), capped so a run stays finite.
fn spin_max(src: &Source, p: &Params) -> Result<u32, ScenarioError> {
    let spin_max = number(src, &p.spin_max, "spin_max", 1, 10)?;
    if spin_max > 10_000 {
        return Err(at(
            src,
            p.spin_max.as_ref().unwrap(),
            "`spin_max` above 10000 is not supported",
        ));
    }
    Ok(spin_max as u32)
}

/// `running_max`: the `max-running` limit (default 1), which more actors than it must exceed.
fn running_max(src: &Source, p: &Params) -> Result<u8, ScenarioError> {
    let running_max = number(src, &p.running_max, "running_max", 1, 1)?;
    if running_max > MAX_ACTORS as u64 {
        return Err(at(
            src,
            p.running_max.as_ref().unwrap(),
            format!("`running_max` above {MAX_ACTORS} can never be exceeded"),
        ));
    }
    Ok(running_max as u8)
}

/// The `[[actor]]` list: at least one process, and no more than the world keeps inline.
fn actor_count(src: &Source, f: &RestartLockFile) -> Result<(), ScenarioError> {
    if f.actor.is_empty() {
        return Err(src
            .error(Some(0..0), "the scenario has no `[[actor]]`")
            .help("add at least one `[[actor]]` with a `name` and an `arrive_ms`"));
    }
    if f.actor.len() > MAX_ACTORS {
        return Err(at(
            src,
            &f.actor[MAX_ACTORS],
            format!("at most {MAX_ACTORS} actors are supported"),
        ));
    }
    Ok(())
}

/// One `[[actor]]`, the `index`th (its default pid); `earlier`: for unique names and pids.
fn actor(
    src: &Source,
    index: usize,
    a: &ActorFile,
    hosts: &[HostSpec],
    earlier: &[ActorSpec],
) -> Result<ActorSpec, ScenarioError> {
    let name = process_name(src, a, earlier.iter().map(|x| x.name.as_str()))?;
    let arrive = crate::scenario::instants(src, &a.arrive_ms, "arrive_ms")?;
    let restart = match &a.restart_ms {
        None => vec![0],
        Some(c) => env::times(src, c, "restart_ms")?,
    };
    let place = Place {
        hosts,
        points: POINTS,
        index,
    };
    let earlier_envs = earlier.iter().map(|x| (x.name.as_str(), &x.env));
    let env = process_env(src, a, (&name, &arrive), &place, earlier_envs)?;
    Ok(ActorSpec {
        name,
        arrive,
        restart,
        env,
    })
}
