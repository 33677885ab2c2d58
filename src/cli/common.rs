//! What several subcommands share: finding scenario files, loading them, applying overrides.

use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::Args as ClapArgs;

use crate::models;
use crate::protocol::LoadedScenario;
use crate::report::ResultRow;
use crate::scenario::{
    parse_bridge_strategy, parse_strategy, Plan, ScenarioError, Source, Verdict, STRATEGIES,
};

/// Exploration overrides accepted by `check`, `run` and `report`.
#[derive(ClapArgs, Debug, Clone, Default)]
pub struct Overrides {
    /// Override the file's strategy: scripted, exhaustive, random, pct, replay, or shuttle /
    /// shuttle-pct (the model's own steps on shuttle's threads, for protocols with a
    /// loom/shuttle bridge). [default: the file's `[explore] strategy`, else exhaustive]
    #[arg(long)]
    pub strategy: Option<String>,
    /// Seed of the random, pct and shuttle strategies. [default: the file's, else 0]
    #[arg(long)]
    pub seed: Option<u64>,
    /// Number of random, pct (or shuttle) runs. [default: the file's, else 1000]
    #[arg(long)]
    pub runs: Option<u64>,
    /// Most distinct states an exhaustive search may visit. [default: the file's, else
    /// 50000000]
    #[arg(long)]
    pub states_max: Option<u64>,
    /// Most moves in one run, and most clock advances. [default: the file's, else 1000000]
    #[arg(long)]
    pub steps_max: Option<u64>,
    /// Virtual-time horizon in milliseconds of simulated time (not wall clock).
    /// [default: the file's, else 604800000, 7 days]
    #[arg(long = "virtual-time-max-ms", alias = "time-max-ms")]
    pub time_max_ms: Option<u64>,
    /// Wall-clock budget per (scenario, variant), in real seconds: a search still running then
    /// stops with `inconclusive:wall-time-max` (never a pass); shrinking a counterexample
    /// stops too and keeps what it has. [default: none]
    #[arg(long = "wall-time-max", alias = "time-max", value_name = "SECONDS")]
    pub time_max: Option<u64>,
    /// Memory an exhaustive search's visited set may take (e.g. `50MB`, `2GiB`): a search that
    /// would outgrow it ends `inconclusive:memory`, saying how many states it visited. It is
    /// counted from the number of states, so the same search stops at the same state on every
    /// machine. [default: the file's `[explore] memory_max`, else half this machine's memory]
    #[arg(long, value_name = "SIZE", value_parser = crate::scenario::parse_memory)]
    pub memory_max: Option<u64>,
    /// Threads for exhaustive search (verdicts, state counts and traces do not depend on it).
    /// [default: 1]
    #[arg(long)]
    pub threads: Option<u64>,
    /// Explore only shard I of N (1-based, e.g. `1/2`): random runs or exhaustive subtrees.
    #[arg(long, value_name = "I/N")]
    pub shard: Option<String>,
    /// PCT's bug depth (depth - 1 priority change points). [default: the file's, else 3]
    #[arg(long)]
    pub pct_depth: Option<u64>,
    /// Turn symmetry reduction off (for measuring it).
    #[arg(long)]
    pub no_symmetry: bool,
    /// Turn the private-step reduction off (for measuring it): every interleaving of a
    /// process's steps on its own files (its tombstone's removal) with everyone else's.
    #[arg(long)]
    pub no_private_steps: bool,
    /// Turn the exhaustive search's sleep sets (partial-order reduction) on: fewer
    /// transitions, the same verdicts and state counts (off by default: slower on the
    /// project's models; see `lockstep bench`). They take the place of private steps, so a
    /// model that has private steps (the prewarm lock) visits the worlds it would visit with
    /// `--no-private-steps`.
    #[arg(long, conflicts_with = "no_sleep_sets")]
    pub sleep_sets: bool,
    /// Turn sleep sets off even where a scenario's `[explore] sleep_sets = true` asks for them.
    #[arg(long)]
    pub no_sleep_sets: bool,
    /// Also explore each checked invariant on its own and give its status (holds, violated,
    /// undecided) beside the verdict, in the table (`✓max-inits ✗max-active`), `--json`
    /// (`invariants`) and reports. One more search per invariant of a violated result, so it
    /// is not the default. (`run` always gives them.)
    #[arg(long)]
    pub each_invariant: bool,
    /// Run scenarios of built-in protocols against their shipped protocol files
    /// (protocols/*.lstep) instead of the Rust models.
    #[arg(long)]
    pub interpreted: bool,
}

