//! Resources and data sources of any provider, typed from the provider's schema, through the
//! real `infrac` binary and the real Terraform: `infrac schema` caches the schema from the plugin
//! mirror (every type, or with `--prune` the types the project uses), instances of resource types
//! become `resource`, `data` and `dynamic` blocks that `terraform fmt` and `terraform validate`
//! accept, and a project without the cache gets E0209 saying how to create it.

mod common;

use std::path::Path;

use common::*;

const BASE: &str = r#"project shop {
  region = "eu-west-1"
  state  = { bucket = "shop-tfstate-${env}" }
}

param retention_days: int = 30

layer foundation {
  kms_key main {}
  output kms_key_arn: string = main.arn
  output kms_alias_arn: string = main.alias_arn
}

layer alerts {
  aws_sns_topic oncall {
    name              = "shop-${env}-oncall"
    kms_master_key_id = foundation.kms_key_arn
    lifecycle         = { prevent_destroy = env == "pro", ignore_changes = ["tags"] }
  }

  data aws_iam_policy_document publish {
    statement = [{
      actions    = ["sns:Publish"]
      resources  = [oncall.arn]
      principals = [{ type = "Service", identifiers = ["cloudwatch.amazonaws.com"] }]
    }]
  }

  aws_sns_topic_policy oncall_publish {
    arn    = oncall.arn
    policy = publish.json
  }

  aws_s3_bucket_lifecycle_configuration archive (bucket, days) for { "shop-logs" = retention_days, "shop-audit" = 365 } {
    bucket = bucket
    rule = [{
      id                                = "archive"
      status                            = "Enabled"
      filter                            = [{ prefix = "" }]
      transition                        = [{ days = days, storage_class = "GLACIER" }]
      abort_incomplete_multipart_upload = [{ days_after_initiation = 7 }]
    }]
  }

  aws_cloudwatch_metric_alarm errors (name, key) for { key = foundation.kms_key_arn, alias = foundation.kms_alias_arn } {
    alarm_name          = "shop-${env}-${name}"
    namespace           = "AWS/KMS"
    metric_name         = "Errors"
    dimensions          = { KeyArn = key }
    statistic           = "Sum"
    period              = 300
    evaluation_periods  = 1
    threshold           = 1
    comparison_operator = "GreaterThanOrEqualToThreshold"
    alarm_actions       = [oncall.arn]
  }

  output topic_arn: string = oncall.arn
  output policy: string = publish.json
}
"#;

fn write_project(dir: &Path) {
    std::fs::write(dir.join("base.infra"), BASE).expect("write base");
    std::fs::write(dir.join("dev.infra"), "env dev {}\n").expect("write dev");
}

fn schema(dir: &Path, args: &[&str]) -> String {
    let (ok, output) = run(infrac()
        .arg("schema")
        .arg(dir)
        .args(args)
        .env("INFRAC_TERRAFORM", tool(TERRAFORM))
        .env("INFRAC_TF_PLUGIN_DIR", plugin_dir())
        .env("TF_CLI_CONFIG_FILE", "/dev/null"));
    assert!(ok, "infrac schema failed:\n{output}");
    output
}

fn cache_lines(dir: &Path) -> Vec<String> {
    let path = dir.join(".infrac/schemas/hashicorp/aws/5.100.0.jsonl");
    read(&path).lines().map(str::to_string).collect()
}

