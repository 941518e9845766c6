//! The REPL in a real pseudo-terminal.

use std::time::Duration;

use rexpect::session::{PtySession, spawn_command};

use crate::{PROMPT, shell_command, sized_shell_command};

// rexpect reads the terminal byte by byte as Latin-1, so the patterns below
// match the ASCII inside table cells (`    22 `) rather than box characters.

/// The REPL without colours, so echoed input reads as typed.
fn start(history: &std::path::Path) -> PtySession {
    start_with(history, &[("NO_COLOR", "1")], &[])
}

/// Types `keys` (flushed, so the REPL sees them at once).
fn type_keys(repl: &mut PtySession, keys: &str) {
    repl.send(keys).expect("keys are sent");
    repl.flush().expect("keys are flushed");
}

fn start_with(history: &std::path::Path, env: &[(&str, &str)], args: &[&str]) -> PtySession {
    let mut session = spawn(history, env, args);
    session.exp_string(PROMPT).expect("first prompt");
    session
}

/// The REPL started, before its first prompt.
fn spawn(history: &std::path::Path, env: &[(&str, &str)], args: &[&str]) -> PtySession {
    let mut command = shell_command(history);
    command
        .args(args)
        .env_remove("NO_COLOR")
        .envs(env.iter().copied());
    spawn_command(command, Some(Duration::from_secs(30).as_millis() as u64)).expect("REPL starts")
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
    repl.exp_string("2/14 COLUMNS").unwrap();
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
    type_keys(&mut second, "services | this is abandoned");
    second.send_control('c').unwrap();
    second.exp_string(PROMPT).unwrap();
    second.send_line("servers | count").unwrap();
    second.exp_string("    11 ").unwrap();
    second.exp_string(PROMPT).unwrap();
    second.send_control('d').unwrap();
    second.exp_eof().unwrap();
}

#[test]
fn tab_completes_in_each_context() {
    let dir = tempfile::tempdir().unwrap();
    let mut repl = start(&dir.path().join("history.txt"));

    // A table at the start, an operator after `|`, a column of the table,
    // a function, a keyword: the completed query runs.
    type_keys(&mut repl, "deploy\t");
    repl.exp_string("deployments").unwrap();
    type_keys(&mut repl, " | wh\t");
    repl.exp_string("where").unwrap();
    type_keys(&mut repl, " requi\t");
    repl.exp_string("requirements").unwrap();
    type_keys(&mut repl, " == \"very high\" | cou\t");
    repl.exp_string("count").unwrap();
    repl.send_line("").unwrap();
    repl.exp_string("     2 ").unwrap();
    repl.exp_string(PROMPT).unwrap();

    // Names made inside the pipeline (by group) complete after it.
    type_keys(
        &mut repl,
        "endpoints | group service agg total_requests = sum(requests) | top 1 by total_r\t",
    );
    repl.exp_string("total_requests").unwrap();
    type_keys(&mut repl, " | select serv\t");
    repl.exp_string("service").unwrap();
    repl.send_line("").unwrap();
    repl.exp_string("packages").unwrap();
    repl.exp_string(PROMPT).unwrap();

    // A function name gets its opening bracket.
    type_keys(&mut repl, "services | select n = coal\t");
    repl.exp_string("coalesce(").unwrap();
    repl.send_line("requests_30d, 0) | agg m = min(n)").unwrap();
    repl.exp_string("   0 ").unwrap();
    repl.exp_string(PROMPT).unwrap();

    // A file path inside `from "…"`.
    type_keys(&mut repl, "from \"tests/fixtures/logs/2025-11-23.nd\t");
    repl.exp_string("2025-11-23.ndjson").unwrap();
    repl.send_line("\" | count").unwrap();
    repl.exp_string("    24 ").unwrap();
    repl.exp_string(PROMPT).unwrap();

    // Dot-commands, and table names after `.schema`.
    type_keys(&mut repl, ".sch\t");
    repl.exp_string(".schema").unwrap();
    type_keys(&mut repl, " incid\t");
    repl.exp_string("incidents").unwrap();
    repl.send_line("").unwrap();
    repl.exp_string("occurrences").unwrap();
    repl.exp_string(PROMPT).unwrap();

    repl.send_line(".quit").unwrap();
    repl.exp_eof().unwrap();
}

