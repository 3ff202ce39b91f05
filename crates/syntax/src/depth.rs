//! A cheap scan of an item chunk's nesting depth, before any recursive parser sees it.
//!
//! Both parsers, the syntax tree's builder and every later walk of the tree recurse once per
//! level of nesting, so a chunk nested deeper than `MAX_NESTING` is reported here and never
//! parsed: no tree deeper than the limit is ever built.
//!
//! The scan gives an upper bound of the tree's depth. It counts the open brackets and `${`
//! interpolations, and, at each bracket level, the operators of the expression being read
//! (binary operators fold into a left-deep tree, `!` and `-` nest, `?` nests its branches and a
//! `.` in an entry's path nests the merged record). The count of a level starts again where an
//! expression surely ends: at a `,`, and at a line that starts a new entry, member or rule
//! (`name =`, `name += `, `kind name {`, `require x`), which no expression can continue into.

/// The deepest nesting of brackets, interpolations and operators that a chunk may have.
pub const MAX_NESTING: usize = 256;

/// The byte offset, in the chunk, of the first token that nests deeper than `MAX_NESTING`.
#[cfg(test)]
pub(super) fn too_deep(text: &str) -> Option<usize> {
    shape(text).nesting.err()
}

/// What one scan of a chunk tells before it is parsed.
pub(super) struct Shape {
    /// The offset, in the chunk, of the innermost bracket (or `${`'s brace) still open at its end.
    pub unclosed: Option<usize>,
    /// The deepest nesting of the chunk, or the offset of the first token past `MAX_NESTING`.
    pub nesting: Result<usize, usize>,
}

/// One bracket level: the operators counted in it, and where its bracket opened.
struct Level {
    ops: usize,
    open: usize,
}

/// Scans a chunk once for its open brackets and its nesting depth.
pub(super) fn shape(text: &str) -> Shape {
    let bytes = text.as_bytes();
    // Every open bracket level; the chunk's top level is the first.
    let mut levels = vec![Level { ops: 0, open: 0 }];
    // The sum of the levels' operator counts, plus one per level beyond the first.
    let mut depth = 0usize;
    // The `levels` length at each open `${`, whose `}` returns into the string.
    let mut interps: Vec<usize> = Vec::new();
    let mut in_string = false;
    let mut deepest = 0;
    // Past the limit, the scan goes on for the brackets only.
    let mut too_deep = None;
    let mut idx = 0;
    while idx < bytes.len() {
        // Runs of bytes that change nothing (names, numbers, blanks; any text but `\`, `"`, a
        // newline and `$` in a string) are skipped in one tight loop: most of a file is such runs.
        let inert = if in_string {
            &STRING_INERT
        } else {
            &CODE_INERT
        };
        while idx < bytes.len() && inert[usize::from(bytes[idx])] {
            idx += 1;
        }
        let Some(&byte) = bytes.get(idx) else {
            break;
        };
        if in_string {
            match byte {
                b'\\' => idx += 1,
                b'"' | b'\n' => in_string = false,
                b'$' if bytes[idx..].starts_with(b"$${") => idx += 2,
                b'$' if bytes[idx..].starts_with(b"${") => {
                    levels.push(Level {
                        ops: 0,
                        open: idx + 1,
                    });
                    depth += 1;
                    note_depth(depth, idx, &mut deepest, &mut too_deep);
                    interps.push(levels.len());
                    in_string = false;
                    idx += 1;
                }
                _ => {}
            }
            idx += 1;
            continue;
        }
        let next = bytes.get(idx + 1).copied();
        let counts = match byte {
            b'/' if next == Some(b'/') => {
                idx += memchr::memchr(b'\n', &bytes[idx..]).unwrap_or(bytes.len() - idx);
                continue;
            }
            b'/' if next == Some(b'*') => {
                idx += memchr::memmem::find(&bytes[idx + 2..], b"*/")
                    .map_or(bytes.len() - idx, |n| n + 4);
                continue;
            }
            b'"' => {
                in_string = true;
                false
            }
            b'{' | b'[' | b'(' => {
                levels.push(Level { ops: 0, open: idx });
                depth += 1;
                note_depth(depth, idx, &mut deepest, &mut too_deep);
                false
            }
            b'}' | b']' | b')' => {
                if levels.len() > 1 {
                    let ops = levels.pop().map_or(0, |level| level.ops);
                    depth -= ops + 1;
                    if interps.last() == Some(&(levels.len() + 1)) {
                        interps.pop();
                        in_string = true;
                    }
                }
                false
            }
            b',' => {
                reset(&mut levels, &mut depth);
                false
            }
            b'\n' => {
                // Only a level with operators to forget needs to know where a member starts.
                if levels.last().is_some_and(|level| level.ops > 0)
                    && starts_a_member(&bytes[idx + 1..])
                {
                    reset(&mut levels, &mut depth);
                }
                false
            }
            b'!' | b'?' | b'+' | b'-' | b'*' | b'/' | b'<' | b'>' | b'.' => true,
            b'&' | b'|' | b'=' if next == Some(byte) => {
                idx += 1;
                true
            }
            _ => false,
        };
        if counts {
            if let Some(top) = levels.last_mut() {
                top.ops += 1;
            }
            depth += 1;
            note_depth(depth, idx, &mut deepest, &mut too_deep);
        }
        idx += 1;
    }
    let unclosed = match levels.as_slice() {
        [_, .., innermost] => Some(innermost.open),
        _ => None,
    };
    Shape {
        unclosed,
        nesting: too_deep.map_or(Ok(deepest.max(depth)), Err),
    }
}

