//! The grammar of grammar/infraql.ebnf, as nom parsers.
//!
//! After a keyword the parser commits (`cut`): `services | where` with
//! nothing after it is reported as a missing expression at the end, not as an
//! unknown operator at `where`. Nesting is limited to [`MAX_DEPTH`] levels so
//! that no input can exhaust the stack.

use std::cell::Cell;

use nom::Parser;
use nom::branch::alt;
use nom::combinator::{cut, map, opt};
use nom::multi::separated_list1;

use super::ast::*;
use super::error::SyntaxError;
use super::lexeme::{
    Input, Number, PResult, RESERVED, Temporal, expect, ident, keyword, number, spanned, string,
    sym, temporal, ws,
};
use crate::diagnostic::{Span, did_you_mean};

/// How deeply brackets, nested pipelines and prefix operators may nest.
pub const MAX_DEPTH: usize = 64;

/// The operator keywords, for "expected an operator" help.
pub const OPERATORS: &[&str] = &[
    "where", "select", "derive", "drop", "rename", "sort", "take", "top", "group", "agg", "count",
    "distinct", "join", "union", "diff", "latest", "at", "export", "chart",
];

thread_local! {
    static DEPTH: Cell<usize> = const { Cell::new(0) };
}

/// Counts one level of nesting for as long as it lives.
struct Nesting;

impl Nesting {
    fn enter(at: usize) -> Result<Nesting, nom::Err<SyntaxError>> {
        let depth = DEPTH.with(|d| {
            d.set(d.get() + 1);
            d.get()
        });
        let guard = Nesting;
        if depth > MAX_DEPTH {
            return Err(nom::Err::Failure(SyntaxError::custom(
                at,
                1,
                format!("query nested too deeply (more than {MAX_DEPTH} levels)"),
            )));
        }
        Ok(guard)
    }
}

impl Drop for Nesting {
    fn drop(&mut self) {
        DEPTH.with(|d| d.set(d.get().saturating_sub(1)));
    }
}

fn offset(i: &Input) -> usize {
    i.location_offset()
}

/// script = { ";" } [ statement { ";" { ";" } statement } { ";" } ] end
pub fn script(i: Input) -> PResult<Script> {
    DEPTH.with(|d| d.set(0));
    let mut statements = Vec::new();
    let mut rest = i;
    loop {
        let (after, _) = separators(rest)?;
        rest = after;
        let (after, _) = ws(rest)?;
        if after.fragment().is_empty() {
            return Ok((after, Script { statements }));
        }
        let (after, statement) = statement(after)?;
        statements.push(statement);
        let (after, _) = ws(after)?;
        if after.fragment().is_empty() {
            return Ok((after, Script { statements }));
        }
        if !after.fragment().starts_with(';') {
            let mut error = SyntaxError::expected(offset(&after), "`|`");
            error.expected.push("end of statement".to_owned());
            return Err(nom::Err::Failure(error));
        }
        rest = after;
    }
}

fn separators(mut i: Input) -> PResult<()> {
    while let Ok((rest, _)) = sym(";")(i) {
        i = rest;
    }
    Ok((i, ()))
}

/// statement = "let" name "=" pipeline | pipeline
fn statement(i: Input) -> PResult<Statement> {
    let (i, _) = ws(i)?;
    let start = offset(&i);
    if let Ok((rest, _)) = keyword("let")(i) {
        let (rest, (name, name_span)) = cut(expect("a name for the binding", ident)).parse(rest)?;
        let (rest, _) = cut(sym("=")).parse(rest)?;
        let (rest, pipeline) = cut(pipeline).parse(rest)?;
        let span = Span::new(start, pipeline.span.end);
        let name = Ident {
            name,
            span: name_span,
        };
        return Ok((
            rest,
            Statement {
                kind: StatementKind::Let { name, pipeline },
                span,
            },
        ));
    }
    let (rest, pipeline) = pipeline(i)?;
    let span = pipeline.span;
    Ok((
        rest,
        Statement {
            kind: StatementKind::Query(pipeline),
            span,
        },
    ))
}

/// pipeline = source { "|" operator }
pub fn pipeline(i: Input) -> PResult<Pipeline> {
    let (i, source) = expect("a table name, `from \"file\"` or `(`", source).parse(i)?;
    let mut operators = Vec::new();
    let mut rest = i;
    while let Ok((after, _)) = sym("|")(rest) {
        let (after, op) = cut(operator).parse(after)?;
        operators.push(op);
        rest = after;
    }
    let end = operators.last().map_or(source.span.end, |op| op.span.end);
    let span = Span::new(source.span.start, end);
    Ok((
        rest,
        Pipeline {
            source,
            operators,
            span,
        },
    ))
}

