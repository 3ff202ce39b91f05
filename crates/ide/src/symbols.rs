//! Names in a file and what they denote: every definition and reference, resolved the way the
//! evaluator resolves them. Definition, references, rename, hover and semantic tokens start here.

use std::collections::BTreeMap;

use crate::config::EnvName;
use crate::db::{parse_file, Db, SourceFile, Workspace};
use crate::policy::provenance;
use crate::project::{project_index, ItemRef, ProjectIndex};
use crate::source::TextRange;
use crate::syntax::{
    Block, Expr, ExprKind, Ident, Item, ItemKind, Layer, ModuleDef, RecordEntry, StrPart, TypeExpr,
    TypeExprKind,
};

use super::{is_stdlib, FileRange, NavTarget, SourceChange, TextEdit};

/// What a name denotes.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Symbol {
    Project(String),
    Type(String),
    /// `string`, `int`, `list`, ...
    BuiltinType(String),
    Param(String),
    Module(String),
    ModuleInput {
        module: String,
        input: String,
    },
    ModuleOutput {
        module: String,
        output: String,
    },
    Layer(String),
    LayerOutput {
        layer: String,
        output: String,
    },
    Instance {
        layer: String,
        instance: String,
    },
    /// `name` or `spec` of `layer client(name, spec) for clients`.
    RepeatVar {
        layer: String,
        var: String,
    },
    Env(String),
    Policy(String),
    /// `env`, `project`, `region`, `layer`, `instance` in expressions.
    Builtin(String),
    /// A provider's resource type (`aws_sns_topic`) or data source (`data.aws_region`), typed
    /// from its cached schema.
    Resource(String),
    /// An attribute (or nested block) of a resource type: set in an instance, or read.
    ResourceAttribute {
        resource: String,
        attribute: String,
    },
}

impl Symbol {
    /// The name as written at a definition or reference.
    pub fn name(&self) -> &str {
        match self {
            Symbol::Project(n)
            | Symbol::Type(n)
            | Symbol::BuiltinType(n)
            | Symbol::Param(n)
            | Symbol::Module(n)
            | Symbol::Layer(n)
            | Symbol::Env(n)
            | Symbol::Policy(n)
            | Symbol::Builtin(n) => n,
            Symbol::Resource(n) => n.strip_prefix(crate::model::DATA_PREFIX).unwrap_or(n),
            Symbol::ResourceAttribute { attribute, .. } => attribute,
            Symbol::ModuleInput { input, .. } => input,
            Symbol::ModuleOutput { output, .. } | Symbol::LayerOutput { output, .. } => output,
            Symbol::Instance { instance, .. } => instance,
            Symbol::RepeatVar { var, .. } => var,
        }
    }

    /// A word for messages: "parameter", "layer output", ...
    pub fn describe(&self) -> &'static str {
        match self {
            Symbol::Project(_) => "project",
            Symbol::Type(_) => "type",
            Symbol::BuiltinType(_) => "builtin type",
            Symbol::Param(_) => "parameter",
            Symbol::Module(_) => "module",
            Symbol::ModuleInput { .. } => "module input",
            Symbol::ModuleOutput { .. } => "module output",
            Symbol::Layer(_) => "layer",
            Symbol::LayerOutput { .. } => "layer output",
            Symbol::Instance { .. } => "instance",
            Symbol::RepeatVar { .. } => "layer variable",
            Symbol::Env(_) => "environment",
            Symbol::Policy(_) => "policy",
            Symbol::Builtin(_) => "builtin",
            Symbol::Resource(_) => "resource type",
            Symbol::ResourceAttribute { .. } => "resource attribute",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OccurrenceKind {
    Definition,
    Reference,
}

/// One name in a file.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Occurrence {
    pub range: TextRange,
    pub symbol: Symbol,
    pub kind: OccurrenceKind,
    /// For a module input named at an instance (`cidr = ...` in `network vpc { }`, or
    /// `foundation.vpc.cidr` in an environment or policy): the layer and the instance.
    pub instance: Option<(String, String)>,
}

/// An environment entry's path (or a key of a record assigned by one): it overrides a value of
/// the parent environment or of the base.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct OverrideSite {
    pub env: String,
    pub path: Vec<String>,
    /// The whole path as written, and its last segment.
    pub path_range: TextRange,
    pub last_range: TextRange,
    /// The value assigned.
    pub value_range: TextRange,
    /// Whether the value is a record literal, merged key by key rather than replacing.
    pub is_record: bool,
}

