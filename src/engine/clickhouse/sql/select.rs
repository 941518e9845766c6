//! Plans to SELECTs: each plan node folds into the SELECT of its input
//! while SQL's order of clauses allows, and wraps it as a subquery
//! otherwise.
//!
//! A SELECT computes FROM, WHERE, GROUP BY, HAVING, its windows, SELECT,
//! DISTINCT, ORDER BY, LIMIT in that order. So a filter joins WHERE (or
//! HAVING after a group), a derive or select rewrites the output columns,
//! a sort sets ORDER BY and a take LIMIT, as long as nothing of a later
//! clause has been set yet; a group folds into a SELECT that only filters
//! and computes columns. A column of the input is read by writing out the
//! SQL that computes it (see [`Scope::column`]), except a window
//! function's, which must not run twice: a stage that would use one
//! twice gets a SELECT of its own.

use super::expr::{
    Item, SERVER_SECONDS, Scope, column_names, expr, has_window, is_count, is_plain, lift,
    order_by, output_cast, plain_datetime, seconds_to_datetime, tie_breakers, type_of,
};
use super::{DUPLICATE_KEY_MARK, Tables, Unsupported, ident, string, unsupported};
use crate::plan::logical::{
    BinaryOp, DiffSide, Expr, JoinKind, Plan, SortKey, Value, duplicate_key_message,
};
use crate::plan::types::Type;

/// One SELECT being built.
#[derive(Debug, Clone)]
struct Select {
    /// What follows FROM: a table, a subquery or a join, with aliases.
    from: String,
    /// The output columns, computed over `from`.
    items: Vec<Item>,
    filters: Vec<String>,
    /// The group keys when the SELECT aggregates (none: one group of the
    /// whole input).
    group: Option<Vec<String>>,
    having: Vec<String>,
    /// ORDER BY items, each `sql ASC|DESC NULLS LAST`.
    order: Vec<String>,
    limit: Option<u64>,
    /// DISTINCT (no columns) or LIMIT 1 BY these.
    distinct: Option<Vec<String>>,
    /// Some items are window functions.
    windows: bool,
    /// Columns whose values tell the rows apart, if known.
    unique: Option<Vec<String>>,
    /// Unix seconds (as written in this SELECT) that its WHERE proves are
    /// inside the years the server's DateTime64 holds: their conversions
    /// need no guard here (see [`Select::render_with`]).
    in_server_years: Vec<String>,
    /// Those of them its WHERE also keeps inside DateTime's range (1970 to
    /// 2106): their hour, day, minute and whole-second interval starts are
    /// taken on DateTime, which is cheaper than on DateTime64.
    in_datetime32: Vec<String>,
}

impl Select {
    fn over(from: String, items: Vec<Item>) -> Select {
        Select {
            from,
            items,
            filters: Vec::new(),
            group: None,
            having: Vec::new(),
            order: Vec::new(),
            limit: None,
            distinct: None,
            windows: false,
            unique: None,
            in_server_years: Vec::new(),
            in_datetime32: Vec::new(),
        }
    }

