//! The language server: owns the database and the open documents, runs every analysis on a
//! database snapshot off the async runtime, and publishes diagnostics with the document version
//! they were computed for.

use std::collections::{BTreeMap, HashMap};
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use infrac::analysis::{check_env, load_project, project_diagnostics, set_file_text};
use infrac::config::EnvName;
use infrac::db::{RootDatabase, SourceFile, Workspace};
use infrac::ide;
use infrac::project::project_index;
use salsa::Setter as _;
use tower_lsp_server::jsonrpc::{Error, Result};
use tower_lsp_server::ls_types as lsp;
use tower_lsp_server::{Client, LanguageServer};

use crate::convert::{self, Encoding};

struct State {
    db: RootDatabase,
    /// Project directory to its workspace.
    projects: HashMap<PathBuf, Workspace>,
    /// Open documents and their versions.
    versions: HashMap<PathBuf, i32>,
    encoding: Encoding,
}

pub struct Server {
    client: Client,
    state: Arc<Mutex<State>>,
}

impl Server {
    pub fn new(client: Client) -> Self {
        let state = State {
            db: RootDatabase::default(),
            projects: HashMap::new(),
            versions: HashMap::new(),
            encoding: Encoding::Utf16,
        };
        Self {
            client,
            state: Arc::new(Mutex::new(state)),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Sets the text of a document; loads its project on first sight. Never awaits.
    fn update(
        &self,
        path: &Path,
        text: String,
        version: Option<i32>,
    ) -> Option<(Workspace, PathBuf)> {
        let mut state = self.lock();
        let dir = path.parent()?.to_path_buf();
        let workspace = match state.projects.get(&dir) {
            Some(ws) => *ws,
            None => {
                let (ws, _) = load_project(&mut state.db, &dir);
                state.projects.insert(dir.clone(), ws);
                ws
            }
        };
        let existing = workspace
            .files(&state.db)
            .iter()
            .copied()
            .find(|f| f.path(&state.db) == path);
        match existing {
            Some(file) => {
                if **file.text(&state.db) != *text {
                    set_file_text(&mut state.db, file, text);
                }
            }
            None => {
                let file = SourceFile::new(&state.db, path.to_path_buf(), Arc::from(text), false);
                let mut files = workspace.files(&state.db).clone();
                files.push(file);
                workspace.set_files(&mut state.db).to(files);
            }
        }
        if let Some(version) = version {
            state.versions.insert(path.to_path_buf(), version);
        }
        Some((workspace, dir))
    }

    /// Runs `f` on a snapshot of the database, off the async runtime; a newer edit cancels it.
    async fn read<T: Send + 'static>(
        &self,
        f: impl FnOnce(&RootDatabase, Encoding) -> T + Send + 'static,
    ) -> Option<T> {
        let (snapshot, encoding) = {
            let state = self.lock();
            (state.db.clone(), state.encoding)
        };
        let job = move || salsa::Cancelled::catch(AssertUnwindSafe(|| f(&snapshot, encoding)));
        match tokio::task::spawn_blocking(job).await {
            Ok(Ok(value)) => Some(value),
            Ok(Err(_cancelled)) => None,
            Err(join_error) => {
                self.client
                    .log_message(
                        lsp::MessageType::ERROR,
                        format!("infrac-lsp: analysis failed: {join_error}"),
                    )
                    .await;
                None
            }
        }
    }

    /// Publishes the diagnostics of every file of the project, with the versions they were
    /// computed for; results for a document edited since are dropped.
    async fn publish(&self, workspace: Workspace, dir: PathBuf) {
        let versions = self.lock().versions.clone();
        let result = self
            .read(move |db, encoding| {
                let mut by_file: BTreeMap<PathBuf, Vec<lsp::Diagnostic>> = BTreeMap::new();
                for file in workspace.files(db) {
                    if file.path(db).starts_with(&dir) && !file.deleted(db) {
                        by_file.entry(file.path(db).clone()).or_default();
                    }
                }
                let mut all = project_diagnostics(db, workspace).clone();
                for env in project_index(db, workspace).envs.keys() {
                    all.extend(
                        check_env(db, workspace, EnvName::new(db, env.clone()))
                            .iter()
                            .cloned(),
                    );
                }
                infrac::analysis::sort_diagnostics(db, &mut all);
                for diagnostic in &all {
                    let path = diagnostic.primary().file.path(db).clone();
                    if let Some(list) = by_file.get_mut(&path) {
                        list.push(convert::diagnostic(db, diagnostic, encoding));
                    }
                }
                by_file
            })
            .await;
        let Some(by_file) = result else { return };
        for (path, diagnostics) in by_file {
            let version = versions.get(&path).copied();
            if version.is_some() && self.lock().versions.get(&path).copied() != version {
                continue;
            }
            if let Some(uri) = convert::uri(&path) {
                self.client
                    .publish_diagnostics(uri, diagnostics, version)
                    .await;
            }
        }
    }

    fn locate(&self, uri: &lsp::Uri) -> Option<(Workspace, SourceFile)> {
        let path = uri.to_file_path()?.into_owned();
        let state = self.lock();
        let workspace = *state.projects.get(path.parent()?)?;
        let file = workspace
            .files(&state.db)
            .iter()
            .copied()
            .find(|f| f.path(&state.db) == &path)?;
        Some((workspace, file))
    }

    async fn at_position<T: Send + 'static>(
        &self,
        params: &lsp::TextDocumentPositionParams,
        f: impl FnOnce(&RootDatabase, Workspace, SourceFile, u32, Encoding) -> Option<T>
            + Send
            + 'static,
    ) -> Result<Option<T>> {
        let Some((workspace, file)) = self.locate(&params.text_document.uri) else {
            return Ok(None);
        };
        let position = params.position;
        match self
            .read(move |db, encoding| {
                f(
                    db,
                    workspace,
                    file,
                    convert::offset(file.text(db), position, encoding),
                    encoding,
                )
            })
            .await
        {
            Some(value) => Ok(value),
            None => Err(Error {
                code: tower_lsp_server::jsonrpc::ErrorCode::ServerError(-32801),
                message: "content modified".into(),
                data: None,
            }),
        }
    }
}

