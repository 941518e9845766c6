//! Charts in the terminal for `| chart LABEL, VALUE`: horizontal bars for
//! a label column, a column chart for a time series (a date or datetime
//! label).
//!
//! Both fit the width they are given and print the values they draw, so a
//! chart reads without the table behind it. Labels and column names are
//! shown with their control characters escaped (see [`super::visible`]).

use super::View;
use super::cells::{Cell, Preview};
use super::text::display;
use super::visible;
use crate::plan::types::Type;

/// Eighths of a character cell, for bars that do not end on a whole cell.
const HORIZONTAL_EIGHTHS: [char; 8] = [' ', '▏', '▎', '▍', '▌', '▋', '▊', '▉'];
const VERTICAL_EIGHTHS: [char; 8] = [' ', '▁', '▂', '▃', '▄', '▅', '▆', '▇'];
const FULL: char = '█';
/// Rows of a column chart.
const HEIGHT: usize = 8;
/// Longest label kept whole beside a bar.
const LABEL_WIDTH: usize = 28;
/// The narrowest room left for bars before labels are cut further.
const MIN_BAR_WIDTH: usize = 10;

/// Draws the preview's two columns (label, value) as a chart `view.width`
/// wide (80 when unknown). The value column must be numeric.
pub fn draw(preview: &Preview, view: &View) -> String {
    let width = view.width.unwrap_or(80).max(30);
    let series = preview
        .columns
        .first()
        .is_some_and(|(_, ty)| over_time(*ty));
    let points: Vec<Point> = preview
        .rows
        .iter()
        .map(|row| {
            let label = row.first().cloned().unwrap_or(Cell::Null);
            let value = row.get(1).cloned().unwrap_or(Cell::Null);
            Point {
                number: number(&value),
                value_text: display(&value, view.humanize),
                label,
            }
        })
        .collect();
    let mut out = if series {
        columns(points, preview, width, view)
    } else {
        bars(&points, preview, width, view)
    };
    if preview.rows.len() < preview.total_rows {
        out.push_str(&format!(
            "showing {} of {} rows ({})\n",
            preview.rows.len(),
            display(&Cell::Int(preview.total_rows as i128), false),
            view.more_hint()
        ));
    }
    out
}

/// Whether a label of type `ty` makes a time series (a column chart)
/// rather than bars.
pub fn over_time(ty: Option<Type>) -> bool {
    matches!(ty, Some(Type::Date | Type::Datetime))
}

/// The label and value columns' names, as shown.
fn names(preview: &Preview) -> (String, String) {
    let name = |i: usize| {
        preview
            .columns
            .get(i)
            .map_or_else(String::new, |(n, _)| visible::text(n).into_owned())
    };
    (name(0), name(1))
}

struct Point {
    label: Cell,
    number: Option<f64>,
    value_text: String,
}

fn number(cell: &Cell) -> Option<f64> {
    match cell {
        Cell::Int(n) => Some(*n as f64),
        Cell::Float(f) if f.is_finite() => Some(*f),
        Cell::Duration(micros) => Some(*micros as f64),
        _ => None,
    }
}

fn char_count(text: &str) -> usize {
    text.chars().count()
}

/// `text` cut to `width` characters, with an ellipsis when cut.
fn fit(text: &str, width: usize) -> String {
    if char_count(text) <= width {
        return text.to_owned();
    }
    let kept: String = text.chars().take(width.saturating_sub(1)).collect();
    format!("{kept}…")
}

/// A bar `length` cells long (fractions in eighths).
fn bar(length: f64) -> String {
    let eighths = (length * 8.0).round().max(0.0) as usize;
    let mut out = FULL.to_string().repeat(eighths / 8);
    if !eighths.is_multiple_of(8) {
        out.push(HORIZONTAL_EIGHTHS[eighths % 8]);
    }
    out
}

/// One bar per row, in the rows' order, longest value the full width.
/// Negative values and nulls get no bar; their value is still printed.
fn bars(points: &[Point], preview: &Preview, width: usize, view: &View) -> String {
    let (label_name, value_name) = names(preview);
    if points.is_empty() {
        return format!("no rows to chart ({value_name} by {label_name})\n");
    }
    let labels: Vec<String> = points
        .iter()
        .map(|p| visible::text(&display(&p.label, view.humanize)).into_owned())
        .collect();
    let value_width = points
        .iter()
        .map(|p| char_count(&p.value_text))
        .max()
        .unwrap_or(0);
    let longest_label = labels.iter().map(|l| char_count(l)).max().unwrap_or(0);
    // Room: label, space, bar, space, value.
    let label_width = longest_label
        .min(LABEL_WIDTH)
        .min(width.saturating_sub(value_width + 2 + MIN_BAR_WIDTH))
        .max(4);
    let bar_width = width.saturating_sub(label_width + value_width + 2).max(1);
    let max = points
        .iter()
        .filter_map(|p| p.number)
        .fold(0.0_f64, f64::max);
    let mut out = format!("{value_name} by {label_name}\n");
    for (point, label) in points.iter().zip(&labels) {
        let length = match point.number {
            Some(v) if max > 0.0 && v > 0.0 => v / max * bar_width as f64,
            _ => 0.0,
        };
        let drawn = bar(length);
        let padding = bar_width.saturating_sub(char_count(&drawn));
        out.push_str(&format!(
            "{:<label_width$} {drawn}{} {:>value_width$}\n",
            fit(label, label_width),
            " ".repeat(padding),
            point.value_text,
        ));
    }
    out
}

