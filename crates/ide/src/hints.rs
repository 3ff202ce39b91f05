//! Inlay hints: in an environment, what each override replaced; at a parameter or an instance
//! input in the base, the environments that override it and their values.

use crate::config::EnvName;
use crate::db::{parse_file, Db, SourceFile, Workspace};
use crate::model::env_model;
use crate::policy::provenance;
use crate::source::TextRange;
use crate::syntax::ItemKind;

use super::hover::values_at;
use super::symbols::{file_symbols, overridden_definition};
use super::{env_names, shorten, slice};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InlayHint {
    /// Where the hint is shown (after the value it is about).
    pub offset: u32,
    pub label: String,
    pub tooltip: Option<String>,
}

const MAX_VALUE: usize = 32;

/// The hints whose position lies in `range`.
pub fn inlay_hints(
    db: &dyn Db,
    workspace: Workspace,
    file: SourceFile,
    range: TextRange,
) -> Vec<InlayHint> {
    let mut hints = Vec::new();
    let in_range = |offset: u32| range.start <= offset && offset <= range.end;
    // Overrides in an environment: what they replaced.
    for site in &file_symbols(db, workspace, file).overrides {
        if site.is_record || !in_range(site.value_range.end) {
            continue;
        }
        let Some(replaced) = overridden_definition(db, workspace, site) else {
            continue;
        };
        let parent = super::symbols::parent_env(db, workspace, &site.env);
        let env = EnvName::new(db, site.env.clone());
        let from = match provenance(db, workspace, env, &site.path) {
            Some(prov) => prov
                .overrode
                .first()
                .map(|d| d.env.as_deref().unwrap_or("base").to_string())
                .unwrap_or_else(|| "default".into()),
            None => parent.unwrap_or_else(|| "base".into()),
        };
        let old = shorten(&slice(db, replaced.file, replaced.range), MAX_VALUE);
        hints.push(InlayHint {
            offset: site.value_range.end,
            label: format!("was {old} ({from})"),
            tooltip: Some(format!(
                "`{}` overrides {} set in {}",
                site.path.join("."),
                old,
                super::file_line(db, replaced.file, replaced.range.start)
            )),
        });
    }
    // Parameters and instance inputs of the base: the environments that override them.
    let envs = env_names(db, workspace);
    if envs.is_empty() {
        return hints;
    }
    for item in &parse_file(db, file).items {
        match &item.kind {
            ItemKind::Param(param) => {
                let at = param
                    .default
                    .as_ref()
                    .map_or(param.ty.range, |d| d.range)
                    .end;
                if in_range(at) {
                    let path = vec![param.name.name.clone()];
                    if let Some(label) = overriding_envs(db, workspace, &envs, &path) {
                        hints.push(InlayHint {
                            offset: at,
                            label,
                            tooltip: None,
                        });
                    }
                }
            }
            ItemKind::Layer(layer) => {
                for instance in &layer.instances {
                    for entry in &instance.body.entries {
                        let at = entry.value.range.end;
                        if entry.path.len() != 1 || !in_range(at) {
                            continue;
                        }
                        let path = vec![
                            layer.name.name.clone(),
                            instance.name.name.clone(),
                            entry.path[0].name.clone(),
                        ];
                        if let Some(label) = overriding_envs(db, workspace, &envs, &path) {
                            hints.push(InlayHint {
                                offset: at,
                                label,
                                tooltip: None,
                            });
                        }
                    }
                }
            }
            _ => {}
        }
    }
    hints.sort_by_key(|h| h.offset);
    hints
}

/// `pro: 3, pre: 2` for the environments whose value at `path` was set by an environment.
fn overriding_envs(
    db: &dyn Db,
    workspace: Workspace,
    envs: &[String],
    path: &[String],
) -> Option<String> {
    let mut parts = Vec::new();
    for env in envs {
        let env_name = EnvName::new(db, env.clone());
        let Some(prov) = provenance(db, workspace, env_name, path) else {
            continue;
        };
        if prov.def.as_ref().is_none_or(|d| d.env.is_none()) {
            continue;
        }
        let model = env_model(db, workspace, env_name);
        if let Some((_, value)) = values_at(model, path).first() {
            parts.push(format!("{env}: {}", shorten(&value.to_string(), MAX_VALUE)));
        }
    }
    (!parts.is_empty()).then(|| parts.join(", "))
}
