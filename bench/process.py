"""Whole-process benchmark: ``infraql`` against the DuckDB CLI, as scripts run them.

    python bench/process.py --parquet bench/data/logs_10m.parquet [--runs 5] [--only 18,19]
    python bench/process.py --parquet bench/data/logs_10m.parquet --session
    python bench/process.py --capped 'bench/data/logs_100m/*.parquet' --cap 4GB [--cap-with cgroup]

Every question of ``workload.ALL_QUERIES`` (the 17 of bench.py and the
whole-process ones) is asked three ways:

1. **One process per question** (default): ``infraql --table logs=FILE -e
   QUERY --format csv`` against ``duckdb -csv -c "…; SQL"`` over a view on
   ``read_parquet(FILE)``. Both answers are checked against each other
   first (as bench.py compares them). Then ``--runs`` rounds, the two
   engines' order alternating from question to question and round to round,
   after a warm-up round; the median wall time and the median peak resident
   memory (the child's ``ru_maxrss``) per question.
2. **One session** (``--session``): all questions one after another in one
   process over a table loaded once: infraql runs a script whose first line
   is ``.cache load logs`` (the table read into memory); DuckDB runs
   ``CREATE TABLE logs AS SELECT * FROM read_parquet(FILE)`` then the SQL.
   The load alone is timed in a process of its own and reported apart; the
   session's question time is the session's time less that.
3. **Larger than memory** (``--capped GLOB --cap SIZE [--cap-with
   as|cgroup]``): each question once over a glob of files, infraql under
   ``prlimit --as=SIZE`` (an address-space cap stops DuckDB's own allocator
   from starting, so DuckDB runs uncapped with ``SET memory_limit`` at three
   quarters of SIZE), or both engines in a memory control group of SIZE.
   What each printed on failure, its exit code, time and peak memory, and
   whether the two answers agree where both answered. Exit 1 when an
   answer differs or infraql ended other than with 0 or 1 (killed).

Writes ``bench/results/process_<rows>.md``/``.json``,
``bench/results/session_<rows>.md``/``.json`` or
``bench/results/capped_<as|cgroup>_<rows>.md``/``.json``. Exits 1 when an
answer differs or an engine failed (in the capped run: see 3.).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import bench
import workload

NOW = workload.NOW.isoformat()
OUT = bench.BENCH / "out" / "process"


@dataclass
class Run:
    """What one process did."""

    ms: float
    rss_mb: float
    code: int
    stderr: str


def measure(command: list[str], stdout: Path, stdin: Path | None = None) -> Run:
    """Runs ``command`` to completion: wall time and its peak RSS.

    The peak comes from GNU time's ``%M``: a Python child's own ``ru_maxrss``
    would count the interpreter's memory it had before ``exec``.
    """
    with open(stdout, "wb") as out, tempfile.TemporaryFile() as err, tempfile.NamedTemporaryFile() as peak:
        source = open(stdin, "rb") if stdin else subprocess.DEVNULL
        start = time.perf_counter()
        process = subprocess.run(
            ["/usr/bin/time", "-f", "%M", "-o", peak.name, "--"] + command,
            stdin=source,
            stdout=out,
            stderr=err,
            cwd=bench.ROOT,
            check=False,
        )
        elapsed = (time.perf_counter() - start) * 1e3
        if stdin:
            source.close()
        err.seek(0)
        text = err.read().decode(errors="replace")
        lines = Path(peak.name).read_text().split()
    kib = next((int(word) for word in reversed(lines) if word.isdigit()), 0)
    return Run(elapsed, kib / 1024, process.returncode, text)


def iql_text(query: workload.Query) -> str:
    return query.iql_path.read_text()


def infraql_command(data: str, text: str) -> list[str]:
    return [str(bench.INFRAQL), "--table", f"logs={data}", "--now", NOW, "--format", "csv", "-e", text]


def duckdb_setup(data: str, memory_limit: str | None = None) -> str:
    setup = "SET TimeZone = 'UTC'; "
    if memory_limit:
        setup += f"SET memory_limit = '{memory_limit}'; "
    return setup + f"CREATE VIEW logs AS SELECT * FROM read_parquet('{data}'); "


def duckdb_command(setup: str, sql: str) -> list[str]:
    return [str(bench.duckdb_binary()), "-csv", "-c", setup + " ".join(sql.split())]


def commands(query: workload.Query, data: str) -> dict[str, list[str]]:
    return {
        "infraql": infraql_command(data, iql_text(query)),
        "duckdb": duckdb_command(duckdb_setup(data), query.sql),
    }


def check_answers(queries: list[workload.Query], data: str) -> bool:
    """Runs each question once on both engines; True when all answers agree."""
    print(f"== answers over {data}")
    agree = True
    for query in queries:
        answers = {}
        for engine, command in commands(query, data).items():
            out = OUT / engine / f"{query.id}.csv"
            out.parent.mkdir(parents=True, exist_ok=True)
            run = measure(command, out)
            if run.code != 0:
                print(f"{query.id}: {engine} FAILED (exit {run.code})\n{bench.indent(run.stderr)}")
                agree = False
                continue
            answers[engine] = bench.read_answer(out)
        if len(answers) == 2:
            problem = bench.compare(answers["duckdb"], answers["infraql"])
            if problem:
                print(f"{query.id}: infraql differs from duckdb\n{bench.indent(problem)}")
                agree = False
            else:
                print(f"{query.id}: same answer")
    return agree


def time_processes(queries: list[workload.Query], data: str, runs: int) -> list[dict]:
    """One process per question and engine, alternating; medians."""
    print(f"== one process per question ({runs} runs after a warm-up, alternating)")
    entries = []
    scratch = OUT / "timing.csv"
    scratch.parent.mkdir(parents=True, exist_ok=True)
    for index, query in enumerate(queries):
        per_engine = commands(query, data)
        samples: dict[str, list[Run]] = {engine: [] for engine in per_engine}
        for round_ in range(runs + 1):
            order = list(per_engine)
            if (index + round_) % 2:
                order.reverse()
            for engine in order:
                run = measure(per_engine[engine], scratch)
                if run.code != 0:
                    raise bench.EngineError(f"{query.id} on {engine}:\n{run.stderr}")
                if round_ > 0:
                    samples[engine].append(run)
        entry = {"id": query.id, "title": query.title}
        for engine, taken in samples.items():
            entry[engine] = {
                "median_ms": statistics.median(r.ms for r in taken),
                "rss_mb": statistics.median(r.rss_mb for r in taken),
                "runs_ms": [round(r.ms, 1) for r in taken],
            }
        print(
            f"{query.id}: infraql {entry['infraql']['median_ms']:.0f} ms "
            f"{entry['infraql']['rss_mb']:.0f} MB, duckdb {entry['duckdb']['median_ms']:.0f} ms "
            f"{entry['duckdb']['rss_mb']:.0f} MB"
        )
        entries.append(entry)
    return entries


def time_session(queries: list[workload.Query], data: str, runs: int) -> dict:
    """All questions in one process over a table loaded once, per engine."""
    print(f"== one session of {len(queries)} questions ({runs} runs after a warm-up)")
    OUT.mkdir(parents=True, exist_ok=True)
    load_iql = ".cache load logs\n"
    session_iql = load_iql + "".join(iql_text(q).rstrip() + "\n" for q in queries)
    load_sql = f"SET TimeZone = 'UTC'; CREATE TABLE logs AS SELECT * FROM read_parquet('{data}');\n"
    session_sql = load_sql + "".join(" ".join(q.sql.split()) + ";\n" for q in queries)
    scripts = {}
    for name, text in {
        "infraql_load": load_iql,
        "infraql_session": session_iql,
        "duckdb_load": load_sql,
        "duckdb_session": session_sql,
    }.items():
        scripts[name] = OUT / f"{name}.{'iql' if name.startswith('infraql') else 'sql'}"
        scripts[name].write_text(text)
    infraql = [str(bench.INFRAQL), "--table", f"logs={data}", "--now", NOW, "--format", "csv"]
    command = {
        "infraql_load": (infraql + ["-f", str(scripts["infraql_load"])], None),
        "infraql_session": (infraql + ["-f", str(scripts["infraql_session"])], None),
        "duckdb_load": ([str(bench.duckdb_binary()), "-csv"], scripts["duckdb_load"]),
        "duckdb_session": ([str(bench.duckdb_binary()), "-csv"], scripts["duckdb_session"]),
    }
    samples: dict[str, list[Run]] = {name: [] for name in command}
    for round_ in range(runs + 1):
        order = list(command) if round_ % 2 == 0 else list(reversed(command))
        for name in order:
            args, stdin = command[name]
            run = measure(args, OUT / f"{name}.out", stdin)
            if run.code != 0:
                raise bench.EngineError(f"{name}:\n{run.stderr}")
            if round_ > 0:
                samples[name].append(run)
    result = {}
    for engine in ("infraql", "duckdb"):
        load = statistics.median(r.ms for r in samples[f"{engine}_load"])
        session = statistics.median(r.ms for r in samples[f"{engine}_session"])
        result[engine] = {
            "load_ms": load,
            "session_ms": session,
            "questions_ms": session - load,
            "rss_mb": statistics.median(r.rss_mb for r in samples[f"{engine}_session"]),
        }
        print(
            f"{engine}: load {load:.0f} ms, session {session:.0f} ms, "
            f"questions {session - load:.0f} ms, {result[engine]['rss_mb']:.0f} MB"
        )
    return result


def parse_size(text: str) -> int:
    units = {"GB": 10**9, "MB": 10**6, "GIB": 2**30, "MIB": 2**20}
    for unit, scale in units.items():
        if text.upper().endswith(unit):
            return int(float(text[: -len(unit)]) * scale)
    return int(text)


CGROUP_NAME = "infraql_bench"


def cgroup_prefix(limit: int) -> list[str]:
    """A command prefix that runs the rest inside a memory control group of
    ``limit`` bytes (made here; needs root): v2 ``memory.max`` where the
    unified hierarchy has the memory controller, else v1's
    ``memory.limit_in_bytes`` (and the swap limit, so nothing is swapped)."""
    v2 = Path("/sys/fs/cgroup")
    v1 = Path("/sys/fs/cgroup/memory")
    if (v2 / "cgroup.controllers").exists() and "memory" in (v2 / "cgroup.controllers").read_text():
        group = v2 / CGROUP_NAME
        group.mkdir(exist_ok=True)
        (group / "memory.max").write_text(str(limit))
        swap = group / "memory.swap.max"
        if swap.exists():
            swap.write_text("0")
    elif v1.is_dir():
        group = v1 / CGROUP_NAME
        group.mkdir(exist_ok=True)
        (group / "memory.limit_in_bytes").write_text(str(limit))
        swap = group / "memory.memsw.limit_in_bytes"
        if swap.exists():
            try:
                swap.write_text(str(limit))
            except OSError:
                pass
    else:
        raise SystemExit("no memory control group hierarchy under /sys/fs/cgroup")
    return ["sh", "-c", f'echo $$ > {group}/cgroup.procs && exec "$@"', "sh"]


def failure_line(stderr: str, code: int) -> str:
    """What a failed run said: its ``error:`` line, or how it ended."""
    if code < 0 or code == 137:
        return "killed (signal 9: the kernel's out-of-memory killer)"
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    said = next((line for line in lines if line.startswith("error")), lines[-1] if lines else "")
    return said[:300]


def time_capped(queries: list[workload.Query], data: str, cap: str, mode: str) -> list[dict]:
    """Each question once over a large glob under a memory cap: infraql under
    ``prlimit --as`` (mode ``as``) or both engines in a control group
    (mode ``cgroup``); DuckDB also told ``memory_limit`` at 3/4 of the cap."""
    limit = parse_size(cap)
    if mode == "as":
        print(f"== {data} with infraql under prlimit --as={limit}")
        prefix = {"infraql": ["prlimit", f"--as={limit}", "--"], "duckdb": []}
    else:
        print(f"== {data} with both engines in a control group of {limit} bytes")
        group = cgroup_prefix(limit)
        prefix = {"infraql": group, "duckdb": group}
    entries = []
    duck_limit = f"{limit * 3 // 4 // 10**6}MB"
    for query in queries:
        entry = {"id": query.id, "title": query.title}
        runs = {
            "infraql": prefix["infraql"] + infraql_command(data, iql_text(query)),
            "duckdb": prefix["duckdb"] + duckdb_command(duckdb_setup(data, duck_limit), query.sql),
        }
        for engine, command in runs.items():
            out = OUT / "capped" / engine / f"{query.id}.csv"
            out.parent.mkdir(parents=True, exist_ok=True)
            run = measure(command, out)
            entry[engine] = {
                "ms": run.ms,
                "rss_mb": run.rss_mb,
                "exit": run.code,
                "message": failure_line(run.stderr, run.code) if run.code != 0 else "",
            }
        if entry["infraql"]["exit"] == 0 and entry["duckdb"]["exit"] == 0:
            problem = bench.compare(
                bench.read_answer(OUT / "capped" / "duckdb" / f"{query.id}.csv"),
                bench.read_answer(OUT / "capped" / "infraql" / f"{query.id}.csv"),
            )
            entry["answer"] = "differs: " + problem.splitlines()[0] if problem else "same"
        else:
            entry["answer"] = "-"
        print(
            f"{query.id}: infraql {entry['infraql']['ms']:.0f} ms {entry['infraql']['rss_mb']:.0f} MB "
            f"exit {entry['infraql']['exit']} {entry['infraql']['message'][:80]!r}; "
            f"duckdb {entry['duckdb']['ms']:.0f} ms {entry['duckdb']['rss_mb']:.0f} MB exit {entry['duckdb']['exit']}; "
            f"answers {entry['answer']}"
        )
        entries.append(entry)
    return entries


def rows_of(data: str) -> int:
    process = subprocess.run(
        [str(bench.duckdb_binary()), "-csv", "-noheader", "-c", f"SELECT count(*) FROM read_parquet('{data}')"],
        capture_output=True,
        text=True,
        check=True,
    )
    return int(process.stdout.strip())


def process_markdown(result: dict) -> str:
    lines = [
        f"### One process per question, {result['rows']:,} rows",
        "",
        f"Median of {result['runs']} runs after a warm-up, whole process, in ms; peak resident memory "
        f"(median) in MB; {bench.environment_line(result['environment'])}",
        "",
        "| query | infraql -e ms | duckdb -c ms | infraql/duckdb | infraql MB | duckdb MB | memory ratio |",
        "|---|--:|--:|--:|--:|--:|--:|",
    ]
    total = {"infraql": 0.0, "duckdb": 0.0}
    for entry in result["queries"]:
        i, d = entry["infraql"], entry["duckdb"]
        total["infraql"] += i["median_ms"]
        total["duckdb"] += d["median_ms"]
        lines.append(
            f"| {entry['id'][:2]} {entry['title']} | {i['median_ms']:.0f} | {d['median_ms']:.0f} "
            f"| {bench.ratio(i['median_ms'], d['median_ms'])} | {i['rss_mb']:.0f} | {d['rss_mb']:.0f} "
            f"| {bench.ratio(i['rss_mb'], d['rss_mb'])} |"
        )
    lines.append(
        f"| **total** | **{total['infraql']:.0f}** | **{total['duckdb']:.0f}** "
        f"| **{bench.ratio(total['infraql'], total['duckdb'])}** | | | |"
    )
    over_time = [e["id"][:2] for e in result["queries"] if e["infraql"]["median_ms"] > 1.5 * e["duckdb"]["median_ms"]]
    over_memory = [e["id"][:2] for e in result["queries"] if e["infraql"]["rss_mb"] > 1.5 * e["duckdb"]["rss_mb"]]
    lines += [
        "",
        f"- above 1.5× DuckDB's time: {', '.join(over_time) or 'none'};",
        f"- above 1.5× DuckDB's peak memory: {', '.join(over_memory) or 'none'}.",
    ]
    return "\n".join(lines) + "\n"


def session_markdown(result: dict) -> str:
    i, d = result["session"]["infraql"], result["session"]["duckdb"]
    return "\n".join(
        [
            f"### One session of {result['questions']} questions, {result['rows']:,} rows",
            "",
            f"Median of {result['runs']} runs after a warm-up, in ms; {bench.environment_line(result['environment'])}",
            "",
            "| | load | questions | session | peak MB |",
            "|---|--:|--:|--:|--:|",
            f"| infraql (`.cache load logs`, then the questions) | {i['load_ms']:.0f} | {i['questions_ms']:.0f} | {i['session_ms']:.0f} | {i['rss_mb']:.0f} |",
            f"| DuckDB CLI (`CREATE TABLE logs AS …`, then the SQL) | {d['load_ms']:.0f} | {d['questions_ms']:.0f} | {d['session_ms']:.0f} | {d['rss_mb']:.0f} |",
            f"| infraql/DuckDB | {bench.ratio(i['load_ms'], d['load_ms'])} | {bench.ratio(i['questions_ms'], d['questions_ms'])} "
            f"| {bench.ratio(i['session_ms'], d['session_ms'])} | {bench.ratio(i['rss_mb'], d['rss_mb'])} |",
        ]
    ) + "\n"


def capped_markdown(result: dict) -> str:
    if result["mode"] == "as":
        how = (
            f"infraql under `prlimit --as={result['cap']}`, DuckDB with "
            f"`SET memory_limit = '{result['duckdb_memory_limit']}'`"
        )
    else:
        how = (
            f"both in a memory control group of {result['cap']} (no swap), DuckDB also with "
            f"`SET memory_limit = '{result['duckdb_memory_limit']}'`"
        )
    lines = [
        f"### {result['rows']:,} rows under a {result['cap']} memory cap ({'address space' if result['mode'] == 'as' else 'control group'})",
        "",
        f"One run each over `{Path(result['data']).parent.name}/{Path(result['data']).name}`; {how}; "
        f"{bench.environment_line(result['environment'])}",
        "",
        "| query | infraql s | infraql MB | infraql exit | duckdb s | duckdb MB | duckdb exit | answers |",
        "|---|--:|--:|--:|--:|--:|--:|---|",
    ]
    for entry in result["queries"]:
        i, d = entry["infraql"], entry["duckdb"]
        lines.append(
            f"| {entry['id'][:2]} {entry['title']} | {i['ms'] / 1e3:.1f} | {i['rss_mb']:.0f} | {i['exit']} "
            f"| {d['ms'] / 1e3:.1f} | {d['rss_mb']:.0f} | {d['exit']} | {entry['answer']} |"
        )
    for engine in ("infraql", "duckdb"):
        failures = [e for e in result["queries"] if e[engine]["exit"] != 0]
        if failures:
            lines += ["", f"What {engine} said where it stopped:", ""]
            lines += [f"- {e['id'][:2]}: `{e[engine]['message']}`" for e in failures]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parquet", help="the Parquet file of the per-process and session runs")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--only", help="comma-separated question numbers (01,18)")
    parser.add_argument("--session", action="store_true", help="time one session instead")
    parser.add_argument("--capped", help="a glob of Parquet files for the capped run")
    parser.add_argument("--cap", default="4GB", help="the memory cap (default 4GB)")
    parser.add_argument(
        "--cap-with",
        choices=("as", "cgroup"),
        default="as",
        help="prlimit --as on infraql (as), or a memory control group around both (cgroup; needs root)",
    )
    args = parser.parse_args()
    # The engines run from the repository root: paths as given, made absolute.
    for name in ("parquet", "capped"):
        if getattr(args, name):
            setattr(args, name, os.path.abspath(getattr(args, name)))
    queries = workload.ALL_QUERIES
    if args.only:
        wanted = set(args.only.split(","))
        queries = [q for q in queries if q.id[:2] in wanted]
    env = bench.environment()
    if args.capped:
        rows = rows_of(args.capped)
        limit = parse_size(args.cap)
        result = {
            "rows": rows,
            "data": args.capped,
            "cap": args.cap,
            "mode": args.cap_with,
            "duckdb_memory_limit": f"{limit * 3 // 4 // 10**6}MB",
            "environment": env,
            "queries": time_capped(queries, args.capped, args.cap, args.cap_with),
        }
        bench.write_result(f"capped_{args.cap_with}_{rows}", result, capped_markdown(result))
        killed = any(e["infraql"]["exit"] not in (0, 1) for e in result["queries"])
        wrong = any(e["answer"].startswith("differs") for e in result["queries"])
        return 1 if killed or wrong else 0
    if not args.parquet:
        parser.error("give --parquet FILE (or --capped GLOB)")
    rows = rows_of(args.parquet)
    if not check_answers(queries, args.parquet):
        print("answers differ or failed: no timings taken", file=sys.stderr)
        return 1
    if args.session:
        result = {
            "rows": rows,
            "runs": args.runs,
            "questions": len(queries),
            "environment": env,
            "session": time_session(queries, args.parquet, args.runs),
        }
        bench.write_result(f"session_{rows}", result, session_markdown(result))
        return 0
    result = {
        "rows": rows,
        "runs": args.runs,
        "environment": env,
        "queries": time_processes(queries, args.parquet, args.runs),
    }
    bench.write_result(f"process_{rows}", result, process_markdown(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
