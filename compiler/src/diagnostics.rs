//! Diagnostics as plain data: a stable code, a message, labelled spans and a hint.
//!
//! Rendering happens at the edges: `render` (miette) for the CLI, the `lsp` crate for editors.

use crate::db::SourceFile;
use crate::source::TextRange;

/// Error, warning or hint.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Severity {
    Error,
    Warning,
    Hint,
}

/// A stable diagnostic code with its slug and one-line summary.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Code {
    pub id: &'static str,
    pub slug: &'static str,
    pub summary: &'static str,
}

macro_rules! codes {
    ($($name:ident = $id:literal, $slug:literal, $summary:literal;)*) => {
        $(pub const $name: Code = Code { id: $id, slug: $slug, summary: $summary };)*
        /// Every code, in order, for `infrac explain` and the docs test.
        pub const ALL_CODES: &[Code] = &[$($name),*];
    };
}

codes! {
    E0100 = "E0100", "syntax-error", "the text does not follow the grammar";
    E0101 = "E0101", "unclosed-delimiter", "a `{`, `[` or `(` is never closed";
    E0102 = "E0102", "invalid-entry", "an entry has a form this block does not allow";
    E0103 = "E0103", "stray-text", "text outside any item";
    E0104 = "E0104", "unreadable-file", "a file is not UTF-8 or cannot be read";
    E0201 = "E0201", "unknown-name", "a reference names nothing in scope";
    E0202 = "E0202", "duplicate-definition", "two items or members have the same name";
    E0203 = "E0203", "unknown-module", "an instance's kind is not a module";
    E0204 = "E0204", "unknown-type", "a type name is not defined";
    E0205 = "E0205", "project-missing", "a project needs exactly one `project` item";
    E0301 = "E0301", "unknown-environment", "`extends` names an environment that does not exist";
    E0302 = "E0302", "extends-cycle", "environments extend each other in a cycle";
    E0303 = "E0303", "duplicate-assignment", "an environment sets the same key twice";
    E0304 = "E0304", "environment-file", "the built file must declare exactly one environment";
    E0305 = "E0305", "unknown-override-target", "an environment overrides something that does not exist";
    E0401 = "E0401", "type-mismatch", "a value does not have the expected type";
    E0402 = "E0402", "unknown-field", "a record or module has no such field or input";
    E0403 = "E0403", "missing-field", "a required field or input is not set";
    E0404 = "E0404", "constraint-violation", "a value is outside its type's range, set or pattern";
    E0405 = "E0405", "run-time-value", "a Terraform run-time value is used where a compile-time value is needed";
    E0406 = "E0406", "evaluation-error", "an expression cannot be evaluated";
    E0407 = "E0407", "invalid-type", "a type expression is malformed";
    E0408 = "E0408", "secret-literal", "a `secret` is given a literal instead of a reference to a stored secret";
    E0501 = "E0501", "layer-cycle", "layers read each other's outputs in a cycle";
    E0502 = "E0502", "unknown-layer-output", "a cross-layer reference names an output the layer does not declare";
    E0503 = "E0503", "output-refused", "the build refuses to overwrite or delete a file it did not generate";
    E0504 = "E0504", "foreign-instance", "an instance of another layer is referenced directly";
    E0505 = "E0505", "output-error", "the output directory cannot be written";
    E0506 = "E0506", "output-drift", "committed generated output differs from a fresh build";
    E0507 = "E0507", "state-key-change", "a rebuild moves a layer's state to a different backend key";
    E0508 = "E0508", "terraform-invalid", "`terraform validate` rejects the generated Terraform";
    E0601 = "E0601", "policy-violation", "a policy rule does not hold for an environment";
    E0602 = "E0602", "invalid-policy", "a policy rule cannot be evaluated at compile time";
    W0201 = "W0201", "unused-parameter", "a parameter is never used";
    W0501 = "W0501", "physical-name-change", "a renamed instance keeps its state but its physical name changes, so the resource is replaced";
}

/// Looks up a code by its id, case-insensitively (`e0401` works).
pub fn code_by_id(id: &str) -> Option<Code> {
    ALL_CODES
        .iter()
        .copied()
        .find(|code| code.id.eq_ignore_ascii_case(id))
}

/// A labelled span in a file.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Label {
    pub file: SourceFile,
    pub range: TextRange,
    pub message: String,
    pub primary: bool,
}

/// One diagnostic. Exactly one label is primary.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Diagnostic {
    pub code: Code,
    pub severity: Severity,
    pub message: String,
    pub labels: Vec<Label>,
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn error(
        code: Code,
        file: SourceFile,
        range: TextRange,
        message: impl Into<String>,
    ) -> Self {
        Self::new(code, Severity::Error, file, range, message)
    }

    pub fn warning(
        code: Code,
        file: SourceFile,
        range: TextRange,
        message: impl Into<String>,
    ) -> Self {
        Self::new(code, Severity::Warning, file, range, message)
    }

    fn new(
        code: Code,
        severity: Severity,
        file: SourceFile,
        range: TextRange,
        message: impl Into<String>,
    ) -> Self {
        let message = message.into();
        Self {
            code,
            severity,
            labels: vec![Label {
                file,
                range,
                message: String::new(),
                primary: true,
            }],
            message,
            help: None,
        }
    }

    /// Sets the primary label's text.
    pub fn with_label(mut self, text: impl Into<String>) -> Self {
        if let Some(label) = self.labels.iter_mut().find(|label| label.primary) {
            label.message = text.into();
        }
        self
    }

    pub fn with_secondary(
        mut self,
        file: SourceFile,
        range: TextRange,
        text: impl Into<String>,
    ) -> Self {
        self.labels.push(Label {
            file,
            range,
            message: text.into(),
            primary: false,
        });
        self
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn with_help_opt(mut self, help: Option<String>) -> Self {
        if help.is_some() {
            self.help = help;
        }
        self
    }

    pub fn primary(&self) -> &Label {
        self.labels
            .iter()
            .find(|label| label.primary)
            .unwrap_or(&self.labels[0])
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// "did you mean `x`?" for the closest candidate within a small edit distance.
pub fn did_you_mean<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    let mut best: Option<(usize, &str)> = None;
    for candidate in candidates {
        let distance = edit_distance(name, candidate);
        let limit = (name.len().max(candidate.len()) / 3).max(1);
        if distance <= limit && best.is_none_or(|(best_distance, _)| distance < best_distance) {
            best = Some((distance, candidate));
        }
    }
    best.map(|(_, candidate)| format!("did you mean `{candidate}`?"))
}

fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != cb);
            current.push(
                (previous[j] + cost)
                    .min(previous[j + 1] + 1)
                    .min(current[j] + 1),
            );
        }
        previous = current;
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_the_closest_name() {
        assert_eq!(
            did_you_mean("multiaz", ["multi_az", "nat"]),
            Some("did you mean `multi_az`?".into())
        );
        assert_eq!(did_you_mean("zzz", ["multi_az", "nat"]), None);
    }

    #[test]
    fn codes_are_unique_and_sorted() {
        for pair in ALL_CODES.windows(2) {
            assert!(
                pair[0].id < pair[1].id,
                "{} then {}",
                pair[0].id,
                pair[1].id
            );
        }
    }
}
