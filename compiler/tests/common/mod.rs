//! Shared helpers for tests that run the real `infrac` binary and the real Terraform tools.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// The repository root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("compiler/ is inside the repository")
        .to_path_buf()
}

/// A tool path from an environment variable that `scripts/install-tools` writes; a missing tool
/// fails the test loudly, it is never skipped.
pub fn tool(var: &str) -> PathBuf {
    let value = std::env::var(var).unwrap_or_else(|_| {
        panic!(
            "\n\n!!! {var} is not set: the real-tool tests need the tools that scripts/install-tools installs.\n\
             !!! Run `scripts/test` (or `scripts/install-tools && . .tools/env.sh` before cargo test).\n\n"
        )
    });
    let path = PathBuf::from(value);
    assert!(
        path.exists(),
        "\n\n!!! {var}={} does not exist; run scripts/install-tools\n\n",
        path.display()
    );
    path
}

/// Builds `env_file` with the real binary into `out`; panics with infrac's output on failure.
pub fn build(env_file: &Path, out: &Path) {
    let output = Command::new(env!("CARGO_BIN_EXE_infrac"))
        .arg("build")
        .arg(env_file)
        .arg("--out")
        .arg(out)
        .output()
        .expect("run infrac");
    assert!(
        output.status.success(),
        "infrac build {} failed:\n{}{}",
        env_file.display(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Every file under `dir`, sorted, skipping Terraform's working directories.
pub fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    walk(dir, &mut out);
    out.sort();
    out
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read dir").flatten() {
        let path = entry.path();
        if path.is_dir() {
            if entry.file_name() != ".terraform" {
                walk(&path, out);
            }
        } else {
            out.push(path);
        }
    }
}

/// The root modules of a build: `00-bootstrap` and every numbered layer.
pub fn root_modules(dir: &Path) -> Vec<PathBuf> {
    let mut roots: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("read build dir")
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.is_dir()
                && p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.as_bytes()[0].is_ascii_digit())
        })
        .collect();
    roots.sort();
    roots
}

/// Runs a command and returns (success, stdout + stderr).
pub fn run(command: &mut Command) -> (bool, String) {
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("cannot run {command:?}: {e}"));
    (
        output.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ),
    )
}

/// A Terraform command with no CLI config or credentials from the machine.
pub fn terraform(dir: &Path) -> Command {
    let mut command = Command::new(tool("INFRAC_TERRAFORM"));
    command
        .current_dir(dir)
        .env("TF_IN_AUTOMATION", "1")
        .env("CHECKPOINT_DISABLE", "1")
        .env("TF_CLI_CONFIG_FILE", "/dev/null");
    command
}

/// The text of a file of a build.
pub fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}
