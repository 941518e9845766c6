//! The real binary: arguments, standard streams, formats, files and exit
//! codes.

use std::fs;

use crate::infraql;
use predicates::prelude::*;

use crate::root;

const TOP3: &str = "services | top 3 by requests_30d | select service, requests_30d, uptime_pct";

#[test]
fn execute_prints_a_table_and_exits_0() {
    infraql()
        .args(["-e", "services | count"])
        .assert()
        .success()
        .stdout(predicate::str::contains("│    22 │").and(predicate::str::contains("1 row")))
        .stderr("");
}

#[test]
fn several_queries_run_in_order() {
    let output = infraql()
        .args([
            "--format",
            "csv",
            "-e",
            "servers | count",
            "-e",
            "deployments | count",
        ])
        .assert()
        .success();
    assert_eq!(
        String::from_utf8_lossy(&output.get_output().stdout),
        "count\n11\ncount\n29\n"
    );
}

#[test]
fn script_file_runs_and_errors_name_the_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("report.iql");
    fs::write(
        &script,
        "# weekly report\nlet big = services | where requests_30d > 10M\nbig | count\n",
    )
    .unwrap();
    infraql()
        .arg("-f")
        .arg(&script)
        .args(["--format", "csv"])
        .assert()
        .success()
        .stdout("count\n5\n");

    fs::write(
        &script,
        "servers | count\nservers | where sise == \"Large\"\n",
    )
    .unwrap();
    infraql()
        .arg("-f")
        .arg(&script)
        .assert()
        .code(1)
        .stdout("")
        .stderr(
            predicate::str::contains("report.iql:2:17")
                .and(predicate::str::contains("did you mean `size`?")),
        );
}

#[test]
fn standard_input_is_a_script() {
    infraql()
        .args(["--format", "tsv"])
        .write_stdin("servers\n  | where size == \"Very Large\"\n  | select ip, distro\n")
        .assert()
        .success()
        .stdout(
            "ip\tdistro\n195.154.87.126\tUbuntu 20.04.6 LTS\n51.15.160.73\tUbuntu 22.04.5 LTS\n",
        );
}

#[test]
fn machine_formats_carry_raw_values() {
    let csv = infraql()
        .args(["--format", "csv", "-e", TOP3])
        .assert()
        .success();
    assert_eq!(
        String::from_utf8_lossy(&csv.get_output().stdout),
        "service,requests_30d,uptime_pct\npackages,167100000,68.09\nrepos,86400000,31.0\nissues,61600000,89.83\n"
    );
    let json = infraql()
        .args([
            "--format",
            "json",
            "-e",
            "servers | take 2 | select ip, services, snapshot",
        ])
        .assert()
        .success();
    assert_eq!(
        String::from_utf8_lossy(&json.get_output().stdout),
        concat!(
            r#"[{"ip":"195.154.87.126","services":1,"snapshot":"2025-08-24"},{"ip":"51.15.160.73","services":1,"snapshot":"2025-08-24"}]"#,
            "\n"
        )
    );
    let ndjson = infraql()
        .args([
            "--format",
            "ndjson",
            "-e",
            "services | where service == \"dashboard\" | select service, requests_30d",
        ])
        .assert()
        .success();
    assert_eq!(
        String::from_utf8_lossy(&ndjson.get_output().stdout),
        "{\"service\":\"dashboard\",\"requests_30d\":null}\n"
    );
}

#[test]
fn several_json_results_are_one_valid_document_per_line() {
    for (format, lines) in [("json", 2), ("ndjson", 3)] {
        let output = infraql()
            .args([
                "--format",
                format,
                "-e",
                "servers | count",
                "-e",
                "services | top 2 by requests_30d | select service",
            ])
            .assert()
            .success();
        let text = String::from_utf8_lossy(&output.get_output().stdout).into_owned();
        assert!(text.ends_with('\n'), "{format}: {text:?}");
        let documents: Vec<&str> = text.lines().collect();
        assert_eq!(documents.len(), lines, "{format}: {text}");
        for document in documents {
            serde_json::from_str::<serde_json::Value>(document)
                .unwrap_or_else(|e| panic!("{format}: {document:?} is not JSON: {e}"));
        }
    }
    let json = infraql()
        .args([
            "--format",
            "json",
            "-e",
            "servers | count",
            "-e",
            "servers | count",
        ])
        .assert()
        .success();
    assert_eq!(
        String::from_utf8_lossy(&json.get_output().stdout),
        "[{\"count\":11}]\n[{\"count\":11}]\n"
    );
}

