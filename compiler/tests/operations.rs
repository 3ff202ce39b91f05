//! Everyday operations on the default system: `guard` on a recorded plan, `affected` between two
//! builds, and `diff` of two environments.

mod common;

use std::process::Command;

use common::*;

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
fn guard_refuses_to_destroy_a_database_unless_allowed() {
    let plan = "compiler/tests/fixtures/plans/destroys-a-database.json";
    let (code, stdout, stderr) = infrac(&["guard", plan, "--env", "pro"]);
    assert_eq!(code, Some(1), "{stdout}{stderr}");
    assert!(
        stdout.contains("REFUSED delete aws_db_instance.orders: a database"),
        "{stdout}"
    );
    assert!(
        !stdout.contains("aws_security_group.old"),
        "security groups are not protected: {stdout}"
    );
    assert!(
        !stdout.contains("aws_s3_bucket.kept"),
        "an update is not a delete: {stdout}"
    );
    assert!(
        stderr.contains("guard pro: 1 protected resource(s) would be deleted or replaced"),
        "{stderr}"
    );
    let (code, _, stderr) = infrac(&[
        "guard",
        plan,
        "--env",
        "pro",
        "--allow",
        "aws_db_instance.orders",
    ]);
    assert_eq!(code, Some(0), "{stderr}");
    let (code, _, stderr) = infrac(&["guard", "README.md", "--env", "pro"]);
    assert_eq!(code, Some(2), "{stderr}");
}

