//! Where results go, in every runner: the screen (any writer the caller
//! hands over) or, after `.output FILE`, appended to that file (after
//! `.once FILE`, the next query's results only go to that one); one blank
//! line between results in the human formats, none in the machine ones
//! and none before the first result a file gets.

use std::fs::OpenOptions;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use polars::prelude::DataFrame;

use crate::commands::Settings;
use crate::render::{self, RenderError, View, visible};

/// The results written so far and where the next one goes.
#[derive(Debug, Default)]
pub struct Results {
    /// Whether anything went to the current target yet.
    printed_any: bool,
    /// The `.output` file the last result went to, if any.
    redirect: Option<PathBuf>,
}

impl Results {
    pub fn new() -> Results {
        Results::default()
    }

    /// Writes a result table in the current mode; `total` is the row count
    /// of the whole result when `frame` holds only its first rows.
    pub fn rows(
        &mut self,
        settings: &Settings,
        screen_view: &View,
        screen: &mut dyn Write,
        frame: &mut DataFrame,
        total: Option<usize>,
    ) -> Result<(), RenderError> {
        let target = settings.once.as_ref().or(settings.output.as_ref());
        self.emit(settings, target, screen_view, screen, |out, view| {
            render::write_rows(frame, total, settings.mode, view, out)
        })
    }

    /// Writes a chart.
    pub fn chart(
        &mut self,
        settings: &Settings,
        screen_view: &View,
        screen: &mut dyn Write,
        frame: &DataFrame,
    ) -> Result<(), RenderError> {
        let target = settings.once.as_ref().or(settings.output.as_ref());
        self.emit(settings, target, screen_view, screen, |out, view| {
            Ok(out.write_all(render::chart(frame, view).as_bytes())?)
        })
    }

    /// Writes a dot-command's answer, whatever the mode; it is text for
    /// people, so control characters in it are shown as escapes.
    pub fn text(
        &mut self,
        settings: &Settings,
        screen_view: &View,
        screen: &mut dyn Write,
        text: &str,
    ) -> Result<(), RenderError> {
        self.emit(
            settings,
            settings.output.as_ref(),
            screen_view,
            screen,
            |out, _| Ok(out.write_all(visible::lines(text).as_bytes())?),
        )
    }

    /// Opens the target (`None`: the screen), writes the separating blank
    /// line and then `write`.
    /// The settings give the rows shown and humanizing; `screen_view` the
    /// screen's width and whether it is a terminal. A `.output` file is no
    /// terminal: it gets natural width and the bytes exactly.
    fn emit(
        &mut self,
        settings: &Settings,
        target: Option<&PathBuf>,
        screen_view: &View,
        screen: &mut dyn Write,
        write: impl FnOnce(&mut dyn Write, &View) -> Result<(), RenderError>,
    ) -> Result<(), RenderError> {
        if target != self.redirect.as_ref() {
            self.redirect = target.cloned();
            self.printed_any = false;
        }
        let shown = View {
            max_rows: settings.max_rows,
            humanize: settings.humanize,
            ..*screen_view
        };
        let mut file;
        let (out, view): (&mut dyn Write, View) = match &self.redirect {
            Some(path) => {
                file = io::BufWriter::new(append_to(path)?);
                let view = View {
                    width: None,
                    terminal: false,
                    ..shown
                };
                (&mut file, view)
            }
            None => (screen, shown),
        };
        if self.printed_any && !settings.mode.is_machine() {
            out.write_all(b"\n")?;
        }
        self.printed_any = true;
        write(out, &view)?;
        Ok(out.flush()?)
    }
}

/// What a runner says after an export: "exported 3 rows to x.csv".
pub fn export_note(path: &str, rows: usize) -> String {
    format!(
        "exported {rows} row{} to {}",
        if rows == 1 { "" } else { "s" },
        visible::text(path)
    )
}

fn append_to(path: &Path) -> Result<std::fs::File, RenderError> {
    OpenOptions::new()
        .append(true)
        .create(true)
        .open(path)
        .map_err(|e| {
            RenderError::Io(io::Error::new(
                e.kind(),
                format!(
                    "cannot write `{}`: {e}",
                    visible::text(&path.display().to_string())
                ),
            ))
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::Format;
    use polars::prelude::*;

    fn frame() -> DataFrame {
        df!("n" => [1i64, 2]).expect("frame")
    }

    fn settings(mode: Format) -> Settings {
        Settings {
            mode,
            ..Settings::new(40, false)
        }
    }

    #[test]
    fn human_results_are_a_blank_line_apart_machine_ones_are_not() {
        for (mode, blank) in [(Format::Table, true), (Format::Csv, false)] {
            let mut results = Results::new();
            let mut screen = Vec::new();
            let settings = settings(mode);
            for _ in 0..2 {
                results
                    .rows(&settings, &View::rows(10), &mut screen, &mut frame(), None)
                    .expect("written");
            }
            let text = String::from_utf8(screen).expect("utf-8");
            assert_eq!(text.contains("\n\n"), blank, "{mode:?}: {text}");
        }
    }

    #[test]
    fn an_output_file_gets_results_without_a_leading_blank_line() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("out.csv");
        let mut results = Results::new();
        let mut screen = Vec::new();
        let mut settings = settings(Format::Table);
        results
            .text(&settings, &View::rows(10), &mut screen, "on screen\n")
            .expect("written");
        settings.output = Some(path.clone());
        for _ in 0..2 {
            results
                .text(&settings, &View::rows(10), &mut screen, "in file\n")
                .expect("written");
        }
        assert_eq!(String::from_utf8(screen).expect("utf-8"), "on screen\n");
        let written = std::fs::read_to_string(&path).expect("file");
        assert_eq!(written, "in file\n\nin file\n");
    }

    #[test]
    fn a_once_file_gets_the_results_but_not_the_answers() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("once.csv");
        let mut results = Results::new();
        let mut screen = Vec::new();
        let settings = Settings {
            once: Some(path.clone()),
            ..settings(Format::Csv)
        };
        results
            .text(&settings, &View::rows(10), &mut screen, "an answer\n")
            .expect("written");
        results
            .rows(&settings, &View::rows(10), &mut screen, &mut frame(), None)
            .expect("written");
        assert_eq!(String::from_utf8(screen).expect("utf-8"), "an answer\n");
        assert_eq!(std::fs::read_to_string(&path).expect("file"), "n\n1\n2\n");
    }

    #[test]
    fn an_unwritable_output_file_is_an_io_error_naming_it() {
        let mut results = Results::new();
        let settings = Settings {
            output: Some(PathBuf::from("/nonexistent-dir/out.txt")),
            ..settings(Format::Table)
        };
        let error = results
            .text(&settings, &View::rows(10), &mut Vec::new(), "x")
            .expect_err("cannot open");
        assert!(
            error.to_string().contains("/nonexistent-dir/out.txt"),
            "{error}"
        );
    }

    #[test]
    fn export_notes_count_rows_in_words() {
        assert_eq!(export_note("a.csv", 1), "exported 1 row to a.csv");
        assert_eq!(export_note("a.csv", 3), "exported 3 rows to a.csv");
    }
}
