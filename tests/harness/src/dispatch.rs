//! One request through the app: Spin's well-known paths and router, the request as Spin hands
//! it to a component, a fresh instance, and the guest's outcome (trap, missed deadline) with
//! its metrics. Shared by the in-process client and the listener.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::uri::Authority;
use http::{HeaderValue, StatusCode};
use http_body_util::{BodyExt, Empty, Full};
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi_http::p2::bindings::http::types::Scheme;
use wasmtime_wasi_http::p2::body::{HyperIncomingBody, HyperOutgoingBody};

use crate::app::Inner;
use crate::error::HarnessError;
use crate::host::{self, StoreSeed};
use crate::metrics::RequestMetrics;
use crate::routing::RouteMatch;

pub(crate) enum Dispatched {
    /// Answered by the harness itself, as Spin answers 404s and its health check.
    Static(http::Response<HyperOutgoingBody>),
    Component(http::Response<HyperOutgoingBody>, Running),
}

/// How the guest call ended, and the instance's peak linear memory.
type GuestOutcome = (Result<(), String>, usize);

/// A component instance that has produced its response head.
pub(crate) struct Running {
    component: String,
    method: String,
    path: String,
    task: tokio::task::JoinHandle<GuestOutcome>,
    started: Instant,
    instantiate: Duration,
    until_head: Duration,
    captured: Option<MemoryOutputPipe>,
}

impl Running {
    /// Waits for the guest to return and reports how the request went.
    pub async fn finish(self, status: u16) -> (RequestMetrics, String) {
        let (result, peak) = match self.task.await {
            Ok(outcome) => outcome,
            Err(e) => (Err(format!("guest task failed: {e}")), 0),
        };
        let metrics = RequestMetrics {
            component: self.component,
            method: self.method,
            path: self.path,
            status,
            instantiate: self.instantiate,
            until_head: self.until_head,
            total: self.started.elapsed(),
            peak_memory_bytes: peak,
            trap: result.err(),
        };
        (metrics, captured_text(&self.captured))
    }
}

fn captured_text(captured: &Option<MemoryOutputPipe>) -> String {
    captured
        .as_ref()
        .map(|p| String::from_utf8_lossy(&p.contents()).into_owned())
        .unwrap_or_default()
}

pub(crate) fn empty_response(status: StatusCode) -> http::Response<HyperOutgoingBody> {
    let mut response = http::Response::new(
        Empty::new()
            .map_err(|never: Infallible| match never {})
            .boxed_unsync(),
    );
    *response.status_mut() = status;
    response
}

/// The failure a request past its deadline reports, naming the knob that sets it.
fn deadline_message(deadline: Duration) -> String {
    format!(
        "request deadline of {deadline:?} exceeded (HarnessOptions::request_deadline, \
         spin-harness --request-deadline)"
    )
}

/// Gives the request the absolute URI and `spin-*` headers Spin gives it, following
/// spinframework/spin@94a8fc8a7804ec2519bb8d12df70ab77ad2e4f60: `strip_forbidden_headers` and
/// `compute_default_headers` in crates/trigger-http/src/headers.rs, `set_req_uri` in
/// crates/trigger-http/src/server.rs.
fn prepare_request(
    request: &mut http::Request<HyperIncomingBody>,
    route: &RouteMatch,
    client: SocketAddr,
) -> Result<(), HarnessError> {
    // Transport-only; it breaks guests that forward the request's headers.
    request.headers_mut().remove(http::header::CONNECTION);

    // The authority is the Host header or the URI's; neither, or two that differ, is an error.
    let host_header = request
        .headers()
        .get(http::header::HOST)
        .map(|h| {
            h.to_str()
                .map_err(|_| HarnessError::Request("'Host' header is not valid UTF-8".into()))?
                .parse::<Authority>()
                .map_err(|e| {
                    HarnessError::Request(format!("'Host' header is not an authority: {e}"))
                })
        })
        .transpose()?;
    let authority = match (host_header.clone(), request.uri().authority().cloned()) {
        (None, None) => {
            return Err(HarnessError::Request(
                "no 'Host' header present in request".into(),
            ))
        }
        (Some(a), None) | (None, Some(a)) => a,
        (Some(a), Some(b)) if a != b => {
            return Err(HarnessError::Request(
                "authority in 'Host' header does not match authority in URI".into(),
            ))
        }
        (Some(a), Some(_)) => a,
    };
    let path_and_query = request
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "/".to_owned());
    let uri = format!("http://{authority}{path_and_query}");
    *request.uri_mut() = uri
        .parse()
        .map_err(|e| HarnessError::Request(format!("{uri}: {e}")))?;

    // spin-full-url takes the Host header, else "localhost" (not the URI's authority).
    let host = host_header.map_or_else(|| "localhost".to_owned(), |a| a.to_string());
    let full_url = format!("http://{host}{path_and_query}");
    for (name, value) in route.spin_headers(&full_url, &client.to_string()) {
        if let (Ok(name), Ok(value)) = (
            http::HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(&value),
        ) {
            // Spin appends after the client's own headers; replacing keeps a client from
            // putting its own spin-* value in front of the host's.
            request.headers_mut().insert(name, value);
        }
    }
    Ok(())
}

