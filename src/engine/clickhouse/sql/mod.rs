//! Logical plans to one ClickHouse SQL statement.
//!
//! The stages of a pipeline share a SELECT where SQL's order of clauses
//! allows (`select`), and each SELECT names its columns as the plan does.
//! Values keep the language's meaning inside the statement: integer
//! columns are read as stored and widened where arithmetic could leave
//! their type, datetimes are DateTime64(6, 'UTC'), dates Date32, durations
//! Int64 microseconds; the outermost SELECT casts each result column to
//! its type so the Arrow result has one shape whatever the table's types.
//! Expressions are written by `expr`.
//!
//! The language's answers where ClickHouse's differ: division by zero is
//! null; `%` takes the dividend's sign (as ClickHouse does); `round` is half
//! away from zero; aggregates of no values are null (`…OrNull`);
//! `count_distinct` is `uniqExact`; quantiles are exact with linear
//! interpolation (`quantileExactInclusive`); checked integer arithmetic
//! runs in Int128 and fails through `throwIf` with [`OVERFLOW_MARK`]; sorts
//! put nulls last; text functions count characters (`…UTF8`). What cannot
//! be given the language's meaning is refused before anything is sent:
//! operations that depend on the order rows arrive in when the server
//! keeps none (`first`, `last`, a running window without a sort), regular
//! expressions whose meaning differs between RE2 and the local engine,
//! and casts whose text differs.
//!
//! Every name is a backquoted identifier and every string a quoted literal
//! with its quotes and backslashes escaped, so no input changes what the
//! statement means.

mod expr;
mod select;

use crate::plan::logical::Plan;
use crate::plan::types::Type;

/// The message `throwIf` raises when checked arithmetic overflows; the
/// backend recognises it in the server's exception.
pub const OVERFLOW_MARK: &str = "infraql: integer overflow";

/// What starts the message of the `throwIf` that stops a `diff` whose
/// input holds a key twice; the plan's message follows it.
pub const DUPLICATE_KEY_MARK: &str = "infraql: duplicate key: ";

/// The message of the `throwIf` that stops a query converting seconds to a
/// time outside the years the server's DateTime64 holds.
pub const TIME_RANGE_MARK: &str = "infraql: a time outside the years 0000 to 9999";

/// A remote table as the emitter needs it: where it is and its columns
/// with their ClickHouse types.
#[derive(Debug, Clone, PartialEq)]
pub struct RemoteTable {
    pub database: String,
    pub table: String,
    /// (name, language type, ClickHouse type); columns without a language
    /// type are left out of the schema but listed here with `None`.
    pub columns: Vec<(String, Option<Type>, String)>,
}

/// Why a plan has no ClickHouse statement.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct Unsupported {
    pub message: String,
    pub help: Option<String>,
}

fn unsupported(message: impl Into<String>, help: Option<&str>) -> Unsupported {
    Unsupported {
        message: message.into(),
        help: help.map(str::to_owned),
    }
}

/// The tables a plan may read, by their infraql names.
pub trait Tables {
    fn remote(&self, name: &str) -> Option<&RemoteTable>;
}

/// The statement for `plan`, and its result's columns with their types.
pub fn statement(
    plan: &Plan,
    tables: &dyn Tables,
) -> Result<(String, Vec<(String, Type)>), Unsupported> {
    expr::reset_shared();
    select::statement(plan, tables)
}

/// `sql` laid out for people: each clause on a line of its own, nested
/// SELECTs indented by depth. Quoted text is left as it is.
pub fn pretty(sql: &str) -> String {
    const BREAKS: &[&str] = &[
        " FROM ",
        " WHERE ",
        " GROUP BY ",
        " ORDER BY ",
        " LIMIT ",
        " INNER JOIN ",
        " LEFT OUTER JOIN ",
        " LEFT SEMI JOIN ",
        " LEFT ANTI JOIN ",
        " FULL OUTER JOIN ",
        " UNION ALL ",
        " ON ",
    ];
    let mut out = String::with_capacity(sql.len() + 64);
    let mut depth = 0usize;
    let mut quote: Option<char> = None;
    let mut i = 0;
    let newline = |out: &mut String, depth: usize| {
        out.push('\n');
        out.push_str(&"  ".repeat(depth));
    };
    while i < sql.len() {
        let rest = &sql[i..];
        let Some(c) = rest.chars().next() else { break };
        if let Some(q) = quote {
            out.push(c);
            if c == '\\' {
                if let Some(next) = rest[1..].chars().next() {
                    out.push(next);
                    i += 1 + next.len_utf8();
                    continue;
                }
            } else if c == q {
                quote = None;
            }
            i += c.len_utf8();
            continue;
        }
        if c == '\'' || c == '`' {
            quote = Some(c);
        } else if rest.starts_with("(SELECT ") {
            depth += 1;
            out.push('(');
            newline(&mut out, depth);
            i += 1;
            continue;
        } else if c == '(' {
            depth += 1;
        } else if c == ')' {
            depth = depth.saturating_sub(1);
        } else if let Some(word) = BREAKS.iter().find(|w| rest.starts_with(**w)) {
            newline(&mut out, depth);
            out.push_str(&word[1..]);
            i += word.len();
            continue;
        }
        out.push(c);
        i += c.len_utf8();
    }
    out
}

/// A name as a backquoted identifier, escaped.
pub fn ident(name: &str) -> String {
    quoted(name, '`')
}

/// A string literal, escaped.
pub fn string(text: &str) -> String {
    quoted(text, '\'')
}

/// `text` between `quote`s, with the quote, backslashes, NUL and line
/// breaks escaped (ClickHouse reads the same escapes in names and strings).
fn quoted(text: &str, quote: char) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push(quote);
    for c in text.chars() {
        match c {
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            '\\' => out.push_str("\\\\"),
            '\0' => out.push_str("\\0"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

#[cfg(test)]
mod tests {
    use super::expr::{differing_class, literal};
    use super::*;
    use crate::plan::logical::Value;

    #[test]
    fn names_and_strings_cannot_break_out_of_their_quotes() {
        assert_eq!(ident("a`b\\c"), "`a\\`b\\\\c`");
        assert_eq!(
            string("'); DROP TABLE t; --\\"),
            "'\\'); DROP TABLE t; --\\\\'"
        );
        assert_eq!(string("a\0b\nc"), "'a\\0b\\nc'");
    }

    #[test]
    fn pretty_sql_breaks_clauses_but_not_quoted_text() {
        let sql = "SELECT `a` FROM (SELECT `a` FROM `db`.`t` WHERE (`a` = ' FROM ')) AS t1 LIMIT 5";
        assert_eq!(
            pretty(sql),
            "SELECT `a`\nFROM (\n  SELECT `a`\n  FROM `db`.`t`\n  WHERE (`a` = ' FROM ')) AS t1\nLIMIT 5"
        );
    }

    #[test]
    fn regex_classes_that_differ_are_found() {
        assert_eq!(differing_class("^\\d+$"), Some("\\d".to_owned()));
        assert_eq!(differing_class("a\\\\d"), None);
        assert_eq!(differing_class("[0-9]+"), None);
    }

    #[test]
    fn float_literals_keep_a_decimal_point() {
        assert_eq!(literal(&Value::Float(1.0)), "1.0");
        assert_eq!(literal(&Value::Float(0.1)), "0.1");
    }
}
