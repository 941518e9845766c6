//! Tab completion that knows where the cursor is.
//!
//! [`complete`] looks at the text before the cursor and offers:
//! - table and `let` names where a pipeline starts, and after `join`,
//!   `union` and `diff`;
//! - operator names after `|`;
//! - inside an operator, the columns of the pipeline as it stands before
//!   that operator (so names made by `select`, `derive` or `group` are
//!   there), then function names and keywords;
//! - file paths inside `from "…"`, `export "…"`, and after `.load`, `.read`
//!   and `.output`;
//! - dot-commands, and after `.schema` table names, after `.mode` the modes.
//!
//! The pipeline before the cursor is resolved (not run) against the
//! session to know its columns; when it does not resolve, no columns are
//! offered rather than wrong ones.

use std::path::Path;

use crate::commands::{self, MODES};
use crate::plan::functions::FUNCTIONS;
use crate::session::Session;
use crate::syntax::lexeme::{EXPRESSION_WORDS, RESERVED};
use crate::syntax::parser::OPERATORS;
use crate::syntax::tokens::{Kind, Token, is_word_char, is_word_start, tokens};

/// File extensions infraql reads as tables.
const DATA_EXTENSIONS: &[&str] = &["csv", "tsv", "parquet", "pq", "json", "ndjson", "jsonl"];

/// One completion: the text to put in and what to list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suggestion {
    pub replacement: String,
    pub display: String,
}

impl Suggestion {
    fn plain(text: impl Into<String>) -> Suggestion {
        let text = text.into();
        Suggestion {
            display: text.clone(),
            replacement: text,
        }
    }
}

/// Completions for the cursor at byte `pos` of `line`: the byte offset
/// where the replaced word starts, and the suggestions for it.
pub fn complete(session: &Session, line: &str, pos: usize) -> (usize, Vec<Suggestion>) {
    let pos = floor_char_boundary(line, pos);
    let before = &line[..pos];
    if before.trim_start().starts_with('.') {
        return command(session, before);
    }
    let context = Context::of(before);
    if let Some(open) = context.open_string {
        let keyword = last_word(before[..open].trim_end());
        return match keyword {
            Some("from") => paths(before, open + 1, true),
            Some("export") => paths(before, open + 1, false),
            _ => (pos, Vec::new()),
        };
    }
    let start = word_start(before);
    let word = &before[start..];
    let pipeline = &before[context.start..start];
    let suggestions = match context.segment_start {
        // Still at the pipeline's source.
        None => {
            let source = strip_let(pipeline).trim();
            if source.is_empty() || source == "(" {
                relations(session)
            } else {
                Vec::new()
            }
        }
        Some(segment_start) => {
            let segment = &before[segment_start..start];
            let prefix = &before[context.start..segment_start - 1];
            in_operator(session, strip_let(prefix), segment)
        }
    };
    (start, filter(suggestions, word))
}

/// What kind of place the cursor is in, from a scan of the text before it.
struct Context {
    /// Where the innermost pipeline around the cursor starts: the statement
    /// start, or just inside the `(` of a nested pipeline.
    start: usize,
    /// Just after the last `|` of that pipeline, if any.
    segment_start: Option<usize>,
    /// Where an unclosed string before the cursor opens.
    open_string: Option<usize>,
}

impl Context {
    fn of(text: &str) -> Context {
        // Statement-ending newlines become `;` and comments spaces, byte for
        // byte, so offsets into `marked` are offsets into `text`.
        let marked = crate::syntax::mark_statement_ends(text);
        // Open brackets: offset just inside, whether it holds a pipeline,
        // and just after the last `|` at its level.
        let mut stack: Vec<Open> = vec![Open::pipeline(0)];
        let mut open_string = None;
        for Token { kind, range } in tokens(&marked) {
            let i = range.start;
            match kind {
                Kind::String { closed: false } => {
                    open_string = Some(i);
                    break;
                }
                Kind::Symbol => match &marked[range] {
                    ";" => stack = vec![Open::pipeline(i + 1)],
                    "(" => {
                        let pipeline = opens_pipeline(&marked[..i], &stack);
                        stack.push(Open {
                            start: i + 1,
                            pipeline,
                            last_pipe: None,
                        });
                    }
                    "[" => stack.push(Open {
                        start: i + 1,
                        pipeline: false,
                        last_pipe: None,
                    }),
                    ")" | "]" if stack.len() > 1 => {
                        stack.pop();
                    }
                    "|" => {
                        if let Some(innermost) = stack.last_mut().filter(|o| o.pipeline) {
                            innermost.last_pipe = Some(i + 1);
                        }
                    }
                    _ => {}
                },
                _ => {}
            }
        }
        let pipeline = stack
            .iter()
            .rev()
            .find(|o| o.pipeline)
            .copied()
            .unwrap_or(Open::pipeline(0));
        Context {
            start: pipeline.start,
            segment_start: pipeline.last_pipe,
            open_string,
        }
    }
}

