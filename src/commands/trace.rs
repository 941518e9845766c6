//! `.trace QUERY`: a query run stage by stage, to see where rows vanish.
//!
//! The query's text is shown stage by stage (its source, then each
//! operator), and under each stage the rows and columns that came out of
//! it and the time it took to count them. Each stage is the pipeline up to
//! there followed by `| count`, run on a copy of the session (so a `let`
//! before the query is not defined by tracing it); an `export` or `chart`
//! at the end is not run. When a `where` leaves no rows of some, each of
//! its `and` terms is counted on its own, and a term that keeps nothing and
//! compares a column is followed by that column's most common values: the
//! usual reason is a value written differently in the data.

use std::time::{Duration, Instant};

use polars::prelude::{AnyValue, DataFrame};

use super::{Reply, wall_time};
use crate::plan::schema::Schema;
use crate::render::visible;
use crate::session::{Outcome, Session};
use crate::syntax::ast::{BinaryOp, ExprKind, OperatorKind, StatementKind};
use crate::syntax::{self, ast};

/// At most this many of a column's values are shown for a term that keeps
/// no row.
const COMMON_VALUES: usize = 5;

/// Columns are listed by name up to this many; past it, counted.
const NAMED_COLUMNS: usize = 6;

pub fn run(session: &Session, query: &str) -> Reply {
    match trace(session, query) {
        Ok(text) => Reply::Text(text),
        Err(message) => Reply::Error(message),
    }
}

/// What came out of one stage.
struct Counted {
    rows: u64,
    schema: Schema,
    elapsed: Duration,
}

/// The traced query as text, or why it cannot be traced.
fn trace(session: &Session, text: &str) -> Result<String, String> {
    // The whole query must resolve: its errors, with carets, come first.
    session
        .clone()
        .explain("<trace>", text)
        .map_err(|failure| {
            failure
                .render(false)
                .trim_start_matches("error: ")
                .to_owned()
        })?;
    let script = syntax::parse(text).map_err(|d| d.render("<trace>", text, false))?;
    let Some(last) = script.statements.last() else {
        return Err("usage: .trace QUERY".to_owned());
    };
    let StatementKind::Query(pipeline) = &last.kind else {
        return Err(".trace shows a query, not a `let`: trace the name it defines".to_owned());
    };
    // Earlier statements (`let`s) stay in front of every stage.
    let before = &text[..pipeline.span.start];
    let stage_text = |end: usize| format!("{before}{}", &text[pipeline.span.start..end]);
    let mut stages = vec![(
        visible::text(&text[pipeline.source.span.start..pipeline.source.span.end]).into_owned(),
        pipeline.source.span.end,
        None,
    )];
    for operator in &pipeline.operators {
        if matches!(
            operator.kind,
            OperatorKind::Export(_) | OperatorKind::Chart { .. }
        ) {
            break;
        }
        let shown = visible::text(&text[operator.span.start..operator.span.end]).into_owned();
        stages.push((format!("| {shown}"), operator.span.end, Some(operator)));
    }
    let mut out = String::new();
    let mut previous: Option<(Counted, String)> = None;
    for (shown, end, operator) in stages {
        out.push_str(&shown);
        out.push('\n');
        let prefix = stage_text(end);
        let counted = match count(session, &prefix) {
            Ok(counted) => counted,
            Err(message) => {
                out.push_str(&format!("    failed here: {}\n", message.trim_end()));
                return Ok(out);
            }
        };
        out.push_str(&format!(
            "    {}\n",
            summary(&counted, previous.as_ref().map(|p| &p.0))
        ));
        if let (Some(operator), Some((before_counted, before_text))) = (operator, &previous)
            && let OperatorKind::Where(predicate) = &operator.kind
            && counted.rows == 0
            && before_counted.rows > 0
        {
            out.push_str(&vanished(
                session,
                text,
                before_text,
                predicate,
                before_counted.rows,
            ));
        }
        previous = Some((counted, prefix));
    }
    Ok(out)
}

