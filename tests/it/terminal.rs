//! Terminal safety: control characters in data, file names and query text
//! never reach a person's screen raw (they read `\x1b`, `\n`, `\u{9b}`…),
//! while machine formats written to pipes and files keep the bytes exactly.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::{PROMPT, infraql, shell_command};
use predicates::prelude::*;
use rexpect::session::{PtySession, spawn_command};

/// OSC 52: puts "hi" on the clipboard.
const CLIPBOARD: &str = "\x1b]52;c;aGk=\x07";
/// Clears the screen.
const CLEAR: &str = "\x1b[2J";
/// A C1 CSI (one character) starting "red".
const C1_CSI: &str = "\u{9b}31m";
/// A right-to-left override.
const BIDI: &str = "\u{202e}evil";
/// Sets the window title.
const TITLE: &str = "\x1b]0;pwned\x07";

/// The fixture's rows, as Polars writes them back in CSV (a newline inside
/// a quoted cell, a tab that needs no quotes).
fn hostile_csv() -> String {
    format!(
        "id,ua\n1,{CLIPBOARD}\n2,{CLEAR}\n3,{C1_CSI}\n4,\"line one\nline two\"\n5,a\tb\n6,{BIDI}\n"
    )
}

/// The visible forms a person is shown instead.
const SHOWN: [&str; 6] = [
    r"\x1b]52;c;aGk=\x07",
    r"\x1b[2J",
    r"\u{9b}31m",
    r"line one\nline two",
    r"a\tb",
    r"\u{202e}evil",
];

/// The hostile values, raw.
fn raw_values() -> [String; 6] {
    [
        CLIPBOARD.to_owned(),
        CLEAR.to_owned(),
        C1_CSI.to_owned(),
        "line one\nline two".to_owned(),
        "a\tb".to_owned(),
        BIDI.to_owned(),
    ]
}

fn write_fixture(dir: &Path) -> PathBuf {
    let path = dir.join("hostile.csv");
    std::fs::write(&path, hostile_csv()).expect("fixture is written");
    path
}

fn query(path: &Path) -> String {
    format!("from \"{}\" | sort id", path.display())
}

/// Runs `args`, expecting success, and returns standard output.
fn stdout_of(args: &[&str]) -> Vec<u8> {
    let output = infraql().args(args).assert().success();
    output.get_output().stdout.clone()
}

/// Whether `text` holds a character a terminal would act on (line feeds
/// aside).
fn acts_on_a_terminal(text: &str) -> bool {
    text.chars().any(|c| {
        (c.is_control() && c != '\n')
            || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    })
}

#[test]
fn csv_to_a_pipe_keeps_every_byte() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = write_fixture(dir.path());
    let out = stdout_of(&["--format", "csv", "-e", &query(&path)]);
    assert_eq!(String::from_utf8_lossy(&out), hostile_csv());
}

#[test]
fn tsv_to_a_pipe_keeps_every_byte() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = write_fixture(dir.path());
    let out = stdout_of(&["--format", "tsv", "-e", &query(&path)]);
    assert_eq!(
        String::from_utf8_lossy(&out),
        format!(
            "id\tua\n1\t{CLIPBOARD}\n2\t{CLEAR}\n3\t{C1_CSI}\n4\t\"line one\nline two\"\n5\t\"a\tb\"\n6\t{BIDI}\n"
        )
    );
}

#[test]
fn json_and_ndjson_to_a_pipe_carry_the_values_unchanged() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = write_fixture(dir.path());
    let json = stdout_of(&["--format", "json", "-e", &query(&path)]);
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&json).expect("valid JSON");
    let values: Vec<&str> = rows.iter().filter_map(|r| r["ua"].as_str()).collect();
    assert_eq!(values, raw_values());
    // Characters JSON need not escape stay raw bytes.
    let text = String::from_utf8_lossy(&json);
    assert!(text.contains(C1_CSI) && text.contains(BIDI), "{text:?}");

    let ndjson = stdout_of(&["--format", "ndjson", "-e", &query(&path)]);
    let text = String::from_utf8_lossy(&ndjson);
    let values: Vec<String> = text
        .lines()
        .map(|line| {
            let row: serde_json::Value = serde_json::from_str(line).expect("a JSON line");
            row["ua"].as_str().unwrap_or_default().to_owned()
        })
        .collect();
    assert_eq!(values, raw_values());
    assert!(text.contains(C1_CSI) && text.contains(BIDI), "{text:?}");
}

#[test]
fn table_line_and_markdown_to_a_pipe_show_control_characters() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = write_fixture(dir.path());
    for format in ["table", "line", "markdown"] {
        let out = stdout_of(&["--format", format, "-e", &query(&path)]);
        let text = String::from_utf8_lossy(&out);
        assert!(!acts_on_a_terminal(&text), "{format}: {text:?}");
        for shown in SHOWN {
            assert!(text.contains(shown), "{format} lacks {shown}: {text}");
        }
    }
}

