//! The bundled tables: their names, columns, types and what each column means.
//!
//! This is the single description of the datasets that the importer writes
//! and the loader reads back: the importer emits exactly these columns in this
//! order, and the loader parses the committed CSV files with these types. The
//! column notes are what `.schema` and the README show.

use crate::plan::types::Type;

/// One column of a bundled table.
#[derive(Debug, Clone, Copy)]
pub struct ColumnDef {
    pub name: &'static str,
    pub ty: Type,
    pub note: &'static str,
}

/// One bundled table.
#[derive(Debug, Clone, Copy)]
pub struct TableDef {
    pub name: &'static str,
    pub note: &'static str,
    pub columns: &'static [ColumnDef],
}

impl TableDef {
    /// The column names in order.
    pub fn column_names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.columns.iter().map(|c| c.name)
    }
}

const fn col(name: &'static str, ty: Type, note: &'static str) -> ColumnDef {
    ColumnDef { name, ty, note }
}

use Type::{Bool, Date, Float, Int, String as Str};

/// `services`: one row per service of the overview table in services.md,
/// joined with the figures its own page (services/NAME.md) gives.
pub const SERVICES: TableDef = TableDef {
    name: "services",
    note: "one row per service of the services.md overview, with the figures of its own page beside",
    columns: &[
        col("service", Str, "service name, as in the overview table"),
        col("url", Str, "the service's address (overview)"),
        col("repo", Str, "source repository address (overview)"),
        col("server_ip", Str, "IP of the server it runs on (overview)"),
        col(
            "server_size",
            Str,
            "server size as the overview gives it: Very Large, Large, Medium, Small",
        ),
        col(
            "shared_server",
            Bool,
            "the overview marks the server as shared",
        ),
        col(
            "category",
            Str,
            "platform area from the top-level README (null when not listed there)",
        ),
        col(
            "requests_30d",
            Int,
            "web requests over the 30-day window (overview; null when the figure covers another period, see figures)",
        ),
        col(
            "jobs_30d",
            Int,
            "background jobs over the 30-day window (overview; null when the figure covers another period, see figures)",
        ),
        col("open_incidents", Int, "open incidents (overview)"),
        col("error_count", Int, "error count (overview)"),
        col(
            "avg_duration_s",
            Float,
            "average duration in seconds (overview)",
        ),
        col(
            "status",
            Str,
            "overview status marker, emoji or word: critical (🔴 CRITICAL SEVERE EMERGENCY URGENT), warning (⚠️ WARNING HIGH MEDIUM MODERATE), minor (🟡 LOW MINOR) or ok (✅ OK)",
        ),
        col(
            "status_note",
            Str,
            "the overview's status text, without its marker",
        ),
        col(
            "uptime_pct",
            Float,
            "uptime percentage quoted in the overview status",
        ),
        col(
            "error_rate_pct",
            Float,
            "error rate percentage quoted in the overview status",
        ),
        col(
            "page_requests_30d",
            Int,
            "web requests over 30 days (service page; null when the figure covers another period, see figures)",
        ),
        col(
            "page_jobs_30d",
            Int,
            "background jobs over 30 days (service page summary; null when the figure covers another period, see figures)",
        ),
        col(
            "jobs_total",
            Int,
            "exact background job total from the page's jobs analysis",
        ),
        col("page_uptime_pct", Float, "uptime percentage (service page)"),
        col("uptime_errors", Int, "uptime monitor errors (service page)"),
        col(
            "page_error_rate_pct",
            Float,
            "error rate percentage (service page)",
        ),
        col("page_open_incidents", Int, "open incidents (service page)"),
        col("page_server_ip", Str, "server IP (service page header)"),
        col("page_server_size", Str, "server size (service page header)"),
        col(
            "page_server_note",
            Str,
            "how the page describes the server: dedicated, shared, shared with …",
        ),
        col(
            "period_start",
            Date,
            "first day of the measured period (service page)",
        ),
        col(
            "period_end",
            Date,
            "last day of the measured period (service page)",
        ),
        col(
            "snapshot",
            Date,
            "date of the overview document the row came from",
        ),
    ],
};

/// `endpoints`: every `Controller#action` line of the pages' endpoint analysis.
pub const ENDPOINTS: TableDef = TableDef {
    name: "endpoints",
    note: "every Controller#action line of the service pages, with the section it was listed under",
    columns: &[
        col("service", Str, "service the page describes"),
        col(
            "endpoint",
            Str,
            "Controller#action, e.g. Api::V1::PackagesController#show",
        ),
        col("controller", Str, "the part before #"),
        col("action", Str, "the part after #"),
        col("api", Bool, "the controller is under Api::"),
        col("requests", Int, "requests over the 30-day window"),
        col(
            "share_pct",
            Float,
            "share of the service's requests, in percent (null when only a bound like <0.1% is given)",
        ),
        col("tier", Str, "section kind: top, high, medium, low or other"),
        col(
            "section",
            Str,
            "heading of the section the line was listed under",
        ),
        col(
            "rank",
            Int,
            "position in a numbered list (null in bullet lists)",
        ),
        col("snapshot", Date, "date of the page's data"),
    ],
};

