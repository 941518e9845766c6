//! The table view (comfy-table): a header with column names and types,
//! numbers right-aligned, and a footer line with the row count.
//!
//! Given a width (the terminal's), the view fits it: long strings are cut
//! with an ellipsis and, when the columns still do not fit, the middle ones
//! give way to a `…` column and a note naming them.
//!
//! Cells and column names are shown with their control characters escaped
//! (see [`super::visible`]); a line break in a cell reads `\n`, so every
//! row stays one line and the widths measured are the widths on screen.

use comfy_table::{Cell as TableCell, CellAlignment, ContentArrangement, Table, presets};

use super::View;
use super::cells::{Cell, Preview};
use super::text::{display, is_numeric};
use super::visible;
use crate::plan::types::Type;

/// The widest a cell is drawn when fitting a width.
const MAX_CELL_WIDTH: usize = 40;
/// What each column adds to its text: a space either side and a border.
const COLUMN_OVERHEAD: usize = 3;

/// Which table drawing to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// Box-drawing borders, a type row under the names, and a row count.
    Boxed,
    /// A Markdown table, names only.
    Markdown,
}

fn type_name(ty: Option<Type>) -> &'static str {
    ty.map_or("?", Type::name)
}

/// Draws the preview's rows under a header of column names (and types, in
/// the boxed style), fitted to `view.width` when it is known. Returns the
/// drawing and, when columns were left out, a note naming them.
pub fn draw(preview: &Preview, style: Style, view: &View) -> String {
    let mut texts: Vec<Vec<String>> = preview
        .rows
        .iter()
        .map(|row| {
            row.iter()
                .map(|c| escape(c, style, view.humanize))
                .collect()
        })
        .collect();
    let headers: Vec<String> = preview
        .columns
        .iter()
        .map(|(name, ty)| match style {
            Style::Boxed => format!("{}\n{}", visible::text(name), type_name(*ty)),
            Style::Markdown => markdown(name),
        })
        .collect();
    // A column is right-aligned when its type is numeric.
    let numeric: Vec<bool> = preview
        .columns
        .iter()
        .enumerate()
        .map(|(i, (_, ty))| match ty {
            Some(Type::Int | Type::Float | Type::Duration) => true,
            Some(_) => false,
            None => preview
                .rows
                .iter()
                .any(|r| r.get(i).is_some_and(is_numeric)),
        })
        .collect();
    let mut shown: Vec<usize> = (0..headers.len()).collect();
    let mut elided_at = None;
    if let (Some(width), Style::Boxed) = (view.width, style) {
        for row in &mut texts {
            for text in row.iter_mut() {
                *text = cut(text, MAX_CELL_WIDTH);
            }
        }
        let widths: Vec<usize> = (0..headers.len())
            .map(|i| {
                let header = headers[i].lines().map(text_width).max().unwrap_or(0);
                texts
                    .iter()
                    .map(|r| text_width(&r[i]))
                    .fold(header, usize::max)
            })
            .collect();
        (shown, elided_at) = fit_columns(&widths, width);
        // One column wider than the screen: cut its cells to fit.
        if let [only] = shown.as_slice() {
            let room = width.saturating_sub(COLUMN_OVERHEAD + 1 + elided_at.map_or(0, |_| 4));
            for row in &mut texts {
                row[*only] = cut(&row[*only], room.max(4));
            }
        }
    }
    let mut table = Table::new();
    table.set_content_arrangement(ContentArrangement::Disabled);
    match style {
        Style::Boxed => table.load_style(presets::UTF8_FULL_CONDENSED),
        Style::Markdown => table.load_style(presets::ASCII_MARKDOWN),
    };
    let align = |i: usize| {
        if numeric[i] {
            CellAlignment::Right
        } else {
            CellAlignment::Left
        }
    };
    let with_gap = |cells: Vec<TableCell>, gap: &str| -> Vec<TableCell> {
        let mut cells = cells;
        if let Some(at) = elided_at {
            cells.insert(at, TableCell::new(gap));
        }
        cells
    };
    table.set_header(with_gap(
        shown
            .iter()
            .map(|&i| TableCell::new(&headers[i]).set_alignment(align(i)))
            .collect(),
        "…",
    ));
    for row in &texts {
        table.add_row(with_gap(
            shown
                .iter()
                .map(|&i| TableCell::new(&row[i]).set_alignment(align(i)))
                .collect(),
            "…",
        ));
    }
    let mut out = table.to_string();
    out.push('\n');
    let hidden: Vec<std::borrow::Cow<str>> = (0..headers.len())
        .filter(|i| !shown.contains(i))
        .map(|i| visible::text(&preview.columns[i].0))
        .collect();
    if !hidden.is_empty() {
        let note = format!(
            "{} column{} not shown: {} (.mode line shows every column)",
            hidden.len(),
            if hidden.len() == 1 { "" } else { "s" },
            hidden.join(", ")
        );
        out.push_str(&wrap(&note, view.width.unwrap_or(usize::MAX)));
    }
    out
}

