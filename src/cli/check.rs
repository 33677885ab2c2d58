//! `lockstep check [PATH ...]`

use crate::cli::common::{
    check_bridged, check_protocols, collect_files, collect_protocols, explore_all,
    load_all_sources, print_lints, usage_error, Jobs, Overrides,
};
use crate::cli::{EXIT_BAD_INPUT, EXIT_MISMATCH, EXIT_OK};
use crate::report::{json_results, junit, table};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Scenario files, protocol files or folders (default: scenarios/). Every protocol file
    /// (*.lstep) named or found is checked on its own too.
    pub paths: Vec<String>,
    /// Print the results as JSON on stdout instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Also write the results as JUnit XML to this file.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<String>,
    /// Stop at the first result that is not as expected (exit 1), printing the results so far:
    /// for a quick red/green, and for mutation testing, where most mutants fail early.
    #[arg(long)]
    pub fail_fast: bool,
    #[command(flatten)]
    pub jobs: Jobs,
    #[command(flatten)]
    pub overrides: Overrides,
}

pub fn run(a: Args) -> u8 {
    if let Err(e) = a.overrides.validate() {
        return usage_error(&e);
    }
    let jobs = match a.jobs.count() {
        Ok(n) => n,
        Err(e) => return usage_error(&e),
    };
    let paths = if a.paths.is_empty() {
        vec!["scenarios".to_string()]
    } else {
        a.paths
    };
    let files = match collect_files(&paths) {
        Ok(f) => f,
        Err(e) => return usage_error(&e),
    };
    let protocols = match collect_protocols(&paths) {
        Ok(f) => f,
        Err(e) => return usage_error(&e),
    };
    if files.is_empty() && protocols.is_empty() {
        return usage_error(
            "no scenario files (*.toml) or protocol files (*.lstep) under the given paths",
        );
    }
    let protocol_errors = check_protocols(&protocols);
    let (loaded, errors, sources) = load_all_sources(&files, a.overrides.interpreted);
    let refs: Vec<_> = loaded.iter().map(|l| l.as_ref()).collect();
    if let Err(e) = check_bridged(&refs, &a.overrides) {
        return usage_error(&e);
    }
    print_lints(&sources, a.overrides.interpreted, &[]);
    let rows = explore_all(&loaded, &a.overrides, a.fail_fast, jobs);
    let planned: usize = loaded.iter().map(|l| l.meta().expect.len()).sum();
    if a.json {
        print!("{}", json_results(&rows));
    } else {
        print!("{}", table(&rows));
    }
    if let Some(path) = &a.junit
        && let Err(e) = crate::atomic_write::write(path, junit(&rows))
    {
        eprintln!("error: cannot write `{path}`: {e}");
        return crate::cli::EXIT_INTERNAL;
    }
    if rows.len() < planned && !crate::interrupt::raised() {
        eprintln!(
            "stopped at the first unexpected result (--fail-fast): {} of {planned} results",
            rows.len()
        );
    }
    if protocol_errors > 0 {
        eprintln!("{protocol_errors} protocol file(s) have errors");
    } else if files.is_empty() {
        // Only protocol files were named: say what was checked, so "0 results" is not read as
        // nothing having run.
        eprintln!(
            "{} protocol file(s) load: every variant parses, type-checks and lowers; name a scenario file to explore one (`lockstep new FILE.lstep my.toml` writes one)",
            protocols.len()
        );
    }
    if errors > 0 {
        eprintln!("{errors} scenario file(s) could not be loaded");
    }
    if crate::interrupt::raised() {
        eprintln!(
            "interrupted: the searches that were still running stopped (inconclusive:interrupted)"
        );
        return crate::cli::EXIT_INTERRUPTED;
    }
    if errors + protocol_errors > 0 {
        EXIT_BAD_INPUT
    } else if rows.iter().all(|r| r.ok()) {
        EXIT_OK
    } else {
        EXIT_MISMATCH
    }
}
