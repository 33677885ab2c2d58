//! Scenario files of protocol files: `protocol = "path/to/lock.lstep"` (relative to the
//! scenario), or a built-in id run against its shipped protocol file (`--interpreted`). The
//! file's declarations decide which `[params]` and `[[actor]]` keys a scenario may use; every
//! other key keeps its meaning.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::Deserialize;
use toml::Spanned;

use lockstep_sim::machine::{Composite, Machine, Program};
use lockstep_sim::oneof::OneOf;
use lockstep_sim::{intern, Property, Schedule};

use super::compile::{
    scenario_key, ActorSpec, Instantiation, ParamSpec, Scalar, ASSUME_PREFIX, VALUE_PREFIX,
};
use super::registry::{find_loaded, FileProtocol};
use super::{Diag, Protocol};
use crate::engine::{self, Outcome, Replayed};
use crate::protocol::{FaultInfo, LoadedScenario, ProtocolInfo, VariantInfo};
use crate::scenario::keyed::Table;
use crate::scenario::{self, at, Choice, File, Meta, Plan, ScenarioError, Source};

/// The fault keys every protocol file's scenarios accept.
pub const FAULTS: &[FaultInfo] = &[
    FaultInfo { name: "cancel_at_ms", summary: "cancel the actor at an instant: its continuation is dropped at its await point and no finally runs (on tokio: its finally blocks run as drop guards), unless its work is anchored" },
    FaultInfo { name: "cancel_at", summary: "cancel the actor when it reaches a mark the file names" },
    FaultInfo { name: "cancel", summary: "\"any\" or { from_ms, to_ms }: the actor may be cancelled at any await point (inside the window), within [faults] cancels_max" },
];

/// The fault keys of `platform node` files: a process is killed (kill -9), not cancelled.
pub const NODE_FAULTS: &[FaultInfo] = &[
    FaultInfo { name: "kill_at_ms", summary: "kill the process (kill -9) at an instant, at its next system call or await: nothing more runs, its descriptors close, its files stay" },
    FaultInfo { name: "kill_at", summary: "kill the process when it reaches a mark the file names" },
    FaultInfo { name: "kill", summary: "\"any\" or { from_ms, to_ms }: the process may be killed at any await point (inside the window), within [faults] kills_max" },
];

impl ProtocolInfo for FileProtocol {
    fn id(&self) -> &'static str {
        self.id
    }
    fn summary(&self) -> &'static str {
        self.summary
    }
    fn variants(&self) -> &'static [VariantInfo] {
        self.variants
    }
    fn invariants(&self) -> &'static [Property] {
        self.props
    }
    fn faults(&self) -> &'static [FaultInfo] {
        if self.protocol.ast.platform.text == "node" {
            NODE_FAULTS
        } else {
            FAULTS
        }
    }
    fn always_checked(&self) -> &'static [Property] {
        std::slice::from_ref(&lockstep_sim::machine::RUNTIME_ERROR)
    }
    /// Every `mark` the file names, and `throws` (an actor ends with an uncaught throw).
    fn reachable(&self) -> Vec<Property> {
        let mut v: Vec<Property> = self
            .protocol
            .marks
            .iter()
            .map(|m| {
                crate::reach::property(intern(m), intern(&format!("some actor passes `mark {m}`")))
            })
            .collect();
        for r in &self.protocol.reachables {
            v.push(crate::reach::property(intern(&r.name), intern(&r.summary)));
        }
        v.push(crate::reach::property(
            "throws",
            "some actor ends with an uncaught throw: a timeout, or an errno its code did not expect",
        ));
        v
    }
    fn load(&self, src: &Source) -> Result<Box<dyn LoadedScenario>, ScenarioError> {
        let me: &'static FileProtocol = find_loaded(self);
        load_scenario(me, src)
    }
}

/// `[faults]`'s platform keys. Other keys are the file's `fault param`s, read with their spans
/// by [`fault_params`], which refuses any key that is neither.
#[derive(Deserialize, Default, Debug)]
struct Faults {
    cancels_max: Option<Spanned<u64>>,
    /// `platform node`'s name for the same budget.
    kills_max: Option<Spanned<u64>>,
    /// Who may be killed at any await point (default: every process, when no process says
    /// `kill` itself).
    kill: Option<Vec<Spanned<String>>>,
    /// `platform node`: pauses at any await point, how long each lasts, and who may be
    /// paused (default: every process).
    pauses_max: Option<Spanned<u64>>,
    pause_ms: Option<Spanned<u64>>,
    pause: Option<Vec<Spanned<String>>>,
    /// `platform node`: calls that fail with an errno (`[[faults.syscall]]`).
    syscall: Option<Vec<SyscallEntry>>,
}

/// One `[[faults.syscall]]`: the next `times` calls of `op` on `path` (from `at_ms`) fail
/// with `errno`; `path` is written as the file builds it (`run/app.lock.3`).
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct SyscallEntry {
    op: Spanned<String>,
    path: Spanned<String>,
    errno: Spanned<String>,
    at_ms: Option<Spanned<u64>>,
    times: Option<Spanned<u64>>,
}

type GenericFile = File<Table, Table, Faults>;

/// The keys of [`Faults`], the platform's own in `[faults]`.
const FAULT_KEYS: &[&str] = &[
    "cancels_max",
    "kills_max",
    "kill",
    "pauses_max",
    "pause_ms",
    "pause",
    "syscall",
];

/// The scenario's `[faults]` as a table, every key with its span.
#[derive(Deserialize, Default)]
struct FaultsSection {
    faults: Option<Table>,
}

/// The file's `fault param`s the scenario's `[faults]` sets; any key there that is neither a
/// platform key nor one of them is an error.
fn fault_params(src: &Source, proto: &FileProtocol) -> Result<Table, ScenarioError> {
    let section: FaultsSection = src.view().unwrap_or_default();
    let mut out = Table::new();
    for (k, v) in section.faults.unwrap_or_default() {
        if FAULT_KEYS.contains(&k.get_ref().as_str()) {
            continue;
        }
        let p = &proto.protocol;
        if !p.params.iter().any(|d| d.fault && &d.key == k.get_ref()) {
            // The platform's own budget only: `cancels_max` on workerd, `kills_max` on node.
            let node = p.ast.platform.text == "node";
            let mut keys: Vec<&str> = FAULT_KEYS
                .iter()
                .copied()
                .filter(|k| *k != if node { "cancels_max" } else { "kills_max" })
                .collect();
            keys.extend(p.params.iter().filter(|d| d.fault).map(|d| d.key.as_str()));
            return Err(at(
                src,
                &k,
                format!("unknown key `{}` in `[faults]`", k.get_ref()),
            )
            .help(format!("the keys are: {}", keys.join(", "))));
        }
        out.insert(k, v);
    }
    Ok(out)
}

/// Per variant, the program of each structure the scenario leaves open (its label).
type Programs = BTreeMap<String, Vec<(String, Arc<Program>)>>;

struct FileScenario {
    proto: &'static FileProtocol,
    meta: Meta,
    programs: Programs,
    /// The same programs judging the file's `reachable` declarations the scenario searches
    /// for too (empty when it names none).
    reach_programs: Programs,
    /// The module the actors call into, when the protocol has one and the scenario names its
    /// variant.
    nesting: Option<super::module::Nesting>,
}