/// source = "from" string | "(" pipeline ")" | name
fn source(i: Input) -> PResult<Source> {
    let (i, _) = ws(i)?;
    let start = offset(&i);
    if let Ok((rest, _)) = keyword("from")(i) {
        let (rest, (value, span)) = cut(expect("a file path in quotes", string)).parse(rest)?;
        let kind = SourceKind::File(StringLit { value, span });
        return Ok((
            rest,
            Source {
                kind,
                span: Span::new(start, span.end),
            },
        ));
    }
    if let Ok((rest, _)) = sym("(")(i) {
        let _nesting = Nesting::enter(start)?;
        let (rest, inner) = cut(pipeline).parse(rest)?;
        let (rest, close) = cut(sym(")")).parse(rest)?;
        let kind = SourceKind::Nested(Box::new(inner));
        return Ok((
            rest,
            Source {
                kind,
                span: Span::new(start, close.end),
            },
        ));
    }
    let (rest, (name, span)) = ident(i)?;
    Ok((
        rest,
        Source {
            kind: SourceKind::Named(Ident { name, span }),
            span,
        },
    ))
}

fn operator(i: Input) -> PResult<Operator> {
    let (i, _) = ws(i)?;
    let start = offset(&i);
    let (after_word, word) = match ident(i) {
        Ok((rest, (word, _))) => (rest, word),
        Err(_) => {
            return Err(nom::Err::Failure(expected_operator(start)));
        }
    };
    let keyword = Span::new(start, offset(&after_word));
    let rest = after_word;
    let (rest, kind) = match word.as_str() {
        "where" => map(cut(expr), OperatorKind::Where).parse(rest)?,
        "select" => map(cut(items), OperatorKind::Select).parse(rest)?,
        "derive" => map(cut(named_items), OperatorKind::Derive).parse(rest)?,
        "drop" => map(cut(names), OperatorKind::Drop).parse(rest)?,
        "rename" => map(cut(renames), OperatorKind::Rename).parse(rest)?,
        "sort" => map(cut(sort_keys), OperatorKind::Sort).parse(rest)?,
        "take" => map(cut(count), OperatorKind::Take).parse(rest)?,
        "top" => top(rest)?,
        "group" => group(rest)?,
        "agg" => map(cut(items), OperatorKind::Agg).parse(rest)?,
        "count" => (rest, OperatorKind::Count),
        "distinct" => map(opt(names), |names| {
            OperatorKind::Distinct(names.unwrap_or_default())
        })
        .parse(rest)?,
        "join" => join(rest)?,
        "union" => map(
            cut(expect("a table name, `from \"file\"` or `(`", source)),
            OperatorKind::Union,
        )
        .parse(rest)?,
        "diff" => diff(rest)?,
        "latest" => (rest, OperatorKind::Latest),
        "at" => map(cut(revision), OperatorKind::At).parse(rest)?,
        "export" => map(
            cut(expect("a file path in quotes", string)),
            |(value, span)| OperatorKind::Export(StringLit { value, span }),
        )
        .parse(rest)?,
        "chart" => chart(rest)?,
        _ => {
            let mut error =
                SyntaxError::custom(start, word.len(), format!("unknown operator `{word}`"))
                    .with_label("not an operator");
            error.help = Some(
                match (
                    sql_operator(&word),
                    did_you_mean(&word, OPERATORS.iter().copied()),
                ) {
                    (Some(instead), _) => instead.to_owned(),
                    (None, Some(close)) => format!("did you mean `{close}`?"),
                    (None, None) => format!("operators are: {}", OPERATORS.join(", ")),
                },
            );
            return Err(nom::Err::Failure(error));
        }
    };
    let span = Span::new(start, offset(&rest).max(keyword.end));
    Ok((
        rest,
        Operator {
            kind,
            span,
            keyword,
        },
    ))
}

/// What infraql writes for an operator of SQL (or of a close cousin).
pub fn sql_operator(word: &str) -> Option<&'static str> {
    Some(match word.to_ascii_lowercase().as_str() {
        "order" | "orderby" => "infraql sorts with `sort`: … | sort KEY [desc], KEY …",
        "limit" | "head" => "infraql keeps the first rows with `take`: … | take 10",
        "having" => {
            "infraql has no `having`: filter after the aggregate with a `where`, as in … | group k agg n = count() | where n > 1"
        }
        "filter" => "infraql filters rows with `where`: … | where CONDITION",
        "groupby" | "summarize" => {
            "infraql groups with `group … agg`: … | group KEY agg n = count()"
        }
        "project" => "infraql picks columns with `select`: … | select a, b",
        "extend" => "infraql adds columns with `derive`: … | derive x = …",
        _ => return None,
    })
}

fn expected_operator(at: usize) -> SyntaxError {
    SyntaxError::expected(at, "an operator")
        .with_help(format!("operators are: {}", OPERATORS.join(", ")))
}

/// top N by key { "," key }
fn top(i: Input) -> PResult<OperatorKind> {
    let (i, count) = cut(count).parse(i)?;
    let (i, _) = cut(keyword("by")).parse(i)?;
    let (i, keys) = cut(sort_keys).parse(i)?;
    Ok((i, OperatorKind::Top { count, keys }))
}

