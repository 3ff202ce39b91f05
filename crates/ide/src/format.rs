//! The formatter: a conservative layout pass that never changes a token.
//!
//! It indents each line by two spaces per open bracket (one more for a line that continues an
//! expression), puts one space before `=` and `+=` where there is none and exactly one after
//! (spaces before `=` are kept, so aligned blocks stay aligned), trims trailing whitespace and
//! ends the file with one newline. Lines inside block comments are left alone. A file with syntax
//! errors is not formatted, and the result is checked to have the same tokens as the input.

use crate::source::TextRange;

use super::lex::{lex, Token, TokenKind};
use super::TextEdit;

const INDENT: &str = "  ";

/// The formatted text, or `None` when the text has syntax errors (or, defensively, when the
/// layout pass would change a token).
pub fn format(text: &str) -> Option<String> {
    if !crate::syntax::parse(text).errors.is_empty() {
        return None;
    }
    let formatted = layout(text);
    let same_tokens = token_texts(text) == token_texts(&formatted);
    (same_tokens && crate::syntax::parse(&formatted).errors.is_empty()).then_some(formatted)
}

/// The edits that turn `text` into its formatted form: one per changed line.
pub fn format_edits(text: &str) -> Option<Vec<TextEdit>> {
    let formatted = format(text)?;
    Some(line_edits(text, &formatted))
}

/// The tokens of a text; comments without the trailing whitespace of their lines, which the
/// formatter trims.
fn token_texts(text: &str) -> Vec<(TokenKind, String)> {
    lex(text)
        .into_iter()
        .filter(|t| t.kind != TokenKind::Newline)
        .map(|t| {
            let slice = t.text(text);
            let normalized = match t.kind {
                TokenKind::LineComment | TokenKind::DocComment | TokenKind::BlockComment => slice
                    .split('\n')
                    .map(str::trim_end)
                    .collect::<Vec<_>>()
                    .join("\n"),
                _ => slice.to_string(),
            };
            (t.kind, normalized)
        })
        .collect()
}

const CONTINUES: &[&str] = &[
    "&&", "||", "+", "-", "*", "/", "?", ":", "==", "!=", "<", ">", "<=", ">=",
];
const STARTS_CONTINUATION: &[&str] = &["&&", "||", "?", ":", "+", "."];

fn layout(text: &str) -> String {
    let tokens = lex(text);
    let mut out = String::with_capacity(text.len() + 64);
    let mut depth: i64 = 0;
    let mut token_idx = 0;
    let mut previous_line_continues = false;
    let mut line_start = 0;
    let mut lines: Vec<String> = Vec::new();
    while line_start < text.len() || (line_start == 0 && text.is_empty()) {
        if text.is_empty() {
            break;
        }
        let newline = text[line_start..].find('\n').map(|n| line_start + n);
        let line_end = newline.unwrap_or(text.len());
        let mut content_end = line_end;
        // Tokens of this line (a block comment may start here and end later).
        let first_token = token_idx;
        while token_idx < tokens.len() && (tokens[token_idx].range.start as usize) < line_end {
            token_idx += 1;
        }
        let line_tokens: Vec<Token> = tokens[first_token..token_idx]
            .iter()
            .copied()
            .filter(|t| t.kind != TokenKind::Newline)
            .collect();
        // A line that starts inside a block comment opened on an earlier line stays as it is.
        let inside_comment = first_token > 0
            && tokens[..first_token].last().is_some_and(|t| {
                t.kind == TokenKind::BlockComment && (t.range.end as usize) > line_start
            });
        if inside_comment {
            lines.push(
                text[line_start..line_end]
                    .trim_end_matches('\r')
                    .to_string(),
            );
            // A comment that ends on this line may be followed by code that opens brackets.
            for token in &line_tokens {
                depth += bracket_delta(token, text);
            }
            previous_line_continues = false;
        } else {
            if text[line_start..content_end].ends_with('\r') {
                content_end -= 1;
            }
            let raw = &text[line_start..content_end];
            let content_start = line_start + (raw.len() - raw.trim_start().len());
            let content_end_trimmed = content_start + raw.trim().len();
            if content_start >= content_end_trimmed {
                lines.push(String::new());
            } else {
                let code: Vec<&Token> = line_tokens
                    .iter()
                    .filter(|t| {
                        !matches!(
                            t.kind,
                            TokenKind::LineComment
                                | TokenKind::DocComment
                                | TokenKind::BlockComment
                        )
                    })
                    .collect();
                let leading_closers = code
                    .iter()
                    .take_while(|t| {
                        t.kind == TokenKind::Punct && matches!(t.text(text), "}" | "]" | ")")
                    })
                    .count() as i64;
                let starts_continuation = code.first().is_some_and(|t| {
                    t.kind == TokenKind::Punct && STARTS_CONTINUATION.contains(&t.text(text))
                });
                let continuation =
                    i64::from(depth > 0 && (previous_line_continues || starts_continuation));
                let indent = (depth - leading_closers).max(0) + continuation;
                let mut line = INDENT.repeat(indent as usize);
                line.push_str(&space_assignments(
                    text,
                    content_start,
                    content_end_trimmed,
                    &line_tokens,
                ));
                lines.push(line);
                for token in &line_tokens {
                    depth += bracket_delta(token, text);
                }
                // A `>` that closes type arguments (`list<string>`) ends the line; one that
                // compares goes on to the next.
                let angles = |p: &str| {
                    code.iter()
                        .filter(|t| t.kind == TokenKind::Punct && t.text(text) == p)
                        .count()
                };
                previous_line_continues = code.last().is_some_and(|t| {
                    t.kind == TokenKind::Punct
                        && CONTINUES.contains(&t.text(text))
                        && !(t.text(text) == ">" && angles("<") >= angles(">"))
                });
            }
        }
        match newline {
            Some(n) => line_start = n + 1,
            None => break,
        }
    }
    while lines.last().is_some_and(String::is_empty) {
        lines.pop();
    }
    let line_break = if text.contains("\r\n") { "\r\n" } else { "\n" };
    for line in &lines {
        out.push_str(line);
        out.push_str(line_break);
    }
    out
}

