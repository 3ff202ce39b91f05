//! `infrac check`: type-check environments without writing anything.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use infrac_core::config::EnvName;
use infrac_core::db::{RootDatabase, SourceFile};
use infrac_emit::analysis::{self, check_env, envs_in_file, load_project};

use super::{diagnostics_json, name_list, report};
use crate::{Format, EXIT_ERRORS, EXIT_USAGE};

pub(crate) fn check(paths: Vec<PathBuf>, format: Format) -> ExitCode {
    let paths = if paths.is_empty() {
        vec![PathBuf::from("environments")]
    } else {
        paths
    };
    let mut all: Vec<String> = Vec::new();
    let mut json_items: Vec<serde_json::Value> = Vec::new();
    let mut errors = 0usize;
    let mut checked = 0usize;
    for path in &paths {
        let (dir, only) = if path.is_dir() {
            (path.clone(), None)
        } else if path.is_file() {
            (
                path.parent()
                    .filter(|p| !p.as_os_str().is_empty())
                    .map(Path::to_path_buf)
                    .unwrap_or_else(|| PathBuf::from(".")),
                Some(std::fs::canonicalize(path).unwrap_or_else(|_| path.clone())),
            )
        } else {
            eprintln!("error: {} does not exist", path.display());
            return ExitCode::from(EXIT_USAGE);
        };
        let dir = std::fs::canonicalize(&dir).unwrap_or(dir);
        let mut db = RootDatabase::default();
        let (workspace, load_errors) = load_project(&mut db, &dir);
        let mut diagnostics = load_errors;
        diagnostics.extend(analysis::module_dir_diagnostics(&db, workspace));
        let files: Vec<SourceFile> = workspace
            .files(&db)
            .iter()
            .copied()
            .filter(|f| f.path(&db).starts_with(&dir))
            .filter(|f| only.as_ref().is_none_or(|o| f.path(&db) == o))
            .collect();
        let mut envs: Vec<String> = files.iter().flat_map(|f| envs_in_file(&db, *f)).collect();
        envs.sort();
        envs.dedup();
        diagnostics.extend(
            analysis::project_diagnostics(&db, workspace)
                .iter()
                .cloned(),
        );
        analysis::evaluate_layers(&db, workspace, &envs);
        for env in &envs {
            diagnostics.extend(
                check_env(&db, workspace, EnvName::new(&db, env.clone()))
                    .iter()
                    .cloned(),
            );
            checked += 1;
        }
        analysis::sort_diagnostics(&db, &mut diagnostics);
        errors += diagnostics.iter().filter(|d| d.is_error()).count();
        match format {
            Format::Human => report(&db, &diagnostics, format),
            Format::Json => json_items.extend(diagnostics_json(&db, &diagnostics)),
        }
        all.extend(envs);
        // Not freed piece by piece: see `build`.
        std::mem::forget(db);
    }
    match format {
        Format::Human => {
            let verdict = if errors == 0 {
                "ok".to_string()
            } else {
                format!("{errors} error(s)")
            };
            eprintln!(
                "checked {checked} environment(s) ({}): {verdict}",
                name_list(&all)
            );
        }
        Format::Json => out!(
            "{}",
            serde_json::to_string_pretty(&json_items).unwrap_or_default()
        ),
    }
    if errors > 0 {
        ExitCode::from(EXIT_ERRORS)
    } else {
        ExitCode::SUCCESS
    }
}
