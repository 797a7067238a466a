//! N+1, duplicate and unused-eager-load detection over the queries of one scope.
//!
//! A *scope* is one unit of work: a request, a test, a task, or a session read from logs. The
//! caller (the runtime layer or the log reader) fingerprints each statement elsewhere
//! (querysight_sql) and feeds [`QueryEvent`]s to a [`Scope`], or a whole stream to [`detect`].
//! [`Scope::finish`] returns a [`Report`]. This crate does no I/O, knows no SQL text and no
//! Python, and never fails.
//!
//! The rules follow `shared/reference/sql-fingerprint.md` ("N+1 from a stream of queries") and
//! the detector-relevant cases of `shared/reference/runtime-scenarios.md` (sections A, B, C);
//! the peers they improve on are in `shared/reference/prior-art.md`.
//!
//! # Groups
//!
//! Queries are grouped by `(fingerprint, call_site)`: Prosopite's rule, so the same relation
//! read once each on two lines is not an N+1 (scenarios #3, #13, #14). A `call_site` of 0 means
//! unknown (logs): such queries group by fingerprint alone. When the caller knows them, the
//! lazily loaded `relation` and the `origin` (the queryset that produced the instances) are
//! part of the key too. Without them (SQL level, logs) the key is exactly Prosopite's. With
//! them, one finding names one thing to fix, at the place the fix goes ("the fix belongs where
//! the queryset is built", `prior-art.md`):
//! - two relations of one model read on one line (`o.main_store, o.backup_store`) give two
//!   findings, each naming its relation, and a single row no longer looks like a loop;
//! - converging prefetch paths (`main_store__region`, `backup_store__region`) issue one batch
//!   query per path from one call site, for instances of different origins: not an N+1
//!   (scenario #11), while `prefetch_related_objects([obj], ...)` per row, same origin, is
//!   (scenario #10).
//!
//! Interleaving is normal: a loop touching two relations alternates two fingerprints, and each
//! group is counted on its own. No ordering ("consecutive", Sentry's rule) is required.
//!
//! # N+1
//!
//! A group is an N+1 when it ran at least [`DetectConfig::threshold`] times (default 2) with at
//! least two distinct `params_hash` values. The same parameters again and again are a
//! duplicate, not an N+1 (scenario #4: a related queryset evaluated twice on one object).
//!
//! # Duplicates
//!
//! The same `(fingerprint, params_hash)` at least [`DetectConfig::duplicate_threshold`] times
//! (default 2), from any call site, is one [`Duplicate`], with the call site of its first
//! occurrence and that of its first avoidable repeat, where keeping the first result saves
//! the query (scenarios #29, #30). Executions in a reported N+1 group are that N+1's and
//! never count toward a duplicate: the same loop reading the same row twice (two posts by one
//! author), or a row read once outside the loop and again in it; fixing the N+1 removes
//! them, so one finding per cause. Only avoidable repeats count: an execution that follows a
//! write (any INSERT, UPDATE, DELETE... of the scope, grouped or not) may read what the write
//! changed, so "keep the first result" would be wrong, and it is no repeat of the executions
//! before the write.
//!
//! # Truncated statements
//!
//! A cut statement's fingerprint may merge different queries (`sql-fingerprint.md`, rule 15).
//! Truncated events count toward a group's executions, duration and parameters, but a group
//! (or a duplicate) whose executions are all truncated is never reported.
//!
//! # Query kinds
//!
//! Only [`QueryKind::Select`] is grouped by default; [`QueryKind::Write`] is with
//! [`DetectConfig::include_writes`]. [`QueryKind::Other`] (transactions, savepoints, cursor
//! `FETCH`es of `.iterator()`) is counted in [`Report::queries`] but never grouped.
//!
//! # Thresholds
//!
//! [`DetectConfig::min_total_duration_us`] drops N+1 groups and duplicates whose summed time is
//! below it (default 0). Tests and development flag at 2 repeats; [`DetectConfig::production`]
//! uses 5 repeats and 50 ms, Sentry's defaults (Scout APM: 5 and 150 ms).
//!
//! # Memory and accuracy
//!
//! A scope keeps counters per group, never per query. Per group, the first 64 distinct
//! `params_hash` values are kept exactly, each with its count, duration and first position (they
//! feed the duplicate check). Past 64, a 2 KiB HyperLogLog sketch (2,048 one-byte registers,
//! read with Ertl's 2017 improved estimator) estimates the distinct count: standard error about
//! 2.3 %, measured mean error 1.0–1.8 % and worst of 20 runs 4.7 % from 65 to 1,000,000
//! distinct values. Consequences: `distinct_params` is exact up to 64 and estimated above
//! (never below 65 once past 64, never above `count`); duplicates are found among the first 64
//! parameter sets of each group (a group past 64 is an N+1 and reported as one anyway). A group
//! costs at most about 5.2 KiB (64 × 48 B exact entries, a 128 B index over them, the 2 KiB
//! sketch); at most [`DetectConfig::max_groups`] groups (default 10,000) are
//! tracked, and the events of further groups are counted in [`Report::dropped_events`].
//! [`Scope::heap_bytes`] reports the footprint.
//!
//! # Unused eager loading (opt-in)
//!
//! The caller registers each `select_related` / `prefetch_related` path of a queryset that
//! returned rows ([`Scope::eager_loaded`], [`Scope::eager_loaded_nested`]) and each read
//! ([`Scope::eager_used`]). A path registered and never read is reported in
//! [`Report::unused_eager`] (scenarios #31–#33); nested paths are separate findings, and
//! reading a nested path reads its parents (#36). Empty results and null foreign keys are never
//! registered (#32, #34). A scope marked with [`Scope::mark_failed`] (error responses) makes no
//! unused-eager finding (#35). When per-row queries ran on a relation the same queryset
//! eager-loaded (`.first()` or `.count()` on a prefetched manager, #24), the N+1 says so with
//! [`NPlusOne::eager_defeated`], and the path is not also reported as unused.
//!
//! # Order
//!
//! Every list in a [`Report`] is in order of first appearance in the scope, so reports are
//! deterministic for a given event stream.

mod config;
mod eager;
mod event;
mod params;
mod report;
mod scope;

pub use config::DetectConfig;
pub use event::{QueryEvent, QueryKind};
pub use report::{Duplicate, NPlusOne, Report, Shape};
pub use scope::{detect, Scope};
