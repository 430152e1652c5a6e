//! Helpers shared by the e2e suites.
#![allow(dead_code)] // each suite uses its own subset

use std::net::SocketAddr;
use std::path::PathBuf;

use sawt_cli::commands::models::{push, PushArgs, PushReport, Remote};
use serde_json::Value;
use spin_harness::HarnessResponse;

/// `sawt models push DIR --name NAME` against the app's loopback listener at `addr`, through
/// the admin component (the CLI blocks, so it runs off the async runtime).
pub async fn push_through_admin(
    addr: SocketAddr,
    dir: PathBuf,
    name: &str,
    token: &str,
) -> PushReport {
    let args = PushArgs {
        dir,
        name: Some(name.into()),
        metadata: None,
        remote: Remote {
            url: format!("http://{addr}"),
            token: token.into(),
            retries: 0,
        },
    };
    tokio::task::spawn_blocking(move || push(&args))
        .await
        .unwrap()
        .unwrap_or_else(|e| panic!("sawt models push through the admin component: {e:#}"))
}

/// Checks the OpenAI error envelope (`{"error": {"message", "type", ...}}`) and returns `error`.
pub fn error_of(r: &HarnessResponse) -> Value {
    let v: Value =
        serde_json::from_slice(&r.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", r.text()));
    assert!(
        v["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "no error envelope: {v}"
    );
    assert!(v["error"]["type"].is_string(), "no error type: {v}");
    v["error"].clone()
}

/// Per-request cold start and memory as the harness saw them, plus the component's own log
/// line (model load, timings), for the closing note and CI logs.
pub fn report(label: &str, component: &str, r: &HarnessResponse) {
    let Some(m) = &r.metrics else { return };
    let prefix = format!("{component}:");
    let log = r
        .output
        .lines()
        .find(|l| l.starts_with(&prefix))
        .unwrap_or("");
    eprintln!(
        "{label}: status {} instantiate {:?} total {:?} peak memory {:.1} MiB | {log}",
        m.status,
        m.instantiate,
        m.total,
        m.peak_memory_bytes as f64 / (1024.0 * 1024.0)
    );
}
