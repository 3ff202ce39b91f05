//! The bodies of the fuzz targets, shared by `cargo fuzz` (`fuzz_targets/`) and by the plain test
//! `tests/tests/fuzz_like.rs`, which runs them on a seeded generator for a fixed number of
//! executions.
//!
//! Each target takes arbitrary bytes and must never panic:
//! - `parse_check`: the bytes (lossy UTF-8) are an environment file next to a small valid project;
//!   the project is checked in every environment and every clean one is emitted.
//! - `mutate_envs`: the bytes drive token splices into the real `environments/*.infra`.
//! - `edit_sequence`: the bytes drive a sequence of edits applied with `set_file_text` to one
//!   database (the language server's document-change path), checking after each edit.

use std::path::PathBuf;
use std::sync::Arc;

use infrac_core::config::EnvName;
use infrac_core::db::{RootDatabase, SourceFile, Workspace};
use infrac_emit::analysis::{
    check_env, emit_env, envs_in_file, project_diagnostics, set_file_text, stdlib_files,
};

/// The default system, as the fuzzers' raw material.
pub const ENVIRONMENTS: &[(&str, &str)] = &[
    ("base.infra", include_str!("../../environments/base.infra")),
    ("dev.infra", include_str!("../../environments/dev.infra")),
    (
        "layers.infra",
        include_str!("../../environments/layers.infra"),
    ),
    (
        "policies.infra",
        include_str!("../../environments/policies.infra"),
    ),
    ("pre.infra", include_str!("../../environments/pre.infra")),
    ("pro.infra", include_str!("../../environments/pro.infra")),
];

/// The small valid project that `parse_check` puts its input next to.
pub const SMALL_PROJECT: &[(&str, &str)] = &[(
    "base.infra",
    r#"project shop {
  region = "eu-west-1"
  state  = { bucket = "shop-tfstate-${env}" }
}
param azs: int(1..6) = 2
param names: list<string> = ["a"]
layer foundation {
  kms_key main { description = "foundation" }
  network vpc {
    cidr        = "10.0.0.0/16"
    azs         = azs
    kms_key_arn = main.arn
  }
  output vpc_id: string = vpc.vpc_id
}
layer data {
  s3_bucket files { kms_key_arn = foundation.vpc_id }
}
env dev {
  azs = 3
}
"#,
)];

/// Tokens spliced by the mutators: the language's punctuation and keywords, odd characters, and
/// fragments of real declarations.
pub const TOKENS: &[&str] = &[
    "{",
    "}",
    "[",
    "]",
    "(",
    ")",
    "<",
    ">",
    "\"",
    "${",
    "$${",
    "=",
    "+=",
    "==",
    ".",
    "..",
    ",",
    ":",
    "?",
    "*",
    "/",
    "//",
    "///",
    "/*",
    "*/",
    "\n",
    "\r\n",
    "\r",
    " ",
    "\t",
    "é",
    "😀",
    "\u{feff}",
    "\u{0}",
    "\\",
    "\\q",
    "env ",
    "layer ",
    "param ",
    "type ",
    "module ",
    "policy ",
    "project ",
    "extends ",
    "require ",
    "output ",
    "input ",
    "source ",
    "for ",
    "across ",
    "const ",
    "null",
    "true",
    "false",
    "-1",
    "0",
    "99999999999999999999",
    "1.5",
    "1e400",
    "foundation.",
    "x.y.z",
    "dev",
    "pre",
    "pro",
    "azs",
    "nat",
    "int(1..",
    "list<",
    "map<",
    "enum(\"a\")",
    "string(cidr)",
    "any",
    "{ a = }",
    "[1, 2,",
    "\"10.0.0.0/16\"",
    "network n {}",
    "kms_key k {}",
    "layer l {\n}\n",
    "env e extends dev {\n}\n",
    "param p: int = 1\n",
    "databases.*.x",
    "env",
];

/// A reader of fuzz bytes as small numbers; it yields zeros once the bytes run out.
pub struct Bytes<'a> {
    data: &'a [u8],
}

impl<'a> Bytes<'a> {
    pub fn new(data: &'a [u8]) -> Self {
        Self { data }
    }

    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    pub fn byte(&mut self) -> u8 {
        match self.data.split_first() {
            Some((first, rest)) => {
                self.data = rest;
                *first
            }
            None => 0,
        }
    }

