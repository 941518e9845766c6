//! Logical plans to one ClickHouse SQL statement.
//!
//! Each plan node becomes a `SELECT` over its input's `SELECT`, so every
//! node sees exactly the columns the plan says, by name. Values keep the
//! language's representation inside the statement: ints are Int64,
//! datetimes DateTime64(6, 'UTC'), dates Date32, durations Int64
//! microseconds; a table's columns are brought to that form where it is
//! read, and the outermost `SELECT` casts each result column to its type
//! so the Arrow result has one shape whatever the table's types.
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

use std::fmt::Write as _;

use crate::plan::functions::{Aggregate, Function, WindowFunction};
use crate::plan::logical::{
    BinaryOp, Expr, JoinKind, Plan, SortKey, StringTest, UnaryOp, Value, WindowKind,
};
use crate::plan::types::Type;

/// The message `throwIf` raises when checked arithmetic overflows; the
/// backend recognises it in the server's exception.
pub const OVERFLOW_MARK: &str = "infraql: integer overflow";

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
    SHARED.with(|n| n.set(0));
    let mut emitter = Emitter { tables, aliases: 0 };
    let relation = emitter.plan(plan)?;
    let mut out = String::from("SELECT ");
    let outputs: Vec<String> = relation
        .columns
        .iter()
        .map(|(name, ty)| format!("{} AS {}", output_cast(&ident(name), *ty), ident(name)))
        .collect();
    out.push_str(&if outputs.is_empty() {
        "1 AS `__infraql_no_columns`".to_owned()
    } else {
        outputs.join(", ")
    });
    let _ = write!(out, " FROM ({}) AS {}", relation.sql, emitter.alias());
    Ok((out, relation.columns))
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

/// A column as it leaves the server: the language's type, as Arrow reads
/// it (durations as Int64 microseconds).
fn output_cast(column: &str, ty: Type) -> String {
    match ty {
        Type::Int | Type::Duration => format!("toInt64({column})"),
        Type::Float => format!("toFloat64({column})"),
        Type::String => format!("toString({column})"),
        Type::Bool => format!("toBool({column})"),
        Type::Date => format!("toDate32({column})"),
        Type::Datetime => format!("toDateTime64({column}, 6, 'UTC')"),
        Type::Null => format!("CAST({column}, 'Nullable(String)')"),
    }
}

thread_local! {
    /// Names given so far to shared subexpressions of the statement being
    /// written (see [`shared`]).
    static SHARED: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// `sql` named once so it can be used several times without being written
/// out again: the first use is `(sql AS `__infraql_sN`)`, later ones the
/// name. (Writing it out each time made nested checks and roundings grow
/// exponentially.) A column or a constant is short already and stays.
fn shared(sql: &str) -> (String, String) {
    let simple = sql
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'`' | b'_'));
    if simple {
        return (sql.to_owned(), sql.to_owned());
    }
    let n = SHARED.with(|n| {
        let next = n.get() + 1;
        n.set(next);
        next
    });
    let name = format!("`__infraql_s{n}`");
    (format!("({sql} AS {name})"), name)
}

/// What an expression can see: the input's columns under `alias`.
pub struct Scope<'a> {
    alias: &'a str,
    columns: &'a [(String, Type)],
    /// Aggregates here take the whole input as one group, which may be
    /// empty (an `agg` without `group`).
    whole: bool,
}

/// A relation: its SQL and its columns with their types, in order.
struct Relation {
    sql: String,
    columns: Vec<(String, Type)>,
}

impl Relation {
    fn scope<'a>(&'a self, alias: &'a str) -> Scope<'a> {
        Scope {
            alias,
            columns: &self.columns,
            whole: false,
        }
    }

    fn names(&self) -> String {
        self.columns
            .iter()
            .map(|(n, _)| ident(n))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

struct Emitter<'a> {
    tables: &'a dyn Tables,
    aliases: usize,
}

impl Emitter<'_> {
    fn alias(&mut self) -> String {
        self.aliases += 1;
        format!("t{}", self.aliases)
    }

