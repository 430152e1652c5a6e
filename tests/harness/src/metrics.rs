//! What a test gets back: per-request metrics and the in-process response.

use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, StatusCode};

/// What one request cost and how it ended.
#[derive(Debug, Clone)]
pub struct RequestMetrics {
    pub component: String,
    pub method: String,
    pub path: String,
    /// The status the client saw (500 for a trap before the response started).
    pub status: u16,
    /// `instantiate_async` of the pre-linked component: the per-request cold start.
    pub instantiate: Duration,
    /// From the start of instantiation until the guest set the response head.
    pub until_head: Duration,
    /// From the start of instantiation until the guest returned and the body was complete.
    pub total: Duration,
    /// Largest size, in bytes, any one linear memory of the instance reached, its initial
    /// size included (wasmtime reports a memory's creation to the limiter as growth from 0).
    /// Wasm memory never shrinks, so this is also its size when the request ended.
    pub peak_memory_bytes: usize,
    /// The trap or guest failure, if any.
    pub trap: Option<String>,
}

/// A complete response from [`crate::Harness::handle`].
#[derive(Debug, Clone)]
pub struct HarnessResponse {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
    /// `None` when no component ran (404, health check).
    pub metrics: Option<RequestMetrics>,
    /// What the guest wrote to stdout and stderr (empty when no component ran or with
    /// [`crate::HarnessOptions::inherit_stdio`]).
    pub output: String,
}

impl HarnessResponse {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}
