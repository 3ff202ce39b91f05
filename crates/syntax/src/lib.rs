//! infrac-syntax: text ranges (`source`), the diagnostic codes (`codes`) and parsing.
//!
//! `parse(text)` returns a syntax tree and a list of errors, and never fails.
//! pest types stay inside this crate; the rest of the compiler sees `ast` only.
//! It depends on no other infrac crate, so that anything can parse.

pub mod ast;
mod build;
mod chunk;
pub mod codes;
mod depth;
mod fast;
pub mod source;

use std::sync::Arc;

use rustc_hash::FxHashMap;

use crate::source::TextRange;
pub use ast::*;
pub use depth::MAX_NESTING;

/// A syntax error, before it is attached to a file.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SyntaxError {
    pub code: crate::codes::Code,
    pub range: TextRange,
    pub message: String,
    pub label: String,
    pub help: Option<String>,
}

/// The tree of one file and the errors met while building it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct Parse {
    /// Shared, so that a query can hand one item on without copying it.
    pub items: Vec<Arc<Item>>,
    pub errors: Vec<SyntaxError>,
    /// Filled by `parse_reusing` only: each item's tree placed as if the item started at
    /// `PLACED_AT`, the same for the same text wherever it is in the file.
    pub placed: Vec<Arc<Item>>,
}

/// Where `parse_reusing` places each item's second tree. Real offsets are below 16 MiB (the
/// largest file read), so placed offsets never meet real ones.
pub const PLACED_AT: u32 = 0xF000_0000;

/// A table of the 256 byte values: `member` for the bytes listed, the opposite for the others,
/// so that a scanner's test of a byte is one load.
const fn byte_table(listed: &[u8], member: bool) -> [bool; 256] {
    let mut table = [!member; 256];
    let mut idx = 0;
    while idx < listed.len() {
        table[listed[idx] as usize] = member;
        idx += 1;
    }
    table
}

/// Files larger than this parse their items in parallel.
const PARALLEL_PARSE_BYTES: usize = 64 * 1024;

/// Parses a whole file. One broken item gives one error; the other items still parse.
///
/// Clean items go through the hand-written parser (`fast.rs`); the chunks it declines, and only
/// those, go through pest, which reports the syntax errors.
/// Runs a step of a recursive walk whose depth the input bounds (`depth::MAX_NESTING`) with at
/// least 128 KiB of stack, growing the stack on the heap when it runs low: the walks of every
/// phase call it, so that large frames (a debug build's) never overflow a thread's stack.
pub fn grow<R>(f: impl FnOnce() -> R) -> R {
    stacker::maybe_grow(128 * 1024, 4 * 1024 * 1024, f)
}

pub fn parse(text: &str) -> Parse {
    parse_with(text, true, None).0
}

/// The trees of the item chunks of a file's last parse, by the chunk's text: what
/// `parse_reusing` takes from the previous parse of the same file. Keyed with FxHash: every
/// parse hashes the text of every item (SipHash took about 1.5 M instructions of an edit of the
/// medium workload's `base.infra`).
#[derive(Default)]
pub struct ChunkCache(FxHashMap<Arc<str>, CachedChunk>);

struct CachedChunk {
    /// Where the chunk was, and its trees and errors there.
    start: u32,
    real: Parse,
    placed: Vec<Arc<Item>>,
}

/// Parses a whole file like `parse` and also places every item at `PLACED_AT`, taking the trees
/// of every chunk whose text is that of a chunk of `previous` instead of parsing it again; returns
/// the cache for the next parse. After an edit, only the edited item is parsed: an untouched item
/// is the previous tree itself, or a moved copy of it if the edit moved it, and its placed tree is
/// the previous one either way, so comparing it is a pointer comparison.
pub fn parse_reusing(text: &str, previous: &ChunkCache) -> (Parse, ChunkCache) {
    let (parse, cache) = parse_with(text, true, Some(previous));
    (parse, cache.unwrap_or_default())
}

/// Parses a whole file with pest alone: the reference that the fast path must equal, for the
/// differential tests and the benchmarks.
#[doc(hidden)]
pub fn parse_with_pest(text: &str) -> Parse {
    parse_with(text, false, None).0
}

/// One chunk's trees, its placed trees, and its text as the previous cache's key if it was there
/// (the next cache takes that key instead of copying the text again).
struct ParsedChunk {
    real: Parse,
    placed: Vec<Arc<Item>>,
    key: Option<Arc<str>>,
}

/// A copy of a tree moved by `delta`.
fn moved(item: &Arc<Item>, delta: u32) -> Arc<Item> {
    let mut item = Item::clone(item);
    item.move_by(delta);
    Arc::new(item)
}

