//! Values as the text machine formats (CSV, TSV, JSON, NDJSON) write them
//! where Polars' own writers would pick a form of their own.
//!
//! Datetimes are written in one ISO 8601 form in all four formats:
//! `2025-11-16T00:00:00`, a `T` between date and time. A column gets
//! fractional digits only when some value in it has a fraction of a
//! second, and then in groups of three, as few as every value of the
//! column needs: `.250` (milliseconds), `.250100` (microseconds) or
//! `.250100300` (nanoseconds). Every value of a column has the same
//! digits, so the column reads back with one pattern. A datetime with a
//! time zone is written as the same instant in UTC with a `Z`.
//!
//! A result written as it arrives in batches cannot look ahead: its
//! columns take the digits the batches so far needed, and a later batch
//! with finer fractions gets more digits from there on (never fewer, so
//! no value is ever cut).

use std::borrow::Cow;

use ::polars::prelude::{Column, DataFrame, DataType, NamedFrom, Series, TimeUnit};
use chrono::DateTime;

use super::RenderError;

/// Units of `unit` in one second.
fn per_second(unit: TimeUnit) -> i64 {
    match unit {
        TimeUnit::Nanoseconds => 1_000_000_000,
        TimeUnit::Microseconds => 1_000_000,
        TimeUnit::Milliseconds => 1_000,
    }
}

/// The fractional digits (0, 3, 6 or 9) that `value` in `unit` needs to be
/// written exactly.
fn digits_needed(value: i64, unit: TimeUnit) -> usize {
    let per_second = per_second(unit);
    let fraction = value.rem_euclid(per_second);
    [0usize, 3, 6, 9]
        .into_iter()
        .find(|&digits| {
            let step = per_second / 10i64.pow(digits as u32).min(per_second);
            fraction % step.max(1) == 0
        })
        .unwrap_or(9)
}

/// `value` in `unit` as ISO 8601 with `digits` fractional digits, `Z`
/// after it when `utc` (the column has a time zone); `None` beyond the
/// calendar.
fn iso(value: i64, unit: TimeUnit, digits: usize, utc: bool) -> Option<String> {
    let per_second = per_second(unit);
    let seconds = value.div_euclid(per_second);
    let nanos = value.rem_euclid(per_second) * (1_000_000_000 / per_second);
    let time = DateTime::from_timestamp(seconds, u32::try_from(nanos).ok()?)?;
    let mut text = time.naive_utc().format("%Y-%m-%dT%H:%M:%S").to_string();
    if digits > 0 {
        text.push('.');
        text.push_str(&format!("{nanos:09}")[..digits]);
    }
    if utc {
        text.push('Z');
    }
    Some(text)
}

/// `frame` with its datetime columns as ISO 8601 text (see the module
/// documentation). `digits` holds, per column, the fractional digits
/// written so far (empty for a whole result); it is updated, and never
/// lowered, so the batches of one result stay consistent. Other columns
/// are left as they are; without a datetime column the frame is not
/// copied.
pub fn iso_datetimes<'f>(
    frame: &'f DataFrame,
    digits: &mut Vec<usize>,
) -> Result<Cow<'f, DataFrame>, RenderError> {
    if !frame
        .columns()
        .iter()
        .any(|c| matches!(c.dtype(), DataType::Datetime(_, _)))
    {
        return Ok(Cow::Borrowed(frame));
    }
    digits.resize(frame.width().max(digits.len()), 0);
    let mut columns = Vec::with_capacity(frame.width());
    for (index, column) in frame.columns().iter().enumerate() {
        let DataType::Datetime(unit, zone) = column.dtype() else {
            columns.push(column.clone());
            continue;
        };
        let (unit, utc) = (*unit, zone.is_some());
        let values = column
            .datetime()
            .map_err(RenderError::from_polars)?
            .physical();
        let needed = values
            .iter()
            .flatten()
            .map(|v| digits_needed(v, unit))
            .max()
            .unwrap_or(0);
        digits[index] = digits[index].max(needed);
        let shown = digits[index];
        let texts = values
            .iter()
            .map(|value| match value {
                None => Ok(None),
                Some(v) => iso(v, unit, shown, utc).map(Some).ok_or_else(|| {
                    RenderError::Format(format!(
                        "column `{}` has a datetime beyond the calendar ({v} {} from 1970-01-01)",
                        column.name(),
                        match unit {
                            TimeUnit::Nanoseconds => "ns",
                            TimeUnit::Microseconds => "µs",
                            TimeUnit::Milliseconds => "ms",
                        }
                    ))
                }),
            })
            .collect::<Result<Vec<Option<String>>, RenderError>>()?;
        columns.push(Column::from(Series::new(column.name().clone(), texts)));
    }
    DataFrame::new(frame.height(), columns)
        .map(Cow::Owned)
        .map_err(RenderError::from_polars)
}

