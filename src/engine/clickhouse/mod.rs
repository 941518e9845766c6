//! The ClickHouse backend: a database's tables as infraql tables, plans
//! compiled to one SQL statement each (`sql`) and run over the HTTP
//! interface (`http`), results read as Arrow into the frames the rest of
//! the program shows, exports and charts.
//!
//! The tables come from `system.columns`, read once per connection (and
//! again when the server says a column is unknown); `types` maps their
//! ClickHouse types to the language's.

pub mod arrow_stream;
pub mod http;
pub mod sql;
pub mod types;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use polars::prelude::{DataFrame, DataType};

use crate::cancel::Cancel;
use crate::engine::polars::RunError;
use crate::frame::types::to_dtype;
use crate::plan::logical::Plan;
use crate::plan::schema::Schema;
use crate::plan::types::Type;
use http::{Connection, HttpError};
use sql::{DUPLICATE_KEY_MARK, OVERFLOW_MARK, RemoteTable, TIME_RANGE_MARK, Tables};

/// What the server has read for the query running now, as far as known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    pub rows: u64,
    pub bytes: u64,
}

/// The queries running now (their ids, oldest first) and what is known of
/// their progress.
static RUNNING: std::sync::Mutex<Vec<(String, Option<Progress>)>> =
    std::sync::Mutex::new(Vec::new());

/// The server's progress on the ClickHouse query started last of those
/// running (the shell's spinner shows it; the shell runs one at a time);
/// `None` when none runs or nothing is known yet.
pub fn progress() -> Option<Progress> {
    RUNNING
        .lock()
        .ok()
        .and_then(|running| running.last().and_then(|(_, p)| *p))
}

fn started(id: &str) {
    if let Ok(mut running) = RUNNING.lock() {
        running.push((id.to_owned(), None));
    }
}

fn advanced(id: &str, progress: Progress) {
    if let Ok(mut running) = RUNNING.lock()
        && let Some((_, known)) = running.iter_mut().find(|(current, _)| current == id)
    {
        *known = Some(progress);
    }
}

fn ended(id: &str) {
    if let Ok(mut running) = RUNNING.lock() {
        running.retain(|(current, _)| current != id);
    }
}

/// How often the server is asked for a running query's progress.
const PROGRESS_POLL: Duration = Duration::from_millis(500);

/// How often a running query looks at Ctrl-C.
const CANCEL_POLL: Duration = Duration::from_millis(20);

/// ClickHouse's code for a function's own `throwIf` failure.
const THROW_IF: u32 = 395;
/// ClickHouse's codes for a name the statement uses that the server does
/// not know (any more): no such column, identifier or table.
const STALE: &[u32] = &[8, 16, 47, 60];
/// ClickHouse's code for a query stopped by `KILL QUERY`.
const QUERY_WAS_CANCELLED: u32 = 394;

/// Why a connection could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConnectError {
    /// The URL is not one infraql takes.
    #[error("{0}")]
    Url(String),
    /// The server could not be asked, or said no.
    #[error(transparent)]
    Http(#[from] HttpError),
}

impl ConnectError {
    /// The server refused the user or password: the shell asks for one.
    pub fn is_authentication(&self) -> bool {
        matches!(self, ConnectError::Http(HttpError::Authentication { .. }))
    }
}

/// A connected database and its tables.
#[derive(Clone, Debug)]
pub struct ClickHouse {
    connection: Connection,
    /// Tables by the name queries use: the database's own tables by their
    /// names, and short names given to others (`--table logs=clickhouse:db.t`).
    tables: BTreeMap<String, RemoteTable>,
}

impl ClickHouse {
    /// Connects to `url` and reads the tables of its database.
    pub fn connect(url: &str, password: Option<String>) -> Result<ClickHouse, ConnectError> {
        let connection = Connection::new(url, password).map_err(ConnectError::Url)?;
        let mut remote = ClickHouse {
            connection,
            tables: BTreeMap::new(),
        };
        remote.read_tables()?;
        Ok(remote)
    }

    /// Where the server is, for messages (no password).
    pub fn server(&self) -> String {
        self.connection.server()
    }

    /// Sets a ClickHouse setting sent with every statement from now on.
    pub fn set(&mut self, name: &str, value: &str) -> Result<(), String> {
        let valid = !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid {
            return Err(format!("`{name}` is not a ClickHouse setting name"));
        }
        if name == "readonly" {
            return Err("`readonly` stays 2: infraql never writes to the server".to_owned());
        }
        if http::ANSWER_SETTINGS.contains(&name) {
            return Err(format!(
                "`{name}` stays as infraql sets it: the language's answers depend on it"
            ));
        }
        self.connection.set(name, value);
        Ok(())
    }

