//! `infraql import`: turns the ecosyste.ms infrastructure documentation tree
//! into the bundled tables (see [`crate::datasets::tables`]).
//!
//! The tree holds `services.md` (required: the service overview), `README.md`
//! (platform areas and the "Last Updated" date), `servers.md` (the server
//! inventory) and one page per service under `services/`. Every source keeps
//! its own columns: where the documents disagree, nothing is reconciled.
//!
//! The importer is tolerant by design. Anything missing, unusual or
//! unreadable becomes null with one [`Warning`] naming the file and line;
//! only a missing `services.md` or an I/O failure stops it ([`ImportError`]).
//!
//! Modules, bottom up: `values` (numbers, dates), `markup` (inline text and
//! markers), `markdown` (lines, headings, sections, lists), `pipe_table`;
//! one reader per source (`overview`, `readme`, `page`, `servers`) and per
//! page table (`endpoints`, `jobs`, `incidents`); `services` joins the
//! overview with the pages; `figures` keeps every request and job figure
//! with the period it covers; `records` and `csv_out` hold and write the
//! rows. `history` reads every commit of a reports repository (`--git`).

mod csv_out;
mod diagnostics;
mod endpoints;
mod figures;
mod history;
mod incidents;
mod jobs;
mod markdown;
mod markup;
mod overview;
mod page;
mod pipe_table;
mod readme;
mod records;
mod servers;
mod services;
mod values;

use std::collections::HashMap;
use std::fs;
use std::io::ErrorKind;
use std::path::Path;

use chrono::NaiveDate;
pub use diagnostics::{ImportError, Warning};
use endpoints::Endpoint;
pub use history::{GitOptions, History, HistoryTable, import_git, read_history};
use incidents::Incident;
use jobs::Job;
use markdown::Document;
use page::PageFacts;
use readme::Readme;
pub use records::{Cell, Table, Value};
pub use values::Decimal;

/// The tables read from a documentation tree, and what could not be read.
#[derive(Debug, Clone)]
pub struct Imported {
    /// One per bundled table, in [`crate::datasets::tables::ALL`] order.
    pub tables: Vec<Table>,
    /// Sorted by file and line.
    pub warnings: Vec<Warning>,
}

impl Imported {
    /// The table called `name`.
    pub fn table(&self, name: &str) -> Option<&Table> {
        self.tables.iter().find(|table| table.def.name == name)
    }
}

/// Reads the tree at `docs_dir` and writes one CSV per table into `out_dir`
/// (all replaced together). Returns the warnings.
pub fn import_dir(docs_dir: &Path, out_dir: &Path) -> Result<Vec<Warning>, ImportError> {
    let imported = import_tree(docs_dir)?;
    csv_out::write_tables(out_dir, &imported.tables)?;
    Ok(imported.warnings)
}

/// A service page and what it says about itself.
struct Page {
    /// The file name without `.md`.
    service: String,
    doc: Document,
    facts: PageFacts,
}

/// Where a document that states no date of its own takes its snapshot from.
pub enum UndatedDocuments<'a> {
    /// A plain folder: servers.md takes the README's "Last Updated" date,
    /// with a warning that this is a guess; a page without a date keeps its
    /// period's end (or none).
    FromTree,
    /// A git import: the date of the commit that last changed the document,
    /// by its path in the tree.
    FromCommits(&'a HashMap<String, NaiveDate>),
}

impl UndatedDocuments<'_> {
    fn commit_date(&self, file: &str) -> Option<NaiveDate> {
        match self {
            UndatedDocuments::FromTree => None,
            UndatedDocuments::FromCommits(dates) => dates.get(file).copied(),
        }
    }
}

/// Reads the tree at `docs_dir` into memory.
pub fn import_tree(docs_dir: &Path) -> Result<Imported, ImportError> {
    import_tree_with(docs_dir, &UndatedDocuments::FromTree)
}

/// Reads the tree at `docs_dir` into memory, dating undated documents as
/// `undated` says.
pub fn import_tree_with(
    docs_dir: &Path,
    undated: &UndatedDocuments<'_>,
) -> Result<Imported, ImportError> {
    let mut warnings = Vec::new();
    let overview_doc =
        read_document(docs_dir, "services.md")?.ok_or_else(|| ImportError::MissingFile {
            file: docs_dir.join("services.md"),
        })?;
    let overview = overview::read(&overview_doc, &mut warnings);
    let readme = match read_document(docs_dir, "README.md")? {
        Some(doc) => Some(readme::read(&doc)),
        None => {
            warnings.push(file_warning(
                "README.md",
                "not found; the services' categories are left empty",
            ));
            None
        }
    };
    let pages = read_pages(docs_dir, undated, &mut warnings)?;
    let figures = figures::collect(&overview, &pages);
    let pages_dir_found = docs_dir.join("services").is_dir();

    let services = join_services(
        overview,
        readme.as_ref(),
        &pages,
        pages_dir_found,
        &overview_doc,
        &mut warnings,
    );
    let (endpoints, jobs, incidents) = page_tables(&pages, &mut warnings);
    let (servers, deployments) = read_servers(docs_dir, readme.as_ref(), undated, &mut warnings)?;
    // Grouped by file, then by line; file-wide warnings first.
    warnings.sort_by(|a, b| (&a.file, a.line).cmp(&(&b.file, b.line)));

    Ok(Imported {
        tables: vec![
            Table::from_records(services),
            Table::from_records(endpoints),
            Table::from_records(jobs),
            Table::from_records(servers),
            Table::from_records(deployments),
            Table::from_records(incidents),
            Table::from_records(figures),
        ],
        warnings,
    })
}

