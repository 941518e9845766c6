//! What the importer reports: warnings it goes on after, and errors it stops on.

use std::fmt;
use std::io;
use std::path::PathBuf;

/// Something the importer could not read as expected. The import goes on and
/// the affected values are left empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// The file, relative to the documentation directory, with `/` separators.
    pub file: String,
    /// The 1-based line, when the problem is at one line rather than the whole file.
    pub line: Option<usize>,
    pub message: String,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "warning: {}:{}: {}", self.file, line, self.message),
            None => write!(f, "warning: {}: {}", self.file, self.message),
        }
    }
}

/// A failure that stops the import: a required file is missing, or a file
/// cannot be read or written.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{}: required file is missing", .file.display())]
    MissingFile { file: PathBuf },
    #[error("{}: cannot read: {source}", .file.display())]
    Read { file: PathBuf, source: io::Error },
    #[error("{}: cannot write: {source}", .file.display())]
    Write { file: PathBuf, source: io::Error },
    #[error("{}: cannot write CSV: {source}", .file.display())]
    Csv { file: PathBuf, source: csv::Error },
    /// Reading a reports repository failed: not a repository, no git, a
    /// commit that cannot be read.
    #[error("{}: {message}", .repo.display())]
    Git { repo: PathBuf, message: String },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warning_names_file_and_line() {
        let warning = Warning {
            file: "services/alpha.md".into(),
            line: Some(12),
            message: "no request count".into(),
        };
        assert_eq!(
            warning.to_string(),
            "warning: services/alpha.md:12: no request count"
        );
    }

    #[test]
    fn warning_about_a_whole_file_has_no_line() {
        let warning = Warning {
            file: "README.md".into(),
            line: None,
            message: "not found".into(),
        };
        assert_eq!(warning.to_string(), "warning: README.md: not found");
    }

    #[test]
    fn error_names_the_file() {
        let error = ImportError::MissingFile {
            file: PathBuf::from("docs/services.md"),
        };
        assert_eq!(
            error.to_string(),
            "docs/services.md: required file is missing"
        );
    }
}