/// `14 rows, 3 columns (service, uptime_pct, status_note) · 1.2 ms`; the
/// columns are named when they changed and are few.
fn summary(counted: &Counted, before: Option<&Counted>) -> String {
    let rows = plural(counted.rows, "row");
    let width = counted.schema.len();
    let changed = before.is_none_or(|b| b.schema != counted.schema);
    let columns = if changed && width <= NAMED_COLUMNS {
        let names: Vec<String> = counted
            .schema
            .names()
            .map(|n| visible::text(n).into_owned())
            .collect();
        format!("{} ({})", plural(width as u64, "column"), names.join(", "))
    } else {
        plural(width as u64, "column")
    };
    format!("{rows}, {columns} · {}", wall_time(counted.elapsed))
}

/// `1,234` as the table view writes counts.
fn thousands(n: u64) -> String {
    crate::render::text::cell_text(&crate::render::cells::Cell::Int(i128::from(n)))
}

fn plural(n: u64, word: &str) -> String {
    let shown = thousands(n);
    if n == 1 {
        format!("{shown} {word}")
    } else {
        format!("{shown} {word}s")
    }
}

/// Why a `where` kept no row: each `and` term counted alone on the rows
/// that reached it, and a column's common values for a term keeping none.
fn vanished(
    session: &Session,
    text: &str,
    input: &str,
    predicate: &ast::Expr,
    reached: u64,
) -> String {
    let mut terms = Vec::new();
    conjuncts(predicate, &mut terms);
    let mut out = String::new();
    for term in terms {
        let term_text = &text[term.span.start..term.span.end];
        let Ok(kept) = count(session, &format!("{input} | where {term_text}")) else {
            continue;
        };
        out.push_str(&format!(
            "    `{}` keeps {} of {}\n",
            visible::text(term_text),
            thousands(kept.rows),
            plural(reached, "row")
        ));
        if kept.rows > 0 {
            continue;
        }
        if let Some(column) = compared_column(term)
            && let Some(values) = common_values(session, input, column)
        {
            out.push_str(&format!(
                "      most common values of {}: {values}\n",
                visible::text(column)
            ));
        }
    }
    out
}

/// The terms of an `and` chain, in order.
fn conjuncts<'e>(e: &'e ast::Expr, into: &mut Vec<&'e ast::Expr>) {
    match &e.kind {
        ExprKind::Binary(BinaryOp::And, a, b) => {
            conjuncts(a, into);
            conjuncts(b, into);
        }
        _ => into.push(e),
    }
}

/// The column a term compares with a value (`status == 429`,
/// `uri startswith "/api"`, `method in ["GET"]`).
fn compared_column(term: &ast::Expr) -> Option<&str> {
    fn column(e: &ast::Expr) -> Option<&str> {
        match &e.kind {
            ExprKind::Column(name) => Some(name.as_str()),
            _ => None,
        }
    }
    match &term.kind {
        ExprKind::Binary(op, a, b) if !matches!(op, BinaryOp::And | BinaryOp::Or) => {
            column(a).or_else(|| column(b))
        }
        ExprKind::In { expr, .. } => column(expr),
        _ => None,
    }
}

/// `"critical" (5), "warning" (4)`: a column's most frequent values on the
/// rows of `input`.
fn common_values(session: &Session, input: &str, column: &str) -> Option<String> {
    let name = syntax::print::ident(column);
    let query = format!(
        "{input} | group value = {name} agg n = count() | top {COMMON_VALUES} by n, value asc"
    );
    let frame = collect(session, &query).ok()?;
    let values = frame.column("value").ok()?;
    let counts = frame.column("n").ok()?;
    let shown: Vec<String> = (0..frame.height())
        .filter_map(|i| {
            let value = match values.get(i).ok()? {
                AnyValue::Null => "null".to_owned(),
                AnyValue::String(s) => syntax::print::string(s),
                other => other.to_string(),
            };
            let n = counts.get(i).ok()?;
            Some(format!("{} ({n})", visible::text(&value)))
        })
        .collect();
    (!shown.is_empty()).then(|| shown.join(", "))
}

