//! `querysight._native.CallSites`: the stack walk that finds where a query came from, once per
//! query on the run-time path.
//!
//! Python materializes a frame object per `f_back`, which no code can avoid without CPython
//! internals; what this walk saves is the rest of the per-frame work of a Python loop: one
//! hash look-up by code-object address instead of a bytecode loop with two calls per frame.
//! Which frames are which is decided in Python, once per code object, by the `classify`
//! callable (`querysight.callsite`): application code, a `QuerySet` entry point, the SQL
//! compiler, a values iterable.

use std::sync::Mutex;

use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::PyString;
use rustc_hash::FxHashMap;

/// A `QuerySet` entry point the application called (`count`, `first`, `__iter__`...).
const API: u8 = 1;
/// The ORM built the SQL (the compiler is on the stack), else a raw cursor ran it.
const ORM: u8 = 2;
/// Rows come back as dicts or tuples (`values`, `values_list`).
const VALUES: u8 = 4;
/// An application frame: the call site.
const APP: u8 = 8;

/// `(call site, api, values, orm)`: what `locate` returns.
type Located<'py> = (
    Bound<'py, PyString>,
    Option<Py<PyString>>,
    Option<Py<PyString>>,
    bool,
);

/// Code objects remembered at most; past it the cache starts over.
const MAX_CODES: usize = 100_000;

/// What the classifier said of each code object, by address: the bits above and a text (the
/// display path of application code, an entry point's name, a values kind).
#[derive(Default)]
struct Cache {
    codes: FxHashMap<usize, (u8, Option<Py<PyString>>)>,
    /// Keeps every code object in `codes` alive: its address stays its own while it is a key.
    alive: Vec<Py<PyAny>>,
}

/// Finds the call site of a query: the first application frame, and what the application
/// called on the way (see `locate`).
#[pyclass(module = "querysight._native", frozen)]
pub struct CallSites {
    classify: Py<PyAny>,
    cache: Mutex<Cache>,
}

impl CallSites {
    /// `(bits, text)` of `code`, from the cache or the classifier. The lock is never held
    /// while Python runs (the classifier may let another thread in).
    fn info(
        &self,
        py: Python<'_>,
        code: &Bound<'_, PyAny>,
    ) -> PyResult<(u8, Option<Py<PyString>>)> {
        let key = code.as_ptr() as usize;
        if let Ok(cache) = self.cache.lock() {
            if let Some((bits, text)) = cache.codes.get(&key) {
                return Ok((*bits, text.as_ref().map(|t| t.clone_ref(py))));
            }
        }
        let (bits, text): (u8, Option<Py<PyString>>) =
            self.classify.bind(py).call1((code,))?.extract()?;
        if let Ok(mut cache) = self.cache.lock() {
            if cache.codes.len() >= MAX_CODES {
                cache.codes.clear();
                cache.alive.clear();
            }
            cache
                .codes
                .insert(key, (bits, text.as_ref().map(|t| t.clone_ref(py))));
            cache.alive.push(code.clone().unbind());
        }
        Ok((bits, text))
    }
}

#[pymethods]
impl CallSites {
    /// `classify(code) -> (bits, text)`: bits 8 for application code (text: its display
    /// path), 1 for a `QuerySet` entry point (text: its name), 2 for the SQL compiler, 4 for
    /// a values iterable (text: `values` or `values_list`), 0 for any other library frame.
    #[new]
    fn new(classify: Py<PyAny>) -> Self {
        CallSites {
            classify,
            cache: Mutex::new(Cache::default()),
        }
    }

    /// Walks from `frame` outwards: `(call site, api, values, orm)`, where the call site is
    /// `path:line` of the first application frame (`<unknown>` when there is none), `api`
    /// the outermost `QuerySet` entry point below it, `values` the values kind, `orm` whether
    /// the SQL compiler is on the stack.
    fn locate<'py>(&self, py: Python<'py>, frame: Bound<'py, PyAny>) -> PyResult<Located<'py>> {
        let mut api = None;
        let mut values = None;
        let mut orm = false;
        let mut frame = frame;
        while !frame.is_none() {
            let code = frame.getattr(intern!(py, "f_code"))?;
            let (bits, text) = self.info(py, &code)?;
            if bits & APP != 0 {
                return Ok((site(py, &frame, text)?, api, values, orm));
            }
            if bits & API != 0 {
                api = text;
            } else if bits & ORM != 0 {
                orm = true;
            } else if bits & VALUES != 0 {
                values = text;
            }
            frame = frame.getattr(intern!(py, "f_back"))?;
        }
        Ok((PyString::new(py, "<unknown>"), api, values, orm))
    }

    /// `path:line` of the first application frame from `frame` outwards, or `<unknown>`.
    fn call_site<'py>(
        &self,
        py: Python<'py>,
        frame: Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyString>> {
        let mut frame = frame;
        while !frame.is_none() {
            let code = frame.getattr(intern!(py, "f_code"))?;
            let (bits, text) = self.info(py, &code)?;
            if bits & APP != 0 {
                return site(py, &frame, text);
            }
            frame = frame.getattr(intern!(py, "f_back"))?;
        }
        Ok(PyString::new(py, "<unknown>"))
    }

    /// Forgets every classification (after the classifier changed).
    fn clear(&self) {
        if let Ok(mut cache) = self.cache.lock() {
            cache.codes.clear();
            cache.alive.clear();
        }
    }

    /// Code objects classified so far.
    fn __len__(&self) -> usize {
        self.cache.lock().map(|c| c.codes.len()).unwrap_or(0)
    }
}

fn site<'py>(
    py: Python<'py>,
    frame: &Bound<'py, PyAny>,
    path: Option<Py<PyString>>,
) -> PyResult<Bound<'py, PyString>> {
    let line: i64 = frame
        .getattr(intern!(py, "f_lineno"))?
        .extract()
        .unwrap_or(0);
    let path = match path {
        Some(p) => p.bind(py).to_string(),
        None => String::from("<unknown>"),
    };
    Ok(PyString::new(py, &format!("{path}:{line}")))
}
