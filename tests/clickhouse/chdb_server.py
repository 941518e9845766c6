#!/usr/bin/env python3
"""A stand-in for clickhouse-server's HTTP interface, for tests.

Every statement runs in the real ClickHouse engine that the PyPI package
`chdb` embeds (chdb 4.4, ClickHouse 26.9), so parsing, types, formats,
settings, error codes and error texts are ClickHouse's own.  This file only
does what clickhouse-server's HTTP handler does around the engine.

    python3 tests/clickhouse/chdb_server.py [--port 0] [--user default]
        [--password ''] [--init FILE.sql ...] [--verbose]

It binds 127.0.0.1 (port 0: any free port), runs the --init files (statements
separated by `;` at a line end; relative paths in them, e.g. in file(...), are
relative to the repository root), then prints exactly one line to stdout,
`listening on 127.0.0.1:PORT`.  It exits when its stdin reaches end of file
or on SIGTERM/SIGINT, and then deletes the engine's temporary directory.

What it imitates
  * The query is `?query=` and/or the POST body (joined by a newline, URL
    part first).  URL parameters: database, default_format, query_id (else a
    UUID), user/password, param_NAME (handed to the engine's own query
    parameters, so values are parsed from the escaped form as the server
    does); every other parameter is a setting for that request only.  The
    headers X-ClickHouse-User/-Key/-Database/-Format/-Query-Id and HTTP Basic
    auth are read too; mixing auth schemes is refused as the server does.
  * GET requests run with readonly=2.  Settings are applied with SET on a
    connection of their own (the engine gives each connection its own
    session), so they end with the request and unknown or invalid settings
    fail with the engine's error.
  * Responses carry X-ClickHouse-Query-Id, -Format, -Timezone (UTC),
    -Server-Display-Name, -Exception-Tag, -Summary and a Content-Type by
    format.  Errors carry X-ClickHouse-Exception-Code and the HTTP status of
    clickhouse-server's exceptionCodeToHTTPStatus(); the body is
    `Code: N. DB::Exception: ... (NAME) (version 26.9.x (official build))`.
  * Wrong user or password: code 516 AUTHENTICATION_FAILED, status 403.
  * Multi-statements are refused (code 62); an empty query is code 62.
  * send_progress_in_http_headers=1: status 200 and X-ClickHouse-Progress
    headers are sent while the query runs (every
    http_headers_progress_interval_ms, from the engine's progress callback);
    an error after that comes as X-ClickHouse-Exception-Code plus the
    `__exception__` block that 25.11+ servers put in the body.
  * Concurrent queries (one engine connection per request).  KILL QUERY is
    the engine's own: it cancels a running query, whose client then gets code
    394 QUERY_WAS_CANCELLED.  cancel_http_readonly_queries_on_client_close=1
    with readonly>0 kills the query when the client closes its connection.
    max_execution_time, max_result_rows, result_overflow_mode etc. are the
    engine's.  enable_http_compression=1 with Accept-Encoding gzip/deflate,
    and a gzip/deflate request body, are supported.

What it does not imitate
  * query_id: chdb cannot be given a query id, so the engine runs each query
    under an id of its own.  This server keeps the mapping (it tags each
    query with the setting log_comment, which it therefore overrides): in a
    statement that is a KILL or mentions `processes`, a running request's
    query id, quoted in the SQL or as the whole value of a param_, is
    replaced by the engine's id, and in the text result of such a statement
    the engine's id is replaced back.  So `KILL QUERY WHERE query_id = 'X'`
    and `... FROM system.processes WHERE query_id = 'X'` work; other uses
    (queryID(), a query_id column in a binary format) see the engine's id.
  * Users: there is one user (--user/--password) checked by this server; the
    engine itself always runs as `default` with full rights.  No roles,
    quotas, sessions (session_id), compress=1/decompress=1: these are refused
    with NOT_IMPLEMENTED rather than ignored.
  * The result is produced whole before it is sent (as with
    wait_end_of_query=1), with Content-Length instead of chunked encoding;
    buffer_size and wait_end_of_query are accepted and have no effect.  So,
    unless progress headers were sent, an error never follows a 200.
  * The multi-statement error text is this server's approximation, and the
    version in error texts says "(official build)" as the server's do.
  * The engine is clickhouse-local's: some defaults differ from a server's
    (implicit_select is turned off here) and there is no system.query_log.
"""

