//! The `jobs` table: worker lines of a page's background-jobs section that
//! carry a figure.
//!
//! A job line starts with a single identifier, bold or not
//! (`SyncThingWorker#perform`, `QueueInternal`), followed by a dash or a
//! parenthesis, and gives a job count, a share or a failure count. Label
//! lines (`**Total Background Jobs**: …`) and lines without a figure
//! (`SyncThingWorker (keeps things fresh)`) are not jobs.

use std::sync::LazyLock;

use chrono::NaiveDate;
use regex::Regex;

use super::markdown::Document;
use super::markup;
use super::page;
use super::records::{Cell, Record, cell};
use super::values::{self, Decimal};
use crate::datasets::tables::{JOBS, TableDef};

/// One row of the `jobs` table.
#[derive(Debug, Clone)]
pub struct Job {
    pub service: String,
    pub job: String,
    pub jobs: Option<i64>,
    pub share_pct: Option<Decimal>,
    pub failures: Option<i64>,
    pub snapshot: Option<NaiveDate>,
}

/// The job lines of a page, in document order.
pub fn read(doc: &Document, service: &str, snapshot: Option<NaiveDate>) -> Vec<Job> {
    doc.sections(page::is_jobs_section)
        .iter()
        .flat_map(|section| section.lines())
        .filter_map(|line| line.list_item())
        .filter_map(|item| {
            let (name, rest) = leading_name(item.content)?;
            let figures = read_figures(rest)?;
            Some(Job {
                service: service.to_string(),
                job: name.to_string(),
                jobs: figures.jobs,
                share_pct: figures.share_pct,
                failures: figures.failures,
                snapshot,
            })
        })
        .collect()
}

/// The identifier a job line starts with, and the rest of the line, when
/// the rest opens with a dash or a parenthesis.
fn leading_name(content: &str) -> Option<(&str, &str)> {
    static IDENTIFIER: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"^(?:[A-Z]\w*::)*[A-Z]\w*(?:#\w+)?$").expect("static pattern")
    });
    let (name, rest) = markup::bold_lead(content).unwrap_or_else(|| {
        let end = content
            .find(|c: char| c.is_whitespace() || c == '(')
            .unwrap_or(content.len());
        content.split_at(end)
    });
    let opens_figures = rest.trim_start().starts_with(['-', '–', '—', '(']);
    (IDENTIFIER.is_match(name) && opens_figures).then_some((name, rest))
}

struct Figures {
    jobs: Option<i64>,
    share_pct: Option<Decimal>,
    failures: Option<i64>,
}

/// The figures after a job's name; `None` when there are none.
fn read_figures(rest: &str) -> Option<Figures> {
    static JOB_COUNT: LazyLock<Regex> = LazyLock::new(|| values::count_before("jobs?"));
    static FAILURES: LazyLock<Regex> =
        LazyLock::new(|| values::count_before(r"(?:occurrences\s+of\s+)?failures?"));
    let figures = Figures {
        jobs: values::find_count(&JOB_COUNT, rest),
        share_pct: values::share_percent(rest),
        failures: values::find_count(&FAILURES, rest),
    };
    let any = figures.jobs.is_some() || figures.share_pct.is_some() || figures.failures.is_some();
    any.then_some(figures)
}

impl Record for Job {
    const TABLE: TableDef = JOBS;

    fn cells(self) -> Vec<(&'static str, Cell)> {
        let (worker, method) = match self.job.split_once('#') {
            Some((worker, method)) => (worker.to_string(), Some(method.to_string())),
            None => (self.job.clone(), None),
        };
        vec![
            ("service", cell(Some(self.service))),
            ("job", cell(Some(self.job))),
            ("worker", cell(Some(worker))),
            ("method", cell(method)),
            ("jobs", cell(self.jobs)),
            ("share_pct", cell(self.share_pct)),
            ("failures", cell(self.failures)),
            ("snapshot", cell(self.snapshot)),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::records::tests::assert_follows_definition;

    /// Job name, job count, share and failures.
    type JobLine = (String, Option<i64>, Option<String>, Option<i64>);

    fn jobs(text: &str) -> Vec<JobLine> {
        let doc = Document::from_bytes("services/x.md", text.as_bytes());
        read(&doc, "x", None)
            .into_iter()
            .map(|j| {
                (
                    j.job,
                    j.jobs,
                    j.share_pct.map(|s| s.to_string()),
                    j.failures,
                )
            })
            .collect()
    }

    #[test]
    fn line_shapes() {
        let found = jobs(
            "## Endpoint Analysis\n- **OtherWorker#perform** - 5 jobs\n## Background Jobs Analysis\n\
             - **Total Background Jobs**: 1,234 jobs (30 days)\n- **Ratio**: 34% jobs\n### Kinds\n\
             1. **SyncThingWorker#perform** - 2,000 jobs (85.1%)\n   - keeps things fresh\n\
             2. **QueueInternal** - 19 jobs (0.0%)\n- **Blocked Workers**:\n  - PushWorker (3,010 occurrences of failures)\n\
               - PullWorker (1,087 failures)\n  - IdleWorker (keeps things idle)\n- Redis trouble blocking 5 jobs\n\
             ## Action Items\n- **LaterWorker** - 9 jobs\n",
        );
        assert_eq!(
            found,
            [
                (
                    "SyncThingWorker#perform".to_string(),
                    Some(2000),
                    Some("85.1".to_string()),
                    None
                ),
                (
                    "QueueInternal".to_string(),
                    Some(19),
                    Some("0.0".to_string()),
                    None
                ),
                ("PushWorker".to_string(), None, None, Some(3010)),
                ("PullWorker".to_string(), None, None, Some(1087)),
            ]
        );
    }

    #[test]
    fn cells_follow_the_table_definition() {
        let doc = Document::from_bytes(
            "services/x.md",
            b"## Background Jobs\n- **AWorker#run** - 3 jobs (1.0%)\n- BWorker (2 failures)\n",
        );
        let found = read(&doc, "x", NaiveDate::from_ymd_opt(2025, 5, 30));
        let cells: Vec<Vec<Cell>> = found
            .into_iter()
            .map(|job| {
                assert_follows_definition(job.clone());
                job.cells().into_iter().map(|(_, value)| value).collect()
            })
            .collect();
        assert_eq!(
            (cells[0][2].clone(), cells[0][3].clone()),
            (Some("AWorker".into()), Some("run".into()))
        );
        assert_eq!(
            (cells[1][2].clone(), cells[1][3].clone()),
            (Some("BWorker".into()), None)
        );
    }
}
