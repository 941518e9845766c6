//! The `incidents` table: every `**Incident #N**` list item of a page.
//!
//! The rules, in order:
//!
//! 1. The incident's own line. A parenthesis mentioning occurrences gives the
//!    counts: `(4,230 occurrences, 996 recent)`. Before it, a bare endpoint or
//!    worker (`Api::V1::ThingsController#show`) is the location; `X in Y`
//!    splits into error X and location Y; any other text is the error. After
//!    it, `- SomeWorker` (an endpoint or worker) is the location; other
//!    trailing commentary is dropped.
//! 2. Its detail bullets: the list items after it, nested or at its own level,
//!    up to the next incident, heading, shallower item or paragraph. They only
//!    fill what the line left empty, first bullet first. `Occurrences:`,
//!    `Location:` and `Error:` labels give those facts; bullets with another
//!    label (`Impact:`, `Last Seen:`, running totals) say nothing about the
//!    incident. Unlabelled bullets give `N total` / `N occurrences` and
//!    `N recent` counts, and the first endpoint or worker they name is the
//!    location.
//! 3. Severity comes from the incident item's own marker (`- 🔴 **Incident
//!    #4**: …`, `- [HIGH] **Incident #4**: …`), else from the nearest
//!    enclosing heading that carries a marker, an emoji or a severity word
//!    ([`markup::leading_word`]):
//!
//!    | severity   | emoji       | words                               |
//!    |------------|-------------|-------------------------------------|
//!    | `critical` | 🔴          | CRITICAL, SEVERE, EMERGENCY, URGENT |
//!    | `high`     |             | HIGH                                |
//!    | `warning`  | ⚠️ 🟡 🟠    | WARNING, WARN, MEDIUM, MODERATE     |
//!    | `low`      |             | LOW, MINOR                          |
//!
//!    Anything else (✅, OK, an unreadable marker) gives null. The section is
//!    the nearest enclosing heading below the page title whose title is not
//!    empty once its markers are removed (`### CRITICAL` names no section).
//!    A page whose incidents all end up without severity, though some sit
//!    under headings, gets one warning: a form of marker this reader does
//!    not know may be hiding there.

use std::sync::LazyLock;

use chrono::NaiveDate;
use regex::Regex;

use super::diagnostics::Warning;
use super::markdown::{Document, ListItem, Outline};
use super::markup::{self, Level, Marker};
use super::records::{Cell, Record, cell};
use super::values;
use crate::datasets::tables::{INCIDENTS, TableDef};

/// One row of the `incidents` table.
#[derive(Debug, Clone)]
pub struct Incident {
    pub service: String,
    pub number: i64,
    pub facts: Facts,
    pub severity: Option<&'static str>,
    pub section: Option<String>,
    pub snapshot: Option<NaiveDate>,
}

/// What the page says about one incident.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facts {
    pub error: Option<String>,
    pub location: Option<String>,
    pub occurrences: Option<i64>,
    pub recent_occurrences: Option<i64>,
}

impl Facts {
    /// Fills what is still empty from `more`.
    fn fill_from(&mut self, more: Facts) {
        self.error = self.error.take().or(more.error);
        self.location = self.location.take().or(more.location);
        self.occurrences = self.occurrences.or(more.occurrences);
        self.recent_occurrences = self.recent_occurrences.or(more.recent_occurrences);
    }
}

static TOTAL: LazyLock<Regex> =
    LazyLock::new(|| values::count_before(r"(?:total(?:\s+occurrences?)?|occurrences?)"));
static RECENT: LazyLock<Regex> = LazyLock::new(|| values::count_before("recent"));

/// An endpoint (`Api::V1::ThingsController#show`) or worker (`SyncThingWorker`).
const CODE_LOCATION: &str = r"(?:[A-Z]\w*::)*[A-Z]\w*(?:#\w+[?!]?|Worker\b)";

fn is_code_location(text: &str) -> bool {
    static WHOLE: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(&format!("^{CODE_LOCATION}$")).expect("static pattern"));
    WHOLE.is_match(text)
}

fn code_location_in(text: &str) -> Option<String> {
    static ANYWHERE: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(&format!(r"\b{CODE_LOCATION}")).expect("static pattern"));
    ANYWHERE.find(text).map(|found| found.as_str().to_string())
}

