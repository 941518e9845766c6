//! The logical plan: what a query computes, independent of how.
//!
//! Names are resolved and types checked before a plan is built, so an engine
//! can lower it without checking anything again. Expressions carry explicit
//! casts where the language's rules need them (integer division gives a
//! float), so every engine computes the same answers.

use chrono::{NaiveDate, NaiveDateTime};

use super::functions::{Aggregate, Function, WindowFunction};
use super::schema::Schema;
use super::types::Type;
use crate::diagnostic::Span;

/// A relational operation tree.
#[derive(Debug, Clone, PartialEq)]
pub enum Plan {
    /// A named table of the catalog.
    Table {
        name: String,
    },
    /// A file (or glob of files), format from its extension.
    File {
        path: String,
    },
    Filter {
        input: Box<Plan>,
        predicate: Expr,
    },
    /// Exactly these output columns, in this order.
    Select {
        input: Box<Plan>,
        columns: Vec<(String, Expr)>,
    },
    /// Adds columns, or replaces those of the same name in place.
    Derive {
        input: Box<Plan>,
        columns: Vec<(String, Expr)>,
    },
    /// Stable sort; nulls last whatever the direction.
    Sort {
        input: Box<Plan>,
        keys: Vec<SortKey>,
        /// Keys that only break ties left by `keys` (the group keys of a
        /// group right below, see `Aggregate::ordered`).
        ties: Vec<SortKey>,
    },
    Limit {
        input: Box<Plan>,
        count: u64,
    },
    /// Group by `keys` (none: the whole input is one group); output is the
    /// keys then the aggregates.
    Aggregate {
        input: Box<Plan>,
        keys: Vec<(String, Expr)>,
        aggregates: Vec<(String, Expr)>,
        /// Groups come out in order of first appearance. False when a sort
        /// right after reorders them anyway (breaking ties by the group
        /// keys), which spares the engine keeping the order.
        ordered: bool,
    },
    /// Distinct rows (of `columns`, or of all columns when empty), first
    /// occurrence kept, in input order.
    Distinct {
        input: Box<Plan>,
        columns: Vec<String>,
    },
    Join {
        left: Box<Plan>,
        right: Box<Plan>,
        kind: JoinKind,
        /// (left column, right column) pairs compared for equality; a right
        /// column by its name after `renamed`.
        on: Vec<(String, String)>,
        /// Right-hand columns renamed, before the join, because the left
        /// has the name too: (old, new).
        renamed: Vec<(String, String)>,
    },
    /// Rows of both, columns matched by name; a column missing on one side
    /// is null there.
    Union {
        left: Box<Plan>,
        right: Box<Plan>,
    },
    /// The pairing behind `diff`: a full outer join of `before` and
    /// `after` on `keys`, which both have under these names (their other
    /// columns have distinct names). Keys compare null-safe: a null key
    /// meets a null key. A key value held by more than one row of either
    /// side fails the query with [`duplicate_key_message`]. Output: the
    /// keys (from whichever side has the row), then `before`'s other
    /// columns, then `after`'s; the columns of a side without the key are
    /// null. Rows come in no particular order.
    Diff {
        before: Box<Plan>,
        after: Box<Plan>,
        keys: Vec<String>,
    },
}

/// Which input of a `diff` a message speaks of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DiffSide {
    /// The pipeline `diff` follows: the old rows.
    Before,
    /// The source after `diff`: the new rows.
    After,
}

