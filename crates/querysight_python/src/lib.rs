//! The one crate that names `ruff_*` types. Everything else in querysight sees the Python AST
//! through the re-exports here, so a bump of Ruff's parser crates touches this crate only.
//!
//! Parsing follows Ruff's `parse_module`: Python 3 syntax as of the pinned parser (3.14 grammar).

pub use ruff_python_ast as ast;
pub use ruff_python_ast::visitor;
pub use ruff_text_size::{Ranged, TextRange, TextSize};

use ruff_python_ast::{Expr, ModModule};

/// A syntax error with its byte range in the source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    pub message: String,
    /// Byte range of the offending token.
    pub range: TextRange,
}

/// Parses a Python module.
///
/// # Errors
/// The first syntax error, with its location. Parsing never panics on any input text.
pub fn parse_module(source: &str) -> Result<ModModule, SyntaxError> {
    match ruff_python_parser::parse_module(source) {
        Ok(parsed) => Ok(parsed.into_syntax()),
        Err(err) => Err(SyntaxError {
            message: err.error.to_string(),
            range: err.location,
        }),
    }
}

/// The dotted name of a `Name` or `Attribute` chain (`models.ForeignKey` -> `models.ForeignKey`),
/// or `None` for any other expression.
pub fn dotted_name(expr: &Expr) -> Option<String> {
    match expr {
        Expr::Name(name) => Some(name.id.to_string()),
        Expr::Attribute(attr) => {
            let mut base = dotted_name(&attr.value)?;
            base.push('.');
            base.push_str(attr.attr.as_str());
            Some(base)
        }
        _ => None,
    }
}

/// The value of a plain (possibly implicitly concatenated) string literal.
pub fn string_literal(expr: &Expr) -> Option<&str> {
    match expr {
        Expr::StringLiteral(lit) => Some(lit.value.to_str()),
        _ => None,
    }
}

/// The keyword argument `name` of a call, if given.
pub fn keyword<'a>(arguments: &'a ast::Arguments, name: &str) -> Option<&'a Expr> {
    arguments
        .keywords
        .iter()
        .find(|kw| kw.arg.as_ref().is_some_and(|arg| arg.as_str() == name))
        .map(|kw| &kw.value)
}

/// `True` / `False` literal value.
pub fn bool_literal(expr: &Expr) -> Option<bool> {
    match expr {
        Expr::BooleanLiteral(b) => Some(b.value),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_reports_errors() {
        assert!(parse_module("x = 1\n").is_ok());
        let err = parse_module("def f(:\n").unwrap_err();
        assert!(!err.message.is_empty());
    }

    #[test]
    fn dotted_names() {
        let module = parse_module("models.fields.ForeignKey\n").unwrap();
        let ast::Stmt::Expr(stmt) = &module.body[0] else {
            panic!("expected an expression statement")
        };
        assert_eq!(
            dotted_name(&stmt.value).as_deref(),
            Some("models.fields.ForeignKey")
        );
    }
}
