"""Peer engine for sawt's Whisper benchmark: onnxruntime native (CPU), one thread.

    .venv-whisper/bin/python scripts/bench/ort_native.py MODEL_DIR MEL_FILE [TOKENS=64]

Times the graphs sawt runs ("sawt-whisper-onnx/2": encoder.onnx, decoder.onnx, plus
../peer/<model>/logits.onnx for the tied-embedding projection sawt does itself, see logits_graph.py) and
prints one JSON line on stdout:

  load_ms          read encoder/decoder/logits graph bytes, create the three sessions from
                   memory, read token_embedding.safetensors (dequantized to f32 rows if q8)
  encoder_cold_ms  first encoder run on the mel
  encoder_ms       second encoder run (its cross_k/cross_v feed the decoder)
  step_ms / step_median_ms   mean / median of TOKENS decoder steps, each = embedding row lookup +
                   decoder run + cache update + logits run + argmax. Tokens: sot, the Arabic
                   language token, transcribe, no_timestamps, then 1000 + 7*i (forced, because
                   random weights never emit end-of-text)
  full_ms          encoder_ms + all steps
  peak_mib / baseline_mib    ru_maxrss at the end / at the start, before numpy and onnxruntime
                   are imported, so the interpreter's share can be subtracted

Before measuring it runs logits_graph.py as a child process (a no-op when ../peer/<model>/logits.onnx is
fresh), so building that graph never counts in this process's peak. Session options: one intra-
and one inter-op thread, sequential execution, default graph optimisation (ORT_ENABLE_ALL).
MEL_FILE: raw little-endian f32, n_mels x (2 * n_audio_ctx) values, row-major.
Errors: one line on stderr, exit status 1.
"""

from __future__ import annotations

import resource
import sys

# Read before anything heavy is imported: the interpreter alone.
BASELINE_KIB = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

import json  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from logits_graph import BenchError, load_config, load_embedding  # noqa: E402

DECODER_INPUTS = {"x", "position", "self_k", "self_v", "cross_k", "cross_v", "mask"}
DECODER_OUTPUTS = ["hidden", "new_k", "new_v"]
ENCODER_OUTPUTS = ["audio_features", "cross_k", "cross_v"]


def read_graph(path: Path) -> bytes:
    if not path.is_file():
        raise BenchError(f"{path}: missing")
    return path.read_bytes()


def check_io(name: str, sess, inputs: set[str], outputs: list[str]) -> None:
    have_in = {i.name for i in sess.get_inputs()}
    have_out = {o.name for o in sess.get_outputs()}
    if have_in != inputs or not set(outputs) <= have_out:
        raise BenchError(
            f"{name}: inputs {sorted(have_in)} / outputs {sorted(have_out)}; expected inputs "
            f"{sorted(inputs)} and outputs {outputs}"
        )


def prompt_tokens(cfg: dict) -> list[int]:
    st = cfg["special_tokens"]
    try:
        ar = st["first_language"] + cfg["languages"].index("ar")
        return [st["sot"], ar, st["transcribe"], st["no_timestamps"]]
    except (KeyError, ValueError) as e:
        raise BenchError(f"config.json: cannot form the prompt (sot, ar, transcribe, no_timestamps): {e!r}") from e


