//! Evaluation and type checking of one environment: the typed model of every layer, instance and
//! output, the layer graph, and the diagnostics found on the way.

use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;
use std::sync::Arc;

// FxHash: the evaluator's maps are keyed by short names, hashed for every input of every
// instance; SipHash was a few per cent of a check (docs/performance.md).
use rustc_hash::FxHashMap as HashMap;

use crate::config::{
    effective_config, env_chain, env_layer_anchor, merge_layer, placed_layer_item, EffectiveConfig,
    Entries, EnvName, LayerConfig, LayerName, Node, Placement, SyntaxAt, MAX_PLACED_ENVS,
};
use crate::db::{Db, SourceFile, Workspace};
use crate::diagnostics::*;
use crate::project::{project_index, ItemRef, ProjectIndex};
use crate::shared::{env_specific_params, is_shared, shared_env, SHARED, SHARED_ENV};
use crate::source::TextRange;
use crate::syntax::{BinOp, Expr, ExprKind, Ident, Item, ItemKind, StrPart, UnaryOp, MAX_NESTING};
use crate::terraform::{TfAt, TfInterface};
use crate::types::{coerce, Field, Ty, TypeResolver};
use crate::value::{Rt, TemplatePart, Value};

mod runtime_for;

/// A module type's interface.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ModuleSig {
    pub name: String,
    pub source: String,
    /// The `version` constraint of a registry module.
    pub version: Option<String>,
    pub inputs: Vec<InputSig>,
    pub outputs: Vec<OutputSig>,
    pub doc: Option<String>,
    /// The `module` item; `None` for a provider's resource type.
    pub item: Option<ItemRef>,
    /// The file the inputs' defaults are written in: the module's, or the cached schema's.
    pub file: SourceFile,
    /// Whether the interface was read from the module's Terraform files (a module declared
    /// with no members) or from a provider's schema, rather than written in the `.infra` file.
    pub derived: bool,
    /// A provider's resource type or data source (`crate::schema`), emitted as a `resource` or
    /// `data` block rather than a module call.
    pub resource: Option<crate::schema::ResourceShape>,
}

impl ModuleSig {
    /// Where the module's Terraform code comes from.
    pub fn origin(&self) -> crate::terraform::Origin<'_> {
        crate::terraform::origin(&self.source, self.version.as_deref())
    }

    /// `module `NAME``, `resource type `NAME`` or `data source `NAME``, for messages.
    pub fn what(&self) -> String {
        use crate::schema::EntryKind;
        match self.resource.as_ref().map(|r| r.kind) {
            None => format!("module `{}`", self.name),
            Some(EntryKind::Resource) => format!("resource type `{}`", self.name),
            Some(EntryKind::Data) => format!("data source `{}`", self.name),
        }
    }

    /// What a module calls `input` or `output`, a resource type calls `attribute`.
    pub fn member<'w>(&self, word: &'w str) -> &'w str {
        if self.resource.is_some() {
            "attribute"
        } else {
            word
        }
    }

    /// How Terraform addresses an instance of a resource type (`aws_sns_topic`,
    /// `data.aws_region`); `None` for a module.
    pub fn resource_address(&self) -> Option<String> {
        self.resource.as_ref().map(|r| r.address_root().join("."))
    }

    /// Where an input is declared in `.infra` source, for a secondary label; `None` for a
    /// resource type's attribute (its schema is no place to show).
    pub fn declared_at(&self, input: &InputSig) -> Option<(SourceFile, TextRange)> {
        self.item.map(|item| (item.file, input.range))
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct InputSig {
    pub name: String,
    pub ty: Ty,
    pub is_const: bool,
    pub default: Option<Expr>,
    pub doc: Option<String>,
    pub range: TextRange,
    /// The `variable` block of a derived input, and its `default` as Terraform writes it; the
    /// input's `default` is then `null`, which leaves the variable to its Terraform default.
    pub terraform: Option<(TfAt, Option<String>)>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct OutputSig {
    pub name: String,
    pub ty: Ty,
    pub doc: Option<String>,
    pub range: TextRange,
    /// The `output` block of a derived output.
    pub terraform: Option<TfAt>,
}

/// Resolves a module's interface; type errors in it are reported by `module_diagnostics`. A
/// module with no members takes its interface from its Terraform files, when they were loaded.
pub fn module_sig(
    db: &dyn Db,
    index: &ProjectIndex,
    item: ItemRef,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<ModuleSig> {
    let it = item.item(db);
    let ItemKind::Module(module) = &it.kind else {
        return None;
    };
    let source = module.source.as_ref().map_or_else(
        || format!("stdlib/{}", module.name.name),
        |(s, _)| s.clone(),
    );
    let mut sig = ModuleSig {
        name: module.name.name.clone(),
        source,
        version: module.version.as_ref().map(|(v, _)| v.clone()),
        inputs: Vec::new(),
        outputs: Vec::new(),
        doc: it.doc.clone(),
        item: Some(item),
        file: item.file,
        derived: false,
        resource: None,
    };
    let dir = index.module_dirs.get(&module.name.name);
    if let (true, true, Some(dir)) = (module.inputs.is_empty(), module.outputs.is_empty(), dir) {
        derive_interface(&mut sig, crate::terraform::tf_interface(db, *dir), module);
        return Some(sig);
    }
    let mut resolver = TypeResolver::new(db, index);
    sig.inputs = module
        .inputs
        .iter()
        .map(|input| InputSig {
            name: input.name.name.clone(),
            ty: resolver.resolve(item.file, &input.ty, diagnostics),
            is_const: input.is_const,
            default: input.default.clone(),
            doc: input.doc.clone(),
            range: input.name.range,
            terraform: None,
        })
        .collect();
    sig.outputs = module
        .outputs
        .iter()
        .map(|output| OutputSig {
            name: output.name.name.clone(),
            ty: resolver.resolve(item.file, &output.ty, diagnostics),
            doc: output.doc.clone(),
            range: output.name.range,
            terraform: None,
        })
        .collect();
    Some(sig)
}

/// The interface of an instance's kind: a module type, else a resource type of a cached provider
/// schema (`data.TYPE` for a data source).
pub fn kind_sig(db: &dyn Db, index: &ProjectIndex, kind: &str) -> Option<ModuleSig> {
    if let Some(item) = index.modules.get(kind) {
        let mut ignored = Vec::new();
        return module_sig(db, index, *item, &mut ignored);
    }
    match resource_lookup(db, index, kind) {
        crate::schema::Lookup::Found(sig) => Some(*sig),
        _ => None,
    }
}

/// Looks a kind that is no module up in the cached provider schemas.
pub fn resource_lookup(db: &dyn Db, index: &ProjectIndex, kind: &str) -> crate::schema::Lookup {
    use crate::schema::EntryKind;
    match kind.strip_prefix(DATA_PREFIX) {
        Some(name) => crate::schema::resource_sig(db, index, name, EntryKind::Data),
        None => crate::schema::resource_sig(db, index, kind, EntryKind::Resource),
    }
}

/// The kind of a data source instance (`data aws_region current`) is `data.aws_region`.
pub const DATA_PREFIX: &str = "data.";

/// Fills a module's interface from the `variable` and `output` blocks of its Terraform files.
/// Declarations in the `.infra` file point at the module's name.
fn derive_interface(
    sig: &mut ModuleSig,
    interface: &TfInterface,
    module: &crate::syntax::ModuleDef,
) {
    let at = module.name.range;
    sig.derived = true;
    sig.inputs = interface
        .variables
        .iter()
        .map(|variable| InputSig {
            name: variable.name.clone(),
            ty: variable.ty.clone(),
            is_const: false,
            default: variable.default.as_ref().map(|_| Expr {
                kind: ExprKind::Null,
                range: at,
            }),
            doc: variable.description.clone(),
            range: at,
            terraform: Some((variable.at.clone(), variable.default.clone())),
        })
        .collect();
    sig.outputs = interface
        .outputs
        .iter()
        .map(|output| OutputSig {
            name: output.name.clone(),
            ty: output.ty(),
            doc: output.description.clone(),
            range: at,
            terraform: Some(output.at.clone()),
        })
        .collect();
}

/// Where a module type's Terraform code comes from, as the module call writes it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ModuleSource {
    pub source: String,
    pub version: Option<String>,
}

impl ModuleSource {
    pub fn origin(&self) -> crate::terraform::Origin<'_> {
        crate::terraform::origin(&self.source, self.version.as_deref())
    }
}

/// The settings of the `project` item after evaluation.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct ProjectSettings {
    pub name: String,
    pub region: String,
    pub terraform: String,
    /// Every provider a root module may require, `aws` included, by local name.
    pub providers: BTreeMap<String, ProviderSettings>,
    pub tags: BTreeMap<String, String>,
    pub state_bucket: String,
    pub state_region: String,
    /// `Some(table)` when DynamoDB locking was asked for.
    pub dynamodb_table: Option<String>,
    /// The AWS account the environment deploys into (`allowed_account_ids`), if pinned.
    pub account: Option<String>,
    /// The role the AWS provider assumes.
    pub assume_role: Option<AssumeRole>,
    /// The role the S3 backend, remote-state reads and the bootstrap assume: the state bucket
    /// may live in another account than the resources.
    pub state_assume_role: Option<AssumeRole>,
    /// Named AWS provider configurations (another region, account or role) that instances
    /// select with `provider = "NAME"`.
    pub aliases: BTreeMap<String, TargetOverride>,
    /// Per-layer region, account and role, by layer name (the template's for repeated layers).
    pub layers: BTreeMap<String, TargetOverride>,
    /// The role the generated GitHub workflow assumes through OIDC for this environment.
    pub ci_role: Option<String>,
    /// `infrac apply` and `infrac destroy` refuse deletes and replaces of protected resources
    /// in this environment unless `--allow-destroy` is given.
    pub protected: bool,
}

/// A role to assume: `assume_role` of the AWS provider, the S3 backend and remote-state reads.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct AssumeRole {
    pub role_arn: String,
    pub session_name: Option<String>,
    pub external_id: Option<String>,
}

/// Where an AWS provider configuration deploys; a field left `None` is taken from the level
/// above (an alias from its layer, a layer from the environment).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct TargetOverride {
    pub region: Option<String>,
    pub account: Option<String>,
    pub assume_role: Option<AssumeRole>,
}

/// One AWS provider configuration, every field resolved.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct Target {
    pub region: String,
    pub account: Option<String>,
    pub assume_role: Option<AssumeRole>,
}

impl Target {
    fn over(&self, target_override: Option<&TargetOverride>) -> Target {
        let Some(target_override) = target_override else {
            return self.clone();
        };
        Target {
            region: target_override
                .region
                .clone()
                .unwrap_or_else(|| self.region.clone()),
            account: target_override
                .account
                .clone()
                .or_else(|| self.account.clone()),
            assume_role: target_override
                .assume_role
                .clone()
                .or_else(|| self.assume_role.clone()),
        }
    }
}

/// A provider of `project.providers`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct ProviderSettings {
    /// `hashicorp/NAME` unless given.
    pub source: String,
    pub version: String,
    /// Attributes of its `provider` block.
    pub config: BTreeMap<String, Value>,
    /// The module types whose Terraform uses it: it is required and configured only in the
    /// root modules that call one of them. Empty for `aws`, which every root module uses.
    pub modules: Vec<String>,
}

impl ProjectSettings {
    /// Where the resources of the environment go by default.
    pub fn env_target(&self) -> Target {
        Target {
            region: self.region.clone(),
            account: self.account.clone(),
            assume_role: self.assume_role.clone(),
        }
    }

    /// The default AWS provider of a layer: `template` is the layer's name, or the name of the
    /// repeated layer it is an instance of.
    pub fn layer_target(&self, template: &str) -> Target {
        self.env_target().over(self.layers.get(template))
    }

    /// The AWS provider configuration `alias` inside a layer.
    pub fn alias_target(&self, template: &str, alias: &str) -> Target {
        self.layer_target(template).over(self.aliases.get(alias))
    }

    /// The AWS provider of the bootstrap: the state bucket's region and role.
    pub fn state_target(&self) -> Target {
        Target {
            region: self.state_region.clone(),
            account: None,
            assume_role: self.state_assume_role.clone(),
        }
    }
}

/// One key of a repeated instance and its inputs that differ from the other keys'.
pub type KeyInputs = (String, Vec<(String, Value)>);

/// One copy of a layer: its name (`NAME-KEY` for a key of a repeated layer) and the names its
/// repetition binds.
type LayerExpansion = (String, Vec<(String, Value)>);

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct InstanceModel {
    pub kind: String,
    pub name: String,
    /// The alias of `project.aliases` whose AWS provider the instance uses, if not the layer's.
    pub provider: Option<String>,
    /// Inputs in declaration order, defaults filled in; for a repeated instance, the inputs
    /// that are the same for every key.
    pub inputs: Vec<(String, Value)>,
    /// A repeated instance: each key with the inputs that differ between keys (emitted as
    /// `for_each`, so that Terraform's addresses are `module.NAME["KEY"]`).
    pub for_each: Option<Vec<KeyInputs>>,
    /// Existing cloud resources this instance adopts (`import = { "TYPE.NAME" = "ID" }`).
    pub imports: Vec<Import>,
    pub doc: Option<String>,
    pub file: SourceFile,
    /// An instance of a provider's resource type or data source, emitted as that block.
    pub resource: Option<crate::schema::ResourceShape>,
}

/// One resource to adopt: emitted as a Terraform `import` block in the instance's layer.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Import {
    /// The key of a repeated instance (`module.NAME["KEY"]`).
    pub key: Option<String>,
    /// The resource's address within the module: `TYPE.NAME` or `TYPE.NAME[N]`.
    pub address: String,
    /// The cloud id Terraform imports it by.
    pub id: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct OutputModel {
    pub name: String,
    pub ty: Ty,
    pub value: Value,
    pub doc: Option<String>,
}

/// A cross-layer read: this layer uses `layer.output`, of the given type.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RemoteRead {
    pub layer: String,
    pub output: String,
    /// The Terraform type constraint of the output.
    pub ty: String,
    /// The output is or holds a `secret`.
    pub sensitive: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct LayerModel {
    /// The layer's name; `template-key` for repeated layers.
    pub name: String,
    /// The name of the `layer` item: the layer's name, or the repeated layer's.
    pub template: String,
    pub doc: Option<String>,
    pub depends_on: Vec<String>,
    /// Shared: the layer's model at real offsets and at its placed ones hold the same instances.
    pub instances: Arc<[InstanceModel]>,
    pub outputs: Vec<OutputModel>,
    pub reads: Vec<RemoteRead>,
    /// Instances taken out whose resources Terraform forgets instead of destroying
    /// (`removed NAME {}`), emitted as `removed` blocks.
    pub removed: Vec<String>,
    pub file: SourceFile,
    pub name_range: TextRange,
}

/// The typed model of one environment.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct EnvModel {
    pub env: String,
    pub chain: Vec<String>,
    pub project: ProjectSettings,
    pub params: BTreeMap<String, Value>,
    /// Layers in dependency order.
    pub layers: Vec<PlacedLayer>,
    /// Module types used by this environment, by name, with their `source`.
    pub modules: BTreeMap<String, ModuleSource>,
    /// The state bucket's bootstrap instance, when the stdlib module is available and the
    /// bucket is not the shared layers' (whose bootstrap creates it).
    pub bootstrap: Option<InstanceModel>,
    /// The shared layers, as the model of the pseudo-environment `shared` (the same for every
    /// environment), when the project declares any.
    pub shared: Option<Arc<EnvModel>>,
    pub diagnostics: Vec<Diagnostic>,
}

impl EnvModel {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }

    /// A shared layer that this environment's layers may read, by name.
    pub fn shared_layer(&self, name: &str) -> Option<&PlacedLayer> {
        self.shared.as_ref()?.layers.iter().find(|l| l.name == name)
    }

    /// The value of `layer.instance.input`.
    pub fn input(&self, layer: &str, instance: &str, input: &str) -> Option<&Value> {
        let layer = self.layers.iter().find(|l| l.name == layer)?;
        let instance = layer.instances.iter().find(|i| i.name == instance)?;
        instance
            .inputs
            .iter()
            .find(|(n, _)| n == input)
            .map(|(_, v)| v)
    }
}

/// A layer in its place in the environment's order: its directory `NN-name` and its model, which
/// is shared with the query that evaluated it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PlacedLayer {
    /// `NN-name`: the position in dependency order and the name.
    pub dir: String,
    pub model: Arc<LayerModel>,
}

impl std::ops::Deref for PlacedLayer {
    type Target = LayerModel;

    fn deref(&self) -> &LayerModel {
        &self.model
    }
}

/// What every layer of an environment reads: the project's settings and the parameters.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct EnvGlobals {
    pub project: ProjectSettings,
    /// Every declared parameter; `None` when it has no valid value (a diagnostic says why).
    pub params: BTreeMap<String, Option<Value>>,
    pub diagnostics: Vec<Diagnostic>,
}

#[salsa::tracked(returns(ref))]
pub fn env_globals<'db>(db: &'db dyn Db, workspace: Workspace, env: EnvName<'db>) -> EnvGlobals {
    let index = project_index(db, workspace);
    let config = effective_config(db, workspace, env);
    let mut eval = Eval::reading(db, workspace, env, index, Some(config));
    let project = eval.project_settings();
    eval.region = project.region.clone();
    eval.project_name = project.name.clone();
    let params = index
        .params
        .keys()
        .map(|name| (name.clone(), eval.param_value(name)))
        .collect();
    EnvGlobals {
        project,
        params,
        diagnostics: eval.diagnostics,
    }
}

/// One layer of an environment, evaluated and type-checked: its expansions (one for a plain
/// layer, one per key for a repeated one), the module types its instances use with their
/// `source`, and its diagnostics.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct LayerEval {
    pub layers: Vec<Arc<LayerModel>>,
    pub modules: BTreeMap<String, ModuleSource>,
    pub diagnostics: Vec<Diagnostic>,
}

/// Evaluates one layer, at real offsets. For an editor (`RootDatabase::for_editing`) it reads
/// `placed_layer_eval` and maps its offsets back, so that an edit that only moves the layer's text
/// (or the overrides of the layer) costs a copy of the evaluated layer, not an evaluation.
#[salsa::tracked(returns(ref))]
pub fn layer_eval<'db>(
    db: &'db dyn Db,
    workspace: Workspace,
    env: EnvName<'db>,
    layer: LayerName<'db>,
) -> LayerEval {
    let index = project_index(db, workspace);
    let Some(layer_ref) = index.layers.get(layer.name(db)) else {
        return LayerEval::default();
    };
    let chain = &env_chain(db, workspace, env).envs;
    if !db.editing() || chain.len() > MAX_PLACED_ENVS {
        return evaluate_layer(db, workspace, env, layer, SyntaxAt::Real);
    }
    let placed_start = placed_layer_item(db, layer_ref.file, layer_ref.idx)
        .range
        .start;
    let placement = Placement {
        layer: layer_ref.item(db).range.start.wrapping_sub(placed_start),
        envs: chain
            .iter()
            .map(|(_, env_ref)| env_layer_anchor(db, *env_ref, layer.name(db)))
            .collect(),
    };
    let placed = placed_layer_eval(db, workspace, env, layer);
    LayerEval {
        layers: placed
            .layers
            .iter()
            .map(|model| {
                let mut model = LayerModel::clone(model);
                model.name_range = placement.real(model.name_range);
                Arc::new(model)
            })
            .collect(),
        modules: placed.modules.clone(),
        diagnostics: placed
            .diagnostics
            .iter()
            .map(|diagnostic| {
                let mut diagnostic = diagnostic.clone();
                for label in &mut diagnostic.labels {
                    label.range = placement.real(label.range);
                }
                diagnostic
            })
            .collect(),
    }
}

/// Evaluates one layer on its placed syntax (see `config::LAYER_PLACE`). It reads the layer's
/// placed item and overrides, the environment's parameters and project settings, the module
/// interfaces and the declared outputs of the layers it reads: an edit elsewhere, even one that
/// moves this layer's text, does not re-run it.
#[salsa::tracked(returns(ref))]
pub fn placed_layer_eval<'db>(
    db: &'db dyn Db,
    workspace: Workspace,
    env: EnvName<'db>,
    layer: LayerName<'db>,
) -> LayerEval {
    evaluate_layer(db, workspace, env, layer, SyntaxAt::Placed)
}

/// Whether a layer exists in an environment (its condition holds) and, for a repeated layer, its
/// keys there. Span-free, so that a layer reading another depends on these facts only, not on
/// where the other layer's text is.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct LayerPresence {
    pub present: bool,
    pub keys: Vec<String>,
}

