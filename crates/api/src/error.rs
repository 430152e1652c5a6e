//! The OpenAI error envelope and the one mapping from errors to HTTP responses.
//!
//! `{"error":{"message":..,"type":..,"param":..,"code":..}}` is what the official `openai`
//! SDKs parse; they pick the exception class from the status, and show `message`.
//! Messages are written for the client: constructors take text that is safe to show, and
//! nothing else (no upstream URLs, no keys, no debug dumps) ever reaches the body.

use serde::{Deserialize, Serialize};

/// The `type` field of the envelope, named as OpenAI names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorType {
    InvalidRequestError,
    AuthenticationError,
    PermissionError,
    NotFoundError,
    InsufficientQuota,
    RateLimitError,
    TimeoutError,
    ServerError,
    ServiceUnavailable,
}

impl ErrorType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidRequestError => "invalid_request_error",
            Self::AuthenticationError => "authentication_error",
            Self::PermissionError => "permission_error",
            Self::NotFoundError => "not_found_error",
            Self::InsufficientQuota => "insufficient_quota",
            Self::RateLimitError => "rate_limit_error",
            Self::TimeoutError => "timeout_error",
            Self::ServerError => "server_error",
            Self::ServiceUnavailable => "service_unavailable",
        }
    }

    /// The usual type for a status, used when an error comes from a status alone.
    pub fn for_status(status: u16) -> Self {
        match status {
            401 => Self::AuthenticationError,
            402 => Self::InsufficientQuota,
            403 => Self::PermissionError,
            404 => Self::NotFoundError,
            408 | 504 => Self::TimeoutError,
            429 => Self::RateLimitError,
            503 => Self::ServiceUnavailable,
            400..=499 => Self::InvalidRequestError,
            _ => Self::ServerError,
        }
    }
}

/// The inner object of the envelope.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub message: String,
    #[serde(rename = "type")]
    pub error_type: ErrorType,
    pub param: Option<String>,
    pub code: Option<String>,
}

/// `{"error": {...}}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorEnvelope {
    pub error: ErrorBody,
}

/// A finished HTTP response, independent of any runtime's types.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    /// Header names are lower-case.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    /// A JSON response from bytes that already are JSON.
    pub fn json_bytes(status: u16, body: Vec<u8>) -> Self {
        Self {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body,
        }
    }

    /// A JSON response from a serialisable value.
    pub fn json<T: Serialize>(status: u16, value: &T) -> Self {
        match serde_json::to_vec(value) {
            Ok(body) => Self::json_bytes(status, body),
            // Our own types always serialise; answer in the envelope anyway, never panic.
            Err(_) => ApiError::internal().to_response(),
        }
    }

    /// First value of a header (case-insensitive name).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// An error to answer with. `message` is shown to the client as is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{status} {}: {message}", .error_type.as_str())]
pub struct ApiError {
    pub status: u16,
    pub error_type: ErrorType,
    pub code: Option<String>,
    pub param: Option<String>,
    pub message: String,
    /// `Retry-After` value (delay-seconds or HTTP-date), already validated.
    pub retry_after: Option<String>,
    /// `Allow` header for 405.
    pub allow: Option<&'static str>,
}

impl ApiError {
    /// An error with the default type for `status`.
    pub fn new(status: u16, message: impl Into<String>) -> Self {
        let status = if (400..=599).contains(&status) {
            status
        } else {
            500
        };
        Self {
            status,
            error_type: ErrorType::for_status(status),
            code: None,
            param: None,
            message: message.into(),
            retry_after: None,
            allow: None,
        }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(400, message)
    }

    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(401, message).with_code("invalid_api_key")
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(404, message)
    }

    pub fn method_not_allowed(allow: &'static str) -> Self {
        let mut e = Self::new(405, format!("method not allowed; use {allow}"))
            .with_type(ErrorType::InvalidRequestError)
            .with_code("method_not_allowed");
        e.allow = Some(allow);
        e
    }

    pub fn payload_too_large(message: impl Into<String>) -> Self {
        Self::new(413, message).with_code("payload_too_large")
    }

    pub fn service_unavailable(message: impl Into<String>) -> Self {
        Self::new(503, message)
    }

    pub fn gateway_timeout(message: impl Into<String>) -> Self {
        Self::new(504, message).with_code("upstream_timeout")
    }

    /// A path no component serves, worded as OpenAI words it (`Invalid URL (GET /v1/x)`).
    /// The route is cut to 200 characters so a long path cannot bloat the answer.
    pub fn unknown_route(method: &str, route: &str) -> Self {
        let method: String = method.chars().take(16).collect();
        let route: String = route.chars().take(200).collect();
        Self::new(404, format!("Invalid URL ({method} {route})"))
            .with_type(ErrorType::InvalidRequestError)
            .with_code("unknown_url")
    }

    /// A 500 that says nothing about the cause; log the cause separately (without secrets).
    pub fn internal() -> Self {
        Self::new(500, "internal server error").with_code("internal_error")
    }

    pub fn with_type(mut self, error_type: ErrorType) -> Self {
        self.error_type = error_type;
        self
    }

    pub fn with_code(mut self, code: impl Into<String>) -> Self {
        self.code = Some(code.into());
        self
    }

    pub fn with_param(mut self, param: impl Into<String>) -> Self {
        self.param = Some(param.into());
        self
    }

    /// Sets `Retry-After` if `value` is a valid delay-seconds or HTTP-date; anything else is
    /// dropped so upstream junk never becomes a header.
    pub fn with_retry_after(mut self, value: Option<&str>) -> Self {
        self.retry_after = value
            .map(str::trim)
            .filter(|v| valid_retry_after(v))
            .map(str::to_owned);
        self
    }

    /// The envelope body.
    pub fn envelope(&self) -> ErrorEnvelope {
        ErrorEnvelope {
            error: ErrorBody {
                message: self.message.clone(),
                error_type: self.error_type,
                param: self.param.clone(),
                code: self.code.clone(),
            },
        }
    }

    /// The one mapping from an error to an HTTP response: status, JSON envelope, and the
    /// headers that belong to the status (`Retry-After`, `Allow`).
    pub fn to_response(&self) -> Response {
        let body = serde_json::to_vec(&self.envelope()).unwrap_or_else(|_| {
            br#"{"error":{"message":"internal server error","type":"server_error","param":null,"code":"internal_error"}}"#.to_vec()
        });
        let mut response = Response::json_bytes(self.status, body);
        if let Some(retry_after) = &self.retry_after {
            response
                .headers
                .push(("retry-after".into(), retry_after.clone()));
        }
        if let Some(allow) = self.allow {
            response.headers.push(("allow".into(), allow.into()));
        }
        response
    }
}

