//! Runs pest on one item chunk and turns its pairs into the syntax tree.

use pest::iterators::Pair;
use pest::Parser as _;

use super::ast::*;
use super::{Parse, SyntaxError};
use crate::codes::{E0100, E0101, E0102, E0105};
use crate::source::TextRange;

#[derive(pest_derive::Parser)]
#[grammar = "grammar.pest"]
struct InfraParser;

/// Parses one chunk; on failure adds an error item and one diagnostic. With `fast`, the
/// hand-written parser tries the chunk first, and pest only parses what it declines.
pub(super) fn parse_item(text: &str, offset: usize, fast: bool, parse: &mut Parse) {
    let chunk_range = TextRange::new(offset, offset + text.len());
    // One scan finds the bracket left open, if any, and bounds the nesting depth.
    let shape = super::depth::shape(text);
    if let Some(at) = shape.unclosed {
        let open = text.as_bytes()[at] as char;
        let at = at + offset;
        parse.errors.push(SyntaxError {
            // Diagnostic: E0101 unclosed-delimiter
            code: E0101,
            range: TextRange::new(at, at + 1),
            message: format!("this `{open}` is never closed"),
            label: "unclosed".into(),
            help: Some(format!("add the matching `{}`", closing(open))),
        });
        parse.items.push(error_item(text, chunk_range).into());
        return;
    }
    // Nothing recursive may see a chunk nested deeper than the limit: the parsers, the tree's
    // builder and every later walk of the tree recurse once per level.
    let depth = shape.nesting;
    if let Err(at) = depth {
        let end = next_char_end(text, at);
        parse.errors.push(SyntaxError {
            // Diagnostic: E0105 nesting-too-deep
            code: E0105,
            range: TextRange::new(at, end).shift(offset),
            message: format!(
                "nesting too deep: more than {} levels of brackets, interpolations and operators",
                super::MAX_NESTING
            ),
            label: "too deep here".into(),
            help: Some(
                "split the expression into smaller ones, e.g. into parameters or separate entries"
                    .into(),
            ),
        });
        parse.items.push(error_item(text, chunk_range).into());
        return;
    }
    if fast {
        if let Some(item) = super::fast::parse_item(text, offset) {
            parse.items.push(item.into());
            return;
        }
    }
    // pest and the builder take far more stack per level than the fast parser (tens of
    // kilobytes in a debug build, where a thread has 2 MiB): a deep chunk that reaches them is
    // parsed on a thread of its own with room for `MAX_NESTING` levels.
    if depth.unwrap_or(0) > PEST_DEPTH_ON_ANY_THREAD {
        std::thread::scope(|scope| {
            let parsed = std::thread::Builder::new()
                .stack_size(PEST_DEEP_STACK)
                .spawn_scoped(scope, || {
                    let mut deep = Parse::default();
                    parse_with_pest(text, offset, chunk_range, &mut deep);
                    deep
                });
            match parsed.map(|handle| handle.join()) {
                Ok(Ok(deep)) => {
                    parse.items.extend(deep.items);
                    parse.errors.extend(deep.errors);
                }
                Ok(Err(panic)) => std::panic::resume_unwind(panic),
                // No thread to be had: parse here, as for any other chunk.
                Err(_) => parse_with_pest(text, offset, chunk_range, parse),
            }
        });
        return;
    }
    parse_with_pest(text, offset, chunk_range, parse);
}

/// Chunks nested up to this deep are parsed by pest on the caller's thread.
const PEST_DEPTH_ON_ANY_THREAD: usize = 32;

/// The stack of the thread that parses a deeper chunk with pest.
const PEST_DEEP_STACK: usize = 64 << 20;

fn parse_with_pest(text: &str, offset: usize, chunk_range: TextRange, parse: &mut Parse) {
    match super::grow(|| InfraParser::parse(Rule::item_file, text)) {
        Ok(mut pairs) => {
            let file = pairs.next().expect("item_file always yields one pair");
            let mut builder = Builder {
                offset,
                text,
                errors: Vec::new(),
            };
            let item = builder.item_file(file, chunk_range);
            parse.errors.append(&mut builder.errors);
            parse.items.push(item.into());
        }
        Err(error) => {
            parse.errors.push(convert_error(&error, text, offset));
            parse.items.push(error_item(text, chunk_range).into());
        }
    }
}

fn closing(open: char) -> char {
    match open {
        '{' => '}',
        '[' => ']',
        _ => ')',
    }
}

