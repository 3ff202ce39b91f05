//! Instances of a provider's resource types and data sources (`crate::schema`), emitted as
//! `resource` and `data` blocks of the layer's root module.
//!
//! Attributes are written as attributes and nested-block inputs as blocks: a record is one
//! block, a list of records one block per item, a `null` none. A repeated instance is one
//! resource with `for_each`; a nested block that differs between its keys, or that is a
//! run-time value, is a `dynamic` block over a list, each item read with `lookup` so that an
//! attribute an item leaves out stays unset.

use std::collections::BTreeMap;

use hcl::expr::{Expression, FuncCall};
use hcl::structure::Block;

use crate::model::InstanceModel;
use crate::schema::{BlockShape, EntryKind, ResourceShape};
use crate::value::Value;

use super::{expression, ident, literal, traversal};

/// The `resource "TYPE" "NAME"` (or `data`) block of an instance of a resource type.
pub(super) fn resource_block(instance: &InstanceModel, shape: &ResourceShape) -> Block {
    let mut block = match shape.kind {
        EntryKind::Resource => Block::builder("resource"),
        EntryKind::Data => Block::builder("data"),
    }
    .add_label(shape.type_name.clone())
    .add_label(instance.name.clone());
    if let Some(keys) = &instance.for_each {
        let (varying, for_each) =
            super::for_each_object(keys, |name, value| match (value, shape.blocks.get(name)) {
                (Some(v), Some(nested)) => blocks_list(v, nested),
                (Some(v), None) => expression(v),
                (None, Some(_)) => Expression::Array(Vec::new()),
                (None, None) => Expression::Null,
            });
        block = block.add_attribute(("for_each", for_each));
        block = provider(block, instance);
        block = top_level(block, instance, shape);
        for name in varying {
            let each = traversal("each", &["value", name]);
            block = match shape.blocks.get(name) {
                Some(nested) => {
                    // Only what some key sets: the block's other attributes and blocks stay
                    // out of the `dynamic` block.
                    let values: Vec<&Value> = keys
                        .iter()
                        .flat_map(|(_, inputs)| inputs.iter().filter(|(n, _)| n == name))
                        .map(|(_, v)| v)
                        .collect();
                    block.add_block(dynamic(name, each, &used_shape(nested, &values)))
                }
                None => block.add_attribute((ident(name), each)),
            };
        }
        if let Some(lifecycle) = lifecycle(instance, shape) {
            block = block.add_block(lifecycle);
        }
        return block.build();
    }
    block = provider(block, instance);
    block = top_level(block, instance, shape);
    if let Some(lifecycle) = lifecycle(instance, shape) {
        block = block.add_block(lifecycle);
    }
    block.build()
}

/// The instance's attributes and nested blocks (its `lifecycle` block apart, see `lifecycle`).
fn top_level(
    block: hcl::structure::BlockBuilder,
    instance: &InstanceModel,
    shape: &ResourceShape,
) -> hcl::structure::BlockBuilder {
    let inputs: Vec<(String, Value)> = instance
        .inputs
        .iter()
        .filter(|(n, _)| !is_lifecycle(n, shape))
        .cloned()
        .collect();
    body(block, &inputs, &shape.blocks)
}

fn provider(
    block: hcl::structure::BlockBuilder,
    instance: &InstanceModel,
) -> hcl::structure::BlockBuilder {
    match &instance.provider {
        Some(alias) => block.add_attribute(("provider", traversal("aws", &[alias]))),
        None => block,
    }
}

/// Whether an input is the `lifecycle` meta-argument (not a nested block of that name).
fn is_lifecycle(name: &str, shape: &ResourceShape) -> bool {
    name == crate::schema::LIFECYCLE && !shape.blocks.contains_key(name)
}

/// The instance's `lifecycle` block, last in its resource.
fn lifecycle(instance: &InstanceModel, shape: &ResourceShape) -> Option<Block> {
    match instance.inputs.iter().find(|(n, _)| is_lifecycle(n, shape)) {
        Some((_, Value::Record(fields))) => Some(lifecycle_block(fields)),
        _ => None,
    }
}

/// Terraform's `lifecycle` block from the instance's `lifecycle` record: `ignore_changes` names
/// attributes, written as bare names.
fn lifecycle_block(fields: &BTreeMap<String, Value>) -> Block {
    let mut block = Block::builder("lifecycle");
    for (name, value) in fields {
        block = match (name.as_str(), value) {
            (_, Value::Null) => block,
            ("ignore_changes", Value::List(names)) => {
                let names = names
                    .iter()
                    .filter_map(|n| match n {
                        Value::Str(n) => Some(Expression::Variable(
                            hcl::expr::Variable::sanitized(n.as_str()),
                        )),
                        _ => None,
                    })
                    .collect();
                block.add_attribute((ident(name), Expression::Array(names)))
            }
            (name, value) => block.add_attribute((ident(name), expression(value))),
        };
    }
    block.build()
}

