//! The shell's history file, read and written so that no entry is lost.
//!
//! The format is the one rustyline writes (so files from earlier versions
//! read as before): a first line `#V2`, then one entry per line with line
//! feeds written as `\n` and backslashes as `\\`, so a statement over
//! several lines stays one entry. A file without the `#V2` line is the
//! older one-line-per-entry format; the first write turns it into the
//! current one.
//!
//! Reading keeps every readable line: a line that is not UTF-8 or holds an
//! escape other than `\n` and `\\` is skipped and reported, and the lines
//! around it are kept. Writing appends this session's new entries under an
//! exclusive lock on a lock file beside the history (`history.txt.lock`),
//! so shells open at the same time keep each other's entries. A file that
//! has grown past its limit is rewritten, still under the lock, to the
//! newest entries: written to a temporary file and renamed over the old
//! one, so an interrupted rewrite leaves the old file whole.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// How many entries the file keeps when it is rewritten.
pub const MAX_ENTRIES: usize = 1000;

/// The first line of a file in the current format.
const HEADER: &[u8] = b"#V2";

/// What went wrong reading or writing a history file.
#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    #[error("cannot read history file `{}`: {source}", path.display())]
    Read { path: PathBuf, source: io::Error },
    #[error("cannot write history file `{}`: {source}", path.display())]
    Write { path: PathBuf, source: io::Error },
    #[error("cannot lock history file `{}`: {source}", path.display())]
    Lock { path: PathBuf, source: io::Error },
}

/// Why a line of the file was left out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unreadable {
    NotUtf8,
    /// A backslash not followed by `n` or `\`.
    BadEscape,
}

impl std::fmt::Display for Unreadable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Unreadable::NotUtf8 => "not valid UTF-8",
            Unreadable::BadEscape => "a backslash that is not `\\n` or `\\\\`",
        })
    }
}

/// The entries of a history file, oldest first, and the lines that could
/// not be read (1-based line numbers).
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Loaded {
    pub entries: Vec<String>,
    pub skipped: Vec<(usize, Unreadable)>,
}

/// Reads the history at `path`; a missing file is an empty history.
pub fn load(path: &Path) -> Result<Loaded, HistoryError> {
    // A shared lock keeps a half-written append out of what is read. When
    // the lock file cannot be made (a read-only directory), read anyway:
    // nothing can be written there either.
    let lock = open_lock(path).ok();
    if let Some(lock) = &lock {
        lock.lock_shared().map_err(|source| HistoryError::Lock {
            path: path.to_owned(),
            source,
        })?;
    }
    Ok(parse(&read_bytes(path)?))
}

/// Appends `entries` to the history at `path`, creating it (and its
/// directory) if need be. Once the file holds more than `keep + keep / 4`
/// entries it is rewritten with the newest `keep`.
pub fn append(path: &Path, entries: &[&str], keep: usize) -> Result<(), HistoryError> {
    if entries.is_empty() {
        return Ok(());
    }
    let write_error = |source| HistoryError::Write {
        path: path.to_owned(),
        source,
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(write_error)?;
    }
    let lock = open_lock(path).map_err(|source| HistoryError::Lock {
        path: path.to_owned(),
        source,
    })?;
    lock.lock().map_err(|source| HistoryError::Lock {
        path: path.to_owned(),
        source,
    })?;
    // Everything below happens under the lock, which is released when
    // `lock` is dropped.
    let bytes = read_bytes(path)?;
    let current = is_current_format(&bytes);
    let old = if bytes.is_empty() {
        Loaded::default()
    } else {
        parse(&bytes)
    };
    let total = old.entries.len() + entries.len();
    if (!bytes.is_empty() && !current) || total > keep + keep / 4 {
        let all = old
            .entries
            .iter()
            .map(String::as_str)
            .chain(entries.iter().copied());
        let newest = all.skip(total.saturating_sub(keep));
        return rewrite(path, newest).map_err(write_error);
    }
    let mut out = Vec::new();
    if bytes.is_empty() {
        out.extend_from_slice(HEADER);
        out.push(b'\n');
    } else if bytes.last() != Some(&b'\n') {
        // A last line without its line feed must not run into ours.
        out.push(b'\n');
    }
    for entry in entries {
        encode(entry, &mut out);
    }
    let mut file = open_for_append(path).map_err(write_error)?;
    file.write_all(&out).map_err(write_error)?;
    drop(lock);
    Ok(())
}

/// The lock file beside the history: `history.txt.lock`.
fn open_lock(path: &Path) -> io::Result<File> {
    let mut name = path.as_os_str().to_owned();
    name.push(".lock");
    private(OpenOptions::new().create(true).truncate(false).write(true)).open(PathBuf::from(name))
}

