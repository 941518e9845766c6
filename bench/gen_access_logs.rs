//! Synthetic APISIX access logs for the benchmark.
//!
//! ```text
//! cargo run --release --example gen_access_logs -- --rows 1000000 --seed 42 --out bench/data/logs_1m
//! ```
//!
//! writes `logs_1m.parquet` (zstd, row groups of 512Ki rows), `logs_1m.csv`
//! (header, comma-separated, strings quoted so that `""` stays an empty
//! string and never reads back as null) and last `logs_1m.meta.json`
//! (`{"rows":…,"seed":…}`), which marks a complete data set. Each file is
//! written as `<file>.partial` and renamed into place.
//!
//! Every value comes from one ChaCha8 stream seeded by `--seed`: the same
//! seed and row count give byte-identical files.
//!
//! Schema (the gateway's): `timestamp` Float64 (unix seconds), `route_id`,
//! `host`, `real_ip`, `country`, `method`, `uri` String, `status` UInt16,
//! `latency`, `upstream_latency` Float32 (ms), `user_agent`, `cache_status`,
//! `api_key`, `from_header` String.
//!
//! How the values are drawn:
//! - `timestamp`: 30 days, 2025-10-25T00:00:00Z to 2025-11-24T00:00:00Z,
//!   with a daily cycle: the density at hour `h` (UTC) is proportional to
//!   `1 + 0.6·cos(2π(h − 15)/24)`, a peak at 15:00 four times the trough at
//!   03:00. Unrounded float seconds (so no row sits exactly on an hour
//!   boundary, where engines could round differently); rows in time order,
//!   as a log is written.
//! - `host`: the 18 services with web traffic ([`SERVICES`]), weighted by
//!   the "Requests (30d)" column of services.md. The column sums to 391.1M
//!   (the report's summary says 473.4M), so packages gets 42.7%, repos
//!   22.1%, issues 15.8%, parser 7.5%, awesome 3.3%, …, home (`ecosyste.ms`)
//!   0.006%. `route_id` is `<service>-api` or `<service>-web`.
//! - `uri`: an endpoint of the host from `datasets/endpoints.csv`, weighted
//!   by its requests (hosts without endpoints there serve `/`), as a path:
//!   `Api::V1::PackagesController#show` becomes
//!   `/api/v1/packages/npm/left-pad-123`, `#index` and `#create` the
//!   collection, `#lookup` `…/lookup?purl=…`, other actions
//!   `…/<id>/<action>`. Ids follow a Zipf law (exponent 1.05) over 200,000
//!   ids, so a few uris are hot and most are rare. 30% of 404s are
//!   vulnerability scans of [`SCANNED_PATHS`].
//! - `real_ip` and the client's fixed attributes (`country`, `user_agent`,
//!   `api_key`, `from_header`): [`HEAVY_CLIENTS`], ten crawlers, scripts
//!   and internal services with fixed shares of 1–4.5% (20.2% together);
//!   internal services call from their server's IP with their domain as
//!   user agent and API key. The other 79.8% of requests spread over a pool
//!   of `rows / 10` IPs, the k-th with weight `(k + 10)^-1.1` (a
//!   Zipf–Mandelbrot power law: the busiest pool IP has about 1%, most send
//!   ten requests or fewer). A pool client draws a country ([`COUNTRIES`]),
//!   a user agent with its `From` header ([`USER_AGENTS`]) and, one time in
//!   sixteen, an API key (16 hex digits); the rest are anonymous (`""`).
//! - `status`: 429 with the client's rate-limit probability (3–30% for
//!   crawlers and scripts, 0.2% for internal services, 0.3% for
//!   the pool: about 3% of all requests, mostly from heavy IPs); otherwise
//!   200 88.5%, 304 4%, 404 3.5%, 301 1.5%, 500 1.2%, 502 0.7%, 503 0.6%.
//! - `method`: `#create` endpoints are POST; otherwise GET 94.5%, HEAD 3%,
//!   POST 1.5%, OPTIONS 0.6%, PUT 0.2%, DELETE 0.2% (GET about 93% overall).
//! - `cache_status`: API routes answering GET or HEAD: HIT 35%, MISS 60%,
//!   BYPASS 5% (a 5xx is never a HIT); other API requests BYPASS; web routes
//!   and 429s `""` (no cache on the route, or rejected before it).
//! - `latency` (ms): lognormal with the host's median ([`SERVICES`], 20–400
//!   ms) and σ = 0.9 (p99 about 8× the median); cache HITs lognormal around
//!   3 ms; 429s 0.2–2 ms (the gateway answers); 502/503 1–60 s (upstream
//!   stalled). `upstream_latency` is 60–98% of `latency`, and 0 when no
//!   upstream was asked (HIT, 429).

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, ensure};
use clap::Parser;
use polars::prelude::{
    Column, CsvWriter, DataFrame, IntoColumn, NamedFrom, ParquetWriter, QuoteStyle, SerWriter,
    Series, StringChunkedBuilder,
};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::weighted::WeightedAliasIndex;
use rand_distr::{Distribution, LogNormal, Zipf};
use serde::Deserialize;

