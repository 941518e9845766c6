//! Pipe tables (`| a | b |`) and matching their columns by header name.
//!
//! Columns are found by name, not position, so a table with reordered or
//! extra columns still reads: names compare ignoring case, spaces and
//! punctuation, and each column accepts a few aliases (`IP Address`, `IP`,
//! `Server`).

use super::diagnostics::Warning;
use super::markdown::{Document, Line, Section};

/// A table as written: header cells and rows of raw cell text.
#[derive(Debug)]
pub struct PipeTable {
    pub header_line: usize,
    pub header: Vec<String>,
    /// Whether a `|---|` line follows the header.
    pub has_separator: bool,
    pub rows: Vec<PipeRow>,
}

#[derive(Debug)]
pub struct PipeRow {
    pub line: usize,
    pub cells: Vec<String>,
}

/// A column the importer wants: its key and the header names it goes by.
#[derive(Debug, Clone, Copy)]
pub struct Column {
    pub key: &'static str,
    pub aliases: &'static [&'static str],
}

/// Where each wanted column sits in a table.
#[derive(Debug)]
pub struct ColumnMap {
    positions: Vec<(&'static str, usize)>,
}

/// The first table in `section`.
pub fn first_table(section: &Section<'_>) -> Option<PipeTable> {
    let mut lines = section.lines().skip_while(|line| !line.is_table_row());
    let header = lines.next()?;
    let mut rows = lines.take_while(Line::is_table_row).peekable();
    let has_separator = rows
        .peek()
        .is_some_and(|line| is_separator(&split_cells(line.text)));
    if has_separator {
        rows.next();
    }
    Some(PipeTable {
        header_line: header.number,
        header: split_cells(header.text),
        has_separator,
        rows: rows
            .map(|line| PipeRow {
                line: line.number,
                cells: split_cells(line.text),
            })
            .collect(),
    })
}

/// The cells of a `| a | b |` line, trimmed; `\|` is a literal bar.
fn split_cells(text: &str) -> Vec<String> {
    let text = text.trim();
    let text = text.strip_prefix('|').unwrap_or(text);
    let text = text
        .strip_suffix('|')
        .filter(|_| !text.ends_with("\\|"))
        .unwrap_or(text);
    let mut cells = Vec::new();
    let mut current = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&'|') => {
                current.push('|');
                chars.next();
            }
            '|' => cells.push(std::mem::take(&mut current)),
            _ => current.push(c),
        }
    }
    cells.push(current);
    cells.iter().map(|cell| cell.trim().to_string()).collect()
}

fn is_separator(cells: &[String]) -> bool {
    cells.iter().all(|cell| {
        let dashes = cell.trim_matches(':');
        !dashes.is_empty() && dashes.chars().all(|c| c == '-')
    })
}

