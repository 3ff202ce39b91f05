//! infrac-engine: the embedding API of infrac, for developer portals, bots and test harnesses.
//!
//! A [`Project`] holds one incremental database: load it from a directory ([`Project::load_dir`])
//! or from files in memory ([`Project::from_files`]), then [`check`](Project::check) an
//! environment (diagnostics as data), [`evaluate`](Project::evaluate) it (serde values, with where
//! each value was set) or [`build`](Project::build) it (every generated file, in memory). Change a
//! file with [`Project::set_file`] and ask again: only what the change affects is computed again.
//!
//! These are the salsa queries the `infrac` command line and the language server run
//! (`infrac_emit::analysis`); nothing here writes a file, prints, or pulls in a terminal renderer,
//! a command-line parser or a global allocator.
//!
//! ```
//! use infrac_engine::Project;
//!
//! let mut project = Project::from_files(
//!     "/projects/reports",
//!     [
//!         (
//!             "base.infra",
//!             r#"project reports {
//!   region = "eu-west-1"
//!   state  = { bucket = "reports-tfstate-${env}" }
//! }
//! param log_days: LogRetention = 14
//! layer storage {
//!   kms_key main {}
//!   log_group exports {
//!     retention_days = log_days
//!     kms_key_arn    = main.arn
//!   }
//! }
//! "#,
//!         ),
//!         ("pro.infra", "env pro {\n  log_days = 90\n}\n"),
//!     ],
//! );
//! assert_eq!(project.environments(), ["pro"]);
//! assert!(project.check("pro").iter().all(|d| !d.is_error()));
//!
//! // Values as serde data, the document `infrac eval` prints.
//! let evaluation = project.evaluate("pro").unwrap();
//! assert_eq!(evaluation.values["params"]["log_days"], 90);
//!
//! // Every generated file, by path, without touching the disk.
//! let files = project.build("pro").unwrap();
//! assert!(files.contains_key("01-storage/main.tf"));
//!
//! // An edit: the next check sees it.
//! project.set_file("pro.infra", "env pro {\n  log_days = 91\n}\n");
//! let diagnostics = project.check("pro");
//! assert_eq!(diagnostics[0].code, "E0404");
//! assert_eq!(diagnostics[0].labels[0].file, "pro.infra");
//! assert_eq!(diagnostics[0].labels[0].line, 2);
//! ```

mod diagnostic;
mod eval;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use infrac_core::config::EnvName;
use infrac_core::db::{RootDatabase, SourceFile, Workspace};
use infrac_core::diagnostics as core;
use infrac_core::model::env_model;
use infrac_emit::analysis;
use salsa::Setter as _;

pub use diagnostic::{diagnostics_data, Diagnostic, Label, Location, Severity};
pub use eval::{write_eval_json, Definition, Provenance};

/// What a failed evaluation or build returns: the diagnostics (at least one error).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    pub diagnostics: Vec<Diagnostic>,
}

impl std::fmt::Display for Failure {
    /// The first error, and how many there are.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let errors: Vec<&Diagnostic> = self.diagnostics.iter().filter(|d| d.is_error()).collect();
        match errors.first() {
            Some(first) if errors.len() > 1 => {
                write!(f, "{first} (and {} more error(s))", errors.len() - 1)
            }
            Some(first) => write!(f, "{first}"),
            None => write!(f, "no error was reported"),
        }
    }
}

impl std::error::Error for Failure {}

/// An environment's values: `values` is the document `infrac eval` prints (`env`, `chain`,
/// `params`, and `layers` with each layer's `dir`, `depends_on`, `instances` and `outputs`);
/// `provenance` says where each parameter (`PARAM`) and each instance input
/// (`LAYER.INSTANCE.INPUT`) was set.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Evaluation {
    pub values: serde_json::Value,
    pub provenance: BTreeMap<String, Provenance>,
}

/// A project and its database. Every query is computed on demand and memoized; an edit
/// ([`set_file`](Self::set_file), [`remove_file`](Self::remove_file)) invalidates only what
/// depends on it.
pub struct Project {
    db: RootDatabase,
    workspace: Workspace,
    /// Files that could not be read when the project was loaded, until they are set again.
    load_diagnostics: Vec<core::Diagnostic>,
}