/// Command-line arguments.
#[derive(Parser)]
#[command(about = "Writes a synthetic APISIX access log as Parquet and CSV")]
struct Args {
    /// Number of requests (rows).
    #[arg(long)]
    rows: usize,
    /// Seed of the random stream.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Output path without extension: writes OUT.parquet, OUT.csv and OUT.meta.json.
    #[arg(long)]
    out: PathBuf,
    /// Write only the Parquet file (and the meta file), not the CSV.
    #[arg(long)]
    no_csv: bool,
}

/// 2025-10-25T00:00:00Z in unix seconds: the start of the 30-day window.
const WINDOW_START: f64 = 1_761_350_400.0;
const DAYS: u32 = 30;
const SECONDS_PER_DAY: f64 = 86_400.0;
/// Amplitude of the daily cycle and the UTC hour of its peak.
const DAILY_AMPLITUDE: f64 = 0.6;
const PEAK_HOUR: f64 = 15.0;

/// A service with web traffic, as the gateway sees it.
struct Service {
    /// The service name of `datasets/endpoints.csv`.
    name: &'static str,
    host: &'static str,
    /// "Requests (30d)" in services.md.
    requests_30d: f64,
    /// Median latency of a request that reaches the service, in ms.
    median_latency_ms: f64,
}

const fn service(
    name: &'static str,
    host: &'static str,
    requests_30d: f64,
    median_latency_ms: f64,
) -> Service {
    Service {
        name,
        host,
        requests_30d,
        median_latency_ms,
    }
}

/// The 18 services with web traffic in services.md.
const SERVICES: [Service; 18] = [
    service("packages", "packages.ecosyste.ms", 167.1e6, 120.0),
    service("repos", "repos.ecosyste.ms", 86.4e6, 180.0),
    service("issues", "issues.ecosyste.ms", 61.6e6, 150.0),
    service("parser", "parser.ecosyste.ms", 29.2e6, 60.0),
    service("awesome", "awesome.ecosyste.ms", 13.0e6, 90.0),
    service("commits", "commits.ecosyste.ms", 7.5e6, 140.0),
    service("opencollective", "opencollective.ecosyste.ms", 7.1e6, 250.0),
    service("dependabot", "dependabot.ecosyste.ms", 5.2e6, 200.0),
    service("advisories", "advisories.ecosyste.ms", 5.0e6, 80.0),
    service("docker", "docker.ecosyste.ms", 3.4e6, 110.0),
    service("ost", "ost.ecosyste.ms", 1.9e6, 130.0),
    service("archives", "archives.ecosyste.ms", 1.7e6, 400.0),
    service("papers", "papers.ecosyste.ms", 1.0e6, 100.0),
    service("timeline", "timeline.ecosyste.ms", 0.7e6, 350.0),
    service("diff", "diff.ecosyste.ms", 0.2e6, 300.0),
    service("licenses", "licenses.ecosyste.ms", 44e3, 40.0),
    service("funds", "funds.ecosyste.ms", 29e3, 70.0),
    service("home", "ecosyste.ms", 24e3, 20.0),
];

