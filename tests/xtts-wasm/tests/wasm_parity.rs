//! The XTTS core inside wasm32-wasip1 (wasmtime, +simd128) gives coqui-tts's outputs on the
//! fixture — voices, greedy codes, latents, one-shot and streamed waveforms — with the same
//! checks as the native test (sawt_xtts::parity), and the same bytes as the native build.
//! Needs `cargo build --target wasm32-wasip1 --release -p xtts-wasm` first (scripts/check).

use std::path::PathBuf;

use sawt_xtts::parity::{
    check_fixture, check_teacher_forced, compare, load_model, load_model_with_gpt, run_fixture,
    run_teacher_forced, unfloats, Fixture, QUANTIZED,
};
use serde_json::Value;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fixtures/xtts")
}

fn module() -> PathBuf {
    let m = whisper_wasm::probe_module().with_file_name("xtts-probe.wasm");
    assert!(
        m.exists(),
        "{} is missing: run `cargo build --target wasm32-wasip1 --release -p xtts-wasm`",
        m.display()
    );
    m
}

#[test]
fn wasm_synthesis_matches_coqui_and_the_native_build() {
    let dir = fixtures();
    let out =
        whisper_wasm::run(&module(), &dir, &["parity".into(), "/data".into()]).expect("wasm run");
    assert_eq!(out.exit_code, 0, "probe failed:\n{}", out.stdout);
    eprintln!(
        "xtts wasm parity run {:.0} ms, peak linear memory {:.1} MiB",
        out.wall_ms,
        out.peak_memory_bytes as f64 / 1048576.0
    );
    let wasm: Vec<Value> = out
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect();
    let fx = Fixture::load(&dir).unwrap_or_else(|e| panic!("{e}"));
    for line in check_fixture(&wasm, &fx).unwrap_or_else(|e| panic!("wasm: {e}")) {
        println!("wasm {line}");
    }
    // Second, separate check: the wasm build computes what the native build computes. Codes
    // must be identical; floats may differ by the engines' summation order (tract's wasm and
    // x86 kernels), so they are held to the parity tolerances above, not to bytes.
    let model = load_model(&dir.join("model")).unwrap_or_else(|e| panic!("{e}"));
    let native = run_fixture(&model, &dir, &fx).unwrap_or_else(|e| panic!("{e}"));
    for (w, n) in wasm.iter().zip(&native) {
        assert_eq!(
            w.get("codes"),
            n.get("codes"),
            "wasm and native codes differ"
        );
    }
}

/// The quantized GPTs in wasm (the simd128 kernels) against coqui's f32 outputs with the
/// native test's bounds, and against the native build (portable kernels, the same integer sums
/// and float order): the same greedy choices, latents equal to float rounding of exp/tanh.
#[test]
fn wasm_quantized_gpts_match_the_native_kernels() {
    let dir = fixtures();
    let fx = Fixture::load(&dir).unwrap_or_else(|e| panic!("{e}"));
    for (format, max_rel, min_agree) in QUANTIZED {
        let out = whisper_wasm::run(
            &module(),
            &dir,
            &["teacher-forced".into(), "/data".into(), format.into()],
        )
        .expect("wasm run");
        assert_eq!(out.exit_code, 0, "probe failed:\n{}", out.stdout);
        let wasm: Vec<Value> = out
            .stdout
            .lines()
            .map(|l| serde_json::from_str(l).expect("json line"))
            .collect();
        for line in check_teacher_forced(&wasm, &fx, max_rel, min_agree)
            .unwrap_or_else(|e| panic!("wasm {format}: {e}"))
        {
            println!("wasm {format} {line}");
        }
        let gpt = dir.join(format!("model-{format}/gpt.safetensors"));
        let model = load_model_with_gpt(&dir.join("model"), &gpt).unwrap_or_else(|e| panic!("{e}"));
        let native = run_teacher_forced(&model, &fx).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(wasm.len(), native.len());
        for (i, (w, n)) in wasm.iter().zip(&native).enumerate() {
            assert_eq!(
                w["choices"], n["choices"],
                "{format} case {i}: choices differ"
            );
            let (wl, nl) = (
                unfloats(&w["latents"]).unwrap(),
                unfloats(&n["latents"]).unwrap(),
            );
            let worst = compare(&format!("{format} case {i} wasm vs native"), &wl, &nl, 1e-5)
                .unwrap_or_else(|e| panic!("{e}"));
            println!("{format} case {i}: wasm vs native latents |Δ| ≤ {worst:.2e}");
        }
    }
}
