//! Data files: which files a path or glob names, lazy scans of them, and
//! what to tell the user when one cannot be read.
//!
//! Scans are lazy (Polars reads only the columns and row groups a query
//! needs). Polars' own messages about files are terse and name its
//! internals, so when a read fails this module looks at the file itself to
//! say what is wrong and where: the line of a CSV row that does not parse,
//! the line of a broken JSON record.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use ::polars::prelude::{
    LazyCsvReader, LazyFileListReader, LazyFrame, LazyJsonLineReader, PlRefPath, PolarsError,
    ScanArgsParquet,
};

use super::errors::describe;

/// The file formats that can be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    Csv,
    Tsv,
    Parquet,
    Ndjson,
}

impl FileKind {
    /// The format of a path (or glob), from its extension.
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

    fn separator(self) -> u8 {
        if self == FileKind::Tsv { b'\t' } else { b',' }
    }
}

/// Whether `path` is a glob pattern rather than one file.
fn is_glob(path: &str) -> bool {
    path.contains(['*', '?', '['])
}

/// The files `path` names: itself, or what the glob matches (sorted).
pub fn expand(path: &str) -> Result<Vec<PathBuf>, String> {
    if !is_glob(path) {
        let file = Path::new(path);
        if file.is_dir() {
            return Err(format!("`{path}` is a directory, not a file"));
        }
        if !file.exists() {
            return Err(format!("no such file: `{path}`"));
        }
        return Ok(vec![file.to_path_buf()]);
    }
    let entries = glob::glob(path).map_err(|e| format!("invalid pattern `{path}`: {}", e.msg))?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .filter(|p| p.is_file())
        .collect();
    if files.is_empty() {
        return Err(format!("no files match `{path}`"));
    }
    files.sort();
    Ok(files)
}

/// A lazy scan of the file or glob `path`, format from its extension.
pub fn scan(path: &str) -> Result<LazyFrame, String> {
    let files = expand(path)?;
    let kind = FileKind::of(path)?;
    let source = PlRefPath::new(path);
    let frame = match kind {
        FileKind::Csv | FileKind::Tsv => LazyCsvReader::new(source)
            .with_has_header(true)
            .with_separator(kind.separator())
            .with_try_parse_dates(true)
            .with_infer_schema_length(Some(10_000))
            .with_glob(is_glob(path))
            .finish(),
        FileKind::Parquet => LazyFrame::scan_parquet(source, ScanArgsParquet::default()),
        FileKind::Ndjson => LazyJsonLineReader::new(source).finish(),
    };
    frame.map_err(|e| read_failure(&files, kind, &e))
}

/// Why reading `files` failed, in the user's terms, naming the file and,
/// where the file shows it, the line.
pub fn read_failure(files: &[PathBuf], kind: FileKind, error: &PolarsError) -> String {
    if let Some(problem) = diagnose(files, kind, error) {
        return problem;
    }
    match files {
        [one] => format!("cannot read `{}`: {}", one.display(), describe(error)),
        _ => format!("cannot read the files: {}", describe(error)),
    }
}

/// "cannot read `file`: what is wrong where", when one of `files` shows a
/// problem that explains `error`.
pub fn diagnose(files: &[PathBuf], kind: FileKind, error: &PolarsError) -> Option<String> {
    files.iter().find_map(|file| {
        let found = match kind {
            FileKind::Csv | FileKind::Tsv => csv_problem(file, kind, error),
            FileKind::Ndjson => json_problem(file),
            FileKind::Parquet => parquet_problem(file, error),
        };
        found.map(|problem| format!("cannot read `{}`: {problem}", file.display()))
    })
}

fn parquet_problem(file: &Path, error: &PolarsError) -> Option<String> {
    let mut magic = [0u8; 4];
    let readable = File::open(file).and_then(|mut f| std::io::Read::read_exact(&mut f, &mut magic));
    match readable {
        Err(e) => Some(e.to_string()),
        Ok(()) if &magic != b"PAR1" => Some("not a Parquet file".to_owned()),
        Ok(()) => {
            let text = error.to_string();
            text.contains("out of specification")
                .then(|| "damaged Parquet file".to_owned())
        }
    }
}

/// The first JSON line of `file` that does not parse.
fn json_problem(file: &Path) -> Option<String> {
    let reader = BufReader::new(File::open(file).ok()?);
    for (index, line) in reader.lines().enumerate() {
        let Ok(line) = line else {
            return Some(format!("line {}: not valid UTF-8 text", index + 1));
        };
        if line.trim().is_empty() {
            continue;
        }
        if let Err(e) = serde_json::from_str::<serde_json::Value>(&line) {
            return Some(format!("line {}: malformed JSON ({e})", index + 1));
        }
    }
    None
}

