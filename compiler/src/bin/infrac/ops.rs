//! Everyday operations around builds: semantic `diff` of two environments, `guard` against
//! destroying protected resources in a Terraform plan, and `affected` layers between two builds.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use infrac_core::config::EnvName;
use infrac_core::db::RootDatabase;
use infrac_core::model::{env_model, EnvModel};
use infrac_core::value::Value;
use infrac_emit::analysis::load_project;

/// One line of a semantic diff: a path, both sides (None = absent), and where each side was set.
pub struct Change {
    pub path: String,
    pub left: Option<String>,
    pub right: Option<String>,
    pub left_origin: String,
    pub right_origin: String,
}

fn flatten(model: &EnvModel) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for (name, value) in &model.params {
        out.insert(format!("param {name}"), value.to_string());
    }
    for layer in &model.layers {
        out.insert(
            format!("{}: state key", layer.name),
            infrac_emit::emit::state_key(&model.env, &layer.name),
        );
        out.insert(format!("{}: dir", layer.name), layer.dir.clone());
        for instance in layer.instances.iter() {
            out.insert(
                format!("{}.{}: module", layer.name, instance.name),
                instance.kind.clone(),
            );
            for (input, value) in &instance.inputs {
                out.insert(
                    format!("{}.{}.{input}", layer.name, instance.name),
                    show(value),
                );
            }
        }
    }
    out.insert("project: region".into(), model.project.region.clone());
    out.insert(
        "project: state bucket".into(),
        model.project.state_bucket.clone(),
    );
    out
}

fn show(value: &Value) -> String {
    value.to_string()
}

/// The semantic difference of two environments of one project.
pub fn diff(project: &Path, left: &str, right: &str) -> Result<Vec<Change>, String> {
    let mut db = RootDatabase::default();
    let (workspace, _) = load_project(&mut db, project);
    infrac_emit::analysis::evaluate_layers(&db, workspace, &[left.to_string(), right.to_string()]);
    let mut models = Vec::new();
    for env in [left, right] {
        let name = EnvName::new(&db, env.to_string());
        let diagnostics = infrac_emit::analysis::check_env(&db, workspace, name);
        if let Some(error) = diagnostics.iter().find(|d| d.is_error()) {
            return Err(format!(
                "env `{env}` does not check: {}",
                infrac::render::one_line(&db, error)
            ));
        }
        models.push(env_model(&db, workspace, name).clone());
    }
    let (a, b) = (flatten(&models[0]), flatten(&models[1]));
    let keys: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    let origin = |env: &str, path: &str| -> String {
        let segments: Vec<String> = path
            .trim_start_matches("param ")
            .split('.')
            .map(str::to_string)
            .collect();
        if path.contains(':') {
            return String::new();
        }
        let name = EnvName::new(&db, env.to_string());
        match infrac_core::policy::provenance(&db, workspace, name, &segments) {
            Some(p) => match (p.def, p.default_of) {
                (Some(def), _) => location(&db, def.file, def.range.start),
                (None, Some((_, _, module))) => format!("default of module {module}"),
                _ => String::new(),
            },
            None => String::new(),
        }
    };
    let mut changes = Vec::new();
    for key in keys {
        let (l, r) = (a.get(key), b.get(key));
        if l == r {
            continue;
        }
        changes.push(Change {
            path: key.clone(),
            left: l.cloned(),
            right: r.cloned(),
            left_origin: if l.is_some() {
                origin(left, key)
            } else {
                String::new()
            },
            right_origin: if r.is_some() {
                origin(right, key)
            } else {
                String::new()
            },
        });
    }
    Ok(changes)
}

fn location(db: &RootDatabase, file: infrac_core::db::SourceFile, offset: u32) -> String {
    let pos = infrac_core::db::line_col(db, file, offset);
    format!(
        "{}:{}",
        infrac::render::display_path(db, file),
        pos.line + 1
    )
}

/// Resource types whose deletion loses data or access; `guard` refuses to delete or replace them.
pub const PROTECTED_TYPES: &[(&str, &str)] = &[
    ("aws_db_instance", "a database: deleting it loses its data"),
    (
        "aws_rds_cluster",
        "a database cluster: deleting it loses its data",
    ),
    (
        "aws_s3_bucket",
        "a bucket: deleting it loses its objects (and, for state buckets, every layer's state)",
    ),
    (
        "aws_kms_key",
        "a KMS key: deleting it makes everything it encrypted unreadable",
    ),
    ("aws_dynamodb_table", "a table: deleting it loses its items"),
    (
        "aws_ecr_repository",
        "an image repository: deleting it loses the images services run",
    ),
    (
        "aws_secretsmanager_secret",
        "a secret: deleting it breaks what reads it",
    ),
    (
        "aws_efs_file_system",
        "a file system: deleting it loses its files",
    ),
    (
        "aws_route53_zone",
        "a hosted zone: deleting it changes its name servers",
    ),
    (
        "aws_eks_cluster",
        "a Kubernetes cluster: deleting it removes every workload on it",
    ),
    (
        "aws_elasticache_replication_group",
        "a cache cluster: deleting it loses its data",
    ),
];

