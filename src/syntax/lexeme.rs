//! The smallest pieces of the language: white space and comments, names,
//! keywords, symbols, numbers and strings.
//!
//! Every lexeme parser skips the white space before it, so a node's span
//! starts at its first real character and ends right after its last one.
//! The character classes come from [`super::tokens`], which the rest of
//! the program reads query text with.

use chrono::{NaiveDate, NaiveDateTime};
use nom::bytes::complete::{tag, take_while, take_while1};
use nom::character::complete::{char, digit1};
use nom::combinator::{opt, recognize};
use nom::{IResult, Input as _, Parser};
use nom_locate::LocatedSpan;

use super::error::SyntaxError;
use super::tokens::{COMMENT, is_name_char, is_space, is_word_char, is_word_start};
use crate::diagnostic::Span;

/// Parser input: the text with its offset from the start of the script.
pub type Input<'a> = LocatedSpan<&'a str>;
pub type PResult<'a, T> = IResult<Input<'a>, T, SyntaxError>;

/// Words that cannot be used as bare names (backquote them to use them as
/// column names: `` `null` ``).
pub const RESERVED: &[&str] = &[
    "let",
    "and",
    "or",
    "not",
    "in",
    "is",
    "null",
    "true",
    "false",
    "contains",
    "startswith",
    "endswith",
    "like",
    "matches",
];

/// Words that are not reserved but mean something inside an expression
/// (`case … end`, `over (by …)`): the shell offers and colours them.
pub const EXPRESSION_WORDS: &[&str] = &["case", "when", "then", "else", "end", "over", "by"];

/// Words that are not reserved but shape a statement or an operator: the
/// shell colours them.
pub const CLAUSE_WORDS: &[&str] = &[
    "from", "agg", "on", "as", "asc", "desc", "inner", "left", "semi", "anti",
];

/// Spaces, tabs, newlines that do not end a statement, and `#` comments.
pub fn ws(i: Input) -> PResult<()> {
    let mut rest = i;
    loop {
        let (after, _) = take_while(|c: char| is_space(c) || c == '\n')(rest)?;
        rest = after;
        if rest.fragment().starts_with(COMMENT) {
            let (after, _) = take_while(|c: char| c != '\n')(rest)?;
            rest = after;
        } else {
            return Ok((rest, ()));
        }
    }
}

fn offset(i: &Input) -> usize {
    i.location_offset()
}

