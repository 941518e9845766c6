//! Numbers and dates as the documents write them: `167.1M`, `58,326,431`,
//! `89.83%`, `1396s`, `August 23, 2025`, `July 24 - August 23, 2025`.
//!
//! Numbers stay exact decimals all the way: `167.1M` must become 167100000,
//! which a detour through `f64` does not guarantee. Counts and percentages in
//! the documents are never negative, so a leading `-` means "no value".

use std::fmt;
use std::sync::LazyLock;

use chrono::{Datelike, NaiveDate};
use regex::Regex;

use super::diagnostics::Warning;

/// One number as written: digits with optional thousands commas and decimals.
const NUMBER: &str = r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?";

/// An exact non-negative decimal: `units / 10^scale`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Decimal {
    units: u128,
    scale: u32,
}

impl Decimal {
    /// Parses a whole number token such as `58,326,431` or `89.83`.
    pub fn parse(text: &str) -> Option<Decimal> {
        let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
        let digits: String = whole
            .chars()
            .filter(|c| *c != ',')
            .chain(fraction.chars())
            .collect();
        if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
            return None;
        }
        Some(Decimal {
            units: digits.parse().ok()?,
            scale: u32::try_from(fraction.len()).ok()?,
        })
    }

    /// `self × 10^exponent`, exactly (`None` on overflow).
    fn scaled_up(self, exponent: u32) -> Option<Decimal> {
        if exponent <= self.scale {
            return Some(Decimal {
                units: self.units,
                scale: self.scale - exponent,
            });
        }
        let factor = 10u128.checked_pow(exponent - self.scale)?;
        Some(Decimal {
            units: self.units.checked_mul(factor)?,
            scale: 0,
        })
    }

    /// The value as an integer, when it is one and fits.
    pub fn to_i64(self) -> Option<i64> {
        let divisor = 10u128.checked_pow(self.scale)?;
        if !self.units.is_multiple_of(divisor) {
            return None;
        }
        i64::try_from(self.units / divisor).ok()
    }
}

impl fmt::Display for Decimal {
    /// Writes the digits as given, trailing zeros included (`42.10` stays `42.10`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scale = self.scale as usize;
        let digits = format!("{:0>width$}", self.units, width = scale + 1);
        let (whole, fraction) = digits.split_at(digits.len() - scale);
        if fraction.is_empty() {
            f.write_str(whole)
        } else {
            write!(f, "{whole}.{fraction}")
        }
    }
}

/// What a text that should hold a number turned out to say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reading<T> {
    /// It holds the number.
    Value(T),
    /// It says there is no value: `-`, `No data`, `None detected`, `Unknown`, empty.
    Absent,
    /// It holds something else (`Active`): worth a warning.
    Unreadable,
}

impl<T> Reading<T> {
    /// The value, if any; an unreadable text adds the warning `unreadable` builds.
    pub fn or_warn(
        self,
        warnings: &mut Vec<Warning>,
        unreadable: impl FnOnce() -> Warning,
    ) -> Option<T> {
        match self {
            Reading::Value(value) => Some(value),
            Reading::Absent => None,
            Reading::Unreadable => {
                warnings.push(unreadable());
                None
            }
        }
    }

    /// The value, if any, without a word about unreadable text.
    pub fn value(self) -> Option<T> {
        match self {
            Reading::Value(value) => Some(value),
            Reading::Absent | Reading::Unreadable => None,
        }
    }

    /// A reading of `text` that found no number in it.
    fn missing(text: &str) -> Reading<T> {
        if says_absent(text) {
            Reading::Absent
        } else {
            Reading::Unreadable
        }
    }
}

/// Whether a text without a number states that there is none, rather than
/// holding something unexpected.
pub fn says_absent(text: &str) -> bool {
    static ABSENCE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?i)\b(?:no|none|unknown|unable|unavailable|n/a)\b").expect("static pattern")
    });
    let text = text.trim();
    text.chars().all(|c| matches!(c, '-' | '–' | '—' | ' ')) || ABSENCE.is_match(text)
}

/// Multiplier exponents of the suffixes the documents use: `24K`, `167.1M`, `1.2B`.
fn suffix_exponent(suffix: &str) -> Option<u32> {
    match suffix {
        "" => Some(0),
        "K" | "k" => Some(3),
        "M" => Some(6),
        "B" => Some(9),
        _ => None,
    }
}

