//! Files that are not what their names say, names that look like globs,
//! errors that name the file, and exports that read back the same.

use std::fs;
use std::path::Path;
use std::time::Duration;

use crate::infraql;
use predicates::prelude::*;

use infraql::engine::polars::Engine;
use infraql::format::Format;
use infraql::render;
use infraql::session::{Outcome, Session};

/// Long enough for a debug build, short enough that a hang fails the test
/// instead of stalling the suite.
const PATIENCE: Duration = Duration::from_secs(60);

fn mkfifo(path: &Path) {
    let status = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("mkfifo runs");
    assert!(status.success(), "mkfifo {}", path.display());
}

fn session() -> Session {
    Session::new(Engine::with_bundled_datasets().expect("bundled datasets load"))
}

/// Every result of `text` as CSV (raw values) with a line of types first,
/// or the error.
fn csv_with_types(session: &mut Session, text: &str) -> String {
    let mut out = Vec::new();
    let result = session.run("<test>", text, |outcome| {
        if let Outcome::Rows(mut frame) = outcome {
            let types: Vec<String> = frame
                .columns()
                .iter()
                .map(|c| {
                    infraql::engine::polars::types::to_type(c.dtype())
                        .map_or_else(|| c.dtype().to_string(), |t| t.to_string())
                })
                .collect();
            out.extend_from_slice(types.join(",").as_bytes());
            out.push(b'\n');
            render::write(&mut frame, Format::Csv, &render::View::rows(100), &mut out)?;
        }
        Ok(())
    });
    let mut text = String::from_utf8(out).expect("UTF-8");
    if let Err(failure) = result {
        text.push_str(&failure.render(false));
    }
    text
}

#[test]
fn a_fifo_behind_a_data_name_is_refused_in_every_path() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("x.csv");
    mkfifo(&fifo);
    let named = format!("`{}`", fifo.display());
    let refused = || {
        predicate::str::contains(named.clone()).and(predicate::str::contains(
            "named pipe (FIFO), not a regular file",
        ))
    };

    let from = format!("from \"{}\" | count", fifo.display());
    infraql()
        .args(["-e", &from])
        .assert()
        .code(1)
        .stderr(refused());
    let glob = format!("from \"{}/*.csv\" | count", dir.path().display());
    infraql()
        .args(["-e", &glob])
        .assert()
        .code(1)
        .stderr(refused());
    infraql()
        .arg("--table")
        .arg(format!("t={}", fifo.display()))
        .args(["-e", "t | count"])
        .assert()
        .code(1)
        .stderr(refused());
    infraql()
        .arg("--data")
        .arg(dir.path())
        .args(["-e", "x | count"])
        .assert()
        .code(1)
        .stderr(refused());
    let load = format!(".load {} as t\nt | count\n", fifo.display());
    infraql()
        .write_stdin(load)
        .assert()
        .code(1)
        .stderr(refused());

    let script = dir.path().join("script.iql");
    mkfifo(&script);
    let script_refused = || {
        predicate::str::contains(format!("`{}`", script.display()))
            .and(predicate::str::contains("not a regular file"))
    };
    infraql()
        .arg("-f")
        .arg(&script)
        .assert()
        .code(1)
        .stderr(script_refused());
    infraql()
        .write_stdin(format!(".read {}\n", script.display()))
        .assert()
        .code(1)
        .stderr(script_refused());
}

#[test]
fn dev_zero_behind_a_csv_name_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let zero = dir.path().join("z.csv");
    std::os::unix::fs::symlink("/dev/zero", &zero).unwrap();
    infraql()
        .args(["-e", &format!("from \"{}\"", zero.display())])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(format!(
            "cannot read `{}`: it is a character device, not a regular file",
            zero.display()
        )));
}

#[test]
fn a_csv_of_one_enormous_line_of_commas_is_refused_at_line_1() {
    let dir = tempfile::tempdir().unwrap();
    let wide = dir.path().join("wide.csv");
    fs::write(&wide, ",".repeat(50_000_000)).unwrap();
    infraql()
        .args(["-e", &format!("from \"{}\" | count", wide.display())])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(format!(
            "cannot read `{}`, line 1: the header has more than 100000 columns",
            wide.display()
        )));
}

#[test]
fn export_then_read_back_keeps_rows_and_types_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let query = "services | top 3 by requests_30d \
        | select service, requests_30d, uptime_pct, error_rate_pct, shared_server, snapshot, \
          checked = to_datetime(snapshot) + 90m";
    let mut session = session();
    let expected = csv_with_types(&mut session, query);
    assert!(
        expected.starts_with("string,int,float,float,bool,date,datetime\n"),
        "{expected}"
    );
    assert!(
        expected.contains(",,"),
        "a null is part of the check: {expected}"
    );
    for extension in ["csv", "tsv", "json", "ndjson", "parquet"] {
        let path = dir.path().join(format!("top.{extension}"));
        let export = format!("{query} | export \"{}\"", path.display());
        assert_eq!(csv_with_types(&mut session, &export), "", "{extension}");
        let back = csv_with_types(&mut session, &format!("from \"{}\"", path.display()));
        assert_eq!(back, expected, "{extension} did not read back the same");
    }
}

