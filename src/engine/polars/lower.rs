//! Logical plans to Polars lazy frames.

use ::polars::prelude::{
    self as pl, AnyValue, DataFrame, IntoLazy, JoinArgs, JoinCoalesce, JoinType, LazyFrame,
    MaintainOrderJoin, OptFlags, PolarsError, PolarsResult, SortMultipleOptions, UnionArgs,
    UniqueKeepStrategy, concat_lf_diagonal,
};

use super::expr::lower as lower_expr;
use super::sources::Sources;
use crate::plan::functions::Aggregate;
use crate::plan::logical::{DiffSide, Expr, JoinKind, Plan, SortKey, duplicate_key_message};

/// What went wrong building a frame: a source that cannot be scanned.
pub type LowerError = String;

/// Whether no expression of `items` reads a column.
fn reads_no_column(items: &[(String, Expr)]) -> bool {
    fn reads(e: &Expr) -> bool {
        matches!(e, Expr::Column(_)) || e.children().into_iter().any(reads)
    }
    !items.iter().any(|(_, e)| reads(e))
}

/// Whether the plan holds an aggregate without keys (one row from many).
fn has_whole_aggregate(plan: &Plan) -> bool {
    matches!(plan, Plan::Aggregate { keys, .. } if keys.is_empty())
        || plan.inputs().into_iter().any(has_whole_aggregate)
}

/// `items` with every `count()` of rows counting the rows of `column`
/// instead (`is null` is never null, so counting it counts every row).
fn anchor_row_counts(items: &[(String, Expr)], column: &str) -> Vec<(String, Expr)> {
    fn anchor(e: &mut Expr, column: &str) {
        if let Expr::Aggregate(Aggregate::CountRows, args) = e
            && args.is_empty()
        {
            let every_row = Expr::IsNull {
                expr: Box::new(Expr::column(column)),
                negated: false,
            };
            *e = Expr::Aggregate(Aggregate::Count, vec![every_row]);
            return;
        }
        e.children_mut().into_iter().for_each(|c| anchor(c, column));
    }
    items
        .iter()
        .map(|(name, e)| {
            let mut e = e.clone();
            anchor(&mut e, column);
            (name.clone(), e)
        })
        .collect()
}

pub fn lower(plan: &Plan, sources: &Sources) -> Result<LazyFrame, LowerError> {
    Ok(match plan {
        Plan::Table { name } => sources
            .table(name)
            .ok_or_else(|| format!("table `{name}` is not loaded"))?,
        Plan::File { path } => sources.scan(path)?,
        Plan::Filter { input, predicate } if predicate.is_constant() => {
            // Polars loses the row count of a filter that reads no column
            // once the columns after it are pruned (`where "a" == "a" |
            // count` gave 0): decide such a filter here, once.
            let input = lower(input, sources)?;
            if holds(predicate)? {
                input
            } else {
                input.limit(0)
            }
        }
        Plan::Filter { input, predicate } => {
            lower(input, sources)?.filter(super::ranges::lower_predicate(predicate))
        }
        Plan::Select { input, columns } => {
            let exprs: Vec<pl::Expr> = columns
                .iter()
                .map(|(name, e)| lower_expr(e).alias(name.as_str()))
                .collect();
            let input = lower(input, sources)?;
            if columns.iter().all(|(_, e)| e.is_constant()) {
                // A select of constants gives one row per input row, as any
                // select does; Polars would give a single row.
                let names: Vec<pl::Expr> =
                    columns.iter().map(|(n, _)| pl::col(n.as_str())).collect();
                input.with_columns(exprs).select(names)
            } else {
                input.select(exprs)
            }
        }
        Plan::Derive { input, columns } => {
            let exprs: Vec<pl::Expr> = columns
                .iter()
                .map(|(name, e)| lower_expr(e).alias(name.as_str()))
                .collect();
            lower(input, sources)?.with_columns(exprs)
        }
        Plan::Sort { input, keys, ties } => {
            let keys: Vec<&SortKey> = keys.iter().chain(ties).collect();
            let exprs: Vec<pl::Expr> = keys.iter().map(|k| lower_expr(&k.expr)).collect();
            let options = SortMultipleOptions::default()
                .with_order_descending_multi(keys.iter().map(|k| k.descending))
                .with_nulls_last(true)
                .with_maintain_order(true);
            lower(input, sources)?.sort_by_exprs(exprs, options)
        }
        Plan::Limit { input, count } => {
            // Polars counts rows in 32 bits (as many as a frame can hold).
            let n = u32::try_from(*count).unwrap_or(u32::MAX);
            lower(input, sources)?.limit(n)
        }
        Plan::Aggregate {
            input,
            keys,
            aggregates,
            ordered,
        } => {
            let mut frame = lower(input, sources)?;
            let anchored;
            let aggregates =
                if keys.is_empty() && reads_no_column(aggregates) && has_whole_aggregate(input) {
                    // Polars prunes a select of aggregates (one row) below an
                    // aggregate that reads no column, counting the rows under
                    // it instead (`count | count` gave the table's rows): make
                    // the row count read a column, which keeps the select.
                    let schema = frame.collect_schema().map_err(|e| e.to_string())?;
                    match schema.iter_names().next() {
                        Some(first) => {
                            anchored = anchor_row_counts(aggregates, first.as_str());
                            &anchored
                        }
                        None => aggregates,
                    }
                } else {
                    aggregates
                };
            let aggs: Vec<pl::Expr> = aggregates
                .iter()
                .map(|(name, e)| lower_expr(e).alias(name.as_str()))
                .collect();
            if keys.is_empty() {
                frame.select(aggs)
            } else {
                let keys: Vec<pl::Expr> = keys
                    .iter()
                    .map(|(name, e)| lower_expr(e).alias(name.as_str()))
                    .collect();
                if *ordered {
                    frame.group_by_stable(keys).agg(aggs)
                } else {
                    frame.group_by(keys).agg(aggs)
                }
            }
        }
        Plan::Distinct { input, columns } => {
            let subset = if columns.is_empty() {
                None
            } else {
                Some(columns.iter().map(|c| pl::col(c.as_str())).collect())
            };
            lower(input, sources)?.unique_stable_generic(subset, UniqueKeepStrategy::First)
        }
        Plan::Join {
            left,
            right,
            kind,
            on,
            renamed,
        } => {
            let how = match kind {
                JoinKind::Inner => JoinType::Inner,
                JoinKind::Left => JoinType::Left,
                JoinKind::Semi => JoinType::Semi,
                JoinKind::Anti => JoinType::Anti,
            };
            let mut right = lower(right, sources)?;
            if !renamed.is_empty() {
                let (old, new): (Vec<&str>, Vec<&str>) = renamed
                    .iter()
                    .map(|(o, n)| (o.as_str(), n.as_str()))
                    .unzip();
                right = right.rename(old, new, true);
            }
            // Polars folds the right key into the left one. The language
            // keeps a right key whose name differs (`on server_ip == ip`
            // still has `ip`), so such keys are joined through a copy that
            // is folded away instead.
            let mut right_on: Vec<pl::Expr> = Vec::with_capacity(on.len());
            let mut copies: Vec<pl::Expr> = Vec::new();
            for (index, (l, r)) in on.iter().enumerate() {
                if l == r {
                    right_on.push(pl::col(r.as_str()));
                } else {
                    let copy = format!("__infraql_join_key_{index}");
                    copies.push(pl::col(r.as_str()).alias(copy.as_str()));
                    right_on.push(pl::col(copy.as_str()));
                }
            }
            if !copies.is_empty() {
                right = right.with_columns(copies);
            }
            let left_on: Vec<pl::Expr> = on.iter().map(|(l, _)| pl::col(l.as_str())).collect();
            let mut args = JoinArgs::new(how);
            args.coalesce = JoinCoalesce::CoalesceColumns;
            args.maintain_order = MaintainOrderJoin::Left;
            lower(left, sources)?.join(right, left_on, right_on, args)
        }
        Plan::Union { left, right } => {
            let frames = [lower(left, sources)?, lower(right, sources)?];
            let args = UnionArgs {
                to_supertypes: true,
                ..UnionArgs::default()
            };
            concat_lf_diagonal(frames, args).map_err(|e| e.to_string())?
        }
        Plan::Diff {
            before,
            after,
            keys,
        } => {
            let before = unique_keys(lower(before, sources)?, keys, DiffSide::Before);
            let after = unique_keys(lower(after, sources)?, keys, DiffSide::After);
            let on: Vec<pl::Expr> = keys.iter().map(|k| pl::col(k.as_str())).collect();
            let mut args = JoinArgs::new(JoinType::Full);
            args.coalesce = JoinCoalesce::CoalesceColumns;
            args.nulls_equal = true;
            before.join(after, on.clone(), on, args)
        }
    })
}

