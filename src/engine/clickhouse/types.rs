//! ClickHouse column types as the language sees them.
//!
//! (U)Int8..64 are ints, Float32/64 floats; String, FixedString,
//! LowCardinality(String) and Enum are strings; Bool is bool; Date and
//! Date32 dates; DateTime and DateTime64 datetimes (read in UTC);
//! `Nullable(T)` is T with nulls. Everything else (Array, Map, Tuple, JSON,
//! Decimal, UInt128, UUID, IPv4…) has no language type: such a column is
//! listed with its ClickHouse type, and a query that reads it is refused
//! before anything is sent.

use crate::plan::types::Type;

/// The language type of the ClickHouse type `name` (as `system.columns`
/// writes it), if it has one.
pub fn language_type(name: &str) -> Option<Type> {
    let name = name.trim();
    if let Some(inner) = wrapped(name, "Nullable").or_else(|| wrapped(name, "LowCardinality")) {
        return language_type(inner);
    }
    let base = name.split('(').next().unwrap_or(name);
    Some(match base {
        "Int8" | "Int16" | "Int32" | "Int64" | "UInt8" | "UInt16" | "UInt32" => Type::Int,
        // UInt64 above 2^63 would not fit: it is read as Int64 only after a
        // checked conversion (see `sql`), which fails on such a value.
        "UInt64" => Type::Int,
        "Float32" | "Float64" => Type::Float,
        "String" | "FixedString" | "Enum8" | "Enum16" | "Enum" => Type::String,
        "Bool" | "Boolean" => Type::Bool,
        "Date" | "Date32" => Type::Date,
        "DateTime" | "DateTime64" => Type::Datetime,
        _ => return None,
    })
}

/// Whether values of this ClickHouse type can be null.
pub fn is_nullable(name: &str) -> bool {
    let name = name.trim();
    name.starts_with("Nullable(")
        || wrapped(name, "LowCardinality").is_some_and(|inner| inner.starts_with("Nullable("))
}

/// `T` of `Outer(T)`.
fn wrapped<'a>(name: &'a str, outer: &str) -> Option<&'a str> {
    name.strip_prefix(outer)?
        .strip_prefix('(')?
        .strip_suffix(')')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_types_of_the_access_log_table() {
        for (name, ty) in [
            ("LowCardinality(String)", Type::String),
            ("String", Type::String),
            ("FixedString(2)", Type::String),
            ("Enum8('GET' = 1, 'POST' = 2)", Type::String),
            ("UInt16", Type::Int),
            ("Int64", Type::Int),
            ("UInt64", Type::Int),
            ("Float32", Type::Float),
            ("Nullable(Float64)", Type::Float),
            ("Bool", Type::Bool),
            ("Date", Type::Date),
            ("Date32", Type::Date),
            ("DateTime", Type::Datetime),
            ("DateTime('UTC')", Type::Datetime),
            ("DateTime64(3, 'Europe/Berlin')", Type::Datetime),
            ("LowCardinality(Nullable(String))", Type::String),
        ] {
            assert_eq!(language_type(name), Some(ty), "{name}");
        }
    }

    #[test]
    fn types_without_a_language_type_are_none() {
        for name in [
            "Array(String)",
            "Map(String, UInt64)",
            "Tuple(a Int8)",
            "Decimal(10, 2)",
            "UInt128",
            "Int256",
            "UUID",
            "IPv4",
            "JSON",
            "Nullable(Decimal(10, 2))",
        ] {
            assert_eq!(language_type(name), None, "{name}");
        }
    }

    #[test]
    fn nullability_is_read_through_low_cardinality() {
        assert!(is_nullable("Nullable(String)"));
        assert!(is_nullable("LowCardinality(Nullable(String))"));
        assert!(!is_nullable("LowCardinality(String)"));
        assert!(!is_nullable("Int64"));
    }
}
