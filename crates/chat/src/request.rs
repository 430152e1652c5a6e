//! The client's chat request: validation and limits, then the upstream request built from
//! it. Fields we do not know are passed through untouched (in their original order).

use sawt_api::ApiError;
use serde_json::{Map, Value};

use crate::config::{ChatConfig, Limits, Secret};

/// A validated client request.
#[derive(Debug, Clone, PartialEq)]
pub struct ChatRequest {
    pub body: Map<String, Value>,
    pub stream: bool,
}

/// Validates the body of `POST /v1/chat/completions`.
pub fn parse(body: &[u8], limits: &Limits) -> Result<ChatRequest, ApiError> {
    if body.len() > limits.max_body_bytes {
        // Adapters stop reading one byte past the limit, so the real size is unknown here.
        return Err(ApiError::payload_too_large(format!(
            "request body is larger than the limit of {} bytes",
            limits.max_body_bytes
        )));
    }
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| ApiError::bad_request(format!("request body is not valid JSON: {e}")))?;
    let Value::Object(body) = value else {
        return Err(ApiError::bad_request("request body must be a JSON object"));
    };

    let stream = match body.get("stream") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => {
            return Err(ApiError::bad_request("`stream` must be a boolean").with_param("stream"))
        }
    };
    match body.get("model") {
        None | Some(Value::Null) | Some(Value::String(_)) => {}
        Some(_) => {
            return Err(ApiError::bad_request("`model` must be a string").with_param("model"))
        }
    }

    let messages = match body.get("messages") {
        Some(Value::Array(m)) if !m.is_empty() => m,
        Some(Value::Array(_)) => {
            return Err(ApiError::bad_request("`messages` must not be empty").with_param("messages"))
        }
        Some(_) => {
            return Err(ApiError::bad_request("`messages` must be an array").with_param("messages"))
        }
        None => {
            return Err(
                ApiError::bad_request("missing required parameter: `messages`")
                    .with_param("messages"),
            )
        }
    };
    if messages.len() > limits.max_messages {
        return Err(ApiError::bad_request(format!(
            "too many messages: {}; the limit is {}",
            messages.len(),
            limits.max_messages
        ))
        .with_param("messages")
        .with_code("too_many_messages"));
    }
    for (i, message) in messages.iter().enumerate() {
        let param = format!("messages[{i}]");
        let Value::Object(m) = message else {
            return Err(
                ApiError::bad_request(format!("{param} must be an object")).with_param(param)
            );
        };
        let role = match m.get("role") {
            Some(Value::String(r)) if !r.is_empty() => r.as_str(),
            _ => {
                return Err(ApiError::bad_request(format!(
                    "{param}.role must be a non-empty string"
                ))
                .with_param(format!("{param}.role")))
            }
        };
        check_role(role, m, &param)?;
        let chars = content_chars(m.get("content")).ok_or_else(|| {
            ApiError::bad_request(format!(
                "{param}.content must be a string, an array of content parts, or null"
            ))
            .with_param(format!("{param}.content"))
        })?;
        check_parts(m.get("content"), &param)?;
        if chars > limits.max_content_chars {
            return Err(ApiError::bad_request(format!(
                "{param}.content is {chars} characters; the limit is {} per message",
                limits.max_content_chars
            ))
            .with_param(format!("{param}.content"))
            .with_code("content_too_long"));
        }
    }
    Ok(ChatRequest { body, stream })
}

/// The roles OpenAI's chat API accepts, in the order its own error message lists them.
pub const ROLES: [&str; 6] = [
    "system",
    "assistant",
    "user",
    "function",
    "tool",
    "developer",
];