/// The incident number of an `**Incident #N**` item, and the text after it.
fn incident_lead(content: &str) -> Option<(i64, &str)> {
    static LEAD: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"^Incident\s+#(\d+):?$").expect("static pattern"));
    let (bold, rest) = markup::bold_lead(content)?;
    let number = LEAD.captures(bold)?[1].parse().ok()?;
    Some((number, rest.trim_start().strip_prefix(':').unwrap_or(rest)))
}

/// The facts of an incident's own line (rule 1).
fn statement_facts(text: &str) -> Facts {
    let text = markup::plain(text);
    let (head, counts, tail) = around_counts(&text).unwrap_or((&text, "", ""));
    let (error, location) = error_and_location(head.trim(), tail);
    Facts {
        error,
        location,
        occurrences: values::find_count(&TOTAL, counts),
        recent_occurrences: values::find_count(&RECENT, counts),
    }
}

/// `text` split around its parenthesis about occurrences: before, inside, after.
fn around_counts(text: &str) -> Option<(&str, &str, &str)> {
    static COUNTS: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"\(([^()]*\boccurrences?\b[^()]*)\)").expect("static pattern")
    });
    let found = COUNTS.captures(text)?;
    let (whole, inside) = (found.get(0)?, found.get(1)?);
    Some((
        &text[..whole.start()],
        inside.as_str(),
        &text[whole.end()..],
    ))
}

/// The error and location the text before and after the counts give.
fn error_and_location(head: &str, tail: &str) -> (Option<String>, Option<String>) {
    let non_empty = |text: &str| Some(text.trim().to_string()).filter(|text| !text.is_empty());
    let (error, location) = if is_code_location(head) {
        (None, non_empty(head))
    } else {
        match head.split_once(" in ") {
            Some((error, location)) => (non_empty(error), non_empty(location)),
            None => (non_empty(head), None),
        }
    };
    let tail = tail.trim().trim_start_matches(['-', '–', '—']).trim();
    let trailing_location = is_code_location(tail).then(|| tail.to_string());
    (error, location.or(trailing_location))
}

/// The facts of a detail bullet (rule 2).
fn detail_facts(content: &str) -> Facts {
    match markup::label_value(content) {
        Some((label, value)) => match label.to_lowercase().as_str() {
            "occurrences" => Facts {
                occurrences: values::find_count(&TOTAL, &value).or_else(|| leading_total(&value)),
                recent_occurrences: values::find_count(&RECENT, &value),
                ..Facts::default()
            },
            "location" => Facts {
                location: markup::plain_value(&value),
                ..Facts::default()
            },
            "error" => Facts {
                error: markup::plain_value(&value),
                ..Facts::default()
            },
            _ => Facts::default(),
        },
        None => {
            let text = markup::plain(content);
            Facts {
                location: code_location_in(&text),
                occurrences: values::find_count(&TOTAL, &text),
                recent_occurrences: values::find_count(&RECENT, &text),
                ..Facts::default()
            }
        }
    }
}

/// `Occurrences: 69` → 69, unless that leading number is the recent count
/// (`Occurrences: 20 recent`).
fn leading_total(value: &str) -> Option<i64> {
    let value = value.trim_start();
    if RECENT.find(value).is_some_and(|found| found.start() == 0) {
        return None;
    }
    values::leading_count(value).value()
}

/// An incident item whose detail bullets are still being read.
struct Open {
    indent: usize,
    incident: Incident,
}

/// The incidents of a page, in document order.
pub fn read(
    doc: &Document,
    service: &str,
    snapshot: Option<NaiveDate>,
    warnings: &mut Vec<Warning>,
) -> Vec<Incident> {
    let mut incidents = Vec::new();
    let mut outline = Outline::default();
    let mut open: Option<Open> = None;
    // The first incident listed under a heading of level 2 or deeper.
    let mut first_under_heading: Option<usize> = None;
    for line in doc.lines() {
        if let Some(heading) = line.heading() {
            incidents.extend(open.take().map(|open| open.incident));
            outline.enter(heading);
            continue;
        }
        let Some(item) = line.list_item() else {
            if !line.is_blank() {
                incidents.extend(open.take().map(|open| open.incident));
            }
            continue;
        };
        let (own_marker, content) = markup::leading_marker_or_word(item.content);
        if let Some((number, statement)) = incident_lead(content) {
            incidents.extend(open.take().map(|open| open.incident));
            let section = outline
                .enclosing()
                .filter(|heading| heading.level >= 2)
                .map(|heading| heading.title())
                .find(|title| !title.is_empty());
            if outline.enclosing().any(|heading| heading.level >= 2) {
                first_under_heading.get_or_insert(line.number);
            }
            let severity = match own_marker {
                Some(marker) if marker != Marker::Other => severity_of(marker),
                _ => severity(&outline),
            };
            open = Some(Open {
                indent: item.indent,
                incident: Incident {
                    service: service.to_string(),
                    number,
                    facts: statement_facts(statement),
                    severity,
                    section,
                    snapshot,
                },
            });
        } else if let Some(current) = open.as_mut().filter(|current| is_detail(&item, current)) {
            current.incident.facts.fill_from(detail_facts(item.content));
        } else {
            incidents.extend(open.take().map(|open| open.incident));
        }
    }
    incidents.extend(open.map(|open| open.incident));
    if let Some(line) = first_under_heading
        && incidents.iter().all(|incident| incident.severity.is_none())
    {
        let message = format!(
            "{} incident(s), none under a heading with a readable severity marker; their severity is left empty",
            incidents.len()
        );
        warnings.push(doc.warning(line, message));
    }
    incidents
}