#[test]
fn input_is_highlighted_on_a_colour_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let mut repl = start_with(&dir.path().join("history.txt"), &[], &[]);
    type_keys(&mut repl, "services | take 1");
    // The keyword in bold blue, the number in yellow.
    repl.exp_string("\x1b[1;34mtake\x1b[0m \x1b[33m1\x1b[0m")
        .unwrap();
    repl.send_line("").unwrap();
    repl.exp_string("1 row").unwrap();
    repl.exp_string(PROMPT).unwrap();
    repl.send_line(".quit").unwrap();
    repl.exp_eof().unwrap();
}

#[test]
fn output_mode_timer_and_read_commands() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("answers.csv");
    let script = dir.path().join("script.iql");
    std::fs::write(
        &script,
        "# two queries and a command\nservers | count\n.maxrows 5\nservices | count\n",
    )
    .unwrap();
    let mut repl = start_with(
        &dir.path().join("history.txt"),
        &[("NO_COLOR", "1")],
        &["--format", "csv"],
    );

    // `--format csv` started the shell in csv mode.
    repl.send_line(".mode").unwrap();
    repl.exp_string("mode csv").unwrap();
    repl.exp_string(PROMPT).unwrap();
    repl.send_line(&format!(".output {}", out.display()))
        .unwrap();
    repl.exp_string("results go to").unwrap();
    repl.exp_string(PROMPT).unwrap();
    repl.send_line("services | top 2 by requests_30d | select service")
        .unwrap();
    repl.exp_string(PROMPT).unwrap();
    repl.send_line(&format!(".read {}", script.display()))
        .unwrap();
    // The script's command speaks on the screen; its results go to the file.
    repl.exp_string("showing at most 5 rows").unwrap();
    repl.exp_string(PROMPT).unwrap();
    repl.send_line(".output").unwrap();
    repl.exp_string("results go to the screen again").unwrap();
    repl.exp_string(PROMPT).unwrap();

    repl.send_line(".mode line").unwrap();
    repl.exp_string(PROMPT).unwrap();
    repl.send_line(".timer on").unwrap();
    repl.exp_string(PROMPT).unwrap();
    repl.send_line("services | where service == \"packages\" | select service, requests_30d")
        .unwrap();
    repl.exp_string("requests_30d = 167,100,000").unwrap();
    repl.exp_string("time: ").unwrap();
    repl.exp_string(" ms").unwrap();
    repl.exp_string(PROMPT).unwrap();
    repl.send_line(".humanize on").unwrap();
    repl.exp_string(PROMPT).unwrap();
    repl.send_line("services | where service == \"packages\" | select requests_30d")
        .unwrap();
    repl.exp_string("requests_30d = 167.1M").unwrap();
    repl.exp_string(PROMPT).unwrap();
    repl.send_line(".quit").unwrap();
    repl.exp_eof().unwrap();

    let written = std::fs::read_to_string(&out).unwrap();
    assert_eq!(written, "service\npackages\nrepos\ncount\n11\ncount\n22\n");
}

#[test]
fn chart_draws_bars_with_values() {
    let dir = tempfile::tempdir().unwrap();
    let mut repl = start(&dir.path().join("history.txt"));
    repl.send_line("services | top 3 by requests_30d | chart service, requests_30d")
        .unwrap();
    repl.exp_string("requests_30d by service").unwrap();
    repl.exp_string("packages ").unwrap();
    repl.exp_string(" 167,100,000").unwrap();
    repl.exp_string("issues ").unwrap();
    repl.exp_string(PROMPT).unwrap();
    repl.send_line(".quit").unwrap();
    repl.exp_eof().unwrap();
}