/// Guesses the kind and name of an item that did not parse, for symbols and later phases.
fn error_item(text: &str, range: TextRange) -> Item {
    let body = text
        .lines()
        .find(|line| !line.trim_start().starts_with("//"))
        .unwrap_or("");
    // `shared layer NAME`: the item is a layer.
    let body = match body.strip_prefix("shared") {
        Some(rest) if rest.starts_with([' ', '\t']) => rest.trim_start(),
        _ => body,
    };
    let mut words = body.split(|c: char| c.is_whitespace() || c == '{' || c == '(' || c == ':');
    let keyword = words.next().and_then(|word| {
        super::chunk::TOP_KEYWORDS
            .iter()
            .copied()
            .find(|kw| *kw == word)
    });
    let name_start = body.find(|c: char| c.is_whitespace()).map(|n| n + 1);
    let name = words.find(|w| !w.is_empty()).and_then(|word| {
        let is_ident = word.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            && word
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
        let line_offset = text.find(body)?;
        let at = line_offset + body[name_start?..].find(word)? + name_start?;
        is_ident.then(|| Ident {
            name: word.to_string(),
            range: TextRange::new(at, at + word.len()).shift(range.start as usize),
        })
    });
    Item {
        kind: ItemKind::Error(ErrorItem { keyword, name }),
        range,
        doc: None,
    }
}

fn convert_error(error: &pest::error::Error<Rule>, text: &str, offset: usize) -> SyntaxError {
    let at = match error.location {
        pest::error::InputLocation::Pos(pos) => pos,
        pest::error::InputLocation::Span((start, _)) => start,
    };
    let expected = match &error.variant {
        pest::error::ErrorVariant::ParsingError { positives, .. } => {
            let mut words: Vec<&str> = positives
                .iter()
                .filter_map(|rule| rule_word(*rule))
                .collect();
            words.sort_unstable();
            words.dedup();
            words
        }
        pest::error::ErrorVariant::CustomError { .. } => Vec::new(),
    };
    // An error at the end of the item points just after its last token, not after trailing comments.
    let at = if text[at.min(text.len())..].trim().is_empty()
        || only_comments(&text[at.min(text.len())..])
    {
        end_of_content(text).min(at)
    } else {
        at
    };
    let found = describe_found(&text[at.min(text.len())..]);
    let message = if expected.is_empty() {
        format!("unexpected {found}")
    } else {
        format!("expected {}, found {found}", join_or(&expected))
    };
    let end = next_char_end(text, at);
    SyntaxError {
        // Diagnostic: E0100 syntax-error
        code: E0100,
        range: TextRange::new(at, end).shift(offset),
        message,
        label: "unexpected here".into(),
        help: None,
    }
}

fn only_comments(rest: &str) -> bool {
    rest.lines()
        .all(|line| line.trim().is_empty() || line.trim_start().starts_with("//"))
}

/// The offset just after the last token of a chunk, skipping trailing blank and comment lines.
fn end_of_content(text: &str) -> usize {
    let mut end = 0;
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim();
        if !trimmed.is_empty() && !trimmed.starts_with("//") {
            end = offset + line.trim_end().len();
        }
        offset += line.len();
    }
    end
}

fn next_char_end(text: &str, at: usize) -> usize {
    let at = at.min(text.len());
    text[at..].chars().next().map_or(at, |c| at + c.len_utf8())
}

fn describe_found(rest: &str) -> String {
    match rest.chars().next() {
        None => "end of item".into(),
        Some('\n') | Some('\r') => "end of line".into(),
        Some(c) if c.is_alphanumeric() || c == '_' => {
            let word: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            format!("`{word}`")
        }
        Some(c) if c.is_control() => format!("`{}`", c.escape_unicode()),
        Some(c) => format!("`{c}`"),
    }
}

fn join_or(words: &[&str]) -> String {
    match words {
        [] => String::new(),
        [one] => one.to_string(),
        [rest @ .., last] => format!("{} or {last}", rest.join(", ")),
    }
}

/// User words for grammar rules; `None` hides a rule from messages.
fn rule_word(rule: Rule) -> Option<&'static str> {
    Some(match rule {
        Rule::ident | Rule::path | Rule::path_seg => "a name",
        Rule::block | Rule::record | Rule::record_type => "`{`",
        Rule::assign | Rule::entry => "an entry `name = value`",
        Rule::assign_op => "`=`",
        Rule::expr | Rule::value | Rule::binary | Rule::unary | Rule::postfix => "a value",
        Rule::string => "a string",
        Rule::int | Rule::float => "a number",
        Rule::type_expr | Rule::named_type => "a type",
        Rule::kw_extends => "`extends`",
        Rule::kw_layer => "`layer`",
        Rule::kw_input
        | Rule::kw_output
        | Rule::kw_source
        | Rule::kw_version
        | Rule::module_member => "`input`, `output`, `source` or `version`",
        Rule::layer_member | Rule::instance | Rule::layer_output => {
            "an instance `kind name { ... }` or `output`"
        }
        Rule::require_rule | Rule::kw_require => "`require`",
        Rule::policy_scope | Rule::scope_for | Rule::scope_across => "`for` or `across`",
        Rule::kw_for => "`for`",
        Rule::kw_in => "`in`",
        Rule::kw_if | Rule::condition => "`if`",
        Rule::call_args => "`)`",
        Rule::attr => "`.`",
        Rule::layer_for => "`(`",
        Rule::EOI => "the end of the item",
        Rule::item_file
        | Rule::project
        | Rule::type_def
        | Rule::param
        | Rule::let_def
        | Rule::module_def
        | Rule::layer
        | Rule::env
        | Rule::policy => "an item",
        Rule::or
        | Rule::and
        | Rule::eq
        | Rule::ne
        | Rule::le
        | Rule::ge
        | Rule::lt
        | Rule::gt
        | Rule::add
        | Rule::sub
        | Rule::mul
        | Rule::div => "an operator",
        Rule::index => "`[`",
        Rule::constraint => "`(`",
        Rule::type_args => "`<`",
        Rule::range => "`..`",
        _ => return None,
    })
}

