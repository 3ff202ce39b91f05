//! Embeds the standard library (`stdlib/`) and the diagnostic pages (`docs/diagnostics/`).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn main() {
    let manifest =
        PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let root = manifest
        .ancestors()
        .nth(2)
        .expect("the core crate lives in crates/ of the workspace")
        .to_path_buf();
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    let mut code = String::new();
    for (name, dir, exts) in [
        (
            "STDLIB_FILES",
            root.join("stdlib"),
            &["infra", "tf", "txt"][..],
        ),
        (
            "DIAGNOSTIC_PAGES",
            root.join("docs/diagnostics"),
            &["md"][..],
        ),
    ] {
        println!("cargo:rerun-if-changed={}", dir.display());
        let mut files = Vec::new();
        collect(&dir, &dir, exts, &mut files);
        files.sort();
        writeln!(code, "pub static {name}: &[(&str, &str)] = &[").expect("write to string");
        for (relative, absolute) in files {
            println!("cargo:rerun-if-changed={}", absolute.display());
            writeln!(
                code,
                "    ({relative:?}, include_str!({:?})),",
                absolute.display().to_string()
            )
            .expect("write to string");
        }
        writeln!(code, "];").expect("write to string");
    }
    std::fs::write(out.join("embedded.rs"), code).expect("write embedded.rs");
}

fn collect(base: &Path, dir: &Path, exts: &[&str], files: &mut Vec<(String, PathBuf)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            println!("cargo:rerun-if-changed={}", path.display());
            collect(base, &path, exts, files);
        } else if path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| exts.contains(&e))
        {
            let relative = path
                .strip_prefix(base)
                .expect("under base")
                .to_string_lossy()
                .replace('\\', "/");
            files.push((relative, path));
        }
    }
}
