//! MySQL and MariaDB slow query log (`slow_query_log = ON`; `long_query_time = 0` logs
//! everything).
//!
//! An entry is a header of `# ` lines — `# Time:`, `# User@Host: ... Id: N` (MySQL),
//! `# Thread_id: N` (MariaDB), `# Query_time: <seconds> ...` — then `use db;` and
//! `SET timestamp=<unix seconds>;` lines and the statement, ending with `;`. The connection
//! is the thread id; the duration is `Query_time`.

use std::borrow::Cow;

use querysight_sql::Dialect;

use super::{lines, parse_decimal, trim_end, trim_start, Sink};
use crate::record::Record;

#[derive(Default)]
struct Entry {
    line: u64,
    thread: Vec<u8>,
    duration_us: Option<u64>,
    ts_us: Option<i64>,
    sql: Vec<u8>,
    started: bool,
}

fn value_after<'a>(line: &'a [u8], key: &[u8]) -> Option<&'a [u8]> {
    let at = memchr::memmem::find(line, key)? + key.len();
    let rest = trim_start(&line[at..]);
    let end = rest
        .iter()
        .position(|b| b.is_ascii_whitespace())
        .unwrap_or(rest.len());
    Some(&rest[..end])
}

/// Reads a chunk of a slow log.
pub fn read(chunk: &[u8], sink: &mut dyn Sink) {
    let mut entry: Option<Entry> = None;
    let mut in_header = false;
    for (n, line) in lines(chunk) {
        if let Some(h) = line.strip_prefix(b"# ") {
            if !in_header {
                flush(entry.take(), sink);
                entry = Some(Entry {
                    line: n,
                    ..Entry::default()
                });
                in_header = true;
            }
            let Some(e) = &mut entry else { continue };
            if h.starts_with(b"Time:") {
                let t = trim_start(&h[5..]);
                e.ts_us =
                    crate::ts::parse_iso(t).or_else(|| crate::ts::parse_yymmdd(t).map(|x| x.0));
            }
            if let Some(id) = value_after(h, b"Thread_id:").or_else(|| value_after(h, b" Id:")) {
                e.thread = id.to_vec();
            }
            if let Some(q) = value_after(h, b"Query_time:") {
                e.duration_us = parse_decimal(q, 1_000_000);
            }
            continue;
        }
        if line == b"#" {
            continue;
        }
        in_header = false;
        let Some(e) = &mut entry else { continue };
        if !e.started {
            let lower = line.to_ascii_lowercase();
            if lower.starts_with(b"set timestamp=") {
                let v = trim_end(&line[14..]);
                let v = v.strip_suffix(b";").unwrap_or(v);
                if let Some(s) = parse_decimal(v, 1_000_000) {
                    e.ts_us = i64::try_from(s).ok();
                }
                continue;
            }
            if lower.starts_with(b"use ") && lower.ends_with(b";") {
                continue;
            }
            e.started = true;
        } else {
            e.sql.push(b'\n');
        }
        e.sql.extend_from_slice(line);
    }
    flush(entry, sink);
}

fn flush(entry: Option<Entry>, sink: &mut dyn Sink) {
    let Some(e) = entry else { return };
    if !e.started {
        return;
    }
    let sql = trim_end(&e.sql);
    let sql = sql.strip_suffix(b";").unwrap_or(sql);
    let mut r = Record::query(sql, e.line, Dialect::Mysql);
    r.conn = Cow::Owned(e.thread);
    r.duration_us = e.duration_us;
    r.ts_us = e.ts_us;
    sink.record(r);
}
