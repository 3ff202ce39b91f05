//! Environments: the `extends` chain and the merged, provenance-carrying effective configuration.
//!
//! The merge rule: records merge key by key, every other value replaces what it overrides, `+=`
//! appends to a list, and one environment may set a key only once.

use std::collections::{btree_map, BTreeMap};
use std::sync::Arc;

use crate::db::{parse_file, Db, SourceFile, Workspace};
use crate::diagnostics::{did_you_mean, Diagnostic, E0301, E0302, E0303, E0305};
use crate::project::{project_index, ItemRef, ProjectIndex};
use crate::source::TextRange;
use crate::syntax::{Block, Entry, Env, Expr, ExprKind, Ident, Item, ItemKind, MoveBy};

/// An environment name, interned so that queries can take it as a key.
#[salsa::interned(debug)]
pub struct EnvName<'db> {
    #[returns(ref)]
    pub name: String,
}

/// Where a value was written: the file, the value's span, and the environment (`None` for the base).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Def {
    pub file: SourceFile,
    pub range: TextRange,
    /// Shared by every value the environment sets.
    pub env: Option<Arc<str>>,
}

/// A node of the merged configuration tree.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Node {
    /// A value that is not a record literal, with the lists appended to it.
    Leaf {
        /// The expression, shared with the syntax tree.
        expr: Arc<Expr>,
        def: Def,
        appends: Vec<(Arc<Expr>, Def)>,
        /// The definitions this value won over, oldest first (so that an override appends).
        overrode: Vec<Def>,
    },
    /// A record literal, merged key by key.
    Record {
        entries: Entries,
        def: Def,
        /// The definitions this record won over, oldest first.
        overrode: Vec<Def>,
    },
}

/// A record node's entries in key order: a sorted vector, a third of the size of a `BTreeMap`
/// for the dozen keys a record has.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct Entries(Vec<(String, Slot)>);

impl Entries {
    fn position(&self, key: &str) -> Result<usize, usize> {
        self.0.binary_search_by(|(k, _)| k.as_str().cmp(key))
    }

    pub fn get(&self, key: &str) -> Option<&Slot> {
        self.position(key).ok().map(|i| &self.0[i].1)
    }

    /// Where `key` is in key order.
    pub fn index_of(&self, key: &str) -> Option<usize> {
        self.position(key).ok()
    }

    /// The `i`-th entry in key order.
    pub fn at(&self, i: usize) -> Option<(&str, &Slot)> {
        self.0.get(i).map(|(key, slot)| (key.as_str(), slot))
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn get_mut(&mut self, key: &str) -> Option<&mut Slot> {
        self.position(key).ok().map(|i| &mut self.0[i].1)
    }

    /// Sets `key`, replacing its slot if it has one.
    pub fn insert(&mut self, key: String, slot: Slot) {
        match self.position(&key) {
            Ok(i) => self.0[i].1 = slot,
            Err(i) => self.0.insert(i, (key, slot)),
        }
    }

    /// The slot of `key`, made with `make` if there is none.
    pub fn get_or_insert_with(&mut self, key: &str, make: impl FnOnce() -> Slot) -> &mut Slot {
        let i = match self.position(key) {
            Ok(i) => i,
            Err(i) => {
                self.0.insert(i, (key.to_string(), make()));
                i
            }
        };
        &mut self.0[i].1
    }

    /// Frees the spare capacity left by the merge, here and below.
    fn shrink(&mut self) {
        self.0.shrink_to_fit();
        for (_, slot) in &mut self.0 {
            if let Node::Record { entries, .. } = &mut slot.node {
                entries.shrink();
            }
        }
    }
}

impl<'a> IntoIterator for &'a Entries {
    type Item = (&'a String, &'a Slot);
    type IntoIter = std::iter::Map<
        std::slice::Iter<'a, (String, Slot)>,
        fn(&'a (String, Slot)) -> (&'a String, &'a Slot),
    >;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter().map(|(k, v)| (k, v))
    }
}

/// A record entry: the key's span and the value.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Slot {
    pub key_file: SourceFile,
    pub key_range: TextRange,
    pub node: Node,
}

