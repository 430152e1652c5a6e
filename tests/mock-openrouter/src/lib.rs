//! A stand-in for OpenRouter on 127.0.0.1: it records every request and answers the way
//! OpenRouter does (JSON completions, SSE streams with `: OPENROUTER PROCESSING` comments,
//! mid-stream errors, error statuses with OpenRouter's error bodies).
//!
//! ```no_run
//! let (addr, mock) = mock_openrouter::start();
//! // point openrouter_base_url at mock.base_url(), drive the chat function, then:
//! let req = &mock.requests()[0];
//! assert_eq!(req.header("authorization"), Some("Bearer test-key"));
//! # let _ = addr;
//! ```
//!
//! What a request gets, in order: the next queued [`Reply`] ([`MockHandle::push_reply`]), else
//! a scenario named in the last user message as `[mock:<scenario>]` (see [`scenario_reply`]),
//! else a normal answer (streamed when the request says `"stream": true`).
//! `GET /__mock/requests` returns the recorded requests as JSON (for out-of-process tests).

pub mod http1;

use std::collections::VecDeque;
use std::io::Write;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;

pub use http1::Request as RecordedRequest;

/// The comment OpenRouter sends while a request waits for a provider.
pub const PROCESSING_COMMENT: &str = ": OPENROUTER PROCESSING\n\n";

/// The canned answer, in Egyptian Arabic.
pub const ANSWER: &str = "أهلاً بيك! أنا صوت، مساعدك المصري. تحب أساعدك في إيه النهارده؟";

/// What the mock sends back for one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// A complete response with a content-length.
    Full {
        status: u16,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    },
    /// A chunked response: each chunk is written and flushed separately, `delay` apart.
    Chunked {
        status: u16,
        headers: Vec<(String, String)>,
        chunks: Vec<Vec<u8>>,
        delay: Duration,
    },
    /// Reads the request and then says nothing for this long (for timeout tests).
    Hang(Duration),
}

impl Reply {
    pub fn json(status: u16, body: impl Into<Vec<u8>>) -> Self {
        Self::Full {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body: body.into(),
        }
    }

    /// An SSE response from chunks.
    pub fn sse(chunks: Vec<Vec<u8>>, delay: Duration) -> Self {
        Self::Chunked {
            status: 200,
            headers: vec![
                ("content-type".into(), "text/event-stream".into()),
                ("cache-control".into(), "no-cache".into()),
            ],
            chunks,
            delay,
        }
    }
}

#[derive(Default)]
struct State {
    requests: Vec<RecordedRequest>,
    queue: VecDeque<Reply>,
    chunk_delay: Duration,
}

/// Controls a running mock; it stops when dropped.
pub struct MockHandle {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

/// Starts a mock on 127.0.0.1 with a random port.
pub fn start() -> (SocketAddr, MockHandle) {
    start_on(0).expect("binding 127.0.0.1:0 for the mock OpenRouter")
}

/// Starts a mock on 127.0.0.1:`port` (0 = random).
pub fn start_on(port: u16) -> std::io::Result<(SocketAddr, MockHandle)> {
    let listener = TcpListener::bind(("127.0.0.1", port))?;
    let addr = listener.local_addr()?;
    let state = Arc::new(Mutex::new(State {
        chunk_delay: Duration::from_millis(2),
        ..State::default()
    }));
    let stop = Arc::new(AtomicBool::new(false));
    let thread = {
        let state = state.clone();
        let stop = stop.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if stop.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                let state = state.clone();
                std::thread::spawn(move || serve(conn, &state));
            }
        })
    };
    Ok((
        addr,
        MockHandle {
            addr,
            state,
            stop,
            thread: Some(thread),
        },
    ))
}

fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    // A panicking test thread must not wedge the mock for the others.
    state.lock().unwrap_or_else(|e| e.into_inner())
}