impl Overrides {
    /// Checks the overrides themselves; a bad one is a usage error.
    /// `--shard I/N` as (0-based index, count).
    pub fn shard(&self) -> Result<Option<(u64, u64)>, String> {
        let Some(s) = &self.shard else {
            return Ok(None);
        };
        let bad = || format!("--shard `{s}`: write I/N with 1 <= I <= N, e.g. 1/2");
        let (i, n) = s.split_once('/').ok_or_else(bad)?;
        let (i, n): (u64, u64) = (i.parse().map_err(|_| bad())?, n.parse().map_err(|_| bad())?);
        if n == 0 || i == 0 || i > n {
            return Err(bad());
        }
        Ok(Some((i - 1, n)))
    }

    pub fn validate(&self) -> Result<(), String> {
        self.shard()?;
        if self.threads == Some(0) || self.pct_depth == Some(0) || self.time_max == Some(0) {
            return Err("--threads, --pct-depth and --time-max take a positive number".into());
        }
        if let Some(s) = &self.strategy
            && parse_strategy(s).is_none()
            && parse_bridge_strategy(s).is_none()
        {
            return Err(format!("unknown strategy `{s}`; use one of: {STRATEGIES}"));
        }
        for (v, n) in [
            (self.runs, "--runs"),
            (self.states_max, "--states-max"),
            (self.steps_max, "--steps-max"),
        ] {
            if v == Some(0) {
                return Err(format!("{n} 0 can never reach a verdict"));
            }
        }
        Ok(())
    }

    pub fn apply(&self, plan: &Plan) -> Plan {
        let mut p = plan.clone();
        if let Some(s) = self.strategy.as_deref().and_then(parse_strategy) {
            p.strategy = s;
            p.bridge = None;
        }
        if let Some(b) = self.strategy.as_deref().and_then(parse_bridge_strategy) {
            p.strategy = lockstep_sim::Strategy::Random;
            p.bridge = Some(b);
        }
        if let Some(v) = self.seed {
            p.config.seed = v;
        }
        if let Some(v) = self.runs {
            p.config.runs = v;
        }
        if let Some(v) = self.states_max {
            p.config.states_max = v;
        }
        if let Some(v) = self.steps_max {
            p.config.steps_max = v;
        }
        if let Some(v) = self.memory_max {
            p.config.memory_max = v;
        }
        if p.config.memory_max == u64::MAX {
            p.config.memory_max = machine_memory_budget();
        }
        if let Some(v) = self.time_max_ms {
            p.config.time_ms_max = v;
        }
        if let Some(v) = self.threads {
            p.config.threads = v;
        }
        if let Some(v) = self.pct_depth {
            p.config.pct_depth = v;
        }
        if let Ok(Some((i, n))) = self.shard() {
            p.config.shard = i;
            p.config.shards = n;
        }
        if self.no_symmetry {
            p.config.symmetry = false;
        }
        if self.no_private_steps {
            p.config.private_steps = false;
        }
        if self.sleep_sets {
            p.config.sleep_sets = true;
        }
        if self.no_sleep_sets {
            p.config.sleep_sets = false;
        }
        p
    }
}

/// The default memory budget: half of this machine's memory (`MemTotal` in `/proc/meminfo`),
/// so a search stops with `inconclusive:memory` well before the kernel's out-of-memory killer
/// would end the process; 4 GiB where the machine does not say.
pub fn machine_memory_budget() -> u64 {
    const FALLBACK: u64 = 4 << 30;
    let Ok(info) = std::fs::read_to_string("/proc/meminfo") else {
        return FALLBACK;
    };
    info.lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|rest| rest.trim().strip_suffix("kB"))
        .and_then(|kb| kb.trim().parse::<u64>().ok())
        .map_or(FALLBACK, |kb| kb * 1024 / 2)
}

