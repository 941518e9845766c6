//! The session's time window (`.since 24h`): every table with a known time
//! column is read only from a point in time on.
//!
//! The window is applied to a resolved plan, below everything else: each
//! table or file whose schema has a time column becomes a filter on that
//! column over the table, so `let`s, joins, unions and `diff` inputs all see
//! the same window, and a backend that can skip data by a bound (row-group
//! statistics, a server's index) does.
//!
//! A time column is, in this order: a column named `timestamp`, `time`,
//! `ts`, `datetime` or `event_time` holding a datetime or unix seconds (an
//! int or a float, as the gateway's logs store them); or else the table's
//! only datetime column. Dates are days, not events: a date column is never
//! a time column, so the report tables are not windowed.

use chrono::{Duration, NaiveDateTime};

use super::logical::{BinaryOp, Expr, Plan, Value};
use super::resolve::Catalog;
use super::schema::Schema;
use super::types::Type;

/// Names a time column may have, most telling first.
pub const TIME_COLUMN_NAMES: &[&str] = &["timestamp", "time", "ts", "datetime", "event_time"];

/// Where a window starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Since {
    /// This long before the run's `now()`.
    Ago(Duration),
    /// A fixed point in time.
    At(NaiveDateTime),
}

impl Since {
    /// A window of a duration as `.since` takes it (`24h`, `1.5h`, `7d`,
    /// `90m`, `30s`, `2w`); `None` when the text is no such duration, an
    /// error when it is one but not longer than nothing.
    pub fn ago(text: &str) -> Option<Result<Since, String>> {
        let duration = parse_duration(text.trim())?;
        Some(if duration > Duration::zero() {
            Ok(Since::Ago(duration))
        } else {
            Err(format!(
                "`{}`: the window must be longer than nothing",
                text.trim()
            ))
        })
    }

    /// The first instant inside the window for a run whose `now()` is `now`.
    pub fn start(self, now: NaiveDateTime) -> NaiveDateTime {
        match self {
            Since::Ago(duration) => now
                .checked_sub_signed(duration)
                .unwrap_or(NaiveDateTime::MIN),
            Since::At(at) => at,
        }
    }

    /// As the prompt and `.since` show it: `24h`, `since 2025-11-22 06:00:00`.
    pub fn label(self) -> String {
        match self {
            Since::Ago(duration) => duration_label(duration),
            Since::At(at) => format!("since {}", at.format("%Y-%m-%d %H:%M:%S")),
        }
    }
}

/// `24h`, `7d`, `90m`: one unit that divides the duration, days from two
/// days on (so `24h` stays `24h`, as people say it).
fn duration_label(duration: Duration) -> String {
    let seconds = duration.num_seconds();
    let (unit, size) = [("d", 86_400), ("h", 3_600), ("m", 60)]
        .into_iter()
        .find(|&(unit, size)| seconds % size == 0 && (unit != "d" || seconds >= 2 * size))
        .unwrap_or(("s", 1));
    format!("{}{unit}", seconds / size)
}

/// `24h`, `1.5h`, `7d`: a number and one unit (s, m, h, d, w).
fn parse_duration(text: &str) -> Option<Duration> {
    let split = text.find(|c: char| !(c.is_ascii_digit() || c == '.'))?;
    let (number, unit) = text.split_at(split);
    let number: f64 = number.parse().ok()?;
    let seconds = match unit {
        "s" => 1.0,
        "m" | "min" => 60.0,
        "h" => 3_600.0,
        "d" => 86_400.0,
        "w" => 604_800.0,
        _ => return None,
    };
    let millis = number * seconds * 1000.0;
    // Beyond a few thousand years the window means "everything".
    (millis.is_finite() && millis < 1e17).then(|| Duration::milliseconds(millis.round() as i64))
}

/// The time column of a table with this schema, if it has one.
pub fn time_column(schema: &Schema) -> Option<&str> {
    let usable = |ty: Type| matches!(ty, Type::Datetime | Type::Int | Type::Float);
    TIME_COLUMN_NAMES
        .iter()
        .find_map(|name| {
            schema
                .get(name)
                .filter(|c| usable(c.ty))
                .map(|c| c.name.as_str())
        })
        .or_else(|| {
            let mut datetimes = schema.columns.iter().filter(|c| c.ty == Type::Datetime);
            match (datetimes.next(), datetimes.next()) {
                (Some(only), None) => Some(only.name.as_str()),
                _ => None,
            }
        })
}

/// The window's bound on a time column of type `ty`: `column >= start`,
/// the start as unix seconds for a number column.
fn bound(column: &str, ty: Type, start: NaiveDateTime) -> Option<Expr> {
    let micros = start.and_utc().timestamp_micros();
    let value = match ty {
        Type::Datetime => Value::Datetime(start),
        // The least whole second at or after the start.
        Type::Int => {
            Value::Int(micros.div_euclid(1_000_000) + i64::from(micros.rem_euclid(1_000_000) != 0))
        }
        Type::Float => Value::Float(micros as f64 / 1e6),
        _ => return None,
    };
    Some(Expr::Binary(
        BinaryOp::GtEq,
        Box::new(Expr::column(column)),
        Box::new(Expr::Literal(value)),
    ))
}

/// The schema a table or file node reads, if the catalog knows it.
fn source_schema(plan: &Plan, catalog: &dyn Catalog) -> Option<Schema> {
    match plan {
        Plan::Table { name } => catalog.table(name),
        Plan::File { path } => catalog.file(path).ok(),
        _ => None,
    }
}

