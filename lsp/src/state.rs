//! The server's state: the database, the projects (one `Workspace` per directory of `.infra`
//! files), the open documents with their versions, and what was last published.
//!
//! Every method here runs under the state's lock and never awaits; edits go through `&mut db`,
//! which cancels the snapshots that analyses still hold.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;

use infrac_core::db::{RootDatabase, SourceFile, Workspace};
use infrac_core::diagnostics::Diagnostic;
use infrac_emit::analysis::{
    load_project, module_dirs_stale, read_source, reload_module_dirs, reload_provider_schemas,
    schemas_stale, set_file_text, unreadable_file,
};
use salsa::Setter as _;
use tower_lsp_server::ls_types as lsp;

use crate::convert::{Encoding, Lines, Paths};

/// One directory of `.infra` files.
pub struct Project {
    pub dir: PathBuf,
    pub workspace: Workspace,
    /// Bumped by every change to one of its files; a diagnostics run that started at an older
    /// generation is stale.
    pub generation: u64,
    /// Whether a document of the project was opened: only active projects publish diagnostics.
    pub active: bool,
    /// Files that could not be read when the project was loaded.
    pub load_diagnostics: Vec<Diagnostic>,
}

pub struct Document {
    pub version: i32,
    pub text: String,
}

pub struct State {
    pub db: RootDatabase,
    pub projects: Vec<Project>,
    pub documents: HashMap<PathBuf, Document>,
    pub encoding: Encoding,
    pub paths: Paths,
    /// Per file: the document version and a digest of the diagnostics last published.
    pub published: HashMap<PathBuf, (Option<i32>, u64)>,
    /// Whether the client watches `.infra` files for us.
    pub watch_files: bool,
    /// Whether the client inserts completion items in snippet syntax.
    pub snippets: bool,
    /// The database handles that analyses took (`snapshot`, `diagnostics_job`, `fork`).
    pub handles: Handles,
}

/// Counts the database handles that analyses take and still hold, so that the idle collection
/// (`State::collect_garbage`) runs only when the server is idle and its write waits for none.
#[derive(Clone, Default)]
pub struct Handles(Arc<HandleCounts>);

#[derive(Default)]
struct HandleCounts {
    /// Handles taken so far: unchanged over a while means no analysis started in that while.
    taken: AtomicU64,
    /// Handles not yet dropped.
    live: AtomicUsize,
}

/// One handle's share of `Handles`, held by a snapshot or a job beside its database. The
/// collection runs on the analysis thread, so the job that held both has ended, and dropped both,
/// before the collection looks at the count.
pub struct Live(Handles);

impl Handles {
    fn take(&self) -> Live {
        self.0.taken.fetch_add(1, Ordering::SeqCst);
        self.0.live.fetch_add(1, Ordering::SeqCst);
        Live(self.clone())
    }

    /// How many handles were taken so far.
    pub fn taken(&self) -> u64 {
        self.0.taken.load(Ordering::SeqCst)
    }

    /// Whether no handle was taken since `taken` said `seen`, and none is held.
    pub fn idle_since(&self, seen: u64) -> bool {
        self.0.live.load(Ordering::SeqCst) == 0 && self.taken() == seen
    }
}

impl Drop for Live {
    fn drop(&mut self) {
        self.0 .0.live.fetch_sub(1, Ordering::SeqCst);
    }
}

/// What a diagnostics run needs, taken under the lock.
pub struct DiagnosticsJob {
    pub db: RootDatabase,
    pub workspace: Workspace,
    pub generation: u64,
    pub load_diagnostics: Vec<Diagnostic>,
    pub encoding: Encoding,
    pub paths: Paths,
    pub _live: Live,
}

/// What a request needs, taken under the lock.
pub struct FileSnapshot {
    pub db: RootDatabase,
    pub workspace: Workspace,
    pub file: SourceFile,
    pub encoding: Encoding,
    pub paths: Paths,
    pub _live: Live,
}

/// Directories that are never projects.
const SKIPPED_DIRS: &[&str] = &["target", "node_modules", "build", "out", "fuzz"];
const MAX_DISCOVERY_DEPTH: usize = 5;
const MAX_PROJECTS: usize = 64;

impl State {
    pub fn new() -> Self {
        Self {
            db: RootDatabase::for_editing(),
            projects: Vec::new(),
            documents: HashMap::new(),
            encoding: Encoding::Utf16,
            paths: Paths::default(),
            published: HashMap::new(),
            watch_files: false,
            snippets: false,
            handles: Handles::default(),
        }
    }

