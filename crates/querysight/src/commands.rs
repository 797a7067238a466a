//! The subcommands.

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::io::IsTerminal;

use querysight_diagnostics::{render_file_error, render_json, render_text, TextOptions};
use querysight_linter::rules;

use crate::args::{CheckArgs, Cli, Command, OutputFormat};
use crate::{discover, settings};

/// Exit codes: 0 nothing found, 1 findings, 2 usage or I/O errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    Clean,
    Findings,
    Error,
}

impl ExitStatus {
    /// The process exit code.
    pub fn code(self) -> u8 {
        match self {
            ExitStatus::Clean => 0,
            ExitStatus::Findings => 1,
            ExitStatus::Error => 2,
        }
    }
}

/// Errors that end a run with exit code 2.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    MissingPath(#[from] discover::MissingPath),
    #[error(transparent)]
    Config(#[from] settings::ConfigError),
    #[error("unknown rule `{0}` (see `querysight rule`)")]
    UnknownRule(String),
    #[error("cannot start worker threads: {0}")]
    Threads(String),
    #[error(transparent)]
    Logs(#[from] querysight_logs::LogError),
    #[error("{0}")]
    Output(String),
}

pub fn run(cli: Cli) -> Result<ExitStatus, RunError> {
    match cli.command {
        Command::Check(args) => check(&args),
        Command::Rule { code } => rule(code.as_deref()),
        Command::Logs(args) => crate::logs_cmd::run(&args),
    }
}

fn rule(code: Option<&str>) -> Result<ExitStatus, RunError> {
    match code {
        Some(code) => {
            let rule = rules::find(code).ok_or_else(|| RunError::UnknownRule(code.to_string()))?;
            println!("# {} ({})\n\n{}\n", rule.name, rule.code, rule.summary);
            print!("{}", strip_doc_indent(rule.doc));
        }
        None => {
            for rule in rules::ALL {
                println!("{}  {:<26} {}", rule.code, rule.name, rule.summary);
            }
        }
    }
    Ok(ExitStatus::Clean)
}

fn strip_doc_indent(doc: &str) -> String {
    doc.lines()
        .map(|l| l.strip_prefix(' ').unwrap_or(l))
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

fn check(args: &CheckArgs) -> Result<ExitStatus, RunError> {
    let first = args.paths.first().cloned().unwrap_or_else(|| ".".into());
    let user = settings::load(&first)?;
    let settings = settings::freeze(args, user);
    for code in settings.select.iter().chain(&settings.ignore) {
        if !rules::ALL.iter().any(|r| r.code.starts_with(code.as_str())) {
            return Err(RunError::UnknownRule(code.clone()));
        }
    }
    if let Some(threads) = args.threads {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads.max(1))
            .build_global()
            .map_err(|e| RunError::Threads(e.to_string()))?;
    }
    let (files, walk_errors) = discover::discover(&args.paths, !args.no_templates)?;
    let result = querysight_linter::check(&files, &settings);

    for (path, message) in &walk_errors {
        eprintln!("error: {}: {message}", path.display());
    }
    for error in &result.errors {
        eprintln!("{}", render_file_error(error));
    }
    let diagnostics = &result.diagnostics;
    match args.format {
        OutputFormat::Json => println!("{}", render_json(diagnostics)),
        OutputFormat::Text if args.statistics => {
            for rule in rules::ALL {
                let n = diagnostics.iter().filter(|d| d.code == rule.code).count();
                if n > 0 {
                    println!("{n:>6}  {}  {}", rule.code, rule.name);
                }
            }
        }
        OutputFormat::Text => {
            let color = match args.color.as_str() {
                "always" => true,
                "never" => false,
                _ => std::io::stdout().is_terminal(),
            };
            let out = render_text(
                diagnostics,
                &|p| std::fs::read_to_string(p).ok(),
                &TextOptions { color },
            );
            print!("{out}");
            if !out.is_empty() {
                println!();
            }
            let n = diagnostics.len();
            let files_with = {
                let mut paths: Vec<_> = diagnostics.iter().map(|d| &d.location.path).collect();
                paths.dedup();
                paths.len()
            };
            if n == 0 {
                println!(
                    "No N+1 queries found ({} files, {} lines analysed).",
                    result.files, result.lines
                );
            } else {
                println!(
                    "Found {n} finding{} in {files_with} file{} ({} files, {} lines analysed).",
                    if n == 1 { "" } else { "s" },
                    if files_with == 1 { "" } else { "s" },
                    result.files,
                    result.lines
                );
            }
            if !result.errors.is_empty() {
                println!(
                    "{} file{} could not be analysed (see above).",
                    result.errors.len(),
                    if result.errors.len() == 1 { "" } else { "s" }
                );
            }
        }
    }
    if args.strict && (!result.errors.is_empty() || !walk_errors.is_empty()) {
        return Ok(ExitStatus::Error);
    }
    Ok(if diagnostics.is_empty() {
        ExitStatus::Clean
    } else {
        ExitStatus::Findings
    })
}
