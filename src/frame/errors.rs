//! Polars errors in the user's terms: frames are Polars frames, so reading,
//! writing and computing them fails with Polars errors, whichever engine
//! produced the frame.
//!
//! Polars messages name its internals and often append a dump of the plan.
//! Resolution already rules out unknown names and type mistakes, so what
//! reaches here is mostly about data and files: say that plainly, keep the
//! one line of detail that helps, drop the rest.

use ::polars::prelude::PolarsError;

/// What a result too long for the engine's 32-bit row numbers gets.
pub const TOO_MANY_ROWS: &str = "the result would have more than 4,294,967,295 rows, more than the engine can hold; filter or aggregate before this";

/// One sentence describing `error` for a user.
pub fn describe(error: &PolarsError) -> String {
    let detail = first_line(&error.to_string());
    if detail.contains("maximum length reached") {
        return TOO_MANY_ROWS.to_owned();
    }
    match error {
        PolarsError::IO { error, .. } => match error.kind() {
            std::io::ErrorKind::NotFound => "file not found".to_owned(),
            std::io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
            _ => format!("input/output error: {}", first_line(&error.to_string())),
        },
        PolarsError::ComputeError(_)
            if detail.contains("could not parse") || detail.contains("conversion") =>
        {
            format!(
                "a value does not fit its column's type ({})",
                soften(&detail)
            )
        }
        PolarsError::ComputeError(_) => soften(&detail),
        PolarsError::InvalidOperation(_) => {
            format!("operation not possible on this data: {}", soften(&detail))
        }
        PolarsError::SchemaMismatch(_) | PolarsError::SchemaFieldNotFound(_) => {
            format!(
                "the data does not have the expected columns: {}",
                soften(&detail)
            )
        }
        PolarsError::ColumnNotFound(_) => {
            format!("column not found in the data: {}", soften(&detail))
        }
        PolarsError::OutOfBounds(_) => format!("value out of range: {}", soften(&detail)),
        PolarsError::Duplicate(_) => format!("duplicate column: {}", soften(&detail)),
        PolarsError::NoData(_) => "the file holds no data".to_owned(),
        _ => soften(&detail),
    }
}

/// The first meaningful line of a Polars message.
pub(crate) fn first_line(message: &str) -> String {
    message
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("unknown error")
        .to_owned()
}

/// Drops Polars' own hints that name its API rather than the language.
fn soften(detail: &str) -> String {
    let cut = [
        "\n",
        "; consider",
        " Consider",
        "\n\nResolved plan",
        "This error occurred",
    ]
    .iter()
    .filter_map(|marker| detail.find(marker))
    .min()
    .unwrap_or(detail.len());
    detail[..cut]
        .trim_end_matches([' ', ':', ',', '.'])
        .to_owned()
}