/// What a backend says when a `diff` input holds a key more than once
/// (backends that can name the value add it after a colon).
pub fn duplicate_key_message(side: DiffSide, keys: &[String]) -> String {
    let side = match side {
        DiffSide::Before => "first",
        DiffSide::After => "second",
    };
    let names: Vec<&str> = keys.iter().map(String::as_str).collect();
    format!(
        "diff: the key ({}) is not unique in the {side} input",
        names.join(", ")
    )
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JoinKind {
    Inner,
    Left,
    Semi,
    Anti,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SortKey {
    pub expr: Expr,
    pub descending: bool,
}

/// A constant.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Int(i64),
    Float(f64),
    String(String),
    Bool(bool),
    Null,
    Date(NaiveDate),
    Datetime(NaiveDateTime),
    /// Microseconds.
    Duration(i64),
}

impl Value {
    pub fn ty(&self) -> Type {
        match self {
            Value::Int(_) => Type::Int,
            Value::Float(_) => Type::Float,
            Value::String(_) => Type::String,
            Value::Bool(_) => Type::Bool,
            Value::Null => Type::Null,
            Value::Date(_) => Type::Date,
            Value::Datetime(_) => Type::Datetime,
            Value::Duration(_) => Type::Duration,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnaryOp {
    Neg,
    Not,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinaryOp {
    Add,
    Sub,
    Mul,
    /// Float division (operands are cast to float first).
    Div,
    Rem,
    Eq,
    NotEq,
    Lt,
    LtEq,
    Gt,
    GtEq,
    And,
    Or,
}

impl BinaryOp {
    /// `==`, `!=`, `<`, `<=`, `>`, `>=`.
    pub fn is_comparison(self) -> bool {
        matches!(
            self,
            Self::Eq | Self::NotEq | Self::Lt | Self::LtEq | Self::Gt | Self::GtEq
        )
    }
}

/// The unix seconds `s` whose microseconds, `s * 1e6` computed in floating
/// point as `to_datetime` does, fit an i64: exactly those with
/// `low <= s < end` (the product only grows with `s`, so the set is one
/// range; NaN is in neither). Returns `(low, end)`.
pub fn unix_seconds_range() -> (f64, f64) {
    const MICROS: f64 = 1_000_000.0;
    let limit = 2f64.powi(63);
    // The least `s` whose microseconds reach `bound`, searched from the
    // quotient (at most a few steps away).
    let least_reaching = |bound: f64| {
        let mut s = bound / MICROS;
        while (s.next_down() * MICROS) >= bound {
            s = s.next_down();
        }
        while (s * MICROS) < bound {
            s = s.next_up();
        }
        s
    };
    (least_reaching(-limit), least_reaching(limit))
}

/// String tests; the pattern is a string expression.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StringTest {
    /// Substring, case-sensitive.
    Contains,
    StartsWith,
    EndsWith,
    /// SQL LIKE: `%` any run of characters, `_` one character, whole string.
    Like,
    /// Regular expression search (Rust regex syntax).
    Matches,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Column(String),
    Literal(Value),
    Cast(Box<Expr>, Type),
    Unary(UnaryOp, Box<Expr>),
    Binary(BinaryOp, Box<Expr>, Box<Expr>),
    StringTest(StringTest, Box<Expr>, Box<Expr>),
    Function(Function, Vec<Expr>),
    Aggregate(Aggregate, Vec<Expr>),
    If(Box<Expr>, Box<Expr>, Box<Expr>),
    InList {
        expr: Box<Expr>,
        values: Vec<Value>,
        negated: bool,
    },
    IsNull {
        expr: Box<Expr>,
        negated: bool,
    },
    /// Integer arithmetic that must not wrap: `expr` is an int-typed
    /// `Binary` (add, subtract, multiply, remainder), `Unary` negation,
    /// `abs`, `sum` or `cumsum` (also as windows), computed so that a
    /// result outside the 64-bit range stops the query with an overflow
    /// error naming `text`, the expression as written at `span`. Its
    /// operands are checked on their own. Time and duration arithmetic is
    /// planned as checked arithmetic on their microseconds.
    Checked {
        expr: Box<Expr>,
        text: String,
        span: Span,
    },
    /// A window: `function(args)` over the rows of each partition (all
    /// rows when `partition` is empty), in the order the rows arrive, which
    /// is the order of `order` when that is known.
    Window {
        function: WindowKind,
        args: Vec<Expr>,
        partition: Vec<Expr>,
        /// The pipeline's sort keys at this point, for `rank`; empty when
        /// the rows are in no known sort order.
        order: Vec<SortKey>,
    },
}

/// What a window computes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WindowKind {
    /// An aggregate over the partition, repeated on each of its rows.
    Aggregate(Aggregate),
    Position(WindowFunction),
}

impl Plan {
    /// The plans this one reads from, in order (none for a table or file).
    /// The expressions of this node alone (not of its inputs).
    pub fn expressions(&self) -> Vec<&Expr> {
        match self {
            Plan::Table { .. }
            | Plan::File { .. }
            | Plan::Limit { .. }
            | Plan::Distinct { .. }
            | Plan::Join { .. }
            | Plan::Union { .. }
            | Plan::Diff { .. } => Vec::new(),
            Plan::Filter { predicate, .. } => vec![predicate],
            Plan::Select { columns, .. } | Plan::Derive { columns, .. } => {
                columns.iter().map(|(_, e)| e).collect()
            }
            Plan::Sort { keys, ties, .. } => keys.iter().chain(ties).map(|k| &k.expr).collect(),
            Plan::Aggregate {
                keys, aggregates, ..
            } => keys.iter().chain(aggregates).map(|(_, e)| e).collect(),
        }
    }

    /// The text and place of every overflow-checked expression in the
    /// plan and its inputs, in plan order, each text once.
    pub fn checked_texts(&self) -> Vec<(String, Span)> {
        fn walk_expr(e: &Expr, out: &mut Vec<(String, Span)>) {
            if let Expr::Checked { text, span, .. } = e
                && !out.iter().any(|(seen, _)| seen == text)
            {
                out.push((text.clone(), *span));
            }
            e.children().into_iter().for_each(|c| walk_expr(c, out));
        }
        fn walk(plan: &Plan, out: &mut Vec<(String, Span)>) {
            plan.inputs().into_iter().for_each(|p| walk(p, out));
            plan.expressions()
                .into_iter()
                .for_each(|e| walk_expr(e, out));
        }
        let mut out = Vec::new();
        walk(self, &mut out);
        out
    }

    /// How many plan nodes deep this plan is (a table alone: 1).
    pub fn depth(&self) -> usize {
        1 + self
            .inputs()
            .into_iter()
            .map(Plan::depth)
            .max()
            .unwrap_or(0)
    }

    pub fn inputs(&self) -> Vec<&Plan> {
        match self {
            Plan::Table { .. } | Plan::File { .. } => Vec::new(),
            Plan::Filter { input, .. }
            | Plan::Select { input, .. }
            | Plan::Derive { input, .. }
            | Plan::Sort { input, .. }
            | Plan::Limit { input, .. }
            | Plan::Aggregate { input, .. }
            | Plan::Distinct { input, .. } => vec![input],
            Plan::Join { left, right, .. } | Plan::Union { left, right } => vec![left, right],
            Plan::Diff { before, after, .. } => vec![before, after],
        }
    }

    /// [`Plan::inputs`], to change them in place.
    pub fn inputs_mut(&mut self) -> Vec<&mut Plan> {
        match self {
            Plan::Table { .. } | Plan::File { .. } => Vec::new(),
            Plan::Filter { input, .. }
            | Plan::Select { input, .. }
            | Plan::Derive { input, .. }
            | Plan::Sort { input, .. }
            | Plan::Limit { input, .. }
            | Plan::Aggregate { input, .. }
            | Plan::Distinct { input, .. } => vec![input],
            Plan::Join { left, right, .. } | Plan::Union { left, right } => vec![left, right],
            Plan::Diff { before, after, .. } => vec![before, after],
        }
    }

    /// The `diff` pairings in the plan and its inputs, each as the
    /// messages its two duplicate-key checks give (before, after).
    pub fn duplicate_key_messages(&self) -> Vec<String> {
        let mut out = Vec::new();
        if let Plan::Diff { keys, .. } = self {
            out.push(duplicate_key_message(DiffSide::Before, keys));
            out.push(duplicate_key_message(DiffSide::After, keys));
        }
        for input in self.inputs() {
            out.extend(input.duplicate_key_messages());
        }
        out
    }
}

impl Expr {
    pub fn column(name: impl Into<String>) -> Expr {
        Expr::Column(name.into())
    }

    /// The terms of an `and` chain, in order (the expression itself when it
    /// is no `and`).
    pub fn conjuncts(&self) -> Vec<&Expr> {
        fn collect<'e>(e: &'e Expr, into: &mut Vec<&'e Expr>) {
            match e {
                Expr::Binary(BinaryOp::And, a, b) => {
                    collect(a, into);
                    collect(b, into);
                }
                other => into.push(other),
            }
        }
        let mut terms = Vec::new();
        collect(self, &mut terms);
        terms
    }

    /// The expressions this one is computed from (its operands; for a
    /// window also its partition and order keys).
    pub fn children(&self) -> Vec<&Expr> {
        match self {
            Expr::Column(_) | Expr::Literal(_) => Vec::new(),
            Expr::Cast(e, _)
            | Expr::Unary(_, e)
            | Expr::InList { expr: e, .. }
            | Expr::IsNull { expr: e, .. }
            | Expr::Checked { expr: e, .. } => vec![e],
            Expr::Binary(_, a, b) | Expr::StringTest(_, a, b) => vec![a, b],
            Expr::If(a, b, c) => vec![a, b, c],
            Expr::Function(_, args) | Expr::Aggregate(_, args) => args.iter().collect(),
            Expr::Window {
                args,
                partition,
                order,
                ..
            } => args
                .iter()
                .chain(partition)
                .chain(order.iter().map(|k| &k.expr))
                .collect(),
        }
    }

    /// [`Expr::children`], to change in place.
    pub fn children_mut(&mut self) -> Vec<&mut Expr> {
        match self {
            Expr::Column(_) | Expr::Literal(_) => Vec::new(),
            Expr::Cast(e, _)
            | Expr::Unary(_, e)
            | Expr::InList { expr: e, .. }
            | Expr::IsNull { expr: e, .. }
            | Expr::Checked { expr: e, .. } => vec![e],
            Expr::Binary(_, a, b) | Expr::StringTest(_, a, b) => vec![a, b],
            Expr::If(a, b, c) => vec![a, b, c],
            Expr::Function(_, args) | Expr::Aggregate(_, args) => args.iter_mut().collect(),
            Expr::Window {
                args,
                partition,
                order,
                ..
            } => args
                .iter_mut()
                .chain(partition)
                .chain(order.iter_mut().map(|k| &mut k.expr))
                .collect(),
        }
    }

    /// Whether the value is the same on every row and needs no row to be
    /// computed: no column, aggregate or window anywhere in it.
    pub fn is_constant(&self) -> bool {
        match self {
            Expr::Column(_) | Expr::Aggregate(..) | Expr::Window { .. } => false,
            other => other.children().into_iter().all(Expr::is_constant),
        }
    }

    pub fn cast(self, ty: Type) -> Expr {
        Expr::Cast(Box::new(self), ty)
    }
}

/// A statement ready to run.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    pub plan: Plan,
    pub schema: Schema,
    pub sink: Sink,
}

/// Where a statement's result goes.
#[derive(Debug, Clone, PartialEq)]
pub enum Sink {
    /// To the caller, to show in its format.
    Show,
    /// `| export "file"`: to a file, format from its extension.
    Export(String),
    /// `| chart label, value`: drawn; the plan's two columns are the label
    /// and the value.
    Chart,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_unix_seconds_range_is_exactly_where_the_microseconds_fit() {
        let limit = 2f64.powi(63);
        let fits = |s: f64| {
            let micros = s * 1_000_000.0;
            (-limit..limit).contains(&micros)
        };
        let (low, end) = unix_seconds_range();
        assert!(fits(low) && !fits(low.next_down()), "{low}");
        assert!(!fits(end) && fits(end.next_down()), "{end}");
        assert!(!fits(f64::NAN) && !fits(f64::INFINITY));
    }
}
