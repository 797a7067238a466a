//! The output of one scope.

use crate::QueryKind;

/// Findings and totals of one scope, returned by [`Scope::finish`](crate::Scope::finish) and
/// [`detect`](crate::detect). Every list is in order of first appearance in the scope.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    /// Groups repeated with different parameters.
    pub n_plus_one: Vec<NPlusOne>,
    /// Identical queries (same fingerprint and parameters) repeated, outside N+1 groups.
    pub duplicates: Vec<Duplicate>,
    /// Eager-load paths registered with rows and never read, as `(queryset call site, path)`.
    /// Empty when the scope was [`mark_failed`](crate::Scope::mark_failed).
    pub unused_eager: Vec<(u32, u32)>,
    /// Every grouped query shape (fingerprint) with its totals across call sites: the
    /// "similar queries" view (django-debug-toolbar's term, `prior-art.md`).
    pub shapes: Vec<Shape>,
    /// Events recorded, of every kind.
    pub queries: u64,
    /// Summed duration of every recorded event (microseconds).
    pub total_duration_us: u64,
    /// Events of a new group ignored because [`DetectConfig::max_groups`](crate::DetectConfig)
    /// groups were already tracked. Non-zero means findings may be missing.
    pub dropped_events: u64,
    /// Eager-load registrations or reads ignored because `max_groups` paths were tracked.
    pub dropped_eager: u64,
}

/// One N+1: a query shape run from one call site, for one relation and one source, with
/// different parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NPlusOne {
    /// Fingerprint of the repeated statement.
    pub fingerprint: u64,
    /// Where it ran (interned); 0 when unknown.
    pub call_site: u32,
    /// The lazily loaded `Model.field`, when the caller knew it.
    pub relation: Option<u32>,
    /// The queryset that produced the instances (where the fix goes), when known.
    pub origin: Option<u32>,
    /// `Select`, or `Write` with [`DetectConfig::include_writes`](crate::DetectConfig).
    pub kind: QueryKind,
    /// Executions, truncated ones included.
    pub count: u64,
    /// Distinct parameter hashes: exact up to 64, a HyperLogLog estimate (≈2.3 % standard
    /// error) above.
    pub distinct_params: u64,
    /// Summed duration of the group (microseconds).
    pub total_duration_us: u64,
    /// 0-based position in the scope of the group's first query.
    pub first_index: u64,
    /// `relation` was eager-loaded on `origin` (registered with
    /// [`Scope::eager_loaded`](crate::Scope::eager_loaded) as `(origin, relation)`) and the
    /// per-row queries ran anyway: the call throws the prefetch away (`.first()`,
    /// `.filter()`, `.count()` on a prefetched manager; `runtime-scenarios.md` #24).
    pub eager_defeated: bool,
    /// Every execution came from one call of the call site into library code (one known
    /// [`QueryEvent::call`]): the loop is inside the library, not at the call site.
    pub one_call: bool,
}

/// The same statement with the same parameters run more than once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Duplicate {
    /// Fingerprint of the statement.
    pub fingerprint: u64,
    /// Its parameters' hash.
    pub params_hash: u64,
    /// Call site of the first occurrence; 0 when unknown.
    pub call_site: u32,
    /// Call site of the first avoidable repeat (a repeat with no write or barrier since the
    /// previous execution): where keeping the first result saves the query. `call_site` when
    /// the repeat ran there too.
    pub repeat_site: u32,
    /// Executions, from any call site.
    pub count: u64,
    /// Summed duration of those executions (microseconds).
    pub total_duration_us: u64,
    /// 0-based position in the scope of the first occurrence.
    pub first_index: u64,
}

/// Totals of one query shape across its call sites.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shape {
    /// Fingerprint of the shape.
    pub fingerprint: u64,
    /// Kind of its first execution.
    pub kind: QueryKind,
    /// Executions.
    pub count: u64,
    /// Distinct parameter hashes across call sites (exact while every group is exact).
    pub distinct_params: u64,
    /// Distinct `(call site, relation, origin)` groups it ran from.
    pub groups: u64,
    /// Summed duration (microseconds).
    pub total_duration_us: u64,
    /// 0-based position in the scope of its first execution.
    pub first_index: u64,
}
