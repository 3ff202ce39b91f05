//! Parses the files named on the command line, for profiling the parser alone:
//! `valgrind --tool=callgrind target/release/examples/parse_files /tmp/wl/medium/*.infra`.

/// The CLI's allocator, so that the profile's allocation costs are the CLI's.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::io::Result<()> {
    for path in std::env::args().skip(1) {
        let text = std::fs::read_to_string(&path)?;
        let parse = infrac_syntax::parse(&text);
        println!(
            "{path}: {} items, {} errors",
            parse.items.len(),
            parse.errors.len()
        );
        // The CLI keeps its trees until it exits: dropping them here would only blur the profile.
        std::mem::forget(parse);
    }
    Ok(())
}
