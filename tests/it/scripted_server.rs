//! The ClickHouse client against a scripted HTTP server on 127.0.0.1: the
//! answers a real server gives that the engine from PyPI cannot be made to
//! give on cue (a refused password as clickhouse-server words it, an error
//! in a 200 answer, a result that fails or pauses half-way through).
//!
//! The server answers the catalog query (`system.columns`) with one table,
//! `big(n Int64)`, the housekeeping queries (progress, `KILL QUERY`) with
//! nothing, and every other query as the test scripts it.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use infraql::engine::polars::Engine;
use infraql::session::{Outcome, Session};
use polars::prelude::{Column, DataFrame, IpcStreamWriter, SerWriter};

/// The version line real servers end their exceptions with.
const VERSION: &str = "(version 24.8.4.13 (official build))";

/// How the server answers one query.
enum Answer {
    /// One response with a length.
    Whole {
        status: u16,
        headers: Vec<(&'static str, String)>,
        body: Vec<u8>,
    },
    /// A 200 answer sent in chunks: `first`, then (once `release` says so,
    /// or after a minute) `rest`.
    Paused {
        first: Vec<u8>,
        release: mpsc::Receiver<()>,
        rest: Vec<u8>,
    },
}

impl Answer {
    fn ok(body: Vec<u8>) -> Answer {
        Answer::Whole {
            status: 200,
            headers: Vec::new(),
            body,
        }
    }
}

type Script = Box<dyn FnMut(&str) -> Answer + Send>;

/// A scripted server listening on 127.0.0.1 while the test runs.
struct Scripted {
    url: String,
}

impl Scripted {
    /// A server whose user `default` is let in: the catalog is answered,
    /// every other query by `script` (given the statement).
    fn new(mut script: impl FnMut(&str) -> Answer + Send + 'static) -> Scripted {
        Scripted::answering(move |statement| {
            if statement.contains("system.columns") {
                Answer::ok(b"big\tn\tInt64\n".to_vec())
            } else {
                script(statement)
            }
        })
    }

    /// A server that answers every query but the housekeeping ones by
    /// `script`, the catalog query included.
    fn answering(script: impl FnMut(&str) -> Answer + Send + 'static) -> Scripted {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a port");
        let port = listener.local_addr().expect("address").port();
        let script: Arc<Mutex<Script>> = Arc::new(Mutex::new(Box::new(script)));
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let script = Arc::clone(&script);
                std::thread::spawn(move || serve(stream, &script));
            }
        });
        Scripted {
            url: format!("http://default@127.0.0.1:{port}/default"),
        }
    }

    fn session(&self) -> Session {
        let mut session = Session::new(Engine::default());
        session.connect(&self.url, None).expect("connects");
        session
    }
}

/// Answers one request on `stream` and closes it.
fn serve(stream: TcpStream, script: &Mutex<Script>) {
    let Some(statement) = read_request(&stream) else {
        return;
    };
    let housekeeping = statement.contains("system.processes") || statement.contains("KILL QUERY");
    let answer = if housekeeping {
        Answer::ok(Vec::new())
    } else {
        let mut script = script.lock().expect("the script");
        script(&statement)
    };
    let _ = write_answer(stream, answer);
}

/// The body of the HTTP request on `stream` (the statement).
fn read_request(stream: &TcpStream) -> Option<String> {
    let mut reader = BufReader::new(stream);
    let mut length = 0;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().ok()?;
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some(String::from_utf8_lossy(&body).into_owned())
}

fn write_answer(mut stream: TcpStream, answer: Answer) -> std::io::Result<()> {
    match answer {
        Answer::Whole {
            status,
            headers,
            body,
        } => {
            let mut head = format!(
                "HTTP/1.1 {status} {}\r\nConnection: close\r\n",
                reason(status)
            );
            for (name, value) in headers {
                head.push_str(&format!("{name}: {value}\r\n"));
            }
            head.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
            stream.write_all(head.as_bytes())?;
            stream.write_all(&body)?;
        }
        Answer::Paused {
            first,
            release,
            rest,
        } => {
            stream.write_all(
                b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\n\r\n",
            )?;
            write_chunks(&mut stream, &first)?;
            stream.flush()?;
            let _ = release.recv_timeout(Duration::from_secs(60));
            write_chunks(&mut stream, &rest)?;
            stream.write_all(b"0\r\n\r\n")?;
        }
    }
    stream.flush()
}

fn write_chunks(stream: &mut TcpStream, bytes: &[u8]) -> std::io::Result<()> {
    for chunk in bytes.chunks(64 << 10) {
        stream.write_all(format!("{:x}\r\n", chunk.len()).as_bytes())?;
        stream.write_all(chunk)?;
        stream.write_all(b"\r\n")?;
    }
    Ok(())
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        401 => "Unauthorized",
        403 => "Forbidden",
        _ => "Internal Server Error",
    }
}

