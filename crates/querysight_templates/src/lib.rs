//! Django template front end for querysight's static checker.
//!
//! - [`parse`] / [`parse_file`] / [`parse_bytes`]: an error-recovering lexer and parser that
//!   follow Django's `django/template/base.py` (`Lexer`, `Parser`, `FilterExpression`),
//!   `defaulttags.py`, `loader_tags.py` and `templatetags/i18n.py`. Parsing never fails and
//!   never panics: problems are [`Diagnostic`]s next to as much tree as could be built. Every
//!   node, name and variable lookup has a [`Span`] (byte offset, 1-based line and column).
//!   Linear time: `memchr` finds tag openers, no per-char allocation.
//! - [`Resolver`]: the effective tree of a template with `{% extends %}` applied (child blocks
//!   override, `{{ block.super }}` keeps the parent's content) and literal `{% include %}`s
//!   expanded (depth limit, cycle detection); spans say which file each node came from.
//! - [`TemplateDirs`] and [`find_template_dirs`]: Django's template lookup order
//!   (`TEMPLATES["DIRS"]`, then app `templates/` directories) and a settings-free guess.
//! - [`Visitor`]: a walk over the tree, to collect the variables read in a scope.
//!
//! ```
//! use querysight_templates::{parse, Node};
//!
//! let t = parse("{% for b in books %}{{ b.author.name|default:'?' }}{% endfor %}");
//! let Node::For(f) = &t.nodes[0] else { panic!() };
//! assert_eq!(f.targets[0].name, "b");
//! let Node::Var(v) = &f.body[0] else { panic!() };
//! assert_eq!(v.lookup().unwrap().dotted(), "b.author.name");
//! assert_eq!((v.span.line, v.span.column), (1, 24));
//! assert!(t.diagnostics.is_empty());
//! ```

mod ast;
mod condition;
mod diagnostics;
mod discover;
mod dump;
mod expr;
mod inherit;
mod lexer;
mod locate;
mod parser;
mod visit;

pub use ast::{
    Binding, BlockNode, Clause, CompareOp, Expansion, Filter, ForNode, Ident, IfBranch, IfExpr,
    IfNode, IncludeNode, Literal, LiteralValue, Load, Lookup, Node, Operand, RegroupNode, TagArg,
    TagNode, Template, TemplateKind, TemplateRef, VarExpr, WithNode,
};
pub use diagnostics::{Diagnostic, DiagnosticKind, FileId, Span};
pub use discover::{find_template_dirs, DirsLoader, TemplateDirs};
pub use dump::{dump_nodes, dump_template};
pub use inherit::{relative_name, Loader, ResolveOptions, Resolved, Resolver, TemplateFile};
pub use parser::{parse_file, MAX_NESTING};
pub use visit::{lookups, walk_expr, walk_node, walk_nodes, Visitor};

/// Parses a template held in memory; spans get `FileId(0)`. See [`parse_file`].
pub fn parse(source: &str) -> Template {
    parse_file(source, FileId(0))
}

/// Parses a file's bytes. A file with a NUL byte or invalid UTF-8 is not a template: the
/// result is empty, of kind [`TemplateKind::Binary`], with one [`DiagnosticKind::Binary`]
/// diagnostic at the first offending byte. Otherwise the same as [`parse_file`].
pub fn parse_bytes(bytes: &[u8], file: FileId) -> Template {
    let bad = match std::str::from_utf8(bytes) {
        Ok(text) => match memchr::memchr(0, bytes) {
            None => return parse_file(text, file),
            Some(at) => (at, "a NUL byte"),
        },
        Err(e) => (e.valid_up_to(), "invalid UTF-8"),
    };
    let (at, what) = bad;
    let mut lines = lexer::LineTracker::new(bytes);
    let (line, column) = lines.advance(at);
    Template {
        kind: TemplateKind::Binary,
        diagnostics: vec![Diagnostic {
            kind: DiagnosticKind::Binary,
            message: format!("not a text template ({what}): skipped"),
            span: Span {
                offset: at as u32,
                len: 1,
                line,
                column,
                file,
            },
        }],
        ..Template::default()
    }
}
