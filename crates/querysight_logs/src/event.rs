//! Records normalized into compact events: what the sequential phase (scopes, digest) needs,
//! and nothing borrowed. Runs in parallel, one [`ChunkOut`] per chunk.

use querysight_sql::{fingerprint, normalize, params_hash, Dialect};
use rustc_hash::FxHashMap;
use xxhash_rust::xxh3::xxh3_64;

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

/// What a shape's canonical text says (computed once per fingerprint and chunk).
#[derive(Clone, Copy, Debug)]
struct ShapeFacts {
    kind: Kind,
    truncated: bool,
    /// The kind depends on a literal (`SET autocommit = 0` / `= 1`): read each statement.
    per_statement: bool,
}

/// The sqlcommenter tags of a trailing comment (cached by the comment's hash).
#[derive(Clone, Copy, Debug)]
struct Tags {
    /// The comment is sqlcommenter tags (otherwise the SQL is read whole).
    valid: bool,
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

/// Shapes and comments remembered per chunk before the caches are cleared.
const CACHE_MAX: usize = 50_000;

/// Everything one chunk produced.
#[derive(Debug, Default)]
pub(crate) struct ChunkOut {
    pub events: Vec<Event>,
    pub shapes: FxHashMap<u64, ShapeSeen>,
    /// Hash → printable label of connection, trace and route keys.
    pub labels: FxHashMap<u64, String>,
    pub skipped: Vec<(u64, String)>,
    shape_facts: FxHashMap<u64, ShapeFacts>,
    tags: FxHashMap<u64, Tags>,
    /// [`skeleton_hash`] of a statement → its fingerprint.
    skeletons: FxHashMap<u64, u64>,
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

    /// The tags of a trailing sqlcommenter comment (`comment` is `/*...*/`), read with
    /// querysight_sql and cached: every statement of a request carries the same comment.
    fn tags(&mut self, comment: &[u8], dialect: Dialect) -> Tags {
        let key = xxh3_64(comment);
        if let Some(t) = self.tags.get(&key) {
            return *t;
        }
        let n = normalize(comment, dialect);
        let tags = &n[0].comment_tags;
        let mut t = Tags {
            valid: !tags.is_empty() && n[0].text.is_empty() && !n[0].truncated,
            trace: 0,
            route: 0,
        };
        let mut route_parts: Vec<&str> = Vec::new();
        for (k, v) in tags {
            match k.as_str() {
                "traceparent" => {
                    // version-traceid-spanid-flags
                    let id = v.split('-').nth(1).unwrap_or(v);
                    t.trace = key_hash(id.as_bytes());
                    self.label(t.trace, "trace ", id.as_bytes());
                }
                "route" | "controller" => route_parts.push(v),
                _ => {}
            }
        }
        if !route_parts.is_empty() {
            let joined = route_parts.join(" ");
            t.route = key_hash(joined.as_bytes());
            self.label(t.route, "", joined.as_bytes());
        }
        if self.tags.len() >= CACHE_MAX {
            self.tags.clear();
        }
        self.tags.insert(key, t);
        t
    }

