//! `infrac schema [PROJECT_DIR]`: caches the schemas of the project's providers, so that
//! instances of any resource type or data source are typed offline (`infrac_core::schema`).
//!
//! It writes a scratch root module that requires the providers of `project.providers` (`aws`
//! included), runs `terraform init -backend=false` (with `--plugin-dir` or
//! `INFRAC_TF_PLUGIN_DIR` when given) and `terraform providers schema -json` there, and writes one
//! file per provider, `.infrac/schemas/NAMESPACE/TYPE/VERSION.jsonl`, replacing the cached files of
//! that provider's other versions. Nothing else of the project is touched.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use infrac_core::config::EnvName;
use infrac_core::db::RootDatabase;
use infrac_core::model::{env_globals, DATA_PREFIX};
use infrac_core::project::project_index;
use infrac_core::schema::{
    used_kinds, EntryKind, SchemaEntry, SchemaHeader, TfBlock, SCHEMA_DIR, SCHEMA_FORMAT,
};
use infrac_emit::analysis::load_project;

use crate::generated::Scratch;
use crate::validate::Terraform;
use crate::{EXIT_ERRORS, EXIT_TOOL, EXIT_USAGE};

pub(crate) fn schema(
    dir: &Path,
    prune: bool,
    terraform: Option<PathBuf>,
    plugin_dir: Option<PathBuf>,
) -> ExitCode {
    if !dir.is_dir() {
        eprintln!("error: `{}` is not a project directory", dir.display());
        return ExitCode::from(EXIT_USAGE);
    }
    let (providers, used) = match project_providers(dir) {
        Ok(found) => found,
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::from(EXIT_ERRORS);
        }
    };
    let terraform = match Terraform::find(terraform, plugin_dir) {
        Ok(terraform) => terraform,
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::from(EXIT_TOOL);
        }
    };
    let schemas = match provider_schemas(&terraform, &providers) {
        Ok(mut schemas) if prune => {
            for cached in &mut schemas {
                cached.pruned = true;
                cached.entries.retain(|entry| {
                    let kind = match entry.kind {
                        EntryKind::Resource => entry.name.clone(),
                        EntryKind::Data => format!("{DATA_PREFIX}{}", entry.name),
                    };
                    used.contains(&kind)
                });
            }
            schemas
        }
        Ok(schemas) => schemas,
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::from(EXIT_TOOL);
        }
    };
    for cached in schemas {
        match write_cache(dir, &cached) {
            Ok(path) => println!(
                "cached {} {}: {} resource types, {} data sources in {}",
                cached.source,
                cached.version,
                cached.count(EntryKind::Resource),
                cached.count(EntryKind::Data),
                path.display()
            ),
            Err(message) => {
                eprintln!("error: {message}");
                return ExitCode::from(EXIT_ERRORS);
            }
        }
    }
    ExitCode::SUCCESS
}

/// `(local name, source, version constraint)` of every provider of the project (every
/// environment's, which may differ in version), and the kinds its instances name that are no
/// module.
#[allow(clippy::type_complexity)]
fn project_providers(
    dir: &Path,
) -> Result<(Vec<(String, String, String)>, BTreeSet<String>), String> {
    let mut db = RootDatabase::default();
    let (workspace, _) = load_project(&mut db, dir);
    let index = project_index(&db, workspace);
    if index.project.is_none() {
        return Err(format!("`{}` declares no `project`", dir.display()));
    }
    let mut providers: BTreeMap<String, (String, String)> = BTreeMap::new();
    let envs: Vec<String> = index.envs.keys().cloned().collect();
    if envs.is_empty() {
        return Err(format!("`{}` declares no environment", dir.display()));
    }
    for env in envs {
        let name = EnvName::new(&db, env);
        let globals = env_globals(&db, workspace, name);
        for (local, provider) in &globals.project.providers {
            providers
                .entry(local.clone())
                .or_insert_with(|| (provider.source.clone(), provider.version.clone()));
        }
    }
    let providers = providers
        .into_iter()
        .map(|(local, (source, version))| (local, source, version))
        .collect();
    Ok((providers, used_kinds(&db, index)))
}

/// One provider's schema, ready to cache.
struct Cached {
    /// `hashicorp/aws`.
    source: String,
    /// `registry.terraform.io/hashicorp/aws`.
    address: String,
    version: String,
    entries: Vec<SchemaEntry>,
    pruned: bool,
}

impl Cached {
    fn count(&self, kind: EntryKind) -> usize {
        self.entries.iter().filter(|e| e.kind == kind).count()
    }
}

