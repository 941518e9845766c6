//! Expressions: names looked up in the current schema, operators
//! type-checked (function calls are in `calls`).
//!
//! Errors are pushed to the resolver's list and resolution carries on with
//! the other parts, so one run reports every unknown name at once.

use super::Resolver;
use super::calls::to_datetime;
use crate::diagnostic::{Diagnostic, Span, either, suggestions};
use crate::plan::functions::{Aggregate, Function};
use crate::plan::logical::{BinaryOp, Expr, StringTest, UnaryOp, Value, unix_seconds_range};
use crate::plan::schema::Schema;
use crate::plan::types::Type;
use crate::syntax::ast::{self, ExprKind, Literal};
use crate::syntax::print;

/// Where an expression stands, which decides whether aggregates may appear.
#[derive(Debug, Clone, Copy)]
pub enum Scope<'s> {
    /// Evaluated per row (where, select, derive, sort, group keys);
    /// aggregates only as windows (`sum(x) over ()`).
    Row,
    /// An `agg` item: aggregates allowed; bare columns only when they are
    /// group keys (their value is the same in the whole group).
    Aggregate { keys: &'s Schema },
}

/// Everything an expression is resolved against.
#[derive(Debug, Clone, Copy)]
pub struct Ctx<'s> {
    pub schema: &'s Schema,
    pub scope: Scope<'s>,
    /// Inside the arguments of an aggregate (columns are fine there, another
    /// aggregate is not).
    pub in_aggregate: bool,
}

impl<'s> Ctx<'s> {
    pub fn new(schema: &'s Schema, scope: Scope<'s>) -> Self {
        Ctx {
            schema,
            scope,
            in_aggregate: false,
        }
    }

    pub fn inside_aggregate(self) -> Self {
        Ctx {
            in_aggregate: true,
            ..self
        }
    }
}

/// Marker for "an error was already reported for this expression".
#[derive(Debug)]
pub struct Reported;

pub type Typed = (Expr, Type);

/// The common type of two values that may meet in one column: numbers widen
/// to float, dates to datetimes, null fits anything.
pub fn unify(a: Type, b: Type) -> Option<Type> {
    match (a, b) {
        (x, y) if x == y => Some(x),
        (Type::Null, other) | (other, Type::Null) => Some(other),
        (Type::Int, Type::Float) | (Type::Float, Type::Int) => Some(Type::Float),
        (Type::Date, Type::Datetime) | (Type::Datetime, Type::Date) => Some(Type::Datetime),
        _ => None,
    }
}

/// `expr` as a value of type `to` (no cast when it already is one).
pub fn cast_to(expr: Expr, from: Type, to: Type) -> Expr {
    if from == to || from == Type::Null {
        expr
    } else {
        expr.cast(to)
    }
}

