//! The diagnostics of a project, per file: the project's own and those of every environment
//! (so editing `pre.infra` also updates `pro.infra`), computed on a snapshot.

use std::collections::BTreeMap;
use std::path::PathBuf;

use infrac::analysis::{check_env, project_diagnostics, sort_diagnostics};
use infrac::config::EnvName;
use infrac::db::{RootDatabase, Workspace};
use infrac::diagnostics::Diagnostic;
use infrac::ide;
use tower_lsp_server::ls_types as lsp;

use crate::convert::Texts;
use crate::state::DiagnosticsJob;

/// Every diagnostic of the workspace. Environments are checked on parallel snapshots, each in
/// its own thread: not on rayon's pool, whose work stealing could run a second query inside a
/// thread that is parsing (the parser uses rayon) and make salsa see a cycle. A cancellation in
/// any thread unwinds this call, as it would in the caller's thread.
pub fn all_diagnostics(db: &RootDatabase, workspace: Workspace) -> Vec<Diagnostic> {
    let envs = ide::env_names(db, workspace);
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    if envs.len() < 2 || threads < 2 {
        return ide::workspace_diagnostics(db, workspace);
    }
    let mut diagnostics: Vec<Diagnostic> = project_diagnostics(db, workspace).clone();
    let per_thread = envs.len().div_ceil(threads);
    let results = std::thread::scope(|scope| {
        let handles: Vec<_> = envs
            .chunks(per_thread)
            .map(|chunk| {
                let snapshot = db.clone();
                scope.spawn(move || {
                    let mut found = Vec::new();
                    for env in chunk {
                        let env = EnvName::new(&snapshot, env.clone());
                        found.extend(check_env(&snapshot, workspace, env).iter().cloned());
                    }
                    found
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join()).collect::<Vec<_>>()
    });
    for result in results {
        match result {
            Ok(found) => diagnostics.extend(found),
            // Re-raise `salsa::Cancelled` (or a real panic) in this thread.
            Err(payload) => std::panic::resume_unwind(payload),
        }
    }
    sort_diagnostics(db, &mut diagnostics);
    diagnostics
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
