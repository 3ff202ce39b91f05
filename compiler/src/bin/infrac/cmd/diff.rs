//! `infrac diff`: the semantic difference of two environments, or of their generated files.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use infrac_core::config::EnvName;
use infrac_emit::analysis::env_of_file;

use super::{checked, load_env_file, report};
use crate::{generated, ops};
use crate::{Format, EXIT_ERRORS, EXIT_USAGE};

pub(crate) fn diff(left: &Path, right: &Path) -> ExitCode {
    let mut sides = Vec::new();
    for env_file in [left, right] {
        let loaded = match load_env_file(env_file) {
            Ok(loaded) => loaded,
            Err(code) => return code,
        };
        match env_of_file(&loaded.db, loaded.file) {
            Ok(env) => sides.push((env, loaded.workspace.root(&loaded.db).clone())),
            Err(diagnostic) => {
                report(&loaded.db, &[*diagnostic], Format::Human);
                return ExitCode::from(EXIT_ERRORS);
            }
        }
    }
    let [(left_env, left_project), (right_env, right_project)]: [(String, PathBuf); 2] =
        match sides.try_into() {
            Ok(sides) => sides,
            Err(_) => return ExitCode::from(EXIT_USAGE),
        };
    if left_project != right_project {
        eprintln!("error: both environment files must belong to one project directory");
        return ExitCode::from(EXIT_USAGE);
    }
    match ops::diff(&left_project, &left_env, &right_env) {
        Ok(changes) => {
            for change in &changes {
                let side = |value: &Option<String>, origin: &str| match value {
                    Some(v) if origin.is_empty() => v.clone(),
                    Some(v) => format!("{v}  ({origin})"),
                    None => "(absent)".into(),
                };
                out!(
                    "~ {}
    {left_env}: {}
    {right_env}: {}",
                    change.path,
                    side(&change.left, &change.left_origin),
                    side(&change.right, &change.right_origin)
                );
            }
            eprintln!(
                "{} difference(s) between {left_env} and {right_env}",
                changes.len()
            );
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::from(EXIT_ERRORS)
        }
    }
}

/// The environment name and canonical project directory of an environment file.
pub(crate) fn env_and_project(env_file: &Path) -> Result<(String, PathBuf), ExitCode> {
    let (loaded, env) = checked(env_file)?;
    Ok((env, loaded.workspace.root(&loaded.db).clone()))
}

pub(crate) fn diff_generated(left: &Path, right: &Path) -> ExitCode {
    let mut sides = Vec::new();
    for env_file in [left, right] {
        let (loaded, env) = match checked(env_file) {
            Ok(ok) => ok,
            Err(code) => return code,
        };
        let env_name = EnvName::new(&loaded.db, env.clone());
        match generated::files_of(&loaded.db, loaded.workspace, env_name, loaded.file) {
            Ok(files) => sides.push((env, files)),
            Err(error) => {
                eprintln!("error: {error}");
                return ExitCode::from(EXIT_ERRORS);
            }
        }
    }
    let (left_env, left_files) = &sides[0];
    let (right_env, right_files) = &sides[1];
    let text = generated::unified_diff(left_env, left_files, right_env, right_files);
    out_raw!("{text}");
    let changed = text.lines().filter(|l| l.starts_with("diff ")).count();
    eprintln!("{changed} generated file(s) differ between {left_env} and {right_env}");
    ExitCode::SUCCESS
}