/// A progress spinner on stderr for long searches, only when stderr is a terminal (never in
/// CI logs or captured output, so it cannot reach anything compared byte for byte).
pub struct Progress {
    done: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Progress {
    pub fn start(plan: &mut Plan, name: &str, variant: &str) -> Progress {
        use std::io::IsTerminal;
        let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        if !std::io::stderr().is_terminal() {
            return Progress { done, thread: None };
        }
        let counter = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
        plan.config.progress = Some(counter.clone());
        let d = done.clone();
        let label = format!("{name} [{variant}]");
        let unit = if plan.strategy == lockstep_sim::Strategy::Exhaustive {
            "states"
        } else {
            "runs"
        };
        let thread = std::thread::spawn(move || {
            // Only searches that last show anything.
            std::thread::sleep(std::time::Duration::from_millis(500));
            if d.load(std::sync::atomic::Ordering::Relaxed) {
                return;
            }
            // One terminal area for every search running at once (`--jobs`).
            static BARS: std::sync::OnceLock<indicatif::MultiProgress> = std::sync::OnceLock::new();
            let bar = BARS
                .get_or_init(indicatif::MultiProgress::new)
                .add(indicatif::ProgressBar::new_spinner());
            while !d.load(std::sync::atomic::Ordering::Relaxed) {
                let n = counter.load(std::sync::atomic::Ordering::Relaxed);
                bar.set_message(format!("{label}: {} {unit}", crate::report::thousands(n)));
                bar.tick();
                std::thread::sleep(std::time::Duration::from_millis(100));
            }
            bar.finish_and_clear();
        });
        Progress {
            done,
            thread: Some(thread),
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.done.store(true, std::sync::atomic::Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// A wall-clock budget: a thread that raises the plan's stop flag after `secs` seconds (or at
/// Ctrl-C). The kernel never reads a clock; it only sees the flag. Dropping the budget ends the
/// thread.
pub struct WallBudget {
    done: std::sync::Arc<(std::sync::Mutex<bool>, std::sync::Condvar)>,
}

impl WallBudget {
    pub fn start(plan: &mut Plan, secs: u64) -> WallBudget {
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        plan.config.stop = Some(stop.clone());
        let done = std::sync::Arc::new((std::sync::Mutex::new(false), std::sync::Condvar::new()));
        let d = done.clone();
        std::thread::spawn(move || {
            let (m, cv) = &*d;
            let end = std::time::Instant::now() + std::time::Duration::from_secs(secs);
            let mut guard = m.lock().expect("budget");
            // In slices, so a Ctrl-C is passed on within a tenth of a second.
            while !*guard {
                let now = std::time::Instant::now();
                if now >= end || crate::interrupt::raised() {
                    stop.store(true, std::sync::atomic::Ordering::Relaxed);
                    return;
                }
                let slice = (end - now).min(std::time::Duration::from_millis(100));
                guard = cv.wait_timeout(guard, slice).expect("budget").0;
            }
        });
        WallBudget { done }
    }
}

impl Drop for WallBudget {
    fn drop(&mut self) {
        let (m, cv) = &*self.done;
        *m.lock().expect("budget") = true;
        cv.notify_all();
    }
}

/// Every `.toml` file under `paths` (a file is taken as is), sorted, as paths relative to
/// what was given.
pub fn collect_files(paths: &[String]) -> Result<Vec<String>, String> {
    collect(paths, "toml")
}

/// The protocol files (`*.lstep`) named or under the folders named, in path order.
pub fn collect_protocols(paths: &[String]) -> Result<Vec<String>, String> {
    collect(paths, crate::lang::EXTENSION)
}

/// Files with extension `ext`: those named, and those under the folders named.
fn collect(paths: &[String], ext: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    for p in paths {
        let path = Path::new(p);
        if path.is_dir() {
            let mut found = Vec::new();
            walk(path, ext, &mut found).map_err(|e| format!("cannot read `{p}`: {e}"))?;
            found.sort();
            out.extend(
                found
                    .into_iter()
                    .map(|f| f.to_string_lossy().replace('\\', "/")),
            );
        } else if path.is_file() {
            let is_protocol = path
                .extension()
                .is_some_and(|x| x == crate::lang::EXTENSION);
            if is_protocol == (ext == crate::lang::EXTENSION) {
                out.push(p.clone());
            }
        } else {
            return Err(format!("`{p}` is neither a file nor a folder"));
        }
    }
    Ok(out)
}

fn walk(dir: &Path, ext: &str, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let p = e.path();
        if p.is_dir() {
            walk(&p, ext, out)?;
        } else if p.extension().is_some_and(|x| x == ext) {
            out.push(p);
        }
    }
    Ok(())
}

/// Checks every protocol file on its own (parse, names, types, every variant lowered with
/// its defaults); errors are printed with file:line:col and counted. A protocol file no
/// scenario names is still checked.
pub fn check_protocols(files: &[String]) -> usize {
    let errors = protocol_errors(files);
    for e in &errors {
        eprint!("{e}");
    }
    errors.len()
}

/// Each protocol file's error, rendered (see [`check_protocols`]).
pub fn protocol_errors(files: &[String]) -> Vec<String> {
    files
        .iter()
        .filter_map(|f| {
            std::fs::read_to_string(f)
                .map_err(|e| format!("error: cannot read `{f}`: {e}\n"))
                .and_then(|text| {
                    crate::lang::load(f, &text)
                        .map(drop)
                        .map_err(|e| e.render())
                })
                .err()
        })
        .collect()
}

/// Loads every file; errors are printed (with file:line:col) and counted. Under
/// `--interpreted`, what cannot run as written on a shipped protocol file is said in a note
/// with the number of files, so a whole catalogue can be checked: a built-in protocol with no
/// protocol file runs on its Rust model, and a regression that replays a schedule the Rust
/// model recorded is searched exhaustively on the file for the same verdict.
pub fn load_all(files: &[String], interpreted: bool) -> (Vec<Box<dyn LoadedScenario>>, usize) {
    let (loaded, errors, _) = load_all_sources(files, interpreted);
    (loaded, errors)
}

/// [`load_all`], also giving back each file read (parsed once: the lints read the same
/// sources).
pub fn load_all_sources(
    files: &[String],
    interpreted: bool,
) -> (Vec<Box<dyn LoadedScenario>>, usize, Vec<Source>) {
    let mut loaded = Vec::new();
    let mut errors = 0;
    let mut sources = Vec::new();
    let mut notes: std::collections::BTreeMap<String, usize> = Default::default();
    for f in files {
        let src = match Source::read(f) {
            Ok(src) => src,
            Err(e) => {
                eprint!("{}", e.render());
                errors += 1;
                continue;
            }
        };
        let result = load_interpreted(&src, interpreted, &mut notes);
        // Kept parsed, for the lints.
        sources.push(src);
        match result {
            Ok(l) if l.meta().no_expect.is_some() => {
                eprint!("{}", l.meta().no_expect.as_ref().expect("checked").render());
                errors += 1;
            }
            Ok(l) => loaded.push(l),
            Err(e) => {
                eprint!("{}", e.render());
                errors += 1;
            }
        }
    }
    for (why, n) in notes {
        eprintln!("note: --interpreted: {n} scenario file(s): {why}");
    }
    (loaded, errors, sources)
}

/// One scenario, on its protocol file when `interpreted` and that can be done; otherwise on
/// its Rust model; what differs from the file as written is counted in `notes`.
fn load_interpreted(
    src: &Source,
    interpreted: bool,
    notes: &mut std::collections::BTreeMap<String, usize>,
) -> Result<Box<dyn LoadedScenario>, crate::scenario::ScenarioError> {
    if !interpreted {
        return models::load_as(src, false);
    }
    if rust_only_protocol(src) {
        let id = crate::scenario::protocol_of(src)?;
        let why = format!(
            "protocol `{}` has no shipped protocol file yet: ran on the Rust model",
            id.get_ref()
        );
        *notes.entry(why).or_default() += 1;
        return models::load_as(src, false);
    }
    let mut l = models::load_as(src, true)?;
    let recorded_on_the_file =
        crate::scenario::wants_protocol_file(src).is_some_and(|w| *w.get_ref());
    if l.meta().interpreted
        && !recorded_on_the_file
        && l.meta().plan.strategy == lockstep_sim::Strategy::Replay
        && l.search_instead_of_replay()
    {
        // A schedule numbers one model's moves: the file is searched for the verdict instead.
        let why = "a regression's schedule numbers the Rust model's moves: its verdicts were searched for exhaustively on the file instead".to_string();
        *notes.entry(why).or_default() += 1;
    }
    Ok(l)
}

/// A built-in protocol that `--interpreted` cannot run from a shipped protocol file.
fn rust_only_protocol(src: &Source) -> bool {
    let Ok(id) = crate::scenario::protocol_of(src) else {
        return false;
    };
    let id = id.get_ref();
    models::find(id).is_some() && crate::lang::registry::embedded(id).is_none()
}

/// Checks, before anything runs, that every (scenario, variant) whose plan names shuttle can go
/// through the loom/shuttle bridge; the first that cannot is a usage error.
pub fn check_bridged(loaded: &[&dyn LoadedScenario], ov: &Overrides) -> Result<(), String> {
    for l in loaded {
        let meta = l.meta();
        let plan = ov.apply(&meta.plan);
        if plan.bridge.is_none() {
            continue;
        }
        for (variant, _) in &meta.expect {
            if let Err(e) = l.bridge(variant, Default::default(), &plan) {
                return Err(format!("{}: {e}", meta.path));
            }
        }
    }
    Ok(())
}

/// Explores every expectation of every loaded scenario, in order. With `fail_fast`, stops after
/// the first result that is not as expected (`check --fail-fast`): the rows so far.
/// Explores every (scenario, variant) pair of `loaded`, `jobs` pairs at a time, and returns
/// the results in file order: which job ran a pair, and when, changes no row but its elapsed
/// time. With `fail_fast`, the rows end at the first unexpected result in file order (the pairs
/// before it all run; none after it starts once it is known).
pub fn explore_all<'a>(
    loaded: &'a [Box<dyn LoadedScenario>],
    ov: &Overrides,
    fail_fast: bool,
    jobs: usize,
) -> Vec<ResultRow<'a>> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let pairs: Vec<(&'a dyn LoadedScenario, &'static str, &'a Verdict)> = loaded
        .iter()
        .flat_map(|l| {
            l.meta()
                .expect
                .iter()
                .map(move |(v, e)| (l.as_ref(), *v, e))
        })
        .collect();
    let slots: Vec<std::sync::Mutex<Option<ResultRow<'a>>>> =
        pairs.iter().map(|_| std::sync::Mutex::new(None)).collect();
    let next = AtomicUsize::new(0);
    // The first pair (in file order) whose result was not as expected, with `fail_fast`.
    let first_unexpected = AtomicUsize::new(usize::MAX);
    let work = || loop {
        let i = next.fetch_add(1, Ordering::SeqCst);
        if i >= pairs.len() || i > first_unexpected.load(Ordering::SeqCst) {
            return;
        }
        let (l, variant, expected) = pairs[i];
        let row = explore_pair(l, variant, expected, ov);
        if fail_fast && !row.ok() {
            first_unexpected.fetch_min(i, Ordering::SeqCst);
        }
        *slots[i].lock().expect("a result slot") = Some(row);
    };
    std::thread::scope(|scope| {
        for _ in 1..jobs.clamp(1, pairs.len().max(1)) {
            scope.spawn(work);
        }
        work();
    });
    let mut rows = Vec::new();
    for slot in slots {
        let Some(row) = slot.into_inner().expect("a result slot") else {
            break;
        };
        let stop = fail_fast && !row.ok();
        rows.push(row);
        if stop {
            break;
        }
    }
    rows
}

/// Explores one (scenario, variant) pair with the overrides, its wall-clock budget and the
/// interrupt flag, and a progress line on a terminal.
fn explore_pair<'a>(
    l: &'a dyn LoadedScenario,
    variant: &'static str,
    expected: &Verdict,
    ov: &Overrides,
) -> ResultRow<'a> {
    let meta = l.meta();
    let mut plan = ov.apply(&meta.plan);
    let t = Instant::now();
    let _budget = ov.time_max.map(|secs| WallBudget::start(&mut plan, secs));
    if plan.config.stop.is_none() {
        plan.config.stop = Some(crate::interrupt::flag());
    }
    let _progress = Progress::start(&mut plan, &meta.name, variant);
    let outcome = l
        .explore_plan(variant, &plan)
        .unwrap_or_else(|e| panic!("{}: {e} (not caught by check_bridged)", meta.path));
    let invariants = if ov.each_invariant {
        crate::each_invariant::statuses(l, variant, &plan, &outcome)
    } else {
        Vec::new()
    };
    ResultRow {
        meta,
        variant,
        expected: expected.clone(),
        outcome,
        elapsed_ms: t.elapsed().as_millis() as u64,
        invariants,
    }
}

