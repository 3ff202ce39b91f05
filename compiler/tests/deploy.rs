//! End to end: each environment of the default system applies layer by layer against the moto
//! AWS emulator, in the compiler's order, with the cross-layer values, state keys and lock files
//! checked, and is destroyed in reverse order (tests/deploy/deploy.py does the work); and dev and
//! pro of `examples/multi-account` after its shared layer, applied once, whose provider, backend
//! and remote-state reads assume roles (moto emulates STS AssumeRole and keeps each role's
//! resources in the role's account).

mod common;

use std::process::Command;

use common::*;

fn deploy(env: &str) -> String {
    deploy_file(&format!("environments/{env}.infra"))
}

/// Deploys the environment of `env_file` (relative to the repository) and returns the report.
fn deploy_file(env_file: &str) -> String {
    deploy_files(&[env_file])
}

/// Deploys the environments of `env_files` in that order into one emulator (their shared layers
/// once, first) and returns the report.
fn deploy_files(env_files: &[&str]) -> String {
    let root = repo_root();
    let out = tempfile::tempdir().expect("temp dir");
    let mut args = Vec::new();
    for (index, env_file) in env_files.iter().enumerate() {
        let build_dir = out.path().join(format!("out-{index}"));
        build(&root.join(env_file), &build_dir);
        let graph = Command::new(env!("CARGO_BIN_EXE_infrac"))
            .args(["graph", env_file, "--format", "json"])
            .current_dir(&root)
            .output()
            .expect("run infrac graph");
        assert!(graph.status.success());
        let order = out.path().join(format!("order-{index}.json"));
        std::fs::write(&order, &graph.stdout).expect("write order");
        args.push(build_dir);
        args.push(order);
    }
    let moto_server = tool("INFRAC_MOTO_SERVER");
    tool("INFRAC_TERRAFORM");
    tool("INFRAC_TF_PLUGIN_DIR");
    let python = moto_server.parent().expect("venv bin").join("python");
    let (ok, output) = run(Command::new(python)
        .arg(root.join("tests/deploy/deploy.py"))
        .args(&args));
    println!("{output}");
    assert!(
        ok,
        "deploying {env_files:?} against the emulator failed:\n{output}"
    );
    assert!(output.contains("0 failure(s)"), "{output}");
    output
}

#[test]
fn dev_deploys_and_destroys_against_the_emulator() {
    deploy("dev");
}

#[test]
fn pro_deploys_and_destroys_against_the_emulator() {
    deploy("pro");
}

/// dev and pro of `examples/multi-account`, after its shared registry: each environment in its
/// own account through an assumed role, the state in another account behind its role, a layer
/// in a second region and instances on an aliased provider; the shared layer, in the tooling
/// account with its own state bucket, is applied once and read by both environments.
#[test]
fn multi_account_shared_registry_and_two_environments_deploy_through_assumed_roles() {
    let output = deploy_files(&[
        "examples/multi-account/dev.infra",
        "examples/multi-account/pro.infra",
    ]);
    for role in [
        "role arn:aws:iam::111111111111:role/infrac-deploy assumed",
        "role arn:aws:iam::333333333333:role/infrac-deploy assumed",
        "role arn:aws:iam::999999999999:role/infrac-deploy assumed",
        "role arn:aws:iam::999999999999:role/infrac-state assumed",
    ] {
        assert!(output.contains(role), "{role}:\n{output}");
    }
    // The shared layer and its bucket once, before either environment.
    assert_eq!(
        output.matches("APPLIED shared/01-registry").count(),
        1,
        "{output}"
    );
    assert_eq!(
        output.matches("APPLIED shared/00-bootstrap").count(),
        1,
        "{output}"
    );
    let first_env = output.find("APPLIED dev/").unwrap_or(usize::MAX);
    assert!(
        output.find("APPLIED shared/01-registry") < Some(first_env),
        "{output}"
    );
    assert!(
        output.contains("state s3://ledger-tfstate-shared/shared/registry/terraform.tfstate"),
        "{output}"
    );
    for env in ["dev", "pro"] {
        let read = format!("{env}/01-storage reads registry.api_repository = \"");
        assert!(output.contains(&read), "{read}:\n{output}");
        let dr = format!("{env}/02-dr reads storage.documents_bucket = \"ledger-{env}-documents\"");
        assert!(output.contains(&dr), "{dr}:\n{output}");
        // The topic, a resource type typed from the provider's schema, exists in the
        // environment's account and its ARN flows to the next layer.
        let topic = format!("{env}/02-dr reads storage.oncall_topic = \"arn:aws:sns:");
        assert!(output.contains(&topic), "{topic}:\n{output}");
    }
}
