//! A test-only host that runs the components `spin.toml` names the way Spin runs them.
//!
//! The Spin CLI cannot be installed where sawt is built, so this crate embeds the same engine
//! Spin is built on (wasmtime, wasmtime-wasi, wasmtime-wasi-http of one version) and provides
//! exactly the Spin interfaces sawt's components import:
//!
//! - `fermyon:spin/key-value@2.0.0`: store "default" (granted by `key_value_stores`), shared
//!   in memory by every request of one harness, with platform size limits ([`KvLimits`]);
//! - `fermyon:spin/variables@2.0.0`: `[variables]` resolved from overrides, then
//!   `SPIN_VARIABLE_<NAME>`, then defaults; a component sees only the names it maps;
//! - `wasi:http/outgoing-handler`: only hosts matched by `allowed_outbound_hosts`, every
//!   attempt recorded; anything else gets `HttpRequestDenied`;
//! - `wasi:http/incoming-handler`: Spin's router and `spin-*` headers, a fresh instance per
//!   request, in-process ([`Harness::handle`]) or on a loopback listener ([`Harness::serve`]).
//!
//! A trap, a guest that misses its [`HarnessOptions::request_deadline`], or an error after the
//! response started is a [`HarnessError::Trap`] in-process and Spin's empty 500 over the
//! listener; all are recorded in [`Harness::metrics`] so a test can assert that nothing trapped.
//!
//! Layout: [`Harness`] and its loading live in `app`, the per-request work in `dispatch`, the
//! in-process client in `in_process`, the listener in `serve`; `host` is the wasmtime side and
//! `kv`, `outbound`, `variables`, `routing`, `manifest` the Spin features one each.

mod app;
mod dispatch;
mod error;
mod host;
mod in_process;
mod kv;
mod manifest;
mod metrics;
mod options;
mod outbound;
mod routing;
mod serve;
mod variables;

pub use app::{resolve_source, Harness};
pub use error::HarnessError;
pub use host::componentize_if_necessary;
pub use in_process::RepeatBody;
pub use kv::{KvError, KvLimits, KvStore, MAX_OPEN_STORES};
pub use manifest::{ComponentDecl, HttpRoute, Manifest, VariableDecl};
pub use metrics::{HarnessResponse, RequestMetrics};
pub use options::{HarnessOptions, DEFAULT_REQUEST_DEADLINE};
pub use outbound::{AllowedHost, OutboundAttempt};
pub use routing::RouteMatch;
