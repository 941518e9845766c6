//! Typed cell values and the tables the importer builds from them.
//!
//! Each record type names its cells after the columns of its
//! [`TableDef`](crate::datasets::tables::TableDef); a test checks that the
//! names, their order and the value types agree with the definition.

use std::fmt;

use chrono::NaiveDate;

use super::values::Decimal;
use crate::datasets::tables::TableDef;
use crate::plan::types::Type;

/// One cell value, typed as the column it belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Value {
    Str(String),
    Int(i64),
    Float(Decimal),
    Bool(bool),
    Date(NaiveDate),
}

/// A cell: `None` is null.
pub type Cell = Option<Value>;

impl Value {
    pub fn ty(&self) -> Type {
        match self {
            Value::Str(_) => Type::String,
            Value::Int(_) => Type::Int,
            Value::Float(_) => Type::Float,
            Value::Bool(_) => Type::Bool,
            Value::Date(_) => Type::Date,
        }
    }
}

impl fmt::Display for Value {
    /// The CSV text: integers and decimals as digits, `true`/`false`, `YYYY-MM-DD`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Str(text) => f.write_str(text),
            Value::Int(number) => write!(f, "{number}"),
            Value::Float(number) => write!(f, "{number}"),
            Value::Bool(flag) => write!(f, "{flag}"),
            Value::Date(date) => write!(f, "{}", date.format("%Y-%m-%d")),
        }
    }
}

impl From<String> for Value {
    fn from(text: String) -> Value {
        Value::Str(text)
    }
}

impl From<&str> for Value {
    fn from(text: &str) -> Value {
        Value::Str(text.to_string())
    }
}

impl From<i64> for Value {
    fn from(number: i64) -> Value {
        Value::Int(number)
    }
}

impl From<Decimal> for Value {
    fn from(number: Decimal) -> Value {
        Value::Float(number)
    }
}

impl From<bool> for Value {
    fn from(flag: bool) -> Value {
        Value::Bool(flag)
    }
}

impl From<NaiveDate> for Value {
    fn from(date: NaiveDate) -> Value {
        Value::Date(date)
    }
}

/// A cell from an optional value.
pub fn cell<T: Into<Value>>(value: Option<T>) -> Cell {
    value.map(Into::into)
}

/// A row of one bundled table.
pub trait Record {
    /// The table the row belongs to.
    const TABLE: TableDef;

    /// The cells, named after and ordered as the table's columns.
    fn cells(self) -> Vec<(&'static str, Cell)>;
}

/// One imported table: its definition and its rows, cells in column order.
#[derive(Debug, Clone)]
pub struct Table {
    pub def: TableDef,
    pub rows: Vec<Vec<Cell>>,
}

impl Table {
    pub fn from_records<R: Record>(records: Vec<R>) -> Table {
        Table {
            def: R::TABLE,
            rows: records
                .into_iter()
                .map(|record| record.cells().into_iter().map(|(_, value)| value).collect())
                .collect(),
        }
    }
}

#[cfg(test)]
pub mod tests {
    use super::*;

    /// Asserts that `record` has the cells of its table, in order and typed.
    pub fn assert_follows_definition<R: Record>(record: R) {
        let cells = record.cells();
        let names: Vec<_> = cells.iter().map(|(name, _)| *name).collect();
        let expected: Vec<_> = R::TABLE.column_names().collect();
        assert_eq!(names, expected, "columns of {}", R::TABLE.name);
        for ((name, value), column) in cells.iter().zip(R::TABLE.columns) {
            if let Some(value) = value {
                assert_eq!(value.ty(), column.ty, "type of {}.{name}", R::TABLE.name);
            }
        }
    }

    #[test]
    fn values_print_as_csv_text() {
        let date = NaiveDate::from_ymd_opt(2025, 3, 9).unwrap();
        let shown: Vec<String> = [
            Value::from("a b"),
            Value::from(42),
            Value::from(Decimal::parse("0.50").unwrap()),
            Value::from(true),
            Value::from(date),
        ]
        .iter()
        .map(ToString::to_string)
        .collect();
        assert_eq!(shown, ["a b", "42", "0.50", "true", "2025-03-09"]);
    }
}
