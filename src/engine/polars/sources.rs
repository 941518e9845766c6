//! Where rows come from: in-memory tables and lazily scanned files.
//!
//! Tables are registered by name (the bundled datasets, `--data DIR`,
//! `--table NAME=PATH`); `from "path"` scans files (see `files`).

use std::collections::BTreeMap;
use std::io::Cursor;
use std::sync::Arc;

use ::polars::prelude::{
    CsvReadOptions, DataFrame, IntoLazy, LazyFrame, Schema as PolarsSchema, SerReader,
};

use super::types::to_dtype;
use crate::datasets::tables::TableDef;

/// The named tables of a session.
#[derive(Default, Clone)]
pub struct Sources {
    tables: BTreeMap<String, LazyFrame>,
}

impl Sources {
    pub fn insert(&mut self, name: &str, frame: LazyFrame) {
        self.tables.insert(name.to_owned(), frame);
    }

    pub fn table(&self, name: &str) -> Option<LazyFrame> {
        self.tables.get(name).cloned()
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.tables.keys().map(String::as_str)
    }

    /// A lazy scan of `path`, format from its extension; the error names
    /// the file.
    pub fn scan(&self, path: &str) -> Result<LazyFrame, String> {
        super::files::scan(path).map_err(|e| e.to_string())
    }
}

/// Parses a bundled CSV with the declared column types.
pub fn bundled(definition: &TableDef, csv: &'static str) -> Result<DataFrame, String> {
    let schema: PolarsSchema = definition
        .columns
        .iter()
        .map(|c| (c.name.into(), to_dtype(c.ty)))
        .collect();
    CsvReadOptions::default()
        .with_has_header(true)
        .with_schema(Some(Arc::new(schema)))
        .into_reader_with_file_handle(Cursor::new(csv.as_bytes()))
        .finish()
        .map_err(|e| format!("bundled table `{}` is damaged: {e}", definition.name))
}

/// Registers a frame as a lazy table.
pub fn register(sources: &mut Sources, name: &str, frame: DataFrame) {
    sources.insert(name, frame.lazy());
}