    /// Reads the database's tables again; short names keep pointing at
    /// their tables, read again too.
    pub fn refresh(&mut self) -> Result<(), String> {
        self.read_tables().map_err(|e| e.to_string())?;
        let given: Vec<(String, String)> = self
            .tables
            .iter()
            .filter(|(name, t)| t.database != self.connection.database || **name != t.table)
            .map(|(name, t)| (name.clone(), format!("{}.{}", t.database, t.table)))
            .collect();
        for (name, target) in given {
            if self.alias(&name, &target).is_err() {
                // The table is gone: so is its short name.
                self.tables.remove(&name);
            }
        }
        Ok(())
    }

    /// The settings of the user's own sent with every statement.
    pub fn settings(&self) -> &[(String, String)] {
        self.connection.settings()
    }

    /// The database's tables, from `system.columns`.
    fn read_tables(&mut self) -> Result<(), HttpError> {
        let database = self.connection.database.clone();
        let found = self.columns_of(&database, None)?;
        let given: Vec<(String, RemoteTable)> = self
            .tables
            .iter()
            .filter(|(name, t)| t.database != database || **name != t.table)
            .map(|(n, t)| (n.clone(), t.clone()))
            .collect();
        self.tables = found.into_iter().map(|t| (t.table.clone(), t)).collect();
        self.tables.extend(given);
        Ok(())
    }

    /// The tables of `database` (only `table`, when given) with their
    /// columns in order.
    fn columns_of(
        &self,
        database: &str,
        table: Option<&str>,
    ) -> Result<Vec<RemoteTable>, HttpError> {
        let mut sql = format!(
            "SELECT table, name, type FROM system.columns WHERE database = {}",
            sql::string(database)
        );
        if let Some(table) = table {
            sql.push_str(&format!(" AND table = {}", sql::string(table)));
        }
        sql.push_str(" ORDER BY table, position");
        let text = self.connection.query_text(&sql, &query_id())?;
        let mut tables: Vec<RemoteTable> = Vec::new();
        for line in text.lines() {
            let fields: Vec<String> = line.split('\t').map(unescape_tsv).collect();
            let [table, column, ty] = fields.as_slice() else {
                continue;
            };
            if tables.last().is_none_or(|t| &t.table != table) {
                tables.push(RemoteTable {
                    database: database.to_owned(),
                    table: table.clone(),
                    columns: Vec::new(),
                });
            }
            if let Some(last) = tables.last_mut() {
                last.columns
                    .push((column.clone(), types::language_type(ty), ty.clone()));
            }
        }
        Ok(tables)
    }

    /// Gives the table `target` (`table` or `database.table`) the name
    /// `name`.
    pub fn alias(&mut self, name: &str, target: &str) -> Result<(), String> {
        let (database, table) = match target.split_once('.') {
            Some((d, t)) => (d.to_owned(), t.to_owned()),
            None => (self.connection.database.clone(), target.to_owned()),
        };
        let found = self
            .columns_of(&database, Some(&table))
            .map_err(|e| e.to_string())?;
        let table_def = found.into_iter().next().ok_or_else(|| {
            format!(
                "there is no table `{database}.{table}` on the ClickHouse server at {}",
                self.server()
            )
        })?;
        self.tables.insert(name.to_owned(), table_def);
        Ok(())
    }

    /// The schema of a table, in the language's types.
    pub fn table(&self, name: &str) -> Option<Schema> {
        self.tables.get(name).map(schema_of)
    }

    /// Table names with their schemas and where they are (`db.table`).
    pub fn tables(&self) -> impl Iterator<Item = (&str, Schema, String)> {
        self.tables.iter().map(|(name, t)| {
            (
                name.as_str(),
                schema_of(t),
                format!("{}.{}", t.database, t.table),
            )
        })
    }

    /// The ClickHouse types of a table's columns, for `.schema`.
    pub fn column_types(&self, name: &str) -> Option<Vec<(String, Option<Type>, String)>> {
        self.tables.get(name).map(|t| t.columns.clone())
    }

    /// The SQL statement `plan` runs as.
    pub fn sql(&self, plan: &Plan) -> Result<String, sql::Unsupported> {
        sql::statement(plan, self).map(|(text, _)| text)
    }

    /// The columns `plan`'s statement gives, without running it.
    pub fn collect_schema(&self, plan: &Plan) -> Result<Schema, sql::Unsupported> {
        sql::statement(plan, self).map(|(_, columns)| Schema::new(columns))
    }

