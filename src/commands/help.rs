//! `.help` and `.help TOPIC`: the overview, or one operator, function or
//! dot-command with its syntax, what it means and an example that runs on
//! the bundled tables.
//!
//! An operator's syntax and examples come from the grammar
//! (`grammar/infraql.ebnf`), whose examples a test already runs, so the
//! help cannot drift from the parser; its one-line meaning is here. A
//! function's usage and summary come from the function registry, its
//! example from [`FUNCTION_EXAMPLES`]; a test runs every example.

use crate::commands::COMMANDS;
use crate::diagnostic::did_you_mean;
use crate::plan::functions::{self, FUNCTIONS};
use crate::syntax::parser::OPERATORS;

/// The grammar, whose operator rules and examples `.help OPERATOR` shows.
const GRAMMAR: &str = include_str!("../../grammar/infraql.ebnf");

/// What each operator does, in a line.
const OPERATOR_MEANINGS: &[(&str, &str)] = &[
    (
        "where",
        "keep the rows where a condition is true (null counts as false)",
    ),
    (
        "select",
        "keep, compute and name columns, in the order given",
    ),
    (
        "derive",
        "add columns (or replace them); later items may use earlier ones",
    ),
    ("drop", "remove columns"),
    ("rename", "give columns new names: new = old"),
    (
        "sort",
        "order the rows; ascending unless a key says desc, nulls last",
    ),
    ("take", "the first N rows"),
    (
        "top",
        "the first N rows by the keys: sort and take in one step",
    ),
    (
        "group",
        "one row per distinct key, with the aggregates after agg",
    ),
    ("agg", "aggregates over the whole input: one row"),
    ("count", "the number of rows, as one row with column n"),
    (
        "distinct",
        "one row per distinct value of the columns (all columns when none is named)",
    ),
    (
        "join",
        "rows of both inputs that meet on the keys (inner, left, semi or anti)",
    ),
    (
        "union",
        "the rows of both inputs; columns are matched by name",
    ),
    (
        "diff",
        "what changed from the input to another pipeline, keyed by columns",
    ),
    ("latest", "the newest snapshot of a history table"),
    ("at", "revision N of a history table"),
    (
        "export",
        "write the result to a file (csv, tsv, parquet, json, ndjson)",
    ),
    ("chart", "draw a bar chart of a label and a value column"),
];

