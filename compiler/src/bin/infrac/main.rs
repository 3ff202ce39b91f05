//! The `infrac` command line: the only code that reads arguments and writes files.

/// Prints to standard output; a closed pipe (`infrac ... | head`) is not an error worth a panic.
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout().lock(), $($arg)*);
    }};
}

/// Like `out!`, without a newline.
macro_rules! out_raw {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stdout().lock(), $($arg)*);
    }};
}

mod ci;
mod generated;
mod git;
mod moved;
mod ops;
mod output;
mod validate;
mod verify;

use std::collections::HashMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use clap::{Parser, Subcommand, ValueEnum};
use infrac::analysis::{self, check_env, emit_env, env_of_file, envs_in_file, load_project};
use infrac::config::{effective_config, EnvName};
use infrac::db::{RootDatabase, SourceFile, Workspace};
use infrac::diagnostics::{code_by_id, Diagnostic, ALL_CODES, E0507, W0501};
use infrac::model::{env_model, InstanceModel, PlacedLayer};

/// mimalloc: the compiler allocates many small nodes; with glibc's allocator a fifth of a check
/// was `malloc`/`free` and another third page faults (see docs/performance.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
use infrac::render::{display_path, one_line_at, to_miette};

#[derive(Parser)]
#[command(
    name = "infrac",
    version,
    about = "A typed configuration language that compiles to layered Terraform"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Type-check an environment and write its layered Terraform.
    Build {
        /// The environment file, e.g. environments/pro.infra.
        env_file: PathBuf,
        /// The output directory [default: build/ENV].
        #[arg(long)]
        out: Option<PathBuf>,
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
        /// A module instance renamed within a layer, for a `moved` block that the build cannot
        /// infer (e.g. renamed and given other inputs): LAYER.FROM=TO (repeatable).
        #[arg(long = "moved", value_name = "LAYER.FROM=TO")]
        moved: Vec<moved::Explicit>,
        /// Build even when a layer's state key differs from the previous build's in --out (E0507).
        #[arg(long)]
        allow_state_key_change: bool,
    },
    /// Type-check environments without writing anything.
    Check {
        /// Environment files or project directories [default: environments].
        paths: Vec<PathBuf>,
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
    },
    /// The CI step: check every environment and its policies, and optionally compare committed
    /// generated output with a fresh build.
    Verify {
        /// Project directories [default: environments].
        paths: Vec<PathBuf>,
        /// Only these environments (repeatable).
        #[arg(long = "env")]
        envs: Vec<String>,
        /// A directory of committed builds, one subdirectory per environment (`DIR/pro/...`).
        #[arg(long)]
        compare: Option<PathBuf>,
        #[arg(long, value_enum, default_value_t = verify::VerifyFormat::Human)]
        format: verify::VerifyFormat,
        /// Also run `terraform init -backend=false` and `terraform validate` on a fresh build of
        /// every environment, in 00-bootstrap and every layer.
        #[arg(long)]
        validate: bool,
        /// With --validate: the Terraform binary [default: $INFRAC_TERRAFORM, else `terraform`].
        #[arg(long)]
        terraform: Option<PathBuf>,
        /// With --validate: a provider mirror for `terraform init -plugin-dir`
        /// [default: $INFRAC_TF_PLUGIN_DIR, else Terraform's normal provider installation].
        #[arg(long)]
        plugin_dir: Option<PathBuf>,
    },
    /// The semantic difference of two environments: parameters, layers, instances, inputs and
    /// state keys, with where each side was set.
    Diff {
        /// The first environment file.
        left: PathBuf,
        /// The second environment file, of the same project.
        right: PathBuf,
        /// Print the unified diff of the two environments' generated files instead.
        #[arg(long)]
        generated: bool,
    },
    /// Refuse deletes and replaces of protected resources (databases, buckets, KMS keys, ...) in a
    /// Terraform plan (`terraform show -json PLANFILE`).
    Guard {
        /// The plan as JSON.
        plan: PathBuf,
        /// The environment the plan is for (printed in the report).
        #[arg(long)]
        env: String,
        /// Resource addresses that may be deleted or replaced (repeatable).
        #[arg(long = "allow")]
        allow: Vec<String>,
    },
    /// The layers whose emitted root module changed between two builds of an environment, or
    /// between the project as committed at a Git revision and the working tree.
    Affected {
        /// The build before the change; without --head, a Git revision (`main`, `HEAD~1`, a hash).
        #[arg(long)]
        base: String,
        /// The build after the change.
        #[arg(long)]
        head: Option<PathBuf>,
        /// With a Git revision: the environment files to compare.
        env_files: Vec<PathBuf>,
    },
    /// Generate a CI workflow for the project.
    Ci {
        #[command(subcommand)]
        target: CiTarget,
    },
    /// Write Markdown documentation of every module (the standard library and the project's own)
    /// from their typed interfaces.
    Doc {
        /// The directory to write `README.md` and one `MODULE.md` per module into.
        #[arg(long, default_value = "docs/modules")]
        out: PathBuf,
        /// A project directory whose own modules are documented too.
        #[arg(long)]
        project: Option<PathBuf>,
        /// Do not write: exit 1 when the directory is not up to date.
        #[arg(long)]
        check: bool,
    },
    /// Explain a diagnostic code (`infrac explain E0401`), or where a value comes from
    /// (`infrac explain environments/pro.infra databases.orders.instance_class`).
    Explain {
        /// A code such as E0401, or an environment file.
        subject: String,
        /// With an environment file: the path of a value.
        path: Option<String>,
    },
    /// Print the effective, fully resolved values of an environment.
    Eval {
        env_file: PathBuf,
        #[arg(long, value_enum, default_value_t = EvalFormat::Json)]
        format: EvalFormat,
    },
    /// Format `.infra` files in place (the formatter of the language server's "Format
    /// Document"), or with --check report the ones that are not formatted.
    Fmt {
        /// Files, or directories whose `.infra` files are formatted [default: environments].
        #[arg(default_values_t = ["environments".to_string()])]
        paths: Vec<String>,
        /// Do not write: list the files that would change and exit 1 if there are any.
        #[arg(long)]
        check: bool,
    },
    /// Print the layer graph of an environment.
    Graph {
        env_file: PathBuf,
        #[arg(long, value_enum, default_value_t = GraphFormat::Json)]
        format: GraphFormat,
    },
}

