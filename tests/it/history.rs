//! `infraql import --git` end to end: a reports repository built by the test
//! from the commits under `tests/fixtures/history/N/` (each a folder of
//! files that change, a `COMMIT` file with the commit's time, message and
//! `DELETE path` lines), imported and compared with
//! `tests/fixtures/history/expected/`, then queried with `--data`.
//!
//! The commits: two services; one of them split in two and another slower;
//! a later report format (severity words, a two-day figure, an `Updated`
//! line, a renamed heading); a broken servers table; a commit that changes
//! no report. With `INFRAQL_BLESS=1` the comparison writes the expected
//! files instead.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::{infraql, root};

fn fixture() -> PathBuf {
    root().join("tests/fixtures/history")
}

/// `git` with no user or system configuration, so commits are the same
/// everywhere (hashes included).
fn git(repo: &Path) -> Command {
    let mut command = Command::new("git");
    command
        .current_dir(repo)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_NAME", "Orchard Reports")
        .env("GIT_AUTHOR_EMAIL", "reports@example.org")
        .env("GIT_COMMITTER_NAME", "Orchard Reports")
        .env("GIT_COMMITTER_EMAIL", "reports@example.org");
    command
}

fn run(command: &mut Command) {
    let output = command.output().expect("git runs");
    assert!(
        output.status.success(),
        "{command:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Copies every file under `from` (but `COMMIT`) into `to`.
fn copy_tree(from: &Path, to: &Path) {
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            fs::create_dir_all(&target).unwrap();
            copy_tree(&entry.path(), &target);
        } else if entry.file_name() != "COMMIT" {
            fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// The fixture repository, built in a fresh folder.
pub fn fixture_repository() -> tempfile::TempDir {
    let repo = tempfile::tempdir().unwrap();
    run(git(repo.path()).args(["init", "--quiet", "--initial-branch=main"]));
    let mut steps: Vec<PathBuf> = fs::read_dir(fixture())
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.join("COMMIT").is_file())
        .collect();
    steps.sort();
    assert!(steps.len() >= 5, "the fixture's commits: {steps:?}");
    for step in steps {
        let commit = fs::read_to_string(step.join("COMMIT")).unwrap();
        let mut lines = commit.lines();
        let time = lines.next().unwrap();
        let message = lines.next().unwrap();
        for line in lines {
            if let Some(path) = line.strip_prefix("DELETE ") {
                fs::remove_file(repo.path().join(path)).unwrap();
            }
        }
        copy_tree(&step, repo.path());
        run(git(repo.path()).args(["add", "--all"]));
        run(git(repo.path())
            .env("GIT_AUTHOR_DATE", time)
            .env("GIT_COMMITTER_DATE", time)
            .args(["commit", "--quiet", "--no-gpg-sign", "-m", message]));
    }
    repo
}

fn blessing() -> bool {
    std::env::var("INFRAQL_BLESS").is_ok_and(|value| value == "1")
}

/// Imports the fixture repository with the binary; the output folder and
/// what the import wrote to stderr.
fn imported() -> (tempfile::TempDir, String) {
    let repo = fixture_repository();
    let out = tempfile::tempdir().unwrap();
    let output = infraql()
        .arg("import")
        .arg("--git")
        .arg(repo.path())
        .arg("--out")
        .arg(out.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(output.status.success(), "{stderr}");
    (out, stderr)
}

#[test]
fn the_history_imports_as_the_expected_tables() {
    let (out, stderr) = imported();
    let expected = fixture().join("expected");
    let mut names: Vec<String> = fs::read_dir(out.path())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names.push("warnings.txt".to_string());
    for name in names {
        let produced = if name == "warnings.txt" {
            stderr.replace(&out.path().display().to_string(), "OUT")
        } else {
            fs::read_to_string(out.path().join(&name)).unwrap()
        };
        if blessing() {
            fs::create_dir_all(&expected).unwrap();
            fs::write(expected.join(&name), produced).unwrap();
        } else {
            let wanted = fs::read_to_string(expected.join(&name))
                .unwrap_or_else(|e| panic!("{}: {e}", expected.join(&name).display()));
            assert_eq!(produced, wanted, "{name} differs from the expected one");
        }
    }
}

/// The answer of `query` over the imported history, as CSV.
fn ask(data: &Path, query: &str) -> String {
    let output = infraql()
        .arg("--data")
        .arg(data)
        .args(["--format", "csv", "-e", query])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{query}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn an_unchanged_document_is_not_repeated_and_keeps_its_own_date() {
    let (out, _) = imported();
    // servers.md changed in revisions 1, 2 and 4; its rows are dated by the
    // commit that changed it, as it states no date of its own.
    assert_eq!(
        ask(
            out.path(),
            "deployments | where service == \"apple\" | select service, ip, snapshot, revision, gone_in"
        ),
        "service,ip,snapshot,revision,gone_in\napple,10.9.0.1,2025-06-01,1,2\napple,10.9.0.1,2025-07-01,2,4\napple,10.9.0.1,2025-08-15,4,\n"
    );
    // apple's page did not change in revision 2: its endpoints are not
    // written again.
    assert_eq!(
        ask(
            out.path(),
            "endpoints | where service == \"apple\" | group revision agg n = count() | sort revision"
        ),
        "revision,n\n1,2\n3,2\n"
    );
    // The commit that touches no report is not a revision.
    assert_eq!(
        ask(
            out.path(),
            "revisions | agg n = count(), last = max(revision)"
        ),
        "n,last\n4,4\n"
    );
}

#[test]
fn imported_files_keep_the_declared_types() {
    let (out, _) = imported();
    // A date comparison works as on the bundled data, and the float column
    // stays a float though its values are whole in places.
    assert_eq!(
        ask(
            out.path(),
            "services | where snapshot >= 2025-07-15 | select service, uptime_pct, requests_30d | sort service"
        ),
        "service,uptime_pct,requests_30d\napple,93.0,2600000\npear-jobs,98.0,0\npear-web,99.95,\n"
    );
}

#[test]
fn a_shallow_clone_warns_and_imports_what_it_has() {
    let repo = fixture_repository();
    let clone = tempfile::tempdir().unwrap();
    let source = format!("file://{}", repo.path().display());
    run(git(clone.path()).args(["clone", "--quiet", "--depth", "1", &source, "."]));
    let out = tempfile::tempdir().unwrap();
    let output = infraql()
        .arg("import")
        .arg("--git")
        .arg(clone.path())
        .arg("--out")
        .arg(out.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(stderr.contains("a shallow clone"), "{stderr}");
    assert_eq!(ask(out.path(), "revisions | agg n = count()"), "n\n1\n");
}

#[test]
fn since_limits_the_commits_and_a_folder_without_git_is_an_error() {
    let repo = fixture_repository();
    let out = tempfile::tempdir().unwrap();
    infraql()
        .arg("import")
        .arg("--git")
        .arg(repo.path())
        .args(["--since", "2025-07-15", "--out"])
        .arg(out.path())
        .assert()
        .success();
    assert_eq!(
        ask(out.path(), "revisions | select revision, date"),
        "revision,date\n1,2025-08-01\n2,2025-08-15\n"
    );
    let plain = tempfile::tempdir().unwrap();
    let output = infraql()
        .arg("import")
        .arg("--git")
        .arg(plain.path())
        .arg("--out")
        .arg(out.path())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("not a git repository"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

/// The invariant ARCHITECTURE.md states: the rows of revision N are the
/// rows a plain import of that commit's tree gives (compared without
/// `snapshot`, which a plain import dates from the tree, not the commits).
#[test]
fn every_revision_holds_what_a_plain_import_of_its_tree_gives() {
    use infraql::import::{self, Cell, GitOptions, Value};

    let repo = fixture_repository();
    let history = import::read_history(repo.path(), &GitOptions::default()).unwrap();
    let without_snapshot = |def: &infraql::datasets::tables::TableDef, row: &[Cell]| {
        def.columns
            .iter()
            .zip(row)
            .filter(|(column, _)| column.name != "snapshot")
            .map(|(_, cell)| cell.clone())
            .collect::<Vec<Cell>>()
    };
    for revision_row in &history.revisions {
        let (Some(Value::Int(revision)), Some(Value::Str(commit)), Some(Value::Bool(true))) =
            (&revision_row[0], &revision_row[1], &revision_row[4])
        else {
            continue;
        };
        let tree = tempfile::tempdir().unwrap();
        run(git(repo.path())
            .arg(format!("--work-tree={}", tree.path().display()))
            .args(["checkout", commit.as_str(), "--", "."]));
        let plain = import::import_tree(tree.path()).unwrap();
        for table in &history.tables {
            let width = table.def.columns.len();
            let mut in_history: Vec<Vec<Cell>> = table
                .rows
                .iter()
                .filter(|row| {
                    let first = matches!(&row[width], Some(Value::Int(n)) if n <= revision);
                    let open = match &row[width + 2] {
                        None => true,
                        Some(Value::Int(gone)) => gone > revision,
                        Some(_) => false,
                    };
                    first && open
                })
                .map(|row| without_snapshot(&table.def, &row[..width]))
                .collect();
            let mut in_tree: Vec<Vec<Cell>> = plain
                .table(table.def.name)
                .unwrap()
                .rows
                .iter()
                .map(|row| without_snapshot(&table.def, row))
                .collect();
            let key = |row: &Vec<Cell>| format!("{row:?}");
            in_history.sort_by_key(key);
            in_tree.sort_by_key(key);
            assert_eq!(
                in_history, in_tree,
                "{} at revision {revision} ({commit})",
                table.def.name
            );
        }
    }
}

#[test]
fn a_data_file_named_after_a_table_must_fit_it() {
    let data = tempfile::tempdir().unwrap();
    fs::write(
        data.path().join("deployments.csv"),
        "service,ip,requirements,snapshot,owner\nweb,10.0.0.1,low,,ops\n",
    )
    .unwrap();
    let output = infraql()
        .arg("--data")
        .arg(data.path())
        .args(["-e", "deployments | count"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("deployments.csv`: column `owner` is not a column of table `deployments`"),
        "{stderr}"
    );
    // Under a name of its own the same file is a table of its own; a file
    // with the table's columns gets the declared types (an empty date
    // column stays a date).
    fs::rename(
        data.path().join("deployments.csv"),
        data.path().join("owners.csv"),
    )
    .unwrap();
    fs::write(
        data.path().join("deployments.csv"),
        "service,ip,requirements,snapshot\nweb,10.0.0.1,low,\n",
    )
    .unwrap();
    assert_eq!(
        ask(
            data.path(),
            "deployments | where snapshot >= 2025-01-01 or snapshot is null | join owners on service | select service, owner"
        ),
        "service,owner\nweb,ops\n"
    );
}
