//! [`Harness`]: a loaded app (manifest, router, compiled components, shared state) and what a
//! test can read from it afterwards.

use std::collections::BTreeMap;
use std::path::{Component as PathPart, Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::error::HarnessError;
use crate::host::{self, LoadedComponent};
use crate::kv::{KvBackend, KvStore};
use crate::manifest::Manifest;
use crate::metrics::RequestMetrics;
use crate::options::HarnessOptions;
use crate::outbound::{AllowedHost, OutboundAttempt, OutboundLog};
use crate::routing::Router;
use crate::variables::{self, AppVariables};

/// A loaded Spin app. Cheap to clone; clones share the key-value store and the logs.
#[derive(Clone)]
pub struct Harness {
    pub(crate) inner: Arc<Inner>,
}

/// Everything requests share; `dispatch` and `serve` work on it.
pub(crate) struct Inner {
    pub manifest: Manifest,
    pub router: Router,
    pub components: BTreeMap<String, LoadedComponent>,
    pub app_variables: Arc<AppVariables>,
    pub kv: KvBackend,
    pub outbound: OutboundLog,
    pub metrics: Mutex<Vec<RequestMetrics>>,
    pub options: HarnessOptions,
}

impl Inner {
    pub fn record(&self, metrics: RequestMetrics) {
        self.metrics
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(metrics);
    }
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
                kv: KvBackend::new(options.kv_limits),
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
}