import os

os.environ["TZ"] = "UTC"  # the engine reads it when it loads: server timezone UTC

import argparse
import base64
import json
import re
import secrets
import select
import shutil
import signal
import socket
import string
import sys
import tempfile
import threading
import time
import uuid
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import chdb
from chdb import _chdb

REPO_ROOT = Path(__file__).resolve().parents[2]
VERSION = chdb.engine_version  # e.g. 26.9.2.1
VERSION_SUFFIX = f" (version {VERSION} (official build))"
TIMEZONE = "UTC"

# clickhouse-server src/Server/HTTP/exceptionCodeToHTTPStatus.cpp (codes by
# number as this engine's errorCodeToName() names them); anything else: 500.
HTTP_STATUS = {194: 401}  # REQUIRED_PASSWORD
for _status, _codes in {
    # UNKNOWN_USER WRONG_PASSWORD AUTHENTICATION_FAILED SET_NON_GRANTED_ROLE ACCESS_DENIED
    403: (192, 193, 516, 512, 497),
    # BAD_ARGUMENTS, CANNOT_PARSE_*, CANNOT_COMPILE_REGEXP, DUPLICATE_COLUMN,
    # ILLEGAL_COLUMN, THERE_IS_NO_COLUMN, *_AST*, SYNTAX_ERROR, INCORRECT_DATA,
    # TYPE_MISMATCH, VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE
    400: (36, 6, 25, 26, 38, 41, 72, 441, 675, 676, 376, 27, 427, 15, 44, 8,
          37, 123, 167, 168, 223, 321, 62, 117, 53),
    # UNKNOWN_TABLE FUNCTION IDENTIFIER TYPE STORAGE DATABASE SETTING
    # DIRECTION_OF_SORTING AGGREGATE_FUNCTION FORMAT DATABASE_ENGINE
    # TYPE_OF_QUERY ROLE
    404: (60, 46, 47, 50, 56, 81, 115, 152, 63, 73, 336, 78, 511),
    413: (229,),      # QUERY_IS_TOO_LARGE
    501: (48,),       # NOT_IMPLEMENTED
    503: (209, 76, 439),  # SOCKET_TIMEOUT CANNOT_OPEN_FILE CANNOT_SCHEDULE_TASK
    411: (381,),      # HTTP_LENGTH_REQUIRED
    408: (159,),      # TIMEOUT_EXCEEDED
    415: (779,),      # UNSUPPORTED_MEDIA_TYPE
}.items():
    HTTP_STATUS.update(dict.fromkeys(_codes, _status))

# URL parameters that are not settings (HTTPHandler's reserved names).
NOT_SETTINGS = {"query", "database", "default_format", "query_id", "user", "password",
                "quota_key", "buffer_size", "wait_end_of_query", "stacktrace",
                "client_protocol_version", "session_timeout", "session_check",
                "close_session", "session_id", "compress", "decompress", "role"}
NOT_IMITATED = {"session_id", "compress", "decompress", "role"}


class CHError(Exception):
    """An exception as clickhouse-server reports it."""

    def __init__(self, code, text):
        super().__init__(text)
        self.code, self.text = code, text

    @classmethod
    def make(cls, code, name, message):
        dot = "" if message.endswith(".") else "."
        return cls(code, f"Code: {code}. DB::Exception: {message}{dot} ({name}){VERSION_SUFFIX}")

    @classmethod
    def from_engine(cls, exc):
        msg = str(exc).strip()
        m = re.match(r"Code: (\d+)\. ", msg)
        if not m:
            return cls.make(1002, "UNKNOWN_EXCEPTION", msg)
        code = m.group(1)
        # chdb sometimes wraps an exception in itself:
        # "Code: 73. DB::Exception: Code: 73. DB::Exception: ... (X) (version v). (X)"
        prefix = f"Code: {code}. DB::Exception: "
        while msg.startswith(prefix + prefix):
            msg = msg[len(prefix):]
        msg = msg.split(" (version ", 1)[0]
        return cls(int(code), msg + VERSION_SUFFIX)


