//! The form fields of a transcription request, checked: what the client asked for.

use sawt_api::multipart;
use sawt_api::ApiError;
use sawt_whisper::text::py_strip;
use sawt_whisper::TranscribeOptions;

use crate::config::Config;
use crate::formats::ResponseFormat;
use crate::languages;

/// The model name the official SDKs send by default.
pub const OPENAI_MODEL_ALIAS: &str = "whisper-1";
/// Whisper conditions on the last n_text_ctx / 2 - 1 (223) prompt tokens; more characters
/// than this cannot reach the model, so only the prompt's tail is encoded.
pub const MAX_PROMPT_CHARS: usize = 4096;

/// What the client asked for, checked.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Params<'a> {
    pub file: &'a [u8],
    pub language: String,
    pub format: ResponseFormat,
    /// Tried in order (see [`temperatures`]).
    pub temperatures: Vec<f32>,
    /// `prompt`, stripped, at most [`MAX_PROMPT_CHARS`] from its end.
    pub prompt: Option<String>,
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

pub(crate) fn params<'a>(
    form: &multipart::Form<'a>,
    config: &Config,
) -> Result<Params<'a>, ApiError> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temperature_zero_means_fallback() {
        assert_eq!(temperatures(None), vec![0.0, 0.2, 0.4, 0.6, 0.8, 1.0]);
        assert_eq!(temperatures(Some(0.0)), vec![0.0, 0.2, 0.4, 0.6, 0.8, 1.0]);
        assert_eq!(temperatures(Some(0.3)), vec![0.3]);
    }
}
