//! Scenario files: parsing, validation and the typed values the models are built from.
//!
//! A scenario file is TOML with a common frame (name, protocol, `[check]`, `[explore]`,
//! `[expect]`) and protocol-specific parts (`[params]`, `[[actor]]`, `[faults]`) whose types
//! each protocol supplies. Unknown keys are errors everywhere; every error carries
//! file:line:column (see [`ScenarioError`]).

mod choice;
mod error;
mod fields;
pub mod keyed;
pub use fields::{fields_of, sections_of};
pub mod schema;

use std::ops::Range;

use serde::de::DeserializeOwned;
use serde::Deserialize;
use toml::Spanned;

use lockstep_sim::{Config, Property, Strategy, TieBreak};

pub use choice::{instants, optional_time, times, Choice, RangeSpec, MAX_ALTERNATIVES, TIME_MAX};
pub use error::{from_toml, line_col, ScenarioError};

use crate::catalogue::Catalogue;

/// A scenario file's text and the path it was given as.
#[derive(Clone, Debug)]
pub struct Source {
    pub path: String,
    pub text: String,
    /// The text as the TOML parser reads it, spans kept, parsed at most once: every typed view
    /// of the file ([`Source::view`]) deserializes from it.
    parsed: std::sync::OnceLock<Result<toml_edit::ImDocument<String>, toml_edit::de::Error>>,
}

impl Source {
    /// A scenario's text, named by `path` in messages; parsed when first viewed.
    pub fn new(path: impl Into<String>, text: impl Into<String>) -> Source {
        Source {
            path: path.into(),
            text: text.into(),
            parsed: std::sync::OnceLock::new(),
        }
    }

    fn document(&self) -> &Result<toml_edit::ImDocument<String>, toml_edit::de::Error> {
        self.parsed.get_or_init(|| {
            toml_edit::ImDocument::parse(self.text.clone()).map_err(toml_edit::de::Error::from)
        })
    }

    /// The file read as `T`, with the TOML parser's spans and messages (what `toml::from_str`
    /// gives), from the one parse of the text.
    pub fn view<T: DeserializeOwned>(&self) -> Result<T, toml_edit::de::Error> {
        let doc = self.document().as_ref().map_err(Clone::clone)?;
        T::deserialize(toml_edit::de::Deserializer::from(doc.clone()))
    }

    /// Where the top-level table `name` is: its header, or, when it is implicit (only
    /// `[[name.child]]` headers make it), the first of those. From the TOML parser's spans.
    pub fn section_span(&self, name: &str) -> Option<std::ops::Range<usize>> {
        let doc = self.document().as_ref().ok()?;
        let item = doc.get(name)?;
        if let Some(span) = item.span() {
            return Some(span);
        }
        let table = item.as_table()?;
        table
            .iter()
            .filter_map(|(_, v)| match v {
                toml_edit::Item::ArrayOfTables(a) => a.iter().next().and_then(|t| t.span()),
                other => other.span(),
            })
            .min_by_key(|s| s.start)
    }

    /// The span of `key`'s value in `[params]` (`actor` empty) or in the `[[actor]]` table
    /// named `actor`.
    pub fn key_span(&self, actor: &str, key: &str) -> Option<std::ops::Range<usize>> {
        let doc = self.document().as_ref().ok()?;
        let table = if actor.is_empty() {
            // A `fault param` is set under `[faults]`.
            let under = |t: &str| doc.get(t)?.as_table_like()?.get(key)?.span();
            return under("params").or_else(|| under("faults"));
        } else {
            doc.get("actor")?
                .as_array_of_tables()?
                .iter()
                .find(|t| t.get("name").and_then(|n| n.as_str()) == Some(actor))?
        };
        table.get(key)?.span()
    }

    pub fn read(path: &str) -> Result<Source, ScenarioError> {
        let text = std::fs::read_to_string(path).map_err(|e| ScenarioError::unreadable(path, e))?;
        Ok(Source::new(path, text))
    }

    pub fn error(&self, span: Option<Range<usize>>, message: impl Into<String>) -> ScenarioError {
        ScenarioError::new(&self.path, &self.text, span, message)
    }