/// The budget of optional cancellations (`cancels_max`) or kills (`kills_max`, `platform
/// node`), and the key that gave it.
fn fault_budget<'a>(
    src: &Source,
    file: &'a GenericFile,
    proto: &FileProtocol,
) -> Result<Option<(&'a Spanned<u64>, &'static str)>, ScenarioError> {
    let Some(f) = file.faults.as_ref() else {
        return Ok(None);
    };
    let node = proto.protocol.ast.platform.text == "node";
    match (&f.cancels_max, &f.kills_max, node) {
        (Some(c), _, true) => Err(at(src, c, "`platform node` has no cancellation: its budget is `kills_max`")),
        (_, Some(k), false) => Err(at(src, k, "`kills_max` is a `platform node` budget: this protocol's requests are cancelled (`cancels_max`)")),
        (_, Some(k), true) => Ok(Some((k, "kills_max"))),
        (Some(c), _, false) => Ok(Some((c, "cancels_max"))),
        (None, None, _) => Ok(None),
    }
}

/// `[faults] kills_max` on `platform node`: the processes `kill` lists, or every process when
/// neither a list nor any process's own `kill` key says who, may be killed at any await point.
fn killable(
    src: &Source,
    file: &GenericFile,
    proto: &FileProtocol,
    actors: &mut [ActorSpec],
) -> Result<(), ScenarioError> {
    let Some(f) = file.faults.as_ref() else {
        return Ok(());
    };
    if let (Some(names), false) = (&f.kill, proto.protocol.ast.platform.text == "node") {
        let first = names.first().map_or(0..0, |n| n.span());
        return Err(src
            .error(
                Some(first),
                "processes are killed on `platform node`; a workerd request is cancelled",
            )
            .help("list who may be cancelled with each actor's `cancel = \"any\"`"));
    }
    let any = (0, i64::MAX / 4);
    match (&f.kill, &f.kills_max) {
        (Some(names), _) => {
            for n in names {
                let Some(a) = actors.iter_mut().find(|a| &a.name == n.get_ref()) else {
                    return Err(at(src, n, format!("no actor is named `{}`", n.get_ref())));
                };
                a.cancel_window.get_or_insert(any);
            }
        }
        (None, Some(_)) if actors.iter().all(|a| a.cancel_window.is_none()) => {
            actors.iter_mut().for_each(|a| a.cancel_window = Some(any));
        }
        _ => {}
    }
    Ok(())
}

/// `[faults] pauses_max` and `pause_ms` (`platform node`): how many pauses at any await point
/// one run may take, how long each lasts; marks the processes `pause` lists (all by default)
/// as pausable.
fn pause_budget(
    src: &Source,
    file: &GenericFile,
    proto: &FileProtocol,
    actors: &mut [ActorSpec],
) -> Result<(i64, i64), ScenarioError> {
    let Some(f) = file.faults.as_ref() else {
        return Ok((0, 0));
    };
    let node = proto.protocol.ast.platform.text == "node";
    let (max, ms) = match (&f.pauses_max, &f.pause_ms) {
        (None, None) if f.pause.is_none() => return Ok((0, 0)),
        (Some(m), _) if !node => {
            return Err(at(
                src,
                m,
                "pauses belong to `platform node`: a workerd request is cancelled, not paused",
            ))
        }
        (Some(m), Some(ms)) if *m.get_ref() <= 64 && *ms.get_ref() >= 1 => {
            (*m.get_ref() as i64, *ms.get_ref() as i64)
        }
        (Some(m), Some(_)) if *m.get_ref() > 64 => {
            return Err(at(src, m, "`pauses_max` above 64 is not supported"))
        }
        (Some(_), Some(ms)) => return Err(at(src, ms, "`pause_ms` is at least 1")),
        (Some(m), None) => {
            return Err(at(src, m, "pauses need a length").help("add `pause_ms` to `[faults]`"))
        }
        (None, Some(ms)) => {
            return Err(at(src, ms, "`pause_ms` without `pauses_max` pauses nobody")
                .help("add `pauses_max = 1`"))
        }
        (None, None) => (0, 0),
    };
    match &f.pause {
        None => actors.iter_mut().for_each(|a| a.pausable = true),
        Some(names) => {
            for n in names {
                let Some(a) = actors.iter_mut().find(|a| &a.name == n.get_ref()) else {
                    return Err(at(src, n, format!("no actor is named `{}`", n.get_ref())));
                };
                a.pausable = true;
            }
        }
    }
    Ok((max, ms))
}

/// A `[[faults.syscall]]` checked, its path still text.
struct SyscallFault<'a> {
    entry: &'a SyscallEntry,
    op: lockstep_sim::machine::os::FaultOp,
    errno: lockstep_sim::machine::os::Errno,
    at: i64,
    times: i64,
}

fn syscall_faults<'a>(
    src: &Source,
    file: &'a GenericFile,
    proto: &FileProtocol,
) -> Result<Vec<SyscallFault<'a>>, ScenarioError> {
    use lockstep_sim::machine::os::{Errno, FaultOp};
    let Some(entries) = file.faults.as_ref().and_then(|f| f.syscall.as_ref()) else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for e in entries {
        if proto.protocol.ast.platform.text != "node" {
            return Err(at(src, &e.op, "syscall faults belong to `platform node`"));
        }
        let Some(&(_, op)) = FaultOp::NAMES.iter().find(|(n, _)| n == e.op.get_ref()) else {
            let names: Vec<&str> = FaultOp::NAMES.iter().map(|(n, _)| *n).collect();
            return Err(at(
                src,
                &e.op,
                format!("unknown system call `{}`", e.op.get_ref()),
            )
            .help(format!("the calls a fault can name: {}", names.join(", "))));
        };
        let Some(errno) = Errno::parse(e.errno.get_ref()) else {
            let names: Vec<&str> = Errno::ALL.iter().map(|e| e.name()).collect();
            return Err(at(
                src,
                &e.errno,
                format!("unknown errno `{}`", e.errno.get_ref()),
            )
            .help(format!("the errnos: {}", names.join(", "))));
        };
        let times = match &e.times {
            Some(t) if !(1..=255).contains(t.get_ref()) => {
                return Err(at(src, t, "`times` is 1 to 255"))
            }
            Some(t) => *t.get_ref() as i64,
            None => 1,
        };
        let at_ms = e.at_ms.as_ref().map_or(0, |a| *a.get_ref() as i64);
        out.push(SyscallFault {
            entry: e,
            op,
            errno,
            at: at_ms,
            times,
        });
    }
    Ok(out)
}

