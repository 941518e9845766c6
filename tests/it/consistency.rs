//! Consistency properties over generated predicates: answers that must
//! agree with each other whatever the predicate is. They found a filter
//! that reads no column losing every row under `count`, and a select of
//! constants giving one row; they run on every engine the language has.
//!
//! - `where P`, `where not P` and `where (P) is null` partition the rows.
//! - `count` after `where P` equals the rows `where P` shows.
//! - A select of constants after `where P` keeps one row per row.
//! - Filtering on `P` and on a derived column holding `P` agree.

use infraql::engine::polars::Engine;
use infraql::session::{Outcome, Session};
use proptest::prelude::*;

fn session() -> Session {
    Session::new(Engine::with_bundled_datasets().expect("bundled datasets load"))
}

/// The rows of each result of `text`.
fn heights(session: &mut Session, text: &str) -> Vec<usize> {
    let mut out = Vec::new();
    session
        .run("<property>", text, |outcome| {
            if let Outcome::Rows(frame) = outcome {
                out.push(frame.height());
            }
            Ok(())
        })
        .unwrap_or_else(|f| panic!("{text}\n{}", f.render(false)));
    out
}

/// The single integer a `… | count` gives.
fn count(session: &mut Session, text: &str) -> i64 {
    let mut value = None;
    session
        .run("<property>", text, |outcome| {
            if let Outcome::Rows(frame) = outcome {
                let column = frame.column("count").map_err(|e| e.to_string())?;
                value = column.i64().map_err(|e| e.to_string())?.get(0);
            }
            Ok(())
        })
        .unwrap_or_else(|f| panic!("{text}\n{}", f.render(false)));
    value.unwrap_or_else(|| panic!("no count from {text}"))
}

fn int_column() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "requests_30d",
        "jobs_30d",
        "open_incidents",
        "error_count",
        "uptime_errors",
        "page_open_incidents",
    ])
}

fn float_column() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec!["uptime_pct", "error_rate_pct", "page_uptime_pct"])
}

fn string_column() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "service",
        "server_size",
        "status",
        "category",
        "page_server_note",
    ])
}

fn comparison() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec!["==", "!=", "<", "<=", ">", ">="])
}

fn int_constant() -> impl Strategy<Value = String> {
    prop_oneof![
        (0i64..100).prop_map(|n| n.to_string()),
        prop::sample::select(vec!["1M", "10M", "0", "-1", "44", "9223372036854775807"])
            .prop_map(str::to_owned),
    ]
}

fn string_constant() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "\"\"",
        "\"critical\"",
        "\"Large\"",
        "\"packages\"",
        "\"a\"",
        "\"s\"",
    ])
    .prop_map(str::to_owned)
}

fn leaf() -> impl Strategy<Value = String> {
    prop_oneof![
        (int_column(), comparison(), int_constant()).prop_map(|(c, op, v)| format!("{c} {op} {v}")),
        (float_column(), comparison(), 0.0f64..100.0)
            .prop_map(|(c, op, v)| format!("{c} {op} {v:.2}")),
        (
            string_column(),
            prop::sample::select(vec!["==", "!="]),
            string_constant()
        )
            .prop_map(|(c, op, v)| format!("{c} {op} {v}")),
        (
            string_column(),
            prop::sample::select(vec!["contains", "startswith", "endswith"]),
            string_constant()
        )
            .prop_map(|(c, op, v)| format!("{c} {op} {v}")),
        (
            int_column(),
            any::<bool>(),
            prop::collection::vec(prop_oneof![int_constant(), Just("null".to_owned())], 0..4)
        )
            .prop_map(|(c, not, list)| {
                let not = if not { "not " } else { "" };
                format!("{c} {not}in [{}]", list.join(", "))
            }),
        (
            prop_oneof![int_column(), float_column(), string_column()],
            any::<bool>()
        )
            .prop_map(|(c, not)| format!("{c} is {}null", if not { "not " } else { "" })),
        Just("shared_server".to_owned()),
        prop::sample::select(vec![
            "true",
            "false",
            "null",
            "\"a\" == \"a\"",
            "1 < 2",
            "2 + 2 == 5",
            "1 in []",
            "not null",
        ])
        .prop_map(str::to_owned),
    ]
}

