//! The transcribe component on a real-size model, as Spin runs it (scripts/bench/run drives it):
//! the component's size and compile time, then per request the store read + verify, the graph
//! build, the inference, the total and the peak linear memory, for each clip given. One JSON
//! line per measurement on stdout. Not a test.
//!
//!     cargo run --release -p spin-harness --example transcribe_bench -- MODEL_DIR RUNS CLIP.wav...
//!
//! MODEL_DIR is a sawt Whisper export (scripts/whisper_export.py; a random real-size one from
//! scripts/make_fixtures.py --bench); it is pushed with `sawt models push` through the admin
//! component into the harness's in-memory store. Build the release wasm first (`cargo build
//! --target wasm32-wasip1 --release -p sawt-transcribe-fn -p sawt-admin-fn`).

use std::path::PathBuf;
use std::time::Instant;

use bytes::Bytes;
use sawt_api::multipart::{encode, Field};
use serde_json::{json, Value};
use spin_harness::{Harness, HarnessOptions};

#[path = "../tests/common/mod.rs"]
mod common;

const TOKEN: &str = "bench-admin-token";
const MODEL: &str = "whisper-bench";

/// `(audio 3 ms, kv read 25 ms for 44000000 bytes, model build 300 ms, inference 900 ms)` from
/// the component's log line.
fn log_numbers(log: &str) -> Value {
    let mut out = serde_json::Map::new();
    for (label, key) in [
        ("audio ", "audio_ms"),
        ("kv read ", "kv_read_ms"),
        ("for ", "model_bytes"),
        ("model build ", "build_ms"),
        ("inference ", "inference_ms"),
    ] {
        if let Some(v) = log.split(label).nth(1).and_then(|r| {
            r.split(|c: char| !c.is_ascii_digit())
                .next()
                .and_then(|n| n.parse::<u64>().ok())
        }) {
            out.insert(key.into(), v.into());
        }
    }
    Value::Object(out)
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [model, runs, clips @ ..] = args.as_slice() else {
        eprintln!("usage: transcribe_bench MODEL_DIR RUNS CLIP.wav...");
        std::process::exit(2);
    };
    let runs: usize = runs.parse().unwrap_or_else(|_| panic!("RUNS: {runs:?}"));
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let started = Instant::now();
    let app = Harness::from_manifest(
        repo.join("spin.toml"),
        HarnessOptions::new()
            .without_env()
            .variable("admin_token", TOKEN)
            .variable("whisper_model", MODEL)
            .variable("max_audio_length", "600"),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let wasm = repo.join("target/wasm32-wasip1/release/sawt_transcribe_fn.wasm");
    let size = std::fs::metadata(&wasm)
        .unwrap_or_else(|e| panic!("{}: {e}", wasm.display()))
        .len();
    let compile = app.compile_times();
    println!(
        "{}",
        json!({"kind": "component", "component": "transcribe", "wasm_bytes": size,
               "compile_ms": compile.get("transcribe").map(|d| d.as_secs_f64() * 1e3),
               "app_load_ms": started.elapsed().as_secs_f64() * 1e3})
    );
    let addr = app.serve("127.0.0.1:0").await.unwrap();
    common::push_through_admin(addr, PathBuf::from(model), MODEL, TOKEN).await;
    // What the model takes in the store: every chunk, the manifest and the pointer.
    let keys = app.kv("default").map_or(0, |kv| kv.keys().len());
    println!("{}", json!({"kind": "store", "keys": keys}));
    let name = PathBuf::from(model)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    for run in 0..runs {
        for clip in clips {
            let wav = std::fs::read(clip).unwrap_or_else(|e| panic!("{clip}: {e}"));
            let seconds = sawt_audio::decode_wav(&wav, None)
                .map(|a| a.samples.len() as f64 / f64::from(a.sample_rate))
                .unwrap_or(0.0);
            let (ct, body) = encode(
                &[
                    Field::Text("model", "whisper-1"),
                    Field::Text("response_format", "verbose_json"),
                    Field::File("file", "clip.wav", "audio/wav", &wav),
                ],
                "transcribe-bench-0123456789abcdef",
            );
            let request = http::Request::post("/v1/audio/transcriptions")
                .header("host", "localhost")
                .header("content-type", ct)
                .body(Bytes::from(body))
                .unwrap();
            let t = Instant::now();
            let r = app.handle(request).await.unwrap_or_else(|e| panic!("{e}"));
            let wall_ms = t.elapsed().as_secs_f64() * 1e3;
            let m = r.metrics.as_ref().expect("the component answered");
            assert_eq!(r.status.as_u16(), 200, "{}", r.text());
            let answer: Value = serde_json::from_slice(&r.body).unwrap_or_default();
            let tokens: usize = answer["segments"]
                .as_array()
                .map(|s| {
                    s.iter()
                        .map(|s| s["tokens"].as_array().map_or(0, Vec::len))
                        .sum()
                })
                .unwrap_or(0);
            let log = r
                .output
                .lines()
                .find(|l| l.starts_with("transcribe:"))
                .unwrap_or("");
            let mut line = json!({"kind": "request", "engine": "sawt component (wasm, Spin harness)",
                "model": name, "run": run, "clip_s": seconds, "text_tokens": tokens,
                "total_ms": wall_ms, "instantiate_ms": m.instantiate.as_secs_f64() * 1e3,
                "peak_mib": m.peak_memory_bytes as f64 / (1024.0 * 1024.0)});
            if let (Some(o), Value::Object(n)) = (line.as_object_mut(), log_numbers(log)) {
                o.extend(n);
            }
            println!("{line}");
        }
    }
}