/// Writes the scenario's syscall faults into a lowered program, their paths resolved against
/// the names this variant's code uses. A path the variant never names cannot be failed in it:
/// the fault is kept (it will be reported as never fired), and `missed[i]` says why, so that a
/// path no variant names at all is an error.
fn resolve_syscalls(
    faults: &[SyscallFault<'_>],
    aliases: &[(String, String)],
    actors: &[ActorSpec],
    program: &mut std::sync::Arc<Program>,
    missed: &mut [Option<String>],
) {
    let program = std::sync::Arc::make_mut(program);
    let Some(os) = program.os.as_mut() else {
        missed.iter_mut().for_each(|m| {
            m.get_or_insert_with(|| "this protocol makes no system calls to fail".to_string());
        });
        return;
    };
    for (i, f) in faults.iter().enumerate() {
        let path = match alias_target(f.entry.path.get_ref(), aliases, actors)
            .and_then(|text| os.parse_path(&text))
        {
            Ok(p) => {
                missed[i] = Some(String::new());
                p
            }
            Err(why) => {
                missed[i].get_or_insert(why);
                [-1; lockstep_sim::machine::os::DEPTH]
            }
        };
        let op = f.entry.op.get_ref();
        os.faults.push(lockstep_sim::machine::os::SysFault {
            op: f.op,
            path,
            errno: f.errno,
            at: f.at,
            shown: format!("{op} {}: {}", f.entry.path.get_ref(), f.errno.name()),
        });
    }
}

/// The path a fault's `path` names: an alias's path (`lock`), a per-process alias's path with
/// that process's pid (`intent-W`: alias `intent`, whose path holds `{pid}`, of process `W`),
/// or the text itself.
fn alias_target(
    text: &str,
    aliases: &[(String, String)],
    actors: &[ActorSpec],
) -> Result<String, String> {
    if let Some((_, path)) = aliases
        .iter()
        .find(|(n, p)| n == text && !p.contains("{pid}"))
    {
        return Ok(path.clone());
    }
    for (alias, path) in aliases.iter().filter(|(_, p)| p.contains("{pid}")) {
        let Some(actor) = text
            .strip_prefix(alias.as_str())
            .and_then(|rest| rest.strip_prefix('-'))
        else {
            continue;
        };
        let Some(a) = actors.iter().find(|a| a.name == actor) else {
            let names: Vec<&str> = actors.iter().map(|a| a.name.as_str()).collect();
            return Err(format!(
                "no process is named `{actor}`: `{alias}-NAME` is a process's own path, NAME one of {}",
                names.join(", ")
            ));
        };
        return Ok(path.replace("{pid}", &a.process.pid.to_string()));
    }
    Ok(text.to_string())
}

fn load_scenario(
    proto: &'static FileProtocol,
    src: &Source,
) -> Result<Box<dyn LoadedScenario>, ScenarioError> {
    let mut file: GenericFile = scenario::parse(src)?;
    let mut meta = scenario::validate_meta(src, &file, &proto.catalogue())?;
    meta.protocol = proto.id;
    let all_checks: Vec<String> = meta.invariants.iter().map(|p| p.id.to_string()).collect();
    // The file's `reachable` declarations the scenario searches for are lowered with its
    // invariants (after them), and split off below.
    let declared: Vec<String> = meta
        .reachable
        .iter()
        .filter(|t| proto.protocol.reachables.iter().any(|r| r.name == t.id))
        .map(|t| t.id.to_string())
        .collect();
    let (nesting, mut checks) = match &proto.module {
        Some(m) => {
            let (nesting, host_checks) = nest(src, &mut file, proto, m, &all_checks)?;
            if !file.check.get_ref().reachable.is_empty() && nesting.is_some() {
                return Err(at(src, &file.check.get_ref().reachable[0], "reachability targets are not searched in a scenario whose protocol calls into a module yet").help("check the module's invariants instead, or leave its variant out"));
            }
            (nesting, host_checks)
        }
        None => (None, all_checks),
    };
    checks.extend(declared.iter().cloned());
    let structures = params_of(src, &file, proto, &fault_params(src, proto)?)?;
    let actors = actors_of(src, &file, proto)?;
    let budget = fault_budget(src, &file, proto)?;
    let cancels_max = match budget {
        Some((c, key)) if *c.get_ref() > 64 => {
            return Err(at(src, c, format!("`{key}` above 64 is not supported")))
        }
        Some((c, _)) => *c.get_ref() as i64,
        None => 1,
    };
    let mut actors = actors;
    let pauses = pause_budget(src, &file, proto, &mut actors)?;
    killable(src, &file, proto, &mut actors)?;
    let syscalls = syscall_faults(src, &file, proto)?;
    let mut programs = BTreeMap::new();
    let mut missed: Vec<Option<String>> = vec![None; syscalls.len()];
    let aliases = super::path_aliases(&proto.protocol.ast);
    for v in &proto.protocol.variants {
        let mut alts = Vec::new();
        for (label, params) in &structures {
            let inst = Instantiation {
                params: params.clone(),
                actors: actors.clone(),
                checks: checks.clone(),
                cancels_max,
                pauses_max: pauses.0,
                pause_ms: pauses.1,
                syscall_faults: syscalls.iter().map(|f| f.times).collect(),
                nested: nesting.is_some(),
                marks: Vec::new(),
            };
            let mut program = proto
                .protocol
                .lower(&v.name, &inst)
                .map_err(|d| lowering_error(src, proto, d))?;
            if !syscalls.is_empty() {
                resolve_syscalls(&syscalls, &aliases, &actors, &mut program, &mut missed);
            }
            alts.push((label.clone(), program));
        }
        programs.insert(v.name.clone(), alts);
    }
    // A fault whose path no variant resolves is a mistake in the scenario (an empty message:
    // some variant resolved it).
    for (f, why) in syscalls.iter().zip(&missed) {
        if let Some(why) = why.as_ref().filter(|w| !w.is_empty()) {
            return Err(at(src, &f.entry.path, why.clone()));
        }
    }
    let reach_programs = if declared.is_empty() {
        BTreeMap::new()
    } else {
        let invariants: Vec<&str> = meta.invariants.iter().map(|p| p.id).collect();
        let reach = programs.clone();
        programs = restricted_programs(&programs, &invariants);
        reach
    };
    Ok(Box::new(FileScenario {
        proto,
        meta,
        programs,
        reach_programs,
        nesting,
    }))
}

/// Every structure's program of every variant, judging only the properties `ids`.
fn restricted_programs(programs: &Programs, ids: &[&str]) -> Programs {
    programs
        .iter()
        .map(|(variant, structures)| {
            let restricted = structures
                .iter()
                .map(|(label, p)| (label.clone(), Arc::new(p.restricted(ids))))
                .collect();
            (variant.clone(), restricted)
        })
        .collect()
}

/// A scenario of a file with a module: the host's keys stay in `file`; the guest is lowered at
/// the variant the scenario names (no variant: nothing calls into it, and a call is a runtime
/// error). Returns the nesting and the host's own checks.
fn nest(
    src: &Source,
    file: &mut GenericFile,
    proto: &FileProtocol,
    m: &super::registry::Module,
    checks: &[String],
) -> Result<(Option<super::module::Nesting>, Vec<String>), ScenarioError> {
    let split = m.split(src, file.params.as_ref(), &file.actor, &proto.protocol)?;
    file.params = Some(split.host_params);
    file.actor = split.host_actors;
    let (order, host_checks, guest_checks) = m.order(checks);
    let Some(variant) = split.variant else {
        if let Some(id) = guest_checks.first() {
            let span = file
                .check
                .get_ref()
                .invariants
                .iter()
                .find(|s| s.get_ref() == id)
                .map(|s| s.span());
            return Err(src.error(span, format!("`{id}` is an invariant of the {} module, and this scenario names no variant of it", m.name))
                .help(format!("add `{} = \"<variant>\"` to [params]", m.name)));
        }
        return Ok((None, host_checks));
    };
    let g = m.guest;
    if g.protocol.variant(variant.get_ref()).is_none() {
        let names: Vec<&str> = g.variants.iter().map(|v| v.name).collect();
        return Err(at(
            src,
            &variant,
            format!(
                "`{}` is not a variant of {}",
                variant.get_ref(),
                g.protocol.name
            ),
        )
        .help(format!("its variants are: {}", names.join(", "))));
    }
    let mut guest_file: GenericFile = scenario::parse(src)?;
    guest_file.params = Some(split.guest_params);
    guest_file.actor = split.guest_actors;
    let structures = params_of(src, &guest_file, g, &Table::new())?;
    let [(_, params)] = &structures[..] else {
        return Err(src
            .error(
                src.section_span("params"),
                format!("the {} module's parameters cannot be left open", m.name),
            )
            .help("give each of its parameters one value"));
    };
    let mut actors = actors_of(src, &guest_file, g)?;
    for a in &mut actors {
        // A guest actor starts when its host actor calls in, never by itself.
        a.arrive = vec![lockstep_sim::machine::NEVER];
    }
    let inst = Instantiation {
        params: params.clone(),
        actors,
        checks: guest_checks,
        cancels_max: 0,
        ..Default::default()
    };
    let guest = g
        .protocol
        .lower(variant.get_ref(), &inst)
        .map_err(|d| lowering_error(src, g, d))?;
    Ok((Some(super::module::Nesting { guest, order }), host_checks))
}

/// A lowering error for this scenario: an assumption the scenario's values break points at
/// the scenario and at the file's `assume`; anything else at the protocol file.
fn lowering_error(src: &Source, proto: &FileProtocol, d: Diag) -> ScenarioError {
    let p = &proto.protocol;
    if let Some(rest) = d.message.strip_prefix(VALUE_PREFIX) {
        // A value outside the parameter's `in [...]` list: at the scenario's key, with the
        // file's declaration below.
        let mut parts = rest.splitn(3, '\u{1f}');
        let (actor, key, message) = (
            parts.next().unwrap_or_default(),
            parts.next().unwrap_or_default(),
            parts.next().unwrap_or_default().to_string(),
        );
        let span = src
            .key_span(actor, key)
            .or_else(|| src.section_span(if actor.is_empty() { "params" } else { "actor" }));
        let mut e = src
            .error(span, message.clone())
            .help(d.help.clone().unwrap_or_default());
        e.also = Some(Box::new(
            Diag {
                message: "the parameter's declaration".to_string(),
                help: None,
                ..d
            }
            .located(&p.path, &p.text),
        ));
        return e;
    }
    match d.message.strip_prefix(ASSUME_PREFIX) {
        Some(m) => {
            // `m` reads "assumption `COND` does not hold[ for actor `NAME`]"; the help is the
            // file's reason. An actor's assumption points at that actor, a global one at
            // `[params]`.
            let actor = m
                .split_once(" for actor `")
                .and_then(|(_, rest)| rest.split('`').next());
            let span = actor
                .and_then(|a| src.key_span(a, "name"))
                .or_else(|| src.section_span("params"))
                .unwrap_or(0..0);
            let cond = m
                .strip_prefix("assumption ")
                .and_then(|r| r.split(" does not hold").next())
                .unwrap_or(m);
            let why = d.help.clone().unwrap_or_default();
            let mut e = src
                .error(
                    Some(span),
                    format!("these values break the protocol's assumption {cond}"),
                )
                .help(format!("{why} (the protocol's assumption is below)"));
            e.also = Some(Box::new(
                Diag {
                    message: m.to_string(),
                    help: None,
                    ..d
                }
                .located(&p.path, &p.text),
            ));
            e
        }
        None => d.located(&p.path, &p.text),
    }
}

/// A scenario value read as a scalar of the parameter's type (`ty` as the file writes it).
fn scalar(
    src: &Source,
    v: &Spanned<toml::Value>,
    ty: &str,
    key: &str,
) -> Result<Scalar, ScenarioError> {
    let base = ty.trim_end_matches('?');
    match (base, v.get_ref()) {
        ("int" | "dur", toml::Value::Integer(i)) => {
            if base == "dur" && *i < 0 {
                return Err(at(
                    src,
                    v,
                    format!("`{key}` is a duration: it cannot be negative"),
                ));
            }
            Ok(Scalar::Int(*i))
        }
        ("bool", toml::Value::Boolean(b)) => Ok(Scalar::Bool(*b)),
        ("sym", toml::Value::String(s)) => Ok(Scalar::Sym(s.clone())),
        _ => Err(at(
            src,
            v,
            format!(
                "`{key}` takes {}",
                match base {
                    "dur" => "a whole number of milliseconds",
                    "int" => "an integer",
                    "bool" => "true or false",
                    "sym" => "a name in quotes",
                    _ => "a value of the file's type",
                }
            ),
        )),
    }
}

/// The element type and capacity of a list type as the file writes it (`list[sym; 6]`:
/// `sym`, 6).
fn list_element(ty: &str) -> Option<(&str, usize)> {
    let inner = ty.trim().strip_prefix("list[")?.strip_suffix(']')?;
    let (elem, cap) = inner.rsplit_once(';')?;
    Some((elem.trim(), cap.trim().parse().ok()?))
}

/// A value that may be open: one value, a list, or (for numbers) a range. A `list[T; N]`
/// parameter is never open: the scenario's array is its one value.
fn choice(
    src: &Source,
    v: &Spanned<toml::Value>,
    ty: &str,
    key: &str,
) -> Result<Vec<Scalar>, ScenarioError> {
    if let Some((elem, cap)) = list_element(ty) {
        let toml::Value::Array(items) = v.get_ref() else {
            return Err(at(src, v, format!("`{key}` is a list: write `[...]`")));
        };
        if items.len() > cap {
            return Err(at(
                src,
                v,
                format!(
                    "`{key}` has {} elements; the protocol's {ty} holds at most {cap}",
                    items.len()
                ),
            ));
        }
        let mut out = Vec::new();
        for it in items {
            out.push(scalar(src, &Spanned::new(v.span(), it.clone()), elem, key)?);
        }
        return Ok(vec![Scalar::List(out)]);
    }
    match v.get_ref() {
        toml::Value::Array(items) => {
            if items.is_empty() {
                return Err(at(src, v, format!("`{key}` lists no value")));
            }
            let mut out = Vec::new();
            for it in items {
                let s = Spanned::new(v.span(), it.clone());
                out.push(scalar(src, &s, ty, key)?);
            }
            if out.len() > scenario::MAX_ALTERNATIVES {
                return Err(at(
                    src,
                    v,
                    format!(
                        "{} alternatives; at most {} are allowed",
                        out.len(),
                        scenario::MAX_ALTERNATIVES
                    ),
                ));
            }
            Ok(out)
        }
        toml::Value::Table(_) if ty.starts_with("int") || ty.starts_with("dur") => {
            let c: Choice<u64> = v
                .get_ref()
                .clone()
                .try_into()
                .map_err(|e: toml::de::Error| at(src, v, format!("`{key}`: {}", e.message())))?;
            let vals = c
                .values()
                .map_err(|why| at(src, v, format!("`{key}`: {why}")))?;
            Ok(vals.into_iter().map(|x| Scalar::Int(x as i64)).collect())
        }
        _ => Ok(vec![scalar(src, v, ty, key)?]),
    }
}

/// The scenario's `[params]`: one map per structure (the product of the open values).
/// One structure of a scenario: its label and its parameters' values.
type Structure = (String, BTreeMap<String, Scalar>);

fn params_of(
    src: &Source,
    file: &GenericFile,
    proto: &FileProtocol,
    faults: &Table,
) -> Result<Vec<Structure>, ScenarioError> {
    let p = &proto.protocol;
    let mut fixed = BTreeMap::new();
    let mut open: Vec<(String, Vec<Scalar>)> = Vec::new();
    let sections = file.params.iter().flatten().map(|e| (false, e));
    for (in_faults, (k, v)) in sections.chain(faults.iter().map(|e| (true, e))) {
        {
            if k.get_ref() == "host" && p.ast.platform.text == "node" && !in_faults {
                continue; // the hosts table: see `declared_hosts`
            }
            if let Some(d) = p
                .params
                .iter()
                .find(|d| &d.key == k.get_ref() && d.fault != in_faults)
            {
                let (is, belongs) = if d.fault {
                    ("a fault", "[faults]")
                } else {
                    ("a protocol", "[params]")
                };
                return Err(at(
                    src,
                    k,
                    format!(
                        "`{}` is {is} parameter of protocol `{}`",
                        k.get_ref(),
                        p.name
                    ),
                )
                .help(format!("set it under `{belongs}`")));
            }
            let Some(decl) = p.params.iter().find(|d| &d.key == k.get_ref()) else {
                let keys: Vec<&str> = p.params.iter().map(|d| d.key.as_str()).collect();
                let mut e = at(
                    src,
                    k,
                    format!(
                        "unknown parameter `{}` of protocol `{}`",
                        k.get_ref(),
                        p.name
                    ),
                )
                .help(format!("the parameters are: {}", keys.join(", ")));
                e.also = Some(Box::new(
                    Diag::new(
                        p.ast.name.span.clone(),
                        "the protocol file declares its parameters with `param`",
                    )
                    .located(&p.path, &p.text),
                ));
                return Err(e);
            };
            let vals = choice(src, v, &decl.ty, k.get_ref())?;
            if vals.len() == 1 {
                fixed.insert(decl.name.clone(), vals.into_iter().next().expect("one"));
            } else {
                open.push((decl.name.clone(), vals));
            }
        }
    }
    let mut out = vec![(String::new(), fixed)];
    for (name, vals) in &open {
        let mut next = Vec::new();
        for (label, m) in &out {
            for v in vals {
                let mut m2 = m.clone();
                m2.insert(name.clone(), v.clone());
                let sep = if label.is_empty() { "" } else { ", " };
                next.push((format!("{label}{sep}{name} = {}", v.describe()), m2));
            }
        }
        out = next;
        if out.len() > 255 {
            let span = src.section_span("params");
            return Err(src
                .error(span, "more than 255 combinations of open parameters")
                .help("leave fewer parameters open"));
        }
    }
    Ok(out)
}

const ACTOR_KEYS: &[&str] = &[
    "name",
    "kind",
    "arrive_ms",
    "cancel_at_ms",
    "cancel_at",
    "cancel",
];

/// The keys of a process (`platform node`), where the cancel keys are kill keys.
const PROCESS_KEYS: &[&str] = &[
    "name",
    "kind",
    "arrive_ms",
    "kill_at_ms",
    "kill_at",
    "kill",
    "pid",
    "host",
    "uid",
    "skew_ms",
    "pause_at_ms",
    "pause_at",
    "pause_ms",
    "crash_at_ms",
    "crash_at",
    "pid_reused_at_ms",
    "pid_reused_uid",
];

/// The host every process is on unless the scenario names another.
const DEFAULT_HOST: &str = "local";

/// A process's identity when the scenario gives none: pid 1000 + its position (distinct),
/// the default host, uid 1000, no skew.
pub fn default_process(i: usize) -> lockstep_sim::machine::Process {
    lockstep_sim::machine::Process {
        pid: 1000 + i as i64,
        host: 0,
        uid: 1000,
        skew: 0,
        hostname: 0,
        reuse_at: None,
        reuse_uid: 1000,
    }
}

/// A `platform node` key's `platform workerd` twin: a kill is the machine's cancellation
/// whose `finally` never runs (node has no anchor).
fn kill_key(key: &str) -> Option<&'static str> {
    match key {
        // `crash_at` is the seed scenarios' word for the same kill -9.
        "kill_at_ms" | "crash_at_ms" => Some("cancel_at_ms"),
        "kill_at" | "crash_at" => Some("cancel_at"),
        "kill" => Some("cancel"),
        _ => None,
    }
}

