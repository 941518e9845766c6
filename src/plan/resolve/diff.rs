//! `diff`, `latest` and `at`: comparing two results key by key, and the
//! revisions of a history table.
//!
//! `diff` is planned as a [`Plan::Diff`] pairing (a full outer join that
//! checks its keys are unique on each side) between two `select`s that
//! name each side's columns, then ordinary nodes: a `derive` classifying
//! each key, a `where` dropping the unchanged, a `select` of the output
//! columns and a `sort` by the keys. So the comparisons are expressions
//! of the plan, with the language's meaning on every backend (NaN equals
//! NaN, checked integer subtraction). `latest` and `at` are filters.

use std::collections::HashSet;

use super::expr::{balanced, column_list, unify};
use super::{Reported, Resolver};
use crate::diagnostic::Diagnostic;
use crate::plan::logical::{BinaryOp, Expr, Plan, SortKey, UnaryOp, Value};
use crate::plan::schema::{Column, Schema};
use crate::plan::types::Type;
use crate::syntax::ast;
use crate::syntax::print;

/// The columns `infraql import --git` adds to every row of a history
/// table: the revision that brought the row, its commit, and the first
/// revision without it (null while it is still there).
pub const HISTORY_COLUMNS: [&str; 3] = ["revision", "commit", "gone_in"];

/// The bool column each side of a diff carries (true) so that the rows
/// missing on a side are told apart after the join (null there).
const IN_BEFORE: &str = "__infraql_in_before";
const IN_AFTER: &str = "__infraql_in_after";

/// How the two sides of one column are compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Comparison {
    /// Both sides of this type (null against a type counts as that type).
    As(Type),
    /// Int against float: as floats.
    Floats,
    /// Other differing types: their text.
    Text,
    /// Both sides are untyped nulls: always equal.
    Never,
}

fn comparison(before: Type, after: Type) -> Comparison {
    use Type::{Float, Int, Null};
    match (before, after) {
        (Null, Null) => Comparison::Never,
        (a, b) if a == b => Comparison::As(a),
        (Null, t) | (t, Null) => Comparison::As(t),
        (Int, Float) | (Float, Int) => Comparison::Floats,
        _ => Comparison::Text,
    }
}

/// `e` (of type `from`) as type `to`.
fn as_type(e: Expr, from: Type, to: Type) -> Expr {
    if from == to { e } else { e.cast(to) }
}

fn is_null(e: Expr) -> Expr {
    Expr::IsNull {
        expr: Box::new(e),
        negated: false,
    }
}

fn binary(op: BinaryOp, a: Expr, b: Expr) -> Expr {
    Expr::Binary(op, Box::new(a), Box::new(b))
}

fn text(s: &str) -> Expr {
    Expr::Literal(Value::String(s.to_owned()))
}

/// Whether `a` and `b` differ, null-safe: null against a value differs,
/// null against null does not; otherwise `!=` (for floats NaN equals NaN,
/// as everywhere in the language).
fn differ(a: Expr, b: Expr) -> Expr {
    let either = binary(BinaryOp::Or, is_null(a.clone()), is_null(b.clone()));
    let both = binary(BinaryOp::And, is_null(a.clone()), is_null(b.clone()));
    Expr::If(
        Box::new(either),
        Box::new(Expr::Unary(UnaryOp::Not, Box::new(both))),
        Box::new(binary(BinaryOp::NotEq, a, b)),
    )
}

/// One output column of a diff besides the keys and `change`.
struct Compared {
    /// The name in the inputs.
    name: String,
    before: Option<Type>,
    after: Option<Type>,
}

