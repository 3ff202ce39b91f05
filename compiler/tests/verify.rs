//! `infrac verify`, the CI step: it passes on the default system and fails on an injected error,
//! on drift of committed output, and on a policy violation, in every output format.

mod common;

use std::path::Path;
use std::process::Command;

use common::*;

fn copy_environments(to: &Path) {
    let from = repo_root().join("environments");
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from)
        .expect("read environments")
        .flatten()
    {
        std::fs::copy(entry.path(), to.join(entry.file_name())).expect("copy");
    }
}

fn verify(dir: &Path, args: &[&str]) -> (Option<i32>, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_infrac"))
        .arg("verify")
        .arg("environments")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run infrac verify");
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn the_default_system_verifies_and_committed_output_without_drift_passes() {
    let dir = tempfile::tempdir().expect("temp dir");
    copy_environments(&dir.path().join("environments"));
    for env in ["dev", "pre", "pro"] {
        build(
            &dir.path().join(format!("environments/{env}.infra")),
            &dir.path().join(format!("build/{env}")),
        );
    }
    let (code, _, stderr) = verify(dir.path(), &["--compare", "build"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stderr.contains("verified 3 environment(s) (dev, pre, pro): ok"),
        "{stderr}"
    );

    // A hand edit of a generated file is drift.
    let main_tf = dir.path().join("build/pro/03-databases/main.tf");
    let edited = read(&main_tf).replace(
        "deletion_protection        = true",
        "deletion_protection        = false",
    );
    std::fs::write(&main_tf, edited).expect("edit");
    let (code, stdout, _) = verify(dir.path(), &["--compare", "build", "--format", "github"]);
    assert_eq!(code, Some(1));
    assert!(
        stdout.contains("title=E0506::build/pro/03-databases/main.tf differs from a fresh build"),
        "{stdout}"
    );
    assert!(
        stdout
            .lines()
            .next()
            .is_some_and(|l| l.starts_with("::error file=environments/pro.infra,line=")),
        "{stdout}"
    );
}

#[test]
fn an_injected_type_error_fails_with_sarif() {
    let dir = tempfile::tempdir().expect("temp dir");
    copy_environments(&dir.path().join("environments"));
    let pro = dir.path().join("environments/pro.infra");
    std::fs::write(
        &pro,
        read(&pro).replace("azs           = 3", "azs           = \"three\""),
    )
    .expect("inject");
    let (code, stdout, _) = verify(dir.path(), &["--format", "sarif"]);
    assert_eq!(code, Some(1));
    let sarif: serde_json::Value = serde_json::from_str(&stdout).expect("SARIF is JSON");
    assert_eq!(sarif["version"], "2.1.0");
    let results = sarif["runs"][0]["results"].as_array().expect("results");
    let result = results
        .iter()
        .find(|r| r["ruleId"] == "E0401")
        .expect("an E0401 result");
    assert_eq!(
        result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "environments/pro.infra"
    );
    assert_eq!(
        result["locations"][0]["physicalLocation"]["region"]["startLine"],
        4
    );
}

#[test]
fn a_policy_violation_fails_with_json() {
    let dir = tempfile::tempdir().expect("temp dir");
    copy_environments(&dir.path().join("environments"));
    let pro = dir.path().join("environments/pro.infra");
    std::fs::write(
        &pro,
        read(&pro).replace("nat           = \"per_az\"", "nat           = \"single\""),
    )
    .expect("inject");
    let (code, stdout, _) = verify(dir.path(), &["--env", "pro", "--format", "json"]);
    assert_eq!(code, Some(1));
    let json: serde_json::Value = serde_json::from_str(&stdout).expect("JSON");
    assert_eq!(json["environments"], serde_json::json!(["pro"]));
    let violation = json["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .find(|d| d["code"] == "E0601")
        .expect("a policy violation");
    assert!(
        violation["message"]
            .as_str()
            .expect("message")
            .contains("`nat` is \"single\""),
        "{violation}"
    );
}
