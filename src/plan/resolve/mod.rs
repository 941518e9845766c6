//! Syntax tree to logical plan: every name looked up, every type checked,
//! before anything runs.
//!
//! A pipeline is resolved operator by operator, carrying the schema of the
//! rows flowing through it. Within one operator every problem is reported;
//! after a failed operator the rest of that pipeline is skipped (its input
//! shape is unknown), and later statements are still checked, so one run
//! lists all the independent mistakes of a script.

mod calls;
mod diff;
mod expr;

use std::collections::{HashMap, HashSet};

pub use diff::HISTORY_COLUMNS;
use expr::{Reported, Scope};
pub use expr::{column_list, unify};

use chrono::NaiveDateTime;

use super::logical::{Expr, JoinKind, Plan, Query, Sink, SortKey, Value, WindowKind};
use super::schema::{Column, Schema};
use super::types::Type;
use crate::diagnostic::{Diagnostic, Span, did_you_mean};
use crate::format::Format;
use crate::syntax::ast::{self, OperatorKind, SourceKind, StatementKind};

/// What resolution needs to know about the data: the tables that exist and
/// the shape of a file. The engine provides it.
pub trait Catalog {
    /// The schema of a named table, if there is one.
    fn table(&self, name: &str) -> Option<Schema>;
    /// Every table name, for suggestions.
    fn table_names(&self) -> Vec<String>;
    /// The schema of a file or glob, or why it cannot be read.
    fn file(&self, path: &str) -> Result<Schema, String>;
}

/// A `let` binding: its plan and the shape of its rows.
#[derive(Debug, Clone, PartialEq)]
pub struct Binding {
    pub plan: Plan,
    pub schema: Schema,
    /// The sort its rows come in, when known (for `rank()` downstream).
    pub order: Option<Vec<SortKey>>,
}

/// A resolved statement.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// `let name = …`: nothing to run.
    Let { name: String },
    /// A query to run, with the span of its statement (for runtime errors).
    Run { query: Query, span: Span },
}

/// Resolves a whole script. `bindings` holds the `let`s of earlier input
/// (the REPL session); it gains this script's `let`s only if the whole
/// script resolves.
pub fn resolve(
    script: &ast::Script,
    text: &str,
    catalog: &dyn Catalog,
    bindings: &mut HashMap<String, Binding>,
    now: NaiveDateTime,
) -> Result<Vec<Step>, Vec<Diagnostic>> {
    let mut resolver = Resolver {
        catalog,
        text,
        bindings: bindings.clone(),
        broken: HashSet::new(),
        errors: Vec::new(),
        now,
        order: None,
    };
    let mut steps = Vec::new();
    for statement in &script.statements {
        match &statement.kind {
            StatementKind::Let { name, pipeline } => {
                match resolver.pipeline(pipeline) {
                    Ok((plan, ..)) if plan.depth() > MAX_PLAN_DEPTH => {
                        resolver.errors.push(too_deep(statement.span));
                        resolver.broken.insert(name.name.clone());
                        resolver.bindings.remove(&name.name);
                    }
                    Ok((plan, schema, sink)) => {
                        let order = resolver.order.take();
                        if let Some((sink, span)) = sink {
                            let word = sink_keyword(&sink);
                            let example = match sink {
                                Sink::Chart => "chart label, value",
                                _ => "export \"…\"",
                            };
                            resolver.errors.push(
                                Diagnostic::at(format!("`{word}` cannot be used in a `let`"), span)
                                    .with_label("a let only names a pipeline")
                                    .with_help(format!(
                                        "{word} where it is used: {} | {example}",
                                        name.name
                                    )),
                            );
                        }
                        resolver.broken.remove(&name.name);
                        let binding = Binding {
                            plan,
                            schema,
                            order,
                        };
                        resolver.bindings.insert(name.name.clone(), binding);
                    }
                    Err(Reported) => {
                        resolver.broken.insert(name.name.clone());
                        resolver.bindings.remove(&name.name);
                    }
                }
                steps.push(Step::Let {
                    name: name.name.clone(),
                });
            }
            StatementKind::Query(pipeline) => {
                if let Ok((plan, schema, sink)) = resolver.pipeline(pipeline) {
                    if plan.depth() > MAX_PLAN_DEPTH {
                        resolver.errors.push(too_deep(statement.span));
                        continue;
                    }
                    let sink = sink.map_or(Sink::Show, |(sink, _)| sink);
                    steps.push(Step::Run {
                        query: Query { plan, schema, sink },
                        span: statement.span,
                    });
                }
            }
        }
    }
    if resolver.errors.is_empty() {
        *bindings = resolver.bindings;
        Ok(steps)
    } else {
        Err(resolver.errors)
    }
}

/// How many operations one query may stack up, counting those of the
/// `let`s it reads (each pipeline alone is limited by
/// `syntax::limits::MAX_OPERATORS`).
pub const MAX_PLAN_DEPTH: usize = 1000;

fn too_deep(span: Span) -> Diagnostic {
    Diagnostic::at(
        format!("this query stacks up more than {MAX_PLAN_DEPTH} operations"),
        span,
    )
    .with_label("counting the pipelines of the `let`s it uses")
    .with_help("export an intermediate result and read it back with `from \"file\"`")
}

