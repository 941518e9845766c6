"""Benchmark driver: checks the answers, times the workload, writes the reports.

bench/run.sh calls it after building infraql and generating the data:

    python bench/bench.py --dataset bench/data/logs_1m [--dataset bench/data/logs_10m] [--runs 5]
    python bench/bench.py --update-readme

A dataset is the path prefix the generator wrote (``PREFIX.parquet``,
``PREFIX.csv``, ``PREFIX.meta.json``). The steps:

1. Answers, on the smallest dataset: every query runs on infraql, Rust
   Polars (polars-rs), Python Polars and DuckDB over the Parquet file, and on
   infraql over the CSV file; each result must equal DuckDB's (column names,
   row order, values; floats within a relative 1e-6). A mismatch prints the
   differing rows and stops the run.
2. Timings, on every dataset: each query on each engine in a process of its
   own (infraql: the ``infraql_bench`` example; polars-rs: the
   ``polars_rs_bench`` example; Polars and DuckDB: ``engine_worker.py``), a
   warm-up then the median of ``--runs`` runs, with the engines' order
   rotated from query to query.
3. One-shot: whole-process time of ``infraql -e QUERY`` on the bundled data
   against ``duckdb -c SQL`` over the same CSV files.
4. Reports: ``bench/results/<rows>.md`` and ``.json``,
   ``bench/results/one_shot.md`` and ``.json``, and the Results section of
   ``bench/README.md``, rebuilt from every results file present
   (``--update-readme`` does only this).

Exits with 1 when an answer differs or an engine failed (after writing what
was measured).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path

import duckdb
import duckdb_cli
import polars as pl

import workload

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
RESULTS = BENCH / "results"
ANSWERS = BENCH / "out" / "answers"
README = BENCH / "README.md"
INFRAQL = ROOT / "target" / "release" / "infraql"
INFRAQL_BENCH = ROOT / "target" / "release" / "examples" / "infraql_bench"
POLARS_RS_BENCH = ROOT / "target" / "release" / "examples" / "polars_rs_bench"

ENGINES = ("infraql", "polars-rs", "polars", "duckdb")
# The ratios the tables show, numerator over denominator: the language's own
# cost on the same engine, the Rust crate's engine against Python Polars',
# and infraql against each hand-written Python or SQL form.
RATIOS = (
    ("infraql", "polars-rs"),
    ("polars-rs", "polars"),
    ("infraql", "polars"),
    ("infraql", "duckdb"),
)
REFERENCE = "duckdb"
RELATIVE_TOLERANCE = 1e-6
ONE_SHOT_RUNS = 15
RESULTS_START = "<!-- results:start (written by bench.py --update-readme) -->"
RESULTS_END = "<!-- results:end -->"

ONE_SHOT_CASES = [
    (
        "top 5 services",
        "services | top 5 by requests_30d | select service, requests_30d, uptime_pct",
        (
            "SELECT service, requests_30d, uptime_pct FROM read_csv_auto('datasets/services.csv') "
            "ORDER BY requests_30d DESC LIMIT 5"
        ),
    ),
    (
        "endpoints per service",
        "endpoints | group service agg endpoints = count(), requests = sum(requests) | sort requests desc",
        (
            "SELECT service, count(*) AS endpoints, sum(requests) AS requests "
            "FROM read_csv_auto('datasets/endpoints.csv') GROUP BY service ORDER BY requests DESC"
        ),
    ),
    (
        "services join servers",
        (
            "services | join servers on server_ip == ip "
            "| group ip, size agg services = count(), requests = sum(requests_30d) "
            "| sort requests desc | take 5"
        ),
        (
            "SELECT ip, size, count(*) AS services, sum(requests_30d) AS requests "
            "FROM read_csv_auto('datasets/services.csv') s "
            "JOIN read_csv_auto('datasets/servers.csv') v ON s.server_ip = v.ip "
            "GROUP BY ip, size ORDER BY requests DESC LIMIT 5"
        ),
    ),
]


class EngineError(Exception):
    """An engine process failed; the message holds its command and stderr."""


@dataclass(frozen=True)
class Dataset:
    """The files the generator wrote under one prefix."""

    prefix: Path
    rows: int
    seed: int

    @classmethod
    def load(cls, prefix: Path) -> Dataset:
        meta = json.loads(prefix.with_name(prefix.name + ".meta.json").read_text())
        return cls(prefix, meta["rows"], meta["seed"])

    @property
    def parquet(self) -> Path:
        return self.prefix.with_name(self.prefix.name + ".parquet")

    @property
    def csv(self) -> Path:
        return self.prefix.with_name(self.prefix.name + ".csv")


def duckdb_binary() -> Path:
    """The DuckDB CLI binary of the duckdb-cli package.

    Not the ``duckdb`` script on PATH: that is a Python wrapper whose start-up
    would be counted against DuckDB.
    """
    return Path(duckdb_cli.__file__).parent / "duckdb"


def worker_command(
    engine: str, query: workload.Query, data: Path, runs: int, out: Path | None
) -> list[str]:
    """The command line timing ``query`` on ``engine`` over ``data``."""
    if engine == "infraql":
        command = [
            str(INFRAQL_BENCH),
            "--table",
            f"logs={data}",
            "--now",
            workload.NOW.isoformat(),
        ]
        command += ["--runs", str(runs), "--query-file", str(query.iql_path)]
        return command + (["--print-csv", str(out)] if out else [])
    if engine == "polars-rs":
        command = [str(POLARS_RS_BENCH), "--data", str(data), "--query", query.id]
        command += ["--now", workload.NOW.isoformat(), "--runs", str(runs)]
        return command + (["--print-csv", str(out)] if out else [])
    command = [sys.executable, str(BENCH / "engine_worker.py"), "--engine", engine]
    command += ["--query", query.id, "--data", str(data), "--runs", str(runs)]
    return command + (["--out", str(out)] if out else [])


def run_worker(command: list[str]) -> dict:
    """Runs a timing process and returns the JSON line it printed."""
    process = subprocess.run(command, check=False, capture_output=True, text=True)
    if process.returncode != 0:
        raise EngineError(
            f"`{' '.join(command)}` exited with {process.returncode}:\n{process.stderr.rstrip()}"
        )
    return json.loads(process.stdout.strip().splitlines()[-1])


# Answers


def read_answer(path: Path) -> pl.DataFrame:
    """A result CSV in comparable form: lower-case names, numbers as Float64,
    datetimes as UTC text, strings with null read as "" (CSV cannot tell them apart)."""
    frame = pl.read_csv(path, try_parse_dates=True, infer_schema_length=None)
    columns = []
    for name, dtype in frame.schema.items():
        column = pl.col(name)
        if isinstance(dtype, pl.Datetime):
            if dtype.time_zone is not None:
                column = column.dt.convert_time_zone("UTC").dt.replace_time_zone(None)
            column = column.dt.strftime("%Y-%m-%dT%H:%M:%S%.6f")
        elif dtype.is_numeric():
            column = column.cast(pl.Float64)
        else:
            column = column.cast(pl.String).fill_null("")
        columns.append(column.alias(name.lower()))
    return frame.select(columns)


def same_values(expected: pl.Series, actual: pl.Series) -> pl.Series:
    """Per row, whether two columns agree: floats within the tolerance
    (NaN equals NaN), anything else as equal text; null equals null."""
    a, b = pl.col("a"), pl.col("b")
    if expected.dtype == actual.dtype == pl.Float64:
        close = (a - b).abs() <= RELATIVE_TOLERANCE * pl.max_horizontal(
            a.abs(), b.abs()
        )
        same = (a == b) | close | (a.is_nan() & b.is_nan())
    else:
        same = a.cast(pl.String) == b.cast(pl.String)
    agree = same.fill_null(False) | (a.is_null() & b.is_null())
    return pl.DataFrame({"a": expected, "b": actual}).select(agree).to_series()


def compare(expected: pl.DataFrame, actual: pl.DataFrame) -> str | None:
    """None when the tables agree, else what differs."""
    if expected.columns != actual.columns:
        return f"columns differ: expected {expected.columns}, got {actual.columns}"
    if expected.height != actual.height:
        return f"expected {expected.height} rows, got {actual.height}\nexpected:\n{expected}\ngot:\n{actual}"
    agree = pl.Series([True] * expected.height)
    for name in expected.columns:
        agree &= same_values(expected[name], actual[name])
    if agree.all():
        return None
    rows = (~agree).arg_true().head(5).to_list()
    shown = "\n".join(
        f"  row {i}:\n    expected {expected.row(i, named=True)}\n    got      {actual.row(i, named=True)}"
        for i in rows
    )
    return f"{(~agree).sum()} of {expected.height} rows differ, first ones:\n{shown}"


def check_answers(dataset: Dataset) -> tuple[bool, bool]:
    """Runs every query everywhere on ``dataset`` and compares with DuckDB.

    Returns whether the answers that could be computed agree, and whether
    every engine could answer every query.
    """
    variants = [(engine, engine, dataset.parquet) for engine in ENGINES]
    variants.append(("infraql-csv", "infraql", dataset.csv))
    agree = complete = True
    print(f"== answers on {dataset.rows:,} rows (reference: {REFERENCE})")
    for query in workload.QUERIES:
        answers: dict[str, pl.DataFrame] = {}
        for label, engine, data in variants:
            out = ANSWERS / label / f"{query.id}.csv"
            out.parent.mkdir(parents=True, exist_ok=True)
            try:
                run_worker(worker_command(engine, query, data, runs=1, out=out))
                answers[label] = read_answer(out)
            except EngineError as error:
                complete = False
                print(f"{query.id}: {label} FAILED\n{indent(str(error))}")
        if REFERENCE not in answers:
            continue
        for label, answer in answers.items():
            if label == REFERENCE:
                continue
            difference = compare(answers[REFERENCE], answer)
            if difference:
                agree = False
                print(
                    f"{query.id}: {label} differs from {REFERENCE}\n{indent(difference)}"
                )
        if set(answers) == {label for label, _, _ in variants}:
            print(f"{query.id}: all agree ({answers[REFERENCE].height} rows)")
    return agree, complete


def indent(text: str) -> str:
    return "\n".join("    " + line for line in text.splitlines())


# Timings


def time_workload(dataset: Dataset, runs: int) -> list[dict]:
    """Times every query on every engine over the dataset's Parquet file."""
    print(f"== timings on {dataset.rows:,} rows ({runs} runs after a warm-up)")
    entries = []
    for position, query in enumerate(workload.QUERIES):
        shift = position % len(ENGINES)
        order = ENGINES[shift:] + ENGINES[:shift]
        entry: dict = {"id": query.id, "title": query.title, "order": list(order)}
        for engine in order:
            try:
                entry[engine] = run_worker(
                    worker_command(engine, query, dataset.parquet, runs, out=None)
                )
            except EngineError as error:
                entry[engine] = {"error": str(error)}
                print(f"{query.id}: {engine} FAILED\n{indent(str(error))}")
        print(
            f"{query.id}: " + ", ".join(f"{e} {format_ms(entry[e])}" for e in ENGINES)
        )
        entries.append(entry)
    return entries


