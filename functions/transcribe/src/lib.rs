//! Spin component for `POST /v1/audio/transcriptions` and `POST /v1/audio/translations`: reads
//! the body under the configured limit, opens the "default" key-value store, and hands both to
//! `sawt_transcribe::handle`, which does everything else.

use std::cell::RefCell;
use std::collections::HashMap;
use std::time::Instant;

use futures::StreamExt;
use sawt_api::Env;
use sawt_transcribe::{body_limit, handle, Request};
use spin_sdk::http::{IncomingRequest, Response};
use spin_sdk::http_component;
use spin_sdk::key_value::Store;

use sawt_spin_kv::{SpinKv, Unavailable};

/// Spin variables, each looked up at most once per request (every lookup is a host call).
#[derive(Default)]
struct SpinEnv(RefCell<HashMap<String, Option<String>>>);

impl Env for SpinEnv {
    fn var(&self, name: &str) -> Option<String> {
        if let Some(v) = self.0.borrow().get(name) {
            return v.clone();
        }
        let value = spin_sdk::variables::get(name).ok();
        self.0.borrow_mut().insert(name.to_owned(), value.clone());
        value
    }
}

#[http_component]
async fn serve(req: IncomingRequest) -> anyhow::Result<Response> {
    let started = Instant::now();
    let env = SpinEnv::default();
    let method = req.method().to_string();
    let path = req.path_with_query().unwrap_or_else(|| "/".into());
    let headers: Vec<(String, String)> = req
        .headers()
        .entries()
        .into_iter()
        .filter_map(|(k, v)| Some((k, String::from_utf8(v).ok()?)))
        .collect();

    // One byte past the limit is enough for the core to answer 413; the rest is never read.
    let limit = body_limit(&env).saturating_add(1);
    let body = read_body(req, limit).await;

    let outcome = match Store::open_default() {
        Ok(store) => handle(
            &Request {
                method: &method,
                path: &path,
                headers: &headers,
                body: &body,
            },
            &env,
            &SpinKv(store),
        ),
        Err(e) => handle(
            &Request {
                method: &method,
                path: &path,
                headers: &headers,
                body: &body,
            },
            &env,
            &Unavailable(e.to_string()),
        ),
    };
    let t = outcome.timings;
    let r = outcome.response;
    // Route, status and timings only: never headers (keys), bodies or transcripts.
    eprintln!(
        "transcribe: {method} {} -> {} in {} ms (audio {} ms, kv read {} ms for {} bytes, model build {} ms, inference {} ms){}",
        path.split('?').next().unwrap_or(""),
        r.status,
        started.elapsed().as_millis(),
        t.audio.as_millis(),
        t.kv_read.as_millis(),
        t.model_bytes,
        t.model_build.as_millis(),
        t.inference.as_millis(),
        outcome
            .detail
            .map(|d| format!(": {d}"))
            .unwrap_or_default(),
    );
    let mut builder = Response::builder();
    builder.status(r.status);
    for (k, v) in &r.headers {
        builder.header(k.as_str(), v.as_str());
    }
    Ok(builder.body(r.body).build())
}

/// Reads at most `limit` bytes. A stream error keeps what arrived: the form parser then
/// reports the body as incomplete (400) instead of the component trapping.
async fn read_body(req: IncomingRequest, limit: usize) -> Vec<u8> {
    let mut stream = req.into_body_stream();
    let mut body = Vec::new();
    while let Some(chunk) = stream.next().await {
        let Ok(chunk) = chunk else { break };
        let room = limit.saturating_sub(body.len());
        body.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if body.len() >= limit {
            break;
        }
    }
    body
}