    fn scope(&self, whole: bool) -> Scope<'_> {
        Scope::new(&self.items, whole, self.unique.as_deref())
    }

    fn columns(&self) -> Vec<(String, Type)> {
        self.items.iter().map(|i| (i.name.clone(), i.ty)).collect()
    }

    fn render(&self) -> String {
        let items: Vec<(String, String)> = self
            .items
            .iter()
            .map(|i| (i.sql.clone(), ident(&i.name)))
            .collect();
        self.render_with(&items)
    }

    /// The SELECT with `items` as (expression, alias). A GROUP BY or ORDER
    /// BY expression written exactly as an item names that item's alias
    /// instead of being written out again (less for the server to parse
    /// and analyse; an alias means its own expression wherever it is used
    /// in the SELECT, and the table's columns are always qualified, so no
    /// alias can stand for one of them).
    ///
    /// `to_datetime` of seconds the WHERE keeps inside the server's years
    /// is written without its guard in the items, GROUP BY, HAVING and
    /// ORDER BY (all computed over the rows WHERE keeps; not in WHERE
    /// itself, whose conditions may be tested in any order).
    fn render_with(&self, items: &[(String, String)]) -> String {
        let unguarded = |text: &str| -> String {
            let text = self
                .in_datetime32
                .iter()
                .fold(text.to_owned(), |text, seconds| {
                    let (guarded, narrow) = (
                        seconds_to_datetime(seconds),
                        format!("toDateTime({seconds}, 'UTC')"),
                    );
                    // Truncating non-negative seconds to whole ones keeps
                    // every start of an hour, day, minute or whole-second
                    // interval (the callers cast the start back to DateTime64).
                    [
                        "toStartOfHour(",
                        "toStartOfDay(",
                        "toStartOfMinute(",
                        "toStartOfInterval(",
                    ]
                    .iter()
                    .fold(text, |text, start| {
                        text.replace(&format!("{start}{guarded}"), &format!("{start}{narrow}"))
                    })
                });
            self.in_server_years.iter().fold(text, |text, seconds| {
                text.replace(&seconds_to_datetime(seconds), &plain_datetime(seconds))
            })
        };
        let items: Vec<(String, String)> = items
            .iter()
            .map(|(e, alias)| (unguarded(e), alias.clone()))
            .collect();
        let items = items.as_slice();
        let group = self
            .group
            .as_ref()
            .map(|keys| keys.iter().map(|k| unguarded(k)).collect::<Vec<_>>());
        let having: Vec<String> = self.having.iter().map(|h| unguarded(h)).collect();
        let order: Vec<String> = self.order.iter().map(|o| unguarded(o)).collect();
        let named = |e: &str| -> Option<String> {
            if is_plain(e) {
                return None;
            }
            items
                .iter()
                .find(|(sql, _)| sql == e)
                .map(|(_, alias)| alias.clone())
        };
        let mut sql = String::from("SELECT ");
        if self.distinct.as_ref().is_some_and(Vec::is_empty) {
            sql.push_str("DISTINCT ");
        }
        if items.is_empty() {
            sql.push_str("1 AS `__infraql_no_columns`");
        } else {
            let listed: Vec<String> = items.iter().map(|(e, a)| format!("{e} AS {a}")).collect();
            sql.push_str(&listed.join(", "));
        }
        sql.push_str(" FROM ");
        sql.push_str(&self.from);
        let conjunction = |conditions: &[String]| {
            conditions
                .iter()
                .map(|c| format!("({c})"))
                .collect::<Vec<_>>()
                .join(" AND ")
        };
        if !self.filters.is_empty() {
            sql.push_str(" WHERE ");
            sql.push_str(&conjunction(&self.filters));
        }
        if let Some(keys) = group.as_ref().filter(|k| !k.is_empty()) {
            sql.push_str(" GROUP BY ");
            let keys: Vec<String> = keys.iter().map(|k| named(k).unwrap_or(k.clone())).collect();
            sql.push_str(&keys.join(", "));
        }
        if !having.is_empty() {
            sql.push_str(" HAVING ");
            sql.push_str(&conjunction(&having));
        }
        if !order.is_empty() {
            sql.push_str(" ORDER BY ");
            let order: Vec<String> = order
                .iter()
                .map(|item| {
                    let e = sort_expression(item);
                    match named(e) {
                        Some(alias) => format!("{alias}{}", &item[e.len()..]),
                        None => item.clone(),
                    }
                })
                .collect();
            sql.push_str(&order.join(", "));
        }
        if let Some(by) = self.distinct.as_ref().filter(|b| !b.is_empty()) {
            sql.push_str(" LIMIT 1 BY ");
            sql.push_str(&by.join(", "));
        }
        if let Some(n) = self.limit {
            sql.push_str(&format!(" LIMIT {n}"));
        }
        sql
    }
}

pub(super) struct Emitter<'a> {
    tables: &'a dyn Tables,
    aliases: usize,
}

