//! The table cache (`.cache`): tables read from files kept in memory after
//! their first use, within a budget; a changed file is read again.

use infraql::commands::{self, Reply, Settings};
use infraql::engine::polars::Engine;
use infraql::session::Session;

use crate::run_in;

fn session() -> Session {
    Session::new(Engine::with_bundled_datasets().expect("bundled datasets load"))
}

fn command(session: &mut Session, line: &str) -> Reply {
    commands::run(session, &mut Settings::new(100, false), line)
}

fn text(reply: Reply) -> String {
    match reply {
        Reply::Text(text) | Reply::Set(text) | Reply::Error(text) => text,
        other => panic!("unexpected reply {other:?}"),
    }
}

fn write_csv(path: &std::path::Path, rows: &[(&str, i64)]) {
    let mut text = String::from("host,status\n");
    for (host, status) in rows {
        text.push_str(&format!("{host},{status}\n"));
    }
    std::fs::write(path, text).expect("writes the fixture");
}

#[test]
fn a_table_is_kept_after_first_use_and_read_again_when_its_file_changes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hits.csv");
    write_csv(&path, &[("a", 200), ("b", 404), ("a", 500)]);
    let mut session = session();
    session
        .add_file("hits", &path.to_string_lossy())
        .expect("adds the table");
    assert!(text(command(&mut session, ".cache")).starts_with("table cache: off"));
    assert!(text(command(&mut session, ".cache 64MB")).contains("of 64 MB in use"));

    assert!(run_in(&mut session, "<test>", "hits | count").contains('3'));
    let listing = text(command(&mut session, ".cache"));
    assert!(listing.contains("hits: 3 rows"), "{listing}");
    // What is kept is what runs: the plan reads a frame, not the file.
    let plan = session.explain("<test>", "hits | count").expect("explains");
    assert!(!plan.contains("hits.csv"), "{plan}");

    // A new row (a different size, and a later modification time).
    std::thread::sleep(std::time::Duration::from_millis(20));
    write_csv(&path, &[("a", 200), ("b", 404), ("a", 500), ("c", 200)]);
    let answer = run_in(&mut session, "<test>", "hits | count");
    assert!(answer.contains('4'), "{answer}");
    let listing = text(command(&mut session, ".cache"));
    assert!(listing.contains("hits: 4 rows"), "{listing}");

    assert_eq!(
        command(&mut session, ".cache clear"),
        Reply::Set("table cache emptied\n".to_owned())
    );
    assert!(!text(command(&mut session, ".cache")).contains("hits:"));
    assert!(text(command(&mut session, ".cache off")).starts_with("table cache off"));
    assert!(run_in(&mut session, "<test>", "hits | count").contains('4'));
    assert!(!text(command(&mut session, ".cache")).contains("hits:"));
}

#[test]
fn a_table_over_the_budget_is_read_from_its_file_and_the_cache_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hits.csv");
    let rows: Vec<(&str, i64)> = (0..200_000).map(|_| ("some-host.example", 200)).collect();
    write_csv(&path, &rows);
    let mut session = session();
    session
        .add_file("hits", &path.to_string_lossy())
        .expect("adds the table");
    command(&mut session, ".cache 1MB");
    let answer = run_in(&mut session, "<test>", "hits | count");
    assert!(answer.contains("200,000"), "{answer}");
    let listing = text(command(&mut session, ".cache"));
    assert!(listing.contains("hits: not kept"), "{listing}");
    let plan = session.explain("<test>", "hits | count").expect("explains");
    assert!(plan.contains("hits.csv"), "{plan}");
}

#[test]
fn cache_load_reads_a_table_now_and_refuses_what_is_not_from_files() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hits.csv");
    write_csv(&path, &[("a", 200)]);
    let mut session = session();
    session
        .add_file("hits", &path.to_string_lossy())
        .expect("adds the table");
    // An off cache is turned on with the default budget.
    let Reply::Text(loaded) = command(&mut session, ".cache load hits") else {
        panic!("loads");
    };
    assert!(loaded.starts_with("table cache: "), "{loaded}");
    assert!(loaded.contains("kept hits in memory: 1 rows"), "{loaded}");

    let Reply::Error(bundled) = command(&mut session, ".cache load services") else {
        panic!("a bundled table is not read from files");
    };
    assert_eq!(
        bundled,
        "services is not kept: `services` is not read from files"
    );
    let Reply::Error(missing) = command(&mut session, ".cache load nothing") else {
        panic!("no such table");
    };
    assert!(missing.contains("no table `nothing`"), "{missing}");
    let Reply::Error(usage) = command(&mut session, ".cache lots") else {
        panic!("not a size");
    };
    assert!(
        usage.contains("usage: .cache [SIZE|off|clear|load TABLE]"),
        "{usage}"
    );

    // A table replaced under the same name is not answered from the cache.
    let other = dir.path().join("other.csv");
    write_csv(&other, &[("x", 1), ("y", 2)]);
    command(
        &mut session,
        &format!(".load {} as hits", other.to_string_lossy()),
    );
    assert!(run_in(&mut session, "<test>", "hits | count").contains('2'));
}

#[test]
fn a_file_gone_since_it_was_kept_is_an_error_not_an_old_answer() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hits.csv");
    write_csv(&path, &[("a", 200)]);
    let mut session = session();
    session
        .add_file("hits", &path.to_string_lossy())
        .expect("adds the table");
    command(&mut session, ".cache 64MB");
    assert!(run_in(&mut session, "<test>", "hits | count").contains('1'));
    std::fs::remove_file(&path).unwrap();
    let answer = run_in(&mut session, "<test>", "hits | count");
    assert!(answer.contains("hits.csv"), "{answer}");
    assert!(!text(command(&mut session, ".cache")).contains("hits: 1 rows"));
}
