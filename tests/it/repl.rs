//! The REPL in a real pseudo-terminal.

use std::time::Duration;

use rexpect::session::{PtySession, spawn_command};

const PROMPT: &str = "infraql> ";

// rexpect reads the terminal byte by byte as Latin-1, so the patterns below
// match the ASCII inside table cells (`    22 `) rather than box characters.

fn start(history: &std::path::Path) -> PtySession {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_infraql"));
    command
        .env("INFRAQL_HISTORY", history)
        .env("TERM", "xterm")
        .current_dir(env!("CARGO_MANIFEST_DIR"));
    let mut session = spawn_command(command, Some(Duration::from_secs(30).as_millis() as u64))
        .expect("REPL starts");
    session.exp_string(PROMPT).expect("first prompt");
    session
}

#[test]
fn runs_queries_commands_and_survives_errors() {
    let dir = tempfile::tempdir().unwrap();
    let history = dir.path().join("history.txt");
    let mut repl = start(&history);

    repl.send_line("services | count").unwrap();
    repl.exp_string("    22 ").unwrap();
    repl.exp_string(PROMPT).unwrap();

    // An error is printed and the session goes on.
    repl.send_line("services | where requestz_30d > 1M")
        .unwrap();
    repl.exp_string("did you mean `requests_30d`?").unwrap();
    repl.exp_string(PROMPT).unwrap();

    // A pipeline over several lines: a trailing `|` keeps reading.
    repl.send_line("deployments |").unwrap();
    repl.send_line("  where ip == \"195.154.82.7\" |").unwrap();
    repl.send_line("  count").unwrap();
    repl.exp_string("    18 ").unwrap();
    repl.exp_string(PROMPT).unwrap();

    // let names live on across inputs.
    repl.send_line("let shared = services | where shared_server")
        .unwrap();
    repl.exp_string(PROMPT).unwrap();
    repl.send_line("shared | count").unwrap();
    repl.exp_string("    12 ").unwrap();
    repl.exp_string(PROMPT).unwrap();

    repl.send_line(".tables").unwrap();
    repl.exp_string("deployments").unwrap();
    repl.exp_string("shared").unwrap();
    repl.exp_string(PROMPT).unwrap();

    repl.send_line(".schema servers").unwrap();
    repl.exp_string("distro").unwrap();
    repl.exp_string(PROMPT).unwrap();

    repl.send_line(".schema nosuch").unwrap();
    repl.exp_string("unknown table `nosuch`").unwrap();
    repl.exp_string(PROMPT).unwrap();

    repl.send_line(".load tests/fixtures/logs/*.csv as logs")
        .unwrap();
    repl.exp_string("as logs (14 columns)").unwrap();
    repl.exp_string(PROMPT).unwrap();
    repl.send_line(".now 2025-11-24").unwrap();
    repl.exp_string("fixed at 2025-11-24T00:00:00").unwrap();
    repl.exp_string(PROMPT).unwrap();
    repl.send_line("logs | where to_datetime(timestamp) >= ago(24h) | count")
        .unwrap();
    repl.exp_string("    24 ").unwrap();
    repl.exp_string(PROMPT).unwrap();
    repl.send_line(".explain logs | where status == 429 | select host")
        .unwrap();
    repl.exp_string("PROJECT 2/14 COLUMNS").unwrap();
    repl.exp_string(PROMPT).unwrap();

    repl.send_line(".help").unwrap();
    repl.exp_string("quantile(x, q)").unwrap();
    repl.exp_string(PROMPT).unwrap();

    repl.send_line(".quit").unwrap();
    repl.exp_eof().unwrap();

    let saved = std::fs::read_to_string(&history).unwrap();
    assert!(saved.contains("services | count"), "{saved}");
    // The multi-line pipeline is one history entry.
    assert_eq!(saved.matches("deployments |").count(), 1, "{saved}");
}

#[test]
fn history_carries_over_to_the_next_session_and_ctrl_d_exits() {
    let dir = tempfile::tempdir().unwrap();
    let history = dir.path().join("history.txt");

    let mut first = start(&history);
    first
        .send_line("servers | where size == \"Medium\" | count")
        .unwrap();
    first.exp_string("     2 ").unwrap();
    first.exp_string(PROMPT).unwrap();
    first.send_control('d').unwrap();
    first.exp_eof().unwrap();

    let mut second = start(&history);
    // Ctrl-P (history back, as the up arrow) recalls the query from the
    // first session; Enter runs it.
    second.send_control('p').unwrap();
    second
        .exp_string("servers | where size == \"Medium\" | count")
        .unwrap();
    second.send_line("").unwrap();
    second.exp_string("     2 ").unwrap();
    second.exp_string(PROMPT).unwrap();

    // Ctrl-C at the prompt drops the line and keeps the session.
    second.send("services | this is abandoned").unwrap();
    second.send_control('c').unwrap();
    second.exp_string(PROMPT).unwrap();
    second.send_line("servers | count").unwrap();
    second.exp_string("    11 ").unwrap();
    second.exp_string(PROMPT).unwrap();
    second.send_control('d').unwrap();
    second.exp_eof().unwrap();
}
