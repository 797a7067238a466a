//! Records normalized into compact events: what the sequential phase (scopes, digest) needs,
//! and nothing borrowed. Runs in parallel, one [`ChunkOut`] per chunk.

use querysight_sql::{normalize, params_hash};
use rustc_hash::FxHashMap;
use xxhash_rust::xxh3::{xxh3_64, Xxh3};

use crate::readers::Sink;
use crate::record::{Record, RecordKind};

/// What a statement does, for scopes and detection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Select,
    Write,
    /// `BEGIN`, `START TRANSACTION`, MySQL `SET autocommit = 0`.
    Begin,
    /// `COMMIT`, `ROLLBACK`, `END`.
    End,
    Other,
}

/// One normalized entry.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Event {
    pub fingerprint: u64,
    pub params_hash: u64,
    /// Microseconds; meaningful when `has_duration`.
    pub duration_us: u64,
    pub has_duration: bool,
    /// Unix microseconds, or `i64::MIN` when unknown.
    pub ts_us: i64,
    /// 1-based line, relative to the chunk until the pipeline makes it absolute.
    pub line: u64,
    /// Hash of the connection key (0: unknown).
    pub conn: u64,
    /// Hash of the unit-of-work id: the log's own (OpenTelemetry trace, capture `scope`) or
    /// sqlcommenter `traceparent`'s trace id (0: none).
    pub trace: u64,
    /// Hash of sqlcommenter `route` + `controller` (0: none).
    pub route: u64,
    /// Hash of the capture format's `call_site`, folded to 32 bits (0: unknown).
    pub call_site: u32,
    pub kind: Kind,
    pub control: RecordKind,
    pub truncated: bool,
}

/// What normalization says about one SQL text (cached by the text's hash).
#[derive(Clone, Copy, Debug)]
struct SqlFacts {
    fingerprint: u64,
    literals_hash: u64,
    kind: Kind,
    truncated: bool,
    trace: u64,
    route: u64,
}

/// A query shape as first seen in a chunk.
#[derive(Clone, Debug)]
pub(crate) struct ShapeSeen {
    /// Canonical text (querysight_sql).
    pub text: String,
    /// The statement as logged (at most [`EXAMPLE_MAX`] bytes).
    pub example: String,
}

/// Longest example kept per shape, in bytes.
pub(crate) const EXAMPLE_MAX: usize = 2000;

/// Distinct SQL texts remembered per chunk before the cache is cleared.
const CACHE_MAX: usize = 50_000;

/// Everything one chunk produced.
#[derive(Debug, Default)]
pub(crate) struct ChunkOut {
    pub events: Vec<Event>,
    pub shapes: FxHashMap<u64, ShapeSeen>,
    /// Hash → printable label of connection, trace and route keys.
    pub labels: FxHashMap<u64, String>,
    pub skipped: Vec<(u64, String)>,
    cache: FxHashMap<u64, SqlFacts>,
}

fn key_hash(bytes: &[u8]) -> u64 {
    if bytes.is_empty() {
        0
    } else {
        xxh3_64(bytes) | 1
    }
}

impl ChunkOut {
    fn label(&mut self, hash: u64, prefix: &str, value: &[u8]) {
        if hash != 0 && !self.labels.contains_key(&hash) {
            let mut s = String::with_capacity(prefix.len() + value.len());
            s.push_str(prefix);
            s.push_str(&String::from_utf8_lossy(&value[..value.len().min(200)]));
            self.labels.insert(hash, s);
        }
    }

