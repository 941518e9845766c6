//! Times one workload query hand-written against the Rust `polars` crate,
//! for the benchmark.
//!
//! ```text
//! polars_rs_bench --data bench/data/logs_1m.parquet --query 01_requests_by_status \
//!     --runs 5 [--now 2025-11-24T00:00:00] [--print-csv out.csv] [--explain]
//! ```
//!
//! The 17 questions of `workload.py`, each written with the `LazyFrame` API of
//! the very `polars` crate (version and features) infraql embeds, as a Rust
//! user would write them; the Python Polars forms in `workload.py`, which
//! they follow step for step, are the reference for what each one computes.
//! Set beside `infraql_bench`, this separates what infraql's language costs
//! from what the engine costs.
//!
//! Scans the Parquet file once as `logs`, then runs the query once to warm
//! up and `--runs` times, and prints one JSON line (see `timing.rs`):
//!
//! ```text
//! {"engine":"polars-rs","median_ms":…,"runs_ms":[…],"peak_rss_mb":…,"rows":…}
//! ```
//!
//! A run builds the query on the scan and collects it with the streaming
//! engine, as infraql does, materialising the whole result. `--explain`
//! prints the optimised plan instead, to set beside infraql's `.explain`.

mod timing;

use std::fs::File;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use chrono::{NaiveDate, NaiveDateTime, NaiveTime, TimeDelta};
use clap::{Parser, ValueEnum};
use polars::prelude::{
    CsvWriter, DataType, Engine, Expr, LazyFrame, NULL, PlRefPath, QuantileMethod, ScanArgsParquet,
    SerWriter, SortMultipleOptions, TimeUnit, col, int_range, len, lit, when,
};

/// Command-line arguments.
#[derive(Parser)]
#[command(about = "Times a hand-written Rust Polars query and prints the timings as one JSON line")]
struct Args {
    /// The access log, as a Parquet file.
    #[arg(long)]
    data: PathBuf,
    /// The workload query to run.
    #[arg(long, value_enum)]
    query: Query,
    /// What `now` is in the questions relative to it (15 and 17), as
    /// YYYY-MM-DDTHH:MM:SS or YYYY-MM-DD (default: the end of the generated
    /// logs).
    #[arg(long, default_value = "2025-11-24T00:00:00", value_parser = parse_now)]
    now: NaiveDateTime,
    /// Timed runs after the warm-up run.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..))]
    runs: u32,
    /// Writes the last result to this CSV file.
    #[arg(long)]
    print_csv: Option<PathBuf>,
    /// Prints the query's optimised plan instead of timing it.
    #[arg(long)]
    explain: bool,
}

/// `--now`: a date and time (`2025-11-24T00:00:00`) or a date, for its
/// midnight.
fn parse_now(text: &str) -> Result<NaiveDateTime, String> {
    text.parse::<NaiveDateTime>()
        .or_else(|_| {
            text.parse::<NaiveDate>()
                .map(|date| date.and_time(NaiveTime::MIN))
        })
        .map_err(|_| "expected YYYY-MM-DDTHH:MM:SS or YYYY-MM-DD".to_owned())
}

/// The workload's questions, named by their ids in `workload.py`.
#[derive(Clone, Copy, ValueEnum)]
enum Query {
    #[value(name = "01_requests_by_status")]
    RequestsByStatus,
    #[value(name = "02_top_hosts")]
    TopHosts,
    #[value(name = "03_hourly_volume_one_day")]
    HourlyVolumeOneDay,
    #[value(name = "04_top_ips_with_country")]
    TopIpsWithCountry,
    #[value(name = "05_status_classes_per_host")]
    StatusClassesPerHost,
    #[value(name = "06_top_404_uris")]
    Top404Uris,
    #[value(name = "07_rate_limited_per_hour")]
    RateLimitedPerHour,
    #[value(name = "08_rate_limited_user_agents")]
    RateLimitedUserAgents,
    #[value(name = "09_latency_percentiles_per_host")]
    LatencyPercentilesPerHost,
    #[value(name = "10_slowest_uris")]
    SlowestUris,
    #[value(name = "11_method_share")]
    MethodShare,
    #[value(name = "12_api_key_share")]
    ApiKeyShare,
    #[value(name = "13_ip_request_buckets")]
    IpRequestBuckets,
    #[value(name = "14_top10_ip_share")]
    Top10IpShare,
    #[value(name = "15_last_24h_vs_previous")]
    Last24hVsPrevious,
    #[value(name = "16_top3_uris_per_host")]
    Top3UrisPerHost,
    #[value(name = "17_p95_last_24h")]
    P95Last24h,
}

