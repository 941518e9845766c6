#!/usr/bin/env python3
"""Self-check of chdb_server.py: starts it, talks to it with urllib, checks
what the Rust tests rely on.  Run: python3 tests/clickhouse/test_server.py"""

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
BASE = ""
failures = []


def check(name, cond, detail=""):
    print(("ok   " if cond else "FAIL ") + name + ("" if cond else f": {detail}"))
    if not cond:
        failures.append(name)


def request(body=None, method=None, timeout=30, headers=None, **params):
    """(status, headers, body bytes) of one request; params go in the URL."""
    url = BASE + "/?" + urllib.parse.urlencode(params)
    data = body.encode() if isinstance(body, str) else body
    req = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def error_code(headers):
    return int(headers.get("X-ClickHouse-Exception-Code") or 0)


def tsv_escape(s):
    return s.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")


def main():
    tmp = Path(tempfile.mkdtemp(prefix="chdb_test_"))
    try:
        checks(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if failures:
        print(f"{len(failures)} FAILED: {', '.join(failures)}")
        sys.exit(1)
    print("all passed")


def checks(tmp):
    global BASE
    (tmp / "hosts.csv").write_text("host,cpu\nweb-1,0.5\nweb-2,0.75\n")
    (tmp / "init.sql").write_text(
        "CREATE TABLE hosts (host String, cpu Float64) ENGINE = MergeTree ORDER BY host;\n"
        f"INSERT INTO hosts SELECT * FROM file('{tmp}/hosts.csv', CSVWithNames);\n"
        "INSERT INTO hosts VALUES ('db-1', 0.25);\n")

    t0 = time.monotonic()
    proc = subprocess.Popen([sys.executable, str(HERE / "chdb_server.py"), "--password", "secret",
                             "--init", str(tmp / "init.sql")],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    line = proc.stdout.readline().decode()
    startup = time.monotonic() - t0
    check("prints 'listening on 127.0.0.1:PORT'", line.startswith("listening on 127.0.0.1:"), line)
    if not line.startswith("listening on"):
        proc.kill()
        return
    BASE = "http://" + line.split()[-1]
    auth = {"user": "default", "password": "secret"}
    engine_dir = request("SELECT getServerSetting('path')", **auth)[2].decode().strip()
    check("the engine's directory is a temporary one", os.path.basename(engine_dir).startswith("chdb_server_")
          and os.path.isdir(engine_dir), engine_dir)

    # Arrow stream and TSV results.
    st, h, b = request("SELECT host, cpu FROM hosts ORDER BY host FORMAT ArrowStream", **auth)
    check("ArrowStream starts with the 0xFFFFFFFF continuation marker", st == 200 and b[:4] == b"\xff\xff\xff\xff", (st, b[:40]))
    check("ArrowStream headers", h.get("X-ClickHouse-Format") == "ArrowStream"
          and h.get("Content-Type") == "application/octet-stream", dict(h))
    st, h, b = request("SELECT host, cpu FROM hosts ORDER BY host", query_id="q-tsv-1", **auth)
    check("TabSeparated result", st == 200 and b == b"db-1\t0.25\nweb-1\t0.5\nweb-2\t0.75\n", (st, b))
    check("query_id echoed", h.get("X-ClickHouse-Query-Id") == "q-tsv-1", h.get("X-ClickHouse-Query-Id"))
    check("TSV headers", h.get("Content-Type") == "text/tab-separated-values; charset=UTF-8"
          and h.get("X-ClickHouse-Timezone") == "UTC" and h.get("X-ClickHouse-Format") == "TabSeparated", dict(h))
    summary = json.loads(h.get("X-ClickHouse-Summary", "{}"))
    check("X-ClickHouse-Summary", summary.get("read_rows") == "3" and summary.get("result_rows") == "3"
          and int(summary.get("elapsed_ns", "0")) > 0, summary)
    st, h, b = request(None, method="GET", query="SELECT count() FROM hosts", **auth)
    check("GET ?query=", st == 200 and b == b"3\n", (st, b))
    st, h, b = request("FROM hosts", query="SELECT count()", **auth)
    check("?query= then newline then body", st == 200 and b == b"3\n", (st, b))

    # Settings apply to one request only.
    st, _, b1 = request("SELECT getSetting('max_result_rows')", max_result_rows="7", **auth)
    st2, _, b2 = request("SELECT getSetting('max_result_rows')", **auth)
    check("a setting does not leak into the next request", b1 == b"7\n" and b2 == b"0\n", (b1, b2))
    st, h, b = request("SELECT 1", no_such_setting="1", **auth)
    check("unknown setting: 115, 404", st == 404 and error_code(h) == 115 and b"UNKNOWN_SETTING" in b, (st, b))
    st, h, b = request("SELECT number FROM numbers(10)", max_result_rows="3", result_overflow_mode="throw", **auth)
    check("max_result_rows: 396", error_code(h) == 396 and st == 500, (st, b))
    for s in ("output_format_arrow_string_as_string", "cancel_http_readonly_queries_on_client_close",
              "send_progress_in_http_headers", "wait_end_of_query"):
        st, _, b = request("SELECT 1", **{s: "1"}, **auth)
        check(f"{s}=1 accepted", st == 200 and b == b"1\n", (st, b))

    # Errors.
    st, h, b = request("INSERT INTO hosts VALUES ('x', 1)", readonly="2", **auth)
    check("readonly=2 refuses INSERT: 164", error_code(h) == 164 and st == 500
          and b.startswith(b"Code: 164. DB::Exception:") and b"(READONLY)" in b, (st, b))
    st, h, b = request("SELECT count() FROM hosts", **auth)
    check("... and nothing was inserted", b == b"3\n", b)
    st, h, b = request("SELECT 1", user="default", password="wrong")
    check("wrong password: 516, 403", st == 403 and error_code(h) == 516
          and b.startswith(b"Code: 516. DB::Exception: default: Authentication failed") and b"(AUTHENTICATION_FAILED)" in b, (st, b))
    st, h, b = request("SELECT 1", headers={"X-ClickHouse-User": "default", "X-ClickHouse-Key": "secret"})
    check("X-ClickHouse-User/-Key", st == 200 and b == b"1\n", (st, b))
    st, h, b = request("SELECT * FROM no_such_table", **auth)
    check("unknown table: 60, 404", st == 404 and error_code(h) == 60 and b"(UNKNOWN_TABLE)" in b, (st, b))
    st, h, b = request("SELECT * FROM hosts", database="no_such_db", **auth)
    check("unknown database: 81, 404", st == 404 and error_code(h) == 81, (st, b))
    st, h, b = request("SELEC 1", **auth)
    check("syntax error: 62, 400", st == 400 and error_code(h) == 62 and b"(SYNTAX_ERROR)" in b, (st, b))
    st, h, b = request("SELECT 1; SELECT 2", **auth)
    check("multi-statements refused: 62", st == 400 and error_code(h) == 62, (st, b))
    st, h, b = request("SELECT sleepEachRow(0.1) FROM numbers(20)", max_execution_time="0.3", max_block_size="1", **auth)
    check("max_execution_time: 159, 408", st == 408 and error_code(h) == 159, (st, b))

    # Query parameters.
    nasty = "it's \"quoted\", back\\slash \\' tab\there '); DROP TABLE hosts; --"
    st, h, b = request("SELECT {x:String} AS v FORMAT JSONEachRow", param_x=tsv_escape(nasty), **auth)
    got = json.loads(b)["v"] if st == 200 else None
    check("param_x returns the string exactly", got == nasty, (st, b, nasty))
    st, h, b = request("SELECT count() FROM hosts WHERE cpu > {c:Float64}", param_c="0.3", **auth)
    check("param with a type", b == b"2\n" and request("EXISTS TABLE hosts", **auth)[2] == b"1\n", b)

    # Progress headers during a long query.
    st, h, b = request("SELECT sleepEachRow(0.1) FROM numbers(5)", send_progress_in_http_headers="1",
                       max_block_size="1", http_headers_progress_interval_ms="100", **auth)
    progress = h.get_all("X-ClickHouse-Progress") or []
    check("X-ClickHouse-Progress headers", st == 200 and len(progress) >= 2 and "read_rows" in json.loads(progress[-1]),
          (st, progress))

    # Concurrency and KILL QUERY.
    slow = "SELECT sleepEachRow(0.5) FROM numbers(120)"
    box = {}

    def run_slow(qid):
        box[qid] = request(slow, query_id=qid, max_block_size="1", **auth)
        box[qid + ".t"] = time.monotonic()

    threads = [threading.Thread(target=run_slow, args=(q,)) for q in ("slow-1", "slow-2")]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        n = request("SELECT count() FROM system.processes WHERE query_id IN ('slow-1', 'slow-2')", **auth)[2]
        if n == b"2\n":
            break
        time.sleep(0.05)
    check("two slow queries run at once (seen in system.processes)", n == b"2\n", n)
    t_kill = time.monotonic()
    st, h, b = request("KILL QUERY WHERE query_id = 'slow-1' SYNC", **auth)
    check("KILL QUERY answers with the client's query_id", st == 200 and b"slow-1" in b, (st, b))
    threads[0].join(10)
    st, h, b = box.get("slow-1", (0, {}, b""))
    took = box.get("slow-1.t", t_kill + 99) - t_kill
    check("killed query stops within 1 s", took < 1.0, f"{took:.2f} s")
    check("killed client gets 394", error_code(h) == 394 and st == 500 and b"(QUERY_WAS_CANCELLED)" in b, (st, b))
    n = request("SELECT count() FROM system.processes WHERE query_id = 'slow-1'", **auth)[2]
    check("killed query is gone from system.processes", n == b"0\n", n)
    n = request("SELECT count() FROM system.processes WHERE query_id = 'slow-2'", **auth)[2]
    check("the other one still runs", n == b"1\n", n)
    st, h, b = request(slow, query_id="slow-2", **auth)
    check("same query_id while running: 216", error_code(h) == 216, (st, b))
    request("KILL QUERY WHERE query_id = 'slow-2' ASYNC", **auth)
    threads[1].join(10)
    check("ASYNC kill", error_code(box.get("slow-2", (0, {}, b""))[1]) == 394, box.get("slow-2"))

    # The client closes the connection of a readonly query.
    try:
        urllib.request.urlopen(BASE + "/?" + urllib.parse.urlencode(dict(
            query=slow, query_id="gone-1", readonly="1", max_block_size="1",
            cancel_http_readonly_queries_on_client_close="1", **auth)), timeout=0.5)
    except OSError:
        pass  # timed out: urllib closed the socket
    t_close = time.monotonic()
    while time.monotonic() - t_close < 3:
        n = request("SELECT count() FROM system.processes WHERE query_id = 'gone-1'", **auth)[2]
        if n == b"0\n":
            break
        time.sleep(0.05)
    check("client close cancels a readonly query", n == b"0\n", f"{n} after {time.monotonic() - t_close:.2f} s")

    # Round trip of a trivial query.
    n = 50
    t = time.monotonic()
    for _ in range(n):
        request("SELECT 1", **auth)
    round_trip = (time.monotonic() - t) / n

    # Exit on stdin EOF, and the engine's directory is removed.
    t = time.monotonic()
    proc.stdin.close()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
    check("exits on stdin EOF", proc.returncode == 0, proc.returncode)
    check("removes its engine directory", not os.path.exists(engine_dir), engine_dir)
    exit_time = time.monotonic() - t

    # ... and on SIGTERM.
    proc = subprocess.Popen([sys.executable, str(HERE / "chdb_server.py")],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    BASE = "http://" + proc.stdout.readline().decode().split()[-1]
    engine_dir = request("SELECT getServerSetting('path')")[2].decode().strip()
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
    check("exits on SIGTERM and cleans up", proc.returncode == 0 and engine_dir and not os.path.exists(engine_dir),
          (proc.returncode, engine_dir))

    print(f"\nstart-up {startup * 1000:.0f} ms, trivial query round trip {round_trip * 1000:.1f} ms "
          f"(urllib, new connection each), kill {took * 1000:.0f} ms, exit {exit_time * 1000:.0f} ms")


if __name__ == "__main__":
    main()
