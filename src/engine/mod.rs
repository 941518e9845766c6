//! Engines run logical plans: Polars (`polars`) for files and the bundled
//! tables, ClickHouse (`clickhouse`) for a connected database. [`Backends`]
//! is the seam the session runs plans through: it answers where each
//! table lives and runs a plan on the engine that has its data — or, for a
//! plan that mixes the two, runs its largest ClickHouse-only parts on the
//! server and the rest on Polars.
//!
//! `memory` is the budget a local run is held to; `allocator` turns a
//! refused allocation into a stopped query.

pub mod allocator;
pub mod clickhouse;
pub mod memory;
pub mod polars;

use ::polars::prelude::DataFrame;

use crate::cancel::Cancel;
use crate::diagnostic::Span;
use crate::plan::logical::Plan;
use crate::plan::resolve::Catalog;
use crate::plan::schema::Schema;

/// Why a plan produced no frame, on any engine.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RunError {
    /// Stopped by Ctrl-C.
    #[error("cancelled")]
    Cancelled,
    /// Stopped because the process outgrew the memory budget (in bytes).
    #[error("{}", memory::exceeded_message(*.0))]
    OverBudget(u64),
    /// Stopped because the system refused an allocation (an address-space
    /// limit).
    #[error("{}", memory::refused_message())]
    OutOfMemory,
    /// The query could not be answered; the message says why in the
    /// language's terms (a file and line where a file is to blame).
    #[error("{0}")]
    Failed(String),
    /// Checked arithmetic overflowed. `at` is the place of the expression
    /// when the plan has only one that could.
    #[error("{message}")]
    Overflow { message: String, at: Option<Span> },
    /// The server no longer has a table or column it had when its tables
    /// were read: they are read again (see `Session::run`).
    #[error("{0}")]
    Stale(String),
}

/// Where a table lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Location {
    Local,
    ClickHouse,
}

/// The engines of a session.
#[derive(Clone)]
pub struct Backends {
    pub local: polars::Engine,
    pub remote: Option<clickhouse::ClickHouse>,
}

impl Backends {
    pub fn new(local: polars::Engine) -> Backends {
        Backends {
            local,
            remote: None,
        }
    }

    /// Where the table `name` lives: a local name hides a remote one.
    pub fn location(&self, name: &str) -> Option<Location> {
        if self.local.table(name).is_some() {
            Some(Location::Local)
        } else if self
            .remote
            .as_ref()
            .is_some_and(|r| r.table(name).is_some())
        {
            Some(Location::ClickHouse)
        } else {
            None
        }
    }

    /// Whether every table `plan` reads is on the server (and it reads no
    /// file).
    pub fn all_remote(&self, plan: &Plan) -> bool {
        self.remote.is_some() && self.reads_only_remote(plan)
    }

    fn reads_only_remote(&self, plan: &Plan) -> bool {
        match plan {
            Plan::Table { name } => self.location(name) == Some(Location::ClickHouse),
            Plan::File { .. } => false,
            _ => plan.inputs().into_iter().all(|p| self.reads_only_remote(p)),
        }
    }

    /// Whether `plan` reads any table on the server.
    fn any_remote(&self, plan: &Plan) -> bool {
        match plan {
            Plan::Table { name } => self.location(name) == Some(Location::ClickHouse),
            Plan::File { .. } => false,
            _ => plan.inputs().into_iter().any(|p| self.any_remote(p)),
        }
    }

    /// Runs `plan`, whose result has `schema`; `cancel` stops it.
    pub fn collect(
        &self,
        plan: &Plan,
        schema: &Schema,
        cancel: &Cancel,
    ) -> Result<DataFrame, RunError> {
        match &self.remote {
            Some(remote) if self.all_remote(plan) => remote.collect(plan, Some(schema), cancel),
            Some(remote) if self.any_remote(plan) => {
                let mut local = self.local.clone();
                let mut parts = 0;
                let rewritten =
                    self.fetch_remote_parts(plan, remote, &mut local, &mut parts, cancel)?;
                local.collect(&rewritten)
            }
            _ => self.local.collect(plan),
        }
    }

    /// Runs a server-only `plan` (see [`Backends::all_remote`]), handing
    /// its result to `on_batch` batch by batch as the server sends it, so
    /// that the whole result is never held here.
    pub fn stream<E: From<RunError>>(
        &self,
        plan: &Plan,
        schema: &Schema,
        cancel: &Cancel,
        on_batch: impl FnMut(DataFrame) -> Result<(), E>,
    ) -> Result<(), E> {
        match &self.remote {
            Some(remote) if self.all_remote(plan) => {
                remote.stream(plan, Some(schema), cancel, on_batch)
            }
            _ => Err(RunError::Failed(
                "only a query that reads nothing but server tables can be streamed".to_owned(),
            )
            .into()),
        }
    }

