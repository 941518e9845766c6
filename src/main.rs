//! The `infraql` binary: arguments in, exit status out. Everything else is
//! in the library; this file decides where text goes and how the process
//! ends: 0 when all went well, 1 for a query or data error, 2 for a usage
//! error.
//!
//! Messages name files and quote values; what comes from outside (paths,
//! data, errors quoting them) goes through [`shown`] so its control
//! characters cannot act on the terminal. Rendered diagnostics escape their
//! own parts.

mod batch;
mod cli;
mod repl;

use std::io::{self, IsTerminal, Read};
use std::path::Path;
use std::process::ExitCode;

use clap::Parser;

use infraql::commands::Settings;
use infraql::engine::allocator::{self, Guarded};
use infraql::engine::polars::Engine;
use infraql::format::Format;
use infraql::render::{self, visible};
use infraql::session::Session;

use batch::Printer;
use cli::{Cli, Command};

/// A refused allocation stops the query instead of aborting the process.
#[global_allocator]
static ALLOCATOR: Guarded = Guarded::new(out_of_memory);

/// The allocator's last resort: the system refused `size` bytes and the
/// reserve is spent. Says so without allocating and exits with status 1.
fn out_of_memory(size: usize) -> ! {
    // Threads that run out together: the first says so and ends the
    // process; the others wait for that.
    static ENDING: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    if ENDING.swap(true, std::sync::atomic::Ordering::SeqCst) {
        loop {
            // SAFETY: waits for a signal; the process ends meanwhile.
            unsafe { libc::pause() };
        }
    }
    let mut digits = [0u8; 20];
    let shown = allocator::decimal(size, &mut digits);
    let parts: [&[u8]; 3] = [
        b"error: out of memory: ",
        shown,
        b" bytes more were refused or would pass the process's memory limit; the query did not finish and nothing of it was printed\n",
    ];
    for part in parts {
        // SAFETY: writes a valid buffer to standard error.
        unsafe { libc::write(2, part.as_ptr().cast(), part.len()) };
    }
    // SAFETY: ends the process without running destructors or allocating.
    unsafe { libc::_exit(1) }
}

/// Stack for the thread that parses, resolves and runs queries. The
/// language's limits keep every tree small, but the stages walk them
/// recursively, and unoptimised builds take much stack per level; the
/// memory is reserved, not used, until touched.
pub const QUERY_STACK: usize = 256 << 20;

/// The most threads `POLARS_MAX_THREADS` may ask for.
const MAX_ENGINE_THREADS: usize = 256;

