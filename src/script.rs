//! Scripts that mix queries with dot-commands, as `-f`, standard input and
//! `.read` take them:
//!
//! ```text
//! .load logs/*.parquet as logs
//! .mode csv
//! logs | group status agg n = count()
//! ```
//!
//! A line whose first character (after spaces) is `.` is a command when it
//! comes where a statement may start, that is not inside an unfinished
//! statement (an open bracket or quote, a line ending with `|`). Everything
//! else is query text.

use crate::syntax::is_unfinished;

/// One piece of a script, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    /// Query text: the whole script with everything outside this piece
    /// blanked (newlines kept), so that line and column numbers in its
    /// messages are those of the script.
    Queries(String),
    /// A dot-command and its 1-based line number.
    Command { line: usize, text: String },
}

/// Splits `text` into query pieces and commands.
pub fn pieces(text: &str) -> Vec<Piece> {
    let mut out = Vec::new();
    // Byte range of the query text gathered since the last command.
    let mut start = 0;
    let mut offset = 0;
    for (index, line) in text.split_inclusive('\n').enumerate() {
        let gathered = &text[start..offset];
        if line.trim_start().starts_with('.') && !is_unfinished(gathered) {
            push_queries(&mut out, text, start, offset);
            out.push(Piece::Command {
                line: index + 1,
                text: line.trim().to_owned(),
            });
            start = offset + line.len();
        }
        offset += line.len();
    }
    push_queries(&mut out, text, start, text.len());
    out
}

/// Adds the query text between `start` and `end`, unless it is only blank
/// space and comments.
fn push_queries(out: &mut Vec<Piece>, text: &str, start: usize, end: usize) {
    let own = &text[start..end];
    let has_code = own
        .lines()
        .any(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'));
    if !has_code {
        return;
    }
    let blanked: String = text
        .char_indices()
        .map(|(i, c)| {
            if (start..end).contains(&i) || c == '\n' {
                c
            } else {
                ' '
            }
        })
        .collect();
    out.push(Piece::Queries(blanked));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_script_without_commands_is_one_piece_as_written() {
        let text = "services | count\nservers\n| count\n";
        assert_eq!(pieces(text), [Piece::Queries(text.to_owned())]);
    }

    #[test]
    fn commands_split_the_queries_and_keep_their_lines() {
        let text = "# setup\n.mode csv\nservices | count\n.maxrows 5\nservers | count\n";
        assert_eq!(
            pieces(text),
            [
                Piece::Command {
                    line: 2,
                    text: ".mode csv".to_owned()
                },
                Piece::Queries(
                    "       \n         \nservices | count\n          \n               \n"
                        .to_owned()
                ),
                Piece::Command {
                    line: 4,
                    text: ".maxrows 5".to_owned()
                },
                Piece::Queries(
                    "       \n         \n                \n          \nservers | count\n"
                        .to_owned()
                ),
            ]
        );
    }

    #[test]
    fn a_dot_inside_an_unfinished_statement_is_query_text() {
        let text = "services | where service in [\n.5]\n";
        assert_eq!(pieces(text), [Piece::Queries(text.to_owned())]);
    }

    #[test]
    fn blanking_keeps_every_line_and_column() {
        let text = ".mode line # é\nservices | where service == \"é\"\n";
        let found = pieces(text);
        let Some(Piece::Queries(queries)) = found.last() else {
            panic!("expected queries last: {found:?}");
        };
        let widths = |t: &str| t.lines().map(|l| l.chars().count()).collect::<Vec<_>>();
        assert_eq!(widths(queries), widths(text));
        assert!(queries.ends_with("services | where service == \"é\"\n"));
    }
}
