//! A service page's own figures: its header lines (`**Server**`,
//! `**Performance Period**`), its "Performance Summary" and the job total
//! of its background-jobs section.

use std::sync::LazyLock;

use chrono::NaiveDate;
use regex::Regex;

use super::diagnostics::Warning;
use super::figures::{self, Measure, Written};
use super::markdown::{Document, Heading};
use super::markup;
use super::values::{self, Decimal, Reading};

/// The figures a service page gives about itself.
#[derive(Debug, Clone, Default)]
pub struct PageFacts {
    pub requests_30d: Option<i64>,
    pub jobs_30d: Option<i64>,
    pub jobs_total: Option<i64>,
    pub uptime_pct: Option<Decimal>,
    pub uptime_errors: Option<i64>,
    pub error_rate_pct: Option<Decimal>,
    pub open_incidents: Option<i64>,
    pub server_ip: Option<String>,
    pub server_size: Option<String>,
    pub server_note: Option<String>,
    pub period_start: Option<NaiveDate>,
    pub period_end: Option<NaiveDate>,
    /// The date of the page's data: its own "Generated"/"Last Updated" date,
    /// else the end of its performance period.
    pub snapshot: Option<NaiveDate>,
    /// The request and job figures of the summary, as written.
    pub figures: Vec<Written>,
}

/// Whether a heading opens a page's background-jobs section: a `##` heading
/// that mentions background jobs.
pub fn is_jobs_section(heading: &Heading<'_>) -> bool {
    heading.level == 2 && heading.mentions("background job")
}

/// Reads the page's own figures, warning about what it lacks or cannot read.
pub fn read(doc: &Document, warnings: &mut Vec<Warning>) -> PageFacts {
    let mut facts = PageFacts::default();
    read_header(doc, &mut facts, warnings);
    read_summary(doc, &mut facts, warnings);
    facts.jobs_total = jobs_total(doc, warnings);
    facts.snapshot = doc.stated_date().or(facts.period_end);
    facts
}

fn read_header(doc: &Document, facts: &mut PageFacts, warnings: &mut Vec<Warning>) {
    match doc.labelled_line("Server") {
        Some((_, value)) => {
            let server = parse_server(&value);
            facts.server_ip = server.ip;
            facts.server_size = server.size;
            facts.server_note = server.note;
        }
        None => warnings.push(doc.warning(
            1,
            "no \"Server\" line; the page's server columns are left empty",
        )),
    }
    match doc.labelled_line("Performance Period") {
        Some((line, value)) => match values::parse_period(&value) {
            Some((start, end)) => {
                facts.period_start = Some(start);
                facts.period_end = Some(end);
            }
            None => warnings.push(doc.warning(
                line.number,
                format!("unreadable performance period \"{value}\""),
            )),
        },
        None => warnings.push(doc.warning(
            1,
            "no \"Performance Period\" line; the period is left empty",
        )),
    }
}

/// The server a page header names: `10.0.0.1 (Large, shared with Beta)`.
#[derive(Debug, Default, PartialEq, Eq)]
struct Server {
    ip: Option<String>,
    size: Option<String>,
    note: Option<String>,
}

fn parse_server(value: &str) -> Server {
    let (ip, details) = match value.split_once('(') {
        Some((ip, details)) => (ip, details.trim_end().trim_end_matches(')')),
        None => (value, ""),
    };
    let (size, note) = match details.split_once(',') {
        Some((size, note)) => (size, note),
        None => (details, ""),
    };
    let text = |part: &str| Some(part.trim().to_string()).filter(|part| !part.is_empty());
    Server {
        ip: text(ip),
        size: text(size),
        note: text(note),
    }
}

/// The summary labels the importer reads.
#[derive(Debug, Clone, Copy)]
enum SummaryField {
    Requests,
    Jobs,
    Uptime,
    ErrorRate,
    OpenIncidents,
}

impl SummaryField {
    fn of_label(label: &str) -> Option<SummaryField> {
        match label.to_lowercase().as_str() {
            "total requests" | "requests" | "web requests" => Some(SummaryField::Requests),
            "background jobs" | "jobs" => Some(SummaryField::Jobs),
            "uptime" => Some(SummaryField::Uptime),
            "error rate" => Some(SummaryField::ErrorRate),
            "open incidents" | "incidents" => Some(SummaryField::OpenIncidents),
            _ => None,
        }
    }
}

