//! `lockstep lint FILE...`: the bug-class lints of protocol files (see `lang::lint`).

use crate::cli::common::{collect_protocols, usage_error};
use crate::cli::{EXIT_BAD_INPUT, EXIT_MISMATCH, EXIT_OK};
use crate::lang::lint::{lint, Lint};
use crate::lang::Protocol;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Protocol files (*.lstep) or folders to search for them.
    #[arg(required = true)]
    pub paths: Vec<String>,
    /// Only the findings of this variant.
    #[arg(long, value_name = "VARIANT")]
    pub variant: Option<String>,
    /// Print the findings as JSON.
    #[arg(long)]
    pub json: bool,
    /// Exit 1 when any lint fires (for CI); by default lints are hints and the exit is 0.
    #[arg(long)]
    pub deny: bool,
}

pub fn run(a: Args) -> u8 {
    let files = match collect_protocols(&a.paths) {
        Ok(f) if f.is_empty() => {
            return usage_error("no protocol files (*.lstep) under the given paths")
        }
        Ok(f) => f,
        Err(e) => return usage_error(&e),
    };
    let mut found = 0;
    let mut json = Vec::new();
    for f in &files {
        let p = match load(f) {
            Ok(p) => p,
            Err(code) => return code,
        };
        let lints = match selected(&p, a.variant.as_deref()) {
            Ok(l) => l,
            Err(code) => return code,
        };
        found += lints.len();
        for l in &lints {
            if a.json {
                json.push(to_json(&p, l));
            } else {
                print!("{}", l.render(&p));
            }
        }
    }
    if a.json {
        let text = serde_json::to_string_pretty(&json).unwrap_or_default();
        println!("{text}");
    } else {
        eprintln!("{found} lint(s) in {} protocol file(s)", files.len());
    }
    if a.deny && found > 0 {
        EXIT_MISMATCH
    } else {
        EXIT_OK
    }
}

fn load(path: &str) -> Result<Protocol, u8> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| usage_error(&format!("cannot read `{path}`: {e}")))?;
    crate::lang::load(path, &text).map_err(|e| {
        eprint!("{}", e.render());
        EXIT_BAD_INPUT
    })
}

/// The file's lints, or those of one variant (an unknown variant is a usage error).
fn selected(p: &Protocol, variant: Option<&str>) -> Result<Vec<Lint>, u8> {
    let mut lints = lint(p);
    if let Some(v) = variant {
        if p.variant(v).is_none() {
            let known: Vec<&str> = p.variants.iter().map(|v| v.name.as_str()).collect();
            return Err(usage_error(&format!(
                "{}: no variant `{v}` (the variants are: {})",
                p.path,
                known.join(", ")
            )));
        }
        lints.retain(|l| l.variants.iter().any(|x| x == v));
    }
    Ok(lints)
}

fn to_json(p: &Protocol, l: &Lint) -> serde_json::Value {
    let (line, column) = crate::scenario::line_col(&p.text, l.finding.site.start);
    serde_json::json!({
        "id": l.finding.rule.id(),
        "file": p.path,
        "line": line,
        "column": column,
        "message": l.message(p),
        "variants": l.variants,
    })
}
