//! `querysight._native.Capture`: the execute wrapper (Django's `connection.execute_wrapper`
//! protocol: `wrapper(execute, sql, params, many, context)`), one per connection.
//!
//! It runs around every query of the process, watched or not, so its common paths stay in
//! Rust: nothing watching (one context-variable read), and a watched query that is neither a
//! relation load nor run from a template or serializer field (timed, walked and recorded
//! here, through `Scope::record_walked`). Everything else is Python's: counting blocks
//! (`count_queries`), and the scope's `record` for annotated queries, capture files and
//! disabled scopes (see `python/querysight/capture.py`).

use std::time::Instant;

use pyo3::prelude::*;
use pyo3::types::{PyString, PyTuple};

use querysight_sql::Dialect;

use crate::frames::CallSites;
use crate::scope::Scope;

/// The execute wrapper of one connection (see the module docs).
#[pyclass(module = "querysight._native", frozen)]
pub struct Capture {
    alias: Py<PyString>,
    alias_text: String,
    vendor: Py<PyString>,
    dialect: Dialect,
    walker: Py<CallSites>,
    /// `ContextVar[bool]`: inside `querysight.ignore()`.
    ignored: Py<PyAny>,
    /// `ContextVar[tuple]`: the `count_queries` counters of this context.
    counters: Py<PyAny>,
    /// `count(counters, alias)`: counts a query on each counter (Python).
    count: Py<PyAny>,
    /// `ContextVar[Scope | None]`: the Python scope of this context.
    current: Py<PyAny>,
    /// `sys._getframe`: called from here, its frame 0 is the Django frame that called the
    /// wrapper, where the walk starts.
    getframe: Py<PyAny>,
    /// Context variables that annotate a query (relation load, template line, serializer
    /// field, async hop, uncounted): any of them set sends the query to the scope's Python
    /// `record`.
    annotations: Vec<Py<PyAny>>,
}

/// `var.get()` of a `contextvars.ContextVar` (every variable here has a default).
fn context_get<'py>(py: Python<'py>, var: &Py<PyAny>) -> PyResult<Bound<'py, PyAny>> {
    var.bind(py).call_method0(pyo3::intern!(py, "get"))
}

#[pymethods]
impl Capture {
    /// `alias` and `vendor` of the connection (`vendor`: Django's `connection.vendor`, which
    /// picks the SQL dialect); the other arguments are `querysight.capture`'s context
    /// variables and hooks.
    #[new]
    #[allow(clippy::too_many_arguments)]
    fn new(
        alias: Py<PyString>,
        vendor: Py<PyString>,
        walker: Py<CallSites>,
        ignored: Py<PyAny>,
        counters: Py<PyAny>,
        count: Py<PyAny>,
        current: Py<PyAny>,
        getframe: Py<PyAny>,
        annotations: Vec<Py<PyAny>>,
        py: Python<'_>,
    ) -> Self {
        let dialect = match vendor.bind(py).to_string_lossy().as_ref() {
            "postgresql" | "postgis" => Dialect::Postgres,
            "mysql" => Dialect::Mysql,
            _ => Dialect::Sqlite,
        };
        let alias_text = alias.bind(py).to_string_lossy().into_owned();
        Capture {
            alias,
            alias_text,
            vendor,
            dialect,
            walker,
            ignored,
            counters,
            count,
            current,
            getframe,
            annotations,
        }
    }

    /// The connection's database alias.
    #[getter]
    fn alias(&self, py: Python<'_>) -> Py<PyString> {
        self.alias.clone_ref(py)
    }

    /// Runs the query (`execute(sql, params, many, context)`) and forwards it to the scope of
    /// this context, if any. Errors of the query propagate unchanged; the query is recorded
    /// either way.
    fn __call__<'py>(
        &self,
        py: Python<'py>,
        execute: &Bound<'py, PyAny>,
        sql: &Bound<'py, PyAny>,
        params: &Bound<'py, PyAny>,
        many: &Bound<'py, PyAny>,
        context: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let run = || execute.call1((sql, params, many, context));
        if context_get(py, &self.ignored)?.is_truthy()? {
            return run();
        }
        let counters = context_get(py, &self.counters)?;
        if counters.cast::<PyTuple>().is_ok_and(|t| !t.is_empty()) {
            self.count.bind(py).call1((counters, self.alias.bind(py)))?;
        }
        let scope = context_get(py, &self.current)?;
        if scope.is_none() {
            return run();
        }
        let start = Instant::now();
        let result = run();
        let duration = start.elapsed();
        self.forward(py, &scope, sql, params, duration.as_nanos() as u64)?;
        result
    }
}

impl Capture {
    /// Hands one executed query to `scope` (a Python `querysight.scope.Scope`): natively when
    /// nothing annotates it and the scope records plainly (its `_plain` is its native scope),
    /// else through its Python `record`, which also handles disabled and finished scopes.
    fn forward(
        &self,
        py: Python<'_>,
        scope: &Bound<'_, PyAny>,
        sql: &Bound<'_, PyAny>,
        params: &Bound<'_, PyAny>,
        duration_ns: u64,
    ) -> PyResult<()> {
        let plain = scope.getattr(pyo3::intern!(py, "_plain"))?;
        let native = plain.cast::<Scope>().ok();
        let text = sql.cast::<PyString>().ok();
        let mut annotated = false;
        for var in &self.annotations {
            let value = context_get(py, var)?;
            if !value.is_none() && value.is_truthy()? {
                annotated = true;
                break;
            }
        }
        match (native, text) {
            (Some(native), Some(text)) if !annotated => {
                let recorded = text.to_str().and_then(|sql| {
                    native.get().record_walked(
                        py,
                        self.walker.get(),
                        self.getframe.bind(py).call0()?,
                        sql,
                        params,
                        self.dialect,
                        &self.alias_text,
                        duration_ns / 1000,
                    )
                });
                if let Err(error) = recorded {
                    // The scope's own policy: raise in raise mode, else log once and stop.
                    scope.call_method1(pyo3::intern!(py, "_native_error"), (error,))?;
                }
                Ok(())
            }
            _ => {
                scope.call_method1(
                    pyo3::intern!(py, "record"),
                    (
                        sql,
                        params,
                        self.alias.bind(py),
                        self.vendor.bind(py),
                        duration_ns,
                    ),
                )?;
                Ok(())
            }
        }
    }
}
