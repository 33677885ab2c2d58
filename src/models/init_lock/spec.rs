//! The init-lock part of a scenario file: `[params]` and `[[actor]]`, and their validation
//! into a [`Spec`] the model is built from.

use serde::Deserialize;
use toml::Spanned;

use super::version::{LockKind, PLATFORM_WALL_MS};
use crate::scenario::TIME_MAX;
use crate::scenario::{at, Choice, File, ScenarioError, Source};

/// `[params]`. Every time is in milliseconds. Lock constants left out take the variant's own
/// call-site values (protocols.md §1.4), exactly as the historical code would.
#[derive(Deserialize, Default, Debug)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// Which singleton the (outer) lock guards: "runtime" (default) or "db".
    pub lock: Option<Spanned<String>>,
    /// The runtime lock's init acquires the db lock (protocols.md §1.1: the locks nest).
    /// `[false, true]` leaves it open: the explorers run both structures.
    pub nested: Option<Spanned<Flag>>,
    /// The bundler duplicated the module: two copies, one lock each unless the variant keeps
    /// its singletons on `globalThis`. `[false, true]` leaves it open.
    pub duplicated_module: Option<Spanned<Flag>>,
    pub deadline_ms: Option<Spanned<u64>>,
    pub poll_ms: Option<Spanned<u64>>,
    pub max_wait_ms: Option<Spanned<u64>>,
    pub inner_deadline_ms: Option<Spanned<u64>>,
    pub inner_poll_ms: Option<Spanned<u64>>,
    pub inner_max_wait_ms: Option<Spanned<u64>>,
    /// `max-inits`: at most this many init calls per singleton (default 2).
    pub max_inits: Option<Spanned<u64>>,
    /// `bounded-wait`: how long a caller may wait (default max wait + poll; for V0 the
    /// platform wall limit).
    pub wait_bound_ms: Option<Spanned<u64>>,
    /// The platform's wall limit (default 100 000).
    pub platform_wall_ms: Option<Spanned<u64>>,
    /// `no-premature-reclaim`: the slowest legitimate init of the (outer) lock.
    pub legit_init_ms: Option<Spanned<u64>>,
    pub inner_legit_init_ms: Option<Spanned<u64>>,
    /// Whether the call site anchors init with `after()` (default: V2 and later do).
    pub anchor: Option<bool>,
}

/// A structural switch: `true`, `false`, or a list of both (`[false, true]`): the scenario is
/// then explored with each (the choice is the first move of every run; see
/// `lockstep_sim::oneof`).
#[derive(Debug, Clone)]
pub enum Flag {
    One(bool),
    Open(Vec<bool>),
}

impl<'de> Deserialize<'de> for Flag {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Flag;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("true, false, or [false, true] to leave it open")
            }
            fn visit_bool<E: serde::de::Error>(self, b: bool) -> Result<Flag, E> {
                Ok(Flag::One(b))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut a: A) -> Result<Flag, A::Error> {
                let mut v = Vec::new();
                while let Some(b) = a.next_element::<bool>()? {
                    v.push(b);
                }
                Ok(Flag::Open(v))
            }
        }
        d.deserialize_any(V)
    }
}

impl Flag {
    /// The values the scenario allows, `false` first, without repeats.
    pub fn options(&self) -> Vec<bool> {
        match self {
            Flag::One(b) => vec![*b],
            Flag::Open(v) => [false, true]
                .into_iter()
                .filter(|b| v.contains(b))
                .collect(),
        }
    }
}

/// The options of an optional flag (absent: `false` only), or an error for an empty list.
fn flag_options(
    src: &Source,
    f: &Option<Spanned<Flag>>,
    key: &str,
) -> Result<Vec<bool>, ScenarioError> {
    match f {
        None => Ok(vec![false]),
        Some(s) => {
            let o = s.get_ref().options();
            if o.is_empty() {
                return Err(at(src, s, format!("`{key}` lists no value"))
                    .help(format!("write `{key} = true`, `false` or `[false, true]`")));
            }
            Ok(o)
        }
    }
}

