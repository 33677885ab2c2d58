//! Helpers shared by the integration tests.

#![allow(dead_code)]

use lockstep::engine::Outcome;
use lockstep::protocol::LoadedScenario;
use lockstep::scenario::{Meta, Source};

pub struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Runs the `lockstep` binary from the repository root.
pub fn lockstep(args: &[&str]) -> Output {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_lockstep"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("lockstep runs");
    Output {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).to_string(),
        stderr: String::from_utf8_lossy(&out.stderr).to_string(),
    }
}

/// The kernel's exhaustive search as the bridges' reference: default budgets, no random probe
/// first (so a violation's state count is the search's own).
pub fn kernel_cfg() -> lockstep_sim::Config {
    lockstep_sim::Config::default().with_probe_runs(0)
}

/// The plan the loom/shuttle bridges are built with (default budgets).
pub fn bridge_plan() -> lockstep::scenario::Plan {
    lockstep::scenario::Plan {
        strategy: lockstep_sim::Strategy::Exhaustive,
        config: lockstep_sim::Config::default(),
        schedule: None,
        bridge: None,
    }
}

/// One scenario file (path relative to the repository root), loaded.
pub fn load(path: &str) -> Box<dyn LoadedScenario> {
    let src = Source::read(&format!("{}/{path}", env!("CARGO_MANIFEST_DIR"))).unwrap();
    lockstep::models::load(&src).unwrap_or_else(|e| panic!("{}", e.render()))
}

/// Where the catalogue keeps its long searches (millions of states each): `lockstep check
/// scenarios` and `.ci/run` run them, the `cargo test` gate does not run them several times.
pub const DEEP: &str = "scenarios/deep";

/// The catalogue's folders the gate runs: every folder of `scenarios/` but [`DEEP`], sorted.
pub fn catalogue_dirs() -> Vec<String> {
    let root = env!("CARGO_MANIFEST_DIR");
    std::env::set_current_dir(root).unwrap();
    let mut dirs: Vec<String> = std::fs::read_dir("scenarios")
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .map(|p| p.to_string_lossy().replace('\\', "/"))
        .filter(|p| p != DEEP)
        .collect();
    dirs.sort();
    dirs
}

/// `lockstep check` over [`catalogue_dirs`], with these extra arguments.
pub fn check_catalogue(extra: &[&str]) -> Output {
    let dirs = catalogue_dirs();
    let mut args: Vec<&str> = vec!["check"];
    args.extend(dirs.iter().map(String::as_str));
    args.extend(extra);
    lockstep(&args)
}

/// Every scenario of [`catalogue_dirs`], loaded (paths relative to the repository root).
pub fn all_scenarios() -> Vec<Box<dyn LoadedScenario>> {
    load_paths(&catalogue_dirs())
}

/// Every scenario file under `paths` (folders or files, relative to the repository root),
/// loaded.
pub fn load_paths(paths: &[String]) -> Vec<Box<dyn LoadedScenario>> {
    std::env::set_current_dir(env!("CARGO_MANIFEST_DIR")).unwrap();
    let files = lockstep::cli::collect_files(paths).unwrap();
    files
        .iter()
        .map(|f| {
            let src = Source::read(f).unwrap();
            lockstep::models::load(&src).unwrap_or_else(|e| panic!("{}", e.render()))
        })
        .collect()
}

pub type Row = (Meta, &'static str, Outcome);
pub type Rows = Vec<Row>;

/// Explores every expectation of every scenario with the file's own plan.
pub fn run_all() -> Rows {
    let scenarios = all_scenarios();
    let jobs: Vec<(&dyn LoadedScenario, usize)> = scenarios
        .iter()
        .flat_map(|l| (0..l.meta().expect.len()).map(move |i| (l.as_ref(), i)))
        .collect();
    // Two workers (this machine's cores) take the next job as they finish one (one pair can
    // take a third of the whole run); the rows keep file order, so the result is the same
    // whatever the threads' timing.
    let workers = 2;
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut parts: Vec<Vec<(usize, Row)>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                let (jobs, next) = (&jobs, &next);
                scope.spawn(move || {
                    let mut done = Vec::new();
                    loop {
                        let k = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some((l, i)) = jobs.get(k) else {
                            return done;
                        };
                        let meta = l.meta().clone();
                        let variant = meta.expect[*i].0;
                        let out = l.explore(variant, &meta.plan);
                        done.push((k, (meta, variant, out)));
                    }
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("a worker"))
            .collect()
    });
    let mut rows: Vec<(usize, Row)> = parts.drain(..).flatten().collect();
    rows.sort_by_key(|(k, _)| *k);
    rows.into_iter().map(|(_, r)| r).collect()
}

/// One [`run_all`] shared by every test of a test binary that reads the catalogue's results
/// (a determinism test compares it with a fresh run).
pub fn shared_run() -> &'static Rows {
    static RUN: std::sync::OnceLock<Rows> = std::sync::OnceLock::new();
    RUN.get_or_init(run_all)
}

/// A fresh folder under the system's temporary directory, created exclusively (a random name),
/// so a folder a dead run left behind, even one whose process id this run reuses, is never
/// mistaken for this test's own. It is kept after the test, for a failure to be looked at.
pub fn tempdir() -> String {
    let dir = tempfile::Builder::new()
        .prefix("lockstep-test-")
        .tempdir()
        .expect("a temporary folder")
        .keep();
    dir.to_string_lossy().to_string()
}

pub mod mutate;
