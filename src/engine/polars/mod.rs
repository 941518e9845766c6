//! The Polars engine: tables as lazy frames, plans lowered to lazy
//! operations, errors translated.
//!
//! Invariant: this is the only module (with `render` and `export`, which
//! write frames) that uses Polars types.

mod errors;
mod expr;
pub mod files;
mod lower;
pub mod sources;
pub mod types;

use std::collections::BTreeMap;
use std::path::Path;

use ::polars::error::abort::catch_polars_abort;
use ::polars::prelude::{DataFrame, Engine as PolarsEngine, LazyFrame};

pub use errors::describe as describe_error;
use sources::Sources;

use crate::datasets;
use crate::plan::logical::Plan;
use crate::plan::resolve::Catalog;
use crate::plan::schema::Schema;

/// What a run stopped by Ctrl-C reports.
pub const CANCELLED: &str = "cancelled";

/// Lets Ctrl-C (SIGINT) stop a running [`Engine::collect`] at the engine's
/// next batch instead of ending the process. Call once, after any panic
/// hook is set (Polars wraps it to keep its interrupt panics quiet). While
/// no query runs, SIGINT does nothing: the caller handles it.
pub fn enable_interrupts() {
    ::polars::error::abort::register_polars_abort_mechanism();
}

/// Whether a panic is Polars' way of unwinding an interrupted query.
fn is_abort(payload: &(dyn std::any::Any + Send)) -> bool {
    let text = payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str));
    text.is_some_and(|t| t.starts_with("__POLARS_ABORT_"))
}

/// The tables of a session and the means to run plans over them.
#[derive(Clone, Default)]
pub struct Engine {
    sources: Sources,
    schemas: BTreeMap<String, Schema>,
    /// The path (or glob) each file-backed table was read from, for
    /// explaining read failures.
    origins: BTreeMap<String, String>,
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
            engine.add_file(&name, &path.to_string_lossy())?;
        }
        Ok(engine)
    }

    /// Adds (or replaces) a table read from a file or glob.
    pub fn add_file(&mut self, name: &str, path: &str) -> Result<(), String> {
        let (frame, schema) = read_file(path)?;
        self.sources.insert(name, frame);
        self.schemas.insert(name.to_owned(), schema);
        self.origins.insert(name.to_owned(), path.to_owned());
        Ok(())
    }

    fn add_frame(&mut self, name: &str, frame: DataFrame) -> Result<(), String> {
        let schema = types::to_schema(frame.schema())?;
        sources::register(&mut self.sources, name, frame);
        self.schemas.insert(name.to_owned(), schema);
        Ok(())
    }

    /// The lazy frame computing `plan`.
    pub fn lazy(&self, plan: &Plan) -> Result<LazyFrame, String> {
        lower::lower(plan, &self.sources)
    }

    /// The plan Polars runs for `plan`, after its optimisations.
    pub fn explain(&self, plan: &Plan) -> Result<String, String> {
        self.lazy(plan)?
            .explain(true)
            .map_err(|e| describe_error(&e))
    }

    /// Runs `plan` to completion. A failure that a file explains (a value
    /// that does not parse, a damaged file) names the file and line. After
    /// [`enable_interrupts`], Ctrl-C stops the run with [`CANCELLED`].
    pub fn collect(&self, plan: &Plan) -> Result<DataFrame, String> {
        let frame = self.lazy(plan)?;
        let run = std::panic::AssertUnwindSafe(|| Self::run(frame));
        match catch_polars_abort(run) {
            Ok(result) => result.map_err(|e| self.explain_failure(plan, &e)),
            Err(_) => Err(CANCELLED.to_owned()),
        }
    }

    /// Polars' streaming engine processes data in batches: it keeps memory
    /// bounded on large scans and runs most queries faster. It signals an
    /// operation it does not implement by panicking; such a query runs on
    /// the in-memory engine instead. An interrupt is passed on.
    fn run(frame: LazyFrame) -> ::polars::prelude::PolarsResult<DataFrame> {
        let streaming = frame.clone();
        let streamed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || {
            streaming.collect_with_engine(PolarsEngine::Streaming)
        }));
        match streamed {
            Ok(result) => result.map(|r| r.unwrap_single()),
            Err(payload) if is_abort(payload.as_ref()) => std::panic::resume_unwind(payload),
            Err(_) => frame
                .collect_with_engine(PolarsEngine::InMemory)
                .map(|r| r.unwrap_single()),
        }
    }

    fn explain_failure(&self, plan: &Plan, error: &::polars::prelude::PolarsError) -> String {
        let mut paths = Vec::new();
        self.file_sources(plan, &mut paths);
        for path in paths {
            let (Ok(kind), Ok(found)) = (files::FileKind::of(&path), files::expand(&path)) else {
                continue;
            };
            if let Some(problem) = files::diagnose(&found, kind, error) {
                return problem;
            }
        }
        describe_error(error)
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

/// A lazy scan of the file or glob `path` with its schema in the
/// language's types; errors name the file.
fn read_file(path: &str) -> Result<(LazyFrame, Schema), String> {
    let (frame, polars_schema) = files::open(path).map_err(|e| e.to_string())?;
    let schema =
        types::to_schema(&polars_schema).map_err(|e| format!("cannot read `{path}`: {e}"))?;
    Ok((frame, schema))
}
