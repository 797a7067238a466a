//! The one place where Rust errors become Python exceptions.

use pyo3::exceptions::PyValueError;
use pyo3::PyErr;

/// An unknown SQL dialect name.
pub fn unknown_dialect(name: &str) -> PyErr {
    PyValueError::new_err(format!(
        "unknown SQL dialect {name:?}: use 'postgres', 'mysql' or 'sqlite'"
    ))
}