#[salsa::tracked(returns(ref))]
pub fn layer_presence<'db>(
    db: &'db dyn Db,
    workspace: Workspace,
    env: EnvName<'db>,
    layer: LayerName<'db>,
) -> LayerPresence {
    let index = project_index(db, workspace);
    let Some(layer_ref) = index.layers.get(layer.name(db)) else {
        return LayerPresence::default();
    };
    let ItemKind::Layer(item) = &layer_ref.item(db).kind else {
        return LayerPresence::default();
    };
    // A shared layer is the same in every environment: it exists, and has its keys, as the
    // shared layers' evaluation sees it.
    if item.shared.is_some() && env.name(db) != SHARED_ENV {
        return layer_presence(db, workspace, shared_env(db), layer).clone();
    }
    let mut eval = Eval::with_globals(db, workspace, env, index);
    // The layer's own evaluation reports what is wrong with its condition.
    let present = match &item.condition {
        Some(condition) => eval.condition(condition, layer_ref.file, Scope::PARAMS) != Some(false),
        None => true,
    };
    let keys = match &item.repeat {
        Some(repeat) => match eval.param_value(&repeat.over.name) {
            Some(Value::Record(entries)) => entries.keys().cloned().collect(),
            Some(Value::List(items)) => items
                .iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect(),
            _ => Vec::new(),
        },
        None => Vec::new(),
    };
    LayerPresence { present, keys }
}

fn evaluate_layer<'db>(
    db: &'db dyn Db,
    workspace: Workspace,
    env: EnvName<'db>,
    layer: LayerName<'db>,
    at: SyntaxAt,
) -> LayerEval {
    let index = project_index(db, workspace);
    let Some(layer_ref) = index.layers.get(layer.name(db)) else {
        return LayerEval::default();
    };
    // Shared layers are evaluated once, without an environment; the others in each environment.
    let shared = is_shared(db, index, layer.name(db));
    if shared != (env.name(db) == SHARED_ENV) {
        return LayerEval::default();
    }
    let item: &Item = match at {
        SyntaxAt::Real => layer_ref.item(db),
        SyntaxAt::Placed => placed_layer_item(db, layer_ref.file, layer_ref.idx),
    };
    let config = merge_layer(db, workspace, env, layer, at);
    let mut eval = Eval::with_globals(db, workspace, env, index);
    eval.shared_layer = shared.then(|| layer.name(db).clone());
    // `region` in a layer is the region it deploys to, which `project.layers` may change.
    eval.region = env_globals(db, workspace, env)
        .project
        .layer_target(layer.name(db))
        .region;
    eval.layer_config = Some(&config);
    // The merge's diagnostics come with the layer's.
    eval.diagnostics = config.diagnostics.clone();
    let layers = eval.layer(layer.name(db), item, layer_ref.file);
    let mut modules = BTreeMap::new();
    for instance in layers.iter().flat_map(|l| l.instances.iter()) {
        let sig = eval.modules.get(&instance.kind).and_then(|s| s.as_ref());
        // A resource type's instance calls no module; a module is noted once, at its first
        // instance.
        if let Some(sig) =
            sig.filter(|sig| sig.resource.is_none() && !modules.contains_key(&sig.name))
        {
            modules.insert(
                sig.name.clone(),
                ModuleSource {
                    source: sig.source.clone(),
                    version: sig.version.clone(),
                },
            );
        }
    }
    LayerEval {
        layers: layers.into_iter().map(Arc::new).collect(),
        modules,
        diagnostics: eval.diagnostics,
    }
}

/// What other layers see of a layer: whether it is repeated, and its outputs with their types.
/// It has no spans, so it stays equal when the layer's text moves or its instances change.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct LayerInterface {
    pub repeated: bool,
    pub outputs: Vec<(String, Ty)>,
}

#[salsa::tracked(returns(ref))]
pub fn layer_interface<'db>(
    db: &'db dyn Db,
    workspace: Workspace,
    layer: LayerName<'db>,
) -> LayerInterface {
    let index = project_index(db, workspace);
    let Some(layer_ref) = index.layers.get(layer.name(db)) else {
        return LayerInterface::default();
    };
    let ItemKind::Layer(l) = &layer_ref.item(db).kind else {
        return LayerInterface::default();
    };
    let mut resolver = TypeResolver::new(db, index);
    let mut ignored = Vec::new();
    LayerInterface {
        repeated: l.repeat.is_some(),
        outputs: l
            .outputs
            .iter()
            .map(|o| {
                let ty = resolver.resolve(layer_ref.file, &o.ty, &mut ignored);
                (o.name.name.clone(), ty)
            })
            .collect(),
    }
}

/// Evaluates, type-checks and orders one environment.
#[salsa::tracked(returns(ref))]
pub fn env_model<'db>(db: &'db dyn Db, workspace: Workspace, env: EnvName<'db>) -> EnvModel {
    let index = project_index(db, workspace);
    let config = effective_config(db, workspace, env);
    let globals = env_globals(db, workspace, env);
    let mut model = EnvModel {
        env: config.env.clone(),
        chain: config.chain.clone(),
        project: globals.project.clone(),
        params: globals
            .params
            .iter()
            .filter_map(|(name, value)| Some((name.clone(), value.clone()?)))
            .collect(),
        ..Default::default()
    };
    let is_shared_env = env.name(db) == SHARED_ENV;
    // The shared layers' globals are the base values: what is wrong with them is reported, in
    // every environment, by the environments' own evaluation (a parameter without a default has
    // no value here, and needs none unless a shared layer reads it, which is E0306).
    let mut diagnostics = if is_shared_env {
        model.env = SHARED.to_string();
        Vec::new()
    } else {
        globals.diagnostics.clone()
    };
    let mut layers = Vec::new();
    let mut order_key: std::collections::HashMap<String, (usize, usize)> = Default::default();
    let file_order: HashMap<SourceFile, usize> = workspace
        .files(db)
        .iter()
        .enumerate()
        .map(|(i, f)| (*f, i))
        .collect();
    for (layer_name, layer_ref) in &index.layers {
        let evaluated = layer_eval(db, workspace, env, LayerName::new(db, layer_name.clone()));
        for layer in &evaluated.layers {
            order_key.insert(
                layer.name.clone(),
                (
                    file_order.get(&layer_ref.file).copied().unwrap_or(0),
                    layer_ref.idx,
                ),
            );
            layers.push(layer.clone());
        }
        model.modules.extend(
            evaluated
                .modules
                .iter()
                .map(|(name, source)| (name.clone(), source.clone())),
        );
        diagnostics.extend(evaluated.diagnostics.iter().cloned());
    }
    if !is_shared_env && crate::shared::has_shared_layers(db, index) {
        let shared = env_model(db, workspace, shared_env(db));
        diagnostics.extend(shared.diagnostics.iter().cloned());
        model.shared = Some(Arc::new(shared.clone()));
    }
    let mut eval = Eval::with_globals(db, workspace, env, index);
    // One bootstrap per state bucket: the shared layers' creates theirs, also when this
    // environment keeps its state in the same bucket.
    let bucket_is_shared = model.shared.as_ref().is_some_and(|shared| {
        shared.project.state_bucket == model.project.state_bucket
            && shared.project.state_region == model.project.state_region
    });
    if !bucket_is_shared {
        model.bootstrap = eval.bootstrap(&model.project);
    }
    diagnostics.append(&mut eval.diagnostics);
    if model.bootstrap.is_some() {
        model.modules.insert(
            "state_bootstrap".into(),
            ModuleSource {
                source: "stdlib/state_bootstrap".into(),
                version: None,
            },
        );
    }
    model.layers = crate::layers::order_layers(layers, &order_key, &mut diagnostics);
    model.diagnostics = diagnostics;
    model
}

/// Where names in an expression come from.
#[derive(Clone, Copy)]
struct Scope<'s> {
    layer: Option<&'s LayerCtx>,
    instance: Option<&'s str>,
    /// Inside a module input default: names are the instance's other inputs.
    inputs: Option<&'s str>,
    params: bool,
}

impl Scope<'_> {
    const PARAMS: Scope<'static> = Scope {
        layer: None,
        instance: None,
        inputs: None,
        params: true,
    };
}

struct LayerCtx {
    template: String,
    name: String,
    /// Instance name to module kind.
    instances: BTreeMap<String, String>,
    /// The repeated layer's key and value, then the layer's `let`s, in order.
    repeat: Vec<(String, Value)>,
    /// Repeated instances (`kind name(key) for ...`), read as `name[KEY].output`.
    repeated: BTreeSet<String>,
    /// Instances whose condition is false in this environment, with the condition's text.
    absent: BTreeMap<String, TextRange>,
}

struct Eval<'a> {
    db: &'a dyn Db,
    workspace: Workspace,
    index: &'a ProjectIndex,
    /// The environment's merged project and parameters (`None` once they are evaluated).
    config: Option<&'a EffectiveConfig>,
    /// The merged configuration of the layer being evaluated.
    layer_config: Option<&'a LayerConfig>,
    env: String,
    region: String,
    project_name: String,
    param_types: HashMap<String, Ty>,
    param_values: HashMap<String, Option<Value>>,
    param_stack: Vec<String>,
    modules: HashMap<String, Option<Rc<ModuleSig>>>,
    /// Evaluated inputs of the instance being built, for defaults that read other inputs.
    input_values: InputValues,
    input_stack: Vec<String>,
    /// How many expressions are being evaluated inside each other, through parameters and
    /// inputs too; held under `MAX_EVAL_DEPTH`.
    eval_depth: usize,
    current_inputs: Option<(Rc<ModuleSig>, Option<&'a Node>, String)>,
    /// Names bound by `for` expressions and repeated instances, innermost last.
    locals: Vec<(String, Value)>,
    /// The keys of each repeated instance of the layer being evaluated.
    instance_keys: HashMap<String, Vec<String>>,
    /// The names of `project.aliases`, which instances select with `provider = "NAME"`.
    aliases: Vec<String>,
    /// The project's providers by local name (`aws` included), for telling a resource type
    /// whose provider's schema is not cached from a mistyped module.
    providers: Vec<String>,
    /// The environment as a query key (`SHARED_ENV` for the shared layers).
    env_key: EnvName<'a>,
    /// The shared layer being evaluated: reading a value that differs between environments in
    /// it is E0306.
    shared_layer: Option<String>,
    diagnostics: Vec<Diagnostic>,
}

impl<'a> Eval<'a> {
    /// An evaluator that reads the environment's merged project and parameters from `config`,
    /// or, without one, only what is preloaded into it.
    fn reading(
        db: &'a dyn Db,
        workspace: Workspace,
        env_name: EnvName<'a>,
        index: &'a ProjectIndex,
        config: Option<&'a EffectiveConfig>,
    ) -> Self {
        Self {
            db,
            workspace,
            index,
            config,
            layer_config: None,
            env: match env_name.name(db).as_str() {
                SHARED_ENV => SHARED.to_string(),
                name => name.to_string(),
            },
            region: String::new(),
            project_name: String::new(),
            param_types: HashMap::default(),
            param_values: HashMap::default(),
            param_stack: Vec::new(),
            modules: HashMap::default(),
            input_values: InputValues::default(),
            input_stack: Vec::new(),
            eval_depth: 0,
            current_inputs: None,
            locals: Vec::new(),
            instance_keys: HashMap::default(),
            aliases: Vec::new(),
            providers: Vec::new(),
            env_key: env_name,
            shared_layer: None,
            diagnostics: Vec::new(),
        }
    }

    /// An evaluator that starts from the environment's evaluated globals, as every layer does.
    fn with_globals(
        db: &'a dyn Db,
        workspace: Workspace,
        env_name: EnvName<'a>,
        index: &'a ProjectIndex,
    ) -> Self {
        let globals = env_globals(db, workspace, env_name);
        // Every parameter is preloaded: the merged configuration is not read (an edit of the
        // environment's overrides that moves the parameters' spans does not reach the layers).
        let mut eval = Self::reading(db, workspace, env_name, index, None);
        eval.region = globals.project.region.clone();
        eval.project_name = globals.project.name.clone();
        eval.aliases = globals.project.aliases.keys().cloned().collect();
        eval.providers = globals.project.providers.keys().cloned().collect();
        eval.param_values = globals
            .params
            .iter()
            .map(|(name, value)| (name.clone(), value.clone()))
            .collect();
        eval
    }

    fn error(
        &mut self,
        code: Code,
        file: SourceFile,
        range: TextRange,
        message: impl Into<String>,
    ) -> &mut Diagnostic {
        self.diagnostics
            .push(Diagnostic::error(code, file, range, message));
        self.diagnostics.last_mut().expect("just pushed")
    }

    /// A module's interface, resolved once per evaluation and shared.
    fn module(&mut self, kind: &str) -> Option<Rc<ModuleSig>> {
        if let Some(sig) = self.modules.get(kind) {
            return sig.clone();
        }
        let sig = kind_sig(self.db, self.index, kind).map(Rc::new);
        self.modules.insert(kind.to_string(), sig.clone());
        sig
    }

    /// `project`'s settings in this environment: its merged fields typed and checked.
    fn project_settings(&mut self) -> ProjectSettings {
        let mut settings = ProjectSettings::default();
        let Some(project_ref) = self.index.project else {
            self.report_missing_project();
            return settings;
        };
        let ItemKind::Project(project) = &project_ref.item(self.db).kind else {
            return settings;
        };
        settings.name = project.name.name.clone();
        self.project_name = settings.name.clone();
        let file = project_ref.file;
        let at = project.name.range;
        let project_ty = SettingsTypes { file, at }.project();
        let Some(node) = self.config.and_then(|c| c.project.clone()) else {
            return settings;
        };
        let Some(Value::Record(value)) = self.eval_node_typed(&node, &project_ty, Scope::PARAMS)
        else {
            return settings;
        };
        settings.region = setting_text(value.get("region"));
        settings.terraform = setting_text(value.get("terraform"));
        settings.tags = setting_strings(value.get("tags"));
        settings.providers = self.providers(&node, value.get("providers"));
        if let Some(Value::Record(state)) = value.get("state") {
            self.state_settings(&mut settings, &node, state, file, at);
        }
        settings.account = self.account(&node, &["account"], value.get("account"));
        settings.assume_role = self.assume_role(&node, &["assume_role"], value.get("assume_role"));
        settings.protected = matches!(value.get("protected"), Some(Value::Bool(true)));
        settings.ci_role = self.ci_role(&node, value.get("ci_role"));
        if let Some(Value::Record(aliases)) = value.get("aliases") {
            settings.aliases = self.alias_targets(&node, aliases);
        }
        if let Some(Value::Record(layers)) = value.get("layers") {
            settings.layers = self.layer_targets(&node, layers);
        }
        settings
    }

    /// E0205 on the first environment when the project has no `project` item.
    fn report_missing_project(&mut self) {
        if let Some((_, env_ref)) = self.index.envs.iter().next() {
            let range = env_ref
                .item(self.db)
                .name()
                .map_or(TextRange::default(), |n| n.range);
            // Diagnostic: E0205 project-missing
            self.error(E0205, env_ref.file, range, "the project has no `project` item")
                .with_help_mut("add `project NAME { region = \"eu-west-1\", state = { bucket = \"...\" } }` to a file of the project");
        }
    }

    /// `project.state`: the backend's bucket, region, lock and role; `at` in `file` is the
    /// project's name, where a `state` that is not written is reported.
    fn state_settings(
        &mut self,
        settings: &mut ProjectSettings,
        node: &Node,
        state: &BTreeMap<String, Value>,
        file: SourceFile,
        at: TextRange,
    ) {
        settings.state_bucket = setting_text(state.get("bucket"));
        settings.state_region = setting_text(state.get("region"));
        if settings.state_region.is_empty() {
            settings.state_region = settings.region.clone();
        } else {
            self.check_region(node, &["state", "region"], &settings.state_region);
        }
        if setting_text(state.get("lock")) == "dynamodb" {
            let table = setting_text(state.get("dynamodb_table"));
            if table.is_empty() {
                let range = node.get(&["state".into()]).map_or(at, |n| n.def().range);
                let def_file = node.get(&["state".into()]).map_or(file, |n| n.def().file);
                // Diagnostic: E0403 missing-field
                self.error(
                    E0403,
                    def_file,
                    range,
                    "`state.lock = \"dynamodb\"` needs `state.dynamodb_table`",
                )
                .with_help_mut(
                    "name the lock table, or use the default S3 lock file (`lock = \"lockfile\"`)",
                );
            }
            settings.dynamodb_table = Some(table);
        }
        settings.state_assume_role =
            self.assume_role(node, &["state", "assume_role"], state.get("assume_role"));
    }

    /// `project.ci_role`, when set and a role's ARN.
    fn ci_role(&mut self, node: &Node, value: Option<&Value>) -> Option<String> {
        let ci_role = setting_text(value);
        if ci_role.is_empty() {
            return None;
        }
        if is_role_arn(&ci_role) {
            Some(ci_role)
        } else {
            self.not_a_role_arn(node, &["ci_role"], &ci_role);
            None
        }
    }

    /// `project.aliases`: the provider configurations whose names Terraform can take.
    fn alias_targets(
        &mut self,
        node: &Node,
        aliases: &BTreeMap<String, Value>,
    ) -> BTreeMap<String, TargetOverride> {
        let mut targets = BTreeMap::new();
        for (alias, target) in aliases {
            let path = ["aliases", alias.as_str()];
            if !is_alias_name(alias) {
                let (file, range) = key_span(node, &path);
                // Diagnostic: E0404 constraint-violation
                self.error(
                    E0404,
                    file,
                    range,
                    format!("\"{alias}\" cannot name a provider alias"),
                )
                .with_label_mut("becomes `aws.NAME` in Terraform")
                .with_help_mut(
                    "use letters, digits and `_`, starting with a letter, e.g. `us_east_1`",
                );
                continue;
            }
            let target = self.target_override(node, &path, target);
            targets.insert(alias.clone(), target);
        }
        targets
    }

    /// `project.layers`: the per-layer targets of the keys that name layers.
    fn layer_targets(
        &mut self,
        node: &Node,
        layers: &BTreeMap<String, Value>,
    ) -> BTreeMap<String, TargetOverride> {
        let mut targets = BTreeMap::new();
        for (layer, target) in layers {
            let path = ["layers", layer.as_str()];
            if !self.index.layers.contains_key(layer) {
                let (file, range) = key_span(node, &path);
                let help = did_you_mean(layer, self.index.layers.keys().map(String::as_str));
                // Diagnostic: E0201 unknown-name
                self.error(
                    E0201,
                    file,
                    range,
                    format!("`project.layers` names `{layer}`, which is not a layer"),
                )
                .with_label_mut("no such layer")
                .with_help_opt_mut(help.or_else(|| {
                    Some("the keys of `project.layers` are names of `layer` items".into())
                }));
                continue;
            }
            let target = self.target_override(node, &path, target);
            targets.insert(layer.clone(), target);
        }
        targets
    }

    /// `project.providers`: each entry is a version string or a record with the version, the
    /// source, the `provider` block's attributes and the module types that use it.
    fn providers(
        &mut self,
        node: &Node,
        value: Option<&Value>,
    ) -> BTreeMap<String, ProviderSettings> {
        let mut out = BTreeMap::new();
        let Some(Value::Record(entries)) = value else {
            return out;
        };
        let provider_ty = provider_type(node.def());
        for (name, entry) in entries {
            if let Some(provider) = self.provider(node, name, entry, &provider_ty) {
                out.insert(name.clone(), provider);
            }
        }
        out.entry("aws".to_string())
            .or_insert_with(|| ProviderSettings {
                source: "hashicorp/aws".into(),
                version: DEFAULT_AWS_VERSION.into(),
                ..Default::default()
            });
        out
    }

    /// One entry of `project.providers`; `None` when it is reported and left out.
    fn provider(
        &mut self,
        node: &Node,
        name: &str,
        entry: &Value,
        provider_ty: &Ty,
    ) -> Option<ProviderSettings> {
        let path = ["providers", name];
        if !is_alias_name(name) {
            let (file, range) = key_span(node, &path);
            // Diagnostic: E0404 constraint-violation
            self.error(
                E0404,
                file,
                range,
                format!("\"{name}\" cannot name a provider"),
            )
            .with_label_mut("a provider's local name is an identifier")
            .with_help_mut("use the provider's type name, e.g. `random` or `cloudflare`");
            return None;
        }
        let mut provider = ProviderSettings {
            source: format!("hashicorp/{name}"),
            ..Default::default()
        };
        match entry {
            Value::Str(version) => provider.version = version.clone(),
            Value::Record(_) => {
                let Some(Value::Record(typed)) = self.typed_at(node, &path, entry, provider_ty)
                else {
                    return None;
                };
                self.provider_record(node, name, &typed, &mut provider);
            }
            other => {
                let (file, range) = value_span(node, &path);
                // Diagnostic: E0401 type-mismatch
                self.error(
                    E0401,
                    file,
                    range,
                    format!(
                        "a provider is a version string or a record, found {}",
                        other.describe()
                    ),
                )
                .with_label_mut("expected a version or a record")
                .with_help_mut(format!(
                    "write `{name} = \"~> 3.6\"`, or `{name} = {{ version = \"~> 3.6\", config = {{ ... }}, modules = [\"MODULE\"] }}`"
                ));
                return None;
            }
        }
        self.check_provider_modules(node, name, &mut provider)
            .then_some(provider)
    }

