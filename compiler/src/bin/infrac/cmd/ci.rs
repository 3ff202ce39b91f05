//! `infrac ci github`: write the GitHub Actions workflow of the project.

use std::path::Path;
use std::process::ExitCode;

use infrac_core::config::EnvName;
use infrac_core::model::env_model;

use super::checked;
use crate::ci;
use crate::EXIT_ERRORS;

pub(crate) fn ci_github(
    env_files: &[String],
    protect: &[String],
    source: &ci::InfracSource,
    out: Option<&Path>,
) -> ExitCode {
    let source_text = match source {
        ci::InfracSource::Version(text) | ci::InfracSource::Path(text) => text,
    };
    for (what, text) in env_files
        .iter()
        .map(|f| ("environment file", f))
        .chain([("infrac source", source_text)])
        .chain(protect.iter().map(|p| ("protected environment", p)))
    {
        if let Some(problem) = ci::unsafe_in_workflow(text) {
            eprintln!("error: the {what} {text:?} holds {problem}, which cannot be written into a workflow");
            return ExitCode::from(crate::EXIT_USAGE);
        }
    }
    let mut models = Vec::new();
    let mut project_dir = String::new();
    for env_file in env_files {
        let (loaded, env) = match checked(Path::new(env_file)) {
            Ok(ok) => ok,
            Err(code) => return code,
        };
        project_dir = Path::new(env_file)
            .parent()
            .map(|p| p.display().to_string())
            .filter(|p| !p.is_empty())
            .unwrap_or_else(|| ".".into());
        models.push((
            env_file.clone(),
            env_model(&loaded.db, loaded.workspace, EnvName::new(&loaded.db, env)).clone(),
        ));
    }
    let workflow = ci::github_workflow(&project_dir, &models, source, protect);
    match out {
        Some(path) => {
            if let Err(error) = path
                .parent()
                .map_or(Ok(()), std::fs::create_dir_all)
                .and_then(|()| std::fs::write(path, &workflow))
            {
                eprintln!("error: cannot write {}: {error}", path.display());
                return ExitCode::from(EXIT_ERRORS);
            }
            eprintln!("wrote {}", path.display());
        }
        None => out_raw!("{workflow}"),
    }
    ExitCode::SUCCESS
}
