//! OpenAI-compatible `POST /v1/audio/transcriptions` and `POST /v1/audio/translations` as a
//! pure function of the request, the configuration ([`Env`]) and the key-value store ([`Kv`]).
//!
//! The Spin component (`functions/transcribe`) only moves bytes in and out; native tests call
//! [`handle`] with a [`sawt_store::MemKv`] holding the fixture model. Spin gives every request
//! a fresh instance, so the model is read from the store and built on every call: [`Timings`]
//! reports what that costs.
//!
//! Order of checks: route, method, client key, configuration, body size, form, fields, audio
//! (format, length, decode), and only then the model. Every bad input is answered before the
//! expensive part, and every answer is the OpenAI error envelope on failure.

pub mod languages;

use std::time::{Duration, Instant};

use sawt_api::audio_formats::{render, ResponseFormat, Transcription, TranscriptionSegment};
use sawt_api::multipart::{self, Limits};
use sawt_api::{check_client_key, ApiError, Env, ErrorType, Response};
use sawt_audio::AudioError;
use sawt_store::{load_model_with, Kv, KvError, ReadOptions, StoreError};
use sawt_whisper::decode::{DecodeOptions, Task};
use sawt_whisper::{TractWhisper, TranscribeOptions, WhisperError};

/// Routes this function answers.
pub const TRANSCRIPTIONS_PATH: &str = "/v1/audio/transcriptions";
pub const TRANSLATIONS_PATH: &str = "/v1/audio/translations";

/// The model name the official SDKs send by default.
pub const OPENAI_MODEL_ALIAS: &str = "whisper-1";

/// Defaults of the variables (spin.toml declares the same values).
pub const DEFAULT_WHISPER_MODEL: &str = "tiny";
pub const DEFAULT_LANGUAGE: &str = "ar";
pub const DEFAULT_MAX_AUDIO_SECONDS: f64 = 120.0;
/// OpenAI's own upload limit (25 MB); hosts may cap bodies lower (Akamai Functions: 10 MiB).
pub const DEFAULT_MAX_BODY_BYTES: usize = 25 * 1024 * 1024;
/// Whisper conditions on the last n_text_ctx / 2 - 1 (223) prompt tokens; more characters
/// than this cannot reach the model, so only the prompt's tail is encoded.
pub const MAX_PROMPT_CHARS: usize = 4096;

/// Variable names, after the original service where it had one.
pub mod vars {
    pub const WHISPER_MODEL: &str = "whisper_model";
    pub const WHISPER_LANGUAGE: &str = "whisper_language";
    pub const MAX_AUDIO_LENGTH: &str = "max_audio_length";
    pub const AUDIO_SAMPLE_RATE: &str = "audio_sample_rate";
    pub const MAX_BODY_BYTES: &str = "transcribe_max_body_bytes";
}

/// A request as the adapter received it. `headers` names may be in any case.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    pub method: &'a str,
    /// Path, optionally with a query (ignored).
    pub path: &'a str,
    pub headers: &'a [(String, String)],
    pub body: &'a [u8],
}

impl Request<'_> {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Where the time of one request went (zero for stages that did not run).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Timings {
    /// Form parsing, WAV decode and resampling.
    pub audio: Duration,
    /// Reading and verifying the model's chunks from the store.
    pub kv_read: Duration,
    /// Parsing, optimising and planning the graphs, tokenizer.
    pub model_build: Duration,
    /// Mel, encoder and decoding.
    pub inference: Duration,
    /// Bytes of model read from the store.
    pub model_bytes: u64,
}

impl Timings {
    /// Per-request cold start: store read plus model build.
    pub fn cold_start(&self) -> Duration {
        self.kv_read + self.model_build
    }
}

/// The response, the timings, and for server-side failures the cause for the log (never
/// sent to the client: it may name store keys or engine internals).
#[derive(Debug, Clone)]
pub struct Outcome {
    pub response: Response,
    pub timings: Timings,
    pub detail: Option<String>,
}

/// The request body limit: the adapter reads at most this many bytes plus one, so a longer
/// body is answered 413 without being held in memory.
pub fn body_limit(env: &dyn Env) -> usize {
    env.get(vars::MAX_BODY_BYTES)
        .and_then(|v| v.parse::<usize>().ok())
        .filter(|&n| n > 0)
        .unwrap_or(DEFAULT_MAX_BODY_BYTES)
}

