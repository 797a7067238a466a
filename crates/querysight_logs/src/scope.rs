//! The sequential phase: events in input order → scopes (units of work) → N+1 bursts and
//! duplicates through `querysight_detect`, plus the digest.
//!
//! # How statements are grouped into scopes
//!
//! Each connection (see [`Record::conn`](crate::Record::conn)) has at most one open scope.
//! A statement ends the open scope of its connection and starts a new one when:
//! 1. it carries a trace id (sqlcommenter `traceparent`, an OpenTelemetry `traceId`, the
//!    capture format's `scope`) and the scope has a different one;
//! 2. it carries sqlcommenter `route`/`controller` tags different from the scope's, and no
//!    shared trace id says it is the same request;
//! 3. without trace ids: it is a `BEGIN` (`START TRANSACTION`, MySQL `SET autocommit = 0`)
//!    and the scope already holds statements; a `COMMIT`/`ROLLBACK` closes the scope;
//! 4. it comes more than [`Options::scope_gap_ms`](crate::Options::scope_gap_ms) after the
//!    scope's previous statement, outside a transaction, without a shared trace id.
//!
//! A connection's end (PostgreSQL `disconnection:`, MySQL `Quit`) closes its scope. So the
//! scope is, in order of preference: the request (trace id), the transaction, the burst of
//! activity of one connection. Without any of them (a Django debug log with no prefix and no
//! sqlcommenter) the whole log of one database alias is one scope, split only by
//! transactions and time gaps.
//!
//! At most [`MAX_OPEN`] scopes are open at once; past that the least recently active half is
//! closed (memory stays bounded on logs with many connections).

use querysight_detect::{DetectConfig, QueryEvent, QueryKind, Scope};
use rustc_hash::{FxHashMap, FxHashSet};

use crate::analysis::{
    Analysis, Burst, DigestRow, DuplicateGroup, ScopeRef, ShapeRef, Timeline, TimelineEntry,
};
use crate::digest::Digest;
use crate::event::{ChunkOut, Event, Kind, ShapeSeen};
use crate::record::{RecordKind, Skipped};
use crate::{Format, Options, SKIPPED_KEPT, TIMELINE_MAX};

/// Open scopes kept before the least recently active half is closed.
pub const MAX_OPEN: usize = 10_000;

/// Recent distinct `SELECT` shapes remembered per scope, to name a burst's source query.
const RECENT: usize = 8;

#[derive(Debug)]
struct FpInScope {
    first_line: u64,
    last_line: u64,
    /// Distinct SELECT shapes that ran before the first execution, newest first.
    before: [u64; RECENT],
}

#[derive(Debug)]
struct OpenScope {
    detect: Scope,
    trace: u64,
    route: u64,
    label: String,
    route_label: bool,
    in_tx: bool,
    file: u32,
    first_ts: i64,
    last_ts: i64,
    last_seq: u64,
    queries: u64,
    total_us: u64,
    recent: [u64; RECENT],
    per_fp: FxHashMap<u64, FpInScope>,
    timeline: Vec<TimelineEntry>,
    clock_us: u64,
}

#[derive(Debug)]
struct Acc {
    scopes: u64,
    queries: u64,
    total_us: u64,
    worst: ScopeRef,
    first_seen: u64,
}

#[derive(Debug)]
struct WorstScope {
    score: u64,
    scope: ScopeRef,
    queries: u64,
    total_us: u64,
    entries: Vec<TimelineEntry>,
}

/// More executions, or as many and earlier in the input.
fn worse(a: &ScopeRef, b: &ScopeRef) -> bool {
    a.count > b.count || (a.count == b.count && (&a.file, a.first_line) < (&b.file, b.first_line))
}

/// Sequential state over the whole input.
pub(crate) struct Tracker<'o> {
    options: &'o Options,
    config: DetectConfig,
    open: FxHashMap<u64, OpenScope>,
    pending: FxHashMap<u64, Event>,
    pairs_durations: bool,
    digest: Digest,
    bursts: FxHashMap<(u64, u64), Acc>,
    duplicates: FxHashMap<u64, Acc>,
    worst: Option<WorstScope>,
    shapes: FxHashMap<u64, ShapeSeen>,
    /// Labels of the chunk being consumed.
    labels: FxHashMap<u64, String>,
    files: Vec<String>,
    file: u32,
    seq: u64,
    statements: u64,
    scopes: u64,
    has_durations: bool,
    dropped: u64,
    skipped: Vec<Skipped>,
    skipped_count: u64,
    lines: u64,
    bytes: u64,
}

