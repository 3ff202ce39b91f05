//! `infrac verify --validate`: a fresh build of each environment in a scratch directory, then
//! `terraform init -backend=false` and `terraform validate -json` in `00-bootstrap` and every
//! layer, the shared layers' under `shared/` too. Terraform's diagnostics become E0508 diagnostics on the emitted files, so that every
//! report format of `verify` shows them.

use std::path::{Component, Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use infrac_core::db::{RootDatabase, SourceFile};
use infrac_core::diagnostics::{Diagnostic, E0508};
use infrac_syntax::source::TextRange;

use crate::generated::{write_files, Files, Scratch};

/// How to run Terraform.
pub struct Terraform {
    pub binary: PathBuf,
    /// A provider mirror for `terraform init -plugin-dir`; `None` lets Terraform install
    /// providers as it normally does.
    pub plugin_dir: Option<PathBuf>,
}

impl Terraform {
    /// `--terraform` or `INFRAC_TERRAFORM` or `terraform` on the path; `--plugin-dir` or
    /// `INFRAC_TF_PLUGIN_DIR`. The error says why Terraform cannot be run.
    pub fn find(binary: Option<PathBuf>, plugin_dir: Option<PathBuf>) -> Result<Self, String> {
        let from_env = |var: &str| {
            std::env::var_os(var)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        };
        let binary = binary
            .or_else(|| from_env("INFRAC_TERRAFORM"))
            .unwrap_or_else(|| PathBuf::from("terraform"));
        let plugin_dir = plugin_dir.or_else(|| from_env("INFRAC_TF_PLUGIN_DIR"));
        let terraform = Terraform { binary, plugin_dir };
        match terraform.command(Path::new(".")).arg("version").output() {
            Ok(output) if output.status.success() => Ok(terraform),
            Ok(output) => Err(format!(
                "`{} version` failed: {}",
                terraform.binary.display(),
                String::from_utf8_lossy(&output.stderr).trim()
            )),
            Err(error) => Err(format!(
                "--validate needs Terraform, and `{}` cannot be run: {error} (install Terraform, or name it with --terraform PATH or INFRAC_TERRAFORM)",
                terraform.binary.display()
            )),
        }
    }

    pub fn command(&self, dir: &Path) -> Command {
        let mut command = Command::new(&self.binary);
        command
            .current_dir(dir)
            .env("TF_IN_AUTOMATION", "1")
            .env("CHECKPOINT_DISABLE", "1")
            .env("TF_INPUT", "0");
        for var in [
            "TF_CLI_ARGS",
            "TF_CLI_ARGS_init",
            "TF_CLI_ARGS_validate",
            "TF_DATA_DIR",
            "TF_WORKSPACE",
        ] {
            command.env_remove(var);
        }
        command
    }
}

/// Validates one environment's build. `files` is the whole build; `shown_root` is where the
/// report says the files are (`build/pro`, or the `--compare` directory of the environment);
/// `env_file` and `env_range` place problems that belong to no file (a failed `init`).
pub fn validate(
    db: &RootDatabase,
    terraform: &Terraform,
    files: &Files,
    shown_root: &Path,
    env_file: SourceFile,
    env_range: TextRange,
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let scratch = match Scratch::new("validate").and_then(|s| write_files(&s.0, files).map(|()| s))
    {
        Ok(scratch) => scratch,
        Err(error) => {
            // Diagnostic: E0508 terraform-invalid
            out.push(
                Diagnostic::error(E0508, env_file, env_range, error).with_label("not validated"),
            );
            return out;
        }
    };
    let mut roots: Vec<String> = files.keys().filter_map(|path| root_of(path)).collect();
    roots.dedup();
    let cwd = std::env::current_dir().unwrap_or_default();
    let mut sources: Vec<(String, SourceFile)> = Vec::new();
    // Terraform runs in a few root modules at once; its reports are turned into diagnostics in
    // order afterwards, so the result does not depend on which finished first.
    let jobs = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .clamp(1, 4);
    let results = run_roots(terraform, &scratch.0, &roots, jobs);
    for (root, result) in roots.iter().zip(results) {
        let report = match result {
            Ok(report) => report,
            Err(failure) => {
                let (message, help) = match failure {
                    RootFailure::Init(why) => (
                        format!(
                            "`terraform init -backend=false` failed in {}/{root}",
                            shown_root.display()
                        ),
                        Some(why),
                    ),
                    RootFailure::NoReport => (
                        format!(
                            "`terraform validate -json` printed no report in {}/{root}",
                            shown_root.display()
                        ),
                        None,
                    ),
                };
                // Diagnostic: E0508 terraform-invalid
                let diagnostic = Diagnostic::error(E0508, env_file, env_range, message)
                    .with_label("its generated Terraform was not validated");
                out.push(match help {
                    Some(help) => diagnostic.with_help(help),
                    None => diagnostic,
                });
                continue;
            }
        };
        for item in report["diagnostics"].as_array().into_iter().flatten() {
            out.push(diagnostic(
                db,
                item,
                root,
                files,
                shown_root,
                &cwd,
                &mut sources,
                env_file,
                env_range,
            ));
        }
    }
    out
}

/// The root module a build's file belongs to: `NN-layer` (or `00-bootstrap`), or the same under
/// `shared/` for the shared layers; `None` for `modules/`, `layers.json` and the like.
fn root_of(path: &str) -> Option<String> {
    let (first, rest) = path.split_once('/')?;
    let (dir, prefix) = match first == infrac_emit::emit::SHARED_DIR {
        true => (rest.split_once('/')?.0, format!("{first}/")),
        false => (first, String::new()),
    };
    dir.starts_with(|c: char| c.is_ascii_digit())
        .then(|| format!("{prefix}{dir}"))
}

enum RootFailure {
    Init(String),
    NoReport,
}

/// `terraform init` and `terraform validate -json` in each root module, `jobs` at a time; the
/// results come back in the order of `roots`.
fn run_roots(
    terraform: &Terraform,
    scratch: &Path,
    roots: &[String],
    jobs: usize,
) -> Vec<Result<serde_json::Value, RootFailure>> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Mutex;
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<Result<serde_json::Value, RootFailure>>>> =
        Mutex::new(roots.iter().map(|_| None).collect());
    std::thread::scope(|scope| {
        for _ in 0..jobs.min(roots.len()).max(1) {
            scope.spawn(|| loop {
                let index = next.fetch_add(1, Ordering::Relaxed);
                let Some(root) = roots.get(index) else { break };
                let result = run_root(terraform, &scratch.join(root));
                if let Ok(mut results) = results.lock() {
                    results[index] = Some(result);
                }
            });
        }
    });
    results
        .into_inner()
        .unwrap_or_default()
        .into_iter()
        .map(|r| r.unwrap_or(Err(RootFailure::NoReport)))
        .collect()
}