fn parse_with(
    text: &str,
    fast: bool,
    previous: Option<&ChunkCache>,
) -> (Parse, Option<ChunkCache>) {
    let chunks = chunk::chunk(text);
    let mut parse = Parse::default();
    for range in chunks.stray {
        if text[range.start as usize..].starts_with("/*") {
            parse.errors.push(SyntaxError {
                // Diagnostic: E0101 unclosed-delimiter
                code: crate::codes::E0101,
                range: TextRange::new(range.start as usize, range.start as usize + 2),
                message: "this `/*` is never closed".into(),
                label: "unclosed comment".into(),
                help: Some("add `*/` where the comment ends".into()),
            });
            continue;
        }
        parse.errors.push(SyntaxError {
            // Diagnostic: E0103 stray-text
            code: crate::codes::E0103,
            range,
            message: "text outside any item".into(),
            label: "not part of an item".into(),
            help: Some(format!(
                "items start at the beginning of a line with one of: {}",
                chunk::TOP_KEYWORDS.join(", ")
            )),
        });
    }
    // Items parse independently; large files parse their items on every core.
    let parse_one = |chunk: &chunk::Chunk| -> ParsedChunk {
        let start = chunk.range.start;
        let chunk_text = &text[start as usize..chunk.range.end as usize];
        if let Some((key, cached)) = previous.and_then(|p| p.0.get_key_value(chunk_text)) {
            let key = Some(key.clone());
            if cached.start == start {
                return ParsedChunk {
                    real: cached.real.clone(),
                    placed: cached.placed.clone(),
                    key,
                };
            }
            let delta = start.wrapping_sub(cached.start);
            let mut errors = cached.real.errors.clone();
            for error in &mut errors {
                error.range.move_by(delta);
            }
            let real = Parse {
                items: cached.real.items.iter().map(|i| moved(i, delta)).collect(),
                errors,
                placed: Vec::new(),
            };
            return ParsedChunk {
                real,
                placed: cached.placed.clone(),
                key,
            };
        }
        let mut one = Parse::default();
        build::parse_item(chunk_text, start as usize, fast, &mut one);
        let placed = match previous {
            Some(_) => {
                let delta = PLACED_AT.wrapping_sub(start);
                one.items.iter().map(|i| moved(i, delta)).collect()
            }
            None => Vec::new(),
        };
        ParsedChunk {
            real: one,
            placed,
            key: None,
        }
    };
    let parsed: Vec<ParsedChunk> = if text.len() > PARALLEL_PARSE_BYTES {
        use rayon::prelude::*;
        chunks.items.par_iter().map(parse_one).collect()
    } else {
        chunks.items.iter().map(parse_one).collect()
    };
    if previous.is_none() {
        for one in parsed {
            parse.items.extend(one.real.items);
            parse.errors.extend(one.real.errors);
        }
        return (parse, None);
    }
    let mut cache = ChunkCache::default();
    for (
        chunk,
        ParsedChunk {
            real: one,
            placed,
            key,
        },
    ) in chunks.items.iter().zip(parsed)
    {
        parse.items.extend(one.items.iter().cloned());
        parse.errors.extend(one.errors.iter().cloned());
        parse.placed.extend(placed.iter().cloned());
        let start = chunk.range.start;
        let key = key.unwrap_or_else(|| Arc::from(&text[start as usize..chunk.range.end as usize]));
        cache.0.insert(
            key,
            CachedChunk {
                start,
                real: one,
                placed,
            },
        );
    }
    (parse, Some(cache))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reusing the previous parse gives the trees and errors a fresh parse gives, for edits that
    /// keep or move the offsets of the items after them, that break an item, and that add or
    /// remove one; untouched items are the previous trees themselves (or moved copies), and
    /// their placed trees are the previous ones.
    #[test]
    fn reusing_chunks_equals_parsing_again() {
        let base = "param a: int = 1\n\nlayer one {\n  kms_key k { description = \"x\" }\n}\n\nlayer two {\n  kms_key k { description = \"y\" }\n}\n";
        let edits = [
            base.replace("= 1", "= 2"),
            base.replace("= 1", "= 1234"),
            base.replace("\"y\"", "\"why\""),
            base.replace("description = \"x\" }", "description = }"),
            base.replace("layer one", "/* layer one"),
            format!("{base}param b: string = \"z\"\n"),
            base.replace("param a: int = 1\n", ""),
            format!("{base}{base}"),
            String::new(),
        ];
        let same = |a: &Parse, b: &Parse| a.items == b.items && a.errors == b.errors;
        let placed_at = |parse: &Parse| -> Vec<Item> {
            parse
                .items
                .iter()
                .map(|item| {
                    let mut item = Item::clone(item);
                    item.move_by(PLACED_AT.wrapping_sub(item.range.start));
                    item
                })
                .collect()
        };
        let (first, cache) = parse_reusing(base, &ChunkCache::default());
        assert!(same(&first, &parse(base)));
        for edited in &edits {
            let (reused, next) = parse_reusing(edited, &cache);
            let fresh = parse(edited);
            assert!(same(&reused, &fresh), "after the edit to\n{edited}");
            let placed: Vec<Item> = reused.placed.iter().map(|i| Item::clone(i)).collect();
            assert_eq!(placed, placed_at(&fresh), "placed trees after\n{edited}");
            // And once more from the cache this parse left.
            let (again, _) = parse_reusing(base, &next);
            assert!(same(&again, &first));
        }
        let (same_offsets, _) = parse_reusing(&edits[0], &cache);
        assert!(!Arc::ptr_eq(&same_offsets.items[0], &first.items[0]));
        assert!(Arc::ptr_eq(&same_offsets.items[1], &first.items[1]));
        assert!(Arc::ptr_eq(&same_offsets.items[2], &first.items[2]));
        let (moved, _) = parse_reusing(&edits[1], &cache);
        assert!(!Arc::ptr_eq(&moved.items[1], &first.items[1]));
        assert_ne!(moved.items[1].range, first.items[1].range);
        assert!(Arc::ptr_eq(&moved.placed[1], &first.placed[1]));
        assert!(Arc::ptr_eq(&moved.placed[2], &first.placed[2]));
    }

    #[test]
    fn one_broken_item_costs_one_error() {
        let text = "param a: int = 1\nlayer broken {\n  network n { cidr = }\n}\nparam b: string = \"x\"\n";
        let parse = parse(text);
        let names: Vec<_> = parse
            .items
            .iter()
            .filter_map(|it| it.name())
            .map(|n| n.name.as_str())
            .collect();
        assert_eq!(names, vec!["a", "broken", "b"]);
        assert!(matches!(parse.items[0].kind, ItemKind::Param(_)));
        assert!(matches!(parse.items[2].kind, ItemKind::Param(_)));
        assert_eq!(parse.errors.len(), 1, "{:?}", parse.errors);
    }

    #[test]
    fn parses_the_language_tour() {
        let text = r#"
/// The shop.
project shop {
  region = "eu-west-1"
  tags   = { project = "shop", "cost-center" = "cc-1" }
}
type NatMode = enum("single", "per_az")
param azs: int(2..6) = 2
param clients: map<{ nodes: int(1..10), class: string = "small" }> = {}
module network {
  source = "stdlib/network"
  /// The CIDR.
  input cidr: string(cidr)
  input name: const string = "${project}-${env}"
  output vpc_id: string
}
layer foundation {
  network vpc {
    cidr = "10.0.0.0/16"
    azs  = azs > 2 ? 3 : azs * 1
  }
  output vpc_id: string = vpc.vpc_id
}
layer client(name, spec) for clients {
  s3_bucket b { bucket = "x-${name}-$${literal}" }
}
env pro extends pre {
  azs = 3
  databases.orders.instance_class = "db.r6g.large"
  allowed += ["10.0.0.0/8"]
}
policy hardening for pro, pre {
  require databases.*.deletion_protection "must protect"
  require !(azs < 3) && nat == "per_az"
}
"#;
        let parse = parse(text);
        assert!(parse.errors.is_empty(), "{:#?}", parse.errors);
        assert_eq!(parse.items.len(), 9);
        assert_eq!(parse.items[0].doc.as_deref(), Some("The shop."));
        let ItemKind::Env(env) = &parse.items[7].kind else {
            panic!("not an env")
        };
        assert_eq!(env.body.entries.len(), 3);
        assert_eq!(
            env.body.entries[1].dotted(),
            "databases.orders.instance_class"
        );
        assert!(env.body.entries[2].append);
    }

    #[test]
    fn a_missing_value_is_reported_and_the_block_survives() {
        let parse = parse("env dev {\n  azs =\n  nat = \"single\"\n}\n");
        assert_eq!(parse.errors.len(), 1, "{:?}", parse.errors);
        let ItemKind::Env(env) = &parse.items[0].kind else {
            panic!("not an env")
        };
        assert_eq!(env.body.entries.len(), 2, "{:#?}", env.body.entries);
        assert_eq!(env.body.entries[0].value.kind, ExprKind::Missing);
    }

    #[test]
    fn never_fails_on_garbage() {
        for text in [
            "",
            "}}}}",
            "layer",
            "env e extends",
            "\u{0}\u{1}layer x {",
            "param : = ",
            "\"unterminated",
        ] {
            let _ = parse(text);
        }
    }
}

#[cfg(test)]
mod doc_comment_tests {
    #[test]
    fn a_doc_comment_after_a_value_is_not_a_division() {
        let text = "module m {\n  input a: string = \"\"\n  /// A.\n  input z: string = \"x\" // note\n  output o: int\n}\n";
        assert!(
            super::parse(text).errors.is_empty(),
            "{:?}",
            super::parse(text).errors
        );
    }
}

#[cfg(test)]
mod differential;