/// group item { "," item } "agg" item { "," item }
fn group(i: Input) -> PResult<OperatorKind> {
    if let Ok((after, by)) = keyword("by")(i)
        && ident(after).is_ok()
    {
        let error = SyntaxError::custom(by.start, by.end - by.start, "`group` takes no `by`")
            .with_label("leave this out")
            .with_help("write the keys right after `group`: … | group KEY agg n = count()");
        return Err(nom::Err::Failure(error));
    }
    let (i, keys) = cut(items).parse(i)?;
    let (i, _) = match keyword("agg")(i) {
        Ok(found) => found,
        Err(_) => {
            let (at, _) = ws(i)?;
            let mut error = SyntaxError::expected(offset(&at), "`agg`");
            error.expected.push("`,`".to_owned());
            let error = error.with_help("`group` needs `agg`: group KEYS agg NAME = AGGREGATE, …");
            return Err(nom::Err::Failure(error));
        }
    };
    let (i, aggregates) = cut(items).parse(i)?;
    Ok((i, OperatorKind::Group { keys, aggregates }))
}

/// join [inner|left|semi|anti] source on key { "and" key }
fn join(i: Input) -> PResult<OperatorKind> {
    let (i, kind) = opt(alt((
        map(keyword("inner"), |_| JoinKind::Inner),
        map(keyword("left"), |_| JoinKind::Left),
        map(keyword("semi"), |_| JoinKind::Semi),
        map(keyword("anti"), |_| JoinKind::Anti),
    )))
    .parse(i)?;
    let (i, source) = cut(expect("a table name, `from \"file\"` or `(`", source)).parse(i)?;
    let (i, _) = cut(keyword("on")).parse(i)?;
    let (i, on) = cut(separated_list1(keyword("and"), join_key)).parse(i)?;
    Ok((
        i,
        OperatorKind::Join {
            kind: kind.unwrap_or(JoinKind::Inner),
            source,
            on,
        },
    ))
}

/// diff source on key { "and" key }
fn diff(i: Input) -> PResult<OperatorKind> {
    let (i, source) = cut(expect("a table name, `from \"file\"` or `(`", source)).parse(i)?;
    let (i, _) = cut(keyword("on")).parse(i)?;
    let (i, on) = cut(separated_list1(keyword("and"), join_key)).parse(i)?;
    Ok((i, OperatorKind::Diff { source, on }))
}

/// The N of `at N`: a whole number, 1 or more.
fn revision(i: Input) -> PResult<Count> {
    let (rest, (n, span)) = expect("a revision number, as in `at 3`", number).parse(i)?;
    match n {
        Number::Int(value) if value >= 1 => Ok((
            rest,
            Count {
                value: value as u64,
                span,
            },
        )),
        _ => Err(nom::Err::Failure(
            SyntaxError::custom(
                span.start,
                span.end - span.start,
                "a revision number must be a whole number, 1 or more",
            )
            .with_label("not a revision")
            .with_help(
                "revisions count from 1, the oldest imported commit; `latest` is the newest",
            ),
        )),
    }
}

/// key = name [ "==" name ]
fn join_key(i: Input) -> PResult<JoinKey> {
    let (i, (left, left_span)) = expect("a column name", ident).parse(i)?;
    let left = Ident {
        name: left,
        span: left_span,
    };
    match sym("==")(i) {
        Ok((rest, _)) => {
            let (rest, (right, right_span)) = cut(expect("a column name", ident)).parse(rest)?;
            Ok((
                rest,
                JoinKey {
                    left,
                    right: Ident {
                        name: right,
                        span: right_span,
                    },
                },
            ))
        }
        Err(_) => Ok((
            i,
            JoinKey {
                right: left.clone(),
                left,
            },
        )),
    }
}

fn count(i: Input) -> PResult<Count> {
    let (rest, (n, span)) = expect("a row count", number).parse(i)?;
    match n {
        Number::Int(value) if value >= 0 => Ok((
            rest,
            Count {
                value: value as u64,
                span,
            },
        )),
        _ => Err(nom::Err::Failure(SyntaxError::custom(
            span.start,
            span.end - span.start,
            "a row count must be a whole number, 0 or more",
        ))),
    }
}

/// chart label "," value
fn chart(i: Input) -> PResult<OperatorKind> {
    let column = |what: &'static str| map(expect(what, ident), |(name, span)| Ident { name, span });
    map(
        cut((
            column("the label column, as in `chart service, requests_30d`"),
            expect(
                "`,` and the value column, as in `chart service, requests_30d`",
                sym(","),
            ),
            column("the value column, as in `chart service, requests_30d`"),
        )),
        |(label, _, value)| OperatorKind::Chart { label, value },
    )
    .parse(i)
}

fn names(i: Input) -> PResult<Vec<Ident>> {
    separated_list1(
        sym(","),
        map(expect("a column name", ident), |(name, span)| Ident {
            name,
            span,
        }),
    )
    .parse(i)
}

