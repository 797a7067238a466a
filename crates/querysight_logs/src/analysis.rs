//! The result of reading logs: findings, digest and counters. Plain data; the report
//! modules render it.

use crate::record::Skipped;
use crate::Format;

/// Where a finding was seen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScopeRef {
    /// How the scope was identified, e.g. `6b02153a.4d8c, trace 5bd66ef5..., books/`.
    pub label: String,
    /// Input file of its first statement (`-` for standard input).
    pub file: String,
    /// 1-based line of the finding's first statement in that scope.
    pub first_line: u64,
    /// 1-based line of the finding's last statement in that scope.
    pub last_line: u64,
    /// Executions in that scope.
    pub count: u64,
    /// Distinct parameter sets in that scope.
    pub distinct_params: u64,
    /// Their summed duration, microseconds.
    pub total_us: u64,
}

/// A query shape: fingerprint and canonical text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShapeRef {
    /// querysight_sql fingerprint.
    pub fingerprint: u64,
    /// Canonical text (`select ... where shop_author.id = ? limit ?`).
    pub text: String,
}

/// The Django fix for a burst, from the project's model graph (`--project`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fix {
    /// `Book.author` (source model and accessor).
    pub relation: String,
    /// `select_related("author")` or `prefetch_related("reviews")`.
    pub call: String,
    /// The source model's label, `shop.Book`.
    pub model: String,
}

/// One N+1 pattern: the same shape repeated with different parameters within scopes,
/// aggregated over every scope where it happened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Burst {
    /// The repeated shape.
    pub shape: ShapeRef,
    /// One statement of it as logged.
    pub example: String,
    /// The query that most often ran before the burst (the one whose rows the loop walks),
    /// when one was seen.
    pub source: Option<ShapeRef>,
    /// Scopes where it was an N+1.
    pub scopes: u64,
    /// Executions in those scopes.
    pub queries: u64,
    /// Their summed duration, microseconds.
    pub total_us: u64,
    /// The scope with the most executions.
    pub worst: ScopeRef,
    /// With `--project`: the relation and the eager load that removes the burst.
    pub fix: Option<Fix>,
}

/// The same statement with the same parameters repeated within scopes (outside N+1 bursts).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DuplicateGroup {
    /// The repeated shape.
    pub shape: ShapeRef,
    /// Scopes where it repeated.
    pub scopes: u64,
    /// Executions in those scopes.
    pub executions: u64,
    /// Their summed duration, microseconds.
    pub total_us: u64,
    /// The scope with the most executions.
    pub worst: ScopeRef,
}

/// One row of the digest: a query shape with its totals over the whole input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DigestRow {
    /// The shape.
    pub shape: ShapeRef,
    /// One statement of it as logged.
    pub example: String,
    /// Executions.
    pub count: u64,
    /// Summed duration, microseconds (0 when the log has no durations).
    pub total_us: u64,
    /// Mean duration over executions with a duration, microseconds.
    pub mean_us: u64,
    /// 95th percentile duration, microseconds, within 6.25 % (log-linear histogram).
    pub p95_us: u64,
    /// Longest execution, microseconds.
    pub max_us: u64,
    /// File and 1-based line of the first execution.
    pub first_file: String,
    /// See `first_file`.
    pub first_line: u64,
}

/// One statement of the worst scope, for the HTML timeline.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TimelineEntry {
    /// Microseconds since the scope's first statement (when the log has timestamps; else
    /// the running sum of durations).
    pub start_us: u64,
    /// Duration, microseconds.
    pub duration_us: u64,
    /// Shape.
    pub fingerprint: u64,
    /// 1-based line.
    pub line: u64,
    /// Part of an N+1 burst of this scope.
    pub in_burst: bool,
}

/// The scope that took the most database time (or ran the most statements, without
/// durations), statement by statement (at most [`crate::TIMELINE_MAX`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Timeline {
    /// Where.
    pub scope: ScopeRef,
    /// Statements of the scope.
    pub queries: u64,
    /// Summed duration, microseconds.
    pub total_us: u64,
    /// The first statements.
    pub entries: Vec<TimelineEntry>,
    /// Canonical text of each fingerprint in `entries`.
    pub shapes: Vec<ShapeRef>,
}

/// Everything `querysight logs` found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Analysis {
    /// The format read.
    pub format: Format,
    /// Inputs read.
    pub inputs: Vec<String>,
    /// Bytes read (decompressed).
    pub bytes: u64,
    /// Lines read.
    pub lines: u64,
    /// Statements read.
    pub statements: u64,
    /// Scopes (units of work) the statements were grouped into.
    pub scopes: u64,
    /// Whether any statement had a duration.
    pub has_durations: bool,
    /// N+1 patterns, most executions first.
    pub bursts: Vec<Burst>,
    /// Duplicate statements, most executions first.
    pub duplicates: Vec<DuplicateGroup>,
    /// Every shape, most total time first (most executions first when the log has no
    /// durations).
    pub digest: Vec<DigestRow>,
    /// The worst scope.
    pub timeline: Option<Timeline>,
    /// Entries that could not be read (the first [`crate::SKIPPED_KEPT`]).
    pub skipped: Vec<Skipped>,
    /// All entries that could not be read.
    pub skipped_count: u64,
    /// Statements not grouped because a scope tracked too many shapes (findings may be
    /// missing; see `querysight_detect::DetectConfig::max_groups`).
    pub dropped_events: u64,
}
