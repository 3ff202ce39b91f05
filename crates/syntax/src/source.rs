//! Byte ranges in source text and their conversion to lines and columns (UTF-8 and UTF-16).

use serde::Serialize;

/// A half-open byte range `[start, end)` into one source text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct TextRange {
    pub start: u32,
    pub end: u32,
}

impl TextRange {
    pub fn new(start: usize, end: usize) -> Self {
        Self {
            start: to_u32(start),
            end: to_u32(end.max(start)),
        }
    }

    pub fn empty(at: usize) -> Self {
        Self::new(at, at)
    }

    pub fn len(self) -> u32 {
        self.end - self.start
    }

    pub fn is_empty(self) -> bool {
        self.start == self.end
    }

    /// Moves the range right by `offset` bytes, for spans parsed out of a chunk of a file.
    pub fn shift(self, offset: usize) -> Self {
        Self::new(self.start as usize + offset, self.end as usize + offset)
    }

    pub fn cover(self, other: TextRange) -> Self {
        Self {
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }

    pub fn contains(self, offset: u32) -> bool {
        self.start <= offset && offset <= self.end
    }
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// A zero-based line and column; the column counts in the unit the caller asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct LineCol {
    pub line: u32,
    pub col: u32,
}

/// Line starts of a text, for offset to line/column conversion in either encoding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineIndex {
    line_starts: Vec<u32>,
}

impl LineIndex {
    /// Lines end at `\n`, `\r\n` or a lone `\r`, as LSP defines them.
    pub fn new(text: &str) -> Self {
        let bytes = text.as_bytes();
        let mut line_starts = Vec::with_capacity(bytes.len() / 32 + 1);
        line_starts.push(0);
        // One vectorised pass over the line ends; the `\r` of a `\r\n` ends no line of its own.
        for idx in memchr::memchr2_iter(b'\n', b'\r', bytes) {
            if bytes[idx] == b'\n' || bytes.get(idx + 1) != Some(&b'\n') {
                line_starts.push(to_u32(idx + 1));
            }
        }
        Self { line_starts }
    }

    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }

    fn line_of(&self, offset: u32) -> usize {
        match self.line_starts.binary_search(&offset) {
            Ok(line) => line,
            Err(next) => next - 1,
        }
    }

    /// Line and column, the column in UTF-8 bytes.
    pub fn line_col(&self, text: &str, offset: u32) -> LineCol {
        let offset = clamp_to_char(text, offset);
        let line = self.line_of(offset);
        LineCol {
            line: to_u32(line),
            col: offset - self.line_starts[line],
        }
    }

    /// Line and column, the column in UTF-16 code units (the LSP default).
    pub fn line_col_utf16(&self, text: &str, offset: u32) -> LineCol {
        let offset = clamp_to_char(text, offset);
        let line = self.line_of(offset);
        let start = self.line_starts[line] as usize;
        let col: usize = text[start..offset as usize]
            .chars()
            .map(char::len_utf16)
            .sum();
        LineCol {
            line: to_u32(line),
            col: to_u32(col),
        }
    }

    /// The byte offset of a line and UTF-8 column, clamped to the line's end.
    pub fn offset(&self, text: &str, pos: LineCol) -> u32 {
        let Some(&start) = self.line_starts.get(pos.line as usize) else {
            return to_u32(text.len());
        };
        let end = self.line_end(text, pos.line as usize);
        clamp_to_char(text, (start + pos.col).min(end))
    }

    /// The byte offset of a line and UTF-16 column, clamped to the line's end.
    pub fn offset_utf16(&self, text: &str, pos: LineCol) -> u32 {
        let Some(&start) = self.line_starts.get(pos.line as usize) else {
            return to_u32(text.len());
        };
        let end = self.line_end(text, pos.line as usize) as usize;
        let mut units = 0u32;
        for (idx, ch) in text[start as usize..end].char_indices() {
            if units >= pos.col {
                return start + to_u32(idx);
            }
            units += to_u32(ch.len_utf16());
        }
        to_u32(end)
    }

    fn line_end(&self, text: &str, line: usize) -> u32 {
        let next = self
            .line_starts
            .get(line + 1)
            .copied()
            .unwrap_or(to_u32(text.len()));
        let bytes = text.as_bytes();
        let mut end = next as usize;
        if line + 1 < self.line_starts.len() {
            if end > 0 && bytes[end - 1] == b'\n' {
                end -= 1;
            }
            if end > 0 && bytes[end - 1] == b'\r' {
                end -= 1;
            }
        }
        to_u32(end)
    }
}

fn clamp_to_char(text: &str, offset: u32) -> u32 {
    let mut offset = (offset as usize).min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    to_u32(offset)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf16_columns_count_surrogate_pairs() {
        let text = "a = \"é😀x\"\r\nb\rc";
        let index = LineIndex::new(text);
        assert_eq!(index.line_count(), 3);
        let x = text.find('x').unwrap() as u32;
        assert_eq!(index.line_col(text, x), LineCol { line: 0, col: 11 });
        assert_eq!(index.line_col_utf16(text, x), LineCol { line: 0, col: 8 });
        assert_eq!(index.offset_utf16(text, LineCol { line: 0, col: 8 }), x);
        let c = text.find('c').unwrap() as u32;
        assert_eq!(index.line_col(text, c), LineCol { line: 2, col: 0 });
        assert_eq!(index.offset(text, LineCol { line: 1, col: 99 }), c - 1);
    }

    #[test]
    fn lines_end_at_lf_crlf_and_a_lone_cr_in_every_combination() {
        // Every text of up to six bytes over `a`, `\n` and `\r`, against the definition read
        // byte by byte.
        let alphabet = [b'a', b'\n', b'\r'];
        for len in 0..=6u32 {
            for code in 0..3usize.pow(len) {
                let bytes: Vec<u8> = (0..len)
                    .map(|i| alphabet[code / 3usize.pow(i) % 3])
                    .collect();
                let text = std::str::from_utf8(&bytes).unwrap();
                let mut expected = vec![0];
                for (i, &b) in bytes.iter().enumerate() {
                    if b == b'\n' || (b == b'\r' && bytes.get(i + 1) != Some(&b'\n')) {
                        expected.push(i as u32 + 1);
                    }
                }
                assert_eq!(LineIndex::new(text).line_starts, expected, "{text:?}");
            }
        }
    }
}
