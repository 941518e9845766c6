//! Timing shared by the benchmark's Rust workers (`infraql_bench` and
//! `polars_rs_bench`, which include it with `mod timing;`).
//!
//! [`measure`] runs a query once to warm up and then `runs` times, and
//! returns a [`Report`]: the JSON line `bench.py` reads, in the same shape as
//! `engine_worker.py`'s:
//!
//! ```text
//! {"engine":…,"median_ms":…,"runs_ms":[…],"peak_rss_mb":…,"rows":…}
//! ```

use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result, ensure};
use polars::prelude::DataFrame;
use serde::Serialize;

/// What a worker prints for `bench.py`.
#[derive(Serialize)]
pub struct Report {
    pub engine: &'static str,
    pub median_ms: f64,
    pub runs_ms: Vec<f64>,
    pub peak_rss_mb: f64,
    pub rows: usize,
}

impl Report {
    /// The report as one JSON line.
    pub fn to_json(&self) -> Result<String> {
        serde_json::to_string(self).context("serialising the report")
    }
}

/// How a worker ends: success, or the error (with its causes) on stderr
/// and a failure status.
pub fn exit(worker: &str, result: Result<()>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("{worker}: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// Runs `run` once to warm up, then `runs` more times, timing each of those
/// (wall time); returns the report and the last run's result, which `rows`
/// counts. Peak RSS is the process's high-water mark (`VmHWM`) at the end.
pub fn measure(
    engine: &'static str,
    runs: u32,
    mut run: impl FnMut() -> Result<DataFrame>,
) -> Result<(Report, DataFrame)> {
    ensure!(runs > 0, "at least one timed run is needed");
    let mut frame = run()?;
    let mut runs_ms = Vec::with_capacity(runs as usize);
    for _ in 0..runs {
        let start = Instant::now();
        frame = run()?;
        runs_ms.push(start.elapsed().as_secs_f64() * 1e3);
    }
    let report = Report {
        engine,
        median_ms: median(&runs_ms),
        peak_rss_mb: peak_rss_mb()?,
        rows: frame.height(),
        runs_ms,
    };
    Ok((report, frame))
}

/// The median of `values`, which is not empty (the mean of the two middle
/// ones for an even count).
fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let middle = sorted.len() / 2;
    if sorted.len().is_multiple_of(2) {
        f64::midpoint(sorted[middle - 1], sorted[middle])
    } else {
        sorted[middle]
    }
}

/// The peak resident set size of this process in MiB, from /proc.
fn peak_rss_mb() -> Result<f64> {
    let status =
        std::fs::read_to_string("/proc/self/status").context("reading /proc/self/status")?;
    let line = status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .context("no VmHWM in /proc/self/status")?;
    let kib: f64 = line
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .context("reading VmHWM")?;
    Ok(kib / 1024.0)
}
