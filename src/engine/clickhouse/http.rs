//! ClickHouse's HTTP interface: one POST per statement, results as an Arrow
//! stream, errors read from the exception code the server sends.
//!
//! Every statement is sent read-only (`readonly=2`) with a time limit and
//! the settings the language's answers need (`join_use_nulls`, strings as
//! Arrow strings), plus the user's own (`--clickhouse-setting`). The
//! password travels in a header, never in the URL, and no message or
//! `Display` of a connection contains it.

use std::io::Read;
use std::time::Duration;

use polars::prelude::DataFrame;
use reqwest::Url;
use reqwest::blocking::{Client, Response};

use super::arrow_stream::{Batches, StreamError};

/// Settings every statement carries, before the user's own.
/// Settings the statements' meaning depends on, which `.set` cannot change.
pub const ANSWER_SETTINGS: &[&str] = &[
    "join_use_nulls",
    "output_format_arrow_string_as_string",
    "enable_extended_results_for_datetime_functions",
];

const BASE_SETTINGS: &[(&str, &str)] = &[
    ("readonly", "2"),
    ("max_execution_time", "600"),
    ("join_use_nulls", "1"),
    ("output_format_arrow_string_as_string", "1"),
    ("cancel_http_readonly_queries_on_client_close", "1"),
    // `bin` relies on it: start-of-interval functions keep DateTime64.
    ("enable_extended_results_for_datetime_functions", "1"),
];

/// What went wrong talking to the server.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HttpError {
    /// No connection: refused, unknown host, TLS, a timeout.
    #[error("cannot reach the ClickHouse server at {server}: {detail}")]
    Unreachable { server: String, detail: String },
    /// The user or password was refused.
    #[error(
        "the ClickHouse server at {server} refused user `{user}`: wrong user or password (set INFRAQL_CLICKHOUSE_PASSWORD)"
    )]
    Authentication { server: String, user: String },
    /// The server answered with an exception.
    #[error("ClickHouse ({server}) says: {message}")]
    Server {
        server: String,
        code: u32,
        message: String,
    },
    /// The answer could not be read.
    #[error("cannot read the answer of the ClickHouse server at {server}: {detail}")]
    Protocol { server: String, detail: String },
}

impl HttpError {
    /// ClickHouse's exception code, when the server sent one.
    pub fn code(&self) -> Option<u32> {
        match self {
            HttpError::Server { code, .. } => Some(*code),
            _ => None,
        }
    }
}

/// A server, a user and a database, as `http://user@host:8123/database`
/// names them.
#[derive(Clone)]
pub struct Connection {
    client: Client,
    /// The URL without user, password or path.
    base: Url,
    user: String,
    password: Option<String>,
    pub database: String,
    settings: Vec<(String, String)>,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Connection({})", self.server())
    }
}

