//! The columns and the table that `infraql import --git` adds to the bundled
//! tables' own: which revisions of the reports each row belongs to.
//!
//! Revisions are the commits that changed the reports, numbered from 1 (the
//! oldest imported) in the order they were made. A row is written once, for
//! the first revision whose tree has it, and stays in every later tree until
//! the revision in `gone_in`: it belongs to revision N exactly when
//! `revision <= N and (gone_in is null or gone_in > N)`. The language's
//! `latest` and `at N` operators apply that rule.

use super::tables::{ColumnDef, TableDef};
use crate::plan::types::Type;

/// The history columns, in this order, after a table's declared columns.
pub const COLUMNS: &[ColumnDef] = &[
    ColumnDef {
        name: "revision",
        ty: Type::Int,
        note: "the first revision (1 = oldest imported commit) whose reports hold this row",
    },
    ColumnDef {
        name: "commit",
        ty: Type::String,
        note: "that revision's commit (abbreviated hash)",
    },
    ColumnDef {
        name: "gone_in",
        ty: Type::Int,
        note: "the first revision whose reports no longer hold this row (null: still in the newest)",
    },
];

/// `revisions`: one row per imported commit.
pub const REVISIONS: TableDef = TableDef {
    name: "revisions",
    note: "the commits of the reports repository that `infraql import --git` read, oldest first",
    columns: &[
        ColumnDef {
            name: "revision",
            ty: Type::Int,
            note: "1 for the oldest imported commit, then one more per commit",
        },
        ColumnDef {
            name: "commit",
            ty: Type::String,
            note: "abbreviated commit hash",
        },
        ColumnDef {
            name: "date",
            ty: Type::Date,
            note: "the commit's date (committer date, UTC)",
        },
        ColumnDef {
            name: "subject",
            ty: Type::String,
            note: "the first line of the commit message",
        },
        ColumnDef {
            name: "imported",
            ty: Type::Bool,
            note: "false when the commit's reports could not be read (its rows are the previous revision's)",
        },
    ],
};

/// Whether `name` is one of the history columns.
pub fn is_history_column(name: &str) -> bool {
    COLUMNS.iter().any(|column| column.name == name)
}
