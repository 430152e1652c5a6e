//! Digest, publish and load throughput of one large file over `MemKv`, natively or in wasm.
//!
//!     cargo run --release -p sawt-store --example throughput [MB] [runs]
//!
//!     cargo build --release --target wasm32-wasip1 -p sawt-store --example throughput
//!     cargo run --release -p whisper-wasm --bin wasm-run -- \
//!         $CARGO_TARGET_DIR/wasm32-wasip1/release/examples/throughput.wasm . [MB] [runs]
//!
//! Each figure is the best of `runs` (default 3): the machine may be busy with other work.

use std::collections::BTreeMap;
use std::time::Instant;

use sawt_store::{
    blake3_hex, load_model, load_model_with, publish, sha256_hex, MemKv, ModelReader, Pointer,
    ReadOptions, StoreConfig, CHUNK_SIZE,
};

/// Best wall time of `runs` calls, in seconds, and the last result.
fn best_of<T>(runs: usize, mut f: impl FnMut() -> T) -> (f64, T) {
    let mut best = f64::INFINITY;
    let mut out = None;
    for _ in 0..runs.max(1) {
        let t = Instant::now();
        let r = f();
        best = best.min(t.elapsed().as_secs_f64());
        out = Some(r);
    }
    (best, out.expect("at least one run"))
}

/// Rewrites the live manifest without `chunk_blake3`, as published before it existed.
fn strip_blake3(kv: &MemKv, model: &str) {
    let mut m = ModelReader::open(kv, model).expect("open").into_manifest();
    for f in &mut m.files {
        f.chunk_blake3.clear();
    }
    let bytes = serde_json::to_vec(&m).expect("manifest json");
    let pointer = Pointer {
        version: m.version.clone(),
        manifest_sha256: sha256_hex(&bytes),
    };
    kv.put_raw(&format!("m/{model}/{}/manifest", m.version), bytes);
    kv.put_raw(
        &format!("m/{model}/current"),
        serde_json::to_vec(&pointer).expect("pointer json"),
    );
}

fn main() {
    let mut args = std::env::args().skip(1);
    let mb: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(40);
    let runs: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(3);
    let data: Vec<u8> = (0..mb * 1_000_000)
        .map(|i| (i as u32).wrapping_mul(2_654_435_761).to_le_bytes()[3])
        .collect();
    let rate = |s: f64| mb as f64 / s;

    let (sha_s, sha) = best_of(runs, || sha256_hex(&data));
    let (b3_s, b3) = best_of(runs, || blake3_hex(&data));
    // What a load does: one digest per 1 MB chunk.
    let (sha_chunks_s, _) = best_of(runs, || {
        data.chunks(CHUNK_SIZE).map(sha256_hex).collect::<Vec<_>>()
    });
    let (b3_chunks_s, _) = best_of(runs, || {
        data.chunks(CHUNK_SIZE).map(blake3_hex).collect::<Vec<_>>()
    });

    let kv = MemKv::new();
    let cfg = StoreConfig::default();
    let t = Instant::now();
    let c = publish(
        &kv,
        "bench",
        &[("model.onnx", &data)],
        BTreeMap::new(),
        &cfg,
    )
    .expect("publish");
    let publish_s = t.elapsed().as_secs_f64();
    assert_eq!(c.manifest.files[0].chunk_blake3.len(), mb);

    let load = |options: ReadOptions| {
        best_of(runs, || {
            let m = load_model_with(&kv, "bench", options).expect("load");
            assert_eq!(m.files["model.onnx"].len(), data.len());
        })
        .0
    };
    let full_b3_s = load(ReadOptions::default());
    let chunks_b3_s = load(ReadOptions::CHUNKS_ONLY);
    assert_eq!(
        load_model(&kv, "bench").expect("load").files["model.onnx"],
        data
    );
    strip_blake3(&kv, "bench");
    let full_sha_s = load(ReadOptions::default());
    let chunks_sha_s = load(ReadOptions::CHUNKS_ONLY);

    println!(
        "{mb} MB in {} chunks of {CHUNK_SIZE} B; keys used: {} (chunks + manifest + pointer); best of {runs}",
        c.manifest.files[0].chunks,
        kv.len()
    );
    println!(
        "sha256, whole buffer:                     {:7.1} MB/s ({})",
        rate(sha_s),
        &sha[..12]
    );
    println!(
        "blake3, whole buffer:                     {:7.1} MB/s ({})",
        rate(b3_s),
        &b3[..12]
    );
    println!(
        "sha256, per 1 MB chunk:                   {:7.1} MB/s  {:6.1} ms",
        rate(sha_chunks_s),
        sha_chunks_s * 1e3
    );
    println!(
        "blake3, per 1 MB chunk:                   {:7.1} MB/s  {:6.1} ms",
        rate(b3_chunks_s),
        b3_chunks_s * 1e3
    );
    println!(
        "publish (sha256 twice + blake3 + copy):   {:7.1} MB/s  (one run)",
        rate(publish_s)
    );
    println!(
        "load, chunk blake3 + file sha256:         {:7.1} MB/s  {:6.1} ms",
        rate(full_b3_s),
        full_b3_s * 1e3
    );
    println!(
        "load, chunk blake3 only (CHUNKS_ONLY):    {:7.1} MB/s  {:6.1} ms",
        rate(chunks_b3_s),
        chunks_b3_s * 1e3
    );
    println!(
        "load, old manifest, chunk + file sha256:  {:7.1} MB/s  {:6.1} ms",
        rate(full_sha_s),
        full_sha_s * 1e3
    );
    println!(
        "load, old manifest, chunk sha256 only:    {:7.1} MB/s  {:6.1} ms",
        rate(chunks_sha_s),
        chunks_sha_s * 1e3
    );
}
