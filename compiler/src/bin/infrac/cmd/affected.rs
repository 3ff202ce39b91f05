//! `infrac affected`: the layers whose emitted root module changed.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use super::diff::env_and_project;
use crate::{git, ops};
use crate::{EXIT_ERRORS, EXIT_TOOL, EXIT_USAGE};

pub(crate) fn affected(base: &str, head: Option<&Path>, env_files: &[PathBuf]) -> ExitCode {
    let dirs = match head {
        Some(head) => {
            if !env_files.is_empty() {
                eprintln!(
                    "error: environment files go with `--base GIT_REF` alone, not with --head"
                );
                return ExitCode::from(EXIT_USAGE);
            }
            match ops::affected(Path::new(base), head) {
                Ok(dirs) => dirs,
                Err(error) => {
                    eprintln!("error: {error}");
                    return ExitCode::from(EXIT_USAGE);
                }
            }
        }
        None => {
            if env_files.is_empty() {
                eprintln!("error: `infrac affected --base GIT_REF` needs environment files (e.g. environments/pro.infra), or --head BUILD_DIR");
                return ExitCode::from(EXIT_USAGE);
            }
            let mut dirs = Vec::new();
            for env_file in env_files {
                let (env, project) = match env_and_project(env_file) {
                    Ok(ok) => ok,
                    Err(code) => return code,
                };
                match git::affected_since(base, &project, &[env]) {
                    Ok(more) => dirs.extend(more),
                    Err(git::GitError::Missing(error)) => {
                        eprintln!("error: {error}");
                        return ExitCode::from(EXIT_TOOL);
                    }
                    Err(git::GitError::Usage(error)) => {
                        eprintln!("error: {error}");
                        return ExitCode::from(EXIT_USAGE);
                    }
                    Err(git::GitError::Build(error)) => {
                        eprintln!("error: {error}");
                        return ExitCode::from(EXIT_ERRORS);
                    }
                }
            }
            dirs
        }
    };
    for dir in &dirs {
        out!("{dir}");
    }
    eprintln!("{} layer(s) affected", dirs.len());
    ExitCode::SUCCESS
}
