//! Data files: which files a path or glob names, lazy scans of them, and
//! what to tell the user when one cannot be read.
//!
//! A path that exists is that file, whatever characters its name holds;
//! only a path that does not exist is taken as a glob. Only regular files
//! are read: a FIFO, a device or a socket behind a data file's name is
//! refused with its path, so nothing waits on a pipe or reads `/dev/zero`
//! forever.
//!
//! Scans are lazy (Polars reads only the columns and row groups a query
//! needs). A `.json` file holds an array of objects (as `export` writes
//! it) or one object per line, told apart by its first non-blank byte; an
//! array is read whole. Text columns of JSON whose first values are all
//! ISO dates or datetimes become dates or datetimes, as CSV's do.
//!
//! Polars' own messages about files are terse and name its internals, so
//! when a read fails this module looks at the file itself to say what is
//! wrong and where: the line of a CSV row that does not parse, the line of
//! a broken JSON record. That look reads at most [`DIAGNOSE_LIMIT`] bytes
//! of a file.

use std::cell::Cell;
use std::collections::HashMap;
use std::fmt;
use std::fs::{File, Metadata};
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use ::polars::prelude::{
    DataType, IntoLazy, JsonFormat, JsonReader, LazyCsvReader, LazyFileListReader, LazyFrame,
    LazyJsonLineReader, PlRefPath, PolarsError, ScanArgsParquet, Schema as PolarsSchema, SerReader,
    StrptimeOptions, TimeUnit, UnionArgs, col, concat, lit,
};
use serde::de::{
    Deserialize, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor,
};

use super::errors::describe;

/// The most columns a CSV or TSV file may have. Wider files are refused
/// when their header line is read, before Polars plans anything for them.
pub const MAX_COLUMNS: usize = 100_000;
/// The most bytes a CSV or TSV header line (line 1) may take.
pub const HEADER_LIMIT: u64 = 16 << 20;
/// The most bytes read from one file when looking for the line behind a
/// read error; past it the error is reported without a line.
pub const DIAGNOSE_LIMIT: u64 = 1 << 30;
/// The longest JSON line checked when looking for a broken record.
const JSON_LINE_LIMIT: u64 = 64 << 20;
/// The largest script file (`-f`, `.read`).
pub const SCRIPT_LIMIT: u64 = 64 << 20;
/// Rows looked at to decide whether a JSON text column holds dates.
const INFER_ROWS: u32 = 10_000;
/// The longest CSV value kept when looking for the row holding it.
const VALUE_LIMIT: usize = 64 << 10;

/// Why a file cannot be read. Every message names the file (or the
/// pattern), and the line where the format has lines.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FileError {
    #[error("no such file: `{path}`")]
    NotFound { path: String },
    #[error("`{path}` is a directory, not a file")]
    Directory { path: String },
    #[error("cannot read `{path}`: it is {what}, not a regular file")]
    NotRegular { path: String, what: &'static str },
    #[error("cannot read `{path}`: {reason}")]
    Unreadable { path: String, reason: String },
    #[error("cannot read directory `{path}`: {reason}")]
    Folder { path: String, reason: String },
    #[error("invalid pattern `{pattern}`: {reason}")]
    Pattern { pattern: String, reason: String },
    #[error("no files match `{pattern}`")]
    NoMatch { pattern: String },
    #[error(
        "cannot read `{path}`: the extension must be .csv, .tsv, .parquet, .ndjson, .jsonl or .json"
    )]
    Extension { path: String },
    #[error(
        "cannot read `{path}`, line 1: the header has more than {MAX_COLUMNS} columns, the most infraql reads"
    )]
    TooManyColumns { path: String },
    #[error(
        "cannot read `{path}`, line 1: the header line is longer than {} MiB",
        HEADER_LIMIT >> 20
    )]
    HeaderTooLong { path: String },
    #[error("cannot read `{path}`: larger than {} MiB, too large for a script", SCRIPT_LIMIT >> 20)]
    ScriptTooLarge { path: String },
    /// What reading failed on: `problem` says where when the file shows it.
    #[error("cannot read `{path}`: {problem}")]
    Bad { path: String, problem: String },
    /// Files of one pattern whose columns differ.
    #[error(
        "the files of `{pattern}` have different columns: `{first}` has {first_columns}, `{other}` has {other_columns}; read them apart and combine them with `union` (columns matched by name)"
    )]
    DifferentColumns {
        pattern: String,
        first: String,
        first_columns: String,
        other: String,
        other_columns: String,
    },
}

/// The file formats that can be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    Csv,
    Tsv,
    Parquet,
    /// One JSON object per line (`.ndjson`, `.jsonl`).
    Ndjson,
    /// `.json`: an array of objects, or one object per line.
    Json,
}

impl FileKind {
    /// The format of a path (or glob), from its extension.
    pub fn of(path: &str) -> Result<FileKind, FileError> {
        let extension = Path::new(path)
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        match extension.as_deref() {
            Some("csv") => Ok(FileKind::Csv),
            Some("tsv") | Some("tab") => Ok(FileKind::Tsv),
            Some("parquet") | Some("pq") => Ok(FileKind::Parquet),
            Some("ndjson") | Some("jsonl") => Ok(FileKind::Ndjson),
            Some("json") => Ok(FileKind::Json),
            _ => Err(FileError::Extension {
                path: path.to_owned(),
            }),
        }
    }

    fn separator(self) -> u8 {
        if self == FileKind::Tsv { b'\t' } else { b',' }
    }
}

/// How a `.json` file holds its rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum JsonLayout {
    /// `[{…}, {…}]`
    Array,
    /// `{…}` on each line (also an empty file).
    Lines,
}

/// Whether `path` has glob characters.
fn is_glob(path: &str) -> bool {
    path.contains(['*', '?', '['])
}

