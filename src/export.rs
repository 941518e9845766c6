//! Writing results to files, atomically.
//!
//! The result is written to a temporary file in the target's directory and
//! renamed over the target only once it is complete, so a failed,
//! cancelled or interrupted export leaves no half-written file and keeps
//! any old one.
//!
//! - Cancelling (a [`Cancel`] flag, set by Ctrl-C in the shell) is checked
//!   on every write and once more just before the rename; a cancelled
//!   export removes its temporary file and leaves the target untouched.
//! - Temporary files are named `.infraql-export-PID-XXXXXX` after the
//!   writing process. A process killed mid-export cannot remove its own,
//!   so each export removes those of processes that no longer exist from
//!   the folder it writes to (never a live process's file, never any other
//!   file).
//! - A new file gets the usual mode (0666 less the umask); a file being
//!   replaced keeps its mode.
//! - A symbolic link is written through: the file it points to is
//!   replaced and the link stays. A target that is not a regular file (a
//!   device, a FIFO, a directory) is refused.

use std::fs::Permissions;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use ::polars::prelude::DataFrame;

use crate::cancel::Cancel;
use crate::format::Format;
use crate::render;

/// The start of every temporary file name an export uses.
pub const TEMP_PREFIX: &str = ".infraql-export-";

/// The largest piece handed to the file in one write, so a cancel is seen
/// within that many bytes even when a writer hands over a huge buffer.
const CHUNK: usize = 64 << 10;

/// Why an export wrote nothing.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// Stopped on request; the target is as it was.
    #[error("cancelled")]
    Cancelled,
    #[error("cannot write `{}`: directory `{}` does not exist", path.display(), dir.display())]
    NoDirectory { path: PathBuf, dir: PathBuf },
    #[error("cannot write `{}`: it is {what}, not a regular file", path.display())]
    NotRegular { path: PathBuf, what: &'static str },
    #[error("cannot write `{}`: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    /// The result could not be put in the format (e.g. a type CSV has no
    /// place for).
    #[error("cannot write `{}`: {message}", path.display())]
    Format { path: PathBuf, message: String },
}

/// Writes `frame` to `path` in `format`, all or nothing.
pub fn write_file(frame: &mut DataFrame, path: &Path, format: Format) -> Result<(), ExportError> {
    write_file_cancellable(frame, path, format, &Cancel::new())
}

/// Writes `frame` to `path` in `format`, all or nothing, stopping with
/// [`ExportError::Cancelled`] once `cancel` is set.
pub fn write_file_cancellable(
    frame: &mut DataFrame,
    path: &Path,
    format: Format,
    cancel: &Cancel,
) -> Result<(), ExportError> {
    write_with(frame, path, format, cancel, || {})
}

/// Writes a result that arrives in batches to `path` in `format`, all or
/// nothing, without holding it whole: `produce` is handed a sink to give
/// each batch to, in order (the first may have no rows; at least one is
/// needed to know the columns). An error from `produce`, or from the sink
/// (which `produce` should pass on), leaves the target as it was. Gives
/// the number of rows written.
pub fn write_batches<E: From<ExportError>>(
    path: &Path,
    format: Format,
    cancel: &Cancel,
    produce: impl FnOnce(&mut dyn FnMut(DataFrame) -> Result<(), ExportError>) -> Result<(), E>,
) -> Result<usize, E> {
    write_through(
        path,
        cancel,
        || {},
        |out| {
            let mut writer = render::batched::BatchWriter::new(format, out);
            produce(&mut |batch| {
                writer
                    .write(batch)
                    .map_err(|e| render_failure(e, path, cancel))
            })?;
            let rows = writer.rows();
            writer
                .finish()
                .map_err(|e| render_failure(e, path, cancel))?;
            Ok(rows)
        },
    )
}

/// [`write_file_cancellable`], calling `before_rename` once the data is
/// written and synced (tests cancel there).
fn write_with(
    frame: &mut DataFrame,
    path: &Path,
    format: Format,
    cancel: &Cancel,
    before_rename: impl FnOnce(),
) -> Result<(), ExportError> {
    write_through(path, cancel, before_rename, |out| {
        render::write(frame, format, &render::View::rows(usize::MAX), out)
            .map_err(|e| render_failure(e, path, cancel))
    })
}

/// A failure to render to the export's file, in the export's terms.
fn render_failure(error: render::RenderError, path: &Path, cancel: &Cancel) -> ExportError {
    if cancel.is_cancelled() {
        return ExportError::Cancelled;
    }
    match error {
        render::RenderError::Io(source) => ExportError::Io {
            path: path.to_path_buf(),
            source,
        },
        render::RenderError::Format(message) => ExportError::Format {
            path: path.to_path_buf(),
            message,
        },
    }
}

