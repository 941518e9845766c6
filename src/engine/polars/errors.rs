//! Polars errors in the user's terms.
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

/// Whether `error` is checked integer arithmetic whose result did not fit
/// in 64 bits (it is computed in 128 bits and narrowed strictly).
pub fn is_overflow(error: &PolarsError) -> bool {
    error
        .to_string()
        .contains("conversion from `i128` to `i64` failed")
}

/// The message for an overflow in one of `texts`, the checked expressions
/// of the query as written.
pub fn overflow(texts: &[String]) -> String {
    let what = match texts {
        [one] => format!(" in `{one}`"),
        [] => String::new(),
        several => format!(
            " in one of {}",
            several
                .iter()
                .map(|t| format!("`{t}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    format!("integer overflow{what}: a result does not fit in a 64-bit integer")
}

/// A panic inside the engine (a bug in it, or a limit it enforces by
/// panicking) as a message: the query fails, the process goes on.
pub fn panicked(payload: &(dyn std::any::Any + Send)) -> String {
    let text = payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("no message");
    if text.contains("maximum length reached") {
        return TOO_MANY_ROWS.to_owned();
    }
    format!("the engine failed on this query ({})", first_line(text))
}

/// The first meaningful line of a Polars message.
fn first_line(message: &str) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_too_long_for_the_engine_say_so() {
        let error = PolarsError::ComputeError(
            "Polars' maximum length reached. Consider compiling with 'bigidx' feature.".into(),
        );
        assert_eq!(describe(&error), TOO_MANY_ROWS);
        let payload: Box<dyn std::any::Any + Send> =
            Box::new("Polars' maximum length reached. Consider compiling with 'bigidx' feature.");
        assert_eq!(panicked(payload.as_ref()), TOO_MANY_ROWS);
        let other: Box<dyn std::any::Any + Send> =
            Box::new(String::from("index out of bounds\nat x"));
        assert_eq!(
            panicked(other.as_ref()),
            "the engine failed on this query (index out of bounds)"
        );
    }

    #[test]
    fn io_errors_are_plain() {
        let error = PolarsError::IO {
            error: std::sync::Arc::new(std::io::Error::from(std::io::ErrorKind::NotFound)),
            msg: None,
        };
        assert_eq!(describe(&error), "file not found");
    }

    #[test]
    fn hints_naming_the_api_are_dropped() {
        let error = PolarsError::ComputeError(
            "could not parse `x` as dtype i64; consider using infer_schema_length".into(),
        );
        let text = describe(&error);
        assert!(text.starts_with("a value does not fit"), "{text}");
        assert!(!text.contains("infer_schema_length"), "{text}");
    }
}
