//! The `LanguageServer` handlers: thin. Notifications change the state under its lock without
//! awaiting, then schedule a diagnostics run; requests take a snapshot and run the `ide` query
//! off the async runtime (see `snapshot.rs`).

use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use infrac_ide as ide;
use tower_lsp_server::jsonrpc::{Error, ErrorCode, Result};
use tower_lsp_server::ls_types as lsp;
use tower_lsp_server::{Client, LanguageServer};

use crate::convert::{self, Encoding, Lines, Texts};
use crate::direct::{self, DirectRequest};
use crate::semantic::TokenCache;
use crate::snapshot::{run_blocking, ReadError};
use crate::state::{materialize_stdlib, FileSnapshot, State};

pub struct Server {
    client: Client,
    state: Arc<Mutex<State>>,
    /// Serializes publishing, so that a newer run's diagnostics never go out before an older
    /// run's that passed its staleness check first.
    publishing: Arc<tokio::sync::Mutex<()>>,
    /// The last semantic tokens sent per open document, for `semanticTokens/full/delta`.
    tokens: Mutex<TokenCache>,
    /// The standard output writer's queue, for the answers written past tower-lsp-server
    /// (`direct.rs`).
    direct: std::sync::mpsc::Sender<Vec<u8>>,
}

/// How long to wait for the client to answer a request of ours.
const CLIENT_TIMEOUT: Duration = Duration::from_secs(5);
/// How many times a request cancelled by an edit is retried on a newer snapshot.
const RETRIES: usize = 3;
/// How long the server waits, after an analysis ends, for another to start before it frees what
/// the last edits replaced (`State::collect_garbage`). Shorter than the pause between two
/// keystrokes, longer than between an edit's diagnostics and the requests an editor then makes.
const IDLE: Duration = Duration::from_millis(20);

fn lock<T>(state: &Mutex<T>) -> MutexGuard<'_, T> {
    state.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Frees what the last edits replaced once the server has been idle for `IDLE`: no analysis
/// started meanwhile, and none holds a database handle. The collection runs on the analysis
/// thread, which allocated most of what it frees, and gives up if the state is locked: an edit
/// that holds the lock may be waiting for that thread.
fn collect_when_idle(state: &Arc<Mutex<State>>) {
    let handles = lock(state).handles.clone();
    let seen = handles.taken();
    let state = state.clone();
    tokio::spawn(async move {
        tokio::time::sleep(IDLE).await;
        if !handles.idle_since(seen) {
            return;
        }
        let _ = run_blocking(move || {
            let mut state = match state.try_lock() {
                Ok(state) => state,
                Err(std::sync::TryLockError::Poisoned(poisoned)) => poisoned.into_inner(),
                Err(std::sync::TryLockError::WouldBlock) => return,
            };
            if handles.idle_since(seen) {
                state.collect_garbage();
            }
        })
        .await;
    });
}

fn content_modified() -> Error {
    Error {
        code: ErrorCode::ContentModified,
        message: "the content was modified during the request".into(),
        data: None,
    }
}

fn request_failed(message: String) -> Error {
    Error {
        // LSP's RequestFailed.
        code: ErrorCode::ServerError(-32803),
        message: message.into(),
        data: None,
    }
}

impl Server {
    pub fn new(client: Client, direct: std::sync::mpsc::Sender<Vec<u8>>) -> Self {
        Self {
            client,
            state: Arc::new(Mutex::new(State::new())),
            publishing: Arc::new(tokio::sync::Mutex::new(())),
            tokens: Mutex::new(TokenCache::default()),
            direct,
        }
    }

    /// Answers a request that the frame filter carried here (`direct.rs`) with the handler
    /// tower-lsp-server would have called, and sends the answer to the output writer.
    pub async fn direct(&self, request: DirectRequest) {
        let DirectRequest { id, method, params } = request;
        let framed = match method.as_str() {
            "textDocument/documentSymbol" => {
                answered(&id, params, |p| self.document_symbol(p)).await
            }
            "textDocument/semanticTokens/full" => {
                answered(&id, params, |p| self.semantic_tokens_full(p)).await
            }
            "textDocument/semanticTokens/full/delta" => {
                answered(&id, params, |p| self.semantic_tokens_full_delta(p)).await
            }
            "textDocument/semanticTokens/range" => {
                answered(&id, params, |p| self.semantic_tokens_range(p)).await
            }
            _ => direct::frame::<()>(&id, Err(Error::method_not_found())),
        };
        // The writer is gone only when the session is over.
        let _ = self.direct.send(framed);
    }

