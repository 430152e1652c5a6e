//! Host side of the wasm checks: run a wasm32-wasip1 command module under wasmtime.

#[cfg(all(feature = "host", not(target_arch = "wasm32")))]
mod host {
    use std::path::{Path, PathBuf};
    use std::time::Instant;

    use wasmtime::{Config, Engine, Linker, Module, OptLevel, Store};
    use wasmtime_wasi::p1::WasiP1Ctx;
    use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
    use wasmtime_wasi::{FsPerms, WasiCtxBuilder};

    pub struct RunOutput {
        pub stdout: String,
        pub exit_code: i32,
        /// Linear memory at exit; wasm memory never shrinks, so this is the peak.
        pub peak_memory_bytes: usize,
        pub wall_ms: f64,
    }

    /// The probe module as `cargo build --target wasm32-wasip1 --release -p whisper-wasm`
    /// leaves it (honours CARGO_TARGET_DIR).
    pub fn probe_module() -> PathBuf {
        let target = std::env::var_os("CARGO_TARGET_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target"));
        target.join("wasm32-wasip1/release/whisper-probe.wasm")
    }

    /// wasmtime has its own error type; keep the whole chain in the message.
    fn err(context: &str) -> impl Fn(wasmtime::Error) -> anyhow::Error + '_ {
        move |e| anyhow::anyhow!("{context}: {e:?}")
    }

    pub fn run(module: &Path, dir: &Path, args: &[String]) -> anyhow::Result<RunOutput> {
        let mut config = Config::new();
        config.cranelift_opt_level(OptLevel::Speed);
        let engine = Engine::new(&config).map_err(err("engine"))?;
        let label = format!("loading {}", module.display());
        let module = Module::from_file(&engine, module).map_err(err(&label))?;
        let mut linker: Linker<WasiP1Ctx> = Linker::new(&engine);
        wasmtime_wasi::p1::add_to_linker_sync(&mut linker, |t| t).map_err(err("linker"))?;
        let stdout = MemoryOutputPipe::new(64 << 20);
        let mut argv = vec!["probe".to_string()];
        argv.extend(args.iter().cloned());
        let wasi = WasiCtxBuilder::new()
            .args(&argv)
            .stdout(stdout.clone())
            .inherit_stderr()
            .preopened_dir(dir, "/data", FsPerms::ReadOnly)
            .map_err(err("preopen"))?
            .build_p1();
        let mut store = Store::new(&engine, wasi);
        let instance = linker
            .instantiate(&mut store, &module)
            .map_err(err("instantiate"))?;
        let start = instance
            .get_typed_func::<(), ()>(&mut store, "_start")
            .map_err(err("_start"))?;
        let t = Instant::now();
        let exit_code = match start.call(&mut store, ()) {
            Ok(()) => 0,
            Err(e) => match e.downcast_ref::<wasmtime_wasi::I32Exit>() {
                Some(code) => code.0,
                None => return Err(err("wasm trapped")(e)),
            },
        };
        let wall_ms = t.elapsed().as_secs_f64() * 1e3;
        let peak_memory_bytes = instance
            .get_memory(&mut store, "memory")
            .map(|m| m.data_size(&store))
            .unwrap_or(0);
        Ok(RunOutput {
            stdout: String::from_utf8_lossy(&stdout.contents()).into_owned(),
            exit_code,
            peak_memory_bytes,
            wall_ms,
        })
    }
}

#[cfg(all(feature = "host", not(target_arch = "wasm32")))]
pub use host::{probe_module, run, RunOutput};
