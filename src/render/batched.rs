//! Writing a result that arrives in batches (a server's answer, read as it
//! comes) without ever holding it whole.
//!
//! The bytes are the same as [`super::write`] gives for the whole result at
//! once: CSV and TSV have their header once, NDJSON is the batches one
//! after another, a JSON array is opened once and its elements joined
//! across batches (datetimes get the same ISO 8601 text unless a later
//! batch needs finer fractions than the first ones, see
//! [`super::machine`]), Parquet gathers batches into row groups of the usual
//! size. The table and Markdown views need every row to size their columns,
//! so they gather the batches and draw at the end.

use std::io::Write;

use ::polars::io::parquet::write::BatchedWriter;
use ::polars::prelude::{CsvWriter, DataFrame, JsonFormat, JsonWriter, ParquetWriter, SerWriter};

use super::{RenderError, View};
use crate::format::Format;

/// Rows gathered into one Parquet row group (Polars' own default).
const ROW_GROUP: usize = 512 * 512;

/// Writes batches of one result to `out` in one format.
pub struct BatchWriter<'w> {
    format: Format,
    out: Option<&'w mut dyn Write>,
    parquet: Option<BatchedWriter<&'w mut dyn Write>>,
    /// Batches not written yet: a Parquet row group filling up, or the
    /// whole result for the formats that need it.
    held: Option<DataFrame>,
    /// Whether anything of the result was written (the CSV header, the
    /// first JSON element).
    started: bool,
    rows: usize,
    /// Fractional digits of each datetime column so far (see
    /// [`super::machine`]).
    digits: Vec<usize>,
}

