//! The `services` table: each overview row beside the figures of the
//! service's own page and its README category. The sources disagree at
//! times; each keeps its own columns and nothing is reconciled.

use chrono::NaiveDate;

use super::overview::OverviewRow;
use super::page::PageFacts;
use super::records::{Cell, Record, cell};
use crate::datasets::tables::{SERVICES, TableDef};

/// One row of the `services` table.
#[derive(Debug, Clone)]
pub struct Service {
    pub overview: OverviewRow,
    pub category: Option<String>,
    /// Empty when the service has no page.
    pub page: PageFacts,
    /// The date of services.md.
    pub snapshot: Option<NaiveDate>,
}

impl Record for Service {
    const TABLE: TableDef = SERVICES;

    fn cells(self) -> Vec<(&'static str, Cell)> {
        let Service {
            overview,
            category,
            page,
            snapshot,
        } = self;
        vec![
            ("service", cell(Some(overview.service))),
            ("url", cell(overview.url)),
            ("repo", cell(overview.repo)),
            ("server_ip", cell(overview.server_ip)),
            ("server_size", cell(overview.server_size)),
            ("shared_server", cell(overview.shared_server)),
            ("category", cell(category)),
            ("requests_30d", cell(overview.requests_30d)),
            ("jobs_30d", cell(overview.jobs_30d)),
            ("open_incidents", cell(overview.open_incidents)),
            ("error_count", cell(overview.error_count)),
            ("avg_duration_s", cell(overview.avg_duration_s)),
            ("status", cell(overview.status)),
            ("status_note", cell(overview.status_note)),
            ("uptime_pct", cell(overview.uptime_pct)),
            ("error_rate_pct", cell(overview.error_rate_pct)),
            ("page_requests_30d", cell(page.requests_30d)),
            ("page_jobs_30d", cell(page.jobs_30d)),
            ("jobs_total", cell(page.jobs_total)),
            ("page_uptime_pct", cell(page.uptime_pct)),
            ("uptime_errors", cell(page.uptime_errors)),
            ("page_error_rate_pct", cell(page.error_rate_pct)),
            ("page_open_incidents", cell(page.open_incidents)),
            ("page_server_ip", cell(page.server_ip)),
            ("page_server_size", cell(page.server_size)),
            ("page_server_note", cell(page.server_note)),
            ("period_start", cell(page.period_start)),
            ("period_end", cell(page.period_end)),
            ("snapshot", cell(snapshot)),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::records::tests::assert_follows_definition;
    use crate::import::values::Decimal;

    #[test]
    fn cells_follow_the_table_definition() {
        let date = NaiveDate::from_ymd_opt(2025, 6, 1);
        let percent = Decimal::parse("99.5");
        let text = |value: &str| Some(value.to_string());
        assert_follows_definition(Service {
            overview: OverviewRow {
                line: 3,
                service: "alpha".into(),
                url: text("https://alpha.example.org"),
                repo: text("https://example.org/alpha"),
                server_ip: text("10.0.0.1"),
                server_size: text("Large"),
                shared_server: Some(true),
                requests_30d: Some(1),
                jobs_30d: Some(2),
                open_incidents: Some(3),
                error_count: Some(4),
                avg_duration_s: Decimal::parse("5"),
                status: Some("ok"),
                status_note: text("Fine"),
                uptime_pct: percent,
                error_rate_pct: percent,
            },
            category: text("Data"),
            page: PageFacts {
                requests_30d: Some(1),
                jobs_30d: Some(2),
                jobs_total: Some(3),
                uptime_pct: percent,
                uptime_errors: Some(4),
                error_rate_pct: percent,
                open_incidents: Some(5),
                server_ip: text("10.0.0.1"),
                server_size: text("Large"),
                server_note: text("dedicated"),
                period_start: date,
                period_end: date,
                snapshot: date,
                figures: vec![],
            },
            snapshot: date,
        });
    }
}