impl LanguageServer for Server {
    async fn initialize(&self, params: lsp::InitializeParams) -> Result<lsp::InitializeResult> {
        let utf8 = params
            .capabilities
            .general
            .as_ref()
            .and_then(|g| g.position_encodings.as_ref())
            .is_some_and(|encodings| encodings.contains(&lsp::PositionEncodingKind::UTF8));
        self.lock().encoding = if utf8 {
            Encoding::Utf8
        } else {
            Encoding::Utf16
        };
        Ok(lsp::InitializeResult {
            server_info: Some(lsp::ServerInfo {
                name: "infrac-lsp".into(),
                version: Some(env!("CARGO_PKG_VERSION").into()),
            }),
            capabilities: lsp::ServerCapabilities {
                position_encoding: Some(if utf8 {
                    lsp::PositionEncodingKind::UTF8
                } else {
                    lsp::PositionEncodingKind::UTF16
                }),
                text_document_sync: Some(lsp::TextDocumentSyncCapability::Options(
                    lsp::TextDocumentSyncOptions {
                        open_close: Some(true),
                        change: Some(lsp::TextDocumentSyncKind::FULL),
                        save: Some(lsp::TextDocumentSyncSaveOptions::Supported(true)),
                        ..Default::default()
                    },
                )),
                hover_provider: Some(lsp::HoverProviderCapability::Simple(true)),
                definition_provider: Some(lsp::OneOf::Left(true)),
                document_symbol_provider: Some(lsp::OneOf::Left(true)),
                completion_provider: Some(lsp::CompletionOptions {
                    trigger_characters: Some(vec![".".into(), " ".into()]),
                    ..Default::default()
                }),
                ..Default::default()
            },
            ..Default::default()
        })
    }

    async fn shutdown(&self) -> Result<()> {
        Ok(())
    }

    async fn did_open(&self, params: lsp::DidOpenTextDocumentParams) {
        let Some(path) = params
            .text_document
            .uri
            .to_file_path()
            .map(|p| p.into_owned())
        else {
            return;
        };
        if let Some((workspace, dir)) = self.update(
            &path,
            params.text_document.text,
            Some(params.text_document.version),
        ) {
            self.publish(workspace, dir).await;
        }
    }

    async fn did_change(&self, params: lsp::DidChangeTextDocumentParams) {
        let Some(path) = params
            .text_document
            .uri
            .to_file_path()
            .map(|p| p.into_owned())
        else {
            return;
        };
        // Full sync: the last change holds the whole text.
        let Some(change) = params.content_changes.into_iter().last() else {
            return;
        };
        let stale = self
            .lock()
            .versions
            .get(&path)
            .is_some_and(|v| *v >= params.text_document.version);
        if stale {
            self.client
                .log_message(
                    lsp::MessageType::WARNING,
                    format!(
                        "infrac-lsp: out-of-order version {} for {}",
                        params.text_document.version,
                        path.display()
                    ),
                )
                .await;
        }
        if let Some((workspace, dir)) =
            self.update(&path, change.text, Some(params.text_document.version))
        {
            self.publish(workspace, dir).await;
        }
    }

    async fn did_save(&self, params: lsp::DidSaveTextDocumentParams) {
        let Some((workspace, _)) = self.locate(&params.text_document.uri) else {
            return;
        };
        let Some(path) = params
            .text_document
            .uri
            .to_file_path()
            .map(|p| p.into_owned())
        else {
            return;
        };
        if let Some(dir) = path.parent() {
            self.publish(workspace, dir.to_path_buf()).await;
        }
    }

