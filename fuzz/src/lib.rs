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

use infrac::analysis::{
    check_env, emit_env, envs_in_file, project_diagnostics, set_file_text, stdlib_files,
};
use infrac::config::EnvName;
use infrac::db::{RootDatabase, SourceFile, Workspace};

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
    let workspace = Workspace::new(&db, all, PathBuf::from("/fuzz"));
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
                let index = infrac::source::LineIndex::new(text);
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
    let _ = infrac::syntax::parse(&text);
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
            let render = |db: &RootDatabase, d: &[infrac::diagnostics::Diagnostic]| {
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
