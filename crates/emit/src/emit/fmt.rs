//! A post-pass over hcl-rs output that gives it `terraform fmt`'s layout: aligned `=` in runs of
//! single-line attributes, `{}` for empty blocks, and the indentation of `}, {` between the objects
//! of a list.

use std::borrow::Cow;

/// Aligns the `=` of consecutive single-line attributes, as `terraform fmt` does.
///
/// One pass into one buffer: a line is copied once, and only runs of attributes wait to be
/// aligned. Every line ends with a newline, and an empty text gives one newline.
pub fn align_equals(text: &str) -> String {
    let text = space_object_fors(text);
    let mut out = String::with_capacity(text.len() + text.len() / 4 + 1);
    let mut run: Vec<(Cow<'_, str>, usize)> = Vec::new(); // (line, position of `=`)
    let mut any_line = false;
    for raw in text.lines() {
        any_line = true;
        let line = indent_reopening_closer(collapse_empty_block(raw));
        match single_line_attribute(&line) {
            Some(eq) => run.push((line, eq)),
            None => {
                flush_run(&mut run, &mut out);
                out.push_str(&line);
                out.push('\n');
            }
        }
    }
    flush_run(&mut run, &mut out);
    if !any_line {
        out.push('\n');
    }
    out
}

/// `terraform fmt` writes an object `for` expression with a space inside its braces,
/// `{ for k, v in m : k => v }`, where hcl-rs writes `{for ... v}`. Strings are skipped (their
/// interpolations are code again), so that no string's content changes.
fn space_object_fors(text: &str) -> Cow<'_, str> {
    if !text.contains("{for ") {
        return Cow::Borrowed(text);
    }
    /// What an open brace or quote started.
    enum Open {
        /// `{` of an object `for` expression.
        For,
        /// Any other `{` in code.
        Brace,
        /// `${` or `%{` inside a string.
        Interpolation,
        /// `"`.
        Quote,
    }
    let mut out = String::with_capacity(text.len() + 16);
    let mut stack: Vec<Open> = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        let in_string = matches!(stack.last(), Some(Open::Quote));
        if in_string {
            out.push(c);
            match c {
                '\\' => {
                    if let Some((_, escaped)) = chars.next() {
                        out.push(escaped);
                    }
                }
                '"' => {
                    stack.pop();
                }
                // `$${` and `%%{` are a literal `${` and `%{`; a `$` before another `$` that
                // no `{` follows is a plain `$` (`$$${` is `$` then the escape `$${`).
                '$' | '%' if text[at + 1..].starts_with(c) && text[at + 2..].starts_with('{') => {
                    for _ in 0..2 {
                        if let Some((_, next)) = chars.next() {
                            out.push(next);
                        }
                    }
                }
                '$' | '%' if text[at + 1..].starts_with('{') => {
                    chars.next();
                    out.push('{');
                    stack.push(Open::Interpolation);
                }
                _ => {}
            }
            continue;
        }
        match c {
            '"' => {
                stack.push(Open::Quote);
                out.push(c);
            }
            '{' if text[at + 1..].starts_with("for ") => {
                stack.push(Open::For);
                out.push_str("{ ");
            }
            '{' => {
                stack.push(Open::Brace);
                out.push(c);
            }
            '}' => {
                if let Some(Open::For) = stack.pop() {
                    out.push_str(" }");
                } else {
                    out.push(c);
                }
            }
            _ => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// Writes a run of attributes, padding their keys to one width when the run has several.
fn flush_run(run: &mut Vec<(Cow<'_, str>, usize)>, out: &mut String) {
    if run.len() > 1 {
        let width = run
            .iter()
            .map(|(line, eq)| columns(line[..*eq].trim_end()))
            .max()
            .unwrap_or(0);
        for (line, eq) in run.iter() {
            let key = line[..*eq].trim_end();
            out.push_str(key);
            pad(out, width.saturating_sub(columns(key)) + 1);
            out.push_str(&line[*eq..]);
            out.push('\n');
        }
    } else {
        for (line, _) in run.iter() {
            out.push_str(line);
            out.push('\n');
        }
    }
    run.clear();
}

/// Appends `n` spaces.
pub(super) fn pad(out: &mut String, mut n: usize) {
    const SPACES: &str = "                                ";
    while n > 0 {
        let take = n.min(SPACES.len());
        out.push_str(&SPACES[..take]);
        n -= take;
    }
}

/// The columns a key takes as `terraform fmt` counts them: the grapheme clusters of each of its
/// tokens. A quoted key is the quotes and the literal's tokens, which HCL's scanner splits at
/// every `$` and `%` (`$${`, `%%{`, each with a following `~`, and a lone `$` or `%` are tokens
/// of their own).
pub(super) fn columns(key: &str) -> usize {
    use unicode_segmentation::UnicodeSegmentation as _;
    if key.is_ascii() {
        return key.len();
    }
    let indent = key.len() - key.trim_start().len();
    let key = key.trim_start();
    let Some(literal) = key.strip_prefix('"').and_then(|k| k.strip_suffix('"')) else {
        return indent + key.graphemes(true).count();
    };
    let mut count = indent + 2;
    let mut rest = literal;
    while !rest.is_empty() {
        let token_len = match rest.as_bytes()[0] {
            // `${~` and `%{~` open a template with a strip marker: the `~` is part of the token.
            b'$' if rest.starts_with("$${~") => 4,
            b'%' if rest.starts_with("%%{~") => 4,
            b'$' if rest.starts_with("$${") => 3,
            b'%' if rest.starts_with("%%{") => 3,
            b'$' | b'%' => 1,
            _ => rest.find(['$', '%']).unwrap_or(rest.len()),
        };
        count += rest[..token_len].graphemes(true).count();
        rest = &rest[token_len..];
    }
    count
}

fn collapse_empty_block(line: &str) -> Cow<'_, str> {
    let trimmed = line.trim_end();
    if let Some(prefix) = trimmed.strip_suffix('}') {
        let inner = prefix.trim_end();
        if inner.ends_with('{') && prefix.len() > inner.len() && !inner.ends_with("${") {
            return Cow::Owned(format!("{inner}}}"));
        }
    }
    Cow::Borrowed(trimmed)
}

/// The byte position of the `=` of a `key = value` line whose value is complete on the line.
fn single_line_attribute(line: &str) -> Option<usize> {
    let trimmed = line.trim_start();
    if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with("//") {
        return None;
    }
    let bytes = line.as_bytes();
    let mut eq = None;
    let mut in_string = false;
    let mut idx = 0;
    while idx < bytes.len() {
        let c = bytes[idx];
        if in_string {
            if c == b'\\' {
                idx += 1;
            } else if c == b'"' {
                in_string = false;
            }
        } else if c == b'"' {
            in_string = true;
        } else if c == b'=' {
            let next = bytes.get(idx + 1).copied();
            let prev = if idx > 0 { bytes[idx - 1] } else { b' ' };
            if next != Some(b'=')
                && next != Some(b'>')
                && !matches!(prev, b'=' | b'!' | b'<' | b'>')
            {
                eq = Some(idx);
                break;
            }
        } else if matches!(c, b'{' | b'[' | b'(') {
            return None;
        }
        idx += 1;
    }
    let eq = eq?;
    let key = line[..eq].trim();
    let quoted = key.len() >= 2 && key.starts_with('"') && key.ends_with('"');
    if !quoted
        && (key.is_empty()
            || !key
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'.')))
    {
        return None;
    }
    balanced(&line[eq + 1..]).then_some(eq)
}

