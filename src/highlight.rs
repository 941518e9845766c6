//! Colours for the REPL's input: keywords, strings, numbers and comments.
//!
//! [`classify`] finds the coloured stretches of a line; [`to_ansi`] wraps
//! them in terminal colour codes. It reads the text with the language's own
//! token rules (`syntax::tokens`), which are forgiving: half-typed input
//! (an unclosed string, a stray symbol) is coloured as far as it goes.

use std::ops::Range;

use crate::syntax::lexeme::{CLAUSE_WORDS, EXPRESSION_WORDS, RESERVED};
use crate::syntax::parser::OPERATORS;
use crate::syntax::tokens::{Kind, Token, tokens};

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
    let mut out = Vec::new();
    for Token { kind, range } in tokens(text) {
        let class = match kind {
            Kind::Comment => Class::Comment,
            Kind::String { .. } => Class::String,
            Kind::Number => Class::Number,
            Kind::Word => {
                let word = &text[range.clone()];
                let keyword = [OPERATORS, RESERVED, EXPRESSION_WORDS, CLAUSE_WORDS]
                    .iter()
                    .any(|words| words.contains(&word));
                if keyword {
                    Class::Keyword
                } else if text[range.end..].trim_start().starts_with('(') {
                    Class::Function
                } else {
                    continue;
                }
            }
            // A backquoted name is a name, not a string.
            Kind::Name { .. } | Kind::Space | Kind::Newline | Kind::Symbol => continue,
        };
        out.push((range, class));
    }
    out
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
    fn diff_latest_and_at_are_keywords() {
        assert_eq!(
            classes("t | at 2 | diff (t | latest) on k"),
            [
                ("at", Class::Keyword),
                ("2", Class::Number),
                ("diff", Class::Keyword),
                ("latest", Class::Keyword),
                ("on", Class::Keyword),
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