/// The names and override sites of one file.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct FileSymbols {
    /// Sorted by position.
    pub occurrences: Vec<Occurrence>,
    pub overrides: Vec<OverrideSite>,
}

impl FileSymbols {
    /// The occurrence under the cursor; an offset just after a name still counts.
    pub fn at(&self, offset: u32) -> Option<&Occurrence> {
        self.occurrences
            .iter()
            .filter(|o| o.range.contains(offset))
            .min_by_key(|o| {
                (
                    o.range.start != offset && o.range.end == offset,
                    o.range.len(),
                )
            })
    }

    /// The override site whose path contains the cursor.
    pub fn override_at(&self, offset: u32) -> Option<&OverrideSite> {
        self.overrides
            .iter()
            .filter(|site| site.path_range.contains(offset))
            .min_by_key(|site| site.path_range.len())
    }
}

/// Resolves every name of a file.
#[salsa::tracked(returns(ref))]
pub fn file_symbols(db: &dyn Db, workspace: Workspace, file: SourceFile) -> FileSymbols {
    let index = project_index(db, workspace);
    let text = file.text(db);
    let mut walker = Walker {
        db,
        index,
        text,
        out: FileSymbols::default(),
        resources: Default::default(),
    };
    for item in &parse_file(db, file).items {
        walker.item(item);
    }
    walker
        .out
        .occurrences
        .sort_by_key(|o| (o.range.start, o.range.end));
    walker.out
}

/// Where names in an expression come from (mirrors the evaluator's scopes).
#[derive(Clone, Copy)]
enum Scope<'s> {
    /// Parameters and builtins: parameter defaults, project fields, parameter overrides.
    Params,
    /// A layer: its instances, its repeat variables, other layers, parameters, builtins.
    Layer(&'s Layer),
    /// A module input default: the module's other inputs and builtins.
    ModuleInputs(&'s ModuleDef),
    /// A policy rule: paths into the environment's values, after an environment name in `across`.
    Policy { across: bool },
}

struct Walker<'a> {
    db: &'a dyn Db,
    index: &'a ProjectIndex,
    text: &'a str,
    out: FileSymbols,
    /// The interfaces of the resource types the file names, each parsed once.
    resources: std::collections::HashMap<String, Option<std::rc::Rc<crate::model::ModuleSig>>>,
}

const BUILTINS: &[&str] = &["env", "project", "region", "layer", "instance"];
use crate::types::BUILTIN_TYPES;

impl<'a> Walker<'a> {
    fn add(&mut self, ident: &Ident, symbol: Symbol, kind: OccurrenceKind) {
        self.add_at(ident, symbol, kind, None);
    }

    fn add_at(
        &mut self,
        ident: &Ident,
        symbol: Symbol,
        kind: OccurrenceKind,
        instance: Option<(String, String)>,
    ) {
        // Only names written as names: a quoted path segment is a key, not a reference.
        let written = self
            .text
            .get(ident.range.start as usize..ident.range.end as usize);
        if written != Some(ident.name.as_str()) {
            return;
        }
        self.out.occurrences.push(Occurrence {
            range: ident.range,
            symbol,
            kind,
            instance,
        });
    }

