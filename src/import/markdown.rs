//! The block structure of a Markdown document: numbered lines, headings,
//! sections, list items and `Label: value` lines.
//!
//! Files are read as bytes and decoded lossily, because the documents carry
//! mangled emoji that are not valid UTF-8. Lines split at `\n` only: the
//! mangling leaves stray `\r` characters inside lines, and those must neither
//! split a line nor shift the line numbers that warnings report.

use std::borrow::Cow;

use chrono::NaiveDate;

use super::diagnostics::Warning;
use super::markup::{self, Marker};
use super::values;

/// One decoded documentation file.
#[derive(Debug)]
pub struct Document {
    path: String,
    lines: Vec<SourceLine>,
}

#[derive(Debug)]
struct SourceLine {
    text: String,
    /// Inside a fenced code block, where nothing is a heading, list or table.
    in_fence: bool,
}

/// A line of a document.
#[derive(Debug, Clone, Copy)]
pub struct Line<'d> {
    /// 1-based.
    pub number: usize,
    pub text: &'d str,
    in_fence: bool,
}

/// A `#`-style heading.
#[derive(Debug, Clone, Copy)]
pub struct Heading<'d> {
    pub level: usize,
    pub line: usize,
    /// The text after the `#`s, markup and markers included.
    pub raw: &'d str,
}

/// A list item: `- text`, `* text`, `+ text`, `3. text` or `3) text`.
#[derive(Debug, Clone, Copy)]
pub struct ListItem<'d> {
    /// Columns of white space before the marker (a tab counts four).
    pub indent: usize,
    /// The number of a numbered item.
    pub ordinal: Option<u64>,
    pub content: &'d str,
}

/// A heading and the lines under it, up to the next heading of the same or a
/// higher level.
#[derive(Debug, Clone, Copy)]
pub struct Section<'d> {
    pub heading: Heading<'d>,
    body: &'d [SourceLine],
}

impl Document {
    /// Decodes `bytes` (lossily) as the document at `path`, relative to the
    /// documentation directory.
    pub fn from_bytes(path: impl Into<String>, bytes: &[u8]) -> Document {
        let text: Cow<'_, str> = String::from_utf8_lossy(bytes);
        let mut in_fence = false;
        let lines = text
            .split('\n')
            .map(|line| {
                let line = line.strip_suffix('\r').unwrap_or(line);
                let is_fence = line.trim_start().starts_with("```");
                let source = SourceLine {
                    text: line.to_string(),
                    in_fence: in_fence || is_fence,
                };
                in_fence ^= is_fence;
                source
            })
            .collect();
        Document {
            path: path.into(),
            lines,
        }
    }

    /// A warning about line `line` of this document.
    pub fn warning(&self, line: usize, message: impl Into<String>) -> Warning {
        Warning {
            file: self.path.clone(),
            line: Some(line),
            message: message.into(),
        }
    }

