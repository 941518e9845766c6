//! Results to text or bytes: the table view for people, CSV, TSV, JSON,
//! NDJSON and Parquet for programs.
//!
//! Machine formats carry raw values (no separators, no rounding); only the
//! table and Markdown views format numbers for reading.

pub mod cells;
pub mod table;
pub mod text;

use std::io::Write;

use ::polars::prelude::{CsvWriter, DataFrame, JsonFormat, JsonWriter, ParquetWriter, SerWriter};

use crate::engine::polars::describe_error;
use crate::format::Format;

/// Writes `frame` in `format`. The table view shows at most `max_rows` rows
/// and says so when it leaves rows out.
pub fn write(
    frame: &mut DataFrame,
    format: Format,
    max_rows: usize,
    out: &mut dyn Write,
) -> Result<(), String> {
    let io = |e: std::io::Error| e.to_string();
    let polars = |e: ::polars::prelude::PolarsError| describe_error(&e);
    match format {
        Format::Table => {
            let preview = cells::preview(frame, max_rows);
            out.write_all(table::draw(&preview, table::Style::Boxed).as_bytes())
                .map_err(io)?;
            out.write_all(table::footer(&preview, "use --max-rows to see more").as_bytes())
                .map_err(io)?;
        }
        Format::Markdown => {
            let preview = cells::preview(frame, usize::MAX);
            out.write_all(table::draw(&preview, table::Style::Markdown).as_bytes())
                .map_err(io)?;
        }
        Format::Csv | Format::Tsv => {
            let separator = if format == Format::Tsv { b'\t' } else { b',' };
            CsvWriter::new(out)
                .include_header(true)
                .with_separator(separator)
                .finish(frame)
                .map_err(polars)?;
        }
        Format::Json => {
            JsonWriter::new(out)
                .with_json_format(JsonFormat::Json)
                .finish(frame)
                .map_err(polars)?;
        }
        Format::Ndjson => {
            JsonWriter::new(out)
                .with_json_format(JsonFormat::JsonLines)
                .finish(frame)
                .map_err(polars)?;
        }
        Format::Parquet => {
            ParquetWriter::new(out).finish(frame).map_err(polars)?;
        }
    }
    Ok(())
}