/// `--jobs`: how many (scenario, variant) pairs `check` and `report` explore at once.
#[derive(clap::Args, Debug, Clone, Copy, Default)]
pub struct Jobs {
    /// (Scenario, variant) pairs explored at once, each on its own thread; the results, their
    /// order and every byte printed but the elapsed times do not depend on it. Each search
    /// keeps its own `--memory-max`. [default: this machine's cores]
    #[arg(long, short = 'j', value_name = "N")]
    pub jobs: Option<usize>,
}

impl Jobs {
    /// The number of jobs, or a usage error for 0.
    pub fn count(self) -> Result<usize, String> {
        match self.jobs {
            Some(0) => Err("--jobs takes a positive number".into()),
            Some(n) => Ok(n),
            None => Ok(std::thread::available_parallelism().map_or(1, usize::from)),
        }
    }
}

pub fn expected_for(l: &dyn LoadedScenario, variant: &str) -> Option<Verdict> {
    l.meta()
        .expect
        .iter()
        .find(|(v, _)| *v == variant)
        .map(|(_, e)| e.clone())
}

pub fn usage_error(msg: &str) -> u8 {
    eprintln!("error: {msg}");
    super::EXIT_BAD_INPUT
}

pub fn scenario_error(e: &ScenarioError) -> u8 {
    eprint!("{}", e.render());
    super::EXIT_BAD_INPUT
}

