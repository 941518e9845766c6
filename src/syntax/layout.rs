//! Which newlines end a statement.
//!
//! A newline ends the statement before it unless the statement clearly goes
//! on:
//! - the next line starts with `|`, or with `and`, `or`, `agg`, `when`,
//!   `then`, `else` or `end`;
//! - the line ends with `|`, `,`, an operator (`=`, `+`, `>`, …) or a word
//!   that needs more after it (`and`, `or`, `not`, `agg`, `by`, `on`, `in`,
//!   `is`, `when`, `then`, `else`, `case`, and the string tests);
//! - the newline is inside brackets or inside `case … end`.
//!
//! This pass finds the newlines that do end a statement and turns each into
//! `;` (one byte for one byte, so every offset into the result is an offset
//! into the original text). The parser then treats all remaining newlines as
//! plain white space. Comments are blanked out the same way, byte for byte.

use super::tokens::{Kind, Token, tokens};

/// Words after which a statement cannot end.
const NEEDS_MORE: &[&str] = &[
    "and",
    "or",
    "not",
    "agg",
    "by",
    "on",
    "in",
    "is",
    "when",
    "then",
    "else",
    "case",
    "contains",
    "startswith",
    "endswith",
    "like",
    "matches",
];

/// Words that cannot start a statement, so a line starting with one goes on
/// with the statement before.
const GOES_ON: &[&str] = &["and", "or", "agg", "when", "then", "else", "end"];

/// The pieces of text that decide where statements end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Piece<'a> {
    /// A bare word or a number.
    Word(&'a str),
    /// A symbol's first byte (a symbol outside ASCII matches no rule).
    Symbol(u8),
    /// A string or backquoted name; `unfinished` when it is a string whose
    /// closing quote is missing, so a next line may still close it. (A
    /// backquoted name cannot span lines.)
    Quoted { unfinished: bool },
    /// A backquoted name never closed on its line: an error the parser
    /// reports, as long as the newline after it is left as it is.
    OpenName,
    /// A newline, at this byte offset.
    Newline(usize),
}

/// Splits `text` into pieces (see [`tokens`]), skipping white space and
/// comments; calls `blank` with the byte range of every comment.
fn pieces<'a>(text: &'a str, mut blank: impl FnMut(usize, usize)) -> Vec<Piece<'a>> {
    let mut out = Vec::new();
    for Token { kind, range } in tokens(text) {
        let piece = match kind {
            Kind::Space => continue,
            Kind::Comment => {
                blank(range.start, range.end);
                continue;
            }
            Kind::Newline => Piece::Newline(range.start),
            Kind::String { closed } => Piece::Quoted {
                unfinished: !closed,
            },
            Kind::Name { closed: true } => Piece::Quoted { unfinished: false },
            Kind::Name { closed: false } => Piece::OpenName,
            Kind::Word | Kind::Number => Piece::Word(&text[range]),
            Kind::Symbol => Piece::Symbol(text.as_bytes()[range.start]),
        };
        out.push(piece);
    }
    out
}

/// Bracket and `case` nesting, followed piece by piece.
#[derive(Default)]
struct Nesting {
    brackets: usize,
    cases: usize,
}

impl Nesting {
    fn step(&mut self, piece: Piece, next_word: Option<&str>) {
        match piece {
            Piece::Symbol(b'(' | b'[') => self.brackets += 1,
            Piece::Symbol(b')' | b']') => self.brackets = self.brackets.saturating_sub(1),
            // `case` opens a case expression only when `when` follows, so a
            // column named `case` does not.
            Piece::Word("case") if next_word == Some("when") => self.cases += 1,
            Piece::Word("end") => self.cases = self.cases.saturating_sub(1),
            _ => {}
        }
    }

    fn open(&self) -> bool {
        self.brackets > 0 || self.cases > 0
    }
}

/// Whether the statement must go on after `piece`, the last of a line.
fn needs_more(piece: Option<Piece>) -> bool {
    match piece {
        Some(Piece::Symbol(b)) => b"|,=<>!+-*/%".contains(&b),
        Some(Piece::Word(word)) => NEEDS_MORE.contains(&word),
        Some(Piece::Quoted { unfinished }) => unfinished,
        _ => false,
    }
}

/// Whether a line starting with `piece` goes on with the statement before.
fn goes_on(piece: Option<&Piece>) -> bool {
    match piece {
        Some(Piece::Symbol(b'|')) => true,
        Some(Piece::Word(word)) => GOES_ON.contains(word),
        _ => false,
    }
}

/// The text with every statement-ending newline replaced by `;` and every
/// comment by spaces.
pub fn mark_statement_ends(text: &str) -> String {
    let mut out = text.as_bytes().to_vec();
    let pieces = pieces(text, |start, end| out[start..end].fill(b' '));
    let mut nesting = Nesting::default();
    let mut last: Option<Piece> = None;
    for (index, piece) in pieces.iter().enumerate() {
        let following = || {
            pieces[index + 1..]
                .iter()
                .find(|p| !matches!(p, Piece::Newline(_)))
        };
        if let Piece::Newline(at) = *piece {
            let open_name = last == Some(Piece::OpenName);
            if !open_name && !nesting.open() && !needs_more(last) && !goes_on(following()) {
                out[at] = b';';
            }
            continue;
        }
        let next_word = match following() {
            Some(Piece::Word(word)) => Some(*word),
            _ => None,
        };
        nesting.step(*piece, next_word);
        last = Some(*piece);
    }
    // Only ASCII bytes were replaced by ASCII bytes, so this cannot fail;
    // fall back to the original text rather than panic if it somehow did.
    String::from_utf8(out).unwrap_or_else(|_| text.to_owned())
}

