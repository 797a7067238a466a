//! Reads database and Django logs and finds N+1 bursts, duplicate statements and the
//! costliest query shapes: `querysight logs`.
//!
//! # Data flow
//!
//! ```text
//! inputs (files, stdin, .gz) --source: chunks of whole records (split where a record starts)
//!   --rayon, per chunk: reader (format) -> Record -> querysight_sql::normalize -> Event
//!   --in input order: scopes (connection, trace id, transaction, time gap; see `scope`)
//!       -> querysight_detect::Scope per unit of work -> N+1 bursts, duplicates
//!       -> digest per fingerprint (count, total, mean, p95, max)
//!   --> Analysis --> report::{text, json, html}; models::Schema adds Django fixes
//! ```
//!
//! Memory does not depend on the input size: chunks in flight (4 MiB each, two per thread),
//! the longest record (at most 64 MiB; longer ones are skipped and reported), counters per
//! open scope (bounded by `querysight_detect` and [`scope::MAX_OPEN`]) and per query shape.
//!
//! # Formats
//!
//! | `--format` | reader | what it is |
//! |---|---|---|
//! | `django` | [`readers::django`] | Django's `django.db.backends` debug log, 3.2 to 5.x |
//! | `postgres` | [`readers::postgres_stderr`] | PostgreSQL stderr log, any `log_line_prefix` |
//! | `postgres-csv` | [`readers::postgres_csv`] | PostgreSQL csvlog |
//! | `postgres-json` | [`readers::postgres_json`] | PostgreSQL 15+ jsonlog |
//! | `mysql-general` | [`readers::mysql_general`] | MySQL / MariaDB general query log |
//! | `mysql-slow` | [`readers::mysql_slow`] | MySQL / MariaDB slow query log |
//! | `otel` | [`readers::otel`] | OpenTelemetry spans, OTLP JSON lines |
//! | `jsonl` | [`readers::jsonl`] | querysight's capture format (below) |
//!
//! Without `--format`, each input's first 64 KiB decide ([`detect_format::detect`]).
//!
//! # The capture format (`jsonl`)
//!
//! JSON Lines, UTF-8, one executed statement per line, for applications that log their own
//! queries (a Django `execute_wrapper`, a test harness):
//!
//! ```json
//! {"sql": "SELECT ... WHERE id = %s", "params": [4], "duration_us": 130, "scope": "req-8f3a", "call_site": "shop/views.py:41", "ts": "2024-05-01T10:00:00.123456Z"}
//! ```
//!
//! - `sql` (string, required): the statement as sent, placeholders or values inline.
//! - `params` (any JSON, optional, `null` if none): the bound parameters; only compared
//!   (hashed as written), never parsed.
//! - `duration_us` (number, optional): execution time in microseconds.
//! - `scope` (string, optional): the unit of work (request id, test id, task id): statements
//!   of one scope are analysed together.
//! - `call_site` (string, optional): where the statement was issued (`path:line`); when
//!   present, N+1 groups are per (shape, call site), as at run time.
//! - `ts` (optional): RFC 3339 string or Unix time number (seconds; milli-, micro- and
//!   nanoseconds are recognized by magnitude).
//! - `vendor` (optional): `postgresql` (default), `mysql` or `sqlite`: how to read the SQL.
//! - `alias` (optional): the database alias; default `default`.
//!
//! Other keys are ignored; a line that is not such an object is skipped and reported.
//!
//! # Scopes
//!
//! See [`scope`] for how statements are grouped into units of work, in order of preference:
//! trace id (sqlcommenter `traceparent`, OpenTelemetry, capture `scope`), sqlcommenter
//! `route`, transaction boundaries per connection (PostgreSQL session id or pid, MySQL
//! thread id, Django database alias), then time gaps. For a Django debug log, make the
//! formatter start each message with a bracketed thread or request id
//! (`"format": "[%(thread)d] %(message)s"`), or enable a sqlcommenter middleware.
//!
//! # Thresholds
//!
//! A burst is a shape run at least [`Options::min_repeats`] times (default 3) in one scope
//! with at least two distinct parameter sets (`querysight_detect`'s rule: the same parameters
//! repeated are a duplicate). Logs mix development traffic (where two lookups of one view are
//! common and rarely a loop) with production traffic; 3 is the smallest count that a loop
//! over rows reaches and a pair of deliberate `get()` calls does not. Sentry's production
//! default is 5 with a 50 ms floor: use `--min-repeats 5 --min-total-ms 50` for sampled
//! production logs. Duplicates need [`Options::min_duplicates`] (default 3) executions.
//!
//! # Bad input
//!
//! Readers never panic and never stop: an entry that cannot be read (truncated, binary,
//! another format, a record over 64 MiB, an unterminated quote) is counted and reported with
//! its line ([`Analysis::skipped`]); invalid UTF-8 is read at byte level.

