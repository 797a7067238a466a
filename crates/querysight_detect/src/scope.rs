//! One scope's state: counters per group, never per query.

use rustc_hash::{FxHashMap, FxHashSet};

use crate::eager::EagerPaths;
use crate::params::{Hll, ParamSet};
use crate::{DetectConfig, Duplicate, NPlusOne, QueryEvent, QueryKind, Report, Shape};

/// What queries are grouped by: Prosopite's `(fingerprint, call site)`, refined by the relation
/// and the source queryset when the caller knows them (see the crate documentation).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct GroupKey {
    fingerprint: u64,
    call_site: u32,
    relation: Option<u32>,
    origin: Option<u32>,
}

impl std::hash::Hash for GroupKey {
    /// Three words instead of the derive's six (fields plus `Option` discriminants): this hash
    /// runs once per recorded query. Equality still compares every field.
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        let id = |x: Option<u32>| x.map_or(0, |x| u64::from(x) + 1);
        state.write_u64(self.fingerprint);
        state.write_u64(u64::from(self.call_site) << 32 ^ id(self.relation));
        state.write_u64(id(self.origin));
    }
}

/// Counters of one group.
#[derive(Debug)]
struct Group {
    key: GroupKey,
    kind: QueryKind,
    /// 0-based scope position of the first execution.
    first_index: u64,
    /// Executions, truncated included.
    count: u64,
    /// Executions whose text was complete.
    complete: u64,
    /// Summed duration (microseconds).
    duration_us: u64,
    /// The first execution's [`QueryEvent::call`], and whether a later one came from another.
    call: u64,
    calls_vary: bool,
    params: ParamSet,
}

/// The state of one unit of work (request, test, task, log session): feed it every query with
/// [`record`](Scope::record), then [`finish`](Scope::finish) it.
///
/// Memory is `O(groups)`, bounded by [`DetectConfig::max_groups`], whatever the number of
/// queries; see [`Scope::heap_bytes`].
#[derive(Debug)]
pub struct Scope {
    config: DetectConfig,
    index: FxHashMap<GroupKey, u32>,
    /// Groups in order of first appearance.
    groups: Vec<Group>,
    queries: u64,
    total_duration_us: u64,
    dropped_events: u64,
    eager: EagerPaths,
    failed: bool,
    /// Writes (INSERT, UPDATE, DELETE...) and barriers seen so far: a SELECT repeated after a
    /// write may read what the write changed, and one repeated in the next unit of work (see
    /// [`Scope::barrier`]) is that unit's, so neither is a duplicate.
    epoch: u32,
}

impl Scope {
    /// An empty scope.
    pub fn new(config: DetectConfig) -> Scope {
        Scope {
            config,
            index: FxHashMap::default(),
            groups: Vec::new(),
            queries: 0,
            total_duration_us: 0,
            dropped_events: 0,
            eager: EagerPaths::default(),
            failed: false,
            epoch: 0,
        }
    }

    /// Records one executed query. Constant time on average: one hash-map lookup and a scan of
    /// at most 64 parameter hashes.
    pub fn record(&mut self, event: &QueryEvent) {
        let index = self.queries;
        self.queries += 1;
        self.total_duration_us = self.total_duration_us.saturating_add(event.duration_us);
        let epoch = self.epoch;
        let grouped = match event.kind {
            QueryKind::Select => true,
            QueryKind::Write => {
                self.epoch = self.epoch.saturating_add(1);
                self.config.include_writes
            }
            QueryKind::Other => false,
        };
        if !grouped {
            return;
        }
        let key = GroupKey {
            fingerprint: event.fingerprint,
            call_site: event.call_site,
            relation: event.relation,
            origin: event.origin,
        };
        let next = self.groups.len();
        let slot = match self.index.entry(key) {
            std::collections::hash_map::Entry::Occupied(slot) => *slot.get() as usize,
            std::collections::hash_map::Entry::Vacant(slot) => {
                if next >= self.config.max_groups || next >= u32::MAX as usize {
                    self.dropped_events += 1;
                    return;
                }
                slot.insert(next as u32);
                self.groups.push(Group {
                    key,
                    kind: event.kind,
                    first_index: index,
                    count: 0,
                    complete: 0,
                    duration_us: 0,
                    call: event.call,
                    calls_vary: false,
                    params: ParamSet::default(),
                });
                next
            }
        };
        let group = &mut self.groups[slot];
        group.calls_vary |= group.call != event.call;
        group.count += 1;
        group.complete += u64::from(!event.truncated);
        group.duration_us = group.duration_us.saturating_add(event.duration_us);
        group.params.record(
            event.params_hash,
            index,
            event.duration_us,
            !event.truncated,
            epoch,
        );
    }

