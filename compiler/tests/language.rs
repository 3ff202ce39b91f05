//! The language constructs of issue 16 in the emitted Terraform, with the real binary and the real
//! Terraform: repeated instances keep each key's address when keys come and go, a conditional
//! instance has the address it would have unconditionally, and the output validates.

mod common;

use std::path::Path;

use common::*;

const BASE: &str = r#"project shop {
  region = "eu-west-1"
  state  = { bucket = "shop-tfstate" }
}
module comp {
  source = "mods/comp"
  input size: int(1..10) = 1
  input vpc: string = ""
  output id: string
}
param names: list<string> = ["a", "b", "c"]
param extra: bool = false
layer apps {
  comp base { size = 2 }
  comp each(name) for names {
    size = length(name)
    vpc  = "${name}-${base.id}"
  }
  comp optional if extra {
    vpc = each["b"].id
  }
  output ids: map<string> = {for k, c in each: k => c.id}
}
"#;

fn main_tf(dir: &Path, base: &str, env: &str) -> hcl::Body {
    std::fs::write(dir.join("base.infra"), base).unwrap();
    std::fs::write(dir.join("pro.infra"), env).unwrap();
    let out = dir.join("out");
    let _ = std::fs::remove_dir_all(&out);
    build(&dir.join("pro.infra"), &out);
    hcl::from_str(&read(&out.join("01-apps/main.tf"))).expect("main.tf parses")
}

/// The keys of a module block's `for_each`, or `None` when it has none.
fn for_each_keys(body: &hcl::Body, module: &str) -> Option<Vec<String>> {
    let block = body
        .blocks()
        .find(|b| b.identifier() == "module" && b.labels()[0].as_str() == module)?;
    let attribute = block.body().attributes().find(|a| a.key() == "for_each")?;
    let hcl::Expression::Object(object) = attribute.expr() else {
        panic!("for_each is not an object: {:?}", attribute.expr());
    };
    Some(
        object
            .keys()
            .map(|k| match k {
                hcl::ObjectKey::Identifier(id) => id.to_string(),
                hcl::ObjectKey::Expression(e) => format!("{e:?}"),
                other => format!("{other:?}"),
            })
            .collect(),
    )
}

fn has_module(body: &hcl::Body, module: &str) -> bool {
    body.blocks()
        .any(|b| b.identifier() == "module" && b.labels()[0].as_str() == module)
}

#[test]
fn repeated_instances_are_keyed_and_conditional_ones_keep_their_address() {
    let dir = tempfile::tempdir().unwrap();
    write_comp_project(dir.path(), BASE, COMP_MODULE_TF);

    let body = main_tf(dir.path(), BASE, "env pro {}\n");
    assert_eq!(
        for_each_keys(&body, "each"),
        Some(vec!["a".into(), "b".into(), "c".into()])
    );
    assert!(!has_module(&body, "optional"), "the condition is false");

    // Removing a key and adding one leaves the others where they were: module.each["b"] stays.
    let body = main_tf(
        dir.path(),
        BASE,
        "env pro {\n  names = [\"b\", \"c\", \"d\"]\n  extra = true\n}\n",
    );
    assert_eq!(
        for_each_keys(&body, "each"),
        Some(vec!["b".into(), "c".into(), "d".into()])
    );
    // A conditional instance is `module.optional`, never `module.optional[0]`.
    assert!(has_module(&body, "optional"));
    assert_eq!(for_each_keys(&body, "optional"), None);
    let text = read(&dir.path().join("out/01-apps/main.tf"));
    assert!(text.contains("vpc    = module.each[\"b\"].id"), "{text}");
    assert!(!text.contains("count"), "{text}");

    // The real Terraform accepts it: fmt, init and validate.
    let layer = dir.path().join("out/01-apps");
    let (ok, output) = run(terraform(&layer).args(["fmt", "-check", "-diff"]));
    assert!(ok, "terraform fmt:\n{output}");
    let (ok, output) = terraform_init(&layer);
    assert!(ok, "terraform init:\n{output}");
    let (ok, output) = run(terraform(&layer).args(["validate", "-no-color"]));
    assert!(ok, "terraform validate:\n{output}");
}

