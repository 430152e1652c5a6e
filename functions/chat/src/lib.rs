//! Spin component for `/v1/chat/completions` and `/v1/models`: a thin adapter over
//! `sawt-chat`. It reads the request, asks the core for a plan, and moves bytes: streamed
//! answers are written to the client chunk by chunk as upstream produces them.

use std::cell::RefCell;
use std::collections::HashMap;
use std::future::Future;
use std::task::Poll;
use std::time::{Duration, Instant};

use futures::{SinkExt, StreamExt};
use sawt_api::{Env, Response};
use sawt_chat::request::split_url;
use sawt_chat::{plan, read_limit, Forward, HttpRequest, Plan, TransportError, UpstreamReply};
use spin_sdk::http::{
    Fields, IncomingRequest, IncomingResponse, Method, OutgoingRequest, OutgoingResponse,
    ResponseOutparam, Scheme,
};
use spin_sdk::http_component;
use spin_sdk::wit::wasi::http0_2_0::outgoing_handler;
use spin_sdk::wit::wasi::http0_2_0::types::{http_error_code, ErrorCode, RequestOptions};

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
async fn handle(req: IncomingRequest, out: ResponseOutparam) {
    let started = Instant::now();
    let env = SpinEnv::default();
    let method = req.method().to_string();
    let path = req.path_with_query().unwrap_or_else(|| "/".into());
    let authorization = req
        .headers()
        .get("authorization")
        .into_iter()
        .next()
        .and_then(|v| String::from_utf8(v).ok());

    let body = match read_body(req, read_limit(&env)).await {
        Ok(body) => body,
        Err(()) => {
            let e = sawt_api::ApiError::bad_request("could not read the request body");
            send_response(out, e.to_response()).await;
            return;
        }
    };
    let request = HttpRequest {
        method: &method,
        path: &path,
        authorization: authorization.as_deref(),
        body: &body,
    };
    let route = path.split('?').next().unwrap_or("").to_owned();
    let status = match plan(&request, &env) {
        Plan::Respond(response) => {
            let status = response.status;
            send_response(out, response).await;
            format!("{status}")
        }
        Plan::Forward(forward) => proxy(&forward, out).await,
    };
    // Never log headers or bodies: they hold keys and user text.
    eprintln!(
        "chat: {method} {route} -> {status} in {} ms",
        started.elapsed().as_millis()
    );
}

/// Reads at most `limit` bytes; the core answers 413 when it gets exactly `limit`.
async fn read_body(req: IncomingRequest, limit: usize) -> Result<Vec<u8>, ()> {
    let mut stream = req.into_body_stream();
    let mut body = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|_| ())?;
        let room = limit.saturating_sub(body.len());
        body.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if body.len() >= limit {
            break;
        }
    }
    Ok(body)
}

async fn send_response(out: ResponseOutparam, response: Response) {
    let Some(outgoing) = outgoing_head(&response) else {
        return;
    };
    if let Err(e) = out.set_with_body(outgoing, response.body).await {
        eprintln!("chat: could not write the response: {e:?}");
    }
}

fn outgoing_head(response: &Response) -> Option<OutgoingResponse> {
    let headers: Vec<(String, Vec<u8>)> = response
        .headers
        .iter()
        .map(|(k, v)| (k.clone(), v.clone().into_bytes()))
        .collect();
    let fields = Fields::from_list(&headers).ok()?;
    let outgoing = OutgoingResponse::new(fields);
    outgoing.set_status_code(response.status).ok()?;
    Some(outgoing)
}

