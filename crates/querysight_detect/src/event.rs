//! The input: one executed query, already fingerprinted by the caller.

/// What a statement does, as far as detection cares.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum QueryKind {
    /// `SELECT` (and `WITH ... SELECT`): grouped for N+1 and duplicates.
    #[default]
    Select,
    /// `INSERT`, `UPDATE`, `DELETE`: grouped only with
    /// [`DetectConfig::include_writes`](crate::DetectConfig::include_writes).
    Write,
    /// Everything else (`BEGIN`, `SAVEPOINT`, `SET`, `DECLARE`/`FETCH` of server-side cursors,
    /// DDL): counted, never grouped. Their repetition is the framework's, not the user's loop.
    Other,
}

/// One executed query within a scope.
///
/// Interned ids (`call_site`, `relation`, `origin`) are the caller's; the detector only
/// compares them. `origin` and the `call_site` given to
/// [`Scope::eager_loaded`](crate::Scope::eager_loaded) must come from the same interner for
/// [`NPlusOne::eager_defeated`](crate::NPlusOne::eager_defeated) to work.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct QueryEvent {
    /// Hash of the normalized statement (querysight_sql's fingerprint).
    pub fingerprint: u64,
    /// Hash of the literal values / bound parameters that normalization replaced.
    pub params_hash: u64,
    /// Interned call site (for example the first user frame, or template file and line);
    /// `0` means unknown, as in logs.
    pub call_site: u32,
    /// Time the database took (microseconds).
    pub duration_us: u64,
    /// Interned `Model.field` this query lazily loaded, when the caller knows it.
    pub relation: Option<u32>,
    /// Interned id of the queryset (its call site) that produced the instance this query was
    /// made for, when known: the "source" query of Sentry's rule.
    pub origin: Option<u32>,
    /// Statement kind.
    pub kind: QueryKind,
    /// The statement text was cut (log line limits, `...`): its fingerprint may merge different
    /// queries, so it never starts a finding by itself (`sql-fingerprint.md`, rule 15).
    pub truncated: bool,
    /// Which call of the call site into library code ran the query (an id the caller gives
    /// each such call; `0` means unknown, as in logs): when every execution of an N+1 came
    /// from one call, the loop is inside the library ([`NPlusOne::one_call`]).
    pub call: u64,
}

impl QueryEvent {
    /// A complete `SELECT` with no duration, relation or origin.
    pub const fn new(fingerprint: u64, params_hash: u64, call_site: u32) -> QueryEvent {
        QueryEvent {
            fingerprint,
            params_hash,
            call_site,
            duration_us: 0,
            relation: None,
            origin: None,
            kind: QueryKind::Select,
            truncated: false,
            call: 0,
        }
    }

    /// Sets [`QueryEvent::duration_us`] (microseconds).
    #[must_use]
    pub const fn with_duration_us(mut self, duration_us: u64) -> QueryEvent {
        self.duration_us = duration_us;
        self
    }

    /// Sets [`QueryEvent::relation`].
    #[must_use]
    pub const fn with_relation(mut self, relation: u32) -> QueryEvent {
        self.relation = Some(relation);
        self
    }

    /// Sets [`QueryEvent::origin`].
    #[must_use]
    pub const fn with_origin(mut self, origin: u32) -> QueryEvent {
        self.origin = Some(origin);
        self
    }

    /// Sets [`QueryEvent::kind`].
    #[must_use]
    pub const fn with_kind(mut self, kind: QueryKind) -> QueryEvent {
        self.kind = kind;
        self
    }

    /// Sets [`QueryEvent::truncated`].
    #[must_use]
    pub const fn with_truncated(mut self, truncated: bool) -> QueryEvent {
        self.truncated = truncated;
        self
    }

    /// Sets [`QueryEvent::call`].
    #[must_use]
    pub const fn with_call(mut self, call: u64) -> QueryEvent {
        self.call = call;
        self
    }
}
