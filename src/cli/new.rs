//! `lockstep new PROTOCOL FILE`: writes a commented, runnable scenario to start from: the
//! protocol's situation in a few actors, its `[params]` with their defaults, every invariant
//! to choose from (each with what it means), an exhaustive exploration, and no `[expect]` yet
//! (`lockstep run FILE` then prints the block to paste). `PROTOCOL` may also be a protocol
//! file (`*.lstep`): the scenario then names it by a path relative to the scenario, with its
//! parameters, two actors of each kind and its invariants.

use std::fmt::Write;

use crate::cli::common::usage_error;
use crate::cli::EXIT_OK;
use crate::models::{find, protocols};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The protocol (`lockstep list` names them), or a protocol file (`*.lstep`).
    pub protocol: String,
    /// The scenario file to write (refused if it exists).
    pub file: String,
}

/// Each built-in protocol's starting situation: `[params]` with their defaults, and actors.
fn body(protocol: &str) -> &'static str {
    match protocol {
        "init-lock" => INIT_LOCK,
        "restart-lock" => RESTART_LOCK,
        "prewarm-lock" => PREWARM_LOCK,
        _ => ISOLATE,
    }
}

pub fn run(a: Args) -> u8 {
    if std::path::Path::new(&a.file).exists() {
        return usage_error(&format!("`{}` exists: choose another file name", a.file));
    }
    if crate::models::names_file(&a.protocol) {
        return from_protocol_file(&a);
    }
    let Some(proto) = find(&a.protocol) else {
        let names: Vec<&str> = protocols().iter().map(|p| p.id()).collect();
        return usage_error(&format!(
            "unknown protocol `{}`; the protocols are: {}",
            a.protocol,
            names.join(", ")
        ));
    };
    let name = stem(&a.file);
    let mut out = format!(
        "# A scenario of {} ({}).\n# Variants: {}.\n\
         # `lockstep run {}` explores every variant and prints an [expect] block to paste below.\n\
         name = \"{name}\"\ndescription = \"what this scenario is about\"\nprotocol = \"{}\"\n\n",
        proto.id(),
        proto.summary(),
        proto
            .variants()
            .iter()
            .map(|v| v.name)
            .collect::<Vec<_>>()
            .join(", "),
        a.file,
        proto.id()
    );
    out.push_str(body(proto.id()));
    out.push_str("\n[check]\n# The verdict names the first of these that any reachable world violates.\ninvariants = [\n");
    for p in proto.invariants() {
        // The isolate lists the init lock's invariants too; they need an init lock in the
        // module state (`init_lock` in [params]), so they start commented out.
        let guest = p.summary.starts_with("[the init lock");
        let _ = writeln!(
            out,
            "  {}\"{}\",  # {}",
            if guest { "# " } else { "" },
            p.id,
            p.summary
        );
    }
    out.push_str("]\n");
    let reachable = proto.reachable();
    if !reachable.is_empty() {
        out.push_str("# Places the scenario must reach (a witness each, or the result fails):\n");
        for r in &reachable {
            let _ = writeln!(out, "#   {}: {}", r.id, r.summary);
        }
        out.push_str("# reachable = []\n");
    }
    out.push_str(
        "\n[explore]\nstrategy = \"exhaustive\"   # or random, pct, scripted\n\
         # states_max = 50000000, runs = 1000, seed = 0\n",
    );
    write(&a.file, out)
}

/// The scenario's name: its file name without the extension.
fn stem(file: &str) -> String {
    std::path::Path::new(file)
        .file_stem()
        .map_or("my-scenario".into(), |s| s.to_string_lossy().to_string())
}

fn write(file: &str, out: String) -> u8 {
    if let Err(e) = crate::atomic_write::write(file, out) {
        return usage_error(&format!("cannot write `{file}`: {e}"));
    }
    eprintln!("wrote {file}: edit its actors, then `lockstep run {file}`");
    EXIT_OK
}

