//! The project index: every top-level item of the workspace by kind and name.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::db::{parse_file, Db, ModuleDir, SourceFile, Workspace};
use crate::diagnostics::{Diagnostic, E0202, E0205};
use crate::source::TextRange;
use crate::syntax::{Item, ItemKind};

/// Where an item lives: its file and its position in that file's item list.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ItemRef {
    pub file: SourceFile,
    pub idx: usize,
}

impl ItemRef {
    /// The item's syntax, read through `item_syntax`, so that the caller depends on this item
    /// alone and not on the whole file.
    pub fn item(self, db: &dyn Db) -> &Item {
        item_syntax(db, self.file, self.idx)
    }
}

/// One item of a file. The whole file's parse changes on every edit, but this result is compared
/// by value: an item the edit did not touch (same text at the same offset) keeps its old
/// revision, and the queries that read only such items are not re-run.
#[salsa::tracked(returns(ref))]
pub fn item_syntax(db: &dyn Db, file: SourceFile, idx: usize) -> Arc<Item> {
    parse_file(db, file).items[idx].clone()
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct ProjectIndex {
    pub project: Option<ItemRef>,
    pub types: BTreeMap<String, ItemRef>,
    pub params: BTreeMap<String, ItemRef>,
    pub modules: BTreeMap<String, ItemRef>,
    pub layers: BTreeMap<String, ItemRef>,
    pub envs: BTreeMap<String, ItemRef>,
    /// The environment each environment `extends`, by name (whether or not it exists), so that
    /// walking a chain reads the index alone and not the syntax of every environment on it.
    pub env_parents: BTreeMap<String, String>,
    /// The first segments of each environment's entries (parameters, layers, `project`), so that
    /// merging a layer skips the environments of a chain that do not override it.
    pub env_heads: BTreeMap<String, std::collections::BTreeSet<String>>,
    /// The layers declared `shared`, so that asking whether a layer is shared reads the index
    /// alone: a layer's evaluation must not depend on the text of other layers, which moves.
    pub shared_layers: std::collections::BTreeSet<String>,
    pub policies: Vec<ItemRef>,
    /// The Terraform code loaded for each module, by module name (see `Workspace::module_dirs`).
    pub module_dirs: BTreeMap<String, ModuleDir>,
    /// The cached provider schemas, by provider type (`aws`; see `Workspace::schemas`).
    pub schemas: BTreeMap<String, crate::db::ProviderSchema>,
    pub diagnostics: Vec<Diagnostic>,
}

/// Indexes the items of every live file; a second definition of a name is E0202.
#[salsa::tracked(returns(ref))]
pub fn project_index(db: &dyn Db, workspace: Workspace) -> ProjectIndex {
    let mut index = ProjectIndex::default();
    let mut first_project: Option<(SourceFile, TextRange)> = None;
    for &file in workspace.files(db) {
        if file.deleted(db) {
            continue;
        }
        for (idx, item) in parse_file(db, file).items.iter().enumerate() {
            let item_ref = ItemRef { file, idx };
            let Some(name) = item.name() else { continue };
            let table = match &item.kind {
                ItemKind::Project(_) => {
                    if let Some((other_file, other_range)) = first_project {
                        index.diagnostics.push(
                            // Diagnostic: E0205 project-missing
                            Diagnostic::error(
                                E0205,
                                file,
                                name.range,
                                "a project has exactly one `project` item",
                            )
                            .with_label("second `project`")
                            .with_secondary(
                                other_file,
                                other_range,
                                "first `project` here",
                            ),
                        );
                    } else {
                        first_project = Some((file, name.range));
                        index.project = Some(item_ref);
                    }
                    continue;
                }
                ItemKind::Type(_) => &mut index.types,
                ItemKind::Param(_) => &mut index.params,
                ItemKind::Module(_) => &mut index.modules,
                ItemKind::Layer(_) => &mut index.layers,
                ItemKind::Env(_) => &mut index.envs,
                ItemKind::Policy(_) => {
                    index.policies.push(item_ref);
                    continue;
                }
                ItemKind::Error(_) => continue,
            };
            if let Some(previous) = table.get(&name.name) {
                let previous_item = previous.item(db);
                let previous_range = previous_item
                    .name()
                    .map_or(previous_item.range, |n| n.range);
                index.diagnostics.push(
                    // Diagnostic: E0202 duplicate-definition
                    Diagnostic::error(
                        E0202,
                        file,
                        name.range,
                        format!("`{}` is defined twice", name.name),
                    )
                    .with_label(format!("second {} `{}`", item.keyword(), name.name))
                    .with_secondary(previous.file, previous_range, "first defined here")
                    .with_help("rename one of them"),
                );
            } else {
                table.insert(name.name.clone(), item_ref);
                if let ItemKind::Layer(layer) = &item.kind {
                    if layer.shared.is_some() {
                        index.shared_layers.insert(name.name.clone());
                    }
                }
                if let ItemKind::Env(env) = &item.kind {
                    let heads = env.body.entries.iter().filter_map(|e| e.path.first());
                    let heads = heads.map(|head| head.name.clone());
                    index.env_heads.insert(name.name.clone(), heads.collect());
                    if let Some(parent) = &env.extends {
                        index
                            .env_parents
                            .insert(name.name.clone(), parent.name.clone());
                    }
                }
            }
        }
    }
    for (name, item) in &index.modules {
        if let ItemKind::Module(module) = &item.item(db).kind {
            let source = module.source.as_ref().map(|(s, _)| s.as_str());
            let found = workspace
                .module_dirs(db)
                .iter()
                .find(|dir| Some(dir.source(db).as_str()) == source);
            if let Some(dir) = found {
                index.module_dirs.insert(name.clone(), *dir);
            }
        }
    }
    for schema in workspace.schemas(db) {
        index.schemas.insert(schema.provider(db).clone(), *schema);
    }
    // A parameter and a layer share the namespace of references.
    for (name, layer) in &index.layers {
        if let Some(param) = index.params.get(name) {
            let range = param
                .item(db)
                .name()
                .map_or(TextRange::default(), |n| n.range);
            let layer_range = layer
                .item(db)
                .name()
                .map_or(TextRange::default(), |n| n.range);
            index.diagnostics.push(
                // Diagnostic: E0202 duplicate-definition
                Diagnostic::error(
                    E0202,
                    param.file,
                    range,
                    format!("`{name}` names both a parameter and a layer"),
                )
                .with_label("parameter")
                .with_secondary(layer.file, layer_range, "layer")
                .with_help("references would be ambiguous: rename one of them"),
            );
        }
    }
    index
}
