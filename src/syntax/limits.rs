//! Limits on the size of what parses, so no later stage (resolution,
//! lowering, the engine) meets a tree it cannot walk in bounded stack and
//! time.
//!
//! Brackets and nested pipelines are limited while parsing
//! (`parser::MAX_DEPTH`); what the parser builds iteratively is checked
//! here, after parsing: the number of operators in one pipeline, and the
//! depth of an expression. A chain of `and` or of `or` counts as the depth
//! of a balanced tree of its terms, which is how it is planned (see
//! `plan::resolve`), so a long list of alternatives stays cheap; any other
//! operator chain (`a + b + c …`) counts one level per operator, because
//! engines walk such trees recursively and some of their passes are
//! quadratic in the depth.

use super::ast::{
    BinaryOp, Expr, ExprKind, OperatorKind, Pipeline, Script, SourceKind, StatementKind,
};
use crate::diagnostic::Diagnostic;

/// Operators in one pipeline.
pub const MAX_OPERATORS: usize = 500;
/// Nesting of one expression (see the module docs for how it is counted).
pub const MAX_EXPR_DEPTH: usize = 256;

/// The first limit `script` goes over, as a diagnostic at that place.
pub fn check(script: &Script) -> Result<(), Diagnostic> {
    for statement in &script.statements {
        match &statement.kind {
            StatementKind::Let { pipeline, .. } | StatementKind::Query(pipeline) => {
                check_pipeline(pipeline)?;
            }
        }
    }
    Ok(())
}

fn check_pipeline(pipeline: &Pipeline) -> Result<(), Diagnostic> {
    if let Some(extra) = pipeline.operators.get(MAX_OPERATORS) {
        return Err(Diagnostic::at(
            format!("a pipeline may have at most {MAX_OPERATORS} operators"),
            extra.keyword,
        )
        .with_label(format!("operator {}", MAX_OPERATORS + 1))
        .with_help("split it: `let part = …` names a pipeline that another can go on from"));
    }
    check_source(&pipeline.source.kind)?;
    for operator in &pipeline.operators {
        for expr in expressions(&operator.kind) {
            check_expr(expr)?;
        }
        match &operator.kind {
            OperatorKind::Join { source, .. }
            | OperatorKind::Union(source)
            | OperatorKind::Diff { source, .. } => {
                check_source(&source.kind)?;
            }
            _ => {}
        }
    }
    Ok(())
}

fn check_source(source: &SourceKind) -> Result<(), Diagnostic> {
    match source {
        SourceKind::Nested(inner) => check_pipeline(inner),
        SourceKind::Named(_) | SourceKind::File(_) => Ok(()),
    }
}

/// The expressions an operator holds.
fn expressions(kind: &OperatorKind) -> Vec<&Expr> {
    match kind {
        OperatorKind::Where(e) => vec![e],
        OperatorKind::Select(items) | OperatorKind::Derive(items) | OperatorKind::Agg(items) => {
            items.iter().map(|i| &i.expr).collect()
        }
        OperatorKind::Group { keys, aggregates } => {
            keys.iter().chain(aggregates).map(|i| &i.expr).collect()
        }
        OperatorKind::Sort(keys) | OperatorKind::Top { keys, .. } => {
            keys.iter().map(|k| &k.expr).collect()
        }
        _ => Vec::new(),
    }
}

fn check_expr(expr: &Expr) -> Result<(), Diagnostic> {
    if deeper_than(expr, MAX_EXPR_DEPTH) {
        return Err(Diagnostic::at(
            format!("expression nested too deeply (more than {MAX_EXPR_DEPTH} levels)"),
            expr.span,
        )
        .with_label("this expression")
        .with_help(
            "each operator in a chain such as `a + b + c` is a level; split the work over `derive` steps",
        ));
    }
    Ok(())
}