fn main() -> ExitCode {
    quiet_panics();
    sane_engine_threads();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => return usage_error(&error),
    };
    let worker = std::thread::Builder::new()
        .name("infraql".to_owned())
        .stack_size(QUERY_STACK)
        .spawn(move || run(cli));
    let outcome = match worker {
        Ok(handle) => handle.join().unwrap_or_else(|_| {
            Err(Stop::Failed(
                "error: infraql stopped on an internal error (reported above)".to_owned(),
            ))
        }),
        Err(e) => Err(Stop::Failed(format!("error: cannot start: {e}"))),
    };
    match outcome {
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

/// Ends on a bad command line as clap does (help and version included),
/// except when an argument holds control characters (a file name from a
/// glob, say): clap would quote it raw, so the message is made from the
/// arguments with those characters shown visibly, and printed plain.
fn usage_error(error: &clap::Error) -> ExitCode {
    let arguments: Vec<String> = std::env::args_os()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let hostile = arguments.iter().any(|a| a.chars().any(visible::is_unsafe));
    if !hostile || !error.use_stderr() {
        error.exit();
    }
    let shown_arguments = arguments.iter().map(|a| visible::text(a).into_owned());
    let message = match Cli::try_parse_from(shown_arguments) {
        Err(again) if again.kind() == error.kind() => again.render().to_string(),
        _ => error.render().to_string(),
    };
    eprint!("{}", shown(&message));
    ExitCode::from(u8::try_from(error.exit_code()).unwrap_or(2))
}

/// Panics are bugs; they should read as one line, not a debug dump. Those
/// raised inside a running query are caught and answered by the engine (a
/// fallback to the in-memory engine, or the query failing with the panic's
/// message), so they are not reported a second time here.
fn quiet_panics() {
    std::panic::set_hook(Box::new(|info| {
        if infraql::engine::polars::catches_panics() {
            return;
        }
        let payload = info.payload();
        let message = payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        // The memory watcher stops a query the way Polars' own abort does;
        // near a query's end that can land just after the run.
        if message.starts_with("__POLARS_ABORT_") {
            return;
        }
        eprintln!("internal error: {message} — please report this with the query that caused it");
    }));
}

/// Polars sizes its thread pool from `POLARS_MAX_THREADS` when it first
/// runs: 0 makes it panic and a huge number hangs creating threads. A value
/// that is not a whole number from 1 to [`MAX_ENGINE_THREADS`] is dropped
/// with a warning, so Polars uses one thread per core. Runs before any
/// thread exists, so changing the environment is safe.
fn sane_engine_threads() {
    const NAME: &str = "POLARS_MAX_THREADS";
    let Some(value) = std::env::var_os(NAME) else {
        return;
    };
    let count = value.to_str().and_then(|v| v.trim().parse::<usize>().ok());
    if count.is_some_and(|n| (1..=MAX_ENGINE_THREADS).contains(&n)) {
        return;
    }
    eprintln!(
        "warning: ignoring {NAME}={}: it must be a whole number from 1 to {MAX_ENGINE_THREADS}; using one thread per core",
        value.to_string_lossy()
    );
    // SAFETY: called at the start of main, before any other thread runs.
    unsafe { std::env::remove_var(NAME) };
}

/// Whether `--clickhouse` is on the command line (rather than the URL
/// coming from INFRAQL_CLICKHOUSE_URL).
fn clickhouse_given() -> bool {
    std::env::args_os().any(|a| {
        a.to_str()
            .is_some_and(|a| a == "--clickhouse" || a.starts_with("--clickhouse="))
    })
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
    if let Some(Command::Import {
        docs,
        git,
        since,
        out,
    }) = &cli.command
    {
        return import(docs.as_deref(), git.as_deref(), *since, out);
    }
    let engine = match &cli.data {
        Some(dir) => Engine::from_dir(dir),
        None => Engine::with_bundled_datasets(),
    }
    .map_err(|e| Stop::Failed(format!("error: {}", shown(&e.to_string()))))?;
    if let Some(limit) = cli.memory_limit {
        infraql::engine::memory::set_limit(limit);
    }
    let mut session = Session::new(engine);
    session.set_now(cli.now);
    if let Some(url) = &cli.clickhouse {
        match session.connect(url, infraql::commands::clickhouse_password()) {
            Ok(_) => {}
            // A default from the environment that cannot be reached does
            // not stop local work; `--clickhouse` given here does.
            Err(e) if !clickhouse_given() => eprintln!(
                "warning: {}; going on without ClickHouse (INFRAQL_CLICKHOUSE_URL)",
                shown(&e.to_string())
            ),
            Err(e) => return Err(Stop::Failed(format!("error: {}", shown(&e.to_string())))),
        }
        if let Some(remote) = session.clickhouse_mut() {
            for (name, value) in &cli.clickhouse_settings {
                remote.set(name, value).map_err(|e| {
                    Stop::Failed(format!("error: --clickhouse-setting: {}", shown(&e)))
                })?;
            }
        }
    } else if !cli.clickhouse_settings.is_empty() {
        return Err(Stop::Usage(
            "error: --clickhouse-setting needs --clickhouse URL".to_owned(),
        ));
    }
    for (name, path) in &cli.tables {
        if let Some(table) = path.strip_prefix("clickhouse:") {
            let Some(remote) = session.clickhouse_mut() else {
                return Err(Stop::Usage(format!(
                    "error: --table {}: `clickhouse:` needs --clickhouse URL",
                    shown(name)
                )));
            };
            remote.alias(name, table).map_err(|e| {
                Stop::Failed(format!("error: --table {}: {}", shown(name), shown(&e)))
            })?;
            continue;
        }
        session.add_file(name, path).map_err(|e| {
            Stop::Failed(format!(
                "error: --table {}: {}",
                shown(name),
                shown(&e.to_string())
            ))
        })?;
    }
    let color = colour_wanted(io::stderr().is_terminal());

    let mut sources: Vec<(String, String)> = Vec::new();
    for path in &cli.files {
        let text = infraql::engine::polars::files::read_script(path)
            .map_err(|e| Stop::Failed(format!("error: {}", shown(&e.to_string()))))?;
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
            // The shell keeps the tables it reads from files (`.cache`).
            session
                .engine()
                .cache()
                .set_budget(infraql::commands::default_cache_budget());
            return repl::run(session, cli.format, view(&cli))
                .map_err(Stop::Failed)
                .map(|()| ExitCode::SUCCESS);
        }
        // Read with a bound: `infraql < /dev/zero` must not grow forever.
        let limit = infraql::engine::polars::files::SCRIPT_LIMIT;
        let mut text = String::new();
        io::stdin()
            .take(limit + 1)
            .read_to_string(&mut text)
            .map_err(|e| Stop::Failed(format!("error: cannot read standard input: {e}")))?;
        if text.len() as u64 > limit {
            return Err(Stop::Failed(format!(
                "error: standard input is larger than {} MiB, too large for a script",
                limit >> 20
            )));
        }
        sources.push(("<stdin>".to_owned(), text));
    }

    if cli.sql {
        // The SQL each query runs as, nothing run.
        for (name, text) in &sources {
            let sql = session
                .sql(name, text)
                .map_err(|failure| Stop::Failed(failure.render(color)))?;
            print!("{sql}");
        }
        return Ok(ExitCode::SUCCESS);
    }
    let output = match &cli.output {
        Some(path) => Some((path.as_path(), output_format(path, cli.format)?)),
        None => None,
    };
    let mut printer = Printer::new(view(&cli), output);
    let mut settings = Settings::new(infraql::commands::row_limit(cli.max_rows), cli.humanize);
    settings.mode = cli.format;
    settings.bail = cli.bail;
    let mut failed: Vec<&str> = Vec::new();
    let mut processed = 0;
    for (name, text) in &sources {
        processed += 1;
        let flow = batch::run_source(
            &mut session,
            &mut settings,
            &mut printer,
            (name, text),
            color,
        )?;
        match flow {
            batch::Flow::Go => {}
            batch::Flow::Quit => break,
            batch::Flow::Failed => {
                failed.push(name);
                if cli.bail {
                    break;
                }
            }
        }
    }
    printer.finish()?;
    if failed.is_empty() {
        return Ok(ExitCode::SUCCESS);
    }
    if sources.len() > 1 {
        let ran = processed - failed.len();
        let skipped = match sources.len() - processed {
            0 => String::new(),
            n => format!("; --bail left {n} not run"),
        };
        eprintln!(
            "infraql: {} of {} sources had a failure ({}); {ran} ran without one{skipped}",
            failed.len(),
            sources.len(),
            failed.join(", ")
        );
    }
    Err(Stop::Failed(String::new()))
}

