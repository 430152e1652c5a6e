//! The Whisper core inside wasm32-wasip1 (wasmtime, +simd128) gives the reference tokens and
//! text on every fixture, like the native build (crates/whisper/tests/reference.rs).
//! Needs `cargo build --target wasm32-wasip1 --release -p whisper-wasm` first (scripts/check).

use std::path::PathBuf;

use serde_json::Value;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fixtures/whisper")
}

fn module() -> PathBuf {
    let m = whisper_wasm::probe_module();
    assert!(
        m.exists(),
        "{} is missing: run `cargo build --target wasm32-wasip1 --release -p whisper-wasm`",
        m.display()
    );
    m
}

fn run_parity(model: &str) -> Vec<Value> {
    let out = whisper_wasm::run(
        &module(),
        &fixtures(),
        &["parity".into(), "/data".into(), model.into()],
    )
    .expect("wasm run");
    assert_eq!(out.exit_code, 0, "probe failed:\n{}", out.stdout);
    eprintln!(
        "{model}: wasm parity run {:.0} ms, peak linear memory {:.1} MiB",
        out.wall_ms,
        out.peak_memory_bytes as f64 / 1048576.0
    );
    out.stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect()
}

fn tokens(seg: &Value) -> Vec<u64> {
    seg["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap())
        .collect()
}

#[test]
fn wasm_transcripts_match_reference() {
    let index: Value =
        serde_json::from_slice(&std::fs::read(fixtures().join("reference/index.json")).unwrap())
            .unwrap();
    let want = index["transcripts"].as_array().unwrap();
    let got = run_parity("model");
    assert_eq!(got.len(), want.len(), "case count");
    for (g, w) in got.iter().zip(want) {
        let label = format!("{} {} ts={}", w["audio"], w["task"], w["timestamps"]);
        assert_eq!(g["audio"], w["audio"]);
        let got_tokens: Vec<Vec<u64>> = g["segments"]
            .as_array()
            .unwrap()
            .iter()
            .map(tokens)
            .collect();
        if let Some(note) = sawt_whisper::parity::first_divergence(&label, &got_tokens, w)
            .unwrap_or_else(|e| panic!("{e}"))
        {
            eprintln!("{label}: {note}");
            continue;
        }
        assert_eq!(g["text"], w["text"], "{label}: text");
    }
}

#[test]
fn wasm_runs_int8_model() {
    let index: Value =
        serde_json::from_slice(&std::fs::read(fixtures().join("reference/index.json")).unwrap())
            .unwrap();
    let want = index["transcripts"].as_array().unwrap();
    let got = run_parity("model-int8");
    assert_eq!(got.len(), want.len());
    // Dynamic int8 is not the reference's arithmetic: report how many cases still agree.
    let same = got
        .iter()
        .zip(want)
        .filter(|(g, w)| g["text"] == w["text"])
        .count();
    eprintln!(
        "int8 in wasm: {same} of {} transcripts equal the f32 reference",
        want.len()
    );
    assert!(got.iter().all(|g| g["segments"].as_array().is_some()));
}
