//! `lockstep report [PATH ...] [--out DIR]`

use std::path::Path;

use crate::cli::common::{
    check_bridged, collect_files, explore_all, load_all, usage_error, Jobs, Overrides,
};
use crate::cli::{EXIT_BAD_INPUT, EXIT_INTERNAL, EXIT_MISMATCH, EXIT_OK};
use crate::report::write_reports;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Scenario files or folders (default: scenarios/).
    pub paths: Vec<String>,
    /// Where to write the reports.
    #[arg(long, default_value = "reports")]
    pub out: String,
    /// Also write `index.html`: one self-contained page (no script, nothing fetched) with the
    /// verdict matrix and a swimlane picture of every counterexample.
    #[arg(long)]
    pub html: bool,
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
    let (loaded, errors) = load_all(&files, a.overrides.interpreted);
    if errors > 0 {
        return EXIT_BAD_INPUT;
    }
    let refs: Vec<_> = loaded.iter().map(|l| l.as_ref()).collect();
    if let Err(e) = check_bridged(&refs, &a.overrides) {
        return usage_error(&e);
    }
    let rows = explore_all(&loaded, &a.overrides, false, jobs);
    let mut written = match write_reports(&rows, Path::new(&a.out)) {
        Ok(w) => w,
        Err(e) => {
            eprintln!("error: cannot write the reports under `{}`: {e}", a.out);
            return EXIT_INTERNAL;
        }
    };
    if a.html {
        let path = Path::new(&a.out).join("index.html");
        if let Err(e) = crate::atomic_write::write(&path, crate::report::html::page(&rows)) {
            eprintln!("error: cannot write `{}`: {e}", path.display());
            return EXIT_INTERNAL;
        }
        written.push(path.display().to_string());
    }
    println!("wrote {} files under {}", written.len(), a.out);
    if rows.iter().all(|r| r.ok()) {
        EXIT_OK
    } else {
        EXIT_MISMATCH
    }
}