/// A client sending a fixed share of all requests.
struct HeavyClient {
    share: f64,
    ip: &'static str,
    country: &'static str,
    user_agent: &'static str,
    api_key: &'static str,
    from_header: &'static str,
    /// Probability that a request is refused with 429.
    rate_limited: f64,
}

const fn heavy(
    share: f64,
    ip: &'static str,
    country: &'static str,
    user_agent: &'static str,
    api_key: &'static str,
    from_header: &'static str,
    rate_limited: f64,
) -> HeavyClient {
    HeavyClient {
        share,
        ip,
        country,
        user_agent,
        api_key,
        from_header,
        rate_limited,
    }
}

/// Crawlers, scripts and internal services (from their server's IP, with
/// their domain as user agent and API key).
const HEAVY_CLIENTS: [HeavyClient; 10] = [
    heavy(
        0.045,
        "20.171.207.14",
        "US",
        "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; +https://openai.com/gptbot)",
        "",
        "",
        0.25,
    ),
    heavy(
        0.035,
        "195.154.87.126",
        "FR",
        "repos.ecosyste.ms",
        "repos.ecosyste.ms",
        "",
        0.002,
    ),
    heavy(
        0.025,
        "110.249.201.7",
        "CN",
        "Mozilla/5.0 (Linux; Android 5.0) AppleWebKit/537.36 (KHTML, like Gecko) Mobile Safari/537.36 (compatible; Bytespider; spider-feedback@bytedance.com)",
        "",
        "",
        0.30,
    ),
    heavy(
        0.02,
        "51.15.23.142",
        "FR",
        "packages.ecosyste.ms",
        "packages.ecosyste.ms",
        "",
        0.002,
    ),
    heavy(
        0.02,
        "34.94.112.66",
        "US",
        "python-requests/2.32.3",
        "",
        "",
        0.20,
    ),
    heavy(
        0.015,
        "66.249.66.1",
        "US",
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "",
        "googlebot(at)googlebot.com",
        0.03,
    ),
    heavy(
        0.012,
        "18.208.4.77",
        "US",
        "Go-http-client/1.1",
        "",
        "",
        0.15,
    ),
    heavy(
        0.01,
        "51.159.56.73",
        "FR",
        "issues.ecosyste.ms",
        "issues.ecosyste.ms",
        "",
        0.002,
    ),
    heavy(
        0.01,
        "54.36.148.92",
        "FR",
        "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)",
        "",
        "",
        0.15,
    ),
    heavy(0.01, "3.12.45.6", "US", "curl/8.5.0", "", "", 0.12),
];

/// Rate-limit probability of a pool client.
const POOL_RATE_LIMITED: f64 = 0.003;
/// Pool weights are `(rank + POOL_OFFSET)^-POOL_EXPONENT`.
const POOL_OFFSET: f64 = 10.0;
const POOL_EXPONENT: f64 = 1.1;
/// One pool IP per this many rows.
const ROWS_PER_POOL_IP: usize = 10;
/// One pool client in this many has an API key.
const API_KEY_ONE_IN: u32 = 16;

/// Countries of pool clients with their weights.
const COUNTRIES: [(&str, f64); 20] = [
    ("US", 24.0),
    ("DE", 8.0),
    ("CN", 7.0),
    ("GB", 6.0),
    ("FR", 6.0),
    ("IN", 5.0),
    ("JP", 4.0),
    ("NL", 4.0),
    ("BR", 3.0),
    ("CA", 3.0),
    ("RU", 3.0),
    ("KR", 2.0),
    ("SG", 2.0),
    ("AU", 2.0),
    ("PL", 2.0),
    ("ES", 2.0),
    ("IT", 2.0),
    ("SE", 1.5),
    ("CH", 1.0),
    ("", 3.0),
];