/// The configuration a request is served with.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// `whisper_model` without a `whisper-` prefix, e.g. `tiny`.
    pub model: String,
    /// Language code used when the client sends none.
    pub language: String,
    pub max_audio_seconds: f64,
    pub max_body_bytes: usize,
}

impl Config {
    /// Reads and checks the variables; a bad value is the operator's mistake (500, naming the
    /// variable so the fix is obvious, never its secret-free value being a problem).
    pub fn from_env(env: &dyn Env) -> Result<Self, ApiError> {
        let model_var = env.get_or(vars::WHISPER_MODEL, DEFAULT_WHISPER_MODEL);
        let model = model_var
            .strip_prefix("whisper-")
            .unwrap_or(&model_var)
            .to_owned();
        if sawt_store::validate_model_name(&store_name(&model)).is_err() {
            return Err(config_error(
                "whisper_model must be a model size such as tiny, base or small",
            ));
        }
        let language_var = env.get_or(vars::WHISPER_LANGUAGE, DEFAULT_LANGUAGE);
        let language = languages::to_code(&language_var)
            .ok_or_else(|| {
                config_error("whisper_language must be a Whisper language code (ar, en, …)")
            })?
            .to_owned();
        let max_audio_seconds = match env.get(vars::MAX_AUDIO_LENGTH) {
            None => DEFAULT_MAX_AUDIO_SECONDS,
            Some(v) => v
                .parse::<f64>()
                .ok()
                .filter(|s| s.is_finite() && *s > 0.0)
                .ok_or_else(|| {
                    config_error("max_audio_length must be a positive number of seconds")
                })?,
        };
        // Whisper's mel front-end is defined at 16 kHz; the variable documents the rate every
        // upload is resampled to, and any other value would silently break recognition.
        if let Some(rate) = env.get(vars::AUDIO_SAMPLE_RATE) {
            if rate.parse::<u32>().ok() != Some(sawt_whisper::SAMPLE_RATE) {
                return Err(config_error(
                    "audio_sample_rate must be 16000: Whisper models take 16 kHz audio (uploads are resampled to it)",
                ));
            }
        }
        let max_body_bytes = match env.get(vars::MAX_BODY_BYTES) {
            None => DEFAULT_MAX_BODY_BYTES,
            Some(v) => v.parse::<usize>().ok().filter(|&n| n > 0).ok_or_else(|| {
                config_error("transcribe_max_body_bytes must be a positive number of bytes")
            })?,
        };
        Ok(Self {
            model,
            language,
            max_audio_seconds,
            max_body_bytes,
        })
    }

    /// The model's name in the key-value store, e.g. `whisper-tiny`.
    pub fn store_name(&self) -> String {
        store_name(&self.model)
    }
}

fn store_name(model: &str) -> String {
    format!("whisper-{model}")
}

fn config_error(message: &str) -> ApiError {
    ApiError::new(500, format!("server configuration error: {message}")).with_code("config_error")
}

/// The exact command that loads `name` into a deployed app (crates/cli, ADMIN_API.md).
pub fn push_command(name: &str) -> String {
    format!(
        "sawt models push models/local/{name}/export --name {name} --url <app-url> --token <admin_token>"
    )
}

/// Serves one request.
pub fn handle(req: &Request, env: &dyn Env, kv: &dyn Kv) -> Outcome {
    let mut timings = Timings::default();
    let mut detail = None;
    let response = match serve(req, env, kv, &mut timings, &mut detail) {
        Ok(r) => r,
        Err(e) => e.to_response(),
    };
    Outcome {
        response,
        timings,
        detail,
    }
}

/// What the client asked for, checked.
#[derive(Debug, Clone, PartialEq)]
struct Params<'a> {
    file: &'a [u8],
    language: String,
    format: ResponseFormat,
    /// Tried in order (see [`temperatures`]).
    temperatures: Vec<f32>,
    /// `prompt`, stripped, at most [`MAX_PROMPT_CHARS`] from its end.
    prompt: Option<String>,
}