fn read_summary(doc: &Document, facts: &mut PageFacts, warnings: &mut Vec<Warning>) {
    let Some(section) = doc.section(|heading| heading.mentions("Performance Summary")) else {
        warnings.push(doc.warning(
            1,
            "no \"Performance Summary\" section; the page's summary figures are left empty",
        ));
        return;
    };
    for line in section.lines() {
        let Some((label, value)) = line
            .list_item()
            .and_then(|item| markup::label_value(item.content))
        else {
            continue;
        };
        let Some(field) = SummaryField::of_label(&label) else {
            continue;
        };
        let unreadable = || expected_number(doc, line.number, &label, &value);
        let mut figure = |column: &str, measure: Measure, warnings: &mut Vec<Warning>| {
            let at = (doc, line.number);
            figures::thirty_day(&value, column, measure, at, &mut facts.figures, warnings)
        };
        match field {
            SummaryField::Requests => {
                facts.requests_30d = figure("page_requests_30d", Measure::Requests, warnings)
                    .or_warn(warnings, unreadable);
            }
            SummaryField::Jobs => {
                facts.jobs_30d =
                    figure("page_jobs_30d", Measure::Jobs, warnings).or_warn(warnings, unreadable);
            }
            SummaryField::OpenIncidents => {
                facts.open_incidents = values::leading_count(&value).or_warn(warnings, unreadable);
            }
            SummaryField::ErrorRate => {
                facts.error_rate_pct = values::first_percent(&value).or_warn(warnings, unreadable)
            }
            SummaryField::Uptime => {
                facts.uptime_errors = uptime_errors(&value);
                let percent = match (values::first_percent(&value), facts.uptime_errors) {
                    // An error count alone is a reading, just not of the percentage.
                    (Reading::Unreadable, Some(_)) => Reading::Absent,
                    (reading, _) => reading,
                };
                facts.uptime_pct = percent.or_warn(warnings, unreadable);
            }
        }
    }
}

/// The warning about a labelled value that should have held a number.
fn expected_number(doc: &Document, line: usize, label: &str, value: &str) -> Warning {
    let message = format!("{label}: expected a number, found \"{value}\"; left empty");
    doc.warning(line, message)
}

/// `97.50% (1,204 uptime monitor errors)` → 1204.
fn uptime_errors(value: &str) -> Option<i64> {
    static ERRORS: LazyLock<Regex> =
        LazyLock::new(|| values::count_before(r"(?:uptime\s+)?(?:monitor(?:ing)?\s+)?errors?"));
    values::find_count(&ERRORS, value)
}

