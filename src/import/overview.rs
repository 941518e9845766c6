//! services.md: the "Service Status Overview" table and the document's date.

use std::sync::LazyLock;

use chrono::NaiveDate;
use regex::Regex;

use super::diagnostics::Warning;
use super::figures::{self, Measure, Written};
use super::markdown::Document;
use super::markup::{self, Level, Marker};
use super::pipe_table::{self, Column, ColumnMap, PipeRow};
use super::values::{self, Decimal};

/// One row of the overview table.
#[derive(Debug, Clone, Default)]
pub struct OverviewRow {
    pub line: usize,
    pub service: String,
    pub url: Option<String>,
    pub repo: Option<String>,
    pub server_ip: Option<String>,
    pub server_size: Option<String>,
    pub shared_server: Option<bool>,
    pub requests_30d: Option<i64>,
    pub jobs_30d: Option<i64>,
    pub open_incidents: Option<i64>,
    pub error_count: Option<i64>,
    pub avg_duration_s: Option<Decimal>,
    pub status: Option<&'static str>,
    pub status_note: Option<String>,
    pub uptime_pct: Option<Decimal>,
    pub error_rate_pct: Option<Decimal>,
}

/// What services.md says.
#[derive(Debug, Default)]
pub struct Overview {
    /// The date the document was generated.
    pub snapshot: Option<NaiveDate>,
    pub rows: Vec<OverviewRow>,
    /// The request and job figures of the rows, by service, in row order.
    pub figures: Vec<(String, Written)>,
}

const COLUMNS: &[Column] = &[
    Column {
        key: "service",
        aliases: &["Service", "Name", "Application", "App"],
    },
    Column {
        key: "repo",
        aliases: &["GitHub", "Repo", "Repository", "Source"],
    },
    Column {
        key: "server_ip",
        aliases: &["IP Address", "IP", "Server", "Server IP"],
    },
    Column {
        key: "server_size",
        aliases: &["Server Size", "Size"],
    },
    Column {
        key: "requests_30d",
        aliases: &[
            "Requests (30d)",
            "Requests",
            "Web Requests",
            "Web Requests (30d)",
        ],
    },
    Column {
        key: "jobs_30d",
        aliases: &[
            "Background Jobs (30d)",
            "Background Jobs",
            "Jobs (30d)",
            "Jobs",
        ],
    },
    Column {
        key: "open_incidents",
        aliases: &["Open Incidents", "Incidents"],
    },
    Column {
        key: "error_count",
        aliases: &["Error Count", "Errors"],
    },
    Column {
        key: "avg_duration_s",
        aliases: &["Avg Duration", "Average Duration", "Avg Duration (s)"],
    },
    Column {
        key: "status",
        aliases: &["Performance Status", "Status"],
    },
];

/// Reads services.md.
pub fn read(doc: &Document, warnings: &mut Vec<Warning>) -> Overview {
    let snapshot = doc.stated_date();
    if snapshot.is_none() {
        let message = "no \"Generated\" date; the services snapshot is left empty";
        warnings.push(doc.warning(1, message));
    }
    let mut figures = Vec::new();
    Overview {
        snapshot,
        rows: read_rows(doc, &mut figures, warnings),
        figures,
    }
}

/// The rows of the overview table; none, with a warning, when the table or
/// its Service column is missing.
fn read_rows(
    doc: &Document,
    figures: &mut Vec<(String, Written)>,
    warnings: &mut Vec<Warning>,
) -> Vec<OverviewRow> {
    let Some(section) = doc.section(|heading| heading.mentions("Service Status Overview")) else {
        let message = "no \"Service Status Overview\" section; the services table is empty";
        warnings.push(doc.warning(1, message));
        return vec![];
    };
    let Some(table) = pipe_table::first_table(&section) else {
        let message = "no table under this heading; the services table is empty";
        warnings.push(doc.warning(section.heading.line, message));
        return vec![];
    };
    let columns = ColumnMap::new(&table, COLUMNS, doc, warnings);
    if !columns.has("service") {
        return vec![];
    }
    table
        .rows
        .iter()
        .filter_map(|row| read_row(row, &columns, doc, figures, warnings))
        .collect()
}