/// rename new = old { "," new = old }
fn renames(i: Input) -> PResult<Vec<(Ident, Ident)>> {
    separated_list1(sym(","), |i| {
        let (i, (new, new_span)) = expect("a new column name", ident).parse(i)?;
        let (i, _) = cut(sym("=")).parse(i)?;
        let (i, (old, old_span)) = cut(expect("the column to rename", ident)).parse(i)?;
        Ok((
            i,
            (
                Ident {
                    name: new,
                    span: new_span,
                },
                Ident {
                    name: old,
                    span: old_span,
                },
            ),
        ))
    })
    .parse(i)
}

/// item = [ name "=" ] expr
fn items(i: Input) -> PResult<Vec<Item>> {
    separated_list1(sym(","), item).parse(i)
}

fn item(i: Input) -> PResult<Item> {
    reserved_name_check(i)?;
    if let Ok((rest, (name, span))) = ident(i)
        && let Ok((rest, _)) = sym("=")(rest)
    {
        let (rest, expr) = cut(expr).parse(rest)?;
        return Ok((
            rest,
            Item {
                name: Some(Ident { name, span }),
                expr,
            },
        ));
    }
    let (rest, expr) = expr(i)?;
    Ok((rest, Item { name: None, expr }))
}

/// `null = 1` is almost certainly meant as a name: say that the word is
/// reserved rather than that `=` was unexpected.
fn reserved_name_check(i: Input) -> PResult<()> {
    let (at, _) = ws(i)?;
    let word: String = at
        .fragment()
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect();
    if RESERVED.contains(&word.as_str()) {
        let after = at.fragment()[word.len()..].trim_start();
        if after.starts_with('=') && !after.starts_with("==") {
            let start = offset(&at);
            let error =
                SyntaxError::custom(start, word.len(), format!("`{word}` is a reserved word"))
                    .with_label("cannot be a name as it stands")
                    .with_help(format!(
                        "put it in backquotes to use it as a name: `{word}`"
                    ));
            return Err(nom::Err::Failure(error));
        }
    }
    Ok((i, ()))
}

/// Items that must be named: `derive name = expr`.
fn named_items(i: Input) -> PResult<Vec<Item>> {
    separated_list1(sym(","), |i| {
        reserved_name_check(i)?;
        let (i, (name, span)) = expect("a new column name", ident).parse(i)?;
        let (i, _) = cut(sym("=")).parse(i)?;
        let (i, expr) = cut(expr).parse(i)?;
        Ok((
            i,
            Item {
                name: Some(Ident { name, span }),
                expr,
            },
        ))
    })
    .parse(i)
}

fn sort_keys(i: Input) -> PResult<Vec<SortKey>> {
    separated_list1(sym(","), |i| {
        let (i, expr) = expr(i)?;
        let (i, order) = opt(alt((
            map(keyword("asc"), |_| Order::Asc),
            map(keyword("desc"), |_| Order::Desc),
        )))
        .parse(i)?;
        Ok((i, SortKey { expr, order }))
    })
    .parse(i)
}

// ---- expressions -------------------------------------------------------

/// expr = or_expr
pub fn expr(i: Input) -> PResult<Expr> {
    expect("an expression", or_expr).parse(i)
}

fn binary(op: BinaryOp, left: Expr, right: Expr) -> Expr {
    let span = left.span.to(right.span);
    Expr {
        kind: ExprKind::Binary(op, Box::new(left), Box::new(right)),
        span,
    }
}

/// Parses `operand { op operand }` left-associatively.
fn left_assoc<'a>(
    i: Input<'a>,
    mut operand: impl FnMut(Input<'a>) -> PResult<'a, Expr>,
    mut op: impl Parser<Input<'a>, Output = BinaryOp, Error = SyntaxError>,
) -> PResult<'a, Expr> {
    let (mut rest, mut left) = operand(i)?;
    while let Ok((after, op)) = op.parse(rest) {
        let (after, right) = cut(expect("an expression", &mut operand)).parse(after)?;
        left = binary(op, left, right);
        rest = after;
    }
    Ok((rest, left))
}

fn or_expr(i: Input) -> PResult<Expr> {
    left_assoc(i, and_expr, map(keyword("or"), |_| BinaryOp::Or))
}

fn and_expr(i: Input) -> PResult<Expr> {
    left_assoc(i, not_expr, map(keyword("and"), |_| BinaryOp::And))
}

/// not_expr = "not" not_expr | comparison
fn not_expr(i: Input) -> PResult<Expr> {
    if let Ok((rest, not)) = keyword("not")(i) {
        let _nesting = Nesting::enter(not.start)?;
        let (rest, operand) = cut(expect("an expression", not_expr)).parse(rest)?;
        let span = not.to(operand.span);
        return Ok((
            rest,
            Expr {
                kind: ExprKind::Unary(UnaryOp::Not, Box::new(operand)),
                span,
            },
        ));
    }
    comparison(i)
}

