//! The registry of functions: every name a query can call, what it takes and
//! what it does. Type rules live in `resolve::expr`; this is the list that
//! lookup, "did you mean", `.help` and completion read.

/// A scalar function: one value per row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Function {
    Lower,
    Upper,
    Len,
    Round,
    Abs,
    Coalesce,
    Concat,
    Replace,
    Substr,
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
}

/// What a name refers to when called.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Callable {
    Scalar(Function),
    Aggregate(Aggregate),
    /// `if(condition, then, else)`
    If,
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

const fn scalar(
    name: &'static str,
    f: Function,
    usage: &'static str,
    summary: &'static str,
) -> FunctionInfo {
    FunctionInfo {
        name,
        callable: Callable::Scalar(f),
        usage,
        summary,
    }
}

const fn aggregate(
    name: &'static str,
    a: Aggregate,
    usage: &'static str,
    summary: &'static str,
) -> FunctionInfo {
    FunctionInfo {
        name,
        callable: Callable::Aggregate(a),
        usage,
        summary,
    }
}

pub const FUNCTIONS: &[FunctionInfo] = &[
    FunctionInfo {
        name: "if",
        callable: Callable::If,
        usage: "if(condition, then, else)",
        summary: "`then` where the condition is true, `else` otherwise (and where it is null)",
    },
    scalar(
        "lower",
        Function::Lower,
        "lower(text)",
        "text in lower case",
    ),
    scalar(
        "upper",
        Function::Upper,
        "upper(text)",
        "text in upper case",
    ),
    scalar("len", Function::Len, "len(text)", "number of characters"),
    scalar(
        "round",
        Function::Round,
        "round(x[, digits])",
        "x rounded half away from zero to `digits` decimals (default 0)",
    ),
    scalar("abs", Function::Abs, "abs(x)", "absolute value"),
    scalar(
        "coalesce",
        Function::Coalesce,
        "coalesce(a, b, …)",
        "the first argument that is not null",
    ),
    scalar(
        "concat",
        Function::Concat,
        "concat(a, b, …)",
        "the arguments as text, joined; null if any is null",
    ),
    scalar(
        "replace",
        Function::Replace,
        "replace(text, from, to)",
        "every occurrence of `from` replaced by `to`",
    ),
    scalar(
        "substr",
        Function::Substr,
        "substr(text, start[, length])",
        "part of the text; `start` counts from 1",
    ),
    aggregate(
        "count",
        Aggregate::Count,
        "count() / count(x)",
        "rows, or non-null values of x",
    ),
    aggregate(
        "countif",
        Aggregate::CountIf,
        "countif(condition)",
        "rows where the condition is true",
    ),
    aggregate(
        "sum",
        Aggregate::Sum,
        "sum(x)",
        "sum of the values (null when there are none)",
    ),
    aggregate("avg", Aggregate::Avg, "avg(x)", "mean of the values"),
    aggregate("min", Aggregate::Min, "min(x)", "smallest value"),
    aggregate("max", Aggregate::Max, "max(x)", "largest value"),
    aggregate(
        "median",
        Aggregate::Median,
        "median(x)",
        "middle value, interpolated between the two nearest",
    ),
    aggregate(
        "quantile",
        Aggregate::Quantile,
        "quantile(x, q)",
        "the q-quantile (0 ≤ q ≤ 1), linear interpolation",
    ),
    aggregate(
        "count_distinct",
        Aggregate::CountDistinct,
        "count_distinct(x)",
        "number of distinct non-null values",
    ),
    aggregate(
        "first",
        Aggregate::First,
        "first(x)",
        "first non-null value in row order",
    ),
    aggregate(
        "last",
        Aggregate::Last,
        "last(x)",
        "last non-null value in row order",
    ),
    aggregate("std", Aggregate::Std, "std(x)", "sample standard deviation"),
];

pub fn lookup(name: &str) -> Option<&'static FunctionInfo> {
    FUNCTIONS.iter().find(|f| f.name == name)
}

pub fn names() -> impl Iterator<Item = &'static str> {
    FUNCTIONS.iter().map(|f| f.name)
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
        }
    }
}