/// How tables and charts are drawn: fitted to the terminal when stdout is
/// one, at natural width when it is a pipe or file; machine formats keep
/// their bytes except on a terminal.
fn view(cli: &Cli) -> render::View {
    let terminal = io::stdout().is_terminal();
    render::View {
        max_rows: infraql::commands::row_limit(cli.max_rows),
        width: terminal.then(terminal_width).flatten(),
        humanize: cli.humanize,
        terminal,
        shell: false,
    }
}

/// Text for a message: line breaks kept, other control characters shown
/// visibly.
pub fn shown(text: &str) -> String {
    visible::lines(text).into_owned()
}

/// A path for a message, on one line with its control characters visible.
pub fn shown_path(path: &Path) -> String {
    visible::text(&path.display().to_string()).into_owned()
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
        Err(message) => Err(Stop::Usage(format!(
            "-o {}: {}",
            shown_path(path),
            shown(&message)
        ))),
    }
}

fn import(
    docs: Option<&Path>,
    git: Option<&Path>,
    since: Option<chrono::NaiveDate>,
    out: &Path,
) -> Result<ExitCode, Stop> {
    if !out.is_dir() {
        std::fs::create_dir_all(out).map_err(|e| {
            Stop::Failed(format!("error: cannot create `{}`: {e}", shown_path(out)))
        })?;
    }
    let imported = match (git, docs) {
        (Some(repo), _) => {
            infraql::import::import_git(repo, out, &infraql::import::GitOptions { since })
        }
        (None, Some(docs)) => infraql::import::import_dir(docs, out),
        (None, None) => {
            return Err(Stop::Usage(
                "error: give a documentation folder or --git REPO_DIR".to_owned(),
            ));
        }
    };
    let warnings =
        imported.map_err(|e| Stop::Failed(format!("error: {}", shown(&e.to_string()))))?;
    for warning in &warnings {
        eprintln!("{}", shown(&warning.to_string()));
    }
    eprintln!("wrote the tables to {}", shown_path(out));
    Ok(ExitCode::SUCCESS)
}
