//! Semantic tokens: every token of a file with what it is, names classified by what they resolve
//! to (a parameter, a layer, a module input, ...), keywords, strings, numbers and comments.

use crate::db::{Db, SourceFile, Workspace};
use crate::source::TextRange;

use super::lex::{lex, TokenKind, KEYWORDS};
use super::symbols::{file_symbols, OccurrenceKind, Symbol};

/// What a token is; the language server maps these to the LSP legend in this order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TokenType {
    Keyword,
    Comment,
    String,
    Number,
    Operator,
    /// Types and module kinds.
    Type,
    /// Parameters.
    Parameter,
    /// Layers and environments.
    Namespace,
    /// Instances and the variables of repeated layers.
    Variable,
    /// Module inputs and outputs, layer outputs.
    Property,
    /// Enum values are strings; builtins such as `env`.
    Builtin,
}

pub const TOKEN_TYPES: &[TokenType] = &[
    TokenType::Keyword,
    TokenType::Comment,
    TokenType::String,
    TokenType::Number,
    TokenType::Operator,
    TokenType::Type,
    TokenType::Parameter,
    TokenType::Namespace,
    TokenType::Variable,
    TokenType::Property,
    TokenType::Builtin,
];

/// Modifier bits.
pub const MOD_DECLARATION: u32 = 1;
pub const MOD_DOCUMENTATION: u32 = 2;
pub const MOD_DEFAULT_LIBRARY: u32 = 4;
pub const MOD_READONLY: u32 = 8;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SemanticToken {
    pub range: TextRange,
    pub kind: TokenType,
    pub modifiers: u32,
}

fn symbol_type(symbol: &Symbol) -> (TokenType, u32) {
    match symbol {
        Symbol::Type(_) | Symbol::Module(_) => (TokenType::Type, 0),
        Symbol::BuiltinType(_) => (TokenType::Type, MOD_DEFAULT_LIBRARY),
        Symbol::Param(_) => (TokenType::Parameter, MOD_READONLY),
        Symbol::Layer(_) | Symbol::Env(_) | Symbol::Project(_) | Symbol::Policy(_) => {
            (TokenType::Namespace, 0)
        }
        Symbol::Instance { .. } | Symbol::RepeatVar { .. } => (TokenType::Variable, 0),
        Symbol::ModuleInput { .. } | Symbol::ModuleOutput { .. } | Symbol::LayerOutput { .. } => {
            (TokenType::Property, 0)
        }
        Symbol::Builtin(_) => (TokenType::Builtin, MOD_DEFAULT_LIBRARY),
        Symbol::Resource(_) => (TokenType::Type, MOD_DEFAULT_LIBRARY),
        Symbol::ResourceAttribute { .. } => (TokenType::Property, 0),
    }
}

/// The semantic tokens of a file, in order; block comments are split at line ends because most
/// clients do not accept tokens that span lines.
pub fn semantic_tokens(db: &dyn Db, workspace: Workspace, file: SourceFile) -> Vec<SemanticToken> {
    let text: &str = file.text(db);
    let symbols = file_symbols(db, workspace, file);
    let mut occurrences = symbols.occurrences.iter().peekable();
    let mut out = Vec::new();
    for token in lex(text) {
        let (kind, modifiers) = match token.kind {
            TokenKind::Newline => continue,
            TokenKind::LineComment | TokenKind::BlockComment => (TokenType::Comment, 0),
            TokenKind::DocComment => (TokenType::Comment, MOD_DOCUMENTATION),
            TokenKind::Str => (TokenType::String, 0),
            TokenKind::InterpOpen | TokenKind::InterpClose => (TokenType::Operator, 0),
            TokenKind::Number => (TokenType::Number, 0),
            TokenKind::Punct => match token.text(text) {
                "{" | "}" | "[" | "]" | "(" | ")" | "," | "." => continue,
                _ => (TokenType::Operator, 0),
            },
            TokenKind::Ident => {
                while occurrences
                    .peek()
                    .is_some_and(|o| o.range.start < token.range.start)
                {
                    occurrences.next();
                }
                match occurrences.peek() {
                    Some(o) if o.range == token.range => {
                        let (kind, mut modifiers) = symbol_type(&o.symbol);
                        if o.kind == OccurrenceKind::Definition {
                            modifiers |= MOD_DECLARATION;
                        }
                        (kind, modifiers)
                    }
                    _ if KEYWORDS.contains(&token.text(text)) => (TokenType::Keyword, 0),
                    _ => continue,
                }
            }
        };
        if token.kind == TokenKind::BlockComment {
            let mut start = token.range.start as usize;
            for piece in token.text(text).split_inclusive('\n') {
                let trimmed = piece.trim_end_matches(['\n', '\r']);
                if !trimmed.is_empty() {
                    out.push(SemanticToken {
                        range: TextRange::new(start, start + trimmed.len()),
                        kind,
                        modifiers,
                    });
                }
                start += piece.len();
            }
            continue;
        }
        out.push(SemanticToken {
            range: token.range,
            kind,
            modifiers,
        });
    }
    out
}
