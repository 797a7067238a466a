//! `querysight._native`: the Rust core as seen from Python. Glue only: SQL fingerprints
//! (`querysight_sql`), the per-scope detector (`querysight_detect`) and the command-line
//! program (`querysight::run`). The Python facade is `python/querysight`; the stub is
//! `python/querysight/_native.pyi`, checked against this module by `stubtest`.

mod capture;
mod error;
mod frames;
mod scope;
mod sql_cache;
#[allow(unsafe_code)] // CPython 3.11's frames read in place: the one unsafe module
mod stack;

use pyo3::prelude::*;

use querysight_sql::Dialect;

pub(crate) fn dialect(name: &str) -> PyResult<Dialect> {
    name.parse::<Dialect>()
        .map_err(|_| error::unknown_dialect(name))
}

/// `(fingerprint, canonical text)` of the first statement of `sql`.
#[pyfunction]
fn fingerprint(sql: &str, dialect: &str) -> PyResult<(u64, String)> {
    let dialect = crate::dialect(dialect)?;
    let first = querysight_sql::normalize(sql.as_bytes(), dialect)
        .into_iter()
        .next();
    Ok(match first {
        Some(n) => (n.fingerprint, n.text),
        None => (0, String::new()),
    })
}

/// Runs the `querysight` program with `argv` (program name first); returns the exit code.
#[pyfunction]
fn cli_main(py: Python<'_>, argv: Vec<String>) -> u8 {
    py.detach(|| querysight::run(argv))
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_function(wrap_pyfunction!(fingerprint, m)?)?;
    m.add_function(wrap_pyfunction!(cli_main, m)?)?;
    m.add_class::<scope::Scope>()?;
    m.add_class::<frames::CallSites>()?;
    m.add_class::<capture::Capture>()?;
    Ok(())
}