#[derive(Subcommand)]
enum CiTarget {
    /// A GitHub Actions workflow: verify on pull requests; plan, guard and apply every layer in
    /// order on main, environment after environment, with the protected ones behind an approval.
    Github {
        /// The environment files, in the order they are applied.
        #[arg(default_values_t = ["environments/dev.infra".to_string(), "environments/pre.infra".to_string(), "environments/pro.infra".to_string()])]
        env_files: Vec<String>,
        /// Environments whose jobs need an approval (a GitHub environment of the same name).
        #[arg(long = "protect", default_values_t = ["pro".to_string()])]
        protect: Vec<String>,
        /// The shell command that installs infrac on a runner.
        #[arg(
            long,
            default_value = "cargo install --locked --git https://github.com/infrac/infrac infrac"
        )]
        install: String,
        /// Where to write the workflow [default: standard output].
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Human,
    Json,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum EvalFormat {
    Json,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum GraphFormat {
    Json,
    Dot,
    Mermaid,
}

/// Exit codes, documented in docs/cli.md.
const EXIT_ERRORS: u8 = 1;
const EXIT_USAGE: u8 = 2;
/// A tool the command needs (`terraform`, `git`) cannot be run.
const EXIT_TOOL: u8 = 3;

fn main() -> ExitCode {
    infrac::analysis::init_thread_pool();
    miette::set_hook(Box::new(|_| {
        Box::new(miette::MietteHandlerOpts::new().width(100).build())
    }))
    .ok();
    let cli = Cli::parse();
    match cli.command {
        Command::Build {
            env_file,
            out,
            format,
            moved,
            allow_state_key_change,
        } => build(&env_file, out, format, &moved, allow_state_key_change),
        Command::Check { paths, format } => check(paths, format),
        Command::Verify {
            paths,
            envs,
            compare,
            format,
            validate,
            terraform,
            plugin_dir,
        } => {
            let validate = if validate {
                match validate::Terraform::find(terraform, plugin_dir) {
                    Ok(terraform) => Some(terraform),
                    Err(error) => {
                        eprintln!("error: {error}");
                        return ExitCode::from(EXIT_TOOL);
                    }
                }
            } else {
                None
            };
            ExitCode::from(verify::verify(verify::VerifyArgs {
                paths,
                envs,
                compare,
                format,
                validate,
            }))
        }
        Command::Ci {
            target:
                CiTarget::Github {
                    env_files,
                    protect,
                    install,
                    out,
                },
        } => ci_github(&env_files, &protect, &install, out.as_deref()),
        Command::Diff {
            left,
            right,
            generated,
        } => {
            if generated {
                diff_generated(&left, &right)
            } else {
                diff(&left, &right)
            }
        }
        Command::Guard { plan, env, allow } => guard(&plan, &env, &allow),
        Command::Affected {
            base,
            head,
            env_files,
        } => affected(&base, head.as_deref(), &env_files),
        Command::Doc {
            out,
            project,
            check,
        } => doc(&out, project.as_deref(), check),
        Command::Explain { subject, path } => explain(&subject, path.as_deref()),
        Command::Eval {
            env_file,
            format: EvalFormat::Json,
        } => eval(&env_file),
        Command::Graph { env_file, format } => graph(&env_file, format),
        Command::Fmt { paths, check } => fmt(&paths, check),
    }
}

/// `infrac fmt`: every named file, and the `.infra` files directly inside every named directory.
fn fmt(paths: &[String], check: bool) -> ExitCode {
    let mut files = Vec::new();
    for path in paths.iter().map(PathBuf::from) {
        if path.is_dir() {
            files.extend(analysis::infra_files_in(&path));
        } else if path.is_file() {
            files.push(path);
        } else {
            eprintln!("error: {} is not a file or directory", path.display());
            return ExitCode::from(EXIT_USAGE);
        }
    }
    let (mut changed, mut failed) = (0, 0);
    for file in &files {
        let (text, problem) = analysis::read_source(file);
        if let Some(problem) = problem {
            eprintln!("error[E0104]: {}: {problem}", file.display());
            failed += 1;
            continue;
        }
        let Some(formatted) = infrac::ide::format::format(&text) else {
            eprintln!(
                "error: {} has syntax errors and is left as it is; `infrac check` shows them",
                file.display()
            );
            failed += 1;
            continue;
        };
        if formatted == text {
            continue;
        }
        changed += 1;
        if check {
            out!("{}", file.display());
            continue;
        }
        if let Err(error) = write_formatted(file, &formatted) {
            eprintln!("error: cannot write {}: {error}", file.display());
            failed += 1;
        }
    }
    let verb = if check {
        "would reformat"
    } else {
        "reformatted"
    };
    eprintln!(
        "{verb} {changed} of {} file(s){}",
        files.len(),
        if failed > 0 {
            format!(", {failed} could not be formatted")
        } else {
            String::new()
        }
    );
    if failed > 0 || (check && changed > 0) {
        ExitCode::from(EXIT_ERRORS)
    } else {
        ExitCode::SUCCESS
    }
}

/// Replaces the text of `file` with `text`. A symbolic link is written through: the file it
/// names is formatted, and the link stays. The file keeps its mode, owner and hard links.
///
/// The text is written to a new file beside the real one first. When the real file has no
/// other hard link and the new file can take its owner, the new file (with the same mode) is
/// renamed over it, so it is never half written. Otherwise the text is written into the existing
/// file, which keeps its links; the new file, holding the whole formatted text, is removed only
/// after that, so a crash in between leaves it beside the original.
fn write_formatted(file: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write as _;
    let target = std::fs::canonicalize(file)?;
    let meta = std::fs::metadata(&target)?;
    let dir = target.parent().unwrap_or_else(|| Path::new("."));
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.infrac-fmt-{}", std::process::id()));
    let mut new_file = std::fs::File::options()
        .write(true)
        .create_new(true)
        .open(&tmp)?;
    let result = (|| {
        new_file.write_all(text.as_bytes())?;
        new_file.sync_all()?;
        new_file.set_permissions(meta.permissions())?;
        if replaceable(&new_file, &meta) {
            return std::fs::rename(&tmp, &target);
        }
        let mut existing = std::fs::File::options().write(true).open(&target)?;
        existing.write_all(text.as_bytes())?;
        existing.set_len(text.len() as u64)?;
        existing.sync_all()?;
        std::fs::remove_file(&tmp)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Whether the new file may be renamed over the file with metadata `meta`: it has no other hard
/// link, and the new file now has its owner and group.
#[cfg(unix)]
fn replaceable(new_file: &std::fs::File, meta: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::MetadataExt as _;
    meta.nlink() == 1
        && std::os::unix::fs::fchown(new_file, Some(meta.uid()), Some(meta.gid())).is_ok()
}

#[cfg(not(unix))]
fn replaceable(_: &std::fs::File, _: &std::fs::Metadata) -> bool {
    true
}

/// A loaded project with the file that was named on the command line.
struct Loaded {
    db: RootDatabase,
    workspace: Workspace,
    file: SourceFile,
    load_errors: Vec<Diagnostic>,
}

/// The project directories where a bare environment name (`infrac diff dev pro`) is looked up:
/// the working directory, then `environments/` (the default of `check` and `verify`).
const NAME_PROJECT_DIRS: [&str; 2] = [".", "environments"];

/// The file named by an `ENV_FILE` argument: the path itself when it is a file; for a bare
/// environment name (no directory, no `.infra`), the file that declares the environment of that
/// name in the project of the working directory, or else of `environments/`.
fn resolve_env_file(env_file: &Path) -> Result<PathBuf, ExitCode> {
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

fn load_env_file(env_file: &Path) -> Result<Loaded, ExitCode> {
    let env_file = &resolve_env_file(env_file)?;
    let absolute = std::fs::canonicalize(env_file).unwrap_or_else(|_| env_file.to_path_buf());
    let dir = absolute
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    let mut db = RootDatabase::default();
    let (workspace, mut load_errors) = load_project(&mut db, &dir);
    load_errors.extend(analysis::module_dir_diagnostics(&db, workspace));
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

fn report(db: &RootDatabase, diagnostics: &[Diagnostic], format: Format) {
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

/// The JSON form of diagnostics. Line indexes are built once per file, not once per label: a
/// file can have thousands of diagnostics.
fn diagnostics_json(db: &RootDatabase, diagnostics: &[Diagnostic]) -> Vec<serde_json::Value> {
    let mut indexes: HashMap<SourceFile, infrac::source::LineIndex> = HashMap::new();
    diagnostics
        .iter()
        .map(|diagnostic| diagnostic_json(db, diagnostic, &mut indexes))
        .collect()
}

fn diagnostic_json(
    db: &RootDatabase,
    diagnostic: &Diagnostic,
    indexes: &mut HashMap<SourceFile, infrac::source::LineIndex>,
) -> serde_json::Value {
    let mut primary = (1, 1);
    let labels: Vec<serde_json::Value> = diagnostic
        .labels
        .iter()
        .map(|label| {
            let text = label.file.text(db);
            let index = indexes
                .entry(label.file)
                .or_insert_with(|| infrac::source::LineIndex::new(text));
            let start = index.line_col(text, label.range.start);
            let end = index.line_col(text, label.range.end);
            if label.primary {
                primary = (start.line + 1, start.col + 1);
            }
            serde_json::json!({
                "file": display_path(db, label.file),
                "line": start.line + 1,
                "column": start.col + 1,
                "end_line": end.line + 1,
                "end_column": end.col + 1,
                "message": label.message,
                "primary": label.primary,
            })
        })
        .collect();
    serde_json::json!({
        "code": diagnostic.code.id,
        "severity": format!("{:?}", diagnostic.severity).to_lowercase(),
        "message": diagnostic.message,
        "help": diagnostic.help,
        "labels": labels,
        "text": one_line_at(db, diagnostic, primary.0, primary.1),
    })
}

fn build(
    env_file: &Path,
    out: Option<PathBuf>,
    format: Format,
    explicit_moves: &[moved::Explicit],
    allow_state_key_change: bool,
) -> ExitCode {
    let started = Instant::now();
    let loaded = match load_env_file(env_file) {
        Ok(loaded) => loaded,
        Err(code) => return code,
    };
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
            return ExitCode::from(EXIT_ERRORS);
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
        return ExitCode::from(EXIT_ERRORS);
    }
    let Some(emitted) = emit_env(&db, workspace, env_name, file) else {
        eprintln!("error: env `{env}` did not check; nothing was written");
        return ExitCode::from(EXIT_ERRORS);
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
        Err(error) => return output_failed(&error, &out, format),
    };
    let plan = match moved::plan(&out, &emitted.files, explicit_moves, &source) {
        Ok(plan) => plan,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::from(EXIT_USAGE);
        }
    };
    if !plan.key_changes.is_empty() {
        let diagnostics = state_key_changes(&db, file, &out, &plan, allow_state_key_change);
        report(&db, &diagnostics, format);
        if !allow_state_key_change {
            eprintln!(
                "error: env `{env}`: {} layer(s) would change their state key; nothing was written",
                plan.key_changes.len()
            );
            return ExitCode::from(EXIT_ERRORS);
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
    let mut warnings = Vec::new();
    let written = output::write_tree(&lock, &emitted, &root, &mut warnings);
    for warning in &warnings {
        eprintln!("warning: {warning}");
    }
    if let Err(error) = written {
        return output_failed(&error, &out, format);
    }
    drop(lock);
    let model = env_model(&db, workspace, env_name);
    // The shared layers first: they are applied first, once.
    let mut dirs: Vec<String> = Vec::new();
    for (prefix, part) in model
        .shared
        .iter()
        .map(|shared| (format!("{}/", infrac::emit::SHARED_DIR), &**shared))
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
    std::mem::forget(db);
    ExitCode::SUCCESS
}

/// Reports an output error (E0503, E0505) and what state the output is in.
fn output_failed(error: &output::OutputError, out: &Path, format: Format) -> ExitCode {
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
fn renamed_names(
    db: &RootDatabase,
    workspace: Workspace,
    env: EnvName<'_>,
    file: SourceFile,
    plan: &moved::Plan,
) -> Vec<Diagnostic> {
    let model = env_model(db, workspace, env);
    let index = infrac::project::project_index(db, workspace);
    plan.renamed_names
        .iter()
        .map(|change| {
            // The instance in its layer's source, or the environment when it cannot be found.
            let at = model
                .layers
                .iter()
                .find(|l| l.name == change.layer)
                .and_then(|layer| {
                    let layer_ref = index.layers.get(&layer.template)?;
                    let infrac::syntax::ItemKind::Layer(item) = &layer_ref.item(db).kind else {
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
fn state_key_changes(
    db: &RootDatabase,
    file: SourceFile,
    out: &Path,
    plan: &moved::Plan,
    allowed: bool,
) -> Vec<Diagnostic> {
    let at = verify::env_range(db, file);
    let bucket = output::read_generated(&out.join("layers.json"))
        .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
        .and_then(|j| j["state_bucket"].as_str().map(str::to_string))
        .unwrap_or_else(|| "BUCKET".into());
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
                "a `moved` block cannot move state between backend keys; before applying, copy the state object (`aws s3 cp s3://{bucket}/{} s3://{bucket}/{}`, or `terraform state pull` in the old layer and `terraform state push` in the new one), then build with --allow-state-key-change",
                change.old_key, change.new_key
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

fn check(paths: Vec<PathBuf>, format: Format) -> ExitCode {
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
                all.join(", ")
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

fn ci_github(
    env_files: &[String],
    protect: &[String],
    install: &str,
    out: Option<&Path>,
) -> ExitCode {
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
    let workflow = ci::github_workflow(&project_dir, &models, install, protect);
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

fn diff(left: &Path, right: &Path) -> ExitCode {
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
fn env_and_project(env_file: &Path) -> Result<(String, PathBuf), ExitCode> {
    let (loaded, env) = checked(env_file)?;
    Ok((env, loaded.workspace.root(&loaded.db).clone()))
}

fn diff_generated(left: &Path, right: &Path) -> ExitCode {
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

fn affected(base: &str, head: Option<&Path>, env_files: &[PathBuf]) -> ExitCode {
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

fn guard(plan: &Path, env: &str, allow: &[String]) -> ExitCode {
    let text = match std::fs::read_to_string(plan) {
        Ok(text) => text,
        Err(error) => {
            eprintln!("error: cannot read {}: {error}", plan.display());
            return ExitCode::from(EXIT_USAGE);
        }
    };
    match ops::guard(&text, allow) {
        Ok((refusals, total)) => {
            for refusal in &refusals {
                out!(
                    "REFUSED {} {}: {} (allow it with --allow {})",
                    refusal.actions,
                    refusal.address,
                    refusal.reason,
                    refusal.address
                );
            }
            if refusals.is_empty() {
                eprintln!(
                    "guard {env}: {total} change(s), no delete or replace of a protected resource"
                );
                ExitCode::SUCCESS
            } else {
                eprintln!(
                    "guard {env}: {} protected resource(s) would be deleted or replaced; refusing",
                    refusals.len()
                );
                ExitCode::from(EXIT_ERRORS)
            }
        }
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::from(EXIT_USAGE)
        }
    }
}

fn doc(out: &Path, project: Option<&Path>, check: bool) -> ExitCode {
    let mut db = RootDatabase::default();
    let workspace = match project {
        Some(dir) => load_project(&mut db, dir).0,
        None => {
            let files = analysis::stdlib_files(&mut db);
            Workspace::new(&db, files, PathBuf::from("."))
        }
    };
    let index = infrac::project::project_index(&db, workspace);
    let mut pages = vec![("README".to_string(), infrac::doc::index_page(&db, index))];
    pages.extend(infrac::doc::module_pages(&db, index));
    let mut stale = Vec::new();
    for (name, page) in &pages {
        let path = out.join(format!("{name}.md"));
        if std::fs::read_to_string(&path).ok().as_deref() == Some(page.as_str()) {
            continue;
        }
        if check {
            stale.push(path.display().to_string());
        } else if let Err(error) =
            std::fs::create_dir_all(out).and_then(|()| std::fs::write(&path, page))
        {
            eprintln!("error: cannot write {}: {error}", path.display());
            return ExitCode::from(EXIT_ERRORS);
        }
    }
    if !stale.is_empty() {
        eprintln!(
            "error: module documentation is out of date: {}",
            stale.join(", ")
        );
        eprintln!(
            "run `infrac doc --out {}` and commit the result",
            out.display()
        );
        return ExitCode::from(EXIT_ERRORS);
    }
    eprintln!(
        "{} module page(s) in {} are up to date",
        pages.len() - 1,
        out.display()
    );
    ExitCode::SUCCESS
}

fn explain(subject: &str, path: Option<&str>) -> ExitCode {
    if let Some(code) = code_by_id(subject) {
        match infrac::stdlib::diagnostic_page(code.id) {
            Some(page) => out_raw!("{page}"),
            None => out!("{}: {} ({})", code.id, code.summary, code.slug),
        }
        return ExitCode::SUCCESS;
    }
    let Some(path) = path else {
        let looks_like_code =
            subject.len() == 5 && subject[1..].chars().all(|c| c.is_ascii_digit());
        if looks_like_code {
            eprintln!(
                "error: unknown code {subject}; the codes are {}",
                ALL_CODES
                    .iter()
                    .map(|c| c.id)
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        } else {
            eprintln!("error: `infrac explain` takes a code (E0401) or an environment file and a value path");
        }
        return ExitCode::from(EXIT_USAGE);
    };
    let loaded = match load_env_file(Path::new(subject)) {
        Ok(loaded) => loaded,
        Err(code) => return code,
    };
    let db = &loaded.db;
    let env = match env_of_file(db, loaded.file) {
        Ok(env) => env,
        Err(diagnostic) => {
            report(db, &[*diagnostic], Format::Human);
            return ExitCode::from(EXIT_ERRORS);
        }
    };
    let env_name = EnvName::new(db, env.clone());
    let segments: Vec<String> = path.split('.').map(str::to_string).collect();
    let model = env_model(db, loaded.workspace, env_name);
    let value = match segments.as_slice() {
        [param, rest @ ..] if model.params.contains_key(param) => {
            field(model.params.get(param).cloned(), rest)
        }
        [layer, instance, input, rest @ ..] => {
            field(model.input(layer, instance, input).cloned(), rest)
        }
        _ => None,
    };
    let Some(value) = value else {
        eprintln!("error: `{path}` names no value in env `{env}` (paths are PARAM or LAYER.INSTANCE.INPUT)");
        return ExitCode::from(EXIT_USAGE);
    };
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(
        stdout,
        "{path} = {value}    (env {env}, chain {})",
        effective_config(db, loaded.workspace, env_name)
            .chain
            .join(" → ")
    );
    match infrac::policy::provenance(db, loaded.workspace, env_name, &segments) {
        Some(origin) => {
            if let Some(def) = &origin.def {
                let _ = writeln!(
                    stdout,
                    "  set at      {}  ({})",
                    location(db, def.file, def.range.start),
                    def.env
                        .as_deref()
                        .map_or("base".to_string(), |e| format!("env {e}"))
                );
            }
            if let Some((file, range, module)) = &origin.default_of {
                let _ = writeln!(
                    stdout,
                    "  default of  module `{module}` at {}",
                    location(db, *file, range.start)
                );
            }
            for old in &origin.overrode {
                let _ = writeln!(
                    stdout,
                    "  overrode    {}  ({})",
                    location(db, old.file, old.range.start),
                    old.env
                        .as_deref()
                        .map_or("base".to_string(), |e| format!("env {e}"))
                );
            }
        }
        None => {
            let _ = writeln!(stdout, "  (no source location)");
        }
    }
    let reads = infrac::trace::param_reads(db, loaded.workspace, env_name, &segments);
    print_reads(db, &mut stdout, &reads, 1);
    ExitCode::SUCCESS
}

/// `← NAME = VALUE, set at FILE:LINE:COL (env E), overrode ..., ...` for each parameter a value
/// was computed from, and theirs below it.
fn print_reads(
    db: &RootDatabase,
    out: &mut impl std::io::Write,
    reads: &[infrac::trace::ParamRead],
    depth: usize,
) {
    for read in reads {
        let value = read
            .value
            .as_ref()
            .map_or_else(|| "(no value)".to_string(), ToString::to_string);
        let mut line = format!("{}← {} = {value}", "  ".repeat(depth), read.name);
        if let Some(origin) = &read.provenance {
            let at = |def: &infrac::config::Def| {
                format!(
                    "{} ({})",
                    location(db, def.file, def.range.start),
                    def.env
                        .as_deref()
                        .map_or("base".to_string(), |e| format!("env {e}"))
                )
            };
            if let Some(def) = &origin.def {
                line.push_str(&format!(", set at {}", at(def)));
            }
            for old in &origin.overrode {
                line.push_str(&format!(", overrode {}", at(old)));
            }
        }
        let _ = writeln!(out, "{line}");
        print_reads(db, out, &read.reads, depth + 1);
    }
}

fn field(value: Option<infrac::value::Value>, rest: &[String]) -> Option<infrac::value::Value> {
    let mut value = value?;
    for key in rest {
        value = match value {
            infrac::value::Value::Record(mut entries) => entries.remove(key)?,
            _ => return None,
        };
    }
    Some(value)
}

fn location(db: &RootDatabase, file: SourceFile, offset: u32) -> String {
    let text = file.text(db);
    let pos = infrac::source::LineIndex::new(text).line_col(text, offset);
    format!(
        "{}:{}:{}",
        display_path(db, file),
        pos.line + 1,
        pos.col + 1
    )
}

/// Loads, checks and returns the model of an environment file, reporting errors.
fn checked(env_file: &Path) -> Result<(Loaded, String), ExitCode> {
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

fn eval(env_file: &Path) -> ExitCode {
    let (loaded, env) = match checked(env_file) {
        Ok(ok) => ok,
        Err(code) => return code,
    };
    let model = env_model(&loaded.db, loaded.workspace, EnvName::new(&loaded.db, env));
    // Serialized as it is written: no JSON tree of the whole environment in memory.
    let mut stdout = std::io::BufWriter::new(std::io::stdout().lock());
    let written = serde_json::to_writer_pretty(&mut stdout, &EvalDocument(model))
        .map_err(std::io::Error::from)
        .and_then(|()| writeln!(stdout))
        .and_then(|()| stdout.flush());
    drop(stdout);
    // Not freed piece by piece: see `build`.
    std::mem::forget(loaded);
    match written {
        Ok(()) => ExitCode::SUCCESS,
        // A closed pipe (`infrac eval ... | head`) is not an error of the environment.
        Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: cannot write the values: {error}");
            ExitCode::from(EXIT_ERRORS)
        }
    }
}

/// `infrac eval`'s document: the environment, its chain, its parameters, and every layer with its
/// directory, dependencies, instances (module and inputs) and outputs.
struct EvalDocument<'a>(&'a infrac::model::EnvModel);

impl serde::Serialize for EvalDocument<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let model = self.0;
        let mut map = serializer.serialize_map(Some(4))?;
        map.serialize_entry("env", &model.env)?;
        map.serialize_entry("chain", &model.chain)?;
        map.serialize_entry("params", &model.params)?;
        map.serialize_entry(
            "layers",
            &JsonObject(&model.layers, |layer| (&layer.name, EvalLayer(layer))),
        )?;
        map.end()
    }
}

struct EvalLayer<'a>(&'a PlacedLayer);

impl serde::Serialize for EvalLayer<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let layer = self.0;
        let mut map = serializer.serialize_map(Some(4))?;
        map.serialize_entry("dir", &layer.dir)?;
        map.serialize_entry("depends_on", &layer.depends_on)?;
        map.serialize_entry(
            "instances",
            &JsonObject(&layer.instances, |instance| {
                (&instance.name, EvalInstance(instance))
            }),
        )?;
        map.serialize_entry(
            "outputs",
            &JsonObject(&layer.outputs, |output| (&output.name, &output.value)),
        )?;
        map.end()
    }
}

struct EvalInstance<'a>(&'a InstanceModel);

impl serde::Serialize for EvalInstance<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let instance = self.0;
        let mut map = serializer.serialize_map(Some(2))?;
        map.serialize_entry("module", &instance.kind)?;
        map.serialize_entry(
            "inputs",
            &JsonObject(&instance.inputs, |(name, value)| (name, value)),
        )?;
        map.end()
    }
}

/// A JSON object of `items`, in their order, each as `entry(item) = (key, value)`.
struct JsonObject<'a, T, K, V>(&'a [T], fn(&'a T) -> (K, V));

impl<T, K: serde::Serialize, V: serde::Serialize> serde::Serialize for JsonObject<'_, T, K, V> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for item in self.0 {
            let (key, value) = (self.1)(item);
            map.serialize_entry(&key, &value)?;
        }
        map.end()
    }
}

fn graph(env_file: &Path, format: GraphFormat) -> ExitCode {
    let (loaded, env) = match checked(env_file) {
        Ok(ok) => ok,
        Err(code) => return code,
    };
    let model = env_model(
        &loaded.db,
        loaded.workspace,
        EnvName::new(&loaded.db, env.clone()),
    );
    // The shared layers come first, under `shared/`: they are applied before every environment.
    let mut nodes: Vec<(&str, String, &[String], bool)> = Vec::new();
    if let Some(shared) = &model.shared {
        nodes.extend(shared.layers.iter().map(|l| {
            let dir = format!("{}/{}", infrac::emit::SHARED_DIR, l.dir);
            (l.name.as_str(), dir, l.depends_on.as_slice(), true)
        }));
    }
    nodes.extend(model.layers.iter().map(|l| {
        (
            l.name.as_str(),
            l.dir.clone(),
            l.depends_on.as_slice(),
            false,
        )
    }));
    let dir_of = |name: &str| {
        nodes
            .iter()
            .find(|(n, ..)| *n == name)
            .map(|(_, dir, ..)| dir.clone())
    };
    match format {
        GraphFormat::Json => {
            let layers: Vec<serde_json::Value> = nodes
                .iter()
                .map(|(name, dir, depends_on, shared)| serde_json::json!({"name": name, "dir": dir, "shared": shared, "depends_on": depends_on}))
                .collect();
            out!(
                "{}",
                serde_json::to_string_pretty(&serde_json::json!({"env": env, "layers": layers}))
                    .unwrap_or_default()
            );
        }
        GraphFormat::Dot => {
            out!("digraph \"{env}\" {{");
            out!("  rankdir = LR;");
            for (_, dir, depends_on, _) in &nodes {
                out!("  \"{dir}\";");
                for dep in depends_on.iter().filter_map(|dep| dir_of(dep)) {
                    out!("  \"{dep}\" -> \"{dir}\";");
                }
            }
            out!("}}");
        }
        GraphFormat::Mermaid => {
            let id = |dir: &str| dir.replace(['-', '/'], "_");
            out!("graph LR");
            for (_, dir, depends_on, _) in &nodes {
                out!("  {}[\"{dir}\"]", id(dir));
                for dep in depends_on.iter().filter_map(|dep| dir_of(dep)) {
                    out!("  {} --> {}", id(&dep), id(dir));
                }
            }
        }
    }
    ExitCode::SUCCESS
}