fn serve(
    req: &Request,
    env: &dyn Env,
    kv: &dyn Kv,
    timings: &mut Timings,
    detail: &mut Option<String>,
) -> Result<Response, ApiError> {
    let path = req.path.split('?').next().unwrap_or("");
    let task = match path.trim_end_matches('/') {
        TRANSCRIPTIONS_PATH => Task::Transcribe,
        TRANSLATIONS_PATH => Task::Translate,
        _ => {
            return Err(ApiError::not_found(format!(
                "unknown route; use POST {TRANSCRIPTIONS_PATH} or POST {TRANSLATIONS_PATH}"
            ))
            .with_code("not_found"))
        }
    };
    if req.method != "POST" {
        return Err(ApiError::method_not_allowed("POST"));
    }
    check_client_key(env, req.header("authorization"))?;
    let config = Config::from_env(env)?;

    let declared = req
        .header("content-length")
        .and_then(|v| v.trim().parse::<u64>().ok());
    if req.body.len() > config.max_body_bytes
        || declared.is_some_and(|n| n > config.max_body_bytes as u64)
    {
        return Err(ApiError::payload_too_large(format!(
            "the request body is over the {} byte limit ({:.1} MiB); send shorter audio, or \
             16 kHz mono 16-bit WAV, which is the smallest WAV that loses nothing",
            config.max_body_bytes,
            config.max_body_bytes as f64 / (1024.0 * 1024.0)
        )));
    }

    let started = Instant::now();
    let content_type = req.header("content-type").unwrap_or("");
    let form = multipart::parse(content_type, req.body, &Limits::default())?;
    let params = params(&form, &config)?;
    let samples = decode_audio(params.file, config.max_audio_seconds)?;
    timings.audio = started.elapsed();

    let name = config.store_name();
    let started = Instant::now();
    let loaded = load_model_with(kv, &name, ReadOptions::CHUNKS_ONLY)
        .map_err(|e| store_error(&name, e, detail))?;
    timings.kv_read = started.elapsed();
    timings.model_bytes = loaded.files.values().map(|f| f.len() as u64).sum();

    let started = Instant::now();
    // Each file's bytes are freed as soon as it is parsed (peak memory of the cold start).
    let (mut model, tokenizer) = TractWhisper::load_owned(loaded.files).map_err(|e| {
        *detail = Some(format!("loading {name}: {e}"));
        ApiError::new(
            500,
            format!(
                "the stored model `{name}` cannot be loaded; push a sawt Whisper export \
                 (scripts/whisper_export.py) again: {}",
                push_command(&name)
            ),
        )
        .with_code("model_invalid")
    })?;
    timings.model_build = started.elapsed();
    let cfg = model.config.clone();
    if cfg.language_token(&params.language).is_err() {
        return Err(ApiError::bad_request(format!(
            "language {:?} is not supported by model `{name}`",
            params.language
        ))
        .with_param("language")
        .with_code("unsupported_language"));
    }

    let opts = TranscribeOptions {
        decode: DecodeOptions {
            task,
            language: params.language.clone(),
            ..DecodeOptions::default()
        },
        temperatures: params.temperatures.clone(),
        // transcribe(): `tokenizer.encode(" " + initial_prompt.strip())`.
        initial_prompt: params
            .prompt
            .as_ref()
            .map(|p| tokenizer.encode(&format!(" {p}")))
            .unwrap_or_default(),
        ..TranscribeOptions::default()
    };
    let started = Instant::now();
    let transcript = sawt_whisper::transcribe(&mut model, &cfg, &tokenizer, &samples, &opts)
        .map_err(|e| {
            *detail = Some(format!("transcribing with {name}: {e}"));
            match e {
                WhisperError::Language(_) => ApiError::bad_request(format!(
                    "language {:?} is not supported by model `{name}`",
                    params.language
                ))
                .with_param("language"),
                WhisperError::Audio(a) => audio_error(&a),
                _ => ApiError::internal(),
            }
        })?;
    timings.inference = started.elapsed();

    let result = Transcription {
        task: match task {
            Task::Transcribe => "transcribe".into(),
            Task::Translate => "translate".into(),
        },
        // OpenAI reports the language of the text it returns: a translation is English.
        language: match task {
            Task::Transcribe => languages::name(&transcript.language).to_owned(),
            Task::Translate => "english".into(),
        },
        duration: transcript.duration,
        // openai-whisper's text starts with the first token's space; OpenAI's API trims it.
        text: py_strip(&transcript.text).to_owned(),
        segments: transcript
            .segments
            .into_iter()
            .map(|s| TranscriptionSegment {
                id: s.id,
                seek: s.seek,
                start: s.start,
                end: s.end,
                text: s.text,
                tokens: s.tokens,
                temperature: s.temperature,
                avg_logprob: s.avg_logprob,
                compression_ratio: s.compression_ratio,
                no_speech_prob: s.no_speech_prob,
            })
            .collect(),
    };
    Ok(render(&result, params.format))
}

