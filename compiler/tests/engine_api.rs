//! The embedding API (`infrac-engine`) against the `infrac` binary: a check finds what `infrac
//! check` finds, an evaluation is what `infrac eval` prints, a build is what `infrac build` writes,
//! byte for byte, and an edited project answers as a freshly loaded one.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use common::{build_in_tempdir, copy_environments, default_system, examples, infrac, output_of};
use infrac_engine::Project;

/// (code, file name, line, column, message) of each diagnostic: what both sides must agree on,
/// whatever directory each prints paths from.
type Finding = (String, String, u64, u64, String);

fn file_name(path: &str) -> String {
    Path::new(path)
        .file_name()
        .map_or_else(|| path.to_string(), |n| n.to_string_lossy().into_owned())
}

fn cli_findings(dir: &Path) -> BTreeSet<Finding> {
    let output = output_of(infrac().arg("check").arg(dir).args(["--format", "json"]));
    let items: Vec<serde_json::Value> =
        serde_json::from_slice(&output.stdout).expect("infrac check --format json prints JSON");
    items
        .iter()
        .map(|item| {
            let primary = item["labels"]
                .as_array()
                .and_then(|labels| labels.iter().find(|l| l["primary"] == true))
                .expect("a diagnostic of a source file has a primary label");
            (
                item["code"].as_str().unwrap_or_default().to_string(),
                file_name(primary["file"].as_str().unwrap_or_default()),
                primary["line"].as_u64().unwrap_or_default(),
                primary["column"].as_u64().unwrap_or_default(),
                item["message"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

fn api_findings(diagnostics: &[infrac_engine::Diagnostic]) -> BTreeSet<Finding> {
    diagnostics
        .iter()
        .map(|d| {
            let primary = d
                .primary()
                .expect("a diagnostic of a source file has a primary label");
            (
                d.code.clone(),
                file_name(&primary.file),
                u64::from(primary.line),
                u64::from(primary.column),
                d.message.clone(),
            )
        })
        .collect()
}

/// The default system with a type error, a constraint violation and an unknown override in pro.
fn broken_environments(dir: &Path) {
    copy_environments(dir);
    let pro = dir.join("pro.infra");
    let text = std::fs::read_to_string(&pro).expect("read pro.infra");
    let broken = text
        .replace("azs           = 3", "azs           = \"three\"")
        .replace("log_days      = 90", "log_days      = 91")
        .replace(
            "http_redirect = false",
            "http_redirect = false\n  htp_redirect  = true",
        );
    assert_ne!(text, broken, "the edits apply to environments/pro.infra");
    std::fs::write(&pro, broken).expect("write pro.infra");
}

#[test]
fn check_finds_what_infrac_check_finds() {
    let temp = tempfile::tempdir().expect("temp dir");
    broken_environments(temp.path());
    let cli = cli_findings(temp.path());
    let api = api_findings(&Project::load_dir(temp.path()).check_all());
    assert!(cli.len() >= 3, "the broken project has errors: {cli:#?}");
    assert_eq!(api, cli);
    let clean = api_findings(&Project::load_dir(default_system().dir).check_all());
    assert_eq!(clean, cli_findings(&default_system().dir));
}

#[test]
fn evaluate_equals_infrac_eval() {
    let project = Project::load_dir(default_system().dir);
    for env in project.environments() {
        let output = output_of(infrac().arg("eval").arg(default_system().env_file(&env)));
        assert!(output.status.success(), "infrac eval {env} succeeds");
        let printed: serde_json::Value =
            serde_json::from_slice(&output.stdout).expect("infrac eval prints JSON");
        let evaluation = project
            .evaluate(&env)
            .unwrap_or_else(|failure| panic!("{env}: {failure}"));
        assert_eq!(evaluation.values, printed, "{env}");
        // Every parameter has a provenance; pro's own settings are set in pro.infra.
        for param in printed["params"].as_object().expect("params").keys() {
            assert!(
                evaluation.provenance.contains_key(param),
                "{env}: no provenance for {param}"
            );
        }
        if env == "pro" {
            let set_at = evaluation.provenance["azs"].set_at.as_ref().expect("set");
            assert_eq!(set_at.location.file, "pro.infra");
            assert_eq!(set_at.env.as_deref(), Some("pro"));
        }
    }
}

#[test]
fn build_equals_infrac_build_byte_for_byte() {
    let mut projects = vec![default_system()];
    projects.extend(examples());
    for project in projects {
        let api = Project::load_dir(&project.dir);
        for env in common::ENVS {
            let cli = build_in_tempdir(&project, env).unwrap_or_else(|e| panic!("{e}"));
            let written: BTreeMap<String, Vec<u8>> = common::tree(&cli.root)
                .into_iter()
                .map(|(path, bytes)| (path.to_string_lossy().replace('\\', "/"), bytes))
                .collect();
            let built = api
                .build(env)
                .unwrap_or_else(|failure| panic!("{}: {failure}", cli.label));
            let written_paths: Vec<&String> = written.keys().collect();
            let built_paths: Vec<&String> = built.keys().collect();
            assert_eq!(built_paths, written_paths, "{}: the same files", cli.label);
            for (path, bytes) in &written {
                assert!(built[path] == *bytes, "{}: {path} differs", cli.label);
            }
        }
    }
}

#[test]
fn an_edited_project_answers_as_a_freshly_loaded_one() {
    let clean = tempfile::tempdir().expect("temp dir");
    copy_environments(clean.path());
    let broken = tempfile::tempdir().expect("temp dir");
    broken_environments(broken.path());
    let broken_pro = std::fs::read_to_string(broken.path().join("pro.infra")).expect("read");
    let clean_pro = std::fs::read_to_string(clean.path().join("pro.infra")).expect("read");

    let mut project = Project::load_dir(clean.path());
    assert!(project.check("pro").iter().all(|d| !d.is_error()));
    let before = project.build("pro").expect("pro builds");

    project.set_file("pro.infra", broken_pro);
    assert_eq!(
        project.check("pro"),
        Project::load_dir(broken.path()).check("pro")
    );
    let failure = project
        .build("pro")
        .expect_err("a broken environment does not build");
    assert!(failure.diagnostics.iter().any(|d| d.code == "E0401"));

    project.set_file("pro.infra", clean_pro);
    assert!(project.check("pro").iter().all(|d| !d.is_error()));
    assert_eq!(project.build("pro").expect("pro builds again"), before);

    assert!(project.remove_file("pro.infra"));
    assert!(!project.environments().contains(&"pro".to_string()));
    let unknown = project.check("pro");
    assert_eq!(unknown.len(), 1);
    assert_eq!(unknown[0].code, "E0301");
    assert!(unknown[0].labels.is_empty());
    assert!(!project.remove_file("pro.infra"));
}
