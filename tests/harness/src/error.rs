//! The one error type of the harness.

use std::path::PathBuf;

/// Everything that can go wrong loading an app or serving a request.
#[derive(Debug, thiserror::Error)]
pub enum HarnessError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("invalid manifest {path}: {message}")]
    Manifest { path: PathBuf, message: String },
    #[error("{message}")]
    Variables { message: String },
    #[error("component {component:?}: wasm not found at {path}; build it with `{build}`")]
    MissingWasm {
        component: String,
        path: PathBuf,
        build: String,
    },
    #[error("component {component:?} ({path}) cannot be loaded: {message}")]
    Load {
        component: String,
        path: PathBuf,
        message: String,
    },
    /// Also a guest that missed its request deadline (the message names the deadline).
    #[error("component {component:?} trapped: {message}\n--- guest output ---\n{output}")]
    Trap {
        component: String,
        message: String,
        /// What the guest wrote to stdout/stderr (a Rust panic message ends up here).
        output: String,
    },
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: String,
        source: std::io::Error,
    },
    #[error("bad request for the harness: {0}")]
    Request(String),
}
