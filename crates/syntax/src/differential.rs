//! Differential tests: the hand-written parser and pest give the same tree, spans included.
//!
//! Inputs: every `.infra` file of the repository, the cases of the error-recovery table, the
//! `infra` code blocks of the documentation, generated workloads, and seeded random mutations of
//! all of them. For each item chunk, the fast parser either returns exactly pest's item (and pest
//! reports no error for it), or declines a chunk where pest reports an error.

use std::path::{Path, PathBuf};

use super::{build, chunk, fast, parse, parse_with_pest, Parse};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("the syntax crate sits in crates/ of the repository")
        .to_path_buf()
}

fn infra_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if path.is_dir() {
            if !name.starts_with('.') && name != "target" && name != "node_modules" {
                infra_files(&path, out);
            }
        } else if name.ends_with(".infra") {
            out.push(path);
        }
    }
}

/// The texts the repository holds: files, recovery cases and documentation blocks.
fn corpus() -> Vec<(String, String)> {
    let root = repo_root();
    let mut texts = Vec::new();
    let mut files = Vec::new();
    infra_files(&root, &mut files);
    files.sort();
    for path in files {
        if let Ok(text) = std::fs::read_to_string(&path) {
            texts.push((path.display().to_string(), text));
        }
    }
    if let Ok(table) = std::fs::read_to_string(root.join("tests/fixtures/recovery/table.txt")) {
        for case in table.split("\n=== ").skip(1) {
            let (name, body) = case.split_once('\n').unwrap_or((case, ""));
            let body: String = body
                .lines()
                .filter(|line| !line.starts_with("# "))
                .map(|line| format!("{line}\n"))
                .collect();
            texts.push((format!("recovery {name}"), body));
        }
    }
    let mut docs = vec![root.join("README.md")];
    if let Ok(entries) = std::fs::read_dir(root.join("docs")) {
        docs.extend(entries.flatten().map(|e| e.path()));
    }
    docs.sort();
    for path in docs {
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        for (idx, block) in text.split("```infra\n").skip(1).enumerate() {
            let block = block.split("```").next().unwrap_or("");
            texts.push((format!("{} block {idx}", path.display()), block.to_string()));
        }
    }
    texts
}

/// Checks one text chunk by chunk, then as a whole file.
fn check(name: &str, text: &str) -> (usize, usize) {
    let mut accepted = 0;
    let mut declined = 0;
    for item in chunk::chunk(text).items {
        let start = item.range.start as usize;
        let chunk_text = &text[start..item.range.end as usize];
        let mut reference = Parse::default();
        build::parse_item(chunk_text, start, false, &mut reference);
        // Neither parser sees an unclosed chunk, nor one nested too deep.
        let shape = super::depth::shape(chunk_text);
        if shape.unclosed.is_some() || shape.nesting.is_err() {
            continue;
        }
        match fast::parse_item(chunk_text, start) {
            Some(fast_item) => {
                accepted += 1;
                assert!(
                    reference.errors.is_empty(),
                    "{name}: the fast parser accepted a chunk that pest rejects: {:?}\n{chunk_text}",
                    reference.errors
                );
                assert_eq!(
                    reference.items,
                    vec![std::sync::Arc::new(fast_item)],
                    "{name}: trees differ for\n{chunk_text}"
                );
            }
            None => {
                declined += 1;
                assert!(
                    !reference.errors.is_empty()
                        || reference.items.iter().any(|i| pest_only(i)),
                    "{name}: the fast parser declined a chunk that pest parses cleanly:\n{chunk_text}"
                );
            }
        }
    }
    assert_eq!(parse(text), parse_with_pest(text), "{name}: parses differ");
    (accepted, declined)
}

/// Whether an item uses a construct the fast parser leaves to pest (`let`, conditions, repeated
/// instances, calls, comprehensions, a field after an index): such chunks are declined by design
/// (`fast.rs`).
fn pest_only(item: &crate::Item) -> bool {
    use crate::{Block, Expr, ExprKind, ItemKind, StrPart};
    fn expr(e: &Expr) -> bool {
        match &e.kind {
            ExprKind::Call(..) | ExprKind::For(_) | ExprKind::Attr(..) => true,
            ExprKind::Str(parts) => parts.iter().any(|p| match p {
                StrPart::Interp(inner) => expr(inner),
                StrPart::Text(_) => false,
            }),
            ExprKind::List(items) => items.iter().any(expr),
            ExprKind::Record(entries) => entries.iter().any(|e| expr(&e.value)),
            ExprKind::Index(a, b) | ExprKind::Binary(_, a, b) => expr(a) || expr(b),
            ExprKind::Unary(_, a) => expr(a),
            ExprKind::Cond(a, b, c) => expr(a) || expr(b) || expr(c),
            _ => false,
        }
    }
    fn block(b: &Block) -> bool {
        b.entries.iter().any(|e| expr(&e.value))
    }
    match &item.kind {
        ItemKind::Param(param) => param.is_let || param.default.as_ref().is_some_and(expr),
        ItemKind::Layer(layer) => {
            layer.condition.is_some()
                || !layer.lets.is_empty()
                || layer.instances.iter().any(|i| {
                    i.repeat.is_some()
                        || i.condition.is_some()
                        || i.data.is_some()
                        || i.kind.name == "data"
                        || block(&i.body)
                })
                || layer.outputs.iter().any(|o| expr(&o.value))
        }
        ItemKind::Project(project) => block(&project.body),
        ItemKind::Env(env) => block(&env.body),
        ItemKind::Policy(policy) => policy.rules.iter().any(|r| expr(&r.expr)),
        ItemKind::Module(module) => module
            .inputs
            .iter()
            .any(|i| i.default.as_ref().is_some_and(expr)),
        ItemKind::Type(_) | ItemKind::Error(_) => false,
    }
}