impl Resolver<'_> {
    /// `input | diff source on keys`.
    pub(super) fn diff(
        &mut self,
        op: &ast::Operator,
        source: &ast::Source,
        on: &[ast::JoinKey],
        input: Box<Plan>,
        schema: Schema,
    ) -> Result<(Plan, Schema), Reported> {
        let (after, after_schema) = self.source(source)?;
        // (before name, after name, the type both are compared as)
        let mut keys: Vec<(String, String, Type, Type, Type)> = Vec::new();
        let mut failed = false;
        for key in on {
            let left_ok = self.known_column(&key.left, &schema);
            // A key written once names both sides: one report is enough.
            let once = key.left.span == key.right.span;
            let right_ok = (once && !left_ok) || self.known_column(&key.right, &after_schema);
            if !(left_ok && right_ok) {
                failed = true;
                continue;
            }
            let (Some(l), Some(r)) = (
                schema.get(&key.left.name),
                after_schema.get(&key.right.name),
            ) else {
                continue;
            };
            let span = key.left.span.to(key.right.span);
            if keys
                .iter()
                .any(|(b, a, ..)| *b == key.left.name || *a == key.right.name)
            {
                self.errors.push(
                    Diagnostic::at(format!("`{}` is a key twice", key.left.name), span)
                        .with_label("already a key of this diff"),
                );
                failed = true;
                continue;
            }
            let Some(ty) = unify(l.ty, r.ty) else {
                self.errors.push(
                    Diagnostic::at(
                        format!(
                            "cannot diff on {} key against {} key",
                            l.ty.with_article(),
                            r.ty.with_article()
                        ),
                        span,
                    )
                    .with_label(format!("{} here, {} in the other", l.ty, r.ty))
                    .with_help("keys must be comparable: make them one type first, e.g. `derive id = concat(id, \"\")`"),
                );
                failed = true;
                continue;
            };
            keys.push((
                key.left.name.clone(),
                key.right.name.clone(),
                l.ty,
                r.ty,
                ty,
            ));
        }
        if failed {
            return Err(Reported);
        }
        // Two revisions of a history table always differ in these: left
        // out when both sides have them.
        let history = |s: &Schema| HISTORY_COLUMNS.iter().all(|c| s.contains(c));
        let skipped: HashSet<&str> = if history(&schema) && history(&after_schema) {
            HISTORY_COLUMNS.into_iter().collect()
        } else {
            HashSet::new()
        };
        let before_keys: HashSet<&str> = keys.iter().map(|k| k.0.as_str()).collect();
        let after_keys: HashSet<&str> = keys.iter().map(|k| k.1.as_str()).collect();
        let before_rest: Vec<&Column> = schema
            .columns
            .iter()
            .filter(|c| {
                !before_keys.contains(c.name.as_str()) && !skipped.contains(c.name.as_str())
            })
            .collect();
        let after_rest: Vec<&Column> = after_schema
            .columns
            .iter()
            .filter(|c| !after_keys.contains(c.name.as_str()) && !skipped.contains(c.name.as_str()))
            .collect();
        let mut columns: Vec<Compared> = before_rest
            .iter()
            .map(|c| Compared {
                name: c.name.clone(),
                before: Some(c.ty),
                after: after_rest.iter().find(|a| a.name == c.name).map(|a| a.ty),
            })
            .collect();
        for c in &after_rest {
            if !before_rest.iter().any(|b| b.name == c.name) {
                columns.push(Compared {
                    name: c.name.clone(),
                    before: None,
                    after: Some(c.ty),
                });
            }
        }

        // The output's columns, named and typed, with what computes them
        // over the pairing.
        let before_name = |c: &str| format!("{c}_before");
        let after_name = |c: &str| format!("{c}_after");
        let mut out: Vec<(String, Expr, Type)> = Vec::new();
        for (name, _, _, _, ty) in &keys {
            out.push((name.clone(), Expr::column(name), *ty));
        }
        out.push(("change".to_owned(), Expr::column("change"), Type::String));
        let mut differences = Vec::new();
        for c in &columns {
            if let Some(ty) = c.before {
                let name = before_name(&c.name);
                out.push((name.clone(), Expr::column(&name), ty));
            }
            if let Some(ty) = c.after {
                let name = after_name(&c.name);
                out.push((name.clone(), Expr::column(&name), ty));
            }
            let (Some(tb), Some(ta)) = (c.before, c.after) else {
                continue;
            };
            let (b, a) = (
                Expr::column(before_name(&c.name)),
                Expr::column(after_name(&c.name)),
            );
            match comparison(tb, ta) {
                Comparison::Never => {}
                Comparison::As(ty) => {
                    differences.push(differ(as_type(b, tb, ty), as_type(a, ta, ty)))
                }
                Comparison::Floats => differences.push(differ(
                    as_type(b, tb, Type::Float),
                    as_type(a, ta, Type::Float),
                )),
                Comparison::Text => differences.push(differ(
                    as_type(b, tb, Type::String),
                    as_type(a, ta, Type::String),
                )),
            }
            let numeric = |t: Type| matches!(t, Type::Int | Type::Float);
            if numeric(tb) && numeric(ta) {
                let (b, a) = (
                    Expr::column(before_name(&c.name)),
                    Expr::column(after_name(&c.name)),
                );
                let (delta, ty) = if tb == Type::Int && ta == Type::Int {
                    let written = format!(
                        "{} - {}",
                        print::ident(&after_name(&c.name)),
                        print::ident(&before_name(&c.name))
                    );
                    (
                        Expr::Checked {
                            expr: Box::new(binary(BinaryOp::Sub, a, b)),
                            text: written,
                            span: op.span,
                        },
                        Type::Int,
                    )
                } else {
                    (
                        binary(
                            BinaryOp::Sub,
                            as_type(a, ta, Type::Float),
                            as_type(b, tb, Type::Float),
                        ),
                        Type::Float,
                    )
                };
                out.push((format!("{}_delta", c.name), delta, ty));
            }
        }
        let mut seen: HashSet<&str> = [IN_BEFORE, IN_AFTER].into_iter().collect();
        for (name, ..) in &out {
            if !seen.insert(name.as_str()) {
                self.errors.push(
                    Diagnostic::at(
                        format!("`diff` would give two columns the name `{name}`"),
                        op.keyword,
                    )
                    .with_label("names clash in the result")
                    .with_help(format!(
                        "rename a column on one side first, e.g. `rename other = {}`",
                        print::ident(name)
                    )),
                );
                return Err(Reported);
            }
        }

        // Each side named for the pairing: the keys under the first
        // input's names (as the type they are compared as), the rest with
        // the suffix of its side, and the side's marker.
        let side = |after: bool, rest: &[&Column], marker: &str| {
            let mut select: Vec<(String, Expr)> = keys
                .iter()
                .map(|(before_key, after_key, before_ty, after_ty, ty)| {
                    let (e, from) = if after {
                        (Expr::column(after_key), *after_ty)
                    } else {
                        (Expr::column(before_key), *before_ty)
                    };
                    (before_key.clone(), as_type(e, from, *ty))
                })
                .collect();
            select.extend(rest.iter().map(|c| {
                let name = if after {
                    after_name(&c.name)
                } else {
                    before_name(&c.name)
                };
                (name, Expr::column(&c.name))
            }));
            select.push((marker.to_owned(), Expr::Literal(Value::Bool(true))));
            select
        };
        let before_side = side(false, &before_rest, IN_BEFORE);
        let after_side = side(true, &after_rest, IN_AFTER);
        let paired = Plan::Diff {
            before: Box::new(Plan::Select {
                input,
                columns: before_side,
            }),
            after: Box::new(Plan::Select {
                input: Box::new(after),
                columns: after_side,
            }),
            keys: keys.iter().map(|k| k.0.clone()).collect(),
        };
        let changed = if differences.is_empty() {
            Expr::Literal(Value::Bool(false))
        } else {
            balanced(BinaryOp::Or, differences)
        };
        let change = Expr::If(
            Box::new(is_null(Expr::column(IN_BEFORE))),
            Box::new(text("added")),
            Box::new(Expr::If(
                Box::new(is_null(Expr::column(IN_AFTER))),
                Box::new(text("removed")),
                Box::new(Expr::If(
                    Box::new(changed),
                    Box::new(text("changed")),
                    Box::new(Expr::Literal(Value::Null).cast(Type::String)),
                )),
            )),
        );
        let classified = Plan::Derive {
            input: Box::new(paired),
            columns: vec![("change".to_owned(), change)],
        };
        let kept = Plan::Filter {
            input: Box::new(classified),
            predicate: Expr::IsNull {
                expr: Box::new(Expr::column("change")),
                negated: true,
            },
        };
        let selected = Plan::Select {
            input: Box::new(kept),
            columns: out.iter().map(|(n, e, _)| (n.clone(), e.clone())).collect(),
        };
        let sorted = Plan::Sort {
            input: Box::new(selected),
            keys: keys
                .iter()
                .map(|k| SortKey {
                    expr: Expr::column(&k.0),
                    descending: false,
                })
                .collect(),
            ties: Vec::new(),
        };
        let schema = Schema::new(out.into_iter().map(|(n, _, t)| (n, t)));
        Ok((sorted, schema))
    }

    /// `latest`: the rows still in the newest revision (`gone_in` is
    /// null); a table without `gone_in` is one snapshot, kept whole.
    pub(super) fn latest(&mut self, input: Box<Plan>, schema: Schema) -> (Plan, Schema) {
        if !schema.contains("gone_in") {
            return (*input, schema);
        }
        let predicate = is_null(Expr::column("gone_in"));
        (Plan::Filter { input, predicate }, schema)
    }

    /// `at N`: the rows of revision N, those with `revision <= N and
    /// (gone_in is null or gone_in > N)`.
    pub(super) fn at(
        &mut self,
        op: &ast::Operator,
        n: &ast::Count,
        input: Box<Plan>,
        schema: Schema,
    ) -> Result<(Plan, Schema), Reported> {
        let missing: Vec<&str> = ["revision", "gone_in"]
            .into_iter()
            .filter(|c| !schema.contains(c))
            .collect();
        if !missing.is_empty() {
            let names: Vec<String> = missing.iter().map(|c| format!("`{c}`")).collect();
            let mut d = Diagnostic::at(
                "`at` needs a history table: the columns `revision` and `gone_in`, as `infraql import --git` writes them",
                op.span,
            )
            .with_label(format!("no {} here", names.join(" or ")));
            d = d.with_help(format!(
                "a table without history is one snapshot: use it as it is (`latest` keeps it whole); columns here: {}",
                column_list(&schema)
            ));
            self.errors.push(d);
            return Err(Reported);
        }
        for name in ["revision", "gone_in"] {
            let ty = schema.get(name).map_or(Type::Null, |c| c.ty);
            if !matches!(ty, Type::Int | Type::Null) {
                self.errors.push(
                    Diagnostic::at(
                        format!(
                            "`at` needs `{name}` to hold revision numbers, but it is {}",
                            ty.with_article()
                        ),
                        op.span,
                    )
                    .with_label(format!("`{name}` is {} here", ty.with_article())),
                );
                return Err(Reported);
            }
        }
        let revision = Expr::Literal(Value::Int(i64::try_from(n.value).unwrap_or(i64::MAX)));
        let brought = binary(BinaryOp::LtEq, Expr::column("revision"), revision.clone());
        let still = binary(
            BinaryOp::Or,
            is_null(Expr::column("gone_in")),
            binary(BinaryOp::Gt, Expr::column("gone_in"), revision),
        );
        let predicate = binary(BinaryOp::And, brought, still);
        Ok((Plan::Filter { input, predicate }, schema))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::super::{Catalog, Step, resolve};
    use crate::diagnostic::Diagnostic;
    use crate::plan::logical::{Plan, Query};
    use crate::plan::schema::Schema;
    use crate::plan::types::Type;

    /// Two snapshots and a history table.
    struct Tables;

    impl Catalog for Tables {
        fn table(&self, name: &str) -> Option<Schema> {
            let columns: &[(&str, Type)] = match name {
                "old" => &[
                    ("id", Type::Int),
                    ("n", Type::Int),
                    ("x", Type::Float),
                    ("s", Type::String),
                    ("gone", Type::Bool),
                ],
                "new" => &[
                    ("key", Type::Int),
                    ("n", Type::Float),
                    ("x", Type::Float),
                    ("s", Type::Int),
                    ("born", Type::Date),
                ],
                "hist" => &[
                    ("id", Type::String),
                    ("v", Type::Int),
                    ("revision", Type::Int),
                    ("commit", Type::String),
                    ("gone_in", Type::Int),
                ],
                "bad" => &[
                    ("id", Type::String),
                    ("revision", Type::String),
                    ("gone_in", Type::Int),
                ],
                _ => return None,
            };
            Some(Schema::new(
                columns.iter().map(|(n, t)| ((*n).to_owned(), *t)),
            ))
        }

        fn table_names(&self) -> Vec<String> {
            ["old", "new", "hist", "bad"].map(str::to_owned).to_vec()
        }

        fn file(&self, path: &str) -> Result<Schema, String> {
            Err(format!("no file {path}"))
        }
    }

    fn query(text: &str) -> Result<Query, Vec<Diagnostic>> {
        let script = crate::syntax::parse(text).map_err(|d| vec![d])?;
        let steps = resolve(
            &script,
            text,
            &Tables,
            &mut HashMap::new(),
            chrono::NaiveDateTime::default(),
        )?;
        match steps.into_iter().last() {
            Some(Step::Run { query, .. }) => Ok(query),
            other => panic!("{text}: no query: {other:?}"),
        }
    }

    fn columns(text: &str) -> Vec<String> {
        let query = query(text).unwrap_or_else(|e| panic!("{text}: {e:?}"));
        query
            .schema
            .columns
            .iter()
            .map(|c| format!("{}:{}", c.name, c.ty))
            .collect()
    }

    fn error(text: &str) -> Diagnostic {
        let errors = query(text).expect_err(text);
        assert_eq!(errors.len(), 1, "{text}: {errors:?}");
        errors.into_iter().next().expect("one error")
    }

    #[test]
    fn the_output_is_keys_change_then_each_column_before_after_and_delta() {
        assert_eq!(
            columns("old | diff new on id == key"),
            [
                "id:int",
                "change:string",
                "n_before:int",
                "n_after:float",
                "n_delta:float",
                "x_before:float",
                "x_after:float",
                "x_delta:float",
                // int against string: compared as text, no delta
                "s_before:string",
                "s_after:int",
                // one side only: shown once, not compared
                "gone_before:bool",
                "born_after:date",
            ]
        );
        // Int keys against float keys are compared as floats.
        assert_eq!(
            columns("old | select id, n | diff (new | select k = n, v = key) on id == k"),
            ["id:float", "change:string", "n_before:int", "v_after:int"]
        );
    }

    #[test]
    fn the_plan_pairs_sides_then_classifies_filters_selects_and_sorts() {
        let plan = query("old | diff new on id == key").expect("resolves").plan;
        let text = crate::plan::explain::plan(&plan);
        let lines: Vec<&str> = text.lines().map(str::trim_start).collect();
        assert!(lines[0].starts_with("Sort id"), "{text}");
        assert!(
            lines[1].starts_with("Select id, change, n_before"),
            "{text}"
        );
        assert!(lines[2].starts_with("Filter change is not null"), "{text}");
        assert!(lines[3].starts_with("Derive change = if("), "{text}");
        assert!(lines[4].starts_with("Diff on id"), "{text}");
        // The second side's key under the first side's name.
        assert!(
            text.contains("Select id = key::float") || text.contains("Select id = key,"),
            "{text}"
        );
        let Plan::Sort { input, .. } = &plan else {
            panic!("{text}")
        };
        let Plan::Select { columns, .. } = input.as_ref() else {
            panic!("{text}")
        };
        // An int difference is checked for overflow; float ones need not be.
        let n_delta = columns
            .iter()
            .find(|(n, _)| n == "n_delta")
            .expect("n_delta");
        assert!(!matches!(
            n_delta.1,
            crate::plan::logical::Expr::Checked { .. }
        ));
        let checked = query("old | diff (old | derive n = n + 1) on id")
            .expect("resolves")
            .plan
            .checked_texts();
        assert!(
            checked.iter().any(|(t, _)| t == "n_after - n_before"),
            "{checked:?}"
        );
    }

    #[test]
    fn history_columns_are_left_out_when_both_sides_have_them() {
        assert_eq!(
            columns("hist | at 1 | diff (hist | latest) on id"),
            [
                "id:string",
                "change:string",
                "v_before:int",
                "v_after:int",
                "v_delta:int"
            ]
        );
        // Only one side with history: ordinary columns.
        assert!(
            columns("hist | diff (hist | select id, v) on id")
                .contains(&"revision_before:int".to_owned())
        );
    }

    #[test]
    fn unknown_keys_and_incomparable_types_point_at_the_key() {
        let e = error("old | diff new on idd == key");
        assert_eq!(e.message, "unknown column `idd`");
        assert!(
            e.help.iter().any(|h| h.contains("did you mean `id`?")),
            "{e:?}"
        );
        // A key written once is reported once.
        let e = error("old | diff old on idd");
        assert_eq!(e.span.map(|s| s.start), Some(18));
        let e = error("old | diff new on s == key");
        assert!(
            e.message
                .contains("cannot diff on a string key against an int key"),
            "{e:?}"
        );
        assert_eq!(e.span.map(|s| (s.start, s.end)), Some((18, 26)));
        let e = error("old | diff old on id and id");
        assert!(e.message.contains("a key twice"), "{e:?}");
    }

    #[test]
    fn names_that_would_clash_are_an_error() {
        let e = error("old | rename change = s | diff (old | rename change = s) on change");
        assert!(e.message.contains("the name `change`"), "{e:?}");
        let e = error("old | derive n_before = 1 | diff (old | derive n_before = 1) on n_before");
        assert!(e.message.contains("the name `n_before`"), "{e:?}");
    }

    #[test]
    fn latest_and_at_are_filters_on_the_history_columns() {
        let text = |q: &str| crate::plan::explain::plan(&query(q).expect("resolves").plan);
        assert_eq!(
            text("hist | latest"),
            "Filter gone_in is null\n  Table hist\n"
        );
        assert_eq!(
            text("hist | at 2"),
            "Filter ((revision <= 2) and (gone_in is null or (gone_in > 2)))\n  Table hist\n"
        );
        // No history: one snapshot, as it is.
        assert_eq!(text("old | latest"), "Table old\n");
        let e = error("old | at 1");
        assert!(e.message.contains("`at` needs a history table"), "{e:?}");
        assert_eq!(e.label.as_deref(), Some("no `revision` or `gone_in` here"));
        assert_eq!(e.span.map(|s| (s.start, s.end)), Some((6, 10)));
        let e = error("bad | at 1");
        assert!(
            e.message.contains("`revision` to hold revision numbers"),
            "{e:?}"
        );
    }

    #[test]
    fn rows_after_a_diff_are_in_key_order_for_rank() {
        // `rank()` needs a known order: a diff gives one.
        assert!(query("old | diff new on id == key | derive r = rank()").is_ok());
    }
}