impl Slot {
    /// The slot of `key = value` inside a record or body defined at `def`.
    fn build(def: &Def, key: &Ident, value: &Arc<Expr>, repeated: &mut bool) -> Slot {
        let child_def = Def {
            file: def.file,
            range: value.range,
            env: def.env.clone(),
        };
        Slot {
            key_file: def.file,
            key_range: key.range,
            node: Node::build(value, child_def, repeated),
        }
    }
}

impl Node {
    /// Builds a node from an expression; record literals become record nodes.
    pub fn from_expr(expr: &Arc<Expr>, def: Def) -> Node {
        let mut repeated = false;
        Node::build(expr, def, &mut repeated)
    }

    /// `from_expr`, which also notes in `repeated` whether a record literal sets a key twice
    /// (the later value replaces the earlier one here; the merge reports it).
    fn build(expr: &Arc<Expr>, def: Def, repeated: &mut bool) -> Node {
        match &expr.kind {
            ExprKind::Record(entries) => {
                let mut map = Entries(Vec::with_capacity(entries.len()));
                for entry in entries {
                    map.insert(
                        entry.key.name.clone(),
                        Slot::build(&def, &entry.key, &entry.value, repeated),
                    );
                }
                *repeated |= map.0.len() < entries.len();
                Node::Record {
                    entries: map,
                    def,
                    overrode: Vec::new(),
                }
            }
            _ => Node::Leaf {
                expr: expr.clone(),
                def,
                appends: Vec::new(),
                overrode: Vec::new(),
            },
        }
    }

    pub fn def(&self) -> &Def {
        match self {
            Node::Leaf { def, .. } | Node::Record { def, .. } => def,
        }
    }

    /// The definitions this value won over, nearest first.
    pub fn overrode(&self) -> impl ExactSizeIterator<Item = &Def> + DoubleEndedIterator {
        match self {
            Node::Leaf { overrode, .. } | Node::Record { overrode, .. } => overrode.iter().rev(),
        }
    }

    fn overrode_mut(&mut self) -> &mut Vec<Def> {
        match self {
            Node::Leaf { overrode, .. } | Node::Record { overrode, .. } => overrode,
        }
    }

    pub fn empty_record(def: Def) -> Node {
        Node::Record {
            entries: Entries::default(),
            def,
            overrode: Vec::new(),
        }
    }

    /// The child of a record at `key`.
    pub fn child(&self, key: &str) -> Option<&Node> {
        match self {
            Node::Record { entries, .. } => entries.get(key).map(|slot| &slot.node),
            Node::Leaf { .. } => None,
        }
    }

    /// The child at a dotted path.
    pub fn get(&self, path: &[String]) -> Option<&Node> {
        match path.split_first() {
            None => Some(self),
            Some((head, rest)) => match self {
                Node::Record { entries, .. } => entries.get(head)?.node.get(rest),
                Node::Leaf { .. } => None,
            },
        }
    }
}

/// The `extends` chain of an environment, from the root to the environment itself.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct EnvChain {
    pub envs: Vec<(String, ItemRef)>,
    pub diagnostics: Vec<Diagnostic>,
}

#[salsa::tracked(returns(ref))]
pub fn env_chain<'db>(db: &'db dyn Db, workspace: Workspace, env: EnvName<'db>) -> EnvChain {
    let index = project_index(db, workspace);
    let mut chain = EnvChain::default();
    let mut current: &str = env.name(db);
    // The position of each environment in the chain, so that a long chain finds a cycle in one
    // lookup per step rather than a scan of the chain so far.
    let mut visited: rustc_hash::FxHashMap<&str, usize> = Default::default();
    while let Some((name, &item_ref)) = index.envs.get_key_value(current) {
        if let Some(&pos) = visited.get(current) {
            let mut cycle: Vec<String> = chain.envs[pos..].iter().map(|(n, _)| n.clone()).collect();
            cycle.push(name.clone());
            let (_, first) = &chain.envs[pos];
            let item = first.item(db);
            let range = match &item.kind {
                ItemKind::Env(e) => e.extends.as_ref().map_or(e.name.range, |x| x.range),
                _ => item.range,
            };
            chain.diagnostics.push(
                // Diagnostic: E0302 extends-cycle
                Diagnostic::error(
                    E0302,
                    first.file,
                    range,
                    format!(
                        "environments extend each other in a cycle: {}",
                        cycle.join(" → ")
                    ),
                )
                .with_label("this `extends` closes the cycle")
                .with_help("remove one `extends` so that the chain ends at the base"),
            );
            chain.envs.truncate(pos.max(1));
            break;
        }
        visited.insert(name, chain.envs.len());
        chain.envs.push((name.clone(), item_ref));
        // The index knows every parent: a chain of N environments is N lookups, and this query
        // reads no environment's syntax unless it reports an error.
        let Some(parent_name) = index.env_parents.get(name) else {
            break;
        };
        if !index.envs.contains_key(parent_name) {
            let ItemKind::Env(def) = &item_ref.item(db).kind else {
                break;
            };
            let Some(parent) = &def.extends else { break };
            chain.diagnostics.push(
                // Diagnostic: E0301 unknown-environment
                Diagnostic::error(
                    E0301,
                    item_ref.file,
                    parent.range,
                    format!("unknown environment `{}`", parent.name),
                )
                .with_label("no such environment")
                .with_help_opt(did_you_mean(
                    &parent.name,
                    index.envs.keys().map(String::as_str),
                )),
            );
            break;
        }
        current = parent_name;
    }
    chain.envs.reverse();
    chain
}