    async fn did_close(&self, params: lsp::DidCloseTextDocumentParams) {
        // The file stays part of its project with the text on disk.
        let Some(path) = params
            .text_document
            .uri
            .to_file_path()
            .map(|p| p.into_owned())
        else {
            return;
        };
        self.lock().versions.remove(&path);
        let (text, _) = infrac::analysis::read_source(&path);
        if let Some((workspace, dir)) = self.update(&path, text, None) {
            self.publish(workspace, dir).await;
        }
    }

    async fn hover(&self, params: lsp::HoverParams) -> Result<Option<lsp::Hover>> {
        self.at_position(
            &params.text_document_position_params,
            |db, workspace, file, offset, encoding| {
                let hover = ide::hover(db, workspace, file, offset)?;
                Some(lsp::Hover {
                    contents: lsp::HoverContents::Markup(lsp::MarkupContent {
                        kind: lsp::MarkupKind::Markdown,
                        value: hover.markdown,
                    }),
                    range: Some(convert::range(file.text(db), hover.range, encoding)),
                })
            },
        )
        .await
    }

    async fn goto_definition(
        &self,
        params: lsp::GotoDefinitionParams,
    ) -> Result<Option<lsp::GotoDefinitionResponse>> {
        self.at_position(
            &params.text_document_position_params,
            |db, workspace, file, offset, encoding| {
                let location = ide::goto_definition(db, workspace, file, offset)?;
                let uri = convert::uri(location.file.path(db))?;
                Some(lsp::GotoDefinitionResponse::Scalar(lsp::Location {
                    uri,
                    range: convert::range(location.file.text(db), location.range, encoding),
                }))
            },
        )
        .await
    }

    async fn completion(
        &self,
        params: lsp::CompletionParams,
    ) -> Result<Option<lsp::CompletionResponse>> {
        self.at_position(
            &params.text_document_position,
            |db, workspace, file, offset, _| {
                let items = ide::completion(db, workspace, file, offset)
                    .into_iter()
                    .map(|item| lsp::CompletionItem {
                        label: item.label,
                        kind: Some(match item.kind {
                            ide::CompletionKind::Keyword => lsp::CompletionItemKind::KEYWORD,
                            ide::CompletionKind::Param => lsp::CompletionItemKind::VARIABLE,
                            ide::CompletionKind::Module => lsp::CompletionItemKind::MODULE,
                            ide::CompletionKind::Input => lsp::CompletionItemKind::FIELD,
                            ide::CompletionKind::Output => lsp::CompletionItemKind::PROPERTY,
                            ide::CompletionKind::Layer => lsp::CompletionItemKind::CLASS,
                            ide::CompletionKind::Env => lsp::CompletionItemKind::ENUM_MEMBER,
                        }),
                        detail: Some(item.detail),
                        documentation: item.documentation.map(|d| {
                            lsp::Documentation::MarkupContent(lsp::MarkupContent {
                                kind: lsp::MarkupKind::Markdown,
                                value: d,
                            })
                        }),
                        ..Default::default()
                    })
                    .collect();
                Some(lsp::CompletionResponse::Array(items))
            },
        )
        .await
    }

    async fn document_symbol(
        &self,
        params: lsp::DocumentSymbolParams,
    ) -> Result<Option<lsp::DocumentSymbolResponse>> {
        let Some((_, file)) = self.locate(&params.text_document.uri) else {
            return Ok(None);
        };
        let symbols = self
            .read(move |db, encoding| {
                let text = file.text(db).clone();
                fn convert_symbol(
                    symbol: ide::Symbol,
                    text: &str,
                    encoding: Encoding,
                ) -> lsp::DocumentSymbol {
                    #[allow(deprecated)]
                    lsp::DocumentSymbol {
                        name: symbol.name,
                        detail: Some(symbol.kind.to_string()),
                        kind: match symbol.kind {
                            "layer" => lsp::SymbolKind::NAMESPACE,
                            "module" => lsp::SymbolKind::MODULE,
                            "param" | "input" => lsp::SymbolKind::VARIABLE,
                            "env" => lsp::SymbolKind::ENUM,
                            "policy" => lsp::SymbolKind::EVENT,
                            "type" => lsp::SymbolKind::STRUCT,
                            "output" => lsp::SymbolKind::PROPERTY,
                            "instance" => lsp::SymbolKind::OBJECT,
                            _ => lsp::SymbolKind::KEY,
                        },
                        tags: None,
                        deprecated: None,
                        range: convert::range(text, symbol.range, encoding),
                        selection_range: convert::range(text, symbol.selection, encoding),
                        children: Some(
                            symbol
                                .children
                                .into_iter()
                                .map(|c| convert_symbol(c, text, encoding))
                                .collect(),
                        ),
                    }
                }
                ide::document_symbols(db, file)
                    .into_iter()
                    .map(|s| convert_symbol(s, &text, encoding))
                    .collect::<Vec<_>>()
            })
            .await;
        Ok(symbols.map(lsp::DocumentSymbolResponse::Nested))
    }
}
