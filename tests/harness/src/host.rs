//! The wasmtime side: one engine per process, components compiled once (after Spin-style
//! componentizing of wasip1 modules), and a fresh `Store` + instance for every request with
//! WASI, wasi-http and the `fermyon:spin` interfaces linked in.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant, SystemTime};

use wasmtime::component::{Component, HasSelf, Linker, Resource, ResourceTable};
use wasmtime::{Engine, Store};
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};
use wasmtime_wasi_http::p2::bindings::ProxyPre;
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

use crate::kv::{KvBackend, KvError, KvStore};
use crate::outbound::{AllowedHost, OutboundHooks, OutboundLog};
use crate::variables::{lookup, AppVariables, Lookup, Template};

mod bindings {
    wasmtime::component::bindgen!({
        path: "wit",
        world: "sawt:harness/spin-host",
        imports: { default: trappable },
        with: { "fermyon:spin/key-value.store": crate::kv::KvStore },
    });
}

use bindings::fermyon::spin::{key_value, variables};

/// Guest stdout/stderr kept per request (a panic message lands here before the trap).
const CAPTURE_BYTES: usize = 64 << 20;

/// How often the engine's epoch advances: Spin's `DEFAULT_EPOCH_TICK_INTERVAL`
/// (spinframework/spin@94a8fc8a7804ec2519bb8d12df70ab77ad2e4f60 crates/core/src/lib.rs).
const EPOCH_TICK: Duration = Duration::from_millis(10);

/// One engine for the whole process, so compiled components are shared by every harness.
///
/// Epoch interruption is on, as in Spin, so a guest spinning in wasm code traps at its request
/// deadline ([`set_deadline`]); a guest parked in a host call is stopped by the dispatcher's
/// timer instead, since epochs are only checked while wasm runs.
pub(crate) fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        let mut config = wasmtime::Config::new();
        config.wasm_component_model(true);
        config.epoch_interruption(true);
        let engine = Engine::new(&config).expect("the default wasmtime configuration is valid");
        let ticker = engine.clone();
        std::thread::Builder::new()
            .name("spin-harness-epoch".into())
            .spawn(move || loop {
                std::thread::sleep(EPOCH_TICK);
                ticker.increment_epoch();
            })
            .expect("spawning the epoch ticker thread");
        engine
    })
}

/// Makes the store trap once `deadline` has passed, counted from now, the way Spin's
/// `Store::set_deadline` converts it to epoch ticks (one extra for the tick in progress).
fn set_deadline<T>(store: &mut Store<T>, deadline: Duration) {
    let ticks = deadline.as_micros() / EPOCH_TICK.as_micros();
    // Far beyond any test, and clear of overflow when wasmtime adds the current epoch.
    let ticks = u64::try_from(ticks)
        .unwrap_or(u64::MAX / 2)
        .min(u64::MAX / 2);
    store.set_epoch_deadline(ticks + 1);
    store.epoch_deadline_trap();
}

/// Whether a guest call failed because its epoch deadline passed.
pub(crate) fn is_deadline_trap(e: &wasmtime::Error) -> bool {
    e.downcast_ref::<wasmtime::Trap>() == Some(&wasmtime::Trap::Interrupt)
}

/// Spin's `componentize_if_necessary`: a core module built for wasm32-wasip1 (as spin-sdk 5
/// produces) is wrapped with wit-component and the wasi_snapshot_preview1 reactor adapter.
pub fn componentize_if_necessary(bytes: &[u8]) -> Result<Vec<u8>, String> {
    // Layer field of the preamble: 0x01 0x00 is a component, 0x00 0x00 a core module.
    let is_component = bytes.len() >= 8 && bytes[..4] == *b"\0asm" && bytes[6..8] == [1, 0];
    if is_component {
        return Ok(bytes.to_vec());
    }
    wit_component::ComponentEncoder::default()
        .validate(true)
        .module(bytes)
        .and_then(|e| {
            e.adapter(
                wasi_preview1_component_adapter_provider::WASI_SNAPSHOT_PREVIEW1_ADAPTER_NAME,
                wasi_preview1_component_adapter_provider::WASI_SNAPSHOT_PREVIEW1_REACTOR_ADAPTER,
            )
        })
        .and_then(|mut e| e.encode())
        .map_err(|e| format!("{e:#}"))
}

