//! Document symbols (the outline of a file) and workspace symbols (items by name).

use crate::db::{parse_file, Db, SourceFile, Workspace};
use crate::source::TextRange;
use crate::syntax::{Block, ItemKind};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SymbolKind {
    Project,
    Type,
    Param,
    Module,
    Input,
    Output,
    Layer,
    Instance,
    Env,
    Entry,
    Policy,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DocumentSymbol {
    pub name: String,
    pub detail: Option<String>,
    pub kind: SymbolKind,
    pub range: TextRange,
    pub selection_range: TextRange,
    pub children: Vec<DocumentSymbol>,
}

fn leaf(
    name: &str,
    detail: Option<String>,
    kind: SymbolKind,
    range: TextRange,
    selection_range: TextRange,
) -> DocumentSymbol {
    DocumentSymbol {
        name: name.to_string(),
        detail,
        kind,
        range: range.cover(selection_range),
        selection_range,
        children: Vec::new(),
    }
}

fn entries(block: &Block) -> Vec<DocumentSymbol> {
    block
        .entries
        .iter()
        .filter(|e| !e.path.is_empty())
        .map(|e| {
            leaf(
                &e.dotted(),
                None,
                SymbolKind::Entry,
                e.range,
                e.path_range(),
            )
        })
        .collect()
}

/// The outline of a file: its items, with their members as children.
pub fn document_symbols(db: &dyn Db, file: SourceFile) -> Vec<DocumentSymbol> {
    let text = file.text(db);
    let ty_text = |range: TextRange| {
        text.get(range.start as usize..range.end as usize)
            .unwrap_or_default()
            .to_string()
    };
    parse_file(db, file)
        .items
        .iter()
        .filter_map(|item| {
            let name = item.name()?;
            let (kind, detail, children) = match &item.kind {
                ItemKind::Project(p) => (SymbolKind::Project, None, entries(&p.body)),
                ItemKind::Type(t) => (SymbolKind::Type, Some(ty_text(t.ty.range)), Vec::new()),
                ItemKind::Param(p) => (SymbolKind::Param, Some(ty_text(p.ty.range)), Vec::new()),
                ItemKind::Module(m) => {
                    let mut children: Vec<DocumentSymbol> = m
                        .inputs
                        .iter()
                        .map(|i| {
                            leaf(
                                &i.name.name,
                                Some(ty_text(i.ty.range)),
                                SymbolKind::Input,
                                i.default.as_ref().map_or(i.ty.range, |d| d.range),
                                i.name.range,
                            )
                        })
                        .collect();
                    children.extend(m.outputs.iter().map(|o| {
                        leaf(
                            &o.name.name,
                            Some(ty_text(o.ty.range)),
                            SymbolKind::Output,
                            o.ty.range,
                            o.name.range,
                        )
                    }));
                    (SymbolKind::Module, None, children)
                }
                ItemKind::Layer(l) => {
                    let mut children: Vec<DocumentSymbol> = l
                        .instances
                        .iter()
                        .map(|i| DocumentSymbol {
                            children: entries(&i.body),
                            ..leaf(
                                &i.name.name,
                                Some(i.kind.name.clone()),
                                SymbolKind::Instance,
                                i.range,
                                i.name.range,
                            )
                        })
                        .collect();
                    children.extend(l.outputs.iter().map(|o| {
                        leaf(
                            &o.name.name,
                            Some(ty_text(o.ty.range)),
                            SymbolKind::Output,
                            o.value.range,
                            o.name.range,
                        )
                    }));
                    let detail = l.repeat.as_ref().map(|r| format!("for {}", r.over.name));
                    (SymbolKind::Layer, detail, children)
                }
                ItemKind::Env(e) => (
                    SymbolKind::Env,
                    e.extends.as_ref().map(|p| format!("extends {}", p.name)),
                    entries(&e.body),
                ),
                ItemKind::Policy(p) => (
                    SymbolKind::Policy,
                    Some(format!(
                        "{} {}",
                        if p.across { "across" } else { "for" },
                        p.envs
                            .iter()
                            .map(|e| e.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    )),
                    Vec::new(),
                ),
                ItemKind::Error(_) => return None,
            };
            Some(DocumentSymbol {
                name: name.name.clone(),
                detail,
                kind,
                range: item.range.cover(name.range),
                selection_range: name.range,
                children,
            })
        })
        .collect()
}

/// A symbol of the workspace that matches a query.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WorkspaceSymbol {
    pub name: String,
    pub kind: SymbolKind,
    pub file: SourceFile,
    pub range: TextRange,
    pub container: Option<String>,
}

/// Items, instances and layer outputs whose name contains the query's characters in order
/// (case-insensitive); the standard library is left out unless the query is not empty.
pub fn workspace_symbols(db: &dyn Db, workspace: Workspace, query: &str) -> Vec<WorkspaceSymbol> {
    let query = query.to_lowercase();
    let matches = |name: &str| {
        let mut chars = name.chars().flat_map(char::to_lowercase);
        query.chars().all(|q| chars.any(|c| c == q))
    };
    let mut out = Vec::new();
    for &file in workspace.files(db) {
        if file.deleted(db) || (query.is_empty() && super::is_stdlib(db, file)) {
            continue;
        }
        for symbol in document_symbols(db, file) {
            let keep_children = matches!(symbol.kind, SymbolKind::Layer | SymbolKind::Module);
            if keep_children {
                for child in &symbol.children {
                    if matches!(child.kind, SymbolKind::Instance | SymbolKind::Output)
                        && matches(&child.name)
                    {
                        out.push(WorkspaceSymbol {
                            name: child.name.clone(),
                            kind: child.kind,
                            file,
                            range: child.selection_range,
                            container: Some(symbol.name.clone()),
                        });
                    }
                }
            }
            if matches(&symbol.name) {
                out.push(WorkspaceSymbol {
                    name: symbol.name,
                    kind: symbol.kind,
                    file,
                    range: symbol.selection_range,
                    container: None,
                });
            }
        }
        if out.len() > 500 {
            break;
        }
    }
    out
}
