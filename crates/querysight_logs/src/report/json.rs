//! JSON report.
//!
//! One object: `format`, `inputs`, `bytes`, `lines`, `statements`, `scopes`,
//! `has_durations`, `bursts` (each: `fingerprint` as 16 hex digits, `query` canonical text,
//! `example`, `source` `{fingerprint, query}` or null, `scopes`, `queries`, `total_us`,
//! `worst` scope, `fix` `{relation, call, model}` or null), `duplicates` (`fingerprint`,
//! `query`, `scopes`, `executions`, `total_us`, `worst`), `digest` (`fingerprint`, `query`,
//! `example`, `count`, `total_us`, `mean_us`, `p95_us`, `max_us`, `first_file`,
//! `first_line`), `skipped` (`file`, `line`, `reason`; the first 100), `skipped_count`,
//! `dropped_events`. A scope is `{label, file, first_line, last_line, count,
//! distinct_params, total_us}`. Durations are integer microseconds.

use serde_json::{json, Value};

use crate::analysis::{Analysis, ScopeRef, ShapeRef};

fn fp(f: u64) -> String {
    format!("{f:016x}")
}

fn scope(s: &ScopeRef) -> Value {
    json!({
        "label": s.label,
        "file": s.file,
        "first_line": s.first_line,
        "last_line": s.last_line,
        "count": s.count,
        "distinct_params": s.distinct_params,
        "total_us": s.total_us,
    })
}

fn shape(s: &ShapeRef) -> Value {
    json!({"fingerprint": fp(s.fingerprint), "query": s.text})
}

/// The report as a JSON value.
pub fn to_value(a: &Analysis) -> Value {
    json!({
        "format": a.format.name(),
        "inputs": a.inputs,
        "bytes": a.bytes,
        "lines": a.lines,
        "statements": a.statements,
        "scopes": a.scopes,
        "has_durations": a.has_durations,
        "bursts": a.bursts.iter().map(|b| json!({
            "fingerprint": fp(b.shape.fingerprint),
            "query": b.shape.text,
            "example": b.example,
            "source": b.source.as_ref().map(shape),
            "scopes": b.scopes,
            "queries": b.queries,
            "total_us": b.total_us,
            "worst": scope(&b.worst),
            "fix": b.fix.as_ref().map(|f| json!({"relation": f.relation, "call": f.call, "model": f.model})),
        })).collect::<Vec<_>>(),
        "duplicates": a.duplicates.iter().map(|d| json!({
            "fingerprint": fp(d.shape.fingerprint),
            "query": d.shape.text,
            "scopes": d.scopes,
            "executions": d.executions,
            "total_us": d.total_us,
            "worst": scope(&d.worst),
        })).collect::<Vec<_>>(),
        "digest": a.digest.iter().map(|d| json!({
            "fingerprint": fp(d.shape.fingerprint),
            "query": d.shape.text,
            "example": d.example,
            "count": d.count,
            "total_us": d.total_us,
            "mean_us": d.mean_us,
            "p95_us": d.p95_us,
            "max_us": d.max_us,
            "first_file": d.first_file,
            "first_line": d.first_line,
        })).collect::<Vec<_>>(),
        "skipped": a.skipped.iter().map(|s| json!({"file": s.file, "line": s.line, "reason": s.reason})).collect::<Vec<_>>(),
        "skipped_count": a.skipped_count,
        "dropped_events": a.dropped_events,
    })
}

/// The report as pretty-printed JSON text.
pub fn render(a: &Analysis) -> String {
    serde_json::to_string_pretty(&to_value(a)).unwrap_or_default()
}