    fn path(&self, uri: &lsp::Uri) -> Option<PathBuf> {
        lock(&self.state).paths.path(uri)
    }

    /// Computes the project's diagnostics on a snapshot and publishes them, unless a newer
    /// change made them stale. Runs in the background; a newer edit cancels it.
    fn schedule_diagnostics(&self, project: usize) {
        let state = self.state.clone();
        let client = self.client.clone();
        let publishing = self.publishing.clone();
        tokio::spawn(async move {
            let job = {
                let state = lock(&state);
                if !state.projects.get(project).is_some_and(|p| p.active) {
                    return;
                }
                state.diagnostics_job(project)
            };
            let generation = job.generation;
            let started = std::time::Instant::now();
            let by_file = match run_blocking(move || crate::diagnostics::compute(&job)).await {
                Ok(by_file) => by_file,
                // A newer edit cancelled this run; its own run publishes.
                Err(ReadError::Cancelled) => return,
                Err(ReadError::Panicked(message)) => {
                    client
                        .log_message(
                            lsp::MessageType::ERROR,
                            format!("infrac-lsp: diagnostics failed: {message}"),
                        )
                        .await;
                    return;
                }
            };
            let _order = publishing.lock().await;
            let to_publish = {
                let mut state = lock(&state);
                if state.projects[project].generation != generation {
                    return;
                }
                state.unpublished(project, by_file)
            };
            if std::env::var_os("INFRAC_LSP_TIMING").is_some() {
                eprintln!(
                    "infrac-lsp: diagnostics of generation {generation} in {:.1} ms",
                    started.elapsed().as_secs_f64() * 1000.0
                );
            }
            for (uri, diagnostics, version) in to_publish {
                client.publish_diagnostics(uri, diagnostics, version).await;
            }
            collect_when_idle(&state);
        });
    }

