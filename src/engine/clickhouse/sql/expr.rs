//! Expressions of the plan as ClickHouse expressions, with the language's
//! answers where ClickHouse's differ (see the parent module), and the
//! language types of what they compute.
//!
//! An expression is written over a [`Scope`]: the columns of the SELECT
//! it goes into, each with the SQL that computes it over that SELECT's
//! FROM clause. A column is replaced by that SQL, so stages of a pipeline
//! can share one SELECT.

use std::cell::RefCell;

use super::{OVERFLOW_MARK, TIME_RANGE_MARK, Unsupported, ident, string, unsupported};
use crate::plan::functions::{Aggregate, Function, WindowFunction};
use crate::plan::logical::{
    BinaryOp, Expr, SortKey, StringTest, UnaryOp, Value, WindowKind, unix_seconds_range,
};
use crate::plan::types::Type;

/// A column a SELECT gives: its name, the SQL computing it over the
/// SELECT's FROM clause, and its type.
#[derive(Debug, Clone)]
pub(super) struct Item {
    pub name: String,
    pub sql: String,
    pub ty: Type,
    /// A count of rows of one table: between 0 and the table's rows, so
    /// sums of such counts over disjoint rows, and differences of two,
    /// stay inside Int64 without a check.
    pub count: bool,
    /// Computed by a window function (written out where used, so used
    /// once at most).
    pub window: bool,
}

impl Item {
    pub fn new(name: &str, sql: String, ty: Type) -> Item {
        Item {
            name: name.to_owned(),
            sql,
            ty,
            count: false,
            window: false,
        }
    }
}

/// What an expression can see: the columns of the SELECT it goes into.
pub(super) struct Scope<'a> {
    pub items: &'a [Item],
    /// Aggregates here take the whole input as one group, which may be
    /// empty (an `agg` without `group`).
    pub whole: bool,
    /// Columns whose values tell every row apart (a group's keys), if
    /// known: enough to make an order deterministic.
    pub unique: Option<&'a [String]>,
    /// The window columns written out so far, once per use.
    pub window_reads: RefCell<Vec<String>>,
}

impl<'a> Scope<'a> {
    /// How many window columns were written out so far.
    pub fn window_reads(&self) -> usize {
        self.window_reads.borrow().len()
    }

    /// Whether some window column was written out more than once.
    pub fn window_read_twice(&self) -> bool {
        let reads = self.window_reads.borrow();
        reads
            .iter()
            .enumerate()
            .any(|(i, name)| reads[..i].contains(name))
    }

    pub fn new(items: &'a [Item], whole: bool, unique: Option<&'a [String]>) -> Scope<'a> {
        Scope {
            items,
            whole,
            unique,
            window_reads: RefCell::new(Vec::new()),
        }
    }

    fn item(&self, name: &str) -> Option<&Item> {
        self.items.iter().find(|i| i.name == name)
    }

    /// The SQL of column `name`, bracketed unless it is one name or call.
    pub fn column(&self, name: &str) -> String {
        let Some(item) = self.item(name) else {
            return ident(name);
        };
        if item.window {
            self.window_reads.borrow_mut().push(name.to_owned());
        }
        if is_atom(&item.sql) {
            item.sql.clone()
        } else {
            format!("({})", item.sql)
        }
    }
}

/// Whether `sql` is one (qualified) name or number, with nothing to compute.
pub(super) fn is_plain(sql: &str) -> bool {
    sql.bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'`' | b'_'))
}

/// Whether `sql` needs no brackets around it to be one operand: a
/// (qualified) name, a number, or one function call.
fn is_atom(sql: &str) -> bool {
    let simple = is_plain;
    if simple(sql) {
        return true;
    }
    // name(...) whose first bracket closes at the very end.
    let Some(open) = sql.find('(') else {
        return false;
    };
    if open == 0 || !simple(&sql[..open]) || !sql.ends_with(')') {
        return false;
    }
    let mut depth = 0usize;
    let mut quote: Option<u8> = None;
    let bytes = sql.as_bytes();
    let mut i = open;
    while i < bytes.len() {
        let b = bytes[i];
        match quote {
            Some(q) => {
                if b == b'\\' {
                    i += 1;
                } else if b == q {
                    quote = None;
                }
            }
            None => match b {
                b'\'' | b'`' => quote = Some(b),
                b'(' => depth += 1,
                b')' => {
                    depth -= 1;
                    if depth == 0 {
                        return i == bytes.len() - 1;
                    }
                }
                _ => {}
            },
        }
        i += 1;
    }
    false
}

