//! Generated `terraform test` files: per layer, `tests/policies.tftest.hcl`.
//!
//! Each file runs at plan time with `mock_provider "aws"` (no account, no network):
//!
//! - `run "layer"` plans the whole layer, with the other layers' outputs supplied by
//!   `override_data` on their `terraform_remote_state` data sources, so the cross-layer wiring
//!   and every module call are planned by Terraform itself;
//! - one `run` per module instance that a policy rule held on plans that instance's module alone
//!   with the instance's compile-time inputs (run-time inputs replaced by typed placeholders) and
//!   asserts that the module's resources really take the values the policy checked, e.g.
//!   `aws_db_instance.this.deletion_protection == true` for `require *.*.deletion_protection`.
//!
//! The resources an input reaches are read from the module's Terraform: every attribute of a
//! `resource` block whose value is exactly `var.INPUT`. An input that reaches no attribute that
//! way is listed in a comment instead of asserted.

use std::collections::BTreeMap;

use hcl::expr::Expression;
use hcl::structure::{Block, Body};

use super::literal::traversal;
use super::{expression, ident, render, tf_name, Emitted};
use crate::model::{EnvModel, LayerModel};
use crate::policy::PolicyFact;
use crate::types::Ty;
use crate::value::{Rt, TemplatePart, Value};

/// Where an input of a module lands: `resource_type.name.attribute`, and whether the resource
/// has `count` or `for_each`.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Target {
    /// `(resource type, resource name)`.
    resource: (String, String),
    attribute: String,
    repeated: bool,
}

/// Adds `NN-layer/tests/policies.tftest.hcl` for every layer. `module_files` gives the Terraform
/// files of a module kind, as (file name, text).
pub fn add_tests(
    emitted: &mut Emitted,
    model: &EnvModel,
    facts: &[PolicyFact],
    head: &str,
    module_files: &dyn Fn(&str) -> Vec<(String, String)>,
) {
    // Each module's Terraform is read once, however many instances it has.
    let mut targets_of: BTreeMap<String, BTreeMap<String, Vec<Target>>> = BTreeMap::new();
    for layer in &model.layers {
        let text = layer_tests(model, layer, facts, &mut |kind: &str| {
            targets_of
                .entry(kind.to_string())
                .or_insert_with(|| input_targets(&module_files(kind)))
                .clone()
        });
        emitted.files.insert(
            format!("{}/tests/policies.tftest.hcl", layer.dir),
            format!("{head}{text}"),
        );
    }
}

