//! Modules that bring their own Terraform, through the real `infrac` binary: an interface that
//! disagrees with its `.tf` files is reported at both places; registry and git modules are typed
//! from vendored copies (or Terraform's own `.terraform/modules`) and called with their own
//! `source` and `version`; a registry module with no copy fails `check` and `build` alike.

mod common;

use std::path::Path;
use std::process::Command;

use common::*;

const PROJECT: &str = r#"project shop {
  region = "eu-west-1"
  state  = { bucket = "shop-tfstate" }
}
module queue {
  source = "mods/queue"
  input name: string
  input retention: string
}
layer app {
  queue orders { name = "orders", retention = "4" }
}
"#;

const QUEUE_VARIABLES: &str = r#"variable "name" {
  type = string
}

variable "retention" {
  type    = number
  default = 4
}

variable "kms_key_arn" {
  type = string
}
"#;

fn write(dir: &Path, files: &[(&str, &str)]) {
    for (path, text) in files {
        let path = dir.join(path);
        std::fs::create_dir_all(path.parent().expect("a parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    }
}

fn run_infrac(dir: &Path, args: &[&str]) -> (Option<i32>, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_infrac"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run infrac");
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn check_reports_both_places_where_an_interface_disagrees_with_its_terraform() {
    let dir = tempfile::tempdir().expect("temp dir");
    write(
        dir.path(),
        &[
            ("base.infra", PROJECT),
            ("pro.infra", "env pro {}\n"),
            ("mods/queue/variables.tf", QUEUE_VARIABLES),
            (
                "mods/queue/main.tf",
                "output \"url\" {\n  value = var.name\n}\n",
            ),
        ],
    );
    let (code, stdout, stderr) = run_infrac(dir.path(), &["check", ".", "--format", "json"]);
    assert_eq!(code, Some(1), "{stdout}{stderr}");
    let diagnostics: Vec<serde_json::Value> = serde_json::from_str(&stdout).expect("JSON");
    let places = |d: &serde_json::Value| -> Vec<String> {
        d["labels"]
            .as_array()
            .expect("labels")
            .iter()
            .map(|l| {
                let file = Path::new(l["file"].as_str().expect("file"));
                let name = file.file_name().expect("a name").to_string_lossy();
                format!("{name}:{}", l["line"])
            })
            .collect()
    };
    let mismatches: Vec<(String, Vec<String>)> = diagnostics
        .iter()
        .filter(|d| d["code"] == "E0207")
        .map(|d| {
            (
                d["message"].as_str().unwrap_or_default().to_string(),
                places(d),
            )
        })
        .collect();
    assert_eq!(
        mismatches,
        vec![
            (
                "module `queue` has no input `kms_key_arn`, which its Terraform code requires (variables.tf:10)".to_string(),
                vec!["base.infra:5".to_string(), "variables.tf:10".to_string()],
            ),
            (
                "module `queue`: input `retention` is string here but number in variables.tf:5".to_string(),
                vec!["base.infra:8".to_string(), "variables.tf:5".to_string()],
            ),
        ],
        "{stdout}"
    );
    // The rendered form shows both files too.
    let (_, _, rendered) = run_infrac(dir.path(), &["check", "."]);
    assert!(
        rendered.contains("base.infra:8") && rendered.contains("variables.tf:5"),
        "{rendered}"
    );
    // With the interface left out, it is read from the files, and the missing input is an
    // instance's error instead.
    write(
        dir.path(),
        &[(
            "base.infra",
            &PROJECT.replace("  input name: string\n  input retention: string\n", ""),
        )],
    );
    let (code, stdout, _) = run_infrac(dir.path(), &["check", ".", "--format", "json"]);
    assert_eq!(code, Some(1), "{stdout}");
    assert!(
        stdout.contains("E0401") && stdout.contains("E0403") && !stdout.contains("E0207"),
        "a string for a number, and kms_key_arn missing: {stdout}"
    );
}

#[test]
fn a_malformed_module_file_is_a_diagnostic_not_a_panic() {
    let dir = tempfile::tempdir().expect("temp dir");
    write(
        dir.path(),
        &[
            ("base.infra", PROJECT),
            ("pro.infra", "env pro {}\n"),
            (
                "mods/queue/variables.tf",
                "variable \"name\" {\n  type = string\n",
            ),
        ],
    );
    for args in [
        &["check", "."][..],
        &["build", "pro.infra", "--out", "out"][..],
    ] {
        let (code, stdout, stderr) = run_infrac(dir.path(), args);
        assert_eq!(code, Some(1), "{args:?}: {stdout}{stderr}");
        assert!(
            stderr.contains("E0208") && !stderr.contains("panicked"),
            "{stderr}"
        );
        assert!(
            !dir.path().join("out").exists(),
            "a failed build writes nothing"
        );
    }
}

/// The `own-terraform` example, copied so that its vendored modules can be taken away.
fn own_terraform_copy(to: &Path) {
    let from = repo_root().join("examples/own-terraform");
    let status = Command::new("cp")
        .args([
            "-R",
            &format!("{}/.", from.display()),
            &to.display().to_string(),
        ])
        .status()
        .expect("cp");
    assert!(status.success());
}

#[test]
fn registry_and_git_modules_are_typed_from_copies_and_called_with_their_own_source() {
    let dir = tempfile::tempdir().expect("temp dir");
    own_terraform_copy(dir.path());
    let (code, stdout, stderr) = run_infrac(dir.path(), &["build", "pro.infra", "--out", "out"]);
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    let main: hcl::Body =
        hcl::from_str(&read(&dir.path().join("out/01-messaging/main.tf"))).expect("main.tf");
    let calls: Vec<(String, String, Option<String>)> = main
        .blocks()
        .filter(|b| b.identifier() == "module")
        .map(|b| {
            let attribute = |name: &str| {
                b.body()
                    .attributes()
                    .find(|a| a.key() == name)
                    .and_then(|a| match &a.expr {
                        hcl::Expression::String(s) => Some(s.clone()),
                        _ => None,
                    })
            };
            (
                b.labels()[0].as_str().to_string(),
                attribute("source").unwrap_or_default(),
                attribute("version"),
            )
        })
        .collect();
    assert_eq!(
        calls,
        vec![
            ("main".into(), "../modules/kms_key".into(), None),
            ("events".into(), "acme/topic/aws".into(), Some("~> 1.2".into())),
            ("orders".into(), "../modules/queue".into(), None),
            (
                "orders_depth".into(),
                "git::https://example.com/acme/terraform-alarms.git//modules/queue-depth?ref=4f9c1e2a7b3d5f6e8a9b0c1d2e3f4a5b6c7d8e9f".into(),
                None
            ),
        ]
    );
    // `infrac doc` documents them from the same interfaces.
    let (code, _, stderr) = run_infrac(dir.path(), &["doc", "--project", ".", "--out", "doc"]);
    assert_eq!(code, Some(0), "{stderr}");
    let topic = read(&dir.path().join("doc/topic.md"));
    assert!(
        topic.contains("Source: `acme/topic/aws`, version `~> 1.2`; interface read from its Terraform files.")
            && topic.contains("| `subscriptions` | `list<{ protocol: string, endpoint: string }>` | `[]` | Endpoints that receive every message. |"),
        "{topic}"
    );
    // Project modules are copied into the build; fetched ones are not.
    let modules: Vec<String> = std::fs::read_dir(dir.path().join("out/modules"))
        .expect("modules/")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    assert_eq!(modules, ["kms_key", "queue", "state_bootstrap"]);

    // Without the copies, `check` and `build` fail alike, with E0206 on the sources.
    std::fs::rename(dir.path().join("vendor"), dir.path().join("elsewhere")).expect("move");
    for args in [
        &["check", "."][..],
        &["build", "pro.infra", "--out", "out2"][..],
    ] {
        let (code, _, stderr) = run_infrac(dir.path(), args);
        assert_eq!(code, Some(1), "{args:?}: {stderr}");
        assert!(
            stderr.contains("E0206")
                && stderr.contains("the copy of `acme/topic/aws` is not on disk")
                && !stderr.contains("E0505"),
            "{args:?}: {stderr}"
        );
    }

    // `terraform get` puts the modules in `.terraform/modules` and lists them in modules.json:
    // infrac reads them from there.
    let installed = dir.path().join(".terraform/modules");
    std::fs::create_dir_all(&installed).expect("mkdir");
    std::fs::rename(
        dir.path().join("elsewhere/modules/acme/topic/aws"),
        installed.join("events"),
    )
    .expect("move topic");
    std::fs::rename(
        dir.path()
            .join("elsewhere/modules/example.com/acme/terraform-alarms"),
        installed.join("orders_depth"),
    )
    .expect("move alarms");
    let manifest = serde_json::json!({ "Modules": [
        { "Key": "", "Source": "", "Dir": "." },
        { "Key": "events", "Source": "registry.terraform.io/acme/topic/aws", "Version": "1.2.0", "Dir": ".terraform/modules/events" },
        { "Key": "orders_depth", "Source": "git::https://example.com/acme/terraform-alarms.git//modules/queue-depth?ref=4f9c1e2a7b3d5f6e8a9b0c1d2e3f4a5b6c7d8e9f", "Dir": ".terraform/modules/orders_depth/modules/queue-depth" },
    ]});
    std::fs::write(installed.join("modules.json"), manifest.to_string()).expect("manifest");
    let (code, stdout, stderr) = run_infrac(dir.path(), &["check", "."]);
    assert_eq!(code, Some(0), "{stdout}{stderr}");
}
