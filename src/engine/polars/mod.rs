//! The Polars engine: tables as lazy frames, plans lowered to lazy
//! operations, errors translated.
//!
//! Invariant: this is the only module (with `render` and `export`, which
//! write frames) that uses Polars types.

pub mod cache;
mod declared;
pub(crate) mod errors;
mod expr;
pub mod files;
mod lower;
mod parquet_check;
mod ranges;
pub mod sources;
pub use crate::frame::types;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

use ::polars::error::abort::catch_polars_abort;
use ::polars::prelude::{DataFrame, Engine as PolarsEngine, IntoLazy, LazyFrame};

use cache::{Kept, Stamp, TableCache};
pub use errors::describe as describe_error;
use sources::Sources;

use crate::datasets;
use crate::engine::memory;
use crate::plan::logical::Plan;
use crate::plan::resolve::Catalog;
use crate::plan::schema::Schema;

pub use crate::engine::RunError;

/// Lets Ctrl-C (SIGINT) stop a running [`Engine::collect`] at the engine's
/// next batch instead of ending the process. Call once, after any panic
/// hook is set (Polars wraps it to keep its interrupt panics quiet). While
/// no query runs, SIGINT does nothing: the caller handles it.
pub fn enable_interrupts() {
    ::polars::error::abort::register_polars_abort_mechanism();
}

/// Asks the engine to stop every running query at its next batch. Polars'
/// one way to abort a query from outside it, apart from SIGINT (which the
/// shell keeps for Ctrl-C), is the abort it uses when spilling runs out of
/// disk: it raises a flag the running query polls, then unwinds the
/// calling thread, which this catches.
fn stop_running_queries() {
    let _ = std::panic::catch_unwind(|| ::polars::error::abort::polars_abort_ooc_out_of_disk());
}

/// Engine runs in progress, on any thread (see [`catches_panics`]).
static RUNS_IN_PROGRESS: AtomicUsize = AtomicUsize::new(0);

/// Whether a panic raised now is caught and answered by a running query:
/// the streaming engine's panics send the query to the in-memory engine,
/// the in-memory engine's fail the query with their message, and Polars
/// unwinds an interrupted query by panicking. A panic hook has nothing to
/// report for those; reporting them printed bug messages above queries
/// that then answered.
pub fn catches_panics() -> bool {
    RUNS_IN_PROGRESS.load(Ordering::SeqCst) > 0
}

/// Counts one engine run while it lives, however it ends.
struct InProgress;

impl InProgress {
    fn start() -> InProgress {
        RUNS_IN_PROGRESS.fetch_add(1, Ordering::SeqCst);
        InProgress
    }
}

impl Drop for InProgress {
    fn drop(&mut self) {
        RUNS_IN_PROGRESS.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Whether a panic is Polars' way of unwinding an interrupted query.
fn is_abort(payload: &(dyn std::any::Any + Send)) -> bool {
    let text = payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str));
    text.is_some_and(|t| t.starts_with("__POLARS_ABORT_"))
}

/// A row count above which a `take` or `top` is not fused into the sort or
/// scan below it (see [`Engine::lazy`]).
const LARGE_LIMIT: u64 = 1 << 20;

fn has_large_limit(plan: &Plan) -> bool {
    matches!(plan, Plan::Limit { count, .. } if *count > LARGE_LIMIT)
        || plan.inputs().into_iter().any(has_large_limit)
}

/// The tables of a session and the means to run plans over them.
#[derive(Clone, Default)]
pub struct Engine {
    sources: Sources,
    schemas: BTreeMap<String, Schema>,
    /// The path (or glob) each file-backed table was read from, for
    /// explaining read failures.
    origins: BTreeMap<String, String>,
    /// File-backed tables kept in memory (`.cache`); clones share it.
    cache: TableCache,
}

