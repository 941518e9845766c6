//! Text to syntax tree.
//!
//! `parse` is the entry point: it finds the newlines that end statements
//! (`layout`), then runs the nom grammar (`parser`) over the text. Nothing
//! here knows which tables, columns or functions exist.
//!
//! Invariant: parsing never panics and never recurses without bound.

pub mod ast;
mod error;
mod layout;
pub mod lexeme;
pub mod parser;
pub mod print;

pub use error::SyntaxError;
pub use layout::is_unfinished;

use crate::diagnostic::Diagnostic;

/// Parses a whole script.
pub fn parse(text: &str) -> Result<ast::Script, Diagnostic> {
    let marked = layout::mark_statement_ends(text);
    parser::complete(&marked, parser::script).map_err(|e| e.to_diagnostic(text))
}

/// Parses one expression (used by tools and tests).
pub fn parse_expr(text: &str) -> Result<ast::Expr, Diagnostic> {
    parser::complete(text, parser::expr).map_err(|e| e.to_diagnostic(text))
}