    /// Runs `f` on a snapshot of the document's project; retried when an edit cancels it.
    async fn read<T: Send + 'static>(
        &self,
        uri: &lsp::Uri,
        f: impl Fn(&FileSnapshot) -> T + Send + Sync + 'static,
    ) -> Result<Option<T>> {
        let f = Arc::new(f);
        for _ in 0..RETRIES {
            let Some(snapshot) = lock(&self.state).snapshot(uri) else {
                return Ok(None);
            };
            let f = f.clone();
            let result = run_blocking(move || f(&snapshot)).await;
            collect_when_idle(&self.state);
            match result {
                Ok(value) => return Ok(Some(value)),
                Err(ReadError::Cancelled) => continue,
                Err(ReadError::Panicked(message)) => {
                    self.client
                        .log_message(
                            lsp::MessageType::ERROR,
                            format!("infrac-lsp: request failed: {message}"),
                        )
                        .await;
                    return Err(Error::internal_error());
                }
            }
        }
        Err(content_modified())
    }

    /// `read` at a position: `f` gets the byte offset.
    async fn at<T: Send + 'static>(
        &self,
        position: &lsp::TextDocumentPositionParams,
        f: impl Fn(&FileSnapshot, &Lines<'_>, u32) -> Option<T> + Send + Sync + 'static,
    ) -> Result<Option<T>> {
        let at = position.position;
        self.read(&position.text_document.uri, move |snap| {
            let lines = Lines::of(&snap.db, snap.file, snap.encoding);
            let offset = lines.offset(at);
            f(snap, &lines, offset)
        })
        .await
        .map(Option::flatten)
    }

    /// The encoded semantic tokens of a document, of the tokens that overlap `range` if given.
    async fn semantic_tokens(
        &self,
        uri: &lsp::Uri,
        range: Option<lsp::Range>,
    ) -> Result<Option<Vec<lsp::SemanticToken>>> {
        self.read(uri, move |snap| {
            let lines = Lines::of(&snap.db, snap.file, snap.encoding);
            let mut tokens = ide::tokens::semantic_tokens(&snap.db, snap.workspace, snap.file);
            if let Some(range) = range {
                let range = lines.text_range(range);
                tokens.retain(|t| t.range.end > range.start && t.range.start < range.end);
            }
            convert::semantic_tokens(&lines, &tokens)
        })
        .await
    }

    async fn register_watchers(&self) {
        let registration = lsp::Registration {
            id: "infrac-watch".into(),
            method: "workspace/didChangeWatchedFiles".into(),
            register_options: serde_json::to_value(lsp::DidChangeWatchedFilesRegistrationOptions {
                // `.tf`: the Terraform code of the project's own modules, whose interfaces may
                // be read from it.
                watchers: ["**/*.infra", "**/*.tf", "**/.infrac/schemas/**/*.jsonl"]
                    .into_iter()
                    .map(|glob| lsp::FileSystemWatcher {
                        glob_pattern: lsp::GlobPattern::String(glob.into()),
                        kind: None,
                    })
                    .collect(),
            })
            .ok(),
        };
        let request = self.client.register_capability(vec![registration]);
        if tokio::time::timeout(CLIENT_TIMEOUT, request).await.is_err() {
            self.client
                .log_message(
                    lsp::MessageType::WARNING,
                    "infrac-lsp: the client did not answer the file watcher registration",
                )
                .await;
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
        let mut roots: Vec<PathBuf> = params
            .workspace_folders
            .iter()
            .flatten()
            .filter_map(|folder| folder.uri.to_file_path().map(|p| p.into_owned()))
            .collect();
        #[allow(deprecated)]
        if roots.is_empty() {
            if let Some(root) = params.root_uri.as_ref().and_then(|u| u.to_file_path()) {
                roots.push(root.into_owned());
            }
        }
        let watch = params
            .capabilities
            .workspace
            .as_ref()
            .and_then(|w| w.did_change_watched_files.as_ref())
            .and_then(|w| w.dynamic_registration)
            .unwrap_or(false);
        let snippets = params
            .capabilities
            .text_document
            .as_ref()
            .and_then(|t| t.completion.as_ref())
            .and_then(|c| c.completion_item.as_ref())
            .and_then(|i| i.snippet_support)
            .unwrap_or(false);
        {
            let mut state = lock(&self.state);
            state.encoding = if utf8 {
                Encoding::Utf8
            } else {
                Encoding::Utf16
            };
            state.paths.stdlib_dir = materialize_stdlib();
            for root in &roots {
                state.discover(root);
            }
            state.watch_files = watch;
            state.snippets = snippets;
        }
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
                        change: Some(lsp::TextDocumentSyncKind::INCREMENTAL),
                        save: Some(lsp::TextDocumentSyncSaveOptions::Supported(true)),
                        ..Default::default()
                    },
                )),
                hover_provider: Some(lsp::HoverProviderCapability::Simple(true)),
                definition_provider: Some(lsp::OneOf::Left(true)),
                references_provider: Some(lsp::OneOf::Left(true)),
                rename_provider: Some(lsp::OneOf::Right(lsp::RenameOptions {
                    prepare_provider: Some(true),
                    work_done_progress_options: Default::default(),
                })),
                completion_provider: Some(lsp::CompletionOptions {
                    trigger_characters: Some(vec![".".into(), "\"".into(), " ".into()]),
                    ..Default::default()
                }),
                document_symbol_provider: Some(lsp::OneOf::Left(true)),
                workspace_symbol_provider: Some(lsp::OneOf::Left(true)),
                document_formatting_provider: Some(lsp::OneOf::Left(true)),
                code_action_provider: Some(lsp::CodeActionProviderCapability::Options(
                    lsp::CodeActionOptions {
                        code_action_kinds: Some(vec![lsp::CodeActionKind::QUICKFIX]),
                        ..Default::default()
                    },
                )),
                inlay_hint_provider: Some(lsp::OneOf::Left(true)),
                // Only `{` opens it (and the user's request): on `=`, `,` or a space it covered
                // the code being typed.
                signature_help_provider: Some(lsp::SignatureHelpOptions {
                    trigger_characters: Some(vec!["{".into()]),
                    retrigger_characters: None,
                    work_done_progress_options: Default::default(),
                }),
                semantic_tokens_provider: Some(
                    lsp::SemanticTokensServerCapabilities::SemanticTokensOptions(
                        lsp::SemanticTokensOptions {
                            legend: convert::token_legend(),
                            full: Some(lsp::SemanticTokensFullOptions::Delta { delta: Some(true) }),
                            range: Some(true),
                            ..Default::default()
                        },
                    ),
                ),
                ..Default::default()
            },
            offset_encoding: None,
        })
    }

    async fn initialized(&self, _: lsp::InitializedParams) {
        let watch = lock(&self.state).watch_files;
        if watch {
            self.register_watchers().await;
        }
    }

    async fn shutdown(&self) -> Result<()> {
        Ok(())
    }

    async fn did_open(&self, params: lsp::DidOpenTextDocumentParams) {
        let document = params.text_document;
        let Some(path) = self.path(&document.uri) else {
            return;
        };
        let project = lock(&self.state).open(&path, document.version, document.text);
        if let Some(project) = project {
            self.schedule_diagnostics(project);
        }
    }

    async fn did_change(&self, params: lsp::DidChangeTextDocumentParams) {
        let Some(path) = self.path(&params.text_document.uri) else {
            return;
        };
        let version = params.text_document.version;
        let result = lock(&self.state).change(&path, version, params.content_changes);
        match result {
            Some((project, out_of_order)) => {
                self.schedule_diagnostics(project);
                if out_of_order {
                    self.client
                        .log_message(
                            lsp::MessageType::WARNING,
                            format!(
                                "infrac-lsp: version {version} of {} did not increase",
                                path.display()
                            ),
                        )
                        .await;
                }
            }
            None => {
                self.client
                    .log_message(
                        lsp::MessageType::WARNING,
                        format!(
                            "infrac-lsp: a change to {} that is not open",
                            path.display()
                        ),
                    )
                    .await;
            }
        }
    }

    async fn did_save(&self, params: lsp::DidSaveTextDocumentParams) {
        let Some(path) = self.path(&params.text_document.uri) else {
            return;
        };
        let project = lock(&self.state).find(&path).map(|(p, _)| p);
        if let Some(project) = project {
            self.schedule_diagnostics(project);
        }
    }

    async fn did_close(&self, params: lsp::DidCloseTextDocumentParams) {
        let Some(path) = self.path(&params.text_document.uri) else {
            return;
        };
        lock(&self.tokens).forget(&params.text_document.uri);
        let project = lock(&self.state).close(&path);
        if let Some(project) = project {
            self.schedule_diagnostics(project);
        }
    }

    async fn did_change_watched_files(&self, params: lsp::DidChangeWatchedFilesParams) {
        let mut projects = Vec::new();
        {
            let mut state = lock(&self.state);
            for change in params.changes {
                let Some(path) = state.paths.path(&change.uri) else {
                    continue;
                };
                if path.extension().is_some_and(|e| e == "tf") {
                    projects.extend(state.reload_modules(&path));
                } else if path.extension().is_some_and(|e| e == "jsonl") {
                    // `infrac schema` wrote a provider's schema again.
                    projects.extend(state.reload_schemas(&path));
                } else if let Some(project) = state.reload(&path) {
                    projects.push(project);
                }
            }
        }
        projects.sort_unstable();
        projects.dedup();
        for project in projects {
            self.schedule_diagnostics(project);
        }
    }

    async fn hover(&self, params: lsp::HoverParams) -> Result<Option<lsp::Hover>> {
        self.at(
            &params.text_document_position_params,
            |snap, lines, offset| {
                let hover = ide::hover::hover(&snap.db, snap.workspace, snap.file, offset)?;
                Some(lsp::Hover {
                    contents: lsp::HoverContents::Markup(lsp::MarkupContent {
                        kind: lsp::MarkupKind::Markdown,
                        value: hover.markdown,
                    }),
                    range: Some(lines.range(hover.range)),
                })
            },
        )
        .await
    }

    async fn goto_definition(
        &self,
        params: lsp::GotoDefinitionParams,
    ) -> Result<Option<lsp::GotoDefinitionResponse>> {
        self.at(&params.text_document_position_params, |snap, _, offset| {
            let targets =
                ide::symbols::goto_definition(&snap.db, snap.workspace, snap.file, offset);
            let mut texts = Texts::new(&snap.db, snap.encoding);
            let locations: Vec<lsp::Location> = targets
                .iter()
                .filter_map(|t| texts.location(&snap.paths, t.file, t.focus_range))
                .collect();
            (!locations.is_empty()).then_some(lsp::GotoDefinitionResponse::Array(locations))
        })
        .await
    }

    async fn references(&self, params: lsp::ReferenceParams) -> Result<Option<Vec<lsp::Location>>> {
        let include = params.context.include_declaration;
        self.at(&params.text_document_position, move |snap, _, offset| {
            let found =
                ide::symbols::references(&snap.db, snap.workspace, snap.file, offset, include);
            let mut texts = Texts::new(&snap.db, snap.encoding);
            Some(
                found
                    .iter()
                    .filter_map(|r| texts.location(&snap.paths, r.file, r.range))
                    .collect(),
            )
        })
        .await
    }

    async fn prepare_rename(
        &self,
        params: lsp::TextDocumentPositionParams,
    ) -> Result<Option<lsp::PrepareRenameResponse>> {
        let result = self
            .at(&params, |snap, lines, offset| {
                Some(
                    ide::symbols::prepare_rename(&snap.db, snap.workspace, snap.file, offset)
                        .map(|(range, _)| lsp::PrepareRenameResponse::Range(lines.range(range))),
                )
            })
            .await?;
        match result {
            None => Ok(None),
            Some(Ok(response)) => Ok(Some(response)),
            Some(Err(message)) => Err(request_failed(message)),
        }
    }

    async fn rename(&self, params: lsp::RenameParams) -> Result<Option<lsp::WorkspaceEdit>> {
        let new_name = params.new_name;
        let result = self
            .at(&params.text_document_position, move |snap, _, offset| {
                let change =
                    ide::symbols::rename(&snap.db, snap.workspace, snap.file, offset, &new_name);
                Some(change.map(|change| {
                    Texts::new(&snap.db, snap.encoding).workspace_edit(&snap.paths, &change)
                }))
            })
            .await?;
        match result {
            None => Ok(None),
            Some(Ok(edit)) => Ok(Some(edit)),
            Some(Err(message)) => Err(request_failed(message)),
        }
    }

    async fn completion(
        &self,
        params: lsp::CompletionParams,
    ) -> Result<Option<lsp::CompletionResponse>> {
        let snippets = lock(&self.state).snippets;
        self.at(
            &params.text_document_position,
            move |snap, lines, offset| {
                let items =
                    ide::completion::completion(&snap.db, snap.workspace, snap.file, offset);
                let items: Vec<lsp::CompletionItem> = items
                    .into_iter()
                    .filter(|item| {
                        snippets || item.kind != ide::completion::CompletionKind::Snippet
                    })
                    .map(|item| lsp::CompletionItem {
                        insert_text_format: (item.kind == ide::completion::CompletionKind::Snippet)
                            .then_some(lsp::InsertTextFormat::SNIPPET),
                        text_edit: Some(lsp::CompletionTextEdit::Edit(lsp::TextEdit {
                            range: lines.range(item.replace),
                            new_text: item
                                .insert_text
                                .clone()
                                .unwrap_or_else(|| item.label.clone()),
                        })),
                        filter_text: Some(item.label.trim_matches('"').to_string()),
                        kind: Some(convert::completion_kind(item.kind)),
                        detail: item.detail,
                        documentation: item.documentation.map(|value| {
                            lsp::Documentation::MarkupContent(lsp::MarkupContent {
                                kind: lsp::MarkupKind::Markdown,
                                value,
                            })
                        }),
                        label: item.label,
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
        self.read(&params.text_document.uri, |snap| {
            let lines = Lines::of(&snap.db, snap.file, snap.encoding);
            let symbols = ide::outline::document_symbols(&snap.db, snap.file);
            lsp::DocumentSymbolResponse::Nested(
                symbols.iter().map(|s| document_symbol(&lines, s)).collect(),
            )
        })
        .await
    }

    async fn symbol(
        &self,
        params: lsp::WorkspaceSymbolParams,
    ) -> Result<Option<lsp::WorkspaceSymbolResponse>> {
        let (db, live, workspaces, encoding, paths) = {
            let state = lock(&self.state);
            let workspaces: Vec<_> = state.projects.iter().map(|p| p.workspace).collect();
            let (db, live) = state.fork();
            (db, live, workspaces, state.encoding, state.paths.clone())
        };
        let query = params.query;
        let found = run_blocking(move || {
            // Counted as a handle until the job ends.
            let _live = live;
            let mut texts = Texts::new(&db, encoding);
            let mut out = Vec::new();
            for (idx, workspace) in workspaces.iter().enumerate() {
                for symbol in ide::outline::workspace_symbols(&db, *workspace, &query) {
                    // The standard library is in every project; list it once.
                    if idx > 0 && ide::is_stdlib(&db, symbol.file) {
                        continue;
                    }
                    let Some(location) = texts.location(&paths, symbol.file, symbol.range) else {
                        continue;
                    };
                    out.push(lsp::WorkspaceSymbol {
                        name: symbol.name,
                        kind: convert::symbol_kind(symbol.kind),
                        tags: None,
                        container_name: symbol.container,
                        location: lsp::OneOf::Left(location),
                        data: None,
                    });
                }
            }
            out
        })
        .await;
        match found {
            Ok(symbols) => Ok(Some(lsp::WorkspaceSymbolResponse::Nested(symbols))),
            Err(ReadError::Cancelled) => Err(content_modified()),
            Err(ReadError::Panicked(_)) => Err(Error::internal_error()),
        }
    }

    async fn formatting(
        &self,
        params: lsp::DocumentFormattingParams,
    ) -> Result<Option<Vec<lsp::TextEdit>>> {
        self.read(&params.text_document.uri, |snap| {
            let text = snap.file.text(&snap.db);
            let lines = Lines::of(&snap.db, snap.file, snap.encoding);
            ide::format::format_edits(text).map(|edits| {
                edits
                    .into_iter()
                    .map(|edit| lsp::TextEdit {
                        range: lines.range(edit.range),
                        new_text: edit.new_text,
                    })
                    .collect()
            })
        })
        .await
        .map(Option::flatten)
    }

    async fn semantic_tokens_full(
        &self,
        params: lsp::SemanticTokensParams,
    ) -> Result<Option<lsp::SemanticTokensResult>> {
        let uri = params.text_document.uri;
        let data = self.semantic_tokens(&uri, None).await?;
        Ok(data.map(|data| lsp::SemanticTokensResult::Tokens(lock(&self.tokens).full(&uri, data))))
    }

    async fn semantic_tokens_full_delta(
        &self,
        params: lsp::SemanticTokensDeltaParams,
    ) -> Result<Option<lsp::SemanticTokensFullDeltaResult>> {
        let uri = params.text_document.uri;
        let data = self.semantic_tokens(&uri, None).await?;
        Ok(data.map(|data| lock(&self.tokens).delta(&uri, &params.previous_result_id, data)))
    }

    async fn semantic_tokens_range(
        &self,
        params: lsp::SemanticTokensRangeParams,
    ) -> Result<Option<lsp::SemanticTokensRangeResult>> {
        let data = self
            .semantic_tokens(&params.text_document.uri, Some(params.range))
            .await?;
        Ok(data.map(|data| {
            lsp::SemanticTokensRangeResult::Tokens(lsp::SemanticTokens {
                result_id: None,
                data,
            })
        }))
    }

    async fn inlay_hint(
        &self,
        params: lsp::InlayHintParams,
    ) -> Result<Option<Vec<lsp::InlayHint>>> {
        let range = params.range;
        self.read(&params.text_document.uri, move |snap| {
            let lines = Lines::of(&snap.db, snap.file, snap.encoding);
            let range = lines.text_range(range);
            ide::hints::inlay_hints(&snap.db, snap.workspace, snap.file, range)
                .into_iter()
                .map(|hint| lsp::InlayHint {
                    position: lines.position(hint.offset),
                    label: lsp::InlayHintLabel::String(hint.label),
                    kind: None,
                    text_edits: None,
                    tooltip: hint.tooltip.map(lsp::InlayHintTooltip::String),
                    padding_left: Some(true),
                    padding_right: None,
                    data: None,
                })
                .collect()
        })
        .await
    }

    async fn signature_help(
        &self,
        params: lsp::SignatureHelpParams,
    ) -> Result<Option<lsp::SignatureHelp>> {
        self.at(&params.text_document_position_params, |snap, _, offset| {
            let help = ide::signature::signature_help(&snap.db, snap.workspace, snap.file, offset)?;
            let markdown = |value: String| {
                lsp::Documentation::MarkupContent(lsp::MarkupContent {
                    kind: lsp::MarkupKind::Markdown,
                    value,
                })
            };
            // Parameter ranges are offsets into the label, in UTF-16 units.
            let units = |byte: u32| help.label[..byte as usize].encode_utf16().count() as u32;
            let parameters = help
                .parameters
                .iter()
                .map(|((start, end), doc)| lsp::ParameterInformation {
                    label: lsp::ParameterLabel::LabelOffsets([units(*start), units(*end)]),
                    documentation: doc.clone().map(markdown),
                })
                .collect();
            Some(lsp::SignatureHelp {
                signatures: vec![lsp::SignatureInformation {
                    label: help.label.clone(),
                    documentation: help.documentation.clone().map(markdown),
                    parameters: Some(parameters),
                    active_parameter: help.active_parameter,
                }],
                active_signature: Some(0),
                active_parameter: help.active_parameter,
            })
        })
        .await
    }

    async fn code_action(
        &self,
        params: lsp::CodeActionParams,
    ) -> Result<Option<lsp::CodeActionResponse>> {
        let range = params.range;
        self.read(&params.text_document.uri, move |snap| {
            let lines = Lines::of(&snap.db, snap.file, snap.encoding);
            let range = lines.text_range(range);
            let diagnostics = crate::diagnostics::all_diagnostics(&snap.db, snap.workspace);
            let actions = ide::actions::code_actions(
                &snap.db,
                snap.workspace,
                snap.file,
                range,
                &diagnostics,
            );
            let mut texts = Texts::new(&snap.db, snap.encoding);
            actions
                .into_iter()
                .map(|action| {
                    let diagnostic = texts.diagnostic(&snap.paths, &diagnostics[action.diagnostic]);
                    lsp::CodeActionOrCommand::CodeAction(lsp::CodeAction {
                        title: action.title,
                        kind: Some(lsp::CodeActionKind::QUICKFIX),
                        diagnostics: Some(vec![diagnostic]),
                        edit: Some(texts.workspace_edit(&snap.paths, &action.edit)),
                        is_preferred: Some(action.preferred),
                        ..Default::default()
                    })
                })
                .collect()
        })
        .await
    }
}

/// The framed answer of `handler` to the request `id` with `params`, or the error
/// tower-lsp-server answers when the parameters do not parse.
async fn answered<P, T, F>(
    id: &tower_lsp_server::jsonrpc::Id,
    params: serde_json::Value,
    handler: impl FnOnce(P) -> F,
) -> Vec<u8>
where
    P: serde::de::DeserializeOwned,
    T: serde::Serialize,
    F: std::future::Future<Output = Result<Option<T>>>,
{
    match serde_json::from_value(params) {
        Ok(params) => direct::frame(id, handler(params).await),
        Err(error) => direct::frame::<()>(id, Err(Error::invalid_params(error.to_string()))),
    }
}

fn document_symbol(
    lines: &Lines<'_>,
    symbol: &ide::outline::DocumentSymbol,
) -> lsp::DocumentSymbol {
    #[allow(deprecated)]
    lsp::DocumentSymbol {
        name: symbol.name.clone(),
        detail: symbol.detail.clone(),
        kind: convert::symbol_kind(symbol.kind),
        tags: None,
        deprecated: None,
        range: lines.range(symbol.range),
        selection_range: lines.range(symbol.selection_range),
        children: (!symbol.children.is_empty()).then(|| {
            symbol
                .children
                .iter()
                .map(|c| document_symbol(lines, c))
                .collect()
        }),
    }
}
