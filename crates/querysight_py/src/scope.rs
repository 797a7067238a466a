//! `querysight._native.Scope`: one scope's detector. Python forwards each captured query; SQL
//! normalization, fingerprinting, interning and counting happen here. Thread-safe (a mutex):
//! `sync_to_async` may run a scope's queries on another thread.

use std::sync::Mutex;

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyTuple};
use rustc_hash::FxHashMap;

use querysight_detect::{DetectConfig, QueryEvent, QueryKind};

use crate::frames::{CallSites, Callee};

/// Strings seen in a scope, as small integers for the detector.
#[derive(Default)]
struct Interner {
    ids: FxHashMap<String, u32>,
    names: Vec<String>,
}

/// At most this many distinct strings per interner: past it, new strings share id 0
/// ("unknown"), so a scope's memory stays bounded whatever the application does.
const MAX_INTERNED: usize = 50_000;

impl Interner {
    fn intern(&mut self, s: &str) -> u32 {
        if let Some(id) = self.ids.get(s) {
            return *id;
        }
        if self.names.len() >= MAX_INTERNED {
            return 0;
        }
        // 0 means "unknown" to the detector.
        let id = self.names.len() as u32 + 1;
        self.ids.insert(s.to_string(), id);
        self.names.push(s.to_string());
        id
    }

    fn name(&self, id: u32) -> Option<&str> {
        id.checked_sub(1)
            .and_then(|i| self.names.get(i as usize))
            .map(String::as_str)
    }
}

/// Separates a group key's text from its calling context (in hex, see `State::site_key`):
/// the Python side cuts the key there (`querysight.scope`).
const CONTEXT_MARK: char = '\u{1f}';

/// A call's token (`CallSites`' `StackFrame::call_token`: its frame object, or its frame's
/// locals dict) held to be compared by identity with the next one: holding it keeps its
/// address its own (a freed object's memory is soon another's). Dropping the last reference
/// to it can run finalizers, which may run queries and so re-enter the scope: a released
/// token is returned, to be dropped after the scope's lock is let go.
#[derive(Default)]
struct Held {
    token: Option<Py<PyAny>>,
    /// Distinct calls seen so far (consecutive repeats of one count once).
    count: u64,
}

impl Held {
    /// `(count, changed, released)` after seeing `token` (`(0, false, None)` for none):
    /// `changed` when it is not the token held, which it then replaces.
    fn see(&mut self, token: Option<Py<PyAny>>) -> (u64, bool, Option<Py<PyAny>>) {
        let Some(token) = token else {
            return (0, false, None);
        };
        if self
            .token
            .as_ref()
            .is_some_and(|held| held.as_ptr() == token.as_ptr())
        {
            return (self.count, false, Some(token));
        }
        self.count += 1;
        (self.count, true, self.token.replace(token))
    }

    /// Lets go of the token held (to be dropped outside the lock).
    fn release(&mut self) -> Option<Py<PyAny>> {
        self.token.take()
    }
}

/// Mixes an activation count into a calling context (see `State::enter`); odd, and not the
/// barriers' multiplier.
const ACTIVATION_MIX: u64 = 0xc2b2_ae3d_27d4_eb4f;

/// At most this many fingerprints keep their example SQL.
const MAX_EXAMPLES: usize = 4096;

struct State {
    detector: Option<querysight_detect::Scope>,
    sites: Interner,
    relations: Interner,
    /// fingerprint -> (canonical text, first raw SQL).
    examples: FxHashMap<u64, (String, String)>,
    queries: u64,
    /// Barriers so far (`Scope.barrier`): mixed into every group key, so no group spans two
    /// units of work.
    barriers: u64,
    /// Queries per database alias (`record`, `count`, and nested scopes' `add_counts`).
    by_alias: Vec<(String, u64)>,
    /// The shapes of the finished detector (`shapes()` still answers after `finish()`).
    final_shapes: Vec<querysight_detect::Shape>,
    /// `((walker cache generation, code object address), line, operation index, calling
    /// context) -> call-site id` of `record_walked`: the key text is built once per call site,
    /// operation and context, not once per query.
    plain_sites: FxHashMap<((u64, usize), i64, u32, u64), u32>,
    /// The entry frame of the current activation (`CallSites`' `Walk::entry`) and the number
    /// of activations (see [`State::enter`]).
    entry: Held,
    /// The library frame the call site called for the last query (`Walk::callee`) and the
    /// number of such calls (see [`State::record`]'s `call`).
    callee: Held,
    /// The code objects of the library function each call site called and of the two it
    /// called in turn (by site id): a loop inside it is named in the finding (Python picks
    /// the name, past decorators' wrappers).
    callee_codes: FxHashMap<u32, Py<PyTuple>>,
}

