//! The diagnostics of a project, per file: the project's own and those of every environment
//! (so editing `pre.infra` also updates `pro.infra`), computed on a snapshot.

use std::collections::BTreeMap;
use std::path::PathBuf;

use infrac_core::db::{RootDatabase, Workspace};
use infrac_core::diagnostics::Diagnostic;
use infrac_emit::analysis::evaluate_layers;
use infrac_ide as ide;
use tower_lsp_server::ls_types as lsp;

use crate::convert::Texts;
use crate::state::DiagnosticsJob;

/// Every diagnostic of the workspace. The layers of every environment, which are most of the
/// work, are evaluated first on parallel snapshots (`evaluate_layers`); the environments are then
/// checked in this thread. A cancellation in any thread unwinds this call.
pub fn all_diagnostics(db: &RootDatabase, workspace: Workspace) -> Vec<Diagnostic> {
    evaluate_layers(db, workspace, &ide::env_names(db, workspace));
    ide::workspace_diagnostics(db, workspace)
}

/// LSP diagnostics for every user file of the project (an empty list for a clean file).
pub fn compute(job: &DiagnosticsJob) -> BTreeMap<PathBuf, Vec<lsp::Diagnostic>> {
    let db = &job.db;
    let mut by_file: BTreeMap<PathBuf, Vec<lsp::Diagnostic>> = BTreeMap::new();
    for &file in job.workspace.files(db) {
        if !file.deleted(db) && !ide::is_stdlib(db, file) {
            by_file.insert(file.path(db).clone(), Vec::new());
        }
    }
    let mut texts = Texts::new(db, job.encoding);
    let mut diagnostics = job.load_diagnostics.clone();
    diagnostics.extend(all_diagnostics(db, job.workspace));
    for diagnostic in &diagnostics {
        let path = diagnostic.primary().file.path(db);
        if let Some(list) = by_file.get_mut(path) {
            list.push(texts.diagnostic(&job.paths, diagnostic));
        }
    }
    by_file
}
