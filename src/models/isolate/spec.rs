//! The isolate part of a scenario file: `[params]` (optionally with the init lock in module
//! state),
//! `[faults]` and `[[actor]]`, and their validation into a [`Spec`] the model is built from.

use serde::Deserialize;
use toml::Spanned;

use crate::models::init_lock;
use crate::protocol::ProtocolInfo;
use crate::scenario::{at, Choice, File, ScenarioError, Source};
use crate::scenario::{times, TIME_MAX};

/// `[params]`.
#[derive(Deserialize, Default, Debug)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// "static" (default: a worker from the config, with a factory in W-V1/W-V2) or
    /// "dynamic" (a Worker Loader isolate: no factory before W-V3).
    pub worker: Option<Spanned<String>>,
    /// `bounded-generations`: how many generations may be alive at once (default 2: the
    /// current one and one draining).
    pub max_generations: Option<Spanned<u64>>,
    /// What the worker's configuration uses, for `same-config`: "python", "commonjs",
    /// "capnp" (the parts W-V2's factory drops), "env", "service-bindings",
    /// "durable-objects" (the parts it keeps).
    pub features: Option<Spanned<Vec<Spanned<String>>>>,
    /// Finer granularity than workerd has (W-V2-d): `abortIsolate`'s rejection of the epoch
    /// and its start of the next one are two steps, so a request can start in between.
    #[serde(default)]
    pub split_abort: bool,
    /// The module state holds emdash's init lock, this init-lock variant (e.g. "v0-flag"),
    /// run inside each generation. The `init_*` keys below are its constants (milliseconds);
    /// those left out take the variant's own call-site values.
    pub init_lock: Option<Spanned<String>>,
    pub init_deadline_ms: Option<Spanned<u64>>,
    pub init_poll_ms: Option<Spanned<u64>>,
    pub init_max_wait_ms: Option<Spanned<u64>>,
    /// `max-inits`: at most this many init calls per generation's lock (default 2).
    pub init_max_inits: Option<Spanned<u64>>,
    /// `bounded-wait`: how long a caller may wait (default max wait + poll; V0: the
    /// platform's wall limit).
    pub init_wait_bound_ms: Option<Spanned<u64>>,
    pub init_platform_wall_ms: Option<Spanned<u64>>,
    /// `no-premature-reclaim`: the slowest legitimate init.
    pub init_legit_init_ms: Option<Spanned<u64>>,
    /// Whether the call site anchors init with `after()` (default: V2 and later do).
    pub init_anchor: Option<Spanned<bool>>,
}

/// `[faults]`.
#[derive(Deserialize, Default, Debug)]
#[serde(deny_unknown_fields)]
pub struct Faults {
    /// How the worker factory behaves when `startRequest` calls it: "ok", "throws-once"
    /// (the first call throws, later ones succeed), "throws-twice", "throws-N" (the first N
    /// calls throw, N from 1 to 100), "throws-always"; a list lets the explorer choose at the
    /// first call.
    pub factory: Option<Spanned<Choice<String>>>,
}

/// One `[[actor]]`: a request to the worker.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct ActorFile {
    pub name: Spanned<String>,
    /// "http" (default), "websocket" or "durable-object" (a long-lived IoContext).
    pub kind: Option<Spanned<String>>,
    pub arrive_ms: Spanned<Choice<u64>>,
    /// How long the handler runs before it responds. Left out: an HTTP request responds in
    /// the turn after it starts; a WebSocket or Durable Object stays open to the end.
    pub work_ms: Option<Spanned<Choice<u64>>>,
    /// The handler calls `abortIsolate()` (W-V1: `resetWorker()`) this long after it starts.
    pub abort_after_ms: Option<Spanned<Choice<u64>>>,
    /// The client goes away at this instant: the request's continuation is dropped.
    pub cancel_at_ms: Option<Spanned<u64>>,
    /// The handler calls the module's init lock (`getRuntime()`), and responds when it
    /// returns. Needs `init_lock` in `[params]`.
    #[serde(default)]
    pub init: bool,
    /// With `init`: how long this request's init runs if it owns the lock, and how it ends
    /// ("ok", "fail", "hang", "throw-sync", "cancelled"), as in init-lock scenarios.
    pub init_ms: Option<Spanned<Choice<u64>>>,
    pub init_outcome: Option<Spanned<Choice<String>>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    Http,
    WebSocket,
    DurableObject,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Http => "http",
            Kind::WebSocket => "websocket",
            Kind::DurableObject => "durable-object",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Factory {
    Ok,
    /// The first `n` calls throw, later ones succeed (`throws-once` is `Throws(1)`).
    Throws(u8),
    ThrowsAlways,
}