fn comparison_op(i: Input) -> PResult<BinaryOp> {
    alt((
        map(sym("=="), |_| BinaryOp::Eq),
        map(sym("!="), |_| BinaryOp::NotEq),
        map(sym("<="), |_| BinaryOp::LtEq),
        map(sym(">="), |_| BinaryOp::GtEq),
        map(sym("<"), |_| BinaryOp::Lt),
        map(sym(">"), |_| BinaryOp::Gt),
        map(keyword("contains"), |_| BinaryOp::Contains),
        map(keyword("startswith"), |_| BinaryOp::StartsWith),
        map(keyword("endswith"), |_| BinaryOp::EndsWith),
        map(keyword("like"), |_| BinaryOp::Like),
        map(keyword("matches"), |_| BinaryOp::Matches),
    ))
    .parse(i)
}

/// comparison = additive [ cmp_op additive | ["not"] "in" list | "is" ["not"] "null" ]
fn comparison(i: Input) -> PResult<Expr> {
    let (i, left) = additive(i)?;
    sql_comparison_check(i, &left)?;
    if let Ok((rest, op)) = comparison_op(i) {
        let (rest, right) = cut(expect("an expression", additive)).parse(rest)?;
        return Ok((rest, binary(op, left, right)));
    }
    if let Ok((rest, _)) = keyword("is")(i) {
        let (rest, negated) = map(opt(keyword("not")), |n| n.is_some()).parse(rest)?;
        if let Ok((rest, _)) = keyword("distinct")(rest) {
            let (rest, _) = cut(expect("`from`", keyword("from"))).parse(rest)?;
            let (rest, right) = cut(expect("an expression", additive)).parse(rest)?;
            let op = if negated {
                BinaryOp::IsNotDistinct
            } else {
                BinaryOp::IsDistinct
            };
            return Ok((rest, binary(op, left, right)));
        }
        let (rest, null) = cut(expect("`null` or `distinct from`", keyword("null"))).parse(rest)?;
        let span = left.span.to(null);
        let kind = ExprKind::IsNull {
            expr: Box::new(left),
            negated,
        };
        return Ok((rest, Expr { kind, span }));
    }
    let not_in = (keyword("not"), keyword("in"));
    if let Ok((rest, negated)) =
        alt((map(not_in, |_| true), map(keyword("in"), |_| false))).parse(i)
    {
        if let Ok((_, open)) = sym("(")(rest) {
            let column = super::print::expr(&left);
            let word = if negated { "anti" } else { "semi" };
            let error = SyntaxError::custom(open.start, 1, "`in` takes a list in square brackets")
                .with_label("not a list")
                .with_help(format!(
                    "to keep the rows whose {column} another pipeline has, join it: `| join {word} (PIPELINE) on {column} == COLUMN`; a list of values is [a, b]"
                ));
            return Err(nom::Err::Failure(error));
        }
        let (rest, (list, list_span)) =
            cut(expect("a list in brackets: [a, b]", spanned(list))).parse(rest)?;
        let span = left.span.to(list_span);
        let kind = ExprKind::In {
            expr: Box::new(left),
            list,
            negated,
        };
        return Ok((rest, Expr { kind, span }));
    }
    Ok((i, left))
}

/// SQL's `=`, `<>` and `between` after an operand: say what infraql writes
/// instead, with the caret on the SQL word.
fn sql_comparison_check<'a>(i: Input<'a>, left: &Expr) -> PResult<'a, ()> {
    let (at, _) = ws(i)?;
    let start = offset(&at);
    let text = *at.fragment();
    let left_text = super::print::expr(left);
    if text.starts_with("<>") {
        let error = SyntaxError::custom(start, 2, "`<>` is not an infraql operator")
            .with_label("use `!=`")
            .with_help(format!("`!=` means not equal: {left_text} != …"));
        return Err(nom::Err::Failure(error));
    }
    if text.starts_with('=') && !text.starts_with("==") {
        let error = SyntaxError::custom(start, 1, "`=` does not compare values in infraql")
            .with_label("use `==`")
            .with_help(format!(
                "`==` compares: {left_text} == …; a single `=` only names a column, as in derive x = …"
            ));
        return Err(nom::Err::Failure(error));
    }
    if let Ok((rest, word)) = keyword("between")(at) {
        // `x between a and b`: name the two bounds when they parse.
        let bounds = (additive, keyword("and"), additive).parse(rest);
        let rewrite = match bounds {
            Ok((_, (low, _, high))) => format!(
                "{left_text} >= {} and {left_text} <= {}",
                super::print::expr(&low),
                super::print::expr(&high)
            ),
            Err(_) => format!("{left_text} >= LOW and {left_text} <= HIGH"),
        };
        let error = SyntaxError::custom(
            word.start,
            word.end - word.start,
            "infraql has no `between`",
        )
        .with_label("not an operator here")
        .with_help(format!("write the two bounds: {rewrite}"));
        return Err(nom::Err::Failure(error));
    }
    Ok((i, ()))
}

