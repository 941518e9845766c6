//! Logical expressions to Polars expressions.

use ::polars::prelude::{
    self as pl, DataType, NULL, NamedFrom, QuantileMethod, RoundMode, Series, StrptimeOptions,
    TimeUnit, coalesce, concat_str, int_range, len, lit, when,
};

use chrono::NaiveDate;

use crate::plan::functions::{Aggregate, Function, WindowFunction};
use crate::plan::logical::{BinaryOp, Expr, SortKey, StringTest, UnaryOp, Value, WindowKind};
use crate::plan::types::Type;

use super::types::to_dtype;

pub fn lower(expr: &Expr) -> pl::Expr {
    match expr {
        Expr::Column(name) => pl::col(name.as_str()),
        Expr::Literal(value) => literal(value),
        Expr::Cast(inner, ty) => lower(inner).cast(to_dtype(*ty)),
        Expr::Unary(UnaryOp::Neg, inner) => lit(0i64) - lower(inner),
        Expr::Unary(UnaryOp::Not, inner) => lower(inner).not(),
        Expr::Binary(op, left, right) => binary(*op, lower(left), lower(right)),
        Expr::StringTest(test, text, pattern) => string_test(*test, lower(text), pattern),
        Expr::Function(function, args) => function_call(*function, args),
        Expr::Aggregate(aggregate, args) => aggregate_call(*aggregate, args, lower_first(args)),
        Expr::If(condition, then, otherwise) => when(lower(condition))
            .then(lower_typed(then))
            .otherwise(lower_typed(otherwise)),
        Expr::Checked { expr, .. } => checked(expr),
        Expr::InList {
            expr,
            values,
            negated,
        } => {
            let test = lower(expr).is_in(lit(list_series(values)).implode(false), false);
            if *negated { test.not() } else { test }
        }
        Expr::Window {
            function,
            args,
            partition,
            order,
        } => window(*function, args, lower_first(args), partition, order),
        Expr::IsNull { expr, negated } => {
            if *negated {
                lower(expr).is_not_null()
            } else {
                lower(expr).is_null()
            }
        }
    }
}

/// Like [`lower`], but an integer constant is a 64-bit integer from the
/// start. Polars gives a bare integer constant the narrowest type it fits
/// and widens it where it meets a column; where it meets only other
/// constants (`coalesce(1, 10B)`), mixed widths are not always reconciled.
fn lower_typed(expr: &Expr) -> pl::Expr {
    match expr {
        Expr::Literal(Value::Int(n)) => typed_int(*n),
        other => lower(other),
    }
}

/// A 64-bit (or 128-bit) integer constant, typed as such.
fn typed_int(n: i64) -> pl::Expr {
    lit(pl::Scalar::new(DataType::Int64, pl::AnyValue::Int64(n)))
}

/// The first argument of a call, lowered (null when there is none).
fn lower_first(args: &[Expr]) -> pl::Expr {
    args.first().map(lower).unwrap_or_else(|| lit(NULL))
}

/// Integer arithmetic computed in 128 bits, then narrowed to 64 strictly:
/// a result that does not fit fails the query instead of wrapping (see
/// `errors::is_overflow`).
fn checked(inner: &Expr) -> pl::Expr {
    let wide = |e: &Expr| lower_typed(e).cast(DataType::Int128);
    let computed = match inner {
        Expr::Binary(op, l, r) => binary(*op, wide(l), wide(r)),
        Expr::Unary(UnaryOp::Neg, x) => typed_int(0).cast(DataType::Int128) - wide(x),
        Expr::Function(Function::Abs, args) => args.first().map_or(lit(NULL), wide).abs(),
        Expr::Aggregate(aggregate, args) => {
            aggregate_call(*aggregate, args, args.first().map_or(lit(NULL), wide))
        }
        Expr::Window {
            function,
            args,
            partition,
            order,
        } => window(
            *function,
            args,
            args.first().map_or(lit(NULL), wide),
            partition,
            order,
        ),
        other => return lower(other),
    };
    computed.strict_cast(DataType::Int64)
}

