//! Detection settings (frozen: the code only reads them).

/// Thresholds and bounds for one [`Scope`](crate::Scope).
///
/// The defaults are for tests and development, where a repeat is already worth a look
/// (`sql-fingerprint.md`, "N+1 from a stream of queries": "tests and development flag at 2
/// repeats"). [`DetectConfig::production`] gives the higher production defaults.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DetectConfig {
    /// A group is an N+1 when it ran at least this many times (executions, counted) with at
    /// least two distinct parameter hashes. Default 2; values below 2 behave as 2.
    pub threshold: u32,
    /// The same `(fingerprint, params_hash)` at least this many times is a duplicate
    /// (executions, counted). Default 2; values below 2 behave as 2.
    pub duplicate_threshold: u32,
    /// Findings (N+1 groups and duplicates) whose summed duration is below this are dropped
    /// (microseconds). Default 0: report regardless of time.
    pub min_total_duration_us: u64,
    /// Upper bound on tracked groups (`(fingerprint, call site, relation, origin)` keys) and,
    /// separately, on tracked eager-load paths. Events of a new group past the bound are
    /// counted in [`Report::dropped_events`](crate::Report::dropped_events) and otherwise
    /// ignored. Default 10,000.
    pub max_groups: usize,
    /// Also group `Write` events (INSERT/UPDATE/DELETE), so that a `save()` per row is an N+1
    /// and an identical write twice is a duplicate. Default `false`: writes only count toward
    /// [`Report::queries`](crate::Report::queries) and the total duration.
    pub include_writes: bool,
}

impl DetectConfig {
    /// Tests and development: flag at 2 repeats, no time floor.
    pub const DEVELOPMENT: DetectConfig = DetectConfig {
        threshold: 2,
        duplicate_threshold: 2,
        min_total_duration_us: 0,
        max_groups: 10_000,
        include_writes: false,
    };

    /// Production sampling: 5 repeats and 50 ms in total, Sentry's N+1 span detector defaults
    /// (5 repeats, 50–100 ms; Scout APM uses 5 and 150 ms), per `prior-art.md` and
    /// `sql-fingerprint.md`.
    pub const fn production() -> DetectConfig {
        DetectConfig {
            threshold: 5,
            duplicate_threshold: 5,
            min_total_duration_us: 50_000,
            ..DetectConfig::DEVELOPMENT
        }
    }

    /// `threshold`, raised to 2 (an N+1 needs two distinct parameter sets anyway).
    pub(crate) fn effective_threshold(&self) -> u64 {
        u64::from(self.threshold.max(2))
    }

    /// `duplicate_threshold`, raised to 2 (one execution is never a duplicate).
    pub(crate) fn effective_duplicate_threshold(&self) -> u64 {
        u64::from(self.duplicate_threshold.max(2))
    }
}

impl Default for DetectConfig {
    fn default() -> Self {
        DetectConfig::DEVELOPMENT
    }
}
