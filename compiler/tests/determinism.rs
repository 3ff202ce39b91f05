//! Determinism: the same input gives the same bytes across 100 builds, each a new process (so a
//! new `HashMap` seed), with 1 to 4 worker threads (`RAYON_NUM_THREADS`), started from different
//! working directories with relative and absolute paths, writing to different directories.
//! A quarter of the builds are of a project whose file is large enough to be parsed in parallel.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use common::*;

/// A project with one 200 KB file: 40 layers of 50 instances.
fn large_project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut text = String::from(
        "project big {\n  region = \"eu-west-1\"\n  state  = { bucket = \"big-tfstate\" }\n}\n\
         module comp {\n  source = \"mods/comp\"\n  input size: int(1..10) = 1\n  \
         input name: string = \"${project}-${env}-${instance}\"\n  output id: string\n}\n\
         layer base {\n  comp net {}\n  output id: string = net.id\n}\n",
    );
    for layer in 0..40 {
        text.push_str(&format!("layer l{layer} {{\n"));
        for i in 0..50 {
            text.push_str(&format!(
                "  comp c{i} {{ size = {}, name = \"${{base.id}}-{layer}-{i}\" }}\n",
                1 + (layer + i) % 10
            ));
        }
        text.push_str("}\n");
    }
    assert!(
        text.len() > 64 * 1024,
        "large enough for the parallel parser"
    );
    std::fs::write(dir.path().join("base.infra"), text).expect("write base");
    std::fs::write(dir.path().join("pro.infra"), "env pro {\n}\n").expect("write pro");
    std::fs::create_dir_all(dir.path().join("mods/comp")).expect("mkdir");
    std::fs::write(
        dir.path().join("mods/comp/main.tf"),
        "variable \"size\" {\n  type = number\n}\n\nvariable \"name\" {\n  type = string\n}\n\noutput \"id\" {\n  value = var.name\n}\n",
    )
    .expect("write module");
    dir
}

#[test]
fn a_hundred_builds_with_different_seeds_threads_and_directories_are_identical() {
    let large = large_project();
    let system = default_system();
    let outs = tempfile::tempdir().expect("temp dir");
    let mut first: BTreeMap<PathBuf, BTreeMap<PathBuf, Vec<u8>>> = BTreeMap::new();
    let mut differences = Vec::new();
    for run in 0..100 {
        let project_dir: &Path = if run % 4 == 3 {
            large.path()
        } else {
            &system.dir
        };
        let env_file = project_dir.join("pro.infra");
        let (cwd, arg): (PathBuf, PathBuf) = match run % 3 {
            0 => (project_dir.to_path_buf(), PathBuf::from("pro.infra")),
            1 => (
                project_dir.parent().expect("a parent").to_path_buf(),
                PathBuf::from(project_dir.file_name().expect("a name")).join("pro.infra"),
            ),
            _ => (PathBuf::from("/"), env_file.clone()),
        };
        let out = outs.path().join(format!("nested-{}/run-{run}", run % 5));
        let threads = 1 + run % 4;
        let output = infrac()
            .current_dir(&cwd)
            .env("RAYON_NUM_THREADS", threads.to_string())
            .arg("build")
            .arg(&arg)
            .arg("--out")
            .arg(&out)
            .output()
            .expect("run infrac");
        assert!(
            output.status.success(),
            "run {run}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let files = tree(&out);
        match first.get(project_dir) {
            None => {
                first.insert(project_dir.to_path_buf(), files);
            }
            Some(expected) if *expected == files => {}
            Some(expected) => {
                let changed: Vec<String> = expected
                    .keys()
                    .chain(files.keys())
                    .filter(|path| expected.get(*path) != files.get(*path))
                    .map(|path| path.display().to_string())
                    .collect();
                differences.push(format!(
                    "run {run} ({threads} threads, from {}): {}",
                    cwd.display(),
                    changed.join(", ")
                ));
            }
        }
        std::fs::remove_dir_all(&out).expect("clear the run's output");
    }
    assert_eq!(first.len(), 2);
    assert!(differences.is_empty(), "{}", differences.join("\n"));
}
