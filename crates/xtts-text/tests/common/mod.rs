//! Fixture reading and mismatch reporting shared by the text parity tests.
#![allow(dead_code)] // each test file uses its own subset

use std::io::Read;
use std::path::PathBuf;

use serde_json::Value;

/// A file of tests/fixtures/xtts/text, gunzipped when its name ends in `.gz`.
pub fn fixture_bytes(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/xtts/text")
        .join(name);
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    if name.ends_with(".gz") {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(&bytes[..])
            .read_to_end(&mut out)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        out
    } else {
        bytes
    }
}

pub fn fixture(name: &str) -> Value {
    serde_json::from_slice(&fixture_bytes(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// Index and values of the first difference, for the failure message.
pub fn first_mismatch<T: PartialEq + std::fmt::Debug>(got: &[T], want: &[T]) -> String {
    let i = got.iter().zip(want).take_while(|(a, b)| a == b).count();
    format!(
        "first mismatch at index {i}: got {:?}, want {:?} (lengths {} vs {})",
        got.get(i),
        want.get(i),
        got.len(),
        want.len()
    )
}
