//! PostgreSQL jsonlog (`log_destination = 'jsonlog'`, PostgreSQL 15+): one object per line
//! with `timestamp`, `pid`, `session_id`, `error_severity`, `message`, `detail`, ...
//! Messages are read as in [`pg_message`](super::pg_message); bound parameters come in
//! `detail` of the same object. The connection is `session_id`, else `pid`.

use std::borrow::Cow;

use querysight_sql::Dialect;
use serde::Deserialize;

use super::pg_message::{self, Message};
use super::{lines, Sink};
use crate::record::{Record, RecordKind};

#[derive(Deserialize)]
struct Entry<'a> {
    #[serde(borrow, default)]
    timestamp: Option<Cow<'a, str>>,
    #[serde(default)]
    pid: Option<u64>,
    #[serde(borrow, default)]
    session_id: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    error_severity: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    message: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    detail: Option<Cow<'a, str>>,
}

/// Reads a chunk of a jsonlog.
pub fn read(chunk: &[u8], sink: &mut dyn Sink) {
    for (n, line) in lines(chunk) {
        if super::trim_start(line).is_empty() {
            continue;
        }
        let Ok(e) = serde_json::from_slice::<Entry<'_>>(line) else {
            sink.skip(n, "invalid jsonlog line");
            continue;
        };
        if e.error_severity.as_deref() != Some("LOG") {
            continue;
        }
        let pid = e.pid.map(|p| p.to_string());
        let conn: &[u8] = match (&e.session_id, &pid) {
            (Some(s), _) if !s.is_empty() => s.as_bytes(),
            (_, Some(p)) => p.as_bytes(),
            _ => b"",
        };
        let msg = e.message.as_deref().unwrap_or("");
        match pg_message::parse(msg.as_bytes()) {
            Message::Statement { duration_us, sql } => {
                let mut r = Record::query(sql, n, Dialect::Postgres);
                r.duration_us = duration_us;
                r.conn = Cow::Borrowed(conn);
                r.ts_us = e
                    .timestamp
                    .as_deref()
                    .and_then(|t| crate::ts::parse_iso(t.as_bytes()));
                r.params = e
                    .detail
                    .as_deref()
                    .and_then(|d| pg_message::parameters(d.as_bytes()))
                    .map(Cow::Borrowed);
                sink.record(r);
            }
            Message::DurationOnly(us) => {
                let mut r = Record::control(RecordKind::DurationOnly, conn, n);
                r.duration_us = Some(us);
                sink.record(r);
            }
            Message::Disconnection => sink.record(Record::control(RecordKind::EndSession, conn, n)),
            Message::Other => {}
        }
    }
}