/// User agents of pool clients with their `From` header and weight.
const USER_AGENTS: [(&str, &str, f64); 16] = [
    (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36",
        "",
        24.0,
    ),
    (
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36",
        "",
        14.0,
    ),
    (
        "Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0",
        "",
        8.0,
    ),
    (
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
        "",
        7.0,
    ),
    (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36 Edg/130.0.0.0",
        "",
        5.0,
    ),
    ("python-requests/2.31.0", "", 8.0),
    ("curl/8.7.1", "", 6.0),
    ("Go-http-client/2.0", "", 4.0),
    (
        "node-fetch/1.0 (+https://github.com/bitinn/node-fetch)",
        "",
        3.0,
    ),
    ("python-httpx/0.27.2", "", 2.0),
    ("Ruby", "", 2.0),
    (
        "Renovate/39.19.0 (https://github.com/renovatebot/renovate)",
        "",
        3.0,
    ),
    (
        "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm) Chrome/116.0.1938.76 Safari/537.36",
        "bingbot(at)microsoft.com",
        2.0,
    ),
    (
        "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; ClaudeBot/1.0; +claudebot@anthropic.com)",
        "claudebot@anthropic.com",
        2.0,
    ),
    (
        "Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)",
        "",
        1.0,
    ),
    (
        "Mozilla/5.0 (research crawler; +https://example.org/crawler)",
        "crawler@example.org",
        1.0,
    ),
];

/// Status codes of requests that were not rate limited, with weights.
const STATUSES: [(u16, f64); 7] = [
    (200, 88.5),
    (304, 4.0),
    (404, 3.5),
    (301, 1.5),
    (500, 1.2),
    (502, 0.7),
    (503, 0.6),
];
/// Share of 404s that are vulnerability scans of [`SCANNED_PATHS`].
const SCAN_SHARE_OF_404: f64 = 0.3;
const SCANNED_PATHS: [&str; 6] = [
    "/.env",
    "/wp-login.php",
    "/.git/config",
    "/xmlrpc.php",
    "/admin",
    "/api/v1/packages/undefined",
];

/// Methods of requests to endpoints other than `#create`, with weights.
const METHODS: [(&str, f64); 6] = [
    ("GET", 94.5),
    ("HEAD", 3.0),
    ("POST", 1.5),
    ("OPTIONS", 0.6),
    ("PUT", 0.2),
    ("DELETE", 0.2),
];
/// Cache outcomes of API GET and HEAD requests, with weights.
const CACHE_OUTCOMES: [(&str, f64); 3] = [("HIT", 35.0), ("MISS", 60.0), ("BYPASS", 5.0)];

/// σ of the log of the latency of requests that reach the service.
const LATENCY_SIGMA: f64 = 0.9;
const HIT_MEDIAN_MS: f64 = 3.0;
const HIT_SIGMA: f64 = 0.5;

/// Ids of members (packages, repositories, …) in uris.
const MEMBER_IDS: f64 = 200_000.0;
const MEMBER_ID_EXPONENT: f64 = 1.05;
const ECOSYSTEMS: [&str; 8] = [
    "npm",
    "pypi",
    "rubygems",
    "cargo",
    "maven",
    "go",
    "nuget",
    "packagist",
];
const NAMES: [&str; 16] = [
    "left-pad", "react", "lodash", "requests", "rails", "serde", "tokio", "express", "django",
    "numpy", "chalk", "axios", "flask", "rspec", "guava", "cobra",
];

/// A row of `datasets/endpoints.csv` (the columns used here).
#[derive(Deserialize)]
struct EndpointRecord {
    service: String,
    controller: String,
    action: String,
    api: bool,
    requests: f64,
}

