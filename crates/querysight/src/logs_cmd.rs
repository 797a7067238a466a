//! `querysight logs`: read database and Django logs, report N+1 bursts, duplicates and the
//! costliest query shapes.

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::path::PathBuf;

use clap::ValueEnum;
use querysight_logs::report::{html, json, text};
use querysight_logs::{Format, Input, Options};

use crate::commands::{ExitStatus, RunError};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogsOutput {
    /// For a terminal.
    Text,
    /// One JSON object (schema: `querysight_logs::report::json`).
    Json,
    /// One self-contained HTML page (charts inline, no external assets).
    Html,
}

#[derive(Debug, clap::Args)]
pub struct LogsArgs {
    /// Log files (`.gz` is read transparently); `-` or none reads standard input.
    pub files: Vec<PathBuf>,
    /// The log format (default: detected from each file's first lines): django, postgres,
    /// postgres-csv, postgres-json, mysql-general, mysql-slow, otel, jsonl.
    #[arg(long, value_parser = parse_format)]
    pub format: Option<Format>,
    /// PostgreSQL `log_line_prefix` of a stderr log, e.g. '%m [%p] %q%u@%d ' (default: read
    /// timestamp, [pid] and session id from any prefix).
    #[arg(long, allow_hyphen_values = true)]
    pub log_line_prefix: Option<String>,
    /// A Django project: name the relation and print the select_related/prefetch_related fix.
    #[arg(long)]
    pub project: Option<PathBuf>,
    /// Report format.
    #[arg(long = "output", value_enum, default_value_t = LogsOutput::Text)]
    pub output: LogsOutput,
    /// Write the report to this file instead of standard output.
    #[arg(short = 'o', long = "output-file")]
    pub output_file: Option<PathBuf>,
    /// Executions of one query shape in one unit of work that make an N+1 burst (with at
    /// least two distinct parameter sets).
    #[arg(long, default_value_t = 3)]
    pub min_repeats: u32,
    /// Executions of one statement with the same parameters that make a duplicate.
    #[arg(long, default_value_t = 3)]
    pub min_duplicates: u32,
    /// Ignore bursts and duplicates whose time in a unit of work is below this (milliseconds).
    #[arg(long, default_value_t = 0)]
    pub min_total_ms: u64,
    /// Also report INSERT/UPDATE/DELETE repeated per row.
    #[arg(long)]
    pub include_writes: bool,
    /// A connection idle for longer than this starts a new unit of work (milliseconds; 0: never).
    #[arg(long, default_value_t = 1000)]
    pub scope_gap_ms: u64,
    /// Rows of the digest and of each finding list.
    #[arg(long, default_value_t = 10)]
    pub top: usize,
    /// Worker threads (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
}

fn parse_format(s: &str) -> Result<Format, String> {
    s.parse::<Format>().map_err(|e| e.to_string())
}

pub fn run(args: &LogsArgs) -> Result<ExitStatus, RunError> {
    if let Some(threads) = args.threads {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads.max(1))
            .build_global()
            .map_err(|e| RunError::Threads(e.to_string()))?;
    }
    let inputs: Vec<Input> = if args.files.is_empty() {
        vec![Input::Stdin]
    } else {
        args.files
            .iter()
            .map(|f| {
                if f.as_os_str() == "-" {
                    Input::Stdin
                } else {
                    Input::Path(f.clone())
                }
            })
            .collect()
    };
    let schema = match &args.project {
        Some(path) => Some(schema(path)?),
        None => None,
    };
    let options = Options {
        format: args.format,
        log_line_prefix: args.log_line_prefix.clone(),
        min_repeats: args.min_repeats,
        min_duplicates: args.min_duplicates,
        min_total_ms: args.min_total_ms,
        include_writes: args.include_writes,
        scope_gap_ms: args.scope_gap_ms,
        timeline: args.output == LogsOutput::Html,
        ..Options::default()
    };
    let mut analysis = querysight_logs::analyze(&inputs, &options)?;
    if let Some(schema) = &schema {
        schema.apply(&mut analysis);
    }
    let report = match args.output {
        LogsOutput::Text => text::render(&analysis, &text::TextOptions { top: args.top }),
        LogsOutput::Json => json::render(&analysis) + "\n",
        LogsOutput::Html => html::render(&analysis, args.top),
    };
    match &args.output_file {
        Some(path) => std::fs::write(path, report)
            .map_err(|e| RunError::Output(format!("{}: {e}", path.display())))?,
        None => print!("{report}"),
    }
    if analysis.skipped_count > 0 && args.output != LogsOutput::Text {
        eprintln!(
            "querysight logs: {} entries could not be read (first at {}:{})",
            analysis.skipped_count,
            analysis.skipped.first().map_or("", |s| s.file.as_str()),
            analysis.skipped.first().map_or(0, |s| s.line)
        );
    }
    Ok(if analysis.bursts.is_empty() {
        ExitStatus::Clean
    } else {
        ExitStatus::Findings
    })
}

