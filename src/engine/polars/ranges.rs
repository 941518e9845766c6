//! Filters written so that file statistics can skip row groups.
//!
//! A Parquet row group carries the min and max of each column. Polars skips
//! a group whose statistics rule a filter out, but not for a lower bound on
//! a float column (`timestamp >= t`): the statistics leave NaN out, and NaN,
//! the greatest float, passes any lower bound. A lower bound paired with a
//! finite upper bound on the same column is another matter: no NaN can pass
//! both, and Polars does use the statistics for the pair written as one
//! `is_between`. A time filter always has such a pair (the resolver bounds
//! the seconds `to_datetime` can convert), so a question about the last day
//! reads the last day's row groups only.
//!
//! The rewrite keeps the filter's meaning for every row: `x.is_between(a, b)`
//! is `x >(=) a and x <(=) b` for numbers, NaN and null alike.

use ::polars::prelude::{self as pl, ClosedInterval};

use super::expr::lower as lower_expr;
use crate::plan::logical::{BinaryOp, Expr, Value};

/// `predicate` as a Polars filter, each column's first lower and first
/// upper literal bound among its and-ed terms joined into one `is_between`.
pub fn lower_predicate(predicate: &Expr) -> pl::Expr {
    let terms = predicate.conjuncts();
    let bounds: Vec<Option<Bound>> = terms.iter().map(|t| Bound::of(t)).collect();
    let mut used = vec![false; terms.len()];
    let mut lowered = Vec::with_capacity(terms.len());
    for (i, term) in terms.iter().enumerate() {
        if used[i] {
            continue;
        }
        used[i] = true;
        let partner = bounds[i].as_ref().and_then(|bound| {
            (i + 1..terms.len()).find(|&j| {
                !used[j]
                    && bounds[j].as_ref().is_some_and(|other| {
                        other.column == bound.column && other.lower != bound.lower
                    })
            })
        });
        match (bounds[i].as_ref(), partner) {
            (Some(bound), Some(j)) => {
                used[j] = true;
                let other = bounds[j].as_ref().expect("a partner is a bound");
                let (low, high) = if bound.lower {
                    (bound, other)
                } else {
                    (other, bound)
                };
                let closed = match (low.inclusive, high.inclusive) {
                    (true, true) => ClosedInterval::Both,
                    (true, false) => ClosedInterval::Left,
                    (false, true) => ClosedInterval::Right,
                    (false, false) => ClosedInterval::None,
                };
                lowered.push(pl::col(bound.column).is_between(
                    low.value.clone(),
                    high.value.clone(),
                    closed,
                ));
            }
            _ => lowered.push(lower_expr(term)),
        }
    }
    lowered
        .into_iter()
        .reduce(|a, b| a.and(b))
        .expect("a predicate has at least one term")
}

/// `column OP number` with a finite number: one side of a range.
struct Bound<'e> {
    column: &'e str,
    lower: bool,
    inclusive: bool,
    value: pl::Expr,
}

