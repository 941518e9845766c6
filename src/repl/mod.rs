//! The interactive shell: rustyline for editing and history, the library's
//! session for everything else.
//!
//! A statement may span lines: the editor keeps reading while brackets or
//! quotes are open or a line ends with `|`, and the whole statement is one
//! history entry. Errors are printed and the session goes on.

mod helper;

use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;

use rustyline::Editor;
use rustyline::config::Config;
use rustyline::error::ReadlineError;
use rustyline::history::DefaultHistory;

use infraql::commands::{self, Reply};
use infraql::format::Format;
use infraql::render;
use infraql::session::{Outcome, Session};

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

pub fn run(session: &mut Session, max_rows: usize) -> Result<(), String> {
    let config = Config::builder().auto_add_history(false).build();
    let mut editor: Editor<helper::ReplHelper, DefaultHistory> =
        Editor::with_config(config).map_err(|e| format!("error: cannot start the shell: {e}"))?;
    editor.set_helper(Some(helper::ReplHelper));
    let history = history_path();
    if let Some(path) = &history {
        // A missing history file is normal on first use.
        let _ = editor.load_history(path);
    }
    let color = io::stderr().is_terminal();
    println!(
        "infraql {} — type .help for help, .quit to leave",
        env!("CARGO_PKG_VERSION")
    );
    loop {
        match editor.readline(PROMPT) {
            Ok(line) => {
                let input = line.trim();
                if input.is_empty() {
                    continue;
                }
                let _ = editor.add_history_entry(input);
                if let Some(path) = &history {
                    save_history(&mut editor, path);
                }
                if commands::is_command(input) {
                    match commands::run(session, input) {
                        Reply::Text(text) => print!("{text}"),
                        Reply::Error(message) => eprintln!("error: {message}"),
                        Reply::Quit => break,
                    }
                    continue;
                }
                let mut first = true;
                let result = session.run("<repl>", &line, |outcome| {
                    show(outcome, max_rows, &mut first);
                    Ok(())
                });
                if let Err(failure) = result {
                    eprint!("{}", failure.render(color));
                }
            }
            Err(ReadlineError::Interrupted) => continue,
            Err(ReadlineError::Eof) => break,
            Err(e) => return Err(format!("error: {e}")),
        }
    }
    Ok(())
}

fn save_history(editor: &mut Editor<helper::ReplHelper, DefaultHistory>, path: &PathBuf) {
    if let Some(dir) = path.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    if let Err(e) = editor.save_history(path) {
        eprintln!("warning: cannot save history to {}: {e}", path.display());
    }
}

fn show(outcome: Outcome, max_rows: usize, first: &mut bool) {
    let stdout = io::stdout();
    let mut out = stdout.lock();
    if !*first {
        let _ = writeln!(out);
    }
    *first = false;
    match outcome {
        Outcome::Rows(mut frame) => {
            if let Err(e) = render::write(&mut frame, Format::Table, max_rows, &mut out) {
                eprintln!("error: {e}");
            }
        }
        Outcome::Exported { path, rows } => {
            let _ = writeln!(
                out,
                "exported {rows} row{} to {path}",
                if rows == 1 { "" } else { "s" }
            );
        }
    }
    let _ = out.flush();
}