#[test]
fn a_table_with_a_newline_in_a_cell_keeps_one_line_per_row_and_its_widths() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = write_fixture(dir.path());
    let out = stdout_of(&["-e", &query(&path)]);
    let text = String::from_utf8_lossy(&out);
    let table: Vec<&str> = text.lines().filter(|l| !l.ends_with("rows")).collect();
    // Top border, two header lines, the rule, six rows, bottom border.
    assert_eq!(table.len(), 11, "{text}");
    let width = table[0].chars().count();
    assert!(table.iter().all(|l| l.chars().count() == width), "{text}");
}

#[test]
fn output_files_keep_every_byte() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = write_fixture(dir.path());
    let copy = dir.path().join("copy.csv");
    infraql()
        .args(["-e", &query(&path), "-o"])
        .arg(&copy)
        .assert()
        .success();
    assert_eq!(
        std::fs::read(&copy).expect("written"),
        hostile_csv().into_bytes()
    );
}

#[test]
fn column_names_in_tables_and_schema_are_shown_escaped() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("names.csv");
    std::fs::write(&path, format!("id,ua{CLEAR}\n1,x\n")).expect("fixture is written");
    let script = format!(
        ".load \"{}\" as named\n.schema named\nnamed\n",
        path.display()
    );
    let out = stdout_of(&["-e", &script]);
    let text = String::from_utf8_lossy(&out);
    assert!(!acts_on_a_terminal(&text), "{text:?}");
    assert_eq!(text.matches(r"ua\x1b[2J").count(), 2, "{text}");
}

#[test]
fn a_missing_file_is_named_with_its_escapes_visible() {
    let dir = tempfile::tempdir().expect("temp dir");
    let name = dir.path().join(format!("bad{TITLE}name.csv"));
    let output = infraql()
        .args(["-e", &format!("from \"{}\"", name.display())])
        .assert()
        .code(1);
    let stderr = String::from_utf8_lossy(&output.get_output().stderr).into_owned();
    assert!(!acts_on_a_terminal(&stderr), "{stderr:?}");
    // In the message and in the echoed line.
    assert_eq!(
        stderr.matches(r"bad\x1b]0;pwned\x07name.csv").count(),
        2,
        "{stderr}"
    );
}

#[test]
fn a_file_name_with_a_glob_character_is_named_with_its_escapes_visible() {
    let output = infraql()
        .args(["-e", &format!("from \"bad{CLEAR}name.csv\"")])
        .assert()
        .code(1);
    let stderr = String::from_utf8_lossy(&output.get_output().stderr).into_owned();
    assert!(!acts_on_a_terminal(&stderr), "{stderr:?}");
    assert!(stderr.contains(r"`bad\x1b[2Jname.csv`"), "{stderr}");
}

#[test]
fn the_caret_under_an_escaped_source_line_points_at_the_error() {
    let query = format!("services | where service == \"{CLEAR}{C1_CSI}\" | where nope > 1");
    let output = infraql().args(["-e", &query]).assert().code(1);
    let stderr = String::from_utf8_lossy(&output.get_output().stderr).into_owned();
    assert!(!acts_on_a_terminal(&stderr), "{stderr:?}");
    let lines: Vec<&str> = stderr.lines().collect();
    let source = lines
        .iter()
        .position(|l| l.starts_with("1 | "))
        .expect("the source line is echoed");
    let echoed = lines[source];
    assert_eq!(
        echoed,
        r#"1 | services | where service == "\x1b[2J\u{9b}31m" | where nope > 1"#
    );
    let carets = lines[source + 1];
    assert_eq!(carets.find('^'), echoed.find("nope"), "{stderr}");
    assert!(carets.contains("^^^^ "), "{stderr}");
}

#[test]
fn script_and_output_file_names_are_shown_escaped() {
    let dir = tempfile::tempdir().expect("temp dir");
    let script = dir.path().join(format!("x{CLEAR}.iql"));
    infraql().arg("-f").arg(&script).assert().code(1).stderr(
        predicate::str::contains(r"x\x1b[2J.iql").and(predicate::str::contains("\x1b").not()),
    );
    // Exported and written files keep their names; messages escape them.
    let export = dir.path().join(format!("e{CLEAR}.csv"));
    infraql()
        .args([
            "-e",
            &format!("services | take 1 | export \"{}\"", export.display()),
        ])
        .assert()
        .success()
        .stderr(
            predicate::str::contains(r"exported 1 row to ")
                .and(predicate::str::contains(r"e\x1b[2J.csv"))
                .and(predicate::str::contains("\x1b").not()),
        );
    assert!(export.exists());
    let written = dir.path().join(format!("o{CLEAR}.csv"));
    infraql()
        .args(["-e", "services | take 1", "-o"])
        .arg(&written)
        .assert()
        .success()
        .stderr(
            predicate::str::contains(r"o\x1b[2J.csv").and(predicate::str::contains("\x1b").not()),
        );
    assert!(written.exists());
}