impl<'o> Tracker<'o> {
    pub fn new(options: &'o Options) -> Self {
        Tracker {
            options,
            config: options.detect_config(),
            open: FxHashMap::default(),
            pending: FxHashMap::default(),
            pairs_durations: false,
            digest: Digest::default(),
            bursts: FxHashMap::default(),
            duplicates: FxHashMap::default(),
            worst: None,
            shapes: FxHashMap::default(),
            labels: FxHashMap::default(),
            files: Vec::new(),
            file: 0,
            seq: 0,
            statements: 0,
            scopes: 0,
            has_durations: false,
            dropped: 0,
            skipped: Vec::new(),
            skipped_count: 0,
            lines: 0,
            bytes: 0,
        }
    }

    /// Starts the next input.
    pub fn begin_input(&mut self, name: String, format: Format) {
        self.files.push(name);
        self.file = (self.files.len() - 1) as u32;
        self.pairs_durations = format.pairs_durations();
    }

    /// Counts an entry skipped at an absolute line.
    pub fn skip(&mut self, line: u64, reason: String) {
        self.skipped_count += 1;
        if self.skipped.len() < SKIPPED_KEPT {
            self.skipped.push(Skipped {
                file: self
                    .files
                    .get(self.file as usize)
                    .cloned()
                    .unwrap_or_default(),
                line,
                reason,
            });
        }
    }

    /// Adds input size counters.
    pub fn add_size(&mut self, bytes: u64, lines: u64) {
        self.bytes += bytes;
        self.lines += lines;
    }

    /// Consumes one chunk's events, in order. `first_line` is the chunk's first line.
    pub fn consume(&mut self, out: ChunkOut, first_line: u64) {
        let base = first_line - 1;
        for (line, reason) in out.skipped {
            self.skip(base + line, reason);
        }
        for (fp, shape) in out.shapes {
            self.shapes.entry(fp).or_insert(shape);
        }
        self.labels = out.labels;
        for mut ev in out.events {
            ev.line += base;
            match ev.control {
                RecordKind::DurationOnly => {
                    if let Some(mut p) = self.pending.remove(&ev.conn) {
                        if !p.has_duration {
                            p.duration_us = ev.duration_us;
                            p.has_duration = true;
                        }
                        self.process(p);
                    }
                }
                RecordKind::EndSession => {
                    if let Some(p) = self.pending.remove(&ev.conn) {
                        self.process(p);
                    }
                    if let Some(s) = self.open.remove(&ev.conn) {
                        self.close(s);
                    }
                }
                RecordKind::Query => {
                    if self.pairs_durations && !ev.has_duration {
                        if let Some(p) = self.pending.insert(ev.conn, ev) {
                            self.process(p);
                        }
                    } else {
                        if let Some(p) = self.pending.remove(&ev.conn) {
                            self.process(p);
                        }
                        self.process(ev);
                    }
                }
            }
        }
    }

    fn label_of(&self, key: u64) -> String {
        self.labels
            .get(&key)
            .cloned()
            .unwrap_or_else(|| format!("{key:016x}"))
    }