/// Whether `expr` is more than `levels` deep, an `and`/`or` chain counting
/// as a balanced tree of its terms. Stops as soon as it knows, so it never
/// recurses deeper than `levels` however deep the tree is.
pub fn deeper_than(expr: &Expr, levels: usize) -> bool {
    if levels == 0 {
        return true;
    }
    let below = levels - 1;
    match &expr.kind {
        ExprKind::Column(_) | ExprKind::Literal(_) => false,
        ExprKind::Binary(op @ (BinaryOp::And | BinaryOp::Or), ..) => {
            let terms = chain(expr, *op);
            let height = balanced_height(terms.len());
            height >= levels || terms.iter().any(|t| deeper_than(t, levels - height))
        }
        ExprKind::Unary(_, inner) | ExprKind::IsNull { expr: inner, .. } => {
            deeper_than(inner, below)
        }
        ExprKind::Binary(_, left, right) => deeper_than(left, below) || deeper_than(right, below),
        ExprKind::Call { args, .. } => args.iter().any(|a| deeper_than(a, below)),
        ExprKind::In { expr, list, .. } => {
            deeper_than(expr, below) || list.iter().any(|e| deeper_than(e, below))
        }
        ExprKind::Window {
            function,
            partition,
        } => deeper_than(function, below) || partition.iter().any(|e| deeper_than(e, below)),
        ExprKind::Case {
            branches,
            otherwise,
        } => {
            // `case` is planned as nested ifs, one level per branch.
            let Some(left) = levels.checked_sub(branches.len()) else {
                return true;
            };
            branches
                .iter()
                .any(|(c, v)| deeper_than(c, left) || deeper_than(v, left))
                || otherwise.as_deref().is_some_and(|o| deeper_than(o, left))
        }
    }
}

/// The terms of a chain of `op` (`a or b or c` → a, b, c), left to right,
/// found without recursion however long the chain.
pub fn chain(expr: &Expr, op: BinaryOp) -> Vec<&Expr> {
    let mut terms = Vec::new();
    let mut pending = vec![expr];
    while let Some(node) = pending.pop() {
        match &node.kind {
            ExprKind::Binary(o, left, right) if *o == op => {
                pending.push(right);
                pending.push(left);
            }
            _ => terms.push(node),
        }
    }
    terms
}

/// Levels of a balanced binary tree over `n` leaves (0 for one leaf).
pub fn balanced_height(n: usize) -> usize {
    let mut height = 0;
    while (1usize << height) < n {
        height += 1;
    }
    height
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::parse;

    fn first_error(text: &str) -> Option<String> {
        parse(text).err().map(|d| d.message)
    }

    #[test]
    fn long_pipelines_are_refused_at_the_operator_over_the_limit() {
        let ok = format!("services{}", " | take 1".repeat(MAX_OPERATORS));
        assert!(parse(&ok).is_ok());
        let long = format!("services{}", " | take 1".repeat(MAX_OPERATORS + 1));
        let error = parse(&long).unwrap_err();
        assert!(error.message.contains("at most 500 operators"), "{error:?}");
        let span = error.span.expect("a place");
        let at = 8 + MAX_OPERATORS * " | take 1".len() + 3;
        assert_eq!(span.start, at);
    }

    #[test]
    fn or_chains_count_as_balanced_trees() {
        let terms: Vec<String> = (0..10_000).map(|i| format!("x > {i}")).collect();
        let text = format!("t | where {}", terms.join(" or "));
        assert!(parse(&text).is_ok());
    }

    #[test]
    fn arithmetic_chains_over_the_limit_are_refused() {
        let ok = format!("t | select x = {}", vec!["1"; MAX_EXPR_DEPTH].join(" + "));
        assert!(parse(&ok).is_ok(), "{:?}", first_error(&ok));
        let deep = format!("t | select x = {}", vec!["1"; 2_000].join(" + "));
        let message = first_error(&deep).expect("an error");
        assert!(message.contains("nested too deeply"), "{message}");
    }

    #[test]
    fn balanced_heights() {
        assert_eq!(balanced_height(1), 0);
        assert_eq!(balanced_height(2), 1);
        assert_eq!(balanced_height(3), 2);
        assert_eq!(balanced_height(1024), 10);
        assert_eq!(balanced_height(1025), 11);
    }
}
