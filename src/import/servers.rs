//! servers.md: the `servers` table (under `# Servers`) and the
//! `deployments` table (under `# Services`).
//!
//! Both tables take the snapshot they are given: servers.md carries no date
//! of its own (see `import::read_servers`).

use chrono::NaiveDate;

use super::diagnostics::Warning;
use super::markdown::Document;
use super::markup;
use super::pipe_table::{self, Column, ColumnMap, PipeTable};
use super::records::{Cell, Record, cell};
use super::values;
use crate::datasets::tables::{DEPLOYMENTS, SERVERS, TableDef};

/// One row of the `servers` table.
#[derive(Debug, Clone)]
pub struct Server {
    pub ip: Option<String>,
    pub size: Option<String>,
    pub distro: Option<String>,
    pub services: Option<i64>,
    pub service_names: Option<String>,
    pub snapshot: Option<NaiveDate>,
}

/// One row of the `deployments` table.
#[derive(Debug, Clone)]
pub struct Deployment {
    pub service: Option<String>,
    pub ip: Option<String>,
    pub requirements: Option<String>,
    pub snapshot: Option<NaiveDate>,
}

const SERVER_COLUMNS: &[Column] = &[
    Column {
        key: "ip",
        aliases: &["Server", "IP", "IP Address", "Server IP"],
    },
    Column {
        key: "services",
        aliases: &["Number of Services", "Services", "Service Count"],
    },
    Column {
        key: "size",
        aliases: &["Size", "Server Size"],
    },
    Column {
        key: "distro",
        aliases: &["Distro", "OS", "Operating System"],
    },
];

const DEPLOYMENT_COLUMNS: &[Column] = &[
    Column {
        key: "service",
        aliases: &["Service", "Name", "Component"],
    },
    Column {
        key: "ip",
        aliases: &["IP", "IP Address", "Server", "Server IP"],
    },
    Column {
        key: "requirements",
        aliases: &["Requirements", "Resource Requirements", "Resources"],
    },
];

/// The table under the heading `title`, with a warning when there is none.
fn table_under(doc: &Document, title: &str, warnings: &mut Vec<Warning>) -> Option<PipeTable> {
    let table = doc
        .section(|heading| heading.title().eq_ignore_ascii_case(title))
        .and_then(|section| pipe_table::first_table(&section));
    if table.is_none() {
        warnings.push(doc.warning(
            1,
            format!("no table under \"# {title}\"; that table is left empty"),
        ));
    }
    table
}

/// The `servers` rows of servers.md.
pub fn read_servers(
    doc: &Document,
    snapshot: Option<NaiveDate>,
    warnings: &mut Vec<Warning>,
) -> Vec<Server> {
    let Some(table) = table_under(doc, "Servers", warnings) else {
        return vec![];
    };
    let columns = ColumnMap::new(&table, SERVER_COLUMNS, doc, warnings);
    table
        .rows
        .iter()
        .map(|row| {
            let hosted = markup::plain(columns.cell(row, "services"));
            let services = values::leading_count(&hosted).or_warn(warnings, || {
                doc.warning(
                    row.line,
                    format!("services: expected a number, found \"{hosted}\"; left empty"),
                )
            });
            Server {
                ip: markup::plain_value(columns.cell(row, "ip")),
                size: markup::plain_value(columns.cell(row, "size")),
                distro: markup::plain_value(columns.cell(row, "distro")),
                services,
                service_names: names_in_parentheses(&hosted),
                snapshot,
            }
        })
        .collect()
}

/// `2 (web, papers)` → `web, papers`.
fn names_in_parentheses(text: &str) -> Option<String> {
    let (_, inside) = text.split_once('(')?;
    let names = inside
        .rsplit_once(')')
        .map_or(inside, |(names, _)| names)
        .trim();
    Some(names.to_string()).filter(|names| !names.is_empty())
}

/// The `deployments` rows of servers.md.
pub fn read_deployments(
    doc: &Document,
    snapshot: Option<NaiveDate>,
    warnings: &mut Vec<Warning>,
) -> Vec<Deployment> {
    let Some(table) = table_under(doc, "Services", warnings) else {
        return vec![];
    };
    let columns = ColumnMap::new(&table, DEPLOYMENT_COLUMNS, doc, warnings);
    table
        .rows
        .iter()
        .map(|row| Deployment {
            service: markup::plain_value(columns.cell(row, "service")),
            ip: markup::plain_value(columns.cell(row, "ip")),
            requirements: markup::plain_value(columns.cell(row, "requirements")),
            snapshot,
        })
        .collect()
}