/// Most failing calls a `throws-N` factory may name: more than any scenario has requests.
pub const FACTORY_THROWS_MAX: u8 = 100;

impl Factory {
    fn parse(s: &str) -> Option<Factory> {
        match s {
            "ok" => Some(Factory::Ok),
            "throws-once" => Some(Factory::Throws(1)),
            "throws-twice" => Some(Factory::Throws(2)),
            "throws-always" => Some(Factory::ThrowsAlways),
            _ => {
                let n: u8 = s.strip_prefix("throws-")?.parse().ok()?;
                (1..=FACTORY_THROWS_MAX)
                    .contains(&n)
                    .then_some(Factory::Throws(n))
            }
        }
    }
    pub fn name(self) -> String {
        match self {
            Factory::Ok => "ok".to_string(),
            Factory::Throws(1) => "throws-once".to_string(),
            Factory::Throws(n) => format!("throws-{n}"),
            Factory::ThrowsAlways => "throws-always".to_string(),
        }
    }
    /// Whether call number `call` (1-based) throws.
    pub fn throws(self, call: u8) -> bool {
        match self {
            Factory::Ok => false,
            Factory::Throws(n) => call <= n,
            Factory::ThrowsAlways => true,
        }
    }
    /// The call count past which this outcome no longer changes: a model counts calls up to
    /// it and no further, so later calls add no states.
    pub fn calls_that_matter(self) -> u8 {
        match self {
            Factory::Throws(n) => n + 1,
            Factory::Ok | Factory::ThrowsAlways => 2,
        }
    }
}

/// Configuration features (bits of [`Spec::features`]); the first three are the ones W-V2's
/// factory drops.
pub const FEATURES: &[(&str, &str)] = &[
    ("python", "Python memory snapshot and preloadPython()"),
    ("commonjs", "CommonJS named exports"),
    ("capnp", "capnp schemas"),
    ("env", "env text/json bindings"),
    ("service-bindings", "service bindings"),
    ("durable-objects", "Durable Object namespaces"),
];
/// The features W-V2's `OwnedWorkerSource` factory loses.
pub const LOST_BY_FACTORY: u8 = 0b111;

/// A validated actor: every open value as its list of alternatives.
#[derive(Clone, Debug)]
pub struct ActorSpec {
    pub name: String,
    pub kind: Kind,
    pub arrive: Vec<u64>,
    /// `None`: stays open to the end of the run.
    pub work: Option<Vec<u64>>,
    pub abort_after: Option<Vec<u64>>,
    pub cancel_at: Option<u64>,
    pub init: bool,
}

/// The init lock of the module state: its variant and its model's specification (one guest
/// actor per request; only requests with `init` ever enter it).
#[derive(Clone, Debug)]
pub struct InitLockConf {
    pub version: init_lock::Version,
    pub spec: init_lock::Spec,
}

#[derive(Clone, Debug)]
pub struct Spec {
    pub dynamic: bool,
    pub max_generations: u8,
    pub features: u8,
    pub split_abort: bool,
    pub factory: Vec<Factory>,
    pub init_lock: Option<InitLockConf>,
    pub actors: Vec<ActorSpec>,
}

pub type IsolateFile = File<Params, ActorFile, Faults>;

/// Most requests a scenario may have (the world keeps them inline).
pub const MAX_ACTORS: usize = 8;
/// Generations ever created: the first plus at most one per request.
pub const MAX_GENERATIONS: usize = MAX_ACTORS + 1;