/// OpenAI answers an unknown role with 400 before any model runs; so do we, rather than let
/// the upstream guess. Roles that need content or a tool call id are checked here too.
fn check_role(role: &str, m: &Map<String, Value>, param: &str) -> Result<(), ApiError> {
    if !ROLES.contains(&role) {
        let shown: String = role.chars().take(40).collect();
        return Err(ApiError::bad_request(format!(
            "Invalid value: '{shown}'. Supported values are: 'system', 'assistant', 'user', \
             'function', 'tool', and 'developer'."
        ))
        .with_param(format!("{param}.role"))
        .with_code("invalid_value"));
    }
    let has_content = !matches!(m.get("content"), None | Some(Value::Null));
    // Only an assistant turn (tool calls, refusals) may come without content.
    if role != "assistant" && !has_content {
        return Err(ApiError::bad_request(format!(
            "{param}.content is required for role '{role}'"
        ))
        .with_param(format!("{param}.content")));
    }
    if role == "tool" && !matches!(m.get("tool_call_id"), Some(Value::String(_))) {
        return Err(ApiError::bad_request(format!(
            "{param}.tool_call_id is required for role 'tool'"
        ))
        .with_param(format!("{param}.tool_call_id")));
    }
    Ok(())
}

/// Content parts are objects with a string `type`; a `text` part carries a string `text`.
fn check_parts(content: Option<&Value>, param: &str) -> Result<(), ApiError> {
    let Some(Value::Array(parts)) = content else {
        return Ok(());
    };
    for (j, part) in parts.iter().enumerate() {
        let at = format!("{param}.content[{j}]");
        let kind = part.get("type").and_then(Value::as_str).ok_or_else(|| {
            ApiError::bad_request(format!("{at}.type must be a string such as \"text\""))
                .with_param(format!("{at}.type"))
        })?;
        if kind == "text" && !matches!(part.get("text"), Some(Value::String(_))) {
            return Err(ApiError::bad_request(format!("{at}.text must be a string"))
                .with_param(format!("{at}.text")));
        }
    }
    Ok(())
}

/// Characters of text in a message's content; `None` when the content has a wrong type.
fn content_chars(content: Option<&Value>) -> Option<usize> {
    match content {
        None | Some(Value::Null) => Some(0),
        Some(Value::String(s)) => Some(s.chars().count()),
        // Content parts: count the text parts; other parts (images, audio) are the
        // upstream's to judge, they are already bounded by the body size.
        Some(Value::Array(parts)) => parts.iter().try_fold(0usize, |n, part| match part {
            Value::Object(p) => Some(
                n + p
                    .get("text")
                    .and_then(Value::as_str)
                    .map_or(0, |t| t.chars().count()),
            ),
            _ => None,
        }),
        Some(_) => None,
    }
}

/// What to send upstream. `Debug` hides the `Authorization` value.
#[derive(Clone, PartialEq, Eq)]
pub struct UpstreamRequest {
    pub method: &'static str,
    pub url: String,
    /// Lower-case names. Contains the key in `authorization`: never log these.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl std::fmt::Debug for UpstreamRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let headers: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|(k, v)| {
                if k == "authorization" {
                    (k.as_str(), "[redacted]")
                } else {
                    (k.as_str(), v.as_str())
                }
            })
            .collect();
        f.debug_struct("UpstreamRequest")
            .field("method", &self.method)
            .field("url", &self.url)
            .field("headers", &headers)
            .field("body_len", &self.body.len())
            .finish()
    }
}

pub use sawt_api::http::{split_url, UrlParts};

