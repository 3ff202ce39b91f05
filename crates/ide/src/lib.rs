//! Editor features as plain data: hover, definition, references, completion, symbols, rename,
//! semantic tokens, inlay hints, formatting, code actions and signature help.
//!
//! Everything here takes byte offsets into one file's text and returns byte ranges and strings;
//! the `lsp` crate converts them to LSP positions and types. Nothing here knows LSP.

pub mod actions;
pub mod completion;
pub mod format;
pub mod hints;
pub mod hover;
pub mod lex;
pub mod outline;
pub mod signature;
pub mod snippets;
pub mod symbols;
pub mod tokens;

#[cfg(test)]
mod tests;

// The lower crates under the module names they had inside one crate, so that paths read the same
// in every layer (`crate::db::Db`).
use infrac_core::{
    config, db, diagnostics, functions, model, policy, project, schema, terraform, trace, types,
    value,
};
use infrac_emit::analysis;
use infrac_syntax::{self as syntax, source};

use std::collections::BTreeMap;

use crate::analysis::{check_env, project_diagnostics, sort_diagnostics};
use crate::config::EnvName;
use crate::db::{Db, SourceFile, Workspace};
use crate::diagnostics::Diagnostic;
use crate::project::project_index;
use crate::source::TextRange;

pub use symbols::{file_symbols, Occurrence, OccurrenceKind, OverrideSite, Symbol};

/// A range in a file.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct FileRange {
    pub file: SourceFile,
    pub range: TextRange,
}

/// Where a navigation lands: the whole construct and the name to select in it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct NavTarget {
    pub file: SourceFile,
    pub full_range: TextRange,
    pub focus_range: TextRange,
    pub name: String,
}

/// Replace `range` of a file's text by `new_text`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TextEdit {
    pub range: TextRange,
    pub new_text: String,
}

/// Edits to several files; the edits of one file do not overlap and are sorted.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SourceChange {
    pub edits: BTreeMap<SourceFileKey, (SourceFile, Vec<TextEdit>)>,
}

/// Orders files in a change by path, so that results are deterministic.
pub type SourceFileKey = std::path::PathBuf;

impl SourceChange {
    pub fn insert_in(&mut self, db: &dyn Db, file: SourceFile, edit: TextEdit) {
        let entry = self
            .edits
            .entry(file.path(db).clone())
            .or_insert_with(|| (file, Vec::new()));
        if !entry.1.contains(&edit) {
            entry.1.push(edit);
            entry.1.sort();
        }
    }

    pub fn is_empty(&self) -> bool {
        self.edits.values().all(|(_, edits)| edits.is_empty())
    }

    /// The edits per file, files in path order.
    pub fn files(&self) -> impl Iterator<Item = (SourceFile, &[TextEdit])> {
        self.edits
            .values()
            .map(|(file, edits)| (*file, edits.as_slice()))
    }
}

/// Whether a file is part of the embedded standard library (read-only for editors).
pub fn is_stdlib(db: &dyn Db, file: SourceFile) -> bool {
    file.path(db).starts_with("<stdlib>")
}

/// The names of the environments of a workspace, in name order.
pub fn env_names(db: &dyn Db, workspace: Workspace) -> Vec<String> {
    project_index(db, workspace).envs.keys().cloned().collect()
}

/// Every diagnostic of a workspace: the project's, and those of each of its environments,
/// sorted and without duplicates. Editors publish them per file of the primary label.
pub fn workspace_diagnostics(db: &dyn Db, workspace: Workspace) -> Vec<Diagnostic> {
    let mut diagnostics: Vec<Diagnostic> = project_diagnostics(db, workspace).clone();
    for env in env_names(db, workspace) {
        let env = EnvName::new(db, env);
        diagnostics.extend(check_env(db, workspace, env).iter().cloned());
    }
    sort_diagnostics(db, &mut diagnostics);
    diagnostics
}

/// A short, one-line rendering of a value or of source text, for hovers and hints.
pub(crate) fn shorten(text: &str, max_chars: usize) -> String {
    let one_line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() <= max_chars {
        return one_line;
    }
    let mut cut: String = one_line.chars().take(max_chars.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

/// The source text of a range, without trailing whitespace (the span of a named type such as
/// `string` can include the spaces after it).
pub(crate) fn slice(db: &dyn Db, file: SourceFile, range: TextRange) -> String {
    file.text(db)
        .get(range.start as usize..range.end as usize)
        .unwrap_or_default()
        .trim_end()
        .to_string()
}

/// `file.infra:12`: a file's name and a 1-based line.
pub(crate) fn file_line(db: &dyn Db, file: SourceFile, offset: u32) -> String {
    let line = infrac_core::db::line_col(db, file, offset).line + 1;
    let name = file
        .path(db)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    format!("{name}:{line}")
}
