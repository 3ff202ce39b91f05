//! The engine's entry points: load a project, check environments, build them.
//!
//! The CLI, the language server and the CI step call these and nothing else.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use salsa::Setter as _;

use crate::config::{effective_config, env_chain, EnvName};
use crate::db::{
    parse_file, syntax_diagnostics, Db, ModuleDir, RootDatabase, SourceFile, Workspace,
};
use crate::diagnostics::{did_you_mean, Diagnostic, E0104, E0206, E0301, E0304};
use crate::emit::{emit, Emitted};
use crate::model::{env_model, module_sig, EnvModel};
use crate::policy::{check_policies, policy_results};
use crate::project::project_index;
use crate::syntax::ItemKind;
use crate::terraform::Origin;

/// Files larger than this are not read; a diagnostic says so.
pub const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// The `.infra` files directly inside `dir`, sorted (none when it cannot be read).
pub fn infra_files_in(dir: &Path) -> Vec<PathBuf> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|e| e == "infra") && p.is_file())
                .collect()
        })
        .unwrap_or_default();
    paths.sort();
    paths
}

/// Reads every `.infra` file directly inside `dir`, adds the standard library, and returns the
/// workspace with the diagnostics of files that could not be read as text.
pub fn load_project(db: &mut RootDatabase, dir: &Path) -> (Workspace, Vec<Diagnostic>) {
    let mut files = Vec::new();
    let mut diagnostics = Vec::new();
    for path in infra_files_in(dir) {
        let (text, problem) = read_source(&path);
        let file = SourceFile::new(db, path, Arc::from(text), false);
        if let Some(problem) = problem {
            diagnostics.push(unreadable_file(file, problem));
        }
        files.push(file);
    }
    files.extend(stdlib_files(db));
    parse_in_parallel(db, &files);
    let workspace = Workspace::new(db, files, dir.to_path_buf(), Vec::new(), Vec::new());
    reload_module_dirs(db, workspace);
    reload_provider_schemas(db, workspace);
    (workspace, diagnostics)
}

/// Below this many bytes in the files other than the largest, `parse_in_parallel` parses on the
/// caller's thread alone.
const PARALLEL_FILES_BYTES: usize = 32 * 1024;

/// Parses `files` on one thread per core, largest first, before the project index asks for them
/// one after the other. (A file larger than the syntax crate's parallel threshold is also cut
/// into pieces on rayon's pool.) These are plain threads, not rayon's: a rayon thread that waits
/// runs other queued jobs, and salsa refuses a query of one database handle inside a query of
/// another.
///
/// A panic in a thread is raised again in the caller's.
fn parse_in_parallel(db: &RootDatabase, files: &[SourceFile]) {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    if threads < 2 || files.len() < 2 {
        return;
    }
    let mut order: Vec<SourceFile> = files.to_vec();
    order.sort_by_key(|file| std::cmp::Reverse(file.text(db).len()));
    // A thread costs about half a millisecond to start and end: worth it only when the files
    // besides the largest take longer than that to parse.
    let rest: usize = order.iter().skip(1).map(|file| file.text(db).len()).sum();
    if rest < PARALLEL_FILES_BYTES {
        return;
    }
    let next = std::sync::atomic::AtomicUsize::new(0);
    let work = |db: &RootDatabase| loop {
        let index = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let Some(file) = order.get(index) else {
            break;
        };
        parse_file(db, *file);
    };
    std::thread::scope(|scope| {
        let helpers: Vec<_> = (1..threads.min(files.len()))
            .filter_map(|_| {
                let snapshot = db.clone();
                let work = &work;
                std::thread::Builder::new()
                    .stack_size(ANALYSIS_STACK)
                    .spawn_scoped(scope, move || work(&snapshot))
                    .ok()
            })
            .collect();
        work(db);
        for helper in helpers {
            if let Err(panic) = helper.join() {
                std::panic::resume_unwind(panic);
            }
        }
    });
}