/// The statement for `plan`: its outermost SELECT casts each column to
/// the language's type.
pub(super) fn statement(
    plan: &Plan,
    tables: &dyn Tables,
) -> Result<(String, Vec<(String, Type)>), Unsupported> {
    let mut emitter = Emitter { tables, aliases: 0 };
    let select = emitter.plan(plan)?;
    let outputs: Vec<(String, String)> = select
        .items
        .iter()
        .map(|i| (output_cast(&i.sql, i.ty), ident(&i.name)))
        .collect();
    Ok((select.render_with(&outputs), select.columns()))
}

impl Emitter<'_> {
    fn alias(&mut self) -> String {
        self.aliases += 1;
        format!("t{}", self.aliases)
    }

    /// `select` as a subquery of a new SELECT that gives its columns.
    fn wrap(&mut self, select: Select) -> Select {
        let alias = self.alias();
        let items = select
            .items
            .iter()
            .map(|i| Item {
                count: i.count,
                ..Item::new(&i.name, format!("{alias}.{}", ident(&i.name)), i.ty)
            })
            .collect();
        Select {
            unique: select.unique.clone(),
            ..Select::over(format!("({}) AS {alias}", select.render()), items)
        }
    }

    fn plan(&mut self, plan: &Plan) -> Result<Select, Unsupported> {
        match plan {
            Plan::Table { name } => self.table(name),
            Plan::File { path } => Err(unsupported(
                format!("`from \"{path}\"` reads a local file, which the server cannot"),
                None,
            )),
            Plan::Filter { input, predicate } => {
                let input = self.plan(input)?;
                self.filter(input, predicate)
            }
            Plan::Select { input, columns } => {
                let input = self.plan(input)?;
                self.project(input, columns, false)
            }
            Plan::Derive { input, columns } => {
                let input = self.plan(input)?;
                self.project(input, columns, true)
            }
            Plan::Sort { input, keys, ties } => {
                let input = self.plan(input)?;
                self.sort(input, keys, ties)
            }
            Plan::Limit { input, count } => {
                let mut select = self.plan(input)?;
                select.limit = Some(select.limit.map_or(*count, |n| n.min(*count)));
                Ok(select)
            }
            Plan::Aggregate {
                input,
                keys,
                aggregates,
                ..
            } => {
                let input = self.plan(input)?;
                self.aggregate(input, keys, aggregates)
            }
            Plan::Distinct { input, columns } => {
                let mut select = self.plan(input)?;
                if select.limit.is_some()
                    || select.distinct.is_some()
                    || select.windows
                    || !select.order.is_empty()
                {
                    select = self.wrap(select);
                }
                let scope = select.scope(false);
                let by: Vec<String> = columns.iter().map(|c| scope.column(c)).collect();
                select.unique = Some(if columns.is_empty() {
                    select.items.iter().map(|i| i.name.clone()).collect()
                } else {
                    columns.clone()
                });
                select.distinct = Some(by);
                Ok(select)
            }
            Plan::Join {
                left,
                right,
                kind,
                on,
                renamed,
            } => self.join(left, right, *kind, on, renamed),
            Plan::Union { left, right } => self.union(left, right),
            Plan::Diff {
                before,
                after,
                keys,
            } => self.diff(before, after, keys),
        }
    }

    /// A table's columns in the language's representation.
    fn table(&mut self, name: &str) -> Result<Select, Unsupported> {
        let table = self
            .tables
            .remote(name)
            .ok_or_else(|| unsupported(format!("table `{name}` is not on the server"), None))?;
        let alias = self.alias();
        let mut items = Vec::new();
        for (column, ty, ch_type) in &table.columns {
            let Some(ty) = ty else {
                continue;
            };
            let id = format!("{alias}.{}", ident(column));
            let read = match ty {
                Type::Int if ch_type.contains("UInt64") => format!(
                    "if({id} > 9223372036854775807, toInt64(throwIf({id} > 9223372036854775807, '{}')), toInt64({id}))",
                    super::OVERFLOW_MARK
                ),
                // Narrower integers and Float64 are read as stored: every
                // operation on them widens as the language's Int64 would
                // (checked arithmetic runs in Int128), and results are cast
                // on the way out.
                Type::Int => id,
                Type::Float if ch_type.contains("Float64") => id,
                Type::Float => format!("toFloat64({id})"),
                Type::Datetime => format!("toDateTime64({id}, 6, 'UTC')"),
                Type::Date => format!("toDate32({id})"),
                _ => id,
            };
            items.push(Item::new(column, read, *ty));
        }
        Ok(Select::over(
            format!(
                "{}.{} AS {alias}",
                ident(&table.database),
                ident(&table.table)
            ),
            items,
        ))
    }

    fn filter(&mut self, input: Select, predicate: &Expr) -> Result<Select, Unsupported> {
        if has_window(predicate) {
            // Windows come after WHERE: computed as columns first, then
            // filtered on over those, and left out of the result.
            let names: Vec<String> = input.items.iter().map(|i| i.name.clone()).collect();
            let (lifted, condition) = self.lift_windows(input, &[predicate])?;
            let mut select = self.wrap(lifted);
            if let Some(c) = condition.first() {
                let condition = expr(c, &select.scope(false))?;
                select.filters.push(condition);
            }
            select.items.retain(|i| names.contains(&i.name));
            return Ok(select);
        }
        let mut select = input;
        let whole = select.group.as_ref().is_some_and(Vec::is_empty);
        if select.limit.is_some() || select.distinct.is_some() || select.windows || whole {
            select = self.wrap(select);
        }
        let condition = expr(predicate, &select.scope(false))?;
        if select.group.is_some() {
            select.having.push(condition);
        } else {
            select.filters.push(condition);
            let scope = select.scope(false);
            let proven = seconds_within(predicate, &scope, SERVER_SECONDS);
            let narrow = seconds_within(predicate, &scope, (0.0, f64::from(u32::MAX)));
            select.in_server_years.extend(proven);
            select.in_datetime32.extend(narrow);
        }
        Ok(select)
    }

    /// `select` (only `columns`) or `derive` (the input's columns, those
    /// named again replaced in place, then the new ones).
    fn project(
        &mut self,
        input: Select,
        columns: &[(String, Expr)],
        keep_input: bool,
    ) -> Result<Select, Unsupported> {
        let input = if input.distinct.is_some() {
            self.wrap(input)
        } else {
            input
        };
        let original: Vec<String> = input.items.iter().map(|i| i.name.clone()).collect();
        let exprs: Vec<&Expr> = columns.iter().map(|(_, e)| e).collect();
        let (input, rewritten) = self.lift_windows(input, &exprs)?;
        let columns: Vec<(String, Expr)> = columns
            .iter()
            .map(|(n, _)| n.clone())
            .zip(rewritten)
            .collect();
        let mut select = input;
        let mut items = project_items(&select, &original, &columns, keep_input)?;
        if items.is_none() {
            select = self.wrap(select);
            items = project_items(&select, &original, &columns, keep_input)?;
        }
        let items = items.unwrap_or_default();
        let kept = |name: &String| {
            items.iter().any(|i| &i.name == name)
                && (keep_input && !columns.iter().any(|(n, _)| n == name)
                    || columns
                        .iter()
                        .any(|(n, e)| n == name && *e == Expr::Column(name.clone())))
        };
        if let Some(unique) = &select.unique
            && !unique.iter().all(kept)
        {
            select.unique = None;
        }
        select.windows = items.iter().any(|i| i.window);
        select.items = items;
        Ok(select)
    }

    /// Computes the window functions of `exprs` once each, as columns of
    /// `input` (or of a SELECT over it), and returns that SELECT with the
    /// expressions reading those columns. A checked window is computed
    /// wide there and narrowed where it is used.
    fn lift_windows(
        &mut self,
        input: Select,
        exprs: &[&Expr],
    ) -> Result<(Select, Vec<Expr>), Unsupported> {
        if !exprs.iter().any(|e| has_window(e)) {
            return Ok((input, exprs.iter().map(|e| (*e).clone()).collect()));
        }
        // Windows run after GROUP BY and HAVING and before LIMIT, over
        // the rows of this SELECT.
        let mut select = if input.limit.is_some() || input.distinct.is_some() || input.windows {
            self.wrap(input)
        } else {
            input
        };
        let mut lifted: Vec<Item> = Vec::new();
        let mut rewritten = Vec::with_capacity(exprs.len());
        {
            let scope = select.scope(false);
            for e in exprs {
                rewritten.push(lift(e, &scope, &mut lifted)?);
            }
        }
        select.items.extend(lifted);
        select.windows = true;
        Ok((select, rewritten))
    }

    fn sort(
        &mut self,
        input: Select,
        keys: &[SortKey],
        ties: &[SortKey],
    ) -> Result<Select, Unsupported> {
        let mut select = if input.limit.is_some() || input.distinct.is_some() {
            self.wrap(input)
        } else {
            input
        };
        let mut order = sort_items(&select, keys, ties)?;
        if order.is_none() {
            select = self.wrap(select);
            order = sort_items(&select, keys, ties)?;
        }
        let mut order = order.unwrap_or_default();
        // A sort is stable: rows equal on its keys keep the order of the
        // sort before it, whose last keys tell every row apart already.
        if !select.order.is_empty() {
            order.truncate(keys.len() + ties.len());
            for previous in std::mem::take(&mut select.order) {
                order.push(previous);
            }
        }
        let mut seen: Vec<String> = Vec::new();
        order.retain(|item| {
            let key = sort_expression(item).to_owned();
            let new = !seen.contains(&key);
            seen.push(key);
            new
        });
        select.order = order;
        Ok(select)
    }

    fn aggregate(
        &mut self,
        input: Select,
        keys: &[(String, Expr)],
        aggregates: &[(String, Expr)],
    ) -> Result<Select, Unsupported> {
        let mut select = if input.group.is_some()
            || input.limit.is_some()
            || input.distinct.is_some()
            || input.windows
        {
            self.wrap(input)
        } else {
            input
        };
        // The server keeps no order through a group anyway.
        select.order.clear();
        let mut items = Vec::new();
        let mut group = Vec::new();
        {
            let scope = select.scope(keys.is_empty());
            for (name, e) in keys {
                let sql = expr(e, &scope)?;
                group.push(sql.clone());
                items.push(Item::new(name, sql, type_of(e, &scope)));
            }
            for (name, e) in aggregates {
                items.push(Item {
                    count: is_count(e, &scope),
                    ..Item::new(name, expr(e, &scope)?, type_of(e, &scope))
                });
            }
        }
        select.items = items;
        select.group = Some(group);
        select.unique = Some(keys.iter().map(|(n, _)| n.clone()).collect());
        Ok(select)
    }

    fn join(
        &mut self,
        left: &Plan,
        right: &Plan,
        kind: JoinKind,
        on: &[(String, String)],
        renamed: &[(String, String)],
    ) -> Result<Select, Unsupported> {
        let left = self.plan(left)?;
        let mut right = self.plan(right)?;
        // The right side with its clashing columns renamed first.
        for item in &mut right.items {
            if let Some((_, new)) = renamed.iter().find(|(old, _)| *old == item.name) {
                item.name = new.clone();
            }
        }
        let (la, ra) = (self.alias(), self.alias());
        let condition: Vec<String> = on
            .iter()
            .map(|(l, r)| format!("{la}.{} = {ra}.{}", ident(l), ident(r)))
            .collect();
        let side = |alias: &str, item: &Item| {
            Item::new(
                &item.name,
                format!("{alias}.{}", ident(&item.name)),
                item.ty,
            )
        };
        let mut items: Vec<Item> = left.items.iter().map(|i| side(&la, i)).collect();
        if matches!(kind, JoinKind::Inner | JoinKind::Left) {
            for item in &right.items {
                // A key of the same name on both sides is one column.
                if on.iter().any(|(l, r)| l == r && *r == item.name) {
                    continue;
                }
                items.push(side(&ra, item));
            }
        }
        let keyword = match kind {
            JoinKind::Inner => "INNER JOIN",
            JoinKind::Left => "LEFT OUTER JOIN",
            JoinKind::Semi => "LEFT SEMI JOIN",
            JoinKind::Anti => "LEFT ANTI JOIN",
        };
        Ok(Select::over(
            format!(
                "({}) AS {la} {keyword} ({}) AS {ra} ON {}",
                left.render(),
                right.render(),
                condition.join(" AND ")
            ),
            items,
        ))
    }

    /// Rows of both, columns matched by name, a column missing on one
    /// side null there.
    fn union(&mut self, left: &Plan, right: &Plan) -> Result<Select, Unsupported> {
        let mut left = self.plan(left)?;
        let mut right = self.plan(right)?;
        let mut columns = left.columns();
        for (name, ty) in right.columns() {
            if !columns.iter().any(|(n, _)| *n == name) {
                columns.push((name, ty));
            }
        }
        for side in [&mut left, &mut right] {
            side.items = columns
                .iter()
                .map(|(name, ty)| {
                    side.items
                        .iter()
                        .find(|i| i.name == *name)
                        .cloned()
                        .unwrap_or_else(|| Item::new(name, "NULL".to_owned(), *ty))
                })
                .collect();
        }
        let alias = self.alias();
        let items = columns
            .iter()
            .map(|(name, ty)| Item::new(name, format!("{alias}.{}", ident(name)), *ty))
            .collect();
        Ok(Select::over(
            format!(
                "(({}) UNION ALL ({})) AS {alias}",
                left.render(),
                right.render()
            ),
            items,
        ))
    }
}