/// A predicate over `services`, of up to a few levels of and/or/not.
pub fn predicate() -> impl Strategy<Value = String> {
    leaf().prop_recursive(3, 12, 2, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a}) and ({b})")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a}) or ({b})")),
            inner.prop_map(|a| format!("not ({a})")),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, .. ProptestConfig::default() })]

    #[test]
    fn true_false_and_null_rows_add_up_to_all_rows(p in predicate()) {
        let mut s = session();
        let all = count(&mut s, "services | count");
        let yes = count(&mut s, &format!("services | where {p} | count"));
        let no = count(&mut s, &format!("services | where not ({p}) | count"));
        let unknown = count(&mut s, &format!("services | where ({p}) is null | count"));
        prop_assert_eq!(yes + no + unknown, all, "P = {}", p);
    }

    #[test]
    fn count_equals_the_rows_shown(p in predicate()) {
        let mut s = session();
        let shown = heights(&mut s, &format!("services | where {p}"));
        let counted = count(&mut s, &format!("services | where {p} | count"));
        prop_assert_eq!(shown, vec![counted as usize], "P = {}", p);
        let constants = heights(&mut s, &format!("services | where {p} | select one = 1, a = \"a\""));
        prop_assert_eq!(constants, vec![counted as usize], "P = {}", p);
        let constants_counted =
            count(&mut s, &format!("services | where {p} | select one = 1 | count"));
        prop_assert_eq!(constants_counted, counted, "P = {}", p);
    }

    #[test]
    fn filtering_on_a_predicate_and_on_its_derived_column_agree(p in predicate()) {
        let mut s = session();
        let direct = count(&mut s, &format!("services | where {p} | count"));
        let derived = count(&mut s, &format!("services | derive p = {p} | where p | count"));
        prop_assert_eq!(direct, derived, "P = {}", p);
        let grouped = heights(&mut s, &format!("services | group p = {p} agg n = count()"));
        prop_assert!(grouped.len() == 1 && grouped[0] <= 3, "P = {}", p);
    }
}

/// Operators that keep every row: after any of them `count` is the same.
fn row_keeping_operator() -> impl Strategy<Value = String> {
    prop_oneof![
        (int_column(), any::<bool>())
            .prop_map(|(c, desc)| { format!("sort {c}{}", if desc { " desc" } else { "" }) }),
        (string_column(), float_column()).prop_map(|(a, b)| format!("sort {a}, {b} desc")),
        Just("derive z = 1".to_owned()),
        Just("derive share = requests_30d * 100.0 / sum(requests_30d) over ()".to_owned()),
        Just("derive r = row_number() over (by server_size)".to_owned()),
        (string_column(), int_column()).prop_map(|(a, b)| format!("select {a}, {b}")),
        Just("select k = 1".to_owned()),
        Just("rename name = service".to_owned()),
        Just("join left (servers | select ip) on server_ip == ip".to_owned()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, .. ProptestConfig::default() })]

    #[test]
    fn operators_that_keep_rows_keep_the_count(
        p in predicate(),
        ops in prop::collection::vec(row_keeping_operator(), 1..4),
        n in 0u64..30,
    ) {
        let mut s = session();
        let filtered = count(&mut s, &format!("services | where {p} | count"));
        // A rename or select may drop the columns a later operator names:
        // such pipelines are skipped, not failed.
        let pipeline = format!("services | where {p} | {}", ops.join(" | "));
        if s.schema_of(&pipeline).is_none() {
            return Ok(());
        }
        let kept = count(&mut s, &format!("{pipeline} | count"));
        prop_assert_eq!(kept, filtered, "{}", pipeline);
        let taken = count(&mut s, &format!("{pipeline} | take {n} | count"));
        prop_assert_eq!(taken, filtered.min(n as i64), "{}", pipeline);
    }

    #[test]
    fn groups_add_up_to_the_rows_they_group(p in predicate(), key in string_column()) {
        let mut s = session();
        let filtered = count(&mut s, &format!("services | where {p} | count"));
        let mut totals = Vec::new();
        s.run(
            "<property>",
            &format!("services | where {p} | group {key} agg n = count() | agg total = sum(n), groups = count()"),
            |outcome| {
                if let Outcome::Rows(frame) = outcome {
                    let total = frame.column("total").map_err(|e| e.to_string())?;
                    let groups = frame.column("groups").map_err(|e| e.to_string())?;
                    totals.push((
                        total.i64().map_err(|e| e.to_string())?.get(0),
                        groups.i64().map_err(|e| e.to_string())?.get(0),
                    ));
                }
                Ok(())
            },
        )
        .unwrap_or_else(|f| panic!("{}", f.render(false)));
        // The sum of no counts is null, as the sum of no values is.
        let expected_total = (filtered > 0).then_some(filtered);
        prop_assert_eq!(totals.len(), 1);
        prop_assert_eq!(totals[0].0, expected_total, "P = {}", p);
        prop_assert!(totals[0].1.unwrap_or(0) <= filtered.max(0), "P = {}", p);
    }

    #[test]
    fn semi_and_anti_joins_partition_the_rows(p in predicate()) {
        let mut s = session();
        let all = count(&mut s, "services | count");
        let right = format!("(servers | where services in [1, 2] or ({}) is null)", "ip == \"x\"");
        let semi = count(&mut s, &format!("services | where {p} | join semi {right} on server_ip == ip | count"));
        let anti = count(&mut s, &format!("services | where {p} | join anti {right} on server_ip == ip | count"));
        let filtered = count(&mut s, &format!("services | where {p} | count"));
        prop_assert_eq!(semi + anti, filtered, "P = {}", p);
        prop_assert!(filtered <= all);
    }

    #[test]
    fn a_predicate_and_its_negation_union_back_to_all_rows_but_the_unknown(p in predicate()) {
        let mut s = session();
        let all = count(&mut s, "services | count");
        let unknown = count(&mut s, &format!("services | where ({p}) is null | count"));
        let both = count(
            &mut s,
            &format!("services | where {p} | union (services | where not ({p})) | count"),
        );
        prop_assert_eq!(both + unknown, all, "P = {}", p);
    }
}
