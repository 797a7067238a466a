//! PostgreSQL's stderr log (`log_destination = 'stderr'`, also what `logging_collector`
//! writes to `log/*.log`).
//!
//! Each line is `log_line_prefix`, a severity (`LOG:  `, `DETAIL:  `, ...) and a message;
//! continuation lines of a multi-line statement start with a TAB. Statements are the
//! messages of [`pg_message`](super::pg_message); a `DETAIL:  parameters: ...` line right
//! after a counted statement of the same session gives its bound parameters. With
//! `--log-line-prefix`, the prefix is matched exactly; without it, prefixes are read
//! generically ([`prefix::generic`](super::prefix::generic)): timestamp, `[pid]` and a `%c`
//! session id are found in any of the common defaults (`'%m [%p] '`, Debian's
//! `'%m [%p] %q%u@%d '`, pgBadger's `'%t [%p]: [%l-1] user=%u,db=%d,app=%a,client=%h '`).
//! Messages must be in English (`lc_messages = 'C'`).
//!
//! The connection is the session id (`%c`) when the prefix has it, else the pid (`%p`).

use std::borrow::Cow;

use querysight_sql::Dialect;

use super::pg_message::{self, Message};
use super::prefix::{self, LogLinePrefix, PrefixFields};
use super::{lines, Sink};
use crate::record::{Record, RecordKind};

/// A statement waiting for continuation lines and its `DETAIL`.
struct Pending<'a> {
    record: Record<'a>,
    /// The record accepts continuation lines into: 0 the SQL, 1 the parameters.
    into_params: bool,
}

fn split<'a>(
    line: &'a [u8],
    prefix: Option<&LogLinePrefix>,
) -> Option<(PrefixFields<'a>, &'a [u8])> {
    match prefix {
        Some(p) => p.match_line(line),
        None => prefix::generic(line),
    }
}

/// Whether a record can start at `line`: a prefixed line whose severity is not one that
/// continues the previous message (`DETAIL`, `HINT`, `CONTEXT`, `STATEMENT`, `QUERY`).
pub fn is_boundary(line: &[u8]) -> bool {
    if line.first().is_some_and(|b| *b == b'\t' || *b == b' ') {
        return false;
    }
    match prefix::generic(line) {
        Some((_, rest)) => {
            !(rest.starts_with(b"DETAIL")
                || rest.starts_with(b"HINT")
                || rest.starts_with(b"CONTEXT")
                || rest.starts_with(b"STATEMENT")
                || rest.starts_with(b"QUERY")
                || rest.starts_with(b"LOCATION"))
        }
        None => false,
    }
}

/// Reads a chunk of a stderr log.
pub fn read(chunk: &[u8], prefix: Option<&LogLinePrefix>, sink: &mut dyn Sink) {
    let mut pending: Option<Pending<'_>> = None;
    for (n, line) in lines(chunk) {
        if let Some(rest) = line.strip_prefix(b"\t") {
            if let Some(p) = &mut pending {
                let target = if p.into_params {
                    p.record.params.get_or_insert_with(Cow::default).to_mut()
                } else {
                    p.record.sql.to_mut()
                };
                target.push(b'\n');
                target.extend_from_slice(rest);
            }
            continue;
        }
        if line.is_empty() {
            continue;
        }
        let Some((fields, rest)) = split(line, prefix) else {
            flush(&mut pending, sink);
            sink.skip(
                n,
                "unrecognized PostgreSQL log line (check --log-line-prefix)",
            );
            continue;
        };
        let sev_len = prefix::severity_len(rest).unwrap_or(0);
        let (severity, msg) = (&rest[..sev_len], &rest[(sev_len + 3).min(rest.len())..]);
        if severity == b"DETAIL" {
            if let Some(p) = &mut pending {
                if p.record.conn.as_ref() == fields.conn() && p.record.params.is_none() {
                    if let Some(params) = pg_message::parameters(msg) {
                        p.record.params = Some(Cow::Borrowed(params));
                        p.into_params = true;
                        continue;
                    }
                }
            }
            flush(&mut pending, sink);
            continue;
        }
        flush(&mut pending, sink);
        if severity != b"LOG" {
            continue;
        }
        match pg_message::parse(msg) {
            Message::Statement { duration_us, sql } => {
                let mut record = Record::query(sql, n, Dialect::Postgres);
                record.duration_us = duration_us;
                record.conn = Cow::Borrowed(fields.conn());
                record.ts_us = fields.ts_us;
                pending = Some(Pending {
                    record,
                    into_params: false,
                });
            }
            Message::DurationOnly(us) => {
                let mut r = Record::control(RecordKind::DurationOnly, fields.conn(), n);
                r.duration_us = Some(us);
                r.ts_us = fields.ts_us;
                sink.record(r);
            }
            Message::Disconnection => {
                sink.record(Record::control(RecordKind::EndSession, fields.conn(), n));
            }
            Message::Other => {}
        }
    }
    flush(&mut pending, sink);
}

fn flush(pending: &mut Option<Pending<'_>>, sink: &mut dyn Sink) {
    if let Some(p) = pending.take() {
        sink.record(p.record);
    }
}
