//! The lexical rules in one place: what a name, a number, a string, a
//! backquoted name, a comment and white space are.
//!
//! The parser's lexemes (`lexeme`) are built from the character classes
//! here; everything else that looks at query text without parsing it —
//! the statement layout, the shell's colours and its completion — reads
//! the text through [`tokens`], a forgiving scan that never fails: half
//! typed input (an unclosed string, a stray symbol) is split as far as it
//! goes, and the tokens always cover the text exactly.

use std::ops::Range;

/// What a token is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Spaces, tabs and carriage returns.
    Space,
    Newline,
    /// `#` to the end of the line (the newline not included).
    Comment,
    /// A string in double or single quotes; `closed` is false when the
    /// closing quote is missing (the token then runs to the end).
    String {
        closed: bool,
    },
    /// A name in backquotes; it cannot span lines, so an unclosed one ends
    /// before the newline.
    Name {
        closed: bool,
    },
    /// A number, a date or a duration as written, with whatever word
    /// characters follow it (`10K`, `5m`, `2025-11-17T06:00`; `12abc`,
    /// which the parser rejects as one invalid number).
    Number,
    /// A bare word: a name or a keyword.
    Word,
    /// Any other character.
    Symbol,
}

/// One token: its kind and its byte range in the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    pub kind: Kind,
    pub range: Range<usize>,
}

/// White space inside a line.
pub fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r')
}

/// The first character of a bare word.
pub fn is_word_start(c: char) -> bool {
    c.is_alphabetic() || c == '_'
}

/// A character that continues a bare word (or a number's suffix).
pub fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// A character that may stand inside backquotes.
pub fn is_name_char(c: char) -> bool {
    c != '`' && c != '\n'
}

/// Starts a comment that runs to the end of the line.
pub const COMMENT: char = '#';

/// The tokens of `text`, in order; together they are the whole text.
pub fn tokens(text: &str) -> Tokens<'_> {
    Tokens { text, at: 0 }
}

/// The iterator [`tokens`] returns.
pub struct Tokens<'a> {
    text: &'a str,
    at: usize,
}

impl Iterator for Tokens<'_> {
    type Item = Token;

    fn next(&mut self) -> Option<Token> {
        let rest = &self.text[self.at..];
        let first = rest.chars().next()?;
        let (kind, len) = match first {
            '\n' => (Kind::Newline, 1),
            c if is_space(c) => (Kind::Space, span_of(rest, is_space)),
            COMMENT => (Kind::Comment, span_of(rest, |c| c != '\n')),
            '"' | '\'' => {
                let (len, closed) = string_len(rest, first);
                (Kind::String { closed }, len)
            }
            '`' => {
                let body = span_of(&rest[1..], is_name_char);
                let closed = rest[1 + body..].starts_with('`');
                (Kind::Name { closed }, 1 + body + usize::from(closed))
            }
            c if c.is_ascii_digit() => (Kind::Number, number_len(rest)),
            c if is_word_start(c) => (Kind::Word, span_of(rest, is_word_char)),
            c => (Kind::Symbol, c.len_utf8()),
        };
        let range = self.at..self.at + len;
        self.at += len;
        Some(Token { kind, range })
    }
}

/// Bytes at the start of `text` whose characters all satisfy `keep`.
fn span_of(text: &str, keep: impl Fn(char) -> bool) -> usize {
    text.find(|c: char| !keep(c)).unwrap_or(text.len())
}

/// The length of the string opening `text` with `quote`, and whether it is
/// closed. A backslash takes the character after it, whatever it is (the
/// parser says which escapes it knows).
fn string_len(text: &str, quote: char) -> (usize, bool) {
    let mut chars = text.char_indices().skip(1);
    while let Some((at, c)) = chars.next() {
        if c == '\\' {
            chars.next();
        } else if c == quote {
            return (at + 1, true);
        }
    }
    (text.len(), false)
}

