//! The standard library and the diagnostic pages, embedded in the binary at build time.

include!(concat!(env!("OUT_DIR"), "/embedded.rs"));

/// The stdlib's `.infra` files, as (virtual path, text).
pub fn infra_files() -> impl Iterator<Item = (String, &'static str)> {
    STDLIB_FILES
        .iter()
        .filter(|(path, _)| path.ends_with(".infra") && !path.contains('/'))
        .map(|(path, text)| (format!("<stdlib>/{path}"), *text))
}

/// The Terraform files of stdlib module `name`, as (file name, text).
pub fn module_files(name: &str) -> Vec<(&'static str, &'static str)> {
    let prefix = format!("modules/{name}/");
    STDLIB_FILES
        .iter()
        .filter_map(|(path, text)| {
            path.strip_prefix(prefix.as_str())
                .filter(|rest| !rest.contains('/') && rest.ends_with(".tf"))
                .map(|rest| (rest, *text))
        })
        .collect()
}

/// The names of the stdlib modules that have Terraform code (`stdlib/modules/NAME/*.tf`), sorted.
pub fn module_names() -> Vec<&'static str> {
    let mut names: Vec<&'static str> = STDLIB_FILES
        .iter()
        .filter_map(|(path, _)| {
            let (name, file) = path.strip_prefix("modules/")?.split_once('/')?;
            (!file.contains('/') && file.ends_with(".tf")).then_some(name)
        })
        .collect();
    names.sort_unstable();
    names.dedup();
    names
}

/// The long explanation of a diagnostic code, from `docs/diagnostics/CODE.md`.
pub fn diagnostic_page(code: &str) -> Option<&'static str> {
    let file = format!("{code}.md");
    DIAGNOSTIC_PAGES
        .iter()
        .find(|(path, _)| *path == file)
        .map(|(_, text)| *text)
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_stdlib_file_parses() {
        for (path, text) in super::infra_files() {
            let parse = crate::syntax::parse(text);
            assert!(parse.errors.is_empty(), "{path}: {:?}", parse.errors);
        }
    }
}

#[cfg(test)]
mod tidy {
    use crate::diagnostics::ALL_CODES;

    /// An output typed `secret` in a module's interface is `sensitive = true` in its Terraform,
    /// and a sensitive Terraform output is typed `secret`, so that the compiler knows which
    /// values to keep sensitive in the layers that carry them on.
    #[test]
    fn secret_outputs_are_sensitive_and_only_they() {
        use crate::syntax::{ItemKind, TypeExprKind};
        let mut problems = Vec::new();
        for (path, text) in super::infra_files() {
            for item in crate::syntax::parse(text).items {
                let ItemKind::Module(module) = &item.kind else {
                    continue;
                };
                let Some((source, _)) = &module.source else {
                    continue;
                };
                let Some(dir) = source.strip_prefix("stdlib/") else {
                    continue;
                };
                let outputs_tf = super::module_files(dir)
                    .into_iter()
                    .find(|(name, _)| *name == "outputs.tf")
                    .map(|(_, text)| text)
                    .unwrap_or_default();
                let body: hcl::Body = hcl::from_str(outputs_tf)
                    .unwrap_or_else(|e| panic!("{dir}/outputs.tf does not parse: {e}"));
                let sensitive: std::collections::BTreeSet<String> = body
                    .blocks()
                    .filter(|b| b.identifier() == "output")
                    .filter(|b| {
                        b.body().attributes().any(|a| {
                            a.key() == "sensitive" && a.expr == hcl::Expression::Bool(true)
                        })
                    })
                    .filter_map(|b| b.labels().first().map(|l| l.as_str().to_string()))
                    .collect();
                for output in &module.outputs {
                    let is_secret = matches!(
                        &output.ty.kind,
                        TypeExprKind::Named { name, .. } if name.name == "secret"
                    );
                    if is_secret != sensitive.contains(&output.name.name) {
                        problems.push(format!(
                            "{path}: output `{}` of `{}` is {} but its Terraform output is {}",
                            output.name.name,
                            module.name.name,
                            if is_secret {
                                "a secret"
                            } else {
                                "not a secret"
                            },
                            if is_secret {
                                "not sensitive"
                            } else {
                                "sensitive"
                            },
                        ));
                    }
                }
            }
        }
        assert!(problems.is_empty(), "{}", problems.join("\n"));
    }

