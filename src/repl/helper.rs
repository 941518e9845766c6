//! The editor helper: completion, highlighting, hints from history, and
//! when an entry is complete.
//!
//! The editor asks for colours and a hint after every key, over the whole
//! input, and redraws all of it when either is on. Typing (or pasting
//! without bracketed paste) a long input would cost the length of the input
//! per key, so past [`EDIT_HELP_LIMIT`] bytes the input is left uncoloured
//! and gets no hint; the editor then writes just the new character (it
//! still redraws the whole input each time it wraps to a new terminal row,
//! and on each new line). Whether an entry is complete is decided in one
//! pass over the text whatever its length, and only when Enter is pressed.

use std::borrow::Cow;
use std::cell::RefCell;
use std::rc::Rc;

use rustyline::Context;
use rustyline::Helper;
use rustyline::completion::{Completer, Pair};
use rustyline::highlight::{CmdKind, Highlighter};
use rustyline::hint::Hinter;
use rustyline::history::SearchDirection;
use rustyline::validate::{ValidationContext, ValidationResult, Validator};

use infraql::session::Session;

/// Inputs longer than this (in bytes) are not coloured and get no hint,
/// and history entries longer than this are not offered as hints.
pub const EDIT_HELP_LIMIT: usize = 4 * 1024;

pub struct ReplHelper {
    /// The session the REPL runs queries in, for the names completion
    /// offers. Borrowed only while a line is edited, never during a query.
    session: Rc<RefCell<Session>>,
    /// Whether to colour input (only on a terminal that is not `TERM=dumb`
    /// and without `NO_COLOR`).
    color: bool,
}

impl ReplHelper {
    pub fn new(session: Rc<RefCell<Session>>, color: bool) -> ReplHelper {
        ReplHelper { session, color }
    }

    /// The text a line is completed after: for a line that starts with `|`
    /// the last query it goes on from.
    fn context(&self, session: &Session, line: &str) -> String {
        if line.trim_start().starts_with('|') {
            session
                .last_query()
                .map(|last| format!("{last}\n"))
                .unwrap_or_default()
        } else {
            String::new()
        }
    }

    /// Whether `line` is short enough to colour and hint.
    fn helped(&self, line: &str) -> bool {
        line.len() <= EDIT_HELP_LIMIT
    }
}

/// Whether `input` is a whole entry: a dot-command (always one line) or a
/// statement that does not clearly go on.
fn is_complete(input: &str) -> bool {
    infraql::commands::is_command(input) || !infraql::syntax::is_unfinished(input)
}

impl Validator for ReplHelper {
    /// Keeps reading while the statement clearly goes on; dot-commands are
    /// always one line.
    fn validate(&self, ctx: &mut ValidationContext) -> rustyline::Result<ValidationResult> {
        if is_complete(ctx.input()) {
            Ok(ValidationResult::Valid(None))
        } else {
            Ok(ValidationResult::Incomplete)
        }
    }
}

impl Completer for ReplHelper {
    type Candidate = Pair;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        _ctx: &Context<'_>,
    ) -> rustyline::Result<(usize, Vec<Pair>)> {
        let Ok(session) = self.session.try_borrow() else {
            return Ok((pos, Vec::new()));
        };
        let context = self.context(&session, line);
        let text = format!("{context}{line}");
        let (start, suggestions) =
            infraql::complete::complete(&session, &text, context.len() + pos);
        // A completion never reaches back into the earlier lines.
        let Some(start) = start.checked_sub(context.len()) else {
            return Ok((pos, Vec::new()));
        };
        let pairs = suggestions
            .into_iter()
            .map(|s| Pair {
                display: s.display,
                replacement: s.replacement,
            })
            .collect();
        Ok((start, pairs))
    }
}

impl Hinter for ReplHelper {
    type Hint = String;

    /// The rest of the newest history entry that starts with the line, when
    /// the cursor is at its end (as rustyline's `HistoryHinter`, but never
    /// for a long line or from a long entry).
    fn hint(&self, line: &str, pos: usize, ctx: &Context<'_>) -> Option<String> {
        if line.is_empty() || pos < line.len() || !self.helped(line) {
            return None;
        }
        let history = ctx.history();
        // While browsing history, search from the entry shown.
        let newest = ctx.history_index().min(history.len().checked_sub(1)?);
        for index in (0..=newest).rev() {
            let Ok(Some(found)) = history.get(index, SearchDirection::Reverse) else {
                continue;
            };
            let entry = found.entry;
            if entry.len() > EDIT_HELP_LIMIT || !entry.starts_with(line) {
                continue;
            }
            return (entry.len() > line.len()).then(|| entry[pos..].to_owned());
        }
        None
    }
}

