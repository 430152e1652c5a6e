//! End to end: client → chat (native dev server, same core as the Spin component) →
//! mock OpenRouter. Checks the forwarded request and the proxied bytes.

use std::io::Read;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use mock_openrouter::{http1, MockHandle, Reply, ANSWER};
use sawt_api::MapEnv;
use serde_json::{json, Value};

const KEY: &str = "sk-or-v1-test-secret-key";

struct Setup {
    chat: SocketAddr,
    mock: MockHandle,
}

fn setup_with(extra: &[(&str, &str)]) -> Setup {
    let (_, mock) = mock_openrouter::start();
    let mut env = MapEnv::new()
        .with("openrouter_api_key", KEY)
        .with("openrouter_base_url", &mock.base_url())
        .with(
            "openrouter_allowed_models",
            "meta-llama/llama-3.1-8b-instruct",
        )
        .with("openrouter_x_title", "sawt-tests")
        .with("openrouter_timeout_secs", "1");
    for (k, v) in extra {
        env = env.with(k, v);
    }
    std::env::set_var("SAWT_CHAT_DEV_QUIET", "1");
    let chat = sawt_chat_dev::spawn(0, Arc::new(env)).unwrap();
    Setup { chat, mock }
}

fn setup() -> Setup {
    setup_with(&[])
}

struct Got {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Got {
    fn header(&self, n: &str) -> Option<&str> {
        http1::header(&self.headers, n)
    }
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }
}

fn call(addr: SocketAddr, method: &str, path: &str, body: &[u8]) -> Got {
    let url = format!("http://{addr}{path}");
    let headers = vec![
        ("content-type".to_owned(), "application/json".to_owned()),
        (
            "authorization".to_owned(),
            "Bearer client-anything".to_owned(),
        ),
    ];
    let mut r = http1::send(method, &url, &headers, body, Duration::from_secs(10)).unwrap();
    let mut body = Vec::new();
    r.body.read_to_end(&mut body).unwrap();
    assert!(!String::from_utf8_lossy(&body).contains(KEY), "key leaked");
    assert!(
        r.headers.iter().all(|(_, v)| !v.contains(KEY)),
        "key leaked in headers"
    );
    Got {
        status: r.status,
        headers: r.headers,
        body,
    }
}

fn chat(s: &Setup, body: Value) -> Got {
    call(
        s.chat,
        "POST",
        "/v1/chat/completions",
        body.to_string().as_bytes(),
    )
}

fn user(text: &str) -> Value {
    json!([{"role": "user", "content": text}])
}

#[test]
fn non_streaming_forwards_auth_model_persona_and_returns_the_body_byte_for_byte() {
    let s = setup();
    let got = chat(
        &s,
        json!({"model": "gpt-4o-mini", "messages": user("ازيك؟"), "temperature": 0.3, "seed": 7}),
    );
    assert_eq!(got.status, 200);
    assert_eq!(
        got.body,
        mock_openrouter::completion_body("google/gemma-2-27b-it", ANSWER).as_bytes()
    );
    assert_eq!(got.header("content-type"), Some("application/json"));
    assert_eq!(got.header("x-sawt-persona"), Some("arabic_egyptian@v1"));

    let reqs = s.mock.requests();
    assert_eq!(reqs.len(), 1);
    let up = &reqs[0];
    assert_eq!(
        (up.method.as_str(), up.path.as_str()),
        ("POST", "/api/v1/chat/completions")
    );
    assert_eq!(
        up.header("authorization"),
        Some(format!("Bearer {KEY}").as_str())
    );
    assert_eq!(up.header("x-title"), Some("sawt-tests"));
    assert_eq!(up.header("http-referer"), None);
    let body: Value = serde_json::from_slice(&up.body).unwrap();
    assert_eq!(
        body["model"], "google/gemma-2-27b-it",
        "unlisted client model replaced"
    );
    assert_eq!(body["temperature"], 0.3);
    assert_eq!(body["seed"], 7, "unknown fields pass through");
    assert_eq!(body["messages"][0]["role"], "system");
    assert!(body["messages"][0]["content"]
        .as_str()
        .unwrap()
        .contains("اللهجة المصرية العامية"));
    assert_eq!(
        body["messages"][1],
        json!({"role": "user", "content": "ازيك؟"})
    );
}

