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
                crate::engine::polars::types::to_type(c.dtype()),
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

fn micros(value: i64, unit: TimeUnit) -> i64 {
    match unit {
        TimeUnit::Nanoseconds => value / 1_000,
        TimeUnit::Microseconds => value,
        TimeUnit::Milliseconds => value.saturating_mul(1_000),
    }
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
        AnyValue::Date(days) => NaiveDate::from_num_days_from_ce_opt(days + 719_163)
            .map_or_else(|| Cell::Text(days.to_string()), Cell::Date),
        AnyValue::Datetime(value, unit, _) | AnyValue::DatetimeOwned(value, unit, _) => {
            DateTime::from_timestamp_micros(micros(*value, *unit)).map_or_else(
                || Cell::Text(value.to_string()),
                |d| Cell::Datetime(d.naive_utc()),
            )
        }
        AnyValue::Duration(value, unit) => Cell::Duration(micros(*value, *unit)),
        other => Cell::Text(other.to_string()),
    }
}