    /// A provider written as a record, already typed: its version, source, attributes and
    /// modules into `provider`.
    fn provider_record(
        &mut self,
        node: &Node,
        name: &str,
        typed: &BTreeMap<String, Value>,
        provider: &mut ProviderSettings,
    ) {
        provider.version = typed
            .get("version")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        if let Some(source) = typed.get("source").and_then(Value::as_str) {
            if !source.is_empty() {
                provider.source = source.to_string();
            }
        }
        if let Some(Value::Record(config)) = typed.get("config") {
            for (key, value) in config {
                if is_alias_name(key) {
                    provider.config.insert(key.clone(), value.clone());
                } else {
                    let (file, range) = key_span(node, &["providers", name, "config", key]);
                    // Diagnostic: E0404 constraint-violation
                    self.error(
                        E0404,
                        file,
                        range,
                        format!("\"{key}\" cannot name an attribute of provider `{name}`"),
                    )
                    .with_label_mut("not an identifier");
                }
            }
        }
        if let Some(Value::List(modules)) = typed.get("modules") {
            provider.modules = modules
                .iter()
                .filter_map(|m| m.as_str().map(str::to_string))
                .collect();
        }
    }

    /// Checks a provider's `modules`: none for `aws` (cleared), at least one module for any
    /// other provider (`false` when there is none: the provider is left out).
    fn check_provider_modules(
        &mut self,
        node: &Node,
        name: &str,
        provider: &mut ProviderSettings,
    ) -> bool {
        let path = ["providers", name];
        if name == "aws" {
            if !provider.modules.is_empty() {
                let (file, range) = value_span(node, &[path[0], path[1], "modules"]);
                // Diagnostic: E0404 constraint-violation
                self.error(E0404, file, range, "`aws` is configured in every root module; `modules` is for other providers")
                    .with_label_mut("not for `aws`")
                    .with_help_mut("remove `modules`; select another AWS configuration per instance with `provider = \"ALIAS\"` and `project.aliases`");
                provider.modules.clear();
            }
        } else if provider.modules.is_empty()
            && !crate::schema::wanted_providers(self.db, self.index).contains(name)
        {
            let (file, range) = value_span(node, &path);
            // Diagnostic: E0403 missing-field
            self.error(
                E0403,
                file,
                range,
                format!("provider `{name}` names no module type that uses it"),
            )
            .with_label_mut("used by no root module")
            .with_help_mut(format!(
                "a provider other than `aws` goes only into the root modules that call a module using it, or that hold one of its resource types: write `{name} = {{ version = \"...\", modules = [\"MODULE\"] }}`"
            ));
            return false;
        } else {
            for module in &provider.modules {
                if !self.index.modules.contains_key(module) {
                    let (file, range) = value_span(node, &[path[0], path[1], "modules"]);
                    let help = did_you_mean(module, self.index.modules.keys().map(String::as_str));
                    // Diagnostic: E0203 unknown-module
                    self.error(
                        E0203,
                        file,
                        range,
                        format!("provider `{name}` lists `{module}`, which is not a module"),
                    )
                    .with_label_mut("not a module")
                    .with_help_opt_mut(help);
                }
            }
        }
        true
    }

    /// Checks a value of `project` at `path` against `ty` once more, at the span of the node
    /// that set it (the first check was against `any`).
    fn typed_at(&mut self, node: &Node, path: &[&str], value: &Value, ty: &Ty) -> Option<Value> {
        let path: Vec<String> = path.iter().map(|p| p.to_string()).collect();
        match node.get(&path) {
            Some(child) => self.eval_node_typed(child, ty, Scope::PARAMS),
            None => {
                let filled = self.fill_defaults(value.clone(), ty);
                match coerce(filled, ty, &mut |_| None) {
                    Ok(v) => Some(v),
                    Err(error) => {
                        let (file, range) =
                            value_span(node, &path.iter().map(String::as_str).collect::<Vec<_>>());
                        self.error(error.code, file, range, error.message)
                            .with_label_mut(format!("expected {ty}"))
                            .with_help_opt_mut(error.help);
                        None
                    }
                }
            }
        }
    }

    fn check_region(&mut self, node: &Node, path: &[&str], region: &str) -> bool {
        if crate::types::Pattern::Region.matches(region) {
            return true;
        }
        let (file, range) = value_span(node, path);
        // Diagnostic: E0404 constraint-violation
        self.error(
            E0404,
            file,
            range,
            format!("\"{region}\" is not an AWS region"),
        )
        .with_label_mut("expected a region")
        .with_help_mut("write a region such as \"eu-west-1\"");
        false
    }

    /// An account id of `project`: empty means none.
    fn account(&mut self, node: &Node, path: &[&str], value: Option<&Value>) -> Option<String> {
        let account = value.and_then(Value::as_str).unwrap_or_default();
        if account.is_empty() {
            return None;
        }
        if account.len() == 12 && account.chars().all(|c| c.is_ascii_digit()) {
            return Some(account.to_string());
        }
        let (file, range) = value_span(node, path);
        // Diagnostic: E0404 constraint-violation
        self.error(
            E0404,
            file,
            range,
            format!("\"{account}\" is not an AWS account id"),
        )
        .with_label_mut("expected 12 digits")
        .with_help_mut("an account id is 12 digits, quoted: \"111111111111\"");
        None
    }

