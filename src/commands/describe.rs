//! `.describe QUERY`: one line per column of a table or pipeline with its
//! type, null count, distinct count, least and greatest value, computed
//! by one aggregate query in the language itself, so it runs wherever the
//! query would (locally or on ClickHouse).

use polars::prelude::{AnyValue, Column, DataFrame, NamedFrom, Series};

use super::Reply;
use crate::format::Format;
use crate::plan::types::Type;
use crate::render::{self, View};
use crate::session::Session;
use crate::syntax::print;

pub fn run(session: &Session, query: &str) -> Reply {
    let Some(schema) = session.schema_of(query) else {
        // Run it for the error, with its caret.
        return match collect(session, query) {
            Err(message) => Reply::Error(message),
            Ok(_) => Reply::Error("`.describe` needs a query that gives rows".to_owned()),
        };
    };
    if schema.columns.is_empty() {
        return Reply::Error("the query has no columns to describe".to_owned());
    }
    let mut items = vec!["rows = count()".to_owned()];
    for (i, column) in schema.columns.iter().enumerate() {
        let name = print::ident(&column.name);
        items.push(format!("n{i} = count({name})"));
        items.push(format!("d{i} = count_distinct({name})"));
        if column.ty.is_ordered() && column.ty != Type::Null {
            items.push(format!("lo{i} = min({name}), hi{i} = max({name})"));
        }
    }
    let text = format!("({}) | agg {}", query.trim(), items.join(", "));
    let stats = match collect(session, &text) {
        Ok(frame) => frame,
        Err(message) => return Reply::Error(message),
    };
    let cell = |name: &str| -> Option<AnyValue<'_>> {
        stats.column(name).ok().and_then(|c| c.get(0).ok())
    };
    let int = |name: &str| cell(name).and_then(|v| v.extract::<i64>());
    let shown = |name: &str| -> Option<String> {
        match cell(name)? {
            AnyValue::Null => None,
            AnyValue::String(s) => Some(s.to_owned()),
            AnyValue::StringOwned(s) => Some(s.to_string()),
            other => Some(other.to_string()),
        }
    };
    let rows = int("rows").unwrap_or(0);
    let mut names = Vec::new();
    let mut types = Vec::new();
    let (mut nulls, mut distinct, mut least, mut greatest) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (i, column) in schema.columns.iter().enumerate() {
        names.push(column.name.clone());
        types.push(column.ty.name().to_owned());
        nulls.push(int(&format!("n{i}")).map(|n| rows - n));
        distinct.push(int(&format!("d{i}")));
        least.push(shown(&format!("lo{i}")));
        greatest.push(shown(&format!("hi{i}")));
    }
    let columns: Vec<Column> = vec![
        Series::new("column".into(), names).into(),
        Series::new("type".into(), types).into(),
        Series::new("nulls".into(), nulls).into(),
        Series::new("distinct".into(), distinct).into(),
        Series::new("min".into(), least).into(),
        Series::new("max".into(), greatest).into(),
    ];
    let height = schema.columns.len();
    let Ok(mut frame) = DataFrame::new(height, columns) else {
        return Reply::Error("could not build the description".to_owned());
    };
    let mut out = Vec::new();
    if let Err(e) = render::write(&mut frame, Format::Table, &View::rows(usize::MAX), &mut out) {
        return Reply::Error(e.to_string());
    }
    let mut text = String::from_utf8_lossy(&out).into_owned();
    // The table's own footer counts columns here; say what was described.
    for footer in [format!("{height} rows\n"), "1 row\n".to_owned()] {
        if let Some(kept) = text.strip_suffix(&footer) {
            text = kept.to_owned();
            break;
        }
    }
    let plural = |n: i64, what: &str| format!("{n} {what}{}", if n == 1 { "" } else { "s" });
    text.push_str(&format!(
        "{} of {}\n",
        plural(height as i64, "column"),
        plural(rows, "row")
    ));
    Reply::Text(text)
}

/// The rows of `text`, run on a copy of the session.
fn collect(session: &Session, text: &str) -> Result<DataFrame, String> {
    super::trace::collect_named(session, "<describe>", text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::polars::Engine;

    fn session() -> Session {
        Session::new(Engine::with_bundled_datasets().expect("bundled datasets"))
    }

    #[test]
    fn describes_every_column_with_nulls_distinct_values_and_range() {
        let Reply::Text(text) = run(&session(), "servers") else {
            panic!("describe failed");
        };
        assert!(text.contains("column"), "{text}");
        assert!(text.contains("ip"), "{text}");
        assert!(text.ends_with("┘\n6 columns of 11 rows\n"), "{text}");
        let Reply::Text(text) = run(&session(), "services | select service, page_uptime_pct")
        else {
            panic!("describe failed");
        };
        // 22 services, 16 without a page uptime figure.
        assert!(text.contains("page_uptime_pct"), "{text}");
        assert!(text.contains("2 columns of 22 rows"), "{text}");
        assert!(text.contains("┆    16 ┆"), "{text}");
    }

    #[test]
    fn a_bad_query_is_an_error_with_its_place() {
        let Reply::Error(message) = run(&session(), "servers | where nosuch > 1") else {
            panic!("expected an error");
        };
        assert!(message.contains("unknown column `nosuch`"), "{message}");
    }
}
