//! Override files that send every AWS call of a build to an emulator (LocalStack, moto), as
//! LocalStack's `tflocal` does: the AWS provider of every root module, its aliases, the
//! remote-state reads and the S3 backend. `infrac plan|apply|destroy|drift --endpoint URL` adds
//! them to the build; the generated files stay as they are and Terraform merges the overrides in.

use std::collections::BTreeMap;

use hcl::expr::Expression;
use hcl::structure::{Block, Body};

use super::{assume_role_fields, header, layer_aliases, render, state_key, tf_name};
use crate::model::{EnvModel, Target};
use crate::value::Value;

/// The file, in every root module, that points the providers and remote-state reads at the
/// emulator (Terraform merges `*_override.tf` into the module).
pub const OVERRIDE_FILE: &str = "infrac_endpoint_override.tf";
/// The backend settings of the emulator, given to `terraform init` after the environment's own.
pub const BACKEND_FILE: &str = "infrac-endpoint.s3.tfbackend";

/// The AWS provider's endpoint names that are sent to the emulator.
const SERVICES: &[&str] = &[
    "acm",
    "apigateway",
    "appautoscaling",
    "autoscaling",
    "cloudformation",
    "cloudfront",
    "cloudwatch",
    "dynamodb",
    "ec2",
    "ecr",
    "ecs",
    "efs",
    "eks",
    "elasticache",
    "elb",
    "elbv2",
    "events",
    "iam",
    "kinesis",
    "kms",
    "lambda",
    "logs",
    "rds",
    "route53",
    "s3",
    "secretsmanager",
    "ses",
    "sns",
    "sqs",
    "ssm",
    "sts",
    "wafv2",
];

/// The override files of a build for the emulator at `url`, by path in the build.
pub fn endpoint_files(model: &EnvModel, url: &str, source: &str) -> BTreeMap<String, String> {
    let head = header(source);
    let mut files = BTreeMap::new();
    if model.bootstrap.is_some() {
        let body = Body::builder().add_block(provider(&model.project.state_target(), None, url));
        files.insert(
            format!("00-bootstrap/{OVERRIDE_FILE}"),
            format!("{head}{}", render(body.build())),
        );
        // The state bucket's policy denies every request that is not made over TLS, and an
        // emulator on 127.0.0.1 answers plain HTTP: in the emulator the bucket goes without it.
        let policy = Block::builder("resource")
            .add_label("aws_s3_bucket_policy")
            .add_label("state")
            .add_attribute(("count", 0))
            .build();
        files.insert(
            format!("modules/state_bootstrap/{OVERRIDE_FILE}"),
            format!(
                "{head}{}",
                render(Body::builder().add_block(policy).build())
            ),
        );
    }
    for layer in &model.layers {
        let target = model.project.layer_target(&layer.template);
        let mut body = Body::builder().add_block(provider(&target, None, url));
        for (alias, alias_target) in layer_aliases(&model.project, layer) {
            body = body.add_block(provider(&alias_target, Some(&alias), url));
        }
        let mut producers: Vec<&str> = layer.reads.iter().map(|r| r.layer.as_str()).collect();
        producers.dedup();
        for producer in producers {
            if model.layers.iter().any(|l| l.name == producer) {
                body = body.add_block(remote_state(model, producer, url));
            }
        }
        files.insert(
            format!("{}/{OVERRIDE_FILE}", layer.dir),
            format!("{head}{}", render(body.build())),
        );
        files.insert(
            format!("{}/{BACKEND_FILE}", layer.dir),
            format!("{head}{}", render(backend(url).build())),
        );
    }
    files
}

/// Settings every client of the emulator shares: fixed credentials (real ones never reach an
/// emulator) and no calls to AWS's metadata or account services.
fn client_settings(target_account: bool) -> Vec<(&'static str, Value)> {
    vec![
        ("access_key", Value::Str("test".into())),
        ("secret_key", Value::Str("test".into())),
        ("skip_credentials_validation", Value::Bool(true)),
        ("skip_metadata_api_check", Value::Bool(true)),
        // `allowed_account_ids` needs the account, which the emulator's STS answers.
        ("skip_requesting_account_id", Value::Bool(!target_account)),
    ]
}