/// Notes the depth a token at `at` has just reached: the deepest so far, and the first token
/// past the limit.
fn note_depth(depth: usize, at: usize, deepest: &mut usize, too_deep: &mut Option<usize>) {
    *deepest = (*deepest).max(depth);
    if depth > MAX_NESTING {
        too_deep.get_or_insert(at);
    }
}

/// The bytes outside strings and comments that the scan has nothing to do for.
static CODE_INERT: [bool; 256] = crate::byte_table(b"/\"{[(}]),\n!?+-*<>.&|=", false);

/// The bytes inside a string that the scan has nothing to do for.
static STRING_INERT: [bool; 256] = crate::byte_table(b"\\\"\n$", false);

/// Ends the expression of the innermost level: its operators no longer nest what follows.
fn reset(levels: &mut [Level], depth: &mut usize) {
    if let Some(top) = levels.last_mut() {
        *depth -= top.ops;
        top.ops = 0;
    }
}

/// Whether a line starts something no expression continues into: an entry `path =` or
/// `path +=`, or two words in a row (`kind name {`, `input name:`, `require rule`).
fn starts_a_member(line: &[u8]) -> bool {
    let mut idx = 0;
    while matches!(line.get(idx), Some(b' ' | b'\t' | b'\r')) {
        idx += 1;
    }
    let word_start = idx;
    let is_word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    if !line
        .get(idx)
        .is_some_and(|b| b.is_ascii_alphabetic() || *b == b'_' || *b == b'"')
    {
        return false;
    }
    // A path: words, quoted keys, `*` and dots.
    let mut only_word = true;
    while let Some(&b) = line.get(idx) {
        if is_word(b) {
            idx += 1;
        } else if b == b'"' {
            only_word = false;
            idx += 1;
            while line.get(idx).is_some_and(|b| !matches!(b, b'"' | b'\n')) {
                idx += 1;
            }
            idx += 1;
        } else if b == b'.' || b == b'*' {
            only_word = false;
            idx += 1;
        } else {
            break;
        }
    }
    let word_end = idx;
    while matches!(line.get(idx), Some(b' ' | b'\t')) {
        idx += 1;
    }
    match (line.get(idx), line.get(idx + 1)) {
        (Some(b'='), next) => next != Some(&b'='),
        (Some(b'+'), Some(b'=')) => true,
        // Two words: the second starts a name, a group, a string or a negation, never an
        // operator that would continue an expression.
        (Some(&b), next) if only_word && idx > word_end && word_end > word_start => {
            b.is_ascii_alphanumeric()
                || b == b'_'
                || matches!(b, b'(' | b'{' | b'"')
                || (b == b'!' && next != Some(&b'='))
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nested(open: &str, close: &str, n: usize) -> String {
        format!("param d: any = {}1{}\n", open.repeat(n), close.repeat(n))
    }

    #[test]
    fn the_innermost_open_bracket_is_found() {
        let unclosed = |text: &str| shape(text).unclosed;
        assert_eq!(unclosed("x { a = \"${b} { [\" }"), None);
        assert_eq!(unclosed("x { a = \"${b\" "), Some(10));
        assert_eq!(unclosed("layer l {\n  a = [1, (2)\n"), Some(16));
        // A comment ends at the first `*/` after its `/*`, as pest reads it.
        assert_eq!(unclosed("x { /*/ { */ }"), None);
        // Past the nesting limit, the brackets are still followed.
        let deep = format!("p {}", "[".repeat(MAX_NESTING + 5));
        assert_eq!(unclosed(&deep), Some(deep.len() - 1));
        assert!(shape(&deep).nesting.is_err());
    }

    #[test]
    fn brackets_and_interpolations_count() {
        assert_eq!(too_deep(&nested("[", "]", MAX_NESTING - 1)), None);
        assert_eq!(
            too_deep(&nested("[", "]", MAX_NESTING + 5)),
            Some(15 + MAX_NESTING)
        );
        assert!(too_deep(&nested("(", ")", 100_000)).is_some());
        assert!(too_deep(&nested("\"${", "}\"", 100_000)).is_some());
        assert_eq!(too_deep(&nested("\"${", "}\"", 100)), None);
    }

    #[test]
    fn operators_count_until_the_expression_ends() {
        let sum = format!("param s: int = 1{}\n", "+1".repeat(100_000));
        assert!(too_deep(&sum).is_some());
        let not = format!("param b: bool = {}true\n", "!".repeat(100_000));
        assert!(too_deep(&not).is_some());
        let cond = format!("param c: int = {}1\n", "true ? 1 :\n".repeat(100_000));
        assert!(too_deep(&cond).is_some());
        // Many short expressions in one block are not one deep expression.
        let entries = "  a.b.c = -x - 1 + y * 2\n".repeat(10_000);
        assert_eq!(too_deep(&format!("env e {{\n{entries}}}\n")), None);
        let list = "-1.5 - 2, ".repeat(10_000);
        assert_eq!(too_deep(&format!("param l: any = [{list}]\n")), None);
        let rules = "  require !a.b && c.d > 2 \"why\"\n".repeat(10_000);
        assert_eq!(too_deep(&format!("policy p for e {{\n{rules}}}\n")), None);
    }

    #[test]
    fn strings_and_comments_do_not_count() {
        let text = format!(
            "param s: string = \"{}\" // {}\n/* {} */\n",
            "[(-!".repeat(1000),
            "[".repeat(1000),
            "(".repeat(1000)
        );
        assert_eq!(too_deep(&text), None);
    }
}
