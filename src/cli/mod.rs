//! The `lockstep` command line: a thin shell over the library, one file per subcommand.
//!
//! Exit codes: 0 every verdict matches its expectation; 1 some verdict differs; 2 bad input
//! (usage, unreadable or invalid scenario or trace); 3 an internal error.

mod bench;
mod check;
pub(crate) mod common;
mod completions;
mod lint;
mod list;
mod merge;
mod minimal;
mod new;
mod replay;
mod report;
mod run;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub use common::{collect_files, Overrides};

#[derive(Parser, Debug)]
#[command(
    name = "lockstep",
    version,
    about = "Deterministic simulation of lock protocols under cancellation, crashes and slow owners",
    long_about = "Deterministic simulation of lock protocols under cancellation, crashes and slow owners.\n\n\
Exit codes: 0 every verdict matches its expectation; 1 some verdict differs; 2 bad input; 3 internal error; 130 interrupted (Ctrl-C or SIGTERM: the results so far are printed, every unfinished search is inconclusive:interrupted)."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Check every scenario file under the paths against the expectations it declares.
    Check(check::Args),
    /// Run one scenario and print each verdict; a violation prints its timeline and replay command.
    Run(run::Args),
    /// Re-execute a saved trace (written by `run --trace`) and print the same output again.
    Replay(replay::Args),
    /// List the protocols, their variants, invariants and fault moves; or those of protocol
    /// files.
    List(list::Args),
    /// Point out where protocol files have the shape of a known bug of this class (hints that
    /// never change a verdict).
    Lint(lint::Args),
    /// Write the reports (summary matrix and counterexample timelines) for the scenarios under the paths.
    Report(report::Args),
    /// Merge the `check --json` outputs of sharded runs into the unsharded verdicts.
    Merge(merge::Args),
    /// Measure the explorers on fixed workloads (scenarios/bench/) side by side.
    Bench(bench::Args),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions(completions::Args),
    /// Print lockstep's man page (roff).
    Man,
    /// Write a commented, runnable scenario of a protocol to start from.
    New(new::Args),
    /// Print a JSON Schema of the scenario format, for editors that validate and complete TOML
    /// (e.g. a `#:schema` line at the top of a scenario file, or the editor's settings).
    Schema,
}

pub const EXIT_OK: u8 = 0;
pub const EXIT_MISMATCH: u8 = 1;
pub const EXIT_BAD_INPUT: u8 = 2;
pub const EXIT_INTERNAL: u8 = 3;
/// Ctrl-C: the results so far were printed, the rest stopped (the shell's 128 + SIGINT).
pub const EXIT_INTERRUPTED: u8 = 130;

/// Runs the command line with `args`; returns the process exit code.
pub fn main_with(args: Vec<String>) -> ExitCode {
    let cli = match Cli::try_parse_from(args) {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() {
                EXIT_BAD_INPUT
            } else {
                EXIT_OK
            };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    crate::interrupt::catch();
    std::panic::set_hook(Box::new(|info| {
        if closed_output(info) {
            CLOSED.store(true, std::sync::atomic::Ordering::Relaxed);
            return;
        }
        eprintln!("lockstep: internal error (a bug in lockstep, please report it): {info}");
    }));
    let result = std::panic::catch_unwind(|| match cli.command {
        Command::Check(a) => check::run(a),
        Command::Run(a) => run::run(a),
        Command::Replay(a) => replay::run(a),
        Command::List(a) => list::run(a),
        Command::Lint(a) => lint::run(a),
        Command::Report(a) => report::run(a),
        Command::Merge(a) => merge::run(a),
        Command::Bench(a) => bench::run(a),
        Command::Completions(a) => completions::run(a),
        Command::Man => completions::man(),
        Command::New(a) => new::run(a),
        Command::Schema => {
            let protocols = crate::models::protocols()
                .iter()
                .map(|p| crate::scenario::schema::ProtocolSchema {
                    sections: p.schema(),
                    catalogue: p.catalogue(),
                })
                .collect();
            let doc = crate::scenario::schema::document(protocols);
            println!(
                "{}",
                serde_json::to_string_pretty(&doc).expect("a schema serializes")
            );
            EXIT_OK
        }
    });
    match result {
        Ok(code) => ExitCode::from(code),
        // The reader went away (`lockstep list | head`): stop quietly, as `rg` does.
        Err(_) if CLOSED.load(std::sync::atomic::Ordering::Relaxed) => ExitCode::from(EXIT_OK),
        Err(_) => ExitCode::from(EXIT_INTERNAL),
    }
}

/// Set when the panic that ended the command was a write to a closed stdout or stderr.
static CLOSED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Whether a panic is `print!`'s on a closed pipe (its message is the standard library's).
fn closed_output(info: &std::panic::PanicHookInfo<'_>) -> bool {
    let payload = info.payload();
    let text = payload
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| payload.downcast_ref::<&str>().copied())
        .unwrap_or("");
    text.starts_with("failed printing to std") && text.contains("Broken pipe")
}
