//! The chat HTTP logic as a function of (request, environment). Adapters do the I/O:
//!
//! ```text
//! match plan(&request, &env) {
//!     Plan::Respond(response) => send response,
//!     Plan::Forward(fwd) => {
//!         send fwd.upstream (timeout fwd.timeout_secs);  on failure: fwd.transport_error(e)
//!         match fwd.on_head(status, content_type) {
//!             UpstreamReply::Stream(head, filter) => send head, then filter.feed(chunk)
//!                 for each chunk, filter.finish() at the end (filter.fail(..) on errors),
//!             UpstreamReply::Buffer => read ≤ fwd.max_response_bytes,
//!                 send fwd.on_buffered(status, retry_after, body),
//!         }
//!     }
//! }
//! ```

pub use sawt_api::http::TransportError;
use sawt_api::{check_client_key, ApiError, Env, RequestHead, Response};

use crate::config::{ChatConfig, Secret};
use crate::request::{build_upstream, parse, UpstreamRequest};
use crate::sse::SseFilter;
use crate::upstream::{check_success_body, error_from_upstream};

/// A non-streaming upstream body larger than this is refused (502) instead of buffered.
pub const MAX_RESPONSE_BYTES: usize = 8 * 1024 * 1024;

/// The parts of an incoming request the handler needs.
#[derive(Debug, Clone, Copy)]
pub struct HttpRequest<'a> {
    pub method: &'a str,
    /// Path, with or without a query string.
    pub path: &'a str,
    pub authorization: Option<&'a str>,
    pub body: &'a [u8],
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    ChatCompletions,
    Models,
    NotFound,
}

pub fn route(path: &str) -> Route {
    let path = path.split('?').next().unwrap_or("");
    match path.trim_end_matches('/') {
        "/v1/chat/completions" => Route::ChatCompletions,
        "/v1/models" => Route::Models,
        _ => Route::NotFound,
    }
}

/// How many body bytes an adapter should read at most: one past the limit, so an
/// oversized body is detected without reading all of it.
pub fn read_limit(env: &dyn Env) -> usize {
    ChatConfig::from_env(env)
        .map(|c| c.limits.max_body_bytes)
        .unwrap_or(crate::config::DEFAULT_MAX_BODY_BYTES)
        .saturating_add(1)
}

/// Decides from the head alone whether a body may follow, and how long it may be: route,
/// client key, declared `Content-Length`. Adapters call this before reading a body byte, so
/// an unauthenticated client cannot make an instance buffer anything; they then read at most
/// the returned limit plus one byte and call [`plan`], which checks everything again.
pub fn admit(head: &RequestHead, env: &dyn Env) -> Result<usize, ApiError> {
    if route(&head.path) == Route::NotFound {
        return Err(ApiError::unknown_route(&head.method, head.route()));
    }
    check_client_key(env, head.header("authorization"))?;
    let max = read_limit(env).saturating_sub(1);
    if head.content_length().is_some_and(|n| n > max as u64) {
        return Err(ApiError::payload_too_large(format!(
            "request body is larger than the limit of {max} bytes"
        )));
    }
    Ok(max)
}

/// What the adapter does next.
#[derive(Debug)]
pub enum Plan {
    Respond(Response),
    Forward(Box<Forward>),
}

/// A request to send upstream and how to treat the answer.
#[derive(Debug)]
pub struct Forward {
    pub upstream: UpstreamRequest,
    pub stream: bool,
    pub model: String,
    pub persona: String,
    /// For the connect and first-byte (and between-bytes) timeouts.
    pub timeout_secs: u64,
    pub max_response_bytes: usize,
    secret: Secret,
}

/// How to handle the upstream response once its head arrived.
#[derive(Debug)]
pub enum UpstreamReply {
    /// Send this head now, then stream the body through the filter.
    Stream(Response, SseFilter),
    /// Read the whole body (≤ `max_response_bytes`) and call [`Forward::on_buffered`].
    Buffer,
}

/// What a failed exchange with the model provider tells the client.
fn transport_api_error(e: TransportError) -> ApiError {
    match e {
        TransportError::Timeout => {
            ApiError::gateway_timeout("the model provider did not answer in time")
        }
        TransportError::Connect => ApiError::new(502, "could not reach the model provider")
            .with_code("upstream_unreachable"),
        TransportError::TooLarge => ApiError::new(502, "the model provider's answer was too large")
            .with_code("upstream_bad_gateway"),
        TransportError::Other => ApiError::new(502, "the connection to the model provider failed")
            .with_code("upstream_bad_gateway"),
    }
}

/// Routes and validates a request; either answers it or says what to send upstream.
pub fn plan(req: &HttpRequest<'_>, env: &dyn Env) -> Plan {
    match try_plan(req, env) {
        Ok(plan) => plan,
        Err(e) => Plan::Respond(e.to_response()),
    }
}