impl From<ApiError> for Response {
    fn from(e: ApiError) -> Self {
        e.to_response()
    }
}

fn valid_retry_after(v: &str) -> bool {
    if v.is_empty() || v.len() > 40 {
        return false;
    }
    if v.bytes().all(|b| b.is_ascii_digit()) {
        return true;
    }
    // HTTP-date, e.g. "Wed, 21 Oct 2015 07:28:00 GMT".
    v.ends_with("GMT")
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b' ' || b == b',' || b == b':')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelope_has_the_openai_shape() {
        let r = ApiError::bad_request("messages must be a non-empty array")
            .with_param("messages")
            .to_response();
        assert_eq!(r.status, 400);
        assert_eq!(r.header("Content-Type"), Some("application/json"));
        let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"error": {
                "message": "messages must be a non-empty array",
                "type": "invalid_request_error",
                "param": "messages",
                "code": null
            }})
        );
    }

    #[test]
    fn rate_limit_keeps_a_valid_retry_after_and_drops_junk() {
        let r = ApiError::new(429, "slow down")
            .with_retry_after(Some(" 17 "))
            .to_response();
        assert_eq!(r.status, 429);
        assert_eq!(r.header("retry-after"), Some("17"));
        let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(v["error"]["type"], "rate_limit_error");

        let date = ApiError::new(429, "x").with_retry_after(Some("Wed, 21 Oct 2015 07:28:00 GMT"));
        assert_eq!(
            date.retry_after.as_deref(),
            Some("Wed, 21 Oct 2015 07:28:00 GMT")
        );
        let junk = ApiError::new(429, "x").with_retry_after(Some("1\r\nSet-Cookie: a=b"));
        assert_eq!(junk.retry_after, None);
    }

    #[test]
    fn statuses_get_openai_types() {
        assert_eq!(ErrorType::for_status(401).as_str(), "authentication_error");
        assert_eq!(ErrorType::for_status(402).as_str(), "insufficient_quota");
        assert_eq!(ErrorType::for_status(403).as_str(), "permission_error");
        assert_eq!(ErrorType::for_status(408).as_str(), "timeout_error");
        assert_eq!(ErrorType::for_status(413).as_str(), "invalid_request_error");
        assert_eq!(ErrorType::for_status(502).as_str(), "server_error");
        assert_eq!(ErrorType::for_status(503).as_str(), "service_unavailable");
        assert_eq!(ErrorType::for_status(504).as_str(), "timeout_error");
    }

    #[test]
    fn out_of_range_status_becomes_500_and_internal_says_nothing() {
        assert_eq!(ApiError::new(200, "x").status, 500);
        let r = ApiError::internal().to_response();
        assert_eq!(r.status, 500);
        let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(v["error"]["message"], "internal server error");
    }

    #[test]
    fn unknown_routes_are_404_like_openai() {
        let r = ApiError::unknown_route("GET", "/v1/nothing-here").to_response();
        assert_eq!(r.status, 404);
        let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"error": {
                "message": "Invalid URL (GET /v1/nothing-here)",
                "type": "invalid_request_error",
                "param": null,
                "code": "unknown_url"
            }})
        );
        let long = format!("/{}", "a".repeat(5000));
        assert!(ApiError::unknown_route("GET", &long).message.len() < 240);
    }

    #[test]
    fn method_not_allowed_sets_allow() {
        let r = ApiError::method_not_allowed("POST").to_response();
        assert_eq!(r.status, 405);
        assert_eq!(r.header("allow"), Some("POST"));
    }
}