impl Connection {
    /// Reads `url`; the password is given apart (`INFRAQL_CLICKHOUSE_PASSWORD`
    /// or a prompt) and a password written in the URL is refused, so it
    /// never shows in argv or history.
    pub fn new(url: &str, password: Option<String>) -> Result<Connection, String> {
        let parsed = Url::parse(url.trim()).map_err(|e| {
            format!("`{url}` is not a ClickHouse URL ({e}); write http://user@host:8123/database")
        })?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(format!(
                "a ClickHouse URL starts with http:// or https://, not {}://",
                parsed.scheme()
            ));
        }
        if parsed.password().is_some() {
            return Err(
                "put the password in INFRAQL_CLICKHOUSE_PASSWORD, not in the URL (where it would show in the process list and history)"
                    .to_owned(),
            );
        }
        let host = parsed
            .host_str()
            .ok_or_else(|| format!("`{url}` names no host"))?;
        let user = match parsed.username() {
            "" => "default".to_owned(),
            user => percent_decode(user),
        };
        let database = match parsed.path().trim_matches('/') {
            "" => "default".to_owned(),
            path if path.contains('/') => {
                return Err(format!(
                    "`{path}` is not a database name: the URL's path is one database"
                ));
            }
            path => percent_decode(path),
        };
        let port = parsed.port_or_known_default().unwrap_or(8123);
        let base = Url::parse(&format!("{}://{host}:{port}/", parsed.scheme()))
            .map_err(|e| format!("`{url}`: {e}"))?;
        let client = Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .timeout(None)
            .build()
            .map_err(|e| format!("cannot start an HTTP client: {e}"))?;
        Ok(Connection {
            client,
            base,
            user,
            password,
            database,
            settings: Vec::new(),
        })
    }

    /// Where the server is, for messages: `http://user@host:port/database`
    /// (no password).
    pub fn server(&self) -> String {
        format!(
            "{}://{}@{}:{}/{}",
            self.base.scheme(),
            self.user,
            self.base.host_str().unwrap_or(""),
            self.base.port_or_known_default().unwrap_or(0),
            self.database
        )
    }

    /// Adds (or replaces) a setting sent with every statement.
    pub fn set(&mut self, name: &str, value: &str) {
        self.settings.retain(|(n, _)| n != name);
        self.settings.push((name.to_owned(), value.to_owned()));
    }

    /// The user's own settings.
    pub fn settings(&self) -> &[(String, String)] {
        &self.settings
    }

    /// Runs `sql` and reads its result, an Arrow stream, as a frame.
    /// An error after the result started streaming comes at its end and is
    /// reported, never a cut result.
    pub fn query_frame(&self, sql: &str, query_id: &str) -> Result<DataFrame, HttpError> {
        let mut batches = self.query_batches(sql, query_id)?;
        let mut whole: Option<DataFrame> = None;
        while let Some(batch) = batches.next_batch() {
            let batch = batch.map_err(|e| self.stream_error(e))?;
            match &mut whole {
                Some(frame) => {
                    frame
                        .vstack_mut_owned(batch)
                        .map_err(|e| self.protocol(&format!("the batches do not agree ({e})")))?;
                }
                None => whole = Some(batch),
            }
        }
        match whole {
            Some(mut frame) => Ok(std::mem::take(frame.rechunk_mut_par())),
            None => batches
                .empty()
                .unwrap_or_else(|| Err(StreamError::Damaged("the result was empty".to_owned())))
                .map_err(|e| self.stream_error(e)),
        }
    }

    /// Runs `sql` and gives its result's record batches as they arrive.
    pub fn query_batches(&self, sql: &str, query_id: &str) -> Result<Batches<Response>, HttpError> {
        let statement = format!("{sql}\nFORMAT ArrowStream");
        Ok(Batches::new(self.send(&statement, query_id)?))
    }

    /// A stream's failure as this server's error.
    pub fn stream_error(&self, error: StreamError) -> HttpError {
        match error {
            StreamError::Exception { code, message } => self.server_error(code, message),
            StreamError::Io(detail) => self.protocol(&format!("the connection broke ({detail})")),
            StreamError::Damaged(detail) => self.protocol(&detail),
        }
    }

    /// Runs `sql` and returns its result as tab-separated text.
    pub fn query_text(&self, sql: &str, query_id: &str) -> Result<String, HttpError> {
        let statement = format!("{sql}\nFORMAT TabSeparated");
        let mut response = self.send(&statement, query_id)?;
        let mut body = Vec::new();
        response
            .read_to_end(&mut body)
            .map_err(|e| self.protocol(&format!("the connection broke ({e})")))?;
        if let Some((code, message)) = exception_in(&body) {
            return Err(self.server_error(code, message));
        }
        String::from_utf8(body).map_err(|_| self.protocol("the answer is not UTF-8"))
    }

    /// Asks the server to stop the query `query_id` (Ctrl-C). Sent without
    /// `readonly`, which would forbid it; errors are ignored: the query may
    /// have ended already.
    pub fn kill(&self, query_id: &str) {
        let sql = format!(
            "KILL QUERY WHERE query_id = {} ASYNC",
            super::sql::string(query_id)
        );
        let mut url = self.base.clone();
        url.query_pairs_mut()
            .append_pair("database", &self.database);
        let _ = self
            .authorised(self.client.post(url))
            .timeout(Duration::from_secs(2))
            .body(sql)
            .send();
    }

    fn authorised(
        &self,
        request: reqwest::blocking::RequestBuilder,
    ) -> reqwest::blocking::RequestBuilder {
        let request = request.header("X-ClickHouse-User", &self.user);
        match &self.password {
            Some(password) => request.header("X-ClickHouse-Key", password),
            None => request,
        }
    }

    /// Sends `statement`; a response that is not a success is read and
    /// turned into its error here.
    fn send(&self, statement: &str, query_id: &str) -> Result<Response, HttpError> {
        let mut url = self.base.clone();
        {
            let mut pairs = url.query_pairs_mut();
            pairs
                .append_pair("database", &self.database)
                .append_pair("query_id", query_id);
            for (name, value) in BASE_SETTINGS {
                if !self.settings.iter().any(|(n, _)| n == name) {
                    pairs.append_pair(name, value);
                }
            }
            for (name, value) in &self.settings {
                pairs.append_pair(name, value);
            }
        }
        let response = self
            .authorised(self.client.post(url))
            .body(statement.to_owned())
            .send()
            .map_err(|e| self.unreachable(&e))?;
        self.read(response)
    }

    fn read(&self, response: Response) -> Result<Response, HttpError> {
        let status = response.status();
        let code = response
            .headers()
            .get("X-ClickHouse-Exception-Code")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u32>().ok());
        if status.is_success() && code.is_none() {
            return Ok(response);
        }
        let mut body = Vec::new();
        let mut reader = response.take(1 << 20);
        reader
            .read_to_end(&mut body)
            .map_err(|e| self.protocol(&format!("the connection broke ({e})")))?;
        let text = String::from_utf8_lossy(&body);
        let code = code
            .or_else(|| exception_in(&body).map(|(c, _)| c))
            .unwrap_or(0);
        if code == AUTHENTICATION_FAILED || status.as_u16() == 401 {
            return Err(HttpError::Authentication {
                server: self.server(),
                user: self.user.clone(),
            });
        }
        let message = match exception_in(&body) {
            Some((_, message)) => message,
            None => format!("HTTP {status}: {}", text.trim()),
        };
        Err(self.server_error(code, message))
    }

    fn server_error(&self, code: u32, message: String) -> HttpError {
        HttpError::Server {
            server: self.server(),
            code,
            message,
        }
    }

    fn protocol(&self, detail: &str) -> HttpError {
        HttpError::Protocol {
            server: self.server(),
            detail: detail.to_owned(),
        }
    }

    fn unreachable(&self, error: &reqwest::Error) -> HttpError {
        let mut detail = error.to_string();
        let mut source = std::error::Error::source(error);
        while let Some(cause) = source {
            detail = cause.to_string();
            source = cause.source();
        }
        HttpError::Unreachable {
            server: self.server(),
            detail,
        }
    }
}