fn bracket_delta(token: &Token, text: &str) -> i64 {
    if token.kind != TokenKind::Punct {
        return 0;
    }
    match token.text(text) {
        "{" | "[" | "(" => 1,
        "}" | "]" | ")" => -1,
        _ => 0,
    }
}

/// One space before `=`/`+=` when there is none, exactly one after unless the line ends there.
fn space_assignments(text: &str, start: usize, end: usize, tokens: &[Token]) -> String {
    let mut out = String::new();
    let mut at = start;
    for token in tokens {
        let (a, b) = (token.range.start as usize, token.range.end as usize);
        if token.kind != TokenKind::Punct || !matches!(token.text(text), "=" | "+=") || a < at {
            continue;
        }
        out.push_str(&text[at..a]);
        if a > start && !text[..a].ends_with([' ', '\t']) {
            out.push(' ');
        }
        out.push_str(&text[a..b]);
        let rest = &text[b..end];
        let after = rest.trim_start_matches([' ', '\t']);
        at = b;
        if !after.is_empty() && !after.starts_with("//") && !after.starts_with("/*") {
            out.push(' ');
            at = end - after.len();
        }
    }
    out.push_str(&text[at..end]);
    out
}

/// Per-line edits from `old` to `new`; one edit over the changed middle when lines were added
/// or removed.
fn line_edits(old: &str, new: &str) -> Vec<TextEdit> {
    if old == new {
        return Vec::new();
    }
    let old_lines: Vec<&str> = old.split_inclusive('\n').collect();
    let new_lines: Vec<&str> = new.split_inclusive('\n').collect();
    if old_lines.len() == new_lines.len() {
        let mut edits = Vec::new();
        let mut offset = 0;
        for (old_line, new_line) in old_lines.iter().zip(&new_lines) {
            if old_line != new_line {
                edits.push(TextEdit {
                    range: TextRange::new(offset, offset + old_line.len()),
                    new_text: (*new_line).to_string(),
                });
            }
            offset += old_line.len();
        }
        return edits;
    }
    let prefix = old
        .bytes()
        .zip(new.bytes())
        .take_while(|(a, b)| a == b)
        .count();
    let mut prefix = prefix;
    while !old.is_char_boundary(prefix) || !new.is_char_boundary(prefix) {
        prefix -= 1;
    }
    let max_suffix = (old.len() - prefix).min(new.len() - prefix);
    let mut suffix = old
        .bytes()
        .rev()
        .zip(new.bytes().rev())
        .take(max_suffix)
        .take_while(|(a, b)| a == b)
        .count();
    while !old.is_char_boundary(old.len() - suffix) || !new.is_char_boundary(new.len() - suffix) {
        suffix -= 1;
    }
    vec![TextEdit {
        range: TextRange::new(prefix, old.len() - suffix),
        new_text: new[prefix..new.len() - suffix].to_string(),
    }]
}

