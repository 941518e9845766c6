//! `--data DIR` files named after a bundled table (`services.csv`, …) are
//! that table: read with its declared column types, not inferred ones, so a
//! query that works on the bundled data works on imported data too (an
//! all-empty column stays a date, a float column whose values happen to be
//! whole stays a float). The history columns `infraql import --git` adds
//! (revision, commit, gone_in) may follow the declared ones, and
//! `revisions` is declared too.
//!
//! A file whose columns do not fit its table is an error naming the file and
//! the column; a file with any other name is a table of its own, typed by
//! inference as any file is.

use std::sync::Arc;

use ::polars::prelude::{DataType, LazyFrame, Schema as PolarsSchema, col};

use super::files::{self, FileKind};
use crate::datasets::history;
use crate::datasets::tables::{self, ColumnDef};
use crate::frame::types::{to_dtype, to_type};
use crate::plan::types::Type;

/// The declared columns of the table a file named `name` stands for, or
/// `None` when no table is declared under that name.
fn declared_columns(name: &str) -> Option<&'static [ColumnDef]> {
    if name == history::REVISIONS.name {
        return Some(history::REVISIONS.columns);
    }
    tables::find(name).map(|def| def.columns)
}

/// The scan of `path` as the table `name` (declared types, declared order),
/// or `None` when `name` is not a declared table. `inferred` is the file's
/// own schema as a plain scan reads it.
pub fn open_declared(
    name: &str,
    path: &str,
    inferred: &PolarsSchema,
) -> Result<Option<(LazyFrame, PolarsSchema)>, String> {
    let Some(declared) = declared_columns(name) else {
        return Ok(None);
    };
    let wanted = wanted_columns(name, path, declared, inferred)?;
    let kind = FileKind::of(path).map_err(|e| e.to_string())?;
    let types: PolarsSchema = wanted
        .iter()
        .map(|column| (column.name.into(), to_dtype(column.ty)))
        .collect();
    let frame = match kind {
        // The CSV reader parses each column as its declared type; a value
        // that does not fit is reported by line and column when read.
        FileKind::Csv | FileKind::Tsv => {
            files::scan_typed(path, Some(Arc::new(types.clone()))).map_err(|e| e.to_string())?
        }
        _ => {
            let mut frame = files::scan(path).map_err(|e| e.to_string())?;
            let mut casts = Vec::new();
            for column in &wanted {
                let found = inferred.get(column.name).unwrap_or(&DataType::Null);
                if !fits(found, column.ty) {
                    return Err(format!(
                        "`{path}`: column `{}` holds {} values, but table `{name}` declares it {}",
                        column.name,
                        described(to_type(found)),
                        described(Some(column.ty))
                    ));
                }
                casts.push(col(column.name).cast(to_dtype(column.ty)));
            }
            frame = frame.with_columns(casts);
            frame
        }
    };
    let order: Vec<_> = wanted.iter().map(|column| col(column.name)).collect();
    Ok(Some((frame.select(order), types)))
}

/// The declared columns the file has, in declared order (history columns
/// last); an error names a column that is missing or not declared.
fn wanted_columns(
    name: &str,
    path: &str,
    declared: &'static [ColumnDef],
    inferred: &PolarsSchema,
) -> Result<Vec<ColumnDef>, String> {
    let is_revisions = name == history::REVISIONS.name;
    let has_history = !is_revisions
        && history::COLUMNS
            .iter()
            .any(|column| inferred.contains(column.name));
    let mut wanted: Vec<ColumnDef> = declared.to_vec();
    if has_history {
        wanted.extend_from_slice(history::COLUMNS);
    }
    for found in inferred.iter_names() {
        if !wanted.iter().any(|column| column.name == found.as_str()) {
            return Err(format!(
                "`{path}`: column `{found}` is not a column of table `{name}`; a file named \
                 after one of infraql's tables must have that table's columns (rename the file \
                 to read it as a table of its own)"
            ));
        }
    }
    if let Some(missing) = wanted.iter().find(|column| !inferred.contains(column.name)) {
        return Err(format!(
            "`{path}`: has no column `{}`, which table `{name}` declares (rename the file \
             to read it as a table of its own)",
            missing.name
        ));
    }
    Ok(wanted)
}

/// Whether a column read as `found` holds values of `declared` without loss.
fn fits(found: &DataType, declared: Type) -> bool {
    match (to_type(found), declared) {
        (Some(Type::Null), _) => true,
        (Some(ty), wanted) if ty == wanted => true,
        (Some(Type::Int), Type::Float) => true,
        (Some(Type::Date), Type::Datetime) => true,
        _ => false,
    }
}

fn described(ty: Option<Type>) -> &'static str {
    match ty {
        Some(Type::Int) => "integer",
        Some(Type::Float) => "number",
        Some(Type::String) => "text",
        Some(Type::Bool) => "true/false",
        Some(Type::Date) => "date",
        Some(Type::Datetime) => "datetime",
        Some(Type::Duration) => "duration",
        Some(Type::Null) => "empty",
        None => "unsupported",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema(columns: &[(&str, DataType)]) -> PolarsSchema {
        columns
            .iter()
            .map(|(name, dtype)| ((*name).into(), dtype.clone()))
            .collect()
    }

    #[test]
    fn other_names_are_tables_of_their_own() {
        let inferred = schema(&[("x", DataType::Int64)]);
        assert!(
            open_declared("mine", "mine.csv", &inferred)
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn columns_must_be_the_declared_ones() {
        let mut columns: Vec<(&str, DataType)> = tables::DEPLOYMENTS
            .columns
            .iter()
            .map(|c| (c.name, to_dtype(c.ty)))
            .collect();
        let declared = tables::DEPLOYMENTS.columns;
        assert_eq!(
            wanted_columns("deployments", "d.csv", declared, &schema(&columns))
                .unwrap()
                .len(),
            4
        );
        columns.push(("extra", DataType::String));
        let error = wanted_columns("deployments", "d.csv", declared, &schema(&columns));
        assert!(
            error
                .unwrap_err()
                .starts_with("`d.csv`: column `extra` is not a column of table `deployments`")
        );
        columns.pop();
        columns.remove(1);
        let error = wanted_columns("deployments", "d.csv", declared, &schema(&columns));
        assert!(
            error
                .unwrap_err()
                .starts_with("`d.csv`: has no column `ip`, which table `deployments` declares")
        );
    }

    #[test]
    fn history_columns_come_all_together() {
        let mut columns: Vec<(&str, DataType)> = tables::DEPLOYMENTS
            .columns
            .iter()
            .map(|c| (c.name, to_dtype(c.ty)))
            .collect();
        columns.push(("revision", DataType::Int64));
        let declared = tables::DEPLOYMENTS.columns;
        let error = wanted_columns("deployments", "d.csv", declared, &schema(&columns));
        assert!(error.unwrap_err().contains("has no column `commit`"));
        columns.push(("commit", DataType::String));
        columns.push(("gone_in", DataType::Null));
        let wanted = wanted_columns("deployments", "d.csv", declared, &schema(&columns)).unwrap();
        assert_eq!(wanted.last().unwrap().name, "gone_in");
    }

    #[test]
    fn widening_and_empty_columns_fit_other_changes_do_not() {
        assert!(fits(&DataType::Null, Type::Date));
        assert!(fits(&DataType::Int64, Type::Float));
        assert!(fits(&DataType::Int32, Type::Int));
        assert!(!fits(&DataType::String, Type::Int));
        assert!(!fits(&DataType::Float64, Type::Int));
    }
}
