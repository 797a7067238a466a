//! Normalized statements, cached per process: Django builds the same SQL text for every
//! execution of a query shape (the values travel as parameters), so a text is normalized
//! once, not once per query. Bounded: at most [`MAX_ENTRIES`] texts per dialect (the map is
//! emptied when full), statements longer than [`MAX_SQL_LEN`] bytes are not kept.

use std::sync::{Arc, Mutex};

use querysight_sql::{Dialect, Normalized};
use rustc_hash::FxHashMap;

const MAX_ENTRIES: usize = 4096;
const MAX_SQL_LEN: usize = 16 * 1024;

type Cache = FxHashMap<Dialect, FxHashMap<String, Arc<[Normalized]>>>;

static CACHE: Mutex<Option<Cache>> = Mutex::new(None);

/// `querysight_sql::normalize(sql, dialect)`, from the cache when the text was seen before.
pub fn normalize(sql: &str, dialect: Dialect) -> Arc<[Normalized]> {
    if sql.len() > MAX_SQL_LEN {
        return querysight_sql::normalize(sql.as_bytes(), dialect).into();
    }
    if let Ok(guard) = CACHE.lock() {
        if let Some(hit) = guard.as_ref().and_then(|c| c.get(&dialect)?.get(sql)) {
            return Arc::clone(hit);
        }
    }
    let normalized: Arc<[Normalized]> = querysight_sql::normalize(sql.as_bytes(), dialect).into();
    if let Ok(mut guard) = CACHE.lock() {
        let texts = guard
            .get_or_insert_with(Cache::default)
            .entry(dialect)
            .or_default();
        if texts.len() >= MAX_ENTRIES {
            texts.clear();
        }
        texts.insert(sql.to_string(), Arc::clone(&normalized));
    }
    normalized
}
