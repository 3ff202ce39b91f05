//! Code actions (quick fixes) computed from diagnostics: apply a "did you mean" suggestion, and
//! add a required input that an instance is missing.

use crate::db::{parse_file, Db, SourceFile, Workspace};
use crate::diagnostics::{Diagnostic, E0403, E0502};
use crate::source::TextRange;
use crate::syntax::ItemKind;
use crate::types::Ty;

use super::{SourceChange, TextEdit};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CodeAction {
    pub title: String,
    /// The diagnostic it fixes (an index into the list given to `code_actions`).
    pub diagnostic: usize,
    pub edit: SourceChange,
    pub preferred: bool,
}

/// Quick fixes for those of `diagnostics` whose primary label is in `file` and touches `range`.
pub fn code_actions(
    db: &dyn Db,
    workspace: Workspace,
    file: SourceFile,
    range: TextRange,
    diagnostics: &[Diagnostic],
) -> Vec<CodeAction> {
    let mut actions = Vec::new();
    for (idx, diagnostic) in diagnostics.iter().enumerate() {
        let primary = diagnostic.primary();
        if primary.file != file
            || primary.range.end < range.start
            || primary.range.start > range.end
        {
            continue;
        }
        if let Some(suggestion) = diagnostic.help.as_deref().and_then(suggested_name) {
            let mut edit = SourceChange::default();
            edit.insert_in(
                db,
                file,
                TextEdit {
                    range: primary.range,
                    new_text: suggestion.to_string(),
                },
            );
            actions.push(CodeAction {
                title: format!("Replace with `{suggestion}`"),
                diagnostic: idx,
                edit,
                preferred: true,
            });
        }
        if diagnostic.code == E0502 {
            if let Some(action) = declare_missing_output(db, workspace, diagnostic, idx) {
                actions.push(action);
            }
        }
        if diagnostic.code == E0403 {
            if let Some(action) = add_missing_input(db, workspace, file, diagnostic, idx) {
                actions.push(action);
            }
        }
    }
    actions
}

/// The name in "did you mean `x`?".
fn suggested_name(help: &str) -> Option<&str> {
    let rest = help.strip_prefix("did you mean `")?;
    let name = rest.strip_suffix("`?")?;
    (!name.is_empty() && !name.contains('`')).then_some(name)
}

/// "`vpc` needs input `cidr` of type ..." on an instance name: add `cidr = <placeholder>`.
fn add_missing_input(
    db: &dyn Db,
    workspace: Workspace,
    file: SourceFile,
    diagnostic: &Diagnostic,
    idx: usize,
) -> Option<CodeAction> {
    let input = diagnostic
        .message
        .split("needs input `")
        .nth(1)?
        .split('`')
        .next()?
        .to_string();
    let primary = diagnostic.primary();
    let text: &str = file.text(db);
    for item in &parse_file(db, file).items {
        let ItemKind::Layer(layer) = &item.kind else {
            continue;
        };
        let Some(instance) = layer
            .instances
            .iter()
            .find(|i| i.name.range == primary.range)
        else {
            continue;
        };
        let ty = input_type(db, workspace, &instance.kind.name, &input);
        let value = placeholder(ty.as_ref());
        let body = instance.body.range;
        let close = body.end.saturating_sub(1) as usize;
        let body_text = &text[body.start as usize..body.end as usize];
        let edit = if body_text.contains('\n') {
            // Before the line of the closing brace, indented like the entries.
            let close_line_start = text[..close].rfind('\n').map_or(0, |n| n + 1);
            let close_indent: String = text[close_line_start..close]
                .chars()
                .take_while(|c| *c == ' ' || *c == '\t')
                .collect();
            let indent = instance
                .body
                .entries
                .first()
                .map(|e| {
                    let start = e.range.start as usize;
                    let line = text[..start].rfind('\n').map_or(0, |n| n + 1);
                    text[line..start].to_string()
                })
                .filter(|s| s.trim().is_empty())
                .unwrap_or_else(|| format!("{close_indent}  "));
            TextEdit {
                range: TextRange::empty(close_line_start),
                new_text: format!("{indent}{input} = {value}\n"),
            }
        } else if instance.body.entries.is_empty() {
            TextEdit {
                range: body,
                new_text: format!("{{ {input} = {value} }}"),
            }
        } else {
            let before_close = text[..close].trim_end().len();
            TextEdit {
                range: TextRange::empty(before_close),
                new_text: format!(", {input} = {value}"),
            }
        };
        let mut change = SourceChange::default();
        change.insert_in(db, file, edit);
        return Some(CodeAction {
            title: format!("Add input `{input}`"),
            diagnostic: idx,
            edit: change,
            preferred: false,
        });
    }
    None
}