    /// Every standard-library module's declared interface agrees with the `variable` and
    /// `output` blocks of its Terraform code, by the check that user modules get (E0207), and
    /// its Terraform files read without E0208.
    #[test]
    fn stdlib_interfaces_agree_with_their_terraform() {
        use crate::db::{ModuleDir, RootDatabase, SourceFile, Workspace};
        use std::path::PathBuf;
        use std::sync::Arc;
        let db = RootDatabase::default();
        let files: Vec<SourceFile> = super::infra_files()
            .map(|(path, text)| SourceFile::new(&db, PathBuf::from(path), Arc::from(text), false))
            .collect();
        let module_dirs: Vec<ModuleDir> = super::module_names()
            .into_iter()
            .map(|name| {
                let tf: Vec<SourceFile> = super::module_files(name)
                    .into_iter()
                    .map(|(file, text)| {
                        let path = PathBuf::from(format!("<stdlib>/modules/{name}/{file}"));
                        SourceFile::new(&db, path, Arc::from(text), false)
                    })
                    .collect();
                let path = PathBuf::from(format!("<stdlib>/modules/{name}"));
                ModuleDir::new(&db, format!("stdlib/{name}"), path, tf, None)
            })
            .collect();
        let count = module_dirs.len();
        let workspace = Workspace::new(&db, files, PathBuf::from("."), module_dirs, Vec::new());
        let index = crate::project::project_index(&db, workspace);
        assert_eq!(
            index.module_dirs.len(),
            count,
            "every stdlib module has its code"
        );
        let mut problems = Vec::new();
        for item in index.modules.values() {
            for diagnostic in crate::terraform::module_code_diagnostics(&db, index, *item) {
                let at = diagnostic.primary().file.path(&db).display().to_string();
                problems.push(format!(
                    "{at}: {}: {}",
                    diagnostic.code.id, diagnostic.message
                ));
            }
        }
        assert!(problems.is_empty(), "{}", problems.join("\n"));
    }

    #[test]
    fn every_code_has_a_page_with_its_slug() {
        for code in ALL_CODES {
            let page = super::diagnostic_page(code.id)
                .unwrap_or_else(|| panic!("docs/diagnostics/{}.md is missing", code.id));
            let title = format!("# {}: {}", code.id, code.slug);
            assert!(
                page.starts_with(&title),
                "docs/diagnostics/{}.md must start with `{title}`",
                code.id
            );
        }
    }

    #[test]
    fn every_emitted_code_is_registered() {
        // Every crate of the workspace: the codes are emitted from all of them.
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let crates = std::fs::read_dir(root.join("crates")).expect("read crates/");
        let mut stack: Vec<_> = crates
            .flatten()
            .map(|entry| entry.path().join("src"))
            .collect();
        stack.extend(["compiler/src", "lsp/src"].map(|dir| root.join(dir)));
        assert!(stack.len() > 4, "the workspace's crates are found");
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).expect("read src").flatten() {
                let path = entry.path();
                if path.is_dir() {
                    stack.push(path);
                    continue;
                }
                let text = std::fs::read_to_string(&path).expect("read source");
                for (idx, line) in text.lines().enumerate() {
                    let Some(rest) = line.trim_start().strip_prefix("// Diagnostic: ") else {
                        continue;
                    };
                    let id = rest.split_whitespace().next().unwrap_or_default();
                    let code = ALL_CODES.iter().find(|c| c.id == id);
                    let slug = rest.split_whitespace().nth(1).unwrap_or_default();
                    assert!(
                        code.is_some_and(|c| c.slug == slug),
                        "{}:{}: `{line}` names no registered code and slug",
                        path.display(),
                        idx + 1
                    );
                }
            }
        }
    }
}
