//! Helpers shared by the e2e suites.

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
