//! cargo-fuzz target `edit_sequence`; the body is `infrac_fuzz::edit_sequence` (see `src/lib.rs`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| infrac_fuzz::edit_sequence(data));