pub mod analysis;
mod detect_format;
mod digest;
mod event;
pub mod models;
pub mod readers;
pub mod record;
pub mod report;
pub mod scope;
pub mod source;
mod ts;

use rayon::prelude::*;

pub use analysis::{
    Analysis, Burst, DigestRow, DuplicateGroup, Fix, ScopeRef, ShapeRef, Timeline, TimelineEntry,
};
pub use detect_format::{detect, Format, UnknownFormat};
pub use readers::LogLinePrefix;
pub use record::{Record, RecordKind, Skipped};
pub use source::{Input, InputError, Limits};

use event::ChunkOut;
use readers::ReaderConfig;
use source::Chunker;

/// Entries of [`Analysis::skipped`] kept (all are counted).
pub const SKIPPED_KEPT: usize = 100;

/// Statements of the worst scope kept for the timeline.
pub const TIMELINE_MAX: usize = 500;

/// Bytes read for format detection.
const SAMPLE: usize = 64 << 10;

/// Settings of a run. [`Options::default`] gives the documented defaults.
#[derive(Clone, Debug)]
pub struct Options {
    /// The format of every input; detected per input when `None`.
    pub format: Option<Format>,
    /// PostgreSQL `log_line_prefix` (stderr logs); read generically when `None`.
    pub log_line_prefix: Option<String>,
    /// Executions of a shape in one scope that make a burst (default 3; at least 2).
    pub min_repeats: u32,
    /// Executions of one statement with the same parameters that make a duplicate (default
    /// 3; at least 2).
    pub min_duplicates: u32,
    /// Bursts and duplicates whose summed time in a scope is below this are ignored
    /// (milliseconds; default 0).
    pub min_total_ms: u64,
    /// Also report INSERT/UPDATE/DELETE repeated per row (default off).
    pub include_writes: bool,
    /// A connection idle for longer than this starts a new scope (milliseconds; default
    /// 1000; 0 disables), unless a trace id or an open transaction says otherwise.
    pub scope_gap_ms: u64,
    /// Keep the statements of the worst scope ([`Analysis::timeline`]; for HTML).
    pub timeline: bool,
    /// Chunking limits.
    pub limits: Limits,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            format: None,
            log_line_prefix: None,
            min_repeats: 3,
            min_duplicates: 3,
            min_total_ms: 0,
            include_writes: false,
            scope_gap_ms: 1000,
            timeline: false,
            limits: Limits::default(),
        }
    }
}

impl Options {
    pub(crate) fn detect_config(&self) -> querysight_detect::DetectConfig {
        querysight_detect::DetectConfig {
            threshold: self.min_repeats.max(2),
            duplicate_threshold: self.min_duplicates.max(2),
            min_total_duration_us: self.min_total_ms.saturating_mul(1000),
            include_writes: self.include_writes,
            ..querysight_detect::DetectConfig::DEVELOPMENT
        }
    }
}