impl Query {
    /// The query over `logs`, with `now` as the end of the log.
    fn build(self, logs: LazyFrame, now: NaiveDateTime) -> Result<LazyFrame> {
        Ok(match self {
            Query::RequestsByStatus => requests_by_status(logs),
            Query::TopHosts => top_hosts(logs),
            Query::HourlyVolumeOneDay => hourly_volume_one_day(logs),
            Query::TopIpsWithCountry => top_ips_with_country(logs),
            Query::StatusClassesPerHost => status_classes_per_host(logs),
            Query::Top404Uris => top_404_uris(logs),
            Query::RateLimitedPerHour => rate_limited_per_hour(logs),
            Query::RateLimitedUserAgents => rate_limited_user_agents(logs),
            Query::LatencyPercentilesPerHost => latency_percentiles_per_host(logs),
            Query::SlowestUris => slowest_uris(logs),
            Query::MethodShare => method_share(logs),
            Query::ApiKeyShare => api_key_share(logs),
            Query::IpRequestBuckets => ip_request_buckets(logs),
            Query::Top10IpShare => top10_ip_share(logs),
            Query::Last24hVsPrevious => last_24h_vs_previous(logs, now)?,
            Query::Top3UrisPerHost => top3_uris_per_host(logs)?,
            Query::P95Last24h => p95_last_24h(logs, now)?,
        })
    }
}

// The queries, in the order and with the names of `workload.py`.

/// Sort options: `descending` per sort key, nulls first as Polars' default.
fn order(descending: impl IntoIterator<Item = bool>) -> SortMultipleOptions {
    SortMultipleOptions::default().with_order_descending_multi(descending)
}

/// `timestamp` (seconds since the epoch, a float) as a datetime, as Python's
/// `pl.from_epoch(…, time_unit="s")` builds it.
fn time() -> Expr {
    (col("timestamp") * lit(1_000_000)).cast(DataType::Datetime(TimeUnit::Microseconds, None))
}

/// Midnight (UTC) of a date; evaluated in constants, so a bad date does not
/// compile.
const fn midnight(year: i32, month: u32, day: u32) -> NaiveDateTime {
    match NaiveDate::from_ymd_opt(year, month, day) {
        Some(date) => date.and_time(NaiveTime::MIN),
        None => panic!("not a date"),
    }
}

/// `hours` before `now`.
fn hours_before(now: NaiveDateTime, hours: i64) -> Result<NaiveDateTime> {
    now.checked_sub_signed(TimeDelta::hours(hours))
        .with_context(|| format!("--now {now} is too early to go back {hours}h"))
}

/// Requests per status code.
fn requests_by_status(logs: LazyFrame) -> LazyFrame {
    logs.group_by([col("status")])
        .agg([len().alias("requests")])
        .sort_by_exprs([col("requests"), col("status")], order([true, false]))
}

/// The ten busiest hosts, with how many client IPs they served.
fn top_hosts(logs: LazyFrame) -> LazyFrame {
    logs.group_by([col("host")])
        .agg([
            len().alias("requests"),
            col("real_ip").n_unique().alias("ips"),
        ])
        .sort_by_exprs([col("requests"), col("host")], order([true, false]))
        .limit(10)
}

/// Requests per hour on one day (UTC).
fn hourly_volume_one_day(logs: LazyFrame) -> LazyFrame {
    const START: NaiveDateTime = midnight(2025, 11, 17);
    const END: NaiveDateTime = midnight(2025, 11, 18);
    logs.with_column(time().alias("t"))
        .filter(col("t").gt_eq(lit(START)).and(col("t").lt(lit(END))))
        .group_by([col("t").dt().truncate(lit("1h")).alias("hour")])
        .agg([len().alias("requests")])
        .sort(["hour"], SortMultipleOptions::default())
}

/// The ten busiest client IPs and where they are.
fn top_ips_with_country(logs: LazyFrame) -> LazyFrame {
    logs.group_by([col("real_ip"), col("country")])
        .agg([len().alias("requests")])
        .sort_by_exprs([col("requests"), col("real_ip")], order([true, false]))
        .limit(10)
}

/// Share of each status class per host, in percent.
fn status_classes_per_host(logs: LazyFrame) -> LazyFrame {
    let status = || col("status");
    let pct = |condition: Expr| condition.sum() * lit(100.0) / len();
    let class = |low: u16, high: u16| status().gt_eq(lit(low)).and(status().lt_eq(lit(high)));
    logs.group_by([col("host")])
        .agg([
            len().alias("requests"),
            pct(class(200, 299)).alias("pct_2xx"),
            pct(class(300, 399)).alias("pct_3xx"),
            pct(class(400, 499)).alias("pct_4xx"),
            pct(status().gt_eq(lit(500))).alias("pct_5xx"),
        ])
        .sort_by_exprs([col("requests"), col("host")], order([true, false]))
}