fn open_for_append(path: &Path) -> io::Result<File> {
    private(OpenOptions::new().create(true).append(true)).open(path)
}

/// History is private: new files are readable by their owner only.
fn private(options: &mut OpenOptions) -> &mut OpenOptions {
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options
}

fn read_bytes(path: &Path) -> Result<Vec<u8>, HistoryError> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(bytes),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(source) => Err(HistoryError::Read {
            path: path.to_owned(),
            source,
        }),
    }
}

/// Writes `entries` as the whole file: a temporary file in the same
/// directory, renamed over the old file once complete.
fn rewrite<'a>(path: &Path, entries: impl Iterator<Item = &'a str>) -> io::Result<()> {
    let dir = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let mut out = HEADER.to_vec();
    out.push(b'\n');
    for entry in entries {
        encode(entry, &mut out);
    }
    // Temporary files are created readable by their owner only.
    let mut temp = tempfile::Builder::new()
        .prefix(".infraql-history-")
        .tempfile_in(dir)?;
    temp.write_all(&out)?;
    temp.as_file().sync_all()?;
    temp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

fn is_current_format(bytes: &[u8]) -> bool {
    bytes == HEADER || bytes.starts_with(b"#V2\n") || bytes.starts_with(b"#V2\r\n")
}

/// One entry as a line of the file.
fn encode(entry: &str, out: &mut Vec<u8>) {
    for &b in entry.as_bytes() {
        match b {
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            _ => out.push(b),
        }
    }
    out.push(b'\n');
}

/// The entries of a file's bytes, skipping empty and unreadable lines.
fn parse(bytes: &[u8]) -> Loaded {
    let current = is_current_format(bytes);
    let mut loaded = Loaded::default();
    for (index, line) in bytes.split(|&b| b == b'\n').enumerate() {
        if current && index == 0 {
            continue;
        }
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            continue;
        }
        let Ok(text) = std::str::from_utf8(line) else {
            loaded.skipped.push((index + 1, Unreadable::NotUtf8));
            continue;
        };
        if !current {
            loaded.entries.push(text.to_owned());
            continue;
        }
        match unescape(text) {
            Some(entry) => loaded.entries.push(entry),
            None => loaded.skipped.push((index + 1, Unreadable::BadEscape)),
        }
    }
    loaded
}