fn layer_tests(
    model: &EnvModel,
    layer: &LayerModel,
    facts: &[PolicyFact],
    module_targets: &mut dyn FnMut(&str) -> BTreeMap<String, Vec<Target>>,
) -> String {
    // Every provider configuration of the root module is mocked: the layer's AWS provider, the
    // aliases its instances use and its other providers, so that no plan reaches a real account.
    let mut mocks = Body::builder().add_block(mock_provider(
        &model.project.layer_target(&layer.template).region,
        None,
    ));
    for (alias, target) in super::layer_aliases(&model.project, layer) {
        mocks = mocks.add_block(mock_provider(&target.region, Some(&alias)));
    }
    for name in super::layer_providers(&model.project, layer) {
        mocks = mocks.add_block(Block::builder("mock_provider").add_label(name).build());
    }
    let mut text = render(mocks.build());
    let mut producers: Vec<&str> = layer.reads.iter().map(|r| r.layer.as_str()).collect();
    producers.dedup();
    for producer in producers {
        let mut outputs = hcl::Object::new();
        for (output, mock) in placeholder_outputs(model, layer, producer) {
            outputs.insert(
                hcl::ObjectKey::Identifier(ident(&output)),
                expression(&mock),
            );
        }
        let mut values = hcl::Object::new();
        values.insert(
            hcl::ObjectKey::Identifier(ident("outputs")),
            Expression::Object(outputs),
        );
        let block = Block::builder("override_data")
            .add_attribute((
                "target",
                traversal("data", &["terraform_remote_state", &tf_name(producer)]),
            ))
            .add_attribute(("values", Expression::Object(values)))
            .build();
        text.push('\n');
        text.push_str(&render(Body::builder().add_block(block).build()));
    }
    // A mock provider cannot import: the resources the layer adopts are overridden instead,
    // which the plan then imports from the override.
    let mut adopted: Vec<String> = Vec::new();
    for instance in layer.instances.iter() {
        for import in &instance.imports {
            let target = super::import_address(&instance.name, import, false);
            let block = Block::builder("override_resource")
                .add_attribute(("target", target))
                .build();
            let rendered = render(Body::builder().add_block(block).build());
            if !adopted.contains(&rendered) {
                adopted.push(rendered);
            }
        }
    }
    for block in adopted {
        text.push('\n');
        text.push_str(&block);
    }
    text.push('\n');
    text.push_str(&render(
        Body::builder()
            .add_block(
                Block::builder("run")
                    .add_label("layer")
                    .add_attribute(("command", traversal("plan", &[])))
                    .build(),
            )
            .build(),
    ));

    // The facts of this layer by instance, each input once, in the layer's order.
    let mut by_instance: BTreeMap<&str, Vec<&PolicyFact>> = BTreeMap::new();
    for fact in facts.iter().filter(|f| f.layer == layer.name) {
        let list = by_instance.entry(fact.instance.as_str()).or_default();
        if !list.iter().any(|f| f.input == fact.input) {
            list.push(fact);
        }
    }
    for instance in layer.instances.iter() {
        let Some(facts) = by_instance.get(instance.name.as_str()) else {
            continue;
        };
        // An instance of a resource type is planned with its layer, and its own attributes are
        // asserted on; a module instance's module is planned alone with its inputs.
        let resource = instance
            .resource
            .as_ref()
            .filter(|r| r.kind == crate::schema::EntryKind::Resource);
        let targets = match resource {
            Some(shape) => resource_targets(instance, shape),
            None => module_targets(&instance.kind),
        };
        let mut run = Block::builder("run")
            .add_label(instance.name.clone())
            .add_attribute(("command", traversal("plan", &[])));
        if resource.is_none() {
            run = run.add_block(
                Block::builder("module")
                    .add_attribute(("source", format!("../modules/{}", instance.kind)))
                    .build(),
            );
            let mut variables = Block::builder("variables");
            // A repeated instance's module is planned with the inputs of its first key.
            let first_key = instance
                .for_each
                .as_ref()
                .and_then(|keys| keys.first())
                .map_or(&[][..], |(_, inputs)| inputs.as_slice());
            for (name, value) in instance.inputs.iter().chain(first_key) {
                variables = variables.add_attribute((ident(name), expression(&mock(value, name))));
            }
            run = run.add_block(variables.build());
        }
        let mut unasserted = Vec::new();
        let mut asserted = 0;
        for fact in facts {
            let Some(targets) = targets.get(&fact.input) else {
                unasserted.push(fact.input.clone());
                continue;
            };
            let Some((wanted, wanted_text)) = scalar(&fact.value) else {
                unasserted.push(fact.input.clone());
                continue;
            };
            for target in targets {
                let (kind, name) = &target.resource;
                let condition = if target.repeated {
                    // alltrue([for r in KIND.NAME : r.ATTRIBUTE == WANTED])
                    let each = Expression::from(hcl::expr::BinaryOp::new(
                        traversal("r", &[&target.attribute]),
                        hcl::expr::BinaryOperator::Eq,
                        wanted.clone(),
                    ));
                    let all = hcl::expr::ForExpr::new(
                        hcl::Identifier::unchecked("r"),
                        traversal(kind, &[name]),
                        each,
                    );
                    // A `for` expression in brackets is already the list.
                    Expression::FuncCall(Box::new(
                        hcl::expr::FuncCall::builder("alltrue")
                            .arg(Expression::from(all))
                            .build(),
                    ))
                } else {
                    Expression::from(hcl::expr::BinaryOp::new(
                        traversal(kind, &[name, &target.attribute]),
                        hcl::expr::BinaryOperator::Eq,
                        wanted.clone(),
                    ))
                };
                let message = format!(
                    "{} (policy {}): {}.{} = {wanted_text} must reach {kind}.{name}.{}",
                    fact.rule, fact.policy, instance.name, fact.input, target.attribute
                );
                run = run.add_block(
                    Block::builder("assert")
                        .add_attribute(("condition", condition))
                        .add_attribute(("error_message", message))
                        .build(),
                );
                asserted += 1;
            }
        }
        if asserted == 0 {
            continue;
        }
        text.push('\n');
        if !unasserted.is_empty() {
            unasserted.sort();
            text.push_str(&format!(
                "# Checked by policies but not asserted here (no resource attribute takes the \
                 input directly): {}.\n",
                unasserted.join(", ")
            ));
        }
        text.push_str(&render(Body::builder().add_block(run.build()).build()));
    }
    text
}