#[test]
fn affected_lists_the_layers_a_change_touches() {
    let dir = tempfile::tempdir().expect("temp dir");
    let project = dir.path().join("environments");
    copy_environments(&project);
    build(&project.join("pro.infra"), &dir.path().join("base"));
    // The database class only changes the databases layer.
    let pro = project.join("pro.infra");
    std::fs::write(&pro, read(&pro).replace("db.r6g.large", "db.r6g.xlarge")).expect("edit");
    build(&pro, &dir.path().join("head"));
    let base = dir.path().join("base");
    let head = dir.path().join("head");
    let (code, stdout, stderr) = infrac(&[
        "affected",
        "--base",
        base.to_str().expect("utf-8"),
        "--head",
        head.to_str().expect("utf-8"),
    ]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(stdout.lines().collect::<Vec<_>>(), ["03-databases"]);
    let (_, stdout, _) = infrac(&[
        "affected",
        "--base",
        base.to_str().expect("utf-8"),
        "--head",
        base.to_str().expect("utf-8"),
    ]);
    assert!(stdout.is_empty(), "{stdout}");

    // A policy's wording reaches only the generated tests of the layers it checks.
    let policies = project.join("policies.infra");
    std::fs::write(
        &policies,
        read(&policies).replace(
            "pro databases have a standby in another zone",
            "pro databases keep a standby in a second zone",
        ),
    )
    .expect("edit");
    build(&pro, &dir.path().join("reworded"));
    let reworded = dir.path().join("reworded");
    let (code, stdout, stderr) = infrac(&[
        "affected",
        "--base",
        head.to_str().expect("utf-8"),
        "--head",
        reworded.to_str().expect("utf-8"),
    ]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(stdout.lines().collect::<Vec<_>>(), ["03-databases"]);
}

#[test]
fn diff_shows_what_differs_between_environments_and_where_it_was_set() {
    let (code, stdout, stderr) =
        infrac(&["diff", "environments/dev.infra", "environments/pro.infra"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stdout.contains("~ param nat\n    dev: \"single\"  (environments/base.infra:"),
        "{stdout}"
    );
    assert!(
        stdout.contains("    pro: \"per_az\"  (environments/pro.infra:"),
        "{stdout}"
    );
    assert!(
        stdout.contains("~ databases.orders.deletion_protection\n    dev: false"),
        "{stdout}"
    );
    assert!(stdout.contains("~ databases: state key\n    dev: dev/databases/terraform.tfstate\n    pro: pro/databases/terraform.tfstate"), "{stdout}");
    assert!(
        stdout.contains("~ client-mtn-ghana.files: module\n    dev: (absent)\n    pro: s3_bucket"),
        "{stdout}"
    );
}

#[test]
fn diff_of_bare_names_resolves_them_in_the_project_or_is_a_usage_error() {
    // `dev` and `pro` are not files in the working directory: they name the environments of the
    // project in `environments/`, and give the same differences as the files.
    let (code, by_name, stderr) = infrac(&["diff", "dev", "pro"]);
    assert_eq!(code, Some(0), "{stderr}");
    let (_, by_file, _) = infrac(&["diff", "environments/dev.infra", "environments/pro.infra"]);
    assert_eq!(by_name, by_file);
    assert!(
        by_name.contains("~ param nat\n    dev: \"single\""),
        "{by_name}"
    );
    // A name that is no environment, or a path that does not exist, is a usage error, never
    // `0 difference(s)`.
    let (code, stdout, stderr) = infrac(&["diff", "dev", "prod"]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stdout.is_empty(), "{stdout}");
    assert!(
        stderr.contains("prod is not a file, nor an environment of the project in environments"),
        "{stderr}"
    );
    assert!(!stderr.contains("difference(s)"), "{stderr}");
    let (code, _, stderr) = infrac(&["diff", "environments/dev.infra", "environments/nope.infra"]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("environments/nope.infra does not exist"),
        "{stderr}"
    );
    for command in ["eval", "graph", "build"] {
        let (code, _, stderr) = infrac(&[command, "nope"]);
        assert_eq!(code, Some(2), "{command}: {stderr}");
        assert!(stderr.contains("nope is not a file"), "{command}: {stderr}");
    }
    let (code, stdout, stderr) = infrac(&["graph", "pro"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stdout.contains("\"databases\""), "{stdout}");
}

#[test]
fn diff_generated_prints_a_deterministic_unified_diff_of_the_emitted_files() {
    let args = [
        "diff",
        "environments/dev.infra",
        "environments/pro.infra",
        "--generated",
    ];
    let (code, stdout, stderr) = infrac(&args);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stdout.contains(
            "diff dev/00-bootstrap/main.tf pro/00-bootstrap/main.tf\n--- dev/00-bootstrap/main.tf\n+++ pro/00-bootstrap/main.tf\n@@ "
        ),
        "{stdout}"
    );
    assert!(
        stdout
            .contains("-  bucket     = \"shop-tfstate-dev\"\n+  bucket     = \"shop-tfstate-pro\""),
        "{stdout}"
    );
    // A layer only pro has is a new file on the right.
    assert!(
        stdout.contains("--- /dev/null\n+++ pro/06-client-mtn-ghana/main.tf\n"),
        "{stdout}"
    );
    // Files are in path order, and a second run prints the same bytes.
    let headers: Vec<&str> = stdout.lines().filter(|l| l.starts_with("diff ")).collect();
    let mut sorted = headers.clone();
    sorted.sort();
    assert_eq!(headers, sorted);
    assert_eq!(infrac(&args).1, stdout);
    // An environment against itself has no difference.
    let (code, stdout, _) = infrac(&[
        "diff",
        "environments/pro.infra",
        "environments/pro.infra",
        "--generated",
    ]);
    assert_eq!(code, Some(0));
    assert!(stdout.is_empty(), "{stdout}");
}

fn git(dir: &std::path::Path, args: &[&str]) {
    let output = Command::new("git")
        .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run git");
    assert!(
        output.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn affected_against_a_git_revision_lists_the_layers_the_working_tree_changes() {
    let dir = tempfile::tempdir().expect("temp dir");
    let project = dir.path().join("environments");
    copy_environments(&project);
    git(dir.path(), &["init", "-q", "-b", "main"]);
    git(dir.path(), &["add", "environments"]);
    git(dir.path(), &["commit", "-q", "-m", "initial"]);
    let run = |args: &[&str]| {
        let output = Command::new(env!("CARGO_BIN_EXE_infrac"))
            .args(args)
            .current_dir(dir.path())
            .output()
            .expect("run infrac");
        (
            output.status.code(),
            String::from_utf8_lossy(&output.stdout).into_owned(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    };
    let envs = ["environments/dev.infra", "environments/pro.infra"];
    let (code, stdout, stderr) = run(&[&["affected", "--base", "HEAD"][..], &envs].concat());
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stdout.is_empty(), "nothing changed yet: {stdout}");

    // The database class of pro only changes pro's databases layer.
    let pro = project.join("pro.infra");
    std::fs::write(&pro, read(&pro).replace("db.r6g.large", "db.r6g.xlarge")).expect("edit");
    let (code, stdout, stderr) = run(&[&["affected", "--base", "HEAD"][..], &envs].concat());
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(stdout.lines().collect::<Vec<_>>(), ["pro/03-databases"]);

    // Once committed, the previous revision still sees it, HEAD does not.
    git(dir.path(), &["commit", "-q", "-am", "bigger database"]);
    let (_, stdout, _) = run(&[&["affected", "--base", "HEAD~1"][..], &envs].concat());
    assert_eq!(stdout.lines().collect::<Vec<_>>(), ["pro/03-databases"]);
    let (_, stdout, _) = run(&[&["affected", "--base", "HEAD"][..], &envs].concat());
    assert!(stdout.is_empty(), "{stdout}");

    let (code, _, stderr) = run(&["affected", "--base", "no-such-ref", envs[0]]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("`no-such-ref` is not a commit"), "{stderr}");
}