impl Resolver<'_> {
    pub(super) fn expr(
        &mut self,
        e: &ast::Expr,
        schema: &Schema,
        scope: Scope,
    ) -> Result<Typed, Reported> {
        self.expr_in(e, Ctx::new(schema, scope))
    }

    pub(super) fn report(&mut self, diagnostic: Diagnostic) -> Reported {
        self.errors.push(diagnostic);
        Reported
    }

    pub(super) fn expr_in(&mut self, e: &ast::Expr, ctx: Ctx) -> Result<Typed, Reported> {
        match &e.kind {
            ExprKind::Column(name) => self.column(name, e.span, ctx),
            ExprKind::Literal(literal) => {
                let value = literal_value(literal);
                let ty = value.ty();
                Ok((Expr::Literal(value), ty))
            }
            ExprKind::Unary(op, inner) => self.unary(*op, inner, ctx, e.span),
            ExprKind::Binary(op @ (ast::BinaryOp::And | ast::BinaryOp::Or), ..) => {
                self.logic_chain(*op, e, ctx)
            }
            ExprKind::Binary(op, left, right) => {
                let l = self.expr_in(left, ctx);
                let r = self.expr_in(right, ctx);
                self.hint_quotes(*op, [(left, &l), (right, &r)], ctx);
                let (l, r) = (l?, r?);
                self.binary(*op, l, r, left, right, e.span)
            }
            ExprKind::Call { name, args } => self.call(name, args, e.span, None, ctx),
            ExprKind::Window {
                function,
                partition,
            } => self.window(function, partition, e.span, ctx),
            ExprKind::In {
                expr,
                list,
                negated,
            } => self.in_list(expr, list, *negated, ctx),
            ExprKind::IsNull { expr, negated } => {
                let (inner, _) = self.expr_in(expr, ctx)?;
                let expr = Expr::IsNull {
                    expr: Box::new(inner),
                    negated: *negated,
                };
                Ok((expr, Type::Bool))
            }
            ExprKind::Case {
                branches,
                otherwise,
            } => self.case(branches, otherwise.as_deref(), ctx),
        }
    }

    fn column(&mut self, name: &str, span: Span, ctx: Ctx) -> Result<Typed, Reported> {
        let Some(column) = ctx.schema.get(name) else {
            let mut diagnostic = Diagnostic::at(format!("unknown column `{name}`"), span)
                .with_label("no such column here");
            let close = suggestions(name, ctx.schema.names());
            diagnostic = match close.as_slice() {
                [] => diagnostic.with_help(format!("columns here: {}", column_list(ctx.schema))),
                names => diagnostic.with_help(format!("did you mean {}?", either(names))),
            };
            return Err(self.report(diagnostic));
        };
        if let Scope::Aggregate { keys } = ctx.scope
            && !ctx.in_aggregate
        {
            if keys.contains(name) {
                // A key is constant within its group.
                let first = Expr::Aggregate(Aggregate::First, vec![Expr::column(name)]);
                return Ok((first, column.ty));
            }
            return Err(self.report(
                Diagnostic::at(format!("column `{name}` must be inside an aggregate here"), span)
                    .with_label("one value per group is needed")
                    .with_help(format!(
                        "use an aggregate such as sum({name}), max({name}) or first({name}), or group by it"
                    )),
            ));
        }
        Ok((Expr::column(name), column.ty))
    }

    /// `status == critical` where no column is called `critical`: the word
    /// was probably meant as text, so the error says how to write it.
    fn hint_quotes(
        &mut self,
        op: ast::BinaryOp,
        sides: [(&ast::Expr, &Result<Typed, Reported>); 2],
        ctx: Ctx,
    ) {
        if !op.is_comparison() {
            return;
        }
        let [(a, ra), (b, rb)] = sides;
        for ((side, failed), other) in [((a, ra), rb), ((b, rb), ra)] {
            let ExprKind::Column(word) = &side.kind else {
                continue;
            };
            let text_other = matches!(other, Ok((_, Type::String)));
            if failed.is_err() && text_other && !ctx.schema.contains(word) {
                let quoted = print::expr(&ast::Expr {
                    kind: ExprKind::Literal(Literal::String(word.clone())),
                    span: side.span,
                });
                if let Some(last) = self.errors.last_mut() {
                    let hint = format!(
                        "a word without quotes is a column name; for the text write {quoted}"
                    );
                    last.help.insert(0, hint);
                }
            }
        }
    }

    fn unary(
        &mut self,
        op: ast::UnaryOp,
        inner: &ast::Expr,
        ctx: Ctx,
        span: Span,
    ) -> Result<Typed, Reported> {
        let (expr, ty) = self.expr_in(inner, ctx)?;
        let a = ty.with_article();
        match op {
            ast::UnaryOp::Neg if matches!(ty, Type::Int | Type::Null) => {
                if let Expr::Literal(Value::Int(n)) = expr {
                    let folded = n.checked_neg().ok_or_else(|| self.overflow(span))?;
                    return Ok((Expr::Literal(Value::Int(folded)), Type::Int));
                }
                let negated = Expr::Unary(UnaryOp::Neg, Box::new(expr));
                Ok((self.checked(negated, span), Type::Int))
            }
            ast::UnaryOp::Neg if ty.is_numeric() || ty == Type::Duration => {
                Ok((Expr::Unary(UnaryOp::Neg, Box::new(expr)), ty))
            }
            ast::UnaryOp::Neg => Err(self.report(
                Diagnostic::at(format!("cannot negate {a}"), inner.span)
                    .with_label(format!("this is {a}, not a number")),
            )),
            ast::UnaryOp::Not if matches!(ty, Type::Bool | Type::Null) => Ok((
                Expr::Unary(UnaryOp::Not, Box::new(as_bool(expr, ty))),
                Type::Bool,
            )),
            ast::UnaryOp::Not => Err(self.report(
                Diagnostic::at(
                    format!("`not` needs a true/false value, found {a}"),
                    inner.span,
                )
                .with_label(format!("this is {a}")),
            )),
        }
    }

    /// `x [not] in [a, b, …]`. An empty list holds nothing (`in` is false
    /// on every row, `not in` true). A null in the list makes a miss
    /// unknown, as `x == a or x == null` is: null instead of false.
    fn in_list(
        &mut self,
        expr: &ast::Expr,
        list: &[ast::Expr],
        negated: bool,
        ctx: Ctx,
    ) -> Result<Typed, Reported> {
        let (inner, ty) = self.expr_in(expr, ctx)?;
        let mut values = Vec::with_capacity(list.len());
        let mut holds_null = false;
        let mut common = ty;
        for item in list {
            let ExprKind::Literal(literal) = &item.kind else {
                return Err(self.report(
                    Diagnostic::at("the list after `in` must hold constants", item.span)
                        .with_label("not a constant"),
                ));
            };
            let value = literal_value(literal);
            let vt = value.ty();
            let Some(unified) = unify(common, vt) else {
                return Err(self.report(
                    Diagnostic::at(
                        format!(
                            "cannot compare {} with {}",
                            ty.with_article(),
                            vt.with_article()
                        ),
                        item.span,
                    )
                    .with_label(format!("this is {}", vt.with_article()))
                    .with_help(format!(
                        "`{}` is {}",
                        print::expr(expr),
                        ty.with_article()
                    )),
                ));
            };
            common = unified;
            if value == Value::Null {
                holds_null = true;
            } else {
                values.push(value);
            }
        }
        if values.is_empty() {
            let answer = if holds_null {
                Expr::Literal(Value::Null).cast(Type::Bool)
            } else {
                Expr::Literal(Value::Bool(negated))
            };
            return Ok((answer, Type::Bool));
        }
        // Values and the tested expression meet in one type (an int column
        // in a list with a float, a date in a list with a datetime).
        let values = values
            .into_iter()
            .map(|v| match (common, v) {
                (Type::Float, Value::Int(n)) => Value::Float(n as f64),
                (Type::Datetime, Value::Date(d)) => {
                    d.and_hms_opt(0, 0, 0).map_or(Value::Null, Value::Datetime)
                }
                (_, v) => v,
            })
            .collect();
        let test = Expr::InList {
            expr: Box::new(cast_to(inner, ty, common)),
            values,
            negated,
        };
        if !holds_null {
            return Ok((test, Type::Bool));
        }
        // Found (not found, for `not in`): the answer; otherwise unknown.
        let known = Expr::Literal(Value::Bool(!negated));
        let unknown = Expr::Literal(Value::Null).cast(Type::Bool);
        let found = if negated {
            Expr::Unary(UnaryOp::Not, Box::new(test))
        } else {
            test
        };
        Ok((
            Expr::If(Box::new(found), Box::new(known), Box::new(unknown)),
            Type::Bool,
        ))
    }

    fn case(
        &mut self,
        branches: &[(ast::Expr, ast::Expr)],
        otherwise: Option<&ast::Expr>,
        ctx: Ctx,
    ) -> Result<Typed, Reported> {
        let mut conditions = Vec::with_capacity(branches.len());
        let mut values: Vec<(Typed, Span)> = Vec::with_capacity(branches.len() + 1);
        let mut failed = false;
        for (condition, value) in branches {
            match self.expr_in(condition, ctx) {
                Ok((c, t @ (Type::Bool | Type::Null))) => conditions.push(as_bool(c, t)),
                Ok((_, ty)) => {
                    self.errors.push(wrong_type(
                        "a `when` needs a true/false condition",
                        ty,
                        condition.span,
                    ));
                    failed = true;
                }
                Err(Reported) => failed = true,
            }
            match self.expr_in(value, ctx) {
                Ok(typed) => values.push((typed, value.span)),
                Err(Reported) => failed = true,
            }
        }
        let otherwise = match otherwise {
            Some(value) => match self.expr_in(value, ctx) {
                Ok(typed) => Some((typed, value.span)),
                Err(Reported) => {
                    failed = true;
                    None
                }
            },
            None => None,
        };
        if failed {
            return Err(Reported);
        }
        let mut ty = Type::Null;
        for ((_, t), span) in values.iter().chain(otherwise.iter()) {
            match unify(ty, *t) {
                Some(u) => ty = u,
                None => {
                    return Err(self.report(
                        Diagnostic::at(
                            format!("the results of `case` differ in type: {ty} and {t}"),
                            *span,
                        )
                        .with_label(format!("this is {}", t.with_article())),
                    ));
                }
            }
        }
        let mut result = match otherwise {
            Some(((e, t), _)) => cast_to(e, t, ty),
            None => Expr::Literal(Value::Null),
        };
        for (condition, ((value, t), _)) in conditions.into_iter().zip(values).rev() {
            result = Expr::If(
                Box::new(condition),
                Box::new(cast_to(value, t, ty)),
                Box::new(result),
            );
        }
        Ok((result, ty))
    }

    fn binary(
        &mut self,
        op: ast::BinaryOp,
        l: Typed,
        r: Typed,
        left: &ast::Expr,
        right: &ast::Expr,
        span: Span,
    ) -> Result<Typed, Reported> {
        use ast::BinaryOp as B;
        match op {
            // Chains of `and`/`or` are resolved whole (`logic_chain`); a
            // pair is the chain of two.
            B::And | B::Or => {
                let symbol = op.symbol();
                let mut operands = Vec::with_capacity(2);
                for (side, (expr, ty)) in [(left, l), (right, r)] {
                    if !matches!(ty, Type::Bool | Type::Null) {
                        let needs = format!("`{symbol}` needs true/false values");
                        return Err(self.report(wrong_type(&needs, ty, side.span)));
                    }
                    operands.push(as_bool(expr, ty));
                }
                let op = if op == B::And {
                    BinaryOp::And
                } else {
                    BinaryOp::Or
                };
                Ok((balanced(op, operands), Type::Bool))
            }
            B::Add | B::Sub | B::Mul | B::Div | B::Rem => {
                self.arithmetic(op, l, r, left, right, span)
            }
            B::Eq
            | B::NotEq
            | B::Lt
            | B::LtEq
            | B::Gt
            | B::GtEq
            | B::IsDistinct
            | B::IsNotDistinct => self.comparison(op, l, r, left, right, span),
            B::Contains | B::StartsWith | B::EndsWith | B::Like | B::Matches => {
                self.string_test(op, l, r, left, right)
            }
        }
    }

    /// `a and b and c …` (or `or`): every term resolved, then planned as a
    /// balanced tree, so a long chain stays shallow for every later stage.
    fn logic_chain(
        &mut self,
        op: ast::BinaryOp,
        chain: &ast::Expr,
        ctx: Ctx,
    ) -> Result<Typed, Reported> {
        let terms = crate::syntax::limits::chain(chain, op);
        let mut resolved = Vec::with_capacity(terms.len());
        let mut failed = false;
        for term in &terms {
            match self.expr_in(term, ctx) {
                Ok(typed) => resolved.push(typed),
                Err(Reported) => failed = true,
            }
        }
        if failed {
            return Err(Reported);
        }
        let symbol = op.symbol();
        let mut operands = Vec::with_capacity(resolved.len());
        for (term, (expr, ty)) in terms.iter().zip(resolved) {
            if !matches!(ty, Type::Bool | Type::Null) {
                let needs = format!("`{symbol}` needs true/false values");
                return Err(self.report(wrong_type(&needs, ty, term.span)));
            }
            operands.push(as_bool(expr, ty));
        }
        let op = if op == ast::BinaryOp::And {
            BinaryOp::And
        } else {
            BinaryOp::Or
        };
        Ok((balanced(op, operands), Type::Bool))
    }

    /// `expr`, int arithmetic at `span`, computed without wrapping.
    pub(super) fn checked(&self, expr: Expr, span: Span) -> Expr {
        let text = self.text.get(span.start..span.end).unwrap_or("").trim();
        Expr::Checked {
            expr: Box::new(expr),
            text: text.to_owned(),
            span,
        }
    }

    /// `left op right` on the microseconds under times and durations (an
    /// int operand is taken as it is), checked so it cannot wrap; the
    /// caller casts the result back to a time or duration.
    fn in_micros(&self, op: BinaryOp, left: Expr, right: Expr, span: Span) -> Expr {
        let micros = |e: Expr| match &e {
            Expr::Literal(Value::Int(_)) => e,
            _ => e.cast(Type::Int),
        };
        let computed = Expr::Binary(op, Box::new(micros(left)), Box::new(micros(right)));
        self.checked(computed, span)
    }

    /// "integer overflow" at `span`, for arithmetic on constants.
    pub(super) fn overflow(&mut self, span: Span) -> Reported {
        self.report(
            Diagnostic::at("integer overflow", span)
                .with_label("the result does not fit in a 64-bit integer")
                .with_help(
                    "integers range from -9223372036854775808 to 9223372036854775807; write a float (e.g. 1.0 * x) for larger values",
                ),
        )
    }

    fn arithmetic(
        &mut self,
        op: ast::BinaryOp,
        (le, lt): Typed,
        (re, rt): Typed,
        left: &ast::Expr,
        right: &ast::Expr,
        span: Span,
    ) -> Result<Typed, Reported> {
        use Type::{Date, Datetime, Duration, Float, Int, Null};
        use ast::BinaryOp as B;
        let binary = |op: BinaryOp, l: Expr, r: Expr| Expr::Binary(op, Box::new(l), Box::new(r));
        let numeric = |t: Type| matches!(t, Int | Float | Null);
        // Times: dates take part as datetimes at midnight.
        let as_datetime = |e: Expr, t: Type| if t == Date { e.cast(Datetime) } else { e };
        let timeish = |t: Type| matches!(t, Date | Datetime);
        let typed = match (op, lt, rt) {
            (B::Add | B::Sub | B::Mul | B::Rem, _, _) if lt == Float || rt == Float => {
                Some((binary(plan_arithmetic(op), le, re), Float))
            }
            (B::Add | B::Sub | B::Mul | B::Rem, _, _) if numeric(lt) && numeric(rt) => {
                if let (Expr::Literal(Value::Int(a)), Expr::Literal(Value::Int(b))) = (&le, &re) {
                    return match fold_int(op, *a, *b) {
                        Folded::Value(n) => Ok((Expr::Literal(Value::Int(n)), Int)),
                        Folded::Null => Ok((Expr::Literal(Value::Null), Int)),
                        Folded::Overflow => Err(self.overflow(span)),
                    };
                }
                let computed = binary(plan_arithmetic(op), le, re);
                Some((self.checked(computed, span), Int))
            }
            (B::Div, _, _) if numeric(lt) && numeric(rt) => {
                Some((binary(BinaryOp::Div, le.cast(Float), re.cast(Float)), Float))
            }
            // Times and durations are microseconds underneath; their
            // arithmetic is checked arithmetic on those, so it cannot wrap.
            (B::Add, t, Duration) | (B::Sub, t, Duration) if timeish(t) => Some((
                self.in_micros(plan_arithmetic(op), as_datetime(le, lt), re, span)
                    .cast(Datetime),
                Datetime,
            )),
            (B::Add, Duration, t) if timeish(t) => Some((
                self.in_micros(BinaryOp::Add, as_datetime(re, rt), le, span)
                    .cast(Datetime),
                Datetime,
            )),
            (B::Sub, a, b) if timeish(a) && timeish(b) => Some((
                self.in_micros(
                    BinaryOp::Sub,
                    as_datetime(le, lt),
                    as_datetime(re, rt),
                    span,
                )
                .cast(Duration),
                Duration,
            )),
            (B::Add | B::Sub, Duration, Duration) => Some((
                self.in_micros(plan_arithmetic(op), le, re, span)
                    .cast(Duration),
                Duration,
            )),
            (B::Mul, Duration, Int) => Some((
                self.in_micros(BinaryOp::Mul, le, re, span).cast(Duration),
                Duration,
            )),
            (B::Mul, Int, Duration) => Some((
                self.in_micros(BinaryOp::Mul, re, le, span).cast(Duration),
                Duration,
            )),
            // How many times one duration fits in another: 90m / 1h = 1.5.
            (B::Div, Duration, Duration) => Some((
                binary(
                    BinaryOp::Div,
                    le.cast(Int).cast(Float),
                    re.cast(Int).cast(Float),
                ),
                Float,
            )),
            _ => None,
        };
        if let Some(typed) = typed {
            return Ok(typed);
        }
        let symbol = op.symbol();
        // Point at the side that cannot take part; both sides fine on their
        // own means the combination is what does not work.
        let fits = |t: Type| numeric(t) || timeish(t) || t == Duration;
        let culprit = [(left, lt), (right, rt)]
            .into_iter()
            .find(|(_, t)| !fits(*t));
        let mut diagnostic = match culprit {
            Some((side, ty)) => wrong_type(&format!("`{symbol}` needs numbers"), ty, side.span),
            None => Diagnostic::at(
                format!(
                    "cannot {} {} and {}",
                    verb(op),
                    lt.with_article(),
                    rt.with_article()
                ),
                span,
            )
            .with_label(format!("{lt} {symbol} {rt}")),
        };
        if op == B::Add && (lt == Type::String || rt == Type::String) {
            diagnostic = diagnostic.with_help("to join text use concat(a, b)");
        } else if numeric(lt) && timeish(rt) || timeish(lt) && numeric(rt) {
            diagnostic = diagnostic.with_help(
                "numbers are not times; if a column holds unix seconds, use to_datetime(column)",
            );
        }
        Err(self.report(diagnostic))
    }

    fn comparison(
        &mut self,
        op: ast::BinaryOp,
        (le, lt): Typed,
        (re, rt): Typed,
        left: &ast::Expr,
        right: &ast::Expr,
        span: Span,
    ) -> Result<Typed, Reported> {
        use ast::BinaryOp as B;
        let symbol = op.symbol();
        let is_null = |e: &ast::Expr| matches!(e.kind, ExprKind::Literal(Literal::Null));
        let null_safe = matches!(op, B::IsDistinct | B::IsNotDistinct);
        if let Some(null_side) = [left, right].into_iter().find(|s| is_null(s))
            && !null_safe
        {
            let test = if op == B::NotEq {
                "is not null"
            } else {
                "is null"
            };
            let other = if null_side == left { right } else { left };
            return Err(self.report(
                Diagnostic::at(
                    format!("comparing with null with `{symbol}` is never true"),
                    null_side.span,
                )
                .with_label("null here")
                .with_help(format!("use `{} {test}`", print::expr(other)))
                .with_help("to compare two values treating null as a value of its own, use `a is distinct from b` (or `is not distinct from`)"),
            ));
        }
        // A number column met by a time is unix seconds (the gateway's
        // `timestamp`), as in `bin(timestamp, 1h)`; a number written out
        // is more likely a mistake and stays an error.
        let times = |t: Type| matches!(t, Type::Date | Type::Datetime);
        let seconds = |e: &ast::Expr, t: Type| {
            matches!(t, Type::Int | Type::Float) && !matches!(e.kind, ExprKind::Literal(_))
        };
        let ((le, lt), (re, rt)) = if seconds(left, lt) && times(rt) {
            ((to_datetime(le, lt), Type::Datetime), (re, rt))
        } else if times(lt) && seconds(right, rt) {
            ((le, lt), (to_datetime(re, rt), Type::Datetime))
        } else {
            ((le, lt), (re, rt))
        };
        let Some(common) = unify(lt, rt) else {
            let mut diagnostic = Diagnostic::at(
                format!(
                    "cannot compare {} with {}",
                    lt.with_article(),
                    rt.with_article()
                ),
                span,
            )
            .with_label(format!("{lt} {symbol} {rt}"))
            .with_help(format!(
                "`{}` is {} and `{}` is {}",
                print::expr(left),
                lt.with_article(),
                print::expr(right),
                rt.with_article()
            ));
            if lt.is_numeric() && times(rt) || times(lt) && rt.is_numeric() {
                diagnostic = diagnostic.with_help(
                    "numbers are not times; if a column holds unix seconds, use to_datetime(column)",
                );
            } else if lt == Type::String && times(rt) || times(lt) && rt == Type::String {
                diagnostic = diagnostic.with_help("write dates without quotes: 2025-11-17");
            }
            return Err(self.report(diagnostic));
        };
        let ordering = !matches!(op, B::Eq | B::NotEq | B::IsDistinct | B::IsNotDistinct);
        if ordering && common == Type::Bool {
            return Err(self.report(
                Diagnostic::at(format!("`{symbol}` cannot order true/false values"), span)
                    .with_label("bool values have no order"),
            ));
        }
        let plan_op = match op {
            B::Eq => BinaryOp::Eq,
            B::NotEq => BinaryOp::NotEq,
            B::Lt => BinaryOp::Lt,
            B::LtEq => BinaryOp::LtEq,
            B::Gt => BinaryOp::Gt,
            _ => BinaryOp::GtEq,
        };
        // A date meets a datetime as midnight of that day.
        let (le, re) = if common == Type::Datetime {
            (cast_to(le, lt, common), cast_to(re, rt, common))
        } else {
            (le, re)
        };
        if null_safe {
            // Values that differ, or one null and the other not: the
            // comparison where both are known, else whether their nulls
            // differ (so it is never null).
            let values_differ =
                Expr::Binary(BinaryOp::NotEq, Box::new(le.clone()), Box::new(re.clone()));
            let is_null = |e: Expr| Expr::IsNull {
                expr: Box::new(e),
                negated: false,
            };
            let nulls_differ = Expr::Binary(
                BinaryOp::NotEq,
                Box::new(is_null(le)),
                Box::new(is_null(re)),
            );
            let distinct = Expr::Function(Function::Coalesce, vec![values_differ, nulls_differ]);
            let result = if op == B::IsNotDistinct {
                Expr::Unary(UnaryOp::Not, Box::new(distinct))
            } else {
                distinct
            };
            return Ok((result, Type::Bool));
        }
        if let Some(on_seconds) = compare_on_unix_seconds(plan_op, &le, &re) {
            return Ok((on_seconds, Type::Bool));
        }
        Ok((
            Expr::Binary(plan_op, Box::new(le), Box::new(re)),
            Type::Bool,
        ))
    }

    fn string_test(
        &mut self,
        op: ast::BinaryOp,
        (le, lt): Typed,
        (re, rt): Typed,
        left: &ast::Expr,
        right: &ast::Expr,
    ) -> Result<Typed, Reported> {
        use ast::BinaryOp as B;
        let symbol = op.symbol();
        for (side, ty, role) in [(left, lt, "text"), (right, rt, "pattern")] {
            if !matches!(ty, Type::String | Type::Null) {
                let needs = format!("`{symbol}` needs a string {role}");
                return Err(self.report(wrong_type(&needs, ty, side.span)));
            }
        }
        let test = match op {
            B::Contains => StringTest::Contains,
            B::StartsWith => StringTest::StartsWith,
            B::EndsWith => StringTest::EndsWith,
            B::Like => StringTest::Like,
            _ => StringTest::Matches,
        };
        if matches!(test, StringTest::Like | StringTest::Matches) {
            let ExprKind::Literal(Literal::String(pattern)) = &right.kind else {
                return Err(self.report(
                    Diagnostic::at(
                        format!("the pattern of `{symbol}` must be a string in quotes"),
                        right.span,
                    )
                    .with_label("not a string literal"),
                ));
            };
            if test == StringTest::Matches
                && let Err(e) = regex::Regex::new(pattern)
            {
                let detail = e.to_string();
                let last = detail
                    .lines()
                    .last()
                    .unwrap_or("invalid pattern")
                    .trim()
                    .to_owned();
                return Err(self.report(
                    Diagnostic::at("invalid regular expression", right.span).with_label(last),
                ));
            }
        }
        Ok((
            Expr::StringTest(test, Box::new(le), Box::new(re)),
            Type::Bool,
        ))
    }
}