    fn item(&mut self, item: &'a Item) {
        use OccurrenceKind::*;
        match &item.kind {
            ItemKind::Project(project) => {
                self.add(
                    &project.name,
                    Symbol::Project(project.name.name.clone()),
                    Definition,
                );
                self.block_values(&project.body, Scope::Params);
            }
            ItemKind::Type(def) => {
                self.add(&def.name, Symbol::Type(def.name.name.clone()), Definition);
                self.type_expr(&def.ty);
            }
            ItemKind::Param(param) => {
                self.add(
                    &param.name,
                    Symbol::Param(param.name.name.clone()),
                    Definition,
                );
                self.type_expr(&param.ty);
                if let Some(default) = &param.default {
                    self.expr(default, Scope::Params);
                }
            }
            ItemKind::Module(module) => {
                let name = &module.name.name;
                self.add(&module.name, Symbol::Module(name.clone()), Definition);
                for input in &module.inputs {
                    let symbol = Symbol::ModuleInput {
                        module: name.clone(),
                        input: input.name.name.clone(),
                    };
                    self.add(&input.name, symbol, Definition);
                    self.type_expr(&input.ty);
                    if let Some(default) = &input.default {
                        self.expr(default, Scope::ModuleInputs(module));
                    }
                }
                for output in &module.outputs {
                    let symbol = Symbol::ModuleOutput {
                        module: name.clone(),
                        output: output.name.name.clone(),
                    };
                    self.add(&output.name, symbol, Definition);
                    self.type_expr(&output.ty);
                }
            }
            ItemKind::Layer(layer) => self.layer(layer),
            ItemKind::Env(env) => {
                self.add(&env.name, Symbol::Env(env.name.name.clone()), Definition);
                if let Some(parent) = &env.extends {
                    if self.index.envs.contains_key(&parent.name) {
                        self.add(parent, Symbol::Env(parent.name.clone()), Reference);
                    }
                }
                for entry in &env.body.entries {
                    let layer = self.env_path(&entry.path, Scope::Policy { across: false });
                    let scope = match layer {
                        Some(layer) => Scope::Layer(layer),
                        None => Scope::Params,
                    };
                    self.expr(&entry.value, scope);
                    let path: Vec<String> = entry.path.iter().map(|s| s.name.clone()).collect();
                    let last = entry.path.last().map_or(entry.range, |s| s.range);
                    self.override_sites(
                        &env.name.name,
                        path,
                        entry.path_range(),
                        last,
                        &entry.value,
                    );
                }
            }
            ItemKind::Policy(policy) => {
                self.add(
                    &policy.name,
                    Symbol::Policy(policy.name.name.clone()),
                    Definition,
                );
                for env in &policy.envs {
                    if self.index.envs.contains_key(&env.name) {
                        self.add(env, Symbol::Env(env.name.clone()), Reference);
                    }
                }
                for rule in &policy.rules {
                    self.expr(
                        &rule.expr,
                        Scope::Policy {
                            across: policy.across,
                        },
                    );
                }
            }
            ItemKind::Error(_) => {}
        }
    }

    fn layer(&mut self, layer: &'a Layer) {
        use OccurrenceKind::*;
        let name = &layer.name.name;
        self.add(&layer.name, Symbol::Layer(name.clone()), Definition);
        if let Some(repeat) = &layer.repeat {
            for var in std::iter::once(&repeat.key).chain(repeat.value.as_ref()) {
                let symbol = Symbol::RepeatVar {
                    layer: name.clone(),
                    var: var.name.clone(),
                };
                self.add(var, symbol, Definition);
            }
            if self.index.params.contains_key(&repeat.over.name) {
                self.add(
                    &repeat.over,
                    Symbol::Param(repeat.over.name.clone()),
                    Reference,
                );
            }
        }
        for instance in &layer.instances {
            let kind = &instance.kind_name().into_owned();
            if self.index.modules.contains_key(kind) {
                self.add(&instance.kind, Symbol::Module(kind.clone()), Reference);
            } else if let Some(sig) = self.resource(kind) {
                self.add(&instance.kind, Symbol::Resource(kind.clone()), Reference);
                for entry in &instance.body.entries {
                    if let Some(key) = entry.path.first() {
                        if sig.inputs.iter().any(|i| i.name == key.name) {
                            let symbol = Symbol::ResourceAttribute {
                                resource: kind.clone(),
                                attribute: key.name.clone(),
                            };
                            let at = Some((name.clone(), instance.name.name.clone()));
                            self.add_at(key, symbol, Reference, at);
                        }
                    }
                }
            }
            let symbol = Symbol::Instance {
                layer: name.clone(),
                instance: instance.name.name.clone(),
            };
            self.add(&instance.name, symbol, Definition);
            let module = self.module(kind);
            for entry in &instance.body.entries {
                if let (Some(key), Some(module)) = (entry.path.first(), module) {
                    if self.has_input(kind, module, &key.name) {
                        let symbol = Symbol::ModuleInput {
                            module: kind.clone(),
                            input: key.name.clone(),
                        };
                        let at = Some((name.clone(), instance.name.name.clone()));
                        self.add_at(key, symbol, Reference, at);
                    }
                }
                self.expr(&entry.value, Scope::Layer(layer));
            }
        }
        for output in &layer.outputs {
            let symbol = Symbol::LayerOutput {
                layer: name.clone(),
                output: output.name.name.clone(),
            };
            self.add(&output.name, symbol, Definition);
            self.type_expr(&output.ty);
            self.expr(&output.value, Scope::Layer(layer));
        }
    }