    /// Events recorded so far, of every kind.
    pub fn query_count(&self) -> u64 {
        self.queries
    }

    /// Groups tracked so far (at most [`DetectConfig::max_groups`]).
    pub fn tracked_groups(&self) -> usize {
        self.groups.len()
    }

    /// Approximate heap bytes held by the tracked state (capacities, hash-map control bytes
    /// included). At most about `max_groups × 5.2 KiB` for groups plus the eager paths.
    pub fn heap_bytes(&self) -> usize {
        let groups = self.groups.capacity() * std::mem::size_of::<Group>()
            + self
                .groups
                .iter()
                .map(|g| g.params.heap_bytes())
                .sum::<usize>();
        let index = self.index.capacity() * (std::mem::size_of::<(GroupKey, u32)>() + 1);
        groups + index + self.eager.heap_bytes()
    }

    /// Registers that the queryset evaluated at `call_site` eager-loaded `path`
    /// (`select_related` / `prefetch_related`) and rows came back for it. Call it only when the
    /// related rows exist: an empty result or a null foreign key is not an unused eager load
    /// (`runtime-scenarios.md` #32, #34).
    pub fn eager_loaded(&mut self, call_site: u32, path: u32) {
        self.eager
            .loaded(call_site, path, None, self.config.max_groups);
    }

    /// Like [`eager_loaded`](Scope::eager_loaded) for a nested path (`user__occupation`) whose
    /// parent path (`user`) is `parent`: reading the nested path also counts as reading the
    /// parent (`runtime-scenarios.md` #33, #36).
    pub fn eager_loaded_nested(&mut self, call_site: u32, path: u32, parent: u32) {
        self.eager
            .loaded(call_site, path, Some(parent), self.config.max_groups);
    }

    /// Registers that `path`, eager-loaded by the queryset evaluated at `call_site`, was read.
    pub fn eager_used(&mut self, call_site: u32, path: u32) {
        self.eager.used(call_site, path, self.config.max_groups);
    }

    /// Eager-load paths tracked so far.
    pub fn tracked_eager_paths(&self) -> usize {
        self.eager.len()
    }

    /// The unit of work failed (4xx/5xx response, exception, failed task): the code that would
    /// have read the eager-loaded paths may not have run, so no unused-eager finding is made
    /// (`runtime-scenarios.md` #35). N+1 and duplicate findings are still made: the queries
    /// ran.
    pub fn mark_failed(&mut self) {
        self.failed = true;
    }

    /// A unit of work ended and another starts inside this scope (a test-client request
    /// within a test's scope): a query repeated across the boundary is no duplicate. Call
    /// sites of the next unit are told apart by the caller (the group key), so no N+1 spans
    /// two units either.
    pub fn barrier(&mut self) {
        self.epoch = self.epoch.saturating_add(1);
    }