/// Whether every bracket and quote the text opens it also closes. Bytes, not characters: the
/// bytes it looks for are ASCII, which never occur inside a multi-byte UTF-8 sequence.
fn balanced(text: &str) -> bool {
    let mut depth: i32 = 0;
    let mut in_string = false;
    let mut escaped = false;
    for c in text.bytes() {
        if in_string {
            if escaped {
                escaped = false;
            } else if c == b'\\' {
                escaped = true;
            } else if c == b'"' {
                in_string = false;
            }
            continue;
        }
        match c {
            b'"' => in_string = true,
            b'{' | b'[' | b'(' => depth += 1,
            b'}' | b']' | b')' => depth -= 1,
            _ => {}
        }
        if depth < 0 {
            return false;
        }
    }
    depth == 0 && !in_string
}

/// `terraform fmt` dedents a line that starts with a closing bracket only when the line closes
/// more than it opens: `}, {` between two objects of a list stays at the objects' own depth,
/// two spaces deeper than hcl-rs writes it.
fn indent_reopening_closer(line: Cow<'_, str>) -> Cow<'_, str> {
    let trimmed = line.trim_start();
    let only_brackets = !trimmed.is_empty()
        && trimmed
            .chars()
            .all(|c| matches!(c, '{' | '}' | '[' | ']' | ',' | ' '));
    if !only_brackets || !trimmed.starts_with(['}', ']']) {
        return line;
    }
    let delta: i32 = trimmed
        .chars()
        .map(|c| match c {
            '{' | '[' => 1,
            '}' | ']' => -1,
            _ => 0,
        })
        .sum();
    if delta < 0 {
        line
    } else {
        Cow::Owned(format!("  {line}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aligns_runs_and_breaks_at_blocks() {
        let text = "a = 1\nlong_name = \"x\"\ntags = {\n  k = \"v\"\n  kk = \"w\"\n}\nb = 2\n";
        let want =
            "a         = 1\nlong_name = \"x\"\ntags = {\n  k  = \"v\"\n  kk = \"w\"\n}\nb = 2\n";
        assert_eq!(align_equals(text), want);
    }

    #[test]
    fn collapses_empty_blocks() {
        assert_eq!(align_equals("backend \"s3\" {  }\n"), "backend \"s3\" {}\n");
    }

    #[test]
    fn object_for_expressions_get_terraform_fmt_spaces_and_strings_stay() {
        let text = "a = {for k, v in m : \"{for ${k}}\" => {for x in v : x => \"}\"}}\n";
        assert_eq!(
            align_equals(text),
            "a = { for k, v in m : \"{for ${k}}\" => { for x in v : x => \"}\" } }\n"
        );
        let escaped = "c = \"$${x} {for a}\"\n";
        assert_eq!(align_equals(escaped), escaped);
        // `$$${` is a `$` and the escape `$${`, not `$$` and an interpolation: the string
        // after it stays a string.
        let dollars = "a = \"$$${ #\"\nb = \"{for x}\"\n";
        assert_eq!(align_equals(dollars), "a = \"$$${ #\"\nb = \"{for x}\"\n");
        let nested = "b = \"${jsonencode({for k, v in m : k => v})}\"\n";
        assert_eq!(
            align_equals(nested),
            "b = \"${jsonencode({ for k, v in m : k => v })}\"\n"
        );
    }

    #[test]
    fn objects_in_a_list_are_laid_out_as_terraform_fmt_does() {
        let text = "a = [{\n  x = 1\n}, {\n  x = 2\n}]\n";
        assert_eq!(align_equals(text), "a = [{\n  x = 1\n  }, {\n  x = 2\n}]\n");
    }
}

#[cfg(test)]
mod columns_tests {
    use super::columns;

    #[test]
    fn keys_count_grapheme_clusters_per_token_as_terraform_fmt_does() {
        assert_eq!(columns("  name"), 6);
        assert_eq!(
            columns("  \"\u{200d}\""),
            5,
            "a quote and a joiner are separate tokens"
        );
        assert_eq!(columns("\"e\u{301}名🦀\""), 5);
        assert_eq!(columns("\"a$$${b%\""), 9);
        assert_eq!(
            columns("\"$${~\u{200d}\""),
            7,
            "the strip marker ends the token"
        );
    }
}