/// The upstream request for a validated client request, plus the model chosen.
pub fn build_upstream(
    mut req: ChatRequest,
    config: &ChatConfig,
    api_key: &Secret,
) -> Result<(UpstreamRequest, String), ApiError> {
    let model = config.select_model(req.body.get("model").and_then(Value::as_str));
    req.body
        .insert("model".into(), Value::String(model.clone()));
    if let Some(Value::Array(messages)) = req.body.get_mut("messages") {
        config.persona.apply(messages, config.persona_mode);
    }
    let body = serde_json::to_vec(&req.body).map_err(|_| ApiError::internal())?;

    let mut headers = vec![
        (
            "authorization".to_owned(),
            format!("Bearer {}", api_key.expose()),
        ),
        ("content-type".to_owned(), "application/json".to_owned()),
        (
            "accept".to_owned(),
            if req.stream {
                "text/event-stream"
            } else {
                "application/json"
            }
            .to_owned(),
        ),
        ("content-length".to_owned(), body.len().to_string()),
    ];
    if let Some(referer) = &config.http_referer {
        headers.push(("http-referer".to_owned(), referer.clone()));
    }
    if let Some(title) = &config.x_title {
        headers.push(("x-title".to_owned(), title.clone()));
    }
    Ok((
        UpstreamRequest {
            method: "POST",
            url: format!("{}/chat/completions", config.base_url),
            headers,
            body,
        },
        model,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ChatConfig;
    use sawt_api::MapEnv;
    use serde_json::json;

    fn limits() -> Limits {
        Limits {
            max_body_bytes: 10_000,
            max_messages: 3,
            max_content_chars: 10,
        }
    }

    fn err(body: &str) -> ApiError {
        parse(body.as_bytes(), &limits()).unwrap_err()
    }

    #[test]
    fn accepts_the_openai_shape() {
        let r = parse(
            br#"{"model":"x","messages":[{"role":"user","content":"hi"}],"stream":true,"foo":1}"#,
            &limits(),
        )
        .unwrap();
        assert!(r.stream);
        assert_eq!(r.body["foo"], 1);
        let parts = r#"{"messages":[{"role":"user","content":[{"type":"text","text":"0123456789"},{"type":"image_url","image_url":{"url":"data:..."}}]},{"role":"assistant","content":null,"tool_calls":[]}]}"#;
        assert!(!parse(parts.as_bytes(), &limits()).unwrap().stream);
    }

    #[test]
    fn rejects_bad_input_with_clear_messages() {
        assert_eq!(err("{").status, 400);
        assert!(err("{")
            .message
            .starts_with("request body is not valid JSON"));
        assert_eq!(err("[]").message, "request body must be a JSON object");
        assert_eq!(err("{}").message, "missing required parameter: `messages`");
        assert_eq!(
            err(r#"{"messages":[]}"#).message,
            "`messages` must not be empty"
        );
        assert_eq!(
            err(r#"{"messages":"hi"}"#).param.as_deref(),
            Some("messages")
        );
        let e = err(r#"{"messages":[{"content":"hi"}]}"#);
        assert_eq!(e.message, "messages[0].role must be a non-empty string");
        let e = err(r#"{"messages":[{"role":"user","content":5}]}"#);
        assert_eq!(e.param.as_deref(), Some("messages[0].content"));
        let e = err(r#"{"messages":[{"role":"user","content":"hi"}],"stream":"yes"}"#);
        assert_eq!(e.message, "`stream` must be a boolean");
        let e = err(r#"{"messages":[{"role":"user","content":"hi"}],"model":3}"#);
        assert_eq!(e.param.as_deref(), Some("model"));
    }

    #[test]
    fn rejects_unknown_roles_and_malformed_content_like_openai() {
        let e = err(r#"{"messages":[{"role":"wizard","content":"hi"}]}"#);
        assert_eq!(e.status, 400);
        assert_eq!(e.param.as_deref(), Some("messages[0].role"));
        assert_eq!(e.code.as_deref(), Some("invalid_value"));
        assert!(
            e.message.starts_with("Invalid value: 'wizard'."),
            "{}",
            e.message
        );
        let e = err(r#"{"messages":[{"role":"system","content":"x"},{"role":"user"}]}"#);
        assert_eq!(e.param.as_deref(), Some("messages[1].content"));
        let e = err(r#"{"messages":[{"role":"tool","content":"42"}]}"#);
        assert_eq!(e.param.as_deref(), Some("messages[0].tool_call_id"));
        let e = err(r#"{"messages":[{"role":"user","content":[{"text":"hi"}]}]}"#);
        assert_eq!(e.param.as_deref(), Some("messages[0].content[0].type"));
        let e = err(r#"{"messages":[{"role":"user","content":[{"type":"text","text":5}]}]}"#);
        assert_eq!(e.param.as_deref(), Some("messages[0].content[0].text"));
        for ok in [
            r#"{"messages":[{"role":"developer","content":"be brief"},{"role":"user","content":"hi"}]}"#,
            r#"{"messages":[{"role":"assistant","content":null,"tool_calls":[]},{"role":"tool","tool_call_id":"c1","content":"42"}]}"#,
        ] {
            assert!(parse(ok.as_bytes(), &limits()).is_ok(), "{ok}");
        }
    }

    #[test]
    fn enforces_limits() {
        let big = vec![b' '; 10_001];
        let e = parse(&big, &limits()).unwrap_err();
        assert_eq!(e.status, 413);
        assert_eq!(
            e.message,
            "request body is larger than the limit of 10000 bytes"
        );

        let e = err(
            r#"{"messages":[{"role":"user"},{"role":"user"},{"role":"user"},{"role":"user"}]}"#,
        );
        assert_eq!(
            (e.status, e.code.as_deref()),
            (400, Some("too_many_messages"))
        );
        assert_eq!(e.message, "too many messages: 4; the limit is 3");

        // 12 characters (22 bytes): the limit counts characters, not bytes.
        let e = err(r#"{"messages":[{"role":"user","content":"ازيك يا مصري"}]}"#);
        assert_eq!(e.code.as_deref(), Some("content_too_long"));
        assert_eq!(
            e.message,
            "messages[0].content is 12 characters; the limit is 10 per message"
        );
        assert!(parse(
            r#"{"messages":[{"role":"user","content":"ازيكيامصري"}]}"#.as_bytes(),
            &limits()
        )
        .is_ok());
    }

    #[test]
    fn splits_urls() {
        assert_eq!(
            split_url("https://openrouter.ai/api/v1/chat/completions"),
            Some(UrlParts {
                https: true,
                authority: "openrouter.ai",
                path_and_query: "/api/v1/chat/completions"
            })
        );
        assert_eq!(
            split_url("http://127.0.0.1:8080"),
            Some(UrlParts {
                https: false,
                authority: "127.0.0.1:8080",
                path_and_query: "/"
            })
        );
        assert_eq!(split_url("ftp://x/y"), None);
        assert_eq!(split_url("http:///y"), None);
    }

    #[test]
    fn builds_the_upstream_request() {
        let env = MapEnv::new()
            .with("openrouter_base_url", "http://127.0.0.1:1/api/v1")
            .with("openrouter_http_referer", "https://sawt.example")
            .with("openrouter_x_title", "sawt")
            .with("chat_system_prompt", "PERSONA");
        let config = ChatConfig::from_env(&env).unwrap();
        let req = parse(
            br#"{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}],"temperature":0.5,"stream":true,"stream_options":{"include_usage":true}}"#,
            &config.limits,
        )
        .unwrap();
        let (up, model) = build_upstream(req, &config, &Secret::new("sk-test-key")).unwrap();
        assert_eq!(model, "google/gemma-2-27b-it");
        assert_eq!(up.url, "http://127.0.0.1:1/api/v1/chat/completions");
        let h = |n: &str| {
            up.headers
                .iter()
                .find(|(k, _)| k == n)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(h("authorization"), Some("Bearer sk-test-key"));
        assert_eq!(h("accept"), Some("text/event-stream"));
        assert_eq!(h("http-referer"), Some("https://sawt.example"));
        assert_eq!(h("x-title"), Some("sawt"));
        assert_eq!(
            h("content-length"),
            Some(up.body.len().to_string().as_str())
        );
        let body: Value = serde_json::from_slice(&up.body).unwrap();
        assert_eq!(
            body,
            json!({"model":"google/gemma-2-27b-it","messages":[{"role":"system","content":"PERSONA"},{"role":"user","content":"hi"}],"temperature":0.5,"stream":true,"stream_options":{"include_usage":true}})
        );
        // Field order is kept, so the forwarded body reads like the client's.
        assert!(std::str::from_utf8(&up.body)
            .unwrap()
            .starts_with(r#"{"model":"google/gemma-2-27b-it","messages""#));
        assert!(!format!("{up:?}").contains("sk-test-key"));
    }
}