#[test]
fn allowed_client_model_and_client_system_message_are_kept() {
    let s = setup();
    let messages =
        json!([{"role": "system", "content": "رد بالإنجليزي"}, {"role": "user", "content": "hi"}]);
    let got = chat(
        &s,
        json!({"model": "meta-llama/llama-3.1-8b-instruct", "messages": messages}),
    );
    assert_eq!(got.status, 200);
    let body: Value = serde_json::from_slice(&s.mock.requests()[0].body).unwrap();
    assert_eq!(body["model"], "meta-llama/llama-3.1-8b-instruct");
    assert_eq!(
        body["messages"], messages,
        "no persona over the client's own system message"
    );
    assert!(String::from_utf8_lossy(&got.body)
        .contains("\"model\":\"meta-llama/llama-3.1-8b-instruct\""));
}

#[test]
fn streaming_passes_chunks_through_without_comments() {
    let s = setup();
    let got = chat(
        &s,
        json!({"messages": user("hi"), "stream": true, "stream_options": {"include_usage": true}}),
    );
    assert_eq!(got.status, 200);
    assert_eq!(
        got.header("content-type"),
        Some("text/event-stream; charset=utf-8")
    );
    let upstream = mock_openrouter::stream_body("google/gemma-2-27b-it", ANSWER, true);
    assert_eq!(
        String::from_utf8(got.body).unwrap(),
        String::from_utf8(mock_openrouter::without_comments(&upstream)).unwrap()
    );
    let up = &s.mock.requests()[0];
    assert_eq!(up.header("accept"), Some("text/event-stream"));
    let body: Value = serde_json::from_slice(&up.body).unwrap();
    assert_eq!(body["stream_options"], json!({"include_usage": true}));
}

#[test]
fn streaming_is_not_buffered() {
    let s = setup();
    let first =
        b"data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"\xd8\xa3\"}}]}\n\n".to_vec();
    let rest = b"data: [DONE]\n\n".to_vec();
    // The first event, then 600 ms of silence (only comments), then the end.
    s.mock.push_reply(Reply::sse(
        vec![
            first.clone(),
            b": OPENROUTER PROCESSING\n\n".to_vec(),
            rest.clone(),
        ],
        Duration::from_millis(300),
    ));
    let started = Instant::now();
    let url = format!("http://{}/v1/chat/completions", s.chat);
    let body = json!({"messages": user("hi"), "stream": true}).to_string();
    let mut r = http1::send("POST", &url, &[], body.as_bytes(), Duration::from_secs(5)).unwrap();
    let mut buf = vec![0u8; first.len()];
    r.body.read_exact(&mut buf).unwrap();
    let first_at = started.elapsed();
    assert_eq!(buf, first);
    let mut tail = Vec::new();
    r.body.read_to_end(&mut tail).unwrap();
    let end_at = started.elapsed();
    assert_eq!(tail, rest);
    assert!(
        end_at - first_at >= Duration::from_millis(450),
        "first event arrived {first_at:?}, end {end_at:?}"
    );
}

#[test]
fn mid_stream_error_becomes_an_sse_error_event() {
    let s = setup();
    let got = chat(
        &s,
        json!({"messages": user("[mock:stream-error]"), "stream": true}),
    );
    assert_eq!(got.status, 200);
    let text = String::from_utf8(got.body).unwrap();
    let events: Vec<&str> = text.split_terminator("\n\n").collect();
    assert_eq!(events.len(), 4, "{text}");
    assert!(events[0].starts_with("data: {") && events[1].starts_with("data: {"));
    assert_eq!(
        events[2],
        "event: error\ndata: {\"error\":{\"message\":\"Provider disconnected unexpectedly\",\"type\":\"server_error\",\"param\":null,\"code\":\"server_error\"}}"
    );
    assert_eq!(events[3], "data: [DONE]");
}

#[test]
fn truncated_stream_ends_with_an_error_event() {
    let s = setup();
    let got = chat(
        &s,
        json!({"messages": user("[mock:truncated]"), "stream": true}),
    );
    let text = String::from_utf8(got.body).unwrap();
    assert!(text.ends_with("event: error\ndata: {\"error\":{\"message\":\"the model provider ended the stream unexpectedly\",\"type\":\"server_error\",\"param\":null,\"code\":\"upstream_stream_truncated\"}}\n\n"), "{text}");
}