/// An I/O error in a few plain words.
fn io_reason(error: &std::io::Error) -> String {
    match error.kind() {
        std::io::ErrorKind::NotFound => "no such file".to_owned(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
        std::io::ErrorKind::NotADirectory => "a part of the path is not a directory".to_owned(),
        _ => {
            let text = error.to_string();
            match text.find(" (os error") {
                Some(cut) => text[..cut].to_owned(),
                None => text,
            }
        }
    }
}

fn unreadable(path: &Path, error: &std::io::Error) -> FileError {
    FileError::Unreadable {
        path: path.display().to_string(),
        reason: io_reason(error),
    }
}

/// What kind of special file `metadata` describes, in words.
fn special_kind(metadata: &Metadata) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let kind = metadata.file_type();
        if kind.is_fifo() {
            return "a named pipe (FIFO)";
        }
        if kind.is_char_device() {
            return "a character device";
        }
        if kind.is_block_device() {
            return "a block device";
        }
        if kind.is_socket() {
            return "a socket";
        }
    }
    let _ = metadata;
    "a special file"
}

/// `Ok` when `metadata` (of `path`, links followed) is a regular file.
fn ensure_regular(path: &Path, metadata: &Metadata) -> Result<(), FileError> {
    if metadata.is_file() {
        Ok(())
    } else if metadata.is_dir() {
        Err(FileError::Directory {
            path: path.display().to_string(),
        })
    } else {
        Err(FileError::NotRegular {
            path: path.display().to_string(),
            what: special_kind(metadata),
        })
    }
}

/// The metadata of `path` (links followed), with errors that name it: a
/// missing file, a broken link, a folder that may not be read.
fn metadata_of(path: &Path) -> Result<Metadata, FileError> {
    std::fs::metadata(path).map_err(|e| {
        if e.kind() != std::io::ErrorKind::NotFound {
            unreadable(path, &e)
        } else if std::fs::symlink_metadata(path).is_ok() {
            FileError::Unreadable {
                path: path.display().to_string(),
                reason: "a symbolic link to a file that does not exist".to_owned(),
            }
        } else {
            FileError::NotFound {
                path: path.display().to_string(),
            }
        }
    })
}

/// Opens `path` for reading when it is a regular file. The check comes
/// before the open, so a FIFO is refused instead of waited on.
pub fn open_regular(path: &Path) -> Result<File, FileError> {
    ensure_regular(path, &metadata_of(path)?)?;
    let file = File::open(path).map_err(|e| unreadable(path, &e))?;
    // The file may have been replaced between the two looks.
    let opened = file.metadata().map_err(|e| unreadable(path, &e))?;
    ensure_regular(path, &opened)?;
    Ok(file)
}

/// The text of a script file (`-f`, `.read`): a regular file of at most
/// [`SCRIPT_LIMIT`] bytes of UTF-8.
pub fn read_script(path: &Path) -> Result<String, FileError> {
    let file = open_regular(path)?;
    let mut bytes = Vec::new();
    file.take(SCRIPT_LIMIT + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| unreadable(path, &e))?;
    if bytes.len() as u64 > SCRIPT_LIMIT {
        return Err(FileError::ScriptTooLarge {
            path: path.display().to_string(),
        });
    }
    String::from_utf8(bytes).map_err(|e| {
        let line = e.as_bytes()[..e.utf8_error().valid_up_to()]
            .iter()
            .filter(|b| **b == b'\n')
            .count()
            + 1;
        FileError::Bad {
            path: path.display().to_string(),
            problem: format!("line {line}: not valid UTF-8 text"),
        }
    })
}

/// The files `path` names: itself when it exists (glob characters or
/// not), else what the glob matches (sorted; folders are passed over).
/// Everything named must be a regular file.
pub fn expand(path: &str) -> Result<Vec<PathBuf>, FileError> {
    let literal = Path::new(path);
    match metadata_of(literal) {
        Ok(metadata) => {
            ensure_regular(literal, &metadata)?;
            return Ok(vec![literal.to_path_buf()]);
        }
        Err(FileError::NotFound { .. }) if is_glob(path) => {}
        Err(error) => return Err(error),
    }
    let entries = glob::glob(path).map_err(|e| FileError::Pattern {
        pattern: path.to_owned(),
        reason: e.msg.to_owned(),
    })?;
    let mut files = Vec::new();
    for entry in entries {
        let file = entry.map_err(|e| unreadable(e.path(), e.error()))?;
        let metadata = metadata_of(&file)?;
        if metadata.is_dir() {
            continue;
        }
        ensure_regular(&file, &metadata)?;
        files.push(file);
    }
    if files.is_empty() {
        return Err(FileError::NoMatch {
            pattern: path.to_owned(),
        });
    }
    files.sort();
    Ok(files)
}

/// A lazy scan of the file or glob `path`, format from its extension.
pub fn scan(path: &str) -> Result<LazyFrame, FileError> {
    scan_typed(path, None)
}

/// Like [`scan`]; a CSV or TSV file's columns named in `types` are parsed
/// as those types instead of inferred ones (other formats carry their own).
pub fn scan_typed(path: &str, types: Option<Arc<PolarsSchema>>) -> Result<LazyFrame, FileError> {
    let files = expand(path)?;
    let kind = FileKind::of(path)?;
    let frame = match kind {
        FileKind::Csv | FileKind::Tsv => {
            for file in &files {
                read_header(file, kind)?;
            }
            LazyCsvReader::new_paths(ref_paths(&files)?.into_iter().collect())
                .with_glob(false)
                .with_has_header(true)
                .with_separator(kind.separator())
                .with_try_parse_dates(true)
                .with_infer_schema_length(Some(10_000))
                .with_dtype_overwrite(types)
                .finish()
        }
        FileKind::Parquet => {
            for file in &files {
                super::parquet_check::verify(file)?;
            }
            LazyFrame::scan_parquet_files(
                ref_paths(&files)?.into_iter().collect(),
                ScanArgsParquet {
                    glob: false,
                    ..ScanArgsParquet::default()
                },
            )
        }
        FileKind::Ndjson => scan_lines(&files),
        FileKind::Json => return scan_json(path, &files),
    };
    let frame = frame.map_err(|e| read_failure(path, &files, kind, &e))?;
    if kind == FileKind::Ndjson {
        return with_json_dates(frame).map_err(|e| read_failure(path, &files, kind, &e));
    }
    Ok(frame)
}