/// An Arrow stream of `big` with `rows` rows in batches of `batch` rows,
/// as ClickHouse sends a result, with its end marker.
fn arrow_stream(rows: i64, batch: i64) -> Vec<u8> {
    let mut whole: Option<DataFrame> = None;
    let mut from = 0;
    while from < rows {
        let to = (from + batch).min(rows);
        let part = DataFrame::new_infer_height(vec![Column::new(
            "n".into(),
            (from..to).collect::<Vec<i64>>(),
        )])
        .expect("a batch");
        match &mut whole {
            Some(frame) => {
                frame.vstack_mut(&part).expect("same columns");
            }
            None => whole = Some(part),
        }
        from = to;
    }
    let mut whole = whole.expect("rows");
    let mut out = Vec::new();
    IpcStreamWriter::new(&mut out)
        .finish(&mut whole)
        .expect("an Arrow stream");
    out
}

/// The Arrow stream's end marker (a continuation and a zero length).
const END_MARKER: [u8; 8] = [0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0];

/// How `text` ends: its rows' cells, or the failure as the user sees it.
fn run(session: &mut Session, text: &str) -> Result<Vec<String>, String> {
    let mut said = Vec::new();
    session
        .run("<query>", text, |outcome| {
            match outcome {
                Outcome::Rows(frame) | Outcome::Chart(frame) => {
                    said.push(format!("{} rows", frame.height()))
                }
                Outcome::Preview { total, .. } => said.push(format!("{total} rows")),
                Outcome::Exported { rows, .. } => said.push(format!("exported {rows} rows")),
            }
            Ok(())
        })
        .map_err(|failure| failure.render(false))?;
    Ok(said)
}