fn literal(value: &Value) -> pl::Expr {
    match value {
        Value::Int(n) => lit(*n),
        Value::Float(f) => lit(*f),
        Value::String(s) => lit(s.as_str()),
        Value::Bool(b) => lit(*b),
        Value::Null => lit(NULL),
        Value::Date(d) => {
            let days = d.signed_duration_since(NaiveDate::default()).num_days();
            lit(days).cast(DataType::Date)
        }
        Value::Datetime(t) => lit(t.and_utc().timestamp_micros()).cast(to_dtype(Type::Datetime)),
        Value::Duration(micros) => lit(*micros).cast(to_dtype(Type::Duration)),
    }
}

/// 1, 2, 3, … over the rows (of each partition, once `over` is applied).
fn row_number() -> pl::Expr {
    int_range(lit(0i64), len(), 1, DataType::Int64) + lit(1i64)
}

/// A window; `x` is its first argument, lowered.
fn window(
    function: WindowKind,
    args: &[Expr],
    x: pl::Expr,
    partition: &[Expr],
    order: &[SortKey],
) -> pl::Expr {
    let partition: Vec<pl::Expr> = partition.iter().map(lower).collect();
    let over = |e: pl::Expr| {
        if partition.is_empty() {
            return e;
        }
        // `over` fails only for an empty partition, ruled out above.
        e.clone().over(&partition).unwrap_or(e)
    };
    match function {
        WindowKind::Aggregate(aggregate) => over(aggregate_call(aggregate, args, x)),
        WindowKind::Position(WindowFunction::RowNumber) => over(row_number()),
        WindowKind::Position(WindowFunction::CumSum) => over(x.cum_sum(false)),
        WindowKind::Position(WindowFunction::Rank) => {
            // Rows arrive sorted by `order`, so a row's rank is the row
            // number of the first row of its run of equal keys: mark where
            // the keys change and carry that row number forward.
            let changed = order
                .iter()
                .map(|key| {
                    let k = lower(&key.expr);
                    over(k.clone().neq_missing(k.shift(lit(1i64))))
                })
                .reduce(|a, b| a.or(b))
                .unwrap_or_else(|| lit(true));
            let start_of_run = when(changed).then(over(row_number())).otherwise(lit(0i64));
            over(start_of_run.cum_max(false))
        }
    }
}

/// The values of an `in [...]` list as one Series of their common type
/// (resolution leaves no nulls in the list and gives the values one type).
fn list_series(values: &[Value]) -> Series {
    let name = "values".into();
    let micros = |v: &Value| match v {
        Value::Datetime(t) => Some(t.and_utc().timestamp_micros()),
        Value::Duration(d) => Some(*d),
        _ => None,
    };
    match values.first() {
        Some(Value::Date(_)) => {
            let days: Vec<Option<i32>> = values
                .iter()
                .map(|v| match v {
                    Value::Date(d) => {
                        i32::try_from(d.signed_duration_since(NaiveDate::default()).num_days()).ok()
                    }
                    _ => None,
                })
                .collect();
            let series = Series::new(name, days);
            return series.cast(&DataType::Date).unwrap_or(series);
        }
        Some(v @ (Value::Datetime(_) | Value::Duration(_))) => {
            let ty = if matches!(v, Value::Datetime(_)) {
                Type::Datetime
            } else {
                Type::Duration
            };
            let series = Series::new(name, values.iter().map(micros).collect::<Vec<_>>());
            return series.cast(&to_dtype(ty)).unwrap_or(series);
        }
        _ => {}
    }
    if values.iter().any(|v| matches!(v, Value::Float(_))) {
        let floats: Vec<Option<f64>> = values
            .iter()
            .map(|v| match v {
                Value::Int(n) => Some(*n as f64),
                Value::Float(f) => Some(*f),
                _ => None,
            })
            .collect();
        return Series::new(name, floats);
    }
    if values.iter().any(|v| matches!(v, Value::Int(_))) {
        let ints: Vec<Option<i64>> = values
            .iter()
            .map(|v| {
                if let Value::Int(n) = v {
                    Some(*n)
                } else {
                    None
                }
            })
            .collect();
        return Series::new(name, ints);
    }
    if values.iter().any(|v| matches!(v, Value::Bool(_))) {
        let bools: Vec<Option<bool>> = values
            .iter()
            .map(|v| {
                if let Value::Bool(b) = v {
                    Some(*b)
                } else {
                    None
                }
            })
            .collect();
        return Series::new(name, bools);
    }
    let strings: Vec<Option<&str>> = values
        .iter()
        .map(|v| {
            if let Value::String(s) = v {
                Some(s.as_str())
            } else {
                None
            }
        })
        .collect();
    Series::new(name, strings)
}

