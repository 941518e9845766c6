//! Colours for the REPL's input: keywords, strings, numbers and comments.
//!
//! [`classify`] finds the coloured stretches of a line; [`to_ansi`] wraps
//! them in terminal colour codes. The scan is forgiving: half-typed input
//! (an unclosed string, a stray symbol) is coloured as far as it goes.

use std::ops::Range;

use crate::syntax::lexeme::{CLAUSE_WORDS, EXPRESSION_WORDS, RESERVED};
use crate::syntax::parser::OPERATORS;

/// What a coloured stretch of input is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// Operator names and language words (`where`, `and`, `by`, `let` …).
    Keyword,
    /// A function name before `(`.
    Function,
    /// A quoted string (or file path).
    String,
    /// Numbers, durations, dates.
    Number,
    Comment,
}

/// The coloured stretches of `text`, in order, as byte ranges.
pub fn classify(text: &str) -> Vec<(Range<usize>, Class)> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let start = i;
        match bytes[i] {
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
                out.push((start..i, Class::Comment));
            }
            quote @ (b'"' | b'\'') => {
                i += 1;
                while i < bytes.len() && bytes[i] != quote {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                i = (i + 1).min(bytes.len());
                out.push((start..i, Class::String));
            }
            b'`' => {
                // A backquoted name is a name, not a string.
                i += 1;
                while i < bytes.len() && bytes[i] != b'`' {
                    i += 1;
                }
                i = (i + 1).min(bytes.len());
            }
            b if b.is_ascii_digit() => {
                i = number_end(bytes, i);
                out.push((start..i, Class::Number));
            }
            b if b.is_ascii_alphabetic() || b == b'_' || b >= 0x80 => {
                while i < bytes.len()
                    && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_' || bytes[i] >= 0x80)
                {
                    i += 1;
                }
                let word = &text[start..i];
                let next = text[i..].trim_start().as_bytes().first();
                let keyword = [OPERATORS, RESERVED, EXPRESSION_WORDS, CLAUSE_WORDS]
                    .iter()
                    .any(|words| words.contains(&word));
                if keyword {
                    out.push((start..i, Class::Keyword));
                } else if next == Some(&b'(') {
                    out.push((start..i, Class::Function));
                }
            }
            _ => i += 1,
        }
    }
    out
}

/// Where a number starting at `start` ends: digits with `_` and a
/// fraction, a date or datetime (`2025-11-17T06:00:00`), then a unit or
/// magnitude suffix (`ms`, `1.5K`).
fn number_end(bytes: &[u8], start: usize) -> usize {
    let digits = |mut i: usize| {
        while i < bytes.len() && (bytes[i].is_ascii_digit() || bytes[i] == b'_') {
            i += 1;
        }
        i
    };
    let mut i = digits(start);
    let at = |i: usize| bytes.get(i).copied().unwrap_or(0);
    // A date: dddd-dd-dd, perhaps with a time.
    if i - start == 4 && at(i) == b'-' && at(i + 1).is_ascii_digit() {
        i = digits(i + 1);
        if at(i) == b'-' && at(i + 1).is_ascii_digit() {
            i = digits(i + 1);
        }
        if at(i) == b'T' && at(i + 1).is_ascii_digit() {
            i += 1;
            while i < bytes.len() && (bytes[i].is_ascii_digit() || bytes[i] == b':') {
                i += 1;
            }
        }
        return i;
    }
    if at(i) == b'.' && at(i + 1).is_ascii_digit() {
        i = digits(i + 1);
    }
    while i < bytes.len() && bytes[i].is_ascii_alphabetic() {
        i += 1;
    }
    i
}

/// `text` with its stretches coloured for a terminal.
pub fn to_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 32);
    let mut last = 0;
    for (range, class) in classify(text) {
        out.push_str(&text[last..range.start]);
        let colour = match class {
            Class::Keyword => "\x1b[1;34m",
            Class::Function => "\x1b[36m",
            Class::String => "\x1b[32m",
            Class::Number => "\x1b[33m",
            Class::Comment => "\x1b[90m",
        };
        out.push_str(colour);
        out.push_str(&text[range.clone()]);
        out.push_str("\x1b[0m");
        last = range.end;
    }
    out.push_str(&text[last..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn classes(text: &str) -> Vec<(&str, Class)> {
        classify(text)
            .into_iter()
            .map(|(range, class)| (&text[range], class))
            .collect()
    }

    #[test]
    fn keywords_strings_numbers_and_comments() {
        assert_eq!(
            classes("services | where requests_30d > 10M and service != \"x\" # big"),
            [
                ("where", Class::Keyword),
                ("10M", Class::Number),
                ("and", Class::Keyword),
                ("\"x\"", Class::String),
                ("# big", Class::Comment),
            ]
        );
    }

    #[test]
    fn functions_dates_and_durations() {
        assert_eq!(
            classes("logs | where timestamp > 2025-11-17T06:00:00 - 15m | derive h = bin(t, 1h)"),
            [
                ("where", Class::Keyword),
                ("2025-11-17T06:00:00", Class::Number),
                ("15m", Class::Number),
                ("derive", Class::Keyword),
                ("bin", Class::Function),
                ("1h", Class::Number),
            ]
        );
    }

    #[test]
    fn half_typed_input_is_coloured_as_far_as_it_goes() {
        assert_eq!(
            classes("from \"logs/2025"),
            [("from", Class::Keyword), ("\"logs/2025", Class::String)]
        );
        assert_eq!(classes("`where` x"), []);
    }

    #[test]
    fn ansi_wraps_each_stretch_and_keeps_the_text() {
        let coloured = to_ansi("services | take 5");
        assert_eq!(
            coloured,
            "services | \x1b[1;34mtake\x1b[0m \x1b[33m5\x1b[0m"
        );
        let plain: String = coloured
            .split('\x1b')
            .enumerate()
            .map(|(i, part)| {
                if i == 0 {
                    part
                } else {
                    part.split_once('m').map_or("", |(_, rest)| rest)
                }
            })
            .collect();
        assert_eq!(plain, "services | take 5");
    }
}
