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
//! A trap, a guest that never answers, or an error after the response started is a
//! [`HarnessError::Trap`] in-process and Spin's empty 500 over the listener; both are recorded
//! in [`Harness::metrics`] so a test can assert that nothing trapped.

mod host;
mod kv;
mod manifest;
mod outbound;
mod routing;
mod variables;

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::{Component as PathPart, Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, StatusCode};
use http_body_util::{BodyExt, Empty, Full};
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi_http::p2::bindings::http::types::Scheme;
use wasmtime_wasi_http::p2::body::{HyperIncomingBody, HyperOutgoingBody};

pub use host::componentize_if_necessary;
pub use kv::{KvError, KvLimits, KvStore};
pub use manifest::{ComponentDecl, HttpRoute, Manifest, VariableDecl};
pub use outbound::{AllowedHost, OutboundAttempt};
pub use routing::RouteMatch;

use host::{LoadedComponent, StoreSeed};
use outbound::OutboundLog;
use routing::Router;
use variables::AppVariables;

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
}

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
    /// Highest linear-memory size the instance reached.
    pub peak_memory_bytes: usize,
    /// The trap or guest failure, if any.
    pub trap: Option<String>,
}

/// A complete response from [`Harness::handle`].
#[derive(Debug, Clone)]
pub struct HarnessResponse {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
    /// `None` when no component ran (404, health check).
    pub metrics: Option<RequestMetrics>,
    /// What the guest wrote to stdout and stderr (empty when no component ran or with
    /// [`HarnessOptions::inherit_stdio`]).
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

/// A loaded Spin app. Cheap to clone; clones share the key-value store and the logs.
#[derive(Clone)]
pub struct Harness {
    inner: Arc<Inner>,
}

struct Inner {
    manifest: Manifest,
    router: Router,
    components: BTreeMap<String, LoadedComponent>,
    app_variables: Arc<AppVariables>,
    kv: kv::KvBackend,
    outbound: OutboundLog,
    metrics: Mutex<Vec<RequestMetrics>>,
    options: HarnessOptions,
}

/// Where a component's `source` is on disk (see [`HarnessOptions::target_dir`]).
pub fn resolve_source(manifest_dir: &Path, source: &str, target_dir: Option<&Path>) -> PathBuf {
    let env_dir = || {
        ["SAWT_TARGET_DIR", "CARGO_TARGET_DIR"]
            .iter()
            .find_map(|k| std::env::var_os(k).filter(|v| !v.is_empty()))
            .map(PathBuf::from)
    };
    let target_dir = target_dir.map(Path::to_path_buf).or_else(env_dir);
    let written = Path::new(source);
    if let Some(dir) = target_dir {
        // Re-root everything after the `target` directory the manifest names.
        let parts: Vec<_> = written.components().collect();
        if let Some(i) = parts
            .iter()
            .position(|p| *p == PathPart::Normal("target".as_ref()))
        {
            return parts[i + 1..]
                .iter()
                .fold(dir, |acc, p| acc.join(p.as_os_str()));
        }
    }
    manifest_dir.join(written)
}

impl Harness {
    /// Loads `spin.toml`, resolves variables, and compiles every component it names. Fails
    /// as `spin up` would on an invalid manifest or a required variable without a value, and
    /// names the build command when a component's wasm is missing.
    pub fn from_manifest(
        path: impl AsRef<Path>,
        options: HarnessOptions,
    ) -> Result<Self, HarnessError> {
        let manifest = Manifest::load(path.as_ref())?;
        let manifest_error = |message: String| HarnessError::Manifest {
            path: path.as_ref().to_owned(),
            message,
        };
        let router = Router::build(&manifest.routes).map_err(manifest_error)?;
        let env = |k: &str| options.read_env.then(|| std::env::var(k).ok()).flatten();
        let app_variables = Arc::new(
            AppVariables::resolve(&manifest.variables, &options.variables, env)
                .map_err(|message| HarnessError::Variables { message })?,
        );
        let linker = host::linker().map_err(|message| HarnessError::Load {
            component: String::new(),
            path: PathBuf::new(),
            message,
        })?;

        let mut components = BTreeMap::new();
        for decl in manifest.components.values() {
            let wasm = resolve_source(&manifest.dir, &decl.source, options.target_dir.as_deref());
            if !wasm.exists() {
                return Err(HarnessError::MissingWasm {
                    component: decl.id.clone(),
                    path: wasm,
                    build: decl.build_command.clone().unwrap_or_else(|| {
                        "the component's build (spin.toml has no build.command)".into()
                    }),
                });
            }
            let load_error = |message: String| HarnessError::Load {
                component: decl.id.clone(),
                path: wasm.clone(),
                message,
            };
            let allowed_hosts = decl
                .allowed_outbound_hosts
                .iter()
                .map(|entry| {
                    let rendered =
                        variables::Template::parse(entry).and_then(|t| t.render(&app_variables))?;
                    AllowedHost::parse(&rendered)
                })
                .collect::<Result<Vec<_>, String>>()
                .map_err(|m| manifest_error(format!("component {:?}: {m}", decl.id)))?;
            let (component, compile_time) = host::load_component(&wasm).map_err(load_error)?;
            let instance_pre = linker.instantiate_pre(&component).map_err(|e| {
                load_error(format!(
                    "it imports something Spin provides but the harness does not: {e:?}"
                ))
            })?;
            let pre =
                wasmtime_wasi_http::p2::bindings::ProxyPre::new(instance_pre).map_err(|e| {
                    load_error(format!(
                        "it does not export wasi:http/incoming-handler: {e:?}"
                    ))
                })?;
            components.insert(
                decl.id.clone(),
                LoadedComponent {
                    id: decl.id.clone(),
                    pre,
                    allowed_hosts: Arc::new(allowed_hosts),
                    kv_grants: Arc::new(decl.key_value_stores.clone()),
                    variables: Arc::new(decl.variables.clone()),
                    environment: decl
                        .environment
                        .iter()
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect(),
                    compile_time,
                },
            );
        }

        Ok(Self {
            inner: Arc::new(Inner {
                kv: kv::KvBackend::new(options.kv_limits),
                manifest,
                router,
                components,
                app_variables,
                outbound: OutboundLog::default(),
                metrics: Mutex::new(Vec::new()),
                options,
            }),
        })
    }

