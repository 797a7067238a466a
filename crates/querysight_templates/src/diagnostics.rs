//! Source positions and the diagnostics a template can produce.
//!
//! Parsing never fails: every problem becomes a [`Diagnostic`] next to the tree that could be
//! built anyway (the habit of rust-analyzer's parser).

use std::fmt;

/// Which file a node or diagnostic comes from.
///
/// [`crate::parse`] gives every span `FileId(0)`. A [`crate::Resolver`] gives each file it loads
/// its own id (an index into [`crate::Resolver::file`]), so a tree assembled from a base
/// template, its children and its includes still says where each node came from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FileId(pub u32);

/// A region of a template's source.
///
/// `offset`/`len` are in bytes of the UTF-8 source. `line` and `column` describe the first
/// character and are 1-based; `column` counts chars (Unicode scalar values), like
/// `querysight_diagnostics::Location`. Only `\n` ends a line.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Span {
    /// Byte offset of the first byte.
    pub offset: u32,
    /// Length in bytes.
    pub len: u32,
    /// 1-based line of the first character.
    pub line: u32,
    /// 1-based column (in chars) of the first character.
    pub column: u32,
    /// The file the span points into.
    pub file: FileId,
}

impl Span {
    /// The byte range `offset..offset + len`, to slice the source with.
    pub fn range(&self) -> std::ops::Range<usize> {
        let start = self.offset as usize;
        start..start + self.len as usize
    }

    /// The byte offset one past the last byte.
    pub fn end(&self) -> u32 {
        self.offset + self.len
    }
}

impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// What kind of problem a [`Diagnostic`] reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DiagnosticKind {
    /// Django would raise `TemplateSyntaxError` (bad tag arguments, unparsable variable, ...).
    Syntax,
    /// `{{` or `{%` with no closing delimiter on the same line. Django renders it as text, so
    /// this is a warning: it is almost always a typo.
    Unterminated,
    /// A block tag (`{% for %}`, `{% if %}`, ...) without its end tag.
    Unclosed,
    /// An end or intermediate tag (`{% endif %}`, `{% else %}`) that closes nothing.
    Stray,
    /// The file uses Jinja2-only syntax (`{% set %}`, `{% macro %}`, `{{ f() }}`, `{%-`): it is
    /// parsed loosely, but it is not a Django template. Given once per file.
    NotDjango,
    /// The file holds NUL bytes or invalid UTF-8; it is skipped. Given once per file.
    Binary,
    /// Nesting too deep, or too many diagnostics: the parser stopped following the structure.
    Limit,
    /// Resolution: `{% extends %}`/`{% include %}` names a template that the loader cannot find.
    NotFound,
    /// Resolution: `{% extends %}`/`{% include %}` with a non-literal name.
    Dynamic,
    /// Resolution: a template extends itself, or includes itself (recursive include).
    Cycle,
}

/// One problem found in a template, with its position.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// The kind of problem.
    pub kind: DiagnosticKind,
    /// A sentence for people, without position (see `span`).
    pub message: String,
    /// Where: usually the tag or variable at fault.
    pub span: Span,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.span, self.message)
    }
}

/// At most this many diagnostics are kept per parsed file; one more says the rest were dropped.
pub(crate) const MAX_DIAGNOSTICS: usize = 200;

/// Collects diagnostics up to [`MAX_DIAGNOSTICS`].
#[derive(Default)]
pub(crate) struct Diags {
    pub(crate) list: Vec<Diagnostic>,
    dropped: bool,
}

impl Diags {
    pub(crate) fn push(&mut self, kind: DiagnosticKind, message: impl Into<String>, span: Span) {
        if self.list.len() < MAX_DIAGNOSTICS {
            self.list.push(Diagnostic {
                kind,
                message: message.into(),
                span,
            });
        } else if !self.dropped {
            self.dropped = true;
            self.list.push(Diagnostic {
                kind: DiagnosticKind::Limit,
                message: format!("more than {MAX_DIAGNOSTICS} problems; the rest are not reported"),
                span,
            });
        }
    }
}