def sql_string(value):
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def skeleton(sql):
    """`sql` with quoted strings, quoted names and comments blanked out."""
    out, i, n = list(sql), 0, len(sql)
    while i < n:
        c = sql[i]
        if c in "'\"`":
            j = i + 1
            while j < n and sql[j] != c:
                j += 2 if sql[j] == "\\" else 1
        elif sql.startswith("--", i):
            j = sql.find("\n", i)
            j = n if j < 0 else j
        elif sql.startswith("/*", i):
            j = sql.find("*/", i + 2)
            j = n if j < 0 else j + 1
        else:
            i += 1
            continue
        out[i:j + 1] = " " * (min(j, n - 1) - i + 1)
        i = j + 1
    return "".join(out)


def format_clause(skel):
    """The name in a trailing `FORMAT name` (possibly followed by SETTINGS)."""
    m = re.search(r"\bFORMAT\s+([A-Za-z_]\w*)\s*(?:\bSETTINGS\b[^()]*)?;?\s*$", skel, re.I)
    return m.group(1) if m else None


def content_type(fmt, params):
    f = fmt.lower()
    if f.startswith(("tabseparated", "tsv")):
        return "text/tab-separated-values; charset=UTF-8"
    if f.startswith("csv"):
        return "text/csv; charset=UTF-8; header=" + ("present" if "withnames" in f else "absent")
    if f in ("jsoneachrow", "jsonlines", "ndjson", "jsonstringseachrow"):
        if params.get("output_format_json_array_of_rows", "0").lower() in ("1", "true"):
            return "application/json; charset=UTF-8"
        return "application/x-ndjson; charset=UTF-8"
    if f in ("json", "jsonstrings", "jsoncompact", "jsoncompactstrings", "jsoncolumns",
             "jsoncolumnswithmetadata", "jsonobjecteachrow"):
        return "application/json; charset=UTF-8"
    if f == "xml":
        return "application/xml; charset=UTF-8"
    if f in ("arrow", "arrowstream", "parquet", "orc", "native", "avro", "protobuf",
             "protobufsingle", "msgpack", "npy", "bsoneachrow", "capnproto") or f.startswith("rowbinary"):
        return "application/octet-stream"
    return "text/plain; charset=UTF-8"


def is_binary_format(fmt):
    return content_type(fmt, {}) == "application/octet-stream"


SUMMARY_FIELDS = ("read_rows", "read_bytes", "written_rows", "written_bytes",
                  "total_rows_to_read", "result_rows", "result_bytes", "elapsed_ns")


def summary_json(values):
    """X-ClickHouse-Summary / -Progress: the counters as JSON strings."""
    return json.dumps({k: str(values.get(k, 0)) for k in SUMMARY_FIELDS}, separators=(",", ":"))


def truthy(value):
    return str(value).strip().lower() in ("1", "true", "yes", "on")


class Running:
    """A query in flight: the client's query_id and how to find it in the engine."""

    def __init__(self, query_id):
        self.query_id = query_id
        self.marker = uuid.uuid4().hex  # its log_comment
        self.engine_id = None
        self.kill_requested = False
        self.done = threading.Event()


