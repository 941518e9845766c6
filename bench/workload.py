"""The benchmark workload: SRE questions over the gateway access log, three ways.

Each query is answered by infraql (``bench/queries/<id>.iql``), by DuckDB SQL
and by hand-written Polars, each in its engine's plain idiom. The table is
called ``logs`` everywhere. Every result has a defined row order (aggregates,
then a key to break ties), so the three answers can be compared row by row.

``now`` is fixed at 2025-11-24T00:00:00 UTC, the end of the generated logs:
infraql gets it with ``--now``, SQL and Polars as a literal. DuckDB sessions
must run with ``SET TimeZone = 'UTC'`` so that ``to_timestamp`` values are
truncated and printed in UTC.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import polars as pl

QUERIES_DIR = Path(__file__).parent / "queries"

NOW = datetime(2025, 11, 24)
"""What ``now()`` is in every engine: the end of the generated window."""

# Polars: seconds since the epoch (a float) as a datetime.
TIME = pl.from_epoch("timestamp", time_unit="s")


@dataclass(frozen=True)
class Query:
    """One question, answered in each engine's language."""

    id: str
    title: str
    sql: str
    polars: Callable[[pl.LazyFrame], pl.LazyFrame] | None = None
    """None for the questions only the whole-process benchmark asks."""

    @property
    def iql_path(self) -> Path:
        return QUERIES_DIR / f"{self.id}.iql"


def requests_by_status(logs: pl.LazyFrame) -> pl.LazyFrame:
    return (
        logs.group_by("status")
        .agg(requests=pl.len())
        .sort(["requests", "status"], descending=[True, False])
    )


def top_hosts(logs: pl.LazyFrame) -> pl.LazyFrame:
    return (
        logs.group_by("host")
        .agg(requests=pl.len(), ips=pl.col("real_ip").n_unique())
        .sort(["requests", "host"], descending=[True, False])
        .head(10)
    )


def hourly_volume_one_day(logs: pl.LazyFrame) -> pl.LazyFrame:
    return (
        logs.with_columns(t=TIME)
        .filter(
            pl.col("t").is_between(
                datetime(2025, 11, 17), datetime(2025, 11, 18), closed="left"
            )
        )
        .group_by(hour=pl.col("t").dt.truncate("1h"))
        .agg(requests=pl.len())
        .sort("hour")
    )


def top_ips_with_country(logs: pl.LazyFrame) -> pl.LazyFrame:
    return (
        logs.group_by("real_ip", "country")
        .agg(requests=pl.len())
        .sort(["requests", "real_ip"], descending=[True, False])
        .head(10)
    )


def status_classes_per_host(logs: pl.LazyFrame) -> pl.LazyFrame:
    status = pl.col("status")

    def pct(condition: pl.Expr) -> pl.Expr:
        return condition.sum() * 100.0 / pl.len()

    return (
        logs.group_by("host")
        .agg(
            requests=pl.len(),
            pct_2xx=pct(status.is_between(200, 299)),
            pct_3xx=pct(status.is_between(300, 399)),
            pct_4xx=pct(status.is_between(400, 499)),
            pct_5xx=pct(status >= 500),
        )
        .sort(["requests", "host"], descending=[True, False])
    )


def top_404_uris(logs: pl.LazyFrame) -> pl.LazyFrame:
    return (
        logs.filter(pl.col("status") == 404)
        .group_by("host", "uri")
        .agg(requests=pl.len(), ips=pl.col("real_ip").n_unique())
        .sort(["requests", "host", "uri"], descending=[True, False, False])
        .head(10)
    )


def rate_limited_per_hour(logs: pl.LazyFrame) -> pl.LazyFrame:
    return (
        logs.filter(pl.col("status") == 429)
        .group_by(hour=TIME.dt.truncate("1h"))
        .agg(requests=pl.len())
        .sort("hour")
    )


def rate_limited_user_agents(logs: pl.LazyFrame) -> pl.LazyFrame:
    return (
        logs.group_by("user_agent")
        .agg(requests=pl.len(), limited=(pl.col("status") == 429).sum())
        .with_columns(limited_pct=pl.col("limited") * 100.0 / pl.col("requests"))
        .sort(["limited", "user_agent"], descending=[True, False])
        .head(10)
    )


