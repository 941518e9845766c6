//! Syntax errors: where parsing stopped and what would have been accepted.
//!
//! The parser keeps the error that got furthest into the text; errors at the
//! same place merge their expectations, so the message can list every token
//! that would have been accepted there ("expected `|`, `;` or end of input").

use nom::error::{ErrorKind, ParseError};

use super::lexeme::Input;
use crate::diagnostic::{Diagnostic, Span};

#[derive(Debug, Clone, PartialEq)]
pub struct SyntaxError {
    /// Byte offset where the parser could not go on.
    pub offset: usize,
    /// What would have been accepted there, for the "expected …" line.
    pub expected: Vec<String>,
    /// A specific message that replaces the "expected …" one (an
    /// unterminated string, a misspelt operator).
    pub message: Option<String>,
    /// The length of the offending text, when known.
    pub len: usize,
    /// Words beside the caret, for specific messages.
    pub label: Option<String>,
    pub help: Option<String>,
}

impl SyntaxError {
    pub fn expected(offset: usize, what: impl Into<String>) -> Self {
        SyntaxError {
            offset,
            expected: vec![what.into()],
            message: None,
            len: 0,
            label: None,
            help: None,
        }
    }

    pub fn custom(offset: usize, len: usize, message: impl Into<String>) -> Self {
        SyntaxError {
            offset,
            expected: Vec::new(),
            message: Some(message.into()),
            len,
            label: None,
            help: None,
        }
    }

    pub fn with_label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// The diagnostic for this error, given the text that was parsed.
    pub fn to_diagnostic(&self, text: &str) -> Diagnostic {
        // Something missing at the end is shown right after the last token,
        // not on the blank line a file ends with.
        let offset = if text
            .get(self.offset..)
            .is_some_and(|rest| rest.trim().is_empty())
        {
            self.offset.min(text.trim_end().len())
        } else {
            self.offset
        };
        let found = describe_found(text, offset);
        let len = if self.len > 0 { self.len } else { found.1 };
        let span = Span::new(offset, offset + len);
        let diagnostic = match &self.message {
            Some(message) => {
                let diagnostic = Diagnostic::at(message.clone(), span);
                match &self.label {
                    Some(label) => diagnostic.with_label(label.clone()),
                    None => diagnostic,
                }
            }
            None => {
                let expected = list(&self.expected);
                Diagnostic::at(format!("expected {expected}, found {}", found.0), span)
                    .with_label(format!("expected {expected}"))
            }
        };
        // A dot-command where a statement goes on.
        let before = text.get(..offset).unwrap_or("");
        let at_line_start = before
            .rsplit('\n')
            .next()
            .is_some_and(|l| l.trim().is_empty());
        let starts =
            |c: char| at_line_start && text.get(offset..).is_some_and(|t| t.starts_with(c));
        let habit = if self.message.is_none() {
            sql_habit(text.get(offset..).unwrap_or(""))
        } else {
            None
        };
        match &self.help {
            Some(help) => diagnostic.with_help(help.clone()),
            None if habit.is_some() => diagnostic.with_help(habit.unwrap_or_default()),
            None if starts('.') => diagnostic.with_help(
                "a dot-command such as `.mode` goes on a line of its own, after a finished statement",
            ),
            // In the shell, a line that is a whole query runs at once.
            None if starts('|') => diagnostic.with_help(
                "a pipeline starts with a table; in the shell, end a line with `|` to go on to the next",
            ),
            None => diagnostic,
        }
    }
}

/// A hint for SQL written where infraql expected something else: a SQL
/// clause (`having`, `order by`, `limit`) or `=` as a comparison.
fn sql_habit(rest: &str) -> Option<String> {
    if rest.starts_with('=') && !rest.starts_with("==") {
        return Some("`==` compares (a == b); a single `=` only names a column".to_owned());
    }
    let word: String = rest
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect();
    super::parser::sql_operator(&word)
        .map(|instead| format!("a new operator starts after a `|`; {instead}"))
}

/// "`a`", "`a` or `b`", "`a`, `b` or `c`" (in the order first seen).
fn list(items: &[String]) -> String {
    let mut unique: Vec<&str> = Vec::new();
    for item in items {
        if !unique.contains(&item.as_str()) {
            unique.push(item);
        }
    }
    match unique.as_slice() {
        [] => "something else".to_owned(),
        [one] => one.to_string(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

/// How to name what stands at `offset`, and its length in bytes.
fn describe_found(text: &str, offset: usize) -> (String, usize) {
    let rest = text.get(offset..).unwrap_or("");
    let Some(first) = rest.chars().next().filter(|_| !rest.trim().is_empty()) else {
        return ("end of input".to_owned(), 0);
    };
    if first == '\n' {
        return ("end of line".to_owned(), 0);
    }
    let word: String = rest
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == '.')
        .collect();
    if !word.is_empty() {
        return (format!("`{word}`"), word.len());
    }
    (format!("`{first}`"), first.len_utf8())
}

impl<'a> ParseError<Input<'a>> for SyntaxError {
    fn from_error_kind(input: Input<'a>, _kind: ErrorKind) -> Self {
        SyntaxError {
            offset: input.location_offset(),
            expected: Vec::new(),
            message: None,
            len: 0,
            label: None,
            help: None,
        }
    }

    fn append(_input: Input<'a>, _kind: ErrorKind, other: Self) -> Self {
        other
    }

    /// Keeps the error that got further; at the same place, merges what was
    /// expected.
    fn or(self, other: Self) -> Self {
        use std::cmp::Ordering;
        match self.offset.cmp(&other.offset) {
            Ordering::Greater => self,
            Ordering::Less => other,
            Ordering::Equal => {
                if self.message.is_some() {
                    return self;
                }
                if other.message.is_some() {
                    return other;
                }
                let mut merged = self;
                merged.expected.extend(other.expected);
                merged
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_expectations_readably() {
        let strings = |items: &[&str]| items.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(list(&strings(&["`a`"])), "`a`");
        assert_eq!(list(&strings(&["`a`", "`b`", "`a`"])), "`a` or `b`");
        assert_eq!(list(&strings(&["`a`", "`b`", "`c`"])), "`a`, `b` or `c`");
    }

    #[test]
    fn names_what_was_found() {
        assert_eq!(describe_found("x | 12 y", 4).0, "`12`");
        assert_eq!(describe_found("x |", 3).0, "end of input");
        assert_eq!(describe_found("x\ny", 1).0, "end of line");
        assert_eq!(describe_found("x\n", 1).0, "end of input");
        assert_eq!(describe_found("x )", 2).0, "`)`");
    }
}