/// Reads the cached schemas of the providers whose resource types the project's instances name
/// (`crate::schema`): after loading, and after an edit that may name another provider. A
/// project that names none reads nothing.
pub fn reload_provider_schemas(db: &mut RootDatabase, workspace: Workspace) {
    let wanted = crate::schema::wanted_providers(db, project_index(db, workspace));
    let root = workspace.root(db).clone();
    let mut schemas = Vec::new();
    for provider in wanted {
        let Some((source, version, path)) = cached_schema(&root, &provider) else {
            continue;
        };
        // Not `read_source`: a provider's schema may be larger than a source file may be. A file
        // that cannot be read is empty, which `schema_index` reports as no cache infrac wrote.
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        let file = SourceFile::builder(path, Arc::from(text), false)
            .durability(salsa::Durability::MEDIUM)
            .new(db);
        schemas.push(crate::db::ProviderSchema::new(
            db, provider, source, version, file,
        ));
    }
    workspace.set_schemas(db).to(schemas);
}

/// Whether the project's instances name other providers than the ones whose schemas were read:
/// then `reload_provider_schemas`.
pub fn schemas_stale(db: &dyn Db, workspace: Workspace) -> bool {
    let wanted = crate::schema::wanted_providers(db, project_index(db, workspace));
    let loaded: std::collections::BTreeSet<String> = workspace
        .schemas(db)
        .iter()
        .map(|schema| schema.provider(db).clone())
        .collect();
    // A wanted provider with no cache stays unloaded; it is stale only once a cache appears.
    let root = workspace.root(db);
    wanted != loaded
        && wanted
            .iter()
            .any(|p| !loaded.contains(p) && cached_schema(root, p).is_some())
        || loaded.iter().any(|p| !wanted.contains(p))
}

/// The newest cached schema of a provider type: `.infrac/schemas/NAMESPACE/TYPE/VERSION.jsonl`,
/// as `(NAMESPACE/TYPE, VERSION, path)`.
pub fn cached_schema(root: &Path, provider: &str) -> Option<(String, String, PathBuf)> {
    let base = root.join(crate::schema::SCHEMA_DIR);
    let mut found: Vec<(Vec<u64>, String, String, PathBuf)> = Vec::new();
    for namespace in std::fs::read_dir(&base).ok()?.flatten() {
        let dir = namespace.path().join(provider);
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.extension().is_none_or(|e| e != "jsonl") || !path.is_file() {
                continue;
            }
            let version = path
                .file_stem()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            let numbers = version
                .split(['.', '-'])
                .map(|part| part.parse().unwrap_or(0))
                .collect();
            let source = format!("{}/{provider}", namespace.file_name().to_string_lossy());
            found.push((numbers, source, version, path));
        }
    }
    found.sort();
    found
        .pop()
        .map(|(_, source, version, path)| (source, version, path))
}

/// Reads the Terraform code of the project's modules (again): after loading, and after an edit
/// that may change which modules the project uses or where they are.
pub fn reload_module_dirs(db: &mut RootDatabase, workspace: Workspace) {
    let module_dirs = load_module_dirs(db, workspace);
    workspace.set_module_dirs(db).to(module_dirs);
}

