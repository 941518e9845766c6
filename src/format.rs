//! The output formats and how a file name picks one.

use std::fmt;
use std::path::Path;

/// How a result is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// A boxed table for people: thousands separators, row count.
    Table,
    Csv,
    Tsv,
    /// One JSON array of objects.
    Json,
    /// One JSON object per line.
    Ndjson,
    /// A Markdown table.
    Markdown,
    /// One `column = value` line per value, rows apart: for wide rows.
    Line,
    /// Apache Parquet (files only).
    #[value(skip)]
    Parquet,
}

impl Format {
    /// The format a file's extension asks for.
    pub fn from_path(path: &str) -> Result<Format, String> {
        let extension = Path::new(path)
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        match extension.as_deref() {
            Some("csv") => Ok(Format::Csv),
            Some("tsv") | Some("tab") => Ok(Format::Tsv),
            Some("json") => Ok(Format::Json),
            Some("ndjson") | Some("jsonl") => Ok(Format::Ndjson),
            Some("parquet") | Some("pq") => Ok(Format::Parquet),
            Some("md") | Some("markdown") => Ok(Format::Markdown),
            Some(other) => Err(format!(
                "cannot tell the format from the extension `.{other}`; use .csv, .tsv, .json, .ndjson, .parquet or .md"
            )),
            None => Err("the file name needs an extension to pick the format: .csv, .tsv, .json, .ndjson, .parquet or .md".to_owned()),
        }
    }

    /// Whether values are written raw (no separators, no rounding).
    pub fn is_machine(self) -> bool {
        !matches!(self, Format::Table | Format::Markdown | Format::Line)
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Format::Table => "table",
            Format::Csv => "csv",
            Format::Tsv => "tsv",
            Format::Json => "json",
            Format::Ndjson => "ndjson",
            Format::Markdown => "markdown",
            Format::Line => "line",
            Format::Parquet => "parquet",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::Format;

    #[test]
    fn extension_picks_format() {
        assert_eq!(Format::from_path("out/big.parquet"), Ok(Format::Parquet));
        assert_eq!(Format::from_path("a.CSV"), Ok(Format::Csv));
        assert_eq!(Format::from_path("a.jsonl"), Ok(Format::Ndjson));
        assert!(Format::from_path("a.xlsx").is_err());
        assert!(Format::from_path("noext").is_err());
    }
}