    /// The variables component `id` sees, rendered as `variables.get` would return them: the
    /// configuration a native run of the same core must use to be comparable.
    pub fn component_variables(&self, id: &str) -> Result<BTreeMap<String, String>, HarnessError> {
        let component =
            self.inner.components.get(id).ok_or_else(|| {
                HarnessError::Request(format!("no component {id:?} in the manifest"))
            })?;
        component
            .variables
            .iter()
            .map(|(name, template)| {
                template
                    .render(&self.inner.app_variables)
                    .map(|v| (name.clone(), v))
                    .map_err(|message| HarnessError::Variables { message })
            })
            .collect()
    }

    pub fn manifest(&self) -> &Manifest {
        &self.inner.manifest
    }

    /// `(route, component)` as the router sees them.
    pub fn routes(&self) -> Vec<(String, String)> {
        self.inner.router.routes()
    }

    /// Time spent componentizing and compiling each component (zero when another harness in
    /// this process already compiled the same file).
    pub fn compile_times(&self) -> BTreeMap<String, Duration> {
        self.inner
            .components
            .iter()
            .map(|(id, c)| (id.clone(), c.compile_time))
            .collect()
    }

    /// The key-value store behind `label`, for seeding and inspecting in tests.
    pub fn kv(&self, label: &str) -> Option<KvStore> {
        self.inner.kv.store(label)
    }

    pub fn outbound_attempts(&self) -> Vec<OutboundAttempt> {
        self.inner.outbound.snapshot()
    }

    /// Outbound requests refused because the host was not declared.
    pub fn denied_outbound(&self) -> Vec<OutboundAttempt> {
        self.outbound_attempts()
            .into_iter()
            .filter(|a| !a.allowed)
            .collect()
    }

