//! OpenRouter's answers mapped to what an OpenAI client expects.
//!
//! OpenRouter errors look like `{"error":{"code":429,"message":"...","metadata":{...}}}`.
//! We keep the status where it means the same to the client (400, 401, 402, 403, 404, 408,
//! 413, 429 with Retry-After, 502, 503, 504), turn other upstream 5xx into 502, and keep
//! only the upstream message (metadata can hold provider internals).

use sawt_api::{ApiError, ErrorType};
use serde_json::Value;

use crate::config::Secret;

/// Longest upstream message we pass on.
const MAX_MESSAGE_CHARS: usize = 500;

/// The error to answer with for an upstream non-2xx response.
pub fn error_from_upstream(
    status: u16,
    retry_after: Option<&str>,
    body: &[u8],
    secret: Option<&Secret>,
) -> ApiError {
    let upstream_message = serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|v| message_of(v.get("error")?));
    error_for(status, upstream_message, secret).with_retry_after(retry_after)
}

/// Checks a 2xx non-streaming body. OpenRouter can answer 200 with an error object when a
/// provider fails after the request was accepted; that becomes a proper error status.
/// Anything else is passed through byte for byte.
pub fn check_success_body(body: &[u8], secret: Option<&Secret>) -> Result<(), ApiError> {
    // Cheap test first: a normal completion is never parsed twice.
    if !contains(body, b"\"error\"") {
        return Ok(());
    }
    let Ok(Value::Object(v)) = serde_json::from_slice::<Value>(body) else {
        return Ok(());
    };
    match v.get("error") {
        Some(err @ Value::Object(e)) if !v.contains_key("choices") => {
            let status = e
                .get("code")
                .and_then(Value::as_u64)
                .and_then(|c| u16::try_from(c).ok())
                .filter(|c| (400..=599).contains(c))
                .unwrap_or(502);
            Err(error_for(status, message_of(err), secret))
        }
        _ => Ok(()),
    }
}

/// The payload of an SSE `error` event for an OpenRouter mid-stream error object.
pub fn stream_error_envelope(error: &Value, secret: Option<&Secret>) -> Value {
    let message = message_of(error)
        .map(|m| redact(&m, secret))
        .unwrap_or_else(|| "the model provider failed mid-stream".to_owned());
    let code = match error.get("code") {
        Some(Value::String(s)) => Value::String(s.clone()),
        Some(Value::Number(n)) => Value::String(n.to_string()),
        _ => Value::String("server_error".into()),
    };
    serde_json::json!({"error": {
        "message": message,
        "type": "server_error",
        "param": null,
        "code": code,
    }})
}

fn message_of(error: &Value) -> Option<String> {
    match error {
        Value::Object(e) => e.get("message")?.as_str().map(str::to_owned),
        Value::String(s) => Some(s.clone()),
        _ => None,
    }
    .map(|m| m.trim().to_owned())
    .filter(|m| !m.is_empty())
}

fn redact(message: &str, secret: Option<&Secret>) -> String {
    let message = match secret {
        Some(s) => s.redact(message),
        None => message.to_owned(),
    };
    if message.chars().count() > MAX_MESSAGE_CHARS {
        let mut cut: String = message.chars().take(MAX_MESSAGE_CHARS).collect();
        cut.push('…');
        cut
    } else {
        message
    }
}

