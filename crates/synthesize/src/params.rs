//! The JSON body of `POST /v1/audio/speech`, checked: OpenAI's fields, its limits and its
//! error wording (400 with `param`, 404 `model_not_found`), and what sawt does with each.

use sawt_api::ApiError;
use serde_json::{Map, Value};

use crate::formats::AudioFormat;

/// OpenAI's limit on `input`, in characters.
pub const MAX_INPUT_CHARS: usize = 4096;
/// The `model` values that select the stored XTTS model besides its own store name: OpenAI's
/// speech models (so an app written for OpenAI works unchanged) and `xtts`.
pub const MODEL_ALIASES: [&str; 4] = ["tts-1", "tts-1-hd", "gpt-4o-mini-tts", "xtts"];
/// OpenAI's range for `speed`.
pub const SPEED_RANGE: (f64, f64) = (0.25, 4.0);

/// How the audio is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamFormat {
    /// The encoded audio as the body, streamed as it is produced.
    Audio,
    /// Server-sent `speech.audio.delta` events (base64 audio), then `speech.audio.done`.
    Sse,
}

/// What the client asked for, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct SpeechParams {
    pub input: String,
    /// A voice name or id; `None`: the configured default voice.
    pub voice: Option<String>,
    pub format: AudioFormat,
    pub speed: f64,
    pub stream: StreamFormat,
}

fn bad(param: &str, message: String) -> ApiError {
    ApiError::bad_request(message).with_param(param)
}

/// Parses and checks the body. `model_name` is the configured store name of the XTTS model,
/// accepted as `model` beside [`MODEL_ALIASES`]. Unknown fields are ignored, as the SDKs may
/// send newer ones.
pub fn parse(body: &[u8], model_name: &str) -> Result<SpeechParams, ApiError> {
    let value: Value = serde_json::from_slice(body).map_err(|e| {
        ApiError::bad_request(format!(
            "the request body is not valid JSON ({e}); send {{\"model\": \"tts-1\", \
             \"input\": \"…\", \"voice\": \"…\"}}"
        ))
    })?;
    let Value::Object(fields) = value else {
        return Err(ApiError::bad_request(
            "the request body must be a JSON object with `model`, `input` and `voice`",
        ));
    };
    check_model(&fields, model_name)?;
    Ok(SpeechParams {
        input: input(&fields)?,
        voice: voice(&fields)?,
        format: format(&fields)?,
        speed: speed(&fields)?,
        stream: stream_format(&fields)?,
    })
    .and_then(|p| {
        // `instructions` steers OpenAI's newer voices; XTTS has no such input. Accepted (so
        // clients that send it work) and ignored, but it must be a string as OpenAI requires.
        match fields.get("instructions") {
            None | Some(Value::Null) | Some(Value::String(_)) => Ok(p),
            Some(_) => Err(bad(
                "instructions",
                "`instructions` must be a string".into(),
            )),
        }
    })
}

fn string<'a>(fields: &'a Map<String, Value>, name: &str) -> Result<Option<&'a str>, ApiError> {
    match fields.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(bad(name, format!("`{name}` must be a string"))),
    }
}

fn check_model(fields: &Map<String, Value>, model_name: &str) -> Result<(), ApiError> {
    let model = string(fields, "model")?
        .map(str::trim)
        .filter(|m| !m.is_empty())
        .ok_or_else(|| {
            bad(
                "model",
                "`model` is required: use tts-1 (or tts-1-hd, gpt-4o-mini-tts, xtts)".into(),
            )
        })?;
    // Dated snapshots (`gpt-4o-mini-tts-2025-12-15`) are the same model to a client.
    let openai_snapshot = model.starts_with("gpt-4o-mini-tts-");
    if MODEL_ALIASES.contains(&model)
        || openai_snapshot
        || (!model_name.is_empty() && model == model_name)
    {
        return Ok(());
    }
    Err(ApiError::not_found(format!(
        "the model `{}` does not exist; this server speaks with XTTS: use tts-1, tts-1-hd, \
         gpt-4o-mini-tts or xtts",
        model.chars().take(100).collect::<String>()
    ))
    .with_param("model")
    .with_code("model_not_found"))
}

