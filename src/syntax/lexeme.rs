//! The smallest pieces of the language: white space and comments, names,
//! keywords, symbols, numbers and strings.
//!
//! Every lexeme parser skips the white space before it, so a node's span
//! starts at its first real character and ends right after its last one.

use nom::bytes::complete::{tag, take_while, take_while1};
use nom::character::complete::{char, digit1};
use nom::combinator::{opt, recognize};
use nom::{IResult, Input as _, Parser};
use nom_locate::LocatedSpan;

use super::error::SyntaxError;
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

/// Spaces, tabs, newlines that do not end a statement, and `#` comments.
pub fn ws(i: Input) -> PResult<()> {
    let mut rest = i;
    loop {
        let (after, _) =
            take_while(|c: char| c == ' ' || c == '\t' || c == '\r' || c == '\n')(rest)?;
        rest = after;
        if rest.fragment().starts_with('#') {
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

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

fn bare_word(i: Input) -> PResult<Input> {
    recognize((
        take_while1(|c: char| c.is_alphabetic() || c == '_'),
        take_while(is_word_char),
    ))
    .parse(i)
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
        let (rest, body) = take_while(|c| c != '`' && c != '\n')(rest)?;
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
/// exponent, and a K/M/B suffix (thousand, million, billion).
#[derive(Debug, Clone, PartialEq)]
pub enum Number {
    Int(i64),
    Float(f64),
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
                .with_help("numbers may end in K (thousand), M (million) or B (billion)"),
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
