//! Parity with coqui-tts 0.27.2's `VoiceBpeTokenizer` (scripts/xtts_text_reference.py,
//! tests/fixtures/xtts/text/tokens.json) on two vocabularies: the tiny fixture BPE (vocab.json,
//! written by today's `tokenizers`) and coqui's own XTTS test vocabulary in the layout of the
//! released files (coqui_xtts_vocab.json.gz). For every case the text coqui's cleaner produced
//! goes in and coqui's ids and `decode` must come out; the vocabulary size and the special
//! tokens' ids must agree too.

use sawt_xtts_text::tokenizer::XttsTokenizer;
use serde_json::Value;

mod common;
use common::{first_mismatch, fixture_bytes};

fn reference() -> Value {
    serde_json::from_slice(&fixture_bytes("tokens.json")).expect("tokens.json")
}

fn load(vocab: &Value) -> XttsTokenizer {
    let file = vocab["file"].as_str().expect("file");
    XttsTokenizer::from_bytes(&fixture_bytes(file)).unwrap_or_else(|e| panic!("{file}: {e}"))
}

fn ids(v: &Value) -> Vec<u32> {
    v.as_array()
        .expect("ids")
        .iter()
        .map(|x| x.as_u64().expect("id") as u32)
        .collect()
}

fn check_vocab(name: &str, min_cases: usize) {
    let reference = reference();
    let vocab = &reference["vocabs"][name];
    let tok = load(vocab);
    assert_eq!(
        tok.vocab_size() as u64,
        vocab["vocab_size"].as_u64().expect("vocab_size"),
        "{name}: vocab_size"
    );
    for (token, id) in vocab["token_ids"].as_object().expect("token_ids") {
        assert_eq!(
            tok.token_to_id(token).map(u64::from),
            id.as_u64(),
            "{name}: token_to_id({token:?})"
        );
    }
    let cases = vocab["cases"].as_array().expect("cases");
    assert!(
        cases.len() >= min_cases,
        "{name}: only {} cases",
        cases.len()
    );
    for (i, case) in cases.iter().enumerate() {
        let cleaned = case["cleaned"].as_str().expect("cleaned");
        let lang = case["lang"].as_str().expect("lang");
        let want = ids(&case["ids"]);
        let got = tok
            .encode_prepared(cleaned, lang)
            .unwrap_or_else(|e| panic!("{name} case {i}: {e}"));
        assert!(
            got == want,
            "{name} case {i} ({lang:?}, {cleaned:?}): {}",
            first_mismatch(&got, &want)
        );
        let decoded = tok
            .decode(&want)
            .unwrap_or_else(|e| panic!("{name} case {i}: {e}"));
        assert_eq!(
            decoded,
            case["decoded"].as_str().expect("decoded"),
            "{name} case {i}: decode"
        );
    }
}

#[test]
fn fixture_vocab_matches_coqui() {
    check_vocab("fixture", 25);
}

#[test]
fn coqui_layout_vocab_matches_coqui() {
    check_vocab("coqui", 25);
}

#[test]
fn malformed_vocab_is_an_error() {
    assert!(XttsTokenizer::from_bytes(b"{}").is_err());
    assert!(XttsTokenizer::from_bytes(b"not json").is_err());
}
