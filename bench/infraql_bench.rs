//! Times one infraql query over data files, for the benchmark.
//!
//! ```text
//! infraql_bench --table logs=bench/data/logs_1m.parquet --now 2025-11-24T00:00:00 \
//!     --runs 5 --query-file bench/queries/01_requests_by_status.iql [--print-csv out.csv]
//! ```
//!
//! Registers the tables, fixes `now()`, runs the query once to warm up and
//! then `--runs` times, and prints one JSON line:
//!
//! ```text
//! {"engine":"infraql","median_ms":…,"runs_ms":[…],"peak_rss_mb":…,"rows":…}
//! ```
//!
//! A run is the whole of [`Session::run`] (parse, resolve, lower to Polars,
//! collect), as a user waits for it; `rows` counts the rows of the last
//! result. Peak RSS is the process's high-water mark (`VmHWM`); the timing
//! is `timing.rs`'s, shared with `polars_rs_bench`. A query that fails
//! prints its diagnostics to standard error and exits with 1.

mod timing;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use chrono::NaiveDateTime;
use clap::Parser;
use infraql::engine::polars::Engine;
use infraql::format::Format;
use infraql::session::{Outcome, Session, parse_timestamp};
use polars::prelude::DataFrame;

/// Command-line arguments.
#[derive(Parser)]
#[command(about = "Times an infraql query and prints the timings as one JSON line")]
struct Args {
    /// A table to register, as NAME=PATH (CSV, Parquet, …); repeatable.
    #[arg(long = "table", value_name = "NAME=PATH", required = true)]
    tables: Vec<String>,
    /// What `now()` returns, as `infraql --now` takes it (default: the clock).
    #[arg(long, value_parser = parse_timestamp)]
    now: Option<NaiveDateTime>,
    /// Timed runs after the warm-up run.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..))]
    runs: u32,
    /// The file holding the query (an infraql script).
    #[arg(long)]
    query_file: PathBuf,
    /// Writes the last result to this CSV file.
    #[arg(long)]
    print_csv: Option<PathBuf>,
}

/// Runs `query` once, returning the last result it produced.
fn run_once(session: &mut Session, name: &str, query: &str) -> Result<DataFrame> {
    let mut last = None;
    session
        .run(name, query, |outcome| {
            if let Outcome::Rows(frame) = outcome {
                last = Some(frame);
            }
            Ok(())
        })
        .map_err(|failure| anyhow::anyhow!("{}", failure.render(false)))?;
    last.context("the query produced no result (does it end with `export`?)")
}

fn bench(args: &Args) -> Result<()> {
    let mut session = Session::new(Engine::default());
    for table in &args.tables {
        let Some((name, path)) = table.split_once('=') else {
            bail!("--table expects NAME=PATH, got `{table}`");
        };
        session.add_file(name, path).map_err(anyhow::Error::msg)?;
    }
    session.set_now(args.now);
    let name = args.query_file.display().to_string();
    let query =
        std::fs::read_to_string(&args.query_file).with_context(|| format!("reading {name}"))?;

    let (report, mut frame) = timing::measure("infraql", args.runs, || {
        run_once(&mut session, &name, &query)
    })?;
    if let Some(path) = &args.print_csv {
        infraql::export::write_file(&mut frame, Path::new(path), Format::Csv)
            .map_err(anyhow::Error::msg)?;
    }
    println!("{}", report.to_json()?);
    Ok(())
}

fn main() -> ExitCode {
    timing::exit("infraql_bench", bench(&Args::parse()))
}