    fn process(&mut self, ev: Event) {
        self.seq += 1;
        self.statements += 1;
        self.has_durations |= ev.has_duration;
        self.digest.record(
            ev.fingerprint,
            ev.has_duration.then_some(ev.duration_us),
            self.file,
            ev.line,
        );
        let gap_us =
            i64::try_from(self.options.scope_gap_ms.saturating_mul(1000)).unwrap_or(i64::MAX);
        let split = self.open.get(&ev.conn).is_some_and(|s| {
            let same_trace = ev.trace != 0 && ev.trace == s.trace;
            (ev.trace != 0 && s.trace != 0 && ev.trace != s.trace)
                || (!same_trace && ev.route != 0 && s.route != 0 && ev.route != s.route)
                || (ev.trace == 0 && s.trace == 0 && ev.kind == Kind::Begin && s.queries > 0)
                || (!same_trace
                    && !s.in_tx
                    && gap_us > 0
                    && ev.ts_us != i64::MIN
                    && s.last_ts != i64::MIN
                    && ev.ts_us.saturating_sub(s.last_ts) > gap_us)
        });
        if split {
            if let Some(s) = self.open.remove(&ev.conn) {
                self.close(s);
            }
        }
        if !self.open.contains_key(&ev.conn) {
            let label = if ev.conn == 0 {
                String::from("(no connection id)")
            } else {
                self.label_of(ev.conn)
            };
            let scope = OpenScope {
                detect: Scope::new(self.config),
                trace: 0,
                route: 0,
                label,
                route_label: false,
                in_tx: false,
                file: self.file,
                first_ts: ev.ts_us,
                last_ts: ev.ts_us,
                last_seq: self.seq,
                queries: 0,
                total_us: 0,
                recent: [0; RECENT],
                per_fp: FxHashMap::default(),
                timeline: Vec::new(),
                clock_us: 0,
            };
            self.open.insert(ev.conn, scope);
            if self.open.len() > MAX_OPEN {
                self.evict();
            }
        }
        let timeline = self.options.timeline;
        let mut new_labels: Vec<String> = Vec::new();
        let Some(s) = self.open.get_mut(&ev.conn) else {
            return;
        };
        if ev.trace != 0 && s.trace == 0 {
            s.trace = ev.trace;
            new_labels.push(ev.trace.to_string());
        }
        if ev.route != 0 && s.route == 0 {
            s.route = ev.route;
        }
        let kind = match ev.kind {
            Kind::Select => QueryKind::Select,
            Kind::Write => QueryKind::Write,
            _ => QueryKind::Other,
        };
        s.detect.record(&QueryEvent {
            fingerprint: ev.fingerprint,
            params_hash: ev.params_hash,
            call_site: ev.call_site,
            duration_us: ev.duration_us,
            relation: None,
            origin: None,
            kind,
            truncated: ev.truncated,
            call: 0, // a log line names no call into library code
        });
        s.queries += 1;
        s.total_us = s.total_us.saturating_add(ev.duration_us);
        s.last_seq = self.seq;
        if ev.ts_us != i64::MIN {
            if s.first_ts == i64::MIN {
                s.first_ts = ev.ts_us;
            }
            s.last_ts = ev.ts_us;
        }
        match ev.kind {
            Kind::Begin => s.in_tx = true,
            Kind::End => s.in_tx = false,
            _ => {}
        }
        let recent = s.recent;
        let info = s.per_fp.entry(ev.fingerprint).or_insert(FpInScope {
            first_line: ev.line,
            last_line: ev.line,
            before: recent,
        });
        info.last_line = ev.line;
        if ev.kind == Kind::Select && s.recent[0] != ev.fingerprint {
            s.recent.copy_within(0..RECENT - 1, 1);
            s.recent[0] = ev.fingerprint;
        }
        if timeline && s.timeline.len() < TIMELINE_MAX {
            let start_us = if ev.ts_us != i64::MIN && s.first_ts != i64::MIN {
                u64::try_from(ev.ts_us - s.first_ts).unwrap_or(0)
            } else {
                s.clock_us
            };
            s.timeline.push(TimelineEntry {
                start_us,
                duration_us: ev.duration_us,
                fingerprint: ev.fingerprint,
                line: ev.line,
                in_burst: false,
            });
        }
        s.clock_us = s.clock_us.saturating_add(ev.duration_us.max(1));
        let close_now = ev.kind == Kind::End && s.trace == 0;
        let needs_route_label = ev.route != 0 && !s.route_label;
        // Labels: trace and route are appended the first time they are seen.
        if !new_labels.is_empty() || needs_route_label {
            let trace_label = (!new_labels.is_empty()).then(|| self.label_of(ev.trace));
            let route_label = needs_route_label.then(|| self.label_of(ev.route));
            if let Some(s) = self.open.get_mut(&ev.conn) {
                if let Some(t) =
                    trace_label.filter(|t| !s.label.contains(t.trim_start_matches("trace ")))
                {
                    s.label.push_str(", ");
                    s.label.push_str(&t);
                }
                if let Some(r) = route_label {
                    s.route_label = true;
                    s.label.push_str(", ");
                    s.label.push_str(&r);
                }
            }
        }
        if close_now {
            if let Some(s) = self.open.remove(&ev.conn) {
                self.close(s);
            }
        }
        if self.seq.is_multiple_of(65_536) {
            self.sweep(ev.ts_us, gap_us);
        }
    }