impl Emitter<'_> {
    /// A full outer join on keys compared null-safe (`isNotDistinctFrom`),
    /// each side first checked to hold every key once; the keys come from
    /// whichever side has the row (the server's `join_use_nulls` makes the
    /// other side's columns null).
    fn diff(
        &mut self,
        before: &Plan,
        after: &Plan,
        keys: &[String],
    ) -> Result<Select, Unsupported> {
        let before = self.plan(before)?;
        let before = self.unique_keys(before, keys, DiffSide::Before);
        let after = self.plan(after)?;
        let after = self.unique_keys(after, keys, DiffSide::After);
        let (ba, aa) = (self.alias(), self.alias());
        let condition: Vec<String> = keys
            .iter()
            .map(|k| format!("isNotDistinctFrom({ba}.{0}, {aa}.{0})", ident(k)))
            .collect();
        let mut items: Vec<Item> = Vec::new();
        for key in keys {
            let ty = before
                .items
                .iter()
                .find(|i| i.name == *key)
                .map_or(Type::Null, |i| i.ty);
            items.push(Item::new(
                key,
                format!("coalesce({ba}.{0}, {aa}.{0})", ident(key)),
                ty,
            ));
        }
        for (alias, side) in [(&ba, &before), (&aa, &after)] {
            for item in side.items.iter().filter(|i| !keys.contains(&i.name)) {
                items.push(Item::new(
                    &item.name,
                    format!("{alias}.{}", ident(&item.name)),
                    item.ty,
                ));
            }
        }
        Ok(Select::over(
            format!(
                "({}) AS {ba} FULL OUTER JOIN ({}) AS {aa} ON {}",
                before.render(),
                after.render(),
                condition.join(" AND ")
            ),
            items,
        ))
    }

    /// `select`, failing the query (`throwIf` with [`DUPLICATE_KEY_MARK`])
    /// when a value of `keys` is on more than one of its rows; nulls are
    /// one key. Rows known to differ in the keys already need no check.
    fn unique_keys(&mut self, select: Select, keys: &[String], side: DiffSide) -> Select {
        if select
            .unique
            .as_ref()
            .is_some_and(|unique| unique.iter().all(|u| keys.contains(u)))
        {
            return select;
        }
        const COUNT: &str = "__infraql_key_rows";
        let mut counted = self.wrap(select);
        let by: Vec<String> = {
            let scope = counted.scope(false);
            keys.iter().map(|k| scope.column(k)).collect()
        };
        counted.items.push(Item {
            window: true,
            ..Item::new(
                COUNT,
                format!("count() OVER (PARTITION BY {})", by.join(", ")),
                Type::Int,
            )
        });
        counted.windows = true;
        let mut checked = self.wrap(counted);
        let rows = checked.scope(false).column(COUNT);
        let message = format!("{DUPLICATE_KEY_MARK}{}", duplicate_key_message(side, keys));
        checked
            .filters
            .push(format!("throwIf({rows} > 1, {}) = 0", string(&message)));
        checked.items.retain(|i| i.name != COUNT);
        checked
    }
}

