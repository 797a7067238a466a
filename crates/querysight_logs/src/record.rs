//! What a reader produces: one [`Record`] per executed statement (or a control line), borrowed
//! from the chunk being read.

use std::borrow::Cow;

use querysight_sql::Dialect;

/// One entry read from a log, before normalization.
///
/// Borrowed from the input chunk where possible; a multi-line statement or an unescaped
/// quoted field is owned. `line` is the 1-based line of the entry's first line, relative to
/// the chunk (the pipeline adds the chunk's offset).
#[derive(Clone, Debug)]
pub struct Record<'a> {
    /// What the entry says.
    pub kind: RecordKind,
    /// The statement text as logged (empty for control entries).
    pub sql: Cow<'a, [u8]>,
    /// Bound parameters as logged (`DETAIL:  parameters: $1 = '4'`, Django's `args=(4,)`,
    /// the capture format's `params`), when the log has them. Hashed, never parsed.
    pub params: Option<Cow<'a, [u8]>>,
    /// Time the statement took, in microseconds, when the log says.
    pub duration_us: Option<u64>,
    /// The database connection the statement ran on: PostgreSQL session id (`%c`) or pid,
    /// MySQL thread id, Django's database alias (plus the `[...]` prefix, see the crate docs),
    /// the capture format's `scope`. Empty when unknown.
    pub conn: Cow<'a, [u8]>,
    /// A unit-of-work id given by the log itself (OpenTelemetry trace id; the capture format's
    /// `scope`), or empty. sqlcommenter `traceparent` tags inside the SQL are read later.
    pub trace: Cow<'a, [u8]>,
    /// Where the statement came from (capture format's `call_site`), or empty.
    pub call_site: Cow<'a, [u8]>,
    /// Unix time in microseconds (time zone names are ignored: read as UTC), when known.
    pub ts_us: Option<i64>,
    /// 1-based line of the entry in the chunk.
    pub line: u64,
    /// How to read the SQL.
    pub dialect: Dialect,
}

/// The kind of a log entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecordKind {
    /// An executed statement.
    Query,
    /// PostgreSQL `duration: X ms` with no text: the duration of the connection's previous
    /// statement (`log_statement` and `log_min_duration_statement` both on).
    DurationOnly,
    /// The connection ended (PostgreSQL `disconnection:`, MySQL `Quit`): its scope ends.
    EndSession,
}

impl<'a> Record<'a> {
    /// A statement with nothing but its text, line and dialect.
    pub fn query(sql: impl Into<Cow<'a, [u8]>>, line: u64, dialect: Dialect) -> Record<'a> {
        Record {
            kind: RecordKind::Query,
            sql: sql.into(),
            params: None,
            duration_us: None,
            conn: Cow::Borrowed(b""),
            trace: Cow::Borrowed(b""),
            call_site: Cow::Borrowed(b""),
            ts_us: None,
            line,
            dialect,
        }
    }

    /// A control entry of `kind` for connection `conn`.
    pub fn control(kind: RecordKind, conn: impl Into<Cow<'a, [u8]>>, line: u64) -> Record<'a> {
        Record {
            kind,
            conn: conn.into(),
            ..Record::query(&b""[..], line, Dialect::Postgres)
        }
    }
}

/// An entry that could not be read, with its 1-based line (absolute once reported).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Skipped {
    /// Input file (`-` for standard input).
    pub file: String,
    /// 1-based line where the entry starts.
    pub line: u64,
    /// Why it was skipped.
    pub reason: String,
}