/// Validates an isolate scenario section by section, in the order its errors are reported.
pub fn validate(
    src: &Source,
    f: &IsolateFile,
    guest_checks: &[&str],
    guest_check_span: Option<std::ops::Range<usize>>,
) -> Result<Spec, ScenarioError> {
    let default_params = Params::default();
    let p = f.params.as_ref().unwrap_or(&default_params);
    let dynamic = worker_kind(src, p)?;
    let max_generations = max_generations(src, p)?;
    let features = features(src, p)?;
    let factory = factory(src, f.faults.as_ref())?;
    actor_count(src, f)?;
    if p.init_lock.is_none() {
        no_init_lock_keys(src, p)?;
        no_guest_checks(src, guest_checks, guest_check_span)?;
    }

    let mut actors: Vec<ActorSpec> = Vec::new();
    let mut guest_actors: Vec<init_lock::ActorSpec> = Vec::new();
    for a in &f.actor {
        let (request, guest) = actor(src, a.get_ref(), p, &actors)?;
        guest_actors.push(guest);
        actors.push(request);
    }

    let init_lock = match &p.init_lock {
        None => None,
        Some(v) => Some(init_lock_conf(src, v, p, guest_checks, guest_actors)?),
    };
    Ok(Spec {
        dynamic,
        max_generations,
        features,
        split_abort: p.split_abort,
        factory,
        init_lock,
        actors,
    })
}

/// `worker`: whether the worker is a dynamic (Worker Loader) isolate rather than a static one.
fn worker_kind(src: &Source, p: &Params) -> Result<bool, ScenarioError> {
    match &p.worker {
        None => Ok(false),
        Some(s) => match s.get_ref().as_str() {
            "static" => Ok(false),
            "dynamic" => Ok(true),
            other => Err(at(src, s, format!("unknown worker kind `{other}`"))
                .help("use \"static\" (from the config) or \"dynamic\" (a Worker Loader isolate)")),
        },
    }
}

/// `max_generations`: the `bounded-generations` limit, which must be reachable and allow one.
fn max_generations(src: &Source, p: &Params) -> Result<u8, ScenarioError> {
    match &p.max_generations {
        None => Ok(2),
        Some(s) if *s.get_ref() == 0 => Err(at(
            src,
            s,
            "`max_generations` = 0 forbids the worker itself; use at least 1",
        )),
        Some(s) if *s.get_ref() > MAX_GENERATIONS as u64 => Err(at(
            src,
            s,
            format!(
                "`max_generations` above {MAX_GENERATIONS} can never be reached (one generation per request plus the first)"
            ),
        )),
        Some(s) => Ok(*s.get_ref() as u8),
    }
}

/// `features`: the configuration's features as bits of [`FEATURES`], each name checked.
fn features(src: &Source, p: &Params) -> Result<u8, ScenarioError> {
    let mut features = 0u8;
    if let Some(fs) = &p.features {
        for x in fs.get_ref() {
            let Some(i) = FEATURES.iter().position(|(n, _)| n == x.get_ref()) else {
                return Err(
                    at(src, x, format!("unknown feature `{}`", x.get_ref())).help(format!(
                        "the features are: {}",
                        FEATURES
                            .iter()
                            .map(|(n, _)| *n)
                            .collect::<Vec<_>>()
                            .join(", ")
                    )),
                );
            };
            features |= 1 << i;
        }
    }
    Ok(features)
}

/// `[faults] factory`: the worker factory's outcomes the explorer may choose from.
fn factory(src: &Source, faults: Option<&Faults>) -> Result<Vec<Factory>, ScenarioError> {
    match faults.and_then(|x| x.factory.as_ref()) {
        None => Ok(vec![Factory::Ok]),
        Some(c) => c
            .get_ref()
            .items()
            .map_err(|why| at(src, c, format!("`factory`: {why}")))?
            .iter()
            .map(|s| {
                Factory::parse(s).ok_or_else(|| {
                    at(src, c, format!("unknown factory outcome `{s}`"))
                        .help("use \"ok\", \"throws-once\", \"throws-twice\", \"throws-N\" (the first N calls throw, N from 1 to 100) or \"throws-always\"")
                })
            })
            .collect(),
    }
}