def format_ms(timing: dict) -> str:
    return "failed" if "error" in timing else f"{timing['median_ms']:.1f} ms"


def time_one_shot(runs: int) -> list[dict]:
    """Whole-process times of ``infraql -e`` and ``duckdb -c`` on the bundled data."""
    print(f"== one-shot processes ({runs} runs each, alternating)")
    cli = duckdb_binary()
    cases = []
    for name, iql, sql in ONE_SHOT_CASES:
        commands = {
            "infraql": [str(INFRAQL), "-e", iql],
            "duckdb": [str(cli), "-c", sql],
        }
        times: dict[str, list[float]] = {engine: [] for engine in commands}
        for run in range(runs + 1):
            order = list(commands) if run % 2 == 0 else list(reversed(commands))
            for engine in order:
                start = time.perf_counter()
                process = subprocess.run(
                    commands[engine],
                    check=False,
                    cwd=ROOT,
                    capture_output=True,
                    text=True,
                )
                elapsed = (time.perf_counter() - start) * 1e3
                if process.returncode != 0:
                    raise EngineError(
                        f"`{' '.join(commands[engine])}` failed:\n{process.stderr.rstrip()}"
                    )
                if run > 0:  # the first round warms the page cache
                    times[engine].append(elapsed)
        case = {"name": name, "infraql": iql, "sql": sql}
        case |= {
            f"{engine}_ms": statistics.median(runs_ms)
            for engine, runs_ms in times.items()
        }
        print(
            f"{name}: infraql {case['infraql_ms']:.1f} ms, duckdb {case['duckdb_ms']:.1f} ms"
        )
        cases.append(case)
    return cases


