//! The registry of functions: every name a query can call, what it takes and
//! what it does. Type rules live in `resolve::calls`; this is the list that
//! lookup, "did you mean", `.help` and completion read.

/// A scalar function: one value per row. Some exist only in plans (the
/// resolver turns `to_datetime` of a number into casts, `now()` into a
/// constant), so not every variant has a name of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Function {
    Lower,
    Upper,
    Len,
    Round,
    Floor,
    Abs,
    Coalesce,
    Concat,
    Replace,
    Substr,
    /// Text to datetime (ISO 8601); unreadable text gives null.
    ToDatetime,
    /// `bin(ts, width)`: the start of the interval holding `ts`, intervals
    /// aligned to 1970-01-01T00:00:00.
    Bin,
    Date,
    Year,
    Month,
    Day,
    Hour,
    Minute,
}

/// An aggregate: one value per group. Nulls are skipped by all of them
/// except `count()`, which counts rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Aggregate {
    /// `count()`: rows.
    CountRows,
    /// `count(x)`: non-null values.
    Count,
    CountIf,
    Sum,
    Avg,
    Min,
    Max,
    Median,
    Quantile,
    CountDistinct,
    First,
    Last,
    Std,
    /// `any_value(x)`: some non-null value of the group (which one is not
    /// defined).
    AnyValue,
    /// `arg_max(x, by)`: x on the row where `by` is largest; rows where
    /// either is null are skipped, and among rows that tie on `by` the
    /// largest x is taken, so every engine gives the same answer.
    ArgMax,
    /// `arg_min(x, by)`: x on the row where `by` is smallest; ties take the
    /// smallest x.
    ArgMin,
    /// `concat_agg(text[, separator])`: the non-null values in ascending
    /// order, joined (null when there are none).
    ConcatAgg,
}

/// A function of a row's position among the rows of its partition, in the
/// pipeline's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WindowFunction {
    /// 1, 2, 3, … in order.
    RowNumber,
    /// Like SQL RANK: rows with equal sort keys share the lowest position.
    Rank,
    /// Running total in order.
    CumSum,
}

/// Functions of the query's clock; the resolver turns them into constants,
/// so a plan holds the instant itself and every engine agrees on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Clock {
    Now,
    Ago,
}

/// What a name refers to when called.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Callable {
    Scalar(Function),
    Aggregate(Aggregate),
    Window(WindowFunction),
    Clock(Clock),
    /// `if(condition, then, else)`
    If,
    /// `p50(x)` … `p99(x)`: `quantile(x, n / 100)`.
    Percentile(u8),
    /// `sumif(x, condition)`, `avgif(x, condition)`: the aggregate over the
    /// rows where the condition is true.
    Conditional(Aggregate),
}

/// One entry of the registry.
#[derive(Debug, Clone, Copy)]
pub struct FunctionInfo {
    pub name: &'static str,
    pub callable: Callable,
    /// How it is called, for help text: `round(x[, digits])`.
    pub usage: &'static str,
    pub summary: &'static str,
}

const fn entry(
    name: &'static str,
    callable: Callable,
    usage: &'static str,
    summary: &'static str,
) -> FunctionInfo {
    FunctionInfo {
        name,
        callable,
        usage,
        summary,
    }
}

use Callable::{
    Aggregate as A, Clock as C, Conditional as Cond, If, Percentile as P, Scalar as S, Window as W,
};