#[test]
fn upstream_error_statuses_map_to_the_openai_envelope() {
    let s = setup();
    for (upstream, ours, ty, code) in [
        (400, 400, "invalid_request_error", "upstream_bad_request"),
        (401, 401, "authentication_error", "upstream_unauthorized"),
        (402, 402, "insufficient_quota", "insufficient_credits"),
        (403, 403, "permission_error", "upstream_forbidden"),
        (408, 408, "timeout_error", "upstream_timeout"),
        (429, 429, "rate_limit_error", "rate_limited"),
        (500, 502, "server_error", "upstream_bad_gateway"),
        (502, 502, "server_error", "upstream_bad_gateway"),
        (503, 503, "service_unavailable", "upstream_unavailable"),
    ] {
        for stream in [false, true] {
            let got = chat(
                &s,
                json!({"messages": user(&format!("[mock:error-{upstream}]")), "stream": stream}),
            );
            assert_eq!(got.status, ours, "upstream {upstream} stream={stream}");
            let e = &got.json()["error"];
            assert_eq!(
                (e["type"].as_str(), e["code"].as_str()),
                (Some(ty), Some(code)),
                "upstream {upstream}"
            );
            assert!(e["message"].as_str().unwrap().len() > 10);
            assert!(e.as_object().unwrap().contains_key("param"));
            assert!(
                !String::from_utf8_lossy(&got.body).contains("10.0.0.7"),
                "metadata leaked"
            );
            assert_eq!(
                got.header("retry-after"),
                if ours == 429 { Some("7") } else { None }
            );
        }
    }
    let got = chat(&s, json!({"messages": user("[mock:error-429]")}));
    assert_eq!(
        got.json()["error"]["message"],
        "upstream: Rate limit exceeded: free-models-per-min"
    );
}

#[test]
fn ok_status_with_an_error_object_is_an_error() {
    let s = setup();
    let got = chat(&s, json!({"messages": user("[mock:ok-with-error]")}));
    assert_eq!(got.status, 502);
    assert_eq!(
        got.json()["error"]["message"],
        "upstream: Provider returned error"
    );
}

#[test]
fn silent_upstream_is_a_504() {
    let s = setup();
    let started = Instant::now();
    let got = chat(&s, json!({"messages": user("[mock:hang]")}));
    assert_eq!(got.status, 504);
    assert_eq!(got.json()["error"]["code"], "upstream_timeout");
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[test]
fn unreachable_upstream_is_a_502() {
    let dead = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let s = setup_with(&[("openrouter_base_url", &format!("http://{dead}/api/v1"))]);
    let got = chat(&s, json!({"messages": user("hi")}));
    assert_eq!(got.status, 502);
    assert_eq!(got.json()["error"]["code"], "upstream_unreachable");
}

#[test]
fn input_limits_answer_before_anything_is_sent() {
    let s = setup_with(&[
        ("chat_max_body_bytes", "2000"),
        ("chat_max_messages", "2"),
        ("chat_max_content_chars", "50"),
    ]);
    let got = chat(&s, json!({"messages": user(&"ا".repeat(1500))}));
    assert_eq!(got.status, 413);
    assert_eq!(
        got.json()["error"]["message"],
        "request body is larger than the limit of 2000 bytes"
    );
    let got = chat(
        &s,
        json!({"messages": [{"role":"user","content":"a"},{"role":"assistant","content":"b"},{"role":"user","content":"c"}]}),
    );
    assert_eq!(
        (got.status, got.json()["error"]["code"].as_str()),
        (400, Some("too_many_messages"))
    );
    let got = chat(&s, json!({"messages": user(&"ب".repeat(51))}));
    assert_eq!(
        (got.status, got.json()["error"]["code"].as_str()),
        (400, Some("content_too_long"))
    );
    let got = call(s.chat, "POST", "/v1/chat/completions", b"{not json");
    assert_eq!(got.status, 400);
    assert!(s.mock.requests().is_empty());
}

#[test]
fn models_lists_chat_and_speech_models() {
    let s = setup();
    let got = call(s.chat, "GET", "/v1/models", b"");
    assert_eq!(got.status, 200);
    let ids: Vec<String> = got.json()["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        ids,
        [
            "google/gemma-2-27b-it",
            "meta-llama/llama-3.1-8b-instruct",
            "whisper-1",
            "whisper-tiny"
        ]
    );
    let got = call(s.chat, "GET", "/v2/nothing", b"");
    assert_eq!(got.status, 404);
}