# Reports


def command_output(command: list[str]) -> str:
    try:
        return subprocess.run(
            command, cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def environment() -> dict:
    """The machine, tool versions and commit a measurement was taken with."""
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "unknown",
    )
    mem_kib = int(Path("/proc/meminfo").read_text().split()[1])
    commit = command_output(["git", "rev-parse", "--short", "HEAD"])
    if command_output(["git", "status", "--porcelain"]):
        commit += " (with uncommitted changes)"
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "ram_gib": round(mem_kib / 1024**2, 1),
        "os": f"{platform.system()} {platform.release()}",
        "commit": commit,
        "rustc": command_output(["rustc", "--version"]),
        "infraql": command_output([str(INFRAQL), "--version"]),
        "polars_crate": locked_version("polars"),
        "polars": pl.__version__,
        "polars_engine": os.environ.get(
            "POLARS_ENGINE_AFFINITY", "auto (streaming in Polars 2)"
        ),
        "duckdb": duckdb.__version__,
        "duckdb_cli": command_output([str(duckdb_binary()), "--version"]),
        "python": platform.python_version(),
    }


def ratio(numerator: float, denominator: float) -> str:
    return f"{numerator / denominator:.2f}×"


def geometric_mean(ratios: list[float]) -> float:
    return math.exp(statistics.fmean(math.log(r) for r in ratios))