fn try_plan(req: &HttpRequest<'_>, env: &dyn Env) -> Result<Plan, ApiError> {
    let route = route(req.path);
    if route == Route::NotFound {
        return Err(ApiError::unknown_route(
            req.method,
            req.path.split('?').next().unwrap_or(""),
        ));
    }
    check_client_key(env, req.authorization)?;
    let config = ChatConfig::from_env(env)?;
    match (route, req.method) {
        (Route::Models, "GET" | "HEAD") => Ok(Plan::Respond(crate::models::response(&config, env))),
        (Route::Models, _) => Err(ApiError::method_not_allowed("GET")),
        (Route::ChatCompletions, "POST") => {
            let chat = parse(req.body, &config.limits)?;
            let secret = config.api_key.clone().ok_or_else(|| {
                ApiError::service_unavailable(
                    "chat is not configured: set the secret variable openrouter_api_key \
                     (locally: SPIN_VARIABLE_OPENROUTER_API_KEY)",
                )
                .with_code("upstream_not_configured")
            })?;
            let stream = chat.stream;
            let (upstream, model) = build_upstream(chat, &config, &secret)?;
            Ok(Plan::Forward(Box::new(Forward {
                upstream,
                stream,
                model,
                persona: config.persona.label(),
                timeout_secs: config.timeout_secs,
                max_response_bytes: MAX_RESPONSE_BYTES,
                secret,
            })))
        }
        (Route::ChatCompletions, _) => Err(ApiError::method_not_allowed("POST")),
        (Route::NotFound, _) => Err(ApiError::internal()),
    }
}

impl Forward {
    /// Decides, from the upstream status and content type, whether to stream.
    pub fn on_head(&self, status: u16, content_type: Option<&str>) -> UpstreamReply {
        let is_sse = content_type
            .map(|c| {
                c.trim()
                    .to_ascii_lowercase()
                    .starts_with("text/event-stream")
            })
            .unwrap_or(false);
        if (200..300).contains(&status) && is_sse {
            let head = Response {
                status: 200,
                headers: vec![
                    (
                        "content-type".into(),
                        "text/event-stream; charset=utf-8".into(),
                    ),
                    ("cache-control".into(), "no-cache".into()),
                    // Tell buffering reverse proxies to pass chunks on as they come.
                    ("x-accel-buffering".into(), "no".into()),
                    ("x-sawt-persona".into(), self.persona.clone()),
                ],
                body: Vec::new(),
            };
            UpstreamReply::Stream(head, SseFilter::new(Some(self.secret.clone())))
        } else {
            UpstreamReply::Buffer
        }
    }

    /// The response for a buffered upstream answer: a 2xx body byte for byte, or an error.
    pub fn on_buffered(&self, status: u16, retry_after: Option<&str>, body: &[u8]) -> Response {
        if !(200..300).contains(&status) {
            return error_from_upstream(status, retry_after, body, Some(&self.secret))
                .to_response();
        }
        if let Err(e) = check_success_body(body, Some(&self.secret)) {
            return e.to_response();
        }
        let mut r = Response::json_bytes(200, body.to_vec());
        r.headers
            .push(("x-sawt-persona".into(), self.persona.clone()));
        r
    }

    /// The response when the upstream exchange failed before a response head.
    pub fn transport_error(&self, e: TransportError) -> Response {
        transport_api_error(e).to_response()
    }

    /// The SSE error payload for a failure after streaming started.
    pub fn stream_failure(&self, filter: &mut SseFilter, e: TransportError) -> Vec<u8> {
        filter.fail(&serde_json::to_value(transport_api_error(e).envelope()).unwrap_or_default())
    }

    /// A log line without secrets.
    pub fn describe(&self) -> String {
        format!(
            "model={} stream={} persona={} body_bytes={}",
            self.model,
            self.stream,
            self.persona,
            self.upstream.body.len()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sawt_api::MapEnv;

    fn env() -> MapEnv {
        MapEnv::new()
            .with("openrouter_api_key", "sk-or-v1-test")
            .with("openrouter_base_url", "http://127.0.0.1:9/api/v1")
    }

    fn req<'a>(method: &'a str, path: &'a str, body: &'a [u8]) -> HttpRequest<'a> {
        HttpRequest {
            method,
            path,
            authorization: None,
            body,
        }
    }

    fn respond(p: Plan) -> Response {
        match p {
            Plan::Respond(r) => r,
            Plan::Forward(f) => panic!("expected a response, got {f:?}"),
        }
    }

    fn forward(p: Plan) -> Forward {
        match p {
            Plan::Forward(f) => *f,
            Plan::Respond(r) => panic!("expected a forward, got {r:?}"),
        }
    }

    fn error_of(r: &Response) -> serde_json::Value {
        serde_json::from_slice::<serde_json::Value>(&r.body).unwrap()["error"].clone()
    }