/// How much of a body's end is kept to find an exception in.
const TAIL: usize = 64 * 1024;

/// ClickHouse's code for a refused user or password.
const AUTHENTICATION_FAILED: u32 = 516;

/// The last `Code: N. DB::Exception: …` in `body`: its code and message
/// (without the trailing version note).
pub(super) fn exception_in(body: &[u8]) -> Option<(u32, String)> {
    // Look only at the tail: an exception after streamed data is appended.
    let tail = &body[body.len().saturating_sub(TAIL)..];
    let text = String::from_utf8_lossy(tail);
    let at = text.rfind("Code: ")?;
    let rest = &text[at + "Code: ".len()..];
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    let code = digits.parse().ok()?;
    let message = rest[digits.len()..]
        .trim_start_matches('.')
        .trim()
        .trim_start_matches("DB::Exception:")
        .trim();
    let message = message
        .split(" (version ")
        .next()
        .unwrap_or(message)
        .trim()
        .to_owned();
    Some((code, message))
}

/// `%xx` escapes of a URL part decoded (user names with `@`, say).
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(byte) = text
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(byte);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_name_user_host_port_and_database() {
        let c = Connection::new("http://ops@localhost:8123/apisix_logs", None).expect("url");
        assert_eq!(c.server(), "http://ops@localhost:8123/apisix_logs");
        let c = Connection::new("https://example.org", None).expect("url");
        assert_eq!(c.server(), "https://default@example.org:443/default");
    }

    #[test]
    fn a_password_in_the_url_is_refused_and_never_repeated() {
        let error = Connection::new("http://ops:s3cret@localhost:8123/db", None)
            .expect_err("password refused");
        assert!(error.contains("INFRAQL_CLICKHOUSE_PASSWORD"), "{error}");
        assert!(!error.contains("s3cret"), "{error}");
        let c = Connection::new("http://ops@localhost/db", Some("s3cret".into())).expect("url");
        assert!(!format!("{c:?} {}", c.server()).contains("s3cret"));
    }

    #[test]
    fn other_schemes_and_nested_paths_are_refused() {
        assert!(Connection::new("clickhouse://h/db", None).is_err());
        assert!(Connection::new("http://h/db/table", None).is_err());
    }

    #[test]
    fn exceptions_are_found_at_the_end_of_a_body() {
        let body = b"\xff\xff\xff\xffpartial arrow...Code: 241. DB::Exception: Memory limit (total) exceeded: would use 9.31 GiB. (MEMORY_LIMIT_EXCEEDED) (version 26.9.2.1 (official build))\n";
        let (code, message) = exception_in(body).expect("exception");
        assert_eq!(code, 241);
        assert_eq!(
            message,
            "Memory limit (total) exceeded: would use 9.31 GiB. (MEMORY_LIMIT_EXCEEDED)"
        );
        assert_eq!(exception_in(b"plain data"), None);
    }

    #[test]
    fn user_names_are_percent_decoded() {
        assert_eq!(percent_decode("ops%40corp"), "ops@corp");
        assert_eq!(percent_decode("100%"), "100%");
    }
}
