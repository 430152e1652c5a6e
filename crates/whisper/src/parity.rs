//! Comparing transcripts with the openai-whisper reference fixtures (tests/fixtures/whisper,
//! made by scripts/make_fixtures.py), shared by the native, handler, harness and wasm tests.
//! Nothing is exempted: the generator refuses seeds with a greedy decision closer than its tie
//! gap or a statistic near a threshold, so any difference here is a bug.

use std::collections::HashMap;
use std::path::Path;

use serde_json::{json, Value};

use crate::decode::{DecodeOptions, Task};
use crate::transcribe::{TranscribeOptions, Transcript};

/// Compression ratios agree within this fraction (flate2's deflate is not zlib's byte for
/// byte, so the compressed lengths can differ by a few bytes).
pub const COMPRESSION_RATIO_TOLERANCE: f64 = 0.01;
/// How close the statistics must be, by how the case's audio reaches the model: the same
/// 16-bit 16 kHz mono samples as the reference's (only float order differs), other 16 kHz
/// sample formats (ffmpeg rounds them to 16 bits, we do not), or resampled (ffmpeg's
/// resampler is not ours; see crates/audio/tests/reference_mel.rs). Tokens, text and times
/// are compared exactly in every class.
#[derive(Debug, Clone, Copy)]
pub struct Tolerance {
    /// |Δ avg_logprob|, absolute.
    pub logprob: f64,
    /// |Δ no_speech_prob| ≤ `no_speech_abs + no_speech_rel · reference`.
    pub no_speech_abs: f64,
    pub no_speech_rel: f64,
}

/// Measured on the fixtures: identical input 3e-4 (logits differ by up to 4.4e-4 after the
/// model's large final scale), other 16 kHz formats 2.6e-3, resampled 7e-2.
pub fn tolerance_for(audio: &str) -> Tolerance {
    if audio.contains("_16k_s16_mono") {
        Tolerance {
            logprob: 1e-3,
            no_speech_abs: 1e-6,
            no_speech_rel: 1e-3,
        }
    } else if audio.contains("_16k_") {
        Tolerance {
            logprob: 5e-3,
            no_speech_abs: 1e-4,
            no_speech_rel: 1e-2,
        }
    } else {
        Tolerance {
            logprob: 0.1,
            no_speech_abs: 1e-2,
            no_speech_rel: 0.1,
        }
    }
}

/// Every file of a model folder by name, as the loaders take it.
pub fn read_model_dir(dir: &Path) -> Result<HashMap<String, Vec<u8>>, String> {
    let mut files = HashMap::new();
    for e in std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))? {
        let e = e.map_err(|e| e.to_string())?;
        let bytes = std::fs::read(e.path()).map_err(|e| e.to_string())?;
        files.insert(e.file_name().to_string_lossy().into_owned(), bytes);
    }
    Ok(files)
}

/// A WAV fixture as the service feeds it to the model: decoded, downmixed, at 16 kHz.
pub fn read_samples(path: &Path) -> Result<Vec<f32>, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let a = sawt_audio::decode_wav(&bytes, None).map_err(|e| e.to_string())?;
    sawt_audio::resample(&a.samples, a.sample_rate, 16_000).map_err(|e| e.to_string())
}

/// Options that reproduce a reference case: its task and timestamps, and either temperature 0
/// alone (`schedule: "greedy"`) or transcribe()'s default fallback schedule (`"default"`).
pub fn options_for(case: &Value) -> TranscribeOptions {
    let decode = DecodeOptions {
        task: if case["task"] == "translate" {
            Task::Translate
        } else {
            Task::Transcribe
        },
        without_timestamps: case["timestamps"] == false,
        ..DecodeOptions::default()
    };
    let mut o = TranscribeOptions {
        decode,
        ..TranscribeOptions::default()
    };
    if case["schedule"] != "default" {
        o.temperatures = vec![0.0];
    }
    o
}

/// A transcript in the reference's JSON shape (segments as transcribe() returns them, windows
/// as the generator records them), so the wasm probe can print it and any test compare it.
pub fn transcript_json(t: &Transcript) -> Value {
    let windows: Vec<Value> = t
        .windows
        .iter()
        .map(|w| {
            let attempts: Vec<Value> = w
                .attempts
                .iter()
                .map(|a| {
                    json!({"temperature": a.temperature, "compression_ratio": a.compression_ratio,
                           "avg_logprob": a.avg_logprob, "no_speech_prob": a.no_speech_prob})
                })
                .collect();
            json!({"seek": w.seek, "attempts": attempts, "skipped": w.skipped})
        })
        .collect();
    json!({"text": t.text, "segments": t.segments, "windows": windows})
}

fn num(v: &Value, key: &str, what: &str) -> Result<f64, String> {
    v[key]
        .as_f64()
        .ok_or_else(|| format!("{what}: `{key}` is missing or not a number"))
}

