//! Completion from the text before the cursor: the enclosing item and blocks (from a tolerant
//! lexer, so half-typed lines work), whether the cursor is at a key or a value, the dotted
//! prefix, and the type expected there.

use crate::db::{Db, SourceFile, Workspace};
use crate::model::module_sig;
use crate::project::{project_index, ProjectIndex};
use crate::source::TextRange;
use crate::syntax::{Item, ItemKind, Layer, ModuleDef};
use crate::types::{Ty, TypeResolver};

use super::lex::{self, CursorState, TokenKind};
use super::{shorten, slice};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CompletionKind {
    Keyword,
    Module,
    Input,
    Output,
    Param,
    Layer,
    Instance,
    Env,
    EnumValue,
    Builtin,
    Type,
    Field,
    Function,
    /// An item or member written out with placeholders; `insert_text` is in LSP snippet syntax.
    Snippet,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompletionItem {
    pub label: String,
    pub kind: CompletionKind,
    pub detail: Option<String>,
    /// Markdown.
    pub documentation: Option<String>,
    /// The text to insert instead of the label, when it differs.
    pub insert_text: Option<String>,
    /// The range that the item replaces: the part of the word already typed.
    pub replace: TextRange,
}

const TOP_KEYWORDS: &[&str] = &[
    "project", "type", "param", "let", "module", "layer", "env", "policy", "shared",
];
use crate::types::BUILTIN_TYPES;

use super::snippets::{Place, SNIPPETS};
const PROJECT_FIELDS: &[(&str, &str)] = &[
    ("region", "the default AWS region of every layer"),
    ("terraform", "`required_version` of every root module"),
    ("providers", "`required_providers` versions"),
    ("tags", "the provider's `default_tags`"),
    (
        "state",
        "the state bucket: `{ bucket, region, lock, dynamodb_table }`",
    ),
];

/// A bracket open before the cursor, with the statement that precedes it.
#[derive(Clone, Debug)]
struct Frame {
    open: char,
    header: Vec<String>,
    /// The keys assigned in this block before the cursor.
    keys: Vec<String>,
}

/// Where the cursor is.
struct Context {
    item_keyword: String,
    item_name: Option<String>,
    frames: Vec<Frame>,
    /// The tokens of the current statement in the innermost frame, before the typed word.
    statement: Vec<String>,
    /// `foundation.` before the typed word: `["foundation"]`.
    prefix: Vec<String>,
    in_string: bool,
    column0: bool,
}

impl Context {
    fn depth(&self) -> usize {
        self.frames.len()
    }

    /// The statement's key (`a.b.c` before `=`), when the cursor is in its value.
    fn value_key(&self) -> Option<Vec<String>> {
        let eq = self.statement.iter().position(|t| t == "=" || t == "+=")?;
        Some(path_of(&self.statement[..eq]))
    }
}

/// `a . b . c` tokens as a path.
fn path_of(tokens: &[String]) -> Vec<String> {
    tokens
        .iter()
        .filter(|t| t.as_str() != ".")
        .map(|t| t.trim_matches('"').to_string())
        .collect()
}

/// Where the word that ends at `offset` starts.
fn word_start(text: &str, offset: usize, in_word: impl Fn(char) -> bool) -> usize {
    text[..offset]
        .char_indices()
        .rev()
        .find(|(_, c)| !in_word(*c))
        .map_or(0, |(at, c)| at + c.len_utf8())
}

fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Completion items at `offset`.
pub fn completion(
    db: &dyn Db,
    workspace: Workspace,
    file: SourceFile,
    offset: u32,
) -> Vec<CompletionItem> {
    let text: &str = file.text(db);
    let mut offset = (offset as usize).min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let state = lex::state_at(text, offset);
    if state == CursorState::InComment {
        return Vec::new();
    }
    let in_string = state == CursorState::InString;
    let word_start = if in_string {
        word_start(text, offset, |c| {
            is_word_char(c) || c == '-' || c == '.' || c == '/'
        })
    } else {
        word_start(text, offset, is_word_char)
    };
    let replace = TextRange::new(word_start, offset);
    let Some(context) = context_at(text, word_start, in_string) else {
        return Vec::new();
    };
    let index = project_index(db, workspace);
    let local = local_item(text, offset);
    let mut out = Completer {
        db,
        index,
        local: local.as_ref(),
        replace,
        items: Vec::new(),
    };
    out.complete(&context);
    let typed = &text[word_start..offset];
    out.items
        .retain(|item| item.label.trim_matches('"').starts_with(typed) || typed.is_empty());
    out.items
        .sort_by(|a, b| (a.kind, &a.label).cmp(&(b.kind, &b.label)));
    out.items
        .dedup_by(|a, b| a.label == b.label && a.kind == b.kind);
    out.items
}

/// A name inserted at the cursor so that a half-typed item (`net.` with nothing after the dot)
/// still parses; completion reads the enclosing layer or module from this parse.
const CURSOR_NAME: &str = "__infrac_cursor__";

/// The item around the cursor, parsed with `CURSOR_NAME` inserted at the cursor.
fn local_item(text: &str, offset: usize) -> Option<Item> {
    let start = item_start(text, offset)?;
    let end = text[offset..]
        .split_inclusive('\n')
        .scan(offset, |at, line| {
            let line_start = *at;
            *at += line.len();
            Some((line_start, line))
        })
        .skip(1)
        .find(|(_, line)| starts_item(line))
        .map_or(text.len(), |(at, _)| at);
    let patched = format!(
        "{}{CURSOR_NAME}{}",
        &text[start..offset],
        &text[offset..end]
    );
    crate::syntax::parse(&patched)
        .items
        .into_iter()
        .next()
        .map(std::sync::Arc::unwrap_or_clone)
}

fn starts_item(line: &str) -> bool {
    TOP_KEYWORDS.iter().any(|k| {
        line.strip_prefix(k)
            .and_then(|rest| rest.chars().next())
            .is_some_and(|c| c == ' ' || c == '\t' || c == '{')
    })
}

/// The start of the top-level item around `offset`: the last line before it that starts with a
/// top-level keyword in column 0.
fn item_start(text: &str, offset: usize) -> Option<usize> {
    let mut start = None;
    let mut line_start = 0;
    for line in text[..offset].split_inclusive('\n') {
        if starts_item(line) {
            start = Some(line_start);
        }
        line_start += line.len();
    }
    start
}

fn context_at(text: &str, word_start: usize, in_string: bool) -> Option<Context> {
    let line_start = text[..word_start].rfind('\n').map_or(0, |n| n + 1);
    let before_word = &text[line_start..word_start];
    let column0 = before_word.is_empty();
    let Some(start) = item_start(text, word_start) else {
        return Some(Context {
            item_keyword: String::new(),
            item_name: None,
            frames: Vec::new(),
            statement: Vec::new(),
            prefix: Vec::new(),
            in_string,
            column0,
        });
    };
    let chunk = &text[start..word_start];
    let mut frames: Vec<Frame> = Vec::new();
    let mut statement: Vec<String> = Vec::new();
    let mut header_words: Vec<String> = Vec::new();
    for token in lex::lex(chunk) {
        let slice = token.text(chunk);
        match token.kind {
            TokenKind::LineComment | TokenKind::DocComment | TokenKind::BlockComment => {}
            TokenKind::Newline => {
                if frames.last().is_none_or(|f| f.open == '{') {
                    statement.clear();
                }
            }
            TokenKind::InterpOpen => {
                frames.push(Frame {
                    open: '$',
                    header: std::mem::take(&mut statement),
                    keys: Vec::new(),
                });
            }
            TokenKind::InterpClose => {
                if let Some(frame) = frames.pop() {
                    statement = frame.header;
                }
            }
            TokenKind::Punct if matches!(slice, "{" | "[" | "(") => {
                if frames.is_empty() && header_words.is_empty() {
                    header_words = statement.clone();
                }
                frames.push(Frame {
                    open: slice.chars().next().unwrap_or('{'),
                    header: std::mem::take(&mut statement),
                    keys: Vec::new(),
                });
            }
            TokenKind::Punct if matches!(slice, "}" | "]" | ")") => {
                if let Some(frame) = frames.pop() {
                    // After a nested value the statement goes on (`a = [1], b`), after a block
                    // it is over.
                    statement = if frame.open == '{' && frames.is_empty() {
                        Vec::new()
                    } else {
                        let mut s = frame.header;
                        s.push("<value>".into());
                        s
                    };
                }
            }
            TokenKind::Punct if slice == "," => {
                if frames.last().is_some_and(|f| f.open != '(') {
                    statement.clear();
                } else {
                    statement.push(",".into());
                }
            }
            _ => {
                let assigns =
                    matches!(slice, "=" | "+=") && !statement.iter().any(|t| t == "=" || t == "+=");
                if let (true, Some(frame)) = (assigns, frames.last_mut()) {
                    if frame.open == '{' {
                        if let Some(key) = statement.first() {
                            frame.keys.push(key.trim_matches('"').to_string());
                        }
                    }
                }
                statement.push(slice.to_string());
            }
        }
    }
    // The header of the item is the first statement of the chunk.
    let mut words = if header_words.is_empty() && frames.is_empty() {
        statement.clone()
    } else {
        header_words
    };
    if words.is_empty() {
        words = lex::lex(chunk)
            .iter()
            .filter(|t| t.kind == TokenKind::Ident)
            .take(2)
            .map(|t| t.text(chunk).to_string())
            .collect();
    }
    // `shared layer NAME` is a layer.
    if words.len() > 1 && words[0] == "shared" && words[1] == "layer" {
        words.remove(0);
    }
    let item_keyword = words.first().cloned().unwrap_or_default();
    let item_name = words.get(1).cloned();
    // The dotted prefix: `a.b.` right before the typed word.
    let mut prefix = Vec::new();
    if !in_string {
        let mut idx = statement.len();
        while idx >= 2 && statement[idx - 1] == "." {
            let seg = &statement[idx - 2];
            if !(seg.chars().all(is_word_char) || seg == "*" || seg.starts_with('"')) {
                break;
            }
            prefix.insert(0, seg.trim_matches('"').to_string());
            idx -= 2;
        }
        statement.truncate(idx);
    }
    Some(Context {
        item_keyword,
        item_name,
        frames,
        statement,
        prefix,
        in_string,
        column0,
    })
}

struct Completer<'a> {
    db: &'a dyn Db,
    index: &'a ProjectIndex,
    /// The item around the cursor, parsed with the cursor patched in.
    local: Option<&'a Item>,
    replace: TextRange,
    items: Vec<CompletionItem>,
}