/// The attributes of an instance of a resource type, each its own target: a policy that held on
/// `encrypted` is asserted on `aws_ebs_volume.NAME.encrypted`. Nested blocks are not asserted.
fn resource_targets(
    instance: &crate::model::InstanceModel,
    shape: &crate::schema::ResourceShape,
) -> BTreeMap<String, Vec<Target>> {
    let per_key = instance.for_each.iter().flatten().flat_map(|(_, i)| i);
    instance
        .inputs
        .iter()
        .chain(per_key)
        .filter(|(name, _)| !shape.blocks.contains_key(name))
        .map(|(name, _)| {
            let target = Target {
                resource: (shape.type_name.clone(), instance.name.clone()),
                attribute: name.clone(),
                repeated: instance.for_each.is_some(),
            };
            (name.clone(), vec![target])
        })
        .collect()
}

/// The mocked AWS provider: data sources that modules read get values that plans can use.
fn mock_provider(region: &str, alias: Option<&str>) -> Block {
    let zones: Vec<Value> = ["a", "b", "c", "d", "e", "f"]
        .iter()
        .map(|z| Value::Str(format!("{region}{z}")))
        .collect();
    let zone_ids: Vec<Value> = (1..=6).map(|n| Value::Str(format!("mock-az{n}"))).collect();
    let data = |kind: &str, defaults: Vec<(&str, Value)>| {
        let record = Value::Record(
            defaults
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect(),
        );
        Block::builder("mock_data")
            .add_label(kind)
            .add_attribute(("defaults", expression(&record)))
            .build()
    };
    let s = |text: &str| Value::Str(text.to_string());
    let mut provider = Block::builder("mock_provider").add_label("aws");
    if let Some(alias) = alias {
        provider = provider.add_attribute(("alias", alias.to_string()));
    }
    provider
        .add_block(data(
            "aws_availability_zones",
            vec![
                ("names", Value::List(zones)),
                ("zone_ids", Value::List(zone_ids)),
            ],
        ))
        .add_block(data(
            "aws_caller_identity",
            vec![
                ("account_id", s(MOCK_ACCOUNT)),
                ("arn", s(&format!("arn:aws:iam::{MOCK_ACCOUNT}:user/mock"))),
            ],
        ))
        .add_block(data(
            "aws_partition",
            vec![("partition", s("aws")), ("dns_suffix", s("amazonaws.com"))],
        ))
        .add_block(data("aws_region", vec![("name", s(region))]))
        .add_block(data(
            "aws_elb_service_account",
            vec![("arn", s(&format!("arn:aws:iam::{MOCK_ACCOUNT}:root")))],
        ))
        .add_block(data(
            "aws_ssm_parameter",
            vec![("value", s("ami-0123456789abcdef0"))],
        ))
        .add_block(acm_certificate_mock(region))
        .build()
}

/// A certificate's validation options are known at plan time on AWS (the provider derives them
/// from the domain names) but would be unknown with a mock, and `acm_certificate` keys its DNS
/// validation records by them: give the mock known options during plan.
fn acm_certificate_mock(region: &str) -> Block {
    let option = Value::Record(
        [
            ("domain_name", "mock.example.com"),
            ("resource_record_name", "_mock.mock.example.com."),
            ("resource_record_type", "CNAME"),
            ("resource_record_value", "_mock.acm-validations.aws."),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), Value::Str(v.to_string())))
        .collect(),
    );
    let defaults = Value::Record(
        [
            (
                "arn".to_string(),
                Value::Str(format!(
                    "arn:aws:acm:{region}:{MOCK_ACCOUNT}:certificate/mock"
                )),
            ),
            (
                "domain_validation_options".to_string(),
                Value::List(vec![option]),
            ),
        ]
        .into_iter()
        .collect(),
    );
    Block::builder("mock_resource")
        .add_label("aws_acm_certificate")
        .add_attribute(("override_during", traversal("plan", &[])))
        .add_attribute(("defaults", expression(&defaults)))
        .build()
}

