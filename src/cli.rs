//! Command-line arguments (clap), and how they become a run.

use std::path::PathBuf;

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

    /// How to print results.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,

    /// Write the last result to FILE instead of printing it; the format
    /// comes from the extension (.csv .tsv .json .ndjson .parquet .md).
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Show at most N rows in the table view.
    #[arg(long, value_name = "N", default_value_t = 40)]
    pub max_rows: usize,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Build the dataset CSV files from an infrastructure documentation tree.
    Import {
        /// The documentation tree (services.md, servers.md, services/*.md).
        docs: PathBuf,
        /// Where to write the CSV files.
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
    },
}
