//! `xtts-probe`: the XTTS core driven from the command line, built natively and for
//! wasm32-wasip1 so the same code is checked (and timed) in both.
//!
//!   xtts-probe parity <fixtures-dir>         one JSON line per fixture voice and case
//!   xtts-probe bench <model-dir> [codes]      load, cloning, GPT prefill/step, vocoder timings

use std::path::Path;
use std::time::Instant;

use sawt_xtts::gpt::CodeModel;
use sawt_xtts::parity::{load_model, run_fixture, Fixture, MODEL_FILES};
use sawt_xtts::vocoder::{VocoderStream, DEFAULT_CONTEXT};
use sawt_xtts::Xtts;
use serde_json::json;

fn parity(dir: &Path) -> Result<(), String> {
    let fx = Fixture::load(dir)?;
    let model = load_model(&dir.join("model"))?;
    for line in run_fixture(&model, dir, &fx)? {
        println!("{line}");
    }
    Ok(())
}

/// `std::fs::read` grows its buffer by doubling, which on wasm32 fails (ENOMEM) for a 1.5 GB
/// file that fits once: read into a buffer of the file's exact size instead.
fn read_exact_size(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut file = std::fs::File::open(path)?;
    let len = file.metadata()?.len() as usize;
    let mut buf = vec![0u8; len];
    // In 64 MiB reads: wasmtime's WASI refuses one read of the whole 1.5 GB (ENOMEM).
    for part in buf.chunks_mut(64 << 20) {
        file.read_exact(part)?;
    }
    Ok(buf)
}

fn ms(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1e3
}

/// Peak resident memory in MiB where the OS reports it (Linux VmHWM); under wasmtime the
/// runner reports the peak linear memory instead.
fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// One sentence on a random model: the codes are forced (random weights rarely stop), the
/// text is 40 tokens (a sentence under Arabic's 166-character limit), the voice a 6 s clip.
fn bench(dir: &Path, n_codes: usize) -> Result<(), String> {
    let t = Instant::now();
    let mut files = std::collections::BTreeMap::new();
    let mut bytes = 0usize;
    for name in MODEL_FILES {
        let b = read_exact_size(&dir.join(name)).map_err(|e| format!("{name}: {e}"))?;
        bytes += b.len();
        files.insert(name.to_string(), b);
    }
    let read_ms = ms(t);
    let t = Instant::now();
    let model = Xtts::load(&mut files).map_err(|e| e.to_string())?;
    let build_ms = ms(t);
    let rate = 22_050u32;
    let clip: Vec<f32> = (0..rate as usize * 6)
        .map(|i| 0.3 * ((i as f32) * 0.031).sin() * ((i as f32) * 0.0007).sin())
        .collect();
    let t = Instant::now();
    let voice = model.clone_voice(&clip, rate).map_err(|e| e.to_string())?;
    let clone_ms = ms(t);
    let text: Vec<u32> = (0..40).map(|i| 3 + (i * 7) % 200).collect();
    let mut session = model.gpt.session();
    let t = Instant::now();
    let first = session
        .prefill(&voice.cond_latents, &text)
        .map_err(|e| e.to_string())?;
    let prefill_ms = ms(t);
    let width = model.gpt.width();
    let mut latents = first.latent;
    let n_codes = n_codes.min(model.config.max_codes());
    let t = Instant::now();
    let mut first_chunk_ms = None;
    let vocoder = model.vocoder();
    let mut stream = VocoderStream::new(&vocoder, &voice.speaker_embedding, DEFAULT_CONTEXT);
    let mut step_ms_total = 0.0;
    let mut vocoder_ms = 0.0;
    let mut streamed = 0usize;
    for i in 1..n_codes {
        let s = Instant::now();
        let out = session
            .step((i * 37 % 1000) as u32)
            .map_err(|e| e.to_string())?;
        step_ms_total += ms(s);
        latents.extend_from_slice(&out.latent);
        // Coqui streams 20 codes a chunk.
        if i % 20 == 19 {
            let s = Instant::now();
            let piece = stream
                .push(&latents[latents.len() - 20 * width..])
                .map_err(|e| e.to_string())?;
            vocoder_ms += ms(s);
            if !piece.is_empty() && first_chunk_ms.is_none() {
                first_chunk_ms = Some(prefill_ms + ms(t));
            }
            streamed += piece.len();
        }
    }
    let rest = latents.len() - (latents.len() / width / 20 * 20) * width;
    let s = Instant::now();
    if rest > 0 {
        streamed += stream
            .push(&latents[latents.len() - rest..])
            .map_err(|e| e.to_string())?
            .len();
    }
    streamed += stream.finish().map_err(|e| e.to_string())?.len();
    vocoder_ms += ms(s);
    let step_ms = step_ms_total / (n_codes - 1).max(1) as f64;
    let audio_s = streamed as f64 / f64::from(model.output_rate());
    println!(
        "{}",
        json!({"model": dir.display().to_string(), "model_bytes": bytes, "read_ms": read_ms,
               "build_ms": build_ms, "clone_6s_ms": clone_ms, "prefill_ms": prefill_ms,
               "step_ms": step_ms, "codes": n_codes, "vocoder_ms": vocoder_ms,
               "audio_s": audio_s, "vocoder_rtf": vocoder_ms / 1e3 / audio_s,
               "first_audio_ms": first_chunk_ms, "peak_rss_mib": peak_rss_mib(),
               "gpt_rtf": step_ms / (1e3 * f64::from(model.config.model_args.gpt_code_stride_len as u32)
                   / f64::from(model.config.model_args.input_sample_rate))})
    );
    Ok(())
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let r = match args.get(1).map(String::as_str) {
        Some("parity") if args.len() >= 3 => parity(Path::new(&args[2])),
        Some("bench") if args.len() >= 3 => bench(
            Path::new(&args[2]),
            args.get(3).and_then(|n| n.parse().ok()).unwrap_or(60),
        ),
        _ => Err("usage: xtts-probe parity <fixtures-dir> | bench <model-dir> [codes]".into()),
    };
    if let Err(e) = r {
        eprintln!("xtts-probe: {e}");
        std::process::exit(1);
    }
}
