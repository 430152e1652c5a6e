//! The synthesize component on a real-size model, as Spin runs it: per-request model read and
//! build, time to the first audio byte, total time and peak linear memory of one speech
//! request, and of the voice upload. Not a test: numbers for the README and closing notes.
//!
//!     cargo run --release -p spin-harness --example speech_bench -- MODEL_DIR CLIP.wav [TEXT] [RUNS]
//!
//! MODEL_DIR is a sawt XTTS export (scripts/xtts_export.py, or scripts/xtts_fixtures.py --full
//! and scripts/xtts_quantize.py for a random full-size one); it is pushed with `sawt models
//! push` through the admin component into the harness's in-memory store. Build the release
//! wasm first (`cargo build --target wasm32-wasip1 --release -p sawt-synthesize-fn -p
//! sawt-admin-fn`).

use std::path::PathBuf;
use std::time::Instant;

use bytes::Bytes;
use sawt_api::multipart::{encode, Field};
use spin_harness::{Harness, HarnessOptions, HarnessResponse};

#[path = "../tests/common/mod.rs"]
mod common;

const TOKEN: &str = "bench-admin-token";

fn line(label: &str, r: &HarnessResponse, wall: std::time::Duration) {
    let m = r.metrics.as_ref().expect("a component answered");
    let log = r
        .output
        .lines()
        .find(|l| l.starts_with("synthesize:"))
        .unwrap_or("");
    println!(
        "{label}: status {} wall {:.2} s, peak linear memory {:.0} MiB | {log}",
        m.status,
        wall.as_secs_f64(),
        m.peak_memory_bytes as f64 / (1024.0 * 1024.0)
    );
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [model, clip, rest @ ..] = args.as_slice() else {
        eprintln!("usage: speech_bench MODEL_DIR CLIP.wav [TEXT] [RUNS]");
        std::process::exit(2);
    };
    let text = rest
        .first()
        .cloned()
        .unwrap_or_else(|| "أهلا بيك، النهارده الجو حلو قوي في القاهرة.".into());
    let runs: usize = rest.get(1).and_then(|r| r.parse().ok()).unwrap_or(3);
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let app = Harness::from_manifest(
        repo.join("spin.toml"),
        HarnessOptions::new()
            .without_env()
            .variable("admin_token", TOKEN)
            .variable("tts_model", "xtts-bench"),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let addr = app.serve("127.0.0.1:0").await.unwrap();
    let started = Instant::now();
    common::push_through_admin(addr, PathBuf::from(model), "xtts-bench", TOKEN).await;
    println!("pushed {model} in {:.1} s", started.elapsed().as_secs_f64());

    let clip = std::fs::read(clip).unwrap();
    let (ct, body) = encode(
        &[
            Field::Text("name", "bench"),
            Field::File("file", "clip.wav", "audio/wav", &clip),
        ],
        "speech-bench-0123456789abcdef",
    );
    let send = |ct: String, path: &'static str, body: Vec<u8>| {
        let app = app.clone();
        async move {
            let request = http::Request::post(path)
                .header("host", "localhost")
                .header("content-type", ct)
                .body(Bytes::from(body))
                .unwrap();
            let started = Instant::now();
            let r = app.handle(request).await.unwrap_or_else(|e| panic!("{e}"));
            (r, started.elapsed())
        }
    };
    let (r, wall) = send(ct, "/v1/audio/voices", body).await;
    line("voice upload", &r, wall);
    assert_eq!(r.status.as_u16(), 201, "{}", r.text());
    for i in 0..runs {
        let body = serde_json::to_vec(&serde_json::json!({
            "model": "tts-1", "input": text, "response_format": "pcm"
        }))
        .unwrap();
        let (r, wall) = send("application/json".into(), "/v1/audio/speech", body).await;
        line(&format!("speech {}", i + 1), &r, wall);
    }
}
