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
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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

/// A date a text starts with: `August 23, 2025`, `Aug 23 2025`, `2025-08-23`.
pub fn parse_date(text: &str) -> Option<NaiveDate> {
    static WRITTEN: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"^([A-Za-z]+)\.?\s+(\d{1,2}),?\s+(\d{4})\b").expect("static pattern")
    });
    static ISO: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"^(\d{4})-(\d{2})-(\d{2})\b").expect("static pattern"));
    let text = text.trim();
    if let Some(found) = ISO.captures(text) {
        return NaiveDate::from_ymd_opt(
            found[1].parse().ok()?,
            found[2].parse().ok()?,
            found[3].parse().ok()?,
        );
    }
    let found = WRITTEN.captures(text)?;
    NaiveDate::from_ymd_opt(
        found[3].parse().ok()?,
        month_number(&found[1])?,
        found[2].parse().ok()?,
    )
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
