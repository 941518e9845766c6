//! The `figures` table: every request and job figure that feeds a `_30d`
//! column of `services`, as written, with the period it covers.
//!
//! The overview's Requests and Background Jobs cells and the pages' "Total
//! Requests" and "Background Jobs" summary lines are meant as 30-day figures,
//! but a report may write another period: `4.0M (2d)`, `350K/day`. Such a
//! figure is not a 30-day one, so its `_30d` column stays null (with a
//! warning naming file and line) and the figure is kept here, period and
//! all. Every figure read is kept, 30-day ones included, so that the table
//! also shows which were lower bounds (`1.26M+`).

use chrono::NaiveDate;

use super::Page;
use super::diagnostics::Warning;
use super::markdown::Document;
use super::overview::Overview;
use super::records::{Cell, Record, cell};
use super::values::{self, Figure, Reading};
use crate::datasets::tables::{FIGURES, TableDef};

/// What a figure counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Measure {
    Requests,
    Jobs,
}

impl Measure {
    fn name(self) -> &'static str {
        match self {
            Measure::Requests => "requests",
            Measure::Jobs => "jobs",
        }
    }
}

/// A figure as one document writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    pub measure: Measure,
    /// The line of the document it is written on.
    pub line: usize,
    pub figure: Figure,
}

/// One row of the `figures` table.
#[derive(Debug, Clone)]
pub struct FigureRow {
    pub service: String,
    /// `overview` or `page`.
    pub source: &'static str,
    pub written: Written,
    /// The date of the document it was read from, as its other rows carry it.
    pub snapshot: Option<NaiveDate>,
}

/// Reads `text` (line `line` of `doc`) as the figure for the 30-day column
/// `column`, keeping whatever figure it holds in `kept`. Gives the value
/// when it is a 30-day figure; nothing, with a warning, when it covers
/// another period; and the reading as is when there is no figure (so that
/// the caller words the warning about unreadable text).
pub fn thirty_day(
    text: &str,
    column: &str,
    measure: Measure,
    (doc, line): (&Document, usize),
    kept: &mut Vec<Written>,
    warnings: &mut Vec<Warning>,
) -> Reading<i64> {
    let figure = match values::leading_figure(text) {
        Reading::Value(figure) => figure,
        Reading::Absent => return Reading::Absent,
        Reading::Unreadable => return Reading::Unreadable,
    };
    kept.push(Written {
        measure,
        line,
        figure,
    });
    if figure.is_30_day() {
        return Reading::Value(figure.value);
    }
    let instead = match (figure.rate, figure.days()) {
        (true, _) => "a 30-day figure",
        (false, Some(_)) => "30",
        (false, None) => "30 days",
    };
    let message = format!(
        "{column}: `{text}` is {}, not {instead}; kept in the figures table",
        figure.describe()
    );
    warnings.push(doc.warning(line, message));
    Reading::Absent
}

/// The rows of the `figures` table: the overview's, then each page's, in
/// document order.
pub fn collect(overview: &Overview, pages: &[Page]) -> Vec<FigureRow> {
    let from_pages = pages.iter().flat_map(|page| {
        page.facts.figures.iter().map(|written| FigureRow {
            service: page.service.clone(),
            source: "page",
            written: written.clone(),
            snapshot: page.facts.snapshot,
        })
    });
    overview
        .figures
        .iter()
        .map(|(service, written)| FigureRow {
            service: service.clone(),
            source: "overview",
            written: written.clone(),
            snapshot: overview.snapshot,
        })
        .chain(from_pages)
        .collect()
}

impl Record for FigureRow {
    const TABLE: TableDef = FIGURES;

    fn cells(self) -> Vec<(&'static str, Cell)> {
        let Written {
            measure,
            line,
            figure,
        } = self.written;
        vec![
            ("service", cell(Some(self.service))),
            ("source", cell(Some(self.source))),
            ("measure", cell(Some(measure.name()))),
            ("value", cell(Some(figure.value))),
            ("period", cell(Some(figure.period_label()))),
            ("days", cell(figure.days().map(i64::from))),
            ("per_day", cell(Some(figure.per_day()))),
            ("at_least", cell(Some(figure.at_least))),
            ("line", cell(i64::try_from(line).ok())),
            ("snapshot", cell(self.snapshot)),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::records::tests::assert_follows_definition;

    fn read(text: &str) -> (Reading<i64>, Vec<Written>, Vec<String>) {
        let doc = Document::from_bytes("services.md", b"");
        let (mut kept, mut warnings) = (Vec::new(), Vec::new());
        let reading = thirty_day(
            text,
            "requests_30d",
            Measure::Requests,
            (&doc, 7),
            &mut kept,
            &mut warnings,
        );
        let warnings = warnings.iter().map(ToString::to_string).collect();
        (reading, kept, warnings)
    }

    #[test]
    fn thirty_day_figures_fill_the_column_without_a_word() {
        for (text, value) in [
            ("167.1M", 167_100_000),
            ("1.26M+", 1_260_000),
            ("5.0M web requests (30 days)", 5_000_000),
            ("5.0M (30d)", 5_000_000),
            ("9M/month", 9_000_000),
        ] {
            let (reading, kept, warnings) = read(text);
            assert_eq!(reading, Reading::Value(value), "{text:?}");
            assert_eq!(kept.len(), 1, "{text:?}");
            assert!(warnings.is_empty(), "{text:?}: {warnings:?}");
        }
        assert!(read("1.26M+").1[0].figure.at_least);
    }

    #[test]
    fn other_periods_leave_the_column_empty_with_a_warning() {
        let cases = [
            (
                "4.0M (2d)",
                "warning: services.md:7: requests_30d: `4.0M (2d)` is a figure over 2 days, not 30; kept in the figures table",
            ),
            (
                "350K/day",
                "warning: services.md:7: requests_30d: `350K/day` is a daily rate, not a 30-day figure; kept in the figures table",
            ),
            (
                "9K (12h)",
                "warning: services.md:7: requests_30d: `9K (12h)` is a figure over 12 hours, not 30 days; kept in the figures table",
            ),
            (
                "2M/week",
                "warning: services.md:7: requests_30d: `2M/week` is a rate per 7 days, not a 30-day figure; kept in the figures table",
            ),
        ];
        for (text, warning) in cases {
            let (reading, kept, warnings) = read(text);
            assert_eq!(reading, Reading::Absent, "{text:?}");
            assert_eq!(kept.len(), 1, "{text:?}");
            assert_eq!(warnings, [warning]);
        }
    }

    #[test]
    fn text_without_a_figure_keeps_nothing() {
        assert_eq!(read("No data").0, Reading::Absent);
        assert_eq!(read("Active").0, Reading::Unreadable);
        assert!(read("Active").1.is_empty());
        assert!(read("Active").2.is_empty(), "the caller warns");
    }

    #[test]
    fn cells_follow_the_table_definition() {
        let (_, kept, _) = read("350K/day");
        let row = FigureRow {
            service: "alpha".into(),
            source: "overview",
            written: kept[0].clone(),
            snapshot: NaiveDate::from_ymd_opt(2025, 9, 11),
        };
        let cells: Vec<String> = row
            .clone()
            .cells()
            .into_iter()
            .map(|(_, value)| value.map(|v| v.to_string()).unwrap_or_default())
            .collect();
        assert_eq!(
            cells,
            [
                "alpha",
                "overview",
                "requests",
                "350000",
                "1d",
                "1",
                "true",
                "false",
                "7",
                "2025-09-11"
            ]
        );
        assert_follows_definition(row);
    }
}