fn provider(target: &Target, alias: Option<&str>, url: &str) -> Block {
    let mut block = Block::builder("provider").add_label("aws");
    if let Some(alias) = alias {
        block = block.add_attribute(("alias", alias));
    }
    for (key, value) in client_settings(target.account.is_some()) {
        block = block.add_attribute((key, super::expression(&value)));
    }
    block = block
        .add_attribute(("skip_region_validation", true))
        .add_attribute(("s3_use_path_style", true));
    let mut endpoints = Block::builder("endpoints");
    for service in SERVICES {
        endpoints = endpoints.add_attribute((*service, url));
    }
    block.add_block(endpoints.build()).build()
}

/// The emulator's S3 and STS, for the backend and remote-state reads.
fn state_endpoints(url: &str) -> Value {
    Value::Record(
        ["s3", "sts"]
            .into_iter()
            .map(|service| (service.to_string(), Value::Str(url.into())))
            .collect(),
    )
}

/// A remote-state read of `producer` from the emulator. The override replaces the generated
/// `config` as a whole, so it repeats the bucket, key, region and the state's role.
fn remote_state(model: &EnvModel, producer: &str, url: &str) -> Block {
    let mut config: BTreeMap<String, Value> = client_settings(false)
        .into_iter()
        .map(|(key, value)| (key.to_string(), value))
        .collect();
    config.insert(
        "bucket".into(),
        Value::Str(model.project.state_bucket.clone()),
    );
    config.insert("key".into(), Value::Str(state_key(&model.env, producer)));
    config.insert(
        "region".into(),
        Value::Str(model.project.state_region.clone()),
    );
    config.insert("use_path_style".into(), Value::Bool(true));
    config.insert("endpoints".into(), state_endpoints(url));
    if let Some(role) = &model.project.state_assume_role {
        config.insert(
            "assume_role".into(),
            Value::Record(
                assume_role_fields(role)
                    .into_iter()
                    .map(|(key, value)| (key.to_string(), Value::Str(value)))
                    .collect(),
            ),
        );
    }
    Block::builder("data")
        .add_label("terraform_remote_state")
        .add_label(tf_name(producer))
        .add_attribute(("config", super::expression(&Value::Record(config))))
        .build()
}

/// The backend settings of the emulator (`-backend-config` merges them over the environment's).
fn backend(url: &str) -> hcl::structure::BodyBuilder {
    let mut body = Body::builder();
    for (key, value) in client_settings(false) {
        body = body.add_attribute((key, super::expression(&value)));
    }
    body.add_attribute(("use_path_style", true))
        .add_attribute(("endpoints", super::expression(&state_endpoints(url))))
        .add_attribute(("skip_region_validation", Expression::Bool(true)))
}

/// Whether `url` can be an emulator endpoint: `http://` or `https://`, a host, no spaces.
pub fn is_endpoint_url(url: &str) -> bool {
    let rest = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"));
    rest.is_some_and(|rest| {
        !rest.is_empty()
            && !rest.starts_with('/')
            && rest
                .chars()
                .all(|c| c.is_ascii_graphic() && c != '"' && c != '\\')
    })
}

#[cfg(test)]
mod tests {
    use super::is_endpoint_url;

    #[test]
    fn an_endpoint_is_an_http_url_with_a_host_and_nothing_that_breaks_a_string() {
        for url in ["http://127.0.0.1:4566", "https://localstack.example:4566/"] {
            assert!(is_endpoint_url(url), "{url}");
        }
        for url in [
            "127.0.0.1:4566",
            "http://",
            "http:///x",
            "http://a b",
            "http://a\"b",
            "ftp://x",
        ] {
            assert!(!is_endpoint_url(url), "{url}");
        }
    }
}