/// The output columns of a `select` or `derive` over `select`, or `None`
/// when they would write out one of its window functions twice (it then
/// needs a SELECT of its own).
fn project_items(
    select: &Select,
    original: &[String],
    columns: &[(String, Expr)],
    keep_input: bool,
) -> Result<Option<Vec<Item>>, Unsupported> {
    let scope = select.scope(false);
    let computed = |name: &str| columns.iter().find(|(n, _)| n == name);
    let item = |name: &str, e: &Expr| -> Result<Item, Unsupported> {
        let before = scope.window_reads();
        let sql = expr(e, &scope)?;
        Ok(Item {
            count: is_count(e, &scope),
            window: scope.window_reads() > before,
            ..Item::new(name, sql, type_of(e, &scope))
        })
    };
    let mut items = Vec::new();
    if keep_input {
        for name in original {
            match computed(name) {
                Some((_, e)) => items.push(item(name, e)?),
                None => items.push(item(name, &Expr::Column(name.clone()))?),
            }
        }
    }
    for (name, e) in columns {
        if keep_input && original.contains(name) {
            continue;
        }
        items.push(item(name, e)?);
    }
    Ok((!scope.window_read_twice()).then_some(items))
}

/// The seconds that `predicate` (a WHERE) bounds on both sides inside
/// `[low, end)`, as written over `scope`; plain columns only, whose
/// conversion is always written the same way.
fn seconds_within(predicate: &Expr, scope: &Scope, (low, end): (f64, f64)) -> Vec<String> {
    let terms = predicate.conjuncts();
    let mut lower: Vec<&Expr> = Vec::new();
    let mut upper: Vec<&Expr> = Vec::new();
    for term in terms {
        if let Expr::Binary(op, x, bound) = term
            && let Expr::Literal(Value::Float(b)) = **bound
        {
            match op {
                BinaryOp::GtEq | BinaryOp::Gt if b >= low => lower.push(x),
                BinaryOp::Lt if b <= end => upper.push(x),
                BinaryOp::LtEq if b < end => upper.push(x),
                _ => {}
            }
        }
    }
    let mut proven: Vec<String> = Vec::new();
    for x in lower {
        if let Expr::Column(_) = x
            && upper.contains(&x)
            && let Ok(sql) = expr(x, scope)
            && !proven.contains(&sql)
        {
            proven.push(sql);
        }
    }
    proven
}