/// Where names in a value come from.
enum ValueScope<'a> {
    Params,
    Layer(&'a Layer),
    ModuleInputs(&'a ModuleDef),
}

impl<'a> Completer<'a> {
    fn push(
        &mut self,
        label: impl Into<String>,
        kind: CompletionKind,
        detail: Option<String>,
        documentation: Option<String>,
    ) {
        self.items.push(CompletionItem {
            label: label.into(),
            kind,
            detail,
            documentation,
            insert_text: None,
            replace: self.replace,
        });
    }

    fn layer(&self, name: &str) -> Option<&'a Layer> {
        if let Some(Item {
            kind: ItemKind::Layer(layer),
            ..
        }) = self.local
        {
            if layer.name.name == name {
                return Some(layer);
            }
        }
        match &self.index.layers.get(name)?.item(self.db).kind {
            ItemKind::Layer(layer) => Some(layer),
            _ => None,
        }
    }

    fn module(&self, name: &str) -> Option<&'a ModuleDef> {
        if let Some(Item {
            kind: ItemKind::Module(module),
            ..
        }) = self.local
        {
            if module.name.name == name {
                return Some(module);
            }
        }
        match &self.index.modules.get(name)?.item(self.db).kind {
            ItemKind::Module(module) => Some(module),
            _ => None,
        }
    }

    fn complete(&mut self, cx: &Context) {
        if cx.item_keyword.is_empty() || (cx.depth() == 0 && cx.column0 && cx.statement.is_empty())
        {
            if cx.column0 {
                self.keywords(TOP_KEYWORDS);
                self.snippets(Place::Top);
            }
            return;
        }
        if cx.depth() == 0 {
            self.item_header(cx);
            return;
        }
        if cx.frames[0].open != '{' {
            // Inside the parentheses or type of an item header.
            if cx.item_keyword == "layer" {
                return;
            }
            self.types_after_colon(cx);
            return;
        }
        match cx.item_keyword.as_str() {
            "layer" => self.in_layer(cx),
            "env" => self.in_env(cx),
            "module" => self.in_module(cx),
            "policy" => self.in_policy(cx),
            "project" => self.in_project(cx),
            "param" | "type" => self.types_after_colon(cx),
            _ => {}
        }
    }

    /// The snippets that may start at this place.
    fn snippets(&mut self, place: Place) {
        for snippet in SNIPPETS.iter().filter(|s| s.place == place) {
            self.items.push(CompletionItem {
                label: snippet.prefix.to_string(),
                kind: CompletionKind::Snippet,
                detail: Some(snippet.description.to_string()),
                documentation: Some(format!("```infra\n{}\n```", snippet.body)),
                insert_text: Some(snippet.body.to_string()),
                replace: self.replace,
            });
        }
    }

    fn keywords(&mut self, words: &[&str]) {
        for word in words {
            self.push(*word, CompletionKind::Keyword, None, None);
        }
    }

    /// `env pro extends |`, `layer x(k) for |`, `policy p for |`, `param x: |`.
    fn item_header(&mut self, cx: &Context) {
        let words = &cx.statement;
        let last = words.last().map(String::as_str);
        match (cx.item_keyword.as_str(), last) {
            ("env", Some("extends")) => {
                for env in self.index.envs.keys() {
                    if Some(env) != cx.item_name.as_ref() {
                        let doc = self.index.envs[env].item(self.db).doc.clone();
                        self.push(env, CompletionKind::Env, Some("environment".into()), doc);
                    }
                }
            }
            ("env", _) if words.len() == 2 => self.keywords(&["extends"]),
            ("policy", Some("for" | "across" | ",")) => {
                for env in self.index.envs.keys() {
                    self.push(env, CompletionKind::Env, Some("environment".into()), None);
                }
            }
            ("policy", _) if words.len() == 2 => self.keywords(&["for", "across"]),
            ("layer", Some("for")) => self.params(),
            ("shared", _) if words.len() == 1 => self.keywords(&["layer"]),
            ("param" | "type", _) => {
                if words.iter().any(|w| w == "=") && cx.item_keyword == "param" {
                    let expected = cx.item_name.as_deref().and_then(|p| self.param_type(p));
                    self.value(cx, &ValueScope::Params, expected.as_ref());
                } else if matches!(last, Some(":" | "=" | "<" | ",")) {
                    self.types();
                }
            }
            _ => {}
        }
    }

    fn types_after_colon(&mut self, cx: &Context) {
        if matches!(
            cx.statement.last().map(String::as_str),
            Some(":" | "<" | "const")
        ) || (cx.frames.last().is_some_and(|f| f.open == '(') && cx.statement.is_empty())
        {
            self.types();
        }
    }

    fn types(&mut self) {
        for ty in BUILTIN_TYPES {
            self.push(*ty, CompletionKind::Type, Some("builtin type".into()), None);
        }
        let types: Vec<(String, Option<String>)> = self
            .index
            .types
            .iter()
            .map(|(name, r)| (name.clone(), r.item(self.db).doc.clone()))
            .collect();
        for (name, doc) in types {
            self.push(name, CompletionKind::Type, Some("type".into()), doc);
        }
    }

    fn params(&mut self) {
        let params: Vec<(String, String, Option<String>)> = self
            .index
            .params
            .iter()
            .filter_map(|(name, r)| {
                let item = r.item(self.db);
                let ItemKind::Param(param) = &item.kind else {
                    return None;
                };
                Some((
                    name.clone(),
                    slice(self.db, r.file, param.ty.range),
                    item.doc.clone(),
                ))
            })
            .collect();
        for (name, ty, doc) in params {
            let is_let = matches!(
                self.index.params.get(&name).map(|r| &r.item(self.db).kind),
                Some(ItemKind::Param(p)) if p.is_let
            );
            let detail = if is_let {
                "let".to_string()
            } else {
                format!("param: {ty}")
            };
            self.push(name, CompletionKind::Param, Some(detail), doc);
        }
    }

    /// Every function, with its signature, inserted with its opening parenthesis.
    fn functions(&mut self) {
        for function in crate::functions::FUNCTIONS {
            self.items.push(CompletionItem {
                label: function.name.to_string(),
                kind: CompletionKind::Function,
                detail: Some(function.text.to_string()),
                documentation: Some(function.doc.to_string()),
                insert_text: Some(format!("{}(", function.name)),
                replace: self.replace,
            });
        }
    }

    fn param_type(&self, name: &str) -> Option<Ty> {
        let item_ref = self.index.params.get(name)?;
        let ItemKind::Param(param) = &item_ref.item(self.db).kind else {
            return None;
        };
        let mut ignored = Vec::new();
        Some(TypeResolver::new(self.db, self.index).resolve(item_ref.file, &param.ty, &mut ignored))
    }

    fn input_type(&self, module: &str, input: &str) -> Option<Ty> {
        let sig = crate::model::kind_sig(self.db, self.index, module)?;
        sig.inputs
            .into_iter()
            .find(|i| i.name == input)
            .map(|i| i.ty)
    }

    /// The type of the value at a path into an environment's values.
    fn type_at(&self, path: &[String]) -> Option<Ty> {
        let (head, rest) = path.split_first()?;
        let (mut ty, fields) = if self.index.params.contains_key(head) {
            (self.param_type(head)?, rest)
        } else {
            let layer = self.layer(head)?;
            let [instance, input, fields @ ..] = rest else {
                return None;
            };
            let instance = layer.instances.iter().find(|i| i.name.name == *instance)?;
            (self.input_type(&instance.kind.name, input)?, fields)
        };
        for field in fields {
            ty = match ty.resolved() {
                Ty::Record(record) => record.iter().find(|f| f.name == *field)?.ty.clone(),
                Ty::Map(inner) => (**inner).clone(),
                Ty::List(inner) if field == "[]" => (**inner).clone(),
                _ => return None,
            };
        }
        Some(ty)
    }

    /// The attributes one may set on an instance of a resource type (required first), those
    /// already set left out.
    fn resource_attributes(&mut self, kind: &str, set: &[String]) {
        let Some(sig) = crate::model::kind_sig(self.db, self.index, kind) else {
            return;
        };
        if sig.resource.is_none() {
            return;
        }
        let mut inputs: Vec<&crate::model::InputSig> = sig.inputs.iter().collect();
        inputs.sort_by_key(|i| (i.default.is_some(), i.name.clone()));
        for input in inputs {
            if set.contains(&input.name) {
                continue;
            }
            let required = if input.default.is_none() {
                " (required)"
            } else {
                ""
            };
            self.items.push(CompletionItem {
                label: input.name.clone(),
                kind: CompletionKind::Input,
                detail: Some(format!("{}{required}", input.ty.brief())),
                documentation: input.doc.clone(),
                insert_text: Some(format!("{} = ", input.name)),
                replace: self.replace,
            });
        }
    }

    /// The module inputs of an instance, those already set left out.
    fn inputs(&mut self, kind: &str, set: &[String]) {
        let Some(item_ref) = self.index.modules.get(kind).copied() else {
            self.resource_attributes(kind, set);
            return;
        };
        let mut ignored = Vec::new();
        let Some(sig) = module_sig(self.db, self.index, item_ref, &mut ignored) else {
            return;
        };
        let Some(module) = self.module(kind) else {
            return;
        };
        for input in &sig.inputs {
            if set.contains(&input.name) {
                continue;
            }
            let detail = match module.inputs.iter().find(|d| d.name.name == input.name) {
                Some(decl) => {
                    let default = decl.default.as_ref().map(|d| {
                        format!(
                            " = {}",
                            shorten(&slice(self.db, item_ref.file, d.range), 40)
                        )
                    });
                    format!(
                        "{}{}",
                        slice(self.db, item_ref.file, decl.ty.range),
                        default.unwrap_or_else(|| " (required)".into())
                    )
                }
                // Read from the module's Terraform: its default as Terraform writes it.
                None => {
                    let default = input.terraform.as_ref().and_then(|(_, d)| d.as_ref());
                    let default = default.map(|d| format!(" = {}", shorten(d, 40)));
                    format!(
                        "{}{}",
                        input.ty,
                        default.unwrap_or_else(|| " (required)".into())
                    )
                }
            };
            let mut doc = input.doc.clone().unwrap_or_default();
            if let Ty::Enum(values) = input.ty.resolved() {
                doc.push_str(&format!(
                    "\n\nOne of: {}",
                    values
                        .iter()
                        .map(|v| format!("`\"{v}\"`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
            self.items.push(CompletionItem {
                label: input.name.clone(),
                kind: CompletionKind::Input,
                detail: Some(detail),
                documentation: (!doc.trim().is_empty()).then(|| doc.trim().to_string()),
                insert_text: Some(format!("{} = ", input.name)),
                replace: self.replace,
            });
        }
        let import = crate::model::IMPORT_ATTRIBUTE;
        if !set.iter().any(|s| s == import) && !sig.inputs.iter().any(|i| i.name == import) {
            self.items.push(CompletionItem {
                label: import.to_string(),
                kind: CompletionKind::Input,
                detail: Some("map<string> (resource address => cloud id)".into()),
                documentation: Some(
                    "Adopts existing resources into this instance: `{ \"aws_s3_bucket.this\" = \"ID\" }`, emitted as Terraform `import` blocks.".into(),
                ),
                insert_text: Some(format!("{import} = ")),
                replace: self.replace,
            });
        }
    }

    fn fields_of(&mut self, ty: &Ty, set: &[String]) {
        if let Ty::Record(fields) = ty.resolved() {
            for field in fields {
                if set.contains(&field.name) {
                    continue;
                }
                self.items.push(CompletionItem {
                    label: field.name.clone(),
                    kind: CompletionKind::Field,
                    detail: Some(field.ty.to_string()),
                    documentation: field.doc.clone(),
                    insert_text: Some(format!("{} = ", field.name)),
                    replace: self.replace,
                });
            }
        }
    }

    fn in_layer(&mut self, cx: &Context) {
        let Some(layer) = cx.item_name.as_deref().and_then(|n| self.layer(n)) else {
            // A layer that does not parse yet: still offer module names at an instance's start.
            if cx.depth() == 1 && cx.statement.is_empty() {
                self.modules();
                self.keywords(&["output"]);
                self.snippets(Place::LayerBody);
            }
            return;
        };
        if cx.depth() == 1 {
            if cx.statement.is_empty() && cx.prefix.is_empty() {
                self.modules();
                self.keywords(&["output"]);
                self.snippets(Place::LayerBody);
            } else if cx.statement.first().is_some_and(|w| w == "output") {
                if cx.statement.iter().any(|w| w == "=") {
                    self.value(cx, &ValueScope::Layer(layer), None);
                } else if cx.statement.last().is_some_and(|w| w == ":") {
                    self.types();
                }
            }
            return;
        }
        // Inside an instance (or deeper, inside one of its values).
        let header = &cx.frames[1].header;
        // `data KIND NAME {`: a data source, keyed `data.KIND`.
        let (kind, instance) = match header.as_slice() {
            [data, kind, instance, ..] if data == "data" => (
                Some(format!("{}{kind}", crate::model::DATA_PREFIX)),
                Some(instance),
            ),
            _ => (header.first().cloned(), header.get(1)),
        };
        let (Some(kind), Some(instance)) = (kind, instance) else {
            // `output x: T = {` or similar: a value.
            self.value(cx, &ValueScope::Layer(layer), None);
            return;
        };
        let mut path = vec![layer.name.name.clone(), instance.clone()];
        path.extend(nested_path(&cx.frames[2..]));
        self.block_position(cx, &path, &ValueScope::Layer(layer), Some(&kind));
    }

    /// A key or a value inside a block whose values live at `path`.
    fn block_position(
        &mut self,
        cx: &Context,
        path: &[String],
        scope: &ValueScope<'_>,
        instance_kind: Option<&String>,
    ) {
        let in_list = cx.frames.last().is_some_and(|f| f.open != '{');
        match cx.value_key() {
            Some(key) => {
                let mut full = path.to_vec();
                full.extend(key);
                if in_list {
                    full.push("[]".into());
                }
                let expected = self.type_at(&full);
                self.value(cx, scope, expected.as_ref());
            }
            None if in_list => {
                let mut full = path.to_vec();
                full.push("[]".into());
                let expected = self.type_at(&full);
                self.value(cx, scope, expected.as_ref());
            }
            None if cx.prefix.is_empty() => {
                let set = self.keys_set_in_block(cx, path);
                if path.len() == 2 && self.layer(&path[0]).is_some() {
                    let kind = instance_kind.cloned().or_else(|| {
                        self.layer(&path[0])?
                            .instances
                            .iter()
                            .find(|i| i.name.name == path[1])
                            .map(|i| i.kind_name().into_owned())
                    });
                    if let Some(kind) = kind {
                        self.inputs(&kind, &set);
                    }
                } else if let Some(ty) = self.type_at(path) {
                    self.fields_of(&ty, &set);
                }
            }
            None => {}
        }
    }

    /// The keys already set in the innermost block: before the cursor (from the text) and, for
    /// an instance that parses, after it too.
    fn keys_set_in_block(&self, cx: &Context, path: &[String]) -> Vec<String> {
        let mut keys = cx.frames.last().map(|f| f.keys.clone()).unwrap_or_default();
        let in_instance_block = cx.item_keyword == "layer" && cx.frames.len() == 2;
        if let ([layer, instance], true) = (path, in_instance_block) {
            if let Some(found) = self
                .layer(layer)
                .and_then(|l| l.instances.iter().find(|i| i.name.name == *instance))
            {
                keys.extend(
                    found
                        .body
                        .entries
                        .iter()
                        .filter_map(|e| e.path.first())
                        .filter(|k| k.name != CURSOR_NAME)
                        .map(|k| k.name.clone()),
                );
            }
        }
        keys
    }

    fn modules(&mut self) {
        let modules: Vec<(String, Option<String>, String)> = self
            .index
            .modules
            .iter()
            .map(|(name, r)| {
                let item = r.item(self.db);
                let source = match &item.kind {
                    ItemKind::Module(m) => m
                        .source
                        .as_ref()
                        .map_or_else(|| format!("stdlib/{name}"), |(s, _)| s.clone()),
                    _ => String::new(),
                };
                (name.clone(), item.doc.clone(), source)
            })
            .collect();
        let removed = crate::model::REMOVED_KIND;
        let reserved = !modules.iter().any(|(name, _, _)| name == removed);
        for (name, doc, source) in modules {
            self.push(
                name,
                CompletionKind::Module,
                Some(format!("module ({source})")),
                doc,
            );
        }
        // The resource types of the providers whose schemas are cached.
        for schema in self.index.schemas.values() {
            let index = crate::schema::schema_index(self.db, *schema);
            let detail = format!(
                "resource type ({} {})",
                schema.source(self.db),
                schema.version(self.db)
            );
            for name in index.names(crate::schema::EntryKind::Resource) {
                self.push(
                    name.to_string(),
                    CompletionKind::Module,
                    Some(detail.clone()),
                    None,
                );
            }
        }
        if reserved {
            self.push(
                removed.to_string(),
                CompletionKind::Keyword,
                Some("removed NAME {}".into()),
                Some("An instance taken out of the source: Terraform forgets its resources instead of destroying them.".into()),
            );
        }
    }

    fn in_env(&mut self, cx: &Context) {
        if cx.depth() == 1 {
            match cx.value_key() {
                Some(key) => {
                    let scope = match key.first().and_then(|h| self.layer(h)) {
                        Some(layer) => ValueScope::Layer(layer),
                        None => ValueScope::Params,
                    };
                    let expected = self.type_at(&key);
                    self.value(cx, &scope, expected.as_ref());
                }
                None if cx.statement.is_empty() => self.env_path(&cx.prefix, false),
                None => {}
            }
            return;
        }
        // Inside a record assigned by an entry.
        let path = nested_path(&cx.frames[1..]);
        let scope = match path.first().and_then(|h| self.layer(h)) {
            Some(layer) => ValueScope::Layer(layer),
            None => ValueScope::Params,
        };
        self.block_position(cx, &path, &scope, None);
    }

    /// A path into the environment's values: parameters, layers, instances, inputs, fields.
    fn env_path(&mut self, prefix: &[String], across: bool) {
        match prefix {
            [] => {
                self.params();
                let layers: Vec<(String, Option<String>)> = self
                    .index
                    .layers
                    .iter()
                    .map(|(n, r)| (n.clone(), r.item(self.db).doc.clone()))
                    .collect();
                for (name, doc) in layers {
                    self.push(name, CompletionKind::Layer, Some("layer".into()), doc);
                }
                self.push(
                    "project",
                    CompletionKind::Builtin,
                    Some("project".into()),
                    None,
                );
                if across {
                    for env in self.index.envs.keys() {
                        self.push(env, CompletionKind::Env, Some("environment".into()), None);
                    }
                }
            }
            [head, rest @ ..] if across && self.index.envs.contains_key(head) => {
                self.env_path(rest, false)
            }
            [project] if project == "project" => {
                for (field, doc) in PROJECT_FIELDS {
                    self.push(
                        *field,
                        CompletionKind::Field,
                        Some("project field".into()),
                        Some((*doc).into()),
                    );
                }
            }
            [layer] if self.layer(layer).is_some() => {
                let instances: Vec<(String, String, Option<String>)> = self
                    .layer(layer)
                    .map(|l| {
                        l.instances
                            .iter()
                            .map(|i| (i.name.name.clone(), i.kind.name.clone(), i.doc.clone()))
                            .collect()
                    })
                    .unwrap_or_default();
                for (name, kind, doc) in instances {
                    self.push(name, CompletionKind::Instance, Some(kind), doc);
                }
            }
            [layer, instance] if self.layer(layer).is_some() => {
                let kind = self.layer(layer).and_then(|l| {
                    l.instances
                        .iter()
                        .find(|i| i.name.name == *instance)
                        .map(|i| i.kind_name().into_owned())
                });
                if let Some(kind) = kind {
                    let set = self.overridden_here(&[layer.clone(), instance.clone()]);
                    self.inputs(&kind, &set);
                    for item in &mut self.items {
                        item.insert_text = None;
                    }
                }
            }
            path => {
                if let Some(ty) = self.type_at(path) {
                    self.fields_of(&ty, &[]);
                    for item in &mut self.items {
                        item.insert_text = None;
                    }
                }
            }
        }
    }

    /// The keys under `prefix` that the environment around the cursor sets already, as
    /// `prefix.key = ...` or inside `prefix = { key = ... }`.
    fn overridden_here(&self, prefix: &[String]) -> Vec<String> {
        let Some(Item {
            kind: ItemKind::Env(env),
            ..
        }) = self.local
        else {
            return Vec::new();
        };
        let mut keys = Vec::new();
        for entry in &env.body.entries {
            let path: Vec<&str> = entry.path.iter().map(|s| s.name.as_str()).collect();
            if path.len() == prefix.len() + 1 && path[..prefix.len()] == *prefix {
                keys.push(path[prefix.len()].to_string());
            } else if path == prefix {
                if let crate::syntax::ExprKind::Record(fields) = &entry.value.kind {
                    keys.extend(fields.iter().map(|f| f.key.name.clone()));
                }
            }
        }
        keys.retain(|k| k != CURSOR_NAME);
        keys
    }

    fn in_module(&mut self, cx: &Context) {
        let Some(module) = cx.item_name.as_deref().and_then(|n| self.module(n)) else {
            if cx.statement.is_empty() {
                self.keywords(&["input", "output", "source"]);
                self.snippets(Place::ModuleBody);
            }
            return;
        };
        if cx.depth() > 1 || cx.statement.iter().any(|w| w == "=") {
            if cx.statement.first().is_some_and(|w| w == "input") {
                let expected = cx
                    .statement
                    .get(1)
                    .and_then(|input| self.input_type(&module.name.name, input));
                self.value(cx, &ValueScope::ModuleInputs(module), expected.as_ref());
            }
            return;
        }
        if cx.statement.is_empty() {
            self.keywords(&["input", "output", "source"]);
            self.snippets(Place::ModuleBody);
        } else if matches!(
            cx.statement.last().map(String::as_str),
            Some(":" | "const" | "<")
        ) {
            self.types();
        }
    }

    fn in_policy(&mut self, cx: &Context) {
        if cx.depth() > 1 && cx.frames.last().is_some_and(|f| f.open == '{') {
            return;
        }
        match cx.statement.first().map(String::as_str) {
            None => self.keywords(&["require"]),
            Some("require") => {
                let across = self.is_across(cx);
                let last = cx.statement.last().map(String::as_str);
                let at_operand = cx.statement.len() == 1
                    || matches!(
                        last,
                        Some("==" | "!=" | "<" | "<=" | ">" | ">=" | "&&" | "||" | "!" | "(")
                    );
                if at_operand {
                    self.env_path(&cx.prefix, across);
                }
            }
            _ => {}
        }
    }

    fn is_across(&self, cx: &Context) -> bool {
        self.index.policies.iter().any(|r| {
            matches!(&r.item(self.db).kind, ItemKind::Policy(p)
                if Some(&p.name.name) == cx.item_name.as_ref() && p.across)
        })
    }

    fn in_project(&mut self, cx: &Context) {
        if cx.depth() == 1 && cx.value_key().is_none() {
            if cx.statement.is_empty() {
                self.env_path(&["project".to_string()], false);
            }
            return;
        }
        let key = cx.value_key().unwrap_or_default();
        let mut path: Vec<String> = nested_path(&cx.frames[1..]);
        path.extend(key);
        if cx.in_string && path.last().is_some_and(|k| k == "lock") {
            for value in ["lockfile", "dynamodb"] {
                self.push(
                    value,
                    CompletionKind::EnumValue,
                    Some("state.lock".into()),
                    None,
                );
            }
            return;
        }
        if cx.value_key().is_some() {
            self.value(cx, &ValueScope::Params, None);
        } else if path == ["state"] {
            for field in ["bucket", "region", "lock", "dynamodb_table"] {
                self.push(field, CompletionKind::Field, Some("state".into()), None);
            }
        }
    }

    /// A value: enum values inside a string, members after `name.`, names in scope otherwise.
    fn value(&mut self, cx: &Context, scope: &ValueScope<'_>, expected: Option<&Ty>) {
        let in_interpolation = cx.frames.last().is_some_and(|f| f.open == '$');
        if cx.in_string && !in_interpolation {
            if let Some(Ty::Enum(values)) = expected.map(Ty::resolved) {
                for value in values {
                    self.push(
                        value.clone(),
                        CompletionKind::EnumValue,
                        expected.map(|t| t.to_string()),
                        None,
                    );
                }
            }
            return;
        }
        if !cx.prefix.is_empty() {
            self.members(&cx.prefix, scope);
            return;
        }
        if let Some(Ty::Enum(values)) = expected.map(Ty::resolved) {
            for value in values {
                self.push(
                    format!("\"{value}\""),
                    CompletionKind::EnumValue,
                    expected.map(|t| t.to_string()),
                    None,
                );
            }
        }
        if let Some(Ty::Bool) = expected.map(Ty::resolved) {
            self.keywords(&["true", "false"]);
        }
        match scope {
            ValueScope::Layer(layer) => {
                let instances: Vec<(String, String, Option<String>)> = layer
                    .instances
                    .iter()
                    .map(|i| (i.name.name.clone(), i.kind.name.clone(), i.doc.clone()))
                    .collect();
                for (name, kind, doc) in instances {
                    self.push(name, CompletionKind::Instance, Some(kind), doc);
                }
                if let Some(repeat) = &layer.repeat {
                    for var in std::iter::once(&repeat.key).chain(repeat.value.as_ref()) {
                        self.push(
                            var.name.clone(),
                            CompletionKind::Builtin,
                            Some(format!("from `{}`", repeat.over.name)),
                            None,
                        );
                    }
                }
                for named in &layer.lets {
                    self.push(
                        named.name.name.clone(),
                        CompletionKind::Builtin,
                        Some("let (this layer)".into()),
                        named.doc.clone(),
                    );
                }
                // The variables of repeated instances, for their bodies.
                for instance in &layer.instances {
                    if let Some(repeat) = &instance.repeat {
                        for var in std::iter::once(&repeat.key).chain(repeat.value.as_ref()) {
                            self.push(
                                var.name.clone(),
                                CompletionKind::Builtin,
                                Some(format!("key of `{}`", instance.name.name)),
                                None,
                            );
                        }
                    }
                }
                self.functions();
                let layers: Vec<(String, Option<String>)> = self
                    .index
                    .layers
                    .iter()
                    .filter(|(n, _)| **n != layer.name.name)
                    .map(|(n, r)| (n.clone(), r.item(self.db).doc.clone()))
                    .collect();
                for (name, doc) in layers {
                    self.push(name, CompletionKind::Layer, Some("layer".into()), doc);
                }
                self.params();
                self.builtins(&["env", "project", "region", "layer", "instance"]);
            }
            ValueScope::Params => {
                self.params();
                self.functions();
                self.builtins(&["env", "project", "region"]);
            }
            ValueScope::ModuleInputs(module) => {
                for input in &module.inputs {
                    self.push(
                        input.name.name.clone(),
                        CompletionKind::Input,
                        None,
                        input.doc.clone(),
                    );
                }
                self.builtins(&["env", "project", "region", "layer", "instance"]);
            }
        }
    }

    fn builtins(&mut self, names: &[&str]) {
        for name in names {
            self.push(*name, CompletionKind::Builtin, Some("builtin".into()), None);
        }
    }

    /// After `name.`: a layer's outputs, an instance's module outputs, a record's fields.
    fn members(&mut self, prefix: &[String], scope: &ValueScope<'_>) {
        let [head, rest @ ..] = prefix else {
            return;
        };
        if let ValueScope::Layer(layer) = scope {
            if rest.is_empty() {
                if let Some(instance) = layer.instances.iter().find(|i| i.name.name == *head) {
                    let kind = instance.kind_name().into_owned();
                    if !self.index.modules.contains_key(&kind) {
                        if let Some(sig) = crate::model::kind_sig(self.db, self.index, &kind) {
                            for output in sig.outputs {
                                self.push(
                                    output.name,
                                    CompletionKind::Output,
                                    Some(format!("{}: attribute of `{kind}`", output.ty.brief())),
                                    output.doc,
                                );
                            }
                        }
                    }
                    if let Some(item_ref) = self.index.modules.get(&kind).copied() {
                        let mut ignored = Vec::new();
                        if let Some(sig) = module_sig(self.db, self.index, item_ref, &mut ignored) {
                            for output in sig.outputs {
                                self.push(
                                    output.name,
                                    CompletionKind::Output,
                                    Some(format!("{}: output of `{kind}`", output.ty)),
                                    output.doc,
                                );
                            }
                        }
                    }
                    return;
                }
                if let Some(other) = self.layer(head) {
                    let outputs: Vec<(String, String, Option<String>)> = other
                        .outputs
                        .iter()
                        .map(|o| {
                            let file = self.index.layers[head].file;
                            (
                                o.name.name.clone(),
                                slice(self.db, file, o.ty.range),
                                o.doc.clone(),
                            )
                        })
                        .collect();
                    for (name, ty, doc) in outputs {
                        self.push(
                            name,
                            CompletionKind::Output,
                            Some(format!("{ty}: output of layer `{head}`")),
                            doc,
                        );
                    }
                    return;
                }
            }
            if let Some(repeat) = &layer.repeat {
                if repeat.value.as_ref().is_some_and(|v| v.name == *head) {
                    if let Some(ty) = self.param_type(&repeat.over.name) {
                        let element = match ty.resolved() {
                            Ty::Map(inner) | Ty::List(inner) => Some((**inner).clone()),
                            _ => None,
                        };
                        if let Some(mut ty) = element {
                            for field in rest {
                                match ty.resolved() {
                                    Ty::Record(fields) => {
                                        match fields.iter().find(|f| f.name == *field) {
                                            Some(f) => ty = f.ty.clone(),
                                            None => return,
                                        }
                                    }
                                    _ => return,
                                }
                            }
                            self.fields_of(&ty, &[]);
                            for item in &mut self.items {
                                item.insert_text = None;
                            }
                        }
                    }
                    return;
                }
            }
        }
        if self.index.params.contains_key(head) {
            if let Some(ty) = self.type_at(prefix) {
                self.fields_of(&ty, &[]);
                for item in &mut self.items {
                    item.insert_text = None;
                }
            }
        }
    }
}

/// The keys of the entries that opened the nested record frames: `a = {` gives `a`.
fn nested_path(frames: &[Frame]) -> Vec<String> {
    let mut path = Vec::new();
    for frame in frames {
        match frame.open {
            '{' => {
                let eq = frame.header.iter().position(|t| t == "=" || t == "+=");
                if let Some(eq) = eq {
                    path.extend(path_of(&frame.header[..eq]));
                } else if frame.header.is_empty() {
                    // A record inside a list.
                } else {
                    path.extend(path_of(&frame.header));
                }
            }
            '[' => {
                let eq = frame.header.iter().position(|t| t == "=" || t == "+=");
                if let Some(eq) = eq {
                    path.extend(path_of(&frame.header[..eq]));
                }
                path.push("[]".into());
            }
            _ => {}
        }
    }
    path
}