/// The protocol file a scenario runs on, if any: one it names, or under `--interpreted` the
/// shipped file of its built-in protocol. Errors are left to the loader, which reports them.
fn protocol_file_of(src: &Source, interpreted: bool) -> Option<&'static crate::lang::Protocol> {
    let proto = crate::scenario::protocol_of(src).ok()?;
    let file = if models::names_file(proto.get_ref()) {
        crate::lang::registry::resolve(src, &proto).ok()?
    } else if interpreted {
        crate::lang::registry::embedded(proto.get_ref())?.ok()?
    } else {
        return None;
    };
    Some(&file.protocol)
}

/// The lints of the protocol files the scenarios run on, one line each, for the variants in
/// `only` (all when empty); printed on stderr before exploring. They never change a verdict.
pub fn print_lints(sources: &[Source], interpreted: bool, only: &[&str]) {
    let mut seen = std::collections::BTreeSet::new();
    let mut shown = 0;
    for src in sources {
        if !interpreted && !src.text.contains(crate::lang::EXTENSION) {
            continue;
        }
        let Some(p) = protocol_file_of(src, interpreted) else {
            continue;
        };
        if !seen.insert(p.path.clone()) {
            continue;
        }
        for l in crate::lang::lint::lint(p) {
            if only.is_empty() || l.variants.iter().any(|v| only.contains(&v.as_str())) {
                eprintln!("{}", l.summary(p));
                shown += 1;
            }
        }
    }
    if shown > 0 {
        eprintln!("({shown} lint(s): hints that change no verdict; `lockstep lint FILE` shows each with its source line, note and help)");
    }
}
