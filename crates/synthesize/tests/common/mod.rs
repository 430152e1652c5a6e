//! Helpers shared by the handler tests: the fixture XTTS model published in an in-memory store
//! as `sawt models push` publishes it, requests, voices made through the API, the error
//! envelope check, and coqui's reference cases.
#![allow(dead_code)] // each test file uses its own subset

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::OnceLock;

use sawt_api::multipart::{encode, Field};
use sawt_api::MapEnv;
use sawt_store::{publish, Kv, MemKv, StoreConfig};
use sawt_synthesize::{handle, Outcome, Recorder, Request};
use serde_json::Value;

pub const MODEL: &str = "xtts-v2";

pub fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/xtts")
}

pub fn read(rel: &str) -> Vec<u8> {
    let path = fixtures().join(rel);
    std::fs::read(&path).unwrap_or_else(|e| panic!("fixture {} missing: {e}", path.display()))
}

/// coqui's reference cases and tensors.
pub fn reference() -> &'static sawt_xtts::parity::Fixture {
    static FX: OnceLock<sawt_xtts::parity::Fixture> = OnceLock::new();
    FX.get_or_init(|| {
        sawt_xtts::parity::Fixture::load(&fixtures()).unwrap_or_else(|e| panic!("{e}"))
    })
}

/// A store holding the fixture model under `xtts-v2` (plus `extra` files), published as the
/// admin API does.
pub fn store_with(extra: &[(&str, Vec<u8>)]) -> MemKv {
    let kv = MemKv::new();
    let mut owned: Vec<(String, Vec<u8>)> = sawt_xtts::parity::MODEL_FILES
        .iter()
        .map(|n| (n.to_string(), read(&format!("model/{n}"))))
        .collect();
    owned.extend(extra.iter().map(|(n, b)| (n.to_string(), b.clone())));
    owned.sort();
    let files: Vec<(&str, &[u8])> = owned
        .iter()
        .map(|(n, b)| (n.as_str(), b.as_slice()))
        .collect();
    publish(&kv, MODEL, &files, BTreeMap::new(), &StoreConfig::default()).unwrap();
    kv
}

pub fn store() -> MemKv {
    store_with(&[])
}

/// Greedy decoding and coqui's own text path, so answers compare with coqui's references.
pub fn env() -> MapEnv {
    MapEnv::new()
        .with("tts_sampling", "greedy")
        .with("tts_normalizer", "xtts")
}

pub fn request(
    method: &str,
    path: &str,
    ct: &str,
    body: &[u8],
    env: &MapEnv,
    kv: &dyn Kv,
) -> (Outcome, Recorder) {
    let headers = vec![
        ("Content-Type".to_string(), ct.to_string()),
        ("Content-Length".to_string(), body.len().to_string()),
    ];
    let mut out = Recorder::default();
    let outcome = handle(
        &Request {
            method,
            path,
            headers: &headers,
            body,
        },
        env,
        kv,
        &mut out,
    );
    (outcome, out)
}

pub fn speech(body: &Value, env: &MapEnv, kv: &dyn Kv) -> Recorder {
    let bytes = serde_json::to_vec(body).unwrap();
    request(
        "POST",
        "/v1/audio/speech",
        "application/json",
        &bytes,
        env,
        kv,
    )
    .1
}

/// POST /v1/audio/voices with a clip; the recorder of the answer.
pub fn create_voice(name: &str, clip: &[u8], env: &MapEnv, kv: &dyn Kv) -> Recorder {
    let (ct, body) = encode(
        &[
            Field::Text("name", name),
            Field::File("file", "clip.wav", "audio/wav", clip),
        ],
        "4c2b0c8d1f7e4b2a9d3e6f1a0b5c7d8e",
    );
    request("POST", "/v1/audio/voices", &ct, &body, env, kv).1
}

/// The reference clips cloned through the API; name → id.
pub fn cloned_voices(env: &MapEnv, kv: &dyn Kv) -> BTreeMap<String, String> {
    let mut ids = BTreeMap::new();
    for v in &reference().meta.voices {
        let r = create_voice(&v.name, &read(&v.file), env, kv);
        let body = json(&r);
        assert_eq!(r.status, 201, "{body}");
        ids.insert(v.name.clone(), body["id"].as_str().unwrap().to_owned());
    }
    ids
}

pub fn json(r: &Recorder) -> Value {
    serde_json::from_slice(&r.body)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&r.body)))
}

/// Checks the OpenAI error envelope and returns its `error` object.
pub fn error(r: &Recorder, status: u16) -> Value {
    assert_eq!(
        r.status,
        status,
        "body: {}",
        String::from_utf8_lossy(&r.body)
    );
    assert!(!r.streamed, "an error is a whole answer");
    assert_eq!(r.header("content-type"), Some("application/json"));
    let v = json(r);
    let e = v["error"].clone();
    assert!(e["message"].is_string(), "{v}");
    assert!(e["type"].is_string(), "{v}");
    assert!(e.get("param").is_some() && e.get("code").is_some(), "{v}");
    e
}

/// 16-bit little-endian samples.
pub fn i16s(bytes: &[u8]) -> Vec<i16> {
    bytes
        .chunks_exact(2)
        .map(|b| i16::from_le_bytes([b[0], b[1]]))
        .collect()
}

/// `got` (16-bit) against coqui's float waveform: the first sample off by more than `tol`.
pub fn compare_wave(what: &str, got: &[i16], want: &[f32], tol: f32) {
    assert_eq!(got.len(), want.len(), "{what}: sample count");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        let g = f32::from(*g) / 32767.0;
        assert!(
            (g - w).abs() <= tol,
            "{what}: first mismatch at sample {i}: {g} vs coqui's {w} (tolerance {tol})"
        );
    }
}