/// The merged configuration of an environment, before evaluation.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct EffectiveConfig {
    pub env: String,
    /// Environment names from the root to this one.
    pub chain: Vec<String>,
    pub project: Option<Node>,
    pub params: BTreeMap<String, Node>,
    pub diagnostics: Vec<Diagnostic>,
}

/// A layer's name, interned so that queries can take it as a key.
#[salsa::interned(debug)]
pub struct LayerName<'db> {
    #[returns(ref)]
    pub name: String,
}

/// The merged inputs of one layer's instances in one environment.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct LayerConfig {
    /// Instance name to the instance's attributes.
    pub instances: BTreeMap<String, Node>,
    pub diagnostics: Vec<Diagnostic>,
}

/// Where a layer's evaluation places its syntax, so that an edit that only moves the layer (or
/// the environment entries that override it) changes nothing it reads: the layer's item starts at
/// `LAYER_PLACE`, and the entries of the `i`-th environment of the chain for this layer start at
/// `PLACE_STRIDE * (i + 1)`. Files are at most 16 MiB (`analysis::MAX_FILE_BYTES`), so these
/// places never overlap a real offset or each other; `Placement` maps the results back.
pub const PLACE_STRIDE: u32 = 0x1000_0000;
pub const LAYER_PLACE: u32 = crate::syntax::PLACED_AT;
/// The longest `extends` chain whose entries get a place of their own; a longer chain is
/// evaluated at the real offsets.
pub const MAX_PLACED_ENVS: usize = 14;

/// The syntax a layer's evaluation reads: the real one, or one placed as `LAYER_PLACE` says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SyntaxAt {
    Real,
    Placed,
}

/// A layer's item placed as if its chunk started at `LAYER_PLACE` (the parser's second tree). The
/// same text anywhere in the file gives the same tree, and an untouched item gives the very same
/// one, so comparing it costs nothing.
#[salsa::tracked(returns(ref))]
pub fn placed_layer_item(db: &dyn Db, file: SourceFile, idx: usize) -> Arc<Item> {
    // An editor's database (the only one that evaluates placed syntax) parses with placed trees.
    parse_file(db, file).placed[idx].clone()
}

/// The entries of one environment item whose path starts at `layer`, in order: at their real
/// offsets (`place` 0), or moved so that the first starts at `place`. Compared by value: an edit
/// of the environment's other entries leaves it unchanged, and with a place, so does an edit
/// that only moves these entries.
#[salsa::tracked(returns(ref))]
fn env_layer_entries<'db>(
    db: &'db dyn Db,
    file: SourceFile,
    idx: usize,
    layer: LayerName<'db>,
    place: u32,
) -> Vec<Entry> {
    let item_ref = ItemRef { file, idx };
    let ItemKind::Env(env) = &item_ref.item(db).kind else {
        return Vec::new();
    };
    let mut entries: Vec<Entry> = entries_for_layer(env, layer.name(db)).cloned().collect();
    if place != 0 {
        if let Some(first) = entries.first().map(|e| e.range.start) {
            entries.move_by(place.wrapping_sub(first));
        }
    }
    entries
}