pub(crate) struct Resolver<'a> {
    catalog: &'a dyn Catalog,
    /// The script text, for naming unnamed expressions by what was written.
    text: &'a str,
    bindings: HashMap<String, Binding>,
    /// `let`s that failed to resolve: uses of them are not reported again.
    broken: HashSet<String>,
    errors: Vec<Diagnostic>,
    /// What `now()` means for this whole script.
    now: NaiveDateTime,
    /// The sort keys the rows flowing through the current pipeline are in,
    /// when known: `rank()` ranks by them.
    order: Option<Vec<SortKey>>,
}

/// A pipeline's plan, schema and, when it ends in `export` or `chart`,
/// where its result goes with the span to blame if that is not allowed.
type Resolved = (Plan, Schema, Option<(Sink, Span)>);

/// The operator that sends a result somewhere other than the screen.
fn sink_keyword(sink: &Sink) -> &'static str {
    match sink {
        Sink::Chart => "chart",
        _ => "export",
    }
}

impl Resolver<'_> {
    /// Resolves a pipeline; `self.order` holds its rows' sort order after.
    fn pipeline(&mut self, pipeline: &ast::Pipeline) -> Result<Resolved, Reported> {
        let (mut plan, mut schema) = self.source(&pipeline.source)?;
        let mut sink = None;
        let last = pipeline.operators.len().saturating_sub(1);
        for (index, op) in pipeline.operators.iter().enumerate() {
            let ends = matches!(
                op.kind,
                OperatorKind::Export(_) | OperatorKind::Chart { .. }
            );
            if ends && index != last {
                let word = op.kind.keyword();
                self.errors.push(
                    Diagnostic::at(format!("`{word}` must be the last operator"), op.keyword)
                        .with_label(format!("operators follow this {word}")),
                );
                return Err(Reported);
            }
            match &op.kind {
                OperatorKind::Export(path) => {
                    if let Err(message) = Format::from_path(&path.value) {
                        self.errors.push(
                            Diagnostic::at(message, path.span).with_label("unknown file type"),
                        );
                        return Err(Reported);
                    }
                    sink = Some((Sink::Export(path.value.clone()), path.span));
                }
                OperatorKind::Chart { label, value } => {
                    (plan, schema) = self.chart(label, value, plan, &schema)?;
                    sink = Some((Sink::Chart, op.keyword));
                }
                _ => (plan, schema) = self.operator(op, plan, schema)?,
            }
        }
        Ok((plan, schema, sink))
    }

    /// `chart label, value`: both columns must exist and the value must be a
    /// number; the plan keeps just those two.
    fn chart(
        &mut self,
        label: &ast::Ident,
        value: &ast::Ident,
        plan: Plan,
        schema: &Schema,
    ) -> Result<(Plan, Schema), Reported> {
        let label_known = self.known_column(label, schema);
        let value_known = self.known_column(value, schema);
        if !(label_known && value_known) {
            return Err(Reported);
        }
        if label.name == value.name {
            self.errors.push(
                Diagnostic::at("`chart` needs two different columns", value.span)
                    .with_label("the same column as the label")
                    .with_help(format!(
                        "chart a label against a number: `… | derive n = {0} | chart {0}, n`",
                        value.name
                    )),
            );
            return Err(Reported);
        }
        let ty = schema.get(&value.name).map_or(Type::Null, |c| c.ty);
        if !matches!(ty, Type::Int | Type::Float | Type::Duration) {
            let numbers: Vec<&str> = schema
                .columns
                .iter()
                .filter(|c| matches!(c.ty, Type::Int | Type::Float | Type::Duration))
                .map(|c| c.name.as_str())
                .collect();
            let mut d = Diagnostic::at(
                format!(
                    "`chart` draws numbers, but `{}` is {}",
                    value.name,
                    ty.with_article()
                ),
                value.span,
            )
            .with_label("the value column");
            d = if numbers.is_empty() {
                d.with_help("derive a number to chart, e.g. `group … agg n = count()`")
            } else {
                d.with_help(format!("numeric columns here: {}", numbers.join(", ")))
            };
            self.errors.push(d);
            return Err(Reported);
        }
        let kept: Vec<_> = [label, value]
            .iter()
            .filter_map(|name| schema.get(&name.name).cloned())
            .collect();
        let columns = kept
            .iter()
            .map(|c| (c.name.clone(), Expr::column(&c.name)))
            .collect();
        let plan = Plan::Select {
            input: Box::new(plan),
            columns,
        };
        let schema = Schema::new(kept.into_iter().map(|c| (c.name, c.ty)));
        Ok((plan, schema))
    }

    fn source(&mut self, source: &ast::Source) -> Result<(Plan, Schema), Reported> {
        match &source.kind {
            SourceKind::Named(name) => {
                if let Some(binding) = self.bindings.get(&name.name) {
                    self.order = binding.order.clone();
                    return Ok((binding.plan.clone(), binding.schema.clone()));
                }
                self.order = None;
                if self.broken.contains(&name.name) {
                    return Err(Reported);
                }
                if let Some(schema) = self.catalog.table(&name.name) {
                    return Ok((
                        Plan::Table {
                            name: name.name.clone(),
                        },
                        schema,
                    ));
                }
                let mut known = self.catalog.table_names();
                known.extend(self.bindings.keys().cloned());
                known.sort();
                let mut d = Diagnostic::at(format!("unknown table `{}`", name.name), name.span)
                    .with_label("no such table");
                d = match did_you_mean(&name.name, known.iter().map(String::as_str)) {
                    Some(close) => d.with_help(format!("did you mean `{close}`?")),
                    None => d.with_help(format!("tables: {}", known.join(", "))),
                };
                self.errors.push(d);
                Err(Reported)
            }
            SourceKind::File(path) => match self
                .catalog
                .file(&path.value)
                .inspect(|_| self.order = None)
            {
                Ok(schema) => Ok((
                    Plan::File {
                        path: path.value.clone(),
                    },
                    schema,
                )),
                Err(message) => {
                    self.errors
                        .push(Diagnostic::at(message, path.span).with_label("cannot read this"));
                    Err(Reported)
                }
            },
            SourceKind::Nested(pipeline) => {
                let (plan, schema, sink) = self.pipeline(pipeline)?;
                if let Some((sink, span)) = sink {
                    self.errors.push(
                        Diagnostic::at(
                            format!("`{}` can only end a whole statement", sink_keyword(&sink)),
                            span,
                        )
                        .with_label("inside brackets"),
                    );
                    return Err(Reported);
                }
                Ok((plan, schema))
            }
        }
    }

    /// Applies one operator and works out the sort order of its output.
    fn operator(
        &mut self,
        op: &ast::Operator,
        input: Plan,
        schema: Schema,
    ) -> Result<(Plan, Schema), Reported> {
        // Expressions of this operator see the order before it (`rank()`
        // after a sort); resolving a join's or union's other side moves
        // `self.order`, so it is set afresh once the operator is done.
        let before = self.order.clone();
        let (plan, schema) = self.apply(op, input, schema)?;
        self.order = order_after(&op.kind, before, &plan, &schema, |item| {
            self.item_name(item)
        });
        Ok((plan, schema))
    }

    fn apply(
        &mut self,
        op: &ast::Operator,
        input: Plan,
        schema: Schema,
    ) -> Result<(Plan, Schema), Reported> {
        let input = Box::new(input);
        match &op.kind {
            OperatorKind::Where(condition) => {
                let (predicate, ty) = self.expr(condition, &schema, Scope::Row)?;
                if !matches!(ty, Type::Bool | Type::Null) {
                    self.errors.push(
                        Diagnostic::at(
                            format!(
                                "`where` needs a true/false condition, this is {}",
                                ty.with_article()
                            ),
                            condition.span,
                        )
                        .with_label(format!("this is {}", ty.with_article()))
                        .with_help("compare it with something, e.g. where x > 0"),
                    );
                    return Err(Reported);
                }
                let predicate = expr::as_bool(predicate, ty);
                let predicate = match input.as_ref() {
                    Plan::Derive { columns, .. } => expr::compare_derived_times(predicate, columns),
                    _ => predicate,
                };
                let predicate = expr::without_implied_bounds(predicate);
                Ok((Plan::Filter { input, predicate }, schema))
            }
            OperatorKind::Select(items) => {
                let columns = self.items(items, &schema, Scope::Row)?;
                let out = schema_of(&columns);
                let columns = columns
                    .into_iter()
                    .map(|(name, expr, _)| (name, expr))
                    .collect();
                Ok((Plan::Select { input, columns }, out))
            }
            OperatorKind::Derive(items) => self.derive(items, *input, schema),
            OperatorKind::Drop(names) => {
                let mut drop = HashSet::new();
                for name in names {
                    if self.known_column(name, &schema) {
                        drop.insert(name.name.as_str());
                    }
                }
                if drop.len() < names.len() {
                    return Err(Reported);
                }
                let kept: Vec<Column> = schema
                    .columns
                    .iter()
                    .filter(|c| !drop.contains(c.name.as_str()))
                    .cloned()
                    .collect();
                if kept.is_empty() {
                    self.errors.push(
                        Diagnostic::at("`drop` would remove every column", op.span)
                            .with_label("nothing left"),
                    );
                    return Err(Reported);
                }
                let columns = kept
                    .iter()
                    .map(|c| (c.name.clone(), Expr::column(&c.name)))
                    .collect();
                Ok((Plan::Select { input, columns }, Schema { columns: kept }))
            }
            OperatorKind::Rename(pairs) => self.rename(pairs, input, schema),
            OperatorKind::Sort(keys) => {
                let keys = self.sort_keys(keys, &schema, false)?;
                let mut input = input;
                let ties = group_tie_breakers(&mut input, &keys);
                Ok((Plan::Sort { input, keys, ties }, schema))
            }
            OperatorKind::Take(count) => Ok((
                Plan::Limit {
                    input,
                    count: count.value,
                },
                schema,
            )),
            OperatorKind::Top { count, keys } => {
                // `top` sorts its first key descending unless told; a later
                // key without a direction is ambiguous (SQL users expect
                // ascending, KQL users descending), so it must say which.
                if let Some(unsaid) = keys.iter().skip(1).find(|k| k.order.is_none()) {
                    let text = crate::syntax::print::expr(&unsaid.expr);
                    self.errors.push(
                        Diagnostic::at(format!("say which way `top` sorts by `{text}`"), unsaid.expr.span)
                            .with_label("asc or desc?")
                            .with_help(format!(
                                "the first key of `top` is descending unless told; later keys say their own direction: `{text} asc` or `{text} desc`"
                            )),
                    );
                    return Err(Reported);
                }
                let keys = self.sort_keys(keys, &schema, true)?;
                let mut input = input;
                let ties = group_tie_breakers(&mut input, &keys);
                let sorted = Plan::Sort { input, keys, ties };
                Ok((
                    Plan::Limit {
                        input: Box::new(sorted),
                        count: count.value,
                    },
                    schema,
                ))
            }
            OperatorKind::Group { keys, aggregates } => {
                self.group(keys, aggregates, input, &schema)
            }
            OperatorKind::Agg(aggregates) => self.group(&[], aggregates, input, &schema),
            OperatorKind::Count => {
                let count = Expr::Aggregate(super::functions::Aggregate::CountRows, Vec::new());
                let out = Schema::new([("count".to_owned(), Type::Int)]);
                Ok((
                    Plan::Aggregate {
                        input,
                        keys: Vec::new(),
                        aggregates: vec![("count".to_owned(), count)],
                        ordered: true,
                    },
                    out,
                ))
            }
            OperatorKind::Distinct(names) => {
                if names.is_empty() {
                    return Ok((
                        Plan::Distinct {
                            input,
                            columns: Vec::new(),
                        },
                        schema,
                    ));
                }
                let mut columns = Vec::new();
                let mut seen = HashSet::new();
                for name in names {
                    if self.known_column(name, &schema) && seen.insert(name.name.as_str()) {
                        columns.push(name.name.clone());
                    }
                }
                if columns.len() < names.len() {
                    return Err(Reported);
                }
                let out = Schema {
                    columns: columns
                        .iter()
                        .filter_map(|n| schema.get(n).cloned())
                        .collect(),
                };
                let select = columns
                    .iter()
                    .map(|n| (n.clone(), Expr::column(n)))
                    .collect();
                let projected = Plan::Select {
                    input,
                    columns: select,
                };
                Ok((
                    Plan::Distinct {
                        input: Box::new(projected),
                        columns: Vec::new(),
                    },
                    out,
                ))
            }
            OperatorKind::Join { kind, source, on } => self.join(*kind, source, on, input, schema),
            OperatorKind::Union(source) => {
                let (right, right_schema) = self.source(source)?;
                let mut columns = schema.columns.clone();
                for column in &right_schema.columns {
                    match columns.iter_mut().find(|c| c.name == column.name) {
                        Some(existing) => match unify(existing.ty, column.ty) {
                            Some(ty) => existing.ty = ty,
                            None => {
                                self.errors.push(
                                    Diagnostic::at(
                                        format!("`union` cannot match column `{}`: {} here, {} in the other", column.name, existing.ty, column.ty),
                                        source.span,
                                    )
                                    .with_label("types differ"),
                                );
                                return Err(Reported);
                            }
                        },
                        None => columns.push(column.clone()),
                    }
                }
                Ok((
                    Plan::Union {
                        left: input,
                        right: Box::new(right),
                    },
                    Schema { columns },
                ))
            }
            OperatorKind::Diff { source, on } => self.diff(op, source, on, input, schema),
            OperatorKind::Latest => Ok(self.latest(input, schema)),
            OperatorKind::At(n) => self.at(op, n, input, schema),
            // Sinks are handled by `pipeline`.
            OperatorKind::Export(_) | OperatorKind::Chart { .. } => Ok((*input, schema)),
        }
    }

    /// Reports an unknown column name; true when it exists.
    fn known_column(&mut self, name: &ast::Ident, schema: &Schema) -> bool {
        if schema.contains(&name.name) {
            return true;
        }
        let mut d = Diagnostic::at(format!("unknown column `{}`", name.name), name.span)
            .with_label("no such column here");
        d = match did_you_mean(&name.name, schema.names()) {
            Some(close) => d.with_help(format!("did you mean `{close}`?")),
            None => d.with_help(format!("columns here: {}", column_list(schema))),
        };
        self.errors.push(d);
        false
    }

    /// The name an item gets: its own, a column's, or the text as written.
    fn item_name(&self, item: &ast::Item) -> String {
        if let Some(name) = &item.name {
            return name.name.clone();
        }
        if let ast::ExprKind::Column(name) = &item.expr.kind {
            return name.clone();
        }
        let span = item.expr.span;
        let written = self.text.get(span.start..span.end).unwrap_or("");
        written.split_whitespace().collect::<Vec<_>>().join(" ")
    }

    /// Resolves items and checks that their names are distinct.
    fn items(
        &mut self,
        items: &[ast::Item],
        schema: &Schema,
        scope: Scope,
    ) -> Result<Vec<(String, Expr, Type)>, Reported> {
        let mut out: Vec<(String, Expr, Type)> = Vec::with_capacity(items.len());
        let mut failed = false;
        for item in items {
            let name = self.item_name(item);
            match self.expr(&item.expr, schema, scope) {
                Ok((expr, ty)) => {
                    if out.iter().any(|(n, _, _)| *n == name) {
                        let span = item.name.as_ref().map_or(item.expr.span, |n| n.span);
                        self.errors.push(
                            Diagnostic::at(format!("duplicate column name `{name}`"), span)
                                .with_label("already used in this list")
                                .with_help(format!(
                                    "name it: other_name = {}",
                                    crate::syntax::print::expr(&item.expr)
                                )),
                        );
                        failed = true;
                    }
                    out.push((name, expr, ty));
                }
                Err(Reported) => failed = true,
            }
        }
        if failed { Err(Reported) } else { Ok(out) }
    }

    fn derive(
        &mut self,
        items: &[ast::Item],
        input: Plan,
        mut schema: Schema,
    ) -> Result<(Plan, Schema), Reported> {
        let mut plan = input;
        let mut batch: Vec<(String, Expr)> = Vec::new();
        let mut failed = false;
        for item in items {
            let name = self.item_name(item);
            let Ok((expr, ty)) = self.expr(&item.expr, &schema, Scope::Row) else {
                failed = true;
                continue;
            };
            // Items of one `derive` may use the ones before them; an engine
            // evaluates one batch against its input, so start a new batch
            // when an item reads a column the current batch defines.
            if batch.iter().any(|(defined, _)| mentions(&expr, defined)) {
                plan = Plan::Derive {
                    input: Box::new(plan),
                    columns: std::mem::take(&mut batch),
                };
            }
            batch.retain(|(defined, _)| *defined != name);
            batch.push((name.clone(), expr));
            match schema.columns.iter_mut().find(|c| c.name == name) {
                Some(existing) => existing.ty = ty,
                None => schema.columns.push(Column { name, ty }),
            }
        }
        if failed {
            return Err(Reported);
        }
        Ok((
            Plan::Derive {
                input: Box::new(plan),
                columns: batch,
            },
            schema,
        ))
    }

    fn rename(
        &mut self,
        pairs: &[(ast::Ident, ast::Ident)],
        input: Box<Plan>,
        schema: Schema,
    ) -> Result<(Plan, Schema), Reported> {
        let mut renames: HashMap<&str, &str> = HashMap::new();
        let mut failed = false;
        for (new, old) in pairs {
            if !self.known_column(old, &schema) {
                failed = true;
                continue;
            }
            renames.insert(old.name.as_str(), new.name.as_str());
        }
        if failed {
            return Err(Reported);
        }
        let mut columns = Vec::with_capacity(schema.len());
        let mut out = Vec::with_capacity(schema.len());
        for column in &schema.columns {
            let name = renames
                .get(column.name.as_str())
                .map_or(column.name.as_str(), |n| *n);
            if out.iter().any(|c: &Column| c.name == name) {
                let span = pairs
                    .iter()
                    .find(|(n, _)| n.name == name)
                    .map_or(Span::default(), |(n, _)| n.span);
                self.errors.push(
                    Diagnostic::at(
                        format!("`rename` would give two columns the name `{name}`"),
                        span,
                    )
                    .with_label("name already taken"),
                );
                return Err(Reported);
            }
            columns.push((name.to_owned(), Expr::column(&column.name)));
            out.push(Column {
                name: name.to_owned(),
                ty: column.ty,
            });
        }
        Ok((Plan::Select { input, columns }, Schema { columns: out }))
    }

    fn sort_keys(
        &mut self,
        keys: &[ast::SortKey],
        schema: &Schema,
        descending_by_default: bool,
    ) -> Result<Vec<SortKey>, Reported> {
        let mut out = Vec::with_capacity(keys.len());
        let mut failed = false;
        for key in keys {
            if let Some(call) = aggregate_call_in(&key.expr) {
                let text = crate::syntax::print::expr(call);
                self.errors.push(
                    Diagnostic::at("a sort key is a value of each row, not an aggregate", call.span)
                        .with_label("an aggregate")
                        .with_help(format!(
                            "compute it in the `agg` and sort by its name: `group … agg …, key = {text} | sort key`; over all rows: {text} over ()"
                        )),
                );
                failed = true;
                continue;
            }
            match self.expr(&key.expr, schema, Scope::Row) {
                Ok((expr, _)) if expr.is_constant() => {
                    self.errors.push(
                        Diagnostic::at("sorting by a constant does not order the rows", key.expr.span)
                            .with_label("the same on every row")
                            .with_help("sort by a column, e.g. `sort requests_30d desc`; columns are named, not numbered"),
                    );
                    failed = true;
                }
                Ok((expr, _)) => {
                    let descending = match key.order {
                        Some(ast::Order::Desc) => true,
                        Some(ast::Order::Asc) => false,
                        None => descending_by_default,
                    };
                    out.push(SortKey { expr, descending });
                }
                Err(Reported) => failed = true,
            }
        }
        if failed { Err(Reported) } else { Ok(out) }
    }

    fn group(
        &mut self,
        keys: &[ast::Item],
        aggregates: &[ast::Item],
        input: Box<Plan>,
        schema: &Schema,
    ) -> Result<(Plan, Schema), Reported> {
        let keys = self.items(keys, schema, Scope::Row);
        let key_schema = match &keys {
            Ok(keys) => schema_of(keys),
            Err(Reported) => Schema::default(),
        };
        // Key references inside agg items must name input columns that are
        // kept as they are, so only plain-column keys count as keys there.
        let plain_keys = Schema {
            columns: key_schema
                .columns
                .iter()
                .filter(|c| schema.get(&c.name).is_some_and(|input| input.ty == c.ty))
                .cloned()
                .collect(),
        };
        // An item may use the name of an earlier item (`pct = bad * 100.0
        // / n`) when that name is not an input column: such items are
        // computed after the aggregates, as a `derive` over them.
        let aggregates_all = aggregates;
        let (direct, after) = self.split_agg_items(aggregates, schema)?;
        let aggregates_written = direct.as_slice();
        let aggregates = self.items(&direct, schema, Scope::Aggregate { keys: &plain_keys });
        let (keys, aggregates) = (keys?, aggregates?);
        let mut columns = schema_of(&keys).columns;
        for ((name, _, ty), item) in aggregates.iter().zip(aggregates_written) {
            if columns.iter().any(|c| c.name == *name) {
                let span = item.name.as_ref().map_or(item.expr.span, |n| n.span);
                self.errors.push(
                    Diagnostic::at(
                        format!("`{name}` is both a group key and an aggregate name"),
                        span,
                    )
                    .with_label("also a group key")
                    .with_help("give the aggregate another name"),
                );
                return Err(Reported);
            }
            columns.push(Column {
                name: name.clone(),
                ty: *ty,
            });
        }
        let keys: Vec<(String, Expr)> = keys.into_iter().map(|(n, e, _)| (n, e)).collect();
        let mut aggregates: Vec<(String, Expr)> =
            aggregates.into_iter().map(|(n, e, _)| (n, e)).collect();
        if let Some(derived) = derived_below(&input) {
            let seen = filters_below(&input);
            for (_, aggregate) in &mut aggregates {
                count_if_on_unix_seconds(aggregate, derived, &seen);
            }
        }
        let key_names: Vec<String> = keys.iter().map(|(n, _)| n.clone()).collect();
        let plan = Plan::Aggregate {
            input,
            keys,
            aggregates,
            ordered: true,
        };
        let schema = Schema { columns };
        if after.is_empty() {
            return Ok((plan, schema));
        }
        let (plan, schema) = self.derive(&after, plan, schema)?;
        // The columns in the order they were written: keys, then items.
        let order: Vec<String> = key_names
            .into_iter()
            .chain(aggregates_all.iter().map(|item| self.item_name(item)))
            .collect();
        let columns = order
            .iter()
            .map(|name| (name.clone(), Expr::column(name)))
            .collect();
        let ordered = Schema {
            columns: order
                .iter()
                .filter_map(|name| schema.get(name).cloned())
                .collect(),
        };
        Ok((
            Plan::Select {
                input: Box::new(plan),
                columns,
            },
            ordered,
        ))
    }

    /// The items of an `agg` that can be computed as aggregates, and those
    /// that use an earlier item's name (computed after them). An item that
    /// uses one and also aggregates is an error.
    fn split_agg_items(
        &mut self,
        items: &[ast::Item],
        schema: &Schema,
    ) -> Result<(Vec<ast::Item>, Vec<ast::Item>), Reported> {
        let mut earlier: Vec<String> = Vec::new();
        let mut failed = false;
        let (mut direct, mut after) = (Vec::new(), Vec::new());
        for item in items {
            let name = self.item_name(item);
            let uses = earlier
                .iter()
                .find(|n| !schema.contains(n) && item.expr.mentions(n))
                .cloned();
            match uses {
                Some(used) if earlier.contains(&name) => {
                    self.errors.push(
                        Diagnostic::at(format!("duplicate column name `{name}`"), item.expr.span)
                            .with_label("already used in this list")
                            .with_help(format!(
                                "`{used}` is used here; give this item a name of its own"
                            )),
                    );
                    failed = true;
                }
                Some(used) => {
                    if let Some(call) = aggregate_call_in(&item.expr) {
                        self.errors.push(
                            Diagnostic::at(
                                format!("`{name}` uses `{used}`, an earlier item of this `agg`, so it is computed after the aggregates and cannot aggregate itself"),
                                call.span,
                            )
                            .with_label("an aggregate here")
                            .with_help(format!(
                                "make `{}` an item of its own and use its name here",
                                crate::syntax::print::expr(call)
                            )),
                        );
                        failed = true;
                    } else {
                        after.push(item.clone());
                    }
                }
                None => direct.push(item.clone()),
            }
            earlier.push(name);
        }
        if failed {
            Err(Reported)
        } else {
            Ok((direct, after))
        }
    }

    fn join(
        &mut self,
        kind: ast::JoinKind,
        source: &ast::Source,
        on: &[ast::JoinKey],
        left: Box<Plan>,
        schema: Schema,
    ) -> Result<(Plan, Schema), Reported> {
        let (right, right_schema) = self.source(source)?;
        let mut pairs = Vec::with_capacity(on.len());
        let mut failed = false;
        for key in on {
            let left_ok = self.known_column(&key.left, &schema);
            let right_ok = self.known_column(&key.right, &right_schema);
            if !(left_ok && right_ok) {
                failed = true;
                continue;
            }
            let (lt, rt) = match (
                schema.get(&key.left.name),
                right_schema.get(&key.right.name),
            ) {
                (Some(l), Some(r)) => (l.ty, r.ty),
                _ => continue,
            };
            if unify(lt, rt).is_none() {
                self.errors.push(
                    Diagnostic::at(
                        format!(
                            "cannot join {} column with {} column",
                            lt.with_article(),
                            rt.with_article()
                        ),
                        key.left.span.to(key.right.span),
                    )
                    .with_label("key types differ"),
                );
                failed = true;
                continue;
            }
            pairs.push((key.left.name.clone(), key.right.name.clone()));
        }
        if failed {
            return Err(Reported);
        }
        let kind = match kind {
            ast::JoinKind::Inner => JoinKind::Inner,
            ast::JoinKind::Left => JoinKind::Left,
            ast::JoinKind::Semi => JoinKind::Semi,
            ast::JoinKind::Anti => JoinKind::Anti,
        };
        let mut columns = schema.columns.clone();
        let mut renamed = Vec::new();
        if matches!(kind, JoinKind::Inner | JoinKind::Left) {
            // A key with the same name on both sides appears once; a right
            // key with a name of its own stays, as in `on server_ip == ip`.
            let right_keys: HashSet<&str> = pairs
                .iter()
                .filter(|(l, r)| l == r)
                .map(|(_, r)| r.as_str())
                .collect();
            for column in &right_schema.columns {
                if right_keys.contains(column.name.as_str()) {
                    continue;
                }
                let mut name = column.name.clone();
                if columns.iter().any(|c| c.name == name) {
                    let mut candidate = format!("{name}_right");
                    let mut n = 2;
                    while columns.iter().any(|c| c.name == candidate)
                        || right_schema.contains(&candidate)
                    {
                        candidate = format!("{name}_right{n}");
                        n += 1;
                    }
                    renamed.push((name, candidate.clone()));
                    name = candidate;
                }
                columns.push(Column {
                    name,
                    ty: column.ty,
                });
            }
        }
        // The right side is renamed before it is joined, its keys too (a
        // second join on `ip` finds `ip` on the left already).
        for (_, right_key) in &mut pairs {
            if let Some((_, new)) = renamed.iter().find(|(old, _)| old == right_key) {
                *right_key = new.clone();
            }
        }
        let plan = Plan::Join {
            left,
            right: Box::new(right),
            kind,
            on: pairs,
            renamed,
        };
        Ok((plan, Schema { columns }))
    }
}