/// An open bracket (or the statement itself) around the cursor.
#[derive(Debug, Clone, Copy)]
struct Open {
    /// Offset just inside.
    start: usize,
    /// Whether it holds a pipeline (rather than an expression).
    pipeline: bool,
    /// Just after the last `|` at its level.
    last_pipe: Option<usize>,
}

impl Open {
    fn pipeline(start: usize) -> Open {
        Open {
            start,
            pipeline: true,
            last_pipe: None,
        }
    }
}

/// Whether a `(` after `before` opens a nested pipeline rather than an
/// expression: at a pipeline's start, after `let x =`, `join [kind]`,
/// `union` or `diff`.
fn opens_pipeline(before: &str, stack: &[Open]) -> bool {
    let Some(innermost) = stack.last() else {
        return true;
    };
    if !innermost.pipeline {
        return false;
    }
    let own = before.get(innermost.start..).unwrap_or("");
    if innermost.last_pipe.is_none() && strip_let(own).trim().is_empty() {
        return true;
    }
    matches!(
        last_word(before.trim_end()),
        Some("join" | "union" | "diff" | "inner" | "left" | "semi" | "anti")
    )
}

/// `let name = pipeline` → `pipeline`.
fn strip_let(text: &str) -> &str {
    let trimmed = text.trim_start();
    let Some(rest) = trimmed.strip_prefix("let") else {
        return text;
    };
    if !rest.starts_with(char::is_whitespace) {
        return text;
    }
    match rest.split_once('=') {
        Some((name, pipeline)) if is_name(name.trim()) => pipeline,
        Some(_) => text,
        None => "",
    }
}

fn is_name(text: &str) -> bool {
    let mut chars = text.chars();
    chars.next().is_some_and(is_word_start) && chars.all(is_word_char)
}

/// The last whole word of `text`, if it ends in one.
fn last_word(text: &str) -> Option<&str> {
    let start = word_start(text);
    (start < text.len()).then(|| &text[start..])
}

/// Where the word the cursor is in (letters, digits, `_`) starts.
fn word_start(text: &str) -> usize {
    text.char_indices()
        .rev()
        .take_while(|(_, c)| is_word_char(*c))
        .last()
        .map_or(text.len(), |(i, _)| i)
}

fn floor_char_boundary(text: &str, pos: usize) -> usize {
    let mut pos = pos.min(text.len());
    while !text.is_char_boundary(pos) {
        pos -= 1;
    }
    pos
}

/// Suggestions that start with `word`, in their given order, once each.
fn filter(suggestions: Vec<Suggestion>, word: &str) -> Vec<Suggestion> {
    let mut seen = std::collections::HashSet::new();
    suggestions
        .into_iter()
        .filter(|s| s.replacement.starts_with(word) && s.replacement != word)
        .filter(|s| seen.insert(s.replacement.clone()))
        .collect()
}

fn relations(session: &Session) -> Vec<Suggestion> {
    session
        .relations()
        .into_iter()
        .map(|(name, _, _)| Suggestion::plain(name))
        .chain([Suggestion::plain("from"), Suggestion::plain("let")])
        .collect()
}