fn input(fields: &Map<String, Value>) -> Result<String, ApiError> {
    let text = string(fields, "input")?.unwrap_or("");
    if text.trim().is_empty() {
        return Err(bad(
            "input",
            "`input` is required: the text to speak, 1 to 4096 characters".into(),
        ));
    }
    let n = text.chars().count();
    if n > MAX_INPUT_CHARS {
        return Err(bad(
            "input",
            format!(
                "`input` has {n} characters; the limit is {MAX_INPUT_CHARS}: split the text \
                 into several requests"
            ),
        ));
    }
    Ok(text.to_owned())
}

/// A name or id as a string, or OpenAI's custom-voice shape `{"id": "…"}`.
fn voice(fields: &Map<String, Value>) -> Result<Option<String>, ApiError> {
    let id = match fields.get("voice") {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::String(s)) => s.as_str(),
        Some(Value::Object(o)) => match o.get("id") {
            Some(Value::String(s)) => s.as_str(),
            _ => {
                return Err(bad(
                    "voice",
                    "`voice` as an object must be {\"id\": \"<voice id>\"}".into(),
                ))
            }
        },
        Some(_) => {
            return Err(bad(
                "voice",
                "`voice` must be a voice name or id (GET /v1/audio/voices lists them)".into(),
            ))
        }
    };
    let id = id.trim();
    Ok((!id.is_empty()).then(|| id.to_owned()))
}

fn format(fields: &Map<String, Value>) -> Result<AudioFormat, ApiError> {
    match string(fields, "response_format")? {
        None => Ok(AudioFormat::DEFAULT),
        Some(f) => AudioFormat::parse(f.trim()).ok_or_else(|| {
            bad(
                "response_format",
                format!(
                    "response_format `{}` is not available here; use one of: {}",
                    f.chars().take(40).collect::<String>(),
                    AudioFormat::names().join(", ")
                ),
            )
        }),
    }
}

fn speed(fields: &Map<String, Value>) -> Result<f64, ApiError> {
    let (lo, hi) = SPEED_RANGE;
    let out_of_range = || {
        bad(
            "speed",
            format!("`speed` must be a number from {lo} to {hi}"),
        )
    };
    match fields.get("speed") {
        None | Some(Value::Null) => Ok(1.0),
        Some(Value::Number(n)) => match n.as_f64() {
            Some(s) if (lo..=hi).contains(&s) => Ok(s),
            _ => Err(out_of_range()),
        },
        Some(_) => Err(out_of_range()),
    }
}

