//! Signature help inside an instance: the module's inputs as a signature, the input being written
//! as the active parameter.

use crate::db::{parse_file, Db, SourceFile, Workspace};
use crate::project::project_index;
use crate::syntax::{ExprKind, ItemKind};

use super::{shorten, slice};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignatureHelp {
    /// `network(cidr: string(cidr), azs: int(1..6) = 2, ...)`.
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
    let mut kind = None;
    for item in &parse_file(db, file).items {
        if !item.range.contains(offset) {
            continue;
        }
        match &item.kind {
            ItemKind::Layer(layer) => {
                kind = layer
                    .instances
                    .iter()
                    .find(|i| i.body.range.start < offset && offset < i.body.range.end)
                    .map(|i| i.kind.name.clone());
            }
            ItemKind::Env(env) => {
                kind = env.body.entries.iter().find_map(|entry| {
                    let inside = matches!(entry.value.kind, ExprKind::Record(_))
                        && entry.value.range.start < offset
                        && offset < entry.value.range.end;
                    let [layer, instance] = entry.path.as_slice() else {
                        return None;
                    };
                    if !inside {
                        return None;
                    }
                    match &index.layers.get(&layer.name)?.item(db).kind {
                        ItemKind::Layer(l) => l
                            .instances
                            .iter()
                            .find(|i| i.name.name == instance.name)
                            .map(|i| i.kind.name.clone()),
                        _ => None,
                    }
                });
            }
            _ => {}
        }
    }
    let kind = kind?;
    let module_ref = *index.modules.get(&kind)?;
    let module_item = module_ref.item(db);
    let ItemKind::Module(module) = &module_item.kind else {
        return None;
    };
    // The input being written: the key of the entry the cursor is in.
    let text: &str = file.text(db);
    let offset = (offset as usize).min(text.len());
    let before = &text[..offset];
    let entry_start = before.rfind(['\n', '{', ',']).map_or(0, |n| n + 1);
    // The whole word, also its part after the cursor.
    let key: String = text[entry_start..]
        .trim_start()
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    let mut label = format!("{kind}(");
    let mut parameters = Vec::new();
    let mut active = None;
    for (idx, input) in module.inputs.iter().enumerate() {
        if idx > 0 {
            label.push_str(", ");
        }
        let start = label.len() as u32;
        label.push_str(&input.name.name);
        label.push_str(": ");
        if input.is_const {
            label.push_str("const ");
        }
        label.push_str(&slice(db, module_ref.file, input.ty.range));
        if let Some(default) = &input.default {
            label.push_str(" = ");
            label.push_str(&shorten(&slice(db, module_ref.file, default.range), 40));
        }
        parameters.push(((start, label.len() as u32), input.doc.clone()));
        if input.name.name == key {
            active = Some(idx as u32);
        }
    }
    label.push(')');
    Some(SignatureHelp {
        label,
        documentation: module_item.doc.clone(),
        parameters,
        active_parameter: active,
    })
}