    fn facts(&mut self, record: &Record<'_>) -> SqlFacts {
        let raw_hash = xxh3_64(&record.sql) ^ (record.dialect as u64);
        if let Some(f) = self.cache.get(&raw_hash) {
            return *f;
        }
        let all = normalize(&record.sql, record.dialect);
        // Log entries hold one statement; when they hold several, the first names the shape.
        let n = all.iter().find(|n| !n.text.is_empty()).unwrap_or(&all[0]);
        let mut lit = Xxh3::new();
        for l in &n.literals {
            lit.update(l.as_bytes());
            lit.update(&[0]);
        }
        let kind = kind_of(&n.text, &n.literals);
        let mut trace = 0;
        let mut route_parts: Vec<&str> = Vec::new();
        for (k, v) in &n.comment_tags {
            match k.as_str() {
                "traceparent" => {
                    // version-traceid-spanid-flags
                    let id = v.split('-').nth(1).unwrap_or(v);
                    trace = key_hash(id.as_bytes());
                    self.label(trace, "trace ", id.as_bytes());
                }
                "route" | "controller" => route_parts.push(v),
                _ => {}
            }
        }
        let route = if route_parts.is_empty() {
            0
        } else {
            let joined = route_parts.join(" ");
            let h = key_hash(joined.as_bytes());
            self.label(h, "", joined.as_bytes());
            h
        };
        let facts = SqlFacts {
            fingerprint: n.fingerprint,
            literals_hash: lit.digest(),
            kind,
            truncated: n.truncated,
            trace,
            route,
        };
        if !self.shapes.contains_key(&n.fingerprint) {
            let example = String::from_utf8_lossy(
                &record.sql[..floor_char(&record.sql, EXAMPLE_MAX)],
            )
            .trim()
            .to_string();
            self.shapes.insert(
                n.fingerprint,
                ShapeSeen {
                    text: n.text.clone(),
                    example,
                },
            );
        }
        if self.cache.len() >= CACHE_MAX {
            self.cache.clear();
        }
        self.cache.insert(raw_hash, facts);
        facts
    }
}

/// `max` or less, not inside a UTF-8 sequence.
fn floor_char(s: &[u8], max: usize) -> usize {
    let mut end = s.len().min(max);
    while end > 0 && end < s.len() && (s[end] & 0xC0) == 0x80 {
        end -= 1;
    }
    end
}

fn kind_of(text: &str, literals: &[String]) -> Kind {
    let first = text.split([' ', '(']).next().unwrap_or("");
    match first {
        "select" | "with" | "values" | "table" | "show" => Kind::Select,
        "insert" | "update" | "delete" | "replace" | "merge" => Kind::Write,
        "begin" | "start" => Kind::Begin,
        "commit" | "rollback" | "end" => {
            if text.starts_with("rollback to") {
                Kind::Other
            } else {
                Kind::End
            }
        }
        "set" if text.starts_with("set autocommit") => {
            // Django on MySQL opens a transaction with `SET AUTOCOMMIT = 0` and leaves it
            // with `SET AUTOCOMMIT = 1` after COMMIT.
            if literals.first().is_some_and(|l| l == "0" || l.eq_ignore_ascii_case("off")) {
                Kind::Begin
            } else {
                Kind::Other
            }
        }
        _ => Kind::Other,
    }
}

impl Sink for ChunkOut {
    fn record(&mut self, record: Record<'_>) {
        let conn = key_hash(&record.conn);
        self.label(conn, "", &record.conn);
        let mut event = Event {
            fingerprint: 0,
            params_hash: 0,
            duration_us: record.duration_us.unwrap_or(0),
            has_duration: record.duration_us.is_some(),
            ts_us: record.ts_us.unwrap_or(i64::MIN),
            line: record.line,
            conn,
            trace: 0,
            route: 0,
            call_site: 0,
            kind: Kind::Other,
            control: record.kind,
            truncated: false,
        };
        if record.kind == RecordKind::Query {
            let f = self.facts(&record);
            event.fingerprint = f.fingerprint;
            event.params_hash = match &record.params {
                Some(p) => f.literals_hash ^ params_hash(p).rotate_left(1),
                None => f.literals_hash,
            };
            event.kind = f.kind;
            event.truncated = f.truncated;
            event.trace = f.trace;
            event.route = f.route;
            if !record.trace.is_empty() {
                event.trace = key_hash(&record.trace);
                self.label(event.trace, "trace ", &record.trace);
            }
            if !record.call_site.is_empty() {
                let h = key_hash(&record.call_site);
                event.call_site = ((h >> 32) as u32 ^ h as u32) | 1;
            }
        }
        self.events.push(event);
    }

    fn skip(&mut self, line: u64, reason: &str) {
        self.skipped.push((line, reason.to_string()));
    }
}
