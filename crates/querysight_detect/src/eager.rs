//! Unused eager loading: paths registered by `select_related` / `prefetch_related` that were
//! never read (`runtime-scenarios.md`, section C; Bullet's "unused eager loading" in
//! `prior-art.md`).

use rustc_hash::FxHashMap;

/// One `(queryset call site, path)` pair.
#[derive(Clone, Copy, Debug)]
struct EagerPath {
    call_site: u32,
    path: u32,
    /// The path one level up (`user` for `user__occupation`), when registered as nested.
    parent: Option<u32>,
    /// Registered with rows behind it.
    loaded: bool,
    /// Read at least once.
    used: bool,
}

/// Eager-load paths of one scope, in registration order, bounded by `max_paths`.
#[derive(Debug, Default)]
pub(crate) struct EagerPaths {
    index: FxHashMap<(u32, u32), u32>,
    paths: Vec<EagerPath>,
    /// Registrations or reads ignored because the bound was reached.
    pub(crate) dropped: u64,
}

impl EagerPaths {
    /// The entry for `(call_site, path)`, created (not loaded, not used) if new and the bound
    /// allows.
    fn entry(&mut self, call_site: u32, path: u32, max_paths: usize) -> Option<&mut EagerPath> {
        let next = self.paths.len();
        let slot = match self.index.get(&(call_site, path)) {
            Some(&slot) => slot as usize,
            None => {
                if next >= max_paths || next >= u32::MAX as usize {
                    self.dropped += 1;
                    return None;
                }
                self.index.insert((call_site, path), next as u32);
                self.paths.push(EagerPath {
                    call_site,
                    path,
                    parent: None,
                    loaded: false,
                    used: false,
                });
                next
            }
        };
        self.paths.get_mut(slot)
    }

    pub(crate) fn loaded(&mut self, call_site: u32, path: u32, parent: Option<u32>, max: usize) {
        if let Some(entry) = self.entry(call_site, path, max) {
            entry.loaded = true;
            if parent.is_some() {
                entry.parent = parent;
            }
        }
    }

    /// Marks `path` and, through registered parents, every ancestor as used.
    pub(crate) fn used(&mut self, call_site: u32, path: u32, max: usize) {
        let mut next = Some(path);
        // Each step marks one distinct entry, so the walk ends even on a cyclic parent chain.
        let mut steps = 0;
        while let Some(path) = next {
            if steps > self.paths.len() {
                break;
            }
            steps += 1;
            let Some(entry) = self.entry(call_site, path, max) else {
                break;
            };
            entry.used = true;
            next = entry.parent;
        }
    }

    /// Whether `(call_site, path)` was registered as loaded.
    pub(crate) fn is_loaded(&self, call_site: u32, path: u32) -> bool {
        self.index
            .get(&(call_site, path))
            .is_some_and(|&slot| self.paths[slot as usize].loaded)
    }

    /// Loaded and never used, in registration order.
    pub(crate) fn unused(&self) -> impl Iterator<Item = (u32, u32)> + '_ {
        self.paths
            .iter()
            .filter(|p| p.loaded && !p.used)
            .map(|p| (p.call_site, p.path))
    }

    pub(crate) fn len(&self) -> usize {
        self.paths.len()
    }

    pub(crate) fn heap_bytes(&self) -> usize {
        self.paths.capacity() * std::mem::size_of::<EagerPath>()
            + self.index.capacity() * (std::mem::size_of::<((u32, u32), u32)>() + 1)
    }
}
