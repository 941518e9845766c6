//! The interactive shell: rustyline for editing, completion, highlighting
//! and history; the library's session and dot-commands for everything else.
//!
//! A statement may span lines: the editor keeps reading while brackets or
//! quotes are open or a line ends with `|`, and the whole statement is one
//! history entry. A line that
//! starts with `|` goes on from the last query that showed a result, and
//! `_` names that result, so a pipeline can be built a stage at a time. Queries run on a worker thread (see [`running`]) so that
//! Ctrl-C can return to the prompt while one runs. Errors are printed and
//! the session goes on.
//!
//! What reaches the screen shows control characters from data, names and
//! messages visibly (see [`infraql::render::visible`]); a `.output` file
//! gets results with the bytes exactly.

mod helper;
mod history;
mod pager;
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

use polars::prelude::DataFrame;

use infraql::commands::{self, Reply, Settings};
use infraql::driver::{self, Host, Step};
use infraql::format::Format;
use infraql::render::{View, visible};
use infraql::results::{self, Results};
use infraql::session::{Outcome, Session};

use running::Finished;

const PROMPT: &str = "infraql> ";

/// The name of the last result in the shell (`_ | count`, `let x = _`).
const LAST_RESULT: &str = "_";

/// The prompt: `infraql> `, with the session's time window when one is in
/// force (`infraql[24h]> `).
fn prompt(session: &Session) -> String {
    match session.window() {
        Some(since) => format!("infraql[{}]> ", visible::text(&since.label())),
        None => PROMPT.to_owned(),
    }
}

/// Whether `input` is one of `words` alone (`quit`, `exit`, `help`: what
/// people type at a prompt before they know the dot-commands). Such a word
/// is never a query: no table may be named after it in the shell.
fn is_bare_word(input: &str, words: &[&str]) -> bool {
    let word = input.trim().trim_end_matches(';').trim();
    words.iter().any(|w| word.eq_ignore_ascii_case(w))
}

/// A line that starts with `|` goes on from the last query that showed a
/// result: that query runs again with the new stages after it, and becomes
/// the last query.
fn go_on(shell: &mut Shell<'_>, settings: &mut Settings, line: &str) -> Step {
    let last = shell.session.borrow().last_query().map(str::to_owned);
    match last {
        Some(last) => driver::run_queries(shell, settings, "<repl>", &format!("{last}\n{line}")),
        None => shell.refuse(
            "a line that starts with `|` goes on from the last query, and no query has shown a result yet; start with a table: services | ...",
        ),
    }
}

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
    let last = RefCell::new(Last::Nothing);
    loop {
        let prompt = prompt(&session.borrow());
        match editor.readline(&prompt) {
            Ok(entry) => {
                if entry.trim().is_empty() {
                    continue;
                }
                let input = entry.trim();
                // A repeat of the entry before is not added again.
                let added = editor.add_history_entry(input).unwrap_or(false);
                if let (true, Some(path)) = (added, &history) {
                    save_history(path, input, &mut history_failed);
                }
                let mut shell = Shell {
                    session: &session,
                    interrupted: &interrupted,
                    color,
                    last: &last,
                };
                let step = if is_bare_word(input, &["quit", "exit"]) {
                    Step::Quit
                } else if is_bare_word(input, &["help"]) {
                    driver::run_command(&mut shell, &mut settings, ".help", None, 0)
                } else if commands::is_command(input) {
                    driver::run_command(&mut shell, &mut settings, input, None, 0)
                } else if input.starts_with('|') {
                    go_on(&mut shell, &mut settings, &entry)
                } else {
                    driver::run_queries(&mut shell, &mut settings, "<repl>", &entry)
                };
                session.borrow_mut().bind_last(LAST_RESULT);
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
    /// The last result shown, for `.last`.
    last: &'a RefCell<Last>,
}

/// The last result shown, as `.last` finds it.
enum Last {
    Nothing,
    /// All its rows.
    Rows(DataFrame),
    /// A result that stayed on the server: only its first rows came back,
    /// so `.last` runs its query again for all of them.
    OnServer,
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

impl Shell<'_> {
    /// `.last`: the last result again, every row of it, through the pager
    /// when it is longer than the screen (and the screen is where results
    /// go).
    fn show_last(&self, settings: &Settings) -> Reply {
        let frame = match &*self.last.borrow() {
            Last::Nothing => return Reply::Error("no result to show yet".to_owned()),
            Last::Rows(frame) => Some(frame.clone()),
            Last::OnServer => None,
        };
        let mut frame = match frame {
            Some(frame) => frame,
            None => match self.fetch_last() {
                Ok(frame) => frame,
                Err(message) => return Reply::Error(message),
            },
        };
        let all = Settings {
            max_rows: usize::MAX,
            ..settings.clone()
        };
        let view = screen();
        let paged = view.terminal && all.output.is_none() && all.once.is_none();
        let written = if paged {
            let mut text = Vec::new();
            Results::new()
                .rows(&all, &view, &mut text, &mut frame, None)
                .map(|()| {
                    let rows = terminal_size::terminal_size().map(|(_, h)| usize::from(h.0));
                    if !pager::needed(&text, rows) || pager::show(&text).is_err() {
                        print!("{}", String::from_utf8_lossy(&text));
                    }
                })
        } else {
            Results::new().rows(&all, &view, &mut io::stdout().lock(), &mut frame, None)
        };
        // The pager may have taken a Ctrl-C meant for it.
        self.interrupted
            .store(false, std::sync::atomic::Ordering::SeqCst);
        match written {
            Ok(()) => Reply::Set(String::new()),
            Err(e) => Reply::Error(e.to_string()),
        }
    }

    /// All rows of the last query, run again without a row limit.
    fn fetch_last(&self) -> Result<DataFrame, String> {
        let Some(query) = self.session.borrow().last_query().map(str::to_owned) else {
            return Err("no result to show yet".to_owned());
        };
        self.session.borrow_mut().set_preview(None);
        let mut rows = None;
        let finished = running::run(
            self.session,
            "<last>",
            &query,
            self.interrupted,
            |outcome| {
                if let Outcome::Rows(frame) = outcome {
                    rows = Some(frame);
                }
            },
        );
        match finished {
            Finished::Done { failure: None, .. } => {
                rows.ok_or_else(|| "the last query showed no rows".to_owned())
            }
            Finished::Done {
                failure: Some(failure),
                ..
            } => Err(failure.render(false)),
            Finished::Cancelled => Err("cancelled".to_owned()),
            Finished::Lost => Err("the query stopped unexpectedly".to_owned()),
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
            match &outcome {
                Outcome::Rows(frame) | Outcome::Chart(frame) => {
                    *self.last.borrow_mut() = Last::Rows(frame.clone());
                }
                Outcome::Preview { .. } => *self.last.borrow_mut() = Last::OnServer,
                Outcome::Exported { .. } => {}
            }
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
        if line.trim() == ".last" {
            return self.show_last(settings);
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
        shell: true,
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