/// `to_datetime(seconds) >= 2025-11-24` compared on the seconds
/// themselves: `seconds >= 1763942400.0`. Same answer (at microsecond
/// precision, which is all a datetime holds), but the comparison is on a
/// stored column, so engines can skip the parts of a file whose statistics
/// rule it out. Ordering comparisons only; `to_datetime` drops what is below
/// a microsecond, so `>` and `<=` move to the next microsecond.
fn compare_on_unix_seconds(op: BinaryOp, left: &Expr, right: &Expr) -> Option<Expr> {
    let (seconds, instant, op) = match (unix_seconds_of(left), literal_micros(right)) {
        (Some(seconds), Some(instant)) => (seconds, instant, op),
        _ => {
            let flipped = match op {
                BinaryOp::Lt => BinaryOp::Gt,
                BinaryOp::LtEq => BinaryOp::GtEq,
                BinaryOp::Gt => BinaryOp::Lt,
                BinaryOp::GtEq => BinaryOp::LtEq,
                _ => return None,
            };
            (unix_seconds_of(right)?, literal_micros(left)?, flipped)
        }
    };
    let (op, bound) = match op {
        BinaryOp::GtEq => (BinaryOp::GtEq, instant),
        BinaryOp::Gt => (BinaryOp::GtEq, instant.checked_add(1)?),
        BinaryOp::Lt => (BinaryOp::Lt, instant),
        BinaryOp::LtEq => (BinaryOp::Lt, instant.checked_add(1)?),
        _ => return None,
    };
    let bound = Expr::Literal(Value::Float(bound as f64 / 1_000_000.0));
    let compared = Expr::Binary(op, Box::new(seconds.clone()), Box::new(bound));
    // `to_datetime` is null where the microseconds do not fit an integer
    // (NaN, infinities, beyond year 294,000), and a null compares as
    // neither: the bound on the far side keeps those rows out (NaN
    // compares as the greatest float on one engine and as nothing on
    // another; both fail this test).
    // The far bound is written on the seconds too (see
    // [`unix_seconds_range`]): no product per row, and a plain bound
    // that [`without_implied_bounds`] drops next to a tighter one.
    let (low, end) = unix_seconds_range();
    let in_range = match op {
        BinaryOp::GtEq => Expr::Binary(
            BinaryOp::Lt,
            Box::new(seconds.clone()),
            Box::new(Expr::Literal(Value::Float(end))),
        ),
        _ => Expr::Binary(
            BinaryOp::GtEq,
            Box::new(seconds.clone()),
            Box::new(Expr::Literal(Value::Float(low))),
        ),
    };
    Some(Expr::Binary(
        BinaryOp::And,
        Box::new(compared),
        Box::new(in_range),
    ))
}

