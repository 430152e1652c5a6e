//! Parity of sawt-audio's XTTS front-end with torchaudio 2.8.0 itself: every value of the
//! fixtures in tests/fixtures/audio/torchaudio, written by scripts/audio_reference.py, which calls
//! `torchaudio.functional.resample`, `torchaudio.transforms.MelSpectrogram`, `torch.log(clamp)`
//! and `torchaudio.load` (coqui-tts v0.27.2's `load_audio` chain). Input signals are regenerated
//! here by `signal()`, the script's integer-only generator.
//!
//! Tolerances (measured maxima are printed by each test):
//! - resample: 1e-5 absolute on signals up to full scale. The taps are torch's float32 ones to
//!   about an ulp; torch then sums ~30 float32 products, we sum in f64 (measured: 1.2e-7).
//! - torchaudio.load vs `decode_wav`: bit-exact (0).
//! - Hann window: 6e-8 absolute, one float32 ulp near 1: the arithmetic is torch's op for op,
//!   but torch's vectorised `cos` is itself off by an ulp at a few points (34 of 1024 here).
//! - filter bank: 1e-5 of each filter's peak: torch's float32 `pow` in `_mel_to_hz` is an ulp
//!   off at a corner frequency (one of 82 for XTTS), which an ulp of ~2 kHz over a ~60 Hz wide
//!   triangle makes ~2e-6 of the peak.
//! - mel power: 1e-4 relative to each value; log mel: 1e-4 absolute. torch runs the FFT and the
//!   mel matmul in float32, we in f64 on the same float32 frames (measured: 2e-6 relative on
//!   every value, including the near-silent frames; 2e-6 on the log).

use std::path::PathBuf;

use sawt_audio::sinc_resample::{sinc_resample, SincResampler};
use sawt_audio::spectrogram::{MelConfig, MelNorm, MelScale, MelSpectrogram, SpectrogramError};
use serde_json::Value;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/audio/torchaudio")
        .join(name)
}

fn load(name: &str) -> Value {
    let path = fixture(name);
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Standard base64 (the fixtures' encoding of little-endian float32 arrays).
fn b64_f32(s: &str) -> Vec<f32> {
    let val = |c: u8| -> u32 {
        match c {
            b'A'..=b'Z' => u32::from(c - b'A'),
            b'a'..=b'z' => u32::from(c - b'a') + 26,
            b'0'..=b'9' => u32::from(c - b'0') + 52,
            b'+' => 62,
            b'/' => 63,
            _ => panic!("bad base64 byte {c}"),
        }
    };
    let s = s.trim_end_matches('=').as_bytes();
    let mut bytes = Vec::with_capacity(s.len() * 3 / 4);
    for chunk in s.chunks(4) {
        let mut acc = 0u32;
        for (i, &c) in chunk.iter().enumerate() {
            acc |= val(c) << (18 - 6 * i);
        }
        let n = chunk.len() * 6 / 8;
        bytes.extend_from_slice(&acc.to_be_bytes()[1..1 + n]);
    }
    assert_eq!(bytes.len() % 4, 0, "base64 array is not float32");
    bytes
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}

fn arr(v: &Value, key: &str) -> Vec<f32> {
    b64_f32(
        v[key]
            .as_str()
            .unwrap_or_else(|| panic!("no {key} in {v:.200}")),
    )
}

fn uint(v: &Value, key: &str) -> usize {
    v[key]
        .as_u64()
        .unwrap_or_else(|| panic!("no {key} in {v:.200}")) as usize
}

/// scripts/audio_reference.py `signal()`: xorshift32 noise, leaky-integrated noise and a 150 Hz
/// sawtooth; the first tenth silent, the second at ±8 LSB; int16 / 32768.
fn signal(n: usize, seed: u32, rate: u32, gain: i32) -> Vec<f32> {
    let mut s = if seed == 0 { 1 } else { seed };
    let mut brown: i32 = 0;
    let period = (rate / 150).max(2) as i32;
    (0..n)
        .map(|i| {
            s ^= s << 13;
            s ^= s >> 17;
            s ^= s << 5;
            let white = (s >> 16) as i32 - 32768;
            brown += (white >> 4) - (brown >> 6);
            let saw = (i as i32 % period) * 12000 / period - 6000;
            let v = match i * 10 / n {
                0 => 0,
                1 => white >> 12,
                _ => gain * ((brown >> 1) + (white >> 3) + saw),
            };
            v.clamp(-32768, 32767) as f32 / 32768.0
        })
        .collect()
}

/// The script's input for the tiny resample cases: `((v * 7919) % 65536) - 32768`, v = 1..=n.
fn ramp(n: usize) -> Vec<f32> {
    (1..=n as i64)
        .map(|v| (((v * 7919) % 65536) - 32768) as f32 / 32768.0)
        .collect()
}

/// The largest |Δ| and |Δ| / |reference| (over non-zero reference values) of a comparison.
#[derive(Debug, Clone, Copy)]
struct Worst {
    abs: f32,
    rel: f32,
}

impl std::fmt::Display for Worst {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "max |Δ| {:.2e} (relative {:.2e})", self.abs, self.rel)
    }
}