/// The sort order rows are in after `op`, given the order before it:
/// sorts set it; operators that keep rows in place keep it as long as the
/// columns it is defined by keep their meaning; the rest end it.
fn order_after(
    op: &OperatorKind,
    before: Option<Vec<SortKey>>,
    plan: &Plan,
    schema: &Schema,
    item_name: impl Fn(&ast::Item) -> String,
) -> Option<Vec<SortKey>> {
    let sort_keys = |plan: &Plan| match plan {
        Plan::Sort { keys, .. } => Some(keys.clone()),
        Plan::Limit { input, .. } => match input.as_ref() {
            Plan::Sort { keys, .. } => Some(keys.clone()),
            _ => None,
        },
        _ => None,
    };
    if matches!(
        op,
        OperatorKind::Sort(_) | OperatorKind::Top { .. } | OperatorKind::Diff { .. }
    ) {
        return sort_keys(plan);
    }
    let keys = before?;
    let mentioned = |keys: &[SortKey], name: &str| keys.iter().any(|k| mentions(&k.expr, name));
    match op {
        OperatorKind::Sort(_) | OperatorKind::Top { .. } | OperatorKind::Diff { .. } => {
            sort_keys(plan)
        }
        OperatorKind::Where(_)
        | OperatorKind::Latest
        | OperatorKind::At(_)
        | OperatorKind::Take(_)
        | OperatorKind::Export(_)
        | OperatorKind::Chart { .. } => Some(keys),
        OperatorKind::Derive(items) => {
            let redefined = items.iter().any(|item| mentioned(&keys, &item_name(item)));
            (!redefined).then_some(keys)
        }
        OperatorKind::Select(_)
        | OperatorKind::Drop(_)
        | OperatorKind::Rename(_)
        | OperatorKind::Distinct(_) => {
            let projection = match plan {
                Plan::Select { columns, .. } => Some(columns),
                Plan::Distinct { input, .. } => match input.as_ref() {
                    Plan::Select { columns, .. } => Some(columns),
                    _ => None,
                },
                _ => None,
            };
            let Some(columns) = projection else {
                return Some(keys);
            };
            // Every column the keys read must come through unchanged.
            let unchanged = |name: &str| {
                columns
                    .iter()
                    .any(|(out, expr)| out == name && matches!(expr, Expr::Column(c) if c == name))
            };
            let mut read = Vec::new();
            for key in &keys {
                columns_read(&key.expr, &mut read);
            }
            read.iter().all(|name| unchanged(name)).then_some(keys)
        }
        OperatorKind::Join { .. } => {
            let mut read = Vec::new();
            for key in &keys {
                columns_read(&key.expr, &mut read);
            }
            read.iter()
                .all(|name| schema.contains(name))
                .then_some(keys)
        }
        OperatorKind::Group { .. }
        | OperatorKind::Agg(_)
        | OperatorKind::Count
        | OperatorKind::Union(_) => None,
    }
}

