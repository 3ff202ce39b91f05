//! Diagnostics as plain, serializable data: a code, a severity, a message, labels with file, line
//! and column, and a help text.

use infrac_core::db::{line_col, Db, SourceFile};
use infrac_core::diagnostics as core;
use serde::Serialize;

/// Error, warning or hint.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    Hint,
}

/// A labelled span: lines and columns count from 1, columns in bytes of the UTF-8 text (as the
/// CLI's `file:line:col` counts them), the end is exclusive.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Label {
    /// The file's path, relative to the project directory when it is inside it; the standard
    /// library's files are `<stdlib>/NAME.infra`.
    pub file: String,
    pub line: u32,
    pub column: u32,
    pub end_line: u32,
    pub end_column: u32,
    pub message: String,
    /// Exactly one label of a diagnostic that has labels is primary.
    pub primary: bool,
}

/// One diagnostic. `code` is a stable id such as `E0401` (`infrac explain E0401` prints its page).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Diagnostic {
    pub code: String,
    pub severity: Severity,
    pub message: String,
    pub help: Option<String>,
    /// Empty only for a diagnostic about no place in a file (an environment that does not exist).
    pub labels: Vec<Label>,
}

impl Diagnostic {
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// The primary label, if the diagnostic has labels.
    pub fn primary(&self) -> Option<&Label> {
        self.labels.iter().find(|label| label.primary)
    }
}

impl std::fmt::Display for Diagnostic {
    /// `FILE:LINE:COLUMN: error[CODE]: message`, or without the place when there is none.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let severity = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Hint => "hint",
        };
        if let Some(label) = self.primary() {
            write!(f, "{}:{}:{}: ", label.file, label.line, label.column)?;
        }
        write!(f, "{severity}[{}]: {}", self.code, self.message)
    }
}

/// Converts the compiler's diagnostics to data; `file_name` spells each file's path. Positions come
/// from each file's line index (`db::line_index`, built once per version of the file): a file can
/// have thousands of diagnostics.
pub fn diagnostics_data(
    db: &dyn Db,
    diagnostics: &[core::Diagnostic],
    file_name: &dyn Fn(SourceFile) -> String,
) -> Vec<Diagnostic> {
    diagnostics
        .iter()
        .map(|diagnostic| Diagnostic {
            code: diagnostic.code.id.to_string(),
            severity: match diagnostic.severity {
                core::Severity::Error => Severity::Error,
                core::Severity::Warning => Severity::Warning,
                core::Severity::Hint => Severity::Hint,
            },
            message: diagnostic.message.clone(),
            help: diagnostic.help.clone(),
            labels: diagnostic
                .labels
                .iter()
                .map(|label| {
                    let start = line_col(db, label.file, label.range.start);
                    let end = line_col(db, label.file, label.range.end);
                    Label {
                        file: file_name(label.file),
                        line: start.line + 1,
                        column: start.col + 1,
                        end_line: end.line + 1,
                        end_column: end.col + 1,
                        message: label.message.clone(),
                        primary: label.primary,
                    }
                })
                .collect(),
        })
        .collect()
}

/// A place in a file, for provenance: lines and columns count from 1, columns in bytes.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Location {
    pub file: String,
    pub line: u32,
    pub column: u32,
}

impl Location {
    pub(crate) fn at(db: &dyn Db, file: SourceFile, offset: u32, file_name: String) -> Self {
        let position = line_col(db, file, offset);
        Location {
            file: file_name,
            line: position.line + 1,
            column: position.col + 1,
        }
    }
}
