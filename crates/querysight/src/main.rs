//! `querysight`: parse arguments, run the library, map the result to an exit code.

use std::process::ExitCode;

/// mimalloc, as Ruff uses: the parser and the analysis allocate many small objects.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    ExitCode::from(querysight::run(std::env::args_os()))
}