/// Sorting rows that come straight from a group (through `where`,
/// `derive` or `select` that keep the group keys and use no row positions)
/// makes the group's own order moot: the group is marked unordered and the
/// sort breaks ties by the group keys, so the answer stays deterministic.
/// Returns those tie-breaking keys (none when the rule does not apply).
/// The columns of the `derive` an aggregate reads through filters only:
/// what its conditions can be rewritten against.
/// The first aggregate call in `e` that is not a window (`sum(n) over ()`
/// works on rows, so it may follow an aggregate).
fn aggregate_call_in(e: &ast::Expr) -> Option<&ast::Expr> {
    use super::functions::Callable;
    match &e.kind {
        ast::ExprKind::Window { partition, .. } => partition.iter().find_map(aggregate_call_in),
        ast::ExprKind::Call { name, args } => {
            let aggregate = super::functions::lookup(&name.name).is_some_and(|f| {
                matches!(
                    f.callable,
                    Callable::Aggregate(_) | Callable::Percentile(_) | Callable::Conditional(_)
                )
            });
            if aggregate {
                Some(e)
            } else {
                args.iter().find_map(aggregate_call_in)
            }
        }
        _ => e.children().into_iter().find_map(aggregate_call_in),
    }
}

fn derived_below(plan: &Plan) -> Option<&[(String, Expr)]> {
    match plan {
        Plan::Derive { columns, .. } => Some(columns),
        Plan::Filter { input, .. } => derived_below(input),
        _ => None,
    }
}

