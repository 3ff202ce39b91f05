//! Hover: what a name is (type, docs), and for values the effective value in every environment
//! with its provenance: which file and line set it, and what it overrode.

use crate::analysis::envs_in_file;
use crate::config::{Def, EnvName};
use crate::db::{Db, SourceFile, Workspace};
use crate::model::{env_model, EnvModel};
use crate::policy::{policy_results, provenance};
use crate::project::{project_index, ProjectIndex};
use crate::source::TextRange;
use crate::syntax::{Expr, ExprKind, Ident, InputDecl, Item, ItemKind, Layer, ModuleDef, StrPart};
use crate::value::Value;

use super::symbols::{file_symbols, Symbol};
use super::{file_line, slice};

/// How much of a value a hover shows; values are not cut below this, so that a hover shows what a
/// value is rather than its start.
const SHOWN_CHARS: usize = 2000;

/// A value's text on one line, in full up to `SHOWN_CHARS` characters; a longer one says how many
/// characters follow and where to read them.
fn full_value(text: &str) -> String {
    let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let count = one_line.chars().count();
    if count <= SHOWN_CHARS {
        return one_line;
    }
    let shown: String = one_line.chars().take(SHOWN_CHARS).collect();
    format!(
        "{shown}… ({} more characters: infrac explain ENV_FILE PATH prints it all)",
        count - SHOWN_CHARS
    )
}

/// Hover content as Markdown, for the range it describes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HoverResult {
    pub range: TextRange,
    pub markdown: String,
}

/// A function's signature and documentation, when `offset` is on the name of a call.
fn function_at(text: &str, offset: u32) -> Option<HoverResult> {
    let offset = (offset as usize).min(text.len());
    let is_word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let start = text[..offset]
        .char_indices()
        .rev()
        .take_while(|(_, c)| is_word(*c))
        .last()
        .map_or(offset, |(i, _)| i);
    let end = text[offset..]
        .char_indices()
        .find(|(_, c)| !is_word(*c))
        .map_or(text.len(), |(i, _)| offset + i);
    if start == end || !text[end..].starts_with('(') || text[..start].ends_with('.') {
        return None;
    }
    let function = crate::functions::signature(&text[start..end])?;
    Some(HoverResult {
        range: TextRange::new(start, end),
        markdown: format!(
            "```infra\n{}\n```\n\n{}\n\nEvaluated by the compiler on compile-time values; \
             on run-time values, the same Terraform call.",
            function.text, function.doc
        ),
    })
}

/// The hover at `offset`.
pub fn hover(
    db: &dyn Db,
    workspace: Workspace,
    file: SourceFile,
    offset: u32,
) -> Option<HoverResult> {
    if let Some(found) = name_hover(db, workspace, file, offset) {
        return Some(found);
    }
    // On a value rather than a name: what its key shows (the innermost key that has something
    // to show, inside records), for the value's range.
    key_of_value_at(db, file, offset)
        .into_iter()
        .rev()
        .find_map(|(key, value_range)| {
            let found = name_hover(db, workspace, file, key)?;
            Some(HoverResult {
                range: value_range,
                markdown: found.markdown,
            })
        })
}

/// The keys whose value is under the cursor (`size = 2`, `param azs: int = 2`, an override's
/// value, and the keys of records inside it), outermost first, as the offset of each key and the
/// range of its value.
fn key_of_value_at(db: &dyn Db, file: SourceFile, offset: u32) -> Vec<(u32, TextRange)> {
    let in_value = |expr: &Expr| expr.range.contains(offset);
    let with_records = |key: u32, value: &Expr| {
        let mut keys = vec![(key, value.range)];
        record_keys(value, offset, &mut keys);
        keys
    };
    let entry_keys = |entries: &[crate::syntax::Entry]| {
        let entry = entries.iter().find(|e| in_value(&e.value))?;
        Some(with_records(entry.path.last()?.range.start, &entry.value))
    };
    crate::db::parse_file(db, file)
        .items
        .iter()
        .filter(|item| item.range.contains(offset))
        .find_map(|item| match &item.kind {
            ItemKind::Param(p) => p
                .default
                .as_ref()
                .filter(|d| in_value(d))
                .map(|d| with_records(p.name.range.start, d)),
            ItemKind::Module(m) => m.inputs.iter().find_map(|i| {
                let default = i.default.as_ref().filter(|d| in_value(d))?;
                Some(with_records(i.name.range.start, default))
            }),
            ItemKind::Layer(l) => l
                .instances
                .iter()
                .find_map(|i| entry_keys(&i.body.entries))
                .or_else(|| {
                    let output = l.outputs.iter().find(|o| in_value(&o.value))?;
                    Some(vec![(output.name.range.start, output.value.range)])
                }),
            ItemKind::Env(e) => entry_keys(&e.body.entries),
            ItemKind::Project(p) => entry_keys(&p.body.entries),
            _ => None,
        })
        .unwrap_or_default()
}