    /// Loads every directory under `root` that holds `.infra` files.
    pub fn discover(&mut self, root: &Path) {
        let mut stack = vec![(root.to_path_buf(), 0)];
        while let Some((dir, depth)) = stack.pop() {
            if self.projects.len() >= MAX_PROJECTS {
                return;
            }
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            let mut has_infra = false;
            let mut subdirs = Vec::new();
            for entry in entries.flatten() {
                let path = entry.path();
                let name = entry.file_name().to_string_lossy().into_owned();
                if path.is_dir() {
                    if !name.starts_with('.') && !SKIPPED_DIRS.contains(&name.as_str()) {
                        subdirs.push(path);
                    }
                } else if path.extension().is_some_and(|e| e == "infra") {
                    has_infra = true;
                }
            }
            if has_infra {
                self.project_for_dir(&dir);
            }
            if depth < MAX_DISCOVERY_DEPTH {
                subdirs.sort();
                stack.extend(subdirs.into_iter().rev().map(|d| (d, depth + 1)));
            }
        }
    }

    /// The project of a directory, loaded on first use.
    pub fn project_for_dir(&mut self, dir: &Path) -> usize {
        if let Some(idx) = self.projects.iter().position(|p| p.dir == dir) {
            return idx;
        }
        let (workspace, load_diagnostics) = load_project(&mut self.db, dir);
        self.projects.push(Project {
            dir: dir.to_path_buf(),
            workspace,
            generation: 0,
            active: false,
            load_diagnostics,
        });
        self.projects.len() - 1
    }

    /// The project and input of a path, if the server knows the file.
    pub fn find(&self, path: &Path) -> Option<(usize, SourceFile)> {
        let in_project = |idx: usize| {
            self.projects[idx]
                .workspace
                .files(&self.db)
                .iter()
                .copied()
                .find(|f| f.path(&self.db) == path)
                .map(|f| (idx, f))
        };
        if path.starts_with("<stdlib>") {
            // The standard library is part of every project; prefer an active one.
            let mut order: Vec<usize> = (0..self.projects.len()).collect();
            order.sort_by_key(|&i| !self.projects[i].active);
            return order.into_iter().find_map(in_project);
        }
        let dir = path.parent()?;
        let idx = self.projects.iter().position(|p| p.dir == dir)?;
        in_project(idx)
    }

    pub fn snapshot(&self, uri: &lsp::Uri) -> Option<FileSnapshot> {
        let path = self.paths.path(uri)?;
        let (project, file) = self.find(&path)?;
        if file.deleted(&self.db) {
            return None;
        }
        Some(FileSnapshot {
            db: self.db.clone(),
            workspace: self.projects[project].workspace,
            file,
            encoding: self.encoding,
            paths: self.paths.clone(),
            _live: self.handles.take(),
        })
    }

    /// A handle of the database for an analysis that is not about one file.
    pub fn fork(&self) -> (RootDatabase, Live) {
        (self.db.clone(), self.handles.take())
    }

    /// Frees the query results that the last edits replaced. salsa keeps them until its next
    /// write, which would free them on the next keystroke's path: 8 % of the server's time in the
    /// medium latency benchmark, mostly the trees and symbols an edit that moves a file's items
    /// replaced (docs/editors.md). The server calls this when it has been idle for a while, and
    /// only when no analysis holds a handle, so that the write waits for none.
    pub fn collect_garbage(&mut self) {
        // salsa's LRU step without a new revision: nothing is evicted (no query has an LRU
        // capacity), but the results replaced since the last revision are dropped, and no
        // result needs to be verified again.
        salsa::Database::trigger_lru_eviction(&mut self.db);
    }

    pub fn diagnostics_job(&self, project: usize) -> DiagnosticsJob {
        let p = &self.projects[project];
        DiagnosticsJob {
            db: self.db.clone(),
            workspace: p.workspace,
            generation: p.generation,
            load_diagnostics: p.load_diagnostics.clone(),
            encoding: self.encoding,
            paths: self.paths.clone(),
            _live: self.handles.take(),
        }
    }

    /// Sets a file's text (adding the file to its project when it is new); returns the project.
    fn set_text(&mut self, path: &Path, text: &str) -> Option<usize> {
        if path.starts_with("<stdlib>") {
            // The standard library is read-only: edits to its copy on disk are ignored.
            return None;
        }
        let dir = path.parent()?.to_path_buf();
        let project = self.project_for_dir(&dir);
        match self.find(path) {
            Some((_, file)) => {
                if file.deleted(&self.db) {
                    file.set_deleted(&mut self.db).to(false);
                }
                if **file.text(&self.db) != *text {
                    set_file_text(&mut self.db, file, text.to_string());
                }
            }
            None => {
                let file = SourceFile::new(&self.db, path.to_path_buf(), Arc::from(text), false);
                let workspace = self.projects[project].workspace;
                let mut files = workspace.files(&self.db).clone();
                files.push(file);
                workspace.set_files(&mut self.db).to(files);
            }
        }
        // A module added, or a `source` changed: read the modules' Terraform code again.
        let workspace = self.projects[project].workspace;
        if module_dirs_stale(&self.db, workspace) {
            reload_module_dirs(&mut self.db, workspace);
        }
        // An instance of another provider's resource type: read that provider's schema.
        if schemas_stale(&self.db, workspace) {
            reload_provider_schemas(&mut self.db, workspace);
        }
        self.projects[project].generation += 1;
        Some(project)
    }

