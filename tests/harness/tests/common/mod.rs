//! Helpers shared by the e2e suites.
#![allow(dead_code)] // each suite uses its own subset

use serde_json::Value;
use spin_harness::HarnessResponse;

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
