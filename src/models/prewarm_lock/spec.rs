//! The prewarm-lock part of a scenario file: `[params]`, `[[actor]]` and `[faults]`, and their
//! validation into a [`Spec`] the model is built from.

use serde::Deserialize;
use toml::Spanned;

use super::version::{POLL_MS, TIMEOUT_MS};
use crate::models::env::{self, ActorEnv, EnvSpec, FaultsFile, HostFile, HostSpec, MAX_ACTORS};
use crate::models::process_keys::{process_actor_file, process_env, process_name, Place};
use crate::scenario::{at, Choice, File, ScenarioError, Source};

/// `[params]`. Every time is in milliseconds. The protocol's constants are the versions' own
/// (protocols.md §4.3); overriding them is for experiments.
#[derive(Deserialize, Default, Debug)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// `LOCK_POLL_MS` (default 250).
    pub poll_ms: Option<Spanned<i64>>,
    /// `LOCK_TIMEOUT_MS` (default 15 min).
    pub timeout_ms: Option<Spanned<i64>>,
    /// Overrides every version's stale age (default: V0 30 min, V1 and V2 10 min).
    pub stale_ms: Option<Spanned<i64>>,
    /// `bounded-wait`: the bound on a waiter (default timeout + poll).
    pub wait_bound_ms: Option<Spanned<i64>>,
    /// The hosts (default: one, `local`). Hosts sharing one cache directory model a network
    /// filesystem; each host's clock stamps the mtimes it writes.
    #[serde(default)]
    pub host: Vec<Spanned<HostFile>>,
}

process_actor_file! {
    /// One `[[actor]]`: a process that prewarms under the lock, or one that only waits for it.
    pub struct ActorFile {
        /// "prewarm" (withSandboxTemplatePrewarmLock, default) or "wait"
        /// (waitForSandboxTemplatePrewarmLock, which also reclaims).
        pub role: Option<Spanned<String>>,
        /// How long its prewarm callback runs once it holds the lock (default 500).
        pub prewarm_ms: Option<Spanned<Choice<u64>>>,
        /// Whether its owner.json records the hostname (default true; false models a process
        /// of a version before PR #441, the "upgrade-transitional" holder).
        pub records_hostname: Option<bool>,
    }
}

pub type PrewarmLockFile = File<Params, ActorFile, FaultsFile>;

/// Named points of the protocol where a scenario can crash or pause an actor.
pub const POINTS: &[(&str, &str)] = &[
    (
        "claimed",
        "mkdir(lock) succeeded; owner.json is not written yet",
    ),
    (
        "prewarming",
        "the lock is held: inside the prewarm callback",
    ),
    (
        "reclaim-judged",
        "a waiter has judged the lock reclaimable, before it acts",
    ),
    (
        "intent-created",
        "V2: the recovery intent's directory exists, owner.json not yet written",
    ),
    (
        "tombstoned",
        "V2: the judged lock was renamed to a tombstone, before rm -rf",
    ),
    (
        "waiter-returned",
        "a release-waiter (role = \"wait\") found the lock gone and returns",
    ),
];

pub const P_CLAIMED: u8 = 0;
pub const P_PREWARMING: u8 = 1;
pub const P_RECLAIM_JUDGED: u8 = 2;
pub const P_INTENT_CREATED: u8 = 3;
pub const P_TOMBSTONED: u8 = 4;
pub const P_WAITER_RETURNED: u8 = 5;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Prewarm,
    Wait,
}

#[derive(Clone, Debug)]
pub struct ActorSpec {
    pub name: String,
    pub role: Role,
    pub arrive: Vec<u64>,
    pub prewarm: Vec<u64>,
    pub records_hostname: bool,
    pub env: ActorEnv,
}

#[derive(Clone, Debug)]
pub struct Spec {
    pub poll: u64,
    pub timeout: u64,
    pub stale: Option<u64>,
    pub wait_bound: u64,
    pub env: EnvSpec,
    pub actors: Vec<ActorSpec>,
}

/// The names a `[faults] syscall` entry may use for a path.
pub fn path_names(actors: &[String]) -> Vec<String> {
    let mut v: Vec<String> = ["parent", "lock", "owner.json", "recovery"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    for a in actors {
        v.push(format!("tombstone-{a}"));
        v.push(format!("intent-{a}"));
        v.push(format!("released-{a}"));
    }
    v
}

/// Validates a prewarm-lock scenario section by section, in the order its errors are reported.
pub fn validate(src: &Source, f: &PrewarmLockFile) -> Result<Spec, ScenarioError> {
    let default_params = Params::default();
    let p = f.params.as_ref().unwrap_or(&default_params);
    let poll = env::opt_ms(src, &p.poll_ms, "poll_ms", 1)?.unwrap_or(POLL_MS);
    let timeout = env::opt_ms(src, &p.timeout_ms, "timeout_ms", 0)?.unwrap_or(TIMEOUT_MS);
    let stale = env::opt_ms(src, &p.stale_ms, "stale_ms", 0)?;
    let wait_bound =
        env::opt_ms(src, &p.wait_bound_ms, "wait_bound_ms", 0)?.unwrap_or(timeout + poll);
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
    Ok(Spec {
        poll,
        timeout,
        stale,
        wait_bound,
        env,
        actors,
    })
}

/// The `[[actor]]` list: at least one process, and no more than the world keeps inline.
fn actor_count(src: &Source, f: &PrewarmLockFile) -> Result<(), ScenarioError> {
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
    let role = role(src, a)?;
    let arrive = crate::scenario::instants(src, &a.arrive_ms, "arrive_ms")?;
    let prewarm = match &a.prewarm_ms {
        None => vec![500],
        Some(c) if role == Role::Wait => {
            return Err(at(src, c, "a waiter does not prewarm")
                .help("remove `prewarm_ms`, or make the actor `role = \"prewarm\"`"))
        }
        Some(c) => env::times(src, c, "prewarm_ms")?,
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
        role,
        arrive,
        prewarm,
        records_hostname: a.records_hostname.unwrap_or(true),
        env,
    })
}

/// `role`: whether the actor prewarms under the lock (the default) or only waits for it.
fn role(src: &Source, a: &ActorFile) -> Result<Role, ScenarioError> {
    match &a.role {
        None => Ok(Role::Prewarm),
        Some(r) => match r.get_ref().as_str() {
            "prewarm" => Ok(Role::Prewarm),
            "wait" => Ok(Role::Wait),
            other => Err(at(src, r, format!("unknown role `{other}`")).help(
                "use \"prewarm\" (withSandboxTemplatePrewarmLock) or \"wait\" (waitForSandboxTemplatePrewarmLock)",
            )),
        },
    }
}
