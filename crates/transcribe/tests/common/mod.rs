//! Helpers shared by the handler tests: the fixture model published in an in-memory store as
//! `sawt models push` publishes it, forms encoded as the openai SDK's transport encodes them,
//! and the OpenAI error envelope check.
#![allow(dead_code)] // each test file uses its own subset

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::OnceLock;

use sawt_api::{MapEnv, Response};
use sawt_store::{publish, Kv, MemKv, StoreConfig};
use sawt_transcribe::{handle, Outcome, Request};
use serde_json::Value;

pub const MODEL: &str = "whisper-tiny";
pub const SPEECH: &str = "speech_16k_s16_mono.wav";

pub fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/whisper")
}

pub fn model_files() -> &'static HashMap<String, Vec<u8>> {
    static FILES: OnceLock<HashMap<String, Vec<u8>>> = OnceLock::new();
    FILES.get_or_init(|| {
        sawt_whisper::parity::read_model_dir(&fixtures().join("model"))
            .unwrap_or_else(|e| panic!("{e}"))
    })
}

pub fn audio(name: &str) -> Vec<u8> {
    std::fs::read(fixtures().join("audio").join(name)).unwrap()
}

/// A store holding the fixture model under `whisper-tiny`, published as the admin API does.
pub fn store() -> MemKv {
    let kv = MemKv::new();
    let mut files: Vec<(&str, &[u8])> = model_files()
        .iter()
        .map(|(n, b)| (n.as_str(), b.as_slice()))
        .collect();
    files.sort();
    publish(&kv, MODEL, &files, BTreeMap::new(), &StoreConfig::default()).unwrap();
    kv
}

pub use sawt_api::multipart::Field;

/// Encodes a form the way httpx (the openai SDK's transport) does, with a 32-hex-digit
/// boundary.
pub fn form(fields: &[Field]) -> (String, Vec<u8>) {
    sawt_api::multipart::encode(fields, "4c2b0c8d1f7e4b2a9d3e6f1a0b5c7d8e")
}

pub fn post(path: &str, ct: &str, body: &[u8], env: &MapEnv, kv: &dyn Kv) -> Outcome {
    let headers = vec![
        ("Content-Type".to_string(), ct.to_string()),
        ("Content-Length".to_string(), body.len().to_string()),
    ];
    handle(
        &Request {
            method: "POST",
            path,
            headers: &headers,
            body,
        },
        env,
        kv,
    )
}

/// POSTs `fields` to the transcriptions route with the default configuration.
pub fn transcribe(fields: &[Field], kv: &dyn Kv) -> Outcome {
    let (ct, body) = form(fields);
    post("/v1/audio/transcriptions", &ct, &body, &MapEnv::new(), kv)
}

pub fn json(r: &Response) -> Value {
    serde_json::from_slice(&r.body)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&r.body)))
}

/// Checks the OpenAI error envelope and returns its `error` object.
pub fn error(o: &Outcome, status: u16) -> Value {
    let r = &o.response;
    assert_eq!(
        r.status,
        status,
        "body: {}",
        String::from_utf8_lossy(&r.body)
    );
    assert_eq!(r.header("content-type"), Some("application/json"));
    let v = json(r);
    let e = v["error"].clone();
    assert!(e["message"].is_string(), "{v}");
    assert!(e["type"].is_string(), "{v}");
    assert!(e.get("param").is_some() && e.get("code").is_some(), "{v}");
    e
}

pub fn speech_file(data: &[u8]) -> Field<'_> {
    Field::File("file", "speech.wav", "audio/wav", data)
}
