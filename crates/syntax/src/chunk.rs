//! The tolerant front of the parser: cuts a file into top-level items before pest sees it.
//!
//! The chunker never fails. A new item starts at a line that begins, in column 0, with a top-level
//! keyword, so one broken item costs one error and the items after it still parse.

use crate::source::TextRange;

pub(crate) const TOP_KEYWORDS: &[&str] = &[
    "project", "type", "param", "let", "module", "layer", "env", "policy", "shared",
];

/// One top-level item's text.
pub(crate) struct Chunk {
    pub range: TextRange,
}

/// The result of chunking: item chunks and stray text between them.
pub(crate) struct Chunks {
    pub items: Vec<Chunk>,
    pub stray: Vec<TextRange>,
}

pub(crate) fn chunk(text: &str) -> Chunks {
    let starts = item_starts(text);
    let mut items = Vec::new();
    let mut stray = Vec::new();
    let first = starts.first().copied().unwrap_or(text.len());
    if let Some(range) = non_trivia(text, 0, first) {
        stray.push(range);
    }
    for (idx, &start) in starts.iter().enumerate() {
        let end = starts.get(idx + 1).copied().unwrap_or(text.len());
        items.push(Chunk {
            range: TextRange::new(start, end),
        });
    }
    Chunks { items, stray }
}

/// Byte offsets where items start: a keyword line at column 0, moved up over the doc comments
/// directly above it. Lines inside block comments do not count.
fn item_starts(text: &str) -> Vec<usize> {
    let bytes = text.as_bytes();
    let mut scan = LineScan::default();
    // A byte order mark is not part of the first item.
    let first = if text.starts_with(BOM) { BOM.len() } else { 0 };
    let mut line_start = first;
    let mut line_has_star = false;
    // One pass over the file for the two bytes a line's fate depends on beyond its first few:
    // where it ends, and whether it holds a `*` (most lines hold none).
    for at in memchr::memchr2_iter(b'\n', b'*', &bytes[first..]).map(|at| at + first) {
        if bytes[at] == b'*' {
            line_has_star = true;
            continue;
        }
        scan.line(&bytes[line_start..=at], line_start, line_has_star);
        line_start = at + 1;
        line_has_star = false;
    }
    if line_start < bytes.len() {
        scan.line(&bytes[line_start..], line_start, line_has_star);
    }
    scan.starts
}

/// The state of `item_starts` between lines.
#[derive(Default)]
struct LineScan {
    starts: Vec<usize>,
    in_block_comment: bool,
    doc_start: Option<usize>,
}

impl LineScan {
    /// Takes the next line (with its newline, if any), which starts at `line_start`.
    fn line(&mut self, line: &[u8], line_start: usize, has_star: bool) {
        if self.in_block_comment {
            if has_star && memchr::memmem::find(line, b"*/").is_some() {
                self.in_block_comment = false;
            }
            return;
        }
        if line.starts_with(b"///") && !line.starts_with(b"////") {
            self.doc_start.get_or_insert(line_start);
            return;
        }
        if starts_with_keyword(line) {
            self.starts.push(self.doc_start.unwrap_or(line_start));
        }
        self.doc_start = None;
        if !has_star {
            return;
        }
        let last_open = memchr::memmem::rfind(line, b"/*");
        if let Some(open) = last_open {
            if memchr::memmem::find(&line[open..], b"*/").is_none()
                && !inside_line_comment_or_string(line, open)
            {
                self.in_block_comment = true;
            }
        }
    }
}

/// The byte order mark some editors put at the start of a file.
const BOM: &str = "\u{feff}";

/// Whether a line starts an item: a keyword alone on its line counts, so that an item being typed
/// (`env`) is an item and not stray text.
fn starts_with_keyword(line: &[u8]) -> bool {
    // Indented lines are the common case: no keyword starts with a blank.
    if !matches!(line.first(), Some(b'p' | b't' | b'm' | b'l' | b'e' | b's')) {
        return false;
    }
    TOP_KEYWORDS.iter().any(|keyword| {
        line.strip_prefix(keyword.as_bytes()).is_some_and(|rest| {
            rest.first()
                .is_none_or(|next| matches!(next, b' ' | b'\t' | b'{' | b'\n' | b'\r'))
        })
    })
}

fn inside_line_comment_or_string(line: &[u8], at: usize) -> bool {
    let before = &line[..at];
    memchr::memmem::find(before, b"//").is_some()
        || before.iter().filter(|&&byte| byte == b'"').count() % 2 == 1
}

fn non_trivia(text: &str, start: usize, end: usize) -> Option<TextRange> {
    let mut idx = start;
    let bytes = text.as_bytes();
    let mut first: Option<usize> = None;
    let mut last = start;
    if start == 0 && text.starts_with(BOM) {
        idx = BOM.len();
    }
    while idx < end {
        let rest = &bytes[idx..end];
        if rest.starts_with(b"//") {
            idx += memchr::memchr(b'\n', rest).unwrap_or(end - idx);
            continue;
        }
        if rest.starts_with(b"/*") {
            match memchr::memmem::find(rest, b"*/") {
                Some(n) => idx += n + 2,
                // An unclosed comment hides the rest of the file: it is reported, not skipped.
                None => {
                    first.get_or_insert(idx);
                    last = end;
                    break;
                }
            }
            continue;
        }
        if !bytes[idx].is_ascii_whitespace() {
            first.get_or_insert(idx);
            let line_end = memchr::memchr(b'\n', &bytes[idx..end]).map_or(end, |n| idx + n);
            last = line_end;
            idx = line_end;
            continue;
        }
        idx += 1;
    }
    first.map(|first| TextRange::new(first, last.max(first + 1).min(end)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cuts_at_keywords_and_keeps_docs() {
        let text = "/// The project.\nproject p {\n}\nparam a: int = 1\n  layer x\nlayer l {\n";
        let chunks = chunk(text);
        let starts: Vec<u32> = chunks.items.iter().map(|c| c.range.start).collect();
        assert_eq!(starts, vec![0, 31, 58]);
        assert!(chunks.stray.is_empty());
    }

    #[test]
    fn non_ascii_text_is_scanned_by_bytes() {
        let text =
            "project p {\n  tags = { owner = \"José 😀\" } /* é */\n}\nparam x: int = 1 // ü\n";
        let chunks = chunk(text);
        assert_eq!(chunks.items.len(), 2);
        assert!(chunk("é {\nparam x: int = 1\n").stray.len() == 1);
    }

    #[test]
    fn keyword_lines_inside_block_comments_start_nothing() {
        let starts =
            |text: &str| -> Vec<u32> { chunk(text).items.iter().map(|c| c.range.start).collect() };
        // The comment opened on the first item's last line hides `layer b` until `*/`.
        assert_eq!(
            starts("layer a { } /* x\nlayer b {\n*/\nlayer c {}\n"),
            vec![0, 30]
        );
        // A `/*` in a string or after `//`, or closed on its line, opens nothing.
        assert_eq!(
            starts("param a: string = \"/*\"\nlayer b {}\n"),
            vec![0, 23]
        );
        assert_eq!(starts("param a: int = 1 // /*\nlayer b {}\n"), vec![0, 23]);
        assert_eq!(
            starts("param a: int = 1 /* x */\nlayer b {}\n"),
            vec![0, 25]
        );
        // A byte order mark is not part of the first item; the last line needs no newline.
        assert_eq!(starts("\u{feff}param a: int = 1\nlayer b {}"), vec![3, 20]);
    }
}
