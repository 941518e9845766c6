//! The interactive shell: rustyline for editing, completion, highlighting
//! and history; the library's session and dot-commands for everything else.
//!
//! A statement may span lines: the editor keeps reading while brackets or
//! quotes are open or a line ends with `|`, and the whole statement is one
//! history entry. Queries run on a worker thread (see [`running`]) so that
//! Ctrl-C can return to the prompt while one runs. Errors are printed and
//! the session goes on.
//!
//! What reaches the screen shows control characters from data, names and
//! messages visibly (see [`infraql::render::visible`]); a `.output` file
//! gets results with the bytes exactly.

mod helper;
mod history;
mod password;
mod running;

use std::cell::RefCell;
use std::io::{self, IsTerminal};
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use rustyline::Editor;
use rustyline::config::{CompletionType, Config};
use rustyline::error::ReadlineError;
use rustyline::history::MemHistory;

use infraql::commands::{self, Reply, Settings};
use infraql::driver::{self, Host, Step};
use infraql::format::Format;
use infraql::render::{View, visible};
use infraql::results::{self, Results};
use infraql::session::{Outcome, Session};

use running::Finished;

const PROMPT: &str = "infraql> ";

/// Where history is kept: `$INFRAQL_HISTORY` if set (empty: none), else
/// the user's data directory.
fn history_path() -> Option<PathBuf> {
    match std::env::var_os("INFRAQL_HISTORY") {
        Some(path) if path.is_empty() => None,
        Some(path) => Some(PathBuf::from(path)),
        None => dirs::data_dir().map(|d| d.join("infraql").join("history.txt")),
    }
}

/// Runs the shell until `.quit` or Ctrl-D; `--format` (a human or text
/// format) and `--max-rows`/`--humanize` are where its settings start.
pub fn run(session: Session, format: Format, view: View) -> Result<(), String> {
    let start_error = |e| format!("error: cannot start the shell: {e}");
    let config = Config::builder()
        .auto_add_history(false)
        .completion_type(CompletionType::List)
        .max_history_size(history::MAX_ENTRIES)
        .map_err(start_error)?
        .build();
    let session = Rc::new(RefCell::new(session));
    // The editor keeps history in memory; `history` reads and writes the
    // file.
    let memory = MemHistory::with_config(&config);
    let mut editor: Editor<helper::ReplHelper, MemHistory> =
        Editor::with_history(config, memory).map_err(start_error)?;
    editor.set_helper(Some(helper::ReplHelper::new(
        Rc::clone(&session),
        crate::colour_wanted(io::stdout().is_terminal()),
    )));
    let history = history_path();
    if let Some(path) = &history {
        load_history(&mut editor, path);
    }
    let mut history_failed = false;
    // Ctrl-C while a query runs stops the engine and sets this flag instead
    // of ending the process; at the prompt the editor reads it as a key.
    infraql::engine::polars::enable_interrupts();
    let interrupted = Arc::new(AtomicBool::new(false));
    signal_hook::flag::register(signal_hook::consts::SIGINT, Arc::clone(&interrupted))
        .map_err(|e| format!("error: cannot handle Ctrl-C: {e}"))?;
    let mut settings = Settings::new(view.max_rows, view.humanize);
    if commands::MODES.contains(&format) {
        settings.mode = format;
    }
    let color = crate::colour_wanted(io::stderr().is_terminal());
    println!(
        "infraql {} — type .help for help, Tab to complete, .quit to leave",
        env!("CARGO_PKG_VERSION")
    );
    loop {
        match editor.readline(PROMPT) {
            Ok(line) => {
                let input = line.trim();
                if input.is_empty() {
                    continue;
                }
                // A repeat of the entry before is not added again.
                let added = editor.add_history_entry(input).unwrap_or(false);
                if let (true, Some(path)) = (added, &history) {
                    save_history(path, input, &mut history_failed);
                }
                let mut shell = Shell {
                    session: &session,
                    interrupted: &interrupted,
                    color,
                };
                let step = if commands::is_command(input) {
                    driver::run_command(&mut shell, &mut settings, input, None, 0)
                } else {
                    shell.queries(&settings, "<repl>", &line)
                };
                if step == Step::Quit {
                    break;
                }
            }
            Err(ReadlineError::Interrupted) => continue,
            Err(ReadlineError::Eof) => break,
            Err(e) => return Err(format!("error: {e}")),
        }
    }
    Ok(())
}

/// The driver's host for an entry: queries run on the cancellable worker,
/// results go to the screen or the `.output` file, errors to stderr.
struct Shell<'a> {
    session: &'a RefCell<Session>,
    interrupted: &'a Arc<AtomicBool>,
    color: bool,
}