    /// Ends the scope and computes its findings.
    #[must_use]
    pub fn finish(self) -> Report {
        let n_plus_one = self.n_plus_one();
        let in_n_plus_one = {
            let mut flags = vec![false; self.groups.len()];
            for n in &n_plus_one {
                // Groups are unique per key and every finding comes from one group.
                let key = GroupKey {
                    fingerprint: n.fingerprint,
                    call_site: n.call_site,
                    relation: n.relation,
                    origin: n.origin,
                };
                if let Some(&slot) = self.index.get(&key) {
                    flags[slot as usize] = true;
                }
            }
            flags
        };
        let duplicates = self.duplicates(&in_n_plus_one);
        let shapes = self.shapes();
        let unused_eager = if self.failed {
            Vec::new()
        } else {
            let defeated: FxHashSet<(u32, u32)> = n_plus_one
                .iter()
                .filter(|n| n.eager_defeated)
                .filter_map(|n| Some((n.origin?, n.relation?)))
                .collect();
            self.eager
                .unused()
                .filter(|pair| !defeated.contains(pair))
                .collect()
        };
        Report {
            n_plus_one,
            duplicates,
            unused_eager,
            shapes,
            queries: self.queries,
            total_duration_us: self.total_duration_us,
            dropped_events: self.dropped_events,
            dropped_eager: self.eager.dropped,
        }
    }

    fn n_plus_one(&self) -> Vec<NPlusOne> {
        let threshold = self.config.effective_threshold();
        self.groups
            .iter()
            .filter(|g| {
                g.complete > 0
                    && g.count >= threshold
                    && g.duration_us >= self.config.min_total_duration_us
            })
            .filter_map(|g| {
                let distinct_params = g.params.distinct();
                if distinct_params < 2 {
                    return None;
                }
                let eager_defeated = match (g.key.relation, g.key.origin) {
                    (Some(relation), Some(origin)) => self.eager.is_loaded(origin, relation),
                    _ => false,
                };
                Some(NPlusOne {
                    fingerprint: g.key.fingerprint,
                    call_site: g.key.call_site,
                    relation: g.key.relation,
                    origin: g.key.origin,
                    kind: g.kind,
                    count: g.count,
                    distinct_params: distinct_params.min(g.count),
                    total_duration_us: g.duration_us,
                    first_index: g.first_index,
                    eager_defeated,
                    one_call: g.call != 0 && !g.calls_vary,
                })
            })
            .collect()
    }

    /// Queries repeated with the same parameters and no write in between, across call sites.
    /// Executions in an N+1 group are that N+1's, never a duplicate's; a repeat after a write
    /// may read what the write changed, so it is not counted as avoidable.
    fn duplicates(&self, in_n_plus_one: &[bool]) -> Vec<Duplicate> {
        struct Acc {
            duplicate: Duplicate,
            complete: bool,
            /// Avoidable repeats: within a group (`ParamStat::redundant`), and a later group's
            /// first execution in an epoch an earlier group had run in.
            redundant: u64,
            last_epoch: u32,
            /// The call site of the first avoidable repeat (in group order: approximate when
            /// a group's own repeat and a later group's interleave).
            repeat_site: Option<u32>,
        }
        let mut acc: FxHashMap<(u64, u64), Acc> = FxHashMap::default();
        for (slot, group) in self.groups.iter().enumerate() {
            if in_n_plus_one[slot] {
                continue;
            }
            for (params_hash, stat) in group.params.exact() {
                let fingerprint = group.key.fingerprint;
                let entry = match acc.entry((fingerprint, params_hash)) {
                    std::collections::hash_map::Entry::Vacant(slot) => slot.insert(Acc {
                        duplicate: Duplicate {
                            fingerprint,
                            params_hash,
                            call_site: group.key.call_site,
                            repeat_site: group.key.call_site,
                            count: 0,
                            total_duration_us: 0,
                            first_index: stat.first_index,
                        },
                        complete: false,
                        redundant: 0,
                        last_epoch: stat.last_epoch,
                        repeat_site: None,
                    }),
                    std::collections::hash_map::Entry::Occupied(slot) => {
                        let entry = slot.into_mut();
                        // Groups come in order of first execution.
                        if stat.first_epoch <= entry.last_epoch {
                            entry.redundant += 1;
                            entry.repeat_site.get_or_insert(group.key.call_site);
                        }
                        entry.last_epoch = entry.last_epoch.max(stat.last_epoch);
                        entry
                    }
                };
                entry.redundant += u64::from(stat.redundant);
                if stat.redundant > 0 {
                    entry.repeat_site.get_or_insert(group.key.call_site);
                }
                let d = &mut entry.duplicate;
                d.count += u64::from(stat.count);
                d.total_duration_us = d.total_duration_us.saturating_add(stat.duration_us);
                if stat.first_index < d.first_index {
                    d.first_index = stat.first_index;
                    d.call_site = group.key.call_site;
                }
                entry.complete |= stat.complete;
            }
        }
        let threshold = self.config.effective_duplicate_threshold();
        let mut out: Vec<Duplicate> = acc
            .into_values()
            .filter(|a| {
                a.complete
                    && a.redundant + 1 >= threshold
                    && a.duplicate.total_duration_us >= self.config.min_total_duration_us
            })
            .map(|a| Duplicate {
                repeat_site: a.repeat_site.unwrap_or(a.duplicate.call_site),
                ..a.duplicate
            })
            .collect();
        out.sort_unstable_by_key(|d| d.first_index);
        out
    }