#[test]
fn datetimes_are_iso_8601_in_csv_and_json_with_the_digits_a_column_needs() {
    let query = "servers | take 1 | select at = to_datetime(\"2025-11-16 00:00:00\"), \
                 fine = to_datetime(\"2025-11-16 00:00:00\") + 250ms";
    let out = |format: &str| {
        let output = infraql()
            .args(["--format", format, "-e", query])
            .assert()
            .success();
        String::from_utf8_lossy(&output.get_output().stdout).into_owned()
    };
    assert_eq!(
        out("csv"),
        "at,fine\n2025-11-16T00:00:00,2025-11-16T00:00:00.250\n"
    );
    assert_eq!(
        out("json"),
        "[{\"at\":\"2025-11-16T00:00:00\",\"fine\":\"2025-11-16T00:00:00.250\"}]\n"
    );
    assert_eq!(
        out("ndjson"),
        "{\"at\":\"2025-11-16T00:00:00\",\"fine\":\"2025-11-16T00:00:00.250\"}\n"
    );
    // A file written and read back keeps the instant.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("times.csv");
    infraql()
        .args(["-e", query, "-o"])
        .arg(&path)
        .assert()
        .success();
    assert_eq!(
        fs::read_to_string(&path).unwrap(),
        "at,fine\n2025-11-16T00:00:00,2025-11-16T00:00:00.250\n"
    );
    let back = infraql()
        .args([
            "--format",
            "csv",
            "-e",
            &format!(
                "from \"{}\" | select ms = (fine - at) / 1ms, at",
                path.display()
            ),
        ])
        .assert()
        .success();
    assert_eq!(
        String::from_utf8_lossy(&back.get_output().stdout),
        "ms,at\n250.0,2025-11-16T00:00:00\n"
    );
}

#[test]
fn markdown_format_is_a_markdown_table() {
    infraql()
        .args(["--format", "markdown", "-e", "servers | take 2 | select ip, services"])
        .assert()
        .success()
        .stdout("| ip             | services |\n|----------------|----------|\n| 195.154.87.126 |        1 |\n| 51.15.160.73   |        1 |\n");
}

#[test]
fn max_rows_cuts_the_table_with_a_note() {
    infraql()
        .args(["--max-rows", "2", "-e", "deployments | select service"])
        .assert()
        .success()
        .stdout(
            predicate::str::contains("showing 2 of 29 rows")
                .and(predicate::str::contains("sponsors").not()),
        );
}

/// Reads a result file back through the binary itself.
fn read_back(path: &std::path::Path) -> String {
    let query = format!(
        "from \"{}\" | select service, requests_30d, uptime_pct, snapshot",
        path.display()
    );
    let output = infraql()
        .args(["--format", "csv", "-e", &query])
        .assert()
        .success();
    String::from_utf8_lossy(&output.get_output().stdout).into_owned()
}

