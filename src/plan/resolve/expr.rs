//! Expressions: names looked up in the current schema, types checked,
//! functions matched against the registry.
//!
//! Errors are pushed to the resolver's list and resolution carries on with
//! the other parts, so one run reports every unknown name at once.

use super::Resolver;
use crate::diagnostic::{Diagnostic, Span, did_you_mean};
use crate::plan::functions::{self, Aggregate, Callable, Function};
use crate::plan::logical::{BinaryOp, Expr, StringTest, UnaryOp, Value};
use crate::plan::schema::Schema;
use crate::plan::types::Type;
use crate::syntax::ast::{self, ExprKind, Literal};

/// Where an expression stands, which decides whether aggregates may appear.
#[derive(Debug, Clone, Copy)]
pub enum Scope<'s> {
    /// Evaluated per row (where, select, derive, sort, group keys).
    Row,
    /// An `agg` item: aggregates allowed; bare columns only when they are
    /// group keys (their value is the same in the whole group).
    Aggregate { keys: &'s Schema },
}

/// Marker for "an error was already reported for this expression".
#[derive(Debug)]
pub struct Reported;

pub type Typed = (Expr, Type);

/// The common type of two values that may meet in one column: numbers widen
/// to float, null fits anything.
pub fn unify(a: Type, b: Type) -> Option<Type> {
    match (a, b) {
        (x, y) if x == y => Some(x),
        (Type::Null, other) | (other, Type::Null) => Some(other),
        (Type::Int, Type::Float) | (Type::Float, Type::Int) => Some(Type::Float),
        _ => None,
    }
}

