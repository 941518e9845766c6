//! The `endpoints` table: the `Controller#action` lines of a page's
//! "Endpoint Analysis".
//!
//! A line counts when its bold lead is a `Controller#action`; lines such as
//! `**PgHero** endpoints: …` do not. Every such line is kept, even when the
//! same endpoint is listed again under another heading.

use std::sync::LazyLock;

use chrono::NaiveDate;
use regex::Regex;

use super::diagnostics::Warning;
use super::markdown::{Document, Outline};
use super::markup;
use super::records::{Cell, Record, cell};
use super::values::{self, Decimal};
use crate::datasets::tables::{ENDPOINTS, TableDef};

/// One row of the `endpoints` table.
#[derive(Debug, Clone)]
pub struct Endpoint {
    pub service: String,
    pub endpoint: String,
    pub requests: Option<i64>,
    pub share_pct: Option<Decimal>,
    pub tier: &'static str,
    pub section: String,
    pub rank: Option<u64>,
    pub snapshot: Option<NaiveDate>,
}

/// Whether `name` is a `Controller#action`, namespaces allowed.
pub fn is_endpoint(name: &str) -> bool {
    static ENDPOINT: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"^(?:[A-Z]\w*::)*[A-Z]\w*#\w+[?!]?$").expect("static pattern")
    });
    ENDPOINT.is_match(name)
}

/// The part of a page that lists endpoints: "Endpoint Analysis", or a
/// top-level part named after endpoints as later reports call it
/// ("Endpoints", "Top Endpoints", "Endpoint Usage").
fn is_endpoints_section(heading: &super::markdown::Heading<'_>) -> bool {
    heading.mentions("Endpoint Analysis") || (heading.level == 2 && heading.mentions("endpoint"))
}

/// The endpoints listed on a page, in document order.
pub fn read(
    doc: &Document,
    service: &str,
    snapshot: Option<NaiveDate>,
    warnings: &mut Vec<Warning>,
) -> Vec<Endpoint> {
    static REQUESTS: LazyLock<Regex> = LazyLock::new(|| values::count_before("requests?"));
    let mut endpoints = Vec::new();
    for section in doc.sections(is_endpoints_section) {
        let mut outline = Outline::within(section.heading);
        for line in section.lines() {
            if let Some(heading) = line.heading() {
                outline.enter(heading);
                continue;
            }
            let Some(item) = line.list_item() else {
                continue;
            };
            let Some((name, rest)) =
                markup::bold_lead(item.content).filter(|(name, _)| is_endpoint(name))
            else {
                continue;
            };
            let requests = values::find_count(&REQUESTS, rest);
            if requests.is_none() {
                warnings.push(doc.warning(
                    line.number,
                    format!("no request count for {name}; left empty"),
                ));
            }
            let section_title = outline
                .innermost()
                .map(|heading| heading.title())
                .unwrap_or_default();
            endpoints.push(Endpoint {
                service: service.to_string(),
                endpoint: name.to_string(),
                requests,
                share_pct: values::share_percent(rest),
                tier: tier(&section_title),
                section: section_title,
                rank: item.ordinal,
                snapshot,
            });
        }
    }
    endpoints
}

/// The kind of list a heading introduces: `top` for "Most Used …", `high`,
/// `medium` or `low` for "… Traffic …" headings, else `other`.
fn tier(title: &str) -> &'static str {
    static TRAFFIC: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?i)\b(high|medium|low)[- ]traffic\b").expect("static pattern")
    });
    if title.to_lowercase().contains("most used") {
        return "top";
    }
    match TRAFFIC
        .captures(title)
        .map(|found| found[1].to_lowercase())
        .as_deref()
    {
        Some("high") => "high",
        Some("medium") => "medium",
        Some("low") => "low",
        _ => "other",
    }
}

impl Record for Endpoint {
    const TABLE: TableDef = ENDPOINTS;