#[test]
fn output_file_in_every_format_reads_back_equal() {
    let expected = "service,requests_30d,uptime_pct,snapshot\npackages,167100000,68.09,2025-08-23\nrepos,86400000,31.0,2025-08-23\nissues,61600000,89.83,2025-08-23\n";
    let dir = tempfile::tempdir().unwrap();
    let query =
        "services | top 3 by requests_30d | select service, requests_30d, uptime_pct, snapshot";
    for extension in ["csv", "tsv", "ndjson", "parquet"] {
        let path = dir.path().join(format!("top.{extension}"));
        infraql()
            .args(["-e", query, "-o"])
            .arg(&path)
            .assert()
            .success()
            .stdout("")
            .stderr(predicate::str::contains("wrote 3 rows"));
        assert_eq!(
            read_back(&path),
            expected,
            "{extension} did not read back equal"
        );
    }
    let json = dir.path().join("top.json");
    infraql()
        .args(["-e", query, "-o"])
        .arg(&json)
        .assert()
        .success();
    let text = fs::read_to_string(&json).unwrap();
    assert!(text.starts_with(r#"[{"service":"packages","requests_30d":167100000,"uptime_pct":68.09,"snapshot":"2025-08-23"}"#), "{text}");
}

#[test]
fn export_operator_writes_the_file_and_keeps_an_old_one_on_failure() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.csv");
    let query = format!(
        "services | where requests_30d > 50M | select service | export \"{}\"",
        path.display()
    );
    infraql()
        .args(["-e", &query])
        .assert()
        .success()
        .stdout("")
        .stderr(predicate::str::contains("exported 3 rows"));
    assert_eq!(
        fs::read_to_string(&path).unwrap(),
        "service\nrepos\npackages\nissues\n"
    );

    // A failing query leaves the earlier file as it was.
    let failing = format!(
        "services | where requests_30d > 50M | select nope | export \"{}\"",
        path.display()
    );
    infraql().args(["-e", &failing]).assert().code(1);
    assert_eq!(
        fs::read_to_string(&path).unwrap(),
        "service\nrepos\npackages\nissues\n"
    );
}

#[test]
fn data_dir_replaces_the_bundled_tables() {
    let data = root().join("tests/fixtures/data");
    infraql()
        .arg("--data")
        .arg(&data)
        .args([
            "--format",
            "csv",
            "-e",
            "hosts | where healthy | select host, cpu_pct, checked",
        ])
        .assert()
        .success()
        .stdout(
            "host,cpu_pct,checked\nalpha.example,71.5,2025-08-01\nbeta.example,12.25,2025-08-01\n",
        );
    infraql()
        .arg("--data")
        .arg(&data)
        .args(["-e", "services | count"])
        .assert()
        .code(1)
        .stderr(
            predicate::str::contains("unknown table `services`")
                .and(predicate::str::contains("hosts")),
        );
}

#[test]
fn parquet_data_dir_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    infraql()
        .args([
            "-e",
            "endpoints | where service == \"diff\" | select endpoint, requests, api, snapshot",
            "-o",
        ])
        .arg(dir.path().join("diff_endpoints.parquet"))
        .assert()
        .success();
    infraql()
        .arg("--data")
        .arg(dir.path())
        .args(["--format", "csv", "-e", "diff_endpoints | sort requests"])
        .assert()
        .success()
        .stdout("endpoint,requests,api,snapshot\nHomeController#index,43965,false,2025-08-23\nJobsController#diff,142508,false,2025-08-23\n");
}