    /// An `assume_role` record of `project`: an empty `role_arn` means no role.
    fn assume_role(
        &mut self,
        node: &Node,
        path: &[&str],
        value: Option<&Value>,
    ) -> Option<AssumeRole> {
        let Some(Value::Record(role)) = value else {
            return None;
        };
        let text = |key: &str| {
            role.get(key)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        let role_arn = text("role_arn");
        if role_arn.is_empty() {
            return None;
        }
        let sub = |key: &'static str| {
            let mut sub = path.to_vec();
            sub.push(key);
            sub
        };
        let mut ok = true;
        if !is_role_arn(&role_arn) {
            self.not_a_role_arn(node, &sub("role_arn"), &role_arn);
            ok = false;
        }
        // AWS's limits on AssumeRole's RoleSessionName and ExternalId.
        let session_name = text("session_name");
        let session_ok = |c: char| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c);
        let session_valid =
            (2..=64).contains(&session_name.len()) && session_name.chars().all(session_ok);
        if !session_name.is_empty() && !session_valid {
            let (file, range) = value_span(node, &sub("session_name"));
            // Diagnostic: E0404 constraint-violation
            self.error(
                E0404,
                file,
                range,
                format!("\"{session_name}\" is not a role session name"),
            )
            .with_label_mut("2 to 64 characters of letters, digits and _+=,.@-")
            .with_help_mut(
                "AWS refuses other session names when the role is assumed; e.g. \"infrac\"",
            );
            ok = false;
        }
        let external_id = text("external_id");
        let external_ok = |c: char| c.is_ascii_alphanumeric() || "_+=,.@:/-".contains(c);
        let external_valid =
            (2..=1224).contains(&external_id.len()) && external_id.chars().all(external_ok);
        if !external_id.is_empty() && !external_valid {
            let (file, range) = value_span(node, &sub("external_id"));
            // Diagnostic: E0404 constraint-violation
            self.error(
                E0404,
                file,
                range,
                format!("\"{external_id}\" is not an external id"),
            )
            .with_label_mut("2 to 1224 characters of letters, digits and _+=,.@:/-")
            .with_help_mut("AWS refuses other external ids when the role is assumed");
            ok = false;
        }
        let optional = |text: String| (!text.is_empty()).then_some(text);
        ok.then(|| AssumeRole {
            role_arn,
            session_name: optional(session_name),
            external_id: optional(external_id),
        })
    }

    fn not_a_role_arn(&mut self, node: &Node, path: &[&str], text: &str) {
        let (file, range) = value_span(node, path);
        // Diagnostic: E0404 constraint-violation
        self.error(
            E0404,
            file,
            range,
            format!("\"{text}\" is not the ARN of an IAM role"),
        )
        .with_label_mut("expected arn:aws:iam::ACCOUNT:role/NAME")
        .with_help_mut("write the role's ARN, e.g. \"arn:aws:iam::111111111111:role/deploy\"");
    }

    /// A region, account and role of `project.layers` or `project.aliases`; empty fields are
    /// inherited.
    fn target_override(&mut self, node: &Node, path: &[&str], value: &Value) -> TargetOverride {
        let Value::Record(fields) = value else {
            return TargetOverride::default();
        };
        let sub = |key: &'static str| {
            let mut sub = path.to_vec();
            sub.push(key);
            sub
        };
        let region = fields
            .get("region")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let region = (!region.is_empty() && self.check_region(node, &sub("region"), &region))
            .then_some(region);
        TargetOverride {
            region,
            account: self.account(node, &sub("account"), fields.get("account")),
            assume_role: self.assume_role(node, &sub("assume_role"), fields.get("assume_role")),
        }
    }

    fn param_type(&mut self, name: &str) -> Ty {
        if let Some(ty) = self.param_types.get(name) {
            return ty.clone();
        }
        let ty = match self
            .index
            .params
            .get(name)
            .map(|r| (r.file, &r.item(self.db).kind))
        {
            Some((file, ItemKind::Param(param))) => {
                let mut resolver = TypeResolver::new(self.db, self.index);
                let mut ignored = Vec::new();
                resolver.resolve(file, &param.ty, &mut ignored)
            }
            _ => Ty::Error,
        };
        self.param_types.insert(name.to_string(), ty.clone());
        ty
    }

    fn param_value(&mut self, name: &str) -> Option<Value> {
        if let Some(value) = self.param_values.get(name) {
            return value.clone();
        }
        let param_ref = *self.index.params.get(name)?;
        if self.param_stack.iter().any(|n| n == name) {
            let mut cycle = self.param_stack.clone();
            cycle.push(name.to_string());
            let range = param_ref
                .item(self.db)
                .name()
                .map_or(TextRange::default(), |n| n.range);
            // Diagnostic: E0406 evaluation-error
            self.error(
                E0406,
                param_ref.file,
                range,
                format!(
                    "parameters depend on each other in a cycle: {}",
                    cycle.join(" → ")
                ),
            )
            .with_label_mut("part of the cycle");
            self.param_values.insert(name.to_string(), None);
            return None;
        }
        if self.param_stack.len() >= MAX_NESTING {
            let range = param_ref
                .item(self.db)
                .name()
                .map_or(TextRange::default(), |n| n.range);
            // Diagnostic: E0105 nesting-too-deep
            self.error(
                E0105,
                param_ref.file,
                range,
                format!(
                    "nesting too deep: the value of `{name}` is read through more than {MAX_NESTING} other parameters"
                ),
            )
            .with_label_mut("too deep here")
            .with_help_mut("read fewer parameters through each other");
            self.param_values.insert(name.to_string(), None);
            return None;
        }
        let ty = self.param_type(name);
        let value = match self.config.and_then(|c| c.params.get(name)).cloned() {
            Some(node) => {
                self.param_stack.push(name.to_string());
                let value = self.eval_node_typed(&node, &ty, Scope::PARAMS);
                self.param_stack.pop();
                // Each parameter read may nest the values it reads: a value that is too deep
                // stops here, so that no later walk of it (type checks, emission) recurses deeper.
                match value {
                    Some(v) if nests_deeper_than(&v, MAX_NESTING) => {
                        let def = node.def().clone();
                        // Diagnostic: E0105 nesting-too-deep
                        self.error(
                            E0105,
                            def.file,
                            def.range,
                            format!(
                                "nesting too deep: the value of `{name}` has more than {MAX_NESTING} levels of lists and records"
                            ),
                        )
                        .with_label_mut("too deep here")
                        .with_help_mut("nest fewer values inside each other");
                        None
                    }
                    value => value,
                }
            }
            None => {
                let range = param_ref
                    .item(self.db)
                    .name()
                    .map_or(TextRange::default(), |n| n.range);
                let env = self.env.clone();
                // Diagnostic: E0403 missing-field
                self.error(
                    E0403,
                    param_ref.file,
                    range,
                    format!("parameter `{name}` has no value in environment `{env}`"),
                )
                .with_label_mut("no default")
                .with_help_mut(format!(
                    "give it a default, or set `{name} = ...` in env `{env}`"
                ));
                None
            }
        };
        if let Some(v) = &value {
            if v.is_runtime() {
                let def = self
                    .config
                    .and_then(|c| c.params.get(name))
                    .map(|n| n.def().clone());
                if let Some(def) = def {
                    // Diagnostic: E0405 run-time-value
                    self.error(E0405, def.file, def.range, format!("parameter `{name}` needs a compile-time value"))
                        .with_label_mut("known only when Terraform runs")
                        .with_help_mut("parameters configure the build; pass run-time values to module inputs instead");
                }
            }
        }
        self.param_values.insert(name.to_string(), value.clone());
        value
    }

    /// Evaluates a merged node against a type, reporting errors at the most precise span.
    fn eval_node_typed(&mut self, node: &Node, ty: &Ty, scope: Scope<'_>) -> Option<Value> {
        // Merged records nest like expressions, and share their depth.
        if self.eval_depth >= MAX_EVAL_DEPTH {
            let def = node.def().clone();
            // Diagnostic: E0105 nesting-too-deep
            self.error(
                E0105,
                def.file,
                def.range,
                format!(
                    "nesting too deep: evaluating this goes through more than {MAX_EVAL_DEPTH} levels of expressions, parameters and inputs"
                ),
            )
            .with_label_mut("too deep here")
            .with_help_mut("read fewer parameters or inputs through each other, or nest less");
            return None;
        }
        self.eval_depth += 1;
        let value = self.eval_node_nested(node, ty, scope);
        self.eval_depth -= 1;
        value
    }

    fn eval_node_nested(&mut self, node: &Node, ty: &Ty, scope: Scope<'_>) -> Option<Value> {
        match node {
            Node::Record { entries, def, .. } => match ty.resolved() {
                Ty::Record(fields) => {
                    let mut out = BTreeMap::new();
                    let mut ok = true;
                    for (key, slot) in entries {
                        if !fields.iter().any(|f| &f.name == key) {
                            let help = did_you_mean(key, fields.iter().map(|f| f.name.as_str()));
                            // Diagnostic: E0402 unknown-field
                            self.error(
                                E0402,
                                slot.key_file,
                                slot.key_range,
                                format!("unknown field `{key}` in {ty}"),
                            )
                            .with_label_mut("unknown field")
                            .with_help_opt_mut(help.or_else(|| {
                                Some(format!("the fields are: {}", field_list(fields)))
                            }));
                            ok = false;
                        }
                    }
                    for field in fields {
                        match entries.get(&field.name) {
                            Some(slot) => {
                                match self.eval_node_typed(&slot.node, &field.ty, scope) {
                                    Some(v) => {
                                        out.insert(field.name.clone(), v);
                                    }
                                    None => ok = false,
                                }
                            }
                            None => match self.field_default(field) {
                                Some(v) => {
                                    out.insert(field.name.clone(), v);
                                }
                                None => {
                                    // Diagnostic: E0403 missing-field
                                    self.error(
                                        E0403,
                                        def.file,
                                        def.range,
                                        format!(
                                            "missing field `{}` of type {}",
                                            field.name, field.ty
                                        ),
                                    )
                                    .with_label_mut(format!("`{}` is required here", field.name))
                                    .with_help_mut(format!("add `{} = ...`", field.name));
                                    ok = false;
                                }
                            },
                        }
                    }
                    ok.then_some(Value::Record(out))
                }
                Ty::Map(inner) => {
                    let mut out = BTreeMap::new();
                    let mut ok = true;
                    for (key, slot) in entries {
                        match self.eval_node_typed(&slot.node, inner, scope) {
                            Some(v) => {
                                out.insert(key.clone(), v);
                            }
                            None => ok = false,
                        }
                    }
                    ok.then_some(Value::Record(out))
                }
                Ty::Any | Ty::Error => {
                    let mut out = BTreeMap::new();
                    for (key, slot) in entries {
                        out.insert(
                            key.clone(),
                            self.eval_node_typed(&slot.node, &Ty::Any, scope)?,
                        );
                    }
                    Some(Value::Record(out))
                }
                _ => {
                    // Diagnostic: E0401 type-mismatch
                    self.error(
                        E0401,
                        def.file,
                        def.range,
                        format!("expected {ty}, found a record"),
                    )
                    .with_label_mut(format!("expected {ty}"));
                    None
                }
            },
            Node::Leaf {
                expr, def, appends, ..
            } => {
                let value = self.eval_expr(expr, def.file, scope)?;
                let mut value = self.check_value(value, ty, expr, def.file)?;
                // Each appended list is checked on its own, so an error points into its own literal.
                for (extra, extra_def) in appends {
                    let more = self.eval_expr(extra, extra_def.file, scope)?;
                    match (&mut value, more) {
                        (Value::List(items), more @ Value::List(_)) => {
                            match self.check_value(more, ty, extra, extra_def.file)? {
                                Value::List(more) => items.extend(more),
                                _ => return None,
                            }
                        }
                        (_, more) => {
                            // Diagnostic: E0401 type-mismatch
                            self.error(
                                E0401,
                                extra_def.file,
                                extra.range,
                                format!(
                                    "`+=` appends a list to a list, found {} and {}",
                                    value.describe(),
                                    more.describe()
                                ),
                            )
                            .with_label_mut("not a list append");
                            return None;
                        }
                    }
                }
                Some(value)
            }
        }
    }

    fn field_default(&mut self, field: &Field) -> Option<Value> {
        let (expr, file) = field.default.clone()?;
        let value = self.eval_expr(&expr, file, Scope::PARAMS)?;
        self.check_value(value, &field.ty, &expr, file)
    }

    /// Checks a value against a type and reports a failure at the sub-expression it comes from.
    fn check_value(
        &mut self,
        value: Value,
        ty: &Ty,
        expr: &Expr,
        file: SourceFile,
    ) -> Option<Value> {
        // Record defaults are expressions: evaluate them first, then check the whole value.
        let filled = self.fill_defaults(value, ty);
        match coerce(filled, ty, &mut |_| None) {
            Ok(v) => Some(v),
            Err(error) => {
                let range = locate(expr, &error.path).unwrap_or(expr.range);
                let at = if error.path.is_empty() {
                    String::new()
                } else {
                    format!(" (at `{}`)", error.path.join("."))
                };
                // A resource's nested blocks make types too long for a label.
                let label = if error.code == E0402 {
                    "unknown field".to_string()
                } else {
                    format!("expected {}", ty.brief())
                };
                self.error(error.code, file, range, format!("{}{at}", error.message))
                    .with_label_mut(label)
                    .with_help_opt_mut(error.help);
                None
            }
        }
    }

    /// Adds default values of record fields that a compile-time value leaves out.
    fn fill_defaults(&mut self, value: Value, ty: &Ty) -> Value {
        match (ty.resolved(), value) {
            (Ty::Record(fields), Value::Record(mut entries)) => {
                for field in fields {
                    match entries.remove(&field.name) {
                        Some(v) => {
                            let v = self.fill_defaults(v, &field.ty);
                            entries.insert(field.name.clone(), v);
                        }
                        None => {
                            if let Some(v) = self.field_default(field) {
                                entries.insert(field.name.clone(), v);
                            }
                        }
                    }
                }
                Value::Record(entries)
            }
            (Ty::List(inner), Value::List(items)) => Value::List(
                items
                    .into_iter()
                    .map(|v| self.fill_defaults(v, inner))
                    .collect(),
            ),
            (Ty::Map(inner), Value::Record(entries)) => Value::Record(
                entries
                    .into_iter()
                    .map(|(k, v)| (k, self.fill_defaults(v, inner)))
                    .collect(),
            ),
            (_, value) => value,
        }
    }

    fn eval_expr(&mut self, expr: &Expr, file: SourceFile, scope: Scope<'_>) -> Option<Value> {
        // One expression is at most `MAX_NESTING` deep, but reading a parameter or an input
        // evaluates its expression inside this one: the evaluation's depth is held here.
        if self.eval_depth >= MAX_EVAL_DEPTH {
            // Diagnostic: E0105 nesting-too-deep
            self.error(
                E0105,
                file,
                expr.range,
                format!(
                    "nesting too deep: evaluating this goes through more than {MAX_EVAL_DEPTH} levels of expressions, parameters and inputs"
                ),
            )
            .with_label_mut("too deep here")
            .with_help_mut("read fewer parameters or inputs through each other, or nest less");
            return None;
        }
        self.eval_depth += 1;
        let value = crate::syntax::grow(|| self.eval_expr_nested(expr, file, scope));
        self.eval_depth -= 1;
        value
    }

    /// One expression, one function per kind of expression; every recursion goes back through
    /// `eval_expr`, which holds the depth.
    fn eval_expr_nested(
        &mut self,
        expr: &Expr,
        file: SourceFile,
        scope: Scope<'_>,
    ) -> Option<Value> {
        match &expr.kind {
            ExprKind::Missing => None,
            ExprKind::Null => Some(Value::Null),
            ExprKind::Bool(b) => Some(Value::Bool(*b)),
            ExprKind::Int(n) => Some(Value::Int(*n)),
            ExprKind::Float(f) => Some(Value::Float(*f)),
            ExprKind::Str(parts) => self.eval_template(parts, file, scope),
            ExprKind::List(items) => self.eval_list(items, file, scope),
            ExprKind::Record(entries) => self.eval_record(entries, file, scope),
            ExprKind::Ref(segments) => self.resolve_ref(segments, expr.range, file, scope),
            ExprKind::Index(base, key) => self.eval_index(expr, base, key, file, scope),
            ExprKind::Unary(op, operand) => self.eval_unary(expr, *op, operand, file, scope),
            ExprKind::Binary(op, lhs, rhs) => self.eval_binary(expr, *op, lhs, rhs, file, scope),
            ExprKind::Attr(base, name) => {
                if let Some(value) = self.repeated_instance_output(base, name, file, scope) {
                    return value;
                }
                let value = self.eval_expr(base, file, scope)?;
                self.field_access(value, std::slice::from_ref(name), file)
            }
            ExprKind::Call(call) => self.call(&call.name, &call.args, expr.range, file, scope),
            ExprKind::For(comprehension) => self.comprehension(comprehension, file, scope),
            ExprKind::Cond(cond, then, otherwise) => {
                self.eval_conditional(cond, then, otherwise, file, scope)
            }
        }
    }

    /// A string: its text, or a template when an interpolation is known only at run time.
    fn eval_template(
        &mut self,
        parts: &[StrPart],
        file: SourceFile,
        scope: Scope<'_>,
    ) -> Option<Value> {
        // A string without interpolations is its text.
        if let [StrPart::Text(text)] = parts {
            return Some(Value::Str(text.clone()));
        }
        let mut out: Vec<TemplatePart> = Vec::new();
        for part in parts {
            match part {
                StrPart::Text(text) => push_template_text(&mut out, text),
                StrPart::Interp(inner) => self.interpolate(&mut out, inner, file, scope)?,
            }
        }
        if out.iter().all(|p| matches!(p, TemplatePart::Text(_))) {
            Some(Value::Str(
                out.into_iter()
                    .map(|p| {
                        if let TemplatePart::Text(t) = p {
                            t
                        } else {
                            String::new()
                        }
                    })
                    .collect(),
            ))
        } else {
            Some(Value::Template(out))
        }
    }

    /// Appends the value of `${inner}` to a template; `None` once reported.
    fn interpolate(
        &mut self,
        out: &mut Vec<TemplatePart>,
        inner: &Expr,
        file: SourceFile,
        scope: Scope<'_>,
    ) -> Option<()> {
        match self.eval_expr(inner, file, scope)? {
            Value::Str(s) => push_template_text(out, s),
            Value::Int(n) => push_template_text(out, n.to_string()),
            Value::Float(f) => push_template_text(out, f.0.to_string()),
            Value::Bool(b) => push_template_text(out, b.to_string()),
            Value::Rt(_, ty) if ty.contains_secret() => {
                // Diagnostic: E0408 secret-literal
                self.error(
                    E0408,
                    file,
                    inner.range,
                    "a secret cannot be interpolated into a string",
                )
                .with_label_mut("a secret")
                .with_help_mut(
                    "pass the reference itself to an input declared `secret`; a \
                     string built from it would no longer be marked sensitive",
                );
                return None;
            }
            Value::Rt(rt, _) => out.push(TemplatePart::Rt(*rt)),
            Value::Template(more) => {
                for p in more {
                    match p {
                        TemplatePart::Text(t) => push_template_text(out, t),
                        rt => out.push(rt),
                    }
                }
            }
            other => {
                // Diagnostic: E0401 type-mismatch
                self.error(
                    E0401,
                    file,
                    inner.range,
                    format!("cannot interpolate {} into a string", other.describe()),
                )
                .with_label_mut("not a string, number or bool");
                return None;
            }
        }
        Some(())
    }

    /// `[a, b, ...]`: every item is evaluated, so that each error is reported.
    fn eval_list(&mut self, items: &[Expr], file: SourceFile, scope: Scope<'_>) -> Option<Value> {
        let mut out = Vec::with_capacity(items.len());
        let mut ok = true;
        for item in items {
            match self.eval_expr(item, file, scope) {
                Some(v) => out.push(v),
                None => ok = false,
            }
        }
        ok.then_some(Value::List(out))
    }

    /// `{ key = value, ... }`: every entry is evaluated, so that each error is reported.
    fn eval_record(
        &mut self,
        entries: &[crate::syntax::RecordEntry],
        file: SourceFile,
        scope: Scope<'_>,
    ) -> Option<Value> {
        let mut out = BTreeMap::new();
        let mut ok = true;
        for entry in entries {
            match self.eval_expr(&entry.value, file, scope) {
                Some(v) => {
                    out.insert(entry.key.name.clone(), v);
                }
                None => ok = false,
            }
        }
        ok.then_some(Value::Record(out))
    }

    /// `base[key]`: Terraform's index of a run-time map or list, or the item now.
    fn eval_index(
        &mut self,
        expr: &Expr,
        base: &Expr,
        key: &Expr,
        file: SourceFile,
        scope: Scope<'_>,
    ) -> Option<Value> {
        let base_value = self.eval_expr(base, file, scope)?;
        let key_value = self.eval_expr(key, file, scope)?;
        // A run-time map or list read at a compile-time key: Terraform indexes it.
        if let Some(element) = runtime_index_element(&base_value, &key_value) {
            return Some(Value::Rt(
                Box::new(Rt::Index {
                    base: base_value,
                    key: key_value,
                }),
                Box::new(element),
            ));
        }
        if base_value.is_runtime() || key_value.is_runtime() {
            self.runtime_error(file, expr.range, "index");
            return None;
        }
        self.index_value(expr, key, &base_value, &key_value, file)
    }

    /// The item of a compile-time list or record at a compile-time key; `None` once reported.
    fn index_value(
        &mut self,
        expr: &Expr,
        key: &Expr,
        base_value: &Value,
        key_value: &Value,
        file: SourceFile,
    ) -> Option<Value> {
        match (base_value, key_value) {
            (Value::List(items), Value::Int(n)) => {
                let found = usize::try_from(*n).ok().and_then(|n| items.get(n)).cloned();
                if found.is_none() {
                    // Diagnostic: E0406 evaluation-error
                    self.error(
                        E0406,
                        file,
                        key.range,
                        format!(
                            "index {n} is out of range for a list of {} item(s)",
                            items.len()
                        ),
                    )
                    .with_label_mut("out of range");
                }
                found
            }
            (Value::Record(entries), Value::Str(k)) => {
                let found = entries.get(k).cloned();
                if found.is_none() {
                    let help = did_you_mean(k, entries.keys().map(String::as_str));
                    // Diagnostic: E0406 evaluation-error
                    self.error(
                        E0406,
                        file,
                        key.range,
                        format!("no key \"{k}\" in this record"),
                    )
                    .with_label_mut("no such key")
                    .with_help_opt_mut(help);
                }
                found
            }
            _ => {
                // Diagnostic: E0401 type-mismatch
                self.error(
                    E0401,
                    file,
                    expr.range,
                    format!(
                        "cannot index {} with {}",
                        base_value.describe(),
                        key_value.describe()
                    ),
                )
                .with_label_mut("lists take an int, records a string");
                None
            }
        }
    }

    /// `!operand` and `-operand`.
    fn eval_unary(
        &mut self,
        expr: &Expr,
        op: UnaryOp,
        operand: &Expr,
        file: SourceFile,
        scope: Scope<'_>,
    ) -> Option<Value> {
        let value = self.eval_expr(operand, file, scope)?;
        match (op, value) {
            (UnaryOp::Not, Value::Bool(b)) => Some(Value::Bool(!b)),
            (UnaryOp::Neg, Value::Int(n)) => match n.checked_neg() {
                Some(negated) => Some(Value::Int(negated)),
                None => {
                    // Diagnostic: E0406 evaluation-error
                    self.error(
                        E0406,
                        file,
                        expr.range,
                        format!("integer overflow: -({n}) does not fit in a 64-bit integer"),
                    )
                    .with_label_mut("`-` cannot be applied here")
                    .with_help_mut(
                        "64-bit integers go from -9223372036854775808 to 9223372036854775807",
                    );
                    None
                }
            },
            (UnaryOp::Neg, Value::Float(f)) => Some(Value::Float((-f.0).into())),
            (_, v) if v.is_runtime() => {
                self.runtime_error(file, expr.range, "operator");
                None
            }
            (op, v) => {
                let want = if op == UnaryOp::Not {
                    "a bool"
                } else {
                    "a number"
                };
                // Diagnostic: E0401 type-mismatch
                self.error(
                    E0401,
                    file,
                    operand.range,
                    format!("expected {want}, found {}", v.describe()),
                )
                .with_label_mut(format!("expected {want}"));
                None
            }
        }
    }

    /// `lhs op rhs`; `&&` and `||` do not evaluate `rhs` when `lhs` decides.
    fn eval_binary(
        &mut self,
        expr: &Expr,
        op: BinOp,
        lhs: &Expr,
        rhs: &Expr,
        file: SourceFile,
        scope: Scope<'_>,
    ) -> Option<Value> {
        let left = self.eval_expr(lhs, file, scope)?;
        if op == BinOp::And && left == Value::Bool(false) {
            return Some(Value::Bool(false));
        }
        if op == BinOp::Or && left == Value::Bool(true) {
            return Some(Value::Bool(true));
        }
        let right = self.eval_expr(rhs, file, scope)?;
        if left.is_runtime() || right.is_runtime() {
            self.runtime_error(file, expr.range, "operator");
            return None;
        }
        match binary(op, &left, &right) {
            Ok(v) => Some(v),
            Err(message) => {
                let help = if message.starts_with("integer overflow") {
                    Some(
                        "64-bit integers go from -9223372036854775808 to 9223372036854775807"
                            .to_string(),
                    )
                } else if message.starts_with("float overflow") {
                    Some(
                        "the result is infinite or not a number, which Terraform cannot hold"
                            .to_string(),
                    )
                } else {
                    None
                };
                // Diagnostic: E0406 evaluation-error
                self.error(E0406, file, expr.range, message)
                    .with_label_mut(format!("`{}` cannot be applied here", op.symbol()))
                    .with_help_opt_mut(help);
                None
            }
        }
    }

    /// `cond ? then : otherwise`: only the chosen branch is evaluated.
    fn eval_conditional(
        &mut self,
        cond: &Expr,
        then: &Expr,
        otherwise: &Expr,
        file: SourceFile,
        scope: Scope<'_>,
    ) -> Option<Value> {
        match self.eval_expr(cond, file, scope)? {
            Value::Bool(true) => self.eval_expr(then, file, scope),
            Value::Bool(false) => self.eval_expr(otherwise, file, scope),
            v if v.is_runtime() => {
                self.runtime_error(file, cond.range, "condition");
                None
            }
            v => {
                // Diagnostic: E0401 type-mismatch
                self.error(
                    E0401,
                    file,
                    cond.range,
                    format!("a condition must be a bool, found {}", v.describe()),
                )
                .with_label_mut("expected bool");
                None
            }
        }
    }

    /// `name[KEY].output` of a repeated instance of the current layer; `None` when `base` is
    /// not an index into one (the caller evaluates it as usual).
    fn repeated_instance_output(
        &mut self,
        base: &Expr,
        output: &Ident,
        file: SourceFile,
        scope: Scope<'_>,
    ) -> Option<Option<Value>> {
        let ExprKind::Index(target, key) = &base.kind else {
            return None;
        };
        let ExprKind::Ref(path) = &target.kind else {
            return None;
        };
        let [name] = path.as_slice() else {
            return None;
        };
        let layer = scope.layer?;
        if self.locals.iter().any(|(n, _)| *n == name.name) {
            return None;
        }
        let is_layer = !layer.instances.contains_key(&name.name)
            && !layer.repeat.iter().any(|(n, _)| *n == name.name)
            && self.index.layers.contains_key(&name.name);
        if is_layer {
            let key_text = self.key_text(key, file, scope)?;
            return Some(key_text.and_then(|key| {
                self.layer_output_keyed(layer, name, Some(key), std::slice::from_ref(output), file)
            }));
        }
        if !layer.repeated.contains(&name.name) {
            return None;
        }
        let kind = layer.instances.get(&name.name)?.clone();
        if !self.instance_present(layer, name, file) {
            return Some(None);
        }
        let Some(key_text) = self.key_text(key, file, scope)? else {
            return Some(None);
        };
        if let Some(keys) = self.instance_keys.get(&name.name).cloned() {
            if !keys.contains(&key_text) {
                let help = did_you_mean(&key_text, keys.iter().map(String::as_str));
                // Diagnostic: E0406 evaluation-error
                self.error(
                    E0406,
                    file,
                    key.range,
                    format!(
                        "`{}` has no instance \"{key_text}\" in env `{}`",
                        name.name, self.env
                    ),
                )
                .with_label_mut("no such key")
                .with_help_opt_mut(
                    help.or_else(|| Some(format!("its keys are: {}", keys.join(", ")))),
                );
                return Some(None);
            }
        }
        Some(self.instance_output(
            kind,
            &name.name,
            Some(key_text),
            std::slice::from_ref(output),
            base.range,
            file,
        ))
    }

    /// The key of `name[KEY]` for a repeated instance or layer: `Some(None)` after a diagnostic.
    fn key_text(
        &mut self,
        key: &Expr,
        file: SourceFile,
        scope: Scope<'_>,
    ) -> Option<Option<String>> {
        Some(match self.eval_expr(key, file, scope) {
            Some(Value::Str(k)) => Some(k),
            Some(other) if other.is_runtime() => {
                self.runtime_error(file, key.range, "key");
                None
            }
            Some(other) => {
                // Diagnostic: E0401 type-mismatch
                self.error(
                    E0401,
                    file,
                    key.range,
                    format!("a key is a string, found {}", other.describe()),
                )
                .with_label_mut("not a key");
                None
            }
            None => None,
        })
    }

    /// A repeated instance or layer as a `for` expression's collection: each key with a record
    /// of the outputs of that key's instance.
    fn repeated_collection(
        &mut self,
        expr: &Expr,
        file: SourceFile,
        scope: Scope<'_>,
    ) -> Option<Vec<(Value, Value)>> {
        let ExprKind::Ref(path) = &expr.kind else {
            return None;
        };
        let [name] = path.as_slice() else {
            return None;
        };
        let layer = scope.layer?;
        if self.locals.iter().any(|(n, _)| *n == name.name) {
            return None;
        }
        if layer.repeated.contains(&name.name) && !layer.absent.contains_key(&name.name) {
            let kind = layer.instances.get(&name.name)?.clone();
            let sig = self.module(&kind)?;
            let keys = self
                .instance_keys
                .get(&name.name)
                .cloned()
                .unwrap_or_default();
            return Some(
                keys.into_iter()
                    .map(|key| {
                        let outputs = sig
                            .outputs
                            .iter()
                            .map(|o| {
                                let rt = Rt::ModuleOutput {
                                    instance: name.name.clone(),
                                    key: Some(key.clone()),
                                    output: o.name.clone(),
                                    resource: sig.resource_address(),
                                };
                                (
                                    o.name.clone(),
                                    Value::Rt(Box::new(rt), Box::new(o.ty.clone())),
                                )
                            })
                            .collect();
                        (Value::Str(key), Value::Record(outputs))
                    })
                    .collect(),
            );
        }
        if layer.instances.contains_key(&name.name)
            || layer.repeat.iter().any(|(n, _)| *n == name.name)
            || name.name == layer.template
            || !self.index.layers.contains_key(&name.name)
        {
            return None;
        }
        let interface = layer_interface(
            self.db,
            self.workspace,
            LayerName::new(self.db, name.name.clone()),
        );
        if !interface.repeated {
            return None;
        }
        if !self.shared_read_ok(&name.name, file, name.range) {
            return Some(Vec::new());
        }
        let keys = self.layer_keys(&name.name);
        Some(
            keys.into_iter()
                .map(|key| {
                    let outputs = interface
                        .outputs
                        .iter()
                        .map(|(output, ty)| {
                            let rt = Rt::LayerOutput {
                                layer: format!("{}-{key}", name.name),
                                output: output.clone(),
                            };
                            (
                                output.clone(),
                                Value::Rt(Box::new(rt), Box::new(ty.clone())),
                            )
                        })
                        .collect();
                    (Value::Str(key), Value::Record(outputs))
                })
                .collect(),
        )
    }

    /// A function call: evaluated now on compile-time arguments, else the same call in the
    /// emitted Terraform.
    fn call(
        &mut self,
        name: &Ident,
        args: &[Expr],
        range: TextRange,
        file: SourceFile,
        scope: Scope<'_>,
    ) -> Option<Value> {
        let Some(sig) = crate::functions::signature(&name.name) else {
            let help = did_you_mean(
                &name.name,
                crate::functions::FUNCTIONS.iter().map(|f| f.name),
            );
            // Diagnostic: E0201 unknown-name
            self.error(
                E0201,
                file,
                name.range,
                format!("unknown function `{}`", name.name),
            )
            .with_label_mut("not a function")
            .with_help_opt_mut(help.or_else(|| {
                Some("the functions are listed in docs/language.md (Functions)".into())
            }));
            return None;
        };
        if let Err(failure) = crate::functions::check_arity(sig, args.len()) {
            // Diagnostic: E0401 type-mismatch
            self.error(E0401, file, range, failure.message)
                .with_label_mut("wrong number of arguments")
                .with_help_opt_mut(failure.help);
            return None;
        }
        let mut values = Vec::with_capacity(args.len());
        let mut ok = true;
        for arg in args {
            match self.eval_expr(arg, file, scope) {
                Some(v) => values.push(v),
                None => ok = false,
            }
        }
        if !ok {
            return None;
        }
        if let Some(at) = values.iter().position(Value::holds_secret) {
            // Diagnostic: E0408 secret-literal
            self.error(
                E0408,
                file,
                args[at].range,
                format!("a secret cannot be passed to `{}`", sig.name),
            )
            .with_label_mut("a secret")
            .with_help_mut("pass the reference itself to an input declared `secret`; a value computed from it would no longer be marked sensitive");
            return None;
        }
        if values.iter().any(Value::is_runtime) || !sig.evaluated_by_compiler(&values) {
            return Some(Value::Rt(
                Box::new(Rt::Call {
                    function: sig.name.to_string(),
                    args: values,
                }),
                Box::new(sig.result_type()),
            ));
        }
        match crate::functions::call_const(sig.name, &values, self.db, self.workspace) {
            Ok(value) => Some(value),
            Err(failure) => {
                // Diagnostic: E0406 evaluation-error
                self.error(E0406, file, range, failure.message)
                    .with_label_mut(format!("`{}` fails here", sig.name))
                    .with_help_opt_mut(failure.help);
                None
            }
        }
    }

    /// `[for k, v in coll: value if cond]` and `{for k, v in coll: key => value if cond}`, over a
    /// compile-time list or map.
    fn comprehension(
        &mut self,
        f: &crate::syntax::ForExpr,
        file: SourceFile,
        scope: Scope<'_>,
    ) -> Option<Value> {
        let collection = self.comprehension_collection(f, file, scope)?;
        // A run-time collection: Terraform's own `for` expression.
        if matches!(collection, Value::Rt(..) | Value::Template(_)) {
            return self.runtime_comprehension(f, file, scope, collection);
        }
        let items = self.comprehension_items(f, collection, file)?;
        let mut list = Vec::new();
        let mut record = BTreeMap::new();
        let depth = self.locals.len();
        let mut ok = true;
        for (key, value) in items {
            self.locals.truncate(depth);
            if let Some(key_var) = &f.key_var {
                self.locals.push((key_var.name.clone(), key));
            }
            self.locals.push((f.value_var.name.clone(), value));
            if let Some(condition) = &f.condition {
                match self.comprehension_condition(condition, file, scope) {
                    Some(true) => {}
                    Some(false) => continue,
                    None => {
                        ok = false;
                        break;
                    }
                }
            }
            let Some(item) = self.eval_expr(&f.value, file, scope) else {
                ok = false;
                break;
            };
            match &f.key {
                None => list.push(item),
                Some(key_expr) => {
                    if !self.comprehension_entry(key_expr, item, &mut record, file, scope) {
                        ok = false;
                        break;
                    }
                }
            }
        }
        self.locals.truncate(depth);
        if !ok {
            return None;
        }
        Some(if f.key.is_some() {
            Value::Record(record)
        } else {
            Value::List(list)
        })
    }

    /// What a `for` expression goes over: a repeated instance or layer as a map by key, or the
    /// value of its expression; `None` once reported.
    fn comprehension_collection(
        &mut self,
        f: &crate::syntax::ForExpr,
        file: SourceFile,
        scope: Scope<'_>,
    ) -> Option<Value> {
        Some(match self.repeated_collection(&f.collection, file, scope) {
            Some(items) => Value::Record(
                items
                    .into_iter()
                    .map(|(k, v)| (k.as_str().unwrap_or_default().to_string(), v))
                    .collect(),
            ),
            None => self.eval_expr(&f.collection, file, scope)?,
        })
    }

    /// A compile-time collection as (key, value) pairs: a list's indexes or a map's keys;
    /// `None` once reported.
    fn comprehension_items(
        &mut self,
        f: &crate::syntax::ForExpr,
        collection: Value,
        file: SourceFile,
    ) -> Option<Vec<(Value, Value)>> {
        match collection {
            Value::List(items) => Some(
                items
                    .into_iter()
                    .enumerate()
                    .map(|(i, v)| (Value::Int(i as i64), v))
                    .collect(),
            ),
            Value::Record(entries) => Some(
                entries
                    .into_iter()
                    .map(|(k, v)| (Value::Str(k), v))
                    .collect(),
            ),
            other => {
                // Diagnostic: E0401 type-mismatch
                self.error(
                    E0401,
                    file,
                    f.collection.range,
                    format!(
                        "a `for` expression goes over a list or a map, found {}",
                        other.describe()
                    ),
                )
                .with_label_mut("not a list or map");
                None
            }
        }
    }

    /// The `if` of a `for` expression for the current item: whether to keep it; `None` once
    /// reported.
    fn comprehension_condition(
        &mut self,
        condition: &Expr,
        file: SourceFile,
        scope: Scope<'_>,
    ) -> Option<bool> {
        match self.eval_expr(condition, file, scope)? {
            Value::Bool(keep) => Some(keep),
            other => {
                if other.is_runtime() {
                    self.runtime_error(file, condition.range, "condition");
                } else {
                    // Diagnostic: E0401 type-mismatch
                    self.error(
                        E0401,
                        file,
                        condition.range,
                        format!("a condition must be a bool, found {}", other.describe()),
                    )
                    .with_label_mut("expected bool");
                }
                None
            }
        }
    }

    /// Adds `item` to a map comprehension's `record` under the value of `key_expr`; `false`
    /// once reported (a key that is not a string, or a duplicate key).
    fn comprehension_entry(
        &mut self,
        key_expr: &Expr,
        item: Value,
        record: &mut BTreeMap<String, Value>,
        file: SourceFile,
        scope: Scope<'_>,
    ) -> bool {
        let key = match self.eval_expr(key_expr, file, scope) {
            Some(Value::Str(k)) => k,
            Some(Value::Int(n)) => n.to_string(),
            Some(other) => {
                if other.is_runtime() {
                    self.runtime_error(file, key_expr.range, "map key");
                } else {
                    // Diagnostic: E0401 type-mismatch
                    self.error(
                        E0401,
                        file,
                        key_expr.range,
                        format!("a map key is a string, found {}", other.describe()),
                    )
                    .with_label_mut("not a string");
                }
                return false;
            }
            None => return false,
        };
        if record.insert(key.clone(), item).is_some() {
            // Diagnostic: E0406 evaluation-error
            self.error(
                E0406,
                file,
                key_expr.range,
                format!("the key \"{key}\" comes out twice"),
            )
            .with_label_mut("duplicate key")
            .with_help_mut("the keys of a map comprehension must be distinct");
            return false;
        }
        true
    }

    fn runtime_error(&mut self, file: SourceFile, range: TextRange, what: &str) {
        // Diagnostic: E0405 run-time-value
        self.error(E0405, file, range, format!("this {what} needs compile-time values, but a value here is only known when Terraform runs"))
            .with_label_mut("run-time value")
            .with_help_mut("module outputs and cross-layer references can be passed on, interpolated into strings, or put in lists and records, but not computed with");
    }

    fn resolve_ref(
        &mut self,
        segments: &[Ident],
        range: TextRange,
        file: SourceFile,
        scope: Scope<'_>,
    ) -> Option<Value> {
        let head = &segments[0];
        let rest = &segments[1..];
        let name = head.name.as_str();
        if name == "*" {
            // Diagnostic: E0201 unknown-name
            self.error(
                E0201,
                file,
                head.range,
                "`*` is only allowed in policy paths",
            )
            .with_label_mut("wildcard");
            return None;
        }
        if let Some((_, value)) = self.locals.iter().rev().find(|(n, _)| n == name) {
            return self.field_access(value.clone(), rest, file);
        }
        if let Some(instance) = scope.inputs {
            if let Some(value) = self.input_value(name, instance, file, head.range) {
                return self.field_access(value, rest, file);
            }
        }
        if let Some(layer) = scope.layer {
            if let Some(kind) = layer.instances.get(name) {
                if !self.instance_present(layer, head, file) {
                    return None;
                }
                if layer.repeated.contains(name) {
                    // Diagnostic: E0401 type-mismatch
                    self.error(
                        E0401,
                        file,
                        range,
                        format!("`{name}` is a repeated instance: read one of its instances"),
                    )
                    .with_label_mut("one instance per key")
                    .with_help_mut(format!(
                        "write `{name}[KEY].OUTPUT`, or `[for k in KEYS: {name}[k].OUTPUT]`"
                    ));
                    return None;
                }
                let reported = self.diagnostics.len();
                let value = self.instance_output(kind.clone(), name, None, rest, range, file);
                self.note_shadowing(
                    reported,
                    name,
                    &format!("instance `{name}`"),
                    &layer.template,
                );
                return value;
            }
            if let Some((_, value)) = layer.repeat.iter().find(|(n, _)| n == name) {
                let reported = self.diagnostics.len();
                let value = self.field_access(value.clone(), rest, file);
                let what = format!("`{name}`, bound by repeated layer `{}`,", layer.template);
                self.note_shadowing(reported, name, &what, &layer.template);
                return value;
            }
            if self.index.layers.contains_key(name) {
                return self.layer_output(layer, head, rest, file);
            }
        }
        if scope.params && self.index.params.contains_key(name) {
            if !self.shared_param_ok(name, file, head.range) {
                return None;
            }
            let value = self.param_value(name)?;
            return self.field_access(value, rest, file);
        }
        // A module's input defaults are the module's, not the layer's: there `env` is `shared`,
        // as it is in the project's fields (`${project}-${env}-${instance}` names).
        if name == "env" && scope.inputs.is_none() {
            if let Some(layer) = self.shared_layer.clone() {
                let envs: Vec<String> = self.index.envs.keys().cloned().collect();
                let diagnostic =
                    crate::shared::env_builtin_diagnostic(&layer, &envs, file, head.range);
                self.diagnostics.push(diagnostic);
                return None;
            }
        }
        let builtin = match name {
            "env" => Some(self.env.clone()),
            "project" => Some(self.project_name.clone()),
            "region" => Some(self.region.clone()),
            "layer" => scope.layer.map(|l| l.name.clone()),
            "instance" => scope.instance.map(str::to_string),
            _ => None,
        };
        if let Some(text) = builtin {
            return self.field_access(Value::Str(text), rest, file);
        }
        let mut candidates: Vec<String> = vec!["env".into(), "project".into(), "region".into()];
        if scope.params {
            candidates.extend(self.index.params.keys().cloned());
        }
        if let Some(layer) = scope.layer {
            candidates.extend(layer.instances.keys().cloned());
            candidates.extend(layer.repeat.iter().map(|(n, _)| n.clone()));
            candidates.extend(self.index.layers.keys().cloned());
        }
        if let Some((sig, _, _)) = &self.current_inputs {
            candidates.extend(sig.inputs.iter().map(|i| i.name.clone()));
        }
        let foreign = scope.layer.and_then(|_| {
            self.index.layers.iter().find_map(|(layer, layer_ref)| {
                let ItemKind::Layer(l) = &layer_ref.item(self.db).kind else {
                    return None;
                };
                l.instances
                    .iter()
                    .any(|i| i.name.name == *name)
                    .then(|| layer.clone())
            })
        });
        let help = match foreign {
            Some(layer) => Some(format!("`{name}` is an instance of layer `{layer}`: declare an `output` there and read it as `{layer}.OUTPUT`")),
            None => did_you_mean(name, candidates.iter().map(String::as_str)),
        };
        let code = if help
            .as_deref()
            .is_some_and(|h| h.contains("declare an `output`"))
        {
            E0504
        } else {
            E0201
        };
        // Diagnostic: E0201 unknown-name
        // Diagnostic: E0504 foreign-instance
        self.error(code, file, head.range, format!("unknown name `{name}`"))
            .with_label_mut("not found in this scope")
            .with_help_opt_mut(help);
        None
    }

    /// When a reference through `name` failed (diagnostics from `reported` on) and `name` hides a
    /// parameter or a layer, says so: the user most likely meant the hidden one.
    fn note_shadowing(&mut self, reported: usize, name: &str, what: &str, layer: &str) {
        let hidden = if self.index.params.contains_key(name) {
            "parameter"
        } else if name != layer && self.index.layers.contains_key(name) {
            "layer"
        } else {
            return;
        };
        let Some(diagnostic) = self.diagnostics.get_mut(reported) else {
            return;
        };
        diagnostic.message.push_str(&format!(
            " (`{name}` here is {}, which shadows {hidden} `{name}`)",
            what.trim_end_matches(',')
        ));
        let help = format!(
            "inside layer `{layer}`, {what} hides {hidden} `{name}`: rename it to read the {hidden}"
        );
        diagnostic.help = Some(match diagnostic.help.take() {
            Some(old) => format!("{help}; {old}"),
            None => help,
        });
    }

    fn field_access(
        &mut self,
        mut value: Value,
        rest: &[Ident],
        file: SourceFile,
    ) -> Option<Value> {
        for segment in rest {
            value = match value {
                Value::Record(mut entries) => match entries.remove(&segment.name) {
                    Some(v) => v,
                    None => {
                        let help = did_you_mean(&segment.name, entries.keys().map(String::as_str));
                        // Diagnostic: E0402 unknown-field
                        self.error(
                            E0402,
                            file,
                            segment.range,
                            format!("no field `{}` here", segment.name),
                        )
                        .with_label_mut("unknown field")
                        .with_help_opt_mut(help);
                        return None;
                    }
                },
                Value::Rt(rt, ty) => self.runtime_field(Value::Rt(rt, ty), segment, file)?,
                other if other.is_runtime() => {
                    self.runtime_error(file, segment.range, "field access");
                    return None;
                }
                other => {
                    // Diagnostic: E0401 type-mismatch
                    self.error(
                        E0401,
                        file,
                        segment.range,
                        format!("{} has no fields", other.describe()),
                    )
                    .with_label_mut("not a record");
                    return None;
                }
            };
        }
        Some(value)
    }

    /// `value.field` of a run-time record or map (a loop variable of a run-time `for`, an output
    /// of record type): Terraform reads the field, typed by the record's declaration.
    fn runtime_field(&mut self, value: Value, segment: &Ident, file: SourceFile) -> Option<Value> {
        let Value::Rt(_, ty) = &value else {
            return Some(value);
        };
        let field_ty = match ty.resolved() {
            Ty::Any | Ty::Error => Ty::Any,
            Ty::Map(inner) => (**inner).clone(),
            Ty::Record(fields) => match fields.iter().find(|f| f.name == segment.name) {
                Some(field) => field.ty.clone(),
                None => {
                    let help = did_you_mean(&segment.name, fields.iter().map(|f| f.name.as_str()));
                    // Diagnostic: E0402 unknown-field
                    self.error(
                        E0402,
                        file,
                        segment.range,
                        format!("no field `{}` in a run-time {ty}", segment.name),
                    )
                    .with_label_mut("unknown field")
                    .with_help_opt_mut(help);
                    return None;
                }
            },
            other => {
                // Diagnostic: E0401 type-mismatch
                self.error(
                    E0401,
                    file,
                    segment.range,
                    format!("a run-time {other} has no fields"),
                )
                .with_label_mut("not a record");
                return None;
            }
        };
        Some(Value::Rt(
            Box::new(Rt::Index {
                base: value,
                key: Value::Str(segment.name.clone()),
            }),
            Box::new(field_ty),
        ))
    }

    /// Whether an instance of the layer exists in this environment; a diagnostic when its
    /// condition left it out.
    fn instance_present(&mut self, layer: &LayerCtx, name: &Ident, file: SourceFile) -> bool {
        let Some(condition) = layer.absent.get(&name.name) else {
            return true;
        };
        // Diagnostic: E0201 unknown-name
        self.error(
            E0201,
            file,
            name.range,
            format!(
                "instance `{}` does not exist in env `{}`: its condition is false",
                name.name, self.env
            ),
        )
        .with_label_mut("absent in this environment")
        .with_secondary_mut(file, *condition, "this condition is false")
        .with_help_mut("give the reader the same condition (`... if COND`), or choose a value with `COND ? ... : ...`");
        false
    }

    fn instance_output(
        &mut self,
        kind: String,
        instance: &str,
        key: Option<String>,
        rest: &[Ident],
        range: TextRange,
        file: SourceFile,
    ) -> Option<Value> {
        let sig = self.module(&kind)?;
        let Some(output_ident) = rest.first() else {
            let outputs: Vec<&str> = sig.outputs.iter().map(|o| o.name.as_str()).collect();
            // Diagnostic: E0401 type-mismatch
            self.error(
                E0401,
                file,
                range,
                format!("instance `{instance}` is not a value"),
            )
            .with_label_mut("an instance")
            .with_help_mut(format!("use one of its outputs: {}", outputs.join(", ")));
            return None;
        };
        let Some(output) = sig.outputs.iter().find(|o| o.name == output_ident.name) else {
            let help = did_you_mean(
                &output_ident.name,
                sig.outputs.iter().map(|o| o.name.as_str()),
            );
            // Diagnostic: E0201 unknown-name
            self.error(
                E0201,
                file,
                output_ident.range,
                format!(
                    "{} has no {} `{}`",
                    sig.what(),
                    sig.member("output"),
                    output_ident.name
                ),
            )
            .with_label_mut(format!("unknown {}", sig.member("output")))
            .with_help_opt_mut(help.or_else(|| {
                Some(format!(
                    "its outputs are: {}",
                    sig.outputs
                        .iter()
                        .map(|o| o.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
            }));
            return None;
        };
        if rest.len() > 1 {
            self.runtime_error(file, rest[1].range, "field access");
            return None;
        }
        Some(Value::Rt(
            Box::new(Rt::ModuleOutput {
                instance: instance.to_string(),
                key,
                output: output.name.clone(),
                resource: sig.resource_address(),
            }),
            Box::new(output.ty.clone()),
        ))
    }

    /// Whether layer `name` exists in this environment (its condition holds), and for a
    /// repeated layer, whether it has `key`; a diagnostic when not.
    fn layer_present(&mut self, name: &Ident, key: Option<&str>, file: SourceFile) -> bool {
        if !self.index.layers.contains_key(&name.name) {
            return true;
        }
        let presence = self.presence(&name.name);
        if !presence.present {
            // Diagnostic: E0201 unknown-name
            self.error(
                E0201,
                file,
                name.range,
                format!(
                    "layer `{}` does not exist in env `{}`: its condition is false",
                    name.name, self.env
                ),
            )
            .with_label_mut("absent in this environment")
            .with_help_mut("give the reader the same condition (`... if COND`), or choose a value with `COND ? ... : ...`");
            return false;
        }
        if let Some(key) = key {
            if !presence.keys.iter().any(|k| k == key) {
                let help = did_you_mean(key, presence.keys.iter().map(String::as_str));
                // Diagnostic: E0406 evaluation-error
                self.error(
                    E0406,
                    file,
                    name.range,
                    format!(
                        "layer `{}` has no instance \"{key}\" in env `{}`",
                        name.name, self.env
                    ),
                )
                .with_label_mut("no such key")
                .with_help_opt_mut(
                    help.or_else(|| Some(format!("its keys are: {}", presence.keys.join(", ")))),
                );
                return false;
            }
        }
        true
    }

    /// In a shared layer, E0306 when `name` is a parameter that some environment changes.
    fn shared_param_ok(&mut self, name: &str, file: SourceFile, range: TextRange) -> bool {
        let Some(layer) = &self.shared_layer else {
            return true;
        };
        let Some(reason) = env_specific_params(self.db, self.workspace).get(name) else {
            return true;
        };
        let diagnostic = crate::shared::param_diagnostic(layer, name, reason, file, range);
        self.diagnostics.push(diagnostic);
        false
    }

    /// In a shared layer, E0306 when `layer` is not shared: each environment has its own.
    fn shared_read_ok(&mut self, layer: &str, file: SourceFile, range: TextRange) -> bool {
        let Some(current) = &self.shared_layer else {
            return true;
        };
        if is_shared(self.db, self.index, layer) {
            return true;
        }
        // Diagnostic: E0306 shared-layer-env-value
        let message = format!(
            "shared layer `{current}` reads layer `{layer}`, which each environment has its own of"
        );
        self.error(E0306, file, range, message)
            .with_label_mut("not a shared layer")
            .with_help_mut(format!(
                "a shared layer reads only shared layers: declare `shared layer {layer}`, or move what it needs into a shared layer"
            ));
        false
    }

    /// `layer_presence` of a layer in this evaluator's environment.
    fn presence(&self, layer: &str) -> LayerPresence {
        layer_presence(
            self.db,
            self.workspace,
            self.env_key,
            LayerName::new(self.db, layer.to_string()),
        )
        .clone()
    }

    /// The keys a repeated layer has in this environment.
    fn layer_keys(&mut self, name: &str) -> Vec<String> {
        self.presence(name).keys
    }

    fn layer_output(
        &mut self,
        current: &LayerCtx,
        head: &Ident,
        rest: &[Ident],
        file: SourceFile,
    ) -> Option<Value> {
        self.layer_output_keyed(current, head, None, rest, file)
    }

    /// `layer.output`, or `layer["key"].output` of one instance of a repeated layer.
    fn layer_output_keyed(
        &mut self,
        current: &LayerCtx,
        head: &Ident,
        key: Option<String>,
        rest: &[Ident],
        file: SourceFile,
    ) -> Option<Value> {
        if head.name == current.template {
            // Diagnostic: E0201 unknown-name
            self.error(
                E0201,
                file,
                head.range,
                "a layer reads its own instances directly, not through its outputs",
            )
            .with_label_mut("this layer")
            .with_help_mut("use `INSTANCE.OUTPUT`");
            return None;
        }
        if !self.shared_read_ok(&head.name, file, head.range) {
            return None;
        }
        let interface = layer_interface(
            self.db,
            self.workspace,
            LayerName::new(self.db, head.name.clone()),
        );
        if interface.repeated && key.is_none() {
            // Diagnostic: E0401 type-mismatch
            self.error(
                E0401,
                file,
                head.range,
                format!(
                    "layer `{}` is repeated: read one of its instances",
                    head.name
                ),
            )
            .with_label_mut("one layer per key")
            .with_help_mut(format!(
                "write `{0}[KEY].OUTPUT`, or `{{for k, l in {0}: k => l.OUTPUT}}` for every key",
                head.name
            ));
            return None;
        }
        if !interface.repeated && key.is_some() {
            // Diagnostic: E0401 type-mismatch
            self.error(
                E0401,
                file,
                head.range,
                format!("layer `{}` is not repeated and has no keys", head.name),
            )
            .with_label_mut("not a repeated layer")
            .with_help_mut(format!("write `{}.OUTPUT`", head.name));
            return None;
        }
        if !self.layer_present(head, key.as_deref(), file) {
            return None;
        }
        let Some(output_ident) = rest.first() else {
            // Diagnostic: E0401 type-mismatch
            self.error(
                E0401,
                file,
                head.range,
                format!("layer `{}` is not a value", head.name),
            )
            .with_label_mut("a layer")
            .with_help_mut(format!(
                "read one of its outputs: {}",
                interface
                    .outputs
                    .iter()
                    .map(|(name, _)| name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
            return None;
        };
        let Some((output, ty)) = interface
            .outputs
            .iter()
            .find(|(name, _)| *name == output_ident.name)
        else {
            let help = did_you_mean(
                &output_ident.name,
                interface.outputs.iter().map(|(name, _)| name.as_str()),
            );
            // Diagnostic: E0502 unknown-layer-output
            self.error(
                E0502,
                file,
                output_ident.range,
                format!(
                    "layer `{}` has no output `{}`",
                    head.name, output_ident.name
                ),
            )
            .with_label_mut("not an output of that layer")
            .with_help_opt_mut(help.or_else(|| {
                Some(format!(
                    "declare it in layer `{}`: `output {}: TYPE = ...`",
                    head.name, output_ident.name
                ))
            }));
            return None;
        };
        if rest.len() > 1 {
            self.runtime_error(file, rest[1].range, "field access");
            return None;
        }
        let layer = match &key {
            Some(key) => format!("{}-{key}", head.name),
            None => head.name.clone(),
        };
        Some(Value::Rt(
            Box::new(Rt::LayerOutput {
                layer,
                output: output.clone(),
            }),
            Box::new(ty.clone()),
        ))
    }

    /// The value of another input of the instance being built, for late-bound defaults.
    fn input_value(
        &mut self,
        name: &str,
        instance: &str,
        file: SourceFile,
        range: TextRange,
    ) -> Option<Value> {
        let k = self.evaluate_input(name, instance, file, range)?;
        self.input_values.get(k).cloned().flatten()
    }

    /// Evaluates the input `name` of the instance being built into `input_values`, unless it is
    /// there already; its position in the interface.
    fn evaluate_input(
        &mut self,
        name: &str,
        instance: &str,
        file: SourceFile,
        range: TextRange,
    ) -> Option<usize> {
        let (sig, node) = match &self.current_inputs {
            Some((sig, node, _)) => (sig.clone(), *node),
            None => return None,
        };
        let k = sig.inputs.iter().position(|i| i.name == name)?;
        let input = &sig.inputs[k];
        if self.input_values.get(k).is_some() {
            return Some(k);
        }
        if self.input_stack.iter().any(|n| n == name) {
            let mut cycle = self.input_stack.clone();
            cycle.push(name.to_string());
            // Diagnostic: E0406 evaluation-error
            self.error(
                E0406,
                file,
                range,
                format!(
                    "defaults of `{}` depend on each other in a cycle: {}",
                    sig.name,
                    cycle.join(" → ")
                ),
            )
            .with_label_mut("part of the cycle");
            self.input_values.set(k, None);
            return Some(k);
        }
        if self.input_stack.len() >= MAX_NESTING {
            // Diagnostic: E0105 nesting-too-deep
            self.error(
                E0105,
                file,
                range,
                format!(
                    "nesting too deep: the defaults of `{}` read more than {MAX_NESTING} other inputs through each other",
                    sig.name
                ),
            )
            .with_label_mut("too deep here")
            .with_help_mut("read fewer inputs through each other");
            self.input_values.set(k, None);
            return Some(k);
        }
        self.input_stack.push(name.to_string());
        let explicit = node.and_then(|n| n.child(&input.name));
        let value = match explicit {
            Some(child) => {
                // Explicit values were evaluated in the layer's scope already.
                self.input_values.get(k).cloned().flatten().or_else(|| {
                    let scope = Scope {
                        layer: None,
                        instance: Some(instance),
                        inputs: None,
                        params: true,
                    };
                    self.eval_node_typed(child, &input.ty, scope)
                })
            }
            None => match &input.default {
                Some(default) => {
                    let scope = Scope {
                        layer: None,
                        instance: Some(instance),
                        inputs: Some(instance),
                        params: false,
                    };
                    // A module's defaults see its inputs, never the caller's `for` variables.
                    let caller_locals = std::mem::take(&mut self.locals);
                    let value = self.eval_expr(default, sig.file, scope);
                    self.locals = caller_locals;
                    value.and_then(|v| self.check_value(v, &input.ty, default, sig.file))
                }
                None => None,
            },
        };
        self.input_stack.pop();
        self.input_values.set(k, value);
        Some(k)
    }

    /// The models of a layer in this environment: none when its condition is false, one per
    /// key when it is repeated.
    fn layer(&mut self, layer_name: &str, item: &Item, file: SourceFile) -> Vec<LayerModel> {
        let ItemKind::Layer(layer) = &item.kind else {
            return Vec::new();
        };
        if let Some(condition) = &layer.condition {
            if self.condition(condition, file, Scope::PARAMS) != Some(true) {
                return Vec::new();
            }
        }
        let Some(expansions) = self.layer_expansions(layer_name, layer, file) else {
            return Vec::new();
        };
        let instance_kinds = self.instance_kinds(layer_name, layer, file);
        let repeated: BTreeSet<String> = layer
            .instances
            .iter()
            .filter(|i| i.repeat.is_some())
            .map(|i| i.name.name.clone())
            .collect();
        let mut out = Vec::new();
        for (expanded_name, bindings) in expansions {
            let ctx = LayerCtx {
                template: layer_name.to_string(),
                name: expanded_name,
                instances: instance_kinds.clone(),
                repeat: bindings,
                repeated: repeated.clone(),
                absent: BTreeMap::new(),
            };
            out.push(self.expanded_layer(ctx, item, layer, file));
        }
        out
    }

    /// The layer's names and bindings: itself with none, or for a repeated layer one
    /// `NAME-KEY` per key with its key (and value) bound; `None` when the layer is left out (a
    /// shared layer repeated over a parameter that differs between environments).
    fn layer_expansions(
        &mut self,
        layer_name: &str,
        layer: &crate::syntax::Layer,
        file: SourceFile,
    ) -> Option<Vec<LayerExpansion>> {
        let Some(repeat) = &layer.repeat else {
            return Some(vec![(layer_name.to_string(), Vec::new())]);
        };
        let mut expansions = Vec::new();
        for (key, value) in self.layer_repeat_keys(repeat, file)? {
            if key.is_empty()
                || !key
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            {
                // Diagnostic: E0404 constraint-violation
                self.error(
                    E0404,
                    file,
                    repeat.over.range,
                    format!("\"{key}\" cannot name a layer"),
                )
                .with_label_mut("layer keys become directory names")
                .with_help_mut("use letters, digits, `-` and `_`");
                continue;
            }
            let mut bindings = vec![(repeat.key.name.clone(), Value::Str(key.clone()))];
            if let Some(value_name) = &repeat.value {
                bindings.push((value_name.name.clone(), value));
            }
            expansions.push((format!("{layer_name}-{key}"), bindings));
        }
        Some(expansions)
    }

    /// The keys and values of the parameter a repeated layer goes over; `None` when a shared
    /// layer goes over a parameter that differs between environments (E0306).
    fn layer_repeat_keys(
        &mut self,
        repeat: &crate::syntax::LayerRepeat,
        file: SourceFile,
    ) -> Option<Vec<(String, Value)>> {
        let over = if self.index.params.contains_key(&repeat.over.name) {
            if !self.shared_param_ok(&repeat.over.name, file, repeat.over.range) {
                return None;
            }
            self.param_value(&repeat.over.name)
        } else {
            let help = did_you_mean(
                &repeat.over.name,
                self.index.params.keys().map(String::as_str),
            );
            // Diagnostic: E0201 unknown-name
            self.error(
                E0201,
                file,
                repeat.over.range,
                format!("unknown parameter `{}`", repeat.over.name),
            )
            .with_label_mut("a layer repeats over a parameter")
            .with_help_opt_mut(help);
            None
        };
        Some(match over {
            Some(Value::List(items)) => items
                .into_iter()
                .map(|v| (v.as_str().unwrap_or_default().to_string(), v))
                .collect(),
            Some(Value::Record(entries)) => entries.into_iter().collect(),
            Some(other) => {
                // Diagnostic: E0401 type-mismatch
                self.error(
                    E0401,
                    file,
                    repeat.over.range,
                    format!(
                        "a layer repeats over a list of strings or a map, found {}",
                        other.describe()
                    ),
                )
                .with_label_mut("not a list or map");
                Vec::new()
            }
            None => Vec::new(),
        })
    }

    /// The layer's instances by name, with their module kinds; a second instance of the same
    /// name is reported and left out.
    fn instance_kinds(
        &mut self,
        layer_name: &str,
        layer: &crate::syntax::Layer,
        file: SourceFile,
    ) -> BTreeMap<String, String> {
        let mut seen_instances: BTreeMap<String, TextRange> = BTreeMap::new();
        let mut instance_kinds = BTreeMap::new();
        for instance in &layer.instances {
            if let Some(first) = seen_instances.get(&instance.name.name) {
                // Diagnostic: E0202 duplicate-definition
                self.error(
                    E0202,
                    file,
                    instance.name.range,
                    format!(
                        "layer `{layer_name}` has two instances named `{}`",
                        instance.name.name
                    ),
                )
                .with_label_mut("second instance")
                .with_secondary_mut(file, *first, "first instance")
                .with_help_mut("instance names are unique in a layer");
                continue;
            }
            seen_instances.insert(instance.name.name.clone(), instance.name.range);
            instance_kinds.insert(
                instance.name.name.clone(),
                instance.kind_name().into_owned(),
            );
        }
        instance_kinds
    }

    /// One layer as deployed (the layer itself, or one key of a repeated layer): conditions
    /// and repetitions, `let`s, instances, outputs, then what it reads from other layers.
    fn expanded_layer(
        &mut self,
        mut ctx: LayerCtx,
        item: &Item,
        layer: &crate::syntax::Layer,
        file: SourceFile,
    ) -> LayerModel {
        // Conditions and repetitions first, so that any instance may read any other.
        let keys_of = self.instance_conditions(&mut ctx, layer, file);
        self.layer_lets(&mut ctx, layer, file);
        let ctx = ctx;
        let mut model = LayerModel {
            name: ctx.name.clone(),
            template: ctx.template.clone(),
            doc: item.doc.clone(),
            depends_on: Vec::new(),
            instances: Arc::from([]),
            outputs: Vec::new(),
            reads: Vec::new(),
            removed: Vec::new(),
            file,
            name_range: layer.name.range,
        };
        model.instances = self
            .layer_instances(&ctx, layer, keys_of, &mut model.removed, file)
            .into();
        model.outputs = self.layer_outputs(&ctx, layer, file);
        let reads = self.remote_reads(&model);
        model.depends_on = reads
            .iter()
            .map(|r| r.layer.clone())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        model.reads = reads.into_iter().collect();
        model
    }

    /// The instances' conditions (the absent ones go into `ctx.absent`) and the keys of the
    /// repeated ones, by instance name.
    fn instance_conditions(
        &mut self,
        ctx: &mut LayerCtx,
        layer: &crate::syntax::Layer,
        file: SourceFile,
    ) -> BTreeMap<String, Vec<(String, Value)>> {
        self.instance_keys.clear();
        let mut keys_of: BTreeMap<String, Vec<(String, Value)>> = BTreeMap::new();
        for instance in &layer.instances {
            let scope = Scope {
                layer: Some(&*ctx),
                instance: None,
                inputs: None,
                params: true,
            };
            if let Some(condition) = &instance.condition {
                if self.condition(condition, file, scope) != Some(true) {
                    ctx.absent
                        .insert(instance.name.name.clone(), condition.range);
                    continue;
                }
            }
            if let Some(repeat) = &instance.repeat {
                let over = self.eval_expr(&repeat.over, file, scope);
                let keys = self.repeat_keys(over, repeat.over.range, file, "an instance");
                self.instance_keys.insert(
                    instance.name.name.clone(),
                    keys.iter().map(|(k, _)| k.clone()).collect(),
                );
                keys_of.insert(instance.name.name.clone(), keys);
            }
        }
        keys_of
    }

    /// The layer's `let`s, in order, each seeing the ones before it, bound in `ctx.repeat`.
    fn layer_lets(&mut self, ctx: &mut LayerCtx, layer: &crate::syntax::Layer, file: SourceFile) {
        let mut seen_lets = BTreeSet::new();
        for named in &layer.lets {
            if !seen_lets.insert(named.name.name.clone()) {
                // Diagnostic: E0202 duplicate-definition
                self.error(
                    E0202,
                    file,
                    named.name.range,
                    format!("layer `{}` has two `let {}`", ctx.template, named.name.name),
                )
                .with_label_mut("second definition");
                continue;
            }
            let scope = Scope {
                layer: Some(&*ctx),
                instance: None,
                inputs: None,
                params: true,
            };
            if let Some(value) = self.eval_expr(&named.value, file, scope) {
                ctx.repeat.push((named.name.name.clone(), value));
            }
        }
    }

    /// The layer's instances present in this environment, built; removed instances go into
    /// `removed`.
    fn layer_instances(
        &mut self,
        ctx: &LayerCtx,
        layer: &crate::syntax::Layer,
        mut keys_of: BTreeMap<String, Vec<(String, Value)>>,
        removed: &mut Vec<String>,
        file: SourceFile,
    ) -> Vec<InstanceModel> {
        let mut instances = Vec::new();
        for instance in &layer.instances {
            if ctx.instances.get(&instance.name.name).map(String::as_str)
                != Some(&*instance.kind_name())
                || ctx.absent.contains_key(&instance.name.name)
            {
                continue;
            }
            if self.is_removed_kind(&instance.kind_name()) {
                if self.removed_instance(instance, file) {
                    removed.push(instance.name.name.clone());
                }
                continue;
            }
            let built = match &instance.repeat {
                Some(repeat) => {
                    let keys = keys_of.remove(&instance.name.name).unwrap_or_default();
                    self.repeated_instance(ctx, instance, repeat, &keys, file)
                }
                None => self.instance(ctx, instance, file),
            };
            if let Some(built) = built {
                instances.push(built);
            }
        }
        instances
    }

    /// The layer's outputs, typed; a second output of the same name is reported.
    fn layer_outputs(
        &mut self,
        ctx: &LayerCtx,
        layer: &crate::syntax::Layer,
        file: SourceFile,
    ) -> Vec<OutputModel> {
        let mut outputs = Vec::new();
        let mut seen_outputs = BTreeSet::new();
        for output in &layer.outputs {
            if !seen_outputs.insert(output.name.name.clone()) {
                // Diagnostic: E0202 duplicate-definition
                self.error(
                    E0202,
                    file,
                    output.name.range,
                    format!(
                        "layer `{}` declares output `{}` twice",
                        ctx.template, output.name.name
                    ),
                )
                .with_label_mut("second output");
                continue;
            }
            let mut resolver = TypeResolver::new(self.db, self.index);
            let ty = resolver.resolve(file, &output.ty, &mut self.diagnostics);
            let scope = Scope {
                layer: Some(ctx),
                instance: None,
                inputs: None,
                params: true,
            };
            if let Some(value) = self
                .eval_expr(&output.value, file, scope)
                .and_then(|v| self.check_value(v, &ty, &output.value, file))
            {
                outputs.push(OutputModel {
                    name: output.name.name.clone(),
                    ty,
                    value,
                    doc: output.doc.clone(),
                });
            }
        }
        outputs
    }

    /// The outputs of other layers that a layer's instance inputs and outputs read.
    fn remote_reads(&mut self, model: &LayerModel) -> BTreeSet<RemoteRead> {
        let mut reads = BTreeSet::new();
        let mut refs = Vec::new();
        for instance in model.instances.iter() {
            // A repeated instance's inputs that differ between keys are read too.
            let per_key = instance.for_each.iter().flatten().flat_map(|(_, i)| i);
            for (_, value) in instance.inputs.iter().chain(per_key) {
                value.runtime_refs(&mut refs);
            }
        }
        for output in &model.outputs {
            output.value.runtime_refs(&mut refs);
        }
        for rt in refs {
            if let Rt::LayerOutput { layer, output } = rt {
                let ty = self.layer_output_type(layer, output);
                reads.insert(RemoteRead {
                    layer: layer.clone(),
                    output: output.clone(),
                    ty: ty.terraform(),
                    sensitive: ty.contains_secret(),
                });
            }
        }
        reads
    }

    fn layer_output_type(&mut self, layer: &str, output: &str) -> Ty {
        // `client-ezra` is an instance of the repeated layer `client`.
        let template = layer.split('-').next().unwrap_or(layer);
        layer_interface(
            self.db,
            self.workspace,
            LayerName::new(self.db, template.to_string()),
        )
        .outputs
        .iter()
        .find(|(name, _)| name == output)
        .map_or(Ty::Any, |(_, ty)| ty.clone())
    }

    fn instance(
        &mut self,
        ctx: &LayerCtx,
        instance: &crate::syntax::Instance,
        file: SourceFile,
    ) -> Option<InstanceModel> {
        self.instance_labelled(ctx, instance, &instance.name.name, file)
    }

    /// An instance whose `instance` builtin is `label` (`data-logs` for the key `logs` of a
    /// repeated instance `data`).
    fn instance_labelled(
        &mut self,
        ctx: &LayerCtx,
        instance: &crate::syntax::Instance,
        label: &str,
        file: SourceFile,
    ) -> Option<InstanceModel> {
        let kind = &*instance.kind_name();
        let sig = self.instance_sig(instance, file)?;
        let node: Option<&'a Node> = self
            .layer_config
            .and_then(|config| config.instances.get(&instance.name.name));
        // `provider` selects the instance's AWS provider, unless the module has an input so named.
        let provider_attribute = !sig.inputs.iter().any(|i| i.name == PROVIDER_ATTRIBUTE);
        // `import` adopts existing resources, unless the module has an input so named (a
        // resource type's instance has no resources inside to name).
        let import_attribute =
            sig.resource.is_none() && !sig.inputs.iter().any(|i| i.name == IMPORT_ATTRIBUTE);
        self.input_values.reset(&sig, node);
        let mut ok = self.check_instance_keys(
            &instance.name.name,
            &sig,
            node,
            provider_attribute,
            import_attribute,
        );
        self.input_stack.clear();
        self.current_inputs = Some((sig.clone(), node, instance.name.name.clone()));
        // Explicit inputs first, in the layer's scope.
        ok &= self.explicit_inputs(ctx, kind, &sig, node, label);
        let mut set = Vec::with_capacity(sig.inputs.len());
        for k in 0..sig.inputs.len() {
            match self.instance_input(&sig, k, node, instance, label, file) {
                Some(true) => set.push(k),
                Some(false) => {}
                None => ok = false,
            }
        }
        self.current_inputs = None;
        // Every default has been evaluated: the values move out of `input_values`.
        let inputs = self.input_values.take_all(&sig, &set);
        ok &= self.check_ignore_changes(&sig, &inputs, node, file, instance.name.range);
        let mut provider = None;
        if let Some(child) = node
            .filter(|_| provider_attribute)
            .and_then(|n| n.child(PROVIDER_ATTRIBUTE))
        {
            match self.instance_provider(ctx, instance, child) {
                Some(alias) => provider = Some(alias),
                None => ok = false,
            }
        }
        let imports = match node.filter(|_| import_attribute) {
            Some(node) => self.imports(ctx, &instance.name.name, &sig, node),
            None => Some(Vec::new()),
        };
        ok &= imports.is_some();
        ok.then(|| InstanceModel {
            kind: kind.to_string(),
            name: instance.name.name.clone(),
            provider,
            inputs,
            for_each: None,
            imports: imports.unwrap_or_default(),
            doc: instance.doc.clone(),
            file,
            resource: sig.resource.clone(),
        })
    }

    /// `lifecycle.ignore_changes` of a resource-type instance names attributes of the type;
    /// `false` when one is not.
    fn check_ignore_changes(
        &mut self,
        sig: &ModuleSig,
        inputs: &[(String, Value)],
        node: Option<&Node>,
        file: SourceFile,
        at: TextRange,
    ) -> bool {
        let lifecycle = crate::schema::LIFECYCLE;
        let Some(resource) = &sig.resource else {
            return true;
        };
        let Some((_, Value::Record(fields))) = inputs.iter().find(|(n, _)| n == lifecycle) else {
            return true;
        };
        let Some(Value::List(names)) = fields.get("ignore_changes") else {
            return true;
        };
        let attributes = || {
            sig.inputs
                .iter()
                .map(|i| i.name.as_str())
                .filter(|n| *n != lifecycle)
        };
        let (file, range) = node
            .and_then(|n| n.child(lifecycle))
            .map_or((file, at), |n| (n.def().file, n.def().range));
        let mut ok = true;
        for name in names {
            let Value::Str(name) = name else { continue };
            if attributes().any(|a| a == name) {
                continue;
            }
            // Diagnostic: E0402 unknown-field
            self.error(
                E0402,
                file,
                range,
                format!(
                    "`ignore_changes` names `{name}`, which `{}` has no attribute of",
                    resource.type_name
                ),
            )
            .with_label_mut("unknown attribute")
            .with_help_opt_mut(did_you_mean(name, attributes()));
            ok = false;
        }
        ok
    }

    /// The interface of an instance's module; `None` when the module is unknown (reported) or
    /// its Terraform could not be read.
    fn instance_sig(
        &mut self,
        instance: &crate::syntax::Instance,
        file: SourceFile,
    ) -> Option<Rc<ModuleSig>> {
        let kind = &*instance.kind_name();
        let Some(sig) = self.module(kind) else {
            self.report_unknown_kind(instance, file);
            return None;
        };
        // A module whose Terraform could not be read has no interface to check against: its
        // E0206 stands for the instances too.
        let unreadable = self
            .index
            .module_dirs
            .get(kind)
            .is_some_and(|dir| dir.problem(self.db).is_some());
        if sig.derived && unreadable {
            return None;
        }
        Some(sig)
    }

    /// An instance whose kind is neither a module nor a resource type of a cached schema: E0203,
    /// or E0209 when it names a provider whose schema is not cached (or cannot be read).
    fn report_unknown_kind(&mut self, instance: &crate::syntax::Instance, file: SourceFile) {
        use crate::schema::Lookup;
        let kind = &*instance.kind_name();
        let module_help = did_you_mean(kind, self.index.modules.keys().map(String::as_str));
        let lookup = resource_lookup(self.db, self.index, kind);
        let provider = crate::schema::provider_of(kind.strip_prefix(DATA_PREFIX).unwrap_or(kind));
        let known_provider = provider == "aws" || self.providers.iter().any(|p| p == provider);
        match lookup {
            Lookup::NoSchema { provider } if known_provider => {
                let module = module_help
                    .map(|help| format!("; or, for a module, {help}"))
                    .unwrap_or_default();
                // Diagnostic: E0209 provider-schema-missing
                self.error(
                    E0209,
                    file,
                    instance.kind.range,
                    format!(
                        "`{kind}` is no module, and no schema of provider `{provider}` is cached"
                    ),
                )
                .with_label_mut("not a module; a resource type?")
                .with_help_mut(format!(
                    "run `infrac schema` in the project directory: it caches the schemas of the \
                     project's providers under `{}/` (commit them, so that checks run offline){module}",
                    crate::schema::SCHEMA_DIR
                ));
            }
            Lookup::Unreadable {
                file: cache,
                problem,
            } => {
                let path = cache.path(self.db).display().to_string();
                // Diagnostic: E0209 provider-schema-missing
                self.error(
                    E0209,
                    file,
                    instance.kind.range,
                    format!("the cached schema `{path}` cannot be read: {problem}"),
                )
                .with_label_mut("typed from that schema")
                .with_help_mut("run `infrac schema` again to write it anew");
            }
            Lookup::Unknown {
                provider,
                help,
                pruned,
            } => {
                let what = if kind.starts_with(DATA_PREFIX) {
                    "data source"
                } else {
                    "resource type"
                };
                // A pruned cache lacks most types: a close name in it is likely not the one.
                let prune_help = pruned.then(|| {
                    "the cached schema holds only the types the project used when \
                     `infrac schema --prune` wrote it: run it again"
                        .to_string()
                });
                // Diagnostic: E0203 unknown-module
                self.error(
                    E0203,
                    file,
                    instance.kind.range,
                    format!("`{kind}` is no module and no {what} of provider `{provider}`"),
                )
                .with_label_mut(format!("not a module or {what}"))
                .with_help_opt_mut(module_help.or(prune_help).or(help));
            }
            _ => {
                // Diagnostic: E0203 unknown-module
                self.error(
                    E0203,
                    file,
                    instance.kind.range,
                    format!("unknown module `{kind}`"),
                )
                .with_label_mut("not a module")
                .with_help_opt_mut(module_help.or_else(|| {
                    Some(
                        "declare it with `module NAME { ... }`, use a standard library module, \
                         or name a resource type of a provider (`aws_sns_topic`)"
                            .into(),
                    )
                }));
            }
        }
    }

    /// Checks that every key set on an instance is an input of its module (or its `provider`
    /// or `import` attribute); `false` when one is not.
    fn check_instance_keys(
        &mut self,
        instance: &str,
        sig: &ModuleSig,
        node: Option<&Node>,
        provider_attribute: bool,
        import_attribute: bool,
    ) -> bool {
        let mut ok = true;
        if let Some(Node::Record { entries, .. }) = node {
            if sig.resource.is_none()
                && self
                    .input_values
                    .sets_inputs_only(entries, provider_attribute, import_attribute)
            {
                return true;
            }
            for (key, slot) in entries {
                if (provider_attribute && key == PROVIDER_ATTRIBUTE)
                    || (import_attribute && key == IMPORT_ATTRIBUTE)
                {
                    continue;
                }
                if let Some(resource) = sig.resource.as_ref().filter(|r| r.computed.contains(key)) {
                    // Diagnostic: E0409 computed-attribute
                    self.error(
                        E0409,
                        slot.key_file,
                        slot.key_range,
                        format!(
                            "`{key}` of `{}` is computed by the provider; it cannot be set",
                            resource.type_name
                        ),
                    )
                    .with_label_mut("computed attribute")
                    .with_help_mut(format!(
                        "read it instead, as a run-time value: `{instance}.{key}`"
                    ));
                    ok = false;
                } else if !sig.inputs.iter().any(|i| &i.name == key) {
                    let help = did_you_mean(key, sig.inputs.iter().map(|i| i.name.as_str()));
                    // Diagnostic: E0402 unknown-field
                    self.error(
                        E0402,
                        slot.key_file,
                        slot.key_range,
                        format!("{} has no {} `{key}`", sig.what(), sig.member("input")),
                    )
                    .with_label_mut(format!("unknown {}", sig.member("input")))
                    .with_help_opt_mut(help);
                    ok = false;
                }
            }
        }
        ok
    }

    /// Evaluates the inputs the instance sets, in the layer's scope, into `input_values`;
    /// `false` when one fails.
    fn explicit_inputs(
        &mut self,
        ctx: &LayerCtx,
        kind: &str,
        sig: &ModuleSig,
        node: Option<&Node>,
        label: &str,
    ) -> bool {
        let mut ok = true;
        for (k, input) in sig.inputs.iter().enumerate() {
            let Some(child) = self.input_values.explicit(k, node) else {
                continue;
            };
            let scope = Scope {
                layer: Some(ctx),
                instance: Some(label),
                inputs: None,
                params: true,
            };
            let value = self.eval_node_typed(child, &input.ty, scope);
            if let (Some(v), true) = (&value, input.is_const) {
                if v.is_runtime() {
                    let def = child.def();
                    // Diagnostic: E0405 run-time-value
                    self.error(
                        E0405,
                        def.file,
                        def.range,
                        format!(
                            "input `{}` of `{kind}` needs a compile-time value",
                            input.name
                        ),
                    )
                    .with_label_mut("known only when Terraform runs")
                    .with_secondary_at_mut(sig.declared_at(input), "declared `const` here");
                }
            }
            ok &= value.is_some();
            self.input_values.set(k, value);
        }
        ok
    }

    /// Whether one input of an instance has a value, set or defaulted, in `input_values`:
    /// `Some(false)` when it is left unset (`null` or a failed default), `None` when it is
    /// missing or a required input is `null` (reported).
    fn instance_input(
        &mut self,
        sig: &ModuleSig,
        k: usize,
        node: Option<&Node>,
        instance: &crate::syntax::Instance,
        label: &str,
        file: SourceFile,
    ) -> Option<bool> {
        let input = &sig.inputs[k];
        match self.input_values.get(k) {
            Some(_) => {}
            None if input.default.is_some() => {
                self.evaluate_input(&input.name, label, file, instance.name.range);
            }
            None => {
                // Diagnostic: E0403 missing-field
                self.error(
                    E0403,
                    file,
                    instance.name.range,
                    format!(
                        "`{}` needs {} `{}` of type {}",
                        instance.name.name,
                        sig.member("input"),
                        input.name,
                        input.ty.brief()
                    ),
                )
                .with_label_mut(format!("missing `{}`", input.name))
                .with_secondary_at_mut(sig.declared_at(input), "declared here")
                .with_help_mut(format!("add `{} = ...` to the instance", input.name));
                return None;
            }
        }
        match self.input_values.get(k) {
            Some(Some(Value::Null)) if input.default.is_none() => {
                let at = self
                    .input_values
                    .explicit(k, node)
                    .map_or((file, instance.name.range), |n| {
                        (n.def().file, n.def().range)
                    });
                // Diagnostic: E0403 missing-field
                self.error(
                    E0403,
                    at.0,
                    at.1,
                    format!(
                        "input `{}` of `{}` is required; `null` leaves it unset",
                        input.name, instance.kind.name
                    ),
                )
                .with_label_mut("null for a required input")
                .with_secondary_at_mut(sig.declared_at(input), "declared here without a default");
                None
            }
            Some(Some(Value::Null) | None) | None => Some(false),
            Some(Some(_)) => Some(true),
        }
    }

    /// An instance's `provider = "ALIAS"`: the alias, when it is one of `project.aliases`;
    /// `None` once reported.
    fn instance_provider(
        &mut self,
        ctx: &LayerCtx,
        instance: &crate::syntax::Instance,
        child: &Node,
    ) -> Option<String> {
        let scope = Scope {
            layer: Some(ctx),
            instance: Some(&instance.name.name),
            inputs: None,
            params: true,
        };
        match self.eval_node_typed(child, &Ty::Str(None), scope) {
            Some(Value::Str(alias)) if self.aliases.contains(&alias) => Some(alias),
            Some(Value::Str(alias)) => {
                let def = child.def().clone();
                let help = did_you_mean(&alias, self.aliases.iter().map(String::as_str));
                // Diagnostic: E0201 unknown-name
                self.error(
                    E0201,
                    def.file,
                    def.range,
                    format!("no provider alias `{alias}` in `project.aliases`"),
                )
                .with_label_mut("unknown alias")
                .with_help_opt_mut(help.or_else(|| {
                    Some(format!(
                        "declare it in the project: `aliases = {{ {} = {{ region = \"us-east-1\" }} }}`",
                        if is_alias_name(&alias) { alias.as_str() } else { "us_east_1" }
                    ))
                }));
                None
            }
            Some(other) => {
                let def = child.def().clone();
                // Diagnostic: E0401 type-mismatch
                self.error(
                    E0401,
                    def.file,
                    def.range,
                    format!(
                        "`provider` names an alias of `project.aliases`, found {}",
                        other.describe()
                    ),
                )
                .with_label_mut("expected a string");
                None
            }
            None => None,
        }
    }

    /// Whether `kind` is the reserved `removed` (unless the project declares a module so named).
    fn is_removed_kind(&self, kind: &str) -> bool {
        kind == REMOVED_KIND && !self.index.modules.contains_key(kind)
    }

    /// Checks `removed NAME {}`: no attributes, not repeated; the instance's resources are
    /// forgotten by Terraform, so nothing else applies to it.
    fn removed_instance(&mut self, instance: &crate::syntax::Instance, file: SourceFile) -> bool {
        if instance.repeat.is_some() {
            // Diagnostic: E0404 constraint-violation
            self.error(E0404, file, instance.name.range, format!("`removed {}` cannot be repeated", instance.name.name))
                .with_label_mut("one `removed` per instance name")
                .with_help_mut("a `removed` block forgets every key of the instance it names: write `removed NAME {}`");
            return false;
        }
        let node = self
            .layer_config
            .and_then(|config| config.instances.get(&instance.name.name));
        if let Some(Node::Record { entries, .. }) = node {
            if let Some((key, slot)) = entries.into_iter().next() {
                // Diagnostic: E0402 unknown-field
                self.error(E0402, slot.key_file, slot.key_range, format!("`removed {}` takes no attributes, found `{key}`", instance.name.name))
                    .with_label_mut("a removed instance has no inputs")
                    .with_help_mut("the instance's resources are forgotten, not configured: write `removed NAME {}`");
                return false;
            }
        }
        true
    }

    /// The `import` attribute of an instance: each resource address of its module with the cloud
    /// id to adopt. `None` after a diagnostic.
    fn imports(
        &mut self,
        ctx: &LayerCtx,
        instance: &str,
        sig: &ModuleSig,
        node: &Node,
    ) -> Option<Vec<Import>> {
        let Some(child) = node.child(IMPORT_ATTRIBUTE) else {
            return Some(Vec::new());
        };
        let scope = Scope {
            layer: Some(ctx),
            instance: Some(instance),
            inputs: None,
            params: true,
        };
        let ty = Ty::Map(Box::new(Ty::Str(None)));
        let Value::Record(entries) = self.eval_node_typed(child, &ty, scope)? else {
            return None;
        };
        let resources = stdlib_resources(&sig.source);
        let mut imports = Vec::new();
        let mut ok = true;
        for (address, id) in entries {
            let (file, range) = match child {
                Node::Record { entries, .. } => entries
                    .get(&address)
                    .map_or((child.def().file, child.def().range), |slot| {
                        (slot.key_file, slot.key_range)
                    }),
                Node::Leaf { def, .. } => (def.file, def.range),
            };
            let Value::Str(id) = id else {
                let def = child.def().clone();
                // Diagnostic: E0405 run-time-value
                self.error(E0405, def.file, def.range, format!("the cloud id to import as `{address}` must be known at compile time"))
                    .with_label_mut("known only when Terraform runs")
                    .with_help_mut("write the resource's id (a bucket name, `vpc-0abc...`) or compute it from parameters");
                ok = false;
                continue;
            };
            if !is_resource_address(&address) {
                // Diagnostic: E0404 constraint-violation
                self.error(
                    E0404,
                    file,
                    range,
                    format!("`{address}` is not a resource address within a module"),
                )
                .with_label_mut("expected `TYPE.NAME` or `TYPE.NAME[N]`")
                .with_help_mut(
                    "name the resource as the module's Terraform does, e.g. `aws_s3_bucket.this`",
                );
                ok = false;
                continue;
            }
            let resource = address.split('[').next().unwrap_or_default();
            if let Some(known) = resources
                .as_ref()
                .filter(|known| !known.iter().any(|r| r == resource))
            {
                let help = did_you_mean(resource, known.iter().map(String::as_str));
                // Diagnostic: E0201 unknown-name
                self.error(
                    E0201,
                    file,
                    range,
                    format!("module `{}` has no resource `{resource}`", sig.name),
                )
                .with_label_mut("not a resource of the module")
                .with_help_opt_mut(
                    help.or_else(|| Some(format!("its resources are {}", known.join(", ")))),
                );
                ok = false;
                continue;
            }
            if id.is_empty() {
                // Diagnostic: E0404 constraint-violation
                self.error(
                    E0404,
                    file,
                    range,
                    format!("the cloud id to import as `{address}` is empty"),
                )
                .with_label_mut("no id")
                .with_help_mut("remove the entry, or give the id of the existing resource");
                ok = false;
                continue;
            }
            imports.push(Import {
                key: None,
                address,
                id,
            });
        }
        ok.then_some(imports)
    }

    /// The keys and values an instance or layer repeats over: a list of strings or a map.
    fn repeat_keys(
        &mut self,
        over: Option<Value>,
        range: TextRange,
        file: SourceFile,
        what: &str,
    ) -> Vec<(String, Value)> {
        match over {
            Some(Value::List(items)) => {
                let mut keys = Vec::new();
                for item in items {
                    match &item {
                        Value::Str(s) => keys.push((s.clone(), item.clone())),
                        other => {
                            // Diagnostic: E0401 type-mismatch
                            self.error(
                                E0401,
                                file,
                                range,
                                format!("{what} repeats over a list of strings or a map, found a list holding {}", other.describe()),
                            )
                            .with_label_mut("not a list of strings");
                            return Vec::new();
                        }
                    }
                }
                let mut seen = BTreeSet::new();
                for (key, _) in &keys {
                    if !seen.insert(key.clone()) {
                        // Diagnostic: E0406 evaluation-error
                        self.error(E0406, file, range, format!("the key \"{key}\" is in the list twice"))
                            .with_label_mut("duplicate key")
                            .with_help_mut("each key names one instance: remove the duplicate, or repeat over `distinct(...)`");
                        return Vec::new();
                    }
                }
                keys
            }
            Some(Value::Record(entries)) => entries.into_iter().collect(),
            Some(other) if other.is_runtime() => {
                self.runtime_error(file, range, "repetition");
                Vec::new()
            }
            Some(other) => {
                // Diagnostic: E0401 type-mismatch
                self.error(
                    E0401,
                    file,
                    range,
                    format!(
                        "{what} repeats over a list of strings or a map, found {}",
                        other.describe()
                    ),
                )
                .with_label_mut("not a list or map");
                Vec::new()
            }
            None => Vec::new(),
        }
    }

    /// A compile-time condition (`if COND`): `None` after a diagnostic.
    fn condition(&mut self, condition: &Expr, file: SourceFile, scope: Scope<'_>) -> Option<bool> {
        match self.eval_expr(condition, file, scope)? {
            Value::Bool(b) => Some(b),
            v if v.is_runtime() => {
                self.runtime_error(file, condition.range, "condition");
                None
            }
            v => {
                // Diagnostic: E0401 type-mismatch
                self.error(
                    E0401,
                    file,
                    condition.range,
                    format!("a condition must be a bool, found {}", v.describe()),
                )
                .with_label_mut("expected bool");
                None
            }
        }
    }

    /// A repeated instance: evaluated once per key with its variables bound, then the inputs
    /// that are the same for every key separated from those that differ.
    fn repeated_instance(
        &mut self,
        ctx: &LayerCtx,
        instance: &crate::syntax::Instance,
        repeat: &crate::syntax::InstanceRepeat,
        keys: &[(String, Value)],
        file: SourceFile,
    ) -> Option<InstanceModel> {
        let mut per_key: Vec<KeyInputs> = Vec::new();
        let mut imports: Vec<Import> = Vec::new();
        let mut template: Option<InstanceModel> = None;
        let depth = self.locals.len();
        let mut ok = true;
        for (key, value) in keys {
            self.locals.truncate(depth);
            self.locals
                .push((repeat.key.name.clone(), Value::Str(key.clone())));
            if let Some(value_var) = &repeat.value {
                self.locals.push((value_var.name.clone(), value.clone()));
            }
            let label = format!("{}-{key}", instance.name.name);
            match self.instance_labelled(ctx, instance, &label, file) {
                Some(built) => {
                    per_key.push((key.clone(), built.inputs.clone()));
                    imports.extend(built.imports.iter().map(|import| Import {
                        key: Some(key.clone()),
                        ..import.clone()
                    }));
                    template.get_or_insert(built);
                }
                None => ok = false,
            }
        }
        self.locals.truncate(depth);
        if !ok {
            return None;
        }
        let resource = self
            .module(&instance.kind_name())
            .and_then(|sig| sig.resource.clone());
        let mut model = template.unwrap_or_else(|| InstanceModel {
            kind: instance.kind_name().into_owned(),
            name: instance.name.name.clone(),
            provider: None,
            inputs: Vec::new(),
            for_each: None,
            imports: Vec::new(),
            doc: instance.doc.clone(),
            file,
            resource,
        });
        // An input is common when every key has it with the same value.
        let common: Vec<(String, Value)> = model
            .inputs
            .iter()
            .filter(|(name, value)| {
                per_key
                    .iter()
                    .all(|(_, inputs)| inputs.iter().any(|(n, v)| n == name && v == value))
            })
            .cloned()
            .collect();
        for (_, inputs) in &mut per_key {
            inputs.retain(|(name, _)| !common.iter().any(|(n, _)| n == name));
        }
        // Terraform reads `lifecycle` before `for_each`: it cannot differ between keys.
        let lifecycle = crate::schema::LIFECYCLE;
        let varies = |inputs: &Vec<(String, Value)>| inputs.iter().any(|(n, _)| n == lifecycle);
        if model.resource.is_some() && per_key.iter().any(|(_, inputs)| varies(inputs)) {
            // Diagnostic: E0404 constraint-violation
            self.error(
                E0404,
                file,
                instance.name.range,
                format!(
                    "`{lifecycle}` of `{}` differs between its keys",
                    instance.name.name
                ),
            )
            .with_label_mut("one lifecycle per repeated resource")
            .with_help_mut(
                "Terraform reads `lifecycle` before `for_each`: give every key the same",
            );
            return None;
        }
        model.inputs = common;
        model.for_each = Some(per_key);
        model.imports = imports;
        Some(model)
    }

    /// The bootstrap instance that creates the state bucket.
    fn bootstrap(&mut self, project: &ProjectSettings) -> Option<InstanceModel> {
        let sig = self.module("state_bootstrap")?;
        if project.state_bucket.is_empty() {
            return None;
        }
        let mut inputs = Vec::new();
        for input in &sig.inputs {
            let value = match input.name.as_str() {
                "bucket" | "bucket_name" => Value::Str(project.state_bucket.clone()),
                "lock_table" | "dynamodb_table" => {
                    Value::Str(project.dynamodb_table.clone().unwrap_or_default())
                }
                _ => {
                    let Some(default) = &input.default else {
                        continue;
                    };
                    let scope = Scope {
                        layer: None,
                        instance: Some("state"),
                        inputs: None,
                        params: false,
                    };
                    match self.eval_expr(default, sig.file, scope) {
                        Some(v) => v,
                        None => continue,
                    }
                }
            };
            inputs.push((input.name.clone(), value));
        }
        Some(InstanceModel {
            kind: "state_bootstrap".into(),
            name: "state".into(),
            provider: None,
            inputs,
            for_each: None,
            imports: Vec::new(),
            doc: None,
            file: sig.file,
            resource: None,
        })
    }
}

/// The instance attribute that selects an AWS provider alias.
pub const PROVIDER_ATTRIBUTE: &str = "provider";
/// The instance kind that forgets a removed instance's resources (`removed NAME {}`).
pub const REMOVED_KIND: &str = "removed";
/// The instance attribute that adopts existing resources: resource address => cloud id.
pub const IMPORT_ATTRIBUTE: &str = "import";

/// Whether `address` names a resource within a module: `TYPE.NAME` or `TYPE.NAME[N]`.
pub fn is_resource_address(address: &str) -> bool {
    let (resource, index) = match address.split_once('[') {
        Some((resource, rest)) => (resource, Some(rest)),
        None => (address, None),
    };
    let index_ok = index.is_none_or(|rest| {
        rest.strip_suffix(']')
            .is_some_and(|n| !n.is_empty() && n.len() <= 6 && n.bytes().all(|b| b.is_ascii_digit()))
    });
    let word = |text: &str, first: fn(char) -> bool| {
        text.chars().next().is_some_and(first)
            && text
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    };
    index_ok
        && resource.split_once('.').is_some_and(|(kind, name)| {
            word(kind, |c| c.is_ascii_lowercase())
                && !kind.contains('-')
                && word(name, |c| c.is_ascii_alphabetic() || c == '_')
        })
}

/// The `TYPE.NAME` of every `resource` block of a standard library module's Terraform.
fn stdlib_resources(source: &str) -> Option<Vec<String>> {
    let name = source.strip_prefix("stdlib/")?;
    let mut found = Vec::new();
    for (_, text) in crate::stdlib::module_files(name) {
        for line in text.lines() {
            let Some(rest) = line.strip_prefix("resource \"") else {
                continue;
            };
            let mut parts = rest.split('"');
            if let (Some(kind), _, Some(label)) = (parts.next(), parts.next(), parts.next()) {
                found.push(format!("{kind}.{label}"));
            }
        }
    }
    Some(found)
}

/// The evaluated inputs of the instance being built, by the position of the input in its module's
/// interface; an input declared twice (reported with the module) shares the first one's value.
/// `None` until the input is evaluated, `Some(None)` once it failed or was left unset.
#[derive(Default)]
struct InputValues {
    /// The interface `slots` and `by_name` were computed for: consecutive instances of one
    /// module share it.
    sig: Option<Rc<ModuleSig>>,
    /// Per input, the position of the first input of its name.
    slots: Vec<usize>,
    /// The inputs' positions in name order, to pair them with an instance's keys in one walk.
    by_name: Vec<usize>,
    /// Per input, the position of the instance's key that sets it.
    explicit: Vec<Option<usize>>,
    /// How many of the instance's keys set an input.
    keys_set: usize,
    values: Vec<Option<Option<Value>>>,
}

impl InputValues {
    /// Empties the values for an instance of `sig` whose merged keys are `node`'s.
    fn reset(&mut self, sig: &Rc<ModuleSig>, node: Option<&Node>) {
        if !self
            .sig
            .as_ref()
            .is_some_and(|known| Rc::ptr_eq(known, sig))
        {
            self.index(sig);
        }
        let inputs = &sig.inputs;
        self.explicit.clear();
        self.explicit.resize(inputs.len(), None);
        self.keys_set = 0;
        if let Some(Node::Record { entries, .. }) = node {
            // Both sides in name order: one walk pairs them (an input declared twice meets the
            // same key twice, which counts once).
            let mut at = 0;
            let mut last = None;
            for &k in &self.by_name {
                let name = inputs[k].name.as_str();
                while entries.at(at).is_some_and(|(key, _)| key < name) {
                    at += 1;
                }
                if entries.at(at).is_some_and(|(key, _)| key == name) {
                    self.explicit[k] = Some(at);
                    if last != Some(at) {
                        self.keys_set += 1;
                        last = Some(at);
                    }
                }
            }
        }
        self.values.clear();
        self.values.resize(inputs.len(), None);
    }

    /// Notes where each name of `sig`'s inputs first appears, and their name order.
    fn index(&mut self, sig: &Rc<ModuleSig>) {
        let inputs = &sig.inputs;
        self.slots.clear();
        self.slots
            .extend(inputs.iter().enumerate().map(|(k, input)| {
                inputs[..k]
                    .iter()
                    .position(|earlier| earlier.name == input.name)
                    .unwrap_or(k)
            }));
        self.by_name.clear();
        self.by_name.extend(0..inputs.len());
        self.by_name
            .sort_by(|&a, &b| inputs[a].name.cmp(&inputs[b].name));
        self.sig = Some(sig.clone());
    }

    /// The merged value that sets input `k`, when the instance sets it.
    fn explicit<'n>(&self, k: usize, node: Option<&'n Node>) -> Option<&'n Node> {
        let Some(Node::Record { entries, .. }) = node else {
            return None;
        };
        let (_, slot) = entries.at((*self.explicit.get(k)?)?)?;
        Some(&slot.node)
    }

    /// Whether every key of `entries` (the instance's, as given to `reset`) sets an input or is
    /// its `provider` or `import` attribute (allowed only where no input has that name).
    fn sets_inputs_only(&self, entries: &Entries, provider: bool, import: bool) -> bool {
        let attributes = [(provider, PROVIDER_ATTRIBUTE), (import, IMPORT_ATTRIBUTE)]
            .iter()
            .filter(|(allowed, name)| *allowed && entries.index_of(name).is_some())
            .count();
        self.keys_set + attributes == entries.len()
    }

    fn get(&self, k: usize) -> Option<&Option<Value>> {
        self.values.get(*self.slots.get(k)?)?.as_ref()
    }

    fn set(&mut self, k: usize, value: Option<Value>) {
        if let Some(slot) = self
            .slots
            .get(k)
            .and_then(|&slot| self.values.get_mut(slot))
        {
            *slot = Some(value);
        }
    }

    /// The names and values of the inputs `set`, in order, moved out (copied for a name that
    /// a later input of `set` shares).
    fn take_all(&mut self, sig: &ModuleSig, set: &[usize]) -> Vec<(String, Value)> {
        let mut inputs = Vec::with_capacity(set.len());
        for (n, &k) in set.iter().enumerate() {
            let (Some(input), Some(&slot)) = (sig.inputs.get(k), self.slots.get(k)) else {
                continue;
            };
            let shared = set[n + 1..]
                .iter()
                .any(|&later| self.slots.get(later) == Some(&slot));
            let value = match self.values.get_mut(slot) {
                Some(value) if shared => value.clone().flatten(),
                Some(value) => value.take().flatten(),
                None => None,
            };
            if let Some(value) = value {
                inputs.push((input.name.clone(), value));
            }
        }
        inputs
    }
}

/// Appends text to a template, joined to the text before it; an owned string that starts a
/// part becomes it without a copy.
fn push_template_text(out: &mut Vec<TemplatePart>, text: impl AsRef<str> + Into<String>) {
    match out.last_mut() {
        Some(TemplatePart::Text(t)) => t.push_str(text.as_ref()),
        _ => out.push(TemplatePart::Text(text.into())),
    }
}

/// The type of `base[key]` when `base` is a run-time map or list and `key` a compile-time key
/// of the right kind (Terraform indexes it); `None` otherwise.
fn runtime_index_element(base: &Value, key: &Value) -> Option<Ty> {
    let (Value::Rt(_, ty), false) = (base, key.is_runtime()) else {
        return None;
    };
    match (ty.resolved(), key) {
        (Ty::Map(inner), Value::Str(_)) | (Ty::List(inner), Value::Int(_)) => {
            Some((**inner).clone())
        }
        (Ty::Any, Value::Str(_) | Value::Int(_)) => Some(Ty::Any),
        _ => None,
    }
}

/// The AWS provider's version constraint when `project.providers` does not name one.
const DEFAULT_AWS_VERSION: &str = "~> 5.100";

/// The type of a provider written as a record in `project.providers`, its defaults written
/// at `at`.
fn provider_type(at: &crate::config::Def) -> Ty {
    let field = |name: &str, ty: Ty, default: Option<ExprKind>| Field {
        name: name.into(),
        ty,
        default: default.map(|kind| {
            (
                Expr {
                    kind,
                    range: at.range,
                },
                at.file,
            )
        }),
        doc: None,
    };
    Ty::Record(vec![
        field("version", Ty::Str(None), None),
        field(
            "source",
            Ty::Str(None),
            Some(ExprKind::Str(vec![StrPart::Text(String::new())])),
        ),
        field(
            "config",
            Ty::Map(Box::new(Ty::Any)),
            Some(ExprKind::Record(Vec::new())),
        ),
        field(
            "modules",
            Ty::List(Box::new(Ty::Str(None))),
            Some(ExprKind::List(Vec::new())),
        ),
    ])
}

/// A string setting of `project`; empty when unset.
fn setting_text(value: Option<&Value>) -> String {
    value
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

/// A map of strings of `project` (its `tags`); empty when unset.
fn setting_strings(value: Option<&Value>) -> BTreeMap<String, String> {
    match value {
        Some(Value::Record(m)) => m
            .iter()
            .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
            .collect(),
        _ => BTreeMap::new(),
    }
}

/// The types of `project`'s fields, their defaults written at `at` (the project's name) in
/// `file`.
struct SettingsTypes {
    file: SourceFile,
    at: TextRange,
}

impl SettingsTypes {
    fn lit(&self, text: &str) -> Expr {
        Expr {
            kind: ExprKind::Str(vec![StrPart::Text(text.into())]),
            range: self.at,
        }
    }

    fn field(&self, name: &str, ty: Ty, default: Option<Expr>) -> Field {
        Field {
            name: name.into(),
            ty,
            default: default.map(|d| (d, self.file)),
            doc: None,
        }
    }

    fn empty_map(&self) -> Expr {
        Expr {
            kind: ExprKind::Record(Vec::new()),
            range: self.at,
        }
    }

    fn record(&self, entries: Vec<(&str, Expr)>) -> Expr {
        Expr {
            kind: ExprKind::Record(
                entries
                    .into_iter()
                    .map(|(key, value)| crate::syntax::RecordEntry {
                        key: Ident {
                            name: key.into(),
                            range: self.at,
                        },
                        value: value.into(),
                    })
                    .collect(),
            ),
            range: self.at,
        }
    }

    /// A role to assume; an empty `role_arn` means no role (the default, `no_role`).
    fn assume_role(&self) -> Ty {
        Ty::Record(vec![
            self.field("role_arn", Ty::Str(None), None),
            self.field("session_name", Ty::Str(None), Some(self.lit(""))),
            self.field("external_id", Ty::Str(None), Some(self.lit(""))),
        ])
    }

    fn no_role(&self) -> Expr {
        self.record(vec![("role_arn", self.lit(""))])
    }

    /// `project.state`: the backend.
    fn state(&self) -> Ty {
        Ty::Record(vec![
            self.field("bucket", Ty::Str(None), None),
            self.field("region", Ty::Str(None), Some(self.lit(""))),
            self.field(
                "lock",
                Ty::Enum(vec!["lockfile".into(), "dynamodb".into()]),
                Some(self.lit("lockfile")),
            ),
            self.field("dynamodb_table", Ty::Str(None), Some(self.lit(""))),
            self.field("assume_role", self.assume_role(), Some(self.no_role())),
        ])
    }

    /// An entry of `project.aliases` or `project.layers`.
    fn target(&self) -> Ty {
        Ty::Record(vec![
            self.field("region", Ty::Str(None), Some(self.lit(""))),
            self.field("account", Ty::Str(None), Some(self.lit(""))),
            self.field("assume_role", self.assume_role(), Some(self.no_role())),
        ])
    }

    /// `project` itself.
    fn project(&self) -> Ty {
        let aws = self.record(vec![("aws", self.lit(DEFAULT_AWS_VERSION))]);
        Ty::Record(vec![
            self.field("region", Ty::Str(Some(crate::types::Pattern::Region)), None),
            self.field("terraform", Ty::Str(None), Some(self.lit(">= 1.10"))),
            self.field("providers", Ty::Map(Box::new(Ty::Any)), Some(aws)),
            self.field(
                "tags",
                Ty::Map(Box::new(Ty::Str(None))),
                Some(self.empty_map()),
            ),
            self.field("state", self.state(), None),
            self.field("account", Ty::Str(None), Some(self.lit(""))),
            self.field("assume_role", self.assume_role(), Some(self.no_role())),
            self.field(
                "aliases",
                Ty::Map(Box::new(self.target())),
                Some(self.empty_map()),
            ),
            self.field(
                "layers",
                Ty::Map(Box::new(self.target())),
                Some(self.empty_map()),
            ),
            self.field("ci_role", Ty::Str(None), Some(self.lit(""))),
            // Read when the project is loaded (`analysis::load_project`), not per environment.
            self.field("vendor", Ty::Str(None), Some(self.lit(""))),
            self.field(
                "protected",
                Ty::Bool,
                Some(Expr {
                    kind: ExprKind::Bool(false),
                    range: self.at,
                }),
            ),
        ])
    }
}

/// `arn:PARTITION:iam::ACCOUNT:role/PATH/NAME`.
fn is_role_arn(text: &str) -> bool {
    let parts: Vec<&str> = text.splitn(6, ':').collect();
    matches!(
        parts.as_slice(),
        ["arn", partition, "iam", "", account, resource]
            if partition.starts_with("aws")
                && account.len() == 12
                && account.chars().all(|c| c.is_ascii_digit())
                && resource.strip_prefix("role/").is_some_and(|name| !name.is_empty())
                && resource
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "/+=,.@_-".contains(c))
    )
}

/// A name that becomes a Terraform identifier: a provider's local name or an alias.
fn is_alias_name(text: &str) -> bool {
    let mut chars = text.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The deepest node on `path` that the merged tree has (a value may come from a parameter),
/// with the path left below it.
fn deepest<'n>(node: &'n Node, path: &[&str]) -> (&'n Node, usize) {
    let mut at = node;
    for (depth, key) in path.iter().enumerate() {
        match at {
            Node::Record { entries, .. } => match entries.get(key) {
                Some(slot) => at = &slot.node,
                None => return (at, depth),
            },
            Node::Leaf { .. } => return (at, depth),
        }
    }
    (at, path.len())
}

/// Where the value at `path` of a merged record was written: the value itself, or the nearest
/// enclosing one.
fn value_span(node: &Node, path: &[&str]) -> (SourceFile, TextRange) {
    let (at, depth) = deepest(node, path);
    let def = at.def();
    match at {
        // A record literal inside a leaf (a value replaced as a whole) still has its keys' spans.
        Node::Leaf { expr, .. } => {
            let rest: Vec<String> = path[depth..].iter().map(|p| p.to_string()).collect();
            (def.file, locate(expr, &rest).unwrap_or(def.range))
        }
        Node::Record { .. } => (def.file, def.range),
    }
}

/// Where the key at the end of `path` was written, or the nearest value that holds it.
fn key_span(node: &Node, path: &[&str]) -> (SourceFile, TextRange) {
    let Some((last, parent)) = path.split_last() else {
        return (node.def().file, node.def().range);
    };
    match deepest(node, parent) {
        (Node::Record { entries, .. }, depth) if depth == parent.len() => match entries.get(last) {
            Some(slot) => (slot.key_file, slot.key_range),
            None => value_span(node, path),
        },
        _ => value_span(node, path),
    }
}

fn field_list(fields: &[Field]) -> String {
    fields
        .iter()
        .map(|f| format!("`{}`", f.name))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The span of the sub-expression at a path inside a literal (`[0]`, `key`), when there is one.
fn locate(expr: &Expr, path: &[String]) -> Option<TextRange> {
    let Some((head, rest)) = path.split_first() else {
        return Some(expr.range);
    };
    match &expr.kind {
        ExprKind::List(items) => {
            let idx: usize = head
                .trim_start_matches('[')
                .trim_end_matches(']')
                .parse()
                .ok()?;
            locate(items.get(idx)?, rest)
        }
        ExprKind::Record(entries) => {
            let entry = entries.iter().find(|e| &e.key.name == head);
            match entry {
                Some(e) => locate(&e.value, rest),
                None => Some(expr.range),
            }
        }
        _ => Some(expr.range),
    }
}

/// Applies a binary operator to compile-time values.
pub fn binary(op: BinOp, left: &Value, right: &Value) -> Result<Value, String> {
    use Value::*;
    let num = |v: &Value| v.as_f64();
    Ok(match (op, left, right) {
        (BinOp::And, Bool(a), Bool(b)) => Bool(*a && *b),
        (BinOp::Or, Bool(a), Bool(b)) => Bool(*a || *b),
        (BinOp::Eq, a, b) => Bool(values_equal(a, b)),
        (BinOp::Ne, a, b) => Bool(!values_equal(a, b)),
        (BinOp::Div, Int(_), Int(0)) => return Err("division by zero".into()),
        (BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div, Int(a), Int(b)) => {
            let result = match op {
                BinOp::Add => a.checked_add(*b),
                BinOp::Sub => a.checked_sub(*b),
                BinOp::Mul => a.checked_mul(*b),
                _ => a.checked_div(*b),
            };
            Int(result.ok_or_else(|| {
                format!(
                    "integer overflow: {a} {} {b} does not fit in a 64-bit integer",
                    op.symbol()
                )
            })?)
        }
        (BinOp::Add, Str(a), Str(b)) => Str(format!("{a}{b}")),
        (BinOp::Add, List(a), List(b)) => List(a.iter().chain(b).cloned().collect()),
        (BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge, Str(a), Str(b)) => Bool(match op {
            BinOp::Lt => a < b,
            BinOp::Le => a <= b,
            BinOp::Gt => a > b,
            _ => a >= b,
        }),
        (op, a, b) => match (num(a), num(b)) {
            (Some(x), Some(y)) => match op {
                BinOp::Div if y == 0.0 => return Err("division by zero".into()),
                BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div => {
                    let result = match op {
                        BinOp::Add => x + y,
                        BinOp::Sub => x - y,
                        BinOp::Mul => x * y,
                        _ => x / y,
                    };
                    // Terraform has no infinity or NaN: such a value would be emitted as `null`.
                    if !result.is_finite() {
                        return Err(format!(
                            "float overflow: {} {} {} does not fit in a 64-bit float",
                            short_float(x),
                            op.symbol(),
                            short_float(y)
                        ));
                    }
                    Float(result.into())
                }
                BinOp::Lt => Bool(x < y),
                BinOp::Le => Bool(x <= y),
                BinOp::Gt => Bool(x > y),
                BinOp::Ge => Bool(x >= y),
                _ => {
                    return Err(format!(
                        "`{}` needs bools, found {} and {}",
                        op.symbol(),
                        a.describe(),
                        b.describe()
                    ))
                }
            },
            _ => {
                return Err(format!(
                    "cannot apply `{}` to {} and {}",
                    op.symbol(),
                    a.describe(),
                    b.describe()
                ))
            }
        },
    })
}

/// A float for a message: large and tiny ones in exponent notation, not hundreds of digits.
fn short_float(x: f64) -> String {
    if x != 0.0 && !(1e-5..1e16).contains(&x.abs()) {
        format!("{x:e}")
    } else {
        x.to_string()
    }
}

/// The deepest evaluation: an expression as deep as the parser allows, reading another one.
const MAX_EVAL_DEPTH: usize = 2 * MAX_NESTING;

/// Whether a value has more than `limit` levels of lists and records (it recurses at most
/// `limit + 1` levels, whatever the value's depth).
fn nests_deeper_than(value: &Value, limit: usize) -> bool {
    let children: Box<dyn Iterator<Item = &Value>> = match value {
        Value::List(items) => Box::new(items.iter()),
        Value::Record(fields) => Box::new(fields.values()),
        _ => return false,
    };
    match limit.checked_sub(1) {
        None => true,
        Some(rest) => children
            .into_iter()
            .any(|child| nests_deeper_than(child, rest)),
    }
}

fn values_equal(a: &Value, b: &Value) -> bool {
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) => x == y,
        _ => a == b,
    }
}

/// Convenience setters on a diagnostic that was just pushed.
trait DiagnosticMut {
    fn with_label_mut(&mut self, text: impl Into<String>) -> &mut Self;
    fn with_help_mut(&mut self, text: impl Into<String>) -> &mut Self;
    fn with_help_opt_mut(&mut self, text: Option<String>) -> &mut Self;
    fn with_secondary_mut(
        &mut self,
        file: SourceFile,
        range: TextRange,
        text: impl Into<String>,
    ) -> &mut Self;
    /// A secondary label where there is a place to show.
    fn with_secondary_at_mut(
        &mut self,
        at: Option<(SourceFile, TextRange)>,
        text: impl Into<String>,
    ) -> &mut Self {
        match at {
            Some((file, range)) => self.with_secondary_mut(file, range, text),
            None => self,
        }
    }
}

impl DiagnosticMut for Diagnostic {
    fn with_label_mut(&mut self, text: impl Into<String>) -> &mut Self {
        if let Some(label) = self.labels.iter_mut().find(|label| label.primary) {
            label.message = text.into();
        }
        self
    }

    fn with_help_mut(&mut self, text: impl Into<String>) -> &mut Self {
        self.help = Some(text.into());
        self
    }

    fn with_help_opt_mut(&mut self, text: Option<String>) -> &mut Self {
        if text.is_some() {
            self.help = text;
        }
        self
    }

    fn with_secondary_mut(
        &mut self,
        file: SourceFile,
        range: TextRange,
        text: impl Into<String>,
    ) -> &mut Self {
        self.labels.push(crate::diagnostics::Label {
            file,
            range,
            message: text.into(),
            primary: false,
        });
        self
    }
}