impl Engine {
    /// An engine with the bundled datasets as its tables.
    pub fn with_bundled_datasets() -> Result<Engine, String> {
        let mut engine = Engine::default();
        for (definition, csv) in datasets::bundled() {
            let frame = sources::bundled(definition, csv)?;
            engine.add_frame(definition.name, frame)?;
        }
        Ok(engine)
    }

    /// An engine whose tables are the CSV, TSV, Parquet, NDJSON and JSON
    /// files of `dir`, each named after its file (without extension).
    pub fn from_dir(dir: &Path) -> Result<Engine, String> {
        let tables = files::data_files(dir).map_err(|e| e.to_string())?;
        if tables.is_empty() {
            return Err(format!(
                "no data files in `{}` (looked for .csv, .tsv, .parquet, .ndjson, .jsonl, .json)",
                dir.display()
            ));
        }
        let mut engine = Engine::default();
        for (name, path) in tables {
            // `data_files` keeps only paths that are UTF-8.
            let path = path.to_string_lossy();
            let (frame, inferred) = files::open(&path).map_err(|e| e.to_string())?;
            match declared::open_declared(&name, &path, &inferred)? {
                Some((frame, schema)) => engine.add_scan(&name, &path, frame, &schema)?,
                None => engine.add_scan(&name, &path, frame, &inferred)?,
            }
        }
        Ok(engine)
    }

    /// Adds (or replaces) a table scanning `path` as `frame` does.
    fn add_scan(
        &mut self,
        name: &str,
        path: &str,
        frame: LazyFrame,
        schema: &::polars::prelude::Schema,
    ) -> Result<(), String> {
        let schema = types::to_schema(schema).map_err(|e| format!("cannot read `{path}`: {e}"))?;
        self.cache.forget(name);
        self.sources.insert(name, frame);
        self.schemas.insert(name.to_owned(), schema);
        self.origins.insert(name.to_owned(), path.to_owned());
        Ok(())
    }

    /// Adds (or replaces) a table read from a file or glob.
    pub fn add_file(&mut self, name: &str, path: &str) -> Result<(), String> {
        let (frame, schema) = read_file(path)?;
        self.cache.forget(name);
        self.sources.insert(name, frame);
        self.schemas.insert(name.to_owned(), schema);
        self.origins.insert(name.to_owned(), path.to_owned());
        Ok(())
    }

    /// Adds (or replaces) an empty table with `schema`'s columns.
    pub fn add_empty(&mut self, name: &str, schema: &Schema) -> Result<(), String> {
        let columns: Vec<::polars::prelude::Column> = schema
            .columns
            .iter()
            .map(|c| {
                ::polars::prelude::Column::new_empty(c.name.as_str().into(), &types::to_dtype(c.ty))
            })
            .collect();
        let frame = DataFrame::new(0, columns).map_err(|e| describe_error(&e))?;
        self.add_frame(name, frame)
    }

    /// Adds (or replaces) a table holding `frame`.
    pub fn add_frame(&mut self, name: &str, frame: DataFrame) -> Result<(), String> {
        let schema = types::to_schema(frame.schema())?;
        self.cache.forget(name);
        self.origins.remove(name);
        sources::register(&mut self.sources, name, frame);
        self.schemas.insert(name.to_owned(), schema);
        Ok(())
    }

    /// The session's table cache (`.cache`).
    pub fn cache(&self) -> &TableCache {
        &self.cache
    }

    /// The lazy frame computing `plan`, over the tables kept in the cache
    /// where they are (without reading any table into it).
    pub fn lazy(&self, plan: &Plan) -> Result<LazyFrame, String> {
        let sources = self.sources_for(plan, false).map_err(|e| e.to_string())?;
        Self::lower_over(plan, &sources)
    }

