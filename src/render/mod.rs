//! Results to text or bytes: the table view for people, CSV, TSV, JSON,
//! NDJSON and Parquet for programs.
//!
//! Machine formats carry raw values (no separators, no rounding); only the
//! table and Markdown views format numbers for reading.

pub mod cells;
pub mod chart;
pub mod table;
pub mod text;

use std::io::Write;

use ::polars::prelude::{CsvWriter, DataFrame, JsonFormat, JsonWriter, ParquetWriter, SerWriter};

use crate::engine::polars::{describe_error, types};
use crate::format::Format;

/// How the human views draw a result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct View {
    /// Rows shown before the rest are summed up in a note.
    pub max_rows: usize,
    /// The width to fit (the terminal's); `None` draws at natural width.
    pub width: Option<usize>,
    /// 1.2M instead of 1,234,567.
    pub humanize: bool,
}

impl View {
    /// At most `max_rows` rows, natural width, exact numbers.
    pub fn rows(max_rows: usize) -> View {
        View {
            max_rows,
            width: None,
            humanize: false,
        }
    }
}

/// The most points a time-series chart folds into its width.
const MAX_SERIES_POINTS: usize = 1_000_000;

/// Draws a two-column result (label, value) as a chart, as `| chart` asks:
/// bars for the first `view.max_rows` rows, or a time series of all rows.
pub fn chart(frame: &DataFrame, view: &View) -> String {
    let label = frame.columns().first().map(|c| types::to_type(c.dtype()));
    let limit = if chart::over_time(label.flatten()) {
        MAX_SERIES_POINTS
    } else {
        view.max_rows
    };
    chart::draw(&cells::preview(frame, limit), view)
}

/// Writes `frame` in `format`. The table and line views show at most
/// `view.max_rows` rows and say so when they leave rows out.
pub fn write(
    frame: &mut DataFrame,
    format: Format,
    view: &View,
    out: &mut dyn Write,
) -> Result<(), String> {
    let io = |e: std::io::Error| e.to_string();
    let polars = |e: ::polars::prelude::PolarsError| describe_error(&e);
    match format {
        Format::Table => {
            let preview = cells::preview(frame, view.max_rows);
            out.write_all(table::draw(&preview, table::Style::Boxed, view).as_bytes())
                .map_err(io)?;
            out.write_all(table::footer(&preview, "use --max-rows to see more").as_bytes())
                .map_err(io)?;
        }
        Format::Line => {
            let preview = cells::preview(frame, view.max_rows);
            out.write_all(table::lines(&preview, view).as_bytes())
                .map_err(io)?;
            if preview.rows.len() < preview.total_rows {
                out.write_all(table::footer(&preview, "use --max-rows to see more").as_bytes())
                    .map_err(io)?;
            }
        }
        Format::Markdown => {
            let preview = cells::preview(frame, usize::MAX);
            let natural = View {
                width: None,
                ..*view
            };
            out.write_all(table::draw(&preview, table::Style::Markdown, &natural).as_bytes())
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