/// Whether `text` clearly goes on: a bracket, quote or `case` is still
/// open, or the text ends with something that needs more after it. The REPL
/// keeps reading lines while this holds.
pub fn is_unfinished(text: &str) -> bool {
    let pieces = pieces(text, |_, _| {});
    let mut nesting = Nesting::default();
    let mut last = None;
    for (index, piece) in pieces.iter().enumerate() {
        if matches!(piece, Piece::Newline(_)) {
            continue;
        }
        let next_word = pieces[index + 1..].iter().find_map(|p| match p {
            Piece::Word(word) => Some(*word),
            Piece::Newline(_) => None,
            _ => Some(""),
        });
        nesting.step(*piece, next_word.filter(|w| !w.is_empty()));
        last = Some(*piece);
    }
    nesting.open() || needs_more(last)
}

#[cfg(test)]
mod tests {
    use super::{is_unfinished, mark_statement_ends};

    #[test]
    fn newline_between_statements_becomes_semicolon() {
        assert_eq!(mark_statement_ends("a\nb"), "a;b");
    }

    #[test]
    fn leading_pipe_continues() {
        assert_eq!(mark_statement_ends("a\n  | take 1\nb"), "a\n  | take 1;b");
    }

    #[test]
    fn trailing_pipe_or_comma_continues() {
        assert_eq!(mark_statement_ends("a |\ntake 1"), "a |\ntake 1");
        assert_eq!(
            mark_statement_ends("a | select x,\n y"),
            "a | select x,\n y"
        );
    }

    #[test]
    fn operators_and_keywords_continue() {
        let keep = |text: &str| assert_eq!(mark_statement_ends(text), text, "{text:?}");
        keep("a | where x >\n 5");
        keep("a | where x > 5 and\n y < 2");
        keep("a | where x > 5\n and y < 2");
        keep("a | group host\n agg n = count()");
        keep("a | group host agg\n n = count()");
        keep("let b =\n a");
        keep("a | derive k = case\n when x then 1\n when y then 2\n else 3\n end");
    }

    #[test]
    fn a_case_spans_lines_until_its_end() {
        let text = "a | derive k = (1) + case when x\n then 1 else 2 end\nb";
        assert_eq!(
            mark_statement_ends(text),
            "a | derive k = (1) + case when x\n then 1 else 2 end;b"
        );
        // A column named `case` opens nothing.
        assert_eq!(
            mark_statement_ends("a | select case\nb"),
            "a | select case\nb"
        );
        assert_eq!(
            mark_statement_ends("a | select `case`\nb"),
            "a | select `case`;b"
        );
    }

    #[test]
    fn brackets_strings_and_comments_are_respected() {
        assert_eq!(mark_statement_ends("(a\n| b\nc)"), "(a\n| b\nc)");
        assert_eq!(
            mark_statement_ends("a | where s == \"x\ny\""),
            "a | where s == \"x\ny\""
        );
        assert_eq!(mark_statement_ends("a # note |\nb"), "a         ;b");
        assert_eq!(
            mark_statement_ends("a\n# note\n| take 1"),
            "a\n      \n| take 1"
        );
        assert_eq!(mark_statement_ends("# é\na"), "    ;a");
    }

    #[test]
    fn unfinished_input_is_recognised() {
        assert!(is_unfinished("services |"));
        assert!(is_unfinished("services | select a,"));
        assert!(is_unfinished("(services"));
        assert!(is_unfinished("services | where s == \"open"));
        assert!(is_unfinished("services | where s == \"a\\\""));
        assert!(is_unfinished("services | where x >"));
        assert!(is_unfinished("services | group server_ip agg"));
        assert!(is_unfinished(
            "services | derive k = case when shared_server then 1"
        ));
        assert!(!is_unfinished(
            "services | derive k = case when shared_server then 1 end"
        ));
        assert!(!is_unfinished("services | take 1"));
        assert!(!is_unfinished("services | where s == \"a|\""));
        assert!(!is_unfinished("services # |"));
        assert!(!is_unfinished(""));
        // A backquoted name cannot span lines, so more lines cannot finish
        // it: the parser reports it at once.
        assert!(!is_unfinished("services | select `open"));
    }

    #[test]
    fn the_newline_after_an_unclosed_backquote_stays_for_the_parser_to_see() {
        assert_eq!(mark_statement_ends("a `b\nc`"), "a `b\nc`");
    }

    #[test]
    fn keeps_multibyte_text_intact() {
        assert_eq!(
            mark_statement_ends("a | where s == \"é\"\nb"),
            "a | where s == \"é\";b"
        );
    }
}