    /// A stable hash of the file's bytes (FNV-1a), stored in traces so a replay against an
    /// edited scenario is refused.
    pub fn hash(&self) -> String {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in self.text.as_bytes() {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        format!("{h:016x}")
    }
}

/// The whole file, for a protocol whose params, actor and faults types are `P`, `A`, `F`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct File<P, A, F> {
    pub name: Option<Spanned<String>>,
    pub description: Option<String>,
    pub protocol: Spanned<String>,
    /// Not `Spanned`: `[[params.host]]` with no `[params]` header makes the table implicit, and
    /// the toml crate has no span for an implicit table. [`Source::section_span`] finds one.
    pub params: Option<P>,
    #[serde(default = "Vec::new")]
    pub actor: Vec<Spanned<A>>,
    pub faults: Option<F>,
    pub check: Spanned<Check>,
    pub explore: Option<Spanned<Explore>>,
    /// Left out or empty: the file can be explored (`run` prints every variant's verdict and
    /// an `[expect]` block to paste), not checked. Not `Spanned`, as `params`: dotted keys
    /// (`expect.v1 = "holds"`) make the table implicit; [`Source::section_span`] finds a span.
    pub expect: Option<keyed::Keyed<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Check {
    /// Invariant ids, in the order verdicts prefer them.
    pub invariants: Vec<Spanned<String>>,
    /// What a scheduled fault that fires in no explored schedule is: "report" (the default: a
    /// note beside the verdict) or "error" (the result fails its expectation).
    pub unfired_faults: Option<Spanned<String>>,
    /// Reachability targets ("sometimes" properties) the scenario must reach: each is searched
    /// for on its own, and one never reached fails the result.
    #[serde(default)]
    pub reachable: Vec<Spanned<String>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Explore {
    pub strategy: Option<Spanned<String>>,
    pub tie_break: Option<Spanned<String>>,
    pub seed: Option<u64>,
    pub runs: Option<u64>,
    pub states_max: Option<u64>,
    /// The visited set's memory budget, as a size (`"512MB"`, `"2GiB"`); see `--memory-max`.
    pub memory_max: Option<Spanned<String>>,
    pub steps_max: Option<u64>,
    pub time_max_ms: Option<u64>,
    /// PCT's bug depth.
    pub pct_depth: Option<u64>,
    /// `false` turns the exhaustive search's sleep sets off (they never change a verdict).
    pub sleep_sets: Option<bool>,
    /// `strategy = "replay"`: the choices to re-execute (a regression written by `lockstep run
    /// --regression`).
    pub schedule: Option<Spanned<String>>,
    /// Run a built-in protocol's scenario against its shipped protocol file, as `--interpreted`
    /// does: a regression written under `--interpreted` says so, since its schedule numbers
    /// the file's moves, not the Rust model's.
    pub protocol_file: Option<Spanned<bool>>,
}

/// No `[faults]` section allowed.
#[derive(Deserialize, Default, Debug)]
#[serde(deny_unknown_fields)]
pub struct NoFaults {}

/// What an `[expect]` entry asks for: a [`Verdict`] (never `reached:`).
pub use crate::verdict::Verdict;

/// How a scenario asks to be explored, before command-line overrides.
#[derive(Clone, Debug)]
pub struct Plan {
    pub strategy: Strategy,
    pub config: Config,
    /// For `strategy = "replay"`: the schedule to re-execute.
    pub schedule: Option<lockstep_sim::Schedule>,
    /// Explore with shuttle through the [bridge](crate::bridge) instead of a kernel explorer
    /// (`strategy` is then `Random`, the kernel's closest equivalent: sampled, not proved).
    pub bridge: Option<BridgeStrategy>,
}

/// A strategy run by a checker outside the kernel, through the [bridge](crate::bridge).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BridgeStrategy {
    /// Shuttle's random scheduler (`--strategy shuttle`).
    Shuttle,
    /// Shuttle's PCT scheduler (`--strategy shuttle-pct`).
    ShuttlePct,
}

impl BridgeStrategy {
    pub fn name(self) -> &'static str {
        match self {
            BridgeStrategy::Shuttle => "shuttle",
            BridgeStrategy::ShuttlePct => "shuttle-pct",
        }
    }
}

/// Parses a strategy the bridge runs (`shuttle`, `shuttle-pct`).
pub fn parse_bridge_strategy(s: &str) -> Option<BridgeStrategy> {
    match s {
        "shuttle" => Some(BridgeStrategy::Shuttle),
        "shuttle-pct" => Some(BridgeStrategy::ShuttlePct),
        _ => None,
    }
}