/// Compiles (or reuses) the component at `path`. Keyed by path, size and mtime so a rebuilt
/// wasm is picked up within one test process.
pub(crate) fn load_component(path: &Path) -> Result<(Component, Duration), String> {
    type Key = (PathBuf, u64, SystemTime);
    static CACHE: OnceLock<Mutex<HashMap<Key, (Component, Duration)>>> = OnceLock::new();
    let meta = std::fs::metadata(path).map_err(|e| e.to_string())?;
    let key = (
        path.to_owned(),
        meta.len(),
        meta.modified().unwrap_or(SystemTime::UNIX_EPOCH),
    );
    // Held across the compile: two harnesses asking for one wasm compile it once.
    let mut cache = CACHE
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    if let Some(hit) = cache.get(&key) {
        return Ok(hit.clone());
    }
    let started = Instant::now();
    let bytes = std::fs::read(path).map_err(|e| e.to_string())?;
    let component_bytes = componentize_if_necessary(&bytes)?;
    let component =
        Component::new(engine(), &component_bytes).map_err(|e| format!("compile: {e:?}"))?;
    let entry = (component, started.elapsed());
    cache.insert(key, entry.clone());
    Ok(entry)
}

/// Everything one component needs per request, prepared once.
pub(crate) struct LoadedComponent {
    pub id: String,
    pub pre: ProxyPre<HostState>,
    pub allowed_hosts: Arc<Vec<AllowedHost>>,
    pub kv_grants: Arc<Vec<String>>,
    pub variables: Arc<BTreeMap<String, Template>>,
    pub environment: Vec<(String, String)>,
    pub compile_time: Duration,
}

pub(crate) fn linker() -> Result<Linker<HostState>, String> {
    let mut linker = Linker::new(engine());
    wasmtime_wasi::p2::add_to_linker_async(&mut linker).map_err(|e| format!("{e:?}"))?;
    wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker)
        .map_err(|e| format!("{e:?}"))?;
    bindings::SpinHost::add_to_linker::<HostState, HasSelf<HostState>>(&mut linker, |s| s)
        .map_err(|e| format!("{e:?}"))?;
    Ok(linker)
}

/// Tracks the peak linear memory of an instance and optionally caps it (e.g. Akamai's
/// 128 MiB per request), so a test sees an out-of-memory trap where the platform would.
pub(crate) struct MemoryTracker {
    pub peak: usize,
    pub limit: Option<usize>,
}

impl wasmtime::ResourceLimiter for MemoryTracker {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if self.limit.is_some_and(|limit| desired > limit) {
            return Ok(false);
        }
        self.peak = self.peak.max(desired);
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        _desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(true)
    }
}

/// The `T` of `Store<T>`: one per request.
pub(crate) struct HostState {
    table: ResourceTable,
    wasi: WasiCtx,
    http: WasiHttpCtx,
    hooks: OutboundHooks,
    component: String,
    kv: KvBackend,
    kv_grants: Arc<Vec<String>>,
    /// `store` handles this instance holds (Spin caps them, see `kv::MAX_OPEN_STORES`).
    kv_open: usize,
    variables: Arc<BTreeMap<String, Template>>,
    app_variables: Arc<AppVariables>,
    pub memory: MemoryTracker,
}

/// Per-harness state every new store is built from.
pub(crate) struct StoreSeed<'a> {
    pub component: &'a LoadedComponent,
    pub kv: &'a KvBackend,
    pub app_variables: &'a Arc<AppVariables>,
    pub outbound: &'a OutboundLog,
    pub memory_limit: Option<usize>,
    pub inherit_stdio: bool,
    /// From store creation, so instantiation counts too.
    pub deadline: Duration,
}

