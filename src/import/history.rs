//! `infraql import --git`: every commit of a reports repository that changed
//! the reports, imported oldest first into the same tables, each row written
//! once with the revisions it belongs to (see [`crate::datasets::history`]).
//!
//! How rows are kept from repeating: each commit's tree is imported whole,
//! and each table's rows are matched with the rows still open from the
//! revision before, by their full content (snapshot date included). A row
//! found again stays open; a new one is written with this revision and
//! commit; an open one not found again gets this revision as `gone_in`.
//! So an unchanged document's rows appear once however many commits follow,
//! and `snapshot` keeps meaning the report's own date.
//!
//! The repository is read with the `git` command: the commits touching the
//! folder given (`git log --first-parent`, so a merge counts as one change),
//! each commit's Markdown files (`git ls-tree`, `git cat-file`), written into
//! a scratch folder that follows the history, where the plain importer reads
//! them. A document without a date of its own takes the date of the commit
//! that last changed it. Warnings name the commit: `abc1234:servers.md:3`,
//! and a warning about an unchanged document is given once.

use std::collections::{HashMap, HashSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use chrono::{DateTime, NaiveDate};

use super::csv_out::{self, CsvFile};
use super::diagnostics::{ImportError, Warning};
use super::records::{Cell, Value};
use super::{UndatedDocuments, import_tree_with};
use crate::datasets::history::{COLUMNS, REVISIONS};
use crate::datasets::tables::TableDef;

/// What to read of the history.
#[derive(Debug, Clone, Default)]
pub struct GitOptions {
    /// Only commits made on or after this day (UTC).
    pub since: Option<NaiveDate>,
}

/// One commit that changed the reports.
#[derive(Debug, Clone)]
struct Commit {
    hash: String,
    short: String,
    date: NaiveDate,
    subject: String,
}

/// Reads the history of the reports in `repo` (a repository, or a folder of
/// one) and writes every table, with its history columns, and `revisions`
/// into `out_dir`. Returns the warnings.
pub fn import_git(
    repo: &Path,
    out_dir: &Path,
    options: &GitOptions,
) -> Result<Vec<Warning>, ImportError> {
    let history = read_history(repo, options)?;
    let mut files: Vec<CsvFile<'_>> = history
        .tables
        .iter()
        .map(|table| CsvFile {
            name: table.def.name,
            header: table
                .def
                .column_names()
                .chain(COLUMNS.iter().map(|c| c.name))
                .collect(),
            rows: &table.rows,
        })
        .collect();
    files.push(CsvFile {
        name: REVISIONS.name,
        header: REVISIONS.column_names().collect(),
        rows: &history.revisions,
    });
    csv_out::write_files(out_dir, &files)?;
    Ok(history.warnings)
}

/// The tables of a whole history, in memory.
#[derive(Debug)]
pub struct History {
    /// Each bundled table, its rows ending in the history columns.
    pub tables: Vec<HistoryTable>,
    /// The `revisions` rows.
    pub revisions: Vec<Vec<Cell>>,
    pub warnings: Vec<Warning>,
}

/// One table over all revisions.
#[derive(Debug)]
pub struct HistoryTable {
    pub def: TableDef,
    /// The declared cells, then revision, commit and gone_in.
    pub rows: Vec<Vec<Cell>>,
}

/// Reads every commit of `repo` that changed the reports.
pub fn read_history(repo: &Path, options: &GitOptions) -> Result<History, ImportError> {
    let git = Git { repo };
    if !repo.is_dir() {
        return Err(git.error("no such directory".to_string()));
    }
    git.run(&["rev-parse", "--show-prefix"])
        .map_err(|e| git.error(format!("not a git repository, or git cannot read it ({e})")))?;
    let mut warnings = Vec::new();
    if git.text(&["rev-parse", "--is-shallow-repository"])?.trim() == "true" {
        warnings.push(Warning {
            file: repo.display().to_string(),
            line: None,
            message: "a shallow clone: the history starts at the oldest commit this clone has"
                .to_string(),
        });
    }
    let commits = git.commits(options.since)?;
    let scratch = tempfile::tempdir().map_err(|source| ImportError::Write {
        file: std::env::temp_dir(),
        source,
    })?;
    let mut tree = Tree::default();
    let mut tables: Vec<Tracked> = Vec::new();
    let mut revisions = Vec::new();
    let mut reported: HashSet<(String, String, Option<usize>, String)> = HashSet::new();
    for commit in &commits {
        let files = git.markdown_files(&commit.hash)?;
        if !tree.differs_from(&files) {
            continue;
        }
        tree.update(&git, scratch.path(), files, commit.date)?;
        let revision = i64::try_from(revisions.len() + 1).unwrap_or(i64::MAX);
        let undated = UndatedDocuments::FromCommits(&tree.changed_on);
        let imported = match import_tree_with(scratch.path(), &undated) {
            Ok(imported) => Some(imported),
            Err(ImportError::MissingFile { file }) => {
                let name = file
                    .strip_prefix(scratch.path())
                    .unwrap_or(&file)
                    .display()
                    .to_string();
                warnings.push(Warning {
                    file: format!("{}:{name}", commit.short),
                    line: None,
                    message: "required file is missing; this commit's reports are skipped, \
                              its rows are the previous revision's"
                        .to_string(),
                });
                None
            }
            Err(other) => return Err(other),
        };
        revisions.push(vec![
            Some(Value::Int(revision)),
            Some(Value::from(commit.short.as_str())),
            Some(Value::Date(commit.date)),
            Some(Value::from(commit.subject.as_str())),
            Some(Value::Bool(imported.is_some())),
        ]);
        let Some(imported) = imported else { continue };
        for warning in imported.warnings {
            let blob = tree.blobs.get(&warning.file).cloned().unwrap_or_default();
            let key = (
                warning.file.clone(),
                blob,
                warning.line,
                warning.message.clone(),
            );
            if reported.insert(key) {
                warnings.push(Warning {
                    file: format!("{}:{}", commit.short, warning.file),
                    ..warning
                });
            }
        }
        for table in imported.tables {
            let tracked = match tables.iter_mut().position(|t| t.def.name == table.def.name) {
                Some(index) => &mut tables[index],
                None => {
                    tables.push(Tracked::new(table.def));
                    tables.last_mut().expect("just pushed")
                }
            };
            tracked.advance(table.rows, revision, &commit.short);
        }
    }
    if revisions.is_empty() {
        let since = options
            .since
            .map(|date| format!(" since {date}"))
            .unwrap_or_default();
        return Err(git.error(format!(
            "no commit{since} holds Markdown reports in this folder"
        )));
    }
    Ok(History {
        tables: tables.into_iter().map(Tracked::finish).collect(),
        revisions,
        warnings,
    })
}

/// The `git` command, run in the repository folder.
struct Git<'a> {
    repo: &'a Path,
}