/// Why a run failed (only I/O and format detection; bad entries are skipped, not errors).
#[derive(Debug, thiserror::Error)]
pub enum LogError {
    /// An input could not be opened or read.
    #[error(transparent)]
    Input(#[from] InputError),
    /// No known format was recognized in the input's first 64 KiB.
    #[error("{0}: cannot tell the log format from the first lines; use --format")]
    UnknownFormat(String),
}

/// Reads every input in order and analyses them together (a scope may continue from one file
/// to the next, as with rotated logs).
///
/// # Errors
/// An input that cannot be opened or read, or whose format cannot be detected. Entries that
/// cannot be read are never errors: they are in [`Analysis::skipped`].
pub fn analyze(inputs: &[Input], options: &Options) -> Result<Analysis, LogError> {
    let config = ReaderConfig {
        log_line_prefix: options.log_line_prefix.as_deref().map(LogLinePrefix::new),
    };
    let mut tracker = scope::Tracker::new(options);
    let mut first_format = None;
    for input in inputs {
        let name = input.name();
        let reader = source::open(input)?;
        let format = read_one(name, reader, options, &config, &mut tracker)?;
        first_format.get_or_insert(format);
    }
    Ok(tracker.finish(first_format.unwrap_or(Format::Django)))
}

/// The options the `readers` fuzz target (and its corpus replay test) derives from the
/// first byte of an input: `format`, and a chunk size of 1 to 497 bytes so that records
/// straddle chunk boundaries; records over 64 KiB are skipped.
pub fn fuzz_options(selector: u8, format: Format) -> Options {
    Options {
        format: Some(format),
        limits: Limits {
            chunk: 1 + usize::from(selector >> 3) * 16,
            max_record: 1 << 16,
        },
        ..Options::default()
    }
}

/// [`analyze`] of bytes in memory (named `-`). Never fails: an undetectable format is read
/// as Django's debug log (everything skipped).
pub fn analyze_bytes(bytes: &[u8], options: &Options) -> Analysis {
    let config = ReaderConfig {
        log_line_prefix: options.log_line_prefix.as_deref().map(LogLinePrefix::new),
    };
    let mut tracker = scope::Tracker::new(options);
    let reader: Box<dyn std::io::Read + Send> = Box::new(std::io::Cursor::new(bytes.to_vec()));
    let mut opts = options.clone();
    if opts.format.is_none() {
        opts.format = Some(
            detect(source::complete_lines(&bytes[..bytes.len().min(SAMPLE)]))
                .unwrap_or(Format::Django),
        );
    }
    let format =
        read_one("-".to_string(), reader, &opts, &config, &mut tracker).unwrap_or(Format::Django);
    tracker.finish(format)
}

/// Reads one input into `tracker`; returns its format.
fn read_one(
    name: String,
    reader: Box<dyn std::io::Read + Send>,
    options: &Options,
    config: &ReaderConfig,
    tracker: &mut scope::Tracker<'_>,
) -> Result<Format, LogError> {
    let in_flight = rayon::current_num_threads().max(1) * 2;
    {
        let io_err = |source| InputError {
            name: name.clone(),
            source,
        };
        let (sample, reader) = source::peek(reader, SAMPLE).map_err(io_err)?;
        let format = match options.format {
            Some(f) => f,
            None => match detect(source::complete_lines(&sample)) {
                Some(f) => f,
                None if sample.iter().all(u8::is_ascii_whitespace) => Format::Django,
                None => return Err(LogError::UnknownFormat(name)),
            },
        };
        tracker.begin_input(name.clone(), format);
        let mut chunker = Chunker::new(reader, format, options.limits);
        let mut lines = 0;
        // Three stages overlap: while the pool reads batch k, this thread consumes batch
        // k - 1 (in order) and then reads batch k + 1.
        let read_batch = |chunker: &mut Chunker<_>, tracker: &mut scope::Tracker<'_>| {
            let mut batch = Vec::with_capacity(in_flight);
            while batch.len() < in_flight {
                match chunker.next_chunk()? {
                    Some(c) => batch.push(c),
                    None => break,
                }
            }
            for (line, bytes) in chunker.take_oversized() {
                tracker.skip(
                    line,
                    format!(
                        "record of {bytes} bytes is over the {}-byte limit",
                        options.limits.max_record
                    ),
                );
            }
            Ok::<_, std::io::Error>(batch)
        };
        let mut current = read_batch(&mut chunker, tracker).map_err(io_err)?;
        let mut previous: Option<(Vec<source::Chunk>, Vec<ChunkOut>)> = None;
        while !current.is_empty() || previous.is_some() {
            let (next, outs) = rayon::join(
                || {
                    if let Some((chunks, outs)) = previous.take() {
                        for (chunk, out) in chunks.into_iter().zip(outs) {
                            lines = chunk.first_line - 1 + chunk.lines;
                            tracker.consume(out, chunk.first_line);
                            chunker.recycle(chunk.data);
                        }
                    }
                    if current.is_empty() {
                        Ok(Vec::new())
                    } else {
                        read_batch(&mut chunker, tracker)
                    }
                },
                || {
                    current
                        .par_iter()
                        .map(|chunk| {
                            let mut out = ChunkOut::default();
                            readers::read_chunk(format, &chunk.data, config, &mut out);
                            out
                        })
                        .collect::<Vec<ChunkOut>>()
                },
            );
            let next = next.map_err(io_err)?;
            previous = (!current.is_empty()).then(|| (std::mem::take(&mut current), outs));
            current = next;
        }
        tracker.add_size(chunker.bytes, lines);
        Ok(format)
    }
}
