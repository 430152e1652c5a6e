//! `xtts-probe`: the XTTS core driven from the command line, built natively and for
//! wasm32-wasip1 so the same code is checked (and timed) in both.
//!
//!   xtts-probe parity <fixtures-dir>                 one JSON line per fixture voice and case
//!   xtts-probe teacher-forced <fixtures-dir> <fmt>   the fixture's quantized GPT on coqui's codes
//!   xtts-probe bench <model-dir> [codes] [gpt-file]  load, cloning, GPT prefill/step, vocoder
//!   xtts-probe quality <model-dir> <gpt-file> [codes] a quantized GPT against the f32 one
//!   xtts-probe vocoder-shapes <model-dir> <frames,…> HiFi-GAN: symbolic plan vs fixed-shape plans
//!   xtts-probe synth <model-dir> <clip.wav> <text> <out.wav> [--lang L] [--codes 1,2,…]
//!                                                    one sentence end to end (scripts/xtts_compare.py)

mod synth;

use std::path::Path;
use std::time::Instant;

use sawt_xtts::generate::{
    argmax, generate, greedy_choices, teacher_forced, CodeOptions, Decoding,
};
use sawt_xtts::gpt::{CodeModel, GptWeights};
use sawt_xtts::parity::{
    load_model, load_model_with_gpt, rel_rms, run_fixture, run_teacher_forced, Fixture,
};
use sawt_xtts::vocoder::{VocoderStream, DEFAULT_CONTEXT};
use sawt_xtts::weights::Weights;
use sawt_xtts::{ModelFiles, Xtts, XttsConfig};
use serde_json::json;

fn teacher(dir: &Path, format: &str) -> Result<(), String> {
    let fx = Fixture::load(dir)?;
    let gpt = dir.join(format!("model-{format}/gpt.safetensors"));
    let model = load_model_with_gpt(&dir.join("model"), &gpt)?;
    for line in run_teacher_forced(&model, &fx)? {
        println!("{line}");
    }
    Ok(())
}

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
/// The model's files read when the loader asks for each (as the store hands them over), with
/// the bytes and time the reads took.
struct FilesOnDemand<'a> {
    dir: &'a Path,
    gpt: Option<&'a Path>,
    bytes: usize,
    read_ms: f64,
}

impl ModelFiles for FilesOnDemand<'_> {
    fn take(&mut self, name: &str) -> Option<Vec<u8>> {
        let path = match self.gpt {
            Some(g) if name == "gpt.safetensors" => g.to_path_buf(),
            _ => self.dir.join(name),
        };
        let t = Instant::now();
        let b = read_exact_size(&path).ok()?;
        self.read_ms += ms(t);
        self.bytes += b.len();
        Some(b)
    }
}

fn bench(dir: &Path, n_codes: usize, gpt: Option<&Path>) -> Result<(), String> {
    let t = Instant::now();
    let mut files = FilesOnDemand {
        dir,
        gpt,
        bytes: 0,
        read_ms: 0.0,
    };
    let model = Xtts::load(&mut files).map_err(|e| e.to_string())?;
    let (bytes, read_ms) = (files.bytes, files.read_ms);
    let build_ms = ms(t) - read_ms;
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
        json!({"model": dir.display().to_string(), "gpt_format": model.gpt.format().name(),
               "model_bytes": bytes, "read_ms": read_ms,
               "build_ms": build_ms, "clone_6s_ms": clone_ms, "prefill_ms": prefill_ms,
               "step_ms": step_ms, "codes": n_codes, "vocoder_ms": vocoder_ms,
               "audio_s": audio_s, "vocoder_rtf": vocoder_ms / 1e3 / audio_s,
               "first_audio_ms": first_chunk_ms, "peak_rss_mib": peak_rss_mib(),
               "gpt_rtf": step_ms / (1e3 * f64::from(model.config.model_args.gpt_code_stride_len as u32)
                   / f64::from(model.config.model_args.input_sample_rate))})
    );
    Ok(())
}