impl Project {
    /// Loads every `.infra` file directly inside `dir`, with the standard library. A file that
    /// cannot be read is an E0104 diagnostic of every check, not an error here.
    ///
    /// ```
    /// let dir = tempfile::tempdir().unwrap();
    /// std::fs::write(dir.path().join("dev.infra"), "env dev {}\n").unwrap();
    /// let project = infrac_engine::Project::load_dir(dir.path());
    /// assert_eq!(project.environments(), ["dev"]);
    /// // The project has no `project` item: E0205.
    /// assert!(project.check("dev").iter().any(|d| d.code == "E0205"));
    /// ```
    pub fn load_dir(dir: impl AsRef<Path>) -> Project {
        analysis::init_thread_pool();
        let dir = dir.as_ref();
        let dir = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
        let mut db = RootDatabase::default();
        let (workspace, load_diagnostics) = analysis::load_project(&mut db, &dir);
        Project {
            db,
            workspace,
            load_diagnostics,
        }
    }

    /// A project of files in memory, as (path relative to `root`, text). `root` is where the
    /// project's own modules (`source = "modules/NAME"`) are read from when it is built; nothing
    /// else is read from the disk.
    pub fn from_files<P, T>(
        root: impl Into<PathBuf>,
        files: impl IntoIterator<Item = (P, T)>,
    ) -> Project
    where
        P: AsRef<Path>,
        T: Into<String>,
    {
        analysis::init_thread_pool();
        let root = root.into();
        let mut db = RootDatabase::default();
        let mut sources: Vec<SourceFile> = files
            .into_iter()
            .map(|(path, text)| {
                let text: String = text.into();
                SourceFile::new(&db, root.join(path), Arc::from(text), false)
            })
            .collect();
        sources.extend(analysis::stdlib_files(&mut db));
        let workspace = Workspace::new(&db, sources, root, Vec::new(), Vec::new());
        analysis::reload_module_dirs(&mut db, workspace);
        analysis::reload_provider_schemas(&mut db, workspace);
        Project {
            db,
            workspace,
            load_diagnostics: Vec::new(),
        }
    }

    /// Adds a file, or replaces its text; `path` is relative to the project directory.
    ///
    /// ```
    /// let mut project = infrac_engine::Project::from_files("/p", [("dev.infra", "env dev {}\n")]);
    /// project.set_file("pro.infra", "env pro {}\n");
    /// assert_eq!(project.environments(), ["dev", "pro"]);
    /// ```
    pub fn set_file(&mut self, path: impl AsRef<Path>, text: impl Into<String>) {
        let path = self.workspace.root(&self.db).join(path);
        let text: Arc<str> = Arc::from(text.into());
        match self.user_file(&path) {
            Some(file) => {
                self.load_diagnostics
                    .retain(|d| d.labels.iter().all(|label| label.file != file));
                analysis::set_file_text(&mut self.db, file, text.to_string());
            }
            None => {
                let file = SourceFile::new(&self.db, path, text, false);
                let mut files = self.workspace.files(&self.db).clone();
                files.push(file);
                self.workspace.set_files(&mut self.db).to(files);
            }
        }
        self.reload_terraform();
    }

    /// Removes a file from the project; `false` when it has no such file.
    pub fn remove_file(&mut self, path: impl AsRef<Path>) -> bool {
        let path = self.workspace.root(&self.db).join(path);
        let Some(file) = self.user_file(&path) else {
            return false;
        };
        self.load_diagnostics
            .retain(|d| d.labels.iter().all(|label| label.file != file));
        let mut files = self.workspace.files(&self.db).clone();
        files.retain(|f| *f != file);
        self.workspace.set_files(&mut self.db).to(files);
        self.reload_terraform();
        true
    }

    /// After an edit: the modules' Terraform code, and the provider schemas if the instances
    /// now name other providers.
    fn reload_terraform(&mut self) {
        analysis::reload_module_dirs(&mut self.db, self.workspace);
        if analysis::schemas_stale(&self.db, self.workspace) {
            analysis::reload_provider_schemas(&mut self.db, self.workspace);
        }
    }

    /// The environments the project's files declare, sorted.
    pub fn environments(&self) -> Vec<String> {
        let mut envs: Vec<String> = self
            .user_files()
            .into_iter()
            .flat_map(|file| analysis::envs_in_file(&self.db, file))
            .collect();
        envs.sort();
        envs.dedup();
        envs
    }

    /// The environments one file of the project declares (`path` relative to the project
    /// directory), in the order it declares them; none for a file the project does not have.
    pub fn environments_in(&self, path: impl AsRef<Path>) -> Vec<String> {
        let path = self.workspace.root(&self.db).join(path);
        self.user_file(&path)
            .map(|file| analysis::envs_in_file(&self.db, file))
            .unwrap_or_default()
    }

