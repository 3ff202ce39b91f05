//! Positions and diagnostics between the compiler's byte offsets and LSP's line/character, in the
//! negotiated encoding (UTF-8 when the client offers it, UTF-16 otherwise).

use infrac::db::{RootDatabase, SourceFile};
use infrac::diagnostics::{Diagnostic, Severity};
use infrac::source::{LineCol, LineIndex, TextRange};
use tower_lsp_server::ls_types as lsp;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    Utf16,
}

pub fn position(text: &str, index: &LineIndex, offset: u32, encoding: Encoding) -> lsp::Position {
    let pos = match encoding {
        Encoding::Utf8 => index.line_col(text, offset),
        Encoding::Utf16 => index.line_col_utf16(text, offset),
    };
    lsp::Position {
        line: pos.line,
        character: pos.col,
    }
}

pub fn range(text: &str, range: TextRange, encoding: Encoding) -> lsp::Range {
    let index = LineIndex::new(text);
    lsp::Range {
        start: position(text, &index, range.start, encoding),
        end: position(text, &index, range.end, encoding),
    }
}

pub fn offset(text: &str, position: lsp::Position, encoding: Encoding) -> u32 {
    let index = LineIndex::new(text);
    let pos = LineCol {
        line: position.line,
        col: position.character,
    };
    match encoding {
        Encoding::Utf8 => index.offset(text, pos),
        Encoding::Utf16 => index.offset_utf16(text, pos),
    }
}

pub fn uri(path: &std::path::Path) -> Option<lsp::Uri> {
    lsp::Uri::from_file_path(path)
}

/// One compiler diagnostic as an LSP diagnostic: primary range, code with a link to its page,
/// help on a new line, and the other labels as related information.
pub fn diagnostic(
    db: &RootDatabase,
    diagnostic: &Diagnostic,
    encoding: Encoding,
) -> lsp::Diagnostic {
    let primary = diagnostic.primary();
    let text = primary.file.text(db);
    let mut message = diagnostic.message.clone();
    if let Some(help) = &diagnostic.help {
        message.push_str(&format!("\nhelp: {help}"));
    }
    let related: Vec<lsp::DiagnosticRelatedInformation> = diagnostic
        .labels
        .iter()
        .filter(|label| !label.primary)
        .filter_map(|label| {
            let file: SourceFile = label.file;
            Some(lsp::DiagnosticRelatedInformation {
                location: lsp::Location {
                    uri: uri(file.path(db))?,
                    range: range(file.text(db), label.range, encoding),
                },
                message: if label.message.is_empty() {
                    "see here".into()
                } else {
                    label.message.clone()
                },
            })
        })
        .collect();
    lsp::Diagnostic {
        range: range(text, primary.range, encoding),
        severity: Some(match diagnostic.severity {
            Severity::Error => lsp::DiagnosticSeverity::ERROR,
            Severity::Warning => lsp::DiagnosticSeverity::WARNING,
            Severity::Hint => lsp::DiagnosticSeverity::HINT,
        }),
        code: Some(lsp::NumberOrString::String(diagnostic.code.id.to_string())),
        code_description: format!(
            "https://github.com/infrac/infrac/blob/main/docs/diagnostics/{}.md",
            diagnostic.code.id
        )
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