    pub fn lines(&self) -> impl Iterator<Item = Line<'_>> {
        numbered(&self.lines, 0)
    }

    /// The first paragraph line (not a heading or list item) labelled
    /// `label`, ignoring case, with its value: `**Server**: 10.0.0.1`.
    pub fn labelled_line(&self, label: &str) -> Option<(Line<'_>, String)> {
        self.lines()
            .filter(|line| line.list_item().is_none() && line.heading().is_none())
            .find_map(|line| {
                let (found, value) = markup::label_value(line.text)?;
                found.eq_ignore_ascii_case(label).then_some((line, value))
            })
    }

    /// The date the document gives itself, looked for in this order:
    ///
    /// 1. a labelled paragraph line anywhere, by label in [`DATE_LABELS`]
    ///    order: `*Generated: May 2, 2025*`, `**Last Updated**: …`,
    ///    `*Updated: September 11, 2025*`, `Report date: 2025-09-11`, …;
    /// 2. in the header (the lines before the first `##` heading, at most
    ///    [`HEADER_LINES`]): a paragraph line that starts with such a label
    ///    without a colon (`*Generated on September 11, 2025*`, `As of 11
    ///    September 2025`) or is a date alone (table rows aside), then a
    ///    date in the first `#` title
    ///    (`# Services Overview — September 11, 2025`, `# Overview
    ///    (2025-09-11)`).
    ///
    /// Dates elsewhere (an incident's "as of May 4", a period) never count.
    pub fn stated_date(&self) -> Option<NaiveDate> {
        DATE_LABELS
            .iter()
            .find_map(|label| {
                let (_, value) = self.labelled_line(label)?;
                values::parse_date(&value)
            })
            .or_else(|| self.header_date())
    }

    /// The header's date (step 2 of [`Document::stated_date`]).
    fn header_date(&self) -> Option<NaiveDate> {
        let header: Vec<Line<'_>> = self
            .lines()
            .take(HEADER_LINES)
            .take_while(|line| line.heading().is_none_or(|heading| heading.level == 1))
            .filter(|line| !line.in_fence)
            .collect();
        let from_paragraph = header
            .iter()
            .filter(|line| {
                line.heading().is_none() && line.list_item().is_none() && !line.is_table_row()
            })
            .find_map(|line| {
                let text = markup::plain(line.text);
                let text = text.trim_matches('_').trim();
                let labelled = DATE_LABELS.iter().find_map(|label| {
                    let head = text.get(..label.len())?;
                    let rest = text[label.len()..].strip_prefix(char::is_whitespace)?;
                    head.eq_ignore_ascii_case(label)
                        .then(|| values::parse_date(rest))
                        .flatten()
                });
                labelled.or_else(|| values::parse_date(text).filter(|_| is_date_alone(text)))
            });
        from_paragraph.or_else(|| {
            let title = header.iter().find_map(Line::heading)?;
            values::find_date(&markup::plain(title.raw))
        })
    }

    /// The first section whose heading satisfies `wanted`.
    pub fn section(&self, wanted: impl Fn(&Heading<'_>) -> bool) -> Option<Section<'_>> {
        self.sections(wanted).into_iter().next()
    }

    /// Every section whose heading satisfies `wanted`, in document order.
    pub fn sections(&self, wanted: impl Fn(&Heading<'_>) -> bool) -> Vec<Section<'_>> {
        let headings: Vec<(usize, Heading<'_>)> = self
            .lines()
            .enumerate()
            .filter_map(|(index, line)| line.heading().map(|heading| (index, heading)))
            .collect();
        headings
            .iter()
            .enumerate()
            .filter(|(_, (_, heading))| wanted(heading))
            .map(|(position, &(index, heading))| {
                let end = headings[position + 1..]
                    .iter()
                    .find(|(_, later)| later.level <= heading.level)
                    .map_or(self.lines.len(), |&(later_index, _)| later_index);
                Section {
                    heading,
                    body: &self.lines[index..end],
                }
            })
            .collect()
    }
}

/// The labels a document states its own date under, in order of preference
/// (compared ignoring case).
pub const DATE_LABELS: &[&str] = &[
    "Generated",
    "Generated on",
    "Last Updated",
    "Updated",
    "Report Date",
    "As of",
    "Date",
];

/// How far from the top a document's header may reach.
pub const HEADER_LINES: usize = 20;

/// Whether `text`, which starts with a date, holds nothing else of
/// substance: `September 11, 2025`, `Thursday, 11 September 2025`,
/// `2025-09-11 (final)`, but not `May 4 2025 was quiet`.
fn is_date_alone(text: &str) -> bool {
    let before_remark = text.split('(').next().unwrap_or_default();
    let words = before_remark
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|word| !word.is_empty())
        .count();
    words <= 4
}

fn numbered(lines: &[SourceLine], first_index: usize) -> impl Iterator<Item = Line<'_>> {
    lines.iter().enumerate().map(move |(offset, line)| Line {
        number: first_index + offset + 1,
        text: &line.text,
        in_fence: line.in_fence,
    })
}

impl<'d> Section<'d> {
    /// The lines under the heading (the heading line itself excluded).
    pub fn lines(&self) -> impl Iterator<Item = Line<'d>> + use<'d> {
        numbered(&self.body[1..], self.heading.line)
    }
}

impl<'d> Line<'d> {
    pub fn is_blank(&self) -> bool {
        self.text.trim().is_empty()
    }

    pub fn heading(&self) -> Option<Heading<'d>> {
        if self.in_fence {
            return None;
        }
        let level = self.text.chars().take_while(|&c| c == '#').count();
        let rest = &self.text[level..];
        let is_heading =
            (1..=6).contains(&level) && (rest.is_empty() || rest.starts_with([' ', '\t']));
        is_heading.then(|| Heading {
            level,
            line: self.number,
            raw: rest.trim(),
        })
    }

    pub fn list_item(&self) -> Option<ListItem<'d>> {
        if self.in_fence {
            return None;
        }
        let body = self.text.trim_start();
        let indent = self.text[..self.text.len() - body.len()]
            .chars()
            .map(|c| if c == '\t' { 4 } else { 1 })
            .sum();
        let (ordinal, after_marker) = match body.find(|c: char| !c.is_ascii_digit()) {
            Some(digits @ 1..=9) if body[digits..].starts_with(['.', ')']) => {
                (body[..digits].parse().ok(), &body[digits + 1..])
            }
            _ if body.starts_with(['-', '*', '+']) => (None, &body[1..]),
            _ => return None,
        };
        let content = after_marker.strip_prefix([' ', '\t'])?;
        Some(ListItem {
            indent,
            ordinal,
            content: content.trim(),
        })
    }

    /// A table row: a line starting with `|`.
    pub fn is_table_row(&self) -> bool {
        !self.in_fence && self.text.trim_start().starts_with('|')
    }
}

