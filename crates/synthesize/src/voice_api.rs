//! `/v1/audio/voices`: list (built-in and cloned), create from a clip (multipart `file` +
//! `name`), get and delete one; and the voice a speech request speaks with.
//!
//! OpenAI's preset voice names (`alloy`, `nova`, …) select the default voice unless a voice of
//! that name exists, so an app written for OpenAI speaks unchanged. The default voice is
//! `tts_speaker` (a name or id), else the first built-in voice, else the oldest cloned one.

use std::time::{Instant, SystemTime, UNIX_EPOCH};

use sawt_api::multipart::{self, Limits};
use sawt_api::{ApiError, ErrorType, Response};
use sawt_audio::AudioError;
use sawt_store::{Kv, KvError, StoreError};
use sawt_xtts::{Voice, VoiceCloner, XttsError};
use serde_json::json;

use crate::config::Config;
use crate::store_files::StoreFiles;
use crate::voices::{self, Stored, VoiceInfo, ID_PREFIX, MAX_VOICES, SPEAKERS_FILE};
use crate::{Outcome, Request};

/// OpenAI's preset voices (its speech API reference, 2025).
pub const OPENAI_VOICES: [&str; 13] = [
    "alloy", "ash", "ballad", "cedar", "coral", "echo", "fable", "marin", "nova", "onyx", "sage",
    "shimmer", "verse",
];
/// The clip a voice is made from: XTTS conditions on up to 30 s (`max_ref_len`); under 3 s
/// gives a poor likeness.
pub const MIN_CLIP_SECONDS: f64 = 3.0;
pub const MAX_CLIP_SECONDS: f64 = 30.0;
/// A clip whose RMS is below this (-60 dBFS) is silence.
const SILENCE_RMS: f64 = 1e-3;

const CLONING_FILES: [&str; 2] = ["conditioning.onnx", "speaker_encoder.onnx"];

pub(crate) fn cloning_disabled() -> ApiError {
    ApiError::new(
        403,
        "voice cloning is disabled on this server (enable_voice_cloning = false); use a \
         listed voice (GET /v1/audio/voices), or ask the operator, who can add voices with \
         the admin token",
    )
    .with_type(ErrorType::PermissionError)
    .with_code("voice_cloning_disabled")
}

pub(crate) fn outdated(id: &str) -> ApiError {
    ApiError::new(
        409,
        format!(
            "the voice `{id}` was made with another version of the model's cloning graphs; \
             create it again from its clip (POST /v1/audio/voices)"
        ),
    )
    .with_type(ErrorType::InvalidRequestError)
    .with_param("voice")
    .with_code("voice_outdated")
}

fn not_found(what: &str) -> ApiError {
    ApiError::not_found(format!(
        "the voice `{}` does not exist; GET /v1/audio/voices lists the voices",
        what.chars().take(80).collect::<String>()
    ))
    .with_param("voice")
    .with_code("voice_not_found")
}

fn kv_error(e: KvError) -> ApiError {
    ApiError::from(StoreError::from(e))
}

/// OpenAI's voice object (`type`: every sawt voice comes from an audio sample) and `builtin`.
fn object(info: &VoiceInfo) -> serde_json::Value {
    json!({
        "object": "audio.voice",
        "id": info.id,
        "name": info.name,
        "type": "audio_sample",
        "builtin": info.builtin,
        "created_at": info.created_at,
    })
}

/// A voice and what the API says of it.
pub(crate) struct Chosen {
    pub info: VoiceInfo,
    pub voice: Voice,
}

/// The voices a request can see: the model's built-in ones (if it is loaded) and the cloned.
struct Catalogue {
    builtin: Vec<(String, Voice)>,
    cloned: Vec<VoiceInfo>,
    cloner: String,
}