    /// Runs `plan` on the server. Its result has `schema` (when the caller
    /// knows it; else the types the statement gives its columns). When
    /// `cancel` is set while it runs, the query is killed on the server
    /// (ClickHouse keeps running a query whose client went away unless
    /// told) and the run ends at once as cancelled.
    pub fn collect(
        &self,
        plan: &Plan,
        schema: Option<&Schema>,
        cancel: &Cancel,
    ) -> Result<DataFrame, RunError> {
        let mut whole: Option<DataFrame> = None;
        self.stream(plan, schema, cancel, |batch| -> Result<(), RunError> {
            match &mut whole {
                Some(frame) => {
                    frame.vstack_mut_owned(batch).map_err(|e| {
                        RunError::Failed(format!("the server's batches differ: {e}"))
                    })?;
                }
                None => whole = Some(batch),
            }
            Ok(())
        })?;
        let mut frame = whole
            .ok_or_else(|| RunError::Failed("the server's result had no columns".to_owned()))?;
        frame.rechunk_mut_par();
        Ok(frame)
    }

    /// Runs `plan` on the server like [`ClickHouse::collect`], handing each
    /// batch of its result to `on_batch` as it arrives (at least one: a
    /// result of no rows gives an empty frame with its columns), so that
    /// the whole result is never held. At most two batches wait while
    /// `on_batch` works. An error from `on_batch` stops the query on the
    /// server.
    pub fn stream<E: From<RunError>>(
        &self,
        plan: &Plan,
        schema: Option<&Schema>,
        cancel: &Cancel,
        mut on_batch: impl FnMut(DataFrame) -> Result<(), E>,
    ) -> Result<(), E> {
        let (statement, columns) =
            sql::statement(plan, self).map_err(|e| RunError::Failed(e.to_string()))?;
        let own = Schema::new(columns);
        let schema = schema.unwrap_or(&own);
        let id = query_id();
        let (sender, receiver) = mpsc::sync_channel(2);
        let connection = self.connection.clone();
        let (thread_id, thread_statement) = (id.clone(), statement);
        std::thread::Builder::new()
            .name("infraql-clickhouse".to_owned())
            .spawn(move || deliver(&connection, &thread_statement, &thread_id, &sender))
            .map_err(|e| RunError::Failed(format!("cannot start a query thread: {e}")))?;
        started(&id);
        let stop = || {
            self.connection.kill(&id);
            ended(&id);
        };
        let mut asked = std::time::Instant::now();
        loop {
            if asked.elapsed() >= PROGRESS_POLL {
                asked = std::time::Instant::now();
                self.ask_progress(&id);
            }
            match receiver.recv_timeout(CANCEL_POLL) {
                Ok(Delivery::Batch(batch)) => {
                    let batch = match conform(batch, schema) {
                        Ok(batch) => batch,
                        Err(e) => {
                            stop();
                            return Err(RunError::Failed(e).into());
                        }
                    };
                    if let Err(e) = on_batch(batch) {
                        stop();
                        return Err(e);
                    }
                }
                Ok(Delivery::Failed(error)) => {
                    ended(&id);
                    return Err(self.explain(error, plan).into());
                }
                Ok(Delivery::End) => break,
                Err(mpsc::RecvTimeoutError::Timeout) if cancel.is_cancelled() => {
                    stop();
                    return Err(RunError::Cancelled.into());
                }
                Err(mpsc::RecvTimeoutError::Timeout) => continue,
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    stop();
                    return Err(RunError::Failed(
                        "the query thread ended without an answer".to_owned(),
                    )
                    .into());
                }
            }
        }
        ended(&id);
        Ok(())
    }

    /// Asks the server, on a thread of its own, how far the query `id`
    /// has read, for [`progress`].
    fn ask_progress(&self, id: &str) {
        let connection = self.connection.clone();
        let sql = format!(
            "SELECT read_rows, read_bytes FROM system.processes WHERE query_id = {}",
            sql::string(id)
        );
        let id = id.to_owned();
        let _ = std::thread::Builder::new()
            .name("infraql-progress".to_owned())
            .spawn(move || {
                let Ok(text) = connection.query_text(&sql, &query_id()) else {
                    return;
                };
                let mut fields = text.split_whitespace().map(|f| f.parse::<u64>().ok());
                if let (Some(Some(rows)), Some(Some(bytes))) = (fields.next(), fields.next()) {
                    advanced(&id, Progress { rows, bytes });
                }
            });
    }

    /// A server error in the language's terms.
    fn explain(&self, error: HttpError, plan: &Plan) -> RunError {
        match &error {
            HttpError::Server { code, message, .. }
                if *code == THROW_IF && message.contains(OVERFLOW_MARK) =>
            {
                let checked = plan.checked_texts();
                let texts: Vec<String> = checked.iter().map(|(t, _)| t.clone()).collect();
                RunError::Overflow {
                    message: crate::engine::polars::errors::overflow(&texts),
                    at: match checked.as_slice() {
                        [(_, span)] => Some(*span),
                        _ => None,
                    },
                }
            }
            HttpError::Server { code, message, .. }
                if *code == THROW_IF && message.contains(DUPLICATE_KEY_MARK) =>
            {
                RunError::Failed(
                    plan.duplicate_key_messages()
                        .into_iter()
                        .find(|m| message.contains(m.as_str()))
                        .unwrap_or_else(|| {
                            "diff: a key is not unique in one of the inputs".to_owned()
                        }),
                )
            }
            HttpError::Server { code, message, .. }
                if *code == THROW_IF && message.contains(TIME_RANGE_MARK) =>
            {
                RunError::Failed(
                    "the query makes a time outside the years 0000 to 9999 (from `to_datetime` or datetime arithmetic), which the ClickHouse server cannot hold (it would move it to the nearest instant it has): keep those rows out first, e.g. `where timestamp >= -62167219200 and timestamp < 253402300800`".to_owned(),
                )
            }
            HttpError::Server { code, .. } if *code == QUERY_WAS_CANCELLED => RunError::Cancelled,
            HttpError::Server { code, .. } if STALE.contains(code) => RunError::Stale(format!(
                "{error}; the server's tables changed since they were read, so they have been read again: check the names (.schema) and run the query again"
            )),
            _ => RunError::Failed(error.to_string()),
        }
    }
}