    /// A number below `n` (0 when `n` is 0), from two bytes.
    pub fn below(&mut self, n: usize) -> usize {
        let value = (usize::from(self.byte()) << 8) | usize::from(self.byte());
        if n == 0 {
            0
        } else {
            value % n
        }
    }
}

/// A database with the given files (under `/fuzz/`) and the standard library.
pub fn database(files: &[(String, String)]) -> (RootDatabase, Workspace, Vec<SourceFile>) {
    database_in(RootDatabase::default(), files)
}

/// `database`, in the given (empty) database.
pub fn database_in(
    mut db: RootDatabase,
    files: &[(String, String)],
) -> (RootDatabase, Workspace, Vec<SourceFile>) {
    let sources: Vec<SourceFile> = files
        .iter()
        .map(|(name, text)| {
            SourceFile::new(
                &db,
                PathBuf::from("/fuzz").join(name),
                Arc::from(text.as_str()),
                false,
            )
        })
        .collect();
    let mut all = sources.clone();
    all.extend(stdlib_files(&mut db));
    let workspace = Workspace::new(&db, all, PathBuf::from("/fuzz"), Vec::new(), Vec::new());
    (db, workspace, sources)
}

/// Checks every environment of the project and emits the clean ones; returns how many checked
/// clean.
pub fn check_all(db: &RootDatabase, workspace: Workspace, files: &[SourceFile]) -> usize {
    let _ = project_diagnostics(db, workspace);
    let mut clean = 0;
    for file in files {
        for env in envs_in_file(db, *file) {
            let name = EnvName::new(db, env);
            let diagnostics = check_env(db, workspace, name);
            if !diagnostics.iter().any(|d| d.is_error()) {
                clean += 1;
            }
            // Rendering positions must work for every diagnostic.
            for diagnostic in diagnostics {
                let label = diagnostic.primary();
                let text = label.file.text(db);
                let index = infrac_syntax::source::LineIndex::new(text);
                let _ = index.line_col(text, label.range.start);
                let _ = index.line_col_utf16(text, label.range.end);
            }
            let _ = emit_env(db, workspace, name, *file);
        }
    }
    clean
}

/// Target (a): arbitrary bytes as an environment file beside a small valid project.
pub fn parse_check(data: &[u8]) {
    let text = String::from_utf8_lossy(data).into_owned();
    let _ = infrac_syntax::parse(&text);
    let mut files: Vec<(String, String)> = SMALL_PROJECT
        .iter()
        .map(|(name, text)| (name.to_string(), text.to_string()))
        .collect();
    files.push(("fuzz.infra".into(), text));
    let (db, workspace, sources) = database(&files);
    check_all(&db, workspace, &sources);
}

/// One splice: replace `len` characters at `at` of `text` with a token or a copy of another part.
fn splice(text: &str, bytes: &mut Bytes<'_>) -> String {
    let chars: Vec<char> = text.chars().collect();
    let at = bytes.below(chars.len() + 1);
    let len = match bytes.byte() % 4 {
        0 => 0,
        1 => 1,
        2 => usize::from(bytes.byte() % 16),
        _ => usize::from(bytes.byte()),
    };
    let end = (at + len).min(chars.len());
    let insert: String = match bytes.byte() % 3 {
        0 => String::new(),
        1 => TOKENS[bytes.below(TOKENS.len())].to_string(),
        _ => {
            let from = bytes.below(chars.len() + 1);
            let to = (from + usize::from(bytes.byte() % 64)).min(chars.len());
            chars[from..to].iter().collect()
        }
    };
    let mut out: String = chars[..at].iter().collect();
    out.push_str(&insert);
    out.extend(&chars[end..]);
    out
}

/// Target (b): token splices into the real environment files, then a full check.
pub fn mutate_envs(data: &[u8]) {
    let mut bytes = Bytes::new(data);
    let mut files: Vec<(String, String)> = ENVIRONMENTS
        .iter()
        .map(|(name, text)| (name.to_string(), text.to_string()))
        .collect();
    let edits = 1 + usize::from(bytes.byte() % 8);
    for _ in 0..edits {
        let victim = bytes.below(files.len());
        files[victim].1 = splice(&files[victim].1, &mut bytes);
    }
    let (db, workspace, sources) = database(&files);
    check_all(&db, workspace, &sources);
}