/// A scan of `path` with its Polars schema, every failure in user terms.
pub fn open(path: &str) -> Result<(LazyFrame, PolarsSchema), FileError> {
    let mut frame = scan(path)?;
    let schema = frame.collect_schema().map_err(|e| {
        let files = expand(path).unwrap_or_default();
        if let Some(mismatch) = different_columns(path, &files) {
            return mismatch;
        }
        match FileKind::of(path) {
            Ok(kind) => read_failure(path, &files, kind, &e),
            Err(unknown) => unknown,
        }
    })?;
    Ok((frame, (*schema).clone()))
}

/// The first file of `files` whose column names differ from the first
/// one's, as an error naming both (`None` when they all agree or a file
/// cannot be read on its own, which its own error then explains).
fn different_columns(pattern: &str, files: &[PathBuf]) -> Option<FileError> {
    if files.len() < 2 {
        return None;
    }
    let columns = |file: &PathBuf| -> Option<Vec<String>> {
        let mut frame = scan(&file.display().to_string()).ok()?;
        let schema = frame.collect_schema().ok()?;
        Some(schema.iter_names().map(|n| n.to_string()).collect())
    };
    let first_columns = columns(&files[0])?;
    let shown = |names: &[String]| names.join(", ");
    for other in &files[1..] {
        let other_columns = columns(other)?;
        if other_columns != first_columns {
            return Some(FileError::DifferentColumns {
                pattern: pattern.to_owned(),
                first: files[0].display().to_string(),
                first_columns: shown(&first_columns),
                other: other.display().to_string(),
                other_columns: shown(&other_columns),
            });
        }
    }
    None
}

fn ref_paths(files: &[PathBuf]) -> Result<Vec<PlRefPath>, FileError> {
    files
        .iter()
        .map(|file| {
            PlRefPath::try_from_path(file).map_err(|_| FileError::Unreadable {
                path: file.display().to_string(),
                reason: "the path is not valid UTF-8".to_owned(),
            })
        })
        .collect()
}

/// A lazy NDJSON scan of `files`. Polars' NDJSON reader always expands
/// globs, so names with glob characters are escaped to mean themselves.
fn scan_lines(files: &[PathBuf]) -> ::polars::prelude::PolarsResult<LazyFrame> {
    let paths: Vec<PlRefPath> = files
        .iter()
        .map(|file| {
            let text = file.to_string_lossy();
            if is_glob(&text) {
                PlRefPath::new(glob::Pattern::escape(&text))
            } else {
                PlRefPath::new(text.as_ref())
            }
        })
        .collect();
    LazyJsonLineReader::new_paths(paths.into_iter().collect()).finish()
}

/// `.json` files: NDJSON ones are scanned lazily, arrays read whole.
fn scan_json(path: &str, files: &[PathBuf]) -> Result<LazyFrame, FileError> {
    let kind = FileKind::Json;
    let mut layouts = Vec::with_capacity(files.len());
    for file in files {
        layouts.push(json_layout(file)?);
    }
    let frame = if layouts.iter().all(|l| *l == JsonLayout::Lines) {
        scan_lines(files).map_err(|e| read_failure(path, files, kind, &e))?
    } else {
        let mut frames = Vec::with_capacity(files.len());
        for (file, layout) in files.iter().zip(&layouts) {
            let one = std::slice::from_ref(file);
            let frame = match layout {
                JsonLayout::Lines => scan_lines(one),
                JsonLayout::Array => open_regular(file).map(|handle| {
                    JsonReader::new(handle)
                        .with_json_format(JsonFormat::Json)
                        .finish()
                        .map(IntoLazy::lazy)
                })?,
            };
            frames.push(frame.map_err(|e| read_failure(path, one, kind, &e))?);
        }
        match frames.len() {
            1 => frames.remove(0),
            _ => concat(frames, UnionArgs::default())
                .map_err(|e| read_failure(path, files, kind, &e))?,
        }
    };
    with_json_dates(frame).map_err(|e| read_failure(path, files, kind, &e))
}

/// Whether a `.json` file holds an array or lines: its first byte that is
/// not white space (after a byte order mark).
fn json_layout(file: &Path) -> Result<JsonLayout, FileError> {
    let mut reader = BufReader::new(open_regular(file)?.take(HEADER_LIMIT));
    let mut first = true;
    loop {
        let buffer = reader.fill_buf().map_err(|e| unreadable(file, &e))?;
        if buffer.is_empty() {
            return Ok(JsonLayout::Lines);
        }
        let mut skip = 0;
        if first && buffer.starts_with(&[0xEF, 0xBB, 0xBF]) {
            skip = 3;
        }
        first = false;
        match buffer[skip..].iter().position(|b| !b.is_ascii_whitespace()) {
            Some(at) => {
                let line = 1 + buffer[..skip + at].iter().filter(|b| **b == b'\n').count();
                return match buffer[skip + at] {
                    b'[' => Ok(JsonLayout::Array),
                    b'{' => Ok(JsonLayout::Lines),
                    _ => Err(FileError::Bad {
                        path: file.display().to_string(),
                        problem: format!(
                            "line {line}: expected a JSON array of objects or one JSON object per line"
                        ),
                    }),
                };
            }
            None => {
                let used = buffer.len();
                reader.consume(used);
            }
        }
    }
}

