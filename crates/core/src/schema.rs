//! Resources and data sources of any provider, typed from the provider's own schema.
//!
//! `infrac schema` runs `terraform providers schema -json` for the project's providers and keeps
//! one file per provider version, `.infrac/schemas/NAMESPACE/TYPE/VERSION.jsonl`: a header line,
//! then one line per resource type and data source, sorted by kind and name, each
//! `{"kind":"resource","name":"aws_sns_topic","block":{...}}` with Terraform's block schema
//! (`attributes` and `block_types`). An instance whose kind is not a module but a resource type of
//! a cached provider (`aws_sns_topic alerts { ... }`, `data aws_iam_policy_document doc { ... }`)
//! takes its interface from that line: the attributes one may set are its inputs (required or
//! optional), nested blocks are inputs of record or list-of-record type, and every attribute is
//! an output, read at run time (`alerts.arn`).
//!
//! Only the header and the names are read when the project is loaded (`schema_index`); a line is
//! parsed when an instance names its type, so a check stays fast whatever the provider's size.

use std::collections::BTreeMap;
use std::ops::Range;

use serde::{Deserialize, Serialize};

use crate::db::{Db, ProviderSchema, SourceFile};
use crate::model::{InputSig, ModuleSig, OutputSig};
use crate::project::ProjectIndex;
use crate::source::TextRange;
use crate::syntax::{Expr, ExprKind};
use crate::types::{Field, NumConstraint, Ty};

/// The input of a resource-type instance that is Terraform's `lifecycle` block.
pub const LIFECYCLE: &str = "lifecycle";

/// Where the cached schemas live, relative to the project directory.
pub const SCHEMA_DIR: &str = ".infrac/schemas";

/// The version of the cache's format; a file of another version is written again.
pub const SCHEMA_FORMAT: u32 = 1;

/// The first line of a cached schema.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct SchemaHeader {
    pub infrac_schema: u32,
    /// The provider's registry address, `registry.terraform.io/hashicorp/aws`.
    pub provider: String,
    pub version: String,
    /// Written by `infrac schema --prune`: only the types the project used then.
    #[serde(default, skip_serializing_if = "is_false")]
    pub pruned: bool,
}

/// One line of a cached schema after the header.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SchemaEntry {
    pub kind: EntryKind,
    pub name: String,
    pub block: TfBlock,
}

#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[serde(rename_all = "lowercase")]
pub enum EntryKind {
    Resource,
    Data,
}