/// The model graph of the Django project at `path`, as `querysight check` builds it.
fn schema(path: &std::path::Path) -> Result<querysight_logs::models::Schema, RunError> {
    use clap::Parser;
    #[derive(Parser)]
    struct Check {
        #[command(flatten)]
        args: crate::args::CheckArgs,
    }
    let path_str = path.display().to_string();
    let check = Check::try_parse_from(["check", path_str.as_str()])
        .map_err(|e| RunError::Output(e.to_string()))?;
    let user = crate::settings::load(path)?;
    let settings = crate::settings::freeze(&check.args, user);
    let (files, _walk_errors) = crate::discover::discover(&[path.to_path_buf()], false)?;
    let (project, errors) = querysight_linter::build_project(&files, &settings);
    for e in &errors {
        eprintln!("{}", querysight_diagnostics::render_file_error(e));
    }
    Ok(schema_of(&project))
}

/// The tables and relations of a model graph.
fn schema_of(project: &querysight_django::Project) -> querysight_logs::models::Schema {
    use querysight_django::RelKind;
    use querysight_logs::models::{
        default_table, RelationKind, Schema, SchemaModel, SchemaRelation,
    };
    let table = |id: u32| {
        project
            .models
            .get(id as usize)
            .map(|m| default_table(&m.app_label, &m.name))
    };
    let models = project
        .models
        .iter()
        .filter(|m| !m.is_abstract)
        .map(|m| {
            let mut relations: Vec<SchemaRelation> = m
                .relations
                .values()
                .filter_map(|r| {
                    let target = r.target?;
                    let (kind, column) = match r.kind {
                        RelKind::ForwardFk | RelKind::ForwardOneToOne => {
                            (RelationKind::Forward, r.attname.clone())
                        }
                        RelKind::ReverseFk | RelKind::ReverseOneToOne => {
                            let remote = r.remote_lookup.as_ref().and_then(|l| {
                                project.models.get(target as usize)?.relations.get(l)
                            });
                            let kind = if r.kind == RelKind::ReverseFk {
                                RelationKind::ReverseMany
                            } else {
                                RelationKind::ReverseOneToOne
                            };
                            (kind, remote.and_then(|x| x.attname.clone()))
                        }
                        RelKind::ForwardM2m | RelKind::ReverseM2m => {
                            (RelationKind::ManyToMany, None)
                        }
                        RelKind::GenericFk | RelKind::GenericRelation => return None,
                    };
                    Some(SchemaRelation {
                        accessor: r.lookup.clone(),
                        kind,
                        target_table: table(target)?,
                        column,
                    })
                })
                .collect();
            relations.sort_by(|a, b| a.accessor.cmp(&b.accessor));
            SchemaModel {
                name: m.name.clone(),
                label: m.label(),
                table: default_table(&m.app_label, &m.name),
                relations,
            }
        })
        .collect();
    Schema::new(models)
}