/// Text columns of a JSON frame whose first values are all ISO dates (or
/// all datetimes) become dates (datetimes), as CSV's do.
fn with_json_dates(frame: LazyFrame) -> ::polars::prelude::PolarsResult<LazyFrame> {
    let schema = frame.clone().collect_schema()?;
    let texts: Vec<_> = schema
        .iter()
        .filter(|(_, dtype)| **dtype == DataType::String)
        .map(|(name, _)| name.clone())
        .collect();
    if texts.is_empty() {
        return Ok(frame);
    }
    let sample = frame
        .clone()
        .select(texts.iter().map(|n| col(n.clone())).collect::<Vec<_>>())
        .limit(INFER_ROWS)
        .collect()?;
    let mut casts = Vec::new();
    for name in &texts {
        let values = sample.column(name)?.str()?;
        let mut seen = values.iter().flatten().peekable();
        if seen.peek().is_none() {
            continue;
        }
        let options = |format: &str| StrptimeOptions {
            format: Some(format.into()),
            strict: true,
            exact: true,
            cache: true,
        };
        let all: Vec<&str> = seen.collect();
        if all.iter().all(|v| is_iso_date(v)) {
            casts.push(col(name.clone()).str().to_date(options("%Y-%m-%d")));
        } else if let Some(format) = datetime_format(&all) {
            casts.push(col(name.clone()).str().to_datetime(
                Some(TimeUnit::Microseconds),
                None,
                options(format),
                lit("raise"),
            ));
        }
    }
    Ok(if casts.is_empty() {
        frame
    } else {
        frame.with_columns(casts)
    })
}

/// `2025-08-23`
fn is_iso_date(text: &str) -> bool {
    text.len() == 10 && chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").is_ok()
}

/// The one format all `values` are ISO datetimes in (`2025-08-23
/// 06:00:00`, with `T` or a fraction of a second), if any.
fn datetime_format(values: &[&str]) -> Option<&'static str> {
    ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f"]
        .into_iter()
        .find(|format| {
            values.iter().all(|v| {
                v.len() >= 19
                    && v.is_char_boundary(19)
                    && (v.len() == 19 || v[19..].starts_with('.'))
                    && chrono::NaiveDateTime::parse_from_str(v, format).is_ok()
            })
        })
}

/// Why reading `files` (named by `path`) failed, in the user's terms,
/// naming the file and, where the file shows it, the line.
pub fn read_failure(
    path: &str,
    files: &[PathBuf],
    kind: FileKind,
    error: &PolarsError,
) -> FileError {
    if let Some(problem) = diagnose_one(files, kind, error) {
        return problem;
    }
    match files {
        [one] => FileError::Bad {
            path: one.display().to_string(),
            problem: describe(error),
        },
        _ => FileError::Bad {
            path: path.to_owned(),
            problem: format!("(one of {} files) {}", files.len(), describe(error)),
        },
    }
}

/// "cannot read `file`: what is wrong where", when one of `files` shows a
/// problem that explains `error`.
pub fn diagnose(files: &[PathBuf], kind: FileKind, error: &PolarsError) -> Option<String> {
    diagnose_one(files, kind, error).map(|e| e.to_string())
}

fn diagnose_one(files: &[PathBuf], kind: FileKind, error: &PolarsError) -> Option<FileError> {
    files.iter().find_map(|file| {
        let found = match kind {
            FileKind::Csv | FileKind::Tsv => csv_problem(file, kind, error),
            FileKind::Ndjson => json_lines_problem(file),
            FileKind::Json => match json_layout(file) {
                Ok(JsonLayout::Lines) => json_lines_problem(file),
                Ok(JsonLayout::Array) => json_array_problem(file),
                Err(FileError::Bad { problem, .. }) => Some(problem),
                Err(_) => None,
            },
            FileKind::Parquet => parquet_problem(file, error),
        };
        found.map(|problem| FileError::Bad {
            path: file.display().to_string(),
            problem,
        })
    })
}

fn parquet_problem(file: &Path, error: &PolarsError) -> Option<String> {
    let mut magic = [0u8; 4];
    let mut handle = match open_regular(file) {
        Ok(handle) => handle,
        Err(FileError::Unreadable { reason, .. }) => return Some(reason),
        Err(_) => return None,
    };
    match handle.read_exact(&mut magic) {
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
            Some("not a Parquet file (too short)".to_owned())
        }
        Err(e) => Some(io_reason(&e)),
        Ok(()) if &magic != b"PAR1" => Some("not a Parquet file".to_owned()),
        Ok(()) => {
            let text = error.to_string();
            text.contains("out of specification")
                .then(|| "damaged Parquet file".to_owned())
        }
    }
}

/// Reads one line (up to and including `\n`) into `line`, keeping at
/// most `limit` bytes of it. Returns the bytes the line took (0 at the
/// end) and whether it was cut.
fn read_line_capped(
    reader: &mut impl BufRead,
    line: &mut Vec<u8>,
    limit: u64,
) -> std::io::Result<(usize, bool)> {
    line.clear();
    let mut taken = 0;
    let mut cut = false;
    loop {
        let buffer = reader.fill_buf()?;
        if buffer.is_empty() {
            return Ok((taken, cut));
        }
        let (chunk, done) = match buffer.iter().position(|b| *b == b'\n') {
            Some(at) => (&buffer[..=at], true),
            None => (buffer, false),
        };
        let room = (limit as usize).saturating_sub(line.len());
        if chunk.len() > room {
            cut = true;
        }
        line.extend_from_slice(&chunk[..chunk.len().min(room)]);
        let used = chunk.len();
        taken += used;
        reader.consume(used);
        if done {
            return Ok((taken, cut));
        }
    }
}