/// The `Total Background Jobs` line of the background-jobs section.
fn jobs_total(doc: &Document, warnings: &mut Vec<Warning>) -> Option<i64> {
    doc.sections(is_jobs_section)
        .iter()
        .flat_map(|section| section.lines())
        .find_map(|line| {
            let (label, value) = line
                .list_item()
                .and_then(|item| markup::label_value(item.content))?;
            label
                .eq_ignore_ascii_case("Total Background Jobs")
                .then(|| {
                    values::leading_count(&value).or_warn(warnings, || {
                        expected_number(doc, line.number, &label, &value)
                    })
                })
        })
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(text: &str) -> (PageFacts, Vec<String>) {
        let doc = Document::from_bytes("services/x.md", text.as_bytes());
        let mut warnings = Vec::new();
        let facts = read(&doc, &mut warnings);
        (facts, warnings.iter().map(ToString::to_string).collect())
    }

    #[test]
    fn servers() {
        let server = |ip: &str, size: &str, note: &str| Server {
            ip: Some(ip.into()),
            size: Some(size.into()),
            note: Some(note.into()).filter(|n: &String| !n.is_empty()),
        };
        assert_eq!(
            parse_server("10.0.0.1 (Large, shared with Beta)"),
            server("10.0.0.1", "Large", "shared with Beta")
        );
        assert_eq!(
            parse_server("10.0.0.1 (Very Large, dedicated)"),
            server("10.0.0.1", "Very Large", "dedicated")
        );
        assert_eq!(
            parse_server("10.0.0.1 (Small)"),
            server("10.0.0.1", "Small", "")
        );
        assert_eq!(
            parse_server("10.0.0.1"),
            Server {
                ip: Some("10.0.0.1".into()),
                ..Server::default()
            }
        );
    }

    #[test]
    fn reads_header_summary_and_total() {
        let (facts, warnings) = page(
            "# X\n**Server**: 10.0.0.1 (Large, dedicated)\n**Performance Period**: May 1 - May 30, 2025 (30 days)\n\
             ## Performance Summary\n- **Total Requests**: 2.5M web requests (30 days) - **BUSY**\n\
             - **Background Jobs**: None detected\n- **Uptime**: 97.50% (1,204 uptime monitor errors)\n\
             - **Error Rate**: Fine (0.20% - low)\n- **Open Incidents**: 3 currently open (queue trouble)\n\
             ## Background Jobs Analysis\n- **Job Volume**: ~5 per day\n- **Total Background Jobs**: 1,234 jobs (30 days)\n",
        );
        assert_eq!(warnings, Vec::<String>::new());
        assert_eq!(facts.server_ip.as_deref(), Some("10.0.0.1"));
        assert_eq!(facts.server_note.as_deref(), Some("dedicated"));
        assert_eq!(facts.requests_30d, Some(2_500_000));
        assert_eq!(facts.jobs_30d, None);
        assert_eq!(
            facts.uptime_pct.map(|d| d.to_string()).as_deref(),
            Some("97.50")
        );
        assert_eq!(facts.uptime_errors, Some(1204));
        assert_eq!(
            facts.error_rate_pct.map(|d| d.to_string()).as_deref(),
            Some("0.20")
        );
        assert_eq!(facts.open_incidents, Some(3));
        assert_eq!(facts.jobs_total, Some(1234));
        assert_eq!(facts.period_start, NaiveDate::from_ymd_opt(2025, 5, 1));
        assert_eq!(facts.snapshot, NaiveDate::from_ymd_opt(2025, 5, 30));
    }

    #[test]
    fn statements_of_absence_read_as_null_without_warning() {
        let (facts, warnings) = page(
            "**Server**: 10.0.0.1\n**Performance Period**: May 1 - May 30, 2025\n## Performance Summary\n\
             - **Total Requests**: No figures collected\n- **Uptime**: Fine (no monitor errors seen)\n\
             - **Open Incidents**: Unknown for now\n",
        );
        assert_eq!(warnings, Vec::<String>::new());
        assert_eq!(
            (
                facts.requests_30d,
                facts.uptime_pct,
                facts.uptime_errors,
                facts.open_incidents
            ),
            (None, None, None, None)
        );
    }

    #[test]
    fn summary_figures_over_other_periods() {
        let (facts, warnings) = page(
            "# X\n*Updated: September 11, 2025*\n**Server**: 10.0.0.1\n**Performance Period**: September 9 - September 11, 2025 (2 days)\n\
             ## Performance Summary\n- **Total Requests**: 4.0M web requests (2 days)\n- **Background Jobs**: 1.2M+ jobs (30 days)\n",
        );
        assert_eq!(facts.requests_30d, None);
        assert_eq!(facts.jobs_30d, Some(1_200_000));
        assert_eq!(facts.snapshot, NaiveDate::from_ymd_opt(2025, 9, 11));
        let figures: Vec<_> = facts
            .figures
            .iter()
            .map(|w| {
                (
                    w.measure,
                    w.line,
                    w.figure.value,
                    w.figure.days(),
                    w.figure.at_least,
                )
            })
            .collect();
        assert_eq!(
            figures,
            [
                (Measure::Requests, 6, 4_000_000, Some(2), false),
                (Measure::Jobs, 7, 1_200_000, Some(30), true),
            ]
        );
        assert_eq!(
            warnings,
            [
                "warning: services/x.md:6: page_requests_30d: `4.0M web requests (2 days)` is a figure over 2 days, not 30; kept in the figures table"
            ]
        );
    }

    #[test]
    fn own_date_wins_over_the_period() {
        let (facts, _) = page(
            "**Server**: 10.0.0.1\n**Performance Period**: May 1 - May 30, 2025\n*Last Updated: June 2, 2025*\n## Performance Summary\n",
        );
        assert_eq!(facts.snapshot, NaiveDate::from_ymd_opt(2025, 6, 2));
    }

    #[test]
    fn warns_about_what_is_missing_or_unreadable() {
        let (facts, warnings) = page(
            "# X\n**Performance Period**: sometime\n## Performance Summary\n- **Background Jobs**: Active\n",
        );
        assert_eq!(facts.jobs_30d, None);
        assert_eq!(
            warnings,
            [
                "warning: services/x.md:1: no \"Server\" line; the page's server columns are left empty",
                "warning: services/x.md:2: unreadable performance period \"sometime\"",
                "warning: services/x.md:4: Background Jobs: expected a number, found \"Active\"; left empty",
            ]
        );
        let (_, warnings) = page(
            "# X\n**Server**: 10.0.0.1\n**Performance Period**: May 1 - May 30, 2025\n## Endpoint Analysis\n",
        );
        assert_eq!(
            warnings,
            [
                "warning: services/x.md:1: no \"Performance Summary\" section; the page's summary figures are left empty"
            ]
        );
    }
}