/// `x < a and … and x < b` with constant bounds of one kind keeps only the
/// tighter (likewise `<=`, `>`, `>=`): the same rows, since both must hold
/// and the tighter implies the looser, nulls and NaN included (they fail
/// both). The bounds that [`compare_on_unix_seconds`] adds on the far side
/// of a time range go this way. Returns `predicate` as it was when nothing
/// is implied.
pub fn without_implied_bounds(predicate: Expr) -> Expr {
    without_bounds_implied_by(predicate, &[])
}

/// [`without_implied_bounds`], and also without the bounds that `known`
/// conditions, true of every row the predicate sees (the filters below an
/// aggregate), already imply.
pub fn without_bounds_implied_by(predicate: Expr, known: &[&Expr]) -> Expr {
    /// `x op bound` with an orderable constant bound.
    fn bound(e: &Expr) -> Option<(BinaryOp, &Expr, f64)> {
        let Expr::Binary(op, x, limit) = e else {
            return None;
        };
        let limit = match **limit {
            Expr::Literal(Value::Float(f)) if !f.is_nan() => f,
            // Exactly representable, so comparing as floats orders them.
            Expr::Literal(Value::Int(n)) if n.unsigned_abs() <= 1 << 53 => n as f64,
            _ => return None,
        };
        matches!(
            op,
            BinaryOp::Lt | BinaryOp::LtEq | BinaryOp::Gt | BinaryOp::GtEq
        )
        .then_some((*op, &**x, limit))
    }
    // Both bounds floats or both ints (the column is then of one type).
    let same_kind = |a: &Expr, b: &Expr| match (a, b) {
        (Expr::Binary(_, _, x), Expr::Binary(_, _, y)) => match (&**x, &**y) {
            (Expr::Literal(x), Expr::Literal(y)) => {
                std::mem::discriminant(x) == std::mem::discriminant(y)
            }
            _ => false,
        },
        _ => false,
    };
    let given: Vec<&Expr> = known.iter().flat_map(|c| c.conjuncts()).collect();
    let terms = predicate.conjuncts();
    let before = terms.len();
    let mut kept: Vec<&Expr> = Vec::with_capacity(before);
    for term in terms {
        let Some((op, x, limit)) = bound(term) else {
            kept.push(term);
            continue;
        };
        let implied = given.iter().any(|g| {
            bound(g).is_some_and(|(o, y, at)| {
                o == op
                    && y == x
                    && same_kind(g, term)
                    && match op {
                        BinaryOp::Lt | BinaryOp::LtEq => at <= limit,
                        _ => at >= limit,
                    }
            })
        });
        if implied {
            continue;
        }
        let looser = kept.iter().enumerate().find_map(|(at, k)| {
            bound(k)
                .filter(|&(o, y, _)| o == op && y == x && same_kind(k, term))
                .map(|(_, _, existing)| (at, existing))
        });
        match looser {
            Some((at, existing)) => {
                let tighter = match op {
                    BinaryOp::Lt | BinaryOp::LtEq => limit < existing,
                    _ => limit > existing,
                };
                if tighter {
                    kept[at] = term;
                }
            }
            None => kept.push(term),
        }
    }
    if kept.len() == before {
        return predicate;
    }
    // Every bound implied: the condition holds for every row seen.
    balanced(BinaryOp::And, kept.into_iter().cloned().collect())
}