/// Finds the row of a CSV file behind a parse error: a row with the wrong
/// number of fields, or the first row holding the value that did not parse.
fn csv_problem(file: &Path, kind: FileKind, error: &PolarsError) -> Option<String> {
    let message = error.to_string();
    let bad_value = between(&message, "could not parse `", "`");
    let column = between(&message, "at column '", "'");
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(kind.separator())
        .flexible(true)
        .from_path(file)
        .ok()?;
    let headers = reader.headers().ok()?.clone();
    let column_index = column.and_then(|c| headers.iter().position(|h| h == c));
    for record in reader.records() {
        let record = match record {
            Ok(record) => record,
            Err(e) => return Some(e.to_string()),
        };
        let line = record.position().map_or(0, |p| p.line());
        if record.len() != headers.len() {
            let fields = |n: usize| {
                if n == 1 {
                    "1 field".to_owned()
                } else {
                    format!("{n} fields")
                }
            };
            return Some(format!(
                "line {line} has {}, the header has {}",
                fields(record.len()),
                fields(headers.len())
            ));
        }
        if let (Some(value), Some(index)) = (bad_value, column_index)
            && record.get(index) == Some(value)
        {
            let expected = between(&message, "as dtype `", "`").map_or(String::new(), |t| {
                format!(" (the column holds {} values)", friendly_dtype(t))
            });
            return Some(format!(
                "line {line}, column `{}`: `{value}` does not fit the column's type{expected}",
                headers.get(index).unwrap_or("?")
            ));
        }
    }
    None
}

fn friendly_dtype(dtype: &str) -> &str {
    match dtype {
        "i64" | "i32" | "i16" | "i8" | "u64" | "u32" | "u16" | "u8" => "integer",
        "f64" | "f32" => "number",
        "bool" => "true/false",
        "date" => "date",
        other if other.starts_with("datetime") => "datetime",
        other => other,
    }
}

/// The text between the first `start` and the following `end`.
fn between<'a>(text: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let from = text.find(start)? + start.len();
    let to = text[from..].find(end)? + from;
    Some(&text[from..to])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_follow_extensions() {
        assert_eq!(
            FileKind::of("logs/2025-11-*.parquet"),
            Ok(FileKind::Parquet)
        );
        assert_eq!(FileKind::of("a.JSONL"), Ok(FileKind::Ndjson));
        assert!(FileKind::of("a.xlsx").is_err());
    }

    #[test]
    fn globs_that_match_nothing_say_so() {
        let dir = tempfile::tempdir().unwrap();
        let pattern = format!("{}/*.parquet", dir.path().display());
        assert_eq!(expand(&pattern), Err(format!("no files match `{pattern}`")));
        std::fs::write(dir.path().join("b.parquet"), "x").unwrap();
        std::fs::write(dir.path().join("a.parquet"), "x").unwrap();
        let names: Vec<_> = expand(&pattern)
            .unwrap()
            .iter()
            .map(|p| p.file_name().unwrap().to_owned())
            .collect();
        assert_eq!(names, ["a.parquet", "b.parquet"]);
    }

    #[test]
    fn directories_and_missing_files_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().display().to_string();
        assert_eq!(
            expand(&path),
            Err(format!("`{path}` is a directory, not a file"))
        );
        assert_eq!(
            expand("/no/such.csv"),
            Err("no such file: `/no/such.csv`".to_owned())
        );
    }

    #[test]
    fn finds_the_line_of_a_csv_value_that_does_not_parse() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("t.csv");
        std::fs::write(&file, "a,n\nx,1\ny,oops\n").unwrap();
        let error = PolarsError::ComputeError(
            "could not parse `oops` as dtype `i64` at column 'n' (column number 2)".into(),
        );
        assert_eq!(
            csv_problem(&file, FileKind::Csv, &error).as_deref(),
            Some(
                "line 3, column `n`: `oops` does not fit the column's type (the column holds integer values)"
            )
        );
        std::fs::write(&file, "a,n\nx,1,2\n").unwrap();
        let ragged = PolarsError::ComputeError("found more fields than defined in 'Schema'".into());
        assert_eq!(
            csv_problem(&file, FileKind::Csv, &ragged).as_deref(),
            Some("line 2 has 3 fields, the header has 2 fields")
        );
    }

    #[test]
    fn finds_the_line_of_broken_json() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("t.ndjson");
        std::fs::write(&file, "{\"a\":1}\n\n{\"a\":\n").unwrap();
        let problem = json_problem(&file).unwrap();
        assert!(problem.starts_with("line 3: malformed JSON"), "{problem}");
    }

    #[test]
    fn recognises_files_that_are_not_parquet() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("t.parquet");
        std::fs::write(&file, "hello, world").unwrap();
        let error = PolarsError::ComputeError("parquet: File out of specification".into());
        assert_eq!(
            parquet_problem(&file, &error).as_deref(),
            Some("not a Parquet file")
        );
    }
}
