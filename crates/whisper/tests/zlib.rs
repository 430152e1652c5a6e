//! `zlib_len::compressed_len` equals the length of Python's `zlib.compress` (C zlib, level 6)
//! on every reference text: Whisper's window texts and texts that reach stored, static and
//! multi-block streams (tests/fixtures/whisper/reference/zlib.json, scripts/make_fixtures.py).

use std::path::PathBuf;

#[test]
fn compressed_length_equals_c_zlib() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/whisper/reference/zlib.json");
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    let cases = v["cases"].as_array().unwrap();
    assert!(cases.len() >= 20, "only {} cases", cases.len());
    let mut exact = 0;
    for (i, c) in cases.iter().enumerate() {
        let text = c["text"].as_str().unwrap();
        let want = c["compressed"].as_u64().unwrap() as usize;
        match sawt_whisper::zlib_len::compressed_len(text.as_bytes()) {
            Some(got) => {
                assert_eq!(
                    got,
                    want,
                    "case {i} ({} bytes): compressed length",
                    text.len()
                );
                exact += 1;
            }
            None => assert!(
                text.len() > sawt_whisper::zlib_len::MAX_EXACT_LEN,
                "case {i}"
            ),
        }
    }
    assert!(
        exact + 1 >= cases.len(),
        "{exact} of {} counted exactly",
        cases.len()
    );
}