/// Compares element by element; on failure names the first index over tolerance.
fn compare(
    what: &str,
    got: &[f32],
    want: &[f32],
    tol: impl Fn(usize) -> f32,
) -> Result<Worst, String> {
    if got.len() != want.len() {
        return Err(format!("{what}: length {} vs {}", got.len(), want.len()));
    }
    let mut worst = 0f32;
    let mut rel = 0f32;
    for (i, (&g, &w)) in got.iter().zip(want).enumerate() {
        let d = (g - w).abs();
        if w != 0.0 {
            rel = rel.max(d / w.abs());
        }
        if d.is_nan() || d > tol(i) {
            return Err(format!(
                "{what}: first mismatch at index {i}: ours {g:e}, torchaudio {w:e}, |Δ| {d:e} > {:e}",
                tol(i)
            ));
        }
        worst = worst.max(d);
    }
    Ok(Worst { abs: worst, rel })
}

fn finish(failures: Vec<String>, checked: usize) {
    assert!(checked > 0, "no fixture case was checked");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

const RESAMPLE_TOL: f32 = 1e-5;

#[test]
fn resample_matches_torchaudio() {
    let fx = load("resample.json");
    let mut failures = Vec::new();
    let mut checked = 0;
    for case in fx["cases"].as_array().expect("cases") {
        let (from, to, n) = (
            uint(case, "orig") as u32,
            uint(case, "new") as u32,
            uint(case, "len"),
        );
        let name = format!("{from} -> {to} Hz, {n} samples");
        let input = if case["ramp"].as_bool() == Some(true) {
            ramp(n)
        } else {
            signal(n, uint(case, "seed") as u32, from, 1)
        };
        let r = SincResampler::new(from, to).unwrap();
        if let Some(width) = case["width"].as_u64() {
            if r.width() != width as usize {
                failures.push(format!("{name}: width {} vs {width}", r.width()));
            }
        }
        checked += 1;
        if let Some(e) = case["error"].as_str() {
            // torch refuses empty input (a reshape error); we return AudioError::Empty.
            match r.process(&input) {
                Err(sawt_audio::AudioError::Empty) => {}
                other => failures.push(format!("{name}: torch failed ({e}), we gave {other:?}")),
            }
            continue;
        }
        let want = arr(case, "output");
        assert_eq!(uint(case, "out_len"), want.len());
        assert_eq!(r.output_len(n), want.len(), "{name}: output length");
        match compare(&name, &r.process(&input).unwrap(), &want, |_| RESAMPLE_TOL) {
            Ok(worst) => eprintln!("{name}: max |Δ| {:.2e}", worst.abs),
            Err(e) => failures.push(e),
        }
    }
    finish(failures, checked);
}

fn config(params: &Value) -> MelConfig {
    let f = |k: &str| params[k].as_f64().unwrap_or_else(|| panic!("param {k}"));
    let u = |k: &str| params[k].as_u64().unwrap_or_else(|| panic!("param {k}")) as usize;
    MelConfig {
        sample_rate: u("sample_rate") as u32,
        n_fft: u("n_fft"),
        win_length: u("win_length"),
        hop_length: u("hop_length"),
        f_min: f("f_min"),
        f_max: params["f_max"].as_f64(),
        n_mels: u("n_mels"),
        power: f("power") as f32,
        normalized: params["normalized"].as_bool().expect("normalized"),
        norm: match params["norm"].as_str() {
            None => None,
            Some("slaney") => Some(MelNorm::Slaney),
            Some(o) => panic!("norm {o}"),
        },
        mel_scale: match params["mel_scale"].as_str() {
            Some("htk") => MelScale::Htk,
            Some("slaney") => MelScale::Slaney,
            o => panic!("mel_scale {o:?}"),
        },
    }
}

const MEL_REL_TOL: f32 = 1e-4;
const LOG_MEL_TOL: f32 = 1e-4;

/// Checks one signal's mel and log mel against torchaudio's; returns the worst of each.
fn check_mel(
    name: &str,
    mel: &MelSpectrogram,
    input: &[f32],
    case: &Value,
    prefix: &str,
) -> Result<(Worst, Worst), String> {
    let want = arr(case, &format!("{prefix}mel"));
    let want_log = arr(case, &format!("{prefix}log_mel"));
    let n_frames = uint(case, "n_frames");
    let n_mels = mel.config().n_mels;
    let got = mel.compute(input).map_err(|e| format!("{name}: {e}"))?;
    if (got.n_mels, got.n_frames) != (n_mels, n_frames) {
        return Err(format!(
            "{name}: shape [{}, {}] vs [{n_mels}, {n_frames}]",
            got.n_mels, got.n_frames
        ));
    }
    let a = compare(&format!("{name} mel"), &got.data, &want, |i| {
        MEL_REL_TOL * want[i].abs()
    })?;
    let b = compare(
        &format!("{name} log mel"),
        &got.log_clamped(1e-5).data,
        &want_log,
        |_| LOG_MEL_TOL,
    )?;
    Ok((a, b))
}

#[test]
fn mel_spectrogram_matches_torchaudio() {
    let fx = load("mel.json");
    let mut failures = Vec::new();
    let mut checked = 0;
    let configs = fx["configs"].as_object().expect("configs");
    assert_eq!(
        config(&configs["xtts"]["params"]),
        MelConfig::XTTS_CLONING,
        "the fixture's XTTS parameters are MelConfig::XTTS_CLONING"
    );
    for (name, c) in configs {
        let mel = MelSpectrogram::new(config(&c["params"])).unwrap();
        match compare(
            &format!("{name} window"),
            mel.window(),
            &arr(c, "window"),
            |_| 6e-8,
        ) {
            Ok(_) => checked += 1,
            Err(e) => failures.push(e),
        }
        // Filter bank: each filter's non-zero run.
        let bands = c["fbank"].as_array().expect("fbank");
        assert_eq!(bands.len(), mel.config().n_mels);
        let mut worst = 0f32;
        for (m, b) in bands.iter().enumerate() {
            let want = arr(b, "values");
            let (first, got) = mel.filter(m).unwrap();
            let what = format!("{name} filter {m}");
            if first != uint(b, "first") {
                failures.push(format!("{what}: first bin {first} vs {}", uint(b, "first")));
                continue;
            }
            let peak = want.iter().fold(0f32, |a, &v| a.max(v));
            match compare(&what, got, &want, |_| 1e-5 * peak) {
                Ok(w) => worst = worst.max(w.abs / peak),
                Err(e) => failures.push(e),
            }
        }
        eprintln!("{name} filter bank: max |Δ| / peak {worst:.2e}");
    }
    for case in fx["cases"].as_array().expect("cases") {
        let cfg = config(&configs[case["config"].as_str().expect("config")]["params"]);
        let n = uint(case, "len");
        let name = format!("{} mel, {n} samples", case["config"]);
        let input = signal(n, uint(case, "seed") as u32, cfg.sample_rate, 1);
        let mel = MelSpectrogram::new(cfg).unwrap();
        checked += 1;
        if let Some(e) = case["error"].as_str() {
            match mel.compute(&input) {
                Err(SpectrogramError::TooShort { len, min }) if len == n && min == 1025 => {}
                other => failures.push(format!("{name}: torch failed ({e}), we gave {other:?}")),
            }
            continue;
        }
        match check_mel(&name, &mel, &input, case, "") {
            Ok((a, b)) => eprintln!("{name}: mel {a}; log mel {b}"),
            Err(e) => failures.push(e),
        }
    }
    finish(failures, checked);
}

/// decode_wav (crates/audio/src/wav.rs) against torchaudio.load + channel mean, as
/// `load_audio` does (torchaudio's ffmpeg backend here), for every sample format it reads.
#[test]
fn decode_wav_matches_torchaudio_load() {
    let fx = load("chain.json");
    let mut failures = Vec::new();
    let mut checked = 0;
    for f in fx["formats"].as_array().expect("formats") {
        let wav = f["wav"].as_str().expect("wav");
        let bytes = std::fs::read(fixture(wav)).unwrap_or_else(|e| panic!("{wav}: {e}"));
        let audio = sawt_audio::decode_wav(&bytes, None).unwrap();
        assert_eq!(audio.sample_rate as usize, uint(f, "sample_rate"), "{wav}");
        assert_eq!(usize::from(audio.channels), uint(f, "channels"), "{wav}");
        checked += 1;
        match compare(wav, &audio.samples, &arr(f, "mono"), |_| 0.0) {
            Ok(_) => eprintln!("{wav}: bit-exact"),
            Err(e) => failures.push(e),
        }
    }
    finish(failures, checked);
}

/// `load_audio(path, 22050)` then the two uses in `get_conditioning_latents`: the cloning mel
/// of `get_gpt_cond_latents` and the 16 kHz resample of `get_speaker_embedding`.
#[test]
fn xtts_load_audio_chain_matches_torchaudio() {
    let fx = load("chain.json");
    let c = &fx["chain"];
    let wav = c["wav"].as_str().expect("wav");
    let bytes = std::fs::read(fixture(wav)).unwrap_or_else(|e| panic!("{wav}: {e}"));
    let audio = sawt_audio::decode_wav(&bytes, None).unwrap();
    assert_eq!(audio.sample_rate as usize, uint(c, "sample_rate"));
    let mut failures = Vec::new();
    if let Err(e) = compare(
        "torchaudio.load mono",
        &audio.samples,
        &arr(c, "mono"),
        |_| 0.0,
    ) {
        failures.push(e);
    }
    // `resample(audio, lsr, 22050)` then `audio.clip_(-1, 1)`.
    let mut a22 = sinc_resample(&audio.samples, audio.sample_rate, 22_050).unwrap();
    a22.iter_mut().for_each(|v| *v = v.clamp(-1.0, 1.0));
    let want22 = arr(c, "audio_22050");
    assert!(
        uint(c, "clipped") > 0,
        "the chain fixture should exercise the clip"
    );
    match compare("load_audio 22050 Hz", &a22, &want22, |_| RESAMPLE_TOL) {
        Ok(w) => eprintln!("load_audio 22050 Hz: max |Δ| {:.2e}", w.abs),
        Err(e) => failures.push(e),
    }
    let mel = MelSpectrogram::new(MelConfig::XTTS_CLONING).unwrap();
    match check_mel("cloning mel", &mel, &a22, c, "") {
        Ok((a, b)) => eprintln!("cloning mel: mel {a}; log mel {b}"),
        Err(e) => failures.push(e),
    }
    match compare(
        "speaker embedding 16 kHz",
        &sinc_resample(&a22, 22_050, 16_000).unwrap(),
        &arr(c, "audio_16000"),
        |_| RESAMPLE_TOL,
    ) {
        Ok(w) => eprintln!("speaker embedding 16 kHz: max |Δ| {:.2e}", w.abs),
        Err(e) => failures.push(e),
    }
    finish(failures, 1);
}