impl Shell<'_> {
    /// `.connect URL`: with the password from INFRAQL_CLICKHOUSE_PASSWORD,
    /// or none; when the server wants one, it is asked for without echo
    /// (it is never part of the line, so never in history).
    fn connect(&self, url: &str) -> Reply {
        let mut session = self.session.borrow_mut();
        let first = session.connect(url, commands::clickhouse_password());
        let result = match first {
            Err(error) if error.is_authentication() && io::stdin().is_terminal() => {
                match password::read(&format!("password for {}: ", visible::text(url))) {
                    Ok(password) => session.connect(url, Some(password)),
                    Err(e) => return Reply::Error(format!("cannot read the password: {e}")),
                }
            }
            other => other,
        };
        match result {
            Ok(message) => Reply::Set(format!("{}\n", visible::text(&message))),
            Err(error) => Reply::Error(error.to_string()),
        }
    }
}

impl Host for Shell<'_> {
    /// Runs query text on the worker, showing results as they come.
    fn queries(&mut self, settings: &Settings, name: &str, text: &str) -> Step {
        let mut results = Results::new();
        self.session
            .borrow_mut()
            .set_preview(commands::preview_rows(settings));
        let finished = running::run(self.session, name, text, self.interrupted, |outcome| {
            show(outcome, settings, &mut results)
        });
        match finished {
            Finished::Done { elapsed, failure } => match failure {
                Some(failure) => {
                    eprint!("{}", failure.render(self.color));
                    Step::Stop
                }
                None => {
                    if settings.timer {
                        println!("time: {}", commands::wall_time(elapsed));
                    }
                    Step::Go
                }
            },
            Finished::Cancelled => {
                eprintln!("cancelled");
                Step::Stop
            }
            Finished::Lost => {
                eprintln!(
                    "error: the query stopped unexpectedly; the session is as it was before it"
                );
                Step::Stop
            }
        }
    }

    fn command(&mut self, settings: &mut Settings, line: &str) -> Reply {
        if let Some(url) = line.trim().strip_prefix(".connect ") {
            return self.connect(url.trim());
        }
        commands::run(&mut self.session.borrow_mut(), settings, line)
    }

    /// A setting's confirmation goes to the screen; an answer goes where
    /// results go.
    fn answer(&mut self, settings: &Settings, text: &str, setting: bool) -> Step {
        if setting {
            print!("{}", visible::lines(text));
            return Step::Go;
        }
        let written = Results::new().text(settings, &screen(), &mut io::stdout().lock(), text);
        if let Err(e) = written {
            eprintln!("error: {}", visible::lines(&e.to_string()));
        }
        Step::Go
    }

    fn refuse(&mut self, message: &str) -> Step {
        eprintln!("error: {}", visible::lines(message));
        Step::Stop
    }
}

/// Puts the file's entries into the editor's history; a missing file is
/// normal on first use, unreadable lines are skipped with a warning.
fn load_history(editor: &mut Editor<helper::ReplHelper, MemHistory>, path: &Path) {
    match history::load(path) {
        Ok(loaded) => {
            for entry in loaded.entries {
                let _ = editor.add_history_entry(entry);
            }
            if let Some((line, why)) = loaded.skipped.first() {
                let more = match loaded.skipped.len() - 1 {
                    0 => String::new(),
                    1 => " (and 1 more line)".to_owned(),
                    n => format!(" (and {n} more lines)"),
                };
                eprintln!(
                    "warning: history file `{}` line {line}: {why}; skipped{more}",
                    crate::shown_path(path)
                );
            }
        }
        Err(e) => eprintln!("warning: {}", crate::shown(&e.to_string())),
    }
}

/// Appends one entry to the history file. A failure is reported the first
/// time only, so a read-only file does not repeat the same warning after
/// every entry.
fn save_history(path: &Path, entry: &str, failed: &mut bool) {
    if let Err(e) = history::append(path, &[entry], history::MAX_ENTRIES)
        && !*failed
    {
        eprintln!("warning: {}", crate::shown(&e.to_string()));
        *failed = true;
    }
}

/// The screen as results see it: fitted to the terminal when standard
/// output is one (it may also be redirected, which counts as a file).
fn screen() -> View {
    let terminal = io::stdout().is_terminal();
    View {
        width: if terminal {
            crate::terminal_width()
        } else {
            None
        },
        terminal,
        ..View::rows(0)
    }
}

/// Shows one result on the screen or appends it to the `.output` file, in
/// the current mode; an export's note goes to stderr.
fn show(outcome: Outcome, settings: &Settings, results: &mut Results) {
    let view = screen();
    let mut out = io::stdout().lock();
    let written = match outcome {
        Outcome::Rows(mut frame) => results.rows(settings, &view, &mut out, &mut frame, None),
        Outcome::Preview { mut frame, total } => {
            results.rows(settings, &view, &mut out, &mut frame, Some(total))
        }
        Outcome::Chart(frame) => results.chart(settings, &view, &mut out, &frame),
        Outcome::Exported { path, rows } => {
            eprintln!("{}", results::export_note(&path, rows));
            Ok(())
        }
    };
    if let Err(e) = written {
        eprintln!("error: {}", visible::lines(&e.to_string()));
    }
}