/// The real offset of the first entry of an environment item for `layer` (where
/// `env_layer_entries` put its place).
pub fn env_layer_anchor(db: &dyn Db, env_ref: ItemRef, layer: &str) -> u32 {
    match &env_ref.item(db).kind {
        ItemKind::Env(env) => entries_for_layer(env, layer)
            .next()
            .map_or(0, |entry| entry.range.start),
        _ => 0,
    }
}

/// The entries of an environment item whose path starts at `layer`, in order.
fn entries_for_layer<'e>(env: &'e Env, layer: &'e str) -> impl Iterator<Item = &'e Entry> {
    env.body
        .entries
        .iter()
        .filter(move |entry| entry.path[0].name == layer)
}

/// Maps offsets of placed syntax back to the real ones.
pub struct Placement {
    /// What to add to a placed offset of the layer's item to get the real one.
    pub layer: u32,
    /// Per environment of the chain, the real start of its first entry for the layer.
    pub envs: Vec<u32>,
}

impl Placement {
    pub fn real(&self, range: TextRange) -> TextRange {
        let (from, to) = if range.start >= LAYER_PLACE {
            (0, self.layer)
        } else if range.start >= PLACE_STRIDE {
            let i = (range.start / PLACE_STRIDE) as usize - 1;
            (
                PLACE_STRIDE * (i as u32 + 1),
                self.envs.get(i).copied().unwrap_or(0),
            )
        } else {
            return range;
        };
        let mut real = range;
        real.move_by(to.wrapping_sub(from));
        real
    }
}

/// The merged configuration of one layer's instances in an environment, kept for the queries
/// that ask where a value came from (hover, `explain`, policy violations). The layer's evaluation
/// merges with `merge_layer` and does not keep the result: a check holds no merged tree.
#[salsa::tracked(returns(ref))]
pub fn layer_config<'db>(
    db: &'db dyn Db,
    workspace: Workspace,
    env: EnvName<'db>,
    layer: LayerName<'db>,
) -> LayerConfig {
    let mut config = merge_layer(db, workspace, env, layer, SyntaxAt::Real);
    // Kept: free the spare capacity the merge left (a layer's evaluation drops its merge at once).
    for node in config.instances.values_mut() {
        if let Node::Record { entries, .. } = node {
            entries.shrink();
        }
    }
    config
}