impl Tables for ClickHouse {
    fn remote(&self, name: &str) -> Option<&RemoteTable> {
        self.tables.get(name)
    }
}

fn schema_of(table: &RemoteTable) -> Schema {
    Schema::new(
        table
            .columns
            .iter()
            .filter_map(|(name, ty, _)| ty.map(|ty| (name.clone(), ty))),
    )
}

/// The frame with the language's column types (Arrow brings datetimes with
/// a UTC zone and durations as microsecond counts).
fn conform(frame: DataFrame, schema: &Schema) -> Result<DataFrame, String> {
    let mut columns = Vec::with_capacity(schema.columns.len());
    for crate::plan::schema::Column { name, ty } in &schema.columns {
        let column = frame
            .column(name)
            .map_err(|_| format!("the server's result has no column `{name}`"))?;
        let wanted = to_dtype(*ty);
        let column = if column.dtype() == &wanted {
            column.clone()
        } else if *ty == Type::Null {
            column
                .cast(&DataType::Null)
                .unwrap_or_else(|_| column.clone())
        } else {
            column.cast(&wanted).map_err(|e| {
                format!(
                    "the server's column `{name}` is not {}: {e}",
                    ty.with_article()
                )
            })?
        };
        columns.push(column);
    }
    let height = frame.height();
    DataFrame::new(height, columns).map_err(|e| e.to_string())
}

/// What the query thread hands over.
enum Delivery {
    Batch(DataFrame),
    Failed(HttpError),
    End,
}

/// Runs `statement` and sends its batches, then the end or the error; stops
/// when nobody listens any more (the run was cancelled or failed).
fn deliver(
    connection: &Connection,
    statement: &str,
    id: &str,
    sender: &mpsc::SyncSender<Delivery>,
) {
    let mut batches = match connection.query_batches(statement, id) {
        Ok(batches) => batches,
        Err(error) => {
            let _ = sender.send(Delivery::Failed(error));
            return;
        }
    };
    let mut sent = false;
    while let Some(batch) = batches.next_batch() {
        let delivery = match batch {
            Ok(batch) => Delivery::Batch(batch),
            Err(error) => Delivery::Failed(connection.stream_error(error)),
        };
        let failed = matches!(delivery, Delivery::Failed(_));
        if sender.send(delivery).is_err() || failed {
            return;
        }
        sent = true;
    }
    if !sent {
        let empty = match batches.empty() {
            Some(Ok(frame)) => Delivery::Batch(frame),
            Some(Err(error)) => Delivery::Failed(connection.stream_error(error)),
            None => Delivery::Failed(connection.stream_error(arrow_stream::StreamError::Damaged(
                "the result was empty".to_owned(),
            ))),
        };
        if sender.send(empty).is_err() {
            return;
        }
    }
    let _ = sender.send(Delivery::End);
}

/// A fresh query id: the process, a counter and the time, so that Ctrl-C
/// can name the query to stop on the server.
pub fn query_id() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("infraql-{}-{n}-{nanos}", std::process::id())
}

/// One field of ClickHouse's TabSeparated output, its escapes undone.
fn unescape_tsv(field: &str) -> String {
    let mut out = String::with_capacity(field.len());
    let mut chars = field.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('t') => out.push('\t'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('0') => out.push('\0'),
            Some('b') => out.push('\u{8}'),
            Some('f') => out.push('\u{c}'),
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tab_separated_escapes_are_undone() {
        assert_eq!(unescape_tsv("a\\tb\\\\c\\nd"), "a\tb\\c\nd");
    }

    #[test]
    fn query_ids_differ() {
        assert_ne!(query_id(), query_id());
    }
}
