use std::process::ExitCode;

fn main() -> ExitCode {
    lockstep::cli::main_with(std::env::args().collect())
}