    /// The interface of a resource type the project's cached schemas hold.
    fn resource(&mut self, kind: &str) -> Option<std::rc::Rc<crate::model::ModuleSig>> {
        if let Some(sig) = self.resources.get(kind) {
            return sig.clone();
        }
        let sig = match crate::model::resource_lookup(self.db, self.index, kind) {
            crate::schema::Lookup::Found(sig) => Some(std::rc::Rc::new(*sig)),
            _ => None,
        };
        self.resources.insert(kind.to_string(), sig.clone());
        sig
    }

    fn module(&self, kind: &str) -> Option<&'a ModuleDef> {
        let item = self.index.modules.get(kind)?;
        match &item.item(self.db).kind {
            ItemKind::Module(module) => Some(module),
            _ => None,
        }
    }

    /// Whether module `kind` has input `name`: declared in its `.infra` item, or read from its
    /// Terraform files when it declares no members.
    fn has_input(&self, kind: &str, module: &ModuleDef, name: &str) -> bool {
        if module.inputs.iter().any(|i| i.name.name == name) {
            return true;
        }
        if !module.outputs.is_empty() || !module.inputs.is_empty() {
            return false;
        }
        self.index.module_dirs.get(kind).is_some_and(|dir| {
            crate::terraform::tf_interface(self.db, *dir)
                .variable(name)
                .is_some()
        })
    }

    fn layer_def(&self, name: &str) -> Option<&'a Layer> {
        let item = self.index.layers.get(name)?;
        match &item.item(self.db).kind {
            ItemKind::Layer(layer) => Some(layer),
            _ => None,
        }
    }

    /// A path into an environment's values (an override's left side or a policy path). Returns
    /// the layer when the path starts with one, for the scope of the value.
    fn env_path(&mut self, segments: &[Ident], scope: Scope<'a>) -> Option<&'a Layer> {
        use OccurrenceKind::*;
        let mut rest = segments;
        if let Scope::Policy { across: true } = scope {
            if let Some((head, tail)) = rest.split_first() {
                if self.index.envs.contains_key(&head.name) {
                    self.add(head, Symbol::Env(head.name.clone()), Reference);
                    rest = tail;
                }
            }
        }
        let (head, tail) = rest.split_first()?;
        if self.index.params.contains_key(&head.name) {
            self.add(head, Symbol::Param(head.name.clone()), Reference);
            return None;
        }
        if head.name == "project" {
            self.add(head, Symbol::Builtin("project".into()), Reference);
            return None;
        }
        let layer = self.layer_def(&head.name)?;
        self.add(head, Symbol::Layer(head.name.clone()), Reference);
        let Some((instance_ident, tail)) = tail.split_first() else {
            return Some(layer);
        };
        let Some(instance) = layer
            .instances
            .iter()
            .find(|i| i.name.name == instance_ident.name)
        else {
            return Some(layer);
        };
        let symbol = Symbol::Instance {
            layer: head.name.clone(),
            instance: instance_ident.name.clone(),
        };
        self.add(instance_ident, symbol, Reference);
        if let (Some(input), Some(module)) = (tail.first(), self.module(&instance.kind.name)) {
            if self.has_input(&instance.kind.name, module, &input.name) {
                let symbol = Symbol::ModuleInput {
                    module: instance.kind.name.clone(),
                    input: input.name.clone(),
                };
                let at = Some((head.name.clone(), instance_ident.name.clone()));
                self.add_at(input, symbol, Reference, at);
            }
        }
        Some(layer)
    }

    /// Records an override site, and the keys of a record literal as sites of their own.
    fn override_sites(
        &mut self,
        env: &str,
        path: Vec<String>,
        path_range: TextRange,
        last_range: TextRange,
        value: &Expr,
    ) {
        let is_record = matches!(value.kind, ExprKind::Record(_));
        if let ExprKind::Record(entries) = &value.kind {
            for RecordEntry { key, value } in entries {
                let mut child = path.clone();
                child.push(key.name.clone());
                // A key of a record assigned to an instance is a module input.
                if child.len() == 3 {
                    self.record_key_input(&child, key);
                }
                self.override_sites(env, child, key.range, key.range, value);
            }
        }
        self.out.overrides.push(OverrideSite {
            env: env.to_string(),
            path,
            path_range,
            last_range,
            value_range: value.range,
            is_record,
        });
    }

    fn record_key_input(&mut self, path: &[String], key: &Ident) {
        let Some(layer) = self.layer_def(&path[0]) else {
            return;
        };
        let Some(instance) = layer.instances.iter().find(|i| i.name.name == path[1]) else {
            return;
        };
        let Some(module) = self.module(&instance.kind.name) else {
            return;
        };
        if self.has_input(&instance.kind.name, module, &path[2]) {
            let symbol = Symbol::ModuleInput {
                module: instance.kind.name.clone(),
                input: path[2].clone(),
            };
            let at = Some((path[0].clone(), path[1].clone()));
            self.add_at(key, symbol, OccurrenceKind::Reference, at);
        }
    }

    fn block_values(&mut self, block: &Block, scope: Scope<'a>) {
        for entry in &block.entries {
            self.expr(&entry.value, scope);
        }
    }

    fn type_expr(&mut self, ty: &TypeExpr) {
        match &ty.kind {
            TypeExprKind::Named {
                name,
                args,
                constraint,
            } => {
                if self.index.types.contains_key(&name.name) {
                    self.add(
                        name,
                        Symbol::Type(name.name.clone()),
                        OccurrenceKind::Reference,
                    );
                } else if BUILTIN_TYPES.contains(&name.name.as_str()) {
                    self.add(
                        name,
                        Symbol::BuiltinType(name.name.clone()),
                        OccurrenceKind::Reference,
                    );
                }
                for arg in args {
                    self.type_expr(arg);
                }
                let _ = constraint;
            }
            TypeExprKind::Record(fields) => {
                for field in fields {
                    self.type_expr(&field.ty);
                    if let Some(default) = &field.default {
                        self.expr(default, Scope::Params);
                    }
                }
            }
        }
    }

    fn expr(&mut self, expr: &Expr, scope: Scope<'a>) {
        crate::syntax::grow(|| self.expr_nested(expr, scope));
    }

    fn expr_nested(&mut self, expr: &Expr, scope: Scope<'a>) {
        match &expr.kind {
            ExprKind::Str(parts) => {
                for part in parts {
                    if let StrPart::Interp(inner) = part {
                        self.expr(inner, scope);
                    }
                }
            }
            ExprKind::List(items) => {
                for item in items {
                    self.expr(item, scope);
                }
            }
            ExprKind::Record(entries) => {
                for entry in entries {
                    self.expr(&entry.value, scope);
                }
            }
            ExprKind::Ref(segments) => self.reference(segments, scope),
            ExprKind::Index(base, index) => {
                self.expr(base, scope);
                self.expr(index, scope);
            }
            ExprKind::Unary(_, inner) => self.expr(inner, scope),
            ExprKind::Binary(_, left, right) => {
                self.expr(left, scope);
                self.expr(right, scope);
            }
            ExprKind::Cond(cond, then, otherwise) => {
                self.expr(cond, scope);
                self.expr(then, scope);
                self.expr(otherwise, scope);
            }
            ExprKind::Attr(base, _) => self.expr(base, scope),
            ExprKind::Call(call) => {
                for arg in &call.args {
                    self.expr(arg, scope);
                }
            }
            ExprKind::For(f) => {
                // The loop's variables are local to it: only the collection is resolved here.
                self.expr(&f.collection, scope);
            }
            ExprKind::Int(_)
            | ExprKind::Float(_)
            | ExprKind::Bool(_)
            | ExprKind::Null
            | ExprKind::Missing => {}
        }
    }

    /// Resolves `a.b.c` in the order the evaluator does.
    fn reference(&mut self, segments: &[Ident], scope: Scope<'a>) {
        use OccurrenceKind::*;
        let Some((head, rest)) = segments.split_first() else {
            return;
        };
        let name = head.name.as_str();
        match scope {
            Scope::Policy { .. } => {
                self.env_path(segments, scope);
                return;
            }
            Scope::ModuleInputs(module) => {
                if module.inputs.iter().any(|i| i.name.name == name) {
                    let symbol = Symbol::ModuleInput {
                        module: module.name.name.clone(),
                        input: name.to_string(),
                    };
                    self.add(head, symbol, Reference);
                } else if BUILTINS.contains(&name) {
                    self.add(head, Symbol::Builtin(name.to_string()), Reference);
                }
                return;
            }
            Scope::Layer(layer) => {
                if let Some(instance) = layer.instances.iter().find(|i| i.name.name == name) {
                    let symbol = Symbol::Instance {
                        layer: layer.name.name.clone(),
                        instance: name.to_string(),
                    };
                    self.add(head, symbol, Reference);
                    let kind = &instance.kind_name().into_owned();
                    if let (Some(output), Some(module)) = (rest.first(), self.module(kind)) {
                        if module.outputs.iter().any(|o| o.name.name == output.name) {
                            let symbol = Symbol::ModuleOutput {
                                module: kind.clone(),
                                output: output.name.clone(),
                            };
                            self.add(output, symbol, Reference);
                        }
                    } else if let Some(output) = rest.first() {
                        let known = self
                            .resource(kind)
                            .is_some_and(|sig| sig.outputs.iter().any(|o| o.name == output.name));
                        if known {
                            let symbol = Symbol::ResourceAttribute {
                                resource: kind.clone(),
                                attribute: output.name.clone(),
                            };
                            self.add(output, symbol, Reference);
                        }
                    }
                    return;
                }
                if let Some(repeat) = &layer.repeat {
                    let is_var = repeat.key.name == name
                        || repeat.value.as_ref().is_some_and(|v| v.name == name);
                    if is_var {
                        let symbol = Symbol::RepeatVar {
                            layer: layer.name.name.clone(),
                            var: name.to_string(),
                        };
                        self.add(head, symbol, Reference);
                        return;
                    }
                }
                if let Some(other) = self.layer_def(name) {
                    self.add(head, Symbol::Layer(name.to_string()), Reference);
                    if let Some(output) = rest.first() {
                        if other.outputs.iter().any(|o| o.name.name == output.name) {
                            let symbol = Symbol::LayerOutput {
                                layer: name.to_string(),
                                output: output.name.clone(),
                            };
                            self.add(output, symbol, Reference);
                        }
                    }
                    return;
                }
            }
            Scope::Params => {}
        }
        if self.index.params.contains_key(name) {
            self.add(head, Symbol::Param(name.to_string()), Reference);
        } else if BUILTINS.contains(&name) {
            self.add(head, Symbol::Builtin(name.to_string()), Reference);
        }
    }
}