impl State {
    /// The calling context of a group key in this scope: the walk's, made distinct per unit
    /// of work (see `Scope.barrier`).
    fn context(&self, walk_context: u64) -> u64 {
        walk_context ^ self.barriers.wrapping_mul(0x9e37_79b9_7f4a_7c15)
    }

    /// A query whose walk found `entry`, the frame through which test code called the code
    /// under test: a frame other than the last one is a new call, a new activation. Each
    /// activation is a unit of work of its own: a query repeated across two is no duplicate
    /// (the detector's epoch moves on), and the returned value, mixed into the calling
    /// context of the query's group key, keeps a test's loop over cases (`for case in cases:
    /// service(case)`) from reading as an N+1 of `service`. 0 without an entry frame.
    /// The second value is for the caller to drop after releasing the lock (see [`Held`]).
    fn enter(&mut self, entry: Option<Py<PyAny>>) -> (u64, Option<Py<PyAny>>) {
        let (activation, changed, released) = self.entry.see(entry);
        if changed {
            if let Some(detector) = self.detector.as_mut() {
                detector.barrier();
            }
        }
        (activation, released)
    }

    /// The id of the call into library code a query came from (`Walk::callee`; 0 for none),
    /// remembering, for a new call site `site`, the code objects of the functions it called.
    /// The second value is for the caller to drop after releasing the lock (see [`Held`]).
    fn call(
        &mut self,
        py: Python<'_>,
        site: u32,
        callee: Option<Callee>,
    ) -> (u64, Option<Py<PyAny>>) {
        let Some((token, code, inner, innermost)) = callee else {
            return (0, None);
        };
        if !self.callee_codes.contains_key(&site) && self.callee_codes.len() < MAX_INTERNED {
            let codes: Vec<Py<PyAny>> = [Some(code), inner, innermost]
                .into_iter()
                .flatten()
                .collect();
            if let Ok(codes) = PyTuple::new(py, codes) {
                self.callee_codes.insert(site, codes.unbind());
            }
        }
        let (call, _, released) = self.callee.see(Some(token));
        (call, released)
    }

    /// The id of group key `base` (`path:line [operation]...`) with calling context `context`
    /// (already through [`State::context`]): the one place the key text is made; Python cuts
    /// it at [`CONTEXT_MARK`].
    fn site_key(&mut self, base: std::fmt::Arguments<'_>, context: u64) -> u32 {
        self.sites
            .intern(&format!("{base}{CONTEXT_MARK}{context:x}"))
    }

    /// One query: counted on `alias`, normalized (cached), one event per statement.
    #[allow(clippy::too_many_arguments)]
    fn record(
        &mut self,
        sql: &str,
        dialect: querysight_sql::Dialect,
        alias: &str,
        params: u64,
        site: u32,
        relation: Option<u32>,
        duration_us: u64,
        call: u64,
    ) {
        self.count(alias, 1);
        let statements = crate::sql_cache::normalize(sql, dialect);
        let count = statements.len().max(1) as u64;
        for normalized in statements.iter() {
            let mut key = Vec::with_capacity(64);
            key.extend_from_slice(&params.to_le_bytes());
            for literal in &normalized.literals {
                key.push(0);
                key.extend_from_slice(literal.as_bytes());
            }
            let kind = query_kind(&normalized.text);
            let mut event = QueryEvent::new(
                normalized.fingerprint,
                querysight_sql::params_hash(&key),
                site,
            )
            .with_duration_us(duration_us / count)
            .with_kind(kind)
            .with_truncated(normalized.truncated)
            .with_call(call);
            if let Some(r) = relation {
                event = event.with_relation(r);
            }
            if self.examples.len() < MAX_EXAMPLES {
                self.examples
                    .entry(normalized.fingerprint)
                    .or_insert_with(|| (normalized.text.clone(), sql.to_string()));
            }
            if let Some(detector) = self.detector.as_mut() {
                detector.record(&event);
            }
        }
    }

    fn count(&mut self, alias: &str, n: u64) {
        self.queries += n;
        match self.by_alias.iter_mut().find(|(a, _)| a == alias) {
            Some((_, count)) => *count += n,
            None => self.by_alias.push((alias.to_string(), n)),
        }
    }
}