fn actors_of(
    src: &Source,
    file: &GenericFile,
    proto: &FileProtocol,
) -> Result<Vec<ActorSpec>, ScenarioError> {
    if file.actor.is_empty() {
        return Err(src
            .error(Some(0..0), "the scenario has no `[[actor]]`")
            .help("add at least one `[[actor]]` with a `name`"));
    }
    if file.actor.len() > 64 {
        return Err(at(src, &file.actor[64], "at most 64 actors are supported"));
    }
    let mut out: Vec<ActorSpec> = Vec::new();
    let mut hosts = declared_hosts(src, file)?;
    for entry in &file.actor {
        let spec = actor_of(src, entry, &proto.protocol, &out, &mut hosts)?;
        out.push(spec);
    }
    hosts.apply(&mut out);
    Ok(out)
}

/// One `[[actor]]` entry: its name and kind, then each key.
fn actor_of(
    src: &Source,
    entry: &Spanned<Table>,
    p: &Protocol,
    earlier: &[ActorSpec],
    hosts: &mut Hosts,
) -> Result<ActorSpec, ScenarioError> {
    let t = entry.get_ref();
    let get = |k: &str| t.iter().find(|(key, _)| key.get_ref() == k).map(|(_, v)| v);
    let name = match get("name").map(|v| (v, v.get_ref())) {
        Some((_, toml::Value::String(s))) if !s.trim().is_empty() => s.trim().to_string(),
        Some((v, _)) => return Err(at(src, v, "an actor's `name` is a non-empty string")),
        None => return Err(at(src, entry, "this actor has no `name`").help("add `name = \"A\"`")),
    };
    if earlier.iter().any(|a| a.name == name) {
        return Err(at(
            src,
            get("name").expect("named"),
            format!("two actors are named `{name}`"),
        ));
    }
    let kind = kind_of(src, entry, get("kind"), p)?;
    let k = p.kinds.iter().find(|x| x.name == kind).expect("known kind");
    let node = p.ast.platform.text == "node";
    let mut spec = ActorSpec {
        name,
        kind: kind.clone(),
        arrive: vec![0],
        // A workerd request is no process: no pid sets it apart from its twins (symmetry
        // between interchangeable requests depends on it).
        process: if node {
            default_process(earlier.len())
        } else {
            lockstep_sim::machine::Process::default()
        },
        ..Default::default()
    };
    for (key, v) in t {
        if node && process_key(src, key, v, &mut spec, hosts)? {
            continue;
        }
        platform_key(src, p, key)?;
        actor_key(src, p, k, key, v, &mut spec)?;
    }
    if let Some(c) = spec.cancel_at
        && c < spec.arrive[0]
    {
        let (name, key) = ["cancel_at_ms", "kill_at_ms", "crash_at_ms"]
            .into_iter()
            .find_map(|n| get(n).map(|v| (n, v)))
            .expect("set");
        return Err(at(
            src,
            key,
            format!(
                "`{name}` = {c} comes before the actor can arrive ({} ms)",
                spec.arrive[0]
            ),
        )
        .help("an actor can only be cancelled or killed once it has arrived"));
    }
    hosts.settle(src, get("skew_ms"), &mut spec)?;
    pause_length(
        src,
        &spec,
        get("pause_at").or(get("pause_at_ms")),
        get("pause_ms"),
    )?;
    Ok(spec)
}

