//! The `querysight` command-line program as a library, so the Python package's
//! `querysight` command runs the same code as the Rust binary.

use std::ffi::OsString;

use clap::Parser;

mod args;
mod commands;
mod discover;
mod logs_cmd;
mod settings;

pub use commands::ExitStatus;

/// Runs the program with `argv` (including the program name) and returns its exit code:
/// 0 nothing found, 1 findings, 2 usage or I/O errors. Prints to standard output and error.
pub fn run<I, T>(argv: I) -> u8
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let cli = match args::Cli::try_parse_from(argv) {
        Ok(cli) => cli,
        Err(err) => {
            // `--help` and `--version` exit 0; usage errors exit 2.
            let _ = err.print();
            return if err.use_stderr() { 2 } else { 0 };
        }
    };
    let status = match commands::run(cli) {
        Ok(status) => status,
        Err(err) => {
            #[allow(clippy::print_stderr)]
            {
                eprintln!("querysight: error: {err}");
            }
            ExitStatus::Error
        }
    };
    status.code()
}