/// A scenario of a protocol file: its parameters with their defaults, two actors of each
/// kind with the kind's own parameters, every invariant, an exhaustive exploration.
fn from_protocol_file(a: &Args) -> u8 {
    let text = match std::fs::read_to_string(&a.protocol) {
        Ok(t) => t,
        Err(e) => return usage_error(&format!("cannot read `{}`: {e}", a.protocol)),
    };
    let p = match crate::lang::load(&a.protocol, &text) {
        Ok(p) => p,
        Err(e) => return crate::cli::common::scenario_error(&e),
    };
    let variants: Vec<&str> = p.variants.iter().map(|v| v.name.as_str()).collect();
    let mut out = format!(
        "# A scenario of the protocol file {} ({}).\n# Variants: {}.\n\
         # `lockstep run {}` explores every variant and prints an [expect] block to paste below.\n\
         name = \"{}\"\ndescription = \"what this scenario is about\"\nprotocol = \"{}\"\n",
        a.protocol,
        p.name,
        variants.join(", "),
        a.file,
        stem(&a.file),
        relative_to(&a.protocol, &a.file),
    );
    if !p.params.is_empty() {
        out.push_str("\n[params]\n");
        for param in &p.params {
            out.push_str(&param_line(param));
        }
    }
    for kind in &p.kinds {
        // Two of each kind arriving at the same instant: the search tries every order of their
        // steps (staggered arrivals would leave the race at the start unexplored).
        for i in 0..2 {
            let _ = write!(out, "\n[[actor]]\nname = \"{}{}\"\n", kind.name, i + 1);
            if p.kinds.len() > 1 {
                let _ = writeln!(out, "kind = \"{}\"", kind.name);
            }
            let _ = writeln!(
                out,
                "arrive_ms = 0{}",
                if i == 0 {
                    "              # the same instant as the next: every order is explored"
                } else {
                    ""
                }
            );
            for param in &kind.params {
                out.push_str(&param_line(param));
            }
        }
        if p.ast.platform.text == "node" {
            out.push_str("# pid = 4242                # its process id (default 1000 + its place); uid, host, skew_ms too\n");
            out.push_str("# kill_at_ms = 20            # kill -9 at an instant (no finally runs, its files stay)\n");
            out.push_str("# kill = \"any\"               # or at any await point, within [faults] kills_max\n");
        } else {
            out.push_str(if p.ast.platform.text == "tokio" {
                "# cancel_at_ms = 5           # cancel it at an instant (its finally blocks run as drop guards)\n"
            } else {
                "# cancel_at_ms = 5           # cancel it at an instant (no finally runs)\n"
            });
            out.push_str(
                "# cancel = \"any\"             # or at any await point, within [faults] cancels_max\n",
            );
        }
    }
    out.push_str("\n[check]\n# The verdict names the first of these that any reachable world violates.\ninvariants = [\n");
    let explore = "\n[explore]\nstrategy = \"exhaustive\"   # or random, pct, scripted\n";
    for prop in &p.props {
        // An invariant the file assumes something of (`assume ... for it`) starts commented
        // out, with what it needs, when the defaults do not give it.
        let alone = format!("{out}  \"{}\",\n]\n{explore}", prop.name);
        let src = crate::scenario::Source::new(a.file.clone(), alone);
        let _ = match crate::models::load(&src) {
            Ok(_) => writeln!(out, "  \"{}\",  # {}", prop.name, prop.summary),
            Err(e) => writeln!(
                out,
                "  # \"{}\",  # {} (needs: {})",
                prop.name, prop.summary, e.message
            ),
        };
    }
    out.push_str("]\n");
    out.push_str(explore);
    write(&a.file, out)
}

