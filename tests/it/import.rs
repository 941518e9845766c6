//! `infraql import` end to end: a small invented documentation tree under
//! `tests/fixtures/docs` against the CSV files under `tests/fixtures/expected`,
//! a later form of it (status words instead of emoji, other date labels,
//! figures over shorter periods) under `tests/fixtures/docs_later` against
//! `tests/fixtures/expected_later`, and the real reports (when present)
//! against the committed `datasets/`.
//!
//! With `INFRAQL_BLESS=1` the comparisons write the expected files instead.

use std::fs;
use std::path::{Path, PathBuf};

use infraql::datasets::tables;
use infraql::import::{self, ImportError, Imported};
use proptest::prelude::*;

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn fixture_docs() -> PathBuf {
    manifest_dir().join("tests/fixtures/docs")
}

fn later_docs() -> PathBuf {
    manifest_dir().join("tests/fixtures/docs_later")
}

fn blessing() -> bool {
    std::env::var("INFRAQL_BLESS").is_ok_and(|value| value == "1")
}

/// Imports `docs` into a temporary directory and compares every CSV with
/// `expected_dir`, byte for byte (or writes them there when blessing).
fn assert_import_matches(docs: &Path, expected_dir: &Path) {
    let out = tempfile::tempdir().unwrap();
    import::import_dir(docs, out.path()).unwrap();
    for table in tables::ALL {
        let file = format!("{}.csv", table.name);
        let produced = fs::read_to_string(out.path().join(&file)).unwrap();
        if blessing() {
            fs::create_dir_all(expected_dir).unwrap();
            fs::write(expected_dir.join(&file), produced).unwrap();
        } else {
            let expected = fs::read_to_string(expected_dir.join(&file))
                .unwrap_or_else(|error| panic!("{}: {error}", expected_dir.join(&file).display()));
            assert_eq!(
                produced,
                expected,
                "{file} differs from {}",
                expected_dir.display()
            );
        }
    }
}

fn fixture_import() -> Imported {
    import::import_tree(&fixture_docs()).unwrap()
}

#[test]
fn fixture_tree_matches_expected_csv() {
    assert_import_matches(
        &fixture_docs(),
        &manifest_dir().join("tests/fixtures/expected"),
    );
}

#[test]
fn fixture_warnings_name_file_and_line() {
    let warnings: Vec<String> = fixture_import()
        .warnings
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        warnings,
        [
            "warning: servers.md: states no date; its snapshot is README.md's \"Last Updated\" date, 2025-03-03, a guess",
            "warning: services.md:9: ignoring unknown column(s) \"Owner\"",
            "warning: services.md:11: jobs_30d: `4.0M (2d)` is a figure over 2 days, not 30; kept in the figures table",
            "warning: services.md:14: requests_30d: expected a number, found \"Active\"; left empty",
            "warning: services.md:15: no page services/quarry.md; its page columns are left empty",
            "warning: services/beacon.md:1: no \"Performance Summary\" section; the page's summary figures are left empty",
            "warning: services/harbor.md:11: Background Jobs: expected a number, found \"Active\"; left empty",
            "warning: services/harbor.md:30: no request count for HarborController#about; left empty",
        ]
    );
}

#[test]
fn every_cell_has_its_column_type() {
    for table in fixture_import().tables {
        for row in &table.rows {
            assert_eq!(row.len(), table.def.columns.len(), "{}", table.def.name);
            for (value, column) in row.iter().zip(table.def.columns) {
                if let Some(value) = value {
                    assert_eq!(value.ty(), column.ty, "{}.{}", table.def.name, column.name);
                }
            }
        }
    }
}

#[test]
fn missing_overview_is_an_error_naming_the_file() {
    let docs = tempfile::tempdir().unwrap();
    let error = import::import_tree(docs.path()).unwrap_err();
    assert!(matches!(error, ImportError::MissingFile { .. }));
    assert_eq!(
        error.to_string(),
        format!(
            "{}: required file is missing",
            docs.path().join("services.md").display()
        )
    );
}

#[test]
fn overview_alone_imports_with_warnings() {
    let docs = tempfile::tempdir().unwrap();
    fs::write(
        docs.path().join("services.md"),
        b"# Nothing useful\n\xff\xfe\n",
    )
    .unwrap();
    let imported = import::import_tree(docs.path()).unwrap();
    assert!(imported.tables.iter().all(|table| table.rows.is_empty()));
    let warnings: Vec<String> = imported.warnings.iter().map(ToString::to_string).collect();
    assert_eq!(
        warnings,
        [
            "warning: README.md: not found; the services' categories are left empty",
            "warning: servers.md: not found; the servers and deployments tables are empty",
            "warning: services.md:1: no \"Generated\" date; the services snapshot is left empty",
            "warning: services.md:1: no \"Service Status Overview\" section; the services table is empty",
            "warning: services/: not found; there are no service pages",
        ]
    );
}

