//! Parity with openai-whisper on the committed random-weight fixtures (scripts/make_fixtures.py):
//! encoder output and first-step logits within 1e-4, and `transcribe()` results token for token.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use sawt_whisper::decode::{prepare, DecodeOptions, Task};
use sawt_whisper::{transcribe, Engine, TractWhisper, TranscribeOptions};
use serde_json::Value;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/whisper")
}

fn load_dir(dir: &Path) -> HashMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect()
}

fn read_f32(path: &Path) -> Vec<f32> {
    std::fs::read(path)
        .unwrap()
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}

fn index() -> Value {
    serde_json::from_slice(&std::fs::read(fixtures().join("reference/index.json")).unwrap())
        .unwrap()
}

fn samples(name: &str) -> Vec<f32> {
    let bytes = std::fs::read(fixtures().join("audio").join(name)).unwrap();
    let a = sawt_audio::decode_wav(&bytes, None).unwrap();
    sawt_audio::resample(&a.samples, a.sample_rate, 16_000).unwrap()
}

/// Max |a - b| with the index where it occurs.
fn max_diff(a: &[f32], b: &[f32]) -> (f32, usize) {
    assert_eq!(a.len(), b.len(), "lengths differ");
    a.iter()
        .zip(b)
        .enumerate()
        .fold((0.0, 0), |w, (i, (x, y))| {
            let d = (x - y).abs();
            if d > w.0 {
                (d, i)
            } else {
                w
            }
        })
}

/// The first window exactly as transcribe() builds it.
fn first_window(samples: &[f32]) -> Vec<f32> {
    let mel = sawt_audio::log_mel_spectrogram(samples, sawt_whisper::N_SAMPLES);
    let content = mel.n_frames - sawt_whisper::N_FRAMES;
    mel.window(0, content.min(3000), 3000)
}

#[test]
fn encoder_and_first_logits_match() {
    let (mut model, _tok) = TractWhisper::load(&load_dir(&fixtures().join("model"))).unwrap();
    let idx = index();
    let arrays = idx["arrays"].as_object().unwrap();
    let mut checked = 0;
    for stem in ["speech_16k_s16_mono", "noise_16k_s16_mono"] {
        let x = samples(&format!("{stem}.wav"));
        let feats = model.encode_features(&first_window(&x)).unwrap();
        let want = read_f32(&fixtures().join(format!("reference/{stem}.encoder.f32")));
        let (d, i) = max_diff(&feats, &want);
        assert!(d <= 1e-4, "{stem} encoder: |Δ| {d} at index {i}");
        eprintln!("{stem} encoder max |Δ| = {d:.2e}");
        for task in ["transcribe", "translate"] {
            for ts in ["ts", "nots"] {
                let key = format!("{stem}.logits.{task}.{ts}");
                if !arrays.contains_key(&key) {
                    continue;
                }
                let opts = DecodeOptions {
                    task: if task == "translate" {
                        Task::Translate
                    } else {
                        Task::Transcribe
                    },
                    without_timestamps: ts == "nots",
                    ..DecodeOptions::default()
                };
                let p = prepare(&model.config, &opts, &[]).unwrap();
                model.reset();
                let mut logits = Vec::new();
                for &t in &p.initial_tokens {
                    logits = model.step(t).unwrap();
                }
                let want = read_f32(&fixtures().join(format!("reference/{key}.f32")));
                let (d, i) = max_diff(&logits, &want);
                assert!(d <= 1e-4, "{key}: |Δ| {d} at token {i}");
                eprintln!("{key} max |Δ| = {d:.2e}");
                checked += 1;
            }
        }
    }
    assert_eq!(checked, 4);
}

fn options_for(t: &Value) -> TranscribeOptions {
    TranscribeOptions {
        decode: DecodeOptions {
            task: if t["task"] == "translate" {
                Task::Translate
            } else {
                Task::Transcribe
            },
            without_timestamps: !t["timestamps"].as_bool().unwrap(),
            ..DecodeOptions::default()
        },
        // The reference ran at temperature 0 only (sampling cannot be reproduced).
        temperatures: vec![0.0],
        ..TranscribeOptions::default()
    }
}

#[test]
fn transcripts_match_reference() {
    let (mut model, tok) = TractWhisper::load(&load_dir(&fixtures().join("model"))).unwrap();
    let idx = index();
    let cases = idx["transcripts"].as_array().unwrap();
    assert!(cases.len() >= 28);
    let cfg = model.config.clone();
    let mut failures = Vec::new();
    for t in cases {
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            check_case(&mut model, &cfg, &tok, t)
        }));
        if let Err(e) = r {
            let msg = e
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            failures.push(msg);
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases differ:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

fn check_case(
    model: &mut TractWhisper,
    cfg: &sawt_whisper::ModelConfig,
    tok: &sawt_whisper::Tokenizer,
    t: &Value,
) {
    let name = t["audio"].as_str().unwrap();
    let label = format!("{name} {} ts={}", t["task"], t["timestamps"]);
    let got = transcribe(model, cfg, tok, &samples(name), &options_for(t)).unwrap();
    let got_tokens: Vec<Vec<u64>> = got
        .segments
        .iter()
        .map(|s| s.tokens.iter().map(|&x| u64::from(x)).collect())
        .collect();
    if let Some(note) = sawt_whisper::parity::first_divergence(&label, &got_tokens, t)
        .unwrap_or_else(|e| panic!("{e}"))
    {
        eprintln!("{label}: {note}");
        return;
    }
    let want = t["segments"].as_array().unwrap();
    for (k, (g, w)) in got.segments.iter().zip(want).enumerate() {
        assert_eq!(
            g.seek as u64,
            w["seek"].as_u64().unwrap(),
            "{label} seg {k} seek"
        );
        assert!(
            (g.start - w["start"].as_f64().unwrap()).abs() < 1e-9,
            "{label} seg {k} start"
        );
        assert!(
            (g.end - w["end"].as_f64().unwrap()).abs() < 1e-9,
            "{label} seg {k} end"
        );
        assert_eq!(g.text, w["text"].as_str().unwrap(), "{label} seg {k} text");
        let lp = w["avg_logprob"].as_f64().unwrap();
        assert!(
            (g.avg_logprob - lp).abs() < 1e-3,
            "{label} seg {k} avg_logprob {} vs {lp}",
            g.avg_logprob
        );
        let ns = w["no_speech_prob"].as_f64().unwrap();
        assert!(
            (g.no_speech_prob - ns).abs() <= 1e-6 + ns * 1e-3,
            "{label} seg {k} no_speech {} vs {ns}",
            g.no_speech_prob
        );
        let cr = w["compression_ratio"].as_f64().unwrap();
        assert!(
            (g.compression_ratio - cr).abs() <= cr * 0.05,
            "{label} seg {k} compression {} vs {cr}",
            g.compression_ratio
        );
    }
    assert_eq!(got.text, t["text"].as_str().unwrap(), "{label}: text");
}
