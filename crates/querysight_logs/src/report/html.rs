//! HTML report (todo).
use crate::analysis::Analysis;
/// Renders.
pub fn render(_a: &Analysis, _top: usize) -> String { String::new() }