/// One `key = default` line, commented out (the file's default applies) with its doc, or
/// a placeholder to fill in where the file gives no default.
fn param_line(param: &crate::lang::ParamInfo) -> String {
    let doc = if param.doc.is_empty() {
        param.ty.clone()
    } else {
        format!("{}: {}", param.ty, param.doc.replace('\n', " "))
    };
    match &param.default {
        Some(d) => format!("# {} = {}   # {doc} (the file's default)\n", param.key, d),
        None => format!("{} = 0   # {doc}: no default, set it\n", param.key),
    }
}

/// `target` as a path relative to the folder of `from` (how a scenario names its protocol
/// file).
fn relative_to(target: &str, from: &str) -> String {
    let abs = |p: &str| {
        let path = std::path::Path::new(p);
        let joined = if path.is_absolute() {
            path.to_path_buf()
        } else {
            std::env::current_dir().unwrap_or_default().join(path)
        };
        joined
            .components()
            .fold(std::path::PathBuf::new(), |mut acc, c| {
                match c {
                    std::path::Component::ParentDir => {
                        acc.pop();
                    }
                    std::path::Component::CurDir => {}
                    other => acc.push(other),
                }
                acc
            })
    };
    let (t, f) = (abs(target), abs(from));
    let base = f.parent().map(|p| p.to_path_buf()).unwrap_or_default();
    let common = t
        .components()
        .zip(base.components())
        .take_while(|(x, y)| x == y)
        .count();
    let ups = base.components().count() - common;
    let mut rel: Vec<String> = vec!["..".to_string(); ups];
    rel.extend(
        t.components()
            .skip(common)
            .map(|c| c.as_os_str().to_string_lossy().to_string()),
    );
    rel.join("/")
}

const INIT_LOCK: &str = r#"[params]
# deadline_ms = 15000      # a claim older than this may be reclaimed (the version's default)
# poll_ms = 50             # how often a waiter looks again
# max_wait_ms = 30000      # a waiter gives up after this (V2+: deadline + 15 000)
deadline_ms = 100
poll_ms = 20
max_wait_ms = 1000
legit_init_ms = 100        # inits slower than this may be reclaimed (no-premature-reclaim)

# Each actor is one request calling the init lock.
[[actor]]
name = "A"
arrive_ms = 0
init_ms = 250              # its init runs this long if it owns the lock
outcome = "ok"             # ok | fail | hang | throw-sync | cancelled; a list lets the explorer choose
# cancel_at_ms = 120       # the client goes away: its `finally` never runs

[[actor]]
name = "B"
arrive_ms = 20
init_ms = 50
outcome = "ok"
"#;

const RESTART_LOCK: &str = r#"[params]
stale_ms = 30000           # content (L) and mtime (M, RL) staleness
max_wait_ms = 60000        # after this a waiter breaks even a fresh lock
poll_ms = 100

# Each actor is one process restarting the fleet under the lock file.
[[actor]]
name = "O"
arrive_ms = 0
restart_ms = 45000         # how long its restart runs once it holds the lock
# crash_at = "mutex-held"  # kill -9 at a named point (`lockstep list` names them)

[[actor]]
name = "W"
arrive_ms = 1000
restart_ms = 1000
"#;

const PREWARM_LOCK: &str = r#"# Each actor is one process prewarming the same sandbox template under the mkdir lock.
[[actor]]
name = "A"
arrive_ms = 0
prewarm_ms = 300000
crash_at_ms = 1000         # kill -9 at an instant: its lock stays behind

[[actor]]
name = "W"
arrive_ms = 1860000        # 31 min: the orphan is older than every version's stale age
prewarm_ms = 500
"#;

const ISOLATE: &str = r#"# Each actor is one request to the worker.
[[actor]]
name = "R1"
arrive_ms = 0
work_ms = 10
abort_after_ms = 5         # its handler calls abortIsolate() this long after it starts

[[actor]]
name = "R2"
arrive_ms = [10, 20]       # a list: the explorer tries each

[faults]
# factory = "throws-once"  # ok | throws-once | throws-twice | throws-N | throws-always
"#;