/// Merges one layer's instances in an environment: the base instances, then each environment of
/// the chain in order. Layers merge independently, and the syntax it reads (the layer's item, the
/// environments' entries for this layer) is compared by value, so an edit of one layer (or of the
/// overrides of one layer) re-merges that layer alone.
pub fn merge_layer<'db>(
    db: &'db dyn Db,
    workspace: Workspace,
    env: EnvName<'db>,
    layer: LayerName<'db>,
    at: SyntaxAt,
) -> LayerConfig {
    let index = project_index(db, workspace);
    let mut config = LayerConfig::default();
    let layer_name = layer.name(db);
    let Some(layer_ref) = index.layers.get(layer_name) else {
        return config;
    };
    let item: &Item = match at {
        SyntaxAt::Real => layer_ref.item(db),
        SyntaxAt::Placed => placed_layer_item(db, layer_ref.file, layer_ref.idx),
    };
    let ItemKind::Layer(l) = &item.kind else {
        return config;
    };
    let file = layer_ref.file;
    for instance in &l.instances {
        // A second instance of the same name is E0202 (reported by the model); its body must
        // not replace the first one's inputs.
        let btree_map::Entry::Vacant(vacant) = config.instances.entry(instance.name.name.clone())
        else {
            continue;
        };
        let def = Def {
            file,
            range: instance.body.range,
            env: None,
        };
        if let Some(node) = plain_instance(&instance.body, def.clone()) {
            vacant.insert(node);
            continue;
        }
        let mut node = Node::empty_record(def);
        let mut merger = Merger {
            env: None,
            seen: SeenPaths::default(),
            diagnostics: &mut config.diagnostics,
        };
        for entry in &instance.body.entries {
            if entry.path.len() != 1 {
                merger.diagnostics.push(
                    // Diagnostic: E0305 unknown-override-target
                    Diagnostic::error(
                        E0305,
                        file,
                        entry.path_range(),
                        "an instance sets its own inputs only",
                    )
                    .with_label("dotted path")
                    .with_help(format!("write `{} = {{ ... }}`", entry.path[0].name)),
                );
                continue;
            }
            merger.apply(&mut node, &entry.path, entry, file);
        }
        vacant.insert(node);
    }
    // `project` and parameters take precedence over a layer of the same name in overrides.
    if (layer_name == "project" && index.project.is_some()) || index.params.contains_key(layer_name)
    {
        return config;
    }
    for (i, (env_name, env_ref)) in env_chain(db, workspace, env).envs.iter().enumerate() {
        let overrides_layer = index
            .env_heads
            .get(env_name)
            .is_some_and(|heads| heads.contains(layer_name));
        if !overrides_layer {
            continue;
        }
        let place = match at {
            SyntaxAt::Real => 0,
            SyntaxAt::Placed => PLACE_STRIDE * (i as u32 + 1),
        };
        let entries = env_layer_entries(db, env_ref.file, env_ref.idx, layer, place);
        let env_name: Arc<str> = Arc::from(env_name.as_str());
        let mut merger = Merger {
            env: Some(env_name),
            seen: SeenPaths::default(),
            diagnostics: &mut config.diagnostics,
        };
        for entry in entries {
            let file = env_ref.file;
            let head = &entry.path[0];
            let Some(instance) = entry.path.get(1) else {
                merger.diagnostics.push(
                    // Diagnostic: E0305 unknown-override-target
                    Diagnostic::error(
                        E0305,
                        file,
                        head.range,
                        format!("cannot override layer `{}` as a whole", head.name),
                    )
                    .with_label("a layer")
                    .with_help(format!(
                        "override an instance's inputs: `{}.INSTANCE.INPUT = ...`",
                        head.name
                    )),
                );
                continue;
            };
            match config.instances.get_mut(&instance.name) {
                Some(node) => merger.apply(node, &entry.path[2..], entry, file),
                None => {
                    merger.diagnostics.push(
                        // Diagnostic: E0305 unknown-override-target
                        Diagnostic::error(
                            E0305,
                            file,
                            instance.range,
                            format!("layer `{}` has no instance `{}`", head.name, instance.name),
                        )
                        .with_label("no such instance")
                        .with_help_opt(did_you_mean(
                            &instance.name,
                            l.instances.iter().map(|i| i.name.name.as_str()),
                        )),
                    );
                }
            }
        }
    }
    config
}

/// An instance's inputs as the merge of its body gives them, built in one pass when the body
/// is plain: every entry sets one input (no dotted path, no `+=`) and no key is set twice, at
/// the top or inside a record literal. Then the merge has nothing to report and would build the
/// same node; `None` leaves any other body to the merge.
fn plain_instance(body: &Block, def: Def) -> Option<Node> {
    let mut keyed = Vec::with_capacity(body.entries.len());
    for entry in &body.entries {
        let ([key], false) = (entry.path.as_slice(), entry.append) else {
            return None;
        };
        keyed.push((key, entry));
    }
    // Sorted first, so that the slots are built in key order instead of moved into it.
    keyed.sort_unstable_by(|(a, _), (b, _)| a.name.cmp(&b.name));
    if keyed
        .windows(2)
        .any(|pair| pair[0].0.name == pair[1].0.name)
    {
        return None;
    }
    let mut repeated = false;
    let entries = keyed
        .into_iter()
        .map(|(key, entry)| {
            let slot = Slot::build(&def, key, &entry.value, &mut repeated);
            (key.name.clone(), slot)
        })
        .collect();
    (!repeated).then_some(Node::Record {
        entries: Entries(entries),
        def,
        overrode: Vec::new(),
    })
}

#[salsa::tracked(returns(ref))]
pub fn effective_config<'db>(
    db: &'db dyn Db,
    workspace: Workspace,
    env: EnvName<'db>,
) -> EffectiveConfig {
    let index = project_index(db, workspace);
    let chain = env_chain(db, workspace, env);
    // An environment whose chain is whole starts from its parent's merged configuration, so that
    // checking every environment of a chain of N merges each environment's entries once, not N
    // times. A chain with a cycle or an unknown parent is merged from the base.
    let n = chain.envs.len();
    let (mut config, from) = if n >= 2 && chain.diagnostics.is_empty() {
        let parent = EnvName::new(db, chain.envs[n - 2].0.clone());
        let parent_config = crate::syntax::grow(|| effective_config(db, workspace, parent));
        (parent_config.clone(), n - 1)
    } else {
        (base_config(db, index), 0)
    };
    config.env = env.name(db).clone();
    config.chain = chain.envs.iter().map(|(n, _)| n.clone()).collect();
    for (env_name, env_ref) in &chain.envs[from..] {
        apply_env(db, index, &mut config, env_name, *env_ref);
    }
    config
}