/// list = "[" [ expr { "," expr } ] "]"
fn list(i: Input) -> PResult<Vec<Expr>> {
    let (i, _) = sym("[")(i)?;
    if let Ok((rest, _)) = sym("]")(i) {
        return Ok((rest, Vec::new()));
    }
    let (i, values) = cut(separated_list1(sym(","), expr)).parse(i)?;
    let (i, _) = cut(sym("]")).parse(i)?;
    Ok((i, values))
}

fn additive(i: Input) -> PResult<Expr> {
    left_assoc(
        i,
        multiplicative,
        alt((
            map(sym("+"), |_| BinaryOp::Add),
            map(sym("-"), |_| BinaryOp::Sub),
        )),
    )
}

fn multiplicative(i: Input) -> PResult<Expr> {
    left_assoc(
        i,
        unary,
        alt((
            map(sym("*"), |_| BinaryOp::Mul),
            map(sym("/"), |_| BinaryOp::Div),
            map(sym("%"), |_| BinaryOp::Rem),
        )),
    )
}

/// unary = "-" unary | primary
fn unary(i: Input) -> PResult<Expr> {
    if let Ok((rest, minus)) = sym("-")(i) {
        let _nesting = Nesting::enter(minus.start)?;
        let (rest, operand) = cut(expect("an expression", unary)).parse(rest)?;
        let span = minus.to(operand.span);
        let kind = match operand.kind {
            // Fold the sign into number literals so `-5` is a literal.
            ExprKind::Literal(Literal::Int(n)) => ExprKind::Literal(Literal::Int(-n)),
            ExprKind::Literal(Literal::Float(f)) => ExprKind::Literal(Literal::Float(-f)),
            ExprKind::Literal(Literal::Duration(d)) => ExprKind::Literal(Literal::Duration(-d)),
            _ => ExprKind::Unary(UnaryOp::Neg, Box::new(operand)),
        };
        return Ok((rest, Expr { kind, span }));
    }
    primary(i)
}

/// primary = date | number | string | "true" | "false" | "null" | case
///         | call [ window ] | name | "(" expr ")"
fn primary(i: Input) -> PResult<Expr> {
    let (i, _) = ws(i)?;
    let start = offset(&i);
    let literal = |kind: Literal, span: Span| Expr {
        kind: ExprKind::Literal(kind),
        span,
    };
    match temporal(i) {
        Ok((rest, (value, span))) => {
            let kind = match value {
                Temporal::Date(d) => Literal::Date(d),
                Temporal::Datetime(t) => Literal::Datetime(t),
            };
            return Ok((rest, literal(kind, span)));
        }
        Err(failure @ nom::Err::Failure(_)) => return Err(failure),
        Err(_) => {}
    }
    // A malformed number or string is reported as such (a failure), not
    // as "expected an expression".
    match number(i) {
        Ok((rest, (n, span))) => {
            let kind = match n {
                Number::Int(v) => Literal::Int(v),
                Number::Float(v) => Literal::Float(v),
                Number::Duration(v) => Literal::Duration(v),
            };
            return Ok((rest, literal(kind, span)));
        }
        Err(failure @ nom::Err::Failure(_)) => return Err(failure),
        Err(_) => {}
    }
    match string(i) {
        Ok((rest, (s, span))) => return Ok((rest, literal(Literal::String(s), span))),
        Err(failure @ nom::Err::Failure(_)) => return Err(failure),
        Err(_) => {}
    }
    for (word, value) in [
        ("true", Literal::Bool(true)),
        ("false", Literal::Bool(false)),
        ("null", Literal::Null),
    ] {
        if let Ok((rest, span)) = keyword(word)(i) {
            return Ok((rest, literal(value, span)));
        }
    }
    if let Some(found) = string_test_call(i)? {
        return Ok(found);
    }
    if let Ok((rest, open)) = sym("(")(i) {
        let _nesting = Nesting::enter(open.start)?;
        let (rest, mut inner) = cut(expr).parse(rest)?;
        if let Ok((_, bar)) = sym("|")(rest) {
            return Err(nom::Err::Failure(pipeline_as_value(bar)));
        }
        let (rest, close) = cut(sym(")")).parse(rest)?;
        inner.span = open.to(close);
        return Ok((rest, inner));
    }
    let (rest, (name, name_span)) = match ident(i) {
        Ok(found) => found,
        Err(nom::Err::Error(_)) => {
            return Err(nom::Err::Error(SyntaxError::expected(
                start,
                "an expression",
            )));
        }
        Err(other) => return Err(other),
    };
    if let Ok((after, _)) = sym("(")(rest) {
        let _nesting = Nesting::enter(name_span.start)?;
        let (after, args) = if let Ok((after, _)) = sym(")")(after) {
            (after, Vec::new())
        } else if let Ok((inner, word)) = keyword("distinct")(after)
            && let Ok((_, arg)) = expr(inner)
        {
            return Err(nom::Err::Failure(distinct_in_call(&name, word, &arg)));
        } else {
            let (after, args) = cut(separated_list1(sym(","), expr)).parse(after)?;
            let (after, _) = cut(sym(")")).parse(after)?;
            (after, args)
        };
        let span = Span::new(name_span.start, offset(&after));
        let name = Ident {
            name,
            span: name_span,
        };
        let call = Expr {
            kind: ExprKind::Call { name, args },
            span,
        };
        return window(after, call);
    }
    if name == "case" && keyword("when")(rest).is_ok() {
        let _nesting = Nesting::enter(name_span.start)?;
        return case(rest, name_span);
    }
    Ok((
        rest,
        Expr {
            kind: ExprKind::Column(name),
            span: name_span,
        },
    ))
}

