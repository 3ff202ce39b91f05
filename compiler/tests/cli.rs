//! The real `infrac` binary on the default system: check, explain (codes and provenance), eval, graph.

mod common;

use std::process::Command;

use common::repo_root;

fn infrac(args: &[&str]) -> (Option<i32>, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_infrac"))
        .args(args)
        .current_dir(repo_root())
        .output()
        .expect("run infrac");
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn check_passes_on_every_environment() {
    let (code, _, stderr) = infrac(&["check", "environments"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stderr.contains("checked 3 environment(s) (dev, pre, pro): ok"),
        "{stderr}"
    );
}

#[test]
fn the_summary_of_many_environments_names_ten_and_counts_the_rest() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut text = String::from(
        "project shop {\n  region = \"eu-west-1\"\n  state  = { bucket = \"shop-tfstate\" }\n}\nenv e00 {\n}\n",
    );
    for i in 1..25 {
        text.push_str(&format!("env e{i:02} extends e{:02} {{\n}}\n", i - 1));
    }
    std::fs::write(dir.path().join("base.infra"), text).expect("write project");
    let output = Command::new(env!("CARGO_BIN_EXE_infrac"))
        .args(["check", "."])
        .current_dir(dir.path())
        .output()
        .expect("run infrac");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains(
            "checked 25 environment(s) (e00, e01, e02, e03, e04, e05, e06, e07, e08, e09, and 15 more): ok"
        ),
        "{stderr}"
    );
}

#[test]
fn explain_prints_the_override_chain() {
    let (code, stdout, stderr) = infrac(&["explain", "environments/pro.infra", "log_days"]);
    assert_eq!(code, Some(0), "{stderr}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(lines[0].starts_with("log_days = 90"), "{stdout}");
    assert!(
        lines[1].contains("environments/pro.infra:") && lines[1].contains("(env pro)"),
        "{stdout}"
    );
    assert!(
        lines[2].contains("overrode")
            && lines[2].contains("environments/pre.infra:")
            && lines[2].contains("(env pre)"),
        "{stdout}"
    );
    assert!(
        lines[3].contains("overrode")
            && lines[3].contains("environments/base.infra:")
            && lines[3].contains("(base)"),
        "{stdout}"
    );
}

#[test]
fn explain_of_a_path_that_names_nothing_is_a_usage_error() {
    let (code, stdout, stderr) = infrac(&["explain", "environments/pro.infra", "databases.nope.x"]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stdout.is_empty(), "{stdout}");
    assert!(
        stderr.contains("`databases.nope.x` names no value in env `pro`"),
        "{stderr}"
    );
}

#[test]
fn explain_names_module_defaults() {
    let (code, stdout, _) = infrac(&["explain", "environments/pro.infra", "foundation.vpc.name"]);
    assert_eq!(code, Some(0));
    assert!(
        stdout.starts_with("foundation.vpc.name = \"shop-pro-vpc\""),
        "{stdout}"
    );
    assert!(stdout.contains("default of  module `network`"), "{stdout}");
}

#[test]
fn explain_prints_a_code_and_rejects_unknown_ones() {
    let (code, stdout, _) = infrac(&["explain", "E0401"]);
    assert_eq!(code, Some(0));
    assert!(stdout.contains("E0401"), "{stdout}");
    let (code, _, stderr) = infrac(&["explain", "E9999"]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("unknown code E9999"), "{stderr}");
}

#[test]
fn eval_prints_effective_values_as_json() {
    let (code, stdout, stderr) = infrac(&["eval", "environments/pro.infra", "--format", "json"]);
    assert_eq!(code, Some(0), "{stderr}");
    let json: serde_json::Value = serde_json::from_str(&stdout).expect("eval prints JSON");
    assert_eq!(json["params"]["nat"], "per_az");
    assert_eq!(
        json["layers"]["databases"]["instances"]["orders"]["inputs"]["multi_az"],
        true
    );
    assert_eq!(
        json["layers"]["client-mtn-ghana"]["instances"]["records"]["inputs"]["deletion_protection"],
        true
    );
    assert_eq!(
        json["layers"]["client-ezra"]["instances"]["files"]["inputs"]["noncurrent_version_days"],
        365
    );
    assert_eq!(json["layers"]["foundation"]["dir"], "01-foundation");
}

#[test]
fn graph_orders_layers_by_their_references() {
    let (code, stdout, _) = infrac(&["graph", "environments/pro.infra", "--format", "json"]);
    assert_eq!(code, Some(0));
    let json: serde_json::Value = serde_json::from_str(&stdout).expect("graph prints JSON");
    let dirs: Vec<&str> = json["layers"]
        .as_array()
        .expect("layers")
        .iter()
        .map(|l| l["dir"].as_str().expect("dir"))
        .collect();
    assert_eq!(
        dirs,
        [
            "01-foundation",
            "02-platform",
            "03-databases",
            "04-applications",
            "05-client-ezra",
            "06-client-mtn-ghana"
        ]
    );
    let (_, dot, _) = infrac(&["graph", "environments/pro.infra", "--format", "dot"]);
    assert!(
        dot.contains("\"01-foundation\" -> \"04-applications\";"),
        "{dot}"
    );
}

#[test]
fn module_docs_are_up_to_date() {
    let (code, _, stderr) = infrac(&["doc", "--check"]);
    assert_eq!(
        code,
        Some(0),
        "docs/modules is stale: run `infrac doc` and commit it\n{stderr}"
    );
}

#[test]
fn fmt_rewrites_files_and_check_reports_them() {
    let dir = tempfile::tempdir().expect("temp dir");
    let messy = "param  azs: int(1..6)=2\nenv dev {\nazs=3\n}\n";
    let tidy = "param  azs: int(1..6) = 2\nenv dev {\n  azs = 3\n}\n";
    let broken = "env pre {\n  azs = \n";
    std::fs::write(dir.path().join("dev.infra"), messy).expect("write");
    std::fs::write(dir.path().join("pre.infra"), broken).expect("write");
    let dir_arg = dir.path().to_string_lossy().into_owned();
    let dev_arg = dir.path().join("dev.infra").to_string_lossy().into_owned();

    // --check lists what would change, writes nothing, and fails.
    let (code, stdout, stderr) = infrac(&["fmt", "--check", &dev_arg]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stdout.contains("dev.infra"), "{stdout}");
    assert!(stderr.contains("would reformat 1 of 1 file(s)"), "{stderr}");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("dev.infra")).expect("read"),
        messy
    );

    // A directory: the formattable file is rewritten, the broken one is left as it is.
    let (code, _, stderr) = infrac(&["fmt", &dir_arg]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("pre.infra has syntax errors"), "{stderr}");
    assert!(
        stderr.contains("reformatted 1 of 2 file(s), 1 could not be formatted"),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("dev.infra")).expect("read"),
        tidy
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("pre.infra")).expect("read"),
        broken
    );

    // Formatted files pass the check; formatting again changes nothing.
    let (code, stdout, stderr) = infrac(&["fmt", "--check", &dev_arg]);
    assert_eq!((code, stdout.as_str()), (Some(0), ""), "{stderr}");
    let (code, _, stderr) = infrac(&["fmt", &dev_arg]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stderr.contains("reformatted 0 of 1 file(s)"), "{stderr}");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("dev.infra")).expect("read"),
        tidy
    );
}