/// Python's `str.strip()` whitespace.
fn py_strip(s: &str) -> &str {
    s.trim_matches(|c: char| c.is_whitespace() || ('\x1c'..='\x1f').contains(&c))
}

/// Temperature semantics: OpenAI's default 0 means "let the model decide", which for Whisper
/// is `transcribe()`'s fallback schedule 0.0, 0.2 … 1.0 (a window is decoded again, hotter,
/// when it comes out too repetitive or too unlikely). A value above 0 is used alone. Sampling
/// uses a fixed seed, so the same request gives the same text natively and in wasm.
pub fn temperatures(requested: Option<f32>) -> Vec<f32> {
    match requested {
        Some(t) if t > 0.0 => vec![t],
        _ => TranscribeOptions::default().temperatures,
    }
}

fn params<'a>(form: &multipart::Form<'a>, config: &Config) -> Result<Params<'a>, ApiError> {
    let field = |name: &str| form.text(name).map(str::trim).filter(|v| !v.is_empty());

    if let Some(model) = field("model") {
        check_model(model, config)?;
    }
    // OpenAI answers streaming only for its newer models; whisper-1 refuses it, and so do we.
    if let Some(stream) = field("stream") {
        if stream.eq_ignore_ascii_case("true") || stream == "1" {
            return Err(ApiError::bad_request(
                "streaming is not supported for Whisper models; omit `stream`",
            )
            .with_param("stream"));
        }
    }
    let format = match field("response_format") {
        Some(v) => ResponseFormat::parse(v)?,
        None => ResponseFormat::Json,
    };
    let language = match field("language") {
        Some(v) => languages::to_code(v)
            .ok_or_else(|| {
                let shown: String = v.chars().take(40).collect();
                ApiError::bad_request(format!(
                    "language {shown:?} is not a Whisper language; send an ISO-639-1 code such as ar or en"
                ))
                .with_param("language")
                .with_code("unsupported_language")
            })?
            .to_owned(),
        None => config.language.clone(),
    };
    let temperature = match field("temperature") {
        None => None,
        Some(v) => Some(
            v.parse::<f32>()
                .ok()
                .filter(|t| (0.0..=1.0).contains(t))
                .ok_or_else(|| {
                    ApiError::bad_request("temperature must be a number between 0 and 1")
                        .with_param("temperature")
                })?,
        ),
    };
    for name in ["timestamp_granularities[]", "timestamp_granularities"] {
        for part in form.all(name) {
            match part.text().map(str::trim) {
                Some("segment") | Some("") => {}
                Some("word") => return Err(ApiError::bad_request(
                    "word timestamps are not supported yet; use timestamp_granularities[]=segment \
                         (segments come with response_format=verbose_json)",
                )
                .with_param("timestamp_granularities[]")),
                _ => {
                    return Err(ApiError::bad_request(
                        "timestamp_granularities[] takes `segment` (or `word`, not supported yet)",
                    )
                    .with_param("timestamp_granularities[]"))
                }
            }
        }
    }
    // Like transcribe(initial_prompt=...): earlier text the first window is conditioned on
    // (spellings, names, style). Only its tail can reach the model.
    let prompt = form
        .text("prompt")
        .map(py_strip)
        .filter(|p| !p.is_empty())
        .map(|p| match p.char_indices().rev().nth(MAX_PROMPT_CHARS - 1) {
            Some((i, _)) => p[i..].to_owned(),
            None => p.to_owned(),
        });
    let file = form
        .part("file")
        .ok_or_else(|| {
            ApiError::bad_request(
                "missing `file`: send the audio as a multipart file field named file",
            )
            .with_param("file")
        })?
        .data;
    if file.is_empty() {
        return Err(ApiError::bad_request("the uploaded file is empty")
            .with_param("file")
            .with_code("invalid_audio"));
    }
    Ok(Params {
        file,
        language,
        format,
        temperatures: temperatures(temperature),
        prompt,
    })
}

