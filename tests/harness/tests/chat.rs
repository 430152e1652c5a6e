//! The chat component end to end, as Spin runs it: the root `spin.toml`, the built
//! `sawt_chat_fn.wasm`, and the mock OpenRouter on 127.0.0.1 (the only host the component may
//! reach). Build first: `cargo build --target wasm32-wasip1 --release -p sawt-chat-fn`.
//!
//! Every test ends with `assert_clean`: no trap, no undeclared host. The native dev server
//! (same core crate) answers the same requests, and the bytes must match.

mod common;

use common::error_of;
use std::io::Read;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use mock_openrouter::{http1, MockHandle, ANSWER};
use sawt_api::MapEnv;
use serde_json::{json, Value};
use spin_harness::{Harness, HarnessOptions, HarnessResponse};

const KEY: &str = "sk-or-v1-harness-secret";

fn root_manifest() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../spin.toml")
}

/// The app with OpenRouter pointed at the mock, like
/// `spin up --variable openrouter_origin=http://127.0.0.1:<port> ...`.
fn chat_app(mock: &MockHandle, extra: &[(&str, &str)]) -> Harness {
    let mut options = HarnessOptions::new()
        .without_env()
        .variable("openrouter_api_key", KEY)
        .variable("openrouter_origin", format!("http://{}", mock.addr()))
        .variable("openrouter_timeout_secs", "2");
    for (k, v) in extra {
        options = options.variable(*k, *v);
    }
    Harness::from_manifest(root_manifest(), options).unwrap_or_else(|e| panic!("{e}"))
}

/// The native path: the dev server over the same core, with the variables the component sees.
fn native_app(mock: &MockHandle, extra: &[(&str, &str)]) -> SocketAddr {
    let mut env = MapEnv::new()
        .with("openrouter_api_key", KEY)
        .with("openrouter_base_url", &mock.base_url())
        .with("openrouter_timeout_secs", "2");
    for (k, v) in extra {
        env = env.with(k, v);
    }
    sawt_chat_dev::spawn(0, Arc::new(env)).unwrap()
}

async fn post_json(h: &Harness, path: &str, body: &Value) -> HarnessResponse {
    h.send("POST", path, "application/json", body.to_string())
        .await
        .unwrap_or_else(|e| panic!("POST {path}: {e}"))
}

fn native_post(addr: SocketAddr, path: &str, body: &Value) -> (u16, Vec<u8>) {
    let headers = [("content-type".to_owned(), "application/json".to_owned())];
    let mut r = http1::send(
        "POST",
        &format!("http://{addr}{path}"),
        &headers,
        body.to_string().as_bytes(),
        Duration::from_secs(10),
    )
    .unwrap();
    let mut bytes = Vec::new();
    r.body.read_to_end(&mut bytes).unwrap();
    (r.status, bytes)
}

fn chat_request(text: &str, stream: bool) -> Value {
    json!({
        "model": "google/gemma-2-27b-it",
        "messages": [{"role": "user", "content": text}],
        "stream": stream,
    })
}

/// The assistant text of an SSE stream: every `data:` chunk's delta content, in order.
fn sse_text(body: &[u8]) -> (String, bool) {
    let text = String::from_utf8_lossy(body);
    let mut out = String::new();
    let mut done = false;
    for line in text.lines() {
        let Some(data) = line.strip_prefix("data: ") else {
            continue;
        };
        if data == "[DONE]" {
            done = true;
            continue;
        }
        let v: Value = serde_json::from_str(data).unwrap_or_else(|e| panic!("{e}: {data}"));
        if let Some(s) = v["choices"][0]["delta"]["content"].as_str() {
            out.push_str(s);
        }
    }
    (out, done)
}

#[tokio::test(flavor = "multi_thread")]
async fn chat_answers_through_the_mock_and_matches_native() {
    let (_, mock) = mock_openrouter::start();
    let app = chat_app(&mock, &[]);
    let request = chat_request("ازيك؟", false);

    let r = post_json(&app, "/v1/chat/completions", &request).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let v: Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(v["choices"][0]["message"]["content"], ANSWER);
    assert!(!r.text().contains(KEY));

    let upstream = mock.requests();
    assert_eq!(upstream.len(), 1);
    assert_eq!(upstream[0].path, "/api/v1/chat/completions");
    assert_eq!(
        upstream[0].header("authorization"),
        Some(format!("Bearer {KEY}").as_str())
    );

    // Same request through the native path: identical status and bytes.
    let native = native_app(&mock, &[]);
    let (status, body) =
        tokio::task::spawn_blocking(move || native_post(native, "/v1/chat/completions", &request))
            .await
            .unwrap();
    assert_eq!((status, body.as_slice()), (200, r.body.as_ref()));
    // And the upstream saw the same request from both.
    let upstream = mock.requests();
    assert_eq!(upstream[0].body, upstream[1].body);

    let outbound = app.outbound_attempts();
    assert_eq!(outbound.len(), 1);
    assert!(outbound[0]
        .url
        .starts_with(&format!("http://{}/", mock.addr())));
    app.assert_clean();
}

#[tokio::test(flavor = "multi_thread")]
async fn chat_streams_and_matches_native() {
    let (_, mock) = mock_openrouter::start();
    let app = chat_app(&mock, &[]);
    let request = chat_request("احكيلي نكتة", true);

    let r = post_json(&app, "/v1/chat/completions", &request).await;
    assert_eq!(r.status, 200);
    assert!(r
        .header("content-type")
        .is_some_and(|c| c.starts_with("text/event-stream")));
    let (text, done) = sse_text(&r.body);
    assert_eq!(text, ANSWER);
    assert!(done, "stream ended without [DONE]");

    let native = native_app(&mock, &[]);
    let (status, body) =
        tokio::task::spawn_blocking(move || native_post(native, "/v1/chat/completions", &request))
            .await
            .unwrap();
    assert_eq!(status, 200);
    assert_eq!(String::from_utf8_lossy(&body), r.text());
    app.assert_clean();
}