/// The predicates of the filters right below an aggregate: true of every
/// row it sees, in the same columns. Not those with a window function,
/// whose values depend on the rows around (which the filter changes).
fn filters_below(plan: &Plan) -> Vec<&Expr> {
    fn has_window(e: &Expr) -> bool {
        matches!(e, Expr::Window { .. }) || e.children().into_iter().any(has_window)
    }
    match plan {
        Plan::Filter { input, predicate } => {
            let mut below = filters_below(input);
            if !has_window(predicate) {
                below.push(predicate);
            }
            below
        }
        _ => Vec::new(),
    }
}

/// `countif(t >= ago(24h))` over `derive t = to_datetime(seconds)`: the
/// condition compares the seconds, as a `where` does (see
/// [`expr::compare_derived_times`]), so engines need not convert every row.
fn count_if_on_unix_seconds(aggregate: &mut Expr, derived: &[(String, Expr)], seen: &[&Expr]) {
    if let Expr::Aggregate(super::functions::Aggregate::CountIf, args) = aggregate
        && let Some(condition) = args.first_mut()
    {
        let taken = std::mem::replace(condition, Expr::Literal(Value::Null));
        let on_seconds = expr::compare_derived_times(taken, derived);
        *condition = expr::without_bounds_implied_by(on_seconds, seen);
        return;
    }
    for child in aggregate.children_mut() {
        count_if_on_unix_seconds(child, derived, seen);
    }
}