#[test]
fn reading_an_absent_instance_is_an_error_in_that_environment_only() {
    let dir = tempfile::tempdir().unwrap();
    let base = BASE.replace(
        "  output ids: map<string>",
        "  output optional_id: string = optional.id\n  output ids: map<string>",
    );
    write_comp_project(dir.path(), &base, COMP_MODULE_TF);
    std::fs::write(dir.path().join("pro.infra"), "env pro {}\n").unwrap();
    let (ok, output) = run(infrac().arg("check").arg(dir.path().join("pro.infra")));
    assert!(!ok);
    assert!(
        output.contains("instance `optional` does not exist in env `pro`: its condition is false"),
        "{output}"
    );
    std::fs::write(
        dir.path().join("pro.infra"),
        "env pro {\n  extra = true\n}\n",
    )
    .unwrap();
    let (ok, output) = run(infrac().arg("check").arg(dir.path().join("pro.infra")));
    assert!(ok, "{output}");
}

#[test]
fn explain_follows_a_value_to_the_parameters_it_was_computed_from() {
    let (ok, output) =
        run(infrac().args(["explain", "environments/pro.infra", "foundation.vpc.nat"]));
    assert!(ok, "{output}");
    assert!(
        output.contains("set at      environments/layers.infra:")
            && output.contains("← nat = \"per_az\", set at environments/pro.infra:")
            && output.contains("(env pro), overrode environments/base.infra:"),
        "{output}"
    );
}

#[test]
fn a_for_over_run_time_values_is_terraforms_own_for_expression() {
    let dir = tempfile::tempdir().unwrap();
    let module_tf = format!(
        "{COMP_MODULE_TF}\noutput \"ids\" {{\n  value = [terraform_data.this.id]\n}}\n\noutput \"by_name\" {{\n  value = {{ a = terraform_data.this.id }}\n}}\n"
    );
    let base = BASE
        .replace(
            "  output id: string\n",
            "  output id: string\n  output ids: list<string>\n  output by_name: map<string>\n",
        )
        .replace(
            "  output ids: map<string> = {for k, c in each: k => c.id}\n",
            "  comp joined { vpc = join(\",\", [for i, id in base.ids: \"${i}-${id}\" if contains(base.ids, id)]) }\n  output named: map<string> = {for k, v in base.by_name: upper(k) => v}\n",
        );
    write_comp_project(dir.path(), &base, &module_tf);
    let body = main_tf(dir.path(), &base, "env pro {}\n");
    let joined = body
        .blocks()
        .find(|b| b.identifier() == "module" && b.labels()[0].as_str() == "joined")
        .expect("module joined");
    let vpc = joined
        .body()
        .attributes()
        .find(|a| a.key() == "vpc")
        .expect("vpc input");
    let hcl::Expression::FuncCall(call) = vpc.expr() else {
        panic!("vpc is not a call: {:?}", vpc.expr());
    };
    let hcl::Expression::ForExpr(for_expr) = &call.args[1] else {
        panic!("join's list is not a for expression: {:?}", call.args[1]);
    };
    assert_eq!(for_expr.value_var.as_str(), "id");
    assert_eq!(for_expr.key_var.as_ref().map(|k| k.as_str()), Some("i"));
    assert!(for_expr.cond_expr.is_some());
    let outputs = read(&dir.path().join("out/01-apps/outputs.tf"));
    assert!(
        outputs.contains("{ for k, v in module.base.by_name : upper(k) => v }"),
        "{outputs}"
    );

    let layer = dir.path().join("out/01-apps");
    let (ok, output) = run(terraform(&layer).args(["fmt", "-check", "-diff"]));
    assert!(ok, "terraform fmt:\n{output}");
    let (ok, output) = terraform_init(&layer);
    assert!(ok, "terraform init:\n{output}");
    let (ok, output) = run(terraform(&layer).args(["validate", "-no-color"]));
    assert!(ok, "terraform validate:\n{output}");
}
