//! Test support: multi-file fixtures with inline expected diagnostics.
//!
//! A fixture is one text with `//- /name.infra` header lines starting each file. Under a line of
//! source, a comment `// ^^^^ error[E0401]: text` expects a diagnostic whose primary label starts
//! at the first `^` on that line, with that code and a message containing `text`; `text help: hint`
//! also expects a help containing `hint`. Every diagnostic must be annotated and every annotation
//! must match.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use infrac_core::config::EnvName;
use infrac_core::db::{ModuleDir, ProviderSchema, RootDatabase, SourceFile, Workspace};
use infrac_core::diagnostics::{Diagnostic, Severity};
use infrac_emit::analysis::{
    check_env, envs_in_file, project_diagnostics, sort_diagnostics, stdlib_files,
};
use infrac_syntax::source::LineIndex;

/// One file of a fixture.
pub struct FixtureFile {
    pub path: String,
    pub text: String,
}

/// Splits a fixture into files at `//- /path` lines.
pub fn split_fixture(fixture: &str) -> Vec<FixtureFile> {
    let mut files: Vec<FixtureFile> = Vec::new();
    for line in fixture.split_inclusive('\n') {
        if let Some(path) = line.strip_prefix("//- /") {
            files.push(FixtureFile {
                path: path.trim().to_string(),
                text: String::new(),
            });
        } else if let Some(file) = files.last_mut() {
            file.text.push_str(line);
        } else if !line.trim().is_empty() {
            files.push(FixtureFile {
                path: "main.infra".into(),
                text: line.to_string(),
            });
        }
    }
    files
}

/// A database holding the fixture's files (under `/fixture/`) and the standard library. The
/// `.tf` files of a fixture are the Terraform code of the module whose `source` is their
/// directory (`//- /modules/queue/variables.tf` for `source = "modules/queue"`); a
/// `//- /.infrac/schemas/NAMESPACE/TYPE/VERSION.jsonl` file is the cached schema of a provider.
pub fn load_fixture(fixture: &str) -> (RootDatabase, Workspace, Vec<SourceFile>) {
    let mut db = RootDatabase::default();
    let mut files = Vec::new();
    let mut module_files: BTreeMap<String, Vec<SourceFile>> = BTreeMap::new();
    let mut schemas = Vec::new();
    for f in split_fixture(fixture) {
        let path = PathBuf::from("/fixture").join(&f.path);
        let file = SourceFile::new(&db, path, Arc::from(f.text), false);
        let schema = f
            .path
            .strip_prefix(".infrac/schemas/")
            .and_then(|rest| rest.strip_suffix(".jsonl"));
        if let Some(schema) = schema {
            let parts: Vec<&str> = schema.split('/').collect();
            let [namespace, provider, version] = parts[..] else {
                panic!("a schema fixture is .infrac/schemas/NAMESPACE/TYPE/VERSION.jsonl");
            };
            schemas.push(ProviderSchema::new(
                &db,
                provider.to_string(),
                format!("{namespace}/{provider}"),
                version.to_string(),
                file,
            ));
            continue;
        }
        match f.path.strip_suffix(".tf").and_then(|p| p.rsplit_once('/')) {
            Some((dir, _)) => module_files.entry(dir.to_string()).or_default().push(file),
            None => files.push(file),
        }
    }
    let mut all = files.clone();
    all.extend(stdlib_files(&mut db));
    let module_dirs = module_files
        .into_iter()
        .map(|(dir, files)| {
            let path = PathBuf::from("/fixture").join(&dir);
            ModuleDir::new(&db, dir, path, files, None)
        })
        .collect();
    let workspace = Workspace::new(&db, all, PathBuf::from("/fixture"), module_dirs, schemas);
    (db, workspace, files)
}

/// Every diagnostic of every environment the fixture declares, plus project-wide ones.
pub fn fixture_diagnostics(
    db: &RootDatabase,
    workspace: Workspace,
    files: &[SourceFile],
) -> Vec<Diagnostic> {
    let mut diagnostics = project_diagnostics(db, workspace).clone();
    for file in files {
        for env in envs_in_file(db, *file) {
            diagnostics.extend(
                check_env(db, workspace, EnvName::new(db, env))
                    .iter()
                    .cloned(),
            );
        }
    }
    sort_diagnostics(db, &mut diagnostics);
    diagnostics
}