class Engine:
    """The chdb engine on a temporary directory, and the queries running in it."""

    def __init__(self):
        self.path = tempfile.mkdtemp(prefix="chdb_server_")
        self.primary = _chdb.connect(self.path)  # keeps the engine up
        self.lock = threading.Lock()
        self.running = {}  # client query_id -> Running

    def connect(self):
        return _chdb.connect(self.path)

    def run_init(self, files):
        for name in files:
            text = Path(name).read_text()
            for stmt in re.split(r";[ \t]*(?:\r?\n|$)", text):
                if skeleton(stmt).strip():
                    try:
                        self.primary.query(stmt, "TabSeparated")
                    except RuntimeError as e:
                        raise SystemExit(f"{name}: {CHError.from_engine(e).text}\n  in: {stmt.strip()}")

    def register(self, query_id, replace):
        while True:
            with self.lock:
                old = self.running.get(query_id)
                if old is None:
                    run = self.running[query_id] = Running(query_id)
                    return run
            if not replace:
                raise CHError.make(216, "QUERY_WITH_SAME_ID_IS_ALREADY_RUNNING",
                                   f"Query with id = {query_id} is already running")
            self.kill(old, sync=True)
            old.done.wait(5)

    def unregister(self, run):
        with self.lock:
            if self.running.get(run.query_id) is run:
                del self.running[run.query_id]
        run.done.set()

    def engine_id(self, run, wait):
        """The engine's query_id of `run`, waiting up to `wait` s for it to appear."""
        deadline = time.monotonic() + wait
        conn = self.connect()
        try:
            while run.engine_id is None and not run.done.is_set():
                out = conn.query("SELECT query_id FROM system.processes WHERE "
                                 "Settings['log_comment'] = {m:String} AND query_kind != 'Set'",
                                 "TabSeparated", params={"m": run.marker}).bytes()
                if out.strip():
                    run.engine_id = out.split(b"\n")[0].decode()
                elif time.monotonic() >= deadline:
                    break
                else:
                    time.sleep(0.01)
        finally:
            conn.close()
        return run.engine_id

    def kill(self, run, sync):
        run.kill_requested = True
        eid = self.engine_id(run, wait=1.0)
        if eid:
            conn = self.connect()
            try:
                conn.query("KILL QUERY WHERE query_id = {q:String} " + ("SYNC" if sync else "ASYNC"),
                           "TabSeparated", params={"q": eid})
            except RuntimeError:
                pass
            finally:
                conn.close()

    def translate(self, sql, query_params):
        """Client query ids -> engine ids in KILL / system.processes statements
        (quoted in the SQL, or as the value of a query parameter)."""
        skel = skeleton(sql)
        is_kill = re.match(r"\s*KILL\b", skel, re.I) is not None
        for_real = is_kill and not re.search(r"\bTEST\b", skel, re.I)
        if not is_kill and not re.search(r"\bprocesses\b", sql, re.I):
            return sql, {}
        with self.lock:
            runs = list(self.running.values())
        back = {}
        for run in runs:
            quoted = sql_string(run.query_id)
            named = [k for k, v in query_params.items() if v == run.query_id]
            if quoted not in sql and not named:
                continue
            if for_real:
                run.kill_requested = True  # in case it has not reached the engine yet
            eid = self.engine_id(run, wait=1.0 if is_kill else 0.2)
            if eid:
                sql = sql.replace(quoted, sql_string(eid))
                query_params.update(dict.fromkeys(named, eid))
                back[eid] = run.query_id
        return sql, back

    def close(self):
        with self.lock:
            runs = list(self.running.values())
        for run in runs:
            self.kill(run, sync=False)
        for run in runs:
            run.done.wait(2)
        self.primary.close()
        shutil.rmtree(self.path, ignore_errors=True)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def setup(self):
        super().setup()
        # Headers and body leave in separate writes: without this, Nagle's
        # algorithm and delayed ACKs add ~40 ms to each keep-alive request.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, fmt, *args):
        if self.server.verbose:
            super().log_message(fmt, *args)

    def send_response(self, code, message=None):  # no "Server:" header
        self.send_response_only(code, message)
        self.send_header("Date", self.date_time_string())

    def do_GET(self):
        self.handle_request()

    def do_POST(self):
        self.handle_request()

    # -- request ---------------------------------------------------------

    def read_body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            body = bytearray()
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    break
                body += self.rfile.read(size)
                self.rfile.readline()
            body = bytes(body)
        elif self.headers.get("Content-Length") is not None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
        elif self.command == "POST":
            self.close_connection = True
            raise CHError.make(381, "HTTP_LENGTH_REQUIRED", "The Transfer-Encoding is not chunked "
                               "and there is no Content-Length header for POST request")
        else:
            body = b""
        encoding = self.headers.get("Content-Encoding", "").lower()
        if encoding in ("gzip", "x-gzip"):
            body = zlib.decompress(body, 16 + zlib.MAX_WBITS)
        elif encoding == "deflate":
            body = zlib.decompress(body)
        elif encoding not in ("", "identity"):
            raise CHError.make(48, "NOT_IMPLEMENTED", f"Content-Encoding {encoding} is not supported by this test server")
        return body

    def authenticate(self, params):
        h_user = self.headers.get("X-ClickHouse-User", "")
        h_key = self.headers.get("X-ClickHouse-Key", "")
        basic = self.headers.get("Authorization", "")
        in_params = "user" in params or "password" in params

        def refuse(why):
            raise CHError.make(516, "AUTHENTICATION_FAILED", "Invalid authentication: it is not allowed to use " + why)

        if h_user or h_key:
            if basic:
                refuse("X-ClickHouse HTTP headers and other authentication methods simultaneously")
            if in_params:
                refuse("X-ClickHouse HTTP headers and authentication via parameters simultaneously")
            user, password = h_user, h_key
        elif basic:
            if in_params:
                refuse("Authorization HTTP header and authentication via parameters simultaneously")
            scheme, _, info = basic.partition(" ")
            if scheme.lower() != "basic":
                raise CHError.make(516, "AUTHENTICATION_FAILED",
                                   f"Invalid authentication: '{scheme}' HTTP Authorization scheme is not supported")
            user, _, password = base64.b64decode(info.strip()).decode("utf-8", "replace").partition(":")
        else:
            user, password = params.get("user", "default"), params.get("password", "")
        user = user or "default"
        if (user, password) != (self.server.user, self.server.password):
            text = f"{user}: Authentication failed: password is incorrect, or there is no user with such name."
            if user == "default":
                text += ("\n\nIf you have installed ClickHouse and forgot password you can reset it in the configuration file.\n"
                         "The password for default user is typically located at /etc/clickhouse-server/users.d/default-password.xml\n"
                         "and deleting this file will reset the password.\n"
                         "See also /etc/clickhouse-server/users.xml on the server where ClickHouse is installed.\n\n")
            raise CHError.make(516, "AUTHENTICATION_FAILED", text)

    def handle_request(self):
        self.tag = "".join(secrets.choice(string.ascii_lowercase) for _ in range(16))
        self.started = False  # status line and some headers already sent
        self.query_id = self.out_fmt = self.compress = None
        self.params, self.progress, self.progress_sent = {}, {}, time.monotonic()
        url = urlsplit(self.path)
        try:
            body = self.read_body()
            if url.path in ("/ping", "/replicas_status") or (
                    url.path == "/" and not url.query and not body and self.command == "GET"):
                return self.reply(200, b"Ok.\n", {"Content-Type": "text/html; charset=UTF-8"})
            self.run_query(url, body)
        except CHError as e:
            self.reply_error(e)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def run_query(self, url, body):
        pairs = parse_qsl(url.query, keep_blank_values=True)
        params = dict(pairs)
        self.authenticate(params)
        for name in NOT_IMITATED:
            if params.get(name, "") not in ("", "0", "false"):
                raise CHError.make(48, "NOT_IMPLEMENTED", f"URL parameter '{name}' is not imitated by this test server")
        query_id = params.get("query_id") or self.headers.get("X-ClickHouse-Query-Id") or str(uuid.uuid4())
        database = self.headers.get("X-ClickHouse-Database") or params.get("database", "")
        fmt = self.headers.get("X-ClickHouse-Format") or params.get("default_format") or "TabSeparated"
        query_params, settings = {}, []
        for key, value in pairs:
            if key.startswith("param_"):
                query_params.setdefault(key[len("param_"):], value)
            elif key and key not in NOT_SETTINGS:
                settings.append((key, value))
        self.params = params

        head = params.get("query", "")
        head = head + "\n" if head else ""
        binary = None
        try:
            sql = head + body.decode("utf-8")
        except UnicodeDecodeError:
            sql, binary = self.split_binary_insert(head.encode() + body)
        skel = skeleton(sql)
        if not skel.strip():
            raise CHError.make(62, "SYNTAX_ERROR", "Empty query")

        engine = self.server.engine
        self.query_id, self.timezone = query_id, params.get("session_timezone") or TIMEZONE
        run = engine.register(query_id, truthy(params.get("replace_running_query", "0")))
        conn = None
        try:
            conn = engine.connect()
            info = conn.classify_query(sql)
            if info["statement_count"] > 1:
                raise self.multi_statement_error(sql, skel)
            out_fmt = format_clause(skel) or fmt
            has_output = binary is None and info["query_class"] != _chdb.query_class.MUTATING
            self.out_fmt = out_fmt if has_output else None
            self.compress = self.choose_compression()

            conn.query("SET implicit_select = 0", "TabSeparated")
            if database:
                conn.query("USE `" + database.replace("\\", "\\\\").replace("`", "\\`") + "`", "TabSeparated")
            readonly = 2 if self.command == "GET" else 0
            if readonly:
                conn.query("SET readonly = 2", "TabSeparated")
            if settings:
                for key, _ in settings:
                    if not re.fullmatch(r"[A-Za-z_]\w*", key):
                        raise CHError.make(115, "UNKNOWN_SETTING", f"Unknown setting '{key}'")
                conn.query("SET " + ", ".join(f"{k} = {sql_string(v)}" for k, v in settings), "TabSeparated")
                readonly = max(readonly, int(conn.query("SELECT getSetting('readonly')", "TabSeparated").bytes()))
            # Last, so that the main query is the only one that carries the marker.
            conn.query("SET log_comment = {m:String}", "TabSeparated", params={"m": run.marker})

            sql, back = engine.translate(sql, query_params)
            conn.set_progress_callback(self.on_progress)
            if readonly and truthy(params.get("cancel_http_readonly_queries_on_client_close", "0")):
                threading.Thread(target=self.watch_client, args=(run,), daemon=True).start()
            if run.kill_requested:
                raise CHError.make(394, "QUERY_WAS_CANCELLED", "Query was cancelled")
            if binary is None:
                result = conn.query(sql, fmt, params=query_params)
                data = result.bytes()
            else:
                ins = conn.send_insert(sql, binary[0])
                conn.insert_append(ins, binary[1])
                result = conn.insert_done(ins)
                data = b""
        except RuntimeError as e:
            raise CHError.from_engine(e)
        finally:
            engine.unregister(run)
            if conn is not None:
                conn.set_progress_callback(None)
                conn.close()

        if back and out_fmt and not is_binary_format(out_fmt):
            for eid, qid in back.items():
                if re.fullmatch(r"[\w.:-]+", qid):
                    data = data.replace(eid.encode(), qid.encode())
        summary = {
            "read_rows": result.storage_rows_read(), "read_bytes": result.storage_bytes_read(),
            "written_rows": result.rows_written(), "written_bytes": result.bytes_written(),
            "total_rows_to_read": self.progress.get("total_rows_to_read", 0),
            "result_rows": result.rows_read(), "result_bytes": result.bytes_read(),
            "elapsed_ns": int(result.elapsed() * 1e9),
        }
        headers = {} if self.started else self.common_headers()
        headers["X-ClickHouse-Summary"] = summary_json(summary)
        self.reply(200, data, headers)

    def split_binary_insert(self, raw):
        """`INSERT ... FORMAT f` + binary data -> (statement, (f, data))."""
        m = re.match(rb"\s*(INSERT\b.*?)\bFORMAT\s+([A-Za-z_]\w*)[ \t]*\r?\n?", raw, re.I | re.S)
        if not m:
            raise CHError.make(117, "INCORRECT_DATA", "The query is not valid UTF-8")
        return m.group(1).decode("utf-8"), (m.group(2).decode(), raw[m.end():])

    def multi_statement_error(self, sql, skel):
        pos = next((i for i, c in enumerate(skel) if c == ";" and skel[i + 1:].strip(" \t\r\n;")), len(sql))
        return CHError.make(62, "SYNTAX_ERROR", "Syntax error (Multi-statements are not allowed): "
                            f"failed at position {pos + 1} (;): {sql[pos:pos + 40]}.")

    def choose_compression(self):
        if not truthy(self.params.get("enable_http_compression", "0")):
            return None
        accepted = [a.split(";")[0].strip().lower() for a in self.headers.get("Accept-Encoding", "").split(",")]
        return next((a for a in ("gzip", "deflate") if a in accepted), None)

    def watch_client(self, run):
        """Kill `run` if the client closes its connection (it sends nothing more)."""
        sock = self.connection
        while not run.done.wait(0.05):
            try:
                readable, _, _ = select.select([sock], [], [], 0)
                if readable and not sock.recv(1, socket.MSG_PEEK):
                    self.server.engine.kill(run, sync=False)
                    return
            except (OSError, ValueError):
                return

    # -- response --------------------------------------------------------

    def common_headers(self):
        h = {"X-ClickHouse-Server-Display-Name": socket.gethostname(),
             "X-ClickHouse-Query-Id": self.query_id,
             "X-ClickHouse-Timezone": self.timezone,
             "X-ClickHouse-Exception-Tag": self.tag}
        if self.out_fmt:
            h["X-ClickHouse-Format"] = self.out_fmt
            h["Content-Type"] = content_type(self.out_fmt, self.params)
        else:
            h["Content-Type"] = "text/plain; charset=UTF-8"
        if self.compress:
            h["Content-Encoding"] = self.compress
        return h

    def on_progress(self, payload):
        """The engine's progress callback (called on this request's thread)."""
        self.progress = payload
        if not truthy(self.params.get("send_progress_in_http_headers", "0")):
            return
        interval = float(self.params.get("http_headers_progress_interval_ms", "100") or 100) / 1000
        now = time.monotonic()
        if now - self.progress_sent < interval:
            return
        self.progress_sent = now
        try:
            if not self.started:
                self.started = True
                self.send_response(200)
                for k, v in self.common_headers().items():
                    self.send_header(k, v)
            self.send_header("X-ClickHouse-Progress", summary_json(payload))
            self.flush_headers()
        except OSError:
            pass

    def reply(self, status, body, headers):
        if not self.started:
            self.send_response(status)
        if self.compress and ("Content-Encoding" in headers or self.started):
            if self.compress == "gzip":
                z = zlib.compressobj(wbits=16 + zlib.MAX_WBITS)
            else:
                z = zlib.compressobj()
            body = z.compress(body) + z.flush()
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()

    def reply_error(self, e):
        msg = (e.text + "\n").encode()
        try:
            if self.started:  # status 200 is out: report in the body, as 25.11+ servers do
                self.send_header("X-ClickHouse-Exception-Code", str(e.code))
                block = (b"\r\n__exception__\r\n" + self.tag.encode() + b"\r\n" + msg
                         + f"{len(msg)} ".encode() + self.tag.encode() + b"\r\n__exception__\r\n")
                self.reply(200, block, {})
                return
            headers = {"Content-Type": "text/plain; charset=UTF-8",
                       "X-ClickHouse-Exception-Code": str(e.code),
                       "X-ClickHouse-Exception-Tag": self.tag,
                       "X-ClickHouse-Summary": summary_json(self.progress)}
            if self.query_id:
                headers["X-ClickHouse-Query-Id"] = self.query_id
            self.compress = None
            self.reply(HTTP_STATUS.get(e.code, 500), msg, headers)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256  # listen backlog (the default 5 resets bursts of connections)

    def __init__(self, port, user, password, engine, verbose):
        super().__init__(("127.0.0.1", port), Handler)
        self.user, self.password, self.engine, self.verbose = user, password, engine, verbose


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--user", default="default")
    ap.add_argument("--password", default="")
    ap.add_argument("--init", nargs="+", action="extend", default=[], metavar="FILE.sql",
                    help="SQL run before serving (statements end with ';' at a line end)")
    ap.add_argument("--verbose", action="store_true", help="log requests to stderr")
    args = ap.parse_args()

    os.chdir(REPO_ROOT)  # file('relative/path') in --init is relative to the repository
    engine = Engine()
    try:
        engine.run_init(args.init)
        server = Server(args.port, args.user, args.password, engine, args.verbose)
    except BaseException:
        engine.close()
        raise

    stopping = threading.Event()

    def stop(*_):
        if not stopping.is_set():
            stopping.set()
            threading.Thread(target=server.shutdown, daemon=True).start()

    def watch_stdin():
        for _ in iter(lambda: sys.stdin.buffer.read1(65536), b""):
            pass
        stop()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    threading.Thread(target=watch_stdin, daemon=True).start()
    print(f"listening on 127.0.0.1:{server.server_address[1]}", flush=True)
    try:
        server.serve_forever(poll_interval=0.1)
    finally:
        server.server_close()
        engine.close()
        sys.stderr.flush()
        os._exit(0)


if __name__ == "__main__":
    main()