/// The first line of an NDJSON file that is not a JSON object.
fn json_lines_problem(file: &Path) -> Option<String> {
    let mut reader = BufReader::new(open_regular(file).ok()?.take(DIAGNOSE_LIMIT));
    let mut line = Vec::new();
    let mut number = 0;
    loop {
        number += 1;
        let (taken, cut) = read_line_capped(&mut reader, &mut line, JSON_LINE_LIMIT).ok()?;
        if taken == 0 {
            return None;
        }
        if cut {
            continue;
        }
        if number == 1 && line.starts_with(&[0xEF, 0xBB, 0xBF]) {
            line.drain(..3);
        }
        let Ok(text) = std::str::from_utf8(&line) else {
            return Some(format!("line {number}: not valid UTF-8 text"));
        };
        let text = text.trim();
        if text.is_empty() {
            continue;
        }
        if let Err(e) = serde_json::from_str::<IgnoredAny>(text) {
            return Some(format!(
                "line {number}, column {}: malformed JSON ({})",
                e.column(),
                json_reason(&e)
            ));
        }
        if !text.starts_with('{') {
            return Some(format!(
                "line {number}: expected a JSON object (one row per line)"
            ));
        }
    }
}

/// Where a `.json` array is broken, or holds something other than
/// objects.
fn json_array_problem(file: &Path) -> Option<String> {
    let reader = BufReader::new(open_regular(file).ok()?.take(DIAGNOSE_LIMIT));
    let length = std::fs::metadata(file).ok()?.len();
    let elements = Cell::new(0usize);
    let mut deserializer = serde_json::Deserializer::from_reader(reader);
    let error = Rows(&elements).deserialize(&mut deserializer).err()?;
    // A value that ends a line is reported at column 0 of the next one.
    let line = match error.column() {
        0 => error.line().saturating_sub(1).max(1),
        _ => error.line(),
    };
    match error.classify() {
        serde_json::error::Category::Io => None,
        serde_json::error::Category::Eof if length > DIAGNOSE_LIMIT => None,
        serde_json::error::Category::Eof => Some(format!(
            "line {line}: the JSON ends before the array is closed"
        )),
        serde_json::error::Category::Data => Some(format!(
            "line {line}: element {} of the array is not an object (each row is one object)",
            elements.get()
        )),
        serde_json::error::Category::Syntax => Some(format!(
            "line {line}, column {}: malformed JSON ({})",
            error.column(),
            json_reason(&error)
        )),
    }
}

/// serde_json's message without its own "at line … column …".
fn json_reason(error: &serde_json::Error) -> String {
    let text = error.to_string();
    match text.rfind(" at line ") {
        Some(cut) => text[..cut].to_owned(),
        None => text,
    }
}

/// A JSON array of objects, checked without keeping it; counts the
/// elements it has begun.
struct Rows<'a>(&'a Cell<usize>);

impl<'de> DeserializeSeed<'de> for Rows<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Rows<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of objects")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        loop {
            self.0.set(self.0.get() + 1);
            if seq.next_element::<Row>()?.is_none() {
                return Ok(());
            }
        }
    }
}

/// One JSON object, checked without keeping it.
struct Row;

impl<'de> Deserialize<'de> for Row {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Row, D::Error> {
        struct RowVisitor;
        impl<'de> Visitor<'de> for RowVisitor {
            type Value = Row;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Row, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Row)
            }
        }
        deserializer.deserialize_map(RowVisitor)
    }
}

/// Which fields of each CSV record the scanner keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Keep {
    /// Every field (at most [`MAX_COLUMNS`]): the header.
    All,
    /// The field at this index.
    One(usize),
    Nothing,
}

/// One CSV record as the scanner saw it.
#[derive(Debug, Default)]
struct Record {
    /// The line the record starts on (1-based).
    line: usize,
    fields: usize,
    /// The kept fields, each cut to [`VALUE_LIMIT`] bytes.
    values: Vec<Vec<u8>>,
    /// The first line holding bytes that are not UTF-8.
    bad_utf8: Option<usize>,
}

/// Reads CSV records a byte at a time, keeping only what it is asked to,
/// so one enormous line costs no memory. Quotes follow RFC 4180.
struct CsvScanner<R> {
    reader: R,
    separator: u8,
    keep: Keep,
    /// The line the next byte is on.
    line: usize,
    /// Bytes consumed so far.
    consumed: u64,
}

impl<R: BufRead> CsvScanner<R> {
    fn new(reader: R, separator: u8, keep: Keep) -> Self {
        CsvScanner {
            reader,
            separator,
            keep,
            line: 1,
            consumed: 0,
        }
    }

