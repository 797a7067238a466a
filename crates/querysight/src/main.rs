//! `querysight`: parse arguments, run the library, map the result to an exit code.

use std::process::ExitCode;

use clap::Parser;

mod args;
mod commands;
mod discover;
mod settings;

/// mimalloc, as Ruff uses: the parser and the analysis allocate many small objects.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = args::Cli::parse();
    match commands::run(cli) {
        Ok(status) => status.into(),
        Err(err) => {
            #[allow(clippy::print_stderr)]
            {
                eprintln!("querysight: error: {err}");
            }
            commands::ExitStatus::Error.into()
        }
    }
}