impl<'w> BatchWriter<'w> {
    /// A writer of `format` to `out`. Control characters are written as
    /// they are: this is for files and pipes, not terminals.
    pub fn new(format: Format, out: &'w mut dyn Write) -> BatchWriter<'w> {
        BatchWriter {
            format,
            out: Some(out),
            parquet: None,
            held: None,
            started: false,
            rows: 0,
            digits: Vec::new(),
        }
    }

    /// The rows handed over so far.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Writes (or holds) one batch. Every batch has the same columns; the
    /// first one may have no rows.
    pub fn write(&mut self, mut batch: DataFrame) -> Result<(), RenderError> {
        self.rows += batch.height();
        if matches!(
            self.format,
            Format::Csv | Format::Tsv | Format::Json | Format::Ndjson
        ) {
            batch = super::machine::iso_datetimes(&batch, &mut self.digits)?.into_owned();
        }
        let polars = RenderError::from_polars;
        match self.format {
            Format::Csv | Format::Tsv => {
                if self.started && batch.height() == 0 {
                    return Ok(());
                }
                let separator = if self.format == Format::Tsv {
                    b'\t'
                } else {
                    b','
                };
                let header = !self.started;
                CsvWriter::new(self.out()?)
                    .include_header(header)
                    .with_separator(separator)
                    .finish(&mut batch)
                    .map_err(polars)?;
                self.started = true;
            }
            Format::Ndjson => {
                JsonWriter::new(self.out()?)
                    .with_json_format(JsonFormat::JsonLines)
                    .finish(&mut batch)
                    .map_err(polars)?;
            }
            Format::Json => {
                if batch.height() == 0 {
                    return Ok(());
                }
                let mut array = Vec::new();
                JsonWriter::new(&mut array)
                    .with_json_format(JsonFormat::Json)
                    .finish(&mut batch)
                    .map_err(polars)?;
                let elements = array
                    .strip_prefix(b"[")
                    .and_then(|rest| rest.strip_suffix(b"]"))
                    .ok_or_else(|| {
                        RenderError::Format("the JSON writer did not give an array".to_owned())
                    })?;
                let opening: &[u8] = if self.started { b"," } else { b"[" };
                let out = self.out()?;
                out.write_all(opening)?;
                out.write_all(elements)?;
                self.started = true;
            }
            Format::Parquet => {
                self.hold(batch)?;
                while let Some(held) = self.held.take_if(|h| h.height() >= ROW_GROUP) {
                    let (group, rest) = held.split_at(ROW_GROUP as i64);
                    self.held = Some(group);
                    self.write_row_group()?;
                    self.held = Some(rest);
                }
            }
            Format::Table | Format::Line | Format::Markdown => self.hold(batch)?,
        }
        Ok(())
    }

    /// Writes what is held and closes the result (the JSON array, the
    /// Parquet footer).
    pub fn finish(mut self) -> Result<(), RenderError> {
        match self.format {
            Format::Csv | Format::Tsv | Format::Ndjson => {}
            Format::Json => {
                let closing: &[u8] = if self.started { b"]\n" } else { b"[]\n" };
                self.out()?.write_all(closing)?;
            }
            Format::Parquet => {
                self.write_row_group()?;
                match &self.parquet {
                    Some(writer) => {
                        writer.finish().map_err(RenderError::from_polars)?;
                    }
                    None => {
                        return Err(RenderError::Format(
                            "the result had no columns to write".to_owned(),
                        ));
                    }
                }
            }
            Format::Table | Format::Line | Format::Markdown => {
                let mut whole = self.held.take().ok_or_else(|| {
                    RenderError::Format("the result had no columns to write".to_owned())
                })?;
                let format = self.format;
                super::write(&mut whole, format, &View::rows(usize::MAX), self.out()?)?;
            }
        }
        Ok(())
    }

    fn out(&mut self) -> Result<&mut dyn Write, RenderError> {
        match &mut self.out {
            Some(out) => Ok(&mut **out),
            None => Err(RenderError::Format(
                "the output was handed to the Parquet writer".to_owned(),
            )),
        }
    }

    fn hold(&mut self, batch: DataFrame) -> Result<(), RenderError> {
        match &mut self.held {
            Some(held) => {
                held.vstack_mut_owned(batch)
                    .map_err(RenderError::from_polars)?;
            }
            None => self.held = Some(batch),
        }
        Ok(())
    }

    /// Writes the held batches as one Parquet row group, opening the file
    /// with their schema first if need be. A result of no rows still gets
    /// its schema.
    fn write_row_group(&mut self) -> Result<(), RenderError> {
        let Some(mut group) = self.held.take() else {
            return Ok(());
        };
        group.rechunk_mut_par();
        if self.parquet.is_none() {
            let out = self.out.take().ok_or_else(|| {
                RenderError::Format("the Parquet file was opened twice".to_owned())
            })?;
            let writer = ParquetWriter::new(out)
                .batched(group.schema())
                .map_err(RenderError::from_polars)?;
            self.parquet = Some(writer);
        }
        if let Some(writer) = &mut self.parquet
            && group.height() > 0
        {
            writer
                .write_batch(&group)
                .map_err(RenderError::from_polars)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use ::polars::prelude::{Column, DataFrame, ParquetReader, SerReader};

    use super::*;

    /// A result with the awkward values: quotes, commas, new lines, nulls.
    fn whole() -> DataFrame {
        DataFrame::new_infer_height(vec![
            Column::new(
                "name".into(),
                [
                    Some("a,b"),
                    Some("say \"hi\""),
                    None,
                    Some("x\ny"),
                    Some(""),
                ],
            ),
            Column::new("n".into(), [Some(1i64), None, Some(3), Some(4), Some(5)]),
        ])
        .expect("a frame")
    }

    /// `frame` cut into batches of `size` rows, with an empty one first as
    /// a server may send.
    fn batches(frame: &DataFrame, size: usize) -> Vec<DataFrame> {
        let mut out = vec![frame.head(Some(0))];
        let mut offset = 0;
        while offset < frame.height() {
            out.push(frame.slice(offset as i64, size));
            offset += size;
        }
        out
    }

    fn streamed(format: Format, parts: Vec<DataFrame>) -> Vec<u8> {
        let mut out = Vec::new();
        let mut writer = BatchWriter::new(format, &mut out);
        for part in parts {
            writer.write(part).expect("writes a batch");
        }
        writer.finish().expect("finishes");
        out
    }

    fn at_once(format: Format, frame: &DataFrame) -> Vec<u8> {
        let mut out = Vec::new();
        super::super::write(
            &mut frame.clone(),
            format,
            &View::rows(usize::MAX),
            &mut out,
        )
        .expect("writes");
        out
    }

    #[test]
    fn text_formats_are_byte_for_byte_the_whole_results() {
        let frame = whole();
        for format in [
            Format::Csv,
            Format::Tsv,
            Format::Json,
            Format::Ndjson,
            Format::Markdown,
        ] {
            for size in [1, 2, 5, 7] {
                assert_eq!(
                    String::from_utf8_lossy(&streamed(format, batches(&frame, size))),
                    String::from_utf8_lossy(&at_once(format, &frame)),
                    "{format} in batches of {size}"
                );
            }
        }
    }

    #[test]
    fn a_result_of_no_rows_has_its_header_or_empty_array() {
        let empty = whole().head(Some(0));
        for format in [Format::Csv, Format::Json, Format::Ndjson] {
            assert_eq!(
                streamed(format, vec![empty.clone()]),
                at_once(format, &empty),
                "{format}"
            );
        }
        assert_eq!(streamed(Format::Csv, vec![empty]), b"name,n\n");
    }

    #[test]
    fn parquet_in_batches_reads_back_as_the_whole_result() {
        let frame = whole();
        for size in [1, 3, 5] {
            let bytes = streamed(Format::Parquet, batches(&frame, size));
            let back = ParquetReader::new(std::io::Cursor::new(bytes))
                .finish()
                .expect("reads back");
            assert!(back.equals_missing(&frame), "batches of {size}: {back}");
        }
        let empty = frame.head(Some(0));
        let bytes = streamed(Format::Parquet, vec![empty.clone()]);
        let back = ParquetReader::new(std::io::Cursor::new(bytes))
            .finish()
            .expect("reads back");
        assert_eq!(back.schema(), empty.schema());
        assert_eq!(back.height(), 0);
    }

    #[test]
    fn parquet_row_groups_have_the_usual_size_whatever_the_batches() {
        let rows = 2 * ROW_GROUP + 1000;
        let frame = DataFrame::new_infer_height(vec![Column::new(
            "n".into(),
            (0..rows as i64).collect::<Vec<_>>(),
        )])
        .expect("a frame");
        let mut parts = batches(&frame, 65_536);
        parts.push(frame.clone()); // one batch larger than a row group
        let bytes = streamed(Format::Parquet, parts);
        let mut reader = ParquetReader::new(std::io::Cursor::new(bytes));
        let groups: Vec<usize> = reader
            .get_metadata()
            .expect("a footer")
            .row_groups
            .iter()
            .map(|g| g.num_rows())
            .collect();
        assert!(groups.iter().all(|&g| g <= ROW_GROUP), "{groups:?}");
        assert_eq!(groups.iter().sum::<usize>(), 2 * rows);
        assert_eq!(groups.len(), 5, "{groups:?}");
    }

    #[test]
    fn datetimes_in_batches_are_iso_8601_and_json_ends_its_line() {
        let at = Column::new("at".into(), [1_763_251_200_000i64, 1_763_251_200_250])
            .cast(&::polars::prelude::DataType::Datetime(
                ::polars::prelude::TimeUnit::Milliseconds,
                None,
            ))
            .expect("datetimes");
        let frame = DataFrame::new_infer_height(vec![at]).expect("a frame");
        // Whole, both rows get the milliseconds the second needs.
        assert_eq!(
            String::from_utf8_lossy(&at_once(Format::Json, &frame)),
            "[{\"at\":\"2025-11-16T00:00:00.000\"},{\"at\":\"2025-11-16T00:00:00.250\"}]\n"
        );
        // In batches of one, the first batch cannot know: it has none,
        // and the second gets its fraction.
        assert_eq!(
            String::from_utf8_lossy(&streamed(Format::Csv, batches(&frame, 1))),
            "at\n2025-11-16T00:00:00\n2025-11-16T00:00:00.250\n"
        );
        // In one batch, the same as the whole.
        for format in [Format::Csv, Format::Json, Format::Ndjson] {
            assert_eq!(
                streamed(format, batches(&frame, 2)),
                at_once(format, &frame),
                "{format}"
            );
        }
        assert_eq!(streamed(Format::Json, vec![frame.head(Some(0))]), b"[]\n");
    }

    #[test]
    fn rows_are_counted() {
        let mut out = Vec::new();
        let mut writer = BatchWriter::new(Format::Ndjson, &mut out);
        for part in batches(&whole(), 2) {
            writer.write(part).expect("writes");
        }
        assert_eq!(writer.rows(), 5);
    }

    #[test]
    fn nothing_to_write_is_an_error_for_formats_that_need_columns() {
        let mut out = Vec::new();
        let error = BatchWriter::new(Format::Parquet, &mut out)
            .finish()
            .unwrap_err();
        assert_eq!(error.to_string(), "the result had no columns to write");
    }
}