/// The all-or-nothing write: `body` writes the data to a temporary file
/// beside the target, which replaces the target once it is complete and
/// synced (after `before_rename`, and unless cancelled by then).
fn write_through<T, E: From<ExportError>>(
    path: &Path,
    cancel: &Cancel,
    before_rename: impl FnOnce(),
    body: impl FnOnce(&mut dyn Write) -> Result<T, E>,
) -> Result<T, E> {
    if cancel.is_cancelled() {
        return Err(ExportError::Cancelled.into());
    }
    let io_error = |source: io::Error| ExportError::Io {
        path: path.to_path_buf(),
        source,
    };
    let target = resolve_link(path).map_err(io_error)?;
    let dir = match target.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if !dir.is_dir() {
        return Err(ExportError::NoDirectory {
            path: path.to_path_buf(),
            dir,
        }
        .into());
    }
    let old_permissions = match std::fs::metadata(&target) {
        Ok(metadata) if metadata.is_file() => Some(metadata.permissions()),
        Ok(metadata) => {
            return Err(ExportError::NotRegular {
                path: path.to_path_buf(),
                what: if metadata.is_dir() {
                    "a directory"
                } else {
                    "a special file"
                },
            }
            .into());
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => None,
        Err(e) => return Err(io_error(e).into()),
    };
    remove_stale_temporaries(&dir);

    let prefix = format!("{TEMP_PREFIX}{}-", std::process::id());
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix);
    // A new file: read and write for all, less the umask (which the
    // system applies at creation).
    #[cfg(unix)]
    if old_permissions.is_none() {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(Permissions::from_mode(0o666));
    }
    let temp = builder.tempfile_in(&dir).map_err(io_error)?;
    if let Some(permissions) = old_permissions {
        temp.as_file()
            .set_permissions(permissions)
            .map_err(io_error)?;
    }
    // From here on, returning drops `temp`, which removes the file.
    let value = {
        let mut out = Checked {
            inner: BufWriter::new(temp.as_file()),
            cancel,
        };
        let value = body(&mut out)?;
        out.flush()
            .map_err(|e| render_failure(render::RenderError::Io(e), path, cancel))?;
        value
    };
    temp.as_file().sync_all().map_err(io_error)?;
    before_rename();
    if cancel.is_cancelled() {
        return Err(ExportError::Cancelled.into());
    }
    temp.persist(&target).map_err(|e| io_error(e.error))?;
    Ok(value)
}

/// The file a symbolic link at `path` points to (the link is kept and its
/// target replaced); `path` itself otherwise.
fn resolve_link(path: &Path) -> io::Result<PathBuf> {
    match std::fs::symlink_metadata(path) {
        Ok(metadata) if metadata.file_type().is_symlink() => std::fs::canonicalize(path),
        _ => Ok(path.to_path_buf()),
    }
}

/// The process id in a temporary file name of ours, if `name` is one.
fn temporary_owner(name: &str) -> Option<u32> {
    let rest = name.strip_prefix(TEMP_PREFIX)?;
    let (pid, random) = rest.split_once('-')?;
    if pid.is_empty() || !pid.bytes().all(|b| b.is_ascii_digit()) || random.is_empty() {
        return None;
    }
    pid.parse().ok()
}

/// Removes from `dir` the temporary files of exports whose process no
/// longer exists (killed mid-export). Best effort: what cannot be read or
/// removed stays.
fn remove_stale_temporaries(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let me = std::process::id();
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(temporary_owner) else {
            continue;
        };
        let is_file = entry.file_type().is_ok_and(|t| t.is_file());
        if is_file && pid != me && !process_exists(pid) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// Whether a process with this id exists (alive, or not yet reaped).
/// When that cannot be told, it is taken to exist.
fn process_exists(pid: u32) -> bool {
    #[cfg(unix)]
    {
        let Ok(pid) = libc::pid_t::try_from(pid) else {
            return true;
        };
        if pid <= 0 {
            return true;
        }
        // SAFETY: signal 0 sends nothing; kill only checks that the process
        // exists and may be signalled. `pid` is positive, so it names one
        // process, not a group.
        let result = unsafe { libc::kill(pid, 0) };
        result == 0 || io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH)
    }
    #[cfg(not(unix))]
    {
        let _ = pid;
        true
    }
}

/// A writer that fails once `cancel` is set, and hands the file at most
/// [`CHUNK`] bytes at a time so the flag is looked at often.
struct Checked<'a, W> {
    inner: W,
    cancel: &'a Cancel,
}

impl<W: Write> Checked<'_, W> {
    fn check(&self) -> io::Result<()> {
        if self.cancel.is_cancelled() {
            Err(io::Error::other("cancelled"))
        } else {
            Ok(())
        }
    }
}