/// What a uri looks like after the endpoint's base path.
enum Shape {
    /// The base path alone (`#index`, `#create`, the home page).
    Collection,
    /// `<base>/<id>` (`#show`).
    Member,
    /// `<base>/lookup?purl=pkg:<id>`.
    Lookup,
    /// `<base>/<id>/<action>`.
    MemberAction(String),
}

/// An endpoint of a service, ready to become uris.
struct Endpoint {
    base: String,
    shape: Shape,
    route_id: String,
    api: bool,
    post_only: bool,
}

impl Endpoint {
    fn from_record(record: &EndpointRecord) -> Endpoint {
        let base = base_path(&record.controller);
        let shape = match record.action.as_str() {
            "index" | "create" => Shape::Collection,
            _ if base == "/" => Shape::Collection,
            "show" => Shape::Member,
            "lookup" => Shape::Lookup,
            action => Shape::MemberAction(action.to_owned()),
        };
        Endpoint {
            base,
            shape,
            route_id: route_id(&record.service, record.api),
            api: record.api,
            post_only: record.action == "create",
        }
    }

    /// The home page, for services without endpoints in the dataset.
    fn home(service: &str) -> Endpoint {
        Endpoint {
            base: "/".to_owned(),
            shape: Shape::Collection,
            route_id: route_id(service, false),
            api: false,
            post_only: false,
        }
    }

    /// Writes the uri for member `id` into `out`.
    fn write_uri(&self, id: usize, out: &mut String) {
        use std::fmt::Write as _;
        out.clear();
        out.push_str(&self.base);
        // Writing into a String cannot fail.
        let _ = match &self.shape {
            Shape::Collection => Ok(()),
            Shape::Member => write!(out, "/{}", MemberId(id)),
            Shape::Lookup => write!(out, "/lookup?purl=pkg:{}", MemberId(id)),
            Shape::MemberAction(action) => write!(out, "/{}/{action}", MemberId(id)),
        };
    }
}

/// A member id as it appears in uris: `npm/left-pad-123`.
struct MemberId(usize);

impl std::fmt::Display for MemberId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n = self.0;
        let ecosystem = ECOSYSTEMS[n % ECOSYSTEMS.len()];
        let name = NAMES[n / ECOSYSTEMS.len() % NAMES.len()];
        write!(f, "{ecosystem}/{name}-{n}")
    }
}

/// `Api::V1::PackageUsagesController` → `/api/v1/package_usages`;
/// `HomeController` → `/`.
fn base_path(controller: &str) -> String {
    let mut path = String::new();
    for segment in controller.split("::") {
        let resource = segment.strip_suffix("Controller").unwrap_or(segment);
        if resource == "Home" {
            continue;
        }
        path.push('/');
        for (i, c) in resource.chars().enumerate() {
            if c.is_ascii_uppercase() && i > 0 {
                path.push('_');
            }
            path.push(c.to_ascii_lowercase());
        }
    }
    if path.is_empty() {
        path.push('/');
    }
    path
}

fn route_id(service: &str, api: bool) -> String {
    format!("{service}-{}", if api { "api" } else { "web" })
}

/// A source of requests with fixed attributes.
struct Client {
    ip: String,
    country: &'static str,
    user_agent: &'static str,
    api_key: String,
    from_header: &'static str,
    rate_limited: f64,
}

/// Who sends requests: the heavy clients and the power-law pool.
struct Clients {
    clients: Vec<Client>,
    pick: WeightedAliasIndex<f64>,
}