/// A block's schema as `terraform providers schema -json` writes it (the fields infrac reads).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct TfBlock {
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub attributes: BTreeMap<String, TfAttribute>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub block_types: BTreeMap<String, TfBlockType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub deprecated: bool,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct TfAttribute {
    /// The attribute's type in Terraform's JSON type notation; absent for a nested attribute.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub ty: Option<serde_json::Value>,
    /// The attributes of a nested attribute (protocol 6 providers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nested_type: Option<TfNestedType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub required: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    pub optional: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    pub computed: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    pub sensitive: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    pub deprecated: bool,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct TfNestedType {
    #[serde(default)]
    pub attributes: BTreeMap<String, TfAttribute>,
    #[serde(default)]
    pub nesting_mode: String,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct TfBlockType {
    pub nesting_mode: String,
    #[serde(default)]
    pub block: TfBlock,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub min_items: u64,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub max_items: u64,
}

fn is_false(b: &bool) -> bool {
    !*b
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// The names of a cached schema and where each line is; `problem` when the file is not a cache
/// infrac wrote.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SchemaIndex {
    /// The cache holds only the types the project used when it was written.
    pub pruned: bool,
    pub entries: BTreeMap<(EntryKind, String), Range<usize>>,
    pub problem: Option<String>,
}

impl SchemaIndex {
    pub fn names(&self, kind: EntryKind) -> impl Iterator<Item = &str> {
        self.entries
            .keys()
            .filter(move |(k, _)| *k == kind)
            .map(|(_, name)| name.as_str())
    }
}

/// The header and the names of a cached schema, without parsing its lines.
#[salsa::tracked(returns(ref))]
pub fn schema_index(db: &dyn Db, schema: ProviderSchema) -> SchemaIndex {
    index_text(schema.file(db).text(db))
}

fn index_text(text: &str) -> SchemaIndex {
    let mut index = SchemaIndex::default();
    let mut lines = text.split_inclusive('\n');
    let mut offset = 0;
    let header = lines.next().unwrap_or_default();
    offset += header.len();
    match serde_json::from_str::<SchemaHeader>(header) {
        Ok(h) if h.infrac_schema == SCHEMA_FORMAT => index.pruned = h.pruned,
        Ok(h) => {
            index.problem = Some(format!(
                "it is in format {} and this infrac reads format {SCHEMA_FORMAT}",
                h.infrac_schema
            ));
            return index;
        }
        Err(_) => {
            index.problem = Some("its first line is not a schema header infrac wrote".into());
            return index;
        }
    }
    for (number, line) in lines.enumerate() {
        let range = offset..offset + line.trim_end().len();
        offset += line.len();
        if line.trim().is_empty() {
            continue;
        }
        // Lines are written by `infrac schema` as `{"kind":"KIND","name":"NAME",...`.
        let parsed = line
            .strip_prefix("{\"kind\":\"")
            .and_then(|rest| rest.split_once("\",\"name\":\""))
            .and_then(|(kind, rest)| Some((kind, rest.split_once('"')?.0)));
        let kind = match parsed {
            Some(("resource", name)) => (EntryKind::Resource, name),
            Some(("data", name)) => (EntryKind::Data, name),
            _ => {
                index.problem = Some(format!("line {} is not a schema entry", number + 2));
                return index;
            }
        };
        index.entries.insert((kind.0, kind.1.to_string()), range);
    }
    index
}

/// The providers whose resource types the project's instances name (kinds that are no module,
/// `data.` dropped), by provider type: the schemas a load reads.
pub fn wanted_providers(db: &dyn Db, index: &ProjectIndex) -> std::collections::BTreeSet<String> {
    used_kinds(db, index)
        .iter()
        .map(|kind| kind.strip_prefix(crate::model::DATA_PREFIX).unwrap_or(kind))
        .filter(|name| name.contains('_'))
        .map(|name| provider_of(name).to_string())
        .collect()
}

/// The kinds the project's instances name that are no module (`data.` kept): what
/// `infrac schema --prune` keeps.
pub fn used_kinds(db: &dyn Db, index: &ProjectIndex) -> std::collections::BTreeSet<String> {
    let mut kinds = std::collections::BTreeSet::new();
    for layer in index.layers.values() {
        let crate::syntax::ItemKind::Layer(layer) = &layer.item(db).kind else {
            continue;
        };
        for instance in &layer.instances {
            let kind = instance.kind_name();
            if !index.modules.contains_key(kind.as_ref()) {
                kinds.insert(kind.into_owned());
            }
        }
    }
    kinds
}

/// The provider type a resource type belongs to: `aws` for `aws_sns_topic`.
pub fn provider_of(kind: &str) -> &str {
    kind.split_once('_').map_or(kind, |(provider, _)| provider)
}

/// What a raw resource instance is, for emission: its Terraform type and which of its inputs are
/// nested blocks (emitted as blocks, not attributes).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ResourceShape {
    pub kind: EntryKind,
    /// The Terraform type, `aws_sns_topic`.
    pub type_name: String,
    pub blocks: BTreeMap<String, BlockShape>,
    /// Attributes the provider computes and no one may set.
    pub computed: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct BlockShape {
    /// `single` or `group` nesting: one block, typed as a record rather than a list.
    pub single: bool,
    /// The attributes one may set in the block, for `dynamic` blocks.
    pub attributes: Vec<String>,
    pub blocks: BTreeMap<String, BlockShape>,
}

impl ResourceShape {
    /// How Terraform addresses the instance's resource: `aws_sns_topic` or
    /// `data.aws_iam_policy_document`, to be followed by the instance's name.
    pub fn address_root(&self) -> Vec<&str> {
        match self.kind {
            EntryKind::Resource => vec![self.type_name.as_str()],
            EntryKind::Data => vec!["data", self.type_name.as_str()],
        }
    }
}

/// The result of looking a kind up in the cached schemas.
pub enum Lookup {
    Found(Box<ModuleSig>),
    /// The kind is named after a provider whose schema is not cached.
    NoSchema {
        provider: String,
    },
    /// The provider's schema is cached but has no such type (`pruned`: the cache holds only the
    /// types the project used when it was written).
    Unknown {
        provider: String,
        help: Option<String>,
        pruned: bool,
    },
    /// The cache of the kind's provider could not be read.
    Unreadable {
        file: SourceFile,
        problem: String,
    },
}

/// The interface of a resource type (or data source, `kind`) from the project's cached schemas.
pub fn resource_sig(db: &dyn Db, index: &ProjectIndex, name: &str, kind: EntryKind) -> Lookup {
    let provider = provider_of(name);
    let Some(schema) = index.schemas.get(provider) else {
        return Lookup::NoSchema {
            provider: provider.to_string(),
        };
    };
    let schema_index = schema_index(db, *schema);
    let file = schema.file(db);
    if let Some(problem) = &schema_index.problem {
        return Lookup::Unreadable {
            file,
            problem: problem.clone(),
        };
    }
    let Some(range) = schema_index.entries.get(&(kind, name.to_string())) else {
        let help = crate::diagnostics::did_you_mean(name, schema_index.names(kind));
        return Lookup::Unknown {
            provider: provider.to_string(),
            help,
            pruned: schema_index.pruned,
        };
    };
    let line = &file.text(db)[range.clone()];
    let entry: SchemaEntry = match serde_json::from_str(line) {
        Ok(entry) => entry,
        Err(error) => {
            return Lookup::Unreadable {
                file,
                problem: format!("the entry of `{name}` does not parse: {error}"),
            }
        }
    };
    let at = TextRange::new(range.start, range.start);
    let null = || Expr {
        kind: ExprKind::Null,
        range: at,
    };
    let mut sig = ModuleSig {
        name: name.to_string(),
        source: schema.source(db).clone(),
        version: Some(schema.version(db).clone()),
        inputs: Vec::new(),
        outputs: Vec::new(),
        doc: Some(describe(&entry, schema.source(db), schema.version(db))),
        item: None,
        file,
        derived: true,
        resource: None,
    };
    let mut computed = Vec::new();
    for (attr_name, attribute) in &entry.block.attributes {
        let ty = attribute_type(attribute, file, 0);
        if attribute.required || attribute.optional {
            sig.inputs.push(InputSig {
                name: attr_name.clone(),
                ty: ty.clone(),
                is_const: false,
                default: (!attribute.required).then(null),
                doc: attribute_doc(attribute),
                range: at,
                terraform: None,
            });
        } else {
            computed.push(attr_name.clone());
        }
        sig.outputs.push(OutputSig {
            name: attr_name.clone(),
            ty: if attribute.sensitive { Ty::Secret } else { ty },
            doc: attribute.description.clone(),
            range: at,
            terraform: None,
        });
    }
    let mut blocks = BTreeMap::new();
    for (block_name, block_type) in &entry.block.block_types {
        let (ty, shape) = block_type_shape(block_type, file, 0);
        sig.inputs.push(InputSig {
            name: block_name.clone(),
            ty: ty.clone(),
            is_const: false,
            default: (block_type.min_items == 0).then(null),
            doc: Some(block_doc(block_name, block_type)),
            range: at,
            terraform: None,
        });
        sig.outputs.push(OutputSig {
            name: block_name.clone(),
            ty,
            doc: block_type.block.description.clone(),
            range: at,
            terraform: None,
        });
        blocks.insert(block_name.clone(), shape);
    }
    // Terraform's `lifecycle` meta-argument, unless the type has an attribute of that name.
    if !sig.inputs.iter().any(|i| i.name == LIFECYCLE) {
        let optional = |name: &str, ty: Ty, doc: &str| Field {
            name: name.to_string(),
            ty,
            default: Some((null_expr(), file)),
            doc: Some(doc.to_string()),
        };
        sig.inputs.push(InputSig {
            name: LIFECYCLE.to_string(),
            ty: Ty::Record(vec![
                optional(
                    "create_before_destroy",
                    Ty::Bool,
                    "Create the replacement before destroying the old object.",
                ),
                optional(
                    "ignore_changes",
                    Ty::List(Box::new(Ty::Str(None))),
                    "Attributes whose changes made outside Terraform are ignored.",
                ),
                optional(
                    "prevent_destroy",
                    Ty::Bool,
                    "Refuse any plan that would destroy the object.",
                ),
            ]),
            is_const: true,
            default: Some(null()),
            doc: Some(
                "Terraform's `lifecycle` block: `{ prevent_destroy = true, ignore_changes = [\"tags\"] }`."
                    .into(),
            ),
            range: at,
            terraform: None,
        });
    }
    sig.resource = Some(ResourceShape {
        kind,
        type_name: name.to_string(),
        blocks,
        computed,
    });
    Lookup::Found(Box::new(sig))
}

fn describe(entry: &SchemaEntry, source: &str, version: &str) -> String {
    let what = match entry.kind {
        EntryKind::Resource => "Resource",
        EntryKind::Data => "Data source",
    };
    let mut doc = format!("{what} `{}` of provider `{source}` {version}.", entry.name);
    if let Some(description) = &entry.block.description {
        doc = format!("{description}\n\n{doc}");
    }
    if entry.block.deprecated {
        doc.push_str(" Deprecated.");
    }
    doc
}

fn attribute_doc(attribute: &TfAttribute) -> Option<String> {
    let mut notes = Vec::new();
    if attribute.optional && attribute.computed {
        notes.push("computed by the provider when unset");
    }
    if attribute.deprecated {
        notes.push("deprecated");
    }
    match (&attribute.description, notes.is_empty()) {
        (Some(d), true) => Some(d.clone()),
        (Some(d), false) => Some(format!("{d} ({})", notes.join(", "))),
        (None, false) => Some(capitalized(&notes.join(", "))),
        (None, true) => None,
    }
}

fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_uppercase().chain(chars).collect::<String>() + "."
    })
}