/// The validated common frame of a scenario.
#[derive(Clone, Debug)]
pub struct Meta {
    pub path: String,
    pub name: String,
    pub description: String,
    pub protocol: &'static str,
    pub source_hash: String,
    /// Checked invariants, in the file's order.
    pub invariants: Vec<Property>,
    pub plan: Plan,
    /// (variant, expectation), in the protocol's variant order.
    pub expect: Vec<(&'static str, Verdict)>,
    /// Run against the shipped protocol file of a built-in protocol (`--interpreted`).
    pub interpreted: bool,
    /// A hash of the protocol file the scenario runs, when it runs one (traces record it).
    pub protocol_hash: Option<String>,
    /// `[check] unfired_faults = "error"`: a result whose scheduled faults did not all fire
    /// fails its expectation.
    pub unfired_is_error: bool,
    /// `[check] reachable`, in the file's order.
    pub reachable: Vec<Property>,
    /// The file says what it expects of no variant: `check` refuses it with this error
    /// (`run` explores every variant instead).
    pub no_expect: Option<ScenarioError>,
    /// Actors and fault keys removed from the file before it was loaded (`run --without`, see
    /// `crate::reduce`): a replay command repeats them.
    pub without: Vec<String>,
    /// The variants of the protocol the scenario was validated against.
    pub variants: &'static [crate::catalogue::VariantInfo],
}

impl Meta {
    /// The same scenario checking only `invariants` (in that order) and searching for no
    /// reachability target: what `check --each-invariant` runs per invariant.
    pub fn restricted(&self, invariants: &[Property]) -> Meta {
        let mut m = self.clone();
        m.invariants = invariants.to_vec();
        m.reachable.clear();
        m
    }
}

/// `[check] reachable`, validated against the protocol's targets.
fn reachable_targets(
    src: &Source,
    names: &[Spanned<String>],
    proto: &Catalogue,
) -> Result<Vec<Property>, ScenarioError> {
    let known = proto.reachable.clone();
    let mut out: Vec<Property> = Vec::new();
    for n in names {
        let Some(p) = known.iter().find(|p| p.id == n.get_ref()) else {
            let help = if known.is_empty() {
                format!("protocol `{}` has no reachability targets yet", proto.id)
            } else {
                format!(
                    "the reachability targets of `{}` are: {}",
                    proto.id,
                    known.iter().map(|p| p.id).collect::<Vec<_>>().join(", ")
                )
            };
            return Err(src
                .error(
                    Some(n.span()),
                    format!("unknown reachability target `{}`", n.get_ref()),
                )
                .help(help));
        };
        if out.iter().any(|q| q.id == p.id) {
            return Err(src.error(
                Some(n.span()),
                format!("reachability target `{}` is listed twice", p.id),
            ));
        }
        out.push(*p);
    }
    Ok(out)
}

/// Which protocol a file names, read before the rest so the right types can parse it.
pub fn protocol_of(src: &Source) -> Result<Spanned<String>, ScenarioError> {
    #[derive(Deserialize)]
    struct Head {
        protocol: Option<Spanned<String>>,
    }
    let head: Head = src
        .view()
        .map_err(|e| from_toml(&src.path, &src.text, &e))?;
    head.protocol.ok_or_else(|| {
        src.error(
            Some(0..0),
            "the scenario does not say which protocol it models",
        )
        .help("add a line such as `protocol = \"init-lock\"`; `lockstep list` shows the protocols")
    })
}

/// Whether the scenario asks for its built-in protocol's shipped file (`[explore]
/// protocol_file = true`), with the key's place.
pub fn wants_protocol_file(src: &Source) -> Option<Spanned<bool>> {
    #[derive(Deserialize)]
    struct Head {
        explore: Option<ExploreHead>,
    }
    #[derive(Deserialize)]
    struct ExploreHead {
        protocol_file: Option<Spanned<bool>>,
    }
    let head: Head = src.view().ok()?;
    head.explore?.protocol_file
}

/// Parses the whole file with the protocol's types.
pub fn parse<P, A, F>(src: &Source) -> Result<File<P, A, F>, ScenarioError>
where
    P: DeserializeOwned,
    A: DeserializeOwned,
    F: DeserializeOwned,
{
    src.view().map_err(|e| from_toml(&src.path, &src.text, &e))
}

/// Validates the common frame against the protocol: known invariants and variants, well-formed
/// expectations, a known strategy.
pub fn validate_meta<P, A, F>(
    src: &Source,
    file: &File<P, A, F>,
    proto: &Catalogue,
) -> Result<Meta, ScenarioError> {
    let name = match &file.name {
        Some(n) => n.get_ref().clone(),
        None => std::path::Path::new(&src.path)
            .file_stem()
            .map_or_else(|| src.path.clone(), |s| s.to_string_lossy().to_string()),
    };
    let known = proto.invariants;
    let mut invariants: Vec<Property> = Vec::new();
    if file.check.get_ref().invariants.is_empty() {
        return Err(src
            .error(
                Some(file.check.span()),
                "`[check] invariants` is empty: nothing would be checked",
            )
            .help(format!("name at least one of: {}", ids(known))));
    }
    for inv in &file.check.get_ref().invariants {
        let Some(p) = known.iter().find(|p| p.id == inv.get_ref()) else {
            return Err(src
                .error(
                    Some(inv.span()),
                    format!(
                        "unknown invariant `{}` for protocol `{}`",
                        inv.get_ref(),
                        proto.id
                    ),
                )
                .help(invariant_help(proto.id, known, inv.get_ref())));
        };
        if invariants.iter().any(|q| q.id == p.id) {
            return Err(src.error(
                Some(inv.span()),
                format!("invariant `{}` is listed twice", p.id),
            ));
        }
        invariants.push(*p);
    }
    if invariants.len() > 32 {
        return Err(src.error(
            Some(file.check.span()),
            "at most 32 invariants per scenario",
        ));
    }

    let unfired_is_error = match &file.check.get_ref().unfired_faults {
        None => false,
        Some(v) => match v.get_ref().as_str() {
            "report" => false,
            "error" => true,
            other => {
                return Err(src
                    .error(
                        Some(v.span()),
                        format!("unknown `unfired_faults` policy `{other}`"),
                    )
                    .help("use \"report\" (a note beside the verdict, the default) or \"error\" (the result fails)"))
            }
        },
    };

    let reachable = reachable_targets(src, &file.check.get_ref().reachable, proto)?;

    let plan = plan_of(src, file.explore.as_ref())?;

    let mut expect: Vec<(&'static str, Verdict)> = Vec::new();
    let empty = keyed::Keyed::new();
    let expected = file.expect.as_ref().unwrap_or(&empty);
    let no_expect = expected.is_empty().then(|| {
        src.error(
            Some(src.section_span("expect").unwrap_or(0..0)),
            "the scenario expects nothing of any variant: there is nothing to check",
        )
        .help(format!(
            "`lockstep run {}` explores every variant and prints an `[expect]` block to paste",
            src.path
        ))
    });
    for (k, v) in expected {
        let Some(var) = proto.variants.iter().find(|x| x.name == k.get_ref()) else {
            return Err(src
                .error(
                    Some(k.span()),
                    format!(
                        "unknown variant `{}` of protocol `{}`",
                        k.get_ref(),
                        proto.id
                    ),
                )
                .help(variant_help(
                    proto.id,
                    &proto.variants.iter().map(|v| v.name).collect::<Vec<_>>(),
                    k.get_ref(),
                )));
        };
        let mut checked = invariants.clone();
        checked.extend_from_slice(proto.always_checked);
        let e = parse_expected(v.get_ref(), &checked).map_err(|why| {
            src.error(Some(v.span()), why)
                .help("write `holds`, `violated:<invariant>` with an invariant from `[check]`, or `inconclusive:<reason>`")
        })?;
        expect.push((var.name, e));
    }
    let order = |n: &str| proto.variants.iter().position(|v| v.name == n);
    expect.sort_by_key(|(n, _)| order(n));

    Ok(Meta {
        path: src.path.clone(),
        name,
        description: file.description.clone().unwrap_or_default(),
        protocol: proto.id,
        source_hash: src.hash(),
        invariants,
        plan,
        expect,
        interpreted: false,
        protocol_hash: None,
        unfired_is_error,
        reachable,
        no_expect,
        without: Vec::new(),
        variants: proto.variants,
    })
}

/// The help of an unknown variant name: the protocol's variants, and first those the name is
/// the start of (`w2` for W-V2's `w2-abort-all` and `w2-reset-flag-first`, `V4` for
/// `v4-gated-publish`), as a reader of protocols.md names versions.
pub fn variant_help(protocol: &str, variants: &[&str], name: &str) -> String {
    let all = format!("the variants of `{protocol}` are: {}", variants.join(", "));
    let prefix = format!("{}-", name.to_ascii_lowercase());
    let starting: Vec<&str> = variants
        .iter()
        .copied()
        .filter(|v| v.starts_with(&prefix))
        .collect();
    if starting.is_empty() {
        all
    } else {
        format!(
            "`{name}` is the start of `{}`; {all}",
            starting.join("`, `")
        )
    }
}

/// The help of an unknown invariant name: the protocol's invariants, and first those whose
/// summary cites the name when it is one of protocols.md's identifiers (`S-A3`, `L-B1`).
fn invariant_help(protocol: &str, known: &[Property], name: &str) -> String {
    let all = format!("the invariants of `{protocol}` are: {}", ids(known));
    let cited = |p: &&Property| {
        p.summary
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
            .any(|word| word.eq_ignore_ascii_case(name))
    };
    let citing: Vec<&str> = known.iter().filter(cited).map(|p| p.id).collect();
    if citing.is_empty() {
        all
    } else {
        format!(
            "`{name}` is checked by lockstep's `{}`; {all}",
            citing.join("`, `")
        )
    }
}

fn ids(props: &[Property]) -> String {
    props.iter().map(|p| p.id).collect::<Vec<_>>().join(", ")
}

fn parse_expected(s: &str, checked: &[Property]) -> Result<Verdict, String> {
    if s == "holds" {
        return Ok(Verdict::Holds);
    }
    if let Some(p) = s.strip_prefix("violated:") {
        return match checked.iter().find(|q| q.id == p) {
            Some(q) => Ok(Verdict::Violated(q.id)),
            None => Err(format!(
                "expects a violation of `{p}`, which `[check] invariants` does not list, so it can never be the verdict"
            )),
        };
    }
    if let Some(r) = s.strip_prefix("inconclusive:") {
        return match r {
            "steps-max" | "time-max" | "states-max" | "open-choice" | "memory" | "time-stalls" => {
                Ok(Verdict::Inconclusive(r.to_string()))
            }
            _ => Err(format!(
                "unknown inconclusive reason `{r}` (steps-max, time-max, states-max, open-choice, memory, time-stalls; a wall-clock stop or an interrupt depends on the machine and is never expected)"
            )),
        };
    }
    Err(format!("`{s}` is not a verdict"))
}

/// A size as people write it (`50MB`, `2GiB`, `1000000`), in bytes.
pub fn parse_memory(text: &str) -> Result<u64, String> {
    match parse_size::parse_size(text) {
        Ok(0) => Err("a memory budget of 0 can never reach a verdict".to_string()),
        Ok(v) => Ok(v),
        Err(e) => Err(format!("{e}; write a size such as 512MB or 2GiB")),
    }
}

/// Parses a strategy name as written in files and on the command line.
pub fn parse_strategy(s: &str) -> Option<Strategy> {
    match s {
        "scripted" => Some(Strategy::Scripted),
        "exhaustive" => Some(Strategy::Exhaustive),
        "random" => Some(Strategy::Random),
        "pct" => Some(Strategy::Pct),
        "replay" => Some(Strategy::Replay),
        _ => None,
    }
}

pub const STRATEGIES: &str = "scripted, exhaustive, random, pct, replay, shuttle, shuttle-pct";

/// The plan `[explore]` gives. Without a `strategy` the search is exhaustive: a `holds` is then
/// a proof over the bounded space (or the budget runs out, which is never a pass), not one
/// scripted run that a reader could take for one.
fn plan_of(src: &Source, ex: Option<&Spanned<Explore>>) -> Result<Plan, ScenarioError> {
    let mut config = Config::default();
    let mut strategy = Strategy::Exhaustive;
    let mut bridge = None;
    let mut schedule = None;
    if let Some(ex) = ex {
        let e = ex.get_ref();
        if let Some(b) = e
            .strategy
            .as_ref()
            .and_then(|s| parse_bridge_strategy(s.get_ref()))
        {
            bridge = Some(b);
            strategy = Strategy::Random;
        } else if let Some(s) = &e.strategy {
            strategy = parse_strategy(s.get_ref()).ok_or_else(|| {
                src.error(
                    Some(s.span()),
                    format!("unknown strategy `{}`", s.get_ref()),
                )
                .help(format!("use one of: {STRATEGIES}"))
            })?;
        }
        if let Some(t) = &e.tie_break {
            config.tie_break = match t.get_ref().as_str() {
                "actor-order" => TieBreak::ActorOrder,
                "reverse-actor-order" => TieBreak::ReverseActorOrder,
                other => {
                    return Err(src
                        .error(Some(t.span()), format!("unknown tie-break rule `{other}`"))
                        .help("use `actor-order` (file order first) or `reverse-actor-order`"))
                }
            };
        }
        if let Some(v) = e.seed {
            config.seed = v;
        }
        if let Some(v) = e.runs {
            config.runs = v;
        }
        if let Some(v) = e.states_max {
            config.states_max = v;
        }
        if let Some(v) = e.steps_max {
            config.steps_max = v;
        }
        if let Some(m) = &e.memory_max {
            config.memory_max = parse_memory(m.get_ref())
                .map_err(|err| at(src, m, format!("`memory_max`: {err}")))?;
        }
        if let Some(v) = e.time_max_ms {
            config.time_ms_max = v;
        }
        if let Some(v) = e.sleep_sets {
            config.sleep_sets = v;
        }
        if let Some(v) = e.pct_depth {
            if v == 0 {
                return Err(src.error(Some(ex.span()), "`pct_depth` must be at least 1"));
            }
            config.pct_depth = v;
        }
        if let Some(s) = &e.schedule {
            schedule = Some(
                s.get_ref()
                    .parse::<lockstep_sim::Schedule>()
                    .map_err(|err| {
                        src.error(Some(s.span()), err.to_string())
                            .help("a schedule is what `lockstep run` prints after `--schedule`")
                    })?,
            );
        }
        if strategy == Strategy::Replay && schedule.is_none() {
            return Err(src
                .error(
                    Some(ex.span()),
                    "`strategy = \"replay\"` needs a `schedule`",
                )
                .help("write the schedule a replay command prints, or use another strategy"));
        }
        if e.runs == Some(0) || e.states_max == Some(0) || e.steps_max == Some(0) {
            return Err(src
                .error(Some(ex.span()), "a budget of 0 can never reach a verdict")
                .help("remove the key to use the default, or give a positive number"));
        }
    }
    Ok(Plan {
        strategy,
        config,
        bridge,
        schedule,
    })
}

/// Turns a span-carrying value's problem into an error at that value.
pub fn at<T>(src: &Source, v: &Spanned<T>, message: impl Into<String>) -> ScenarioError {
    src.error(Some(v.span()), message)
}

#[cfg(test)]
mod tests {
    use super::{protocol_of, wants_protocol_file, Source};

    /// Every view of a file comes from its one parse.
    #[test]
    fn a_source_is_parsed_once_for_every_view() {
        let src = Source::new(
            "x.toml",
            "protocol = \"init-lock\"\n[explore]\nprotocol_file = true\n",
        );
        assert!(src.parsed.get().is_none(), "parsed before it was read");
        assert_eq!(protocol_of(&src).unwrap().get_ref(), "init-lock");
        let parsed = src.parsed.get().expect("parsed by the first view") as *const _;
        assert!(wants_protocol_file(&src).is_some_and(|w| *w.get_ref()));
        assert!(src.view::<toml::Table>().is_ok());
        assert!(std::ptr::eq(parsed, src.parsed.get().unwrap()));
    }

    /// A view says what `toml::from_str` says, at the same place, for bad TOML and bad types.
    #[test]
    fn views_report_what_the_toml_crate_reports() {
        for text in ["a = \n", "[x]\n[x]\n", "protocol = 3\n", "a = [1, 2\n"] {
            #[derive(Debug, serde::Deserialize)]
            #[allow(dead_code)]
            struct Head {
                protocol: Option<String>,
            }
            let ours = Source::new("x.toml", text).view::<Head>().unwrap_err();
            let theirs = toml::from_str::<Head>(text).unwrap_err();
            assert_eq!(ours.message(), theirs.message(), "{text:?}");
            assert_eq!(ours.span(), theirs.span(), "{text:?}");
        }
    }
}