    /// A module's Terraform file (`.tf`) changed on disk: every project under whose directory
    /// it lies reads its modules' code again. Returns those projects.
    pub fn reload_modules(&mut self, path: &Path) -> Vec<usize> {
        self.reload_under(path, reload_module_dirs)
    }

    /// A provider's cached schema changed on disk: every project under whose directory it lies
    /// reads its schemas again. Returns those projects.
    pub fn reload_schemas(&mut self, path: &Path) -> Vec<usize> {
        self.reload_under(path, reload_provider_schemas)
    }

    /// Runs `reload` on every project under whose directory `path` lies; returns them.
    fn reload_under(
        &mut self,
        path: &Path,
        reload: fn(&mut RootDatabase, Workspace),
    ) -> Vec<usize> {
        let projects: Vec<usize> = (0..self.projects.len())
            .filter(|&idx| path.starts_with(&self.projects[idx].dir))
            .collect();
        for &idx in &projects {
            reload(&mut self.db, self.projects[idx].workspace);
            self.projects[idx].generation += 1;
        }
        projects
    }

    pub fn open(&mut self, path: &Path, version: i32, text: String) -> Option<usize> {
        let project = self.set_text(path, &text);
        // The editor's text replaces the file on disk, and whatever made it unreadable.
        if let Some(project) = project {
            self.set_load_problem(project, path, None);
        }
        self.documents
            .insert(path.to_path_buf(), Document { version, text });
        let project = project.or_else(|| self.find(path).map(|(p, _)| p))?;
        self.projects[project].active = true;
        Some(project)
    }

    /// Applies content changes (incremental or full). Returns the project, and whether the
    /// version did not increase (the client is then out of step; the change is applied anyway).
    pub fn change(
        &mut self,
        path: &Path,
        version: i32,
        changes: Vec<lsp::TextDocumentContentChangeEvent>,
    ) -> Option<(usize, bool)> {
        let encoding = self.encoding;
        let document = self.documents.get_mut(path)?;
        let out_of_order = version <= document.version;
        for change in changes {
            match change.range {
                Some(range) => {
                    let lines = Lines::new(&document.text, encoding);
                    let range = lines.text_range(range);
                    document
                        .text
                        .replace_range(range.start as usize..range.end as usize, &change.text);
                }
                None => document.text = change.text,
            }
        }
        document.version = version;
        // The text is lent to `set_text` rather than copied (a copy of a large file per edit).
        let text = std::mem::take(&mut document.text);
        let project = self.set_text(path, &text);
        if let Some(document) = self.documents.get_mut(path) {
            document.text = text;
        }
        Some((project?, out_of_order))
    }

    /// A closed document falls back to the file on disk (or is gone, if the file is).
    pub fn close(&mut self, path: &Path) -> Option<usize> {
        self.documents.remove(path);
        self.published.remove(path);
        self.reload(path)
    }

    /// Re-reads a file that is not open from disk: after a save elsewhere, a creation or a
    /// deletion.
    pub fn reload(&mut self, path: &Path) -> Option<usize> {
        if self.documents.contains_key(path) || path.starts_with("<stdlib>") {
            return None;
        }
        if path.is_file() {
            let (text, problem) = read_source(path);
            let project = self.set_text(path, &text)?;
            self.set_load_problem(project, path, problem);
            return Some(project);
        }
        let (project, file) = self.find(path)?;
        if !file.deleted(&self.db) {
            file.set_deleted(&mut self.db).to(true);
            self.projects[project].generation += 1;
        }
        self.set_load_problem(project, path, None);
        Some(project)
    }

    /// Records why the file at `path` could not be read (invalid UTF-8, too large), replacing
    /// what was recorded before, so that a fixed file loses its diagnostic and a file that
    /// breaks on disk gets one.
    fn set_load_problem(&mut self, project: usize, path: &Path, problem: Option<String>) {
        let file = self.find(path).map(|(_, file)| file);
        let db = &self.db;
        let diagnostics = &mut self.projects[project].load_diagnostics;
        diagnostics.retain(|d| d.labels.iter().all(|l| l.file.path(db) != path));
        if let (Some(problem), Some(file)) = (problem, file) {
            diagnostics.push(unreadable_file(file, problem));
        }
    }