/// The keys of the records inside `expr` whose values hold `offset`, outermost first.
fn record_keys(expr: &Expr, offset: u32, keys: &mut Vec<(u32, TextRange)>) {
    let ExprKind::Record(fields) = &expr.kind else {
        return;
    };
    if let Some(field) = fields.iter().find(|f| f.value.range.contains(offset)) {
        keys.push((field.key.range.start, field.value.range));
        record_keys(&field.value, offset, keys);
    }
}

/// Hover on a name: a function, a policy's `*`, an override's last segment, or a symbol.
fn name_hover(
    db: &dyn Db,
    workspace: Workspace,
    file: SourceFile,
    offset: u32,
) -> Option<HoverResult> {
    if let Some(found) = function_at(file.text(db), offset) {
        return Some(found);
    }
    if let Some(result) = wildcard_hover(db, workspace, file, offset) {
        return Some(result);
    }
    let symbols = file_symbols(db, workspace, file);
    let occurrence = symbols.at(offset);
    let site = symbols.override_at(offset);
    let envs = ordered_envs(db, workspace, file);
    // The last segment of an environment override: the value at that path.
    if let Some(site) = site.filter(|s| s.last_range.contains(offset)) {
        let mut md = match occurrence.map(|o| &o.symbol) {
            Some(symbol) => describe(db, workspace, symbol)?,
            None => format!("```infra\n{}\n```\n", site.path.join(".")),
        };
        md.push_str(&effective_values(db, workspace, &envs, &site.path));
        return Some(HoverResult {
            range: site.last_range,
            markdown: md,
        });
    }
    let occurrence = occurrence?;
    let mut md = describe(db, workspace, &occurrence.symbol)?;
    match &occurrence.symbol {
        Symbol::Param(name) => md.push_str(&effective_values(
            db,
            workspace,
            &envs,
            std::slice::from_ref(name),
        )),
        Symbol::ModuleInput { input, .. } => {
            if let Some((layer, instance)) = &occurrence.instance {
                let path = [layer.clone(), instance.clone(), input.clone()];
                md.push_str(&effective_values(db, workspace, &envs, &path));
            }
        }
        _ => {}
    }
    Some(HoverResult {
        range: occurrence.range,
        markdown: md,
    })
}

/// A `*` of a policy rule: what the rule matched in each environment of the policy, with the
/// values.
fn wildcard_hover(
    db: &dyn Db,
    workspace: Workspace,
    file: SourceFile,
    offset: u32,
) -> Option<HoverResult> {
    let index = project_index(db, workspace);
    let (policy, rule, star) = crate::db::parse_file(db, file)
        .items
        .iter()
        .find_map(|item| match &item.kind {
            ItemKind::Policy(policy) => policy.rules.iter().find_map(|rule| {
                let star = star_at(&rule.expr, offset)?;
                Some((policy, rule, star.range))
            }),
            _ => None,
        })?;
    let mut md = code_block("*");
    md.push_str(&format!(
        "\nEach match of the rule is checked (policy `{}`).\n\n**Matches**\n",
        policy.name.name
    ));
    let envs: Vec<&str> = policy
        .envs
        .iter()
        .map(|e| e.name.as_str())
        .filter(|e| index.envs.contains_key(*e))
        .collect();
    // An `across` rule matches the same paths whichever of its environments is checked.
    let checked = if policy.across {
        &envs[..envs.len().min(1)]
    } else {
        &envs[..]
    };
    for env in checked {
        let results = policy_results(db, workspace, EnvName::new(db, env.to_string()));
        let found = results
            .matched
            .iter()
            .find(|m| m.file == file && m.range == rule.range);
        if !policy.across {
            md.push_str(&format!("\n- **{env}**"));
        }
        match found {
            Some(found) => {
                for (path, value) in &found.values {
                    let indent = if policy.across { "" } else { "  " };
                    md.push_str(&format!(
                        "\n{indent}- `{path}`: `{}`",
                        full_value(&value.to_string())
                    ));
                }
            }
            None if policy.across => {
                md.push_str("\nNothing: the rule or one of its environments has errors.");
            }
            None => md.push_str(": nothing (the rule or the environment has errors)"),
        }
    }
    md.push('\n');
    Some(HoverResult {
        range: star,
        markdown: md,
    })
}

