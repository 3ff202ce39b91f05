//! `infrac affected --base GIT_REF`: the project as committed at a Git revision (its `.infra`
//! files and the user modules it uses, read with `git ls-tree` and `git cat-file`), built next to
//! the working tree's build, and compared layer by layer with the hashes of `ops::affected`.

use std::path::{Component, Path, PathBuf};
use std::process::Command;

use crate::generated::{build_in_memory, user_modules, write_files, Scratch};

/// Why `affected --base REF` could not answer.
pub enum GitError {
    /// `git` cannot be run at all.
    Missing(String),
    /// Not a repository, an unknown revision, or a file that cannot be read.
    Usage(String),
    /// An environment does not build (at the revision or in the working tree).
    Build(String),
}

fn git(top: &Path, args: &[&str]) -> Result<Vec<u8>, GitError> {
    let output = Command::new("git")
        .arg("-C")
        .arg(top)
        .args(args)
        .output()
        .map_err(|e| GitError::Missing(format!("cannot run git: {e}")))?;
    if !output.status.success() {
        return Err(GitError::Usage(format!(
            "git {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr).trim()
        )));
    }
    Ok(output.stdout)
}

/// `a/b/../c` as `a/c`, without touching the file system; `None` when it leaves the root.
fn normalize(path: &Path) -> Option<PathBuf> {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    return None;
                }
            }
            Component::Normal(part) => out.push(part),
            Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    Some(out)
}

/// Writes every file under `path` (relative to the repository root) as committed at `rev` into
/// `dest`, at the same relative paths. Returns how many files were written.
fn export(top: &Path, rev: &str, path: &Path, dest: &Path) -> Result<usize, GitError> {
    let spec = path.to_string_lossy().into_owned();
    let mut args = vec!["ls-tree", "-r", "-z", "--full-tree", "--name-only", rev];
    if !spec.is_empty() {
        args.push("--");
        args.push(&spec);
    }
    let listing = git(top, &args)?;
    let mut count = 0;
    for name in listing.split(|b| *b == 0).filter(|n| !n.is_empty()) {
        let name = String::from_utf8_lossy(name).into_owned();
        let bytes = git(top, &["cat-file", "blob", &format!("{rev}:{name}")])?;
        let to = dest.join(&name);
        if let Some(dir) = to.parent() {
            std::fs::create_dir_all(dir)
                .map_err(|e| GitError::Usage(format!("cannot create {}: {e}", dir.display())))?;
        }
        std::fs::write(&to, bytes)
            .map_err(|e| GitError::Usage(format!("cannot write {}: {e}", to.display())))?;
        count += 1;
    }
    Ok(count)
}

/// The affected layers (`ENV/NN-layer`, or `ENV/NN-layer (removed)`) of each environment between
/// the project committed at `rev` and the working tree. `envs` are environment names of the
/// project in `project_dir`.
pub fn affected_since(
    rev: &str,
    project_dir: &Path,
    envs: &[String],
) -> Result<Vec<String>, GitError> {
    let project_dir = std::fs::canonicalize(project_dir)
        .map_err(|e| GitError::Usage(format!("cannot read {}: {e}", project_dir.display())))?;
    let top_text = git(&project_dir, &["rev-parse", "--show-toplevel"])?;
    let top = PathBuf::from(String::from_utf8_lossy(&top_text).trim());
    let top = std::fs::canonicalize(&top).unwrap_or(top);
    let commit = git(
        &top,
        &[
            "rev-parse",
            "--verify",
            "--quiet",
            &format!("{rev}^{{commit}}"),
        ],
    )
    .map_err(|_| GitError::Usage(format!("`{rev}` is not a commit of {}", top.display())))?;
    let commit = String::from_utf8_lossy(&commit).trim().to_string();
    let relative = project_dir
        .strip_prefix(&top)
        .map(Path::to_path_buf)
        .map_err(|_| {
            GitError::Usage(format!(
                "{} is not inside {}",
                project_dir.display(),
                top.display()
            ))
        })?;

    let scratch = Scratch::new("affected").map_err(GitError::Usage)?;
    let source = scratch.0.join("source");
    let committed_project = source.join(&relative);
    export(&top, &commit, &relative, &source)?;
    std::fs::create_dir_all(&committed_project).map_err(|e| {
        GitError::Usage(format!(
            "cannot create {}: {e}",
            committed_project.display()
        ))
    })?;

    let mut out = Vec::new();
    for env in envs {
        // User modules outside the project directory are exported on demand, before the build
        // that reads them.
        for module in user_modules(&committed_project, env) {
            let Some(path) = normalize(&relative.join(&module)) else {
                continue;
            };
            if !source.join(&path).exists() {
                export(&top, &commit, &path, &source)?;
            }
        }
        let base = scratch.0.join("base").join(env);
        let head = scratch.0.join("head").join(env);
        match build_in_memory(&committed_project, env)
            .map_err(|e| GitError::Build(format!("at {rev}: {e}")))?
        {
            Some(files) => write_files(&base, &files).map_err(GitError::Usage)?,
            // A new environment: every layer of it is affected.
            None => write_files(
                &base,
                &[("layers.json".to_string(), "{}".to_string())].into(),
            )
            .map_err(GitError::Usage)?,
        }
        let files = build_in_memory(&project_dir, env)
            .map_err(|e| GitError::Build(format!("in the working tree: {e}")))?
            .ok_or_else(|| {
                GitError::Build(format!(
                    "in the working tree: no file declares env `{env}` alone"
                ))
            })?;
        write_files(&head, &files).map_err(GitError::Usage)?;
        let dirs = crate::ops::affected(&base, &head).map_err(GitError::Usage)?;
        out.extend(dirs.into_iter().map(|d| format!("{env}/{d}")));
    }
    Ok(out)
}