impl Catalogue {
    fn read(
        files: Option<&mut StoreFiles>,
        config: &Config,
        kv: &dyn Kv,
    ) -> Result<Self, ApiError> {
        let (builtin, cloner) = match files {
            None => (Vec::new(), String::new()),
            Some(files) => {
                let builtin = if files.has(SPEAKERS_FILE) {
                    let bytes = files.read(SPEAKERS_FILE).map_err(|e| {
                        sawt_api::model_load_error(
                            &config.model,
                            &crate::push_command(&config.model),
                            e,
                        )
                    })?;
                    voices::builtin(&bytes).map_err(|_| {
                        ApiError::new(
                            500,
                            format!(
                                "the stored model `{}` has an unreadable {SPEAKERS_FILE}",
                                config.model
                            ),
                        )
                        .with_code("model_invalid")
                    })?
                } else {
                    Vec::new()
                };
                let cloner = voices::cloner_digest(
                    files.sha256(CLONING_FILES[0]),
                    files.sha256(CLONING_FILES[1]),
                );
                (builtin, cloner)
            }
        };
        let cloned = voices::list_cloned(kv, &config.model).map_err(kv_error)?;
        Ok(Self {
            builtin,
            cloned,
            cloner,
        })
    }

    fn builtin_info(name: &str) -> VoiceInfo {
        VoiceInfo {
            id: name.to_owned(),
            name: name.to_owned(),
            builtin: true,
            created_at: 0,
        }
    }

    /// The id of the voice `key` names (an id, or a name in any case), built-in first.
    fn find(&self, key: &str) -> Option<VoiceInfo> {
        if let Some(info) = self.cloned.iter().find(|v| v.id == key) {
            return Some(info.clone());
        }
        if let Some((name, _)) = self
            .builtin
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(key))
        {
            return Some(Self::builtin_info(name));
        }
        // The newest of that name, should two have been made at once.
        self.cloned
            .iter()
            .rev()
            .find(|v| v.name.to_lowercase() == key.to_lowercase())
            .cloned()
    }

    fn default_voice(&self, config: &Config) -> Result<Option<VoiceInfo>, ApiError> {
        if let Some(speaker) = &config.speaker {
            return self.find(speaker).map(Some).ok_or_else(|| {
                ApiError::new(
                    500,
                    format!(
                        "server configuration error: tts_speaker `{speaker}` names no voice; \
                         GET /v1/audio/voices lists them"
                    ),
                )
                .with_code("config_error")
            });
        }
        Ok(self
            .builtin
            .first()
            .map(|(n, _)| Self::builtin_info(n))
            .or_else(|| self.cloned.first().cloned()))
    }

    fn voice(&self, info: VoiceInfo, kv: &dyn Kv, model: &str) -> Result<Chosen, ApiError> {
        if info.builtin {
            let voice = self
                .builtin
                .iter()
                .find(|(n, _)| *n == info.name)
                .map(|(_, v)| v.clone())
                .ok_or_else(|| not_found(&info.id))?;
            return Ok(Chosen { info, voice });
        }
        match voices::load_cloned(kv, model, &info.id, &self.cloner).map_err(kv_error)? {
            Stored::Found(info, voice) => Ok(Chosen { info, voice }),
            Stored::Outdated(info) => Err(outdated(&info.id)),
            Stored::Damaged => Err(ApiError::new(
                500,
                format!(
                    "the stored voice `{}` is damaged; delete it and create it again",
                    info.id
                ),
            )
            .with_code("voice_damaged")),
            Stored::Absent => Err(not_found(&info.id)),
        }
    }
}

/// The voice a speech request asked for (`None`: the default).
pub(crate) fn resolve(
    asked: Option<&str>,
    config: &Config,
    kv: &dyn Kv,
    files: &mut StoreFiles,
) -> Result<Chosen, ApiError> {
    let catalogue = Catalogue::read(Some(files), config, kv)?;
    let info = match asked.map(|a| (a, catalogue.find(a))) {
        Some((_, Some(info))) => info,
        Some((a, None)) if !OPENAI_VOICES.contains(&a.to_lowercase().as_str()) => {
            return Err(not_found(a))
        }
        _ => catalogue.default_voice(config)?.ok_or_else(|| {
            ApiError::bad_request(
                "no voice to speak with: this model has no built-in voices and none was \
                 cloned yet; create one with POST /v1/audio/voices (multipart `file`: a 3-30 s \
                 WAV clip, `name`) or set tts_speaker",
            )
            .with_param("voice")
            .with_code("no_voice")
        })?,
    };
    catalogue.voice(info, kv, &config.model)
}

