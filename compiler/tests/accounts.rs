//! Accounts, roles, regions and providers in the emitted Terraform: each root module's AWS
//! provider (region, `allowed_account_ids`, `assume_role`), the aliases that only the layers whose
//! instances use them declare, the state's role in the backend, remote-state reads and the
//! bootstrap, and providers other than `aws` only where a module that needs them is called.
//! Every file is read back with hcl-rs, so the checks are on values, not on text.

mod common;

use std::path::Path;

use common::*;
use hcl::{Body, Expression};

const BASE: &str = r#"
project shop {
  region      = "eu-west-1"
  account     = "111111111111"
  assume_role = { role_arn = "arn:aws:iam::111111111111:role/deploy", session_name = "infrac", external_id = "shop-ci" }
  state = {
    bucket      = "shop-tfstate"
    assume_role = { role_arn = "arn:aws:iam::999999999999:role/state" }
  }
  aliases   = { us_east_1 = { region = "us-east-1" }, audit = { account = "555555555555", assume_role = { role_arn = "arn:aws:iam::555555555555:role/audit" } } }
  layers    = { dr = { region = "us-west-2" } }
  providers = {
    aws    = "~> 5.100"
    random = { version = "~> 3.6", modules = ["token"], config = { } }
    tls    = { version = "~> 4.0", source = "example/tls", modules = ["token"], config = { proxy_url = "http://proxy:3128" } }
  }
}

module token {
  source = "./mods/token"
  input length: int = 16
  output value: string
}

module comp {
  source = "./mods/comp"
  input name: string = "${project}-${env}-${instance}"
  output id: string
}

layer base {
  comp main {}
  comp edge { provider = "us_east_1" }
  comp trail { provider = "audit" }
  output id: string = main.id
}

layer dr {
  comp standby { name = "standby-${region}" }
  token secret {}
  comp east { provider = "us_east_1" }
  output copy: string = base.id
}
"#;

fn build_project(dir: &Path) -> std::path::PathBuf {
    // Each module's Terraform has the variables and outputs its interface declares.
    for (module, code) in [
        (
            "token",
            "variable \"length\" { type = number }\noutput \"value\" { value = \"x\" }\n",
        ),
        (
            "comp",
            "variable \"name\" { type = string }\noutput \"id\" { value = \"x\" }\n",
        ),
    ] {
        std::fs::create_dir_all(dir.join(format!("mods/{module}"))).expect("mkdir");
        std::fs::write(dir.join(format!("mods/{module}/main.tf")), code).expect("write module");
    }
    std::fs::write(dir.join("base.infra"), BASE).expect("write base");
    std::fs::write(dir.join("pro.infra"), "env pro {\n  project.account = \"333333333333\"\n  project.assume_role = { role_arn = \"arn:aws:iam::333333333333:role/deploy\" }\n}\n").expect("write pro");
    let out = dir.join("out");
    build(&dir.join("pro.infra"), &out);
    out
}