/// One `[[actor]]`: a request that calls `initWithLock` (through `getRuntime` or
/// `getDatabase`).
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct ActorFile {
    pub name: Spanned<String>,
    pub arrive_ms: Spanned<Choice<u64>>,
    /// How long this caller's init runs if it ends up owning the lock (for a nested scenario:
    /// the runtime init's own work before it calls `getDatabase`).
    pub init_ms: Option<Spanned<Choice<u64>>>,
    /// How its init ends: "ok", "fail" (rejects), "hang" (never settles), "throw-sync" (throws
    /// before returning a promise), "cancelled" (the request is torn down when init would
    /// settle: no publish, no finally).
    pub outcome: Option<Spanned<Choice<String>>>,
    /// Nested scenarios: the db init's duration and outcome.
    pub inner_init_ms: Option<Spanned<Choice<u64>>>,
    pub inner_outcome: Option<Spanned<Choice<String>>>,
    /// The request is cancelled (client disconnect) at this instant.
    pub cancel_at_ms: Option<Spanned<u64>>,
    /// The request is cancelled right after its init starts, before `after()`'s `waitUntil`
    /// registration lands (the microtask window of protocols.md §1.7).
    #[serde(default)]
    pub cancel_before_anchor: bool,
    /// The request may be cancelled at any await point (`"any"`), or at any await point inside
    /// a window (`{ from_ms = 100, to_ms = 300 }`): an optional move the explorers may take,
    /// at most `[faults] cancels_max` times in a run.
    pub cancel: Option<Spanned<CancelWindow>>,
    /// Which copy of a duplicated module this request runs (1 or 2).
    pub module_copy: Option<Spanned<u8>>,
}

/// `cancel = "any"` or `cancel = { from_ms = .., to_ms = .. }`.
#[derive(Deserialize, Debug, Clone)]
#[serde(untagged)]
pub enum CancelWindow {
    Any(String),
    Window { from_ms: u64, to_ms: u64 },
}