/// The definition of a symbol.
pub fn definition(db: &dyn Db, workspace: Workspace, symbol: &Symbol) -> Option<NavTarget> {
    let index = project_index(db, workspace);
    let target = |item_ref: ItemRef, ident: &Ident| {
        let item = item_ref.item(db);
        NavTarget {
            file: item_ref.file,
            full_range: item.range,
            focus_range: ident.range,
            name: ident.name.clone(),
        }
    };
    let member = |item_ref: ItemRef, ident: &Ident, full: TextRange| NavTarget {
        file: item_ref.file,
        full_range: full,
        focus_range: ident.range,
        name: ident.name.clone(),
    };
    let named = |table: &BTreeMap<String, ItemRef>, name: &str| {
        let item_ref = *table.get(name)?;
        let ident = item_ref.item(db).name()?.clone();
        Some(target(item_ref, &ident))
    };
    match symbol {
        // A provider's types live in its schema, not in the project's sources.
        Symbol::Resource(_) | Symbol::ResourceAttribute { .. } => None,
        Symbol::Project(_) => {
            let item_ref = index.project?;
            let ident = item_ref.item(db).name()?.clone();
            Some(target(item_ref, &ident))
        }
        Symbol::Type(name) => named(&index.types, name),
        Symbol::Param(name) => named(&index.params, name),
        Symbol::Module(name) => named(&index.modules, name),
        Symbol::Layer(name) => named(&index.layers, name),
        Symbol::Env(name) => named(&index.envs, name),
        Symbol::Policy(name) => index.policies.iter().find_map(|item_ref| {
            let ident = item_ref.item(db).name()?;
            (ident.name == *name).then(|| target(*item_ref, ident))
        }),
        Symbol::ModuleInput { module, input } => {
            let item_ref = *index.modules.get(module)?;
            let ItemKind::Module(def) = &item_ref.item(db).kind else {
                return None;
            };
            let decl = def.inputs.iter().find(|i| i.name.name == *input)?;
            let full = decl
                .default
                .as_ref()
                .map_or(decl.ty.range, |d| d.range)
                .cover(decl.name.range);
            Some(member(item_ref, &decl.name, full))
        }
        Symbol::ModuleOutput { module, output } => {
            let item_ref = *index.modules.get(module)?;
            let ItemKind::Module(def) = &item_ref.item(db).kind else {
                return None;
            };
            let decl = def.outputs.iter().find(|o| o.name.name == *output)?;
            Some(member(
                item_ref,
                &decl.name,
                decl.name.range.cover(decl.ty.range),
            ))
        }
        Symbol::LayerOutput { layer, output } => {
            let item_ref = *index.layers.get(layer)?;
            let ItemKind::Layer(def) = &item_ref.item(db).kind else {
                return None;
            };
            let decl = def.outputs.iter().find(|o| o.name.name == *output)?;
            Some(member(
                item_ref,
                &decl.name,
                decl.name.range.cover(decl.value.range),
            ))
        }
        Symbol::Instance { layer, instance } => {
            let item_ref = *index.layers.get(layer)?;
            let ItemKind::Layer(def) = &item_ref.item(db).kind else {
                return None;
            };
            let decl = def.instances.iter().find(|i| i.name.name == *instance)?;
            Some(member(item_ref, &decl.name, decl.range))
        }
        Symbol::RepeatVar { layer, var } => {
            let item_ref = *index.layers.get(layer)?;
            let ItemKind::Layer(def) = &item_ref.item(db).kind else {
                return None;
            };
            let repeat = def.repeat.as_ref()?;
            let ident = std::iter::once(&repeat.key)
                .chain(repeat.value.as_ref())
                .find(|v| v.name == *var)?;
            Some(member(item_ref, ident, ident.range))
        }
        Symbol::BuiltinType(_) | Symbol::Builtin(_) => None,
    }
}