/// A GPT file with the model's config.
fn gpt_weights(dir: &Path, gpt: &Path) -> Result<(XttsConfig, GptWeights), String> {
    let config = std::fs::read(dir.join("config.json")).map_err(|e| e.to_string())?;
    let config = XttsConfig::from_json(&config).map_err(|e| e.to_string())?;
    let bytes = read_exact_size(gpt).map_err(|e| format!("{}: {e}", gpt.display()))?;
    let weights = Weights::from_bytes(bytes).map_err(|e| e.to_string())?;
    let gpt = GptWeights::new(weights, &config).map_err(|e| e.to_string())?;
    Ok((config, gpt))
}

/// The quality report for a quantized GPT: the f32 GPT decodes `n_codes` codes
/// greedily (stop code suppressed by the budget only) from fixed pseudo-random conditioning
/// latents and text; the quantized GPT is teacher-forced on those codes; printed: the relative
/// RMS error of its logits and latents against the f32 ones and its top-1 (greedy choice)
/// agreement with the f32 codes.
fn quality(dir: &Path, qgpt: &Path, n_codes: usize) -> Result<(), String> {
    let (config, f32_gpt) = gpt_weights(dir, &dir.join("gpt.safetensors"))?;
    let (_, q_gpt) = gpt_weights(dir, qgpt)?;
    let width = f32_gpt.width();
    let mut seed = 0x2026_1202u32;
    let cond: Vec<f32> = (0..32 * width)
        .map(|_| {
            seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            ((seed >> 8) as f32 / (1u32 << 24) as f32 - 0.5) * 2.0
        })
        .collect();
    let text: Vec<u32> = (0..40).map(|i| 3 + (i * 7) % 200).collect();
    let a = &config.model_args;
    let options = CodeOptions {
        decoding: Decoding::Greedy,
        repetition_penalty: config.repetition_penalty,
        max_codes: n_codes.min(config.max_codes()),
        start_code: a.gpt_start_audio_token,
        stop_code: a.gpt_stop_audio_token,
    };
    let err = |e: sawt_xtts::XttsError| e.to_string();
    let codes = generate(&mut f32_gpt.session(), &cond, &text, &options).map_err(err)?;
    let want = teacher_forced(&mut f32_gpt.session(), &cond, &text, &codes.codes).map_err(err)?;
    let t = Instant::now();
    let got = teacher_forced(&mut q_gpt.session(), &cond, &text, &codes.codes).map_err(err)?;
    let q_ms = ms(t);
    let cat = |o: &[sawt_xtts::gpt::StepOutput], logits: bool| -> Vec<f32> {
        o.iter()
            .flat_map(|s| if logits { &s.logits } else { &s.latent }.iter().copied())
            .collect()
    };
    let choices = greedy_choices(&got, &codes.codes, &options);
    let agree = choices
        .iter()
        .zip(&codes.codes)
        .filter(|(a, b)| a == b)
        .count();
    // Top-1 of the raw logits too (no repetition penalty): random weights give flat logits.
    let raw_top1 = got
        .iter()
        .zip(&want)
        .filter(|(g, w)| argmax(&g.logits) == argmax(&w.logits))
        .count();
    println!(
        "{}",
        json!({"gpt_format": q_gpt.format().name(), "codes": codes.codes.len(),
               "logits_rel_rms": rel_rms(&cat(&got, true), &cat(&want, true)),
               "latents_rel_rms": rel_rms(&cat(&got, false), &cat(&want, false)),
               "greedy_agreement": agree as f64 / codes.codes.len().max(1) as f64,
               "raw_top1_agreement": raw_top1 as f64 / want.len().max(1) as f64,
               "teacher_forced_ms": q_ms, "peak_rss_mib": peak_rss_mib()})
    );
    Ok(())
}

