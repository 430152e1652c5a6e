//! OpenAI-compatible `POST /v1/audio/transcriptions` and `POST /v1/audio/translations` as a
//! pure function of the request, the configuration ([`Env`]) and the key-value store ([`Kv`]).
//!
//! The Spin component (`functions/transcribe`) only moves bytes in and out; native tests call
//! [`handle`] with a [`sawt_store::MemKv`] holding the fixture model. Spin gives every request
//! a fresh instance, so the model is read from the store and built on every call: [`Timings`]
//! reports what that costs.
//!
//! Order of checks: route, method, client key, configuration, body size ([`admit`]: from the
//! head alone, before the adapter reads a body byte), then form, fields, audio (format,
//! length, decode), and only then the model. Every bad input is answered before the expensive
//! part, and every answer is the OpenAI error envelope on failure.

mod audio;
pub mod config;
pub mod formats;
pub mod languages;
mod params;

use std::time::{Duration, Instant};

use sawt_api::multipart::{self, Limits};
pub use sawt_api::Request;
use sawt_api::{check_client_key, model_load_error, ApiError, Env, RequestHead, Response};
use sawt_store::{load_model_with, Kv, ReadOptions};
use sawt_whisper::decode::{DecodeOptions, Task};
use sawt_whisper::text::py_strip;
use sawt_whisper::{TractWhisper, TranscribeOptions, WhisperError};

pub use config::{
    body_limit, push_command, vars, Config, DEFAULT_LANGUAGE, DEFAULT_MAX_AUDIO_SECONDS,
    DEFAULT_MAX_BODY_BYTES, DEFAULT_WHISPER_MODEL,
};
pub use params::{temperatures, MAX_PROMPT_CHARS, OPENAI_MODEL_ALIAS};

use crate::audio::{audio_error, decode_audio};
use crate::formats::{render, Transcription};

/// Routes this function answers.
pub const TRANSCRIPTIONS_PATH: &str = "/v1/audio/transcriptions";
pub const TRANSLATIONS_PATH: &str = "/v1/audio/translations";

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

/// Decides from the head alone whether a body may follow, and how long it may be: route,
/// method, client key, configuration, declared `Content-Length`. The adapter calls this
/// before reading anything, then reads at most the returned limit plus one byte.
pub fn admit(head: &RequestHead, env: &dyn Env) -> Result<usize, ApiError> {
    admit_parts(&head.method, &head.path, &head.headers, env).map(|(_, config)| {
        // The limit is checked again on the body itself (a client may omit the header).
        config.max_body_bytes
    })
}

fn admit_parts(
    method: &str,
    path: &str,
    headers: &[(String, String)],
    env: &dyn Env,
) -> Result<(Task, Config), ApiError> {
    let route = path.split('?').next().unwrap_or("");
    let task = match route.trim_end_matches('/') {
        TRANSCRIPTIONS_PATH => Task::Transcribe,
        TRANSLATIONS_PATH => Task::Translate,
        _ => {
            return Err(ApiError::not_found(format!(
                "unknown route; use POST {TRANSCRIPTIONS_PATH} or POST {TRANSLATIONS_PATH}"
            ))
            .with_code("not_found"))
        }
    };
    if method != "POST" {
        return Err(ApiError::method_not_allowed("POST"));
    }
    check_client_key(env, sawt_api::header(headers, "authorization"))?;
    let config = Config::from_env(env)?;
    let declared =
        sawt_api::header(headers, "content-length").and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > config.max_body_bytes as u64) {
        return Err(too_large(config.max_body_bytes));
    }
    Ok((task, config))
}

fn too_large(max: usize) -> ApiError {
    ApiError::payload_too_large(format!(
        "the request body is over the {max} byte limit ({:.1} MiB); send shorter audio, or \
         16 kHz mono 16-bit WAV, which is the smallest WAV that loses nothing",
        max as f64 / (1024.0 * 1024.0)
    ))
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

fn serve(
    req: &Request,
    env: &dyn Env,
    kv: &dyn Kv,
    timings: &mut Timings,
    detail: &mut Option<String>,
) -> Result<Response, ApiError> {
    let (task, config) = admit_parts(req.method, req.path, req.headers, env)?;
    if req.body.len() > config.max_body_bytes {
        return Err(too_large(config.max_body_bytes));
    }

    let started = Instant::now();
    let content_type = req.header("content-type").unwrap_or("");
    let form = multipart::parse(content_type, req.body, &Limits::default())?;
    let params = params::params(&form, &config)?;
    let samples = decode_audio(params.file, config.max_audio_seconds)?;
    timings.audio = started.elapsed();

    let name = config.store_name();
    let started = Instant::now();
    let loaded = load_model_with(kv, &name, ReadOptions::CHUNKS_ONLY).map_err(|e| {
        *detail = Some(format!("reading {name}: {e}"));
        model_load_error(&name, &push_command(&name), e)
    })?;
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
        return Err(unsupported_language(&params.language, &name));
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
                WhisperError::Language(_) => unsupported_language(&params.language, &name),
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
        segments: transcript.segments,
    };
    Ok(render(&result, params.format))
}

fn unsupported_language(language: &str, model: &str) -> ApiError {
    ApiError::bad_request(format!(
        "language {language:?} is not supported by model `{model}`"
    ))
    .with_param("language")
    .with_code("unsupported_language")
}

#[cfg(test)]
mod tests {
    use super::*;
    use sawt_api::MapEnv;

    fn head(method: &str, path: &str, headers: &[(&str, &str)]) -> RequestHead {
        RequestHead::new(
            method,
            path,
            headers
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    #[test]
    fn admission_is_decided_from_the_head_alone() {
        let env = MapEnv::new()
            .with("api_keys", "k1")
            .with("transcribe_max_body_bytes", "1000");
        let ok = head(
            "POST",
            "/v1/audio/translations",
            &[("authorization", "Bearer k1"), ("content-length", "1000")],
        );
        assert_eq!(admit(&ok, &env), Ok(1000));
        let status = |h: RequestHead| admit(&h, &env).map_err(|e| e.status);
        assert_eq!(status(head("POST", "/v1/audio/x", &[])), Err(404));
        assert_eq!(status(head("GET", TRANSCRIPTIONS_PATH, &[])), Err(405));
        assert_eq!(status(head("POST", TRANSCRIPTIONS_PATH, &[])), Err(401));
        assert_eq!(
            status(head(
                "POST",
                TRANSCRIPTIONS_PATH,
                &[("authorization", "Bearer k1"), ("content-length", "1001")]
            )),
            Err(413)
        );
    }
}