#[test]
fn a_bad_argument_with_control_characters_is_quoted_escaped() {
    infraql()
        .arg(format!("./x{CLEAR}.iql"))
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains(r"./x\x1b[2J.iql").and(predicate::str::contains("\x1b").not()),
        );
}

/// What the shell printed, as rexpect reads it: each byte a Latin-1
/// character.
fn as_read(text: &str) -> String {
    text.bytes().map(char::from).collect()
}

fn shell(dir: &Path) -> PtySession {
    let mut command = shell_command(dir.join("history.txt"));
    command.current_dir(dir);
    let mut session = spawn_command(command, Some(Duration::from_secs(30).as_millis() as u64))
        .expect("the shell starts");
    session.exp_string(PROMPT).expect("first prompt");
    session
}

/// Runs `line` in the shell and returns what it printed before the next
/// prompt.
fn entered(shell: &mut PtySession, line: &str) -> String {
    shell.send_line(line).expect("line is sent");
    shell.exp_string(PROMPT).expect("the prompt comes back")
}

/// No escape sequence from the data reached the terminal.
fn assert_no_raw_data(screen: &str) {
    for raw in [CLIPBOARD, CLEAR, C1_CSI, BIDI, TITLE] {
        assert!(
            !screen.contains(&as_read(raw)),
            "{raw:?} reached the terminal: {screen:?}"
        );
    }
}

#[test]
fn the_shell_shows_hostile_data_escaped_in_table_and_csv_modes() {
    let dir = tempfile::tempdir().expect("temp dir");
    write_fixture(dir.path());
    let mut repl = shell(dir.path());
    let query = "from \"hostile.csv\" | sort id";

    let table = entered(&mut repl, query);
    assert_no_raw_data(&table);
    assert!(table.contains(r"\x1b]52;c;aGk=\x07"), "{table:?}");
    assert!(table.contains(r"line one\nline two"), "{table:?}");
    assert!(table.contains("6 rows"), "{table:?}");

    entered(&mut repl, ".mode csv");
    let csv = entered(&mut repl, query);
    assert_no_raw_data(&csv);
    for shown in [
        r"1,\x1b]52;c;aGk=\x07",
        r"2,\x1b[2J",
        r"3,\u{9b}31m",
        r"6,\u{202e}evil",
    ] {
        assert!(csv.contains(shown), "{shown}: {csv:?}");
    }

    entered(&mut repl, ".mode json");
    let json = entered(&mut repl, query);
    assert_no_raw_data(&json);
    assert!(json.contains(r#""ua":"\u009b31m""#), "{json:?}");

    // `.output` sends the same result to a file, bytes as they are.
    entered(&mut repl, ".mode csv");
    entered(&mut repl, ".output copy.csv");
    entered(&mut repl, query);
    entered(&mut repl, ".output");
    repl.send_line(".quit").expect("line is sent");
    repl.exp_eof().expect("the shell ends");
    let copy = std::fs::read(dir.path().join("copy.csv")).expect("the file is written");
    assert_eq!(copy, hostile_csv().into_bytes());
}

#[test]
fn the_shell_shows_file_names_and_query_text_escaped_in_errors() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        dir.path().join("bad.iql"),
        format!("from \"bad{TITLE}name.csv\"\n"),
    )
    .expect("script is written");
    std::fs::write(
        dir.path().join("load.iql"),
        format!(".load \"no{TITLE}.csv\" as gone\n"),
    )
    .expect("script is written");
    let mut repl = shell(dir.path());

    let error = entered(&mut repl, ".read bad.iql");
    assert_no_raw_data(&error);
    assert_eq!(
        error.matches(r"bad\x1b]0;pwned\x07name.csv").count(),
        2,
        "{error:?}"
    );

    let error = entered(&mut repl, ".read load.iql");
    assert_no_raw_data(&error);
    assert!(error.contains(r"no\x1b]0;pwned\x07.csv"), "{error:?}");

    repl.send_line(".quit").expect("line is sent");
    repl.exp_eof().expect("the shell ends");
}

#[test]
fn machine_formats_printed_by_the_cli_on_a_terminal_show_control_characters() {
    let dir = tempfile::tempdir().expect("temp dir");
    write_fixture(dir.path());
    for (format, expected) in [
        ("csv", r"3,\u{9b}31m"),
        ("tsv", r"6	\u{202e}evil"),
        ("ndjson", r#""ua":"\u009b31m""#),
    ] {
        let mut command = shell_command("");
        command
            .args(["--format", format, "-e", "from \"hostile.csv\" | sort id"])
            .current_dir(dir.path());
        let mut run = spawn_command(command, Some(Duration::from_secs(30).as_millis() as u64))
            .expect("the binary starts");
        let screen = run.exp_eof().expect("the binary ends");
        assert_no_raw_data(&screen);
        assert!(screen.contains(expected), "{format}: {screen:?}");
    }
}
