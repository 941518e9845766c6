//! Name and type resolution, and the backend-neutral logical plan.
//!
//! Invariant: nothing under `plan` imports Polars; this is the boundary a
//! second backend (ClickHouse SQL) will plug into.

pub mod explain;
pub mod functions;
pub mod logical;
pub mod resolve;
pub mod schema;
pub mod types;
pub mod window;
