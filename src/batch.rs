//! Running scripts, `-e` queries and standard input without a terminal:
//! the library's script driver (see `infraql::driver`) with results
//! printed as they come, or the last one written to `-o FILE`.

use std::io::{self, Write};
use std::path::Path;
use std::time::Instant;

use infraql::commands::{self, Reply, Settings};
use infraql::driver::{self, Host, Step};
use infraql::format::Format;
use infraql::render::{self, RenderError};
use infraql::results::{self, Results};
use infraql::session::{Cause, Outcome, Refusal, Session};

use crate::{Stop, shown, shown_path};

/// How a source ended: it ran, it asked to stop (`.quit`), or something
/// in it failed (each failure already reported on standard error).
pub enum Flow {
    Go,
    Quit,
    Failed,
}

/// Runs one source (a script file, an `-e` query, standard input) named
/// `name` in messages.
pub fn run_source(
    session: &mut Session,
    settings: &mut Settings,
    printer: &mut Printer,
    source: (&str, &str),
    color: bool,
) -> Result<Flow, Stop> {
    let mut batch = Batch {
        session,
        printer,
        color,
        stopped: None,
    };
    let step = driver::run_script(&mut batch, settings, source, 0);
    match (batch.stopped, step) {
        (Some(Stop::BrokenPipe), _) => Err(Stop::BrokenPipe),
        (_, Step::Quit) => Ok(Flow::Quit),
        (_, Step::Go) => Ok(Flow::Go),
        (_, Step::Stop) => Ok(Flow::Failed),
    }
}

/// The driver's host: queries run on this thread, output goes to the
/// printer, failures go to standard error as they happen; a closed output
/// ends everything.
struct Batch<'a, 'p> {
    session: &'a mut Session,
    printer: &'a mut Printer<'p>,
    color: bool,
    stopped: Option<Stop>,
}

impl Batch<'_, '_> {
    fn stop(&mut self, stop: Stop) -> Step {
        match stop {
            Stop::Failed(message) => {
                // What was printed before the failure comes before it.
                let _ = io::stdout().flush();
                if !message.is_empty() {
                    eprint!("{message}");
                    if !message.ends_with('\n') {
                        eprintln!();
                    }
                }
                Step::Stop
            }
            other => {
                self.stopped = Some(other);
                Step::Quit
            }
        }
    }

    fn written(&mut self, result: Result<(), RenderError>) -> Step {
        match result {
            Ok(()) => Step::Go,
            Err(e) if e.is_closed_pipe() => self.stop(Stop::BrokenPipe),
            Err(e) => self.stop(Stop::Failed(format!("error: {}", shown(&e.to_string())))),
        }
    }
}

impl Host for Batch<'_, '_> {
    fn queries(&mut self, settings: &Settings, name: &str, text: &str) -> Step {
        let started = Instant::now();
        // Views that show a few rows fetch only those from a server; `-o`
        // writes the whole last result.
        let preview = if self.printer.output.is_none() {
            commands::preview_rows(settings)
        } else {
            None
        };
        self.session.set_preview(preview);
        let printer = &mut *self.printer;
        let result = self
            .session
            .run(name, text, |outcome| printer.take(settings, outcome));
        if let Err(failure) = result {
            if failure.cause == Cause::OutputClosed {
                return self.stop(Stop::BrokenPipe);
            }
            // Results printed so far stay printed; flush them before the error.
            let _ = self.printer.flush_pending(settings);
            return self.stop(Stop::Failed(failure.render(self.color)));
        }
        if settings.timer {
            eprintln!("time: {}", commands::wall_time(started.elapsed()));
        }
        Step::Go
    }

    fn command(&mut self, settings: &mut Settings, line: &str) -> Reply {
        commands::run(self.session, settings, line)
    }

    fn answer(&mut self, settings: &Settings, text: &str, setting: bool) -> Step {
        // Settings change quietly, as in other shells' scripts.
        if setting {
            return Step::Go;
        }
        let result = self.printer.text(settings, text);
        self.written(result)
    }

    fn refuse(&mut self, message: &str) -> Step {
        self.stop(Stop::Failed(format!("error: {}", shown(message))))
    }
}

/// Prints results as they come; with `-o`, holds back the latest so the
/// last one goes to the file.
pub struct Printer<'a> {
    view: render::View,
    output: Option<(&'a Path, Format)>,
    pending: Option<::polars::prelude::DataFrame>,
    results: Results,
}

impl<'a> Printer<'a> {
    pub fn new(view: render::View, output: Option<(&'a Path, Format)>) -> Self {
        Printer {
            view,
            output,
            pending: None,
            results: Results::new(),
        }
    }

    /// Shows one result (or keeps it for `-o`); a closed pipe refuses it so
    /// the run stops quietly.
    fn take(&mut self, settings: &Settings, outcome: Outcome) -> Result<(), Refusal> {
        match outcome {
            Outcome::Exported { path, rows } => {
                eprintln!("{}", results::export_note(&path, rows));
            }
            Outcome::Chart(frame) => {
                let mut out = io::stdout().lock();
                self.results.chart(settings, &self.view, &mut out, &frame)?;
            }
            Outcome::Rows(frame) => {
                if self.output.is_some() {
                    if let Some(mut previous) = self.pending.replace(frame) {
                        self.print(settings, &mut previous)?;
                    }
                } else {
                    self.print(settings, &mut { frame })?;
                }
            }
            Outcome::Preview { mut frame, total } => {
                let mut out = io::BufWriter::new(io::stdout().lock());
                self.results
                    .rows(settings, &self.view, &mut out, &mut frame, Some(total))?;
                out.flush().map_err(RenderError::Io)?;
            }
        }
        Ok(())
    }

    fn print(
        &mut self,
        settings: &Settings,
        frame: &mut ::polars::prelude::DataFrame,
    ) -> Result<(), RenderError> {
        let mut out = io::BufWriter::new(io::stdout().lock());
        self.results
            .rows(settings, &self.view, &mut out, frame, None)?;
        Ok(out.flush()?)
    }

    /// A dot-command's answer, where results go now.
    fn text(&mut self, settings: &Settings, text: &str) -> Result<(), RenderError> {
        let mut out = io::stdout().lock();
        self.results.text(settings, &self.view, &mut out, text)
    }

    fn flush_pending(&mut self, settings: &Settings) -> Result<(), RenderError> {
        match self.pending.take() {
            Some(mut frame) => self.print(settings, &mut frame),
            None => Ok(()),
        }
    }

    pub fn finish(mut self) -> Result<(), Stop> {
        let Some((path, format)) = self.output else {
            return Ok(());
        };
        let Some(mut frame) = self.pending.take() else {
            return Err(Stop::Failed(
                "error: -o was given but no query produced a result".to_owned(),
            ));
        };
        infraql::export::write_file(&mut frame, path, format)
            .map_err(|e| Stop::Failed(format!("error: {}", shown(&e.to_string()))))?;
        let rows = frame.height();
        eprintln!(
            "wrote {rows} row{} to {}",
            if rows == 1 { "" } else { "s" },
            shown_path(path)
        );
        Ok(())
    }
}
