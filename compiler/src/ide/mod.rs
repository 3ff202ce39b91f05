//! The editor-facing API, in plain data: what is under the cursor, hover text, definitions,
//! completion items and document symbols. Offsets and ranges are bytes; the language server
//! converts them to the client's position encoding.

use crate::analysis::envs_in_file;
use crate::config::EnvName;
use crate::db::{parse_file, Db, SourceFile, Workspace};
use crate::model::{env_model, module_sig};
use crate::policy::provenance;
use crate::project::{project_index, ItemRef};
use crate::source::{LineIndex, TextRange};
use crate::syntax::{Expr, ExprKind, Ident, ItemKind, StrPart, TypeExpr, TypeExprKind};
use crate::types::TypeResolver;

/// Something a name refers to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    Param(String),
    Type(String),
    Module(String),
    ModuleInput { module: String, input: String },
    ModuleOutput { module: String, output: String },
    Layer(String),
    LayerOutput { layer: String, output: String },
    Instance { layer: String, name: String },
    Env(String),
}

/// A location in a file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Location {
    pub file: SourceFile,
    pub range: TextRange,
}

/// Hover content as Markdown, for the range it describes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hover {
    pub range: TextRange,
    pub markdown: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CompletionKind {
    Keyword,
    Param,
    Module,
    Input,
    Output,
    Layer,
    Env,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompletionItem {
    pub label: String,
    pub kind: CompletionKind,
    pub detail: String,
    pub documentation: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Symbol {
    pub name: String,
    pub kind: &'static str,
    pub range: TextRange,
    pub selection: TextRange,
    pub children: Vec<Symbol>,
}

/// The scope a name is written in.
enum Scope<'a> {
    Params,
    Layer {
        layer: &'a str,
        instances: Vec<(String, String)>,
    },
}

/// What the name at `offset` refers to, and the span of that name.
pub fn target_at(
    db: &dyn Db,
    workspace: Workspace,
    file: SourceFile,
    offset: u32,
) -> Option<(Target, TextRange)> {
    let index = project_index(db, workspace);
    let parse = parse_file(db, file);
    let item = parse
        .items
        .iter()
        .find(|item| item.range.contains(offset))?;
    let hit = |ident: &Ident| ident.range.contains(offset);
    match &item.kind {
        ItemKind::Param(param) => {
            if hit(&param.name) {
                return Some((Target::Param(param.name.name.clone()), param.name.range));
            }
            type_target(&param.ty, offset).or_else(|| {
                param
                    .default
                    .as_ref()
                    .and_then(|d| expr_target(db, workspace, d, offset, &Scope::Params))
            })
        }
        ItemKind::Type(def) => {
            if hit(&def.name) {
                return Some((Target::Type(def.name.name.clone()), def.name.range));
            }
            type_target(&def.ty, offset)
        }
        ItemKind::Module(module) => {
            if hit(&module.name) {
                return Some((Target::Module(module.name.name.clone()), module.name.range));
            }
            for input in &module.inputs {
                if hit(&input.name) {
                    return Some((
                        Target::ModuleInput {
                            module: module.name.name.clone(),
                            input: input.name.name.clone(),
                        },
                        input.name.range,
                    ));
                }
                if let Some(t) = type_target(&input.ty, offset) {
                    return Some(t);
                }
            }
            for output in &module.outputs {
                if hit(&output.name) {
                    return Some((
                        Target::ModuleOutput {
                            module: module.name.name.clone(),
                            output: output.name.name.clone(),
                        },
                        output.name.range,
                    ));
                }
                if let Some(t) = type_target(&output.ty, offset) {
                    return Some(t);
                }
            }
            None
        }
        ItemKind::Layer(layer) => {
            let layer_name = layer.name.name.as_str();
            if hit(&layer.name) {
                return Some((Target::Layer(layer_name.to_string()), layer.name.range));
            }
            if let Some(repeat) = &layer.repeat {
                if hit(&repeat.over) {
                    return Some((Target::Param(repeat.over.name.clone()), repeat.over.range));
                }
            }
            let instances: Vec<(String, String)> = layer
                .instances
                .iter()
                .map(|i| (i.name.name.clone(), i.kind.name.clone()))
                .collect();
            let scope = Scope::Layer {
                layer: layer_name,
                instances,
            };
            for instance in &layer.instances {
                if hit(&instance.kind) {
                    return Some((
                        Target::Module(instance.kind.name.clone()),
                        instance.kind.range,
                    ));
                }
                if hit(&instance.name) {
                    return Some((
                        Target::Instance {
                            layer: layer_name.to_string(),
                            name: instance.name.name.clone(),
                        },
                        instance.name.range,
                    ));
                }
                for entry in &instance.body.entries {
                    if let Some(key) = entry.path.first().filter(|k| hit(k)) {
                        return Some((
                            Target::ModuleInput {
                                module: instance.kind.name.clone(),
                                input: key.name.clone(),
                            },
                            key.range,
                        ));
                    }
                    if entry.value.range.contains(offset) {
                        return expr_target(db, workspace, &entry.value, offset, &scope);
                    }
                }
            }
            for output in &layer.outputs {
                if hit(&output.name) {
                    return Some((
                        Target::LayerOutput {
                            layer: layer_name.to_string(),
                            output: output.name.name.clone(),
                        },
                        output.name.range,
                    ));
                }
                if let Some(t) = type_target(&output.ty, offset) {
                    return Some(t);
                }
                if output.value.range.contains(offset) {
                    return expr_target(db, workspace, &output.value, offset, &scope);
                }
            }
            None
        }
        ItemKind::Env(env) => {
            if hit(&env.name) {
                return Some((Target::Env(env.name.name.clone()), env.name.range));
            }
            if let Some(parent) = env.extends.as_ref().filter(|p| hit(p)) {
                return Some((Target::Env(parent.name.clone()), parent.range));
            }
            for entry in &env.body.entries {
                if let Some(pos) = entry.path.iter().position(&hit) {
                    return path_target(db, workspace, &entry.path, pos)
                        .map(|t| (t, entry.path[pos].range));
                }
                if entry.value.range.contains(offset) {
                    return expr_target(db, workspace, &entry.value, offset, &Scope::Params);
                }
            }
            None
        }
        ItemKind::Policy(policy) => {
            if let Some(env) = policy.envs.iter().find(|e| hit(e)) {
                return Some((Target::Env(env.name.clone()), env.range));
            }
            for rule in &policy.rules {
                if rule.expr.range.contains(offset) {
                    return policy_target(db, workspace, &rule.expr, offset, policy.across);
                }
            }
            let _ = index;
            None
        }
        ItemKind::Project(_) | ItemKind::Error(_) => None,
    }
}

fn type_target(ty: &TypeExpr, offset: u32) -> Option<(Target, TextRange)> {
    match &ty.kind {
        TypeExprKind::Named { name, args, .. } => {
            if name.range.contains(offset)
                && ![
                    "string", "int", "float", "bool", "list", "map", "enum", "any",
                ]
                .contains(&name.name.as_str())
            {
                return Some((Target::Type(name.name.clone()), name.range));
            }
            args.iter().find_map(|a| type_target(a, offset))
        }
        TypeExprKind::Record(fields) => fields.iter().find_map(|f| type_target(&f.ty, offset)),
    }
}

/// The reference segment under the cursor inside an expression.
fn expr_target(
    db: &dyn Db,
    workspace: Workspace,
    expr: &Expr,
    offset: u32,
    scope: &Scope<'_>,
) -> Option<(Target, TextRange)> {
    let mut found: Option<(Vec<Ident>, usize)> = None;
    find_ref(expr, offset, &mut found);
    let (segments, pos) = found?;
    let index = project_index(db, workspace);
    let head = &segments[0].name;
    let range = segments[pos].range;
    if let Scope::Layer { layer, instances } = scope {
        if let Some((_, kind)) = instances.iter().find(|(name, _)| name == head) {
            return Some(match pos {
                0 => (
                    Target::Instance {
                        layer: layer.to_string(),
                        name: head.clone(),
                    },
                    range,
                ),
                _ => (
                    Target::ModuleOutput {
                        module: kind.clone(),
                        output: segments[1].name.clone(),
                    },
                    range,
                ),
            });
        }
        if index.layers.contains_key(head) {
            return Some(match pos {
                0 => (Target::Layer(head.clone()), range),
                _ => (
                    Target::LayerOutput {
                        layer: head.clone(),
                        output: segments[1].name.clone(),
                    },
                    range,
                ),
            });
        }
    }
    (index.params.contains_key(head) && pos == 0).then(|| (Target::Param(head.clone()), range))
}

fn find_ref(expr: &Expr, offset: u32, found: &mut Option<(Vec<Ident>, usize)>) {
    if !expr.range.contains(offset) {
        return;
    }
    match &expr.kind {
        ExprKind::Ref(segments) => {
            if let Some(pos) = segments.iter().position(|s| s.range.contains(offset)) {
                *found = Some((segments.clone(), pos.min(1)));
            }
        }
        ExprKind::Str(parts) => parts.iter().for_each(|p| {
            if let StrPart::Interp(e) = p {
                find_ref(e, offset, found);
            }
        }),
        ExprKind::List(items) => items.iter().for_each(|e| find_ref(e, offset, found)),
        ExprKind::Record(entries) => entries
            .iter()
            .for_each(|e| find_ref(&e.value, offset, found)),
        ExprKind::Index(a, b) | ExprKind::Binary(_, a, b) => {
            find_ref(a, offset, found);
            find_ref(b, offset, found);
        }
        ExprKind::Unary(_, e) => find_ref(e, offset, found),
        ExprKind::Cond(a, b, c) => {
            find_ref(a, offset, found);
            find_ref(b, offset, found);
            find_ref(c, offset, found);
        }
        _ => {}
    }
}

/// What segment `pos` of an environment override path refers to.
fn path_target(db: &dyn Db, workspace: Workspace, path: &[Ident], pos: usize) -> Option<Target> {
    let index = project_index(db, workspace);
    let head = &path[0].name;
    if index.params.contains_key(head) {
        return (pos == 0).then(|| Target::Param(head.clone()));
    }
    let layer_ref = index.layers.get(head)?;
    match pos {
        0 => Some(Target::Layer(head.clone())),
        1 => Some(Target::Instance {
            layer: head.clone(),
            name: path[1].name.clone(),
        }),
        _ => {
            let ItemKind::Layer(layer) = &layer_ref.item(db).kind else {
                return None;
            };
            let instance = layer
                .instances
                .iter()
                .find(|i| i.name.name == path[1].name)?;
            (pos == 2).then(|| Target::ModuleInput {
                module: instance.kind.name.clone(),
                input: path[2].name.clone(),
            })
        }
    }
}

fn policy_target(
    db: &dyn Db,
    workspace: Workspace,
    expr: &Expr,
    offset: u32,
    across: bool,
) -> Option<(Target, TextRange)> {
    let mut found: Option<(Vec<Ident>, usize)> = None;
    find_ref(expr, offset, &mut found);
    let (segments, _) = found?;
    let pos = segments.iter().position(|s| s.range.contains(offset))?;
    let skip = usize::from(across);
    if across && pos == 0 {
        return Some((Target::Env(segments[0].name.clone()), segments[0].range));
    }
    let path = &segments[skip..];
    if path.iter().take(2).any(|s| s.name == "*") {
        return None;
    }
    path_target(db, workspace, path, pos - skip).map(|t| (t, segments[pos].range))
}

/// Where a target is declared.
pub fn definition(db: &dyn Db, workspace: Workspace, target: &Target) -> Option<Location> {
    let index = project_index(db, workspace);
    let at = |item: &ItemRef| -> Option<Location> {
        let range = item.item(db).name()?.range;
        Some(Location {
            file: item.file,
            range,
        })
    };
    match target {
        Target::Param(name) => at(index.params.get(name)?),
        Target::Type(name) => at(index.types.get(name)?),
        Target::Module(name) => at(index.modules.get(name)?),
        Target::Layer(name) => at(index.layers.get(name)?),
        Target::Env(name) => at(index.envs.get(name)?),
        Target::ModuleInput { module, input } => {
            let item = index.modules.get(module)?;
            let ItemKind::Module(m) = &item.item(db).kind else {
                return None;
            };
            let decl = m.inputs.iter().find(|i| &i.name.name == input)?;
            Some(Location {
                file: item.file,
                range: decl.name.range,
            })
        }
        Target::ModuleOutput { module, output } => {
            let item = index.modules.get(module)?;
            let ItemKind::Module(m) = &item.item(db).kind else {
                return None;
            };
            let decl = m.outputs.iter().find(|o| &o.name.name == output)?;
            Some(Location {
                file: item.file,
                range: decl.name.range,
            })
        }
        Target::LayerOutput { layer, output } => {
            let item = index.layers.get(layer)?;
            let ItemKind::Layer(l) = &item.item(db).kind else {
                return None;
            };
            let decl = l.outputs.iter().find(|o| &o.name.name == output)?;
            Some(Location {
                file: item.file,
                range: decl.name.range,
            })
        }
        Target::Instance { layer, name } => {
            let item = index.layers.get(layer)?;
            let ItemKind::Layer(l) = &item.item(db).kind else {
                return None;
            };
            let decl = l.instances.iter().find(|i| &i.name.name == name)?;
            Some(Location {
                file: item.file,
                range: decl.name.range,
            })
        }
    }
}

/// The definition of the name at `offset`.
pub fn goto_definition(
    db: &dyn Db,
    workspace: Workspace,
    file: SourceFile,
    offset: u32,
) -> Option<Location> {
    let (target, _) = target_at(db, workspace, file, offset)?;
    definition(db, workspace, &target)
}

/// Hover for the name at `offset`: its type, docs, and, for values, the effective value in each
/// environment with where it was set.
pub fn hover(db: &dyn Db, workspace: Workspace, file: SourceFile, offset: u32) -> Option<Hover> {
    let (target, range) = target_at(db, workspace, file, offset)?;
    let index = project_index(db, workspace);
    let mut resolver = TypeResolver::new(db, index);
    let mut ignored = Vec::new();
    let envs: Vec<String> = index.envs.keys().cloned().collect();
    // In an environment file, show that environment first.
    let here: Vec<String> = envs_in_file(db, file);
    let mut ordered: Vec<String> = here.clone();
    ordered.extend(envs.iter().filter(|e| !here.contains(e)).cloned());
    let mut md = String::new();
    match &target {
        Target::Param(name) => {
            let item = index.params.get(name)?;
            let ItemKind::Param(param) = &item.item(db).kind else {
                return None;
            };
            let ty = resolver.resolve(item.file, &param.ty, &mut ignored);
            md.push_str(&format!("```infra\nparam {name}: {ty}\n```\n"));
            if let Some(doc) = &item.item(db).doc {
                md.push_str(&format!("\n{doc}\n"));
            }
            md.push_str(&values_table(
                db,
                workspace,
                &ordered,
                std::slice::from_ref(name),
                |model| model.params.get(name).map(|v| v.to_string()),
            ));
        }
        Target::Type(name) => {
            let item = index.types.get(name)?;
            let ItemKind::Type(def) = &item.item(db).kind else {
                return None;
            };
            let ty = resolver.resolve(item.file, &def.ty, &mut ignored);
            md.push_str(&format!("```infra\ntype {name} = {}\n```\n", ty.resolved()));
            if let Some(doc) = &item.item(db).doc {
                md.push_str(&format!("\n{doc}\n"));
            }
        }
        Target::Module(name) => {
            let sig = module_sig(db, index, *index.modules.get(name)?, &mut ignored)?;
            md.push_str(&format!("```infra\nmodule {name}\n```\n"));
            if let Some(doc) = &sig.doc {
                md.push_str(&format!("\n{}\n", doc.replace('\n', " ")));
            }
            md.push_str("\n| input | type |\n|---|---|\n");
            for input in &sig.inputs {
                md.push_str(&format!(
                    "| `{}` | `{}`{} |\n",
                    input.name,
                    input.ty,
                    if input.default.is_some() {
                        ""
                    } else {
                        " (required)"
                    }
                ));
            }
        }
        Target::ModuleInput { module, input } => {
            let sig = module_sig(db, index, *index.modules.get(module)?, &mut ignored)?;
            let decl = sig.inputs.iter().find(|i| &i.name == input)?;
            md.push_str(&format!(
                "```infra\ninput {input}: {}{}\n```\n",
                if decl.is_const { "const " } else { "" },
                decl.ty
            ));
            if let Some(doc) = &decl.doc {
                md.push_str(&format!("\n{doc}\n"));
            }
            if let Some(constraint) = decl.ty.describe_constraint() {
                md.push_str(&format!("\nAllowed: {constraint}.\n"));
            }
            // The effective value of this input for the instance being edited.
            if let Some((layer, instance)) = instance_around(db, workspace, file, offset) {
                let path = [layer.clone(), instance.clone(), input.clone()];
                md.push_str(&values_table(db, workspace, &ordered, &path, |model| {
                    model.input(&layer, &instance, input).map(|v| v.to_string())
                }));
            }
        }
        Target::ModuleOutput { module, output } => {
            let sig = module_sig(db, index, *index.modules.get(module)?, &mut ignored)?;
            let decl = sig.outputs.iter().find(|o| &o.name == output)?;
            md.push_str(&format!("```infra\noutput {output}: {}\n```\n\nA Terraform run-time value of module `{module}`.\n", decl.ty));
            if let Some(doc) = &decl.doc {
                md.push_str(&format!("\n{doc}\n"));
            }
        }
        Target::Layer(name) => {
            let item = index.layers.get(name)?;
            md.push_str(&format!("```infra\nlayer {name}\n```\n"));
            if let Some(doc) = &item.item(db).doc {
                md.push_str(&format!("\n{doc}\n"));
            }
            if let Some(env) = ordered.first() {
                let model = env_model(db, workspace, EnvName::new(db, env.clone()));
                if let Some(layer) = model.layers.iter().find(|l| &l.name == name) {
                    md.push_str(&format!(
                        "\nIn `{env}`: `{}`, reads {}.\n",
                        layer.dir,
                        if layer.depends_on.is_empty() {
                            "no other layer".to_string()
                        } else {
                            layer.depends_on.join(", ")
                        }
                    ));
                }
            }
        }
        Target::LayerOutput { layer, output } => {
            let item = index.layers.get(layer)?;
            let ItemKind::Layer(l) = &item.item(db).kind else {
                return None;
            };
            let decl = l.outputs.iter().find(|o| &o.name.name == output)?;
            let ty = resolver.resolve(item.file, &decl.ty, &mut ignored);
            md.push_str(&format!("```infra\noutput {layer}.{output}: {ty}\n```\n\nA cross-layer reference: read from the state of layer `{layer}`.\n"));
            if let Some(doc) = &decl.doc {
                md.push_str(&format!("\n{doc}\n"));
            }
        }
        Target::Instance { layer, name } => {
            let item = index.layers.get(layer)?;
            let ItemKind::Layer(l) = &item.item(db).kind else {
                return None;
            };
            let instance = l.instances.iter().find(|i| &i.name.name == name)?;
            md.push_str(&format!(
                "```infra\n{} {name}\n```\n\nAn instance of module `{}` in layer `{layer}`.\n",
                instance.kind.name, instance.kind.name
            ));
        }
        Target::Env(name) => {
            let chain = crate::config::env_chain(db, workspace, EnvName::new(db, name.clone()));
            let names: Vec<&str> = chain.envs.iter().map(|(n, _)| n.as_str()).collect();
            md.push_str(&format!(
                "```infra\nenv {name}\n```\n\nInherits: base → {}\n",
                names.join(" → ")
            ));
        }
    }
    Some(Hover {
        range,
        markdown: md,
    })
}

/// A table of a value in each environment, with the file and line that set it.
fn values_table(
    db: &dyn Db,
    workspace: Workspace,
    envs: &[String],
    path: &[String],
    value: impl Fn(&crate::model::EnvModel) -> Option<String>,
) -> String {
    let mut out = String::from("\n| env | value | set at |\n|---|---|---|\n");
    let mut any = false;
    for env in envs {
        let env_name = EnvName::new(db, env.clone());
        let model = env_model(db, workspace, env_name);
        let Some(shown) = value(model) else { continue };
        any = true;
        let origin =
            provenance(db, workspace, env_name, path).map_or_else(String::new, |p| {
                match (p.def, p.default_of) {
                    (Some(def), _) => {
                        let mut text = place(db, def.file, def.range.start);
                        if !p.overrode.is_empty() {
                            let over: Vec<String> = p
                                .overrode
                                .iter()
                                .map(|d| place(db, d.file, d.range.start))
                                .collect();
                            text.push_str(&format!(", overriding {}", over.join(", ")));
                        }
                        text
                    }
                    (None, Some((_, _, module))) => format!("default of `{module}`"),
                    _ => String::new(),
                }
            });
        out.push_str(&format!(
            "| {env} | `{}` | {origin} |\n",
            shown.replace('|', "\\|")
        ));
    }
    if any {
        out
    } else {
        String::new()
    }
}

fn place(db: &dyn Db, file: SourceFile, offset: u32) -> String {
    let text = file.text(db);
    let line = LineIndex::new(text).line_col(text, offset).line + 1;
    let name = file
        .path(db)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    format!("{name}:{line}")
}

/// The layer and instance whose body contains `offset`, in a layer item or an env override path.
fn instance_around(
    db: &dyn Db,
    _workspace: Workspace,
    file: SourceFile,
    offset: u32,
) -> Option<(String, String)> {
    for item in &parse_file(db, file).items {
        if !item.range.contains(offset) {
            continue;
        }
        match &item.kind {
            ItemKind::Layer(layer) => {
                let instance = layer.instances.iter().find(|i| i.range.contains(offset))?;
                return Some((layer.name.name.clone(), instance.name.name.clone()));
            }
            ItemKind::Env(env) => {
                let entry = env.body.entries.iter().find(|e| e.range.contains(offset))?;
                if entry.path.len() >= 2 {
                    return Some((entry.path[0].name.clone(), entry.path[1].name.clone()));
                }
            }
            _ => {}
        }
    }
    None
}

const KEYWORDS: &[&str] = &[
    "project", "type", "param", "module", "layer", "env", "policy", "extends", "input", "output",
    "source", "require", "for", "across", "const",
];

/// Completion at `offset`, from the text before the cursor and the enclosing item.
pub fn completion(
    db: &dyn Db,
    workspace: Workspace,
    file: SourceFile,
    offset: u32,
) -> Vec<CompletionItem> {
    let index = project_index(db, workspace);
    let text = file.text(db);
    let offset = (offset as usize).min(text.len());
    let line_start = text[..offset].rfind('\n').map_or(0, |n| n + 1);
    let before = &text[line_start..offset];
    let mut ignored = Vec::new();
    let item = |label: &str, kind, detail: String, documentation: Option<String>| CompletionItem {
        label: label.to_string(),
        kind,
        detail,
        documentation,
    };
    if before.trim_end().ends_with("extends") || before.ends_with("extends ") {
        return index
            .envs
            .keys()
            .map(|e| item(e, CompletionKind::Env, "environment".into(), None))
            .collect();
    }
    // `word.` completes the members of a layer or an instance.
    let trimmed = before.trim_end_matches(|c: char| c.is_ascii_alphanumeric() || c == '_');
    if let Some(head) = trimmed.strip_suffix('.') {
        let word: String = head
            .chars()
            .rev()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        if let Some(layer_ref) = index.layers.get(&word) {
            if let ItemKind::Layer(layer) = &layer_ref.item(db).kind {
                let mut out: Vec<CompletionItem> = layer
                    .outputs
                    .iter()
                    .map(|o| {
                        item(
                            &o.name.name,
                            CompletionKind::Output,
                            format!("output of layer {word}"),
                            o.doc.clone(),
                        )
                    })
                    .collect();
                // In an environment, `layer.` is followed by an instance name.
                if !envs_in_file(db, file).is_empty() {
                    out = layer
                        .instances
                        .iter()
                        .map(|i| {
                            item(
                                &i.name.name,
                                CompletionKind::Layer,
                                format!("{} instance", i.kind.name),
                                i.doc.clone(),
                            )
                        })
                        .collect();
                }
                return out;
            }
        }
        if let Some((layer, _)) = instance_around(db, workspace, file, offset as u32)
            .or_else(|| enclosing_layer(db, file, offset as u32).map(|l| (l, String::new())))
        {
            if let Some(ItemKind::Layer(l)) = index.layers.get(&layer).map(|r| &r.item(db).kind) {
                if let Some(instance) = l.instances.iter().find(|i| i.name.name == word) {
                    if let Some(sig) = index
                        .modules
                        .get(&instance.kind.name)
                        .and_then(|m| module_sig(db, index, *m, &mut ignored))
                    {
                        return sig
                            .outputs
                            .iter()
                            .map(|o| {
                                item(
                                    &o.name,
                                    CompletionKind::Output,
                                    format!("{}: {}", o.name, o.ty),
                                    o.doc.clone(),
                                )
                            })
                            .collect();
                    }
                }
            }
        }
        return Vec::new();
    }
    // Inside an instance body, at the start of an entry: the module's inputs.
    let at_entry_start = before
        .trim_start()
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_');
    if let Some((layer, instance)) = instance_around(db, workspace, file, offset as u32) {
        if at_entry_start && !instance.is_empty() {
            if let Some(ItemKind::Layer(l)) = index.layers.get(&layer).map(|r| &r.item(db).kind) {
                if let Some(inst) = l.instances.iter().find(|i| i.name.name == instance) {
                    if let Some(sig) = index
                        .modules
                        .get(&inst.kind.name)
                        .and_then(|m| module_sig(db, index, *m, &mut ignored))
                    {
                        let set: Vec<&str> = inst
                            .body
                            .entries
                            .iter()
                            .filter_map(|e| e.path.first())
                            .map(|k| k.name.as_str())
                            .collect();
                        return sig
                            .inputs
                            .iter()
                            .filter(|i| !set.contains(&i.name.as_str()))
                            .map(|i| {
                                item(
                                    &i.name,
                                    CompletionKind::Input,
                                    format!(
                                        "{}{}",
                                        i.ty,
                                        if i.default.is_some() {
                                            ""
                                        } else {
                                            " (required)"
                                        }
                                    ),
                                    i.doc.clone(),
                                )
                            })
                            .collect();
                    }
                }
            }
        }
    }
    let inside_item = parse_file(db, file)
        .items
        .iter()
        .any(|i| i.range.contains(offset as u32) && (i.range.start as usize) < line_start);
    if !inside_item {
        return KEYWORDS[..7]
            .iter()
            .map(|k| item(k, CompletionKind::Keyword, "keyword".into(), None))
            .collect();
    }
    let mut out: Vec<CompletionItem> = index
        .params
        .keys()
        .map(|p| {
            item(
                p,
                CompletionKind::Param,
                "param".into(),
                index.params[p].item(db).doc.clone(),
            )
        })
        .collect();
    out.extend(
        index
            .layers
            .keys()
            .map(|l| item(l, CompletionKind::Layer, "layer".into(), None)),
    );
    if enclosing_layer(db, file, offset as u32).is_some() && at_entry_start {
        out.extend(index.modules.keys().map(|m| {
            item(
                m,
                CompletionKind::Module,
                "module".into(),
                index.modules[m].item(db).doc.clone(),
            )
        }));
    }
    out
}

fn enclosing_layer(db: &dyn Db, file: SourceFile, offset: u32) -> Option<String> {
    parse_file(db, file)
        .items
        .iter()
        .find(|i| i.range.contains(offset))
        .and_then(|i| match &i.kind {
            ItemKind::Layer(l) => Some(l.name.name.clone()),
            _ => None,
        })
}

/// The outline of a file.
pub fn document_symbols(db: &dyn Db, file: SourceFile) -> Vec<Symbol> {
    parse_file(db, file)
        .items
        .iter()
        .filter_map(|item| {
            let name = item.name()?;
            let children = match &item.kind {
                ItemKind::Layer(layer) => layer
                    .instances
                    .iter()
                    .map(|i| Symbol {
                        name: i.name.name.clone(),
                        kind: "instance",
                        range: i.range,
                        selection: i.name.range,
                        children: Vec::new(),
                    })
                    .chain(layer.outputs.iter().map(|o| Symbol {
                        name: o.name.name.clone(),
                        kind: "output",
                        range: o.name.range.cover(o.value.range),
                        selection: o.name.range,
                        children: Vec::new(),
                    }))
                    .collect(),
                ItemKind::Module(module) => module
                    .inputs
                    .iter()
                    .map(|i| Symbol {
                        name: i.name.name.clone(),
                        kind: "input",
                        range: i.name.range,
                        selection: i.name.range,
                        children: Vec::new(),
                    })
                    .chain(module.outputs.iter().map(|o| Symbol {
                        name: o.name.name.clone(),
                        kind: "output",
                        range: o.name.range,
                        selection: o.name.range,
                        children: Vec::new(),
                    }))
                    .collect(),
                _ => Vec::new(),
            };
            Some(Symbol {
                name: name.name.clone(),
                kind: item.keyword(),
                range: item.range,
                selection: name.range,
                children,
            })
        })
        .collect()
}
