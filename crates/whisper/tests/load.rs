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
        "token_embedding.safetensors",
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
/// with the token embedding, which has 51,865 rows: the embedding check refuses it (and the
/// full load refuses it already at the tokenizer, whose special tokens no longer line up).
#[test]
fn a_config_whose_vocabulary_the_graph_does_not_have_is_refused_at_load() {
    let mut files = fixture_files();
    let mut cfg: serde_json::Value = serde_json::from_slice(&files["config.json"]).unwrap();
    cfg["dims"]["n_vocab"] = 51866.into();
    cfg["special_tokens"]["timestamp_begin"] = 50365.into();
    let cfg_bytes = serde_json::to_vec(&cfg).unwrap();
    let config = ModelConfig::from_json(&cfg_bytes).unwrap();
    match TractWhisper::from_graphs(
        config,
        files["token_embedding.safetensors"].clone(),
        &files["encoder.onnx"],
        &files["decoder.onnx"],
    ) {
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

/// A version-1 export (the embedding inside the decoder graph) is refused with the command that
/// makes a version-2 one, not with a missing-field parse error.
#[test]
fn a_version_1_export_is_refused_with_the_way_out() {
    let mut cfg: serde_json::Value =
        serde_json::from_slice(&fixture_files()["config.json"]).unwrap();
    cfg["format"] = "sawt-whisper-onnx/1".into();
    cfg.as_object_mut().unwrap().remove("token_embedding");
    match ModelConfig::from_json(&serde_json::to_vec(&cfg).unwrap()) {
        Err(WhisperError::Config(m)) => assert!(m.contains("scripts/whisper_export.py"), "{m}"),
        other => panic!("expected a config error, got {:?}", other.map(|c| c.format)),
    }
}

/// An embedding of another width than the decoder's (8, not 16) is refused at load.
#[test]
fn an_embedding_of_another_width_is_refused_at_load() {
    let mut files = fixture_files();
    let rows = 51865usize;
    let mut header = format!(
        r#"{{"weight":{{"dtype":"F32","shape":[{rows},8],"data_offsets":[0,{}]}}}}"#,
        rows * 8 * 4
    )
    .into_bytes();
    while !(8 + header.len()).is_multiple_of(8) {
        header.push(b' ');
    }
    let mut file = (header.len() as u64).to_le_bytes().to_vec();
    file.extend(header);
    file.resize(file.len() + rows * 8 * 4, 0);
    files.insert("token_embedding.safetensors".into(), file);
    match TractWhisper::load_owned(files) {
        Err(WhisperError::Load(m)) => assert!(m.contains("token embedding"), "{m}"),
        Err(e) => panic!("expected a load error, got {e}"),
        Ok(_) => panic!("an embedding of width 8 loaded for a decoder of width 16"),
    }
}