/// What identifies a query's parameters, as a 64-bit value: Python's `hash()` of the
/// parameters (a tuple, or a list made a tuple), else of their `repr()` (a dict of named
/// parameters, `executemany`'s list of rows), 0 for `None`. Python's hash of a tuple of
/// ints and strings is cached or cheap, where `repr()` builds a string per query. Within one
/// process the value is stable (string hashing is salted per process, which is all a scope
/// needs). Known collisions: `1`, `1.0` and `True`; `-1` and `-2`.
fn params_identity(params: &Bound<'_, PyAny>) -> u64 {
    if params.is_none() {
        return 0;
    }
    if let Ok(hash) = params.hash() {
        return hash as u64;
    }
    if let Ok(list) = params.cast::<PyList>() {
        if let Ok(hash) = list.to_tuple().hash() {
            return hash as u64;
        }
    }
    match params.repr() {
        Ok(text) => querysight_sql::params_hash(text.to_string_lossy().as_bytes()),
        Err(_) => 0,
    }
}

/// The detector of one scope (a request, a test, a task).
#[pyclass(module = "querysight._native", frozen)]
pub struct Scope {
    state: Mutex<State>,
}

#[pymethods]
impl Scope {
    #[new]
    /// `include_writes`: INSERT/UPDATE/DELETE are grouped too (a `save()` per row is an N+1;
    /// see `DetectConfig::include_writes`).
    #[pyo3(signature = (threshold = 2, duplicate_threshold = 2, min_total_duration_us = 0, max_groups = 10_000, include_writes = false))]
    fn new(
        threshold: u32,
        duplicate_threshold: u32,
        min_total_duration_us: u64,
        max_groups: usize,
        include_writes: bool,
    ) -> Self {
        let config = DetectConfig {
            threshold,
            duplicate_threshold,
            min_total_duration_us,
            max_groups,
            include_writes,
        };
        Scope {
            state: Mutex::new(State {
                detector: Some(querysight_detect::Scope::new(config)),
                sites: Interner::default(),
                relations: Interner::default(),
                examples: FxHashMap::default(),
                queries: 0,
                barriers: 0,
                by_alias: Vec::new(),
                final_shapes: Vec::new(),
                plain_sites: FxHashMap::default(),
                entry: Held::default(),
                callee: Held::default(),
                callee_codes: FxHashMap::default(),
            }),
        }
    }

    /// Records one executed query on database `alias`. `params` are its parameters as the
    /// driver got them (see `params_identity`: only their identity is kept); `duration_us` in
    /// microseconds; `call_site` groups the query (the application line and what ran there);
    /// `relation` is `app_label.Model.field` for a lazy relation load.
    /// `context`: the calling context of the call site (`CallSites.locate`; 0 for none), kept
    /// apart in the group key. `per_row`: the query loads a relation of one row of a
    /// multi-row result, so each execution counts as its own parameter set: rows sharing a
    /// foreign-key value (two books by one author) are still one lazy load per row, an N+1,
    /// not a duplicate.
    /// `entry`: the frame through which test code called the code under test
    /// (`CallSites.locate`), which starts a new activation when it changes (see
    /// `State::enter`); per-row relation loads keep one group across activations (the rows
    /// came from one queryset, wherever the loop is). `callee`: the library frame the call
    /// site called (`CallSites.locate`), for a query that is no relation load nor from a
    /// template or serializer field: an N+1 whose executions all came from one such call is
    /// a loop inside the library (`callee` in its finding).
    #[pyo3(signature = (sql, params, dialect, alias, call_site, duration_us, relation = None, per_row = false, context = 0, entry = None, callee = None))]
    #[allow(clippy::too_many_arguments)]
    fn record(
        &self,
        py: Python<'_>,
        sql: &str,
        params: &Bound<'_, PyAny>,
        dialect: &str,
        alias: &str,
        call_site: &str,
        duration_us: u64,
        relation: Option<&str>,
        per_row: bool,
        context: u64,
        entry: Option<Py<PyAny>>,
        callee: Option<Callee>,
    ) -> PyResult<()> {
        let dialect = crate::dialect(dialect)?;
        let mut params = params_identity(params);
        let Ok(mut state) = self.state.lock() else {
            return Ok(());
        };
        let (activation, released) = state.enter(entry);
        let mut context = state.context(context);
        if per_row {
            params ^= (state.queries + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        } else {
            context ^= activation.wrapping_mul(ACTIVATION_MIX);
        }
        let site = state.site_key(format_args!("{call_site}"), context);
        let relation = relation.map(|r| state.relations.intern(r));
        let (call, released_callee) = state.call(py, site, callee);
        state.record(
            sql,
            dialect,
            alias,
            params,
            site,
            relation,
            duration_us,
            call,
        );
        drop(state);
        drop((released, released_callee));
        Ok(())
    }

    /// A unit of work ended and another starts in this scope (a test-client request within a
    /// test's scope): no N+1 or duplicate spans the boundary. Group keys of the next unit
    /// differ (the barrier count is mixed into their calling context, `State::context`).
    fn barrier(&self) {
        if let Ok(mut state) = self.state.lock() {
            state.barriers += 1;
            if let Some(detector) = state.detector.as_mut() {
                detector.barrier();
            }
        }
    }

    /// Counts a query on `alias` that is not the application's to detect (a framework cache
    /// filling itself): it counts toward `query_count`, and is not grouped.
    fn count(&self, alias: &str) {
        if let Ok(mut state) = self.state.lock() {
            state.count(alias, 1);
        }
    }

    /// Adds the query counts of `inner` (a scope nested in this one, now ended) to this
    /// scope's, per alias. Detection is not merged: the inner scope reported its own findings.
    fn add_counts(&self, inner: &Scope) {
        if std::ptr::eq(self, inner) {
            return;
        }
        let counts = match inner.state.lock() {
            Ok(state) => state.by_alias.clone(),
            Err(_) => return,
        };
        if let Ok(mut state) = self.state.lock() {
            for (alias, n) in &counts {
                state.count(alias, *n);
            }
        }
    }

    /// Queries per database alias so far, as a dict `{alias: count}`.
    fn query_count_by_alias<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        if let Ok(state) = self.state.lock() {
            for (alias, n) in &state.by_alias {
                d.set_item(alias, n)?;
            }
        }
        Ok(d)
    }

