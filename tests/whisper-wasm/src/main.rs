//! `whisper-probe`: the Whisper core driven from the command line, built natively and for
//! wasm32-wasip1 so the same code is checked (and timed) in both.
//!
//!   whisper-probe parity <fixtures-dir> [model-subdir]   one JSON line per reference case
//!   whisper-probe bench <model-dir> <mel.f32> [tokens] [clip.wav]
//!       load / encoder / per-token timings in scripts/bench's JSON shape

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

/// The forced decoder input of the benchmark, the same in every engine (scripts/bench): the
/// prompt, then `1000 + 7 i` (random weights never emit end-of-text).
fn forced_token(prompt: &[u32], i: usize) -> u32 {
    prompt.get(i).copied().unwrap_or(1000 + 7 * i as u32)
}

fn read_mel(path: &Path, len: usize) -> Result<Vec<f32>, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    if bytes.len() != len * 4 {
        return Err(format!(
            "{}: {} bytes, expected {len} f32 values",
            path.display(),
            bytes.len()
        ));
    }
    Ok(bytes
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect())
}

/// One measurement, in the JSON shape of the peer drivers (scripts/bench/ort_native.py): load
/// (files read + graphs built, as the transcribe handler loads), the encoder twice (cold, then
/// warm), then `n_tokens` forced decoder steps with their argmax. The mel of the clip is timed
/// on sawt's own front-end; the encoder gets the shared mel file, so every engine sees the
/// same input.
fn bench(
    model_dir: &Path,
    mel_file: &Path,
    n_tokens: usize,
    wav: Option<&Path>,
) -> Result<(), String> {
    let t = Instant::now();
    let files = parity::read_model_dir(model_dir)?;
    let read_ms = ms(t);
    let t = Instant::now();
    let files: std::collections::BTreeMap<_, _> = files.into_iter().collect();
    let (mut model, _tok) = TractWhisper::load_owned(files).map_err(|e| e.to_string())?;
    let build_ms = ms(t);
    let d = &model.config.dims;
    let mel = read_mel(mel_file, d.n_mels * 2 * d.n_audio_ctx)?;
    let mel_ms = match wav {
        Some(w) => {
            let mut x = parity::read_samples(w)?;
            x.resize(sawt_whisper::N_SAMPLES, 0.0);
            let t = Instant::now();
            let m = sawt_audio::log_mel_spectrogram(&x, sawt_whisper::N_SAMPLES);
            let _ = m.window(0, 3000, 3000);
            Some(ms(t))
        }
        None => None,
    };
    let t = Instant::now();
    model.encode(&mel).map_err(|e| e.to_string())?;
    let encoder_cold_ms = ms(t);
    let t = Instant::now();
    model.encode(&mel).map_err(|e| e.to_string())?;
    let encoder_ms = ms(t);
    let p = prepare(&model.config, &DecodeOptions::default(), &[]).map_err(|e| e.to_string())?;
    let mut steps = Vec::with_capacity(n_tokens);
    let mut best = 0usize;
    for i in 0..n_tokens {
        let t = Instant::now();
        let logits = model
            .step(forced_token(&p.initial_tokens, i))
            .map_err(|e| e.to_string())?;
        best = argmax(&logits);
        steps.push(ms(t));
    }
    let total: f64 = steps.iter().sum();
    let mut sorted = steps.clone();
    sorted.sort_by(f64::total_cmp);
    let engine = if cfg!(target_arch = "wasm32") {
        "sawt wasm (tract, wasmtime)"
    } else {
        "sawt native (tract)"
    };
    let name = model_dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    println!(
        "{}",
        json!({"engine": engine, "model": name, "tokens": n_tokens,
               "load_ms": read_ms + build_ms, "read_ms": read_ms, "build_ms": build_ms,
               "mel_ms": mel_ms, "encoder_cold_ms": encoder_cold_ms, "encoder_ms": encoder_ms,
               "step_ms": total / n_tokens.max(1) as f64,
               "step_median_ms": sorted.get(sorted.len() / 2).copied().unwrap_or(0.0),
               "full_ms": encoder_ms + total, "last_argmax": best,
               "peak_mib": peak_rss_mib(), "peak_kind": "process RSS"})
    );
    Ok(())
}

fn argmax(v: &[f32]) -> usize {
    v.iter()
        .enumerate()
        .fold((0, f32::NEG_INFINITY), |(bi, bv), (i, &x)| {
            if x > bv {
                (i, x)
            } else {
                (bi, bv)
            }
        })
        .0
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let r = match args.get(1).map(String::as_str) {
        Some("parity") if args.len() >= 3 => parity(
            Path::new(&args[2]),
            args.get(3).map(String::as_str).unwrap_or("model"),
        ),
        Some("bench") if args.len() >= 4 => match args.get(4).map(|n| n.parse::<usize>()) {
            Some(Err(_)) => Err(format!("tokens: {:?} is not a count", args[4])),
            n => bench(
                Path::new(&args[2]),
                Path::new(&args[3]),
                n.and_then(Result::ok).unwrap_or(64),
                args.get(5).map(Path::new),
            ),
        },
        _ => Err("usage: whisper-probe parity <fixtures-dir> [model-subdir] | bench <model-dir> <mel.f32> [tokens] [clip.wav]".into()),
    };
    if let Err(e) = r {
        eprintln!("whisper-probe: {e}");
        std::process::exit(1);
    }
}
