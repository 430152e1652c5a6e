"""Quantize the GPT of an exported XTTS model (gpt.safetensors) for sawt's decode engine.

    python scripts/xtts_quantize.py IN_GPT.safetensors OUT_GPT.safetensors --format q8|q4

The GPT-2 blocks' four linear weights per layer (`gpt.gpt.h.N.attn.c_attn`, `attn.c_proj`,
`mlp.c_fc`, `mlp.c_proj`; Hugging Face Conv1D, stored [n_in, n_out]) are replaced by blocks of
32 inputs with an f32 scale, one row per output (crates/xtts/src/quant.rs reads them):

    NAME.weight.q8     I8  [n_out, n_in]      q in -127..127, value = q * scale, scale = max|w|/127
    NAME.weight.q4     U8  [n_out, n_in / 2]  u in 0..15, value = (u - 8) * scale, scale = w*/-8
                                              (w* the block's value of largest magnitude); byte j
                                              holds element j (low nibble) and j + 16 (high)
    NAME.weight.scale  F32 [n_out, n_in / 32]

Everything else (biases, norms, embeddings, the mel head, mel_stats) stays f32. Needs only
numpy and safetensors (scripts/requirements-xtts.txt pins both).
"""

import argparse
import re

import numpy as np
from safetensors.numpy import load_file, save_file

BLOCK = 32
LINEAR = re.compile(r"^gpt\.gpt\.h\.\d+\.(attn\.c_attn|attn\.c_proj|mlp\.c_fc|mlp\.c_proj)\.weight$")


def quantize_q8(w_t):
    """w_t: [n_out, n_in] f32 -> (int8 [n_out, n_in], f32 scales [n_out, n_in / 32])."""
    n_out, n_in = w_t.shape
    blocks = w_t.reshape(n_out, n_in // BLOCK, BLOCK).astype(np.float64)
    amax = np.abs(blocks).max(axis=2)
    scale = amax / 127.0
    inv = np.divide(1.0, scale, out=np.zeros_like(scale), where=scale > 0)
    q = np.clip(np.round(blocks * inv[:, :, None]), -127, 127).astype(np.int8)
    return q.reshape(n_out, n_in), scale.astype(np.float32)


def quantize_q4(w_t):
    """w_t: [n_out, n_in] f32 -> (uint8 [n_out, n_in / 2], f32 scales [n_out, n_in / 32])."""
    n_out, n_in = w_t.shape
    blocks = w_t.reshape(n_out, n_in // BLOCK, BLOCK).astype(np.float64)
    idx = np.abs(blocks).argmax(axis=2)
    extreme = np.take_along_axis(blocks, idx[:, :, None], axis=2)[:, :, 0]
    scale = extreme / -8.0
    inv = np.divide(1.0, scale, out=np.zeros_like(scale), where=scale != 0)
    u = (np.clip(np.round(blocks * inv[:, :, None]), -8, 7) + 8).astype(np.uint8)
    packed = u[:, :, : BLOCK // 2] | (u[:, :, BLOCK // 2 :] << 4)
    return packed.reshape(n_out, n_in // 2), scale.astype(np.float32)


def quantize(tensors, fmt):
    """The GPT's tensors with its linear weights quantized to `fmt` ("q8" or "q4")."""
    if fmt not in ("q8", "q4"):
        raise ValueError(f"unknown format {fmt!r} (q8 or q4)")
    out = {}
    count = 0
    for name, value in tensors.items():
        if not LINEAR.match(name):
            out[name] = value
            continue
        if name + "." + fmt in tensors or value.dtype != np.float32 or value.ndim != 2:
            raise ValueError(f"{name}: expected an f32 [n_in, n_out] matrix (already quantized?)")
        n_in = value.shape[0]
        if n_in % BLOCK:
            raise ValueError(f"{name}: {n_in} inputs is not a multiple of {BLOCK}")
        w_t = np.ascontiguousarray(value.T)
        q, scale = quantize_q8(w_t) if fmt == "q8" else quantize_q4(w_t)
        out[f"{name}.{fmt}"] = q
        out[f"{name}.scale"] = scale
        count += 1
    if count == 0:
        raise ValueError("no GPT-2 linear weights found (not an exported gpt.safetensors?)")
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("input")
    parser.add_argument("output")
    parser.add_argument("--format", required=True, choices=["q8", "q4"])
    args = parser.parse_args()
    tensors = load_file(args.input)
    save_file(quantize(tensors, args.format), args.output, metadata={"sawt_gpt_format": args.format})
    print(f"{args.output}: GPT linear weights as {args.format}")


if __name__ == "__main__":
    main()
