//! The integration tests, in one binary so Polars is linked once.

mod architecture;
mod cache;
mod cli;
mod clickhouse;
mod consistency;
mod docs;
mod editing;
mod files;
mod golden;
mod history;
mod import;
mod repl;
mod scan;
mod scripted_server;
mod syntax;
mod terminal;
mod trust;

use std::path::{Path, PathBuf};

use infraql::commands::Settings;
use infraql::engine::polars::Engine;
use infraql::render;
use infraql::results::{self, Results};
use infraql::session::{Outcome, Session};

/// The real binary as the tests run it: no history file, no backtraces,
/// the engine's own thread count, and a deadline instead of a hang.
pub fn infraql() -> assert_cmd::Command {
    let mut command = assert_cmd::Command::cargo_bin("infraql").expect("binary is built");
    command
        .env("INFRAQL_HISTORY", "")
        .env_remove("RUST_BACKTRACE")
        .env_remove("POLARS_MAX_THREADS")
        .env_remove("INFRAQL_CLICKHOUSE_URL")
        .env_remove("INFRAQL_CLICKHOUSE_PASSWORD")
        .timeout(std::time::Duration::from_secs(120));
    command
}

/// The shell's prompt on an empty line: the prompt, then the cursor put
/// after it. (Redraws while typing also show "infraql> ", then the input.)
pub const PROMPT: &str = "infraql> \r\x1b[9C";

/// The binary for a pseudo-terminal: a plain xterm without colours,
/// history in `history` (`""`: none), started in the repository root.
pub fn shell_command(history: impl AsRef<std::ffi::OsStr>) -> std::process::Command {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_infraql"));
    for_the_shell(&mut command, history);
    command
}

/// [`shell_command`] in a terminal `columns` wide (`stty` sets the size
/// before the shell starts).
pub fn sized_shell_command(
    history: impl AsRef<std::ffi::OsStr>,
    columns: u16,
) -> std::process::Command {
    let mut command = std::process::Command::new("sh");
    command.arg("-c").arg(format!(
        "stty cols {columns} rows 40 && exec '{}'",
        env!("CARGO_BIN_EXE_infraql")
    ));
    for_the_shell(&mut command, history);
    command
}

fn for_the_shell(command: &mut std::process::Command, history: impl AsRef<std::ffi::OsStr>) {
    command
        .env("INFRAQL_HISTORY", history)
        .env("TERM", "xterm")
        .env("NO_COLOR", "1")
        .env_remove("POLARS_MAX_THREADS")
        .env_remove("INFRAQL_CLICKHOUSE_URL")
        .env_remove("INFRAQL_CLICKHOUSE_PASSWORD")
        .current_dir(root());
}

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs `text` on the bundled data and returns what a user would see: each
/// result as a table (or the export note), or the rendered error.
pub fn run_to_text(name: &str, text: &str) -> String {
    let engine = Engine::with_bundled_datasets().expect("bundled datasets load");
    let mut session = Session::new(engine);
    if let Err(message) = apply_directives(&mut session, text) {
        return format!("setup failed: {message}\n");
    }
    run_in(&mut session, name, text)
}

/// Comment lines at the top of a case that set up its session:
/// `# table: NAME=PATH` (PATH relative to the repository root, which is
/// where cargo runs tests) and
/// `# now: TIMESTAMP`.
fn apply_directives(session: &mut Session, text: &str) -> Result<(), String> {
    for line in text.lines().take_while(|l| l.starts_with('#')) {
        if let Some(table) = line.strip_prefix("# table:") {
            let (name, path) = table
                .trim()
                .split_once('=')
                .ok_or("table directive needs NAME=PATH")?;
            session.add_file(name.trim(), path.trim())?;
        } else if let Some(now) = line.strip_prefix("# now:") {
            session.set_now(Some(infraql::session::parse_timestamp(now)?));
        }
    }
    Ok(())
}

pub fn run_in(session: &mut Session, name: &str, text: &str) -> String {
    let mut out = Vec::new();
    // As `infraql -e` draws into a pipe: natural width, 100 rows.
    let settings = Settings::new(100, false);
    let screen = render::View::rows(100);
    let mut results = Results::new();
    let result = session.run(name, text, |outcome| {
        match outcome {
            Outcome::Rows(mut frame) => {
                results.rows(&settings, &screen, &mut out, &mut frame, None)?
            }
            Outcome::Preview { mut frame, total } => {
                results.rows(&settings, &screen, &mut out, &mut frame, Some(total))?
            }
            Outcome::Chart(frame) => results.chart(&settings, &screen, &mut out, &frame)?,
            Outcome::Exported { path, rows } => {
                out.extend_from_slice(
                    format!("{}\n", results::export_note(&path, rows)).as_bytes(),
                );
            }
        }
        Ok(())
    });
    let mut text = String::from_utf8(out).expect("output is UTF-8");
    if let Err(failure) = result {
        if !text.is_empty() {
            text.push('\n');
        }
        text.push_str(&failure.render(false));
    }
    text
}

/// Every file under `dir` (recursively) with the given extension, sorted.
pub fn files_with_extension(dir: &Path, extension: &str) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == extension) {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}
