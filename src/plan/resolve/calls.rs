//! Function calls: scalar functions, aggregates and windows, matched against
//! the registry and type-checked argument by argument.

use chrono::TimeDelta;

use super::Resolver;
use super::expr::{Ctx, Reported, Scope, Typed, cast_to, unify};
use crate::diagnostic::{Diagnostic, Span, did_you_mean};
use crate::plan::functions::{self, Aggregate, Callable, Clock, Function, WindowFunction};
use crate::plan::logical::{BinaryOp, Expr, Value, WindowKind};
use crate::plan::types::Type;
use crate::syntax::ast::{self, ExprKind, Literal};
use crate::syntax::print;

/// How an aggregate's name takes its arguments.
#[derive(Debug, Clone, Copy)]
enum AggregateForm {
    /// As the aggregate itself: `sum(x)`.
    Plain,
    /// `p95(x)`: the quantile at n / 100.
    Percentile(u8),
    /// `sumif(x, condition)`: over the rows where the condition holds.
    Conditional,
}

impl Resolver<'_> {
    /// `function over (by partition…)`.
    pub(super) fn window(
        &mut self,
        function: &ast::Expr,
        partition: &[ast::Expr],
        span: Span,
        ctx: Ctx,
    ) -> Result<Typed, Reported> {
        let ExprKind::Call { name, args } = &function.kind else {
            return Err(self.report(
                Diagnostic::at(
                    "only a function call can be followed by `over`",
                    function.span,
                )
                .with_label("not a call")
                .with_help("e.g. sum(requests) over (by service)"),
            ));
        };
        self.call(name, args, span, Some(partition), ctx)
    }

    /// A call; `over` holds the partition keys when the call is a window.
    /// Integer sums and `abs` are computed without wrapping.
    pub(super) fn call(
        &mut self,
        name: &ast::Ident,
        args: &[ast::Expr],
        span: Span,
        over: Option<&[ast::Expr]>,
        ctx: Ctx,
    ) -> Result<Typed, Reported> {
        let (expr, ty) = self.plain_call(name, args, span, over, ctx)?;
        let may_overflow = match &expr {
            Expr::Aggregate(Aggregate::Sum, _) | Expr::Function(Function::Abs, _) => true,
            Expr::Window { function, .. } => matches!(
                function,
                WindowKind::Aggregate(Aggregate::Sum)
                    | WindowKind::Position(WindowFunction::CumSum)
            ),
            _ => false,
        };
        if may_overflow && ty == Type::Int {
            return Ok((self.checked(expr, span), ty));
        }
        Ok((expr, ty))
    }

    fn plain_call(
        &mut self,
        name: &ast::Ident,
        args: &[ast::Expr],
        span: Span,
        over: Option<&[ast::Expr]>,
        ctx: Ctx,
    ) -> Result<Typed, Reported> {
        let Some(info) = functions::lookup(&name.name) else {
            let mut d = Diagnostic::at(format!("unknown function `{}`", name.name), name.span)
                .with_label("no such function");
            if let Some(instead) = sql_function(&name.name, args) {
                d = d.with_help(instead);
            } else if let Some(close) = did_you_mean(&name.name, functions::names()) {
                d = d.with_help(format!("did you mean `{close}`?"));
            } else if ctx.schema.contains(&name.name) {
                d = d.with_help(format!("`{}` is a column; drop the parentheses", name.name));
            }
            return Err(self.report(d));
        };
        match (info.callable, over) {
            (Callable::Aggregate(aggregate), over) => {
                let form = AggregateForm::Plain;
                self.aggregate_use(aggregate, form, info.usage, name, args, span, over, ctx)
            }
            (Callable::Percentile(n), over) => {
                let form = AggregateForm::Percentile(n);
                let quantile = Aggregate::Quantile;
                self.aggregate_use(quantile, form, info.usage, name, args, span, over, ctx)
            }
            (Callable::Conditional(aggregate), over) => {
                let form = AggregateForm::Conditional;
                self.aggregate_use(aggregate, form, info.usage, name, args, span, over, ctx)
            }
            (Callable::Window(function), over) => {
                self.window_position_check(name, ctx)?;
                self.position_call(function, info.usage, args, span, over.unwrap_or(&[]), ctx)
            }
            (_, Some(_)) => Err(self.report(
                Diagnostic::at(
                    format!("`{}` cannot be used with `over`", name.name),
                    name.span,
                )
                .with_label("not a window function")
                .with_help("`over` follows an aggregate, row_number(), rank() or cumsum(x)"),
            )),
            (Callable::Scalar(function), None) => {
                let resolved = self.arguments(args, ctx)?;
                self.scalar(function, info.usage, resolved, args, span)
            }
            (Callable::If, None) => {
                let resolved = self.arguments(args, ctx)?;
                self.if_call(info.usage, resolved, args, span)
            }
            (Callable::Clock(clock), None) => {
                let resolved = self.arguments(args, ctx)?;
                self.clock(clock, info.usage, resolved, args, span)
            }
        }
    }

    /// `now()` and `ago(d)` as constants of this query's clock.
    fn clock(
        &mut self,
        clock: Clock,
        usage: &str,
        args: Vec<Typed>,
        raw: &[ast::Expr],
        span: Span,
    ) -> Result<Typed, Reported> {
        let now = Expr::Literal(Value::Datetime(self.now));
        if clock == Clock::Now {
            self.arity(usage, args.len(), 0, 0, span)?;
            return Ok((now, Type::Datetime));
        }
        self.arity(usage, args.len(), 1, 1, span)?;
        let (duration, ty) = args.into_iter().next().ok_or(Reported)?;
        let is_duration = |t: Type| t == Type::Duration;
        self.expect_type(&raw[0], ty, is_duration, "a duration such as 24h", "ago")?;
        let folded = match &duration {
            Expr::Literal(Value::Duration(micros)) => self
                .now
                .checked_sub_signed(TimeDelta::microseconds(*micros))
                .map(|instant| Expr::Literal(Value::Datetime(instant))),
            _ => None,
        };
        let expr = folded
            .unwrap_or_else(|| Expr::Binary(BinaryOp::Sub, Box::new(now), Box::new(duration)));
        Ok((expr, Type::Datetime))
    }

    /// Windows work on rows: not inside `agg`, not inside an aggregate.
    fn window_position_check(&mut self, name: &ast::Ident, ctx: Ctx) -> Result<(), Reported> {
        if ctx.in_aggregate || matches!(ctx.scope, Scope::Aggregate { .. }) {
            return Err(self.report(
                Diagnostic::at(
                    format!("window `{}` is not allowed here", name.name),
                    name.span,
                )
                .with_label("windows work on rows, not groups")
                .with_help("use windows in where, derive, select or sort, after the group"),
            ));
        }
        Ok(())
    }

    fn partition(&mut self, keys: &[ast::Expr], ctx: Ctx) -> Result<Vec<Expr>, Reported> {
        let row = Ctx::new(ctx.schema, Scope::Row);
        let mut out = Vec::with_capacity(keys.len());
        let mut failed = false;
        for key in keys {
            match self.expr_in(key, row) {
                Ok((expr, _)) => out.push(expr),
                Err(Reported) => failed = true,
            }
        }
        if failed { Err(Reported) } else { Ok(out) }
    }

    pub(super) fn arguments(
        &mut self,
        args: &[ast::Expr],
        ctx: Ctx,
    ) -> Result<Vec<Typed>, Reported> {
        let mut resolved = Vec::with_capacity(args.len());
        let mut failed = false;
        for arg in args {
            match self.expr_in(arg, ctx) {
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
        let plural = |n: usize| if n == 1 { "" } else { "s" };
        let wanted = match (min, max) {
            (a, b) if a == b => format!("{a} argument{}", plural(a)),
            (a, usize::MAX) => format!("at least {a} argument{}", plural(a)),
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
        let a = ty.with_article();
        Err(self.report(
            Diagnostic::at(
                format!("`{function}` needs {what}, `{}` is {a}", print::expr(arg)),
                arg.span,
            )
            .with_label(format!("this is {a}")),
        ))
    }

    /// An aggregate, over the group (`over` absent) or as a window.
    #[allow(clippy::too_many_arguments)]
    fn aggregate_use(
        &mut self,
        aggregate: Aggregate,
        form: AggregateForm,
        usage: &str,
        name: &ast::Ident,
        args: &[ast::Expr],
        span: Span,
        over: Option<&[ast::Expr]>,
        ctx: Ctx,
    ) -> Result<Typed, Reported> {
        let Some(partition) = over else {
            return self.aggregate_call(aggregate, form, usage, name, args, span, ctx);
        };
        self.window_position_check(name, ctx)?;
        let group = Ctx {
            scope: Scope::Aggregate { keys: ctx.schema },
            ..ctx
        };
        let (expr, ty) = self.aggregate_call(aggregate, form, usage, name, args, span, group)?;
        let (aggregate, args) = match expr {
            Expr::Aggregate(aggregate, args) => (aggregate, args),
            other => return Ok((other, ty)),
        };
        let partition = self.partition(partition, ctx)?;
        let window = Expr::Window {
            function: WindowKind::Aggregate(aggregate),
            args,
            partition,
            order: Vec::new(),
        };
        Ok((window, ty))
    }

    #[allow(clippy::too_many_arguments)]
    fn aggregate_call(
        &mut self,
        aggregate: Aggregate,
        form: AggregateForm,
        usage: &str,
        name: &ast::Ident,
        args: &[ast::Expr],
        span: Span,
        ctx: Ctx,
    ) -> Result<Typed, Reported> {
        if ctx.in_aggregate {
            return Err(self.report(
                Diagnostic::at(
                    format!("aggregate `{}` inside another aggregate", name.name),
                    name.span,
                )
                .with_label("aggregates cannot nest"),
            ));
        }
        if let Scope::Row = ctx.scope {
            return Err(self.report(
                Diagnostic::at(format!("aggregate `{}` is not allowed here", name.name), name.span)
                    .with_label("this needs a group of rows")
                    .with_help(format!(
                        "aggregates go in `agg` or `group … agg`; for a total on every row write {}(…) over ()",
                        name.name
                    )),
            ));
        }
        let resolved = self.arguments(args, ctx.inside_aggregate())?;
        match form {
            AggregateForm::Plain => self.aggregate(aggregate, usage, resolved, args, span),
            AggregateForm::Percentile(n) => {
                self.arity(usage, resolved.len(), 1, 1, span)?;
                let (x, ty) = resolved.into_iter().next().ok_or(Reported)?;
                self.expect_type(&args[0], ty, Type::is_numeric, "a number", &name.name)?;
                let level = Expr::Literal(Value::Float(f64::from(n) / 100.0));
                let x = if ty == Type::Null {
                    x
                } else {
                    x.cast(Type::Float)
                };
                let args = vec![x, level];
                Ok((Expr::Aggregate(aggregate, args), Type::Float))
            }
            AggregateForm::Conditional => {
                self.arity(usage, resolved.len(), 2, 2, span)?;
                let mut resolved = resolved.into_iter();
                let (Some((x, ty)), Some((condition, condition_ty))) =
                    (resolved.next(), resolved.next())
                else {
                    return Err(Reported);
                };
                let bool_like = |t: Type| matches!(t, Type::Bool | Type::Null);
                let needs = "a true/false condition";
                self.expect_type(&args[1], condition_ty, bool_like, needs, &name.name)?;
                // The rows where the condition is false or null count as nulls,
                // which every aggregate skips.
                let only_where = Expr::If(
                    Box::new(cast_to(condition, condition_ty, Type::Bool)),
                    Box::new(x),
                    Box::new(Expr::Literal(Value::Null)),
                );
                self.aggregate(aggregate, usage, vec![(only_where, ty)], &args[..1], span)
            }
        }
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
            let x = if ty == Type::Null {
                x
            } else {
                x.cast(Type::Float)
            };
            let args = vec![x, Expr::Literal(Value::Float(q))];
            return Ok((Expr::Aggregate(aggregate, args), Type::Float));
        }
        if matches!(aggregate, Aggregate::ArgMax | Aggregate::ArgMin) {
            return self.arg_extreme(aggregate, usage, args, raw, span);
        }
        if aggregate == Aggregate::ConcatAgg {
            return self.concat_agg(usage, args, raw, span);
        }
        self.arity(usage, args.len(), 1, 1, span)?;
        let (x, ty) = args.swap_remove(0);
        // A condition counts as 0 or 1: `avg(status == 429)` is a share.
        let (x, ty) = match (aggregate, ty) {
            (Aggregate::Sum, Type::Bool) => (x.cast(Type::Int), Type::Int),
            (Aggregate::Avg, Type::Bool) => (x.cast(Type::Float), Type::Float),
            _ => (x, ty),
        };
        let result = match aggregate {
            Aggregate::Count | Aggregate::CountDistinct => Type::Int,
            Aggregate::CountIf => {
                let bool_like = |t: Type| matches!(t, Type::Bool | Type::Null);
                self.expect_type(&raw[0], ty, bool_like, "a true/false condition", name)?;
                Type::Int
            }
            Aggregate::Sum => {
                let summable = |t: Type| t.is_numeric() || t == Type::Duration;
                self.expect_type(&raw[0], ty, summable, "a number", name)?;
                if ty == Type::Null { Type::Int } else { ty }
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
        // Float aggregates accumulate in 64 bits whatever width a file
        // stores (a Float32 column's sum would otherwise be rounded to 24
        // bits of precision): the cast is explicit even for a float.
        let float_input = matches!(
            aggregate,
            Aggregate::Avg | Aggregate::Median | Aggregate::Std
        ) || (aggregate == Aggregate::Sum && ty == Type::Float);
        let x = if float_input && ty != Type::Null {
            x.cast(Type::Float)
        } else {
            x
        };
        Ok((Expr::Aggregate(aggregate, vec![x]), result))
    }

    /// `arg_max(x, by)` and `arg_min(x, by)`.
    fn arg_extreme(
        &mut self,
        aggregate: Aggregate,
        usage: &str,
        args: Vec<Typed>,
        raw: &[ast::Expr],
        span: Span,
    ) -> Result<Typed, Reported> {
        let name = aggregate.name();
        self.arity(usage, args.len(), 2, 2, span)?;
        let ordered = "values that can be ordered";
        self.expect_type(&raw[0], args[0].1, Type::is_ordered, ordered, name)?;
        self.expect_type(&raw[1], args[1].1, Type::is_ordered, ordered, name)?;
        let ty = args[0].1;
        let args = args.into_iter().map(|(e, _)| e).collect();
        Ok((Expr::Aggregate(aggregate, args), ty))
    }

    /// `concat_agg(text[, separator])`; the separator is a string written
    /// out (", " when there is none).
    fn concat_agg(
        &mut self,
        usage: &str,
        args: Vec<Typed>,
        raw: &[ast::Expr],
        span: Span,
    ) -> Result<Typed, Reported> {
        let name = Aggregate::ConcatAgg.name();
        self.arity(usage, args.len(), 1, 2, span)?;
        let text = |t: Type| matches!(t, Type::String | Type::Null);
        if !text(args[0].1) {
            let a = args[0].1.with_article();
            return Err(self.report(
                Diagnostic::at(
                    format!("`{name}` joins text, `{}` is {a}", print::expr(&raw[0])),
                    raw[0].span,
                )
                .with_label(format!("this is {a}"))
                .with_help(format!(
                    "make it text first: {name}(concat({}))",
                    print::expr(&raw[0])
                )),
            ));
        }
        let separator = match raw.get(1).map(|r| &r.kind) {
            None => ", ".to_owned(),
            Some(ExprKind::Literal(Literal::String(s))) => s.clone(),
            Some(_) => {
                return Err(self.report(
                    Diagnostic::at("the separator must be a string in quotes", raw[1].span)
                        .with_label("expected e.g. \", \""),
                ));
            }
        };
        let x = args.into_iter().next().ok_or(Reported)?.0;
        let args = vec![x, Expr::Literal(Value::String(separator))];
        Ok((Expr::Aggregate(Aggregate::ConcatAgg, args), Type::String))
    }

    fn position_call(
        &mut self,
        function: WindowFunction,
        usage: &str,
        args: &[ast::Expr],
        span: Span,
        partition: &[ast::Expr],
        ctx: Ctx,
    ) -> Result<Typed, Reported> {
        let (args, ty) = match function {
            WindowFunction::RowNumber | WindowFunction::Rank => {
                self.arity(usage, args.len(), 0, 0, span)?;
                (Vec::new(), Type::Int)
            }
            WindowFunction::CumSum => {
                self.arity(usage, args.len(), 1, 1, span)?;
                let resolved = self.arguments(args, ctx)?;
                let (x, ty) = resolved.into_iter().next().ok_or(Reported)?;
                let summable = |t: Type| t.is_numeric() || t == Type::Duration;
                self.expect_type(&args[0], ty, summable, "a number", "cumsum")?;
                // In 64 bits, as `sum` (a file may store 32-bit floats).
                let x = if ty == Type::Float {
                    x.cast(Type::Float)
                } else {
                    x
                };
                (vec![x], if ty == Type::Null { Type::Int } else { ty })
            }
        };
        let order = match (function, &self.order) {
            (WindowFunction::Rank, None) => {
                return Err(self.report(
                    Diagnostic::at("`rank()` ranks rows by the pipeline's sort, and there is none here", span)
                        .with_label("no sort before this")
                        .with_help("add `| sort …` before it (a select or derive that changes the sort columns also ends it)"),
                ));
            }
            // Every position function carries the sort it counts in, for
            // engines that keep no row order of their own.
            (_, Some(keys)) => keys.clone(),
            (_, None) => Vec::new(),
        };
        let partition = self.partition(partition, ctx)?;
        let window = Expr::Window {
            function: WindowKind::Position(function),
            args,
            partition,
            order,
        };
        Ok((window, ty))
    }

    fn if_call(
        &mut self,
        usage: &str,
        resolved: Vec<Typed>,
        args: &[ast::Expr],
        span: Span,
    ) -> Result<Typed, Reported> {
        self.arity(usage, args.len(), 3, 3, span)?;
        let mut it = resolved.into_iter();
        let (Some((c, ct)), Some((a, at)), Some((b, bt))) = (it.next(), it.next(), it.next())
        else {
            return Err(Reported);
        };
        if !matches!(ct, Type::Bool | Type::Null) {
            let a = ct.with_article();
            return Err(self.report(
                Diagnostic::at(
                    format!("the condition of `if` must be true/false, found {a}"),
                    args[0].span,
                )
                .with_label(format!("this is {a}")),
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
        let expr = Expr::If(
            Box::new(super::expr::as_bool(c, ct)),
            Box::new(cast_to(a, at, ty)),
            Box::new(cast_to(b, bt, ty)),
        );
        Ok((expr, ty))
    }

    fn scalar(
        &mut self,
        function: Function,
        usage: &str,
        args: Vec<Typed>,
        raw: &[ast::Expr],
        span: Span,
    ) -> Result<Typed, Reported> {
        let name = functions::scalar_name(function);
        let string = |t: Type| matches!(t, Type::String | Type::Null);
        let int = |t: Type| matches!(t, Type::Int | Type::Null);
        let time = |t: Type| matches!(t, Type::Datetime | Type::Date | Type::Null);
        // A number given to a function of time is unix seconds, as it is
        // for `bin(timestamp, 1h)` and in comparisons with a datetime.
        let of_time = matches!(
            function,
            Function::Date
                | Function::Year
                | Function::Month
                | Function::Day
                | Function::Hour
                | Function::Minute
        );
        let (exprs, types): (Vec<Expr>, Vec<Type>) = args
            .into_iter()
            .map(|(e, t)| match t {
                Type::Int | Type::Float if of_time => (to_datetime(e, t), Type::Datetime),
                _ => (e, t),
            })
            .unzip();
        let one = |s: &mut Self| s.arity(usage, exprs.len(), 1, 1, span);
        let ty = match function {
            Function::Lower | Function::Upper | Function::Len => {
                one(self)?;
                self.expect_type(&raw[0], types[0], string, "text", name)?;
                if function == Function::Len {
                    Type::Int
                } else {
                    Type::String
                }
            }
            Function::Abs | Function::Floor => {
                one(self)?;
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
            Function::ToDatetime => {
                one(self)?;
                let convertible = |t: Type| {
                    matches!(
                        t,
                        Type::Int
                            | Type::Float
                            | Type::String
                            | Type::Date
                            | Type::Datetime
                            | Type::Null
                    )
                };
                self.expect_type(
                    &raw[0],
                    types[0],
                    convertible,
                    "unix seconds, text or a date",
                    name,
                )?;
                let x = exprs.into_iter().next().ok_or(Reported)?;
                return Ok((to_datetime(x, types[0]), Type::Datetime));
            }
            Function::Bin => return self.bin(usage, exprs, types, raw, span),
            Function::Date => {
                one(self)?;
                let needs = "a datetime, a date or unix seconds";
                self.expect_type(&raw[0], types[0], time, needs, name)?;
                if types[0] == Type::Date {
                    return Ok((exprs.into_iter().next().ok_or(Reported)?, Type::Date));
                }
                Type::Date
            }
            Function::Year | Function::Month | Function::Day => {
                one(self)?;
                let needs = "a datetime, a date or unix seconds";
                self.expect_type(&raw[0], types[0], time, needs, name)?;
                Type::Int
            }
            Function::Hour | Function::Minute => {
                one(self)?;
                let datetime = |t: Type| matches!(t, Type::Datetime | Type::Null);
                let needs = "a datetime or unix seconds";
                self.expect_type(&raw[0], types[0], datetime, needs, name)?;
                Type::Int
            }
        };
        Ok((Expr::Function(function, exprs), ty))
    }

    /// `bin(ts, 1h)` truncates times; `bin(x, 100)` floors numbers to a
    /// multiple of the width.
    fn bin(
        &mut self,
        usage: &str,
        exprs: Vec<Expr>,
        types: Vec<Type>,
        raw: &[ast::Expr],
        span: Span,
    ) -> Result<Typed, Reported> {
        self.arity(usage, exprs.len(), 2, 2, span)?;
        let mut exprs = exprs.into_iter();
        let (Some(x), Some(width)) = (exprs.next(), exprs.next()) else {
            return Err(Reported);
        };
        match (types[0], types[1]) {
            // A number with a duration is unix seconds, as access logs
            // store time: `bin(timestamp, 1h)`.
            (
                Type::Int | Type::Float | Type::Datetime | Type::Date | Type::Null,
                Type::Duration,
            ) => {
                let positive = matches!(width, Expr::Literal(Value::Duration(d)) if d > 0);
                if !positive {
                    return Err(self.report(
                        Diagnostic::at(
                            "the width of `bin` must be a positive duration written out",
                            raw[1].span,
                        )
                        .with_label("expected e.g. 1h"),
                    ));
                }
                let x = match types[0] {
                    Type::Int | Type::Float => to_datetime(x, types[0]),
                    other => cast_to(x, other, Type::Datetime),
                };
                Ok((
                    Expr::Function(Function::Bin, vec![x, width]),
                    Type::Datetime,
                ))
            }
            (t, w) if t.is_numeric() && w.is_numeric() => {
                let positive = match &width {
                    Expr::Literal(Value::Int(n)) => *n > 0,
                    Expr::Literal(Value::Float(f)) => *f > 0.0,
                    _ => false,
                };
                if !positive {
                    return Err(self.report(
                        Diagnostic::at(
                            "the width of `bin` must be a positive number written out",
                            raw[1].span,
                        )
                        .with_label("expected e.g. 100"),
                    ));
                }
                let ty = if t == Type::Float || w == Type::Float {
                    Type::Float
                } else {
                    Type::Int
                };
                let quotient = Expr::Binary(
                    BinaryOp::Div,
                    Box::new(x.cast(Type::Float)),
                    Box::new(width.clone().cast(Type::Float)),
                );
                let floored = Expr::Function(Function::Floor, vec![quotient]);
                let start = Expr::Binary(
                    BinaryOp::Mul,
                    Box::new(floored),
                    Box::new(width.cast(Type::Float)),
                );
                Ok((cast_to(start, Type::Float, ty), ty))
            }
            (t, _) => {
                let a = t.with_article();
                Err(self.report(
                    Diagnostic::at(format!("`bin` needs a datetime (or unix seconds) with a duration, or a number with a number; here `{}` is {a}", print::expr(&raw[0])), raw[0].span)
                        .with_label(format!("this is {a}"))
                        .with_help("e.g. bin(timestamp, 1h) or bin(latency, 100)"),
                ))
            }
        }
    }
}

/// The plan for `to_datetime(x)` given the type of x.
pub(super) fn to_datetime(x: Expr, ty: Type) -> Expr {
    match ty {
        // Unix seconds to microseconds since the epoch.
        Type::Int | Type::Float => Expr::Binary(
            BinaryOp::Mul,
            Box::new(cast_to(x, ty, Type::Float)),
            Box::new(Expr::Literal(Value::Float(1_000_000.0))),
        )
        .cast(Type::Int)
        .cast(Type::Datetime),
        Type::String => Expr::Function(Function::ToDatetime, vec![x]),
        Type::Datetime => x,
        _ => x.cast(Type::Datetime),
    }
}

/// What infraql writes for a function of SQL or ClickHouse, with the
/// arguments as written.
fn sql_function(name: &str, args: &[ast::Expr]) -> Option<String> {
    let arg = |n: usize| {
        args.get(n)
            .map_or_else(|| "x".to_owned(), crate::syntax::print::expr)
    };
    let bin = |width: &str| format!("infraql writes this as bin({}, {width})", arg(0));
    Some(match name.to_ascii_lowercase().as_str() {
        "uniq" | "uniqexact" | "uniqcombined" | "countdistinct" | "approx_count_distinct" => {
            format!(
                "the number of distinct values is count_distinct({})",
                arg(0)
            )
        }
        "tostartofminute" => bin("1m"),
        "tostartoffiveminutes" | "tostartoffiveminute" => bin("5m"),
        "tostartoffifteenminutes" => bin("15m"),
        "tostartofhour" => bin("1h"),
        "tostartofday" => bin("1d"),
        "date_trunc" | "datetrunc" => {
            let unit = match args.first().map(|a| &a.kind) {
                Some(ast::ExprKind::Literal(ast::Literal::String(unit))) => {
                    match unit.to_ascii_lowercase().as_str() {
                        "second" => "1s",
                        "minute" => "1m",
                        "hour" => "1h",
                        "day" => "1d",
                        "week" => "1w",
                        _ => "WIDTH",
                    }
                }
                _ => "WIDTH",
            };
            format!("infraql writes this as bin({}, {unit})", arg(1))
        }
        "todate" => format!("infraql writes this as date({})", arg(0)),
        "ifnull" | "nvl" | "isnull" => {
            format!("infraql writes this as coalesce({}, {})", arg(0), arg(1))
        }
        "length" | "char_length" | "lengthutf8" => {
            format!("infraql writes this as len({})", arg(0))
        }
        "substring" => "infraql writes this as substr(text, start[, length])".to_owned(),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn help(call: &str) -> Option<String> {
        let Ok(ast::Expr {
            kind: ast::ExprKind::Call { name, args },
            ..
        }) = crate::syntax::parse_expr(call)
        else {
            panic!("{call} is not a call");
        };
        sql_function(&name.name, &args)
    }

    #[test]
    fn sql_functions_get_the_infraql_form() {
        let help = |call| help(call).unwrap_or_default();
        assert!(help("uniqExact(service)").ends_with("count_distinct(service)"));
        assert!(help("toStartOfHour(ts)").ends_with("bin(ts, 1h)"));
        assert!(help("toStartOfFifteenMinutes(ts)").ends_with("bin(ts, 15m)"));
        assert!(help("date_trunc('day', ts)").ends_with("bin(ts, 1d)"));
        assert!(help("ifNull(a, 0)").ends_with("coalesce(a, 0)"));
        assert_eq!(super::tests::help("frobnicate(x)"), None);
    }
}