/// Reads the Terraform files of every project module's `source`: a project directory, or the
/// copy of a registry or git module (`project { vendor = "DIR" }`, or Terraform's own
/// `.terraform/modules` after `terraform get`). A source that cannot be read gets a `ModuleDir`
/// with the problem, which `module_dir_diagnostics` reports.
fn load_module_dirs(db: &mut RootDatabase, workspace: Workspace) -> Vec<ModuleDir> {
    let index = project_index(db, workspace);
    let root = workspace.root(db).clone();
    let vendor = vendor_setting(db, index);
    let mut dirs = Vec::new();
    for (source, version) in module_sources(db, workspace) {
        let located = match crate::terraform::origin(&source, version.as_deref()) {
            Origin::Stdlib(_) => continue,
            Origin::Local("") => Err("the `source` is empty".to_string()),
            Origin::Local(path) => Ok(root.join(path)),
            Origin::Remote(remote) => remote_copy(&root, vendor.as_deref(), remote),
        };
        // Messages name a local module by its `source`, a remote one by where its copy is.
        let shown = |path: &Path| match crate::terraform::origin(&source, version.as_deref()) {
            Origin::Remote(_) => path.display().to_string(),
            _ => source.clone(),
        };
        let (path, files, problem) = match located {
            Ok(path) if !path.is_dir() => {
                let problem = format!("`{}` is not a directory of the project", shown(&path));
                (path, Vec::new(), Some(problem))
            }
            Ok(path) => match read_module_files(db, &path) {
                Ok(files) if files.is_empty() => {
                    let problem = format!("`{}` holds no `.tf` file", shown(&path));
                    (path, files, Some(problem))
                }
                Ok(files) => (path, files, None),
                Err(problem) => {
                    let problem = format!("`{}` cannot be read: {problem}", shown(&path));
                    (path, Vec::new(), Some(problem))
                }
            },
            Err(problem) => (PathBuf::new(), Vec::new(), Some(problem)),
        };
        dirs.push(ModuleDir::new(db, source, path, files, problem));
    }
    dirs
}

/// The `source` (and `version`) of every project module whose Terraform code is read from the
/// disk (not the standard library's), sorted by source.
fn module_sources(db: &dyn Db, workspace: Workspace) -> Vec<(String, Option<String>)> {
    let index = project_index(db, workspace);
    let mut sources: Vec<(String, Option<String>)> = project_modules(db, index)
        .filter_map(|(_, module)| {
            let (source, _) = module.source.as_ref()?;
            let version = module.version.as_ref().map(|(v, _)| v.clone());
            Some((source.clone(), version))
        })
        .filter(|(source, version)| {
            !matches!(
                crate::terraform::origin(source, version.as_deref()),
                Origin::Stdlib(_)
            )
        })
        .collect();
    sources.sort();
    sources.dedup_by(|a, b| a.0 == b.0);
    sources
}

/// Whether the project's modules name other sources than the ones whose code was loaded (an
/// edit added a module or changed a `source`): then `reload_module_dirs`.
pub fn module_dirs_stale(db: &dyn Db, workspace: Workspace) -> bool {
    let wanted = module_sources(db, workspace);
    let loaded = workspace.module_dirs(db);
    wanted.len() != loaded.len()
        || wanted
            .iter()
            .zip(loaded)
            .any(|((source, _), dir)| source != dir.source(db))
}

/// `vendor = "DIR"` of the `project` item, when it is a plain string.
fn vendor_setting(db: &dyn Db, index: &crate::project::ProjectIndex) -> Option<String> {
    let ItemKind::Project(project) = &index.project?.item(db).kind else {
        return None;
    };
    project
        .body
        .entries
        .iter()
        .find(|entry| entry.path.len() == 1 && entry.path[0].name == "vendor")
        .and_then(|entry| entry.value.as_plain_str())
}

/// The directory that holds a copy of a remote module: under the project's `vendor` directory
/// (`vendor/terraform-aws-modules/vpc/aws`), or where `.terraform/modules/modules.json` says
/// `terraform get` put it.
fn remote_copy(root: &Path, vendor: Option<&str>, source: &str) -> Result<PathBuf, String> {
    let vendored = vendor
        .zip(crate::terraform::vendor_path(source))
        .map(|(vendor, relative)| root.join(vendor).join(relative));
    if let Some(dir) = vendored.as_ref().filter(|dir| dir.is_dir()) {
        return Ok(dir.clone());
    }
    if let Some(dir) = terraform_get_copy(root, source) {
        return Ok(dir);
    }
    Err(match vendored {
        Some(dir) => format!(
            "the copy of `{source}` is not on disk: expected it in `{}` (`project {{ vendor }}`) or in `.terraform/modules` after `terraform get`",
            dir.display()
        ),
        None => format!(
            "the copy of `{source}` is not on disk: name a directory of copies with `project {{ vendor = \"DIR\" }}`, or run `terraform get` so that `.terraform/modules/modules.json` lists it"
        ),
    })
}

