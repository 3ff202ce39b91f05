//! Random edits of the default system never make the compiler panic: every mutated project is
//! parsed, checked in every environment and emitted when it checks clean.

use infrac_core::config::EnvName;
use infrac_emit::analysis::emit_env;

/// A small deterministic generator (a 64-bit LCG), so failures replay.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const PIECES: &[&str] = &[
    "{",
    "}",
    "[",
    "]",
    "(",
    ")",
    "\"",
    "${",
    "$${",
    "=",
    "+=",
    ".",
    ",",
    "*",
    "/",
    "//",
    "/*",
    "*/",
    "\n",
    " ",
    "é",
    "😀",
    "\u{0}",
    "\\",
    "env ",
    "layer ",
    "param ",
    "extends ",
    "require ",
    "output ",
    "null",
    "true",
    "-1",
    "99999999999999999999",
    "1.5",
    "foundation.",
    "x.y.z",
];

fn mutate(text: &str, rng: &mut Rng) -> String {
    let mut out: Vec<char> = text.chars().collect();
    for _ in 0..1 + rng.below(4) {
        let at = rng.below(out.len() + 1);
        match rng.below(3) {
            0 => {
                let piece = PIECES[rng.below(PIECES.len())];
                out.splice(at..at, piece.chars());
            }
            1 => {
                let end = (at + 1 + rng.below(20)).min(out.len());
                if at < end {
                    out.drain(at..end);
                }
            }
            _ => {
                let from = rng.below(out.len());
                let end = (from + rng.below(40)).min(out.len());
                let copied: Vec<char> = out[from..end].to_vec();
                let at = at.min(out.len());
                out.splice(at..at, copied);
            }
        }
    }
    out.into_iter().collect()
}

#[test]
fn random_edits_never_panic() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../environments");
    let mut files: Vec<(String, String)> = std::fs::read_dir(&dir)
        .expect("environments exists")
        .flatten()
        .map(|e| {
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read_to_string(e.path()).expect("read"),
            )
        })
        .collect();
    files.sort();
    let mut rng = Rng(SEED);
    let mut clean = 0;
    for _ in 0..ROUNDS {
        let victim = rng.below(files.len());
        let fixture: String = files
            .iter()
            .enumerate()
            .map(|(idx, (name, text))| {
                let text = if idx == victim {
                    mutate(text, &mut rng)
                } else {
                    text.clone()
                };
                format!("//- /{name}\n{text}\n")
            })
            .collect();
        let (db, workspace, sources) = infrac_tests::load_fixture(&fixture);
        let diagnostics = infrac_tests::fixture_diagnostics(&db, workspace, &sources);
        if diagnostics.iter().all(|d| !d.is_error()) {
            clean += 1;
        }
        for source in &sources {
            for env in infrac_emit::analysis::envs_in_file(&db, *source) {
                let _ = emit_env(&db, workspace, EnvName::new(&db, env), *source);
            }
        }
    }
    assert!(
        clean < ROUNDS,
        "every mutation checked clean: the mutations do nothing"
    );
}

/// How many mutated projects to check.
const ROUNDS: usize = 600;

/// The seed of the edit sequence; change it to explore other edits.
const SEED: u64 = 0x1bf2_ac00_2026_1124;
