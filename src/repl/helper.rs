//! The editor helper: decides when an entry is complete. Completion and
//! highlighting hook in here too.

use rustyline::Helper;
use rustyline::completion::Completer;
use rustyline::highlight::Highlighter;
use rustyline::hint::Hinter;
use rustyline::validate::{ValidationContext, ValidationResult, Validator};

pub struct ReplHelper;

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
    type Candidate = String;
}

impl Hinter for ReplHelper {
    type Hint = String;
}

impl Highlighter for ReplHelper {}

impl Helper for ReplHelper {}
