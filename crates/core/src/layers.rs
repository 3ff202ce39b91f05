//! The layer graph: dependency order with a stable tie-break, `NN-name` numbering, and cycles.

use std::collections::{BTreeSet, HashMap};

use petgraph::graph::{DiGraph, NodeIndex};

use crate::diagnostics::{Diagnostic, E0501};
use std::sync::Arc;

use crate::model::{LayerModel, PlacedLayer};

/// Orders layers so that each comes after the layers it reads; ties keep declaration order.
/// A cycle is reported once, with its path, and its layers are placed last in declaration order.
pub fn order_layers(
    mut layers: Vec<Arc<LayerModel>>,
    declared: &HashMap<String, (usize, usize)>,
    diagnostics: &mut Vec<Diagnostic>,
) -> Vec<PlacedLayer> {
    layers.sort_by_key(|layer| {
        (
            declared
                .get(&layer.name)
                .copied()
                .unwrap_or((usize::MAX, 0)),
            layer.name.clone(),
        )
    });
    let mut graph: DiGraph<usize, ()> = DiGraph::new();
    let nodes: Vec<NodeIndex> = (0..layers.len()).map(|idx| graph.add_node(idx)).collect();
    let by_name: HashMap<&str, usize> = layers
        .iter()
        .enumerate()
        .map(|(idx, l)| (l.name.as_str(), idx))
        .collect();
    for (idx, layer) in layers.iter().enumerate() {
        for dep in &layer.depends_on {
            if let Some(&dep_idx) = by_name.get(dep.as_str()) {
                graph.add_edge(nodes[dep_idx], nodes[idx], ());
            }
        }
    }
    for component in petgraph::algo::tarjan_scc(&graph) {
        let is_cycle = component.len() > 1 || component.iter().any(|n| graph.contains_edge(*n, *n));
        if !is_cycle {
            continue;
        }
        let members: BTreeSet<usize> = component.iter().map(|n| graph[*n]).collect();
        let path = cycle_path(&layers, &members, &by_name);
        let first = &layers[path[0]];
        let names: Vec<&str> = path
            .iter()
            .chain(std::iter::once(&path[0]))
            .map(|&i| layers[i].name.as_str())
            .collect();
        let mut diagnostic = Diagnostic::error(
            E0501,
            first.file,
            first.name_range,
            // Diagnostic: E0501 layer-cycle
            format!("layers read each other's outputs in a cycle: {}", names.join(" → ")),
        )
        .with_label("this layer is part of the cycle")
        .with_help("move the shared resources into a layer that both can read, or drop one of the cross-layer references");
        for &idx in &path[1..] {
            diagnostic =
                diagnostic.with_secondary(layers[idx].file, layers[idx].name_range, "and this one");
        }
        diagnostics.push(diagnostic);
    }
    // Kahn's algorithm; the ready set is ordered by declaration position, so the order is stable.
    let mut indegree: Vec<usize> = nodes
        .iter()
        .map(|n| {
            graph
                .neighbors_directed(*n, petgraph::Direction::Incoming)
                .count()
        })
        .collect();
    let mut ready: BTreeSet<usize> = (0..layers.len()).filter(|&i| indegree[i] == 0).collect();
    let mut order = Vec::with_capacity(layers.len());
    while let Some(next) = ready.pop_first() {
        order.push(next);
        for succ in graph.neighbors_directed(nodes[next], petgraph::Direction::Outgoing) {
            let succ = graph[succ];
            indegree[succ] -= 1;
            if indegree[succ] == 0 {
                ready.insert(succ);
            }
        }
    }
    let placed: BTreeSet<usize> = order.iter().copied().collect();
    order.extend((0..layers.len()).filter(|i| !placed.contains(i)));
    let mut slots: Vec<Option<Arc<LayerModel>>> = layers.drain(..).map(Some).collect();
    order
        .into_iter()
        .enumerate()
        .map(|(position, idx)| {
            let model = slots[idx].take().expect("each layer is placed once");
            PlacedLayer {
                dir: format!("{:02}-{}", position + 1, model.name),
                model,
            }
        })
        .collect()
}

/// A walk around the cycle, starting at its first declared member.
fn cycle_path(
    layers: &[Arc<LayerModel>],
    members: &BTreeSet<usize>,
    by_name: &HashMap<&str, usize>,
) -> Vec<usize> {
    let start = *members.first().expect("a cycle has members");
    let mut path = vec![start];
    let mut current = start;
    loop {
        // Follow a dependency that stays inside the cycle.
        let next = layers[current]
            .depends_on
            .iter()
            .filter_map(|d| by_name.get(d.as_str()).copied())
            .find(|d| members.contains(d));
        match next {
            Some(n) if n == start || path.contains(&n) => break,
            Some(n) => {
                path.push(n);
                current = n;
            }
            None => break,
        }
    }
    path
}
