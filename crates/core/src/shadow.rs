//! Names that hide a parameter or a layer inside a layer: the warnings at their declarations.
//!
//! Inside a layer a name resolves to an instance of the layer, then a key or value of a repeated
//! layer, then a layer, then a `param` (`docs/language.md`), so an instance or a binding named like
//! a parameter or a layer makes that parameter or layer unreachable in the layer.

use crate::db::{Db, SourceFile, Workspace};
use crate::diagnostics::{Diagnostic, W0202};
use crate::project::{project_index, ItemRef};
use crate::source::TextRange;
use crate::syntax::{Ident, ItemKind};

/// One W0202 per declaration that hides a parameter or a layer.
pub fn shadowing_diagnostics(db: &dyn Db, workspace: Workspace) -> Vec<Diagnostic> {
    let index = project_index(db, workspace);
    let mut diagnostics = Vec::new();
    for (layer_name, layer_ref) in &index.layers {
        let ItemKind::Layer(layer) = &layer_ref.item(db).kind else {
            continue;
        };
        let mut declared: Vec<(&Ident, String)> = Vec::new();
        for instance in &layer.instances {
            declared.push((&instance.name, format!("instance `{}`", instance.name.name)));
        }
        if let Some(repeat) = &layer.repeat {
            declared.push((
                &repeat.key,
                format!(
                    "`{}`, the key of repeated layer `{layer_name}`,",
                    repeat.key.name
                ),
            ));
            if let Some(value) = &repeat.value {
                declared.push((
                    value,
                    format!(
                        "`{}`, the value of repeated layer `{layer_name}`,",
                        value.name
                    ),
                ));
            }
        }
        for (ident, what) in declared {
            let name = &ident.name;
            let hidden = if let Some(param) = index.params.get(name) {
                Some(("parameter", name_site(db, param)))
            } else if name != layer_name {
                // A layer's own name is never read inside it, so hiding it costs nothing.
                index
                    .layers
                    .get(name)
                    .map(|other| ("layer", name_site(db, other)))
            } else {
                None
            };
            let Some((kind, (file, range))) = hidden else {
                continue;
            };
            let how = if kind == "parameter" {
                format!("rename it to read parameter `{name}` in this layer; other layers still see the parameter")
            } else {
                format!(
                    "rename it to read layer `{name}`'s outputs (`{name}.OUTPUT`) in this layer"
                )
            };
            // Diagnostic: W0202 shadowed-name
            diagnostics.push(
                Diagnostic::warning(
                    W0202,
                    layer_ref.file,
                    ident.range,
                    format!("{what} shadows {kind} `{name}`"),
                )
                .with_label(format!("hides {kind} `{name}` in layer `{layer_name}`"))
                .with_secondary(file, range, format!("{kind} `{name}` declared here"))
                .with_help(format!(
                    "inside layer `{layer_name}`, `{name}` means {}; {how}",
                    what.trim_end_matches(',')
                )),
            );
        }
    }
    diagnostics
}

/// Where an item's name is declared.
fn name_site(db: &dyn Db, item: &ItemRef) -> (SourceFile, TextRange) {
    let range = item
        .item(db)
        .name()
        .map_or(TextRange::empty(0), |n| n.range);
    (item.file, range)
}