/// The figures a status note may quote: `…, 71.25% uptime, 3.5% error rate`.
static UPTIME: LazyLock<Regex> = LazyLock::new(|| values::percent_before("uptime"));
static ERROR_RATE: LazyLock<Regex> = LazyLock::new(|| values::percent_before("error rate"));

fn read_row(
    row: &PipeRow,
    columns: &ColumnMap,
    doc: &Document,
    figures: &mut Vec<(String, Written)>,
    warnings: &mut Vec<Warning>,
) -> Option<OverviewRow> {
    let service_cell = columns.cell(row, "service");
    let link = markup::first_link(service_cell);
    let Some(service) = link
        .as_ref()
        .map(|link| link.text.clone())
        .or_else(|| markup::plain_value(service_cell))
    else {
        warnings.push(doc.warning(row.line, "row without a service name; skipped"));
        return None;
    };
    let count = |key: &str, warnings: &mut Vec<Warning>| -> Option<i64> {
        let text = markup::plain(columns.cell(row, key));
        values::leading_count(&text).or_warn(warnings, || unreadable(doc, row, key, &text))
    };
    // Requests and jobs are 30-day figures only when written as such.
    let mut kept = Vec::new();
    let mut figure = |key: &str, measure: Measure, warnings: &mut Vec<Warning>| -> Option<i64> {
        let text = markup::plain(columns.cell(row, key));
        figures::thirty_day(&text, key, measure, (doc, row.line), &mut kept, warnings)
            .or_warn(warnings, || unreadable(doc, row, key, &text))
    };
    let requests_30d = figure("requests_30d", Measure::Requests, warnings);
    let jobs_30d = figure("jobs_30d", Measure::Jobs, warnings);
    figures.extend(kept.into_iter().map(|written| (service.clone(), written)));
    let (server_size, shared_server) = size_and_sharing(columns.cell(row, "server_size"));
    let (status, status_note) = status_and_note(columns.cell(row, "status"));
    let duration = markup::plain(columns.cell(row, "avg_duration_s"));
    Some(OverviewRow {
        line: row.line,
        url: link.map(|link| link.target),
        repo: repo_address(columns.cell(row, "repo")),
        server_ip: markup::plain_value(columns.cell(row, "server_ip")),
        server_size,
        shared_server,
        requests_30d,
        jobs_30d,
        open_incidents: count("open_incidents", warnings),
        error_count: count("error_count", warnings),
        avg_duration_s: values::leading_seconds(&duration).or_warn(warnings, || {
            unreadable(doc, row, "avg_duration_s", &duration)
        }),
        uptime_pct: status_note
            .as_deref()
            .and_then(|note| values::find_percent(&UPTIME, note)),
        error_rate_pct: status_note
            .as_deref()
            .and_then(|note| values::find_percent(&ERROR_RATE, note)),
        status,
        status_note,
        service,
    })
}

fn unreadable(doc: &Document, row: &PipeRow, column: &str, text: &str) -> Warning {
    doc.warning(
        row.line,
        format!("{column}: expected a number, found \"{text}\"; left empty"),
    )
}

/// The repository address: a link's target, or a bare address.
fn repo_address(cell: &str) -> Option<String> {
    match markup::first_link(cell) {
        Some(link) => Some(link.target),
        None => markup::plain_value(cell).filter(|text| text.starts_with("http")),
    }
}

/// `Large (shared)` → (`Large`, shared); `Very Large` → (`Very Large`, not shared).
fn size_and_sharing(cell: &str) -> (Option<String>, Option<bool>) {
    let text = markup::plain(cell);
    let (size, remark) = match text.split_once('(') {
        Some((size, remark)) => (size.trim(), remark),
        None => (text.as_str(), ""),
    };
    if size.is_empty() {
        return (None, None);
    }
    (
        Some(size.to_string()),
        Some(remark.to_lowercase().contains("shared")),
    )
}