fn file_warning(file: &str, message: &str) -> Warning {
    Warning {
        file: file.to_string(),
        line: None,
        message: message.to_string(),
    }
}

/// The document at `relative` (a `/`-separated path under `docs_dir`), or
/// `None` when there is no such file.
fn read_document(docs_dir: &Path, relative: &str) -> Result<Option<Document>, ImportError> {
    let file = docs_dir.join(relative);
    match fs::read(&file) {
        Ok(bytes) => Ok(Some(Document::from_bytes(relative, &bytes))),
        Err(error) if error.kind() == ErrorKind::NotFound => Ok(None),
        Err(source) => Err(ImportError::Read { file, source }),
    }
}

/// The pages under `services/`, in file name order; `services/README.md` is
/// an index, not a page.
fn read_pages(
    docs_dir: &Path,
    undated: &UndatedDocuments<'_>,
    warnings: &mut Vec<Warning>,
) -> Result<Vec<Page>, ImportError> {
    let dir = docs_dir.join("services");
    let entries = match fs::read_dir(&dir) {
        Ok(entries) => entries,
        Err(error) if error.kind() == ErrorKind::NotFound => {
            warnings.push(file_warning(
                "services/",
                "not found; there are no service pages",
            ));
            return Ok(vec![]);
        }
        Err(source) => return Err(ImportError::Read { file: dir, source }),
    };
    let mut names = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|source| ImportError::Read {
            file: dir.clone(),
            source,
        })?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.ends_with(".md") && !name.eq_ignore_ascii_case("README.md") {
            names.push(name);
        }
    }
    names.sort();
    let mut pages = Vec::with_capacity(names.len());
    for name in names {
        let file = format!("services/{name}");
        let Some(doc) = read_document(docs_dir, &file)? else {
            continue;
        };
        let mut facts = page::read(&doc, warnings);
        if facts.snapshot.is_none() {
            facts.snapshot = undated.commit_date(&file);
        }
        let service = name.trim_end_matches(".md").to_string();
        pages.push(Page {
            service,
            doc,
            facts,
        });
    }
    Ok(pages)
}

/// The endpoints, jobs and incidents of all pages, page by page.
fn page_tables(
    pages: &[Page],
    warnings: &mut Vec<Warning>,
) -> (Vec<Endpoint>, Vec<Job>, Vec<Incident>) {
    let mut endpoints = Vec::new();
    let mut jobs = Vec::new();
    let mut incidents = Vec::new();
    for page in pages {
        let (doc, service, snapshot) = (&page.doc, page.service.as_str(), page.facts.snapshot);
        endpoints.extend(endpoints::read(doc, service, snapshot, warnings));
        jobs.extend(jobs::read(doc, service, snapshot));
        incidents.extend(incidents::read(doc, service, snapshot, warnings));
    }
    (endpoints, jobs, incidents)
}

/// One `services` row per overview row, with its category and page figures.
/// Without a services/ folder (already warned about), a missing page is no news.
fn join_services(
    overview: overview::Overview,
    readme: Option<&Readme>,
    pages: &[Page],
    pages_dir_found: bool,
    overview_doc: &Document,
    warnings: &mut Vec<Warning>,
) -> Vec<services::Service> {
    overview
        .rows
        .into_iter()
        .map(|row| {
            let page = pages
                .iter()
                .find(|page| page.service.eq_ignore_ascii_case(&row.service));
            if page.is_none() && pages_dir_found {
                let message = format!(
                    "no page services/{}.md; its page columns are left empty",
                    row.service
                );
                warnings.push(overview_doc.warning(row.line, message));
            }
            services::Service {
                category: readme.and_then(|readme| readme.category_of(&row.service)),
                page: page.map(|page| page.facts.clone()).unwrap_or_default(),
                snapshot: overview.snapshot,
                overview: row,
            }
        })
        .collect()
}

/// The servers.md tables, dated by servers.md's own date when it states
/// one; otherwise from git, the date of the commit that last changed it,
/// and from a plain folder the README's "Last Updated" date, with a warning
/// that it is a guess.
fn read_servers(
    docs_dir: &Path,
    readme: Option<&Readme>,
    undated: &UndatedDocuments<'_>,
    warnings: &mut Vec<Warning>,
) -> Result<(Vec<servers::Server>, Vec<servers::Deployment>), ImportError> {
    let Some(doc) = read_document(docs_dir, "servers.md")? else {
        let message = "not found; the servers and deployments tables are empty";
        warnings.push(file_warning("servers.md", message));
        return Ok((vec![], vec![]));
    };
    let readme_date = readme.and_then(|readme| readme.last_updated);
    let snapshot = match (doc.stated_date(), undated.commit_date("servers.md")) {
        (Some(own), _) => Some(own),
        (None, Some(committed)) => Some(committed),
        (None, None) => {
            let message = match readme_date {
                Some(date) => format!(
                    "states no date; its snapshot is README.md's \"Last Updated\" date, {date}, a guess"
                ),
                None => "states no date, and README.md has no \"Last Updated\" date; the snapshot is left empty".to_string(),
            };
            warnings.push(file_warning("servers.md", &message));
            readme_date
        }
    };
    Ok((
        servers::read_servers(&doc, snapshot, warnings),
        servers::read_deployments(&doc, snapshot, warnings),
    ))
}