def workload_table(result: dict) -> str:
    """The markdown table of one results file, with totals.

    An engine a results file has no timing for (written before it joined
    the benchmark) shows "–", like a failed one.
    """
    ratio_names = [f"{a}/{b}" for a, b in RATIOS]
    lines = [
        "| query | "
        + " | ".join(
            [f"{e} ms" for e in ENGINES]
            + ratio_names
            + [f"RSS {e} MB" for e in ENGINES]
        )
        + " |",
        "|---|" + "--:|" * (2 * len(ENGINES) + len(RATIOS)),
    ]
    complete: list[dict[str, float]] = []
    for entry in result["queries"]:
        timings = [entry.get(engine, {"error": "not measured"}) for engine in ENGINES]
        ms = [format_ms(t).removesuffix(" ms") for t in timings]
        rss = ["–" if "error" in t else f"{t['peak_rss_mb']:.0f}" for t in timings]
        if any("error" in t for t in timings):
            ratios = ["–"] * len(RATIOS)
        else:
            medians = {e: t["median_ms"] for e, t in zip(ENGINES, timings, strict=True)}
            ratios = [ratio(medians[a], medians[b]) for a, b in RATIOS]
            complete.append(medians)
        number = entry["id"].split("_", 1)[0]
        lines.append(
            f"| {number} {entry['title']} | " + " | ".join(ms + ratios + rss) + " |"
        )
    if complete:
        totals = {e: sum(medians[e] for medians in complete) for e in ENGINES}
        lines.append(
            f"| **total** ({len(complete)} queries all engines ran) | "
            + " | ".join(f"**{totals[e]:.1f}**" for e in ENGINES)
            + " | "
            + " | ".join(f"**{ratio(totals[a], totals[b])}**" for a, b in RATIOS)
            + " |" * (1 + len(ENGINES))
        )

        def within(a: str, b: str) -> int:
            return sum(1 for medians in complete if medians[a] <= 1.2 * medians[b])

        def geomean(a: str, b: str) -> str:
            return f"{geometric_mean([m[a] / m[b] for m in complete]):.2f}×"

        n = len(complete)
        lines += [
            "",
            (
                f"- language cost: infraql within 1.2× of polars-rs on "
                f"{within('infraql', 'polars-rs')} of {n} queries "
                f"(geometric mean of infraql/polars-rs {geomean('infraql', 'polars-rs')});"
            ),
            f"- engine gap: geometric mean of polars-rs/polars {geomean('polars-rs', 'polars')};",
            (
                f"- together: infraql within 1.2× of Polars on {within('infraql', 'polars')} of {n} "
                f"queries (geometric mean of infraql/polars {geomean('infraql', 'polars')}); "
                f"whole workload {ratio(totals['infraql'], totals['duckdb'])} DuckDB's time."
            ),
        ]
    failed = [
        entry["id"]
        for entry in result["queries"]
        if any("error" in entry.get(e, {}) for e in ENGINES)
    ]
    if failed:
        lines += [
            "",
            "Failed (see the run's output for the errors): " + ", ".join(failed) + ".",
        ]
    return "\n".join(lines)


def locked_version(package: str) -> str:
    """The version of the Rust crate ``package`` in Cargo.lock."""
    try:
        lock = tomllib.loads((ROOT / "Cargo.lock").read_text())
    except (OSError, tomllib.TOMLDecodeError):
        return "unknown"
    versions = (p["version"] for p in lock.get("package", []) if p["name"] == package)
    return next(versions, "unknown")