fn parse(path: &Path) -> Body {
    hcl::parse(&read(path)).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The `provider` blocks of a `providers.tf`, as (name, alias, body).
fn providers(path: &Path) -> Vec<(String, Option<String>, hcl::structure::Body)> {
    parse(path)
        .blocks()
        .filter(|b| b.identifier() == "provider")
        .map(|b| {
            let name = b.labels()[0].as_str().to_string();
            let alias = attribute(b.body(), "alias").and_then(|e| match e {
                Expression::String(s) => Some(s),
                _ => None,
            });
            (name, alias, b.body().clone())
        })
        .collect()
}

fn attribute(body: &hcl::structure::Body, key: &str) -> Option<Expression> {
    body.attributes()
        .find(|a| a.key() == key)
        .map(|a| a.expr().clone())
}

fn string(value: &str) -> Expression {
    Expression::String(value.to_string())
}

fn role_block(body: &hcl::structure::Body) -> Option<Vec<(String, Expression)>> {
    body.blocks()
        .find(|b| b.identifier() == "assume_role")
        .map(|b| {
            b.body()
                .attributes()
                .map(|a| (a.key().to_string(), a.expr().clone()))
                .collect()
        })
}

fn object(pairs: &[(&str, &str)]) -> Expression {
    Expression::Object(
        pairs
            .iter()
            .map(|(k, v)| {
                (
                    hcl::ObjectKey::Identifier(hcl::Identifier::unchecked(*k)),
                    string(v),
                )
            })
            .collect(),
    )
}

#[test]
fn every_root_module_gets_its_region_account_role_and_only_the_providers_it_uses() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = build_project(dir.path());

    // The first layer: the environment's account and role (pro overrides the project's), and
    // the two aliases its instances use (sorted by name), each with what it changes.
    let base = providers(&out.join("01-base/providers.tf"));
    let names: Vec<(&str, Option<&str>)> = base
        .iter()
        .map(|(n, a, _)| (n.as_str(), a.as_deref()))
        .collect();
    assert_eq!(
        names,
        [
            ("aws", None),
            ("aws", Some("audit")),
            ("aws", Some("us_east_1"))
        ]
    );
    let (_, _, default) = &base[0];
    assert_eq!(attribute(default, "region"), Some(string("eu-west-1")));
    assert_eq!(
        attribute(default, "allowed_account_ids"),
        Some(Expression::Array(vec![string("333333333333")]))
    );
    assert_eq!(
        role_block(default),
        Some(vec![
            (
                "role_arn".to_string(),
                string("arn:aws:iam::333333333333:role/deploy")
            ),
            ("session_name".to_string(), string("infrac")),
            ("external_id".to_string(), string("shop-ci")),
        ]),
        "pro's role merges key by key with the project's"
    );
    let (_, _, east) = &base[2];
    assert_eq!(attribute(east, "region"), Some(string("us-east-1")));
    assert_eq!(
        attribute(east, "allowed_account_ids"),
        Some(Expression::Array(vec![string("333333333333")]))
    );
    let (_, _, audit) = &base[1];
    assert_eq!(attribute(audit, "region"), Some(string("eu-west-1")));
    assert_eq!(
        attribute(audit, "allowed_account_ids"),
        Some(Expression::Array(vec![string("555555555555")]))
    );
    assert_eq!(
        role_block(audit),
        Some(vec![(
            "role_arn".to_string(),
            string("arn:aws:iam::555555555555:role/audit")
        )])
    );
    let main_tf = parse(&out.join("01-base/main.tf"));
    let module = |body: &Body, name: &str| {
        body.blocks()
            .find(|b| b.identifier() == "module" && b.labels()[0].as_str() == name)
            .unwrap_or_else(|| panic!("module {name}"))
            .body()
            .clone()
    };
    let providers_of = |body: &hcl::structure::Body| {
        attribute(body, "providers").map(|e| e.to_string().split_whitespace().collect::<String>())
    };
    assert_eq!(providers_of(&module(&main_tf, "main")), None);
    assert_eq!(
        providers_of(&module(&main_tf, "edge")).as_deref(),
        Some("{aws=aws.us_east_1}")
    );
    assert_eq!(
        providers_of(&module(&main_tf, "trail")).as_deref(),
        Some("{aws=aws.audit}")
    );
    // Only aws is required where no module needs another provider.
    let versions = read(&out.join("01-base/versions.tf"));
    assert!(
        !versions.contains("random") && !versions.contains("tls"),
        "{versions}"
    );

    // The second layer: its own region, for the `region` builtin too; one alias; the providers
    // of the module that needs them, with their configuration.
    let dr = providers(&out.join("02-dr/providers.tf"));
    let names: Vec<(&str, Option<&str>)> = dr
        .iter()
        .map(|(n, a, _)| (n.as_str(), a.as_deref()))
        .collect();
    assert_eq!(
        names,
        [
            ("aws", None),
            ("aws", Some("us_east_1")),
            ("random", None),
            ("tls", None)
        ]
    );
    assert_eq!(attribute(&dr[0].2, "region"), Some(string("us-west-2")));
    assert_eq!(
        attribute(&dr[3].2, "proxy_url"),
        Some(string("http://proxy:3128"))
    );
    let dr_main = parse(&out.join("02-dr/main.tf"));
    assert_eq!(
        attribute(&module(&dr_main, "standby"), "name"),
        Some(string("standby-us-west-2"))
    );
    let versions = parse(&out.join("02-dr/versions.tf"));
    let required: Vec<String> = versions
        .blocks()
        .flat_map(|b| b.body().blocks())
        .filter(|b| b.identifier() == "required_providers")
        .flat_map(|b| b.body().attributes())
        .map(|a| {
            format!(
                "{}={}",
                a.key(),
                a.expr().to_string().split_whitespace().collect::<String>()
            )
        })
        .collect();
    assert_eq!(
        required,
        [
            "aws={source=\"hashicorp/aws\"version=\"~>5.100\"}",
            "random={source=\"hashicorp/random\"version=\"~>3.6\"}",
            "tls={source=\"example/tls\"version=\"~>4.0\"}"
        ]
    );

    // The state: its own role in the backend configuration and in every remote-state read.
    let state_role = object(&[("role_arn", "arn:aws:iam::999999999999:role/state")]);
    for layer in ["01-base", "02-dr"] {
        let backend = parse(&out.join(format!("{layer}/pro.s3.tfbackend")));
        assert_eq!(
            attribute(&backend, "assume_role"),
            Some(state_role.clone()),
            "{layer}"
        );
    }
    let read_config = dr_main
        .blocks()
        .find(|b| b.identifier() == "data")
        .and_then(|b| attribute(b.body(), "config"))
        .expect("a remote-state read");
    let Expression::Object(config) = read_config else {
        panic!("config is an object");
    };
    assert_eq!(
        config.get(&hcl::ObjectKey::Identifier(hcl::Identifier::unchecked(
            "assume_role"
        ))),
        Some(&state_role)
    );

    // The bootstrap creates the bucket in the state's account: the state's role, no pinned
    // account of the resources, no alias, no other provider.
    let bootstrap = providers(&out.join("00-bootstrap/providers.tf"));
    assert_eq!(bootstrap.len(), 1, "{bootstrap:?}");
    assert_eq!(attribute(&bootstrap[0].2, "allowed_account_ids"), None);
    assert_eq!(
        role_block(&bootstrap[0].2),
        Some(vec![(
            "role_arn".to_string(),
            string("arn:aws:iam::999999999999:role/state")
        )])
    );
    let versions = read(&out.join("00-bootstrap/versions.tf"));
    assert!(
        !versions.contains("random") && !versions.contains("tls"),
        "{versions}"
    );

    // The generated plan-time tests mock every provider configuration of the root.
    let tests = parse(&out.join("02-dr/tests/policies.tftest.hcl"));
    let mocks: Vec<(String, Option<Expression>)> = tests
        .blocks()
        .filter(|b| b.identifier() == "mock_provider")
        .map(|b| {
            (
                b.labels()[0].as_str().to_string(),
                attribute(b.body(), "alias"),
            )
        })
        .collect();
    assert_eq!(
        mocks,
        [
            ("aws".to_string(), None),
            ("aws".to_string(), Some(string("us_east_1"))),
            ("random".to_string(), None),
            ("tls".to_string(), None)
        ]
    );

    // layers.json tells deploy tooling where each layer goes.
    let manifest: serde_json::Value =
        serde_json::from_str(&read(&out.join("layers.json"))).expect("layers.json");
    assert_eq!(
        manifest["state_assume_role"],
        serde_json::json!({"role_arn": "arn:aws:iam::999999999999:role/state"})
    );
    assert_eq!(manifest["layers"][1]["region"], "us-west-2");
    assert_eq!(manifest["layers"][1]["account"], "333333333333");
}

#[test]
fn a_project_without_accounts_or_aliases_emits_what_it_did_before() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("out");
    build(&repo_root().join("examples/single-layer/pro.infra"), &out);
    let providers = read(&out.join("01-storage/providers.tf"));
    let backend = read(&out.join("01-storage/pro.s3.tfbackend"));
    for text in [&providers, &backend] {
        assert!(
            !text.contains("assume_role")
                && !text.contains("allowed_account_ids")
                && !text.contains("alias"),
            "{text}"
        );
    }
    assert_eq!(providers.matches("provider \"").count(), 1, "{providers}");
}