    /// Totals per query shape so far, in order of first execution (as in
    /// [`Report::shapes`](crate::Report::shapes)); the scope goes on.
    pub fn shapes(&self) -> Vec<Shape> {
        let mut by_fingerprint: FxHashMap<u64, usize> = FxHashMap::default();
        let mut members: Vec<Vec<usize>> = Vec::new();
        for (slot, group) in self.groups.iter().enumerate() {
            let shape = *by_fingerprint
                .entry(group.key.fingerprint)
                .or_insert_with(|| {
                    members.push(Vec::new());
                    members.len() - 1
                });
            members[shape].push(slot);
        }
        members
            .iter()
            .map(|slots| {
                let first = &self.groups[slots[0]];
                let mut shape = Shape {
                    fingerprint: first.key.fingerprint,
                    kind: first.kind,
                    count: 0,
                    distinct_params: 0,
                    groups: slots.len() as u64,
                    total_duration_us: 0,
                    first_index: first.first_index,
                };
                for &slot in slots {
                    let g = &self.groups[slot];
                    shape.count += g.count;
                    shape.total_duration_us = shape.total_duration_us.saturating_add(g.duration_us);
                }
                shape.distinct_params = self.union_distinct(slots).min(shape.count);
                shape
            })
            .collect()
    }

    /// Distinct parameter hashes over several groups: exact while every group is exact, a
    /// merged sketch otherwise.
    fn union_distinct(&self, slots: &[usize]) -> u64 {
        if let [slot] = slots {
            return self.groups[*slot].params.distinct();
        }
        let exact: FxHashSet<u64> = slots
            .iter()
            .flat_map(|&s| self.groups[s].params.exact().map(|(h, _)| h))
            .collect();
        let sketches: Vec<&Hll> = slots
            .iter()
            .filter_map(|&s| self.groups[s].params.sketch())
            .collect();
        if sketches.is_empty() {
            return exact.len() as u64;
        }
        let mut union = Hll::new();
        for sketch in &sketches {
            union.merge(sketch);
        }
        for &h in &exact {
            union.insert(h);
        }
        let largest = slots
            .iter()
            .map(|&s| self.groups[s].params.distinct())
            .max()
            .unwrap_or(0);
        union.estimate().max(largest).max(exact.len() as u64)
    }
}

/// Runs one scope over `events` (log analysis: the caller splits the log into scopes).
#[must_use]
pub fn detect(events: impl IntoIterator<Item = QueryEvent>, config: &DetectConfig) -> Report {
    let mut scope = Scope::new(*config);
    for event in events {
        scope.record(&event);
    }
    scope.finish()
}