/// The actor's kind: the one named, or the file's only one.
fn kind_of(
    src: &Source,
    entry: &Spanned<Table>,
    named: Option<&Spanned<toml::Value>>,
    p: &Protocol,
) -> Result<String, ScenarioError> {
    let kinds: Vec<&str> = p.kinds.iter().map(|k| k.name.as_str()).collect();
    if let [only] = &p.kinds[..]
        && kind_is_param(only)
    {
        // The file's only kind has a parameter called `kind`: the key sets it.
        return Ok(only.name.clone());
    }
    match named {
        Some(v) => match v.get_ref() {
            toml::Value::String(s) if kinds.contains(&s.as_str()) => Ok(s.clone()),
            _ => Err(at(src, v, "unknown actor kind")
                .help(format!("the file declares: {}", kinds.join(", ")))),
        },
        None if p.kinds.len() == 1 => Ok(p.kinds[0].name.clone()),
        None => Err(at(src, entry, "this actor does not say its `kind`")
            .help(format!("the file declares several: {}", kinds.join(", ")))),
    }
}

/// Whether an actor kind declares a parameter called `kind` (the isolate's request kinds:
/// `kind = "websocket"`), which the scenario's `kind` key then sets.
fn kind_is_param(k: &super::KindInfo) -> bool {
    k.params.iter().any(|d| d.key == "kind")
}

