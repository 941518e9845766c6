//! The value types of the language, independent of any engine.
//!
//! Resolution checks every expression against these types before a query
//! runs; the engine maps them to its own (Polars dtypes today). Nothing here
//! knows about Polars.

use std::fmt;

/// The type of a column or an expression.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Type {
    /// 64-bit signed integer (other integer widths are widened to this).
    Int,
    /// 64-bit float.
    Float,
    /// UTF-8 text.
    String,
    /// true / false.
    Bool,
    /// A calendar date.
    Date,
    /// A point in time, microsecond precision, no time zone.
    Datetime,
    /// A length of time.
    Duration,
    /// The type of the `null` literal: fits anywhere.
    Null,
}

impl Type {
    /// Int or Float (or an untyped null).
    pub fn is_numeric(self) -> bool {
        matches!(self, Type::Int | Type::Float | Type::Null)
    }

    /// Types whose values can be ordered with `<` and friends.
    pub fn is_ordered(self) -> bool {
        !matches!(self, Type::Bool)
    }

    /// The name with its article, for messages: "an int", "a string".
    pub fn with_article(self) -> String {
        match self {
            Type::Int => "an int".to_owned(),
            other => format!("a {}", other.name()),
        }
    }

    /// The name shown to users in schemas and error messages.
    pub fn name(self) -> &'static str {
        match self {
            Type::Int => "int",
            Type::Float => "float",
            Type::String => "string",
            Type::Bool => "bool",
            Type::Date => "date",
            Type::Datetime => "datetime",
            Type::Duration => "duration",
            Type::Null => "null",
        }
    }
}

impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
