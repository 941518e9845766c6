//! Showing text longer than the screen through a pager, as psql does:
//! `$INFRAQL_PAGER`, else `$PAGER`, else `less -FRSX` (an empty variable
//! means no pager). The command is run by `sh -c`, so it may carry its
//! own arguments.

use std::io::{self, Write};
use std::process::{Command, Stdio};

/// The pager command to use, if any.
fn command() -> Option<String> {
    let chosen = std::env::var("INFRAQL_PAGER")
        .or_else(|_| std::env::var("PAGER"))
        .unwrap_or_else(|_| "less -FRSX".to_owned());
    let chosen = chosen.trim();
    (!chosen.is_empty()).then(|| chosen.to_owned())
}

/// Whether `text` needs a pager on a screen of `rows` rows.
pub fn needed(text: &[u8], rows: Option<usize>) -> bool {
    let lines = text.iter().filter(|b| **b == b'\n').count();
    rows.is_some_and(|rows| lines + 1 > rows)
}

/// Shows `text` through the pager and waits for it; `Err` when there is
/// none or it could not start, so the caller prints the text itself.
pub fn show(text: &[u8]) -> Result<(), String> {
    let pager = command().ok_or_else(|| "no pager".to_owned())?;
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(&pager)
        .stdin(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start the pager `{pager}`: {e}"))?;
    if let Some(mut input) = child.stdin.take() {
        // A pager that quits early closes the pipe: that is no error.
        match input.write_all(text) {
            Err(e) if e.kind() != io::ErrorKind::BrokenPipe => {
                return Err(format!("cannot write to the pager: {e}"));
            }
            _ => {}
        }
    }
    child
        .wait()
        .map(|_| ())
        .map_err(|e| format!("the pager failed: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pager_is_needed_only_past_the_screen() {
        assert!(!needed(b"a\nb\n", Some(24)));
        assert!(needed("x\n".repeat(24).as_bytes(), Some(24)));
        assert!(!needed("x\n".repeat(100).as_bytes(), None));
    }
}
