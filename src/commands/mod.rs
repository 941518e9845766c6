//! The REPL's dot-commands: `.help`, `.tables`, `.schema`, `.mode`,
//! `.output`, `.timer`, `.maxrows`, `.humanize`, `.memory`, `.cache`,
//! `.read`, `.load`, `.once`,
//! `.explain`, `.now`, `.since`, `.trace`, `.quit` (`.help` is in [`help`];
//! the shell adds `.last` and `.connect`'s password prompt).
//!
//! They answer with text and change the [`Settings`] the REPL shows results
//! with; the REPL prints the text. Keeping them here, not in the binary,
//! lets tests drive them directly.
//!
//! Names and paths that come from files or from the user (column names,
//! table names, file names) are shown with their control characters
//! escaped (see [`crate::render::visible`]), tables measured on the escaped
//! text.

mod cache;
mod describe;
pub mod help;
mod since;
mod trace;

use std::path::PathBuf;

use comfy_table::{Cell, ContentArrangement, Table, presets};

use crate::datasets::tables;
use crate::diagnostic::did_you_mean;
use crate::format::Format;
use crate::render::visible;
use crate::session::{RelationKind, Session};

/// What a dot-command asks the REPL to do.
#[derive(Debug, PartialEq)]
pub enum Reply {
    /// Print this: what the user asked to see.
    Text(String),
    /// A setting changed; this says how (the shell prints it, a script
    /// does not).
    Set(String),
    /// Leave the REPL.
    Quit,
    /// Print this on stderr; the command failed.
    Error(String),
    /// Run this script (`.read FILE`), named `name` in messages.
    Run { name: String, text: String },
}

/// How the REPL shows answers; the dot-commands change it.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// `.mode`: the format results are shown in.
    pub mode: Format,
    /// `.output FILE`: results go to this file (appended) instead of the
    /// screen.
    pub output: Option<PathBuf>,
    /// `.once FILE`: the results of the next query go to this file, then
    /// results go where they went before.
    pub once: Option<PathBuf>,
    /// `.timer on`: print each query's wall time.
    pub timer: bool,
    /// `.maxrows N`: rows shown before the rest are summed up.
    pub max_rows: usize,
    /// `.humanize on`: 1.2M instead of 1,234,567.
    pub humanize: bool,
    /// `--bail`: a failure ends the script; otherwise the script goes on
    /// with its next piece, as psql and DuckDB's shell do.
    pub bail: bool,
}

impl Settings {
    pub fn new(max_rows: usize, humanize: bool) -> Settings {
        Settings {
            mode: Format::Table,
            output: None,
            once: None,
            timer: false,
            max_rows,
            humanize,
            bail: false,
        }
    }
}

pub const COMMANDS: &[(&str, &str)] = &[
    (
        ".help [TOPIC]",
        "this help; with an operator, function or command: its syntax and an example",
    ),
    (".tables", "the tables and let names"),
    (
        ".schema [TABLE]",
        "the columns of a table (or of all tables)",
    ),
    (
        ".mode [MODE]",
        "show results as table, line, csv, tsv, json, ndjson or markdown",
    ),
    (
        ".output [FILE]",
        "send results to FILE (in the current mode); alone: back to the screen",
    ),
    (
        ".last",
        "the last result again, every row (in the shell through a pager when long)",
    ),
    (
        ".once FILE",
        "send only the results of the next query to FILE",
    ),
    (".timer on|off", "print the wall time of each query"),
    (
        ".maxrows N|all",
        "show at most N rows of a result (all or 0: every row)",
    ),
    (
        ".humanize on|off",
        "show large numbers as 1.2K, 58.3M, 1.4B",
    ),
    (
        ".memory [SIZE|none]",
        "show or set the memory budget of a query (4GB, 512MB, 50%)",
    ),
    (
        ".cache [SIZE|off|clear|load T]",
        "tables read from files kept in memory after first use: show, budget, empty, read now",
    ),
    (".read FILE", "run the queries and dot-commands in FILE"),
    (
        ".load PATH as NAME",
        "read a file (or glob) as table NAME; clickhouse:[DB.]TABLE names a server table",
    ),
    (
        ".explain QUERY",
        "the logical plan and Polars' optimised plan",
    ),
    (
        ".connect [URL]",
        "connect to ClickHouse (http://user@host:8123/database; password from INFRAQL_CLICKHOUSE_PASSWORD)",
    ),
    (".disconnect", "drop the ClickHouse connection"),
    (".sql QUERY", "the ClickHouse SQL a query runs as"),
    (
        ".set [NAME=VALUE]",
        "show or set a ClickHouse setting sent with every query",
    ),
    (
        ".now [TIMESTAMP|clock]",
        "show or fix what now() means (clock: the real time)",
    ),
    (
        ".since [DURATION|TIMESTAMP|off]",
        "read only rows from then on (24h, 7d, 2025-11-22) of tables with a time column",
    ),
    (
        ".trace QUERY",
        "run a query stage by stage: rows, columns and time after each",
    ),
    (
        ".describe QUERY",
        "each column of a table or pipeline: type, nulls, distinct values, min, max",
    ),
    (".quit", "leave (also .exit or Ctrl-D)"),
];

