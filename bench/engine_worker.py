"""Times one workload query on Polars or DuckDB, in a process of its own.

    python bench/engine_worker.py --engine duckdb --query 01_requests_by_status \\
        --data bench/data/logs_1m.parquet --runs 5 [--out result.csv]

Opens the Parquet file as the table ``logs`` (Polars: ``scan_parquet``;
DuckDB: a view over ``read_parquet``), runs the query once to warm up and
then ``--runs`` times, and prints one JSON line like ``infraql_bench``:
``{"engine": …, "median_ms": …, "runs_ms": […], "peak_rss_mb": …, "rows": …}``.
A run builds the query and materialises its whole result as a Polars
DataFrame: ``LazyFrame.collect()`` with Polars' default engine, or DuckDB's
``.pl()``. ``--out`` writes the last result as CSV, for the answer check.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import duckdb
import polars as pl

import workload


def polars_runner(query: workload.Query, data: Path) -> Callable[[], pl.DataFrame]:
    """Runs the query with Polars' default engine."""
    logs = pl.scan_parquet(data)
    return lambda: query.polars(logs).collect()


def duckdb_runner(query: workload.Query, data: Path) -> Callable[[], pl.DataFrame]:
    """Runs the query in an in-memory DuckDB database with default settings."""
    connection = duckdb.connect()
    connection.execute("SET TimeZone = 'UTC'")
    literal = "'" + str(data).replace("'", "''") + "'"
    connection.execute(f"CREATE VIEW logs AS SELECT * FROM read_parquet({literal})")
    return lambda: connection.sql(query.sql).pl()


RUNNERS = {"polars": polars_runner, "duckdb": duckdb_runner}


def peak_rss_mb() -> float:
    """This process's peak resident set size in MiB (VmHWM, as infraql_bench)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=sorted(RUNNERS), required=True)
    parser.add_argument("--query", required=True, help="a query id of workload.py")
    parser.add_argument("--data", type=Path, required=True, help="the Parquet file")
    parser.add_argument(
        "--runs", type=int, default=5, help="timed runs after the warm-up"
    )
    parser.add_argument(
        "--out", type=Path, help="write the last result to this CSV file"
    )
    args = parser.parse_args()
    if args.runs < 1:
        parser.error("--runs must be at least 1")

    run = RUNNERS[args.engine](workload.by_id(args.query), args.data)
    result = run()
    runs_ms = []
    for _ in range(args.runs):
        start = time.perf_counter()
        result = run()
        runs_ms.append((time.perf_counter() - start) * 1e3)
    report = {
        "engine": args.engine,
        "median_ms": statistics.median(runs_ms),
        "runs_ms": runs_ms,
        "peak_rss_mb": peak_rss_mb(),
        "rows": result.height,
    }
    if args.out:
        result.write_csv(args.out)
    print(json.dumps(report))


if __name__ == "__main__":
    main()