/// Placeholders for the outputs of `producer` that `layer` reads, by output name: values of the
/// producer's declared types, for the generated tests and for `infrac plan` of a layer whose
/// producer was never applied.
pub fn placeholder_outputs(
    model: &EnvModel,
    layer: &LayerModel,
    producer: &str,
) -> BTreeMap<String, Value> {
    // The producer's outputs keep their declared types (a shared layer's too).
    let declared = model
        .layers
        .iter()
        .find(|l| l.name == producer)
        .or_else(|| model.shared_layer(producer));
    let mut outputs = BTreeMap::new();
    for read in layer.reads.iter().filter(|r| r.layer == producer) {
        let ty = declared
            .and_then(|l| l.outputs.iter().find(|o| o.name == read.output))
            .map_or(&Ty::Any, |o| &o.ty);
        let mut mock = mock_of_type(ty, &read.output);
        // A map the layer reads at fixed keys (`databases.endpoints[name]`) has those keys.
        if let (Ty::Map(inner), Value::Record(entries)) = (ty.resolved(), &mut mock) {
            for key in keys_read(layer, producer, &read.output) {
                let value = mock_of_type(inner, &format!("{}-{key}", read.output));
                entries.insert(key, value);
            }
        }
        outputs.insert(read.output.clone(), mock);
    }
    outputs
}

const MOCK_ACCOUNT: &str = "123456789012";

/// A placeholder string for a run-time value named `name`: an ARN or a CIDR block when the name
/// says so.
fn mock_string(name: &str) -> Value {
    if name.contains("cidr") {
        Value::Str("10.0.0.0/16".into())
    } else if name.contains("arn") {
        Value::Str(format!("arn:aws:iam::{MOCK_ACCOUNT}:role/mock-{name}"))
    } else {
        Value::Str(format!("mock-{name}"))
    }
}