/// An integer from a number token and its suffix (`"167.1"`, `"M"`).
pub fn suffixed_integer(number: &str, suffix: &str) -> Option<i64> {
    Decimal::parse(number)?
        .scaled_up(suffix_exponent(suffix)?)?
        .to_i64()
}

/// The count a text starts with: `167.1M`, `~12.5M`, `1.26M+`, `4.0M (2d)`,
/// `5.0M web requests (30 days)`, `49 currently open`. Whatever follows the
/// count is commentary.
pub fn leading_count(text: &str) -> Reading<i64> {
    static LEADING: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(&format!(
            r"^[~≈]?\s*({NUMBER})([KkMB])?\+?(?:$|[^\p{{L}}\d])"
        ))
        .expect("static pattern")
    });
    let text = text.trim();
    match LEADING.captures(text) {
        Some(found) => {
            let suffix = found.get(2).map_or("", |m| m.as_str());
            suffixed_integer(&found[1], suffix).map_or(Reading::Unreadable, Reading::Value)
        }
        None => Reading::missing(text),
    }
}

/// A count as a document writes it, with the period it covers: `4.0M (2d)`,
/// `350K/day`, `1.26M+`, `5.0M web requests (30 days)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Figure {
    /// The number as written: `4.0M` → 4000000, `350K/day` → 350000.
    pub value: i64,
    /// The period the figure covers, in hours, when the text writes one: `(2d)`
    /// → 48, `/day` → 24, `(30 days)` and `(month)` → 720 (a month counts 30
    /// days).
    pub period_hours: Option<u32>,
    /// Written as a rate (`350K/day`, `12K per week`, `5K daily`) rather than
    /// a total over its period.
    pub rate: bool,
    /// Written as a lower bound: `1.26M+`, `>1.2M`, `≥1.2M`.
    pub at_least: bool,
}

/// Hours in the 30-day window the documents' `_30d` figures cover.
pub const THIRTY_DAYS_IN_HOURS: u32 = 30 * 24;

impl Figure {
    /// Whether it is a figure over 30 days: no period written, or 30 days
    /// (or a month) stated.
    pub fn is_30_day(&self) -> bool {
        self.period_hours
            .is_none_or(|hours| hours == THIRTY_DAYS_IN_HOURS)
    }

    /// Written as a daily rate (`350K/day`).
    pub fn per_day(&self) -> bool {
        self.rate && self.period_hours == Some(24)
    }

    /// The period in whole days, taking an unwritten one as 30 days.
    pub fn days(&self) -> Option<u32> {
        match self.period_hours {
            None => Some(30),
            Some(hours) => hours.is_multiple_of(24).then_some(hours / 24),
        }
    }

    /// The period as a short label: `30d`, `2d`, or `12h` when it is not whole days.
    pub fn period_label(&self) -> String {
        match (self.days(), self.period_hours) {
            (Some(days), _) => format!("{days}d"),
            (None, Some(hours)) => format!("{hours}h"),
            (None, None) => unreachable!("an unwritten period is 30 days"),
        }
    }

    /// What the figure is, for a warning: `a figure over 2 days`, `a daily rate`.
    pub fn describe(&self) -> String {
        let span = match (self.days(), self.period_hours) {
            (Some(1), _) => "1 day".to_string(),
            (Some(days), _) => format!("{days} days"),
            (None, Some(1)) => "1 hour".to_string(),
            (None, Some(hours)) => format!("{hours} hours"),
            (None, None) => unreachable!("an unwritten period is 30 days"),
        };
        match (self.rate, self.days()) {
            (true, Some(1)) => "a daily rate".to_string(),
            (true, _) => format!("a rate per {span}"),
            (false, _) => format!("a figure over {span}"),
        }
    }
}

/// The units a period is written in, with their length in hours.
fn unit_hours(unit: &str) -> Option<u32> {
    match unit.to_lowercase().as_str() {
        "h" | "hr" | "hrs" | "hour" | "hours" | "hourly" => Some(1),
        "d" | "day" | "days" | "daily" => Some(24),
        "w" | "wk" | "wks" | "week" | "weeks" | "weekly" => Some(7 * 24),
        "mo" | "month" | "months" | "monthly" => Some(THIRTY_DAYS_IN_HOURS),
        _ => None,
    }
}