/// `plan` with every table and file that has a time column read from
/// `start` on; also the names of the tables (or file paths) windowed, each
/// once, with their time column.
pub fn apply(
    plan: Plan,
    catalog: &dyn Catalog,
    start: NaiveDateTime,
) -> (Plan, Vec<(String, String)>) {
    let mut windowed = Vec::new();
    let plan = rewrite(plan, catalog, start, &mut windowed);
    (plan, windowed)
}

fn rewrite(
    mut plan: Plan,
    catalog: &dyn Catalog,
    start: NaiveDateTime,
    windowed: &mut Vec<(String, String)>,
) -> Plan {
    if let Some(schema) = source_schema(&plan, catalog) {
        let Some(column) = time_column(&schema) else {
            return plan;
        };
        let ty = schema.get(column).map(|c| c.ty).unwrap_or(Type::Null);
        let Some(predicate) = bound(column, ty, start) else {
            return plan;
        };
        let name = match &plan {
            Plan::Table { name } => name.clone(),
            Plan::File { path } => path.clone(),
            _ => unreachable!("only tables and files have a source schema"),
        };
        let entry = (name, column.to_owned());
        if !windowed.contains(&entry) {
            windowed.push(entry);
        }
        return Plan::Filter {
            input: Box::new(plan),
            predicate,
        };
    }
    for input in plan.inputs_mut() {
        let taken = std::mem::replace(
            input,
            Plan::Table {
                name: String::new(),
            },
        );
        *input = rewrite(taken, catalog, start, windowed);
    }
    plan
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Tables;

    impl Catalog for Tables {
        fn table(&self, name: &str) -> Option<Schema> {
            let columns = match name {
                "logs" => vec![("timestamp", Type::Float), ("status", Type::Int)],
                "events" => vec![("at", Type::Datetime), ("kind", Type::String)],
                "two" => vec![("a", Type::Datetime), ("b", Type::Datetime)],
                "ticks" => vec![("ts", Type::Int)],
                "reports" => vec![("snapshot", Type::Date), ("time", Type::String)],
                _ => return None,
            };
            Some(Schema::new(
                columns.into_iter().map(|(n, t)| (n.to_owned(), t)),
            ))
        }
        fn table_names(&self) -> Vec<String> {
            Vec::new()
        }
        fn file(&self, _: &str) -> Result<Schema, String> {
            Err("no files".to_owned())
        }
    }

    fn at(text: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f").unwrap()
    }

    fn table(name: &str) -> Plan {
        Plan::Table {
            name: name.to_owned(),
        }
    }

    #[test]
    fn reads_durations() {
        let ago = |text: &str| Since::ago(text).and_then(Result::ok);
        assert_eq!(ago("24h"), Some(Since::Ago(Duration::hours(24))));
        assert_eq!(ago("1.5h"), Some(Since::Ago(Duration::minutes(90))));
        assert_eq!(ago("24h").unwrap().label(), "24h");
        assert_eq!(ago("2w").unwrap().label(), "14d");
        assert_eq!(ago("1.5h").unwrap().label(), "90m");
        assert_eq!(ago("45s").unwrap().label(), "45s");
        assert!(matches!(Since::ago("0h"), Some(Err(_))));
        for other in ["", "24", "h", "24x", "yesterday", "1e400d", "2025-11-22"] {
            assert_eq!(Since::ago(other), None, "{other}");
        }
        let now = at("2025-11-23T00:00:00");
        assert_eq!(
            Since::Ago(Duration::hours(6)).start(now),
            at("2025-11-22T18:00:00")
        );
    }

    #[test]
    fn finds_the_time_column_by_name_then_by_type() {
        let of = |name: &str| {
            Tables
                .table(name)
                .and_then(|s| time_column(&s).map(str::to_owned))
        };
        assert_eq!(of("logs").as_deref(), Some("timestamp"));
        assert_eq!(of("events").as_deref(), Some("at"));
        assert_eq!(of("ticks").as_deref(), Some("ts"));
        assert_eq!(of("two"), None, "two datetimes: which one is not clear");
        assert_eq!(
            of("reports"),
            None,
            "dates and a text `time` are not events"
        );
    }

    #[test]
    fn bounds_every_windowed_source_below_the_plan() {
        let start = at("2025-11-22T06:00:00.5");
        let plan = Plan::Union {
            left: Box::new(Plan::Limit {
                input: Box::new(table("logs")),
                count: 3,
            }),
            right: Box::new(Plan::Union {
                left: Box::new(table("ticks")),
                right: Box::new(table("reports")),
            }),
        };
        let (plan, windowed) = apply(plan, &Tables, start);
        assert_eq!(
            windowed,
            [
                ("logs".to_owned(), "timestamp".to_owned()),
                ("ticks".to_owned(), "ts".to_owned())
            ]
        );
        let Plan::Union { left, right } = plan else {
            panic!("the union stays on top");
        };
        let Plan::Limit { input, .. } = *left else {
            panic!("the limit stays above the window");
        };
        assert_eq!(
            *input,
            Plan::Filter {
                input: Box::new(table("logs")),
                predicate: Expr::Binary(
                    BinaryOp::GtEq,
                    Box::new(Expr::column("timestamp")),
                    Box::new(Expr::Literal(Value::Float(1_763_791_200.5))),
                ),
            }
        );
        let Plan::Union {
            left: ticks,
            right: reports,
        } = *right
        else {
            panic!("inner union kept");
        };
        let Plan::Filter { predicate, .. } = *ticks else {
            panic!("ticks windowed");
        };
        // Whole seconds: the first one inside the window.
        assert_eq!(
            predicate,
            Expr::Binary(
                BinaryOp::GtEq,
                Box::new(Expr::column("ts")),
                Box::new(Expr::Literal(Value::Int(1_763_791_201))),
            )
        );
        assert_eq!(*reports, table("reports"));
    }
}