/// The name of the environment that an environment extends, or `None` for the base.
pub fn parent_env(db: &dyn Db, workspace: Workspace, env: &str) -> Option<String> {
    let index = project_index(db, workspace);
    match &index.envs.get(env)?.item(db).kind {
        ItemKind::Env(def) => def
            .extends
            .as_ref()
            .filter(|p| index.envs.contains_key(&p.name))
            .map(|p| p.name.clone()),
        _ => None,
    }
}

/// An environment name that no environment can have: its configuration is the base alone.
pub(crate) const BASE_ENV: &str = "<base>";

/// Where the value an override replaces was written: in the parent environment, or in the base
/// (a parameter default, an instance attribute, a module input default).
pub fn overridden_definition(
    db: &dyn Db,
    workspace: Workspace,
    site: &OverrideSite,
) -> Option<FileRange> {
    let parent = parent_env(db, workspace, &site.env).unwrap_or_else(|| BASE_ENV.to_string());
    let parent = EnvName::new(db, parent);
    match provenance(db, workspace, parent, &site.path) {
        Some(prov) => match (prov.def, prov.default_of) {
            (Some(def), _) => Some(FileRange {
                file: def.file,
                range: def.range,
            }),
            (None, Some((file, range, _))) => Some(FileRange { file, range }),
            (None, None) => None,
        },
        None => None,
    }
}