/// The ten most requested missing pages, with how many IPs asked for them.
fn top_404_uris(logs: LazyFrame) -> LazyFrame {
    logs.filter(col("status").eq(lit(404)))
        .group_by([col("host"), col("uri")])
        .agg([
            len().alias("requests"),
            col("real_ip").n_unique().alias("ips"),
        ])
        .sort_by_exprs(
            [col("requests"), col("host"), col("uri")],
            order([true, false, false]),
        )
        .limit(10)
}

/// Rate-limited requests (429) per hour over the whole log.
fn rate_limited_per_hour(logs: LazyFrame) -> LazyFrame {
    logs.filter(col("status").eq(lit(429)))
        .group_by([time().dt().truncate(lit("1h")).alias("hour")])
        .agg([len().alias("requests")])
        .sort(["hour"], SortMultipleOptions::default())
}

/// The ten user agents with the most 429s, and the share of their requests
/// refused.
fn rate_limited_user_agents(logs: LazyFrame) -> LazyFrame {
    logs.group_by([col("user_agent")])
        .agg([
            len().alias("requests"),
            col("status").eq(lit(429)).sum().alias("limited"),
        ])
        .with_column((col("limited") * lit(100.0) / col("requests")).alias("limited_pct"))
        .sort_by_exprs([col("limited"), col("user_agent")], order([true, false]))
        .limit(10)
}

/// Latency percentiles per host, in ms.
fn latency_percentiles_per_host(logs: LazyFrame) -> LazyFrame {
    let latency = || col("latency");
    logs.group_by([col("host")])
        .agg([
            len().alias("requests"),
            latency().median().alias("p50"),
            latency()
                .quantile(lit(0.95), QuantileMethod::Linear)
                .alias("p95"),
            latency()
                .quantile(lit(0.99), QuantileMethod::Linear)
                .alias("p99"),
            latency().max().alias("max_ms"),
        ])
        .sort_by_exprs([col("requests"), col("host")], order([true, false]))
}

/// The ten slowest pages on average, among those with more than 100 requests.
fn slowest_uris(logs: LazyFrame) -> LazyFrame {
    logs.group_by([col("host"), col("uri")])
        .agg([
            len().alias("requests"),
            col("latency").mean().alias("avg_ms"),
            col("latency")
                .quantile(lit(0.95), QuantileMethod::Linear)
                .alias("p95"),
        ])
        .filter(col("requests").gt(lit(100)))
        .sort_by_exprs(
            [col("avg_ms"), col("host"), col("uri")],
            order([true, false, false]),
        )
        .limit(10)
}

/// `requests` as a percentage of its total.
fn share_pct() -> Expr {
    (col("requests") * lit(100.0) / col("requests").sum()).alias("share_pct")
}

/// Requests per HTTP method and their share of all requests.
fn method_share(logs: LazyFrame) -> LazyFrame {
    logs.group_by([col("method")])
        .agg([len().alias("requests")])
        .with_column(share_pct())
        .sort_by_exprs([col("requests"), col("method")], order([true, false]))
}

/// Internal services, API-key holders and anonymous clients: requests, IPs
/// and share.
fn api_key_share(logs: LazyFrame) -> LazyFrame {
    let client = when(col("api_key").eq(lit("")))
        .then(lit("anonymous"))
        .when(col("api_key").str().ends_with(lit(".ecosyste.ms")))
        .then(lit("internal"))
        .otherwise(lit("api key"));
    logs.group_by([client.alias("client")])
        .agg([
            len().alias("requests"),
            col("real_ip").n_unique().alias("ips"),
        ])
        .with_column(share_pct())
        .sort_by_exprs([col("requests"), col("client")], order([true, false]))
}

/// Client IPs bucketed by how many requests they sent, with the buckets'
/// share of traffic.
fn ip_request_buckets(logs: LazyFrame) -> LazyFrame {
    let n = || col("n");
    let bucket = when(n().eq(lit(1)))
        .then(lit("1"))
        .when(n().lt_eq(lit(10)))
        .then(lit("2-10"))
        .when(n().lt_eq(lit(100)))
        .then(lit("11-100"))
        .when(n().lt_eq(lit(1000)))
        .then(lit("101-1000"))
        .when(n().lt_eq(lit(10000)))
        .then(lit("1001-10000"))
        .otherwise(lit(">10000"));
    logs.group_by([col("real_ip")])
        .agg([len().alias("n")])
        .group_by([bucket.alias("bucket")])
        .agg([
            len().alias("ips"),
            n().sum().alias("requests"),
            n().min().alias("smallest"),
        ])
        .with_column(share_pct())
        .sort(["smallest"], SortMultipleOptions::default())
        .select([col("bucket"), col("ips"), col("requests"), col("share_pct")])
}

