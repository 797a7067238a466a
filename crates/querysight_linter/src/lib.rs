//! querysight's rules and the `check` driver.
//!
//! [`check`] takes the files to analyse and frozen [`CheckSettings`] and returns diagnostics
//! plus per-file errors; it never fails as a whole. [`rules::ALL`] lists the rules with their
//! documentation.

mod check;
pub mod noqa;
mod project;
pub mod rules;

pub use check::{check, read_source, CheckResult, CheckSettings, ReadError, SourceFile};
pub use project::build_project;