/// Attributes, then nested blocks, of compile-time values; a run-time nested block is dynamic.
fn body(
    mut block: hcl::structure::BlockBuilder,
    inputs: &[(String, Value)],
    blocks: &BTreeMap<String, BlockShape>,
) -> hcl::structure::BlockBuilder {
    for (name, value) in inputs {
        if matches!(value, Value::Null) || blocks.contains_key(name) {
            continue;
        }
        block = block.add_attribute((ident(name), expression(value)));
    }
    for (name, value) in inputs {
        let Some(nested) = blocks.get(name) else {
            continue;
        };
        for child in nested_blocks(name, value, nested) {
            block = block.add_block(child);
        }
    }
    block
}

/// The blocks a nested-block input's value stands for.
fn nested_blocks(name: &str, value: &Value, shape: &BlockShape) -> Vec<Block> {
    match value {
        Value::Null => Vec::new(),
        Value::Record(fields) => vec![record_block(name, fields, shape)],
        Value::List(items)
            if items
                .iter()
                .all(|item| matches!(item, Value::Record(_) | Value::Null)) =>
        {
            items
                .iter()
                .filter_map(|item| match item {
                    Value::Record(fields) => Some(record_block(name, fields, shape)),
                    _ => None,
                })
                .collect()
        }
        // Known only when Terraform runs (or holding run-time parts): Terraform's own loop.
        other => vec![dynamic(name, blocks_list(other, shape), shape)],
    }
}

fn record_block(name: &str, fields: &BTreeMap<String, Value>, shape: &BlockShape) -> Block {
    let inputs: Vec<(String, Value)> = fields.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    body(Block::builder(ident(name)), &inputs, &shape.blocks).build()
}

/// A nested-block value as the list a `dynamic` block iterates: one record is a list of one,
/// `null` an empty list, a list stays a list (its records' nested blocks the same, recursively).
fn blocks_list(value: &Value, shape: &BlockShape) -> Expression {
    match value {
        Value::Null => Expression::Array(Vec::new()),
        Value::Record(fields) => Expression::Array(vec![record_value(fields, shape)]),
        Value::List(items) => Expression::Array(
            items
                .iter()
                .filter(|item| !matches!(item, Value::Null))
                .map(|item| match item {
                    Value::Record(fields) => record_value(fields, shape),
                    other => expression(other),
                })
                .collect(),
        ),
        other if shape.single => Expression::Array(vec![expression(other)]),
        other => expression(other),
    }
}

fn record_value(fields: &BTreeMap<String, Value>, shape: &BlockShape) -> Expression {
    Expression::Object(
        fields
            .iter()
            .filter(|(_, v)| !matches!(v, Value::Null))
            .map(|(k, v)| {
                let value = match shape.blocks.get(k) {
                    Some(nested) => blocks_list(v, nested),
                    None => expression(v),
                };
                (literal::object_key(k), value)
            })
            .collect(),
    )
}

/// The part of a nested block's shape that `values` (each a record, a list of records or
/// `null`) set; all of it when one of them is known only at run time.
fn used_shape(shape: &BlockShape, values: &[&Value]) -> BlockShape {
    let mut records: Vec<&BTreeMap<String, Value>> = Vec::new();
    for value in values {
        match value {
            Value::Null => {}
            Value::Record(fields) => records.push(fields),
            Value::List(items) => {
                for item in items {
                    match item {
                        Value::Record(fields) => records.push(fields),
                        Value::Null => {}
                        _ => return shape.clone(),
                    }
                }
            }
            _ => return shape.clone(),
        }
    }
    let set = |name: &str| {
        records
            .iter()
            .any(|r| r.get(name).is_some_and(|v| !matches!(v, Value::Null)))
    };
    BlockShape {
        single: shape.single,
        attributes: shape
            .attributes
            .iter()
            .filter(|a| set(a))
            .cloned()
            .collect(),
        blocks: shape
            .blocks
            .iter()
            .filter(|(name, _)| set(name))
            .map(|(name, nested)| {
                let values: Vec<&Value> = records.iter().filter_map(|r| r.get(name)).collect();
                (name.clone(), used_shape(nested, &values))
            })
            .collect(),
    }
}

/// `dynamic "NAME" { for_each = LIST  content { ... } }`, each attribute read with `lookup` so
/// that an item may leave it out.
fn dynamic(name: &str, for_each: Expression, shape: &BlockShape) -> Block {
    let item = || traversal(name, &["value"]);
    let mut content = Block::builder("content");
    for attribute in &shape.attributes {
        content = content.add_attribute((
            ident(attribute),
            lookup(item(), attribute, Expression::Null),
        ));
    }
    for (nested_name, nested) in &shape.blocks {
        let list = lookup(item(), nested_name, Expression::Array(Vec::new()));
        content = content.add_block(dynamic(nested_name, list, nested));
    }
    Block::builder("dynamic")
        .add_label(name.to_string())
        .add_attribute(("for_each", for_each))
        .add_block(content.build())
        .build()
}

fn lookup(object: Expression, key: &str, default: Expression) -> Expression {
    Expression::FuncCall(Box::new(
        FuncCall::builder("lookup")
            .arg(object)
            .arg(literal::quoted(key))
            .arg(default)
            .build(),
    ))
}
