//! The emitted Terraform checked by the real tools: HashiCorp's HCL parser, `terraform fmt`,
//! `terraform validate` with the real AWS provider, and checkov on the production output.
//! Missing tools fail these tests loudly (see `scripts/install-tools`).

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;

/// Every project with environments the tests build: the default system and each example.
fn projects() -> Vec<PathBuf> {
    let root = repo_root();
    let mut projects = vec![root.join("environments")];
    if let Ok(entries) = std::fs::read_dir(root.join("examples")) {
        let mut examples: Vec<PathBuf> = entries
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.join("pro.infra").exists())
            .collect();
        examples.sort();
        projects.extend(examples);
    }
    projects
}

fn build_env(project: &Path, env: &str) -> tempfile::TempDir {
    let out = tempfile::tempdir().expect("temp dir");
    build(
        &project.join(format!("{env}.infra")),
        &out.path().join("out"),
    );
    out
}

fn hcl_parse(dir: &Path) {
    let targets: Vec<PathBuf> = files(dir)
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "tf" || e == "tfbackend"))
        .collect();
    assert!(
        !targets.is_empty(),
        "no Terraform files in {}",
        dir.display()
    );
    let mut command = Command::new("node");
    command
        .arg(repo_root().join("scripts/hcl-parse.cjs"))
        .args(&targets)
        .env("INFRAC_HCL2JSON_MODULE", tool("INFRAC_HCL2JSON_MODULE"));
    let (ok, output) = run(&mut command);
    assert!(
        ok,
        "HashiCorp's parser rejects emitted files in {}:\n{output}",
        dir.display()
    );
    assert!(
        output.contains(&format!("{} parsed, 0 failed", targets.len())),
        "{output}"
    );
}

fn fmt_check(dir: &Path) {
    let (ok, output) = run(terraform(dir).args(["fmt", "-check", "-recursive", "-diff"]));
    assert!(
        ok,
        "terraform fmt would rewrite files in {}:\n{output}",
        dir.display()
    );
}

/// `terraform init -backend=false` and `terraform validate` in every root module, two at a time.
fn validate(dir: &Path) {
    let plugin_dir = tool("INFRAC_TF_PLUGIN_DIR");
    let roots = root_modules(dir);
    assert!(
        roots.len() >= 2,
        "expected a bootstrap and layers in {}",
        dir.display()
    );
    let failures: Vec<String> = std::thread::scope(|scope| {
        let chunks: Vec<Vec<PathBuf>> = (0..2)
            .map(|i| roots.iter().skip(i).step_by(2).cloned().collect())
            .collect();
        let handles: Vec<_> = chunks
            .into_iter()
            .map(|chunk| {
                let plugin_dir = plugin_dir.clone();
                scope.spawn(move || {
                    let mut failures = Vec::new();
                    for root in chunk {
                        let plugin_arg = format!("-plugin-dir={}", plugin_dir.display());
                        let (ok, output) = run(terraform(&root).args([
                            "init",
                            "-backend=false",
                            "-input=false",
                            "-no-color",
                            &plugin_arg,
                        ]));
                        if !ok {
                            failures.push(format!(
                                "{}: terraform init failed:\n{output}",
                                root.display()
                            ));
                            continue;
                        }
                        let (ok, output) = run(terraform(&root).args(["validate", "-no-color"]));
                        if !ok {
                            failures.push(format!(
                                "{}: terraform validate failed:\n{output}",
                                root.display()
                            ));
                        }
                    }
                    failures
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("validate thread"))
            .collect()
    });
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The checkov skip list: global check ids, and the number of inline skips it documents.
fn checkov_skips() -> (Vec<String>, usize) {
    let text = read(&repo_root().join("stdlib/checkov-skips.txt"));
    let mut global = Vec::new();
    let mut inline = 0;
    for line in text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
    {
        let mut words = line.split_whitespace();
        let scope = words.next().unwrap_or_default();
        let id = words.next().unwrap_or_default().to_string();
        assert!(
            words.next().is_some(),
            "checkov skip {id} has no reason: {line}"
        );
        match scope {
            "global" => global.push(id),
            "inline" => inline += 1,
            other => panic!("unknown skip scope {other} in stdlib/checkov-skips.txt"),
        }
    }
    (global, inline)
}

fn checkov(dir: &Path) {
    let (global, inline) = checkov_skips();
    assert!(
        global.len() + inline <= 5,
        "at most five checkov skips, found {}",
        global.len() + inline
    );
    let inline_in_code = files(&repo_root().join("stdlib"))
        .iter()
        .map(|p| read(p).matches("checkov:skip=").count())
        .sum::<usize>();
    assert_eq!(
        inline_in_code, inline,
        "stdlib/checkov-skips.txt must list every inline `checkov:skip`"
    );
    let mut command = Command::new(tool("INFRAC_CHECKOV"));
    command.args(["-d"]).arg(dir).args([
        "--framework",
        "terraform",
        "--skip-download",
        "--download-external-modules",
        "false",
        "-o",
        "json",
        "--quiet",
        "--compact",
    ]);
    if !global.is_empty() {
        command.args(["--skip-check", &global.join(",")]);
    }
    command
        .env("BC_SKIP_MAPPING", "TRUE")
        .env("CHECKOV_RUN_SCA_PACKAGE_SCAN_V2", "false");
    let output = command.output().expect("run checkov");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!(
            "checkov did not print JSON ({e}):\n{stdout}\n{}",
            String::from_utf8_lossy(&output.stderr)
        )
    });
    let reports = match report {
        serde_json::Value::Array(items) => items,
        other => vec![other],
    };
    let mut failed = Vec::new();
    let mut passed = 0;
    for report in &reports {
        passed += report["summary"]["passed"].as_u64().unwrap_or(0);
        for check in report["results"]["failed_checks"]
            .as_array()
            .into_iter()
            .flatten()
        {
            failed.push(format!(
                "{} {} {}:{:?} {}",
                check["check_id"].as_str().unwrap_or("?"),
                check["resource"].as_str().unwrap_or("?"),
                check["file_path"].as_str().unwrap_or("?"),
                check["file_line_range"],
                check["check_name"].as_str().unwrap_or("")
            ));
        }
    }
    assert!(
        passed > 20,
        "checkov passed only {passed} checks on {}: did it scan anything?",
        dir.display()
    );
    assert!(
        failed.is_empty(),
        "checkov fails {} check(s) on {}:\n{}",
        failed.len(),
        dir.display(),
        failed.join("\n")
    );
}

fn check_project_env(project: &Path, env: &str) {
    let out = build_env(project, env);
    let dir = out.path().join("out");
    hcl_parse(&dir);
    fmt_check(&dir);
    validate(&dir);
    if env == "pro" {
        checkov(&dir);
    }
}

#[test]
fn default_system_dev_passes_parser_fmt_and_validate() {
    check_project_env(&repo_root().join("environments"), "dev");
}

#[test]
fn default_system_pre_passes_parser_fmt_and_validate() {
    check_project_env(&repo_root().join("environments"), "pre");
}

#[test]
fn default_system_pro_passes_parser_fmt_validate_and_checkov() {
    check_project_env(&repo_root().join("environments"), "pro");
}

#[test]
fn examples_pass_parser_fmt_validate_and_checkov() {
    for project in projects().into_iter().skip(1) {
        for env in ["dev", "pre", "pro"] {
            check_project_env(&project, env);
        }
    }
}

/// The block of `module "NAME"` in a main.tf, up to its closing brace at column 0.
fn module_block<'a>(main_tf: &'a str, name: &str) -> &'a str {
    let start = main_tf
        .find(&format!("module \"{name}\" {{"))
        .unwrap_or_else(|| panic!("no module {name} in:\n{main_tf}"));
    let end = main_tf[start..]
        .find("\n}\n")
        .map_or(main_tf.len(), |n| start + n);
    &main_tf[start..end]
}