/// Runs `parser` after white space and returns its output with its span.
pub fn spanned<'a, O>(
    mut parser: impl Parser<Input<'a>, Output = O, Error = SyntaxError>,
) -> impl FnMut(Input<'a>) -> PResult<'a, (O, Span)> {
    move |i| {
        let (i, _) = ws(i)?;
        let start = offset(&i);
        let (rest, out) = parser.parse(i)?;
        Ok((rest, (out, Span::new(start, offset(&rest)))))
    }
}

/// Turns a failure to start `parser` into "expected `what`" at the place it
/// was tried; a failure further in keeps its own, more precise, message.
pub fn expect<'a, O>(
    what: &'static str,
    mut parser: impl Parser<Input<'a>, Output = O, Error = SyntaxError>,
) -> impl FnMut(Input<'a>) -> PResult<'a, O> {
    move |i| {
        let (i, _) = ws(i)?;
        let start = offset(&i);
        match parser.parse(i) {
            Err(nom::Err::Error(e)) if e.offset <= start && e.message.is_none() => {
                Err(nom::Err::Error(SyntaxError::expected(start, what)))
            }
            other => other,
        }
    }
}

fn bare_word(i: Input) -> PResult<Input> {
    recognize((take_while1(is_word_start), take_while(is_word_char))).parse(i)
}

/// A keyword, whole word only: `keyword("in")` does not match `index`.
pub fn keyword<'a>(word: &'static str) -> impl FnMut(Input<'a>) -> PResult<'a, Span> {
    move |i| {
        let (i, _) = ws(i)?;
        let start = offset(&i);
        match bare_word(i) {
            Ok((rest, w)) if *w.fragment() == word => Ok((rest, Span::new(start, offset(&rest)))),
            _ => Err(nom::Err::Error(SyntaxError::expected(
                start,
                format!("`{word}`"),
            ))),
        }
    }
}

/// A punctuation symbol; `sym("=")` does not match the start of `==`, nor
/// `sym("<")` the start of `<=`.
pub fn sym<'a>(symbol: &'static str) -> impl FnMut(Input<'a>) -> PResult<'a, Span> {
    move |i| {
        let (i, _) = ws(i)?;
        let start = offset(&i);
        let fail = || nom::Err::Error(SyntaxError::expected(start, format!("`{symbol}`")));
        let (rest, _) = tag::<_, _, SyntaxError>(symbol)
            .parse(i)
            .map_err(|_| fail())?;
        let glued = matches!(symbol, "=" | "<" | ">" | "!") && rest.fragment().starts_with('=');
        if glued {
            return Err(fail());
        }
        Ok((rest, Span::new(start, offset(&rest))))
    }
}

/// A name: a bare word that is not reserved, or any text in backquotes.
pub fn ident(i: Input) -> PResult<(String, Span)> {
    let (i, _) = ws(i)?;
    let start = offset(&i);
    if i.fragment().starts_with('`') {
        let (rest, _) = char('`')(i)?;
        let (rest, body) = take_while(is_name_char)(rest)?;
        return match char::<_, SyntaxError>('`')(rest) {
            Ok((rest, _)) if !body.fragment().is_empty() => Ok((
                rest,
                (body.fragment().to_string(), Span::new(start, offset(&rest))),
            )),
            Ok((rest, _)) => Err(nom::Err::Failure(SyntaxError::custom(
                start,
                offset(&rest) - start,
                "empty quoted name",
            ))),
            Err(_) => Err(nom::Err::Failure(SyntaxError::custom(
                start,
                1,
                "unterminated quoted name: a backquote is never closed",
            ))),
        };
    }
    match bare_word(i) {
        Ok((rest, w)) if !RESERVED.contains(w.fragment()) => Ok((
            rest,
            (w.fragment().to_string(), Span::new(start, offset(&rest))),
        )),
        _ => Err(nom::Err::Error(SyntaxError::expected(start, "a name"))),
    }
}

/// A number as written: digits with optional `_` separators, fraction,
/// exponent, and a K/M/B suffix (thousand, million, billion) — or, with a
/// unit, a duration (`500ms`, `30s`, `15m`, `1h`, `7d`, `2w`).
#[derive(Debug, Clone, PartialEq)]
pub enum Number {
    Int(i64),
    Float(f64),
    /// Microseconds.
    Duration(i64),
}

/// Duration units and their length in microseconds. Longer names first so
/// `ms` is not read as `m` followed by `s`.
const DURATION_UNITS: &[(&str, i64)] = &[
    ("ms", 1_000),
    ("us", 1),
    ("s", 1_000_000),
    ("m", 60_000_000),
    ("h", 3_600_000_000),
    ("d", 86_400_000_000),
    ("w", 604_800_000_000),
];

/// The duration unit at the start of `text`, when a whole word.
fn duration_unit(text: &str) -> Option<(&'static str, i64)> {
    DURATION_UNITS.iter().copied().find(|(unit, _)| {
        text.strip_prefix(unit)
            .is_some_and(|after| !after.starts_with(is_word_char))
    })
}

pub fn number(i: Input) -> PResult<(Number, Span)> {
    let (i, _) = ws(i)?;
    let start = offset(&i);
    let digits =
        |i| recognize((digit1, take_while(|c: char| c.is_ascii_digit() || c == '_'))).parse(i);
    let (rest, text) = recognize((
        digits,
        opt((char('.'), digit1)),
        opt((
            nom::character::complete::one_of("eE"),
            opt(nom::character::complete::one_of("+-")),
            digit1,
        )),
    ))
    .parse(i)
    .map_err(|_: nom::Err<SyntaxError>| {
        nom::Err::Error(SyntaxError::expected(start, "a number"))
    })?;
    if let Some((unit, micros)) = duration_unit(rest.fragment()) {
        let (rest, _) = rest.take_split(unit.len());
        let span = Span::new(start, offset(&rest));
        let plain: String = text.fragment().chars().filter(|c| *c != '_').collect();
        let value = match scale_decimal(&plain, 0) {
            Some(Number::Int(n)) => n.checked_mul(micros),
            Some(Number::Float(f)) => {
                let total = f * micros as f64;
                (total.is_finite() && total.abs() < 9.2e18).then(|| total.round() as i64)
            }
            _ => None,
        };
        return match value {
            Some(micros) => Ok((rest, (Number::Duration(micros), span))),
            None => Err(nom::Err::Failure(
                SyntaxError::custom(start, span.end - start, "duration out of range")
                    .with_label("too long"),
            )),
        };
    }
    let (rest, suffix) = opt(nom::character::complete::one_of("KMB")).parse(rest)?;
    if rest.fragment().starts_with(is_word_char) {
        let bad: usize = rest
            .fragment()
            .chars()
            .take_while(|c| is_word_char(*c))
            .map(char::len_utf8)
            .sum();
        let end = offset(&rest) + bad;
        return Err(nom::Err::Failure(
            SyntaxError::custom(start, end - start, "invalid number")
                .with_label("not a number")
                .with_help(
                    "numbers may end in K (thousand), M (million) or B (billion); \
                     durations in ms, s, m, h, d or w",
                ),
        ));
    }
    let span = Span::new(start, offset(&rest));
    let plain: String = text.fragment().chars().filter(|c| *c != '_').collect();
    let scale = match suffix {
        Some('K') => 3,
        Some('M') => 6,
        Some('B') => 9,
        _ => 0,
    };
    match scale_decimal(&plain, scale) {
        Some(n) => Ok((rest, (n, span))),
        None => Err(nom::Err::Failure(SyntaxError::custom(
            start,
            span.end - start,
            "number out of range",
        ))),
    }
}

/// A date or date-time literal: `2025-11-17`, `2025-11-17T06:00`,
/// `2025-11-17T06:00:00.250Z` (no time zone other than `Z`, read as UTC).
#[derive(Debug, Clone, PartialEq)]
pub enum Temporal {
    Date(NaiveDate),
    Datetime(NaiveDateTime),
}

pub fn temporal(i: Input) -> PResult<(Temporal, Span)> {
    let (i, _) = ws(i)?;
    let start = offset(&i);
    let text = *i.fragment();
    let bytes = text.as_bytes();
    let digits_at = |range: std::ops::Range<usize>| {
        bytes
            .get(range)
            .is_some_and(|b| b.iter().all(u8::is_ascii_digit))
    };
    let is_date = digits_at(0..4)
        && bytes.get(4) == Some(&b'-')
        && digits_at(5..7)
        && bytes.get(7) == Some(&b'-')
        && digits_at(8..10);
    if !is_date {
        return Err(nom::Err::Error(SyntaxError::expected(start, "a date")));
    }
    // The literal runs over date and time characters; what follows must
    // not continue a word.
    let mut end = 10;
    if bytes.get(10) == Some(&b'T') {
        end = 11
            + text[11..]
                .find(|c: char| !(c.is_ascii_digit() || matches!(c, ':' | '.' | 'Z')))
                .unwrap_or(text.len() - 11);
    }
    let written = &text[..end];
    let invalid = |message: &str| {
        nom::Err::Failure(
            SyntaxError::custom(start, end, message.to_owned())
                .with_label("not a valid date")
                .with_help("write dates as 2025-11-17 and times as 2025-11-17T06:00:00"),
        )
    };
    if text[end..].starts_with(is_word_char) {
        return Err(invalid("invalid date or time"));
    }
    let (rest, _) = i.take_split(end);
    let span = Span::new(start, offset(&rest));
    if end == 10 {
        let date =
            NaiveDate::parse_from_str(written, "%Y-%m-%d").map_err(|_| invalid("invalid date"))?;
        return Ok((rest, (Temporal::Date(date), span)));
    }
    let body = written.strip_suffix('Z').unwrap_or(written);
    let parsed = ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M"]
        .iter()
        .find_map(|format| NaiveDateTime::parse_from_str(body, format).ok());
    match parsed {
        Some(datetime) => Ok((rest, (Temporal::Datetime(datetime), span))),
        None => Err(invalid("invalid date-time")),
    }
}

/// `text` × 10^`scale`, exactly: an integer when the result is whole and
/// fits in 64 bits, a float otherwise. `None` only for an integer literal
/// too large for 64 bits.
fn scale_decimal(text: &str, scale: u32) -> Option<Number> {
    let has_exponent = text.contains(['e', 'E']);
    if !has_exponent {
        let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
        if fraction.len() as u32 <= scale {
            let padding = "0".repeat((scale - fraction.len() as u32) as usize);
            let digits = format!("{whole}{fraction}{padding}");
            return digits.parse::<i64>().ok().map(Number::Int);
        }
        if scale == 0 {
            return text.parse::<f64>().ok().map(Number::Float);
        }
    }
    let value: f64 = text.parse().ok()?;
    let scaled = value * 10f64.powi(scale as i32);
    Some(Number::Float(scaled))
}

/// A string in double or single quotes, with `\"`, `\'`, `\\`, `\n`, `\t`
/// and `\r` escapes.
pub fn string(i: Input) -> PResult<(String, Span)> {
    let (i, _) = ws(i)?;
    let start = offset(&i);
    let quote = match i.fragment().chars().next() {
        Some(q @ ('"' | '\'')) => q,
        _ => return Err(nom::Err::Error(SyntaxError::expected(start, "a string"))),
    };
    let body = &i.fragment()[1..];
    let mut value = String::new();
    let mut chars = body.char_indices();
    while let Some((at, c)) = chars.next() {
        match c {
            c if c == quote => {
                let consumed = 1 + at + 1;
                let (rest, _) = i.take_split(consumed);
                return Ok((rest, (value, Span::new(start, start + consumed))));
            }
            '\\' => match chars.next() {
                Some((_, 'n')) => value.push('\n'),
                Some((_, 't')) => value.push('\t'),
                Some((_, 'r')) => value.push('\r'),
                Some((_, e @ ('\\' | '"' | '\''))) => value.push(e),
                Some((_, other)) => {
                    return Err(nom::Err::Failure(
                        SyntaxError::custom(
                            start + 1 + at,
                            1 + other.len_utf8(),
                            format!("unknown escape `\\{other}` in string"),
                        )
                        .with_label("not an escape")
                        .with_help("known escapes: \\\" \\' \\\\ \\n \\t \\r"),
                    ));
                }
                None => break,
            },
            c => value.push(c),
        }
    }
    Err(nom::Err::Failure(
        SyntaxError::custom(start, 1, "unterminated string: the quote is never closed")
            .with_label("this quote opens the string")
            .with_help(format!("add a closing {quote}")),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(text: &str) -> Input<'_> {
        Input::new(text)
    }

    #[test]
    fn numbers_with_suffixes_are_exact() {
        let n = |t| number(input(t)).map(|(_, (n, _))| n).ok();
        assert_eq!(n("167"), Some(Number::Int(167)));
        assert_eq!(n("1.5K"), Some(Number::Int(1500)));
        assert_eq!(n("10M"), Some(Number::Int(10_000_000)));
        assert_eq!(n("2B"), Some(Number::Int(2_000_000_000)));
        assert_eq!(n("167.1M"), Some(Number::Int(167_100_000)));
        assert_eq!(n("1_000"), Some(Number::Int(1000)));
        assert_eq!(n("2.5"), Some(Number::Float(2.5)));
        assert_eq!(n("1e3"), Some(Number::Float(1000.0)));
        assert_eq!(n("0.0005K"), Some(Number::Float(0.5)));
    }

    #[test]
    fn durations_are_microseconds() {
        let n = |t| number(input(t)).map(|(_, (n, _))| n).ok();
        assert_eq!(n("30s"), Some(Number::Duration(30_000_000)));
        assert_eq!(n("15m"), Some(Number::Duration(900_000_000)));
        assert_eq!(n("1h"), Some(Number::Duration(3_600_000_000)));
        assert_eq!(n("7d"), Some(Number::Duration(604_800_000_000)));
        assert_eq!(n("250ms"), Some(Number::Duration(250_000)));
        assert_eq!(n("1.5h"), Some(Number::Duration(5_400_000_000)));
        assert_eq!(n("10M"), Some(Number::Int(10_000_000)));
        assert!(matches!(number(input("5sec")), Err(nom::Err::Failure(_))));
    }

    #[test]
    fn dates_and_times() {
        let t = |text| temporal(input(text)).map(|(_, (t, _))| t);
        let day = NaiveDate::from_ymd_opt(2025, 11, 17).unwrap();
        assert_eq!(t("2025-11-17").ok(), Some(Temporal::Date(day)));
        assert_eq!(t("2025-11-17 |").ok(), Some(Temporal::Date(day)));
        assert_eq!(
            t("2025-11-17T06:00").ok(),
            Some(Temporal::Datetime(day.and_hms_opt(6, 0, 0).unwrap()))
        );
        assert_eq!(
            t("2025-11-17T06:00:30Z").ok(),
            Some(Temporal::Datetime(day.and_hms_opt(6, 0, 30).unwrap()))
        );
        assert_eq!(
            t("2025-11-17T06:00:00.250").ok(),
            Some(Temporal::Datetime(
                day.and_hms_milli_opt(6, 0, 0, 250).unwrap()
            ))
        );
        assert!(matches!(t("2025-13-01"), Err(nom::Err::Failure(_))));
        assert!(matches!(t("2025-11-17T25:00"), Err(nom::Err::Failure(_))));
        assert!(matches!(t("2025-11"), Err(nom::Err::Error(_))));
    }

    #[test]
    fn bad_number_suffix_is_an_error() {
        assert!(matches!(number(input("10Mb")), Err(nom::Err::Failure(_))));
        assert!(matches!(
            number(input("99999999999999999999")),
            Err(nom::Err::Failure(_))
        ));
    }

    #[test]
    fn strings_unescape() {
        let s = |t| string(input(t)).map(|(_, (s, _))| s);
        assert_eq!(s(r#""a\"b""#).ok(), Some("a\"b".to_owned()));
        assert_eq!(s("'it''").ok(), Some("it".to_owned()));
        assert_eq!(s(r"'tab\t'").ok(), Some("tab\t".to_owned()));
        assert!(matches!(s("\"open"), Err(nom::Err::Failure(_))));
        assert!(matches!(s(r#""\q""#), Err(nom::Err::Failure(_))));
    }

    #[test]
    fn names_and_keywords() {
        assert_eq!(
            ident(input("  requests_30d x"))
                .map(|(_, (n, s))| (n, s))
                .ok(),
            Some(("requests_30d".to_owned(), Span::new(2, 14)))
        );
        assert_eq!(
            ident(input("`odd name`")).map(|(_, (n, _))| n).ok(),
            Some("odd name".to_owned())
        );
        assert!(ident(input("null")).is_err());
        assert!(keyword("in")(input("index")).is_err());
        assert!(keyword("in")(input("in [1]")).is_ok());
        assert!(sym("=")(input("==")).is_err());
        assert!(sym("==")(input("==")).is_ok());
    }
}