impl Inner {
    pub async fn dispatch(
        &self,
        mut request: http::Request<HyperIncomingBody>,
        client: SocketAddr,
    ) -> Result<Dispatched, HarnessError> {
        let path = request.uri().path().to_owned();
        if let Some(well_known) = path.strip_prefix("/.well-known/spin/") {
            if well_known == "health" {
                let mut response = http::Response::new(
                    Full::new(Bytes::from_static(b"OK"))
                        .map_err(|never: Infallible| match never {})
                        .boxed_unsync(),
                );
                *response.status_mut() = StatusCode::OK;
                return Ok(Dispatched::Static(response));
            }
            return Ok(Dispatched::Static(empty_response(StatusCode::NOT_FOUND)));
        }
        let Some(route) = self.router.route(&path) else {
            return Ok(Dispatched::Static(empty_response(StatusCode::NOT_FOUND)));
        };
        let component = self.components.get(&route.component).ok_or_else(|| {
            // Manifest::parse checks every trigger's component; this is a harness bug.
            HarnessError::Request(format!("route to unknown component {:?}", route.component))
        })?;
        prepare_request(&mut request, &route, client)?;

        let method = request.method().to_string();
        let deadline = self.options.request_deadline;
        let (mut store, captured) = host::new_store(StoreSeed {
            component,
            kv: &self.kv,
            app_variables: &self.app_variables,
            outbound: &self.outbound,
            memory_limit: self.options.memory_limit,
            inherit_stdio: self.options.inherit_stdio,
            deadline,
        });
        let trap = |message: String, captured: &Option<MemoryOutputPipe>| HarnessError::Trap {
            component: component.id.clone(),
            message,
            output: captured_text(captured),
        };

        let started = Instant::now();
        let proxy = match component.pre.instantiate_async(&mut store).await {
            Ok(proxy) => proxy,
            Err(e) => {
                let message = if host::is_deadline_trap(&e) {
                    deadline_message(deadline)
                } else {
                    format!("instantiation failed: {e:?}")
                };
                self.record(RequestMetrics {
                    component: component.id.clone(),
                    method,
                    path,
                    status: 500,
                    instantiate: started.elapsed(),
                    until_head: started.elapsed(),
                    total: started.elapsed(),
                    peak_memory_bytes: store.data().memory.peak,
                    trap: Some(message.clone()),
                });
                return Err(trap(message, &captured));
            }
        };
        let instantiate = started.elapsed();

        let (sender, receiver) = tokio::sync::oneshot::channel();
        let (incoming, outparam) = {
            let mut http = wasmtime_wasi_http::WasiHttpView::http(store.data_mut());
            let incoming = http
                .new_incoming_request(Scheme::Http, request)
                .map_err(|e| trap(format!("{e:?}"), &captured))?;
            let outparam = http
                .new_response_outparam(sender)
                .map_err(|e| trap(format!("{e:?}"), &captured))?;
            (incoming, outparam)
        };
        let task = tokio::spawn(async move {
            let call = proxy
                .wasi_http_incoming_handler()
                .call_handle(&mut store, incoming, outparam);
            // The epoch deadline stops wasm code; this timer stops a guest parked in a host
            // call (a sleep, a hung upstream), where epochs are not checked. Dropping the call
            // drops the instance with it.
            let remaining = deadline.saturating_sub(started.elapsed());
            let result = match tokio::time::timeout(remaining, call).await {
                Ok(Ok(())) => Ok(()),
                Ok(Err(e)) if host::is_deadline_trap(&e) => Err(deadline_message(deadline)),
                Ok(Err(e)) => Err(format!("{e:?}")),
                Err(_elapsed) => Err(deadline_message(deadline)),
            };
            (result, store.data().memory.peak)
        });

        let fail = |message: String, task_result: Option<GuestOutcome>| {
            let peak = task_result.as_ref().map(|r| r.1).unwrap_or(0);
            RequestMetrics {
                component: component.id.clone(),
                method: method.clone(),
                path: path.clone(),
                status: 500,
                instantiate,
                until_head: started.elapsed(),
                total: started.elapsed(),
                peak_memory_bytes: peak,
                trap: Some(message),
            }
        };
        match receiver.await {
            Ok(Ok(response)) => Ok(Dispatched::Component(
                response,
                Running {
                    component: component.id.clone(),
                    method,
                    path,
                    task,
                    started,
                    instantiate,
                    until_head: started.elapsed(),
                    captured,
                },
            )),
            Ok(Err(code)) => {
                let result = task.await.ok();
                let metrics = fail(format!("guest answered with error {code:?}"), result);
                let message = metrics.trap.clone().unwrap_or_default();
                self.record(metrics);
                Err(trap(message, &captured))
            }
            Err(_) => {
                let result = task.await.ok();
                let message = match &result {
                    Some((Err(e), _)) => e.clone(),
                    Some((Ok(()), _)) => "guest returned without setting a response".into(),
                    None => "guest task panicked".into(),
                };
                self.record(fail(message.clone(), result));
                Err(trap(message, &captured))
            }
        }
    }
}