fn group_tie_breakers(input: &mut Plan, keys: &[SortKey]) -> Vec<SortKey> {
    let Some(group_keys) = group_keys_below(input) else {
        return Vec::new();
    };
    mark_group_unordered(input);
    let already = |name: &str| {
        keys.iter()
            .any(|k| matches!(&k.expr, Expr::Column(c) if c == name))
    };
    group_keys
        .into_iter()
        .filter(|name| !already(name))
        .map(|name| SortKey {
            expr: Expr::column(name),
            descending: false,
        })
        .collect()
}

/// The key names of the ordered group at the bottom of a chain of
/// order-insensitive operators that keep those keys.
fn group_keys_below(plan: &Plan) -> Option<Vec<String>> {
    match plan {
        Plan::Aggregate {
            keys,
            ordered: true,
            ..
        } if !keys.is_empty() => Some(keys.iter().map(|(name, _)| name.clone()).collect()),
        Plan::Filter { input, predicate } if !uses_position(predicate) => group_keys_below(input),
        Plan::Derive { input, columns } => {
            let names = group_keys_below(input)?;
            let keeps = columns
                .iter()
                .all(|(name, e)| !names.contains(name) && !uses_position(e));
            keeps.then_some(names)
        }
        Plan::Select { input, columns } => {
            let names = group_keys_below(input)?;
            let positional = columns.iter().any(|(_, e)| uses_position(e));
            let kept = names.iter().all(|name| {
                columns
                    .iter()
                    .any(|(out, e)| out == name && matches!(e, Expr::Column(c) if c == name))
            });
            (kept && !positional).then_some(names)
        }
        _ => None,
    }
}