#[test]
fn a_json_file_may_hold_an_array_or_lines() {
    let dir = tempfile::tempdir().unwrap();
    let array = dir.path().join("array.json");
    fs::write(
        &array,
        "[\n  {\"a\": 1, \"b\": \"x\"},\n  {\"a\": 2, \"b\": null}\n]\n",
    )
    .unwrap();
    let lines = dir.path().join("lines.json");
    fs::write(&lines, "{\"a\": 3, \"b\": \"y\"}\n").unwrap();
    let mut session = session();
    assert_eq!(
        csv_with_types(&mut session, &format!("from \"{}\"", array.display())),
        "int,string\na,b\n1,x\n2,\n"
    );
    assert_eq!(
        csv_with_types(&mut session, &format!("from \"{}\"", lines.display())),
        "int,string\na,b\n3,y\n"
    );
    let broken = dir.path().join("broken.json");
    fs::write(&broken, "[\n  {\"a\": 1},\n  {\"a\": 2,}\n]\n").unwrap();
    let error = csv_with_types(&mut session, &format!("from \"{}\"", broken.display()));
    assert!(
        error.contains(&format!(
            "cannot read `{}`: line 3, column 11: malformed JSON",
            broken.display()
        )),
        "{error}"
    );
}

#[test]
fn a_file_whose_name_has_glob_characters_is_that_file() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("brackets[1].csv"), "a,b\n1,2\n").unwrap();
    fs::write(dir.path().join("brackets1.csv"), "a,b\n9,9\n").unwrap();
    let mut session = session();
    let literal = format!("from \"{}/brackets[1].csv\"", dir.path().display());
    assert_eq!(
        csv_with_types(&mut session, &literal),
        "int,int\na,b\n1,2\n"
    );
    // A name that does not exist is a glob, where `[[]` is a `[`.
    let escaped = format!("from \"{}/brackets[[]*.csv\"", dir.path().display());
    assert_eq!(
        csv_with_types(&mut session, &escaped),
        "int,int\na,b\n1,2\n"
    );
    let glob = format!("from \"{}/brackets[0-9].csv\"", dir.path().display());
    assert_eq!(csv_with_types(&mut session, &glob), "int,int\na,b\n9,9\n");

    // NDJSON and Parquet too, and a folder of them for --data.
    fs::write(dir.path().join("rows[2].ndjson"), "{\"n\":1}\n").unwrap();
    let ndjson = format!("from \"{}/rows[2].ndjson\"", dir.path().display());
    assert_eq!(csv_with_types(&mut session, &ndjson), "int\nn\n1\n");
    let parquet = dir.path().join("p[3].parquet");
    let export = format!(
        "services | take 2 | select service | export \"{}\"",
        parquet.display()
    );
    assert_eq!(csv_with_types(&mut session, &export), "");
    let back = format!("from \"{}\" | count", parquet.display());
    assert_eq!(csv_with_types(&mut session, &back), "int\ncount\n2\n");
    infraql()
        .arg("--data")
        .arg(dir.path())
        .args(["--format", "csv", "-e", "`brackets[1]` | union brackets1"])
        .assert()
        .success()
        .stdout("a,b\n1,2\n9,9\n");
}

#[test]
fn a_file_in_a_folder_that_may_not_be_read_is_not_reported_missing() {
    let dir = tempfile::tempdir().unwrap();
    let locked = dir.path().join("locked");
    fs::create_dir(&locked).unwrap();
    fs::write(locked.join("t.csv"), "a\n1\n").unwrap();
    let below_a_file = dir.path().join("plain.csv");
    fs::write(&below_a_file, "a\n1\n").unwrap();
    // Works as root: a path through a file is not "no such file" either.
    let through = format!("{}/t.csv", below_a_file.display());
    infraql()
        .args(["-e", &format!("from \"{through}\"")])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(format!(
            "cannot read `{through}`: a part of the path is not a directory"
        )));
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(&locked, fs::Permissions::from_mode(0o000)).unwrap();
    let readable_anyway = fs::read_dir(&locked).is_ok();
    if readable_anyway {
        fs::set_permissions(&locked, fs::Permissions::from_mode(0o755)).unwrap();
        eprintln!("skipped the permission check: running as root, which reads any folder");
        return;
    }
    let file = locked.join("t.csv");
    let output = infraql()
        .args(["-e", &format!("from \"{}\"", file.display())])
        .assert()
        .code(1);
    fs::set_permissions(&locked, fs::Permissions::from_mode(0o755)).unwrap();
    output.stderr(predicate::str::contains(format!(
        "cannot read `{}`: permission denied",
        file.display()
    )));
}