    /// Keeps only the diagnostics that differ from what was last published for each file (or
    /// whose document version changed), and remembers them as published.
    pub fn unpublished(
        &mut self,
        project: usize,
        mut by_file: BTreeMap<PathBuf, Vec<lsp::Diagnostic>>,
    ) -> Vec<(lsp::Uri, Vec<lsp::Diagnostic>, Option<i32>)> {
        // A file of the project that is gone (deleted, or no longer read) is cleared once.
        let dir = &self.projects[project].dir;
        let gone: Vec<PathBuf> = self
            .published
            .iter()
            .filter(|(path, (_, digest))| {
                path.parent() == Some(dir.as_path())
                    && !by_file.contains_key(*path)
                    && *digest != self::digest(&[])
            })
            .map(|(path, _)| path.clone())
            .collect();
        for path in gone {
            by_file.insert(path, Vec::new());
        }
        let mut out = Vec::new();
        for (path, diagnostics) in by_file {
            let version = self.documents.get(&path).map(|d| d.version);
            let digest = digest(&diagnostics);
            if self.published.get(&path) == Some(&(version, digest)) {
                continue;
            }
            let Some(uri) = self.paths.uri(&path) else {
                continue;
            };
            self.published.insert(path, (version, digest));
            out.push((uri, diagnostics, version));
        }
        out
    }
}

fn digest(diagnostics: &[lsp::Diagnostic]) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    serde_json::to_string(diagnostics)
        .unwrap_or_default()
        .hash(&mut hasher);
    hasher.finish()
}

/// Writes the standard library's `.infra` files to a directory, so that editors can open them
/// (go to definition of a stdlib module lands there). Returns the directory.
pub fn materialize_stdlib() -> Option<PathBuf> {
    let dir = std::env::temp_dir().join(format!("infrac-lsp-{}-stdlib", env!("CARGO_PKG_VERSION")));
    std::fs::create_dir_all(&dir).ok()?;
    for (path, text) in infrac_core::stdlib::infra_files() {
        let name = path.strip_prefix("<stdlib>/").unwrap_or(&path);
        let target = dir.join(name);
        if std::fs::read_to_string(&target).ok().as_deref() != Some(text) {
            // A temporary name and a rename, so that two servers never see half a file.
            let temporary = dir.join(format!(".{name}.{}", std::process::id()));
            std::fs::write(&temporary, text).ok()?;
            std::fs::rename(&temporary, &target).ok()?;
        }
    }
    Some(dir)
}

#[cfg(test)]
mod tests {
    use super::*;
    use infrac_core::db::parse_file;

    fn whole(text: &str) -> Vec<lsp::TextDocumentContentChangeEvent> {
        vec![lsp::TextDocumentContentChangeEvent {
            range: None,
            range_length: None,
            text: text.to_string(),
        }]
    }

    /// The trees that an edit moving a file's items replaced stay in salsa, after the new
    /// revision's analysis, until `collect_garbage` frees them (or the next edit would).
    #[test]
    fn collecting_garbage_frees_the_trees_an_edit_replaced() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("base.infra");
        let text =
            "project p {\n  region = \"eu-west-1\"\n}\n\nparam a: int = 1\n\nlayer one {\n}\n";
        std::fs::write(&path, text).expect("write");
        let mut state = State::new();
        let project = state.open(&path, 1, text.into()).expect("a project");
        let workspace = state.projects[project].workspace;
        let (_, file) = state.find(&path).expect("the file");
        let layer = |state: &State| parse_file(&state.db, file).items.last().cloned();
        infrac_ide::workspace_diagnostics(&state.db, workspace);
        let before = layer(&state).expect("the layer");

        // A longer value moves the layer: its new tree is a moved copy.
        state.change(&path, 2, whole(&text.replace("= 1", "= 1234")));
        infrac_ide::workspace_diagnostics(&state.db, workspace);
        let after = layer(&state).expect("the layer");
        assert!(!Arc::ptr_eq(&before, &after));
        assert!(
            Arc::strong_count(&before) > 1,
            "salsa still holds the replaced results"
        );

        state.collect_garbage();
        assert_eq!(Arc::strong_count(&before), 1, "only this test holds it");
        // Nothing the current revision reads was dropped.
        assert!(Arc::ptr_eq(&after, &layer(&state).expect("the layer")));
        assert!(infrac_ide::workspace_diagnostics(&state.db, workspace).is_empty());
    }

    /// The idle collection's condition: no handle taken since, none held.
    #[test]
    fn handles_are_idle_when_none_was_taken_since_and_none_is_held() {
        let handles = Handles::default();
        let seen = handles.taken();
        assert!(handles.idle_since(seen));
        let live = handles.take();
        assert!(!handles.idle_since(seen), "one was taken");
        assert!(!handles.idle_since(handles.taken()), "one is held");
        drop(live);
        assert!(handles.idle_since(handles.taken()));
        assert!(!handles.idle_since(seen), "one was taken since");
    }
}