/// Inside the operator that starts `segment`, after the pipeline `prefix`.
fn in_operator(session: &Session, prefix: &str, segment: &str) -> Vec<Suggestion> {
    let segment = segment.trim_start();
    let Some(operator) = segment.split_whitespace().next() else {
        return operators();
    };
    let words: Vec<&str> = segment.split_whitespace().collect();
    let columns = || {
        session
            .schema_of(prefix)
            .map(|schema| {
                schema
                    .columns
                    .into_iter()
                    .map(|c| Suggestion::plain(c.name))
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default()
    };
    let expression = || {
        let mut out = columns();
        out.extend(FUNCTIONS.iter().map(|f| Suggestion {
            replacement: format!("{}(", f.name),
            display: f.usage.to_owned(),
        }));
        // Keywords of expressions (`let` only starts a statement).
        let words = RESERVED
            .iter()
            .chain(EXPRESSION_WORDS)
            .filter(|w| **w != "let");
        out.extend(words.map(|k| Suggestion::plain(*k)));
        out
    };
    match operator {
        "join" => {
            // join [kind] SOURCE on KEYS
            if words.contains(&"on") {
                // Keys: the pipeline's columns, then the joined table's.
                let mut out = columns();
                let source = match words.get(1) {
                    Some(&("inner" | "left" | "semi" | "anti")) => words.get(2),
                    other => other,
                };
                if let Some(schema) = source.and_then(|name| session.schema_of(name)) {
                    out.extend(
                        schema
                            .columns
                            .into_iter()
                            .map(|c| Suggestion::plain(c.name)),
                    );
                }
                out.push(Suggestion::plain("and"));
                out
            } else if words.len() == 1
                || (words.len() == 2 && ["inner", "left", "semi", "anti"].contains(&words[1]))
            {
                let mut out = relations(session);
                if words.len() == 1 {
                    out.extend(["inner", "left", "semi", "anti"].map(Suggestion::plain));
                }
                out
            } else {
                vec![Suggestion::plain("on")]
            }
        }
        "union" => relations(session),
        "diff" => {
            // diff SOURCE on KEYS
            if words.contains(&"on") {
                let mut out = columns();
                if let Some(schema) = words.get(1).and_then(|name| session.schema_of(name)) {
                    out.extend(
                        schema
                            .columns
                            .into_iter()
                            .map(|c| Suggestion::plain(c.name)),
                    );
                }
                out.push(Suggestion::plain("and"));
                out
            } else if words.len() == 1 {
                relations(session)
            } else {
                vec![Suggestion::plain("on")]
            }
        }
        "take" | "count" | "export" | "latest" | "at" => Vec::new(),
        "sort" | "top" => {
            let mut out = columns();
            out.extend(["asc", "desc", "by"].map(Suggestion::plain));
            out
        }
        "drop" | "distinct" | "rename" | "chart" => columns(),
        "group" => {
            let mut out = expression();
            out.insert(0, Suggestion::plain("agg"));
            out
        }
        _ => expression(),
    }
}

fn operators() -> Vec<Suggestion> {
    OPERATORS.iter().map(|o| Suggestion::plain(*o)).collect()
}

/// Dot-commands and their arguments.
fn command(session: &Session, before: &str) -> (usize, Vec<Suggestion>) {
    let trimmed = before.trim_start();
    let offset = before.len() - trimmed.len();
    let Some((name, rest)) = trimmed.split_once(char::is_whitespace) else {
        let names = commands::names().map(Suggestion::plain).collect();
        return (offset, filter(names, trimmed));
    };
    let argument_start = before.len() - rest.trim_start().len();
    let argument = &before[argument_start..];
    let options: Vec<Suggestion> = match name {
        ".schema" => session
            .relations()
            .into_iter()
            .map(|(n, _, _)| Suggestion::plain(n))
            .collect(),
        ".mode" => MODES
            .iter()
            .map(|m| Suggestion::plain(m.to_string()))
            .collect(),
        ".timer" | ".humanize" => vec![Suggestion::plain("on"), Suggestion::plain("off")],
        ".load" if !argument.contains(' ') => return paths(before, argument_start, true),
        ".read" | ".output" => return paths(before, argument_start, false),
        _ => Vec::new(),
    };
    (argument_start, filter(options, argument))
}

/// Files and directories completing the partial path from `start` to the
/// end of `before`; directories end in `/`. With `data_only`, only files
/// infraql can read as tables are offered.
fn paths(before: &str, start: usize, data_only: bool) -> (usize, Vec<Suggestion>) {
    let partial = before.get(start..).unwrap_or("");
    let (directory, name_prefix, name_start) = match partial.rfind('/') {
        Some(slash) => (&partial[..=slash], &partial[slash + 1..], start + slash + 1),
        None => ("", partial, start),
    };
    let listing = if directory.is_empty() {
        Path::new(".")
    } else {
        Path::new(directory)
    };
    let Ok(entries) = std::fs::read_dir(listing) else {
        return (name_start, Vec::new());
    };
    let mut found: Vec<Suggestion> = entries
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let name = entry.file_name().to_str()?.to_owned();
            if name.starts_with('.') && !name_prefix.starts_with('.') {
                return None;
            }
            if !name.starts_with(name_prefix) {
                return None;
            }
            let is_dir = entry.file_type().ok()?.is_dir();
            if is_dir {
                return Some(Suggestion {
                    replacement: format!("{name}/"),
                    display: format!("{name}/"),
                });
            }
            let extension = Path::new(&name)
                .extension()
                .and_then(|e| e.to_str())
                .map(str::to_ascii_lowercase);
            let readable = extension.is_some_and(|e| DATA_EXTENSIONS.contains(&e.as_str()));
            (!data_only || readable).then(|| Suggestion::plain(name))
        })
        .collect();
    found.sort_by(|a, b| a.replacement.cmp(&b.replacement));
    (name_start, found)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::polars::Engine;

    fn session() -> Session {
        Session::new(Engine::with_bundled_datasets().expect("bundled data loads"))
    }

    fn offered(line: &str) -> Vec<String> {
        let (_, suggestions) = complete(&session(), line, line.len());
        suggestions.into_iter().map(|s| s.replacement).collect()
    }

    #[test]
    fn tables_at_the_start_and_after_join() {
        assert_eq!(offered("servi"), ["services"]);
        assert_eq!(offered("ser"), ["servers", "services"]);
        assert_eq!(offered("services | join dep"), ["deployments"]);
        assert_eq!(offered("services | join left dep"), ["deployments"]);
        assert_eq!(offered("let big = servi"), ["services"]);
        assert_eq!(offered("services | union (inc"), ["incidents"]);
        assert_eq!(offered("services | diff dep"), ["deployments"]);
        assert_eq!(offered("services | diff (inc"), ["incidents"]);
    }

    #[test]
    fn diff_keys_come_from_both_sides() {
        assert_eq!(offered("services | di"), ["distinct", "diff"]);
        assert_eq!(offered("services | diff servers o"), ["on"]);
        assert_eq!(offered("services | diff servers on i"), ["ip"]);
        assert_eq!(
            offered("deployments | diff services on ip and req"),
            ["requirements", "requests_30d"]
        );
    }

    #[test]
    fn a_backslash_in_a_backquoted_name_is_a_plain_character_as_for_the_parser() {
        // The name `x\` is closed by its second backquote, so the `|` after
        // it starts a new operator.
        assert_eq!(offered("services | where `x\\` == 1 | so"), ["sort"]);
        // A string's backslash escapes its quote: the string is still open.
        assert!(offered("services | where service == \"x\\\" | so").is_empty());
    }

    #[test]
    fn operators_after_a_pipe() {
        assert_eq!(offered("services | wh"), ["where"]);
        assert_eq!(offered("services\n| so"), ["sort"]);
        assert!(offered("services | ").contains(&"chart".to_owned()));
    }

    #[test]
    fn columns_of_the_pipeline_so_far() {
        assert_eq!(offered("services | where requests_3"), ["requests_30d"]);
        let derived = offered("services | derive million_reqs = requests_30d / 1M | where mil");
        assert_eq!(derived, ["million_reqs"]);
        // After a group, only its names are columns.
        let grouped = offered("endpoints | group service agg n = count() | sort ");
        assert!(grouped.starts_with(&["service".to_owned(), "n".to_owned()]));
        assert!(!grouped.contains(&"requests".to_owned()));
    }

    #[test]
    fn join_keys_come_from_both_sides() {
        assert_eq!(offered("services | join servers on server_ip == i"), ["ip"]);
        assert_eq!(offered("deployments | join left servers on i"), ["ip"]);
    }

    #[test]
    fn functions_and_keywords_in_expressions() {
        assert_eq!(offered("services | where coal"), ["coalesce("]);
        assert!(offered("services | where service cont").contains(&"contains".to_owned()));
        assert_eq!(
            offered("endpoints | group service agg n = count_d"),
            ["count_distinct("]
        );
    }

    #[test]
    fn column_completion_inside_function_calls() {
        assert_eq!(
            offered("services | derive x = lower(serv"),
            ["service", "server_ip", "server_size"]
        );
    }

    #[test]
    fn a_new_statement_starts_over() {
        assert_eq!(offered("services | count; inc"), ["incidents"]);
        assert_eq!(offered("services | count\ninc"), ["incidents"]);
    }

    #[test]
    fn no_columns_when_the_pipeline_does_not_resolve() {
        assert_eq!(offered("nosuch | where se"), Vec::<String>::new());
    }

    #[test]
    fn dot_commands_and_their_arguments() {
        assert_eq!(offered(".sch"), [".schema"]);
        assert_eq!(offered(".schema inc"), ["incidents"]);
        assert_eq!(offered(".mode li"), ["line"]);
        assert_eq!(offered(".timer o"), ["on", "off"]);
    }

    #[test]
    fn file_paths_inside_from_strings() {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(dir.path().join("access.parquet"), b"").expect("write");
        std::fs::write(dir.path().join("notes.txt"), b"").expect("write");
        std::fs::create_dir(dir.path().join("more")).expect("mkdir");
        let base = dir.path().display().to_string();
        let line = format!("from \"{base}/");
        let (start, found) = complete(&session(), &line, line.len());
        assert_eq!(start, line.len());
        let names: Vec<String> = found.into_iter().map(|s| s.replacement).collect();
        assert_eq!(names, ["access.parquet", "more/"]);
        let line = format!(".read {base}/no");
        let names: Vec<String> = complete(&session(), &line, line.len())
            .1
            .into_iter()
            .map(|s| s.replacement)
            .collect();
        assert_eq!(names, ["notes.txt"]);
    }

    #[test]
    fn the_replaced_word_starts_where_it_was_typed() {
        let (start, _) = complete(&session(), "services | where requests_3", 27);
        assert_eq!(start, 17);
    }
}
