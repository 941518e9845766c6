//! The ClickHouse backend on the real ClickHouse engine: the chDB-backed
//! HTTP server in tests/clickhouse/ on 127.0.0.1, with the access-log table
//! of tests/fixtures/clickhouse/access_logs.sql. Without Python's `chdb`
//! these tests say that they skipped and pass.
//!
//! The equivalence check runs every golden case over logs on both engines
//! and compares the rows; cases the server cannot answer with the
//! language's meaning are refused, and each such case is listed here with
//! the reason.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;

use polars::prelude::{AnyValue, DataFrame};

use infraql::engine::polars::Engine;
use infraql::session::{Outcome, Session};

use crate::{files_with_extension, root};

/// A running test server; it ends when the test process does (its standard
/// input closes).
struct Server {
    _child: Child,
    url: String,
}

/// The shared server, started on first use; `None` (with a note on
/// stderr) when Python or chdb is missing.
fn server() -> Option<&'static Server> {
    static SERVER: OnceLock<Option<Server>> = OnceLock::new();
    SERVER.get_or_init(start).as_ref()
}

fn start() -> Option<Server> {
    start_with_password("")
}

/// A server of its own whose user `default` has `password`.
fn start_with_password(password: &str) -> Option<Server> {
    let has_chdb = Command::new("python3")
        .args(["-c", "import chdb"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !has_chdb {
        // Straight to stderr, past the test harness's capture, so that
        // `cargo test` says what it skipped.
        use std::io::Write as _;
        let _ = writeln!(
            std::io::stderr(),
            "skipped: the ClickHouse backend's tests need Python's chdb (python3 -m pip install chdb)"
        );
        return None;
    }
    let bundled = std::env::temp_dir().join(format!("infraql-bundled-{}.sql", std::process::id()));
    std::fs::write(&bundled, bundled_tables_sql()).expect("init file");
    let mut child = Command::new("python3")
        .arg(root().join("tests/clickhouse/chdb_server.py"))
        .args(["--port", "0", "--init"])
        .arg(root().join("tests/fixtures/clickhouse/access_logs.sql"))
        .arg("--init")
        .arg(&bundled)
        .args(["--password", password])
        .current_dir(root())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("the test server starts");
    let stdout = child.stdout.take().expect("server stdout");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("the server says where it listens");
    let address = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line from the server: {line:?}"))
        .to_owned();
    Some(Server {
        _child: child,
        url: format!("http://default@{address}/apisix_logs"),
    })
}

/// The bundled tables as ClickHouse tables of the `default` database,
/// filled from datasets/*.csv, for properties over both engines.
fn bundled_tables_sql() -> String {
    use infraql::plan::types::Type;
    let mut sql = String::new();
    for (table, _) in infraql::datasets::bundled() {
        let columns: Vec<String> = table
            .columns
            .iter()
            .map(|c| {
                let ty = match c.ty {
                    Type::Int => "Int64",
                    Type::Float => "Float64",
                    Type::Bool => "Bool",
                    Type::Date => "Date32",
                    _ => "String",
                };
                format!("`{}` Nullable({ty})", c.name)
            })
            .collect();
        let structure = columns.join(", ");
        sql.push_str(&format!(
            "CREATE TABLE default.`{0}` ({structure}) ENGINE = MergeTree ORDER BY tuple();\n\
             INSERT INTO default.`{0}` SELECT * FROM file('datasets/{0}.csv', 'CSVWithNames', '{1}');\n",
            table.name,
            structure.replace('\'', "\\'")
        ));
    }
    sql
}

/// A session whose every table is on the server (the bundled tables of
/// its `default` database).
fn all_remote_session(server: &Server) -> Session {
    let mut session = Session::new(Engine::default());
    let url = server.url.replace("/apisix_logs", "/default");
    session.connect(&url, None).expect("connects");
    session
}

macro_rules! server_or_skip {
    () => {
        match server() {
            Some(server) => server,
            None => {
                eprintln!("skipped: no ClickHouse test server");
                return;
            }
        }
    };
}

/// A session on the bundled tables with `logs` as the server's table.
fn remote_session(server: &Server) -> Session {
    let mut session = Session::new(Engine::with_bundled_datasets().expect("bundled data"));
    session.connect(&server.url, None).expect("connects");
    session
        .clickhouse_mut()
        .expect("connected")
        .alias("logs", "apisix_logs.access_logs_v2")
        .expect("the log table is there");
    session
}

/// A session on the bundled tables with `logs` as the fixture files.
fn local_session() -> Session {
    let mut session = Session::new(Engine::with_bundled_datasets().expect("bundled data"));
    session
        .add_file("logs", "tests/fixtures/logs/*.csv")
        .expect("fixture logs");
    session
}

/// The results of `text` as rows of comparable cells, or the error.
fn rows(session: &mut Session, text: &str) -> Result<Vec<Vec<Vec<String>>>, String> {
    let mut out = Vec::new();
    session
        .run("<case>", text, |outcome| {
            if let Outcome::Rows(frame) | Outcome::Chart(frame) = outcome {
                out.push(cells(&frame));
            }
            Ok(())
        })
        .map_err(|failure| failure.render(false))?;
    Ok(out)
}

/// A frame's rows, sorted (the server keeps no row order where the query
/// sets none), with floats to 9 significant digits.
fn cells(frame: &DataFrame) -> Vec<Vec<String>> {
    let mut rows: Vec<Vec<String>> = (0..frame.height())
        .map(|i| {
            frame
                .columns()
                .iter()
                .map(|c| match c.get(i) {
                    Ok(AnyValue::Float64(f)) => format!("{f:.9e}"),
                    Ok(AnyValue::Null) => "null".to_owned(),
                    Ok(v) => v.to_string(),
                    Err(e) => format!("error: {e}"),
                })
                .collect()
        })
        .collect();
    rows.sort();
    rows
}

/// Golden cases over logs that the server refuses, and why. (Cases that
/// read files with `from` run locally, and agree by construction.)
const REFUSED: &[(&str, &str)] = &[];

#[test]
fn golden_log_cases_agree_on_both_engines() {
    let server = server_or_skip!();
    let mut outcomes: BTreeMap<String, String> = BTreeMap::new();
    let mut disagreements = Vec::new();
    for path in files_with_extension(&root().join("tests/cases/logs"), "iql") {
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(&path).expect("case");
        let now = text
            .lines()
            .find_map(|l| l.strip_prefix("# now:"))
            .map(|t| infraql::session::parse_timestamp(t).expect("now"));
        let mut local = local_session();
        let mut remote = remote_session(server);
        local.set_now(now);
        remote.set_now(now);
        let expected = rows(&mut local, &text);
        let found = rows(&mut remote, &text);
        let refused = REFUSED.iter().find(|(case, _)| *case == name);
        match (&expected, &found, refused) {
            (Ok(e), Ok(f), None) if e == f => {
                outcomes.insert(name, "agrees".to_owned());
            }
            (_, Err(error), Some(_)) => {
                outcomes.insert(
                    name,
                    format!("refused: {}", error.lines().next().unwrap_or("")),
                );
            }
            (Err(e), Err(f), None) => {
                outcomes.insert(name.clone(), "both fail".to_owned());
                if e.lines().next() != f.lines().next() {
                    outcomes.insert(name, format!("both fail, differently:\n{e}\n{f}"));
                }
            }
            _ => disagreements.push(format!(
                "{name}:\n  local:      {expected:?}\n  clickhouse: {found:?}"
            )),
        }
    }
    eprintln!("ClickHouse equivalence: {outcomes:#?}");
    assert!(
        disagreements.is_empty(),
        "the engines disagree:\n{}",
        disagreements.join("\n")
    );
}

#[test]
fn tables_and_schemas_come_from_the_server() {
    let server = server_or_skip!();
    let session = remote_session(server);
    let remote = session.clickhouse().expect("connected");
    let types = remote.column_types("logs").expect("logs");
    let host = types.iter().find(|(n, _, _)| n == "host").expect("host");
    assert_eq!(host.2, "LowCardinality(Nullable(String))");
    assert_eq!(
        session.location("logs"),
        Some(infraql::engine::Location::ClickHouse)
    );
    assert_eq!(
        session.location("services"),
        Some(infraql::engine::Location::Local)
    );
}

#[test]
fn odd_strings_reach_the_server_as_values() {
    let server = server_or_skip!();
    let mut session = remote_session(server);
    for odd in [
        "'); DROP TABLE apisix_logs.access_logs_v2; --",
        "back\\slash",
        "quote'double\"",
        "nul\0byte",
        "tab\tnew\nline",
    ] {
        let query = format!(
            "logs | take 1 | select s = {}",
            serde_json::to_string(odd)
                .unwrap()
                .replace("\\u0000", "\\0")
        );
        let found = rows(&mut session, &query);
        let mut local = local_session();
        assert_eq!(found, rows(&mut local, &query), "{odd:?}");
    }
    // The table is still there.
    assert_eq!(
        rows(&mut session, "logs | count").expect("count"),
        [[["48".to_owned()]]]
    );
}

#[test]
fn overflow_on_the_server_is_the_language_error() {
    let server = server_or_skip!();
    let mut session = remote_session(server);
    let error = rows(
        &mut session,
        "logs | select x = status * 9223372036854775807",
    )
    .expect_err("overflow");
    assert!(
        error.contains("integer overflow in `status * 9223372036854775807`"),
        "{error}"
    );
}

#[test]
fn mixed_queries_join_server_results_with_local_tables() {
    let server = server_or_skip!();
    let query = "logs | group host agg requests = count() | join (services | derive host = replace(url, \"https://\", \"\")) on host | select host, requests, service | sort requests desc, host";
    let mut remote = remote_session(server);
    let mut local = local_session();
    assert_eq!(rows(&mut remote, query), rows(&mut local, query));
    let plan = remote.explain("<explain>", query).expect("explains");
    assert!(plan.contains("ClickHouse SQL, part 1"), "{plan}");
    assert!(plan.contains("Polars plan"), "{plan}");
}

#[test]
fn what_the_server_cannot_answer_alike_is_refused_before_sending() {
    let server = server_or_skip!();
    let mut session = remote_session(server);
    for (query, says) in [
        ("logs | group host agg f = first(uri)", "`first` and `last`"),
        ("logs | where uri matches \"\\\\d+\"", "RE2"),
        ("logs | derive n = row_number()", "without a sort"),
    ] {
        let error = rows(&mut session, query).expect_err(query);
        assert!(error.contains(says), "{query}: {error}");
    }
}

#[test]
fn a_wrong_password_is_one_clear_message_without_the_password() {
    let server = server_or_skip!();
    let mut session = Session::new(Engine::with_bundled_datasets().expect("bundled data"));
    let error = session
        .connect(&server.url, Some("not-the-password".to_owned()))
        .expect_err("refused");
    assert!(error.is_authentication());
    let error = error.to_string();
    assert!(error.contains("wrong user or password"), "{error}");
    assert!(!error.contains("not-the-password"), "{error}");
}

#[test]
fn a_server_that_is_down_is_named() {
    // A port nothing listens on.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("port");
    let port = listener.local_addr().expect("address").port();
    drop(listener);
    let mut session = Session::new(Engine::with_bundled_datasets().expect("bundled data"));
    let error = session
        .connect(&format!("http://default@127.0.0.1:{port}/db"), None)
        .expect_err("refused")
        .to_string();
    assert!(
        error.contains(&format!(
            "cannot reach the ClickHouse server at http://default@127.0.0.1:{port}/db"
        )),
        "{error}"
    );
}

/// A join that would take the engine minutes: every row with every row
/// six times over on a low-cardinality key (streamed, so little memory).
const SLOW: &str = "logs | join logs on method | join logs on method | join logs on method | join logs on method | join logs on method | join logs on method | count";

/// Starts [`SLOW`] on a thread of its own; the handle gives how the run
/// ended and when.
fn run_slow(
    server: &Server,
) -> (
    infraql::cancel::Cancel,
    std::thread::JoinHandle<(Option<infraql::session::Cause>, std::time::Instant)>,
) {
    let mut session = remote_session(server);
    let cancel = infraql::cancel::Cancel::new();
    session.set_cancel(cancel.clone());
    let worker = std::thread::spawn(move || {
        let result = session.run("<slow>", SLOW, |_| Ok(()));
        (result.err().map(|f| f.cause), std::time::Instant::now())
    });
    (cancel, worker)
}

#[test]
fn cancelling_stops_the_query_on_the_server_too() {
    let server = server_or_skip!();
    let (cancel, worker) = run_slow(server);
    std::thread::sleep(std::time::Duration::from_millis(500));
    let cancelled_at = std::time::Instant::now();
    cancel.cancel();
    let (cause, ended_at) = worker.join().expect("the run ends");
    assert_eq!(cause, Some(infraql::session::Cause::Cancelled));
    let waited = ended_at.duration_since(cancelled_at);
    assert!(
        waited < std::time::Duration::from_millis(500),
        "took {waited:?}"
    );
    // The server's query is gone soon after.
    let address = server.url.trim_start_matches("http://default@");
    let address = address.split('/').next().expect("host:port");
    let running = || {
        let sql = "SELECT count() FROM system.processes WHERE query LIKE '%INNER JOIN%' AND query NOT LIKE '%system.processes%'";
        reqwest::blocking::Client::new()
            .post(format!("http://{address}/"))
            .body(sql)
            .send()
            .and_then(|r| r.text())
            .expect("the server answers")
            .trim()
            .to_owned()
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while running() != "0" {
        assert!(
            std::time::Instant::now() < deadline,
            "the query still runs on the server"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 64, .. proptest::prelude::ProptestConfig::default() })]

    /// Generated predicates (those of the consistency properties) select
    /// the same rows on both engines.
    #[test]
    fn generated_filters_select_the_same_rows_on_both_engines(p in crate::consistency::predicate()) {
        let Some(server) = server() else {
            return Ok(());
        };
        let mut remote = all_remote_session(server);
        let mut local = Session::new(Engine::with_bundled_datasets().expect("bundled data"));
        for query in [
            format!("services | where {p} | select service, requests_30d, uptime_pct | sort service"),
            format!("services | where {p} | count"),
            format!("services | where {p} | group server_size agg n = count(), r = sum(requests_30d), u = avg(uptime_pct)"),
        ] {
            let expected = rows(&mut local, &query);
            let found = rows(&mut remote, &query);
            proptest::prop_assert_eq!(&expected, &found, "{}", query);
        }
    }
}

/// The `logs` table of tests/fixtures/clickhouse/access_logs.sql, as the
/// emitter sees it, so the SQL can be checked without a server.
struct FixtureTables {
    logs: infraql::engine::clickhouse::sql::RemoteTable,
}

impl infraql::engine::clickhouse::sql::Tables for FixtureTables {
    fn remote(&self, name: &str) -> Option<&infraql::engine::clickhouse::sql::RemoteTable> {
        (name == "logs").then_some(&self.logs)
    }
}

fn fixture_tables() -> FixtureTables {
    let ddl = std::fs::read_to_string(root().join("tests/fixtures/clickhouse/access_logs.sql"))
        .expect("fixture DDL");
    let body = ddl
        .split_once("access_logs_v2\n(")
        .and_then(|(_, rest)| rest.split_once("\n)"))
        .map(|(columns, _)| columns)
        .expect("the CREATE TABLE of access_logs_v2");
    let columns = body
        .lines()
        .filter_map(|line| line.trim().trim_end_matches(',').split_once(' '))
        .map(|(name, ty)| {
            (
                name.to_owned(),
                infraql::engine::clickhouse::types::language_type(ty),
                ty.to_owned(),
            )
        })
        .collect();
    FixtureTables {
        logs: infraql::engine::clickhouse::sql::RemoteTable {
            database: "apisix_logs".to_owned(),
            table: "access_logs_v2".to_owned(),
            columns,
        },
    }
}

/// What the resolver sees: the bundled tables and the fixture's `logs`.
struct FixtureCatalog {
    local: Engine,
    logs: infraql::plan::schema::Schema,
}

impl infraql::plan::resolve::Catalog for FixtureCatalog {
    fn table(&self, name: &str) -> Option<infraql::plan::schema::Schema> {
        if name == "logs" {
            Some(self.logs.clone())
        } else {
            self.local.table(name)
        }
    }

    fn table_names(&self) -> Vec<String> {
        let mut names = self.local.table_names();
        names.push("logs".to_owned());
        names
    }

    fn file(&self, path: &str) -> Result<infraql::plan::schema::Schema, String> {
        self.local.file(path)
    }
}

/// The SQL every golden case over logs runs as on ClickHouse (or why it
/// has none: it reads local data too), pinned as a snapshot beside the
/// case (`NAME.clickhouse.snap`). Needs no server.
#[test]
fn golden_log_cases_compile_to_pinned_sql() {
    use infraql::plan::resolve::{Catalog, Step};
    let tables = fixture_tables();
    let logs = infraql::plan::schema::Schema::new(
        tables
            .logs
            .columns
            .iter()
            .filter_map(|(n, t, _)| t.map(|t| (n.clone(), t))),
    );
    let catalog = FixtureCatalog {
        local: Engine::with_bundled_datasets().expect("bundled data"),
        logs,
    };
    assert!(catalog.table("logs").is_some());
    let cases_dir = root().join("tests/cases/logs");
    for path in files_with_extension(&cases_dir, "iql") {
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(&path).expect("case");
        let now = text
            .lines()
            .find_map(|l| l.strip_prefix("# now:"))
            .map_or_else(
                || infraql::session::parse_timestamp("2025-11-24").expect("now"),
                |t| infraql::session::parse_timestamp(t).expect("now"),
            );
        let script = infraql::syntax::parse(&text).expect("case parses");
        let mut bindings = std::collections::HashMap::new();
        let steps = infraql::plan::resolve::resolve(&script, &text, &catalog, &mut bindings, now)
            .expect("case resolves");
        let mut out = String::new();
        for step in steps {
            let Step::Run { query, .. } = step else {
                continue;
            };
            match infraql::engine::clickhouse::sql::statement(&query.plan, &tables) {
                Ok((sql, _)) => {
                    out.push_str(&infraql::engine::clickhouse::sql::pretty(&sql));
                    out.push_str(";\n");
                }
                Err(e) => out.push_str(&format!("-- not one statement: {e}\n")),
            }
        }
        insta::with_settings!({
            snapshot_path => cases_dir.clone(),
            prepend_module_to_snapshot => false,
            description => text.trim_end(),
            omit_expression => true,
        }, {
            insta::assert_snapshot!(format!("{name}.clickhouse"), out);
        });
    }
}

/// README's "Your logs in ClickHouse" examples give the output shown there,
/// on the server (the fixture is the one README describes).
#[test]
fn readme_clickhouse_examples_show_their_output() {
    let server = server_or_skip!();
    let readme = std::fs::read_to_string(root().join("README.md")).expect("README");
    let section = readme
        .split_once("## Your logs in ClickHouse")
        .and_then(|(_, rest)| rest.split_once("\n## "))
        .map(|(section, _)| section)
        .expect("the ClickHouse section");
    let mut checked = 0;
    for block in section.split("```text\n").skip(1) {
        let block = block.split("```").next().unwrap_or("");
        for example in block.split("$ infraql … ").skip(1) {
            let (command, expected) = example.split_once('\n').expect("command line");
            let sql = command.starts_with("--sql ");
            let query = command
                .split_once("-e '")
                .and_then(|(_, q)| q.strip_suffix('\''))
                .expect("an -e query");
            let mut session = remote_session(server);
            let actual = if sql {
                session.sql("<-e>", query).expect("SQL")
            } else {
                crate::run_in(&mut session, "<-e>", query)
            };
            assert_eq!(actual, expected, "README output differs for: {query}");
            checked += 1;
        }
    }
    assert!(checked >= 4, "only {checked} README examples found");
}

/// A view that shows a few rows gets only those from the server, with the
/// whole result's count for its footer.
#[test]
fn the_table_view_fetches_only_the_rows_it_shows() {
    let server = server_or_skip!();
    let mut session = remote_session(server);
    session.set_preview(Some(5));
    let mut seen = Vec::new();
    session
        .run("<preview>", "logs | sort timestamp\nlogs | where status == 500\nlogs | where status == 500 | take 3", |outcome| {
            if let Outcome::Preview { frame, total } = outcome {
                seen.push((frame.height(), total));
            }
            Ok(())
        })
        .expect("runs");
    assert_eq!(seen, [(5, 48), (5, 6), (3, 3)]);
    let shown = crate::run_in(
        &mut session,
        "<preview>",
        "logs | sort timestamp | select status",
    );
    assert!(shown.contains("48 rows"), "{shown}");
    // Without a preview (machine formats, -o) the whole result comes.
    session.set_preview(None);
    let all = rows(&mut session, "logs | select status").expect("rows");
    assert_eq!(all[0].len(), 48);
}

/// In the shell, `.connect` asks for the password the server wants,
/// without echo, and it reaches neither the screen nor the history.
#[test]
fn the_shell_asks_for_a_password_without_showing_or_keeping_it() {
    if server().is_none() {
        eprintln!("skipped: no ClickHouse test server");
        return;
    }
    let guarded = start_with_password("s3cret-pw").expect("a second server");
    let dir = tempfile::tempdir().expect("temp dir");
    let history = dir.path().join("history.txt");
    let mut command = crate::shell_command(&history);
    command.env_remove("INFRAQL_CLICKHOUSE_PASSWORD");
    let mut shell = rexpect::session::spawn_command(command, Some(30_000)).expect("shell");
    let mut screen = String::new();
    screen += &shell.exp_string(crate::PROMPT).expect("prompt");
    shell
        .send_line(&format!(".connect {}", guarded.url))
        .expect("typed");
    screen += &shell
        .exp_string("password for ")
        .expect("asks for the password");
    shell.send_line("s3cret-pw").expect("typed");
    screen += &shell.exp_string("connected to ").expect("connects");
    screen += &shell.exp_string(crate::PROMPT).expect("prompt");
    shell.send_line("access_logs_v2 | count").expect("typed");
    screen += &shell.exp_string("    48 ").expect("answers");
    shell.send_line(".quit").expect("typed");
    screen += &shell.exp_eof().expect("ends");
    assert!(
        !screen.contains("s3cret"),
        "the password was shown: {screen:?}"
    );
    let kept = std::fs::read_to_string(&history).unwrap_or_default();
    assert!(kept.contains(".connect"), "{kept}");
    assert!(
        !kept.contains("s3cret"),
        "the password is in the history: {kept}"
    );
}

/// Sends `sql` to the test server as its administrator (the tests' own
/// changes to the server; infraql itself only reads).
fn administer(server: &Server, sql: &str) {
    let address = server.url.trim_start_matches("http://default@");
    let address = address.split('/').next().expect("host:port");
    let response = reqwest::blocking::Client::new()
        .post(format!("http://{address}/"))
        .body(sql.to_owned())
        .send()
        .expect("the server answers");
    assert!(
        response.status().is_success(),
        "{sql}: {:?}",
        response.text()
    );
}

/// A table that changes on the server after the session read it: the
/// query fails with a message saying so, the tables are read again, and
/// the new column can be used at once.
#[test]
fn a_table_changed_on_the_server_is_read_again() {
    let server = server_or_skip!();
    administer(
        server,
        "CREATE TABLE apisix_logs.changing (a Int64, b String) ENGINE = Memory",
    );
    administer(server, "INSERT INTO apisix_logs.changing VALUES (1, 'x')");
    let mut session = remote_session(server);
    administer(server, "DROP TABLE apisix_logs.changing");
    administer(
        server,
        "CREATE TABLE apisix_logs.changing (a Int64, c String) ENGINE = Memory",
    );
    administer(server, "INSERT INTO apisix_logs.changing VALUES (2, 'y')");
    let error = rows(&mut session, "changing | select b").expect_err("b is gone");
    // The query is resolved again against the tables as they are now: the
    // place of the missing column, and the names there are instead.
    assert!(error.contains("have been read again"), "{error}");
    assert!(error.contains("<case>:1:19"), "{error}");
    assert!(error.contains("did you mean `a` or `c`?"), "{error}");
    let now = rows(&mut session, "changing | select a, c").expect("the new column");
    assert_eq!(now, [[["2".to_owned(), "\"y\"".to_owned()]]]);
    administer(server, "DROP TABLE apisix_logs.changing");
}

/// NaN compares on the server as locally: the greatest float, equal to
/// itself (ClickHouse's own NaN compares as nothing).
#[test]
fn nan_compares_as_on_the_local_engine() {
    let server = server_or_skip!();
    administer(
        server,
        "CREATE TABLE apisix_logs.nan_values (s Nullable(Float64)) ENGINE = Memory",
    );
    administer(
        server,
        "INSERT INTO apisix_logs.nan_values VALUES (nan), (inf), (1.5), (-1), (NULL), (nan)",
    );
    let mut session = remote_session(server);
    // The local engine's answers over the same values.
    for (condition, expected) in [
        ("s > 0", "4"),
        ("s >= 1.5", "4"),
        ("s < 0", "1"),
        ("s == s", "5"),
        ("s != 1.5", "4"),
        ("0 < s", "4"),
        ("s > s - 1", "2"),
        ("s >= s", "5"),
        ("s - 1 < s", "2"),
    ] {
        let count = rows(
            &mut session,
            &format!("nan_values | where {condition} | count"),
        )
        .unwrap_or_else(|e| panic!("{condition}: {e}"));
        assert_eq!(count, [[[expected.to_owned()]]], "{condition}");
    }
    administer(server, "DROP TABLE apisix_logs.nan_values");
}

/// `to_datetime` of seconds on the server: null where it is locally (NaN,
/// infinities, beyond Int64 microseconds), and a time the server's
/// DateTime64 cannot hold (after year 9999) fails the query instead of
/// being clamped to 9999-12-31.
#[test]
fn times_the_server_cannot_hold_fail_rather_than_clamp() {
    let server = server_or_skip!();
    for (table, values) in [
        (
            "odd_seconds",
            "(nan), (inf), (-inf), (1e13), (1763856000.5)",
        ),
        ("far_seconds", "(1763856000.5), (3e11)"),
    ] {
        administer(
            server,
            &format!("CREATE TABLE apisix_logs.{table} (s Float64) ENGINE = Memory"),
        );
        administer(
            server,
            &format!("INSERT INTO apisix_logs.{table} VALUES {values}"),
        );
    }
    let mut session = remote_session(server);
    let converted = rows(
        &mut session,
        "odd_seconds | agg converted = count(to_datetime(s)), rows = count()",
    )
    .expect("converts");
    assert_eq!(converted, [[["1".to_owned(), "5".to_owned()]]]);
    let error = rows(&mut session, "far_seconds | select t = to_datetime(s)")
        .expect_err("year 11,476 cannot be held");
    assert!(error.contains("outside the years 0000 to 9999"), "{error}");
    // Datetime arithmetic past the year 9999 too.
    let error = rows(
        &mut session,
        "odd_seconds | where s > 0 and s < 1e12 | select t = to_datetime(s) + 3000000d",
    )
    .expect_err("year 10,239 cannot be held");
    assert!(error.contains("outside the years 0000 to 9999"), "{error}");
    let near = rows(
        &mut session,
        "odd_seconds | where s > 0 and s < 1e12 | select t = to_datetime(s) + 1d",
    )
    .expect("a day later is held");
    assert_eq!(near, [[["2025-11-24 00:00:00.500".to_owned()]]]);
    administer(server, "DROP TABLE apisix_logs.odd_seconds");
    administer(server, "DROP TABLE apisix_logs.far_seconds");
}

/// While a query runs on the server, its progress (rows and bytes read)
/// is known, for the shell's spinner; afterwards it is cleared.
#[test]
fn the_servers_progress_is_known_while_a_query_runs() {
    let server = server_or_skip!();
    let (cancel, worker) = run_slow(server);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let mut seen = None;
    while seen.is_none() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(100));
        seen = infraql::engine::clickhouse::progress();
    }
    cancel.cancel();
    let (cause, _) = worker.join().expect("the run ends");
    assert!(cause.is_some(), "the slow query was cancelled");
    let progress = seen.expect("progress while the query ran");
    assert!(progress.rows > 0, "{progress:?}");
}

