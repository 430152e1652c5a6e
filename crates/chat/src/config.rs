//! Chat configuration from Spin variables (names as the original service named them).

use sawt_api::{ApiError, Env};

/// Variable names. Every one is declared in spin.toml.
pub mod vars {
    pub const API_KEY: &str = "openrouter_api_key";
    pub const BASE_URL: &str = "openrouter_base_url";
    pub const MODEL: &str = "openrouter_model";
    /// Comma-separated client model ids that are forwarded as asked; `*` allows any.
    pub const ALLOWED_MODELS: &str = "openrouter_allowed_models";
    pub const HTTP_REFERER: &str = "openrouter_http_referer";
    pub const X_TITLE: &str = "openrouter_x_title";
    pub const TIMEOUT_SECS: &str = "openrouter_timeout_secs";
    pub const AI_LANGUAGE: &str = "ai_language";
    /// Replaces the built-in persona prompt entirely.
    pub const SYSTEM_PROMPT: &str = "chat_system_prompt";
    /// `auto` (prepend unless the client sent a system message), `always`, `off`.
    pub const PERSONA_MODE: &str = "chat_persona_mode";
    pub const MAX_BODY_BYTES: &str = "chat_max_body_bytes";
    pub const MAX_MESSAGES: &str = "chat_max_messages";
    pub const MAX_CONTENT_CHARS: &str = "chat_max_content_chars";
    pub const WHISPER_MODEL: &str = "whisper_model";
    pub const TTS_MODEL: &str = "tts_model";
}

pub const DEFAULT_BASE_URL: &str = "https://openrouter.ai/api/v1";
pub const DEFAULT_MODEL: &str = "google/gemma-2-27b-it";
pub const DEFAULT_AI_LANGUAGE: &str = "arabic_egyptian";
pub const DEFAULT_TIMEOUT_SECS: u64 = 60;
/// Well under the 10 MiB request-body cap of Akamai Functions; a long chat is ~100 kB.
pub const DEFAULT_MAX_BODY_BYTES: usize = 1024 * 1024;
pub const DEFAULT_MAX_MESSAGES: usize = 200;
pub const DEFAULT_MAX_CONTENT_CHARS: usize = 32_000;

/// A secret string whose `Debug` never shows the value.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
    /// Replaces any occurrence of the secret in `text`, for upstream text we pass on.
    pub fn redact(&self, text: &str) -> String {
        if self.0.len() >= 4 && text.contains(&self.0) {
            text.replace(&self.0, "[redacted]")
        } else {
            text.to_owned()
        }
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

/// Which client models are forwarded as asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AllowList {
    Any,
    Only(Vec<String>),
}

impl AllowList {
    fn parse(value: Option<String>) -> Self {
        match value {
            Some(v) if v.split(',').any(|m| m.trim() == "*") => Self::Any,
            Some(v) => Self::Only(
                v.split(',')
                    .map(str::trim)
                    .filter(|m| !m.is_empty())
                    .map(str::to_owned)
                    .collect(),
            ),
            None => Self::Only(Vec::new()),
        }
    }

    pub fn allows(&self, model: &str) -> bool {
        match self {
            Self::Any => true,
            Self::Only(list) => list.iter().any(|m| m == model),
        }
    }
}

/// When the persona system prompt is inserted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PersonaMode {
    /// Prepend unless the client sent its own system (or developer) message.
    Auto,
    /// Always prepend, before the client's own system messages.
    Always,
    /// Never insert.
    Off,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub max_body_bytes: usize,
    pub max_messages: usize,
    pub max_content_chars: usize,
}

#[derive(Debug, Clone)]
pub struct ChatConfig {
    pub api_key: Option<Secret>,
    /// Without a trailing slash.
    pub base_url: String,
    pub model: String,
    pub allowed_models: AllowList,
    pub http_referer: Option<String>,
    pub x_title: Option<String>,
    pub persona: crate::persona::Persona,
    pub persona_mode: PersonaMode,
    pub limits: Limits,
    pub timeout_secs: u64,
}

/// A 500 for the operator: names the variable, never shows a secret value.
fn misconfigured(message: String) -> ApiError {
    let mut e = ApiError::internal().with_code("server_misconfigured");
    e.message = message;
    e
}

fn number<T: std::str::FromStr>(env: &dyn Env, name: &str, default: T) -> Result<T, ApiError> {
    match env.get(name) {
        None => Ok(default),
        Some(v) => v.parse().map_err(|_| {
            misconfigured(format!(
                "server misconfigured: variable {name} must be a whole number"
            ))
        }),
    }
}

/// A header value from a variable; CR/LF would let a variable inject headers.
fn header_value(env: &dyn Env, name: &str) -> Result<Option<String>, ApiError> {
    match env.get(name) {
        Some(v) if v.bytes().any(|b| b.is_ascii_control()) => Err(misconfigured(format!(
            "server misconfigured: variable {name} must not contain control characters"
        ))),
        v => Ok(v),
    }
}