impl Highlighter for ReplHelper {
    fn highlight<'l>(&self, line: &'l str, _pos: usize) -> Cow<'l, str> {
        if self.color && self.helped(line) {
            Cow::Owned(infraql::highlight::to_ansi(line))
        } else {
            Cow::Borrowed(line)
        }
    }

    fn highlight_hint<'h>(&self, hint: &'h str) -> Cow<'h, str> {
        if self.color {
            Cow::Owned(format!("\x1b[2m{hint}\x1b[0m"))
        } else {
            Cow::Borrowed(hint)
        }
    }

    /// Whether a key needs the line redrawn for its colours: never past
    /// the limit, so the editor can just write the character typed.
    fn highlight_char(&self, line: &str, _pos: usize, kind: CmdKind) -> bool {
        self.color && kind != CmdKind::MoveCursor && self.helped(line)
    }
}

impl Helper for ReplHelper {}

#[cfg(test)]
mod tests {
    use super::*;

    use rustyline::history::{History, MemHistory};

    use infraql::engine::polars::Engine;

    fn helper(color: bool) -> ReplHelper {
        let engine = Engine::with_bundled_datasets().expect("bundled datasets load");
        ReplHelper::new(Rc::new(RefCell::new(Session::new(engine))), color)
    }

    fn history(entries: &[&str]) -> MemHistory {
        let mut history = MemHistory::new();
        for entry in entries {
            history.add(entry).unwrap();
        }
        history
    }

    /// A query of about `len` bytes on one line.
    fn long_query(len: usize) -> String {
        format!(
            "services | where service == \"{}\" | count",
            "x".repeat(len)
        )
    }

    #[test]
    fn a_long_input_is_returned_unchanged_and_gets_no_hint() {
        let helper = helper(true);
        let line = long_query(200 * 1024);
        // An entry the line is the start of, which would be a hint.
        let history = history(&[&format!("{line} | take 1")]);
        let ctx = Context::new(&history);
        let end = line.len();
        assert!(matches!(helper.highlight(&line, end), Cow::Borrowed(shown) if shown == line));
        assert!(!helper.highlight_char(&line, end, CmdKind::Other));
        assert_eq!(helper.hint(&line, end, &ctx), None);
    }

    #[test]
    fn a_long_input_is_still_judged_complete_or_not() {
        let line = long_query(200 * 1024);
        assert!(is_complete(&line));
        assert!(!is_complete(&format!("{line} |")));
        assert!(!is_complete(&format!("({line}")));
        assert!(!is_complete(&line[..line.len() - " | count".len() - 1]));
    }

    #[test]
    fn a_short_input_is_coloured_and_hinted() {
        let helper = helper(true);
        let line = "services | take 1";
        assert!(matches!(helper.highlight(line, 0), Cow::Owned(shown) if shown.contains("\x1b[")));
        assert!(helper.highlight_char(line, 0, CmdKind::Other));
        assert!(!helper.highlight_char(line, 0, CmdKind::MoveCursor));

        let history = history(&["servers | count", "services | count"]);
        let ctx = Context::new(&history);
        assert_eq!(helper.hint("serve", 5, &ctx).as_deref(), Some("rs | count"));
        assert_eq!(
            helper.hint("serv", 4, &ctx).as_deref(),
            Some("ices | count")
        );
        // Not with the cursor inside the line, nor for the whole entry.
        assert_eq!(helper.hint("serv", 2, &ctx), None);
        assert_eq!(helper.hint("services | count", 16, &ctx), None);
        assert!(is_complete(".schema services"));
    }

    #[test]
    fn a_long_history_entry_is_not_offered_as_a_hint() {
        let helper = helper(true);
        let long = long_query(EDIT_HELP_LIMIT);
        let history = history(&["services | take 1", &long]);
        let ctx = Context::new(&history);
        // The newest entry starting with `services` is too long to show.
        assert_eq!(
            helper.hint("services", 8, &ctx).as_deref(),
            Some(" | take 1")
        );
    }

    #[test]
    fn without_colour_input_is_shown_as_typed() {
        let helper = helper(false);
        assert!(matches!(
            helper.highlight("services | take 1", 0),
            Cow::Borrowed(_)
        ));
        assert!(!helper.highlight_char("services | take 1", 0, CmdKind::Other));
    }
}