/// `startswith(text, prefix)`, `contains(…)`, `endswith(…)`: the call
/// form DuckDB and KQL users type, the same test as the infix
/// `text startswith prefix`. `None` when the text is not such a call.
fn string_test_call(i: Input) -> Result<Option<(Input, Expr)>, nom::Err<SyntaxError>> {
    const TESTS: [(&str, BinaryOp); 3] = [
        ("contains", BinaryOp::Contains),
        ("startswith", BinaryOp::StartsWith),
        ("endswith", BinaryOp::EndsWith),
    ];
    for (word, op) in TESTS {
        let Ok((rest, name)) = keyword(word)(i) else {
            continue;
        };
        let Ok((rest, _)) = sym("(")(rest) else {
            return Ok(None);
        };
        let _nesting = Nesting::enter(name.start)?;
        let (rest, args) = cut(separated_list1(sym(","), expr)).parse(rest)?;
        let (rest, _) = cut(sym(")")).parse(rest)?;
        let span = Span::new(name.start, offset(&rest));
        let mut args = args.into_iter();
        let (Some(text), Some(pattern), None) = (args.next(), args.next(), args.next()) else {
            let error = SyntaxError::custom(
                span.start,
                span.end - span.start,
                format!("`{word}` takes two arguments"),
            )
            .with_label("here")
            .with_help(format!("{word}(text, pattern), or text {word} pattern"));
            return Err(nom::Err::Failure(error));
        };
        let kind = ExprKind::Binary(op, Box::new(text), Box::new(pattern));
        return Ok(Some((rest, Expr { kind, span })));
    }
    Ok(None)
}

/// `(logs | count)` where a value is wanted: a pipeline is not a value.
fn pipeline_as_value(bar: Span) -> SyntaxError {
    SyntaxError::custom(
        bar.start,
        bar.end - bar.start,
        "a pipeline in brackets is not a value",
    )
    .with_label("a pipeline goes on here")
    .with_help(
        "over the same rows, use a window: `count() over ()`, `avg(requests_30d) over ()`; to keep rows found by another pipeline, `join semi` it",
    )
}

/// SQL's `count(distinct x)`: infraql has `count_distinct(x)`, and other
/// aggregates of distinct values take a `distinct` operator first.
fn distinct_in_call(function: &str, word: Span, arg: &Expr) -> SyntaxError {
    let arg = super::print::expr(arg);
    let error = SyntaxError::custom(
        word.start,
        word.end - word.start,
        format!("`{function}(distinct …)` is SQL, not infraql"),
    );
    if function.eq_ignore_ascii_case("count") {
        error.with_label("use count_distinct").with_help(format!(
            "the number of distinct values is count_distinct({arg})"
        ))
    } else {
        error
            .with_label("no `distinct` inside a call")
            .with_help(format!(
                "keep one row per value first: … | distinct {arg} | agg {function}({arg})"
            ))
    }
}

/// window = "over" "(" [ "by" expr { "," expr } ] ")"
fn window(i: Input, call: Expr) -> PResult<Expr> {
    let Ok((rest, _)) = keyword("over")(i) else {
        return Ok((i, call));
    };
    let (rest, _) = cut(sym("(")).parse(rest)?;
    let (rest, partition) = match keyword("by")(rest) {
        Ok((rest, _)) => cut(separated_list1(sym(","), expr)).parse(rest)?,
        Err(_) => (rest, Vec::new()),
    };
    let (rest, close) = match sym(")")(rest) {
        Ok(found) => found,
        Err(_) => {
            let (at, _) = ws(rest)?;
            let mut error = SyntaxError::expected(offset(&at), "`)`");
            if partition.is_empty() {
                error.expected.push("`by`".to_owned());
            }
            return Err(nom::Err::Failure(error));
        }
    };
    let span = call.span.to(close);
    let kind = ExprKind::Window {
        function: Box::new(call),
        partition,
    };
    Ok((rest, Expr { kind, span }))
}