/// The value of `key = value` inside a block.
fn attribute<'a>(block: &'a str, key: &str) -> &'a str {
    block
        .lines()
        .find_map(|line| {
            let (k, v) = line.split_once(" = ")?;
            (k.trim() == key).then(|| v.trim())
        })
        .unwrap_or_else(|| panic!("no attribute {key} in:\n{block}"))
}

#[test]
fn dev_and_pro_differ_where_the_mission_says() {
    let project = repo_root().join("environments");
    let dev = build_env(&project, "dev");
    let pro = build_env(&project, "pro");
    let layer = |out: &tempfile::TempDir, dir: &str| {
        read(&out.path().join("out").join(dir).join("main.tf"))
    };
    let (dev_foundation, pro_foundation) =
        (layer(&dev, "01-foundation"), layer(&pro, "01-foundation"));
    let (dev_vpc, pro_vpc) = (
        module_block(&dev_foundation, "vpc"),
        module_block(&pro_foundation, "vpc"),
    );
    assert_eq!(attribute(dev_vpc, "nat"), "\"single\"");
    assert_eq!(attribute(pro_vpc, "nat"), "\"per_az\"");
    assert_eq!(attribute(dev_vpc, "azs"), "2");
    assert_eq!(attribute(pro_vpc, "azs"), "3");
    assert_eq!(attribute(dev_vpc, "flow_log_retention_days"), "14");
    assert_eq!(attribute(pro_vpc, "flow_log_retention_days"), "90");
    let (dev_db, pro_db) = (layer(&dev, "03-databases"), layer(&pro, "03-databases"));
    let (dev_orders, pro_orders) = (
        module_block(&dev_db, "orders"),
        module_block(&pro_db, "orders"),
    );
    assert_eq!(attribute(dev_orders, "deletion_protection"), "false");
    assert_eq!(attribute(pro_orders, "deletion_protection"), "true");
    assert_eq!(attribute(dev_orders, "multi_az"), "false");
    assert_eq!(attribute(pro_orders, "multi_az"), "true");
    assert_eq!(attribute(dev_orders, "instance_class"), "\"db.t4g.micro\"");
    assert_eq!(attribute(pro_orders, "instance_class"), "\"db.r6g.large\"");
    assert_eq!(attribute(pro_orders, "backup_retention_days"), "30");
    let pro_platform = layer(&pro, "02-platform");
    assert_eq!(
        attribute(module_block(&pro_platform, "web"), "deletion_protection"),
        "true"
    );
    assert_eq!(
        attribute(
            module_block(&layer(&dev, "02-platform"), "web"),
            "deletion_protection"
        ),
        "false"
    );
    // Each environment has its own state bucket and keys.
    let dev_backend = read(&dev.path().join("out/03-databases/dev.s3.tfbackend"));
    let pro_backend = read(&pro.path().join("out/03-databases/pro.s3.tfbackend"));
    assert!(
        dev_backend.contains("\"shop-tfstate-dev\"")
            && dev_backend.contains("\"dev/03-databases/terraform.tfstate\""),
        "{dev_backend}"
    );
    assert!(
        pro_backend.contains("\"shop-tfstate-pro\"")
            && pro_backend.contains("\"pro/03-databases/terraform.tfstate\""),
        "{pro_backend}"
    );
    assert!(
        pro_backend.contains("use_lockfile = true") && !pro_backend.contains("dynamodb_table"),
        "{pro_backend}"
    );
}