fn run_root(terraform: &Terraform, dir: &Path) -> Result<serde_json::Value, RootFailure> {
    let mut init = terraform.command(dir);
    init.args(["init", "-backend=false", "-input=false", "-no-color"]);
    if let Some(plugin_dir) = &terraform.plugin_dir {
        init.arg(format!("-plugin-dir={}", plugin_dir.display()));
    }
    match init.output() {
        Ok(output) if output.status.success() => {}
        Ok(output) => {
            return Err(RootFailure::Init(
                String::from_utf8_lossy(&output.stderr).trim().to_string(),
            ))
        }
        Err(error) => return Err(RootFailure::Init(error.to_string())),
    }
    terraform
        .command(dir)
        .args(["validate", "-json", "-no-color"])
        .output()
        .ok()
        .and_then(|o| serde_json::from_slice::<serde_json::Value>(&o.stdout).ok())
        .ok_or(RootFailure::NoReport)
}

/// One diagnostic of `terraform validate -json`, placed on the emitted file it names.
#[allow(clippy::too_many_arguments)]
fn diagnostic(
    db: &RootDatabase,
    item: &serde_json::Value,
    root: &str,
    files: &Files,
    shown_root: &Path,
    cwd: &Path,
    sources: &mut Vec<(String, SourceFile)>,
    env_file: SourceFile,
    env_range: TextRange,
) -> Diagnostic {
    let summary = item["summary"]
        .as_str()
        .unwrap_or("terraform validate failed");
    let detail = item["detail"].as_str().unwrap_or_default();
    let relative = item["range"]["filename"]
        .as_str()
        .and_then(|name| normalize(&Path::new(root).join(name)));
    let located = relative.as_ref().and_then(|relative| {
        let text = files.get(relative)?;
        let file = match sources.iter().find(|(path, _)| path == relative) {
            Some((_, file)) => *file,
            None => {
                let path = cwd.join(shown_root).join(relative);
                let file = SourceFile::new(db, path, Arc::from(text.as_str()), false);
                sources.push((relative.clone(), file));
                file
            }
        };
        let byte = |key: &str| item["range"][key]["byte"].as_u64().map(|b| b as usize);
        let start = byte("start").unwrap_or(0).min(text.len());
        let end = byte("end").unwrap_or(start).min(text.len());
        Some((file, TextRange::new(start, end)))
    });
    let (file, range, label) = match located {
        Some((file, range)) => (file, range, "terraform validate"),
        None => (
            env_file,
            env_range,
            "in the generated Terraform of this environment",
        ),
    };
    let message = match &relative {
        Some(_) => format!("terraform validate: {summary}"),
        None => format!(
            "terraform validate in {}/{root}: {summary}",
            shown_root.display()
        ),
    };
    let diagnostic = if item["severity"].as_str() == Some("warning") {
        // Diagnostic: E0508 terraform-invalid
        Diagnostic::warning(E0508, file, range, message)
    } else {
        // Diagnostic: E0508 terraform-invalid
        Diagnostic::error(E0508, file, range, message)
    };
    let diagnostic = diagnostic.with_label(label);
    if detail.is_empty() {
        diagnostic
    } else {
        diagnostic.with_help(detail.replace('\n', " "))
    }
}

/// `01-apps/../modules/x/main.tf` as `modules/x/main.tf`.
fn normalize(path: &Path) -> Option<String> {
    let mut parts: Vec<String> = Vec::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                parts.pop()?;
            }
            Component::Normal(part) => parts.push(part.to_string_lossy().into_owned()),
            _ => return None,
        }
    }
    Some(parts.join("/"))
}
