//! `infrac build`: check an environment and write its layered Terraform.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use infrac_core::config::EnvName;
use infrac_core::db::{RootDatabase, SourceFile, Workspace};
use infrac_core::diagnostics::{Diagnostic, E0507, W0501};
use infrac_core::model::env_model;
use infrac_emit::analysis::{self, check_env, emit_env, env_of_file};

use super::{load_env_file, report, Loaded};
use crate::{moved, output, verify};
use crate::{Format, EXIT_ERRORS, EXIT_USAGE};

pub(crate) fn build(
    env_file: &Path,
    out: Option<PathBuf>,
    format: Format,
    explicit_moves: &[moved::Explicit],
    allow_state_key_change: bool,
) -> ExitCode {
    let options = BuildOptions {
        format,
        explicit_moves,
        allow_state_key_change,
        endpoint: None,
    };
    match build_env(env_file, out, &options) {
        Ok(_) => ExitCode::SUCCESS,
        Err(code) => code,
    }
}

/// How `build_env` builds: the options of `infrac build`, and for the commands that run
/// Terraform on the build, an emulator endpoint whose override files join the build.
pub(crate) struct BuildOptions<'a> {
    pub format: Format,
    pub explicit_moves: &'a [moved::Explicit],
    pub allow_state_key_change: bool,
    pub endpoint: Option<&'a str>,
}

/// A written build: where it is and the environment's model.
pub(crate) struct Built {
    pub out: PathBuf,
    pub model: infrac_core::model::EnvModel,
}

/// Checks an environment and writes its build (the one engine and output writer of every
/// command that builds), reporting diagnostics; `Err` holds the exit code of a failure.
pub(crate) fn build_env(
    env_file: &Path,
    out: Option<PathBuf>,
    options: &BuildOptions<'_>,
) -> Result<Built, ExitCode> {
    let BuildOptions {
        format,
        explicit_moves,
        allow_state_key_change,
        endpoint,
    } = *options;
    let started = Instant::now();
    let loaded = load_env_file(env_file)?;
    let Loaded {
        db,
        workspace,
        file,
        load_errors,
    } = loaded;
    let env = match env_of_file(&db, file) {
        Ok(env) => env,
        Err(diagnostic) => {
            let mut diagnostics = load_errors;
            diagnostics.extend(
                analysis::project_diagnostics(&db, workspace)
                    .iter()
                    .cloned(),
            );
            diagnostics.push(*diagnostic);
            analysis::sort_diagnostics(&db, &mut diagnostics);
            report(&db, &diagnostics, format);
            return Err(ExitCode::from(EXIT_ERRORS));
        }
    };
    analysis::evaluate_layers(&db, workspace, std::slice::from_ref(&env));
    let env_name = EnvName::new(&db, env.clone());
    let mut diagnostics = load_errors;
    diagnostics.extend(check_env(&db, workspace, env_name).iter().cloned());
    let has_errors = diagnostics.iter().any(Diagnostic::is_error);
    if !diagnostics.is_empty() {
        report(&db, &diagnostics, format);
    }
    if has_errors {
        let errors = diagnostics.iter().filter(|d| d.is_error()).count();
        eprintln!("error: env `{env}` has {errors} error(s); nothing was written");
        return Err(ExitCode::from(EXIT_ERRORS));
    }
    let Some(emitted) = emit_env(&db, workspace, env_name, file) else {
        eprintln!("error: env `{env}` did not check; nothing was written");
        return Err(ExitCode::from(EXIT_ERRORS));
    };
    let out = out.unwrap_or_else(|| PathBuf::from("build").join(&env));
    let root = workspace.root(&db).clone();
    let source = file
        .path(&db)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    // The lock is held until the build ends, from before the previous output is read.
    let lock = match output::lock(&out) {
        Ok(lock) => lock,
        Err(error) => return Err(output_failed(&error, &out, format)),
    };
    let plan = match moved::plan(&out, &emitted.files, explicit_moves, &source) {
        Ok(plan) => plan,
        Err(error) => {
            eprintln!("error: {error}");
            return Err(ExitCode::from(EXIT_USAGE));
        }
    };
    if !plan.key_changes.is_empty() {
        let diagnostics = state_key_changes(&db, file, &plan, allow_state_key_change);
        report(&db, &diagnostics, format);
        if !allow_state_key_change {
            eprintln!(
                "error: env `{env}`: {} layer(s) would change their state key; nothing was written",
                plan.key_changes.len()
            );
            return Err(ExitCode::from(EXIT_ERRORS));
        }
    }
    for note in &plan.notes {
        eprintln!("warning: {note}");
    }
    let renamed = renamed_names(&db, workspace, env_name, file, &plan);
    if !renamed.is_empty() {
        report(&db, &renamed, format);
    }
    let mut emitted = emitted.clone();
    emitted.files.extend(plan.files.clone());
    if let Some(url) = endpoint {
        let model = env_model(&db, workspace, env_name);
        emitted
            .files
            .extend(infrac_emit::emit::endpoint::endpoint_files(
                model, url, &source,
            ));
    }
    let mut warnings = Vec::new();
    let written = output::write_tree(&lock, &emitted, &root, &mut warnings);
    for warning in &warnings {
        eprintln!("warning: {warning}");
    }
    if let Err(error) = written {
        return Err(output_failed(&error, &out, format));
    }
    drop(lock);
    let model = env_model(&db, workspace, env_name);
    // The shared layers first: they are applied first, once.
    let mut dirs: Vec<String> = Vec::new();
    for (prefix, part) in model
        .shared
        .iter()
        .map(|shared| (format!("{}/", infrac_emit::emit::SHARED_DIR), &**shared))
        .chain([(String::new(), model)])
    {
        dirs.extend(
            part.bootstrap
                .iter()
                .map(|_| format!("{prefix}00-bootstrap")),
        );
        dirs.extend(part.layers.iter().map(|l| format!("{prefix}{}", l.dir)));
    }
    let elapsed = started.elapsed();
    let moves: Vec<String> = plan
        .renames
        .iter()
        .map(|(dir, from, to)| format!("{dir}: module.{from} -> module.{to}"))
        .collect();
    if format == Format::Human {
        for line in &moves {
            eprintln!("moved {line} (moved.tf)");
        }
    }
    match format {
        Format::Human => eprintln!(
            "built env `{env}`: {} layer(s){} in {} ({}) in {:.1} ms",
            model.layers.len(),
            model
                .shared
                .as_ref()
                .map_or(String::new(), |shared| format!(
                    " and {} shared layer(s)",
                    shared.layers.len()
                )),
            out.display(),
            dirs.join(", "),
            elapsed.as_secs_f64() * 1000.0
        ),
        Format::Json => out!(
            "{}",
            serde_json::json!({"env": env, "out": out.display().to_string(), "dirs": dirs, "moved": moves, "millis": elapsed.as_secs_f64() * 1000.0})
        ),
    }
    // The process ends here; freeing a large database piece by piece costs more than a tenth of
    // the run, and the operating system takes the memory back at once.
    let model = model.clone();
    std::mem::forget(db);
    Ok(Built { out, model })
}