/// Opens the model if it is loaded (`None` when it was never pushed).
fn open_if_loaded<'a>(kv: &'a dyn Kv, config: &Config) -> Result<Option<StoreFiles<'a>>, ApiError> {
    match StoreFiles::open(kv, &config.model) {
        Ok(files) => Ok(Some(files)),
        Err(e) if e.code.as_deref() == Some("model_not_loaded") => Ok(None),
        Err(e) => Err(e),
    }
}

/// `GET /v1/audio/voices`: the voices, the default, and what the server allows.
pub(crate) fn list(
    config: &Config,
    kv: &dyn Kv,
    _outcome: &mut Outcome,
) -> Result<Response, ApiError> {
    let mut files = open_if_loaded(kv, config)?;
    let loaded = files.is_some();
    let catalogue = Catalogue::read(files.as_mut(), config, kv)?;
    let default = catalogue.default_voice(config).ok().flatten();
    let data: Vec<_> = catalogue
        .builtin
        .iter()
        .map(|(n, _)| object(&Catalogue::builtin_info(n)))
        .chain(catalogue.cloned.iter().map(object))
        .collect();
    Ok(Response::json(
        200,
        &json!({
            "object": "list",
            "data": data,
            "default_voice": default.map(|d| d.id),
            "cloning_enabled": config.cloning,
            "model": config.model,
            "model_loaded": loaded,
        }),
    ))
}

/// `GET /v1/audio/voices/{id}`.
pub(crate) fn get(
    id: &str,
    config: &Config,
    kv: &dyn Kv,
    _outcome: &mut Outcome,
) -> Result<Response, ApiError> {
    let mut files = open_if_loaded(kv, config)?;
    let catalogue = Catalogue::read(files.as_mut(), config, kv)?;
    let info = catalogue.find(id).ok_or_else(|| not_found(id))?;
    Ok(Response::json(200, &object(&info)))
}

/// `DELETE /v1/audio/voices/{id}`: cloned voices only.
pub(crate) fn delete(id: &str, config: &Config, kv: &dyn Kv) -> Result<Response, ApiError> {
    if !id.starts_with(ID_PREFIX) {
        let mut files = open_if_loaded(kv, config)?;
        let catalogue = Catalogue::read(files.as_mut(), config, kv)?;
        return Err(match catalogue.find(id) {
            Some(info) if info.builtin => ApiError::bad_request(format!(
                "`{}` is a built-in voice of the model and cannot be deleted",
                info.name
            ))
            .with_code("builtin_voice"),
            Some(info) => ApiError::bad_request(format!(
                "delete a cloned voice by its id ({}), not its name",
                info.id
            ))
            .with_code("voice_id_required"),
            None => not_found(id),
        });
    }
    if !voices::delete(kv, &config.model, id).map_err(kv_error)? {
        return Err(not_found(id));
    }
    Ok(Response::json(
        200,
        &json!({"object": "audio.voice.deleted", "id": id, "deleted": true}),
    ))
}

fn clip_error(status: u16, code: &str, message: String) -> ApiError {
    ApiError::new(status, message)
        .with_type(ErrorType::InvalidRequestError)
        .with_param("file")
        .with_code(code)
}

const SEND_CLIP: &str =
    "send a WAV clip of one person speaking, 3 to 30 s (PCM or float, any rate)";

/// The clip's samples, or what to send instead.
fn decode_clip(file: &[u8]) -> Result<(Vec<f32>, u32), ApiError> {
    if let Some(kind) = sawt_audio::sniff_non_wav(file) {
        return Err(clip_error(
            415,
            "unsupported_audio_format",
            format!("the file looks like {kind}; {SEND_CLIP}"),
        ));
    }
    let audio = sawt_audio::decode_wav(file, Some(MAX_CLIP_SECONDS)).map_err(|e| match e {
        AudioError::TooLong { seconds, .. } => clip_error(
            413,
            "clip_too_long",
            format!("the clip is {seconds:.1} s long; {SEND_CLIP}"),
        ),
        AudioError::NotWav | AudioError::Unsupported(_) => {
            clip_error(415, "unsupported_audio_format", format!("{e}; {SEND_CLIP}"))
        }
        other => clip_error(400, "invalid_audio", format!("{other}; {SEND_CLIP}")),
    })?;
    let seconds = audio.samples.len() as f64 / f64::from(audio.sample_rate.max(1));
    if seconds < MIN_CLIP_SECONDS {
        return Err(clip_error(
            400,
            "clip_too_short",
            format!("the clip is {seconds:.1} s long; {SEND_CLIP}"),
        ));
    }
    let rms = (audio
        .samples
        .iter()
        .map(|&s| f64::from(s) * f64::from(s))
        .sum::<f64>()
        / audio.samples.len() as f64)
        .sqrt();
    if rms < SILENCE_RMS {
        return Err(clip_error(
            400,
            "clip_silent",
            format!("the clip is silent; {SEND_CLIP}"),
        ));
    }
    Ok((audio.samples, audio.sample_rate))
}