/// A header name reduced to lowercase letters and digits: `Requests (30d)` → `requests30d`.
fn normalized(name: &str) -> String {
    name.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// `"a", "b"`.
fn quoted(names: &[&str]) -> String {
    let quoted: Vec<String> = names.iter().map(|name| format!("\"{name}\"")).collect();
    quoted.join(", ")
}

impl ColumnMap {
    /// Matches `wanted` against the table's header. Header columns nobody
    /// wants get one warning; so do wanted columns the table lacks (their
    /// values read as empty).
    pub fn new(
        table: &PipeTable,
        wanted: &[Column],
        doc: &Document,
        warnings: &mut Vec<Warning>,
    ) -> ColumnMap {
        let header: Vec<String> = table.header.iter().map(|name| normalized(name)).collect();
        let mut positions: Vec<(&'static str, usize)> = Vec::new();
        let mut missing = Vec::new();
        for column in wanted {
            let is_free = |index: usize| !positions.iter().any(|&(_, taken)| taken == index);
            let found = column.aliases.iter().find_map(|alias| {
                let alias = normalized(alias);
                (0..header.len()).find(|&index| header[index] == alias && is_free(index))
            });
            match found {
                Some(index) => positions.push((column.key, index)),
                None => missing.push(column.aliases.first().copied().unwrap_or(column.key)),
            }
        }
        let extra: Vec<&str> = (0..table.header.len())
            .filter(|index| !positions.iter().any(|(_, taken)| taken == index))
            .map(|index| table.header[index].as_str())
            .collect();
        let line = table.header_line;
        if !extra.is_empty() {
            let message = format!("ignoring unknown column(s) {}", quoted(&extra));
            warnings.push(doc.warning(line, message));
        }
        if !missing.is_empty() {
            let message = format!("no column {}; its values are left empty", quoted(&missing));
            warnings.push(doc.warning(line, message));
        }
        if !table.has_separator {
            let message = "no `|---|` line under the table's header; read as a table all the same";
            warnings.push(doc.warning(line, message));
        }
        for row in &table.rows {
            let (cells, columns) = (row.cells.len(), table.header.len());
            if cells != columns {
                let message = if cells < columns {
                    format!(
                        "{cells} cells where the header has {columns}; the missing ones are left empty"
                    )
                } else {
                    format!(
                        "{cells} cells where the header has {columns}; the extra ones are ignored"
                    )
                };
                warnings.push(doc.warning(row.line, message));
            }
        }
        ColumnMap { positions }
    }

    /// Whether the table has the column `key`.
    pub fn has(&self, key: &str) -> bool {
        self.positions.iter().any(|&(wanted, _)| wanted == key)
    }

    /// The text of column `key` in `row`; empty when the table or the row lacks it.
    pub fn cell<'r>(&self, row: &'r PipeRow, key: &str) -> &'r str {
        self.positions
            .iter()
            .find(|&&(wanted, _)| wanted == key)
            .and_then(|&(_, index)| row.cells.get(index))
            .map_or("", String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const COLUMNS: &[Column] = &[
        Column {
            key: "ip",
            aliases: &["IP Address", "IP", "Server"],
        },
        Column {
            key: "size",
            aliases: &["Size", "Server Size"],
        },
        Column {
            key: "distro",
            aliases: &["Distro", "OS"],
        },
    ];

    fn table_of(text: &str) -> (Document, PipeTable) {
        let document = Document::from_bytes("t.md", text.as_bytes());
        let table = first_table(&document.section(|_| true).unwrap()).unwrap();
        (document, table)
    }

    #[test]
    fn a_broken_table_reads_with_a_warning_per_problem() {
        let (document, table) = table_of(
            "# T\n| IP | Size | OS\n| 10.0.0.1 | Large |\n| 10.0.0.2 | Small | Linux | extra |\n| 10.0.0.3 | Small | BSD |\n",
        );
        let mut warnings = Vec::new();
        let columns = ColumnMap::new(&table, COLUMNS, &document, &mut warnings);
        let cells: Vec<_> = table
            .rows
            .iter()
            .map(|row| columns.cell(row, "distro"))
            .collect();
        assert_eq!(cells, ["", "Linux", "BSD"]);
        assert_eq!(
            warnings.iter().map(ToString::to_string).collect::<Vec<_>>(),
            [
                "warning: t.md:2: no `|---|` line under the table's header; read as a table all the same",
                "warning: t.md:3: 2 cells where the header has 3; the missing ones are left empty",
                "warning: t.md:4: 4 cells where the header has 3; the extra ones are ignored",
            ]
        );
    }

    #[test]
    fn cells_split_on_unescaped_bars() {
        assert_eq!(split_cells("| a | b\\|c |  |"), ["a", "b|c", ""]);
        assert_eq!(split_cells("a|b"), ["a", "b"]);
    }

    #[test]
    fn reads_rows_after_the_separator() {
        let (_, table) =
            table_of("# T\n\ntext\n| A | B |\n|---|:-:|\n| 1 | 2 |\n| 3 |\n\nafter | x");
        assert_eq!(table.header_line, 4);
        assert_eq!(table.header, ["A", "B"]);
        let rows: Vec<_> = table
            .rows
            .iter()
            .map(|r| (r.line, r.cells.clone()))
            .collect();
        assert_eq!(
            rows,
            [
                (6, vec!["1".to_string(), "2".into()]),
                (7, vec!["3".into()])
            ]
        );
    }

    #[test]
    fn columns_match_by_alias_in_any_order() {
        let (document, table) = table_of(
            "# T\n| os | Notes | Server | SIZE |\n|-|-|-|-|\n| Linux | n | 10.0.0.1 | Small |",
        );
        let mut warnings = Vec::new();
        let columns = ColumnMap::new(&table, COLUMNS, &document, &mut warnings);
        let row = &table.rows[0];
        assert_eq!(columns.cell(row, "ip"), "10.0.0.1");
        assert_eq!(columns.cell(row, "size"), "Small");
        assert_eq!(columns.cell(row, "distro"), "Linux");
        assert_eq!(warnings.len(), 1);
        assert_eq!(
            warnings[0].to_string(),
            "warning: t.md:2: ignoring unknown column(s) \"Notes\""
        );
    }

    #[test]
    fn missing_columns_read_empty_with_one_warning() {
        let (document, table) = table_of("# T\n| IP Address |\n|-|\n| 10.0.0.1 |");
        let mut warnings = Vec::new();
        let columns = ColumnMap::new(&table, COLUMNS, &document, &mut warnings);
        assert!(columns.has("ip"));
        assert!(!columns.has("size"));
        assert_eq!(columns.cell(&table.rows[0], "size"), "");
        assert_eq!(
            warnings.iter().map(ToString::to_string).collect::<Vec<_>>(),
            ["warning: t.md:2: no column \"Size\", \"Distro\"; its values are left empty"]
        );
    }
}