impl Git<'_> {
    fn error(&self, message: String) -> ImportError {
        ImportError::Git {
            repo: self.repo.to_path_buf(),
            message,
        }
    }

    /// The output of `git ARGS`; a failure says what git said.
    fn run(&self, args: &[&str]) -> Result<Vec<u8>, ImportError> {
        let output = Command::new("git")
            .arg("-C")
            .arg(self.repo)
            .args(args)
            .output()
            .map_err(|e| match e.kind() {
                std::io::ErrorKind::NotFound => {
                    self.error("the `git` command is not installed".to_string())
                }
                _ => self.error(format!("cannot run git: {e}")),
            })?;
        if !output.status.success() {
            let said = String::from_utf8_lossy(&output.stderr);
            let said = said.lines().next().unwrap_or("").trim();
            return Err(self.error(format!("git {} failed: {said}", args[0])));
        }
        Ok(output.stdout)
    }

    fn text(&self, args: &[&str]) -> Result<String, ImportError> {
        Ok(String::from_utf8_lossy(&self.run(args)?).into_owned())
    }

    /// The commits that changed this folder, oldest first.
    fn commits(&self, since: Option<NaiveDate>) -> Result<Vec<Commit>, ImportError> {
        let since = since.map(|date| format!("--since={date}T00:00:00Z"));
        let mut args = vec![
            "log",
            "--first-parent",
            "--reverse",
            "--format=%H%x1f%h%x1f%ct%x1f%s",
        ];
        if let Some(since) = &since {
            args.push(since);
        }
        args.extend(["--", "."]);
        let log = self.text(&args)?;
        log.lines()
            .filter(|line| !line.is_empty())
            .map(|line| {
                let fields: Vec<&str> = line.splitn(4, '\u{1f}').collect();
                let [hash, short, time, subject] = fields[..] else {
                    return Err(self.error(format!("unexpected `git log` line: {line}")));
                };
                let date = time
                    .parse::<i64>()
                    .ok()
                    .and_then(|seconds| DateTime::from_timestamp(seconds, 0))
                    .map(|time| time.date_naive())
                    .ok_or_else(|| self.error(format!("commit {short} has no readable date")))?;
                Ok(Commit {
                    hash: hash.to_string(),
                    short: short.to_string(),
                    date,
                    subject: subject.to_string(),
                })
            })
            .collect()
    }

    /// The Markdown files of `commit` under this folder: relative path → blob.
    fn markdown_files(&self, commit: &str) -> Result<HashMap<String, String>, ImportError> {
        let listing = self.run(&["ls-tree", "-r", "-z", commit])?;
        let mut files = HashMap::new();
        for entry in listing.split(|&byte| byte == 0) {
            let entry = String::from_utf8_lossy(entry);
            let Some((meta, path)) = entry.split_once('\t') else {
                continue;
            };
            let mut meta = meta.split(' ');
            let (Some(mode), Some(kind), Some(blob)) = (meta.next(), meta.next(), meta.next())
            else {
                continue;
            };
            let is_markdown = Path::new(path)
                .extension()
                .is_some_and(|ext| ext.eq_ignore_ascii_case("md"));
            if kind == "blob" && mode != "120000" && is_markdown {
                files.insert(path.to_string(), blob.to_string());
            }
        }
        Ok(files)
    }
}