def latency_percentiles_per_host(logs: pl.LazyFrame) -> pl.LazyFrame:
    latency = pl.col("latency")
    return (
        logs.group_by("host")
        .agg(
            requests=pl.len(),
            p50=latency.median(),
            p95=latency.quantile(0.95, interpolation="linear"),
            p99=latency.quantile(0.99, interpolation="linear"),
            max_ms=latency.max(),
        )
        .sort(["requests", "host"], descending=[True, False])
    )


def slowest_uris(logs: pl.LazyFrame) -> pl.LazyFrame:
    latency = pl.col("latency")
    return (
        logs.group_by("host", "uri")
        .agg(
            requests=pl.len(),
            avg_ms=latency.mean(),
            p95=latency.quantile(0.95, interpolation="linear"),
        )
        .filter(pl.col("requests") > 100)
        .sort(["avg_ms", "host", "uri"], descending=[True, False, False])
        .head(10)
    )


def method_share(logs: pl.LazyFrame) -> pl.LazyFrame:
    return (
        logs.group_by("method")
        .agg(requests=pl.len())
        .with_columns(share_pct=pl.col("requests") * 100.0 / pl.col("requests").sum())
        .sort(["requests", "method"], descending=[True, False])
    )


def api_key_share(logs: pl.LazyFrame) -> pl.LazyFrame:
    api_key = pl.col("api_key")
    client = (
        pl.when(api_key == "")
        .then(pl.lit("anonymous"))
        .when(api_key.str.ends_with(".ecosyste.ms"))
        .then(pl.lit("internal"))
        .otherwise(pl.lit("api key"))
    )
    return (
        logs.group_by(client=client)
        .agg(requests=pl.len(), ips=pl.col("real_ip").n_unique())
        .with_columns(share_pct=pl.col("requests") * 100.0 / pl.col("requests").sum())
        .sort(["requests", "client"], descending=[True, False])
    )


def ip_request_buckets(logs: pl.LazyFrame) -> pl.LazyFrame:
    n = pl.col("n")
    bucket = (
        pl.when(n == 1)
        .then(pl.lit("1"))
        .when(n <= 10)
        .then(pl.lit("2-10"))
        .when(n <= 100)
        .then(pl.lit("11-100"))
        .when(n <= 1000)
        .then(pl.lit("101-1000"))
        .when(n <= 10000)
        .then(pl.lit("1001-10000"))
        .otherwise(pl.lit(">10000"))
    )
    return (
        logs.group_by("real_ip")
        .agg(n=pl.len())
        .group_by(bucket=bucket)
        .agg(ips=pl.len(), requests=n.sum(), smallest=n.min())
        .with_columns(share_pct=pl.col("requests") * 100.0 / pl.col("requests").sum())
        .sort("smallest")
        .select("bucket", "ips", "requests", "share_pct")
    )


def top10_ip_share(logs: pl.LazyFrame) -> pl.LazyFrame:
    return (
        logs.group_by("real_ip")
        .agg(n=pl.len())
        .with_columns(share=pl.col("n") * 100.0 / pl.col("n").sum())
        .sort(["n", "real_ip"], descending=[True, False])
        .head(10)
        .select(requests=pl.col("n").sum(), share_pct=pl.col("share").sum())
    )


def last_24h_vs_previous(logs: pl.LazyFrame) -> pl.LazyFrame:
    day_ago = NOW - timedelta(hours=24)
    t = pl.col("t")
    last, previous = pl.col("last_24h"), pl.col("previous_24h")
    return (
        logs.with_columns(t=TIME)
        .filter(t >= NOW - timedelta(hours=48))
        .group_by("host")
        .agg(last_24h=(t >= day_ago).sum(), previous_24h=(t < day_ago).sum())
        # A host with no requests the day before has no change to speak of
        # (null, as SQL gives), rather than an infinite one.
        # Counts are unsigned in Polars: subtract them as signed integers.
        .with_columns(
            change_pct=pl.when(previous > 0).then(
                (last.cast(pl.Int64) - previous) * 100.0 / previous
            )
        )
        .sort(["last_24h", "host"], descending=[True, False])
    )


def top3_uris_per_host(logs: pl.LazyFrame) -> pl.LazyFrame:
    return (
        logs.group_by("host", "uri")
        .agg(requests=pl.len())
        .sort(["requests", "uri"], descending=[True, False])
        .with_columns(rank=pl.int_range(1, pl.len() + 1).over("host"))
        .filter(pl.col("rank") <= 3)
        .sort("host", "rank")
    )


