//! `infrac verify`: the CI step. Checks every environment of the given projects, evaluates their
//! policies, optionally compares committed generated output with a fresh build (drift), and
//! reports as text, JSON, SARIF or GitHub Actions annotations.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use infrac::render::display_path;
use infrac_core::config::EnvName;
use infrac_core::db::{RootDatabase, SourceFile};
use infrac_core::diagnostics::{Diagnostic, Severity, ALL_CODES, E0506};
use infrac_emit::analysis::{
    check_env, emit_env, envs_in_file, load_project, project_diagnostics, sort_diagnostics,
};

use crate::output::is_generated;

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum VerifyFormat {
    Human,
    Json,
    Sarif,
    Github,
}

pub struct VerifyArgs {
    pub paths: Vec<PathBuf>,
    pub envs: Vec<String>,
    pub compare: Option<PathBuf>,
    pub format: VerifyFormat,
    /// Run `terraform init -backend=false` and `terraform validate` on a fresh build.
    pub validate: Option<crate::validate::Terraform>,
}

/// Runs the checks; returns the process exit code (0 clean, 1 errors or drift, 2 usage; a
/// missing Terraform is 3, found before this runs).
pub fn verify(args: VerifyArgs) -> u8 {
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from("environments")]
    } else {
        args.paths
    };
    let mut reports: Vec<(RootDatabase, Vec<Diagnostic>)> = Vec::new();
    let mut checked = Vec::new();
    for path in &paths {
        if !path.is_dir() {
            eprintln!("error: {} is not a project directory", path.display());
            return 2;
        }
        let dir = std::fs::canonicalize(path).unwrap_or_else(|_| path.clone());
        let mut db = RootDatabase::default();
        let (workspace, mut diagnostics) = load_project(&mut db, &dir);
        diagnostics.extend(project_diagnostics(&db, workspace).iter().cloned());
        let files: Vec<SourceFile> = workspace
            .files(&db)
            .iter()
            .copied()
            .filter(|f| f.path(&db).starts_with(&dir))
            .collect();
        let mut envs: Vec<(String, SourceFile)> = files
            .iter()
            .flat_map(|f| envs_in_file(&db, *f).into_iter().map(|e| (e, *f)))
            .collect();
        envs.sort_by(|a, b| a.0.cmp(&b.0));
        envs.retain(|(env, _)| args.envs.is_empty() || args.envs.contains(env));
        let names: Vec<String> = envs.iter().map(|(env, _)| env.clone()).collect();
        infrac_emit::analysis::evaluate_layers(&db, workspace, &names);
        for (env, file) in envs {
            let env_name = EnvName::new(&db, env.clone());
            diagnostics.extend(check_env(&db, workspace, env_name).iter().cloned());
            let wanted = args.compare.is_some() || args.validate.is_some();
            if let (true, Some(emitted)) = (wanted, emit_env(&db, workspace, env_name, file)) {
                let mut expected = emitted.files.clone();
                match crate::output::copied_files(&dir, &emitted.copies) {
                    Ok(copied) => expected.extend(copied),
                    Err(error) => eprintln!("warning: {error}"),
                }
                if let Some(compare) = &args.compare {
                    let committed = compare.join(&env);
                    // The moved blocks a build into the committed directory would keep or add.
                    expected.extend(crate::moved::carried(&committed, &expected));
                    diagnostics.extend(drift(&db, file, &committed, &expected));
                }
                if let Some(terraform) = &args.validate {
                    let shown_root = args
                        .compare
                        .as_ref()
                        .map_or_else(|| PathBuf::from("build"), PathBuf::clone)
                        .join(&env);
                    diagnostics.extend(crate::validate::validate(
                        &db,
                        terraform,
                        &expected,
                        &shown_root,
                        file,
                        env_range(&db, file),
                    ));
                }
            }
            checked.push(env);
        }
        sort_diagnostics(&db, &mut diagnostics);
        reports.push((db, diagnostics));
    }
    let errors: usize = reports
        .iter()
        .map(|(_, d)| d.iter().filter(|d| d.is_error()).count())
        .sum();
    match args.format {
        VerifyFormat::Human => {
            for (db, diagnostics) in &reports {
                for diagnostic in diagnostics {
                    eprintln!(
                        "{:?}",
                        miette::Report::new(infrac::render::to_miette(db, diagnostic))
                    );
                }
            }
            let verdict = if errors == 0 {
                "ok".to_string()
            } else {
                format!("{errors} error(s)")
            };
            eprintln!(
                "verified {} environment(s) ({}): {verdict}",
                checked.len(),
                crate::cmd::name_list(&checked)
            );
        }
        VerifyFormat::Json => {
            let items: Vec<serde_json::Value> = reports
                .iter()
                .flat_map(|(db, ds)| crate::cmd::diagnostics_json(db, ds))
                .collect();
            let json = serde_json::json!({"environments": checked, "errors": errors, "diagnostics": items});
            out!(
                "{}",
                serde_json::to_string_pretty(&json).unwrap_or_default()
            );
        }
        VerifyFormat::Sarif => out!(
            "{}",
            serde_json::to_string_pretty(&sarif(&reports)).unwrap_or_default()
        ),
        VerifyFormat::Github => {
            for (db, diagnostics) in &reports {
                for diagnostic in diagnostics {
                    out!("{}", github_annotation(db, diagnostic));
                }
            }
            out!(
                "verified {} environment(s): {errors} error(s)",
                checked.len()
            );
        }
    }
    u8::from(errors > 0)
}

