//! A tolerant lexer for editor features: semantic tokens, formatting and completion context.
//!
//! The parser sees items and trees; an editor also needs the tokens between them (comments,
//! keywords, the pieces of a string around its interpolations) and the state at a cursor inside a
//! half-typed line. The lexer never fails: an unterminated string ends at the end of its line, an
//! unterminated block comment at the end of the text.

use crate::source::TextRange;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TokenKind {
    Ident,
    Number,
    /// A piece of a string literal: from the opening quote or the `}` of an interpolation to the
    /// closing quote or the `${` of the next interpolation (quotes included, `${` and `}` not).
    Str,
    /// `${` inside a string.
    InterpOpen,
    /// The `}` that closes an interpolation.
    InterpClose,
    LineComment,
    DocComment,
    BlockComment,
    /// An operator or a bracket: `{`, `}`, `=`, `+=`, `==`, `..`, `.`, `,`, ...
    Punct,
    Newline,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Token {
    pub kind: TokenKind,
    pub range: TextRange,
}

impl Token {
    pub fn text<'t>(&self, text: &'t str) -> &'t str {
        &text[self.range.start as usize..self.range.end as usize]
    }

    pub fn is_trivia(&self) -> bool {
        matches!(
            self.kind,
            TokenKind::LineComment
                | TokenKind::DocComment
                | TokenKind::BlockComment
                | TokenKind::Newline
        )
    }
}

/// The words the grammar reserves in some position; semantic tokens colour them as keywords.
pub const KEYWORDS: &[&str] = &[
    "project", "type", "param", "module", "layer", "env", "policy", "extends", "input", "output",
    "source", "require", "for", "in", "if", "let", "across", "const", "true", "false", "null",
    "shared",
];

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Code; `braces` counts the `{` opened inside an interpolation, so its `}` is found.
    Code {
        braces: u32,
        interp: bool,
    },
    Str,
}

/// Lexes a whole text.
pub fn lex(text: &str) -> Vec<Token> {
    let mut lexer = Lexer::new(text);
    lexer.run();
    lexer.tokens
}

/// Where a cursor is, lexically.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CursorState {
    Code,
    /// Inside a string's text (not inside an interpolation).
    InString,
    InComment,
}

/// The lexical state at `offset` of `text`.
pub fn state_at(text: &str, offset: usize) -> CursorState {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let mut lexer = Lexer::new(&text[..offset]);
    lexer.run();
    if lexer.eof_in_string {
        return CursorState::InString;
    }
    match lexer.tokens.last() {
        Some(token) if token.range.end as usize == offset => match token.kind {
            TokenKind::LineComment | TokenKind::DocComment => CursorState::InComment,
            TokenKind::BlockComment => {
                let slice = token.text(text);
                if slice.len() >= 4 && slice.ends_with("*/") {
                    CursorState::Code
                } else {
                    CursorState::InComment
                }
            }
            _ => CursorState::Code,
        },
        _ => CursorState::Code,
    }
}

struct Lexer<'t> {
    text: &'t str,
    bytes: &'t [u8],
    pos: usize,
    modes: Vec<Mode>,
    tokens: Vec<Token>,
    /// The text ended inside a string.
    eof_in_string: bool,
}

impl<'t> Lexer<'t> {
    fn new(text: &'t str) -> Self {
        Lexer {
            text,
            bytes: text.as_bytes(),
            pos: 0,
            modes: vec![Mode::Code {
                braces: 0,
                interp: false,
            }],
            tokens: Vec::new(),
            eof_in_string: false,
        }
    }

    fn push(&mut self, kind: TokenKind, start: usize, end: usize) {
        if end > start {
            self.tokens.push(Token {
                kind,
                range: TextRange::new(start, end),
            });
        }
    }

    fn peek(&self, ahead: usize) -> Option<u8> {
        self.bytes.get(self.pos + ahead).copied()
    }

    fn run(&mut self) {
        while self.pos < self.bytes.len() {
            match *self.modes.last().expect("the code mode is never popped") {
                Mode::Str => self.string_piece(),
                Mode::Code { .. } => self.code_token(),
            }
        }
        // A string reopened by an interpolation's `}` right at the end is still open.
        if matches!(self.modes.last(), Some(Mode::Str)) {
            self.eof_in_string = true;
        }
    }