    fn lower_over(plan: &Plan, sources: &Sources) -> Result<LazyFrame, String> {
        // Polars' expression simplifier rewrites `a and not a` to false
        // inside filters, which is wrong where `a` is null and the result
        // is tested further (`where not (a and not a)` dropped rows that
        // hold). The plan arrives as the language meant it; it is not
        // simplified again.
        let frame = lower::lower(plan, sources)?.with_simplify_expr(false);
        // Polars sizes a sort that keeps N rows by N, before it knows how
        // many rows there are (`top 100000000 by x` asked for 4 GB on a
        // table of 22 rows). Past a size that fusing only a large limit
        // into its sort could save, the two stay apart.
        Ok(if has_large_limit(plan) {
            frame.with_slice_pushdown(false)
        } else {
            frame
        })
    }

    /// The plan Polars runs for `plan`, after its optimisations.
    pub fn explain(&self, plan: &Plan) -> Result<String, String> {
        self.lazy(plan)?
            .explain(true)
            .map_err(|e| describe_error(&e))
    }

    /// Runs `plan` to completion. A failure that a file explains (a value
    /// that does not parse, a damaged file) names the file and line. After
    /// [`enable_interrupts`], Ctrl-C stops the run with
    /// [`RunError::Cancelled`].
    ///
    /// While it runs, the process's memory is watched (see
    /// [`memory`](crate::engine::memory)): past the budget the run stops
    /// the same way, with a message saying so.
    ///
    /// With the cache on, each file-backed table the plan reads is read
    /// into it first, when it fits (see [`cache`]).
    pub fn collect(&self, plan: &Plan) -> Result<DataFrame, RunError> {
        let sources = self.sources_for(plan, true)?;
        let frame = Self::lower_over(plan, &sources).map_err(RunError::Failed)?;
        let run = std::panic::AssertUnwindSafe(|| Self::run(frame));
        let watch = memory::Watch::start(stop_running_queries);
        let outcome = catch_polars_abort(run);
        let over_budget = watch.exceeded();
        let refused = watch.refused();
        drop(watch);
        if refused {
            return Err(RunError::OutOfMemory);
        }
        match (outcome, over_budget) {
            (_, Some(limit)) => Err(RunError::OverBudget(limit)),
            (Ok(Ok(result)), None) => result.map_err(|e| self.explain_failure(plan, &e)),
            (Ok(Err(panicked)), None) => Err(RunError::Failed(panicked)),
            (Err(_), None) => Err(RunError::Cancelled),
        }
    }

    /// The tables `plan` reads: kept frames for the file-backed tables the
    /// cache holds (fresh ones), read into it first when `load` and the
    /// cache wants them; the scans otherwise.
    fn sources_for(&self, plan: &Plan, load: bool) -> Result<Sources, RunError> {
        let mut names = Vec::new();
        table_names(plan, &mut names);
        let mut sources: Option<Sources> = None;
        for name in names {
            let Some(path) = self.origins.get(&name) else {
                continue;
            };
            let stamp = Stamp::of(path);
            let kept = self.cache.fresh(&name, stamp.as_ref());
            if stamp.is_none() {
                // The files are gone or unreadable since the table was
                // added: say which, rather than the scan's bare "not found".
                if let Err(error) = files::expand(path) {
                    return Err(RunError::Failed(error.to_string()));
                }
            }
            let frame = match kept {
                Some(frame) => Some(frame),
                None => match stamp {
                    Some(stamp) if load && self.cache.wants(&name, &stamp) => {
                        self.read_into_cache(&name, stamp)?.ok()
                    }
                    _ => None,
                },
            };
            if let Some(frame) = frame {
                sources
                    .get_or_insert_with(|| self.sources.clone())
                    .insert(&name, frame.lazy());
            }
        }
        Ok(sources.unwrap_or_else(|| self.sources.clone()))
    }

