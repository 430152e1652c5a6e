//! `wasm-run <module.wasm> <host-dir> [args…]`: runs a wasm32-wasip1 command module under
//! wasmtime with `<host-dir>` preopened read-only as `/data`, prints its stdout, then (on
//! stderr) the peak linear memory. Used by the parity test and the wasm benchmark.

#[cfg(all(feature = "host", not(target_arch = "wasm32")))]
fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    anyhow::ensure!(
        args.len() >= 3,
        "usage: wasm-run <module.wasm> <host-dir> [args…]"
    );
    let out = whisper_wasm::run(
        std::path::Path::new(&args[1]),
        std::path::Path::new(&args[2]),
        &args[3..],
    )?;
    print!("{}", out.stdout);
    eprintln!(
        "wasm-run: exit {}, peak linear memory {:.1} MiB, wall {:.0} ms",
        out.exit_code,
        out.peak_memory_bytes as f64 / 1048576.0,
        out.wall_ms
    );
    std::process::exit(out.exit_code);
}

#[cfg(not(all(feature = "host", not(target_arch = "wasm32"))))]
fn main() {}
