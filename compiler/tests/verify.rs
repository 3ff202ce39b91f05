//! `infrac verify`, the CI step: it passes on the default system and fails on an injected error,
//! on drift of committed output, and on a policy violation, in every output format.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;

fn verify(dir: &Path, args: &[&str]) -> (Option<i32>, String, String) {
    verify_with(dir, args, &[])
}

/// `infrac verify environments ARGS` in `dir`, with extra environment variables.
fn verify_with(
    dir: &Path,
    args: &[&str],
    vars: &[(&str, PathBuf)],
) -> (Option<i32>, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_infrac"))
        .arg("verify")
        .arg("environments")
        .args(args)
        .envs(vars.iter().map(|(name, value)| (*name, value)))
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

fn small_project(module: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    write_comp_project(&dir.path().join("environments"), COMP_BASE, module);
    dir
}

fn verify_with_terraform(dir: &Path, args: &[&str]) -> (Option<i32>, String, String) {
    verify_with(
        dir,
        args,
        &[
            ("INFRAC_TERRAFORM", tool(TERRAFORM)),
            ("INFRAC_TF_PLUGIN_DIR", plugin_dir()),
        ],
    )
}

#[test]
fn validate_passes_generated_terraform_that_terraform_accepts() {
    let dir = small_project(COMP_MODULE_TF);
    let (code, _, stderr) = verify_with_terraform(dir.path(), &["--validate"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stderr.contains("verified 1 environment(s) (pro): ok"),
        "{stderr}"
    );
}

#[test]
fn validate_reports_terraform_errors_on_the_emitted_file_in_every_format() {
    let broken = format!("{COMP_MODULE_TF}\noutput \"broken\" {{\n  value = var.undeclared\n}}\n");
    let dir = small_project(&broken);
    let (code, stdout, stderr) =
        verify_with_terraform(dir.path(), &["--validate", "--format", "json"]);
    assert_eq!(code, Some(1), "{stdout}{stderr}");
    let json: serde_json::Value = serde_json::from_str(&stdout).expect("JSON");
    let diagnostics = json["diagnostics"].as_array().expect("diagnostics");
    // Both layers call the module; each reports it, on the copied module file.
    let invalid: Vec<&serde_json::Value> = diagnostics
        .iter()
        .filter(|d| d["code"] == "E0508")
        .collect();
    assert!(!invalid.is_empty(), "{stdout}");
    for d in &invalid {
        assert!(
            d["message"]
                .as_str()
                .expect("message")
                .contains("Reference to undeclared input variable"),
            "{d}"
        );
        let label = &d["labels"][0];
        assert_eq!(label["file"], "build/pro/modules/comp/main.tf", "{d}");
        // `var.undeclared` is the third line after the module's code, and the header and a
        // blank line come first in the copy.
        let line = COMP_MODULE_TF.lines().count() + 3 + 2;
        assert_eq!(label["line"], line, "{d}");
    }
    let (code, stdout, _) = verify_with_terraform(
        dir.path(),
        &["--validate", "--format", "github", "--compare", "committed"],
    );
    assert_eq!(code, Some(1));
    assert!(
        stdout.contains(&format!(
            "::error file=committed/pro/modules/comp/main.tf,line={},col=11,",
            COMP_MODULE_TF.lines().count() + 3 + 2
        )) && stdout
            .contains("title=E0508::terraform validate: Reference to undeclared input variable"),
        "{stdout}"
    );
}

#[test]
fn validate_without_terraform_is_an_error_not_a_pass() {
    let dir = small_project(COMP_MODULE_TF);
    let output = Command::new(env!("CARGO_BIN_EXE_infrac"))
        .args(["verify", "environments", "--validate"])
        .env("INFRAC_TERRAFORM", dir.path().join("no-terraform-here"))
        .current_dir(dir.path())
        .output()
        .expect("run infrac verify");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("--validate needs Terraform"), "{stderr}");
}