    /// Closes scopes idle for longer than the gap (by the newest timestamp seen).
    fn sweep(&mut self, now: i64, gap_us: i64) {
        if now == i64::MIN || gap_us <= 0 {
            return;
        }
        let idle: Vec<u64> = self
            .open
            .iter()
            .filter(|(_, s)| {
                !s.in_tx && s.last_ts != i64::MIN && now.saturating_sub(s.last_ts) > gap_us
            })
            .map(|(k, _)| *k)
            .collect();
        for k in idle {
            if let Some(s) = self.open.remove(&k) {
                self.close(s);
            }
        }
    }

    /// Closes the least recently active half of the open scopes.
    fn evict(&mut self) {
        let mut by_age: Vec<(u64, u64)> = self.open.iter().map(|(k, s)| (s.last_seq, *k)).collect();
        by_age.sort_unstable();
        for (_, k) in by_age.into_iter().take(self.open.len() / 2) {
            if let Some(s) = self.open.remove(&k) {
                self.close(s);
            }
        }
    }

    fn scope_ref(&self, s: &OpenScope, fp: u64, count: u64, distinct: u64, total: u64) -> ScopeRef {
        let (first_line, last_line) = s
            .per_fp
            .get(&fp)
            .map_or((0, 0), |i| (i.first_line, i.last_line));
        ScopeRef {
            label: s.label.clone(),
            file: self.files.get(s.file as usize).cloned().unwrap_or_default(),
            first_line,
            last_line,
            count,
            distinct_params: distinct,
            total_us: total,
        }
    }

    fn close(&mut self, mut s: OpenScope) {
        self.scopes += 1;
        let detect = std::mem::replace(&mut s.detect, Scope::new(self.config));
        let report = detect.finish();
        self.dropped += report.dropped_events;
        let n1: FxHashSet<u64> = report.n_plus_one.iter().map(|n| n.fingerprint).collect();
        for n in &report.n_plus_one {
            let source = s.per_fp.get(&n.fingerprint).and_then(|i| {
                i.before
                    .iter()
                    .copied()
                    .find(|f| *f != 0 && *f != n.fingerprint && !n1.contains(f))
            });
            let key = (n.fingerprint, source.unwrap_or(0));
            let r = self.scope_ref(
                &s,
                n.fingerprint,
                n.count,
                n.distinct_params,
                n.total_duration_us,
            );
            let seq = self.seq;
            let acc = self.bursts.entry(key).or_insert_with(|| Acc {
                scopes: 0,
                queries: 0,
                total_us: 0,
                worst: r.clone(),
                first_seen: seq,
            });
            acc.scopes += 1;
            acc.queries += n.count;
            acc.total_us = acc.total_us.saturating_add(n.total_duration_us);
            if worse(&r, &acc.worst) {
                acc.worst = r;
            }
        }
        for d in &report.duplicates {
            let r = self.scope_ref(&s, d.fingerprint, d.count, 1, d.total_duration_us);
            let seq = self.seq;
            let acc = self.duplicates.entry(d.fingerprint).or_insert_with(|| Acc {
                scopes: 0,
                queries: 0,
                total_us: 0,
                worst: r.clone(),
                first_seen: seq,
            });
            acc.scopes += 1;
            acc.queries += d.count;
            acc.total_us = acc.total_us.saturating_add(d.total_duration_us);
            if worse(&r, &acc.worst) {
                acc.worst = r;
            }
        }
        if self.options.timeline {
            let score = if self.has_durations {
                s.total_us
            } else {
                s.queries
            };
            if self.worst.as_ref().is_none_or(|w| score > w.score) {
                let mut entries = std::mem::take(&mut s.timeline);
                for e in &mut entries {
                    e.in_burst = n1.contains(&e.fingerprint);
                }
                let first = entries.first().map_or(0, |e| e.line);
                let last = entries.last().map_or(0, |e| e.line);
                let scope = ScopeRef {
                    label: s.label.clone(),
                    file: self.files.get(s.file as usize).cloned().unwrap_or_default(),
                    first_line: first,
                    last_line: last,
                    count: s.queries,
                    distinct_params: 0,
                    total_us: s.total_us,
                };
                self.worst = Some(WorstScope {
                    score,
                    scope,
                    queries: s.queries,
                    total_us: s.total_us,
                    entries,
                });
            }
        }
    }