/// The shell keeps a table read from a file after its first use; the next
/// question reads the kept table, and a rewritten file is read again.
#[test]
fn the_shell_keeps_file_tables_in_its_cache() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("hits.csv");
    std::fs::write(&csv, "host,status\na,200\nb,404\n").unwrap();
    let table = format!("hits={}", csv.display());
    let mut repl = start_with(
        &dir.path().join("history.txt"),
        &[("NO_COLOR", "1")],
        &["--table", &table],
    );
    repl.send_line(".cache").unwrap();
    repl.exp_string("(tables read from files are kept after their first use)")
        .unwrap();
    repl.exp_string(PROMPT).unwrap();
    repl.send_line("hits | count").unwrap();
    repl.exp_string("     2 ").unwrap();
    repl.exp_string(PROMPT).unwrap();
    repl.send_line(".cache").unwrap();
    repl.exp_string("hits: 2 rows").unwrap();
    repl.exp_string(PROMPT).unwrap();
    std::fs::write(&csv, "host,status\na,200\nb,404\nc,500\n").unwrap();
    repl.send_line("hits | count").unwrap();
    repl.exp_string("     3 ").unwrap();
    repl.exp_string(PROMPT).unwrap();
    repl.send_line(".quit").unwrap();
    repl.exp_eof().unwrap();
}

#[test]
fn ctrl_c_stops_a_long_query_and_the_session_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let mut repl = start(&dir.path().join("history.txt"));
    repl.send_line("let e = endpoints | select k = 1, r = requests")
        .unwrap();
    repl.exp_string(PROMPT).unwrap();
    // 174^4 rows: far longer than this test waits.
    repl.send_line("e | join e on k | join e on k | join e on k | agg s = sum(r)")
        .unwrap();
    repl.exp_string("running").unwrap();
    repl.send_control('c').unwrap();
    repl.exp_string("cancelled").unwrap();
    repl.exp_string(PROMPT).unwrap();
    // The session is usable, its lets intact.
    repl.send_line("e | count").unwrap();
    repl.exp_string("   174 ").unwrap();
    repl.exp_string(PROMPT).unwrap();
    repl.send_line(".quit").unwrap();
    repl.exp_eof().unwrap();
}

/// The temporary files of exports in `dir`.
fn export_temporaries(dir: &std::path::Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(infraql::export::TEMP_PREFIX))
        .collect()
}

