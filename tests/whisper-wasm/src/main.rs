//! `whisper-probe`: the Whisper core driven from the command line, built natively and for
//! wasm32-wasip1 so the same code is checked (and timed) in both.
//!
//!   whisper-probe parity <fixtures-dir> [model-subdir]   one JSON line per reference case
//!   whisper-probe bench <model-dir> <wav> [tokens]        load / encoder / per-token timings

use std::path::Path;
use std::time::Instant;

use sawt_whisper::decode::{prepare, DecodeOptions};
use sawt_whisper::{parity, transcribe, Engine, TractWhisper};
use serde_json::{json, Value};

fn parity(fixtures: &Path, model_dir: &str) -> Result<(), String> {
    let (mut model, tok) = TractWhisper::load(&parity::read_model_dir(&fixtures.join(model_dir))?)
        .map_err(|e| e.to_string())?;
    let cfg = model.config.clone();
    let index: Value = serde_json::from_slice(
        &std::fs::read(fixtures.join("reference/index.json")).map_err(|e| e.to_string())?,
    )
    .map_err(|e| e.to_string())?;
    let cases = index["transcripts"].as_array().cloned().unwrap_or_default();
    for case in cases {
        let name = case["audio"].as_str().unwrap_or_default();
        let x = parity::read_samples(&fixtures.join("audio").join(name))?;
        let r = transcribe(&mut model, &cfg, &tok, &x, &parity::options_for(&case))
            .map_err(|e| e.to_string())?;
        let mut line = parity::transcript_json(&r);
        for key in ["audio", "task", "timestamps", "schedule"] {
            line[key] = case[key].clone();
        }
        println!("{line}");
    }
    Ok(())
}

/// Peak resident memory in MiB where the OS reports it (Linux VmHWM); wasm-run reports the
/// peak linear memory instead.
fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

fn ms(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1e3
}

fn bench(model_dir: &Path, wav: &Path, n_tokens: usize) -> Result<(), String> {
    let t = Instant::now();
    let files = parity::read_model_dir(model_dir)?;
    let read_ms = ms(t);
    let t = Instant::now();
    // As the transcribe handler loads: each file freed once parsed.
    let files: std::collections::BTreeMap<_, _> = files.into_iter().collect();
    let (mut model, _tok) = TractWhisper::load_owned(files).map_err(|e| e.to_string())?;
    let build_ms = ms(t);
    let mut x = parity::read_samples(wav)?;
    x.resize(sawt_whisper::N_SAMPLES, 0.0);
    let t = Instant::now();
    let mel = sawt_audio::log_mel_spectrogram(&x, sawt_whisper::N_SAMPLES);
    let window = mel.window(0, 3000, 3000);
    let mel_ms = ms(t);
    let t = Instant::now();
    model.encode(&window).map_err(|e| e.to_string())?;
    let encoder_ms = ms(t);
    let p = prepare(&model.config, &DecodeOptions::default(), &[]).map_err(|e| e.to_string())?;
    let t = Instant::now();
    let mut tok = p.initial_tokens[0];
    let mut steps = 0;
    for i in 0..n_tokens {
        let logits = model.step(tok).map_err(|e| e.to_string())?;
        steps += 1;
        tok = match p.initial_tokens.get(i + 1) {
            Some(&t) => t,
            // Any text token keeps the loop going; the argmax of random weights may be EOT.
            None => (logits.len() / 7) as u32 + (i as u32 % 1000),
        };
    }
    let per_token_ms = ms(t) / steps as f64;
    // Real-time factor of one 30 s window: mel + encoder + 224 decoder steps (the maximum).
    let rtf = (mel_ms + encoder_ms + 224.0 * per_token_ms) / 30_000.0;
    println!(
        "{}",
        json!({"model": model_dir.display().to_string(), "read_ms": read_ms, "build_ms": build_ms,
               "mel_ms": mel_ms, "encoder_ms": encoder_ms, "per_token_ms": per_token_ms,
               "tokens": steps, "rtf_30s_224_tokens": rtf, "peak_rss_mib": peak_rss_mib()})
    );
    Ok(())
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let r = match args.get(1).map(String::as_str) {
        Some("parity") if args.len() >= 3 => parity(
            Path::new(&args[2]),
            args.get(3).map(String::as_str).unwrap_or("model"),
        ),
        Some("bench") if args.len() >= 4 => bench(
            Path::new(&args[2]),
            Path::new(&args[3]),
            args.get(4).and_then(|n| n.parse().ok()).unwrap_or(64),
        ),
        _ => Err("usage: whisper-probe parity <fixtures-dir> [model-subdir] | bench <model-dir> <wav> [tokens]".into()),
    };
    if let Err(e) = r {
        eprintln!("whisper-probe: {e}");
        std::process::exit(1);
    }
}