fn error_for(status: u16, upstream: Option<String>, secret: Option<&Secret>) -> ApiError {
    let detail = upstream.map(|m| redact(&m, secret));
    let (status, code, fallback) = match status {
        400 => (
            400,
            "upstream_bad_request",
            "the model provider rejected the request",
        ),
        401 => (
            401,
            "upstream_unauthorized",
            "the model provider rejected the server's API key",
        ),
        402 => (
            402,
            "insufficient_credits",
            "the model provider account has insufficient credits",
        ),
        403 => (
            403,
            "upstream_forbidden",
            "the model provider refused the request (moderation)",
        ),
        404 => (404, "model_not_found", "the model was not found upstream"),
        408 => (408, "upstream_timeout", "the model provider timed out"),
        413 => (
            413,
            "payload_too_large",
            "the request is too large for the model",
        ),
        429 => (
            429,
            "rate_limited",
            "rate limited by the model provider; retry later",
        ),
        503 => (
            503,
            "upstream_unavailable",
            "no model provider is available right now",
        ),
        504 => (504, "upstream_timeout", "the model provider timed out"),
        s @ 405..=499 => (
            s,
            "upstream_error",
            "the model provider rejected the request",
        ),
        _ => (502, "upstream_bad_gateway", "the model provider failed"),
    };
    let message = match detail {
        // 401 from upstream is about the server's key, not the client's: say so.
        Some(d) if status == 401 => format!("{fallback} (check openrouter_api_key): {d}"),
        Some(d) => format!("upstream: {d}"),
        None => fallback.to_owned(),
    };
    let mut e = ApiError::new(status, message).with_code(code);
    if status == 402 {
        e = e.with_type(ErrorType::InsufficientQuota);
    }
    e
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(status: u16, message: &str) -> Vec<u8> {
        format!(r#"{{"error":{{"code":{status},"message":"{message}","metadata":{{"provider_name":"x","raw":"internal"}}}}}}"#).into_bytes()
    }

    #[test]
    fn statuses_are_kept_or_mapped() {
        for (up, ours, ty) in [
            (400, 400, "invalid_request_error"),
            (401, 401, "authentication_error"),
            (402, 402, "insufficient_quota"),
            (403, 403, "permission_error"),
            (404, 404, "not_found_error"),
            (408, 408, "timeout_error"),
            (429, 429, "rate_limit_error"),
            (500, 502, "server_error"),
            (502, 502, "server_error"),
            (503, 503, "service_unavailable"),
            (504, 504, "timeout_error"),
            (520, 502, "server_error"),
        ] {
            let e = error_from_upstream(up, None, &body(up, "boom"), None);
            assert_eq!(
                (e.status, e.error_type.as_str()),
                (ours, ty),
                "upstream {up}"
            );
        }
    }

    #[test]
    fn message_is_kept_metadata_dropped_key_redacted() {
        let key = Secret::new("sk-or-v1-SECRET");
        let e = error_from_upstream(
            429,
            Some("12"),
            &body(429, "Rate limit exceeded"),
            Some(&key),
        );
        assert_eq!(e.message, "upstream: Rate limit exceeded");
        assert_eq!(e.retry_after.as_deref(), Some("12"));
        let r = e.to_response();
        assert_eq!(r.header("retry-after"), Some("12"));
        assert!(!String::from_utf8(r.body).unwrap().contains("internal"));

        let e = error_from_upstream(401, None, &body(401, "bad key sk-or-v1-SECRET"), Some(&key));
        assert_eq!(
            e.message,
            "the model provider rejected the server's API key (check openrouter_api_key): bad key [redacted]"
        );
    }

    #[test]
    fn unparsable_bodies_get_a_fallback_message() {
        let e = error_from_upstream(502, None, b"<html>Bad gateway</html>", None);
        assert_eq!(
            (e.status, e.message.as_str()),
            (502, "the model provider failed")
        );
        let e = error_from_upstream(402, None, b"", None);
        assert_eq!(e.code.as_deref(), Some("insufficient_credits"));
        let long = "x".repeat(2000);
        let e = error_from_upstream(400, None, &body(400, &long), None);
        assert_eq!(e.message.chars().count(), "upstream: ".len() + 501);
    }

    #[test]
    fn ok_bodies_with_an_error_object_become_errors() {
        assert!(check_success_body(
            br#"{"id":"x","choices":[{"message":{"content":"error"}}]}"#,
            None
        )
        .is_ok());
        assert!(check_success_body(br#"{"id":"x","choices":[],"error":null}"#, None).is_ok());
        let e = check_success_body(br#"{"error":{"code":503,"message":"provider down"}}"#, None)
            .unwrap_err();
        assert_eq!(
            (e.status, e.message.as_str()),
            (503, "upstream: provider down")
        );
        let e = check_success_body(br#"{"error":{"message":"weird"}}"#, None).unwrap_err();
        assert_eq!(e.status, 502);
    }

    #[test]
    fn stream_errors_become_openai_envelopes() {
        let v: Value =
            serde_json::from_str(r#"{"code":"server_error","message":"Provider disconnected"}"#)
                .unwrap();
        assert_eq!(
            stream_error_envelope(&v, None),
            serde_json::json!({"error":{"message":"Provider disconnected","type":"server_error","param":null,"code":"server_error"}})
        );
        let v: Value = serde_json::from_str(r#"{"code":502}"#).unwrap();
        assert_eq!(stream_error_envelope(&v, None)["error"]["code"], "502");
    }
}