fn tokens(v: &Value) -> Vec<u64> {
    v["tokens"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_u64).collect())
        .unwrap_or_default()
}

fn close_ratio(got: f64, want: f64) -> bool {
    (got - want).abs() <= want.abs() * COMPRESSION_RATIO_TOLERANCE
}

/// Compares `got` (the shape of [`transcript_json`]) with reference case `want`. A
/// deterministic case (every window kept temperature 0) must match exactly: tokens, text,
/// seeks, times, and the statistics within the tolerances above. In a case where the reference
/// fell back, what follows is a sample of its random generator, so only the windows up to and
/// including the first fallback are compared: the decisions taken at temperature 0.
/// Returns the first mismatch, with its index.
pub fn compare_case(label: &str, got: &Value, want: &Value, index: &Value) -> Result<(), String> {
    compare_windows(label, got, want, index)?;
    if want["deterministic"] != true {
        return Ok(());
    }
    compare_segments(label, got, want)?;
    if got["text"] != want["text"] {
        return Err(format!(
            "{label}: text {} want {}",
            got["text"], want["text"]
        ));
    }
    Ok(())
}

/// Segments token for token, then seek, times, text and statistics.
pub fn compare_segments(label: &str, got: &Value, want: &Value) -> Result<(), String> {
    let tol = tolerance_for(want["audio"].as_str().unwrap_or(""));
    let empty = Vec::new();
    let ws = want["segments"]
        .as_array()
        .ok_or_else(|| format!("{label}: reference has no segments"))?;
    let gs = got["segments"].as_array().unwrap_or(&empty);
    for (k, w) in ws.iter().enumerate() {
        let Some(g) = gs.get(k) else {
            return Err(format!(
                "{label}: {} segments, reference has {}",
                gs.len(),
                ws.len()
            ));
        };
        let (gt, wt) = (tokens(g), tokens(w));
        if let Some(i) = (0..gt.len().max(wt.len())).find(|&i| gt.get(i) != wt.get(i)) {
            return Err(format!(
                "{label}: segment {k} first token mismatch at index {i}: got {:?} want {:?}",
                gt.get(i),
                wt.get(i)
            ));
        }
        let what = format!("{label} segment {k}");
        if g["seek"] != w["seek"] {
            return Err(format!("{what}: seek {} want {}", g["seek"], w["seek"]));
        }
        for key in ["start", "end"] {
            let (a, b) = (num(g, key, &what)?, num(w, key, &what)?);
            if (a - b).abs() > 1e-9 {
                return Err(format!("{what}: {key} {a} want {b}"));
            }
        }
        if g["text"] != w["text"] {
            return Err(format!("{what}: text {} want {}", g["text"], w["text"]));
        }
        check_stats(&what, g, w, tol)?;
    }
    if gs.len() != ws.len() {
        return Err(format!(
            "{label}: {} segments, reference has {}",
            gs.len(),
            ws.len()
        ));
    }
    Ok(())
}

fn check_stats(what: &str, g: &Value, w: &Value, tol: Tolerance) -> Result<(), String> {
    let (a, b) = (num(g, "avg_logprob", what)?, num(w, "avg_logprob", what)?);
    if (a - b).abs() > tol.logprob {
        return Err(format!("{what}: avg_logprob {a} want {b}"));
    }
    let (a, b) = (
        num(g, "no_speech_prob", what)?,
        num(w, "no_speech_prob", what)?,
    );
    if (a - b).abs() > tol.no_speech_abs + tol.no_speech_rel * b {
        return Err(format!("{what}: no_speech_prob {a} want {b}"));
    }
    let (a, b) = (
        num(g, "compression_ratio", what)?,
        num(w, "compression_ratio", what)?,
    );
    if !close_ratio(a, b) {
        return Err(format!("{what}: compression_ratio {a} want {b}"));
    }
    Ok(())
}