/// `derive t = to_datetime(seconds) | where t >= 2025-11-24 and …`: the
/// comparisons of `t` with constant times are made on the seconds (see
/// [`compare_on_unix_seconds`]), so the filter no longer needs the derived
/// column and can reach the scan. `derived` holds the columns defined by the
/// `derive` right below the filter.
pub fn compare_derived_times(predicate: Expr, derived: &[(String, Expr)]) -> Expr {
    let definition = |e: &Expr| match e {
        Expr::Column(name) => derived
            .iter()
            .find(|(defined, _)| defined == name)
            .map(|(_, definition)| definition)
            // The definition must read only columns the derive leaves as
            // they were (`derive timestamp = to_datetime(timestamp)` does not).
            .filter(|definition| {
                unix_seconds_of(definition).is_some()
                    && !derived
                        .iter()
                        .any(|(name, _)| super::mentions(definition, name))
            }),
        _ => None,
    };
    match predicate {
        Expr::Binary(BinaryOp::And, a, b) => Expr::Binary(
            BinaryOp::And,
            Box::new(compare_derived_times(*a, derived)),
            Box::new(compare_derived_times(*b, derived)),
        ),
        Expr::Binary(op, a, b) => {
            let rewritten = match (definition(&a), definition(&b)) {
                (Some(time), None) => compare_on_unix_seconds(op, time, &b),
                (None, Some(time)) => compare_on_unix_seconds(op, &a, time),
                _ => None,
            };
            rewritten.unwrap_or(Expr::Binary(op, a, b))
        }
        other => other,
    }
}