/// The project's settings and the parameters' defaults, before any environment.
fn base_config(db: &dyn Db, index: &ProjectIndex) -> EffectiveConfig {
    let mut config = EffectiveConfig::default();
    if let Some(project) = index.project {
        if let ItemKind::Project(p) = &project.item(db).kind {
            let def = Def {
                file: project.file,
                range: p.body.range,
                env: None,
            };
            let mut node = Node::empty_record(def);
            let mut merger = Merger {
                env: None,
                seen: SeenPaths::default(),
                diagnostics: &mut config.diagnostics,
            };
            for entry in &p.body.entries {
                merger.apply(&mut node, &entry.path, entry, project.file);
            }
            config.project = Some(node);
        }
    }
    for (name, param) in &index.params {
        if let ItemKind::Param(p) = &param.item(db).kind {
            if let Some(default) = &p.default {
                let def = Def {
                    file: param.file,
                    range: default.range,
                    env: None,
                };
                config.params.insert(
                    name.clone(),
                    Node::from_expr(&Arc::new(default.clone()), def),
                );
            }
        }
    }
    config
}

/// Applies one environment's entries for the project and the parameters (layers merge apart, in
/// `merge_layer`).
fn apply_env(
    db: &dyn Db,
    index: &ProjectIndex,
    config: &mut EffectiveConfig,
    env_name: &str,
    env_ref: ItemRef,
) {
    let ItemKind::Env(env_def) = &env_ref.item(db).kind else {
        return;
    };
    let env_name: Arc<str> = Arc::from(env_name);
    let mut merger = Merger {
        env: Some(env_name.clone()),
        seen: SeenPaths::default(),
        diagnostics: &mut config.diagnostics,
    };
    for entry in &env_def.body.entries {
        let file = env_ref.file;
        let head = &entry.path[0];
        if head.name == "project" && index.project.is_some() {
            if let Some(node) = config.project.as_mut() {
                merger.apply(node, &entry.path[1..], entry, file);
            }
        } else if index.params.contains_key(&head.name) {
            let slot = config.params.entry(head.name.clone());
            match slot {
                std::collections::btree_map::Entry::Occupied(mut o) => {
                    merger.apply(o.get_mut(), &entry.path[1..], entry, file)
                }
                std::collections::btree_map::Entry::Vacant(v) => {
                    let def = Def {
                        file,
                        range: entry.value.range,
                        env: Some(env_name.clone()),
                    };
                    let node = v.insert(Node::empty_record(def));
                    merger.apply_fresh(node, &entry.path[1..], entry, file);
                }
            }
        } else if index.layers.contains_key(&head.name) {
            // Merged per layer, by `layer_config`.
        } else {
            let candidates: Vec<&str> = index
                .params
                .keys()
                .chain(index.layers.keys())
                .map(String::as_str)
                .chain(std::iter::once("project"))
                .collect();
            merger.diagnostics.push(
                // Diagnostic: E0305 unknown-override-target
                Diagnostic::error(
                    E0305,
                    file,
                    head.range,
                    format!("`{}` is not a parameter, a layer or `project`", head.name),
                )
                .with_label("nothing to override")
                .with_help_opt(did_you_mean(&head.name, candidates)),
            );
        }
    }
}

/// Applies the entries of one environment (or of the base) and remembers which leaf paths it set.
struct Merger<'a, 'p> {
    env: Option<Arc<str>>,
    /// Leaf paths set by this environment, with where they were set, to find duplicates.
    seen: SeenPaths<'p>,
    diagnostics: &'a mut Vec<Diagnostic>,
}

/// The leaf paths one environment set, as a trie of segments borrowed from the syntax tree: one
/// walk per path finds a conflict, and recording a path allocates no strings. The children are
/// hashed, not sorted (a sorted map compared every segment with several keys of a wide layer);
/// only a conflict, which is rare, looks for the first key in sort order.
#[derive(Default)]
struct SeenPaths<'p> {
    children: rustc_hash::FxHashMap<&'p str, SeenPaths<'p>>,
    /// Where the path that ends here was set; a node with children never has one.
    at: Option<(SourceFile, TextRange)>,
}