impl Heading<'_> {
    /// The title without markers, markup or a trailing parenthetical.
    pub fn title(&self) -> String {
        markup::heading_title(self.raw)
    }

    /// The marker the heading starts with, an emoji or a severity word.
    pub fn marker(&self) -> Option<Marker> {
        markup::leading_marker_or_word(self.raw).0
    }

    /// Whether the title contains `words`, ignoring case.
    pub fn mentions(&self, words: &str) -> bool {
        self.title().to_lowercase().contains(&words.to_lowercase())
    }
}

/// The headings enclosing the current line while walking a document top down.
#[derive(Debug, Default)]
pub struct Outline<'d> {
    open: Vec<Heading<'d>>,
}

impl<'d> Outline<'d> {
    /// An outline already inside `heading`.
    pub fn within(heading: Heading<'d>) -> Outline<'d> {
        Outline {
            open: vec![heading],
        }
    }

    /// Steps past `heading`: it closes every heading of its level or deeper.
    pub fn enter(&mut self, heading: Heading<'d>) {
        self.open.retain(|open| open.level < heading.level);
        self.open.push(heading);
    }

    /// The nearest enclosing heading.
    pub fn innermost(&self) -> Option<&Heading<'d>> {
        self.open.last()
    }

    /// The enclosing headings, nearest first.
    pub fn enclosing(&self) -> impl Iterator<Item = &Heading<'d>> {
        self.open.iter().rev()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(text: &str) -> Document {
        Document::from_bytes("test.md", text.as_bytes())
    }

    #[test]
    fn invalid_bytes_and_stray_carriage_returns_keep_line_numbers() {
        let document = Document::from_bytes("x.md", b"# T\xca\n### =\r **A**\r\nthird");
        let lines: Vec<_> = document
            .lines()
            .map(|l| (l.number, l.text.to_string()))
            .collect();
        assert_eq!(
            lines,
            [
                (1, "# T\u{FFFD}".into()),
                (2, "### =\r **A**".into()),
                (3, "third".into())
            ]
        );
    }

    #[test]
    fn labelled_lines_and_stated_dates() {
        let document =
            doc("- **Server**: in a list\n**server**: 10.0.0.1\n*Last Updated: May 2, 2025*");
        let (line, value) = document.labelled_line("Server").unwrap();
        assert_eq!((line.number, value.as_str()), (2, "10.0.0.1"));
        assert_eq!(document.stated_date(), NaiveDate::from_ymd_opt(2025, 5, 2));
        assert_eq!(doc("*Generated: soon*").stated_date(), None);
    }

    fn date(text: &str) -> Option<NaiveDate> {
        doc(text).stated_date()
    }

    #[test]
    fn later_date_labels() {
        let day = NaiveDate::from_ymd_opt(2025, 9, 11);
        for text in [
            "# Overview\n*Updated: September 11, 2025*\n## Table\n",
            "# Overview\n*Last updated: Sep 11, 2025*\n",
            "# Overview\n*Generated on: 11 September 2025*\n",
            "# Overview\n**Report date**: 2025-09-11\n",
            "# Overview\nAs of: Thursday, September 11, 2025\n",
            "# Overview\nDate: 2025-09-11\n",
            "# Overview\n## Table\nrows\n\n**Last Updated**: September 11, 2025\n",
        ] {
            assert_eq!(date(text), day, "{text:?}");
        }
    }

