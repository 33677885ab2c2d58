//! `lockstep completions SHELL` and `lockstep man`: shell completion scripts and the man page,
//! generated from the same clap definitions as `--help`, so they cannot drift from it.

use std::io::Write;

use clap::CommandFactory;

use super::{Cli, EXIT_INTERNAL, EXIT_OK};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The shell: bash, zsh, fish, elvish or powershell.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// Prints the completion script (for bash: `lockstep completions bash > ~/.local/share/bash-completion/completions/lockstep`).
pub fn run(a: Args) -> u8 {
    let mut cmd = Cli::command();
    clap_complete::generate(a.shell, &mut cmd, "lockstep", &mut std::io::stdout());
    EXIT_OK
}

/// Prints the man page in roff (`lockstep man > lockstep.1; man ./lockstep.1`).
pub fn man() -> u8 {
    let mut out = Vec::new();
    if clap_mangen::Man::new(Cli::command())
        .render(&mut out)
        .is_err()
    {
        return EXIT_INTERNAL;
    }
    // A closed stdout ends quietly, like every other command's.
    let _ = std::io::stdout().write_all(&out);
    EXIT_OK
}