fn block_doc(name: &str, block_type: &TfBlockType) -> String {
    let count = match (block_type.min_items, block_type.max_items) {
        (_, 1) => String::new(),
        (0, 0) => String::new(),
        (min, 0) => format!(", at least {min}"),
        (0, max) => format!(", at most {max}"),
        (min, max) if min == max => format!(", exactly {min}"),
        (min, max) => format!(", {min} to {max}"),
    };
    let written = if is_single(block_type) {
        format!("`{name} = {{ ... }}`")
    } else {
        format!("`{name} = [{{ ... }}, ...]`")
    };
    let mut doc = format!("Nested block{count}, written {written}.");
    if let Some(description) = &block_type.block.description {
        doc = format!("{description}\n\n{doc}");
    }
    doc
}

/// A block written at most once: `single` and `group` nesting, and a list or set of at most one
/// (`max_items = 1`, the usual way of providers on protocol 5): a record, not a list of one.
fn is_single(block_type: &TfBlockType) -> bool {
    matches!(block_type.nesting_mode.as_str(), "single" | "group")
        || (matches!(block_type.nesting_mode.as_str(), "list" | "set") && block_type.max_items == 1)
}

/// The type of a nested block input, and the shape emission needs.
fn block_type_shape(block_type: &TfBlockType, file: SourceFile, depth: usize) -> (Ty, BlockShape) {
    let (record, blocks) = block_record(&block_type.block, file, depth + 1);
    let single = is_single(block_type);
    let attributes = block_type
        .block
        .attributes
        .iter()
        .filter(|(_, a)| a.required || a.optional)
        .map(|(name, _)| name.clone())
        .collect();
    let ty = match block_type.nesting_mode.as_str() {
        _ if single => record,
        "map" => Ty::Map(Box::new(record)),
        _ => Ty::List(Box::new(record)),
    };
    (
        ty,
        BlockShape {
            single,
            attributes,
            blocks,
        },
    )
}