impl Record for Server {
    const TABLE: TableDef = SERVERS;

    fn cells(self) -> Vec<(&'static str, Cell)> {
        vec![
            ("ip", cell(self.ip)),
            ("size", cell(self.size)),
            ("distro", cell(self.distro)),
            ("services", cell(self.services)),
            ("service_names", cell(self.service_names)),
            ("snapshot", cell(self.snapshot)),
        ]
    }
}

impl Record for Deployment {
    const TABLE: TableDef = DEPLOYMENTS;

    fn cells(self) -> Vec<(&'static str, Cell)> {
        vec![
            ("service", cell(self.service)),
            ("ip", cell(self.ip)),
            ("requirements", cell(self.requirements)),
            ("snapshot", cell(self.snapshot)),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::records::tests::assert_follows_definition;

    const SERVERS_MD: &str = "# Services\n\n| Requirements | Service | Server | Owner |\n|--|--|--|--|\n\
        | high | web | 10.0.0.1 | ops |\n| low | cron | 10.0.0.2 | ops |\n\n# Servers\n\n\
        | Server | Number of Services | Size | Distro |\n|--|--|--|--|\n\
        | 10.0.0.1 | 2 (web, cron) | Large | Linux 1 |\n| 10.0.0.2 | 7 | Small | Linux 2 |\n| 10.0.0.3 | Active | Small | |\n";

    fn read_both() -> (Vec<Server>, Vec<Deployment>, Vec<String>) {
        let doc = Document::from_bytes("servers.md", SERVERS_MD.as_bytes());
        let snapshot = NaiveDate::from_ymd_opt(2025, 6, 1);
        let mut warnings = Vec::new();
        let servers = read_servers(&doc, snapshot, &mut warnings);
        let deployments = read_deployments(&doc, snapshot, &mut warnings);
        (
            servers,
            deployments,
            warnings.iter().map(ToString::to_string).collect(),
        )
    }

    #[test]
    fn servers_count_and_name_their_services() {
        let (servers, _, _) = read_both();
        let rows: Vec<_> = servers
            .iter()
            .map(|s| {
                (
                    s.ip.as_deref(),
                    s.services,
                    s.service_names.as_deref(),
                    s.distro.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            rows,
            [
                (
                    Some("10.0.0.1"),
                    Some(2),
                    Some("web, cron"),
                    Some("Linux 1")
                ),
                (Some("10.0.0.2"), Some(7), None, Some("Linux 2")),
                (Some("10.0.0.3"), None, None, None),
            ]
        );
    }

    #[test]
    fn deployments_read_reordered_columns() {
        let (_, deployments, warnings) = read_both();
        let rows: Vec<_> = deployments
            .iter()
            .map(|d| {
                (
                    d.service.as_deref(),
                    d.ip.as_deref(),
                    d.requirements.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            rows,
            [
                (Some("web"), Some("10.0.0.1"), Some("high")),
                (Some("cron"), Some("10.0.0.2"), Some("low"))
            ]
        );
        assert_eq!(
            warnings,
            [
                "warning: servers.md:14: services: expected a number, found \"Active\"; left empty",
                "warning: servers.md:3: ignoring unknown column(s) \"Owner\"",
            ]
        );
    }

    #[test]
    fn a_missing_table_is_a_warning() {
        let doc = Document::from_bytes("servers.md", b"# Servers\n\nnothing here\n");
        let mut warnings = Vec::new();
        assert!(read_deployments(&doc, None, &mut warnings).is_empty());
        assert_eq!(
            warnings[0].to_string(),
            "warning: servers.md:1: no table under \"# Services\"; that table is left empty"
        );
    }

    #[test]
    fn cells_follow_the_table_definition() {
        let (servers, deployments, _) = read_both();
        servers.into_iter().for_each(assert_follows_definition);
        deployments.into_iter().for_each(assert_follows_definition);
    }
}
