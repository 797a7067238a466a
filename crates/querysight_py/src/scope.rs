//! `querysight._native.Scope`: one scope's detector. Python forwards each captured query; SQL
//! normalization, fingerprinting, interning and counting happen here. Thread-safe (a mutex):
//! `sync_to_async` may run a scope's queries on another thread.

use std::sync::Mutex;

use pyo3::prelude::*;
use pyo3::types::PyDict;
use rustc_hash::FxHashMap;

use querysight_detect::{DetectConfig, QueryEvent, QueryKind};

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

/// At most this many fingerprints keep their example SQL.
const MAX_EXAMPLES: usize = 4096;

struct State {
    detector: Option<querysight_detect::Scope>,
    sites: Interner,
    relations: Interner,
    /// fingerprint -> (canonical text, first raw SQL).
    examples: FxHashMap<u64, (String, String)>,
    queries: u64,
}

/// The detector of one scope (a request, a test, a task).
#[pyclass(module = "querysight._native")]
pub struct Scope {
    state: Mutex<State>,
}

#[pymethods]
impl Scope {
    #[new]
    #[pyo3(signature = (threshold = 2, duplicate_threshold = 2, min_total_duration_us = 0, max_groups = 10_000))]
    fn new(
        threshold: u32,
        duplicate_threshold: u32,
        min_total_duration_us: u64,
        max_groups: usize,
    ) -> Self {
        let config = DetectConfig {
            threshold,
            duplicate_threshold,
            min_total_duration_us,
            max_groups,
            ..DetectConfig::default()
        };
        Scope {
            state: Mutex::new(State {
                detector: Some(querysight_detect::Scope::new(config)),
                sites: Interner::default(),
                relations: Interner::default(),
                examples: FxHashMap::default(),
                queries: 0,
            }),
        }
    }

    /// Records one executed query. `params` is the `repr()` of its parameters; `duration_us`
    /// in microseconds; `relation` is `app_label.Model.field` for a lazy relation load.
    #[pyo3(signature = (sql, params, dialect, call_site, duration_us, relation = None))]
    fn record(
        &self,
        sql: &str,
        params: Option<&str>,
        dialect: &str,
        call_site: &str,
        duration_us: u64,
        relation: Option<&str>,
    ) -> PyResult<()> {
        let dialect = crate::dialect(dialect)?;
        let statements = crate::sql_cache::normalize(sql, dialect);
        let Ok(mut state) = self.state.lock() else {
            return Ok(());
        };
        state.queries += 1;
        let site = state.sites.intern(call_site);
        let relation = relation.map(|r| state.relations.intern(r));
        let count = statements.len().max(1) as u64;
        for normalized in statements.iter() {
            let mut key = Vec::with_capacity(64);
            key.extend_from_slice(params.unwrap_or("").as_bytes());
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
            .with_truncated(normalized.truncated);
            if let Some(r) = relation {
                event = event.with_relation(r);
            }
            if state.examples.len() < MAX_EXAMPLES {
                state
                    .examples
                    .entry(normalized.fingerprint)
                    .or_insert_with(|| (normalized.text.clone(), sql.to_string()));
            }
            if let Some(detector) = state.detector.as_mut() {
                detector.record(&event);
            }
        }
        Ok(())
    }

    /// Queries recorded so far.
    #[getter]
    fn query_count(&self) -> u64 {
        self.state.lock().map(|s| s.queries).unwrap_or(0)
    }

    /// Ends the scope and returns its findings as dicts with keys `kind` (`n_plus_one` or
    /// `duplicate`), `fingerprint`, `sql` (canonical), `example` (first raw SQL), `call_site`,
    /// `relation` (or None), `count`, `distinct_params`, `total_duration_us`. A second call
    /// returns an empty list.
    fn finish<'py>(&self, py: Python<'py>) -> PyResult<Vec<Bound<'py, PyDict>>> {
        let Ok(mut state) = self.state.lock() else {
            return Ok(Vec::new());
        };
        let Some(detector) = state.detector.take() else {
            return Ok(Vec::new());
        };
        let report = detector.finish();
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
            out.push(d);
        }
        Ok(out)
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