/// A key of the other platform: a process's on workerd, a cancellation on node.
fn platform_key(src: &Source, p: &Protocol, key: &Spanned<String>) -> Result<(), ScenarioError> {
    let node = p.ast.platform.text == "node";
    let k = key.get_ref().as_str();
    if !node && (kill_key(k).is_some() || PROCESS_KEYS[6..].contains(&k)) {
        return Err(at(src, key, format!("`{k}` is a process's key: this protocol runs on `platform {}`", p.ast.platform.text))
            .help("processes, pids, hosts and kills belong to `platform node`; a workerd request is cancelled (`cancel_at_ms`, `cancel_at`, `cancel`)"));
    }
    if node && k.starts_with("cancel") {
        return Err(at(
            src,
            key,
            "`platform node` has no cancellation: a process is killed",
        )
        .help("write `kill_at_ms`, `kill_at` or `kill` (kill -9: nothing more runs, files stay)"));
    }
    Ok(())
}

/// A scripted pause has a length, and a length has a pause.
fn pause_length(
    src: &Source,
    spec: &ActorSpec,
    when: Option<&Spanned<toml::Value>>,
    length: Option<&Spanned<toml::Value>>,
) -> Result<(), ScenarioError> {
    let paused = spec.pause_at.is_some() || !spec.pause_marks.is_empty();
    match (paused, when, length) {
        (true, Some(key), None) => {
            Err(at(src, key, "a pause needs a length").help("add `pause_ms` to the actor"))
        }
        (false, _, Some(v)) => Err(at(
            src,
            v,
            "`pause_ms` without `pause_at` or `pause_at_ms` pauses nothing",
        )),
        _ => Ok(()),
    }
}

/// The hosts `[[params.host]]` declares (`name`, `skew_ms`; `hostname` is accepted and not
/// modelled yet), in order after the default host.
fn declared_hosts(src: &Source, file: &GenericFile) -> Result<Hosts, ScenarioError> {
    let mut hosts = Hosts::default();
    let Some(list) = file.params.as_ref().and_then(|p| {
        p.iter()
            .find(|(k, _)| k.get_ref() == "host")
            .map(|(_, v)| v)
    }) else {
        return Ok(hosts);
    };
    let toml::Value::Array(entries) = list.get_ref() else {
        return Err(at(
            src,
            list,
            "`host` is a list of hosts: `[[params.host]]` tables",
        ));
    };
    for e in entries {
        let toml::Value::Table(t) = e else {
            return Err(at(src, list, "each `[[params.host]]` is a table"));
        };
        let name = match t.get("name") {
            Some(toml::Value::String(s)) => s.clone(),
            _ => return Err(at(src, list, "each `[[params.host]]` has a `name`")),
        };
        if let Some(k) = t
            .keys()
            .find(|k| !["name", "skew_ms", "hostname"].contains(&k.as_str()))
        {
            return Err(at(src, list, format!("unknown key `{k}` of a host"))
                .help("a host has `name`, `skew_ms` and `hostname`"));
        }
        let skew = match t.get("skew_ms") {
            None => 0,
            Some(toml::Value::Integer(i)) if i.abs() <= 86_400_000 => *i,
            Some(_) => {
                return Err(at(
                    src,
                    list,
                    "`skew_ms` is a whole number of ms, at most a day either way",
                ))
            }
        };
        let h = hosts.index(&name) as usize;
        hosts.skews[h] = Some(skew);
        match t.get("hostname") {
            None => {}
            Some(toml::Value::String(s)) => hosts.hostnames[h] = s.clone(),
            Some(_) => return Err(at(src, list, "`hostname` is a string")),
        }
    }
    Ok(hosts)
}

/// The hosts a scenario's processes name, by first mention (the default host first), and
/// each one's clock skew once a process gave it.
#[derive(Default)]
struct Hosts {
    names: Vec<String>,
    skews: Vec<Option<i64>>,
    /// What `os.hostname()` answers on each host (default: its name).
    hostnames: Vec<String>,
    /// The process's own `skew_ms` and host name, until [`Hosts::settle`].
    pending: Option<(String, Option<i64>)>,
}

impl Hosts {
    fn index(&mut self, name: &str) -> i64 {
        if self.names.is_empty() {
            self.names.push(DEFAULT_HOST.to_string());
            self.skews.push(None);
            self.hostnames.push(DEFAULT_HOST.to_string());
        }
        match self.names.iter().position(|n| n == name) {
            Some(i) => i as i64,
            None => {
                self.names.push(name.to_string());
                self.skews.push(None);
                self.hostnames.push(name.to_string());
                (self.names.len() - 1) as i64
            }
        }
    }

    /// Puts the process on its host and checks its skew agrees with the host's.
    fn settle(
        &mut self,
        src: &Source,
        skew_key: Option<&Spanned<toml::Value>>,
        spec: &mut ActorSpec,
    ) -> Result<(), ScenarioError> {
        let (host, skew) = self
            .pending
            .take()
            .unwrap_or((DEFAULT_HOST.to_string(), None));
        let h = self.index(&host);
        spec.process.host = h;
        let known = &mut self.skews[h as usize];
        match (skew, *known) {
            (Some(s), Some(k)) if s != k => Err(at(
                src,
                skew_key.expect("a skew was given"),
                format!("host `{host}` already runs {k} ms off: its processes share one clock"),
            )
            .help("give every process of a host the same `skew_ms`, or put this one on another `host`")),
            (Some(s), _) => {
                *known = Some(s);
                Ok(())
            }
            (None, _) => Ok(()),
        }
    }

    /// Every process runs on its host's clock (a host no process gave a skew runs on time) and
    /// answers its host's hostname (an index into the distinct hostnames, in order).
    fn apply(&self, specs: &mut [ActorSpec]) {
        let mut distinct: Vec<&str> = Vec::new();
        for h in &self.hostnames {
            if !distinct.contains(&h.as_str()) {
                distinct.push(h);
            }
        }
        for spec in specs {
            let h = spec.process.host as usize;
            spec.process.skew = self.skews.get(h).copied().flatten().unwrap_or(0);
            spec.process.hostname = self
                .hostnames
                .get(h)
                .and_then(|n| distinct.iter().position(|d| d == n))
                .unwrap_or(0) as i64;
        }
    }
}

