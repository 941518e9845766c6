//! Where rows come from: in-memory tables and lazily scanned files.
//!
//! Tables are registered by name (the bundled datasets, `--data DIR`);
//! `from "path"` scans a file by its extension. Scans are lazy, so Polars
//! reads only the columns and rows a query needs.

use std::collections::BTreeMap;
use std::io::Cursor;
use std::path::Path;
use std::sync::Arc;

use ::polars::prelude::{
    CsvReadOptions, DataFrame, IntoLazy, LazyCsvReader, LazyFileListReader, LazyFrame,
    LazyJsonLineReader, PlRefPath, ScanArgsParquet, Schema as PolarsSchema, SerReader,
};

use super::types::to_dtype;
use crate::datasets::tables::TableDef;

/// The file formats that can be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    Csv,
    Tsv,
    Parquet,
    Ndjson,
}

impl FileKind {
    pub fn of(path: &str) -> Result<FileKind, String> {
        let extension = Path::new(path)
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        match extension.as_deref() {
            Some("csv") => Ok(FileKind::Csv),
            Some("tsv") | Some("tab") => Ok(FileKind::Tsv),
            Some("parquet") | Some("pq") => Ok(FileKind::Parquet),
            Some("ndjson") | Some("jsonl") | Some("json") => Ok(FileKind::Ndjson),
            _ => Err(format!(
                "cannot read `{path}`: the extension must be .csv, .tsv, .parquet, .ndjson, .jsonl or .json"
            )),
        }
    }
}

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

    /// A lazy scan of `path`, format from its extension.
    pub fn scan(&self, path: &str) -> Result<LazyFrame, String> {
        scan(path)
    }
}

/// A lazy scan of a file, format from its extension.
pub fn scan(path: &str) -> Result<LazyFrame, String> {
    let kind = FileKind::of(path)?;
    if !Path::new(path).exists() {
        return Err(format!("no such file: `{path}`"));
    }
    let source = PlRefPath::new(path);
    let frame = match kind {
        FileKind::Csv | FileKind::Tsv => LazyCsvReader::new(source)
            .with_has_header(true)
            .with_separator(if kind == FileKind::Tsv { b'\t' } else { b',' })
            .with_try_parse_dates(true)
            .with_infer_schema_length(Some(10_000))
            .finish(),
        FileKind::Parquet => LazyFrame::scan_parquet(source, ScanArgsParquet::default()),
        FileKind::Ndjson => LazyJsonLineReader::new(source).finish(),
    };
    frame.map_err(|e| format!("cannot read `{path}`: {}", super::errors::describe(&e)))
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
