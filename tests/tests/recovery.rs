//! The error-recovery table: half-typed inputs, the kind an editor sees while typing, with the
//! diagnostics and the recovered items each one must give.
//!
//! The table is `fixtures/recovery/table.txt`. A case starts with `=== name` and holds, first,
//! directive lines, then its text:
//!
//! - `# expect: CODE LINE:COL text` expects a diagnostic with that code whose primary label starts
//!   at that 1-based line and byte column of the case, and whose message contains `text`
//!   (`# expect: CODE base.infra:LINE:COL text` for a diagnostic in the prelude). Every diagnostic
//!   must be expected and every expectation must match.
//! - `# item: KIND NAME {MEMBERS}` is the next item the parser must recover, in order; every item
//!   must be listed. A broken item is `error:KIND NAME` (keyword and name guessed by the parser).
//!   Members are layer instances (`kind name`) and outputs (`output name`), module members, block
//!   entries (`path`, `path+=`, `path=?` for a missing value) and policy rules (`require`).
//! - `# crlf` turns the case's line endings into CRLF; `# escapes` unescapes `\t`, `\r`, `\0` and
//!   `\u{..}` in its text; `# eol` keeps a final newline (by default a case ends where the editor's
//!   cursor is, without one).
//!
//! Each case is the file `case.infra` next to a small valid project (`PRELUDE`), and is parsed,
//! checked in every environment of the project (the prelude's `ci` and the case's own), and
//! emitted when it checks clean: none of it may panic.
//!
//! `RECOVERY_BLESS=1 cargo test -p infrac-tests --test recovery` rewrites the directives from
//! what the compiler does now; review the diff before keeping it.

use std::fmt::Write as _;
use std::panic::{catch_unwind, AssertUnwindSafe};

use infrac_core::config::EnvName;
use infrac_emit::analysis::emit_env;
use infrac_syntax::source::LineIndex;
use infrac_syntax::{Block, Entry, ExprKind, ItemKind};

