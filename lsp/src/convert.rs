//! Between the compiler's byte offsets and plain-data results and LSP's types: positions in the
//! negotiated encoding, paths and URIs (the embedded standard library is served from a copy on
//! disk), diagnostics, and the `ide` results.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use infrac_core::db::{RootDatabase, SourceFile};
use infrac_core::diagnostics::{Diagnostic, Severity};
use infrac_ide as ide;
use infrac_syntax::source::{LineCol, LineIndex, TextRange};
use tower_lsp_server::ls_types as lsp;

/// The position encoding agreed with the client.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    Utf16,
}

/// Where the documentation pages of diagnostic codes live.
const DIAGNOSTIC_DOCS: &str = "https://github.com/infrac/infrac/blob/main/docs/diagnostics";

/// Converts offsets of one text with its line index.
pub struct Lines<'t> {
    pub text: &'t str,
    index: std::borrow::Cow<'t, LineIndex>,
    encoding: Encoding,
}

impl<'t> Lines<'t> {
    /// For a text the database does not hold (a document before an edit is applied): builds the
    /// index.
    pub fn new(text: &'t str, encoding: Encoding) -> Self {
        Self {
            text,
            index: std::borrow::Cow::Owned(LineIndex::new(text)),
            encoding,
        }
    }

    /// For a file of the database: its index is built once per version of the text.
    pub fn of(db: &'t RootDatabase, file: SourceFile, encoding: Encoding) -> Self {
        Self {
            text: file.text(db),
            index: std::borrow::Cow::Borrowed(infrac_core::db::line_index(db, file)),
            encoding,
        }
    }

    pub fn position(&self, offset: u32) -> lsp::Position {
        let pos = match self.encoding {
            Encoding::Utf8 => self.index.line_col(self.text, offset),
            Encoding::Utf16 => self.index.line_col_utf16(self.text, offset),
        };
        lsp::Position {
            line: pos.line,
            character: pos.col,
        }
    }

    pub fn range(&self, range: TextRange) -> lsp::Range {
        lsp::Range {
            start: self.position(range.start),
            end: self.position(range.end),
        }
    }

    pub fn offset(&self, position: lsp::Position) -> u32 {
        let pos = LineCol {
            line: position.line,
            col: position.character,
        };
        match self.encoding {
            Encoding::Utf8 => self.index.offset(self.text, pos),
            Encoding::Utf16 => self.index.offset_utf16(self.text, pos),
        }
    }

    pub fn text_range(&self, range: lsp::Range) -> TextRange {
        TextRange {
            start: self.offset(range.start),
            end: self.offset(range.end).max(self.offset(range.start)),
        }
    }

    /// The length of a range in the encoding's units.
    pub fn len(&self, range: TextRange) -> u32 {
        let slice = &self.text[range.start as usize..range.end as usize];
        match self.encoding {
            Encoding::Utf8 => slice.len() as u32,
            Encoding::Utf16 => slice.encode_utf16().count() as u32,
        }
    }
}

/// Maps compiler paths to URIs and back; `<stdlib>/x.infra` lives in `stdlib_dir`.
#[derive(Clone, Debug, Default)]
pub struct Paths {
    pub stdlib_dir: Option<PathBuf>,
}

impl Paths {
    pub fn uri(&self, path: &Path) -> Option<lsp::Uri> {
        if let Ok(rest) = path.strip_prefix("<stdlib>") {
            return lsp::Uri::from_file_path(self.stdlib_dir.as_ref()?.join(rest));
        }
        lsp::Uri::from_file_path(path)
    }

    pub fn path(&self, uri: &lsp::Uri) -> Option<PathBuf> {
        let path = uri.to_file_path()?.into_owned();
        if let Some(dir) = &self.stdlib_dir {
            if let Ok(rest) = path.strip_prefix(dir) {
                return Some(Path::new("<stdlib>").join(rest));
            }
        }
        Some(path)
    }
}

/// Line indexes of the files a result touches, built once per file.
pub struct Texts<'db> {
    db: &'db RootDatabase,
    encoding: Encoding,
    lines: HashMap<SourceFile, Lines<'db>>,
}

impl<'db> Texts<'db> {
    pub fn new(db: &'db RootDatabase, encoding: Encoding) -> Self {
        Self {
            db,
            encoding,
            lines: HashMap::new(),
        }
    }