#[cfg(test)]
mod tests {
    use ::polars::prelude::{AnyValue, DataType, TimeUnit};

    use super::*;

    fn times(unit: TimeUnit, values: &[Option<i64>]) -> DataFrame {
        DataFrame::new_infer_height(vec![
            Column::new("at".into(), values)
                .cast(&DataType::Datetime(unit, None))
                .expect("a datetime column"),
        ])
        .expect("a frame")
    }

    fn texts(frame: &DataFrame, digits: &mut Vec<usize>) -> Vec<Option<String>> {
        let shown = iso_datetimes(frame, digits).expect("formats");
        let column = shown.column("at").expect("the column");
        (0..column.len())
            .map(|i| match column.get(i).expect("a value") {
                AnyValue::Null => None,
                other => Some(other.str_value().into_owned()),
            })
            .collect()
    }

    const MIDNIGHT: i64 = 1_763_251_200; // 2025-11-16T00:00:00

    #[test]
    fn whole_seconds_have_no_fraction() {
        let frame = times(
            TimeUnit::Microseconds,
            &[Some(MIDNIGHT * 1_000_000), None, Some(0)],
        );
        assert_eq!(
            texts(&frame, &mut Vec::new()),
            [
                Some("2025-11-16T00:00:00".to_owned()),
                None,
                Some("1970-01-01T00:00:00".to_owned())
            ]
        );
    }

    #[test]
    fn a_column_gets_the_digits_its_finest_value_needs() {
        let frame = times(
            TimeUnit::Microseconds,
            &[
                Some(MIDNIGHT * 1_000_000),
                Some(MIDNIGHT * 1_000_000 + 250_000),
            ],
        );
        assert_eq!(
            texts(&frame, &mut Vec::new()),
            [
                Some("2025-11-16T00:00:00.000".to_owned()),
                Some("2025-11-16T00:00:00.250".to_owned())
            ]
        );
        let frame = times(TimeUnit::Microseconds, &[Some(-1)]);
        assert_eq!(
            texts(&frame, &mut Vec::new()),
            [Some("1969-12-31T23:59:59.999999".to_owned())]
        );
        let frame = times(TimeUnit::Nanoseconds, &[Some(MIDNIGHT * 1_000_000_000 + 7)]);
        assert_eq!(
            texts(&frame, &mut Vec::new()),
            [Some("2025-11-16T00:00:00.000000007".to_owned())]
        );
        let frame = times(TimeUnit::Milliseconds, &[Some(MIDNIGHT * 1_000 + 5)]);
        assert_eq!(
            texts(&frame, &mut Vec::new()),
            [Some("2025-11-16T00:00:00.005".to_owned())]
        );
    }

    #[test]
    fn batches_keep_the_digits_they_had_and_add_when_needed() {
        let mut digits = Vec::new();
        let first = times(TimeUnit::Milliseconds, &[Some(MIDNIGHT * 1_000 + 500)]);
        assert_eq!(
            texts(&first, &mut digits),
            [Some("2025-11-16T00:00:00.500".to_owned())]
        );
        let whole = times(TimeUnit::Milliseconds, &[Some(MIDNIGHT * 1_000)]);
        assert_eq!(
            texts(&whole, &mut digits),
            [Some("2025-11-16T00:00:00.000".to_owned())]
        );
    }

    #[test]
    fn time_zones_are_written_in_utc() {
        let frame = DataFrame::new_infer_height(vec![
            Column::new("at".into(), [MIDNIGHT * 1_000])
                .cast(&DataType::Datetime(
                    TimeUnit::Milliseconds,
                    Some(::polars::prelude::TimeZone::UTC),
                ))
                .expect("a datetime column"),
        ])
        .expect("a frame");
        assert_eq!(
            texts(&frame, &mut Vec::new()),
            [Some("2025-11-16T00:00:00Z".to_owned())]
        );
    }

    #[test]
    fn beyond_the_calendar_is_an_error_naming_the_column() {
        let frame = times(TimeUnit::Microseconds, &[Some(i64::MAX)]);
        let error = iso_datetimes(&frame, &mut Vec::new()).unwrap_err();
        assert_eq!(
            error.to_string(),
            "column `at` has a datetime beyond the calendar (9223372036854775807 µs from 1970-01-01)"
        );
    }

    #[test]
    fn frames_without_datetimes_are_not_copied() {
        let frame =
            DataFrame::new_infer_height(vec![Column::new("n".into(), [1i64])]).expect("a frame");
        assert!(matches!(
            iso_datetimes(&frame, &mut Vec::new()),
            Ok(Cow::Borrowed(_))
        ));
    }
}
