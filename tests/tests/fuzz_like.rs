//! The fuzz targets of `fuzz/` as plain tests: each target runs a fixed number of times on bytes
//! from a seeded generator, so that every test run exercises them without cargo-fuzz or nightly.
//! Longer sessions: see docs/hardening.md.

#[path = "../../fuzz/src/lib.rs"]
mod targets;

/// A small deterministic generator (SplitMix64), so failures replay.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Between 0 and `max` bytes, biased to the language's characters half of the time.
    fn bytes(&mut self, max: usize) -> Vec<u8> {
        const ALPHABET: &[u8] = b"{}[]()<>\"$=+.,:?*/ \n\tabcenvlayerparam_0123456789";
        let len = (self.next() % (max as u64 + 1)) as usize;
        let text_like = self.next() & 1 == 0;
        (0..len)
            .map(|_| {
                let r = self.next();
                if text_like {
                    ALPHABET[(r % ALPHABET.len() as u64) as usize]
                } else {
                    r as u8
                }
            })
            .collect()
    }
}

/// Runs `target` on `runs` generated inputs, and on every seed file of its committed corpus.
fn run(name: &str, target: fn(&[u8]), runs: usize, max_len: usize, seed: u64) {
    let corpus = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz/corpus")
        .join(name);
    let mut seeds: Vec<_> = std::fs::read_dir(&corpus)
        .map(|dir| dir.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    seeds.sort();
    assert!(!seeds.is_empty(), "no seed corpus in {}", corpus.display());
    for path in seeds {
        target(&std::fs::read(&path).expect("read a seed"));
    }
    let mut rng = Rng(seed);
    for _ in 0..runs {
        let data = rng.bytes(max_len);
        target(&data);
    }
}

#[test]
fn parse_check() {
    run("parse_check", targets::parse_check, 400, 300, 0x1a2b_3c4d);
}

#[test]
fn mutate_envs() {
    run("mutate_envs", targets::mutate_envs, 120, 64, 0x5e6f_7081);
}

#[test]
fn edit_sequence() {
    run("edit_sequence", targets::edit_sequence, 12, 96, 0x9293_a4b5);
}

#[test]
fn emit_roundtrip() {
    run(
        "emit_roundtrip",
        targets::emit_roundtrip,
        2000,
        200,
        0xc0de_5eed,
    );
}