/// `value` with every run-time part replaced by a placeholder of its type.
fn mock(value: &Value, name: &str) -> Value {
    match value {
        Value::Rt(_, ty) => mock_of_type(ty, name),
        Value::Template(_) => mock_string(name),
        Value::List(items) => Value::List(items.iter().map(|v| mock(v, name)).collect()),
        Value::Record(entries) => Value::Record(
            entries
                .iter()
                .map(|(k, v)| (k.clone(), mock(v, k)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// The keys at which a layer reads a map output of another layer (`producer.output["key"]`).
fn keys_read(layer: &LayerModel, producer: &str, output: &str) -> Vec<String> {
    fn walk(value: &Value, producer: &str, output: &str, out: &mut Vec<String>) {
        match value {
            Value::Rt(rt, _) => match rt.as_ref() {
                Rt::Index { base, key } => {
                    if let (Value::Rt(inner, _), Value::Str(key)) = (base, key) {
                        if matches!(inner.as_ref(), Rt::LayerOutput { layer, output: o } if layer == producer && o == output)
                        {
                            out.push(key.clone());
                        }
                    }
                    walk(base, producer, output, out);
                }
                Rt::Call { args, .. } => args.iter().for_each(|a| walk(a, producer, output, out)),
                Rt::For {
                    collection,
                    key,
                    value,
                    condition,
                    ..
                } => [
                    Some(collection),
                    key.as_ref(),
                    Some(value),
                    condition.as_ref(),
                ]
                .into_iter()
                .flatten()
                .for_each(|part| walk(part, producer, output, out)),
                _ => {}
            },
            Value::Template(parts) => {
                for part in parts {
                    if let TemplatePart::Rt(rt) = part {
                        walk(
                            &Value::Rt(Box::new(rt.clone()), Box::new(Ty::Any)),
                            producer,
                            output,
                            out,
                        );
                    }
                }
            }
            Value::List(items) => items.iter().for_each(|v| walk(v, producer, output, out)),
            Value::Record(entries) => entries
                .values()
                .for_each(|v| walk(v, producer, output, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    for instance in layer.instances.iter() {
        let per_key = instance
            .for_each
            .iter()
            .flatten()
            .flat_map(|(_, inputs)| inputs);
        for (_, value) in instance.inputs.iter().chain(per_key) {
            walk(value, producer, output, &mut out);
        }
    }
    for layer_output in &layer.outputs {
        walk(&layer_output.value, producer, output, &mut out);
    }
    out.sort();
    out.dedup();
    out
}

fn mock_of_type(ty: &Ty, name: &str) -> Value {
    match ty.resolved() {
        Ty::Bool => Value::Bool(false),
        Ty::Int(_) | Ty::Float(_) => Value::Int(1),
        Ty::List(inner) => Value::List(
            (1..=3)
                .map(|n| mock_of_type(inner, &format!("{name}-{n}")))
                .collect(),
        ),
        Ty::Map(_) => Value::Record(BTreeMap::new()),
        Ty::Str(Some(pattern)) => Value::Str(pattern.example().trim_matches('"').to_string()),
        Ty::Record(fields) => Value::Record(
            fields
                .iter()
                .map(|f| (f.name.clone(), mock_of_type(&f.ty, &f.name)))
                .collect(),
        ),
        _ => mock_string(name),
    }
}

/// A compile-time scalar as an expression to compare with, and as text for a message.
fn scalar(value: &Value) -> Option<(Expression, String)> {
    match value {
        Value::Bool(_) | Value::Int(_) | Value::Float(_) | Value::Str(_) => {
            let expr = expression(value);
            let text = hcl::format::to_string(&expr).ok()?;
            Some((expr, text))
        }
        _ => None,
    }
}

/// Every input of a module that a resource attribute takes directly (`attr = var.INPUT`), with
/// the attributes it reaches.
fn input_targets(files: &[(String, String)]) -> BTreeMap<String, Vec<Target>> {
    let mut targets: BTreeMap<String, Vec<Target>> = BTreeMap::new();
    for (_, text) in files {
        let Ok(body) = hcl::from_str::<Body>(text) else {
            continue;
        };
        for block in body.blocks().filter(|b| b.identifier() == "resource") {
            let [kind, name] = block.labels() else {
                continue;
            };
            let repeated = block
                .body()
                .attributes()
                .any(|a| a.key() == "count" || a.key() == "for_each");
            for attribute in block.body().attributes() {
                let Some(input) = variable_name(&attribute.expr) else {
                    continue;
                };
                targets.entry(input).or_default().push(Target {
                    resource: (kind.as_str().to_string(), name.as_str().to_string()),
                    attribute: attribute.key().to_string(),
                    repeated,
                });
            }
        }
    }
    targets
}

/// `X` when the expression is exactly `var.X`.
fn variable_name(expr: &Expression) -> Option<String> {
    let Expression::Traversal(traversal) = expr else {
        return None;
    };
    let Expression::Variable(root) = &traversal.expr else {
        return None;
    };
    match (root.as_str(), traversal.operators.as_slice()) {
        ("var", [hcl::TraversalOperator::GetAttr(name)]) => Some(name.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inputs_are_traced_to_the_resource_attributes_that_take_them() {
        let files = vec![(
            "main.tf".to_string(),
            r#"
resource "aws_db_instance" "this" {
  deletion_protection = var.deletion_protection
  multi_az            = var.multi_az
  tags                = merge(var.tags, {})
}
resource "aws_cloudwatch_log_group" "logs" {
  count             = var.enabled ? 1 : 0
  retention_in_days = var.retention
}
"#
            .to_string(),
        )];
        let targets = input_targets(&files);
        assert_eq!(
            targets["deletion_protection"],
            vec![Target {
                resource: ("aws_db_instance".into(), "this".into()),
                attribute: "deletion_protection".into(),
                repeated: false
            }]
        );
        assert!(targets["retention"][0].repeated);
        assert!(
            !targets.contains_key("tags"),
            "only direct references count"
        );
        assert!(!targets.contains_key("enabled"));
    }

    #[test]
    fn run_time_inputs_become_typed_placeholders() {
        let rt = |ty: Ty| {
            Value::Rt(
                Box::new(crate::value::Rt::ModuleOutput {
                    instance: "x".into(),
                    key: None,
                    output: "y".into(),
                    resource: None,
                }),
                Box::new(ty),
            )
        };
        assert_eq!(
            mock(&rt(Ty::Str(None)), "kms_key_arn"),
            Value::Str("arn:aws:iam::123456789012:role/mock-kms_key_arn".into())
        );
        assert_eq!(
            mock(&rt(Ty::List(Box::new(Ty::Str(None)))), "subnet_ids"),
            Value::List(vec![
                Value::Str("mock-subnet_ids-1".into()),
                Value::Str("mock-subnet_ids-2".into()),
                Value::Str("mock-subnet_ids-3".into()),
            ])
        );
        assert_eq!(mock(&Value::Int(7), "days"), Value::Int(7));
        let text = |value: Value| scalar(&value).map(|(_, text)| text);
        assert_eq!(text(Value::Bool(true)).as_deref(), Some("true"));
        assert_eq!(
            text(Value::Str("per_az".into())).as_deref(),
            Some("\"per_az\"")
        );
    }
}