/// case = "case" "when" expr "then" expr { "when" expr "then" expr } [ "else" expr ] "end"
fn case(i: Input, case_span: Span) -> PResult<Expr> {
    let mut branches = Vec::new();
    let mut rest = i;
    while let Ok((after, _)) = keyword("when")(rest) {
        let (after, condition) = cut(expr).parse(after)?;
        let (after, _) = cut(keyword("then")).parse(after)?;
        let (after, value) = cut(expr).parse(after)?;
        branches.push((condition, value));
        rest = after;
    }
    let (rest, otherwise) = match keyword("else")(rest) {
        Ok((after, _)) => {
            let (after, value) = cut(expr).parse(after)?;
            (after, Some(Box::new(value)))
        }
        Err(_) => (rest, None),
    };
    let (rest, end) = match keyword("end")(rest) {
        Ok(found) => found,
        Err(_) => {
            let (at, _) = ws(rest)?;
            let mut error = SyntaxError::expected(offset(&at), "`when`");
            error
                .expected
                .extend(["`else`".to_owned(), "`end`".to_owned()]);
            return Err(nom::Err::Failure(error.with_help("a case ends with `end`")));
        }
    };
    let kind = ExprKind::Case {
        branches,
        otherwise,
    };
    let span = case_span.to(end);
    Ok((rest, Expr { kind, span }))
}

/// Runs `parser` on all of `text` and fails unless it consumed everything
/// (after white space); for parsing one expression alone, in tests and tools.
pub fn complete<'a, O>(
    text: &'a str,
    mut parser: impl FnMut(Input<'a>) -> PResult<'a, O>,
) -> Result<O, SyntaxError> {
    let (rest, out) = parser(Input::new(text)).map_err(|e| match e {
        nom::Err::Error(e) | nom::Err::Failure(e) => e,
        nom::Err::Incomplete(_) => SyntaxError::expected(text.len(), "more input"),
    })?;
    let (rest, _) = ws(rest).map_err(|_| SyntaxError::expected(offset(&rest), "end of input"))?;
    if !rest.fragment().is_empty() {
        return Err(SyntaxError::expected(offset(&rest), "end of input"));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use crate::diagnostic::Diagnostic;

    fn error(text: &str) -> Diagnostic {
        match crate::syntax::parse(text) {
            Ok(script) => panic!("{text} parsed: {script:?}"),
            Err(e) => e,
        }
    }

    /// The message, the text under the caret and the help of an error.
    fn parts(text: &str) -> (String, String, String) {
        let e = error(text);
        let span = e.span.expect("a place");
        let under = text.get(span.start..span.end).unwrap_or("").to_owned();
        (e.message, under, e.help.join("\n"))
    }

    #[test]
    fn sql_comparisons_name_the_infraql_form() {
        let (message, under, help) = parts("services | where uptime_pct = 90");
        assert_eq!(message, "`=` does not compare values in infraql");
        assert_eq!(under, "=");
        assert!(help.contains("uptime_pct == …"), "{help}");
        let (message, under, help) = parts("services | where a <> 1");
        assert_eq!(message, "`<>` is not an infraql operator");
        assert_eq!(under, "<>");
        assert!(help.contains("a != …"), "{help}");
        let (message, under, help) = parts("services | where x between 1 and 2 + y");
        assert_eq!(message, "infraql has no `between`");
        assert_eq!(under, "between");
        assert!(help.ends_with("x >= 1 and x <= 2 + y"), "{help}");
        // `==`, `<=` and a derive's `=` are untouched.
        assert!(crate::syntax::parse("s | where a == 1 and b <= 2 | derive c = 1").is_ok());
    }

    #[test]
    fn sql_distinct_in_a_call_points_at_count_distinct() {
        let (message, under, help) = parts("s | agg count(distinct service)");
        assert_eq!(message, "`count(distinct …)` is SQL, not infraql");
        assert_eq!(under, "distinct");
        assert!(help.contains("count_distinct(service)"), "{help}");
        let (_, _, help) = parts("s | agg sum(distinct x)");
        assert!(help.contains("| distinct x | agg sum(x)"), "{help}");
        // A column named `distinct` is still a column.
        assert!(crate::syntax::parse("s | agg count(distinct)").is_ok());
    }

    #[test]
    fn sql_clauses_name_the_operator() {
        let (message, under, help) = parts("s | order by x");
        assert_eq!(message, "unknown operator `order`");
        assert_eq!(under, "order");
        assert!(help.contains("`sort`"), "{help}");
        let (_, under, help) = parts("s | limit 3");
        assert_eq!(under, "limit");
        assert!(help.contains("`take`"), "{help}");
        let (message, under, help) = parts("s | group k agg n = count() having n > 1");
        assert!(message.starts_with("expected `|`"), "{message}");
        assert_eq!(under, "having");
        assert!(help.contains("| where n > 1"), "{help}");
        let (_, under, help) = parts("s | where a == 1 order by a");
        assert_eq!(under, "order");
        assert!(help.contains("after a `|`"), "{help}");
        let (message, under, _) = parts("s | group by k agg n = count()");
        assert_eq!(message, "`group` takes no `by`");
        assert_eq!(under, "by");
        let (_, under, help) = parts("s | join t on a = b");
        assert_eq!(under, "=");
        assert!(help.contains("`==` compares"), "{help}");
    }
}