    fn cells(self) -> Vec<(&'static str, Cell)> {
        let (controller, action) = match self.endpoint.split_once('#') {
            Some((controller, action)) => (Some(controller.to_string()), Some(action.to_string())),
            None => (None, None),
        };
        let api = self.endpoint.starts_with("Api::");
        vec![
            ("service", cell(Some(self.service))),
            ("endpoint", cell(Some(self.endpoint))),
            ("controller", cell(controller)),
            ("action", cell(action)),
            ("api", cell(Some(api))),
            ("requests", cell(self.requests)),
            ("share_pct", cell(self.share_pct)),
            ("tier", cell(Some(self.tier))),
            (
                "section",
                cell(Some(self.section).filter(|title| !title.is_empty())),
            ),
            (
                "rank",
                cell(self.rank.and_then(|rank| i64::try_from(rank).ok())),
            ),
            ("snapshot", cell(self.snapshot)),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::records::tests::assert_follows_definition;

    fn endpoints(text: &str) -> (Vec<Endpoint>, Vec<String>) {
        let doc = Document::from_bytes("services/x.md", text.as_bytes());
        let mut warnings = Vec::new();
        let found = read(
            &doc,
            "x",
            NaiveDate::from_ymd_opt(2025, 5, 30),
            &mut warnings,
        );
        (found, warnings.iter().map(ToString::to_string).collect())
    }

    #[test]
    fn endpoint_names() {
        assert!(is_endpoint("Api::V1::ThingsController#show"));
        assert!(is_endpoint("HomeController#index"));
        assert!(!is_endpoint("PgHero"));
        assert!(!is_endpoint("Home Controller#index"));
        assert!(!is_endpoint("#index"));
    }

    #[test]
    fn later_reports_call_the_part_endpoints() {
        let (found, _) = endpoints(
            "## Endpoints\n### Most Used Endpoints\n1. **AController#a** - 5 requests\n\
             ## Notes on endpoints\n- **BController#b**: 7 requests\n## Summary\n\
             ### Slow endpoints\n- **CController#c**: 9 requests\n",
        );
        let names: Vec<_> = found.iter().map(|e| e.endpoint.as_str()).collect();
        assert_eq!(names, ["AController#a", "BController#b"]);
    }

    #[test]
    fn tiers() {
        assert_eq!(tier("Most Used Web Endpoints"), "top");
        assert_eq!(tier("High-Traffic Endpoints"), "high");
        assert_eq!(tier("Medium Traffic Endpoints"), "medium");
        assert_eq!(tier("Low-Traffic API Endpoints"), "low");
        assert_eq!(tier("Feed Endpoints"), "other");
    }

    #[test]
    fn line_shapes() {
        let (found, warnings) = endpoints(
            "## Endpoint Analysis\n- **LooseController#a**: 5 requests\n### Most Used Endpoints (by volume)\n\
             1. **Api::V1::ThingsController#show** - 1,234 requests (34.7%)\n   - detail line\n\
             ### Low-Traffic Endpoints\n- **ThingsController#feed**: 115 requests (0.9%) - Feed\n\
             - **ThingsController#one**: 1 request\n- **ThingsController#tiny**: 3 requests (<0.1%)\n\
             - **PgHero** endpoints: a few\n- **ThingsController#odd** - landing page\n## Other\n- **XController#y**: 9 requests\n",
        );
        let rows: Vec<_> = found
            .iter()
            .map(|e| {
                (
                    e.endpoint.as_str(),
                    e.requests,
                    e.share_pct.map(|s| s.to_string()),
                    e.tier,
                    e.section.as_str(),
                    e.rank,
                )
            })
            .collect();
        assert_eq!(
            rows,
            [
                (
                    "LooseController#a",
                    Some(5),
                    None,
                    "other",
                    "Endpoint Analysis",
                    None
                ),
                (
                    "Api::V1::ThingsController#show",
                    Some(1234),
                    Some("34.7".into()),
                    "top",
                    "Most Used Endpoints",
                    Some(1)
                ),
                (
                    "ThingsController#feed",
                    Some(115),
                    Some("0.9".into()),
                    "low",
                    "Low-Traffic Endpoints",
                    None
                ),
                (
                    "ThingsController#one",
                    Some(1),
                    None,
                    "low",
                    "Low-Traffic Endpoints",
                    None
                ),
                (
                    "ThingsController#tiny",
                    Some(3),
                    None,
                    "low",
                    "Low-Traffic Endpoints",
                    None
                ),
                (
                    "ThingsController#odd",
                    None,
                    None,
                    "low",
                    "Low-Traffic Endpoints",
                    None
                ),
            ]
        );
        assert_eq!(
            warnings,
            ["warning: services/x.md:11: no request count for ThingsController#odd; left empty"]
        );
    }

    #[test]
    fn cells_follow_the_table_definition() {
        let (found, _) =
            endpoints("## Endpoint Analysis\n1. **Api::V1::AController#b** - 3 requests (2.0%)\n");
        let endpoint = found.into_iter().next().unwrap();
        assert_follows_definition(endpoint.clone());
        let cells = endpoint.cells();
        assert_eq!(cells[2].1, Some("Api::V1::AController".into()));
        assert_eq!(cells[3].1, Some("b".into()));
        assert_eq!(cells[4].1, Some(true.into()));
    }
}
