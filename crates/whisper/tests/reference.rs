//! Parity with openai-whisper on the committed random-weight fixtures (scripts/make_fixtures.py):
//! encoder output and first-step logits within 1e-4, and every `transcribe()` case (greedy and
//! the default fallback schedule) token for token, with its decisions (sawt_whisper::parity).

use std::path::{Path, PathBuf};

use sawt_whisper::decode::{prepare, DecodeOptions, Task};
use sawt_whisper::{parity, transcribe, Engine, TractWhisper};
use serde_json::Value;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/whisper")
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
    parity::read_samples(&fixtures().join("audio").join(name)).unwrap()
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
    let (mut model, _tok) =
        TractWhisper::load(&parity::read_model_dir(&fixtures().join("model")).unwrap()).unwrap();
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
                // The generator keeps every greedy decision at least `tie_gap` from a tie; the
                // parity below is only sound while our logits stay well inside that margin.
                let tie_gap = idx["tie_gap"].as_f64().unwrap() as f32;
                assert!(
                    d <= tie_gap / 2.0,
                    "{key}: |Δ| {d} at token {i}, over half the tie gap {tie_gap}"
                );
                eprintln!("{key} max |Δ| = {d:.2e}");
                checked += 1;
            }
        }
    }
    assert_eq!(checked, 4);
}

#[test]
fn transcripts_match_reference() {
    let (mut model, tok) =
        TractWhisper::load(&parity::read_model_dir(&fixtures().join("model")).unwrap()).unwrap();
    let idx = index();
    let cases = idx["transcripts"].as_array().unwrap();
    assert_fixture_covers_the_decisions(cases);
    let cfg = model.config.clone();
    let mut failures = Vec::new();
    for case in cases {
        let label = parity::case_label(case);
        let name = case["audio"].as_str().unwrap();
        let got = match transcribe(
            &mut model,
            &cfg,
            &tok,
            &samples(name),
            &parity::options_for(case),
        ) {
            Ok(t) => parity::transcript_json(&t),
            Err(e) => {
                failures.push(format!("{label}: {e}"));
                continue;
            }
        };
        if let Err(e) = parity::compare_case(&label, &got, case, &idx) {
            failures.push(e);
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

/// The fixture set must keep testing what it was made for: a default request answered at
/// temperature 0, a window where the reference falls back, a window it skips as no speech,
/// several windows, and inputs at other rates.
fn assert_fixture_covers_the_decisions(cases: &[Value]) {
    let windows = |c: &Value| c["windows"].as_array().cloned().unwrap_or_default();
    let default = |c: &&Value| c["schedule"] == "default";
    assert!(cases.len() >= 40, "only {} reference cases", cases.len());
    assert!(cases
        .iter()
        .filter(default)
        .any(|c| c["deterministic"] == true));
    assert!(cases
        .iter()
        .filter(default)
        .any(|c| windows(c)[0]["attempts"].as_array().map_or(0, Vec::len) > 1));
    assert!(cases
        .iter()
        .any(|c| windows(c).iter().any(|w| w["skipped"] == true)));
    assert!(cases.iter().any(|c| windows(c).len() >= 3));
    assert!(cases
        .iter()
        .any(|c| !c["audio"].as_str().unwrap_or("").contains("_16k_")));
}
