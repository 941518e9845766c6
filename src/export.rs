//! Writing results to files, atomically.
//!
//! The result is written to a temporary file in the target's directory and
//! renamed over the target only once it is complete, so a failed or
//! interrupted export leaves no half-written file and keeps any old one.

use std::io::{BufWriter, Write};
use std::path::Path;

use ::polars::prelude::DataFrame;

use crate::format::Format;
use crate::render;

/// Writes `frame` to `path` in `format`, all or nothing.
pub fn write_file(frame: &mut DataFrame, path: &Path, format: Format) -> Result<(), String> {
    let shown = path.display();
    let dir = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    if !dir.is_dir() {
        return Err(format!(
            "cannot write `{shown}`: directory `{}` does not exist",
            dir.display()
        ));
    }
    let temp = tempfile::Builder::new()
        .prefix(".infraql-export-")
        .tempfile_in(dir)
        .map_err(|e| format!("cannot write `{shown}`: {e}"))?;
    {
        let mut out = BufWriter::new(temp.as_file());
        render::write(frame, format, &render::View::rows(usize::MAX), &mut out)
            .map_err(|e| format!("cannot write `{shown}`: {e}"))?;
        out.flush()
            .map_err(|e| format!("cannot write `{shown}`: {e}"))?;
    }
    temp.as_file()
        .sync_all()
        .map_err(|e| format!("cannot write `{shown}`: {e}"))?;
    temp.persist(path)
        .map_err(|e| format!("cannot write `{shown}`: {}", e.error))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ::polars::prelude::{Column, DataFrame};

    fn frame() -> DataFrame {
        DataFrame::new_infer_height(vec![Column::new("n".into(), [1i64, 2, 3])]).unwrap()
    }

    #[test]
    fn writes_whole_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.csv");
        write_file(&mut frame(), &path, Format::Csv).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "n\n1\n2\n3\n");
        let leftovers = std::fs::read_dir(dir.path()).unwrap().count();
        assert_eq!(leftovers, 1, "no temporary file is left behind");
    }

    #[test]
    fn replaces_old_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.json");
        std::fs::write(&path, "old").unwrap();
        write_file(&mut frame(), &path, Format::Json).unwrap();
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            r#"[{"n":1},{"n":2},{"n":3}]"#
        );
    }

    #[test]
    fn failed_export_leaves_target_and_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        assert!(
            write_file(
                &mut frame(),
                &dir.path().join("no-such-dir/out.csv"),
                Format::Csv
            )
            .is_err()
        );
        // A directory where the file should go makes the final rename fail
        // after the data was written.
        let target = dir.path().join("taken.csv");
        std::fs::create_dir(&target).unwrap();
        std::fs::write(target.join("keep"), "old").unwrap();
        assert!(write_file(&mut frame(), &target, Format::Csv).is_err());
        assert_eq!(std::fs::read_to_string(target.join("keep")).unwrap(), "old");
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(
            names,
            vec![std::ffi::OsString::from("taken.csv")],
            "no temporary file is left"
        );
    }
}
