#![no_main]
//! cargo fuzz target: see fuzz/common.rs.

#[path = "../common.rs"]
mod common;

libfuzzer_sys::fuzz_target!(|data: &[u8]| common::zoom_decode(data));