    fn plan(&mut self, plan: &Plan) -> Result<Relation, Unsupported> {
        match plan {
            Plan::Table { name } => self.table(name),
            Plan::File { path } => Err(unsupported(
                format!("`from \"{path}\"` reads a local file, which the server cannot"),
                None,
            )),
            Plan::Filter { input, predicate } if has_window(predicate) => {
                // ClickHouse computes windows after WHERE: compute them as
                // columns first, then filter on the condition over those.
                let input = self.plan(input)?;
                let (names, columns) = (input.names(), input.columns.clone());
                let (lifted, condition) = self.lift_windows(input, &[predicate])?;
                let alias = self.alias();
                let condition = match condition.first() {
                    Some(c) => expr(c, &lifted.scope(&alias))?,
                    None => "true".to_owned(),
                };
                Ok(Relation {
                    sql: format!(
                        "SELECT {names} FROM ({}) AS {alias} WHERE {condition}",
                        lifted.sql
                    ),
                    columns,
                })
            }
            Plan::Filter { input, predicate } => {
                let input = self.plan(input)?;
                let alias = self.alias();
                let predicate = expr(predicate, &input.scope(&alias))?;
                Ok(Relation {
                    sql: format!(
                        "SELECT {} FROM ({}) AS {alias} WHERE {predicate}",
                        input.names(),
                        input.sql
                    ),
                    columns: input.columns,
                })
            }
            Plan::Select { input, columns } => {
                let input = self.plan(input)?;
                self.project(input, columns, false)
            }
            Plan::Derive { input, columns } => {
                let input = self.plan(input)?;
                self.project(input, columns, true)
            }
            Plan::Sort { input, keys, ties } => {
                let input = self.plan(input)?;
                let alias = self.alias();
                let scope = input.scope(&alias);
                // Rows equal on every key are ordered by all their columns,
                // so the order is the same on every run (the local engine
                // keeps their arrival order, which the server has not).
                let mut order = order_by(keys.iter().chain(ties), &scope)?;
                // Group keys tell the rows of a group apart already.
                if ties.is_empty() {
                    let sorted: Vec<&str> = keys
                        .iter()
                        .filter_map(|k| match &k.expr {
                            Expr::Column(name) => Some(name.as_str()),
                            _ => None,
                        })
                        .collect();
                    let rest = tie_breakers_except(&scope, &sorted);
                    if !rest.is_empty() {
                        order = format!("{order}, {rest}");
                    }
                }
                Ok(Relation {
                    sql: format!(
                        "SELECT {} FROM ({}) AS {alias} ORDER BY {order}",
                        input.names(),
                        input.sql
                    ),
                    columns: input.columns,
                })
            }
            Plan::Limit { input, count } if matches!(**input, Plan::Sort { .. }) => {
                // `sort | take n` (and `top`) is one SELECT: ORDER BY … LIMIT n,
                // which the server runs as a partial sort.
                let sorted = self.plan(input)?;
                Ok(Relation {
                    sql: format!("{} LIMIT {count}", sorted.sql),
                    columns: sorted.columns,
                })
            }
            Plan::Limit { input, count } => {
                let input = self.plan(input)?;
                let alias = self.alias();
                Ok(Relation {
                    sql: format!(
                        "SELECT {} FROM ({}) AS {alias} LIMIT {count}",
                        input.names(),
                        input.sql
                    ),
                    columns: input.columns,
                })
            }
            Plan::Aggregate {
                input,
                keys,
                aggregates,
                ..
            } => {
                let input = self.plan(input)?;
                let alias = self.alias();
                let scope = Scope {
                    whole: keys.is_empty(),
                    ..input.scope(&alias)
                };
                let mut items = Vec::new();
                let mut columns = Vec::new();
                for (name, e) in keys.iter().chain(aggregates) {
                    items.push(format!("{} AS {}", expr(e, &scope)?, ident(name)));
                    columns.push((name.clone(), type_of(e, &scope)));
                }
                let mut sql = format!(
                    "SELECT {} FROM ({}) AS {alias}",
                    items.join(", "),
                    input.sql
                );
                if !keys.is_empty() {
                    let names: Vec<String> = keys.iter().map(|(n, _)| ident(n)).collect();
                    let _ = write!(sql, " GROUP BY {}", names.join(", "));
                }
                Ok(Relation { sql, columns })
            }
            Plan::Distinct { input, columns } => {
                let input = self.plan(input)?;
                let alias = self.alias();
                let sql = if columns.is_empty() {
                    format!(
                        "SELECT DISTINCT {} FROM ({}) AS {alias}",
                        input.names(),
                        input.sql
                    )
                } else {
                    let by: Vec<String> = columns.iter().map(|c| ident(c)).collect();
                    format!(
                        "SELECT {} FROM ({}) AS {alias} LIMIT 1 BY {}",
                        input.names(),
                        input.sql,
                        by.join(", ")
                    )
                };
                Ok(Relation {
                    sql,
                    columns: input.columns,
                })
            }
            Plan::Join {
                left,
                right,
                kind,
                on,
                renamed,
            } => self.join(left, right, *kind, on, renamed),
            Plan::Union { left, right } => {
                let left = self.plan(left)?;
                let right = self.plan(right)?;
                let mut columns = left.columns.clone();
                for (name, ty) in &right.columns {
                    if !columns.iter().any(|(n, _)| n == name) {
                        columns.push((name.clone(), *ty));
                    }
                }
                let side = |relation: &Relation| -> String {
                    columns
                        .iter()
                        .map(|(name, _)| {
                            if relation.columns.iter().any(|(n, _)| n == name) {
                                ident(name)
                            } else {
                                format!("NULL AS {}", ident(name))
                            }
                        })
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                let (l, r) = (side(&left), side(&right));
                let (la, ra, outer) = (self.alias(), self.alias(), self.alias());
                Ok(Relation {
                    sql: format!(
                        "SELECT * FROM (SELECT {l} FROM ({}) AS {la} UNION ALL SELECT {r} FROM ({}) AS {ra}) AS {outer}",
                        left.sql, right.sql
                    ),
                    columns,
                })
            }
        }
    }

    /// A table's columns in the language's representation.
    fn table(&mut self, name: &str) -> Result<Relation, Unsupported> {
        let table = self
            .tables
            .remote(name)
            .ok_or_else(|| unsupported(format!("table `{name}` is not on the server"), None))?;
        let mut items = Vec::new();
        let mut columns = Vec::new();
        for (column, ty, ch_type) in &table.columns {
            let Some(ty) = ty else {
                continue;
            };
            let id = ident(column);
            let read = match ty {
                Type::Int if ch_type.contains("UInt64") => format!(
                    "if({id} > 9223372036854775807, toInt64(throwIf({id} > 9223372036854775807, '{OVERFLOW_MARK}')), toInt64({id}))"
                ),
                // Narrower integers and Float64 are read as stored: every
                // operation on them widens as the language's Int64 would
                // (checked arithmetic runs in Int128), and results are cast
                // on the way out.
                Type::Int => id.clone(),
                Type::Float if ch_type.contains("Float64") => id.clone(),
                Type::Float => format!("toFloat64({id})"),
                Type::Datetime => format!("toDateTime64({id}, 6, 'UTC')"),
                Type::Date => format!("toDate32({id})"),
                _ => id.clone(),
            };
            items.push(if read == id {
                id
            } else {
                format!("{read} AS {id}")
            });
            columns.push((column.clone(), *ty));
        }
        Ok(Relation {
            sql: format!(
                "SELECT {} FROM {}.{}",
                items.join(", "),
                ident(&table.database),
                ident(&table.table)
            ),
            columns,
        })
    }

    /// `select` (only `columns`) or `derive` (the input's columns, those
    /// named again replaced in place, then the new ones).
    fn project(
        &mut self,
        input: Relation,
        columns: &[(String, Expr)],
        keep_input: bool,
    ) -> Result<Relation, Unsupported> {
        let original = input.columns.clone();
        let exprs: Vec<&Expr> = columns.iter().map(|(_, e)| e).collect();
        let (input, rewritten) = self.lift_windows(input, &exprs)?;
        let columns: Vec<(String, Expr)> = columns
            .iter()
            .map(|(n, _)| n.clone())
            .zip(rewritten)
            .collect();
        let alias = self.alias();
        let scope = input.scope(&alias);
        let mut items = Vec::new();
        let mut out = Vec::new();
        let computed = |name: &str| columns.iter().find(|(n, _)| n == name);
        if keep_input {
            for (name, ty) in &original {
                match computed(name) {
                    Some((_, e)) => {
                        items.push(format!("{} AS {}", expr(e, &scope)?, ident(name)));
                        out.push((name.clone(), type_of(e, &scope)));
                    }
                    None => {
                        items.push(format!("{alias}.{}", ident(name)));
                        out.push((name.clone(), *ty));
                    }
                }
            }
        }
        for (name, e) in &columns {
            if keep_input && original.iter().any(|(n, _)| n == name) {
                continue;
            }
            items.push(format!("{} AS {}", expr(e, &scope)?, ident(name)));
            out.push((name.clone(), type_of(e, &scope)));
        }
        Ok(Relation {
            sql: format!(
                "SELECT {} FROM ({}) AS {alias}",
                items.join(", "),
                input.sql
            ),
            columns: out,
        })
    }

    /// Computes the window functions of `exprs` once each, as columns of a
    /// SELECT over `input` (ClickHouse copies a window function everywhere
    /// its alias is used, so a window inside an overflow check or a
    /// division would run several times), and returns that relation with
    /// the expressions reading those columns. A checked window is computed
    /// wide there and narrowed where it is used.
    fn lift_windows(
        &mut self,
        input: Relation,
        exprs: &[&Expr],
    ) -> Result<(Relation, Vec<Expr>), Unsupported> {
        if !exprs.iter().any(|e| has_window(e)) {
            return Ok((input, exprs.iter().map(|e| (*e).clone()).collect()));
        }
        let alias = self.alias();
        let scope = input.scope(&alias);
        let mut lifted: Vec<(String, String, Type)> = Vec::new();
        let mut rewritten = Vec::with_capacity(exprs.len());
        for e in exprs {
            rewritten.push(lift(e, &scope, &mut lifted)?);
        }
        let mut items: Vec<String> = input
            .columns
            .iter()
            .map(|(n, _)| format!("{alias}.{}", ident(n)))
            .collect();
        let mut columns = input.columns.clone();
        for (name, sql, ty) in lifted {
            items.push(format!("{sql} AS {}", ident(&name)));
            columns.push((name, ty));
        }
        Ok((
            Relation {
                sql: format!(
                    "SELECT {} FROM ({}) AS {alias}",
                    items.join(", "),
                    input.sql
                ),
                columns,
            },
            rewritten,
        ))
    }

    fn join(
        &mut self,
        left: &Plan,
        right: &Plan,
        kind: JoinKind,
        on: &[(String, String)],
        renamed: &[(String, String)],
    ) -> Result<Relation, Unsupported> {
        let left = self.plan(left)?;
        let right = self.plan(right)?;
        // The right side with its clashing columns renamed first.
        let right_columns: Vec<(String, Type)> = right
            .columns
            .iter()
            .map(|(name, ty)| {
                let new = renamed
                    .iter()
                    .find(|(old, _)| old == name)
                    .map_or(name, |(_, new)| new);
                (new.clone(), *ty)
            })
            .collect();
        let right_items: Vec<String> = right
            .columns
            .iter()
            .zip(&right_columns)
            .map(|((old, _), (new, _))| format!("{} AS {}", ident(old), ident(new)))
            .collect();
        let (la, ra, ri) = (self.alias(), self.alias(), self.alias());
        let condition: Vec<String> = on
            .iter()
            .map(|(l, r)| format!("{la}.{} = {ra}.{}", ident(l), ident(r)))
            .collect();
        let mut items: Vec<String> = left
            .columns
            .iter()
            .map(|(n, _)| format!("{la}.{} AS {}", ident(n), ident(n)))
            .collect();
        let mut columns = left.columns.clone();
        if matches!(kind, JoinKind::Inner | JoinKind::Left) {
            for (name, ty) in &right_columns {
                // A key of the same name on both sides is one column.
                if on.iter().any(|(l, r)| l == r && r == name) {
                    continue;
                }
                items.push(format!("{ra}.{} AS {}", ident(name), ident(name)));
                columns.push((name.clone(), *ty));
            }
        }
        let keyword = match kind {
            JoinKind::Inner => "INNER JOIN",
            JoinKind::Left => "LEFT OUTER JOIN",
            JoinKind::Semi => "LEFT SEMI JOIN",
            JoinKind::Anti => "LEFT ANTI JOIN",
        };
        Ok(Relation {
            sql: format!(
                "SELECT {} FROM ({}) AS {la} {keyword} (SELECT {} FROM ({}) AS {ri}) AS {ra} ON {}",
                items.join(", "),
                left.sql,
                right_items.join(", "),
                right.sql,
                condition.join(" AND ")
            ),
            columns,
        })
    }
}

/// Every column of `scope`, ascending, nulls last: the last sort keys,
/// which make an order deterministic.
fn tie_breakers(scope: &Scope) -> String {
    tie_breakers_except(scope, &[])
}

/// [`tie_breakers`] without the columns already sorted on.
fn tie_breakers_except(scope: &Scope, sorted: &[&str]) -> String {
    scope
        .columns
        .iter()
        .filter(|(name, _)| !sorted.contains(&name.as_str()))
        .map(|(name, _)| format!("{}.{} ASC NULLS LAST", scope.alias, ident(name)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `e` with each window function replaced by a column computed once (see
/// `Emitter::lift_windows`), whose name, SQL and type go to `lifted`.
fn lift(
    e: &Expr,
    scope: &Scope,
    lifted: &mut Vec<(String, String, Type)>,
) -> Result<Expr, Unsupported> {
    let mut name = |sql: String, ty: Type| {
        let name = format!("__infraql_w{}", lifted.len() + 1);
        lifted.push((name.clone(), sql, ty));
        name
    };
    let boxed = |e: &Expr,
                 lifted: &mut Vec<(String, String, Type)>|
     -> Result<Box<Expr>, Unsupported> { Ok(Box::new(lift(e, scope, lifted)?)) };
    Ok(match e {
        Expr::Window { .. } => {
            let ty = type_of(e, scope);
            Expr::Column(name(expr(e, scope)?, ty))
        }
        _ if !has_window(e) => e.clone(),
        Expr::Cast(inner, ty) => Expr::Cast(boxed(inner, lifted)?, *ty),
        Expr::Unary(op, inner) => Expr::Unary(*op, boxed(inner, lifted)?),
        Expr::Binary(op, l, r) => Expr::Binary(*op, boxed(l, lifted)?, boxed(r, lifted)?),
        Expr::StringTest(test, text, pattern) => {
            Expr::StringTest(*test, boxed(text, lifted)?, boxed(pattern, lifted)?)
        }
        Expr::Function(function, args) => Expr::Function(
            *function,
            args.iter()
                .map(|a| lift(a, scope, lifted))
                .collect::<Result<_, _>>()?,
        ),
        Expr::Aggregate(aggregate, args) => Expr::Aggregate(
            *aggregate,
            args.iter()
                .map(|a| lift(a, scope, lifted))
                .collect::<Result<_, _>>()?,
        ),
        Expr::If(c, t, o) => Expr::If(boxed(c, lifted)?, boxed(t, lifted)?, boxed(o, lifted)?),
        Expr::InList {
            expr: inner,
            values,
            negated,
        } => Expr::InList {
            expr: boxed(inner, lifted)?,
            values: values.clone(),
            negated: *negated,
        },
        Expr::IsNull {
            expr: inner,
            negated,
        } => Expr::IsNull {
            expr: boxed(inner, lifted)?,
            negated: *negated,
        },
        Expr::Checked {
            expr: inner,
            text,
            span,
        } => {
            let narrowed = match &**inner {
                // Computed wide where it is lifted, narrowed with the check
                // where it is used.
                Expr::Window {
                    function,
                    args,
                    partition,
                    order,
                } => {
                    let wide = match args.first() {
                        Some(x) => Some(format!("toInt128({})", expr(x, scope)?)),
                        None => None,
                    };
                    let sql = window_with(*function, args, partition, order, scope, wide)?;
                    Box::new(Expr::Column(name(sql, Type::Int)))
                }
                other => boxed(other, lifted)?,
            };
            Expr::Checked {
                expr: narrowed,
                text: text.clone(),
                span: *span,
            }
        }
        Expr::Column(_) | Expr::Literal(_) => e.clone(),
    })
}

/// Whether `e` holds a window function.
fn has_window(e: &Expr) -> bool {
    matches!(e, Expr::Window { .. }) || e.children().into_iter().any(has_window)
}

/// `ORDER BY` items: stable order cannot be promised, nulls last always.
fn order_by<'k>(
    keys: impl Iterator<Item = &'k SortKey>,
    scope: &Scope,
) -> Result<String, Unsupported> {
    let columns = scope;
    let mut items = Vec::new();
    for key in keys {
        let direction = if key.descending { "DESC" } else { "ASC" };
        items.push(format!(
            "{} {direction} NULLS LAST",
            expr(&key.expr, columns)?
        ));
    }
    Ok(items.join(", "))
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

fn literal(value: &Value) -> String {
    match value {
        Value::Int(n) => format!("toInt64({n})"),
        Value::Float(f) => {
            if f.is_finite() {
                format!("toFloat64({f:?})")
            } else if f.is_nan() {
                "nan".to_owned()
            } else if *f > 0.0 {
                "inf".to_owned()
            } else {
                "-inf".to_owned()
            }
        }
        Value::String(s) => string(s),
        Value::Bool(b) => b.to_string(),
        Value::Null => "NULL".to_owned(),
        Value::Date(d) => format!("toDate32('{}')", d.format("%Y-%m-%d")),
        Value::Datetime(t) => format!(
            "toDateTime64('{}', 6, 'UTC')",
            t.format("%Y-%m-%d %H:%M:%S%.6f")
        ),
        Value::Duration(micros) => format!("toInt64({micros})"),
    }
}

/// The language type of `e` over `columns`.
fn type_of(e: &Expr, scope: &Scope) -> Type {
    let columns = scope;
    let first = |args: &[Expr]| args.first().map_or(Type::Null, |a| type_of(a, columns));
    match e {
        Expr::Column(name) => scope
            .columns
            .iter()
            .find(|(n, _)| n == name)
            .map_or(Type::Null, |(_, t)| *t),
        Expr::Literal(v) => v.ty(),
        Expr::Cast(_, ty) => *ty,
        Expr::Unary(UnaryOp::Neg, inner) => type_of(inner, columns),
        Expr::Unary(UnaryOp::Not, _)
        | Expr::StringTest(..)
        | Expr::InList { .. }
        | Expr::IsNull { .. } => Type::Bool,
        Expr::Binary(op, l, r) => match op {
            BinaryOp::Div => Type::Float,
            BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Rem => {
                let (lt, rt) = (type_of(l, columns), type_of(r, columns));
                if lt == Type::Float || rt == Type::Float {
                    Type::Float
                } else if lt == Type::Null {
                    rt
                } else {
                    lt
                }
            }
            _ => Type::Bool,
        },
        Expr::Function(function, args) => match function {
            Function::Lower
            | Function::Upper
            | Function::Concat
            | Function::Replace
            | Function::Substr => Type::String,
            Function::Len
            | Function::Year
            | Function::Month
            | Function::Day
            | Function::Hour
            | Function::Minute => Type::Int,
            Function::Round | Function::Floor | Function::Abs => first(args),
            Function::Coalesce => args
                .iter()
                .map(|a| type_of(a, columns))
                .find(|t| *t != Type::Null)
                .unwrap_or(Type::Null),
            Function::ToDatetime | Function::Bin => Type::Datetime,
            Function::Date => Type::Date,
        },
        Expr::Aggregate(aggregate, args) => aggregate_type(*aggregate, first(args)),
        Expr::If(_, then, otherwise) => match type_of(then, columns) {
            Type::Null => type_of(otherwise, columns),
            t => t,
        },
        Expr::Checked { expr, .. } => match type_of(expr, columns) {
            Type::Float => Type::Float,
            _ => Type::Int,
        },
        Expr::Window { function, args, .. } => match function {
            WindowKind::Aggregate(aggregate) => aggregate_type(*aggregate, first(args)),
            WindowKind::Position(WindowFunction::CumSum) => first(args),
            WindowKind::Position(_) => Type::Int,
        },
    }
}

fn aggregate_type(aggregate: Aggregate, input: Type) -> Type {
    match aggregate {
        Aggregate::CountRows | Aggregate::Count | Aggregate::CountIf | Aggregate::CountDistinct => {
            Type::Int
        }
        Aggregate::Avg | Aggregate::Median | Aggregate::Quantile | Aggregate::Std => Type::Float,
        Aggregate::Sum | Aggregate::Min | Aggregate::Max | Aggregate::First | Aggregate::Last => {
            input
        }
    }
}

/// `e` over `columns` as a ClickHouse expression.
fn expr(e: &Expr, scope: &Scope) -> Result<String, Unsupported> {
    let columns = scope;
    let sql = |e: &Expr| expr(e, columns);
    Ok(match e {
        // Qualified, so a name always means the input's column and never
        // an alias of the same SELECT (ClickHouse lets aliases shadow).
        Expr::Column(name) => format!("{}.{}", scope.alias, ident(name)),
        Expr::Literal(value) => literal(value),
        Expr::Cast(inner, to) => cast(&sql(inner)?, type_of(inner, columns), *to)?,
        Expr::Unary(UnaryOp::Neg, inner) => format!("(-{})", sql(inner)?),
        Expr::Unary(UnaryOp::Not, inner) => format!("(NOT {})", sql(inner)?),
        Expr::Binary(op, l, r) => binary(*op, &sql(l)?, &sql(r)?),
        Expr::StringTest(test, text, pattern) => string_test(*test, &sql(text)?, pattern, columns)?,
        Expr::Function(function, args) => function_call(*function, args, columns)?,
        Expr::Aggregate(aggregate, args) => aggregate_call(*aggregate, args, columns, None)?,
        Expr::If(condition, then, otherwise) => {
            format!(
                "if({}, {}, {})",
                sql(condition)?,
                sql(then)?,
                sql(otherwise)?
            )
        }
        Expr::InList {
            expr: inner,
            values,
            negated,
        } => {
            let (x, again) = shared(&sql(inner)?);
            let list: Vec<String> = values.iter().map(literal).collect();
            let test = format!("if(isNull({x}), NULL, {again} IN ({}))", list.join(", "));
            if *negated {
                format!("(NOT {test})")
            } else {
                test
            }
        }
        Expr::IsNull {
            expr: inner,
            negated,
        } => {
            let function = if *negated { "isNotNull" } else { "isNull" };
            format!("{function}({})", sql(inner)?)
        }
        Expr::Checked { expr: inner, .. } => checked(inner, columns)?,
        Expr::Window {
            function,
            args,
            partition,
            order,
        } => window(*function, args, partition, order, columns)?,
    })
}

fn binary(op: BinaryOp, l: &str, r: &str) -> String {
    match op {
        BinaryOp::Add => format!("({l} + {r})"),
        BinaryOp::Sub => format!("({l} - {r})"),
        BinaryOp::Mul => format!("({l} * {r})"),
        // Division by zero is null, not inf or nan.
        BinaryOp::Div => {
            let (first, again) = shared(r);
            format!("if({first} = 0, NULL, {l} / {again})")
        }
        // ClickHouse's `%` takes the dividend's sign, as the language does.
        BinaryOp::Rem => {
            let (first, again) = shared(r);
            format!("if({first} = 0, NULL, {l} % {again})")
        }
        BinaryOp::Eq => format!("({l} = {r})"),
        BinaryOp::NotEq => format!("({l} != {r})"),
        BinaryOp::Lt => format!("({l} < {r})"),
        BinaryOp::LtEq => format!("({l} <= {r})"),
        BinaryOp::Gt => format!("({l} > {r})"),
        BinaryOp::GtEq => format!("({l} >= {r})"),
        BinaryOp::And => format!("({l} AND {r})"),
        BinaryOp::Or => format!("({l} OR {r})"),
    }
}

fn cast(x: &str, from: Type, to: Type) -> Result<String, Unsupported> {
    use Type::{Bool, Date, Datetime, Duration, Float, Int, Null, String};
    Ok(match (from, to) {
        (a, b) if a == b => x.to_owned(),
        (Null, Bool) => "CAST(NULL, 'Nullable(Bool)')".to_owned(),
        (Null, _) => "NULL".to_owned(),
        (Int | Duration, Float) => format!("toFloat64({x})"),
        (Float, Int) => format!("if(isFinite({x}) AND abs({x}) < 9.2e18, toInt64({x}), NULL)"),
        (Duration, Int) | (Int, Duration) => x.to_owned(),
        (Datetime, Int) => format!("toUnixTimestamp64Micro({x})"),
        (Int, Datetime) => format!("fromUnixTimestamp64Micro({x}, 'UTC')"),
        (Date, Datetime) => format!("toDateTime64({x}, 6, 'UTC')"),
        (Datetime, Date) => format!("toDate32({x})"),
        (Int | Bool | Date, String) => format!("toString({x})"),
        (from, to) => {
            return Err(unsupported(
                format!(
                    "turning {} into {} is not done on ClickHouse: its text or value would differ from the local engine's",
                    from.with_article(),
                    to.with_article()
                ),
                Some(
                    "do this step after the data is local, e.g. on a `let` of the server's result",
                ),
            ));
        }
    })
}

fn string_test(
    test: StringTest,
    text: &str,
    pattern: &Expr,
    scope: &Scope,
) -> Result<String, Unsupported> {
    let columns = scope;
    let p = expr(pattern, columns)?;
    Ok(match test {
        StringTest::Contains => format!("(position({text}, {p}) > 0)"),
        StringTest::StartsWith => format!("startsWith({text}, {p})"),
        StringTest::EndsWith => format!("endsWith({text}, {p})"),
        StringTest::Like => {
            // The language's `like` has no escape character; ClickHouse's
            // takes `\`, so a backslash is written as `\\` to mean itself.
            let Expr::Literal(Value::String(raw)) = pattern else {
                return Err(unsupported("`like` needs a pattern written out", None));
            };
            format!("like({text}, {})", string(&raw.replace('\\', "\\\\")))
        }
        StringTest::Matches => {
            let Expr::Literal(Value::String(raw)) = pattern else {
                return Err(unsupported(
                    "`matches` needs a pattern written out on ClickHouse",
                    None,
                ));
            };
            if let Some(class) = differing_class(raw) {
                return Err(unsupported(
                    format!(
                        "the pattern's `{class}` means Unicode characters locally and ASCII ones on ClickHouse (RE2), so the answers would differ"
                    ),
                    Some(
                        "spell the characters out, e.g. [0-9] for digits or [A-Za-z0-9_] for word characters",
                    ),
                ));
            }
            format!("match({text}, {})", string(raw))
        }
    })
}

/// A class escape whose meaning differs between the local regex engine
/// (Unicode by default) and RE2 (ASCII).
fn differing_class(pattern: &str) -> Option<String> {
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        if c == '\\'
            && let Some(k @ ('d' | 'D' | 'w' | 'W' | 's' | 'S' | 'b' | 'B')) = chars.next()
        {
            return Some(format!("\\{k}"));
        }
    }
    None
}

fn function_call(function: Function, args: &[Expr], scope: &Scope) -> Result<String, Unsupported> {
    let columns = scope;
    let sql: Vec<String> = args
        .iter()
        .map(|a| expr(a, columns))
        .collect::<Result<_, _>>()?;
    let arg = |i: usize| sql.get(i).cloned().unwrap_or_else(|| "NULL".to_owned());
    Ok(match function {
        Function::Lower => format!("lowerUTF8({})", arg(0)),
        Function::Upper => format!("upperUTF8({})", arg(0)),
        Function::Len => format!("toInt64(lengthUTF8({}))", arg(0)),
        Function::Abs => format!("abs({})", arg(0)),
        Function::Floor => format!("floor({})", arg(0)),
        Function::Round => {
            let x = arg(0);
            if args.first().map(|a| type_of(a, columns)) == Some(Type::Int) {
                return Ok(x);
            }
            let digits = match args.get(1) {
                Some(Expr::Literal(Value::Int(d))) => *d,
                _ => 0,
            };
            // Half away from zero: ClickHouse rounds floats half to even.
            let scale = format!("1e{digits}");
            let (y, y_again) = shared(&format!("({x} * {scale})"));
            let (t, t_again) = shared(&format!("trunc({y_again})"));
            format!("(({t} + if(abs({y} - {t_again}) >= 0.5, sign({y_again}), 0)) / {scale})")
        }
        Function::Coalesce => format!("coalesce({})", sql.join(", ")),
        Function::Concat => format!("concat({})", sql.join(", ")),
        Function::Replace => format!("replaceAll({}, {}, {})", arg(0), arg(1), arg(2)),
        Function::Substr => {
            let start = match args.get(1) {
                Some(Expr::Literal(Value::Int(n))) if *n >= 1 => *n,
                _ => {
                    return Err(unsupported(
                        "on ClickHouse `substr` needs a start written out, 1 or more",
                        None,
                    ));
                }
            };
            if args.len() > 2 {
                format!(
                    "substringUTF8({}, {start}, greatest(toInt64(0), {}))",
                    arg(0),
                    arg(2)
                )
            } else {
                format!("substringUTF8({}, {start})", arg(0))
            }
        }
        Function::ToDatetime => {
            return Err(unsupported(
                "reading text as a datetime is not done on ClickHouse: the formats it accepts differ from the local engine's",
                Some(
                    "store the time as a DateTime column, or convert the text after the data is local",
                ),
            ));
        }
        Function::Bin => {
            let width = match args.get(1) {
                Some(Expr::Literal(Value::Duration(micros))) if *micros > 0 => *micros,
                _ => {
                    return Err(unsupported(
                        "`bin` needs a positive width written out",
                        None,
                    ));
                }
            };
            // Intervals aligned to the epoch, as locally (toStartOfInterval
            // is not, for widths such as 7h or 1w).
            let micros = format!("toUnixTimestamp64Micro({})", arg(0));
            format!(
                "fromUnixTimestamp64Micro({micros} - positiveModulo({micros}, toInt64({width})), 'UTC')"
            )
        }
        Function::Date => format!("toDate32({})", arg(0)),
        Function::Year => format!("toInt64(toYear({}))", arg(0)),
        Function::Month => format!("toInt64(toMonth({}))", arg(0)),
        Function::Day => format!("toInt64(toDayOfMonth({}))", arg(0)),
        Function::Hour => format!("toInt64(toHour({}))", arg(0)),
        Function::Minute => format!("toInt64(toMinute({}))", arg(0)),
    })
}

/// An aggregate; `wide` replaces its first argument (checked sums).
fn aggregate_call(
    aggregate: Aggregate,
    args: &[Expr],
    scope: &Scope,
    wide: Option<String>,
) -> Result<String, Unsupported> {
    let columns = scope;
    let x = match wide {
        Some(x) => x,
        None => match args.first() {
            Some(a) => expr(a, columns)?,
            None => "NULL".to_owned(),
        },
    };
    let or_null = if scope.whole { "OrNull" } else { "" };
    Ok(match aggregate {
        Aggregate::CountRows => "toInt64(count())".to_owned(),
        Aggregate::Count => format!("toInt64(count({x}))"),
        Aggregate::CountIf => format!("toInt64(countIf({x}))"),
        // Of no values these are null in the language; ClickHouse gives 0
        // or nan for an input with no rows, so an `agg` without groups asks
        // for null (`…OrNull`). A group or a window is never empty, and
        // ClickHouse gives null for one of nulls only: there the plain
        // functions, which plan faster.
        Aggregate::Sum => format!("sum{or_null}({x})"),
        Aggregate::Avg => format!("avg{or_null}({x})"),
        Aggregate::Min => format!("min{or_null}({x})"),
        Aggregate::Max => format!("max{or_null}({x})"),
        Aggregate::Median => format!("quantileExactInclusive{or_null}(0.5)({x})"),
        Aggregate::Quantile => {
            let q = match args.get(1) {
                Some(Expr::Literal(Value::Float(q))) => *q,
                _ => return Err(unsupported("`quantile` needs a level written out", None)),
            };
            format!("quantileExactInclusive{or_null}({q:?})({x})")
        }
        Aggregate::CountDistinct => format!("toInt64(uniqExact({x}))"),
        Aggregate::Std => {
            let (first, again) = shared(&x);
            format!("if(count({first}) > 1, stddevSamp({again}), NULL)")
        }
        Aggregate::First | Aggregate::Last => {
            return Err(unsupported(
                "`first` and `last` depend on the order rows arrive in, which ClickHouse does not keep",
                Some("use min or max, or argMin/argMax-style `top 1 by` on a sorted pipeline"),
            ));
        }
    })
}

/// Checked integer arithmetic: computed in Int128 and narrowed, failing
/// with [`OVERFLOW_MARK`] outside Int64.
fn checked(inner: &Expr, scope: &Scope) -> Result<String, Unsupported> {
    let columns = scope;
    let wide = |e: &Expr| -> Result<String, Unsupported> {
        Ok(format!("toInt128({})", expr(e, columns)?))
    };
    let computed = match inner {
        Expr::Binary(op, l, r) => binary(*op, &wide(l)?, &wide(r)?),
        Expr::Unary(UnaryOp::Neg, x) => format!("(-{})", wide(x)?),
        Expr::Function(Function::Abs, args) => match args.first() {
            Some(x) => format!("abs({})", wide(x)?),
            None => "NULL".to_owned(),
        },
        Expr::Aggregate(aggregate, args) => {
            let x = match args.first() {
                Some(x) => Some(wide(x)?),
                None => None,
            };
            aggregate_call(*aggregate, args, columns, x)?
        }
        Expr::Window {
            function,
            args,
            partition,
            order,
        } => {
            let x = match args.first() {
                Some(x) => Some(wide(x)?),
                None => None,
            };
            window_with(*function, args, partition, order, columns, x)?
        }
        // A wide value computed before (a lifted window): only narrowed.
        Expr::Column(_) => expr(inner, columns)?,
        other => return expr(other, columns),
    };
    let (first, again) = shared(&computed);
    let (outside, outside_again) = shared(&format!(
        "({first} < -9223372036854775808 OR {again} > 9223372036854775807)"
    ));
    Ok(format!(
        "if({outside}, toInt64(throwIf({outside_again}, '{OVERFLOW_MARK}')), toInt64({again}))"
    ))
}

fn window(
    function: WindowKind,
    args: &[Expr],
    partition: &[Expr],
    order: &[SortKey],
    scope: &Scope,
) -> Result<String, Unsupported> {
    let columns = scope;
    window_with(function, args, partition, order, columns, None)
}

fn window_with(
    function: WindowKind,
    args: &[Expr],
    partition: &[Expr],
    order: &[SortKey],
    scope: &Scope,
    wide: Option<String>,
) -> Result<String, Unsupported> {
    let columns = scope;
    let by: Vec<String> = partition
        .iter()
        .map(|p| expr(p, columns))
        .collect::<Result<_, _>>()?;
    let partition_by = if by.is_empty() {
        String::new()
    } else {
        format!("PARTITION BY {}", by.join(", "))
    };
    // `rank` orders by the sort keys alone (ties share a rank); the others
    // also by every column, so rows equal on the keys count the same way
    // on every run.
    let ordered = |what: &str| -> Result<String, Unsupported> {
        if order.is_empty() {
            return Err(unsupported(
                format!(
                    "`{what}` counts rows in the order they arrive, which ClickHouse does not keep without a sort"
                ),
                Some("sort the pipeline before it"),
            ));
        }
        let keys = order_by(order.iter(), columns)?;
        Ok(if what == "rank" {
            format!("ORDER BY {keys}")
        } else {
            format!("ORDER BY {keys}, {}", tie_breakers(columns))
        })
    };
    let x = match (&wide, args.first()) {
        (Some(w), _) => w.clone(),
        (None, Some(a)) => expr(a, columns)?,
        (None, None) => "NULL".to_owned(),
    };
    Ok(match function {
        WindowKind::Aggregate(aggregate) => {
            let call = aggregate_call(aggregate, args, columns, wide.clone())?;
            format!("{call} OVER ({partition_by})")
        }
        WindowKind::Position(WindowFunction::RowNumber) => {
            let order = ordered("row_number")?;
            format!("toInt64(row_number() OVER ({partition_by} {order}))")
        }
        WindowKind::Position(WindowFunction::Rank) => {
            let order = ordered("rank")?;
            format!("toInt64(rank() OVER ({partition_by} {order}))")
        }
        WindowKind::Position(WindowFunction::CumSum) => {
            let order = ordered("cumsum")?;
            // A null value's own row stays null, as locally.
            let (first, again) = shared(&x);
            format!(
                "if(isNull({first}), NULL, sum({again}) OVER ({partition_by} {order} ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW))"
            )
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert_eq!(literal(&Value::Float(1.0)), "toFloat64(1.0)");
        assert_eq!(literal(&Value::Float(0.1)), "toFloat64(0.1)");
    }
}
