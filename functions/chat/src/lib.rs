//! Spin component for `/v1/chat/completions` and `/v1/models`: a thin adapter over
//! `sawt-chat`. It reads the request, asks the core for a plan, and moves bytes: streamed
//! answers are written to the client chunk by chunk as upstream produces them.

use std::time::{Duration, Instant};

use futures::{SinkExt, StreamExt};
use sawt_chat::{admit, plan, Forward, HttpRequest, Plan, TransportError, UpstreamReply};
use sawt_spin::outbound::{body_chunks, post, Outbound};
use sawt_spin::{head, log_line, read_body, send, start_stream, SpinEnv};
use spin_sdk::http::{IncomingRequest, ResponseOutparam};
use spin_sdk::http_component;

#[http_component]
async fn handle(req: IncomingRequest, out: ResponseOutparam) {
    let started = Instant::now();
    let env = SpinEnv::default();
    let head = head(&req);
    // Route and client key from the head first: nothing is buffered for a refused request.
    let status = match admit(&head, &env) {
        Err(e) => {
            send(out, e.to_response()).await;
            e.status.to_string()
        }
        Ok(limit) => match read_body(req, limit).await {
            Err(e) => {
                send(out, e.to_response()).await;
                e.status.to_string()
            }
            Ok(body) => {
                let request = HttpRequest {
                    method: &head.method,
                    path: &head.path,
                    authorization: head.header("authorization"),
                    body: &body,
                };
                match plan(&request, &env) {
                    Plan::Respond(response) => {
                        let status = response.status;
                        send(out, response).await;
                        status.to_string()
                    }
                    Plan::Forward(forward) => proxy(&forward, out).await,
                }
            }
        },
    };
    // Never log headers or bodies: they hold keys and user text.
    log_line(&format!(
        "chat: {} {} -> {status} in {} ms",
        head.method,
        head.route(),
        started.elapsed().as_millis()
    ));
}

/// Sends the request upstream and relays the answer; returns the status for the log line.
async fn proxy(forward: &Forward, out: ResponseOutparam) -> String {
    let up = &forward.upstream;
    let request = Outbound {
        url: &up.url,
        headers: &up.headers,
        body: up.body.clone(),
        timeout: Duration::from_secs(forward.timeout_secs),
    };
    let upstream = match post(request).await {
        Ok(r) => r,
        Err(e) => {
            let response = forward.transport_error(e);
            let status = response.status;
            send(out, response).await;
            return format!("{status} ({e:?}) {}", forward.describe());
        }
    };
    let status = upstream.status();
    let header = |name: &str| {
        upstream
            .headers()
            .get(name)
            .into_iter()
            .next()
            .and_then(|v| String::from_utf8(v).ok())
    };
    let content_type = header("content-type");
    let retry_after = header("retry-after");

    match forward.on_head(status, content_type.as_deref()) {
        UpstreamReply::Stream(head, mut filter) => {
            let Some(mut sink) = start_stream(out, &head) else {
                return "500 (bad head)".into();
            };
            let mut body = body_chunks(&upstream);
            let mut chunks = 0usize;
            let mut failed = None;
            while let Some(chunk) = body.next().await {
                let bytes = match chunk {
                    Ok(chunk) => filter.feed(&chunk),
                    Err(kind) => {
                        failed = Some(kind);
                        forward.stream_failure(&mut filter, kind)
                    }
                };
                if !bytes.is_empty() {
                    chunks += 1;
                    if sink.send(bytes).await.is_err() {
                        // The client went away; stop reading upstream.
                        return format!("200 (client closed) {}", forward.describe());
                    }
                }
                if failed.is_some() {
                    break;
                }
            }
            if failed.is_none() {
                let tail = filter.finish();
                if !tail.is_empty() {
                    let _ = sink.send(tail).await;
                }
            }
            let _ = sink.close().await;
            format!(
                "200 stream chunks={chunks} done={} error={} {}",
                filter.saw_done(),
                filter.saw_error(),
                forward.describe()
            )
        }
        UpstreamReply::Buffer => {
            let mut body = Vec::new();
            let mut stream = body_chunks(&upstream);
            while let Some(chunk) = stream.next().await {
                match chunk {
                    Ok(chunk) => {
                        body.extend_from_slice(&chunk);
                        if body.len() > forward.max_response_bytes {
                            let r = forward.transport_error(TransportError::TooLarge);
                            let s = r.status;
                            send(out, r).await;
                            return format!("{s} (too large) {}", forward.describe());
                        }
                    }
                    Err(kind) => {
                        let r = forward.transport_error(kind);
                        let s = r.status;
                        send(out, r).await;
                        return format!("{s} (body) {}", forward.describe());
                    }
                }
            }
            let response = forward.on_buffered(status, retry_after.as_deref(), &body);
            let s = response.status;
            send(out, response).await;
            format!("{s} (upstream {status}) {}", forward.describe())
        }
    }
}
