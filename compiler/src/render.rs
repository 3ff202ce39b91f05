//! Renders diagnostics with miette for the command line; other labelled files become related
//! diagnostics with their own source.

use std::fmt;

use miette::{LabeledSpan, NamedSource, SourceSpan};

use infrac_core::db::{Db, SourceFile};
use infrac_core::diagnostics::{Diagnostic, Label, Severity};

/// A diagnostic with its sources, ready for miette.
#[derive(Debug)]
pub struct Rendered {
    message: String,
    code: String,
    severity: miette::Severity,
    help: Option<String>,
    /// `None` when a label's line is too long to show (see `LONG_LINE`).
    source: Option<NamedSource<String>>,
    labels: Vec<LabeledSpan>,
    related: Vec<Rendered>,
}

impl fmt::Display for Rendered {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Rendered {}

impl miette::Diagnostic for Rendered {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        (!self.code.is_empty()).then(|| Box::new(&self.code) as Box<dyn fmt::Display>)
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(self.severity)
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.source
            .as_ref()
            .map(|source| source as &dyn miette::SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        Some(Box::new(self.labels.iter().cloned()))
    }

    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn miette::Diagnostic> + 'a>> {
        (!self.related.is_empty()).then(|| {
            Box::new(self.related.iter().map(|r| r as &dyn miette::Diagnostic))
                as Box<dyn Iterator<Item = &'a dyn miette::Diagnostic>>
        })
    }
}

/// A path relative to the working directory when possible, for messages.
pub fn display_path(db: &dyn Db, file: SourceFile) -> String {
    let path = file.path(db);
    let cwd = std::env::current_dir().ok();
    cwd.and_then(|cwd| path.strip_prefix(cwd).ok().map(|p| p.display().to_string()))
        .unwrap_or_else(|| path.display().to_string())
}

/// Lines longer than this (in bytes) are not shown under a diagnostic: miette's graphical
/// renderer panics past column 65,535, and a line of megabytes is no help on a terminal. Such a
/// diagnostic is rendered as one line per label, with the label's line and column.
const LONG_LINE: usize = 1000;

/// Whether a line that miette would show for a label from `start` to `end` (its lines and one
/// line of context on either side) is longer than `LONG_LINE`.
fn near_long_line(text: &str, start: usize, end: usize) -> bool {
    let bytes = text.as_bytes();
    let start = start.min(bytes.len());
    let end = end.clamp(start, bytes.len());
    // Back to the start of the line before the label's first line.
    let mut from = start;
    for _ in 0..2 {
        from = bytes[..from.saturating_sub(1)]
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |n| n + 1);
    }
    // On to the end of the line after the label's last line.
    let mut to = end;
    for _ in 0..2 {
        to = bytes[(to + 1).min(bytes.len())..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(bytes.len(), |n| to + 1 + n);
    }
    bytes[from..to]
        .split(|&b| b == b'\n')
        .any(|line| line.len() > LONG_LINE)
}

/// `file:line:col`, 1-based, of a label.
fn location(db: &dyn Db, label: &Label) -> String {
    let pos = infrac_core::db::line_col(db, label.file, label.range.start);
    format!(
        "{}:{}:{}",
        display_path(db, label.file),
        pos.line + 1,
        pos.col + 1
    )
}

/// A diagnostic whose labels sit on lines too long to show: each label becomes a line of the
/// message, with its position.
fn without_source(db: &dyn Db, diagnostic: &Diagnostic) -> Rendered {
    let mut message = diagnostic.message.clone();
    for label in &diagnostic.labels {
        message.push_str(&format!("\n  at {}", location(db, label)));
        if !label.message.is_empty() {
            message.push_str(&format!(": {}", label.message));
        }
    }
    Rendered {
        message,
        code: diagnostic.code.id.to_string(),
        severity: severity(diagnostic.severity),
        help: diagnostic.help.clone(),
        source: None,
        labels: Vec::new(),
        related: Vec::new(),
    }
}

fn severity(severity: Severity) -> miette::Severity {
    match severity {
        Severity::Error => miette::Severity::Error,
        Severity::Warning => miette::Severity::Warning,
        Severity::Hint => miette::Severity::Advice,
    }
}

pub fn to_miette(db: &dyn Db, diagnostic: &Diagnostic) -> Rendered {
    let long = diagnostic.labels.iter().any(|label| {
        let text = label.file.text(db);
        near_long_line(text, label.range.start as usize, label.range.end as usize)
    });
    if long {
        return without_source(db, diagnostic);
    }
    let primary = diagnostic.primary().clone();
    let same_file: Vec<&Label> = diagnostic
        .labels
        .iter()
        .filter(|l| l.file == primary.file)
        .collect();
    let other: Vec<&Label> = diagnostic
        .labels
        .iter()
        .filter(|l| l.file != primary.file)
        .collect();
    let related = other
        .into_iter()
        .map(|label| Rendered {
            message: label.message.clone(),
            code: String::new(),
            severity: miette::Severity::Advice,
            help: None,
            source: Some(source_of(db, label.file)),
            labels: vec![span(db, label)],
            related: Vec::new(),
        })
        .collect();
    Rendered {
        message: diagnostic.message.clone(),
        code: diagnostic.code.id.to_string(),
        severity: severity(diagnostic.severity),
        help: diagnostic.help.clone(),
        source: Some(source_of(db, primary.file)),
        labels: same_file.into_iter().map(|l| span(db, l)).collect(),
        related,
    }
}

fn source_of(db: &dyn Db, file: SourceFile) -> NamedSource<String> {
    NamedSource::new(display_path(db, file), file.text(db).to_string()).with_language("infra")
}

fn span(db: &dyn Db, label: &Label) -> LabeledSpan {
    let len = file_len(db, label.file);
    let start = (label.range.start as usize).min(len);
    let end = (label.range.end as usize).min(len);
    let span = SourceSpan::new(start.into(), end - start);
    let text = (!label.message.is_empty()).then(|| label.message.clone());
    if label.primary {
        LabeledSpan::new_primary_with_span(text, span)
    } else {
        LabeledSpan::new_with_span(text, span)
    }
}

fn file_len(db: &dyn Db, file: SourceFile) -> usize {
    file.text(db).len()
}

/// Renders one diagnostic as text with a fixed theme and width (for tests and plain output).
pub fn render_plain(db: &dyn Db, diagnostic: &Diagnostic, width: usize) -> String {
    let handler =
        miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::unicode_nocolor())
            .with_width(width);
    let mut out = String::new();
    let rendered = to_miette(db, diagnostic);
    if handler.render_report(&mut out, &rendered).is_err() {
        out = format!("{}: {}", diagnostic.code.id, diagnostic.message);
    }
    out
}

/// `file:line:col: severity[CODE]: message`, one line, for logs and machine-readable output.
pub fn one_line(db: &dyn Db, diagnostic: &Diagnostic) -> String {
    let label = diagnostic.primary();
    let pos = infrac_core::db::line_col(db, label.file, label.range.start);
    one_line_at(db, diagnostic, pos.line + 1, pos.col + 1)
}

/// `one_line` with the primary label's 1-based line and column already known.
pub fn one_line_at(db: &dyn Db, diagnostic: &Diagnostic, line: u32, column: u32) -> String {
    let severity = match diagnostic.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Hint => "hint",
    };
    format!(
        "{}:{line}:{column}: {severity}[{}]: {}",
        display_path(db, diagnostic.primary().file),
        diagnostic.code.id,
        diagnostic.message
    )
}
