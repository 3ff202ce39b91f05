//! A long `extends` chain: 2,000 environments, each overriding values of its parent, check
//! without error, with the last environment's values, and the provenance of every level.

use infrac_core::config::EnvName;
use infrac_core::model::env_model;
use infrac_core::value::Value;
use infrac_emit::analysis::{check_env, evaluate_layers};

const LENGTH: usize = 2_000;
const DAYS: [i64; 7] = [1, 3, 5, 7, 14, 30, 60];

fn chain_fixture() -> String {
    let mut fixture = String::from(
        r#"//- /base.infra
project shop {
  region = "eu-west-1"
  state  = { bucket = "shop-tfstate" }
}
param days: int = 1
param tags: map<string> = {}
layer logs {
  log_group app { retention_days = days, kms_key_arn = "arn:aws:kms:eu-west-1:1:key/k" }
}
//- /envs.infra
env e0 {
}
"#,
    );
    for i in 1..LENGTH {
        fixture.push_str(&format!(
            "env e{i} extends e{} {{\n  days = {}\n  tags.k{} = \"v{i}\"\n}}\n",
            i - 1,
            DAYS[i % DAYS.len()],
            i % 5
        ));
    }
    fixture
}

#[test]
fn a_chain_of_2000_environments_checks_with_the_last_values() {
    let (db, workspace, _) = infrac_tests::load_fixture(&chain_fixture());
    let last = format!("e{}", LENGTH - 1);
    evaluate_layers(&db, workspace, std::slice::from_ref(&last));
    let env = EnvName::new(&db, last.clone());
    let diagnostics = check_env(&db, workspace, env);
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
    let model = env_model(&db, workspace, env);
    assert_eq!(model.chain.len(), LENGTH);
    assert_eq!(model.chain.first().map(String::as_str), Some("e0"));
    assert_eq!(model.chain.last(), Some(&last));
    let expected_days = DAYS[(LENGTH - 1) % DAYS.len()];
    assert_eq!(model.params["days"], Value::Int(expected_days));
    assert_eq!(
        model.input("logs", "app", "retention_days"),
        Some(&Value::Int(expected_days))
    );
    // Each key of `tags` holds the value of the last environment that set it.
    let Value::Record(tags) = &model.params["tags"] else {
        panic!("tags is a record: {:?}", model.params["tags"]);
    };
    for k in 0..5 {
        let last_setter = (1..LENGTH).rev().find(|i| i % 5 == k).expect("a setter");
        assert_eq!(
            tags[&format!("k{k}")],
            Value::Str(format!("v{last_setter}"))
        );
    }
    // The provenance of `days`: set by the last environment, over every level before it, nearest
    // first, down to the parameter's default.
    let provenance =
        infrac_core::policy::provenance(&db, workspace, env, &["days".to_string()]).expect("days");
    let def = provenance.def.expect("set by an environment");
    assert_eq!(def.env.as_deref(), Some(last.as_str()));
    assert_eq!(provenance.overrode.len(), LENGTH - 1);
    let overridden: Vec<Option<&str>> = provenance
        .overrode
        .iter()
        .map(|d| d.env.as_deref())
        .collect();
    assert_eq!(overridden[0], Some(format!("e{}", LENGTH - 2).as_str()));
    assert_eq!(overridden[LENGTH - 3], Some("e1"));
    assert_eq!(overridden[LENGTH - 2], None, "the default in base.infra");
}