/// `text` broken into lines of at most `width` characters at spaces (a
/// word longer than the width gets a line of its own).
fn wrap(text: &str, width: usize) -> String {
    let mut out = String::new();
    let mut line = String::new();
    for word in text.split(' ') {
        if !line.is_empty() && text_width(&line) + 1 + text_width(word) > width {
            out.push_str(&line);
            out.push('\n');
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    out.push_str(&line);
    out.push('\n');
    out
}

/// Characters on screen (every character here is one column wide).
fn text_width(text: &str) -> usize {
    text.chars().count()
}

/// `text` (one line: cells are escaped) cut to `width` characters, the
/// last one an ellipsis when cut.
fn cut(text: &str, width: usize) -> String {
    if text_width(text) <= width {
        return text.to_owned();
    }
    let kept: String = text.chars().take(width.saturating_sub(1)).collect();
    format!("{kept}…")
}

/// Which columns fit in `width`: all of them if they can; else columns
/// from both ends, alternating, around a one-character `…` column in the
/// middle. Returns the kept indices in order and where the `…` column goes
/// among them.
fn fit_columns(widths: &[usize], width: usize) -> (Vec<usize>, Option<usize>) {
    let total = |ws: &mut dyn Iterator<Item = usize>| -> usize {
        1 + ws.map(|w| w + COLUMN_OVERHEAD).sum::<usize>()
    };
    let all: Vec<usize> = (0..widths.len()).collect();
    if widths.len() <= 1 || total(&mut widths.iter().copied()) <= width {
        return (all, None);
    }
    let gap = 1 + COLUMN_OVERHEAD;
    let mut left: Vec<usize> = vec![0];
    let mut right: Vec<usize> = Vec::new();
    let mut used = 1 + gap + widths[0] + COLUMN_OVERHEAD;
    let (mut next_left, mut next_right) = (1, widths.len() - 1);
    let mut take_right = true;
    while next_left <= next_right {
        let candidate = if take_right { next_right } else { next_left };
        let cost = widths[candidate] + COLUMN_OVERHEAD;
        if used + cost > width {
            break;
        }
        used += cost;
        if take_right {
            right.insert(0, candidate);
            if next_right == 0 {
                break;
            }
            next_right -= 1;
        } else {
            left.push(candidate);
            next_left += 1;
        }
        take_right = !take_right;
    }
    let at = left.len();
    left.extend(right);
    if left.len() == widths.len() {
        return (left, None);
    }
    (left, Some(at))
}

/// One `name = value` line per column, a blank line between rows: for rows
/// too wide for a table.
pub fn lines(preview: &Preview, view: &View) -> String {
    let names: Vec<_> = preview
        .columns
        .iter()
        .map(|(n, _)| visible::text(n))
        .collect();
    let name_width = names.iter().map(|n| text_width(n)).max().unwrap_or(0);
    let mut out = String::new();
    for (index, row) in preview.rows.iter().enumerate() {
        if index > 0 {
            out.push('\n');
        }
        for (name, cell) in names.iter().zip(row) {
            out.push_str(&format!(
                "{name:>name_width$} = {}\n",
                visible::text(&display(cell, view.humanize))
            ));
        }
    }
    out
}

/// A cell's text as the table shows it: control characters escaped, and
/// in Markdown `|` escaped too.
fn escape(cell: &Cell, style: Style, humanize: bool) -> String {
    let text = display(cell, humanize);
    match style {
        Style::Boxed => visible::text(&text).into_owned(),
        Style::Markdown => markdown(&text),
    }
}

/// Text for a Markdown cell: control characters (line breaks included)
/// escaped, `|` as `\|`.
fn markdown(text: &str) -> String {
    visible::text(text).replace('|', "\\|")
}

/// "22 rows", "1 row", or "showing 40 of 1,234 rows (HINT)".
pub fn footer(preview: &Preview, hint: &str) -> String {
    let total = display(&Cell::Int(preview.total_rows as i128), false);
    let shown = preview.rows.len();
    if shown < preview.total_rows {
        format!("showing {shown} of {total} rows ({hint})\n")
    } else if preview.total_rows == 1 {
        "1 row\n".to_owned()
    } else {
        format!("{total} rows\n")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wide(columns: usize) -> Preview {
        Preview {
            columns: (0..columns)
                .map(|i| (format!("column_{i}"), Some(Type::String)))
                .collect(),
            rows: vec![
                (0..columns)
                    .map(|i| Cell::Text(format!("value {i}")))
                    .collect(),
            ],
            total_rows: 1,
        }
    }

    fn view(width: Option<usize>) -> View {
        View {
            max_rows: 100,
            width,
            humanize: false,
            terminal: false,
            shell: false,
        }
    }

    #[test]
    fn narrow_tables_are_drawn_whole() {
        let drawn = draw(&wide(2), Style::Boxed, &view(Some(80)));
        assert!(drawn.contains("column_0") && drawn.contains("column_1"));
        assert!(!drawn.contains("not shown"));
    }

    #[test]
    fn wide_tables_elide_middle_columns_and_say_which() {
        let drawn = draw(&wide(10), Style::Boxed, &view(Some(60)));
        assert!(drawn.lines().all(|l| l.chars().count() <= 60), "{drawn}");
        assert!(
            drawn.contains("column_0") && drawn.contains("column_9"),
            "{drawn}"
        );
        assert!(drawn.contains("┆ … ┆"), "{drawn}");
        assert!(
            drawn
                .contains("5 columns not shown: column_3, column_4, column_5, column_6,\ncolumn_7"),
            "{drawn}"
        );
    }

    #[test]
    fn without_a_width_nothing_is_cut() {
        let drawn = draw(&wide(10), Style::Boxed, &view(None));
        assert!(drawn.contains("column_5"));
    }

    #[test]
    fn long_strings_end_in_an_ellipsis() {
        let preview = Preview {
            columns: vec![("uri".to_owned(), Some(Type::String))],
            rows: vec![vec![Cell::Text("/api/v1/".to_owned() + &"x".repeat(100))]],
            total_rows: 1,
        };
        let drawn = draw(&preview, Style::Boxed, &view(Some(30)));
        assert!(drawn.lines().all(|l| l.chars().count() <= 30), "{drawn}");
        assert!(drawn.contains("/api/v1/xxx"), "{drawn}");
        assert!(drawn.contains("x… │"), "{drawn}");
    }

    #[test]
    fn line_mode_shows_one_value_per_line() {
        let preview = Preview {
            columns: vec![
                ("service".to_owned(), Some(Type::String)),
                ("requests_30d".to_owned(), Some(Type::Int)),
            ],
            rows: vec![
                vec![Cell::Text("packages".into()), Cell::Int(167_100_000)],
                vec![Cell::Text("dashboard".into()), Cell::Null],
            ],
            total_rows: 2,
        };
        assert_eq!(
            lines(&preview, &view(None)),
            "     service = packages\nrequests_30d = 167,100,000\n\n     service = dashboard\nrequests_30d = null\n"
        );
    }

    fn hostile() -> Preview {
        Preview {
            columns: vec![
                ("name\x1b[31m".to_owned(), Some(Type::String)),
                ("n".to_owned(), Some(Type::Int)),
            ],
            rows: vec![
                vec![Cell::Text("a\x1b[2Jb\nc\td\u{9b}|".into()), Cell::Int(1)],
                vec![Cell::Text("plain".into()), Cell::Int(2)],
            ],
            total_rows: 2,
        }
    }

    fn unsafe_chars(text: &str) -> bool {
        text.chars().any(|c| visible::is_unsafe(c) && c != '\n')
    }

    #[test]
    fn boxed_cells_and_names_show_control_characters_and_stay_aligned() {
        let drawn = draw(&hostile(), Style::Boxed, &view(None));
        assert!(!unsafe_chars(&drawn), "{drawn:?}");
        assert!(drawn.contains(r"a\x1b[2Jb\nc\td\u{9b}|"), "{drawn}");
        assert!(drawn.contains(r"name\x1b[31m"), "{drawn}");
        // One line per row, every line of the table equally wide.
        let widths: Vec<usize> = drawn.lines().map(text_width).collect();
        assert_eq!(widths.len(), 7, "{drawn}");
        assert!(widths.iter().all(|w| *w == widths[0]), "{drawn}");
    }

    #[test]
    fn fitted_tables_cut_the_escaped_text() {
        let drawn = draw(&hostile(), Style::Boxed, &view(Some(30)));
        assert!(!unsafe_chars(&drawn), "{drawn:?}");
        assert!(drawn.lines().all(|l| text_width(l) <= 30), "{drawn}");
    }

    #[test]
    fn markdown_cells_show_control_characters_and_escape_bars() {
        let drawn = draw(&hostile(), Style::Markdown, &view(None));
        assert!(!unsafe_chars(&drawn), "{drawn:?}");
        assert!(drawn.contains(r"| a\x1b[2Jb\nc\td\u{9b}\| |"), "{drawn}");
        assert_eq!(drawn.lines().count(), 4, "{drawn}");
    }

    #[test]
    fn line_mode_shows_control_characters() {
        let shown = lines(&hostile(), &view(None));
        assert!(!unsafe_chars(&shown), "{shown:?}");
        assert!(
            shown.starts_with("name\\x1b[31m = a\\x1b[2Jb\\nc\\td\\u{9b}|\n           n = 1\n"),
            "{shown}"
        );
    }

    #[test]
    fn elided_column_names_are_shown_escaped() {
        let mut preview = wide(10);
        preview.columns[5].0 = "evil\x1b]0;t\x07".to_owned();
        let drawn = draw(&preview, Style::Boxed, &view(Some(60)));
        assert!(!unsafe_chars(&drawn), "{drawn:?}");
        assert!(drawn.contains(r"evil\x1b]0;t\x07"), "{drawn}");
    }
}