def run(model_dir: Path, mel_file: Path, tokens: int) -> dict:
    # Build ../peer/<model>/logits.onnx (if needed) in a child so its memory is not ours.
    child = subprocess.run([sys.executable, str(HERE / "logits_graph.py"), str(model_dir)], capture_output=True, text=True)
    if child.returncode != 0:
        raise BenchError(child.stderr.strip() or f"logits_graph.py exited with {child.returncode}")
    logits_path = Path(child.stdout.strip())

    import numpy as np
    import onnxruntime as ort

    cfg = load_config(model_dir)
    dims = cfg["dims"]
    n_mels, n_audio_ctx = dims["n_mels"], dims["n_audio_ctx"]
    d, n_layer, n_ctx = dims["n_text_state"], dims["n_text_layer"], dims["n_text_ctx"]
    n_frames = 2 * n_audio_ctx  # Whisper's stride-2 conv stem halves the mel frames
    if tokens > n_ctx:
        raise BenchError(f"TOKENS={tokens} exceeds the decoder cache (n_text_ctx={n_ctx})")
    prompt = prompt_tokens(cfg)
    feed_tokens = [prompt[i] if i < len(prompt) else 1000 + 7 * i for i in range(tokens)]
    if max(feed_tokens) >= dims["n_vocab"]:
        raise BenchError(f"token {max(feed_tokens)} is outside n_vocab={dims['n_vocab']}")

    if not mel_file.is_file():
        raise BenchError(f"{mel_file}: missing")
    mel_bytes = mel_file.read_bytes()
    if len(mel_bytes) != n_mels * n_frames * 4:
        raise BenchError(f"{mel_file}: {len(mel_bytes)} bytes, expected {n_mels} x {n_frames} f32 = {n_mels * n_frames * 4}")
    mel = np.frombuffer(mel_bytes, dtype="<f4").reshape(1, n_mels, n_frames).astype(np.float32)

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    providers = ["CPUExecutionProvider"]

    t0 = time.perf_counter()
    enc = ort.InferenceSession(read_graph(model_dir / "encoder.onnx"), opts, providers=providers)
    dec = ort.InferenceSession(read_graph(model_dir / "decoder.onnx"), opts, providers=providers)
    lgt = ort.InferenceSession(read_graph(logits_path), opts, providers=providers)
    emb, emb_kind = load_embedding(model_dir, cfg)
    load_ms = (time.perf_counter() - t0) * 1e3

    check_io("encoder.onnx", enc, {"mel"}, ENCODER_OUTPUTS)
    check_io("decoder.onnx", dec, DECODER_INPUTS, DECODER_OUTPUTS)
    check_io(str(logits_path), lgt, {"hidden"}, ["logits"])

    t0 = time.perf_counter()
    enc.run(ENCODER_OUTPUTS, {"mel": mel})
    encoder_cold_ms = (time.perf_counter() - t0) * 1e3

    t0 = time.perf_counter()
    _, cross_k, cross_v = enc.run(ENCODER_OUTPUTS, {"mel": mel})
    encoder_ms = (time.perf_counter() - t0) * 1e3

    self_k = np.zeros((n_layer, 1, n_ctx, d), np.float32)
    self_v = np.zeros_like(self_k)
    # Additive mask over [cache slots..., current token]: cache slots open as they fill.
    mask = np.full((1, n_ctx + 1), -np.inf, np.float32)
    mask[0, -1] = 0.0
    position = np.zeros(1, np.int64)
    steps = []
    for pos, tok in enumerate(feed_tokens):
        t0 = time.perf_counter()
        x = emb[tok].reshape(1, 1, d)
        position[0] = pos
        hidden, new_k, new_v = dec.run(
            DECODER_OUTPUTS,
            {"x": x, "position": position, "self_k": self_k, "self_v": self_v,
             "cross_k": cross_k, "cross_v": cross_v, "mask": mask},
        )
        self_k[:, :, pos, :] = new_k[:, :, 0, :]
        self_v[:, :, pos, :] = new_v[:, :, 0, :]
        mask[0, pos] = 0.0
        (logits,) = lgt.run(["logits"], {"hidden": hidden})
        int(np.argmax(logits))  # computed as a real decoder would; the forced token is used instead
        steps.append((time.perf_counter() - t0) * 1e3)

    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "engine": "onnxruntime native",
        "version": ort.__version__,
        "model": model_dir.resolve().name,
        "tokens": tokens,
        "load_ms": round(load_ms, 3),
        "encoder_cold_ms": round(encoder_cold_ms, 3),
        "encoder_ms": round(encoder_ms, 3),
        "step_ms": round(statistics.fmean(steps), 3),
        "step_median_ms": round(statistics.median(steps), 3),
        "full_ms": round(encoder_ms + sum(steps), 3),
        "peak_mib": round(peak_kib / 1024, 1),
        "baseline_mib": round(BASELINE_KIB / 1024, 1),
        "peak_kind": "process RSS (includes the Python interpreter)",
        "threads": 1,
        "embedding": emb_kind,
        "logits_graph": "int8 MatMul (quantize_dynamic)" if emb_kind == "q8" else "f32 MatMul",
    }


def main(argv: list[str]) -> int:
    if len(argv) not in (3, 4):
        print(f"usage: {Path(argv[0]).name} MODEL_DIR MEL_FILE [TOKENS=64]", file=sys.stderr)
        return 2
    try:
        try:
            tokens = int(argv[3]) if len(argv) == 4 else 64
        except ValueError:
            raise BenchError(f"TOKENS must be an integer, got {argv[3]!r}") from None
        if tokens < 1:
            raise BenchError(f"TOKENS must be at least 1, got {tokens}")
        result = run(Path(argv[1]), Path(argv[2]), tokens)
    except (BenchError, OSError) as e:
        print(f"ort_native: error: {e}", file=sys.stderr)
        return 1
    except Exception as e:  # onnxruntime's own failures (bad graph, unsupported op): still one clear line
        print(f"ort_native: error: {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
