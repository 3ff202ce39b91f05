//! The fast path of the parser: a hand-written recursive-descent parser for clean items.
//!
//! It transcribes `grammar.pest` rule by rule with the same semantics: ordered choice, greedy
//! repetition without backtracking into it, and implicit whitespace and comments between the
//! elements of non-atomic rules (kept even when the next element is an optional that matches
//! nothing, as pest keeps it, because spans that end in such an optional include it).
//! It builds the same tree as `build.rs` with the same spans.
//!
//! It never reports anything. On a syntax error, and on every input that makes the pest path
//! report a diagnostic (a missing value, an error line, an unknown escape, an integer too large),
//! it declines, and the chunk goes through pest, which stays the reference grammar and the only
//! producer of syntax diagnostics.

use super::ast::*;
use crate::source::TextRange;

/// Parses one item chunk, or declines with `None`.
pub(super) fn parse_item(text: &str, offset: usize) -> Option<Item> {
    let mut parser = Parser {
        text,
        src: text.as_bytes(),
        pos: 0,
        offset,
        declined: false,
        scratch: Scratch::default(),
    };
    let item = parser.item_file();
    if parser.declined {
        return None;
    }
    item
}

struct Parser<'t> {
    text: &'t str,
    src: &'t [u8],
    pos: usize,
    offset: usize,
    /// Set when the pest path would report a diagnostic here: the whole chunk goes to pest.
    declined: bool,
    scratch: Scratch,
}

/// Stacks on which the items of lists are collected: a nested list pushes its items above its
/// parent's and takes them off when it ends, in one allocation of the exact size, instead of
/// growing a vector of its own (and copying it at every doubling).
#[derive(Default)]
struct Scratch {
    entries: Vec<Entry>,
    records: Vec<RecordEntry>,
    fields: Vec<FieldType>,
    exprs: Vec<Expr>,
}

fn is_ident_start(byte: u8) -> bool {
    byte.is_ascii_alphabetic() || byte == b'_'
}

fn is_ident_char(byte: u8) -> bool {
    IDENT_CHAR[usize::from(byte)]
}

/// `ident_char`, as a table: identifiers are most of a file, and a lookup is one load.
static IDENT_CHAR: [bool; 256] = crate::byte_table(
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_",
    true,
);

/// The bytes that end a string's plain text.
static IN_STRING_SPECIAL: [bool; 256] = crate::byte_table(b"\"\n\r\\$", true);

/// The first bytes of `bin_op`.
static BIN_OP_START: [bool; 256] = crate::byte_table(b"|&=!<>+-*/", true);

/// The bytes that may start whitespace or a comment: what `skip` has to look at.
static TRIVIA_START: [bool; 256] = crate::byte_table(b" \t\r\n/", true);

/// The number of identifier characters at the start of `bytes`.
fn ident_chars(bytes: &[u8]) -> usize {
    bytes
        .iter()
        .position(|&byte| !is_ident_char(byte))
        .unwrap_or(bytes.len())
}

/// Where the whitespace and comments that start at `pos` end (see `Parser::skip`).
fn skip_trivia(src: &[u8], mut pos: usize) -> usize {
    while let Some(rest) = src.get(pos..) {
        match rest {
            [b' ' | b'\t' | b'\r' | b'\n', ..] => pos += 1,
            // `///` starts a doc comment, but `////` a comment.
            [b'/', b'/', ..] if !rest.starts_with(b"///") || rest.starts_with(b"////") => {
                pos += 2 + line_length(&rest[2..]);
            }
            [b'/', b'*', inside @ ..] => match memchr::memmem::find(inside, b"*/") {
                Some(n) => pos += n + 4,
                None => break,
            },
            _ => break,
        }
    }
    pos
}

/// The length of `bytes` up to the end of its first line.
fn line_length(bytes: &[u8]) -> usize {
    memchr::memchr2(b'\n', b'\r', bytes).unwrap_or(bytes.len())
}

