//! Syntax tree back to text, in one canonical layout.
//!
//! Printing then parsing gives back the same tree (tests check this for every
//! example), so the printer is also how the grammar's examples are kept
//! honest and how expressions are named in result headers.

use std::fmt::Write;

use super::ast::*;
use super::lexeme::RESERVED;

pub fn script(script: &Script) -> String {
    script
        .statements
        .iter()
        .map(statement)
        .collect::<Vec<_>>()
        .join(";\n")
}

pub fn statement(statement: &Statement) -> String {
    match &statement.kind {
        StatementKind::Let { name, pipeline: p } => {
            format!("let {} = {}", ident(&name.name), pipeline(p))
        }
        StatementKind::Query(p) => pipeline(p),
    }
}

pub fn pipeline(p: &Pipeline) -> String {
    let mut out = source(&p.source);
    for op in &p.operators {
        out.push_str(" | ");
        out.push_str(&operator(&op.kind));
    }
    out
}

fn source(s: &Source) -> String {
    match &s.kind {
        SourceKind::Named(name) => ident(&name.name),
        SourceKind::File(path) => format!("from {}", string(&path.value)),
        SourceKind::Nested(p) => format!("({})", pipeline(p)),
    }
}

fn operator(op: &OperatorKind) -> String {
    let keyword = op.keyword();
    let rest = match op {
        OperatorKind::Where(e) => expr(e),
        OperatorKind::Select(items) | OperatorKind::Derive(items) | OperatorKind::Agg(items) => {
            item_list(items)
        }
        OperatorKind::Drop(names) | OperatorKind::Distinct(names) => names
            .iter()
            .map(|n| ident(&n.name))
            .collect::<Vec<_>>()
            .join(", "),
        OperatorKind::Rename(pairs) => pairs
            .iter()
            .map(|(new, old)| format!("{} = {}", ident(&new.name), ident(&old.name)))
            .collect::<Vec<_>>()
            .join(", "),
        OperatorKind::Sort(keys) => sort_keys(keys),
        OperatorKind::Take(n) => n.value.to_string(),
        OperatorKind::Top { count, keys } => format!("{} by {}", count.value, sort_keys(keys)),
        OperatorKind::Group { keys, aggregates } => {
            format!("{} agg {}", item_list(keys), item_list(aggregates))
        }
        OperatorKind::Count => String::new(),
        OperatorKind::Join {
            kind,
            source: s,
            on,
        } => format!("{} {} on {}", kind.keyword(), source(s), join_keys(on)),
        OperatorKind::Union(s) => source(s),
        OperatorKind::Diff { source: s, on } => format!("{} on {}", source(s), join_keys(on)),
        OperatorKind::Latest => String::new(),
        OperatorKind::At(n) => n.value.to_string(),
        OperatorKind::Export(path) => string(&path.value),
        OperatorKind::Chart { label, value } => {
            format!("{}, {}", ident(&label.name), ident(&value.name))
        }
    };
    if rest.is_empty() {
        keyword.to_owned()
    } else {
        format!("{keyword} {rest}")
    }
}

/// `a == b and c`: a key with the same name on both sides is written once.
fn join_keys(on: &[JoinKey]) -> String {
    on.iter()
        .map(|k| {
            if k.left.name == k.right.name {
                ident(&k.left.name)
            } else {
                format!("{} == {}", ident(&k.left.name), ident(&k.right.name))
            }
        })
        .collect::<Vec<_>>()
        .join(" and ")
}