/// The directory `.terraform/modules/modules.json` (written by `terraform get` or `init` in the
/// project directory) gives for a source; the registry's host may be spelled out there.
fn terraform_get_copy(root: &Path, source: &str) -> Option<PathBuf> {
    let manifest = std::fs::read_to_string(root.join(".terraform/modules/modules.json")).ok()?;
    let manifest: serde_json::Value = serde_json::from_str(&manifest).ok()?;
    let registry = format!("registry.terraform.io/{source}");
    manifest
        .get("Modules")?
        .as_array()?
        .iter()
        .find(|entry| {
            entry
                .get("Source")
                .and_then(serde_json::Value::as_str)
                .is_some_and(|s| s == source || s == registry)
        })
        .and_then(|entry| entry.get("Dir")?.as_str().map(|dir| root.join(dir)))
        .filter(|dir| dir.is_dir())
}

/// The `.tf` files of a module directory as source files (medium durability: they change less
/// often than `.infra` files), each read as `.infra` files are (`read_source`).
fn read_module_files(db: &mut RootDatabase, dir: &Path) -> Result<Vec<SourceFile>, String> {
    let paths = crate::terraform::tf_paths(dir).map_err(|error| error.to_string())?;
    let mut files = Vec::new();
    for path in paths {
        let (text, problem) = read_source(&path);
        if let Some(problem) = problem {
            let name = path.file_name().unwrap_or_default().to_string_lossy();
            return Err(format!("{name}: {problem}"));
        }
        files.push(
            SourceFile::builder(path, Arc::from(text), false)
                .durability(salsa::Durability::MEDIUM)
                .new(db),
        );
    }
    Ok(files)
}

/// The diagnostic of a file that `read_source` could not read entirely.
pub fn unreadable_file(file: SourceFile, problem: String) -> Diagnostic {
    // Diagnostic: E0104 unreadable-file
    Diagnostic::error(E0104, file, Default::default(), problem).with_label("this file")
}

/// Why a `.infra` path is not read at all: it is a symbolic link to something that is not an
/// `.infra` file (for instance `~/.aws/credentials`), whose lines every diagnostic's excerpt
/// would otherwise print. A link to an `.infra` file, inside the project or outside it (a shared
/// `base.infra`), is read as usual.
fn refused_link(path: &Path) -> Option<String> {
    let link = std::fs::symlink_metadata(path).ok()?;
    if !link.file_type().is_symlink() {
        return None;
    }
    // A dangling link is not refused here: reading it fails with its own message.
    let target = std::fs::canonicalize(path).ok()?;
    if target.extension().is_some_and(|e| e == "infra") {
        return None;
    }
    Some(format!(
        "the file is a symbolic link to {}, which is not an `.infra` file; infrac does not read it",
        target.display()
    ))
}

/// The text of a file, and a problem if it is not entirely readable UTF-8. A symbolic link to a
/// file that is not an `.infra` file is not read (`refused_link`): its text is empty.
pub fn read_source(path: &Path) -> (String, Option<String>) {
    if let Some(problem) = refused_link(path) {
        return (String::new(), Some(problem));
    }
    match std::fs::metadata(path) {
        Ok(meta) if meta.len() > MAX_FILE_BYTES => {
            return (
                String::new(),
                Some(format!(
                    "the file is {} bytes, more than the limit of {MAX_FILE_BYTES}",
                    meta.len()
                )),
            );
        }
        Err(error) => {
            return (
                String::new(),
                Some(format!("cannot read the file: {error}")),
            )
        }
        Ok(_) => {}
    }
    match std::fs::read(path) {
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(text) => (text, None),
            Err(error) => {
                let at = error.utf8_error().valid_up_to();
                (
                    String::from_utf8_lossy(error.as_bytes()).into_owned(),
                    Some(format!(
                        "the file is not valid UTF-8 (first bad byte at offset {at})"
                    )),
                )
            }
        },
        Err(error) => (
            String::new(),
            Some(format!("cannot read the file: {error}")),
        ),
    }
}

