//! cargo-fuzz target `emit_roundtrip`; the body is `infrac_fuzz::emit_roundtrip` (see `src/lib.rs`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| infrac_fuzz::emit_roundtrip(data));