/// How much of all traffic the ten busiest IPs send.
fn top10_ip_share(logs: LazyFrame) -> LazyFrame {
    logs.group_by([col("real_ip")])
        .agg([len().alias("n")])
        .with_column((col("n") * lit(100.0) / col("n").sum()).alias("share"))
        .sort_by_exprs([col("n"), col("real_ip")], order([true, false]))
        .limit(10)
        .select([
            col("n").sum().alias("requests"),
            col("share").sum().alias("share_pct"),
        ])
}

/// Requests per host in the last 24 hours against the 24 hours before.
fn last_24h_vs_previous(logs: LazyFrame, now: NaiveDateTime) -> Result<LazyFrame> {
    let day_ago = lit(hours_before(now, 24)?);
    let two_days_ago = lit(hours_before(now, 48)?);
    let last = || col("last_24h");
    let previous = || col("previous_24h");
    Ok(logs
        .with_column(time().alias("t"))
        .filter(col("t").gt_eq(two_days_ago))
        .group_by([col("host")])
        .agg([
            col("t").gt_eq(day_ago.clone()).sum().alias("last_24h"),
            col("t").lt(day_ago).sum().alias("previous_24h"),
        ])
        // A host with no requests the day before has no change to speak of
        // (null, as SQL gives), rather than an infinite one. Counts are
        // unsigned: subtract them as signed integers.
        .with_column(
            when(previous().gt(lit(0)))
                .then((last().cast(DataType::Int64) - previous()) * lit(100.0) / previous())
                .otherwise(lit(NULL))
                .alias("change_pct"),
        )
        .sort_by_exprs([last(), col("host")], order([true, false])))
}

/// The three most requested uris of each host.
fn top3_uris_per_host(logs: LazyFrame) -> Result<LazyFrame> {
    let rank = int_range(lit(1), len() + lit(1), 1, DataType::Int64).over([col("host")])?;
    Ok(logs
        .group_by([col("host"), col("uri")])
        .agg([len().alias("requests")])
        .sort_by_exprs([col("requests"), col("uri")], order([true, false]))
        .with_column(rank.alias("rank"))
        .filter(col("rank").lt_eq(lit(3)))
        .sort(["host", "rank"], SortMultipleOptions::default()))
}

/// p95 latency per host over the last 24 hours, slowest first.
fn p95_last_24h(logs: LazyFrame, now: NaiveDateTime) -> Result<LazyFrame> {
    Ok(logs
        .filter(time().gt_eq(lit(hours_before(now, 24)?)))
        .group_by([col("host")])
        .agg([
            len().alias("requests"),
            col("latency")
                .quantile(lit(0.95), QuantileMethod::Linear)
                .alias("p95"),
        ])
        .sort_by_exprs([col("p95"), col("host")], order([true, false])))
}

// The harness.

fn bench(args: &Args) -> Result<()> {
    let path = args.data.display();
    let source = PlRefPath::try_from_path(&args.data)
        .with_context(|| format!("not a usable path: {path}"))?;
    let logs = LazyFrame::scan_parquet(source, ScanArgsParquet::default())
        .with_context(|| format!("scanning {path}"))?;
    if args.explain {
        let plan = args.query.build(logs, args.now)?.explain(true);
        println!("{}", plan.context("optimising the query")?);
        return Ok(());
    }
    let (report, mut frame) = timing::measure("polars-rs", args.runs, || {
        let query = args.query.build(logs.clone(), args.now)?;
        let result = query
            .collect_with_engine(Engine::Streaming)
            .with_context(|| format!("running the query over {path}"))?;
        // A query without sinks yields a single frame.
        Ok(result.unwrap_single())
    })?;
    if let Some(out) = &args.print_csv {
        let file = File::create(out).with_context(|| format!("creating {}", out.display()))?;
        CsvWriter::new(file)
            .finish(&mut frame)
            .with_context(|| format!("writing {}", out.display()))?;
    }
    println!("{}", report.to_json()?);
    Ok(())
}

fn main() -> ExitCode {
    timing::exit("polars_rs_bench", bench(&Args::parse()))
}