    pub fn of(&mut self, file: SourceFile) -> &Lines<'db> {
        let db = self.db;
        let encoding = self.encoding;
        self.lines
            .entry(file)
            .or_insert_with(|| Lines::of(db, file, encoding))
    }

    pub fn location(
        &mut self,
        paths: &Paths,
        file: SourceFile,
        range: TextRange,
    ) -> Option<lsp::Location> {
        let uri = paths.uri(file.path(self.db))?;
        Some(lsp::Location {
            uri,
            range: self.of(file).range(range),
        })
    }

    /// One compiler diagnostic as an LSP diagnostic: primary range, code with a link to its page,
    /// help on a new line, and the other labels as related information.
    pub fn diagnostic(&mut self, paths: &Paths, diagnostic: &Diagnostic) -> lsp::Diagnostic {
        let primary = diagnostic.primary();
        let mut message = diagnostic.message.clone();
        if let Some(help) = &diagnostic.help {
            message.push_str("\nhelp: ");
            message.push_str(help);
        }
        let related: Vec<lsp::DiagnosticRelatedInformation> = diagnostic
            .labels
            .iter()
            .filter(|label| !label.primary)
            .filter_map(|label| {
                Some(lsp::DiagnosticRelatedInformation {
                    location: self.location(paths, label.file, label.range)?,
                    message: if label.message.is_empty() {
                        "see here".into()
                    } else {
                        label.message.clone()
                    },
                })
            })
            .collect();
        lsp::Diagnostic {
            range: self.of(primary.file).range(primary.range),
            severity: Some(match diagnostic.severity {
                Severity::Error => lsp::DiagnosticSeverity::ERROR,
                Severity::Warning => lsp::DiagnosticSeverity::WARNING,
                Severity::Hint => lsp::DiagnosticSeverity::HINT,
            }),
            code: Some(lsp::NumberOrString::String(diagnostic.code.id.to_string())),
            code_description: format!("{DIAGNOSTIC_DOCS}/{}.md", diagnostic.code.id)
                .parse()
                .ok()
                .map(|href| lsp::CodeDescription { href }),
            source: Some("infrac".into()),
            message,
            related_information: (!related.is_empty()).then_some(related),
            tags: None,
            data: None,
        }
    }

    pub fn workspace_edit(
        &mut self,
        paths: &Paths,
        change: &ide::SourceChange,
    ) -> lsp::WorkspaceEdit {
        let mut changes: HashMap<lsp::Uri, Vec<lsp::TextEdit>> = HashMap::new();
        for (file, edits) in change.files() {
            let Some(uri) = paths.uri(file.path(self.db)) else {
                continue;
            };
            let lines = self.of(file);
            changes
                .entry(uri)
                .or_default()
                .extend(edits.iter().map(|edit| lsp::TextEdit {
                    range: lines.range(edit.range),
                    new_text: edit.new_text.clone(),
                }));
        }
        lsp::WorkspaceEdit {
            changes: Some(changes),
            ..Default::default()
        }
    }
}

pub fn completion_kind(kind: ide::completion::CompletionKind) -> lsp::CompletionItemKind {
    use ide::completion::CompletionKind as K;
    match kind {
        K::Keyword => lsp::CompletionItemKind::KEYWORD,
        K::Module => lsp::CompletionItemKind::CLASS,
        K::Input | K::Field => lsp::CompletionItemKind::FIELD,
        K::Output => lsp::CompletionItemKind::PROPERTY,
        K::Param => lsp::CompletionItemKind::VARIABLE,
        K::Layer | K::Env => lsp::CompletionItemKind::MODULE,
        K::Instance => lsp::CompletionItemKind::VALUE,
        K::EnumValue => lsp::CompletionItemKind::ENUM_MEMBER,
        K::Builtin => lsp::CompletionItemKind::CONSTANT,
        K::Type => lsp::CompletionItemKind::TYPE_PARAMETER,
        K::Function => lsp::CompletionItemKind::FUNCTION,
        K::Snippet => lsp::CompletionItemKind::SNIPPET,
    }
}