/// The temperature-fallback and no-speech decisions, window by window, up to the first window
/// where the reference fell back: the temperature-0 attempt on the same side of every
/// threshold, whether it fell back, and whether the window was skipped.
pub fn compare_windows(
    label: &str,
    got: &Value,
    want: &Value,
    index: &Value,
) -> Result<(), String> {
    let empty = Vec::new();
    let ws = want["windows"]
        .as_array()
        .filter(|w| !w.is_empty())
        .ok_or_else(|| format!("{label}: reference has no windows"))?;
    let gs = got["windows"].as_array().unwrap_or(&empty);
    let thresholds = &index["thresholds"];
    let tol = tolerance_for(want["audio"].as_str().unwrap_or(""));
    for (k, w) in ws.iter().enumerate() {
        let what = format!("{label} window {k}");
        let Some(g) = gs.get(k) else {
            return Err(format!("{what}: missing ({} windows)", gs.len()));
        };
        if g["seek"] != w["seek"] {
            return Err(format!("{what}: seek {} want {}", g["seek"], w["seek"]));
        }
        let (ga, wa) = (&g["attempts"][0], &w["attempts"][0]);
        if ga["temperature"].as_f64() != Some(0.0) || wa["temperature"].as_f64() != Some(0.0) {
            return Err(format!("{what}: first attempt is not at temperature 0"));
        }
        check_stats(&what, ga, wa, tol)?;
        for key in ["compression_ratio", "avg_logprob", "no_speech_prob"] {
            let t = num(thresholds, key, "index thresholds")?;
            let (a, b) = (num(ga, key, &what)?, num(wa, key, &what)?);
            if (a > t) != (b > t) {
                return Err(format!(
                    "{what}: {key} {a} is on the other side of {t} from the reference's {b}"
                ));
            }
        }
        let n = |v: &Value| v["attempts"].as_array().map_or(0, Vec::len);
        let (fell_g, fell_w) = (n(g) > 1, n(w) > 1);
        if fell_g != fell_w {
            return Err(format!(
                "{what}: fell back {fell_g}, the reference {fell_w}"
            ));
        }
        if fell_w {
            // The reference sampled from here on: nothing further is comparable.
            return Ok(());
        }
        if g["skipped"] != w["skipped"] {
            return Err(format!(
                "{what}: skipped {} want {}",
                g["skipped"], w["skipped"]
            ));
        }
    }
    if gs.len() != ws.len() {
        return Err(format!(
            "{label}: {} windows, reference has {}",
            gs.len(),
            ws.len()
        ));
    }
    Ok(())
}

/// `audio task ts=… schedule` of a reference case, for messages.
pub fn case_label(case: &Value) -> String {
    format!(
        "{} {} ts={} {}",
        case["audio"].as_str().unwrap_or("?"),
        case["task"].as_str().unwrap_or("?"),
        case["timestamps"],
        case["schedule"].as_str().unwrap_or("?")
    )
}

/// The response formats of the golden end-to-end checks.
pub const GOLDEN_FORMATS: [&str; 5] = ["json", "text", "verbose_json", "srt", "vtt"];

/// The reference cases saved with SRT and VTT (the generator's GOLDEN set), checked to hold a
/// deterministic case for both the default schedule and temperature 0.
pub fn golden_cases(index: &Value) -> Result<Vec<Value>, String> {
    let cases: Vec<Value> = index["transcripts"]
        .as_array()
        .ok_or("reference index has no transcripts")?
        .iter()
        .filter(|c| c.get("srt").is_some())
        .cloned()
        .collect();
    for schedule in ["default", "greedy"] {
        if !cases
            .iter()
            .any(|c| c["schedule"] == schedule && c["deterministic"] == true)
        {
            return Err(format!("no golden {schedule} case in the reference index"));
        }
    }
    Ok(cases)
}

/// Checks an API answer (the body of a 200) for golden `case` in `format` against the
/// reference: json and text carry `api_text` (Python's strip of transcribe()'s text, as
/// OpenAI serves it), verbose_json the reference's segments, srt and vtt what whisper's own
/// writers wrote.
pub fn check_api_answer(case: &Value, format: &str, body: &[u8]) -> Result<(), String> {
    let label = format!("{} {format}", case_label(case));
    let want_text = case["api_text"]
        .as_str()
        .ok_or_else(|| format!("{label}: reference has no api_text"))?;
    let text = std::str::from_utf8(body).map_err(|e| format!("{label}: not UTF-8: {e}"))?;
    let json = || serde_json::from_str::<Value>(text).map_err(|e| format!("{label}: {e}"));
    match format {
        "json" => {
            let v = json()?;
            if v["text"] != want_text {
                return Err(format!("{label}: text {} want {want_text:?}", v["text"]));
            }
        }
        "text" => {
            if text != format!("{want_text}\n") {
                return Err(format!(
                    "{label}: {text:?} want {want_text:?} and a newline"
                ));
            }
        }
        "verbose_json" => {
            let v = json()?;
            if v["text"] != want_text {
                return Err(format!("{label}: text {} want {want_text:?}", v["text"]));
            }
            compare_segments(&label, &v, case)?;
        }
        "srt" | "vtt" => {
            let want = case[format].as_str().unwrap_or_default();
            if text != want {
                let at = text
                    .bytes()
                    .zip(want.bytes())
                    .position(|(a, b)| a != b)
                    .unwrap_or(text.len().min(want.len()));
                return Err(format!(
                    "{label}: differs from openai-whisper's writer at byte {at}:\n{text}\nwant\n{want}"
                ));
            }
        }
        other => return Err(format!("{label}: no golden check for format {other}")),
    }
    Ok(())
}