/// ORDER BY items for a sort over `select`, or `None` when a key would
/// write out a window function (computed once in a SELECT below).
fn sort_items(
    select: &Select,
    keys: &[SortKey],
    ties: &[SortKey],
) -> Result<Option<Vec<String>>, Unsupported> {
    let scope = select.scope(false);
    let mut order = order_by(keys.iter().chain(ties), &scope)?;
    // Rows equal on every key are ordered by the columns that tell them
    // apart, so the order is the same on every run (the local engine keeps
    // their arrival order, which the server has not). Group keys given as
    // ties tell the rows of a group apart already.
    if ties.is_empty() {
        order.extend(tie_breakers(&scope, &column_names(keys)));
    }
    Ok((scope.window_reads() == 0).then_some(order))
}

/// The expression of an ORDER BY item, without its direction.
fn sort_expression(item: &str) -> &str {
    item.rsplit_once(" ASC NULLS LAST")
        .or_else(|| item.rsplit_once(" DESC NULLS LAST"))
        .map_or(item, |(e, _)| e)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversions_of_seconds_the_where_keeps_in_range_lose_their_guard() {
        let seconds = "t1.`ts`";
        let guarded = seconds_to_datetime(seconds);
        let mut select = Select::over("t AS t1".into(), Vec::new());
        select.filters = vec![format!("hour({guarded}) = 3")];
        select.in_server_years = vec![seconds.into()];
        let sql = select.render_with(&[(format!("toStartOfHour({guarded})"), "`h`".into())]);
        assert_eq!(
            sql,
            format!(
                "SELECT toStartOfHour(toDateTime64(t1.`ts`, 6, 'UTC')) AS `h` FROM t AS t1 WHERE (hour({guarded}) = 3)"
            )
        );
        // Which seconds a WHERE proves: both sides bounded, inside the years.
        let items = [Item::new("ts", seconds.into(), Type::Float)];
        let scope = Scope::new(&items, false, None);
        let bound = |op, b| {
            Expr::Binary(
                op,
                Box::new(Expr::Column("ts".into())),
                Box::new(Expr::Literal(Value::Float(b))),
            )
        };
        let and = |a, b| Expr::Binary(BinaryOp::And, Box::new(a), Box::new(b));
        let day = and(bound(BinaryOp::GtEq, 1.7e9), bound(BinaryOp::Lt, 1.8e9));
        assert_eq!(seconds_within(&day, &scope, SERVER_SECONDS), [seconds]);
        let open = bound(BinaryOp::GtEq, 1.7e9);
        assert!(seconds_within(&open, &scope, SERVER_SECONDS).is_empty());
        let far = and(bound(BinaryOp::GtEq, 1.7e9), bound(BinaryOp::Lt, 3e11));
        assert!(seconds_within(&far, &scope, SERVER_SECONDS).is_empty());
        // Starts of hours of seconds in DateTime's range are taken on it.
        let mut select = Select::over("t AS t1".into(), Vec::new());
        select.in_server_years = vec![seconds.into()];
        select.in_datetime32 = vec![seconds.into()];
        let sql = select.render_with(&[
            (format!("toStartOfHour({guarded})"), "`h`".into()),
            (guarded.clone(), "`t`".into()),
        ]);
        assert_eq!(
            sql,
            "SELECT toStartOfHour(toDateTime(t1.`ts`, 'UTC')) AS `h`, toDateTime64(t1.`ts`, 6, 'UTC') AS `t` FROM t AS t1"
        );
    }

    #[test]
    fn group_and_order_keys_written_as_an_item_name_its_alias() {
        let mut select = Select::over("t AS t1".into(), Vec::new());
        select.group = Some(vec!["toStartOfHour(t1.`ts`)".into(), "t1.`host`".into()]);
        select.order = vec![
            "toInt64(count()) DESC NULLS LAST".into(),
            "t1.`host` ASC NULLS LAST".into(),
            "lower(t1.`uri`) ASC NULLS LAST".into(),
        ];
        let items = [
            ("toStartOfHour(t1.`ts`)".into(), "`hour`".into()),
            ("t1.`host`".into(), "`host`".into()),
            ("toInt64(count())".into(), "`n`".into()),
        ];
        assert_eq!(
            select.render_with(&items),
            "SELECT toStartOfHour(t1.`ts`) AS `hour`, t1.`host` AS `host`, toInt64(count()) AS `n` \
             FROM t AS t1 GROUP BY `hour`, t1.`host` \
             ORDER BY `n` DESC NULLS LAST, t1.`host` ASC NULLS LAST, lower(t1.`uri`) ASC NULLS LAST"
        );
    }
}