/// `frame`, failing the query when a value of `keys` is on more than one
/// of its rows (a `diff` input). The check sees every row: no filter or
/// projection is pushed through it.
fn unique_keys(frame: LazyFrame, keys: &[String], side: DiffSide) -> LazyFrame {
    let keys = keys.to_vec();
    let message = duplicate_key_message(side, &keys);
    frame.map(
        move |frame: DataFrame| {
            check_unique(&frame, &keys, &message)?;
            Ok(frame)
        },
        OptFlags::empty(),
        None,
        Some("diff: each key once"),
    )
}

/// An error naming the first key (in row order) that more than one row of
/// `frame` holds, and how many do; nulls are one key.
fn check_unique(frame: &DataFrame, keys: &[String], message: &str) -> PolarsResult<()> {
    let keyed = frame.select(keys.iter().map(String::as_str))?;
    let grouped = keyed.group_by_stable(keys.iter().map(String::as_str))?;
    let Some(group) = grouped.get_groups().iter().find(|g| g.len() > 1) else {
        return Ok(());
    };
    let row = group.first() as usize;
    let mut values = Vec::with_capacity(keys.len());
    for key in keys {
        let value = keyed.column(key)?.get(row)?;
        values.push(format!(
            "{} = {}",
            crate::syntax::print::ident(key),
            shown(&value)
        ));
    }
    Err(PolarsError::ComputeError(
        format!(
            "{}{message}: {} rows have {}",
            super::errors::DUPLICATE_KEY_MARK,
            group.len(),
            values.join(" and ")
        )
        .into(),
    ))
}

/// A key value as the language writes it.
fn shown(value: &AnyValue) -> String {
    match value {
        AnyValue::Null => "null".to_owned(),
        AnyValue::String(s) => crate::syntax::print::string(s),
        AnyValue::StringOwned(s) => crate::syntax::print::string(s),
        other => other.to_string(),
    }
}

/// Whether a constant predicate holds: true (false and null do not).
fn holds(predicate: &crate::plan::logical::Expr) -> Result<bool, LowerError> {
    let one_row = pl::DataFrame::new(1, Vec::new()).map_err(|e| super::errors::describe(&e))?;
    let value = one_row
        .lazy()
        .select([lower_expr(predicate).alias("holds")])
        .collect()
        .map_err(|e| super::errors::describe(&e))?;
    let column = value
        .column("holds")
        .map_err(|e| super::errors::describe(&e))?;
    Ok(matches!(column.get(0), Ok(pl::AnyValue::Boolean(true))))
}
