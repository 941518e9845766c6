//! Results to text or bytes: the table view for people, CSV, TSV, JSON,
//! NDJSON and Parquet for programs.
//!
//! Machine formats carry raw values (no separators, no rounding); only the
//! table and Markdown views format numbers for reading. Datetimes in CSV,
//! TSV, JSON and NDJSON are ISO 8601 with the fractional digits their
//! column needs (see [`machine`]). A JSON result is one array ending in a
//! line break, so results written one after another are one per line.
//!
//! Control characters in data never reach a terminal raw: the table, line
//! and Markdown views and charts always show them visibly (see
//! [`visible`]), and so do the machine formats when [`View::terminal`] says
//! they go to one. Written to a file or a pipe, machine formats keep their
//! bytes exactly.

pub mod batched;
pub mod cells;
pub mod chart;
pub mod machine;
pub mod table;
pub mod text;
pub mod visible;

use std::io::Write;

use ::polars::prelude::{CsvWriter, DataFrame, JsonFormat, JsonWriter, ParquetWriter, SerWriter};

use crate::format::Format;
use crate::frame::errors::describe as describe_error;
use crate::frame::types;

/// How the human views draw a result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct View {
    /// Rows shown before the rest are summed up in a note.
    pub max_rows: usize,
    /// The width to fit (the terminal's); `None` draws at natural width.
    pub width: Option<usize>,
    /// 1.2M instead of 1,234,567.
    pub humanize: bool,
    /// The output is a terminal: CSV, TSV, JSON and NDJSON show control
    /// characters visibly too (the human views always do). Set by the
    /// binary; false for files and pipes, which get the bytes exactly.
    pub terminal: bool,
    /// The results are read in the shell: a note about rows not shown
    /// names the dot-command (`.maxrows`), not the command-line flag.
    pub shell: bool,
}

impl View {
    /// At most `max_rows` rows, natural width, exact numbers, bytes as
    /// they are in machine formats (for files and pipes).
    pub fn rows(max_rows: usize) -> View {
        View {
            max_rows,
            width: None,
            humanize: false,
            terminal: false,
            shell: false,
        }
    }

    /// What to do to see the rows a view left out.
    pub fn more_hint(&self) -> &'static str {
        if self.shell {
            "use .maxrows N or .maxrows all to see more, .last to page through this one"
        } else {
            "use --max-rows N or --max-rows 0 to see more"
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

/// Why a result could not be written.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// Writing failed: a full disk, a closed pipe.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// The frame cannot be put in the format (a type it has no place for).
    #[error("{0}")]
    Format(String),
}

impl RenderError {
    /// Whether the reader of the output went away.
    pub fn is_closed_pipe(&self) -> bool {
        matches!(self, RenderError::Io(e) if e.kind() == std::io::ErrorKind::BrokenPipe)
    }

