//! Renders diagnostics with miette for the command line; other labelled files become related
//! diagnostics with their own source.

use std::fmt;

use miette::{LabeledSpan, NamedSource, SourceSpan};

use crate::db::{Db, SourceFile};
use crate::diagnostics::{Diagnostic, Label, Severity};

/// A diagnostic with its sources, ready for miette.
#[derive(Debug)]
pub struct Rendered {
    message: String,
    code: String,
    severity: miette::Severity,
    help: Option<String>,
    source: NamedSource<String>,
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
        Some(&self.source)
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

pub fn to_miette(db: &dyn Db, diagnostic: &Diagnostic) -> Rendered {
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
            source: source_of(db, label.file),
            labels: vec![span(db, label)],
            related: Vec::new(),
        })
        .collect();
    Rendered {
        message: diagnostic.message.clone(),
        code: diagnostic.code.id.to_string(),
        severity: match diagnostic.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
            Severity::Hint => miette::Severity::Advice,
        },
        help: diagnostic.help.clone(),
        source: source_of(db, primary.file),
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
    let text = label.file.text(db);
    let pos = crate::source::LineIndex::new(text).line_col(text, label.range.start);
    let severity = match diagnostic.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Hint => "hint",
    };
    format!(
        "{}:{}:{}: {severity}[{}]: {}",
        display_path(db, label.file),
        pos.line + 1,
        pos.col + 1,
        diagnostic.code.id,
        diagnostic.message
    )
}
