//! The loopback listener: the app on a real socket, with Spin's behaviour on the wire.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;

use http::StatusCode;
use http_body_util::BodyExt;
use wasmtime_wasi_http::p2::body::HyperOutgoingBody;

use crate::app::{Harness, Inner};
use crate::dispatch::{empty_response, Dispatched};
use crate::error::HarnessError;

impl Harness {
    /// Listens on `addr` (e.g. "127.0.0.1:0") and serves the app like `spin up` until the
    /// tokio runtime shuts down. Returns the bound address for SDKs and browsers.
    pub async fn serve(&self, addr: &str) -> Result<SocketAddr, HarnessError> {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|source| HarnessError::Listen {
                addr: addr.to_owned(),
                source,
            })?;
        let local = listener
            .local_addr()
            .map_err(|source| HarnessError::Listen {
                addr: addr.to_owned(),
                source,
            })?;
        let inner = self.inner.clone();
        tokio::spawn(async move {
            loop {
                let Ok((stream, client)) = listener.accept().await else {
                    continue;
                };
                let inner = inner.clone();
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |req| {
                        let inner = inner.clone();
                        async move { Ok::<_, Infallible>(inner.serve_one(req, client).await) }
                    });
                    // Connection errors (client went away) end only that connection.
                    let _ = hyper::server::conn::http1::Builder::new()
                        .keep_alive(true)
                        .serve_connection(wasmtime_wasi_http::io::TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Ok(local)
    }
}

impl Inner {
    /// One request on the listener: Spin's behaviour on the wire (empty 500 on a trap).
    async fn serve_one(
        self: Arc<Self>,
        request: http::Request<hyper::body::Incoming>,
        client: SocketAddr,
    ) -> http::Response<HyperOutgoingBody> {
        let request = request.map(|b| b.map_err(wasmtime_wasi_http::Error::from).boxed_unsync());
        match self.dispatch(request, client).await {
            Ok(Dispatched::Static(response)) => response,
            Ok(Dispatched::Component(response, running)) => {
                // Stream as Spin does; the outcome is recorded once the guest returns.
                let status = response.status().as_u16();
                let inner = self.clone();
                tokio::spawn(async move {
                    let (metrics, output) = running.finish(status).await;
                    if let Some(trap) = &metrics.trap {
                        eprintln!(
                            "spin-harness: component {:?} failed after the response started: {trap}\n{output}",
                            metrics.component
                        );
                    }
                    inner.record(metrics);
                });
                response
            }
            Err(e) => {
                eprintln!("spin-harness: {e}");
                empty_response(StatusCode::INTERNAL_SERVER_ERROR)
            }
        }
    }
}
