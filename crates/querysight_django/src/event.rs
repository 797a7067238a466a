//! What the resolver finds: a query per row, with everything a rule needs to word it and to
//! compute the fix. Rules in `querysight_linter` turn events into diagnostics.

use querysight_python::TextRange;

use crate::facts::FileId;
use crate::graph::RelKind;

/// A file and a byte range in it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Span {
    pub file: FileId,
    pub range: TextRange,
}

impl Span {
    /// Sort key: file, then start offset, then end offset.
    pub fn key(&self) -> (FileId, u32, u32) {
        (
            self.file,
            self.range.start().into(),
            self.range.end().into(),
        )
    }
}

/// What happens once per row.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum EventKind {
    /// A single-valued relation loaded lazily (QS101).
    MissingSelect { kind: RelKind },
    /// Only the key of a forward relation is read through the related object (QS108).
    KeyOnly { attname: String, attr: String },
    /// A related manager evaluated without a prefetch (QS102).
    MissingPrefetch,
    /// A related-manager call that queries even when the relation is prefetched (QS103).
    PrefetchDiscarded { method: String, prefetched: bool },
    /// `count()` / `exists()` / `aggregate()` on a relation (QS104).
    CountPerRow { method: String },
    /// A field deferred by `only()`/`defer()` read (QS105).
    DeferredField { field: String },
    /// A queryset evaluated per row (QS106).
    QueryPerRow { method: String, model: String },
    /// A write per row (QS107).
    WritePerRow { method: String, model: String },
}

/// Where and how to fix an N+1.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct FixPlan {
    /// The queryset that produced the rows.
    pub origin: Option<Span>,
    /// The lookup path from the origin's model (`customer__team`).
    pub path: String,
    /// The path crosses a many-valued relation, or the relation can only be prefetched.
    pub prefetch: bool,
    /// Model name of the rows at the origin (`Order`).
    pub origin_model: String,
    /// The relation's query name, for `annotate(Count(...))`.
    pub lookup: String,
    /// The related model (`Review`), for `Prefetch(queryset=...)` and `Exists(...)`.
    pub target_model: String,
    /// How the related model filters back to the rows (`book`), for `Exists(...)`.
    pub remote_lookup: Option<String>,
    /// The queryset uses `select_related()` with no fields (all non-null keys): the fix must
    /// name every relation read, since naming one replaces the implicit joins.
    pub replaces_select_all: bool,
}

/// One query per row found by the resolver.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Event {
    pub kind: EventKind,
    /// Where it is reported: the access, or the call in the loop that leads to it.
    pub at: Span,
    /// Relation steps, e.g. `["Order.customer", "Customer.team"]`.
    pub relation: Vec<String>,
    pub fix: FixPlan,
    /// The access inside called code, and the calls leading to it.
    pub related: Vec<(Span, String)>,
    /// The queryset's state was partly guessed.
    pub uncertain: bool,
}
