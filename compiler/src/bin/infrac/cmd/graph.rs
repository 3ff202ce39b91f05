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
    match format {
        GraphFormat::Json => {
            let layers: Vec<serde_json::Value> = model
                .layers
                .iter()
                .map(|l| serde_json::json!({"name": l.name, "dir": l.dir, "depends_on": l.depends_on}))
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
            for layer in &model.layers {
                out!("  \"{}\";", layer.dir);
                for dep in &layer.depends_on {
                    if let Some(d) = model.layers.iter().find(|l| &l.name == dep) {
                        out!("  \"{}\" -> \"{}\";", d.dir, layer.dir);
                    }
                }
            }
            out!("}}");
        }
        GraphFormat::Mermaid => {
            out!("graph LR");
            for layer in &model.layers {
                let id = layer.dir.replace('-', "_");
                out!("  {id}[\"{}\"]", layer.dir);
                for dep in &layer.depends_on {
                    if let Some(d) = model.layers.iter().find(|l| &l.name == dep) {
                        out!("  {} --> {id}", d.dir.replace('-', "_"));
                    }
                }
            }
        }
    }
    ExitCode::SUCCESS
}