fn binary(op: BinaryOp, l: pl::Expr, r: pl::Expr) -> pl::Expr {
    match op {
        BinaryOp::Add => l + r,
        BinaryOp::Sub => l - r,
        BinaryOp::Mul => l * r,
        // Division by zero gives null, as in SQL engines, not infinity.
        BinaryOp::Div => when(r.clone().eq(lit(0))).then(lit(NULL)).otherwise(l / r),
        // The remainder takes the sign of the dividend, as in SQL, C and
        // Rust (and in constant folding): -7 % 3 is -1. Polars' `%` takes
        // the divisor's (2), so a nonzero result of the other sign is moved
        // back by one divisor.
        BinaryOp::Rem => {
            let floored = l.clone() % r.clone();
            let other_sign = floored
                .clone()
                .neq(lit(0))
                .and(l.lt(lit(0)).neq(r.clone().lt(lit(0))));
            let truncated = when(other_sign)
                .then(floored.clone() - r.clone())
                .otherwise(floored);
            when(r.eq(lit(0))).then(lit(NULL)).otherwise(truncated)
        }
        BinaryOp::Eq => l.eq(r),
        BinaryOp::NotEq => l.neq(r),
        BinaryOp::Lt => l.lt(r),
        BinaryOp::LtEq => l.lt_eq(r),
        BinaryOp::Gt => l.gt(r),
        BinaryOp::GtEq => l.gt_eq(r),
        BinaryOp::And => l.and(r),
        BinaryOp::Or => l.or(r),
    }
}

fn string_test(test: StringTest, text: pl::Expr, pattern: &Expr) -> pl::Expr {
    match test {
        StringTest::Contains => text.str().contains_literal(lower(pattern)),
        StringTest::StartsWith => text.str().starts_with(lower(pattern)),
        StringTest::EndsWith => text.str().ends_with(lower(pattern)),
        StringTest::Like => {
            let regex = match pattern {
                Expr::Literal(Value::String(p)) => like_to_regex(p),
                // Resolution only lets literal patterns through.
                _ => String::from("$^"),
            };
            text.str().contains(lit(regex), true)
        }
        StringTest::Matches => text.str().contains(lower(pattern), true),
    }
}

/// A LIKE pattern as an anchored regular expression.
pub fn like_to_regex(pattern: &str) -> String {
    let mut out = String::from("(?s)^");
    for c in pattern.chars() {
        match c {
            '%' => out.push_str(".*"),
            '_' => out.push('.'),
            c => out.push_str(&regex::escape(&c.to_string())),
        }
    }
    out.push('$');
    out
}

