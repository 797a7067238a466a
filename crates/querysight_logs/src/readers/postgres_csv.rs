//! PostgreSQL csvlog (`log_destination = 'csvlog'`).
//!
//! One CSV row per message; quoted fields may hold newlines (`""` escapes a quote). Columns
//! (1-based, PostgreSQL 13–17): 1 `log_time`, 4 `process_id`, 6 `session_id`, 12
//! `error_severity`, 14 `message`, 15 `detail` (bound parameters arrive here, in the same
//! row). Messages are read as in [`pg_message`](super::pg_message). The connection is the
//! session id.

use std::borrow::Cow;

use querysight_sql::Dialect;

use super::pg_message::{self, Message};
use super::Sink;
use crate::record::{Record, RecordKind};

/// A row may start at a line that begins with a `YYYY-MM-DD HH:MM:SS` time.
pub fn is_boundary(line: &[u8]) -> bool {
    line.len() >= 19
        && line[..4].iter().all(u8::is_ascii_digit)
        && line[4] == b'-'
        && line[10] == b' '
        && line[13] == b':'
}

/// Splits one CSV row starting at `pos`: fields and the position after the row. Quoted
/// fields are unescaped. An unterminated quote runs to the end of the chunk and is reported
/// as `Err(next)`.
fn row<'a>(
    chunk: &'a [u8],
    mut pos: usize,
    fields: &mut Vec<Cow<'a, [u8]>>,
) -> Result<usize, usize> {
    fields.clear();
    loop {
        if chunk.get(pos) == Some(&b'"') {
            let start = pos + 1;
            let mut i = start;
            let mut owned: Option<Vec<u8>> = None;
            loop {
                let Some(q) = memchr::memchr(b'"', &chunk[i..]) else {
                    return Err(chunk.len());
                };
                let q = i + q;
                if chunk.get(q + 1) == Some(&b'"') {
                    owned
                        .get_or_insert_with(Vec::new)
                        .extend_from_slice(&chunk[i..=q]);
                    i = q + 2;
                    continue;
                }
                let value = match owned {
                    Some(mut v) => {
                        v.extend_from_slice(&chunk[i..q]);
                        Cow::Owned(v)
                    }
                    None => Cow::Borrowed(&chunk[start..q]),
                };
                fields.push(value);
                pos = q + 1;
                break;
            }
        } else {
            let end = memchr::memchr2(b',', b'\n', &chunk[pos..]).map_or(chunk.len(), |i| pos + i);
            fields.push(Cow::Borrowed(&chunk[pos..end]));
            pos = end;
        }
        match chunk.get(pos) {
            Some(b',') => pos += 1,
            Some(b'\r') if chunk.get(pos + 1) == Some(&b'\n') => return Ok(pos + 2),
            Some(b'\n') => return Ok(pos + 1),
            None => return Ok(pos),
            Some(_) => {
                // Text after a closing quote: malformed; skip to the end of the line.
                let end = memchr::memchr(b'\n', &chunk[pos..]).map_or(chunk.len(), |i| pos + i + 1);
                return Err(end);
            }
        }
    }
}

/// Reads a chunk of a csvlog.
pub fn read(chunk: &[u8], sink: &mut dyn Sink) {
    let mut pos = 0;
    let mut line = 1_u64;
    let mut fields = Vec::with_capacity(26);
    while pos < chunk.len() {
        let start = pos;
        let result = row(chunk, pos, &mut fields);
        let next = match result {
            Ok(n) | Err(n) => n,
        };
        let next = next.max(pos + 1).min(chunk.len());
        let lines_in_row = memchr::memchr_iter(b'\n', &chunk[start..next]).count() as u64;
        if result.is_err() {
            sink.skip(line, "malformed csvlog row (unterminated quote?)");
        } else if fields.len() >= 14 {
            handle(&fields, line, sink);
        } else if !chunk[start..next].iter().all(u8::is_ascii_whitespace) {
            sink.skip(line, "csvlog row with fewer than 14 fields");
        }
        line += lines_in_row;
        pos = next;
    }
}

fn handle(fields: &[Cow<'_, [u8]>], line: u64, sink: &mut dyn Sink) {
    if fields[11].as_ref() != b"LOG" {
        return;
    }
    let conn: &[u8] = if fields[5].is_empty() {
        &fields[3]
    } else {
        &fields[5]
    };
    let ts = crate::ts::parse_iso(&fields[0]);
    match pg_message::parse(&fields[13]) {
        Message::Statement { duration_us, sql } => {
            let mut r = Record::query(sql, line, Dialect::Postgres);
            r.duration_us = duration_us;
            r.conn = Cow::Borrowed(conn);
            r.ts_us = ts;
            r.params = fields
                .get(14)
                .and_then(|d| pg_message::parameters(d))
                .map(Cow::Borrowed);
            sink.record(r);
        }
        Message::DurationOnly(us) => {
            let mut r = Record::control(RecordKind::DurationOnly, conn, line);
            r.duration_us = Some(us);
            sink.record(r);
        }
        Message::Disconnection => sink.record(Record::control(RecordKind::EndSession, conn, line)),
        Message::Other => {}
    }
}

/// A csvlog row rather than a stderr line: the time is followed by a comma.
pub(crate) fn is_boundary_csv_like(line: &[u8]) -> bool {
    is_boundary(line) && memchr::memchr(b',', &line[..line.len().min(40)]).is_some_and(|i| i > 19)
}
