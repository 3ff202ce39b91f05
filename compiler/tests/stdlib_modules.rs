//! Every module of the embedded standard library validates alone: its example
//! (`stdlib/examples/NAME.infra`, a one-layer project whose layer calls only that module) is built
//! with the real `infrac` binary, and that layer, a root module of its own, passes
//! `terraform init -backend=false` and `terraform validate` with the real hashicorp/aws provider.
//!
//! A module without an example fails the test, and so does an example of no module, so that a new
//! module cannot skip the check. The tools come from `scripts/install-tools` (see `common`).

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Instant;

use common::*;

/// Where the examples live, relative to the repository root.
const EXAMPLES: &str = "stdlib/examples";

#[test]
fn every_stdlib_module_validates_alone_with_its_example() {
    let started = Instant::now();
    let modules = embedded_modules();
    assert!(
        modules.len() >= 20,
        "expected the standard library's modules, found {modules:?}"
    );
    let examples = examples();
    let mut problems = Vec::new();
    for missing in modules.difference(&examples.keys().cloned().collect()) {
        problems.push(format!(
            "{missing}: no example; add {EXAMPLES}/{missing}.infra (a one-layer project that calls only `{missing}`)"
        ));
    }
    for orphan in examples.keys().filter(|name| !modules.contains(*name)) {
        problems.push(format!(
            "{EXAMPLES}/{orphan}.infra: there is no stdlib module `{orphan}`"
        ));
    }

    let checked: Vec<(&String, &PathBuf)> = examples
        .iter()
        .filter(|(name, _)| modules.contains(*name))
        .collect();
    let results = parallel_map(&checked, jobs(), |(name, file)| {
        let module_started = Instant::now();
        let result = validate_example(name, file);
        eprintln!(
            "[timing]   {name}: build + init + validate {:.1} s",
            module_started.elapsed().as_secs_f64()
        );
        result.err()
    });
    let failed: Vec<String> = results.into_iter().flatten().collect();
    let failed_names: Vec<&str> = failed
        .iter()
        .map(|message| message.split(':').next().unwrap_or_default())
        .collect();
    if !failed.is_empty() {
        problems.push(format!(
            "{} of {} module(s) fail alone: {}\n{}",
            failed.len(),
            checked.len(),
            failed_names.join(", "),
            failed.join("\n")
        ));
    }
    eprintln!(
        "[timing] {} stdlib module(s) validated alone in {:.1} s",
        checked.len(),
        started.elapsed().as_secs_f64()
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The modules the binary embeds: every `modules/NAME/` of the standard library.
fn embedded_modules() -> BTreeSet<String> {
    infrac_core::stdlib::STDLIB_FILES
        .iter()
        .filter_map(|(path, _)| path.strip_prefix("modules/")?.split_once('/'))
        .map(|(name, _)| name.to_string())
        .collect()
}

/// Every example, by module name.
fn examples() -> std::collections::BTreeMap<String, PathBuf> {
    let dir = repo_root().join(EXAMPLES);
    std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|entry| entry.expect("read an entry of the examples").path())
        .filter(|path| path.extension().is_some_and(|e| e == "infra"))
        .map(|path| {
            let name = path
                .file_stem()
                .expect("a file name")
                .to_string_lossy()
                .into_owned();
            (name, path)
        })
        .collect()
}

/// Builds the example of `name` alone and validates its layer; the error starts with `name:`.
fn validate_example(name: &str, file: &Path) -> Result<(), String> {
    let temp = tempfile::Builder::new()
        .prefix("infrac-stdlib-")
        .tempdir()
        .expect("create a temporary directory");
    // The project is the example file alone, in a directory of its own.
    let project = temp.path().join("project");
    std::fs::create_dir(&project).expect("create the project directory");
    let env_file = project.join("example.infra");
    std::fs::copy(file, &env_file).expect("copy the example");
    let out = temp.path().join("out");
    try_build(&env_file, &out).map_err(|e| format!("{name}: {e}"))?;

    let calls: Vec<_> = common::emitted::module_calls(&out)
        .into_iter()
        .filter(|call| call.layer != "bootstrap")
        .collect();
    let kinds: Vec<&str> = calls.iter().map(|call| call.kind.as_str()).collect();
    if kinds != [name] {
        return Err(format!(
            "{name}: the example's layers must call `{name}` once and nothing else, they call {kinds:?}"
        ));
    }
    let layer = out.join(&calls[0].dir);

    let (ok, output) = terraform_init(&layer);
    if !ok {
        return Err(format!("{name}: terraform init failed:\n{output}"));
    }
    let output = output_of(terraform(&layer).args(["validate", "-json", "-no-color"]));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).map_err(|e| {
        format!(
            "{name}: terraform validate printed no JSON ({e}):\n{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    })?;
    let diagnostics: Vec<String> = report["diagnostics"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|d| {
            let at = match (
                d["range"]["filename"].as_str(),
                d["range"]["start"]["line"].as_u64(),
            ) {
                (Some(file), Some(line)) => format!("{file}:{line}: "),
                _ => String::new(),
            };
            format!(
                "    {} {at}{} -- {}",
                d["severity"].as_str().unwrap_or("?").to_uppercase(),
                d["summary"].as_str().unwrap_or_default(),
                d["detail"].as_str().unwrap_or_default().replace('\n', " ")
            )
        })
        .collect();
    let valid = report["valid"].as_bool() == Some(true) && output.status.success();
    if valid && diagnostics.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{name}: terraform validate: {} error(s), {} warning(s)\n{}",
            report["error_count"],
            report["warning_count"],
            diagnostics.join("\n")
        ))
    }
}
