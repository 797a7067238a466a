//! querysight's capture format: JSON Lines, one executed statement per line. See the crate
//! documentation ("The capture format") for the fields.

use std::borrow::Cow;

use querysight_sql::Dialect;
use serde::Deserialize;
use serde_json::Value;

use super::{lines, Sink};
use crate::record::Record;

#[derive(Deserialize)]
struct Line<'a> {
    #[serde(borrow)]
    sql: Cow<'a, str>,
    #[serde(default)]
    params: Option<Box<serde_json::value::RawValue>>,
    #[serde(default)]
    duration_us: Option<f64>,
    #[serde(borrow, default)]
    scope: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    call_site: Option<Cow<'a, str>>,
    #[serde(default)]
    ts: Option<Value>,
    #[serde(borrow, default)]
    vendor: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    alias: Option<Cow<'a, str>>,
}

/// Reads a chunk of the capture format.
pub fn read(chunk: &[u8], sink: &mut dyn Sink) {
    for (n, line) in lines(chunk) {
        if super::trim_start(line).is_empty() {
            continue;
        }
        let e: Line<'_> = match serde_json::from_slice(line) {
            Ok(e) => e,
            Err(err) => {
                sink.skip(n, &format!("invalid capture line: {err}"));
                continue;
            }
        };
        let dialect = e
            .vendor
            .as_deref()
            .and_then(|v| v.parse::<Dialect>().ok())
            .unwrap_or(Dialect::Postgres);
        let mut r = Record::query(e.sql.as_bytes(), n, dialect);
        r.params = e
            .params
            .as_ref()
            .map(|p| p.get())
            .filter(|p| *p != "null")
            .map(|p| Cow::Owned(p.as_bytes().to_vec()));
        r.duration_us = e
            .duration_us
            .filter(|d| d.is_finite() && *d >= 0.0)
            .map(|d| d as u64);
        let scope = e.scope.as_deref().unwrap_or("");
        r.trace = Cow::Owned(scope.as_bytes().to_vec());
        let mut conn = e.alias.as_deref().unwrap_or("default").as_bytes().to_vec();
        conn.push(b' ');
        conn.extend_from_slice(scope.as_bytes());
        r.conn = Cow::Owned(conn);
        r.call_site = Cow::Owned(e.call_site.as_deref().unwrap_or("").as_bytes().to_vec());
        r.ts_us = e.ts.as_ref().and_then(crate::ts::from_json);
        sink.record(r);
    }
}
