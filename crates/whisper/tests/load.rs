//! Loading a stored model whose files do not belong together is a typed error, never a trap
//! later in decoding.

use std::collections::BTreeMap;
use std::path::PathBuf;

use sawt_whisper::{ModelConfig, TractWhisper, WhisperError};

fn fixture_files() -> BTreeMap<String, Vec<u8>> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/whisper/model");
    [
        "config.json",
        "encoder.onnx",
        "decoder.onnx",
        "multilingual.tiktoken",
    ]
    .into_iter()
    .map(|n| {
        let bytes = std::fs::read(dir.join(n))
            .unwrap_or_else(|e| panic!("fixture {n} (scripts/make_fixtures.py): {e}"));
        (n.to_owned(), bytes)
    })
    .collect()
}

#[test]
fn the_fixture_loads() {
    assert!(TractWhisper::load_owned(fixture_files()).is_ok());
}

/// A config that is consistent in itself (one more token, timestamps moved up by one) but not
/// with the decoder graph, which produces 51,865 logits: the graph check refuses it (and the
/// full load refuses it already at the tokenizer, whose special tokens no longer line up).
#[test]
fn a_config_whose_vocabulary_the_graph_does_not_have_is_refused_at_load() {
    let mut files = fixture_files();
    let mut cfg: serde_json::Value = serde_json::from_slice(&files["config.json"]).unwrap();
    cfg["dims"]["n_vocab"] = 51866.into();
    cfg["special_tokens"]["timestamp_begin"] = 50365.into();
    let cfg_bytes = serde_json::to_vec(&cfg).unwrap();
    let config = ModelConfig::from_json(&cfg_bytes).unwrap();
    match TractWhisper::from_graphs(config, &files["encoder.onnx"], &files["decoder.onnx"]) {
        Err(WhisperError::VocabMismatch { config, graph }) => {
            assert_eq!((config, graph), (51866, 51865));
        }
        Err(e) => panic!("expected VocabMismatch, got {e}"),
        Ok(_) => panic!("a mismatched vocabulary loaded"),
    }
    files.insert("config.json".into(), cfg_bytes);
    assert!(matches!(
        TractWhisper::load_owned(files),
        Err(WhisperError::Tokenizer(_))
    ));
}
