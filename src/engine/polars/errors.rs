//! The local engine's own failures in the user's terms: overflow of
//! checked arithmetic and panics inside the engine. Polars errors in
//! general are worded by `crate::frame::errors`.

use ::polars::prelude::PolarsError;

use crate::frame::errors::first_line;
pub use crate::frame::errors::{TOO_MANY_ROWS, describe};

/// What starts the error of a `diff` input holding a key twice; the
/// message follows it to the end of its line.
pub const DUPLICATE_KEY_MARK: &str = "infraql-duplicate-key: ";

/// The message of a `diff` input holding a key twice, if that is `error`.
pub fn duplicate_key(error: &PolarsError) -> Option<String> {
    let text = error.to_string();
    let (_, rest) = text.split_once(DUPLICATE_KEY_MARK)?;
    Some(rest.lines().next().unwrap_or("").to_owned())
}

/// Whether `error` is checked integer arithmetic whose result did not fit
/// in 64 bits (it is computed in 128 bits and narrowed strictly).
pub fn is_overflow(error: &PolarsError) -> bool {
    error
        .to_string()
        .contains("conversion from `i128` to `i64` failed")
}

/// Whether `error` is the system refusing memory: mapping a file or
/// growing a buffer under an address-space limit fails with ENOMEM, which
/// Polars reports as an I/O error.
pub fn is_out_of_memory(error: &PolarsError) -> bool {
    match error {
        PolarsError::IO { error, .. } => error.kind() == std::io::ErrorKind::OutOfMemory,
        PolarsError::Context { error, .. } | PolarsError::ExprContext { error, .. } => {
            is_out_of_memory(error)
        }
        _ => false,
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_mapping_is_out_of_memory_however_wrapped() {
        let refused = || PolarsError::from(std::io::Error::from_raw_os_error(libc::ENOMEM));
        assert!(is_out_of_memory(&refused()));
        assert!(is_out_of_memory(
            &refused().context("reading a file".into())
        ));
        let missing = PolarsError::from(std::io::Error::from(std::io::ErrorKind::NotFound));
        assert!(!is_out_of_memory(&missing));
    }

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
