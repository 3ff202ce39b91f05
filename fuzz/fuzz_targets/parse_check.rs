//! cargo-fuzz target `parse_check`; the body is `infrac_fuzz::parse_check` (see `src/lib.rs`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| infrac_fuzz::parse_check(data));