/// A line of the current format as its entry; `None` for an escape other
/// than `\n` and `\\`.
fn unescape(line: &str) -> Option<String> {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('\\') => out.push('\\'),
            _ => return None,
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    use rustyline::history::{FileHistory, History, SearchDirection};

    fn entries(path: &Path) -> Vec<String> {
        let loaded = load(path).unwrap();
        assert_eq!(loaded.skipped, [], "no unreadable lines");
        loaded.entries
    }

    #[test]
    fn load_keeps_the_entries_around_an_invalid_utf8_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("history.txt");
        std::fs::write(
            &path,
            b"#V2\nservers | count\nbad \xff\xfe line\nservices |\\n  count\n",
        )
        .unwrap();
        let loaded = load(&path).unwrap();
        assert_eq!(loaded.entries, ["servers | count", "services |\n  count"]);
        assert_eq!(loaded.skipped, [(3, Unreadable::NotUtf8)]);
    }

    #[test]
    fn load_skips_a_bad_escape_and_empty_lines() {
        let loaded = parse(b"#V2\na\\qb\n\n\nc \\\\ d\r\nlast");
        assert_eq!(loaded.entries, ["c \\ d", "last"]);
        assert_eq!(loaded.skipped, [(2, Unreadable::BadEscape)]);
    }

    #[test]
    fn load_of_a_missing_file_is_empty() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(
            load(&dir.path().join("none.txt")).unwrap(),
            Loaded::default()
        );
    }

    #[test]
    fn an_unreadable_path_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("history.txt");
        std::fs::create_dir(&path).unwrap();
        let err = load(&path).unwrap_err();
        assert!(
            err.to_string().contains(&path.display().to_string()),
            "{err}"
        );
        let err = append(&path, &["x"], MAX_ENTRIES).unwrap_err();
        assert!(
            err.to_string().contains(&path.display().to_string()),
            "{err}"
        );
    }

    #[test]
    fn appended_entries_read_back_with_their_line_feeds() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub").join("history.txt");
        append(&path, &["a |\n  take 1", "b \\ c"], MAX_ENTRIES).unwrap();
        append(&path, &["d"], MAX_ENTRIES).unwrap();
        assert_eq!(
            std::fs::read(&path).unwrap(),
            b"#V2\na |\\n  take 1\nb \\\\ c\nd\n"
        );
        assert_eq!(entries(&path), ["a |\n  take 1", "b \\ c", "d"]);
    }

    #[test]
    fn the_file_format_is_the_one_rustyline_reads_and_writes() {
        let dir = tempfile::tempdir().unwrap();
        let ours = dir.path().join("ours.txt");
        append(&ours, &["x |\n where y", "back\\slash"], MAX_ENTRIES).unwrap();
        let mut theirs = FileHistory::new();
        theirs.load(&ours).unwrap();
        let read: Vec<String> = (0..theirs.len())
            .map(|i| {
                let found = theirs.get(i, SearchDirection::Forward).unwrap();
                found.unwrap().entry.into_owned()
            })
            .collect();
        assert_eq!(read, ["x |\n where y", "back\\slash"]);

        let written = dir.path().join("theirs.txt");
        theirs.add("third\nline").unwrap();
        theirs.save(&written).unwrap();
        assert_eq!(
            entries(&written),
            ["x |\n where y", "back\\slash", "third\nline"]
        );
    }

    #[test]
    fn an_old_format_file_is_kept_and_converted_on_the_first_write() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("history.txt");
        std::fs::write(&path, "old one\nold \\two\n").unwrap();
        assert_eq!(entries(&path), ["old one", "old \\two"]);
        append(&path, &["new"], MAX_ENTRIES).unwrap();
        assert!(std::fs::read(&path).unwrap().starts_with(b"#V2\n"));
        assert_eq!(entries(&path), ["old one", "old \\two", "new"]);
    }

    #[test]
    fn an_entry_appended_after_an_unterminated_line_stays_separate() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("history.txt");
        std::fs::write(&path, "#V2\nfirst").unwrap();
        append(&path, &["second"], MAX_ENTRIES).unwrap();
        assert_eq!(entries(&path), ["first", "second"]);
    }

    #[test]
    fn appending_keeps_unreadable_lines_in_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("history.txt");
        std::fs::write(&path, b"#V2\na\n\xff\n").unwrap();
        append(&path, &["b"], MAX_ENTRIES).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"#V2\na\n\xff\nb\n");
    }

    #[test]
    fn a_full_file_is_rewritten_with_the_newest_entries() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("history.txt");
        for i in 0..23 {
            append(&path, &[&format!("q{i}")], 8).unwrap();
            let kept = entries(&path);
            assert!(kept.len() <= 10, "{kept:?}");
            assert_eq!(kept.last().unwrap(), &format!("q{i}"));
        }
        // Rewritten to the newest 8 whenever an append would make 11: after
        // q10, q13, q16, q19 and q22.
        let expected: Vec<String> = (15..23).map(|i| format!("q{i}")).collect();
        assert_eq!(entries(&path), expected);
        // No temporary file is left behind.
        let mut names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, ["history.txt", "history.txt.lock"]);
    }

    /// Two writers appending at once, each with its own handle on the
    /// file, as two shells would.
    fn append_concurrently(path: &Path, keep: usize) {
        let start = std::sync::Barrier::new(2);
        std::thread::scope(|scope| {
            for writer in ["a", "b"] {
                let start = &start;
                scope.spawn(move || {
                    start.wait();
                    for i in 0..10 {
                        append(path, &[&format!("{writer}{i} |\n  take {i}")], keep).unwrap();
                    }
                });
            }
        });
    }

    #[test]
    fn concurrent_appends_keep_every_entry() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("history.txt");
        append_concurrently(&path, MAX_ENTRIES);
        let mut kept = entries(&path);
        assert_eq!(kept.len(), 20, "{kept:?}");
        kept.sort();
        let mut expected: Vec<String> = ["a", "b"]
            .iter()
            .flat_map(|w| (0..10).map(move |i| format!("{w}{i} |\n  take {i}")))
            .collect();
        expected.sort();
        assert_eq!(kept, expected);
    }

    #[test]
    fn concurrent_appends_with_rewrites_keep_whole_entries_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("history.txt");
        append_concurrently(&path, 6);
        let kept = entries(&path);
        assert!((6..=7).contains(&kept.len()), "{kept:?}");
        for writer in ["a", "b"] {
            let numbers: Vec<usize> = kept
                .iter()
                .filter_map(|e| e.strip_prefix(writer))
                .map(|rest| {
                    let (n, tail) = rest.split_once(" |\n  take ").expect("a whole entry");
                    assert_eq!(n, tail);
                    n.parse().unwrap()
                })
                .collect();
            assert!(numbers.windows(2).all(|w| w[0] < w[1]), "{kept:?}");
        }
        // Whichever writer finished last, its last entry is the newest.
        assert!(
            kept.last().unwrap().starts_with("a9") || kept.last().unwrap().starts_with("b9"),
            "{kept:?}"
        );
    }
}