    /// Fingerprint, kind and truncation of a statement, and facts of its shape.
    ///
    /// The fingerprint is querysight_sql's, of the statement without its trailing
    /// sqlcommenter comment (tags are not part of the canonical text, so it is the
    /// statement's fingerprint). The canonical text is computed once per shape.
    fn shape_of(&mut self, body: &[u8], dialect: Dialect) -> (u64, ShapeFacts) {
        let skeleton = skeleton_hash(body) ^ (dialect as u64);
        let fp = match self.skeletons.get(&skeleton) {
            Some(fp) => *fp,
            None => {
                let fp = fingerprint(body, dialect);
                if self.skeletons.len() >= CACHE_MAX {
                    self.skeletons.clear();
                }
                self.skeletons.insert(skeleton, fp);
                fp
            }
        };
        if let Some(f) = self.shape_facts.get(&fp) {
            if !f.per_statement {
                return (fp, *f);
            }
        }
        let all = normalize(body, dialect);
        // Log entries hold one statement; when they hold several, the first names the shape.
        let n = &all[0];
        let per_statement = n.text.starts_with("set autocommit");
        let facts = ShapeFacts {
            kind: kind_of(&n.text, &n.literals),
            truncated: n.truncated,
            per_statement,
        };
        self.shapes.entry(fp).or_insert_with(|| ShapeSeen {
            text: n.text.clone(),
            example: String::from_utf8_lossy(&body[..floor_char(body, EXAMPLE_MAX)])
                .trim()
                .to_string(),
        });
        if self.shape_facts.len() >= CACHE_MAX {
            self.shape_facts.clear();
        }
        self.shape_facts.insert(fp, facts);
        (fp, facts)
    }
}

/// A hash of `sql` without its free-standing numbers: a cache key for the fingerprint, so that
/// `... WHERE id = 4` and `... WHERE id = 5` are normalized once.
///
/// A digit run is left out when it starts a token (not after a letter, digit, `_`, `$`-less
/// name character or `.`) outside double-quoted and backtick-quoted names; with its fraction
/// and exponent digits. Two statements with the same skeleton differ only in numeric
/// literals (inside strings too, which are literals anyway), and numeric literals are `?` in
/// the canonical text (rule 6 of `sql-fingerprint.md`), so they have the same fingerprint.
/// Placeholders `$1`/`:1` lose their number too (they are `?` as well). Anything unusual
/// (a backslash-escaped quote, an unterminated name) only makes the key more specific or
/// keeps digits: a cache miss, never a wrong hit, except for a double-quoted name
/// opened inside a MySQL backslash-escaped string, which no ORM writes.
fn skeleton_hash(sql: &[u8]) -> u64 {
    let mut h = xxhash_rust::xxh3::Xxh3::new();
    let mut start = 0;
    let mut i = 0;
    let mut quote: u8 = 0;
    while i < sql.len() {
        let b = sql[i];
        if quote != 0 {
            if b == quote {
                quote = 0;
            }
            i += 1;
            continue;
        }
        match b {
            b'"' | b'`' => {
                quote = b;
                i += 1;
            }
            b'0'..=b'9'
                if i == 0
                    || !(sql[i - 1].is_ascii_alphanumeric()
                        || matches!(sql[i - 1], b'_' | b'.' | b'@' | b'#')
                        || sql[i - 1] >= 0x80) =>
            {
                h.update(&sql[start..i]);
                while i < sql.len() && (sql[i].is_ascii_digit() || sql[i] == b'.') {
                    i += 1;
                }
                h.update(b"\x00");
                start = i;
            }
            _ => i += 1,
        }
    }
    h.update(&sql[start..]);
    h.digest()
}

/// Splits a trailing `/*...*/` off `sql`: `(body, comment)`.
fn split_trailing_comment(sql: &[u8]) -> Option<(&[u8], &[u8])> {
    let trimmed = super::readers::trim_end(sql);
    if !trimmed.ends_with(b"*/") {
        return None;
    }
    let mut end = trimmed.len() - 2;
    let start = loop {
        let slash = memchr::memrchr(b'/', &trimmed[..end])?;
        if trimmed.get(slash + 1) == Some(&b'*') {
            break slash;
        }
        end = slash;
    };
    Some((&sql[..start], &trimmed[start..]))
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
            if literals
                .first()
                .is_some_and(|l| l == "0" || l.eq_ignore_ascii_case("off"))
            {
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
            let sql: &[u8] = &record.sql;
            let mut body = sql;
            let mut tags = Tags {
                valid: false,
                trace: 0,
                route: 0,
            };
            if let Some((b, comment)) = split_trailing_comment(sql) {
                let t = self.tags(comment, record.dialect);
                if t.valid {
                    body = b;
                    tags = t;
                }
            }
            let (fp, facts) = self.shape_of(body, record.dialect);
            event.fingerprint = fp;
            // Same shape and same text is the same parameters: the body's bytes stand for
            // its literal values (a log's statements of one shape come from one code path,
            // so they differ in values, not in spacing).
            let body_hash = xxh3_64(super::readers::trim_end(body));
            event.params_hash = match &record.params {
                Some(p) => body_hash ^ params_hash(p).rotate_left(1),
                None => body_hash,
            };
            event.kind = facts.kind;
            event.truncated = facts.truncated;
            event.trace = tags.trace;
            event.route = tags.route;
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