/// HiFi-GAN with its symbolic plan and with plans fixed to each window length.
fn vocoder_shapes(dir: &Path, lens: Vec<usize>) -> Result<(), String> {
    use sawt_xtts::onnx::{build, build_fixed, run};
    let bytes = read_exact_size(&dir.join("hifigan.onnx")).map_err(|e| e.to_string())?;
    let config = std::fs::read(dir.join("config.json")).map_err(|e| e.to_string())?;
    let config = XttsConfig::from_json(&config).map_err(|e| e.to_string())?;
    let (width, spk) = (config.width(), config.model_args.d_vector_dim);
    let t = Instant::now();
    let sym = build(&bytes, "hifigan").map_err(|e| e.to_string())?;
    let sym_build = ms(t);
    for w in lens {
        let t = Instant::now();
        let fixed =
            build_fixed(&bytes, "hifigan", "frames", w as i64).map_err(|e| e.to_string())?;
        let fixed_build = ms(t);
        let z: Vec<f32> = (0..width * w)
            .map(|i| ((i * 7919 % 1000) as f32 / 500.0) - 1.0)
            .collect();
        let g: Vec<f32> = (0..spk)
            .map(|i| ((i * 31 % 100) as f32 / 50.0) - 1.0)
            .collect();
        let inputs = || vec![(vec![1, width, w], z.clone()), (vec![1, spk, 1], g.clone())];
        let mut times = [0.0f64; 2];
        let mut outs = Vec::new();
        for (k, plan) in [&sym, &fixed].into_iter().enumerate() {
            run(plan, inputs()).map_err(|e| e.to_string())?;
            let t = Instant::now();
            for _ in 0..3 {
                outs.push(run(plan, inputs()).map_err(|e| e.to_string())?.0);
            }
            times[k] = ms(t) / 3.0;
        }
        let diff = outs[0]
            .iter()
            .zip(&outs[3])
            .map(|(a, b)| (a - b).abs())
            .fold(0.0f32, f32::max);
        println!(
            "{}",
            json!({"frames": w, "symbolic_ms": times[0], "fixed_ms": times[1],
            "ratio": times[0] / times[1], "max_abs_diff": diff, "symbolic_build_ms": sym_build,
            "fixed_build_ms": fixed_build, "audio_ms": (w * 256) as f64 / 24.0,
            "peak_rss_mib": peak_rss_mib()})
        );
    }
    Ok(())
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let r = match args.get(1).map(String::as_str) {
        Some("parity") if args.len() >= 3 => parity(Path::new(&args[2])),
        Some("teacher-forced") if args.len() >= 4 => teacher(Path::new(&args[2]), &args[3]),
        Some("bench") if args.len() >= 3 => bench(
            Path::new(&args[2]),
            args.get(3).and_then(|n| n.parse().ok()).unwrap_or(60),
            args.get(4).map(Path::new),
        ),
        Some("quality") if args.len() >= 4 => quality(
            Path::new(&args[2]),
            Path::new(&args[3]),
            args.get(4).and_then(|n| n.parse().ok()).unwrap_or(60),
        ),
        Some("vocoder-shapes") if args.len() >= 4 => vocoder_shapes(
            Path::new(&args[2]),
            args[3].split(',').filter_map(|n| n.parse().ok()).collect(),
        ),
        Some("synth") => synth::parse(&args[2..]).and_then(|a| {
            let model = load_model(a.model)?;
            synth::synth(&model, &a)
        }),
        _ => Err(
            "usage: xtts-probe parity <fixtures-dir> | teacher-forced <fixtures-dir> \
                  <q8|q4> | bench <model-dir> [codes] [gpt-file] | quality <model-dir> \
                  <gpt-file> [codes] | synth <model-dir> <clip.wav> <text> <out.wav> \
                  [--lang L] [--codes 1,2,…] | vocoder-shapes <model-dir> <frames,…>"
                .into(),
        ),
    };
    if let Err(e) = r {
        eprintln!("xtts-probe: {e}");
        std::process::exit(1);
    }
}
