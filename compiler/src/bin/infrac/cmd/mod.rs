//! What the commands share: loading the project of an environment file, and reporting diagnostics.

pub(crate) mod affected;
pub(crate) mod build;
pub(crate) mod check;
pub(crate) mod ci;
pub(crate) mod deploy;
pub(crate) mod diff;
pub(crate) mod doc;
pub(crate) mod eval;
pub(crate) mod explain;
pub(crate) mod fmt;
pub(crate) mod graph;
pub(crate) mod guard;
pub(crate) mod schema;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use infrac::render::{display_path, one_line_at, to_miette};
use infrac_core::config::EnvName;
use infrac_core::db::{RootDatabase, SourceFile, Workspace};
use infrac_core::diagnostics::Diagnostic;
use infrac_emit::analysis::{self, check_env, env_of_file, envs_in_file, load_project};

use crate::{Format, EXIT_ERRORS, EXIT_USAGE};

/// A loaded project with the file that was named on the command line.
pub(crate) struct Loaded {
    db: RootDatabase,
    workspace: Workspace,
    file: SourceFile,
    load_errors: Vec<Diagnostic>,
}

/// The project directories where a bare environment name (`infrac diff dev pro`) is looked up:
/// the working directory, then `environments/` (the default of `check` and `verify`).
pub(crate) const NAME_PROJECT_DIRS: [&str; 2] = [".", "environments"];

/// The file named by an `ENV_FILE` argument: the path itself when it is a file; for a bare
/// environment name (no directory, no `.infra`), the file that declares the environment of that
/// name in the project of the working directory, or else of `environments/`.
pub(crate) fn resolve_env_file(env_file: &Path) -> Result<PathBuf, ExitCode> {
    if env_file.is_file() {
        return Ok(env_file.to_path_buf());
    }
    let bare_name = env_file
        .to_str()
        .filter(|name| env_file.components().count() == 1 && !name.ends_with(".infra"));
    let Some(name) = bare_name else {
        eprintln!(
            "error: {} does not exist or is not a file",
            env_file.display()
        );
        return Err(ExitCode::from(EXIT_USAGE));
    };
    for dir in NAME_PROJECT_DIRS.iter().map(Path::new) {
        if analysis::infra_files_in(dir).is_empty() {
            continue;
        }
        let mut db = RootDatabase::default();
        let (workspace, _) = load_project(&mut db, dir);
        let found = workspace.files(&db).iter().copied().find(|file| {
            file.path(&db).starts_with(dir) && envs_in_file(&db, *file).iter().any(|e| e == name)
        });
        return match found {
            Some(file) => Ok(file.path(&db).clone()),
            None => {
                eprintln!(
                    "error: {name} is not a file, nor an environment of the project in {}",
                    dir.display()
                );
                Err(ExitCode::from(EXIT_USAGE))
            }
        };
    }
    eprintln!(
        "error: {name} is not a file, and there is no project (`.infra` files) in the working directory or in environments/"
    );
    Err(ExitCode::from(EXIT_USAGE))
}

pub(crate) fn load_env_file(env_file: &Path) -> Result<Loaded, ExitCode> {
    let env_file = &resolve_env_file(env_file)?;
    let absolute = std::fs::canonicalize(env_file).unwrap_or_else(|_| env_file.to_path_buf());
    let dir = absolute
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    let mut db = RootDatabase::default();
    let (workspace, load_errors) = load_project(&mut db, &dir);
    let file = workspace
        .files(&db)
        .iter()
        .copied()
        .find(|f| f.path(&db) == &absolute);
    let Some(file) = file else {
        eprintln!("error: {} is not an .infra file", env_file.display());
        return Err(ExitCode::from(EXIT_USAGE));
    };
    Ok(Loaded {
        db,
        workspace,
        file,
        load_errors,
    })
}

/// Names for a one-line summary: all of them when there are a few, else the first ten and how
/// many more (a project with 2,000 environments must not print a 20 KB line).
pub(crate) fn name_list(names: &[String]) -> String {
    const SHOWN: usize = 10;
    if names.len() <= SHOWN + 1 {
        return names.join(", ");
    }
    format!(
        "{}, and {} more",
        names[..SHOWN].join(", "),
        names.len() - SHOWN
    )
}

pub(crate) fn report(db: &RootDatabase, diagnostics: &[Diagnostic], format: Format) {
    match format {
        Format::Human => {
            for diagnostic in diagnostics {
                eprintln!("{:?}", miette::Report::new(to_miette(db, diagnostic)));
            }
        }
        Format::Json => {
            let items = diagnostics_json(db, diagnostics);
            out!(
                "{}",
                serde_json::to_string_pretty(&items).unwrap_or_default()
            );
        }
    }
}

/// The JSON form of diagnostics: the embedding API's data (`infrac_engine::Diagnostic`) with the
/// one-line text of each, and paths as the terminal shows them.
pub(crate) fn diagnostics_json(
    db: &RootDatabase,
    diagnostics: &[Diagnostic],
) -> Vec<serde_json::Value> {
    let data = infrac_engine::diagnostics_data(db, diagnostics, &|file| display_path(db, file));
    diagnostics
        .iter()
        .zip(data)
        .map(|(diagnostic, data)| {
            let (line, column) = data.primary().map_or((1, 1), |l| (l.line, l.column));
            let mut item = serde_json::to_value(&data).unwrap_or_default();
            if let Some(object) = item.as_object_mut() {
                object.insert(
                    "text".to_string(),
                    one_line_at(db, diagnostic, line, column).into(),
                );
            }
            item
        })
        .collect()
}

/// Loads, checks and returns the model of an environment file, reporting errors.
pub(crate) fn checked(env_file: &Path) -> Result<(Loaded, String), ExitCode> {
    let loaded = load_env_file(env_file)?;
    let env = match env_of_file(&loaded.db, loaded.file) {
        Ok(env) => env,
        Err(diagnostic) => {
            report(&loaded.db, &[*diagnostic], Format::Human);
            return Err(ExitCode::from(EXIT_ERRORS));
        }
    };
    analysis::evaluate_layers(&loaded.db, loaded.workspace, std::slice::from_ref(&env));
    let mut diagnostics = loaded.load_errors.clone();
    diagnostics.extend(
        check_env(
            &loaded.db,
            loaded.workspace,
            EnvName::new(&loaded.db, env.clone()),
        )
        .iter()
        .cloned(),
    );
    if diagnostics.iter().any(Diagnostic::is_error) {
        analysis::sort_diagnostics(&loaded.db, &mut diagnostics);
        report(&loaded.db, &diagnostics, Format::Human);
        return Err(ExitCode::from(EXIT_ERRORS));
    }
    Ok((loaded, env))
}