#[test]
fn ctrl_c_during_an_export_leaves_the_old_file_and_no_temporary_one() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("big.csv");
    std::fs::write(&target, "old,contents\n1,2\n").unwrap();
    let mut repl = start(&dir.path().join("history.txt"));
    repl.send_line("let e = endpoints | select k = 1, r = requests")
        .unwrap();
    repl.exp_string(PROMPT).unwrap();
    // 174^3 rows: computed in well under a second, seconds to write.
    repl.send_line(&format!(
        "e | join e on k | join e on k | export \"{}\"",
        target.display()
    ))
    .unwrap();
    // Ctrl-C once the export is writing its temporary file.
    let started = std::time::Instant::now();
    while export_temporaries(dir.path()).is_empty() {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the export never started writing"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    repl.send_control('c').unwrap();
    repl.exp_string("cancelled").unwrap();
    repl.exp_string(PROMPT).unwrap();
    // The worker stops at its next write and removes its file.
    let stopped = std::time::Instant::now();
    while !export_temporaries(dir.path()).is_empty() {
        assert!(
            stopped.elapsed() < Duration::from_secs(10),
            "the temporary file stayed: {:?}",
            export_temporaries(dir.path())
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let now = std::fs::read(&target).unwrap();
    assert!(
        now == b"old,contents\n1,2\n",
        "the old file was replaced ({} bytes now)",
        now.len()
    );
    repl.send_line("e | count").unwrap();
    repl.exp_string("   174 ").unwrap();
    repl.exp_string(PROMPT).unwrap();
    repl.send_line(".quit").unwrap();
    repl.exp_eof().unwrap();
}

#[test]
fn wide_results_fit_a_narrow_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let command = sized_shell_command(dir.path().join("history.txt"), 70);
    let mut repl = spawn_command(command, Some(30_000)).expect("REPL starts");
    repl.exp_string(PROMPT).unwrap();
    repl.send_line("services | take 2").unwrap();
    // The first and last columns stay; the middle ones are named in a note.
    repl.exp_string("service ").unwrap();
    repl.exp_string("snapshot").unwrap();
    repl.exp_string("columns not shown: ").unwrap();
    repl.exp_string("2 rows").unwrap();
    repl.exp_string(PROMPT).unwrap();
    repl.send_line(".mode line").unwrap();
    repl.exp_string(PROMPT).unwrap();
    repl.send_line("services | take 1").unwrap();
    repl.exp_string("requests_30d = ").unwrap();
    repl.exp_string(PROMPT).unwrap();
    repl.send_line(".quit").unwrap();
    repl.exp_eof().unwrap();
}

/// The up arrow, as an xterm sends it.
const UP: &str = "\x1b[A";

#[test]
fn a_history_file_with_an_unreadable_line_keeps_the_other_entries() {
    let dir = tempfile::tempdir().unwrap();
    let history = dir.path().join("history.txt");
    let old: &[u8] = b"#V2\nservers | count\n\xff\xfe not text\nservices |\\n  count\n";
    std::fs::write(&history, old).unwrap();

    let mut repl = spawn(&history, &[("NO_COLOR", "1")], &[]);
    repl.exp_string("history file").unwrap();
    repl.exp_string("line 3: not valid UTF-8; skipped").unwrap();
    repl.exp_string(PROMPT).unwrap();
    // The entries before and after the bad line are both there, the
    // multi-line one whole.
    type_keys(&mut repl, UP);
    repl.exp_string("services |").unwrap();
    repl.exp_string("  count").unwrap();
    // Up in a two-line entry first goes to its first line, then to the
    // entry before.
    type_keys(&mut repl, UP);
    type_keys(&mut repl, UP);
    repl.exp_string("servers | count").unwrap();
    repl.send_line("").unwrap();
    repl.exp_string("    11 ").unwrap();
    repl.exp_string(PROMPT).unwrap();
    repl.send_line("deployments | take 0").unwrap();
    repl.exp_string("0 rows").unwrap();
    repl.exp_string(PROMPT).unwrap();
    repl.send_line(".quit").unwrap();
    repl.exp_eof().unwrap();

    // Nothing was lost, not even the unreadable line; the new entries
    // come after the old ones.
    let mut expected = old.to_vec();
    expected.extend_from_slice(b"servers | count\ndeployments | take 0\n.quit\n");
    assert_eq!(
        String::from_utf8_lossy(&std::fs::read(&history).unwrap()),
        String::from_utf8_lossy(&expected)
    );
}

#[test]
fn two_shells_open_at_once_keep_all_their_history() {
    let dir = tempfile::tempdir().unwrap();
    let history = dir.path().join("history.txt");
    let mut first = start(&history);
    let mut second = start(&history);
    for i in 0..10 {
        for (name, repl) in [("a", &mut first), ("b", &mut second)] {
            repl.send_line(&format!("let {name}{i} = servers")).unwrap();
            repl.exp_string(PROMPT).unwrap();
        }
    }
    for repl in [&mut first, &mut second] {
        repl.send_control('d').unwrap();
        repl.exp_eof().unwrap();
    }
    let saved = std::fs::read_to_string(&history).unwrap();
    for name in ["a", "b"] {
        for i in 0..10 {
            let entry = format!("\nlet {name}{i} = servers\n");
            assert_eq!(saved.matches(&entry).count(), 1, "{entry:?} in {saved}");
        }
    }

    // A third shell sees the entries of both.
    let mut third = start(&history);
    type_keys(&mut third, UP);
    third.exp_string("let b9 = servers").unwrap();
    type_keys(&mut third, UP);
    third.exp_string("let a9 = servers").unwrap();
    third.send_control('c').unwrap();
    third.exp_string(PROMPT).unwrap();
    third.send_control('d').unwrap();
    third.exp_eof().unwrap();
}

#[test]
fn a_long_line_typed_without_bracketed_paste_gets_its_answer() {
    let dir = tempfile::tempdir().unwrap();
    // The editor redraws the whole input each time it wraps to a new
    // terminal row, which is its own cost and not what is tested here: a
    // wide terminal keeps those redraws few. What is tested is that
    // colours and hints no longer redraw the whole input for every key.
    let mut command = sized_shell_command(dir.path().join("history.txt"), 1000);
    command.env_remove("NO_COLOR");
    let mut repl = spawn_command(command, Some(30_000)).expect("REPL starts");
    repl.exp_string(PROMPT).unwrap();
    // One line of about 110 KB, sent as plain keys (no paste brackets).
    let names: Vec<String> = (0..11_000).map(|i| format!("\"s{i:06}\"")).collect();
    let query = format!(
        "services | where service in [{}, \"packages\"] | count",
        names.join(",")
    );
    assert!(query.len() > 100_000, "{}", query.len());
    type_keys(&mut repl, &query);
    type_keys(&mut repl, "\r");
    repl.exp_string("1 row").unwrap();
    repl.exp_string(PROMPT).unwrap();
    repl.send_line("services | where service == \"packages\" | count")
        .unwrap();
    repl.exp_string("1 row").unwrap();
    repl.exp_string(PROMPT).unwrap();
    repl.send_line(".quit").unwrap();
    repl.exp_eof().unwrap();
}

#[test]
fn a_pipeline_is_built_a_stage_at_a_time() {
    let dir = tempfile::tempdir().unwrap();
    let mut command = sized_shell_command(dir.path().join("history.txt"), 100);
    command.env("INFRAQL_PAGER", "tr a-z A-Z");
    let mut repl = spawn_command(command, Some(30_000)).expect("REPL starts");
    repl.exp_string(PROMPT).unwrap();

    // A line that starts with `|` before any query says what to do.
    repl.send_line("| count").unwrap();
    repl.exp_string("no query has shown a result yet").unwrap();
    repl.exp_string(PROMPT).unwrap();

    // As README lays a pipeline out: each line runs, the next goes on.
    repl.send_line("endpoints").unwrap();
    repl.exp_string("174 rows").unwrap();
    repl.exp_string(PROMPT).unwrap();
    repl.send_line("| where api").unwrap();
    repl.exp_string("70 rows").unwrap();
    repl.exp_string(PROMPT).unwrap();
    repl.send_line("| count").unwrap();
    repl.exp_string("    70 ").unwrap();
    repl.exp_string(PROMPT).unwrap();

    // `_` is the last result, and a let can name it.
    repl.send_line("let api_count = _").unwrap();
    repl.exp_string(PROMPT).unwrap();
    repl.send_line("api_count | select total = count * 2")
        .unwrap();
    repl.exp_string("   140 ").unwrap();
    repl.exp_string(PROMPT).unwrap();

    // Bare words people type at a prompt.
    repl.send_line("help").unwrap();
    repl.exp_string(".help TOPIC").unwrap();
    repl.exp_string(PROMPT).unwrap();
    repl.send_line(".help quantile").unwrap();
    repl.exp_string("example:").unwrap();
    repl.exp_string(PROMPT).unwrap();

    // The footer names the dot-command; `.maxrows all` shows every row.
    repl.send_line(".maxrows 3").unwrap();
    repl.exp_string(PROMPT).unwrap();
    repl.send_line("endpoints | select endpoint").unwrap();
    repl.exp_string("showing 3 of 174 rows (use .maxrows N or .maxrows all")
        .unwrap();
    repl.exp_string(PROMPT).unwrap();
    // `.last` shows it whole, through the pager when longer than the screen.
    repl.send_line(".last").unwrap();
    repl.exp_string("174 ROWS").unwrap();
    repl.exp_string(PROMPT).unwrap();
    repl.send_line(".maxrows all").unwrap();
    repl.exp_string("showing every row").unwrap();
    repl.exp_string(PROMPT).unwrap();

    // `.once` sends only the next result to a file.
    let once = dir.path().join("once.csv");
    repl.send_line(&format!(".once {}", once.display()))
        .unwrap();
    repl.exp_string(PROMPT).unwrap();
    repl.send_line("servers | count").unwrap();
    repl.exp_string(PROMPT).unwrap();
    repl.send_line("services | count").unwrap();
    repl.exp_string("    22 ").unwrap();
    repl.exp_string(PROMPT).unwrap();
    let written = std::fs::read_to_string(&once).unwrap();
    assert!(written.contains("    11 "), "{written}");
    assert!(!written.contains("22"), "{written}");

    // The time window shows in the prompt.
    repl.send_line(".since 24h").unwrap();
    repl.exp_string("infraql[24h]> ").unwrap();
    repl.send_line("quit").unwrap();
    repl.exp_eof().unwrap();
}