    /// The first `rows` rows of a server-only `plan` and how many rows it
    /// has in all: the rows plus one are fetched, and only when there are
    /// more is the server asked for the count.
    pub fn preview(
        &self,
        plan: &Plan,
        schema: &Schema,
        cancel: &Cancel,
        rows: usize,
    ) -> Result<(DataFrame, usize), RunError> {
        let Some(remote) = &self.remote else {
            let frame = self.local.collect(plan)?;
            let total = frame.height();
            return Ok((frame, total));
        };
        let limited = Plan::Limit {
            input: Box::new(plan.clone()),
            count: rows as u64 + 1,
        };
        let frame = remote.collect(&limited, Some(schema), cancel)?;
        if frame.height() <= rows {
            let total = frame.height();
            return Ok((frame, total));
        }
        let counting = Plan::Aggregate {
            input: Box::new(plan.clone()),
            keys: Vec::new(),
            aggregates: vec![(
                "count".to_owned(),
                crate::plan::logical::Expr::Aggregate(
                    crate::plan::functions::Aggregate::CountRows,
                    Vec::new(),
                ),
            )],
            ordered: true,
        };
        let counted = remote.collect(&counting, None, cancel)?;
        let total = counted
            .column("count")
            .ok()
            .and_then(|c| c.i64().ok().and_then(|c| c.get(0)))
            .and_then(|n| usize::try_from(n).ok())
            .ok_or_else(|| {
                RunError::Failed("the server's row count could not be read".to_owned())
            })?;
        Ok((frame.head(Some(rows)), total))
    }

    /// How `plan` runs, for `.explain`: the SQL of each part that runs on
    /// the server, then the plan Polars runs (when any runs locally).
    pub fn explain(&self, plan: &Plan) -> Result<String, String> {
        let mut out = String::new();
        let mut parts = Vec::new();
        let local_plan = match &self.remote {
            Some(remote) if self.any_remote(plan) => {
                let rewritten = self.remote_parts(plan, &mut parts);
                for (index, part) in parts.iter().enumerate() {
                    let sql = remote.sql(part).map_err(|e| e.to_string())?;
                    let heading = if self.all_remote(plan) {
                        format!("ClickHouse SQL (on {}):", remote.server())
                    } else {
                        format!(
                            "ClickHouse SQL, part {} (on {}; its rows go to the local engine as `__infraql_remote_{}`):",
                            index + 1,
                            remote.server(),
                            index + 1
                        )
                    };
                    out.push_str(&heading);
                    out.push('\n');
                    out.push_str(&indent(&clickhouse::sql::pretty(&sql)));
                }
                if self.all_remote(plan) {
                    return Ok(out);
                }
                rewritten
            }
            _ => plan.clone(),
        };
        let mut local = self.local.clone();
        for (index, part) in parts.iter().enumerate() {
            // Stand-ins with the right columns, so Polars can plan the rest.
            let schema = match &self.remote {
                Some(remote) => remote.collect_schema(part).map_err(|e| e.to_string())?,
                None => Schema::default(),
            };
            local
                .add_empty(&format!("__infraql_remote_{}", index + 1), &schema)
                .map_err(|e| e.to_string())?;
        }
        out.push_str("Polars plan (optimised):\n");
        out.push_str(&indent(&local.explain(&local_plan)?));
        Ok(out)
    }

    /// `plan` with its largest server-only parts taken out into `parts`
    /// and replaced by the names their rows will have locally.
    fn remote_parts(&self, plan: &Plan, parts: &mut Vec<Plan>) -> Plan {
        if self.all_remote(plan) {
            parts.push(plan.clone());
            return Plan::Table {
                name: format!("__infraql_remote_{}", parts.len()),
            };
        }
        let mut rewritten = plan.clone();
        for input in rewritten.inputs_mut() {
            *input = self.remote_parts(input, parts);
        }
        rewritten
    }

    /// `plan` with each largest server-only part run on the server and
    /// replaced by a local table holding its answer.
    fn fetch_remote_parts(
        &self,
        plan: &Plan,
        remote: &clickhouse::ClickHouse,
        local: &mut polars::Engine,
        parts: &mut usize,
        cancel: &Cancel,
    ) -> Result<Plan, RunError> {
        if self.all_remote(plan) {
            let frame = remote.collect(plan, None, cancel)?;
            *parts += 1;
            let name = format!("__infraql_remote_{parts}");
            local.add_frame(&name, frame).map_err(RunError::Failed)?;
            return Ok(Plan::Table { name });
        }
        let mut rewritten = plan.clone();
        for input in rewritten.inputs_mut() {
            *input = self.fetch_remote_parts(input, remote, local, parts, cancel)?;
        }
        Ok(rewritten)
    }
}

fn indent(text: &str) -> String {
    text.lines().map(|line| format!("  {line}\n")).collect()
}

impl Backends {
    /// Reads the server's tables again (after it reported one changed).
    pub fn refresh_remote(&mut self) -> Result<(), String> {
        match &mut self.remote {
            Some(remote) => remote.refresh(),
            None => Ok(()),
        }
    }
}

impl Catalog for Backends {
    fn table(&self, name: &str) -> Option<Schema> {
        self.local
            .table(name)
            .or_else(|| self.remote.as_ref().and_then(|r| r.table(name)))
    }

    fn table_names(&self) -> Vec<String> {
        let mut names = self.local.table_names();
        if let Some(remote) = &self.remote {
            names.extend(remote.tables().map(|(n, _, _)| n.to_owned()));
        }
        names.sort();
        names.dedup();
        names
    }

    fn file(&self, path: &str) -> Result<Schema, String> {
        self.local.file(path)
    }
}
