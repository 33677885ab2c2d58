//! The isolate part of a scenario file: `[params]` (optionally with the init lock in module
//! state),
//! `[faults]` and `[[actor]]`, and their validation into a [`Spec`] the model is built from.

use serde::Deserialize;
use toml::Spanned;

use crate::models::init_lock;
use crate::protocol::ProtocolInfo;
use crate::scenario::{at, Choice, File, ScenarioError, Source};

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
/// Times are stored in 32 bits.
const TIME_MAX: u64 = u32::MAX as u64 / 2;

pub fn validate(
    src: &Source,
    f: &IsolateFile,
    guest_checks: &[&str],
    guest_check_span: Option<std::ops::Range<usize>>,
) -> Result<Spec, ScenarioError> {
    let default_params = Params::default();
    let p = f.params.as_ref().unwrap_or(&default_params);
    let dynamic = match &p.worker {
        None => false,
        Some(s) => match s.get_ref().as_str() {
            "static" => false,
            "dynamic" => true,
            other => {
                return Err(at(src, s, format!("unknown worker kind `{other}`")).help(
                    "use \"static\" (from the config) or \"dynamic\" (a Worker Loader isolate)",
                ))
            }
        },
    };
    let max_generations = match &p.max_generations {
        None => 2,
        Some(s) if *s.get_ref() == 0 => {
            return Err(at(
                src,
                s,
                "`max_generations` = 0 forbids the worker itself; use at least 1",
            ))
        }
        Some(s) if *s.get_ref() > MAX_GENERATIONS as u64 => {
            return Err(at(
                src,
                s,
                format!(
                    "`max_generations` above {MAX_GENERATIONS} can never be reached (one generation per request plus the first)"
                ),
            ))
        }
        Some(s) => *s.get_ref() as u8,
    };
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

    let factory = match f.faults.as_ref().and_then(|x| x.factory.as_ref()) {
        None => vec![Factory::Ok],
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
            .collect::<Result<_, _>>()?,
    };

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
    if p.init_lock.is_none() {
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
        if let Some(id) = guest_checks.first() {
            return Err(src
                .error(
                    guest_check_span,
                    format!("`{id}` is an invariant of the init lock, and this scenario's module state holds none"),
                )
                .help("add `init_lock = \"<init-lock variant>\"` to [params], or check an isolate invariant"));
        }
    }

    let nums = |c: &Spanned<Choice<u64>>, what: &str| -> Result<Vec<u64>, ScenarioError> {
        let v = c
            .get_ref()
            .values()
            .map_err(|why| at(src, c, format!("`{what}`: {why}")))?;
        if let Some(bad) = v.iter().find(|&&x| x > TIME_MAX) {
            return Err(at(
                src,
                c,
                format!("`{what}` = {bad} is beyond the supported horizon ({TIME_MAX} ms)"),
            ));
        }
        Ok(v)
    };

    let mut actors: Vec<ActorSpec> = Vec::new();
    let mut guest_actors: Vec<init_lock::ActorSpec> = Vec::new();
    for a in &f.actor {
        let a = a.get_ref();
        let name = a.name.get_ref().trim().to_string();
        if name.is_empty() {
            return Err(at(src, &a.name, "an actor needs a non-empty name"));
        }
        if actors.iter().any(|x| x.name == name) {
            return Err(at(src, &a.name, format!("two actors are named `{name}`"))
                .help("give every actor its own name"));
        }
        let kind = match &a.kind {
            None => Kind::Http,
            Some(k) => match k.get_ref().as_str() {
                "http" => Kind::Http,
                "websocket" => Kind::WebSocket,
                "durable-object" => Kind::DurableObject,
                other => {
                    return Err(at(src, k, format!("unknown request kind `{other}`"))
                        .help("use \"http\", \"websocket\" or \"durable-object\""))
                }
            },
        };
        let arrive = nums(&a.arrive_ms, "arrive_ms")?;
        let work = match &a.work_ms {
            Some(w) => Some(nums(w, "work_ms")?),
            None if kind == Kind::Http => Some(vec![0]),
            None => None,
        };
        let abort_after = match &a.abort_after_ms {
            Some(w) => Some(nums(w, "abort_after_ms")?),
            None => None,
        };
        if let (Some(ab), Some(w), Some(span)) = (&abort_after, &work, &a.abort_after_ms) {
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
        let cancel_at = match &a.cancel_at_ms {
            None => None,
            Some(c) => {
                if *c.get_ref() < arrive[0] || *c.get_ref() > TIME_MAX {
                    return Err(at(
                        src,
                        c,
                        format!(
                            "`cancel_at_ms` = {} comes before the actor can arrive ({} ms)",
                            c.get_ref(),
                            arrive[0]
                        ),
                    )
                    .help("a request can only be cancelled once it has arrived"));
                }
                Some(*c.get_ref())
            }
        };
        let mut init_ms = vec![0];
        let mut outcome = vec![init_lock::InitOutcome::Ok];
        if a.init {
            let Some(_) = &p.init_lock else {
                return Err(src
                    .error(Some(a.name.span()), format!("`{name}` calls the init lock (`init = true`), and the module state holds none"))
                    .help("add `init_lock = \"<init-lock variant>\"` to [params]"));
            };
            if let Some(w) = &a.work_ms {
                return Err(at(src, w, "a request with `init = true` responds when the init lock returns: it has no `work_ms`")
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
            if let Some(c) = &a.init_ms {
                init_ms = nums(c, "init_ms")?;
            }
            if let Some(c) = &a.init_outcome {
                outcome = c
                    .get_ref()
                    .items()
                    .map_err(|why| at(src, c, format!("`init_outcome`: {why}")))?
                    .iter()
                    .map(|s| {
                        init_lock::InitOutcome::ALL
                            .iter()
                            .copied()
                            .find(|o| o.name() == s)
                            .ok_or_else(|| {
                                at(src, c, format!("unknown init outcome `{s}`")).help(
                                "use \"ok\", \"fail\", \"hang\", \"throw-sync\" or \"cancelled\"",
                            )
                            })
                    })
                    .collect::<Result<_, _>>()?;
            }
        } else {
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
        }
        guest_actors.push(init_lock::ActorSpec::hosted(name.clone(), init_ms, outcome));
        actors.push(ActorSpec {
            name,
            kind,
            arrive,
            work,
            abort_after,
            cancel_at,
            init: a.init,
        });
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
    let version = init_lock::Version::from_name(variant.get_ref()).ok_or_else(|| {
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
    })?;
    let time =
        |v: &Option<Spanned<u64>>, what: &str, min: u64| -> Result<Option<u64>, ScenarioError> {
            match v {
                None => Ok(None),
                Some(s) if *s.get_ref() < min || *s.get_ref() > TIME_MAX => Err(at(
                    src,
                    s,
                    format!(
                        "`{what}` = {} is impossible: it must be between {min} and {TIME_MAX}",
                        s.get_ref()
                    ),
                )),
                Some(s) => Ok(Some(*s.get_ref())),
            }
        };
    let max_inits = match &p.init_max_inits {
        Some(s) if *s.get_ref() == 0 || *s.get_ref() > 200 => {
            return Err(at(src, s, "`init_max_inits` must be between 1 and 200"))
        }
        Some(s) => *s.get_ref(),
        None => 2,
    };
    let lock = init_lock::Overrides {
        deadline: time(&p.init_deadline_ms, "init_deadline_ms", 1)?,
        poll: time(&p.init_poll_ms, "init_poll_ms", 1)?,
        max_wait: time(&p.init_max_wait_ms, "init_max_wait_ms", 0)?,
        legit_init: time(&p.init_legit_init_ms, "init_legit_init_ms", 0)?,
    };
    let spec = init_lock::Spec::single(
        init_lock::LockKind::Runtime,
        lock,
        max_inits,
        time(&p.init_wait_bound_ms, "init_wait_bound_ms", 0)?,
        time(&p.init_platform_wall_ms, "init_platform_wall_ms", 1)?
            .unwrap_or(init_lock::PLATFORM_WALL_MS),
        p.init_anchor.as_ref().map(|b| *b.get_ref()),
        actors,
    );
    Ok(InitLockConf { version, spec })
}