/// The text of a string, as the builder's `as_plain_str().unwrap_or_default()` gives it.
fn plain(parts: &[StrPart]) -> String {
    let mut text = String::new();
    for part in parts {
        match part {
            StrPart::Text(t) => text.push_str(t),
            StrPart::Interp(_) => return String::new(),
        }
    }
    text
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.src.get(self.pos).copied()
    }

    fn at(&self, literal: &[u8]) -> bool {
        self.src[self.pos..].starts_with(literal)
    }

    fn eat(&mut self, literal: &[u8]) -> bool {
        if self.at(literal) {
            self.pos += literal.len();
            true
        } else {
            false
        }
    }

    fn range(&self, start: usize, end: usize) -> TextRange {
        TextRange::new(start + self.offset, end + self.offset)
    }

    /// Whether the keyword `word` is next, without consuming it.
    fn at_keyword(&mut self, word: &[u8]) -> bool {
        let save = self.pos;
        let found = self.keyword(word);
        self.pos = save;
        found
    }

    fn decline<T>(&mut self) -> Option<T> {
        self.declined = true;
        None
    }

    /// pest's implicit `(WHITESPACE | COMMENT)*`. `///` is a doc comment, not a comment, and an
    /// unclosed `/*` is not a comment either.
    ///
    /// Called between almost any two tokens, and most often with nothing to skip: the first byte
    /// is tested here, inlined, and only trivia goes through the loop.
    #[inline(always)]
    fn skip(&mut self) {
        if self
            .src
            .get(self.pos)
            .is_some_and(|&byte| TRIVIA_START[usize::from(byte)])
        {
            self.pos = skip_trivia(self.src, self.pos);
        }
    }

    /// `kw = @{ "word" ~ !ident_char }`.
    fn keyword(&mut self, word: &[u8]) -> bool {
        if self.at(word)
            && !self
                .src
                .get(self.pos + word.len())
                .is_some_and(|&b| is_ident_char(b))
        {
            self.pos += word.len();
            true
        } else {
            false
        }
    }

    fn ident(&mut self) -> Option<Ident> {
        let start = self.pos;
        if !self.peek().is_some_and(is_ident_start) {
            return None;
        }
        self.pos += 1 + ident_chars(&self.src[self.pos + 1..]);
        Some(Ident {
            name: self.text[start..self.pos].to_string(),
            range: self.range(start, self.pos),
        })
    }

    /// `docs = { doc* }`, joined as the builder joins them.
    fn docs(&mut self) -> Option<String> {
        let (start, end) = self.doc_line()?;
        let mut joined = self.text[start..end].trim().to_string();
        loop {
            let save = self.pos;
            self.skip();
            match self.doc_line() {
                Some((start, end)) => {
                    joined.push('\n');
                    joined.push_str(self.text[start..end].trim());
                }
                None => {
                    self.pos = save;
                    break;
                }
            }
        }
        Some(joined)
    }

    /// `doc = ${ "///" ~ doc_text }`: the text's byte range.
    fn doc_line(&mut self) -> Option<(usize, usize)> {
        if !self.eat(b"///") {
            return None;
        }
        let start = self.pos;
        while let Some(byte) = self.peek() {
            if byte == b'\n' || byte == b'\r' {
                break;
            }
            self.pos += 1;
        }
        Some((start, self.pos))
    }

    fn item_file(&mut self) -> Option<Item> {
        self.skip();
        let doc = self.docs();
        self.skip();
        let kind = self.item()?;
        self.skip();
        if self.pos != self.src.len() {
            return None;
        }
        Some(Item {
            kind,
            range: self.range(0, self.src.len()),
            doc,
        })
    }

    fn item(&mut self) -> Option<ItemKind> {
        match self.peek()? {
            b'p' if self.keyword(b"project") => {
                self.skip();
                let name = self.ident()?;
                self.skip();
                let body = self.block()?;
                Some(ItemKind::Project(Project { name, body }))
            }
            b'p' if self.keyword(b"param") => {
                self.skip();
                let name = self.ident()?;
                self.skip();
                if !self.eat(b":") {
                    return None;
                }
                self.skip();
                let ty = self.type_expr()?;
                self.skip();
                let default = self.default_value()?;
                Some(ItemKind::Param(Param {
                    name,
                    ty,
                    default,
                    is_let: false,
                }))
            }
            b'p' if self.keyword(b"policy") => self.policy().map(ItemKind::Policy),
            b't' if self.keyword(b"type") => {
                self.skip();
                let name = self.ident()?;
                self.skip();
                if !self.eat(b"=") {
                    return None;
                }
                self.skip();
                let ty = self.type_expr()?;
                Some(ItemKind::Type(TypeDef { name, ty }))
            }
            b'm' if self.keyword(b"module") => self.module_def().map(ItemKind::Module),
            b'l' if self.keyword(b"layer") => self.layer(None).map(ItemKind::Layer),
            b's' if self.keyword(b"shared") => {
                let shared = self.range(self.pos - b"shared".len(), self.pos);
                self.skip();
                if !self.keyword(b"layer") {
                    return None;
                }
                self.layer(Some(shared)).map(ItemKind::Layer)
            }
            // `let`, conditions, repeated instances, calls and comprehensions are pest's alone.
            b'l' if self.keyword(b"let") => self.decline(),
            b'e' if self.keyword(b"env") => {
                self.skip();
                let name = self.ident()?;
                self.skip();
                let save = self.pos;
                let mut extends = None;
                if self.keyword(b"extends") {
                    self.skip();
                    match self.ident() {
                        Some(parent) => {
                            extends = Some(parent);
                            self.skip();
                        }
                        None => self.pos = save,
                    }
                }
                let body = self.block()?;
                Some(ItemKind::Env(Env {
                    name,
                    extends,
                    body,
                }))
            }
            _ => None,
        }
    }

    /// `("=" ~ (expr | missing_value))?` at the end of a rule: `Some(None)` when absent.
    fn default_value(&mut self) -> Option<Option<Expr>> {
        let save = self.pos;
        if self.eat(b"=") {
            self.skip();
            match self.expr_or_missing() {
                Some(expr) => return Some(Some(expr)),
                None if self.declined => return None,
                None => self.pos = save,
            }
        }
        Some(None)
    }

    /// `expr | missing_value` after implicit whitespace; a missing value declines.
    fn expr_or_missing(&mut self) -> Option<Expr> {
        let save = self.pos;
        if let Some(expr) = self.expr() {
            return Some(expr);
        }
        self.pos = save;
        if self.missing_ahead() {
            return self.decline();
        }
        None
    }

    /// `missing_value = { &(NEWLINE | "}" | "," | "//" | EOI) }`.
    fn missing_ahead(&self) -> bool {
        match self.peek() {
            None | Some(b'\n' | b'\r' | b'}' | b',') => true,
            Some(_) => self.at(b"//"),
        }
    }

    fn module_def(&mut self) -> Option<ModuleDef> {
        self.skip();
        let name = self.ident()?;
        self.skip();
        if !self.eat(b"{") {
            return None;
        }
        let mut module = ModuleDef {
            name,
            source: None,
            version: None,
            inputs: Vec::new(),
            outputs: Vec::new(),
        };
        loop {
            let save = self.pos;
            self.skip();
            if self.module_member(&mut module).is_none() {
                if self.declined {
                    return None;
                }
                self.pos = save;
                break;
            }
        }
        self.skip();
        self.eat(b"}").then_some(module)
    }

    /// `module_member = { docs ~ (source_attr | version_attr | input_decl | output_decl) ~ ","? }`.
    fn module_member(&mut self, module: &mut ModuleDef) -> Option<()> {
        let doc = self.docs();
        self.skip();
        if self.keyword(b"source") {
            module.source = Some(self.string_attr()?);
        } else if self.keyword(b"version") {
            module.version = Some(self.string_attr()?);
        } else if self.keyword(b"input") {
            self.skip();
            let name = self.ident()?;
            self.skip();
            if !self.eat(b":") {
                return None;
            }
            self.skip();
            let is_const = self.keyword(b"const");
            if is_const {
                self.skip();
            }
            let ty = self.type_expr()?;
            self.skip();
            let default = self.default_value()?;
            module.inputs.push(InputDecl {
                name,
                is_const,
                ty,
                default,
                doc,
            });
        } else if self.keyword(b"output") {
            self.skip();
            let name = self.ident()?;
            self.skip();
            if !self.eat(b":") {
                return None;
            }
            self.skip();
            let ty = self.type_expr()?;
            module.outputs.push(OutputDecl { name, ty, doc });
        } else {
            return None;
        }
        self.skip();
        self.eat(b",");
        Some(())
    }

    /// The `= "text"` of `source_attr` and `version_attr`, with the string's range.
    fn string_attr(&mut self) -> Option<(String, TextRange)> {
        self.skip();
        if !self.eat(b"=") {
            return None;
        }
        self.skip();
        let start = self.pos;
        let parts = self.string()?;
        Some((plain(&parts), self.range(start, self.pos)))
    }

    fn layer(&mut self, shared: Option<TextRange>) -> Option<Layer> {
        self.skip();
        let name = self.ident()?;
        self.skip();
        let mut layer = Layer {
            shared,
            name,
            repeat: None,
            condition: None,
            instances: Vec::new(),
            outputs: Vec::new(),
            lets: Vec::new(),
        };
        let save = self.pos;
        match self.layer_for() {
            Some(repeat) => {
                layer.repeat = Some(repeat);
                self.skip();
            }
            None => self.pos = save,
        }
        if self.at_keyword(b"if") {
            return self.decline();
        }
        if !self.eat(b"{") {
            return None;
        }
        loop {
            let save = self.pos;
            self.skip();
            if self.layer_member(&mut layer).is_none() {
                if self.declined {
                    return None;
                }
                self.pos = save;
                break;
            }
        }
        self.skip();
        self.eat(b"}").then_some(layer)
    }

    /// `layer_for = { "(" ~ ident ~ ("," ~ ident)? ~ ")" ~ kw_for ~ ident }`.
    fn layer_for(&mut self) -> Option<LayerRepeat> {
        if !self.eat(b"(") {
            return None;
        }
        self.skip();
        let key = self.ident()?;
        self.skip();
        let save = self.pos;
        let mut value = None;
        if self.eat(b",") {
            self.skip();
            match self.ident() {
                Some(ident) => {
                    value = Some(ident);
                    self.skip();
                }
                None => self.pos = save,
            }
        }
        if !self.eat(b")") {
            return None;
        }
        self.skip();
        if !self.keyword(b"for") {
            return None;
        }
        self.skip();
        let over = self.ident()?;
        Some(LayerRepeat { key, value, over })
    }

    /// `layer_member = { docs ~ (layer_output | instance) }`.
    fn layer_member(&mut self, layer: &mut Layer) -> Option<()> {
        let start = self.pos;
        let doc = self.docs();
        self.skip();
        let choice = self.pos;
        if self.keyword(b"output") {
            if let Some(output) = self.layer_output(doc.clone()) {
                layer.outputs.push(output);
                return Some(());
            }
            if self.declined {
                return None;
            }
            self.pos = choice;
        }
        // `let`, and `data KIND NAME` (or a module named `data`), are pest's.
        if self.at_keyword(b"let") || self.at_keyword(b"data") {
            return self.decline();
        }
        let kind = self.ident()?;
        self.skip();
        let name = self.ident()?;
        self.skip();
        if self.at(b"(") || self.at_keyword(b"if") {
            return self.decline();
        }
        let body = self.block()?;
        layer.instances.push(Instance {
            data: None,
            kind,
            name,
            repeat: None,
            condition: None,
            body,
            doc,
            range: self.range(start, self.pos),
        });
        Some(())
    }

    /// The rest of `layer_output`, after `kw_output`.
    fn layer_output(&mut self, doc: Option<String>) -> Option<LayerOutput> {
        self.skip();
        let name = self.ident()?;
        self.skip();
        if !self.eat(b":") {
            return None;
        }
        self.skip();
        let ty = self.type_expr()?;
        self.skip();
        if !self.eat(b"=") {
            return None;
        }
        self.skip();
        let value = self.expr_or_missing()?;
        Some(LayerOutput {
            name,
            ty,
            value,
            doc,
        })
    }

    fn policy(&mut self) -> Option<Policy> {
        self.skip();
        let name = self.ident()?;
        self.skip();
        let across = if self.keyword(b"for") {
            false
        } else if self.keyword(b"across") {
            true
        } else {
            return None;
        };
        self.skip();
        let mut envs = vec![self.ident()?];
        loop {
            let save = self.pos;
            self.skip();
            if self.eat(b",") {
                self.skip();
                if let Some(env) = self.ident() {
                    envs.push(env);
                    continue;
                }
            }
            self.pos = save;
            break;
        }
        self.skip();
        if !self.eat(b"{") {
            return None;
        }
        let mut rules = Vec::new();
        loop {
            let save = self.pos;
            self.skip();
            match self.require_rule() {
                Some(rule) => rules.push(rule),
                None if self.declined => return None,
                None => {
                    self.pos = save;
                    break;
                }
            }
        }
        self.skip();
        if !self.eat(b"}") {
            return None;
        }
        Some(Policy {
            name,
            across,
            envs,
            rules,
        })
    }

    /// `require_rule = { docs ~ kw_require ~ expr ~ string? }`.
    fn require_rule(&mut self) -> Option<Rule> {
        let start = self.pos;
        self.docs();
        self.skip();
        if !self.keyword(b"require") {
            return None;
        }
        self.skip();
        let expr = self.expr()?;
        self.skip();
        let save = self.pos;
        let message = match self.string() {
            Some(parts) => Some(plain(&parts)),
            None if self.declined => return None,
            None => {
                self.pos = save;
                None
            }
        };
        Some(Rule {
            expr,
            message,
            range: self.range(start, self.pos),
        })
    }

    /// Runs `parse`, which pushes items onto the stack `stack` picks, and takes off what it
    /// pushed.
    fn collect<T>(
        &mut self,
        stack: fn(&mut Scratch) -> &mut Vec<T>,
        parse: impl FnOnce(&mut Self) -> Option<()>,
    ) -> Option<Vec<T>> {
        let base = stack(&mut self.scratch).len();
        let parsed = parse(self);
        let pushed = stack(&mut self.scratch);
        if parsed.is_none() {
            pushed.truncate(base);
            return None;
        }
        Some(pushed.drain(base..).collect())
    }

    /// `(ITEM ~ ","?)* ~ "}"` after an opening `{`: the items of a block, a record type or a
    /// record value, collected on `stack`.
    fn braced<T>(
        &mut self,
        item: fn(&mut Self) -> Option<T>,
        stack: fn(&mut Scratch) -> &mut Vec<T>,
    ) -> Option<Vec<T>> {
        self.collect(stack, |parser| {
            loop {
                let save = parser.pos;
                parser.skip();
                match item(parser) {
                    Some(found) => stack(&mut parser.scratch).push(found),
                    None if parser.declined => return None,
                    None => {
                        parser.pos = save;
                        break;
                    }
                }
                parser.skip();
                parser.eat(b",");
            }
            parser.skip();
            parser.eat(b"}").then_some(())
        })
    }

    /// `block = { "{" ~ (entry ~ ","?)* ~ "}" }`.
    fn block(&mut self) -> Option<Block> {
        let start = self.pos;
        if !self.eat(b"{") {
            return None;
        }
        let entries = self.braced(Self::entry, |scratch| &mut scratch.entries)?;
        Some(Block {
            entries,
            range: self.range(start, self.pos),
        })
    }

    /// `entry = { docs ~ (assign | error_line) }`; an error line declines.
    fn entry(&mut self) -> Option<Entry> {
        let doc = self.docs();
        self.skip();
        let start = self.pos;
        if let Some((path, append, value)) = self.assign() {
            return Some(Entry {
                path,
                append,
                value: value.into(),
                range: self.range(start, self.pos),
                doc,
            });
        }
        if self.declined {
            return None;
        }
        self.pos = start;
        // `error_line = @{ (!(NEWLINE | "}") ~ ANY)+ }`.
        match self.peek() {
            None | Some(b'\n' | b'\r' | b'}') => None,
            Some(_) => self.decline(),
        }
    }

    /// `assign = ${ path ~ hws* ~ assign_op ~ hws* ~ (missing_value | value) }`.
    fn assign(&mut self) -> Option<(Vec<Ident>, bool, Expr)> {
        let path = self.dotted(Self::path_seg)?;
        self.hws();
        let append = if self.eat(b"+=") {
            true
        } else if self.eat(b"=") {
            false
        } else {
            return None;
        };
        self.hws();
        if self.missing_ahead() {
            return self.decline();
        }
        let value = self.expr()?;
        Some((path, append, value))
    }

    fn hws(&mut self) {
        while let Some(b' ' | b'\t') = self.peek() {
            self.pos += 1;
        }
    }

    /// `path_seg = ${ ident | string | star }`.
    fn path_seg(&mut self) -> Option<Ident> {
        let start = self.pos;
        match self.peek()? {
            b'"' => {
                let parts = self.string()?;
                Some(Ident {
                    name: plain(&parts),
                    range: self.range(start, self.pos),
                })
            }
            b'*' => {
                self.pos += 1;
                Some(Ident {
                    name: "*".to_string(),
                    range: self.range(start, self.pos),
                })
            }
            _ => self.ident(),
        }
    }

    /// `type_expr = { record_type | named_type }`; the range is the chosen rule's span.
    fn type_expr(&mut self) -> Option<TypeExpr> {
        let start = self.pos;
        if self.peek() == Some(b'{') {
            let fields = self.record_type()?;
            return Some(TypeExpr {
                kind: TypeExprKind::Record(fields),
                range: self.range(start, self.pos),
            });
        }
        // `named_type = { ident ~ type_args? ~ constraint? }`.
        let name = self.ident()?;
        self.skip();
        let mut args = Vec::new();
        let save = self.pos;
        match self.type_args() {
            Some(parsed) => {
                args = parsed;
                self.skip();
            }
            None if self.declined => return None,
            None => self.pos = save,
        }
        let save = self.pos;
        let constraint = match self.constraint() {
            Some(constraint) => Some(constraint),
            None if self.declined => return None,
            None => {
                self.pos = save;
                None
            }
        };
        Some(TypeExpr {
            kind: TypeExprKind::Named {
                name,
                args,
                constraint,
            },
            range: self.range(start, self.pos),
        })
    }

    /// `record_type = { "{" ~ (field_type ~ ","?)* ~ "}" }`.
    fn record_type(&mut self) -> Option<Vec<FieldType>> {
        if !self.eat(b"{") {
            return None;
        }
        self.braced(Self::field_type, |scratch| &mut scratch.fields)
    }

    /// `field_type = { docs ~ ident ~ ":" ~ type_expr ~ ("=" ~ expr)? }`.
    fn field_type(&mut self) -> Option<FieldType> {
        let doc = self.docs();
        self.skip();
        let name = self.ident()?;
        self.skip();
        if !self.eat(b":") {
            return None;
        }
        self.skip();
        let ty = self.type_expr()?;
        self.skip();
        let save = self.pos;
        let mut default = None;
        if self.eat(b"=") {
            self.skip();
            match self.expr() {
                Some(expr) => default = Some(expr),
                None if self.declined => return None,
                None => self.pos = save,
            }
        }
        Some(FieldType {
            name,
            ty,
            default,
            doc,
        })
    }

    /// `type_args = { "<" ~ type_expr ~ ("," ~ type_expr)* ~ ">" }`.
    fn type_args(&mut self) -> Option<Vec<TypeExpr>> {
        if !self.eat(b"<") {
            return None;
        }
        self.skip();
        let mut args = vec![self.type_expr()?];
        self.skip();
        self.more_after(b",", true, Self::type_expr, |_, arg| args.push(arg))?;
        self.skip();
        self.eat(b">").then_some(args)
    }

    /// `constraint = { "(" ~ (range | constraint_list) ~ ")" }`.
    fn constraint(&mut self) -> Option<Constraint> {
        let start = self.pos;
        if !self.eat(b"(") {
            return None;
        }
        self.skip();
        let inner = self.pos;
        let constraint = match self.constraint_range() {
            Some((min, max)) => Constraint::Range {
                min,
                max,
                range: TextRange::default(),
            },
            None => {
                self.pos = inner;
                Constraint::List(self.constraint_list()?, TextRange::default())
            }
        };
        self.skip();
        if !self.eat(b")") {
            return None;
        }
        let range = self.range(start, self.pos);
        Some(match constraint {
            Constraint::Range { min, max, .. } => Constraint::Range { min, max, range },
            Constraint::List(atoms, _) => Constraint::List(atoms, range),
        })
    }

    /// `range = { number? ~ ".." ~ number? }`.
    fn constraint_range(&mut self) -> Option<(Option<Number>, Option<Number>)> {
        let min = self.number().map(|(number, _)| number);
        if min.is_some() {
            self.skip();
        }
        if !self.eat(b"..") {
            return None;
        }
        self.skip();
        let save = self.pos;
        let max = self.number().map(|(number, _)| number);
        if max.is_none() {
            self.pos = save;
        }
        Some((min, max))
    }

    /// `constraint_list = { constraint_atom ~ ("," ~ constraint_atom)* }`.
    fn constraint_list(&mut self) -> Option<Vec<ConstraintAtom>> {
        let mut atoms = vec![self.constraint_atom()?];
        loop {
            let save = self.pos;
            self.skip();
            if self.eat(b",") {
                self.skip();
                match self.constraint_atom() {
                    Some(atom) => {
                        atoms.push(atom);
                        continue;
                    }
                    None if self.declined => return None,
                    None => {}
                }
            }
            self.pos = save;
            break;
        }
        Some(atoms)
    }

    /// `constraint_atom = _{ number | string | ident }`.
    fn constraint_atom(&mut self) -> Option<ConstraintAtom> {
        let start = self.pos;
        if let Some((number, _)) = self.number() {
            return Some(ConstraintAtom::Number(number, self.range(start, self.pos)));
        }
        if self.peek() == Some(b'"') {
            let parts = self.string()?;
            return Some(ConstraintAtom::Str(
                plain(&parts),
                self.range(start, self.pos),
            ));
        }
        self.ident().map(ConstraintAtom::Ident)
    }

    /// `number = _{ float | int }`, as `build::number` reads it (no error for a large integer),
    /// with whether it is an integer that does not fit in 64 bits or a float that is infinite.
    fn number(&mut self) -> Option<(Number, bool)> {
        let start = self.pos;
        let digits = |parser: &mut Self| {
            let from = parser.pos;
            while parser.peek().is_some_and(|b| b.is_ascii_digit()) {
                parser.pos += 1;
            }
            parser.pos > from
        };
        if !digits(self) {
            return None;
        }
        let int_end = self.pos;
        // `float = @{ ASCII_DIGIT+ ~ "." ~ ASCII_DIGIT+ ~ (("e" | "E") ~ ("+" | "-")? ~ ASCII_DIGIT+)? }`.
        if self.eat(b".") && digits(self) {
            let mantissa_end = self.pos;
            if matches!(self.peek(), Some(b'e' | b'E')) {
                self.pos += 1;
                if matches!(self.peek(), Some(b'+' | b'-')) {
                    self.pos += 1;
                }
                if !digits(self) {
                    self.pos = mantissa_end;
                }
            }
            let text = &self.text[start..self.pos];
            let float: f64 = text.parse().unwrap_or(0.0);
            // An infinite literal is too large, as pest's builder reports it.
            return Some((Number::Float(Float(float)), !float.is_finite()));
        }
        self.pos = int_end;
        match self.text[start..int_end].parse::<i64>() {
            Ok(n) => Some((Number::Int(n), false)),
            Err(_) => Some((Number::Int(i64::MAX), true)),
        }
    }

    /// `expr = { binary ~ ("?" ~ expr ~ ":" ~ expr)? }`.
    fn expr(&mut self) -> Option<Expr> {
        let start = self.pos;
        let cond = self.binary()?;
        self.skip();
        let save = self.pos;
        if self.peek() == Some(b'?') {
            self.pos += 1;
            self.skip();
            if let Some(then) = self.expr() {
                self.skip();
                if self.eat(b":") {
                    self.skip();
                    if let Some(otherwise) = self.expr() {
                        return Some(Expr {
                            kind: ExprKind::Cond(
                                Box::new(cond),
                                Box::new(then),
                                Box::new(otherwise),
                            ),
                            range: self.range(start, self.pos),
                        });
                    }
                }
            }
            if self.declined {
                return None;
            }
            self.pos = save;
        }
        Some(cond)
    }

    /// `binary = { unary ~ (bin_op ~ unary)* }`, folded by precedence.
    fn binary(&mut self) -> Option<Expr> {
        let first = self.unary()?;
        self.skip();
        // Most operands are the whole expression.
        if !self
            .peek()
            .is_some_and(|byte| BIN_OP_START[usize::from(byte)])
        {
            return Some(first);
        }
        let mut operands = Vec::new();
        let mut ops = Vec::new();
        loop {
            let save = self.pos;
            self.skip();
            let Some(op) = self.bin_op() else {
                self.pos = save;
                break;
            };
            self.skip();
            match self.unary() {
                Some(operand) => {
                    ops.push(op);
                    operands.push(operand);
                }
                None if self.declined => return None,
                None => {
                    self.pos = save;
                    break;
                }
            }
        }
        if ops.is_empty() {
            return Some(first);
        }
        operands.insert(0, first);
        Some(super::build::fold_binary(operands, ops))
    }

    fn bin_op(&mut self) -> Option<BinOp> {
        let rest = &self.src[self.pos..];
        let (op, len) = match rest {
            [b'|', b'|', ..] => (BinOp::Or, 2),
            [b'&', b'&', ..] => (BinOp::And, 2),
            [b'=', b'=', ..] => (BinOp::Eq, 2),
            [b'!', b'=', ..] => (BinOp::Ne, 2),
            [b'<', b'=', ..] => (BinOp::Le, 2),
            [b'>', b'=', ..] => (BinOp::Ge, 2),
            [b'<', ..] => (BinOp::Lt, 1),
            [b'>', ..] => (BinOp::Gt, 1),
            [b'+', ..] => (BinOp::Add, 1),
            [b'-', ..] => (BinOp::Sub, 1),
            [b'*', ..] => (BinOp::Mul, 1),
            [b'/', b'/', ..] => return None,
            [b'/', ..] => (BinOp::Div, 1),
            _ => return None,
        };
        self.pos += len;
        Some(op)
    }

    /// `unary = { unary_op* ~ postfix }`, with negative literals folded as the builder does.
    fn unary(&mut self) -> Option<Expr> {
        // Most operands have no operator.
        if !matches!(self.peek(), Some(b'-' | b'!')) {
            self.skip();
            return self.postfix();
        }
        let mut ops: Vec<(UnaryOp, usize)> = Vec::new();
        loop {
            let save = self.pos;
            if !ops.is_empty() {
                self.skip();
            }
            let op = match self.peek() {
                Some(b'-') => UnaryOp::Neg,
                Some(b'!') => UnaryOp::Not,
                _ => {
                    self.pos = save;
                    break;
                }
            };
            ops.push((op, self.pos));
            self.pos += 1;
        }
        self.skip();
        let operand = self.postfix()?;
        Some(ops.into_iter().rev().fold(operand, |acc, (op, at)| {
            let range = TextRange::new(at + self.offset, acc.range.end as usize);
            match (op, &acc.kind) {
                (UnaryOp::Neg, ExprKind::Int(n)) => Expr {
                    kind: ExprKind::Int(-n),
                    range,
                },
                (UnaryOp::Neg, ExprKind::Float(f)) => Expr {
                    kind: ExprKind::Float(Float(-f.0)),
                    range,
                },
                _ => Expr {
                    kind: ExprKind::Unary(op, Box::new(acc)),
                    range,
                },
            }
        }))
    }

    /// `postfix = { primary ~ (index | attr)* }`.
    fn postfix(&mut self) -> Option<Expr> {
        let mut acc = self.primary()?;
        self.skip();
        // Most primaries have no index or field after them.
        if !matches!(self.peek(), Some(b'[' | b'.')) {
            return Some(acc);
        }
        loop {
            let save = self.pos;
            self.skip();
            let start = self.pos;
            if self.eat(b"[") {
                self.skip();
                if let Some(key) = self.expr() {
                    self.skip();
                    if self.eat(b"]") {
                        let index_range = self.range(start, self.pos);
                        acc = Expr {
                            range: acc.range.cover(index_range),
                            kind: ExprKind::Index(Box::new(acc), Box::new(key)),
                        };
                        continue;
                    }
                }
                if self.declined {
                    return None;
                }
            }
            // `attr = ${ "." ~ ident }`: a field after the primary or an index.
            if self.eat(b".") {
                if let Some(name) = self.ident() {
                    acc = Expr {
                        range: acc.range.cover(name.range),
                        kind: ExprKind::Attr(Box::new(acc), Box::new(name)),
                    };
                    continue;
                }
            }
            self.pos = save;
            break;
        }
        Some(acc)
    }

    /// `primary = _{ paren | list | record | string | number | boolean | null | reference }`.
    fn primary(&mut self) -> Option<Expr> {
        let start = self.pos;
        match self.peek()? {
            b'(' => {
                self.pos += 1;
                self.skip();
                let inner = self.expr()?;
                self.skip();
                self.eat(b")").then_some(inner)
            }
            b'[' => {
                self.pos += 1;
                self.skip();
                if self.at_keyword(b"for") {
                    return self.decline();
                }
                let items = self.collect(|scratch| &mut scratch.exprs, Self::list_items)?;
                Some(Expr {
                    kind: ExprKind::List(items),
                    range: self.range(start, self.pos),
                })
            }
            b'{' => {
                self.pos += 1;
                let save = self.pos;
                self.skip();
                if self.at_keyword(b"for") {
                    return self.decline();
                }
                self.pos = save;
                let entries = self.braced(Self::record_entry, |scratch| &mut scratch.records)?;
                Some(Expr {
                    kind: ExprKind::Record(entries),
                    range: self.range(start, self.pos),
                })
            }
            b'"' => {
                let parts = self.string()?;
                Some(Expr {
                    kind: ExprKind::Str(parts),
                    range: self.range(start, self.pos),
                })
            }
            b'0'..=b'9' => {
                let (number, too_large) = self.number()?;
                if too_large {
                    return self.decline();
                }
                let kind = match number {
                    Number::Int(n) => ExprKind::Int(n),
                    Number::Float(f) => ExprKind::Float(f),
                };
                Some(Expr {
                    kind,
                    range: self.range(start, self.pos),
                })
            }
            _ => {
                let kind = if self.keyword(b"true") {
                    ExprKind::Bool(true)
                } else if self.keyword(b"false") {
                    ExprKind::Bool(false)
                } else if self.keyword(b"null") {
                    ExprKind::Null
                } else {
                    let path = self.reference()?;
                    if self.at(b"(") {
                        return self.decline();
                    }
                    ExprKind::Ref(path)
                };
                Some(Expr {
                    kind,
                    range: self.range(start, self.pos),
                })
            }
        }
    }

    /// `(expr ~ ("," ~ expr)* ~ ","?)? ~ "]"` after `[`, the items pushed on `scratch.exprs`.
    fn list_items(&mut self) -> Option<()> {
        let save = self.pos;
        match self.expr() {
            Some(first) => {
                self.scratch.exprs.push(first);
                self.skip();
                self.more_after(b",", true, Self::expr, |parser, item| {
                    parser.scratch.exprs.push(item)
                })?;
                self.eat(b",");
            }
            None if self.declined => return None,
            None => self.pos = save,
        }
        self.skip();
        self.eat(b"]").then_some(())
    }

    /// `record_entry = { (ident | string) ~ "=" ~ (expr | missing_value) }`.
    fn record_entry(&mut self) -> Option<RecordEntry> {
        let start = self.pos;
        let key = if self.peek() == Some(b'"') {
            let parts = self.string()?;
            if parts.iter().any(|p| matches!(p, StrPart::Interp(_))) {
                // An interpolated key is an error that pest reports.
                return self.decline();
            }
            Ident {
                name: plain(&parts),
                range: self.range(start, self.pos),
            }
        } else {
            self.ident()?
        };
        self.skip();
        if !self.eat(b"=") {
            return None;
        }
        self.skip();
        let value = self.expr_or_missing()?;
        Some(RecordEntry {
            key,
            value: value.into(),
        })
    }

    /// `reference = ${ ref_seg ~ ("." ~ ref_seg)* }`.
    fn reference(&mut self) -> Option<Vec<Ident>> {
        self.dotted(Self::ref_seg)
    }

    /// `seg ~ ("." ~ seg)*` without whitespace: a reference or an entry's path.
    fn dotted(&mut self, seg: fn(&mut Self) -> Option<Ident>) -> Option<Vec<Ident>> {
        let first = seg(self)?;
        // Most paths are one segment; a longer one gets room for a few at once instead of
        // growing from one.
        let mut segments = Vec::with_capacity(if self.peek() == Some(b'.') { 4 } else { 1 });
        segments.push(first);
        self.more_after(b".", false, seg, |_, next| segments.push(next))?;
        Some(segments)
    }

    /// `(SEPARATOR ~ ITEM)*` after a first item, each further item handed to `found`; with
    /// `spaced`, trivia may stand around the separator and after each item. A separator no item
    /// follows is left unread; `None` when an item declined the chunk.
    fn more_after<T>(
        &mut self,
        separator: &[u8],
        spaced: bool,
        item: fn(&mut Self) -> Option<T>,
        mut found: impl FnMut(&mut Self, T),
    ) -> Option<()> {
        loop {
            let save = self.pos;
            if self.eat(separator) {
                if spaced {
                    self.skip();
                }
                match item(self) {
                    Some(next) => {
                        found(self, next);
                        if spaced {
                            self.skip();
                        }
                        continue;
                    }
                    None if self.declined => return None,
                    None => {}
                }
            }
            self.pos = save;
            return Some(());
        }
    }

    fn ref_seg(&mut self) -> Option<Ident> {
        if self.peek() == Some(b'*') {
            let start = self.pos;
            self.pos += 1;
            return Some(Ident {
                name: "*".to_string(),
                range: self.range(start, self.pos),
            });
        }
        self.ident()
    }

    /// `string = ${ "\"" ~ (interp | escape | str_text)* ~ "\"" }`, with text parts merged as the
    /// builder merges them; an unknown escape declines.
    fn string(&mut self) -> Option<Vec<StrPart>> {
        if !self.eat(b"\"") {
            return None;
        }
        let mut parts = Vec::new();
        let mut text = String::new();
        let mut text_start = self.pos;
        loop {
            // Plain text runs to the next byte a string acts on.
            self.pos += self.src[self.pos..]
                .iter()
                .position(|&byte| IN_STRING_SPECIAL[usize::from(byte)])
                .unwrap_or(self.src.len() - self.pos);
            match self.peek()? {
                b'"' => break,
                b'\n' | b'\r' => return None,
                b'\\' => {
                    text.push_str(&self.text[text_start..self.pos]);
                    let unescaped = match self.src.get(self.pos + 1) {
                        Some(b'n') => '\n',
                        Some(b't') => '\t',
                        Some(b'r') => '\r',
                        Some(b'"') => '"',
                        Some(b'\\') => '\\',
                        // An unknown escape is reported by the pest path; the end of the
                        // chunk right after `\` is a syntax error there too.
                        _ => return self.decline(),
                    };
                    text.push(unescaped);
                    self.pos += 2;
                    text_start = self.pos;
                }
                b'$' if self.at(b"${") => {
                    text.push_str(&self.text[text_start..self.pos]);
                    let save = self.pos;
                    self.pos += 2;
                    self.skip();
                    let inner = match self.expr() {
                        Some(inner) => inner,
                        None if self.declined => return None,
                        None => {
                            // pest then tries an escape and text, which both fail at `${`.
                            self.pos = save;
                            return None;
                        }
                    };
                    self.skip();
                    if !self.eat(b"}") {
                        return None;
                    }
                    if !text.is_empty() {
                        parts.push(StrPart::Text(std::mem::take(&mut text)));
                    }
                    parts.push(StrPart::Interp(inner));
                    text_start = self.pos;
                }
                b'$' if self.at(b"$${") => {
                    text.push_str(&self.text[text_start..self.pos]);
                    text.push_str("${");
                    self.pos += 3;
                    text_start = self.pos;
                }
                _ => self.pos += 1,
            }
        }
        text.push_str(&self.text[text_start..self.pos]);
        self.pos += 1;
        if !text.is_empty() {
            if parts.is_empty() {
                // The common string, one text: allocated at its size rather than grown.
                return Some(vec![StrPart::Text(text)]);
            }
            parts.push(StrPart::Text(text));
        }
        Some(parts)
    }
}
