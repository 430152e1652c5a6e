"""Runs the Whisper benchmark and writes BENCHMARKS.md and docs/benchmarks/whisper-tiny.png.

Called by scripts/bench/run (which builds everything first); not meant to be run alone.

Engines, each a separate process per measurement, alternated (the order rotates every
repetition) so a busy moment of the machine does not land on one engine:
  sawt native       target/release/whisper-probe bench           (tract, x86_64)
  sawt wasm         whisper-probe.wasm under wasm-run             (tract, wasmtime, +simd128)
  onnxruntime       scripts/bench/ort_native.py                   (Python package, 1 thread)
  onnxruntime-web   scripts/bench/ort_web.mjs                     (Node, wasm SIMD, 1 thread)
and the transcribe component itself under the Spin harness (examples/transcribe_bench.rs):
model read from the store and verified, graphs built, a real request, per request.

Every engine gets the same mel (openai-whisper's own log-mel of the same 30 s clip) and the
same forced tokens (random weights never stop): the prompt, then 1000 + 7 i.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import wave
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
BENCH = ROOT / "models" / "bench"
MODELS = ["whisper-tiny-random", "whisper-tiny-random-int8"]
TOKENS = 64
CLIP = ROOT / "tests" / "fixtures" / "whisper" / "audio" / "speech_16k_s16_mono.wav"
CHART = ROOT / "docs" / "benchmarks" / "whisper-tiny.png"
PY = ROOT / ".venv-whisper" / "bin" / "python"
RELEASE = ROOT / "target" / "release"
WASM = ROOT / "target" / "wasm32-wasip1" / "release"

# The targets for tiny int8 in wasm, per request.
TARGET_PEAK_MIB = 128
TARGET_LOAD_MS = 150
TARGET_WASM_BYTES = 8_000_000
TARGET_COMPILE_MS = 4000
TARGET_VS_WEB = 0.8
TARGET_RTF = 0.07


class BenchError(Exception):
    pass


def tiled_clip(seconds: int, path: Path) -> None:
    """The speech fixture repeated to `seconds` (16 kHz mono 16-bit)."""
    with wave.open(str(CLIP)) as w:
        if (w.getframerate(), w.getnchannels(), w.getsampwidth()) != (16000, 1, 2):
            raise BenchError(f"{CLIP}: expected 16 kHz mono 16-bit")
        x = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
    y = np.resize(x, seconds * 16000)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes(y.astype("<i2").tobytes())


def inputs() -> None:
    for s in (30, 120):
        p = BENCH / f"clip-{s}s.wav"
        if not p.exists():
            tiled_clip(s, p)
    mel_path = BENCH / "mel-30s.f32"
    if not mel_path.exists():
        import torch
        from whisper.audio import log_mel_spectrogram, pad_or_trim

        with wave.open(str(BENCH / "clip-30s.wav")) as w:
            x = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float32) / 32768.0
        mel = log_mel_spectrogram(pad_or_trim(torch.from_numpy(x)))
        mel.numpy().astype("<f4").tofile(mel_path)


def run(cmd: list[str], what: str) -> tuple[str, str]:
    p = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, cwd=ROOT)
    if p.returncode != 0:
        raise BenchError(f"{what} failed ({p.returncode}):\n{p.stderr[-2000:]}")
    return p.stdout, p.stderr


def one_json(out: str, what: str) -> dict:
    lines = [l for l in out.splitlines() if l.startswith("{")]
    if len(lines) != 1:
        raise BenchError(f"{what}: expected one JSON line, got:\n{out[-2000:]}")
    return json.loads(lines[0])


def engine_runs() -> dict:
    mel, clip = BENCH / "mel-30s.f32", BENCH / "clip-30s.wav"

    def native(m):
        return one_json(run([RELEASE / "whisper-probe", "bench", BENCH / m, mel, TOKENS, clip], "sawt native")[0], "sawt native")

    def wasm(m):
        out, err = run([RELEASE / "wasm-run", WASM / "whisper-probe.wasm", BENCH, "bench", f"/data/{m}",
                        "/data/mel-30s.f32", TOKENS, "/data/clip-30s.wav"], "sawt wasm")
        r = one_json(out, "sawt wasm")
        peak = re.search(r"peak linear memory ([0-9.]+) MiB", err)
        if not peak:
            raise BenchError(f"wasm-run printed no peak memory:\n{err[-500:]}")
        r["peak_mib"], r["peak_kind"] = float(peak.group(1)), "linear memory"
        return r

    def ort(m):
        return one_json(run([PY, ROOT / "scripts/bench/ort_native.py", BENCH / m, mel, TOKENS], "onnxruntime")[0], "onnxruntime")

    def web(m):
        return one_json(run(["node", ROOT / "scripts/bench/ort_web.mjs", BENCH / m, mel, TOKENS], "onnxruntime-web")[0], "onnxruntime-web")

    return {"sawt native": native, "sawt wasm": wasm, "onnxruntime": ort, "onnxruntime-web": web}


def stats(values: list[float]) -> dict:
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "n": len(values)}


def machine() -> dict:
    cpu = next((l.split(":", 1)[1].strip() for l in Path("/proc/cpuinfo").read_text().splitlines()
                if l.startswith("model name")), platform.processor())
    mem = next((int(l.split()[1]) // 1024 for l in Path("/proc/meminfo").read_text().splitlines()
                if l.startswith("MemTotal")), 0)
    rustc = subprocess.run(["rustc", "-V"], capture_output=True, text=True).stdout.strip()
    node = subprocess.run(["node", "-v"], capture_output=True, text=True).stdout.strip()
    lock = (ROOT / "Cargo.lock").read_text()
    ver = lambda name: (re.search(rf'name = "{name}"\nversion = "([^"]+)"', lock) or [None, "?"])[1]
    return {"cpu": cpu, "cores": os.cpu_count(), "mem_mib": mem, "kernel": platform.release(),
            "rustc": rustc, "node": node, "tract": ver("tract-onnx"), "wasmtime": ver("wasmtime"),
            "load_before": os.getloadavg()}


def fmt(s: dict | None, unit: str = "", digits: int = 0) -> str:
    if not s:
        return "–"
    f = f"{{:.{digits}f}}"
    if s["n"] > 1 and s["max"] - s["min"] > 0:
        return f"{f.format(s['median'])}{unit} ({f.format(s['min'])}–{f.format(s['max'])})"
    return f"{f.format(s['median'])}{unit}"


def ratio(a: dict | None, b: dict | None) -> str:
    return f"{a['median'] / b['median']:.2f}×" if a and b and b["median"] else "–"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=3)
    a = ap.parse_args()
    info = machine()
    inputs()
    engines = engine_runs()
    names = list(engines)
    raw: dict = {}
    for rep in range(a.reps):
        order = names[rep % len(names):] + names[:rep % len(names)]
        for m in MODELS:
            for e in order:
                r = engines[e](m)
                raw.setdefault((e, m), []).append(r)
                print(f"rep {rep + 1}/{a.reps} {m} {e}: encoder {r['encoder_ms']:.0f} ms, step "
                      f"{r['step_ms']:.1f} ms, load {r['load_ms']:.0f} ms, peak {r.get('peak_mib') or 0:.0f} MiB",
                      flush=True)
    component: dict = {}
    # The 30 s clip every repetition; the 120 s one (four windows, ~2 minutes) once.
    for m, runs, clip in [(m, r, c) for m in MODELS for r, c in ((a.reps, 30), (1, 120))]:
        out, _ = run([RELEASE / "examples" / "transcribe_bench", BENCH / m, runs,
                      BENCH / f"clip-{clip}s.wav"], f"transcribe_bench {m} {clip} s")
        for line in out.splitlines():
            if line.startswith("{"):
                r = json.loads(line)
                component.setdefault((m, r["kind"], r.get("clip_s")), []).append(r)
                print(f"component {m}: {line}", flush=True)
    sizes = size_runs(engines["sawt wasm"])
    info["load_after"] = os.getloadavg()
    S = {k: {f: stats([r[f] for r in v if r.get(f) is not None])
             for f in ("load_ms", "encoder_ms", "encoder_cold_ms", "step_ms", "full_ms", "peak_mib", "mel_ms")
             if any(r.get(f) is not None for r in v)} for k, v in raw.items()}
    versions = {k[0]: v[0].get("version") for k, v in raw.items() if v[0].get("version")}
    write_report(info, S, raw, component, versions, a.reps, sizes)
    chart(S)


# The README's what-fits-where table: every size, f32 and int8, once each in wasm.
SIZES = ["tiny", "base", "small"]
AKAMAI_MIB, REQUEST_S, FERMYON_KEYS = 128, 30, 1024


def stored(model_dir: Path) -> tuple[int, int]:
    """(store keys, bytes) of a pushed model: every file in chunks of 1,000,000 bytes
    (crates/store CHUNK_SIZE), plus the version's manifest and the name's pointer."""
    files = [f for f in model_dir.iterdir() if f.is_file()]
    return (sum(-(-f.stat().st_size // 1_000_000) for f in files) + 2,
            sum(f.stat().st_size for f in files))


def size_runs(wasm) -> dict:
    """The wasm probe (files read, graphs built, 30 s window, forced tokens) on every size."""
    out = {}
    for size in SIZES:
        for q in ("", "-int8"):
            m = f"whisper-{size}-random{q}"
            if not (BENCH / m / "config.json").is_file():
                raise BenchError(f"{BENCH / m} is missing: scripts/bench/run makes it")
            try:
                r = wasm(m)
            except BenchError as e:
                # Recorded, not fatal: the table says which size could not run and why.
                r = {"error": str(e).strip().splitlines()[-2:]}
                r["keys"], r["bytes"] = stored(BENCH / m)
                out[m] = r
                print(f"size {m}: failed: {r['error']}", flush=True)
                continue
            r["keys"], r["bytes"] = stored(BENCH / m)
            out[m] = r
            print(f"size {m}: peak {r['peak_mib']:.0f} MiB, load {r['load_ms']:.0f} ms, encoder "
                  f"{r['encoder_ms']:.0f} ms, step {r['step_ms']:.1f} ms, {r['keys']} keys", flush=True)
    return out


def fits_table(sizes: dict, component: dict) -> list[str]:
    # The component's peak over the probe's, measured on tiny int8 in this run: what the
    # request adds (the store's chunks, the upload buffer, the HTTP and JSON work).
    q = MODELS[1]
    comp = comp_stats(component, q, 30.0, "peak_mib")
    extra = comp["median"] - sizes[q]["peak_mib"] if comp and q in sizes else 0.0
    L = ["| model | stored: keys, bytes | peak linear memory, 30 s request | 30 s, 64 tokens (wasm) | "
         "Akamai Functions | Fermyon Cloud | `spin up` | SpinKube |",
         "|---|---|---|---|---|---|---|---|"]
    for size in SIZES:
        for q, label in (("", "f32"), ("-int8", "int8")):
            r = sizes.get(f"whisper-{size}-random{q}")
            if not r:
                continue
            if "error" in r:
                why = r["error"][0].removeprefix("whisper-probe: ")
                L.append(f"| {size} {label} | {r['keys']}, {r['bytes'] / 1e6:.0f} MB | not measured: the probe's "
                         f"file read failed ({why}) | – | "
                         f"no | {'no' if r['keys'] > FERMYON_KEYS else 'unmeasured'} | unmeasured | unmeasured |")
                continue
            peak = r["peak_mib"] + extra
            secs = (r.get("mel_ms", 0) + r["full_ms"] + r["load_ms"]) / 1e3
            in_time = secs < REQUEST_S
            akamai = "yes" if peak <= AKAMAI_MIB and in_time else (
                f"no ({peak:.0f} > {AKAMAI_MIB} MiB)" if peak > AKAMAI_MIB else f"no ({secs:.0f} s > {REQUEST_S} s)")
            fermyon = "yes" if r["keys"] <= FERMYON_KEYS and in_time else (
                f"no ({r['keys']} > {FERMYON_KEYS} keys)" if r["keys"] > FERMYON_KEYS else f"no ({secs:.0f} s > {REQUEST_S} s)")
            L.append(f"| {size} {label} | {r['keys']}, {r['bytes'] / 1e6:.0f} MB | {peak:.0f} MiB | {secs:.1f} s | "
                     f"{akamai} | {fermyon} | yes | yes |")
    L.append("")
    L.append(f"Peak: the wasm probe's peak linear memory for each model plus what the transcribe "
             f"component adds per request, measured on tiny int8 in the same run ({extra:+.0f} MiB). "
             f"Time: load + mel + encoder + 64 decoder steps for one 30 s window, in wasm on this "
             f"machine (a request must finish in {REQUEST_S} s on both hosts). Akamai Functions: "
             f"{AKAMAI_MIB} MiB per request; Fermyon Cloud: no published per-request memory limit, 1,024 keys per store (shared "
             f"with every other model), 1 MB values (sawt's chunks are 1,000,000 bytes); `spin up` and SpinKube: "
             f"as much memory as the host or the pod's limit gives, up to wasm32's 4 GiB.")
    return L


def comp_stats(component: dict, m: str, clip: float, field: str) -> dict | None:
    rows = [r[field] for r in component.get((m, "request", clip), []) if r.get(field) is not None]
    return stats(rows) if rows else None


def write_report(info, S, raw, component, versions, reps, sizes) -> None:
    L = []
    w = L.append
    w("# Benchmarks: Whisper tiny, sawt against the engines a user would pick instead\n")
    w("Written by `scripts/bench/run` (numbers below came from its last run; regenerate with that one "
      "command). Not part of CI.\n")
    w(f"- Run: {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC, {reps} repetitions, engines alternated "
      f"(each measurement a fresh process); median (min–max).")
    w(f"- Machine: {info['cpu']}, {info['cores']} cores, {info['mem_mib'] / 1024:.0f} GiB, Linux {info['kernel']}; "
      f"load average {info['load_before'][0]:.2f} before, {info['load_after'][0]:.2f} after.")
    w(f"- sawt: {info['rustc']}, tract-onnx {info['tract']}, wasmtime {info['wasmtime']} (cranelift, "
      f"wasm32-wasip1 +simd128 +relaxed-simd, one thread); onnxruntime {versions.get('onnxruntime', '?')} (Python, 1 intra- and 1 "
      f"inter-op thread); onnxruntime-web {versions.get('onnxruntime-web', '?')} in Node {info['node']} (wasm "
      f"SIMD, 1 thread: the transformers.js engine).")
    w("- Model: real-size Whisper tiny (4+4 layers, d = 384, 51,865 tokens) with random weights "
      "(`scripts/make_fixtures.py --bench`), the same ONNX files for every engine: f32, and int8 "
      "(onnxruntime's dynamic quantization of the MatMul weights; the token embedding as Q8 blocks). "
      "sawt computes the logits outside the graph (hidden state × token embedding); the peers run "
      "that projection as one more ONNX graph (`scripts/bench/logits_graph.py`: MatMul, int8 for the "
      "int8 model).")
    w(f"- Input: the same 30 s log-mel for every engine (openai-whisper's own front-end), {TOKENS} forced "
      "decoder steps (the prompt, then `1000 + 7 i`: random weights never stop), each step with its "
      "argmax. Load = files read + graphs built (sawt wasm/native: from files; the component: from the "
      "key-value store, below). Peak: linear memory for wasm, process RSS otherwise (Python ≈ 10 MiB, "
      "Node ≈ 43 MiB before loading).\n")
    for m in MODELS:
        w(f"## {m}\n")
        w(f"| engine | load | encoder, 30 s window | encoder, first run | decoder step | encoder + {TOKENS} steps | peak |")
        w("|---|---|---|---|---|---|---|")
        for e in ("sawt native", "sawt wasm", "onnxruntime", "onnxruntime-web"):
            s = S.get((e, m), {})
            w(f"| {e} | {fmt(s.get('load_ms'), ' ms')} | {fmt(s.get('encoder_ms'), ' ms')} | "
              f"{fmt(s.get('encoder_cold_ms'), ' ms')} | {fmt(s.get('step_ms'), ' ms', 1)} | "
              f"{fmt(s.get('full_ms'), ' ms')} | {fmt(s.get('peak_mib'), ' MiB')} |")
        w("")
        w("Ratios (time of the first over the second; below 1 means sawt is faster):\n")
        w("| | load | encoder | decoder step | encoder + steps |")
        w("|---|---|---|---|---|")
        for a, b in (("sawt wasm", "onnxruntime-web"), ("sawt wasm", "onnxruntime"),
                     ("sawt native", "onnxruntime"), ("sawt wasm", "sawt native")):
            sa, sb = S.get((a, m), {}), S.get((b, m), {})
            w(f"| {a} / {b} | {ratio(sa.get('load_ms'), sb.get('load_ms'))} | "
              f"{ratio(sa.get('encoder_ms'), sb.get('encoder_ms'))} | {ratio(sa.get('step_ms'), sb.get('step_ms'))} | "
              f"{ratio(sa.get('full_ms'), sb.get('full_ms'))} |")
        w("")
    w("## The transcribe component, per request (wasm under the Spin harness)\n")
    # One compile per harness process (four of them): the median.
    comps = [r for k, v in component.items() if k[1] == "component" for r in v]
    comp = {"wasm_bytes": comps[0]["wasm_bytes"] if comps else None,
            "compile_ms": statistics.median(r["compile_ms"] for r in comps) if comps else None}
    w(f"Component `sawt_transcribe_fn.wasm`: {comp.get('wasm_bytes', 0) / 1e6:.1f} MB, compiled by wasmtime "
      f"(cranelift, opt-level speed) in {comp.get('compile_ms') or 0:.0f} ms (median of {len(comps)}) before the first request of a "
      "process. Per request: a fresh instance reads the model from the key-value store, verifies every "
      "chunk, builds the graphs, decodes the clip (the transcription runs until the model stops or 224 "
      "tokens per 30 s window, greedy, no fallback beyond what the reference does) and answers "
      "`verbose_json`.\n")
    w("| model | stored | clip | store read + verify | graph build | load | inference | text tokens | total | peak linear memory |")
    w("|---|---|---|---|---|---|---|---|---|---|")
    for m in MODELS:
        for clip in (30.0, 120.0):
            g = lambda f: comp_stats(component, m, clip, f)
            load = [r["kv_read_ms"] + r["build_ms"] for r in component.get((m, "request", clip), [])
                    if "kv_read_ms" in r and "build_ms" in r]
            keys = component.get((m, "store", None), [{}])[0].get("keys", 0)
            stored = f"{keys} keys, {(g('model_bytes') or {'median': 0})['median'] / 1e6:.1f} MB"
            w(f"| {m} | {stored} | {clip:.0f} s | {fmt(g('kv_read_ms'), ' ms')} | {fmt(g('build_ms'), ' ms')} | "
              f"{fmt(stats(load) if load else None, ' ms')} | {fmt(g('inference_ms'), ' ms')} | "
              f"{fmt(g('text_tokens'))} | {fmt(g('total_ms'), ' ms')} | {fmt(g('peak_mib'), ' MiB')} |")
    w("")
    # Targets for tiny int8 in wasm.
    q = MODELS[1]
    wasm_s, web_s = S.get(("sawt wasm", q), {}), S.get(("onnxruntime-web", q), {})
    peak30 = comp_stats(component, q, 30.0, "peak_mib")
    peak120 = comp_stats(component, q, 120.0, "peak_mib")
    loads = [r["kv_read_ms"] + r["build_ms"] for r in component.get((q, "request", 30.0), [])
             if "kv_read_ms" in r and "build_ms" in r]
    load = statistics.median(loads) if loads else None
    enc_r = wasm_s["encoder_ms"]["median"] / web_s["encoder_ms"]["median"] if wasm_s and web_s else None
    step_r = wasm_s["step_ms"]["median"] / web_s["step_ms"]["median"] if wasm_s and web_s else None
    rtf = ((wasm_s.get("mel_ms", {"median": 0})["median"] + wasm_s["full_ms"]["median"]) / 30000.0) if wasm_s else None
    size, compile_ms = comp.get("wasm_bytes"), comp.get("compile_ms")
    ok = lambda v, lim: "met" if v is not None and v <= lim else "missed"
    w("## Targets (tiny int8 in wasm, per request)\n")
    w("| target | measured | |")
    w("|---|---|---|")
    w(f"| peak linear memory ≤ {TARGET_PEAK_MIB} MiB, 30 s clip | {peak30['median'] if peak30 else 0:.0f} MiB "
      f"(120 s clip: {peak120['median'] if peak120 else 0:.0f} MiB) | {ok(peak30 and peak30['median'], TARGET_PEAK_MIB)} |")
    w(f"| store read + verify + build ≤ {TARGET_LOAD_MS} ms | {load or 0:.0f} ms | {ok(load, TARGET_LOAD_MS)} |")
    w(f"| component ≤ 8 MB | {(size or 0) / 1e6:.1f} MB | {ok(size, TARGET_WASM_BYTES)} |")
    w(f"| compile ≤ 4 s | {(compile_ms or 0) / 1e3:.1f} s | {ok(compile_ms, TARGET_COMPILE_MS)} |")
    w(f"| encoder ≤ {TARGET_VS_WEB}× onnxruntime-web | {enc_r or 0:.2f}× | {ok(enc_r, TARGET_VS_WEB)} |")
    w(f"| decoder step ≤ {TARGET_VS_WEB}× onnxruntime-web | {step_r or 0:.2f}× | {ok(step_r, TARGET_VS_WEB)} |")
    w(f"| 30 s, {TOKENS} tokens: real-time factor ≤ {TARGET_RTF} (mel + encoder + steps, wasm) | {rtf or 0:.3f} | "
      f"{ok(rtf, TARGET_RTF)} |")
    w("")
    w("## What fits where (every size, f32 and int8; also in the README)\n")
    for line in fits_table(sizes, component):
        w(line)
    w("")
    w(f"![encoder, decoder step and peak memory per engine](docs/benchmarks/{CHART.name})\n")
    (ROOT / "BENCHMARKS.md").write_text("\n".join(L) + "\n")
    (BENCH / "bench-raw.json").write_text(json.dumps(
        {"raw": {f"{k[0]} | {k[1]}": v for k, v in raw.items()}, "sizes": sizes,
         "component": {f"{k[0]} | {k[1]} | {k[2]}": v for k, v in component.items()}}, indent=1))
    print(f"wrote {ROOT / 'BENCHMARKS.md'}")


def chart(S) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    engines = ["sawt native", "sawt wasm", "onnxruntime", "onnxruntime-web"]
    panels = [("encoder_ms", "encoder, one 30 s window (ms)"), ("step_ms", "decoder step (ms)"),
              ("peak_mib", "peak memory (MiB)")]
    fig, axes = plt.subplots(1, 3, figsize=(13, 4.2))
    x = np.arange(len(engines))
    for ax, (field, title) in zip(axes, panels):
        for i, (m, label) in enumerate(zip(MODELS, ("f32", "int8"))):
            med = [S.get((e, m), {}).get(field, {}).get("median", 0) for e in engines]
            lo = [med[j] - S.get((e, m), {}).get(field, {}).get("min", med[j]) for j, e in enumerate(engines)]
            hi = [S.get((e, m), {}).get(field, {}).get("max", med[j]) - med[j] for j, e in enumerate(engines)]
            ax.bar(x + (i - 0.5) * 0.38, med, 0.38, yerr=[lo, hi], capsize=3, label=label)
        ax.set_xticks(x, [e.replace(" ", "\n", 1) for e in engines], fontsize=8)
        ax.set_title(title, fontsize=10)
        ax.grid(axis="y", alpha=0.3)
    axes[0].legend()
    fig.suptitle("Whisper tiny (random weights), one thread: median and min–max", fontsize=11)
    fig.tight_layout()
    CHART.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(CHART, dpi=110)
    print(f"wrote {CHART}")


if __name__ == "__main__":
    try:
        main()
    except BenchError as e:
        print(f"bench: {e}", file=sys.stderr)
        sys.exit(1)