/// The modes `.mode` takes, in the order `.help` lists them.
pub const MODES: &[Format] = &[
    Format::Table,
    Format::Line,
    Format::Csv,
    Format::Tsv,
    Format::Json,
    Format::Ndjson,
    Format::Markdown,
];

/// How deeply `.read` may nest (a script reading itself stops here).
pub const MAX_READ_DEPTH: usize = 16;

/// A query's wall time as `.timer` shows it: "12.3 ms", "1.24 s".
pub fn wall_time(elapsed: std::time::Duration) -> String {
    let ms = elapsed.as_secs_f64() * 1000.0;
    if ms < 1000.0 {
        format!("{ms:.1} ms")
    } else {
        format!("{:.2} s", ms / 1000.0)
    }
}

/// Whether a line of input is a dot-command rather than a query.
pub fn is_command(line: &str) -> bool {
    line.trim_start().starts_with('.')
}

/// The command names, without arguments (`.help`, `.tables`, …).
pub fn names() -> impl Iterator<Item = &'static str> {
    COMMANDS
        .iter()
        .map(|(c, _)| c.split_whitespace().next().unwrap_or(c))
        .chain([".exit"])
}

pub use cache::default_budget as default_cache_budget;

/// `.memory`: the budget in force, or a new one.
fn memory_budget(rest: &str) -> Reply {
    use crate::engine::memory;
    let describe = || match memory::limit() {
        Some(bytes) => format!("memory budget: {} per query\n", memory::describe(bytes)),
        None => "memory budget: none\n".to_owned(),
    };
    if rest.is_empty() {
        return Reply::Text(describe());
    }
    match memory::parse_limit(rest) {
        Ok(limit) => {
            memory::set_limit(limit);
            Reply::Set(describe())
        }
        Err(message) => Reply::Error(format!("{message}; usage: .memory [SIZE|none]")),
    }
}