impl<W: Write> Write for Checked<'_, W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.check()?;
        self.inner.write(&buf[..buf.len().min(CHUNK)])
    }

    fn flush(&mut self) -> io::Result<()> {
        self.check()?;
        self.inner.flush()
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use ::polars::prelude::{Column, DataFrame};
    use std::os::unix::fs::PermissionsExt;

    fn frame() -> DataFrame {
        DataFrame::new_infer_height(vec![Column::new("n".into(), [1i64, 2, 3])]).unwrap()
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn writes_whole_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.csv");
        write_file(&mut frame(), &path, Format::Csv).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "n\n1\n2\n3\n");
        assert_eq!(names(dir.path()), ["out.csv"], "no temporary file is left");
    }

    #[test]
    fn replaces_old_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.json");
        std::fs::write(&path, "old").unwrap();
        write_file(&mut frame(), &path, Format::Json).unwrap();
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "[{\"n\":1},{\"n\":2},{\"n\":3}]\n"
        );
    }

    #[test]
    fn failed_export_leaves_target_and_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(
            write_file(
                &mut frame(),
                &dir.path().join("no-such-dir/out.csv"),
                Format::Csv
            ),
            Err(ExportError::NoDirectory { .. })
        ));
        // A directory where the file should go is refused before anything
        // is written.
        let target = dir.path().join("taken.csv");
        std::fs::create_dir(&target).unwrap();
        std::fs::write(target.join("keep"), "old").unwrap();
        let error = write_file(&mut frame(), &target, Format::Csv).unwrap_err();
        assert_eq!(
            error.to_string(),
            format!(
                "cannot write `{}`: it is a directory, not a regular file",
                target.display()
            )
        );
        assert_eq!(std::fs::read_to_string(target.join("keep")).unwrap(), "old");
        assert_eq!(
            names(dir.path()),
            ["taken.csv"],
            "no temporary file is left"
        );
    }

    #[test]
    fn a_format_that_cannot_hold_the_result_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.csv");
        std::fs::write(&path, "old").unwrap();
        let mut durations = DataFrame::new_infer_height(vec![
            Column::new("d".into(), [1i64])
                .cast(&::polars::prelude::DataType::Duration(
                    ::polars::prelude::TimeUnit::Microseconds,
                ))
                .unwrap(),
        ])
        .unwrap();
        let error = write_file(&mut durations, &path, Format::Csv).unwrap_err();
        assert!(matches!(error, ExportError::Format { .. }), "{error}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "old");
        assert_eq!(names(dir.path()), ["out.csv"]);
    }

    #[test]
    fn cancelled_before_the_rename_leaves_the_old_target_and_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.parquet");
        let old = b"old bytes \x00\xff kept exactly".to_vec();
        std::fs::write(&path, &old).unwrap();
        let cancel = Cancel::new();
        let error = write_with(&mut frame(), &path, Format::Parquet, &cancel, || {
            cancel.cancel()
        })
        .unwrap_err();
        assert!(matches!(error, ExportError::Cancelled), "{error}");
        assert_eq!(error.to_string(), "cancelled");
        assert_eq!(std::fs::read(&path).unwrap(), old, "byte-identical");
        assert_eq!(names(dir.path()), ["out.parquet"], "no temporary file");
    }

    #[test]
    fn cancelled_while_writing_stops_and_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.csv");
        let cancel = Cancel::new();
        cancel.cancel();
        let error = write_file_cancellable(&mut frame(), &path, Format::Csv, &cancel).unwrap_err();
        assert!(matches!(error, ExportError::Cancelled));
        assert_eq!(names(dir.path()), Vec::<String>::new());

        // The writer itself refuses once the flag is set, mid-stream.
        let cancel = Cancel::new();
        let mut sink = Vec::new();
        let mut out = Checked {
            inner: &mut sink,
            cancel: &cancel,
        };
        out.write_all(&[b'x'; 3 * CHUNK]).unwrap();
        cancel.cancel();
        assert!(out.write_all(b"more").is_err());
        assert_eq!(sink.len(), 3 * CHUNK);
    }

    #[test]
    fn batches_are_written_as_they_come_and_a_failed_source_keeps_the_old_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.csv");
        let rows = write_batches::<ExportError>(&path, Format::Csv, &Cancel::new(), |sink| {
            for _ in 0..3 {
                sink(frame())?;
            }
            Ok(())
        })
        .unwrap();
        assert_eq!(rows, 9);
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "n\n1\n2\n3\n1\n2\n3\n1\n2\n3\n"
        );

        #[derive(Debug)]
        enum Source {
            Broke,
            Export(ExportError),
        }
        impl From<ExportError> for Source {
            fn from(e: ExportError) -> Source {
                Source::Export(e)
            }
        }
        let error = write_batches(&path, Format::Csv, &Cancel::new(), |sink| {
            sink(frame())?;
            Err(Source::Broke)
        })
        .unwrap_err();
        assert!(matches!(error, Source::Broke), "{error:?}");
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "n\n1\n2\n3\n1\n2\n3\n1\n2\n3\n",
            "the old file stays"
        );
        assert_eq!(names(dir.path()), ["out.csv"], "no temporary file");

        let cancel = Cancel::new();
        let error = write_batches::<Source>(&path, Format::Ndjson, &cancel, |sink| {
            sink(frame())?;
            cancel.cancel();
            Ok(sink(frame())?)
        })
        .unwrap_err();
        assert!(
            matches!(error, Source::Export(ExportError::Cancelled)),
            "{error:?}"
        );
        assert_eq!(names(dir.path()), ["out.csv"], "no temporary file");
    }

    #[test]
    fn stale_temporary_files_of_dead_processes_are_removed_and_live_ones_kept() {
        let dir = tempfile::tempdir().unwrap();
        let mut dead = std::process::Command::new("true").spawn().unwrap();
        let dead_pid = dead.id();
        dead.wait().unwrap();
        let mut live = std::process::Command::new("sleep")
            .arg("30")
            .spawn()
            .unwrap();
        let stale = format!("{TEMP_PREFIX}{dead_pid}-a1B2c3");
        let running = format!("{TEMP_PREFIX}{}-d4E5f6", live.id());
        let mine = format!("{TEMP_PREFIX}{}-g7H8i9", std::process::id());
        let others = [
            format!("{TEMP_PREFIX}{dead_pid}"),
            format!("{TEMP_PREFIX}x{dead_pid}-abc"),
            format!("{TEMP_PREFIX}abcdef"),
            "notes.txt".to_owned(),
        ];
        for name in [&stale, &running, &mine].into_iter().chain(&others) {
            std::fs::write(dir.path().join(name), "partial").unwrap();
        }
        write_file(&mut frame(), &dir.path().join("out.csv"), Format::Csv).unwrap();
        let left = names(dir.path());
        let _ = live.kill();
        let _ = live.wait();
        assert!(!left.contains(&stale), "{left:?}");
        for kept in [&running, &mine].into_iter().chain(&others) {
            assert!(left.contains(kept), "{kept} was removed: {left:?}");
        }
    }

    #[test]
    fn temporary_names_carry_the_pid() {
        assert_eq!(temporary_owner(".infraql-export-123-abcDEF"), Some(123));
        assert_eq!(temporary_owner(".infraql-export-123"), None);
        assert_eq!(temporary_owner(".infraql-export--abc"), None);
        assert_eq!(temporary_owner(".infraql-export-12a-abc"), None);
        assert_eq!(temporary_owner("out.csv"), None);
    }

    #[test]
    fn a_replaced_file_keeps_its_mode() {
        let dir = tempfile::tempdir().unwrap();
        for wanted in [0o644, 0o640, 0o600] {
            let path = dir.path().join("out.csv");
            std::fs::write(&path, "old").unwrap();
            std::fs::set_permissions(&path, Permissions::from_mode(wanted)).unwrap();
            write_file(&mut frame(), &path, Format::Csv).unwrap();
            assert_eq!(mode(&path), wanted);
            assert_eq!(std::fs::read_to_string(&path).unwrap(), "n\n1\n2\n3\n");
        }
    }

    #[test]
    fn a_new_file_is_not_limited_to_its_owner() {
        // The umask of the test process applies; 0600 (a temporary file's
        // own mode) would show that it did not.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("new.csv");
        write_file(&mut frame(), &path, Format::Csv).unwrap();
        let umask = current_umask();
        assert_eq!(mode(&path), 0o666 & !umask);
    }

    /// The process's umask, from /proc (Linux), else the common 022.
    fn current_umask() -> u32 {
        std::fs::read_to_string("/proc/self/status")
            .ok()
            .and_then(|s| {
                s.lines()
                    .find_map(|l| l.strip_prefix("Umask:"))
                    .and_then(|v| u32::from_str_radix(v.trim(), 8).ok())
            })
            .unwrap_or(0o022)
    }

    #[test]
    fn a_link_is_written_through() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real.csv");
        std::fs::write(&real, "old").unwrap();
        let link = dir.path().join("link.csv");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        write_file(&mut frame(), &link, Format::Csv).unwrap();
        assert!(
            std::fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(std::fs::read_to_string(&real).unwrap(), "n\n1\n2\n3\n");
    }

    #[test]
    fn a_special_file_is_not_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let link = dir.path().join("null.csv");
        std::os::unix::fs::symlink("/dev/null", &link).unwrap();
        let error = write_file(&mut frame(), &link, Format::Csv).unwrap_err();
        assert!(matches!(error, ExportError::NotRegular { .. }), "{error}");
        use std::os::unix::fs::FileTypeExt;
        assert!(
            std::fs::metadata("/dev/null")
                .unwrap()
                .file_type()
                .is_char_device()
        );
    }
}