/// `jobs`: worker and job lines that carry a count, share or failure count.
pub const JOBS: TableDef = TableDef {
    name: "jobs",
    note: "background worker/job lines of the service pages that carry a count, share or failures",
    columns: &[
        col("service", Str, "service the page describes"),
        col(
            "job",
            Str,
            "worker class with method when given, e.g. SyncProjectWorker#perform",
        ),
        col("worker", Str, "the worker class"),
        col("method", Str, "the method after # (null when not given)"),
        col("jobs", Int, "jobs run over the 30-day window"),
        col(
            "share_pct",
            Float,
            "share of the service's jobs, in percent",
        ),
        col(
            "failures",
            Int,
            "failure occurrences reported for the worker",
        ),
        col("snapshot", Date, "date of the page's data"),
    ],
};

/// `servers`: the Servers table of servers.md.
pub const SERVERS: TableDef = TableDef {
    name: "servers",
    note: "the server inventory of servers.md",
    columns: &[
        col("ip", Str, "server IP"),
        col("size", Str, "size as servers.md gives it"),
        col("distro", Str, "operating system"),
        col("services", Int, "number of services on it"),
        col(
            "service_names",
            Str,
            "the services named beside the count (null when none are named)",
        ),
        col(
            "snapshot",
            Date,
            "date of the reports (servers.md has none of its own: the tree's README date)",
        ),
    ],
};

/// `deployments`: the service → server table of servers.md.
pub const DEPLOYMENTS: TableDef = TableDef {
    name: "deployments",
    note: "which service runs on which server (servers.md), including services without a page",
    columns: &[
        col("service", Str, "service or component name"),
        col("ip", Str, "server IP"),
        col(
            "requirements",
            Str,
            "resource requirements: very high, high, medium, low",
        ),
        col(
            "snapshot",
            Date,
            "date of the reports (servers.md has none of its own: the tree's README date)",
        ),
    ],
};

/// `incidents`: numbered incidents of the service pages.
pub const INCIDENTS: TableDef = TableDef {
    name: "incidents",
    note: "numbered incidents of the service pages",
    columns: &[
        col("service", Str, "service the page describes"),
        col("incident", Int, "incident number"),
        col("error", Str, "error class or description"),
        col(
            "location",
            Str,
            "endpoint, worker or place it occurs (null when not given)",
        ),
        col("occurrences", Int, "total occurrences"),
        col(
            "recent_occurrences",
            Int,
            "recent occurrences, where the page gives them",
        ),
        col(
            "severity",
            Str,
            "marker of the incident or of the section it is listed under, emoji or word: critical (🔴 CRITICAL SEVERE EMERGENCY URGENT), high (HIGH), warning (⚠️ 🟡 🟠 WARNING MEDIUM MODERATE) or low (LOW MINOR); null when unmarked, OK or unreadable",
        ),
        col(
            "section",
            Str,
            "heading of the group it is listed under, without its marker",
        ),
        col("snapshot", Date, "date of the page's data"),
    ],
};

/// `figures`: every request and job figure behind a `_30d` column, as written.
pub const FIGURES: TableDef = TableDef {
    name: "figures",
    note: "every request and job figure of the overview and the page summaries, as written, with the period it covers",
    columns: &[
        col("service", Str, "service the figure is about"),
        col(
            "source",
            Str,
            "overview (services.md) or page (services/NAME.md summary)",
        ),
        col("measure", Str, "requests or jobs"),
        col(
            "value",
            Int,
            "the number as written: 4.0M (2d) → 4000000, 350K/day → 350000",
        ),
        col(
            "period",
            Str,
            "the period it covers, in days: 30d, 7d, 2d, 1d (30d when none is written; hours such as 12h when not whole days)",
        ),
        col("days", Int, "the period in days (null when not whole days)"),
        col("per_day", Bool, "written as a daily rate, such as 350K/day"),
        col("at_least", Bool, "written as a lower bound, such as 1.26M+"),
        col("line", Int, "the line of its document"),
        col(
            "snapshot",
            Date,
            "date of its document: services.md's for overview figures (as in services), the page's for page figures (as in endpoints)",
        ),
    ],
};

/// Every bundled table, in the order `.tables` lists them.
pub const ALL: &[TableDef] = &[
    SERVICES,
    ENDPOINTS,
    JOBS,
    SERVERS,
    DEPLOYMENTS,
    INCIDENTS,
    FIGURES,
];

/// The definition of a bundled table by name.
pub fn find(name: &str) -> Option<&'static TableDef> {
    ALL.iter().find(|t| t.name == name)
}
