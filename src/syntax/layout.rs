//! Which newlines end a statement.
//!
//! A newline ends the statement before it unless the pipeline clearly goes
//! on: the next line starts with `|`, the line ends with `|` or `,`, or the
//! newline is inside brackets. This pass finds the newlines that do end a
//! statement and turns each into `;` (one byte for one byte, so every offset
//! into the result is an offset into the original text). The parser then
//! treats all remaining newlines as plain white space. Comments are
//! blanked out the same way, byte for byte.

/// The text with every statement-ending newline replaced by `;` and every
/// comment by spaces.
pub fn mark_statement_ends(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = bytes.to_vec();
    let mut depth: usize = 0;
    // The last byte that is not white space or part of a comment.
    let mut last_significant: Option<u8> = None;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            quote @ (b'"' | b'\'' | b'`') => {
                i = skip_quoted(bytes, i, quote);
                last_significant = Some(quote);
                continue;
            }
            b'#' => {
                // Comments become blanks, so the parser never has to find
                // where one ends (its newline may have become `;`).
                while i < bytes.len() && bytes[i] != b'\n' {
                    out[i] = b' ';
                    i += 1;
                }
                continue;
            }
            b'(' | b'[' => depth += 1,
            b')' | b']' => depth = depth.saturating_sub(1),
            b'\n' if depth == 0 => {
                let continues_after = next_significant(bytes, i + 1) == Some(b'|');
                let continues_before = matches!(last_significant, Some(b'|' | b','));
                if !continues_after && !continues_before {
                    out[i] = b';';
                }
            }
            _ => {}
        }
        if !bytes[i].is_ascii_whitespace() {
            last_significant = Some(bytes[i]);
        }
        i += 1;
    }
    // Only ASCII newlines were replaced by ASCII `;`, so this cannot fail;
    // fall back to the original text rather than panic if it somehow did.
    String::from_utf8(out).unwrap_or_else(|_| text.to_owned())
}

/// Whether `text` clearly goes on: a bracket or quote is still open, or
/// the last line ends with `|` or `,`. The REPL keeps reading lines while
/// this holds.
pub fn is_unfinished(text: &str) -> bool {
    let bytes = text.as_bytes();
    let mut depth: usize = 0;
    let mut last_significant: Option<u8> = None;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            quote @ (b'"' | b'\'' | b'`') => {
                let end = skip_quoted(bytes, i, quote);
                let closed = end > i + 1
                    && end <= bytes.len()
                    && bytes[end - 1] == quote
                    && !escaped(bytes, end - 1);
                if !closed {
                    return true;
                }
                i = end;
                last_significant = Some(quote);
                continue;
            }
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            b'(' | b'[' => depth += 1,
            b')' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
        if !bytes[i].is_ascii_whitespace() {
            last_significant = Some(bytes[i]);
        }
        i += 1;
    }
    depth > 0 || matches!(last_significant, Some(b'|' | b','))
}

/// Whether the byte at `at` is preceded by an odd number of backslashes.
fn escaped(bytes: &[u8], at: usize) -> bool {
    bytes[..at]
        .iter()
        .rev()
        .take_while(|b| **b == b'\\')
        .count()
        % 2
        == 1
}

/// Index just past the closing quote (or the end of the text when the quote
/// is never closed: the parser reports that).
fn skip_quoted(bytes: &[u8], open: usize, quote: u8) -> usize {
    let mut i = open + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' if quote != b'`' => i += 2,
            b if b == quote => return i + 1,
            _ => i += 1,
        }
    }
    bytes.len()
}

/// The next byte at or after `from` that is not white space or a comment.
fn next_significant(bytes: &[u8], mut from: usize) -> Option<u8> {
    while from < bytes.len() {
        match bytes[from] {
            b'#' => {
                while from < bytes.len() && bytes[from] != b'\n' {
                    from += 1;
                }
            }
            b if b.is_ascii_whitespace() => from += 1,
            b => return Some(b),
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::mark_statement_ends;

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
        use super::is_unfinished;
        assert!(is_unfinished("services |"));
        assert!(is_unfinished("services | select a,"));
        assert!(is_unfinished("(services"));
        assert!(is_unfinished("services | where s == \"open"));
        assert!(is_unfinished("services | where s == \"a\\\""));
        assert!(!is_unfinished("services | take 1"));
        assert!(!is_unfinished("services | where s == \"a|\""));
        assert!(!is_unfinished("services # |"));
        assert!(!is_unfinished(""));
    }

    #[test]
    fn keeps_multibyte_text_intact() {
        assert_eq!(
            mark_statement_ends("a | where s == \"é\"\nb"),
            "a | where s == \"é\";b"
        );
    }
}
