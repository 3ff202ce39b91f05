//! End to end: each environment of the default system applies layer by layer against the moto
//! AWS emulator, in the compiler's order, with the cross-layer values, state keys and lock files
//! checked, and is destroyed in reverse order (tests/deploy/deploy.py does the work).

mod common;

use std::process::Command;

use common::*;

fn deploy(env: &str) {
    let root = repo_root();
    let out = tempfile::tempdir().expect("temp dir");
    let build_dir = out.path().join("out");
    build(&root.join(format!("environments/{env}.infra")), &build_dir);
    let graph = Command::new(env!("CARGO_BIN_EXE_infrac"))
        .args([
            "graph",
            &format!("environments/{env}.infra"),
            "--format",
            "json",
        ])
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
    assert!(ok, "deploying {env} against the emulator failed:\n{output}");
    assert!(output.contains("0 failure(s)"), "{output}");
}

#[test]
fn dev_deploys_and_destroys_against_the_emulator() {
    deploy("dev");
}

#[test]
fn pro_deploys_and_destroys_against_the_emulator() {
    deploy("pro");
}
