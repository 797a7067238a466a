//! OpenTelemetry spans as JSON, one document per line: either an OTLP/JSON export request
//! (`{"resourceSpans":[{"scopeSpans":[{"spans":[...]}]}]}`, what the Collector's file
//! exporter writes) or one span object per line.
//!
//! A span is a query when its attributes (OTLP `[{"key":..,"value":{"stringValue":..}}]` or a
//! plain object) hold `db.query.text` (stable semantic conventions) or `db.statement`
//! (older). The duration is `endTimeUnixNano - startTimeUnixNano` (numbers or strings); the
//! scope is the `traceId`; `db.system` (`postgresql`, `mysql`, `sqlite`, ...) picks the SQL
//! dialect.

use std::borrow::Cow;

use querysight_sql::Dialect;
use serde_json::Value;

use super::{lines, Sink};
use crate::record::Record;

/// Reads a chunk of OTLP JSON lines.
pub fn read(chunk: &[u8], sink: &mut dyn Sink) {
    for (n, line) in lines(chunk) {
        if super::trim_start(line).is_empty() {
            continue;
        }
        let Ok(doc) = serde_json::from_slice::<Value>(line) else {
            sink.skip(n, "invalid JSON line");
            continue;
        };
        if let Some(resources) = doc.get("resourceSpans").and_then(Value::as_array) {
            for rs in resources {
                let scopes = rs
                    .get("scopeSpans")
                    .or_else(|| rs.get("instrumentationLibrarySpans"))
                    .and_then(Value::as_array);
                for ss in scopes.into_iter().flatten() {
                    for span in ss
                        .get("spans")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                    {
                        span_record(span, n, sink);
                    }
                }
            }
        } else {
            span_record(&doc, n, sink);
        }
    }
}

/// An attribute's string value from OTLP's list form or a plain object.
fn attribute<'v>(span: &'v Value, key: &str) -> Option<&'v str> {
    let attrs = span.get("attributes")?;
    match attrs {
        Value::Array(list) => list.iter().find_map(|a| {
            (a.get("key")?.as_str()? == key)
                .then(|| a.get("value"))
                .flatten()
                .and_then(|v| v.get("stringValue").or(Some(v)))
                .and_then(Value::as_str)
        }),
        Value::Object(map) => map.get(key).and_then(Value::as_str),
        _ => None,
    }
}

fn nanos(v: Option<&Value>) -> Option<u128> {
    match v? {
        Value::String(s) => s.parse().ok(),
        Value::Number(n) => n.as_u64().map(u128::from),
        _ => None,
    }
}

fn span_record(span: &Value, line: u64, sink: &mut dyn Sink) {
    let Some(sql) = attribute(span, "db.query.text").or_else(|| attribute(span, "db.statement"))
    else {
        return;
    };
    let dialect = match attribute(span, "db.system.name").or_else(|| attribute(span, "db.system")) {
        Some(s) if s.contains("mysql") || s.contains("mariadb") => Dialect::Mysql,
        Some(s) if s.contains("sqlite") => Dialect::Sqlite,
        _ => Dialect::Postgres,
    };
    let trace = span
        .get("traceId")
        .or_else(|| span.get("trace_id"))
        .and_then(Value::as_str)
        .unwrap_or("");
    let start = nanos(span.get("startTimeUnixNano"));
    let end = nanos(span.get("endTimeUnixNano"));
    let mut r = Record::query(sql.as_bytes(), line, dialect);
    r.trace = Cow::Borrowed(trace.as_bytes());
    r.conn = Cow::Borrowed(trace.as_bytes());
    if let (Some(s), Some(e)) = (start, end) {
        r.duration_us = u64::try_from(e.saturating_sub(s) / 1000).ok();
    }
    r.ts_us = start.and_then(|s| i64::try_from(s / 1000).ok());
    sink.record(r);
}
