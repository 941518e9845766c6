//! The result frame every engine answers with: a Polars `DataFrame`, the
//! in-memory columnar table that rendering, export and charts read.
//! `types` maps its column types to the language's and back; `errors`
//! words its failures for people. Nothing here runs queries.

pub mod errors;
pub mod types;
