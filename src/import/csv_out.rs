//! Writing the imported tables as CSV files, all or nothing.
//!
//! Every table is first written to a temporary file in the output directory;
//! only when all of them are complete are they renamed into place, so a
//! failed import never leaves a mix of old and new tables behind.

use std::fs;
use std::io::Write;
use std::path::Path;

use tempfile::NamedTempFile;

use super::diagnostics::ImportError;
use super::records::{Cell, Table};

/// Writes `<out_dir>/<table>.csv` for each table, creating `out_dir` if needed.
pub fn write_tables(out_dir: &Path, tables: &[Table]) -> Result<(), ImportError> {
    let files: Vec<CsvFile<'_>> = tables
        .iter()
        .map(|table| CsvFile {
            name: table.def.name,
            header: table.def.column_names().collect(),
            rows: &table.rows,
        })
        .collect();
    write_files(out_dir, &files)
}

/// One CSV file to write: `<name>.csv` with `header`, then `rows`.
pub struct CsvFile<'a> {
    pub name: &'a str,
    pub header: Vec<&'a str>,
    pub rows: &'a [Vec<Cell>],
}

/// Writes every file of `files` into `out_dir` (created if needed), all
/// replaced together.
pub fn write_files(out_dir: &Path, files: &[CsvFile<'_>]) -> Result<(), ImportError> {
    let write_error = |file: &Path| {
        let file = file.to_path_buf();
        move |source| ImportError::Write { file, source }
    };
    fs::create_dir_all(out_dir).map_err(write_error(out_dir))?;
    let mut written = Vec::with_capacity(files.len());
    for csv_file in files {
        let target = out_dir.join(format!("{}.csv", csv_file.name));
        let mut file = NamedTempFile::new_in(out_dir).map_err(write_error(&target))?;
        write_csv(&mut file, csv_file).map_err(|source| ImportError::Csv {
            file: target.clone(),
            source,
        })?;
        file.flush().map_err(write_error(&target))?;
        written.push((file, target));
    }
    for (file, target) in written {
        file.persist(&target)
            .map_err(|failure| ImportError::Write {
                file: target.clone(),
                source: failure.error,
            })?;
    }
    Ok(())
}

/// The header row, then one record per row; nulls are empty fields.
fn write_csv(out: impl Write, file: &CsvFile<'_>) -> Result<(), csv::Error> {
    let mut writer = csv::Writer::from_writer(out);
    writer.write_record(&file.header)?;
    for row in file.rows {
        writer.write_record(
            row.iter()
                .map(|value| value.as_ref().map(ToString::to_string).unwrap_or_default()),
        )?;
    }
    writer.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::datasets::tables::DEPLOYMENTS;
    use crate::import::records::Value;

    fn deployments() -> Table {
        Table {
            def: DEPLOYMENTS,
            rows: vec![
                vec![
                    Some(Value::from("web, \"main\"")),
                    Some(Value::from("10.0.0.1")),
                    None,
                    None,
                ],
                vec![
                    Some(Value::from("cron")),
                    None,
                    Some(Value::from("low")),
                    None,
                ],
            ],
        }
    }

    #[test]
    fn writes_header_and_rows_with_empty_nulls() {
        let mut out = Vec::new();
        let table = deployments();
        let file = CsvFile {
            name: "deployments",
            header: table.def.column_names().collect(),
            rows: &table.rows,
        };
        write_csv(&mut out, &file).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "service,ip,requirements,snapshot\n\"web, \"\"main\"\"\",10.0.0.1,,\ncron,,low,\n"
        );
    }

    #[test]
    fn replaces_files_and_leaves_no_temporary_ones() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("new");
        write_tables(&out, &[deployments()]).unwrap();
        write_tables(&out, &[deployments()]).unwrap();
        let names: Vec<_> = fs::read_dir(&out)
            .unwrap()
            .map(|entry| entry.unwrap().file_name())
            .collect();
        assert_eq!(names, ["deployments.csv"]);
    }
}