    fn code_token(&mut self) {
        let start = self.pos;
        let byte = self.bytes[self.pos];
        match byte {
            b' ' | b'\t' | b'\r' => self.pos += 1,
            b'\n' => {
                self.pos += 1;
                self.push(TokenKind::Newline, start, self.pos);
            }
            b'/' if self.peek(1) == Some(b'/') => {
                let end = self.text[start..]
                    .find('\n')
                    .map_or(self.text.len(), |n| start + n);
                let slice = &self.text[start..end];
                let kind = if slice.starts_with("///") && !slice.starts_with("////") {
                    TokenKind::DocComment
                } else {
                    TokenKind::LineComment
                };
                self.pos = end;
                self.push(kind, start, end);
            }
            b'/' if self.peek(1) == Some(b'*') => {
                let end = self.text[start + 2..]
                    .find("*/")
                    .map_or(self.text.len(), |n| start + 2 + n + 2);
                self.pos = end;
                self.push(TokenKind::BlockComment, start, end);
            }
            b'"' => {
                self.modes.push(Mode::Str);
                // The opening quote starts the first piece.
                self.pos += 1;
                self.string_rest(start);
            }
            b'{' => {
                if let Some(Mode::Code { braces, .. }) = self.modes.last_mut() {
                    *braces += 1;
                }
                self.pos += 1;
                self.push(TokenKind::Punct, start, self.pos);
            }
            b'}' => {
                self.pos += 1;
                match self.modes.last_mut() {
                    Some(Mode::Code {
                        braces: 0,
                        interp: true,
                    }) => {
                        self.modes.pop();
                        self.push(TokenKind::InterpClose, start, self.pos);
                    }
                    Some(Mode::Code { braces, .. }) => {
                        *braces = braces.saturating_sub(1);
                        self.push(TokenKind::Punct, start, self.pos);
                    }
                    _ => self.push(TokenKind::Punct, start, self.pos),
                }
            }
            b if b.is_ascii_alphabetic() || b == b'_' => {
                while self
                    .peek(0)
                    .is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_')
                {
                    self.pos += 1;
                }
                self.push(TokenKind::Ident, start, self.pos);
            }
            b if b.is_ascii_digit() => {
                while self.peek(0).is_some_and(|b| b.is_ascii_digit()) {
                    self.pos += 1;
                }
                if self.peek(0) == Some(b'.') && self.peek(1).is_some_and(|b| b.is_ascii_digit()) {
                    self.pos += 1;
                    while self.peek(0).is_some_and(|b| b.is_ascii_digit()) {
                        self.pos += 1;
                    }
                    if matches!(self.peek(0), Some(b'e' | b'E')) {
                        let sign = usize::from(matches!(self.peek(1), Some(b'+' | b'-')));
                        if self.peek(1 + sign).is_some_and(|b| b.is_ascii_digit()) {
                            self.pos += 1 + sign;
                            while self.peek(0).is_some_and(|b| b.is_ascii_digit()) {
                                self.pos += 1;
                            }
                        }
                    }
                }
                self.push(TokenKind::Number, start, self.pos);
            }
            _ => {
                let two = self.text.get(start..start + 2).unwrap_or("");
                let len = if matches!(
                    two,
                    "==" | "!=" | "<=" | ">=" | "&&" | "||" | "+=" | ".." | "=>"
                ) {
                    2
                } else {
                    // One character, whatever its width.
                    self.text[start..].chars().next().map_or(1, char::len_utf8)
                };
                self.pos += len;
                self.push(TokenKind::Punct, start, self.pos);
            }
        }
    }

    /// Lexes a string piece that starts after an interpolation's `}`.
    fn string_piece(&mut self) {
        let start = self.pos;
        self.string_rest(start);
    }

    /// Continues a string piece that started at `start` until a quote, `${` or the line's end.
    fn string_rest(&mut self, start: usize) {
        loop {
            match self.peek(0) {
                None => {
                    self.push(TokenKind::Str, start, self.pos);
                    self.modes.pop();
                    self.eof_in_string = true;
                    return;
                }
                Some(b'\n') => {
                    // An unterminated string ends at its line.
                    self.push(TokenKind::Str, start, self.pos);
                    self.modes.pop();
                    return;
                }
                Some(b'"') => {
                    self.pos += 1;
                    self.push(TokenKind::Str, start, self.pos);
                    self.modes.pop();
                    return;
                }
                Some(b'\\') => {
                    self.pos += 1;
                    if let Some(ch) = self.text[self.pos..].chars().next() {
                        if ch != '\n' {
                            self.pos += ch.len_utf8();
                        }
                    }
                }
                Some(b'$') if self.text[self.pos..].starts_with("$${") => self.pos += 3,
                Some(b'$') if self.peek(1) == Some(b'{') => {
                    self.push(TokenKind::Str, start, self.pos);
                    let open = self.pos;
                    self.pos += 2;
                    self.push(TokenKind::InterpOpen, open, self.pos);
                    self.modes.push(Mode::Code {
                        braces: 0,
                        interp: true,
                    });
                    return;
                }
                Some(_) => {
                    let ch_len = self.text[self.pos..]
                        .chars()
                        .next()
                        .map_or(1, char::len_utf8);
                    self.pos += ch_len;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<(TokenKind, &str)> {
        lex(text)
            .into_iter()
            .map(|t| (t.kind, t.text(text)))
            .collect()
    }

    #[test]
    fn strings_split_around_interpolations() {
        use TokenKind::*;
        assert_eq!(
            kinds(r#"a = "x${b.c}y$${z}" // é"#),
            vec![
                (Ident, "a"),
                (Punct, "="),
                (Str, "\"x"),
                (InterpOpen, "${"),
                (Ident, "b"),
                (Punct, "."),
                (Ident, "c"),
                (InterpClose, "}"),
                (Str, "y$${z}\""),
                (LineComment, "// é"),
            ]
        );
    }

    #[test]
    fn numbers_ranges_and_comments() {
        use TokenKind::*;
        assert_eq!(
            kinds("int(1..6) 1.5 /* a\nb */ /// doc\n"),
            vec![
                (Ident, "int"),
                (Punct, "("),
                (Number, "1"),
                (Punct, ".."),
                (Number, "6"),
                (Punct, ")"),
                (Number, "1.5"),
                (BlockComment, "/* a\nb */"),
                (DocComment, "/// doc"),
                (Newline, "\n"),
            ]
        );
    }

    #[test]
    fn cursor_states() {
        let text = "a = \"per\" // c";
        assert_eq!(state_at(text, 6), CursorState::InString);
        assert_eq!(state_at(text, 9), CursorState::Code);
        assert_eq!(state_at(text, 14), CursorState::InComment);
        assert_eq!(state_at("a = \"", 5), CursorState::InString);
        assert_eq!(state_at("a = \"x${b", 9), CursorState::Code);
        assert_eq!(state_at("a = \"x${b}", 10), CursorState::InString);
        assert_eq!(state_at("a = \"\"", 6), CursorState::Code);
    }
}
