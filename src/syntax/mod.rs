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
pub mod limits;
pub mod parser;
pub mod print;
pub mod tokens;

pub use error::SyntaxError;
pub use layout::{is_unfinished, mark_statement_ends};

use crate::diagnostic::Diagnostic;

/// Stack for the parser's thread. Each nesting level costs tens of
/// kilobytes in unoptimised builds; this leaves a wide margin above
/// [`parser::MAX_DEPTH`] levels whatever thread the caller is on.
const PARSER_STACK: usize = 32 << 20;

/// Parses a whole script.
pub fn parse(text: &str) -> Result<ast::Script, Diagnostic> {
    let parse_here = || {
        let marked = layout::mark_statement_ends(text);
        let script =
            parser::complete(&marked, parser::script).map_err(|e| e.to_diagnostic(text))?;
        limits::check(&script)?;
        Ok(script)
    };
    std::thread::scope(|scope| {
        let spawned = std::thread::Builder::new()
            .name("infraql-parser".to_owned())
            .stack_size(PARSER_STACK)
            .spawn_scoped(scope, parse_here);
        match spawned {
            Ok(handle) => handle.join().unwrap_or_else(|_| {
                Err(Diagnostic::new(
                    "internal error: the parser stopped unexpectedly",
                ))
            }),
            // No thread to be had: parse here, within the depth limit.
            Err(_) => parse_here(),
        }
    })
}

/// Parses one expression (used by tools and tests).
pub fn parse_expr(text: &str) -> Result<ast::Expr, Diagnostic> {
    parser::complete(text, parser::expr).map_err(|e| e.to_diagnostic(text))
}