/// A copy of the fixture tree that tests may change.
fn fixture_copy() -> tempfile::TempDir {
    copy_of(&fixture_docs())
}

/// A copy of the documentation tree at `docs`.
fn copy_of(docs: &Path) -> tempfile::TempDir {
    let copy = tempfile::tempdir().unwrap();
    fs::create_dir(copy.path().join("services")).unwrap();
    for relative in ["services.md", "servers.md", "README.md"] {
        fs::copy(docs.join(relative), copy.path().join(relative)).unwrap();
    }
    for entry in fs::read_dir(docs.join("services")).unwrap() {
        let entry = entry.unwrap();
        fs::copy(
            entry.path(),
            copy.path().join("services").join(entry.file_name()),
        )
        .unwrap();
    }
    copy
}

/// The values of column `column` of table `table`, as CSV text.
fn column_values(imported: &Imported, table: &str, column: &str) -> Vec<String> {
    let table = imported.table(table).unwrap();
    let index = table
        .def
        .column_names()
        .position(|name| name == column)
        .unwrap();
    let text =
        |cell: &Option<import::Value>| cell.as_ref().map(ToString::to_string).unwrap_or_default();
    table.rows.iter().map(|row| text(&row[index])).collect()
}

#[test]
fn without_readme_categories_and_server_dates_are_empty() {
    let docs = fixture_copy();
    fs::remove_file(docs.path().join("README.md")).unwrap();
    let imported = import::import_tree(docs.path()).unwrap();
    assert!(
        column_values(&imported, "services", "category")
            .iter()
            .all(String::is_empty)
    );
    assert!(
        column_values(&imported, "servers", "snapshot")
            .iter()
            .all(String::is_empty)
    );
    let warnings: Vec<String> = imported.warnings.iter().map(ToString::to_string).collect();
    assert_eq!(
        warnings[..2],
        [
            "warning: README.md: not found; the services' categories are left empty",
            "warning: servers.md: states no date, and README.md has no \"Last Updated\" date; the snapshot is left empty",
        ]
    );
}

#[test]
fn fixture_values_reach_the_tables() {
    let imported = fixture_import();
    assert_eq!(
        column_values(&imported, "services", "requests_30d"),
        ["1260000", "167100000", "24000", "", "0", "58326431"]
    );
    assert_eq!(
        column_values(&imported, "services", "category"),
        [
            "Storage Services",
            "Storage Services",
            "Edge Tools",
            "",
            "",
            ""
        ]
    );
    assert_eq!(
        column_values(&imported, "servers", "snapshot")[0],
        "2025-03-03"
    );
}

#[test]
fn later_fixture_tree_matches_expected_csv() {
    assert_import_matches(
        &later_docs(),
        &manifest_dir().join("tests/fixtures/expected_later"),
    );
}

#[test]
fn later_fixture_warnings_name_file_and_line() {
    let imported = import::import_tree(&later_docs()).unwrap();
    let warnings: Vec<String> = imported.warnings.iter().map(ToString::to_string).collect();
    assert_eq!(
        warnings,
        [
            "warning: services.md:11: requests_30d: `4.0M (2d)` is a figure over 2 days, not 30; kept in the figures table",
            "warning: services.md:11: jobs_30d: `1.2M (7d)` is a figure over 7 days, not 30; kept in the figures table",
            "warning: services.md:12: requests_30d: `350K/day` is a daily rate, not a 30-day figure; kept in the figures table",
            "warning: services.md:13: no page services/quill.md; its page columns are left empty",
            "warning: services/ferry.md:9: page_requests_30d: `4.0M web requests (2 days)` is a figure over 2 days, not 30; kept in the figures table",
            "warning: services/ferry.md:10: page_jobs_30d: `1.2M jobs (7 days)` is a figure over 7 days, not 30; kept in the figures table",
            "warning: services/granary.md:9: page_requests_30d: `350K web requests/day` is a daily rate, not a 30-day figure; kept in the figures table",
            "warning: services/granary.md:26: 1 incident(s), none under a heading with a readable severity marker; their severity is left empty",
        ]
    );
}