def environment_line(env: dict) -> str:
    # Results written before polars-rs joined the benchmark lack the crate.
    crate = (
        f"Rust polars crate {env['polars_crate']} (streaming engine); "
        if "polars_crate" in env
        else ""
    )
    return (
        f"{env['cpu']}, {env['cores']} cores, {env['ram_gib']} GiB RAM, {env['os']}; "
        f"commit {env['commit']}; {env['rustc']}; {crate}"
        f"Python Polars {env['polars']} (engine {env['polars_engine']}); "
        f"DuckDB {env['duckdb']} (CLI {env['duckdb_cli']}); Python {env['python']}."
    )


def workload_markdown(result: dict) -> str:
    return (
        f"### {result['rows']:,} rows\n\n"
        f"Median of {result['runs']} runs after a warm-up, in ms; {environment_line(result['environment'])}\n\n"
        + workload_table(result)
        + "\n"
    )


def one_shot_markdown(result: dict) -> str:
    lines = [
        "### One-shot process on the bundled data",
        "",
        f"Median of {result['runs']} runs of the whole process, in ms; {environment_line(result['environment'])}",
        "",
        "| question | infraql -e | duckdb -c | infraql/duckdb |",
        "|---|--:|--:|--:|",
    ]
    for case in result["cases"]:
        lines.append(
            f"| {case['name']} | {case['infraql_ms']:.1f} | {case['duckdb_ms']:.1f} "
            f"| {ratio(case['infraql_ms'], case['duckdb_ms'])} |"
        )
    return "\n".join(lines) + "\n"


def write_result(name: str, result: dict, markdown: str) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(result, indent=2) + "\n")
    (RESULTS / f"{name}.md").write_text(markdown)
    print(markdown)


def update_readme() -> None:
    """Rewrites the Results section of bench/README.md from bench/results/*.json."""
    sections = []
    workloads = sorted(
        (
            json.loads(path.read_text())
            for path in RESULTS.glob("*.json")
            if path.stem.isdigit()
        ),
        key=lambda result: result["rows"],
    )
    sections += [workload_markdown(result) for result in workloads]
    if not any(result["rows"] == 10_000_000 for result in workloads):
        sections.append(
            "### 10,000,000 rows\n\nNot measured yet: run `bash bench/run.sh --rows 1000000,10000000` "
            "on a quiet machine.\n"
        )
    one_shot = RESULTS / "one_shot.json"
    if one_shot.exists():
        sections.append(one_shot_markdown(json.loads(one_shot.read_text())))
    text = README.read_text()
    start, end = text.index(RESULTS_START) + len(RESULTS_START), text.index(RESULTS_END)
    README.write_text(text[:start] + "\n\n" + "\n".join(sections) + "\n" + text[end:])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--dataset",
        type=Path,
        action="append",
        default=[],
        help="a generator output prefix",
    )
    parser.add_argument(
        "--runs",
        type=int,
        default=5,
        help="timed runs per query and engine (default 5)",
    )
    parser.add_argument(
        "--update-readme",
        action="store_true",
        help="only rewrite bench/README.md's Results",
    )
    args = parser.parse_args()
    if args.update_readme:
        update_readme()
        return 0
    if not args.dataset:
        parser.error("give at least one --dataset (or --update-readme)")
    if args.runs < 5:
        parser.error("--runs must be at least 5")

    binaries = (INFRAQL, INFRAQL_BENCH, POLARS_RS_BENCH)
    missing = [path for path in binaries if not path.exists()]
    if missing:
        parser.error(f"{', '.join(map(str, missing))} not built: run bash bench/run.sh")
    datasets = sorted(
        (Dataset.load(prefix) for prefix in args.dataset), key=lambda d: d.rows
    )
    agree, complete = check_answers(datasets[0])
    if not agree:
        print("answers differ: no timings taken", file=sys.stderr)
        return 1
    env = environment()
    failed = not complete
    for dataset in datasets:
        entries = time_workload(dataset, args.runs)
        failed |= any(
            "error" in entry[engine] for entry in entries for engine in ENGINES
        )
        result = {
            "rows": dataset.rows,
            "seed": dataset.seed,
            "runs": args.runs,
            "environment": env,
            "queries": entries,
        }
        write_result(str(dataset.rows), result, workload_markdown(result))
    try:
        one_shot = {
            "runs": ONE_SHOT_RUNS,
            "environment": env,
            "cases": time_one_shot(ONE_SHOT_RUNS),
        }
        write_result("one_shot", one_shot, one_shot_markdown(one_shot))
    except EngineError as error:
        print(f"one-shot FAILED\n{indent(str(error))}")
        failed = True
    update_readme()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