    fn shape(&self, fp: u64) -> ShapeRef {
        ShapeRef {
            fingerprint: fp,
            text: self
                .shapes
                .get(&fp)
                .map(|s| s.text.clone())
                .unwrap_or_default(),
        }
    }

    /// Ends the input: flushes pending statements, closes every scope and builds the result.
    pub fn finish(mut self, format: Format) -> Analysis {
        let mut pending: Vec<Event> = self.pending.drain().map(|(_, e)| e).collect();
        pending.sort_by_key(|e| e.line);
        for p in pending {
            self.process(p);
        }
        let mut open: Vec<OpenScope> = self.open.drain().map(|(_, s)| s).collect();
        open.sort_by_key(|s| s.last_seq);
        for s in open {
            self.close(s);
        }
        let mut bursts: Vec<(Burst, u64)> = self
            .bursts
            .iter()
            .map(|((fp, source), acc)| {
                (
                    Burst {
                        shape: self.shape(*fp),
                        example: self
                            .shapes
                            .get(fp)
                            .map(|s| s.example.clone())
                            .unwrap_or_default(),
                        source: (*source != 0).then(|| self.shape(*source)),
                        scopes: acc.scopes,
                        queries: acc.queries,
                        total_us: acc.total_us,
                        worst: acc.worst.clone(),
                        fix: None,
                    },
                    acc.first_seen,
                )
            })
            .collect();
        bursts.sort_by(|(a, sa), (b, sb)| {
            b.queries
                .cmp(&a.queries)
                .then(b.total_us.cmp(&a.total_us))
                .then(sa.cmp(sb))
                .then(a.shape.fingerprint.cmp(&b.shape.fingerprint))
        });
        let mut duplicates: Vec<(DuplicateGroup, u64)> = self
            .duplicates
            .iter()
            .map(|(fp, acc)| {
                (
                    DuplicateGroup {
                        shape: self.shape(*fp),
                        scopes: acc.scopes,
                        executions: acc.queries,
                        total_us: acc.total_us,
                        worst: acc.worst.clone(),
                    },
                    acc.first_seen,
                )
            })
            .collect();
        duplicates.sort_by(|(a, sa), (b, sb)| {
            b.executions
                .cmp(&a.executions)
                .then(b.total_us.cmp(&a.total_us))
                .then(sa.cmp(sb))
        });
        let mut digest: Vec<DigestRow> = self
            .digest
            .shapes
            .iter()
            .map(|(fp, t)| DigestRow {
                shape: self.shape(*fp),
                example: self
                    .shapes
                    .get(fp)
                    .map(|s| s.example.clone())
                    .unwrap_or_default(),
                count: t.count,
                total_us: t.total_us,
                mean_us: t.total_us.checked_div(t.timed).unwrap_or(0),
                p95_us: t.hist.quantile(0.95, t.max_us).unwrap_or(0),
                max_us: t.max_us,
                first_file: self
                    .files
                    .get(t.first_file as usize)
                    .cloned()
                    .unwrap_or_default(),
                first_line: t.first_line,
            })
            .collect();
        digest.sort_by(|a, b| {
            b.total_us
                .cmp(&a.total_us)
                .then(b.count.cmp(&a.count))
                .then(a.first_file.cmp(&b.first_file))
                .then(a.first_line.cmp(&b.first_line))
        });
        let timeline = self.worst.take().map(|w| {
            let mut seen = FxHashSet::default();
            let shapes = w
                .entries
                .iter()
                .filter(|e| seen.insert(e.fingerprint))
                .map(|e| self.shape(e.fingerprint))
                .collect();
            Timeline {
                scope: w.scope,
                queries: w.queries,
                total_us: w.total_us,
                entries: w.entries,
                shapes,
            }
        });
        Analysis {
            format,
            inputs: self.files,
            bytes: self.bytes,
            lines: self.lines,
            statements: self.statements,
            scopes: self.scopes,
            has_durations: self.has_durations,
            bursts: bursts.into_iter().map(|(b, _)| b).collect(),
            duplicates: duplicates.into_iter().map(|(d, _)| d).collect(),
            digest,
            timeline,
            skipped: self.skipped,
            skipped_count: self.skipped_count,
            dropped_events: self.dropped,
        }
    }
}