impl Clients {
    fn new(pool_size: usize, rng: &mut ChaCha8Rng) -> Result<Clients> {
        let heavy_share: f64 = HEAVY_CLIENTS.iter().map(|c| c.share).sum();
        let pool_weights: Vec<f64> = (1..=pool_size)
            .map(|rank| (rank as f64 + POOL_OFFSET).powf(-POOL_EXPONENT))
            .collect();
        let pool_total: f64 = pool_weights.iter().sum();

        let mut taken: std::collections::HashSet<String> =
            HEAVY_CLIENTS.iter().map(|c| c.ip.to_owned()).collect();
        let mut clients: Vec<Client> = HEAVY_CLIENTS
            .iter()
            .map(|c| Client {
                ip: c.ip.to_owned(),
                country: c.country,
                user_agent: c.user_agent,
                api_key: c.api_key.to_owned(),
                from_header: c.from_header,
                rate_limited: c.rate_limited,
            })
            .collect();
        let mut weights: Vec<f64> = HEAVY_CLIENTS.iter().map(|c| c.share).collect();

        let country = weighted(&COUNTRIES)?;
        let user_agent = WeightedAliasIndex::new(USER_AGENTS.iter().map(|u| u.2).collect())?;
        for weight in pool_weights {
            let ip = loop {
                let ip = public_ip(rng);
                if taken.insert(ip.clone()) {
                    break ip;
                }
            };
            let (agent, from_header, _) = USER_AGENTS[user_agent.sample(rng)];
            let api_key = if rng.random_ratio(1, API_KEY_ONE_IN) {
                format!("{:016x}", rng.random::<u64>())
            } else {
                String::new()
            };
            clients.push(Client {
                ip,
                country: COUNTRIES[country.sample(rng)].0,
                user_agent: agent,
                api_key,
                from_header,
                rate_limited: POOL_RATE_LIMITED,
            });
            weights.push(weight / pool_total * (1.0 - heavy_share));
        }
        Ok(Clients {
            clients,
            pick: WeightedAliasIndex::new(weights)?,
        })
    }

    fn sample(&self, rng: &mut ChaCha8Rng) -> &Client {
        &self.clients[self.pick.sample(rng)]
    }
}

/// A random IPv4 address outside the private, loopback, multicast and
/// reserved ranges.
fn public_ip(rng: &mut ChaCha8Rng) -> String {
    loop {
        let [a, b, c, d] = rng.random::<u32>().to_be_bytes();
        let private = a == 10 || (a == 172 && (16..32).contains(&b)) || (a == 192 && b == 168);
        if a == 0 || a == 127 || a >= 224 || private {
            continue;
        }
        return format!("{a}.{b}.{c}.{d}");
    }
}

/// The endpoints of each service (indexed like [`SERVICES`]) with a sampler
/// weighted by their requests.
struct Routes {
    endpoints: Vec<Vec<Endpoint>>,
    pick: Vec<WeightedAliasIndex<f64>>,
}

impl Routes {
    /// Reads the bundled `datasets/endpoints.csv`.
    fn from_dataset() -> Result<Routes> {
        let text = include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/datasets/endpoints.csv"
        ));
        let mut records: Vec<EndpointRecord> = Vec::new();
        for record in csv::Reader::from_reader(text.as_bytes()).deserialize() {
            records.push(record.context("reading datasets/endpoints.csv")?);
        }
        let mut endpoints = Vec::with_capacity(SERVICES.len());
        let mut pick = Vec::with_capacity(SERVICES.len());
        for service in &SERVICES {
            let own: Vec<&EndpointRecord> = records
                .iter()
                .filter(|r| r.service == service.name && r.requests > 0.0)
                .collect();
            if own.is_empty() {
                endpoints.push(vec![Endpoint::home(service.name)]);
                pick.push(WeightedAliasIndex::new(vec![1.0])?);
            } else {
                endpoints.push(own.iter().map(|r| Endpoint::from_record(r)).collect());
                pick.push(WeightedAliasIndex::new(
                    own.iter().map(|r| r.requests).collect(),
                )?);
            }
        }
        Ok(Routes { endpoints, pick })
    }

    fn sample(&self, service: usize, rng: &mut ChaCha8Rng) -> &Endpoint {
        &self.endpoints[service][self.pick[service].sample(rng)]
    }
}

/// Every distribution a row is drawn from.
struct Model {
    clients: Clients,
    routes: Routes,
    service: WeightedAliasIndex<f64>,
    latency: Vec<LogNormal<f64>>,
    hit_latency: LogNormal<f64>,
    status: WeightedAliasIndex<f64>,
    method: WeightedAliasIndex<f64>,
    cache: WeightedAliasIndex<f64>,
    member_id: Zipf<f64>,
}