/// The names in `dir`, sorted.
fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("the folder")
        .map(|e| {
            e.expect("an entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    names.sort();
    names
}

#[test]
fn a_refused_password_is_named_whichever_status_the_server_uses() {
    for status in [401, 403] {
        let server = Scripted::answering(move |_| {
            Answer::Whole {
            status,
            headers: vec![("X-ClickHouse-Exception-Code", "516".to_owned())],
            body: format!(
                "Code: 516. DB::Exception: default: Authentication failed: password is incorrect, or there is no user with such name. (AUTHENTICATION_FAILED) {VERSION}\n"
            )
            .into_bytes(),
        }
        });
        let mut session = Session::new(Engine::default());
        let error = session
            .connect(&server.url, Some("hunter2-secret".to_owned()))
            .expect_err("refused");
        assert!(error.is_authentication(), "{status}: {error}");
        let error = error.to_string();
        assert!(
            error.contains("refused user `default`: wrong user or password"),
            "{status}: {error}"
        );
        assert!(!error.contains("hunter2-secret"), "{status}: {error}");
    }
}

#[test]
fn a_server_error_without_its_code_header_is_read_from_the_body() {
    let server = Scripted::new(|_| {
        Answer::Whole {
        status: 500,
        headers: Vec::new(),
        body: format!(
            "Code: 62. DB::Exception: Syntax error: failed at position 8 (end of query): . Expected one of: token, Comma. (SYNTAX_ERROR) {VERSION}\n"
        )
        .into_bytes(),
    }
    });
    let error = run(&mut server.session(), "big | count").expect_err("fails");
    assert!(
        error.contains("says: Syntax error: failed at position 8 (end of query): . Expected one of: token, Comma. (SYNTAX_ERROR)"),
        "{error}"
    );
    assert!(!error.contains("version"), "{error}");
}

#[test]
fn an_error_in_a_200_answer_is_an_error_not_a_result() {
    let server = Scripted::new(|_| {
        Answer::ok(
            format!(
                "Code: 159. DB::Exception: Timeout exceeded: elapsed 30.000914 seconds, maximum: 30. (TIMEOUT_EXCEEDED) {VERSION}\n"
            )
            .into_bytes(),
        )
    });
    let error = run(&mut server.session(), "big | count").expect_err("fails");
    assert!(
        error.contains("says: Timeout exceeded: elapsed 30.000914 seconds, maximum: 30."),
        "{error}"
    );
}

#[test]
fn an_answer_that_is_not_arrow_is_named_as_such() {
    let server =
        Scripted::new(|_| Answer::ok(b"<html><body>502 Bad Gateway</body></html>".to_vec()));
    let error = run(&mut server.session(), "big | count").expect_err("fails");
    assert!(
        error.contains("cannot read the answer of the ClickHouse server at"),
        "{error}"
    );
    assert!(
        error.contains(
            "the answer is not an Arrow stream; it begins `<html><body>502 Bad Gateway</body></html>`"
        ),
        "{error}"
    );
}

#[test]
fn a_result_cut_off_is_never_shown_or_exported_as_whole() {
    let mut cut = arrow_stream(300_000, 65_536);
    cut.truncate(cut.len() - END_MARKER.len());
    let cut = Arc::new(cut);
    let server = Scripted::new(move |_| Answer::ok(cut.to_vec()));
    let mut session = server.session();
    let error = run(&mut session, "big").expect_err("fails");
    assert!(error.contains("the stream ended early"), "{error}");

    let dir = tempfile::tempdir().expect("a folder");
    let path = dir.path().join("big.csv");
    std::fs::write(&path, "old\n").expect("an old file");
    let error = run(
        &mut session,
        &format!("big | export \"{}\"", path.display()),
    )
    .expect_err("fails");
    assert!(error.contains("the stream ended early"), "{error}");
    assert_eq!(std::fs::read_to_string(&path).expect("the file"), "old\n");
    assert_eq!(names(dir.path()), ["big.csv"], "no temporary file is left");
}

#[test]
fn an_exception_after_some_batches_fails_the_query_and_the_export() {
    let mut body = arrow_stream(200_000, 65_536);
    body.truncate(body.len() - END_MARKER.len());
    body.extend_from_slice(
        format!(
            "Code: 241. DB::Exception: Memory limit (total) exceeded: would use 9.31 GiB (attempt to allocate chunk of 4194304 bytes), maximum: 9.31 GiB. (MEMORY_LIMIT_EXCEEDED) {VERSION}\n"
        )
        .as_bytes(),
    );
    let body = Arc::new(body);
    let server = Scripted::new(move |_| {
        let (release, wait) = mpsc::channel();
        drop(release);
        Answer::Paused {
            first: body.to_vec(),
            release: wait,
            rest: Vec::new(),
        }
    });
    let mut session = server.session();
    let error = run(&mut session, "big").expect_err("fails");
    assert!(
        error.contains("says: Memory limit (total) exceeded: would use 9.31 GiB"),
        "{error}"
    );
    let dir = tempfile::tempdir().expect("a folder");
    let path = dir.path().join("big.parquet");
    let error = run(
        &mut session,
        &format!("big | export \"{}\"", path.display()),
    )
    .expect_err("fails");
    assert!(error.contains("MEMORY_LIMIT_EXCEEDED"), "{error}");
    assert_eq!(names(dir.path()), Vec::<String>::new(), "nothing is left");
}

/// A 2M-row result is written to the file while the server is still
/// sending it: half-way, the server waits until the test has seen the
/// export's temporary file hold rows, which it could not if the client
/// gathered the whole result first.
#[test]
fn a_large_export_is_written_while_the_server_still_sends() {
    const ROWS: i64 = 2_000_000;
    let stream = arrow_stream(ROWS, 65_536);
    let half = stream.len() / 2;
    let (release, wait) = mpsc::channel();
    let mut parts = Some((stream[..half].to_vec(), wait, stream[half..].to_vec()));
    let server = Scripted::new(move |_| match parts.take() {
        Some((first, release, rest)) => Answer::Paused {
            first,
            release,
            rest,
        },
        None => Answer::ok(Vec::new()),
    });
    let mut session = server.session();
    let dir = tempfile::tempdir().expect("a folder");
    let path = dir.path().join("big.csv");
    let query = format!("big | export \"{}\"", path.display());
    let worker = std::thread::spawn(move || run(&mut session, &query));

    let deadline = Instant::now() + Duration::from_secs(60);
    let mut written = 0;
    while written < 1 << 20 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
        written = std::fs::read_dir(dir.path())
            .expect("the folder")
            .flatten()
            .filter(|e| {
                e.file_name()
                    .to_string_lossy()
                    .starts_with(".infraql-export-")
            })
            .filter_map(|e| e.metadata().ok())
            .map(|m| m.len())
            .max()
            .unwrap_or(0);
    }
    release.send(()).expect("the server waits");
    let said = worker.join().expect("the run ends");
    assert!(
        written >= 1 << 20,
        "only {written} bytes were written before the server sent the second half"
    );
    assert_eq!(said, Ok(vec![format!("exported {ROWS} rows")]));
    let text = std::fs::read_to_string(&path).expect("the file");
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("n"));
    let mut expected = 0i64;
    for line in lines {
        assert_eq!(line, expected.to_string());
        expected += 1;
    }
    assert_eq!(expected, ROWS);
    assert_eq!(names(dir.path()), ["big.csv"]);
}