fn stream_format(fields: &Map<String, Value>) -> Result<StreamFormat, ApiError> {
    match string(fields, "stream_format")?.map(str::trim) {
        None | Some("audio") => Ok(StreamFormat::Audio),
        Some("sse") => Ok(StreamFormat::Sse),
        Some(other) => Err(bad(
            "stream_format",
            format!(
                "stream_format `{}` is not one of: audio, sse",
                other.chars().take(40).collect::<String>()
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(body: &str) -> SpeechParams {
        parse(body.as_bytes(), "xtts-v2").unwrap_or_else(|e| panic!("{body}: {e}"))
    }

    fn err(body: &str) -> ApiError {
        match parse(body.as_bytes(), "xtts-v2") {
            Ok(p) => panic!("{body} was accepted: {p:?}"),
            Err(e) => e,
        }
    }

    #[test]
    fn openai_shaped_requests() {
        let p = ok(r#"{"model":"tts-1","input":"أهلا بيك","voice":"amira"}"#);
        assert_eq!(p.input, "أهلا بيك");
        assert_eq!(p.voice.as_deref(), Some("amira"));
        assert_eq!(p.format, AudioFormat::Wav);
        assert_eq!(p.speed, 1.0);
        assert_eq!(p.stream, StreamFormat::Audio);
        let p = ok(
            r#"{"model":"gpt-4o-mini-tts","input":"x","voice":{"id":"voice_abc"},
                      "response_format":"pcm","speed":1.5,"stream_format":"sse",
                      "instructions":"Speak warmly","extra":1}"#,
        );
        assert_eq!(p.voice.as_deref(), Some("voice_abc"));
        assert_eq!(p.format, AudioFormat::Pcm);
        assert_eq!(p.speed, 1.5);
        assert_eq!(p.stream, StreamFormat::Sse);
        for model in ["tts-1-hd", "xtts", "xtts-v2", "gpt-4o-mini-tts-2025-12-15"] {
            ok(&format!(r#"{{"model":"{model}","input":"x"}}"#));
        }
        // No voice: the configured default.
        assert_eq!(
            ok(r#"{"model":"tts-1","input":"x","voice":" "}"#).voice,
            None
        );
        let limit = "ب".repeat(MAX_INPUT_CHARS);
        ok(&format!(r#"{{"model":"tts-1","input":"{limit}"}}"#));
        assert_eq!(
            ok(r#"{"model":"tts-1","input":"x","speed":0.25}"#).speed,
            0.25
        );
        assert_eq!(ok(r#"{"model":"tts-1","input":"x","speed":4}"#).speed, 4.0);
    }

    #[test]
    fn bad_requests_name_their_field() {
        let cases = [
            (r#"{"model":"tts-1"}"#, 400, "input"),
            (r#"{"model":"tts-1","input":"  "}"#, 400, "input"),
            (r#"{"model":"tts-1","input":5}"#, 400, "input"),
            (r#"{"input":"x"}"#, 400, "model"),
            (r#"{"model":"whisper-1","input":"x"}"#, 404, "model"),
            (r#"{"model":"tts-1","input":"x","voice":3}"#, 400, "voice"),
            (
                r#"{"model":"tts-1","input":"x","voice":{"name":"a"}}"#,
                400,
                "voice",
            ),
            (
                r#"{"model":"tts-1","input":"x","response_format":"mp4"}"#,
                400,
                "response_format",
            ),
            (r#"{"model":"tts-1","input":"x","speed":0.2}"#, 400, "speed"),
            (
                r#"{"model":"tts-1","input":"x","speed":4.01}"#,
                400,
                "speed",
            ),
            (
                r#"{"model":"tts-1","input":"x","speed":"fast"}"#,
                400,
                "speed",
            ),
            (
                r#"{"model":"tts-1","input":"x","stream_format":"chunks"}"#,
                400,
                "stream_format",
            ),
            (
                r#"{"model":"tts-1","input":"x","instructions":[1]}"#,
                400,
                "instructions",
            ),
        ];
        for (body, status, param) in cases {
            let e = err(body);
            assert_eq!(
                (e.status, e.param.as_deref()),
                (status, Some(param)),
                "{body}: {e}"
            );
        }
        assert_eq!(
            err(r#"{"model":"x","input":"y"}"#).code.as_deref(),
            Some("model_not_found")
        );
        let long = "ب".repeat(MAX_INPUT_CHARS + 1);
        let e = err(&format!(r#"{{"model":"tts-1","input":"{long}"}}"#));
        assert!(e.message.contains("4097 characters"), "{e}");
        for body in ["", "not json", "[1]", "\"x\""] {
            let e = err(body);
            assert_eq!((e.status, e.param.as_deref()), (400, None), "{body:?}: {e}");
        }
    }

    #[test]
    fn unsupported_formats_list_the_supported_ones() {
        let e = err(r#"{"model":"tts-1","input":"x","response_format":"aac"}"#);
        for name in AudioFormat::names() {
            assert!(e.message.contains(name), "{e}");
        }
    }
}