/// The project's modules (not the standard library's), with their `source` and its range.
fn project_modules<'a>(
    db: &'a dyn Db,
    index: &'a crate::project::ProjectIndex,
) -> impl Iterator<Item = (SourceFile, &'a crate::syntax::ModuleDef)> + 'a {
    index.modules.values().filter_map(move |item| {
        if item.file.path(db).starts_with("<stdlib>") {
            return None;
        }
        match &item.item(db).kind {
            ItemKind::Module(module) => Some((item.file, module)),
            _ => None,
        }
    })
}

/// E0206 for a project module whose `source` is in the standard library's namespace
/// (`stdlib/NAME`, or no `source` at all) and names no stdlib module: the build would call
/// Terraform code that does not exist, and only `terraform init` would say so.
fn stdlib_source_diagnostics(db: &dyn Db, index: &crate::project::ProjectIndex) -> Vec<Diagnostic> {
    let names = crate::stdlib::module_names();
    let mut diagnostics = Vec::new();
    for (file, module) in project_modules(db, index) {
        let (stdlib_name, range, label) = match &module.source {
            Some((source, range)) => match source.strip_prefix("stdlib/") {
                Some(name) => (name, *range, "no such standard-library module"),
                None => continue,
            },
            None => (
                module.name.name.as_str(),
                module.name.range,
                "no `source`, and the standard library has no module of this name",
            ),
        };
        if names.contains(&stdlib_name) {
            continue;
        }
        let help = match &module.source {
            Some((source, _)) => {
                let sources: Vec<String> = names.iter().map(|n| format!("stdlib/{n}")).collect();
                did_you_mean(source, sources.iter().map(String::as_str))
            }
            None => did_you_mean(stdlib_name, names.iter().copied())
                .map(|hint| format!("{hint} (a module without `source` is the standard library's)")),
        }
        .unwrap_or_else(|| {
                "give `source = \"stdlib/NAME\"` with a module of `infrac doc`, or a directory of Terraform files relative to the project".into()
            });
        diagnostics.push(
            // Diagnostic: E0206 unknown-module-source
            Diagnostic::error(
                E0206,
                file,
                range,
                format!(
                    "module `{}`: the standard library has no module `{stdlib_name}`",
                    module.name.name
                ),
            )
            .with_label(label)
            .with_help(help),
        );
    }
    diagnostics
}

/// E0206 for a project module whose Terraform code could not be loaded (`load_project`): a
/// directory (relative to the project) that does not exist or holds no `.tf` file, or a registry
/// or git module with no copy on disk. The problems were found when the project was loaded, so
/// this reads no file, and the language server reports them as the CLI does.
fn module_dir_diagnostics(db: &dyn Db, workspace: Workspace) -> Vec<Diagnostic> {
    let index = project_index(db, workspace);
    let root = workspace.root(db);
    let mut diagnostics = Vec::new();
    for (file, module) in project_modules(db, index) {
        let Some((source, range)) = &module.source else {
            continue;
        };
        let Some(problem) = index
            .module_dirs
            .get(&module.name.name)
            .and_then(|dir| dir.problem(db).as_ref())
        else {
            continue;
        };
        let version = module.version.as_ref().map(|(v, _)| v.as_str());
        let help = match crate::terraform::origin(source, version) {
            Origin::Remote(_) => "Terraform fetches a registry or git module itself, but infrac reads its interface from a copy: vendor the module (for instance `terraform get` in a scratch directory, then copy it) under the directory `project { vendor = \"DIR\" }` names".to_string(),
            _ => format!(
                "a local `source` is a directory, relative to the project directory ({}), with the module's `.tf` files; the standard library's modules are `stdlib/NAME`",
                root.display()
            ),
        };
        diagnostics.push(
            // Diagnostic: E0206 unknown-module-source
            Diagnostic::error(
                E0206,
                file,
                *range,
                format!("module `{}`: {problem}", module.name.name),
            )
            .with_label("no Terraform code here")
            .with_help(help),
        );
    }
    diagnostics
}

/// The Terraform files (`*.tf`) directly inside a user module directory, as (file name, text),
/// sorted by name.
pub fn module_tf_files(dir: &Path) -> std::io::Result<Vec<(String, String)>> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_file() && path.extension().is_some_and(|e| e == "tf") {
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let text = std::fs::read_to_string(&path)
                .map_err(|e| std::io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
            files.push((name, text));
        }
    }
    files.sort();
    Ok(files)
}

