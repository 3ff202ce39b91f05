//! `infrac apply`, `plan`, `drift` and `destroy` against the moto AWS emulator, through
//! `--endpoint` (tests/deploy/orchestrate.py does the work): dev applies every layer in order, a
//! second plan has no changes, a tag changed behind Terraform's back is drift, destroy removes
//! every layer; a protected environment refuses to replace its bucket without --allow-destroy.

mod common;

use std::process::Command;

use common::*;

fn scenario(name: &str) -> String {
    let root = repo_root();
    let work = tempfile::tempdir().expect("temp dir");
    let moto_server = tool("INFRAC_MOTO_SERVER");
    tool("INFRAC_TERRAFORM");
    plugin_dir();
    let python = moto_server.parent().expect("venv bin").join("python");
    let (ok, output) = run(Command::new(python)
        .arg(root.join("tests/deploy/orchestrate.py"))
        .arg(env!("CARGO_BIN_EXE_infrac"))
        .arg(&root)
        .arg(name)
        .arg(work.path()));
    println!("{output}");
    assert!(ok, "scenario {name} failed:\n{output}");
    assert!(output.contains(&format!("scenario {name}: ok")), "{output}");
    output
}

#[test]
fn dev_applies_converges_drifts_and_destroys_through_infrac() {
    let output = scenario("dev");
    assert!(
        output.contains("CHECK drift reports the bucket tag changed with boto3"),
        "{output}"
    );
}

#[test]
fn a_protected_environment_refuses_to_replace_its_bucket() {
    let output = scenario("protected");
    assert!(
        output.contains("CHECK apply refuses the replace"),
        "{output}"
    );
}

#[test]
fn a_bucket_made_beforehand_is_adopted_through_an_import_entry() {
    let output = scenario("adopt");
    assert!(
        output.contains("CHECK the adopted bucket kept its object"),
        "{output}"
    );
}