pub fn run(session: &mut Session, settings: &mut Settings, line: &str) -> Reply {
    let line = line.trim();
    let (command, rest) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
    let rest = rest.trim();
    let arguments: Vec<&str> = rest.split_whitespace().collect();
    match command {
        ".mode" => mode(settings, rest),
        ".output" => output(settings, rest),
        ".timer" => switch(rest, ".timer", &mut settings.timer, |on| {
            format!("timer {}\n", if on { "on" } else { "off" })
        }),
        ".humanize" => switch(rest, ".humanize", &mut settings.humanize, |on| {
            if on {
                "numbers humanized: 1.2M instead of 1,234,567\n".to_owned()
            } else {
                "numbers in full\n".to_owned()
            }
        }),
        ".maxrows" => match rest.parse::<usize>() {
            _ if rest.is_empty() => Reply::Text(rows_shown(settings.max_rows)),
            Ok(n) => {
                settings.max_rows = row_limit(n);
                Reply::Set(rows_shown(settings.max_rows))
            }
            Err(_) if rest == "all" => {
                settings.max_rows = usize::MAX;
                Reply::Set(rows_shown(settings.max_rows))
            }
            Err(_) => Reply::Error(format!(
                "`{rest}` is not a row count; usage: .maxrows N|all (all or 0: every row)"
            )),
        },
        ".once" => once(settings, rest),
        ".last" => Reply::Error(
            "`.last` shows the last result in the shell; a script shows every result already"
                .to_owned(),
        ),
        ".memory" => memory_budget(rest),
        ".cache" => cache::run(session, rest),
        ".read" => read(rest),
        ".load" => load(session, rest),
        ".explain" if rest.is_empty() => Reply::Error("usage: .explain QUERY".to_owned()),
        ".explain" => plan_text(session.explain("<explain>", rest)),
        ".now" => now(session, rest),
        ".since" => since::run(session, rest),
        ".describe" if rest.is_empty() => Reply::Error("usage: .describe QUERY (a table or a pipeline)".to_owned()),
        ".describe" => describe::run(session, rest),
        ".trace" if rest.is_empty() => Reply::Error("usage: .trace QUERY".to_owned()),
        ".trace" => trace::run(session, rest),
        ".connect" if rest.is_empty() => match session.clickhouse() {
            Some(remote) => Reply::Text(format!("connected to {}\n", remote.server())),
            None => Reply::Error("usage: .connect http://user@host:8123/database (password from INFRAQL_CLICKHOUSE_PASSWORD)".to_owned()),
        },
        ".connect" => match session.connect(rest, clickhouse_password()) {
            Ok(message) => Reply::Set(format!("{}\n", visible::text(&message))),
            Err(error) => Reply::Error(error.to_string()),
        },
        ".disconnect" => match session.disconnect() {
            Some(server) => Reply::Set(format!("disconnected from {}\n", visible::text(&server))),
            None => Reply::Text("not connected to ClickHouse\n".to_owned()),
        },
        ".sql" if rest.is_empty() => Reply::Error("usage: .sql QUERY".to_owned()),
        ".sql" => plan_text(session.sql("<sql>", rest)),
        ".set" => clickhouse_setting(session, rest),
        ".help" if rest.is_empty() => Reply::Text(help::overview()),
        ".help" => match help::topic(rest) {
            Ok(text) => Reply::Text(text),
            Err(message) => Reply::Error(message),
        },
        ".tables" => Reply::Text(relations(session)),
        ".schema" => match arguments.as_slice() {
            [] => Reply::Text(
                session
                    .relations()
                    .iter()
                    .map(|(name, _, _)| schema(session, name).unwrap_or_default())
                    .collect::<Vec<_>>()
                    .join("\n"),
            ),
            [name] => match schema(session, name) {
                Some(text) => Reply::Text(text),
                None => {
                    let names: Vec<String> =
                        session.relations().into_iter().map(|(n, _, _)| n).collect();
                    let hint = match did_you_mean(name, names.iter().map(String::as_str)) {
                        Some(close) => format!("; did you mean `{close}`?"),
                        None => format!("; tables: {}", names.join(", ")),
                    };
                    Reply::Error(format!("unknown table `{name}`{hint}"))
                }
            },
            _ => Reply::Error("usage: .schema [TABLE]".to_owned()),
        },
        ".quit" | ".exit" => Reply::Quit,
        other => {
            let hint = match did_you_mean(other, names()) {
                Some(close) => format!("; did you mean `{close}`?"),
                None => "; type .help for the list".to_owned(),
            };
            Reply::Error(format!("unknown command `{other}`{hint}"))
        }
    }
}

/// A path argument, quotes optional.
fn unquote(text: &str) -> &str {
    text.trim().trim_matches(|c| c == '"' || c == '\'')
}

