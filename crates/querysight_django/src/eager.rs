//! The eager-loading state of a queryset: what `select_related`, `prefetch_related`,
//! `Prefetch(..., to_attr=...)`, `only`/`defer` and `values` did to it, as a tree keyed by
//! relation accessor.
//!
//! Follows Django's `QuerySet` semantics: `select_related()` with no argument follows every
//! non-null forward key; `select_related(None)` and `prefetch_related(None)` clear; `only()`
//! replaces the loaded-field set and `defer()` adds to the deferred set; `values()` /
//! `values_list()` rows are not model instances.

use std::collections::BTreeMap;

/// How a relation in the tree is loaded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoadKind {
    /// JOINed by `select_related`.
    Select,
    /// Loaded by `prefetch_related` into the related manager's cache.
    Prefetch,
}

/// The loaded-field restriction from `only()` / `defer()`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FieldMask {
    /// Only these fields (and the primary key) are loaded.
    Only(Vec<String>),
    /// These fields are deferred.
    Defer(Vec<String>),
}

impl FieldMask {
    /// Whether reading `field` runs a query (the primary key never does).
    pub fn defers(&self, field: &str) -> bool {
        if field == "pk" || field == "id" {
            return false;
        }
        match self {
            FieldMask::Only(fields) => !fields.iter().any(|f| f == field),
            FieldMask::Defer(fields) => fields.iter().any(|f| f == field),
        }
    }
}

/// One node of the eager-load tree.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EagerState {
    /// `select_related()` with no arguments: every non-null forward key is joined.
    pub select_all: bool,
    /// Relation accessor -> how it is loaded and what is loaded below it.
    pub children: BTreeMap<String, (LoadKind, EagerState)>,
    /// `Prefetch(..., to_attr=name)`: a plain list of related objects on `name`.
    pub to_attr: BTreeMap<String, ToAttr>,
    /// `only()` / `defer()` on this level.
    pub mask: Option<FieldMask>,
    /// `values()` / `values_list()`: rows are dicts or tuples.
    pub values: bool,
    /// Some argument could not be read statically (a variable, `*args`): the state is a guess.
    pub uncertain: bool,
    /// Relations the filter proved null (`filter(parent__isnull=True)`, `filter(parent=None)`):
    /// reading them returns `None` without a query.
    pub null: Vec<String>,
}

/// A `Prefetch(lookup, queryset=..., to_attr=name)` result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ToAttr {
    /// The relation accessor the lookup named (last component).
    pub relation: String,
    pub state: EagerState,
}

impl EagerState {
    /// Adds `select_related("a__b")`.
    pub fn add_path(&mut self, path: &str, kind: LoadKind) {
        let mut node = self;
        for part in path.split("__").filter(|p| !p.is_empty()) {
            let entry = node
                .children
                .entry(part.to_string())
                .or_insert_with(|| (kind, EagerState::default()));
            // A relation both selected and prefetched is loaded either way.
            node = &mut entry.1;
        }
    }

    /// Adds a prefetch whose last level carries its own queryset state (and maybe `to_attr`).
    pub fn add_prefetch(&mut self, path: &str, state: EagerState, to_attr: Option<&str>) {
        let parts: Vec<&str> = path.split("__").filter(|p| !p.is_empty()).collect();
        let Some((last, init)) = parts.split_last() else {
            return;
        };
        let mut node = self;
        for part in init {
            node = &mut node
                .children
                .entry((*part).to_string())
                .or_insert_with(|| (LoadKind::Prefetch, EagerState::default()))
                .1;
        }
        match to_attr {
            Some(attr) => {
                node.to_attr.insert(
                    attr.to_string(),
                    ToAttr {
                        relation: (*last).to_string(),
                        state,
                    },
                );
            }
            None => {
                let entry = node
                    .children
                    .entry((*last).to_string())
                    .or_insert_with(|| (LoadKind::Prefetch, EagerState::default()));
                entry.1.merge_from(&state);
            }
        }
    }

    fn merge_from(&mut self, other: &EagerState) {
        self.select_all |= other.select_all;
        self.uncertain |= other.uncertain;
        for (k, (kind, st)) in &other.children {
            self.children
                .entry(k.clone())
                .or_insert_with(|| (*kind, EagerState::default()))
                .1
                .merge_from(st);
        }
        for (k, v) in &other.to_attr {
            self.to_attr.insert(k.clone(), v.clone());
        }
        if other.mask.is_some() {
            self.mask.clone_from(&other.mask);
        }
    }

    /// `only("a", "b", "rel__c")`: fields of this level, and of joined relations below.
    pub fn apply_only(&mut self, fields: &[String]) {
        let mut own = Vec::new();
        for f in fields {
            match f.split_once("__") {
                Some((rel, rest)) => {
                    if let Some((_, child)) = self.children.get_mut(rel) {
                        child.apply_only(&[rest.to_string()]);
                    }
                    own.push(rel.to_string());
                }
                None => own.push(f.clone()),
            }
        }
        match &mut self.mask {
            Some(FieldMask::Only(existing)) if !existing.is_empty() => existing.extend(own),
            _ => self.mask = Some(FieldMask::Only(own)),
        }
    }

    /// `defer("a", "rel__c")`.
    pub fn apply_defer(&mut self, fields: &[String]) {
        for f in fields {
            if let Some((rel, rest)) = f.split_once("__") {
                if let Some((_, child)) = self.children.get_mut(rel) {
                    child.apply_defer(&[rest.to_string()]);
                }
                continue;
            }
            match &mut self.mask {
                Some(FieldMask::Defer(existing)) => existing.push(f.clone()),
                Some(FieldMask::Only(existing)) => existing.retain(|e| e != f),
                None => self.mask = Some(FieldMask::Defer(vec![f.clone()])),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_paths_build_a_tree() {
        let mut s = EagerState::default();
        s.add_path("customer__team", LoadKind::Select);
        let (_, customer) = &s.children["customer"];
        assert!(customer.children.contains_key("team"));
    }

    #[test]
    fn only_and_defer() {
        let mut s = EagerState::default();
        s.apply_only(&["title".into()]);
        let mask = s.mask.clone().unwrap();
        assert!(mask.defers("price"));
        assert!(!mask.defers("title"));
        assert!(!mask.defers("pk"));
        let mut d = EagerState::default();
        d.apply_defer(&["summary".into()]);
        assert!(d.mask.unwrap().defers("summary"));
    }
}