/// A query that shows each function at work on the bundled tables.
pub const FUNCTION_EXAMPLES: &[(&str, &str)] = &[
    (
        "if",
        "services | select service, busy = if(requests_30d > 10M, \"busy\", \"quiet\")",
    ),
    ("lower", "services | select service, l = lower(service)"),
    ("upper", "services | select service, u = upper(service)"),
    (
        "len",
        "endpoints | select endpoint, n = len(endpoint) | top 3 by n",
    ),
    (
        "round",
        "services | select service, up = round(uptime_pct, 1)",
    ),
    ("floor", "services | select service, up = floor(uptime_pct)"),
    (
        "abs",
        "services | select service, gap = abs(uptime_pct - page_uptime_pct)",
    ),
    (
        "coalesce",
        "services | select service, up = coalesce(uptime_pct, page_uptime_pct, 0.0)",
    ),
    (
        "concat",
        "services | select where = concat(service, \"@\", server_ip)",
    ),
    (
        "replace",
        "endpoints | select short = replace(controller, \"Controller\", \"\")",
    ),
    (
        "substr",
        "services | select service, first3 = substr(service, 1, 3)",
    ),
    (
        "to_datetime",
        "services | select service, start = to_datetime(period_start)",
    ),
    (
        "now",
        "services | select service, age = now() - to_datetime(snapshot)",
    ),
    ("ago", "services | where snapshot > ago(365d) | count"),
    (
        "bin",
        "services | group bucket = bin(requests_30d, 10M) agg n = count() | sort bucket",
    ),
    (
        "date",
        "services | select service, d = date(to_datetime(period_end))",
    ),
    ("year", "services | select service, y = year(snapshot)"),
    ("month", "services | select service, m = month(snapshot)"),
    ("day", "services | select service, d = day(period_end)"),
    (
        "hour",
        "services | select service, h = hour(to_datetime(period_end) + 6h)",
    ),
    (
        "minute",
        "services | select service, m = minute(to_datetime(period_end) + 90s)",
    ),
    (
        "count",
        "endpoints | group service agg n = count() | top 3 by n",
    ),
    (
        "countif",
        "endpoints | group service agg apis = countif(api) | top 3 by apis",
    ),
    (
        "sum",
        "endpoints | group service agg total = sum(requests) | top 3 by total",
    ),
    (
        "avg",
        "services | group server_size agg up = avg(uptime_pct)",
    ),
    ("min", "services | agg least = min(uptime_pct)"),
    ("max", "services | agg most = max(requests_30d)"),
    (
        "median",
        "endpoints | group service agg mid = median(requests) | top 3 by mid",
    ),
    (
        "quantile",
        "endpoints | group service agg p95 = quantile(requests, 0.95) | top 3 by p95",
    ),
    (
        "p50",
        "endpoints | group service agg typical = p50(requests) | top 3 by typical",
    ),
    (
        "p90",
        "endpoints | group service agg high = p90(requests) | top 3 by high",
    ),
    (
        "p95",
        "endpoints | group service agg high = p95(requests) | top 3 by high",
    ),
    (
        "p99",
        "endpoints | group service agg peak = p99(requests) | top 3 by peak",
    ),
    (
        "sumif",
        "endpoints | group service agg api_requests = sumif(requests, api) | top 3 by api_requests",
    ),
    (
        "avgif",
        "services | group server_size agg busy_uptime = avgif(uptime_pct, requests_30d > 10M)",
    ),
    (
        "any_value",
        "services | group server_ip agg size = any_value(server_size), n = count()",
    ),
    (
        "arg_max",
        "endpoints | group service agg busiest = arg_max(endpoint, requests) | take 5",
    ),
    (
        "arg_min",
        "endpoints | group service agg quietest = arg_min(endpoint, requests) | take 5",
    ),
    (
        "concat_agg",
        "services | group server_ip agg services = concat_agg(service), n = count() | top 3 by n",
    ),
    (
        "count_distinct",
        "endpoints | group service agg controllers = count_distinct(controller) | top 3 by controllers",
    ),
    (
        "first",
        "endpoints | sort requests desc | group service agg busiest = first(endpoint)",
    ),
    (
        "last",
        "endpoints | sort requests desc | group service agg quietest = last(endpoint)",
    ),
    (
        "std",
        "endpoints | group service agg spread = std(requests) | top 3 by spread",
    ),
    (
        "row_number",
        "endpoints | sort service, requests desc | derive r = row_number() over (by service) | where r <= 2",
    ),
    (
        "rank",
        "services | sort requests_30d desc | derive r = rank() over () | take 5",
    ),
    (
        "cumsum",
        "services | sort requests_30d desc | derive running = cumsum(requests_30d) over () | select service, running",
    ),
];

/// The overview `.help` prints.
pub fn overview() -> String {
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
    out.push_str("\n.help TOPIC shows one operator, function or command with an example.\n");
    out.push_str("End a line with `|` or start the next with `|` to continue a pipeline;\n");
    out.push_str("in the shell a line starting with `|` goes on from the last query, and `_`\n");
    out.push_str("is the last result. Tab completes names; Ctrl-C stops a running query;\n");
    out.push_str("Ctrl-D leaves.\n");
    out
}

/// `.help TOPIC`: an operator, a function (with or without `()`) or a
/// dot-command (with or without the dot); an error with the closest topic
/// otherwise.
pub fn topic(name: &str) -> Result<String, String> {
    let name = name.trim();
    let bare = name.trim_end_matches("()").to_ascii_lowercase();
    if let Some(text) = operator(&bare) {
        return Ok(text);
    }
    if let Some(text) = function(&bare) {
        return Ok(text);
    }
    if let Some(text) = command(&bare) {
        return Ok(text);
    }
    let topics = OPERATORS
        .iter()
        .copied()
        .chain(FUNCTIONS.iter().map(|f| f.name))
        .chain(
            COMMANDS
                .iter()
                .filter_map(|(c, _)| c.split_whitespace().next()),
        );
    let hint = match did_you_mean(&bare, topics) {
        Some(close) => format!("; did you mean `{close}`?"),
        None => "; .help lists the operators, functions and commands".to_owned(),
    };
    Err(format!("no help on `{name}`{hint}"))
}

