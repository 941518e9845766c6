//! The table cache: a table read from files, kept in memory after its
//! first use so the next question does not read and decode the files
//! again (`.cache`).
//!
//! The cache has a budget in bytes (off until one is set: the shell sets
//! one, a one-shot query has nothing to gain). Tables are kept whole or
//! not at all: a table that does not fit what is left of the budget (its
//! files alone, or once read), or whose reading goes past the query
//! budget, is read from its files as before, and the cache says why. Before each use, the files behind a kept table are
//! looked at again (their list, sizes and modification times): a table
//! whose files changed is dropped and read afresh. When a new table needs
//! room, the tables used longest ago make it.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

use ::polars::prelude::DataFrame;

use super::files;

/// What the files behind a table looked like: each file with its size and
/// modification time.
#[derive(Debug, Clone, PartialEq)]
pub struct Stamp(Vec<(PathBuf, u64, Option<SystemTime>)>);

impl Stamp {
    /// The files `path` (a file or glob) names now; `None` when they
    /// cannot be listed (the scan then reports why).
    pub fn of(path: &str) -> Option<Stamp> {
        let found = files::expand(path).ok()?;
        let mut entries = Vec::with_capacity(found.len());
        for file in found {
            let metadata = std::fs::metadata(&file).ok()?;
            entries.push((file, metadata.len(), metadata.modified().ok()));
        }
        Some(Stamp(entries))
    }

    /// The files' total size.
    pub fn bytes(&self) -> u64 {
        self.0.iter().map(|(_, size, _)| size).sum()
    }
}

/// A table the cache holds, as `.cache` lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct Kept {
    pub name: String,
    pub rows: usize,
    pub bytes: u64,
    /// How long reading it into memory took.
    pub loaded_in: Duration,
}

/// Why a table is not in the cache, as `.cache` lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct Skipped {
    pub name: String,
    pub reason: String,
}

struct Entry {
    frame: DataFrame,
    stamp: Stamp,
    bytes: u64,
    loaded_in: Duration,
    /// The cache's use counter when this table was last used.
    used: u64,
}

#[derive(Default)]
struct State {
    /// `None`: the cache is off.
    budget: Option<u64>,
    entries: BTreeMap<String, Entry>,
    /// Tables not kept, with the files' stamp at the time: they are not
    /// tried again on their own until their files change.
    skipped: BTreeMap<String, (Stamp, String)>,
    uses: u64,
}

impl State {
    fn used_bytes(&self) -> u64 {
        self.entries.values().map(|e| e.bytes).sum()
    }

    /// Drops the tables used longest ago until `needed` more bytes fit;
    /// whether they do.
    fn make_room(&mut self, needed: u64) -> bool {
        let Some(budget) = self.budget else {
            return false;
        };
        while self.used_bytes().saturating_add(needed) > budget {
            let oldest = self
                .entries
                .iter()
                .min_by_key(|(_, e)| e.used)
                .map(|(name, _)| name.clone());
            match oldest {
                Some(name) => {
                    self.entries.remove(&name);
                }
                None => return false,
            }
        }
        true
    }
}

/// The cache of one session; clones share it.
#[derive(Clone, Default)]
pub struct TableCache {
    state: Arc<Mutex<State>>,
}

impl TableCache {
    fn state(&self) -> MutexGuard<'_, State> {
        // A panic while the lock was held left plain data behind: go on.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The budget (`None`: off).
    pub fn budget(&self) -> Option<u64> {
        self.state().budget
    }

    /// Sets the budget (`None` turns the cache off and empties it); kept
    /// tables that no longer fit are dropped, longest unused first.
    pub fn set_budget(&self, budget: Option<u64>) {
        let mut state = self.state();
        state.budget = budget;
        state.skipped.clear();
        if budget.is_none() {
            state.entries.clear();
        } else {
            state.make_room(0);
        }
    }

    /// Empties the cache (the budget stays).
    pub fn clear(&self) {
        let mut state = self.state();
        state.entries.clear();
        state.skipped.clear();
    }

    /// Forgets `name` (its table was replaced).
    pub fn forget(&self, name: &str) {
        let mut state = self.state();
        state.entries.remove(name);
        state.skipped.remove(name);
    }

    /// What is left of the budget.
    pub fn room(&self) -> Option<u64> {
        let state = self.state();
        state
            .budget
            .map(|budget| budget.saturating_sub(state.used_bytes()))
    }

    /// The kept frame of `name` if its files are as they were when it was
    /// read; a kept table whose files changed is dropped.
    pub fn fresh(&self, name: &str, stamp: Option<&Stamp>) -> Option<DataFrame> {
        let mut state = self.state();
        let current = state.entries.get(name).map(|e| Some(&e.stamp) == stamp)?;
        if !current {
            state.entries.remove(name);
            return None;
        }
        state.uses += 1;
        let uses = state.uses;
        let entry = state.entries.get_mut(name)?;
        entry.used = uses;
        Some(entry.frame.clone())
    }

    /// Whether `name` should be read into the cache on its own now: the
    /// cache is on, and the table was not found not to fit with these
    /// files.
    pub fn wants(&self, name: &str, stamp: &Stamp) -> bool {
        let state = self.state();
        state.budget.is_some() && state.skipped.get(name).is_none_or(|(s, _)| s != stamp)
    }