impl Model {
    fn new(rows: usize, rng: &mut ChaCha8Rng) -> Result<Model> {
        Ok(Model {
            clients: Clients::new((rows / ROWS_PER_POOL_IP).max(1), rng)?,
            routes: Routes::from_dataset()?,
            service: WeightedAliasIndex::new(SERVICES.iter().map(|s| s.requests_30d).collect())?,
            latency: SERVICES
                .iter()
                .map(|s| LogNormal::new(s.median_latency_ms.ln(), LATENCY_SIGMA))
                .collect::<Result<_, _>>()?,
            hit_latency: LogNormal::new(HIT_MEDIAN_MS.ln(), HIT_SIGMA)?,
            status: weighted(&STATUSES)?,
            method: weighted(&METHODS)?,
            cache: weighted(&CACHE_OUTCOMES)?,
            member_id: Zipf::new(MEMBER_IDS, MEMBER_ID_EXPONENT)?,
        })
    }
}

/// A sampler of the first items of `pairs`, weighted by the second.
fn weighted<T>(pairs: &[(T, f64)]) -> Result<WeightedAliasIndex<f64>> {
    Ok(WeightedAliasIndex::new(
        pairs.iter().map(|p| p.1).collect(),
    )?)
}

/// A timestamp in the window, following the daily cycle (rejection
/// sampling against the cycle's peak).
fn timestamp(rng: &mut ChaCha8Rng) -> f64 {
    loop {
        let day = rng.random_range(0..DAYS);
        let second = rng.random::<f64>() * SECONDS_PER_DAY;
        let hour = second / 3600.0;
        let density =
            1.0 + DAILY_AMPLITUDE * (std::f64::consts::TAU * (hour - PEAK_HOUR) / 24.0).cos();
        if rng.random::<f64>() * (1.0 + DAILY_AMPLITUDE) < density {
            return WINDOW_START + f64::from(day) * SECONDS_PER_DAY + second;
        }
    }
}