struct Builder<'t> {
    offset: usize,
    /// The chunk's text.
    text: &'t str,
    errors: Vec<SyntaxError>,
}

impl Builder<'_> {
    fn range(&self, pair: &Pair<'_, Rule>) -> TextRange {
        let span = pair.as_span();
        TextRange::new(span.start(), span.end()).shift(self.offset)
    }

    fn ident(&self, pair: Pair<'_, Rule>) -> Ident {
        Ident {
            name: pair.as_str().to_string(),
            range: self.range(&pair),
        }
    }

    fn item_file(&mut self, pair: Pair<'_, Rule>, range: TextRange) -> Item {
        let mut inner = pair.into_inner();
        let doc = docs(inner.next().expect("item_file starts with docs"));
        let item = inner.next().expect("item_file has an item");
        let kind = match item.as_rule() {
            Rule::project => {
                let mut it = item.into_inner().skip(1);
                let name = self.ident(it.next().expect("project name"));
                ItemKind::Project(Project {
                    name,
                    body: self.block(it.next().expect("project body")),
                })
            }
            Rule::type_def => {
                let mut it = item.into_inner().skip(1);
                let name = self.ident(it.next().expect("type name"));
                ItemKind::Type(TypeDef {
                    name,
                    ty: self.type_expr(it.next().expect("type expr")),
                })
            }
            Rule::param => {
                let mut it = item.into_inner().skip(1);
                let name = self.ident(it.next().expect("param name"));
                let ty = self.type_expr(it.next().expect("param type"));
                let default = it.next().map(|p| self.expr_or_missing(p));
                ItemKind::Param(Param {
                    name,
                    ty,
                    default,
                    is_let: false,
                })
            }
            Rule::let_def => {
                let (name, value) = self.let_def(item);
                ItemKind::Param(Param {
                    ty: TypeExpr::any(name.range),
                    name,
                    default: Some(value),
                    is_let: true,
                })
            }
            Rule::module_def => ItemKind::Module(self.module_def(item)),
            Rule::layer => ItemKind::Layer(self.layer(item)),
            Rule::env => {
                let mut it = item.into_inner().skip(1);
                let name = self.ident(it.next().expect("env name"));
                let mut extends = None;
                let mut body = None;
                for part in it {
                    match part.as_rule() {
                        Rule::ident => extends = Some(self.ident(part)),
                        Rule::block => body = Some(self.block(part)),
                        _ => {}
                    }
                }
                ItemKind::Env(Env {
                    name,
                    extends,
                    body: body.expect("env body"),
                })
            }
            Rule::policy => ItemKind::Policy(self.policy(item)),
            rule => unreachable!("item rule {rule:?}"),
        };
        Item { kind, range, doc }
    }

    fn module_def(&mut self, pair: Pair<'_, Rule>) -> ModuleDef {
        let mut it = pair.into_inner().skip(1);
        let name = self.ident(it.next().expect("module name"));
        let mut module = ModuleDef {
            name,
            source: None,
            version: None,
            inputs: Vec::new(),
            outputs: Vec::new(),
        };
        for member in it {
            let mut parts = member.into_inner();
            let doc = docs(parts.next().expect("member docs"));
            let decl = parts.next().expect("member decl");
            match decl.as_rule() {
                Rule::source_attr => {
                    let string = decl.into_inner().nth(1).expect("source string");
                    let range = self.range(&string);
                    let value = self.expr_of_string(string);
                    let text = value.as_plain_str().unwrap_or_default();
                    module.source = Some((text, range));
                }
                Rule::version_attr => {
                    let string = decl.into_inner().nth(1).expect("version string");
                    let range = self.range(&string);
                    let value = self.expr_of_string(string);
                    let text = value.as_plain_str().unwrap_or_default();
                    module.version = Some((text, range));
                }
                Rule::input_decl => {
                    let mut d = decl.into_inner().skip(1);
                    let name = self.ident(d.next().expect("input name"));
                    let mut is_const = false;
                    let mut ty = None;
                    let mut default = None;
                    for part in d {
                        match part.as_rule() {
                            Rule::const_mark => is_const = true,
                            Rule::type_expr => ty = Some(self.type_expr(part)),
                            _ => default = Some(self.expr_or_missing(part)),
                        }
                    }
                    module.inputs.push(InputDecl {
                        name,
                        is_const,
                        ty: ty.expect("input type"),
                        default,
                        doc,
                    });
                }
                Rule::output_decl => {
                    let mut d = decl.into_inner().skip(1);
                    let name = self.ident(d.next().expect("output name"));
                    let ty = self.type_expr(d.next().expect("output type"));
                    module.outputs.push(OutputDecl { name, ty, doc });
                }
                rule => unreachable!("module member {rule:?}"),
            }
        }
        module
    }

    fn layer(&mut self, pair: Pair<'_, Rule>) -> Layer {
        let mut it = pair.into_inner().peekable();
        let shared = it
            .next_if(|p| p.as_rule() == Rule::shared_mark)
            .map(|p| self.range(&p));
        let mut it = it.skip(1);
        let name = self.ident(it.next().expect("layer name"));
        let mut layer = Layer {
            shared,
            name,
            repeat: None,
            condition: None,
            instances: Vec::new(),
            outputs: Vec::new(),
            lets: Vec::new(),
        };
        for part in it {
            match part.as_rule() {
                Rule::layer_for => {
                    let idents: Vec<Pair<'_, Rule>> = part
                        .into_inner()
                        .filter(|p| p.as_rule() == Rule::ident)
                        .collect();
                    let mut idents: Vec<Ident> =
                        idents.into_iter().map(|p| self.ident(p)).collect();
                    let over = idents.pop().expect("layer_for has a collection");
                    let key = idents.remove(0);
                    let value = idents.pop();
                    layer.repeat = Some(LayerRepeat { key, value, over });
                }
                Rule::condition => layer.condition = Some(self.condition(part)),
                Rule::layer_member => {
                    let member_range = self.range(&part);
                    let mut parts = part.into_inner();
                    let doc = docs(parts.next().expect("member docs"));
                    let decl = parts.next().expect("member decl");
                    match decl.as_rule() {
                        Rule::layer_output => {
                            let mut d = decl.into_inner().skip(1);
                            let name = self.ident(d.next().expect("output name"));
                            let ty = self.type_expr(d.next().expect("output type"));
                            let value = self.expr_or_missing(d.next().expect("output value"));
                            layer.outputs.push(LayerOutput {
                                name,
                                ty,
                                value,
                                doc,
                            });
                        }
                        Rule::let_def => {
                            let (name, value) = self.let_def(decl);
                            layer.lets.push(LayerLet { name, value, doc });
                        }
                        Rule::instance => {
                            let mut d = decl.into_inner().peekable();
                            let data = d
                                .next_if(|p| p.as_rule() == Rule::data_mark)
                                .map(|p| self.range(&p));
                            let kind = self.ident(d.next().expect("instance kind"));
                            let name = self.ident(d.next().expect("instance name"));
                            let mut repeat = None;
                            let mut condition = None;
                            let mut body = None;
                            for part in d {
                                match part.as_rule() {
                                    Rule::instance_for => {
                                        let mut f = part.into_inner();
                                        let key = self.ident(f.next().expect("instance key"));
                                        let mut value = None;
                                        let mut over = None;
                                        for p in f {
                                            match p.as_rule() {
                                                Rule::ident => value = Some(self.ident(p)),
                                                Rule::expr => over = Some(self.expr(p)),
                                                _ => {}
                                            }
                                        }
                                        repeat = Some(InstanceRepeat {
                                            key,
                                            value,
                                            over: over.expect("instance_for has a collection"),
                                        });
                                    }
                                    Rule::condition => condition = Some(self.condition(part)),
                                    Rule::block => body = Some(self.block(part)),
                                    rule => unreachable!("instance part {rule:?}"),
                                }
                            }
                            layer.instances.push(Instance {
                                data,
                                kind,
                                name,
                                repeat,
                                condition,
                                body: body.expect("instance body"),
                                doc,
                                range: member_range,
                            });
                        }
                        rule => unreachable!("layer member {rule:?}"),
                    }
                }
                rule => unreachable!("layer part {rule:?}"),
            }
        }
        layer
    }

    /// `let NAME = EXPR`.
    fn let_def(&mut self, pair: Pair<'_, Rule>) -> (Ident, Expr) {
        let mut it = pair.into_inner().skip(1);
        let name = self.ident(it.next().expect("let name"));
        let value = self.expr_or_missing(it.next().expect("let value"));
        (name, value)
    }

    /// `if EXPR`.
    fn condition(&mut self, pair: Pair<'_, Rule>) -> Expr {
        let mut it = pair.into_inner().skip(1);
        self.expr(it.next().expect("condition expr"))
    }

    fn policy(&mut self, pair: Pair<'_, Rule>) -> Policy {
        let mut it = pair.into_inner().skip(1);
        let name = self.ident(it.next().expect("policy name"));
        let mut scope = it.next().expect("policy scope").into_inner();
        let across = scope.next().expect("scope keyword").as_rule() == Rule::scope_across;
        let envs = scope.map(|p| self.ident(p)).collect();
        let mut rules = Vec::new();
        for rule in it {
            let range = self.range(&rule);
            let mut parts = rule.into_inner().skip(2);
            let expr = self.expr(parts.next().expect("rule expr"));
            let message = parts
                .next()
                .map(|p| self.expr_of_string(p).as_plain_str().unwrap_or_default());
            rules.push(Rule_ {
                expr,
                message,
                range,
            });
        }
        Policy {
            name,
            across,
            envs,
            rules,
        }
    }

    fn block(&mut self, pair: Pair<'_, Rule>) -> Block {
        let range = self.range(&pair);
        let mut entries = Vec::new();
        for entry in pair.into_inner() {
            let mut parts = entry.into_inner();
            let doc = docs(parts.next().expect("entry docs"));
            let body = parts.next().expect("entry body");
            let entry_range = self.range(&body);
            match body.as_rule() {
                Rule::assign => {
                    let mut a = body.into_inner();
                    let path_pair = a.next().expect("assign path");
                    let path = path_pair
                        .into_inner()
                        .map(|seg| self.path_seg(seg))
                        .collect();
                    let append = a.next().expect("assign op").as_str() == "+=";
                    let value_pair = a.next().expect("assign value");
                    let value = match value_pair.as_rule() {
                        Rule::value => {
                            self.expr(value_pair.into_inner().next().expect("value expr"))
                        }
                        _ => {
                            let at = self.range(&value_pair);
                            self.errors.push(SyntaxError {
                                // Diagnostic: E0100 syntax-error
                                code: E0100,
                                range: at,
                                message: "expected a value after `=`".into(),
                                label: "value missing".into(),
                                help: None,
                            });
                            Expr {
                                kind: ExprKind::Missing,
                                range: at,
                            }
                        }
                    };
                    entries.push(Entry {
                        path,
                        append,
                        value: value.into(),
                        range: entry_range,
                        doc,
                    });
                }
                _ => {
                    self.errors.push(SyntaxError {
                        // Diagnostic: E0102 invalid-entry
                        code: E0102,
                        range: entry_range,
                        message: "expected an entry `name = value`".into(),
                        label: "not an entry".into(),
                        help: Some("each line of a block sets one value: `name = value`".into()),
                    });
                }
            }
        }
        Block { entries, range }
    }

    fn path_seg(&mut self, pair: Pair<'_, Rule>) -> Ident {
        let inner = pair.into_inner().next().expect("path segment");
        match inner.as_rule() {
            Rule::string => {
                let range = self.range(&inner);
                let name = self
                    .expr_of_string(inner)
                    .as_plain_str()
                    .unwrap_or_default();
                Ident { name, range }
            }
            _ => self.ident(inner),
        }
    }

    fn type_expr(&mut self, pair: Pair<'_, Rule>) -> TypeExpr {
        let range = self.range(&pair);
        let inner = pair.into_inner().next().expect("type expr body");
        let kind = match inner.as_rule() {
            Rule::record_type => {
                let fields = inner
                    .into_inner()
                    .map(|field| {
                        let mut f = field.into_inner();
                        let doc = docs(f.next().expect("field docs"));
                        let name = self.ident(f.next().expect("field name"));
                        let ty = self.type_expr(f.next().expect("field type"));
                        let default = f.next().map(|p| self.expr(p));
                        FieldType {
                            name,
                            ty,
                            default,
                            doc,
                        }
                    })
                    .collect();
                TypeExprKind::Record(fields)
            }
            _ => {
                let mut parts = inner.into_inner();
                let name = self.ident(parts.next().expect("type name"));
                let mut args = Vec::new();
                let mut constraint = None;
                for part in parts {
                    match part.as_rule() {
                        Rule::type_args => {
                            args = part.into_inner().map(|p| self.type_expr(p)).collect()
                        }
                        Rule::constraint => constraint = Some(self.constraint(part)),
                        rule => unreachable!("type part {rule:?}"),
                    }
                }
                TypeExprKind::Named {
                    name,
                    args,
                    constraint,
                }
            }
        };
        TypeExpr { kind, range }
    }

    fn constraint(&mut self, pair: Pair<'_, Rule>) -> Constraint {
        let range = self.range(&pair);
        let inner = pair.into_inner().next().expect("constraint body");
        match inner.as_rule() {
            Rule::range => {
                let dots =
                    inner.as_span().start() + inner.as_str().find("..").expect("a range has `..`");
                let mut min = None;
                let mut max = None;
                for part in inner.into_inner() {
                    if part.as_span().start() < dots {
                        min = Some(number(&part));
                    } else {
                        max = Some(number(&part));
                    }
                }
                Constraint::Range { min, max, range }
            }
            _ => {
                let atoms = inner
                    .into_inner()
                    .map(|atom| match atom.as_rule() {
                        Rule::string => {
                            let r = self.range(&atom);
                            ConstraintAtom::Str(
                                self.expr_of_string(atom).as_plain_str().unwrap_or_default(),
                                r,
                            )
                        }
                        Rule::ident => ConstraintAtom::Ident(self.ident(atom)),
                        _ => ConstraintAtom::Number(number(&atom), self.range(&atom)),
                    })
                    .collect();
                Constraint::List(atoms, range)
            }
        }
    }

    /// An expression, or `Expr::Missing` with a diagnostic where the grammar found none after `=`.
    fn expr_or_missing(&mut self, pair: Pair<'_, Rule>) -> Expr {
        if pair.as_rule() != Rule::missing_value {
            return self.expr(pair);
        }
        // Point just after the `=`, not at whatever follows the blank space.
        let end = self.text[..pair.as_span().start()].trim_end().len();
        let at = TextRange::new(end, end).shift(self.offset);
        self.errors.push(SyntaxError {
            // Diagnostic: E0100 syntax-error
            code: E0100,
            range: at,
            message: "expected a value after `=`".into(),
            label: "value missing".into(),
            help: None,
        });
        Expr {
            kind: ExprKind::Missing,
            range: at,
        }
    }

    fn expr(&mut self, pair: Pair<'_, Rule>) -> Expr {
        // Nesting is bounded (`depth::MAX_NESTING`), but a debug build's frames are large: the
        // stack grows on the heap when it runs low instead of overflowing.
        crate::grow(|| self.expr_nested(pair))
    }

    /// One expression, one function per rule; every recursion goes back through `expr`, which
    /// grows the stack.
    fn expr_nested(&mut self, pair: Pair<'_, Rule>) -> Expr {
        let range = self.range(&pair);
        match pair.as_rule() {
            Rule::expr => self.conditional(pair, range),
            Rule::binary => {
                let mut operands = Vec::new();
                let mut ops = Vec::new();
                for part in pair.into_inner() {
                    match part.as_rule() {
                        Rule::unary => operands.push(self.expr(part)),
                        rule => ops.push(bin_op(rule)),
                    }
                }
                fold_binary(operands, ops)
            }
            Rule::unary => self.unary(pair),
            Rule::postfix => self.postfix(pair),
            Rule::call => {
                let mut parts = pair.into_inner();
                let name = self.ident(parts.next().expect("call name"));
                let args = parts
                    .next()
                    .expect("call args")
                    .into_inner()
                    .map(|p| self.expr(p))
                    .collect();
                Expr {
                    kind: ExprKind::Call(Box::new(Call { name, args })),
                    range,
                }
            }
            Rule::list_for | Rule::record_for => self.comprehension(pair, range),
            Rule::value | Rule::paren => self.expr(pair.into_inner().next().expect("inner expr")),
            Rule::list => Expr {
                kind: ExprKind::List(pair.into_inner().map(|p| self.expr(p)).collect()),
                range,
            },
            Rule::record => self.record(pair, range),
            Rule::string => self.expr_of_string(pair),
            Rule::int => self.int_literal(pair, range),
            Rule::float => self.float_literal(pair, range),
            Rule::boolean => Expr {
                kind: ExprKind::Bool(pair.as_str() == "true"),
                range,
            },
            Rule::null => Expr {
                kind: ExprKind::Null,
                range,
            },
            Rule::reference => {
                let segments = pair
                    .into_inner()
                    .map(|seg| Ident {
                        name: seg.as_str().to_string(),
                        range: self.range(&seg),
                    })
                    .collect();
                Expr {
                    kind: ExprKind::Ref(segments),
                    range,
                }
            }
            rule => unreachable!("expression rule {rule:?}"),
        }
    }

    /// `cond ? then : otherwise`, or the plain expression when there is no `?`.
    fn conditional(&mut self, pair: Pair<'_, Rule>, range: TextRange) -> Expr {
        let mut parts = pair.into_inner();
        let cond = self.expr(parts.next().expect("expr body"));
        match (parts.next(), parts.next()) {
            (Some(then), Some(otherwise)) => Expr {
                kind: ExprKind::Cond(
                    Box::new(cond),
                    Box::new(self.expr(then)),
                    Box::new(self.expr(otherwise)),
                ),
                range,
            },
            _ => cond,
        }
    }

    /// `-x` and `!x`, innermost operator first; a negated number literal becomes the literal.
    fn unary(&mut self, pair: Pair<'_, Rule>) -> Expr {
        let mut parts: Vec<Pair<'_, Rule>> = pair.into_inner().collect();
        let operand = self.expr(parts.pop().expect("unary operand"));
        parts.into_iter().rev().fold(operand, |acc, op_pair| {
            let op = if op_pair.as_rule() == Rule::neg {
                UnaryOp::Neg
            } else {
                UnaryOp::Not
            };
            let range = TextRange::new(
                op_pair.as_span().start() + self.offset,
                acc.range.end as usize,
            );
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
        })
    }

    /// A primary followed by `.name` and `[key]`, left to right.
    fn postfix(&mut self, pair: Pair<'_, Rule>) -> Expr {
        let mut parts = pair.into_inner();
        let mut acc = self.expr(parts.next().expect("postfix primary"));
        for postfix in parts {
            let range = acc.range.cover(self.range(&postfix));
            let base = Box::new(acc);
            let kind = if postfix.as_rule() == Rule::attr {
                let name = self.ident(postfix.into_inner().next().expect("attr name"));
                ExprKind::Attr(base, Box::new(name))
            } else {
                let key = self.expr(postfix.into_inner().next().expect("index expr"));
                ExprKind::Index(base, Box::new(key))
            };
            acc = Expr { range, kind };
        }
        acc
    }

    /// `[for k, v in coll: value if cond]` and `{for k, v in coll: key => value if cond}`.
    fn comprehension(&mut self, pair: Pair<'_, Rule>, range: TextRange) -> Expr {
        let is_record = pair.as_rule() == Rule::record_for;
        let mut parts = pair.into_inner();
        let head = parts.next().expect("for head");
        let mut vars = Vec::new();
        let mut collection = None;
        for p in head.into_inner() {
            match p.as_rule() {
                Rule::ident => vars.push(self.ident(p)),
                Rule::expr => collection = Some(self.expr(p)),
                _ => {}
            }
        }
        let value_var = vars.pop().expect("for has a variable");
        let key_var = vars.pop();
        let first = self.expr(parts.next().expect("for value"));
        let (key, value) = if is_record {
            (
                Some(first),
                self.expr(parts.next().expect("for record value")),
            )
        } else {
            (None, first)
        };
        let condition = parts.next().map(|p| self.condition(p));
        Expr {
            kind: ExprKind::For(Box::new(ForExpr {
                key_var,
                value_var,
                collection: collection.expect("for has a collection"),
                key,
                value,
                condition,
            })),
            range,
        }
    }

    /// `{ key = value, ... }`.
    fn record(&mut self, pair: Pair<'_, Rule>, range: TextRange) -> Expr {
        let entries = pair
            .into_inner()
            .map(|entry| {
                let mut e = entry.into_inner();
                let key = self.record_key(e.next().expect("record key"));
                RecordEntry {
                    key,
                    value: self.expr_or_missing(e.next().expect("record value")).into(),
                }
            })
            .collect();
        Expr {
            kind: ExprKind::Record(entries),
            range,
        }
    }

    /// A record key: a name, or a quoted string without interpolation.
    fn record_key(&mut self, key_pair: Pair<'_, Rule>) -> Ident {
        match key_pair.as_rule() {
            Rule::string => {
                let r = self.range(&key_pair);
                let name = self.expr_of_string(key_pair).as_plain_str();
                if name.is_none() {
                    self.errors.push(SyntaxError {
                        // Diagnostic: E0100 syntax-error
                        code: E0100,
                        range: r,
                        message: "a record key cannot be interpolated".into(),
                        label: "keys are written as they are".into(),
                        help: Some("keys are merged across environments before anything is evaluated, so they are fixed text; build a map with computed keys with a comprehension: `{for k, v in m: \"${env}-${k}\" => v}`".into()),
                    });
                }
                Ident {
                    name: name.unwrap_or_default(),
                    range: r,
                }
            }
            _ => self.ident(key_pair),
        }
    }

    /// An integer literal; one too large for 64 bits is reported and missing.
    fn int_literal(&mut self, pair: Pair<'_, Rule>, range: TextRange) -> Expr {
        match pair.as_str().parse::<i64>() {
            Ok(n) => Expr {
                kind: ExprKind::Int(n),
                range,
            },
            Err(_) => {
                self.errors.push(SyntaxError {
                    // Diagnostic: E0100 syntax-error
                    code: E0100,
                    range,
                    message: "integer literal is too large".into(),
                    label: "does not fit in 64 bits".into(),
                    help: None,
                });
                Expr {
                    kind: ExprKind::Missing,
                    range,
                }
            }
        }
    }

    /// A float literal; one too large for a 64-bit float is reported and missing.
    fn float_literal(&mut self, pair: Pair<'_, Rule>, range: TextRange) -> Expr {
        match pair.as_str().parse::<f64>() {
            Ok(f) if f.is_finite() => Expr {
                kind: ExprKind::Float(Float(f)),
                range,
            },
            _ => {
                self.errors.push(SyntaxError {
                    // Diagnostic: E0100 syntax-error
                    code: E0100,
                    range,
                    message: "number literal is too large".into(),
                    label: "does not fit in a 64-bit float".into(),
                    help: None,
                });
                Expr {
                    kind: ExprKind::Missing,
                    range,
                }
            }
        }
    }

    fn expr_of_string(&mut self, pair: Pair<'_, Rule>) -> Expr {
        let range = self.range(&pair);
        let mut parts: Vec<StrPart> = Vec::new();
        let push_text = |parts: &mut Vec<StrPart>, text: &str| match parts.last_mut() {
            Some(StrPart::Text(last)) => last.push_str(text),
            _ => parts.push(StrPart::Text(text.to_string())),
        };
        for part in pair.into_inner() {
            match part.as_rule() {
                Rule::str_text => push_text(&mut parts, part.as_str()),
                Rule::escape => {
                    let unescaped = match part.as_str() {
                        "$${" => "${",
                        "\\n" => "\n",
                        "\\t" => "\t",
                        "\\r" => "\r",
                        "\\\"" => "\"",
                        "\\\\" => "\\",
                        other => {
                            let at = self.range(&part);
                            self.errors.push(SyntaxError {
                                // Diagnostic: E0100 syntax-error
                                code: E0100,
                                range: at,
                                message: format!("unknown escape `{other}`"),
                                label: "not an escape".into(),
                                help: Some(
                                    "the escapes are \\n, \\t, \\r, \\\", \\\\ and $${".into(),
                                ),
                            });
                            ""
                        }
                    };
                    push_text(&mut parts, unescaped);
                }
                Rule::interp => parts.push(StrPart::Interp(
                    self.expr(part.into_inner().next().expect("interp expr")),
                )),
                rule => unreachable!("string part {rule:?}"),
            }
        }
        Expr {
            kind: ExprKind::Str(parts),
            range,
        }
    }
}