/// `POST /v1/audio/voices` (admission checked cloning is allowed for this caller).
pub(crate) fn create(
    req: &Request,
    config: &Config,
    kv: &dyn Kv,
    outcome: &mut Outcome,
) -> Result<Response, ApiError> {
    let content_type = sawt_api::header(req.headers, "content-type").unwrap_or("");
    let form = multipart::parse(content_type, req.body, &Limits::default())?;
    // OpenAI's SDK sends the clip as `audio_sample` (with `consent`, the id of a recorded
    // consent, which sawt accepts and does not check: consent is the operator's to obtain);
    // curl users send `file`, as for transcriptions.
    if form.text("type").is_some_and(|t| t != "audio_sample") {
        return Err(ApiError::bad_request(
            "sawt makes voices from audio samples only (`type`: `audio_sample`)",
        )
        .with_param("type"));
    }
    let file = form
        .part("audio_sample")
        .or_else(|| form.part("file"))
        .filter(|p| p.filename.is_some() || !p.data.is_empty())
        .ok_or_else(|| {
            ApiError::bad_request(format!(
                "`file` (or `audio_sample`) is required: {SEND_CLIP}"
            ))
            .with_param("file")
        })?;
    let name = form.text("name").ok_or_else(|| {
        ApiError::bad_request("`name` is required: what to call the voice").with_param("name")
    })?;
    let name = voices::check_name(name).map_err(|m| ApiError::bad_request(m).with_param("name"))?;
    let (samples, rate) = decode_clip(file.data)?;

    let mut files = StoreFiles::open(kv, &config.model)?;
    let catalogue = Catalogue::read(Some(&mut files), config, kv)?;
    if let Some(existing) = catalogue.find(&name) {
        return Err(ApiError::new(
            409,
            format!(
                "a voice named `{}` exists already ({}); choose another name or delete it first",
                existing.name, existing.id
            ),
        )
        .with_type(ErrorType::InvalidRequestError)
        .with_param("name")
        .with_code("voice_exists"));
    }
    if catalogue.cloned.len() >= MAX_VOICES {
        return Err(ApiError::new(
            409,
            format!("this server keeps at most {MAX_VOICES} cloned voices; delete one first"),
        )
        .with_type(ErrorType::InvalidRequestError)
        .with_code("voice_limit"));
    }

    let started = Instant::now();
    let read_before = files.read_time;
    let cloner = VoiceCloner::load(&mut files);
    let t = &mut outcome.timings;
    t.kv_read = files.read_time;
    t.model_build = started
        .elapsed()
        .saturating_sub(files.read_time - read_before);
    t.model_bytes = files.bytes;
    let cloner = cloner.map_err(|e| {
        outcome.detail = Some(format!(
            "loading the cloning graphs of {}: {e}",
            config.model
        ));
        files.load_error(&config.model, &e)
    })?;
    let voice = cloner.clone_voice(&samples, rate).map_err(|e| match e {
        XttsError::Reference(m) => clip_error(400, "invalid_clip", format!("{m}; {SEND_CLIP}")),
        XttsError::Audio(a) => clip_error(400, "invalid_audio", format!("{a}; {SEND_CLIP}")),
        other => {
            outcome.detail = Some(format!("cloning: {other}"));
            ApiError::internal()
        }
    })?;
    let info = VoiceInfo {
        id: voices::new_id(&config.model, &name, file.data),
        name,
        builtin: false,
        created_at: SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs()),
    };
    voices::save(kv, &config.model, &info, &voice, &catalogue.cloner).map_err(kv_error)?;
    Ok(Response::json(201, &object(&info)))
}