/// When the server has already answered 200 (progress headers sent) and
/// the query fails afterwards, the failure is reported, not taken for the
/// end of the data.
#[test]
fn an_error_after_the_answer_started_is_reported() {
    let server = server_or_skip!();
    let mut session = remote_session(server);
    let remote = session.clickhouse_mut().expect("connected");
    remote
        .set("send_progress_in_http_headers", "1")
        .expect("setting");
    remote
        .set("http_headers_progress_interval_ms", "10")
        .expect("setting");
    let error = rows(
        &mut session,
        "logs | join logs on method | join logs on method | join logs on method | agg n = count() | select x = n * 9223372036854775807",
    )
    .expect_err("overflows after progress was sent");
    assert!(
        error.contains("integer overflow in `n * 9223372036854775807`"),
        "{error}"
    );
}

/// A server's result exports and charts like a local one.
#[test]
fn server_results_export_and_chart_like_local_ones() {
    let server = server_or_skip!();
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("by_status.csv");
    let query = format!(
        "logs | group status agg n = count() | sort status | export \"{}\"",
        path.display()
    );
    let mut remote = remote_session(server);
    let said = crate::run_in(&mut remote, "<export>", &query);
    assert!(said.starts_with("exported "), "{said}");
    let exported = std::fs::read_to_string(&path).expect("the file");
    let mut local = local_session();
    crate::run_in(&mut local, "<export>", &query);
    assert_eq!(exported, std::fs::read_to_string(&path).expect("the file"));
    let chart = "logs | group host agg n = count() | sort n desc, host | chart host, n";
    assert_eq!(
        crate::run_in(&mut remote, "<chart>", chart),
        crate::run_in(&mut local, "<chart>", chart)
    );
}

