//! Diagnostics as plain data: a stable code, a message, labelled spans and a hint.
//!
//! Rendering happens at the edges: `render` (miette) for the CLI, the `lsp` crate for editors.

use crate::db::SourceFile;
use crate::source::TextRange;
pub use infrac_syntax::codes::*;

/// Error, warning or hint.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Severity {
    Error,
    Warning,
    Hint,
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
}