    #[test]
    fn header_dates_without_a_colon() {
        let day = NaiveDate::from_ymd_opt(2025, 9, 11);
        for text in [
            "# Overview\n*Generated on September 11, 2025*\n## Table\n",
            "# Overview\nAs of 11 September 2025\n",
            "# Overview\n_Updated Sep 11, 2025_\n",
            "# Overview\n*September 11, 2025*\n",
            "# Overview\n2025-09-11 (final)\n",
            "# Services Overview — September 11, 2025\nIntro.\n",
            "# Services Overview (2025-09-11)\n",
            "# Services Overview - 11 Sep 2025\n",
        ] {
            assert_eq!(date(text), day, "{text:?}");
        }
    }

    #[test]
    fn dates_outside_the_header_or_in_prose_do_not_count() {
        for text in [
            "# Overview\n## Incidents\nAs of September 11, 2025 the queue stalled\n",
            "# Overview\n## Incidents\n# Later title — September 11, 2025\n",
            "# Overview\n- **Incident #4**: as of September 11, 2025\n",
            "# Overview\n- Updated: September 11, 2025\n",
            "# Overview\nSeptember 11, 2025 was a quiet day for the queue\n",
            "# Overview\nUpdated soon\n",
            "# Overview\n```\nUpdated September 11, 2025\n```\n",
            "# Overview\n| September 11, 2025 | x |\n",
            "# Servers\n| a |\n# Later — September 11, 2025\n",
        ] {
            assert_eq!(date(text), None, "{text:?}");
        }
    }

    #[test]
    fn a_labelled_date_wins_over_the_title() {
        assert_eq!(
            date("# Overview — September 1, 2025\n*Generated: September 11, 2025*\n"),
            NaiveDate::from_ymd_opt(2025, 9, 11)
        );
    }

    #[test]
    fn headings() {
        let document = doc("# Title\n#hashtag\n####### too deep\n## Part\n```\n# code\n```");
        let headings: Vec<_> = document
            .lines()
            .filter_map(|l| l.heading())
            .map(|h| (h.level, h.raw))
            .collect();
        assert_eq!(headings, [(1, "Title"), (2, "Part")]);
    }

    #[test]
    fn list_items() {
        let document = doc("- a\n  * b\n12. c\n3) d\n-not\n**bold**: e\n\t+ f\n1234567890. g");
        let items: Vec<_> = document
            .lines()
            .filter_map(|l| l.list_item())
            .map(|i| (i.indent, i.ordinal, i.content))
            .collect();
        assert_eq!(
            items,
            [
                (0, None, "a"),
                (2, None, "b"),
                (0, Some(12), "c"),
                (0, Some(3), "d"),
                (4, None, "f")
            ]
        );
    }

    #[test]
    fn sections_run_to_the_next_heading_of_their_level() {
        let document = doc("# T\n## A\none\n### A1\ntwo\n## B\nthree");
        let section = document.section(|h| h.title() == "A").unwrap();
        let lines: Vec<_> = section.lines().map(|l| (l.number, l.text)).collect();
        assert_eq!(lines, [(3, "one"), (4, "### A1"), (5, "two")]);
        assert_eq!(document.sections(|h| h.level == 2).len(), 2);
        assert!(document.section(|h| h.mentions("missing")).is_none());
    }

    #[test]
    fn heading_markers_and_titles() {
        let document = doc("### =4 **OUTAGE** (2 open)\n#### **Queue** 🔴");
        let headings: Vec<_> = document.lines().filter_map(|l| l.heading()).collect();
        assert_eq!(headings[0].marker(), Some(Marker::RedCircle));
        assert_eq!(headings[0].title(), "OUTAGE");
        assert_eq!(headings[1].marker(), None);
        assert_eq!(headings[1].title(), "Queue");
    }

    #[test]
    fn outline_tracks_enclosing_headings() {
        let document = doc("## A\n### B\n#### C\n### D");
        let headings: Vec<_> = document.lines().filter_map(|l| l.heading()).collect();
        let mut outline = Outline::default();
        for heading in &headings[..3] {
            outline.enter(*heading);
        }
        let titles: Vec<_> = outline.enclosing().map(|h| h.raw).collect();
        assert_eq!(titles, ["C", "B", "A"]);
        outline.enter(headings[3]);
        let titles: Vec<_> = outline.enclosing().map(|h| h.raw).collect();
        assert_eq!(titles, ["D", "A"]);
        assert_eq!(outline.innermost().map(|h| h.raw), Some("D"));
    }
}