    #[test]
    fn admission_is_decided_from_the_head_alone() {
        let env = env()
            .with("api_keys", "k1")
            .with("chat_max_body_bytes", "100");
        let head = |path: &str, headers: &[(&str, &str)]| {
            RequestHead::new(
                "POST",
                path,
                headers
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            )
        };
        let auth = ("authorization", "Bearer k1");
        assert_eq!(admit(&head("/v1/chat/completions", &[auth]), &env), Ok(100));
        let status = |h: RequestHead| admit(&h, &env).map_err(|e| e.status);
        assert_eq!(status(head("/v1/nothing", &[auth])), Err(404));
        assert_eq!(status(head("/v1/chat/completions", &[])), Err(401));
        assert_eq!(
            status(head(
                "/v1/chat/completions",
                &[auth, ("content-length", "101")]
            )),
            Err(413)
        );
    }

    #[test]
    fn routes() {
        assert_eq!(route("/v1/chat/completions"), Route::ChatCompletions);
        assert_eq!(route("/v1/chat/completions/?x=1"), Route::ChatCompletions);
        assert_eq!(route("/v1/models"), Route::Models);
        assert_eq!(route("/v1/chat"), Route::NotFound);
        let r = respond(plan(&req("GET", "/nope?a=b", b""), &env()));
        assert_eq!(r.status, 404);
        assert_eq!(error_of(&r)["message"], "Invalid URL (GET /nope)");
        let r = respond(plan(&req("GET", "/v1/chat/completions", b""), &env()));
        assert_eq!((r.status, r.header("allow")), (405, Some("POST")));
        assert_eq!(
            respond(plan(&req("GET", "/v1/models", b""), &env())).status,
            200
        );
    }

    #[test]
    fn forwards_a_valid_chat() {
        let f = forward(plan(
            &req(
                "POST",
                "/v1/chat/completions",
                br#"{"messages":[{"role":"user","content":"hi"}],"stream":true}"#,
            ),
            &env(),
        ));
        assert!(f.stream);
        assert_eq!(f.model, "google/gemma-2-27b-it");
        assert_eq!(f.persona, "arabic_egyptian@v1");
        assert_eq!(f.upstream.url, "http://127.0.0.1:9/api/v1/chat/completions");
        assert!(!f.describe().contains("sk-or"));
        assert!(!format!("{f:?}").contains("sk-or-v1-test"));
        match f.on_head(200, Some("text/event-stream")) {
            UpstreamReply::Stream(head, _) => {
                assert_eq!(
                    head.header("content-type"),
                    Some("text/event-stream; charset=utf-8")
                )
            }
            UpstreamReply::Buffer => panic!("should stream"),
        }
        assert!(matches!(
            f.on_head(429, Some("application/json")),
            UpstreamReply::Buffer
        ));
        assert!(matches!(
            f.on_head(200, Some("application/json")),
            UpstreamReply::Buffer
        ));
    }

    #[test]
    fn missing_key_is_a_503_that_says_how_to_fix_it() {
        let env = MapEnv::new();
        let r = respond(plan(
            &req(
                "POST",
                "/v1/chat/completions",
                br#"{"messages":[{"role":"user","content":"x"}]}"#,
            ),
            &env,
        ));
        assert_eq!(r.status, 503);
        assert_eq!(error_of(&r)["code"], "upstream_not_configured");
        assert!(error_of(&r)["message"]
            .as_str()
            .unwrap()
            .contains("openrouter_api_key"));
    }

    #[test]
    fn client_keys_are_enforced_when_configured() {
        let env = env().with("api_keys", "client-1");
        let r = respond(plan(&req("GET", "/v1/models", b""), &env));
        assert_eq!(r.status, 401);
        let ok = HttpRequest {
            authorization: Some("Bearer client-1"),
            ..req("GET", "/v1/models", b"")
        };
        assert_eq!(respond(plan(&ok, &env)).status, 200);
    }

    #[test]
    fn buffered_answers_pass_through_or_map() {
        let f = forward(plan(
            &req(
                "POST",
                "/v1/chat/completions",
                br#"{"messages":[{"role":"user","content":"hi"}]}"#,
            ),
            &env(),
        ));
        let body = "{\"id\":\"gen-1\",\"choices\":[{\"message\":{\"role\":\"assistant\",\"content\":\"أهلاً\"}}]}\n";
        let r = f.on_buffered(200, None, body.as_bytes());
        assert_eq!((r.status, r.body.as_slice()), (200, body.as_bytes()));
        assert_eq!(r.header("x-sawt-persona"), Some("arabic_egyptian@v1"));
        let r = f.on_buffered(
            429,
            Some("3"),
            br#"{"error":{"code":429,"message":"slow"}}"#,
        );
        assert_eq!((r.status, r.header("retry-after")), (429, Some("3")));
        let r = f.transport_error(TransportError::Timeout);
        assert_eq!(r.status, 504);
        assert_eq!(error_of(&r)["code"], "upstream_timeout");
    }

    #[test]
    fn read_limit_is_one_past_the_body_limit() {
        assert_eq!(
            read_limit(&MapEnv::new().with("chat_max_body_bytes", "100")),
            101
        );
        let r = respond(plan(
            &req("POST", "/v1/chat/completions", &[b' '; 101]),
            &env().with("chat_max_body_bytes", "100"),
        ));
        assert_eq!(r.status, 413);
    }
}