/// A nested block's contents as a record type: its settable attributes and its blocks.
fn block_record(
    block: &TfBlock,
    file: SourceFile,
    depth: usize,
) -> (Ty, BTreeMap<String, BlockShape>) {
    let optional = |file| Some((null_expr(), file));
    let mut fields = Vec::new();
    let mut blocks = BTreeMap::new();
    if depth > crate::syntax::MAX_NESTING {
        return (Ty::Any, blocks);
    }
    for (name, attribute) in &block.attributes {
        if !(attribute.required || attribute.optional) {
            continue;
        }
        fields.push(Field {
            name: name.clone(),
            ty: attribute_type(attribute, file, depth + 1),
            default: (!attribute.required).then(|| optional(file)).flatten(),
            doc: attribute_doc(attribute),
        });
    }
    for (name, block_type) in &block.block_types {
        let (ty, shape) = block_type_shape(block_type, file, depth + 1);
        fields.push(Field {
            name: name.clone(),
            ty,
            default: (block_type.min_items == 0)
                .then(|| optional(file))
                .flatten(),
            doc: Some(block_doc(name, block_type)),
        });
        blocks.insert(name.clone(), shape);
    }
    fields.sort_by(|a, b| a.name.cmp(&b.name));
    (Ty::Record(fields), blocks)
}

fn null_expr() -> Expr {
    Expr {
        kind: ExprKind::Null,
        range: TextRange::default(),
    }
}

fn attribute_type(attribute: &TfAttribute, file: SourceFile, depth: usize) -> Ty {
    if let Some(nested) = &attribute.nested_type {
        let block = TfBlock {
            attributes: nested.attributes.clone(),
            ..TfBlock::default()
        };
        let (record, _) = block_record(&block, file, depth + 1);
        return match nested.nesting_mode.as_str() {
            "single" => record,
            "map" => Ty::Map(Box::new(record)),
            _ => Ty::List(Box::new(record)),
        };
    }
    attribute
        .ty
        .as_ref()
        .map_or(Ty::Any, |ty| json_type(ty, file, depth))
}