/// The project each case lives in: a project item and an environment, so that every case is
/// also checked and built.
const PRELUDE: &str = "//- /base.infra
project shop {
  region = \"eu-west-1\"
  state  = { bucket = \"shop-tfstate\" }
}
//- /ci.infra
env ci {
}
";

struct Case {
    name: String,
    /// The case's line in the table, for messages.
    line: usize,
    expect: Vec<String>,
    items: Vec<String>,
    crlf: bool,
    escapes: bool,
    eol: bool,
    body: String,
}

impl Case {
    fn text(&self) -> String {
        let mut text = self.body.clone();
        if self.escapes {
            text = unescape(&text);
        }
        if self.eol {
            text.push('\n');
        }
        if self.crlf {
            text = text.replace('\n', "\r\n");
        }
        text
    }
}

fn unescape(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some('0') => out.push('\0'),
            Some('u') => {
                let hex: String = chars.by_ref().skip(1).take_while(|c| *c != '}').collect();
                let code = u32::from_str_radix(&hex, 16).expect("a \\u{..} escape");
                out.push(char::from_u32(code).expect("a valid character"));
            }
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
}

fn read_table(table: &str) -> Vec<Case> {
    let mut cases: Vec<Case> = Vec::new();
    let mut in_body = false;
    for (idx, line) in table.lines().enumerate() {
        if let Some(name) = line.strip_prefix("=== ") {
            cases.push(Case {
                name: name.trim().to_string(),
                line: idx + 1,
                expect: Vec::new(),
                items: Vec::new(),
                crlf: false,
                escapes: false,
                eol: false,
                body: String::new(),
            });
            in_body = false;
            continue;
        }
        let Some(case) = cases.last_mut() else {
            continue; // the table's own header
        };
        if !in_body {
            if let Some(directive) = line.strip_prefix("# ") {
                let (key, value) = directive.split_once(':').unwrap_or((directive, ""));
                match key.trim() {
                    "expect" => case.expect.push(value.trim().to_string()),
                    "item" => case.items.push(value.trim().to_string()),
                    "crlf" => case.crlf = true,
                    "escapes" => case.escapes = true,
                    "eol" => case.eol = true,
                    other => panic!("table line {}: unknown directive `{other}`", idx + 1),
                }
                continue;
            }
            in_body = true;
        }
        case.body.push_str(line);
        case.body.push('\n');
    }
    for case in &mut cases {
        let trimmed = case.body.trim_end_matches('\n').len();
        case.body.truncate(trimmed);
    }
    cases
}

/// What the compiler does with one case: its diagnostics and items, in the table's notation.
struct Outcome {
    diagnostics: Vec<(String, String)>,
    items: Vec<String>,
}

fn run_case(text: &str) -> Outcome {
    let fixture = format!("{PRELUDE}//- /case.infra\n{text}");
    let (db, workspace, files) = infrac_tests::load_fixture(&fixture);
    let diagnostics = infrac_tests::fixture_diagnostics(&db, workspace, &files);
    let case_file = *files.last().expect("the case file");
    let case_text = case_file.text(&db).to_string();
    assert_eq!(case_text, text, "the fixture loader kept the case's text");
    let mut out = Vec::new();
    for diagnostic in &diagnostics {
        let label = diagnostic.primary();
        let file_text = label.file.text(&db);
        let pos = LineIndex::new(file_text).line_col(file_text, label.range.start);
        let at = format!("{}:{}", pos.line + 1, pos.col + 1);
        let at = if label.file == case_file {
            at
        } else {
            let name = label
                .file
                .path(&db)
                .file_name()
                .map_or_else(|| "?".to_string(), |n| n.to_string_lossy().into_owned());
            format!("{name}:{at}")
        };
        out.push((
            format!("{} {at}", diagnostic.code.id),
            diagnostic.message.clone(),
        ));
    }
    // Build every environment that checks clean: emission must not panic either.
    for file in &files {
        for env in infrac_emit::analysis::envs_in_file(&db, *file) {
            let _ = emit_env(&db, workspace, EnvName::new(&db, env), *file);
        }
    }
    let parse = infrac_syntax::parse(text);
    Outcome {
        diagnostics: out,
        items: parse.items.iter().map(|item| describe_item(item)).collect(),
    }
}

fn entries(block: &Block) -> Vec<String> {
    block.entries.iter().map(describe_entry).collect()
}

fn describe_entry(entry: &Entry) -> String {
    let mut text = entry.dotted();
    if entry.append {
        text.push_str("+=");
    }
    if entry.value.kind == ExprKind::Missing {
        text.push_str("=?");
    }
    text
}

fn describe_item(item: &infrac_syntax::Item) -> String {
    let (head, members): (String, Vec<String>) = match &item.kind {
        ItemKind::Project(p) => (format!("project {}", p.name.name), entries(&p.body)),
        ItemKind::Type(t) => (format!("type {}", t.name.name), Vec::new()),
        ItemKind::Param(p) => {
            let missing = p
                .default
                .as_ref()
                .is_some_and(|d| d.kind == ExprKind::Missing);
            let head = format!("param {}{}", p.name.name, if missing { "=?" } else { "" });
            (head, Vec::new())
        }
        ItemKind::Module(m) => {
            let mut members = Vec::new();
            if m.source.is_some() {
                members.push("source".to_string());
            }
            members.extend(m.inputs.iter().map(|i| format!("input {}", i.name.name)));
            members.extend(m.outputs.iter().map(|o| format!("output {}", o.name.name)));
            (format!("module {}", m.name.name), members)
        }
        ItemKind::Layer(l) => {
            let mut members: Vec<String> = l
                .instances
                .iter()
                .map(|i| {
                    let inner = entries(&i.body);
                    if inner.iter().any(|e| e.ends_with("=?")) {
                        format!("{} {} ({})", i.kind.name, i.name.name, inner.join(" "))
                    } else {
                        format!("{} {}", i.kind.name, i.name.name)
                    }
                })
                .collect();
            members.extend(l.outputs.iter().map(|o| format!("output {}", o.name.name)));
            let repeat = l
                .repeat
                .as_ref()
                .map_or(String::new(), |r| format!(" for {}", r.over.name));
            (format!("layer {}{repeat}", l.name.name), members)
        }
        ItemKind::Env(e) => {
            let extends = e
                .extends
                .as_ref()
                .map_or(String::new(), |x| format!(" extends {}", x.name));
            (format!("env {}{extends}", e.name.name), entries(&e.body))
        }
        ItemKind::Policy(p) => (
            format!(
                "policy {} {} {}",
                p.name.name,
                if p.across { "across" } else { "for" },
                p.envs
                    .iter()
                    .map(|e| e.name.as_str())
                    .collect::<Vec<_>>()
                    .join(" ")
            ),
            p.rules.iter().map(|_| "require".to_string()).collect(),
        ),
        ItemKind::Error(e) => {
            let mut head = format!("error:{}", e.keyword.unwrap_or("?"));
            if let Some(name) = &e.name {
                head.push(' ');
                head.push_str(&name.name);
            }
            (head, Vec::new())
        }
    };
    if members.is_empty() {
        head
    } else {
        format!("{head} {{{}}}", members.join(", "))
    }
}

/// Compares a case with its outcome; returns the mismatches.
fn compare(case: &Case, outcome: &Outcome) -> Vec<String> {
    let mut problems = Vec::new();
    let mut wanted: Vec<&String> = case.expect.iter().collect();
    for (head, message) in &outcome.diagnostics {
        let found = wanted.iter().position(|w| {
            let (code_at, text) = split_expect(w);
            code_at == *head && message.contains(text)
        });
        match found {
            Some(idx) => {
                wanted.remove(idx);
            }
            None => problems.push(format!("unexpected diagnostic: {head} {message}")),
        }
    }
    for w in wanted {
        problems.push(format!("expected but not reported: {w}"));
    }
    if case.items != outcome.items {
        problems.push(format!(
            "items differ:\n      expected: {:?}\n      found:    {:?}",
            case.items, outcome.items
        ));
    }
    problems
}

/// `E0100 3:7 text` to (`E0100 3:7`, `text`).
fn split_expect(expect: &str) -> (String, &str) {
    let mut parts = expect.splitn(3, ' ');
    let code = parts.next().unwrap_or("");
    let at = parts.next().unwrap_or("");
    (format!("{code} {at}"), parts.next().unwrap_or("").trim())
}

fn bless(table: &str, outcomes: &[(usize, Outcome)]) -> String {
    let mut out = String::new();
    let mut outcomes = outcomes.iter().peekable();
    let mut skipping = false;
    for (idx, line) in table.lines().enumerate() {
        if line.starts_with("=== ") {
            out.push_str(line);
            out.push('\n');
            skipping = true;
            if let Some((_, outcome)) = outcomes.next_if(|(at, _)| *at == idx + 1) {
                for (head, message) in &outcome.diagnostics {
                    let _ = writeln!(out, "# expect: {head} {message}");
                }
                for item in &outcome.items {
                    let _ = writeln!(out, "# item: {item}");
                }
            }
            continue;
        }
        if skipping && (line.starts_with("# expect:") || line.starts_with("# item:")) {
            continue;
        }
        if !line.starts_with("# ") {
            skipping = false;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

#[test]
fn recovery_table() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/recovery/table.txt");
    let table = std::fs::read_to_string(&path).expect("fixtures/recovery/table.txt exists");
    let cases = read_table(&table);
    assert!(
        cases.len() >= 60,
        "the table holds {} cases, fewer than 60",
        cases.len()
    );
    let mut names = std::collections::BTreeSet::new();
    let mut failures = Vec::new();
    let mut outcomes = Vec::new();
    for case in &cases {
        assert!(names.insert(&case.name), "case `{}` twice", case.name);
        let text = case.text();
        match catch_unwind(AssertUnwindSafe(|| run_case(&text))) {
            Ok(outcome) => {
                let problems = compare(case, &outcome);
                if !problems.is_empty() {
                    failures.push(format!(
                        "table.txt:{} `{}`:\n    {}",
                        case.line,
                        case.name,
                        problems.join("\n    ")
                    ));
                }
                outcomes.push((case.line, outcome));
            }
            Err(_) => failures.push(format!(
                "table.txt:{} `{}`: PANIC on {text:?}",
                case.line, case.name
            )),
        }
    }
    if std::env::var_os("RECOVERY_BLESS").is_some() {
        std::fs::write(&path, bless(&table, &outcomes)).expect("write the table");
        return;
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases fail:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}