    /// The next record that is not a blank line, if any.
    fn next_record(&mut self) -> std::io::Result<Option<Record>> {
        let mut record = Record {
            line: self.line,
            fields: 1,
            ..Record::default()
        };
        let mut started = false;
        let mut in_quotes = false;
        let mut after_quote = false;
        let mut field_start = true;
        let mut field = 0usize;
        let mut value: Vec<u8> = Vec::new();
        let mut continuation = 0u8;
        let keep = self.keep;
        loop {
            let buffer = self.reader.fill_buf()?;
            if buffer.is_empty() {
                if !started {
                    return Ok(None);
                }
                finish_field(keep, &mut record, field, &mut value);
                return Ok(Some(record));
            }
            let mut used = 0;
            let mut ended = false;
            for &byte in buffer {
                used += 1;
                // UTF-8: continuation bytes must follow a leading byte.
                if continuation > 0 {
                    if byte & 0xC0 == 0x80 {
                        continuation -= 1;
                    } else {
                        continuation = 0;
                        record.bad_utf8.get_or_insert(self.line);
                    }
                } else if byte >= 0x80 {
                    continuation = match byte {
                        0xC2..=0xDF => 1,
                        0xE0..=0xEF => 2,
                        0xF0..=0xF4 => 3,
                        _ => {
                            record.bad_utf8.get_or_insert(self.line);
                            0
                        }
                    };
                }
                if !started && (byte == b'\n' || byte == b'\r') {
                    if byte == b'\n' {
                        self.line += 1;
                        record.line = self.line;
                    }
                    continue;
                }
                started = true;
                if in_quotes {
                    if byte == b'"' {
                        in_quotes = false;
                        after_quote = true;
                    } else {
                        if byte == b'\n' {
                            self.line += 1;
                        }
                        push_value(keep, field, &mut value, byte);
                    }
                    continue;
                }
                if after_quote {
                    after_quote = false;
                    if byte == b'"' {
                        in_quotes = true;
                        push_value(keep, field, &mut value, byte);
                        continue;
                    }
                }
                if byte == b'\n' {
                    self.line += 1;
                    ended = true;
                    break;
                } else if byte == b'\r' {
                    continue;
                } else if byte == self.separator {
                    finish_field(keep, &mut record, field, &mut value);
                    field += 1;
                    record.fields += 1;
                    field_start = true;
                } else if byte == b'"' && field_start {
                    in_quotes = true;
                    field_start = false;
                } else {
                    field_start = false;
                    push_value(keep, field, &mut value, byte);
                }
            }
            self.reader.consume(used);
            self.consumed += used as u64;
            if ended {
                finish_field(keep, &mut record, field, &mut value);
                return Ok(Some(record));
            }
        }
    }
}

fn wanted(keep: Keep, field: usize) -> bool {
    match keep {
        Keep::All => field < MAX_COLUMNS,
        Keep::One(index) => field == index,
        Keep::Nothing => false,
    }
}

fn push_value(keep: Keep, field: usize, value: &mut Vec<u8>, byte: u8) {
    if wanted(keep, field) && value.len() < VALUE_LIMIT {
        value.push(byte);
    }
}

fn finish_field(keep: Keep, record: &mut Record, field: usize, value: &mut Vec<u8>) {
    if wanted(keep, field) {
        record.values.push(std::mem::take(value));
    }
}

/// The column names of a CSV or TSV file, read with a bound: a header
/// wider than [`MAX_COLUMNS`] or longer than [`HEADER_LIMIT`] bytes is
/// refused. An empty file has no columns.
fn read_header(file: &Path, kind: FileKind) -> Result<Vec<String>, FileError> {
    let handle = open_regular(file)?.take(HEADER_LIMIT + 1);
    let mut scanner = CsvScanner::new(BufReader::new(handle), kind.separator(), Keep::All);
    let record = scanner
        .next_record()
        .map_err(|e| unreadable(file, &e))?
        .unwrap_or_default();
    let path = || file.display().to_string();
    if record.fields > MAX_COLUMNS {
        return Err(FileError::TooManyColumns { path: path() });
    }
    if scanner.consumed > HEADER_LIMIT {
        return Err(FileError::HeaderTooLong { path: path() });
    }
    Ok(record
        .values
        .iter()
        .map(|v| String::from_utf8_lossy(v).into_owned())
        .collect())
}