def p95_last_24h(logs: pl.LazyFrame) -> pl.LazyFrame:
    return (
        logs.filter(TIME >= NOW - timedelta(hours=24))
        .group_by("host")
        .agg(
            requests=pl.len(),
            p95=pl.col("latency").quantile(0.95, interpolation="linear"),
        )
        .sort(["p95", "host"], descending=[True, False])
    )


QUERIES: list[Query] = [
    Query(
        "01_requests_by_status",
        "Requests by status",
        """
        SELECT status, count(*) AS requests
        FROM logs
        GROUP BY status
        ORDER BY requests DESC, status
        """,
        requests_by_status,
    ),
    Query(
        "02_top_hosts",
        "Top 10 hosts",
        """
        SELECT host, count(*) AS requests, count(DISTINCT real_ip) AS ips
        FROM logs
        GROUP BY host
        ORDER BY requests DESC, host
        LIMIT 10
        """,
        top_hosts,
    ),
    Query(
        "03_hourly_volume_one_day",
        "Hourly volume over one day",
        """
        SELECT date_trunc('hour', to_timestamp(timestamp)) AS hour, count(*) AS requests
        FROM logs
        WHERE to_timestamp(timestamp) >= TIMESTAMPTZ '2025-11-17 00:00:00+00'
          AND to_timestamp(timestamp) < TIMESTAMPTZ '2025-11-18 00:00:00+00'
        GROUP BY hour
        ORDER BY hour
        """,
        hourly_volume_one_day,
    ),
    Query(
        "04_top_ips_with_country",
        "Top 10 IPs with country",
        """
        SELECT real_ip, country, count(*) AS requests
        FROM logs
        GROUP BY real_ip, country
        ORDER BY requests DESC, real_ip
        LIMIT 10
        """,
        top_ips_with_country,
    ),
    Query(
        "05_status_classes_per_host",
        "Status-class percentages per host",
        """
        SELECT host,
               count(*) AS requests,
               count(*) FILTER (WHERE status BETWEEN 200 AND 299) * 100.0 / count(*) AS pct_2xx,
               count(*) FILTER (WHERE status BETWEEN 300 AND 399) * 100.0 / count(*) AS pct_3xx,
               count(*) FILTER (WHERE status BETWEEN 400 AND 499) * 100.0 / count(*) AS pct_4xx,
               count(*) FILTER (WHERE status >= 500) * 100.0 / count(*) AS pct_5xx
        FROM logs
        GROUP BY host
        ORDER BY requests DESC, host
        """,
        status_classes_per_host,
    ),
    Query(
        "06_top_404_uris",
        "Top 10 missing (host, uri) with unique IPs",
        """
        SELECT host, uri, count(*) AS requests, count(DISTINCT real_ip) AS ips
        FROM logs
        WHERE status = 404
        GROUP BY host, uri
        ORDER BY requests DESC, host, uri
        LIMIT 10
        """,
        top_404_uris,
    ),
    Query(
        "07_rate_limited_per_hour",
        "429s per hour",
        """
        SELECT date_trunc('hour', to_timestamp(timestamp)) AS hour, count(*) AS requests
        FROM logs
        WHERE status = 429
        GROUP BY hour
        ORDER BY hour
        """,
        rate_limited_per_hour,
    ),
    Query(
        "08_rate_limited_user_agents",
        "User agents with the most 429s",
        """
        SELECT user_agent,
               count(*) AS requests,
               count(*) FILTER (WHERE status = 429) AS limited,
               count(*) FILTER (WHERE status = 429) * 100.0 / count(*) AS limited_pct
        FROM logs
        GROUP BY user_agent
        ORDER BY limited DESC, user_agent
        LIMIT 10
        """,
        rate_limited_user_agents,
    ),
    Query(
        "09_latency_percentiles_per_host",
        "p50/p95/p99/max latency per host",
        """
        SELECT host,
               count(*) AS requests,
               median(latency) AS p50,
               quantile_cont(latency, 0.95) AS p95,
               quantile_cont(latency, 0.99) AS p99,
               max(latency) AS max_ms
        FROM logs
        GROUP BY host
        ORDER BY requests DESC, host
        """,
        latency_percentiles_per_host,
    ),
    Query(
        "10_slowest_uris",
        "Slowest (host, uri) with > 100 requests",
        """
        SELECT host, uri,
               count(*) AS requests,
               avg(latency) AS avg_ms,
               quantile_cont(latency, 0.95) AS p95
        FROM logs
        GROUP BY host, uri
        HAVING count(*) > 100
        ORDER BY avg_ms DESC, host, uri
        LIMIT 10
        """,
        slowest_uris,
    ),
    Query(
        "11_method_share",
        "Method share of total",
        """
        SELECT method,
               count(*) AS requests,
               count(*) * 100.0 / sum(count(*)) OVER () AS share_pct
        FROM logs
        GROUP BY method
        ORDER BY requests DESC, method
        """,
        method_share,
    ),
    Query(
        "12_api_key_share",
        "API key vs anonymous share",
        """
        SELECT CASE
                   WHEN api_key = '' THEN 'anonymous'
                   WHEN ends_with(api_key, '.ecosyste.ms') THEN 'internal'
                   ELSE 'api key'
               END AS client,
               count(*) AS requests,
               count(DISTINCT real_ip) AS ips,
               count(*) * 100.0 / sum(count(*)) OVER () AS share_pct
        FROM logs
        GROUP BY client
        ORDER BY requests DESC, client
        """,
        api_key_share,
    ),
    Query(
        "13_ip_request_buckets",
        "IPs bucketed by request count",
        """
        WITH per_ip AS (
            SELECT real_ip, count(*) AS n FROM logs GROUP BY real_ip
        )
        SELECT CASE
                   WHEN n = 1 THEN '1'
                   WHEN n <= 10 THEN '2-10'
                   WHEN n <= 100 THEN '11-100'
                   WHEN n <= 1000 THEN '101-1000'
                   WHEN n <= 10000 THEN '1001-10000'
                   ELSE '>10000'
               END AS bucket,
               count(*) AS ips,
               sum(n) AS requests,
               sum(n) * 100.0 / sum(sum(n)) OVER () AS share_pct
        FROM per_ip
        GROUP BY bucket
        ORDER BY min(n)
        """,
        ip_request_buckets,
    ),
    Query(
        "14_top10_ip_share",
        "Top-10-IP share of traffic",
        """
        WITH per_ip AS (
            SELECT real_ip, count(*) AS n FROM logs GROUP BY real_ip
        )
        SELECT sum(n) AS requests, sum(share) AS share_pct
        FROM (
            SELECT n, n * 100.0 / sum(n) OVER () AS share
            FROM per_ip
            ORDER BY n DESC, real_ip
            LIMIT 10
        )
        """,
        top10_ip_share,
    ),
    Query(
        "15_last_24h_vs_previous",
        "Last 24h vs previous 24h per host",
        """
        SELECT host,
               count(*) FILTER (WHERE t >= TIMESTAMPTZ '2025-11-24 00:00:00+00' - INTERVAL 24 HOUR)
                   AS last_24h,
               count(*) FILTER (WHERE t < TIMESTAMPTZ '2025-11-24 00:00:00+00' - INTERVAL 24 HOUR)
                   AS previous_24h,
               (last_24h - previous_24h) * 100.0 / nullif(previous_24h, 0) AS change_pct
        FROM (SELECT host, to_timestamp(timestamp) AS t FROM logs)
        WHERE t >= TIMESTAMPTZ '2025-11-24 00:00:00+00' - INTERVAL 48 HOUR
        GROUP BY host
        ORDER BY last_24h DESC, host
        """,
        last_24h_vs_previous,
    ),
    Query(
        "16_top3_uris_per_host",
        "Top 3 uris per host",
        """
        SELECT host, uri,
               count(*) AS requests,
               row_number() OVER (PARTITION BY host ORDER BY count(*) DESC, uri) AS rank
        FROM logs
        GROUP BY host, uri
        QUALIFY rank <= 3
        ORDER BY host, rank
        """,
        top3_uris_per_host,
    ),
    Query(
        "17_p95_last_24h",
        "p95 latency per host over the last 24h",
        """
        SELECT host, count(*) AS requests, quantile_cont(latency, 0.95) AS p95
        FROM logs
        WHERE to_timestamp(timestamp) >= TIMESTAMPTZ '2025-11-24 00:00:00+00' - INTERVAL 24 HOUR
        GROUP BY host
        ORDER BY p95 DESC, host
        """,
        p95_last_24h,
    ),
]