    /// Reads the file-backed table `name` into the cache now (`.cache load
    /// NAME`): `Ok(Err(reason))` when it is not kept, an error when
    /// reading it fails or is cancelled.
    pub fn load_into_cache(&self, name: &str) -> Result<Result<Kept, String>, RunError> {
        let Some(path) = self.origins.get(name) else {
            return Ok(Err(if self.schemas.contains_key(name) {
                format!("`{name}` is not read from files")
            } else {
                format!("no table `{name}`")
            }));
        };
        let Some(stamp) = Stamp::of(path) else {
            return Err(RunError::Failed(match files::expand(path) {
                Err(e) => e.to_string(),
                Ok(_) => format!("cannot look at the files of `{path}`"),
            }));
        };
        let frame = self.read_into_cache(name, stamp)?;
        Ok(frame.map(|_| {
            self.cache
                .kept()
                .into_iter()
                .find(|k| k.name == name)
                .expect("a table just kept is listed")
        }))
    }

    /// Reads `name` whole (its files look like `stamp`) under the query
    /// budget, and keeps it when it fits what is left of the cache's.
    fn read_into_cache(
        &self,
        name: &str,
        stamp: Stamp,
    ) -> Result<Result<DataFrame, String>, RunError> {
        let Some(room) = self.cache.room() else {
            return Ok(Err(
                "the cache is off: give it a budget with .cache SIZE".to_owned()
            ));
        };
        let Some(scan) = self.sources.table(name) else {
            return Ok(Err(format!("no table `{name}`")));
        };
        let not_kept = |reason: String| {
            self.cache.skip(name, stamp.clone(), reason.clone());
            Ok(Err(reason))
        };
        // Decoded, a table takes at least the room of its files: one that
        // cannot fit is not read for nothing.
        if stamp.bytes() > room {
            return not_kept(format!(
                "its files alone take {}, more than the {} left in the cache",
                memory::describe(stamp.bytes()),
                memory::describe(room)
            ));
        }
        let started = std::time::Instant::now();
        let watch = memory::Watch::start(stop_running_queries);
        let outcome = catch_polars_abort(std::panic::AssertUnwindSafe(|| Self::run(scan)));
        let (exceeded, refused) = (watch.exceeded(), watch.refused());
        drop(watch);
        if refused {
            return not_kept("reading it, the system refused more memory".to_owned());
        }
        if let Some(limit) = exceeded {
            return not_kept(format!(
                "reading it went past the memory budget of {}",
                memory::describe(limit)
            ));
        }
        match outcome {
            Ok(Ok(Ok(frame))) => Ok(self
                .cache
                .keep(name, frame.clone(), stamp, started.elapsed())
                .map(|_| frame)),
            Ok(Ok(Err(error))) => Err(self.explain_failure(
                &Plan::Table {
                    name: name.to_owned(),
                },
                &error,
            )),
            Ok(Err(panicked)) => Err(RunError::Failed(panicked)),
            Err(_) => Err(RunError::Cancelled),
        }
    }