/// An operator: the grammar's rule for it (and the rules right under it,
/// such as `sort key`), its meaning and the grammar's examples.
fn operator(name: &str) -> Option<String> {
    let meaning = OPERATOR_MEANINGS
        .iter()
        .find(|(operator, _)| *operator == name)?
        .1;
    let (syntax, notes, examples) = grammar_rule(name)?;
    let mut out = format!("{name}: {meaning}\n\nsyntax:\n");
    for line in syntax {
        out.push_str(&format!("  {line}\n"));
    }
    for note in notes {
        out.push_str(&format!("\n{note}\n"));
    }
    out.push_str("\nexample:\n");
    for example in examples {
        out.push_str(&format!("  {example}\n"));
    }
    Some(out)
}

/// The rule for `name` in the grammar: its definition lines (with the
/// sub-rules defined right after it), the notes in comments and the
/// examples, each example on one line.
fn grammar_rule(name: &str) -> Option<(Vec<String>, Vec<String>, Vec<String>)> {
    let lines: Vec<&str> = GRAMMAR.lines().collect();
    let start = lines
        .iter()
        .position(|line| rule_name(line) == Some(name))?;
    let (mut syntax, mut notes, mut examples) = (Vec::new(), Vec::new(), Vec::new());
    let mut index = start;
    while index < lines.len() {
        let line = lines[index];
        let trimmed = line.trim();
        if trimmed.is_empty() {
            break;
        }
        if trimmed.starts_with("(*") {
            // A comment, up to its closing `*)`.
            let mut comment = vec![trimmed.trim_start_matches("(*").trim()];
            while !lines[index].trim_end().ends_with("*)") && index + 1 < lines.len() {
                index += 1;
                comment.push(lines[index].trim());
            }
            let text = comment.join(" ");
            let text = text.trim_end_matches("*)").trim();
            match text.strip_prefix("example:") {
                Some(example) => examples.push(example.trim().to_owned()),
                None => notes.push(text.to_owned()),
            }
        } else if index > start && rule_name(line).is_some_and(|n| OPERATORS.contains(&n)) {
            // The next operator's rule.
            break;
        } else if index > start && !examples.is_empty() {
            // A rule after the examples belongs to the next topic.
            break;
        } else {
            syntax.push(line.trim_end().to_owned());
        }
        index += 1;
    }
    Some((syntax, notes, examples))
}

/// The name a grammar line defines (`sort key` in `sort key = …`), if it
/// starts a rule.
fn rule_name(line: &str) -> Option<&str> {
    if line.starts_with(char::is_whitespace) || line.starts_with("(*") {
        return None;
    }
    let (name, _) = line.split_once('=')?;
    let name = name.trim();
    (!name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == ' '))
        .then_some(name)
}

/// A function: its usage and summary from the registry, and an example.
fn function(name: &str) -> Option<String> {
    let info = functions::lookup(name)?;
    let kind = match info.callable {
        functions::Callable::Aggregate(_)
        | functions::Callable::Percentile(_)
        | functions::Callable::Conditional(_) => "aggregate (in agg, group … agg, or with over)",
        functions::Callable::Window(_) => "window function (with over)",
        functions::Callable::Clock(_) => "the clock",
        functions::Callable::Scalar(_) | functions::Callable::If => "function",
    };
    let mut out = format!("{}: {}\n\n{kind}\n", info.usage, info.summary);
    if let Some((_, example)) = FUNCTION_EXAMPLES.iter().find(|(f, _)| *f == info.name) {
        out.push_str(&format!("\nexample:\n  {example}\n"));
    }
    Some(out)
}