impl Resolver<'_> {
    pub(super) fn expr(
        &mut self,
        e: &ast::Expr,
        schema: &Schema,
        scope: Scope,
    ) -> Result<Typed, Reported> {
        self.expr_in(e, schema, scope, false)
    }

    fn report(&mut self, diagnostic: Diagnostic) -> Reported {
        self.errors.push(diagnostic);
        Reported
    }

    fn expr_in(
        &mut self,
        e: &ast::Expr,
        schema: &Schema,
        scope: Scope,
        in_aggregate: bool,
    ) -> Result<Typed, Reported> {
        match &e.kind {
            ExprKind::Column(name) => self.column(name, e.span, schema, scope, in_aggregate),
            ExprKind::Literal(literal) => {
                let value = literal_value(literal);
                let ty = value.ty();
                Ok((Expr::Literal(value), ty))
            }
            ExprKind::Unary(op, inner) => {
                let (inner_expr, ty) = self.expr_in(inner, schema, scope, in_aggregate)?;
                match op {
                    ast::UnaryOp::Neg if ty.is_numeric() => {
                        Ok((Expr::Unary(UnaryOp::Neg, Box::new(inner_expr)), ty))
                    }
                    ast::UnaryOp::Neg => Err(self.report(
                        Diagnostic::at(format!("cannot negate {}", ty.with_article()), inner.span)
                            .with_label(format!("this is {}, not a number", ty.with_article())),
                    )),
                    ast::UnaryOp::Not if matches!(ty, Type::Bool | Type::Null) => {
                        Ok((Expr::Unary(UnaryOp::Not, Box::new(inner_expr)), Type::Bool))
                    }
                    ast::UnaryOp::Not => Err(self.report(
                        Diagnostic::at(
                            format!(
                                "`not` needs a true/false value, found {}",
                                ty.with_article()
                            ),
                            inner.span,
                        )
                        .with_label(format!("this is {}", ty.with_article())),
                    )),
                }
            }
            ExprKind::Binary(op, left, right) => {
                let l = self.expr_in(left, schema, scope, in_aggregate);
                let r = self.expr_in(right, schema, scope, in_aggregate);
                let (l, r) = (l?, r?);
                self.binary(*op, l, r, left, right, e.span)
            }
            ExprKind::Call { name, args } => {
                self.call(name, args, e.span, schema, scope, in_aggregate)
            }
            ExprKind::In {
                expr,
                list,
                negated,
            } => {
                let (inner, ty) = self.expr_in(expr, schema, scope, in_aggregate)?;
                let mut values = Vec::with_capacity(list.len());
                for item in list {
                    let ExprKind::Literal(literal) = &item.kind else {
                        return Err(self.report(
                            Diagnostic::at("the list after `in` must hold constants", item.span)
                                .with_label("not a constant"),
                        ));
                    };
                    let value = literal_value(literal);
                    if unify(ty, value.ty()).is_none() || !comparable(ty, value.ty()) {
                        return Err(self.report(
                            Diagnostic::at(
                                format!(
                                    "cannot compare {} with {}",
                                    ty.with_article(),
                                    value.ty().with_article()
                                ),
                                item.span,
                            )
                            .with_label(format!("this is {}", value.ty().with_article()))
                            .with_help(format!(
                                "`{}` is {}",
                                crate::syntax::print::expr(expr),
                                ty.with_article()
                            )),
                        ));
                    }
                    values.push(value);
                }
                Ok((
                    Expr::InList {
                        expr: Box::new(inner),
                        values,
                        negated: *negated,
                    },
                    Type::Bool,
                ))
            }
            ExprKind::IsNull { expr, negated } => {
                let (inner, _) = self.expr_in(expr, schema, scope, in_aggregate)?;
                Ok((
                    Expr::IsNull {
                        expr: Box::new(inner),
                        negated: *negated,
                    },
                    Type::Bool,
                ))
            }
        }
    }

    fn column(
        &mut self,
        name: &str,
        span: Span,
        schema: &Schema,
        scope: Scope,
        in_aggregate: bool,
    ) -> Result<Typed, Reported> {
        let Some(column) = schema.get(name) else {
            let mut diagnostic = Diagnostic::at(format!("unknown column `{name}`"), span)
                .with_label("no such column here");
            diagnostic = match did_you_mean(name, schema.names()) {
                Some(close) => diagnostic.with_help(format!("did you mean `{close}`?")),
                None => diagnostic.with_help(format!("columns here: {}", column_list(schema))),
            };
            return Err(self.report(diagnostic));
        };
        if let Scope::Aggregate { keys } = scope
            && !in_aggregate
        {
            if keys.contains(name) {
                // A key is constant within its group.
                return Ok((
                    Expr::Aggregate(Aggregate::First, vec![Expr::column(name)]),
                    column.ty,
                ));
            }
            return Err(self.report(
                    Diagnostic::at(format!("column `{name}` must be inside an aggregate here"), span)
                        .with_label("one value per group is needed")
                        .with_help(format!("use an aggregate such as sum({name}), max({name}) or first({name}), or group by it")),
                ));
        }
        Ok((Expr::column(name), column.ty))
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
        let ((le, lt), (re, rt)) = (l, r);
        let symbol = op.symbol();
        match op {
            B::And | B::Or => {
                for (side, ty) in [(left, lt), (right, rt)] {
                    if !matches!(ty, Type::Bool | Type::Null) {
                        return Err(self.report(
                            Diagnostic::at(
                                format!(
                                    "`{symbol}` needs true/false values, found {}",
                                    ty.with_article()
                                ),
                                side.span,
                            )
                            .with_label(format!("this is {}", ty.with_article())),
                        ));
                    }
                }
                let op = if op == B::And {
                    BinaryOp::And
                } else {
                    BinaryOp::Or
                };
                Ok((Expr::Binary(op, Box::new(le), Box::new(re)), Type::Bool))
            }
            B::Add | B::Sub | B::Mul | B::Div | B::Rem => {
                for (side, ty) in [(left, lt), (right, rt)] {
                    if !ty.is_numeric() {
                        let mut d = Diagnostic::at(
                            format!("`{symbol}` needs numbers, found {}", ty.with_article()),
                            side.span,
                        )
                        .with_label(format!("this is {}", ty.with_article()));
                        if op == B::Add && ty == Type::String {
                            d = d.with_help("to join text use concat(a, b)");
                        }
                        return Err(self.report(d));
                    }
                }
                let (plan_op, ty) = match op {
                    B::Add => (BinaryOp::Add, arithmetic_type(lt, rt)),
                    B::Sub => (BinaryOp::Sub, arithmetic_type(lt, rt)),
                    B::Mul => (BinaryOp::Mul, arithmetic_type(lt, rt)),
                    B::Rem => (BinaryOp::Rem, arithmetic_type(lt, rt)),
                    _ => (BinaryOp::Div, Type::Float),
                };
                let (le, re) = if plan_op == BinaryOp::Div {
                    (le.cast(Type::Float), re.cast(Type::Float))
                } else {
                    (le, re)
                };
                Ok((Expr::Binary(plan_op, Box::new(le), Box::new(re)), ty))
            }
            B::Eq | B::NotEq | B::Lt | B::LtEq | B::Gt | B::GtEq => {
                if let Some(null_side) = [left, right]
                    .into_iter()
                    .find(|s| matches!(s.kind, ExprKind::Literal(Literal::Null)))
                {
                    let test = if op == B::NotEq {
                        "is not null"
                    } else {
                        "is null"
                    };
                    return Err(self.report(
                        Diagnostic::at(
                            format!("comparing with null with `{symbol}` is never true"),
                            null_side.span,
                        )
                        .with_label("null here")
                        .with_help(format!(
                            "use `{} {test}`",
                            crate::syntax::print::expr(if null_side == left {
                                right
                            } else {
                                left
                            })
                        )),
                    ));
                }
                if !comparable(lt, rt) {
                    return Err(self.report(
                        Diagnostic::at(
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
                            crate::syntax::print::expr(left),
                            lt.with_article(),
                            crate::syntax::print::expr(right),
                            rt.with_article()
                        )),
                    ));
                }
                let ordering = !matches!(op, B::Eq | B::NotEq);
                if ordering && (lt == Type::Bool || rt == Type::Bool) {
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
                Ok((
                    Expr::Binary(plan_op, Box::new(le), Box::new(re)),
                    Type::Bool,
                ))
            }
            B::Contains | B::StartsWith | B::EndsWith | B::Like | B::Matches => {
                for (side, ty, role) in [(left, lt, "text"), (right, rt, "pattern")] {
                    if !matches!(ty, Type::String | Type::Null) {
                        return Err(self.report(
                            Diagnostic::at(
                                format!(
                                    "`{symbol}` needs a string {role}, found {}",
                                    ty.with_article()
                                ),
                                side.span,
                            )
                            .with_label(format!("this is {}", ty.with_article())),
                        ));
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
                            Diagnostic::at("invalid regular expression", right.span)
                                .with_label(last),
                        ));
                    }
                }
                Ok((
                    Expr::StringTest(test, Box::new(le), Box::new(re)),
                    Type::Bool,
                ))
            }
        }
    }

    fn call(
        &mut self,
        name: &ast::Ident,
        args: &[ast::Expr],
        span: Span,
        schema: &Schema,
        scope: Scope,
        in_aggregate: bool,
    ) -> Result<Typed, Reported> {
        let Some(info) = functions::lookup(&name.name) else {
            let mut d = Diagnostic::at(format!("unknown function `{}`", name.name), name.span)
                .with_label("no such function");
            if let Some(close) = did_you_mean(&name.name, functions::names()) {
                d = d.with_help(format!("did you mean `{close}`?"));
            } else if schema.contains(&name.name) {
                d = d.with_help(format!("`{}` is a column; drop the parentheses", name.name));
            }
            return Err(self.report(d));
        };
        match info.callable {
            Callable::Aggregate(aggregate) => {
                if in_aggregate {
                    return Err(self.report(
                        Diagnostic::at(
                            format!("aggregate `{}` inside another aggregate", name.name),
                            name.span,
                        )
                        .with_label("aggregates cannot nest"),
                    ));
                }
                if let Scope::Row = scope {
                    return Err(self.report(
                        Diagnostic::at(format!("aggregate `{}` is not allowed here", name.name), name.span)
                            .with_label("this needs a group of rows")
                            .with_help("aggregates go in `agg` or `group … agg`, e.g. group service agg total = sum(requests)"),
                    ));
                }
                let mut resolved = Vec::with_capacity(args.len());
                let mut failed = false;
                for arg in args {
                    match self.expr_in(arg, schema, scope, true) {
                        Ok(typed) => resolved.push(typed),
                        Err(Reported) => failed = true,
                    }
                }
                if failed {
                    return Err(Reported);
                }
                self.aggregate(aggregate, info.usage, resolved, args, span)
            }
            Callable::Scalar(function) => {
                let resolved = self.arguments(args, schema, scope, in_aggregate)?;
                self.scalar(function, info.usage, resolved, args, span)
            }
            Callable::If => {
                let resolved = self.arguments(args, schema, scope, in_aggregate)?;
                self.arity(info.usage, args.len(), 3, 3, span)?;
                let mut it = resolved.into_iter();
                let (Some((c, ct)), Some((a, at)), Some((b, bt))) =
                    (it.next(), it.next(), it.next())
                else {
                    return Err(Reported);
                };
                if !matches!(ct, Type::Bool | Type::Null) {
                    return Err(self.report(
                        Diagnostic::at(
                            format!(
                                "the condition of `if` must be true/false, found {}",
                                ct.with_article()
                            ),
                            args[0].span,
                        )
                        .with_label(format!("this is {}", ct.with_article())),
                    ));
                }
                let Some(ty) = unify(at, bt) else {
                    return Err(self.report(
                        Diagnostic::at(
                            format!("the branches of `if` differ in type: {at} and {bt}"),
                            args[1].span.to(args[2].span),
                        )
                        .with_label("both branches must give the same type"),
                    ));
                };
                Ok((
                    Expr::If(
                        Box::new(c),
                        Box::new(cast_to(a, at, ty)),
                        Box::new(cast_to(b, bt, ty)),
                    ),
                    ty,
                ))
            }
        }
    }

    fn arguments(
        &mut self,
        args: &[ast::Expr],
        schema: &Schema,
        scope: Scope,
        in_aggregate: bool,
    ) -> Result<Vec<Typed>, Reported> {
        let mut resolved = Vec::with_capacity(args.len());
        let mut failed = false;
        for arg in args {
            match self.expr_in(arg, schema, scope, in_aggregate) {
                Ok(typed) => resolved.push(typed),
                Err(Reported) => failed = true,
            }
        }
        if failed { Err(Reported) } else { Ok(resolved) }
    }

    fn arity(
        &mut self,
        usage: &str,
        got: usize,
        min: usize,
        max: usize,
        span: Span,
    ) -> Result<(), Reported> {
        if (min..=max).contains(&got) {
            return Ok(());
        }
        let wanted = match (min, max) {
            (a, b) if a == b => format!("{a} argument{}", if a == 1 { "" } else { "s" }),
            (a, usize::MAX) => format!("at least {a} argument{}", if a == 1 { "" } else { "s" }),
            (a, b) => format!("{a} to {b} arguments"),
        };
        Err(self.report(
            Diagnostic::at(
                format!("wrong number of arguments: expected {wanted}, found {got}"),
                span,
            )
            .with_label("here")
            .with_help(format!("usage: {usage}")),
        ))
    }

    fn expect_type(
        &mut self,
        arg: &ast::Expr,
        ty: Type,
        ok: impl Fn(Type) -> bool,
        what: &str,
        function: &str,
    ) -> Result<(), Reported> {
        if ok(ty) {
            return Ok(());
        }
        let shown = crate::syntax::print::expr(arg);
        Err(self.report(
            Diagnostic::at(
                format!(
                    "`{function}` needs {what}, `{shown}` is {}",
                    ty.with_article()
                ),
                arg.span,
            )
            .with_label(format!("this is {}", ty.with_article())),
        ))
    }

    fn aggregate(
        &mut self,
        aggregate: Aggregate,
        usage: &str,
        mut args: Vec<Typed>,
        raw: &[ast::Expr],
        span: Span,
    ) -> Result<Typed, Reported> {
        let name = aggregate.name();
        if aggregate == Aggregate::Count && args.is_empty() {
            return Ok((Expr::Aggregate(Aggregate::CountRows, Vec::new()), Type::Int));
        }
        if aggregate == Aggregate::Quantile {
            self.arity(usage, args.len(), 2, 2, span)?;
            let q = match &raw[1].kind {
                ExprKind::Literal(Literal::Float(q)) => Some(*q),
                ExprKind::Literal(Literal::Int(q)) => Some(*q as f64),
                _ => None,
            };
            let Some(q) = q.filter(|q| (0.0..=1.0).contains(q)) else {
                return Err(self.report(
                    Diagnostic::at("the quantile must be a number from 0 to 1", raw[1].span)
                        .with_label("expected e.g. 0.95"),
                ));
            };
            let (x, ty) = args.swap_remove(0);
            self.expect_type(&raw[0], ty, Type::is_numeric, "a number", name)?;
            return Ok((
                Expr::Aggregate(
                    aggregate,
                    vec![x.cast(Type::Float), Expr::Literal(Value::Float(q))],
                ),
                Type::Float,
            ));
        }
        self.arity(usage, args.len(), 1, 1, span)?;
        let (x, ty) = args.swap_remove(0);
        let result = match aggregate {
            Aggregate::Count | Aggregate::CountDistinct => Type::Int,
            Aggregate::CountIf => {
                self.expect_type(
                    &raw[0],
                    ty,
                    |t| matches!(t, Type::Bool | Type::Null),
                    "a true/false condition",
                    name,
                )?;
                Type::Int
            }
            Aggregate::Sum => {
                self.expect_type(&raw[0], ty, Type::is_numeric, "a number", name)?;
                if ty == Type::Float {
                    Type::Float
                } else {
                    Type::Int
                }
            }
            Aggregate::Avg | Aggregate::Median | Aggregate::Std => {
                self.expect_type(&raw[0], ty, Type::is_numeric, "a number", name)?;
                Type::Float
            }
            Aggregate::Min | Aggregate::Max => {
                self.expect_type(
                    &raw[0],
                    ty,
                    Type::is_ordered,
                    "values that can be ordered",
                    name,
                )?;
                ty
            }
            _ => ty,
        };
        let x = if matches!(
            aggregate,
            Aggregate::Avg | Aggregate::Median | Aggregate::Std
        ) {
            x.cast(Type::Float)
        } else {
            x
        };
        Ok((Expr::Aggregate(aggregate, vec![x]), result))
    }

    fn scalar(
        &mut self,
        function: Function,
        usage: &str,
        args: Vec<Typed>,
        raw: &[ast::Expr],
        span: Span,
    ) -> Result<Typed, Reported> {
        let name = crate::plan::functions::FUNCTIONS
            .iter()
            .find(|f| f.callable == Callable::Scalar(function))
            .map_or("function", |f| f.name);
        let string = |t: Type| matches!(t, Type::String | Type::Null);
        let int = |t: Type| matches!(t, Type::Int | Type::Null);
        let (exprs, types): (Vec<Expr>, Vec<Type>) = args.into_iter().unzip();
        let ty = match function {
            Function::Lower | Function::Upper | Function::Len => {
                self.arity(usage, exprs.len(), 1, 1, span)?;
                self.expect_type(&raw[0], types[0], string, "text", name)?;
                if function == Function::Len {
                    Type::Int
                } else {
                    Type::String
                }
            }
            Function::Abs => {
                self.arity(usage, exprs.len(), 1, 1, span)?;
                self.expect_type(&raw[0], types[0], Type::is_numeric, "a number", name)?;
                types[0]
            }
            Function::Round => {
                self.arity(usage, exprs.len(), 1, 2, span)?;
                self.expect_type(&raw[0], types[0], Type::is_numeric, "a number", name)?;
                if let Some(digits) = raw.get(1)
                    && !matches!(digits.kind, ExprKind::Literal(Literal::Int(0..=15)))
                {
                    return Err(self.report(
                        Diagnostic::at(
                            "the digits of `round` must be a whole number from 0 to 15",
                            digits.span,
                        )
                        .with_label("expected e.g. 2"),
                    ));
                }
                types[0]
            }
            Function::Coalesce => {
                self.arity(usage, exprs.len(), 1, usize::MAX, span)?;
                let mut ty = Type::Null;
                for (arg, t) in raw.iter().zip(&types) {
                    match unify(ty, *t) {
                        Some(u) => ty = u,
                        None => {
                            return Err(self.report(
                                Diagnostic::at(
                                    format!("`coalesce` arguments differ in type: {ty} and {t}"),
                                    arg.span,
                                )
                                .with_label(format!("this is {}", t.with_article())),
                            ));
                        }
                    }
                }
                let exprs = exprs
                    .into_iter()
                    .zip(types)
                    .map(|(e, t)| cast_to(e, t, ty))
                    .collect();
                return Ok((Expr::Function(function, exprs), ty));
            }
            Function::Concat => {
                self.arity(usage, exprs.len(), 1, usize::MAX, span)?;
                let exprs = exprs
                    .into_iter()
                    .zip(types)
                    .map(|(e, t)| {
                        if t == Type::String {
                            e
                        } else {
                            e.cast(Type::String)
                        }
                    })
                    .collect();
                return Ok((Expr::Function(function, exprs), Type::String));
            }
            Function::Replace => {
                self.arity(usage, exprs.len(), 3, 3, span)?;
                for (arg, t) in raw.iter().zip(&types) {
                    self.expect_type(arg, *t, string, "text", name)?;
                }
                Type::String
            }
            Function::Substr => {
                self.arity(usage, exprs.len(), 2, 3, span)?;
                self.expect_type(&raw[0], types[0], string, "text", name)?;
                for (arg, t) in raw[1..].iter().zip(&types[1..]) {
                    self.expect_type(arg, *t, int, "a whole number", name)?;
                }
                if let ExprKind::Literal(Literal::Int(start)) = raw[1].kind
                    && start < 1
                {
                    return Err(self.report(
                        Diagnostic::at("`substr` counts from 1", raw[1].span)
                            .with_label("the first character is 1"),
                    ));
                }
                Type::String
            }
        };
        Ok((Expr::Function(function, exprs), ty))
    }
}

/// Whether values of these types can be compared with each other.
pub fn comparable(a: Type, b: Type) -> bool {
    (a.is_numeric() && b.is_numeric()) || unify(a, b).is_some()
}

fn arithmetic_type(a: Type, b: Type) -> Type {
    if a == Type::Float || b == Type::Float {
        Type::Float
    } else {
        Type::Int
    }
}

fn cast_to(expr: Expr, from: Type, to: Type) -> Expr {
    if from == to || from == Type::Null {
        expr
    } else {
        expr.cast(to)
    }
}

pub fn literal_value(literal: &Literal) -> Value {
    match literal {
        Literal::Int(n) => Value::Int(*n),
        Literal::Float(f) => Value::Float(*f),
        Literal::String(s) => Value::String(s.clone()),
        Literal::Bool(b) => Value::Bool(*b),
        Literal::Null => Value::Null,
    }
}

/// "a (int), b (string), …" for help lines.
pub fn column_list(schema: &Schema) -> String {
    let names: Vec<&str> = schema.names().collect();
    if names.len() > 12 {
        format!("{}, … ({} in all)", names[..12].join(", "), names.len())
    } else {
        names.join(", ")
    }
}
