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
    E0105 = "E0105", "nesting-too-deep", "brackets, operators, type aliases or references nest deeper than the limit";
    E0201 = "E0201", "unknown-name", "a reference names nothing in scope";
    E0202 = "E0202", "duplicate-definition", "two items or members have the same name";
    E0203 = "E0203", "unknown-module", "an instance's kind is not a module";
    E0204 = "E0204", "unknown-type", "a type name is not defined";
    E0205 = "E0205", "project-missing", "a project needs exactly one `project` item";
    E0206 = "E0206", "unknown-module-source", "a module's `source` names no standard-library module and no directory of Terraform files";
    E0301 = "E0301", "unknown-environment", "`extends` names an environment that does not exist";
    E0302 = "E0302", "extends-cycle", "environments extend each other in a cycle";
    E0303 = "E0303", "duplicate-assignment", "an environment sets the same key twice";
    E0304 = "E0304", "environment-file", "the built file must declare exactly one environment";
    E0305 = "E0305", "unknown-override-target", "an environment overrides something that does not exist";
    E0306 = "E0306", "shared-layer-env-value", "a shared layer depends on a value that differs between environments";
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
    W0202 = "W0202", "shadowed-name", "an instance or a repeated layer's binding hides a parameter or a layer of the same name";
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

/// "did you mean `x`?" for the closest candidate: one within a Damerau-Levenshtein distance of a
/// third of the typed name's length (at least 1), or else one that starts with what was typed
/// (`ecr_repo` for `ecr_repository`). Ties go to the first candidate given.
pub fn did_you_mean<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    closest_name(name, candidates).map(|candidate| format!("did you mean `{candidate}`?"))
}

/// The candidate `did_you_mean` suggests, if any.
pub fn closest_name<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let typed_len = name.chars().count();
    let limit = (typed_len / 3).max(1);
    // Ranked by (kind, cost): a near miss (kind 0, its distance) beats a prefix (kind 1, the
    // number of characters left to type).
    let mut best: Option<((u8, usize), &str)> = None;
    for candidate in candidates {
        if candidate == name {
            continue;
        }
        let distance = edit_distance(&name.to_lowercase(), &candidate.to_lowercase());
        let rank = if distance <= limit {
            (0, distance)
        } else if typed_len >= 3 && candidate.starts_with(name) {
            (1, candidate.chars().count() - typed_len)
        } else {
            continue;
        };
        if best.is_none_or(|(best_rank, _)| rank < best_rank) {
            best = Some((rank, candidate));
        }
    }
    best.map(|(_, candidate)| candidate)
}

/// The optimal string alignment distance: insertions, deletions, substitutions and transpositions
/// of adjacent characters each cost 1 (`mutli` is one edit from `multi`).
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    // Three rows: two back (for transpositions), one back, and the current one.
    let mut before_previous: Vec<usize> = vec![0; b.len() + 1];
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for i in 0..a.len() {
        let mut current = vec![i + 1; b.len() + 1];
        for j in 0..b.len() {
            let cost = usize::from(a[i] != b[j]);
            let mut distance = (previous[j] + cost)
                .min(previous[j + 1] + 1)
                .min(current[j] + 1);
            if i > 0 && j > 0 && a[i] == b[j - 1] && a[i - 1] == b[j] {
                distance = distance.min(before_previous[j - 1] + 1);
            }
            current[j + 1] = distance;
        }
        before_previous = std::mem::replace(&mut previous, current);
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
    fn suggestion_table() {
        // (typed, candidates, expected suggestion)
        let table: &[(&str, &[&str], Option<&str>)] = &[
            // A prefix of a longer name (issue 16).
            (
                "ecr_repo",
                &["ecr_repository", "ecs_service"],
                Some("ecr_repository"),
            ),
            // A near miss in a long name.
            (
                "ecr_repositry",
                &["ecr_repository", "ecs_service"],
                Some("ecr_repository"),
            ),
            // A transposition is one edit.
            ("mutli_az", &["multi_az", "nat"], Some("multi_az")),
            ("nodse_max", &["nodes_max", "nodes_min"], Some("nodes_max")),
            // Short names allow one edit, not two.
            ("naz", &["nat"], Some("nat")),
            ("nzz", &["nat"], None),
            // The threshold follows the typed name's length: 9 characters allow 3 edits.
            ("log_dayzz", &["log_days"], Some("log_days")),
            ("lg_dyzzzz", &["log_days"], None),
            // A near miss beats a prefix; a closer near miss beats a farther one.
            ("api", &["api_tasks", "apu"], Some("apu")),
            ("db_clas", &["db_class", "db_classes"], Some("db_class")),
            // Prefixes need three typed characters, and the shortest completion wins.
            ("ap", &["api_tasks"], None),
            ("api_t", &["api_tasks_max", "api_tasks"], Some("api_tasks")),
            // Case is not a difference worth more than the letters.
            ("Multi_AZ", &["multi_az"], Some("multi_az")),
            // The name itself is never suggested.
            ("web", &["web"], None),
            // Unicode counts characters, not bytes.
            ("zürich", &["zurich"], Some("zurich")),
            ("", &["nat"], None),
        ];
        for (typed, candidates, expected) in table {
            assert_eq!(
                closest_name(typed, candidates.iter().copied()),
                *expected,
                "did_you_mean({typed:?}, {candidates:?})"
            );
        }
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
