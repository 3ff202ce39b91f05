//! infrac: the command-line compiler's library part, the terminal rendering of diagnostics.
//!
//! The language itself lives in the crates below (`infrac-syntax`, `infrac-core`, `infrac-emit`,
//! `infrac-ide`); this package holds what only a terminal needs: miette rendering (`render`), and
//! the `infrac` binary (clap, mimalloc, the output writer).

pub mod render;