LAST_24H = "to_timestamp(timestamp) >= TIMESTAMPTZ '2025-11-24 00:00:00+00' - INTERVAL 24 HOUR"

PROCESS_QUERIES: list[Query] = [
    Query(
        "18_count_last_24h",
        "Requests in the last 24h",
        f"SELECT count(*) AS count FROM logs WHERE {LAST_24H}",
    ),
    Query(
        "19_hourly_last_24h",
        "Requests and 5xx per hour over the last 24h",
        f"""
        SELECT date_trunc('hour', to_timestamp(timestamp)) AS hour, count(*) AS requests,
               count(*) FILTER (WHERE status >= 500) AS errors
        FROM logs
        WHERE {LAST_24H}
        GROUP BY hour
        ORDER BY hour
        """,
    ),
    Query(
        "20_status_share_one_host",
        "Status share of one small host",
        """
        SELECT status, count(*) AS requests,
               count(*) * 100.0 / sum(count(*)) OVER () AS share_pct
        FROM logs
        WHERE host = 'awesome.ecosyste.ms'
        GROUP BY status
        ORDER BY requests DESC, status
        """,
    ),
    Query(
        "21_agents_with_404s_last_7d",
        "User agents with at least 100 404s in the last 7 days",
        """
        SELECT user_agent, count(*) AS not_found
        FROM logs
        WHERE to_timestamp(timestamp) >= TIMESTAMPTZ '2025-11-24 00:00:00+00' - INTERVAL 7 DAY
          AND status = 404
        GROUP BY user_agent
        HAVING count(*) >= 100
        ORDER BY not_found DESC, user_agent
        """,
    ),
    Query(
        "22_top_country_method",
        "Top 10 (country, method)",
        """
        SELECT country, method, count(*) AS requests, avg(latency) AS avg_ms
        FROM logs
        GROUP BY country, method
        ORDER BY requests DESC, country, method
        LIMIT 10
        """,
    ),
    Query(
        "23_first_and_last_day",
        "Requests per host on the first and last day (union)",
        """
        SELECT 'first' AS day, host, count(*) AS requests
        FROM logs WHERE timestamp < 1761436800 GROUP BY host
        UNION ALL
        SELECT 'last' AS day, host, count(*) AS requests
        FROM logs WHERE timestamp >= 1763856000 GROUP BY host
        ORDER BY day, requests DESC, host
        """,
    ),
    Query(
        "24_endpoint_latency_buckets",
        "Endpoints bucketed by mean latency (sub-query)",
        """
        SELECT bucket, count(*) AS endpoints, sum(requests) AS requests
        FROM (
            SELECT count(*) AS requests,
                   CASE WHEN avg(latency) < 50 THEN 'a: under 50 ms'
                        WHEN avg(latency) < 200 THEN 'b: 50-200 ms'
                        WHEN avg(latency) < 1000 THEN 'c: 200-1000 ms'
                        ELSE 'd: 1 s and more' END AS bucket
            FROM logs
            GROUP BY host, uri
        )
        GROUP BY bucket
        ORDER BY bucket
        """,
    ),
    Query(
        "25_host_method_status",
        "Top 20 (host, method, status)",
        """
        SELECT host, method, status, count(*) AS requests, avg(latency) AS avg_ms
        FROM logs
        GROUP BY host, method, status
        ORDER BY requests DESC, host, method, status
        LIMIT 20
        """,
    ),
    Query(
        "26_errors_per_day",
        "Requests and server errors per day",
        """
        SELECT date_trunc('day', to_timestamp(timestamp)) AS day, count(*) AS requests,
               count(*) FILTER (WHERE status >= 500) AS errors,
               count(*) FILTER (WHERE status >= 500) * 100.0 / count(*) AS error_pct
        FROM logs
        GROUP BY day
        ORDER BY day
        """,
    ),
]
"""Questions the whole-process benchmark (``process.py``) asks besides
``QUERIES``: those that touch little data, HAVING-style filters, top-N on
several keys, a union of two periods, sub-query buckets, a three-key
group-by. They have no Polars forms."""

ALL_QUERIES: list[Query] = QUERIES + PROCESS_QUERIES


def by_id(query_id: str) -> Query:
    """The query named ``query_id``; a ``KeyError`` lists the known ids."""
    for query in ALL_QUERIES:
        if query.id == query_id:
            return query
    known = ", ".join(q.id for q in ALL_QUERIES)
    raise KeyError(f"no query {query_id!r}; known: {known}")