/// Over the loopback listener with a real HTTP client, as an SDK or browser would call it;
/// the chunked stream arrives in pieces, not as one buffered body.
#[tokio::test(flavor = "multi_thread")]
async fn chat_streams_over_the_listener() {
    // The mock's default 2 ms between its many small chunks keeps the stream incremental.
    let (_, mock) = mock_openrouter::start();
    let app = chat_app(&mock, &[]);
    let addr = app.serve("127.0.0.1:0").await.unwrap();

    let (status, content_type, reads, body) = tokio::task::spawn_blocking(move || {
        let headers = [("content-type".to_owned(), "application/json".to_owned())];
        let body = chat_request("ازيك؟", true).to_string();
        let mut r = http1::send(
            "POST",
            &format!("http://{addr}/v1/chat/completions"),
            &headers,
            body.as_bytes(),
            Duration::from_secs(10),
        )
        .unwrap();
        let mut all = Vec::new();
        let mut reads = 0;
        let mut buf = [0u8; 16 * 1024];
        loop {
            let n = r.body.read(&mut buf).unwrap();
            if n == 0 {
                break;
            }
            reads += 1;
            all.extend_from_slice(&buf[..n]);
        }
        (
            r.status,
            r.header("content-type").map(str::to_owned),
            reads,
            all,
        )
    })
    .await
    .unwrap();
    assert_eq!(status, 200);
    assert!(content_type.is_some_and(|c| c.starts_with("text/event-stream")));
    assert!(reads > 1, "the stream arrived in one piece");
    assert_eq!(sse_text(&body), (ANSWER.to_owned(), true));

    // The guest's completion is recorded once it returns.
    for _ in 0..200 {
        if !app.metrics().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let metrics = app.metrics();
    assert_eq!(metrics.len(), 1);
    eprintln!(
        "chat over the listener: instantiate {:?}, head after {:?}, total {:?}, peak memory {} KiB, compile {:?}",
        metrics[0].instantiate,
        metrics[0].until_head,
        metrics[0].total,
        metrics[0].peak_memory_bytes >> 10,
        app.compile_times()
    );
    app.assert_clean();
}

#[tokio::test(flavor = "multi_thread")]
async fn models_route() {
    let (_, mock) = mock_openrouter::start();
    let app = chat_app(&mock, &[]);
    let r = app.get("/v1/models").await.unwrap();
    assert_eq!(r.status, 200);
    let v: Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(v["object"], "list");
    assert_eq!(v["data"][0]["id"], "google/gemma-2-27b-it");
    // Anything else under /v1 is not routed to chat by spin.toml.
    assert_eq!(app.get("/v1/embeddings").await.unwrap().status, 404);
    app.assert_clean();
}

#[tokio::test(flavor = "multi_thread")]
async fn chat_errors_are_envelopes_not_traps() {
    let (_, mock) = mock_openrouter::start();

    // Client keys required, none sent.
    let app = chat_app(&mock, &[("api_keys", "client-1")]);
    let r = post_json(&app, "/v1/chat/completions", &chat_request("hi", false)).await;
    assert_eq!(r.status, 401);
    error_of(&r);
    // The right key passes.
    let ok = app
        .handle(
            http::Request::post("/v1/chat/completions")
                .header("host", "localhost")
                .header("content-type", "application/json")
                .header("authorization", "Bearer client-1")
                .body(chat_request("hi", false).to_string())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(ok.status, 200);
    app.assert_clean();

    // Oversized body.
    let app = chat_app(&mock, &[("chat_max_body_bytes", "1024")]);
    let r = post_json(
        &app,
        "/v1/chat/completions",
        &chat_request(&"ا".repeat(2048), false),
    )
    .await;
    assert_eq!(r.status, 413);
    error_of(&r);

    // Malformed JSON.
    let r = app
        .send(
            "POST",
            "/v1/chat/completions",
            "application/json",
            "{not json",
        )
        .await
        .unwrap();
    assert_eq!(r.status, 400);
    error_of(&r);

    // Upstream errors pass through in the envelope; the key never leaks.
    let app = chat_app(&mock, &[]);
    for status in [401u16, 402, 429, 502, 503] {
        let r = post_json(
            &app,
            "/v1/chat/completions",
            &chat_request(&format!("[mock:error-{status}]"), false),
        )
        .await;
        assert_eq!(r.status.as_u16(), status, "{}", r.text());
        error_of(&r);
        assert!(!r.text().contains(KEY));
    }

    // A silent upstream is a timeout, answered before the platform's 30 s limit.
    let app = chat_app(&mock, &[("openrouter_timeout_secs", "1")]);
    let r = post_json(
        &app,
        "/v1/chat/completions",
        &chat_request("[mock:hang]", false),
    )
    .await;
    assert_eq!(r.status, 504, "{}", r.text());
    error_of(&r);
    assert!(r.metrics.unwrap().total < Duration::from_secs(10));
    app.assert_clean();
}

#[tokio::test(flavor = "multi_thread")]
async fn chat_without_an_upstream_key_is_503() {
    let (_, mock) = mock_openrouter::start();
    let app = chat_app(&mock, &[("openrouter_api_key", "")]);
    let r = post_json(&app, "/v1/chat/completions", &chat_request("hi", false)).await;
    assert_eq!(r.status, 503);
    assert_eq!(error_of(&r)["code"], "upstream_not_configured");
    assert!(mock.requests().is_empty());
    app.assert_clean();
}