    fn from_polars(error: ::polars::prelude::PolarsError) -> RenderError {
        match error {
            ::polars::prelude::PolarsError::IO { error, .. } => {
                RenderError::Io(std::io::Error::new(error.kind(), error.to_string()))
            }
            other => RenderError::Format(describe_error(&other)),
        }
    }
}

/// Writes `frame` in `format`. The table and line views show at most
/// `view.max_rows` rows and say so when they leave rows out. On a terminal
/// (`view.terminal`), machine formats are shown with their control
/// characters escaped.
pub fn write(
    frame: &mut DataFrame,
    format: Format,
    view: &View,
    out: &mut dyn Write,
) -> Result<(), RenderError> {
    write_rows(frame, None, format, view, out)
}

/// [`write`] for the first rows of a larger result: `total` (when given) is
/// how many rows the whole result has, for the table and line views'
/// footer. Machine formats are always given whole results.
pub fn write_rows(
    frame: &mut DataFrame,
    total: Option<usize>,
    format: Format,
    view: &View,
    out: &mut dyn Write,
) -> Result<(), RenderError> {
    if !view.terminal || !format.is_machine() {
        return write_raw(frame, total, format, view, out);
    }
    let layout = match format {
        Format::Csv => visible::Layout::Csv,
        Format::Tsv => visible::Layout::Tsv,
        Format::Json | Format::Ndjson => visible::Layout::Json,
        _ => visible::Layout::Binary,
    };
    let mut shown = visible::Escaping::new(out, layout);
    write_raw(frame, total, format, view, &mut shown)?;
    Ok(shown.finish()?)
}

fn write_raw(
    frame: &mut DataFrame,
    total: Option<usize>,
    format: Format,
    view: &View,
    out: &mut dyn Write,
) -> Result<(), RenderError> {
    let io = RenderError::Io;
    let polars = RenderError::from_polars;
    let preview = |limit: usize| {
        let mut preview = cells::preview(frame, limit);
        preview.total_rows = total.unwrap_or(preview.total_rows).max(preview.rows.len());
        preview
    };
    match format {
        Format::Table => {
            let preview = preview(view.max_rows);
            out.write_all(table::draw(&preview, table::Style::Boxed, view).as_bytes())
                .map_err(io)?;
            out.write_all(table::footer(&preview, view.more_hint()).as_bytes())
                .map_err(io)?;
        }
        Format::Line => {
            let preview = preview(view.max_rows);
            out.write_all(table::lines(&preview, view).as_bytes())
                .map_err(io)?;
            if preview.rows.len() < preview.total_rows {
                out.write_all(table::footer(&preview, view.more_hint()).as_bytes())
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
            let mut shown = machine::iso_datetimes(frame, &mut Vec::new())?.into_owned();
            CsvWriter::new(out)
                .include_header(true)
                .with_separator(separator)
                .finish(&mut shown)
                .map_err(polars)?;
        }
        Format::Json => {
            let mut shown = machine::iso_datetimes(frame, &mut Vec::new())?.into_owned();
            JsonWriter::new(&mut *out)
                .with_json_format(JsonFormat::Json)
                .finish(&mut shown)
                .map_err(polars)?;
            // One result, one line: results one after another stay apart.
            out.write_all(b"\n").map_err(io)?;
        }
        Format::Ndjson => {
            let mut shown = machine::iso_datetimes(frame, &mut Vec::new())?.into_owned();
            JsonWriter::new(out)
                .with_json_format(JsonFormat::JsonLines)
                .finish(&mut shown)
                .map_err(polars)?;
        }
        Format::Parquet => {
            ParquetWriter::new(out).finish(frame).map_err(polars)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use ::polars::prelude::{Column, DataFrame};

    use super::*;

    const HOSTILE: &str = "\x1b]52;c;aGk=\x07\x1b[2J\u{9b}31m\u{202e}a\nb\tc";

    fn frame() -> DataFrame {
        DataFrame::new_infer_height(vec![Column::new("ua".into(), [HOSTILE])])
            .expect("a one-column frame")
    }

    fn written(format: Format, terminal: bool) -> Vec<u8> {
        let view = View {
            terminal,
            ..View::rows(10)
        };
        let mut out = Vec::new();
        write(&mut frame(), format, &view, &mut out).expect("writes to memory");
        out
    }

    /// Whether anything but the layout's line feeds (and tabs, which are
    /// harmless and separate TSV fields) would reach the terminal raw.
    fn has_unsafe(bytes: &[u8]) -> bool {
        String::from_utf8_lossy(bytes)
            .chars()
            .any(|c| visible::is_unsafe(c) && c != '\n' && c != '\t')
    }

    #[test]
    fn machine_formats_off_a_terminal_keep_the_bytes() {
        let csv = written(Format::Csv, false);
        assert_eq!(csv, format!("ua\n\"{HOSTILE}\"\n").into_bytes());
        let json = String::from_utf8(written(Format::Ndjson, false)).expect("UTF-8");
        assert!(
            json.contains('\u{9b}') && json.contains('\u{202e}'),
            "{json:?}"
        );
    }

    #[test]
    fn machine_formats_on_a_terminal_show_control_characters() {
        for format in [Format::Csv, Format::Tsv, Format::Json, Format::Ndjson] {
            let out = written(format, true);
            assert!(
                !has_unsafe(&out),
                "{format}: {:?}",
                String::from_utf8_lossy(&out)
            );
        }
        let tsv = String::from_utf8(written(Format::Tsv, true)).expect("UTF-8");
        assert!(tsv.contains("\\u{202e}a\nb\tc"), "{tsv:?}");
        let csv = String::from_utf8(written(Format::Csv, true)).expect("UTF-8");
        assert_eq!(
            csv,
            "ua\n\"\\x1b]52;c;aGk=\\x07\\x1b[2J\\u{9b}31m\\u{202e}a\nb\\tc\"\n"
        );
        // JSON keeps meaning the same value.
        let json = String::from_utf8(written(Format::Json, true)).expect("UTF-8");
        assert!(json.contains(r"\u001b[2J\u009b31m\u202ea"), "{json}");
    }

    #[test]
    fn human_views_show_control_characters_anywhere() {
        for format in [Format::Table, Format::Line, Format::Markdown] {
            for terminal in [false, true] {
                let out = written(format, terminal);
                let text = String::from_utf8_lossy(&out);
                assert!(
                    !has_unsafe(&out) && !text.contains('\t'),
                    "{format}: {text:?}"
                );
                assert!(
                    text.contains(r"\x1b]52;c;aGk=\x07\x1b[2J\u{9b}31m\u{202e}a\nb\tc"),
                    "{format}: {text}"
                );
            }
        }
    }
}