/// Go to definition: the declaration of the name under the cursor; on the last segment of an
/// environment override, the value it overrides (then the declaration, when nothing is
/// overridden).
pub fn goto_definition(
    db: &dyn Db,
    workspace: Workspace,
    file: SourceFile,
    offset: u32,
) -> Vec<NavTarget> {
    let symbols = file_symbols(db, workspace, file);
    let occurrence = symbols.at(offset);
    if let Some(site) = symbols.override_at(offset) {
        let on_last = site.last_range.contains(offset);
        if on_last {
            if let Some(overridden) = overridden_definition(db, workspace, site) {
                return vec![NavTarget {
                    file: overridden.file,
                    full_range: overridden.range,
                    focus_range: overridden.range,
                    name: site.path.join("."),
                }];
            }
        }
    }
    let Some(occurrence) = occurrence else {
        return Vec::new();
    };
    definition(db, workspace, &occurrence.symbol)
        .into_iter()
        .collect()
}

/// Every occurrence of a symbol in the workspace's live files.
pub fn find_occurrences(
    db: &dyn Db,
    workspace: Workspace,
    symbol: &Symbol,
) -> Vec<(SourceFile, Occurrence)> {
    let mut found = Vec::new();
    for &file in workspace.files(db) {
        if file.deleted(db) {
            continue;
        }
        for occurrence in &file_symbols(db, workspace, file).occurrences {
            if occurrence.symbol == *symbol {
                found.push((file, occurrence.clone()));
            }
        }
    }
    found
}

