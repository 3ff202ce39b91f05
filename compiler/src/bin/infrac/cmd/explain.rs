//! `infrac explain`: a diagnostic code's page, or where a value of an environment comes from.

use std::io::Write as _;
use std::path::Path;
use std::process::ExitCode;

use infrac::render::display_path;
use infrac_core::config::{effective_config, EnvName};
use infrac_core::db::{RootDatabase, SourceFile};
use infrac_core::diagnostics::{code_by_id, ALL_CODES};
use infrac_core::model::env_model;
use infrac_emit::analysis::env_of_file;

use super::{load_env_file, report};
use crate::{Format, EXIT_ERRORS, EXIT_USAGE};

pub(crate) fn explain(subject: &str, path: Option<&str>) -> ExitCode {
    if let Some(code) = code_by_id(subject) {
        match infrac_core::stdlib::diagnostic_page(code.id) {
            Some(page) => out_raw!("{page}"),
            None => out!("{}: {} ({})", code.id, code.summary, code.slug),
        }
        return ExitCode::SUCCESS;
    }
    let Some(path) = path else {
        let looks_like_code =
            subject.len() == 5 && subject[1..].chars().all(|c| c.is_ascii_digit());
        if looks_like_code {
            eprintln!(
                "error: unknown code {subject}; the codes are {}",
                ALL_CODES
                    .iter()
                    .map(|c| c.id)
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        } else {
            eprintln!("error: `infrac explain` takes a code (E0401) or an environment file and a value path");
        }
        return ExitCode::from(EXIT_USAGE);
    };
    let loaded = match load_env_file(Path::new(subject)) {
        Ok(loaded) => loaded,
        Err(code) => return code,
    };
    let db = &loaded.db;
    let env = match env_of_file(db, loaded.file) {
        Ok(env) => env,
        Err(diagnostic) => {
            report(db, &[*diagnostic], Format::Human);
            return ExitCode::from(EXIT_ERRORS);
        }
    };
    let env_name = EnvName::new(db, env.clone());
    let segments: Vec<String> = path.split('.').map(str::to_string).collect();
    let model = env_model(db, loaded.workspace, env_name);
    let value = match segments.as_slice() {
        [param, rest @ ..] if model.params.contains_key(param) => {
            field(model.params.get(param).cloned(), rest)
        }
        [layer, instance, input, rest @ ..] => {
            field(model.input(layer, instance, input).cloned(), rest)
        }
        _ => None,
    };
    let Some(value) = value else {
        eprintln!("error: `{path}` names no value in env `{env}` (paths are PARAM or LAYER.INSTANCE.INPUT)");
        return ExitCode::from(EXIT_USAGE);
    };
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(
        stdout,
        "{path} = {value}    (env {env}, chain {})",
        effective_config(db, loaded.workspace, env_name)
            .chain
            .join(" → ")
    );
    match infrac_core::policy::provenance(db, loaded.workspace, env_name, &segments) {
        Some(origin) => {
            if let Some(def) = &origin.def {
                let _ = writeln!(
                    stdout,
                    "  set at      {}  ({})",
                    location(db, def.file, def.range.start),
                    def.env
                        .as_deref()
                        .map_or("base".to_string(), |e| format!("env {e}"))
                );
            }
            if let Some((file, range, module)) = &origin.default_of {
                let _ = writeln!(
                    stdout,
                    "  default of  module `{module}` at {}",
                    location(db, *file, range.start)
                );
            }
            for old in &origin.overrode {
                let _ = writeln!(
                    stdout,
                    "  overrode    {}  ({})",
                    location(db, old.file, old.range.start),
                    old.env
                        .as_deref()
                        .map_or("base".to_string(), |e| format!("env {e}"))
                );
            }
        }
        None => {
            let _ = writeln!(stdout, "  (no source location)");
        }
    }
    let reads = infrac_core::trace::param_reads(db, loaded.workspace, env_name, &segments);
    print_reads(db, &mut stdout, &reads, 1);
    ExitCode::SUCCESS
}

/// `← NAME = VALUE, set at FILE:LINE:COL (env E), overrode ..., ...` for each parameter a value
/// was computed from, and theirs below it.
pub(crate) fn print_reads(
    db: &RootDatabase,
    out: &mut impl std::io::Write,
    reads: &[infrac_core::trace::ParamRead],
    depth: usize,
) {
    for read in reads {
        let value = read
            .value
            .as_ref()
            .map_or_else(|| "(no value)".to_string(), ToString::to_string);
        let mut line = format!("{}← {} = {value}", "  ".repeat(depth), read.name);
        if let Some(origin) = &read.provenance {
            let at = |def: &infrac_core::config::Def| {
                format!(
                    "{} ({})",
                    location(db, def.file, def.range.start),
                    def.env
                        .as_deref()
                        .map_or("base".to_string(), |e| format!("env {e}"))
                )
            };
            if let Some(def) = &origin.def {
                line.push_str(&format!(", set at {}", at(def)));
            }
            for old in &origin.overrode {
                line.push_str(&format!(", overrode {}", at(old)));
            }
        }
        let _ = writeln!(out, "{line}");
        print_reads(db, out, &read.reads, depth + 1);
    }
}

pub(crate) fn field(
    value: Option<infrac_core::value::Value>,
    rest: &[String],
) -> Option<infrac_core::value::Value> {
    let mut value = value?;
    for key in rest {
        value = match value {
            infrac_core::value::Value::Record(mut entries) => entries.remove(key)?,
            _ => return None,
        };
    }
    Some(value)
}

pub(crate) fn location(db: &RootDatabase, file: SourceFile, offset: u32) -> String {
    let pos = infrac_core::db::line_col(db, file, offset);
    format!(
        "{}:{}:{}",
        display_path(db, file),
        pos.line + 1,
        pos.col + 1
    )
}
