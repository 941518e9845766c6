//! Engines run logical plans. Polars is the one engine today; the logical
//! plan is kept free of it so that another (ClickHouse SQL) can follow.

pub mod memory;
pub mod polars;