impl ChatConfig {
    /// Reads and validates the configuration. Errors are 500s that name the variable but
    /// never show secret values.
    pub fn from_env(env: &dyn Env) -> Result<Self, ApiError> {
        let base_url = env
            .get_or(vars::BASE_URL, DEFAULT_BASE_URL)
            .trim_end_matches('/')
            .to_owned();
        if !(base_url.starts_with("https://") || base_url.starts_with("http://"))
            || base_url.bytes().any(|b| b.is_ascii_control() || b == b' ')
        {
            return Err(misconfigured(format!(
                "server misconfigured: variable {} must be an http(s) URL",
                vars::BASE_URL
            )));
        }
        let ai_language = env.get_or(vars::AI_LANGUAGE, DEFAULT_AI_LANGUAGE);
        let persona = match env
            .var(vars::SYSTEM_PROMPT)
            .filter(|p| !p.trim().is_empty())
        {
            Some(text) => crate::persona::Persona::custom(text),
            None => crate::persona::Persona::builtin(&ai_language).ok_or_else(|| {
                misconfigured(format!(
                    "server misconfigured: unknown {} {:?}; known: {}",
                    vars::AI_LANGUAGE,
                    ai_language,
                    crate::persona::known_ids().join(", ")
                ))
            })?,
        };
        let persona_mode = match env.get_or(vars::PERSONA_MODE, "auto").as_str() {
            "auto" => PersonaMode::Auto,
            "always" => PersonaMode::Always,
            "off" => PersonaMode::Off,
            _ => {
                return Err(misconfigured(format!(
                    "server misconfigured: variable {} must be auto, always or off",
                    vars::PERSONA_MODE
                )))
            }
        };
        Ok(Self {
            api_key: env.get(vars::API_KEY).map(Secret::new),
            base_url,
            model: env.get_or(vars::MODEL, DEFAULT_MODEL),
            allowed_models: AllowList::parse(env.get(vars::ALLOWED_MODELS)),
            http_referer: header_value(env, vars::HTTP_REFERER)?,
            x_title: header_value(env, vars::X_TITLE)?,
            persona,
            persona_mode,
            limits: Limits {
                max_body_bytes: number(env, vars::MAX_BODY_BYTES, DEFAULT_MAX_BODY_BYTES)?,
                max_messages: number(env, vars::MAX_MESSAGES, DEFAULT_MAX_MESSAGES)?,
                max_content_chars: number(env, vars::MAX_CONTENT_CHARS, DEFAULT_MAX_CONTENT_CHARS)?,
            },
            timeout_secs: number(env, vars::TIMEOUT_SECS, DEFAULT_TIMEOUT_SECS)?.max(1),
        })
    }

    /// The model to ask upstream for: the client's if allowed, else the configured one.
    pub fn select_model(&self, requested: Option<&str>) -> String {
        match requested.map(str::trim) {
            Some(m) if m == self.model || (!m.is_empty() && self.allowed_models.allows(m)) => {
                m.to_owned()
            }
            _ => self.model.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sawt_api::MapEnv;

    #[test]
    fn defaults_match_the_original_service() {
        let c = ChatConfig::from_env(&MapEnv::new()).unwrap();
        assert_eq!(c.base_url, "https://openrouter.ai/api/v1");
        assert_eq!(c.model, "google/gemma-2-27b-it");
        assert_eq!(c.persona.label(), "arabic_egyptian@v1");
        assert_eq!(c.persona_mode, PersonaMode::Auto);
        assert!(c.api_key.is_none());
        assert_eq!(c.allowed_models, AllowList::Only(vec![]));
        assert_eq!(c.limits.max_messages, 200);
    }

    #[test]
    fn model_selection_follows_the_allow_list() {
        let env = MapEnv::new()
            .with("openrouter_model", "m/default")
            .with("openrouter_allowed_models", "a/one, b/two");
        let c = ChatConfig::from_env(&env).unwrap();
        assert_eq!(c.select_model(Some("a/one")), "a/one");
        assert_eq!(c.select_model(Some("b/two")), "b/two");
        assert_eq!(c.select_model(Some("m/default")), "m/default");
        assert_eq!(c.select_model(Some("gpt-4o")), "m/default");
        assert_eq!(c.select_model(Some("")), "m/default");
        assert_eq!(c.select_model(None), "m/default");

        let any =
            ChatConfig::from_env(&MapEnv::new().with("openrouter_allowed_models", "*")).unwrap();
        assert_eq!(any.select_model(Some("x/y")), "x/y");
    }

    #[test]
    fn base_url_is_normalised_and_validated() {
        let c = ChatConfig::from_env(
            &MapEnv::new().with("openrouter_base_url", "http://127.0.0.1:9/api/v1/"),
        )
        .unwrap();
        assert_eq!(c.base_url, "http://127.0.0.1:9/api/v1");
        let e = ChatConfig::from_env(&MapEnv::new().with("openrouter_base_url", "ftp://x"))
            .unwrap_err();
        assert_eq!(e.status, 500);
        assert!(e.message.contains("openrouter_base_url"));
    }

    #[test]
    fn bad_values_are_clear_500s_without_secrets() {
        let env = MapEnv::new()
            .with("openrouter_api_key", "sk-or-secret-123")
            .with("ai_language", "klingon");
        let e = ChatConfig::from_env(&env).unwrap_err();
        assert_eq!(e.status, 500);
        assert!(e.message.contains("klingon") && e.message.contains("arabic_egyptian"));
        assert!(!e.message.contains("sk-or-secret-123"));

        let e = ChatConfig::from_env(&MapEnv::new().with("openrouter_x_title", "a\r\nb: c"))
            .unwrap_err();
        assert!(e.message.contains("openrouter_x_title"));
        let e = ChatConfig::from_env(&MapEnv::new().with("chat_max_messages", "lots")).unwrap_err();
        assert!(e.message.contains("chat_max_messages"));
    }

    #[test]
    fn secrets_do_not_debug_print_and_are_redacted() {
        let s = Secret::new("sk-or-v1-abcdef");
        assert_eq!(format!("{s:?}"), "Secret([redacted])");
        assert_eq!(s.redact("bad key sk-or-v1-abcdef!"), "bad key [redacted]!");
        let env = MapEnv::new().with("openrouter_api_key", "sk-or-v1-abcdef");
        let c = ChatConfig::from_env(&env).unwrap();
        assert!(!format!("{c:?}").contains("sk-or-v1-abcdef"));
    }
}
