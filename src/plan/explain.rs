//! Logical plans as indented text, for `.explain`.

use std::fmt::Write;

use super::functions::{self, WindowFunction};
use super::logical::{
    BinaryOp, Expr, JoinKind, Plan, SortKey, StringTest, UnaryOp, Value, WindowKind,
};
use crate::syntax::print;

/// The plan as a tree, one operation a line, inputs indented below.
pub fn plan(plan: &Plan) -> String {
    let mut out = String::new();
    write_plan(plan, 0, &mut out);
    out
}

fn write_plan(plan: &Plan, depth: usize, out: &mut String) {
    let pad = "  ".repeat(depth);
    let list = |items: &[(String, Expr)]| {
        items
            .iter()
            .map(|(name, e)| match e {
                Expr::Column(c) if c == name => print::ident(name),
                _ => format!("{} = {}", print::ident(name), expr(e)),
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    let _ = match plan {
        Plan::Table { name } => writeln!(out, "{pad}Table {}", print::ident(name)),
        Plan::File { path } => writeln!(out, "{pad}Scan {}", print::string(path)),
        Plan::Filter { predicate, .. } => writeln!(out, "{pad}Filter {}", expr(predicate)),
        Plan::Select { columns, .. } => writeln!(out, "{pad}Select {}", list(columns)),
        Plan::Derive { columns, .. } => writeln!(out, "{pad}Derive {}", list(columns)),
        Plan::Sort { keys, ties, .. } if ties.is_empty() => {
            writeln!(out, "{pad}Sort {}", sort_keys(keys))
        }
        Plan::Sort { keys, ties, .. } => {
            writeln!(
                out,
                "{pad}Sort {} (ties by {})",
                sort_keys(keys),
                sort_keys(ties)
            )
        }
        Plan::Limit { count, .. } => writeln!(out, "{pad}Limit {count}"),
        Plan::Aggregate {
            keys, aggregates, ..
        } if keys.is_empty() => {
            writeln!(out, "{pad}Aggregate {}", list(aggregates))
        }
        Plan::Aggregate {
            keys,
            aggregates,
            ordered,
            ..
        } => {
            let order = if *ordered { "" } else { " (any order)" };
            writeln!(
                out,
                "{pad}Group {} agg {}{order}",
                list(keys),
                list(aggregates)
            )
        }
        Plan::Distinct { columns, .. } if columns.is_empty() => writeln!(out, "{pad}Distinct"),
        Plan::Distinct { columns, .. } => writeln!(out, "{pad}Distinct {}", columns.join(", ")),
        Plan::Join { kind, on, .. } => {
            let kind = match kind {
                JoinKind::Inner => "inner",
                JoinKind::Left => "left",
                JoinKind::Semi => "semi",
                JoinKind::Anti => "anti",
            };
            let keys: Vec<String> = on.iter().map(|(l, r)| format!("{l} == {r}")).collect();
            writeln!(out, "{pad}Join {kind} on {}", keys.join(" and "))
        }
        Plan::Union { .. } => writeln!(out, "{pad}Union"),
        Plan::Diff { keys, .. } => {
            let keys: Vec<String> = keys.iter().map(|k| print::ident(k)).collect();
            writeln!(
                out,
                "{pad}Diff on {} (full join, null keys equal, each key once a side)",
                keys.join(" and ")
            )
        }
    };
    for input in plan.inputs() {
        write_plan(input, depth + 1, out);
    }
}

fn sort_keys(keys: &[SortKey]) -> String {
    keys.iter()
        .map(|k| {
            format!(
                "{}{}",
                expr(&k.expr),
                if k.descending { " desc" } else { "" }
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// An expression of the plan, as close to the language as it goes.
pub fn expr(e: &Expr) -> String {
    let args = |items: &[Expr]| items.iter().map(expr).collect::<Vec<_>>().join(", ");
    match e {
        Expr::Column(name) => print::ident(name),
        Expr::Literal(value) => literal(value),
        Expr::Cast(inner, ty) => format!("{}::{ty}", expr(inner)),
        Expr::Unary(UnaryOp::Neg, inner) => format!("-{}", expr(inner)),
        Expr::Unary(UnaryOp::Not, inner) => format!("not {}", expr(inner)),
        Expr::Binary(op, a, b) => format!("({} {} {})", expr(a), binary_symbol(*op), expr(b)),
        Expr::StringTest(test, a, b) => {
            let word = match test {
                StringTest::Contains => "contains",
                StringTest::StartsWith => "startswith",
                StringTest::EndsWith => "endswith",
                StringTest::Like => "like",
                StringTest::Matches => "matches",
            };
            format!("({} {word} {})", expr(a), expr(b))
        }
        Expr::Function(function, items) => {
            format!("{}({})", functions::scalar_name(*function), args(items))
        }
        Expr::Aggregate(aggregate, items) => format!("{}({})", aggregate.name(), args(items)),
        // Checking for overflow changes no answer, so it is not shown.
        Expr::Checked { expr: inner, .. } => expr(inner),
        Expr::If(c, a, b) => format!("if({}, {}, {})", expr(c), expr(a), expr(b)),
        Expr::InList {
            expr: inner,
            values,
            negated,
        } => {
            let values: Vec<String> = values.iter().map(literal).collect();
            let not = if *negated { "not " } else { "" };
            format!("{} {not}in [{}]", expr(inner), values.join(", "))
        }
        Expr::IsNull {
            expr: inner,
            negated,
        } => {
            format!(
                "{} is {}null",
                expr(inner),
                if *negated { "not " } else { "" }
            )
        }
        Expr::Window {
            function,
            args: items,
            partition,
            order,
        } => {
            let name = match function {
                WindowKind::Aggregate(aggregate) => aggregate.name(),
                WindowKind::Position(WindowFunction::RowNumber) => "row_number",
                WindowKind::Position(WindowFunction::Rank) => "rank",
                WindowKind::Position(WindowFunction::CumSum) => "cumsum",
            };
            let mut text = format!("{name}({}) over (", args(items));
            if !partition.is_empty() {
                let _ = write!(text, "by {}", args(partition));
            }
            if !order.is_empty() {
                let sep = if partition.is_empty() { "" } else { " " };
                let _ = write!(text, "{sep}order {}", sort_keys(order));
            }
            text.push(')');
            text
        }
    }
}

fn binary_symbol(op: BinaryOp) -> &'static str {
    match op {
        BinaryOp::Add => "+",
        BinaryOp::Sub => "-",
        BinaryOp::Mul => "*",
        BinaryOp::Div => "/",
        BinaryOp::Rem => "%",
        BinaryOp::Eq => "==",
        BinaryOp::NotEq => "!=",
        BinaryOp::Lt => "<",
        BinaryOp::LtEq => "<=",
        BinaryOp::Gt => ">",
        BinaryOp::GtEq => ">=",
        BinaryOp::And => "and",
        BinaryOp::Or => "or",
    }
}

fn literal(value: &Value) -> String {
    match value {
        Value::Int(n) => n.to_string(),
        Value::Float(f) => format!("{f:?}"),
        Value::String(s) => print::string(s),
        Value::Bool(b) => b.to_string(),
        Value::Null => "null".to_owned(),
        Value::Date(d) => d.format("%Y-%m-%d").to_string(),
        Value::Datetime(t) => t.format("%Y-%m-%dT%H:%M:%S%.f").to_string(),
        Value::Duration(micros) => print::duration(*micros),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::functions::Aggregate;

    #[test]
    fn plans_print_as_indented_trees() {
        let plan = Plan::Limit {
            count: 3,
            input: Box::new(Plan::Aggregate {
                keys: vec![("host".to_owned(), Expr::column("host"))],
                aggregates: vec![(
                    "n".to_owned(),
                    Expr::Aggregate(Aggregate::CountRows, vec![]),
                )],
                ordered: true,
                input: Box::new(Plan::Filter {
                    predicate: Expr::Binary(
                        BinaryOp::Eq,
                        Box::new(Expr::column("status")),
                        Box::new(Expr::Literal(Value::Int(429))),
                    ),
                    input: Box::new(Plan::File {
                        path: "logs/*.parquet".to_owned(),
                    }),
                }),
            }),
        };
        assert_eq!(
            super::plan(&plan),
            "Limit 3\n  Group host agg n = count()\n    Filter (status == 429)\n      Scan \"logs/*.parquet\"\n"
        );
    }
}