    pub fn metrics(&self) -> Vec<RequestMetrics> {
        self.inner
            .metrics
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Requests whose component trapped or failed to answer.
    pub fn traps(&self) -> Vec<RequestMetrics> {
        self.metrics()
            .into_iter()
            .filter(|m| m.trap.is_some())
            .collect()
    }

    /// Panics unless every request so far ran without a trap and every outbound request
    /// went to a declared host: the acceptance condition of the e2e tests.
    pub fn assert_clean(&self) {
        let traps = self.traps();
        assert!(traps.is_empty(), "components trapped: {traps:#?}");
        let denied = self.denied_outbound();
        assert!(denied.is_empty(), "undeclared hosts contacted: {denied:#?}");
    }

    /// Handles one request in-process and returns the whole response. A trap (also one after
    /// the response head was sent) is an error, not a 500, so tests cannot miss it.
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

enum Dispatched {
    /// Answered by the harness itself, as Spin answers 404s and its health check.
    Static(http::Response<HyperOutgoingBody>),
    Component(http::Response<HyperOutgoingBody>, Running),
}

type GuestOutcome = (Result<(), String>, usize);

/// A component instance that has produced its response head.
struct Running {
    component: String,
    method: String,
    path: String,
    task: tokio::task::JoinHandle<GuestOutcome>,
    started: Instant,
    instantiate: Duration,
    until_head: Duration,
    captured: Option<MemoryOutputPipe>,
}

impl Running {
    /// Waits for the guest to return and reports how the request went.
    async fn finish(self, status: u16) -> (RequestMetrics, String) {
        let (result, peak) = match self.task.await {
            Ok(outcome) => outcome,
            Err(e) => (Err(format!("guest task failed: {e}")), 0),
        };
        let metrics = RequestMetrics {
            component: self.component,
            method: self.method,
            path: self.path,
            status,
            instantiate: self.instantiate,
            until_head: self.until_head,
            total: self.started.elapsed(),
            peak_memory_bytes: peak,
            trap: result.err(),
        };
        (metrics, captured_text(&self.captured))
    }
}

fn captured_text(captured: &Option<MemoryOutputPipe>) -> String {
    captured
        .as_ref()
        .map(|p| String::from_utf8_lossy(&p.contents()).into_owned())
        .unwrap_or_default()
}

fn empty_response(status: StatusCode) -> http::Response<HyperOutgoingBody> {
    let mut response = http::Response::new(
        Empty::new()
            .map_err(|never: Infallible| match never {})
            .boxed_unsync(),
    );
    *response.status_mut() = status;
    response
}

impl Inner {
    fn record(&self, metrics: RequestMetrics) {
        self.metrics
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(metrics);
    }

    async fn dispatch(
        &self,
        mut request: http::Request<HyperIncomingBody>,
        client: SocketAddr,
    ) -> Result<Dispatched, HarnessError> {
        let path = request.uri().path().to_owned();
        if let Some(well_known) = path.strip_prefix("/.well-known/spin/") {
            if well_known == "health" {
                let mut response = http::Response::new(
                    Full::new(Bytes::from_static(b"OK"))
                        .map_err(|never: Infallible| match never {})
                        .boxed_unsync(),
                );
                *response.status_mut() = StatusCode::OK;
                return Ok(Dispatched::Static(response));
            }
            return Ok(Dispatched::Static(empty_response(StatusCode::NOT_FOUND)));
        }
        let Some(route) = self.router.route(&path) else {
            return Ok(Dispatched::Static(empty_response(StatusCode::NOT_FOUND)));
        };
        let component = self
            .components
            .get(&route.component)
            .expect("the manifest validated every trigger's component");

        // Spin hands the component an absolute URI (authority from Host) and its headers.
        let host = request
            .headers()
            .get(http::header::HOST)
            .and_then(|h| h.to_str().ok())
            .map(str::to_owned)
            .or_else(|| request.uri().authority().map(|a| a.to_string()))
            .unwrap_or_else(|| "localhost".to_owned());
        let path_and_query = request
            .uri()
            .path_and_query()
            .map(|p| p.as_str().to_owned())
            .unwrap_or_else(|| "/".to_owned());
        let full_url = format!("http://{host}{path_and_query}");
        *request.uri_mut() = full_url
            .parse()
            .map_err(|e| HarnessError::Request(format!("{full_url}: {e}")))?;
        if !request.headers().contains_key(http::header::HOST) {
            let value =
                HeaderValue::from_str(&host).map_err(|e| HarnessError::Request(e.to_string()))?;
            request.headers_mut().insert(http::header::HOST, value);
        }
        for (name, value) in route.spin_headers(&full_url, &client.to_string()) {
            if let (Ok(name), Ok(value)) = (
                http::HeaderName::from_bytes(name.as_bytes()),
                HeaderValue::from_str(&value),
            ) {
                request.headers_mut().insert(name, value);
            }
        }

        let method = request.method().to_string();
        let (mut store, captured) = host::new_store(StoreSeed {
            component,
            kv: &self.kv,
            app_variables: &self.app_variables,
            outbound: &self.outbound,
            memory_limit: self.options.memory_limit,
            inherit_stdio: self.options.inherit_stdio,
        });
        let trap = |message: String, captured: &Option<MemoryOutputPipe>| HarnessError::Trap {
            component: component.id.clone(),
            message,
            output: captured_text(captured),
        };

        let started = Instant::now();
        let proxy = match component.pre.instantiate_async(&mut store).await {
            Ok(proxy) => proxy,
            Err(e) => {
                let message = format!("instantiation failed: {e:?}");
                self.record(RequestMetrics {
                    component: component.id.clone(),
                    method,
                    path,
                    status: 500,
                    instantiate: started.elapsed(),
                    until_head: started.elapsed(),
                    total: started.elapsed(),
                    peak_memory_bytes: store.data().memory.peak,
                    trap: Some(message.clone()),
                });
                return Err(trap(message, &captured));
            }
        };
        let instantiate = started.elapsed();

        let (sender, receiver) = tokio::sync::oneshot::channel();
        let (incoming, outparam) = {
            let mut http = wasmtime_wasi_http::WasiHttpView::http(store.data_mut());
            let incoming = http
                .new_incoming_request(Scheme::Http, request)
                .map_err(|e| trap(format!("{e:?}"), &captured))?;
            let outparam = http
                .new_response_outparam(sender)
                .map_err(|e| trap(format!("{e:?}"), &captured))?;
            (incoming, outparam)
        };
        let task = tokio::spawn(async move {
            let result = proxy
                .wasi_http_incoming_handler()
                .call_handle(&mut store, incoming, outparam)
                .await
                .map_err(|e| format!("{e:?}"));
            (result, store.data().memory.peak)
        });

        let fail = |message: String, task_result: Option<GuestOutcome>| {
            let peak = task_result.as_ref().map(|r| r.1).unwrap_or(0);
            RequestMetrics {
                component: component.id.clone(),
                method: method.clone(),
                path: path.clone(),
                status: 500,
                instantiate,
                until_head: started.elapsed(),
                total: started.elapsed(),
                peak_memory_bytes: peak,
                trap: Some(message),
            }
        };
        match receiver.await {
            Ok(Ok(response)) => Ok(Dispatched::Component(
                response,
                Running {
                    component: component.id.clone(),
                    method,
                    path,
                    task,
                    started,
                    instantiate,
                    until_head: started.elapsed(),
                    captured,
                },
            )),
            Ok(Err(code)) => {
                let result = task.await.ok();
                let metrics = fail(format!("guest answered with error {code:?}"), result);
                let message = metrics.trap.clone().unwrap_or_default();
                self.record(metrics);
                Err(trap(message, &captured))
            }
            Err(_) => {
                let result = task.await.ok();
                let message = match &result {
                    Some((Err(e), _)) => e.clone(),
                    Some((Ok(()), _)) => "guest returned without setting a response".into(),
                    None => "guest task panicked".into(),
                };
                self.record(fail(message.clone(), result));
                Err(trap(message, &captured))
            }
        }
    }

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