/// `--clickhouse` that cannot be reached is an error (exit 1); the same URL
/// from INFRAQL_CLICKHOUSE_URL is a warning and local work goes on.
#[test]
fn an_unreachable_default_server_does_not_stop_local_work() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("port");
    let port = listener.local_addr().expect("address").port();
    drop(listener);
    let url = format!("http://default@127.0.0.1:{port}/db");
    crate::infraql()
        .args(["--clickhouse", &url, "-e", "services | count"])
        .assert()
        .code(1)
        .stderr(predicates::str::contains(
            "cannot reach the ClickHouse server",
        ));
    crate::infraql()
        .env("INFRAQL_CLICKHOUSE_URL", &url)
        .args(["-e", "services | count"])
        .assert()
        .success()
        .stdout(predicates::str::contains("22"))
        .stderr(predicates::str::contains("going on without ClickHouse"));
}

/// The golden cases of `diff`, `latest` and `at` (over the bundled
/// tables) on the server: the same output, row order included, or the
/// same error (the local engine adds the duplicated value to a duplicate
/// key's message).
#[test]
fn diff_latest_and_at_cases_agree_on_both_engines() {
    let server = server_or_skip!();
    let mut checked = 0;
    for path in files_with_extension(&root().join("tests/cases/operators"), "iql") {
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        if !["diff", "latest", "at_"]
            .iter()
            .any(|p| name.starts_with(p))
        {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("case");
        let mut remote = all_remote_session(server);
        let mut local = Session::new(Engine::with_bundled_datasets().expect("bundled data"));
        let expected = crate::run_in(&mut local, &name, &text);
        let found = crate::run_in(&mut remote, &name, &text);
        if expected.contains("diff: the key") {
            let first = found.lines().next().unwrap_or("");
            assert!(
                first.contains("diff: the key")
                    && expected.lines().next().unwrap_or("").starts_with(first),
                "{name}:\nlocal:\n{expected}\nclickhouse:\n{found}"
            );
        } else {
            assert_eq!(found, expected, "{name}");
        }
        checked += 1;
    }
    assert!(checked >= 10, "only {checked} cases");
    // The server runs the whole diff, as one statement with a full join.
    let mut remote = all_remote_session(server);
    let plan = remote
        .explain("<explain>", "services | diff deployments on service")
        .expect("explains");
    assert!(plan.contains("ClickHouse SQL (on"), "{plan}");
    assert!(plan.contains("FULL OUTER JOIN"), "{plan}");
    assert!(plan.contains("throwIf"), "{plan}");
}

#[test]
fn a_duplicate_diff_key_on_the_server_names_the_side() {
    let server = server_or_skip!();
    let mut session = all_remote_session(server);
    for (query, side) in [
        (
            "deployments | select ip, service | diff (servers | select ip, size) on ip",
            "first",
        ),
        (
            "servers | select ip, size | diff (deployments | select ip, service) on ip",
            "second",
        ),
        // Null keys are one key: two rows with a null key are a duplicate.
        (
            "services | select k = if(requests_30d > 1M, service, null) | diff (services | select k = service) on k",
            "first",
        ),
    ] {
        let error = rows(&mut session, query).expect_err(query);
        assert!(
            error.contains(&format!("is not unique in the {side} input")),
            "{query}: {error}"
        );
        let mut local = Session::new(Engine::with_bundled_datasets().expect("bundled data"));
        let local_error = rows(&mut local, query).expect_err(query);
        assert!(
            local_error.contains(&format!("is not unique in the {side} input")),
            "{query}: {local_error}"
        );
    }
    // A group's keys are unique already, and nothing else is wrong.
    let query = "deployments | group ip agg n = count() | diff (servers | select ip, n = services) on ip | count";
    assert_eq!(
        rows(&mut session, query),
        rows(
            &mut Session::new(Engine::with_bundled_datasets().expect("bundled data")),
            query
        )
    );
}

/// The history table of tests/fixtures/history_table/ as a server table.
fn history_table_sql() -> String {
    let csv = std::fs::read_to_string(root().join("tests/fixtures/history_table/services.csv"))
        .expect("fixture");
    let rows: Vec<String> = csv
        .lines()
        .skip(1)
        .map(|line| {
            let cells: Vec<String> = line
                .split(',')
                .enumerate()
                .map(|(i, cell)| match (i, cell) {
                    (_, "") => "NULL".to_owned(),
                    (0 | 4, text) => format!("'{text}'"),
                    (_, number) => number.to_owned(),
                })
                .collect();
            format!("({})", cells.join(", "))
        })
        .collect();
    format!(
        "INSERT INTO apisix_logs.service_history VALUES {}",
        rows.join(", ")
    )
}

#[test]
fn latest_at_and_diff_of_revisions_agree_on_both_engines() {
    let server = server_or_skip!();
    administer(
        server,
        "CREATE TABLE apisix_logs.service_history (service String, uptime_pct Nullable(Float64), requests Int64, revision Int64, `commit` String, gone_in Nullable(Int64)) ENGINE = Memory",
    );
    administer(server, &history_table_sql());
    let mut remote = remote_session(server);
    let mut local = local_session();
    local
        .add_file(
            "service_history",
            "tests/fixtures/history_table/services.csv",
        )
        .expect("fixture");
    for query in [
        "service_history | latest | sort service",
        "service_history | at 1 | sort service",
        "service_history | at 2 | sort service",
        "service_history | at 3 | count",
        "let old = service_history | at 1; let new = service_history | latest; old | diff new on service",
        "service_history | at 2 | diff (service_history | at 3) on service",
        "service_history | diff (service_history | latest) on service and revision",
    ] {
        let found = crate::run_in(&mut remote, "<history>", query);
        let expected = crate::run_in(&mut local, "<history>", query);
        assert_eq!(found, expected, "{query}");
        assert!(!found.starts_with("error"), "{query}: {found}");
    }
    let plan = remote
        .explain(
            "<explain>",
            "service_history | at 2 | diff (service_history | latest) on service",
        )
        .expect("explains");
    assert!(plan.contains("ClickHouse SQL (on"), "{plan}");
    // `revision` alone is no key: rows share it (on both sides here, so
    // either side may be the one named).
    let error = rows(
        &mut remote,
        "service_history | diff (service_history | latest) on revision",
    )
    .expect_err("revision is not a key");
    assert!(
        error.contains("diff: the key (revision) is not unique in the"),
        "{error}"
    );
    administer(server, "DROP TABLE apisix_logs.service_history");
}

/// `diff` compares NaN as the language does (equal to NaN) and nulls
/// null-safe on the server too, keys included.
#[test]
fn diff_compares_nan_and_null_as_on_the_local_engine() {
    let server = server_or_skip!();
    let dir = tempfile::tempdir().expect("temp dir");
    let mut local = local_session();
    for (table, values) in [
        (
            "diff_nan_a",
            "('a', nan), ('b', 1.5), ('c', nan), ('d', NULL), (NULL, 2.0), ('e', 3.0)",
        ),
        (
            "diff_nan_b",
            "('a', nan), ('b', 1.5), ('c', 2.0), ('d', NULL), (NULL, 2.5), ('f', NULL)",
        ),
    ] {
        administer(
            server,
            &format!(
                "CREATE TABLE apisix_logs.{table} (k Nullable(String), x Nullable(Float64)) ENGINE = Memory"
            ),
        );
        administer(
            server,
            &format!("INSERT INTO apisix_logs.{table} VALUES {values}"),
        );
        let csv: String = values
            .trim_matches(|c| c == '(' || c == ')')
            .split("), (")
            .map(|row| {
                let row = row
                    .replace('\'', "")
                    .replace("NULL", "")
                    .replace("nan", "NaN");
                format!("{}\n", row.replace(", ", ","))
            })
            .collect();
        let path = dir.path().join(format!("{table}.csv"));
        std::fs::write(&path, format!("k,x\n{csv}")).expect("csv");
        local
            .add_file(table, &path.display().to_string())
            .expect("local table");
    }
    let mut remote = remote_session(server);
    let query = "diff_nan_a | diff diff_nan_b on k";
    let found = crate::run_in(&mut remote, "<nan>", query);
    assert_eq!(found, crate::run_in(&mut local, "<nan>", query));
    // c: NaN against 2.0; e removed; f added; the null key changed.
    let keys: Vec<&str> = found
        .lines()
        .filter_map(|l| l.strip_prefix("│ "))
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert_eq!(keys, ["k", "string", "c", "e", "f", "null"], "{found}");
    for table in ["diff_nan_a", "diff_nan_b"] {
        administer(server, &format!("DROP TABLE apisix_logs.{table}"));
    }
}