    /// The query shapes (fingerprints) grouped so far, in order of first execution, as
    /// tuples `(fingerprint, canonical sql, executions, distinct parameter sets, groups)`;
    /// groups are the distinct call sites (with what ran there) the shape ran from. Only
    /// grouped queries count: SELECTs, and writes when the detector groups writes. After
    /// `finish()`, the shapes of the whole scope.
    fn shapes(&self) -> Vec<(u64, String, u64, u64, u64)> {
        let Ok(state) = self.state.lock() else {
            return Vec::new();
        };
        let shapes = match state.detector.as_ref() {
            Some(detector) => detector.shapes(),
            None => state.final_shapes.clone(),
        };
        shapes
            .into_iter()
            .map(|shape| {
                let text = state
                    .examples
                    .get(&shape.fingerprint)
                    .map(|(t, _)| t.clone())
                    .unwrap_or_default();
                (
                    shape.fingerprint,
                    text,
                    shape.count,
                    shape.distinct_params,
                    shape.groups,
                )
            })
            .collect()
    }

    /// Queries recorded so far.
    #[getter]
    fn query_count(&self) -> u64 {
        self.state.lock().map(|s| s.queries).unwrap_or(0)
    }

    /// Ends the scope and returns its findings as dicts with keys `kind` (`n_plus_one` or
    /// `duplicate`), `statement` (N+1 only: `select` or `write`), `fingerprint`, `sql` (canonical), `example` (first raw SQL), `call_site`,
    /// `relation` (or None), `count`, `distinct_params`, `total_duration_us`; for an N+1
    /// `callee`: the code objects of the library function the call site called once, whose
    /// loop ran every execution, and of the two it called in turn (a tuple; else None); for a
    /// duplicate `repeat_site`: the call site of its first avoidable repeat. A second call
    /// returns an empty list.
    fn finish<'py>(&self, py: Python<'py>) -> PyResult<Vec<Bound<'py, PyDict>>> {
        // The frames held are let go of first, outside the lock (see `Held`).
        let held = self
            .state
            .lock()
            .ok()
            .map(|mut state| (state.entry.release(), state.callee.release()));
        drop(held);
        let Ok(mut state) = self.state.lock() else {
            return Ok(Vec::new());
        };
        let Some(detector) = state.detector.take() else {
            return Ok(Vec::new());
        };
        let report = detector.finish();
        state.final_shapes = report.shapes.clone();
        let mut out = Vec::new();
        for group in &report.n_plus_one {
            let d = finding_dict(
                py,
                &state,
                "n_plus_one",
                group.fingerprint,
                group.call_site,
                group.count,
                group.total_duration_us,
            )?;
            d.set_item("distinct_params", group.distinct_params)?;
            // A loop inside the library the call site called once: its function's code.
            let callee = group
                .one_call
                .then(|| state.callee_codes.get(&group.call_site))
                .flatten()
                .map(|code| code.clone_ref(py));
            d.set_item("callee", callee)?;
            d.set_item(
                "statement",
                if group.kind == QueryKind::Write {
                    "write"
                } else {
                    "select"
                },
            )?;
            d.set_item(
                "relation",
                group.relation.and_then(|r| state.relations.name(r)),
            )?;
            out.push(d);
        }
        for group in &report.duplicates {
            let d = finding_dict(
                py,
                &state,
                "duplicate",
                group.fingerprint,
                group.call_site,
                group.count,
                group.total_duration_us,
            )?;
            d.set_item("distinct_params", 1)?;
            d.set_item("relation", Option::<&str>::None)?;
            d.set_item(
                "repeat_site",
                state.sites.name(group.repeat_site).unwrap_or("<unknown>"),
            )?;
            out.push(d);
        }
        Ok(out)
    }
}