/// A type in Terraform's JSON notation (`"string"`, `["list","string"]`,
/// `["object",{"a":"number"}]`): the same mapping as a `variable`'s type constraint (`set` is a
/// list, `number` is a float, a tuple a list of its one element type).
pub fn json_type(ty: &serde_json::Value, file: SourceFile, depth: usize) -> Ty {
    use serde_json::Value as J;
    if depth > crate::syntax::MAX_NESTING {
        return Ty::Any;
    }
    let element = |t: &J| Box::new(json_type(t, file, depth + 1));
    match ty {
        J::String(s) => match s.as_str() {
            "string" => Ty::Str(None),
            "number" => Ty::Float(NumConstraint::None),
            "bool" => Ty::Bool,
            _ => Ty::Any,
        },
        J::Array(parts) => match (parts.first().and_then(J::as_str), parts.get(1)) {
            (Some("list" | "set"), Some(t)) => Ty::List(element(t)),
            (Some("map"), Some(t)) => Ty::Map(element(t)),
            (Some("object"), Some(J::Object(attributes))) => {
                let optional: Vec<&str> = parts
                    .get(2)
                    .and_then(J::as_array)
                    .map(|names| names.iter().filter_map(J::as_str).collect())
                    .unwrap_or_default();
                Ty::Record(
                    attributes
                        .iter()
                        .map(|(name, t)| Field {
                            name: name.clone(),
                            ty: json_type(t, file, depth + 1),
                            default: optional
                                .contains(&name.as_str())
                                .then(|| (null_expr(), file)),
                            doc: None,
                        })
                        .collect(),
                )
            }
            (Some("tuple"), Some(J::Array(items))) => {
                let types: Vec<Ty> = items
                    .iter()
                    .map(|t| json_type(t, file, depth + 1))
                    .collect();
                let first = types.first().cloned().unwrap_or(Ty::Any);
                Ty::List(Box::new(if types.iter().all(|t| *t == first) {
                    first
                } else {
                    Ty::Any
                }))
            }
            _ => Ty::Any,
        },
        _ => Ty::Any,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CACHE: &str = concat!(
        r#"{"infrac_schema":1,"provider":"registry.terraform.io/hashicorp/aws","version":"5.100.0"}"#,
        "\n",
        r#"{"kind":"data","name":"aws_region","block":{"attributes":{"name":{"type":"string","computed":true}}}}"#,
        "\n",
        r#"{"kind":"resource","name":"aws_sns_topic","block":{"attributes":{"arn":{"type":"string","computed":true}}}}"#,
        "\n",
    );

    #[test]
    fn the_index_reads_names_and_lines_without_parsing_them() {
        let index = index_text(CACHE);
        assert_eq!(index.problem, None);
        assert!(!index.pruned);
        let range = index.entries[&(EntryKind::Resource, "aws_sns_topic".into())].clone();
        assert!(CACHE[range].starts_with(r#"{"kind":"resource","name":"aws_sns_topic""#));
        assert_eq!(
            index.names(EntryKind::Data).collect::<Vec<_>>(),
            ["aws_region"]
        );
    }

    #[test]
    fn a_file_infrac_did_not_write_is_a_problem() {
        assert!(index_text("{}\n").problem.is_some());
        let other = CACHE.replace("\"infrac_schema\":1", "\"infrac_schema\":7");
        assert!(index_text(&other).problem.unwrap().contains("format 7"));
        let broken = format!("{CACHE}garbage\n");
        assert_eq!(
            index_text(&broken).problem.as_deref(),
            Some("line 4 is not a schema entry")
        );
    }

    #[test]
    fn terraform_json_types_map_to_infrac_types() {
        let db = crate::db::RootDatabase::default();
        let file = SourceFile::new(&db, "s".into(), "".into(), false);
        let ty = |json: &str| json_type(&serde_json::from_str(json).unwrap(), file, 0);
        assert_eq!(ty(r#""string""#), Ty::Str(None));
        assert_eq!(
            ty(r#"["set","number"]"#),
            Ty::List(Box::new(Ty::Float(NumConstraint::None)))
        );
        assert_eq!(ty(r#"["map","bool"]"#), Ty::Map(Box::new(Ty::Bool)));
        assert_eq!(ty(r#""dynamic""#), Ty::Any);
        let Ty::Record(fields) = ty(r#"["object",{"a":"string","b":"number"},["b"]]"#) else {
            panic!("an object is a record");
        };
        assert!(fields[0].default.is_none() && fields[1].default.is_some());
    }
}
