//! File scans are lazy: only the columns and rows a query needs are read.
//! Checked in the plan Polars runs.

use infraql::engine::polars::Engine;
use infraql::session::Session;

use crate::run_in;

fn session() -> Session {
    Session::new(Engine::with_bundled_datasets().expect("bundled datasets load"))
}

#[test]
fn parquet_scans_read_only_needed_columns_and_rows() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("endpoints.parquet");
    let mut session = session();
    let export = format!("endpoints | export \"{}\"", path.display());
    assert!(run_in(&mut session, "<test>", &export).starts_with("exported 174 rows"));

    let query = format!(
        "from \"{}\" | where requests > 1M | group service agg n = count()",
        path.display()
    );
    let plan = session.explain("<test>", &query).expect("explains");
    assert!(plan.contains("Logical plan:"), "{plan}");
    assert!(
        plan.contains("PROJECT 2/11 COLUMNS"),
        "projection is not pushed into the scan:\n{plan}"
    );
    assert!(
        plan.contains("SELECTION: col(\"requests\") > 1000000"),
        "the filter is not pushed into the scan:\n{plan}"
    );
}

#[test]
fn csv_scans_read_only_needed_columns() {
    let mut session = session();
    session
        .add_file("logs", "tests/fixtures/logs/*.csv")
        .expect("loads");
    let plan = session
        .explain("<test>", "logs | where status == 429 | select host")
        .expect("explains");
    assert!(plan.contains("PROJECT 2/14 COLUMNS"), "{plan}");
}

#[test]
fn a_sort_after_a_group_frees_the_group_order_and_breaks_ties_by_its_keys() {
    let mut session = session();
    let plan = session
        .explain(
            "<test>",
            "endpoints | group service agg n = count() | sort n desc",
        )
        .expect("explains");
    assert!(plan.contains("Sort n desc (ties by service)"), "{plan}");
    assert!(plan.contains("(any order)"), "{plan}");
    assert!(plan.contains("maintain_order: false"), "{plan}");

    // A row number between the group and the sort depends on the group's
    // order, which must then be kept.
    let plan = session
        .explain(
            "<test>",
            "endpoints | group service agg n = count() | derive r = row_number() | sort n desc",
        )
        .expect("explains");
    assert!(!plan.contains("(any order)"), "{plan}");
}

#[test]
fn time_filters_on_unix_seconds_reach_the_scan() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("logs.parquet");
    let mut session = session();
    session
        .add_file("logs", "tests/fixtures/logs/*.csv")
        .expect("loads");
    let export = format!("logs | export \"{}\"", path.display());
    assert!(run_in(&mut session, "<test>", &export).starts_with("exported 48 rows"));

    let query = format!(
        "from \"{}\" | where to_datetime(timestamp) >= 2025-11-23 | count",
        path.display()
    );
    let plan = session.explain("<test>", &query).expect("explains");
    assert!(
        plan.contains("SELECTION: col(\"timestamp\").is_between([1.7639e9, 9.2234e12])"),
        "{plan}"
    );
    // The rewritten comparison keeps its meaning on both sides of a boundary.
    let mut counts = |op: &str| {
        let query = format!(
            "from \"{}\" | where to_datetime(timestamp) {op} 2025-11-23T00:09:32 | count",
            path.display()
        );
        run_in(&mut session, "<test>", &query)
    };
    let (gt, ge, lt, le) = (counts(">"), counts(">="), counts("<"), counts("<="));
    assert!(
        gt.contains("│    23 │") && ge.contains("│    24 │"),
        "{gt}{ge}"
    );
    assert!(
        lt.contains("│    24 │") && le.contains("│    25 │"),
        "{lt}{le}"
    );
}

#[test]
fn time_filters_on_a_derived_datetime_reach_the_scan_too() {
    let mut session = session();
    session
        .add_file("logs", "tests/fixtures/logs/*.csv")
        .expect("loads");
    let plan = session
        .explain("<test>", "logs | derive t = to_datetime(timestamp) | where t >= 2025-11-23 and t < 2025-11-23T12:00 | count")
        .expect("explains");
    assert!(
        // The far bounds that keep out what `to_datetime` cannot convert are
        // implied by the range's own bounds, and dropped.
        plan.contains("Filter ((timestamp >= 1763856000.0) and (timestamp < 1763899200.0))"),
        "{plan}"
    );
    // Redefining the seconds column itself keeps the comparison on datetimes.
    let plan = session
        .explain("<test>", "logs | derive timestamp = to_datetime(timestamp) | where timestamp >= 2025-11-23 | count")
        .expect("explains");
    assert!(
        plan.contains("Filter (timestamp >= 2025-11-23::datetime)"),
        "{plan}"
    );
    let counted = crate::run_in(
        &mut session,
        "<test>",
        "logs | derive timestamp = to_datetime(timestamp) | where timestamp >= 2025-11-23 | count",
    );
    assert!(counted.contains("│    24 │"), "{counted}");
}