/// The figure a text starts with (see [`Figure`]). The period is a rate
/// right after the count (`350K/day`, `350K requests per day`, `5K daily`),
/// else the first period written after it: a parenthesis opening with one
/// (`(2d)`, `(30 days)`, `(7-day window)`, `(last 7 days)`, `(month)`) or a
/// phrase such as `over 2 days` or `in the past week`. Other text after the
/// count is commentary, as for [`leading_count`].
pub fn leading_figure(text: &str) -> Reading<Figure> {
    static LEADING: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(&format!(
            r"^(>=|≥|>)?\s*[~≈]?\s*({NUMBER})([KkMB])?(\+)?(?:$|[^\p{{L}}\d])"
        ))
        .expect("static pattern")
    });
    static RATE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r"(?i)^(?:\s*\p{L}+){0,2}?(?:\s*/\s*|\s+per\s+|\s+an?\s+)(hours?|hrs?|h|days?|d|weeks?|wks?|w|months?|mo)\b|^(?:\s*\p{L}+){0,2}?\s+(hourly|daily|weekly|monthly)\b",
        )
        .expect("static pattern")
    });
    static PERIOD: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r"(?i)(?:\(\s*|\b(?:over|in|during|for)\s+)(?:the\s+)?(?:(?:last|past|previous|prior)\s+)?(?:(\d+)\s*-?\s*)?(hours?|hrs?|h|days?|d|weeks?|wks?|w|months?|mo)\b",
        )
        .expect("static pattern")
    });
    let text = text.trim();
    let Some(found) = LEADING.captures(text) else {
        return Reading::missing(text);
    };
    let suffix = found.get(3).map_or("", |m| m.as_str());
    let Some(value) = suffixed_integer(&found[2], suffix) else {
        return Reading::Unreadable;
    };
    let number_end = [found.get(4), found.get(3), found.get(2)]
        .into_iter()
        .flatten()
        .map(|m| m.end())
        .max()
        .unwrap_or(0);
    let after = &text[number_end..];
    let mut figure = Figure {
        value,
        period_hours: None,
        rate: false,
        at_least: found.get(1).is_some() || found.get(4).is_some(),
    };
    if let Some(rate) = RATE.captures(after) {
        let unit = rate.get(1).or(rate.get(2)).map_or("", |m| m.as_str());
        figure.period_hours = unit_hours(unit);
        figure.rate = true;
        return Reading::Value(figure);
    }
    for period in PERIOD.captures_iter(after) {
        let unit = &period[2];
        let count = match period.get(1) {
            Some(count) => count.as_str().parse::<u32>().ok(),
            // `(month)`, `over the past week`; not `(d)` or `over days`.
            None if unit.len() > 2 && !unit.ends_with(['s', 'S']) => Some(1),
            None => continue,
        };
        let Some(hours) = count
            .zip(unit_hours(unit))
            .and_then(|(n, h)| n.checked_mul(h))
        else {
            return Reading::Unreadable;
        };
        figure.period_hours = Some(hours);
        break;
    }
    Reading::Value(figure)
}

/// A duration in seconds that a text starts with: `1396s`, `520`.
pub fn leading_seconds(text: &str) -> Reading<Decimal> {
    static SECONDS: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(&format!(
            r"^({NUMBER})\s*(?:s|sec|secs|seconds)?(?:$|[^\p{{L}}\d])"
        ))
        .expect("static pattern")
    });
    let text = text.trim();
    match SECONDS.captures(text) {
        Some(found) => Decimal::parse(&found[1]).map_or(Reading::Unreadable, Reading::Value),
        None => Reading::missing(text),
    }
}

/// The first percentage anywhere in a text: `97.50% (…)`, `Great (0.42% - tiny)`.
pub fn first_percent(text: &str) -> Reading<Decimal> {
    static PERCENT: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(&format!(r"({NUMBER})\s*%")).expect("static pattern"));
    match PERCENT.captures(text) {
        Some(found) => Decimal::parse(&found[1]).map_or(Reading::Unreadable, Reading::Value),
        None => Reading::missing(text),
    }
}

