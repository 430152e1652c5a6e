"""Export an openai-whisper model to the ONNX layout sawt's Rust runner loads.

Used by make_fixtures.py (random weights) and by users with real checkpoints:

    python scripts/whisper_export.py --checkpoint tiny.pt --out models/local/whisper-tiny

Layout "sawt-whisper-onnx/2" (see crates/whisper/src/model.rs):
  encoder.onnx   mel f32[1, n_mels, 3000]
                 -> audio_features f32[1, n_audio_ctx, d],
                    cross_k f32[n_text_layer, 1, n_audio_ctx, d], cross_v (same)
                 The cross-attention keys/values are computed once per 30 s window here,
                 so a decoder step never recomputes them. The self-attention runs over
                 slices of 300 queries (chunked_attention), so the scores of a whole window
                 are never held at once.
  decoder.onnx   x f32[1, 1, d] (the token's embedding row), position i64[1],
                 self_k f32[n_text_layer, 1, n_text_ctx, d], self_v (same),
                 cross_k, cross_v, mask f32[1, n_text_ctx + 1]
                 -> hidden f32[1, 1, d] (after the final LayerNorm),
                    new_k f32[n_text_layer, 1, 1, d], new_v (same)
                 One token per step against a fixed-size self-attention cache: every shape is
                 static, so tract optimises the whole graph once. The caller keeps the cache,
                 writes new_k/new_v at `position` and passes an additive mask (0 for valid
                 cache slots and the current token, -inf elsewhere).
  token_embedding.safetensors
                 The tied token embedding, held once, outside the graphs: the caller looks up
                 a token's row (the decoder's input) and computes the logits as hidden · Wᵀ.
                 f32: `weight` F32 [n_vocab, d]. int8: `weight.q8` I8 [n_vocab, d] and
                 `weight.scale` F32 [n_vocab, ⌈d / 32⌉], one scale per block of 32 (the Q8 block
                 layout of crates/quant; rows padded with zeros to whole blocks). In the graph, the projection is the largest tensor
                 (51,865 × d) and tract keeps a packed copy of it beside the stored one.
  config.json    dims, special token ids, suppress lists (computed here, once, with the
                 reference tokenizer), the tokenizer and embedding file names.
  multilingual.tiktoken  copied from the openai-whisper wheel.

int8 (--int8): the MatMul weights of both graphs are quantized by onnxruntime's dynamic
quantization (MatMulInteger, an op every engine runs; the convolutions stay f32: ConvInteger has
no onnxruntime CPU kernel), the token embedding to Q8 blocks.

The wrappers call the reference modules (Linear, LayerNorm, MLP) of openai-whisper and restate
only the attention arithmetic of MultiHeadAttention.qkv_attention (whisper/model.py at
openai/whisper@v20250625, the non-SDPA branch), because the reference slices its causal mask by
query length, which does not fit a one-token step over a fixed cache.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import struct
from pathlib import Path

import numpy as np

import torch
import torch.nn.functional as F
from torch import nn

import whisper
from whisper.model import MultiHeadAttention, Whisper
from whisper.tokenizer import get_tokenizer

ASSETS = Path(whisper.__file__).parent / "assets"
EMBEDDING = "token_embedding.safetensors"


def attention(q, k, v, n_head: int, mask=None):
    """Whisper's qkv_attention (non-SDPA branch) with an explicit additive mask."""
    n_batch, n_ctx, n_state = q.shape
    scale = (n_state // n_head) ** -0.25
    q = q.view(*q.shape[:2], n_head, -1).permute(0, 2, 1, 3)
    k = k.view(*k.shape[:2], n_head, -1).permute(0, 2, 1, 3)
    v = v.view(*v.shape[:2], n_head, -1).permute(0, 2, 1, 3)
    qk = (q * scale) @ (k * scale).transpose(-1, -2)
    if mask is not None:
        qk = qk + mask
    w = F.softmax(qk, dim=-1)
    return (w @ v).permute(0, 2, 1, 3).flatten(start_dim=2)


# Queries per slice of the encoder's self-attention (see chunked_attention).
ENCODER_QUERY_CHUNK = 300


def chunked_attention(q, k, v, n_head: int, chunk: int = ENCODER_QUERY_CHUNK):
    """The encoder's qkv_attention (no mask), the queries taken `chunk` rows at a time.

    Each query row's softmax runs over all keys as in the reference, so the result is the same;
    only the graph changes: a 30 s window's scores are n_head x 1500 x 1500 floats (54 MB for
    tiny, 108 MB for small) and the softmax doubles that, while a slice of 300 queries needs a
    fifth. Engines that free a tensor after its last use (tract, onnxruntime) then peak at one
    slice's scores instead of the whole window's.
    """
    n_batch, n_ctx, n_state = q.shape
    scale = (n_state // n_head) ** -0.25
    q = q.view(*q.shape[:2], n_head, -1).permute(0, 2, 1, 3)
    kt = (k.view(*k.shape[:2], n_head, -1).permute(0, 2, 1, 3) * scale).transpose(-1, -2)
    v = v.view(*v.shape[:2], n_head, -1).permute(0, 2, 1, 3)
    parts = []
    for start in range(0, n_ctx, chunk):
        w = F.softmax((q[:, :, start:start + chunk] * scale) @ kt, dim=-1)
        parts.append(w @ v)
    return torch.cat(parts, dim=2).permute(0, 2, 1, 3).flatten(start_dim=2)


@contextlib.contextmanager
def encoder_attention_chunked(model: Whisper):
    """Route the encoder blocks' attention through chunked_attention while exporting."""
    attns = [b.attn for b in model.encoder.blocks]
    for a in attns:
        a.qkv_attention = lambda q, k, v, mask=None, n=a.n_head: (chunked_attention(q, k, v, n), None)
    try:
        yield
    finally:
        for a in attns:
            del a.qkv_attention


class EncoderExport(nn.Module):
    def __init__(self, model: Whisper):
        super().__init__()
        self.encoder = model.encoder
        self.blocks = model.decoder.blocks

    def forward(self, mel):
        x = self.encoder(mel)
        ks = [b.cross_attn.key(x) for b in self.blocks]
        vs = [b.cross_attn.value(x) for b in self.blocks]
        return x, torch.stack(ks), torch.stack(vs)


class DecoderStep(nn.Module):
    def __init__(self, model: Whisper):
        super().__init__()
        self.dec = model.decoder
        self.n_head = model.dims.n_text_head

    def forward(self, x, position, self_k, self_v, cross_k, cross_v, mask):
        dec = self.dec
        x = x + F.embedding(position, dec.positional_embedding)
        new_k, new_v = [], []
        for i, b in enumerate(dec.blocks):
            h = b.attn_ln(x)
            q = b.attn.query(h)
            k = b.attn.key(h)
            v = b.attn.value(h)
            new_k.append(k)
            new_v.append(v)
            keys = torch.cat([self_k[i], k], dim=1)
            values = torch.cat([self_v[i], v], dim=1)
            x = x + b.attn.out(attention(q, keys, values, self.n_head, mask))
            h = b.cross_attn_ln(x)
            q = b.cross_attn.query(h)
            x = x + b.cross_attn.out(attention(q, cross_k[i], cross_v[i], self.n_head))
            x = x + b.mlp(b.mlp_ln(x))
        # The output projection (hidden · token_embedding.T) is the caller's: see the docstring.
        return dec.ln(x), torch.stack(new_k), torch.stack(new_v)


def config_for(model: Whisper) -> dict:
    dims = model.dims
    tok = get_tokenizer(model.is_multilingual, num_languages=model.num_languages, language="ar", task="transcribe")
    sp = tok.special_tokens
    return {
        "format": "sawt-whisper-onnx/2",
        "dims": {
            "n_mels": dims.n_mels,
            "n_audio_ctx": dims.n_audio_ctx,
            "n_audio_state": dims.n_audio_state,
            "n_audio_head": dims.n_audio_head,
            "n_audio_layer": dims.n_audio_layer,
            "n_vocab": dims.n_vocab,
            "n_text_ctx": dims.n_text_ctx,
            "n_text_state": dims.n_text_state,
            "n_text_head": dims.n_text_head,
            "n_text_layer": dims.n_text_layer,
        },
        "tokenizer": "multilingual.tiktoken" if model.is_multilingual else "gpt2.tiktoken",
        "token_embedding": EMBEDDING,
        "num_languages": model.num_languages,
        "special_tokens": {
            "eot": tok.eot,
            "sot": tok.sot,
            "sot_prev": tok.sot_prev,
            "sot_lm": tok.sot_lm,
            "no_speech": tok.no_speech,
            "no_timestamps": tok.no_timestamps,
            "timestamp_begin": tok.timestamp_begin,
            "transcribe": tok.transcribe,
            "translate": tok.translate,
            "first_language": sp["<|en|>"],
        },
        "languages": list(whisper.tokenizer.LANGUAGES.keys())[: model.num_languages],
        # tokenizer.non_speech_tokens: what suppress_tokens="-1" expands to.
        "non_speech_tokens": list(tok.non_speech_tokens),
        # SuppressBlank: encode(" ") + [eot]
        "blank_tokens": tok.encode(" "),
    }


def export(model: Whisper, out: Path, opset: int = 17) -> None:
    out.mkdir(parents=True, exist_ok=True)
    model = model.eval().float()
    MultiHeadAttention.use_sdpa = False
    d = model.dims
    mel = torch.zeros(1, d.n_mels, 2 * d.n_audio_ctx)
    with torch.no_grad(), encoder_attention_chunked(model):
        enc = EncoderExport(model)
        torch.onnx.export(
            enc, (mel,), str(out / "encoder.onnx"), opset_version=opset,
            input_names=["mel"], output_names=["audio_features", "cross_k", "cross_v"],
            dynamo=False,
        )
        step = DecoderStep(model)
        L, C, S = d.n_text_layer, d.n_text_ctx, d.n_text_state
        args = (
            torch.zeros(1, 1, S),
            torch.zeros(1, dtype=torch.long),
            torch.zeros(L, 1, C, S),
            torch.zeros(L, 1, C, S),
            torch.zeros(L, 1, d.n_audio_ctx, S),
            torch.zeros(L, 1, d.n_audio_ctx, S),
            torch.zeros(1, C + 1),
        )
        # Constant folding pre-transposes each Linear weight into a MatMul initializer, which
        # is what dynamic quantization looks for (the embedding is not in the graph to copy).
        torch.onnx.export(
            step, args, str(out / "decoder.onnx"), opset_version=opset,
            input_names=["x", "position", "self_k", "self_v", "cross_k", "cross_v", "mask"],
            output_names=["hidden", "new_k", "new_v"],
            dynamo=False,
        )
    embedding = model.decoder.token_embedding.weight.detach().numpy().astype(np.float32)
    write_safetensors(out / EMBEDDING, {"weight": embedding})
    cfg = config_for(model)
    (out / "config.json").write_text(json.dumps(cfg, indent=1) + "\n")
    shutil.copyfile(ASSETS / cfg["tokenizer"], out / cfg["tokenizer"])


def write_safetensors(path: Path, tensors: dict) -> None:
    """A safetensors file from numpy arrays (F32 / I8), header padded so the data section
    starts on an 8-byte boundary (sawt reads the tensors in place)."""
    dtypes = {np.dtype(np.float32): "F32", np.dtype(np.int8): "I8"}
    header, blobs, offset = {}, [], 0
    for name, a in tensors.items():
        a = np.ascontiguousarray(a)
        raw = a.astype(a.dtype.newbyteorder("<"), copy=False).tobytes()
        header[name] = {"dtype": dtypes[a.dtype], "shape": list(a.shape),
                        "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    head = json.dumps(header, separators=(",", ":")).encode()
    head += b" " * (-(8 + len(head)) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(head)))
        f.write(head)
        for b in blobs:
            f.write(b)


def read_safetensors(path: Path) -> dict:
    raw = path.read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    types = {"F32": np.float32, "I8": np.int8}
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        a, b = e["data_offsets"]
        out[name] = np.frombuffer(raw[8 + n + a:8 + n + b], dtype=types[e["dtype"]]).reshape(e["shape"])
    return out


def quantize_q8_rows(w: np.ndarray, block: int = 32) -> tuple[np.ndarray, np.ndarray]:
    """Q8 blocks of crates/quant: per block of 32, scale = max|w| / 127, q = round(w / scale)
    (half away from zero, as the Rust side rounds activations). Rows are padded with zeros to
    a whole number of blocks (every real Whisper width is one already)."""
    w = np.pad(w, ((0, 0), (0, -w.shape[1] % block)))
    rows, n = w.shape
    b = w.reshape(rows, n // block, block).astype(np.float64)
    scale = np.abs(b).max(axis=2) / 127.0
    inv = np.divide(1.0, scale, out=np.zeros_like(scale), where=scale > 0)
    x = b * inv[:, :, None]
    q = np.clip(np.sign(x) * np.floor(np.abs(x) + 0.5), -127, 127).astype(np.int8)
    return q.reshape(rows, n), scale.astype(np.float32)


def quantize_int8(src: Path, dst: Path) -> None:
    """Dynamic int8 (weights int8, activations quantized at run time) with onnxruntime, for the
    MatMul weights only; the token embedding as Q8 blocks."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    dst.mkdir(parents=True, exist_ok=True)
    for name in ("encoder.onnx", "decoder.onnx"):
        quantize_dynamic(str(src / name), str(dst / name), weight_type=QuantType.QInt8,
                         op_types_to_quantize=["MatMul", "Gemm"])
    q, scale = quantize_q8_rows(read_safetensors(src / EMBEDDING)["weight"])
    write_safetensors(dst / EMBEDDING, {"weight.scale": scale, "weight.q8": q})
    for name in os.listdir(src):
        if not name.endswith(".onnx") and name != EMBEDDING:
            shutil.copyfile(src / name, dst / name)
    cfg = json.loads((dst / "config.json").read_text())
    cfg["quantization"] = "dynamic-int8"
    (dst / "config.json").write_text(json.dumps(cfg, indent=1) + "\n")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--checkpoint", required=True, help="openai-whisper .pt checkpoint (e.g. tiny.pt)")
    ap.add_argument("--out", required=True, type=Path)
    ap.add_argument("--int8", action="store_true", help="also write <out>-int8")
    a = ap.parse_args()
    model = whisper.load_model(a.checkpoint, device="cpu")
    export(model, a.out)
    if a.int8:
        quantize_int8(a.out, a.out.with_name(a.out.name + "-int8"))


if __name__ == "__main__":
    main()