/// The seconds expression inside the plan `to_datetime` builds for a
/// number (see `calls::to_datetime`).
fn unix_seconds_of(expr: &Expr) -> Option<&Expr> {
    let Expr::Cast(as_int, Type::Datetime) = expr else {
        return None;
    };
    let Expr::Cast(micros, Type::Int) = as_int.as_ref() else {
        return None;
    };
    let Expr::Binary(BinaryOp::Mul, seconds, factor) = micros.as_ref() else {
        return None;
    };
    let is_million = matches!(factor.as_ref(), Expr::Literal(Value::Float(f)) if *f == 1_000_000.0);
    is_million.then_some(seconds.as_ref())
}

/// The instant of a constant datetime (or date, at midnight).
fn literal_micros(expr: &Expr) -> Option<i64> {
    match expr {
        Expr::Literal(Value::Datetime(t)) => Some(t.and_utc().timestamp_micros()),
        Expr::Cast(inner, Type::Datetime) => match inner.as_ref() {
            Expr::Literal(Value::Date(d)) => {
                Some(d.and_hms_opt(0, 0, 0)?.and_utc().timestamp_micros())
            }
            _ => None,
        },
        _ => None,
    }
}

/// What integer arithmetic on two constants gives.
enum Folded {
    Value(i64),
    /// A remainder by zero, null as in SQL engines.
    Null,
    Overflow,
}