/// The length of the number (or date) opening `text`.
fn number_len(text: &str) -> usize {
    let bytes = text.as_bytes();
    let at = |i: usize| bytes.get(i).copied().unwrap_or(0);
    let digits = |mut i: usize| {
        while at(i).is_ascii_digit() || at(i) == b'_' {
            i += 1;
        }
        i
    };
    let is_date = (0..4).all(|i| at(i).is_ascii_digit())
        && at(4) == b'-'
        && at(5).is_ascii_digit()
        && at(6).is_ascii_digit()
        && at(7) == b'-'
        && at(8).is_ascii_digit()
        && at(9).is_ascii_digit();
    let mut i = if is_date {
        let mut i = 10;
        if at(10) == b'T' {
            i = 11;
            while at(i).is_ascii_digit() || matches!(at(i), b':' | b'.' | b'Z') {
                i += 1;
            }
        }
        i
    } else {
        let mut i = digits(0);
        if at(i) == b'.' && at(i + 1).is_ascii_digit() {
            i = digits(i + 1);
        }
        let sign = usize::from(matches!(at(i + 1), b'+' | b'-'));
        if matches!(at(i), b'e' | b'E') && at(i + 1 + sign).is_ascii_digit() {
            i = digits(i + 1 + sign);
        }
        i
    };
    // A suffix, a unit, or word characters that make the number invalid.
    i += span_of(&text[i..], is_word_char);
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<(Kind, &str)> {
        tokens(text)
            .map(|t| (t.kind, &text[t.range]))
            .filter(|(k, _)| *k != Kind::Space)
            .collect()
    }

    #[test]
    fn a_query_splits_into_words_symbols_numbers_and_strings() {
        assert_eq!(
            kinds("logs | where status >= 500 and path == \"/a\" # slow"),
            [
                (Kind::Word, "logs"),
                (Kind::Symbol, "|"),
                (Kind::Word, "where"),
                (Kind::Word, "status"),
                (Kind::Symbol, ">"),
                (Kind::Symbol, "="),
                (Kind::Number, "500"),
                (Kind::Word, "and"),
                (Kind::Word, "path"),
                (Kind::Symbol, "="),
                (Kind::Symbol, "="),
                (Kind::String { closed: true }, "\"/a\""),
                (Kind::Comment, "# slow"),
            ]
        );
    }

    #[test]
    fn numbers_take_their_fraction_exponent_suffix_and_dates_their_time() {
        for number in [
            "1_000",
            "1.5K",
            "2e-3",
            "1E+9",
            "500ms",
            "7d",
            "12abc",
            "2025-11-17",
            "2025-11-17T06:00:00.250Z",
        ] {
            assert_eq!(kinds(number), [(Kind::Number, number)], "{number}");
        }
        assert_eq!(
            kinds("2025-1"),
            [
                (Kind::Number, "2025"),
                (Kind::Symbol, "-"),
                (Kind::Number, "1")
            ]
        );
        assert_eq!(
            kinds("1.x"),
            [(Kind::Number, "1"), (Kind::Symbol, "."), (Kind::Word, "x")]
        );
    }

    #[test]
    fn a_backslash_escapes_in_strings_but_not_in_backquoted_names() {
        assert_eq!(
            kinds(r#""a\"b" `c\` d"#),
            [
                (Kind::String { closed: true }, r#""a\"b""#),
                (Kind::Name { closed: true }, r"`c\`"),
                (Kind::Word, "d"),
            ]
        );
    }

    #[test]
    fn unclosed_strings_run_to_the_end_and_names_to_the_line_end() {
        assert_eq!(
            kinds("'abc\ndef"),
            [(Kind::String { closed: false }, "'abc\ndef")]
        );
        assert_eq!(
            kinds("`abc\ndef"),
            [
                (Kind::Name { closed: false }, "`abc"),
                (Kind::Newline, "\n"),
                (Kind::Word, "def"),
            ]
        );
        assert_eq!(kinds("\"a\\"), [(Kind::String { closed: false }, "\"a\\")]);
    }

    #[test]
    fn words_are_unicode_letters_and_other_characters_are_symbols() {
        assert_eq!(
            kinds("débit→x"),
            [
                (Kind::Word, "débit"),
                (Kind::Symbol, "→"),
                (Kind::Word, "x")
            ]
        );
    }

    #[test]
    fn tokens_cover_the_text_exactly() {
        for text in ["", " a\t\r\n#c\n'x", "é`\n\"\\", "0x1F 1e 1e+ 2025-01-01T"] {
            let mut end = 0;
            for token in tokens(text) {
                assert_eq!(token.range.start, end, "{text:?}");
                assert!(token.range.end > token.range.start, "{text:?}");
                end = token.range.end;
            }
            assert_eq!(end, text.len(), "{text:?}");
        }
    }
}