/// Sends the request upstream and relays the answer; returns the status for the log line.
async fn proxy(forward: &Forward, out: ResponseOutparam) -> String {
    let upstream = match send_upstream(forward).await {
        Ok(r) => r,
        Err(e) => {
            let response = forward.transport_error(e);
            let status = response.status;
            send_response(out, response).await;
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
            let Some(outgoing) = outgoing_head(&head) else {
                return "500 (bad head)".into();
            };
            let mut sink = outgoing.take_body();
            out.set(outgoing);
            let mut body = upstream.take_body_stream();
            let mut chunks = 0usize;
            let mut failed = None;
            while let Some(chunk) = body.next().await {
                let bytes = match chunk {
                    Ok(chunk) => filter.feed(&chunk),
                    Err(e) => {
                        let kind = stream_error_kind(http_error_code(&e));
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
            let mut stream = upstream.take_body_stream();
            while let Some(chunk) = stream.next().await {
                match chunk {
                    Ok(chunk) => {
                        body.extend_from_slice(&chunk);
                        if body.len() > forward.max_response_bytes {
                            let r = forward.transport_error(TransportError::TooLarge);
                            let s = r.status;
                            send_response(out, r).await;
                            return format!("{s} (too large) {}", forward.describe());
                        }
                    }
                    Err(e) => {
                        let r = forward.transport_error(stream_error_kind(http_error_code(&e)));
                        let s = r.status;
                        send_response(out, r).await;
                        return format!("{s} (body) {}", forward.describe());
                    }
                }
            }
            let response = forward.on_buffered(status, retry_after.as_deref(), &body);
            let s = response.status;
            send_response(out, response).await;
            format!("{s} (upstream {status}) {}", forward.describe())
        }
    }
}

/// What an error while reading the upstream body means (a body timeout is a timeout).
fn stream_error_kind(code: Option<ErrorCode>) -> TransportError {
    code.as_ref().map_or(TransportError::Other, error_kind)
}

fn error_kind(code: &ErrorCode) -> TransportError {
    match code {
        ErrorCode::ConnectionTimeout
        | ErrorCode::ConnectionReadTimeout
        | ErrorCode::ConnectionWriteTimeout
        | ErrorCode::HttpResponseTimeout
        | ErrorCode::DnsTimeout => TransportError::Timeout,
        ErrorCode::DnsError(_)
        | ErrorCode::DestinationNotFound
        | ErrorCode::DestinationUnavailable
        | ErrorCode::DestinationIpProhibited
        | ErrorCode::DestinationIpUnroutable
        | ErrorCode::ConnectionRefused
        | ErrorCode::ConnectionTerminated
        | ErrorCode::TlsProtocolError
        | ErrorCode::TlsCertificateError
        | ErrorCode::TlsAlertReceived(_) => TransportError::Connect,
        ErrorCode::HttpResponseBodySize(_) => TransportError::TooLarge,
        _ => TransportError::Other,
    }
}

/// `spin_sdk::http::send` without options cannot set timeouts, so the request goes through
/// `outgoing-handler` directly with connect / first-byte / between-bytes timeouts.
async fn send_upstream(forward: &Forward) -> Result<IncomingResponse, TransportError> {
    let up = &forward.upstream;
    let parts = split_url(&up.url).ok_or(TransportError::Other)?;
    let headers: Vec<(String, Vec<u8>)> = up
        .headers
        .iter()
        .map(|(k, v)| (k.clone(), v.clone().into_bytes()))
        .collect();
    let fields = Fields::from_list(&headers).map_err(|_| TransportError::Other)?;
    let request = OutgoingRequest::new(fields);
    request
        .set_method(&Method::Post)
        .map_err(|_| TransportError::Other)?;
    request
        .set_scheme(Some(&if parts.https {
            Scheme::Https
        } else {
            Scheme::Http
        }))
        .map_err(|_| TransportError::Other)?;
    request
        .set_authority(Some(parts.authority))
        .map_err(|_| TransportError::Other)?;
    request
        .set_path_with_query(Some(parts.path_and_query))
        .map_err(|_| TransportError::Other)?;

    let options = RequestOptions::new();
    let timeout = Some(Duration::from_secs(forward.timeout_secs).as_nanos() as u64);
    // A host that does not support an option keeps its own default; that is fine.
    let _ = options.set_connect_timeout(timeout);
    let _ = options.set_first_byte_timeout(timeout);
    let _ = options.set_between_bytes_timeout(timeout);

    let mut body = request.take_body();
    let pending = outgoing_handler::handle(request, Some(options)).map_err(|e| {
        eprintln!("chat: upstream request refused by host: {e:?}");
        error_kind(&e)
    })?;
    body.send(up.body.clone())
        .await
        .map_err(|_| TransportError::Connect)?;
    drop(body);
    await_response(pending).await.map_err(|e| {
        // ErrorCode carries no request data, so it is safe to log.
        eprintln!("chat: upstream request failed: {e:?}");
        error_kind(&e)
    })
}

fn await_response(
    pending: spin_sdk::wit::wasi::http0_2_0::types::FutureIncomingResponse,
) -> impl Future<Output = Result<IncomingResponse, ErrorCode>> {
    let mut token: Option<spin_executor::CancelOnDropToken> = None;
    futures::future::poll_fn(move |cx| match pending.get() {
        Some(Ok(result)) => Poll::Ready(result),
        // Already taken: cannot happen for a future we own; report it as an internal error.
        Some(Err(())) => Poll::Ready(Err(ErrorCode::InternalError(None))),
        None => {
            // Keep the registration alive until the next poll (dropping it cancels it).
            drop(token.replace(spin_executor::CancelOnDropToken::from(
                spin_executor::push_waker_and_get_token(pending.subscribe(), cx.waker().clone()),
            )));
            Poll::Pending
        }
    })
}