fn fold_int(op: ast::BinaryOp, a: i64, b: i64) -> Folded {
    let result = match op {
        ast::BinaryOp::Add => a.checked_add(b),
        ast::BinaryOp::Sub => a.checked_sub(b),
        ast::BinaryOp::Mul => a.checked_mul(b),
        _ if b == 0 => return Folded::Null,
        // The remainder by -1 is 0, also of the smallest integer.
        _ if b == -1 => Some(0),
        _ => a.checked_rem(b),
    };
    result.map_or(Folded::Overflow, Folded::Value)
}

/// A null where a true/false value is wanted is a null bool.
pub fn as_bool(expr: Expr, ty: Type) -> Expr {
    if ty == Type::Null {
        expr.cast(Type::Bool)
    } else {
        expr
    }
}

/// `op` over `terms` as a balanced tree (`op` is `and` or `or`, so the
/// grouping does not change the answer).
pub(super) fn balanced(op: BinaryOp, mut terms: Vec<Expr>) -> Expr {
    if terms.len() <= 1 {
        return terms
            .pop()
            .unwrap_or(Expr::Literal(Value::Bool(op == BinaryOp::And)));
    }
    let right = terms.split_off(terms.len() / 2);
    Expr::Binary(
        op,
        Box::new(balanced(op, terms)),
        Box::new(balanced(op, right)),
    )
}