/// A process key of a `platform node` actor (`pid`, `host`, `uid`, `skew_ms`, and the kill
/// keys); `Ok(false)`: not one.
fn process_key(
    src: &Source,
    key: &Spanned<String>,
    v: &Spanned<toml::Value>,
    spec: &mut ActorSpec,
    hosts: &mut Hosts,
) -> Result<bool, ScenarioError> {
    let name = key.get_ref().as_str();
    let int = |lo: i64, hi: i64, what: &str| match v.get_ref() {
        toml::Value::Integer(i) if (lo..=hi).contains(i) => Ok(*i),
        _ => Err(at(src, v, format!("`{name}` is {what}, from {lo} to {hi}"))),
    };
    match name {
        "pid" => spec.process.pid = int(1, 4_194_304, "a process id")?,
        "pid_reused_at_ms" => {
            spec.process.reuse_at = Some(int(0, i64::MAX / 4, "an instant in ms")?)
        }
        "pid_reused_uid" => spec.process.reuse_uid = int(0, 65_535, "a user id")?,
        "pause_at_ms" => spec.pause_at = Some(int(0, i64::MAX / 4, "an instant in ms")?),
        "pause_ms" => spec.pause_ms = int(1, i64::MAX / 4, "a pause's length in ms")?,

        "uid" => spec.process.uid = int(0, 65_535, "a user id")?,
        "skew_ms" => {
            let s = int(
                -86_400_000,
                86_400_000,
                "the host clock's offset in ms (negative: behind)",
            )?;
            let host = hosts
                .pending
                .take()
                .map(|p| p.0)
                .unwrap_or_else(|| DEFAULT_HOST.to_string());
            hosts.pending = Some((host, Some(s)));
        }
        "host" => {
            let toml::Value::String(h) = v.get_ref() else {
                return Err(at(src, v, "`host` is a host's name, in quotes"));
            };
            let skew = hosts.pending.take().and_then(|p| p.1);
            hosts.pending = Some((h.clone(), skew));
        }
        _ => return Ok(false),
    }
    Ok(true)
}

fn actor_key(
    src: &Source,
    p: &Protocol,
    k: &super::KindInfo,
    key: &Spanned<String>,
    v: &Spanned<toml::Value>,
    spec: &mut ActorSpec,
) -> Result<(), ScenarioError> {
    let raw = key.get_ref().as_str();
    let kname = kill_key(raw).unwrap_or(raw);
    match kname {
        "name" => Ok(()),
        "kind" if !kind_is_param(k) => Ok(()),
        "arrive_ms" => {
            let mut vals: Vec<i64> = choice(src, v, "dur", kname)?
                .into_iter()
                .map(|s| match s {
                    Scalar::Int(i) => i,
                    _ => 0,
                })
                .collect();
            vals.sort_unstable();
            vals.dedup();
            spec.arrive = vals;
            Ok(())
        }
        "cancel_at_ms" => match v.get_ref() {
            toml::Value::Integer(i) if *i >= 0 => {
                spec.cancel_at = Some(*i);
                Ok(())
            }
            _ => Err(at(
                src,
                v,
                "`cancel_at_ms` is a whole number of milliseconds",
            )),
        },
        "cancel_at" | "pause_at" => {
            let toml::Value::String(m) = v.get_ref() else {
                return Err(at(src, v, format!("`{raw}` names a mark, in quotes")));
            };
            mark_of(src, p, v, m)?;
            if kname == "pause_at" {
                spec.pause_marks.push(m.clone());
            } else {
                spec.cancel_marks.push(m.clone());
            }
            Ok(())
        }
        "cancel" => {
            spec.cancel_window = Some(match v.get_ref() {
                toml::Value::String(s) if s == "any" => (0, i64::MAX / 4),
                toml::Value::Table(t) => {
                    let num = |n: &str| t.get(n).and_then(toml::Value::as_integer);
                    match (num("from_ms"), num("to_ms"), t.len()) {
                        (Some(a), Some(b), 2) if 0 <= a && a <= b => (a, b),
                        _ => return Err(at(src, v, "a cancel window is `{ from_ms = 0, to_ms = 500 }` with from_ms ≤ to_ms")),
                    }
                }
                _ => {
                    return Err(at(
                        src,
                        v,
                        "write `cancel = \"any\"` or `cancel = { from_ms = 0, to_ms = 500 }`",
                    ))
                }
            });
            Ok(())
        }
        _ => {
            if let Some((_, mark)) = p.aliases.iter().find(|(a, _)| a == kname) {
                match v.get_ref() {
                    toml::Value::Boolean(true) => spec.cancel_marks.push(mark.clone()),
                    toml::Value::Boolean(false) => {}
                    _ => return Err(at(src, v, format!("`{kname}` is true or false"))),
                }
                return Ok(());
            }
            let Some(decl) = k.params.iter().find(|d| d.key == kname) else {
                let base = if p.ast.platform.text == "node" {
                    PROCESS_KEYS
                } else {
                    ACTOR_KEYS
                };
                let mut keys: Vec<String> = base.iter().map(|s| s.to_string()).collect();
                keys.extend(k.params.iter().map(|d| d.key.clone()));
                keys.extend(p.aliases.iter().map(|(a, _)| a.clone()));
                let mut e = at(
                    src,
                    key,
                    format!("unknown key `{raw}` for an actor of kind `{}`", k.name),
                )
                .help(format!("the keys are: {}", keys.join(", ")));
                if let Some(decl_span) = p.ast.items.iter().find_map(|i| match &i.kind {
                    super::ast::ItemKind::Actor(a) if a.name.text == k.name => {
                        Some(a.name.span.clone())
                    }
                    _ => None,
                }) {
                    e.also = Some(Box::new(
                        Diag::new(
                            decl_span,
                            format!("actor kind `{}` declares its parameters here", k.name),
                        )
                        .located(&p.path, &p.text),
                    ));
                }
                return Err(e);
            };
            let vals = choice(src, v, &decl.ty, kname)?;
            spec.params.insert(
                decl.name.clone(),
                if vals.len() == 1 {
                    ParamSpec::Fixed(vals.into_iter().next().expect("one"))
                } else {
                    ParamSpec::Open(vals)
                },
            );
            let _ = scenario_key;
            Ok(())
        }
    }
}

fn mark_of(
    src: &Source,
    p: &Protocol,
    v: &Spanned<toml::Value>,
    m: &str,
) -> Result<(), ScenarioError> {
    if p.marks.iter().any(|x| x == m) {
        return Ok(());
    }
    let mut e = at(src, v, format!("protocol `{}` has no mark `{m}`", p.name)).help(format!(
        "its marks are: {}",
        if p.marks.is_empty() {
            "(none)".to_string()
        } else {
            p.marks.join(", ")
        }
    ));
    e.also = Some(Box::new(
        Diag::new(
            p.ast.name.span.clone(),
            "marks are declared in the code with `mark NAME`",
        )
        .located(&p.path, &p.text),
    ));
    Err(e)
}