/// The scratch copy of the reports as of the last imported commit.
#[derive(Default)]
struct Tree {
    /// Relative path → blob hash.
    blobs: HashMap<String, String>,
    /// Relative path → the date of the commit that last changed it.
    changed_on: HashMap<String, NaiveDate>,
}

impl Tree {
    fn differs_from(&self, files: &HashMap<String, String>) -> bool {
        &self.blobs != files
    }

    /// Writes what changed into `dir` and forgets what is gone.
    fn update(
        &mut self,
        git: &Git<'_>,
        dir: &Path,
        files: HashMap<String, String>,
        date: NaiveDate,
    ) -> Result<(), ImportError> {
        let write_error = |file: PathBuf| move |source| ImportError::Write { file, source };
        for gone in self.blobs.keys().filter(|path| !files.contains_key(*path)) {
            let file = dir.join(gone);
            fs::remove_file(&file).map_err(write_error(file))?;
            self.changed_on.remove(gone);
        }
        for (path, blob) in &files {
            if self.blobs.get(path) == Some(blob) {
                continue;
            }
            let file = dir.join(path);
            if let Some(parent) = file.parent() {
                fs::create_dir_all(parent).map_err(write_error(parent.to_path_buf()))?;
            }
            let bytes = git.run(&["cat-file", "blob", blob])?;
            fs::write(&file, bytes).map_err(write_error(file.clone()))?;
            self.changed_on.insert(path.clone(), date);
        }
        self.blobs = files;
        Ok(())
    }
}

/// One table's rows over the revisions so far.
struct Tracked {
    def: TableDef,
    /// (declared cells, revision, commit, gone_in), in order of first appearance.
    rows: Vec<(Vec<Cell>, i64, String, Option<i64>)>,
    /// The rows still open, by content: their indexes in `rows`.
    open: HashMap<Vec<Cell>, Vec<usize>>,
}