/// Draws `rows` requests.
fn generate(rows: usize, seed: u64) -> Result<DataFrame> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let model = Model::new(rows, &mut rng)?;

    let mut timestamps: Vec<f64> = (0..rows).map(|_| timestamp(&mut rng)).collect();
    timestamps.sort_unstable_by(f64::total_cmp);

    let strings = |name: &str| StringChunkedBuilder::new(name.into(), rows);
    let (mut route_id, mut host, mut real_ip, mut country) = (
        strings("route_id"),
        strings("host"),
        strings("real_ip"),
        strings("country"),
    );
    let (mut method, mut uri, mut user_agent) =
        (strings("method"), strings("uri"), strings("user_agent"));
    let (mut cache_status, mut api_key, mut from_header) = (
        strings("cache_status"),
        strings("api_key"),
        strings("from_header"),
    );
    let mut status = Vec::with_capacity(rows);
    let mut latency = Vec::with_capacity(rows);
    let mut upstream_latency = Vec::with_capacity(rows);
    let mut path = String::new();

    for _ in 0..rows {
        let client = model.clients.sample(&mut rng);
        let service = model.service.sample(&mut rng);
        let endpoint = model.routes.sample(service, &mut rng);
        let code = if rng.random_bool(client.rate_limited) {
            429
        } else {
            STATUSES[model.status.sample(&mut rng)].0
        };
        let verb = if endpoint.post_only {
            "POST"
        } else {
            METHODS[model.method.sample(&mut rng)].0
        };
        let cache = match (code, endpoint.api, verb) {
            (429, _, _) | (_, false, _) => "",
            (_, true, "GET" | "HEAD") => match CACHE_OUTCOMES[model.cache.sample(&mut rng)].0 {
                "HIT" if code >= 500 => "MISS",
                outcome => outcome,
            },
            _ => "BYPASS",
        };
        let (total_ms, upstream_ms) = match (code, cache) {
            (429, _) => (rng.random_range(0.2..2.0), 0.0),
            (_, "HIT") => (model.hit_latency.sample(&mut rng), 0.0),
            (502 | 503, _) => {
                let total = rng.random_range(1_000.0..60_000.0);
                (total, total * rng.random_range(0.6..0.98))
            }
            _ => {
                let total = model.latency[service].sample(&mut rng);
                (total, total * rng.random_range(0.6..0.98))
            }
        };
        if code == 404 && rng.random_bool(SCAN_SHARE_OF_404) {
            path.clear();
            path.push_str(SCANNED_PATHS[rng.random_range(0..SCANNED_PATHS.len())]);
        } else {
            endpoint.write_uri(model.member_id.sample(&mut rng) as usize, &mut path);
        }

        route_id.append_value(&endpoint.route_id);
        host.append_value(SERVICES[service].host);
        real_ip.append_value(&client.ip);
        country.append_value(client.country);
        method.append_value(verb);
        uri.append_value(&path);
        status.push(code);
        latency.push(total_ms as f32);
        upstream_latency.push(upstream_ms as f32);
        user_agent.append_value(client.user_agent);
        cache_status.append_value(cache);
        api_key.append_value(&client.api_key);
        from_header.append_value(client.from_header);
    }

    let columns: Vec<Column> = vec![
        Series::new("timestamp".into(), timestamps).into_column(),
        route_id.finish().into_column(),
        host.finish().into_column(),
        real_ip.finish().into_column(),
        country.finish().into_column(),
        method.finish().into_column(),
        uri.finish().into_column(),
        Series::new("status".into(), status).into_column(),
        Series::new("latency".into(), latency).into_column(),
        Series::new("upstream_latency".into(), upstream_latency).into_column(),
        user_agent.finish().into_column(),
        cache_status.finish().into_column(),
        api_key.finish().into_column(),
        from_header.finish().into_column(),
    ];
    Ok(DataFrame::new(rows, columns)?)
}

/// Writes `path` through `<path>.partial`, renamed into place once `write`
/// succeeded, so that an interrupted run leaves no truncated data set.
fn write_atomically(
    path: &Path,
    write: impl FnOnce(&mut BufWriter<File>) -> Result<()>,
) -> Result<()> {
    let mut partial = path.as_os_str().to_owned();
    partial.push(".partial");
    let partial = PathBuf::from(partial);
    let result = File::create(&partial)
        .map_err(anyhow::Error::from)
        .and_then(|file| {
            let mut out = BufWriter::new(file);
            write(&mut out)?;
            out.into_inner()?.sync_all()?;
            Ok(std::fs::rename(&partial, path)?)
        })
        .with_context(|| format!("writing {}", path.display()));
    if result.is_err() {
        // Best effort: the error above is what matters.
        let _ = std::fs::remove_file(&partial);
    }
    result
}

fn main() -> Result<()> {
    let args = Args::parse();
    ensure!(args.rows > 0, "--rows must be at least 1");
    if let Some(dir) = args.out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let with_extension = |extension: &str| {
        let mut path = args.out.clone().into_os_string();
        path.push(extension);
        PathBuf::from(path)
    };

    let mut frame = generate(args.rows, args.seed)?;
    write_atomically(&with_extension(".parquet"), |out| {
        ParquetWriter::new(out).finish(&mut frame)?;
        Ok(())
    })?;
    if !args.no_csv {
        write_atomically(&with_extension(".csv"), |out| {
            CsvWriter::new(out)
                .include_header(true)
                .with_quote_style(QuoteStyle::NonNumeric)
                .finish(&mut frame)?;
            Ok(())
        })?;
    }
    write_atomically(&with_extension(".meta.json"), |out| {
        writeln!(out, r#"{{"rows":{},"seed":{}}}"#, args.rows, args.seed)?;
        Ok(())
    })?;
    Ok(())
}