#[test]
fn later_fixture_reads_words_dates_and_periods() {
    let imported = import::import_tree(&later_docs()).unwrap();
    let column = |table: &str, name: &str| column_values(&imported, table, name);
    assert_eq!(
        column("services", "status"),
        ["critical", "warning", "ok", ""]
    );
    assert_eq!(
        column("services", "status_note")[3],
        "Moderate traffic, stable",
        "a title-case word followed by more words is no marker"
    );
    assert_eq!(
        column("services", "requests_30d"),
        ["", "", "1260000", "2100000"]
    );
    assert_eq!(column("services", "jobs_30d"), ["", "1260000", "", "40000"]);
    assert!(
        column("services", "snapshot")
            .iter()
            .all(|d| d == "2025-09-11")
    );
    assert_eq!(
        column("incidents", "severity"),
        [
            "critical", "critical", "high", "warning", "low", "critical", "", ""
        ]
    );
    assert_eq!(
        column("incidents", "snapshot"),
        [vec!["2025-09-11"; 7], vec!["2025-09-10"]].concat(),
        "ferry's period ends on its date; granary's title date beats its period"
    );
    assert_eq!(column("figures", "period")[..4], ["2d", "7d", "1d", "30d"]);
    assert_eq!(column("figures", "per_day")[2], "true");
    assert_eq!(column("figures", "at_least")[3], "true");
}

#[test]
fn a_missing_services_folder_is_one_warning() {
    let docs = copy_of(&later_docs());
    fs::remove_dir_all(docs.path().join("services")).unwrap();
    let imported = import::import_tree(docs.path()).unwrap();
    let warnings: Vec<String> = imported.warnings.iter().map(ToString::to_string).collect();
    assert_eq!(
        warnings,
        [
            "warning: services.md:11: requests_30d: `4.0M (2d)` is a figure over 2 days, not 30; kept in the figures table",
            "warning: services.md:11: jobs_30d: `1.2M (7d)` is a figure over 7 days, not 30; kept in the figures table",
            "warning: services.md:12: requests_30d: `350K/day` is a daily rate, not a 30-day figure; kept in the figures table",
            "warning: services/: not found; there are no service pages",
        ]
    );
    assert_eq!(imported.table("services").unwrap().rows.len(), 4);
}

/// Pieces the documents are made of, so that random documents look enough
/// like real ones to reach deep into the importer, invalid bytes included.
fn document_bytes() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        Just(b"\n".to_vec()),
        Just(b"## Performance Summary\n".to_vec()),
        Just(b"## Endpoint Analysis\n".to_vec()),
        Just(b"## Background Jobs\n".to_vec()),
        Just(b"## Service Status Overview\n".to_vec()),
        Just(b"# Servers\n".to_vec()),
        Just(b"### =4 **".to_vec()),
        Just(b"#### ".to_vec()),
        Just(b"- **Incident #7**: ".to_vec()),
        Just(b"  - ".to_vec()),
        Just(b"1. **AController#b** - ".to_vec()),
        Just(b"- **Total Requests**: ".to_vec()),
        Just(b"**Server**: ".to_vec()),
        Just(b"**Performance Period**: ".to_vec()),
        Just(b"| ".to_vec()),
        Just(b"|---|".to_vec()),
        Just(b"[x](y)".to_vec()),
        Just(b"1,234.5M+ ".to_vec()),
        Just(b"(3 occurrences, 1 recent) ".to_vec()),
        Just(b"12.5% ".to_vec()),
        Just(b"July 4 - August 1, 2025 ".to_vec()),
        Just("🔴 ⚠️ ".as_bytes().to_vec()),
        Just(b"=\xe1 \xca\r\x05".to_vec()),
        prop::collection::vec(any::<u8>(), 0..8),
    ];
    prop::collection::vec(piece, 0..60).prop_map(|pieces| pieces.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn arbitrary_documents_never_panic(
        overview in document_bytes(),
        page in document_bytes(),
        servers in document_bytes(),
        readme in document_bytes(),
    ) {
        let docs = tempfile::tempdir().unwrap();
        fs::create_dir(docs.path().join("services")).unwrap();
        fs::write(docs.path().join("services.md"), overview).unwrap();
        fs::write(docs.path().join("services/page.md"), page).unwrap();
        fs::write(docs.path().join("servers.md"), servers).unwrap();
        fs::write(docs.path().join("README.md"), readme).unwrap();
        let imported = import::import_tree(docs.path()).unwrap();
        prop_assert_eq!(imported.tables.len(), tables::ALL.len());
    }
}

#[test]
fn real_reports_match_committed_datasets() {
    let reports = manifest_dir().join("../shared/ecosystems-infrastructure");
    if !reports.is_dir() {
        println!("skipped: ../shared/ecosystems-infrastructure not present");
        return;
    }
    assert_import_matches(&reports, &manifest_dir().join("datasets"));
}