#[test]
fn exit_codes_separate_query_errors_from_usage_errors() {
    infraql()
        .args(["-e", "services | wher x"])
        .assert()
        .code(1)
        .stdout("")
        .stderr(predicate::str::contains("unknown operator `wher`"));
    infraql()
        .args(["--data", "/nonexistent/dir", "-e", "x"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("cannot read directory"));
    infraql().args(["--no-such-flag"]).assert().code(2);
    infraql()
        .args(["--format", "xml", "-e", "services"])
        .assert()
        .code(2);
    infraql()
        .args(["-e", "services", "-o", "out.xlsx"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(".xlsx"));
    infraql()
        .args(["-f", "/nonexistent/script.iql"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "no such file: `/nonexistent/script.iql`",
        ));
}

#[test]
fn a_run_time_data_error_comes_after_the_earlier_results() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("late_text.csv");
    // Type inference reads the first 10,000 rows; the bad value comes later.
    let mut csv = String::from("n\n");
    for i in 0..10_000 {
        csv.push_str(&format!("{i}\n"));
    }
    csv.push_str("not-a-number\n");
    fs::write(&path, csv).unwrap();
    let script = format!(
        "servers | count\nfrom \"{}\" | agg total = sum(n)",
        path.display()
    );
    infraql()
        .args(["--format", "csv", "-e", &script])
        .assert()
        .code(1)
        .stdout("count\n11\n")
        .stderr(
            predicate::str::contains("query failed")
                .and(predicate::str::contains("<-e>:2:1"))
                .and(predicate::str::contains("panicked").not()),
        );
}

#[test]
fn no_input_panics() {
    for query in [
        "",
        ";;;",
        "(((",
        "services | where 1 +",
        "`",
        "let",
        "services | select `",
        "é | ü",
    ] {
        infraql()
            .args(["-e", query])
            .assert()
            .stderr(predicate::str::contains("panicked").not());
    }
    for script in ["\u{0}", "services\u{0} | count", "\u{feff}services | count"] {
        infraql()
            .write_stdin(script)
            .assert()
            .stderr(predicate::str::contains("panicked").not());
    }
}

#[test]
fn import_builds_the_tables_from_a_documentation_tree() {
    let out = tempfile::tempdir().unwrap();
    infraql()
        .arg("import")
        .arg(root().join("tests/fixtures/docs"))
        .arg("--out")
        .arg(out.path())
        .assert()
        .success();
    for table in [
        "services",
        "endpoints",
        "jobs",
        "servers",
        "deployments",
        "incidents",
    ] {
        assert!(
            out.path().join(format!("{table}.csv")).is_file(),
            "{table}.csv was not written"
        );
    }
    infraql()
        .args(["import", "/nonexistent/docs", "--out"])
        .arg(out.path())
        .assert()
        .code(1);
}

#[test]
fn table_and_now_flags_make_log_queries_reproducible() {
    let query = "logs | where to_datetime(timestamp) >= ago(24h) | count";
    infraql()
        .args([
            "--table",
            "logs=tests/fixtures/logs/*.csv",
            "--now",
            "2025-11-24T00:00:00",
            "--format",
            "csv",
            "-e",
            query,
        ])
        .current_dir(root())
        .assert()
        .success()
        .stdout("count\n24\n");
    infraql()
        .args([
            "--table",
            "logs=tests/fixtures/logs/*.csv",
            "--now",
            "2025-11-23",
            "--format",
            "csv",
            "-e",
            query,
        ])
        .current_dir(root())
        .assert()
        .success()
        .stdout("count\n48\n");
}

#[test]
fn bad_table_and_now_flags_are_usage_or_data_errors() {
    infraql()
        .args(["--table", "logs", "-e", "logs"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("NAME=PATH"));
    infraql()
        .args(["--table", "9x=a.csv", "-e", "x"])
        .assert()
        .code(2);
    infraql()
        .args(["--now", "yesterday", "-e", "services | count"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("not a timestamp"));
    infraql()
        .args([
            "--table",
            "logs=tests/fixtures/logs/*.parquet",
            "-e",
            "logs | count",
        ])
        .current_dir(root())
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "--table logs: no files match `tests/fixtures/logs/*.parquet`",
        ));
}

#[test]
fn line_format_and_humanized_numbers() {
    infraql()
        .args([
            "--format",
            "line",
            "--humanize",
            "-e",
            "services | top 2 by requests_30d | select service, requests_30d",
        ])
        .assert()
        .success()
        .stdout(
            "     service = packages\nrequests_30d = 167.1M\n\n     service = repos\nrequests_30d = 86.4M\n",
        );
}

#[test]
fn chart_prints_to_a_pipe_at_eighty_columns_whatever_the_format() {
    let output = infraql()
        .args([
            "--format",
            "csv",
            "-e",
            "services | top 2 by requests_30d | chart service, requests_30d",
        ])
        .output()
        .expect("runs");
    assert!(output.status.success());
    let text = String::from_utf8(output.stdout).expect("UTF-8");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "requests_30d by service");
    assert!(lines[1].starts_with("packages █"), "{text}");
    assert!(lines[1].ends_with(" 167,100,000"), "{text}");
    assert_eq!(lines[1].chars().count(), 80, "{text}");
}