fn mark_group_unordered(plan: &mut Plan) {
    match plan {
        Plan::Aggregate { ordered, .. } => *ordered = false,
        Plan::Filter { input, .. } | Plan::Derive { input, .. } | Plan::Select { input, .. } => {
            mark_group_unordered(input)
        }
        _ => {}
    }
}

/// Whether `expr` depends on the order rows arrive in.
fn uses_position(expr: &Expr) -> bool {
    match expr {
        Expr::Window {
            function: WindowKind::Position(_),
            ..
        } => true,
        // The order keys of a window say how it is computed, not what it
        // depends on.
        Expr::Window {
            args, partition, ..
        } => args.iter().chain(partition).any(uses_position),
        other => other.children().into_iter().any(uses_position),
    }
}

/// The names of the columns `expr` reads.
fn columns_read(expr: &Expr, out: &mut Vec<String>) {
    match expr {
        Expr::Column(c) => out.push(c.clone()),
        other => other
            .children()
            .into_iter()
            .for_each(|e| columns_read(e, out)),
    }
}

fn schema_of(items: &[(String, Expr, Type)]) -> Schema {
    Schema::new(items.iter().map(|(n, _, t)| (n.clone(), *t)))
}

/// Whether `expr` reads column `name`.
fn mentions(expr: &Expr, name: &str) -> bool {
    let mut read = Vec::new();
    columns_read(expr, &mut read);
    read.iter().any(|c| c == name)
}
