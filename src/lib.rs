//! infraql: a pipeline query language over the ecosyste.ms infrastructure data.

pub mod cancel;
pub mod commands;
pub mod complete;
pub mod datasets;
pub mod diagnostic;
pub mod driver;
pub mod engine;
pub mod export;
pub mod format;
pub mod frame;
pub mod highlight;
pub mod import;
pub mod plan;
pub mod render;
pub mod results;
pub mod script;
pub mod session;
pub mod syntax;
