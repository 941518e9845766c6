//! The real binary under hostile input: queries built to exhaust the
//! stack, the memory or the engine's patience, and settings the engine
//! would choke on. Each gives an answer or a clear error with exit code 1;
//! none crashes, hangs or takes the shell down.

use crate::{infraql, shell_command};
use predicates::prelude::*;
use rexpect::session::spawn_command;

fn long_take_chain(n: usize) -> String {
    format!("services{}", " | take 1".repeat(n))
}

fn long_or_chain(n: usize) -> String {
    let terms: Vec<String> = (0..n).map(|i| format!("requests_30d > {i}")).collect();
    format!("services | where {} | count", terms.join(" or "))
}

#[test]
fn a_pipeline_of_two_thousand_operators_is_refused_not_a_crash() {
    infraql()
        .args(["-e", &long_take_chain(2_000)])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("at most 500 operators"));
}

#[test]
fn a_where_with_ten_thousand_ors_answers() {
    // Longer than one command-line argument may be: through standard input.
    infraql()
        .args(["--format", "csv"])
        .write_stdin(long_or_chain(10_000))
        .assert()
        .success()
        .stdout("count\n18\n");
}

#[test]
fn a_chain_of_two_thousand_additions_is_refused_at_once() {
    let sum = vec!["1"; 2_000].join(" + ");
    infraql()
        .args(["-e", &format!("services | select x = {sum}")])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("nested too deeply"));
}

#[test]
fn lets_that_stack_up_too_many_operations_are_refused() {
    let mut script = format!("let a0 = {}\n", long_take_chain(400));
    for i in 1..4 {
        script.push_str(&format!(
            "let a{i} = a{}{}\n",
            i - 1,
            " | take 1".repeat(400)
        ));
    }
    script.push_str("a3 | count\n");
    infraql()
        .write_stdin(script)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("more than 1000 operations"));
}

#[test]
fn engine_thread_counts_it_cannot_use_are_ignored_with_a_warning() {
    for bad in ["0", "100000", "many"] {
        infraql()
            .env("POLARS_MAX_THREADS", bad)
            .args(["--format", "csv", "-e", "services | count"])
            .assert()
            .success()
            .stdout("count\n22\n")
            .stderr(predicate::str::contains("ignoring POLARS_MAX_THREADS"));
    }
    infraql()
        .env("POLARS_MAX_THREADS", "1")
        .args(["--format", "csv", "-e", "services | count"])
        .assert()
        .success()
        .stderr("");
}

#[test]
fn a_join_that_explodes_is_stopped_by_the_memory_budget() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("same_key.csv");
    let mut csv = String::from("k,v\n");
    for i in 0..20_000 {
        csv.push_str(&format!("1,{i}\n"));
    }
    std::fs::write(&path, csv).unwrap();
    let from = format!("from \"{}\"", path.display());
    infraql()
        .args([
            "--memory-limit",
            "300MB",
            "-e",
            &format!("{from} | join ({from}) on k | select v"),
        ])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "needed more than 300 MB of memory",
        ));
}

/// Under an address-space cap the system refuses memory outright, which
/// Rust answers by aborting the process: the query must fail instead, with
/// exit code 1, a message saying memory ran out, and nothing printed.
#[test]
fn a_join_that_explodes_under_an_address_space_cap_fails_cleanly() {
    if std::process::Command::new("prlimit")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("skipped: prlimit is not installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("same_key.csv");
    let mut csv = String::from("k,v\n");
    for i in 0..20_000 {
        csv.push_str(&format!("1,{i}\n"));
    }
    std::fs::write(&path, csv).unwrap();
    let from = format!("from \"{}\"", path.display());
    // 400 million rows of 8 bytes do not fit in 2 GB of address space; the
    // watcher's budget is off so only the system can refuse.
    let output = std::process::Command::new("prlimit")
        .args(["--as=2000000000", env!("CARGO_BIN_EXE_infraql")])
        .args(["--memory-limit", "none", "--format", "csv", "-e"])
        .arg(format!("{from} | join ({from}) on k | select v"))
        .env("INFRAQL_HISTORY", "")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("refused"), "{stderr}");
    assert!(!stderr.contains("memory allocation"), "{stderr}");
    assert_eq!(String::from_utf8_lossy(&output.stdout), "");
}

#[test]
fn memory_budgets_that_make_no_sense_are_usage_errors() {
    infraql()
        .args(["--memory-limit", "lots", "-e", "services | count"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("not a memory size"));
}

/// Under an address-space cap, where asking for memory one does not touch
/// fails: `top N` is sized by the rows it gets, not by N.
#[test]
fn a_huge_top_on_a_small_table_asks_for_little_memory() {
    if std::process::Command::new("prlimit")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("skipped: prlimit is not installed");
        return;
    }
    let binary = env!("CARGO_BIN_EXE_infraql");
    let output = std::process::Command::new("prlimit")
        .args(["--as=3000000000", binary, "--format", "csv", "-e"])
        .arg("services | top 100000000 by requests_30d | count")
        .env("INFRAQL_HISTORY", "")
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        "count\n22\n",
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The shell survives the queries that used to kill it: each is answered
/// or refused and the next query runs.
#[test]
fn the_shell_survives_long_chains() {
    let dir = tempfile::tempdir().unwrap();
    let takes = dir.path().join("takes.iql");
    std::fs::write(&takes, long_take_chain(600)).unwrap();
    let ors = dir.path().join("ors.iql");
    std::fs::write(&ors, long_or_chain(3_000)).unwrap();
    let command = shell_command("");
    let mut repl = spawn_command(command, Some(60_000)).expect("the shell starts");
    repl.exp_string("infraql> ").unwrap();
    repl.send_line(&format!(".read {}", takes.display()))
        .unwrap();
    repl.exp_string("at most 500 operators").unwrap();
    repl.send_line(&format!(".read {}", ors.display())).unwrap();
    repl.exp_string("    18 ").unwrap();
    repl.send_line("services | count").unwrap();
    repl.exp_string("    22 ").unwrap();
    repl.send_line(".quit").unwrap();
    repl.exp_eof().unwrap();
}

#[test]
fn endless_standard_input_is_refused_not_read_forever() {
    let zero = std::fs::File::open("/dev/zero").expect("/dev/zero");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_infraql"))
        .env("INFRAQL_HISTORY", "")
        .stdin(zero)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("standard input is larger than 64 MiB"),
        "{stderr}"
    );
}