/// `whisper-1` (the SDKs' default), `whisper-{whisper_model}` and the bare size are this
/// app's model; anything else does not exist here.
fn check_model(model: &str, config: &Config) -> Result<(), ApiError> {
    let ours = config.store_name();
    if model == OPENAI_MODEL_ALIAS || model == ours || model == config.model {
        return Ok(());
    }
    let shown: String = model.chars().take(64).collect();
    Err(ApiError::not_found(format!(
        "the model `{shown}` does not exist; this app serves `{OPENAI_MODEL_ALIAS}` and `{ours}`"
    ))
    .with_param("model")
    .with_code("model_not_found"))
}

/// What the bytes look like when they are not WAV, for the 415 message.
fn sniff_format(b: &[u8]) -> Option<&'static str> {
    let at = |i: usize, sig: &[u8]| b.get(i..i + sig.len()) == Some(sig);
    if at(0, b"RIFF") && at(8, b"WAVE") {
        return None;
    }
    Some(
        if at(0, b"ID3") || (b.len() > 1 && b[0] == 0xFF && b[1] & 0xE0 == 0xE0) {
            "MP3"
        } else if at(0, b"OggS") {
            "Ogg (Opus/Vorbis)"
        } else if at(0, b"fLaC") {
            "FLAC"
        } else if at(4, b"ftyp") {
            "MP4/M4A"
        } else if at(0, &[0x1A, 0x45, 0xDF, 0xA3]) {
            "WebM/Matroska"
        } else if at(0, b"RIFF") || at(0, b"RIFX") || at(0, b"RF64") {
            "RIFF, but not a plain WAVE"
        } else {
            "an unknown format"
        },
    )
}

const SEND_WAV: &str = "send WAV (PCM 8/16/24/32-bit or float)";

/// Decodes the upload to 16 kHz mono. Format is decided by the bytes, not the part's
/// Content-Type, which clients often leave at application/octet-stream.
fn decode_audio(file: &[u8], max_seconds: f64) -> Result<Vec<f32>, ApiError> {
    if let Some(kind) = sniff_format(file) {
        return Err(ApiError::new(
            415,
            format!("unsupported audio format: the file looks like {kind}; {SEND_WAV}"),
        )
        .with_type(ErrorType::InvalidRequestError)
        .with_param("file")
        .with_code("unsupported_audio_format"));
    }
    let audio = sawt_audio::decode_wav(file, Some(max_seconds)).map_err(|e| audio_error(&e))?;
    sawt_audio::resample(&audio.samples, audio.sample_rate, sawt_whisper::SAMPLE_RATE)
        .map_err(|e| audio_error(&e))
}

fn audio_error(e: &AudioError) -> ApiError {
    match e {
        AudioError::TooLong { .. } => {
            ApiError::payload_too_large(format!("{e} (max_audio_length)"))
                .with_code("audio_too_long")
        }
        AudioError::NotWav | AudioError::Unsupported(_) => {
            ApiError::new(415, format!("{e}; {SEND_WAV}"))
                .with_type(ErrorType::InvalidRequestError)
                .with_code("unsupported_audio_format")
        }
        AudioError::Truncated(_)
        | AudioError::Corrupt(_)
        | AudioError::Empty
        | AudioError::Resample { .. } => {
            ApiError::bad_request(e.to_string()).with_code("invalid_audio")
        }
    }
    .with_param("file")
}