/// A column as it leaves the server: the language's type, as Arrow reads
/// it (durations as Int64 microseconds).
pub(super) fn output_cast(column: &str, ty: Type) -> String {
    let function = match ty {
        Type::Int | Type::Duration => "toInt64",
        Type::Float => "toFloat64",
        Type::String => "toString",
        Type::Bool => "toBool",
        Type::Date => "toDate32",
        // Already a DateTime64(6, 'UTC') (as `bin` writes it): as it is.
        Type::Datetime if is_atom(column) && is_datetime64_utc(column) => {
            return column.to_owned();
        }
        Type::Datetime => return format!("toDateTime64({column}, 6, 'UTC')"),
        Type::Null => return format!("CAST({column}, 'Nullable(String)')"),
    };
    // Already of that type: one call of the same cast.
    if is_atom(column) && column.starts_with(function) && column[function.len()..].starts_with('(')
    {
        return column.to_owned();
    }
    format!("{function}({column})")
}

/// `toDateTime64(…, 6, 'UTC')` as one call.
fn is_datetime64_utc(sql: &str) -> bool {
    sql.starts_with("toDateTime64(") && sql.ends_with(", 6, 'UTC')")
}

thread_local! {
    /// Names given so far to shared subexpressions of the statement being
    /// written (see [`shared`]).
    static SHARED: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// Starts the names of shared subexpressions again, for a new statement.
pub(super) fn reset_shared() {
    SHARED.with(|n| n.set(0));
}

/// `sql` named once so it can be used several times without being written
/// out again: the first use is `(sql AS `__infraql_sN`)`, later ones the
/// name. (Writing it out each time made nested checks and roundings grow
/// exponentially.) A column or a constant is short already and stays.
fn shared(sql: &str) -> (String, String) {
    if is_plain(sql) {
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

/// The last sort keys, which make an order deterministic: the columns
/// that tell rows apart (all of them unless known), ascending, nulls
/// last, without those in `sorted` already.
pub(super) fn tie_breakers(scope: &Scope, sorted: &[&str]) -> Vec<String> {
    let unique: Vec<&str> = match scope.unique {
        Some(names) => names.iter().map(String::as_str).collect(),
        None => scope.items.iter().map(|i| i.name.as_str()).collect(),
    };
    unique
        .into_iter()
        .filter(|name| !sorted.contains(name))
        .map(|name| format!("{} ASC NULLS LAST", scope.column(name)))
        .collect()
}

/// `e` with each window function replaced by a column computed once (see
/// `Emitter::lift_windows`), whose name, SQL and type go to `lifted`.
pub(super) fn lift(e: &Expr, scope: &Scope, lifted: &mut Vec<Item>) -> Result<Expr, Unsupported> {
    let name = |sql: String, ty: Type, count: bool, lifted: &mut Vec<Item>| {
        let name = format!("__infraql_w{}", lifted.len() + 1);
        lifted.push(Item {
            count,
            window: true,
            ..Item::new(&name, sql, ty)
        });
        name
    };
    let boxed = |e: &Expr, lifted: &mut Vec<Item>| -> Result<Box<Expr>, Unsupported> {
        Ok(Box::new(lift(e, scope, lifted)?))
    };
    Ok(match e {
        Expr::Window { .. } => {
            let ty = type_of(e, scope);
            Expr::Column(name(expr(e, scope)?, ty, is_count(e, scope), lifted))
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
        // A sum of counts needs no check (see `Item::count`).
        Expr::Checked { expr: inner, .. } if needs_no_check(inner, scope) => {
            lift(inner, scope, lifted)?
        }
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
                    let sql = window_with(
                        *function,
                        args,
                        partition,
                        order,
                        scope,
                        widened_first(args, scope)?,
                    )?;
                    Box::new(Expr::Column(name(sql, Type::Int, false, lifted)))
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

/// The columns among the keys.
pub(super) fn column_names(keys: &[SortKey]) -> Vec<&str> {
    keys.iter()
        .filter_map(|k| match &k.expr {
            Expr::Column(name) => Some(name.as_str()),
            _ => None,
        })
        .collect()
}

/// Whether `e` is a count of rows (see [`Item::count`]): a count, a
/// column holding one, or a sum (or running sum) of counts.
pub(super) fn is_count(e: &Expr, scope: &Scope) -> bool {
    match e {
        Expr::Aggregate(
            Aggregate::CountRows | Aggregate::Count | Aggregate::CountIf | Aggregate::CountDistinct,
            _,
        ) => true,
        Expr::Column(name) => scope.item(name).is_some_and(|i| i.count),
        Expr::Aggregate(Aggregate::Sum, args)
        | Expr::Window {
            function:
                WindowKind::Aggregate(Aggregate::Sum) | WindowKind::Position(WindowFunction::CumSum),
            args,
            ..
        } => args.first().is_some_and(|x| is_count(x, scope)),
        Expr::Checked { expr, .. } => needs_no_check(expr, scope) && is_count(expr, scope),
        _ => false,
    }
}

/// Whether checked arithmetic `e` cannot leave Int64: a sum of counts, or
/// the difference of two counts (both between 0 and Int64's maximum).
fn needs_no_check(e: &Expr, scope: &Scope) -> bool {
    match e {
        Expr::Binary(BinaryOp::Sub, l, r) => is_count(l, scope) && is_count(r, scope),
        _ => is_count(e, scope),
    }
}

/// Whether `e` holds a window function.
pub(super) fn has_window(e: &Expr) -> bool {
    matches!(e, Expr::Window { .. }) || e.children().into_iter().any(has_window)
}

/// `ORDER BY` items, nulls last always.
pub(super) fn order_by<'k>(
    keys: impl Iterator<Item = &'k SortKey>,
    scope: &Scope,
) -> Result<Vec<String>, Unsupported> {
    keys.map(|key| {
        let direction = if key.descending { "DESC" } else { "ASC" };
        Ok(format!(
            "{} {direction} NULLS LAST",
            expr(&key.expr, scope)?
        ))
    })
    .collect()
}

pub(super) fn literal(value: &Value) -> String {
    match value {
        Value::Int(n) => format!("toInt64({n})"),
        Value::Float(f) => {
            // A literal with a point or an exponent is a Float64 there.
            if f.is_finite() {
                float_text(*f)
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
pub(super) fn type_of(e: &Expr, scope: &Scope) -> Type {
    let columns = scope;
    let first = |args: &[Expr]| args.first().map_or(Type::Null, |a| type_of(a, columns));
    match e {
        Expr::Column(name) => scope.item(name).map_or(Type::Null, |i| i.ty),
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
        Aggregate::ConcatAgg => Type::String,
        Aggregate::Sum
        | Aggregate::Min
        | Aggregate::Max
        | Aggregate::First
        | Aggregate::Last
        | Aggregate::AnyValue
        | Aggregate::ArgMax
        | Aggregate::ArgMin => input,
    }
}

/// `e` over `columns` as a ClickHouse expression.
pub(super) fn expr(e: &Expr, scope: &Scope) -> Result<String, Unsupported> {
    let columns = scope;
    let sql = |e: &Expr| expr(e, columns);
    Ok(match e {
        // Qualified, so a name always means the input's column and never
        // an alias of the same SELECT (ClickHouse lets aliases shadow).
        Expr::Column(name) => scope.column(name),
        Expr::Literal(value) => literal(value),
        Expr::Cast(inner, Type::Datetime) if unix_seconds(inner).is_some() => {
            let seconds = unix_seconds(inner).map_or(Ok(String::new()), &sql)?;
            // Truncated to the microsecond as `toInt64(x * 1e6)` would be
            // (checked on the engine); NaN, infinities and seconds beyond
            // Int64 microseconds are null, as locally.
            seconds_to_datetime(&seconds)
        }
        Expr::Cast(inner, to) => cast(&sql(inner)?, type_of(inner, columns), *to)?,
        Expr::Unary(UnaryOp::Neg, inner) => format!("(-{})", sql(inner)?),
        Expr::Unary(UnaryOp::Not, inner) => format!("(NOT {})", sql(inner)?),
        Expr::Binary(op, l, r) if op.is_comparison() => {
            let floats = [l, r].iter().any(|e| type_of(e, columns) == Type::Float);
            let (l_sql, r_sql) = (compared(l, columns)?, compared(r, columns)?);
            if floats {
                nan_aware(*op, (l, &l_sql), (r, &r_sql))
            } else {
                binary(*op, &l_sql, &r_sql)
            }
        }
        Expr::Binary(op, l, r) => binary(*op, &sql(l)?, &sql(r)?),
        Expr::StringTest(test, text, pattern) => string_test(*test, &sql(text)?, pattern, columns)?,
        Expr::Function(function, args) => function_call(*function, args, columns)?,
        Expr::Aggregate(aggregate, args) => aggregate_call(*aggregate, args, columns, None, "")?,
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

/// A side of a comparison: an integer literal is written bare, so that
/// `status >= 200` compares a UInt16 column with a small constant as a
/// hand-written statement does (ClickHouse compares integers of any widths
/// and signs exactly, so the answer is the same as with `toInt64(200)`).
fn compared(e: &Expr, scope: &Scope) -> Result<String, Unsupported> {
    match e {
        Expr::Literal(Value::Int(n)) => Ok(n.to_string()),
        _ => expr(e, scope),
    }
}

/// A finite float as ClickHouse reads a Float64 literal: always with a
/// point or an exponent, and exact (Rust prints the shortest text that
/// reads back as the same double).
fn float_text(f: f64) -> String {
    let text = format!("{f:?}");
    if text.contains(['.', 'e', 'E']) {
        text
    } else {
        format!("{text}.0")
    }
}

/// The seconds ClickHouse's DateTime64 holds, years 0000 to 9999
/// (`[low, end)`); beyond them it clamps to the first or last instant.
pub(super) const SERVER_SECONDS: (f64, f64) = (-62_167_219_200.0, 253_402_300_800.0);

/// `to_datetime(seconds)`: null where the language's is (NaN, infinities,
/// beyond Int64 microseconds); a time the language has but the server
/// cannot hold (before year 0 or after 9999) fails the query with
/// [`TIME_RANGE_MARK`] rather than being clamped. The failing branch is
/// reached only by rows outside the server's years, and its test is exact
/// on its own, so it throws for no other row whatever the engine
/// evaluates.
pub(super) fn seconds_to_datetime(seconds: &str) -> String {
    let (x, again) = shared(seconds);
    let (low, end) = SERVER_SECONDS;
    let (language_low, language_end) = unix_seconds_range();
    let inside = |l: f64, e: f64| {
        format!(
            "{again} >= {} AND {again} < {}",
            float_text(l),
            float_text(e)
        )
    };
    let beyond = format!(
        "NOT ({}) AND {}",
        inside(low, end),
        inside(language_low, language_end)
    );
    format!(
        "toDateTime64(if({x} >= {} AND {again} < {}, {again}, nullIf(toFloat64(throwIf({beyond}, '{TIME_RANGE_MARK}')), 0)), 6, 'UTC')",
        float_text(low),
        float_text(end)
    )
}

/// `to_datetime(seconds)` for seconds known to be inside the server's
/// years: no guard needed.
pub(super) fn plain_datetime(seconds: &str) -> String {
    format!("toDateTime64({seconds}, 6, 'UTC')")
}

/// `if(low <= x AND x < end, value(x), NULL)` with the bounds written
/// exactly; NaN is outside.
fn within(x: &str, (low, end): (f64, f64), value: impl Fn(&str) -> String) -> String {
    let (x, again) = shared(x);
    format!(
        "if({x} >= {} AND {again} < {}, {}, NULL)",
        float_text(low),
        float_text(end),
        value(&again)
    )
}

/// A comparison of floats with the language's NaN: the greatest float and
/// equal to itself, as locally (and in DuckDB and PostgreSQL), where
/// ClickHouse's NaN compares as nothing. Against a constant other than NaN
/// only `>` and `>=` need a second test; otherwise both sides are looked
/// at. A null side stays null: a null condition in `if` takes the plain
/// comparison, which is null.
fn nan_aware(op: BinaryOp, (l, l_sql): (&Expr, &str), (r, r_sql): (&Expr, &str)) -> String {
    let number = |e: &Expr| match e {
        Expr::Literal(Value::Float(f)) => !f.is_nan(),
        Expr::Literal(Value::Int(_)) => true,
        _ => false,
    };
    // `c < x` is `x > c`: constants on the right.
    let (op, x, c, constant) = match (number(l), number(r)) {
        (false, true) => (op, l_sql, r_sql, true),
        (true, false) => (flipped(op), r_sql, l_sql, true),
        _ => (op, l_sql, r_sql, false),
    };
    if constant {
        return match op {
            BinaryOp::Gt | BinaryOp::GtEq => {
                let (x, again) = shared(x);
                format!("({} OR isNaN({again}))", binary(op, &x, c))
            }
            _ => binary(op, x, c),
        };
    }
    let (a, a2) = shared(x);
    let (b, b2) = shared(c);
    match op {
        BinaryOp::Eq => {
            format!("if(isNaN({a}) OR isNaN({b}), isNaN({a2}) AND isNaN({b2}), {a2} = {b2})")
        }
        BinaryOp::NotEq => {
            format!("if(isNaN({a}) OR isNaN({b}), NOT (isNaN({a2}) AND isNaN({b2})), {a2} != {b2})")
        }
        BinaryOp::Gt => {
            format!("if(isNaN({a}) OR isNaN({b}), isNaN({a2}) AND NOT isNaN({b2}), {a2} > {b2})")
        }
        BinaryOp::GtEq => format!("if(isNaN({a}) OR isNaN({b}), isNaN({a2}), {a2} >= {b2})"),
        BinaryOp::Lt => {
            format!("if(isNaN({a}) OR isNaN({b}), isNaN({b2}) AND NOT isNaN({a2}), {a2} < {b2})")
        }
        _ => format!("if(isNaN({a}) OR isNaN({b}), isNaN({b2}), {a2} <= {b2})"),
    }
}

/// `op` with its sides swapped: `a op b` is `b flipped(op) a`.
fn flipped(op: BinaryOp) -> BinaryOp {
    match op {
        BinaryOp::Lt => BinaryOp::Gt,
        BinaryOp::LtEq => BinaryOp::GtEq,
        BinaryOp::Gt => BinaryOp::Lt,
        BinaryOp::GtEq => BinaryOp::LtEq,
        other => other,
    }
}

fn binary(op: BinaryOp, l: &str, r: &str) -> String {
    match op {
        BinaryOp::Add => format!("({l} + {r})"),
        BinaryOp::Sub => format!("({l} - {r})"),
        BinaryOp::Mul => format!("({l} * {r})"),
        // Division by zero is null, not inf or nan (-0.0 = 0 too).
        BinaryOp::Div => format!("({l} / nullIf({r}, 0))"),
        // ClickHouse's `%` takes the dividend's sign, as the language does.
        BinaryOp::Rem => format!("({l} % nullIf({r}, 0))"),
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
        // true is 1 and false 0 on both engines (`avg(status == 429)`).
        (Bool, Int) => format!("toInt64({x})"),
        (Bool, Float) => format!("toFloat64({x})"),
        // Exactly the floats that truncate into an Int64, as locally.
        (Float, Int) => {
            let limit = 2f64.powi(63);
            within(x, (-limit, limit), |x| format!("toInt64({x})"))
        }
        (Duration, Int) | (Int, Duration) => x.to_owned(),
        (Datetime, Int) => format!("toUnixTimestamp64Micro({x})"),
        // Microseconds outside the server's years fail rather than clamp.
        (Int, Datetime) => {
            let (micros, again) = shared(x);
            let (low, end) = SERVER_SECONDS;
            let (low, end) = (low as i64 * 1_000_000, end as i64 * 1_000_000);
            format!(
                "fromUnixTimestamp64Micro({micros} + throwIf({again} < {low} OR {again} >= {end}, '{TIME_RANGE_MARK}'), 'UTC')"
            )
        }
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
pub(super) fn differing_class(pattern: &str) -> Option<String> {
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
            bin(&arg(0), width)
        }
        Function::Date => format!("toDate32({})", arg(0)),
        Function::Year => format!("toInt64(toYear({}))", arg(0)),
        Function::Month => format!("toInt64(toMonth({}))", arg(0)),
        Function::Day => format!("toInt64(toDayOfMonth({}))", arg(0)),
        Function::Hour => format!("toInt64(toHour({}))", arg(0)),
        Function::Minute => format!("toInt64(toMinute({}))", arg(0)),
    })
}

/// The seconds inside the plan of `to_datetime(seconds)`:
/// `(seconds * 1e6) as int` (see `plan::resolve::calls::to_datetime`).
fn unix_seconds(e: &Expr) -> Option<&Expr> {
    let Expr::Cast(product, Type::Int) = e else {
        return None;
    };
    match &**product {
        Expr::Binary(BinaryOp::Mul, x, factor)
            if **factor == Expr::Literal(Value::Float(1_000_000.0)) =>
        {
            Some(x)
        }
        _ => None,
    }
}

/// `bin(t, width)` for a datetime `t`: the start of its interval, the
/// intervals aligned to the epoch as locally. A width that divides a day
/// into whole seconds is the same interval as ClickHouse's
/// `toStartOfInterval` (aligned to midnight, which the epoch is); other
/// widths (7h, 1w, 1.5s) are computed on the microseconds. Needs
/// `enable_extended_results_for_datetime_functions`, which every
/// statement is sent with, so that times before 1970 keep their value.
fn bin(t: &str, width: i64) -> String {
    const SECOND: i64 = 1_000_000;
    const DAY: i64 = 86_400 * SECOND;
    // The start is of `t`'s type (DateTime for a DateTime column), so it
    // is cast to the language's datetime here, where its type is known.
    let utc = |start: String| format!("toDateTime64({start}, 6, 'UTC')");
    if width % SECOND == 0 && DAY % width == 0 {
        return match width {
            DAY => utc(format!("toStartOfDay({t})")),
            w if w == 3_600 * SECOND => utc(format!("toStartOfHour({t})")),
            w if w == 60 * SECOND => utc(format!("toStartOfMinute({t})")),
            w => {
                let (n, unit) = if w % (3_600 * SECOND) == 0 {
                    (w / (3_600 * SECOND), "HOUR")
                } else if w % (60 * SECOND) == 0 {
                    (w / (60 * SECOND), "MINUTE")
                } else {
                    (w / SECOND, "SECOND")
                };
                format!("toDateTime64(toStartOfInterval({t}, INTERVAL {n} {unit}), 6, 'UTC')")
            }
        };
    }
    let (micros, again) = shared(&format!("toUnixTimestamp64Micro({t})"));
    format!("fromUnixTimestamp64Micro({micros} - positiveModulo({again}, toInt64({width})), 'UTC')")
}

/// An aggregate; `wide` replaces its first argument (checked sums).
/// `over` follows every aggregate function call inside it (` OVER (…)`
/// for a window, empty otherwise), so that wrappers such as `toInt64(…)`
/// stay outside the window.
fn aggregate_call(
    aggregate: Aggregate,
    args: &[Expr],
    scope: &Scope,
    wide: Option<String>,
    over: &str,
) -> Result<String, Unsupported> {
    let columns = scope;
    let x = match wide {
        Some(x) => x,
        None => match args.first() {
            Some(a) => expr(a, columns)?,
            None => "NULL".to_owned(),
        },
    };
    let o = over;
    let or_null = if scope.whole { "OrNull" } else { "" };
    Ok(match aggregate {
        Aggregate::CountRows => format!("toInt64(count(){o})"),
        Aggregate::Count => format!("toInt64(count({x}){o})"),
        Aggregate::CountIf => format!("toInt64(countIf({x}){o})"),
        // Of no values these are null in the language; ClickHouse gives 0
        // or nan for an input with no rows, so an `agg` without groups asks
        // for null (`…OrNull`). A group or a window is never empty, and
        // ClickHouse gives null for one of nulls only: there the plain
        // functions, which plan faster.
        Aggregate::Sum => format!("sum{or_null}({x}){o}"),
        Aggregate::Avg => format!("avg{or_null}({x}){o}"),
        Aggregate::Min => format!("min{or_null}({x}){o}"),
        Aggregate::Max => format!("max{or_null}({x}){o}"),
        Aggregate::Median => format!("quantileExactInclusive{or_null}(0.5)({x}){o}"),
        Aggregate::Quantile => {
            let q = match args.get(1) {
                Some(Expr::Literal(Value::Float(q))) => *q,
                _ => return Err(unsupported("`quantile` needs a level written out", None)),
            };
            format!("quantileExactInclusive{or_null}({q:?})({x}){o}")
        }
        Aggregate::CountDistinct => format!("toInt64(uniqExact({x}){o})"),
        Aggregate::Std => {
            let (first, again) = shared(&x);
            format!("if(count({first}){o} > 1, stddevSamp({again}){o}, NULL)")
        }
        Aggregate::AnyValue => format!("any{or_null}({x}){o}"),
        Aggregate::ArgMax | Aggregate::ArgMin => {
            let by = match args.get(1) {
                Some(by) => expr(by, columns)?,
                None => return Err(unsupported("`arg_max` needs two arguments", None)),
            };
            let (x, x_again) = shared(&x);
            let (by, by_again) = shared(&by);
            let both = format!("isNotNull({x}) AND isNotNull({by})");
            let (both, both_again) = shared(&both);
            // Tuples compare by `by` first, then by x: ties take the
            // largest (smallest) x, as locally.
            let extreme = if aggregate == Aggregate::ArgMax {
                "max"
            } else {
                "min"
            };
            format!(
                "if(countIf({both}){o} = 0, NULL, tupleElement({extreme}If(tuple({by_again}, {x_again}), {both_again}){o}, 2))"
            )
        }
        Aggregate::ConcatAgg => {
            let separator = match args.get(1) {
                Some(Expr::Literal(Value::String(s))) => s.clone(),
                _ => ", ".to_owned(),
            };
            let (x, again) = shared(&x);
            // Sorted, so the answer does not depend on the order rows
            // arrive in; groupArray skips nulls.
            format!(
                "if(count({x}){o} = 0, NULL, arrayStringConcat(arraySort(groupArray({again}){o}), {}))",
                literal(&Value::String(separator))
            )
        }
        Aggregate::First | Aggregate::Last => {
            return Err(unsupported(
                "`first` and `last` depend on the order rows arrive in, which ClickHouse does not keep",
                Some("use min or max, or arg_min/arg_max"),
            ));
        }
    })
}

/// `e` as Int128, where checked arithmetic is computed.
fn widened(e: &Expr, scope: &Scope) -> Result<String, Unsupported> {
    Ok(format!("toInt128({})", expr(e, scope)?))
}

/// The first argument as Int128, if there is one (checked sums).
fn widened_first(args: &[Expr], scope: &Scope) -> Result<Option<String>, Unsupported> {
    args.first().map(|x| widened(x, scope)).transpose()
}

/// Checked integer arithmetic: computed in Int128 and narrowed, failing
/// with [`OVERFLOW_MARK`] outside Int64.
fn checked(inner: &Expr, scope: &Scope) -> Result<String, Unsupported> {
    if needs_no_check(inner, scope) {
        return expr(inner, scope);
    }
    let columns = scope;
    let wide = |e: &Expr| widened(e, columns);
    let computed = match inner {
        Expr::Binary(op, l, r) => binary(*op, &wide(l)?, &wide(r)?),
        Expr::Unary(UnaryOp::Neg, x) => format!("(-{})", wide(x)?),
        Expr::Function(Function::Abs, args) => match args.first() {
            Some(x) => format!("abs({})", wide(x)?),
            None => "NULL".to_owned(),
        },
        Expr::Aggregate(aggregate, args) => {
            aggregate_call(*aggregate, args, columns, widened_first(args, columns)?, "")?
        }
        Expr::Window {
            function,
            args,
            partition,
            order,
        } => window_with(
            *function,
            args,
            partition,
            order,
            columns,
            widened_first(args, columns)?,
        )?,
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
        let mut keys = order_by(order.iter(), columns)?;
        if what != "rank" {
            keys.extend(tie_breakers(columns, &column_names(order)));
        }
        Ok(format!("ORDER BY {}", keys.join(", ")))
    };
    let x = match (&wide, args.first()) {
        (Some(w), _) => w.clone(),
        (None, Some(a)) => expr(a, columns)?,
        (None, None) => "NULL".to_owned(),
    };
    Ok(match function {
        WindowKind::Aggregate(aggregate) => {
            let over = format!(" OVER ({partition_by})");
            aggregate_call(aggregate, args, columns, wide.clone(), &over)?
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
    fn bins_that_divide_a_day_use_start_of_interval_others_the_microseconds() {
        assert_eq!(
            bin("t", 3_600_000_000),
            "toDateTime64(toStartOfHour(t), 6, 'UTC')"
        );
        assert_eq!(
            bin("t", 86_400_000_000),
            "toDateTime64(toStartOfDay(t), 6, 'UTC')"
        );
        assert_eq!(
            bin("t", 900_000_000),
            "toDateTime64(toStartOfInterval(t, INTERVAL 15 MINUTE), 6, 'UTC')"
        );
        assert_eq!(
            bin("t", 6 * 3_600_000_000),
            "toDateTime64(toStartOfInterval(t, INTERVAL 6 HOUR), 6, 'UTC')"
        );
        // 7h and 1w do not divide a day, 1.5s is not whole seconds.
        for width in [7 * 3_600_000_000, 7 * 86_400_000_000, 1_500_000] {
            assert!(bin("t", width).contains("positiveModulo"), "{width}");
        }
    }

    #[test]
    fn atoms_are_names_numbers_and_single_calls() {
        assert!(is_atom("t1.`a`"));
        assert!(is_atom("toInt64(count())"));
        assert!(is_atom("f(')')"));
        assert!(!is_atom("f(a) + g(b)"));
        assert!(!is_atom("(a) + (b)"));
        assert!(!is_atom("a + b"));
    }

    #[test]
    fn an_output_cast_is_not_written_twice() {
        assert_eq!(
            output_cast("toInt64(count())", Type::Int),
            "toInt64(count())"
        );
        assert_eq!(
            output_cast("toInt64(a) + 1", Type::Int),
            "toInt64(toInt64(a) + 1)"
        );
        assert_eq!(output_cast("t1.`n`", Type::Float), "toFloat64(t1.`n`)");
    }

    #[test]
    fn floats_are_written_so_they_read_back_as_the_same_float64() {
        assert_eq!(float_text(1763337600.0), "1763337600.0");
        assert_eq!(float_text(-0.5), "-0.5");
        assert_eq!(float_text(1e300), "1e300");
        let (low, end) = unix_seconds_range();
        for f in [low, end, 0.1, 2f64.powi(63), f64::MIN_POSITIVE] {
            assert_eq!(float_text(f).parse::<f64>(), Ok(f));
        }
    }

    #[test]
    fn number_literals_in_comparisons_are_bare_elsewhere_typed() {
        let items = [Item {
            name: "status".into(),
            sql: "t1.`status`".into(),
            ty: Type::Int,
            count: false,
            window: false,
        }];
        let scope = Scope::new(&items, false, None);
        let column = || Box::new(Expr::Column("status".into()));
        let int = |n| Box::new(Expr::Literal(Value::Int(n)));
        let compared = Expr::Binary(BinaryOp::GtEq, column(), int(200));
        assert_eq!(expr(&compared, &scope), Ok("(t1.`status` >= 200)".into()));
        let flipped = Expr::Binary(BinaryOp::Lt, int(-3), column());
        assert_eq!(expr(&flipped, &scope), Ok("(-3 < t1.`status`)".into()));
        let sum = Expr::Binary(BinaryOp::Add, column(), int(200));
        assert_eq!(
            expr(&sum, &scope),
            Ok("(t1.`status` + toInt64(200))".into())
        );
    }

    #[test]
    fn a_float_becomes_an_int_only_inside_int64s_exact_range() {
        let sql = cast("x", Type::Float, Type::Int).unwrap_or_default();
        assert_eq!(
            sql,
            "if(x >= -9.223372036854776e18 AND x < 9.223372036854776e18, toInt64(x), NULL)"
        );
    }
}
