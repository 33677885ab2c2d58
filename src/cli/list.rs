//! `lockstep list [FILE.lstep ...]`

use crate::models::protocols;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Protocol files (*.lstep) to describe instead of the built-in protocols.
    pub files: Vec<String>,
    /// Also list every key a scenario's [params], [[actor]] and [faults] accept, and each
    /// variant's parameter defaults.
    #[arg(long)]
    pub params: bool,
}

/// Every key each section accepts (read from the loader's own types), and the parameters
/// each variant runs with when `[params]` leaves them out (explored on a one-actor scenario).
fn print_keys(p: &dyn crate::protocol::ProtocolInfo) {
    let [params, actor, faults] = p.keys();
    for (section, keys) in [
        ("[params]", params),
        ("[[actor]]", actor),
        ("[faults]", faults),
    ] {
        if !keys.is_empty() {
            println!("  {section} keys: {}", keys.join(", "));
        }
    }
    let Some(first) = p.invariants().first() else {
        return;
    };
    let text = format!(
        "protocol = \"{}\"\n[[actor]]\nname = \"A\"\narrive_ms = 0\n[check]\ninvariants = [\"{}\"]\n",
        p.id(),
        first.id
    );
    let src = crate::scenario::Source::new(format!("<defaults of {}>", p.id()), text);
    let Ok(l) = crate::models::load(&src) else {
        return;
    };
    println!("  defaults per variant (what runs when [params] leaves a key out):");
    for v in p.variants() {
        let o = l.explore(v.name, &l.meta().plan);
        let ps: Vec<String> = o
            .parameters
            .iter()
            .map(|(k, v)| format!("{k} = {v}"))
            .collect();
        println!("    {}: {}", v.name, ps.join(", "));
    }
}

pub fn run(a: Args) -> u8 {
    if !a.files.is_empty() {
        return list_files(&a.files);
    }
    for p in protocols() {
        println!("{}: {}", p.id(), p.summary());
        println!("  variants:");
        for v in p.variants() {
            let mark = if v.canary { " [canary]" } else { "" };
            println!("    {}{}: {}", v.name, mark, v.summary);
        }
        println!("  invariants:");
        for i in p.invariants() {
            println!("    {} ({:?}): {}", i.id, i.kind, i.summary);
        }
        let reachable = p.reachable();
        if !reachable.is_empty() {
            println!("  reachability targets ([check] reachable):");
            for r in &reachable {
                println!("    {}: {}", r.id, r.summary);
            }
        }
        println!("  fault moves:");
        for f in p.faults() {
            println!("    {}: {}", f.name, f.summary);
        }
        if a.params {
            print_keys(p);
        }
        if crate::lang::registry::embedded(p.id()).is_some() {
            println!(
                "  protocol file: protocols/{}.{} (built in; `--interpreted` runs it)",
                p.id(),
                crate::lang::EXTENSION
            );
        }
        println!();
    }
    super::EXIT_OK
}

/// Describes each protocol file: its variants, properties, parameters and actor kinds (the
/// keys a scenario may use), and marks.
fn list_files(files: &[String]) -> u8 {
    for f in files {
        let text = match std::fs::read_to_string(f) {
            Ok(t) => t,
            Err(e) => return super::common::usage_error(&format!("cannot read `{f}`: {e}")),
        };
        let p = match crate::lang::load(f, &text) {
            Ok(p) => p,
            Err(e) => {
                eprint!("{}", e.render());
                return super::EXIT_BAD_INPUT;
            }
        };
        print!("{}", describe(&p));
    }
    super::EXIT_OK
}

fn describe(p: &crate::lang::Protocol) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let first = |s: &str| s.lines().next().unwrap_or("").to_string();
    let _ = writeln!(
        out,
        "{} ({}, platform {}): {}",
        p.name,
        p.path,
        p.platform,
        first(&p.doc)
    );
    let _ = writeln!(out, "  variants:");
    for v in &p.variants {
        let mark = if v.canary { " [canary]" } else { "" };
        let base = v
            .base
            .as_ref()
            .map_or(String::new(), |b| format!(" (from {b})"));
        let _ = writeln!(out, "    {}{mark}{base}: {}", v.name, first(&v.summary));
    }
    let _ = writeln!(out, "  properties:");
    for q in &p.props {
        let kind = if q.liveness { "liveness" } else { "invariant" };
        let _ = writeln!(out, "    {} ({kind}): {}", q.name, first(&q.summary));
    }
    let _ = writeln!(
        out,
        "    runtime-error (always checked): no step hits a runtime error"
    );
    let _ = writeln!(out, "  parameters ([params] keys):");
    for q in &p.params {
        param_line(&mut out, q, "none: the scenario must set it");
    }
    let node = p.ast.platform.text == "node";
    let (faults, at_marks) = if node {
        (
            "pid, uid, host, skew_ms, kill..., pause...",
            "kill_at, pause_at; reachable",
        )
    } else {
        ("cancel...", "cancel_at; reachable")
    };
    for k in &p.kinds {
        let _ = writeln!(
            out,
            "  actor kind {} ([[actor]] keys besides name, arrive_ms, {faults}):",
            k.name
        );
        for q in &k.params {
            param_line(&mut out, q, "none");
        }
    }
    if !p.marks.is_empty() {
        let _ = writeln!(out, "  marks ({at_marks}): {}", p.marks.join(", "));
    }
    if !p.reachables.is_empty() {
        let _ = writeln!(out, "  reachability targets (reachable; `throws` too):");
        for r in &p.reachables {
            let _ = writeln!(out, "    {}: {}", r.name, r.summary);
        }
    }
    out.push('\n');
    out
}

/// One parameter of a protocol file: key, type, default (or `missing` when it has none) and
/// the first line of its doc comment.
fn param_line(out: &mut String, q: &crate::lang::ParamInfo, missing: &str) {
    use std::fmt::Write;
    let default = q.default.as_deref().unwrap_or(missing);
    let doc = q.doc.lines().next().unwrap_or("");
    let _ = writeln!(out, "    {} ({}, default {default}): {doc}", q.key, q.ty);
}
