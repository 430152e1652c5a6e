//! OpenAI-compatible `POST /v1/audio/speech` and sawt's voices API (`/v1/audio/voices`) over
//! the XTTS core, as a pure function of the request, the configuration ([`Env`]), the
//! key-value store ([`Kv`]) and an [`Output`] the answer is written to as it is produced.
//!
//! The Spin component (`functions/synthesize`) only moves bytes; native tests call [`handle`]
//! with a [`sawt_store::MemKv`] holding the fixture model and a [`Recorder`]. Spin gives every
//! request a fresh instance, so the model is read from the store on every request: the speech
//! path reads only what speaking needs (no cloning graphs), voices are stored small.
//!
//! Order of checks: route, method, credentials, configuration, declared body size
//! ([`admit`]: from the head alone, before a body byte is read), then the body, the voice and
//! the text, and only then the model. Every failure before the first audio byte is the
//! OpenAI error envelope; a failure after it ends the stream (an SSE `error` event, or a
//! truncated body) and is reported for the log line.

pub mod config;
pub mod flac;
pub mod formats;
pub mod mp3;
pub mod opus;
pub mod params;
mod speech;
mod store_files;
mod stream;
#[cfg(test)]
mod test_signal;
mod voice_api;
pub mod voices;

use std::time::Duration;

use sawt_api::{check_client_key, constant_time_eq, ApiError, Env, RequestHead, Response};
pub use sawt_api::{Output, Recorder, Request};
use sawt_store::Kv;

pub use config::{push_command, vars, Config, Sampling, DEFAULT_TTS_MODEL};
pub use formats::AudioFormat;
pub use params::{parse, SpeechParams, StreamFormat, MAX_INPUT_CHARS, MODEL_ALIASES};

/// Routes this function answers.
pub const SPEECH_PATH: &str = "/v1/audio/speech";
pub const VOICES_PATH: &str = "/v1/audio/voices";

/// Where the time of one request went (zero for stages that did not run).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Timings {
    /// Reading and verifying the model's files from the store.
    pub kv_read: Duration,
    /// Building the graphs and the GPT from the bytes read.
    pub model_build: Duration,
    /// From the start of the request to the first audio byte written.
    pub first_audio: Option<Duration>,
    pub model_bytes: u64,
    /// Text tokens and audio codes of a speech request.
    pub text_tokens: usize,
    pub codes: usize,
    /// Seconds of audio produced.
    pub audio_seconds: f64,
}

/// The timings, and for failures the cause for the log (never sent to the client: it may
/// name store keys or engine internals).
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    pub status: u16,
    pub timings: Timings,
    pub detail: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Route {
    Speech,
    Voices,
    /// A voice id or name, percent-decoded.
    Voice(String),
}

fn route(path: &str) -> Option<Route> {
    let path = path.split('?').next().unwrap_or("").trim_end_matches('/');
    if path == SPEECH_PATH {
        return Some(Route::Speech);
    }
    if path == VOICES_PATH {
        return Some(Route::Voices);
    }
    let id = path.strip_prefix(VOICES_PATH)?.strip_prefix('/')?;
    if id.is_empty() || id.contains('/') {
        return None;
    }
    sawt_api::percent_decode(id).map(Route::Voice)
}

/// Who is asking: the operator (the admin token) or a client (its key, when keys are set).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Caller {
    Admin,
    Client,
}

fn authenticate(
    headers: &[(String, String)],
    env: &dyn Env,
    config: &Config,
) -> Result<Caller, ApiError> {
    let authorization = sawt_api::header(headers, "authorization");
    let presented = sawt_api::http::bearer_token(authorization);
    if let Some(token) = &config.admin_token {
        if !presented.is_empty() && constant_time_eq(presented.as_bytes(), token.as_bytes()) {
            return Ok(Caller::Admin);
        }
    }
    check_client_key(env, authorization).map(|()| Caller::Client)
}

struct Admitted {
    route: Route,
    config: Config,
    limit: usize,
}

fn admit_parts(
    method: &str,
    path: &str,
    headers: &[(String, String)],
    env: &dyn Env,
) -> Result<Admitted, ApiError> {
    let route = route(path).ok_or_else(|| {
        ApiError::not_found(format!(
            "unknown route; use POST {SPEECH_PATH}, GET or POST {VOICES_PATH}, \
             GET or DELETE {VOICES_PATH}/{{id}}"
        ))
        .with_code("not_found")
    })?;
    let allowed: &'static str = match &route {
        Route::Speech => "POST",
        Route::Voices => "GET, HEAD, POST",
        Route::Voice(_) => "GET, HEAD, DELETE",
    };
    if !allowed.split(", ").any(|m| m == method) {
        return Err(ApiError::method_not_allowed(allowed));
    }
    let config = Config::from_env(env)?;
    let caller = authenticate(headers, env, &config)?;
    let limit = match (&route, method) {
        (Route::Speech, _) => config.speech_max_body_bytes,
        (Route::Voices, "POST") => {
            if !config.cloning && caller != Caller::Admin {
                return Err(voice_api::cloning_disabled());
            }
            config.voice_max_body_bytes
        }
        _ => 0,
    };
    let declared =
        sawt_api::header(headers, "content-length").and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(too_large(limit));
    }
    Ok(Admitted {
        route,
        config,
        limit,
    })
}

fn too_large(max: usize) -> ApiError {
    ApiError::payload_too_large(format!(
        "the request body is over the {max} byte limit ({:.1} MiB)",
        max as f64 / (1024.0 * 1024.0)
    ))
}

/// Decides from the head alone whether a body may follow, and how long it may be. The
/// adapter calls this before reading anything, then reads at most the limit plus one byte.
pub fn admit(head: &RequestHead, env: &dyn Env) -> Result<usize, ApiError> {
    admit_parts(&head.method, &head.path, &head.headers, env).map(|a| a.limit)
}

/// Serves one request, writing the answer to `out`.
pub fn handle(req: &Request, env: &dyn Env, kv: &dyn Kv, out: &mut dyn Output) -> Outcome {
    let mut outcome = Outcome::default();
    let result = admit_parts(req.method, req.path, req.headers, env).and_then(|a| {
        if req.body.len() > a.limit {
            return Err(too_large(a.limit));
        }
        match &a.route {
            Route::Speech => speech::serve(req.body, &a.config, kv, out, &mut outcome),
            Route::Voices if req.method == "POST" => {
                voice_api::create(req, &a.config, kv, &mut outcome).map(|r| respond(out, r))
            }
            Route::Voices => voice_api::list(&a.config, kv, &mut outcome).map(|r| respond(out, r)),
            Route::Voice(id) if req.method == "DELETE" => {
                voice_api::delete(id, &a.config, kv).map(|r| respond(out, r))
            }
            Route::Voice(id) => {
                voice_api::get(id, &a.config, kv, &mut outcome).map(|r| respond(out, r))
            }
        }
    });
    match result {
        Ok(status) => outcome.status = status,
        Err(e) => {
            outcome.status = e.status;
            out.respond(e.to_response());
        }
    }
    outcome
}

fn respond(out: &mut dyn Output, response: Response) -> u16 {
    let status = response.status;
    out.respond(response);
    status
}