/// A pattern matching a percentage followed by `label` (`71.25% uptime`,
/// `3.5% error rate`), for [`find_percent`]. Meant for statics built from
/// constant labels.
pub fn percent_before(label: &str) -> Regex {
    Regex::new(&format!(r"({NUMBER})\s*%\s*(?i:{})", regex::escape(label))).expect("static pattern")
}

/// The first percentage `pattern` (built by [`percent_before`]) finds in `text`.
pub fn find_percent(pattern: &Regex, text: &str) -> Option<Decimal> {
    Decimal::parse(&pattern.captures(text)?[1])
}

/// The share in a parenthesis: `(34.7%)` → 34.7. A bound such as `(<0.1%)`
/// is not a share, so it gives nothing.
pub fn share_percent(text: &str) -> Option<Decimal> {
    static SHARE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(&format!(r"\(\s*(<)?\s*({NUMBER})\s*%\s*\)")).expect("static pattern")
    });
    let found = SHARE.captures(text)?;
    match found.get(1) {
        Some(_) => None,
        None => Decimal::parse(&found[2]),
    }
}

/// A pattern matching a count (with optional suffix and `+`) followed by
/// `noun`, a regex fragment matched ignoring case, for [`find_count`].
/// Meant for statics built from constant fragments: an invalid one panics.
pub fn count_before(noun: &str) -> Regex {
    Regex::new(&format!(r"\b({NUMBER})([KkMB])?\+?\s+(?i:{noun})\b")).expect("static pattern")
}

/// The first count `pattern` (built by [`count_before`]) finds in `text`.
pub fn find_count(pattern: &Regex, text: &str) -> Option<i64> {
    let found = pattern.captures(text)?;
    suffixed_integer(&found[1], found.get(2).map_or("", |m| m.as_str()))
}

/// The month a (possibly abbreviated) English month name stands for.
fn month_number(name: &str) -> Option<u32> {
    const MONTHS: [&str; 12] = [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ];
    let name = name.to_ascii_lowercase();
    if name.len() < 3 {
        return None;
    }
    let index = MONTHS.iter().position(|month| month.starts_with(&name))?;
    u32::try_from(index + 1).ok()
}

/// A date a text starts with: `August 23, 2025`, `Aug 23 2025`, `Sep. 11th,
/// 2025`, `11 September 2025`, `2025-08-23`, each after an optional weekday
/// (`Thursday, 11 September 2025`).
pub fn parse_date(text: &str) -> Option<NaiveDate> {
    static WEEKDAY: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"^(?i:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,?\s+").expect("static pattern")
    });
    static MONTH_FIRST: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"^([A-Za-z]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})\b")
            .expect("static pattern")
    });
    static DAY_FIRST: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"^(\d{1,2})(?:st|nd|rd|th)?\s+([A-Za-z]+)\.?,?\s+(\d{4})\b")
            .expect("static pattern")
    });
    static ISO: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"^(\d{4})-(\d{2})-(\d{2})\b").expect("static pattern"));
    let text = text.trim();
    let text = WEEKDAY
        .find(text)
        .map_or(text, |weekday| &text[weekday.end()..]);
    if let Some(found) = ISO.captures(text) {
        return NaiveDate::from_ymd_opt(
            found[1].parse().ok()?,
            found[2].parse().ok()?,
            found[3].parse().ok()?,
        );
    }
    let (year, month, day) = match MONTH_FIRST.captures(text) {
        Some(found) => (found[3].parse(), month_number(&found[1]), found[2].parse()),
        None => {
            let found = DAY_FIRST.captures(text)?;
            (found[3].parse(), month_number(&found[2]), found[1].parse())
        }
    };
    NaiveDate::from_ymd_opt(year.ok()?, month?, day.ok()?)
}

/// The first date anywhere in `text` that [`parse_date`] reads:
/// `Services Overview — September 11, 2025` or `Overview (2025-09-11)`.
pub fn find_date(text: &str) -> Option<NaiveDate> {
    static CANDIDATE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r"\b(?:\d{4}-\d{2}-\d{2}|[A-Za-z]+\.?\s+\d{1,2}(?:st|nd|rd|th)?,?\s+\d{4}|\d{1,2}(?:st|nd|rd|th)?\s+[A-Za-z]+\.?,?\s+\d{4})\b",
        )
        .expect("static pattern")
    });
    CANDIDATE
        .find_iter(text)
        .find_map(|found| parse_date(found.as_str()))
}

