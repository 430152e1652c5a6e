"""Build `<model_dir>/../peer/<model name>/logits.onnx` for the benchmark's peer engines.

sawt's decoder.onnx ("sawt-whisper-onnx/2") stops at the final LayerNorm and sawt multiplies the
hidden state by the token embedding itself (tied weights, kept once in
token_embedding.safetensors). The peer engines (ort_native.py, ort_web.mjs) need that last
projection as a graph of their own:

    logits.onnx   hidden f32[1, 1, d] -> logits f32[1, 1, n_vocab] = hidden . W^T

  * f32 embedding (`weight` F32 [n_vocab, d]): one MatMul with the initializer W^T [d, n_vocab].
  * q8 embedding (`weight.q8` I8 [n_vocab, d] + `weight.scale` F32 [n_vocab, d/32], element j of
    row v = q[v, j] * scale[v, j // 32]): dequantized to f32 here, the f32 graph built, then
    quantized with onnxruntime's quantize_dynamic (QInt8, MatMul only), so the peer runs an int8
    MatMul as sawt does rather than a f32 one.

The file is regenerated only when it is missing or older than token_embedding.safetensors, and
written under a temporary name then renamed, so a reader never sees half a file.

Who calls it: each driver runs it as a child process before it measures anything
(`python logits_graph.py MODEL_DIR`), so the numpy/onnx work of building the graph never counts
in the driver's own peak RSS; when the graph is fresh it returns after a stat, without importing
numpy. It prints the graph's path on stdout. Errors go to stderr with exit status 1.

Also a module: ort_native.py imports `load_config` and `load_embedding` (the safetensors reader),
so both Python users parse the file the same way.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

FORMAT = "sawt-whisper-onnx/2"
Q8_BLOCK = 32  # sawt's q8 layout: one f32 scale per 32 consecutive weights of a row


class BenchError(Exception):
    """A problem with the model directory or an input file; reported as one clear line."""


def load_config(model_dir: Path) -> dict:
    path = model_dir / "config.json"
    if not path.is_file():
        raise BenchError(f"{path}: missing (is {model_dir} a sawt model directory?)")
    try:
        cfg = json.loads(path.read_text())
    except json.JSONDecodeError as e:
        raise BenchError(f"{path}: not valid JSON: {e}") from e
    if cfg.get("format") != FORMAT:
        raise BenchError(f"{path}: format is {cfg.get('format')!r}, these drivers read {FORMAT!r}")
    for key in ("dims", "token_embedding", "special_tokens", "languages"):
        if key not in cfg:
            raise BenchError(f"{path}: no {key!r} entry")
    return cfg


def embedding_path(model_dir: Path, cfg: dict) -> Path:
    path = model_dir / cfg["token_embedding"]
    if not path.is_file():
        raise BenchError(f"{path}: missing (config.json names it as the token embedding)")
    return path


def read_safetensors(path: Path) -> dict:
    """Every tensor of a safetensors file as a numpy array (views of one bytes object).

    Format: u64 little-endian header length N, N bytes of JSON {name: {dtype, shape,
    data_offsets: [begin, end]}} (offsets relative to the end of the header), then raw data.
    """
    import numpy as np

    dtypes = {"F32": np.dtype("<f4"), "I8": np.dtype("i1"), "F16": np.dtype("<f2")}
    data = path.read_bytes()
    if len(data) < 8:
        raise BenchError(f"{path}: too short to be a safetensors file")
    n = int.from_bytes(data[:8], "little")
    if 8 + n > len(data):
        raise BenchError(f"{path}: header length {n} runs past the end of the file")
    try:
        header = json.loads(data[8 : 8 + n])
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise BenchError(f"{path}: bad JSON header: {e}") from e
    body = memoryview(data)[8 + n :]
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        dt = dtypes.get(info.get("dtype"))
        if dt is None:
            raise BenchError(f"{path}: tensor {name!r} has dtype {info.get('dtype')!r}, not F32/F16/I8")
        begin, end = info["data_offsets"]
        shape = tuple(info["shape"])
        count = 1
        for s in shape:
            count *= s
        if end - begin != count * dt.itemsize or end > len(body):
            raise BenchError(f"{path}: tensor {name!r} offsets {begin}..{end} do not fit shape {list(shape)}")
        out[name] = np.frombuffer(body[begin:end], dtype=dt).reshape(shape)
    return out


def load_embedding(model_dir: Path, cfg: dict):
    """The token embedding as f32 [n_vocab, d] (dequantized when stored as q8), and its kind."""
    import numpy as np

    path = embedding_path(model_dir, cfg)
    n_vocab, d = cfg["dims"]["n_vocab"], cfg["dims"]["n_text_state"]
    t = read_safetensors(path)
    if "weight" in t:
        w, kind = t["weight"].astype(np.float32, copy=False), "f32"
        if w.shape != (n_vocab, d):
            raise BenchError(f"{path}: weight is {list(w.shape)}, config.json says [{n_vocab}, {d}]")
    elif "weight.q8" in t and "weight.scale" in t:
        q, scale, kind = t["weight.q8"], t["weight.scale"], "q8"
        if d % Q8_BLOCK or q.shape != (n_vocab, d) or scale.shape != (n_vocab, d // Q8_BLOCK):
            raise BenchError(
                f"{path}: weight.q8 {list(q.shape)} / weight.scale {list(scale.shape)} do not fit "
                f"[{n_vocab}, {d}] with one scale per {Q8_BLOCK} weights"
            )
        blocks = q.reshape(n_vocab, d // Q8_BLOCK, Q8_BLOCK).astype(np.float32)
        w = (blocks * scale[:, :, None].astype(np.float32)).reshape(n_vocab, d)
    else:
        raise BenchError(f"{path}: holds {sorted(t)}, expected 'weight' or 'weight.q8' + 'weight.scale'")
    # Row lookups must be contiguous f32 rows; a frombuffer view is read-only, which is fine.
    return np.ascontiguousarray(w), kind


def build(model_dir: Path, cfg: dict, out: Path) -> None:
    import logging

    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    w, kind = load_embedding(model_dir, cfg)
    n_vocab, d = w.shape
    wt = numpy_helper.from_array(np.ascontiguousarray(w.T), "weight_t")
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["hidden", "weight_t"], ["logits"])],
        "sawt_logits",
        [helper.make_tensor_value_info("hidden", TensorProto.FLOAT, [1, 1, d])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, 1, n_vocab])],
        [wt],
    )
    # Opset 17 / IR 8: old enough for every onnxruntime the peers use, new enough for quantization.
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="sawt-bench")
    model.ir_version = 8
    onnx.checker.check_model(model)

    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    if kind == "f32":
        onnx.save(model, str(tmp))
    else:
        from onnxruntime.quantization import QuantType, quantize_dynamic

        f32_tmp = out.with_name(out.name + ".f32.tmp")
        onnx.save(model, str(f32_tmp))
        # quantize_dynamic logs a "run pre-processing" hint at WARNING on every call; it does not
        # apply to a one-MatMul graph.
        root = logging.getLogger()
        level = root.level
        root.setLevel(logging.ERROR)
        try:
            quantize_dynamic(str(f32_tmp), str(tmp), weight_type=QuantType.QInt8, op_types_to_quantize=["MatMul"])
        finally:
            root.setLevel(level)
            f32_tmp.unlink(missing_ok=True)
    os.replace(tmp, out)


def ensure(model_dir: Path) -> Path:
    """Path of ../peer/<model>/logits.onnx, built first if missing or older than the embedding file."""
    cfg = load_config(model_dir)
    src = embedding_path(model_dir, cfg)
    # Beside the model folder, not in it: `sawt models push` takes the model's own files only.
    out = model_dir.parent / "peer" / model_dir.name / "logits.onnx"
    if not out.is_file() or out.stat().st_mtime < src.stat().st_mtime:
        build(model_dir, cfg, out)
    return out


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(f"usage: {Path(argv[0]).name} MODEL_DIR", file=sys.stderr)
        return 2
    try:
        print(ensure(Path(argv[1])))
    except (BenchError, OSError) as e:
        print(f"logits_graph: error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
