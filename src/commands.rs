//! The REPL's dot-commands: `.help`, `.tables`, `.schema`, `.quit`.
//!
//! They answer with text; the REPL prints it. Keeping them here, not in the
//! binary, lets tests drive them directly.

use comfy_table::{Cell, Table, presets};

use crate::datasets::tables;
use crate::diagnostic::did_you_mean;
use crate::plan::functions::FUNCTIONS;
use crate::session::{RelationKind, Session};
use crate::syntax::parser::OPERATORS;

/// What a dot-command asks the REPL to do.
#[derive(Debug, PartialEq)]
pub enum Reply {
    /// Print this.
    Text(String),
    /// Leave the REPL.
    Quit,
    /// Print this on stderr; the command failed.
    Error(String),
}

pub const COMMANDS: &[(&str, &str)] = &[
    (".help", "this help"),
    (".tables", "the tables and let names"),
    (
        ".schema [TABLE]",
        "the columns of a table (or of all tables)",
    ),
    (".quit", "leave (also .exit or Ctrl-D)"),
];

/// Whether a line of input is a dot-command rather than a query.
pub fn is_command(line: &str) -> bool {
    line.trim_start().starts_with('.')
}

pub fn run(session: &mut Session, line: &str) -> Reply {
    let line = line.trim();
    let (command, rest) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
    let rest = rest.trim();
    let arguments: Vec<&str> = rest.split_whitespace().collect();
    match command {
        ".load" => load(session, rest),
        ".explain" if rest.is_empty() => Reply::Error("usage: .explain QUERY".to_owned()),
        ".explain" => match session.explain("<explain>", rest) {
            Ok(text) => Reply::Text(text),
            Err(failure) => Reply::Error(
                failure
                    .render(false)
                    .trim_start_matches("error: ")
                    .to_owned(),
            ),
        },
        ".now" => now(session, rest),
        ".help" => Reply::Text(help()),
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
            let known = COMMANDS
                .iter()
                .map(|(c, _)| c.split_whitespace().next().unwrap_or(c));
            let hint = match did_you_mean(other, known) {
                Some(close) => format!("; did you mean `{close}`?"),
                None => "; type .help for the list".to_owned(),
            };
            Reply::Error(format!("unknown command `{other}`{hint}"))
        }
    }
}

/// `.load PATH as NAME` (a path with spaces may be quoted).
fn load(session: &mut Session, rest: &str) -> Reply {
    let usage = || Reply::Error("usage: .load PATH as NAME".to_owned());
    let Some((path, name)) = rest.rsplit_once(" as ") else {
        return usage();
    };
    let path = path.trim().trim_matches(|c| c == '"' || c == '\'');
    let name = name.trim();
    let plain = name
        .chars()
        .next()
        .is_some_and(|c| c.is_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_alphanumeric() || c == '_');
    if path.is_empty() || !plain {
        return usage();
    }
    match session.add_file(name, path) {
        Ok(()) => {
            let columns = session
                .relations()
                .into_iter()
                .find(|(n, _, _)| n == name)
                .map_or(0, |(_, schema, _)| schema.len());
            Reply::Text(format!("loaded `{path}` as {name} ({columns} columns)\n"))
        }
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
            Reply::Text("now() is the real time\n".to_owned())
        }
        text => match crate::session::parse_timestamp(text) {
            Ok(t) => {
                session.set_now(Some(t));
                Reply::Text(format!(
                    "now() is fixed at {}\n",
                    t.format("%Y-%m-%dT%H:%M:%S")
                ))
            }
            Err(message) => Reply::Error(message),
        },
    }
}

fn help() -> String {
    let mut out = String::from("Queries are pipelines: a table, then operators after `|`:\n");
    out.push_str("  services | where requests_30d > 10M | sort requests_30d desc | take 5\n\n");
    out.push_str(&format!("Operators: {}\n", OPERATORS.join(", ")));
    out.push_str("Functions:\n");
    for f in FUNCTIONS {
        out.push_str(&format!("  {:<32} {}\n", f.usage, f.summary));
    }
    out.push_str("\nCommands:\n");
    for (command, summary) in COMMANDS {
        out.push_str(&format!("  {command:<32} {summary}\n"));
    }
    out.push_str("\nEnd a line with `|` or start the next with `|` to continue a pipeline.\n");
    out
}

fn relations(session: &Session) -> String {
    let mut table = Table::new();
    table.load_style(presets::UTF8_FULL_CONDENSED);
    table.set_header(["name", "kind", "columns", "about"]);
    for (name, schema, kind) in session.relations() {
        let about = tables::find(&name).map_or("", |t| t.note);
        let kind = match kind {
            RelationKind::Table => "table",
            RelationKind::Let => "let",
        };
        table.add_row([
            Cell::new(&name),
            Cell::new(kind),
            Cell::new(schema.len()),
            Cell::new(about),
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
    table.set_header(["column", "type", "meaning"]);
    for column in &schema.columns {
        let note = definition
            .and_then(|d| d.columns.iter().find(|c| c.name == column.name))
            .map_or("", |c| c.note);
        table.add_row([column.name.as_str(), column.ty.name(), note]);
    }
    Some(format!("{name}\n{table}\n"))
}
