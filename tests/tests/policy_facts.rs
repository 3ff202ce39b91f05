//! The facts policies hand to the generated `terraform test` files: only instance inputs that a
//! rule read exactly (`LAYER.INSTANCE.INPUT`, through `*` or a repeated layer's name), never a
//! parameter's keys or fields, and none from rules that compare environments.

use infrac_core::config::EnvName;
use infrac_core::policy::policy_results;
use infrac_tests::load_fixture;

const PROJECT: &str = r#"
//- /base.infra
project shop {
  region = "eu-west-1"
  state  = { bucket = "shop-tfstate-${env}" }
}
param clients: map<{ nodes_max: int = 3 }> = { ezra = { nodes_max = 2 } }
param sizes: { api: { cpu: int } } = { api = { cpu = 256 } }
param tags: map<string> = { team = "core" }
module logs {
  source = "logs"
  input retention_days: int = 30
  input kms_key_arn: string
  input tags: map<string> = {}
  output name: string
}
layer logging {
  logs audit { retention_days = 90, kms_key_arn = "k", tags = tags }
  logs app { kms_key_arn = "k" }
}
layer client(name, spec) for clients {
  logs files { retention_days = spec.nodes_max * 30, kms_key_arn = "k" }
}
//- /pro.infra
env pro {
}
//- /pre.infra
env pre {
}
//- /policies.infra
policy kept for pro {
  require *.*.retention_days >= 30 "logs are kept a month"
  require client.files.retention_days >= 60
  require clients.*.nodes_max >= 2
  require sizes.api.cpu >= 256
  require logging.audit.tags.* != ""
}
policy growth across pre, pro {
  require pro.*.*.retention_days >= pre.*.*.retention_days
}
"#;

#[test]
fn facts_are_the_instance_inputs_that_rules_read_exactly() {
    let (db, workspace, _) = load_fixture(PROJECT);
    let results = policy_results(&db, workspace, EnvName::new(&db, "pro".to_string()));
    assert!(results.diagnostics.is_empty(), "{:#?}", results.diagnostics);
    let facts: Vec<String> = results
        .facts
        .iter()
        .map(|f| {
            format!(
                "{}.{}.{} = {} ({}: {})",
                f.layer, f.instance, f.input, f.value, f.policy, f.rule
            )
        })
        .collect();
    assert_eq!(
        facts,
        [
            "logging.audit.retention_days = 90 (kept: logs are kept a month)",
            "logging.app.retention_days = 30 (kept: logs are kept a month)",
            "client-ezra.files.retention_days = 60 (kept: logs are kept a month)",
            "client-ezra.files.retention_days = 60 (kept: a rule of policy `kept`)",
        ]
    );
}

#[test]
fn every_wildcard_rule_records_what_it_matched() {
    let (db, workspace, _) = load_fixture(PROJECT);
    let results = policy_results(&db, workspace, EnvName::new(&db, "pro".to_string()));
    let matched: Vec<Vec<String>> = results
        .matched
        .iter()
        .map(|m| {
            m.values
                .iter()
                .map(|(path, value)| format!("{path} = {value}"))
                .collect()
        })
        .collect();
    assert_eq!(
        matched,
        [
            vec![
                "logging.audit.retention_days = 90",
                "logging.app.retention_days = 30",
                "client-ezra.files.retention_days = 60",
            ],
            vec!["client-ezra.files.retention_days = 60"],
            vec!["clients.ezra.nodes_max = 2"],
            vec!["logging.audit.tags.team = \"core\""],
            vec![
                "pro.logging.audit.retention_days = 90",
                "pro.logging.app.retention_days = 30",
                "pro.client-ezra.files.retention_days = 60",
                "pre.logging.audit.retention_days = 90",
                "pre.logging.app.retention_days = 30",
                "pre.client-ezra.files.retention_days = 60",
            ],
        ]
    );
}
