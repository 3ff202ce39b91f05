//! cargo-fuzz target `mutate_envs`; the body is `infrac_fuzz::mutate_envs` (see `src/lib.rs`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| infrac_fuzz::mutate_envs(data));