/// A dot-command, named with or without its dot.
fn command(name: &str) -> Option<String> {
    let dotted = if name.starts_with('.') {
        name.to_owned()
    } else {
        format!(".{name}")
    };
    let (usage, summary) = COMMANDS
        .iter()
        .find(|(usage, _)| usage.split_whitespace().next() == Some(dotted.as_str()))?;
    Some(format!("{usage}: {summary}\n"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::polars::Engine;
    use crate::session::Session;

    fn session() -> Session {
        let mut session = Session::new(Engine::with_bundled_datasets().expect("bundled data"));
        session.set_now(Some(
            crate::session::parse_timestamp("2025-12-01").expect("a timestamp"),
        ));
        session
    }

    #[test]
    fn every_operator_has_a_meaning_syntax_and_an_example() {
        for operator in OPERATORS {
            let text = topic(operator).unwrap_or_else(|e| panic!("{operator}: {e}"));
            assert!(text.contains("syntax:\n"), "{operator}: {text}");
            let example = text.split("example:\n").nth(1).unwrap_or("");
            assert!(
                example.contains(operator),
                "{operator} has no example of itself: {text}"
            );
        }
    }

    #[test]
    fn an_operator_shows_its_rule_and_the_rules_under_it() {
        let sort = topic("sort").expect("sort");
        assert!(sort.starts_with("sort: order the rows"), "{sort}");
        assert!(sort.contains("sort key      = expression"), "{sort}");
        assert!(sort.contains("services | sort server_size"), "{sort}");
        let join = topic("join").expect("join");
        assert!(join.contains("join key"), "{join}");
        assert!(!join.contains("union         ="), "{join}");
        let diff = topic("diff").expect("diff");
        assert!(
            diff.contains("a key on two rows of one side is an error"),
            "{diff}"
        );
    }

    #[test]
    fn every_function_has_an_example_that_uses_it() {
        for f in FUNCTIONS {
            let (_, example) = FUNCTION_EXAMPLES
                .iter()
                .find(|(name, _)| *name == f.name)
                .unwrap_or_else(|| panic!("no example for {}", f.name));
            assert!(
                example.contains(&format!("{}(", f.name)),
                "{}: {example}",
                f.name
            );
        }
        for (name, _) in FUNCTION_EXAMPLES {
            assert!(
                functions::lookup(name).is_some(),
                "example for unknown {name}"
            );
        }
    }

    #[test]
    fn every_example_runs_on_the_bundled_tables() {
        let mut session = session();
        let examples = OPERATORS
            .iter()
            .flat_map(|op| grammar_rule(op).expect("a rule").2)
            .chain(FUNCTION_EXAMPLES.iter().map(|(_, e)| (*e).to_owned()));
        for example in examples {
            if example.contains("export \"") {
                continue; // writes a file; the grammar test parses it
            }
            let mut rows = 0;
            session
                .run("<example>", &example, |outcome| {
                    if let crate::session::Outcome::Rows(frame) = outcome {
                        rows += frame.height();
                    }
                    Ok(())
                })
                .unwrap_or_else(|f| panic!("{example}: {}", f.render(false)));
            assert!(
                rows > 0 || example.contains("chart"),
                "{example} shows no rows"
            );
        }
    }

    #[test]
    fn functions_and_commands_are_topics_too() {
        let quantile = topic("quantile").expect("quantile");
        assert!(quantile.starts_with("quantile(x, q):"), "{quantile}");
        assert!(quantile.contains("aggregate"), "{quantile}");
        assert!(quantile.contains("example:\n  endpoints"), "{quantile}");
        assert_eq!(topic("quantile()"), Ok(quantile));
        let since = topic(".since").expect(".since");
        assert!(
            since.starts_with(".since [DURATION|TIMESTAMP|off]:"),
            "{since}"
        );
        assert_eq!(topic("since"), Ok(since));
    }

    #[test]
    fn an_unknown_topic_names_the_closest() {
        assert_eq!(
            topic("jion"),
            Err("no help on `jion`; did you mean `join`?".to_owned())
        );
        let far = topic("zzzzzz").expect_err("no such topic");
        assert!(far.contains(".help lists"), "{far}");
    }
}