impl MockHandle {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// What `openrouter_base_url` should be: `http://127.0.0.1:<port>/api/v1`.
    pub fn base_url(&self) -> String {
        format!("http://{}/api/v1", self.addr)
    }

    /// Requests received so far, oldest first.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.state).requests.clone()
    }

    pub fn clear_requests(&self) {
        lock(&self.state).requests.clear();
    }

    /// Queues a reply for the next request (FIFO).
    pub fn push_reply(&self, reply: Reply) {
        lock(&self.state).queue.push_back(reply);
    }

    /// Delay between chunks of default streams (2 ms unless set; 0 for benchmarks).
    pub fn set_chunk_delay(&self, delay: Duration) {
        lock(&self.state).chunk_delay = delay;
    }

    pub fn shutdown(mut self) {
        self.stop_now();
    }

    fn stop_now(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect(self.addr);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for MockHandle {
    fn drop(&mut self) {
        self.stop_now();
    }
}

fn serve(conn: TcpStream, state: &Mutex<State>) {
    let _ = conn.set_nodelay(true);
    let Ok(req) = http1::read_request(&conn, 64 * 1024 * 1024) else {
        return;
    };
    // Out-of-band inspection for black-box tests; not recorded itself.
    if req.path == "/__mock/requests" {
        let body = requests_json(&lock(state).requests);
        let mut w = &conn;
        let _ = http1::write_response(
            &mut w,
            200,
            &[("content-type".into(), "application/json".into())],
            body.as_bytes(),
        );
        return;
    }
    let reply = {
        let mut s = lock(state);
        s.requests.push(req.clone());
        let delay = s.chunk_delay;
        s.queue
            .pop_front()
            .unwrap_or_else(|| default_reply(&req, delay))
    };
    let _ = write_reply(&conn, reply);
}

fn write_reply(mut conn: &TcpStream, reply: Reply) -> std::io::Result<()> {
    match reply {
        Reply::Full {
            status,
            headers,
            body,
        } => http1::write_response(&mut conn, status, &headers, &body),
        Reply::Chunked {
            status,
            headers,
            chunks,
            delay,
        } => {
            http1::write_head(&mut conn, status, &headers, None)?;
            for chunk in chunks {
                if !delay.is_zero() {
                    std::thread::sleep(delay);
                }
                http1::write_chunk(&mut conn, &chunk)?;
            }
            http1::end_chunks(&mut conn)?;
            conn.flush()
        }
        Reply::Hang(d) => {
            std::thread::sleep(d);
            Ok(())
        }
    }
}

/// The reply when nothing is queued.
pub fn default_reply(req: &RecordedRequest, chunk_delay: Duration) -> Reply {
    let path = req.path.split('?').next().unwrap_or("");
    match (req.method.as_str(), path) {
        ("GET", "/api/v1/models") => Reply::json(
            200,
            r#"{"data":[{"id":"google/gemma-2-27b-it","name":"Google: Gemma 2 27B"}]}"#,
        ),
        ("POST", "/api/v1/chat/completions") => {
            // Like OpenRouter: no key, no service.
            if !req
                .header("authorization")
                .is_some_and(|a| a.starts_with("Bearer ") && a.len() > 7)
            {
                return error_reply(401);
            }
            let body = String::from_utf8_lossy(&req.body);
            let json = parse_request(&body);
            if let Some(scenario) = json.scenario.as_deref() {
                if let Some(reply) = scenario_reply(scenario, &json.model, chunk_delay) {
                    return reply;
                }
            }
            if json.stream {
                Reply::sse(
                    awkward_chunks(&stream_body(&json.model, ANSWER, json.include_usage)),
                    chunk_delay,
                )
            } else {
                Reply::json(200, completion_body(&json.model, ANSWER))
            }
        }
        _ => Reply::json(404, r#"{"error":{"code":404,"message":"Not Found"}}"#),
    }
}

/// Named scenarios for black-box clients (the Python test), given in the last user message
/// as `[mock:<name>]`: `error-<status>`, `stream-error`, `hang`, `ok-with-error` (200 with an
/// error object), `truncated` (stream without `[DONE]`).
pub fn scenario_reply(scenario: &str, model: &str, chunk_delay: Duration) -> Option<Reply> {
    if let Some(status) = scenario.strip_prefix("error-") {
        return status.parse().ok().map(error_reply);
    }
    match scenario {
        "stream-error" => Some(Reply::sse(
            awkward_chunks(&stream_error_body(model)),
            chunk_delay,
        )),
        "hang" => Some(Reply::Hang(Duration::from_secs(30))),
        "ok-with-error" => Some(Reply::json(
            200,
            r#"{"error":{"code":502,"message":"Provider returned error","metadata":{"provider_name":"Example"}}}"#,
        )),
        "truncated" => {
            let full = stream_body(model, ANSWER, false);
            let cut = full.len() - "data: [DONE]\n\n".len();
            Some(Reply::sse(awkward_chunks(&full[..cut]), chunk_delay))
        }
        _ => None,
    }
}

/// `[{"method","path","headers":{name:value},"body":"<utf-8 text>"}]`.
pub fn requests_json(requests: &[RecordedRequest]) -> String {
    let items: Vec<String> = requests
        .iter()
        .map(|r| {
            let headers: Vec<String> = r
                .headers
                .iter()
                .map(|(k, v)| format!("{}:{}", json_string(k), json_string(v)))
                .collect();
            format!(
                "{{\"method\":{},\"path\":{},\"headers\":{{{}}},\"body\":{}}}",
                json_string(&r.method),
                json_string(&r.path),
                headers.join(","),
                json_string(&String::from_utf8_lossy(&r.body))
            )
        })
        .collect();
    format!("[{}]", items.join(","))
}

struct ParsedRequest {
    model: String,
    stream: bool,
    include_usage: bool,
    scenario: Option<String>,
}

/// A deliberately tiny look into the JSON body (the mock has no JSON dependency): enough
/// to echo the model and find the stream flag and a scenario marker.
fn parse_request(body: &str) -> ParsedRequest {
    let model = string_field(body, "\"model\"").unwrap_or_else(|| "unknown/model".into());
    let compact: String = body.chars().filter(|c| !c.is_whitespace()).collect();
    let scenario = body.rfind("[mock:").and_then(|i| {
        let rest = &body[i + 6..];
        rest.find(']').map(|j| rest[..j].to_owned())
    });
    ParsedRequest {
        model,
        stream: compact.contains("\"stream\":true"),
        include_usage: compact.contains("\"include_usage\":true"),
        scenario,
    }
}

fn string_field(body: &str, key: &str) -> Option<String> {
    let i = body.find(key)? + key.len();
    let rest = body[i..]
        .trim_start()
        .strip_prefix(':')?
        .trim_start()
        .strip_prefix('"')?;
    Some(rest[..rest.find('"')?].to_owned())
}

fn json_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

const CREATED: u64 = 1_732_000_000;

/// An OpenRouter non-streaming completion. It starts with a newline on purpose: whitespace
/// before the JSON is legal, and the proxy must pass the body through byte for byte.
pub fn completion_body(model: &str, text: &str) -> String {
    format!(
        "\n{{\"id\":\"gen-1732000000-mock\",\"provider\":\"Mock\",\"model\":{},\"object\":\"chat.completion\",\"created\":{CREATED},\"choices\":[{{\"logprobs\":null,\"finish_reason\":\"stop\",\"native_finish_reason\":\"STOP\",\"index\":0,\"message\":{{\"role\":\"assistant\",\"content\":{},\"refusal\":null,\"reasoning\":null}}}}],\"usage\":{{\"prompt_tokens\":42,\"completion_tokens\":17,\"total_tokens\":59}}}}",
        json_string(model),
        json_string(text)
    )
}

fn chunk(model: &str, delta: &str, finish: Option<&str>) -> String {
    let finish = finish.map_or("null".to_owned(), json_string);
    format!(
        "data: {{\"id\":\"gen-1732000000-mock\",\"provider\":\"Mock\",\"model\":{},\"object\":\"chat.completion.chunk\",\"created\":{CREATED},\"choices\":[{{\"index\":0,\"delta\":{delta},\"finish_reason\":{finish},\"native_finish_reason\":{finish},\"logprobs\":null}}]}}\n\n",
        json_string(model)
    )
}

/// The full SSE body OpenRouter would send for `text`, word by word, with processing
/// comments before and between events, an optional usage chunk, and `[DONE]`.
pub fn stream_body(model: &str, text: &str, include_usage: bool) -> Vec<u8> {
    let mut s = String::from(PROCESSING_COMMENT);
    s.push_str(PROCESSING_COMMENT);
    s.push_str(&chunk(
        model,
        "{\"role\":\"assistant\",\"content\":\"\"}",
        None,
    ));
    let words: Vec<&str> = text.split_inclusive(' ').collect();
    for (i, w) in words.iter().enumerate() {
        s.push_str(&chunk(
            model,
            &format!("{{\"role\":\"assistant\",\"content\":{}}}", json_string(w)),
            None,
        ));
        if i == 1 {
            s.push_str(PROCESSING_COMMENT);
        }
    }
    s.push_str(&chunk(
        model,
        "{\"role\":\"assistant\",\"content\":\"\"}",
        Some("stop"),
    ));
    if include_usage {
        s.push_str(&format!(
            "data: {{\"id\":\"gen-1732000000-mock\",\"provider\":\"Mock\",\"model\":{},\"object\":\"chat.completion.chunk\",\"created\":{CREATED},\"choices\":[],\"usage\":{{\"prompt_tokens\":42,\"completion_tokens\":17,\"total_tokens\":59}}}}\n\n",
            json_string(model)
        ));
    }
    s.push_str("data: [DONE]\n\n");
    s.into_bytes()
}

/// A stream that fails after two words, the way OpenRouter reports provider failures
/// mid-stream (HTTP status already sent as 200).
pub fn stream_error_body(model: &str) -> Vec<u8> {
    let mut s = String::from(PROCESSING_COMMENT);
    for w in ANSWER.split_inclusive(' ').take(2) {
        s.push_str(&chunk(
            model,
            &format!("{{\"role\":\"assistant\",\"content\":{}}}", json_string(w)),
            None,
        ));
    }
    s.push_str(&format!(
        "data: {{\"id\":\"gen-1732000000-mock\",\"provider\":\"Mock\",\"model\":{},\"object\":\"chat.completion.chunk\",\"created\":{CREATED},\"error\":{{\"code\":\"server_error\",\"message\":\"Provider disconnected unexpectedly\"}},\"choices\":[{{\"index\":0,\"delta\":{{\"content\":\"\"}},\"finish_reason\":\"error\"}}]}}\n\n",
        json_string(model)
    ));
    s.push_str("data: [DONE]\n\n");
    s.into_bytes()
}

/// What a correct proxy forwards for an upstream stream: the same bytes without the
/// comment events.
pub fn without_comments(upstream: &[u8]) -> Vec<u8> {
    let s = String::from_utf8_lossy(upstream);
    s.replace(PROCESSING_COMMENT, "").into_bytes()
}

/// Splits bytes at awkward places: sizes cycle through 7, 1, 13, 2, 5, so splits land
/// inside multi-byte Arabic characters, inside `data:` and inside `[DONE]`.
pub fn awkward_chunks(bytes: &[u8]) -> Vec<Vec<u8>> {
    const SIZES: [usize; 5] = [7, 1, 13, 2, 5];
    let mut out = Vec::new();
    let mut i = 0;
    let mut k = 0;
    while i < bytes.len() {
        let n = SIZES[k % SIZES.len()].min(bytes.len() - i);
        out.push(bytes[i..i + n].to_vec());
        i += n;
        k += 1;
    }
    out
}

/// OpenRouter's answer for an error status (bodies as OpenRouter sends them).
pub fn error_reply(status: u16) -> Reply {
    let (message, extra) = match status {
        400 => ("invalid_model is not a valid model ID", ""),
        401 => ("No auth credentials found", ""),
        402 => ("Insufficient credits. Add more using https://openrouter.ai/settings/credits", ""),
        403 => (
            "Input was flagged by moderation",
            ",\"metadata\":{\"reasons\":[\"harassment\"],\"flagged_input\":\"...\",\"provider_name\":\"Mock\",\"model_slug\":\"mock/model\"}",
        ),
        408 => ("Request timed out", ""),
        429 => ("Rate limit exceeded: free-models-per-min", ",\"metadata\":{\"headers\":{\"X-RateLimit-Limit\":\"20\"}}"),
        502 => ("Provider returned error", ",\"metadata\":{\"raw\":\"upstream exploded at 10.0.0.7\",\"provider_name\":\"Mock\"}"),
        503 => ("No available model provider that meets your routing requirements", ""),
        _ => ("Internal Server Error", ""),
    };
    let body = format!(
        "{{\"error\":{{\"code\":{status},\"message\":{}{extra}}},\"user_id\":\"user_mock\"}}",
        json_string(message)
    );
    let mut headers = vec![("content-type".to_owned(), "application/json".to_owned())];
    if status == 429 {
        headers.push(("retry-after".to_owned(), "7".to_owned()));
    }
    Reply::Full {
        status,
        headers,
        body: body.into_bytes(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_what_it_needs_from_a_request() {
        let p = parse_request(
            r#"{"model": "a/b", "messages":[{"role":"user","content":"hi [mock:error-429]"}], "stream": true}"#,
        );
        assert_eq!(p.model, "a/b");
        assert!(p.stream);
        assert_eq!(p.scenario.as_deref(), Some("error-429"));
    }

    #[test]
    fn awkward_chunks_cover_every_byte_and_split_arabic() {
        let body = stream_body("m", ANSWER, true);
        let chunks = awkward_chunks(&body);
        assert_eq!(chunks.concat(), body);
        assert!(
            chunks.iter().any(|c| std::str::from_utf8(c).is_err()),
            "some chunk splits a character"
        );
        let s = String::from_utf8(without_comments(&body)).unwrap();
        assert!(!s.contains("OPENROUTER"));
        assert!(s.ends_with("data: [DONE]\n\n"));
    }

    #[test]
    fn serves_records_and_replays() {
        let (_, mock) = start();
        mock.push_reply(error_reply(429));
        let url = format!("{}/chat/completions", mock.base_url());
        let auth = vec![("authorization".to_owned(), "Bearer k".to_owned())];
        let r = http1::send("POST", &url, &auth, b"{}", Duration::from_secs(5)).unwrap();
        assert_eq!((r.status, r.header("retry-after")), (429, Some("7")));

        let body = br#"{"model":"x/y","messages":[{"role":"user","content":"hi"}],"stream":true}"#;
        let mut r = http1::send("POST", &url, &auth, body, Duration::from_secs(5)).unwrap();
        assert_eq!(r.header("content-type"), Some("text/event-stream"));
        let mut got = Vec::new();
        std::io::Read::read_to_end(&mut r.body, &mut got).unwrap();
        assert_eq!(got, stream_body("x/y", ANSWER, false));

        let reqs = mock.requests();
        assert_eq!(reqs.len(), 2);
        assert_eq!(reqs[1].body, body);
        assert_eq!(reqs[1].header("authorization"), Some("Bearer k"));
        assert_eq!(reqs[1].path, "/api/v1/chat/completions");
    }
}
