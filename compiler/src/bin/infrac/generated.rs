//! A whole build in memory (emitted files plus copied user modules), the unified diff of two such
//! builds (`infrac diff --generated`), and writing a build into a scratch directory.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use infrac::render::one_line;
use infrac_core::config::EnvName;
use infrac_core::db::{RootDatabase, SourceFile, Workspace};
use infrac_core::diagnostics::Diagnostic;
use infrac_emit::analysis::{check_env, emit_env, envs_in_file, load_project};

/// Every file of one environment's build, by path relative to the output root.
pub type Files = BTreeMap<String, String>;

/// Every file of a checked environment's build, by path relative to the output root: what
/// `emit_env` emits plus the copied user modules. The error is a one-line description.
pub fn files_of(
    db: &RootDatabase,
    workspace: Workspace,
    env: EnvName<'_>,
    file: SourceFile,
) -> Result<Files, String> {
    let emitted = emit_env(db, workspace, env, file)
        .as_ref()
        .ok_or_else(|| format!("env `{}` does not check", env.name(db)))?;
    let mut files = emitted.files.clone();
    files.extend(
        crate::output::copied_files(workspace.root(db), &emitted.copies)
            .map_err(|e| e.to_string())?,
    );
    Ok(files)
}

/// The project in `project_dir`, and the file of it that declares `env` alone (if one does).
fn load_env(
    project_dir: &Path,
    env: &str,
) -> (RootDatabase, Workspace, Vec<Diagnostic>, Option<SourceFile>) {
    let mut db = RootDatabase::default();
    let (workspace, load_errors) = load_project(&mut db, project_dir);
    let file = workspace
        .files(&db)
        .iter()
        .copied()
        .find(|f| f.path(&db).starts_with(project_dir) && envs_in_file(&db, *f) == [env]);
    (db, workspace, load_errors, file)
}

/// Builds environment `env` of the project in `project_dir` in memory; `None` when no file of
/// the project declares it alone. The error is a one-line description (the first error of the
/// environment, or an unreadable module directory).
pub fn build_in_memory(project_dir: &Path, env: &str) -> Result<Option<Files>, String> {
    let (db, workspace, load_errors, file) = load_env(project_dir, env);
    if let Some(error) = load_errors.iter().find(|d| d.is_error()) {
        return Err(one_line(&db, error));
    }
    let Some(file) = file else {
        return Ok(None);
    };
    let env_name = EnvName::new(&db, env.to_string());
    if let Some(error) = check_env(&db, workspace, env_name)
        .iter()
        .find(|d| d.is_error())
    {
        return Err(format!(
            "env `{env}` does not check: {}",
            one_line(&db, error)
        ));
    }
    files_of(&db, workspace, env_name, file).map(Some)
}

/// The user module directories (relative to the project root) a build of `env` copies; empty
/// when the environment is not declared or does not check.
pub fn user_modules(project_dir: &Path, env: &str) -> Vec<String> {
    let (db, workspace, _, file) = load_env(project_dir, env);
    let Some(file) = file else {
        return Vec::new();
    };
    emit_env(&db, workspace, EnvName::new(&db, env.to_string()), file)
        .as_ref()
        .map(|e| e.copies.iter().map(|(source, _)| source.clone()).collect())
        .unwrap_or_default()
}

/// The unified diff of two builds, file by file in path order, with `ENV/PATH` headers and three
/// lines of context. Empty when the builds are identical.
pub fn unified_diff(left_env: &str, left: &Files, right_env: &str, right: &Files) -> String {
    let paths: BTreeSet<&String> = left.keys().chain(right.keys()).collect();
    let mut out = String::new();
    for path in paths {
        let (old, new) = (left.get(path), right.get(path));
        if old == new {
            continue;
        }
        let old_header = match old {
            Some(_) => format!("{left_env}/{path}"),
            None => "/dev/null".to_string(),
        };
        let new_header = match new {
            Some(_) => format!("{right_env}/{path}"),
            None => "/dev/null".to_string(),
        };
        let old_text = old.map_or("", String::as_str);
        let new_text = new.map_or("", String::as_str);
        let diff = similar::TextDiff::from_lines(old_text, new_text);
        out.push_str(&format!("diff {left_env}/{path} {right_env}/{path}\n"));
        out.push_str(
            &diff
                .unified_diff()
                .context_radius(3)
                .header(&old_header, &new_header)
                .missing_newline_hint(true)
                .to_string(),
        );
    }
    out
}

/// A scratch directory under the system's temporary directory, removed when dropped.
pub struct Scratch(pub PathBuf);

impl Scratch {
    pub fn new(what: &str) -> Result<Scratch, String> {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let path = std::env::temp_dir().join(format!(
            "infrac-{what}-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        if path.exists() {
            let _ = std::fs::remove_dir_all(&path);
        }
        std::fs::create_dir_all(&path)
            .map_err(|e| format!("cannot create {}: {e}", path.display()))?;
        Ok(Scratch(path))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Writes a build's files under `root` (a scratch directory: no lock, no atomic swap).
pub fn write_files(root: &Path, files: &Files) -> Result<(), String> {
    for (relative, contents) in files {
        let path = root.join(relative);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        }
        std::fs::write(&path, contents)
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    Ok(())
}