/// Find references of the name under the cursor.
pub fn references(
    db: &dyn Db,
    workspace: Workspace,
    file: SourceFile,
    offset: u32,
    include_declaration: bool,
) -> Vec<FileRange> {
    let Some(occurrence) = file_symbols(db, workspace, file).at(offset).cloned() else {
        return Vec::new();
    };
    find_occurrences(db, workspace, &occurrence.symbol)
        .into_iter()
        .filter(|(_, o)| include_declaration || o.kind == OccurrenceKind::Reference)
        .map(|(file, o)| FileRange {
            file,
            range: o.range,
        })
        .collect()
}

/// The range of the name that a rename at the cursor would change, or why it cannot.
pub fn prepare_rename(
    db: &dyn Db,
    workspace: Workspace,
    file: SourceFile,
    offset: u32,
) -> Result<(TextRange, Symbol), String> {
    let occurrence = file_symbols(db, workspace, file)
        .at(offset)
        .cloned()
        .ok_or_else(|| "there is no name to rename here".to_string())?;
    match &occurrence.symbol {
        Symbol::Builtin(name) | Symbol::BuiltinType(name) => {
            return Err(format!("`{name}` is built in and cannot be renamed"))
        }
        Symbol::Resource(_) | Symbol::ResourceAttribute { .. } => {
            return Err(format!(
                "`{}` belongs to the provider's schema and cannot be renamed",
                occurrence.symbol.name()
            ))
        }
        Symbol::Project(_) => return Err("rename the project in its `project` item".into()),
        _ => {}
    }
    let definition = definition(db, workspace, &occurrence.symbol)
        .ok_or_else(|| format!("`{}` has no definition", occurrence.symbol.name()))?;
    if is_stdlib(db, definition.file) {
        return Err(format!(
            "`{}` is defined in the standard library",
            occurrence.symbol.name()
        ));
    }
    Ok((occurrence.range, occurrence.symbol))
}

/// Renames the name under the cursor everywhere in the workspace.
pub fn rename(
    db: &dyn Db,
    workspace: Workspace,
    file: SourceFile,
    offset: u32,
    new_name: &str,
) -> Result<SourceChange, String> {
    let (_, symbol) = prepare_rename(db, workspace, file, offset)?;
    if !is_identifier(new_name) {
        return Err(format!("`{new_name}` is not a valid name"));
    }
    if super::lex::KEYWORDS.contains(&new_name) || BUILTINS.contains(&new_name) {
        return Err(format!("`{new_name}` is a reserved word"));
    }
    if new_name == symbol.name() {
        return Ok(SourceChange::default());
    }
    if let Some(clash) = clash(db, workspace, &symbol, new_name) {
        return Err(clash);
    }
    let mut change = SourceChange::default();
    for (file, occurrence) in find_occurrences(db, workspace, &symbol) {
        change.insert_in(
            db,
            file,
            TextEdit {
                range: occurrence.range,
                new_text: new_name.to_string(),
            },
        );
    }
    Ok(change)
}

/// Whether a rename would collide with an existing name of the same namespace.
fn clash(db: &dyn Db, workspace: Workspace, symbol: &Symbol, new_name: &str) -> Option<String> {
    let index = project_index(db, workspace);
    let taken = match symbol {
        Symbol::Param(_) | Symbol::Layer(_) => {
            index.params.contains_key(new_name) || index.layers.contains_key(new_name)
        }
        Symbol::Type(_) => index.types.contains_key(new_name),
        Symbol::Module(_) => index.modules.contains_key(new_name),
        Symbol::Env(_) => index.envs.contains_key(new_name),
        other => {
            let sibling = match other {
                Symbol::ModuleInput { module, .. } => Symbol::ModuleInput {
                    module: module.clone(),
                    input: new_name.to_string(),
                },
                Symbol::ModuleOutput { module, .. } => Symbol::ModuleOutput {
                    module: module.clone(),
                    output: new_name.to_string(),
                },
                Symbol::LayerOutput { layer, .. } => Symbol::LayerOutput {
                    layer: layer.clone(),
                    output: new_name.to_string(),
                },
                Symbol::Instance { layer, .. } => Symbol::Instance {
                    layer: layer.clone(),
                    instance: new_name.to_string(),
                },
                Symbol::RepeatVar { layer, .. } => Symbol::RepeatVar {
                    layer: layer.clone(),
                    var: new_name.to_string(),
                },
                Symbol::Policy(_) => Symbol::Policy(new_name.to_string()),
                _ => return None,
            };
            definition(db, workspace, &sibling).is_some()
        }
    };
    taken.then(|| format!("`{new_name}` is already defined"))
}

pub fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}