impl Scope {
    /// `record()` for a query that is neither a relation load nor run from a template or a
    /// serializer field (what the execute wrapper checked, `crate::capture`): the call site and what the application called
    /// (`count`, `get`, `values`...) are found here, by `walker` from `frame` outwards, and
    /// its group key (`path:line [operation]`) is made once per line and operation.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn record_walked(
        &self,
        py: Python<'_>,
        walker: &CallSites,
        frame: Bound<'_, PyAny>,
        sql: &str,
        params: &Bound<'_, PyAny>,
        dialect: querysight_sql::Dialect,
        alias: &str,
        duration_us: u64,
    ) -> PyResult<()> {
        let walk = walker.walk(py, frame)?;
        let (op_index, op) = walker.operation(py, &walk)?;
        let params = params_identity(params);
        let Ok(mut state) = self.state.lock() else {
            return Ok(());
        };
        let (activation, released) = state.enter(walk.entry);
        let context = state.context(walk.context) ^ activation.wrapping_mul(ACTIVATION_MIX);
        let op = || {
            op.clone()
                .unwrap_or_else(|| walker.operation_name(op_index))
        };
        let site = match &walk.app {
            None => state.site_key(format_args!("<unknown> [{}]", op()), context),
            Some(app) => {
                // Keyed without building the text when the code object is known to the walker.
                let key = app
                    .code
                    .filter(|_| op_index != u32::MAX)
                    .map(|code| (code, app.line, op_index, context));
                match key.and_then(|k| state.plain_sites.get(&k).copied()) {
                    Some(site) => site,
                    None => {
                        let site =
                            state.site_key(format_args!("{} [{}]", app.site(py), op()), context);
                        if let Some(k) = key {
                            if state.plain_sites.len() < MAX_INTERNED {
                                state.plain_sites.insert(k, site);
                            }
                        }
                        site
                    }
                }
            }
        };
        let (call, released_callee) = state.call(py, site, walk.callee);
        state.record(sql, dialect, alias, params, site, None, duration_us, call);
        drop(state);
        drop((released, released_callee));
        Ok(())
    }
}

fn finding_dict<'py>(
    py: Python<'py>,
    state: &State,
    kind: &str,
    fingerprint: u64,
    call_site: u32,
    count: u64,
    total_duration_us: u64,
) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    let (sql, example) = state
        .examples
        .get(&fingerprint)
        .map(|(t, e)| (t.as_str(), e.as_str()))
        .unwrap_or(("", ""));
    d.set_item("kind", kind)?;
    d.set_item("fingerprint", fingerprint)?;
    d.set_item("sql", sql)?;
    d.set_item("example", example)?;
    d.set_item(
        "call_site",
        state.sites.name(call_site).unwrap_or("<unknown>"),
    )?;
    d.set_item("count", count)?;
    d.set_item("total_duration_us", total_duration_us)?;
    Ok(d)
}

fn query_kind(canonical: &str) -> QueryKind {
    let head = canonical.trim_start();
    let word = head.split([' ', '(']).next().unwrap_or("");
    match word {
        "select" | "with" => QueryKind::Select,
        "insert" | "update" | "delete" | "replace" => QueryKind::Write,
        _ => QueryKind::Other,
    }
}