/// Applies edits (sorted, not overlapping) to a text.
pub fn apply_edits(text: &str, edits: &[TextEdit]) -> String {
    let mut sorted: Vec<&TextEdit> = edits.iter().collect();
    sorted.sort_by_key(|e| (e.range.start, e.range.end));
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for edit in sorted {
        let (start, end) = (edit.range.start as usize, edit.range.end as usize);
        if start < at {
            continue;
        }
        out.push_str(&text[at..start]);
        out.push_str(&edit.new_text);
        at = end;
    }
    out.push_str(&text[at..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (input, expected output) pairs; every output is also checked to be a fixed point.
    const CASES: &[(&str, &str)] = &[
        (
            "layer a {\n\tnetwork vpc {\n cidr=\"10.0.0.0/16\"   \n      azs   =   2\n}\n  output id: string =vpc.vpc_id\n}",
            "layer a {\n  network vpc {\n    cidr = \"10.0.0.0/16\"\n    azs   = 2\n  }\n  output id: string = vpc.vpc_id\n}\n",
        ),
        (
            "env pro extends pre {\n  tags = {\n  a = \"x=y\" // keep = here\n    }\n  list += [\n1,\n   2]\n}\n\n\n",
            "env pro extends pre {\n  tags = {\n    a = \"x=y\" // keep = here\n  }\n  list += [\n    1,\n    2]\n}\n",
        ),
        (
            "/* a\n      block */\nparam p: int = 1 /* x\n   y */\npolicy q for pro {\n require p > 0 &&\n p < 9 \"é ok\"\n}\n",
            "/* a\n      block */\nparam p: int = 1 /* x\n   y */\npolicy q for pro {\n  require p > 0 &&\n    p < 9 \"é ok\"\n}\n",
        ),
        (
            "param a: int = 1 // é  \nenv dev { /* x  \n  y */\n}\n",
            "param a: int = 1 // é\nenv dev { /* x\n  y */\n}\n",
        ),
        (
            "module m {\n  input ids: list<string>\n  /// Next.\n  input n: map<list<int>> = {}\n}\npolicy p for dev {\n  require a >\n    1\n}\n",
            "module m {\n  input ids: list<string>\n  /// Next.\n  input n: map<list<int>> = {}\n}\npolicy p for dev {\n  require a >\n    1\n}\n",
        ),
        (
            "param a: int = 1\r\nenv dev {\r\n a = 2\r\n}\r\n",
            "param a: int = 1\r\nenv dev {\r\n  a = 2\r\n}\r\n",
        ),
    ];

    #[test]
    fn formats_and_is_idempotent() {
        for (input, expected) in CASES {
            let formatted = format(input).expect("formats");
            assert_eq!(&formatted, expected, "input:\n{input}");
            assert_eq!(
                format(&formatted).as_deref(),
                Some(*expected),
                "not idempotent"
            );
            let edits = format_edits(input).expect("edits");
            assert_eq!(apply_edits(input, &edits), *expected);
        }
    }

    #[test]
    fn refuses_broken_files() {
        assert_eq!(format("env dev {\n  a = \n"), None);
    }

    /// Every `.infra` file of the repository is formatted: `infrac fmt --check` passes on it.
    #[test]
    fn the_repository_is_formatted() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let mut dirs = vec![
            root.join("environments"),
            root.join("stdlib"),
            root.join("stdlib/examples"),
        ];
        dirs.extend(
            std::fs::read_dir(root.join("examples"))
                .expect("examples")
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.is_dir()),
        );
        let mut unformatted = Vec::new();
        for dir in dirs {
            for entry in std::fs::read_dir(&dir).expect("a directory").flatten() {
                let path = entry.path();
                if path.extension().is_none_or(|e| e != "infra") {
                    continue;
                }
                let text = std::fs::read_to_string(&path).expect("read");
                if format(&text).as_deref() != Some(text.as_str()) {
                    unformatted.push(path.display().to_string());
                }
            }
        }
        assert!(
            unformatted.is_empty(),
            "run `infrac fmt` on: {}",
            unformatted.join(", ")
        );
    }
}