impl FileScenario {
    fn machines(&self, variant: &str, plan: &Plan) -> Vec<(String, Machine)> {
        self.programs[variant]
            .iter()
            .map(|(label, p)| (label.clone(), Machine::new(p.clone(), plan.config.symmetry)))
            .collect()
    }

    /// The host's machines, each calling into its own instances of the module's program.
    fn composites(
        &self,
        variant: &str,
        plan: &Plan,
        n: &super::module::Nesting,
    ) -> Vec<(String, Composite)> {
        self.machines(variant, plan)
            .into_iter()
            .map(|(label, host)| {
                let guest = Machine::new(n.guest.clone(), false);
                (label, Composite::new(host, guest, &n.order))
            })
            .collect()
    }
}

impl LoadedScenario for FileScenario {
    fn meta(&self) -> &Meta {
        &self.meta
    }

    fn variants(&self) -> &'static [VariantInfo] {
        self.proto.variants
    }

    fn set_interpreted(&mut self) {
        self.meta.interpreted = true;
    }

    fn search_instead_of_replay(&mut self) -> bool {
        self.meta.plan.strategy = lockstep_sim::Strategy::Exhaustive;
        self.meta.plan.schedule = None;
        true
    }

    fn set_protocol_hash(&mut self, hash: String) {
        self.meta.protocol_hash = Some(hash);
    }

    /// The same scenario judging only `invariants`: each structure's program keeps only their
    /// properties. A scenario with a module merges the module's properties with the host's
    /// (`module::Nesting::order`), and is not restricted.
    fn restricted(&self, invariants: &[Property]) -> Option<Box<dyn LoadedScenario>> {
        if self.nesting.is_some() {
            return None;
        }
        let ids: Vec<&str> = invariants.iter().map(|p| p.id).collect();
        Some(Box::new(FileScenario {
            proto: self.proto,
            meta: self.meta.restricted(invariants),
            programs: restricted_programs(&self.programs, &ids),
            reach_programs: BTreeMap::new(),
            nesting: None,
        }))
    }

    fn explore(&self, variant: &str, plan: &Plan) -> Outcome {
        let mut o = self.explore_properties(variant, plan);
        o.reached = self
            .meta
            .reachable
            .iter()
            .map(|t| self.reach(variant, plan, *t))
            .collect();
        o
    }

    fn replay(&self, variant: &str, schedule: &Schedule, plan: &Plan) -> Result<Replayed, String> {
        match &self.nesting {
            Some(n) => replay_structures(self.composites(variant, plan, n), schedule, plan),
            None => replay_structures(self.machines(variant, plan), schedule, plan),
        }
    }
    fn process_ids(&self) -> Vec<(String, i64)> {
        // Every variant and structure binds the same scenario: any program names them all.
        self.programs
            .values()
            .flat_map(|structures| structures.first())
            .next()
            .filter(|(_, p)| p.platform == lockstep_sim::machine::program::Platform::Node)
            .map(|(_, p)| {
                p.actors
                    .iter()
                    .map(|a| (a.name.clone(), a.process.pid))
                    .collect()
            })
            .unwrap_or_default()
    }
    fn replay_witness(
        &self,
        variant: &str,
        target: Property,
        schedule: &Schedule,
        plan: &Plan,
    ) -> Result<Replayed, String> {
        let machines = self.reach_machines(variant, plan, target);
        replay_structures(machines, schedule, plan).map(|r| crate::reach::as_witness(r, target.id))
    }
}

/// A reachability search over the structures' machines (several as one choice among them).
fn search_structures(
    mut ms: Vec<(String, Machine)>,
    target: &'static str,
    plan: &Plan,
) -> crate::reach::Reach {
    if ms.len() == 1 {
        let (_, m) = ms.pop().expect("one");
        return crate::reach::search(&m, target, plan);
    }
    let one = OneOf::new(ms).expect("every structure checks the same property");
    crate::reach::search(&one, target, plan)
}

impl FileScenario {
    /// One reachability target searched on its own: the variant's programs with "never
    /// reached" as their only property.
    fn reach(&self, variant: &str, plan: &Plan, target: Property) -> crate::reach::Reach {
        search_structures(self.reach_machines(variant, plan, target), target.id, plan)
    }

    /// The machines a search for `target` runs, one per structure.
    fn reach_machines(
        &self,
        variant: &str,
        plan: &Plan,
        target: Property,
    ) -> Vec<(String, Machine)> {
        if let Some(structures) = self.reach_programs.get(variant).filter(|_| {
            self.proto
                .protocol
                .reachables
                .iter()
                .any(|r| r.name == target.id)
        }) {
            // A `reachable` declaration: its program judges "never EXPR" and nothing else.
            let ms: Vec<(String, Machine)> = structures
                .iter()
                .map(|(label, p)| {
                    let only = Arc::new(p.restricted(&[target.id]));
                    (label.clone(), Machine::new(only, plan.config.symmetry))
                })
                .collect();
            return ms;
        }
        self.programs[variant]
            .iter()
            .map(|(label, p)| {
                let goal = match target.id {
                    "throws" => lockstep_sim::machine::Reach::Throws,
                    mark => lockstep_sim::machine::Reach::Mark(
                        p.marks
                            .iter()
                            .position(|m| m == mark)
                            .map_or(u32::MAX, |i| i as u32),
                    ),
                };
                let reaching = Arc::new(p.reaching(goal, target));
                (label.clone(), Machine::new(reaching, plan.config.symmetry))
            })
            .collect()
    }

    fn explore_properties(&self, variant: &str, plan: &Plan) -> Outcome {
        match &self.nesting {
            Some(n) => {
                self.explore_structures(self.composites(variant, plan, n), plan, Composite::host)
            }
            None => self.explore_structures(self.machines(variant, plan), plan, |m| m),
        }
    }

    /// Explores one model per structure (several as one choice among them); for a complete
    /// search, the lines of the file's code no explored step ran (see `lang::unreached`),
    /// read from each model's `host` machine.
    fn explore_structures<M: lockstep_sim::Model<Move: 'static>>(
        &self,
        mut models: Vec<(String, M)>,
        plan: &Plan,
        host: fn(&M) -> &Machine,
    ) -> Outcome {
        let p = &self.proto.protocol;
        let complete = |o: &Outcome| {
            o.report.strategy == lockstep_sim::Strategy::Exhaustive && o.verdict.is_holds()
        };
        if models.len() == 1 {
            let (_, m) = models.pop().expect("one");
            let mut o = engine::explore(&m, plan);
            if complete(&o) {
                let hosts = std::iter::once(host(&m));
                o.unreached = Some(super::unreached::unreached(hosts, &p.path, &p.text));
            }
            return o;
        }
        let one = OneOf::new(models).expect("every structure checks the same properties");
        let mut o = engine::explore(&one, plan);
        if complete(&o) {
            let hosts = one.models().map(host);
            o.unreached = Some(super::unreached::unreached(hosts, &p.path, &p.text));
        }
        o
    }
}

/// Replays a schedule on one model per structure (several as one choice among them).
fn replay_structures<M: lockstep_sim::Model<Move: 'static>>(
    mut models: Vec<(String, M)>,
    schedule: &Schedule,
    plan: &Plan,
) -> Result<Replayed, String> {
    if models.len() == 1 {
        let (_, m) = models.pop().expect("one");
        return engine::replay_model(&m, schedule, plan);
    }
    let one = OneOf::new(models).expect("every structure checks the same properties");
    engine::replay_model(&one, schedule, plan)
}