fn mode(settings: &mut Settings, rest: &str) -> Reply {
    let names = || {
        MODES
            .iter()
            .map(Format::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    };
    if rest.is_empty() {
        return Reply::Text(format!("mode {} (modes: {})\n", settings.mode, names()));
    }
    match MODES.iter().find(|m| m.to_string() == rest) {
        Some(mode) => {
            settings.mode = *mode;
            Reply::Set(format!("mode {mode}\n"))
        }
        None => {
            let modes: Vec<String> = MODES.iter().map(Format::to_string).collect();
            let hint = match did_you_mean(rest, modes.iter().map(String::as_str)) {
                Some(close) => format!("did you mean `{close}`?"),
                None => format!("modes: {}", names()),
            };
            Reply::Error(format!("unknown mode `{rest}`; {hint}"))
        }
    }
}

/// `.output FILE` starts (truncates) the file now, so a bad path fails
/// here and not at the next query; `.output` alone goes back to the screen.
fn output(settings: &mut Settings, rest: &str) -> Reply {
    let path = unquote(rest);
    if path.is_empty() {
        return match settings.output.take() {
            Some(old) => Reply::Set(format!(
                "results go to the screen again ({} kept)\n",
                visible::text(&old.display().to_string())
            )),
            None => Reply::Set("results go to the screen\n".to_owned()),
        };
    }
    match std::fs::File::create(path) {
        Ok(_) => {
            settings.output = Some(PathBuf::from(path));
            Reply::Set(format!(
                "results go to {} (mode {}); `.output` alone to stop\n",
                visible::text(path),
                settings.mode
            ))
        }
        Err(e) => Reply::Error(format!("cannot write `{}`: {e}", visible::text(path))),
    }
}

/// `.once FILE`: the file is created now (emptied if it exists), and the
/// next query's results go to it.
fn once(settings: &mut Settings, rest: &str) -> Reply {
    let path = unquote(rest);
    if path.is_empty() {
        return Reply::Error("usage: .once FILE".to_owned());
    }
    match std::fs::File::create(path) {
        Ok(_) => {
            settings.once = Some(PathBuf::from(path));
            Reply::Set(format!(
                "the next query's results go to {} (mode {})\n",
                visible::text(path),
                settings.mode
            ))
        }
        Err(e) => Reply::Error(format!("cannot write `{}`: {e}", visible::text(path))),
    }
}

/// A row limit as given by `--max-rows` or `.maxrows`: 0 means every row.
pub fn row_limit(rows: usize) -> usize {
    if rows == 0 { usize::MAX } else { rows }
}

/// What `.maxrows` says about the limit in force.
fn rows_shown(max_rows: usize) -> String {
    if max_rows == usize::MAX {
        "showing every row\n".to_owned()
    } else {
        format!("showing at most {max_rows} rows\n")
    }
}

/// `.timer on|off`-style switches; no argument shows the state.
fn switch(rest: &str, name: &str, flag: &mut bool, say: impl Fn(bool) -> String) -> Reply {
    match rest {
        "on" => *flag = true,
        "off" => *flag = false,
        "" => return Reply::Text(say(*flag)),
        other => return Reply::Error(format!("`{other}`: usage: {name} on|off")),
    }
    Reply::Set(say(*flag))
}

fn read(rest: &str) -> Reply {
    let path = unquote(rest);
    if path.is_empty() {
        return Reply::Error("usage: .read FILE".to_owned());
    }
    match crate::engine::polars::files::read_script(std::path::Path::new(path)) {
        Ok(text) => Reply::Run {
            name: path.to_owned(),
            text,
        },
        Err(e) => Reply::Error(visible::text(&e.to_string()).into_owned()),
    }
}

/// `.load PATH as NAME` (a path with spaces may be quoted).
fn load(session: &mut Session, rest: &str) -> Reply {
    let usage = || Reply::Error("usage: .load PATH as NAME".to_owned());
    let Some((path, name)) = rest.rsplit_once(" as ") else {
        return usage();
    };
    let path = unquote(path);
    let name = name.trim();
    let plain = name
        .chars()
        .next()
        .is_some_and(|c| c.is_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_alphanumeric() || c == '_');
    if path.is_empty() || !plain {
        return usage();
    }
    if let Some(table) = path.strip_prefix("clickhouse:") {
        return match session.clickhouse_mut() {
            Some(remote) => match remote.alias(name, table) {
                Ok(()) => Reply::Set(format!(
                    "`{name}` is {} on {}\n",
                    visible::text(table),
                    visible::text(&remote.server())
                )),
                Err(message) => Reply::Error(message),
            },
            None => Reply::Error("not connected to ClickHouse: use .connect URL first".to_owned()),
        };
    }
    match session.add_file(name, path) {
        Ok(()) => {
            let columns = session
                .relations()
                .into_iter()
                .find(|(n, _, _)| n == name)
                .map_or(0, |(_, schema, _)| schema.len());
            Reply::Set(format!(
                "loaded `{}` as {name} ({columns} columns)\n",
                visible::text(path)
            ))
        }
        Err(message) => Reply::Error(message),
    }
}

/// What `.explain` and `.sql` show: the text (which quotes the query's
/// literals, so control characters are escaped), or the failure.
fn plan_text(result: Result<String, crate::session::Failure>) -> Reply {
    match result {
        Ok(text) => Reply::Text(visible::lines(&text).into_owned()),
        Err(failure) => Reply::Error(
            failure
                .render(false)
                .trim_start_matches("error: ")
                .to_owned(),
        ),
    }
}

/// How many rows of a server's result the current mode shows (the table
/// and line views stop at `.maxrows`); `None` when it shows them all.
pub fn preview_rows(settings: &Settings) -> Option<usize> {
    (matches!(settings.mode, Format::Table | Format::Line) && settings.max_rows != usize::MAX)
        .then_some(settings.max_rows)
}

/// The ClickHouse password, from the environment (never from arguments,
/// which other users can see).
pub fn clickhouse_password() -> Option<String> {
    std::env::var("INFRAQL_CLICKHOUSE_PASSWORD")
        .ok()
        .filter(|p| !p.is_empty())
}

/// `.set NAME=VALUE` (or `NAME VALUE`): a ClickHouse setting for every
/// statement sent from now on; `.set` alone lists them.
fn clickhouse_setting(session: &mut Session, rest: &str) -> Reply {
    let Some(remote) = session.clickhouse_mut() else {
        return Reply::Error("not connected to ClickHouse: `.set` changes its settings".to_owned());
    };
    if rest.is_empty() {
        let settings = remote.settings();
        if settings.is_empty() {
            return Reply::Text("no ClickHouse settings of your own\n".to_owned());
        }
        let lines: String = settings
            .iter()
            .map(|(k, v)| format!("{k} = {}\n", visible::text(v)))
            .collect();
        return Reply::Text(lines);
    }
    let (name, value) = match rest.split_once('=') {
        Some((n, v)) => (n.trim(), v.trim()),
        None => match rest.split_once(char::is_whitespace) {
            Some((n, v)) => (n.trim(), v.trim()),
            None => return Reply::Error("usage: .set NAME=VALUE".to_owned()),
        },
    };
    match remote.set(name, value) {
        Ok(()) => Reply::Set(format!(
            "ClickHouse setting {name} = {}\n",
            visible::text(value)
        )),
        Err(message) => Reply::Error(message),
    }
}

/// `.now` shows the clock; `.now TIMESTAMP` fixes it; `.now clock` frees it.
fn now(session: &mut Session, rest: &str) -> Reply {
    match rest {
        "" => Reply::Text(match session.now() {
            Some(t) => format!("now() is fixed at {}\n", t.format("%Y-%m-%dT%H:%M:%S")),
            None => "now() is the real time\n".to_owned(),
        }),
        "clock" => {
            session.set_now(None);
            Reply::Set("now() is the real time\n".to_owned())
        }
        text => match crate::session::parse_timestamp(text) {
            Ok(t) => {
                session.set_now(Some(t));
                Reply::Set(format!(
                    "now() is fixed at {}\n",
                    t.format("%Y-%m-%dT%H:%M:%S")
                ))
            }
            Err(message) => Reply::Error(message),
        },
    }
}

/// Wraps long notes to the terminal's width; natural width when piped or
/// when the terminal reports no sensible size.
fn fit_to_terminal(table: &mut Table) {
    if table.width().is_some_and(|w| w >= MIN_TERMINAL_WIDTH) {
        table.set_content_arrangement(ContentArrangement::Dynamic);
    }
}

/// Narrower than this, a terminal's reported width is not believed.
pub const MIN_TERMINAL_WIDTH: u16 = 30;

fn relations(session: &Session) -> String {
    let mut table = Table::new();
    table.load_style(presets::UTF8_FULL_CONDENSED);
    fit_to_terminal(&mut table);
    table.set_header(["name", "kind", "columns", "about"]);
    for (name, schema, kind) in session.relations() {
        let remote = session
            .clickhouse()
            .and_then(|r| r.tables().find(|(n, _, _)| *n == name).map(|(_, _, at)| at));
        let about = match (kind, remote) {
            (RelationKind::Remote, Some(at)) => at,
            _ => tables::find(&name).map_or("", |t| t.note).to_owned(),
        };
        let kind = match kind {
            RelationKind::Table => "table",
            RelationKind::Remote => "clickhouse",
            RelationKind::Let => "let",
        };
        table.add_row([
            Cell::new(visible::text(&name)),
            Cell::new(kind),
            Cell::new(schema.len()),
            Cell::new(visible::text(&about)),
        ]);
    }
    format!("{table}\n")
}

/// The columns of one table or let, with notes for the bundled tables.
fn schema(session: &Session, name: &str) -> Option<String> {
    let (_, schema, _) = session
        .relations()
        .into_iter()
        .find(|(n, _, _)| n == name)?;
    let definition = tables::find(name);
    let mut table = Table::new();
    table.load_style(presets::UTF8_FULL_CONDENSED);
    fit_to_terminal(&mut table);
    if session.location(name) == Some(crate::engine::Location::ClickHouse)
        && let Some(columns) = session.clickhouse().and_then(|r| r.column_types(name))
    {
        // The server's types beside the language's; a column without a
        // language type is listed and cannot be used.
        table.set_header(["column", "type", "ClickHouse type"]);
        for (column, ty, ch_type) in &columns {
            let shown = ty.map_or("(not usable)", |t| t.name());
            table.add_row([&*visible::text(column), shown, &*visible::text(ch_type)]);
        }
        return Some(format!("{}\n{table}\n", visible::text(name)));
    }
    table.set_header(["column", "type", "meaning"]);
    for column in &schema.columns {
        let note = definition
            .and_then(|d| d.columns.iter().find(|c| c.name == column.name))
            .map_or("", |c| c.note);
        table.add_row([&*visible::text(&column.name), column.ty.name(), note]);
    }
    Some(format!("{}\n{table}\n", visible::text(name)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::polars::Engine;

    fn setup() -> (Session, Settings) {
        let engine = Engine::with_bundled_datasets().expect("bundled data loads");
        (Session::new(engine), Settings::new(40, false))
    }

    #[test]
    fn mode_switches_and_rejects_unknown_modes() {
        let (mut session, mut settings) = setup();
        assert_eq!(
            run(&mut session, &mut settings, ".mode line"),
            Reply::Set("mode line\n".to_owned())
        );
        assert_eq!(settings.mode, Format::Line);
        assert_eq!(
            run(&mut session, &mut settings, ".mode jsn"),
            Reply::Error("unknown mode `jsn`; did you mean `json`?".to_owned())
        );
        assert_eq!(settings.mode, Format::Line);
    }

    #[test]
    fn switches_and_row_limits() {
        let (mut session, mut settings) = setup();
        run(&mut session, &mut settings, ".timer on");
        run(&mut session, &mut settings, ".humanize on");
        run(&mut session, &mut settings, ".maxrows 5");
        assert!(settings.timer && settings.humanize);
        assert_eq!(settings.max_rows, 5);
        assert!(matches!(
            run(&mut session, &mut settings, ".maxrows none"),
            Reply::Error(_)
        ));
        assert_eq!(settings.max_rows, 5);
        for every in [".maxrows all", ".maxrows 0"] {
            settings.max_rows = 5;
            assert_eq!(
                run(&mut session, &mut settings, every),
                Reply::Set("showing every row\n".to_owned())
            );
            assert_eq!(settings.max_rows, usize::MAX);
            assert_eq!(preview_rows(&settings), None);
        }
        run(&mut session, &mut settings, ".maxrows 5");
        assert!(matches!(
            run(&mut session, &mut settings, ".timer maybe"),
            Reply::Error(_)
        ));
        assert_eq!(settings.max_rows, 5);
        assert!(settings.timer);
    }

    #[test]
    fn output_creates_the_file_and_stops_on_a_bare_output() {
        let (mut session, mut settings) = setup();
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("out.txt");
        let command = format!(".output {}", path.display());
        assert!(matches!(
            run(&mut session, &mut settings, &command),
            Reply::Set(_)
        ));
        assert!(path.exists());
        assert_eq!(settings.output.as_deref(), Some(path.as_path()));
        run(&mut session, &mut settings, ".output");
        assert_eq!(settings.output, None);
        let bad = format!(".output {}", dir.path().join("no/such/dir.txt").display());
        assert!(matches!(
            run(&mut session, &mut settings, &bad),
            Reply::Error(_)
        ));
    }

    #[test]
    fn read_hands_back_the_script() {
        let (mut session, mut settings) = setup();
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("q.iql");
        std::fs::write(&path, "services | count\n").expect("write script");
        let reply = run(
            &mut session,
            &mut settings,
            &format!(".read {}", path.display()),
        );
        assert_eq!(
            reply,
            Reply::Run {
                name: path.display().to_string(),
                text: "services | count\n".to_owned()
            }
        );
        assert!(matches!(
            run(&mut session, &mut settings, ".read /no/such/file.iql"),
            Reply::Error(_)
        ));
    }

    #[test]
    fn unknown_commands_suggest_a_close_one() {
        let (mut session, mut settings) = setup();
        assert_eq!(
            run(&mut session, &mut settings, ".tabels"),
            Reply::Error("unknown command `.tabels`; did you mean `.tables`?".to_owned())
        );
    }
}