/// Rule is a pest-generated name; this alias keeps the policy rule struct readable above.
type Rule_ = super::ast::Rule;

fn docs(pair: Pair<'_, Rule>) -> Option<String> {
    let lines: Vec<&str> = pair
        .into_inner()
        .map(|doc| doc.into_inner().next().map_or("", |t| t.as_str().trim()))
        .collect();
    (!lines.is_empty()).then(|| lines.join("\n"))
}

fn number(pair: &Pair<'_, Rule>) -> Number {
    match pair.as_rule() {
        Rule::float => Number::Float(Float(pair.as_str().parse().unwrap_or(0.0))),
        _ => Number::Int(pair.as_str().parse().unwrap_or(i64::MAX)),
    }
}

fn bin_op(rule: Rule) -> BinOp {
    match rule {
        Rule::or => BinOp::Or,
        Rule::and => BinOp::And,
        Rule::eq => BinOp::Eq,
        Rule::ne => BinOp::Ne,
        Rule::lt => BinOp::Lt,
        Rule::le => BinOp::Le,
        Rule::gt => BinOp::Gt,
        Rule::ge => BinOp::Ge,
        Rule::add => BinOp::Add,
        Rule::sub => BinOp::Sub,
        Rule::mul => BinOp::Mul,
        Rule::div => BinOp::Div,
        rule => unreachable!("binary operator {rule:?}"),
    }
}

/// Folds `a op b op c` by precedence (all operators are left-associative).
pub(super) fn fold_binary(operands: Vec<Expr>, ops: Vec<BinOp>) -> Expr {
    let mut output: Vec<Expr> = Vec::new();
    let mut stack: Vec<BinOp> = Vec::new();
    let reduce = |output: &mut Vec<Expr>, op: BinOp| {
        let rhs = output.pop().expect("rhs operand");
        let lhs = output.pop().expect("lhs operand");
        let range = lhs.range.cover(rhs.range);
        output.push(Expr {
            kind: ExprKind::Binary(op, Box::new(lhs), Box::new(rhs)),
            range,
        });
    };
    let mut operands = operands.into_iter();
    output.push(operands.next().expect("at least one operand"));
    for (op, operand) in ops.into_iter().zip(operands) {
        while stack
            .last()
            .is_some_and(|top| top.binds_tighter_or_equal(op))
        {
            let top = stack.pop().expect("checked non-empty");
            reduce(&mut output, top);
        }
        stack.push(op);
        output.push(operand);
    }
    while let Some(op) = stack.pop() {
        reduce(&mut output, op);
    }
    output.pop().expect("folded expression")
}
