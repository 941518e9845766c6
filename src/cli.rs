//! Command-line arguments (clap), and how they become a run.

use std::path::PathBuf;

use chrono::{NaiveDate, NaiveDateTime};
use clap::{Parser, Subcommand};

use infraql::format::Format;

/// A pipeline query language over the ecosyste.ms infrastructure data.
///
/// With no -e or -f, reads a script from standard input, or starts the
/// interactive shell when standard input is a terminal.
#[derive(Debug, Parser)]
#[command(name = "infraql", version, about, long_about = None)]
#[command(
    after_help = "Examples:\n  infraql -e 'services | top 3 by requests_30d | select service, requests_30d'\n  infraql -e 'endpoints | where api' -o api.parquet\n  infraql import ../docs --out datasets"
)]
pub struct Cli {
    /// Run QUERY (repeatable; runs after any -f files).
    #[arg(short = 'e', long = "execute", value_name = "QUERY")]
    pub queries: Vec<String>,

    /// Run the script in FILE (repeatable).
    #[arg(short = 'f', long = "file", value_name = "FILE")]
    pub files: Vec<PathBuf>,

    /// Load the tables from the CSV/Parquet/NDJSON files of DIR instead of
    /// the bundled datasets (one table per file, named after it).
    #[arg(long, value_name = "DIR")]
    pub data: Option<PathBuf>,

    /// Add a table NAME read from the file or glob PATH (CSV, TSV, Parquet,
    /// NDJSON), or naming a ClickHouse table (clickhouse:TABLE or
    /// clickhouse:DB.TABLE); repeatable.
    #[arg(long = "table", value_name = "NAME=PATH", value_parser = parse_table)]
    pub tables: Vec<(String, String)>,

    /// Fix what now() and ago() mean, for reproducible scripts over old
    /// data: 2025-11-24 or 2025-11-24T06:00:00 (UTC).
    #[arg(long, value_name = "TIMESTAMP", value_parser = parse_now)]
    pub now: Option<NaiveDateTime>,

    /// How to print results.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,

    /// Write the last result to FILE instead of printing it; the format
    /// comes from the extension (.csv .tsv .json .ndjson .parquet .md).
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Stop at the first failure. Without it a failed statement is
    /// reported and the script goes on with its next piece (query text
    /// between dot-commands, or the next -e or -f); either way the exit
    /// status is 1 when anything failed.
    #[arg(long)]
    pub bail: bool,

    /// Show at most N rows in the table view.
    #[arg(long, value_name = "N", default_value_t = 40)]
    pub max_rows: usize,

    /// Stop a query that needs more memory than SIZE (4GB, 512MB, 50% of
    /// the memory available, or none); the default is 80%.
    #[arg(long, value_name = "SIZE", value_parser = infraql::engine::memory::parse_limit)]
    pub memory_limit: Option<infraql::engine::memory::Limit>,

    /// Show large numbers as 1.2K, 58.3M, 1.4B in the table view.
    #[arg(long)]
    pub humanize: bool,

    /// Connect to a ClickHouse database: http://user@host:8123/database
    /// (https too). The password comes from INFRAQL_CLICKHOUSE_PASSWORD.
    #[arg(long, value_name = "URL", env = "INFRAQL_CLICKHOUSE_URL")]
    pub clickhouse: Option<String>,

    /// A ClickHouse setting sent with every query (max_execution_time=60);
    /// repeatable.
    #[arg(long = "clickhouse-setting", value_name = "NAME=VALUE", value_parser = parse_setting)]
    pub clickhouse_settings: Vec<(String, String)>,

    /// Print the ClickHouse SQL of each query instead of running it.
    #[arg(long)]
    pub sql: bool,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Build the dataset CSV files from an infrastructure documentation tree,
    /// or from every commit of a reports repository (`--git`).
    Import {
        /// The documentation tree (services.md, servers.md, services/*.md).
        #[arg(required_unless_present = "git", conflicts_with = "git")]
        docs: Option<PathBuf>,
        /// Read every commit of this git repository (or folder of one) that
        /// changed the reports, oldest first; the tables get history columns
        /// (revision, commit, gone_in) and a `revisions` table.
        #[arg(long, value_name = "REPO_DIR")]
        git: Option<PathBuf>,
        /// With --git: only commits made on or after this day (YYYY-MM-DD).
        #[arg(long, value_name = "DATE", requires = "git", value_parser = parse_day)]
        since: Option<NaiveDate>,
        /// Where to write the CSV files.
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
    },
}

/// `NAME=PATH` for `--table`.
fn parse_setting(text: &str) -> Result<(String, String), String> {
    let (name, value) = text
        .split_once('=')
        .ok_or_else(|| format!("expected NAME=VALUE, found `{text}`"))?;
    Ok((name.trim().to_owned(), value.trim().to_owned()))
}

fn parse_table(text: &str) -> Result<(String, String), String> {
    let (name, path) = text
        .split_once('=')
        .ok_or_else(|| format!("expected NAME=PATH, found `{text}`"))?;
    let plain = name
        .chars()
        .next()
        .is_some_and(|c| c.is_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_alphanumeric() || c == '_');
    if !plain {
        return Err(format!(
            "`{name}` is not a table name: use letters, digits and _"
        ));
    }
    if path.is_empty() {
        return Err("the path after = is empty".to_owned());
    }
    Ok((name.to_owned(), path.to_owned()))
}

/// A day for `--since`.
fn parse_day(text: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .map_err(|_| format!("expected a date as YYYY-MM-DD, found `{text}`"))
}

/// A timestamp for `--now`.
fn parse_now(text: &str) -> Result<NaiveDateTime, String> {
    infraql::session::parse_timestamp(text)
}
