//! The variables speech and voices are served with, read and checked once per request.

use sawt_api::{ApiError, Env};
use sawt_egyptian::TextNormalizer;

/// Defaults of the variables (spin.toml declares the same values).
pub const DEFAULT_TTS_MODEL: &str = "xtts-v2";
pub const DEFAULT_LANGUAGE: &str = "ar";
/// A JSON speech request: 4,096 characters escaped as `\uXXXX` are 24 KiB; 1 MiB leaves room.
pub const DEFAULT_SPEECH_MAX_BODY_BYTES: usize = 1024 * 1024;
/// A voice clip upload: 30 s of 48 kHz stereo 16-bit WAV is 5.5 MiB; Akamai Functions caps
/// request bodies at 10 MiB.
pub const DEFAULT_VOICE_MAX_BODY_BYTES: usize = 10 * 1024 * 1024;

/// Variable names, after the original service where it had one.
pub mod vars {
    pub const TTS_MODEL: &str = "tts_model";
    pub const TTS_LANGUAGE: &str = "tts_language";
    pub const TTS_SPEAKER: &str = "tts_speaker";
    pub const ENABLE_VOICE_CLONING: &str = "enable_voice_cloning";
    pub const TTS_NORMALIZER: &str = "tts_normalizer";
    pub const TTS_SAMPLING: &str = "tts_sampling";
    pub const SPEECH_MAX_BODY_BYTES: &str = "speech_max_body_bytes";
    pub const VOICE_MAX_BODY_BYTES: &str = "voice_max_body_bytes";
    pub const ADMIN_TOKEN: &str = "admin_token";
}

/// How the GPT chooses codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sampling {
    /// The model config's temperature, top-k and top-p, seeded from the request (the same
    /// request gives the same audio), as coqui's `tts()` samples.
    Sample,
    /// Argmax: what the parity tests compare with coqui's `do_sample=False`.
    Greedy,
}

/// The configuration a request is served with.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// The XTTS model's name in the key-value store.
    pub model: String,
    pub language: String,
    /// The voice used when the client names none (or one of OpenAI's preset names).
    pub speaker: Option<String>,
    pub cloning: bool,
    pub normalizer: TextNormalizer,
    pub sampling: Sampling,
    pub speech_max_body_bytes: usize,
    pub voice_max_body_bytes: usize,
    pub admin_token: Option<String>,
}

impl Config {
    /// Reads and checks the variables; a bad value is the operator's mistake (500, naming the
    /// variable so the fix is obvious).
    pub fn from_env(env: &dyn Env) -> Result<Self, ApiError> {
        let model = env.get_or(vars::TTS_MODEL, DEFAULT_TTS_MODEL);
        if sawt_store::validate_model_name(&model).is_err() {
            return Err(config_error(
                "tts_model must be a model name in the store such as xtts-v2 ([A-Za-z0-9._-])",
            ));
        }
        let language = env.get_or(vars::TTS_LANGUAGE, DEFAULT_LANGUAGE);
        // coqui's cleaners are ported for Arabic, the service's language (crates/xtts-text).
        if !language.eq_ignore_ascii_case("ar") {
            return Err(config_error(
                "tts_language must be ar: sawt prepares text for Arabic only",
            ));
        }
        let cloning = match env.get(vars::ENABLE_VOICE_CLONING).as_deref() {
            None => true,
            Some(v) => parse_bool(v)
                .ok_or_else(|| config_error("enable_voice_cloning must be true or false"))?,
        };
        let normalizer = env
            .get_or(vars::TTS_NORMALIZER, "egyptian")
            .parse::<TextNormalizer>()
            .map_err(|_| config_error("tts_normalizer must be egyptian or xtts"))?;
        let sampling = match env.get_or(vars::TTS_SAMPLING, "sample").as_str() {
            "sample" => Sampling::Sample,
            "greedy" => Sampling::Greedy,
            _ => return Err(config_error("tts_sampling must be sample or greedy")),
        };
        let limit = |name: &str, default: usize| -> Result<usize, ApiError> {
            match env.get(name) {
                None => Ok(default),
                Some(v) => v.parse::<usize>().ok().filter(|&n| n > 0).ok_or_else(|| {
                    config_error(&format!("{name} must be a positive number of bytes"))
                }),
            }
        };
        Ok(Self {
            model,
            language: language.to_ascii_lowercase(),
            speaker: env.get(vars::TTS_SPEAKER),
            cloning,
            normalizer,
            sampling,
            speech_max_body_bytes: limit(
                vars::SPEECH_MAX_BODY_BYTES,
                DEFAULT_SPEECH_MAX_BODY_BYTES,
            )?,
            voice_max_body_bytes: limit(vars::VOICE_MAX_BODY_BYTES, DEFAULT_VOICE_MAX_BODY_BYTES)?,
            admin_token: env.get(vars::ADMIN_TOKEN),
        })
    }
}

fn parse_bool(v: &str) -> Option<bool> {
    match v.to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Some(true),
        "false" | "0" | "no" | "off" => Some(false),
        _ => None,
    }
}

fn config_error(message: &str) -> ApiError {
    ApiError::new(500, format!("server configuration error: {message}")).with_code("config_error")
}

/// The exact command that loads the XTTS model `name` into a deployed app (crates/cli).
pub fn push_command(name: &str) -> String {
    format!(
        "sawt models push models/local/{name} --name {name} --url <app-url> --token <admin_token>"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use sawt_api::MapEnv;

    #[test]
    fn defaults() {
        let c = Config::from_env(&MapEnv::new()).unwrap();
        assert_eq!(c.model, "xtts-v2");
        assert_eq!(c.language, "ar");
        assert_eq!(c.speaker, None);
        assert!(c.cloning);
        assert_eq!(c.normalizer, TextNormalizer::Egyptian);
        assert_eq!(c.sampling, Sampling::Sample);
        assert_eq!(c.speech_max_body_bytes, 1024 * 1024);
        assert_eq!(c.voice_max_body_bytes, 10 * 1024 * 1024);
        assert_eq!(c.admin_token, None);
    }

    #[test]
    fn values_and_mistakes() {
        let env = MapEnv::new()
            .with("tts_model", "egtts")
            .with("tts_speaker", "amira")
            .with("enable_voice_cloning", "False")
            .with("tts_normalizer", "xtts")
            .with("tts_sampling", "greedy")
            .with("voice_max_body_bytes", "1000");
        let c = Config::from_env(&env).unwrap();
        assert_eq!(
            (c.model.as_str(), c.speaker.as_deref(), c.cloning),
            ("egtts", Some("amira"), false)
        );
        assert_eq!(c.normalizer, TextNormalizer::Xtts);
        assert_eq!(c.sampling, Sampling::Greedy);
        assert_eq!(c.voice_max_body_bytes, 1000);
        for (name, value) in [
            ("tts_model", "a/b"),
            ("tts_language", "en"),
            ("enable_voice_cloning", "maybe"),
            ("tts_normalizer", "msa"),
            ("tts_sampling", "beam"),
            ("speech_max_body_bytes", "0"),
        ] {
            let e = Config::from_env(&MapEnv::new().with(name, value)).unwrap_err();
            assert_eq!((e.status, e.code.as_deref()), (500, Some("config_error")));
            assert!(e.message.contains(name), "{name}: {}", e.message);
        }
    }
}
