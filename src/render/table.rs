//! The table view (comfy-table): a header with column names and types,
//! numbers right-aligned, and a footer line with the row count.

use comfy_table::{Cell as TableCell, CellAlignment, ContentArrangement, Table, presets};

use super::cells::{Cell, Preview};
use super::text::{cell_text, is_numeric};
use crate::plan::types::Type;

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
/// the boxed style).
pub fn draw(preview: &Preview, style: Style) -> String {
    let mut table = Table::new();
    table.set_content_arrangement(ContentArrangement::Disabled);
    match style {
        Style::Boxed => table.load_style(presets::UTF8_FULL_CONDENSED),
        Style::Markdown => table.load_style(presets::ASCII_MARKDOWN),
    };
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
    let align = |i: usize| {
        if numeric[i] {
            CellAlignment::Right
        } else {
            CellAlignment::Left
        }
    };
    let header: Vec<TableCell> = preview
        .columns
        .iter()
        .enumerate()
        .map(|(i, (name, ty))| {
            let text = match style {
                Style::Boxed => format!("{name}\n{}", type_name(*ty)),
                Style::Markdown => name.clone(),
            };
            TableCell::new(text).set_alignment(align(i))
        })
        .collect();
    table.set_header(header);
    for row in &preview.rows {
        table.add_row(
            row.iter()
                .enumerate()
                .map(|(i, cell)| TableCell::new(escape(cell, style)).set_alignment(align(i))),
        );
    }
    let mut out = table.to_string();
    out.push('\n');
    out
}

fn escape(cell: &Cell, style: Style) -> String {
    let text = cell_text(cell);
    match style {
        Style::Boxed => text,
        Style::Markdown => text.replace('|', "\\|").replace('\n', " "),
    }
}

/// "22 rows", "1 row", or "showing 40 of 1,234 rows (--max-rows to change)".
pub fn footer(preview: &Preview, hint: &str) -> String {
    let total = super::text::cell_text(&Cell::Int(preview.total_rows as i128));
    let shown = preview.rows.len();
    if shown < preview.total_rows {
        format!("showing {shown} of {total} rows ({hint})\n")
    } else if preview.total_rows == 1 {
        "1 row\n".to_owned()
    } else {
        format!("{total} rows\n")
    }
}
