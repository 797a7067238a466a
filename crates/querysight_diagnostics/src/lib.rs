//! Findings (`Diagnostic`), their locations and fixes, and the two renderings the CLI offers:
//! human text with a code frame (`text`) and a JSON list (`json`).
//!
//! Locations are 1-based lines and 1-based columns counted in Unicode scalar values, as editors
//! and Ruff print them. Byte offsets are kept too, for the code frame.

mod json;
mod line_index;
mod text;

#[cfg(test)]
mod tests;

pub use json::render_json;
pub use line_index::LineIndex;
pub use text::{render_file_error, render_text, TextOptions};

use std::path::PathBuf;

/// How sure the analysis is that a finding is a real query per row.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Confidence {
    /// The queryset's model and eager-load state are fully known.
    High,
    /// Shown only with `--include-uncertain`: the queryset's state was partly inferred.
    Low,
}

impl Confidence {
    /// The name used in JSON output: `"high"` or `"low"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Confidence::High => "high",
            Confidence::Low => "low",
        }
    }
}

/// Whether applying a fix can change behaviour.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FixSafety {
    /// Only changes how many queries run, never the result.
    Safe,
    /// May change the result (for example `bulk_update` skips `save()` and signals).
    Unsafe,
    /// Advice to read; not a mechanical edit.
    DisplayOnly,
}

impl FixSafety {
    /// The name used in JSON output: `"safe"`, `"unsafe"` or `"display-only"`.
    pub fn as_str(self) -> &'static str {
        match self {
            FixSafety::Safe => "safe",
            FixSafety::Unsafe => "unsafe",
            FixSafety::DisplayOnly => "display-only",
        }
    }
}

/// The code to write, and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fix {
    /// The code itself, e.g. `.select_related("customer__team")`.
    pub code: String,
    /// One sentence: where to put it, e.g. `add to the queryset built at shop/views.py:42`.
    pub message: String,
    /// Whether applying it can change behaviour.
    pub safety: FixSafety,
}

/// A place in a file: path as given on the command line (joined with the file's relative path),
/// 1-based line and column.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Location {
    /// The file, as given on the command line joined with the file's relative path.
    pub path: PathBuf,
    /// 1-based line.
    pub line: u32,
    /// 1-based column, counted in chars (Unicode scalar values), not bytes.
    pub column: u32,
}

/// A secondary location that explains a finding: the query inside a called method, the
/// queryset the rows come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Related {
    /// Where; only `path` and `line` are shown.
    pub location: Location,
    /// What is there, e.g. ``the query inside `team_budget()` ``.
    pub message: String,
}

/// One finding of a rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// Stable rule code, e.g. `QS101`.
    pub code: &'static str,
    /// Rule name, e.g. `missing-select-related`.
    pub name: &'static str,
    /// One sentence saying what is wrong.
    pub message: String,
    /// Where the query per row happens (the attribute access, or the call in the loop).
    pub location: Location,
    /// Byte range of the offending expression in the file, for the code frame: offset in bytes
    /// of its first byte. Should be the offset `location` was computed from.
    pub start_byte: usize,
    /// Offset in bytes just past the expression's last byte (exclusive end).
    pub end_byte: usize,
    /// The relation path, e.g. `Order.customer -> Customer.team`.
    pub relation: Option<String>,
    /// The code to write, when the rule knows one.
    pub fix: Option<Fix>,
    /// Where the queryset that produced the rows was built.
    pub origin: Option<Location>,
    /// How sure the analysis is.
    pub confidence: Confidence,
    /// Secondary locations that explain the finding, in the order they should be shown.
    pub related: Vec<Related>,
}

/// A problem with an input file or the configuration, not a finding: a file that does not parse,
/// is not UTF-8, is too large, or cannot be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileError {
    /// The file, as given on the command line joined with the file's relative path.
    pub path: PathBuf,
    /// 1-based line; set when the error has a position (syntax errors).
    pub line: Option<u32>,
    /// 1-based column, counted in chars (Unicode scalar values); set when the error has a
    /// position.
    pub column: Option<u32>,
    /// What is wrong, e.g. `invalid syntax`.
    pub message: String,
}