/// The files of the project's own modules that a build copies (`Emitted::copies`), by path
/// relative to the output root, each with the generated-file header. The error names the module
/// directory that cannot be read.
pub fn copied_module_files(
    project_root: &Path,
    copies: &[(String, String)],
) -> Result<BTreeMap<String, String>, (PathBuf, std::io::Error)> {
    let mut out = BTreeMap::new();
    for (source, destination) in copies {
        let from = project_root.join(source);
        let files = module_tf_files(&from).map_err(|e| (from.clone(), e))?;
        for (file_name, text) in files {
            out.insert(
                format!("{destination}/{file_name}"),
                format!("{}{text}", crate::emit::header(&format!("module {source}"))),
            );
        }
    }
    Ok(out)
}

/// The standard library as high-durability inputs.
pub fn stdlib_files(db: &mut RootDatabase) -> Vec<SourceFile> {
    crate::stdlib::infra_files()
        .map(|(path, text)| {
            SourceFile::builder(PathBuf::from(path), Arc::from(text), false)
                .durability(salsa::Durability::HIGH)
                .new(db)
        })
        .collect()
}

/// Replaces a file's text (the language server's edit path).
pub fn set_file_text(db: &mut RootDatabase, file: SourceFile, text: String) {
    file.set_text(db).to(Arc::from(text));
}

/// Diagnostics that do not depend on an environment: syntax, duplicate names, declarations.
#[salsa::tracked(returns(ref))]
pub fn project_diagnostics(db: &dyn Db, workspace: Workspace) -> Vec<Diagnostic> {
    let mut diagnostics = Vec::new();
    for &file in workspace.files(db) {
        diagnostics.extend(syntax_diagnostics(db, file).iter().cloned());
    }
    let index = project_index(db, workspace);
    diagnostics.extend(index.diagnostics.iter().cloned());
    for module in index.modules.values() {
        module_sig(db, index, *module, &mut diagnostics);
        diagnostics.extend(crate::terraform::module_code_diagnostics(
            db, index, *module,
        ));
    }
    diagnostics.extend(stdlib_source_diagnostics(db, index));
    diagnostics.extend(module_dir_diagnostics(db, workspace));
    let mut resolver = crate::types::TypeResolver::new(db, index);
    for item in index.types.values().chain(index.params.values()) {
        match &item.item(db).kind {
            ItemKind::Type(def) => {
                resolver.resolve_definition(&def.name.name, item.file, &def.ty, &mut diagnostics);
            }
            ItemKind::Param(param) => {
                resolver.resolve(item.file, &param.ty, &mut diagnostics);
            }
            _ => {}
        }
    }
    diagnostics.extend(crate::shadow::shadowing_diagnostics(db, workspace));
    diagnostics.extend(crate::shared::shared_override_diagnostics(db, workspace));
    for policy in &index.policies {
        if let ItemKind::Policy(p) = &policy.item(db).kind {
            for env in &p.envs {
                if !index.envs.contains_key(&env.name) {
                    diagnostics.push(
                        // Diagnostic: E0301 unknown-environment
                        Diagnostic::error(
                            E0301,
                            policy.file,
                            env.range,
                            format!("unknown environment `{}`", env.name),
                        )
                        .with_label("no such environment")
                        .with_help_opt(did_you_mean(
                            &env.name,
                            index.envs.keys().map(String::as_str),
                        )),
                    );
                }
            }
        }
    }
    diagnostics
}

