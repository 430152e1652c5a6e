//! What the components do before they read a body, as Spin runs them: a request that is not
//! admitted (no credentials, a declared body over the limit) is answered from its head alone,
//! so the instance never buffers the body; unknown paths and bad chat roles get the OpenAI
//! envelope. Build first: the wasm builds of scripts/check.

mod common;

use std::path::PathBuf;

use common::error_of;
use spin_harness::{Harness, HarnessOptions, HarnessResponse, RepeatBody};

const ADMIN_TOKEN: &str = "admission-admin-token";
const CLIENT_KEY: &str = "admission-client-key";
/// The body an attacker streams: far more than any instance should hold.
const HUGE: u64 = 200 << 20;
/// What "small" means for a refused request's peak linear memory: the component's code and
/// data plus a few buffers, never the body (measured ~1–3 MiB for these components).
const SMALL_PEAK: usize = 16 << 20;

fn app() -> Harness {
    let options = HarnessOptions::new()
        .without_env()
        .variable("admin_token", ADMIN_TOKEN)
        .variable("api_keys", CLIENT_KEY);
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../spin.toml");
    Harness::from_manifest(manifest, options).unwrap_or_else(|e| panic!("{e}"))
}

/// Streams `HUGE` bytes to `path` with the given headers; the body is produced only as fast
/// as the guest reads it.
async fn stream_huge(
    app: &Harness,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
) -> HarnessResponse {
    let mut req = http::Request::builder()
        .method(method)
        .uri(path)
        .header("host", "localhost")
        .header("content-length", HUGE);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let req = req.body(RepeatBody::new(b'x', HUGE)).unwrap();
    app.handle_streaming(req)
        .await
        .unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn peak(r: &HarnessResponse) -> usize {
    r.metrics
        .as_ref()
        .expect("harness metrics")
        .peak_memory_bytes
}

#[tokio::test]
async fn unauthenticated_huge_bodies_are_refused_from_the_head() {
    let app = app();
    let part = "/admin/models/whisper-tiny/uploads/0123456789ab/files/encoder.onnx?offset=0";
    type Case<'a> = (&'a str, &'a str, &'a [(&'a str, &'a str)], u16, &'a str);
    let cases: [Case; 5] = [
        ("PUT", part, &[], 401, "invalid_admin_token"),
        (
            "PUT",
            part,
            &[("authorization", "Bearer wrong")],
            401,
            "invalid_admin_token",
        ),
        // Authenticated, but the declared part is over the 4 MiB part limit.
        (
            "PUT",
            part,
            &[("authorization", "Bearer admission-admin-token")],
            413,
            "part_too_large",
        ),
        (
            "POST",
            "/v1/audio/transcriptions",
            &[],
            401,
            "invalid_api_key",
        ),
        ("POST", "/v1/chat/completions", &[], 401, "invalid_api_key"),
    ];
    for (method, path, headers, status, code) in cases {
        let r = stream_huge(&app, method, path, headers).await;
        assert_eq!(r.status.as_u16(), status, "{method} {path}: {}", r.text());
        assert_eq!(error_of(&r)["code"], code, "{method} {path}");
        let peak = peak(&r);
        eprintln!(
            "{method} {} with a {HUGE}-byte body: {status}, guest peak linear memory {:.1} MiB",
            path.split('?').next().unwrap_or(""),
            peak as f64 / (1 << 20) as f64
        );
        assert!(peak < SMALL_PEAK, "{method} {path}: peak {peak} bytes");
        assert!(r.metrics.as_ref().unwrap().trap.is_none());
    }
    assert!(app.outbound_attempts().is_empty());
}

#[tokio::test]
async fn unknown_paths_get_the_openai_404() {
    let app = app();
    for (method, path) in [
        ("GET", "/v1/nothing-here"),
        // `/` itself is the web page (functions/web); a path beside it is nobody's.
        ("POST", "/v2"),
        ("DELETE", "/v1/audio"),
    ] {
        let req = http::Request::builder()
            .method(method)
            .uri(path)
            .header("host", "localhost")
            .body(bytes::Bytes::new())
            .unwrap();
        let r = app.handle(req).await.unwrap();
        assert_eq!(r.status.as_u16(), 404, "{method} {path}");
        assert_eq!(r.header("content-type"), Some("application/json"));
        let e = error_of(&r);
        assert_eq!(e["message"], format!("Invalid URL ({method} {path})"));
        assert_eq!(e["type"], "invalid_request_error");
        assert_eq!(e["code"], "unknown_url");
        assert_eq!(r.metrics.as_ref().unwrap().component, "fallback");
    }
}

#[tokio::test]
async fn a_chat_role_openai_refuses_is_refused_before_upstream() {
    let app = app();
    let req = http::Request::post("/v1/chat/completions")
        .header("host", "localhost")
        .header("content-type", "application/json")
        .header("authorization", format!("Bearer {CLIENT_KEY}"))
        .body(bytes::Bytes::from_static(
            br#"{"messages":[{"role":"wizard","content":"hi"}]}"#,
        ))
        .unwrap();
    let r = app.handle(req).await.unwrap();
    assert_eq!(r.status.as_u16(), 400, "{}", r.text());
    let e = error_of(&r);
    assert_eq!(e["param"], "messages[0].role");
    assert_eq!(e["code"], "invalid_value");
    assert!(app.outbound_attempts().is_empty());
}
