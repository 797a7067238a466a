//! Which reader a log needs, from its first lines.

use std::fmt;
use std::str::FromStr;

use crate::readers;

/// A log format querysight reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    /// Django's `django.db.backends` debug log ([`readers::django`]).
    Django,
    /// PostgreSQL stderr log ([`readers::postgres_stderr`]).
    PostgresStderr,
    /// PostgreSQL csvlog ([`readers::postgres_csv`]).
    PostgresCsv,
    /// PostgreSQL jsonlog ([`readers::postgres_json`]).
    PostgresJson,
    /// MySQL / MariaDB general query log ([`readers::mysql_general`]).
    MysqlGeneral,
    /// MySQL / MariaDB slow query log ([`readers::mysql_slow`]).
    MysqlSlow,
    /// OpenTelemetry spans, OTLP JSON lines ([`readers::otel`]).
    Otel,
    /// querysight's JSON Lines capture format ([`readers::jsonl`]).
    Jsonl,
}

impl Format {
    /// Every format, in detection order.
    pub const ALL: [Format; 8] = [
        Format::Jsonl,
        Format::Otel,
        Format::PostgresJson,
        Format::PostgresCsv,
        Format::MysqlSlow,
        Format::MysqlGeneral,
        Format::Django,
        Format::PostgresStderr,
    ];

    /// The name used by `--format`.
    pub fn name(self) -> &'static str {
        match self {
            Format::Django => "django",
            Format::PostgresStderr => "postgres",
            Format::PostgresCsv => "postgres-csv",
            Format::PostgresJson => "postgres-json",
            Format::MysqlGeneral => "mysql-general",
            Format::MysqlSlow => "mysql-slow",
            Format::Otel => "otel",
            Format::Jsonl => "jsonl",
        }
    }

    /// A PostgreSQL `duration: X ms` line may complete the previous statement of its session.
    pub(crate) fn pairs_durations(self) -> bool {
        matches!(
            self,
            Format::PostgresStderr | Format::PostgresCsv | Format::PostgresJson
        )
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// `--format` named no known format.
#[derive(Debug, thiserror::Error)]
#[error("unknown log format `{0}` (expected one of: django, postgres, postgres-csv, postgres-json, mysql-general, mysql-slow, otel, jsonl)")]
pub struct UnknownFormat(pub String);

impl FromStr for Format {
    type Err = UnknownFormat;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim().to_ascii_lowercase();
        Ok(match s.as_str() {
            "django" => Format::Django,
            "postgres" | "postgresql" | "postgres-stderr" | "stderr" => Format::PostgresStderr,
            "postgres-csv" | "csvlog" | "csv" => Format::PostgresCsv,
            "postgres-json" | "jsonlog" => Format::PostgresJson,
            "mysql-general" | "mysql" | "mariadb" | "general" => Format::MysqlGeneral,
            "mysql-slow" | "slow" => Format::MysqlSlow,
            "otel" | "opentelemetry" | "otlp" => Format::Otel,
            "jsonl" | "capture" => Format::Jsonl,
            _ => return Err(UnknownFormat(s)),
        })
    }
}

/// Guesses the format of `sample` (the first bytes of the input): each format scores the
/// lines it recognizes among the first 200 non-empty ones; the best score wins. `None` when no
/// line is recognized.
pub fn detect(sample: &[u8]) -> Option<Format> {
    let mut scores = [0_u32; 8];
    let mut seen = 0;
    for (_, line) in readers::lines(sample) {
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        seen += 1;
        if seen > 200 {
            break;
        }
        for (i, format) in Format::ALL.iter().enumerate() {
            scores[i] += score(*format, line);
        }
    }
    let (best, score) = scores
        .iter()
        .enumerate()
        .max_by_key(|(i, s)| (**s, usize::MAX - i))?;
    (*score > 0).then(|| Format::ALL[best])
}

/// How strongly `line` says `format` (0: not at all).
fn score(format: Format, line: &[u8]) -> u32 {
    let json = line.first() == Some(&b'{');
    let has = |needle: &[u8]| memchr::memmem::find(line, needle).is_some();
    match format {
        Format::Jsonl => u32::from(json && has(b"\"sql\"") && has(b"\"duration_us\"")) * 3,
        Format::Otel => {
            u32::from(json && (has(b"\"resourceSpans\"") || (has(b"\"traceId\"") && has(b"db."))))
                * 3
        }
        Format::PostgresJson => {
            u32::from(json && has(b"\"error_severity\"") && has(b"\"message\"")) * 3
        }
        Format::PostgresCsv => {
            u32::from(
                readers::postgres_csv::is_boundary(line)
                    && (has(b",LOG,") || has(b",\"LOG\",") || has(b",ERROR,")),
            ) * 2
        }
        Format::MysqlSlow => {
            u32::from(line.starts_with(b"# Query_time:") || line.starts_with(b"# User@Host:")) * 2
        }
        Format::MysqlGeneral => {
            u32::from(readers::mysql_general::parse_head(line).is_some_and(|h| {
                matches!(
                    h.command,
                    b"Query" | b"Connect" | b"Quit" | b"Execute" | b"Prepare" | b"Init DB"
                )
            }))
        }
        Format::Django => u32::from(readers::django::starts_record(line)) * 2,
        Format::PostgresStderr => u32::from(
            !json
                && readers::prefix::generic(line).is_some()
                && !readers::postgres_csv::is_boundary_csv_like(line),
        ),
    }
}
