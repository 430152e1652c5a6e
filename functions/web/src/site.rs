//! The page's HTTP answers as a function of (request head, [`Settings`]): no Spin types here.
//!
//! - `GET /`: the page (`assets/index.html`);
//! - `GET /web/<file>`: its scripts, styles and icon, compiled in;
//! - `GET /web/config.json`: the server settings the page cannot learn from the API
//!   (`max_audio_length`, `whisper_language`), read from Spin variables per request;
//! - any other path under `/web/` is OpenAI's 404 envelope, any method but GET/HEAD 405.
//!
//! Caching: every answer is `Cache-Control: no-cache` with a strong `ETag` (a hash of the
//! bytes, computed at compile time for the assets), so a browser revalidates and gets a
//! bodiless 304 until the component is redeployed with other bytes. The URLs carry no
//! version, so a longer max-age could serve an old script with a new page.

use sawt_api::{ApiError, Env, RequestHead, Response};

struct Asset {
    path: &'static str,
    content_type: &'static str,
    body: &'static [u8],
    etag: u64,
}

macro_rules! asset {
    ($path:literal, $file:literal, $type:expr) => {{
        const BODY: &[u8] = include_bytes!(concat!("../assets/", $file));
        Asset {
            path: $path,
            content_type: $type,
            body: BODY,
            etag: fnv1a64(BODY),
        }
    }};
}

const HTML: &str = "text/html; charset=utf-8";
const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";
const SVG: &str = "image/svg+xml";

const ASSETS: &[Asset] = &[
    asset!("/", "index.html", HTML),
    asset!("/web/app.js", "app.js", JS),
    asset!("/web/audio.js", "audio.js", JS),
    asset!("/web/protocol.js", "protocol.js", JS),
    asset!("/web/recorder-worklet.js", "recorder-worklet.js", JS),
    asset!("/web/style.css", "style.css", CSS),
    asset!("/web/icon.svg", "icon.svg", SVG),
];

/// Where the settings live.
pub const CONFIG_PATH: &str = "/web/config.json";

/// What the page loads from: scripts, styles, worklet and fetches from its own origin only;
/// audio from blob: URLs (recorded clips, synthesized answers); the SVG icon inline as data:.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   media-src 'self' blob:; connect-src 'self'; manifest-src 'self'; \
                   base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// FNV-1a, 64-bit: enough to tell two builds' bytes apart for an ETag, and a `const fn`.
const fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut i = 0;
    while i < bytes.len() {
        hash ^= bytes[i] as u64;
        hash = hash.wrapping_mul(0x0100_0000_01b3);
        i += 1;
    }
    hash
}

/// Server settings the page shows or obeys.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// Longest recording, seconds (`max_audio_length`, the limit the transcribe component
    /// enforces). A value that is not a positive number reads as the default here; the
    /// transcribe component reports the configuration error itself.
    pub max_audio_length: f64,
    /// `whisper_language`, sent with every transcription.
    pub whisper_language: String,
}

/// The transcribe component's own default for `max_audio_length`.
pub const DEFAULT_MAX_AUDIO_LENGTH: f64 = 120.0;

impl Settings {
    pub fn from_env(env: &dyn Env) -> Self {
        let max_audio_length = env
            .get("max_audio_length")
            .and_then(|v| v.parse::<f64>().ok())
            .filter(|v| v.is_finite() && *v > 0.0)
            .unwrap_or(DEFAULT_MAX_AUDIO_LENGTH);
        Self {
            max_audio_length,
            whisper_language: env.get_or("whisper_language", "ar"),
        }
    }

    fn to_json(&self) -> Vec<u8> {
        serde_json::json!({
            "max_audio_length": self.max_audio_length,
            "whisper_language": self.whisper_language,
        })
        .to_string()
        .into_bytes()
    }
}

/// Decides from the head alone: only GET and HEAD are served.
pub fn admit(head: &RequestHead) -> Result<(), ApiError> {
    match head.method.as_str() {
        "GET" | "HEAD" => Ok(()),
        _ => Err(ApiError::method_not_allowed("GET, HEAD")),
    }
}

/// The answer to an admitted request.
pub fn respond(head: &RequestHead, settings: &Settings) -> Response {
    if let Err(e) = admit(head) {
        return e.to_response();
    }
    let route = head.route();
    let (content_type, body, etag) = if route == CONFIG_PATH {
        let body = settings.to_json();
        let etag = fnv1a64(&body);
        ("application/json", body, etag)
    } else {
        match ASSETS.iter().find(|a| a.path == route) {
            Some(a) => (a.content_type, a.body.to_vec(), a.etag),
            None => return ApiError::unknown_route(&head.method, route).to_response(),
        }
    };
    let etag = format!("\"{etag:016x}\"");
    let mut headers = vec![
        ("content-type".to_owned(), content_type.to_owned()),
        ("cache-control".to_owned(), "no-cache".to_owned()),
        ("etag".to_owned(), etag.clone()),
        ("x-content-type-options".to_owned(), "nosniff".to_owned()),
        ("referrer-policy".to_owned(), "no-referrer".to_owned()),
    ];
    if content_type.starts_with("text/html") {
        headers.push(("content-security-policy".to_owned(), CSP.to_owned()));
        // The page asks for the microphone itself; no embedded frame may.
        headers.push((
            "permissions-policy".to_owned(),
            "microphone=(self)".to_owned(),
        ));
    }
    let not_modified = head
        .header("if-none-match")
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    let (status, body) = match (not_modified, head.method.as_str()) {
        (true, _) => (304, Vec::new()),
        (false, "HEAD") => (200, Vec::new()),
        (false, _) => (200, body),
    };
    Response {
        status,
        headers,
        body,
    }
}
