//! Result values as display cells, independent of the engine's types.

use ::polars::prelude::{AnyValue, DataFrame, TimeUnit};
use chrono::{DateTime, NaiveDate, NaiveDateTime};

use crate::plan::types::Type;

/// One value of a result, as the table view sees it.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Null,
    Int(i128),
    Float(f64),
    Bool(bool),
    Text(String),
    Date(NaiveDate),
    Datetime(NaiveDateTime),
    /// Microseconds.
    Duration(i64),
}

/// The first `limit` rows of a frame, column names and types, as cells.
pub struct Preview {
    pub columns: Vec<(String, Option<Type>)>,
    pub rows: Vec<Vec<Cell>>,
    pub total_rows: usize,
}

pub fn preview(frame: &DataFrame, limit: usize) -> Preview {
    let shown = frame.height().min(limit);
    let columns: Vec<(String, Option<Type>)> = frame
        .columns()
        .iter()
        .map(|c| {
            (
                c.name().to_string(),
                crate::frame::types::to_type(c.dtype()),
            )
        })
        .collect();
    let mut rows = vec![Vec::with_capacity(columns.len()); shown];
    for column in frame.columns() {
        for (index, row) in rows.iter_mut().enumerate() {
            let cell = column.get(index).map_or(Cell::Null, |v| cell(&v));
            row.push(cell);
        }
    }
    Preview {
        columns,
        rows,
        total_rows: frame.height(),
    }
}

/// `value` in `unit` as microseconds, when it fits.
fn micros(value: i64, unit: TimeUnit) -> Option<i64> {
    match unit {
        TimeUnit::Nanoseconds => Some(value / 1_000),
        TimeUnit::Microseconds => Some(value),
        TimeUnit::Milliseconds => value.checked_mul(1_000),
    }
}

/// A time or duration that cannot be shown as one, as what it is.
fn raw(value: i64, unit: TimeUnit, what: &str) -> Cell {
    let unit = match unit {
        TimeUnit::Nanoseconds => "ns",
        TimeUnit::Microseconds => "µs",
        TimeUnit::Milliseconds => "ms",
    };
    Cell::Text(format!("{value} {unit}{what}"))
}

pub fn cell(value: &AnyValue) -> Cell {
    match value {
        AnyValue::Null => Cell::Null,
        AnyValue::Boolean(b) => Cell::Bool(*b),
        AnyValue::String(s) => Cell::Text((*s).to_owned()),
        AnyValue::StringOwned(s) => Cell::Text(s.to_string()),
        AnyValue::UInt8(n) => Cell::Int((*n).into()),
        AnyValue::UInt16(n) => Cell::Int((*n).into()),
        AnyValue::UInt32(n) => Cell::Int((*n).into()),
        AnyValue::UInt64(n) => Cell::Int((*n).into()),
        AnyValue::Int8(n) => Cell::Int((*n).into()),
        AnyValue::Int16(n) => Cell::Int((*n).into()),
        AnyValue::Int32(n) => Cell::Int((*n).into()),
        AnyValue::Int64(n) => Cell::Int((*n).into()),
        AnyValue::Float32(f) => Cell::Float((*f).into()),
        AnyValue::Float64(f) => Cell::Float(*f),
        // Beyond the calendar's range (about 262,000 years either way) a
        // value is shown as what it is, never as a bare number.
        AnyValue::Date(days) => days
            .checked_add(719_163)
            .and_then(NaiveDate::from_num_days_from_ce_opt)
            .map_or_else(
                || Cell::Text(format!("{days} days from 1970-01-01")),
                Cell::Date,
            ),
        AnyValue::Datetime(value, unit, _) | AnyValue::DatetimeOwned(value, unit, _) => {
            micros(*value, *unit)
                .and_then(DateTime::from_timestamp_micros)
                .map_or_else(
                    || raw(*value, *unit, " from 1970-01-01"),
                    |d| Cell::Datetime(d.naive_utc()),
                )
        }
        AnyValue::Duration(value, unit) => {
            micros(*value, *unit).map_or_else(|| raw(*value, *unit, ""), Cell::Duration)
        }
        other => Cell::Text(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_beyond_the_calendar_are_shown_with_their_unit_never_as_bare_numbers() {
        let far = AnyValue::Datetime(i64::MAX, TimeUnit::Microseconds, None);
        assert_eq!(
            cell(&far),
            Cell::Text("9223372036854775807 µs from 1970-01-01".to_owned())
        );
        let long = AnyValue::Duration(i64::MAX, TimeUnit::Milliseconds);
        assert_eq!(cell(&long), Cell::Text("9223372036854775807 ms".to_owned()));
        assert_eq!(
            cell(&AnyValue::Date(i32::MAX)),
            Cell::Text("2147483647 days from 1970-01-01".to_owned())
        );
        let near = AnyValue::Datetime(86_400_000_000, TimeUnit::Microseconds, None);
        assert!(matches!(cell(&near), Cell::Datetime(_)));
    }
}