/// The status the marker (emoji or word) gives, and the text after it:
/// critical ← 🔴 CRITICAL SEVERE EMERGENCY URGENT; warning ← ⚠️ WARNING WARN
/// HIGH MEDIUM MODERATE; minor ← 🟡 LOW MINOR; ok ← ✅ OK. The vocabulary
/// has no "high": HIGH reads as warning.
fn status_and_note(cell: &str) -> (Option<&'static str>, Option<String>) {
    let (marker, note) = markup::leading_marker_or_word(cell);
    let status = match marker {
        Some(Marker::RedCircle | Marker::Word(Level::Critical)) => Some("critical"),
        Some(Marker::Warning | Marker::Word(Level::High | Level::Warning)) => Some("warning"),
        Some(Marker::YellowCircle | Marker::Word(Level::Low)) => Some("minor"),
        Some(Marker::CheckMark | Marker::Word(Level::Ok)) => Some("ok"),
        Some(Marker::OrangeCircle | Marker::Other) | None => None,
    };
    (status, markup::plain_value(note))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_sharing() {
        assert_eq!(
            size_and_sharing("Large (shared)"),
            (Some("Large".into()), Some(true))
        );
        assert_eq!(
            size_and_sharing("Very Large"),
            (Some("Very Large".into()), Some(false))
        );
        assert_eq!(
            size_and_sharing("Small (dedicated)"),
            (Some("Small".into()), Some(false))
        );
        assert_eq!(size_and_sharing(""), (None, None));
    }

    #[test]
    fn statuses() {
        assert_eq!(
            status_and_note("🔴 Busy, 42.10% uptime"),
            (Some("critical"), Some("Busy, 42.10% uptime".into()))
        );
        assert_eq!(
            status_and_note("⚠️ No data"),
            (Some("warning"), Some("No data".into()))
        );
        assert_eq!(
            status_and_note("🟡 Slow"),
            (Some("minor"), Some("Slow".into()))
        );
        assert_eq!(
            status_and_note("✅ Fine"),
            (Some("ok"), Some("Fine".into()))
        );
        assert_eq!(status_and_note("Unmarked"), (None, Some("Unmarked".into())));
    }

    #[test]
    fn statuses_in_words() {
        let status = |cell: &str| status_and_note(cell);
        let note = |text: &str| Some(text.to_string());
        assert_eq!(
            status("CRITICAL - Busy, 42.10% uptime"),
            (Some("critical"), note("Busy, 42.10% uptime"))
        );
        assert_eq!(status("**SEVERE** Busy"), (Some("critical"), note("Busy")));
        assert_eq!(status("Emergency: down"), (Some("critical"), note("down")));
        assert_eq!(status("[URGENT] down"), (Some("critical"), note("down")));
        assert_eq!(status("HIGH - slow"), (Some("warning"), note("slow")));
        assert_eq!(
            status("WARNING: No data"),
            (Some("warning"), note("No data"))
        );
        assert_eq!(status("**Medium**: slow"), (Some("warning"), note("slow")));
        assert_eq!(status("MODERATE slow"), (Some("warning"), note("slow")));
        assert_eq!(status("LOW - slow"), (Some("minor"), note("slow")));
        assert_eq!(status("Minor: slow"), (Some("minor"), note("slow")));
        assert_eq!(status("OK"), (Some("ok"), None));
        assert_eq!(status("OK - Fine"), (Some("ok"), note("Fine")));
        assert_eq!(status("✅ OK: Fine"), (Some("ok"), note("Fine")));
    }

    #[test]
    fn words_that_are_notes_not_statuses() {
        for cell in [
            "Critical Issues everywhere",
            "High traffic, 99.39% uptime",
            "Moderate traffic, stable",
            "Low traffic, 95.79% uptime",
            "Minor slowdowns",
            "HIGH-VOLUME traffic",
        ] {
            assert_eq!(status_and_note(cell), (None, Some(cell.into())), "{cell:?}");
        }
        assert_eq!(status_and_note(""), (None, None));
    }

    #[test]
    fn repo_addresses() {
        assert_eq!(
            repo_address("[x](https://example.org/x)"),
            Some("https://example.org/x".into())
        );
        assert_eq!(
            repo_address("https://example.org/y"),
            Some("https://example.org/y".into())
        );
        assert_eq!(repo_address("y"), None);
    }

    #[test]
    fn figures_over_other_periods_stay_out_of_the_30_day_columns() {
        let text = "*Updated: September 11, 2025*\n## Service Status Overview\n\
            | Service | Requests (30d) | Background Jobs (30d) | Status |\n|--|--|--|--|\n\
            | alpha | 4.0M (2d) | 350K/day | CRITICAL - Busy |\n\
            | beta | 1.26M+ | No data | OK |\n";
        let doc = Document::from_bytes("services.md", text.as_bytes());
        let mut warnings = Vec::new();
        let overview = read(&doc, &mut warnings);
        assert_eq!(overview.snapshot, NaiveDate::from_ymd_opt(2025, 9, 11));
        let rows: Vec<_> = overview
            .rows
            .iter()
            .map(|r| (r.service.as_str(), r.requests_30d, r.jobs_30d, r.status))
            .collect();
        assert_eq!(
            rows,
            [
                ("alpha", None, None, Some("critical")),
                ("beta", Some(1_260_000), None, Some("ok"))
            ]
        );
        let figures: Vec<_> = overview
            .figures
            .iter()
            .map(|(service, w)| (service.as_str(), w.measure, w.line, w.figure.value))
            .collect();
        assert_eq!(
            figures,
            [
                ("alpha", Measure::Requests, 5, 4_000_000),
                ("alpha", Measure::Jobs, 5, 350_000),
                ("beta", Measure::Requests, 6, 1_260_000),
            ]
        );
        let warnings: Vec<_> = warnings.iter().map(ToString::to_string).collect();
        assert_eq!(
            warnings,
            [
                "warning: services.md:3: no column \"GitHub\", \"IP Address\", \"Server Size\", \"Open Incidents\", \"Error Count\", \"Avg Duration\"; its values are left empty",
                "warning: services.md:5: requests_30d: `4.0M (2d)` is a figure over 2 days, not 30; kept in the figures table",
                "warning: services.md:5: jobs_30d: `350K/day` is a daily rate, not a 30-day figure; kept in the figures table",
            ]
        );
    }

    #[test]
    fn reads_rows_by_header_name() {
        let text = "*Generated: May 2, 2025*\n## Service Status Overview\n\
            | Requests (30d) | Service | Notes | Server Size |\n|--|--|--|--|\n\
            | 1.26M+ | [alpha](https://alpha.example.org) | x | Large (shared) |\n\
            | Active | beta | y | |\n| 1 | | z | Small |\n";
        let doc = Document::from_bytes("services.md", text.as_bytes());
        let mut warnings = Vec::new();
        let overview = read(&doc, &mut warnings);
        assert_eq!(overview.snapshot, NaiveDate::from_ymd_opt(2025, 5, 2));
        let rows: Vec<_> = overview
            .rows
            .iter()
            .map(|r| (r.service.as_str(), r.url.as_deref(), r.requests_30d))
            .collect();
        assert_eq!(
            rows,
            [
                ("alpha", Some("https://alpha.example.org"), Some(1_260_000)),
                ("beta", None, None)
            ]
        );
        let warnings: Vec<_> = warnings.iter().map(ToString::to_string).collect();
        assert_eq!(
            warnings,
            [
                "warning: services.md:3: ignoring unknown column(s) \"Notes\"",
                "warning: services.md:3: no column \"GitHub\", \"IP Address\", \"Background Jobs (30d)\", \"Open Incidents\", \"Error Count\", \"Avg Duration\", \"Performance Status\"; its values are left empty",
                "warning: services.md:6: requests_30d: expected a number, found \"Active\"; left empty",
                "warning: services.md:7: row without a service name; skipped",
            ]
        );
    }
}