/// A period such as `July 24 - August 23, 2025 (30 days)`. A start without a
/// year takes the end's year, or the year before when it would otherwise
/// come after the end (`December 20 - January 19, 2026`).
pub fn parse_period(text: &str) -> Option<(NaiveDate, NaiveDate)> {
    static PERIOD: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"^([A-Za-z]+)\.?\s+(\d{1,2})(?:,?\s+(\d{4}))?\s*[-–—]\s*(.+)$")
            .expect("static pattern")
    });
    let found = PERIOD.captures(text.trim())?;
    let end = parse_date(&found[4])?;
    let month = month_number(&found[1])?;
    let day = found[2].parse().ok()?;
    let start = match found.get(3) {
        Some(year) => NaiveDate::from_ymd_opt(year.as_str().parse().ok()?, month, day)?,
        None => {
            let same_year = NaiveDate::from_ymd_opt(end.year(), month, day)?;
            if same_year <= end {
                same_year
            } else {
                NaiveDate::from_ymd_opt(end.year() - 1, month, day)?
            }
        }
    };
    Some((start, end))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(text: &str) -> Reading<i64> {
        leading_count(text)
    }

    fn decimal(text: &str) -> String {
        Decimal::parse(text)
            .map(|d| d.to_string())
            .unwrap_or_default()
    }

    fn date(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn suffixed_counts_are_exact() {
        assert_eq!(count("167.1M"), Reading::Value(167_100_000));
        assert_eq!(count("24K"), Reading::Value(24_000));
        assert_eq!(count("0.2M"), Reading::Value(200_000));
        assert_eq!(count("1.2B"), Reading::Value(1_200_000_000));
        assert_eq!(count("58,326,431"), Reading::Value(58_326_431));
        assert_eq!(count("0"), Reading::Value(0));
    }

    #[test]
    fn counts_ignore_what_follows_them() {
        assert_eq!(count("1.26M+"), Reading::Value(1_260_000));
        assert_eq!(count("4.0M (2d)"), Reading::Value(4_000_000));
        assert_eq!(count("~12.5M across"), Reading::Value(12_500_000));
        assert_eq!(
            count("5.0M web requests (30 days)"),
            Reading::Value(5_000_000)
        );
        assert_eq!(count("49 currently open - severe"), Reading::Value(49));
        assert_eq!(count("2,345+ failures"), Reading::Value(2_345));
    }

    #[test]
    fn stated_absence_is_not_zero() {
        for text in [
            "-",
            "",
            "No data",
            "None detected",
            "Unknown",
            "No traffic seen (30 days)",
        ] {
            assert_eq!(count(text), Reading::Absent, "{text:?}");
        }
    }

    #[test]
    fn other_text_is_unreadable() {
        assert_eq!(count("Active"), Reading::Unreadable);
        assert_eq!(count("1396s"), Reading::Unreadable);
        assert_eq!(count("1.2345K"), Reading::Unreadable, "not a whole number");
        assert_eq!(
            count("99999999999999999999"),
            Reading::Unreadable,
            "too large"
        );
    }

    fn figure(text: &str) -> Figure {
        match leading_figure(text) {
            Reading::Value(figure) => figure,
            other => panic!("{text:?}: {other:?}"),
        }
    }

    /// (value, period label, per_day, at_least, is_30_day)
    fn figure_facts(text: &str) -> (i64, String, bool, bool, bool) {
        let found = figure(text);
        (
            found.value,
            found.period_label(),
            found.per_day(),
            found.at_least,
            found.is_30_day(),
        )
    }

    #[test]
    fn figures_without_a_period_are_30_day_figures() {
        assert_eq!(
            figure_facts("167.1M"),
            (167_100_000, "30d".into(), false, false, true)
        );
        assert_eq!(figure("167.1M").period_hours, None);
        assert_eq!(
            figure_facts("58,326,431 requests - busiest"),
            (58_326_431, "30d".into(), false, false, true)
        );
        assert_eq!(
            figure_facts("~12.5M across 6 services"),
            (12_500_000, "30d".into(), false, false, true)
        );
    }

    #[test]
    fn figures_over_a_stated_period() {
        assert_eq!(
            figure_facts("4.0M (2d)"),
            (4_000_000, "2d".into(), false, false, false)
        );
        assert_eq!(
            figure_facts("1.2M (7d)"),
            (1_200_000, "7d".into(), false, false, false)
        );
        assert_eq!(
            figure_facts("4.0M web requests (2 days)"),
            (4_000_000, "2d".into(), false, false, false)
        );
        assert_eq!(
            figure_facts("5.0M web requests (30 days) - **BUSY**"),
            (5_000_000, "30d".into(), false, false, true)
        );
        assert_eq!(
            figure_facts("5.0M (30d)"),
            (5_000_000, "30d".into(), false, false, true)
        );
        assert_eq!(
            figure_facts("5.0M (month)"),
            (5_000_000, "30d".into(), false, false, true)
        );
        assert_eq!(
            figure_facts("9K jobs (7-day window)"),
            (9_000, "7d".into(), false, false, false)
        );
        assert_eq!(
            figure_facts("9K jobs over the past week"),
            (9_000, "7d".into(), false, false, false)
        );
        assert_eq!(
            figure_facts("9K (last 14 days)"),
            (9_000, "14d".into(), false, false, false)
        );
        assert_eq!(
            figure_facts("9K (48 hours)"),
            (9_000, "2d".into(), false, false, false)
        );
        assert_eq!(
            figure_facts("9K (12h)"),
            (9_000, "12h".into(), false, false, false)
        );
        assert_eq!(figure("9K (12h)").days(), None);
    }

    #[test]
    fn rates_and_bounds() {
        assert_eq!(
            figure_facts("350K/day"),
            (350_000, "1d".into(), true, false, false)
        );
        assert_eq!(
            figure_facts("350K requests per day"),
            (350_000, "1d".into(), true, false, false)
        );
        assert_eq!(
            figure_facts("350K daily (30 days)"),
            (350_000, "1d".into(), true, false, false)
        );
        assert_eq!(
            figure_facts("2M/week"),
            (2_000_000, "7d".into(), false, false, false)
        );
        assert!(figure("2M/week").rate);
        assert_eq!(
            figure_facts("9M/month"),
            (9_000_000, "30d".into(), false, false, true)
        );
        assert_eq!(
            figure_facts("1.26M+"),
            (1_260_000, "30d".into(), false, true, true)
        );
        assert_eq!(
            figure_facts(">1.2M (2d)"),
            (1_200_000, "2d".into(), false, true, false)
        );
        assert_eq!(
            figure_facts("≥ 20K"),
            (20_000, "30d".into(), false, true, true)
        );
    }

    #[test]
    fn figure_descriptions() {
        assert_eq!(figure("4.0M (2d)").describe(), "a figure over 2 days");
        assert_eq!(figure("4.0M (1 day)").describe(), "a figure over 1 day");
        assert_eq!(figure("4.0M (12h)").describe(), "a figure over 12 hours");
        assert_eq!(figure("350K/day").describe(), "a daily rate");
        assert_eq!(figure("2M/week").describe(), "a rate per 7 days");
    }

    #[test]
    fn words_that_are_not_periods() {
        for text in [
            "4.0M (d)",
            "4.0M over days",
            "4.0M (no period)",
            "4.0M - down 2 days ago",
            "4.0M hard drives",
        ] {
            assert_eq!(figure(text).period_hours, None, "{text:?}");
        }
        assert_eq!(leading_figure("No data"), Reading::Absent);
        assert_eq!(leading_figure("Active"), Reading::Unreadable);
        assert_eq!(leading_figure("9K (99999999999 days)"), Reading::Unreadable);
    }

    #[test]
    fn seconds_and_percentages() {
        assert_eq!(
            leading_seconds("1396s")
                .or_warn(&mut vec![], || unreachable!())
                .map(|d| d.to_string()),
            Some("1396".into())
        );
        assert_eq!(leading_seconds("-"), Reading::Absent);
        assert_eq!(
            first_percent("89.83%"),
            Reading::Value(Decimal::parse("89.83").unwrap())
        );
        assert_eq!(
            first_percent("Great (0.42% - tiny)"),
            Reading::Value(Decimal::parse("0.42").unwrap())
        );
        assert_eq!(
            first_percent("Fine (no monitor errors seen)"),
            Reading::Absent
        );
        assert_eq!(first_percent("Excellent"), Reading::Unreadable);
    }

    #[test]
    fn percentages_by_label() {
        let note = "Heavy load, 71.25% uptime, 3.5% Error Rate";
        let uptime = percent_before("uptime");
        let error_rate = percent_before("error rate");
        let shown = |found: Option<Decimal>| found.map(|d| d.to_string());
        assert_eq!(shown(find_percent(&uptime, note)), Some("71.25".into()));
        assert_eq!(shown(find_percent(&error_rate, note)), Some("3.5".into()));
        assert_eq!(find_percent(&uptime, "Quiet, stable"), None);
    }

    #[test]
    fn shares_in_parentheses() {
        assert_eq!(
            share_percent("- 12 requests (34.7%)").map(|d| d.to_string()),
            Some("34.7".into())
        );
        assert_eq!(
            share_percent("- 12 requests (0.0%)").map(|d| d.to_string()),
            Some("0.0".into())
        );
        assert_eq!(share_percent("- 3 requests (<0.1%)"), None);
        assert_eq!(share_percent("- 3 requests (no error data)"), None);
    }

    #[test]
    fn decimals_keep_their_written_digits() {
        assert_eq!(decimal("42.10"), "42.10");
        assert_eq!(decimal("0.11"), "0.11");
        assert_eq!(decimal("1,224"), "1224");
        assert_eq!(decimal("1.2.3"), "");
        assert_eq!(Decimal::parse("0.05").unwrap().to_string(), "0.05");
    }

    #[test]
    fn counts_before_a_noun() {
        let requests = count_before("requests?");
        assert_eq!(find_count(&requests, ": 1 request"), Some(1));
        assert_eq!(
            find_count(&requests, " - 58,326,431 requests (34.7%)"),
            Some(58_326_431)
        );
        assert_eq!(find_count(&requests, " - 2.5M requests"), Some(2_500_000));
        assert_eq!(find_count(&requests, " - landing page"), None);
    }

    #[test]
    fn later_date_forms() {
        let day = Some(date("2025-09-11"));
        for text in [
            "11 September 2025",
            "11 Sep 2025",
            "11th September, 2025",
            "Sep 11, 2025",
            "Sept. 11, 2025",
            "September 11th, 2025",
            "Thursday, September 11, 2025",
            "Thu 11 Sep 2025 at 10:00",
        ] {
            assert_eq!(parse_date(text), day, "{text:?}");
        }
        assert_eq!(parse_date("31 February 2025"), None);
        assert_eq!(parse_date("11 Smarch 2025"), None);
    }

    #[test]
    fn dates_found_inside_text() {
        let day = Some(date("2025-09-11"));
        assert_eq!(find_date("Services Overview — September 11, 2025"), day);
        assert_eq!(find_date("Services Overview (2025-09-11)"), day);
        assert_eq!(find_date("Report of 11 September 2025, final"), day);
        assert_eq!(find_date("Week 37: Smarch 11, 2025 or 2025-09-11"), day);
        assert_eq!(find_date("Services Overview"), None);
    }

    #[test]
    fn dates() {
        assert_eq!(parse_date("August 23, 2025"), Some(date("2025-08-23")));
        assert_eq!(parse_date("Aug 4 2025  "), Some(date("2025-08-04")));
        assert_eq!(parse_date("2025-08-24"), Some(date("2025-08-24")));
        assert_eq!(parse_date("February 30, 2025"), None);
        assert_eq!(parse_date("Ma 3, 2025"), None);
        assert_eq!(parse_date("soon"), None);
    }

    #[test]
    fn periods_infer_the_start_year() {
        assert_eq!(
            parse_period("July 24 - August 23, 2025 (30 days)"),
            Some((date("2025-07-24"), date("2025-08-23")))
        );
        assert_eq!(
            parse_period("December 20 – January 19, 2026"),
            Some((date("2025-12-20"), date("2026-01-19")))
        );
        assert_eq!(
            parse_period("March 1, 2024 - March 31, 2024"),
            Some((date("2024-03-01"), date("2024-03-31")))
        );
        assert_eq!(parse_period("last month"), None);
    }
}
