//! The `infraql` binary: arguments in, exit status out. Everything else is
//! in the library; this file decides where text goes and how the process
//! ends: 0 when all went well, 1 for a query or data error, 2 for a usage
//! error.

mod batch;
mod cli;
mod repl;

use std::io::{self, IsTerminal, Read};
use std::path::Path;
use std::process::ExitCode;

use clap::Parser;

use infraql::commands::Settings;
use infraql::engine::polars::Engine;
use infraql::format::Format;
use infraql::render;
use infraql::session::Session;

use batch::Printer;
use cli::{Cli, Command};

fn main() -> ExitCode {
    quiet_panics();
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(Stop::Usage(message)) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
        Err(Stop::Failed(message)) => {
            if !message.is_empty() {
                eprint!("{message}");
                if !message.ends_with('\n') {
                    eprintln!();
                }
            }
            ExitCode::from(1)
        }
        Err(Stop::BrokenPipe) => ExitCode::SUCCESS,
    }
}

/// Panics are bugs; they should read as one line, not a debug dump. One
/// kind is expected and handled: the streaming engine reports operations
/// it lacks by panicking, and the engine falls back to the in-memory one.
fn quiet_panics() {
    std::panic::set_hook(Box::new(|info| {
        let payload = info.payload();
        let message = payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        if message.starts_with("not yet implemented") {
            return;
        }
        eprintln!("internal error: {message} — please report this with the query that caused it");
    }));
}

/// Why the process ends early.
pub enum Stop {
    /// Bad arguments: exit 2.
    Usage(String),
    /// A query or data error, already worded for the user: exit 1.
    Failed(String),
    /// The reader of our output went away: end quietly.
    BrokenPipe,
}

fn run(cli: Cli) -> Result<ExitCode, Stop> {
    if let Some(Command::Import { docs, out }) = &cli.command {
        return import(docs, out);
    }
    let engine = match &cli.data {
        Some(dir) => Engine::from_dir(dir),
        None => Engine::with_bundled_datasets(),
    }
    .map_err(|e| Stop::Failed(format!("error: {e}")))?;
    let mut session = Session::new(engine);
    session.set_now(cli.now);
    for (name, path) in &cli.tables {
        session
            .add_file(name, path)
            .map_err(|e| Stop::Failed(format!("error: --table {name}: {e}")))?;
    }
    let color = colour_wanted(io::stderr().is_terminal());

    let mut sources: Vec<(String, String)> = Vec::new();
    for path in &cli.files {
        let text = infraql::engine::polars::files::read_script(path)
            .map_err(|e| Stop::Failed(format!("error: {e}")))?;
        sources.push((path.display().to_string(), text));
    }
    let several = cli.queries.len() > 1;
    for (index, query) in cli.queries.iter().enumerate() {
        let name = if several {
            format!("<-e {}>", index + 1)
        } else {
            "<-e>".to_owned()
        };
        sources.push((name, query.clone()));
    }
    if sources.is_empty() {
        if io::stdin().is_terminal() && cli.output.is_none() {
            return repl::run(session, cli.format, view(&cli))
                .map_err(Stop::Failed)
                .map(|()| ExitCode::SUCCESS);
        }
        let mut text = String::new();
        io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| Stop::Failed(format!("error: cannot read standard input: {e}")))?;
        sources.push(("<stdin>".to_owned(), text));
    }

    let output = match &cli.output {
        Some(path) => Some((path.as_path(), output_format(path, cli.format)?)),
        None => None,
    };
    let mut printer = Printer::new(cli.format, view(&cli), output);
    let mut settings = Settings::new(cli.max_rows, cli.humanize);
    settings.mode = cli.format;
    for (name, text) in &sources {
        let flow = batch::run_source(
            &mut session,
            &mut settings,
            &mut printer,
            (name, text),
            color,
            0,
        )?;
        if let batch::Flow::Quit = flow {
            break;
        }
    }
    printer.finish()?;
    Ok(ExitCode::SUCCESS)
}

/// How tables and charts are drawn: fitted to the terminal when stdout is
/// one, at natural width when it is a pipe or file.
fn view(cli: &Cli) -> render::View {
    render::View {
        max_rows: cli.max_rows,
        width: io::stdout().is_terminal().then(terminal_width).flatten(),
        humanize: cli.humanize,
    }
}

/// Whether to colour a stream: it is a terminal, `TERM` is not `dumb` and
/// `NO_COLOR` is unset.
pub fn colour_wanted(terminal: bool) -> bool {
    terminal
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        && std::env::var("TERM").map_or(true, |t| t != "dumb")
}

/// The terminal's width in columns, when there is one.
/// (A pseudo-terminal may report 0; such widths are not believed.)
pub fn terminal_width() -> Option<usize> {
    terminal_size::terminal_size()
        .map(|(width, _)| width.0)
        .filter(|w| *w >= infraql::commands::MIN_TERMINAL_WIDTH)
        .map(usize::from)
}

/// The format for `-o FILE`: its extension, else `--format` when that is a
/// file format.
fn output_format(path: &Path, requested: Format) -> Result<Format, Stop> {
    match Format::from_path(&path.to_string_lossy()) {
        Ok(format) => Ok(format),
        Err(_) if requested != Format::Table => Ok(requested),
        Err(message) => Err(Stop::Usage(format!("-o {}: {message}", path.display()))),
    }
}

fn import(docs: &Path, out: &Path) -> Result<ExitCode, Stop> {
    if !out.is_dir() {
        std::fs::create_dir_all(out)
            .map_err(|e| Stop::Failed(format!("error: cannot create `{}`: {e}", out.display())))?;
    }
    let warnings =
        infraql::import::import_dir(docs, out).map_err(|e| Stop::Failed(format!("error: {e}")))?;
    for warning in &warnings {
        eprintln!("{warning}");
    }
    eprintln!("wrote the tables to {}", out.display());
    Ok(ExitCode::SUCCESS)
}
