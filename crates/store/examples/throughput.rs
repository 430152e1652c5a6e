//! Publish and load throughput of one large file over `MemKv` (native).
//!
//!     cargo run --release -p sawt-store --example throughput [MB]

use std::collections::BTreeMap;
use std::time::Instant;

use sawt_store::{
    load_model, load_model_with, publish, MemKv, ReadOptions, StoreConfig, CHUNK_SIZE,
};

fn main() {
    let mb: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(40);
    let data: Vec<u8> = (0..mb * 1_000_000)
        .map(|i| (i as u32).wrapping_mul(2_654_435_761).to_le_bytes()[3])
        .collect();
    let t = Instant::now();
    let digest = sawt_store::sha256_hex(&data);
    let sha_s = t.elapsed().as_secs_f64();
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

    let t = Instant::now();
    let full = load_model(&kv, "bench").expect("load");
    let load_s = t.elapsed().as_secs_f64();
    assert_eq!(full.files["model.onnx"], data);
    drop(full);

    let t = Instant::now();
    let chunks_only = load_model_with(
        &kv,
        "bench",
        ReadOptions {
            verify_files: false,
        },
    )
    .expect("load");
    let chunks_s = t.elapsed().as_secs_f64();
    assert_eq!(chunks_only.files["model.onnx"].len(), data.len());

    println!(
        "{mb} MB in {} chunks of {CHUNK_SIZE} B; keys used: {} (chunks + manifest + pointer)",
        c.manifest.files[0].chunks,
        kv.len()
    );
    println!(
        "sha256 alone:                             {:7.1} MB/s ({})",
        mb as f64 / sha_s,
        &digest[..12]
    );
    println!(
        "publish (hash twice + copy):              {:7.1} MB/s",
        mb as f64 / publish_s
    );
    println!(
        "load, chunk + file sha256 (default):      {:7.1} MB/s",
        mb as f64 / load_s
    );
    println!(
        "load, chunk sha256 only:                  {:7.1} MB/s",
        mb as f64 / chunks_s
    );
}