fn item_list(items: &[Item]) -> String {
    items
        .iter()
        .map(|item| match &item.name {
            Some(name) => format!("{} = {}", ident(&name.name), expr(&item.expr)),
            None => expr(&item.expr),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn sort_keys(keys: &[SortKey]) -> String {
    keys.iter()
        .map(|k| match k.order {
            Some(Order::Asc) => format!("{} asc", expr(&k.expr)),
            Some(Order::Desc) => format!("{} desc", expr(&k.expr)),
            None => expr(&k.expr),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// A name, backquoted when it is not a plain word or is reserved.
pub fn ident(name: &str) -> String {
    let plain = name
        .chars()
        .next()
        .is_some_and(|c| c.is_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_alphanumeric() || c == '_')
        && !RESERVED.contains(&name);
    if plain {
        name.to_owned()
    } else {
        format!("`{name}`")
    }
}

pub fn string(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Binding strength of an expression's top node, for deciding parentheses.
fn strength(e: &Expr) -> u8 {
    match &e.kind {
        ExprKind::Binary(op, ..) => op.precedence(),
        ExprKind::Unary(UnaryOp::Not, _) => 3,
        ExprKind::In { .. } | ExprKind::IsNull { .. } => 4,
        ExprKind::Unary(UnaryOp::Neg, _) => 7,
        ExprKind::Literal(Literal::Int(n)) if *n < 0 => 7,
        ExprKind::Literal(Literal::Float(f)) if f.is_sign_negative() => 7,
        ExprKind::Literal(Literal::Duration(d)) if *d < 0 => 7,
        _ => 8,
    }
}

fn operand(e: &Expr, min: u8) -> String {
    if strength(e) < min {
        format!("({})", expr(e))
    } else {
        expr(e)
    }
}

pub fn expr(e: &Expr) -> String {
    match &e.kind {
        ExprKind::Column(name) => ident(name),
        ExprKind::Literal(l) => literal(l),
        ExprKind::Unary(UnaryOp::Neg, inner) => format!("-{}", operand(inner, 7)),
        ExprKind::Unary(UnaryOp::Not, inner) => format!("not {}", operand(inner, 3)),
        ExprKind::Binary(op, left, right) => {
            let p = op.precedence();
            // Comparisons do not chain, so both sides must bind tighter;
            // the others are left-associative.
            let (left_min, right_min) = if p == 4 { (5, 5) } else { (p, p + 1) };
            format!(
                "{} {} {}",
                operand(left, left_min),
                op.symbol(),
                operand(right, right_min)
            )
        }
        ExprKind::Call { name, args } => {
            format!(
                "{}({})",
                ident(&name.name),
                args.iter().map(expr).collect::<Vec<_>>().join(", ")
            )
        }
        ExprKind::In {
            expr: inner,
            list,
            negated,
        } => {
            let values = list.iter().map(expr).collect::<Vec<_>>().join(", ");
            let not = if *negated { "not " } else { "" };
            format!("{} {not}in [{values}]", operand(inner, 5))
        }
        ExprKind::IsNull {
            expr: inner,
            negated,
        } => {
            let not = if *negated { "not " } else { "" };
            format!("{} is {not}null", operand(inner, 5))
        }
        ExprKind::Window {
            function,
            partition,
        } => {
            if partition.is_empty() {
                format!("{} over ()", expr(function))
            } else {
                let keys = partition.iter().map(expr).collect::<Vec<_>>().join(", ");
                format!("{} over (by {keys})", expr(function))
            }
        }
        ExprKind::Case {
            branches,
            otherwise,
        } => {
            let mut out = String::from("case");
            for (condition, value) in branches {
                let _ = write!(out, " when {} then {}", expr(condition), expr(value));
            }
            if let Some(value) = otherwise {
                let _ = write!(out, " else {}", expr(value));
            }
            out.push_str(" end");
            out
        }
    }
}

/// A duration in its largest exact unit: `90m`, `1h`, `250ms`.
pub fn duration(micros: i64) -> String {
    const UNITS: [(&str, i64); 7] = [
        ("w", 604_800_000_000),
        ("d", 86_400_000_000),
        ("h", 3_600_000_000),
        ("m", 60_000_000),
        ("s", 1_000_000),
        ("ms", 1_000),
        ("us", 1),
    ];
    let (unit, size) = UNITS
        .iter()
        .copied()
        .find(|(_, size)| micros % size == 0)
        .unwrap_or(("us", 1));
    format!("{}{unit}", micros / size)
}

fn literal(l: &Literal) -> String {
    match l {
        Literal::Int(n) => n.to_string(),
        Literal::Float(f) => {
            let mut text = String::new();
            // `{:?}` keeps a decimal point or exponent, so it reads back as a float.
            let _ = write!(text, "{f:?}");
            text
        }
        Literal::String(s) => string(s),
        Literal::Bool(b) => b.to_string(),
        Literal::Null => "null".to_owned(),
        Literal::Date(d) => d.format("%Y-%m-%d").to_string(),
        Literal::Datetime(t) => t.format("%Y-%m-%dT%H:%M:%S%.f").to_string(),
        Literal::Duration(micros) => duration(*micros),
    }
}

#[cfg(test)]
mod tests {
    use crate::diagnostic::Span;
    use crate::syntax::ast::{OperatorKind, SourceKind, StatementKind};
    use crate::syntax::parse;

    /// The canonical text of `text`, checked to parse back to itself.
    fn round_trip(text: &str) -> String {
        let parsed = parse(text).unwrap_or_else(|e| panic!("{text}: {}", e.message));
        let printed = super::script(&parsed);
        let again = parse(&printed).unwrap_or_else(|e| panic!("{printed}: {}", e.message));
        assert_eq!(super::script(&again), printed);
        printed
    }

    #[test]
    fn diff_latest_and_at_print_back_as_written() {
        for text in [
            "a | diff b on k",
            "a | diff (b | where x > 1) on k == j and m",
            "a | diff from \"b.csv\" on `odd key`",
            "a | at 3 | latest | count",
            "let old = t | at 1;\nlet new = t | latest;\nold | diff new on service",
        ] {
            assert_eq!(round_trip(text), text);
        }
        // Layout: `on` at a line's end goes on; `latest` ends a statement.
        assert_eq!(
            round_trip("a\n| diff b on\n  k\na | latest\nb"),
            "a | diff b on k;\na | latest;\nb"
        );
    }

    #[test]
    fn diff_holds_its_source_and_keys() {
        let script = parse("a | diff (b | latest) on k and x == y").expect("parses");
        let StatementKind::Query(pipeline) = &script.statements[0].kind else {
            panic!("a query");
        };
        let OperatorKind::Diff { source, on } = &pipeline.operators[0].kind else {
            panic!("a diff: {:?}", pipeline.operators[0].kind);
        };
        let SourceKind::Nested(inner) = &source.kind else {
            panic!("a nested source");
        };
        assert!(matches!(inner.operators[0].kind, OperatorKind::Latest));
        let keys: Vec<(&str, &str)> = on
            .iter()
            .map(|k| (k.left.name.as_str(), k.right.name.as_str()))
            .collect();
        assert_eq!(keys, [("k", "k"), ("x", "y")]);
        assert_eq!(pipeline.operators[0].keyword, Span::new(4, 8));
    }

    #[test]
    fn at_takes_a_revision_of_one_or_more() {
        let script = parse("t | at 12").expect("parses");
        let StatementKind::Query(pipeline) = &script.statements[0].kind else {
            panic!("a query");
        };
        assert!(matches!(&pipeline.operators[0].kind, OperatorKind::At(n) if n.value == 12));
        for (text, says, at) in [
            ("t | at 0", "1 or more", 7),
            ("t | at 1.5", "1 or more", 7),
            ("t | at", "a revision number", 6),
            ("t | at x", "a revision number", 7),
            ("t | diff u", "`on`", 10),
            ("t | diff on k", "`on`", 12),
        ] {
            let error = parse(text).expect_err(text);
            let shown = format!("{} {:?}", error.message, error.help);
            assert!(shown.contains(says), "{text}: {shown}");
            assert_eq!(error.span.map(|s| s.start), Some(at), "{text}");
        }
    }
}
