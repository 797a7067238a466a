//! Command-line arguments.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

/// Find N+1 queries in Django projects.
#[derive(Debug, Parser)]
#[command(name = "querysight", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Analyse the Python files of a Django project without running it.
    Check(CheckArgs),
    /// Print the documentation of a rule (`querysight rule QS101`), or list all rules.
    Rule {
        /// A rule code or name; all rules when omitted.
        code: Option<String>,
    },
    /// Find N+1 bursts, duplicates and the costliest query shapes in database and Django logs.
    Logs(crate::logs_cmd::LogsArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// Human-readable, with a code frame.
    Text,
    /// A JSON array of findings (schema: `querysight_diagnostics::render_json`).
    Json,
}

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// Files or directories to analyse (`.gitignore` is respected).
    #[arg(default_value = ".")]
    pub paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,
    /// Also report findings whose queryset state could only be partly inferred.
    #[arg(long)]
    pub include_uncertain: bool,
    /// Exit with 2 when a file could not be read or parsed.
    #[arg(long)]
    pub strict: bool,
    /// Worker threads (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Only these rule codes or prefixes (comma-separated), e.g. `QS101,QS104`.
    #[arg(long, value_delimiter = ',')]
    pub select: Vec<String>,
    /// Never these rule codes or prefixes (comma-separated).
    #[arg(long, value_delimiter = ',')]
    pub ignore: Vec<String>,
    /// Skip files larger than this many bytes (default 5 MB, or `max-file-size` in
    /// `[tool.querysight]`).
    #[arg(long)]
    pub max_file_size: Option<u64>,
    /// Print a count per rule instead of each finding.
    #[arg(long)]
    pub statistics: bool,
    /// Analyse Python files only: no Django templates.
    #[arg(long)]
    pub no_templates: bool,
    /// Colour in text output: auto (when stdout is a terminal), always, never.
    #[arg(long, default_value = "auto")]
    pub color: String,
}