    /// Polars' streaming engine processes data in batches: it keeps memory
    /// bounded on large scans and runs most queries faster. It signals an
    /// operation it does not implement by panicking; such a query runs on
    /// the in-memory engine instead. An interrupt is passed on.
    ///
    /// A panic of the in-memory engine fails the query (`Err` of the outer
    /// result, with its message) instead of the process.
    fn run(frame: LazyFrame) -> Result<::polars::prelude::PolarsResult<DataFrame>, String> {
        let _counted = InProgress::start();
        let streaming = frame.clone();
        let streamed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || {
            streaming.collect_with_engine(PolarsEngine::Streaming)
        }));
        match streamed {
            Ok(result) => Ok(result.map(|r| r.unwrap_single())),
            Err(payload) if is_abort(payload.as_ref()) => std::panic::resume_unwind(payload),
            Err(_) => {
                let in_memory = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || {
                    frame.collect_with_engine(PolarsEngine::InMemory)
                }));
                match in_memory {
                    Ok(result) => Ok(result.map(|r| r.unwrap_single())),
                    Err(payload) if is_abort(payload.as_ref()) => {
                        std::panic::resume_unwind(payload)
                    }
                    Err(payload) => Err(errors::panicked(payload.as_ref())),
                }
            }
        }
    }

    fn explain_failure(&self, plan: &Plan, error: &::polars::prelude::PolarsError) -> RunError {
        if errors::is_out_of_memory(error) {
            return RunError::OutOfMemory;
        }
        if let Some(message) = errors::duplicate_key(error) {
            return RunError::Failed(message);
        }
        if errors::is_overflow(error) {
            let checked = plan.checked_texts();
            let texts: Vec<String> = checked.iter().map(|(text, _)| text.clone()).collect();
            return RunError::Overflow {
                message: errors::overflow(&texts),
                at: match checked.as_slice() {
                    [(_, span)] => Some(*span),
                    _ => None,
                },
            };
        }
        let mut paths = Vec::new();
        self.file_sources(plan, &mut paths);
        for path in paths {
            let (Ok(kind), Ok(found)) = (files::FileKind::of(&path), files::expand(&path)) else {
                continue;
            };
            if let Some(problem) = files::diagnose(&found, kind, error) {
                return RunError::Failed(problem);
            }
        }
        RunError::Failed(describe_error(error))
    }

    /// The paths of the files `plan` reads, directly or through tables.
    fn file_sources(&self, plan: &Plan, out: &mut Vec<String>) {
        match plan {
            Plan::File { path } => out.push(path.clone()),
            Plan::Table { name } => out.extend(self.origins.get(name).cloned()),
            _ => {
                for input in plan.inputs() {
                    self.file_sources(input, out);
                }
            }
        }
    }

    /// Table names with their schemas, in name order.
    pub fn tables(&self) -> impl Iterator<Item = (&str, &Schema)> {
        self.schemas.iter().map(|(n, s)| (n.as_str(), s))
    }
}

impl Catalog for Engine {
    fn table(&self, name: &str) -> Option<Schema> {
        self.schemas.get(name).cloned()
    }

    fn table_names(&self) -> Vec<String> {
        self.schemas.keys().cloned().collect()
    }

    fn file(&self, path: &str) -> Result<Schema, String> {
        read_file(path).map(|(_, schema)| schema)
    }
}

/// The names of the tables `plan` reads, each once, in the order met.
fn table_names(plan: &Plan, out: &mut Vec<String>) {
    if let Plan::Table { name } = plan
        && !out.contains(name)
    {
        out.push(name.clone());
    }
    for input in plan.inputs() {
        table_names(input, out);
    }
}

/// A lazy scan of the file or glob `path` with its schema in the
/// language's types; errors name the file.
fn read_file(path: &str) -> Result<(LazyFrame, Schema), String> {
    let (frame, polars_schema) = files::open(path).map_err(|e| e.to_string())?;
    let schema =
        types::to_schema(&polars_schema).map_err(|e| format!("cannot read `{path}`: {e}"))?;
    Ok((frame, schema))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ::polars::prelude::{Column, Field, IntoLazy, Schema as PolarsSchema, col, df};

    /// The fuzzer saw a bug message printed above a query that then
    /// answered: a panic the engine caught was reported by the hook. While
    /// a run is in progress the hook is told to keep quiet, and afterwards
    /// it is not, whether the run answered or panicked.
    #[test]
    fn panics_inside_a_run_are_caught_and_marked_as_expected() {
        let frame = df!("x" => [1i64, 2])
            .expect("frame")
            .lazy()
            .select([col("x").map(
                |_: Column| -> ::polars::prelude::PolarsResult<Column> {
                    assert!(catches_panics(), "the hook would report this panic");
                    panic!("boom in the engine")
                },
                |_: &PolarsSchema, f: &Field| Ok(f.clone()),
            )]);
        let answer = Engine::run(frame);
        assert!(
            matches!(&answer, Err(message) if message.contains("boom in the engine")),
            "{answer:?}"
        );
        assert!(!catches_panics());
    }
}