/// "layer `foundation` has no output `vpc_id`": when an instance of that layer has a module
/// output of that name, declare `output vpc_id: TYPE = INSTANCE.vpc_id` in the layer.
fn declare_missing_output(
    db: &dyn Db,
    workspace: Workspace,
    diagnostic: &Diagnostic,
    idx: usize,
) -> Option<CodeAction> {
    let mut names = diagnostic.message.split('`').skip(1).step_by(2);
    let (layer_name, output) = (names.next()?, names.next()?);
    let index = crate::project::project_index(db, workspace);
    let layer_ref = *index.layers.get(layer_name)?;
    if super::is_stdlib(db, layer_ref.file) {
        return None;
    }
    let item = layer_ref.item(db);
    let ItemKind::Layer(layer) = &item.kind else {
        return None;
    };
    let (instance, ty) = layer.instances.iter().find_map(|instance| {
        let module_ref = index.modules.get(&instance.kind.name)?;
        let ItemKind::Module(module) = &module_ref.item(db).kind else {
            return None;
        };
        let decl = module.outputs.iter().find(|o| o.name.name == output)?;
        Some((
            instance.name.name.clone(),
            super::slice(db, module_ref.file, decl.ty.range),
        ))
    })?;
    let text: &str = layer_ref.file.text(db);
    // Before the line of the layer's closing brace.
    let body_end = text[..item.range.end as usize].rfind('}')?;
    let line_start = text[..body_end].rfind('\n').map_or(0, |n| n + 1);
    if !text[line_start..body_end].trim().is_empty() {
        return None;
    }
    let mut change = SourceChange::default();
    change.insert_in(
        db,
        layer_ref.file,
        TextEdit {
            range: TextRange::empty(line_start),
            new_text: format!("  output {output}: {ty} = {instance}.{output}\n"),
        },
    );
    Some(CodeAction {
        title: format!("Declare output `{output}` in layer `{layer_name}`"),
        diagnostic: idx,
        edit: change,
        preferred: false,
    })
}

fn input_type(db: &dyn Db, workspace: Workspace, module: &str, input: &str) -> Option<Ty> {
    let index = crate::project::project_index(db, workspace);
    let item = *index.modules.get(module)?;
    let mut ignored = Vec::new();
    let sig = crate::model::module_sig(db, index, item, &mut ignored)?;
    sig.inputs
        .into_iter()
        .find(|i| i.name == input)
        .map(|i| i.ty)
}

/// A value of the type to start from.
fn placeholder(ty: Option<&Ty>) -> String {
    match ty.map(Ty::resolved) {
        Some(Ty::Bool) => "false".into(),
        Some(Ty::Int(_) | Ty::Float(_)) => "0".into(),
        Some(Ty::Enum(values)) => values
            .first()
            .map_or_else(|| "\"\"".into(), |v| format!("\"{v}\"")),
        Some(Ty::List(_)) => "[]".into(),
        Some(Ty::Map(_) | Ty::Record(_)) => "{}".into(),
        _ => "\"\"".into(),
    }
}
