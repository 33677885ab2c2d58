use std::process::ExitCode;

/// The command runs on a thread with a large stack: lowering a protocol file recurses over its
/// tree, and the language's nesting limits are set so that no file needs more than this.
const STACK_BYTES: usize = 256 << 20;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let run = std::thread::Builder::new()
        .name("lockstep".to_string())
        .stack_size(STACK_BYTES)
        .spawn(move || lockstep::cli::main_with(args));
    match run.map(|t| t.join()) {
        Ok(Ok(code)) => code,
        // A panic already printed its message; an internal error.
        Ok(Err(_)) => ExitCode::from(lockstep::cli::EXIT_INTERNAL),
        Err(e) => {
            eprintln!("error: cannot start: {e}");
            ExitCode::from(lockstep::cli::EXIT_INTERNAL)
        }
    }
}
