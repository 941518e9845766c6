-- The 17 benchmark questions (bench/queries/NN_name.iql) hand-written in
-- ClickHouse SQL, as an operator would type them against the gateway's table
-- apisix_logs.access_logs_v2 (ORDER BY timestamp; timestamp is Float64 unix
-- seconds, the string columns Nullable / LowCardinality(Nullable(String))).
--
-- "now" is 2025-11-24 00:00:00 UTC, the end of the generated logs (infraql
-- gets the same with --now 2025-11-24). The server's time zone is UTC.
--
-- bench/clickhouse.py reads this file: each question starts at a line
-- `-- query: NN_name` and runs until the next such line; the statements have
-- no trailing `;` and no FORMAT clause (the harness asks for ArrowStream).
-- Every result has a defined row order: the aggregate, then a key that breaks
-- its ties, as in the infraql form.

-- query: 01_requests_by_status
SELECT status, count() AS requests
FROM apisix_logs.access_logs_v2
GROUP BY status
ORDER BY requests DESC, status

-- query: 02_top_hosts
SELECT host, count() AS requests, uniqExact(real_ip) AS ips
FROM apisix_logs.access_logs_v2
GROUP BY host
ORDER BY requests DESC, host
LIMIT 10

-- query: 03_hourly_volume_one_day
SELECT toStartOfHour(toDateTime(timestamp)) AS hour, count() AS requests
FROM apisix_logs.access_logs_v2
WHERE toDateTime(timestamp) >= '2025-11-17 00:00:00'
  AND toDateTime(timestamp) < '2025-11-18 00:00:00'
GROUP BY hour
ORDER BY hour

-- query: 04_top_ips_with_country
SELECT real_ip, country, count() AS requests
FROM apisix_logs.access_logs_v2
GROUP BY real_ip, country
ORDER BY requests DESC, real_ip
LIMIT 10

-- query: 05_status_classes_per_host
SELECT host,
       count() AS requests,
       countIf(status >= 200 AND status < 300) * 100.0 / count() AS pct_2xx,
       countIf(status >= 300 AND status < 400) * 100.0 / count() AS pct_3xx,
       countIf(status >= 400 AND status < 500) * 100.0 / count() AS pct_4xx,
       countIf(status >= 500) * 100.0 / count() AS pct_5xx
FROM apisix_logs.access_logs_v2
GROUP BY host
ORDER BY requests DESC, host

-- query: 06_top_404_uris
SELECT host, uri, count() AS requests, uniqExact(real_ip) AS ips
FROM apisix_logs.access_logs_v2
WHERE status = 404
GROUP BY host, uri
ORDER BY requests DESC, host, uri
LIMIT 10

-- query: 07_rate_limited_per_hour
SELECT toStartOfHour(toDateTime(timestamp)) AS hour, count() AS requests
FROM apisix_logs.access_logs_v2
WHERE status = 429
GROUP BY hour
ORDER BY hour

-- query: 08_rate_limited_user_agents
SELECT user_agent,
       count() AS requests,
       countIf(status = 429) AS limited,
       limited * 100.0 / requests AS limited_pct
FROM apisix_logs.access_logs_v2
GROUP BY user_agent
ORDER BY limited DESC, user_agent
LIMIT 10

-- query: 09_latency_percentiles_per_host
SELECT host,
       count() AS requests,
       quantileExactInclusive(0.5)(latency) AS p50,
       quantileExactInclusive(0.95)(latency) AS p95,
       quantileExactInclusive(0.99)(latency) AS p99,
       max(latency) AS max_ms
FROM apisix_logs.access_logs_v2
GROUP BY host
ORDER BY requests DESC, host

-- query: 10_slowest_uris
SELECT host, uri,
       count() AS requests,
       avg(latency) AS avg_ms,
       quantileExactInclusive(0.95)(latency) AS p95
FROM apisix_logs.access_logs_v2
GROUP BY host, uri
HAVING requests > 100
ORDER BY avg_ms DESC, host, uri
LIMIT 10

-- query: 11_method_share
SELECT method,
       count() AS requests,
       requests * 100.0 / sum(requests) OVER () AS share_pct
FROM apisix_logs.access_logs_v2
GROUP BY method
ORDER BY requests DESC, method

-- query: 12_api_key_share
SELECT multiIf(api_key = '', 'anonymous',
               endsWith(api_key, '.ecosyste.ms'), 'internal',
               'api key') AS client,
       count() AS requests,
       uniqExact(real_ip) AS ips,
       requests * 100.0 / sum(requests) OVER () AS share_pct
FROM apisix_logs.access_logs_v2
GROUP BY client
ORDER BY requests DESC, client

-- query: 13_ip_request_buckets
SELECT multiIf(n = 1, '1',
               n <= 10, '2-10',
               n <= 100, '11-100',
               n <= 1000, '101-1000',
               n <= 10000, '1001-10000',
               '>10000') AS bucket,
       count() AS ips,
       sum(n) AS requests,
       requests * 100.0 / sum(requests) OVER () AS share_pct
FROM
(
    SELECT real_ip, count() AS n
    FROM apisix_logs.access_logs_v2
    GROUP BY real_ip
)
GROUP BY bucket
ORDER BY min(n)

-- query: 14_top10_ip_share
SELECT sum(n) AS requests, sum(share) AS share_pct
FROM
(
    SELECT n, n * 100.0 / sum(n) OVER () AS share
    FROM
    (
        SELECT real_ip, count() AS n
        FROM apisix_logs.access_logs_v2
        GROUP BY real_ip
    )
    ORDER BY n DESC, real_ip
    LIMIT 10
)

-- query: 15_last_24h_vs_previous
WITH toDateTime('2025-11-24 00:00:00') - INTERVAL 24 HOUR AS day_ago
SELECT host,
       countIf(toDateTime(timestamp) >= day_ago) AS last_24h,
       countIf(toDateTime(timestamp) < day_ago) AS previous_24h,
       (toInt64(last_24h) - toInt64(previous_24h)) * 100.0 / nullIf(previous_24h, 0) AS change_pct
FROM apisix_logs.access_logs_v2
WHERE toDateTime(timestamp) >= toDateTime('2025-11-24 00:00:00') - INTERVAL 48 HOUR
GROUP BY host
ORDER BY last_24h DESC, host

-- query: 16_top3_uris_per_host
SELECT host, uri,
       count() AS requests,
       row_number() OVER (PARTITION BY host ORDER BY requests DESC, uri) AS rank
FROM apisix_logs.access_logs_v2
GROUP BY host, uri
QUALIFY rank <= 3
ORDER BY host, rank

-- query: 17_p95_last_24h
SELECT host, count() AS requests, quantileExactInclusive(0.95)(latency) AS p95
FROM apisix_logs.access_logs_v2
WHERE toDateTime(timestamp) >= toDateTime('2025-11-24 00:00:00') - INTERVAL 24 HOUR
GROUP BY host
ORDER BY p95 DESC, host