#[test]
fn piped_tables_are_never_cut_to_a_width() {
    let output = infraql()
        .args(["-e", "services | take 1"])
        .output()
        .expect("runs");
    let text = String::from_utf8(output.stdout).expect("UTF-8");
    assert!(!text.contains("not shown"), "{text}");
    assert!(text.lines().any(|l| l.chars().count() > 200), "{text}");
}

#[test]
fn a_time_series_chart_draws_every_point_whatever_max_rows() {
    infraql()
        .args([
            "--max-rows",
            "5",
            "--table",
            "logs=tests/fixtures/logs/*.csv",
            "-e",
            "logs | group hour = bin(timestamp, 1h) agg n = count() | chart hour, n",
        ])
        .current_dir(root())
        .assert()
        .success()
        .stdout(predicate::str::contains("48 points, lowest 1, highest 1"));
}

#[test]
fn scripts_mix_queries_and_dot_commands() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("top.csv");
    let script = format!(
        "# settings change quietly\n.mode csv\nservers | count\n.output {}\nservices | top 2 by requests_30d | select service\n.output\n.mode line\n.load tests/fixtures/logs/*.csv as logs\nlogs | agg n = count()\n.quit\nservices | count\n",
        out.display()
    );
    infraql()
        .current_dir(root())
        .write_stdin(script)
        .assert()
        .success()
        .stdout("count\n11\nn = 48\n")
        .stderr("");
    assert_eq!(
        fs::read_to_string(&out).expect("written"),
        "service\npackages\nrepos\n"
    );
}

#[test]
fn a_failing_dot_command_names_the_script_line_and_the_script_goes_on() {
    let dir = tempfile::tempdir().expect("temp dir");
    let script = dir.path().join("bad.iql");
    fs::write(&script, "servers | count\n.mode jsn\nservices | count\n").expect("write");
    infraql()
        .arg("-f")
        .arg(&script)
        .assert()
        .code(1)
        .stdout(predicate::str::contains("11").and(predicate::str::contains("22")))
        .stderr(format!(
            "error: {}:2: unknown mode `jsn`; did you mean `json`?\n",
            script.display()
        ));
    // --bail stops at the failure.
    infraql()
        .arg("--bail")
        .arg("-f")
        .arg(&script)
        .assert()
        .code(1)
        .stdout(predicate::str::contains("11").and(predicate::str::contains("22").not()))
        .stderr(format!(
            "error: {}:2: unknown mode `jsn`; did you mean `json`?\n",
            script.display()
        ));
}

#[test]
fn a_script_reading_itself_stops_at_a_depth() {
    let dir = tempfile::tempdir().expect("temp dir");
    let script = dir.path().join("loop.iql");
    fs::write(&script, format!(".read {}\n", script.display())).expect("write");
    infraql()
        .arg("-f")
        .arg(&script)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("`.read` nested more than 16 deep"));
}

/// `infraql` on the hand-written history table of
/// tests/fixtures/history_table/ (three revisions; see its README), as CSV.
fn on_history(query: &str) -> assert_cmd::assert::Assert {
    infraql()
        .args([
            "--table",
            "history=tests/fixtures/history_table/services.csv",
            "--format",
            "csv",
            "-e",
            query,
        ])
        .current_dir(root())
        .assert()
}

fn stdout_of(assert: assert_cmd::assert::Assert) -> String {
    let assert = assert.success();
    String::from_utf8_lossy(&assert.get_output().stdout).into_owned()
}

#[test]
fn latest_keeps_the_rows_of_the_newest_revision() {
    let out = stdout_of(on_history(
        "history | latest | select service, uptime_pct, requests, revision | sort service",
    ));
    assert_eq!(
        out,
        "service,uptime_pct,requests,revision\n\
         api,99.9,100,2\n\
         queue,,5,3\n\
         search,95.5,20,2\n\
         web,98.0,75,3\n"
    );
}

