//! The in-process client: a request in, the whole response (or the trap) out, no socket.

use std::convert::Infallible;
use std::fmt::Display;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::{Body, Frame, SizeHint};
use wasmtime_wasi_http::p2::body::HyperIncomingBody;

use crate::app::Harness;
use crate::dispatch::Dispatched;
use crate::error::HarnessError;
use crate::metrics::HarnessResponse;

/// A request body of `len` copies of one byte, produced 64 KiB at a time from one shared
/// chunk, so a test can send hundreds of megabytes without holding them: whatever piles up
/// then piles up in the guest, where [`crate::RequestMetrics::peak_memory_bytes`] sees it.
#[derive(Debug, Clone)]
pub struct RepeatBody {
    chunk: Bytes,
    left: u64,
}

impl RepeatBody {
    pub fn new(byte: u8, len: u64) -> Self {
        Self {
            chunk: Bytes::from(vec![byte; 64 << 10]),
            left: len,
        }
    }
}

impl Body for RepeatBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        let this = self.get_mut();
        if this.left == 0 {
            return Poll::Ready(None);
        }
        let n = usize::try_from(this.left).map_or(this.chunk.len(), |l| l.min(this.chunk.len()));
        this.left -= n as u64;
        Poll::Ready(Some(Ok(Frame::data(this.chunk.slice(..n)))))
    }

    fn is_end_stream(&self) -> bool {
        self.left == 0
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.left)
    }
}

impl Harness {
    /// Handles one request in-process and returns the whole response. A trap (also one after
    /// the response head was sent, and a missed request deadline) is an error, not a 500, so
    /// tests cannot miss it. As in Spin, the request needs a Host header or an absolute URI.
    pub async fn handle(
        &self,
        request: http::Request<impl Into<Bytes>>,
    ) -> Result<HarnessResponse, HarnessError> {
        let (parts, body) = request.into_parts();
        let body: Bytes = body.into();
        let request = http::Request::from_parts(
            parts,
            Full::new(body)
                .map_err(|never: Infallible| match never {})
                .boxed_unsync(),
        );
        self.respond(request).await
    }

    /// [`Harness::handle`] for a body that is streamed to the guest as it reads it (e.g. a
    /// [`RepeatBody`]) instead of held whole. Set `content-length` if the guest needs it.
    pub async fn handle_streaming<B>(
        &self,
        request: http::Request<B>,
    ) -> Result<HarnessResponse, HarnessError>
    where
        B: Body<Data = Bytes> + Send + 'static,
        B::Error: Display,
    {
        let request = request.map(|body| {
            body.map_err(|e| wasmtime_wasi_http::Error::InternalError(Some(e.to_string())))
                .boxed_unsync()
        });
        self.respond(request).await
    }

    async fn respond(
        &self,
        request: http::Request<HyperIncomingBody>,
    ) -> Result<HarnessResponse, HarnessError> {
        let client: SocketAddr = ([127, 0, 0, 1], 0).into();
        match self.inner.dispatch(request, client).await? {
            Dispatched::Static(response) => {
                let (parts, body) = response.into_parts();
                let body = body
                    .collect()
                    .await
                    .map(|b| b.to_bytes())
                    .unwrap_or_default();
                Ok(HarnessResponse {
                    status: parts.status,
                    headers: parts.headers,
                    body,
                    metrics: None,
                    output: String::new(),
                })
            }
            Dispatched::Component(response, running) => {
                let (parts, body) = response.into_parts();
                let collected = body.collect().await.map(|b| b.to_bytes());
                let (metrics, output) = running.finish(parts.status.as_u16()).await;
                self.inner.record(metrics.clone());
                if let Some(message) = &metrics.trap {
                    return Err(HarnessError::Trap {
                        component: metrics.component.clone(),
                        message: message.clone(),
                        output,
                    });
                }
                let body = match collected {
                    Ok(body) => body,
                    Err(e) => {
                        return Err(HarnessError::Trap {
                            component: metrics.component.clone(),
                            message: format!("response body failed: {e:?}"),
                            output,
                        })
                    }
                };
                Ok(HarnessResponse {
                    status: parts.status,
                    headers: parts.headers,
                    body,
                    metrics: Some(metrics),
                    output,
                })
            }
        }
    }

    /// `GET path` with `Host: localhost`.
    pub async fn get(&self, path: &str) -> Result<HarnessResponse, HarnessError> {
        let request = http::Request::get(path)
            .header("host", "localhost")
            .body(Bytes::new())
            .map_err(|e| HarnessError::Request(e.to_string()))?;
        self.handle(request).await
    }

    /// `method path` with a body and content type.
    pub async fn send(
        &self,
        method: &str,
        path: &str,
        content_type: &str,
        body: impl Into<Bytes>,
    ) -> Result<HarnessResponse, HarnessError> {
        let request = http::Request::builder()
            .method(method)
            .uri(path)
            .header("host", "localhost")
            .header("content-type", content_type)
            .body(body.into())
            .map_err(|e| HarnessError::Request(e.to_string()))?;
        self.handle(request).await
    }
}