/// The `[[actor]]` list: at least one request, and no more than the world keeps inline.
fn actor_count(src: &Source, f: &IsolateFile) -> Result<(), ScenarioError> {
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

/// Without an init lock in module state, its `init_*` keys in [params] configure nothing.
fn no_init_lock_keys(src: &Source, p: &Params) -> Result<(), ScenarioError> {
    let stray = [
        (
            "init_deadline_ms",
            p.init_deadline_ms.as_ref().map(|s| s.span()),
        ),
        ("init_poll_ms", p.init_poll_ms.as_ref().map(|s| s.span())),
        (
            "init_max_wait_ms",
            p.init_max_wait_ms.as_ref().map(|s| s.span()),
        ),
        (
            "init_max_inits",
            p.init_max_inits.as_ref().map(|s| s.span()),
        ),
        (
            "init_wait_bound_ms",
            p.init_wait_bound_ms.as_ref().map(|s| s.span()),
        ),
        (
            "init_platform_wall_ms",
            p.init_platform_wall_ms.as_ref().map(|s| s.span()),
        ),
        (
            "init_legit_init_ms",
            p.init_legit_init_ms.as_ref().map(|s| s.span()),
        ),
        ("init_anchor", p.init_anchor.as_ref().map(|s| s.span())),
    ];
    if let Some((k, span)) = stray.into_iter().find(|(_, s)| s.is_some()) {
        return Err(src
            .error(
                span,
                format!("`{k}` configures the init lock in module state, and there is none"),
            )
            .help("add `init_lock = \"<init-lock variant>\"` to [params], or remove the key"));
    }
    Ok(())
}

/// Without an init lock in module state, the init lock's invariants have nothing to check.
fn no_guest_checks(
    src: &Source,
    guest_checks: &[&str],
    guest_check_span: Option<std::ops::Range<usize>>,
) -> Result<(), ScenarioError> {
    if let Some(id) = guest_checks.first() {
        return Err(src
            .error(
                guest_check_span,
                format!("`{id}` is an invariant of the init lock, and this scenario's module state holds none"),
            )
            .help("add `init_lock = \"<init-lock variant>\"` to [params], or check an isolate invariant"));
    }
    Ok(())
}

/// One `[[actor]]`: the request and its guest in the init lock (`earlier`: for unique names).
fn actor(
    src: &Source,
    a: &ActorFile,
    p: &Params,
    earlier: &[ActorSpec],
) -> Result<(ActorSpec, init_lock::ActorSpec), ScenarioError> {
    let name = actor_name(src, a, earlier)?;
    let kind = request_kind(src, a)?;
    let arrive = crate::scenario::instants(src, &a.arrive_ms, "arrive_ms")?;
    let work = work(src, a, kind)?;
    let abort_after = abort_after(src, a, &work)?;
    let cancel_at = cancel_at(src, a, arrive[0])?;
    let (init_ms, outcome) = if a.init {
        init_call(src, a, p, &name)?
    } else {
        no_init_keys(src, a)?;
        (vec![0], vec![init_lock::InitOutcome::Ok])
    };
    let guest = init_lock::ActorSpec::hosted(name.clone(), init_ms, outcome);
    let request = ActorSpec {
        name,
        kind,
        arrive,
        work,
        abort_after,
        cancel_at,
        init: a.init,
    };
    Ok((request, guest))
}

/// `name`: non-empty and unlike every earlier request's, so timelines can tell them apart.
fn actor_name(src: &Source, a: &ActorFile, earlier: &[ActorSpec]) -> Result<String, ScenarioError> {
    let name = a.name.get_ref().trim().to_string();
    if name.is_empty() {
        return Err(at(src, &a.name, "an actor needs a non-empty name"));
    }
    if earlier.iter().any(|x| x.name == name) {
        return Err(at(src, &a.name, format!("two actors are named `{name}`"))
            .help("give every actor its own name"));
    }
    Ok(name)
}

/// `kind`: what sort of request this is (an HTTP request unless the file says otherwise).
fn request_kind(src: &Source, a: &ActorFile) -> Result<Kind, ScenarioError> {
    match &a.kind {
        None => Ok(Kind::Http),
        Some(k) => match k.get_ref().as_str() {
            "http" => Ok(Kind::Http),
            "websocket" => Ok(Kind::WebSocket),
            "durable-object" => Ok(Kind::DurableObject),
            other => Err(at(src, k, format!("unknown request kind `{other}`"))
                .help("use \"http\", \"websocket\" or \"durable-object\"")),
        },
    }
}

/// `work_ms`: how long the handler runs (`None`: it stays open to the end of the run).
fn work(src: &Source, a: &ActorFile, kind: Kind) -> Result<Option<Vec<u64>>, ScenarioError> {
    match &a.work_ms {
        Some(w) => Ok(Some(times(src, w, "work_ms")?)),
        None if kind == Kind::Http => Ok(Some(vec![0])),
        None => Ok(None),
    }
}

/// `abort_after_ms`: when the handler calls abortIsolate(), which it can only do while it runs.
fn abort_after(
    src: &Source,
    a: &ActorFile,
    work: &Option<Vec<u64>>,
) -> Result<Option<Vec<u64>>, ScenarioError> {
    let abort_after = match &a.abort_after_ms {
        Some(w) => Some(times(src, w, "abort_after_ms")?),
        None => None,
    };
    if let (Some(ab), Some(w), Some(span)) = (&abort_after, work, &a.abort_after_ms) {
        let (late, early) = (ab.iter().max().unwrap(), w.iter().min().unwrap());
        if late > early {
            return Err(at(
                src,
                span,
                format!(
                    "`abort_after_ms` = {late} comes after the handler has responded (`work_ms` = {early})"
                ),
            )
            .help("the handler can only call abortIsolate() while it runs: make `work_ms` longer, or leave it out for a WebSocket"));
        }
        if ab.len() * w.len() > crate::scenario::MAX_ALTERNATIVES {
            return Err(at(
                src,
                span,
                "too many combinations of `work_ms` and `abort_after_ms` (at most 250)",
            ));
        }
    }
    Ok(abort_after)
}

/// `cancel_at_ms`: a client can only go away once its request has arrived.
fn cancel_at(src: &Source, a: &ActorFile, arrive: u64) -> Result<Option<u64>, ScenarioError> {
    let Some(c) = &a.cancel_at_ms else {
        return Ok(None);
    };
    if *c.get_ref() < arrive || *c.get_ref() > TIME_MAX {
        return Err(at(
            src,
            c,
            format!(
                "`cancel_at_ms` = {} comes before the actor can arrive ({} ms)",
                c.get_ref(),
                arrive
            ),
        )
        .help("a request can only be cancelled once it has arrived"));
    }
    Ok(Some(*c.get_ref()))
}

/// `init = true`: a request that calls the module's init lock, responding when the call returns.
fn init_call(
    src: &Source,
    a: &ActorFile,
    p: &Params,
    name: &str,
) -> Result<(Vec<u64>, Vec<init_lock::InitOutcome>), ScenarioError> {
    let Some(_) = &p.init_lock else {
        return Err(src
            .error(
                Some(a.name.span()),
                format!(
                    "`{name}` calls the init lock (`init = true`), and the module state holds none"
                ),
            )
            .help("add `init_lock = \"<init-lock variant>\"` to [params]"));
    };
    if let Some(w) = &a.work_ms {
        return Err(at(
            src,
            w,
            "a request with `init = true` responds when the init lock returns: it has no `work_ms`",
        )
        .help("use `init_ms` for how long its init runs"));
    }
    if let Some(w) = &a.abort_after_ms {
        return Err(at(
            src,
            w,
            "a request with `init = true` does not also call abortIsolate()",
        )
        .help("give the abort to a request of its own"));
    }
    let mut init_ms = vec![0];
    if let Some(c) = &a.init_ms {
        init_ms = times(src, c, "init_ms")?;
    }
    let mut outcome = vec![init_lock::InitOutcome::Ok];
    if let Some(c) = &a.init_outcome {
        outcome = init_outcomes(src, c)?;
    }
    Ok((init_ms, outcome))
}

/// `init_outcome`: how the request's init may end, by the init lock's outcome names.
fn init_outcomes(
    src: &Source,
    c: &Spanned<Choice<String>>,
) -> Result<Vec<init_lock::InitOutcome>, ScenarioError> {
    c.get_ref()
        .items()
        .map_err(|why| at(src, c, format!("`init_outcome`: {why}")))?
        .iter()
        .map(|s| {
            init_lock::InitOutcome::ALL
                .iter()
                .copied()
                .find(|o| o.name() == s)
                .ok_or_else(|| {
                    at(src, c, format!("unknown init outcome `{s}`"))
                        .help("use \"ok\", \"fail\", \"hang\", \"throw-sync\" or \"cancelled\"")
                })
        })
        .collect()
}

/// Without `init = true`, the request never enters the init lock, so its init keys mean nothing.
fn no_init_keys(src: &Source, a: &ActorFile) -> Result<(), ScenarioError> {
    for (k, v) in [
        ("init_ms", a.init_ms.as_ref().map(|s| s.span())),
        ("init_outcome", a.init_outcome.as_ref().map(|s| s.span())),
    ] {
        if let Some(span) = v {
            return Err(src
                .error(
                    Some(span),
                    format!("`{k}` only applies to a request that calls the init lock"),
                )
                .help("add `init = true`"));
        }
    }
    Ok(())
}

/// The init lock in module state: its variant, and its model's spec from the `init_*` keys.
fn init_lock_conf(
    src: &Source,
    variant: &Spanned<String>,
    p: &Params,
    guest_checks: &[&str],
    actors: Vec<init_lock::ActorSpec>,
) -> Result<InitLockConf, ScenarioError> {
    if guest_checks.contains(&"no-premature-reclaim") && p.init_legit_init_ms.is_none() {
        return Err(at(
            src,
            variant,
            "`no-premature-reclaim` needs to know how long a legitimate init may run",
        )
        .help("set `init_legit_init_ms` in [params]"));
    }
    let version = init_lock_version(src, variant)?;
    let max_inits = init_max_inits(src, p)?;
    let lock = init_lock::Overrides {
        deadline: crate::scenario::optional_time(src, &p.init_deadline_ms, "init_deadline_ms", 1)?,
        poll: crate::scenario::optional_time(src, &p.init_poll_ms, "init_poll_ms", 1)?,
        max_wait: crate::scenario::optional_time(src, &p.init_max_wait_ms, "init_max_wait_ms", 0)?,
        legit_init: crate::scenario::optional_time(
            src,
            &p.init_legit_init_ms,
            "init_legit_init_ms",
            0,
        )?,
    };
    let spec = init_lock::Spec::single(
        init_lock::LockKind::Runtime,
        lock,
        max_inits,
        crate::scenario::optional_time(src, &p.init_wait_bound_ms, "init_wait_bound_ms", 0)?,
        crate::scenario::optional_time(src, &p.init_platform_wall_ms, "init_platform_wall_ms", 1)?
            .unwrap_or(init_lock::PLATFORM_WALL_MS),
        p.init_anchor.as_ref().map(|b| *b.get_ref()),
        actors,
    );
    Ok(InitLockConf { version, spec })
}

/// `init_lock`: the init-lock variant by name, listing the variants when it is unknown.
fn init_lock_version(
    src: &Source,
    variant: &Spanned<String>,
) -> Result<init_lock::Version, ScenarioError> {
    init_lock::Version::from_name(variant.get_ref()).ok_or_else(|| {
        at(
            src,
            variant,
            format!("unknown init-lock variant `{}`", variant.get_ref()),
        )
        .help(format!(
            "the variants of `init-lock` are: {}",
            init_lock::PROTOCOL
                .variants()
                .iter()
                .map(|v| v.name)
                .collect::<Vec<_>>()
                .join(", ")
        ))
    })
}

/// `init_max_inits`: the `max-inits` limit of each generation's lock (default 2).
fn init_max_inits(src: &Source, p: &Params) -> Result<u64, ScenarioError> {
    match &p.init_max_inits {
        Some(s) if *s.get_ref() == 0 || *s.get_ref() > 200 => {
            Err(at(src, s, "`init_max_inits` must be between 1 and 200"))
        }
        Some(s) => Ok(*s.get_ref()),
        None => Ok(2),
    }
}