#[test]
fn at_n_keeps_the_rows_of_revision_n() {
    let at = |n: u32| {
        stdout_of(on_history(&format!(
            "history | at {n} | select service, uptime_pct, requests, commit | sort service"
        )))
    };
    assert_eq!(
        at(1),
        "service,uptime_pct,requests,commit\n\
         api,99.5,100,a1b2c3d\n\
         jobs,97.0,10,a1b2c3d\n\
         web,98.0,50,a1b2c3d\n"
    );
    assert_eq!(
        at(2),
        "service,uptime_pct,requests,commit\n\
         api,99.9,100,e4f5a6b\n\
         search,95.5,20,e4f5a6b\n\
         web,98.0,50,a1b2c3d\n"
    );
    // The newest revision is `latest`, and so is any revision after it.
    let latest = stdout_of(on_history(
        "history | latest | select service, uptime_pct, requests, commit | sort service",
    ));
    assert_eq!(at(3), latest);
    assert_eq!(at(9), latest);
    assert_ne!(at(1), at(2));
}

#[test]
fn diff_of_two_revisions_leaves_the_history_columns_out() {
    let out = stdout_of(on_history(
        "let old = history | at 1; let new = history | latest; old | diff new on service",
    ));
    assert_eq!(
        out,
        "service,change,uptime_pct_before,uptime_pct_after,uptime_pct_delta,requests_before,requests_after,requests_delta\n\
         api,changed,99.5,99.9,0.4000000000000057,100,100,0\n\
         jobs,removed,97.0,,,10,,\n\
         queue,added,,,,,5,\n\
         search,added,,95.5,,,20,\n\
         web,changed,98.0,98.0,0.0,50,75,25\n"
    );
    // Revisions next to each other: only what changed between them.
    let out = stdout_of(on_history(
        "history | at 2 | diff (history | at 3) on service | select service, change",
    ));
    assert_eq!(out, "service,change\nqueue,added\nweb,changed\n");
}

#[test]
fn at_on_a_table_without_history_is_an_error_with_a_caret() {
    let assert = infraql().args(["-e", "services | at 1"]).assert().code(1);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    assert!(stderr.contains("`at` needs a history table"), "{stderr}");
    assert!(stderr.contains("infraql import --git"), "{stderr}");
    assert!(stderr.contains("^^^^"), "{stderr}");
    let assert = infraql()
        .args(["-e", "history | at 0"])
        .args([
            "--table",
            "history=tests/fixtures/history_table/services.csv",
        ])
        .current_dir(root())
        .assert()
        .code(1);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    assert!(stderr.contains("1 or more"), "{stderr}");
}

#[test]
fn explain_shows_the_diff() {
    let out = stdout_of(on_history(
        ".explain history | at 1 | diff (history | latest) on service",
    ));
    assert!(out.contains("Diff on service"), "{out}");
    assert!(out.contains("gone_in"), "{out}");
}

#[test]
fn a_failed_source_is_reported_the_others_run_and_the_exit_status_says_so() {
    infraql()
        .args([
            "--format",
            "csv",
            "-e",
            "services | count",
            "-e",
            "nosuch",
            "-e",
            "servers | count",
        ])
        .assert()
        .code(1)
        .stdout("count\n22\ncount\n11\n")
        .stderr(
            predicate::str::contains("unknown table `nosuch`").and(predicate::str::contains(
                "infraql: 1 of 3 sources had a failure (<-e 2>); 2 ran without one\n",
            )),
        );
    infraql()
        .args(["--bail", "--format", "csv", "-e", "nosuch", "-e", "servers | count"])
        .assert()
        .code(1)
        .stdout("")
        .stderr(predicate::str::contains(
            "infraql: 1 of 2 sources had a failure (<-e 1>); 0 ran without one; --bail left 1 not run\n",
        ));
    // Within one text, the failure says which of its queries ran.
    infraql()
        .args([
            "--format",
            "csv",
            "-e",
            "services | count\nservices | select requests_30d * 1B * 1B\nservers | count",
        ])
        .assert()
        .code(1)
        .stdout("count\n22\n")
        .stderr(predicate::str::contains(
            "query 2 of 3 in this text failed: the 1 query before it ran; the 1 after it did not",
        ));
}