/// Runs `text` on a copy of the session and hands back its one result.
fn collect(session: &Session, text: &str) -> Result<DataFrame, String> {
    collect_named(session, "<trace>", text)
}

/// The rows of `text` (named `name` in messages), run whole on a copy of
/// the session; the error as its message.
pub(super) fn collect_named(
    session: &Session,
    name: &str,
    text: &str,
) -> Result<DataFrame, String> {
    let mut copy = session.clone();
    copy.set_preview(None);
    let mut frame = None;
    copy.run(name, text, |outcome| {
        if let Outcome::Rows(f) | Outcome::Preview { frame: f, .. } = outcome {
            frame = Some(f);
        }
        Ok(())
    })
    .map_err(|failure| {
        failure
            .render(false)
            .trim_start_matches("error: ")
            .to_owned()
    })?;
    frame.ok_or_else(|| "the stage gave no result".to_owned())
}

/// The rows, columns and counting time of the pipeline `text`.
fn count(session: &Session, text: &str) -> Result<Counted, String> {
    let schema = session
        .schema_of(text)
        .ok_or_else(|| "this stage does not resolve".to_owned())?;
    let started = Instant::now();
    let frame = collect(session, &format!("{text} | count"))?;
    let elapsed = started.elapsed();
    let rows = frame
        .columns()
        .first()
        .and_then(|c| c.get(0).ok())
        .and_then(|v| v.extract::<u64>())
        .ok_or_else(|| "the count came back empty".to_owned())?;
    Ok(Counted {
        rows,
        schema,
        elapsed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::polars::Engine;

    fn session() -> Session {
        Session::new(Engine::with_bundled_datasets().expect("bundled data loads"))
    }

    /// The trace with its times blanked.
    fn traced(query: &str) -> String {
        let text = trace(&session(), query).expect("traces");
        text.lines()
            .map(|line| match line.rsplit_once(" · ") {
                Some((head, _)) => format!("{head} · T"),
                None => line.to_owned(),
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn shows_rows_and_columns_after_every_stage() {
        let text = traced(
            "services | where shared_server | where uptime_pct < 95 | select service, uptime_pct",
        );
        assert_eq!(
            text,
            "services\n    22 rows, 29 columns · T\n\
             | where shared_server\n    12 rows, 29 columns · T\n\
             | where uptime_pct < 95\n    3 rows, 29 columns · T\n\
             | select service, uptime_pct\n    3 rows, 2 columns (service, uptime_pct) · T"
        );
    }

    #[test]
    fn says_which_term_of_an_empty_where_keeps_nothing() {
        let text = traced(r#"services | where shared_server and status == "down""#);
        assert!(text.contains("0 rows, 29 columns"), "{text}");
        assert!(
            text.contains("`shared_server` keeps 12 of 22 rows"),
            "{text}"
        );
        assert!(
            text.contains("`status == \"down\"` keeps 0 of 22 rows"),
            "{text}"
        );
        assert!(text.contains("most common values of status: \""), "{text}");
        assert!(text.contains("\"critical\" ("), "{text}");
    }

    #[test]
    fn lets_before_the_query_are_used_but_not_defined() {
        let session = session();
        let text = trace(
            &session,
            "let big = services | where requests_30d > 10M; big | count",
        )
        .expect("traces");
        assert!(text.starts_with("big\n    5 rows"), "{text}");
        assert!(
            session.schema_of("big").is_none(),
            "the let stays undefined"
        );
    }

    #[test]
    fn stops_before_exports_and_at_errors() {
        let dir = std::env::temp_dir().join(format!("infraql-trace-{}", std::process::id()));
        let path = dir.join("never.csv");
        let query = format!("services | take 2 | export \"{}\"", path.display());
        let text = traced(&query);
        assert!(!text.contains("export"), "{text}");
        assert!(!path.exists());
        assert!(trace(&session(), "services | where nope").is_err());
        assert!(trace(&session(), "let x = services").is_err());
    }
}