/// Target (c): a sequence of edits through `set_file_text` on one editor's database
/// (`RootDatabase::for_editing`), checking after each one, as the language server does on every
/// keystroke; the end result must equal a fresh one-shot database's, every label of every
/// diagnostic included.
pub fn edit_sequence(data: &[u8]) {
    let mut bytes = Bytes::new(data);
    let files: Vec<(String, String)> = ENVIRONMENTS
        .iter()
        .map(|(name, text)| (name.to_string(), text.to_string()))
        .collect();
    let mut texts: Vec<String> = files.iter().map(|(_, text)| text.clone()).collect();
    // The editor's database (reused parses, placed layers) against a one-shot one at the end.
    let (mut db, workspace, sources) = database_in(RootDatabase::for_editing(), &files);
    check_all(&db, workspace, &sources);
    let mut steps = 0;
    while !bytes.is_empty() && steps < 16 {
        steps += 1;
        let victim = bytes.below(sources.len());
        texts[victim] = match bytes.byte() % 8 {
            // Undo everything: back to the original file.
            0 => files[victim].1.clone(),
            // Typing: one token at a time.
            _ => splice(&texts[victim], &mut bytes),
        };
        set_file_text(&mut db, sources[victim], texts[victim].clone());
        check_all(&db, workspace, &sources);
    }
    // The incremental result equals a fresh one-shot database's.
    let edited: Vec<(String, String)> = files
        .iter()
        .zip(&texts)
        .map(|((name, _), text)| (name.clone(), text.clone()))
        .collect();
    let (fresh, fresh_workspace, fresh_sources) = database(&edited);
    for (file, fresh_file) in sources.iter().zip(&fresh_sources) {
        for env in envs_in_file(&db, *file) {
            let a = check_env(&db, workspace, EnvName::new(&db, env.clone()));
            let b = check_env(&fresh, fresh_workspace, EnvName::new(&fresh, env.clone()));
            let render = |db: &RootDatabase, d: &[infrac_core::diagnostics::Diagnostic]| {
                d.iter()
                    .map(|d| {
                        let labels: Vec<String> = d
                            .labels
                            .iter()
                            .map(|l| format!("{:?}@{}", l.range, l.file.path(db).display()))
                            .collect();
                        format!("{}:{}:{}", d.code.id, labels.join(","), d.message)
                    })
                    .collect::<Vec<_>>()
            };
            assert_eq!(
                render(&db, a),
                render(&fresh, b),
                "incremental and fresh diagnostics of `{env}` differ"
            );
            let ea = emit_env(&db, workspace, EnvName::new(&db, env.clone()), *file);
            let eb = emit_env(
                &fresh,
                fresh_workspace,
                EnvName::new(&fresh, env.clone()),
                *fresh_file,
            );
            assert!(ea == eb, "incremental and fresh builds of `{env}` differ");
        }
    }
}