impl<'p> SeenPaths<'p> {
    /// Records `path`, unless a path already set equals it, contains it, or lies inside it: then
    /// returns that path (the shortest containing one, else the first inside it in sort order).
    fn insert(
        &mut self,
        path: &[&'p str],
        at: (SourceFile, TextRange),
    ) -> Option<(Vec<String>, (SourceFile, TextRange))> {
        let owned =
            |segments: &[&str]| -> Vec<String> { segments.iter().map(|s| s.to_string()).collect() };
        let mut node = &*self;
        let mut found_all = true;
        for (depth, segment) in path.iter().enumerate() {
            match node.children.get(segment) {
                Some(child) => {
                    if let Some(seen) = child.at {
                        return Some((owned(&path[..=depth]), seen));
                    }
                    node = child;
                }
                None => {
                    found_all = false;
                    break;
                }
            }
        }
        if found_all {
            let mut inside = owned(path);
            while let Some((segment, child)) = node.children.iter().min_by_key(|(key, _)| **key) {
                inside.push(segment.to_string());
                if let Some(seen) = child.at {
                    return Some((inside, seen));
                }
                node = child;
            }
        }
        let mut node = self;
        for segment in path {
            node = node.children.entry(segment).or_default();
        }
        node.at = Some(at);
        None
    }
}

impl<'p> Merger<'_, 'p> {
    fn apply(&mut self, node: &mut Node, rest: &[Ident], entry: &'p Entry, file: SourceFile) {
        let mut full: Vec<&'p str> = entry.path.iter().map(|s| s.name.as_str()).collect();
        self.note_leaves(&mut full, &entry.value, entry, file);
        self.set(node, rest, entry, file);
    }

    fn apply_fresh(&mut self, node: &mut Node, rest: &[Ident], entry: &'p Entry, file: SourceFile) {
        let def = Def {
            file,
            range: entry.value.range,
            env: self.env.clone(),
        };
        if rest.is_empty() && !entry.append {
            *node = Node::from_expr(&entry.value, def);
            let mut full: Vec<&'p str> = entry.path.iter().map(|s| s.name.as_str()).collect();
            self.note_leaves(&mut full, &entry.value, entry, file);
        } else {
            self.apply(node, rest, entry, file);
        }
    }

    /// Records every leaf path the entry sets; a path set twice in one environment is E0303.
    fn note_leaves(
        &mut self,
        path: &mut Vec<&'p str>,
        value: &'p Expr,
        entry: &Entry,
        file: SourceFile,
    ) {
        if let (ExprKind::Record(entries), false) = (&value.kind, entry.append) {
            if !entries.is_empty() {
                for record_entry in entries {
                    path.push(record_entry.key.name.as_str());
                    self.note_leaves(path, &record_entry.value, entry, file);
                    path.pop();
                }
                return;
            }
        }
        let conflict = self.seen.insert(path, (file, value.range));
        if let Some((seen_path, (seen_file, seen_range))) = conflict {
            self.diagnostics.push(
                // Diagnostic: E0303 duplicate-assignment
                Diagnostic::error(
                    E0303,
                    file,
                    value.range,
                    format!("`{}` is set twice in this environment", path.join(".")),
                )
                .with_label("second assignment")
                .with_secondary(
                    seen_file,
                    seen_range,
                    format!("`{}` first set here", seen_path.join(".")),
                )
                .with_help("keep one assignment; to add to a list, use `+=` once"),
            );
        }
    }