/// The `*` segment of a path in `expr` at `offset`.
fn star_at(expr: &Expr, offset: u32) -> Option<&Ident> {
    if !expr.range.contains(offset) {
        return None;
    }
    match &expr.kind {
        ExprKind::Ref(segments) => segments
            .iter()
            .find(|s| s.name == "*" && s.range.contains(offset)),
        ExprKind::Unary(_, e) => star_at(e, offset),
        ExprKind::Binary(_, a, b) | ExprKind::Index(a, b) => {
            star_at(a, offset).or_else(|| star_at(b, offset))
        }
        ExprKind::Cond(a, b, c) => star_at(a, offset)
            .or_else(|| star_at(b, offset))
            .or_else(|| star_at(c, offset)),
        ExprKind::List(items) => items.iter().find_map(|i| star_at(i, offset)),
        ExprKind::Record(entries) => entries.iter().find_map(|e| star_at(&e.value, offset)),
        ExprKind::Str(parts) => parts.iter().find_map(|p| match p {
            StrPart::Interp(e) => star_at(e, offset),
            StrPart::Text(_) => None,
        }),
        _ => None,
    }
}

/// The environments of the workspace; those declared in `file` first.
fn ordered_envs(db: &dyn Db, workspace: Workspace, file: SourceFile) -> Vec<String> {
    let mut envs = envs_in_file(db, file);
    let index = project_index(db, workspace);
    envs.retain(|e| index.envs.contains_key(e));
    for env in index.envs.keys() {
        if !envs.contains(env) {
            envs.push(env.clone());
        }
    }
    envs
}

fn code_block(text: &str) -> String {
    format!("```infra\n{text}\n```\n")
}

fn doc_paragraph(doc: &Option<String>) -> String {
    match doc {
        Some(doc) if !doc.trim().is_empty() => format!("\n{}\n", doc.trim()),
        _ => String::new(),
    }
}

fn item_of<'db>(db: &'db dyn Db, item_ref: Option<&crate::project::ItemRef>) -> Option<&'db Item> {
    item_ref.map(|r| r.item(db))
}

/// What a symbol is: its declaration and docs; one function per kind of symbol.
pub fn describe(db: &dyn Db, workspace: Workspace, symbol: &Symbol) -> Option<String> {
    let index = project_index(db, workspace);
    match symbol {
        Symbol::Param(name) => describe_param(db, index, name),
        Symbol::Type(name) => describe_type(db, index, name),
        Symbol::BuiltinType(name) => Some(describe_builtin_type(name)),
        Symbol::Module(name) => describe_module(db, index, name),
        Symbol::ModuleInput { module, input } => {
            describe_module_input(db, workspace, index, module, input)
        }
        Symbol::ModuleOutput { module, output } => {
            describe_module_output(db, index, module, output)
        }
        Symbol::Layer(name) => describe_layer(db, workspace, index, name),
        Symbol::LayerOutput { layer, output } => describe_layer_output(db, index, layer, output),
        Symbol::Instance { layer, instance } => describe_instance(db, index, layer, instance),
        Symbol::RepeatVar { layer, var } => describe_repeat_var(db, index, layer, var),
        Symbol::Env(name) => describe_env(db, workspace, index, name),
        Symbol::Policy(name) => describe_policy(db, index, name),
        Symbol::Project(name) => {
            let item = item_of(db, index.project.as_ref())?;
            let mut md = code_block(&format!("project {name}"));
            md.push_str(&doc_paragraph(&item.doc));
            Some(md)
        }
        Symbol::Builtin(name) => Some(describe_builtin(name)),
        Symbol::Resource(kind) => describe_resource(db, index, kind),
        Symbol::ResourceAttribute {
            resource,
            attribute,
        } => describe_resource_attribute(db, index, resource, attribute),
    }
}

