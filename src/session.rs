//! A session: the tables, the `let`s defined so far, and running text.
//!
//! The REPL, the one-shot CLI and the tests all go through
//! [`Session::run`]: parse the whole text, resolve every statement, then run
//! them in order, handing each result to the caller as it is ready.

use std::collections::HashMap;
use std::path::Path;

use ::polars::prelude::DataFrame;
use chrono::{NaiveDate, NaiveDateTime, Utc};

use crate::cancel::Cancel;
use crate::diagnostic::{Diagnostic, Span};
use crate::engine::clickhouse::{ClickHouse, ConnectError};
use crate::engine::polars::Engine;
use crate::engine::{Backends, Location, RunError};
use crate::format::Format;
use crate::plan::explain;
use crate::plan::logical::{Plan, Sink};
use crate::plan::resolve::{self, Binding, Step};
use crate::plan::schema::Schema;
use crate::plan::window::{self, Since};
use crate::syntax;

/// What running one statement produced.
pub enum Outcome {
    /// A result to show.
    Rows(DataFrame),
    /// The first rows of a result that stays on the server (see
    /// [`Session::set_preview`]): at most the rows the view shows, and how
    /// many the whole result has.
    Preview { frame: DataFrame, total: usize },
    /// `| export "file"` wrote the result to a file.
    Exported { path: String, rows: usize },
    /// `| chart label, value`: a result of two columns to draw.
    Chart(DataFrame),
}

/// Why a caller refused a result [`Session::run`] handed it.
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    /// The run is being cancelled (Ctrl-C in the shell).
    #[error("cancelled")]
    Cancelled,
    /// Whoever reads the output went away (a closed pipe): stop quietly.
    #[error("the output was closed")]
    OutputClosed,
    /// The result could not be delivered; the message says why.
    #[error("{0}")]
    Failed(String),
}

impl From<String> for Refusal {
    fn from(message: String) -> Refusal {
        Refusal::Failed(message)
    }
}

impl From<crate::render::RenderError> for Refusal {
    /// A closed pipe is the reader leaving; anything else a failure.
    fn from(error: crate::render::RenderError) -> Refusal {
        if error.is_closed_pipe() {
            Refusal::OutputClosed
        } else {
            Refusal::Failed(error.to_string())
        }
    }
}

/// What stopped a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cause {
    /// An error, described by the diagnostics.
    Error,
    /// Ctrl-C: nothing is wrong with the query.
    Cancelled,
    /// The reader of the results went away.
    OutputClosed,
}

/// Why a run stopped: diagnostics about one source text.
#[derive(Debug, Clone)]
pub struct Failure {
    pub source_name: String,
    pub source_text: String,
    pub diagnostics: Vec<Diagnostic>,
    pub cause: Cause,
}