/// Target (d): values built from the bytes (strings with every character HCL gives a meaning,
/// records with such keys, lists, templates with run-time parts) are emitted as the outputs of a
/// Terraform file by the emitter a build uses; the file must parse with hcl-rs into exactly those
/// outputs, and hcl-rs's evaluator must give back every value. (The tests check the same with
/// HashiCorp's own parser and Terraform: `compiler/tests/hcl_roundtrip.rs`.)
pub fn emit_roundtrip(data: &[u8]) {
    use infrac_core::value::{Rt, TemplatePart, Value};
    let mut bytes = Bytes::new(data);
    let mut values = Vec::new();
    while !bytes.is_empty() && values.len() < 16 {
        values.push(fuzz_value(&mut bytes, 0));
    }
    let mut body = hcl::Body::builder().add_block(
        hcl::Block::builder("locals")
            .add_attribute(("layer_value", RT_VALUE))
            .build(),
    );
    for (i, value) in values.iter().enumerate() {
        body = body.add_block(
            hcl::Block::builder("output")
                .add_label(format!("o{i}"))
                .add_attribute(("value", infrac_emit::emit::expression(value)))
                .build(),
        );
    }
    let text = infrac_emit::emit::render(body.build());
    let parsed: hcl::Body = hcl::from_str(&text)
        .unwrap_or_else(|e| panic!("the emitted file does not parse: {e}\n{text}"));
    let outputs: Vec<&hcl::Block> = parsed
        .blocks()
        .filter(|b| b.identifier() == "output")
        .collect();
    assert_eq!(
        outputs.len(),
        values.len(),
        "outputs appeared or vanished:\n{text}"
    );
    for (block, value) in outputs.iter().zip(&values) {
        let attributes: Vec<&hcl::Attribute> = block.body().attributes().collect();
        assert_eq!(attributes.len(), 1, "an output grew attributes:\n{text}");
        assert_eq!(
            shape(attributes[0].expr()),
            shape_of(value),
            "emitted as:\n{text}"
        );
        let emitted = infrac_emit::emit::expression(value);
        assert_eq!(read_back(&emitted), expected(value), "emitted as:\n{text}");
    }

    /// The shape of a parsed expression: how many items and entries, at every level.
    fn shape(expr: &hcl::Expression) -> String {
        match expr {
            hcl::Expression::Array(items) => {
                format!(
                    "[{}]",
                    items.iter().map(shape).collect::<Vec<_>>().join(",")
                )
            }
            hcl::Expression::Object(entries) => {
                format!(
                    "{{{}}}",
                    entries.values().map(shape).collect::<Vec<_>>().join(",")
                )
            }
            _ => ".".into(),
        }
    }

    fn shape_of(value: &Value) -> String {
        match value {
            Value::List(items) => {
                format!(
                    "[{}]",
                    items.iter().map(shape_of).collect::<Vec<_>>().join(",")
                )
            }
            Value::Record(entries) => {
                format!(
                    "{{{}}}",
                    entries.values().map(shape_of).collect::<Vec<_>>().join(",")
                )
            }
            _ => ".".into(),
        }
    }

    /// The value of an emitted expression, by HCL's rules for the raw text of its strings:
    /// HashiCorp's scanner, independently of the emitter's escaping and of hcl-rs (whose template
    /// reader does not agree with HashiCorp's on `%%%{`).
    fn read_back(expr: &hcl::Expression) -> hcl::Value {
        use hcl::expr::TemplateExpr;
        match expr {
            hcl::Expression::String(s) => hcl::Value::String(s.clone()),
            hcl::Expression::Number(n) => hcl::Value::Number(*n),
            hcl::Expression::Bool(b) => hcl::Value::Bool(*b),
            hcl::Expression::Array(items) => {
                hcl::Value::Array(items.iter().map(read_back).collect())
            }
            hcl::Expression::Object(entries) => hcl::Value::Object(
                entries
                    .iter()
                    .map(|(key, value)| {
                        let key = match key {
                            hcl::ObjectKey::Identifier(id) => id.to_string(),
                            hcl::ObjectKey::Expression(expr) => match read_back(expr) {
                                hcl::Value::String(s) => s,
                                other => panic!("a key that is not a string: {other:?}"),
                            },
                            other => panic!("an unknown key {other:?}"),
                        };
                        (key, read_back(value))
                    })
                    .collect(),
            ),
            hcl::Expression::TemplateExpr(template) => match template.as_ref() {
                TemplateExpr::QuotedString(raw) => hcl::Value::String(template_value(raw)),
                other => panic!("a heredoc: {other:?}"),
            },
            hcl::Expression::Traversal(traversal)
                if hcl::format::to_string(expr).ok().as_deref() == Some("local.layer_value") =>
            {
                let _ = traversal;
                hcl::Value::from(RT_VALUE)
            }
            other => panic!("an expression the emitter does not write for values: {other:?}"),
        }
    }

    /// The raw text of a quoted template as HashiCorp's scanner reads it: `\n`, `\r`, `\t`,
    /// `\"`, `\\`, `\uNNNN` and `\UNNNNNNNN` escapes, `$${` and `%%{` literal `${` and `%{`,
    /// `${...}` an interpolation; a raw newline or an unknown escape is an error.
    fn template_value(raw: &str) -> String {
        let mut out = String::new();
        let mut rest = raw;
        while let Some(c) = rest.chars().next() {
            if c == '\\' {
                let escape = rest[1..].chars().next().expect("an escape is complete");
                rest = &rest[1 + escape.len_utf8()..];
                match escape {
                    'n' => out.push('\n'),
                    'r' => out.push('\r'),
                    't' => out.push('\t'),
                    '"' => out.push('"'),
                    '\\' => out.push('\\'),
                    'u' | 'U' => {
                        let digits = if escape == 'u' { 4 } else { 8 };
                        let code = u32::from_str_radix(&rest[..digits], 16).expect("hex digits");
                        out.push(char::from_u32(code).expect("a scalar value"));
                        rest = &rest[digits..];
                    }
                    other => panic!("unknown escape `\\{other}` in {raw:?}"),
                }
                continue;
            }
            assert!(
                c != '\n' && c != '\r' && c != '"',
                "a raw {c:?} in the quoted string {raw:?}"
            );
            if let Some(after) = rest
                .strip_prefix("$${")
                .or_else(|| rest.strip_prefix("%%{"))
            {
                out.push(c);
                out.push('{');
                rest = after;
            } else if let Some(after) = rest.strip_prefix("${") {
                let end = after.find('}').expect("an interpolation is closed");
                let inner = &after[..end];
                match inner {
                    "local.layer_value" => out.push_str(RT_VALUE),
                    // The emitter's `${"$$"}` for dollars before an interpolation.
                    _ if inner.len() >= 2
                        && inner.starts_with('"')
                        && inner.ends_with('"')
                        && inner[1..inner.len() - 1].chars().all(|c| c == '$') =>
                    {
                        out.push_str(&inner[1..inner.len() - 1])
                    }
                    _ => panic!("an unexpected interpolation `{inner}` in {raw:?}"),
                }
                rest = &after[end + 1..];
            } else if let Some(after) = rest.strip_prefix("%{") {
                panic!("a template directive `%{{{after}` in {raw:?}");
            } else {
                out.push(c);
                rest = &rest[c.len_utf8()..];
            }
        }
        out
    }

    fn expected(value: &Value) -> hcl::Value {
        match value {
            Value::Str(s) => hcl::Value::String(s.clone()),
            Value::List(items) => hcl::Value::Array(items.iter().map(expected).collect()),
            Value::Record(entries) => hcl::Value::Object(
                entries
                    .iter()
                    .map(|(k, v)| (k.clone(), expected(v)))
                    .collect(),
            ),
            Value::Template(parts) => hcl::Value::String(
                parts
                    .iter()
                    .map(|part| match part {
                        TemplatePart::Text(text) => text.as_str(),
                        TemplatePart::Rt(_) => RT_VALUE,
                    })
                    .collect(),
            ),
            Value::Int(n) => hcl::Value::from(*n),
            Value::Bool(b) => hcl::Value::Bool(*b),
            _ => hcl::Value::Null,
        }
    }

    fn fuzz_value(bytes: &mut Bytes<'_>, depth: usize) -> Value {
        match bytes.byte() % if depth < 3 { 6 } else { 3 } {
            0 | 1 => Value::Str(fuzz_string(bytes)),
            2 => Value::Int(i64::from(bytes.byte()) - 128),
            3 => Value::List(
                (0..bytes.byte() % 4)
                    .map(|_| fuzz_value(bytes, depth + 1))
                    .collect(),
            ),
            4 => Value::Record(
                (0..bytes.byte() % 4)
                    .map(|_| (fuzz_string(bytes), fuzz_value(bytes, depth + 1)))
                    .collect(),
            ),
            _ => Value::Template(
                (0..1 + bytes.byte() % 4)
                    .map(|_| match bytes.byte() % 2 {
                        0 => TemplatePart::Text(fuzz_string(bytes)),
                        _ => TemplatePart::Rt(Rt::LayerOutput {
                            layer: "layer".into(),
                            output: "value".into(),
                        }),
                    })
                    .collect(),
            ),
        }
    }

    fn fuzz_string(bytes: &mut Bytes<'_>) -> String {
        const PIECES: &[&str] = &[
            "\"", "\\", "$", "${", "%", "%{", "$${", "%%{", "}", "{", "~", "\n", "\r", "\t", " ",
            "=", "#", "//", "/*", "a", "é", "名", "🦀", "\u{7f}", "\u{85}", "${x}", "\\n",
        ];
        let len = bytes.byte() % 10;
        let mut text = String::new();
        for _ in 0..len {
            let b = bytes.byte();
            match b % 4 {
                0 => text.push(char::from(b / 4 % 0x20)),
                1 if b >= 0x80 => {
                    text.push(char::from_u32(u32::from(b) * 37 + 0xa0).unwrap_or('?'))
                }
                _ => text.push_str(PIECES[usize::from(b) % PIECES.len()]),
            }
        }
        text
    }
}

const RT_VALUE: &str = "<run-time>";