pub const FUNCTIONS: &[FunctionInfo] = &[
    entry(
        "if",
        If,
        "if(condition, then, else)",
        "`then` where the condition is true, `else` otherwise (and where it is null)",
    ),
    entry(
        "lower",
        S(Function::Lower),
        "lower(text)",
        "text in lower case",
    ),
    entry(
        "upper",
        S(Function::Upper),
        "upper(text)",
        "text in upper case",
    ),
    entry("len", S(Function::Len), "len(text)", "number of characters"),
    entry(
        "round",
        S(Function::Round),
        "round(x[, digits])",
        "x rounded half away from zero to `digits` decimals (default 0)",
    ),
    entry(
        "floor",
        S(Function::Floor),
        "floor(x)",
        "largest whole number not above x",
    ),
    entry("abs", S(Function::Abs), "abs(x)", "absolute value"),
    entry(
        "coalesce",
        S(Function::Coalesce),
        "coalesce(a, b, …)",
        "the first argument that is not null",
    ),
    entry(
        "concat",
        S(Function::Concat),
        "concat(a, b, …)",
        "the arguments as text, joined; null if any is null",
    ),
    entry(
        "replace",
        S(Function::Replace),
        "replace(text, from, to)",
        "every occurrence of `from` replaced by `to`",
    ),
    entry(
        "substr",
        S(Function::Substr),
        "substr(text, start[, length])",
        "part of the text; `start` counts from 1",
    ),
    entry(
        "to_datetime",
        S(Function::ToDatetime),
        "to_datetime(x)",
        "a datetime from unix seconds (int or float), ISO 8601 text, or a date",
    ),
    entry(
        "now",
        C(Clock::Now),
        "now()",
        "the current time (fixed for a whole query; --now sets it)",
    ),
    entry(
        "ago",
        C(Clock::Ago),
        "ago(duration)",
        "now() minus the duration",
    ),
    entry(
        "bin",
        S(Function::Bin),
        "bin(x, width)",
        "start of the interval of `width` holding x: bin(ts, 1h) (ts a datetime or unix seconds), bin(latency, 100)",
    ),
    entry(
        "date",
        S(Function::Date),
        "date(ts)",
        "the calendar date of a datetime",
    ),
    entry("year", S(Function::Year), "year(ts)", "the year"),
    entry(
        "month",
        S(Function::Month),
        "month(ts)",
        "the month, 1 to 12",
    ),
    entry(
        "day",
        S(Function::Day),
        "day(ts)",
        "the day of the month, 1 to 31",
    ),
    entry("hour", S(Function::Hour), "hour(ts)", "the hour, 0 to 23"),
    entry(
        "minute",
        S(Function::Minute),
        "minute(ts)",
        "the minute, 0 to 59",
    ),
    entry(
        "count",
        A(Aggregate::Count),
        "count() / count(x)",
        "rows, or non-null values of x",
    ),
    entry(
        "countif",
        A(Aggregate::CountIf),
        "countif(condition)",
        "rows where the condition is true",
    ),
    entry(
        "sum",
        A(Aggregate::Sum),
        "sum(x)",
        "sum of the values (null when there are none)",
    ),
    entry("avg", A(Aggregate::Avg), "avg(x)", "mean of the values"),
    entry("min", A(Aggregate::Min), "min(x)", "smallest value"),
    entry("max", A(Aggregate::Max), "max(x)", "largest value"),
    entry(
        "median",
        A(Aggregate::Median),
        "median(x)",
        "middle value, interpolated between the two nearest",
    ),
    entry(
        "quantile",
        A(Aggregate::Quantile),
        "quantile(x, q)",
        "the q-quantile (0 ≤ q ≤ 1), linear interpolation",
    ),
    entry("p50", P(50), "p50(x)", "the median: quantile(x, 0.5)"),
    entry("p90", P(90), "p90(x)", "quantile(x, 0.9)"),
    entry("p95", P(95), "p95(x)", "quantile(x, 0.95)"),
    entry("p99", P(99), "p99(x)", "quantile(x, 0.99)"),
    entry(
        "sumif",
        Cond(Aggregate::Sum),
        "sumif(x, condition)",
        "sum of x over the rows where the condition is true",
    ),
    entry(
        "avgif",
        Cond(Aggregate::Avg),
        "avgif(x, condition)",
        "mean of x over the rows where the condition is true",
    ),
    entry(
        "any_value",
        A(Aggregate::AnyValue),
        "any_value(x)",
        "some non-null value of x (which one is not defined)",
    ),
    entry(
        "arg_max",
        A(Aggregate::ArgMax),
        "arg_max(x, by)",
        "x on the row with the largest `by` (ties: the largest x)",
    ),
    entry(
        "arg_min",
        A(Aggregate::ArgMin),
        "arg_min(x, by)",
        "x on the row with the smallest `by` (ties: the smallest x)",
    ),
    entry(
        "concat_agg",
        A(Aggregate::ConcatAgg),
        "concat_agg(text[, separator])",
        "the values in ascending order joined by the separator (default \", \")",
    ),
    entry(
        "count_distinct",
        A(Aggregate::CountDistinct),
        "count_distinct(x)",
        "number of distinct non-null values",
    ),
    entry(
        "first",
        A(Aggregate::First),
        "first(x)",
        "first non-null value in row order",
    ),
    entry(
        "last",
        A(Aggregate::Last),
        "last(x)",
        "last non-null value in row order",
    ),
    entry(
        "std",
        A(Aggregate::Std),
        "std(x)",
        "sample standard deviation",
    ),
    entry(
        "row_number",
        W(WindowFunction::RowNumber),
        "row_number() [over (by k)]",
        "1, 2, 3, … in the pipeline's order (per partition)",
    ),
    entry(
        "rank",
        W(WindowFunction::Rank),
        "rank() [over (by k)]",
        "position by the preceding sort; ties share the lowest",
    ),
    entry(
        "cumsum",
        W(WindowFunction::CumSum),
        "cumsum(x) [over (by k)]",
        "running total in the pipeline's order",
    ),
];

pub fn lookup(name: &str) -> Option<&'static FunctionInfo> {
    FUNCTIONS.iter().find(|f| f.name == name)
}

pub fn names() -> impl Iterator<Item = &'static str> {
    FUNCTIONS.iter().map(|f| f.name)
}

/// The name a scalar function is called by.
pub fn scalar_name(function: Function) -> &'static str {
    FUNCTIONS
        .iter()
        .find(|f| f.callable == Callable::Scalar(function))
        .map_or("function", |f| f.name)
}

impl Aggregate {
    /// The name as written in queries.
    pub fn name(self) -> &'static str {
        match self {
            Aggregate::CountRows | Aggregate::Count => "count",
            Aggregate::CountIf => "countif",
            Aggregate::Sum => "sum",
            Aggregate::Avg => "avg",
            Aggregate::Min => "min",
            Aggregate::Max => "max",
            Aggregate::Median => "median",
            Aggregate::Quantile => "quantile",
            Aggregate::CountDistinct => "count_distinct",
            Aggregate::First => "first",
            Aggregate::Last => "last",
            Aggregate::Std => "std",
            Aggregate::AnyValue => "any_value",
            Aggregate::ArgMax => "arg_max",
            Aggregate::ArgMin => "arg_min",
            Aggregate::ConcatAgg => "concat_agg",
        }
    }
}