/// A refused change of a plan.
pub struct Refusal {
    pub address: String,
    pub actions: String,
    pub reason: String,
}

/// Reads `terraform show -json PLAN` output and returns the deletes and replaces of protected
/// resources that `allowed` does not name.
pub fn guard(plan_json: &str, allowed: &[String]) -> Result<(Vec<Refusal>, usize), String> {
    let plan: serde_json::Value =
        serde_json::from_str(plan_json).map_err(|e| format!("not a Terraform JSON plan: {e}"))?;
    let changes = plan["resource_changes"]
        .as_array()
        .ok_or("the plan has no `resource_changes` (use `terraform show -json PLANFILE`)")?;
    let mut refusals = Vec::new();
    for change in changes {
        let address = change["address"].as_str().unwrap_or_default();
        let resource_type = change["type"].as_str().unwrap_or_default();
        let actions: Vec<&str> = change["change"]["actions"]
            .as_array()
            .map(|a| a.iter().filter_map(|x| x.as_str()).collect())
            .unwrap_or_default();
        if !actions.contains(&"delete") || change["mode"].as_str() == Some("data") {
            continue;
        }
        let Some((_, why)) = PROTECTED_TYPES.iter().find(|(t, _)| *t == resource_type) else {
            continue;
        };
        if allowed.iter().any(|a| a == address) {
            continue;
        }
        let kind = if actions.contains(&"create") {
            "replace"
        } else {
            "delete"
        };
        refusals.push(Refusal {
            address: address.to_string(),
            actions: kind.to_string(),
            reason: why.to_string(),
        });
    }
    Ok((refusals, changes.len()))
}

/// The layers whose emitted root module (its files and the modules it calls) differs between two builds.
pub fn affected(base: &Path, head: &Path) -> Result<Vec<String>, String> {
    let manifest = |dir: &Path| -> Result<Vec<String>, String> {
        let text = std::fs::read_to_string(dir.join("layers.json")).map_err(|e| {
            format!(
                "{}: no layers.json ({e}); is it an infrac build?",
                dir.display()
            )
        })?;
        let json: serde_json::Value = serde_json::from_str(&text)
            .map_err(|e| format!("{}/layers.json: {e}", dir.display()))?;
        // The shared layers (`shared/NN-layer`) first, as they are applied.
        let mut dirs: Vec<String> = Vec::new();
        for part in [&json["shared"], &json] {
            dirs.extend(part["bootstrap"].as_str().map(str::to_string));
            dirs.extend(
                part["layers"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|l| l["dir"].as_str().map(str::to_string)),
            );
        }
        // An environment whose state bucket is the shared layers' names their bootstrap too.
        let mut seen = BTreeSet::new();
        dirs.retain(|dir| seen.insert(dir.clone()));
        Ok(dirs)
    };
    let head_layers = manifest(head)?;
    let base_layers = manifest(base)?;
    let mut out = Vec::new();
    for dir in &head_layers {
        if !base_layers.contains(dir)
            || content(&base.join(dir), base) != content(&head.join(dir), head)
        {
            out.push(dir.clone());
        }
    }
    for dir in &base_layers {
        if !head_layers.contains(dir) {
            out.push(format!("{dir} (removed)"));
        }
    }
    Ok(out)
}

/// Every byte a root module depends on: its own files (with its generated `tests/`, without
/// Terraform's `.terraform/` cache) and the module directories it calls (`modules/` of the build,
/// or `shared/modules/` for a shared layer).
fn content(dir: &Path, root: &Path) -> Vec<(String, Vec<u8>)> {
    let shared = root.join(infrac_emit::emit::SHARED_DIR);
    let root = match dir.starts_with(&shared) {
        true => shared.as_path(),
        false => root,
    };
    fn walk(dir: &Path, prefix: &str, out: &mut Vec<(String, Vec<u8>)>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .into_iter()
            .flatten()
            .flatten()
            .collect();
        entries.sort_by_key(|e| e.file_name());
        for entry in entries {
            let name = format!("{prefix}{}", entry.file_name().to_string_lossy());
            let path = entry.path();
            if path.is_dir() {
                if entry.file_name() != ".terraform" {
                    walk(&path, &format!("{name}/"), out);
                }
            } else {
                out.push((name, std::fs::read(&path).unwrap_or_default()));
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, "", &mut out);
    let mut modules = BTreeSet::new();
    for (_, bytes) in &out {
        for line in String::from_utf8_lossy(bytes).lines() {
            if let Some(rest) = line.trim().strip_prefix("source") {
                if let Some(name) = rest.split("../modules/").nth(1) {
                    modules.insert(name.trim_end_matches('"').to_string());
                }
            }
        }
    }
    for module in modules {
        walk(
            &root.join("modules").join(&module),
            &format!("modules/{module}/"),
            &mut out,
        );
    }
    out
}
