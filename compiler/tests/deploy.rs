//! End to end: each environment of the default system applies layer by layer against the moto
//! AWS emulator, in the compiler's order, with the cross-layer values, state keys and lock files
//! checked, and is destroyed in reverse order (tests/deploy/deploy.py does the work); and pro of
//! `examples/multi-account`, whose provider, backend and remote-state reads assume roles (moto
//! emulates STS AssumeRole and keeps each role's resources in the role's account).

mod common;

use std::process::Command;

use common::*;

fn deploy(env: &str) -> String {
    deploy_file(&format!("environments/{env}.infra"))
}

/// Deploys the environment of `env_file` (relative to the repository) and returns the report.
fn deploy_file(env_file: &str) -> String {
    let root = repo_root();
    let out = tempfile::tempdir().expect("temp dir");
    let build_dir = out.path().join("out");
    build(&root.join(env_file), &build_dir);
    let graph = Command::new(env!("CARGO_BIN_EXE_infrac"))
        .args(["graph", env_file, "--format", "json"])
        .current_dir(&root)
        .output()
        .expect("run infrac graph");
    assert!(graph.status.success());
    let order = out.path().join("order.json");
    std::fs::write(&order, &graph.stdout).expect("write order");
    let moto_server = tool("INFRAC_MOTO_SERVER");
    tool("INFRAC_TERRAFORM");
    tool("INFRAC_TF_PLUGIN_DIR");
    let python = moto_server.parent().expect("venv bin").join("python");
    let (ok, output) = run(Command::new(python)
        .arg(root.join("tests/deploy/deploy.py"))
        .arg(&build_dir)
        .arg(&order));
    println!("{output}");
    assert!(
        ok,
        "deploying {env_file} against the emulator failed:\n{output}"
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

/// pro of `examples/multi-account`: its own account through an assumed role, the state in another
/// account behind its role, a layer in a second region and instances on an aliased provider.
#[test]
fn multi_account_pro_deploys_through_assumed_roles() {
    let output = deploy_file("examples/multi-account/pro.infra");
    for role in [
        "role arn:aws:iam::333333333333:role/infrac-deploy assumed",
        "role arn:aws:iam::999999999999:role/infrac-state assumed",
    ] {
        assert!(output.contains(role), "{role}:\n{output}");
    }
    assert!(
        output.contains("02-dr reads storage.documents_bucket = \"ledger-pro-documents\""),
        "{output}"
    );
}