/// Reports an output error (E0503, E0505) and what state the output is in.
pub(crate) fn output_failed(error: &output::OutputError, out: &Path, format: Format) -> ExitCode {
    if format == Format::Json {
        // The same shape as the other diagnostics; the output is not a source, so no labels.
        out!(
            "{}",
            serde_json::json!([{
                "code": error.code(),
                "severity": "error",
                "message": error.to_string(),
                "help": serde_json::Value::Null,
                "labels": [],
                "text": format!("error[{}]: {error}", error.code()),
            }])
        );
    }
    eprintln!("error[{}]: {error}", error.code());
    if error.untouched() {
        eprintln!(
            "nothing was written; the previous output in {} is untouched",
            out.display()
        );
    }
    ExitCode::from(EXIT_ERRORS)
}

/// W0501 for each renamed instance whose physical names follow its name: the `moved` block keeps
/// the state, but the provider replaces the resource under its new name.
pub(crate) fn renamed_names(
    db: &RootDatabase,
    workspace: Workspace,
    env: EnvName<'_>,
    file: SourceFile,
    plan: &moved::Plan,
) -> Vec<Diagnostic> {
    let model = env_model(db, workspace, env);
    let index = infrac_core::project::project_index(db, workspace);
    plan.renamed_names
        .iter()
        .map(|change| {
            // The instance in its layer's source, or the environment when it cannot be found.
            let shared = model.shared.iter().flat_map(|shared| &shared.layers);
            let at = shared
                .chain(&model.layers)
                .find(|l| l.name == change.layer)
                .and_then(|layer| {
                    let layer_ref = index.layers.get(&layer.template)?;
                    let infrac_syntax::ItemKind::Layer(item) = &layer_ref.item(db).kind else {
                        return None;
                    };
                    let instance = item.instances.iter().find(|i| i.name.name == change.to)?;
                    Some((layer_ref.file, instance.name.range))
                })
                .unwrap_or_else(|| (file, verify::env_range(db, file)));
            let (input, before, now) = &change.inputs[0];
            let also = if change.inputs.len() > 1 {
                format!(
                    " (and {})",
                    change.inputs[1..]
                        .iter()
                        .map(|(i, _, _)| format!("`{i}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            } else {
                String::new()
            };
            let pins = change
                .inputs
                .iter()
                .map(|(i, before, _)| format!("{i} = {before}"))
                .collect::<Vec<_>>()
                .join(", ");
            // Diagnostic: W0501 physical-name-change
            Diagnostic::warning(
                W0501,
                at.0,
                at.1,
                format!(
                    "renaming `{}` to `{}` in layer `{}` changes `{input}` from {before} to {now}{also}: the state moves, but AWS replaces the resource",
                    change.from, change.to, change.layer
                ),
            )
            .with_label("its default name follows the instance's name")
            .with_help(format!(
                "to keep the resource, pin its old name in the instance: `{pins}`"
            ))
        })
        .collect()
}

/// E0507 for each layer whose state would move to another key: errors, or warnings when allowed.
pub(crate) fn state_key_changes(
    db: &RootDatabase,
    file: SourceFile,
    plan: &moved::Plan,
    allowed: bool,
) -> Vec<Diagnostic> {
    let at = verify::env_range(db, file);
    plan.key_changes
        .iter()
        .map(|change| {
            let renamed = if change.old_layer == change.layer {
                String::new()
            } else {
                format!(" (it was layer `{}`)", change.old_layer)
            };
            let message = format!(
                "layer `{}`{renamed} would move its state from `{}` to `{}`",
                change.layer, change.old_key, change.new_key
            );
            let help = format!(
                "a `moved` block cannot move state between backend keys; before applying, copy the state object (`aws s3 cp s3://{}/{} s3://{}/{}`, or `terraform state pull` in the old layer and `terraform state push` in the new one), then build with --allow-state-key-change",
                change.old_bucket, change.old_key, change.new_bucket, change.new_key
            );
            let diagnostic = if allowed {
                // Diagnostic: E0507 state-key-change
                Diagnostic::warning(E0507, file, at, message)
            } else {
                // Diagnostic: E0507 state-key-change
                Diagnostic::error(E0507, file, at, message)
            };
            diagnostic
                .with_label("the layers of this environment changed")
                .with_help(help)
        })
        .collect()
}
