//! [`HarnessOptions`]: the `spin up` flags and platform limits that matter to tests.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use crate::kv::KvLimits;

/// [`HarnessOptions::request_deadline`] unless set: generous, since slow debug-machine
/// transcriptions must not trip it, yet finite, so a hung guest fails its test instead of
/// hanging the suite.
pub const DEFAULT_REQUEST_DEADLINE: Duration = Duration::from_secs(300);

/// How to run an app: the `spin up` flags and platform limits that matter to tests.
#[derive(Debug, Clone)]
pub struct HarnessOptions {
    /// Like `spin up --variable name=value`; wins over the environment and defaults.
    pub variables: BTreeMap<String, String>,
    /// Read `SPIN_VARIABLE_<NAME>` from the process environment, as `spin up` does.
    pub read_env: bool,
    /// Where `target/...` sources live; else `SAWT_TARGET_DIR`, then `CARGO_TARGET_DIR`, then
    /// the path as written, relative to the manifest.
    pub target_dir: Option<PathBuf>,
    pub kv_limits: KvLimits,
    /// Cap on one instance's linear memory (e.g. 128 MiB as on Akamai Functions).
    pub memory_limit: Option<usize>,
    /// Let guest output through to the harness's own stdout/stderr instead of capturing it.
    pub inherit_stdio: bool,
    /// Longest one request may run, from instantiation until the guest returns (the whole
    /// body streamed); past it the request fails as a trap naming the deadline. Like Spin's
    /// request deadline: wasm code is interrupted by epoch (10 ms granularity), a guest
    /// waiting in a host call by a timer.
    pub request_deadline: Duration,
}

impl Default for HarnessOptions {
    fn default() -> Self {
        Self {
            variables: BTreeMap::new(),
            read_env: true,
            target_dir: None,
            kv_limits: KvLimits::default(),
            memory_limit: None,
            inherit_stdio: false,
            request_deadline: DEFAULT_REQUEST_DEADLINE,
        }
    }
}

impl HarnessOptions {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn variable(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.variables.insert(name.into(), value.into());
        self
    }

    /// Ignore `SPIN_VARIABLE_*` in the environment (for tests that must not depend on it).
    pub fn without_env(mut self) -> Self {
        self.read_env = false;
        self
    }

    pub fn target_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.target_dir = Some(dir.into());
        self
    }

    pub fn kv_limits(mut self, limits: KvLimits) -> Self {
        self.kv_limits = limits;
        self
    }

    pub fn memory_limit(mut self, bytes: usize) -> Self {
        self.memory_limit = Some(bytes);
        self
    }

    pub fn inherit_stdio(mut self) -> Self {
        self.inherit_stdio = true;
        self
    }

    pub fn request_deadline(mut self, deadline: Duration) -> Self {
        self.request_deadline = deadline;
        self
    }
}
