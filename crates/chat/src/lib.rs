//! Runtime-neutral core of the chat function: an OpenAI-compatible
//! `POST /v1/chat/completions` proxied to OpenRouter with an Egyptian-Arabic persona,
//! and `GET /v1/models`.
//!
//! The adapters (the Spin component, the native dev server) only move bytes: they call
//! [`plan`] with the request, send the [`Forward`] it returns upstream, and hand the
//! upstream status and body back to the [`Forward`] (buffered) or to an [`SseFilter`]
//! (streamed, chunk by chunk as it arrives).

pub mod config;
pub mod handler;
pub mod models;
pub mod persona;
pub mod request;
pub mod sse;
pub mod upstream;

pub use config::{ChatConfig, Secret};
pub use handler::{
    admit, plan, read_limit, route, Forward, HttpRequest, Plan, Route, TransportError,
    UpstreamReply,
};
pub use request::UpstreamRequest;
pub use sse::SseFilter;