/// A column chart of a time series: time along the bottom (sorted), the
/// value up the side, `HEIGHT` rows high. When there are more points than
/// columns, each column shows the largest value of the points it stands for.
fn columns(mut points: Vec<Point>, preview: &Preview, width: usize, view: &View) -> String {
    let (label_name, value_name) = names(preview);
    points.retain(|p| !matches!(p.label, Cell::Null));
    points.sort_by(|a, b| order(&a.label, &b.label));
    if points.is_empty() {
        return format!("no rows to chart ({value_name} by {label_name})\n");
    }
    let values: Vec<f64> = points.iter().map(|p| p.number.unwrap_or(0.0)).collect();
    // The axis runs from zero (or the lowest value, when negative) to the
    // highest value.
    let max = values.iter().copied().fold(0.0_f64, f64::max);
    let min = values.iter().copied().fold(0.0_f64, f64::min);
    let max_text = display(&as_cell(max, &points), view.humanize);
    let min_text = display(&as_cell(min, &points), view.humanize);
    let lowest = values.iter().copied().fold(f64::INFINITY, f64::min);
    let axis_width = char_count(&max_text).max(char_count(&min_text));
    let plot_width = width.saturating_sub(axis_width + 2).max(1);
    let per_column = points.len().div_ceil(plot_width);
    let heights: Vec<f64> = values
        .chunks(per_column)
        .map(|chunk| chunk.iter().copied().fold(f64::MIN, f64::max))
        .collect();
    let range = max - min;
    let mut out = format!("{value_name} by {label_name}\n");
    for row in 0..HEIGHT {
        let axis = match row {
            0 => max_text.clone(),
            r if r == HEIGHT - 1 => min_text.clone(),
            _ => String::new(),
        };
        let tick = if row == 0 || row == HEIGHT - 1 {
            '┤'
        } else {
            '│'
        };
        let mut line = format!("{axis:>axis_width$} {tick}");
        // Eighths of the plot's height each column fills, and how many lie
        // below this row.
        let below = (HEIGHT - 1 - row) * 8;
        for height in &heights {
            let filled = if range > 0.0 {
                ((height - min) / range * (HEIGHT * 8) as f64).round() as usize
            } else {
                HEIGHT * 8
            };
            let here = filled.saturating_sub(below).min(8);
            line.push(if here == 8 {
                FULL
            } else {
                VERTICAL_EIGHTHS[here]
            });
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    // The first and last time under the plot's two ends, or one after the
    // other when they do not fit there.
    let first = visible::text(&display(&points[0].label, false)).into_owned();
    let last = visible::text(&display(&points[points.len() - 1].label, false)).into_owned();
    let indent = " ".repeat(axis_width + 2);
    let gap = heights
        .len()
        .saturating_sub(char_count(&first) + char_count(&last));
    if points.len() == 1 {
        out.push_str(&format!("{indent}{first}\n"));
    } else if gap >= 2 {
        out.push_str(&format!("{indent}{first}{}{last}\n", " ".repeat(gap)));
    } else if indent.len() + char_count(&first) + char_count(&last) + 3 <= width {
        out.push_str(&format!("{indent}{first} … {last}\n"));
    } else {
        out.push_str(&format!("{indent}from {first}\n{indent}to   {last}\n"));
    }
    let note = format!(
        "{} points, lowest {}, highest {max_text}",
        display(&Cell::Int(points.len() as i128), false),
        display(&as_cell(lowest, &points), view.humanize)
    );
    out.push_str(&note);
    out.push('\n');
    if per_column > 1 {
        out.push_str(&format!(
            "each column: the largest of {per_column} points\n"
        ));
    }
    out
}

/// Sorts dates and datetimes in time order (everything else after them).
fn order(a: &Cell, b: &Cell) -> std::cmp::Ordering {
    let key = |c: &Cell| match c {
        Cell::Date(d) => d.and_hms_opt(0, 0, 0),
        Cell::Datetime(t) => Some(*t),
        _ => None,
    };
    match (key(a), key(b)) {
        (Some(x), Some(y)) => x.cmp(&y),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => std::cmp::Ordering::Equal,
    }
}

/// An axis value written like the series' own values: whole numbers when
/// the values are integers.
fn as_cell(value: f64, points: &[Point]) -> Cell {
    let integers = points
        .iter()
        .all(|p| p.number.is_none_or(|n| n.fract() == 0.0) && !p.value_text.contains('.'));
    if integers {
        Cell::Int(value as i128)
    } else {
        Cell::Float(value)
    }
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;

    fn view(width: usize) -> View {
        View {
            max_rows: 100,
            width: Some(width),
            humanize: false,
            terminal: false,
            shell: false,
        }
    }

    fn preview(columns: [(&str, Type); 2], rows: Vec<(Cell, Cell)>) -> Preview {
        Preview {
            columns: columns
                .iter()
                .map(|(n, t)| ((*n).to_owned(), Some(*t)))
                .collect(),
            total_rows: rows.len(),
            rows: rows.into_iter().map(|(a, b)| vec![a, b]).collect(),
        }
    }

    #[test]
    fn bars_scale_to_the_largest_value_and_print_values() {
        let p = preview(
            [("service", Type::String), ("requests", Type::Int)],
            vec![
                (Cell::Text("packages".into()), Cell::Int(100)),
                (Cell::Text("repos".into()), Cell::Int(50)),
                (Cell::Text("dashboard".into()), Cell::Null),
            ],
        );
        let drawn = draw(&p, &view(40));
        let expected = "\
requests by service
packages  █████████████████████████  100
repos     ████████████▌               50
dashboard                           null
";
        assert_eq!(drawn, expected);
        assert!(drawn.lines().all(|l| l.chars().count() <= 40));
    }

    #[test]
    fn fractional_bars_use_eighth_blocks() {
        assert_eq!(bar(2.5), "██▌");
        assert_eq!(bar(0.0), "");
        assert_eq!(bar(0.125), "▏");
    }

    #[test]
    fn long_labels_are_cut_with_an_ellipsis() {
        let p = preview(
            [("uri", Type::String), ("n", Type::Int)],
            vec![(Cell::Text("x".repeat(60)), Cell::Int(1))],
        );
        let drawn = draw(&p, &view(50));
        let line = drawn.lines().nth(1).unwrap_or_default();
        assert!(line.starts_with(&format!("{}…", "x".repeat(LABEL_WIDTH - 1))));
        assert!(line.chars().count() <= 50);
    }

    #[test]
    fn time_series_draw_columns_in_time_order() {
        let day = |d: u32| Cell::Date(NaiveDate::from_ymd_opt(2025, 11, d).unwrap_or_default());
        let p = preview(
            [("day", Type::Date), ("n", Type::Int)],
            vec![
                (day(3), Cell::Int(8)),
                (day(1), Cell::Int(0)),
                (day(2), Cell::Int(4)),
            ],
        );
        let drawn = draw(&p, &view(40));
        let lines: Vec<&str> = drawn.lines().collect();
        assert_eq!(lines[0], "n by day");
        // The tallest column (day 3) reaches the top row; day 1 is empty.
        assert_eq!(lines[1], "8 ┤  █");
        assert_eq!(lines[5], "  │ ██");
        assert_eq!(lines[8], "0 ┤ ██");
        assert_eq!(lines[9], "   2025-11-01 … 2025-11-03");
        assert_eq!(lines[10], "3 points, lowest 0, highest 8");
    }

    #[test]
    fn long_series_are_folded_into_the_width() {
        let start = NaiveDate::from_ymd_opt(2025, 11, 1).unwrap_or_default();
        let rows = (0..100)
            .map(|i| {
                let t = start.and_hms_opt(0, 0, 0).unwrap_or_default() + chrono::Duration::hours(i);
                (Cell::Datetime(t), Cell::Int(i as i128))
            })
            .collect();
        let p = preview([("hour", Type::Datetime), ("n", Type::Int)], rows);
        let drawn = draw(&p, &view(40));
        assert!(drawn.lines().all(|l| l.chars().count() <= 40), "{drawn}");
        assert!(
            drawn.contains("each column: the largest of 3 points"),
            "{drawn}"
        );
    }

    #[test]
    fn an_empty_result_says_so() {
        let p = preview([("service", Type::String), ("n", Type::Int)], vec![]);
        assert_eq!(draw(&p, &view(40)), "no rows to chart (n by service)\n");
    }

    #[test]
    fn labels_and_names_show_control_characters() {
        let p = preview(
            [("ua\x1b[31m", Type::String), ("n", Type::Int)],
            vec![
                (Cell::Text("\x1b]52;c;aGk=\x07".into()), Cell::Int(2)),
                (Cell::Text("\u{9b}2J\nx".into()), Cell::Int(1)),
            ],
        );
        let drawn = draw(&p, &view(40));
        assert!(
            !drawn.chars().any(|c| visible::is_unsafe(c) && c != '\n'),
            "{drawn:?}"
        );
        let lines: Vec<&str> = drawn.lines().collect();
        assert_eq!(lines[0], r"n by ua\x1b[31m");
        assert!(lines[1].starts_with(r"\x1b]52;c;aGk=\x07 "), "{drawn}");
        assert!(lines[2].starts_with(r"\u{9b}2J\nx"), "{drawn}");
        assert!(lines.iter().all(|l| l.chars().count() <= 40), "{drawn}");
        assert_eq!(lines.len(), 3, "{drawn}");
    }
}