/// SplitMix64, so that a failing mutation replays.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// One small random edit: delete a span, insert language characters, or duplicate a span.
fn mutate(rng: &mut Rng, text: &str) -> String {
    const ALPHABET: &[&str] = &[
        "{",
        "}",
        "[",
        "]",
        "(",
        ")",
        "<",
        ">",
        "\"",
        "$",
        "${",
        "$${",
        "=",
        "+=",
        ".",
        ",",
        ":",
        "?",
        "*",
        "/",
        "//",
        "///",
        "/*",
        "*/",
        " ",
        "\n",
        "\t",
        "\\",
        "\\n",
        "\\q",
        "-",
        "!",
        "&&",
        "||",
        "==",
        "1",
        "1.5",
        "1e5",
        "99999999999999999999",
        "..",
        "true",
        "null",
        "x",
        "_a",
        "env ",
        "layer ",
        "output ",
        "input ",
        "const ",
        "require ",
        "extends ",
        "é",
        "\r\n",
    ];
    let mut bytes = text.as_bytes().to_vec();
    for _ in 0..1 + rng.below(3) {
        let at = rng.below(bytes.len() + 1);
        match rng.below(3) {
            0 if !bytes.is_empty() => {
                let len = 1 + rng.below(8);
                let end = (at + len).min(bytes.len());
                bytes.drain(at.min(end)..end);
            }
            1 if !bytes.is_empty() => {
                let len = 1 + rng.below(40);
                let start = at.min(bytes.len() - 1);
                let end = (start + len).min(bytes.len());
                let copy = bytes[start..end].to_vec();
                let to = rng.below(bytes.len() + 1);
                bytes.splice(to..to, copy);
            }
            _ => {
                let piece = ALPHABET[rng.below(ALPHABET.len())].as_bytes();
                bytes.splice(at..at, piece.iter().copied());
            }
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

#[test]
fn the_fast_parser_equals_pest_on_the_repository() {
    let texts = corpus();
    assert!(texts.len() > 40, "only {} texts found", texts.len());
    let (mut accepted, mut declined) = (0, 0);
    for (name, text) in &texts {
        let (a, d) = check(name, text);
        accepted += a;
        declined += d;
    }
    // Most of the corpus is valid; the fast path must take it.
    assert!(
        accepted > 2 * declined,
        "{accepted} accepted, {declined} declined"
    );
}

#[test]
fn the_fast_parser_equals_pest_on_mutations() {
    let texts = corpus();
    let mut rng = Rng(0x00c0_ffee);
    for (name, text) in &texts {
        for round in 0..40 {
            let mutated = mutate(&mut rng, text);
            check(&format!("{name} mutation {round}"), &mutated);
        }
    }
}

#[test]
fn the_fast_parser_equals_pest_on_generated_workloads() {
    let dir = tempfile::tempdir().expect("temp dir");
    let status = std::process::Command::new("python3")
        .arg(repo_root().join("benches/gen.py"))
        .arg("4,12")
        .arg(dir.path())
        .status();
    let Ok(status) = status else {
        eprintln!("python3 is not available; skipped");
        return;
    };
    assert!(status.success(), "gen.py failed");
    let mut rng = Rng(0x0bad_cafe);
    for name in ["base.infra", "dev.infra", "pre.infra", "pro.infra"] {
        let text = std::fs::read_to_string(dir.path().join(name)).expect("generated file");
        let (accepted, declined) = check(name, &text);
        assert_eq!(declined, 0, "{name}: {accepted} accepted");
        for round in 0..20 {
            check(
                &format!("{name} mutation {round}"),
                &mutate(&mut rng, &text),
            );
        }
    }
}

#[test]
fn spans_that_end_in_an_optional_keep_the_trivia_pest_keeps() {
    let text = "param a: int = 1 // note\n\nenv e {\n  x = c ? 1 : 2 // why\n  y = [1] \n}\npolicy p for e {\n  require x  // r\n}\n";
    check("trivia", text);
}