#[test]
fn infrac_schema_caches_every_type_and_prune_keeps_the_used_ones() {
    let dir = tempfile::tempdir().expect("temp dir");
    write_project(dir.path());
    // A cache of another version is replaced; a file infrac did not write stays.
    let old = dir.path().join(".infrac/schemas/hashicorp/aws/5.1.0.jsonl");
    let foreign = dir.path().join(".infrac/schemas/hashicorp/aws/notes.jsonl");
    std::fs::create_dir_all(old.parent().unwrap()).unwrap();
    std::fs::write(
        &old,
        "{\"infrac_schema\":1,\"provider\":\"registry.terraform.io/hashicorp/aws\",\"version\":\"5.1.0\"}\n",
    )
    .unwrap();
    std::fs::write(&foreign, "{}\n").unwrap();

    let output = schema(dir.path(), &[]);
    assert!(output.contains("cached hashicorp/aws 5.100.0"), "{output}");
    assert!(!old.exists(), "the other version's cache is removed");
    assert_eq!(
        read(&foreign),
        "{}\n",
        "a file infrac did not write is kept"
    );
    let lines = cache_lines(dir.path());
    let header: serde_json::Value = serde_json::from_str(&lines[0]).expect("a JSON header");
    assert_eq!(header["provider"], "registry.terraform.io/hashicorp/aws");
    assert_eq!(header["version"], "5.100.0");
    assert_eq!(header.get("pruned"), None);
    let resources = lines
        .iter()
        .filter(|l| l.starts_with(r#"{"kind":"resource","#))
        .count();
    let data = lines
        .iter()
        .filter(|l| l.starts_with(r#"{"kind":"data","#))
        .count();
    assert!(
        resources > 1000 && data > 400,
        "{resources} resource types, {data} data sources"
    );
    let (ok, output) = run(infrac().arg("check").arg(dir.path()));
    assert!(ok, "{output}");

    schema(dir.path(), &["--prune"]);
    let lines = cache_lines(dir.path());
    let names: Vec<String> = lines[1..]
        .iter()
        .map(|line| {
            let entry: serde_json::Value = serde_json::from_str(line).expect("JSON lines");
            format!(
                "{} {}",
                entry["kind"].as_str().unwrap(),
                entry["name"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        names,
        [
            "resource aws_cloudwatch_metric_alarm",
            "resource aws_s3_bucket_lifecycle_configuration",
            "resource aws_sns_topic",
            "resource aws_sns_topic_policy",
            "data aws_iam_policy_document",
        ]
    );
    let (ok, output) = run(infrac().arg("check").arg(dir.path()));
    assert!(ok, "{output}");

    // A type the pruned cache does not hold says to run it again.
    let more = BASE.replace(
        "  output topic_arn",
        "  aws_sqs_queue jobs {}\n  output topic_arn",
    );
    std::fs::write(dir.path().join("base.infra"), more).unwrap();
    let (ok, output) = run(infrac().arg("check").arg(dir.path()));
    assert!(!ok);
    assert!(output.contains("E0203"), "{output}");
    assert!(output.contains("infrac schema --prune"), "{output}");
}

#[test]
fn resource_instances_are_resource_data_and_dynamic_blocks_that_terraform_validates() {
    let dir = tempfile::tempdir().expect("temp dir");
    write_project(dir.path());
    schema(dir.path(), &["--prune"]);
    let out = dir.path().join("out");
    build(&dir.path().join("dev.infra"), &out);
    let main = read(&out.join("02-alerts/main.tf"));
    let body = main
        .split_once("\nresource \"aws_sns_topic\"")
        .map(|(_, rest)| format!("resource \"aws_sns_topic\"{rest}"))
        .expect("the topic is a resource block");
    let expected = r#"resource "aws_sns_topic" "oncall" {
  kms_master_key_id = local.foundation_kms_key_arn
  name              = "shop-dev-oncall"

  lifecycle {
    ignore_changes  = [tags]
    prevent_destroy = false
  }
}

data "aws_iam_policy_document" "publish" {
  statement {
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.oncall.arn]

    principals {
      identifiers = ["cloudwatch.amazonaws.com"]
      type        = "Service"
    }
  }
}

resource "aws_sns_topic_policy" "oncall_publish" {
  arn    = aws_sns_topic.oncall.arn
  policy = data.aws_iam_policy_document.publish.json
}

resource "aws_s3_bucket_lifecycle_configuration" "archive" {
  for_each = {
    shop-audit = {
      bucket = "shop-audit"
      rule = [{
        abort_incomplete_multipart_upload = [{
          days_after_initiation = 7
        }]
        filter = [{
          prefix = ""
        }]
        id     = "archive"
        status = "Enabled"
        transition = [{
          days          = 365
          storage_class = "GLACIER"
        }]
      }]
    }
    shop-logs = {
      bucket = "shop-logs"
      rule = [{
        abort_incomplete_multipart_upload = [{
          days_after_initiation = 7
        }]
        filter = [{
          prefix = ""
        }]
        id     = "archive"
        status = "Enabled"
        transition = [{
          days          = 30
          storage_class = "GLACIER"
        }]
      }]
    }
  }
  bucket = each.value.bucket

  dynamic "rule" {
    for_each = each.value.rule

    content {
      id     = lookup(rule.value, "id", null)
      status = lookup(rule.value, "status", null)

      dynamic "abort_incomplete_multipart_upload" {
        for_each = lookup(rule.value, "abort_incomplete_multipart_upload", [])

        content {
          days_after_initiation = lookup(abort_incomplete_multipart_upload.value, "days_after_initiation", null)
        }
      }

      dynamic "filter" {
        for_each = lookup(rule.value, "filter", [])

        content {
          prefix = lookup(filter.value, "prefix", null)
        }
      }

      dynamic "transition" {
        for_each = lookup(rule.value, "transition", [])

        content {
          days          = lookup(transition.value, "days", null)
          storage_class = lookup(transition.value, "storage_class", null)
        }
      }
    }
  }
}

resource "aws_cloudwatch_metric_alarm" "errors" {
  for_each = {
    alias = {
      alarm_name = "shop-dev-alias"
      dimensions = {
        KeyArn = local.foundation_kms_alias_arn
      }
    }
    key = {
      alarm_name = "shop-dev-key"
      dimensions = {
        KeyArn = local.foundation_kms_key_arn
      }
    }
  }
"#;
    assert!(
        body.starts_with(expected),
        "emitted:\n{body}\nexpected to start with:\n{expected}"
    );
    // The alarm's inputs that differ between keys read another layer's outputs: the layer
    // reads both from foundation's state.
    let words = main.split_whitespace().collect::<Vec<_>>().join(" ");
    for output in ["kms_key_arn", "kms_alias_arn"] {
        let read = format!("foundation_{output} = var.foundation_{output} != null");
        assert!(words.contains(&read), "{read}:\n{main}");
    }

    let layer = out.join("02-alerts");
    let (ok, output) = run(terraform(&layer).args(["fmt", "-check", "-diff", "-no-color"]));
    assert!(ok, "terraform fmt -check:\n{output}");
    let (ok, output) = terraform_init(&layer);
    assert!(ok, "terraform init:\n{output}");
    let (ok, output) = run(terraform(&layer).args(["validate", "-no-color"]));
    assert!(ok, "terraform validate:\n{output}");
}

#[test]
fn a_resource_type_without_a_cached_schema_is_e0209_with_the_command_that_caches_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    write_project(dir.path());
    let output = output_of(infrac().args(["check", "--format", "json"]).arg(dir.path()));
    let diagnostics: Vec<serde_json::Value> =
        serde_json::from_slice(&output.stdout).expect("JSON diagnostics");
    let e0209: Vec<&serde_json::Value> = diagnostics
        .iter()
        .filter(|d| d["code"] == "E0209")
        .collect();
    // One per instance of a resource type or data source: topic, policy document, topic
    // policy, lifecycle, alarm.
    assert_eq!(e0209.len(), 5, "{diagnostics:#?}");
    assert!(e0209[0]["message"]
        .as_str()
        .unwrap()
        .contains("no schema of provider `aws` is cached"));
    assert!(e0209[0]["help"].as_str().unwrap().contains("infrac schema"));
    // Nothing is built from a project that does not check.
    let out = dir.path().join("out");
    assert!(try_build(&dir.path().join("dev.infra"), &out).is_err());
    assert!(!out.join("02-alerts").exists());
}