/// Drift diagnostics: generated files on disk that differ from, lack, or exceed a fresh build.
fn drift(
    db: &RootDatabase,
    file: SourceFile,
    dir: &Path,
    fresh: &BTreeMap<String, String>,
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let at = env_range(db, file);
    let mut problem = |what: String| {
        // Diagnostic: E0506 output-drift
        out.push(
            Diagnostic::error(E0506, file, at, what)
                .with_label("this environment's committed output is out of date")
                .with_help(format!(
                    "run `infrac build {} --out {}` and commit the result",
                    display_path(db, file),
                    dir.display()
                )),
        );
    };
    if !dir.is_dir() {
        problem(format!("no committed output at {}", dir.display()));
        return out;
    }
    for (relative, contents) in fresh {
        match std::fs::read_to_string(dir.join(relative)) {
            Ok(on_disk) if &on_disk == contents => {}
            Ok(_) => problem(format!(
                "{} differs from a fresh build",
                dir.join(relative).display()
            )),
            Err(_) => problem(format!("{} is missing", dir.join(relative).display())),
        }
    }
    let mut stack = vec![dir.to_path_buf()];
    while let Some(current) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&current) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                if entry.file_name() != ".terraform" {
                    stack.push(path);
                }
                continue;
            }
            let relative = path
                .strip_prefix(dir)
                .map(|p| p.to_string_lossy().replace('\\', "/"))
                .unwrap_or_default();
            if !fresh.contains_key(&relative) && is_generated(&path) {
                problem(format!(
                    "{} is generated but no longer part of the build",
                    path.display()
                ));
            }
        }
    }
    out
}

/// The name of the environment a file declares, where environment-wide problems are reported.
pub fn env_range(db: &RootDatabase, file: SourceFile) -> infrac_syntax::source::TextRange {
    infrac_syntax::parse(file.text(db))
        .items
        .iter()
        .find_map(|item| match &item.kind {
            infrac_syntax::ItemKind::Env(env) => Some(env.name.range),
            _ => None,
        })
        .unwrap_or_default()
}

fn position(db: &RootDatabase, diagnostic: &Diagnostic) -> (String, u32, u32, u32, u32) {
    let label = diagnostic.primary();
    let start = infrac_core::db::line_col(db, label.file, label.range.start);
    let end = infrac_core::db::line_col(db, label.file, label.range.end);
    (
        display_path(db, label.file),
        start.line + 1,
        start.col + 1,
        end.line + 1,
        end.col + 1,
    )
}

/// `::error file=F,line=L,col=C,endLine=..,endColumn=..,title=CODE::message`, escaped as GitHub wants.
fn github_annotation(db: &RootDatabase, diagnostic: &Diagnostic) -> String {
    let (file, line, col, end_line, end_col) = position(db, diagnostic);
    let level = match diagnostic.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Hint => "notice",
    };
    let mut message = diagnostic.message.clone();
    if let Some(help) = &diagnostic.help {
        message.push_str(&format!("\nhelp: {help}"));
    }
    let escape_data = |s: &str| {
        s.replace('%', "%25")
            .replace('\r', "%0D")
            .replace('\n', "%0A")
    };
    let escape_property = |s: &str| escape_data(s).replace(':', "%3A").replace(',', "%2C");
    format!(
        "::{level} file={},line={line},col={col},endLine={end_line},endColumn={end_col},title={}::{}",
        escape_property(&file),
        escape_property(diagnostic.code.id),
        escape_data(&message)
    )
}

/// A SARIF 2.1.0 log for GitHub code scanning.
fn sarif(reports: &[(RootDatabase, Vec<Diagnostic>)]) -> serde_json::Value {
    let rules: Vec<serde_json::Value> = ALL_CODES
        .iter()
        .map(|code| {
            serde_json::json!({
                "id": code.id,
                "name": code.slug,
                "shortDescription": {"text": code.summary},
                "helpUri": format!("https://github.com/infrac/infrac/blob/main/docs/diagnostics/{}.md", code.id),
            })
        })
        .collect();
    let mut results = Vec::new();
    for (db, diagnostics) in reports {
        for diagnostic in diagnostics {
            let (file, line, col, end_line, end_col) = position(db, diagnostic);
            let level = match diagnostic.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
                Severity::Hint => "note",
            };
            let mut text = diagnostic.message.clone();
            if let Some(help) = &diagnostic.help {
                text.push_str(&format!(" (help: {help})"));
            }
            results.push(serde_json::json!({
                "ruleId": diagnostic.code.id,
                "ruleIndex": ALL_CODES.iter().position(|c| c.id == diagnostic.code.id).unwrap_or(0),
                "level": level,
                "message": {"text": text},
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": {"uri": file},
                        "region": {"startLine": line, "startColumn": col, "endLine": end_line, "endColumn": end_col},
                    }
                }],
            }));
        }
    }
    serde_json::json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "infrac", "version": env!("CARGO_PKG_VERSION"), "informationUri": "https://github.com/infrac/infrac", "rules": rules}},
            "results": results,
        }],
    })
}