    /// Every diagnostic of one environment (syntax, names, types, policies, and the project's
    /// own), sorted by file and position; the same as `infrac check` reports for it. An
    /// environment that no file declares is one E0301 diagnostic without labels.
    pub fn check(&self, env: &str) -> Vec<Diagnostic> {
        match self.checked(env) {
            Ok(diagnostics) | Err(diagnostics) => diagnostics,
        }
    }

    /// Every diagnostic of every environment, and of the project itself, without duplicates.
    pub fn check_all(&self) -> Vec<Diagnostic> {
        let envs = self.environments();
        analysis::evaluate_layers(&self.db, self.workspace, &envs);
        let mut diagnostics = self.project_diagnostics();
        for env in &envs {
            let env = EnvName::new(&self.db, env.clone());
            diagnostics.extend(
                analysis::check_env(&self.db, self.workspace, env)
                    .iter()
                    .cloned(),
            );
        }
        analysis::sort_diagnostics(&self.db, &mut diagnostics);
        self.data(&diagnostics)
    }

    /// The values of an environment that checks without errors, with their provenance.
    ///
    /// ```
    /// let project = infrac_engine::Project::from_files(
    ///     "/p",
    ///     [
    ///         ("base.infra", "project p {\n  region = \"eu-west-1\"\n  state = { bucket = \"p-${env}\" }\n}\nparam days: int = 1\n"),
    ///         ("dev.infra", "env dev {\n  days = 7\n}\n"),
    ///     ],
    /// );
    /// let evaluation = project.evaluate("dev").unwrap();
    /// assert_eq!(evaluation.values["params"]["days"], 7);
    /// let set_at = evaluation.provenance["days"].set_at.as_ref().unwrap();
    /// assert_eq!((set_at.location.file.as_str(), set_at.location.line), ("dev.infra", 2));
    /// assert_eq!(set_at.env.as_deref(), Some("dev"));
    /// assert_eq!(evaluation.provenance["days"].overrode[0].location.file, "base.infra");
    /// ```
    pub fn evaluate(&self, env: &str) -> Result<Evaluation, Failure> {
        self.checked(env)
            .map_err(|diagnostics| Failure { diagnostics })?;
        let env_name = EnvName::new(&self.db, env.to_string());
        let model = env_model(&self.db, self.workspace, env_name);
        let values = write_eval_json(model, Vec::new())
            .map_err(serde_json::Error::io)
            .and_then(|bytes| serde_json::from_slice(&bytes))
            .map_err(|error| Failure {
                diagnostics: vec![failure(core::E0406, &error.to_string())],
            })?;
        let mut paths: Vec<Vec<String>> = model.params.keys().map(|p| vec![p.clone()]).collect();
        for layer in &model.layers {
            for instance in layer.instances.iter() {
                for (input, _) in &instance.inputs {
                    paths.push(vec![
                        layer.name.clone(),
                        instance.name.clone(),
                        input.clone(),
                    ]);
                }
            }
        }
        let provenance = paths
            .into_iter()
            .filter_map(|path| {
                let origin =
                    infrac_core::policy::provenance(&self.db, self.workspace, env_name, &path)?;
                Some((path.join("."), self.provenance_data(&origin)))
            })
            .collect();
        Ok(Evaluation { values, provenance })
    }

    /// Every file of the environment's build, by path relative to the output directory: what
    /// `infrac build` writes into a fresh directory, byte for byte. Nothing is written.
    pub fn build(&self, env: &str) -> Result<BTreeMap<String, Vec<u8>>, Failure> {
        self.checked(env)
            .map_err(|diagnostics| Failure { diagnostics })?;
        let source = self.env_file(env)?;
        let env_name = EnvName::new(&self.db, env.to_string());
        let emitted = analysis::emit_env(&self.db, self.workspace, env_name, source)
            .as_ref()
            .ok_or_else(|| Failure {
                diagnostics: vec![failure(core::E0406, "the environment did not check")],
            })?;
        let root = self.workspace.root(&self.db);
        let copies =
            analysis::copied_module_files(root, &emitted.copies).map_err(|(dir, error)| {
                Failure {
                    diagnostics: vec![failure(
                        core::E0206,
                        &format!("cannot read module directory {}: {error}", dir.display()),
                    )],
                }
            })?;
        Ok(emitted
            .files
            .iter()
            .map(|(path, text)| (path.clone(), text.clone()))
            .chain(copies)
            .map(|(path, text)| (path, text.into_bytes()))
            .collect())
    }

    /// The database and workspace, for the queries of `infrac_core` and `infrac_emit` that this
    /// API does not wrap.
    pub fn database(&self) -> (&RootDatabase, Workspace) {
        (&self.db, self.workspace)
    }

