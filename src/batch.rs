//! Running scripts, `-e` queries and standard input without a terminal:
//! queries and dot-commands in order (see `infraql::script`), results
//! printed as they come or the last one written to `-o FILE`.

use std::fs::OpenOptions;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use infraql::commands::{self, MAX_READ_DEPTH, Reply, Settings};
use infraql::format::Format;
use infraql::render::{self, RenderError, visible};
use infraql::script::{self, Piece};
use infraql::session::{Cause, Outcome, Refusal, Session};

use crate::{Stop, shown, shown_path};

/// Whether a script asked to stop (`.quit`).
pub enum Flow {
    Go,
    Quit,
}

/// Runs one source (a script file, an `-e` query, standard input) named
/// `name` in messages.
pub fn run_source(
    session: &mut Session,
    settings: &mut Settings,
    printer: &mut Printer,
    (name, text): (&str, &str),
    color: bool,
    depth: usize,
) -> Result<Flow, Stop> {
    for piece in script::pieces(text) {
        printer.follow(settings);
        match piece {
            Piece::Queries(queries) => {
                let started = Instant::now();
                let result = session.run(name, &queries, |outcome| printer.take(outcome));
                if let Err(failure) = result {
                    if failure.cause == Cause::OutputClosed {
                        return Err(Stop::BrokenPipe);
                    }
                    // Results printed so far stay printed; flush them before the error.
                    let _ = printer.flush_pending();
                    return Err(Stop::Failed(failure.render(color)));
                }
                if settings.timer {
                    eprintln!("time: {}", commands::wall_time(started.elapsed()));
                }
            }
            Piece::Command { line, text } => match commands::run(session, settings, &text) {
                // Settings change quietly, as in other shells' scripts.
                Reply::Set(_) => {}
                Reply::Text(text) => match printer.write_text(&shown(&text)) {
                    Ok(()) => {}
                    Err(e) if e.is_closed_pipe() => return Err(Stop::BrokenPipe),
                    Err(e) => {
                        return Err(Stop::Failed(format!("error: {}", shown(&e.to_string()))));
                    }
                },
                Reply::Error(message) => {
                    return Err(Stop::Failed(format!(
                        "error: {}:{line}: {}",
                        visible::text(name),
                        shown(&message)
                    )));
                }
                Reply::Quit => return Ok(Flow::Quit),
                Reply::Run { name: read, text } => {
                    if depth >= MAX_READ_DEPTH {
                        return Err(Stop::Failed(format!(
                            "error: {}:{line}: `.read` nested more than {MAX_READ_DEPTH} deep",
                            visible::text(name)
                        )));
                    }
                    let flow =
                        run_source(session, settings, printer, (&read, &text), color, depth + 1)?;
                    if let Flow::Quit = flow {
                        return Ok(Flow::Quit);
                    }
                }
            },
        }
    }
    Ok(Flow::Go)
}

/// Prints results as they come; with `-o`, holds back the latest so the
/// last one goes to the file.
pub struct Printer<'a> {
    format: Format,
    view: render::View,
    output: Option<(&'a Path, Format)>,
    pending: Option<::polars::prelude::DataFrame>,
    printed_any: bool,
    /// `.output FILE` in a script: results are appended there.
    redirect: Option<PathBuf>,
}

impl<'a> Printer<'a> {
    pub fn new(format: Format, view: render::View, output: Option<(&'a Path, Format)>) -> Self {
        Printer {
            format,
            view,
            output,
            pending: None,
            printed_any: false,
            redirect: None,
        }
    }

    /// Takes up what the script's dot-commands set.
    fn follow(&mut self, settings: &Settings) {
        self.format = settings.mode;
        self.view.max_rows = settings.max_rows;
        self.view.humanize = settings.humanize;
        if settings.output != self.redirect {
            self.redirect = settings.output.clone();
            // A new file starts without a blank line before its first result.
            self.printed_any = false;
        }
    }

    /// Shows one result (or keeps it for `-o`); a closed pipe refuses it so
    /// the run stops quietly.
    pub fn take(&mut self, outcome: Outcome) -> Result<(), Refusal> {
        Ok(self.show(outcome)?)
    }

    fn show(&mut self, outcome: Outcome) -> Result<(), RenderError> {
        match outcome {
            Outcome::Exported { path, rows } => {
                eprintln!(
                    "exported {rows} row{} to {}",
                    if rows == 1 { "" } else { "s" },
                    visible::text(&path)
                );
                Ok(())
            }
            Outcome::Chart(frame) => {
                let chart = render::chart(&frame, &self.shown_view());
                self.write_text(&chart)
            }
            Outcome::Rows(frame) => {
                if self.output.is_some() {
                    if let Some(previous) = self.pending.replace(frame) {
                        self.print(previous)?;
                    }
                    Ok(())
                } else {
                    self.print(frame)
                }
            }
        }
    }

    fn print(&mut self, mut frame: ::polars::prelude::DataFrame) -> Result<(), RenderError> {
        let (format, view) = (self.format, self.shown_view());
        self.emit(|out| render::write(&mut frame, format, &view, out))
    }

    /// Drawn text (a chart, a dot-command's answer), whatever the format.
    pub fn write_text(&mut self, text: &str) -> Result<(), RenderError> {
        self.emit(|out| Ok(out.write_all(text.as_bytes())?))
    }

    /// The view for where results go now: a `.output` file is no terminal,
    /// so it gets natural width and the bytes exactly.
    fn shown_view(&self) -> render::View {
        if self.redirect.is_some() {
            render::View {
                width: None,
                terminal: false,
                ..self.view
            }
        } else {
            self.view
        }
    }

    /// Writes one result to stdout, a blank line apart from the one before
    /// in the human formats.
    fn emit(
        &mut self,
        write: impl FnOnce(&mut dyn Write) -> Result<(), RenderError>,
    ) -> Result<(), RenderError> {
        let mut out: Box<dyn Write> = match &self.redirect {
            Some(path) => match OpenOptions::new().append(true).create(true).open(path) {
                Ok(file) => Box::new(io::BufWriter::new(file)),
                Err(e) => {
                    return Err(RenderError::Io(io::Error::new(
                        e.kind(),
                        format!("cannot write `{}`: {e}", shown_path(path)),
                    )));
                }
            },
            None => Box::new(io::BufWriter::new(io::stdout().lock())),
        };
        let mut result = Ok(());
        if self.printed_any && !self.format.is_machine() {
            result = out.write_all(b"\n").map_err(RenderError::Io);
        }
        self.printed_any = true;
        result = result.and_then(|()| write(&mut out));
        result = result.and_then(|()| out.flush().map_err(RenderError::Io));
        result
    }

    pub fn flush_pending(&mut self) -> Result<(), RenderError> {
        match self.pending.take() {
            Some(frame) => self.print(frame),
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
