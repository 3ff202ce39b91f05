//! Shared layers (`shared layer NAME { ... }`): one root module and one state for every
//! environment, evaluated without an environment, and the values that would make them differ.
//!
//! A shared layer is evaluated once, under the pseudo-environment `SHARED_ENV`: parameters at
//! their defaults, the project's fields with `env = "shared"`, no environment's overrides. Reading
//! something that some environment changes (the builtin `env`, a parameter an environment sets or
//! that is computed from one) is E0306, which names the value and the environment.

use std::collections::BTreeMap;

use crate::config::EnvName;
use crate::db::{Db, Workspace};
use crate::diagnostics::{Diagnostic, E0306};
use crate::project::{project_index, ProjectIndex};
use crate::syntax::ItemKind;

/// The key the shared layers are evaluated under. It is not an identifier, so no environment
/// can have it.
pub const SHARED_ENV: &str = "<shared>";

/// The name the shared layers are built under: the `shared/` directory of every build, their
/// state keys `shared/LAYER/terraform.tfstate`, their `environment` tag, and the value of `env`
/// in the project's fields when they are evaluated for the shared layers.
pub const SHARED: &str = "shared";

/// The pseudo-environment of the shared layers.
pub fn shared_env(db: &dyn Db) -> EnvName<'_> {
    EnvName::new(db, SHARED_ENV.to_string())
}

/// Whether the layer item `name` is declared `shared`.
pub fn is_shared(db: &dyn Db, index: &ProjectIndex, name: &str) -> bool {
    index.layers.get(name).is_some_and(|layer_ref| {
        matches!(&layer_ref.item(db).kind, ItemKind::Layer(layer) if layer.shared.is_some())
    })
}

/// Whether the project declares a shared layer.
pub fn has_shared_layers(db: &dyn Db, index: &ProjectIndex) -> bool {
    index.layers.keys().any(|name| is_shared(db, index, name))
}

/// Why a parameter's value is not the same in every environment.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct EnvSpecific {
    /// The environment that sets it, or `None` when it is computed from the builtin `env`.
    pub env: Option<String>,
    /// The parameters it is computed from, down to the one set (empty when set directly).
    pub through: Vec<String>,
}

impl EnvSpecific {
    /// What makes the parameter differ, after "which": `environment `pro` sets`, `is computed
    /// from `account_id`, which environment `pro` sets`.
    pub fn describe(&self) -> String {
        let origin = match &self.env {
            Some(env) => format!("environment `{env}` sets"),
            None => "reads `env`".to_string(),
        };
        if self.through.is_empty() {
            return match &self.env {
                Some(_) => origin,
                None => "is computed from `env`".to_string(),
            };
        }
        format!(
            "is computed from `{}`, which {origin}",
            self.through.join("`, from `")
        )
    }
}

/// Every parameter (and top-level `let`) whose value some environment changes: set by an
/// environment (the first one by name), computed from `env`, or computed from such a parameter.
#[salsa::tracked(returns(ref))]
pub fn env_specific_params(db: &dyn Db, workspace: Workspace) -> BTreeMap<String, EnvSpecific> {
    let index = project_index(db, workspace);
    let mut specific: BTreeMap<String, EnvSpecific> = BTreeMap::new();
    for (env, env_ref) in &index.envs {
        let ItemKind::Env(item) = &env_ref.item(db).kind else {
            continue;
        };
        for entry in &item.body.entries {
            let Some(head) = entry.path.first() else {
                continue;
            };
            if index.params.contains_key(&head.name) && !specific.contains_key(&head.name) {
                let reason = EnvSpecific {
                    env: Some(env.clone()),
                    through: Vec::new(),
                };
                specific.insert(head.name.clone(), reason);
            }
        }
    }
    // The parameters each default reads; then, until nothing changes, a parameter that reads a
    // specific one is specific too. Each round adds at least one, so this ends.
    let reads: BTreeMap<&String, Vec<String>> = index
        .params
        .iter()
        .map(|(name, param_ref)| {
            let mut names = Vec::new();
            if let ItemKind::Param(param) = &param_ref.item(db).kind {
                if let Some(default) = &param.default {
                    crate::trace::referenced(default, &mut Vec::new(), &mut names);
                }
            }
            (name, names)
        })
        .collect();
    for (name, names) in &reads {
        if !specific.contains_key(*name) && names.iter().any(|n| n == "env") {
            let reason = EnvSpecific {
                env: None,
                through: Vec::new(),
            };
            specific.insert((*name).clone(), reason);
        }
    }
    loop {
        let mut added = Vec::new();
        for (name, names) in &reads {
            if specific.contains_key(*name) {
                continue;
            }
            let found = names.iter().find_map(|n| Some((n, specific.get(n)?)));
            if let Some((read, reason)) = found {
                let mut through = vec![read.clone()];
                through.extend(reason.through.iter().cloned());
                let reason = EnvSpecific {
                    env: reason.env.clone(),
                    through,
                };
                added.push(((*name).clone(), reason));
            }
        }
        if added.is_empty() {
            break;
        }
        specific.extend(added);
    }
    specific
}

/// E0306 for every assignment of an environment into a shared layer (`pro { registry.repo.x =
/// ... }`): a shared layer is the same in every environment.
pub fn shared_override_diagnostics(db: &dyn Db, workspace: Workspace) -> Vec<Diagnostic> {
    let index = project_index(db, workspace);
    let mut diagnostics = Vec::new();
    for (env, env_ref) in &index.envs {
        let ItemKind::Env(item) = &env_ref.item(db).kind else {
            continue;
        };
        for entry in &item.body.entries {
            let Some(head) = entry.path.first() else {
                continue;
            };
            if !is_shared(db, index, &head.name) {
                continue;
            }
            diagnostics.push(
                // Diagnostic: E0306 shared-layer-env-value
                Diagnostic::error(
                    E0306,
                    env_ref.file,
                    entry.path_range(),
                    format!(
                        "environment `{env}` overrides shared layer `{}`, which is the same in every environment",
                        head.name
                    ),
                )
                .with_label("an override of a shared layer")
                .with_help("set the value in the shared layer itself, or make the layer an ordinary `layer` that each environment has its own of"),
            );
        }
    }
    diagnostics
}

/// E0306 for a shared layer that reads a parameter some environment changes.
pub fn param_diagnostic(
    layer: &str,
    param: &str,
    reason: &EnvSpecific,
    file: crate::db::SourceFile,
    range: crate::source::TextRange,
) -> Diagnostic {
    // Diagnostic: E0306 shared-layer-env-value
    Diagnostic::error(
        E0306,
        file,
        range,
        format!(
            "shared layer `{layer}` reads `{param}`, which {}",
            reason.describe()
        ),
    )
    .with_label("a value that differs between environments")
    .with_help(format!(
        "a shared layer is built once for every environment: write the value in the layer, or use a parameter that no environment sets (the shared layer sees `{param}`'s default)"
    ))
}

/// E0306 for the builtin `env` in a shared layer.
pub fn env_builtin_diagnostic(
    layer: &str,
    envs: &[String],
    file: crate::db::SourceFile,
    range: crate::source::TextRange,
) -> Diagnostic {
    let which = if envs.is_empty() {
        "each environment".to_string()
    } else {
        format!("each environment ({})", envs.join(", "))
    };
    // Diagnostic: E0306 shared-layer-env-value
    Diagnostic::error(
        E0306,
        file,
        range,
        format!("shared layer `{layer}` reads `env`, which is the name of {which}"),
    )
    .with_label("the environment's name")
    .with_help("a shared layer has no environment: name things without `env` (the builtin `project` and the layer's own names are the same everywhere)")
}