fn is_detail(item: &ListItem<'_>, open: &Open) -> bool {
    item.indent >= open.indent
}

/// The severity the nearest marked enclosing heading gives (rule 3).
fn severity(outline: &Outline<'_>) -> Option<&'static str> {
    severity_of(outline.enclosing().find_map(|heading| heading.marker())?)
}

/// The severity a marker stands for (rule 3).
fn severity_of(marker: Marker) -> Option<&'static str> {
    match marker {
        Marker::RedCircle | Marker::Word(Level::Critical) => Some("critical"),
        Marker::Word(Level::High) => Some("high"),
        Marker::Warning
        | Marker::YellowCircle
        | Marker::OrangeCircle
        | Marker::Word(Level::Warning) => Some("warning"),
        Marker::Word(Level::Low) => Some("low"),
        Marker::CheckMark | Marker::Other | Marker::Word(Level::Ok) => None,
    }
}

impl Record for Incident {
    const TABLE: TableDef = INCIDENTS;

    fn cells(self) -> Vec<(&'static str, Cell)> {
        vec![
            ("service", cell(Some(self.service))),
            ("incident", cell(Some(self.number))),
            ("error", cell(self.facts.error)),
            ("location", cell(self.facts.location)),
            ("occurrences", cell(self.facts.occurrences)),
            ("recent_occurrences", cell(self.facts.recent_occurrences)),
            ("severity", cell(self.severity)),
            ("section", cell(self.section)),
            ("snapshot", cell(self.snapshot)),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::records::tests::assert_follows_definition;

    fn facts(
        error: Option<&str>,
        location: Option<&str>,
        occurrences: Option<i64>,
        recent: Option<i64>,
    ) -> Facts {
        Facts {
            error: error.map(Into::into),
            location: location.map(Into::into),
            occurrences,
            recent_occurrences: recent,
        }
    }

    #[test]
    fn statement_shapes() {
        assert_eq!(
            statement_facts("Api::V1::ThingsController#show (31,694 occurrences)"),
            facts(
                None,
                Some("Api::V1::ThingsController#show"),
                Some(31_694),
                None
            )
        );
        assert_eq!(
            statement_facts("Quota exceeded (13,418 occurrences) - SyncThingWorker"),
            facts(
                Some("Quota exceeded"),
                Some("SyncThingWorker"),
                Some(13_418),
                None
            )
        );
        assert_eq!(
            statement_facts("Upstream unavailable (33 occurrences)"),
            facts(Some("Upstream unavailable"), None, Some(33), None)
        );
        assert_eq!(
            statement_facts(
                "PG::QueryCanceled in EventsController#user (4,230 occurrences, 996 recent)"
            ),
            facts(
                Some("PG::QueryCanceled"),
                Some("EventsController#user"),
                Some(4230),
                Some(996)
            )
        );
        assert_eq!(
            statement_facts("SyncThingWorker timeouts (694 occurrences, most severe)"),
            facts(Some("SyncThingWorker timeouts"), None, Some(694), None)
        );
        assert_eq!(
            statement_facts("NoMethodError in MarkdownReader during imports"),
            facts(
                Some("NoMethodError"),
                Some("MarkdownReader during imports"),
                None,
                None
            )
        );
        assert_eq!(
            statement_facts("Abstract::NotFound (1 occurrence) - missing actions"),
            facts(Some("Abstract::NotFound"), None, Some(1), None)
        );
    }

    #[test]
    fn detail_shapes() {
        assert_eq!(
            detail_facts("**Occurrences**: 69 total, 20 recent"),
            facts(None, None, Some(69), Some(20))
        );
        assert_eq!(
            detail_facts("**Occurrences**: 69"),
            facts(None, None, Some(69), None)
        );
        assert_eq!(
            detail_facts("**Occurrences**: 20 recent"),
            facts(None, None, None, Some(20))
        );
        assert_eq!(
            detail_facts("**Location**: Queue runner"),
            facts(None, Some("Queue runner"), None, None)
        );
        assert_eq!(
            detail_facts("**Error**: Socket closed early"),
            facts(Some("Socket closed early"), None, None, None)
        );
        assert_eq!(
            detail_facts("**156 total occurrences**, blocking the queue"),
            facts(None, None, Some(156), None)
        );
        assert_eq!(
            detail_facts("**84 total occurrences**, 20 recent (as of May 4, 2025)"),
            facts(None, None, Some(84), Some(20))
        );
        assert_eq!(
            detail_facts("808 recent occurrences as of May 11"),
            facts(None, None, None, Some(808))
        );
        assert_eq!(
            detail_facts("ParseThingsWorker stuck for hours"),
            facts(None, Some("ParseThingsWorker"), None, None)
        );
        assert_eq!(
            detail_facts("Api::V1::JobsController#show failing"),
            facts(None, Some("Api::V1::JobsController#show"), None, None)
        );
        assert_eq!(
            detail_facts("**Running total**: **2,345+ occurrences with 678 recent**"),
            Facts::default()
        );
        assert_eq!(
            detail_facts("\"no free slots\" - **POOL DRAINED**"),
            Facts::default()
        );
    }

    fn incidents(text: &str) -> Vec<Incident> {
        incidents_and_warnings(text).0
    }

    fn incidents_and_warnings(text: &str) -> (Vec<Incident>, Vec<String>) {
        let mut warnings = Vec::new();
        let found = read(
            &Document::from_bytes("services/x.md", text.as_bytes()),
            "x",
            None,
            &mut warnings,
        );
        (found, warnings.iter().map(ToString::to_string).collect())
    }

    #[test]
    fn details_fill_what_the_line_leaves_empty() {
        let found = incidents(
            r#"## Critical Issues
### =4 **QUEUE DOWN**
- **Incident #13**: RedisClient::CannotConnectError
- **Occurrences**: 69 total, 20 recent
- **Location**: Queue runner (nightly)
- **Error**: Socket closed early
- **Running total**: 500 total occurrences

- **Incident #7**: Pool::Exhausted (4,479 occurrences)
  - "no free slots" - **DRAINED**
  - Background worker ParseThingsWorker blocked
  - 808 recent occurrences as of May 11
A paragraph ends the details.
- 5 total occurrences of something else
"#,
        );
        let rows: Vec<_> = found.iter().map(|i| (i.number, i.facts.clone())).collect();
        assert_eq!(
            rows,
            [
                (
                    13,
                    facts(
                        Some("RedisClient::CannotConnectError"),
                        Some("Queue runner (nightly)"),
                        Some(69),
                        Some(20)
                    )
                ),
                (
                    7,
                    facts(
                        Some("Pool::Exhausted"),
                        Some("ParseThingsWorker"),
                        Some(4479),
                        Some(808)
                    )
                ),
            ]
        );
    }

    #[test]
    fn shallower_items_end_the_details() {
        let found = incidents(
            "## Issues\n- **Worst**:\n  - **Incident #1**: A (1 occurrence)\n- Other item, 9 total occurrences\n",
        );
        assert_eq!(found[0].facts, facts(Some("A"), None, Some(1), None));
    }

    #[test]
    fn severity_and_section_come_from_enclosing_headings() {
        let found = incidents(
            "# X\n- **Incident #1**: top level\n## Issues\n### =4 **DOWN**\n#### **Timeouts** (2 incidents)\n- **Incident #2**: A\n\
             ### ⚠️ Slow\n- **Incident #3**: B\n### 🟡 Meh\n- **Incident #4**: C\n### =\u{FFFD} **UNREADABLE**\n#### Inner\n\
             - **Incident #5**: D\n### Plain\n- **Incident #6**: E\n",
        );
        let rows: Vec<_> = found
            .iter()
            .map(|i| (i.number, i.severity, i.section.as_deref()))
            .collect();
        assert_eq!(
            rows,
            [
                (1, None, None),
                (2, Some("critical"), Some("Timeouts")),
                (3, Some("warning"), Some("Slow")),
                (4, Some("warning"), Some("Meh")),
                (5, None, Some("Inner")),
                (6, None, Some("Plain")),
            ]
        );
    }

    #[test]
    fn severity_words_on_headings() {
        let found = incidents(
            "# X\n## Incidents\n### CRITICAL: Database unreachable\n- **Incident #1**: A\n\
             ### **HIGH** - Slow queries\n- **Incident #2**: B\n### [WARNING] Disk\n- **Incident #3**: C\n\
             ### Medium: Timeouts\n- **Incident #4**: D\n### LOW - Rare\n- **Incident #5**: E\n\
             ### SEVERE\n- **Incident #6**: F\n### MINOR (2 open)\n#### Cache misses\n- **Incident #7**: G\n\
             ### OK - Resolved\n- **Incident #8**: H\n",
        );
        let rows: Vec<_> = found
            .iter()
            .map(|i| (i.number, i.severity, i.section.as_deref()))
            .collect();
        assert_eq!(
            rows,
            [
                (1, Some("critical"), Some("Database unreachable")),
                (2, Some("high"), Some("Slow queries")),
                (3, Some("warning"), Some("Disk")),
                (4, Some("warning"), Some("Timeouts")),
                (5, Some("low"), Some("Rare")),
                (6, Some("critical"), Some("Incidents")),
                (7, Some("low"), Some("Cache misses")),
                (8, None, Some("Resolved")),
            ]
        );
    }

    #[test]
    fn titles_starting_with_severity_words_give_no_severity() {
        let (found, warnings) = incidents_and_warnings(
            "# X\n## Critical Issues\n### High-Traffic Endpoints\n- **Incident #1**: A\n\
             ### **HIGH PRIORITY**\n- **Incident #2**: B\n### Moderate Problems\n- **Incident #3**: C\n",
        );
        let rows: Vec<_> = found
            .iter()
            .map(|i| (i.number, i.severity, i.section.as_deref()))
            .collect();
        assert_eq!(
            rows,
            [
                (1, None, Some("High-Traffic Endpoints")),
                (2, None, Some("HIGH PRIORITY")),
                (3, None, Some("Moderate Problems")),
            ]
        );
        assert_eq!(
            warnings,
            [
                "warning: services/x.md:4: 3 incident(s), none under a heading with a readable severity marker; their severity is left empty"
            ]
        );
    }

    #[test]
    fn an_incident_item_may_carry_its_own_marker() {
        let found = incidents(
            "## ⚠️ Issues\n- 🔴 **Incident #1**: A\n- [HIGH] **Incident #2**: B\n\
             - **CRITICAL** **Incident #3**: C (3 occurrences)\n- =\u{FFFD} **Incident #4**: D\n- **Incident #5**: E\n",
        );
        let rows: Vec<_> = found
            .iter()
            .map(|i| (i.number, i.severity, i.facts.error.as_deref()))
            .collect();
        assert_eq!(
            rows,
            [
                (1, Some("critical"), Some("A")),
                (2, Some("high"), Some("B")),
                (3, Some("critical"), Some("C")),
                (4, Some("warning"), Some("D")),
                (5, Some("warning"), Some("E")),
            ]
        );
    }

    #[test]
    fn no_severity_warning_when_some_incident_has_one_or_none_sit_under_headings() {
        let (_, warnings) = incidents_and_warnings(
            "## 🔴 Down\n- **Incident #1**: A\n## Other\n- **Incident #2**: B\n",
        );
        assert!(warnings.is_empty(), "{warnings:?}");
        let (found, warnings) = incidents_and_warnings("# X\n- **Incident #1**: A\n");
        assert_eq!(found.len(), 1);
        assert!(warnings.is_empty(), "{warnings:?}");
        let (_, warnings) = incidents_and_warnings("## Nothing here\n- plain item\n");
        assert!(warnings.is_empty(), "{warnings:?}");
    }

    #[test]
    fn only_numbered_incident_items_count() {
        assert!(
            incidents("- **Incident**: none\n- Incident #4: plain\n- **Incident #x**: bad\n")
                .is_empty()
        );
    }

    #[test]
    fn cells_follow_the_table_definition() {
        for incident in
            incidents("### 🔴 Down\n- **Incident #2**: A in B (3 occurrences, 1 recent)\n")
        {
            assert_follows_definition(incident);
        }
    }
}
