//! The editor helper: completion, highlighting, hints from history, and
//! when an entry is complete.

use std::borrow::Cow;
use std::cell::RefCell;
use std::rc::Rc;

use rustyline::Context;
use rustyline::Helper;
use rustyline::completion::{Completer, Pair};
use rustyline::highlight::{CmdKind, Highlighter};
use rustyline::hint::{Hinter, HistoryHinter};
use rustyline::validate::{ValidationContext, ValidationResult, Validator};

use infraql::session::Session;

pub struct ReplHelper {
    /// The session the REPL runs queries in, for the names completion
    /// offers. Borrowed only while a line is edited, never during a query.
    session: Rc<RefCell<Session>>,
    hints: HistoryHinter,
    /// Whether to colour input (only on a terminal that is not `TERM=dumb`
    /// and without `NO_COLOR`).
    color: bool,
}

impl ReplHelper {
    pub fn new(session: Rc<RefCell<Session>>, color: bool) -> ReplHelper {
        ReplHelper {
            session,
            hints: HistoryHinter::new(),
            color,
        }
    }
}

impl Validator for ReplHelper {
    /// Keeps reading while the statement clearly goes on; dot-commands are
    /// always one line.
    fn validate(&self, ctx: &mut ValidationContext) -> rustyline::Result<ValidationResult> {
        let input = ctx.input();
        if infraql::commands::is_command(input) || !infraql::syntax::is_unfinished(input) {
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
        let (start, suggestions) = infraql::complete::complete(&session, line, pos);
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

    fn hint(&self, line: &str, pos: usize, ctx: &Context<'_>) -> Option<String> {
        self.hints.hint(line, pos, ctx)
    }
}

impl Highlighter for ReplHelper {
    fn highlight<'l>(&self, line: &'l str, _pos: usize) -> Cow<'l, str> {
        if self.color {
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

    fn highlight_char(&self, _line: &str, _pos: usize, kind: CmdKind) -> bool {
        self.color && kind != CmdKind::MoveCursor
    }
}

impl Helper for ReplHelper {}