#[derive(Debug, PartialEq, Eq)]
struct Expectation {
    path: String,
    line: u32,
    col: u32,
    severity: String,
    code: String,
    text: String,
    /// Text the diagnostic's help must contain, from ` help: ...` at the end of the annotation.
    help: Option<String>,
}

fn expectations(fixture: &str) -> Vec<Expectation> {
    let mut out = Vec::new();
    for file in split_fixture(fixture) {
        let mut source_line: Option<u32> = None;
        for (idx, line) in file.text.lines().enumerate() {
            let trimmed = line.trim_start();
            let is_annotation = trimmed
                .strip_prefix("//")
                .is_some_and(|rest| rest.trim_start().starts_with('^'));
            if !is_annotation {
                source_line = Some(idx as u32);
                continue;
            }
            let Some(target) = source_line else { continue };
            let caret = line.find('^').expect("annotation has a caret") as u32;
            let rest = line[caret as usize..].trim_start_matches('^').trim();
            let (head, text) = rest.split_once(':').unwrap_or((rest, ""));
            let (severity, code) = head.split_once('[').unwrap_or((head, ""));
            let (text, help) = match text.split_once(" help: ") {
                Some((text, help)) => (text, Some(help.trim().to_string())),
                None => (text, None),
            };
            out.push(Expectation {
                path: file.path.clone(),
                line: target,
                col: caret,
                severity: severity.trim().to_string(),
                code: code.trim_end_matches(']').to_string(),
                text: text.trim().to_string(),
                help,
            });
        }
    }
    out
}

/// Checks a fixture's diagnostics against its annotations; returns a readable mismatch report.
pub fn check_fixture(fixture: &str) -> Result<(), String> {
    let (db, workspace, files) = load_fixture(fixture);
    let diagnostics = fixture_diagnostics(&db, workspace, &files);
    let mut wanted = expectations(fixture);
    let mut unexpected = Vec::new();
    for diagnostic in &diagnostics {
        let label = diagnostic.primary();
        let path = label
            .file
            .path(&db)
            .strip_prefix("/fixture")
            .map(|p| p.display().to_string())
            .unwrap_or_default();
        let text = label.file.text(&db);
        let pos = LineIndex::new(text).line_col(text, label.range.start);
        let severity = match diagnostic.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Hint => "hint",
        };
        let found = wanted.iter().position(|w| {
            w.path == path
                && w.line == pos.line
                && w.col == pos.col
                && w.code == diagnostic.code.id
                && w.severity == severity
                && diagnostic.message.contains(&w.text)
                && w.help.as_ref().is_none_or(|help| {
                    diagnostic
                        .help
                        .as_ref()
                        .is_some_and(|found| found.contains(help.as_str()))
                })
        });
        match found {
            Some(idx) => {
                wanted.remove(idx);
            }
            None => unexpected.push(format!(
                "{path}:{}:{}: {severity}[{}]: {}{}",
                pos.line + 1,
                pos.col + 1,
                diagnostic.code.id,
                diagnostic.message,
                diagnostic
                    .help
                    .as_ref()
                    .map(|help| format!(" help: {help}"))
                    .unwrap_or_default()
            )),
        }
    }
    if unexpected.is_empty() && wanted.is_empty() {
        return Ok(());
    }
    let missing: Vec<String> = wanted
        .iter()
        .map(|w| {
            format!(
                "{}:{}:{}: {}[{}]: {}{}",
                w.path,
                w.line + 1,
                w.col + 1,
                w.severity,
                w.code,
                w.text,
                w.help
                    .as_ref()
                    .map(|help| format!(" help: {help}"))
                    .unwrap_or_default()
            )
        })
        .collect();
    Err(format!(
        "unexpected diagnostics:\n  {}\nexpected but not reported:\n  {}",
        unexpected.join("\n  "),
        missing.join("\n  ")
    ))
}
