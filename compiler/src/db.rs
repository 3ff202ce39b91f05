//! The salsa database: inputs (source files and the workspace) and the per-file parse query.

use std::path::PathBuf;
use std::sync::Arc;

use crate::diagnostics::Diagnostic;
use crate::syntax::{self, Parse};

/// One `.infra` file. Deleted files keep their input with `deleted = true`.
#[salsa::input(debug)]
pub struct SourceFile {
    #[returns(ref)]
    pub path: PathBuf,
    #[returns(ref)]
    pub text: Arc<str>,
    #[returns(copy)]
    pub deleted: bool,
}

/// The set of files that make up one project (user files and the standard library).
#[salsa::input(debug)]
pub struct Workspace {
    #[returns(ref)]
    pub files: Vec<SourceFile>,
    /// The project directory; module `source` paths are relative to it.
    #[returns(ref)]
    pub root: PathBuf,
}

#[salsa::db]
pub trait Db: salsa::Database {}

#[salsa::db]
impl Db for RootDatabase {}

/// The one database type, shared by the CLI, the language server and the tests.
#[salsa::db]
#[derive(Clone, Default)]
pub struct RootDatabase {
    storage: salsa::Storage<Self>,
}

#[salsa::db]
impl salsa::Database for RootDatabase {}

impl RootDatabase {
    /// A database that reports every salsa event to `log`, for incrementality tests.
    pub fn with_event_log(log: Arc<std::sync::Mutex<Vec<String>>>) -> Self {
        let callback = move |event: salsa::Event| {
            if let salsa::EventKind::WillExecute { database_key } = event.kind {
                if let Ok(mut log) = log.lock() {
                    log.push(format!("{database_key:?}"));
                }
            }
        };
        Self {
            storage: salsa::Storage::new(Some(Box::new(callback))),
        }
    }
}

/// The syntax tree of a file. Offsets move on every edit, so the result is never compared.
#[salsa::tracked(returns(ref), no_eq)]
pub fn parse_file(db: &dyn Db, file: SourceFile) -> Parse {
    if file.deleted(db) {
        return Parse::default();
    }
    syntax::parse(file.text(db))
}

/// Syntax errors of a file as diagnostics.
#[salsa::tracked(returns(ref))]
pub fn syntax_diagnostics(db: &dyn Db, file: SourceFile) -> Vec<Diagnostic> {
    parse_file(db, file)
        .errors
        .iter()
        .map(|error| {
            Diagnostic::error(error.code, file, error.range, error.message.clone())
                .with_label(error.label.clone())
                .with_help_opt(error.help.clone())
        })
        .collect()
}