pub fn symbol_kind(kind: ide::outline::SymbolKind) -> lsp::SymbolKind {
    use ide::outline::SymbolKind as K;
    match kind {
        K::Project => lsp::SymbolKind::PACKAGE,
        K::Type => lsp::SymbolKind::TYPE_PARAMETER,
        K::Param => lsp::SymbolKind::VARIABLE,
        K::Module => lsp::SymbolKind::CLASS,
        K::Input => lsp::SymbolKind::FIELD,
        K::Output => lsp::SymbolKind::PROPERTY,
        K::Layer => lsp::SymbolKind::MODULE,
        K::Instance => lsp::SymbolKind::OBJECT,
        K::Env => lsp::SymbolKind::NAMESPACE,
        K::Entry => lsp::SymbolKind::KEY,
        K::Policy => lsp::SymbolKind::INTERFACE,
    }
}

/// The legend's token types, in the order of `ide::tokens::TOKEN_TYPES`' mapping below.
pub fn token_legend() -> lsp::SemanticTokensLegend {
    lsp::SemanticTokensLegend {
        token_types: vec![
            lsp::SemanticTokenType::KEYWORD,
            lsp::SemanticTokenType::COMMENT,
            lsp::SemanticTokenType::STRING,
            lsp::SemanticTokenType::NUMBER,
            lsp::SemanticTokenType::OPERATOR,
            lsp::SemanticTokenType::TYPE,
            lsp::SemanticTokenType::PARAMETER,
            lsp::SemanticTokenType::NAMESPACE,
            lsp::SemanticTokenType::VARIABLE,
            lsp::SemanticTokenType::PROPERTY,
        ],
        // Bits 1, 2, 4, 8 as in `ide::tokens`.
        token_modifiers: vec![
            lsp::SemanticTokenModifier::DECLARATION,
            lsp::SemanticTokenModifier::DOCUMENTATION,
            lsp::SemanticTokenModifier::DEFAULT_LIBRARY,
            lsp::SemanticTokenModifier::READONLY,
        ],
    }
}

fn token_index(kind: ide::tokens::TokenType) -> u32 {
    use ide::tokens::TokenType as T;
    match kind {
        T::Keyword => 0,
        T::Comment => 1,
        T::String => 2,
        T::Number => 3,
        T::Operator => 4,
        T::Type => 5,
        T::Parameter => 6,
        T::Namespace => 7,
        // Builtins are variables of the default library (the modifier says so).
        T::Variable | T::Builtin => 8,
        T::Property => 9,
    }
}

/// Semantic tokens in LSP's relative encoding.
pub fn semantic_tokens(
    lines: &Lines<'_>,
    tokens: &[ide::tokens::SemanticToken],
) -> Vec<lsp::SemanticToken> {
    let mut out = Vec::with_capacity(tokens.len());
    let (mut last_line, mut last_start) = (0, 0);
    // The last position computed, to count the next one's column from it rather than from the
    // start of its line: on a line of a million tokens, counting from the start is quadratic.
    let mut previous: Option<(u32, lsp::Position)> = None;
    let mut position = |offset: u32| -> lsp::Position {
        let utf8 = lines.index.line_col(lines.text, offset);
        let at = match (lines.encoding, previous) {
            (Encoding::Utf8, _) => lsp::Position {
                line: utf8.line,
                character: utf8.col,
            },
            (Encoding::Utf16, Some((from, at))) if at.line == utf8.line && from <= offset => {
                let between = lines.text.get(from as usize..offset as usize).unwrap_or("");
                lsp::Position {
                    line: at.line,
                    character: at.character + between.encode_utf16().count() as u32,
                }
            }
            (Encoding::Utf16, _) => lines.position(offset),
        };
        if lines.text.is_char_boundary(offset as usize) {
            previous = Some((offset, at));
        }
        at
    };
    for token in tokens {
        let start = position(token.range.start);
        let end = position(token.range.end);
        if end.line != start.line {
            continue;
        }
        let delta_line = start.line - last_line;
        let delta_start = if delta_line == 0 {
            start.character - last_start
        } else {
            start.character
        };
        out.push(lsp::SemanticToken {
            delta_line,
            delta_start,
            length: lines.len(token.range),
            token_type: token_index(token.kind),
            token_modifiers_bitset: token.modifiers,
        });
        last_line = start.line;
        last_start = start.character;
    }
    out
}
