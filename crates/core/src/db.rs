//! The salsa database: inputs (source files and the workspace) and the per-file parse query.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use crate::diagnostics::Diagnostic;
use crate::syntax::{self, ChunkCache, Parse};

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
    /// The Terraform code of the project's modules, one entry per `source` (local directories,
    /// vendored copies of registry and git modules), read when the project is loaded.
    #[returns(ref)]
    pub module_dirs: Vec<ModuleDir>,
    /// The cached schemas of the providers whose resources the project's instances name
    /// (`infrac schema` writes them under `.infrac/schemas/`), read when the project is loaded.
    #[returns(ref)]
    pub schemas: Vec<ProviderSchema>,
}

/// The cached schema of one provider version: `.infrac/schemas/NAMESPACE/TYPE/VERSION.jsonl`, one
/// resource or data source per line (see `schema`). The file is a source file so that the
/// defaults of optional attributes have a place, as a module's do.
#[salsa::input(debug)]
pub struct ProviderSchema {
    /// The provider's type, `aws`: the prefix of its resource types.
    #[returns(ref)]
    pub provider: String,
    /// `NAMESPACE/TYPE`, `hashicorp/aws`.
    #[returns(ref)]
    pub source: String,
    #[returns(ref)]
    pub version: String,
    #[returns(copy)]
    pub file: SourceFile,
}

/// The Terraform files of one module `source`: the `.tf` files of its directory as source files,
/// so that diagnostics can point into them and an editor can change them one by one.
#[salsa::input(debug)]
pub struct ModuleDir {
    /// The `source` as the `.infra` file writes it.
    #[returns(ref)]
    pub source: String,
    /// The directory the files were read from.
    #[returns(ref)]
    pub path: PathBuf,
    #[returns(ref)]
    pub files: Vec<SourceFile>,
    /// Why the directory could not be read, when it could not.
    #[returns(ref)]
    pub problem: Option<String>,
}

#[salsa::db]
pub trait Db: salsa::Database {
    /// The chunks of each file's last parse, for `parse_file` to reuse.
    fn parse_cache(&self) -> &ParseCache;

    /// Whether this database serves an editor (see `RootDatabase::for_editing`).
    fn editing(&self) -> bool;
}

#[salsa::db]
impl Db for RootDatabase {
    fn parse_cache(&self) -> &ParseCache {
        &self.parse_cache
    }

    fn editing(&self) -> bool {
        self.editing
    }
}

/// Per file, the chunks of its last parse. Not a query result: `parse_file`'s output depends only
/// on the text (a chunk is reused only when its text and offset are unchanged), the cache only
/// saves the work. Shared by the database's snapshots.
pub type ParseCache = Mutex<HashMap<SourceFile, ChunkCache>>;

/// The one database type, shared by the CLI, the language server and the tests.
#[salsa::db]
#[derive(Clone, Default)]
pub struct RootDatabase {
    storage: salsa::Storage<Self>,
    parse_cache: Arc<ParseCache>,
    editing: bool,
}

#[salsa::db]
impl salsa::Database for RootDatabase {}

impl RootDatabase {
    /// A database for an editor, which sees a file change on every keystroke: parses reuse the
    /// untouched items of the file's previous parse, and every layer is evaluated on placed
    /// syntax (`model::placed_layer_eval`), so that an edit that only moves a layer's text does
    /// not evaluate it again. Both cost a second copy of the trees, which a one-shot build does
    /// not need: `RootDatabase::default()` does neither. Both give the same results.
    pub fn for_editing() -> Self {
        Self {
            editing: true,
            ..Self::default()
        }
    }

    /// An editor's database (`for_editing`) that reports every salsa event to `log`, for
    /// incrementality tests.
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
            parse_cache: Arc::default(),
            editing: true,
        }
    }
}

/// The syntax tree of a file; for an editor, reusing the untouched items of its last parse and
/// with every item's placed tree. Offsets move on every edit, so the result is never compared
/// (`item_syntax` compares items).
#[salsa::tracked(returns(ref), no_eq)]
pub fn parse_file(db: &dyn Db, file: SourceFile) -> Parse {
    if file.deleted(db) {
        return Parse::default();
    }
    if !db.editing() {
        return syntax::parse(file.text(db));
    }
    let cache = db.parse_cache();
    let lock = || cache.lock().unwrap_or_else(|e| e.into_inner());
    let previous = lock().remove(&file).unwrap_or_default();
    let (parse, next) = syntax::parse_reusing(file.text(db), &previous);
    lock().insert(file, next);
    parse
}

/// The line starts of a file, once per version of its text: every request of the language
/// server converts positions with it, and building it reads the whole file.
#[salsa::tracked(returns(ref), no_eq)]
pub fn line_index(db: &dyn Db, file: SourceFile) -> crate::source::LineIndex {
    crate::source::LineIndex::new(file.text(db))
}

/// The line and column (UTF-8 bytes, both from 0) of an offset of a file.
pub fn line_col(db: &dyn Db, file: SourceFile, offset: u32) -> crate::source::LineCol {
    line_index(db, file).line_col(file.text(db), offset)
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