#[test]
fn a_bad_value_in_one_file_of_a_glob_names_that_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("a.csv"), "n\n1\n2\n").unwrap();
    let bad = dir.path().join("b.csv");
    // Past the rows the types are inferred from.
    let rows: String = (0..10_005).map(|i| format!("{i}\n")).collect();
    fs::write(&bad, format!("n\n{rows}oops\n")).unwrap();
    let mut session = session();
    let query = format!(
        "from \"{}/*.csv\" | agg total = sum(n)",
        dir.path().display()
    );
    let error = csv_with_types(&mut session, &query);
    assert!(
        error.contains(&format!(
            "cannot read `{}`: line 10007, column `n`: `oops` does not fit the column's type",
            bad.display()
        )),
        "{error}"
    );
}

#[test]
fn a_new_export_follows_the_umask() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("new.csv");
    let binary = assert_cmd::cargo::cargo_bin("infraql");
    let status = std::process::Command::new("sh")
        .arg("-c")
        .arg("umask 027 && exec \"$0\" -e 'services | take 1 | select service' -o \"$1\"")
        .arg(&binary)
        .arg(&path)
        .env("INFRAQL_HISTORY", "")
        .status()
        .unwrap();
    assert!(status.success());
    use std::os::unix::fs::PermissionsExt;
    let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o640, "0666 less umask 027");
}

#[test]
fn a_killed_export_keeps_the_target_and_the_next_export_removes_its_leftover() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("big.csv");
    fs::write(&target, "old\n").unwrap();
    let temporaries = || -> Vec<String> {
        fs::read_dir(dir.path())
            .unwrap()
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with(infraql::export::TEMP_PREFIX))
            .collect()
    };
    // 174^3 rows: seconds to write.
    let query = format!(
        "let e = endpoints | select k = 1, r = requests\n\
         e | join e on k | join e on k | export \"{}\"",
        target.display()
    );
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("infraql"))
        .args(["-e", &query])
        .env("INFRAQL_HISTORY", "")
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    while temporaries().is_empty() {
        assert!(started.elapsed() < PATIENCE, "the export never started");
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap(); // SIGKILL: no chance to clean up
    child.wait().unwrap();
    assert_eq!(fs::read_to_string(&target).unwrap(), "old\n");
    let leftover = temporaries();
    assert_eq!(leftover.len(), 1, "{leftover:?}");

    let small = dir.path().join("small.csv");
    infraql()
        .args(["-e", "services | take 1 | select service", "-o"])
        .arg(&small)
        .assert()
        .success();
    assert_eq!(temporaries(), Vec::<String>::new(), "the leftover is gone");
    assert_eq!(fs::read_to_string(&target).unwrap(), "old\n");
}

#[test]
fn a_glob_over_files_with_different_columns_names_two_of_them() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("a1.csv"), "a,b\n1,2\n").unwrap();
    fs::write(dir.path().join("a2.csv"), "a,c\n3,4\n").unwrap();
    let pattern = dir.path().join("a*.csv");
    infraql()
        .args(["-e", &format!("from \"{}\"", pattern.display())])
        .assert()
        .code(1)
        .stderr(
            predicate::str::contains("have different columns")
                .and(predicate::str::contains("a1.csv` has a, b"))
                .and(predicate::str::contains("a2.csv` has a, c"))
                .and(predicate::str::contains("union")),
        );
    // Read apart, they combine by name.
    let (one, two) = (dir.path().join("a1.csv"), dir.path().join("a2.csv"));
    infraql()
        .args([
            "--format",
            "csv",
            "-e",
            &format!(
                "from \"{}\" | union (from \"{}\") | sort a",
                one.display(),
                two.display()
            ),
        ])
        .assert()
        .success()
        .stdout("a,b,c\n1,2,\n3,,4\n");
}

#[test]
fn float32_columns_are_aggregated_in_64_bits() {
    use polars::prelude::{DataFrame, NamedFrom, ParquetWriter, Series};
    // 2^24 plus nine ones: a 32-bit accumulator cannot hold 16777225.
    let mut values = vec![16_777_216f32];
    values.extend([1f32; 9]);
    let mut frame = DataFrame::new(10, vec![Series::new("x".into(), values).into()]).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("narrow.parquet");
    let file = fs::File::create(&path).unwrap();
    ParquetWriter::new(file).finish(&mut frame).unwrap();
    let mut session = session();
    let query = format!(
        "from \"{}\" | derive running = cumsum(x) over () | agg s = sum(x), a = avg(x) * 10, running = max(running)",
        path.display()
    );
    assert_eq!(
        csv_with_types(&mut session, &query),
        "float,float,float\ns,a,running\n16777225.0,16777225.0,16777225.0\n"
    );
}