/// A fresh store for one request, plus the pipes holding the guest's stdout and stderr.
pub(crate) fn new_store(seed: StoreSeed<'_>) -> (Store<HostState>, Option<MemoryOutputPipe>) {
    let mut wasi = WasiCtxBuilder::new();
    wasi.envs(&seed.component.environment);
    // Spin grants no raw sockets to components that only declare HTTP hosts; sawt's
    // components only use wasi-http, so every socket address is refused.
    wasi.socket_addr_check(|_, _| Box::pin(async { false }));
    let captured = if seed.inherit_stdio {
        wasi.inherit_stdout().inherit_stderr();
        None
    } else {
        let pipe = MemoryOutputPipe::new(CAPTURE_BYTES);
        wasi.stdout(pipe.clone()).stderr(pipe.clone());
        Some(pipe)
    };
    let state = HostState {
        table: ResourceTable::new(),
        wasi: wasi.build(),
        http: WasiHttpCtx::new(),
        hooks: OutboundHooks {
            component: seed.component.id.clone(),
            allowed: seed.component.allowed_hosts.clone(),
            log: seed.outbound.clone(),
        },
        component: seed.component.id.clone(),
        kv: seed.kv.clone(),
        kv_grants: seed.component.kv_grants.clone(),
        kv_open: 0,
        variables: seed.component.variables.clone(),
        app_variables: seed.app_variables.clone(),
        memory: MemoryTracker {
            peak: 0,
            limit: seed.memory_limit,
        },
    };
    let mut store = Store::new(engine(), state);
    store.limiter(|s| &mut s.memory);
    set_deadline(&mut store, seed.deadline);
    (store, captured)
}

impl WasiView for HostState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl WasiHttpView for HostState {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView {
            ctx: &mut self.http,
            table: &mut self.table,
            hooks: &mut self.hooks,
        }
    }
}

impl From<KvError> for key_value::Error {
    fn from(e: KvError) -> Self {
        match e {
            KvError::StoreTableFull => Self::StoreTableFull,
            KvError::NoSuchStore => Self::NoSuchStore,
            KvError::AccessDenied => Self::AccessDenied,
            KvError::Other(m) => Self::Other(m),
        }
    }
}

type KvResult<T> = wasmtime::Result<Result<T, key_value::Error>>;

impl key_value::Host for HostState {}

impl key_value::HostStore for HostState {
    fn open(&mut self, label: String) -> KvResult<Resource<KvStore>> {
        match self.kv.open(&label, &self.kv_grants, self.kv_open) {
            Ok(store) => {
                let handle = self.table.push(store)?;
                self.kv_open += 1;
                Ok(Ok(handle))
            }
            Err(e) => Ok(Err(e.into())),
        }
    }

    fn get(&mut self, store: Resource<KvStore>, key: String) -> KvResult<Option<Vec<u8>>> {
        Ok(Ok(self.table.get(&store)?.get(&key)))
    }

    fn set(&mut self, store: Resource<KvStore>, key: String, value: Vec<u8>) -> KvResult<()> {
        Ok(self
            .table
            .get(&store)?
            .set(&key, &value)
            .map_err(Into::into))
    }

    fn delete(&mut self, store: Resource<KvStore>, key: String) -> KvResult<()> {
        self.table.get(&store)?.delete(&key);
        Ok(Ok(()))
    }

    fn exists(&mut self, store: Resource<KvStore>, key: String) -> KvResult<bool> {
        Ok(Ok(self.table.get(&store)?.exists(&key)))
    }

    fn get_keys(&mut self, store: Resource<KvStore>) -> KvResult<Vec<String>> {
        Ok(Ok(self.table.get(&store)?.keys()))
    }

    fn drop(&mut self, store: Resource<KvStore>) -> wasmtime::Result<()> {
        self.table.delete(store)?;
        self.kv_open = self.kv_open.saturating_sub(1);
        Ok(())
    }
}

impl variables::Host for HostState {
    fn get(&mut self, name: String) -> wasmtime::Result<Result<String, variables::Error>> {
        Ok(
            match lookup(&self.component, &self.variables, &self.app_variables, &name) {
                Lookup::Value(v) => Ok(v),
                Lookup::InvalidName(m) => Err(variables::Error::InvalidName(m)),
                Lookup::Undefined(m) => Err(variables::Error::Undefined(m)),
                Lookup::Provider(m) => Err(variables::Error::Provider(m)),
            },
        )
    }
}
