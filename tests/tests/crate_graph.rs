//! The crate graph: no crate depends on one above it, and the library crates pull in nothing of
//! a terminal, a command line, an allocator or an editor protocol.
//!
//! Read from `cargo metadata`, so that a dependency added to any `Cargo.toml` (normal, build or
//! dev) is checked, and a new workspace member must be given its layer here.

use std::collections::BTreeSet;
use std::process::Command;

use serde_json::Value;

/// Every workspace member and its layer: a crate may depend only on crates of a lower layer.
const LAYERS: &[(&str, u8)] = &[
    ("infrac-syntax", 0),
    ("infrac-core", 1),
    ("infrac-emit", 2),
    ("infrac-ide", 3),
    ("infrac-engine", 3),
    ("infrac", 4),
    ("infrac-lsp", 4),
    ("infrac-tests", 5),
];

/// The library crates, which an embedder links.
const LIBRARIES: &[&str] = &[
    "infrac-syntax",
    "infrac-core",
    "infrac-emit",
    "infrac-ide",
    "infrac-engine",
];

/// Packages that belong to the edges (CLI, terminal rendering, allocator, language server).
const EDGE_PACKAGES: &[&str] = &["clap", "miette", "mimalloc", "tower-lsp-server", "tokio"];

fn metadata() -> Value {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut command = Command::new(cargo);
    command
        .args([
            "metadata",
            "--format-version",
            "1",
            "--offline",
            "--locked",
            "--no-deps",
        ])
        .current_dir(root);
    let output = command.output().expect("run cargo metadata");
    assert!(
        output.status.success(),
        "cargo metadata failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("cargo metadata prints JSON")
}

fn layer_of(name: &str) -> Option<u8> {
    LAYERS
        .iter()
        .find(|(layer_name, _)| *layer_name == name)
        .map(|(_, layer)| *layer)
}

fn str_field<'a>(value: &'a Value, field: &str) -> &'a str {
    value[field].as_str().unwrap_or_default()
}

#[test]
fn no_crate_depends_on_one_above_it() {
    let metadata = metadata();
    let packages = metadata["packages"].as_array().expect("packages");
    let members: BTreeSet<&str> = packages.iter().map(|p| str_field(p, "name")).collect();
    let listed: BTreeSet<&str> = LAYERS.iter().map(|(name, _)| *name).collect();
    assert_eq!(
        members, listed,
        "every workspace member needs a layer in LAYERS, and every entry of LAYERS a member"
    );
    let mut violations = Vec::new();
    for package in packages {
        let name = str_field(package, "name");
        let layer = layer_of(name).expect("checked above");
        for dependency in package["dependencies"].as_array().expect("dependencies") {
            let dependency_name = str_field(dependency, "name");
            let Some(dependency_layer) = layer_of(dependency_name) else {
                continue;
            };
            if dependency_layer >= layer {
                let kind = dependency["kind"].as_str().unwrap_or("normal");
                violations.push(format!(
                    "{name} (layer {layer}) depends on {dependency_name} (layer {dependency_layer}, {kind})"
                ));
            }
        }
    }
    assert!(violations.is_empty(), "{}", violations.join("\n"));
}

/// The packages `cargo tree -e normal` lists for `package` on this machine's platform: what it
/// links into whoever embeds it.
fn normal_dependencies(package: &str) -> BTreeSet<String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let output = Command::new(cargo)
        .args([
            "tree",
            "--offline",
            "--locked",
            "-e",
            "normal",
            "--prefix",
            "none",
        ])
        .args(["--format", "{p}", "-p", package])
        .current_dir(root)
        .output()
        .expect("run cargo tree");
    assert!(
        output.status.success(),
        "cargo tree failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .map(str::to_string)
        .collect()
}

#[test]
fn the_library_crates_pull_in_no_cli_terminal_or_allocator() {
    for library in LIBRARIES {
        let names = normal_dependencies(library);
        assert!(
            names.contains(*library) && names.contains("pest"),
            "{library}: cargo tree lists it and its dependencies ({names:?})"
        );
        for edge in EDGE_PACKAGES {
            assert!(
                !names.contains(*edge),
                "{library} depends on {edge}, which belongs to the CLI or the language server"
            );
        }
    }
    // The check itself sees them where they are.
    let cli = normal_dependencies("infrac");
    assert!(
        EDGE_PACKAGES[..3].iter().all(|edge| cli.contains(*edge)),
        "the CLI links clap, miette and mimalloc: {cli:?}"
    );
}