fn plan_arithmetic(op: ast::BinaryOp) -> BinaryOp {
    match op {
        ast::BinaryOp::Add => BinaryOp::Add,
        ast::BinaryOp::Sub => BinaryOp::Sub,
        ast::BinaryOp::Mul => BinaryOp::Mul,
        ast::BinaryOp::Rem => BinaryOp::Rem,
        _ => BinaryOp::Div,
    }
}

fn verb(op: ast::BinaryOp) -> &'static str {
    match op {
        ast::BinaryOp::Add => "add",
        ast::BinaryOp::Sub => "subtract",
        ast::BinaryOp::Mul => "multiply",
        ast::BinaryOp::Div => "divide",
        _ => "take the remainder of",
    }
}

pub fn literal_value(literal: &Literal) -> Value {
    match literal {
        Literal::Int(n) => Value::Int(*n),
        Literal::Float(f) => Value::Float(*f),
        Literal::String(s) => Value::String(s.clone()),
        Literal::Bool(b) => Value::Bool(*b),
        Literal::Null => Value::Null,
        Literal::Date(d) => Value::Date(*d),
        Literal::Datetime(t) => Value::Datetime(*t),
        Literal::Duration(d) => Value::Duration(*d),
    }
}

/// "a, b, …" for help lines.
/// "`NEEDS`, found a string", pointing at the value: "this is a string".
fn wrong_type(needs: &str, found: Type, span: Span) -> Diagnostic {
    let a = found.with_article();
    Diagnostic::at(format!("{needs}, found {a}"), span).with_label(format!("this is {a}"))
}

pub fn column_list(schema: &Schema) -> String {
    let names: Vec<&str> = schema.names().collect();
    // Every column of the widest bundled table fits, so the one a user
    // wanted is never cut off; only a very wide file is shortened.
    if names.len() > 40 {
        format!("{}, … ({} in all)", names[..40].join(", "), names.len())
    } else {
        names.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn column(name: &str) -> Box<Expr> {
        Box::new(Expr::Column(name.to_owned()))
    }

    fn bound(op: BinaryOp, name: &str, limit: f64) -> Expr {
        Expr::Binary(
            op,
            column(name),
            Box::new(Expr::Literal(Value::Float(limit))),
        )
    }

    fn and(a: Expr, b: Expr) -> Expr {
        Expr::Binary(BinaryOp::And, Box::new(a), Box::new(b))
    }

    #[test]
    fn the_looser_of_two_bounds_of_one_kind_is_dropped() {
        let (low, end) = unix_seconds_range();
        // What `t >= a and t < b` becomes on the seconds.
        let range = and(
            and(
                bound(BinaryOp::GtEq, "s", 10.0),
                bound(BinaryOp::Lt, "s", end),
            ),
            and(
                bound(BinaryOp::Lt, "s", 20.0),
                bound(BinaryOp::GtEq, "s", low),
            ),
        );
        assert_eq!(
            without_implied_bounds(range),
            and(
                bound(BinaryOp::GtEq, "s", 10.0),
                bound(BinaryOp::Lt, "s", 20.0)
            )
        );
    }

    #[test]
    fn bounds_the_filters_below_imply_are_dropped() {
        let (low, end) = unix_seconds_range();
        let seen = and(
            bound(BinaryOp::GtEq, "s", 10.0),
            bound(BinaryOp::Lt, "s", end),
        );
        // countif(t >= ago(24h)) and countif(t < ago(24h)) over where t >= ago(48h).
        let recent = and(
            bound(BinaryOp::GtEq, "s", 20.0),
            bound(BinaryOp::Lt, "s", end),
        );
        let before = and(
            bound(BinaryOp::Lt, "s", 20.0),
            bound(BinaryOp::GtEq, "s", low),
        );
        assert_eq!(
            without_bounds_implied_by(recent, &[&seen]),
            bound(BinaryOp::GtEq, "s", 20.0)
        );
        assert_eq!(
            without_bounds_implied_by(before, &[&seen]),
            bound(BinaryOp::Lt, "s", 20.0)
        );
        // A looser known bound implies nothing.
        let tighter = bound(BinaryOp::GtEq, "s", 30.0);
        assert_eq!(
            without_bounds_implied_by(tighter.clone(), &[&seen]),
            tighter
        );
        // Everything implied: true.
        assert_eq!(
            without_bounds_implied_by(bound(BinaryOp::GtEq, "s", 5.0), &[&seen]),
            Expr::Literal(Value::Bool(true))
        );
    }

    #[test]
    fn bounds_of_other_columns_kinds_or_nan_are_kept() {
        let kept = [
            and(bound(BinaryOp::Lt, "s", 1.0), bound(BinaryOp::Lt, "u", 2.0)),
            and(
                bound(BinaryOp::Lt, "s", 1.0),
                bound(BinaryOp::LtEq, "s", 2.0),
            ),
            and(
                bound(BinaryOp::Lt, "s", f64::NAN),
                bound(BinaryOp::Lt, "s", 2.0),
            ),
            and(
                bound(BinaryOp::Lt, "s", 1.0),
                Expr::Binary(
                    BinaryOp::Lt,
                    column("s"),
                    Box::new(Expr::Literal(Value::Int(2))),
                ),
            ),
            Expr::Binary(
                BinaryOp::Or,
                Box::new(bound(BinaryOp::Lt, "s", 1.0)),
                Box::new(bound(BinaryOp::Lt, "s", 2.0)),
            ),
        ];
        for predicate in kept {
            // Compared as text: NaN is not equal to itself.
            let before = format!("{predicate:?}");
            assert_eq!(format!("{:?}", without_implied_bounds(predicate)), before);
        }
    }
}