/// `[faults]`: budgets for the optional environment moves.
#[derive(Deserialize, Default, Debug)]
#[serde(deny_unknown_fields)]
pub struct Faults {
    /// At most this many optional cancellations in one run (default 1).
    pub cancels_max: Option<Spanned<u64>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Outcome {
    Ok,
    Fail,
    Hang,
    ThrowSync,
    /// The request is torn down when its init would settle: neither the publish nor the
    /// `finally` runs (an unanchored cancel, or an anchored one outliving the waitUntil grace).
    Cancelled,
}

impl Outcome {
    fn parse(s: &str) -> Option<Outcome> {
        match s {
            "ok" => Some(Outcome::Ok),
            "fail" => Some(Outcome::Fail),
            "hang" => Some(Outcome::Hang),
            "throw-sync" => Some(Outcome::ThrowSync),
            "cancelled" => Some(Outcome::Cancelled),
            _ => None,
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Fail => "fail",
            Outcome::Hang => "hang",
            Outcome::ThrowSync => "throw-sync",
            Outcome::Cancelled => "cancelled",
        }
    }
}

/// A validated actor: every open value as its list of alternatives.
#[derive(Clone, Debug)]
pub struct ActorSpec {
    pub name: String,
    pub arrive: Vec<u64>,
    /// Per level (0 outer, 1 inner).
    pub init_ms: [Vec<u64>; 2],
    pub outcome: [Vec<Outcome>; 2],
    pub cancel_at: Option<u64>,
    pub cancel_before_anchor: bool,
    /// Optional cancellation window (inclusive), if the actor may be cancelled "anywhere".
    pub cancel_window: Option<(u64, u64)>,
    /// 0 or 1.
    pub copy: u8,
}

impl ActorSpec {
    /// Two actors behave identically (so are interchangeable for symmetry reduction) when
    /// everything but their name is the same.
    pub fn same_behaviour(&self, other: &ActorSpec) -> bool {
        self.arrive == other.arrive
            && self.init_ms == other.init_ms
            && self.outcome == other.outcome
            && self.cancel_at == other.cancel_at
            && self.cancel_before_anchor == other.cancel_before_anchor
            && self.cancel_window == other.cancel_window
            && self.copy == other.copy
    }
}

/// Lock constants a scenario overrides, per level.
#[derive(Clone, Copy, Debug, Default)]
pub struct Overrides {
    pub deadline: Option<u64>,
    pub poll: Option<u64>,
    pub max_wait: Option<u64>,
    pub legit_init: Option<u64>,
}

#[derive(Clone, Debug)]
pub struct Spec {
    pub kind: LockKind,
    pub nested: bool,
    pub duplicated: bool,
    /// Every (nested, duplicated) structure the scenario allows; more than one when it leaves
    /// `nested` or `duplicated_module` open (`nested` and `duplicated` are then the first).
    pub structures: Vec<(bool, bool)>,
    pub levels: [Overrides; 2],
    pub max_inits: u64,
    pub wait_bound: Option<u64>,
    pub wall: u64,
    pub anchor: Option<bool>,
    pub actors: Vec<ActorSpec>,
    pub cancels_max: u64,
}

pub type InitLockFile = File<Params, ActorFile, Faults>;

/// Most actors a scenario may have (the world keeps them inline).
pub const MAX_ACTORS: usize = 8;

/// Validates an init-lock scenario section by section, in the order its errors are reported.
pub fn validate(src: &Source, f: &InitLockFile, checks: &[&str]) -> Result<Spec, ScenarioError> {
    let default_params = Params::default();
    let p = f.params.as_ref().unwrap_or(&default_params);
    let kind = lock_kind(src, p)?;
    let nested_options = flag_options(src, &p.nested, "nested")?;
    let duplicated_options = flag_options(src, &p.duplicated_module, "duplicated_module")?;
    // Keys that need a structure are accepted when some alternative has it.
    let may_nest = nested_options.contains(&true);
    let may_duplicate = duplicated_options.contains(&true);
    if may_nest && kind == LockKind::Db {
        return Err(src
            .error(
                p.lock.as_ref().map(|s| s.span()),
                "a nested scenario's outer lock is the runtime lock",
            )
            .help("remove `lock = \"db\"` or `nested = true`"));
    }
    let levels = levels(src, p, may_nest)?;
    legit_init_known(src, f, checks, &levels)?;
    let max_inits = max_inits(src, p)?;
    let wait_bound = crate::scenario::optional_time(src, &p.wait_bound_ms, "wait_bound_ms", 0)?;
    let wall = crate::scenario::optional_time(src, &p.platform_wall_ms, "platform_wall_ms", 1)?
        .unwrap_or(PLATFORM_WALL_MS);

    actor_count(src, f)?;
    let mut actors: Vec<ActorSpec> = Vec::new();
    for a in &f.actor {
        let caller = actor(src, a.get_ref(), &actors, may_nest, may_duplicate)?;
        actors.push(caller);
    }
    let cancels_max = cancels_max(src, f.faults.as_ref())?;
    Ok(Spec {
        kind,
        nested: nested_options[0],
        duplicated: duplicated_options[0],
        structures: nested_options
            .iter()
            .flat_map(|&n| duplicated_options.iter().map(move |&d| (n, d)))
            .collect(),
        levels,
        max_inits,
        wait_bound,
        wall,
        anchor: p.anchor,
        actors,
        cancels_max,
    })
}

/// `lock`: which singleton the (outer) lock guards (the runtime unless the file says "db").
fn lock_kind(src: &Source, p: &Params) -> Result<LockKind, ScenarioError> {
    match &p.lock {
        None => Ok(LockKind::Runtime),
        Some(s) => match s.get_ref().as_str() {
            "runtime" => Ok(LockKind::Runtime),
            "db" => Ok(LockKind::Db),
            other => {
                Err(at(src, s, format!("unknown lock `{other}`")).help("use \"runtime\" or \"db\""))
            }
        },
    }
}

/// The lock constants per level (outer, inner); the inner level's keys need a nested scenario.
fn levels(src: &Source, p: &Params, may_nest: bool) -> Result<[Overrides; 2], ScenarioError> {
    let inner_only = [
        (&p.inner_deadline_ms, "inner_deadline_ms"),
        (&p.inner_poll_ms, "inner_poll_ms"),
        (&p.inner_max_wait_ms, "inner_max_wait_ms"),
        (&p.inner_legit_init_ms, "inner_legit_init_ms"),
    ];
    if !may_nest && let Some((Some(s), k)) = inner_only.iter().find(|(v, _)| v.is_some()) {
        return Err(
            at(src, s, format!("`{k}` only applies to a nested scenario"))
                .help("add `nested = true` or remove the key"),
        );
    }
    Ok([
        Overrides {
            deadline: crate::scenario::optional_time(src, &p.deadline_ms, "deadline_ms", 1)?,
            poll: crate::scenario::optional_time(src, &p.poll_ms, "poll_ms", 1)?,
            max_wait: crate::scenario::optional_time(src, &p.max_wait_ms, "max_wait_ms", 0)?,
            legit_init: crate::scenario::optional_time(src, &p.legit_init_ms, "legit_init_ms", 0)?,
        },
        Overrides {
            deadline: crate::scenario::optional_time(
                src,
                &p.inner_deadline_ms,
                "inner_deadline_ms",
                1,
            )?,
            poll: crate::scenario::optional_time(src, &p.inner_poll_ms, "inner_poll_ms", 1)?,
            max_wait: crate::scenario::optional_time(
                src,
                &p.inner_max_wait_ms,
                "inner_max_wait_ms",
                0,
            )?,
            legit_init: crate::scenario::optional_time(
                src,
                &p.inner_legit_init_ms,
                "inner_legit_init_ms",
                0,
            )?,
        },
    ])
}

/// `no-premature-reclaim` judges reclaims against the slowest legitimate init, so it needs one.
fn legit_init_known(
    src: &Source,
    f: &InitLockFile,
    checks: &[&str],
    levels: &[Overrides; 2],
) -> Result<(), ScenarioError> {
    if checks.contains(&"no-premature-reclaim") && levels[0].legit_init.is_none() {
        let span = src.section_span("params").or(Some(f.check.span()));
        return Err(src
            .error(
                span,
                "`no-premature-reclaim` needs to know how long a legitimate init may run",
            )
            .help("set `legit_init_ms` (and `inner_legit_init_ms` when nested) in [params]"));
    }
    Ok(())
}

/// `max_inits`: the `max-inits` limit per singleton (default 2), at least 1 and at most 200.
fn max_inits(src: &Source, p: &Params) -> Result<u64, ScenarioError> {
    match &p.max_inits {
        Some(s) if *s.get_ref() == 0 => Err(at(
            src,
            s,
            "`max_inits` = 0 forbids every init; use at least 1",
        )),
        Some(s) if *s.get_ref() > 200 => Err(at(src, s, "`max_inits` above 200 is not supported")),
        Some(s) => Ok(*s.get_ref()),
        None => Ok(2),
    }
}

/// The `[[actor]]` list: at least one caller, and no more than the world keeps inline.
fn actor_count(src: &Source, f: &InitLockFile) -> Result<(), ScenarioError> {
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

/// One `[[actor]]` (`earlier`: for unique names), with the keys the structures allow.
fn actor(
    src: &Source,
    a: &ActorFile,
    earlier: &[ActorSpec],
    may_nest: bool,
    may_duplicate: bool,
) -> Result<ActorSpec, ScenarioError> {
    let name = actor_name(src, a, earlier)?;
    let arrive = crate::scenario::instants(src, &a.arrive_ms, "arrive_ms")?;
    if !may_nest {
        no_inner_keys(src, a)?;
    }
    let cancel_at = cancel_at(src, a, arrive[0])?;
    let copy = module_copy(src, a, may_duplicate)?;
    Ok(ActorSpec {
        name,
        arrive,
        init_ms: [
            times(src, &a.init_ms, "init_ms", 0)?,
            times(src, &a.inner_init_ms, "inner_init_ms", 0)?,
        ],
        outcome: [
            outcomes(src, &a.outcome, "outcome")?,
            outcomes(src, &a.inner_outcome, "inner_outcome")?,
        ],
        cancel_at,
        cancel_before_anchor: a.cancel_before_anchor,
        cancel_window: cancel_window(src, a)?,
        copy,
    })
}

/// `name`: non-empty and unlike every earlier caller's, so timelines can tell them apart.
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

/// A list of instants or durations (absent: `default`), each within the horizon.
fn times(
    src: &Source,
    c: &Option<Spanned<Choice<u64>>>,
    what: &str,
    default: u64,
) -> Result<Vec<u64>, ScenarioError> {
    match c {
        None => Ok(vec![default]),
        Some(c) => crate::scenario::times(src, c, what),
    }
}

/// A list of init outcomes by name (absent: "ok").
fn outcomes(
    src: &Source,
    c: &Option<Spanned<Choice<String>>>,
    what: &str,
) -> Result<Vec<Outcome>, ScenarioError> {
    match c {
        None => Ok(vec![Outcome::Ok]),
        Some(c) => c
            .get_ref()
            .items()
            .map_err(|why| at(src, c, format!("`{what}`: {why}")))?
            .iter()
            .map(|s| {
                Outcome::parse(s).ok_or_else(|| {
                    at(src, c, format!("unknown outcome `{s}`"))
                        .help("use \"ok\", \"fail\", \"hang\", \"throw-sync\" or \"cancelled\"")
                })
            })
            .collect(),
    }
}

/// Without a nested structure there is no db init, so its duration and outcome mean nothing.
fn no_inner_keys(src: &Source, a: &ActorFile) -> Result<(), ScenarioError> {
    if let Some(s) = &a.inner_init_ms {
        return Err(
            at(src, s, "`inner_init_ms` only applies to a nested scenario")
                .help("add `nested = true` to [params] or remove the key"),
        );
    }
    if let Some(s) = &a.inner_outcome {
        return Err(
            at(src, s, "`inner_outcome` only applies to a nested scenario")
                .help("add `nested = true` to [params] or remove the key"),
        );
    }
    Ok(())
}

/// `cancel_at_ms`: a request can only be cancelled once it has arrived.
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

/// `module_copy`: which copy of a duplicated module the caller runs (stored 0-based).
fn module_copy(src: &Source, a: &ActorFile, may_duplicate: bool) -> Result<u8, ScenarioError> {
    match &a.module_copy {
        None => Ok(0),
        Some(c) if !may_duplicate => Err(at(
            src,
            c,
            "`module_copy` needs `duplicated_module = true` in [params]",
        )),
        Some(c) if *c.get_ref() == 1 || *c.get_ref() == 2 => Ok(*c.get_ref() - 1),
        Some(c) => Err(at(src, c, "`module_copy` is 1 or 2")),
    }
}

/// `cancel`: the window in which the explorers may cancel the caller at any await point.
fn cancel_window(src: &Source, a: &ActorFile) -> Result<Option<(u64, u64)>, ScenarioError> {
    match &a.cancel {
        None => Ok(None),
        Some(w) => match w.get_ref() {
            CancelWindow::Any(s) if s == "any" => Ok(Some((0, TIME_MAX))),
            CancelWindow::Any(s) => Err(at(src, w, format!("unknown cancel mode `{s}`"))
                .help("write `cancel = \"any\"` or `cancel = { from_ms = 0, to_ms = 500 }`")),
            CancelWindow::Window { from_ms, to_ms } if from_ms > to_ms || *to_ms > TIME_MAX => {
                Err(at(
                    src,
                    w,
                    format!("the cancel window {from_ms}..{to_ms} is empty or beyond the horizon"),
                ))
            }
            CancelWindow::Window { from_ms, to_ms } => Ok(Some((*from_ms, *to_ms))),
        },
    }
}

/// `[faults] cancels_max`: the budget of optional cancellations per run (default 1, at most 8).
fn cancels_max(src: &Source, faults: Option<&Faults>) -> Result<u64, ScenarioError> {
    match faults.and_then(|x| x.cancels_max.as_ref()) {
        Some(c) if *c.get_ref() > 8 => Err(at(src, c, "`cancels_max` above 8 is not supported")),
        Some(c) => Ok(*c.get_ref()),
        None => Ok(1),
    }
}

impl ActorSpec {
    /// A caller run by a host model (`lockstep_sim::compose`): it arrives when the host
    /// admits it (its arrival instant here is a placeholder) and is cancelled by the host.
    pub fn hosted(name: String, init_ms: Vec<u64>, outcome: Vec<Outcome>) -> ActorSpec {
        ActorSpec {
            name,
            arrive: vec![0],
            init_ms: [init_ms, vec![0]],
            outcome: [outcome, vec![Outcome::Ok]],
            cancel_at: None,
            cancel_before_anchor: false,
            cancel_window: None,
            copy: 0,
        }
    }
}

impl Spec {
    /// One lock of `kind` (not nested, one module copy), for building a model in code.
    pub fn single(
        kind: LockKind,
        lock: Overrides,
        max_inits: u64,
        wait_bound: Option<u64>,
        wall: u64,
        anchor: Option<bool>,
        actors: Vec<ActorSpec>,
    ) -> Spec {
        Spec {
            kind,
            nested: false,
            duplicated: false,
            structures: vec![(false, false)],
            levels: [lock, Overrides::default()],
            max_inits,
            wait_bound,
            wall,
            anchor,
            actors,
            cancels_max: 0,
        }
    }
}

impl Outcome {
    /// Every outcome, for parsers outside this module.
    pub const ALL: [Outcome; 5] = [
        Outcome::Ok,
        Outcome::Fail,
        Outcome::Hang,
        Outcome::ThrowSync,
        Outcome::Cancelled,
    ];
}