/// Runs Terraform in a scratch root module that requires the providers.
fn provider_schemas(
    terraform: &Terraform,
    providers: &[(String, String, String)],
) -> Result<Vec<Cached>, String> {
    let scratch = Scratch::new("schema")?;
    // JSON syntax, so that no name or constraint needs HCL quoting.
    let required: serde_json::Map<String, serde_json::Value> = providers
        .iter()
        .map(|(local, source, version)| {
            (
                local.clone(),
                serde_json::json!({ "source": source, "version": version }),
            )
        })
        .collect();
    let main = serde_json::json!({ "terraform": { "required_providers": required } });
    std::fs::write(scratch.0.join("main.tf.json"), main.to_string())
        .map_err(|e| format!("cannot write {}: {e}", scratch.0.display()))?;
    let mut init = terraform.command(&scratch.0);
    init.args(["init", "-backend=false", "-input=false", "-no-color"]);
    if let Some(plugin_dir) = &terraform.plugin_dir {
        init.arg(format!("-plugin-dir={}", plugin_dir.display()));
    }
    let output = init
        .output()
        .map_err(|e| format!("cannot run `terraform init`: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "`terraform init` could not install the project's providers:\n{}",
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    let versions = selected_versions(terraform, &scratch.0)?;
    let output = terraform
        .command(&scratch.0)
        .args(["providers", "schema", "-json"])
        .output()
        .map_err(|e| format!("cannot run `terraform providers schema`: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "`terraform providers schema -json` failed:\n{}",
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    #[derive(serde::Deserialize)]
    struct Schemas {
        provider_schemas: BTreeMap<String, ProviderJson>,
    }
    #[derive(serde::Deserialize)]
    struct ProviderJson {
        #[serde(default)]
        resource_schemas: BTreeMap<String, BlockJson>,
        #[serde(default)]
        data_source_schemas: BTreeMap<String, BlockJson>,
    }
    #[derive(serde::Deserialize)]
    struct BlockJson {
        block: TfBlock,
    }
    let schemas: Schemas = serde_json::from_slice(&output.stdout)
        .map_err(|e| format!("`terraform providers schema -json` printed no schema: {e}"))?;
    let mut cached = Vec::new();
    for (address, provider) in schemas.provider_schemas {
        let Some(version) = versions.get(&address) else {
            return Err(format!("Terraform selected no version of `{address}`"));
        };
        // `registry.terraform.io/hashicorp/aws` is cached as `hashicorp/aws`.
        let source = address
            .split_once('/')
            .map_or(address.as_str(), |(_, rest)| rest)
            .to_string();
        let mut entries = Vec::new();
        for (kind, list) in [
            (EntryKind::Resource, provider.resource_schemas),
            (EntryKind::Data, provider.data_source_schemas),
        ] {
            for (name, schema) in list {
                entries.push(SchemaEntry {
                    kind,
                    name,
                    block: schema.block,
                });
            }
        }
        cached.push(Cached {
            source,
            address,
            version: version.clone(),
            entries,
            pruned: false,
        });
    }
    Ok(cached)
}

/// The provider versions `terraform init` selected, by registry address.
fn selected_versions(
    terraform: &Terraform,
    dir: &Path,
) -> Result<BTreeMap<String, String>, String> {
    #[derive(serde::Deserialize)]
    struct Version {
        #[serde(default)]
        provider_selections: BTreeMap<String, String>,
    }
    let output = terraform
        .command(dir)
        .args(["version", "-json"])
        .output()
        .map_err(|e| format!("cannot run `terraform version`: {e}"))?;
    let version: Version = serde_json::from_slice(&output.stdout)
        .map_err(|e| format!("`terraform version -json` printed no versions: {e}"))?;
    Ok(version.provider_selections)
}

/// Writes `.infrac/schemas/NAMESPACE/TYPE/VERSION.jsonl` through a temporary file, then removes
/// the provider's other cached versions.
fn write_cache(dir: &Path, cached: &Cached) -> Result<PathBuf, String> {
    let base = dir.join(SCHEMA_DIR);
    let provider_dir = base.join(&cached.source);
    for ancestor in [dir.join(".infrac"), base.clone(), provider_dir.clone()] {
        if ancestor.is_symlink() {
            return Err(format!(
                "`{}` is a symbolic link; infrac writes its cache only into a directory of the project",
                ancestor.display()
            ));
        }
    }
    std::fs::create_dir_all(&provider_dir)
        .map_err(|e| format!("cannot create {}: {e}", provider_dir.display()))?;
    let path = provider_dir.join(format!("{}.jsonl", cached.version));
    let temporary = provider_dir.join(format!(".{}.jsonl.{}", cached.version, std::process::id()));
    // `create_new`: never through a link or over a file someone put at that name; a file that
    // this run did not create is never removed.
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&temporary)
        .map_err(|e| format!("cannot create {}: {e}", temporary.display()))?;
    let write = move || -> std::io::Result<()> {
        let mut out = std::io::BufWriter::new(file);
        let header = SchemaHeader {
            infrac_schema: SCHEMA_FORMAT,
            provider: cached.address.clone(),
            version: cached.version.clone(),
            pruned: cached.pruned,
        };
        serde_json::to_writer(&mut out, &header)?;
        out.write_all(b"\n")?;
        for entry in &cached.entries {
            serde_json::to_writer(&mut out, entry)?;
            out.write_all(b"\n")?;
        }
        out.into_inner().map_err(|e| e.into_error())?.sync_all()
    };
    if let Err(error) = write().and_then(|()| std::fs::rename(&temporary, &path)) {
        let _ = std::fs::remove_file(&temporary);
        return Err(format!("cannot write {}: {error}", path.display()));
    }
    if let Ok(entries) = std::fs::read_dir(&provider_dir) {
        for entry in entries.flatten() {
            let other = entry.path();
            // Another version's cache, known by the header infrac writes; anything else stays.
            if other != path
                && other.extension().is_some_and(|e| e == "jsonl")
                && is_infrac_cache(&other)
            {
                let _ = std::fs::remove_file(other);
            }
        }
    }
    Ok(path)
}

/// Whether a file is a regular file (not a link) whose first line is a schema header infrac
/// wrote.
fn is_infrac_cache(path: &Path) -> bool {
    use std::io::{BufRead as _, Read as _};
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        return false;
    };
    if !meta.file_type().is_file() {
        return false;
    }
    let Ok(file) = std::fs::File::open(path) else {
        return false;
    };
    let mut first = String::new();
    let read = std::io::BufReader::new(file)
        .take(64 * 1024)
        .read_line(&mut first);
    read.is_ok() && serde_json::from_str::<SchemaHeader>(&first).is_ok()
}