impl<'e> Bound<'e> {
    fn of(term: &'e Expr) -> Option<Bound<'e>> {
        let Expr::Binary(op, left, right) = term else {
            return None;
        };
        let (column, op, value) = match (left.as_ref(), right.as_ref()) {
            (Expr::Column(c), Expr::Literal(v)) => (c, *op, v),
            (Expr::Literal(v), Expr::Column(c)) => (c, flipped(*op)?, v),
            _ => return None,
        };
        let value = match value {
            Value::Int(n) => pl::lit(*n),
            Value::Float(f) if f.is_finite() => pl::lit(*f),
            _ => return None,
        };
        let (lower, inclusive) = match op {
            BinaryOp::Gt => (true, false),
            BinaryOp::GtEq => (true, true),
            BinaryOp::Lt => (false, false),
            BinaryOp::LtEq => (false, true),
            _ => return None,
        };
        Some(Bound {
            column,
            lower,
            inclusive,
            value,
        })
    }
}

/// `a OP b` as `b OP' a`.
fn flipped(op: BinaryOp) -> Option<BinaryOp> {
    Some(match op {
        BinaryOp::Gt => BinaryOp::Lt,
        BinaryOp::GtEq => BinaryOp::LtEq,
        BinaryOp::Lt => BinaryOp::Gt,
        BinaryOp::LtEq => BinaryOp::GtEq,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use ::polars::prelude::{DataFrame, IntoLazy, NamedFrom, Series};

    use super::*;

    fn column(name: &str) -> Box<Expr> {
        Box::new(Expr::Column(name.to_owned()))
    }

    fn number(value: f64) -> Box<Expr> {
        Box::new(Expr::Literal(Value::Float(value)))
    }

    fn compare(op: BinaryOp, l: Box<Expr>, r: Box<Expr>) -> Expr {
        Expr::Binary(op, l, r)
    }

    fn and(a: Expr, b: Expr) -> Expr {
        Expr::Binary(BinaryOp::And, Box::new(a), Box::new(b))
    }

    fn kept(predicate: &Expr, values: &[Option<f64>]) -> Vec<Option<f64>> {
        let frame = DataFrame::new_infer_height(vec![Series::new("x".into(), values).into()])
            .expect("a frame");
        let out = frame
            .lazy()
            .filter(lower_predicate(predicate))
            .collect()
            .expect("the filter runs");
        let kept = out.column("x").expect("x").f64().expect("floats");
        (0..kept.len()).map(|i| kept.get(i)).collect()
    }

    #[test]
    fn a_lower_and_an_upper_bound_become_one_range() {
        let p = and(
            compare(BinaryOp::GtEq, column("x"), number(1.0)),
            compare(BinaryOp::Lt, column("x"), number(3.0)),
        );
        let shown = format!("{:?}", lower_predicate(&p));
        assert!(shown.contains("is_between"), "{shown}");
    }

    #[test]
    fn ranges_keep_the_rows_the_comparisons_keep() {
        let values = [
            Some(f64::NAN),
            Some(f64::INFINITY),
            Some(f64::NEG_INFINITY),
            Some(1.0),
            Some(2.0),
            Some(3.0),
            None,
            Some(0.5),
        ];
        let ops = [BinaryOp::Gt, BinaryOp::GtEq, BinaryOp::Lt, BinaryOp::LtEq];
        for low in [BinaryOp::Gt, BinaryOp::GtEq] {
            for high in [BinaryOp::Lt, BinaryOp::LtEq] {
                for (first, second) in [(low, high), (high, low)] {
                    let bound = |op: BinaryOp| {
                        let n = if ops[..2].contains(&op) { 1.0 } else { 3.0 };
                        compare(op, column("x"), number(n))
                    };
                    let p = and(bound(first), bound(second));
                    let expected: Vec<Option<f64>> = values
                        .iter()
                        .copied()
                        .filter(|v| v.is_some_and(|x| !x.is_nan() && (1.0..=3.0).contains(&x)))
                        .filter(|v| {
                            let x = v.expect("kept values are numbers");
                            (low == BinaryOp::GtEq || x > 1.0)
                                && (high == BinaryOp::LtEq || x < 3.0)
                        })
                        .collect();
                    let got = kept(&p, &values);
                    assert_eq!(format!("{got:?}"), format!("{expected:?}"), "{p:?}");
                }
            }
        }
    }

    #[test]
    fn a_literal_on_the_left_counts_and_other_terms_stay() {
        // 1 < x and x <= 3 and x != 2
        let p = and(
            and(
                compare(BinaryOp::Lt, number(1.0), column("x")),
                compare(BinaryOp::LtEq, column("x"), number(3.0)),
            ),
            compare(BinaryOp::NotEq, column("x"), number(2.0)),
        );
        let got = kept(&p, &[Some(1.0), Some(2.0), Some(3.0), Some(f64::NAN)]);
        assert_eq!(got, vec![Some(3.0)]);
    }

    #[test]
    fn lone_bounds_and_nan_bounds_are_left_as_written() {
        let lone = compare(BinaryOp::GtEq, column("x"), number(1.0));
        assert!(!format!("{:?}", lower_predicate(&lone)).contains("is_between"));
        // NaN passes `x >= 1` (the greatest float).
        assert_eq!(kept(&lone, &[Some(f64::NAN), Some(0.0)]).len(), 1);
        let nan = and(
            compare(BinaryOp::GtEq, column("x"), number(1.0)),
            compare(BinaryOp::LtEq, column("x"), number(f64::NAN)),
        );
        assert!(!format!("{:?}", lower_predicate(&nan)).contains("is_between"));
    }
}