/// Evaluates every layer of the given environments on one database snapshot per core, so that
/// the queries that read the layers (`env_model`, `check_env`, `emit_env`) find them computed.
/// Each layer is its own query: this is where a check of one environment uses every core. Files
/// are parsed first, in this thread, because the parser itself runs on rayon's pool.
///
/// A panic in a worker (a real one, or salsa's cancellation when the language server's inputs
/// change) is raised again in the caller's thread.
pub fn evaluate_layers(db: &RootDatabase, workspace: Workspace, envs: &[String]) {
    let index = project_index(db, workspace);
    let mut jobs: Vec<(&str, &str)> = Vec::new();
    let shared =
        crate::shared::has_shared_layers(db, index).then(|| crate::shared::SHARED_ENV.to_string());
    for env in envs.iter().chain(shared.as_ref()) {
        // The environment's parameters, which every layer reads, once and before the layers.
        crate::model::env_globals(db, workspace, EnvName::new(db, env.clone()));
        jobs.extend(
            index
                .layers
                .keys()
                .map(|layer| (env.as_str(), layer.as_str())),
        );
    }
    if rayon::current_num_threads() < 2 || jobs.len() < 2 {
        return;
    }
    use rayon::prelude::*;
    jobs.par_iter()
        .with_max_len(1)
        .for_each_with(db.clone(), |snapshot, (env, layer)| {
            let env = EnvName::new(snapshot, env.to_string());
            let layer = crate::config::LayerName::new(snapshot, layer.to_string());
            crate::model::layer_eval(snapshot, workspace, env, layer);
        });
}

/// Every diagnostic of one environment, sorted by file and position, without duplicates.
#[salsa::tracked(returns(ref))]
pub fn check_env<'db>(db: &'db dyn Db, workspace: Workspace, env: EnvName<'db>) -> Vec<Diagnostic> {
    let mut diagnostics: Vec<Diagnostic> = project_diagnostics(db, workspace).clone();
    diagnostics.extend(env_chain(db, workspace, env).diagnostics.iter().cloned());
    diagnostics.extend(
        effective_config(db, workspace, env)
            .diagnostics
            .iter()
            .cloned(),
    );
    diagnostics.extend(env_model(db, workspace, env).diagnostics.iter().cloned());
    diagnostics.extend(check_policies(db, workspace, env).iter().cloned());
    sort_diagnostics(db, &mut diagnostics);
    diagnostics
}

/// Sorts by file, position and code, and drops exact duplicates.
pub fn sort_diagnostics(db: &dyn Db, diagnostics: &mut Vec<Diagnostic>) {
    diagnostics.sort_by(|a, b| {
        let (la, lb) = (a.primary(), b.primary());
        (la.file.path(db), la.range.start, a.code.id, &a.message).cmp(&(
            lb.file.path(db),
            lb.range.start,
            b.code.id,
            &b.message,
        ))
    });
    diagnostics.dedup();
}

/// The names of the environments a file declares.
pub fn envs_in_file(db: &dyn Db, file: SourceFile) -> Vec<String> {
    parse_file(db, file)
        .items
        .iter()
        .filter_map(|item| match &item.kind {
            ItemKind::Env(env) => Some(env.name.name.clone()),
            // A broken environment still names itself, so that its errors are reported.
            ItemKind::Error(error) if error.keyword == Some("env") => {
                error.name.as_ref().map(|n| n.name.clone())
            }
            _ => None,
        })
        .collect()
}

/// The one environment a file given to `build` declares, or E0304.
pub fn env_of_file(db: &dyn Db, file: SourceFile) -> Result<String, Box<Diagnostic>> {
    let envs = envs_in_file(db, file);
    match envs.as_slice() {
        [one] => Ok(one.clone()),
        [] => Err(Box::new(
            // Diagnostic: E0304 environment-file
            Diagnostic::error(
                E0304,
                file,
                Default::default(),
                "this file declares no environment",
            )
            .with_label("no `env` item")
            .with_help(
                "build a file that declares one environment, e.g. `env pro extends pre { ... }`",
            ),
        )),
        many => Err(Box::new(
            // Diagnostic: E0304 environment-file
            Diagnostic::error(
                E0304,
                file,
                Default::default(),
                format!(
                    "this file declares {} environments: {}",
                    many.len(),
                    many.join(", ")
                ),
            )
            .with_label("more than one `env`")
            .with_help("put each environment in its own file"),
        )),
    }
}

