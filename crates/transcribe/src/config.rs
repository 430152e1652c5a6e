//! The variables a transcription is served with, read and checked once per request.

use sawt_api::{ApiError, Env};

use crate::languages;

/// Defaults of the variables (spin.toml declares the same values).
pub const DEFAULT_WHISPER_MODEL: &str = "tiny";
pub const DEFAULT_LANGUAGE: &str = "ar";
pub const DEFAULT_MAX_AUDIO_SECONDS: f64 = 120.0;
/// OpenAI's own upload limit (25 MB); hosts may cap bodies lower (Akamai Functions: 10 MiB).
pub const DEFAULT_MAX_BODY_BYTES: usize = 25 * 1024 * 1024;

/// Variable names, after the original service where it had one.
pub mod vars {
    pub const WHISPER_MODEL: &str = "whisper_model";
    pub const WHISPER_LANGUAGE: &str = "whisper_language";
    pub const MAX_AUDIO_LENGTH: &str = "max_audio_length";
    pub const AUDIO_SAMPLE_RATE: &str = "audio_sample_rate";
    pub const MAX_BODY_BYTES: &str = "transcribe_max_body_bytes";
}

/// The request body limit. Adapters read at most this many bytes plus one, so a longer body
/// is answered 413 without being held in memory.
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
    /// variable so the fix is obvious).
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

/// The exact command that loads `name` into a deployed app (crates/cli, crates/admin).
pub fn push_command(name: &str) -> String {
    format!(
        "sawt models push models/local/{name}/export --name {name} --url <app-url> --token <admin_token>"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use sawt_api::MapEnv;

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
    fn push_command_uses_the_cli_flags() {
        assert_eq!(
            push_command("whisper-tiny"),
            "sawt models push models/local/whisper-tiny/export --name whisper-tiny --url <app-url> --token <admin_token>"
        );
    }
}