    /// Keeps `frame` as `name`, read from files that looked like `stamp`,
    /// making room if needed; `Err` says why it was not kept (and it is
    /// not tried again on its own until the files change).
    pub fn keep(
        &self,
        name: &str,
        frame: DataFrame,
        stamp: Stamp,
        loaded_in: Duration,
    ) -> Result<Kept, String> {
        let bytes = frame.estimated_size() as u64;
        let mut state = self.state();
        state.entries.remove(name);
        if !state.make_room(bytes) {
            let reason = match state.budget {
                Some(budget) => format!(
                    "needs {}, more than the cache's budget of {}",
                    super::super::memory::describe(bytes),
                    super::super::memory::describe(budget)
                ),
                None => "the cache is off".to_owned(),
            };
            state
                .skipped
                .insert(name.to_owned(), (stamp, reason.clone()));
            return Err(reason);
        }
        state.uses += 1;
        let kept = Kept {
            name: name.to_owned(),
            rows: frame.height(),
            bytes,
            loaded_in,
        };
        let used = state.uses;
        state.skipped.remove(name);
        state.entries.insert(
            name.to_owned(),
            Entry {
                frame,
                stamp,
                bytes,
                loaded_in,
                used,
            },
        );
        Ok(kept)
    }

    /// Records that `name` could not be kept, for `reason`.
    pub fn skip(&self, name: &str, stamp: Stamp, reason: String) {
        let mut state = self.state();
        state.entries.remove(name);
        state.skipped.insert(name.to_owned(), (stamp, reason));
    }

    /// The kept tables, in name order.
    pub fn kept(&self) -> Vec<Kept> {
        self.state()
            .entries
            .iter()
            .map(|(name, e)| Kept {
                name: name.clone(),
                rows: e.frame.height(),
                bytes: e.bytes,
                loaded_in: e.loaded_in,
            })
            .collect()
    }

    /// The tables not kept and why, in name order.
    pub fn skipped(&self) -> Vec<Skipped> {
        self.state()
            .skipped
            .iter()
            .map(|(name, (_, reason))| Skipped {
                name: name.clone(),
                reason: reason.clone(),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ::polars::prelude::df;

    fn frame(rows: usize) -> DataFrame {
        df!("x" => vec![1i64; rows]).expect("a frame")
    }

    fn stamp(size: u64) -> Stamp {
        Stamp(vec![(PathBuf::from("t.parquet"), size, None)])
    }

    #[test]
    fn an_off_cache_keeps_nothing() {
        let cache = TableCache::default();
        assert!(!cache.wants("t", &stamp(1)));
        assert!(
            cache
                .keep("t", frame(10), stamp(1), Duration::ZERO)
                .is_err()
        );
        assert!(cache.kept().is_empty());
    }

    #[test]
    fn a_kept_table_is_given_back_until_its_files_change() {
        let cache = TableCache::default();
        cache.set_budget(Some(1 << 20));
        let kept = cache
            .keep("t", frame(10), stamp(1), Duration::ZERO)
            .expect("fits");
        assert_eq!(kept.rows, 10);
        assert_eq!(
            cache.fresh("t", Some(&stamp(1))).map(|f| f.height()),
            Some(10)
        );
        assert!(cache.fresh("t", Some(&stamp(2))).is_none());
        // The stale table is gone, not merely hidden.
        assert!(cache.fresh("t", Some(&stamp(1))).is_none());
        assert!(cache.kept().is_empty());
    }

    #[test]
    fn tables_used_longest_ago_make_room() {
        let one = frame(1000).estimated_size() as u64;
        let cache = TableCache::default();
        cache.set_budget(Some(2 * one + one / 2));
        cache
            .keep("a", frame(1000), stamp(1), Duration::ZERO)
            .unwrap();
        cache
            .keep("b", frame(1000), stamp(1), Duration::ZERO)
            .unwrap();
        assert!(cache.fresh("a", Some(&stamp(1))).is_some());
        cache
            .keep("c", frame(1000), stamp(1), Duration::ZERO)
            .unwrap();
        let names: Vec<String> = cache.kept().into_iter().map(|k| k.name).collect();
        assert_eq!(names, ["a", "c"]);
    }

    #[test]
    fn a_table_larger_than_the_budget_is_skipped_with_a_reason_until_it_changes() {
        let cache = TableCache::default();
        cache.set_budget(Some(100));
        let reason = cache
            .keep("t", frame(1000), stamp(1), Duration::ZERO)
            .expect_err("too big");
        assert!(reason.contains("more than the cache's budget"), "{reason}");
        assert!(!cache.wants("t", &stamp(1)));
        assert!(cache.wants("t", &stamp(2)));
        assert_eq!(cache.skipped()[0].name, "t");
        cache.set_budget(None);
        assert!(cache.skipped().is_empty());
    }

    #[test]
    fn a_smaller_budget_drops_what_no_longer_fits() {
        let cache = TableCache::default();
        cache.set_budget(Some(1 << 20));
        cache
            .keep("t", frame(1000), stamp(1), Duration::ZERO)
            .unwrap();
        cache.set_budget(Some(10));
        assert!(cache.kept().is_empty());
        assert_eq!(cache.room(), Some(10));
    }
}