/// A resource type or data source from the provider's cached schema: what it is, the
/// attributes one may set (required first), and those the provider computes.
fn describe_resource(db: &dyn Db, index: &ProjectIndex, kind: &str) -> Option<String> {
    let sig = crate::model::kind_sig(db, index, kind)?;
    let resource = sig.resource.as_ref()?;
    let keyword = match resource.kind {
        crate::schema::EntryKind::Resource => "resource",
        crate::schema::EntryKind::Data => "data",
    };
    let mut md = code_block(&format!("{keyword} {}", resource.type_name));
    md.push_str(&doc_paragraph(&sig.doc));
    let mut inputs: Vec<&crate::model::InputSig> = sig.inputs.iter().collect();
    inputs.sort_by_key(|i| (i.default.is_some(), i.name.clone()));
    if !inputs.is_empty() {
        md.push_str("\n**Attributes**\n\n");
        for input in inputs {
            let required = if input.default.is_none() {
                " (required)"
            } else {
                ""
            };
            let code = format!("{}: {}{required}", input.name, input.ty.brief());
            md.push_str(&member_line(&code, &input.doc));
        }
    }
    if !resource.computed.is_empty() {
        md.push_str(&format!(
            "\n**Computed**: {}\n",
            resource
                .computed
                .iter()
                .map(|name| format!("`{name}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    Some(md)
}

/// One attribute of a resource type: its type, whether it must be set, and its description.
fn describe_resource_attribute(
    db: &dyn Db,
    index: &ProjectIndex,
    kind: &str,
    attribute: &str,
) -> Option<String> {
    let sig = crate::model::kind_sig(db, index, kind)?;
    let resource = sig.resource.as_ref()?;
    let (ty, doc, note) = match sig.inputs.iter().find(|i| i.name == attribute) {
        Some(input) if input.default.is_none() => (&input.ty, &input.doc, "required"),
        Some(input) => (&input.ty, &input.doc, "optional"),
        None => {
            let output = sig.outputs.iter().find(|o| o.name == attribute)?;
            (&output.ty, &output.doc, "computed by the provider")
        }
    };
    let mut md = code_block(&format!("{attribute}: {ty}"));
    md.push_str(&format!(
        "\nAttribute of `{}` ({note}), from the schema of `{}` {}.\n",
        resource.type_name,
        sig.source,
        sig.version.as_deref().unwrap_or_default()
    ));
    md.push_str(&doc_paragraph(doc));
    Some(md)
}

/// A module item by name: its file, its definition and the item.
fn module_def<'db>(
    db: &'db dyn Db,
    index: &'db ProjectIndex,
    name: &str,
) -> Option<(SourceFile, &'db ModuleDef, &'db Item)> {
    let item_ref = index.modules.get(name)?;
    let item = item_ref.item(db);
    match &item.kind {
        ItemKind::Module(def) => Some((item_ref.file, def, item)),
        _ => None,
    }
}

/// A layer item by name: its file and its definition.
fn layer_def<'db>(
    db: &'db dyn Db,
    index: &'db ProjectIndex,
    name: &str,
) -> Option<(SourceFile, &'db Layer)> {
    let item_ref = index.layers.get(name)?;
    let ItemKind::Layer(def) = &item_of(db, Some(item_ref))?.kind else {
        return None;
    };
    Some((item_ref.file, def))
}

/// A parameter or a project-level `let`: its declaration, default and docs.
fn describe_param(db: &dyn Db, index: &ProjectIndex, name: &str) -> Option<String> {
    let item_ref = index.params.get(name)?;
    let item = item_ref.item(db);
    let ItemKind::Param(param) = &item.kind else {
        return None;
    };
    let ty = slice(db, item_ref.file, param.ty.range);
    let default = param
        .default
        .as_ref()
        .map(|d| format!(" = {}", full_value(&slice(db, item_ref.file, d.range))))
        .unwrap_or_default();
    let mut md = if param.is_let {
        code_block(&format!("let {name}{default}"))
    } else {
        code_block(&format!("param {name}: {ty}{default}"))
    };
    md.push_str(&doc_paragraph(&item.doc));
    if param.default.is_none() {
        md.push_str("\nNo default: every environment that is built must set it.\n");
    }
    Some(md)
}

/// A named type: its definition and docs.
fn describe_type(db: &dyn Db, index: &ProjectIndex, name: &str) -> Option<String> {
    let item_ref = index.types.get(name)?;
    let item = item_ref.item(db);
    let ItemKind::Type(def) = &item.kind else {
        return None;
    };
    let ty = slice(db, item_ref.file, def.ty.range);
    let mut md = code_block(&format!("type {name} = {}", full_value(&ty)));
    md.push_str(&doc_paragraph(&item.doc));
    Some(md)
}

/// A builtin type: what its values are and how to constrain them.
fn describe_builtin_type(name: &str) -> String {
    let what = match name {
        "string" => "Text; `string(cidr)`, `string(ipv4)`, `string(region)`, `string(az)`, `string(dns)`, `string(arn)` also check a pattern.",
        "int" => "A whole number; `int(2..6)` bounds it, `int(1, 3, 5)` lists the allowed values.",
        "float" => "A number; `float(0.0..1.0)` bounds it.",
        "bool" => "`true` or `false`.",
        "enum" => "One of the given strings: `enum(\"a\", \"b\")`.",
        "list" => "`list<T>`: `[a, b, c]`.",
        "map" => "`map<T>`: `{ key = value }` with free keys.",
        "secret" => "A reference to a stored secret (the `value_from` of a `secret` or `ssm_parameter` instance, a database's `master_user_secret_arn`), never a literal; outputs that carry one are `sensitive`.",
        _ => "Anything (avoid).",
    };
    let mut md = code_block(name);
    md.push_str(&format!("\nBuiltin type. {what}\n"));
    md
}

/// A module: its docs, source and members (read from its Terraform when it declares none).
fn describe_module(db: &dyn Db, index: &ProjectIndex, name: &str) -> Option<String> {
    let (file, def, item) = module_def(db, index, name)?;
    let source = def
        .source
        .as_ref()
        .map_or_else(|| format!("stdlib/{name}"), |(s, _)| s.clone());
    let mut md = code_block(&format!("module {name}"));
    md.push_str(&doc_paragraph(&item.doc));
    md.push_str(&format!("\nSource: `{source}`\n"));
    md.push_str(&members_list(db, file, def));
    if def.inputs.is_empty() && def.outputs.is_empty() {
        md.push_str(&derived_members(db, index, name).unwrap_or_default());
    }
    Some(md)
}

/// An input of a module: its declaration, docs and allowed values.
fn describe_module_input(
    db: &dyn Db,
    workspace: Workspace,
    index: &ProjectIndex,
    module: &str,
    input: &str,
) -> Option<String> {
    let (file, def, _) = module_def(db, index, module)?;
    let Some(decl) = def.inputs.iter().find(|i| i.name.name == *input) else {
        return derived_input(db, index, module, input);
    };
    let mut md = code_block(&input_line(db, file, decl));
    md.push_str(&format!("\nInput of module `{module}`.\n"));
    md.push_str(&doc_paragraph(&decl.doc));
    if let Some(constraint) = resolved_constraint(db, workspace, file, decl) {
        md.push_str(&format!("\nAllowed: {constraint}.\n"));
    }
    Some(md)
}

/// An output of a module: its type and docs.
fn describe_module_output(
    db: &dyn Db,
    index: &ProjectIndex,
    module: &str,
    output: &str,
) -> Option<String> {
    let (file, def, _) = module_def(db, index, module)?;
    let decl = def.outputs.iter().find(|o| o.name.name == *output)?;
    let mut md = code_block(&format!(
        "output {output}: {}",
        slice(db, file, decl.ty.range)
    ));
    md.push_str(&format!(
        "\nOutput of module `{module}`: a Terraform run-time value.\n"
    ));
    md.push_str(&doc_paragraph(&decl.doc));
    Some(md)
}

/// A layer: its header, docs, instances, outputs, and its directory and reads in the first
/// environment.
fn describe_layer(
    db: &dyn Db,
    workspace: Workspace,
    index: &ProjectIndex,
    name: &str,
) -> Option<String> {
    let item_ref = index.layers.get(name)?;
    let item = item_ref.item(db);
    let ItemKind::Layer(layer) = &item.kind else {
        return None;
    };
    let header = match &layer.repeat {
        Some(repeat) => format!(
            "layer {name}({}{}) for {}",
            repeat.key.name,
            repeat
                .value
                .as_ref()
                .map(|v| format!(", {}", v.name))
                .unwrap_or_default(),
            repeat.over.name
        ),
        None => format!("layer {name}"),
    };
    let header = match layer.shared {
        Some(_) => format!("shared {header}"),
        None => header,
    };
    let mut md = code_block(&header);
    md.push_str(&doc_paragraph(&item.doc));
    if layer.shared.is_some() {
        md.push_str(&format!(
            "\nShared by every environment: one root module (`shared/NN-{name}` in every build) and one state (`{}`), applied first, once.\n",
            infrac_emit::emit::state_key(infrac_core::shared::SHARED, name)
        ));
    }
    let instances: Vec<String> = layer
        .instances
        .iter()
        .map(|i| format!("`{} {}`", i.kind.name, i.name.name))
        .collect();
    if !instances.is_empty() {
        md.push_str(&format!("\nInstances: {}\n", instances.join(", ")));
    }
    if !layer.outputs.is_empty() {
        md.push_str("\n| output | type |\n|---|---|\n");
        for output in &layer.outputs {
            md.push_str(&format!(
                "| `{}` | `{}` |\n",
                output.name.name,
                cell(&slice(db, item_ref.file, output.ty.range))
            ));
        }
    }
    md.push_str(&layer_in_first_env(db, workspace, index, name));
    Some(md)
}

/// Where a layer is built in the first environment and which layers it reads there.
fn layer_in_first_env(
    db: &dyn Db,
    workspace: Workspace,
    index: &ProjectIndex,
    name: &str,
) -> String {
    let Some(env) = index.envs.keys().next() else {
        return String::new();
    };
    let model = env_model(db, workspace, EnvName::new(db, env.clone()));
    let Some(built) = model.layers.iter().find(|l| l.name == *name) else {
        return String::new();
    };
    let reads = if built.depends_on.is_empty() {
        "no other layer".to_string()
    } else {
        built.depends_on.join(", ")
    };
    format!("\nIn `{env}`: `{}`, reads {reads}.\n", built.dir)
}

/// An output of a layer: its type, value and docs.
fn describe_layer_output(
    db: &dyn Db,
    index: &ProjectIndex,
    layer: &str,
    output: &str,
) -> Option<String> {
    let (file, def) = layer_def(db, index, layer)?;
    let decl = def.outputs.iter().find(|o| o.name.name == *output)?;
    let mut md = code_block(&format!(
        "output {layer}.{output}: {} = {}",
        slice(db, file, decl.ty.range),
        full_value(&slice(db, file, decl.value.range))
    ));
    md.push_str(&format!(
        "\nOutput of layer `{layer}`; other layers read it from its Terraform state.\n"
    ));
    md.push_str(&doc_paragraph(&decl.doc));
    Some(md)
}

/// An instance: its module, docs and the module's summary.
fn describe_instance(
    db: &dyn Db,
    index: &ProjectIndex,
    layer: &str,
    instance: &str,
) -> Option<String> {
    let (_, def) = layer_def(db, index, layer)?;
    let decl = def.instances.iter().find(|i| i.name.name == *instance)?;
    let mut md = code_block(&format!("{} {instance}", decl.kind.name));
    md.push_str(&format!(
        "\nInstance of module `{}` in layer `{layer}`.\n",
        decl.kind.name
    ));
    md.push_str(&doc_paragraph(&decl.doc));
    if let Some((_, _, module_item)) = module_def(db, index, &decl.kind.name) {
        let summary = first_sentence(&module_item.doc);
        if !summary.is_empty() {
            md.push_str(&format!("\n`{}`: {summary}\n", decl.kind.name));
        }
    }
    Some(md)
}

/// The key or value variable of a repeated layer.
fn describe_repeat_var(
    db: &dyn Db,
    index: &ProjectIndex,
    layer: &str,
    var: &str,
) -> Option<String> {
    let (_, def) = layer_def(db, index, layer)?;
    let repeat = def.repeat.as_ref()?;
    let role = if repeat.key.name == *var {
        "the key (or the element of a list)"
    } else {
        "the value"
    };
    let mut md = code_block(var);
    md.push_str(&format!(
        "\nIn each copy of layer `{layer}`: {role} of parameter `{}`.\n",
        repeat.over.name
    ));
    Some(md)
}

/// An environment: its docs and the chain of environments it inherits from.
fn describe_env(
    db: &dyn Db,
    workspace: Workspace,
    index: &ProjectIndex,
    name: &str,
) -> Option<String> {
    let item = item_of(db, index.envs.get(name))?;
    let chain = crate::config::env_chain(db, workspace, EnvName::new(db, name.to_string()));
    let names: Vec<&str> = chain.envs.iter().map(|(n, _)| n.as_str()).collect();
    let mut md = code_block(&format!("env {name}"));
    md.push_str(&doc_paragraph(&item.doc));
    md.push_str(&format!("\nInherits: base → {}\n", names.join(" → ")));
    Some(md)
}

/// A policy: its docs.
fn describe_policy(db: &dyn Db, index: &ProjectIndex, name: &str) -> Option<String> {
    let item = index
        .policies
        .iter()
        .map(|r| r.item(db))
        .find(|i| i.name().is_some_and(|n| n.name == *name))?;
    let mut md = code_block(&format!("policy {name}"));
    md.push_str(&doc_paragraph(&item.doc));
    Some(md)
}

/// A builtin string (`env`, `project`, `region`, `layer`, `instance`).
fn describe_builtin(name: &str) -> String {
    let what = match name {
        "env" => "The name of the environment being built.",
        "project" => "The project's name.",
        "region" => "The project's AWS region (after environment overrides).",
        "layer" => "The name of the layer (`client-acme` in a repeated layer).",
        _ => "The name of the instance.",
    };
    let mut md = code_block(name);
    md.push_str(&format!("\nBuiltin string. {what}\n"));
    md
}

/// The inputs and outputs of a module read from its Terraform files, as lists (`members_list`).
fn derived_members(
    db: &dyn Db,
    index: &crate::project::ProjectIndex,
    module: &str,
) -> Option<String> {
    let mut ignored = Vec::new();
    let sig = crate::model::module_sig(db, index, *index.modules.get(module)?, &mut ignored)?;
    if !sig.derived {
        return None;
    }
    let mut md = String::from("\nRead from its Terraform files.\n");
    if !sig.inputs.is_empty() {
        md.push_str("\n**Inputs**\n\n");
        for input in &sig.inputs {
            let default = match input.terraform.as_ref().and_then(|(_, d)| d.as_ref()) {
                Some(written) => format!(" = {}", full_value(written)),
                None => " (required)".to_string(),
            };
            let code = format!("{}: {}{default}", input.name, input.ty);
            md.push_str(&member_line(&code, &input.doc));
        }
    }
    if !sig.outputs.is_empty() {
        md.push_str("\n**Outputs**\n\n");
        for output in &sig.outputs {
            let code = format!("{}: {}", output.name, output.ty);
            md.push_str(&member_line(&code, &output.doc));
        }
    }
    Some(md)
}

/// An input read from a module's Terraform files: its type, Terraform default, where it is
/// declared and its description.
fn derived_input(
    db: &dyn Db,
    index: &crate::project::ProjectIndex,
    module: &str,
    input: &str,
) -> Option<String> {
    let mut ignored = Vec::new();
    let sig = crate::model::module_sig(db, index, *index.modules.get(module)?, &mut ignored)?;
    let found = sig.inputs.iter().find(|i| i.name == input)?;
    let (at, default) = found.terraform.as_ref()?;
    let default = default
        .as_ref()
        .map(|d| format!(" = {}", full_value(d)))
        .unwrap_or_default();
    let mut md = code_block(&format!("input {input}: {}{default}", found.ty));
    md.push_str(&format!(
        "\nInput of module `{module}`, read from `{}`.\n",
        at.describe(db)
    ));
    md.push_str(&doc_paragraph(&found.doc));
    Some(md)
}

fn input_line(db: &dyn Db, file: SourceFile, decl: &InputDecl) -> String {
    format!(
        "input {}: {}{}{}",
        decl.name.name,
        if decl.is_const { "const " } else { "" },
        slice(db, file, decl.ty.range),
        decl.default
            .as_ref()
            .map(|d| format!(" = {}", full_value(&slice(db, file, d.range))))
            .unwrap_or_default()
    )
}

/// A module's inputs and outputs as lists, one per line (a table of four columns needed
/// scrolling sideways in a hover): `name: type = default`, then the first sentence of its doc.
fn members_list(db: &dyn Db, file: SourceFile, def: &ModuleDef) -> String {
    let mut md = String::new();
    if !def.inputs.is_empty() {
        md.push_str("\n**Inputs**\n\n");
        for input in &def.inputs {
            let mut code = format!(
                "{}: {}{}",
                input.name.name,
                if input.is_const { "const " } else { "" },
                slice(db, file, input.ty.range)
            );
            match &input.default {
                Some(default) => {
                    code.push_str(" = ");
                    code.push_str(&slice(db, file, default.range));
                }
                None => code.push_str(" (required)"),
            }
            md.push_str(&member_line(&code, &input.doc));
        }
    }
    if !def.outputs.is_empty() {
        md.push_str("\n**Outputs**\n\n");
        for output in &def.outputs {
            let code = format!("{}: {}", output.name.name, slice(db, file, output.ty.range));
            md.push_str(&member_line(&code, &output.doc));
        }
    }
    md
}

/// One member of a module as a list item: its code, then the first sentence of its doc.
fn member_line(code: &str, doc: &Option<String>) -> String {
    let doc = first_sentence(doc);
    let code = inline_code(code);
    if doc.is_empty() {
        format!("- {code}\n")
    } else {
        format!("- {code}: {doc}\n")
    }
}

/// `text` as Markdown inline code on one line, fenced with enough backticks for the backticks
/// it holds.
fn inline_code(text: &str) -> String {
    let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let longest = one_line
        .split(|c| c != '`')
        .map(str::len)
        .max()
        .unwrap_or(0);
    let fence = "`".repeat(longest + 1);
    let pad = if one_line.starts_with('`') || one_line.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{one_line}{pad}{fence}")
}

/// A module input's constraint in words ("one of ...", "from 1 to 6"), through named types.
fn resolved_constraint(
    db: &dyn Db,
    workspace: Workspace,
    file: SourceFile,
    decl: &InputDecl,
) -> Option<String> {
    let index = project_index(db, workspace);
    let mut ignored = Vec::new();
    let ty = crate::types::TypeResolver::new(db, index).resolve(file, &decl.ty, &mut ignored);
    if let crate::types::Ty::Enum(values) = ty.resolved() {
        let quoted: Vec<String> = values.iter().map(|v| format!("`\"{v}\"`")).collect();
        return Some(format!("one of {}", quoted.join(", ")));
    }
    ty.describe_constraint()
}

fn first_sentence(doc: &Option<String>) -> String {
    let Some(doc) = doc else {
        return String::new();
    };
    let one_line = doc.split_whitespace().collect::<Vec<_>>().join(" ");
    match one_line.find(". ") {
        Some(end) => one_line[..=end].to_string(),
        None => one_line,
    }
}

/// Text for a Markdown table cell.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

/// "`file.infra:12` (env `pro`): `3`" or "(base)".
fn place(db: &dyn Db, def: &Def) -> String {
    let who = match &def.env {
        Some(env) => format!("env `{env}`"),
        None => "base".to_string(),
    };
    format!(
        "{} ({who}): `{}`",
        file_line(db, def.file, def.range.start),
        cell(&full_value(&slice(db, def.file, def.range)))
    )
}

/// The effective value at `path` in each environment, with where it was set and what it overrode.
fn effective_values(db: &dyn Db, workspace: Workspace, envs: &[String], path: &[String]) -> String {
    let mut md = String::new();
    for env in envs {
        let env_name = EnvName::new(db, env.clone());
        let model = env_model(db, workspace, env_name);
        let values = values_at(model, path);
        if values.is_empty() {
            continue;
        }
        let shown: Vec<String> = values
            .iter()
            .map(|(label, value)| {
                let text = cell(&full_value(&value.to_string()));
                match label {
                    Some(label) => format!("`{text}` ({label})"),
                    None => format!("`{text}`"),
                }
            })
            .collect();
        md.push_str(&format!("- **{env}**: {}", shown.join(", ")));
        if let Some(prov) = provenance(db, workspace, env_name, path) {
            match (&prov.def, &prov.default_of) {
                (Some(def), _) => {
                    md.push_str(&format!("  \n  set at {}", place(db, def)));
                    for old in &prov.overrode {
                        md.push_str(&format!("  \n  overrode {}", place(db, old)));
                    }
                }
                (None, Some((file, range, module))) => md.push_str(&format!(
                    "  \n  default of module `{module}` at {}",
                    file_line(db, *file, range.start)
                )),
                (None, None) => {}
            }
        }
        // The parameters the value was computed from, and where each was set.
        let mut reads: Vec<(usize, &crate::trace::ParamRead)> = Vec::new();
        let all = crate::trace::param_reads(db, workspace, env_name, path);
        let mut stack: Vec<(usize, &crate::trace::ParamRead)> =
            all.iter().rev().map(|r| (0, r)).collect();
        while let Some((depth, read)) = stack.pop() {
            reads.push((depth, read));
            stack.extend(read.reads.iter().rev().map(|r| (depth + 1, r)));
        }
        for (depth, read) in reads {
            let value = read
                .value
                .as_ref()
                .map_or_else(|| "?".to_string(), |v| cell(&full_value(&v.to_string())));
            let mut line = format!("{}← `{}` = `{value}`", "  ".repeat(depth), read.name);
            if let Some(def) = read.provenance.as_ref().and_then(|p| p.def.as_ref()) {
                line.push_str(&format!(", set at {}", place(db, def)));
            }
            md.push_str(&format!("  \n  {line}"));
        }
        md.push('\n');
    }
    if md.is_empty() {
        md
    } else {
        format!("\n**Effective values**\n\n{md}")
    }
}

/// The value at `path` (`param[.field...]` or `layer.instance.input[.field...]`) in a model;
/// a repeated layer gives one value per copy, labelled with the copy's name.
pub(crate) fn values_at(model: &EnvModel, path: &[String]) -> Vec<(Option<String>, Value)> {
    let Some((head, rest)) = path.split_first() else {
        return Vec::new();
    };
    if let Some(value) = model.params.get(head) {
        return field(value, rest).map(|v| (None, v)).into_iter().collect();
    }
    let [instance, input, fields @ ..] = rest else {
        return Vec::new();
    };
    let copy_prefix = format!("{head}-");
    model
        .layers
        .iter()
        .filter(|l| l.name == *head || l.name.starts_with(&copy_prefix))
        .filter_map(|layer| {
            let value = model.input(&layer.name, instance, input)?;
            let value = field(value, fields)?;
            let label = (layer.name != *head).then(|| layer.name.clone());
            Some((label, value))
        })
        .collect()
}

fn field(value: &Value, path: &[String]) -> Option<Value> {
    let mut current = value;
    for key in path {
        match current {
            Value::Record(entries) => current = entries.get(key)?,
            _ => return None,
        }
    }
    Some(current.clone())
}
