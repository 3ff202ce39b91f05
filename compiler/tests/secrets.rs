//! No literal secret in any emitted file: every file that `infrac build` writes for dev, pre and
//! pro of the default system and of every example is scanned for
//!
//! - AWS access key ids (`AKIA...`, `ASIA...`) and PEM private keys anywhere in the text;
//! - in every `.tf` and `.tfbackend` file (parsed with hcl-rs), an attribute or object key whose
//!   name says it holds a secret (`password`, `secret`, `token`, `api_key`, `private_key`, ...)
//!   given a literal string rather than a reference.
//!
//! The language makes such a literal a compile error (E0408, see `tests/fixtures/check/`), so
//! this test guards the other ways in: module code, defaults, the emitter itself. A control case
//! proves that the scanner finds what it looks for.

mod common;

use std::path::Path;

use common::*;
use hcl::{Body, Expression, ObjectKey};

#[test]
fn no_emitted_file_holds_a_literal_secret() {
    let mut projects = vec![default_system()];
    projects.extend(examples());
    let mut scanned = 0;
    let mut findings = Vec::new();
    for project in &projects {
        for env in ENVS {
            let build = match build_in_tempdir(project, env) {
                Ok(build) => build,
                Err(e) => {
                    findings.push(e);
                    continue;
                }
            };
            for path in files(&build.root) {
                scanned += 1;
                let text = read(&path);
                let shown = format!("{}/{}", build.label, relative(&path, &build.root).display());
                findings.extend(scan(&shown, &path, &text));
            }
        }
    }
    assert!(scanned > 100, "only {scanned} emitted files were scanned");
    assert!(
        findings.is_empty(),
        "literal secrets in emitted files:\n{}",
        findings.join("\n")
    );
}

#[test]
fn the_scanner_finds_planted_secrets() {
    let planted = r#"
module "db" {
  source      = "../modules/postgres"
  password    = "hunter2"
  secret_arn  = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:x"
  environment = { API_TOKEN = "s3cr3t", REGION = "eu-west-1" }
  http_tokens = "required"
}
locals {
  key = "AKIAIOSFODNN7EXAMPLE"
}
"#;
    let findings = scan("planted.tf", Path::new("planted.tf"), planted);
    let joined = findings.join("\n");
    assert!(joined.contains("`password`"), "{joined}");
    assert!(joined.contains("`API_TOKEN`"), "{joined}");
    assert!(joined.contains("access key"), "{joined}");
    assert!(
        !joined.contains("secret_arn")
            && !joined.contains("REGION")
            && !joined.contains("http_tokens"),
        "references and ordinary names are not secrets: {joined}"
    );
    assert_eq!(findings.len(), 3, "{joined}");

    let referenced = r#"
module "api" {
  secrets  = { ORDERS_PASSWORD = local.databases_orders_secret_arn }
  password = var.password
  token    = ""
}
"#;
    assert_eq!(
        scan("ok.tf", Path::new("ok.tf"), referenced),
        Vec::<String>::new()
    );
}

/// Every literal secret in one file, as `file: what`.
fn scan(shown: &str, path: &Path, text: &str) -> Vec<String> {
    let mut findings = Vec::new();
    for (prefix, what) in [
        ("AKIA", "an AWS access key id"),
        ("ASIA", "an AWS access key id"),
    ] {
        for (at, _) in text.match_indices(prefix) {
            let rest = &text[at + prefix.len()..];
            let id: String = rest.chars().take(16).collect();
            if id.len() == 16
                && id
                    .chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
            {
                findings.push(format!("{shown}: {what} ({prefix}{id})"));
            }
        }
    }
    if text.contains("PRIVATE KEY-----") {
        findings.push(format!("{shown}: a PEM private key"));
    }
    let hcl_file = path
        .extension()
        .is_some_and(|e| e == "tf" || e == "tfbackend");
    if hcl_file {
        match hcl::from_str::<Body>(text) {
            Ok(body) => scan_body(shown, &body, &mut findings),
            Err(e) => findings.push(format!("{shown}: does not parse as HCL: {e}")),
        }
    }
    findings
}

fn scan_body(shown: &str, body: &Body, findings: &mut Vec<String>) {
    for attribute in body.attributes() {
        scan_value(shown, attribute.key(), &attribute.expr, findings);
    }
    for block in body.blocks() {
        scan_body(shown, block.body(), findings);
    }
}

fn scan_value(shown: &str, name: &str, expr: &Expression, findings: &mut Vec<String>) {
    match expr {
        Expression::String(text) if !text.is_empty() && names_a_secret(name) => {
            findings.push(format!("{shown}: `{name}` is the literal \"{text}\""));
        }
        Expression::Object(entries) => {
            for (key, value) in entries {
                let key = match key {
                    ObjectKey::Identifier(ident) => ident.as_str().to_string(),
                    ObjectKey::Expression(Expression::String(text)) => text.clone(),
                    ObjectKey::Expression(_) => continue,
                    _ => continue,
                };
                scan_value(shown, &key, value, findings);
            }
        }
        Expression::Array(items) => {
            for item in items {
                scan_value(shown, name, item, findings);
            }
        }
        _ => {}
    }
}

/// Whether an attribute or key name says that its value is a secret: one of its words (split at
/// `_` and `-`) is `password`, `secret`, `token`..., or two of them make `api_key`,
/// `private_key`, `access_key`. Names of references to a secret (`..._arn`, `..._id`, `..._name`)
/// and of settings about one (`password_length`) are not; nor is `http_tokens` (a word of its own).
fn names_a_secret(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    let words: Vec<&str> = lower.split(['_', '-']).collect();
    let single = ["password", "passwd", "secret", "token", "apikey"];
    let pairs = [("api", "key"), ("private", "key"), ("access", "key")];
    let about_a_secret = [
        "arn", "arns", "id", "ids", "name", "names", "length", "days", "type",
    ];
    let says_secret = words.iter().any(|w| single.contains(w))
        || words
            .windows(2)
            .any(|pair| pairs.contains(&(pair[0], pair[1])));
    says_secret && !words.last().is_some_and(|w| about_a_secret.contains(w))
}