/// Store failures: not uploaded → 503 with the command that uploads it; damaged → 500 that
/// says what to do without naming keys or digests (those go to the log).
fn store_error(name: &str, e: StoreError, detail: &mut Option<String>) -> ApiError {
    *detail = Some(format!("reading {name}: {e}"));
    match e {
        StoreError::NotFound { .. } => ApiError::service_unavailable(format!(
            "the model `{name}` is not loaded: this app's key-value store has no `{name}` yet. \
             Upload it once with `{}` (see the README, \"Models\")",
            push_command(name)
        ))
        .with_code("model_not_loaded"),
        StoreError::Kv(KvError::Unavailable(_)) | StoreError::Kv(_) => {
            ApiError::service_unavailable("the key-value store is unavailable; try again")
                .with_code("kv_unavailable")
        }
        StoreError::Missing { .. } | StoreError::FileNotFound { .. } => ApiError::new(
            500,
            format!(
                "the stored model `{name}` is incomplete; push it again: {}",
                push_command(name)
            ),
        )
        .with_code("model_incomplete"),
        StoreError::Corrupt { .. } => ApiError::new(
            500,
            format!(
                "the stored model `{name}` is corrupt; push it again: {}",
                push_command(name)
            ),
        )
        .with_code("model_corrupt"),
        StoreError::OutOfMemory { .. } => {
            ApiError::new(500, format!("not enough memory to load the model `{name}`"))
                .with_code("out_of_memory")
        }
        _ => ApiError::internal(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sawt_api::MapEnv;

    #[test]
    fn temperature_zero_means_fallback() {
        assert_eq!(temperatures(None), vec![0.0, 0.2, 0.4, 0.6, 0.8, 1.0]);
        assert_eq!(temperatures(Some(0.0)), vec![0.0, 0.2, 0.4, 0.6, 0.8, 1.0]);
        assert_eq!(temperatures(Some(0.3)), vec![0.3]);
    }

    #[test]
    fn config_defaults_and_errors() {
        let c = Config::from_env(&MapEnv::new()).unwrap();
        assert_eq!(c.model, "tiny");
        assert_eq!(c.store_name(), "whisper-tiny");
        assert_eq!(c.language, "ar");
        assert_eq!(c.max_audio_seconds, 120.0);
        assert_eq!(c.max_body_bytes, 25 * 1024 * 1024);
        let c = Config::from_env(
            &MapEnv::new()
                .with("whisper_model", "whisper-base")
                .with("whisper_language", "English")
                .with("max_audio_length", "30.5")
                .with("audio_sample_rate", "16000"),
        )
        .unwrap();
        assert_eq!((c.model.as_str(), c.language.as_str()), ("base", "en"));
        assert_eq!(c.max_audio_seconds, 30.5);
        for (k, v) in [
            ("whisper_model", "Tiny!"),
            ("whisper_language", "klingon"),
            ("max_audio_length", "-1"),
            ("max_audio_length", "inf"),
            ("audio_sample_rate", "44100"),
            ("transcribe_max_body_bytes", "lots"),
        ] {
            let e = Config::from_env(&MapEnv::new().with(k, v)).unwrap_err();
            assert_eq!(e.status, 500, "{k}={v}");
            assert_eq!(e.code.as_deref(), Some("config_error"));
            assert!(e.message.contains(k), "{k}: {}", e.message);
        }
    }

    #[test]
    fn body_limit_falls_back_to_default() {
        assert_eq!(body_limit(&MapEnv::new()), DEFAULT_MAX_BODY_BYTES);
        assert_eq!(
            body_limit(&MapEnv::new().with("transcribe_max_body_bytes", "1000")),
            1000
        );
        assert_eq!(
            body_limit(&MapEnv::new().with("transcribe_max_body_bytes", "x")),
            DEFAULT_MAX_BODY_BYTES
        );
    }

    #[test]
    fn sniffing_names_common_formats() {
        assert_eq!(sniff_format(b"RIFF\0\0\0\0WAVEfmt "), None);
        assert_eq!(sniff_format(b"ID3\x04"), Some("MP3"));
        assert_eq!(sniff_format(&[0xFF, 0xFB, 0x90]), Some("MP3"));
        assert_eq!(sniff_format(b"OggS\0"), Some("Ogg (Opus/Vorbis)"));
        assert_eq!(sniff_format(b"fLaC"), Some("FLAC"));
        assert_eq!(sniff_format(b"\0\0\0\x20ftypM4A "), Some("MP4/M4A"));
        assert_eq!(
            sniff_format(&[0x1A, 0x45, 0xDF, 0xA3]),
            Some("WebM/Matroska")
        );
        assert_eq!(
            sniff_format(b"RIFF\0\0\0\0AVI "),
            Some("RIFF, but not a plain WAVE")
        );
        assert_eq!(sniff_format(b"hello"), Some("an unknown format"));
        assert_eq!(sniff_format(b""), Some("an unknown format"));
    }

    #[test]
    fn push_command_uses_the_cli_flags() {
        assert_eq!(
            push_command("whisper-tiny"),
            "sawt models push models/local/whisper-tiny/export --name whisper-tiny --url <app-url> --token <admin_token>"
        );
    }
}
