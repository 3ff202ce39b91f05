//! `infrac graph`: the layer graph of an environment as JSON, DOT or Mermaid.

use std::path::Path;
use std::process::ExitCode;

use infrac_core::config::EnvName;
use infrac_core::model::env_model;

use super::checked;
use crate::GraphFormat;

pub(crate) fn graph(env_file: &Path, format: GraphFormat) -> ExitCode {
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
            let dir = format!("{}/{}", infrac_emit::emit::SHARED_DIR, l.dir);
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