/// Finds the row of a CSV file behind a parse error: a row with the wrong
/// number of fields, bytes that are not UTF-8, or the first row holding
/// the value that did not parse.
fn csv_problem(file: &Path, kind: FileKind, error: &PolarsError) -> Option<String> {
    let message = error.to_string();
    let bad_value = between(&message, "could not parse `", "`");
    let column = between(&message, "at column '", "'");
    let headers = match read_header(file, kind) {
        Ok(headers) => headers,
        Err(FileError::TooManyColumns { .. }) => {
            return Some(format!(
                "line 1: the header has more than {MAX_COLUMNS} columns, the most infraql reads"
            ));
        }
        Err(FileError::HeaderTooLong { .. }) => {
            return Some(format!(
                "line 1: the header line is longer than {} MiB",
                HEADER_LIMIT >> 20
            ));
        }
        Err(_) => return None,
    };
    let column_index = column.and_then(|c| headers.iter().position(|h| h == c));
    let handle = open_regular(file).ok()?.take(DIAGNOSE_LIMIT);
    let mut scanner = CsvScanner::new(BufReader::new(handle), kind.separator(), Keep::Nothing);
    let header = scanner.next_record().ok()??;
    if let Some(line) = header.bad_utf8 {
        return Some(format!("line {line}: not valid UTF-8 text"));
    }
    scanner.keep = column_index.map_or(Keep::Nothing, Keep::One);
    let fields = |n: usize| {
        if n == 1 {
            "1 field".to_owned()
        } else {
            format!("{n} fields")
        }
    };
    while let Some(record) = scanner.next_record().ok()? {
        if let Some(line) = record.bad_utf8 {
            return Some(format!("line {line}: not valid UTF-8 text"));
        }
        if record.fields != header.fields {
            return Some(format!(
                "line {} has {}, the header has {}",
                record.line,
                fields(record.fields),
                fields(header.fields)
            ));
        }
        if let (Some(value), Some(index)) = (bad_value, column_index)
            && record.values.first().map(Vec::as_slice) == Some(value.as_bytes())
        {
            let expected = between(&message, "as dtype `", "`").map_or(String::new(), |t| {
                format!(" (the column holds {} values)", friendly_dtype(t))
            });
            return Some(format!(
                "line {}, column `{}`: `{value}` does not fit the column's type{expected}",
                record.line,
                headers.get(index).map_or("?", String::as_str)
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

/// Tables for a folder's data files (`--data DIR`): each file with a data
/// extension, by name, as (table name, path). Folders are passed over;
/// anything else that is not a regular file is refused by name.
pub fn data_files(dir: &Path) -> Result<Vec<(String, PathBuf)>, FileError> {
    let folder = |e: std::io::Error| FileError::Folder {
        path: dir.display().to_string(),
        reason: match e.kind() {
            std::io::ErrorKind::NotFound => "no such directory".to_owned(),
            _ => io_reason(&e),
        },
    };
    let entries = std::fs::read_dir(dir).map_err(folder)?;
    let mut found: Vec<PathBuf> = Vec::new();
    for entry in entries {
        let path = entry.map_err(folder)?.path();
        if FileKind::of(&path.to_string_lossy()).is_err() {
            continue;
        }
        let metadata = metadata_of(&path)?;
        if metadata.is_dir() {
            continue;
        }
        ensure_regular(&path, &metadata)?;
        found.push(path);
    }
    found.sort();
    let mut tables: HashMap<String, PathBuf> = HashMap::new();
    let mut out = Vec::with_capacity(found.len());
    for path in found {
        let (Some(name), Some(_)) = (path.file_stem().and_then(|s| s.to_str()), path.to_str())
        else {
            continue;
        };
        if let Some(first) = tables.insert(name.to_owned(), path.clone()) {
            return Err(FileError::Bad {
                path: dir.display().to_string(),
                problem: format!(
                    "`{}` and `{}` would both be table `{name}`",
                    first.display(),
                    path.display()
                ),
            });
        }
        out.push((name.to_owned(), path));
    }
    Ok(out)
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
        assert_eq!(FileKind::of("a.json"), Ok(FileKind::Json));
        assert!(FileKind::of("a.xlsx").is_err());
    }

    #[test]
    fn globs_that_match_nothing_say_so() {
        let dir = tempfile::tempdir().unwrap();
        let pattern = format!("{}/*.parquet", dir.path().display());
        assert_eq!(
            expand(&pattern),
            Err(FileError::NoMatch {
                pattern: pattern.clone()
            })
        );
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
            expand(&path).unwrap_err().to_string(),
            format!("`{path}` is a directory, not a file")
        );
        assert_eq!(
            expand("/no/such.csv").unwrap_err().to_string(),
            "no such file: `/no/such.csv`"
        );
    }

    #[test]
    fn a_path_that_exists_is_that_file_even_with_glob_characters() {
        let dir = tempfile::tempdir().unwrap();
        let literal = dir.path().join("brackets[1].csv");
        std::fs::write(&literal, "a\n1\n").unwrap();
        std::fs::write(dir.path().join("brackets1.csv"), "a\n2\n").unwrap();
        let path = literal.display().to_string();
        assert_eq!(expand(&path).unwrap(), vec![literal.clone()]);
        // A name that does not exist is a glob; `[[]` is a literal `[`.
        let pattern = format!("{}/brackets[[]*", dir.path().display());
        assert_eq!(expand(&pattern).unwrap(), vec![literal]);
    }

    #[test]
    fn a_path_below_a_file_is_not_reported_as_missing() {
        // Works as root too, unlike a folder without permissions.
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a.csv");
        std::fs::write(&file, "a\n1\n").unwrap();
        let below = format!("{}/b.csv", file.display());
        assert_eq!(
            expand(&below).unwrap_err().to_string(),
            format!("cannot read `{below}`: a part of the path is not a directory")
        );
    }

    #[test]
    fn a_broken_link_is_named_as_such() {
        let dir = tempfile::tempdir().unwrap();
        let link = dir.path().join("gone.csv");
        std::os::unix::fs::symlink(dir.path().join("nothing"), &link).unwrap();
        assert_eq!(
            expand(&link.display().to_string()).unwrap_err().to_string(),
            format!(
                "cannot read `{}`: a symbolic link to a file that does not exist",
                link.display()
            )
        );
    }

    #[test]
    fn special_files_are_refused_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let zero = dir.path().join("z.csv");
        std::os::unix::fs::symlink("/dev/zero", &zero).unwrap();
        let path = zero.display().to_string();
        assert_eq!(
            expand(&path).unwrap_err().to_string(),
            format!("cannot read `{path}`: it is a character device, not a regular file")
        );
        assert!(open_regular(&zero).is_err());
        assert!(read_script(&zero).is_err());
        // The error-reporting path does not read it either.
        let error = PolarsError::ComputeError("could not parse `x` as dtype `i64`".into());
        assert_eq!(
            diagnose(std::slice::from_ref(&zero), FileKind::Csv, &error),
            None
        );
        assert_eq!(diagnose(&[zero], FileKind::Json, &error), None);
    }

    #[test]
    fn a_header_wider_than_the_limit_is_refused_at_line_1() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("wide.csv");
        std::fs::write(&file, ",".repeat(MAX_COLUMNS + 5) + "\n1\n").unwrap();
        let Err(error) = scan(&file.display().to_string()) else {
            panic!("a header of {} columns was read", MAX_COLUMNS + 6);
        };
        assert_eq!(
            error.to_string(),
            format!(
                "cannot read `{}`, line 1: the header has more than {MAX_COLUMNS} columns, the most infraql reads",
                file.display(),
            )
        );
        // Exactly the limit is fine.
        std::fs::write(&file, ",".repeat(MAX_COLUMNS - 1) + "\n").unwrap();
        assert_eq!(
            read_header(&file, FileKind::Csv).unwrap().len(),
            MAX_COLUMNS
        );
    }

    #[test]
    fn a_header_line_longer_than_the_limit_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("long.csv");
        std::fs::write(&file, "x".repeat(HEADER_LIMIT as usize + 10)).unwrap();
        assert_eq!(
            read_header(&file, FileKind::Csv),
            Err(FileError::HeaderTooLong {
                path: file.display().to_string()
            })
        );
    }

    #[test]
    fn the_scanner_follows_quotes_and_counts_lines() {
        let text = "a,b\n\"x,\ny\",1\n\n\"say \"\"hi\"\"\",2\r\nlast,3";
        let mut scanner = CsvScanner::new(text.as_bytes(), b',', Keep::One(0));
        let mut seen = Vec::new();
        while let Some(r) = scanner.next_record().unwrap() {
            seen.push((
                r.line,
                r.fields,
                String::from_utf8(r.values[0].clone()).unwrap(),
            ));
        }
        assert_eq!(
            seen,
            [
                (1, 2, "a".to_owned()),
                (2, 2, "x,\ny".to_owned()),
                (5, 2, "say \"hi\"".to_owned()),
                (6, 2, "last".to_owned()),
            ]
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
        std::fs::write(&file, b"a,n\nx,1\ny,\xff\n").unwrap();
        assert_eq!(
            csv_problem(&file, FileKind::Csv, &ragged).as_deref(),
            Some("line 3: not valid UTF-8 text")
        );
    }

    #[test]
    fn finds_the_line_of_broken_json() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("t.ndjson");
        std::fs::write(&file, "{\"a\":1}\n\n{\"a\":\n").unwrap();
        let problem = json_lines_problem(&file).unwrap();
        assert!(
            problem.starts_with("line 3, column 5: malformed JSON"),
            "{problem}"
        );
        std::fs::write(&file, "{\"a\":1}\n[1]\n").unwrap();
        assert_eq!(
            json_lines_problem(&file).as_deref(),
            Some("line 2: expected a JSON object (one row per line)")
        );
    }

    #[test]
    fn finds_the_line_of_a_broken_json_array() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("t.json");
        std::fs::write(&file, "[\n{\"a\":1},\n{\"a\" 2}\n]\n").unwrap();
        let problem = json_array_problem(&file).unwrap();
        assert!(
            problem.starts_with("line 3, column 6: malformed JSON"),
            "{problem}"
        );
        std::fs::write(&file, "[\n{\"a\":1},\n3\n]\n").unwrap();
        assert_eq!(
            json_array_problem(&file).as_deref(),
            Some("line 3: element 2 of the array is not an object (each row is one object)")
        );
        std::fs::write(&file, "[{\"a\":1},").unwrap();
        assert_eq!(
            json_array_problem(&file).as_deref(),
            Some("line 1: the JSON ends before the array is closed")
        );
        std::fs::write(&file, "  \n 7").unwrap();
        assert_eq!(
            json_layout(&file).unwrap_err().to_string(),
            format!(
                "cannot read `{}`: line 2: expected a JSON array of objects or one JSON object per line",
                file.display()
            )
        );
    }

    #[test]
    fn json_arrays_and_lines_both_read_from_dot_json() {
        let dir = tempfile::tempdir().unwrap();
        let array = dir.path().join("a.json");
        std::fs::write(
            &array,
            "[{\"n\":1,\"d\":\"2025-08-23\"},{\"n\":2,\"d\":null}]",
        )
        .unwrap();
        let lines = dir.path().join("b.json");
        std::fs::write(&lines, "{\"n\":3,\"d\":\"2025-08-24\"}\n").unwrap();
        for file in [&array, &lines] {
            let (_, schema) = open(&file.display().to_string()).unwrap();
            assert_eq!(schema.get("n"), Some(&DataType::Int64));
            assert_eq!(schema.get("d"), Some(&DataType::Date), "{}", file.display());
        }
        let both = format!("{}/*.json", dir.path().display());
        let rows = scan(&both).unwrap().collect().unwrap();
        assert_eq!(rows.height(), 3);
    }

    #[test]
    fn json_text_becomes_a_date_only_when_every_value_is_one() {
        assert!(is_iso_date("2025-08-23"));
        assert!(!is_iso_date("2025-13-01"));
        assert_eq!(
            datetime_format(&["2025-08-23 06:00:00", "2025-08-23 06:00:00.25"]),
            Some("%Y-%m-%d %H:%M:%S%.f")
        );
        assert_eq!(
            datetime_format(&["2025-08-23T06:00:00"]),
            Some("%Y-%m-%dT%H:%M:%S%.f")
        );
        assert_eq!(datetime_format(&["2025-08-23 06:00:00", "soon"]), None);
        assert_eq!(datetime_format(&["2025-08-23 06:00:00Z"]), None);
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

    #[test]
    fn scripts_are_regular_bounded_utf8_files() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("s.iql");
        std::fs::write(&file, "services\n| count\n").unwrap();
        assert_eq!(read_script(&file).unwrap(), "services\n| count\n");
        std::fs::write(&file, b"services\n\xff\n").unwrap();
        assert_eq!(
            read_script(&file).unwrap_err().to_string(),
            format!(
                "cannot read `{}`: line 2: not valid UTF-8 text",
                file.display()
            )
        );
        assert!(matches!(
            read_script(dir.path()),
            Err(FileError::Directory { .. })
        ));
    }

    #[test]
    fn data_folders_name_their_special_files() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("t[1].csv"), "a\n1\n").unwrap();
        std::fs::write(dir.path().join("notes.txt"), "x").unwrap();
        std::fs::create_dir(dir.path().join("parts.parquet")).unwrap();
        let tables = data_files(dir.path()).unwrap();
        assert_eq!(
            tables,
            vec![("t[1]".to_owned(), dir.path().join("t[1].csv"))]
        );
        let zero = dir.path().join("z.csv");
        std::os::unix::fs::symlink("/dev/zero", &zero).unwrap();
        assert_eq!(
            data_files(dir.path()).unwrap_err().to_string(),
            format!(
                "cannot read `{}`: it is a character device, not a regular file",
                zero.display()
            )
        );
    }
}