impl Tracked {
    fn new(def: TableDef) -> Tracked {
        Tracked {
            def,
            rows: Vec::new(),
            open: HashMap::new(),
        }
    }

    /// Matches the rows of `revision`'s tree with the open ones.
    fn advance(&mut self, rows: Vec<Vec<Cell>>, revision: i64, commit: &str) {
        let mut found: HashMap<Vec<Cell>, usize> = HashMap::new();
        for row in rows {
            let seen = found.entry(row.clone()).or_insert(0);
            *seen += 1;
            let open = self.open.entry(row.clone()).or_default();
            if open.len() < *seen {
                open.push(self.rows.len());
                self.rows.push((row, revision, commit.to_string(), None));
            }
        }
        for (content, open) in &mut self.open {
            let still = found.get(content).copied().unwrap_or(0);
            while open.len() > still {
                if let Some(index) = open.pop() {
                    self.rows[index].3 = Some(revision);
                }
            }
        }
        self.open.retain(|_, open| !open.is_empty());
    }

    fn finish(self) -> HistoryTable {
        HistoryTable {
            def: self.def,
            rows: self
                .rows
                .into_iter()
                .map(|(mut cells, revision, commit, gone_in)| {
                    cells.push(Some(Value::Int(revision)));
                    cells.push(Some(Value::Str(commit)));
                    cells.push(gone_in.map(Value::Int));
                    cells
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::datasets::tables::DEPLOYMENTS;

    fn row(service: &str) -> Vec<Cell> {
        vec![Some(Value::from(service)), None, None, None]
    }

    fn history(tracked: Tracked) -> Vec<(String, i64, Option<i64>)> {
        tracked
            .finish()
            .rows
            .into_iter()
            .map(|cells| {
                let name = match &cells[0] {
                    Some(Value::Str(name)) => name.clone(),
                    other => panic!("{other:?}"),
                };
                let revision = match cells[4] {
                    Some(Value::Int(n)) => n,
                    ref other => panic!("{other:?}"),
                };
                let gone = match cells[6] {
                    Some(Value::Int(n)) => Some(n),
                    None => None,
                    ref other => panic!("{other:?}"),
                };
                (name, revision, gone)
            })
            .collect()
    }

    #[test]
    fn rows_are_written_once_and_closed_when_they_go() {
        let mut tracked = Tracked::new(DEPLOYMENTS);
        tracked.advance(vec![row("a"), row("b")], 1, "c1");
        tracked.advance(vec![row("a"), row("b")], 2, "c2");
        tracked.advance(vec![row("b"), row("c")], 3, "c3");
        tracked.advance(vec![row("b"), row("c"), row("a")], 4, "c4");
        assert_eq!(
            history(tracked),
            [
                ("a".to_string(), 1, Some(3)),
                ("b".to_string(), 1, None),
                ("c".to_string(), 3, None),
                ("a".to_string(), 4, None),
            ]
        );
    }

    #[test]
    fn identical_rows_are_counted_one_by_one() {
        let mut tracked = Tracked::new(DEPLOYMENTS);
        tracked.advance(vec![row("a"), row("a")], 1, "c1");
        tracked.advance(vec![row("a")], 2, "c2");
        tracked.advance(vec![row("a"), row("a"), row("a")], 3, "c3");
        assert_eq!(
            history(tracked),
            [
                ("a".to_string(), 1, None),
                ("a".to_string(), 1, Some(2)),
                ("a".to_string(), 3, None),
                ("a".to_string(), 3, None),
            ]
        );
    }

    #[test]
    fn a_folder_that_is_not_a_repository_is_an_error_not_a_crash() {
        let dir = tempfile::tempdir().unwrap();
        let error = read_history(dir.path(), &GitOptions::default()).unwrap_err();
        assert!(
            error.to_string().contains("not a git repository"),
            "{error}"
        );
        let missing = dir.path().join("nothing here");
        let error = read_history(&missing, &GitOptions::default()).unwrap_err();
        assert!(error.to_string().ends_with("no such directory"), "{error}");
    }
}