impl Failure {
    /// All diagnostics, rendered against the source.
    pub fn render(&self, color: bool) -> String {
        self.diagnostics
            .iter()
            .map(|d| d.render(&self.source_name, &self.source_text, color))
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// How far a text got: its queries (once it resolved) and those that ran.
#[derive(Debug, Default)]
struct Progress {
    total: Option<usize>,
    done: usize,
}

impl Progress {
    /// Says on the failure's last diagnostic which statements of a text of
    /// several ran.
    fn annotate(&self, failure: &mut Failure, text: &str) {
        let note = match self.total {
            // Resolution failed: nothing ran.
            None => {
                let statements = crate::syntax::parse(text).map_or(0, |s| s.statements.len());
                if statements < 2 || failure.cause != Cause::Error {
                    return;
                }
                format!(
                    "nothing in this text ran: its {statements} statements are checked whole before any runs"
                )
            }
            Some(total) if total < 2 => return,
            Some(total) => {
                let after = total.saturating_sub(self.done + 1);
                let ran = match self.done {
                    0 => "no query before it ran".to_owned(),
                    1 => "the 1 query before it ran".to_owned(),
                    n => format!("the {n} queries before it ran"),
                };
                let not = match after {
                    0 => String::new(),
                    1 => "; the 1 after it did not".to_owned(),
                    n => format!("; the {n} after it did not"),
                };
                format!(
                    "query {} of {total} in this text failed: {ran}{not}",
                    self.done + 1
                )
            }
        };
        if let Some(last) = failure.diagnostics.last_mut() {
            last.help.push(note);
        }
    }
}

#[derive(Clone)]
pub struct Session {
    engine: Backends,
    bindings: HashMap<String, Binding>,
    /// A fixed `now()`, for reproducible scripts over old data; the clock
    /// when unset.
    now: Option<NaiveDateTime>,
    /// Set to stop the run (Ctrl-C in the shell): an export checks it as
    /// it writes and leaves its target untouched.
    cancel: Cancel,
    /// Rows a view shows: a result computed on the server is fetched only
    /// that far (plus its count) when set.
    preview: Option<usize>,
    /// `.since`: tables with a time column are read from here on.
    window: Option<Since>,
    /// The last statement that showed a result: its text and its plan.
    last: Option<(String, Binding)>,
}

impl Session {
    pub fn new(engine: Engine) -> Session {
        Session {
            engine: Backends::new(engine),
            bindings: HashMap::new(),
            now: None,
            cancel: Cancel::new(),
            preview: None,
            window: None,
            last: None,
        }
    }

    /// The text of the last statement that showed a result (a table or a
    /// chart), for the shell's lines that start with `|`.
    pub fn last_query(&self) -> Option<&str> {
        self.last.as_ref().map(|(text, _)| text.as_str())
    }

    /// Names the last result `name`, as a `let` of the plan that ran (with
    /// the `now()` and time window it ran with). False when nothing has
    /// shown a result yet.
    pub fn bind_last(&mut self, name: &str) -> bool {
        let Some((_, binding)) = &self.last else {
            return false;
        };
        self.bindings.insert(name.to_owned(), binding.clone());
        true
    }

    /// Sets the session's time window (`None`: every row).
    pub fn set_window(&mut self, window: Option<Since>) {
        self.window = window;
    }

    /// The session's time window, if one is set.
    pub fn window(&self) -> Option<Since> {
        self.window
    }

    /// The tables (by name) that the time window applies to, with their
    /// time columns.
    pub fn windowed_tables(&self) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = self
            .relations()
            .into_iter()
            .filter(|(_, _, kind)| *kind != RelationKind::Let)
            .filter_map(|(name, schema, _)| {
                crate::plan::window::time_column(&schema).map(|c| (name.clone(), c.to_owned()))
            })
            .collect();
        out.dedup();
        out
    }

    /// The steps with the time window applied to their queries' tables.
    fn windowed(&self, now: NaiveDateTime, steps: Vec<Step>) -> Vec<Step> {
        let Some(since) = self.window else {
            return steps;
        };
        let start = since.start(now);
        steps
            .into_iter()
            .map(|step| match step {
                Step::Run { mut query, span } => {
                    let plan = std::mem::replace(
                        &mut query.plan,
                        Plan::Table {
                            name: String::new(),
                        },
                    );
                    query.plan = window::apply(plan, &self.engine, start).0;
                    Step::Run { query, span }
                }
                other => other,
            })
            .collect()
    }

    /// Shown results computed on the server are fetched only `rows` far
    /// (with their total count), for views that show no more; `None`
    /// fetches whole results (machine formats, `-o`).
    pub fn set_preview(&mut self, rows: Option<usize>) {
        self.preview = rows;
    }

    /// The flag that stops this session's runs once set.
    pub fn set_cancel(&mut self, cancel: Cancel) {
        self.cancel = cancel;
    }

    /// The local engine (files and the bundled tables).
    pub fn engine(&self) -> &Engine {
        &self.engine.local
    }

    /// The connected ClickHouse database, if any.
    pub fn clickhouse(&self) -> Option<&ClickHouse> {
        self.engine.remote.as_ref()
    }

    /// Connects to a ClickHouse database (replacing any connection); says
    /// where and how many tables it has.
    pub fn connect(&mut self, url: &str, password: Option<String>) -> Result<String, ConnectError> {
        let remote = ClickHouse::connect(url, password)?;
        let count = remote.tables().count();
        let message = format!(
            "connected to {} ({count} table{})",
            remote.server(),
            if count == 1 { "" } else { "s" }
        );
        self.engine.remote = Some(remote);
        Ok(message)
    }

    /// Drops the ClickHouse connection; says which one, if there was one.
    pub fn disconnect(&mut self) -> Option<String> {
        self.engine.remote.take().map(|r| r.server())
    }

    /// The ClickHouse connection, to change its settings or names.
    pub fn clickhouse_mut(&mut self) -> Option<&mut ClickHouse> {
        self.engine.remote.as_mut()
    }

    /// Where a table lives.
    pub fn location(&self, table: &str) -> Option<Location> {
        self.engine.location(table)
    }

    /// Fixes what `now()` returns (`None`: the clock, read once per run).
    pub fn set_now(&mut self, now: Option<NaiveDateTime>) {
        self.now = now;
    }

    pub fn now(&self) -> Option<NaiveDateTime> {
        self.now
    }

    /// Adds a table read from a file (`--table NAME=PATH`).
    pub fn add_file(&mut self, name: &str, path: &str) -> Result<(), String> {
        self.engine.local.add_file(name, path)
    }

    /// Runs every statement of `text` (named `source_name` in messages),
    /// calling `on_outcome` with each result in order. Nothing runs unless
    /// the whole text parses and resolves; a runtime failure stops at the
    /// statement that failed, after the earlier ones were handed over.
    /// `on_outcome` may refuse a result (a closed pipe): that stops the run
    /// with its message.
    ///
    /// When a text of several statements fails, the failure says which of
    /// them ran: none (a text is checked whole first), or those before the
    /// one that failed.
    pub fn run(
        &mut self,
        source_name: &str,
        text: &str,
        on_outcome: impl FnMut(Outcome) -> Result<(), Refusal>,
    ) -> Result<(), Failure> {
        let mut progress = Progress::default();
        self.run_counted(source_name, text, on_outcome, &mut progress)
            .map_err(|mut failure| {
                progress.annotate(&mut failure, text);
                failure
            })
    }

    fn run_counted(
        &mut self,
        source_name: &str,
        text: &str,
        mut on_outcome: impl FnMut(Outcome) -> Result<(), Refusal>,
        progress: &mut Progress,
    ) -> Result<(), Failure> {
        let stopped = |diagnostics: Vec<Diagnostic>, cause: Cause| Failure {
            source_name: source_name.to_owned(),
            source_text: text.to_owned(),
            diagnostics,
            cause,
        };
        let fail = |diagnostics: Vec<Diagnostic>| stopped(diagnostics, Cause::Error);
        let now = self.clock();
        let steps = resolve_text(&self.engine, now, text, &mut self.bindings).map_err(fail)?;
        let steps = self.windowed(now, steps);
        progress.total = Some(
            steps
                .iter()
                .filter(|s| matches!(s, Step::Run { .. }))
                .count(),
        );
        for step in steps {
            let Step::Run { query, span } = step else {
                continue;
            };
            let run_failure = |e: RunError| {
                let cause = match e {
                    RunError::Cancelled => Cause::Cancelled,
                    RunError::OverBudget(_)
                    | RunError::OutOfMemory
                    | RunError::Failed(_)
                    | RunError::Overflow { .. }
                    | RunError::Stale(_) => Cause::Error,
                };
                let diagnostic = match &e {
                    // The one expression that could overflow is the place.
                    RunError::Overflow { at: Some(at), .. } => {
                        Diagnostic::at(format!("query failed: {e}"), *at)
                            .with_label("overflows here")
                    }
                    _ => runtime_error(e.to_string(), span),
                };
                stopped(vec![diagnostic], cause)
            };
            let export_failure = |e: crate::export::ExportError| {
                let cause = match e {
                    crate::export::ExportError::Cancelled => Cause::Cancelled,
                    _ => Cause::Error,
                };
                let diagnostic =
                    Diagnostic::at(e.to_string(), span).with_label("while exporting this");
                stopped(vec![diagnostic], cause)
            };
            if let Sink::Export(path) = &query.sink
                && self.engine.all_remote(&query.plan)
            {
                // The server's answer goes to the file as it arrives.
                let format =
                    Format::from_path(path).map_err(|m| fail(vec![Diagnostic::at(m, span)]))?;
                let written =
                    crate::export::write_batches(Path::new(path), format, &self.cancel, |sink| {
                        self.engine
                            .stream(&query.plan, &query.schema, &self.cancel, |batch| {
                                sink(batch).map_err(StreamedExport::Export)
                            })
                    });
                let rows = match written {
                    Ok(rows) => rows,
                    Err(StreamedExport::Export(e)) => return Err(export_failure(e)),
                    Err(StreamedExport::Run(RunError::Stale(message))) => {
                        return Err(self.read_again(now, text, message, span, &stopped));
                    }
                    Err(StreamedExport::Run(e)) => return Err(run_failure(e)),
                };
                let outcome = Outcome::Exported {
                    path: path.clone(),
                    rows,
                };
                on_outcome(outcome).map_err(|refusal| refused(refusal, &stopped))?;
                progress.done += 1;
                continue;
            }
            let preview = match (&query.sink, self.preview) {
                (Sink::Show, Some(rows)) if self.engine.all_remote(&query.plan) => Some(rows),
                _ => None,
            };
            let collected = match preview {
                Some(rows) => self
                    .engine
                    .preview(&query.plan, &query.schema, &self.cancel, rows)
                    .map(|(frame, total)| (frame, Some(total))),
                None => self
                    .engine
                    .collect(&query.plan, &query.schema, &self.cancel)
                    .map(|frame| (frame, None)),
            };
            let (mut frame, total) = match collected {
                Err(RunError::Stale(message)) => {
                    return Err(self.read_again(now, text, message, span, &stopped));
                }
                other => other.map_err(run_failure)?,
            };
            let shown = match &query.sink {
                Sink::Show | Sink::Chart => Some((
                    text.get(span.start..span.end).unwrap_or(text).to_owned(),
                    Binding {
                        plan: query.plan.clone(),
                        schema: query.schema.clone(),
                        order: None,
                    },
                )),
                Sink::Export(_) => None,
            };
            let outcome = match &query.sink {
                Sink::Export(path) => {
                    let format =
                        Format::from_path(path).map_err(|m| fail(vec![Diagnostic::at(m, span)]))?;
                    crate::export::write_file_cancellable(
                        &mut frame,
                        Path::new(path),
                        format,
                        &self.cancel,
                    )
                    .map_err(export_failure)?;
                    Outcome::Exported {
                        path: path.clone(),
                        rows: frame.height(),
                    }
                }
                Sink::Show => match total {
                    Some(total) => Outcome::Preview { frame, total },
                    None => Outcome::Rows(frame),
                },
                Sink::Chart => Outcome::Chart(frame),
            };
            on_outcome(outcome).map_err(|refusal| refused(refusal, &stopped))?;
            progress.done += 1;
            if shown.is_some() {
                self.last = shown;
            }
        }
        Ok(())
    }

    /// The failure of a query the server refused because its tables
    /// changed since they were read: they are read again, and `text` is
    /// resolved against them, so a column or table that is gone is named
    /// where the query uses it (with the names there are now); when the
    /// text resolves, the server's `message` says to run it again.
    fn read_again(
        &mut self,
        now: NaiveDateTime,
        text: &str,
        message: String,
        span: Span,
        stopped: &impl Fn(Vec<Diagnostic>, Cause) -> Failure,
    ) -> Failure {
        if let Err(e) = self.engine.refresh_remote() {
            return stopped(
                vec![runtime_error(
                    format!("{message}; reading them again failed: {e}"),
                    span,
                )],
                Cause::Error,
            );
        }
        let mut bindings = self.bindings.clone();
        match resolve_text(&self.engine, now, text, &mut bindings) {
            Ok(_) => stopped(vec![runtime_error(message, span)], Cause::Error),
            Err(diagnostics) => {
                let changed =
                    "the server's tables changed since they were read; they have been read again";
                let diagnostics = diagnostics
                    .into_iter()
                    .map(|d| d.with_help(changed))
                    .collect();
                stopped(diagnostics, Cause::Error)
            }
        }
    }

    /// The logical plan of each query in `text` and how the engines run
    /// it: the SQL of its server parts and the plan Polars runs after its
    /// optimisations (where projection and predicate pushdown show).
    pub fn explain(&mut self, source_name: &str, text: &str) -> Result<String, Failure> {
        let fail = |diagnostics| failure(source_name, text, diagnostics);
        let mut out = String::new();
        for (query, span) in self.planned(source_name, text)? {
            let engines = self
                .engine
                .explain(&query.plan)
                .map_err(|m| fail(vec![Diagnostic::at(m, span)]))?;
            out.push_str("Logical plan:\n");
            out.push_str(&indent(&explain::plan(&query.plan)));
            out.push_str(&engines);
        }
        Ok(out)
    }

    /// The ClickHouse SQL of each query in `text`, laid out for people,
    /// without running anything; a query that reads no server table, or
    /// one the server cannot answer, is an error.
    pub fn sql(&mut self, source_name: &str, text: &str) -> Result<String, Failure> {
        let fail = |diagnostics| failure(source_name, text, diagnostics);
        let Some(remote) = self.engine.remote.as_ref() else {
            return Err(fail(vec![Diagnostic::new(
                "not connected to ClickHouse: use --clickhouse URL or .connect URL",
            )]));
        };
        let mut out = String::new();
        for (query, span) in self.planned(source_name, text)? {
            let sql = remote.sql(&query.plan).map_err(|e| {
                let mut d = Diagnostic::at(format!("this query has no ClickHouse SQL: {e}"), span)
                    .with_label("here");
                if let Some(help) = &e.help {
                    d = d.with_help(help.clone());
                }
                fail(vec![d])
            })?;
            out.push_str(&crate::engine::clickhouse::sql::pretty(&sql));
            out.push_str(";\n");
        }
        Ok(out)
    }

    /// The queries of `text` with their statements' spans, resolved without
    /// running anything or defining its `let`s (they are resolved on a
    /// copy).
    fn planned(
        &self,
        source_name: &str,
        text: &str,
    ) -> Result<Vec<(crate::plan::logical::Query, Span)>, Failure> {
        let mut bindings = self.bindings.clone();
        let now = self.clock();
        let steps = resolve_text(&self.engine, now, text, &mut bindings)
            .map_err(|d| failure(source_name, text, d))?;
        Ok(self
            .windowed(now, steps)
            .into_iter()
            .filter_map(|step| match step {
                Step::Run { query, span } => Some((query, span)),
                Step::Let { .. } => None,
            })
            .collect())
    }

    /// The columns the last query of `text` would have, without running
    /// anything or defining its `let`s; `None` when it does not parse or
    /// resolve. Completion uses this to know the columns at the cursor.
    pub fn schema_of(&self, text: &str) -> Option<Schema> {
        let mut bindings = self.bindings.clone();
        let steps = resolve_text(&self.engine, self.clock(), text, &mut bindings).ok()?;
        steps.into_iter().rev().find_map(|step| match step {
            Step::Run { query, .. } => Some(query.schema),
            Step::Let { .. } => None,
        })
    }

    /// What `now()` means for a run starting now: the fixed time, or the
    /// clock.
    fn clock(&self) -> NaiveDateTime {
        self.now.unwrap_or_else(|| Utc::now().naive_utc())
    }

    /// Table and `let` names with their schemas, tables first.
    pub fn relations(&self) -> Vec<(String, Schema, RelationKind)> {
        let mut out: Vec<_> = self
            .engine
            .local
            .tables()
            .map(|(n, s)| (n.to_owned(), s.clone(), RelationKind::Table))
            .collect();
        if let Some(remote) = &self.engine.remote {
            for (name, schema, _) in remote.tables() {
                // A local table of the same name hides a remote one.
                if out.iter().all(|(n, _, _)| n != name) {
                    out.push((name.to_owned(), schema, RelationKind::Remote));
                }
            }
        }
        let mut lets: Vec<_> = self
            .bindings
            .iter()
            .map(|(n, b)| (n.clone(), b.schema.clone(), RelationKind::Let))
            .collect();
        lets.sort_by(|a, b| a.0.cmp(&b.0));
        out.extend(lets);
        out
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RelationKind {
    Table,
    /// A table of the connected ClickHouse database.
    Remote,
    Let,
}

/// An error about `text` (named `source_name`): nothing was wrong but the
/// query.
fn failure(source_name: &str, text: &str, diagnostics: Vec<Diagnostic>) -> Failure {
    Failure {
        source_name: source_name.to_owned(),
        source_text: text.to_owned(),
        diagnostics,
        cause: Cause::Error,
    }
}

fn indent(text: &str) -> String {
    text.lines().map(|line| format!("  {line}\n")).collect()
}

/// A timestamp as `--now` and `.now` take it: 2025-11-24, 2025-11-24T06:00,
/// `2025-11-24T06:00:00[.fff][Z]` (UTC).
pub fn parse_timestamp(text: &str) -> Result<NaiveDateTime, String> {
    let trimmed = text.trim().trim_end_matches('Z');
    [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M:%S%.f",
    ]
    .iter()
    .find_map(|format| NaiveDateTime::parse_from_str(trimmed, format).ok())
    .or_else(|| {
        NaiveDate::parse_from_str(trimmed, "%Y-%m-%d")
            .ok()
            .and_then(|d| d.and_hms_opt(0, 0, 0))
    })
    .ok_or_else(|| {
        format!(
            "`{}` is not a timestamp: write 2025-11-24 or 2025-11-24T06:00:00",
            text.trim()
        )
    })
}

/// Parses and resolves `text`; `bindings` gains its `let`s when it all
/// resolves.
fn resolve_text(
    engine: &Backends,
    now: NaiveDateTime,
    text: &str,
    bindings: &mut HashMap<String, Binding>,
) -> Result<Vec<Step>, Vec<Diagnostic>> {
    let script = syntax::parse(text).map_err(|d| vec![d])?;
    resolve::resolve(&script, text, engine, bindings, now)
}

/// What stopped an export streamed from the server.
enum StreamedExport {
    Run(RunError),
    Export(crate::export::ExportError),
}

impl From<RunError> for StreamedExport {
    fn from(e: RunError) -> StreamedExport {
        StreamedExport::Run(e)
    }
}

impl From<crate::export::ExportError> for StreamedExport {
    fn from(e: crate::export::ExportError) -> StreamedExport {
        StreamedExport::Export(e)
    }
}

/// The caller's refusal of a result as the run's failure.
fn refused(refusal: Refusal, stopped: &impl Fn(Vec<Diagnostic>, Cause) -> Failure) -> Failure {
    let cause = match refusal {
        Refusal::Cancelled => Cause::Cancelled,
        Refusal::OutputClosed => Cause::OutputClosed,
        Refusal::Failed(_) => Cause::Error,
    };
    stopped(vec![Diagnostic::new(refusal.to_string())], cause)
}

fn runtime_error(message: String, span: Span) -> Diagnostic {
    Diagnostic::at(format!("query failed: {message}"), span).with_label("while running this")
}