    fn set(&mut self, node: &mut Node, rest: &[Ident], entry: &Entry, file: SourceFile) {
        let def = Def {
            file,
            range: entry.value.range,
            env: self.env.clone(),
        };
        match rest.split_first() {
            Some((head, tail)) => {
                if let Node::Leaf {
                    expr,
                    def: leaf_def,
                    ..
                } = node
                {
                    // Setting a key inside a value that is not a record literal: turn it into one
                    // only when it is empty so far; otherwise the key has no place to go.
                    if !matches!(expr.kind, ExprKind::Missing) {
                        self.diagnostics.push(
                            // Diagnostic: E0305 unknown-override-target
                            Diagnostic::error(
                                E0305,
                                file,
                                head.range,
                                format!(
                                    "cannot set `{}` inside a value that is not a record",
                                    head.name
                                ),
                            )
                            .with_label("not a record here")
                            .with_secondary(
                                leaf_def.file,
                                leaf_def.range,
                                "the value being overridden",
                            )
                            .with_help("replace the whole value instead"),
                        );
                        return;
                    }
                    *node = Node::empty_record(def.clone());
                }
                let Node::Record { entries, .. } = node else {
                    return;
                };
                let slot = entries.get_or_insert_with(&head.name, || Slot {
                    key_file: file,
                    key_range: head.range,
                    node: Node::Leaf {
                        expr: Arc::new(Expr {
                            kind: ExprKind::Missing,
                            range: head.range,
                        }),
                        def: def.clone(),
                        appends: Vec::new(),
                        overrode: Vec::new(),
                    },
                });
                if tail.is_empty()
                    && !matches!(entry.value.kind, ExprKind::Record(_))
                    && !entry.append
                {
                    slot.key_file = file;
                    slot.key_range = head.range;
                }
                self.set(&mut slot.node, tail, entry, file);
            }
            None if entry.append => match node {
                Node::Leaf { appends, expr, .. } if !matches!(expr.kind, ExprKind::Missing) => {
                    appends.push((entry.value.clone(), def))
                }
                _ => *node = Node::from_expr(&entry.value, def),
            },
            None => merge_value(node, &entry.value, def),
        }
    }
}

/// Merges a value into a node: record literals merge into records, anything else replaces.
fn merge_value(node: &mut Node, value: &Arc<Expr>, def: Def) {
    if let (
        Node::Record {
            entries,
            overrode,
            def: old_def,
        },
        ExprKind::Record(new_entries),
    ) = (&mut *node, &value.kind)
    {
        // Appended, not inserted at the front: an environment at depth N of an `extends` chain
        // that overrides a value at every level would otherwise cost N² moves.
        overrode.push(std::mem::replace(old_def, def.clone()));
        for record_entry in new_entries {
            let child_def = Def {
                file: def.file,
                range: record_entry.value.range,
                env: def.env.clone(),
            };
            match entries.get_mut(&record_entry.key.name) {
                Some(slot) => merge_value(&mut slot.node, &record_entry.value, child_def),
                None => {
                    entries.insert(
                        record_entry.key.name.clone(),
                        Slot {
                            key_file: def.file,
                            key_range: record_entry.key.range,
                            node: Node::from_expr(&record_entry.value, child_def),
                        },
                    );
                }
            }
        }
        return;
    }
    // The history moves into the replacement instead of being copied on every override.
    let mut history = std::mem::take(node.overrode_mut());
    history.push(node.def().clone());
    let is_placeholder =
        matches!(node, Node::Leaf { expr, .. } if matches!(expr.kind, ExprKind::Missing));
    let mut replacement = Node::from_expr(value, def);
    if !is_placeholder {
        match &mut replacement {
            Node::Leaf { overrode, .. } | Node::Record { overrode, .. } => *overrode = history,
        }
    }
    *node = replacement;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::RootDatabase;

    #[test]
    fn a_conflict_inside_a_path_names_the_first_key_in_sort_order() {
        let db = RootDatabase::default();
        let file = SourceFile::new(&db, "t.infra".into(), Arc::from(""), false);
        let mut seen = SeenPaths::default();
        for (n, key) in ["zeta", "alpha", "mid", "beta"].into_iter().enumerate() {
            let at = (file, TextRange::new(n, n + 1));
            assert_eq!(seen.insert(&["web", "tags", key], at), None, "{key}");
        }
        let conflict = seen.insert(&["web", "tags"], (file, TextRange::new(9, 10)));
        let expected = ["web", "tags", "alpha"].map(String::from).to_vec();
        assert_eq!(conflict, Some((expected, (file, TextRange::new(1, 2)))));
        let conflict = seen.insert(&["web", "tags", "mid", "x"], (file, TextRange::new(11, 12)));
        let expected = ["web", "tags", "mid"].map(String::from).to_vec();
        assert_eq!(conflict, Some((expected, (file, TextRange::new(2, 3)))));
    }
}
