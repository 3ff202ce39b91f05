//! Signature help inside an instance, kept small: on an input's line, that input alone (its type,
//! default and documentation); elsewhere in the body, the required inputs not yet set, or nothing.
//! The server asks for it only on `{` or on the user's request.

use crate::db::{parse_file, Db, SourceFile, Workspace};
use crate::project::project_index;
use crate::syntax::{ExprKind, ItemKind};

use super::slice;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignatureHelp {
    /// `network.azs: int(1..6) = 2` on an input; `network { cidr: string(cidr) }` for the
    /// required inputs not yet set.
    pub label: String,
    /// Markdown: the module's documentation.
    pub documentation: Option<String>,
    /// Each input: its byte range in `label`, and its documentation.
    pub parameters: Vec<((u32, u32), Option<String>)>,
    pub active_parameter: Option<u32>,
}

/// The signature of the module whose instance (or environment record for an instance) contains
/// `offset`.
pub fn signature_help(
    db: &dyn Db,
    workspace: Workspace,
    file: SourceFile,
    offset: u32,
) -> Option<SignatureHelp> {
    let index = project_index(db, workspace);
    let mut found: Option<(String, Vec<String>)> = None;
    for item in &parse_file(db, file).items {
        if !item.range.contains(offset) {
            continue;
        }
        match &item.kind {
            ItemKind::Layer(layer) => {
                found = layer
                    .instances
                    .iter()
                    .find(|i| i.body.range.start < offset && offset < i.body.range.end)
                    .map(|i| {
                        let set = i.body.entries.iter().map(|e| e.dotted()).collect();
                        (i.kind.name.clone(), set)
                    });
            }
            ItemKind::Env(env) => {
                found = env.body.entries.iter().find_map(|entry| {
                    let ExprKind::Record(fields) = &entry.value.kind else {
                        return None;
                    };
                    let inside = entry.value.range.start < offset && offset < entry.value.range.end;
                    let [layer, instance] = entry.path.as_slice() else {
                        return None;
                    };
                    if !inside {
                        return None;
                    }
                    let set = fields.iter().map(|f| f.key.name.clone()).collect();
                    match &index.layers.get(&layer.name)?.item(db).kind {
                        ItemKind::Layer(l) => l
                            .instances
                            .iter()
                            .find(|i| i.name.name == instance.name)
                            .map(|i| (i.kind.name.clone(), set)),
                        _ => None,
                    }
                });
            }
            _ => {}
        }
    }
    let (kind, set) = found?;
    let module_ref = *index.modules.get(&kind)?;
    let module_item = module_ref.item(db);
    let ItemKind::Module(module) = &module_item.kind else {
        return None;
    };
    let key = key_at(file.text(db), offset);
    let input_text = |input: &crate::syntax::InputDecl| {
        let mut text = format!("{}: ", input.name.name);
        if input.is_const {
            text.push_str("const ");
        }
        text.push_str(&slice(db, module_ref.file, input.ty.range));
        if let Some(default) = &input.default {
            text.push_str(" = ");
            text.push_str(&slice(db, module_ref.file, default.range));
        }
        text
    };
    if let Some(input) = module.inputs.iter().find(|i| i.name.name == key) {
        let label = format!("{kind}.{}", input_text(input));
        let start = kind.len() as u32 + 1;
        return Some(SignatureHelp {
            parameters: vec![((start, label.len() as u32), input.doc.clone())],
            label,
            documentation: input.doc.clone(),
            active_parameter: Some(0),
        });
    }
    let missing: Vec<_> = module
        .inputs
        .iter()
        .filter(|i| i.default.is_none() && !set.contains(&i.name.name))
        .collect();
    if missing.is_empty() {
        return None;
    }
    let mut label = format!("{kind} {{ ");
    let mut parameters = Vec::new();
    for (idx, input) in missing.iter().enumerate() {
        if idx > 0 {
            label.push_str(", ");
        }
        let start = label.len() as u32;
        label.push_str(&input_text(input));
        parameters.push(((start, label.len() as u32), input.doc.clone()));
    }
    label.push_str(" }");
    Some(SignatureHelp {
        label,
        documentation: Some(format!(
            "Required inputs of `{kind}` not set yet.{}",
            module_item
                .doc
                .as_ref()
                .map(|d| format!("\n\n{d}"))
                .unwrap_or_default()
        )),
        parameters,
        active_parameter: None,
    })
}

/// The key of the entry the cursor is in: the whole word after the entry's start, also its part
/// after the cursor.
fn key_at(text: &str, offset: u32) -> String {
    let offset = (offset as usize).min(text.len());
    let before = text.get(..offset).unwrap_or_default();
    let entry_start = before.rfind(['\n', '{', ',']).map_or(0, |n| n + 1);
    text.get(entry_start..)
        .unwrap_or_default()
        .trim_start()
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect()
}