fn function_call(function: Function, args: &[Expr]) -> pl::Expr {
    let mut lowered: Vec<pl::Expr> = args.iter().map(lower_typed).collect();
    let arg = |i: usize| lowered.get(i).cloned().unwrap_or_else(|| lit(NULL));
    match function {
        Function::Lower => arg(0).str().to_lowercase(),
        Function::Upper => arg(0).str().to_uppercase(),
        Function::Len => arg(0).str().len_chars().cast(DataType::Int64),
        Function::Abs => arg(0).abs(),
        Function::Round => {
            let digits = match args.get(1) {
                Some(Expr::Literal(Value::Int(d))) => u32::try_from(*d).unwrap_or(0),
                _ => 0,
            };
            arg(0).round(digits, RoundMode::HalfAwayFromZero)
        }
        Function::Coalesce => coalesce(&lowered),
        Function::Concat => concat_str(std::mem::take(&mut lowered), "", false),
        Function::Replace => arg(0).str().replace_all(arg(1), arg(2), true),
        Function::Floor => arg(0).floor(),
        Function::ToDatetime => {
            // The ISO 8601 shapes people write, tried in turn; text none of
            // them reads becomes null.
            const FORMATS: [&str; 6] = [
                "%Y-%m-%dT%H:%M:%S%.f",
                "%Y-%m-%dT%H:%M:%S%.fZ",
                "%Y-%m-%d %H:%M:%S%.f",
                "%Y-%m-%dT%H:%M",
                "%Y-%m-%d %H:%M",
                "%Y-%m-%d",
            ];
            let text = arg(0);
            let attempts: Vec<pl::Expr> = FORMATS
                .iter()
                .map(|format| {
                    let options = StrptimeOptions {
                        format: Some((*format).into()),
                        strict: false,
                        exact: true,
                        cache: true,
                    };
                    text.clone().str().to_datetime(
                        Some(TimeUnit::Microseconds),
                        None,
                        options,
                        lit("raise"),
                    )
                })
                .collect();
            coalesce(&attempts)
        }
        Function::Bin => {
            let width = match args.get(1) {
                Some(Expr::Literal(Value::Duration(micros))) => *micros,
                // Resolution only lets positive constant widths through.
                _ => 1,
            };
            arg(0).dt().truncate(lit(format!("{width}us")))
        }
        Function::Date => arg(0).dt().date(),
        Function::Year => arg(0).dt().year().cast(DataType::Int64),
        Function::Month => arg(0).dt().month().cast(DataType::Int64),
        Function::Day => arg(0).dt().day().cast(DataType::Int64),
        Function::Hour => arg(0).dt().hour().cast(DataType::Int64),
        Function::Minute => arg(0).dt().minute().cast(DataType::Int64),
        Function::Substr => {
            let start = (arg(1) - lit(1i64)).cast(DataType::Int64);
            let length = if args.len() > 2 {
                arg(2).cast(DataType::UInt64)
            } else {
                lit(NULL)
            };
            arg(0).str().slice(start, length)
        }
    }
}

/// An aggregate; `x` is its first argument, lowered.
fn aggregate_call(aggregate: Aggregate, args: &[Expr], x: pl::Expr) -> pl::Expr {
    match aggregate {
        Aggregate::CountRows => len().cast(DataType::Int64),
        Aggregate::Count => x.count().cast(DataType::Int64),
        Aggregate::CountIf => x.sum().cast(DataType::Int64),
        // SQL's sum of no values is null, Polars' is 0: keep the SQL answer.
        Aggregate::Sum => when(x.clone().count().eq(lit(0u32)))
            .then(lit(NULL))
            .otherwise(x.sum()),
        Aggregate::Avg => x.mean(),
        Aggregate::Min => x.min(),
        Aggregate::Max => x.max(),
        Aggregate::Median => x.median(),
        Aggregate::Quantile => {
            let q = match args.get(1) {
                Some(Expr::Literal(Value::Float(q))) => *q,
                _ => 0.5,
            };
            x.quantile(lit(q), QuantileMethod::Linear)
        }
        Aggregate::CountDistinct => x.drop_nulls().n_unique().cast(DataType::Int64),
        Aggregate::First => x.first_non_null(),
        Aggregate::Last => x.last_non_null(),
        Aggregate::Std => x.std(1),
        Aggregate::AnyValue => x.drop_nulls().first(),
        Aggregate::ArgMax | Aggregate::ArgMin => {
            let by = args.get(1).map_or(lit(NULL), lower);
            let both = x.clone().is_not_null().and(by.clone().is_not_null());
            let (x, by) = (x.filter(both.clone()), by.filter(both));
            if aggregate == Aggregate::ArgMax {
                x.filter(by.clone().eq(by.max())).max()
            } else {
                x.filter(by.clone().eq(by.min())).min()
            }
        }
        Aggregate::ConcatAgg => {
            let separator = match args.get(1) {
                Some(Expr::Literal(Value::String(s))) => s.as_str(),
                _ => ", ",
            };
            let values = x.drop_nulls();
            when(values.clone().count().eq(lit(0u32)))
                .then(lit(NULL).cast(DataType::String))
                .otherwise(values.sort(Default::default()).str().join(separator, true))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::like_to_regex;

    #[test]
    fn like_patterns_become_anchored_regexes() {
        assert_eq!(like_to_regex("Api%"), "(?s)^Api.*$");
        assert_eq!(like_to_regex("a_c"), "(?s)^a.c$");
        assert_eq!(like_to_regex("1.5%"), "(?s)^1\\.5.*$");
    }
}
