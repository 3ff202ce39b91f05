//! Provenance through computation: the parameters and `let`s a value was computed from, each with
//! where it was set, recursively (`foundation.vpc.nat = "per_az" ← nat, set at pro.infra:3,
//! overrode pre.infra:2, default base.infra:12`).

use std::collections::BTreeSet;

use crate::config::{effective_config, layer_config, EnvName, LayerName, Node};
use crate::db::{Db, Workspace};
use crate::model::env_globals;
use crate::policy::{provenance, Provenance};
use crate::project::project_index;
use crate::syntax::{Expr, ExprKind, ItemKind, StrPart};
use crate::value::Value;

/// A parameter (or `let`) that a value read, with its value and where it was set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParamRead {
    pub name: String,
    pub value: Option<Value>,
    pub provenance: Option<Provenance>,
    /// The parameters its own value read.
    pub reads: Vec<ParamRead>,
}

/// How deep a chain of parameters reading parameters is followed.
const MAX_CHAIN: usize = 16;

/// The parameters read by the value at `path` (`param` or `layer.instance.input[.field...]`) in
/// an environment, each with its own reads.
pub fn param_reads(
    db: &dyn Db,
    workspace: Workspace,
    env: EnvName<'_>,
    path: &[String],
) -> Vec<ParamRead> {
    let mut seen = BTreeSet::new();
    if let [name] = path {
        seen.insert(name.clone());
    }
    reads_of_path(db, workspace, env, path, &mut seen, 0)
}

fn reads_of_path(
    db: &dyn Db,
    workspace: Workspace,
    env: EnvName<'_>,
    path: &[String],
    seen: &mut BTreeSet<String>,
    depth: usize,
) -> Vec<ParamRead> {
    let Some(expr) = winning_expr(db, workspace, env, path) else {
        return Vec::new();
    };
    let index = project_index(db, workspace);
    // In a layer, the layer's instances, lets and bindings hide parameters of the same name.
    let mut hidden: BTreeSet<String> = BTreeSet::new();
    if let [head, ..] = path {
        let template = head.split('-').next().unwrap_or(head);
        if let Some(layer_ref) = index.layers.get(template).filter(|_| path.len() > 1) {
            if let ItemKind::Layer(layer) = &layer_ref.item(db).kind {
                hidden.extend(layer.instances.iter().map(|i| i.name.name.clone()));
                hidden.extend(layer.lets.iter().map(|l| l.name.name.clone()));
                if let Some(repeat) = &layer.repeat {
                    hidden.insert(repeat.key.name.clone());
                    hidden.extend(repeat.value.iter().map(|v| v.name.clone()));
                }
                for instance in &layer.instances {
                    if let Some(repeat) = &instance.repeat {
                        hidden.insert(repeat.key.name.clone());
                        hidden.extend(repeat.value.iter().map(|v| v.name.clone()));
                    }
                }
            }
        }
    }
    let mut names = Vec::new();
    referenced(&expr, &mut Vec::new(), &mut names);
    let globals = env_globals(db, workspace, env);
    let mut out = Vec::new();
    for name in names {
        if hidden.contains(&name) || !index.params.contains_key(&name) || !seen.insert(name.clone())
        {
            continue;
        }
        let single = std::slice::from_ref(&name);
        let reads = if depth + 1 < MAX_CHAIN {
            reads_of_path(db, workspace, env, single, seen, depth + 1)
        } else {
            Vec::new()
        };
        out.push(ParamRead {
            value: globals.params.get(&name).cloned().flatten(),
            provenance: provenance(db, workspace, env, single),
            reads,
            name,
        });
    }
    out
}

/// The expression that set the value at `path` in this environment.
fn winning_expr(
    db: &dyn Db,
    workspace: Workspace,
    env: EnvName<'_>,
    path: &[String],
) -> Option<Expr> {
    let index = project_index(db, workspace);
    let config = effective_config(db, workspace, env);
    let (head, rest) = path.split_first()?;
    let template = head.split('-').next().unwrap_or(head);
    let node: Option<&Node> = if index.params.contains_key(head) {
        config.params.get(head).and_then(|n| n.get(rest))
    } else if index.layers.contains_key(template) && rest.len() >= 2 {
        let layer = LayerName::new(db, template.to_string());
        return match layer_config(db, workspace, env, layer)
            .instances
            .get(&rest[0])
            .and_then(|n| n.get(&rest[1..]))
        {
            Some(Node::Leaf { expr, .. }) => Some((**expr).clone()),
            _ => None,
        };
    } else {
        None
    };
    match node? {
        Node::Leaf { expr, .. } => Some((**expr).clone()),
        Node::Record { .. } => None,
    }
}

/// The first segment of every reference in `expr`, in order, without the names a `for`
/// expression binds.
pub(crate) fn referenced(expr: &Expr, bound: &mut Vec<String>, out: &mut Vec<String>) {
    crate::syntax::grow(|| match &expr.kind {
        ExprKind::Ref(path) => {
            if let Some(head) = path.first() {
                if !bound.contains(&head.name) && !out.contains(&head.name) {
                    out.push(head.name.clone());
                }
            }
        }
        ExprKind::Str(parts) => {
            for part in parts {
                if let StrPart::Interp(inner) = part {
                    referenced(inner, bound, out);
                }
            }
        }
        ExprKind::List(items) => items.iter().for_each(|i| referenced(i, bound, out)),
        ExprKind::Call(call) => call.args.iter().for_each(|i| referenced(i, bound, out)),
        ExprKind::Record(entries) => {
            entries
                .iter()
                .for_each(|e| referenced(&e.value, bound, out));
        }
        ExprKind::Index(a, b) | ExprKind::Binary(_, a, b) => {
            referenced(a, bound, out);
            referenced(b, bound, out);
        }
        ExprKind::Unary(_, a) | ExprKind::Attr(a, _) => referenced(a, bound, out),
        ExprKind::Cond(a, b, c) => {
            referenced(a, bound, out);
            referenced(b, bound, out);
            referenced(c, bound, out);
        }
        ExprKind::For(f) => {
            referenced(&f.collection, bound, out);
            let depth = bound.len();
            bound.extend(f.key_var.iter().map(|v| v.name.clone()));
            bound.push(f.value_var.name.clone());
            for inner in [f.key.as_ref(), Some(&f.value), f.condition.as_ref()]
                .into_iter()
                .flatten()
            {
                referenced(inner, bound, out);
            }
            bound.truncate(depth);
        }
        ExprKind::Int(_)
        | ExprKind::Float(_)
        | ExprKind::Bool(_)
        | ExprKind::Null
        | ExprKind::Missing => {}
    })
}