/// The environment's model, when it checks without errors.
pub fn checked_model<'db>(
    db: &'db dyn Db,
    workspace: Workspace,
    env: &str,
) -> Result<&'db EnvModel, Vec<Diagnostic>> {
    let env_name = EnvName::new(db, env.to_string());
    let diagnostics = check_env(db, workspace, env_name);
    if diagnostics.iter().any(Diagnostic::is_error) {
        return Err(diagnostics.clone());
    }
    Ok(env_model(db, workspace, env_name))
}

/// Emits an environment that checks clean; `source` names the environment file in headers.
#[salsa::tracked(returns(ref))]
pub fn emit_env<'db>(
    db: &'db dyn Db,
    workspace: Workspace,
    env: EnvName<'db>,
    source: SourceFile,
) -> Option<Emitted> {
    if check_env(db, workspace, env)
        .iter()
        .any(Diagnostic::is_error)
    {
        return None;
    }
    let name = source
        .path(db)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let model = env_model(db, workspace, env);
    let index = project_index(db, workspace);
    let mut emitted = emit(model, &name);
    // The Terraform of each module kind, for the generated tests: embedded for the standard
    // library, read from the project for its own modules.
    let root = workspace.root(db).clone();
    let module_files = |kind: &str| -> Vec<(String, String)> {
        let shared_modules = model.shared.as_ref().map(|shared| &shared.modules);
        let Some(source) = model
            .modules
            .get(kind)
            .or_else(|| shared_modules.and_then(|modules| modules.get(kind)))
        else {
            return Vec::new();
        };
        match source.origin() {
            Origin::Stdlib(stdlib) => crate::stdlib::module_files(stdlib)
                .into_iter()
                .map(|(file, text)| (file.to_string(), text.to_string()))
                .collect(),
            // An unreadable module is reported when the build copies it.
            Origin::Local(dir) => module_tf_files(&root.join(dir)).unwrap_or_default(),
            // A fetched module's code is not in the build; its copy on disk was read.
            Origin::Remote(_) => index
                .module_dirs
                .get(kind)
                .map(|dir| {
                    dir.files(db)
                        .iter()
                        .map(|file| {
                            let name = file.path(db).file_name().unwrap_or_default();
                            (
                                name.to_string_lossy().into_owned(),
                                file.text(db).to_string(),
                            )
                        })
                        .collect()
                })
                .unwrap_or_default(),
        }
    };
    crate::emit::tftest::add_tests(
        &mut emitted,
        model,
        &policy_results(db, workspace, env).facts,
        &crate::emit::header(&name),
        &module_files,
    );
    // The shared layers' tests, as in every environment's build: no policy applies to them.
    if let Some(shared) = &model.shared {
        let mut tests = Emitted::default();
        let head = crate::emit::header(&crate::emit::shared_source(shared));
        crate::emit::tftest::add_tests(&mut tests, shared, &[], &head, &module_files);
        emitted.files.extend(
            tests
                .files
                .into_iter()
                .map(|(path, text)| (format!("{}/{path}", crate::emit::SHARED_DIR), text)),
        );
    }
    Some(emitted)
}

/// The stack of every thread that runs analyses: rayon's workers here, and the callers' own
/// threads (the language server's). Evaluation recurses once per level of nesting, up to
/// `syntax::MAX_NESTING` levels of syntax and twice that through parameters, which in a debug
/// build takes more than the 2 MiB a thread gets by default. The memory is only reserved.
pub const ANALYSIS_STACK: usize = 64 << 20;

/// Gives rayon's global pool threads with `ANALYSIS_STACK`; call it before any analysis. It does
/// nothing if the pool was built already.
pub fn init_thread_pool() {
    rayon::ThreadPoolBuilder::new()
        .stack_size(ANALYSIS_STACK)
        .build_global()
        .ok();
}