    /// The check of one environment: `Ok` with its warnings, or `Err` with every diagnostic when
    /// one is an error.
    fn checked(&self, env: &str) -> Result<Vec<Diagnostic>, Vec<Diagnostic>> {
        if !self.environments().iter().any(|e| e == env) {
            return Err(vec![unknown_environment(env, &self.environments())]);
        }
        analysis::evaluate_layers(&self.db, self.workspace, &[env.to_string()]);
        let env_name = EnvName::new(&self.db, env.to_string());
        let mut diagnostics = self.project_diagnostics();
        diagnostics.extend(
            analysis::check_env(&self.db, self.workspace, env_name)
                .iter()
                .cloned(),
        );
        analysis::sort_diagnostics(&self.db, &mut diagnostics);
        let data = self.data(&diagnostics);
        if data.iter().any(Diagnostic::is_error) {
            Err(data)
        } else {
            Ok(data)
        }
    }

    /// What the loader and the file system add to the queries' diagnostics (unreadable files,
    /// module directories), as the command line adds them.
    fn project_diagnostics(&self) -> Vec<core::Diagnostic> {
        let mut diagnostics = self.load_diagnostics.clone();
        diagnostics.extend(
            analysis::project_diagnostics(&self.db, self.workspace)
                .iter()
                .cloned(),
        );
        diagnostics
    }

    /// The one file that declares `env`, for the generated files' headers; E0304 when that file
    /// declares more than one environment.
    fn env_file(&self, env: &str) -> Result<SourceFile, Failure> {
        let declaring = self.user_files().into_iter().find(|file| {
            analysis::envs_in_file(&self.db, *file)
                .iter()
                .any(|e| e == env)
        });
        let Some(file) = declaring else {
            return Err(Failure {
                diagnostics: vec![unknown_environment(env, &self.environments())],
            });
        };
        analysis::env_of_file(&self.db, file)
            .map(|_| file)
            .map_err(|diagnostic| Failure {
                diagnostics: self.data(&[*diagnostic]),
            })
    }

    fn data(&self, diagnostics: &[core::Diagnostic]) -> Vec<Diagnostic> {
        diagnostics_data(&self.db, diagnostics, &|file| self.file_name(file))
    }

    fn provenance_data(&self, origin: &infrac_core::policy::Provenance) -> Provenance {
        let definition = |def: &infrac_core::config::Def| Definition {
            location: Location::at(
                &self.db,
                def.file,
                def.range.start,
                self.file_name(def.file),
            ),
            env: def.env.as_deref().map(str::to_string),
        };
        Provenance {
            set_at: origin.def.as_ref().map(definition),
            overrode: origin.overrode.iter().map(definition).collect(),
            default_of: origin.default_of.as_ref().map(|(file, range, module)| {
                let location = Location::at(&self.db, *file, range.start, self.file_name(*file));
                (module.clone(), location)
            }),
        }
    }

    /// A file's path relative to the project directory, or as it is (the standard library's).
    fn file_name(&self, file: SourceFile) -> String {
        let path = file.path(&self.db);
        path.strip_prefix(self.workspace.root(&self.db))
            .unwrap_or(path)
            .display()
            .to_string()
    }

    /// The project's own files: not the standard library's.
    fn user_files(&self) -> Vec<SourceFile> {
        let root = self.workspace.root(&self.db);
        self.workspace
            .files(&self.db)
            .iter()
            .copied()
            .filter(|file| file.path(&self.db).starts_with(root))
            .collect()
    }

    fn user_file(&self, path: &Path) -> Option<SourceFile> {
        self.user_files()
            .into_iter()
            .find(|file| file.path(&self.db) == path)
    }
}

/// E0301 for an environment that no file declares.
fn unknown_environment(env: &str, known: &[String]) -> Diagnostic {
    Diagnostic {
        code: core::E0301.id.to_string(),
        severity: Severity::Error,
        message: format!("no file of the project declares an environment `{env}`"),
        help: core::did_you_mean(env, known.iter().map(String::as_str))
            .or_else(|| Some(format!("the environments are: {}", known.join(", ")))),
        labels: Vec::new(),
    }
}

/// An error without a place: what cannot be evaluated or built although the environment checked
/// (E0406), or a module directory that cannot be read (E0206).
fn failure(code: core::Code, message: &str) -> Diagnostic {
    Diagnostic {
        code: code.id.to_string(),
        severity: Severity::Error,
        message: message.to_string(),
        help: None,
        labels: Vec::new(),
    }
}
